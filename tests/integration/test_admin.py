#!/usr/bin/env python3
"""The staff web admin over real HTTP: no listener without an account;
password set through a one-time link (length and common-password checks);
sign-in, lockout with backoff, cookie flags, CSRF and cross-origin refusal,
idle and absolute session expiry, TOTP enrolment and sign-in (a code works
once), and every page x every role x own/other practice."""

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import sqlite3
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402
from adminweb import SESSION, Browser  # noqa: E402

PW = "correct horse battery staple"




def totp(secret, at=None, step_off=0):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30) + step_off
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


def closed(port):
    s = socket.socket()
    s.settimeout(1)
    try:
        return s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        s.close()


def reset_link(env, who):
    rc, j, err = env.ppgd_json("user", "reset-password", who)
    t.check_eq(rc, 0, "reset-password %s (%s)" % (who, err))
    return urllib.parse.urlparse(j["link"]).path if j else "/reset/x"


def set_password(env, base, who, pw=PW):
    b = Browser(base)
    link = reset_link(env, who)
    st, _, _ = b.post(link, {"password": pw, "csrf": b.csrf(link)})
    t.check_eq(st, 200, "%s sets a password" % who)


def login(base, who, pw=PW):
    b = Browser(base)
    st, hd, _ = b.post("/login", {"email": who, "password": pw,
                                  "csrf": b.csrf("/login")})
    return b, st, hd


def test_passwords(env, base):
    link = reset_link(env, "pm@a.example")
    b = Browser(base)
    st, _, body = b.get(link)
    t.check(st == 200 and 'autocomplete="new-password"' in body,
            "the reset page asks for a new password")
    tok = b.csrf(link)
    for pw, why in (("short", "at least 10"),
                    ("password123", "most common"),
                    ("pat-manager-2026", "name or email")):
        st, _, body = b.post(link, {"password": pw, "csrf": tok})
        t.check(st == 422 and why in body, "refused: %s (%d)" % (why, st))
    st, _, body = b.post(link, {"password": PW, "csrf": tok},
                         headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "a reset posted from another site is refused")
    st, _, body = b.post(link, {"password": PW, "csrf": tok})
    t.check(st == 200 and "Password saved" in body, "a good password is saved")
    st, _, _ = b.get(link)
    t.check_eq(st, 404, "the link works once")
    db = sqlite3.connect(env.sections["daemon"]["database"])
    h, = db.execute("SELECT password_hash FROM users WHERE email ="
                    " 'pm@a.example'").fetchone()
    db.close()
    t.check(h.startswith("$argon2id$") and PW not in h,
            "stored as an Argon2id hash")


def test_login(env, base):
    b = Browser(base)
    st, hd, _ = b.get("/")
    t.check(st == 303 and hd.get("Location") == "/login",
            "signed out: / sends to /login")
    b, st, hd = login(base, "pm@a.example", "wrong password!")
    t.check(st == 401 and b.cookie is None, "a wrong password: 401, no cookie")
    b, st, hd = login(base, "nobody@a.example", PW)
    t.check(st == 401, "an unknown address reads the same: 401")
    b, st, hd = login(base, "PM@A.example", PW)
    t.check(st == 303 and hd.get("Location") == "/" and b.cookie,
            "signed in (email in any case)")
    sc = b.set_cookie or ""
    t.check(all(f in sc for f in ("HttpOnly", "Secure", "SameSite=Strict",
                                  "Path=/")),
            "cookie is HttpOnly; Secure; SameSite=Strict (%s)" % sc)
    st, _, body = b.get("/")
    t.check(st == 200 and "Riverside" in body and "Hillside" not in body,
            "home shows the manager's practice only")
    t.check("Care alerts waiting" in body and "emergency" in body,
            "unacknowledged care alerts come first")

    # CSRF: an acknowledgement without the token, with a wrong one, or
    # from another origin is refused; with it, it is recorded.
    st, _, _ = b.post("/alerts/1", {"state": "actioned"})
    t.check_eq(st, 403, "POST without the CSRF token: 403")
    st, _, _ = b.post("/alerts/1", {"state": "actioned", "csrf": "x" * 22})
    t.check_eq(st, 403, "POST with a wrong CSRF token: 403")
    tok = b.csrf("/alerts")
    st, _, _ = b.post("/alerts/1", {"state": "actioned", "csrf": tok},
                      headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "POST from another origin: 403")
    st, _, _ = b.post("/alerts/1", {"state": "actioned"},
                      headers={"Origin": "null"})
    t.check_eq(st, 403, "POST with Origin: null and no CSRF token: 403")
    st, hd, _ = b.post("/alerts/1", {"state": "actioned", "csrf": tok,
                                      "note": "Rang her back"})
    t.check(st == 303, "acknowledged with the token (%d)" % st)
    db = sqlite3.connect(env.sections["daemon"]["database"])
    row = db.execute("SELECT state, actioned_by, note FROM care_alerts"
                     " WHERE id = 1").fetchone()
    aud = db.execute("SELECT count(*) FROM audit WHERE action = 'care.ack'"
                     " AND actor = 'web:pm@a.example'").fetchone()[0]
    db.close()
    t.check_eq(row, ("actioned", "Pat Manager", "Rang her back"),
               "the alert is actioned by the user's name")
    t.check_eq(aud, 1, "the change is audited with the user")
    st, _, _ = b.post("/alerts/2", {"state": "actioned", "csrf": tok})
    t.check_eq(st, 403, "another practice's alert: 403")
    st, _, _ = b.post("/alerts/3", {"state": "actioned", "csrf": tok})
    t.check_eq(st, 403, "an alert of no practice is not a manager's: 403")

    # Logout ends the session on the server, not only in the browser.
    old = b.cookie
    st, _, _ = b.post("/logout", {"csrf": b.csrf("/")})
    b.cookie = old
    st, hd, _ = b.get("/")
    t.check_eq(st, 303, "after logout the old cookie no longer works")


def test_lockout(env, base):
    for i in range(5):
        login(base, "lead@a.example", "not the password")
    b, st, _ = login(base, "lead@a.example", PW)
    t.check(st == 401 and b.cookie is None,
            "five failures lock the account, even the right password: 401")
    b2, st2, _ = login(base, "nobody-at-all@a.example", "not the password")
    csrf = re.compile(rb'name="csrf" value="[^"]*"')
    t.check(st2 == 401 and csrf.sub(b"", b.body) == csrf.sub(b"", b2.body),
            "a locked account reads like an unknown address (same page)")
    db = sqlite3.connect(env.sections["daemon"]["database"])
    lock1 = db.execute("SELECT locked_until - strftime('%s','now') FROM"
                       " users WHERE email = 'lead@a.example'").fetchone()[0]
    db.execute("UPDATE users SET locked_until = 0 WHERE email ="
               " 'lead@a.example'")
    db.commit()
    login(base, "lead@a.example", "still not it")
    lock2 = db.execute("SELECT locked_until - strftime('%s','now') FROM"
                       " users WHERE email = 'lead@a.example'").fetchone()[0]
    db.execute("UPDATE users SET locked_until = 0, failed = 0 WHERE email ="
               " 'lead@a.example'")
    db.commit()
    db.close()
    t.check(50 <= lock1 <= 60 and 110 <= lock2 <= 120,
            "the lock backs off: %s s then %s s" % (lock1, lock2))
    b, st, _ = login(base, "lead@a.example", PW)
    t.check_eq(st, 303, "unlocked, the right password signs in")


