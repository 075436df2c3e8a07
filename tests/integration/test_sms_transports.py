#!/usr/bin/env python3
"""The twilio and notify transports against the local stand-in, over real
HTTP on loopback: what is sent, how each answer settles the outbox row,
retries that wait as asked (without spinning), time-outs, and keep-alive."""

import base64
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
import smsstub  # noqa: E402

# -- instrument the stub: connections opened and the ids it handed out -------

_conns = [0]
_ids = []
_ilock = threading.Lock()
_handle = smsstub.StubHandler.handle
_twilio_ok = smsstub.StubHandler._twilio_ok
_notify_ok = smsstub.StubHandler._notify_ok


def _counting_handle(self):
    with _ilock:
        _conns[0] += 1
    _handle(self)


def _keep_id(fn, key):
    def wrapper(self, *args):
        status, obj = fn(self, *args)
        with _ilock:
            _ids.append(obj[key])
        return status, obj
    return wrapper


# While set to (url, token), the stub posts a signed "delivered" status
# callback for each message to that daemon before it answers the send: the
# receipt reaches ppgd while the row is still `sending`.
_early = {"to": None, "answers": []}


def _early_receipt(fn):
    def wrapper(self, *args):
        status, obj = fn(self, *args)
        if _early["to"] is not None:
            url, token = _early["to"]
            params = {"MessageSid": obj["sid"], "MessageStatus": "delivered",
                      "AccountSid": obj["account_sid"]}
            st, _, _ = t.http_post(url, params, headers={
                "X-Twilio-Signature": t.twilio_sign(url, params, token)})
            _early["answers"].append(st)
        return status, obj
    return wrapper


smsstub.StubHandler.handle = _counting_handle
smsstub.StubHandler._twilio_ok = _early_receipt(_keep_id(_twilio_ok, "sid"))
smsstub.StubHandler._notify_ok = _keep_id(_notify_ok, "id")


def connections():
    with _ilock:
        return _conns[0]


def issued_ids():
    with _ilock:
        return list(_ids)


# -- the outbox ---------------------------------------------------------------

