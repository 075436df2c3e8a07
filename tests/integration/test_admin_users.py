#!/usr/bin/env python3
"""Staff accounts managed in the web admin, over real HTTP: who may do what
(admin, manager, lead, viewer x an account of their practice, of another,
of both, an admin's x every action), nobody changes their own account, the
last active admin stays one (CLI), a new user's and a reset link work once,
a disabled user cannot sign in and their sessions end, lockout shown and
lifted, second factor off, every change audited with the acting user; and
the sign-in hardening: the __Host- session cookie and the pre-session CSRF
token of the sign-in and password forms."""

import os
import re
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
from adminweb import PRE, SESSION, Browser  # noqa: E402

PW = "correct horse battery staple"


def db(env):
    return sqlite3.connect(env.sections["daemon"]["database"])


def q(env, sql, *args):
    c = db(env)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def uid(env, email):
    r = q(env, "SELECT id FROM users WHERE email = ?", email)
    return r[0][0] if r else 0


def link_path(body):
    m = re.search(r'<code id="link">[^<]*?(/reset/[A-Za-z0-9_-]{22})</code>',
                  body)
    return m.group(1) if m else None


def set_password(base, path, pw=PW):
    b = Browser(base)
    return b.post(path, {"password": pw, "csrf": b.csrf(path)})


def cli_password(env, base, who):
    rc, j, err = env.ppgd_json("user", "reset-password", who)
    t.check_eq(rc, 0, "reset-password %s (%s)" % (who, err))
    st, _, _ = set_password(base, urllib.parse.urlparse(j["link"]).path)
    t.check_eq(st, 200, "%s sets a password" % who)


def login(base, who, pw=PW):
    b = Browser(base)
    st, hd, _ = b.post("/login", {"email": who, "password": pw,
                                  "csrf": b.csrf("/login")})
    return b, st


def add_user(env, email, role, practices=()):
    args = ["user", "add", email, "--name", email.split("@")[0].title(),
            "--role", role]
    for p in practices:
        args += ["--practice", p]
    rc, _, err = env.ppgd(*args)
    t.check_eq(rc, 0, "user add %s (%s)" % (email, err))
    return uid(env, email)


def users_snapshot(env):
    return (q(env, "SELECT id, email, role, totp_enabled, disabled_at,"
                   " failed, locked_until FROM users ORDER BY id"),
            q(env, "SELECT user_id, practice_id FROM user_practices"
                   " ORDER BY 1, 2"),
            q(env, "SELECT user_id, used_at FROM user_links ORDER BY 1"))


# Each action on an account: (name, method, path suffix, form, status when
# allowed). The form's practices are filled in per target.
ACTIONS = [
    ("view", "GET", "", None, 200),
    ("confirm disable", "GET", "/disable", None, 200),
    ("edit", "POST", "/edit", {"role": "viewer"}, 303),
    ("reset", "POST", "/reset", {}, 200),
    ("2fa-off", "POST", "/2fa-off", {}, 303),
    ("unlock", "POST", "/unlock", {}, 303),
    ("disable", "POST", "/disable", {"confirm": "yes"}, 303),
    ("enable", "POST", "/enable", {}, 303),
]

# Who may act on whom: the status of each action for (actor, target),
# "ok" meaning the action's own status above.
RULES = {
    "admin": {"own": "ok", "other": "ok", "both": "ok", "admin": "ok"},
    "manager": {"own": "ok", "other": 404, "both": 403, "admin": 403},
    "lead": {"own": 403, "other": 403, "both": 403, "admin": 403},
    "viewer": {"own": 403, "other": 403, "both": 403, "admin": 403},
}
PRACTICES = {"own": ["A81001"], "other": ["B82002"],
             "both": ["A81001", "B82002"], "admin": []}


