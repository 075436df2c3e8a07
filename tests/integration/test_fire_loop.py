#!/usr/bin/env python3
"""Issue 11: a scheduled fire does not hold the event loop. The daemon fires
a large campaign from its scheduler as slices, one per loop turn; signed
webhooks sent meanwhile are answered and stored while the run is still
firing (before, the whole fire ran in one callback and every webhook waited
for its end). Asserts on order and state only: no timing thresholds."""

import datetime
import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402

MEMBERS = int(os.environ.get("FIRE_LOOP_MEMBERS", "60000"))
TW_TOKEN = "twilio-auth-token"
OURS = "+447700900000"

env = t.TestEnv("fire-loop")
env.write_config({
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
    "email": {"transport": "file"},
})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)
rc, out, err = env.ppgd("practice", "add", "A81001", "--name", "Riverside",
                        "--sms-from", OURS)
t.check_eq(rc, 0, "practice add: " + err)
DB = env.sections["daemon"]["database"]

t.bulk_members(DB, MEMBERS)

# A key next to the database was made by init, mode 0600.
key = DB + ".token-key"
t.check(os.path.exists(key) and (os.stat(key).st_mode & 0o777) == 0o600,
        "ppgd init makes the link key, mode 0600")


def one(sql):
    conn = sqlite3.connect(DB, timeout=10)
    try:
        row = conn.execute(sql).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def sms(sid):
    return t.twilio_sms(env.url, TW_TOKEN, OURS, sid)


with env.serve() as d:
    t.check_eq(sms("SMwarm"), 200, "a webhook before the fire: 200")
    at = (datetime.datetime.now(datetime.timezone.utc)
          + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rc, out, err = env.ppgd("campaign", "add", "big", "--practice", "A81001",
                            "--kind", "broadcast", "--template", "broadcast",
                            "--channels", "email", "--message", "hi",
                            "--at", at)
    t.check(rc == 0, "a campaign scheduled in 2 s (%s)" % err.strip())
    t.check(f.wait_for(lambda: one("SELECT count(*) FROM runs WHERE"
                                   " firing = 1") == 1, 30, step=0.002),
            "the scheduler starts firing the run")
    # Webhooks one after another while it fires: for each answer, was the
    # run still firing when it came, and was the message stored by then?
    answers = []
    k = 0
    while one("SELECT firing FROM runs") == 1 and k < 500:
        k += 1
        st = sms("SMduring%d" % k)
        answers.append((st, one("SELECT firing FROM runs"),
                        one("SELECT count(*) FROM inbound WHERE"
                            " provider_msg_id = 'SMduring%d'" % k)))
    during = [a for a in answers if a[1] == 1]
    t.check(len(answers) > 0 and all(a[0] == 200 for a in answers),
            "every webhook sent during the fire is answered 200 (%d)"
            % len(answers))
    t.check(len(during) > 0 and all(a[2] == 1 for a in during),
            "webhooks are answered and stored while the run is still firing"
            " (%d of %d)" % (len(during), len(answers)))
    t.check(f.wait_for(lambda: one("SELECT firing FROM runs") == 0, 120),
            "the fire finishes")
    t.check_eq(one("SELECT messages FROM runs"), MEMBERS,
               "one message per member")
    t.check(f.wait_for(lambda: one("SELECT count(*) FROM outbox WHERE"
                                   " held_reason = 'firing'") == 0, 120),
            "every row released")
    t.check_eq(one("SELECT count(*) FROM tokens"), 0,
               "no token stored per member")


t.finish()
