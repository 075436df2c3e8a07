#!/usr/bin/env python3
"""Issue 11: the welcome sweep does not hold the event loop. After an import
of many new members, the daemon queues their welcome messages one
transaction of 200 members per loop turn; signed webhooks sent meanwhile
are answered and stored while members are still waiting for their welcome
(before, one timer callback welcomed them all, and every webhook waited for
its end). Asserts on order and state only: no timing thresholds."""

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402

MEMBERS = int(os.environ.get("WELCOME_LOOP_MEMBERS", "30000"))
TW_TOKEN = "twilio-auth-token"
OURS = "+447700900000"

env = t.TestEnv("welcome-loop")
env.write_config({
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
    "email": {"transport": "file"},
    "membership": {"welcome_window": "30d"},
})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)
rc, out, err = env.ppgd("practice", "add", "A81001", "--name", "Riverside",
                        "--sms-from", OURS)
t.check_eq(rc, 0, "practice add: " + err)
DB = env.sections["daemon"]["database"]
now = int(time.time())
t.bulk_members(DB, MEMBERS, now)


def one(sql, *args):
    conn = sqlite3.connect(DB, timeout=10)
    try:
        row = conn.execute(sql, args).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def sms(sid):
    return t.twilio_sms(env.url, TW_TOKEN, OURS, sid)


def welcomed():
    return one("SELECT count(*) FROM welcomes")


with env.serve() as d:
    answers = []
    k = 0
    while welcomed() < MEMBERS and k < 500:
        k += 1
        sid = "SMwelcome%d" % k
        st = sms(sid)
        answers.append((st, welcomed() < MEMBERS,
                        one("SELECT count(*) FROM inbound WHERE"
                            " provider_msg_id = ?", sid)))
    during = [a for a in answers if a[1]]
    t.check(len(answers) > 0 and all(a[0] == 200 and a[2] == 1
                                     for a in answers),
            "every webhook sent during the sweep is answered 200 and stored"
            " (%d)" % len(answers))
    t.check(len(during) > 0,
            "webhooks are answered while members still wait for their"
            " welcome (%d of %d)" % (len(during), len(answers)))
    t.check(f.wait_for(lambda: welcomed() == MEMBERS, 120),
            "every member is welcomed")
    t.check_eq(one("SELECT count(*) FROM outbox"), MEMBERS,
               "one welcome message per member")

t.finish()
