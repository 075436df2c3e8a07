"""A stand-in for the Twilio and GOV.UK Notify HTTP APIs, for integration tests.

One threaded HTTP server on loopback answers both:

  POST /2010-04-01/Accounts/{sid}/Messages.json   Twilio (form body, Basic auth)
  POST /v2/notifications/sms                      Notify (JSON body, HS256 JWT)
  POST /v2/notifications/email                    Notify

and two endpoints of its own:

  POST /_control    JSON {"mode": "429", "retry_after": 2, "fail_next": 3,
                          "fail_mode": "500", "release": true, "clear": true}
  GET  /_requests   every provider request so far, as a JSON list

Modes: ok, 429 (with Retry-After), 500, 400 (invalid number / address),
21610 (Twilio: unsubscribed recipient), stall (hold every request until
release()), and "fail the next N requests, then the mode" (fail_next).
Authentication is checked before the mode: a bad Basic auth is 401, a bad JWT
403, whatever the mode.

Library:   stub = SmsStub(mode="ok").start(); stub.url; stub.requests; stub.stop()
Script:    python3 smsstub.py --port 8999 --mode ok
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "429", "500", "400", "21610", "stall")

TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
NOTIFY_PATH = re.compile(r"^/v2/notifications/(sms|email)$")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def notify_jwt(service_id, secret, iat=None):
    """The bearer token a Notify client sends: HS256 over {iss, iat}."""
    header = b64url(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    claims = {"iss": service_id, "iat": int(time.time() if iat is None else iat)}
    payload = b64url(json.dumps(claims).encode())
    signing_input = (header + "." + payload).encode("ascii")
    sig = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return header + "." + payload + "." + b64url(sig)


def notify_jwt_check(token, service_id, secret, leeway=30):
    """None if token is a valid Notify JWT, else Notify's reason."""
    parts = token.split(".")
    if len(parts) != 3:
        return "Invalid token: signature, api token not found"
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        return "Invalid token: signature, api token not found"
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return "Invalid token: algorithm used is not HS256"
    if not isinstance(claims, dict) or claims.get("iss") != service_id:
        return "Invalid token: service id not found"
    want = hmac.new(secret.encode(), (parts[0] + "." + parts[1]).encode("ascii"),
                    hashlib.sha256).digest()
    if not hmac.compare_digest(sig, want):
        return "Invalid token: signature, api token not found"
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        return "Invalid token: missing iat"
    if leeway is not None and abs(time.time() - iat) > leeway:
        return "Error: Your system clock must be accurate to within 30 seconds"
    return None


def twilio_error(status, code, message):
    return status, {"code": code, "message": message,
                    "more_info": "https://www.twilio.com/docs/errors/%d" % code,
                    "status": status}


def notify_error(status, error, message):
    return status, {"errors": [{"error": error, "message": message}],
                    "status_code": status}


# What each failing mode answers, per provider: (status, JSON body).
TWILIO_FAILURES = {
    "429": twilio_error(429, 20429, "Too Many Requests"),
    "500": twilio_error(500, 20500, "Internal Server Error"),
    "400": twilio_error(400, 21211, "The 'To' number is not a valid phone number."),
    "21610": twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
}
NOTIFY_FAILURES = {
    "429": notify_error(429, "RateLimitError",
                        "Exceeded rate limit for key type LIVE of 3000 requests "
                        "per 60 seconds"),
    "500": notify_error(500, "Exception", "Internal server error"),
    "400": notify_error(400, "ValidationError", "phone_number Not a UK mobile number"),
    "21610": notify_error(400, "BadRequestError",
                          "Can't send to this recipient using a team-only API key"),
}
NOTIFY_EMAIL_400 = notify_error(400, "ValidationError",
                                "email_address Not a valid email address")


