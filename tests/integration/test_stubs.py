#!/usr/bin/env python3
"""Self-test of the integration harness: the SMS and SMTP stubs in every mode,
over real sockets, and ppgdtest's helpers. Needs no ppgd binary."""

import base64
import contextlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import threading
import time
import configparser

import ppgdtest as t
from smsstub import SmsStub, notify_jwt
from smtpstub import SmtpSink, SmtpStub

HERE = os.path.dirname(os.path.abspath(__file__))
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- SMS stub ------------------------------------------------------------------

def twilio_send(stub, form=None, sid=None, token=None, timeout=10):
    sid = sid or stub.twilio_sid
    auth = base64.b64encode(("%s:%s" % (sid, token or stub.twilio_token)).encode())
    url = "%s/2010-04-01/Accounts/%s/Messages.json" % (stub.url, sid)
    form = form or {"To": "+447700900123", "From": "PPG", "Body": "Hello"}
    st, h, body = t.http_post(url, form, {"Authorization": "Basic " + auth.decode()},
                              timeout=timeout)
    return st, h, json.loads(body)


def notify_send(stub, kind="sms", body=None, token=None):
    token = token if token is not None else notify_jwt(stub.notify_service_id,
                                                       stub.notify_secret)
    body = body or ({"phone_number": "07700900123", "template_id": "t-sms",
                     "personalisation": {"body": "Hello"}, "reference": "ref-1"}
                    if kind == "sms" else
                    {"email_address": "a@example.org", "template_id": "t-mail",
                     "personalisation": {"subject": "S", "body": "B"},
                     "reference": "ref-2"})
    headers = {"Authorization": "Bearer " + token} if token else {}
    st, h, raw = t.http_post(stub.url + "/v2/notifications/" + kind, json_body=body,
                             headers=headers)
    return st, h, json.loads(raw)


def test_sms_ok(stub):
    st, _, js = twilio_send(stub)
    t.check_eq(st, 201, "twilio ok: 201")
    t.check(re.fullmatch(r"SM[0-9a-f]{32}", js.get("sid", "")), "twilio sid is SM + 32 hex")
    t.check_eq(js.get("status"), "queued", "twilio status queued")
    t.check_eq(js.get("to"), "+447700900123", "twilio echoes To")
    st2, _, js2 = twilio_send(stub)
    t.check(js2.get("sid") != js.get("sid"), "twilio sids differ per message")

    st, _, js = notify_send(stub, "sms")
    t.check_eq(st, 201, "notify sms ok: 201")
    t.check(UUID_RE.match(js.get("id", "")), "notify id is a uuid")
    t.check_eq(js.get("reference"), "ref-1", "notify echoes reference")
    t.check_eq(js.get("content", {}).get("body"), "Hello", "notify sms content body")
    st, _, js = notify_send(stub, "email")
    t.check_eq(st, 201, "notify email ok: 201")
    t.check_eq(js.get("content", {}).get("subject"), "S", "notify email subject")

    reqs = stub.requests
    t.check_eq(len(reqs), 4, "four provider requests recorded")
    r = reqs[0]
    t.check_eq(r["provider"], "twilio", "recorded provider")
    t.check_eq(r["body"], {"To": "+447700900123", "From": "PPG", "Body": "Hello"},
               "twilio form body parsed")
    t.check(r["headers"].get("authorization", "").startswith("Basic "),
            "headers recorded (lower-case names)")
    t.check_eq(reqs[2]["body"]["phone_number"], "07700900123", "notify JSON body parsed")
    t.check_eq(reqs[3]["path"], "/v2/notifications/email", "notify path recorded")


