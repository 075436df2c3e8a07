#!/usr/bin/env python3
"""SIGKILL of `ppgd serve` during a burst of 1,000 inbound SMS webhooks.

16 clients post 1,000 signed Twilio inbound texts (each its own MessageSid,
from members' numbers) over keep-alive connections; the daemon is killed
once about 300 have been answered 200. A 200 is sent only after the commit,
so every acknowledged text must be in the `inbound` table after the kill.
The requests in flight at the kill (sent, not answered) are the only ones
that may be stored without their 200; Twilio retries those, as this test
then does (and retries some acknowledged ones too): afterwards each of the
1,000 texts is stored exactly once.
"""

import http.client
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402

TOKEN = "crash-webhooks-twilio-token"
N, MEMBERS, CLIENTS, KILL_AT = 1000, 200, 16, 300
PATH = "/webhooks/twilio/sms"


def form(i):
    return {"MessageSid": "SMcrash%05d" % i, "AccountSid": "AC" + "0" * 32,
            "From": "+447700%06d" % (i % MEMBERS), "To": "PPGTEST",
            "Body": "Comment number %d about the car park" % i}


class Client(threading.Thread):
    """Posts its share of the texts over one keep-alive connection."""

    def __init__(self, env, d, todo, acked, sent, stop):
        super().__init__(daemon=True)
        self.env, self.todo, self.acked, self.sent = env, todo, acked, sent
        self.stop, self.port = stop, d.url.rsplit(":", 1)[1]

    def run(self):
        conn = None
        for i in self.todo:
            if self.stop.is_set():
                return
            body = form(i)
            data = urllib.parse.urlencode(body)
            sig = t.twilio_sign(self.env.url + PATH, body, TOKEN)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", int(self.port),
                                                      timeout=10)
                conn.request("POST", PATH, data, {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": sig})
                self.sent.add(i)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    self.acked.add(i)
            except (OSError, http.client.HTTPException):
                return  # the daemon is gone


def post_all(env, d, ids):
    """Post the texts in ids; the set answered 200."""
    acked, sent, stop = set(), set(), threading.Event()
    clients = [Client(env, d, ids[k::CLIENTS], acked, sent, stop)
               for k in range(CLIENTS)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(60)
    return acked


def stored(env):
    rows = f.query(env, "SELECT provider_msg_id AS sid, count(*) AS n FROM"
                        " inbound WHERE provider='twilio' GROUP BY 1")
    return {int(r["sid"][7:]): r["n"] for r in rows}


def main():
    env = f.new_env("crash-webhooks")
    env.write_config({"twilio": {"auth_token_file": env.write_secret("twilio", TOKEN)}})
    f.import_members(env, MEMBERS, channel="sms")
    d = f.serve(env)
    st = t.http_post(d.url + PATH, {"MessageSid": "x"})[0]
    if not t.check_eq(st, 403, "an unsigned webhook is refused (a 404 "
                      "means the route is missing: a failure, not a skip)"):
        d.stop()
        return

    acked, sent, stop = set(), set(), threading.Event()
    clients = [Client(env, d, list(range(k, N, CLIENTS)), acked, sent, stop)
               for k in range(CLIENTS)]
    t0 = time.monotonic()
    for c in clients:
        c.start()
    t.check(f.wait_for(lambda: len(acked) >= KILL_AT, 30, 0.002),
            "%d texts acknowledged before the kill" % KILL_AT)
    d.signal(signal.SIGKILL)
    stop.set()
    for c in clients:
        c.join(15)
    d.proc.wait()
    d.stop()
    took = time.monotonic() - t0
    inflight = len(sent - acked)
    have = stored(env)
    lost = sorted(acked - set(have))
    unacked_stored = set(have) - acked
    print("burst: %d posted, %d answered 200 in %.1f s, %d in flight at the "
          "kill; %d stored, %d of them without their 200"
          % (len(sent), len(acked), took, inflight, len(have),
             len(unacked_stored)), flush=True)
    t.check(not lost, "every acknowledged text is stored (%d lost: %s)"
            % (len(lost), lost[:5]))
    t.check(unacked_stored <= sent - acked,
            "only texts in flight were stored without a 200 (%s)"
            % sorted(unacked_stored - (sent - acked))[:5])
    t.check(len(sent) < N, "the kill came part-way (%d of %d posted)" % (len(sent), N))

    d2 = f.serve(env)
    retry = sorted(set(range(N)) - acked) + sorted(acked)[:100]
    acked2 = post_all(env, d2, retry)
    t.check_eq(len(acked2), len(retry), "after the restart every retry is "
               "answered 200 (%d retries)" % len(retry))
    have = stored(env)
    dups = sum(n - 1 for n in have.values())
    t.check_eq(sorted(have), list(range(N)), "all %d texts stored" % N)
    t.check_eq(dups, 0, "no text stored twice")
    total = f.query(env, "SELECT count(*) AS n FROM inbound WHERE provider='twilio'")
    print("after the restart: %d retries (%d of them already acknowledged), "
          "%d texts stored, duplicates %d (at most the %d in flight could have "
          "been, without the UNIQUE key)" % (len(retry), 100, total[0]["n"],
                                             dups, inflight), flush=True)
    t.check_eq(d2.stop(), 0, "ppgd stops cleanly")


if __name__ == "__main__":
    main()
    t.finish()
