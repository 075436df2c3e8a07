#!/usr/bin/env python3
"""SIGKILL of `ppgd serve` in the middle of a campaign; after a restart
nothing is lost and at most the rows in flight are sent twice.

smtp (10,000 members): an email broadcast to the SMTP stub, which keeps every
  message; the daemon is killed once some rows are sent. The rows the stub
  had at that moment and the database did not say were sent (the sends in
  flight and the outcomes not yet written; `sending` is in memory only) are
  the only ones that may be sent again. After the restart every row is sent,
  every member got a message, and the duplicates (messages beyond one per
  outbox row) are at most that number, which is at most what the dispatcher
  keeps unwritten (sessions in flight and a batch of outcomes).
file (5,000 members): the same with the file transport, killed twice; it
  names each .eml by outbox id (a repeat replaces the file), so duplicates
  cannot be seen: after the restarts every row is sent and has one complete
  .eml in the spool.
"""

import email
import email.policy
import glob
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402

SMTP_MEMBERS = int(os.environ.get("CRASH_MEMBERS", "10000"))
FILE_MEMBERS = int(os.environ.get("CRASH_FILE_MEMBERS", "5000"))


def kill_midway(env, d, n, at_least):
    """Wait until at least `at_least` rows are sent, SIGKILL the daemon and
    return the outbox states at that moment."""
    # A short step: the file transport sends thousands a second.
    t.check(f.wait_for(lambda: f.states(env).get("sent", 0) >= at_least, 60,
                       step=0.005),
            "some rows are sent before the kill")
    d.signal(signal.SIGKILL)
    d.proc.wait()
    d.stop()
    t.check_eq(d.returncode, -signal.SIGKILL, "ppgd serve died of SIGKILL")
    return f.states(env)


def crash_smtp():
    stub = f.FastSmtpStub().start()
    try:
        env = f.new_env("crash-smtp", {
            "email": {"transport": "smtp"},
            "smtp": {"host": "127.0.0.1", "port": stub.port, "starttls": "off",
                     "rate": 100000, "burst": 100000, "sessions": 4,
                     "per_session": 100}})
        f.import_members(env, SMTP_MEMBERS)
        n = f.campaign(env, "X")
        t.check_eq(n, SMTP_MEMBERS, "smtp: one outbox row a member")
        t0 = time.monotonic()
        d = f.serve(env)
        at_kill = kill_midway(env, d, n, n // 4)
        # Let the stub take what was written before the kill.
        time.sleep(0.3)
        had = {f.outbox_id(m.data) for m in list(stub.messages)}
        sent = {r["id"] for r in f.query(env, "SELECT id FROM outbox"
                                              " WHERE state = 'sent'")}
        t.check(sent <= had, "smtp: every row marked sent reached the stub "
                "(%d did not)" % len(sent - had))
        inflight = len(had - sent)
        print("smtp: killed with %s; the stub had %d rows' messages; not yet"
              " recorded as sent at the kill: %d" % (at_kill, len(had),
                                                     inflight), flush=True)
        # 4 sessions in flight, up to 512 outcomes waiting to be written.
        t.check(inflight <= 4 + 512, "smtp: at most the sends in flight and "
                "one batch of outcomes were unwritten at the kill (%d)"
                % inflight)
        t.check(at_kill.get("pending", 0) > 0, "smtp: the kill came part-way "
                "(pending rows left: %d)" % at_kill.get("pending", 0))
        d2 = f.serve(env)
        t.check(f.wait_for(lambda: f.all_sent(env, n), 60),
                "smtp: every row sent after the restart (%s)" % f.states(env))
        d2.stop()
        print("smtp: %d rows sent in %.1f s across the crash"
              % (n, time.monotonic() - t0), flush=True)
        stub.wait_messages(n, 5)
        check_smtp_messages(env, stub, n, inflight)
    finally:
        stub.stop()


def check_smtp_messages(env, stub, n, inflight):
    msgs = list(stub.messages)
    ids = {}
    for m in msgs:
        oid = f.outbox_id(m.data)
        ids[oid] = ids.get(oid, 0) + 1
    rows = f.query(env, "SELECT o.id, m.email FROM outbox o JOIN members m"
                        " ON m.id = o.member_id")
    want = {r["id"]: r["email"] for r in rows}
    missing = [i for i in want if i not in ids]
    stray = [i for i in ids if i not in want]
    dups = sum(c - 1 for c in ids.values())
    t.check(not missing, "smtp: every outbox row reached the server "
            "(%d missing, e.g. %s)" % (len(missing), missing[:5]))
    t.check(not stray, "smtp: every message is an outbox row (%s)" % stray[:5])
    by_rcpt = {}
    for m in msgs:
        for r in m.rcpt_to:
            by_rcpt[r] = by_rcpt.get(r, 0) + 1
    unreached = [e for e in want.values() if e not in by_rcpt]
    t.check(not unreached, "smtp: every member received at least one message "
            "(%d did not)" % len(unreached))
    print("smtp: %d messages for %d rows; duplicates %d; in flight at the "
          "kill %d" % (len(msgs), n, dups, inflight), flush=True)
    t.check(dups <= inflight, "smtp: duplicates (%d) <= rows the stub had and"
            " the database did not say sent at the kill (%d)"
            % (dups, inflight))


def crash_file():
    env = f.new_env("crash-file")
    f.import_members(env, FILE_MEMBERS)
    n = f.campaign(env, "F")
    t.check_eq(n, FILE_MEMBERS, "file: one outbox row a member")
    for share in (5, 2):  # kill at 1/5 sent, then again at 1/2
        d = f.serve(env)
        at_kill = kill_midway(env, d, n, n // share)
        print("file: killed with %s" % at_kill, flush=True)
        t.check(at_kill.get("pending", 0) > 0, "file: the kill came part-way "
                "(pending rows left: %d)" % at_kill.get("pending", 0))
    d = f.serve(env)
    t.check(f.wait_for(lambda: f.all_sent(env, n), 60),
            "file: every row sent after the restarts (%s)" % f.states(env))
    swept = 0
    for log in glob.glob(env.path("serve.*.log")):
        with open(log, errors="replace") as fh:
            swept += fh.read().count("event=spool_sweep")
    d.stop()
    spool = os.path.join(env.email_spool, "email")
    names = os.listdir(spool)
    emls = {int(x[:-4]) for x in names if x.endswith(".eml")}
    # A kill inside a write leaves its temporary file (ID.eml.tmp.PID), never
    # a partial .eml; the next start removes it.
    temps = [x for x in names if not x.endswith(".eml")]
    t.check(not temps, "file: only .eml files in the spool (%s)" % temps[:5])
    ids = {r["id"] for r in f.query(env, "SELECT id FROM outbox")}
    t.check_eq(emls, ids, "file: one .eml for each outbox row")
    bad = 0
    for path in glob.glob(os.path.join(spool, "*.eml")):
        with open(path, "rb") as fh:
            data = fh.read()
        msg = email.message_from_bytes(data, policy=email.policy.default)
        if (f.outbox_id(data) != int(os.path.basename(path)[:-4])
                or not data.rstrip().endswith(b"--")
                or msg.get_body(("plain",)) is None):
            bad += 1
    t.check_eq(bad, 0, "file: every .eml is whole and names its own row")
    print("file: %d rows, %d .eml files, %d temporary files swept"
          % (n, len(emls), swept), flush=True)


if __name__ == "__main__":
    crash_smtp()
    crash_file()
    t.finish()
