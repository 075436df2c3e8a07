#!/usr/bin/env python3
"""`make soak`: mixed load against one `ppgd serve` for SOAK_SECONDS (600).

Load, all at once:
  sending     every 15 s a broadcast fired by the CLI, alternately to 300
              email members (file transport; the soak deletes what is
              delivered, as a mail pickup would) and 100 SMS members (the
              Twilio stand-in, smsstub.py)
  webhooks    ~20 signed Twilio inbound texts a second (when the route
              exists), each with its own MessageSid, over keep-alive
  web survey  ~5 GETs a second of /s/TOKEN (tokens from a survey campaign's
              emails), and now and then a POST that answers one
  status      /healthz and /metrics every second
Every 10 s: VmRSS and the open fd count of the daemon.

Fails if: the daemon dies or answers a request with an unexpected status;
memory grows with time (after a warm-up of a tenth of the run, the average
RSS of the last third is above the first third's by > 20% AND > 5 MB); the
fds grow (the smallest count of the last third is above the largest of the
first third by more than 3); or rows are left unsent at the end.

SOAK_SECONDS overrides the duration; PPGD is the binary (default ./ppgd).
"""

import email
import email.policy
import glob
import http.client
import os
import random
import re
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402
import smsstub  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
SAMPLE = min(10.0, max(1.0, SECONDS / 30))
TOKEN = "soak-twilio-token"
EMAIL_MEMBERS, SMS_MEMBERS = 300, 100
SMS_BASE = 100000  # SMS members' numbers: mobile(SMS_BASE + i)


