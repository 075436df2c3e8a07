"""A loopback SMTP server for integration tests (stdlib only).

It speaks enough ESMTP for libESMTP and smtplib: EHLO (PIPELINING, SIZE,
8BITMIME, ENHANCEDSTATUSCODES; AUTH PLAIN LOGIN when credentials are set),
HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, VRFY, QUIT.

Modes (set_mode() switches at run time, "down" included):
  accept           store every message (envelope + raw bytes; .eml if maildir)
  451-then-accept  the first N RCPTs (over all sessions) get 451 4.3.0
  550              every RCPT gets 550 5.1.1
  drop-mid-data    after 354, read a line of the message and close
  down             nothing listens on the port

Library:  stub = SmtpStub(mode="accept").start(); stub.port; stub.messages
Script:   python3 smtpstub.py --port 2525 --mode accept --maildir /tmp/mail
Postfix:  sink = start_smtp_sink(dump_dir=...) runs /usr/sbin/smtp-sink.
"""

import argparse
import base64
import binascii
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

MODES = ("accept", "451-then-accept", "550", "drop-mid-data", "down")
MAX_LINE = 1 << 20
MAIL_RE = re.compile(r"^FROM:\s*<([^<>]*)>\s*(.*)$", re.I)
RCPT_RE = re.compile(r"^TO:\s*<([^<>]+)>\s*(.*)$", re.I)


def _free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_listening(host, port, timeout, alive=lambda: True):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class Message:
    """One accepted mail transaction."""
    id: str
    mail_from: str
    rcpt_to: list
    data: bytes
    helo: str = ""
    mail_params: str = ""
    auth_user: str = None
    session: int = 0
    received: float = field(default_factory=time.time)

    @property
    def message(self):
        """The data parsed as an email.message.EmailMessage."""
        return email.message_from_bytes(self.data, policy=email.policy.default)