def test_expiry(env, base):
    db = sqlite3.connect(env.sections["daemon"]["database"])
    b, st, _ = login(base, "pm@a.example")
    t.check_eq(b.get("/")[0], 200, "a fresh session works")
    db.execute("UPDATE sessions SET seen_at = seen_at - 1801")
    db.commit()
    t.check_eq(b.get("/")[0], 303, "idle for 30 minutes: signed out")
    b, st, _ = login(base, "pm@a.example")
    db.execute("UPDATE sessions SET created_at = created_at - 43201")
    db.commit()
    t.check_eq(b.get("/")[0], 303, "12 hours after sign-in: signed out, "
               "however busy")
    db.close()


def test_totp(env, base):
    b, st, _ = login(base, "admin@ppg.example")
    t.check_eq(st, 303, "admin signs in")
    st, _, body = b.get("/account/2fa")
    m = re.search(r"Key: <code>([A-Z2-7]+)</code>", body)
    t.check(st == 200 and m and "<svg" in body and "<title>" in body,
            "enrolment shows a QR code (SVG with a title) and the key")
    if not m:
        return
    secret = m.group(1)
    tok = b.csrf("/account/2fa")
    st, _, _ = b.post("/account/2fa", {"code": "000000", "csrf": tok})
    t.check_eq(st, 422, "a wrong enrolment code: 422")
    # Codes are taken from the enrolment's time, so a 30 s boundary passing
    # during the test changes nothing.
    at = time.time()
    enrol_code = totp(secret, at=at)
    st, _, _ = b.post("/account/2fa", {"code": enrol_code, "csrf": tok})
    t.check_eq(st, 303, "the app's code turns the second factor on")
    b, st, hd = login(base, "admin@ppg.example")
    t.check(st == 303 and hd.get("Location") == "/login/code",
            "with 2FA, the password alone leads to the code page")
    t.check_eq(b.get("/")[0], 303, "and no page before the code")
    tok = b.csrf("/login/code")
    st, _, _ = b.post("/login/code", {"code": totp(secret, at=at,
                                                   step_off=3),
                                      "csrf": tok})
    t.check_eq(st, 401, "a code from the wrong time: 401")
    st, _, _ = b.post("/login/code", {"code": enrol_code, "csrf": tok})
    t.check_eq(st, 401, "the code used to enrol cannot sign in again")
    code = totp(secret, at=at, step_off=1)
    st, _, _ = b.post("/login/code", {"code": code, "csrf": tok})
    t.check_eq(st, 303, "the next code signs in")
    t.check_eq(b.get("/users")[0], 200, "the admin sees users")
    b2, st, _ = login(base, "admin@ppg.example")
    st, _, _ = b2.post("/login/code", {"code": code,
                                       "csrf": b2.csrf("/login/code")})
    t.check_eq(st, 401, "the same code a second time: 401 (no replay)")


def test_require_2fa(env, base):
    b, st, hd = login(base, "pm-b@b.example")
    t.check(st == 303 and hd.get("Location") == "/account/2fa",
            "[admin] require_2fa: a manager without it must enrol first")
    t.check_eq(b.get("/members?practice=B82002")[0], 303,
               "no page before enrolling")
    b, st, hd = login(base, "lead@a.example")
    t.check(st == 303 and hd.get("Location") == "/",
            "a lead is not required to use a second factor")


# Every page: (path, admin, manager of A, lead of A, viewer of A). Member 1
# and campaign 1 are practice A's, member 2 and campaign 2 practice B's.
PAGES = [
    ("/", 200, 200, 200, 200),
    ("/members?practice=A81001", 200, 200, 403, 403),
    ("/members?practice=B82002", 200, 403, 403, 403),
    ("/members/1", 200, 200, 403, 403),
    ("/members/2", 200, 404, 403, 403),
    ("/members/1/edit", 200, 200, 403, 403),
    ("/members/2/edit", 200, 404, 403, 403),
    ("/members/1/erase", 200, 200, 403, 403),
    ("/members/2/erase", 200, 404, 403, 403),
    ("/members/new?practice=A81001", 200, 200, 403, 403),
    ("/members/new?practice=B82002", 200, 403, 403, 403),
    ("/members/import?practice=A81001", 200, 200, 403, 403),
    ("/members/import?practice=B82002", 200, 403, 403, 403),
    ("/members/export?practice=A81001", 200, 200, 403, 403),
    ("/members/export?practice=B82002", 200, 403, 403, 403),
    ("/joins", 200, 200, 403, 403),
    ("/joins?practice=B82002", 200, 403, 403, 403),
    ("/joins/1", 200, 200, 403, 403),
    ("/joins/2", 200, 404, 403, 403),
    ("/campaigns", 200, 200, 403, 403),
    ("/campaigns/new?practice=A81001", 200, 200, 403, 403),
    ("/campaigns/new?practice=B82002", 200, 403, 403, 403),
    ("/campaigns/1", 200, 200, 403, 403),
    ("/campaigns/2", 200, 404, 403, 403),
    ("/campaigns/1/preview", 200, 200, 403, 403),
    ("/campaigns/2/preview", 200, 404, 403, 403),
    ("/campaigns/1/outbox", 200, 200, 403, 403),
    ("/campaigns/2/outbox", 200, 404, 403, 403),
    ("/reports", 200, 200, 200, 200),
    ("/reports/annual?practice=A81001&year=2026", 200, 200, 200, 200),
    ("/reports/annual?practice=B82002&year=2026", 200, 403, 403, 403),
    ("/reports/annual?practice=A81001&year=2026&format=json", 200, 200, 200,
     200),
    ("/reports/annual?practice=B82002&year=2026&format=html", 200, 403, 403,
     403),
    ("/reports/representation?practice=A81001", 200, 200, 200, 200),
    ("/reports/representation?practice=B82002", 200, 403, 403, 403),
    ("/reports/results?practice=A81001&target=fft", 200, 200, 200, 200),
    ("/reports/results?practice=B82002&target=fft", 200, 403, 403, 403),
    ("/reports/results?practice=A81001&target=fft&format=csv", 200, 200,
     200, 200),
    ("/reports/results?practice=A81001&target=fft&format=html", 200, 200,
     200, 200),
    ("/reports/results?practice=B82002&target=fft&format=json", 200, 403,
     403, 403),
    ("/reports/results?practice=A81001&target=News+B", 422, 422, 422, 422),
    ("/meetings?practice=A81001", 200, 200, 200, 403),
    ("/meetings?practice=B82002", 200, 403, 403, 403),
    ("/actions?practice=A81001", 200, 200, 200, 403),
    ("/actions?practice=B82002", 200, 403, 403, 403),
    ("/evidence?practice=A81001", 200, 200, 200, 403),
    ("/evidence?practice=B82002", 200, 403, 403, 403),
    ("/settings?practice=A81001", 200, 200, 403, 403),
    ("/settings?practice=B82002", 200, 403, 403, 403),
    ("/alerts", 200, 200, 403, 403),
    ("/comments?target=fft", 200, 200, 200, 403),
    ("/users", 200, 200, 403, 403),
    ("/account", 200, 200, 200, 200),
    ("/inbox", 200, 200, 403, 403),
    ("/inbox?practice=A81001", 200, 200, 403, 403),
    ("/inbox?practice=B82002", 200, 403, 403, 403),
    ("/inbox?show=unmatched&practice=A81001", 200, 200, 403, 403),
    ("/inbox?show=stop&practice=B82002", 200, 403, 403, 403),
    ("/inbox?before=x", 422, 422, 403, 403),
    ("/surveys", 200, 200, 200, 200),
    ("/surveys/1", 200, 200, 200, 200),
    ("/surveys/999", 404, 404, 404, 404),
    ("/templates", 200, 200, 403, 403),
    ("/templates/email/broadcast", 200, 200, 403, 403),
    ("/templates/sms/broadcast", 200, 200, 403, 403),
    ("/templates/sms/nothing", 404, 404, 403, 403),
    ("/templates/web/base", 404, 404, 403, 403),
]

