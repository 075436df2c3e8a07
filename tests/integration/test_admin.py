#!/usr/bin/env python3
"""The staff web admin over real HTTP: no listener without an account;
password set through a one-time link (length and common-password checks);
sign-in, lockout with backoff, cookie flags, CSRF and cross-origin refusal,
idle and absolute session expiry, TOTP enrolment and sign-in (a code works
once), and every page x every role x own/other practice."""

import base64
import hashlib
import hmac
import os
import re
import socket
import sqlite3
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

PW = "correct horse battery staple"


class Browser:
    """A cookie jar of one (the session cookie) over plain HTTP."""

    def __init__(self, base):
        self.base = base
        self.cookie = None
        self.set_cookie = None

    def req(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = "ppgd_admin=" + self.cookie
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        if data is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        st, hd, body = t.http_request(method, self.base + path, data=data,
                                      headers=h)
        sc = hd.get("Set-Cookie")
        if sc:
            self.set_cookie = sc
            m = re.match(r"ppgd_admin=([^;]*)", sc)
            self.cookie = m.group(1) if m and m.group(1) else None
        return st, hd, body.decode("utf-8", "replace")

    def get(self, path):
        return self.req("GET", path)

    def post(self, path, form, headers=None):
        return self.req("POST", path, form, headers)

    def csrf(self, path="/"):
        st, hd, body = self.get(path)
        m = re.search(r'name="csrf" value="([^"]+)"', body)
        return m.group(1) if m else ""


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
    st, _, _ = b.post(reset_link(env, who), {"password": pw})
    t.check_eq(st, 200, "%s sets a password" % who)


def login(base, who, pw=PW):
    b = Browser(base)
    st, hd, _ = b.post("/login", {"email": who, "password": pw})
    return b, st, hd


def test_passwords(env, base):
    link = reset_link(env, "pm@a.example")
    b = Browser(base)
    st, _, body = b.get(link)
    t.check(st == 200 and 'autocomplete="new-password"' in body,
            "the reset page asks for a new password")
    for pw, why in (("short", "at least 10"),
                    ("password123", "most common"),
                    ("pat-manager-2026", "name or email")):
        st, _, body = b.post(link, {"password": pw})
        t.check(st == 422 and why in body, "refused: %s (%d)" % (why, st))
    st, _, body = b.post(link, {"password": PW},
                         headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "a reset posted from another site is refused")
    st, _, body = b.post(link, {"password": PW})
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
    t.check(st == 429 and b.cookie is None,
            "five failures lock the account, even the right password: 429")
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


def test_scope(env, base):
    """Every page x every role x own/other practice."""
    routes = ["/", "/members?practice=A81001", "/members?practice=B82002",
              "/alerts", "/comments?target=fft", "/users", "/account"]
    want = {
        "admin@ppg.example": [200, 200, 200, 200, 200, 200, 200],
        "pm@a.example": [200, 200, 403, 200, 200, 200, 200],
        "lead@a.example": [200, 403, 403, 403, 200, 403, 200],
        "viewer@a.example": [200, 403, 403, 403, 403, 403, 200],
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
        if who == "pm@a.example":
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
        rc, _, err = env.ppgd("practice", "add", code, "--name", name)
        t.check_eq(rc, 0, "practice add %s (%s)" % (code, err))
    for practice, email in (("A81001", "ann@a.example"),
                            ("B82002", "bob@b.example")):
        rc, _, err = env.ppgd("member", "add", "--practice", practice,
                              "--first-name", email.split("@")[0],
                              "--email", email, "--consent-email", "yes")
        t.check_eq(rc, 0, "member add (%s)" % err)
    db = sqlite3.connect(env.sections["daemon"]["database"])
    now = int(time.time())
    for pid in (1, 2):
        db.execute("INSERT INTO care_alerts (practice_id, source, urgency,"
                   " created_at) VALUES (?, 'sms', 'emergency', ?)",
                   (pid, now))
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
        test_lockout(env, base)
        test_expiry(env, base)
        test_totp(env, base)
        test_scope(env, base)
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
