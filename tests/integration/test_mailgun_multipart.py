#!/usr/bin/env python3
"""Mailgun inbound email as multipart/form-data (what a Mailgun route posts
when the message has attachments), through real HTTP against `ppgd serve`:
signed requests with binary attachments are stored and matched, the
attachments are not kept but counted, a replayed token is stored once,
malformed multipart is 400 and stores nothing, bad signatures 403, and
multipart on other routes (or other multipart types) 415."""

import hashlib
import os
import secrets
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

MG_KEY = "mailgun-signing-key"
TW_TOKEN = "twilio-auth-token"
URL = "/webhooks/mailgun/email"

env = t.TestEnv("mailgun-multipart")
env.write_config({
    "http": {"max_body": 1048576},
    "email": {"reply_domain": "reply.example.org"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
    "mailgun": {"signing_key_file": env.write_secret("mailgun", MG_KEY)},
})
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)
DB = env.sections["daemon"]["database"]


def one(sql, *args):
    c = sqlite3.connect(DB, timeout=10)
    try:
        r = c.execute(sql, args).fetchone()
    finally:
        c.close()
    return None if r is None else r[0]


def execute(sql, *args):
    c = sqlite3.connect(DB, timeout=10)
    with c:
        rid = c.execute(sql, args).lastrowid
    c.close()
    return rid


def last(col):
    return one("SELECT %s FROM inbound WHERE provider='mailgun'"
               " ORDER BY id DESC LIMIT 1" % col)


def count():
    return one("SELECT count(*) FROM inbound WHERE provider='mailgun'")


def encode(fields, files, boundary):
    """multipart/form-data as requests/urllib3 write it: fields are (name,
    text) pairs, files (name, filename, content type, bytes)."""
    out = []
    for name, value in fields:
        out.append(b"--" + boundary + b"\r\nContent-Disposition: form-data;"
                   b' name="' + name.encode() + b'"\r\n\r\n' + value.encode()
                   + b"\r\n")
    for name, filename, ctype, data in files:
        out.append(b"--" + boundary + b"\r\nContent-Disposition: form-data;"
                   b' name="' + name.encode() + b'"; filename="'
                   + filename.encode() + b'"\r\nContent-Type: '
                   + ctype.encode() + b"\r\n\r\n" + data + b"\r\n")
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out)


def signed(fields, token=None, key=MG_KEY):
    ts = str(int(time.time()))
    token = token or secrets.token_hex(25)
    sig = t.mailgun_sign(key, ts, token)
    return list(fields) + [("timestamp", ts), ("token", token),
                           ("signature", sig)], token


def post(body, ctype, path=URL, headers=None):
    h = dict(headers or {}, **{"Content-Type": ctype})
    return t.http_post(env.url + path, body, headers=h)