# Every form, posted for practice B's records (with a valid CSRF token):
# (path, form, status for the manager of A, for the lead of A).
POSTS = [
    ("/members/2/edit", {"first_name": "Changed"}, 404, 403),
    ("/members/2/erase", {"confirm": "2"}, 404, 403),
    ("/members/new", {"practice": "B82002", "email": "x@b.example"}, 403, 403),
    ("/members/import", {"practice": "B82002", "step": "import",
                         "csv": "email\nnew@b.example\n"}, 403, 403),
    ("/campaigns/new", {"practice": "B82002", "name": "Mine", "kind":
                        "broadcast", "message": "x", "step": "create"},
     403, 403),
    ("/campaigns/2/send", {}, 404, 403),
    ("/campaigns/2/pause", {}, 404, 403),
    ("/campaigns/2/resume", {}, 404, 403),
    ("/campaigns/2/retry", {}, 404, 403),
    ("/alerts/2", {"state": "actioned"}, 403, 403),
    ("/meetings", {"practice": "B82002", "at": "2030-01-01T18:00",
                   "where": "Hall"}, 403, 403),
    ("/actions", {"practice": "B82002", "area": "access", "title": "X"},
     403, 403),
    # Action 1 is practice B's: naming practice A does not reach it.
    ("/actions", {"practice": "A81001", "id": "1", "status": "done"}, 404,
     404),
    ("/evidence", {"practice": "B82002", "kind": "newsletter",
                   "day": "2026-01-01"}, 403, 403),
    ("/settings", {"practice": "B82002", "name": "Taken over"}, 403, 403),
    ("/settings/profile", {"practice": "B82002",
                           "csv": "field,value,patients\nsex,male,10\n"},
     403, 403),
    # Surveys and templates belong to no practice: a manager may load or
    # check one (this YAML is refused, the draft only checked), a lead not.
    ("/surveys", {"yaml": "slug: x\n"}, 422, 403),
    ("/templates/check", {"channel": "sms", "text": "Hi"}, 200, 403),
]


def q1(env, sql, *args):
    db = sqlite3.connect(env.sections["daemon"]["database"])
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def test_member_pages(env, base):
    """Add, view, edit, erase and import members as a manager."""
    b, st, _ = login(base, "pm@a.example")
    tok = b.csrf("/members/new?practice=A81001")
    st, _, body = b.get("/members/new?practice=A81001")
    t.check(st == 200 and 'name="email"' in body and 'for="f-email"' in body,
            "the add form has a labelled field per member field")
    st, _, body = b.post("/members/new", {"csrf": tok, "practice": "A81001",
                                          "first_name": "Cara",
                                          "email": "not-an-email"})
    t.check(st == 422 and "There is a problem" in body
            and 'value="Cara"' in body,
            "a bad email: 422, the form again with what was typed")
    st, hd, _ = b.post("/members/new", {"csrf": tok, "practice": "A81001",
                                        "first_name": "Cara",
                                        "email": "cara@a.example",
                                        "consent_email": "yes"})
    loc = hd.get("Location", "")
    t.check(st == 303 and re.match(r"/members/\d+$", loc),
            "a good member is added (%d %s)" % (st, loc))
    mid = int(loc.rsplit("/", 1)[1]) if re.match(r"/members/\d+$", loc) \
        else 0
    st, _, body = b.post("/members/new", {"csrf": tok, "practice": "A81001",
                                          "email": "CARA@a.example"})
    t.check(st == 409 and "Another member (%d)" % mid in body,
            "the same email again: 409 naming the member")
    st, hd, _ = b.post("/members/%d/edit" % mid,
                       {"csrf": tok, "last_name": "Jones",
                        "optout_email": "2026-01-02"})
    t.check_eq(st, 303, "an edit is saved")
    st, _, body = b.get("/members/%d" % mid)
    t.check("Jones" in body and "member.add" in body
            and "member.update" in body and "web:pm@a.example" in body,
            "the member page shows the change and the consent history")
    st, _, body = b.post("/members/%d/erase" % mid,
                         {"csrf": tok, "confirm": "1"})
    t.check_eq(st, 422, "erase with another id typed: refused")
    t.check_eq(q1(env, "SELECT erased_at IS NULL FROM members WHERE id = ?",
                  mid), [(1,)], "and the member is not erased")
    st, _, _ = b.post("/members/%d/erase" % mid,
                      {"csrf": tok, "confirm": str(mid)})
    t.check_eq(st, 303, "erase with the id typed")
    t.check_eq(q1(env, "SELECT email IS NULL AND erased_at IS NOT NULL FROM"
                  " members WHERE id = ?", mid), [(1,)],
               "the member is erased")
    t.check_eq(q1(env, "SELECT actor FROM audit WHERE action ="
                  " 'member.erase' AND object = ?", "member:%d" % mid),
               [("web:pm@a.example",)], "the erasure is audited with the user")

    # Import: a preview first (the mapping and the bad lines), nothing
    # written; then the import.
    csv = ("Forename,Surname,Email Address,Shoe size\n"
           "Dan,Smith,dan@a.example,9\n"
           "Eve,Brown,not-an-email,5\n"
           "Fay,Green,fay@a.example,7\n")
    n0 = q1(env, "SELECT count(*) FROM members")[0][0]
    st, _, body = b.post("/members/import",
                         {"csrf": tok, "practice": "A81001", "csv": csv,
                          "consent_email": "yes", "how": "paper form",
                          "step": "preview"})
    t.check(st == 200 and "Nothing is written yet" in body
            and "first_name" in body and "(ignored)" in body
            and "<td>3</td>" in body and "email" in body,
            "the preview shows the mapping and line 3's error")
    t.check_eq(q1(env, "SELECT count(*) FROM members")[0][0], n0,
               "the preview writes nothing")
    st, _, body = b.post("/members/import",
                         {"csrf": tok, "practice": "A81001", "csv": csv,
                          "consent_email": "yes", "how": "paper form",
                          "step": "import"})
    t.check(st == 200 and "Members imported" in body,
            "the import runs on confirm")
    t.check_eq(q1(env, "SELECT count(*) FROM members WHERE email IN"
                  " ('dan@a.example', 'fay@a.example') AND"
                  " consent_email_at IS NOT NULL")[0][0], 2,
               "the good rows are imported with their consent")
    t.check_eq(q1(env, "SELECT actor FROM audit WHERE action ="
                  " 'member.import'"), [("web:pm@a.example",)],
               "the import is audited with the user")
    st, hd, body = b.get("/members/export?practice=A81001")
    t.check(st == 200 and hd.get("Content-Type", "").startswith("text/csv")
            and "attachment" in hd.get("Content-Disposition", "")
            and "dan@a.example" in body and "bob@b.example" not in body,
            "the export is the practice's register as a CSV download")