def test_table(env, base, actors):
    """Every action x every role x an account of their practice, another
    practice's, one of both and an admin's."""
    for role, who in actors.items():
        b, st = login(base, who)
        t.check_eq(st, 303, "%s signs in" % who)
        tok = b.csrf()
        targets = {k: add_user(env, "%s-%s@t.example" % (k, role),
                               "admin" if k == "admin" else "lead",
                               PRACTICES[k])
                   for k in PRACTICES}
        for kind, tid in targets.items():
            rule = RULES[role][kind]
            for name, method, suffix, form, ok in ACTIONS:
                want = ok if rule == "ok" else rule
                # A view is allowed where the account is visible; acting
                # on it is what the manager may not do.
                if name == "view" and role == "manager" and rule == 403:
                    want = 200
                before = users_snapshot(env)
                path = "/users/%d%s" % (tid, suffix)
                if form is not None:
                    f = dict(form, csrf=tok)
                    if name == "edit":
                        f["practice"] = PRACTICES[kind]
                        f["role"] = "admin" if kind == "admin" else "viewer"
                    st, _, _ = b.post(path, f)
                else:
                    st, _, _ = b.get(path)
                t.check(st == want, "%s %s %s of %s: %d (want %d)" % (
                    role, name, kind, path, st, want))
                if want in (403, 404):
                    t.check_eq(users_snapshot(env), before,
                               "%s %s on %s's account changes nothing" %
                               (role, name, kind))
        # Adding: for their own practice, another's, and an admin.
        for code, new_role, ok in (("A81001", "lead", 200),
                                   ("B82002", "lead", 403),
                                   ("A81001", "admin", 403),
                                   ("A81001", "manager", 200)):
            if role == "admin":
                want = 200
            elif role == "manager":
                want = ok
            else:
                want = 403
            email = "new-%s-%s-%s@t.example" % (role, code, new_role)
            st, _, body = b.post("/users/new", {
                "csrf": tok, "email": email, "name": "New Person",
                "role": new_role, "practice": code})
            t.check(st == want, "%s adds a %s of %s: %d (want %d)" % (
                role, new_role, code, st, want))
            t.check_eq(uid(env, email) != 0, want == 200,
                       "%s adding a %s of %s: stored only if allowed" %
                       (role, new_role, code))
            if want == 200:
                t.check(link_path(body) is not None,
                        "the new user's link is shown")
        st, _, _ = b.get("/users")
        t.check_eq(st, 200 if role in ("admin", "manager") else 403,
                   "%s GET /users" % role)
        st, _, _ = b.get("/users/new?practice=B82002")
        t.check_eq(st, {"admin": 200, "manager": 403}.get(role, 403),
                   "%s GET /users/new for practice B" % role)
        st, _, _ = b.get("/users?practice=B82002")
        t.check_eq(st, {"admin": 200, "manager": 403}.get(role, 403),
                   "%s GET the users of practice B" % role)


def test_manager_view(env, base):
    """A manager's list and forms stay in their practices."""
    b, _ = login(base, "pm@a.example")
    st, _, body = b.get("/users")
    t.check("lead@a.example" in body and "pm-b@b.example" not in body,
            "a manager lists their practice's users, not another's")
    st, _, body = b.get("/users/new?practice=A81001")
    t.check(st == 200 and 'value="admin"' not in body and
            'value="manager"' in body and 'value="B82002"' not in body and
            re.search(r'value="A81001" checked', body) is not None,
            "a manager is offered no admin role and only their practices")
    st, _, body = b.get("/users?practice=A81001")
    t.check(st == 200 and "Users of A81001" in body and
            "lead@a.example" in body and "admin@ppg.example" in body and
            "pm-b@b.example" not in body,
            "the users of one practice: its staff and the admins")
    st, _, body = b.get("/settings?practice=A81001")
    t.check('href="/users?practice=A81001"' in body,
            "settings link to the users of the practice")
    # Granting a practice the manager does not hold, through the edit form
    # of an account they may change: refused, nothing changes.
    tid = uid(env, "lead@a.example")
    before = users_snapshot(env)
    st, _, _ = b.post("/users/%d/edit" % tid, {
        "csrf": b.csrf(), "role": "lead", "practice": ["A81001", "B82002"]})
    t.check_eq(st, 403, "a manager cannot grant another practice")
    st, _, _ = b.post("/users/%d/edit" % tid, {
        "csrf": b.csrf(), "role": "admin", "practice": ["A81001"]})
    t.check_eq(st, 403, "a manager cannot make an admin")
    st, _, body = b.post("/users/%d/edit" % tid, {
        "csrf": b.csrf(), "role": "manager"})
    t.check(st == 422 and "needs a practice" in body,
            "a manager with no practice is refused (%d)" % st)
    t.check_eq(users_snapshot(env), before, "and nothing changed")