class SmtpStub:
    """An ESMTP server on host:port (a free port unless given)."""

    def __init__(self, mode="accept", host="127.0.0.1", port=0, tempfail=1,
                 maildir=None, hostname="smtpstub.test", max_size=10240000,
                 auth=None, verbose=False):
        if mode not in MODES:
            raise ValueError("unknown mode %r (one of %s)" % (mode, ", ".join(MODES)))
        self.mode, self.host, self.port = mode, host, port
        self.tempfail, self.maildir, self.hostname = tempfail, maildir, hostname
        self.max_size, self.auth, self.verbose = max_size, auth, verbose
        self.messages = []      # Message, in arrival order
        self.transcript = []    # (session, client line), DATA content left out
        self.sessions = 0       # connections accepted
        self.dropped = 0        # connections closed by drop-mid-data
        self.tempfailed = 0     # RCPTs answered 451
        self._rcpt_seen = 0     # RCPTs seen since 451-then-accept was set
        self._lock = threading.Condition()
        self._server = None
        self._thread = None
        self._conns = set()
        self._seq = 0

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        if self.port == 0:
            self.port = _free_port(self.host)
        if self.mode != "down":
            self._listen()
        return self

    def stop(self):
        self._unlisten()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set_mode(self, mode, tempfail=None):
        """Switch mode; "down" closes the listener, leaving "down" reopens it."""
        if mode not in MODES:
            raise ValueError("unknown mode %r" % (mode,))
        with self._lock:
            old, self.mode = self.mode, mode
            if tempfail is not None:
                self.tempfail = tempfail
            if mode == "451-then-accept":
                self._rcpt_seen = 0
        if mode == "down" and old != "down":
            self._unlisten()
        elif mode != "down" and self._server is None and self.port:
            self._listen()

    def wait_messages(self, n, timeout=10):
        """Wait until n messages are stored; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def clear(self):
        with self._lock:
            self.messages.clear()
            self.transcript.clear()

    def _listen(self):
        stub = self

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((self.host, self.port), _Session)
        self._server.stub = stub
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="smtpstub", daemon=True)
        self._thread.start()

    def _unlisten(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- used by sessions ----------------------------------------------------

    def _session_begin(self, conn):
        with self._lock:
            self._conns.add(conn)
            self.sessions += 1
            return self.sessions

    def _session_end(self, conn):
        with self._lock:
            self._conns.discard(conn)

    def _log(self, session, line):
        with self._lock:
            self.transcript.append((session, line))
        if self.verbose:
            sys.stderr.write("smtpstub[%d]: %s\n" % (session, line))

    def _rcpt_reply(self, addr):
        with self._lock:
            if self.mode == "550":
                return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % addr
            if self.mode == "451-then-accept":
                self._rcpt_seen += 1
                if self._rcpt_seen <= self.tempfail:
                    self.tempfailed += 1
                    return "451 4.3.0 <%s>: Temporary failure, try again later" % addr
            return None

    def _store(self, msg):
        with self._lock:
            self._seq += 1
            msg.id = "%d%04d" % (os.getpid(), self._seq)
            self.messages.append(msg)
            self._lock.notify_all()
        if self.maildir:
            os.makedirs(self.maildir, exist_ok=True)
            base = os.path.join(self.maildir, msg.id)
            with open(base + ".eml", "wb") as f:
                f.write(msg.data)
            with open(base + ".json", "w") as f:
                json.dump({"id": msg.id, "mail_from": msg.mail_from,
                           "rcpt_to": msg.rcpt_to, "helo": msg.helo,
                           "mail_params": msg.mail_params}, f)
        return msg.id


class _Session(socketserver.StreamRequestHandler):
    timeout = 60

    def setup(self):
        # Each reply is its own send(): with Nagle on, the second reply to
        # pipelined commands waits for the client's delayed ACK (40 ms).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()
        self.stub = self.server.stub
        self.num = self.stub._session_begin(self.connection)
        self.helo, self.user = "", None
        self._reset()

    def finish(self):
        self.stub._session_end(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _reset(self):
        self.mail_from, self.mail_params, self.rcpts = None, "", []

    def reply(self, text):
        self.wfile.write(text.encode("utf-8") + b"\r\n")

    def handle(self):
        try:
            self.reply("220 %s ESMTP smtpstub" % self.stub.hostname)
            while True:
                line = self.rfile.readline(MAX_LINE)
                if not line:
                    return
                cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
                self.stub._log(self.num, cmd)
                verb, _, arg = cmd.partition(" ")
                fn = getattr(self, "smtp_" + verb.upper(), None)
                if fn is None:
                    self.reply("500 5.5.2 Error: command not recognized")
                elif fn(arg.strip()) is False:
                    return
        except (ConnectionError, socket.timeout, OSError):
            return

    def smtp_EHLO(self, arg):
        if not arg:
            self.reply("501 5.5.4 Syntax: EHLO hostname")
            return
        self.helo = arg
        self._reset()
        lines = [self.stub.hostname, "PIPELINING", "SIZE %d" % self.stub.max_size,
                 "8BITMIME", "ENHANCEDSTATUSCODES"]
        if self.stub.auth:
            lines.append("AUTH PLAIN LOGIN")
        for text in lines[:-1]:
            self.reply("250-" + text)
        self.reply("250 " + lines[-1])

    def smtp_HELO(self, arg):
        if not arg:
            self.reply("501 5.5.4 Syntax: HELO hostname")
            return
        self.helo = arg
        self._reset()
        self.reply("250 " + self.stub.hostname)

    def smtp_AUTH(self, arg):
        if not self.stub.auth:
            self.reply("502 5.5.1 Error: authentication not enabled")
            return
        mech, _, initial = arg.partition(" ")
        try:
            if mech.upper() == "PLAIN":
                resp = initial or self._challenge("")
                _, user, password = base64.b64decode(resp).decode().split("\0")
            elif mech.upper() == "LOGIN":
                user = base64.b64decode(initial or self._challenge("VXNlcm5hbWU6")).decode()
                password = base64.b64decode(self._challenge("UGFzc3dvcmQ6")).decode()
            else:
                self.reply("504 5.5.4 Unrecognized authentication type")
                return
        except (ValueError, binascii.Error, UnicodeDecodeError):
            self.reply("501 5.5.2 Cannot decode response")
            return
        if (user, password) == tuple(self.stub.auth):
            self.user = user
            self.reply("235 2.7.0 Authentication successful")
        else:
            self.reply("535 5.7.8 Error: authentication failed")

    def _challenge(self, text):
        self.reply("334 " + text)
        return self.rfile.readline(MAX_LINE).strip()

    def smtp_MAIL(self, arg):
        m = MAIL_RE.match(arg)
        if not self.helo:
            self.reply("503 5.5.1 Error: send HELO/EHLO first")
        elif self.mail_from is not None:
            self.reply("503 5.5.1 Error: nested MAIL command")
        elif not m:
            self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
        elif self.stub.auth and self.user is None:
            self.reply("530 5.7.0 Authentication required")
        elif self._too_big(m.group(2)):
            self.reply("552 5.3.4 Message size exceeds fixed limit")
        else:
            self.mail_from, self.mail_params = m.group(1), m.group(2)
            self.reply("250 2.1.0 Ok")

    def _too_big(self, params):
        m = re.search(r"\bSIZE=(\d+)", params, re.I)
        return m is not None and int(m.group(1)) > self.stub.max_size

    def smtp_RCPT(self, arg):
        m = RCPT_RE.match(arg)
        if self.mail_from is None:
            self.reply("503 5.5.1 Error: need MAIL command")
        elif not m:
            self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
        else:
            refusal = self.stub._rcpt_reply(m.group(1))
            if refusal:
                self.reply(refusal)
            else:
                self.rcpts.append(m.group(1))
                self.reply("250 2.1.5 Ok")

    def smtp_DATA(self, arg):
        if self.mail_from is None:
            self.reply("503 5.5.1 Error: need MAIL command")
            return
        if not self.rcpts:
            self.reply("554 5.5.1 Error: no valid recipients")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        if self.stub.mode == "drop-mid-data":
            self.rfile.readline(MAX_LINE)
            with self.stub._lock:
                self.stub.dropped += 1
            self.connection.shutdown(socket.SHUT_RDWR)
            return False
        data = self._read_data()
        if data is None:
            return False
        if len(data) > self.stub.max_size:
            self.reply("552 5.3.4 Message size exceeds fixed limit")
        else:
            qid = self.stub._store(Message("", self.mail_from, list(self.rcpts), data,
                                           self.helo, self.mail_params, self.user,
                                           self.num))
            self.reply("250 2.0.0 Ok: queued as %s" % qid)
        self._reset()

    def _read_data(self):
        """The message up to the lone dot, dot-unstuffed; None on EOF."""
        chunks, at_start = [], True
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line:
                return None
            if at_start and line in (b".\r\n", b".\n"):
                return b"".join(chunks)
            if at_start and line.startswith(b"."):
                line = line[1:]
            chunks.append(line)
            at_start = line.endswith(b"\n")

    def smtp_RSET(self, arg):
        self._reset()
        self.reply("250 2.0.0 Ok")

    def smtp_NOOP(self, arg):
        self.reply("250 2.0.0 Ok")

    def smtp_VRFY(self, arg):
        self.reply("252 2.0.0 Cannot VRFY user, but will accept message")

    def smtp_QUIT(self, arg):
        self.reply("221 2.0.0 Bye")
        return False


class SmtpSink:
    """Postfix's smtp-sink(1) on 127.0.0.1:port, dumping messages to dump_dir."""

    def __init__(self, port=0, dump_dir=None, extra_args=(), backlog=1000):
        self.port, self.dump_dir = port, dump_dir
        self.extra_args, self.backlog = list(extra_args), backlog
        self.proc, self._log = None, None

    @staticmethod
    def path():
        """The smtp-sink executable, or None."""
        exe = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        return exe if os.access(exe, os.X_OK) else None

    def start(self, timeout=10):
        exe = self.path()
        if exe is None:
            raise FileNotFoundError("smtp-sink not found (Debian package postfix)")
        self.port = self.port or _free_port()
        # -c: counters on stdout. As root it must be told a user (-u).
        args = [exe, "-c"]
        if os.geteuid() == 0:
            args += ["-u", "root"]
        if self.dump_dir:
            os.makedirs(self.dump_dir, exist_ok=True)
            args += ["-d", os.path.join(self.dump_dir, "%Y%m%d%H%M%S.")]
        args += self.extra_args + ["127.0.0.1:%d" % self.port, str(self.backlog)]
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        if not _wait_listening("127.0.0.1", self.port, timeout,
                               lambda: self.proc.poll() is None):
            out = self.output()
            self.stop()
            raise RuntimeError("smtp-sink did not start: " + out)
        return self

    def output(self):
        """What smtp-sink printed so far (counters, errors)."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def messages(self):
        """The dumped messages (smtp-sink's X-* headers included), oldest first."""
        if not self.dump_dir:
            return []
        names = sorted(os.listdir(self.dump_dir),
                       key=lambda n: os.path.getmtime(os.path.join(self.dump_dir, n)))
        out = []
        for n in names:
            with open(os.path.join(self.dump_dir, n), "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def start_smtp_sink(port=0, dump_dir=None, extra_args=()):
    """Start smtp-sink; raises FileNotFoundError when Postfix is absent."""
    return SmtpSink(port, dump_dir, extra_args).start()


def main(argv=None):
    p = argparse.ArgumentParser(description="SMTP stand-in for ppgd tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", default="accept", choices=MODES)
    p.add_argument("--tempfail", type=int, default=1,
                   help="RCPTs answered 451 in 451-then-accept mode")
    p.add_argument("--maildir", help="write each message here as ID.eml")
    p.add_argument("--auth", help="USER:PASSWORD to require AUTH")
    p.add_argument("--smtp-sink", action="store_true",
                   help="run Postfix's smtp-sink instead (dumps to --maildir)")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    if a.smtp_sink:
        server = start_smtp_sink(a.port, a.maildir)
    else:
        auth = tuple(a.auth.split(":", 1)) if a.auth else None
        server = SmtpStub(a.mode, a.host, a.port, a.tempfail, a.maildir,
                          auth=auth, verbose=a.verbose).start()
    # The handlers before the address is printed: a caller may signal as
    # soon as it has read it.
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print("smtpstub listening on %s:%d mode=%s" % (
        a.host, server.port, "smtp-sink" if a.smtp_sink else a.mode), flush=True)
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