def binary(n, boundary):
    """n bytes of every value, NULs, and lines that nearly match the
    delimiter (each a prefix of it or with a byte changed)."""
    near = b"\r\n--" + boundary[:-1] + b"\r\n--" + boundary[:-1] + b"X\r\n"
    blob = bytes(range(256)) + b"\x00" * 64 + near
    blob += hashlib.sha256(b"seed").digest() * ((n - len(blob)) // 32 + 1)
    return blob[:n]


now = int(time.time())
execute("INSERT INTO practices (code, name, phone, created_at)"
        " VALUES ('A81001', 'Riverside Surgery', '01632 960000', ?)", now)
ann = execute("INSERT INTO members (practice_id, first_name, email,"
              " joined_at, created_at, updated_at) VALUES (1, 'Ann',"
              " 'ann@example.org', ?, ?, ?)", now, now, now)
bob = execute("INSERT INTO members (practice_id, first_name, email,"
              " joined_at, created_at, updated_at) VALUES (1, 'Bob',"
              " 'bob@example.org', ?, ?, ?)", now, now, now)
meeting = execute("INSERT INTO meetings (practice_id, at, place, created_at)"
                  " VALUES (1, ?, 'Library', ?)", now + 86400 * 14, now)
camp = execute("INSERT INTO campaigns (name, practice_id, kind, template,"
               " channels, meeting_id, created_at) VALUES ('invite', 1,"
               " 'meeting', 'meeting-invitation', 'email', ?, ?)", meeting, now)
rtok = secrets.token_urlsafe(16)
execute("INSERT INTO tokens (hash, kind, member_id, campaign_id, created_at)"
        " VALUES (?, 'reply', ?, ?, ?)", hashlib.sha256(rtok.encode()).hexdigest(),
        ann, camp, now)

B = secrets.token_hex(30).encode()
photo = binary(200000, B)
REPLY = [("recipient", "reply+%s@reply.example.org" % rtok),
         ("sender", "ann@example.org"),
         ("from", "Ann <ann@example.org>"),
         ("subject", "Re: Our next meeting"),
         ("body-plain", "Please add parking to the agenda.\r\n\r\n"
                        "-- \r\nAnn\r\n\r\n> On Monday you wrote:\r\n> --\r\n"),
         ("stripped-text", "Please add parking to the agenda."),
         ("attachment-count", "2")]
FILES = [("attachment-1", "car park.jpg", "image/jpeg", photo),
         ("attachment-2", "notes.txt", "text/plain", b"1. parking\r\n")]

with env.serve() as d:
    # -- a reply with two attachments, quoted boundary ----------------------
    fields, tok = signed(REPLY)
    body = encode(fields, FILES, B)
    t.check(len(body) > 200000, "the request is larger than the attachment")
    st, _, resp = post(body, 'multipart/form-data; boundary="%s"' % B.decode())
    t.check_eq(st, 200, "multipart with attachments: 200 (%r)" % resp[:80])
    t.check_eq(count(), 1, "multipart: one inbound row")
    t.check_eq(last("body"), "Please add parking to the agenda.",
               "multipart: stripped text stored")
    t.check_eq(last("member_id"), ann, "multipart: matched by the reply token")
    t.check_eq(last("disposition"), "agenda",
               "multipart: a reply to an invitation is an agenda item")
    t.check_eq(last("meeting_id"), meeting, "multipart: the meeting is named")
    t.check_eq(last("provider_msg_id"), tok, "multipart: id is the token")
    raw = last("raw") or ""
    t.check("attachment-count=2" in raw, "multipart: attachment-count recorded")
    t.check("stripped-text=Please+add+parking" in raw,
            "multipart: the raw row holds the text fields")
    t.check(len(raw) < 2000 and "car+park" not in raw and "notes" not in raw,
            "multipart: attachments are not stored (raw %d bytes)" % len(raw))

    # -- a retry of the same request (same token) ----------------------------
    st, _, _ = post(body, 'multipart/form-data; boundary="%s"' % B.decode())
    t.check_eq(st, 200, "multipart replay: acknowledged")
    t.check_eq(count(), 1, "multipart replay: stored once")

    # -- no attachment-count field, unquoted boundary, matched by sender ------
    b2 = b"------------------------" + secrets.token_hex(8).encode()
    fields, _ = signed([("recipient", "ppg@reply.example.org"),
                        ("sender", "Bob <BOB@example.org>"),
                        ("X-Mailgun-Dkim-Check-Result", "Pass"),
                        ("body-plain", "Minutes attached \u2013 thanks")])
    body = encode(fields, [("attachment-1", "minutes.pdf", "application/pdf",
                            b"%PDF-1.4\x00\x01\x02\r\n--\r\n" * 50)], b2)
    st, _, _ = post(body, "multipart/form-data; boundary=" + b2.decode())
    t.check_eq(st, 200, "multipart, unquoted boundary: 200")
    t.check_eq(count(), 2, "multipart, unquoted boundary: stored")
    t.check_eq(last("member_id"), bob, "multipart: matched by sender")
    t.check_eq(last("disposition"), "feedback", "multipart: feedback")
    t.check_eq(last("body"), "Minutes attached \u2013 thanks",
               "multipart: body-plain stored as UTF-8")
    t.check("attachment-count=1" in (last("raw") or ""),
            "multipart: the counted attachments are recorded")

    # -- malformed bodies: 400, nothing stored --------------------------------
    fields, _ = signed(REPLY)
    good = encode(fields, FILES, B)
    ct = "multipart/form-data; boundary=" + B.decode()
    cases = [
        ("no closing delimiter", good[:-len(B) - 6], ct),
        ("truncated in the attachment", good[:len(good) // 2], ct),
        ("no boundary parameter", good, "multipart/form-data"),
        ("a boundary longer than 70", good,
         "multipart/form-data; boundary=" + "a" * 71),
        ("a part without Content-Disposition",
         good.replace(b'Content-Disposition: form-data; name="subject"',
                      b"X-Note: no disposition", 1), ct),
        ("a header without a name",
         good.replace(b'Content-Disposition: form-data; name="from"',
                      b': form-data; name="from"', 1), ct),
        ("invalid UTF-8 in a text field",
         good.replace(b"Please add parking", b"Please add \xffparking", 1), ct),
    ]
    for what, bad, bct in cases:
        st, _, resp = post(bad, bct)
        t.check_eq(st, 400, "malformed multipart (%s): 400" % what)
        t.check(resp.startswith(b"malformed multipart body") or
                resp.startswith(b"unsupported"),
                "malformed multipart (%s): says why: %r" % (what, resp[:80]))
    t.check_eq(count(), 2, "malformed multipart: nothing stored")

    # -- authentication still applies -----------------------------------------
    fields, _ = signed(REPLY, key="wrong")
    st, _, _ = post(encode(fields, FILES, B), ct)
    t.check_eq(st, 403, "multipart with a bad signature: 403")
    t.check_eq(count(), 2, "multipart with a bad signature: nothing stored")

    # -- other types and routes: 415 ------------------------------------------
    fields, _ = signed(REPLY)
    st, _, _ = post(encode(fields, FILES, B),
                    "multipart/mixed; boundary=" + B.decode())
    t.check_eq(st, 415, "mailgun: multipart/mixed is 415")
    st, _, _ = post(b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n"
                    b"\r\nb\r\n--x--\r\n", "multipart/form-data; boundary=x",
                    path="/webhooks/twilio/sms")
    t.check_eq(st, 415, "twilio: a multipart body is 415")
    t.check_eq(count(), 2, "415: nothing stored")

    # -- the urlencoded form still works --------------------------------------
    fields, _ = signed([("recipient", "ppg@reply.example.org"),
                        ("sender", "ann@example.org"), ("body-plain", "Hi")])
    st, _, _ = t.http_post(env.url + URL, dict(fields))
    t.check_eq(st, 200, "mailgun: urlencoded still 200")
    t.check_eq(count(), 3, "mailgun: urlencoded stored")
    t.check_eq(last("raw"), "recipient=ppg%40reply.example.org&sender="
               "ann%40example.org&body-plain=Hi&timestamp=" + fields[3][1] +
               "&token=" + fields[4][1] + "&signature=" + fields[5][1],
               "mailgun: urlencoded raw is the body as received")
    t.check(d.running(), "ppgd serve still running")

t.finish()
