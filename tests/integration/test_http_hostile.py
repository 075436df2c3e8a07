#!/usr/bin/env python3
"""The public listener against a hostile client, over loopback: connections
counted at accept (one address holds at most max_per_client), a total
deadline for a request however slowly it trickles in, idle keep-alive
connections closed first at the cap, conflicting Content-Length refused
(400), refusals logged at most once a second with a count, and accept()
out of file descriptors paused instead of spinning."""

import os
import resource
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"


def connect(env):
    s = socket.create_connection(("127.0.0.1", env.port), timeout=5)
    s.setblocking(False)
    return s


def closed_by_server(s):
    """True if the server has closed s (EOF or reset), without waiting."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(65536) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def request(s, data, timeout=3):
    """Send data, read until the server closes or a reply's end; bytes."""
    s.setblocking(True)
    s.settimeout(t.slow(timeout))
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                if len(body) >= length:
                    break
    except socket.timeout:
        pass
    return out


def status_of(reply):
    parts = reply.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def healthz(s):
    return status_of(request(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_lines(d, word):
    return [l for l in d.output().splitlines() if word in l]


# ---- one address, slow senders ---------------------------------------------

env = t.TestEnv("hostile")
env.write_config({"http": {"max_connections": 6, "max_per_client": 4,
                           "timeout": "2s"}})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)

with env.serve() as d:
    # Six silent connections from one address: the fifth and sixth are
    # refused at accept, long before any timeout.
    socks = [connect(env) for _ in range(6)]
    time.sleep(t.slow(0.8))
    t.check_eq(sum(closed_by_server(s) for s in socks), 2,
               "connections past max_per_client are closed at accept")
    for s in socks:
        s.close()
    time.sleep(0.2)

    # Four idle keep-alive connections from the address: a fifth closes
    # the longest idle of them rather than being refused.
    idle = [connect(env) for _ in range(4)]
    t.check_eq([healthz(s) for s in idle], [200] * 4,
               "four keep-alive connections answered")
    s = connect(env)
    t.check_eq(healthz(s), 200, "past max_per_client, an idle keep-alive "
               "connection of the same address makes room")
    s.close()
    time.sleep(0.1)
    t.check_eq([closed_by_server(x) for x in idle], [True, False, False, False],
               "the longest idle one was closed")
    for x in idle:
        x.close()

    # Three clients trickle a header line every 0.3 s: each read used to
    # reset the timeout; the request's deadline (2 s) closes them all.
    socks = [connect(env) for _ in range(3)]
    for s in socks:
        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    gone = {}
    while time.monotonic() - start < t.slow(5) and len(gone) < len(socks):
        for i, s in enumerate(socks):
            if i in gone:
                continue
            if closed_by_server(s):
                gone[i] = time.monotonic() - start
                continue
            try:
                s.send(b"X-Slow: 1\r\n")
            except OSError:
                gone[i] = time.monotonic() - start
        time.sleep(0.3)
    t.check_eq(len(gone), 3, "slow senders are closed however they trickle")
    t.check(all(v < t.slow(4) for v in gone.values()),
            "slow senders closed by the 2 s deadline (closed after %s)" % gone)
    for s in socks:
        s.close()
    s = connect(env)
    t.check_eq(healthz(s), 200, "/healthz answers after the slow senders")
    s.close()
    st, _, body = t.http_get(d.url + "/metrics")
    t.check(st == 200 and b'ppgd_loop_lag_seconds_bucket{le="+Inf"}' in body
            and b"# TYPE ppgd_loop_lag_seconds histogram" in body,
            "/metrics exports the loop lag as a histogram")
    t.check(len(d.output().splitlines()) < 50,
            "a few log lines, not one a refusal (%d)"
            % len(d.output().splitlines()))

# ---- at the cap, idle keep-alive connections go first -----------------------

env = t.TestEnv("hostile-idle")
env.write_config({"http": {"max_connections": 4, "max_per_client": 0,
                           "timeout": "20s"},
                  "twilio": {"auth_token_file": env.write_secret("tw", TW_TOKEN)}})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)

with env.serve() as d:
    idle = [connect(env) for _ in range(4)]
    t.check_eq([healthz(s) for s in idle], [200] * 4,
               "four keep-alive connections answered")
    time.sleep(0.2)
    s = connect(env)
    t.check_eq(healthz(s), 200,
               "at the cap, a new client is answered at once (an idle "
               "keep-alive connection makes room)")
    s.close()
    t.check_eq(sum(closed_by_server(x) for x in idle), 1,
               "exactly one idle keep-alive connection was closed")
    for x in idle:
        x.close()

    # Conflicting framing: 400 and the connection closed.
    body = b"From=%2B447700900123&Body=hi"
    for name, hdrs in [
        ("two Content-Length", b"Content-Length: 5\r\nContent-Length: %d\r\n"
         % len(body)),
        ("Content-Length and Transfer-Encoding",
         b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(body)),
    ]:
        s = connect(env)
        data = (b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + hdrs + b"\r\n")
        if b"chunked" in hdrs:
            data += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        else:
            data += body
        reply = request(s, data)
        t.check_eq(status_of(reply), 400, name + " is refused with 400")
        s.close()
    s = connect(env)
    reply = request(s, b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), len(body), body))
    t.check_eq(status_of(reply), 403,
               "two equal Content-Length fields are one (unsigned: 403)")
    s.close()

    # A probe of 120 unsigned webhooks writes a line a second, with a count.
    s = connect(env)
    before = len(log_lines(d, "error=forbidden"))
    one = (b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    codes = [status_of(request(s, one)) for _ in range(120)]
    s.close()
    t.check_eq(codes, [403] * 120, "every unsigned webhook is refused")
    time.sleep(t.slow(2.2))
    lines = log_lines(d, "forbidden")
    t.check(1 <= len(lines) - before <= 8, "refusals logged a line a "
            "second, not one each (%d lines)" % (len(lines) - before))
    counted = 0
    for line in lines:
        if "error=forbidden" in line:
            counted += 1
        for word in line.replace('"', " ").split():
            if word.startswith("repeated="):
                counted += int(word.split("=")[1])
    t.check_eq(counted, 121, "the lines and their counts add up to every "
               "refusal (120 and the one before)")

# ---- out of file descriptors -------------------------------------------------

env = t.TestEnv("hostile-emfile")
env.write_config({"http": {"max_connections": 512, "timeout": "30s"}})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)

with env.serve() as d:
    pid = d.proc.pid
    nfd = len(os.listdir("/proc/%d/fd" % pid))
    limit = nfd + 8
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
    socks = [connect(env) for _ in range(40)]
    time.sleep(0.5)
    cpu0, lines0 = cpu_seconds(pid), len(d.output().splitlines())
    time.sleep(t.slow(2))
    used = cpu_seconds(pid) - cpu0
    lines = len(d.output().splitlines()) - lines0
    t.check(used < 0.5, "out of descriptors, accept() does not spin "
            "(%.2f s of CPU in 2 s)" % used)
    t.check(lines <= 6, "accept errors log a line a second (%d lines)"
            % lines)
    for s in socks:
        s.close()
    ok = False
    deadline = time.monotonic() + t.slow(5)
    while time.monotonic() < deadline and not ok:
        try:
            s = connect(env)
            ok = healthz(s) == 200
            s.close()
        except OSError:
            pass
        time.sleep(0.1)
    t.check(ok, "/healthz answers again once descriptors are free")

t.finish()
