#!/usr/bin/env python3
"""The smtp transport, end to end: the real `ppgd serve` sends outbox rows
through libESMTP to the harness's SMTP stub (smtpstub.py), and each stub
behaviour must leave the rows in the right state.

  accept           all sent, each once, over few sessions; the messages parse
                   and carry the right headers, envelope and bodies
  451-then-accept  a 451 to RCPT puts rows back to pending (code 451, attempt
                   1) while the others in the same session are sent; the retry
                   sends them
  550              a 550 to RCPT fails the row for good, server text kept
  drop-mid-data    the server hangs up inside DATA: pending, not sent/failed
  down             pending while nothing listens; sent once the stub is up
  reload           after SIGHUP, new sessions go to the new host:port

Python 3 standard library only. Uses $PPGD (default: ./ppgd at the top).
"""
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpstub import SmtpStub  # noqa: E402  (the harness's SMTP stub)

TOP = os.environ.get("PPGD_TOP") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PPGD = os.environ.get("PPGD") or os.path.join(TOP, "ppgd")
GIVE_UP = 40.0  # seconds before a wait is declared failed

PRACTICE_NAME = "Test Practice — Café Street"
SUBJECT = ("Your views, please: été survey 🎉 — a long subject that has to "
           "be split into several encoded words ✓")
TEXT = ("Dear member,\n"
        ".\n"
        ".a line that starts with a dot\n"
        "..two dots\n"
        "Ünïcödé text with trailing space \n"
        + "x" * 100 + "\n"
        "Thanks.\n")
HTML = "<p>Dear member,</p>\n<p>Ünïcödé &amp; more</p>\n"
REPLY_DOMAIN = "reply.test.example"
PUBLIC_URL = "https://ppg.test.example"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A ppgd home: config, database, practice, members, outbox rows."""

    def __init__(self, smtp_port, smtp_from="", per_session=50,
                 sessions=4, auth=None):
        self.dir = tempfile.mkdtemp(prefix="ppgd-smtp-")
        extra = "from = %s\n" % smtp_from if smtp_from else ""
        if auth is not None:
            secret = os.path.join(self.dir, "smtp.password")
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, auth[1].encode() + b"\n")
            os.close(fd)
            extra += "username = %s\npassword_file = %s\n" % (auth[0],
                                                               secret)
        self.conf = os.path.join(self.dir, "ppgd.conf")
        self.db = os.path.join(self.dir, "ppgd.db")
        self.log = os.path.join(self.dir, "serve.log")
        with open(self.conf, "w") as f:
            f.write(f"""[daemon]
database = {self.db}
listen = 127.0.0.1:{free_port()}
public_url = {PUBLIC_URL}
shutdown_timeout = 10s

[api]
listen =

[email]
transport = smtp
reply_domain = {REPLY_DOMAIN}

[dispatch]
backoff = 1s
backoff_max = 2s
max_attempts = 50