def test_campaign_pages(env, base):
    """Create, count, preview, send, pause, resume and the outbox."""
    b, st, _ = login(base, "pm@a.example")
    tok = b.csrf("/campaigns")
    form = {"csrf": tok, "practice": "A81001", "name": "Garden day",
            "kind": "broadcast", "channels": "email,sms",
            "audience": "everyone", "message": "Garden day on Saturday."}
    st, _, body = b.post("/campaigns/new", dict(form, step="count"))
    # Ann, Dan and Fay agreed to email; Cara was erased.
    n = q1(env, "SELECT count(*) FROM members m JOIN practices p ON"
           " p.id = m.practice_id WHERE p.code = 'A81001' AND"
           " m.erased_at IS NULL AND m.consent_email_at IS NOT NULL")[0][0]
    t.check(st == 200 and n == 3 and ("%d can be sent to" % n) in body,
            "the count button counts the audience (%d): %s"
            % (n, re.findall(r"(?:Audience|problem)</h2><p>[^<]*", body)))
    t.check_eq(q1(env, "SELECT count(*) FROM campaigns WHERE name ="
                  " 'Garden day'")[0][0], 0, "counting saves nothing")
    st, _, body = b.post("/campaigns/new", dict(form, step="count",
                                                format="json"))
    j = json.loads(body) if st == 200 else {}
    t.check(j.get("ok") is True and
            ("%d can be sent to" % n) in j.get("summary", ""),
            "the live count answers JSON (%r)" % j)
    st, _, body = b.post("/campaigns/new", dict(form, step="count",
                                                format="json",
                                                audience="shoe=9"))
    j = json.loads(body) if st == 200 else {}
    t.check(j.get("ok") is False and "shoe" in j.get("summary", ""),
            "the live count says what is wrong with the audience (%r)" % j)
    st, _, body = b.post("/campaigns/new", dict(form, audience="shoe=9",
                                                step="create"))
    t.check_eq(st, 422, "a bad audience is refused")
    st, hd, _ = b.post("/campaigns/new", dict(form, step="create"))
    loc = hd.get("Location", "")
    t.check(st == 303 and re.match(r"/campaigns/\d+$", loc),
            "the campaign is created (%d %s)" % (st, loc))
    st, _, body = b.get(loc + "/preview")
    t.check(st == 200 and "Garden day on Saturday." in body
            and "segments" in body and "Subject:" in body,
            "the preview shows the email and the SMS with its segments")
    # The fire is a job on the daemon's loop: the send answers with the
    # campaign's page, which shows the run once every message is queued.
    st, hd, body = b.post(loc + "/send", {"csrf": tok})
    t.check(st == 303 and hd.get("Location", "") == loc + "?sent=1",
            "send now: back to the campaign (%d %r)" % (st,
                                                     hd.get("Location")))
    t.check(f.wait_for(lambda: q1(env, "SELECT count(*) FROM runs r JOIN"
                                  " campaigns c ON c.id = r.campaign_id"
                                  " WHERE c.name = 'Garden day' AND"
                                  " r.firing = 0") == [(1,)], 30),
            "the send's run is fired")
    st, _, body = b.get(loc)
    t.check(st == 200 and "<caption>Runs</caption>" in body
            and "Sending:" not in body, "the campaign's page shows the run")
    st, _, body = b.get(loc + "?sent=1")
    t.check(re.search(r"Sent: run \d+ queued 3 messages", body) is not None,
            "after the send, the page says what its run queued")
    st, _, body = b.post(loc + "/send", {"csrf": tok})
    t.check_eq(st, 409, "a second send within a day asks for 'again'")
    t.check_eq(q1(env, "SELECT actor FROM audit WHERE action ="
                  " 'campaign.send' AND object = 'Garden day'"),
               [("web:pm@a.example",)], "the send is audited with the user")
    st, _, body = b.get(loc + "/outbox")
    t.check(st == 200 and "Messages by state" in body,
            "the campaign's outbox")
    db = sqlite3.connect(env.sections["daemon"]["database"])
    db.execute("UPDATE outbox SET state = 'failed', error_text ="
               " 'mailbox full' WHERE run_id IN (SELECT r.id FROM runs r"
               " JOIN campaigns c ON c.id = r.campaign_id WHERE c.name ="
               " 'Garden day')")
    db.commit()
    db.close()
    st, _, body = b.get(loc + "/outbox")
    t.check("mailbox full" in body and "Retry every failed" in body,
            "failures are listed with their reason and a retry")
    st, _, _ = b.post(loc + "/retry", {"csrf": tok})
    t.check_eq(st, 303, "retry every failed message")
    t.check_eq(q1(env, "SELECT count(*) FROM outbox o JOIN runs r ON"
                  " r.id = o.run_id JOIN campaigns c ON c.id ="
                  " r.campaign_id WHERE c.name = 'Garden day' AND"
                  " o.state = 'failed'")[0][0], 0,
               "no failed message is left")
    st, _, _ = b.post("/campaigns/1/pause", {"csrf": tok})
    t.check(st == 303 and q1(env, "SELECT state FROM campaigns WHERE id = 1")
            == [("paused",)], "pause")
    st, _, _ = b.post("/campaigns/1/resume", {"csrf": tok})
    t.check(st == 303 and q1(env, "SELECT state FROM campaigns WHERE id = 1")
            != [("paused",)], "resume")
    t.check_eq(q1(env, "SELECT actor FROM audit WHERE action IN"
                  " ('campaign.pause', 'campaign.resume') ORDER BY id"),
               [("web:pm@a.example",), ("web:pm@a.example",)],
               "pause and resume are audited with the user")