def test_sms_auth(stub):
    st, h, js = twilio_send(stub, token="wrong")
    t.check_eq((st, js.get("code")), (401, 20003), "twilio wrong token: 401 20003")
    t.check(h.get("WWW-Authenticate", "").startswith("Basic"), "twilio 401 asks for Basic")
    st, _, _ = twilio_send(stub, sid="AC" + "f" * 32)
    t.check_eq(st, 401, "twilio other account sid: 401")
    st, _, js = twilio_send(stub, form={"From": "PPG", "Body": "x"})
    t.check_eq((st, js.get("code")), (400, 21604), "twilio without To: 400 21604")

    cases = {
        "no Authorization header": "",
        "wrong secret": notify_jwt(stub.notify_service_id, "not-the-secret"),
        "wrong iss": notify_jwt("00000000-0000-0000-0000-000000000000", stub.notify_secret),
        "stale iat": notify_jwt(stub.notify_service_id, stub.notify_secret,
                                iat=time.time() - 3600),
        "not a JWT": "abc.def",
        "garbage parts": "!!!.???.***",
    }
    for what, token in cases.items():
        st, _, js = notify_send(stub, token=token)
        err = (js.get("errors") or [{}])[0].get("error")
        t.check_eq((st, err), (403, "AuthError"), "notify %s: 403 AuthError" % what)
    # alg none with a valid-looking payload must not pass
    good = notify_jwt(stub.notify_service_id, stub.notify_secret).split(".")
    none_hdr = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    st, _, _ = notify_send(stub, token=none_hdr + "." + good[1] + ".")
    t.check_eq(st, 403, "notify alg=none: 403")
    st, _, js = notify_send(stub, body={"template_id": "t"})
    t.check_eq(st, 400, "notify sms without phone_number: 400")
    t.check_eq(len([r for r in stub.requests if r["provider"]]), 11,
               "refused requests are recorded too")


def test_sms_failure_modes(stub):
    stub.set_mode("429", retry_after=7)
    for name, send in (("twilio", twilio_send), ("notify", notify_send)):
        st, h, js = send(stub)
        t.check_eq((st, h.get("Retry-After")), (429, "7"), "%s 429 with Retry-After: 7" % name)
    t.check_eq(twilio_send(stub)[2].get("code"), 20429, "twilio 429 code")
    t.check_eq(notify_send(stub)[2]["errors"][0]["error"], "RateLimitError",
               "notify 429 RateLimitError")

    stub.set_mode("500")
    t.check_eq(twilio_send(stub)[0], 500, "twilio 500")
    t.check_eq(notify_send(stub, "email")[0], 500, "notify 500")

    stub.set_mode("400")
    st, _, js = twilio_send(stub)
    t.check_eq((st, js), (400, {"code": 21211, "message":
                                "The 'To' number is not a valid phone number.",
                                "more_info": "https://www.twilio.com/docs/errors/21211",
                                "status": 400}), "twilio 400 21211 body")
    st, _, js = notify_send(stub, "sms")
    t.check_eq((st, js["errors"][0]["error"]), (400, "ValidationError"), "notify sms 400")
    st, _, js = notify_send(stub, "email")
    t.check("email_address" in js["errors"][0]["message"], "notify email 400 names email_address")

    stub.set_mode("21610")
    st, _, js = twilio_send(stub)
    t.check_eq((st, js.get("code")), (400, 21610), "twilio 21610 unsubscribed")
    t.check_eq(notify_send(stub)[0], 400, "notify in 21610 mode: 400")

    stub.set_mode("ok")
    stub.fail_next_requests(2, "500")
    got = [twilio_send(stub)[0], notify_send(stub)[0], twilio_send(stub)[0]]
    t.check_eq(got, [500, 500, 201], "fail the next 2 requests, then ok")
    stub.set_mode("ok", fail_next=1, fail_mode="429")
    t.check_eq([twilio_send(stub)[0], twilio_send(stub)[0]], [429, 201],
               "set_mode(fail_next=1, fail_mode=429)")
    st, _, _ = twilio_send(stub, token="bad")
    t.check_eq(st, 401, "auth is checked before the mode")


