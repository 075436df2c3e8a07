#!/usr/bin/env python3
"""Joining the group over real HTTP: the public join page, double opt-in by
email link and SMS code (read from the spools), JOIN by text, staff
approval and rejection, the welcome (once), duplicates told through their
own channel, bad input on every field (nothing stored), expiry and purge,
the honeypot, the per-client rate limit, automatic approval and the
confidentiality agreement asked again when its version changes."""

import email
import email.policy
import glob
import json
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-token-join"
API_TOKEN = "records-0123456789abcdefghij"
OURS = "+447700900000"


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


class Env:
    def __init__(self, name, extra=None):
        self.env = t.TestEnv(name)
        self.agreement = self.env.path("agreement.txt")
        self.write_agreement("1")
        cfg = {
            "daemon": {"templates": os.path.join(t.TOP, "templates")},
            "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
            "twilio": {"auth_token_file": self.env.write_secret("tw", TW_TOKEN)},
            "join": {"privacy_url": "https://www.example.org/privacy",
                     "rate": "1000"},
            "membership": {"confidentiality_file": self.agreement,
                           "welcome_window": "30d"},
        }
        self.api_port = t.free_port()
        self.api = "http://127.0.0.1:%d" % self.api_port
        cfg["api"] = {"listen": "127.0.0.1:%d" % self.api_port,
                      "tokens_file": self.env.write_secret(
                          "api-tokens", "records %s\n" % API_TOKEN)}
        for k, v in (extra or {}).items():
            cfg.setdefault(k, {}).update(v)
        self.env.write_config(cfg)
        rc, out, err = self.env.ppgd("init")
        t.check_eq(rc, 0, "init: " + err)
        rc, out, err = self.env.ppgd("practice", "add", "A81001", "--name",
                                     "Riverside Surgery", "--sms-from", OURS,
                                     "--email-from", "ppg@riverside.example.org",
                                     "--phone", "01632 960000")
        t.check_eq(rc, 0, "practice add: " + err)
        self.db_path = self.env.sections["daemon"]["database"]
        self.url = self.env.url
        self.seen = set()

    def write_agreement(self, version):
        with open(self.agreement, "w") as f:
            f.write("Version: %s\n\nI will keep private what I hear about "
                    "patients and staff (version %s).\n" % (version, version))

    def one(self, sql, *args):
        c = sqlite3.connect(self.db_path, timeout=10)
        try:
            r = c.execute(sql, args).fetchone()
        finally:
            c.close()
        return None if r is None else r[0]

    def execute(self, sql, *args):
        c = sqlite3.connect(self.db_path, timeout=10)
        with c:
            c.execute(sql, args)
        c.close()

    def post(self, path, data, origin=True):
        headers = {"Origin": self.url} if origin else {}
        return t.http_post(self.url + path, data, headers=headers)

    def new_spooled(self, ext):
        """Spool files not seen before, as (to, text)."""
        out = []
        base = self.env.email_spool if ext == "eml" else self.env.sms_spool
        for p in sorted(glob.glob(os.path.join(base, "**", "*." + ext),
                                  recursive=True)):
            if p in self.seen:
                continue
            self.seen.add(p)
            with open(p, "rb") as f:
                raw = f.read()
            if ext == "eml":
                m = email.message_from_bytes(raw, policy=email.policy.default)
                part = m.get_body(preferencelist=("plain",))
                out.append((m["To"], m["Subject"] + "\n" + part.get_content()))
            else:
                for line in raw.decode().splitlines():
                    j = json.loads(line)
                    out.append((j["to"], j["body"]))
        return out

    def wait_message(self, ext, to, contains, timeout=10):
        found = []

        def look():
            for who, text in self.new_spooled(ext):
                found.append((who, text))
            for who, text in found:
                if to in (who or "") and contains in text:
                    return text
            return None
        r = wait_for(look, timeout)
        if r is None:
            print("spooled: %r" % found)
        return r

    def api_call(self, method, path, body=None, token=API_TOKEN):
        h = {"Authorization": "Bearer " + token} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        st, hd, raw = t.http_request(method, self.api + path, data, h)
        try:
            return st, json.loads(raw)
        except ValueError:
            return st, None

    def sms_in(self, sid, body, frm):
        params = {"MessageSid": sid, "From": frm, "To": OURS, "Body": body,
                  "AccountSid": "AC1"}
        url = self.url + "/webhooks/twilio/sms"
        return t.http_post(url, params, headers={
            "X-Twilio-Signature": t.twilio_sign(url, params, TW_TOKEN)})