[smtp]
host = 127.0.0.1
port = {smtp_port}
starttls = off
sessions = {sessions}
per_session = {per_session}
rate = 1000
burst = 1000
{extra}""")
        self.proc = None
        self.ppgd("init")
        self.ppgd("practice", "add", "A1", "--name", PRACTICE_NAME,
                  "--email-from", "ppg@test.example")

    def ppgd(self, *args):
        r = subprocess.run([PPGD, "-c", self.conf, *args], cwd=self.dir,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("ppgd %s failed: %s%s" %
                                 (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def add_members(self, addrs, due_in=0):
        for i, addr in enumerate(addrs):
            self.ppgd("member", "add", "--practice", "A1", "--first-name",
                      "M%d" % i, "--email", addr, "--consent-email", "yes")
        with self.sql() as c:
            pid = c.execute("SELECT id FROM practices WHERE code='A1'"
                            ).fetchone()[0]
            now = int(time.time())
            for addr in addrs:
                mid = c.execute("SELECT id FROM members WHERE email=?",
                                (addr,)).fetchone()[0]
                c.execute(
                    "INSERT INTO outbox (practice_id, member_id, channel,"
                    " to_addr, subject, body, body_html, next_attempt_at,"
                    " created_at, unsubscribe_token, reply_token)"
                    " VALUES (?, ?, 'email', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (pid, mid, addr, SUBJECT, TEXT, HTML, now + due_in, now,
                     "unsub%d" % mid, "reply%d" % mid))

    def set_smtp_port(self, port):
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(re.sub(r"(?m)^port = \d+$", "port = %d" % port, text))

    def sql(self):
        c = sqlite3.connect(self.db, timeout=10)
        c.isolation_level = None
        return c

    def rows(self):
        with self.sql() as c:
            return c.execute(
                "SELECT id, to_addr, state, attempts, error_code, error_text,"
                " provider_id FROM outbox ORDER BY id").fetchall()

    def serve(self):
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([PPGD, "-c", self.conf, "serve"],
                                     cwd=self.dir, stdout=self.logf,
                                     stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("ppgd did not stop on SIGTERM")
        if self.proc is not None:
            self.logf.close()
            rc = self.proc.returncode
            self.proc = None
            return rc
        return None

    def wait(self, what, pred):
        """Poll the rows until pred(rows) holds."""
        deadline = time.monotonic() + GIVE_UP
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("ppgd exited: " + self.tail())
            rows = self.rows()
            if pred(rows):
                return rows
            time.sleep(0.05)
        raise AssertionError("gave up waiting for %s; rows=%r\n%s" %
                             (what, self.rows(), self.tail()))

    def tail(self):
        try:
            with open(self.log) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def all_state(state):
    return lambda rows: rows and all(r[2] == state for r in rows)


class SmtpTransportTest(unittest.TestCase):
    def setUp(self):
        self.stub = None
        self.home = None

    def tearDown(self):
        if self.home is not None:
            self.home.cleanup()
        if self.stub is not None:
            self.stub.stop()

    def start(self, mode, addrs, **kw):
        self.stub = SmtpStub(mode, tempfail=kw.pop("tempfail", 1),
                             auth=kw.get("auth")).start()
        self.home = Daemon(self.stub.port, **kw)
        self.home.add_members(addrs)
        self.home.serve()

    def stop_daemon(self):
        rc = self.home.stop()
        self.assertEqual(rc, 0, self.home.tail())

    def check_message(self, raw, rcpt, row_id):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertIsNone(msg.defects or None, msg.defects)
        for line in raw.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)
        # Encoded-word lines stay within RFC 2047's 76.
        head = raw.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if b"=?" in line:
                self.assertLessEqual(len(line), 76, line)
        self.assertEqual(msg["To"], rcpt)
        self.assertEqual(msg["Subject"], SUBJECT)
        self.assertEqual(msg["From"].addresses[0].display_name,
                         PRACTICE_NAME)
        self.assertEqual(msg["From"].addresses[0].addr_spec,
                         "ppg@test.example")
        self.assertTrue(msg["Date"] and msg["Date"].datetime is not None)
        self.assertRegex(msg["Message-ID"], r"^<[^<>@\s]+@test\.example>$")
        self.assertEqual(msg["Reply-To"].addresses[0].addr_spec,
                         "reply+reply%d@%s" % (row_id, REPLY_DOMAIN))
        self.assertEqual(
            str(msg["List-Unsubscribe"]),
            "<%s/u/unsub%d>, <mailto:unsubscribe+unsub%d@%s>" %
            (PUBLIC_URL, row_id, row_id, REPLY_DOMAIN))
        self.assertEqual(msg["List-Unsubscribe-Post"],
                         "List-Unsubscribe=One-Click")
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "text/html"])
        for p in parts:
            self.assertEqual(p.get_content_charset(), "utf-8")
            self.assertEqual(p["Content-Transfer-Encoding"],
                             "quoted-printable")
        self.assertEqual(parts[0].get_content().replace("\r\n", "\n"),
                         TEXT)
        self.assertEqual(parts[1].get_content().replace("\r\n", "\n"),
                         HTML)
        return msg

    def rcpts(self, stub):
        return sorted(m.rcpt_to[0] for m in stub.messages)

    def test_accept(self):
        addrs = ["m%02d@example.org" % i for i in range(20)]
        self.start("accept", addrs, smtp_from="bounces@test.example")
        rows = self.home.wait("all sent", all_state("sent"))
        self.stop_daemon()
        got = {}
        for m in self.stub.messages:
            self.assertEqual(m.mail_from, "bounces@test.example")
            self.assertEqual(len(m.rcpt_to), 1)
            self.assertNotIn(m.rcpt_to[0], got, "received twice")
            got[m.rcpt_to[0]] = m.data
        self.assertEqual(sorted(got), sorted(addrs))
        ids = set()
        for row_id, to, state, attempts, code, text, pid in rows:
            self.assertEqual(attempts, 1)
            self.assertIsNone(code)
            self.assertIsNone(text)
            msg = self.check_message(got[to], to, row_id)
            # The provider id is the Message-ID that left.
            self.assertEqual("<%s>" % pid, msg["Message-ID"])
            ids.add(pid)
        self.assertEqual(len(ids), len(rows))
        # Several messages per SMTP session, each in its own transaction.
        self.assertLess(self.stub.sessions, len(addrs))
        per_session = {}
        for m in self.stub.messages:
            per_session[m.session] = per_session.get(m.session, 0) + 1
        self.assertGreater(max(per_session.values()), 1)
        mails = [line for n, line in self.stub.transcript
                 if line.upper().startswith("MAIL FROM:")]
        self.assertEqual(len(mails), len(addrs))

    def test_451_then_accept(self):
        addrs = ["t%d@example.org" % i for i in range(5)]
        # The first 2 RCPTs get 451: the rest of that session goes out.
        self.start("451-then-accept", addrs, tempfail=2)
        seen = set()

        def retried(rows):
            for r in rows:
                if r[2] == "pending" and r[3] == 1 and r[4] == "451":
                    self.assertIn("Temporary failure", r[5])
                    seen.add(r[1])
            return len(seen) == 2 and \
                sum(r[2] == "sent" for r in rows) == 3

        self.home.wait("2 pending with 451, 3 sent, after attempt 1",
                       retried)
        rows = self.home.wait("all sent on retry", all_state("sent"))
        self.stop_daemon()
        for r in rows:
            self.assertEqual(r[3], 2 if r[1] in seen else 1)
        self.assertEqual(self.stub.tempfailed, 2)
        self.assertEqual(self.rcpts(self.stub), sorted(addrs))
        # The envelope sender defaults to the practice's From address.
        self.assertTrue(all(m.mail_from == "ppg@test.example"
                            for m in self.stub.messages))

    def test_550(self):
        addrs = ["bad%d@example.org" % i for i in range(3)]
        self.start("550", addrs)
        rows = self.home.wait("all failed", all_state("failed"))
        self.stop_daemon()
        for row_id, to, state, attempts, code, text, pid in rows:
            self.assertEqual(code, "550")
            self.assertIsNone(pid)
            self.assertIn("Recipient address rejected", text)
            self.assertEqual(attempts, 1)
        self.assertEqual(self.stub.messages, [])

    def test_drop_mid_data(self):
        addrs = ["d%d@example.org" % i for i in range(4)]
        self.start("drop-mid-data", addrs)
        self.home.wait(
            "a failed attempt on each",
            lambda rows: all(r[2] == "pending" and r[3] >= 1
                             for r in rows))
        self.stop_daemon()
        for r in self.home.rows():
            self.assertIn(r[2], ("pending", "sending"))
        self.assertEqual(self.stub.messages, [])
        self.assertGreaterEqual(self.stub.dropped, 1)

    def test_server_down_then_up(self):
        self.stub = SmtpStub("down").start()
        self.home = Daemon(self.stub.port)
        addrs = ["w%d@example.org" % i for i in range(3)]
        self.home.add_members(addrs)
        self.home.serve()
        rows = self.home.wait(
            "pending after a refused connection",
            lambda rows: all(r[2] == "pending" and r[3] >= 1
                             for r in rows))
        for r in rows:
            self.assertEqual(r[4], "session")
            self.assertIn("session failed", r[5])
        self.stub.set_mode("accept")
        self.home.wait("all sent once the server is up", all_state("sent"))
        self.stop_daemon()
        self.assertEqual(self.rcpts(self.stub), sorted(addrs))

    def test_auth(self):
        addrs = ["a%d@example.org" % i for i in range(3)]
        self.start("accept", addrs, auth=("ppg-user", "s3cret pass"))
        self.home.wait("all sent", all_state("sent"))
        self.stop_daemon()
        self.assertEqual(self.rcpts(self.stub), sorted(addrs))
        for m in self.stub.messages:
            self.assertEqual(m.auth_user, "ppg-user")

    def test_auth_refused(self):
        addrs = ["a%d@example.org" % i for i in range(2)]
        self.stub = SmtpStub("accept", auth=("ppg-user", "right")).start()
        self.home = Daemon(self.stub.port, auth=("ppg-user", "wrong"))
        self.home.add_members(addrs)
        self.home.serve()
        # Not authenticated: MAIL gets 530, which waits (a session
        # problem, fixed by the operator), never a permanent failure.
        rows = self.home.wait("pending with 530", lambda rows: all(
            r[2] == "pending" and r[3] >= 1 and r[4] == "530"
            for r in rows))
        self.stop_daemon()
        self.assertEqual(self.stub.messages, [])
        for r in rows:
            self.assertIn("Authentication required", r[5])
            self.assertIsNone(r[6])

    def test_reload_moves_new_sessions(self):
        self.start("accept", ["r1@example.org", "r2@example.org"])
        self.home.wait("first rows sent", all_state("sent"))
        other = SmtpStub("accept").start()
        try:
            self.home.set_smtp_port(other.port)
            # Due a little later, so they are claimed after the reload.
            self.home.add_members(["r3@example.org", "r4@example.org"],
                                  due_in=3)
            self.home.proc.send_signal(signal.SIGHUP)
            self.home.wait("all sent after the reload", all_state("sent"))
            self.stop_daemon()
        finally:
            other.stop()
        self.assertEqual(self.rcpts(self.stub),
                         ["r1@example.org", "r2@example.org"])
        self.assertEqual(self.rcpts(other),
                         ["r3@example.org", "r4@example.org"])

if __name__ == "__main__":
    if not os.access(PPGD, os.X_OK):
        print("FAIL: no ppgd binary at %s (run make first)" % PPGD)
        sys.exit(1)
    unittest.main(verbosity=2)
