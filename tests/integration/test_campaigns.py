#!/usr/bin/env python3
"""Campaigns end to end through the CLI and `ppgd serve` with the file
transport: survey load errors, campaign add/preview/send, the outbox, the
spool, the scheduler firing an --at campaign, meetings and broadcasts."""

import glob
import json
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

BAD_SURVEY = """slug: bad
title: Broken
questions:
  - key: first
    type: telepathy
    text: What am I thinking?
  - key: second
    type: choice
    text: Pick one
    show_if: {later: "1"}
  - key: later
    type: yesno
    text: Later?
"""


def db(env):
    con = sqlite3.connect(env.path("ppgd.db"))
    con.row_factory = sqlite3.Row
    return con


def query(env, sql, *args):
    con = db(env)
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def spool(env, channel, ext):
    base = env.email_spool if channel == "email" else env.sms_spool
    return sorted(glob.glob(os.path.join(base, "**", "*." + ext), recursive=True))


def check_ok(rc, err, what):
    return t.check(rc == 0, "%s exits 0 (rc %s, stderr %r)" % (what, rc, err))


def setup(env):
    env.write_config({"sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
                      "campaign": {"frequency_cap": 0},
                      "daemon": {"templates": os.path.join(t.TOP, "templates")}})
    rc, out, err = env.ppgd("init")
    check_ok(rc, err, "init")
    rc, out, err = env.ppgd("practice", "add", "A81001", "--name", "Riverside Surgery",
                            "--email-from", "ppg@riverside.example",
                            "--phone", "0161 496 0000")
    check_ok(rc, err, "practice add")
    members = [
        ["--first-name", "Ann", "--email", "ann@example.org", "--consent-email", "yes",
         "--age-band", "16-24", "--sex", "female"],
        ["--first-name", "Bob", "--mobile", "07700900123", "--preferred-channel", "sms",
         "--consent-sms", "yes", "--age-band", "65-74", "--sex", "male"],
        ["--first-name", "Cat", "--email", "cat@example.org"],  # no consent
    ]
    for m in members:
        rc, out, err = env.ppgd("member", "add", "--practice", "A81001", *m)
        check_ok(rc, err, "member add")


def test_surveys(env):
    bad = env.path("bad.yaml")
    with open(bad, "w") as f:
        f.write(BAD_SURVEY)
    rc, out, err = env.ppgd("survey", "load", bad)
    t.check_eq(rc, 1, "a bad survey exits 1")
    lines = [l for l in err.splitlines() if l.strip()]
    t.check(len(lines) >= 2, "every problem is reported (%r)" % err)
    t.check(all(re.match(re.escape(bad) + r":\d+: ", l) for l in lines),
            "errors are file:line: message (%r)" % err)
    t.check(any(l.startswith(bad + ":5:") for l in lines),
            "the unknown type is on line 5 (%r)" % err)
    fft = os.path.join(t.TOP, "surveys", "fft.yaml")
    rc, j, err = env.ppgd_json("survey", "load", fft)
    t.check(rc == 0 and j and j["status"] == "new" and j["version"] == 1,
            "survey load --json: new, version 1 (%r %r)" % (j, err))
    rc, j, err = env.ppgd_json("survey", "load", fft)
    t.check(j and j["status"] == "unchanged" and j["version"] == 1,
            "the same survey again is unchanged (%r)" % j)
    changed = env.path("fft2.yaml")
    with open(fft) as f, open(changed, "w") as g:
        g.write(f.read().replace("What was good?", "What went well?"))
    rc, j, err = env.ppgd_json("survey", "load", changed)
    t.check(j and j["status"] == "new_version" and j["version"] == 2,
            "a changed survey is version 2 (%r)" % j)
    rc, j, err = env.ppgd_json("survey", "list")
    t.check(j and j[0]["slug"] == "fft" and j[0]["version"] == 2 and j[0]["versions"] == 2,
            "survey list shows the latest version (%r)" % j)
    rc, j, err = env.ppgd_json("survey", "show", "fft", "--version", "1")
    t.check(j and j["version"] == 1 and len(j["definition"]["questions"]) == 3,
            "survey show --version 1 (%r)" % (j and j["version"]))
    rc, out, err = env.ppgd("survey", "load", os.path.join(t.TOP, "surveys", "post-meeting.yaml"))
    check_ok(rc, err, "load post-meeting")


