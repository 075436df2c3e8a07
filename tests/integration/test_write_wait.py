#!/usr/bin/env python3
"""Webhooks wait for the database write lock instead of refusing: while
another process holds it (as a CLI import does), a signed webhook is stored
and answered 200 once the lock is free, within [http] write_wait; past it,
503. The wait never blocks the loop (/healthz answers meanwhile). A CLI
import commits in short slices, so webhooks interleave with it."""

import hashlib
import os
import secrets
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"
OURS = "+447700900000"

env = t.TestEnv("write-wait")
API_PORT = t.free_port()
API_TOKEN = "rec-0123456789abcdefghij"
env.write_config({
    "http": {"write_wait": "2s"},
    "api": {"listen": "127.0.0.1:%d" % API_PORT,
            "tokens_file": env.write_secret("api-tokens",
                                            "records %s\n" % API_TOKEN)},
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)
rc, out, err = env.ppgd("practice", "add", "A81001", "--name", "Riverside",
                        "--sms-from", OURS)
t.check_eq(rc, 0, "practice add: " + err)
DB = env.sections["daemon"]["database"]


def sms(sid):
    url = env.url + "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": "+447700900123", "To": OURS,
              "Body": "hello", "AccountSid": "AC1"}
    sig = t.twilio_sign(url, params, TW_TOKEN)
    start = time.monotonic()
    st, _, _ = t.http_post(url, params, headers={"X-Twilio-Signature": sig},
                           timeout=20)
    return st, time.monotonic() - start


def stored(sid):
    c = sqlite3.connect(DB, timeout=10)
    n = c.execute("SELECT count(*) FROM inbound WHERE provider_msg_id = ?",
                  (sid,)).fetchone()[0]
    c.close()
    return n


def hold_lock(seconds, ready):
    """Another process's write transaction, held for seconds."""
    c = sqlite3.connect(DB, timeout=10, isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    ready.set()
    time.sleep(seconds)
    c.execute("COMMIT")
    c.close()


def with_lock(seconds, fn):
    ready = threading.Event()
    th = threading.Thread(target=hold_lock, args=(seconds, ready))
    th.start()
    ready.wait(5)
    try:
        return fn()
    finally:
        th.join()


with env.serve() as d:
    st, _ = sms("SMwarm")
    t.check_eq(st, 200, "a webhook with the database free: 200")

    # The lock is held for 1 s: the webhook waits and is stored (it was
    # answered 503 after 250 ms).
    results = {}

    def during():
        th = threading.Thread(target=lambda: results.update(hook=sms("SMwait")))
        th.start()
        time.sleep(0.3)
        start = time.monotonic()
        results["healthz"] = t.http_get(d.url + "/healthz", timeout=5)[0]
        results["healthz_s"] = time.monotonic() - start
        th.join()

    with_lock(1.0, during)
    st, took = results["hook"]
    t.check_eq(st, 200, "a webhook waits for a held write lock, then 200")
    t.check(took >= 0.5, "... it did wait for the lock (%.2f s)" % took)
    t.check_eq(stored("SMwait"), 1, "... and it is stored once")
    t.check_eq(results["healthz"], 200, "/healthz answers while a webhook "
               "waits for the lock (the loop is not blocked)")

    # An RFC 8058 one-click unsubscribe waits the same way.
    tok = secrets.token_urlsafe(16)
    c = sqlite3.connect(DB, timeout=10)
    with c:
        mid = c.execute("INSERT INTO members (practice_id, first_name, email,"
                        " joined_at, created_at, updated_at) VALUES (1, 'Ann',"
                        " 'ann@example.org', 0, 0, 0)").lastrowid
        c.execute("INSERT INTO tokens (hash, kind, member_id, created_at)"
                  " VALUES (?, 'unsubscribe', ?, 0)",
                  (hashlib.sha256(tok.encode()).hexdigest(), mid))
    c.close()
    st = with_lock(1.0, lambda: t.http_post(
        env.url + "/u/" + tok, b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10)[0])
    t.check_eq(st, 200, "a one-click unsubscribe waits for the lock, then 200")
    c = sqlite3.connect(DB, timeout=10)
    t.check(c.execute("SELECT optout_email_at FROM members WHERE id=?",
                      (mid,)).fetchone()[0] is not None,
            "... and the opt-out is stored")
    c.close()

    # So does a member added through the admin API.
    st = with_lock(1.0, lambda: t.http_post(
        "http://127.0.0.1:%d/api/v1/members" % API_PORT,
        headers={"Authorization": "Bearer " + API_TOKEN},
        json_body={"practice": "A81001", "first_name": "Zeb",
                   "email": "zeb@example.org"}, timeout=10)[0])
    t.check_eq(st, 201, "an API write waits for the lock, then 201")

    # Held past write_wait (2 s): 503, nothing stored.
    st, took = with_lock(3.5, lambda: sms("SMlate"))
    t.check_eq(st, 503, "past [http] write_wait, 503")
    t.check(took < 3.4, "... answered at write_wait, before the lock was "
            "free (%.2f s)" % took)
    t.check_eq(stored("SMlate"), 0, "... and nothing is stored")

    # A CLI import of many rows runs beside a stream of webhooks: each is
    # answered 200 (the import commits in short slices).
    path = env.path("big.csv")
    with open(path, "w") as f:
        f.write("first_name,email\n")
        for i in range(200000):
            f.write("M%d,m%d@example.org\n" % (i, i))
    codes = []
    imp = {}

    def run_import():
        imp["rc"] = env.ppgd("member", "import", path, "--practice", "A81001",
                             timeout=300)

    th = threading.Thread(target=run_import)
    th.start()
    i = 0
    while th.is_alive() and i < 400:
        codes.append(sms("SMimp%d" % i)[0])
        i += 1
        time.sleep(0.02)
    th.join()
    t.check_eq(imp["rc"][0], 0, "the import succeeds: %s" % imp["rc"][2][-300:])
    t.check(len(codes) >= 10, "webhooks were sent during the import (%d)"
            % len(codes))
    t.check_eq([c for c in codes if c != 200], [],
               "every webhook during the import answered 200")
    c = sqlite3.connect(DB)
    t.check_eq(c.execute("SELECT count(*) FROM members WHERE first_name LIKE 'M%'").fetchone()[0], 200000,
               "every row imported")
    c.close()

t.finish()