def test_sms_stall(stub):
    stub.set_mode("stall")
    results = []

    def send():
        results.append(twilio_send(stub)[0])

    threads = [threading.Thread(target=send) for _ in range(2)]
    for th in threads:
        th.start()
    t.check(stub.wait_stalled(2), "two requests stalled")
    t.check_eq(results, [], "stalled requests have no answer")
    t.check(all(th.is_alive() for th in threads), "clients still waiting")
    stub.release()
    for th in threads:
        th.join(10)
    t.check_eq(results, [201, 201], "released requests answered 201")
    t.check_eq(stub.mode, "ok", "release() returns to ok")

    # A stalled request's client times out; stop() does not hang on it.
    stub.set_mode("stall")
    st = None
    try:
        st = twilio_send(stub, timeout=0.5)[0]
    except (socket.timeout, TimeoutError, OSError):
        pass
    t.check(st is None, "client times out while stalled")
    t.check_eq(stub.stalled(), 1, "the abandoned request is still held")
    stub.release()
    deadline = time.monotonic() + 10
    while stub.stalled() and time.monotonic() < deadline:
        time.sleep(0.01)
    t.check_eq(stub.stalled(), 0, "release() lets it go (its client is gone)")


def test_sms_control(stub):
    def control(obj):
        st, _, body = t.http_post(stub.url + "/_control", json_body=obj)
        return st, json.loads(body)

    st, js = control({"mode": "429", "retry_after": 3})
    t.check_eq((st, js["mode"], js["retry_after"]), (200, "429", 3), "/_control sets mode")
    st, h, _ = twilio_send(stub)
    t.check_eq((st, h.get("Retry-After")), (429, "3"), "mode from /_control applies")
    control({"mode": "ok", "fail_next": 1, "fail_mode": "400"})
    t.check_eq([twilio_send(stub)[0], twilio_send(stub)[0]], [400, 201],
               "/_control fail_next")
    st, _ = control({"mode": "nonsense"})
    t.check_eq(st, 400, "/_control refuses an unknown mode")
    control({"mode": "stall"})
    th = threading.Thread(target=twilio_send, args=(stub,))
    th.start()
    t.check(stub.wait_stalled(1), "stalled via /_control")
    st, js = control({"release": True})
    th.join(10)
    t.check(not th.is_alive() and js["mode"] == "ok", "/_control release")

    st, _, body = t.http_get(stub.url + "/_requests")
    listed = json.loads(body)
    t.check_eq(st, 200, "GET /_requests")
    t.check_eq(len(listed), len(stub.requests), "/_requests lists every provider request")
    t.check(all("/_control" not in r["path"] for r in listed), "control calls not recorded")
    control({"clear": True})
    t.check_eq(stub.requests, [], "/_control clear")
    t.check_eq(t.http_get(stub.url + "/nowhere")[0], 404, "unknown path: 404")


def test_sms_keepalive(stub):
    conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=5)
    statuses = []
    for _ in range(3):
        conn.request("POST", "/v2/notifications/sms",
                     body=json.dumps({"phone_number": "07700900123", "template_id": "t"}),
                     headers={"Content-Type": "application/json", "Authorization":
                              "Bearer " + notify_jwt(stub.notify_service_id,
                                                     stub.notify_secret)})
        r = conn.getresponse()
        r.read()
        statuses.append(r.status)
    conn.close()
    t.check_eq(statuses, [201, 201, 201], "three requests on one kept-alive connection")


def test_sms_script():
    port = t.free_port()
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "smsstub.py"),
                          "--port", str(port), "--mode", "500"],
                         stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        t.check(("127.0.0.1:%d" % port) in line, "smsstub script prints its URL")
        stub = SmsStub(port=port)  # same default credentials, for the helpers
        t.check_eq(twilio_send(stub)[0], 500, "smsstub script honours --mode 500")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(10)
    t.check_eq(rc, 0, "smsstub script exits 0 on SIGTERM")


def test_sms():
    with SmsStub() as stub:
        test_sms_ok(stub)
        stub.clear()
        test_sms_auth(stub)
        test_sms_failure_modes(stub)
        test_sms_stall(stub)
        test_sms_control(stub)
        stub.set_mode("ok")
        test_sms_keepalive(stub)
        stub.set_mode("stall")
        outcome = []

        def stalled_client():
            try:
                outcome.append(twilio_send(stub, timeout=30)[0])
            except (http.client.RemoteDisconnected, ConnectionError) as e:
                outcome.append(type(e).__name__)

        th = threading.Thread(target=stalled_client)
        th.start()
        t.check(stub.wait_stalled(1), "a request stalled before stop()")
    th.join(10)
    t.check_eq(outcome, ["RemoteDisconnected"],
               "stop() closes a stalled request without an answer")
    test_sms_script()