def test_self_and_last_admin(env, base):
    """Nobody disables, demotes or otherwise changes their own account on
    the web; the last active admin stays an admin and enabled (user.c,
    whichever face asks)."""
    for who in ("admin@ppg.example", "pm@a.example"):
        b, _ = login(base, who)
        me = uid(env, who)
        tok = b.csrf()
        st, _, body = b.get("/users/%d" % me)
        t.check(st == 200 and "This is your account" in body and
                'action="/users/%d/disable"' % me not in body,
                "%s sees their account without the forms" % who)
        before = users_snapshot(env)
        for suffix, form in (("/disable", {"confirm": "yes"}),
                             ("/edit", {"role": "viewer",
                                        "practice": "A81001"}),
                             ("/reset", {}), ("/2fa-off", {})):
            st, _, body = b.post("/users/%d%s" % (me, suffix),
                                 dict(form, csrf=tok))
            t.check(st == 403 and "your own account" in body,
                    "%s POST %s on themselves: 403 (%d)" % (who, suffix, st))
        t.check_eq(users_snapshot(env), before,
                   "%s changed nothing of their own" % who)
        t.check(b.signed_in(), "%s is still signed in" % who)
    # The last active admin: the other admins disabled, the one left can be
    # neither disabled nor demoted (the CLI has no "self" to stop it).
    for e in q(env, "SELECT email FROM users WHERE role = 'admin' AND"
                    " disabled_at IS NULL AND email != 'admin@ppg.example'"):
        rc, _, err = env.ppgd("user", "disable", e[0])
        t.check_eq(rc, 0, "disable %s (%s)" % (e[0], err))
    rc, _, err = env.ppgd("user", "disable", "admin@ppg.example")
    t.check(rc == 1 and "last active admin" in err,
            "the last active admin cannot be disabled (%s)" % err.strip())
    rc, _, err = env.ppgd("user", "edit", "admin@ppg.example", "--role",
                          "manager", "--practice", "A81001")
    t.check(rc == 1 and "last active admin" in err,
            "nor demoted (%s)" % err.strip())
    t.check_eq(q(env, "SELECT role, disabled_at FROM users WHERE email ="
                      " 'admin@ppg.example'"), [("admin", None)],
               "and stays an active admin")
    rc, _, err = env.ppgd("user", "enable", "admin2@ppg.example")
    t.check_eq(rc, 0, "another admin enabled (%s)" % err)
    rc, out, err = env.ppgd("user", "edit", "admin@ppg.example", "--role",
                            "manager", "--practice", "A81001")
    t.check_eq(rc, 0, "with another admin active, one may step down (%s)"
               % err)
    rc, _, err = env.ppgd("user", "edit", "admin@ppg.example", "--role",
                          "admin")
    t.check_eq(rc, 0, "and back (%s)" % err)