class Load:
    """Counters shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.bad = []
        self.stop = threading.Event()

    def count(self, what, status, ok):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1
            if not ok and len(self.bad) < 20:
                self.bad.append((what, status))
            elif not ok:
                self.bad.append(None)


class Conn:
    """A keep-alive HTTP/1.1 connection that reconnects when closed."""

    def __init__(self, port):
        self.port, self.c = port, None

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection("127.0.0.1", self.port,
                                                        timeout=30)
                self.c.request(method, path, body, headers or {})
                r = self.c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close()
                    self.c = None
                return r.status, data
            except (OSError, http.client.HTTPException):
                if self.c is not None:
                    self.c.close()
                self.c = None
                if attempt:
                    return None, b""
        return None, b""


def every(load, period, fn):
    """Run fn every period seconds until the load stops."""
    nxt = time.monotonic()
    while not load.stop.is_set():
        fn()
        nxt += period
        load.stop.wait(max(0.0, nxt - time.monotonic()))


def webhooks(env, d, load, rate):
    conn, seq = Conn(env.port), [0]
    url = env.url + "/webhooks/twilio/sms"

    def one():
        seq[0] += 1
        i = seq[0]
        form = {"MessageSid": "SMsoak%08d" % i, "AccountSid": "AC" + "0" * 32,
                "From": "+44" + f.mobile(SMS_BASE + i % SMS_MEMBERS)[1:],
                "To": "PPGTEST", "Body": "soak comment %d" % i}
        sig = t.twilio_sign(url, form, TOKEN)
        st, _ = conn.request("POST", "/webhooks/twilio/sms",
                             urllib.parse.urlencode(form),
                             {"Content-Type": "application/x-www-form-urlencoded",
                              "X-Twilio-Signature": sig})
        load.count("webhook", st, st == 200)
    every(load, 1.0 / rate, one)


def survey(env, load, tokens, rate):
    conn, rnd = Conn(env.port), random.Random(7)

    def one():
        tok = rnd.choice(tokens)
        if rnd.random() < 0.05:
            st, _ = conn.request("POST", "/s/" + tok, "experience=1",
                                 {"Content-Type": "application/x-www-form-urlencoded",
                                  "Origin": env.url})
            load.count("survey_post", st, st == 200)
        else:
            st, _ = conn.request("GET", "/s/" + tok)
            load.count("survey_get", st, st == 200)
    every(load, 1.0 / rate, one)


def status(env, load):
    conn = Conn(env.port)

    def one():
        for path in ("/healthz", "/metrics"):
            st, _ = conn.request("GET", path)
            load.count(path, st, st == 200)
    every(load, 1.0, one)


def sending(env, load, sms):
    n = [0]

    def one():
        n[0] += 1
        channel = "sms" if n[0] % 2 == 0 else "email"
        name = "soak%04d" % n[0]
        made = f.campaign(env, name, channel=channel, message="soak %d" % n[0])
        load.count("campaign_" + channel, made, made > 0)
        for p in glob.glob(os.path.join(env.email_spool, "email", "*.eml")):
            os.unlink(p)  # picked up
        sms.clear()
    every(load, 15.0, one)


def survey_tokens(env):
    """Fire a survey campaign to the email members; the /s/ tokens it sent."""
    rc, _, err = env.ppgd("survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml"))
    t.check(rc == 0, "survey load fft (%s)" % err.strip())
    rc, _, err = env.ppgd("campaign", "add", "fft", "--practice", f.PRACTICE,
                          "--kind", "survey", "--survey", "fft", "--channels", "email")
    t.check(rc == 0, "campaign add fft (%s)" % err.strip())
    rc, _, err = env.ppgd("campaign", "send", "fft")
    t.check(rc == 0, "campaign send fft (%s)" % err.strip())


def read_tokens(env):
    tokens = set()
    for p in glob.glob(os.path.join(env.email_spool, "email", "*.eml")):
        with open(p, "rb") as fh:
            msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
        body = msg.get_body(("plain",))
        if body is not None:
            tokens.update(re.findall(r"/s/([A-Za-z0-9_-]{10,})", body.get_content()))
    return sorted(tokens)


def sample(d, samples, t0):
    pid = d.proc.pid
    s = (time.monotonic() - t0, f.rss_kb(pid), f.fd_count(pid))
    samples.append(s)
    print("soak: t=%4.0f s  rss=%6d kB  fds=%3d" % s, flush=True)


def judge(samples):
    warm = [s for s in samples if s[0] >= SECONDS / 10] or samples
    k = max(1, len(warm) // 3)
    first, last = warm[:k], warm[-k:]
    rss0 = sum(s[1] for s in first) / len(first)
    rss1 = sum(s[1] for s in last) / len(last)
    grew = rss1 - rss0
    print("soak: RSS start %d kB, end %d kB; first third avg %.0f kB, last "
          "third avg %.0f kB (%+.0f kB, %+.1f%%)"
          % (samples[0][1], samples[-1][1], rss0, rss1, grew,
             100.0 * grew / rss0), flush=True)
    print("soak: fds start %d, end %d; first third max %d, last third min %d"
          % (samples[0][2], samples[-1][2], max(s[2] for s in first),
             min(s[2] for s in last)), flush=True)
    t.check(not (grew > 0.2 * rss0 and grew > 5 * 1024),
            "memory does not grow with time (%+.0f kB)" % grew)
    t.check(min(s[2] for s in last) <= max(s[2] for s in first) + 3,
            "open fds do not grow with time")


def main():
    # One auth token signs our API calls and the webhooks Twilio sends us.
    sms = smsstub.SmsStub(twilio_token=TOKEN).start()
    try:
        env = f.new_env("soak", {
            "sms": {"transport": "twilio"},
            "twilio": {"api_base": sms.url, "account_sid": sms.twilio_sid,
                       "rate": 200, "burst": 50}})
        env.write_config({"twilio": {"auth_token_file": env.write_secret(
            "twilio", TOKEN)}})
        f.import_members(env, EMAIL_MEMBERS)
        f.import_members(env, SMS_MEMBERS, channel="sms", first=SMS_BASE)
        survey_tokens(env)
        d = f.serve(env)
        t.check(f.wait_for(lambda: not ({"pending", "sending"} & set(f.states(env))), 60),
                "the survey invitations are delivered")
        tokens = read_tokens(env)
        t.check(len(tokens) >= EMAIL_MEMBERS // 2, "survey tokens from the "
                "delivered emails (%d)" % len(tokens))
        hooks = t.http_post(d.url + "/webhooks/twilio/sms", {"x": "1"})[0] != 404
        web = tokens and t.http_get(d.url + "/s/" + tokens[0])[0] != 404
        print("soak: %.0f s; webhooks %s, web survey %s; sampling every %.0f s"
              % (SECONDS, "on" if hooks else "SKIP (no route)",
                 "on" if web else "SKIP (no route)", SAMPLE), flush=True)
        run(env, d, sms, hooks, web, tokens)
    finally:
        sms.stop()


def run(env, d, sms, hooks, web, tokens):
    load, samples = Load(), []
    threads = [threading.Thread(target=status, args=(env, load)),
               threading.Thread(target=sending, args=(env, load, sms))]
    if hooks:
        threads.append(threading.Thread(target=webhooks, args=(env, d, load, 20)))
    if web:
        threads.append(threading.Thread(target=survey, args=(env, load, tokens, 5)))
    t0 = time.monotonic()
    for th in threads:
        th.daemon = True
        th.start()
    while time.monotonic() - t0 < SECONDS and d.running():
        sample(d, samples, t0)
        time.sleep(max(0.0, SAMPLE - (time.monotonic() - t0) % SAMPLE))
    t.check(d.running(), "the daemon ran for the whole soak")
    sample(d, samples, t0)
    load.stop.set()
    for th in threads:
        th.join(120)
    print("soak: requests %s" % sorted(load.counts.items()), flush=True)
    t.check(not load.bad, "every request answered as expected (%s)" % load.bad[:10])
    t.check(f.wait_for(lambda: not ({"pending", "sending"} & set(f.states(env))), 60),
            "every message sent at the end (%s)" % f.states(env))
    judge(samples)
    t.check_eq(d.stop(), 0, "ppgd stops cleanly")


if __name__ == "__main__":
    main()
    t.finish()