def test_cycle_pages(env, base):
    """Meetings, actions, evidence and settings as a manager."""
    b, st, _ = login(base, "pm@a.example")
    tok = b.csrf("/meetings")
    # The invitation names the practice's phone: set it first.
    st, _, _ = b.post("/settings", {"csrf": tok, "practice": "A81001",
                                    "phone": "01632 960000"})
    t.check_eq(st, 200, "the practice's phone is saved")
    st, _, body = b.post("/meetings", {"csrf": tok, "practice": "A81001",
                                       "at": "2031-03-05T18:30",
                                       "where": "Community room",
                                       "campaigns": "yes"})
    t.check(st == 303, "a meeting is added (%d %s)" % (
        st, re.findall(r"problem</h2><p>[^<]*", body)))
    t.check_eq(len(q1(env, "SELECT name FROM campaigns WHERE name LIKE"
                      " 'meeting-%'")), 3,
               "with its invitation, reminder and feedback campaigns")
    mid = q1(env, "SELECT max(id) FROM meetings")[0][0]
    form = {"csrf": tok, "practice": "A81001", "name": "A week before",
            "kind": "reminder", "channels": "email", "step": "create",
            "meeting": str(mid), "offset": "-7d"}
    st, _, _ = b.post("/campaigns/new", dict(form, meeting="999"))
    t.check_eq(st, 422, "a campaign timed from a meeting that is not the "
               "practice's is refused")
    st, _, _ = b.post("/campaigns/new", form)
    t.check(st == 303 and q1(env, "SELECT meeting_id, offset_s FROM campaigns"
                             " WHERE name = 'A week before'") ==
            [(mid, -7 * 86400)], "a campaign timed from a meeting (%d)" % st)
    st, _, body = b.post("/meetings", {"csrf": tok, "practice": "A81001",
                                       "at": "next tuesday", "where": "x"})
    t.check_eq(st, 422, "a meeting at an unreadable time is refused")
    st, _, _ = b.post("/actions", {"csrf": tok, "practice": "A81001",
                                   "area": "access", "title": "Online booking"})
    t.check_eq(st, 303, "an action is added")
    aid = q1(env, "SELECT id FROM actions WHERE title = 'Online booking'")
    aid = aid[0][0] if aid else 0
    st, _, _ = b.post("/actions", {"csrf": tok, "practice": "A81001",
                                   "id": str(aid), "status": "agreed"})
    t.check(st == 303 and q1(env, "SELECT status FROM actions WHERE id = ?",
                             aid) == [("agreed",)], "its status is changed")
    st, _, _ = b.post("/evidence", {"csrf": tok, "practice": "A81001",
                                    "kind": "newsletter", "day": "2026-02-01",
                                    "link": "https://example.org/news"})
    t.check_eq(st, 303, "evidence is recorded")
    st, _, body = b.get("/evidence?practice=A81001")
    t.check("https://example.org/news" in body, "and listed")
    t.check_eq(q1(env, "SELECT DISTINCT action FROM audit WHERE actor ="
                  " 'web:pm@a.example' AND action IN ('meeting.add',"
                  " 'action.add', 'action.update', 'evidence.add') ORDER BY"
                  " action"), [("action.add",), ("action.update",),
                               ("evidence.add",), ("meeting.add",)],
               "each is audited with the user")
    st, _, body = b.post("/settings", {"csrf": tok, "practice": "A81001",
                                       "name": "Riverside Surgery",
                                       "email_from": "not an address"})
    t.check_eq(st, 422, "a bad sender address is refused")
    st, _, body = b.post("/settings", {"csrf": tok, "practice": "A81001",
                                       "name": "Riverside Surgery"})
    t.check(st == 200 and q1(env, "SELECT name, phone FROM practices WHERE"
                             " code = 'A81001'") ==
            [("Riverside Surgery", "01632 960000")],
            "the practice's details are saved, the others kept")
    t.check_eq(q1(env, "SELECT count(*) FROM audit WHERE action ="
                  " 'practice.update' AND actor = 'web:pm@a.example'")[0][0],
               2, "each change of the details is audited with the user")
    st, _, body = b.post("/settings/profile",
                         {"csrf": tok, "practice": "A81001",
                          "csv": "field,value,patients\nsex,male,wrong\n"})
    t.check(st == 422 and "There is a problem" in body,
            "a bad population profile is refused with its line")
    prof = open(os.path.join(t.TOP, "config", "demo", "population.csv")).read()
    st, _, body = b.post("/settings/profile", {"csrf": tok,
                                               "practice": "A81001",
                                               "csv": prof})
    t.check(st == 200 and "Loaded" in body and
            q1(env, "SELECT count(*) FROM population")[0][0] > 0,
            "a population profile is loaded")


def test_home_representation(env, base):
    """Representation at a glance on the home page: how to get it without a
    profile; with one, the groups with fewer members than patients."""
    b, st, _ = login(base, "pm-b@b.example")
    st, _, body = b.get("/")
    t.check("No population profile yet" in body and
            'href="/settings?practice=B82002"' in body,
            "no profile: the home page says where to load one")
    b, st, _ = login(base, "pm@a.example")
    path = os.path.join(env.dir, "profile.csv")
    with open(path, "w") as f:
        f.write("field,value,patients\nsex,female,600\nsex,male,400\n")
    rc, _, err = env.ppgd("practice", "profile", "A81001", path)
    t.check_eq(rc, 0, "practice profile (%s)" % err)
    db = sqlite3.connect(env.sections["daemon"]["database"])
    db.execute("UPDATE members SET sex = 'male' WHERE practice_id = 1")
    db.commit()
    db.close()
    st, _, body = b.get("/")
    t.check("Fewer members than among the practice" in body and
            "Sex Female" in body and "Sex Male" not in body,
            "with a profile: the under-represented group is named")
    b2, st, _ = login(base, "lead@a.example")
    st, _, body = b2.get("/")
    t.check("Sex Female" in body, "a lead sees it too (a report)")