# -- SMTP stub -----------------------------------------------------------------

MSG = (b"From: ppg@example.org\r\nTo: a@example.org\r\nSubject: Survey\r\n\r\n"
       b"Line one\r\n.hidden starts with a dot\r\n..two dots\r\n.\r\nend\r\n")


def smtp(port):
    return smtplib.SMTP("127.0.0.1", port, timeout=10)


def test_smtp_accept(tmp):
    maildir = os.path.join(tmp, "mail")
    with SmtpStub("accept", maildir=maildir) as s:
        c = smtp(s.port)
        code, _ = c.ehlo("client.test")
        t.check_eq(code, 250, "EHLO 250")
        for ext in ("pipelining", "8bitmime", "size", "enhancedstatuscodes"):
            t.check(c.has_extn(ext), "EHLO advertises " + ext.upper())
        t.check_eq(c.noop()[0], 250, "NOOP 250")
        t.check_eq(c.docmd("BOGUS")[0], 500, "unknown command 500")
        t.check_eq(c.docmd("DATA")[0], 503, "DATA before MAIL: 503")
        t.check_eq(c.docmd("RCPT TO:<a@example.org>")[0], 503, "RCPT before MAIL: 503")
        refused = c.sendmail("ppg@example.org", ["a@example.org", "b@example.org"], MSG,
                             mail_options=["BODY=8BITMIME"])
        t.check_eq(refused, {}, "two recipients accepted")
        t.check_eq(c.mail("x@example.org")[0], 250, "MAIL")
        t.check_eq(c.rset()[0], 250, "RSET")
        t.check_eq(c.mail("y@example.org")[0], 250, "MAIL after RSET (transaction reset)")
        t.check_eq(c.docmd("DATA")[0], 554, "DATA without recipients: 554")
        c.quit()

        t.check_eq(len(s.messages), 1, "one message stored")
        m = s.messages[0]
        t.check_eq(m.mail_from, "ppg@example.org", "envelope sender")
        t.check_eq(m.rcpt_to, ["a@example.org", "b@example.org"], "envelope recipients")
        t.check_eq(m.data, MSG, "data dot-unstuffed back to the original")
        t.check_eq(m.helo, "client.test", "HELO name stored")
        t.check("BODY=8BITMIME" in m.mail_params, "MAIL parameters stored")
        t.check_eq(m.message["Subject"], "Survey", "message parses")
        with open(os.path.join(maildir, m.id + ".eml"), "rb") as f:
            t.check_eq(f.read(), MSG, ".eml written to the maildir")
        with open(os.path.join(maildir, m.id + ".json")) as f:
            t.check_eq(json.load(f)["rcpt_to"], m.rcpt_to, "envelope written beside it")

        c = smtp(s.port)
        t.check_eq(c.helo("old.test")[0], 250, "HELO 250")
        c.sendmail("p@example.org", ["c@example.org"], b"Subject: x\r\n\r\nhi\r\n")
        c.quit()
        t.check(s.wait_messages(2), "message over HELO stored")
        t.check_eq(s.messages[1].helo, "old.test", "HELO name")

        raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        f = raw.makefile("rb")
        f.readline()
        t.check_eq(raw.sendall(b"MAIL FROM:<a@b>\r\n") or f.readline()[:3], b"503",
                   "MAIL before HELO: 503")
        # Pipelined: everything up to DATA in one write, replies in order.
        raw.sendall(b"EHLO pipe.test\r\nMAIL FROM:<a@example.org>\r\n"
                    b"RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
        codes = []
        while len(codes) < 5:
            line = f.readline()
            if line[3:4] != b"-":
                codes.append(line[:3])
        t.check_eq(codes, [b"250", b"250", b"250", b"250", b"354"],
                   "pipelined replies in order")
        raw.sendall(b"Subject: p\r\n\r\npiped\r\n.\r\nQUIT\r\n")
        t.check_eq(f.readline()[:3], b"250", "pipelined message queued")
        t.check_eq(f.readline()[:3], b"221", "QUIT 221")
        raw.close()
        t.check(s.wait_messages(3), "pipelined message stored")
        t.check_eq(s.messages[2].rcpt_to, ["b@example.org", "c@example.org"],
                   "pipelined recipients")


def test_smtp_tempfail():
    with SmtpStub("451-then-accept", tempfail=2) as s:
        codes = []
        for _ in range(3):
            c = smtp(s.port)
            try:
                c.sendmail("p@example.org", ["a@example.org"], b"Subject: t\r\n\r\nx\r\n")
                codes.append(250)
            except smtplib.SMTPRecipientsRefused as e:
                codes.append(e.recipients["a@example.org"][0])
                t.check(b"4.3.0" in e.recipients["a@example.org"][1], "451 carries 4.3.0")
            c.quit()
        t.check_eq(codes, [451, 451, 250], "first 2 RCPTs 451, then accepted")
        t.check_eq((s.tempfailed, len(s.messages)), (2, 1), "tempfail counters")
        s.set_mode("451-then-accept", tempfail=1)
        c = smtp(s.port)
        refused = c.sendmail("p@example.org", ["a@example.org", "b@example.org"],
                             b"Subject: t\r\n\r\nx\r\n")
        c.quit()
        t.check_eq(list(refused), ["a@example.org"], "set_mode re-arms: one RCPT 451")
        t.check_eq(s.messages[-1].rcpt_to, ["b@example.org"], "the other delivered")


def test_smtp_550():
    with SmtpStub("550") as s:
        c = smtp(s.port)
        try:
            c.sendmail("p@example.org", ["nobody@example.org"], b"Subject: t\r\n\r\nx\r\n")
            got = None
        except smtplib.SMTPRecipientsRefused as e:
            got = e.recipients["nobody@example.org"]
        c.close()
        t.check(got is not None and got[0] == 550 and b"5.1.1" in got[1], "RCPT 550 5.1.1")
        t.check_eq(s.messages, [], "nothing stored")


def test_smtp_drop():
    with SmtpStub("drop-mid-data") as s:
        c = smtp(s.port)
        err = None
        try:
            c.sendmail("p@example.org", ["a@example.org"], MSG * 100)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as e:
            err = e
        c.close()
        t.check(err is not None, "client sees the connection drop during DATA (%r)" % err)
        t.check_eq((s.dropped, s.messages), (1, []), "dropped, nothing stored")
        s.set_mode("accept")
        c = smtp(s.port)
        c.sendmail("p@example.org", ["a@example.org"], MSG)
        c.quit()
        t.check_eq(len(s.messages), 1, "accepts again after set_mode(accept)")


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_smtp_down():
    with SmtpStub("down") as s:
        t.check(s.port > 0 and refused(s.port), "down: connection refused")
        s.set_mode("accept")
        c = smtp(s.port)
        c.sendmail("p@example.org", ["a@example.org"], b"Subject: t\r\n\r\nx\r\n")
        c.quit()
        t.check_eq(len(s.messages), 1, "up again on the same port")
        c = smtp(s.port)
        s.set_mode("down")
        t.check(refused(s.port), "set_mode(down) stops listening")
        try:
            c.noop()
            alive = True
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            alive = False
        t.check(not alive, "set_mode(down) drops open sessions")
        c.close()


def test_smtp_auth():
    with SmtpStub("accept", auth=("ppg", "s3cret")) as s:
        c = smtp(s.port)
        c.ehlo()
        t.check(c.has_extn("auth"), "AUTH advertised when credentials set")
        try:
            c.sendmail("p@example.org", ["a@example.org"], b"x\r\n")
            t.check(False, "MAIL without AUTH refused")
        except smtplib.SMTPSenderRefused as e:
            t.check_eq(e.smtp_code, 530, "MAIL without AUTH: 530")
        try:
            c.login("ppg", "wrong")
            t.check(False, "wrong password refused")
        except smtplib.SMTPAuthenticationError as e:
            t.check_eq(e.smtp_code, 535, "wrong password: 535")
        c.quit()
        for mech in ("PLAIN", "LOGIN"):
            c = smtp(s.port)
            c.ehlo()
            c.user, c.password = "ppg", "s3cret"
            code, _ = c.auth(mech, getattr(c, "auth_" + mech.lower()),
                             initial_response_ok=(mech == "PLAIN"))
            t.check_eq(code, 235, "AUTH %s succeeds" % mech)
            c.sendmail("p@example.org", ["a@example.org"], b"Subject: a\r\n\r\nx\r\n")
            c.quit()
        t.check_eq([m.auth_user for m in s.messages], ["ppg", "ppg"], "auth user stored")


def test_smtp_script():
    port = t.free_port()
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "smtpstub.py"),
                          "--port", str(port), "--mode", "550"],
                         stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        t.check(("127.0.0.1:%d" % port) in line, "smtpstub script prints its address")
        c = smtp(port)
        c.ehlo()
        c.mail("p@example.org")
        t.check_eq(c.rcpt("a@example.org")[0], 550, "smtpstub script honours --mode 550")
        c.quit()
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(10)
    t.check_eq(rc, 0, "smtpstub script exits 0 on SIGTERM")