GOOD = {"first_name": "Amira", "last_name": "Okafor",
        "email": "amira.okafor@example.org", "consent_email": "yes",
        "age_band": "25-34", "sex": "female", "ethnicity": "black",
        "disability": "no", "carer": "yes", "communication": "",
        "agree": "yes", "source": "waiting-room"}


def form(**kw):
    d = dict(GOOD)
    for k, v in kw.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def page(body):
    return body.decode()


# ---------------------------------------------------------------------------
E = Env("join")
with E.env.serve() as d:
    # -- the page ----------------------------------------------------------
    st, h, body = t.http_get(E.url + "/join/A81001?source=waiting-room")
    html = page(body)
    t.check_eq(st, 200, "GET /join/A81001")
    t.check("Content-Security-Policy" in h and "default-src 'none'" in
            h["Content-Security-Policy"], "the join page has the CSP")
    for want in ['<label class="label" for="first_name">',
                 '<label class="label" for="email">',
                 'name="source" value="waiting-room"',
                 'href="https://www.example.org/privacy"',
                 "I have read the confidentiality agreement",
                 "version 1", "Skip this question", "We ask so that",
                 'name="website"', "replying STOP"]:
        t.check(want in html, "the join page has %r" % want)
    t.check("<script" not in html, "no JavaScript on the join page")
    st, h, body = t.http_get(E.url + "/join/ZZZ999")
    t.check_eq(st, 404, "an unknown practice is 404")
    st, h, body = t.http_get(E.url + "/join/A81001?source=%3Cb%3E")
    t.check('value="direct"' in page(body), "a bad source becomes direct")
    st, h, body = t.http_get(E.url + "/join/A81001/agreement")
    t.check(st == 200 and "keep private" in page(body),
            "the agreement is public at /join/CODE/agreement")

    # -- bad input on every field: a clear error, nothing stored -----------
    bad = [
        ({"first_name": ""}, "Enter your first name"),
        ({"last_name": "x" * 101}, "no more than 100 characters"),
        ({"last_name": "a\r\nb"}, "without line breaks"),
        ({"email": "", "mobile": ""}, "Enter an email address or a mobile"),
        ({"email": "not-an-email"}, "in the right format"),
        ({"consent_email": None}, "Tick the box to say we may email you"),
        ({"mobile": "01632 960000", "consent_sms": "yes"}, "Enter a UK mobile"),
        ({"mobile": "07700 900123"}, "Tick the box to say we may text you"),
        ({"age_band": "99-100"}, "Choose an age group"),
        ({"dob": "31/02/1980"}, "Enter your date of birth"),
        ({"dob": "01/01/2020"}, "16 or over"),
        ({"sex": "robot"}, "Choose an answer from the list"),
        ({"ethnicity": "martian"}, "Choose an answer from the list"),
        ({"disability": "maybe"}, "Choose yes, no, or skip it"),
        ({"carer": "sometimes"}, "Choose yes, no, or skip it"),
        ({"communication": "2"}, "Choose yes, no, or skip it"),
        ({"agree": None}, "accept the confidentiality agreement"),
    ]
    for change, msg in bad:
        st, h, body = E.post("/join/A81001", form(**change))
        html = page(body)
        t.check_eq(st, 400, "bad %r answers 400" % list(change))
        t.check(msg in html and "There is a problem" in html,
                "bad %r: the error %r is shown" % (list(change), msg))
    st, h, body = E.post("/join/A81001", form(first_name="<b>Eve</b>",
                                              email="bad"))
    t.check("&lt;b&gt;Eve&lt;/b&gt;" in page(body) and "<b>Eve" not in page(body),
            "what was typed is shown again, escaped")
    t.check_eq(E.one("SELECT count(*) FROM join_requests"), 0,
               "bad input stores no request")
    t.check_eq(E.one("SELECT count(*) FROM outbox"), 0, "bad input sends nothing")
    st, h, body = E.post("/join/A81001", form(email="no-origin@example.org"),
                         origin=False)
    t.check_eq(st, 200, "a form post without Origin (no referrer) is accepted")
    base = E.one("SELECT count(*) FROM join_requests")
    st, h, body = t.http_post(E.url + "/join/A81001", form(),
                              headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "a cross-site post is refused")

    # -- the honeypot: the same reply, nothing stored -----------------------
    st, h, body = E.post("/join/A81001", form(website="http://spam.example"))
    t.check(st == 200 and "Nearly done" in page(body), "a bot sees the same page")
    t.check_eq(E.one("SELECT count(*) FROM join_requests"), base,
               "the honeypot stores nothing")

    # -- join with email ------------------------------------------------------
    st, h, body = E.post("/join/A81001", form())
    t.check(st == 200 and "We have sent an email" in page(body),
            "a good form: check your email")
    rid = E.one("SELECT id FROM join_requests WHERE email=?", GOOD["email"])
    t.check_eq(E.one("SELECT state FROM join_requests WHERE id=?", rid),
               "unconfirmed", "the request waits for confirmation")
    t.check_eq(E.one("SELECT count(*) FROM members"), 0, "no member yet")
    t.check_eq(E.one("SELECT source FROM join_requests WHERE id=?", rid),
               "waiting-room", "the request records its source")
    mail = E.wait_message("eml", GOOD["email"], "/join/A81001/confirm/")
    t.check(mail is not None, "the confirmation email is spooled")
    link = re.search(r"(http://\S+/join/A81001/confirm/[A-Za-z0-9_-]+)",
                     mail or "")
    link = link.group(1) if link else E.url + "/join/A81001/confirm/x"
    t.check(E.one("SELECT count(*) FROM join_requests WHERE email_hash=?",
                  link.rsplit("/", 1)[1]) == 0,
            "the token is stored hashed, not as sent")
    st, h, body = t.http_get(link)
    t.check(st == 200 and "Confirm my email address" in page(body),
            "the link shows a button (a mail scanner does not confirm)")
    t.check_eq(E.one("SELECT state FROM join_requests WHERE id=?", rid),
               "unconfirmed", "GET alone does not confirm")
    st, h, body = E.post(link[len(E.url):], {})
    t.check(st == 200 and "with the practice" in page(body),
            "POST to the link confirms: with the practice (%d %r)"
            % (st, re.findall(r"<h1>(.*?)</h1>", page(body))))
    t.check_eq(E.one("SELECT state FROM join_requests WHERE id=?", rid),
               "pending", "confirmed: pending the practice")
    rc, j, err = E.env.ppgd_json("member", "pending", "--practice", "A81001")
    t.check(rc == 0 and j and j[0]["id"] == rid and
            j[0]["details"]["last_name"] == "Okafor" and
            j[0]["source"] == "waiting-room",
            "member pending lists it (%r %r)" % (j, err))
    rc, out, err = E.env.ppgd("member", "pending")
    t.check(rc == 0 and "Amira Okafor" in out, "member pending as text")

    # -- approval and the welcome ---------------------------------------------
    rc, j, err = E.env.ppgd_json("member", "approve", str(rid),
                                 "--external-ref", "EMIS-1001")
    t.check(rc == 0 and j and j["state"] == "approved", "approve: %r" % err)
    mid = j["member_id"] if j else 0
    t.check_eq(E.one("SELECT external_ref FROM members WHERE id=?", mid),
               "EMIS-1001", "the external ref is the practice's")
    t.check(E.one("SELECT consent_email_at FROM members WHERE id=?", mid),
            "email consent recorded")
    t.check_eq(E.one("SELECT consent_email_how FROM members WHERE id=?", mid),
               "join: email link", "how consent was given")
    t.check_eq(E.one("SELECT age_band || sex || ethnicity || carer ||"
                     " disability FROM members WHERE id=?", mid),
               "25-34femaleblack10", "equality answers kept")
    t.check_eq(E.one("SELECT confidentiality_version FROM members WHERE id=?",
                     mid), "1", "the agreement version accepted")
    welcome = E.wait_message("eml", GOOD["email"], "Welcome to the patient group")
    t.check(welcome is not None, "the welcome email is delivered")
    t.check("/agreement/" not in (welcome or "/agreement/"),
            "no agreement link for someone who accepted it when joining")
    t.check_eq(E.one("SELECT count(*) FROM outbox WHERE member_id=? AND"
                     " purpose='welcome'", mid), 1, "one welcome")
    rc, out, err = E.env.ppgd("member", "approve", str(rid))
    t.check(rc == 1 and "not pending" in err, "approving twice fails: %r" % err)
    for action in ("join-request", "join-confirm", "join-approve"):
        t.check(E.one("SELECT count(*) FROM audit WHERE action=?", action) >= 1,
                "audited: " + action)

    # -- duplicates: told through their own channel, not on the page --------
    E.new_spooled("eml")
    st, h, body = E.post("/join/A81001", form(first_name="Amira"))
    t.check(st == 200 and "We have sent an email" in page(body),
            "an existing member sees the same page")
    t.check_eq(E.one("SELECT count(*) FROM join_requests WHERE email=?",
                     GOOD["email"]), 1, "a duplicate stores no request")
    t.check(E.wait_message("eml", GOOD["email"], "already a member"),
            "the member is told by email they are already a member")

    # -- join with mobile: the code from the spooled SMS ---------------------
    mob = {"email": "", "consent_email": None, "mobile": "07700 900222",
           "consent_sms": "yes", "first_name": "Tomasz", "last_name": "Nowak",
           "source": "leaflet", "dob": "15/06/2001", "age_band": ""}
    st, h, body = E.post("/join/A81001", form(**mob))
    html = page(body)
    t.check(st == 200 and 'name="code"' in html, "the code form is shown")
    ref = re.search(r'name="ref" value="([A-Za-z0-9_-]+)"', html)
    ref = ref.group(1) if ref else "x"
    sms = E.wait_message("json", "+447700900222", "your code is")
    code = re.search(r"code is (\d{6})", sms or "")
    code = code.group(1) if code else "000000"
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    st, h, body = E.post("/join/A81001/code", {"ref": ref, "code": wrong})
    t.check(st == 400 and "not right" in page(body) and "4 tries left" in
            page(body), "a wrong code: error with tries left")
    st, h, body = E.post("/join/A81001/code", {"ref": ref, "code": code})
    t.check(st == 200 and "confirmed" in page(body), "the right code confirms")
    mrid = E.one("SELECT id FROM join_requests WHERE source='leaflet'")
    t.check_eq(E.one("SELECT state FROM join_requests WHERE id=?", mrid),
               "pending", "mobile confirmed: pending")
    rc, j, err = E.env.ppgd_json("member", "approve", str(mrid))
    mid2 = j["member_id"] if j else 0
    t.check_eq(E.one("SELECT mobile || preferred_channel || age_band FROM"
                     " members WHERE id=?", mid2), "+447700900222sms25-34"
               if time.gmtime().tm_year - 2001 >= 25 else
               "+447700900222sms16-24",
               "the member has the mobile and the age group of the birth date")
    t.check(E.wait_message("json", "+447700900222", "welcome to the patient"),
            "the welcome SMS is delivered")

    # -- limited attempts on the code -----------------------------------------
    st, h, body = E.post("/join/A81001", form(**dict(mob, mobile="07700900333",
                                                      source="")))
    ref = re.search(r'name="ref" value="([A-Za-z0-9_-]+)"', page(body))
    ref = ref.group(1) if ref else "x"
    sms = E.wait_message("json", "+447700900333", "your code is")
    code = re.search(r"code is (\d{6})", sms or "")
    code = code.group(1) if code else "000000"
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    for i in range(5):
        st, h, body = E.post("/join/A81001/code", {"ref": ref, "code": wrong})
    t.check(st == 403 and "no longer works" in page(body),
            "after 5 wrong codes the code is dead (%d)" % st)
    st, h, body = E.post("/join/A81001/code", {"ref": ref, "code": code})
    t.check_eq(st, 403, "even the right code is refused then")
    st, h, body = E.post("/join/A81001/code", {"ref": "A" * 22, "code": code})
    t.check(st == 400 and "not right" in page(body),
            "an unknown reference looks like a wrong code")

    # -- a YES reply confirms a web request's mobile -------------------------
    st, h, body = E.post("/join/A81001", form(**dict(mob, mobile="07700900444",
                                                      first_name="Yusuf")))
    t.check(E.wait_message("json", "+447700900444", "your code is"), "code sent")
    st, h, body = E.sms_in("SMyes1", "Yes", "+447700900444")
    t.check_eq(st, 200, "the YES webhook answers 200")
    t.check_eq(E.one("SELECT state FROM join_requests WHERE mobile=?",
                     "+447700900444"), "pending", "a YES reply confirms")

    # -- join by text -----------------------------------------------------------
    st, h, body = E.sms_in("SMj1", "JOIN", "+447700900555")
    t.check_eq(st, 200, "JOIN answers 200")
    t.check(E.wait_message("json", "+447700900555", "What is your first name"),
            "JOIN asks for the first name")
    E.sms_in("SMj2", "Priya", "+447700900555")
    t.check(E.wait_message("json", "+447700900555", "/join/A81001/agreement"),
            "then says what members get, with the agreement link")
    E.sms_in("SMj3", "YES", "+447700900555")
    t.check(E.wait_message("json", "+447700900555", "practice will check"),
            "YES: the practice will check")
    sid = E.one("SELECT id FROM join_requests WHERE mobile='+447700900555'")
    t.check_eq(E.one("SELECT state || via || source FROM join_requests WHERE"
                     " id=?", sid), "pendingsmssms", "an SMS request, pending")
    t.check_eq(E.one("SELECT disposition FROM inbound WHERE"
                     " provider_msg_id='SMj1'"), "join", "inbound: join")
    rc, j, err = E.env.ppgd_json("member", "approve", str(sid))
    mid3 = j["member_id"] if j else 0
    t.check_eq(E.one("SELECT first_name || mobile || confidentiality_version"
                     " FROM members WHERE id=?", mid3),
               "Priya+4477009005551", "the SMS joiner is a member")
    t.check(E.wait_message("json", "+447700900555", "welcome"), "welcome SMS")
    E.sms_in("SMj4", "JOIN Priya", "+447700900555")
    t.check(E.wait_message("json", "+447700900555", "already a member"),
            "JOIN from a member: already a member, by text")
    E.sms_in("SMj5", "join Lee", "+447700900666")
    t.check(E.wait_message("json", "+447700900666", "Hi Lee"),
            "JOIN firstname skips the name question")
    E.sms_in("SMj6", "STOP", "+447700900666")
    t.check(E.wait_message("json", "+447700900666", "deleted your request"),
            "STOP withdraws an unconfirmed request, and says so")
    t.check_eq(E.one("SELECT count(*) FROM join_requests WHERE"
                     " mobile='+447700900666'"), 0,
               "the withdrawn request keeps no number")
    t.check_eq(E.one("SELECT disposition FROM inbound WHERE"
                     " provider_msg_id='SMj6'"), "optout", "inbound: optout")
    t.check(E.one("SELECT count(*) FROM audit WHERE action='join-cancel'") == 1,
            "audited: join-cancel")

    # -- the admin API: the same queue --------------------------------------
    E.sms_in("SMz1", "JOIN Zed", "+447700900888")
    E.sms_in("SMz2", "YES", "+447700900888")
    zid = wait_for(lambda: E.one("SELECT id FROM join_requests WHERE"
                                 " mobile='+447700900888' AND state='pending'"))
    st, j = E.api_call("GET", "/api/v1/join-requests?practice=A81001")
    t.check(st == 200 and any(r["id"] == zid and r["via"] == "sms"
                              for r in (j or {}).get("join_requests", [])),
            "API: GET join-requests lists the pending request (%r)" % st)
    st, j = E.api_call("GET", "/api/v1/join-requests?state=maybe")
    t.check_eq(st, 400, "API: a bad state is 400")
    st, j = E.api_call("GET", "/api/v1/join-requests", token=None)
    t.check_eq(st, 401, "API: no token is 401")
    st, j = E.api_call("POST", "/api/v1/join-requests/%d/reject" % zid, {})
    t.check_eq(st, 400, "API: reject without a reason is 400")
    st, j = E.api_call("POST", "/api/v1/join-requests/%d/approve" % zid,
                       {"external_ref": "EMIS-888", "colour": "red"})
    t.check_eq(st, 400, "API: an unknown key is 400")
    st, j = E.api_call("POST", "/api/v1/join-requests/%d/approve" % zid,
                       {"external_ref": "EMIS-888"})
    t.check(st == 200 and j and j["state"] == "approved" and j["member_id"],
            "API: approve (%r %r)" % (st, j))
    t.check_eq(E.one("SELECT external_ref FROM members WHERE"
                     " mobile='+447700900888'"), "EMIS-888",
               "API: the member has the practice's reference")
    t.check(E.wait_message("json", "+447700900888", "welcome"),
            "API: the welcome goes out at once")
    st, j = E.api_call("POST", "/api/v1/join-requests/%d/approve" % zid, {})
    t.check_eq(st, 409, "API: approving twice is 409")
    st, j = E.api_call("POST", "/api/v1/join-requests/99999/reject",
                       {"reason": "unknown"})
    t.check_eq(st, 404, "API: an unknown request is 404")
    t.check(E.one("SELECT count(*) FROM audit WHERE action='join-approve'"
                  " AND actor='api:records'") == 1,
            "API: the approval is audited with the client's name")

    # -- rejection --------------------------------------------------------------
    yid = E.one("SELECT id FROM join_requests WHERE mobile='+447700900444'")
    rc, out, err = E.env.ppgd("member", "reject", str(yid))
    t.check_eq(rc, 2, "reject without --reason is a usage error")
    rc, out, err = E.env.ppgd("member", "reject", str(yid), "--reason",
                              "not registered at the practice")
    t.check(rc == 0, "reject: %r" % err)
    t.check_eq(E.one("SELECT state FROM join_requests WHERE id=?", yid),
               "rejected", "rejected")
    rc, out, err = E.env.ppgd("member", "approve", str(yid))
    t.check_eq(rc, 1, "a rejected request cannot be approved")
    t.check_eq(E.one("SELECT count(*) FROM members WHERE mobile=?",
                     "+447700900444"), 0, "no member from a rejected request")
    told = E.wait_message("json", "+447700900444", "could not add you")
    t.check(told is not None and "not registered" not in told,
            "the rejected person is told by the number they confirmed,"
            " without the staff's reason (%r)" % told)
    t.check_eq(E.one("SELECT count(*) FROM outbox WHERE to_addr=? AND"
                     " body LIKE '%could not add you%'", "+447700900444"), 1,
               "told once")

    # An unconfirmed request is told nothing; --no-notify sends nothing.
    E.new_spooled("eml")
    st, h, body = E.post("/join/A81001", form(email="quiet@example.org",
                                              first_name="Quinn"))
    t.check(E.wait_message("eml", "quiet@example.org", "/confirm/"),
            "an email request (left unconfirmed)")
    qid = E.one("SELECT id FROM join_requests WHERE email='quiet@example.org'")
    rc, j, err = E.env.ppgd_json("member", "reject", str(qid), "--reason",
                                 "spam")
    t.check(rc == 0 and j and j["notified"] is True, "reject --json: %r" % j)
    t.check_eq(E.one("SELECT count(*) FROM outbox WHERE"
                     " to_addr='quiet@example.org' AND subject LIKE"
                     " '%request to join%'"), 0,
               "an unconfirmed address is not told of the refusal")
    E.sms_in("SMn1", "JOIN Nia", "+447700900777")
    E.sms_in("SMn2", "YES", "+447700900777")
    nid = wait_for(lambda: E.one("SELECT id FROM join_requests WHERE"
                                 " mobile='+447700900777' AND"
                                 " state='pending'"))
    st, j = E.api_call("POST", "/api/v1/join-requests/%d/reject" % nid,
                       {"reason": "duplicate", "notify": "no"})
    t.check_eq(st, 400, "API: notify must be true or false")
    st, j = E.api_call("POST", "/api/v1/join-requests/%d/reject" % nid,
                       {"reason": "duplicate", "notify": False})
    t.check(st == 200 and j and j["state"] == "rejected",
            "API: reject with notify false (%r %r)" % (st, j))
    t.check_eq(E.one("SELECT count(*) FROM outbox WHERE"
                     " to_addr='+447700900777' AND body LIKE"
                     " '%could not add you%'"), 0,
               "notify false: the person is not told")

    # -- expiry ---------------------------------------------------------------
    E.new_spooled("eml")
    st, h, body = E.post("/join/A81001", form(email="late@example.org",
                                              first_name="Late"))
    mail = E.wait_message("eml", "late@example.org", "/confirm/")
    link = re.search(r"(http://\S+/join/A81001/confirm/[A-Za-z0-9_-]+)",
                     mail or "")
    E.execute("UPDATE join_requests SET expires_at=1 WHERE email=?",
              "late@example.org")
    st, h, body = E.post(link.group(1)[len(E.url):] if link else "/x", {})
    t.check_eq(st, 404, "an expired link does not confirm")