def test_links_and_disable(env, base):
    """A new user's link, a reset link: each works once; disable ends the
    sessions and the sign-in; enable restores it; audit names the actor."""
    b, _ = login(base, "pm@a.example")
    tok = b.csrf()
    st, _, body = b.post("/users/new", {
        "csrf": tok, "email": "nia@a.example", "name": "Nia <Nurse>",
        "role": "viewer", "practice": "A81001"})
    path = link_path(body)
    t.check(st == 200 and path is not None and "Nia &lt;Nurse&gt;" in body
            and "<Nurse>" not in body,
            "a new user: their link shown once, the name escaped")
    nid = uid(env, "nia@a.example")
    for form, why in (({"name": "", "email": "x@a.example", "role": "lead",
                        "practice": "A81001"}, "Enter the person"),
                      ({"name": "X", "email": "x@a.example", "role": "lead"},
                       "needs a practice"),
                      ({"name": "X", "email": "not-an-address",
                        "role": "lead", "practice": "A81001"},
                       "not an email address"),
                      ({"name": "X", "email": "x@a.example",
                        "practice": "A81001"}, "Choose a role")):
        st, _, body = b.post("/users/new", dict(form, csrf=tok))
        t.check(st == 422 and why in body and "There is a problem" in body,
                "add refused: %s (%d)" % (why, st))
    t.check_eq(uid(env, "x@a.example"), 0, "and nobody added")
    st, _, body = b.post("/users/new", {
        "csrf": tok, "email": "NIA@a.example", "name": "Again",
        "role": "viewer", "practice": "A81001"})
    t.check(st == 409 and "has this email" in body and 'value="Again"' in body,
            "the same email again: 409, the form kept")
    st, _, body = b.get("/users/%d" % nid)
    t.check("never" in body and link_path(body) is None,
            "the user's page: no sign-in yet, the link not shown again")
    st, _, _ = set_password(base, path)
    t.check_eq(st, 200, "the new user sets a password with the link")
    st, _, _ = Browser(base).get(path)
    t.check_eq(st, 404, "the link works once")
    n, st = login(base, "nia@a.example")
    t.check(st == 303 and n.signed_in(), "the new user signs in")
    st, _, body = b.get("/users/%d" % nid)
    t.check(re.search(r"Last sign-in</dt><dd>\d{4}-\d\d-\d\dT", body)
            is not None, "their last sign-in is shown")

    # A new link from the page: the old one is gone, the new works once.
    st, _, body = b.post("/users/%d/reset" % nid, {"csrf": tok})
    path2 = link_path(body)
    t.check(st == 200 and path2 and path2 != path, "a new password link")
    st, _, _ = set_password(base, path2, "a brand new pass phrase")
    t.check_eq(st, 200, "the reset link sets the password")
    st, _, _ = set_password(base, path2, "yet another pass phrase")
    t.check_eq(st, 404, "and works once")
    t.check(not n.signed_in(), "a new password ends the old sessions")
    n, st = login(base, "nia@a.example", "a brand new pass phrase")
    t.check(st == 303 and n.signed_in(), "the new password signs in")

    # Disable: confirmation first; then sessions end and sign-in fails,
    # and a link given out before is dead, even once enabled again.
    st, _, body = b.post("/users/%d/reset" % nid, {"csrf": tok})
    path3 = link_path(body)
    t.check_eq(Browser(base).get(path3 or "/reset/x")[0], 200,
               "a live link before the disable")
    st, _, body = b.get("/users/%d/disable" % nid)
    t.check(st == 200 and "Disable Nia &lt;Nurse&gt;?" in body,
            "disabling asks for confirmation")
    st, _, _ = b.post("/users/%d/disable" % nid, {"csrf": tok})
    t.check(st == 422 and n.signed_in(),
            "without the confirmation nothing happens")
    st, _, _ = b.post("/users/%d/disable" % nid,
                      {"csrf": tok, "confirm": "yes"})
    t.check_eq(st, 303, "disabled")
    t.check(not n.signed_in(), "a disabled user's session ends at once")
    _, st = login(base, "nia@a.example", "a brand new pass phrase")
    t.check_eq(st, 401, "a disabled user cannot sign in")
    st, _, body = b.get("/users/%d" % nid)
    t.check("disabled since" in body, "the page says disabled")
    st, _, body = b.post("/users/%d/reset" % nid, {"csrf": tok})
    t.check(st == 422 and "enable them first" in body,
            "no reset link for a disabled user")
    st, _, _ = b.post("/users/%d/enable" % nid, {"csrf": tok})
    t.check_eq(st, 303, "enabled again")
    t.check_eq(Browser(base).get(path3 or "/reset/x")[0], 404,
               "the link given out before the disable stays dead")
    _, st = login(base, "nia@a.example", "a brand new pass phrase")
    t.check_eq(st, 303, "and they sign in again")

    st, _, _ = b.post("/users/%d/edit" % nid, {
        "csrf": tok, "role": "lead", "practice": "A81001"})
    t.check_eq(st, 303, "role changed")
    t.check_eq(q(env, "SELECT role FROM users WHERE id = ?", nid),
               [("lead",)], "to lead")
    got = q(env, "SELECT actor, action, detail FROM audit WHERE object = ?"
                 " ORDER BY id", "user:%d" % nid)
    actions = [a for who, a, _ in got if who == "web:pm@a.example"]
    for a in ("user.add", "user.reset-link", "user.disable", "user.enable",
              "user.update"):
        t.check(a in actions, "%s audited with the manager (%s)" % (a, got))
    t.check(("web:pm@a.example", "user.update",
             "role=lead practices=A81001") in got,
            "the change's detail is audited")
    st, _, body = b.get("/users/%d" % nid)
    t.check("web:pm@a.example" in body and "user.disable" in body,
            "the user's page shows the history with who did it")


