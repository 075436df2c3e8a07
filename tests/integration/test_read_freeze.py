#!/usr/bin/env python3
"""Issue 10 fault 1: a read must not freeze the daemon's writes. Each admin
API read (results, members, campaigns...) is followed by a CLI write from
another process; the daemon must still send what that write queued. Before
the fix a single-row read in tally.c was left stepped, the daemon's
connection kept its old snapshot, and every later BEGIN IMMEDIATE failed
"database is locked" until a restart."""

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TOKEN = "rec-0123456789abcdefghij"
READS = ["/api/v1/results/fft", "/api/v1/results/fft?by=sex",
         "/api/v1/practices", "/api/v1/members?practice=A81001",
         "/api/v1/campaigns"]


def sent(env, campaign):
    con = sqlite3.connect(env.path("ppgd.db"))
    try:
        return con.execute(
            "SELECT count(*) FROM outbox o JOIN runs r ON r.id = o.run_id"
            " JOIN campaigns c ON c.id = r.campaign_id"
            " WHERE c.name = ? AND o.state = 'sent'", (campaign,)).fetchone()[0]
    finally:
        con.close()


def wait_sent(env, campaign, want, timeout=10):
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        if sent(env, campaign) >= want:
            return True
        time.sleep(0.1)
    return sent(env, campaign) >= want


def main():
    env = t.TestEnv()
    api_port = t.free_port()
    env.write_config({
        "api": {"listen": "127.0.0.1:%d" % api_port,
                "tokens_file": env.write_secret("tokens", "records %s\n" % TOKEN)},
        "campaign": {"frequency_cap": 0},
        "daemon": {"templates": os.path.join(t.TOP, "templates")}})
    api = "http://127.0.0.1:%d" % api_port
    for args in (["init"],
                 ["practice", "add", "A81001", "--name", "Riverside Surgery",
                  "--email-from", "ppg@riverside.example"],
                 ["survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml")],
                 ["member", "add", "--practice", "A81001", "--first-name", "Ann",
                  "--email", "ann@example.org", "--consent-email", "yes"]):
        rc, _, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%s)" % (" ".join(args[:2]), err.strip()))
    auth = {"Authorization": "Bearer " + TOKEN}
    with env.serve() as d:
        for i, path in enumerate(READS):
            st, _, _ = t.http_get(api + path, headers=auth)
            t.check(st in (200, 404), "GET %s answers (%d)" % (path, st))
            name = "after-read-%d" % i
            rc, _, err = env.ppgd("broadcast", "--practice", "A81001", "--template", "broadcast",
                                  "--name", name,
                                  "--message", "Flu clinic on Saturday.")
            t.check(rc == 0, "broadcast after GET %s (%s)" % (path, err.strip()))
            t.check(wait_sent(env, name, 1),
                    "the daemon sends a CLI broadcast after GET %s (log: %s)"
                    % (path, d.log))
        st, _, body = t.http_get(d.url + "/healthz")
        t.check_eq(st, 200, "healthz ok after the reads and writes")
    t.finish()


if __name__ == "__main__":
    main()
