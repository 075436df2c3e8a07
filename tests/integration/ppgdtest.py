"""Helpers for ppgd's integration tests (stdlib only; a library, not a test).

    import ppgdtest as t
    env = t.TestEnv("webhooks")                  # temp dir + ppgd.conf
    env.write_config({"sms": {"transport": "twilio"},
                      "twilio": {"auth_token_file": env.write_secret("tw", "x")}})
    rc, out, err = env.ppgd("member", "list")    # ppgd -c CONF member list
    with env.serve() as d:                       # ppgd -c CONF serve, /healthz 200
        status, headers, body = t.http_get(d.url + "/metrics")
        t.check(status == 200, "metrics answer 200")
    t.finish()                                   # "N checks, M failed"

The binary is $PPGD (tests/run.sh sets it), else ../../ppgd from this file.
Work directories go under $PPGD_ARTIFACTS or tests/artifacts/ and are kept
when a check fails (or PPGD_KEEP=1), for the logs.
"""

import base64
import configparser
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("PPGD_TOP") or os.path.normpath(os.path.join(HERE, "..", ".."))
# A statement left stepped is fatal in every ppgd the tests start.
os.environ.setdefault("PPGD_STRICT_DB", "1")
PPGD = os.environ.get("PPGD") or os.path.normpath(os.path.join(HERE, "..", "..", "ppgd"))
ARTIFACTS = os.environ.get("PPGD_ARTIFACTS") or os.path.join(TOP, "tests", "artifacts")
# $PPGD_SLOW multiplies every timeout here (e.g. 10 under valgrind); tests
# scale their own waits with slow(seconds).
SLOW = float(os.environ.get("PPGD_SLOW") or 1)


def slow(seconds):
    """seconds scaled by $PPGD_SLOW."""
    return seconds * SLOW

# -- checks and the summary ------------------------------------------------

_checks = 0
_failed = 0
_cleanups = []


def check(cond, msg):
    """Count a check; print FAIL (always) or ok (when $PPGD_VERBOSE)."""
    global _checks, _failed
    _checks += 1
    if not cond:
        _failed += 1
        print("FAIL: " + msg, flush=True)
    elif os.environ.get("PPGD_VERBOSE"):
        print("ok: " + msg, flush=True)
    return bool(cond)


def check_eq(got, want, msg):
    """check(got == want) that shows both values when it fails."""
    return check(got == want, "%s (got %r, want %r)" % (msg, got, want))


def failures():
    return _failed


_skips = 0
# A skipped test program exits with this (as automake's harness reads it).
EXIT_SKIP = 77


def ci():
    """True when the suite runs in CI ($CI=true), where nothing may skip."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def skip(msg):
    """A check that cannot run here: print "SKIP: msg" (tests/run.sh counts
    those lines); under CI it fails instead, so a skip never passes there."""
    global _skips
    if ci():
        check(False, "cannot run under CI: " + msg)
        return
    _skips += 1
    print("SKIP: " + msg, flush=True)


def finish():
    """Print "N checks, M failed", clean up, exit 1 if any check failed."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "test"
    for fn in reversed(_cleanups):
        try:
            fn(_failed == 0)
        except Exception as e:  # a cleanup must not hide the result
            print("%s: cleanup: %s" % (name, e), file=sys.stderr)
    if _checks == 0 and _skips > 0:
        print("%s: skipped (%d)" % (name, _skips), flush=True)
        sys.exit(EXIT_SKIP)
    if _checks == 0:
        print("%s: no checks ran: a test that cannot fail" % name, flush=True)
    print("%s: %d checks, %d failed%s" % (name, _checks, _failed,
          ", %d skipped" % _skips if _skips else ""), flush=True)
    sys.exit(1 if _failed or _checks == 0 else 0)


# -- ports, processes, HTTP --------------------------------------------------