class Outbox:
    """The outbox table, written as the campaign code will; each add() kicks
    the daemon with SIGHUP (a reload re-arms the dispatcher at once)."""

    def __init__(self, env):
        self.db = env.sections["daemon"]["database"]
        self.daemon = None

    def _conn(self):
        c = sqlite3.connect(self.db, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def add(self, member, to, body, channel="sms", subject=None):
        with self._conn() as c:
            cur = c.execute(
                "INSERT INTO outbox (practice_id, member_id, channel, to_addr,"
                " subject, body, next_attempt_at, created_at) VALUES"
                " (1, ?, ?, ?, ?, ?, strftime('%s','now'), strftime('%s','now'))",
                (member, channel, to, subject, body))
            oid = cur.lastrowid
        if self.daemon is not None:
            self.daemon.reload()
        return oid

    def row(self, oid):
        with self._conn() as c:
            return dict(c.execute("SELECT * FROM outbox WHERE id=?", (oid,)).fetchone())

    def member(self, mid):
        with self._conn() as c:
            return dict(c.execute("SELECT * FROM members WHERE id=?", (mid,)).fetchone())

    def wait(self, oid, states, timeout=15, seen=None, retried=False):
        """Poll until the row is in one of states (with an attempt's error
        written, if retried: a row is pending while it is first sent); the
        row (or None). seen, a set, collects every state observed on the
        way, "pending/retry" for a pending row with an error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.row(oid)
            if seen is not None:
                seen.add(r["state"] + ("/retry" if r["error_code"] else ""))
            if r["state"] in states and (not retried or r["error_code"]):
                return r
            time.sleep(0.05)
        return None


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_with(stub, key, value):
    return [r for r in stub.requests
            if isinstance(r["body"], dict) and r["body"].get(key) == value]


def setup(name, stub, sections, members):
    env = t.TestEnv(name)
    env.write_config({
        "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
        "http": {"timeout": "2s"},
        "dispatch": {"backoff": "1s", "backoff_max": "2s",
                     "max_attempts": 100},
    })
    env.write_config(sections)
    rc, _, err = env.ppgd("init")
    t.check(rc == 0, "ppgd init: " + err)
    rc, _, err = env.ppgd("practice", "add", "A1", "--name", "Test",
                          "--sms-from", "PPGTEST")
    t.check(rc == 0, "practice add: " + err)
    for i in range(members):
        rc, _, err = env.ppgd("member", "add", "--practice", "A1",
                              "--first-name", "M%d" % i,
                              "--email", "m%d@example.org" % i,
                              "--mobile", "077009001%02d" % i,
                              "--consent-sms", "yes", "--consent-email", "yes",
                              "--preferred-channel", "sms")
        t.check(rc == 0, "member add %d: %s" % (i, err))
    return env, Outbox(env)


# -- twilio ---------------------------------------------------------------------

def twilio_ok(env, stub, ob):
    oid = ob.add(1, "+447700900100", "Hello ok")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "ok: row sent")
    reqs = requests_with(stub, "Body", "Hello ok")
    if not t.check_eq(len(reqs), 1, "ok: one request"):
        return
    q = reqs[0]
    want = "Basic " + base64.b64encode(
        ("%s:%s" % (stub.twilio_sid, stub.twilio_token)).encode()).decode()
    t.check_eq(q["headers"].get("authorization"), want, "ok: Basic auth sid:token")
    t.check_eq(q["path"], "/2010-04-01/Accounts/%s/Messages.json" % stub.twilio_sid,
               "ok: the Messages resource")
    t.check_eq(q["body"].get("To"), "+447700900100", "ok: To")
    t.check_eq(q["body"].get("From"), "PPGTEST", "ok: From is the practice's sms_from")
    t.check_eq(q["body"].get("StatusCallback"), env.url + "/webhooks/twilio/status",
               "ok: StatusCallback")
    t.check(r is not None and r["provider_id"] in issued_ids()
            and r["provider_id"].startswith("SM"),
            "ok: provider_id is the sid the stub returned (%r)"
            % (r and r["provider_id"]))


def twilio_429(env, stub, ob):
    stub.set_mode("ok", retry_after=2)
    stub.fail_next_requests(1, "429")
    oid = ob.add(2, "+447700900101", "Hello 429")
    seen = set()
    r = ob.wait(oid, ("sent", "failed"), seen=seen)
    reqs = requests_with(stub, "Body", "Hello 429")
    t.check(r is not None and r["state"] == "sent", "429: sent in the end")
    t.check("pending/retry" in seen, "429: pending to retry in between (saw"
            " %s)" % sorted(seen))
    if t.check_eq(len(reqs), 2, "429: two requests"):
        t.check(reqs[1]["time"] >= int(reqs[0]["time"]) + 2,
                "429: the retry waited the 2 s of Retry-After (%.2f s)"
                % (reqs[1]["time"] - reqs[0]["time"]))
    t.check_eq(r and r["attempts"], 2, "429: two attempts")


def twilio_500(env, stub, ob, daemon):
    stub.set_mode("500")
    oid = ob.add(3, "+447700900102", "Hello 500")
    t.check(stub.wait_requests(len(stub.requests) + 1), "500: a request came")
    t.check(ob.wait(oid, ("pending",), retried=True) is not None,
            "500: row pending to retry")
    cpu0, n0 = cpu_seconds(daemon.proc.pid), len(requests_with(stub, "Body", "Hello 500"))
    time.sleep(5)
    cpu1, n1 = cpu_seconds(daemon.proc.pid), len(requests_with(stub, "Body", "Hello 500"))
    t.check(cpu1 - cpu0 < 0.5, "500: no busy loop while waiting (%.2f s CPU in 5 s)"
            % (cpu1 - cpu0))
    t.check(1 <= n1 - n0 <= 6, "500: retried with backoff (%d tries in 5 s)" % (n1 - n0))
    t.check_eq(ob.row(oid)["state"], "pending", "500: still pending")
    stub.set_mode("ok")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "500: sent once the stub is ok")


def twilio_400(env, stub, ob):
    stub.set_mode("400")
    oid = ob.add(4, "+447700900103", "Hello 400")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "failed", "400: row failed")
    t.check_eq(r and r["error_code"], "21211", "400: Twilio's code")
    t.check_eq(r and r["error_text"], "The 'To' number is not a valid phone number.",
               "400: Twilio's message")
    t.check_eq(r and r["attempts"], 1, "400: not retried")
    stub.set_mode("ok")


def twilio_stall(env, stub, ob):
    stub.set_mode("stall")
    oid = ob.add(5, "+447700900104", "Hello stall")
    t.check(stub.wait_stalled(1), "stall: the request is held")
    t0 = time.monotonic()
    r = ob.wait(oid, ("pending",), timeout=10, retried=True)
    t.check(r is not None and r["error_code"] == "network",
            "stall: the request timed out and the row is pending again (%r)"
            % ((r and (r["state"], r["error_code"], r["error_text"])),))
    t.check(time.monotonic() - t0 >= 1, "stall: after the [http] timeout")
    stub.release("ok")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "stall: sent on a later try")


def twilio_keepalive(env, stub, ob):
    stub.set_mode("ok")
    c0 = connections()
    daemon, ob.daemon = ob.daemon, None
    ids = [ob.add(6, "+447700900105", "Hello keep-alive %d" % i) for i in range(20)]
    ob.daemon = daemon
    daemon.reload()
    rows = [ob.wait(i, ("sent", "failed")) for i in ids]
    t.check(all(r is not None and r["state"] == "sent" for r in rows),
            "keep-alive: all 20 sent")
    used = connections() - c0
    t.check(1 <= used < 20, "keep-alive: 20 messages over %d connections" % used)
    t.check(used <= 8, "keep-alive: no more connections than the concurrency "
            "(%d)" % used)


def twilio_21610(env, stub, ob):
    stub.set_mode("21610")
    oid = ob.add(7, "+447700900106", "Hello 21610")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "failed", "21610: row failed")
    t.check_eq(r and r["error_code"], "21610", "21610: Twilio's code")
    t.check(ob.member(7)["optout_sms_at"] is not None, "21610: member opted out of SMS")
    t.check(ob.member(6)["optout_sms_at"] is None, "21610: other members are not")
    stub.set_mode("ok")


def twilio_early_receipt(env, stub, ob):
    """A delivery receipt that beats the answer to the send is kept and
    applied once the send is recorded."""
    stub.set_mode("ok")
    _early["to"] = (env.url + "/webhooks/twilio/status", stub.twilio_token)
    try:
        oid = ob.add(8, "+447700900107", "Hello early receipt")
        r = ob.wait(oid, ("delivered", "failed"), timeout=10)
    finally:
        _early["to"] = None
    t.check_eq(_early["answers"], [200], "early receipt: acknowledged")
    t.check(r is not None and r["state"] == "delivered",
            "early receipt: the row ends delivered (%r)" % (r and r["state"],))
    with ob._conn() as c:
        disp = c.execute("SELECT disposition FROM inbound WHERE"
                         " provider='twilio-status' ORDER BY id DESC"
                         " LIMIT 1").fetchone()
        parked = c.execute("SELECT count(*) FROM receipts_parked").fetchone()[0]
    t.check_eq(disp and disp[0], "receipt-parked", "early receipt: parked first")
    t.check_eq(parked, 0, "early receipt: nothing left parked")


def twilio_per_message(env, stub, ob):
    """The URL, headers and credentials are built once per configuration and
    every request reuses them; each request still carries its own To, From
    and Body, encoded, and a reload rebuilds what was built once."""
    stub.set_mode("ok")
    rc, _, err = env.ppgd("practice", "add", "A2", "--name", "Two")
    t.check(rc == 0, "per-message: practice without a sender: " + err)
    env.write_config({"twilio": {"from": "TWDEFAULT"}})
    ob.daemon.reload()
    time.sleep(0.5)
    texts = ["plain one", "a&b=c+d 100% ?x=1", "l\u00ednea\nnueva \u2713",
             "quote \" and \\ back"]
    want = {}
    with ob._conn() as c:
        for i, text in enumerate(texts):
            practice = 1 + i % 2  # A1 has its own sender, A2 has none
            to = "+4477009002%02d" % i
            c.execute(
                "INSERT INTO outbox (practice_id, member_id, channel, to_addr,"
                " body, next_attempt_at, created_at) VALUES (?, 1, 'sms', ?,"
                " ?, strftime('%s','now'), strftime('%s','now'))",
                (practice, to, text))
            want[text] = (to, "PPGTEST" if practice == 1 else "TWDEFAULT")
    ob.daemon.reload()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(
            requests_with(stub, "Body", x) for x in texts):
        time.sleep(0.05)
    auths = set()
    for text, (to, sender) in want.items():
        reqs = requests_with(stub, "Body", text)
        if not t.check_eq(len(reqs), 1, "per-message: one request for %r" % text):
            continue
        q = reqs[0]
        t.check_eq(q["body"].get("To"), to, "per-message: its own To (%r)" % text)
        t.check_eq(q["body"].get("From"), sender,
                   "per-message: its practice's sender (%r)" % text)
        t.check_eq(q["body"].get("StatusCallback"),
                   env.url + "/webhooks/twilio/status",
                   "per-message: the receipt URL (%r)" % text)
        t.check_eq(sorted(q["body"]), ["Body", "From", "StatusCallback", "To"],
                   "per-message: each field once (%r)" % q["raw"])
        t.check_eq(q["headers"].get("content-type"),
                   "application/x-www-form-urlencoded",
                   "per-message: form content type")
        t.check_eq(q["headers"].get("accept"), "application/json",
                   "per-message: Accept")
        t.check((q["headers"].get("user-agent") or "").startswith("ppgd/"),
                "per-message: User-Agent (%r)" % q["headers"].get("user-agent"))
        auths.add(q["headers"].get("authorization"))
    t.check_eq(len(auths), 1, "per-message: one Authorization for all")
    # A reload rebuilds the sender built once.
    env.write_config({"twilio": {"from": "NEWFROM"}})
    ob.daemon.reload()
    time.sleep(0.5)
    with ob._conn() as c:
        oid = c.execute(
            "INSERT INTO outbox (practice_id, member_id, channel, to_addr,"
            " body, next_attempt_at, created_at) VALUES (2, 1, 'sms',"
            " '+447700900299', 'after reload', strftime('%s','now'),"
            " strftime('%s','now'))").lastrowid
    ob.daemon.reload()
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "per-message: sent after reload")
    reqs = requests_with(stub, "Body", "after reload")
    t.check(len(reqs) == 1 and reqs[0]["body"].get("From") == "NEWFROM",
            "per-message: the new default sender after a reload (%r)"
            % [q["body"].get("From") for q in reqs])
    env.write_config({"twilio": {"from": None}})
    ob.daemon.reload()


def test_twilio():
    stub = smsstub.SmsStub().start()
    try:
        env, ob = setup("twilio", stub, {
            "sms": {"transport": "twilio"},
            "twilio": {"api_base": stub.url, "account_sid": stub.twilio_sid,
                       "auth_token_file": None},
        }, members=9)
        env.write_config({"twilio": {"auth_token_file": env.write_secret(
            "twilio", stub.twilio_token)}})
        with env.serve() as d:
            ob.daemon = d
            twilio_ok(env, stub, ob)
            twilio_429(env, stub, ob)
            twilio_500(env, stub, ob, d)
            twilio_400(env, stub, ob)
            twilio_stall(env, stub, ob)
            twilio_keepalive(env, stub, ob)
            twilio_21610(env, stub, ob)
            twilio_early_receipt(env, stub, ob)
            twilio_per_message(env, stub, ob)
            t.check_eq(d.stop(), 0, "twilio: ppgd stops cleanly")
    finally:
        stub.stop()


# -- notify ---------------------------------------------------------------------

SMS_TPL = "f33517ff-2a88-4f6e-b855-c550268ce08a"
EMAIL_TPL = "0ea2dbe3-7d53-4cba-a8ee-29a1b2f0bd0c"


def notify_sms(env, stub, ob):
    oid = ob.add(1, "+447700900100", "Hello notify")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "notify sms: sent (%r)"
            % ((r and (r["error_code"], r["error_text"])),))
    reqs = requests_with(stub, "reference", str(oid))
    if not t.check_eq(len(reqs), 1, "notify sms: one request with reference = id"):
        return
    q = reqs[0]
    t.check_eq(q["path"], "/v2/notifications/sms", "notify sms: the sms endpoint")
    auth = q["headers"].get("authorization", "")
    t.check(auth.startswith("Bearer ") and smsstub.notify_jwt_check(
        auth[7:], stub.notify_service_id, stub.notify_secret) is None,
        "notify sms: the JWT verifies")
    t.check_eq(q["body"].get("phone_number"), "+447700900100", "notify sms: phone_number")
    t.check_eq(q["body"].get("template_id"), SMS_TPL, "notify sms: template_id")
    t.check_eq(q["body"].get("personalisation"), {"body": "Hello notify"},
               "notify sms: personalisation carries the body")
    t.check(r is not None and r["provider_id"] in issued_ids(),
            "notify sms: provider_id is Notify's id")


def notify_email(env, stub, ob):
    oid = ob.add(2, "m1@example.org", "Email body", channel="email",
                 subject="A subject")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "notify email: sent")
    reqs = requests_with(stub, "reference", str(oid))
    if not t.check_eq(len(reqs), 1, "notify email: one request"):
        return
    q = reqs[0]
    t.check_eq(q["path"], "/v2/notifications/email", "notify email: the email endpoint")
    t.check_eq(q["body"].get("email_address"), "m1@example.org", "notify email: address")
    t.check_eq(q["body"].get("template_id"), EMAIL_TPL, "notify email: template_id")
    t.check_eq(q["body"].get("personalisation"),
               {"subject": "A subject", "body": "Email body"},
               "notify email: personalisation subject and body")


def notify_400(env, stub, ob):
    stub.set_mode("400")
    oid = ob.add(3, "+447700900102", "Hello notify 400")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "failed", "notify 400: failed")
    t.check_eq(r and r["error_code"], "ValidationError", "notify 400: Notify's error")
    t.check_eq(r and r["error_text"], "phone_number Not a UK mobile number",
               "notify 400: Notify's message")
    stub.set_mode("ok")


def notify_429(env, stub, ob):
    stub.set_mode("ok", retry_after=2)
    stub.fail_next_requests(1, "429")
    oid = ob.add(4, "+447700900103", "Hello notify 429")
    r = ob.wait(oid, ("sent", "failed"))
    reqs = requests_with(stub, "reference", str(oid))
    t.check(r is not None and r["state"] == "sent", "notify 429: sent in the end")
    if t.check_eq(len(reqs), 2, "notify 429: two requests"):
        t.check(reqs[1]["time"] >= int(reqs[0]["time"]) + 2,
                "notify 429: the retry waited for Retry-After")


def jwt_iat(auth):
    """The iat claim of an "Authorization: Bearer JWT" value."""
    import json
    return json.loads(smsstub.b64url_decode(auth[7:].split(".")[1]))["iat"]


def notify_per_message(env, stub, ob):
    """One body template and one signed token a second for every request;
    each request still carries its own number, text and reference (its
    outbox id), and a later second gets a freshly signed token."""
    stub.set_mode("ok")
    texts = ["n one", "n \"two\" \\ two", "n three\nline\ttab \u00e9 \U0001f389",
             "n four \x01 control"]
    daemon, ob.daemon = ob.daemon, None
    ids = [ob.add(1 + i % 3, "+4477009003%02d" % i, x) for i, x in enumerate(texts)]
    ob.daemon = daemon
    daemon.reload()
    rows = [ob.wait(i, ("sent", "failed")) for i in ids]
    t.check(all(r is not None and r["state"] == "sent" for r in rows),
            "notify per-message: all sent")
    iats = []
    for oid, text, i in zip(ids, texts, range(len(texts))):
        reqs = requests_with(stub, "reference", str(oid))
        if not t.check_eq(len(reqs), 1, "notify per-message: one request for %d" % oid):
            continue
        q = reqs[0]
        t.check_eq(q["body"].get("personalisation"), {"body": text},
                   "notify per-message: its own text (%r)" % q["raw"])
        t.check_eq(q["body"].get("phone_number"), "+4477009003%02d" % i,
                   "notify per-message: its own number")
        t.check_eq(q["body"].get("template_id"), SMS_TPL,
                   "notify per-message: template_id")
        auth = q["headers"].get("authorization", "")
        t.check(smsstub.notify_jwt_check(auth[7:], stub.notify_service_id,
                                         stub.notify_secret) is None,
                "notify per-message: the JWT verifies")
        iats.append(jwt_iat(auth))
    time.sleep(1.2)
    oid = ob.add(1, "+447700900399", "n later")
    r = ob.wait(oid, ("sent", "failed"))
    t.check(r is not None and r["state"] == "sent", "notify later: sent")
    reqs = requests_with(stub, "reference", str(oid))
    if t.check_eq(len(reqs), 1, "notify later: one request") and iats:
        later = jwt_iat(reqs[0]["headers"].get("authorization", ""))
        t.check(later > max(iats), "notify later: a token signed later (%d > %d)"
                % (later, max(iats)))


def test_notify():
    stub = smsstub.SmsStub().start()
    try:
        env, ob = setup("notify", stub, {
            "sms": {"transport": "notify"},
            "email": {"transport": "notify"},
            "notify": {"api_base": stub.url, "sms_template_id": SMS_TPL,
                       "email_template_id": EMAIL_TPL},
        }, members=4)
        env.write_config({"notify": {"api_key_file": env.write_secret(
            "notify", stub.notify_api_key)}})
        with env.serve() as d:
            ob.daemon = d
            notify_sms(env, stub, ob)
            notify_email(env, stub, ob)
            notify_400(env, stub, ob)
            notify_429(env, stub, ob)
            notify_per_message(env, stub, ob)
            t.check_eq(d.stop(), 0, "notify: ppgd stops cleanly")
    finally:
        stub.stop()


def test_bad_credentials():
    """A wrong auth token is refused by the provider: the row fails with its
    code rather than being retried for ever."""
    stub = smsstub.SmsStub().start()
    try:
        env, ob = setup("twilio-auth", stub, {
            "sms": {"transport": "twilio"},
            "twilio": {"api_base": stub.url, "account_sid": stub.twilio_sid},
        }, members=1)
        env.write_config({"twilio": {"auth_token_file": env.write_secret(
            "twilio", "wrong")}})
        with env.serve() as d:
            ob.daemon = d
            oid = ob.add(1, "+447700900100", "Hello auth")
            r = ob.wait(oid, ("sent", "failed"))
            t.check(r is not None and r["state"] == "failed", "bad auth: failed")
            t.check_eq(r and r["error_code"], "20003", "bad auth: Twilio's code")
    finally:
        stub.stop()


if __name__ == "__main__":
    test_twilio()
    test_notify()
    test_bad_credentials()
    t.finish()
