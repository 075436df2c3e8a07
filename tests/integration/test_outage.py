#!/usr/bin/env python3
"""Provider outages: messages wait, go out when the provider returns, and the
daemon does not spin while it waits.

smtp: the SMTP server is down when the daemon starts and for a while after;
  a 100-email campaign stays pending with the reason (code `session`, the
  connection error), retried with backoff; the daemon's CPU time over 5 s of
  waiting stays under 0.5 s; once the server listens every row is sent,
  each exactly once.
sms: the Twilio stand-in answers 500 for a while; a 100-SMS campaign stays
  pending with code http_500; the same CPU bound; once it answers 201 every row
  is sent, each accepted once.
[dispatch] backoff = 1s, backoff_max = 2s keep the retries frequent.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402
import smsstub  # noqa: E402

WAIT = 5.0          # seconds of outage measured
CPU_BOUND = 0.5     # CPU seconds allowed over WAIT

# The numbers the Twilio stand-in accepted (answered 201), in order.
accepted = []
_twilio_ok = smsstub.StubHandler._twilio_ok


def _keep_to(self, sid, form):
    status, obj = _twilio_ok(self, sid, form)
    accepted.append(form.get("To"))
    return status, obj


smsstub.StubHandler._twilio_ok = _keep_to


def waiting(env, n, code):
    """True once all n rows were tried, none left pending/sending, and the
    pending ones keep the provider's code."""
    r = f.query(env, "SELECT sum(attempts >= 1) AS tried,"
                     " sum(state IN ('pending','sending')) AS waiting,"
                     " sum(state = 'pending' AND error_code = ?) AS coded,"
                     " sum(state = 'pending') AS pending FROM outbox", code)[0]
    return r["tried"] == n and r["waiting"] == n and r["coded"] == r["pending"] > 0


def measure_wait(name, env, d, n, code, tries):
    """Check the rows wait while the provider is out, without a busy loop."""
    t.check(f.wait_for(lambda: waiting(env, n, code), 20),
            "%s: every row tried and waiting, pending with code %s (%s)"
            % (name, code, f.states(env)))
    cpu0, tries0, t0 = f.cpu_seconds(d.proc.pid), tries(), time.monotonic()
    time.sleep(WAIT)
    cpu = f.cpu_seconds(d.proc.pid) - cpu0
    took = time.monotonic() - t0
    retried = tries() - tries0
    st = f.states(env)
    print("%s: outage of %.1f s: daemon CPU %.2f s, %d provider attempts, "
          "outbox %s" % (name, took, cpu, retried, st), flush=True)
    t.check(cpu < CPU_BOUND, "%s: no busy loop while waiting (%.2f s CPU in "
            "%.1f s)" % (name, cpu, took))
    t.check(retried >= 1, "%s: retried during the outage (%d attempts)"
            % (name, retried))
    t.check(set(st) <= {"pending", "sending"} and sum(st.values()) == n,
            "%s: nothing sent or failed while down (%s)" % (name, st))
    row = f.query(env, "SELECT error_text FROM outbox WHERE state='pending'"
                       " ORDER BY id LIMIT 1")[0]
    t.check(bool(row["error_text"]), "%s: the reason is kept (%r)"
            % (name, row["error_text"]))


def smtp_outage():
    stub = f.FastSmtpStub(mode="down").start()
    try:
        env = f.new_env("outage-smtp", {
            "email": {"transport": "smtp"},
            "smtp": {"host": "127.0.0.1", "port": stub.port, "starttls": "off",
                     "rate": 1000, "burst": 1000}})
        f.import_members(env, 100)
        n = f.campaign(env, "X")
        t.check_eq(n, 100, "smtp: 100 rows")
        d = f.serve(env)
        logged = lambda: f.log_lines(d, r"event=smtp_session .*error=")  # noqa: E731
        measure_wait("smtp", env, d, n, "session", lambda: len(logged()))
        t.check(logged(), "smtp: the daemon logs the failed sessions")
        stub.set_mode("accept")
        t0 = time.monotonic()
        t.check(f.wait_for(lambda: f.all_sent(env, n), 30),
                "smtp: every row sent once the server is up (%s)" % f.states(env))
        print("smtp: all %d sent %.1f s after the server came up"
              % (n, time.monotonic() - t0), flush=True)
        stub.wait_messages(n, 5)
        ids = [f.outbox_id(m.data) for m in stub.messages]
        t.check_eq(len(ids), n, "smtp: one message a row")
        t.check_eq(len(set(ids)), n, "smtp: no row sent twice")
        t.check_eq(d.stop(), 0, "smtp: ppgd stops cleanly")
    finally:
        stub.stop()


def sms_outage():
    stub = smsstub.SmsStub(mode="500").start()
    try:
        env = f.new_env("outage-sms", {
            "sms": {"transport": "twilio"},
            "twilio": {"api_base": stub.url, "account_sid": stub.twilio_sid,
                       "rate": 1000, "burst": 1000, "concurrency": 8}})
        env.write_config({"twilio": {"auth_token_file": env.write_secret(
            "twilio", stub.twilio_token)}})
        f.import_members(env, 100, channel="sms")
        n = f.campaign(env, "S", channel="sms")
        t.check_eq(n, 100, "sms: 100 rows")
        d = f.serve(env)
        measure_wait("sms", env, d, n, "http_500", lambda: len(stub.requests))
        t.check_eq(accepted, [], "sms: nothing accepted during the outage")
        stub.set_mode("ok")
        t0 = time.monotonic()
        t.check(f.wait_for(lambda: f.all_sent(env, n), 30),
                "sms: every row sent once the provider is back (%s)" % f.states(env))
        print("sms: all %d sent %.1f s after the provider came back"
              % (n, time.monotonic() - t0), flush=True)
        to = list(accepted)
        t.check_eq(len(to), n, "sms: one accepted request a row")
        t.check_eq(len(set(to)), n, "sms: no number texted twice")
        sids = f.query(env, "SELECT count(DISTINCT provider_id) AS n FROM outbox"
                            " WHERE provider_id LIKE 'SM%'")[0]["n"]
        t.check_eq(sids, n, "sms: each row keeps its own Twilio sid")
        t.check_eq(d.stop(), 0, "sms: ppgd stops cleanly")
    finally:
        stub.stop()


if __name__ == "__main__":
    smtp_outage()
    sms_outage()
    t.finish()
