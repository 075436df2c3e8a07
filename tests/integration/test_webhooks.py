#!/usr/bin/env python3
"""Webhooks, the web survey and unsubscribe, through real HTTP against
`ppgd serve`: good requests, bad signatures (403, nothing stored), replays
(counted once), oversized (413), malformed bodies (400), unknown tokens (404),
the web survey (errors shown and escaped, success, already answered) and
unsubscribe (page, form, RFC 8058 one-click)."""

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"
CB_TOKEN = "notify-callback-token"
MG_KEY = "mailgun-signing-key"
ANN = "+447700900123"
OURS = "+447700900000"

FFT = {
    "slug": "fft", "title": "Friends and Family Test", "version": 1,
    "anonymous": True, "closing": "Thank you. We read every comment.",
    "questions": [
        {"key": "experience", "type": "fft", "required": True},
        {"key": "what_was_good", "type": "text", "required": False,
         "text": "What was good?", "sms": "What was good?", "max_length": 500},
        {"key": "do_better", "type": "text", "required": False,
         "text": "What could we do better?", "max_length": 500},
    ],
}
MEETING = {
    "slug": "post-meeting", "title": "Feedback on our <PPG> meeting",
    "version": 1, "anonymous": True,
    "introduction": "Thank you for coming & telling us.",
    "closing": "Thank you. We will look at every reply.",
    "questions": [
        {"key": "useful", "type": "scale", "required": True,
         "text": "How useful did you find the meeting?", "min": 1, "max": 5,
         "min_label": "Not useful", "max_label": "Very useful"},
        {"key": "had_say", "type": "choice", "required": False,
         "text": "Did you feel able to have your say?",
         "options": ["Yes", "Partly", "No"], "multiple": False},
        {"key": "help_say", "type": "text", "required": False,
         "text": "What would make it easier to have your say?",
         "max_length": 500,
         "show_if": {"question": "had_say", "in": ["2", "3"]}},
        {"key": "topics", "type": "choice", "required": False,
         "text": "What should we talk about?", "multiple": True,
         "options": ["Appointments", "Prescriptions", "Parking"]},
    ],
}

env = t.TestEnv("webhooks")
env.write_config({
    "daemon": {"templates": os.path.join(t.TOP, "templates")},
    "http": {"max_body": 2048},
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "email": {"reply_domain": "reply.example.org"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
    "notify": {"callback_token_file": env.write_secret("notify", CB_TOKEN)},
    "mailgun": {"signing_key_file": env.write_secret("mailgun", MG_KEY)},
})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)
DB = env.sections["daemon"]["database"]


def db():
    c = sqlite3.connect(DB, timeout=10)
    c.row_factory = sqlite3.Row
    return c


def one(sql, *args):
    with db() as c:
        r = c.execute(sql, args).fetchone()
    return None if r is None else r[0]


def execute(sql, *args):
    c = db()
    with c:
        cur = c.execute(sql, args)
        rid = cur.lastrowid
    c.close()
    return rid


def token_hash(tok):
    return hashlib.sha256(tok.encode()).hexdigest()


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def derived_token(kind, run, member, key=None):
    """A link token as ppgd derives it: base64url of (version 1 << 4 | kind,
    varint run, varint member, 10 bytes of HMAC-SHA256) under the key file
    next to the database."""
    if key is None:
        path = DB + ".token-key"
        if not os.path.exists(path):  # made by `ppgd init` or first use
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (secrets.token_hex(32) + "\n").encode())
            os.close(fd)
        with open(path, "rb") as f:
            key = f.read().strip()
    msg = bytes([0x10 | kind]) + varint(run) + varint(member)
    mac = hmac.new(key, msg, hashlib.sha256).digest()[:10]
    return base64.urlsafe_b64encode(msg + mac).decode().rstrip("=")


def new_token(kind, member=None, campaign=None, survey=None, expires=None,
              run=None):
    tok = secrets.token_urlsafe(16)
    execute("INSERT INTO tokens (hash, kind, member_id, campaign_id, survey_id,"
            " created_at, expires_at, run_id) VALUES (?,?,?,?,?,?,?,?)",
            token_hash(tok), kind, member, campaign, survey, int(time.time()),
            expires, run)
    return tok


# -- fixtures ---------------------------------------------------------------
now = int(time.time())
execute("INSERT INTO practices (code, name, sms_from, phone, created_at)"
        " VALUES ('A81001', 'Riverside Surgery', ?, '01632 960000', ?)", OURS, now)