def test_tools(env):
    rc, out, err = env.ppgd("sms-info", "Price: 5€", "--json")
    t.check_eq(out.strip(), '{"encoding": "GSM-7", "characters": 9, "segments": 1}',
               "sms-info --json prints the exact shape")
    rc, j, err = env.ppgd_json("sms-info", "Hi 😀")
    t.check(j == {"encoding": "UCS-2", "characters": 4, "segments": 1,
                  "ucs2_characters": [{"character": "😀", "codepoint": "U+1F600",
                                       "replacement": None}]},
            "sms-info UCS-2 names the character (%r)" % j)
    rc, out, err = env.ppgd("sms-info", "Don’t miss it – Tuesday")
    t.check(rc == 0 and "U+2019" in out and 'use "\'"' in out and "U+2013" in out
            and "with the replacements: GSM-7" in out,
            "sms-info names the curly apostrophe and the dash with their GSM-7 forms (%r)" % out)
    rc, j, err = env.ppgd_json("schedule", "next", "30 9 * * mon", "--from",
                               "2026-03-20T12:00:00Z", "--count", "3", "--tz", "Europe/London")
    t.check_eq(j, ["2026-03-23T09:30:00+00:00", "2026-03-30T09:30:00+01:00",
                   "2026-04-06T09:30:00+01:00"], "schedule next --json across BST")
    rc, out, err = env.ppgd("schedule", "next", "0 25 * * *")
    t.check(rc == 1 and "hour" in err, "a bad expression names the field (%r)" % err)


def test_campaign_cli(env):
    rc, j, err = env.ppgd_json("campaign", "add", "spring", "--practice", "A81001",
                               "--kind", "survey", "--survey", "fft", "--channels", "email,sms",
                               "--audience", "everyone", "--schedule", "0 10 * * mon",
                               "--remind-after", "3d", "--max-reminders", "2")
    t.check(rc == 0 and j and j["name"] == "spring" and j["channels"] == ["email", "sms"]
            and j["template"] == "survey-invitation" and j["remind_after_s"] == 259200
            and j["next_fire_at"], "campaign add --json (%r %r)" % (j, err))
    rc, out, err = env.ppgd("campaign", "add", "broken", "--practice", "A81001",
                            "--kind", "survey", "--survey", "fft", "--audience", "age=16-24")
    t.check(rc == 1 and "unknown field" in err, "a bad audience is refused (%r)" % err)
    # An SMS that is UCS-2 only because of a curly apostrophe and a dash.
    rc, out, err = env.ppgd("campaign", "add", "curly", "--practice", "A81001",
                            "--kind", "broadcast", "--channels", "sms",
                            "--message", "Don’t miss it – Tuesday")
    t.check(rc == 0 and "warning: campaign curly" in err and "U+2019" in err
            and "U+2013" in err, "campaign add warns of look-alikes forcing UCS-2 (%r)" % err)
    rc, out, err = env.ppgd("campaign", "add", "plain", "--practice", "A81001",
                            "--kind", "broadcast", "--channels", "sms",
                            "--message", "Don't miss it - Tuesday")
    t.check(rc == 0 and "warning" not in err, "no warning for GSM-7 text (%r)" % err)
    for name in ("curly", "plain"):
        env.ppgd("campaign", "delete", name)
    rc, j, err = env.ppgd_json("campaign", "show", "spring")
    t.check(j and len(j["next_fires"]) == 5, "campaign show lists five fire times (%r)" % j)
    rc, j, err = env.ppgd_json("campaign", "preview", "spring", "--member", "2")
    t.check(j and j["audience"]["recipients"] == 2 and j["audience"]["skipped"]["no_consent"] == 1
            and j["member"]["channel"] == "sms" and j["messages"]["sms"]["encoding"] == "GSM-7",
            "campaign preview --json (%r %r)" % (j, err))
    t.check(j and "Hi Bob" in j["messages"]["sms"]["text"], "preview renders for the member")
    rc, j, err = env.ppgd_json("campaign", "send", "spring")
    t.check(rc == 0 and j and j["created"] and j["messages"] == 2 and j["email"] == 1
            and j["sms"] == 1, "campaign send --json (%r %r)" % (j, err))
    rows = query(env, "SELECT o.id, o.channel, o.state, o.to_addr, o.body, o.subject,"
                      " o.unsubscribe_token, length(r.snapshot) AS snap"
                      " FROM outbox o JOIN runs r ON r.id = o.run_id ORDER BY o.id")
    t.check(all(r["body"] == "" and r["subject"] is None and r["unsubscribe_token"] is None
                and r["snap"] > 0 for r in rows),
            "campaign rows store no text and no token: the run keeps the snapshot")
    for r in rows:
        rc, j, err = env.ppgd_json("outbox", "show", str(r["id"]))
        r["body"] = j["text"] if j else ""
    t.check_eq([(r["channel"], r["to_addr"]) for r in rows],
               [("email", "ann@example.org"), ("sms", "+447700900123")], "outbox rows")
    t.check_eq(query(env, "SELECT count(*) AS n FROM tokens")[0]["n"], 0,
               "no token is stored per member: links are derived")
    t.check("\n\nOverall, how was your experience" in rows[1]["body"],
            "the SMS carries the first question")
    rc, j, err = env.ppgd_json("campaign", "pause", "spring")
    t.check(j and j["state"] == "paused", "campaign pause (%r)" % j)
    rc, j, err = env.ppgd_json("campaign", "resume", "spring")
    t.check(j and j["state"] == "active", "campaign resume (%r)" % j)


