#!/usr/bin/env python3
"""Issue 10: /healthz reports the write path. While another process holds
the database's write lock and messages are due, nothing can commit: after
[daemon] write_stall /healthz answers 503 "degraded" (writes "failing" or
"stalled"); once the lock is gone the messages go and /healthz is 200 again.
Before, /healthz said ok while every write failed."""

import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402


def health(d):
    try:
        st, _, body = t.http_get(d.url + "/healthz", timeout=2)
    except OSError:  # not listening yet
        return 0, None
    try:
        return st, json.loads(body)
    except ValueError:
        return st, None


def sent(env):
    con = sqlite3.connect(env.path("ppgd.db"))
    try:
        return con.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    finally:
        con.close()


def wait(fn, timeout):
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def main():
    env = t.TestEnv()
    env.write_config({"campaign": {"frequency_cap": 0},
                      "daemon": {"templates": os.path.join(t.TOP, "templates"),
                                 "write_stall": "1s"}})
    for args in (["init"],
                 ["practice", "add", "A81001", "--name", "Riverside Surgery",
                  "--email-from", "ppg@riverside.example"],
                 ["member", "add", "--practice", "A81001", "--first-name", "Ann",
                  "--email", "ann@example.org", "--consent-email", "yes"],
                 ["broadcast", "--practice", "A81001", "--template", "broadcast",
                  "--message", "Flu clinic Saturday."]):
        rc, _, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%s)" % (" ".join(args[:2]), err.strip()))
    lock = sqlite3.connect(env.path("ppgd.db"), isolation_level=None, timeout=10)
    lock.execute("BEGIN IMMEDIATE")
    d = env.serve(wait=False)
    st, doc = wait(lambda: (lambda r: r if r[0] == 503 else None)(health(d))
                   if d.running() else (0, None), 10) or (0, None)
    t.check_eq(st, 503, "healthz answers 503 while nothing can commit")
    t.check(doc is not None and doc.get("status") == "degraded"
            and doc.get("writes") in ("failing", "stalled"),
            "healthz says degraded and why (%r)" % doc)
    t.check_eq(sent(env), 0, "nothing was sent under the lock")
    lock.execute("ROLLBACK")
    lock.close()
    t.check(wait(lambda: sent(env) == 1, 10), "the message goes once the lock is gone")
    st, doc = wait(lambda: (lambda r: r if r[0] == 200 else None)(health(d)), 10) or (0, None)
    t.check(st == 200 and doc.get("writes") == "ok",
            "healthz is ok again (%d %r)" % (st, doc))
    t.check_eq(d.stop(), 0, "ppgd stops cleanly")
    t.finish()


if __name__ == "__main__":
    main()