def test_lock_and_2fa(env, base):
    """Lockout shown and lifted; the second factor turned off."""
    tid = uid(env, "lead@a.example")
    for _ in range(5):
        login(base, "lead@a.example", "not the password at all")
    _, st = login(base, "lead@a.example")
    t.check_eq(st, 401, "locked after five failures")
    b, _ = login(base, "pm@a.example")
    tok = b.csrf()
    st, _, body = b.get("/users")
    t.check("locked until" in body, "the list shows the lock")
    rc, j, _ = env.ppgd_json("user", "show", "lead@a.example")
    t.check(rc == 0 and j and j["locked_until"] and j["failed_sign_ins"] >= 5,
            "user show --json shows the lock (%s)" % j)
    st, _, _ = b.post("/users/%d/unlock" % tid, {"csrf": tok})
    t.check_eq(st, 303, "unlocked from the page")
    lead, st = login(base, "lead@a.example")
    t.check_eq(st, 303, "the right password works again at once")
    t.check_eq(q(env, "SELECT failed, locked_until FROM users WHERE id = ?",
                 tid), [(0, 0)], "the failures are forgotten")

    c = db(env)
    c.execute("UPDATE users SET totp_enabled = 1, totp_secret ="
              " 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' WHERE id = ?", (tid,))
    c.commit()
    c.close()
    st, _, body = b.get("/users/%d" % tid)
    t.check('action="/users/%d/2fa-off"' % tid in body,
            "a user with a second factor: the form to turn it off")
    st, _, _ = b.post("/users/%d/2fa-off" % tid, {"csrf": tok})
    t.check_eq(st, 303, "second factor off")
    t.check_eq(q(env, "SELECT totp_enabled, totp_secret FROM users WHERE"
                      " id = ?", tid), [(0, None)],
               "the secret is gone, not just flagged")
    t.check(not lead.signed_in(), "and their sessions end")
    t.check_eq(q(env, "SELECT actor FROM audit WHERE object = ? AND action"
                      " IN ('user.unlock', 'user.2fa-off') ORDER BY id",
                 "user:%d" % tid),
               [("web:pm@a.example",), ("web:pm@a.example",)],
               "unlock and second factor off audited with the manager")