def test_join_pages(env, base):
    """Join requests as a manager of A: A's only, escaped, approve and
    reject with the CSRF token, the person told, audited by name."""
    b, st, _ = login(base, "pm@a.example")
    st, _, body = b.get("/")
    t.check("Join requests waiting for you: 2" in body,
            "home counts the practice's waiting join requests")
    st, _, body = b.get("/joins")
    t.check(st == 200 and "&lt;Jo&gt; Smith" in body and "<Jo>" not in body
            and "jo@a.example (confirmed)" in body,
            "the list shows A's request, escaped")
    t.check("bea@b.example" not in body, "not another practice's")
    st, _, body = b.get("/joins/1")
    t.check("<th scope=\"row\">First name</th><td>&lt;Jo&gt;</td>" in body
            and "<th scope=\"row\">Last name</th>" in body,
            "one request shows what the person gave, labelled, escaped")
    st, _, _ = b.post("/joins/1/reject", {"reason": "not ours"})
    t.check_eq(st, 403, "reject without the CSRF token: 403")
    tok = b.csrf("/joins/1")
    st, _, _ = b.post("/joins/2/reject", {"reason": "x", "csrf": tok})
    t.check_eq(st, 404, "another practice's request: 404")
    st, _, body = b.post("/joins/1/reject", {"reason": "", "csrf": tok,
                                             "notify": "yes"})
    t.check(st == 422 and "give a reason" in body,
            "a reject without a reason is refused and says why (%d)" % st)
    st, hd, _ = b.post("/joins/1/reject", {"reason": "not registered here",
                                           "csrf": tok, "notify": "yes"})
    t.check(st == 303 and hd.get("Location") == "/joins?practice=A81001",
            "rejected, back to the list (%d)" % st)
    st, hd, _ = b.post("/joins/3/approve", {"external_ref": "EMIS-3",
                                            "csrf": tok})
    t.check(st == 303 and (hd.get("Location") or "").startswith("/members/"),
            "approved: to the new member (%d %r)" % (st, hd.get("Location")))
    st, _, body = b.post("/joins/3/approve", {"csrf": tok})
    t.check(st == 422 and "not pending" in body,
            "approving twice is refused and says why")
    db = sqlite3.connect(env.sections["daemon"]["database"])
    rows = dict(db.execute("SELECT id, state FROM join_requests").fetchall())
    told = db.execute("SELECT count(*) FROM outbox WHERE to_addr ="
                      " 'jo@a.example' AND subject LIKE '%request to join%'"
                      " AND body NOT LIKE '%not registered here%'"
                      ).fetchone()[0]
    member = db.execute("SELECT count(*) FROM members WHERE email ="
                        " 'cal@a.example' AND external_ref = 'EMIS-3'"
                        ).fetchone()[0]
    aud = db.execute("SELECT group_concat(action) FROM audit WHERE action"
                     " LIKE 'join-%' AND actor = 'web:pm@a.example'"
                     ).fetchone()[0] or ""
    db.close()
    t.check_eq((rows[1], rows[2], rows[3]), ("rejected", "pending",
                                             "approved"),
               "one rejected, one approved, B's untouched")
    t.check_eq(told, 1, "the rejected person is told, without the reason")
    t.check_eq(member, 1, "the approved request is a member with its id")
    t.check("join-reject" in aud and "join-approve" in aud,
            "both decisions audited with the user (%s)" % aud)


def test_inbox_page(env, base):
    """The inbox as a manager of A: A's messages only, text escaped, the
    member linked, filtered, a page at a time."""
    b, st, _ = login(base, "pm@a.example")
    st, _, body = b.get("/inbox")
    t.check(st == 200 and "&lt;b&gt;Thanks&lt;/b&gt;" in body and
            "<b>Thanks</b>" not in body,
            "a reply is listed with its text escaped")
    t.check('href="/members/1"' in body, "with a link to its member")
    t.check("Hillside reply" not in body and "Nobody knows" not in body,
            "another practice's and no practice's messages are not listed")
    t.check('href="/alerts"' in body, "care alerts are linked")
    st, _, body = b.get("/inbox?show=stop&practice=A81001")
    t.check("STOP please" in body and "Thanks" not in body,
            "stop requests alone")
    st, _, body = b.get("/inbox?show=unmatched&practice=A81001")
    t.check("Who is this" in body and "Thanks" not in body,
            "unmatched messages alone")
    db = sqlite3.connect(env.sections["daemon"]["database"])
    now = int(time.time())
    for i in range(55):
        db.execute("INSERT INTO inbound (provider, provider_msg_id,"
                   " received_at, channel, from_addr, body, practice_id)"
                   " VALUES ('test', ?, ?, 'sms', '+447700900111', ?, 1)",
                   ("page-%d" % i, now, "Paged message %d." % i))
    db.commit()
    db.close()
    st, _, body = b.get("/inbox?practice=A81001")
    rows = re.findall(r"Paged message (\d+)\.", body)
    t.check_eq(len(re.findall(r"<tr><td>", body)), 50, "50 messages a page")
    t.check_eq(rows[0], "54", "newest first")
    m = re.search(r'href="(/inbox\?[^"]*before=\d+)"', body)
    t.check(m is not None, "a link to the older messages")
    st, _, body2 = b.get(m.group(1).replace("&amp;", "&") if m else "/inbox")
    rows2 = re.findall(r"Paged message (\d+)\.", body2)
    t.check(rows2 == ["4", "3", "2", "1", "0"] and "Thanks" in body2 and
            "Older messages" not in body2,
            "the next page holds the rest (%s)" % rows2)
    rc, out, err = env.ppgd("inbox", "--practice", "A81001", "--limit", "3",
                            "--json")
    t.check(rc == 0 and [m["body"] for m in json.loads(out)] ==
            ["Paged message 54.", "Paged message 53.", "Paged message 52."],
            "ppgd inbox lists the same messages (%s)" % err)


BAD_SURVEY = """slug: web-made
title: Made on the web
questions:
  - key: q1
    type: scale
    text: How was it?
    min: 1
    max: 5
  - key: q2
    type: nonsense
    text: And this?
"""