# A restart runs the purge at once: the expired request loses its data.
with E.env.serve() as d:
    # An agreement file that cannot be read: no join page without it.
    os.rename(E.agreement, E.agreement + ".away")
    st, h, body = t.http_get(E.url + "/join/A81001")
    t.check_eq(st, 503, "a missing agreement file: the join page is refused")
    os.rename(E.agreement + ".away", E.agreement)
    st, h, body = t.http_get(E.url + "/join/A81001")
    t.check_eq(st, 200, "the file back: the page is back")
    gone = wait_for(lambda: E.one("SELECT count(*) FROM join_requests WHERE"
                                  " state='expired' AND email IS NULL AND"
                                  " data IS NULL") >= 1)
    t.check(gone, "an expired request is purged")
    t.check_eq(E.one("SELECT count(*) FROM join_requests WHERE"
                     " email='late@example.org'"), 0, "its address is gone")
    # Retention: decided requests lose their data after retention_days.
    E.execute("UPDATE join_requests SET decided_at=1 WHERE state='rejected'")

    # The welcome is once, whoever adds the member.
    rc, out, err = E.env.ppgd("member", "add", "--practice", "A81001",
                              "--first-name", "Cli", "--email",
                              "cli@example.org", "--consent-email", "yes")
    t.check_eq(rc, 0, "member add: " + err)