def test_smtp_sink(tmp):
    if SmtpSink.path() is None:
        print("note: smtp-sink not installed, its helper not tested")
        return
    dump = os.path.join(tmp, "sink")
    with SmtpSink(dump_dir=dump) as sink:
        c = smtp(sink.port)
        c.sendmail("p@example.org", ["a@example.org"], MSG)
        c.quit()
        deadline = time.monotonic() + 10
        while not sink.messages() and time.monotonic() < deadline:
            time.sleep(0.05)
        msgs = sink.messages()
        t.check_eq(len(msgs), 1, "smtp-sink dumped one message")
        t.check(msgs and b"X-Rcpt-Args: <a@example.org>" in msgs[0]
                and b"Subject: Survey" in msgs[0], "smtp-sink dump has envelope and message")
    t.check(sink.proc.poll() is not None, "smtp-sink stopped")


# -- ppgdtest helpers ----------------------------------------------------------

def test_signatures():
    # Twilio's own published example (its request-validation docs and tests).
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    t.check_eq(t.twilio_sign(url, params, "12345"), "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
               "twilio_sign matches Twilio's example")
    t.check_eq(t.twilio_sign(url, list(reversed(list(params.items()))), "12345"),
               "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "twilio_sign ignores parameter order")
    t.check_eq(t.twilio_sign(url, [("x", "2"), ("x", "1"), ("x", "1")], "k"),
               t.twilio_sign(url, [("x", "1"), ("x", "2")], "k"),
               "repeated values: each distinct value once, sorted")
    t.check(t.twilio_sign(url, dict(params, Digits="9"), "12345")
            != "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "a changed parameter changes it")
    sig = t.mailgun_sign("key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "1529006854",
                         "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0")
    t.check(re.fullmatch(r"[0-9a-f]{64}", sig), "mailgun_sign is 64 hex digits")
    if shutil.which("openssl"):
        out = subprocess.run(
            ["openssl", "dgst", "-sha256", "-hmac", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"],
            input=b"1529006854a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
            capture_output=True).stdout.decode()
        t.check_eq(out.split()[-1], sig, "mailgun_sign agrees with openssl dgst -hmac")


def test_env_and_http():
    env = t.TestEnv("test_stubs-env")
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(env.conf)
    t.check_eq(cp["daemon"]["listen"], env.listen, "config has [daemon] listen")
    t.check_eq(cp["email"]["transport"], "file", "config has [email] transport=file")
    t.check(cp["sms"]["spool"].startswith(env.dir), "spool inside the work dir")
    path = env.write_secret("twilio-token", "tok")
    t.check_eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, "write_secret makes 0600")
    os.chmod(path, 0o644)
    env.write_secret("twilio-token", "tok2")
    t.check_eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, "rewriting restores 0600")
    env.write_config({"sms": {"transport": "twilio"}, "twilio": {"auth_token_file": path,
                                                                "rate": 5},
                      "email": {"spool": None}})
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(env.conf)
    t.check_eq((cp["sms"]["transport"], cp["twilio"]["rate"]), ("twilio", "5"),
               "write_config merges sections")
    t.check("spool" not in cp["email"] and "listen" in cp["daemon"],
            "None removes a key; others stay")
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", t.free_port()))
        t.check(True, "free_port is bindable")
    finally:
        s.close()

    with SmsStub() as stub:
        st, h, body = t.http_get(stub.url + "/nowhere")
        t.check_eq((st, json.loads(body)), (404, {"message": "not found"}),
                   "http_get returns 4xx without raising")
        st, _, body = t.http_post(stub.url + "/_control", b'{"mode": "500"}',
                                  {"Content-Type": "application/json"})
        t.check_eq(json.loads(body)["mode"], "500", "http_post sends raw bytes")
    return env


FAKE_PPGD = r'''#!/usr/bin/env python3
# A stand-in for `ppgd -c CONF serve`: serves /healthz on [daemon] listen.
import configparser, http.server, json, signal, sys, os
cp = configparser.ConfigParser(interpolation=None)
cp.read(sys.argv[2])
host, port = cp["daemon"]["listen"].rsplit(":", 1)
if sys.argv[3] != "serve":
    if "--json" in sys.argv:
        print(json.dumps({"args": sys.argv[3:], "cwd": os.getcwd()}))
    else:
        print("configuration OK")
    sys.exit(0)
if os.environ.get("FAKE_IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
    def log_message(self, *a):
        sys.stderr.write("request path=%s\n" % self.path)
print("fake ppgd args=%s" % " ".join(sys.argv[1:]), file=sys.stderr, flush=True)
http.server.HTTPServer((host, int(port)), H).serve_forever()
'''


def test_daemon(env):
    fake = env.path("fake-ppgd")
    with open(fake, "w") as f:
        f.write(FAKE_PPGD)
    os.chmod(fake, 0o755)
    saved = t.PPGD
    t.PPGD = fake
    try:
        rc, out, err = env.ppgd("check-config")
        t.check_eq((rc, out), (0, "configuration OK\n"), "ppgd() runs $PPGD -c CONF")
        rc, obj, err = env.ppgd_json("member", "list")
        t.check_eq(obj, {"args": ["member", "list", "--json"], "cwd": env.dir},
                   "ppgd_json() appends --json, parses stdout, runs in the work dir")
        d = env.serve()
        t.check(d.running(), "Daemon started and /healthz answered")
    finally:
        t.PPGD = saved
    t.check_eq(d.stop(), 0, "SIGTERM: exit status returned")
    t.check("args=-c %s serve" % env.conf in d.output(), "serve started with -c CONF serve")
    t.check("path=/healthz" in d.output(), "stderr captured to the log")

    t.PPGD = fake
    try:
        d = env.serve(env={"FAKE_IGNORE_TERM": "1"})
        before = t.failures()
        with contextlib.redirect_stdout(io.StringIO()) as said:
            rc = d.stop(timeout=1)
        t.check_eq(rc, -signal.SIGKILL, "ignoring SIGTERM: killed")
        caught = t.failures() - before
        t._failed -= caught  # the failure stop() recorded is the expected one
        t.check_eq(caught, 1, "stop() records a failure when SIGKILL was needed")
        t.check("FAIL: ppgd serve stopped within 1s" in said.getvalue(),
                "and says so")
    finally:
        t.PPGD = saved


def main():
    import tempfile
    tmp = tempfile.mkdtemp(prefix="test_stubs-")
    try:
        test_sms()
        test_smtp_accept(tmp)
        test_smtp_tempfail()
        test_smtp_550()
        test_smtp_drop()
        test_smtp_down()
        test_smtp_auth()
        test_smtp_script()
        test_smtp_sink(tmp)
        test_signatures()
        env = test_env_and_http()
        test_daemon(env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
