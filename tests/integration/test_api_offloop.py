#!/usr/bin/env python3
"""Issue 11, "nothing heavy on the event loop": an admin API tally
(GET /api/v1/results/...) and a page of members run on a worker thread with
a read-only connection of its own, so webhooks are answered meanwhile. The
slowness is a test seam, not a timing guess: with $PPGD_TEST_WORK_GATE set,
a call in progress creates GATE.held.N (N: the worker) and waits until
GATE exists. While a
call waits there, a signed webhook and /healthz must be answered (before,
the tally ran on the loop and held them), and the call's answer, once
released, is the one `ppgd results --json` gives. When too many calls
wait, the next is answered 503 with Retry-After."""

import glob
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"
OURS = "+447700900000"
API_TOKEN = "rec-0123456789abcdefghij"
WORKERS, QUEUE = 2, 16  # api_priv.h: API_WORKERS, API_WORK_QUEUE

env = t.TestEnv("api-offloop")
API_PORT = t.free_port()
API = "http://127.0.0.1:%d" % API_PORT
AUTH = {"Authorization": "Bearer " + API_TOKEN}
GATE = env.path("gate")
env.write_config({
    "api": {"listen": "127.0.0.1:%d" % API_PORT,
            "tokens_file": env.write_secret("api-tokens",
                                            "records %s\n" % API_TOKEN)},
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
})
for args in (["init"],
             ["practice", "add", "A81001", "--name", "Riverside",
              "--sms-from", OURS],
             ["survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml")],
             ["member", "add", "--practice", "A81001", "--first-name", "Ann",
              "--email", "ann@example.org", "--consent-email", "yes"],
             ["member", "add", "--practice", "A81001", "--first-name", "Bob",
              "--email", "bob@example.org", "--consent-email", "yes"]):
    rc, _, err = env.ppgd(*args)
    t.check_eq(rc, 0, "%s: %s" % (" ".join(args[:2]), err.strip()))


def sms(sid):
    return t.twilio_sms(env.url, TW_TOKEN, OURS, sid, timeout=t.slow(30))


def wait_for(cond, what, timeout=20):
    """Wait (a hang guard, not a measure) until cond() is true."""
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    t.check(False, "waited for " + what)
    return False


def held():
    return len(glob.glob(GATE + ".held.*"))


def call(path, out, key):
    out[key] = t.http_get(API + path, headers=AUTH, timeout=t.slow(60))


def held_while(path):
    """GET path with the gate closed; while it waits, a webhook and
    /healthz answer; then open the gate (and leave it open). Returns
    (status, headers, body)."""
    if os.path.exists(GATE):
        os.unlink(GATE)
    got = {}
    th = threading.Thread(target=call, args=(path, got, "r"))
    th.start()
    wait_for(lambda: held() == 1, path + " to be held")
    st = sms("SM-%s" % abs(hash(path)))
    t.check_eq(st, 200, "a signed webhook is answered while %s is in "
               "progress" % path)
    t.check_eq(t.http_get(env.url + "/healthz", timeout=t.slow(30))[0], 200,
               "/healthz is answered while %s is in progress" % path)
    t.check("r" not in got, "... %s was still in progress then" % path)
    open(GATE, "w").close()
    th.join(t.slow(60))
    return got.get("r", (0, {}, b""))


want = json.loads(env.ppgd("results", "fft", "--json")[1])
with env.serve(env={"PPGD_TEST_WORK_GATE": GATE}) as d:
    st, _, body = held_while("/api/v1/results/fft")
    t.check_eq(st, 200, "the tally answers once released")
    t.check_eq(json.loads(body), want,
               "... with the JSON of `ppgd results fft --json`")

    st, _, body = held_while("/api/v1/members?practice=A81001&limit=1")
    t.check_eq(st, 200, "the page of members answers once released")
    page = json.loads(body)
    t.check_eq([m["first_name"] for m in page["members"]], ["Ann"],
               "... with the first member")
    t.check(page["next_after"] is not None, "... and where the next page "
            "starts")
    st, _, body = t.http_get(API + "/api/v1/members?practice=A81001&after=%d"
                             % page["next_after"], headers=AUTH,
                             timeout=t.slow(30))
    if st == 200:
        t.check_eq([m["first_name"] for m in json.loads(body)["members"]],
                   ["Bob"], "the next page has the second member")
    else:
        t.check(False, "the next page answers (%d)" % st)

    # A client that goes away while its call is held: the answer is
    # dropped (evhttp keeps the request until then) and nothing breaks.
    os.unlink(GATE)
    s = socket.create_connection(("127.0.0.1", API_PORT))
    s.sendall(("GET /api/v1/results/fft HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\n\r\n" % API_TOKEN).encode())
    wait_for(lambda: held() == 1, "the call of a client that will go away")
    s.close()
    t.check_eq(sms("SM-gone"), 200, "a webhook meanwhile")
    open(GATE, "w").close()
    wait_for(lambda: held() == 0, "the held call to finish")
    st, _, body = t.http_get(API + "/api/v1/results/fft", headers=AUTH,
                             timeout=t.slow(30))
    t.check_eq((st, json.loads(body) if st == 200 else None), (200, want),
               "the next call is answered as before")

    # Scope is checked on the loop, before any work is queued.
    st, _, _ = t.http_get(API + "/api/v1/results/fft?practice=ZZ9", headers=AUTH)
    t.check_eq(st, 404, "an unknown practice: 404 at once")

    # Full: WORKERS calls held, QUEUE waiting; the others get 503 at once.
    n = WORKERS + QUEUE + 6
    os.unlink(GATE)
    got = {}
    threads = [threading.Thread(target=call, args=("/api/v1/results/fft",
                                                   got, i))
               for i in range(n)]
    for th in threads[:WORKERS]:
        th.start()
    wait_for(lambda: held() == WORKERS, "every worker to hold a call")
    for th in threads[WORKERS:]:
        th.start()
    wait_for(lambda: sum(1 for v in list(got.values()) if v[0] == 503) >= n -
             WORKERS - QUEUE, "the calls past the queue to be refused")
    refused = [v for v in list(got.values()) if v[0] == 503]
    t.check_eq(len(refused), n - WORKERS - QUEUE,
               "calls past %d running and %d waiting: 503" % (WORKERS, QUEUE))
    t.check(all(v[1].get("Retry-After") == "1" for v in refused),
            "... with Retry-After: 1")
    t.check(all(json.loads(v[2]).get("status") == 503 for v in refused),
            "... as a problem")
    t.check_eq(sms("SM-full"), 200, "a webhook is answered meanwhile")
    open(GATE, "w").close()
    for th in threads:
        th.join(t.slow(60))
    t.check_eq(sorted(v[0] for v in got.values()),
               [200] * (WORKERS + QUEUE) + [503] * (n - WORKERS - QUEUE),
               "the calls that waited are answered 200 once released")
    # Stopping with nothing held is prompt and clean.
t.check_eq(d.returncode, 0, "ppgd serve exits 0 (log: %s)" % d.log)
t.finish()