with E.env.serve() as d:
    cli_welcome = E.wait_message("eml", "cli@example.org", "Welcome",
                                 timeout=15)
    t.check(cli_welcome, "a member added by the CLI gets the welcome")
    link = re.search(r"(http://\S+/agreement/[A-Za-z0-9_-]+)", cli_welcome or "")
    t.check(link, "a member who has not accepted the agreement gets its link"
            " in the welcome")
    if link:
        st, h, body = E.post(link.group(1)[len(E.url):], {})
        t.check_eq(E.one("SELECT confidentiality_version FROM members WHERE"
                         " email='cli@example.org'"), "1",
                   "accepting it from the welcome records version 1")
    t.check(wait_for(lambda: E.one("SELECT count(*) FROM join_requests WHERE"
                                   " state='rejected' AND purged_at IS NULL")
                     == 0),
            "rejected requests are purged after the retention period")
    t.check_eq(E.one("SELECT count(*) FROM join_requests WHERE"
                     " state='rejected' AND (data IS NOT NULL OR email IS NOT"
                     " NULL OR mobile IS NOT NULL)"), 0,
               "nothing personal is kept of them")
    # The agreement changes: members who signed version 1 are asked again.
    E.write_agreement("2")

with E.env.serve() as d:
    ask = E.wait_message("eml", GOOD["email"], "/agreement/")
    t.check(ask is not None, "a member on version 1 is asked to accept 2")
    link = re.search(r"(http://\S+/agreement/[A-Za-z0-9_-]+)", ask or "")
    link = link.group(1) if link else E.url + "/agreement/xxxxxxxxxx"
    st, h, body = t.http_get(link)
    t.check(st == 200 and "version 2" in page(body), "the agreement page")
    st, h, body = E.post(link[len(E.url):], {})
    t.check_eq(st, 200, "accepting answers 200")
    t.check_eq(E.one("SELECT confidentiality_version FROM members WHERE"
                     " email=?", GOOD["email"]), "2", "version 2 recorded")
    t.check_eq(E.one("SELECT count(*) FROM welcomes w JOIN outbox o ON"
                     " o.id=w.outbox_id WHERE o.to_addr='cli@example.org'"), 1,
               "still one welcome after restarts")