def test_survey_template_pages(env, base):
    """A survey loaded from the page (errors with their lines), templates
    viewed and a draft checked."""
    b, st, _ = login(base, "pm@a.example")
    tok = b.csrf("/surveys")
    st, _, body = b.post("/surveys", {"csrf": tok, "yaml": BAD_SURVEY})
    t.check(st == 422 and re.search(r"line 10:", body) is not None,
            "a survey with an error is refused with its line (%d %s)" % (
                st, re.findall(r"<li>line[^<]*", body)))
    t.check_eq(q1(env, "SELECT count(*) FROM surveys WHERE slug ="
                  " 'web-made'")[0][0], 0, "and not stored")
    good = BAD_SURVEY.replace("nonsense", "yesno")
    st, hd, body = b.post("/surveys", {"csrf": tok, "yaml": good})
    row = q1(env, "SELECT id, version FROM surveys WHERE slug = 'web-made'")
    t.check(st == 303 and len(row) == 1 and
            hd.get("Location", "").endswith("/surveys/%d" % row[0][0]),
            "a good survey is stored (%d)" % st)
    st, _, body = b.get("/surveys/%d" % (row[0][0] if row else 0))
    t.check(st == 200 and "How was it?" in body and "And this?" in body,
            "and shown with its questions")
    t.check_eq(q1(env, "SELECT count(*) FROM audit WHERE action ="
                  " 'survey.load' AND actor = 'web:pm@a.example'")[0][0], 1,
               "the load is audited with the user")
    st, _, body = b.post("/surveys", {"yaml": good})
    t.check_eq(st, 403, "a survey posted without the CSRF token is refused")
    st, _, body = b.get("/surveys/1")
    t.check("Is there anything we could have done better?" in body and
            "<li>Very good</li>" in body,
            "a survey's questions and options are shown")
    st, _, body = b.get("/templates")
    t.check('href="/templates/sms/broadcast"' in body and
            "read-only" in body, "templates are listed, saving explained")
    st, _, body = b.get("/templates/sms/broadcast")
    t.check(st == 200 and "{{practice.name}} patient group" in body,
            "an SMS template is shown")
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "sms",
        "text": "Hello {{member.nickname}} from {{practice.name}}"})
    t.check(st == 422 and "unknown placeholder" in body,
            "an unknown placeholder is reported (%d)" % st)
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "sms",
        "text": "{{practice.name}}: " + "x" * 300})
    t.check(st == 200 and "3 segments" in body and "GSM-7" in body,
            "the segment count and encoding are shown (%s)" % re.findall(
                r"With sample values[^<]*", body))
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "sms",
        "text": "{{practice.name}}: " + "x" * 500})
    t.check(st == 422 and "a campaign would refuse" in body,
            "a text longer than [sms] max_segments is refused (%d)" % st)
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "email",
        "text": "Subject: Hello\r\n\r\nLine one\r\n{{practice.name}}\r\n"})
    t.check(st == 200 and "Every placeholder is known" in body,
            "an email draft with CRLF line ends (a textarea's) is read")
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "sms", "text": "Caf\u00e9 \u2764"})
    t.check(st == 200 and "UCS-2" in body and "1 segment " in body,
            "a text outside GSM-7 is measured as UCS-2")
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "email",
        "text": "Subject: News from {{practice.name}}\n\n"
                "<b>{{message.text}}</b>"})
    t.check(st == 200 and "Every placeholder is known" in body and
            "<b>" not in body.split("<main")[1].replace("<b>Thanks", ""),
            "an email draft is checked and shown escaped")
    # The same check as you type (admin.js): JSON, same verdicts.
    st, hd, body = b.post("/templates/check", {
        "csrf": tok, "channel": "sms", "format": "json",
        "text": "{{practice.name}}: " + "x" * 300})
    j = json.loads(body) if st == 200 else {}
    t.check(hd.get("Content-Type") == "application/json" and
            j.get("ok") is True and j.get("segments") == 3 and
            j.get("encoding") == "GSM-7" and "3 segments" in j["summary"],
            "the live check answers JSON with the segments (%r)" % j)
    st, _, body = b.post("/templates/check", {
        "csrf": tok, "channel": "sms", "format": "json",
        "text": "Hello {{member.nickname}}"})
    j = json.loads(body) if st == 200 else {}
    t.check(j.get("ok") is False and "unknown placeholder" in j["summary"],
            "the live check names an unknown placeholder (%r)" % j)
    st, _, _ = b.post("/templates/check", {
        "channel": "sms", "format": "json", "text": "x"})
    t.check_eq(st, 403, "the live check needs the CSRF token too")
    st, hd, body = b.get("/admin.js")
    t.check(st == 200 and hd.get("Content-Type", "").startswith(
        "text/javascript") and "form[data-live]" in body and
            "textContent" in body and "innerHTML" not in body,
            "admin.js is served, and writes text, never markup")
    st, hd, body = b.get("/templates")
    csp = hd.get("Content-Security-Policy", "")
    t.check("script-src 'self'" in csp and "default-src 'none'" in csp and
            '<script src="/admin.js" defer>' in body,
            "admin pages load admin.js under a self-only policy (%s)" % csp)


def snapshot(env):
    db = sqlite3.connect(env.sections["daemon"]["database"])
    try:
        return [db.execute(q).fetchall() for q in (
            "SELECT id, practice_id, first_name, email, erased_at FROM members",
            "SELECT id, name, state FROM campaigns",
            "SELECT count(*) FROM outbox",
            "SELECT count(*) FROM runs",
            "SELECT id, state FROM care_alerts",
            "SELECT id, status FROM actions",
            "SELECT count(*) FROM meetings",
            "SELECT count(*) FROM evidence",
            "SELECT code, name FROM practices",
            "SELECT count(*) FROM population")]
    finally:
        db.close()


def test_posts_other_practice(env, base):
    """Every form of the admin, posted by a manager and a lead of A for
    practice B: refused, and nothing changes."""
    before = snapshot(env)
    for col, who in ((2, "pm@a.example"), (3, "lead@a.example")):
        b, st, _ = login(base, who)
        tok = b.csrf("/account")
        for row in POSTS:
            form = dict(row[1], csrf=tok)
            st, _, _ = b.post(row[0], form)
            t.check(st == row[col], "%s POST %s for practice B: %d (want %d)"
                    % (who, row[0], st, row[col]))
    t.check_eq(snapshot(env), before,
               "the refused forms change no member, campaign, message or "
               "alert")


def test_referrer_policy(base):
    """Admin pages say Referrer-Policy: same-origin (once): with no-referrer
    Chromium posts the admin's forms with "Origin: null", and the Origin
    check learns nothing."""
    st, hd, _ = t.http_request("GET", base + "/login")
    t.check_eq(hd.get_all("Referrer-Policy"), ["same-origin"],
               "the admin's referrer policy lets its forms name their origin")


def test_scope(env, base):
    """Every page x every role x own/other practice."""
    routes = [p[0] for p in PAGES]
    want = {
        "admin@ppg.example": [p[1] for p in PAGES],
        "pm@a.example": [p[2] for p in PAGES],
        "lead@a.example": [p[3] for p in PAGES],
        "viewer@a.example": [p[4] for p in PAGES],
    }
    for who, codes in want.items():
        b, st, hd = login(base, who)
        if who == "admin@ppg.example":
            # Enrolled in test_totp: the code first (its codes of this
            # minute are spent: forget that, as time would).
            secret = scope_secret(env)
            b.post("/login/code", {"code": totp(secret),
                                   "csrf": b.csrf("/login/code")})
        for path, code in zip(routes, codes):
            st, _, body = b.get(path)
            t.check(st == code, "%s GET %s: %d (want %d)" % (who, path, st,
                                                           code))
        if who == "lead@a.example":
            st, _, body = b.get("/")
            t.check("07700 900" not in body and "ann@" not in body
                    and "Reachable by email" in body,
                    "a lead sees counts, never contact details")
        if who == "admin@ppg.example":
            st, _, body = b.get("/alerts")
            t.check("No practice: crisis" in body,
                    "an admin sees the alert no practice was found for")
            st, _, _ = b.post("/alerts/3", {"state": "seen",
                                            "csrf": b.csrf("/alerts")})
            t.check_eq(st, 303, "and may acknowledge it")
        if who == "pm@a.example":
            st, _, body = b.get("/alerts")
            t.check("No practice" not in body,
                    "a manager does not see it")
            st, _, body = b.get("/members?practice=A81001&q=ann")
            t.check("ann@a.example" in body and "bob@b.example" not in body,
                    "members search stays in the practice")
            st, _, body = b.get("/users")
            t.check("pm-b@b.example" not in body,
                    "a manager sees only their practice's users")