def test_csrf(env, base):
    """The sign-in and password forms carry a pre-session token; users
    forms the session's."""
    b = Browser(base)
    st, _, body = b.get("/login")
    pre = [c for c in b.set_cookies if c.startswith(PRE + "=")]
    t.check(st == 200 and len(pre) == 1, "the sign-in form sets %s" % PRE)
    attrs = [a.strip() for a in pre[0].split(";")] if pre else []
    t.check("Secure" in attrs and "Path=/" in attrs and "HttpOnly" in attrs
            and "SameSite=Strict" in attrs and
            not any(a.lower().startswith("domain") for a in attrs),
            "the token cookie: Secure, Path=/, no Domain (%s)" % pre)
    tok = b.jar.get(PRE)
    t.check(tok and 'name="csrf" value="%s"' % tok in body,
            "the form repeats the cookie's token")
    good = {"email": "pm@a.example", "password": PW}
    st, _, body = b.post("/login", good)
    t.check(st == 403 and "expired, or it came from another site" in body
            and 'href="/login"' in body,
            "sign-in without the token: 403 with a clear page (%d)" % st)
    st, _, body = b.post("/login", dict(good, csrf="x" * 22))
    t.check_eq(st, 403, "sign-in with a wrong token: 403")
    st, _, _ = Browser(base).post("/login", dict(good, csrf=tok))
    t.check_eq(st, 403, "the token without its cookie: 403")
    st, _, _ = b.post("/login", dict(good, csrf=tok),
                      headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "the token from another origin: 403")
    t.check(b.jar.get(SESSION) is None, "none of those signed in")
    st, _, _ = b.post("/login", dict(good, csrf=tok),
                      headers={"Origin": "null"})
    t.check_eq(st, 303, "with the token (and Origin: null, as no-referrer "
               "pages send): signed in")
    sess = [c for c in b.set_cookies if c.startswith(SESSION + "=")]
    attrs = [a.strip() for a in sess[0].split(";")] if sess else []
    t.check(sess and "Secure" in attrs and "HttpOnly" in attrs and
            "Path=/" in attrs and "SameSite=Strict" in attrs and
            not any(a.lower().startswith("domain") for a in attrs),
            "the session cookie is __Host-: Secure, Path=/, no Domain (%s)"
            % sess)
    t.check(b.signed_in(), "the session works")
    # The cookie's old name is not read: the same token under it is no
    # session; and a sign-in clears the old cookie.
    st, hd, _ = b.req("GET", "/account",
                      cookies={"ppgd_admin": b.jar[SESSION]})
    t.check(st == 303 and hd.get("Location") == "/login",
            "the old cookie name is no longer a session")
    o = Browser(base)
    tok2 = o.csrf("/login")
    o.jar["ppgd_admin"] = "A" * 22
    st, _, _ = o.post("/login", dict(good, csrf=tok2))
    t.check(st == 303 and any(c.startswith("ppgd_admin=;") and
                              "Max-Age=0" in c for c in o.set_cookies),
            "signing in clears the old cookie (%s)" % o.set_cookies)

    # The password form: the same token.
    rc, j, _ = env.ppgd_json("user", "reset-password", "pm-b@b.example")
    path = urllib.parse.urlparse(j["link"]).path
    r = Browser(base)
    tok3 = r.csrf(path)
    st, _, body = r.post(path, {"password": "another good phrase"})
    t.check(st == 403 and 'href="%s"' % path in body,
            "a password form without the token: 403, a link to the form")
    st, _, _ = r.post(path, {"password": "another good phrase",
                             "csrf": "y" * 22})
    t.check_eq(st, 403, "with a wrong token: 403")
    st, _, _ = r.post(path, {"password": "another good phrase",
                             "csrf": tok3})
    t.check_eq(st, 200, "with it the password is saved")

    # The users forms: the session's token and our origin.
    n0 = q(env, "SELECT count(*) FROM users")[0][0]
    form = {"email": "csrf@a.example", "name": "C", "role": "viewer",
            "practice": "A81001"}
    for extra, hdr, why in (({}, None, "no token"),
                            ({"csrf": "z" * 22}, None, "a wrong token"),
                            ({"csrf": b.csrf()},
                             {"Origin": "https://evil.example"},
                             "another origin")):
        st, _, _ = b.post("/users/new", dict(form, **extra), headers=hdr)
        t.check_eq(st, 403, "add a user with %s: 403" % why)
    tid = uid(env, "lead@a.example")
    st, _, _ = b.post("/users/%d/disable" % tid, {"confirm": "yes"})
    t.check_eq(st, 403, "disable without the token: 403")
    t.check_eq(q(env, "SELECT count(*) FROM users")[0][0], n0,
               "no user added")
    t.check_eq(q(env, "SELECT disabled_at FROM users WHERE id = ?", tid),
               [(None,)], "no user disabled")