def test_serve(env):
    with env.serve() as d:
        emls = wait_for(lambda: spool(env, "email", "eml"))
        smss = wait_for(lambda: spool(env, "sms", "json"))
        t.check(len(emls) == 1 and len(smss) == 1,
                "serve delivers the rows into the spool (%r %r)" % (emls, smss))
        if emls:
            with open(emls[0]) as f:
                eml = f.read()
            t.check("Have your say" in eml and "List-Unsubscribe" in eml,
                    "the .eml has the subject and List-Unsubscribe")
        if smss:
            with open(smss[0]) as f:
                sms = json.loads(f.readline())
            t.check_eq(sms["to"], "+447700900123", "the SMS spool line")
        metrics = wait_for(lambda: 'transport="file",state="sent"} 2' in
                           t.http_get(env.url + "/metrics")[2].decode() and True)
        t.check(metrics, "metrics count messages by transport and state")
        # The CLI queues while the daemon runs: it is sent within seconds.
        rc, j, err = env.ppgd_json("broadcast", "--practice", "A81001", "--template",
                                   "broadcast", "--message", "Flu clinics start Saturday.",
                                   "--channels", "email", "--name", "Flu clinics")
        t.check(rc == 0 and j and j["messages"] == 1, "broadcast --json (%r %r)" % (j, err))
        emls = wait_for(lambda: len(spool(env, "email", "eml")) == 2 and spool(env, "email", "eml"),
                        timeout=5)
        t.check(emls and len(emls) == 2, "the daemon sends rows the CLI queued")
        # An --at campaign a few seconds ahead fires from the scheduler.
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
        rc, out, err = env.ppgd("campaign", "add", "soon", "--practice", "A81001",
                                "--kind", "broadcast", "--message", "Soon.",
                                "--channels", "sms", "--at", at)
        check_ok(rc, err, "campaign add --at")
        smss = wait_for(lambda: len(spool(env, "sms", "json")) == 2, timeout=12)
        t.check(smss, "the scheduler fires the --at campaign (log: %s)" % d.log)
        rows = query(env, "SELECT state FROM campaigns WHERE name = 'soon'")
        t.check_eq(rows[0]["state"] if rows else None, "done", "a one-shot campaign is done")
    t.check_eq(d.returncode, 0, "serve stops cleanly")


def test_meetings(env):
    agenda = env.path("agenda.txt")
    with open(agenda, "w") as f:
        f.write("1. Welcome\n2. Flu clinics\n")
    when = time.strftime("%Y-%m-%dT18:30", time.gmtime(time.time() + 30 * 86400))
    rc, j, err = env.ppgd_json("meeting", "add", "--practice", "A81001", "--at", when,
                               "--where", "Community Room", "--agenda", agenda,
                               "--with-campaigns")
    t.check(rc == 0 and j and [c["name"] for c in j["campaigns"]] ==
            ["meeting-%d-invitation" % j["id"], "meeting-%d-reminder" % j["id"],
             "meeting-%d-feedback" % j["id"]], "meeting add --with-campaigns (%r %r)" % (j, err))
    mid = j["id"] if j else 0
    minutes = env.path("minutes.txt")
    with open(minutes, "w") as f:
        f.write("We agreed three priorities.\n")
    rc, out, err = env.ppgd("meeting", "minutes", str(mid), minutes)
    check_ok(rc, err, "meeting minutes")
    con = db(env)
    con.execute("INSERT INTO inbound (provider, provider_msg_id, received_at, channel,"
                " body, member_id, practice_id, disposition, meeting_id) VALUES"
                " ('file', 'm1', 1, 'sms', 'Parking please', 2, 1, 'agenda', ?)", (mid,))
    con.commit()
    con.close()
    rc, j, err = env.ppgd_json("meeting", "show", str(mid))
    t.check(j and j["minutes"] == "We agreed three priorities." and
            j["agenda_items"] and j["agenda_items"][0]["body"] == "Parking please",
            "meeting show lists minutes and agenda items (%r)" % j)
    rc, j, err = env.ppgd_json("campaign", "preview", "meeting-%d-invitation" % mid)
    t.check(j and "Community Room" in j["messages"]["email"]["text"],
            "the invitation names the place")
    rc, j, err = env.ppgd_json("meeting", "list")
    t.check(j and j[0]["id"] == mid and j[0]["agenda_items"] == 1, "meeting list (%r)" % j)


def main():
    env = t.TestEnv("campaigns")
    setup(env)
    test_surveys(env)
    test_tools(env)
    test_campaign_cli(env)
    test_serve(env)
    test_meetings(env)
    t.finish()


if __name__ == "__main__":
    main()