# The representation report: joins per source for under-represented groups.
for i in range(20):
    rc, out, err = E.env.ppgd("member", "add", "--practice", "A81001",
                              "--first-name", "Older%d" % i, "--email",
                              "older%d@example.org" % i, "--consent-email",
                              "yes", "--age-band", "65-74")
    t.check_eq(rc, 0, "member add: " + err)
rc, out, err = E.env.ppgd("practice", "profile", "A81001",
                          os.path.join(t.TOP, "config", "demo", "population.csv"))
t.check_eq(rc, 0, "population profile: " + err)
rc, rep, err = E.env.ppgd_json("report", "representation", "--practice", "A81001")
band = (time.gmtime().tm_year - 2001 - (time.gmtime().tm_mon < 6 or
        (time.gmtime().tm_mon == 6 and time.gmtime().tm_mday < 15)))
want_band = "25-34" if band >= 25 else "16-24"
groups = {g["value"]: g for f in (rep or {}).get("fields", [])
          if f["field"] == "age_band" for g in f["groups"]}
g = groups.get("25-34", {})
t.check(g.get("under_represented") is True, "25-34 is under-represented now")
t.check_eq(g.get("joined_by_source"),
           {"waiting-room": 1, "leaflet": 1} if want_band == "25-34"
           else {"waiting-room": 1},
           "the report counts who joined from each source")
