#!/usr/bin/env python3
"""Issue 11: a fire is all-or-nothing to the outside and finishes after a
crash. `ppgd campaign send` commits its fire in slices of about 50 ms (so
webhooks interleave); it is SIGKILLed part-way. Until then nothing of the run
is sendable (its rows are held, the run is firing); `ppgd serve` started
afterwards finishes the fire from where it stopped and sends exactly one
message to every member."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402

MEMBERS = int(os.environ.get("CRASH_FIRE_MEMBERS", "20000"))


def one(env, sql, *args):
    rows = f.query(env, sql, *args)
    return list(rows[0].values())[0] if rows else None


def kill_mid_fire(env):
    """Start the CLI fire, SIGKILL it once some slices have committed; True
    if the kill came part-way."""
    p = subprocess.Popen([t.PPGD, "-c", env.conf, "campaign", "send", "X"],
                         cwd=env.dir, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)

    def some_rows():
        try:
            return (one(env, "SELECT count(*) FROM outbox") or 0) >= MEMBERS // 10
        except Exception:
            return False

    t.check(f.wait_for(some_rows, 120, step=0.005) or p.poll() is not None,
            "the fire commits rows while it runs")
    p.send_signal(signal.SIGKILL)
    p.wait()
    return p.returncode == -signal.SIGKILL


def main():
    env = f.new_env("crash-fire")
    f.import_members(env, MEMBERS)
    f.campaign(env, "X", send=False)
    midway = kill_mid_fire(env)
    made = one(env, "SELECT count(*) FROM outbox")
    print("killed the fire with %d of %d rows made" % (made, MEMBERS), flush=True)
    t.check(midway and 0 < made < MEMBERS,
            "the kill came part-way through the fire (%d rows)" % made)
    t.check_eq(one(env, "SELECT firing FROM runs"), 1, "the run is still firing")
    t.check_eq(f.states(env), {"held": made},
               "nothing of a firing run is sendable: every row held")
    t.check_eq(one(env, "SELECT count(*) FROM outbox WHERE held_reason <> 'firing'"),
               0, "held because the run is firing")

    d = f.serve(env)
    t.check(f.wait_for(lambda: f.all_sent(env, MEMBERS), 120),
            "ppgd serve finishes the fire and sends it all (%s)" % f.states(env))
    d.stop()
    t.check_eq(one(env, "SELECT count(*) FROM outbox"), MEMBERS,
               "one row a member, none twice")
    t.check_eq(one(env, "SELECT count(DISTINCT member_id) FROM outbox"), MEMBERS,
               "every member has their row")
    t.check_eq(one(env, "SELECT firing FROM runs"), 0, "the run is fired")
    t.check_eq(one(env, "SELECT messages FROM runs"), MEMBERS, "its count is final")
    t.check_eq(one(env, "SELECT count(*) FROM runs"), 1, "one run")
    t.check(f.log_lines(d, r"event=fire_resume campaign=\"X\""),
            "the daemon logs the resume")
    t.finish()


if __name__ == "__main__":
    main()
