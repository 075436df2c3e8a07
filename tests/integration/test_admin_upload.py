#!/usr/bin/env python3
"""Uploads to the staff web admin over real HTTP, as a browser sends them
(multipart/form-data with files): a member CSV previewed with its bad
lines and nothing written, then imported on confirm from the file held
server-side; a file over [admin] max_upload refused with 413 and a page
that says so; hostile file names; evidence files stored as `ppgd evidence
add --file` stores them (the type from the bytes, not the browser); a
survey YAML with its file:line errors; a population profile; the wrong
role, a missing CSRF token and another practice refused. Then message
templates saved as new versions (kept as saved), seen by the CLI, and
reverted to the shipped file, each change audited with the user."""
import glob
import os
import re
import socket
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
from adminweb import Browser, multipart  # noqa: E402

PW = "correct horse battery staple"
MAX_UPLOAD = 65536


def q(env, sql, *args):
    db = sqlite3.connect(env.sections["daemon"]["database"])
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def login(env, base, who):
    rc, j, err = env.ppgd_json("user", "reset-password", who)
    t.check_eq(rc, 0, "reset-password %s (%s)" % (who, err))
    b = Browser(base)
    link = urllib.parse.urlparse(j["link"]).path
    st, _, _ = b.post(link, {"password": PW, "csrf": b.csrf(link)})
    t.check_eq(st, 200, "%s sets a password" % who)
    st, _, _ = b.post("/login", {"email": who, "password": PW,
                                 "csrf": b.csrf("/login")})
    t.check(st == 303 and b.cookie, "%s signs in (%d)" % (who, st))
    return b


def seed(env):
    for code, name in (("A81001", "Riverside"), ("B82002", "Hillside")):
        rc, _, err = env.ppgd("practice", "add", code, "--name", name,
                              "--email-from", "ppg@%s.example" % name.lower())
        t.check_eq(rc, 0, "practice add %s (%s)" % (code, err))
    rc, _, err = env.ppgd("member", "add", "--practice", "A81001",
                          "--first-name", "Ann", "--email", "ann@a.example",
                          "--consent-email", "yes")
    t.check_eq(rc, 0, "member add (%s)" % err)
    rc, _, err = env.ppgd("campaign", "add", "News A", "--practice", "A81001",
                          "--kind", "broadcast", "--channels", "email",
                          "--message", "Flu clinics on Saturday.")
    t.check_eq(rc, 0, "campaign add (%s)" % err)
    for email, name, role, practices in (
            ("admin@ppg.example", "Ada Admin", "admin", []),
            ("pm@a.example", "Pat Manager", "manager", ["A81001"]),
            ("lead@a.example", "Lee Lead", "lead", ["A81001"]),
            ("viewer@a.example", "Val Viewer", "viewer", ["A81001"]),
            ("pm-b@b.example", "Bea Manager", "manager", ["B82002"])):
        args = ["user", "add", email, "--name", name, "--role", role]
        for p in practices:
            args += ["--practice", p]
        rc, _, err = env.ppgd(*args)
        t.check_eq(rc, 0, "user add %s (%s)" % (email, err))


CSV = ("Forename,Surname,Email Address\r\n"
       "Cara,Jones,cara@a.example\r\n"
       "Dev,Patel,not-an-address\r\n"
       "Eve,Smith,eve@a.example\r\n").encode()


def members(env):
    return q(env, "SELECT count(*) FROM members WHERE practice_id = 1")[0][0]