def test_cli(env):
    """The CLI offers what the page does."""
    rc, j, err = env.ppgd_json("user", "edit", "viewer@a.example", "--role",
                               "lead")
    t.check(rc == 0 and j and j["role"] == "lead" and len(j["practice_ids"])
            == 1, "user edit --role keeps the practices (%s)" % err)
    rc, j, err = env.ppgd_json("user", "edit", "viewer@a.example",
                               "--practice", "A81001", "--practice",
                               "B82002")
    t.check(rc == 0 and j and sorted(j["practice_ids"]) == [1, 2],
            "user edit --practice replaces them (%s)" % err)
    rc, _, err = env.ppgd("user", "edit", "viewer@a.example", "--practice",
                          "Z99999")
    t.check(rc == 1 and "no practice Z99999" in err,
            "an unknown practice is refused")
    rc, _, err = env.ppgd("user", "edit", "viewer@a.example")
    t.check(rc == 2 and "--role or --practice" in err,
            "user edit with nothing to change: usage")
    rc, out, _ = env.ppgd("user", "show", "viewer@a.example")
    t.check(rc == 0 and "last sign-in: " in out and "state: active" in out,
            "user show prints the state")
    rc, _, err = env.ppgd("user", "disable", "viewer@a.example")
    rc, j, err = env.ppgd_json("user", "enable", "viewer@a.example")
    t.check(rc == 0 and j and j["disabled"] is None, "user enable")
    rc, _, err = env.ppgd("user", "enable", "viewer@a.example")
    t.check(rc == 1 and "no disabled user" in err,
            "enabling an enabled user says so")
    rc, j, err = env.ppgd_json("user", "unlock", "viewer@a.example")
    t.check(rc == 0 and j and j["failed_sign_ins"] == 0, "user unlock")
    rc, j, err = env.ppgd_json("user", "reset-totp", "viewer@a.example")
    t.check(rc == 0 and j and j["two_factor"] is False, "user reset-totp")
    got = q(env, "SELECT actor, action FROM audit WHERE object = ? AND"
                 " action IN ('user.update', 'user.enable', 'user.unlock',"
                 " 'user.2fa-off') ORDER BY id",
            "user:%d" % uid(env, "viewer@a.example"))
    t.check_eq(got[-5:], [("cli", "user.update"), ("cli", "user.update"),
                          ("cli", "user.enable"), ("cli", "user.unlock"),
                          ("cli", "user.2fa-off")],
               "the CLI's changes are audited as the CLI's")


def main():
    port = t.free_port()
    env = t.TestEnv("admin_users", sections={"admin": {
        "listen": "127.0.0.1:%d" % port}})
    base = "http://127.0.0.1:%d" % port
    rc, _, err = env.ppgd("init")
    t.check_eq(rc, 0, "init (%s)" % err)
    for code, name in (("A81001", "Riverside"), ("B82002", "Hillside")):
        rc, _, err = env.ppgd("practice", "add", code, "--name", name)
        t.check_eq(rc, 0, "practice add %s (%s)" % (code, err))
    actors = {"admin": "admin@ppg.example", "manager": "pm@a.example",
              "lead": "lead@a.example", "viewer": "viewer@a.example"}
    add_user(env, "admin@ppg.example", "admin")
    add_user(env, "admin2@ppg.example", "admin")
    add_user(env, "pm@a.example", "manager", ["A81001"])
    add_user(env, "lead@a.example", "lead", ["A81001"])
    add_user(env, "viewer@a.example", "viewer", ["A81001"])
    add_user(env, "pm-b@b.example", "manager", ["B82002"])
    with env.serve():
        for who in list(actors.values()) + ["pm-b@b.example"]:
            cli_password(env, base, who)
        test_csrf(env, base)
        test_table(env, base, actors)
        test_manager_view(env, base)
        test_links_and_disable(env, base)
        test_lock_and_2fa(env, base)
        test_self_and_last_admin(env, base)
    test_cli(env)
    t.finish()


if __name__ == "__main__":
    main()
