#!/usr/bin/env python3
"""Personal data stays out of the logs, and erasure removes it.

A realistic session against `ppgd serve` with distinctive personal data:
member import, a survey campaign by email and SMS (file transport), a signed
Twilio SMS conversation and delivery receipt, a signed Mailgun email, a web
survey answer, an unsubscribe, admin API calls, `member erase`, a backup and
an export (both must be private files, as the database is).

At info level none of the names, addresses, numbers or message texts may
appear in the daemon's stderr or the CLI's. The same session with -v (debug)
must show them in the daemon's log: that proves the strings reached the
logging code, so the info-level check is not vacuous. After `member erase`,
run while the daemon serves, the member's name, email and mobile are nowhere
in the database file or its WAL (no VACUUM: db_open sets secure_delete and
the erase empties the WAL), while another member's data still is.
"""

import email
import email.policy
import glob
import json
import os
import re
import secrets
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token-privacy"
MG_KEY = "mailgun-signing-key-privacy"
API_TOKEN = "records-0123456789abcdefghij"
OURS = "+447700900000"

ZEB = {"first": "Zebedee", "last": "Quux", "email": "zebedee.quux@example.org",
       "mobile": "+447700900777"}
XAN = {"first": "Xanthippe", "last": "Vorple",
       "email": "xanthippe.vorple@example.org", "mobile": "+447700900778"}
WIL = {"first": "Wilhelmina", "last": "Zogg", "email": "wilhelmina.zogg@example.org",
       "mobile": "+447700900779"}
SMS_TEXT = "my-secret-answer-text"
MAIL_TEXT = "my-secret-email-text"
WEB_TEXT = "my-secret-web-answer"

# Every string that must not reach a log at info level.
PII = [ZEB["first"], ZEB["last"], ZEB["email"], ZEB["mobile"], "7700900777",
       XAN["first"], XAN["last"], XAN["email"], "7700900778",
       WIL["first"], WIL["last"], WIL["email"], "7700900779",
       SMS_TEXT, MAIL_TEXT, WEB_TEXT]
# What the debug log must show: the SMS and email senders, a recipient, and
# both message texts (the web answer is not logged even at debug).
DEBUG_SHOWS = [ZEB["mobile"], ZEB["email"], ZEB["first"] + " " + ZEB["last"],
               XAN["email"], SMS_TEXT, MAIL_TEXT]
# What erasing Zebedee must remove from the database file.
ZEB_IDENTITY = [ZEB["first"], ZEB["last"], ZEB["email"], ZEB["mobile"]]

CSV = ("external_ref,first_name,last_name,email,mobile,preferred_channel,"
       "consent_email,consent_sms\n"
       "EMIS-777,%s,%s,%s,07700 900777,sms,yes,yes\n"
       "EMIS-778,%s,%s,%s,%s,email,yes,yes\n"
       % (ZEB["first"], ZEB["last"], ZEB["email"],
          XAN["first"], XAN["last"], XAN["email"], XAN["mobile"]))


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