def test_import(env, base, pm, admin):
    st, _, body = pm.get("/members/import?practice=A81001")
    t.check(st == 200 and 'type="file"' in body and
            'enctype="multipart/form-data"' in body,
            "the import form takes a file")
    tok = pm.csrf("/members/import?practice=A81001")
    before = members(env)
    st, _, body = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "A81001"), ("consent_email", "yes"),
        ("how", "Signed the PPG form"), ("step", "preview")],
        [("file", "members.csv", "text/csv", CSV)])
    t.check(st == 200 and "Nothing is written yet" in body,
            "an uploaded CSV is previewed (%d)" % st)
    t.check("<td>3</td>" in body and "not-an-address" not in body.split(
        "Lines with errors")[0] and "Lines with errors" in body,
            "the bad line is shown by its number")
    t.check("File: members.csv" in body and "<td>Email Address</td>" in body,
            "the file and its column mapping are shown")
    t.check_eq(members(env), before, "the preview writes no member")
    m = re.search(r'name="upload" value="([^"]+)"', body)
    t.check(m is not None and "cara@a.example" not in body.split(
        'name="upload"')[1], "the confirm carries a token, not the file")
    token = m.group(1) if m else ""
    t.check_eq(q(env, "SELECT count(*), name FROM admin_uploads"),
               [(1, "members.csv")], "the file is held server-side")

    # The token is the user's: an admin (who may import for A81001) cannot
    # confirm the manager's preview.
    st, _, body = admin.post("/members/import", {
        "csrf": admin.csrf("/members/import?practice=A81001"),
        "practice": "A81001",
        "upload": token, "step": "import"})
    t.check(st == 422 and "preview has expired" in body,
            "another user's upload token is refused (%d)" % st)
    t.check_eq(members(env), before, "and nothing is written")

    st, _, body = pm.post("/members/import", {
        "csrf": tok, "practice": "A81001", "upload": token,
        "consent_email": "yes", "how": "Signed the PPG form",
        "step": "import"})
    t.check(st == 200 and "Members imported" in body,
            "the confirm imports the file held (%d)" % st)
    t.check_eq(members(env), before + 2, "the two good lines are written")
    t.check_eq(q(env, "SELECT consent_email_how FROM members WHERE email ="
                 " 'cara@a.example'"), [("Signed the PPG form",)],
               "with the consent chosen before the preview")
    t.check_eq(q(env, "SELECT actor FROM audit WHERE action ="
                 " 'member.import'"), [("web:pm@a.example",)],
               "the import is audited with the user")
    t.check_eq(q(env, "SELECT count(*) FROM admin_uploads")[0][0], 0,
               "the file held is dropped once imported")
    st, _, body = pm.post("/members/import", {
        "csrf": tok, "practice": "A81001", "upload": token,
        "step": "import"})
    t.check(st == 422 and "preview has expired" in body,
            "the token works once (%d)" % st)
    t.check_eq(members(env), before + 2, "and imports nothing again")

    # Pasting the text still works.
    st, _, body = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "A81001"), ("step", "preview"),
        ("csv", "email\nfay@a.example\n")], [])
    t.check(st == 200 and "1 to add" in body, "pasted CSV text is previewed")
    # Neither a file nor text.
    st, _, body = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "A81001"), ("step", "preview")],
        [("file", "", "application/octet-stream", b"")])
    t.check(st == 422 and "Choose a CSV file" in body,
            "an empty file input asks for a file (%d)" % st)
    st, _, body = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "A81001"), ("step", "preview")],
        [("file", "empty.csv", "text/csv", b"")])
    t.check(st == 422 and "The file is empty" in body,
            "an empty file is refused as such (%d)" % st)
    # Consent for the list without how it was collected: refused, as the
    # CLI refuses --consent without --consent-how (the daemon used to
    # crash on a form without the field).
    for form in ([("consent_email", "yes")],
                 [("consent_sms", "yes"), ("how", "")]):
        st, _, body = pm.upload("/members/import", [
            ("csrf", tok), ("practice", "A81001"), ("step", "preview")] +
            form, [("file", "members.csv", "text/csv", CSV)])
        t.check(st == 422 and "Say how the members agreed" in body,
                "consent without how it was collected is refused (%d)" % st)
    st, _, _ = pm.get("/")
    t.check_eq(st, 200, "and the daemon still answers")
    # A UTF-16 file (Excel's "Unicode text") is refused with why.
    st, _, body = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "A81001"), ("step", "preview")],
        [("file", "m.csv", "text/csv", "email\r\nx@a.example\r\n".encode(
            "utf-16"))])
    t.check(st == 422 and "UTF-16" in body, "a UTF-16 file is refused (%d)"
            % st)