def parse_form(raw):
    """A form body as a dict: one value a str, a repeated key a list."""
    out = {}
    for key, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
        if key in out:
            prev = out[key]
            out[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[key] = value
    return out


class SmsStub:
    """Twilio and Notify on 127.0.0.1; start() picks a free port unless given."""

    def __init__(self, mode="ok", host="127.0.0.1", port=0,
                 twilio_sid="AC" + "0123456789abcdef" * 2,
                 twilio_token="stub-twilio-token",
                 notify_service_id="26785a09-ab16-4eb0-8407-a37497a57506",
                 notify_secret="3d844edf-8d35-48ac-975b-e847b4f122b0",
                 retry_after=1, notify_iat_leeway=30, verbose=False):
        self.host, self.port = host, port
        self.twilio_sid, self.twilio_token = twilio_sid, twilio_token
        self.notify_service_id, self.notify_secret = notify_service_id, notify_secret
        self.notify_iat_leeway = notify_iat_leeway
        self.verbose = verbose
        self._lock = threading.Condition()
        self._requests = []
        self._generation = 0  # bumped by release(): stalled requests go on
        self._stalled = 0
        self._stopping = False
        self._server = None
        self._thread = None
        self.mode, self.retry_after = "ok", retry_after
        self.fail_next, self.fail_mode = 0, "500"
        self.set_mode(mode)

    # -- control -----------------------------------------------------------

    def set_mode(self, mode, retry_after=None, fail_next=None, fail_mode=None):
        """Change how requests are answered; fail_next=N fails N first."""
        if mode not in MODES:
            raise ValueError("unknown mode %r (one of %s)" % (mode, ", ".join(MODES)))
        if fail_mode is not None and fail_mode not in MODES:
            raise ValueError("unknown fail_mode %r" % (fail_mode,))
        with self._lock:
            self.mode = mode
            if retry_after is not None:
                self.retry_after = int(retry_after)
            if fail_next is not None:
                self.fail_next = int(fail_next)
            if fail_mode is not None:
                self.fail_mode = fail_mode
            self._lock.notify_all()

    def fail_next_requests(self, n, mode="500"):
        """Answer the next n provider requests as mode, then as before."""
        if mode not in MODES:
            raise ValueError("unknown mode %r" % (mode,))
        with self._lock:
            self.fail_next, self.fail_mode = int(n), mode

    def release(self, mode="ok"):
        """Let every stalled request go on (answered as ok); set the mode."""
        with self._lock:
            self._generation += 1
            self.mode = mode
            self._lock.notify_all()

    def stalled(self):
        """How many requests are being held by the stall mode now."""
        with self._lock:
            return self._stalled

    def wait_stalled(self, n, timeout=10):
        """Wait until n requests are held; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._stalled < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def wait_requests(self, n, timeout=10):
        """Wait until n provider requests have arrived; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    @property
    def requests(self):
        """A copy of the provider requests so far (dicts: see _record)."""
        with self._lock:
            return list(self._requests)

    def clear(self):
        with self._lock:
            self._requests.clear()

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def twilio_messages_url(self):
        return "%s/2010-04-01/Accounts/%s/Messages.json" % (self.url, self.twilio_sid)

    @property
    def notify_api_key(self):
        """An API key in Notify's format: name-{service id}-{secret}."""
        return "ppgdtest-%s-%s" % (self.notify_service_id, self.notify_secret)

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        stub = self

        class Handler(StubHandler):
            pass

        Handler.stub = stub
        self._stalled = 0
        self._stopping = False
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="smsstub", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- used by the handler -------------------------------------------------

    def _record(self, entry):
        with self._lock:
            self._requests.append(entry)
            self._lock.notify_all()

    def _decide(self):
        """The mode this request gets: a pending failure first."""
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_mode
            return self.mode

    def _stall(self):
        """Hold the calling request until release() or stop(); True if released."""
        with self._lock:
            gen = self._generation
            self._stalled += 1
            self._lock.notify_all()
            while self._generation == gen and not self._stopping:
                self._lock.wait()
            self._stalled -= 1
            return not self._stopping

    def _control(self, body):
        if not isinstance(body, dict):
            raise ValueError("control body must be a JSON object")
        if body.get("clear"):
            self.clear()
        if body.get("release"):
            self.release(body.get("mode", "ok"))
        elif "mode" in body or "retry_after" in body:
            self.set_mode(body.get("mode", self.mode), body.get("retry_after"))
        if "fail_next" in body:
            self.fail_next_requests(body["fail_next"], body.get("fail_mode", "500"))
        with self._lock:
            return {"mode": self.mode, "retry_after": self.retry_after,
                    "fail_next": self.fail_next, "fail_mode": self.fail_mode,
                    "stalled": self._stalled, "requests": len(self._requests)}


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "smsstub/1"
    stub = None

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a stalled request, a timeout)

    def log_message(self, fmt, *args):
        if self.stub.verbose:
            sys.stderr.write("smsstub: " + (fmt % args) + "\n")

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            self._send(200, self.stub.requests)
        elif self.path == "/_control":
            self._send(200, self.stub._control({}))
        else:
            self._send(404, {"message": "not found"})

    def do_POST(self):
        raw = self._read_body()
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_control":
            try:
                self._send(200, self.stub._control(json.loads(raw or b"{}")))
            except (ValueError, TypeError) as e:
                self._send(400, {"message": str(e)})
            return
        twilio, notify = TWILIO_PATH.match(path), NOTIFY_PATH.match(path)
        if not twilio and not notify:
            self._record(raw, path, None)
            self._send(404, {"message": "not found"})
            return
        provider = "twilio" if twilio else "notify"
        body = self._record(raw, path, provider)
        if twilio:
            self._twilio(twilio.group(1), body)
        else:
            self._notify(notify.group(1), body)

    def _record(self, raw, path, provider):
        text = raw.decode("utf-8", "replace")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            body = parse_form(text)
        elif ctype == "application/json":
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        else:
            body = None
        self.stub._record({
            "provider": provider, "method": self.command, "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body, "raw": text, "time": time.time(),
        })
        return body

    def _answer(self, failures, ok):
        """Answer per the stub's mode: failures[mode] or ok()."""
        mode = self.stub._decide()
        if mode == "stall":
            if not self.stub._stall():
                self.close_connection = True
                return
            mode = "ok"
        if mode == "ok":
            status, obj = ok()
            self._send(status, obj)
            return
        status, obj = failures[mode]
        headers = {"Retry-After": str(self.stub.retry_after)} if mode == "429" else None
        self._send(status, obj, headers)

    # -- Twilio --------------------------------------------------------------

    def _twilio_authorised(self, sid):
        auth = self.headers.get("Authorization", "")
        want = "%s:%s" % (self.stub.twilio_sid, self.stub.twilio_token)
        if not auth.startswith("Basic ") or sid != self.stub.twilio_sid:
            return False
        try:
            got = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(got, want)

    def _twilio(self, sid, form):
        if not self._twilio_authorised(sid):
            status, obj = twilio_error(401, 20003, "Authenticate")
            self._send(status, obj, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
            return
        form = form if isinstance(form, dict) else {}
        if not form.get("To"):
            self._send(*twilio_error(400, 21604, "A 'To' phone number is required."))
        elif not form.get("From") and not form.get("MessagingServiceSid"):
            self._send(*twilio_error(400, 21603,
                                     "A 'From' or 'MessagingServiceSid' parameter "
                                     "is required to send a message."))
        elif not form.get("Body") and not form.get("MediaUrl"):
            self._send(*twilio_error(400, 21602, "Message body is required."))
        else:
            self._answer(TWILIO_FAILURES, lambda: self._twilio_ok(sid, form))

    def _twilio_ok(self, sid, form):
        msid = "SM" + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        return 201, {
            "sid": msid, "account_sid": sid, "api_version": "2010-04-01",
            "to": form.get("To"), "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"), "status": "queued", "direction": "outbound-api",
            "num_segments": "1", "num_media": "0", "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None,
            "date_created": now, "date_updated": now, "date_sent": None,
            "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (sid, msid),
        }

    # -- Notify --------------------------------------------------------------

    def _notify(self, kind, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self._send(*notify_error(403, "AuthError",
                                     "Unauthorized: authentication bearer scheme "
                                     "must be used"))
            return
        why = notify_jwt_check(auth[7:].strip(), self.stub.notify_service_id,
                               self.stub.notify_secret, self.stub.notify_iat_leeway)
        if why is not None:
            self._send(*notify_error(403, "AuthError", why))
            return
        body = body if isinstance(body, dict) else {}
        need = ("phone_number" if kind == "sms" else "email_address", "template_id")
        missing = [k for k in need if not body.get(k)]
        if missing:
            self._send(*notify_error(400, "ValidationError",
                                     "%s is a required property" % missing[0]))
            return
        failures = dict(NOTIFY_FAILURES)
        if kind == "email":
            failures["400"] = NOTIFY_EMAIL_400
        self._answer(failures, lambda: self._notify_ok(kind, body))

    def _notify_ok(self, kind, body):
        nid = str(uuid.uuid4())
        pers = body.get("personalisation") or {}
        base = self.stub.url
        if kind == "sms":
            content = {"body": str(pers.get("body", "")), "from_number": "GOVUK"}
        else:
            content = {"body": str(pers.get("body", "")),
                       "subject": str(pers.get("subject", "")),
                       "from_email": "ppg@notifications.service.gov.uk"}
        return 201, {
            "id": nid, "reference": body.get("reference"), "content": content,
            "uri": "%s/v2/notifications/%s" % (base, nid),
            "template": {"id": body["template_id"], "version": 1,
                         "uri": "%s/services/%s/templates/%s" % (
                             base, self.stub.notify_service_id, body["template_id"])},
            "scheduled_for": None,
        }


def main(argv=None):
    p = argparse.ArgumentParser(description="Twilio and GOV.UK Notify stand-in")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", default="ok", choices=MODES)
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--fail-next", type=int, default=0)
    p.add_argument("--fail-mode", default="500", choices=MODES)
    p.add_argument("--twilio-sid", default="AC" + "0123456789abcdef" * 2)
    p.add_argument("--twilio-token", default="stub-twilio-token")
    p.add_argument("--notify-service-id", default="26785a09-ab16-4eb0-8407-a37497a57506")
    p.add_argument("--notify-secret", default="3d844edf-8d35-48ac-975b-e847b4f122b0")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    stub = SmsStub(mode=a.mode, host=a.host, port=a.port, twilio_sid=a.twilio_sid,
                   twilio_token=a.twilio_token, notify_service_id=a.notify_service_id,
                   notify_secret=a.notify_secret, retry_after=a.retry_after,
                   verbose=a.verbose)
    if a.fail_next:
        stub.fail_next_requests(a.fail_next, a.fail_mode)
    stub.start()
    # The handlers before the address is printed: a caller may signal as
    # soon as it has read it.
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print("smsstub listening on %s mode=%s" % (stub.url, stub.mode), flush=True)
    print("twilio %s  notify api key %s" % (stub.twilio_messages_url,
                                             stub.notify_api_key), flush=True)
    done.wait()
    stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