ann = execute("INSERT INTO members (practice_id, first_name, email, mobile,"
              " preferred_channel, joined_at, created_at, updated_at, age_band,"
              " sex) VALUES (1, 'Ann', 'ann@example.org', ?, 'sms', ?, ?, ?,"
              " '65-74', 'female')", ANN, now, now, now)
bob = execute("INSERT INTO members (practice_id, first_name, email, mobile,"
              " preferred_channel, joined_at, created_at, updated_at)"
              " VALUES (1, 'Bob', 'bob@example.org', '+447700900456', 'email',"
              " ?, ?, ?)", now, now, now)
fft = execute("INSERT INTO surveys (slug, version, title, anonymous, definition,"
              " hash, loaded_at) VALUES ('fft', 1, 'FFT', 1, ?, 'x', ?)",
              json.dumps(FFT), now)
pm = execute("INSERT INTO surveys (slug, version, title, anonymous, definition,"
             " hash, loaded_at) VALUES ('post-meeting', 1, 'PM', 1, ?, 'y', ?)",
             json.dumps(MEETING), now)
meeting = execute("INSERT INTO meetings (practice_id, at, place, created_at)"
                  " VALUES (1, ?, 'Library', ?)", now + 86400 * 14, now)
camp = execute("INSERT INTO campaigns (name, practice_id, kind, template,"
               " channels, meeting_id, created_at) VALUES ('invite', 1,"
               " 'meeting', 'meeting-invitation', 'email', ?, ?)", meeting, now)


def twilio_post(path, params, token=TW_TOKEN, sig=None):
    url = env.url + path
    if sig is None:
        sig = t.twilio_sign(url, params, token)
    return t.http_post(url, params, headers={"X-Twilio-Signature": sig})


def inbound_count(provider, msg_id=None):
    if msg_id is None:
        return one("SELECT count(*) FROM inbound WHERE provider=?", provider)
    return one("SELECT count(*) FROM inbound WHERE provider=? AND"
               " provider_msg_id=?", provider, msg_id)


def sms(sid, body, frm=ANN):
    return twilio_post("/webhooks/twilio/sms",
                       {"MessageSid": sid, "From": frm, "To": OURS, "Body": body,
                        "AccountSid": "AC1"})


def last_outbox_body():
    return one("SELECT body FROM outbox ORDER BY id DESC LIMIT 1") or ""