def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on now (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run(args, input=None, env=None, timeout=30, cwd=None):
    """Run a command; (rc, stdout, stderr) as text."""
    p = subprocess.run(args, input=input, capture_output=True, text=True,
                       env=env, timeout=slow(timeout), cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def ppgd(*args, conf=None, input=None, env=None, timeout=30, cwd=None):
    """Run `ppgd [-c conf] args...`; (rc, stdout, stderr)."""
    argv = [PPGD] + (["-c", conf] if conf else []) + [str(a) for a in args]
    return run(argv, input=input, env=env, timeout=timeout, cwd=cwd)


def ppgd_json(*args, **kw):
    """Run ppgd with --json appended; (rc, parsed stdout or None, stderr)."""
    rc, out, err = ppgd(*args, "--json", **kw)
    try:
        obj = json.loads(out)
    except ValueError:
        obj = None
    return rc, obj, err


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_request(method, url, data=None, headers=None, timeout=10):
    """(status, headers, body bytes); 3xx/4xx/5xx are returned, not raised.
    Redirects are not followed. data: bytes, str, or a dict (form-encoded)."""
    headers = dict(headers or {})
    if isinstance(data, dict) or isinstance(data, list):
        data = urllib.parse.urlencode(data, doseq=True).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif isinstance(data, str):
        data = data.encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener.open(req, timeout=slow(timeout)) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def http_get(url, headers=None, timeout=10):
    return http_request("GET", url, None, headers, timeout)


def http_post(url, data=None, headers=None, timeout=10, json_body=None):
    """POST data (see http_request) or json_body (sent as application/json)."""
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers = dict(headers or {}, **{"Content-Type": "application/json"})
    return http_request("POST", url, data if data is not None else b"", headers, timeout)


def bulk_members(db, n, at=1):
    """n members m1..mN of practice 1, reachable by email, who joined at
    `at`, written straight into database file db (a large register fast)."""
    c = sqlite3.connect(db, timeout=10)
    with c:
        c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
                  " FROM n WHERE i < ?1) INSERT INTO members (practice_id,"
                  " first_name, email, preferred_channel, consent_email_at,"
                  " consent_email_how, joined_at, created_at, updated_at)"
                  " SELECT 1, 'M' || i, 'm' || i || '@example.org', 'email',"
                  " ?2, 'test', ?2, ?2, ?2 FROM n", (n, at))
    c.close()


# -- signatures ------------------------------------------------------------

def twilio_sign(url, params, token):
    """X-Twilio-Signature: base64 HMAC-SHA1 over the URL, then each parameter
    name and value, names sorted (each distinct value of a repeated name once,
    sorted), as Twilio's own libraries compute it. params: dict or pairs."""
    pairs = params.items() if isinstance(params, dict) else params
    values = {}
    for k, v in pairs:
        for one in (v if isinstance(v, (list, tuple)) else [v]):
            values.setdefault(k, set()).add(str(one))
    s = url + "".join(k + v for k in sorted(values) for v in sorted(values[k]))
    mac = hmac.new(token.encode(), s.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def twilio_sms(base, token, to, sid, frm="+447700900123", body="hello",
               timeout=60):
    """POST a signed inbound text to base's Twilio webhook; the status."""
    url = base + "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": frm, "To": to, "Body": body,
              "AccountSid": "AC1"}
    sig = twilio_sign(url, params, token)
    return http_post(url, params, headers={"X-Twilio-Signature": sig},
                     timeout=timeout)[0]


def mailgun_sign(key, ts, token):
    """Mailgun's webhook signature: hex HMAC-SHA256 of timestamp + token."""
    return hmac.new(key.encode(), (str(ts) + token).encode(), hashlib.sha256).hexdigest()


# -- a work directory with a config -------------------------------------------

class TestEnv:
    """A fresh work directory holding ppgd.conf, secrets and the spools."""

    def __init__(self, name=None, sections=None, defaults=True):
        name = name or os.path.splitext(os.path.basename(sys.argv[0] or "test"))[0]
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=ARTIFACTS)
        self.conf = os.path.join(self.dir, "ppgd.conf")
        self.port = free_port()
        self.listen = "127.0.0.1:%d" % self.port
        self.url = "http://" + self.listen
        self.email_spool = os.path.join(self.dir, "spool", "email")
        self.sms_spool = os.path.join(self.dir, "spool", "sms")
        self.sections = {}
        if defaults:
            self.sections = {
                "daemon": {"database": os.path.join(self.dir, "ppgd.db"),
                           "listen": self.listen, "public_url": self.url,
                           "timezone": "Europe/London",
                           # The repository's templates (the built-in
                           # default is the installed ones).
                           "templates": os.path.join(TOP, "templates")},
                "email": {"transport": "file", "spool": self.email_spool},
                "sms": {"transport": "file", "spool": self.sms_spool},
                # Most tests run without the [api] listener, which serves
                # /metrics by default; test_api checks the default.
                "http": {"public_metrics": "yes"},
                # No welcome messages unless a test asks (test_join.py):
                # they would add to the messages other tests count.
                "membership": {"welcome_window": "0"},
            }
        self.write_config(sections or {})
        _cleanups.append(self._cleanup)

    def write_config(self, sections):
        """Merge sections into the config and rewrite ppgd.conf; a value of
        None removes the key. Returns the config path."""
        for sec, keys in sections.items():
            cur = self.sections.setdefault(sec, {})
            for k, v in keys.items():
                if v is None:
                    cur.pop(k, None)
                else:
                    cur[k] = v
        cp = configparser.ConfigParser(interpolation=None)
        cp.optionxform = str
        for sec, keys in self.sections.items():
            cp[sec] = {k: _ini_value(v) for k, v in keys.items()}
        with open(self.conf, "w") as f:
            cp.write(f)
        return self.conf

    def write_secret(self, name, value):
        """Write value to secrets/name with mode 0600; returns the path."""
        d = os.path.join(self.dir, "secrets")
        os.makedirs(d, mode=0o700, exist_ok=True)
        path = os.path.join(d, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value)
        os.chmod(path, 0o600)
        return path

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def ppgd(self, *args, **kw):
        return ppgd(*args, conf=self.conf, cwd=kw.pop("cwd", self.dir), **kw)

    def ppgd_json(self, *args, **kw):
        return ppgd_json(*args, conf=self.conf, cwd=kw.pop("cwd", self.dir), **kw)

    def serve(self, env=None, args=(), wait=True, opts=()):
        """Start `ppgd [opts] -c conf serve [args]`; see Daemon."""
        self._serves = getattr(self, "_serves", 0) + 1
        d = Daemon(self.conf, self.url, log=self.path("serve.%d.log" % self._serves),
                   env=env, args=args, cwd=self.dir, opts=opts)
        return d.start(wait=wait)

    def _cleanup(self, passed):
        if passed and not os.environ.get("PPGD_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("kept %s" % self.dir, flush=True)


def _ini_value(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


class Daemon:
    """`ppgd [opts] -c conf serve [args]` as a subprocess, stderr to a log
    file; opts are global options such as -v."""

    def __init__(self, conf, url, log, env=None, args=(), cwd=None, opts=()):
        self.conf, self.url, self.log = conf, url, log
        self.env, self.args, self.cwd = env, list(args), cwd
        self.opts = list(opts)
        self.proc = None
        self.returncode = None

    def start(self, wait=True, timeout=10):
        """Start; with wait, until GET /healthz answers 200 (check fails if not)."""
        env = dict(os.environ, **(self.env or {}))
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen([PPGD] + self.opts + ["-c", self.conf, "serve"]
                                     + self.args,
                                     stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=self._logf, env=env, cwd=self.cwd)
        if wait:
            check(self.wait_healthy(timeout),
                  "ppgd serve answers /healthz within %ds (log: %s)%s"
                  % (slow(timeout), self.log, self._tail()))
        return self

    def wait_healthy(self, timeout=10):
        deadline = time.monotonic() + slow(timeout)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if http_get(self.url + "/healthz", timeout=1)[0] == 200:
                    return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        return False

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self):
        self.signal(signal.SIGHUP)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, wait up to timeout; then SIGKILL and a failed check.
        Returns the exit status (negative: killed by that signal)."""
        if self.proc is None:
            return None
        timeout = slow(timeout)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                check(False, "ppgd serve stopped within %ds of SIGTERM (killed)%s"
                      % (timeout, self._tail()))
        self._logf.close()
        self.returncode = self.proc.returncode
        return self.returncode

    def output(self):
        """The daemon's stderr so far."""
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _tail(self, n=20):
        try:
            lines = self.output().splitlines()[-n:]
        except OSError:
            return ""
        return ("\n  " + "\n  ".join(lines)) if lines else ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class NotifySocket:
    """A $NOTIFY_SOCKET for a daemon under test: pass env(), then expect()."""

    def __init__(self, dir):
        self.path = os.path.join(dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received = []

    def env(self):
        return {"NOTIFY_SOCKET": self.path}

    def expect(self, state, timeout=10):
        """Wait for a datagram holding the line state (e.g. "READY=1")."""
        deadline = time.monotonic() + slow(timeout)
        while state not in [l for d in self.received for l in d.split("\n")]:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                self.received.append(self.sock.recv(4096).decode("utf-8", "replace"))
            except socket.timeout:
                return False
        return True

    def close(self):
        self.sock.close()
        os.unlink(self.path)