def scope_secret(env):
    db = sqlite3.connect(env.sections["daemon"]["database"])
    db.execute("UPDATE users SET totp_last_step = 0")
    db.commit()
    s, = db.execute("SELECT totp_secret FROM users WHERE email ="
                    " 'admin@ppg.example'").fetchone()
    db.close()
    return s


def seed(env):
    for code, name in (("A81001", "Riverside"), ("B82002", "Hillside")):
        rc, _, err = env.ppgd("practice", "add", code, "--name", name,
                              "--email-from", "ppg@%s.example" % name.lower())
        t.check_eq(rc, 0, "practice add %s (%s)" % (code, err))
    for practice, email in (("A81001", "ann@a.example"),
                            ("B82002", "bob@b.example")):
        rc, _, err = env.ppgd("member", "add", "--practice", practice,
                              "--first-name", email.split("@")[0],
                              "--email", email, "--consent-email", "yes")
        t.check_eq(rc, 0, "member add (%s)" % err)
    for s in ("fft", "post-meeting"):
        rc, _, err = env.ppgd("survey", "load",
                              os.path.join(t.TOP, "surveys", s + ".yaml"))
        t.check_eq(rc, 0, "survey load %s (%s)" % (s, err))
    for practice, name in (("A81001", "News A"), ("B82002", "News B")):
        rc, _, err = env.ppgd("campaign", "add", name, "--practice", practice,
                              "--kind", "broadcast", "--channels", "email",
                              "--message", "Flu clinics on Saturday.")
        t.check_eq(rc, 0, "campaign add %s (%s)" % (name, err))
    rc, _, err = env.ppgd("action", "add", "--practice", "B82002", "--area",
                          "access", "--title", "Phone lines at 8am")
    t.check_eq(rc, 0, "action add (%s)" % err)
    db = sqlite3.connect(env.sections["daemon"]["database"])
    now = int(time.time())
    for pid in (1, 2):
        db.execute("INSERT INTO care_alerts (practice_id, source, urgency,"
                   " created_at) VALUES (?, 'sms', 'emergency', ?)",
                   (pid, now))
    for prov_id, pid, member, disp, body in (
            ("r1", 1, 1, "feedback", "<b>Thanks</b> for the news"),
            ("r2", 1, None, "unmatched", "Who is this?"),
            ("r3", 1, 1, "stop-request", "STOP please"),
            ("r4", 2, 2, "feedback", "Hillside reply"),
            ("r5", None, None, "unmatched", "Nobody knows this number")):
        db.execute("INSERT INTO inbound (provider, provider_msg_id,"
                   " received_at, channel, from_addr, body, member_id,"
                   " practice_id, disposition) VALUES ('test', ?, ?, 'sms',"
                   " '+447700900222', ?, ?, ?, ?)",
                   (prov_id, now - 60, body, member, pid, disp))
    # Join requests waiting: 1 and 3 at A, 2 at B.
    for pid, name, email in ((1, "<Jo>", "jo@a.example"),
                             (2, "Bea", "bea@b.example"),
                             (1, "Cal", "cal@a.example")):
        db.execute("INSERT INTO join_requests (practice_id, state, via,"
                   " source, first_name, email, data, email_confirmed_at,"
                   " created_at, expires_at) VALUES (?, 'pending', 'web',"
                   " 'waiting-room', ?, ?, ?, ?, ?, ?)",
                   (pid, name, email, json.dumps({"first_name": name,
                                                  "last_name": "Smith"}),
                    now, now, now + 86400))
    # A text to a number no practice owns: no practice (alert 3).
    db.execute("INSERT INTO care_alerts (practice_id, source, urgency,"
               " created_at) VALUES (NULL, 'sms', 'crisis', ?)", (now,))
    db.commit()
    db.close()
    users = [("admin@ppg.example", "Ada Admin", "admin", []),
             ("pm@a.example", "Pat Manager", "manager", ["A81001"]),
             ("lead@a.example", "Lee Lead", "lead", ["A81001"]),
             ("viewer@a.example", "Val Viewer", "viewer", ["A81001"]),
             ("pm-b@b.example", "Bea Manager", "manager", ["B82002"])]
    for email, name, role, practices in users:
        args = ["user", "add", email, "--name", name, "--role", role]
        for p in practices:
            args += ["--practice", p]
        rc, _, err = env.ppgd(*args)
        t.check_eq(rc, 0, "user add %s (%s)" % (email, err))
    rc, _, err = env.ppgd("user", "add", "x@a.example", "--name", "X",
                          "--role", "manager")
    t.check(rc == 1 and "needs --practice" in err,
            "a manager without a practice is refused")
    rc, _, err = env.ppgd("user", "add", "pm@a.example", "--name", "Dup",
                          "--role", "viewer", "--practice", "A81001")
    t.check(rc == 1 and "has this email" in err, "a duplicate is refused")


def main():
    port = t.free_port()
    env = t.TestEnv("admin", sections={"admin": {
        "listen": "127.0.0.1:%d" % port}})
    base = "http://127.0.0.1:%d" % port
    rc, _, err = env.ppgd("init")
    t.check_eq(rc, 0, "init (%s)" % err)
    with env.serve() as d:
        t.check(closed(port), "no account: the admin does not listen")
    seed(env)
    with env.serve() as d:
        t.check(not closed(port), "with an account the admin listens")
        test_passwords(env, base)
        for who in ("admin@ppg.example", "lead@a.example",
                    "viewer@a.example", "pm-b@b.example"):
            set_password(env, base, who)
        test_login(env, base)
        test_referrer_policy(base)
        test_lockout(env, base)
        test_expiry(env, base)
        test_totp(env, base)
        test_scope(env, base)
        test_posts_other_practice(env, base)
        test_member_pages(env, base)
        test_campaign_pages(env, base)
        test_cycle_pages(env, base)
        test_inbox_page(env, base)
        test_join_pages(env, base)
        test_home_representation(env, base)
        test_survey_template_pages(env, base)
    env.write_config({"admin": {"require_2fa": "yes"}})
    with env.serve() as d:
        test_require_2fa(env, base)
    rc, _, err = env.ppgd("user", "disable", "lead@a.example")
    t.check_eq(rc, 0, "user disable (%s)" % err)
    with env.serve() as d:
        b, st, _ = login(base, "lead@a.example")
        t.check_eq(st, 401, "a disabled user cannot sign in")
    t.finish()


if __name__ == "__main__":
    main()