def test_refusals(env, base, pm, lead, pm_b):
    tok = pm.csrf("/members/import?practice=A81001")
    files = [("file", "members.csv", "text/csv", CSV)]
    before = members(env)
    held = q(env, "SELECT count(*) FROM admin_uploads")[0][0]
    st, _, _ = pm.upload("/members/import", [
        ("practice", "A81001"), ("step", "import")], files)
    t.check_eq(st, 403, "an upload without the CSRF token: 403")
    st, _, _ = pm.upload("/members/import", [
        ("csrf", "x" * 22), ("practice", "A81001"), ("step", "import")],
        files)
    t.check_eq(st, 403, "an upload with a wrong CSRF token: 403")
    st, _, _ = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "B82002"), ("step", "import")], files)
    t.check_eq(st, 403, "an upload for another practice: 403")
    st, _, _ = pm.upload("/evidence", [
        ("csrf", tok), ("practice", "B82002"), ("kind", "newsletter"),
        ("day", "2026-01-05")], [("file", "n.pdf", "application/pdf", PDF)])
    t.check_eq(st, 403, "evidence for another practice: 403")
    ltok = lead.csrf("/")
    st, _, _ = lead.upload("/members/import", [
        ("csrf", ltok), ("practice", "A81001"), ("step", "import")], files)
    t.check_eq(st, 403, "a lead may not import members: 403")
    st, _, _ = pm_b.upload("/settings/profile", [
        ("csrf", pm_b.csrf("/")), ("practice", "A81001")],
        [("file", "p.csv", "text/csv", b"field,value,patients\n")])
    t.check_eq(st, 403, "another practice's profile: 403")
    t.check_eq(members(env), before, "no refused upload wrote a member")

    # One byte over [admin] max_upload: 413 and a page that says so.
    big = b"email\r\n" + b"x" * MAX_UPLOAD
    st, _, body = pm.upload("/members/import", [
        ("csrf", tok), ("practice", "A81001"), ("step", "preview")],
        [("file", "big.csv", "text/csv", big)])
    t.check(st == 413 and "too large" in body and "64 KB" in body,
            "a file over max_upload: 413 saying the limit (%d)" % st)
    # Two files that fit alone but not together.
    half = b"x" * (MAX_UPLOAD // 2 + 16)
    st, _, body = pm.upload("/evidence", [
        ("csrf", tok), ("practice", "A81001"), ("kind", "newsletter"),
        ("day", "2026-01-05")],
        [("file", "a.txt", "text/plain", half),
         ("file2", "b.txt", "text/plain", half)])
    t.check_eq(st, 413, "files over max_upload together: 413")
    # Beyond the listener's own cap the connection gets libevent's 413.
    st = raw_post_status(base, pm.cookies(), 3 * MAX_UPLOAD)
    t.check(st in (413, None), "a body over the listener's cap: 413 (%s)"
            % st)
    t.check_eq(q(env, "SELECT count(*) FROM evidence")[0][0], 0,
               "no oversized upload wrote evidence")
    t.check_eq(q(env, "SELECT count(*) FROM admin_uploads")[0][0], held,
               "nor held a file")


def raw_post_status(base, cookie, n):
    """POST n bytes to /members/import over a raw socket; the status, or
    None if the server closed the connection before answering."""
    u = urllib.parse.urlparse(base)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    try:
        s.sendall(("POST /members/import HTTP/1.1\r\nHost: %s\r\n"
                   "Cookie: %s\r\nContent-Type: multipart/form-"
                   "data; boundary=x\r\nContent-Length: %d\r\n\r\n"
                   % (u.netloc, cookie, n)).encode())
        try:
            s.sendall(b"y" * n)
        except OSError:
            pass
        data = s.recv(4096)
    except OSError:
        return None
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return int(m.group(1)) if m else None


PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_evidence(env, base, pm, viewer, pm_b):
    st, _, body = pm.get("/evidence?practice=A81001")
    t.check('type="file"' in body and 'enctype="multipart/form-data"' in body,
            "the evidence form takes a file")
    tok = pm.csrf("/evidence?practice=A81001")
    form = [("csrf", tok), ("practice", "A81001"), ("kind", "newsletter"),
            ("day", "2026-01-05"), ("title", "Winter newsletter")]
    for name, why in (("../../etc/passwd.pdf", "path"),
                      # quoted-string escapes: the name has backslashes
                      ("C:\\\\Users\\\\pm\\\\minutes.pdf", "backslash"),
                      ("..", "dot-dot")):
        st, _, body = pm.upload("/evidence", form,
                                [("file", name, "application/pdf", PDF)])
        t.check(st == 422 and "name cannot be used" in body,
                "a file name with a %s is refused (%d)" % (why, st))
    # A CR LF in the name cannot survive the part's header.
    ct, raw = multipart(form, [("file", "a.pdf", "application/pdf", PDF)])
    raw = raw.replace(b'filename="a.pdf"', b'filename="a\r\nX-Evil: 1.pdf"')
    st, _, _ = pm.req("POST", "/evidence", raw, ct)
    t.check_eq(st, 400, "a name with CR LF breaks the part: 400")
    st, _, body = pm.upload("/evidence", form,
                            [("file", "minutes.pdf", "application/pdf",
                              b"just some text, not a PDF")])
    t.check(st == 422 and "not a PDF" in body,
            "the bytes decide, not the name or the claimed type (%d)" % st)
    t.check_eq(q(env, "SELECT count(*) FROM evidence")[0][0], 0,
               "no refused file is stored")
    st, _, _ = viewer.upload("/evidence", [
        ("csrf", viewer.csrf("/")), ("practice", "A81001"),
        ("kind", "newsletter"), ("day", "2026-01-05")],
        [("file", "n.pdf", "application/pdf", PDF)])
    t.check_eq(st, 403, "a viewer may not record evidence: 403")
    # A PDF the browser calls an image: stored as a PDF.
    st, hd, body = pm.upload("/evidence", form,
                             [("file", "Winter news.pdf", "image/png", PDF)])
    t.check(st == 303, "a PDF is recorded (%d %s)" % (st, body[:200]))
    row = q(env, "SELECT file_name, content_type, file FROM evidence")
    t.check(len(row) == 1 and row[0][0] == "Winter news.pdf" and
            row[0][1] == "application/pdf" and bytes(row[0][2]) == PDF,
            "stored with its name, the sniffed type and its bytes (%r)" %
            [r[:2] for r in row])
    rc, out, err = env.ppgd("evidence", "list", "--practice", "A81001")
    t.check(rc == 0 and "Winter news.pdf" in out,
            "the CLI lists the file (%s)" % err)
    st, _, body = pm.get("/evidence?practice=A81001")
    m = re.search(r'href="(/evidence/file\?practice=A81001&amp;id=\d+)">'
                  r'Winter news\.pdf<', body)
    t.check(m is not None, "the page links the file")
    url = m.group(1).replace("&amp;", "&") if m else "/evidence/file"
    h = {"Cookie": pm.cookies()}
    st, hd, data = t.http_request("GET", base + url, headers=h)
    t.check(st == 200 and data == PDF and
            hd.get("Content-Type") == "application/pdf" and
            hd.get("Content-Disposition", "").startswith(
                'attachment; filename="Winter_news.pdf"; '
                "filename*=UTF-8''Winter%20news.pdf"),
            "the file downloads as stored, as an attachment (%d %s)" % (
                st, hd.get("Content-Disposition")))
    st, _, _ = pm_b.get(url)
    t.check_eq(st, 403, "another practice's manager cannot download it")
    st, _, _ = pm_b.get(url.replace("A81001", "B82002"))
    t.check_eq(st, 404, "nor name it under their own practice")


BAD_SURVEY = """slug: web-file
title: Made on the web
version: 1
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


def test_survey_and_profile(env, base, pm):
    tok = pm.csrf("/surveys")
    st, _, body = pm.get("/surveys")
    t.check('type="file"' in body, "the survey form takes a file")
    st, _, body = pm.upload("/surveys", [("csrf", tok)],
                            [("file", "web-file.yaml", "application/x-yaml",
                              BAD_SURVEY.encode())])
    t.check(st == 422 and re.search(r"web-file\.yaml:1[01]:", body),
            "a survey file's errors name the file and line (%d %s)" % (
                st, re.findall(r"<li>[^<]*", body)))
    t.check_eq(q(env, "SELECT count(*) FROM surveys WHERE slug ="
                 " 'web-file'")[0][0], 0, "and it is not stored")
    st, hd, body = pm.upload("/surveys", [("csrf", tok)], [
        ("file", "web-file.yaml", "application/octet-stream",
         BAD_SURVEY.replace("nonsense", "yesno").encode())])
    t.check(st == 303 and "/surveys/" in hd.get("Location", ""),
            "a good survey file is loaded (%d)" % st)
    st, _, body = pm.upload("/surveys", [("csrf", tok)], [
        ("file", "x.yaml", "application/x-yaml", b"slug: x\x00\n")])
    t.check_eq(st, 422, "a file with a NUL byte is refused")

    st, _, body = pm.get("/settings?practice=A81001")
    t.check('type="file"' in body, "the profile form takes a file")
    stok = pm.csrf("/settings?practice=A81001")
    st, _, body = pm.upload("/settings/profile", [
        ("csrf", stok), ("practice", "A81001")],
        [("file", "profile.csv", "text/csv",
          b"field,value,patients\nsex,male,wrong\n")])
    t.check(st == 422 and "profile.csv:2" in body,
            "a bad profile names the file and line (%d %s)" % (
                st, re.findall(r"profile\.csv[^<]*", body)))
    prof = open(os.path.join(t.TOP, "config", "demo", "population.csv"),
                "rb").read()
    st, _, body = pm.upload("/settings/profile", [
        ("csrf", stok), ("practice", "A81001")],
        [("file", "population.csv", "text/csv", prof)])
    t.check(st == 200 and "population rows" in body,
            "a profile file is loaded (%d)" % st)


EDIT = ("Subject: {{campaign.name}}\r\n\r\nDear {{member.first_name}},\r\n\r\n"
        "{{message.text}}\r\n\r\nEDITED-ON-THE-WEB\r\n"
        "{{unsubscribe.link}}\r\n")


def preview(env):
    rc, out, err = env.ppgd("campaign", "preview", "News A")
    t.check_eq(rc, 0, "campaign preview (%s)" % err)
    return out


def test_templates(env, base, admin, pm, lead):
    path = "/templates/email/broadcast"
    st, _, body = admin.get(path)
    t.check(st == 200 and 'action="/templates/email/broadcast/save"' in body
            and "The shipped file is sent" in body,
            "an admin gets the template with a form to save it")
    t.check("/revert" not in body, "nothing to revert yet")
    tok = admin.csrf(path)
    st, _, body = admin.post(path + "/save", {
        "csrf": tok, "text": EDIT.replace("{{message.text}}",
                                          "{{member.nickname}}")})
    t.check(st == 422 and "unknown placeholder" in body,
            "an unknown placeholder is not saved (%d)" % st)
    t.check_eq(q(env, "SELECT count(*) FROM template_versions")[0][0], 0,
               "no version is kept for it")
    st, _, _ = admin.post(path + "/save", {"text": EDIT})
    t.check_eq(st, 403, "a save without the CSRF token: 403")
    for who, b in (("a lead", lead), ("a manager of one of two practices",
                                      pm)):
        st, _, body = b.get(path)
        t.check(st != 200 or "/save" not in body,
                "%s gets no save form" % who)
        st, _, _ = b.post(path + "/save", {"csrf": b.csrf("/"),
                                           "text": EDIT})
        t.check_eq(st, 403, "%s may not save a shared template" % who)
    t.check("EDITED-ON-THE-WEB" not in preview(env), "the file is used")

    st, hd, _ = admin.post(path + "/save", {"csrf": tok, "text": EDIT,
                                            "html": ""})
    t.check(st == 303 and "saved=1" in hd.get("Location", ""),
            "a good template is saved as version 1 (%d)" % st)
    t.check_eq(q(env, "SELECT version, created_by, html IS NULL,"
                 " instr(text, char(13)) FROM template_versions"),
               [(1, "web:admin@ppg.example", 1, 0)],
               "kept with the user, line ends as LF, no HTML part")
    t.check_eq(q(env, "SELECT actor, object, detail FROM audit WHERE action"
                 " = 'template.save'"),
               [("web:admin@ppg.example", "template:email/broadcast",
                 "version 1")], "the save is audited with the user")
    out = preview(env)
    t.check("EDITED-ON-THE-WEB" in out,
            "the CLI's campaign preview uses the saved version")
    # What is sent is the saved version, read when the campaign fires.
    rc, _, err = env.ppgd("campaign", "send", "News A")
    t.check_eq(rc, 0, "campaign send (%s)" % err)
    emls = []
    for _ in range(100):
        emls = glob.glob(os.path.join(env.email_spool, "**", "*.eml"),
                         recursive=True)
        if emls:
            break
        time.sleep(0.1)
    sent = open(emls[0], errors="replace").read() if emls else ""
    t.check("EDITED-ON-THE-WEB" in sent and "text/html" not in sent,
            "the message sent is the saved version (text only, as saved)")
    st, _, body = admin.get(path)
    t.check("Edited: version 1 is sent" in body and
            "EDITED-ON-THE-WEB" in body and
            'action="/templates/email/broadcast/revert"' in body,
            "the page shows the version sent")
    st, _, body = admin.get("/templates")
    t.check("broadcast</a> (edited: version 1)" in body,
            "the list marks the edited template")
    st, hd, _ = admin.post(path + "/save", {"csrf": tok, "text": EDIT})
    t.check_eq(q(env, "SELECT count(*) FROM template_versions")[0][0], 1,
               "the same text again makes no new version")
    st, hd, _ = admin.post(path + "/save", {
        "csrf": tok, "text": EDIT.replace("EDITED", "CHANGED")})
    t.check_eq(q(env, "SELECT version, instr(text, 'EDITED') > 0 FROM"
                 " template_versions ORDER BY version"), [(1, 1), (2, 0)],
               "a change is version 2; version 1 is kept as it was")
    db = sqlite3.connect(env.sections["daemon"]["database"])
    for sql in ("UPDATE template_versions SET text = 'x'",
                "DELETE FROM template_versions"):
        try:
            db.execute(sql)
            t.check(False, "a saved version cannot change: %s" % sql)
        except sqlite3.DatabaseError as e:
            t.check("kept as saved" in str(e), "refused: %s" % sql)
    db.close()
    t.check("CHANGED-ON-THE-WEB" in preview(env), "the latest version is used")

    st, hd, _ = admin.post(path + "/revert", {})
    t.check_eq(st, 403, "a revert without the CSRF token: 403")
    st, _, _ = lead.post(path + "/revert", {"csrf": lead.csrf("/")})
    t.check_eq(st, 403, "a lead may not revert")
    st, hd, _ = admin.post(path + "/revert", {"csrf": tok})
    t.check(st == 303 and "saved=0" in hd.get("Location", ""),
            "revert to shipped (%d)" % st)
    t.check_eq(q(env, "SELECT version, text IS NULL FROM template_versions"
                 " ORDER BY version DESC LIMIT 1"), [(3, 1)],
               "the revert is version 3, without text")
    t.check_eq(q(env, "SELECT actor FROM audit WHERE action ="
                 " 'template.revert'"), [("web:admin@ppg.example",)],
               "the revert is audited with the user")
    t.check("CHANGED-ON-THE-WEB" not in preview(env) and
            "Best wishes" in preview(env),
            "the CLI is back on the shipped file")
    st, _, body = admin.post(path + "/revert", {"csrf": tok})
    t.check(st == 422 and "already is the shipped one" in body,
            "a second revert says so (%d)" % st)
    st, _, body = admin.get(path)
    t.check("back to the shipped file" in body and "Edited: version" not in
            body, "the page shows the history and the file in use")
    # An SMS template over [sms] max_segments is not saved.
    st, _, body = admin.post("/templates/sms/broadcast/save", {
        "csrf": tok, "text": "{{practice.name}}: " + "x" * 500})
    t.check(st == 422 and "segment" in body,
            "an SMS over max_segments is not saved (%d)" % st)
    st, _, _ = admin.post("/templates/sms/no-such/save",
                          {"csrf": tok, "text": "hi"})
    t.check_eq(st, 404, "no such template: 404")
    st, _, _ = admin.post("/templates/sms/..%2f..%2fx/save",
                          {"csrf": tok, "text": "hi"})
    t.check_eq(st, 404, "a hostile template name: 404")


def main():
    port = t.free_port()
    env = t.TestEnv("admin_upload", sections={"admin": {
        "listen": "127.0.0.1:%d" % port, "max_upload": str(MAX_UPLOAD)}})
    base = "http://127.0.0.1:%d" % port
    rc, _, err = env.ppgd("init")
    t.check_eq(rc, 0, "init (%s)" % err)
    seed(env)
    with env.serve():
        pm = login(env, base, "pm@a.example")
        admin = login(env, base, "admin@ppg.example")
        lead = login(env, base, "lead@a.example")
        viewer = login(env, base, "viewer@a.example")
        pm_b = login(env, base, "pm-b@b.example")
        test_import(env, base, pm, admin)
        test_refusals(env, base, pm, lead, pm_b)
        test_evidence(env, base, pm, viewer, pm_b)
        test_survey_and_profile(env, base, pm)
        test_templates(env, base, admin, pm, lead)
    t.finish()


if __name__ == "__main__":
    main()
