#!/usr/bin/env python3
"""SIGHUP with a changed configuration while a campaign is sending.

A 1,500-email campaign goes to SMTP stub A at [smtp] rate = 50/s. Part-way,
a broken configuration and SIGHUP: refused, logged, the running settings
kept, sending goes on. Then the configuration names stub B and rate = 500/s,
and SIGHUP: the daemon logs the reload, new sessions go to B, the rate rises
(B's messages/s at least 3x A's), and across A and B every outbox row was
sent exactly once: nothing lost, nothing doubled.
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402

N = 1500
OLD_RATE, NEW_RATE = 50, 500


def rate(msgs):
    """Messages per second over the span of their arrival times."""
    if len(msgs) < 2:
        return 0.0
    span = msgs[-1].received - msgs[0].received
    return (len(msgs) - 1) / span if span > 0 else float("inf")


def main():
    a, b = f.FastSmtpStub().start(), f.FastSmtpStub().start()
    try:
        env = f.new_env("reload", {
            "email": {"transport": "smtp"},
            "smtp": {"host": "127.0.0.1", "port": a.port, "starttls": "off",
                     "rate": OLD_RATE, "burst": 10, "sessions": 2,
                     "per_session": 20}})
        f.import_members(env, N)
        n = f.campaign(env, "R")
        t.check_eq(n, N, "one row a member")
        d = f.serve(env)
        t.check(a.wait_messages(60, 20), "stub A receives the first messages")

        # A broken configuration is refused; the old one keeps sending.
        with open(env.conf) as fh:
            good = fh.read()
        with open(env.conf, "w") as fh:
            fh.write(good.replace("rate = %d" % OLD_RATE, "rate = fast"))
        before = len(a.messages)
        d.signal(signal.SIGHUP)
        t.check(f.wait_for(lambda: f.log_lines(d, r"event=reload_refused"), 10),
                "a broken configuration is refused and logged")
        t.check(a.wait_messages(before + 50, 10),
                "sending to A goes on after the refused reload")

        env.write_config({"smtp": {"port": b.port, "rate": NEW_RATE,
                                   "burst": 50}})
        at_hup = len(a.messages)
        d.signal(signal.SIGHUP)
        t.check(f.wait_for(lambda: f.log_lines(
            d, r"event=smtp_reload server=127.0.0.1:%d\b" % b.port), 10),
            "the reload names the new server")
        t.check(f.log_lines(d, r"event=reloaded"), "the daemon logs the reload")
        t.check(f.wait_for(lambda: f.all_sent(env, n), 40),
                "every row sent after the reload (%s)" % f.states(env))
        t.check(d.running(), "the daemon kept running")
        t.check_eq(d.stop(), 0, "ppgd stops cleanly")
        check_messages(env, a, b, n, at_hup)
    finally:
        a.stop()
        b.stop()


def check_messages(env, a, b, n, at_hup):
    ma, mb = list(a.messages), list(b.messages)
    ids = [f.outbox_id(m.data) for m in ma + mb]
    rows = {r["id"] for r in f.query(env, "SELECT id FROM outbox")}
    dups = len(ids) - len(set(ids))
    print("reload: %d messages to A (%d before the SIGHUP), %d to B; %d rows; "
          "duplicates %d" % (len(ma), at_hup, len(mb), n, dups), flush=True)
    t.check_eq(set(ids), rows, "every row reached A or B")
    t.check_eq(dups, 0, "no message sent twice across the reload")
    t.check(len(mb) > n // 2, "most rows went to B after the reload (%d)" % len(mb))
    t.check(len(ma) < n // 2, "A got only what was sent before (%d)" % len(ma))
    # A session already running at the SIGHUP may finish on A.
    late = [m for m in ma if m.received > (mb[0].received if mb else 0)]
    t.check(len(late) <= 20, "A gets at most one session's worth after B "
            "starts (%d)" % len(late))
    ra, rb = rate(ma[:at_hup]), rate(mb)
    print("reload: rate before %.0f/s (limit %d), after %.0f/s (limit %d)"
          % (ra, OLD_RATE, rb, NEW_RATE), flush=True)
    t.check(ra <= OLD_RATE * 1.5, "the old rate limit held (%.0f/s)" % ra)
    t.check(rb >= 3 * ra, "the new rate limit took effect (%.0f/s vs %.0f/s)"
            % (rb, ra))


if __name__ == "__main__":
    main()
    t.finish()