class Session:
    """One run of the whole cycle; verbose adds -v to the CLI and daemon."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.env = env = t.TestEnv("privacy-debug" if verbose else "privacy")
        self.api_port = t.free_port()
        self.api = "http://127.0.0.1:%d" % self.api_port
        self.cli_err = []
        env.write_config({
            "daemon": {"templates": os.path.join(t.TOP, "templates")},
            "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
            "campaign": {"frequency_cap": 0},
            "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
            "mailgun": {"signing_key_file": env.write_secret("mailgun", MG_KEY)},
            "api": {"listen": "127.0.0.1:%d" % self.api_port,
                    "tokens_file": env.write_secret("api", "records %s\n" % API_TOKEN)},
        })
        self.db = env.sections["daemon"]["database"]

    def cli(self, *args):
        """Run the CLI (with -v when verbose); keep its stderr."""
        opts = ["-v"] if self.verbose else []
        rc, out, err = self.env.ppgd(*(opts + list(args)))
        self.cli_err.append(err)
        t.check(rc == 0, "%s exits 0 (rc %s, stderr %r)" % (" ".join(args[:2]), rc, err))
        return out

    # -- the steps -----------------------------------------------------------

    def setup(self):
        env = self.env
        self.cli("init")
        self.cli("practice", "add", "A81001", "--name", "Riverside Surgery",
                 "--email-from", "ppg@riverside.example", "--sms-from", OURS)
        self.cli("survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml"))
        path = env.path("members.csv")
        with open(path, "w") as f:
            f.write(CSV)
        self.cli("member", "import", path, "--practice", "A81001")
        members = json.loads(self.cli("member", "list", "--json") or "[]")
        ids = {m.get("first_name"): m["id"] for m in members}
        self.zeb, self.xan = ids.get(ZEB["first"]), ids.get(XAN["first"])
        t.check(self.zeb and self.xan, "both members imported (%r)" % members)
        self.cli("campaign", "add", "spring", "--practice", "A81001", "--kind", "survey",
                 "--survey", "fft", "--channels", "email,sms", "--audience", "everyone",
                 "--schedule", "0 10 * * mon")
        self.cli("campaign", "send", "spring")

    def spool(self, base, ext):
        return sorted(glob.glob(os.path.join(base, "**", "*." + ext), recursive=True))

    def delivered(self):
        emls = wait_for(lambda: self.spool(self.env.email_spool, "eml"))
        smss = wait_for(lambda: self.spool(self.env.sms_spool, "json"))
        t.check(len(emls) == 1 and len(smss) == 1,
                "both transports deliver into the spool (%r %r)" % (emls, smss))
        text = ""
        if emls:
            with open(emls[0], "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            text = msg.get_body(("plain",)).get_content()
        s = re.search(r"/s/([A-Za-z0-9_-]{8,64})", text)
        u = re.search(r"/u/([A-Za-z0-9_-]{8,64})", text)
        t.check(s and u, "the email carries survey and unsubscribe links")
        return (s.group(1) if s else ""), (u.group(1) if u else "")

    def twilio(self, path, params):
        url = self.env.url + path
        sig = t.twilio_sign(url, params, TW_TOKEN)
        st, _, _ = t.http_post(url, params, headers={"X-Twilio-Signature": sig})
        return st

    def sms_conversation(self):
        for i, body in enumerate(["1", SMS_TEXT]):
            st = self.twilio("/webhooks/twilio/sms",
                             {"MessageSid": "SMpriv%d" % i, "From": ZEB["mobile"],
                              "To": OURS, "Body": body, "AccountSid": "AC1"})
            t.check_eq(st, 200, "signed Twilio SMS %d answers 200" % i)
        # A delivery receipt names the member's number but not the member.
        st = self.twilio("/webhooks/twilio/status",
                         {"MessageSid": "SMreceipt1", "MessageStatus": "delivered",
                          "From": OURS, "To": ZEB["mobile"], "AccountSid": "AC1"})
        t.check_eq(st, 200, "signed Twilio receipt answers 200")

    def mailgun(self):
        ts, token = str(int(time.time())), secrets.token_hex(25)
        fields = {"sender": ZEB["email"],
                  "from": "%s %s <%s>" % (ZEB["first"], ZEB["last"], ZEB["email"]),
                  "recipient": "ppg@riverside.example", "subject": "Parking",
                  "stripped-text": "%s from %s %s" % (MAIL_TEXT, ZEB["first"], ZEB["last"]),
                  "timestamp": ts, "token": token,
                  "signature": t.mailgun_sign(MG_KEY, ts, token)}
        st, _, _ = t.http_post(self.env.url + "/webhooks/mailgun/email", fields)
        t.check_eq(st, 200, "signed Mailgun email answers 200")
        # The sender as "Name <addr>", as some providers post it.
        ts, token = str(int(time.time())), secrets.token_hex(25)
        fields = dict(fields, sender="%s %s <%s>" % (ZEB["first"], ZEB["last"], ZEB["email"]),
                      timestamp=ts, token=token,
                      signature=t.mailgun_sign(MG_KEY, ts, token))
        st, _, _ = t.http_post(self.env.url + "/webhooks/mailgun/email", fields)
        t.check_eq(st, 200, "a second Mailgun email answers 200")

    def web(self, stok, utok):
        url, origin = self.env.url, {"Origin": self.env.url}
        st, _, _ = t.http_get(url + "/s/" + stok)
        t.check_eq(st, 200, "the survey page opens")
        st, _, body = t.http_post(url + "/s/" + stok,
                                  {"experience": "1", "what_was_good": WEB_TEXT},
                                  headers=origin)
        t.check(st == 200 and b"Thank you" in body, "the web survey is stored (%d)" % st)
        st, _, _ = t.http_get(url + "/u/" + utok)
        t.check_eq(st, 200, "the unsubscribe page opens")
        st, _, body = t.http_post(url + "/u/" + utok, {"channel": "email"}, headers=origin)
        t.check(st == 200 and b"unsubscribed" in body, "unsubscribe works (%d)" % st)

    def api_calls(self):
        auth = {"Authorization": "Bearer " + API_TOKEN}
        body = {"practice": "A81001", "first_name": WIL["first"], "last_name": WIL["last"],
                "email": WIL["email"], "mobile": WIL["mobile"], "consent_email": True}
        st, _, out = t.http_post(self.api + "/api/v1/members", json_body=body, headers=auth)
        t.check_eq(st, 201, "API: a member is created")
        st, _, out = t.http_get(self.api + "/api/v1/members?practice=A81001", headers=auth)
        t.check(st == 200 and WIL["email"].encode() in out, "API: members are listed")
        st, _, _ = t.http_request("PATCH", self.api + "/api/v1/members/%d" % self.xan,
                                  json.dumps({"last_name": XAN["last"] + "-Smith"}),
                                  dict(auth, **{"Content-Type": "application/json"}))
        t.check_eq(st, 200, "API: a member is updated")

    def run(self):
        self.setup()
        with self.env.serve(opts=["-v"] if self.verbose else []) as d:
            stok, utok = self.delivered()
            self.sms_conversation()
            self.mailgun()
            self.web(stok, utok)
            self.api_calls()
            if not self.verbose:
                self.erase()
        t.check_eq(d.returncode, 0, "ppgd serve stops cleanly")
        self.daemon_log = d.output()
        for event in ("event=inbound provider=twilio", "event=receipt",
                      "event=inbound provider=mailgun", "event=websurvey",
                      "event=unsubscribe", "event=api_write"):
            t.check(event in self.daemon_log, "the log shows the session ran: " + event)
        self.cli("backup", self.env.path("backup.db"))
        self.cli("member", "export", "-o", self.env.path("export.csv"))
        for f in (self.db, self.env.path("backup.db"), self.env.path("export.csv")):
            mode = os.stat(f).st_mode
            t.check(stat.S_IMODE(mode) & 0o077 == 0,
                    "%s is private (mode %o)" % (os.path.basename(f), stat.S_IMODE(mode)))

    # -- the database file ---------------------------------------------------

    def db_bytes(self):
        """The bytes of the database file and its WAL, as they are."""
        data = b""
        for suffix in ("", "-wal"):
            if os.path.exists(self.db + suffix):
                with open(self.db + suffix, "rb") as f:
                    data += f.read()
        return data

    def erase(self):
        """Erase Zebedee while the daemon runs: no checkpoint or VACUUM from
        here, so old pages in free space or the WAL would be found."""
        before = self.db_bytes()
        t.check(all(s.encode() in before for s in ZEB_IDENTITY),
                "before erasure the database holds the member's identity")
        self.cli("member", "erase", str(self.zeb))
        after = self.db_bytes()
        for s in ZEB_IDENTITY:
            t.check(s.encode() not in after,
                    "after member erase, %r is nowhere in the database file" % s)
        t.check(XAN["email"].encode() in after,
                "another member's data is still found (the scan can see strings)")


def leaks(text):
    return [s for s in PII if s in text]


def main():
    info = Session(verbose=False)
    info.run()
    found = leaks(info.daemon_log)
    t.check(not found, "no personal data in the daemon's info log (found %r; log %s)"
            % (found, info.env.path("serve.1.log")))
    found = leaks("".join(info.cli_err))
    t.check(not found, "no personal data in the CLI's stderr (found %r)" % found)

    debug = Session(verbose=True)
    debug.run()
    for s in DEBUG_SHOWS:
        t.check(s in debug.daemon_log, "with -v the daemon's debug log shows %r" % s)
    t.finish()


if __name__ == "__main__":
    main()
