#!/usr/bin/env python3
"""Membership through the year against the real `ppgd serve`: the daemon
sends the term-renewal survey to members whose term ends within [membership]
renewal_notice, a YES by SMS (Twilio webhook) extends the term by [daemon]
term_months, the exit survey goes once to a member whose term ended (never
to one who opted out of everything), and `member stats` counts the terms
ending in the next 90 days."""

import glob
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"
BOB = "+447700900123"
DAY = 86400

env = t.TestEnv("membership")
env.write_config({
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "campaign": {"frequency_cap": 0},
    "daemon": {"term_months": 12},
    "membership": {"renewal_notice": "30d"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
})


def ok(args, what):
    rc, out, err = env.ppgd(*args)
    t.check(rc == 0, "%s exits 0 (rc %s, %r)" % (what, rc, err))
    return out


def day(offset):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * DAY))


def term_of(mid):
    con = sqlite3.connect(env.path("ppgd.db"), timeout=10)
    try:
        return con.execute("SELECT term_ends_at FROM members WHERE id = ?",
                           (mid,)).fetchone()[0]
    finally:
        con.close()


def smss():
    out = []
    for f in sorted(glob.glob(os.path.join(env.sms_spool, "**", "*.json"), recursive=True)):
        with open(f) as fh:
            out.extend(json.loads(line) for line in fh if line.strip())
    return out


def emls():
    out = []
    for f in sorted(glob.glob(os.path.join(env.email_spool, "**", "*.eml"), recursive=True)):
        with open(f, "rb") as fh:
            out.append(fh.read().decode("utf-8", "replace"))
    return out


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def twilio_sms(sid, body, frm):
    url = env.url + "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": frm, "To": "+447700900999", "Body": body,
              "AccountSid": "AC1"}
    return t.http_post(url, params, headers={"X-Twilio-Signature":
                                             t.twilio_sign(url, params, TW_TOKEN)})


ok(["init"], "init")
ok(["practice", "add", "A81001", "--name", "Riverside Surgery", "--email-from",
    "ppg@riverside.example", "--phone", "0161 496 0000"], "practice add")
for slug in ("term-renewal", "exit"):
    ok(["survey", "load", os.path.join(t.TOP, "surveys", slug + ".yaml")], "survey load " + slug)
ok(["member", "add", "--practice", "A81001", "--first-name", "Ann", "--email",
    "ann@example.org", "--consent-email", "yes", "--term-ends", day(10)], "Ann")
ok(["member", "add", "--practice", "A81001", "--first-name", "Bob", "--mobile",
    "07700900123", "--preferred-channel", "sms", "--consent-sms", "yes",
    "--term-ends", day(12)], "Bob")
ok(["member", "add", "--practice", "A81001", "--first-name", "Cat", "--email",
    "cat@example.org", "--consent-email", "yes", "--term-ends", day(200)], "Cat")
ok(["member", "add", "--practice", "A81001", "--first-name", "Dan", "--email",
    "dan@example.org", "--consent-email", "yes", "--term-ends", day(-3)], "Dan")
ok(["member", "add", "--practice", "A81001", "--first-name", "Fay", "--email",
    "fay@example.org", "--consent-email", "yes", "--term-ends", day(-3)], "Fay")
con = sqlite3.connect(env.path("ppgd.db"))
con.execute("UPDATE members SET optout_email_at = unixepoch() WHERE first_name = 'Fay'")
con.commit()
con.close()

rc, st, err = env.ppgd_json("member", "stats", "--practice", "A81001")
t.check(rc == 0 and st["terms_ending"] == {"within_30_days": 2, "within_60_days": 2,
                                           "within_90_days": 2},
        "member stats counts terms ending in the next 90 days (%r)" % (st or {}).get("terms_ending"))
rc, out, err = env.ppgd("member", "stats")
t.check("terms_ending:" in out and "within_90_days" in out, "member stats prints them")

bob_before = term_of(2)
with env.serve():
    renew_sms = wait_for(lambda: [s for s in smss() if "ending soon" in json.dumps(s)])
    t.check(len(renew_sms) == 1 and renew_sms[0]["to"] == BOB,
            "the daemon sends Bob the term-renewal text (%r)" % smss())
    mails = wait_for(lambda: len(emls()) >= 2 and emls())
    t.check(sum("stay in the patient group" in m for m in mails) == 1,
            "Ann gets the term-renewal email; Cat's term is not ending")
    t.check(sum("why you left" in m for m in mails) == 1 and
            sum("dan@example.org" in m for m in mails) == 1 and
            not any("fay@example.org" in m for m in mails),
            "Dan (term ended) gets the exit survey; Fay (opted out) nothing")
    st_, _, _ = twilio_sms("SMren1", "YES", BOB)
    t.check_eq(st_, 200, "the webhook takes Bob's YES")
    after = term_of(2)
    t.check(after is not None and 364 * DAY <= after - bob_before <= 366 * DAY,
            "YES extends Bob's term by term_months (12) (%r -> %r)" % (bob_before, after))
    twilio_sms("SMren2", "YES", BOB)
    t.check_eq(term_of(2), after, "a second YES does not extend it again")

# A restart sends nothing twice.
with env.serve():
    time.sleep(t.slow(2))
t.check_eq(len([s for s in smss() if "ending soon" in json.dumps(s)]), 1,
           "no second renewal text after a restart")
t.check_eq(len([m for m in emls() if "why you left" in m]), 1, "the exit survey goes once")
rc, j, err = env.ppgd_json("campaign", "list")
t.check(rc == 0 and sorted(c["name"] for c in j) == ["exit-A81001", "term-renewal-A81001"],
        "the membership campaigns are ordinary campaigns (%r)" % j)
t.finish()