t.check("--source age_band-25-34" in g.get("recruit", ""),
        "the report gives the poster command for the group")
t.check("recruit" not in groups.get("65-74", {"recruit": 1}),
        "no recruitment action for a well-represented group")
rc, out, err = E.env.ppgd("report", "representation", "--practice", "A81001")
t.check("joined: leaflet 1, waiting-room 1" in out or
        "joined: waiting-room 1" in out, "the text report shows joins by source")
rc, out, err = E.env.ppgd("report", "representation", "--practice", "A81001",
                          "--html", E.env.path("rep.html"), "--internal")
with open(E.env.path("rep.html")) as f:
    html = f.read()
t.check("Recruitment of under-represented groups" in html and
        "age_band-25-34" in html,
        "the staff HTML report has the recruitment table")
rc, out, err = E.env.ppgd("report", "representation", "--practice", "A81001",
                          "--html", E.env.path("rep-pub.html"))
with open(E.env.path("rep-pub.html")) as f:
    html = f.read()
t.check("Recruitment of under-represented groups" not in html,
        "the published page leaves out the small join counts")

# ---------------------------------------------------------------------------
# Automatic approval and the rate limit, with their own settings.
A = Env("join-auto", {"join": {"approval": "auto", "rate": "3"}})
with A.env.serve() as d:
    st, h, body = A.post("/join/A81001", form(email="auto@example.org"))
    mail = A.wait_message("eml", "auto@example.org", "/confirm/")
    link = re.search(r"(http://\S+/join/A81001/confirm/[A-Za-z0-9_-]+)",
                     mail or "")
    st, h, body = A.post(link.group(1)[len(A.url):] if link else "/x", {})
    t.check(st == 200 and "You are now a member" in page(body),
            "approval = auto: a member at once")
    t.check_eq(A.one("SELECT count(*) FROM members WHERE"
                     " email='auto@example.org'"), 1, "auto: the member exists")
    t.check(A.wait_message("eml", "auto@example.org", "Welcome"),
            "auto: the welcome is sent")
    A.post("/join/A81001", form(first_name=""))
    A.post("/join/A81001", form(first_name=""))
    st, h, body = A.post("/join/A81001", form(email="rate@example.org"))
    t.check_eq(st, 429, "the fourth post in the hour is refused (rate 3)")
    t.check_eq(A.one("SELECT count(*) FROM join_requests WHERE"
                     " email='rate@example.org'"), 0, "nothing stored at 429")
    st, h, body = t.http_get(A.url + "/join/A81001")
    t.check_eq(st, 200, "the page itself still shows")

t.finish()