with env.serve() as d:
    # -- Twilio inbound SMS --------------------------------------------------
    st, h, body = sms("SM1", "Hello from Ann")
    t.check_eq(st, 200, "twilio sms: good signature answers 200")
    t.check(body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response/>'),
            "twilio sms: answers empty TwiML")
    t.check("xml" in (h.get("Content-Type") or ""), "twilio sms: XML type")
    t.check_eq(one("SELECT disposition FROM inbound WHERE provider_msg_id='SM1'"),
               "feedback", "twilio sms: no session, stored as feedback")
    t.check_eq(one("SELECT member_id FROM inbound WHERE provider_msg_id='SM1'"),
               ann, "twilio sms: matched to the member")
    st, _, _ = sms("SM1", "Hello from Ann")
    t.check_eq(st, 200, "twilio sms: a retry is acknowledged")
    t.check_eq(inbound_count("twilio", "SM1"), 1, "twilio sms: a retry is stored once")

    st, _, _ = twilio_post("/webhooks/twilio/sms",
                           {"MessageSid": "SM2", "From": ANN, "Body": "x"},
                           token="wrong-token")
    t.check_eq(st, 403, "twilio sms: bad signature is 403")
    t.check_eq(inbound_count("twilio", "SM2"), 0, "twilio sms: bad signature stores nothing")
    st, _, _ = t.http_post(env.url + "/webhooks/twilio/sms",
                           {"MessageSid": "SM2", "From": ANN, "Body": "x"})
    t.check_eq(st, 403, "twilio sms: no signature is 403")
    # The signature covers every parameter: change one after signing.
    params = {"MessageSid": "SM2", "From": ANN, "Body": "x"}
    sig = t.twilio_sign(env.url + "/webhooks/twilio/sms", params, TW_TOKEN)
    params["Body"] = "y"
    st, _, _ = t.http_post(env.url + "/webhooks/twilio/sms", params,
                           headers={"X-Twilio-Signature": sig})
    t.check_eq(st, 403, "twilio sms: a tampered body is 403")

    st, _, body = t.http_post(env.url + "/webhooks/twilio/sms",
                              b"MessageSid=SM3&Body=%zz",
                              headers={"Content-Type": "application/x-www-form-urlencoded",
                                       "X-Twilio-Signature": "x"})
    t.check_eq(st, 400, "twilio sms: malformed form encoding is 400")
    t.check_eq(inbound_count("twilio", "SM3"), 0, "malformed: nothing stored")
    st, _, _ = twilio_post("/webhooks/twilio/sms",
                           {"MessageSid": "SM4", "From": ANN, "Body": "x" * 3000})
    t.check_eq(st, 413, "twilio sms: body over [http] max_body is 413")
    t.check_eq(inbound_count("twilio", "SM4"), 0, "oversized: nothing stored")
    st, h, _ = t.http_get(env.url + "/webhooks/twilio/sms")
    t.check_eq(st, 405, "GET on a webhook is 405")

    # -- an SMS survey conversation ---------------------------------------------
    rid = execute("INSERT INTO responses (survey_id, practice_id, channel,"
                  " started_at) VALUES (?, 1, 'sms', ?)", fft, now)
    execute("INSERT INTO sms_sessions (member_id, response_id, expires_at,"
            " updated_at) VALUES (?, ?, ?, ?)", ann, rid, now + 3600, now)
    st, _, _ = sms("SM10", "banana")
    t.check_eq(st, 200, "conversation: invalid answer 200")
    t.check("from 1 to 6" in last_outbox_body(), "conversation: re-prompt queued")
    sms("SM11", "good")
    t.check_eq(one("SELECT value FROM answers WHERE response_id=? AND"
                   " question='experience'", rid), "2", "conversation: answer stored")
    t.check("What was good?" in last_outbox_body(), "conversation: next question queued")
    sms("SM12", "The nurse")
    sms("SM13", "SKIP")
    t.check(one("SELECT completed_at FROM responses WHERE id=?", rid) is not None,
            "conversation: response completed")
    t.check("read every comment" in last_outbox_body(), "conversation: closing sent")

    # -- care words, unmatched, STOP -----------------------------------------
    sms("SM20", "I have chest pain")
    t.check_eq(one("SELECT care_flag FROM inbound WHERE provider_msg_id='SM20'"), 1,
               "care word flagged")
    t.check("NHS 111" in last_outbox_body(), "care word: automatic reply queued")
    sms("SM21", "who is this", frm="+447700900999")
    t.check_eq(one("SELECT disposition FROM inbound WHERE provider_msg_id='SM21'"),
               "unmatched", "unknown number: unmatched")
    n = one("SELECT count(*) FROM outbox")
    sms("SM22", " stop ")
    t.check(one("SELECT optout_sms_at FROM members WHERE id=?", ann) is not None,
            "STOP opts the member out")
    t.check_eq(one("SELECT count(*) FROM outbox"), n + 1, "STOP: one confirmation")
    t.check("no more texts" in last_outbox_body(), "STOP: the optout-confirmation template")
    sms("SM23", "START")
    t.check(one("SELECT optout_sms_at FROM members WHERE id=?", ann) is None,
            "START opts back in")

    rc, out, err = env.ppgd("inbox", "--unmatched", "--json")
    t.check_eq(rc, 0, "inbox --unmatched runs: " + err)
    try:
        rows = json.loads(out)
    except ValueError:
        rows = None
    t.check(isinstance(rows, list) and len(rows) == 1 and
            rows[0].get("disposition") == "unmatched", "inbox --unmatched lists one")
    rc, out, err = env.ppgd("inbox", "--flagged")
    t.check(rc == 0 and "chest pain" in out, "inbox --flagged shows the care message")
    sms("SM24", "Please stop texting me")
    rc, rows, err = env.ppgd_json("inbox", "--stop-requests")
    t.check(rc == 0 and [r["disposition"] for r in rows or []] == ["stop-request"]
            and "stop texting" in rows[0]["body"],
            "inbox --stop-requests lists the text that asked in words (%s)" % err)
    t.check(one("SELECT optout_sms_at FROM members WHERE id=?", ann) is None,
            "a stop request in words does not opt out by itself")

    # -- delivery receipts ---------------------------------------------------
    def outbox_sent(provider_id):
        return execute("INSERT INTO outbox (practice_id, member_id, channel,"
                       " state, to_addr, body, next_attempt_at, created_at,"
                       " provider_id, sent_at) VALUES (1, ?, 'sms', 'sent', ?,"
                       " 'hi', ?, ?, ?, ?)", ann, ANN, now, now, provider_id, now)

    def state(oid):
        return one("SELECT state FROM outbox WHERE id=?", oid)

    o1 = outbox_sent("SMout1")
    st, _, _ = twilio_post("/webhooks/twilio/status",
                           {"MessageSid": "SMout1", "MessageStatus": "delivered"})
    t.check_eq(st, 200, "twilio status: 200")
    t.check_eq(state(o1), "delivered", "twilio status: sent -> delivered")
    st, _, _ = twilio_post("/webhooks/twilio/status",
                           {"MessageSid": "SMout1", "MessageStatus": "failed",
                            "ErrorCode": "30003"})
    t.check_eq(st, 200, "twilio status: a late failure is acknowledged")
    t.check_eq(state(o1), "delivered", "twilio status: delivered stays delivered")
    o2 = outbox_sent("SMout2")
    st, _, _ = twilio_post("/webhooks/twilio/status",
                           {"MessageSid": "SMout2", "MessageStatus": "undelivered",
                            "ErrorCode": "30005"})
    t.check_eq(state(o2), "failed", "twilio status: sent -> failed")
    t.check_eq(one("SELECT error_code FROM outbox WHERE id=?", o2), "30005",
               "twilio status: the error code is kept")
    st, _, _ = twilio_post("/webhooks/twilio/status",
                           {"MessageSid": "SMnone", "MessageStatus": "delivered"})
    t.check_eq(st, 200, "twilio status: unknown message answered 200")
    o3 = outbox_sent("SMout3")
    st, _, _ = twilio_post("/webhooks/twilio/status",
                           {"MessageSid": "SMout3", "MessageStatus": "delivered"},
                           token="bad")
    t.check_eq(st, 403, "twilio status: bad signature 403")
    t.check_eq(state(o3), "sent", "twilio status: bad signature changes nothing")

    def notify(path, obj, token=CB_TOKEN):
        return t.http_post(env.url + path, json_body=obj,
                           headers={"Authorization": "Bearer " + token})

    o4 = outbox_sent("n-4")
    st, _, _ = notify("/webhooks/notify/status",
                      {"id": "n-4", "reference": str(o4), "status": "permanent-failure",
                       "notification_type": "sms"}, token="wrong")
    t.check_eq(st, 403, "notify status: bad bearer 403")
    t.check_eq(state(o4), "sent", "notify status: bad bearer changes nothing")
    st, _, _ = notify("/webhooks/notify/status",
                      {"id": "n-4", "reference": str(o4), "status": "permanent-failure",
                       "notification_type": "sms"})
    t.check_eq(st, 200, "notify status: 200")
    t.check_eq(state(o4), "failed", "notify status: sent -> failed")
    st, _, _ = notify("/webhooks/notify/status",
                      {"id": "n-4", "reference": str(o4), "status": "permanent-failure"})
    t.check_eq(inbound_count("notify-status"), 1, "notify status: a repeat stored once")
    st, _, _ = notify("/webhooks/notify/status",
                      {"id": "n-x", "reference": "999999", "status": "delivered"})
    t.check_eq(st, 200, "notify status: unknown reference answered 200")

    # -- Notify inbound SMS ----------------------------------------------------
    msg = {"id": "in-1", "source_number": "447700900456",
           "destination_number": "07700900000", "message": "Parking is hard",
           "date_received": "2025-01-01T10:00:00.000000Z"}
    st, _, _ = notify("/webhooks/notify/sms", msg)
    t.check_eq(st, 200, "notify sms: 200")
    t.check_eq(one("SELECT member_id FROM inbound WHERE provider='notify'"),
               bob, "notify sms: matched by number")
    notify("/webhooks/notify/sms", msg)
    t.check_eq(inbound_count("notify"), 1, "notify sms: a retry stored once")
    st, _, _ = notify("/webhooks/notify/sms", dict(msg, id="in-2"), token="no")
    t.check_eq(st, 403, "notify sms: bad bearer 403")
    t.check_eq(inbound_count("notify", "in-2"), 0, "notify sms: bad bearer stores nothing")
    st, _, _ = t.http_post(env.url + "/webhooks/notify/sms", b"{not json",
                           headers={"Authorization": "Bearer " + CB_TOKEN})
    t.check_eq(st, 400, "notify sms: malformed JSON 400")

    # -- Mailgun inbound email -------------------------------------------------
    def mailgun(fields, ts=None, key=MG_KEY, token=None):
        ts = str(int(time.time()) if ts is None else ts)
        token = token or secrets.token_hex(25)
        f = dict(fields, timestamp=ts, token=token,
                 signature=t.mailgun_sign(key, ts, token))
        return t.http_post(env.url + "/webhooks/mailgun/email", f), token

    rtok = new_token("reply", member=ann, campaign=camp)
    fields = {"sender": "ann@example.org",
              "recipient": "reply+%s@reply.example.org" % rtok,
              "subject": "Re: meeting", "body-plain": "Please discuss parking\n> quoted",
              "stripped-text": "Please discuss parking"}
    (st, _, _), tok = mailgun(fields)
    t.check_eq(st, 200, "mailgun: 200")
    t.check_eq(one("SELECT disposition FROM inbound WHERE provider='mailgun'"),
               "agenda", "mailgun: a reply to an invitation is an agenda item")
    t.check_eq(one("SELECT meeting_id FROM inbound WHERE provider='mailgun'"),
               meeting, "mailgun: the agenda item names the meeting")
    t.check_eq(one("SELECT body FROM inbound WHERE provider='mailgun'"),
               "Please discuss parking", "mailgun: stripped text stored")
    (st, _, _), _ = mailgun(fields, token=tok)
    t.check_eq(st, 200, "mailgun: a replayed token is acknowledged")
    t.check_eq(inbound_count("mailgun"), 1, "mailgun: a replay is stored once")
    (st, _, _), _ = mailgun(dict(fields, **{"stripped-text": "again"}),
                            ts=int(time.time()) - 3600)
    t.check_eq(st, 403, "mailgun: a stale timestamp is 403")
    (st, _, _), _ = mailgun(fields, key="wrong")
    t.check_eq(st, 403, "mailgun: bad signature 403")
    t.check_eq(inbound_count("mailgun"), 1, "mailgun: rejected requests store nothing")
    (st, _, _), _ = mailgun({"sender": "Bob <BOB@example.org>",
                             "recipient": "ppg@reply.example.org",
                             "X-Mailgun-Spf": "Fail",
                             "X-Mailgun-Dkim-Check-Result": "Fail",
                             "body-plain": "Hello, urgent"})
    t.check_eq(one("SELECT disposition FROM inbound WHERE provider='mailgun'"
                   " ORDER BY id DESC LIMIT 1"), "unmatched",
               "mailgun: a sender failing SPF and DKIM is not the member")
    t.check_eq(one("SELECT count(*) FROM outbox WHERE to_addr='bob@example.org'"), 0,
               "mailgun: no automatic reply to a forged sender")
    (st, _, _), _ = mailgun({"sender": "Bob <BOB@example.org>",
                             "recipient": "ppg@reply.example.org",
                             "X-Mailgun-Spf": "Pass",
                             "body-plain": "Hello"})
    t.check_eq(one("SELECT member_id FROM inbound WHERE provider='mailgun'"
                   " ORDER BY id DESC LIMIT 1"), bob,
               "mailgun: matched by sender when SPF passes")
    (st, _, _), _ = mailgun({"sender": "who@example.com",
                             "recipient": "ppg@reply.example.org",
                             "body-plain": "Hello"})
    t.check_eq(one("SELECT disposition FROM inbound WHERE provider='mailgun'"
                   " ORDER BY id DESC LIMIT 1"), "unmatched", "mailgun: unknown sender")

    # multipart/form-data is parsed (test_mailgun_multipart.py); other
    # multipart types are not.
    st, _, _ = t.http_post(env.url + "/webhooks/mailgun/email",
                           b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n",
                           headers={"Content-Type": "multipart/mixed; boundary=x"})
    t.check_eq(st, 415, "mailgun: a multipart/mixed body is 415")

    # -- the web survey ----------------------------------------------------------
    stok = new_token("survey", member=ann, campaign=camp, survey=pm)
    st, h, body = t.http_get(env.url + "/s/" + stok)
    page = body.decode()
    t.check_eq(st, 200, "web survey: GET 200")
    t.check('lang="en"' in page, "web survey: lang=en")
    t.check("Feedback on our &lt;PPG&gt; meeting" in page, "web survey: title escaped")
    t.check("coming &amp; telling" in page, "web survey: introduction escaped")
    t.check("<fieldset" in page and "<legend" in page, "web survey: radio groups in fieldsets")
    t.check('<label class="label" for="help_say">' in page, "web survey: text input labelled")
    t.check('for="useful-1"' in page and 'id="useful-1"' in page, "web survey: radio labelled")
    t.check('type="checkbox"' in page, "web survey: multiple choice as checkboxes")
    t.check("<script" not in page, "web survey: no script")
    t.check("default-src 'none'" in (h.get("Content-Security-Policy") or ""),
            "web survey: CSP")

    st, _, body = t.http_get(env.url + "/s/" + "A" * 22)
    t.check_eq(st, 404, "web survey: unknown token 404")
    t.check(b"does not work" in body and b"sqlite" not in body.lower(),
            "web survey: a kind page, no internals")
    etok = new_token("survey", member=ann, survey=fft, expires=now - 10)
    st, _, _ = t.http_get(env.url + "/s/" + etok)
    t.check_eq(st, 404, "web survey: expired token 404")
    st, _, _ = t.http_get(env.url + "/s/bad/../x")
    t.check_eq(st, 404, "web survey: malformed token 404")

    url = env.url + "/s/" + stok
    st, _, body = t.http_post(url, {"had_say": "2", "help_say": "<script>alert(1)</script>"})
    page = body.decode()
    t.check_eq(st, 200, "web survey: a missing answer re-shows the form")
    t.check("There is a problem" in page, "web survey: error summary")
    t.check('href="#useful-1"' in page, "web survey: the summary links to the field")
    t.check('id="useful-error"' in page, "web survey: the error beside the field")
    t.check("&lt;script&gt;alert(1)&lt;/script&gt;" in page and
            "<script>alert" not in page, "web survey: the typed value kept, escaped")
    t.check('value="2" checked' in page, "web survey: the chosen option kept")
    t.check_eq(one("SELECT count(*) FROM responses WHERE channel='web'"), 0,
               "web survey: nothing stored on an error")

    st, _, _ = t.http_post(url, {"useful": "4"},
                           headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "web survey: a cross-site POST is 403")

    # Ann was invited by email: her web answer is an email response.
    run = execute("INSERT INTO runs (campaign_id, scheduled_for, fired_at)"
                  " VALUES (?, ?, ?)", camp, now, now)
    execute("INSERT INTO outbox (run_id, member_id, practice_id, channel,"
            " state, to_addr, body, next_attempt_at, created_at)"
            " VALUES (?, ?, 1, 'email', 'delivered', 'ann@example.org', 'x',"
            " 0, ?)", run, ann, now)
    st, _, body = t.http_post(url, [("useful", "4"), ("had_say", "1"),
                                    ("help_say", "dropped: not shown"),
                                    ("topics", "1"), ("topics", "3")],
                              headers={"Origin": "null"})
    t.check_eq(st, 200, "web survey: valid POST 200")
    t.check(b"We will look at every reply" in body, "web survey: the closing text")
    rid = one("SELECT id FROM responses WHERE channel='web'")
    t.check(rid is not None, "web survey: response stored")
    t.check(one("SELECT member_id FROM responses WHERE id=?", rid) is None,
            "web survey: anonymous survey stores no member")
    t.check_eq(one("SELECT age_band FROM responses WHERE id=?", rid), "65-74",
               "web survey: demographics snapshot")
    t.check_eq(one("SELECT campaign_id FROM responses WHERE id=?", rid), camp,
               "web survey: campaign kept")
    t.check_eq(one("SELECT invited_channel FROM responses WHERE id=?", rid),
               "email", "web survey: attributed to the email that invited")
    t.check_eq(one("SELECT value FROM answers WHERE response_id=? AND"
                   " question='useful'", rid), "4", "web survey: answer stored")
    t.check_eq(one("SELECT count(*) FROM answers WHERE response_id=? AND"
                   " question='help_say'", rid), 0, "web survey: hidden answer dropped")
    t.check_eq(one("SELECT group_concat(value) FROM answers WHERE response_id=?"
                   " AND question='topics'", rid), "1,3",
               "web survey: one row per picked option")
    t.check(one("SELECT used_at FROM tokens WHERE hash=?", token_hash(stok)) is not None,
            "web survey: token used")
    st, _, body = t.http_get(url)
    t.check(st == 200 and b"already answered" in body, "web survey: already answered page")
    st, _, body = t.http_post(url, {"useful": "5"})
    t.check(b"already answered" in body, "web survey: a second POST is refused")
    t.check_eq(one("SELECT count(*) FROM responses WHERE channel='web'"), 1,
               "web survey: counted once")

    # The invitation's and the reminder's links: one answer per member per run.
    # A run of its own (the one above invited by email has this second).
    run = execute("INSERT INTO runs (campaign_id, scheduled_for, reminder,"
                  " fired_at) VALUES (?, ?, 0, ?)", camp, now + 1, now + 1)
    invite = new_token("survey", member=bob, campaign=camp, survey=pm, run=run)
    remind = new_token("survey", member=bob, campaign=camp, survey=pm, run=run)
    other = new_token("survey", member=ann, campaign=camp, survey=pm, run=run)
    st, _, body = t.http_post(env.url + "/s/" + remind, {"useful": "3"})
    t.check(st == 200 and b"We will look at every reply" in body,
            "web survey: the reminder's link answers")
    st, _, body = t.http_get(env.url + "/s/" + invite)
    t.check(st == 200 and b"already answered" in body,
            "web survey: the invitation's link then says already answered")
    st, _, body = t.http_post(env.url + "/s/" + invite, {"useful": "1"})
    t.check(b"already answered" in body,
            "web survey: a second answer by the other link is refused")
    t.check_eq(one("SELECT count(*) FROM responses WHERE channel='web'"), 2,
               "web survey: one response for the run, by either link")
    st, _, body = t.http_get(env.url + "/s/" + other)
    t.check(st == 200 and b"already answered" not in body,
            "web survey: another member's link of the run is still open")

    # Links derived for (run, member) by HMAC under the install's key, as a
    # fire now makes them: a stored invitation link and a derived reminder
    # link of the same run share one answer; forged ones are refused.
    rrun = execute("INSERT INTO runs (campaign_id, scheduled_for, reminder,"
                   " fired_at, survey_id) VALUES (?, ?, 1, ?, ?)", camp, now + 1,
                   now + 2, pm)
    execute("UPDATE runs SET survey_id = ? WHERE id = ?", pm, run)
    ann_old = other  # Ann's stored link of the invitation run, still open
    ann_new = derived_token(1, rrun, ann)
    st, _, body = t.http_get(env.url + "/s/" + ann_new)
    t.check(st == 200 and b"already answered" not in body,
            "derived link: a reminder's link opens the survey")
    st, _, body = t.http_post(env.url + "/s/" + ann_new, {"useful": "2"},
                              headers={"Origin": "null"})
    t.check(st == 200 and b"We will look at every reply" in body,
            "derived link: the answer is taken")
    t.check_eq(one("SELECT count(*) FROM token_uses WHERE run_id=? AND"
                   " member_id=? AND kind='survey'", run, ann), 1,
               "derived link: its use is recorded against the invitation's run")
    st, _, body = t.http_get(env.url + "/s/" + ann_old)
    t.check(st == 200 and b"already answered" in body,
            "derived link: the member's stored link of the run is then used")
    st, _, body = t.http_get(env.url + "/s/" + derived_token(1, run, ann))
    t.check(st == 200 and b"already answered" in body,
            "derived link: so is a derived link of the invitation run")
    for bad, what in ((ann_new[:-1] + ("A" if ann_new[-1] != "A" else "B"),
                       "an altered character"),
                      (ann_new[:-2], "a truncated link"),
                      (derived_token(1, rrun, ann, key=b"another key"),
                       "another install's key"),
                      (derived_token(2, rrun, ann), "an unsubscribe link")):
        st, _, _ = t.http_get(env.url + "/s/" + bad)
        t.check_eq(st, 404, "derived link: %s is refused" % what)
    st, _, body = t.http_get(env.url + "/u/" + derived_token(2, rrun, bob))
    t.check(st == 200 and b"Riverside" in body,
            "derived link: an unsubscribe link opens the member's page")

    # An SMS invitation starts a conversation and carries the link too: one
    # answer a run, whichever way. Finished by text, the link says so.
    sc = execute("INSERT INTO campaigns (name, practice_id, kind, survey_id,"
                 " template, channels, created_at) VALUES ('fft-sms', 1,"
                 " 'survey', ?, 'survey-invitation', 'sms', ?)", fft, now)
    srun = execute("INSERT INTO runs (campaign_id, scheduled_for, reminder,"
                   " fired_at, survey_id) VALUES (?, ?, 0, ?, ?)", sc, now,
                   now, fft)
    sr = execute("INSERT INTO responses (survey_id, campaign_id, practice_id,"
                 " channel, started_at, completed_at) VALUES (?, ?, 1, 'sms',"
                 " ?, ?)", fft, sc, now, now + 5)
    execute("INSERT INTO sms_sessions (member_id, response_id, state,"
            " expires_at, updated_at) VALUES (?, ?, 'done', ?, ?)", ann, sr,
            now + 3600, now)
    st, _, body = t.http_get(env.url + "/s/" + derived_token(1, srun, ann))
    t.check(st == 200 and b"already answered" in body,
            "SMS and link: finished by text, the run's link says answered")
    st, _, body = t.http_post(env.url + "/s/" + derived_token(1, srun, ann),
                              {"experience": "1"}, headers={"Origin": "null"})
    t.check(b"already answered" in body,
            "SMS and link: and takes no second answer")
    # Answered on the web first: the conversation by text is closed.
    srun2 = execute("INSERT INTO runs (campaign_id, scheduled_for, reminder,"
                    " fired_at, survey_id) VALUES (?, ?, 0, ?, ?)", sc,
                    now + 10, now + 10, fft)
    sr2 = execute("INSERT INTO responses (survey_id, campaign_id, practice_id,"
                  " channel, started_at) VALUES (?, ?, 1, 'sms', ?)", fft, sc,
                  now + 10)
    execute("UPDATE sms_sessions SET state = 'superseded' WHERE"
            " member_id = ? AND state = 'open'", ann)
    execute("INSERT INTO sms_sessions (member_id, response_id, expires_at,"
            " updated_at) VALUES (?, ?, ?, ?)", ann, sr2, now + 3600, now)
    st, _, body = t.http_post(env.url + "/s/" + derived_token(1, srun2, ann),
                              {"experience": "1"}, headers={"Origin": "null"})
    t.check(st == 200 and b"already answered" not in body,
            "SMS and link: the link answers while the texts are unanswered")
    t.check_eq(one("SELECT state FROM sms_sessions WHERE response_id = ?",
                   sr2), "superseded",
               "SMS and link: answered on the web, the conversation is closed")
    sms("SM90", "good")
    t.check_eq(one("SELECT count(*) FROM answers WHERE response_id = ?", sr2),
               0, "SMS and link: a later text is not a second answer")

    # -- unsubscribe -------------------------------------------------------------
    utok = new_token("unsubscribe", member=bob)
    st, _, body = t.http_get(env.url + "/u/" + utok)
    page = body.decode()
    t.check_eq(st, 200, "unsubscribe: GET 200")
    t.check('value="email" checked' in page, "unsubscribe: email chosen by default")
    t.check('for="channel-sms"' in page, "unsubscribe: labelled choices")
    st, _, body = t.http_post(env.url + "/u/" + utok, {"channel": "sms"})
    t.check(st == 200 and b"unsubscribed" in body, "unsubscribe: form POST confirms")
    t.check(one("SELECT optout_sms_at FROM members WHERE id=?", bob) is not None,
            "unsubscribe: SMS opt-out recorded")
    t.check(one("SELECT optout_email_at FROM members WHERE id=?", bob) is None,
            "unsubscribe: email untouched")
    st, h, body = t.http_post(env.url + "/u/" + utok, b"List-Unsubscribe=One-Click",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    t.check_eq(st, 200, "unsubscribe: one-click answers 200")
    t.check(h.get("Location") is None, "unsubscribe: one-click does not redirect")
    t.check(one("SELECT optout_email_at FROM members WHERE id=?", bob) is not None,
            "unsubscribe: one-click opts out of email")
    st, _, _ = t.http_get(env.url + "/u/" + "B" * 22)
    t.check_eq(st, 404, "unsubscribe: unknown token 404")
    # RFC 8058 3.1 recommends multipart/form-data for the one-click POST.
    execute("UPDATE members SET optout_email_at = NULL WHERE id=?", bob)
    mp = (b"--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
          b"\r\n\r\nOne-Click\r\n--XyZ--\r\n")
    st, _, body = t.http_post(env.url + "/u/" + utok, mp, headers={
        "Content-Type": "multipart/form-data; boundary=XyZ"})
    t.check_eq(st, 200, "unsubscribe: one-click as multipart/form-data 200")
    t.check(one("SELECT optout_email_at FROM members WHERE id=?", bob) is not None,
            "unsubscribe: multipart one-click opts out of email")

    # -- group commit: requests that arrive together ---------------------------
    results = []

    def fire(i):
        results.append(sms("SMbatch%d" % i, "batch %d" % i, frm="+447700900777")[0])

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(24)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.check_eq(sorted(set(results)), [200], "group commit: every request 200")
    t.check_eq(one("SELECT count(*) FROM inbound WHERE provider_msg_id LIKE 'SMbatch%'"),
               24, "group commit: every request stored")

    st, _, body = t.http_get(env.url + "/metrics")
    t.check(b'route="twilio_sms"' in body, "metrics count webhook routes")
    log = d.output()
    t.check("+447700900123" not in log and "Hello from Ann" not in log,
            "no personal data in the log")

t.finish()
