#!/usr/bin/env python3
"""The command line as a new user meets it: --help on every command and
subcommand (stdout, exit 0, no database touched), ppgd --help/--version,
help CMD, every option of docs/ppgd.8 in the help, usage errors that name
what is missing, no empty database without init, confirmation on a
terminal before destructive commands."""

import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

empty = tempfile.mkdtemp(prefix="cli-help-")
conf = os.path.join(empty, "empty.conf")
open(conf, "w").close()


def run(*args):
    return t.ppgd(*args, conf=conf, cwd=empty)


# ppgd --help, -h, help: the command list on stdout, exit 0.
for argv in (["--help"], ["-h"], ["help"]):
    rc, out, err = run(*argv)
    t.check(rc == 0 and "commands:" in out and "member" in out and err == "",
            "ppgd %s lists the commands on stdout, exit 0" % " ".join(argv))
rc, out, err = run()
t.check(rc == 2 and out == "" and "usage:" in err, "ppgd alone: usage on stderr, exit 2")
rc, out, _ = run("--version")
t.check(rc == 0 and re.match(r"ppgd \d+\.\d+\.\d+ \(schema \d+\)\n$", out),
        "ppgd --version prints the version")
rc, out, _ = run("version", "--json")
try:
    v = json.loads(out)
except ValueError:
    v = {}
t.check(rc == 0 and v.get("version") and isinstance(v.get("schema"), int),
        "version --json prints {version, schema}")

# Every command and subcommand answers --help.
rc, allhelp, _ = run("help", "--all")
paths = re.findall(r"^usage: ppgd ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", allhelp, re.M)
t.check(rc == 0 and len(paths) > 40, "help --all describes every command (%d)" % len(paths))
for path in paths:
    words = path.split()
    rc, out, err = run(*words, "--help")
    t.check(rc == 0 and out.startswith("usage: ppgd " + path) and err == "",
            "ppgd %s --help: usage on stdout, exit 0 (rc %d, err %r)" % (path, rc, err[:80]))
t.check(not os.path.exists(os.path.join(empty, "ppgd.db")),
        "--help opens no database")
rc, out, _ = run("help", "member")
t.check(rc == 0 and "ppgd member add" in out and "ppgd member erase" in out,
        "help member lists its subcommands")
rc, out, _ = run("help", "member", "add")
t.check(rc == 0 and out.startswith("usage: ppgd member add") and "--practice" in out,
        "help member add describes it")
rc, out, err = run("help", "no-such-command")
t.check(rc == 2 and "unknown command" in err, "help for an unknown command exits 2")

# Every option the man page documents is in the help.
with open(os.path.join(t.TOP, "docs", "ppgd.8")) as f:
    page = f.read().replace("\\-", "-")
flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", page))
helped = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", allhelp + run("--help")[1]))
missing = sorted(flags - helped)
t.check(len(flags) > 40 and not missing,
        "every option in docs/ppgd.8 is in the help (missing: %s)" % missing)

# Usage errors name what is missing.
rc, _, err = run("campaign", "add", "spring", "--kind", "survey")
t.check(rc == 2 and "campaign add: --practice is required" in err,
        "campaign add without --practice says so (%r)" % err[:120])
rc, _, err = run("action", "add", "--practice", "A1", "--title", "x")
t.check(rc == 2 and "action add: --area is required" in err, "action add names --area")
rc, _, err = run("report", "annual", "--practice", "A1")
t.check(rc == 2 and "report annual: --year is required" in err, "report annual names --year")
rc, _, err = run("meeting", "add", "--practice", "A1", "--where", "Surgery")
t.check(rc == 2 and "meeting add: --at is required" in err, "meeting add names --at (%r)" % err)
rc, _, err = run("member", "import", "x.csv")
t.check(rc == 2 and "member import: --practice is required" in err,
        "member import names --practice (%r)" % err)

# A command in an empty folder without init: no empty database, a hint.
rc, out, err = run("member", "list")
t.check(rc == 1 and "ppgd init" in err and not os.path.exists(os.path.join(empty, "ppgd.db")),
        "member list without init says how to start and creates nothing (%r)" % err)

# Destructive commands ask on a terminal; --yes skips the question.
env = t.TestEnv()
env.write_config({"daemon": {"templates": os.path.join(t.TOP, "templates")}})
env.ppgd("init")
env.ppgd("practice", "add", "A81001", "--name", "Riverside")
rc, m, _ = env.ppgd_json("member", "add", "--practice", "A81001", "--first-name", "Sam",
                         "--email", "sam@example.org")
mid = str(m["id"]) if m else "0"
rc, _, err = env.ppgd("member", "add", "--first-name", "Nobody")
t.check(rc == 2 and "member add: --practice is required" in err,
        "member add names --practice (%r)" % err)


def on_terminal(args, answer):
    """Run ppgd with stdin and stderr on a pty; answer the question."""
    master, slave = pty.openpty()
    p = subprocess.Popen([t.PPGD, "-c", env.conf] + args, stdin=slave, stderr=slave,
                         stdout=subprocess.PIPE, cwd=env.dir)
    os.close(slave)
    seen = b""
    while b"[y/N]" not in seen:
        r, _, _ = select.select([master], [], [], t.slow(10))
        if not r:
            break
        try:
            seen += os.read(master, 1024)
        except OSError:
            break
    if b"[y/N]" in seen:
        os.write(master, answer)
    out = p.stdout.read().decode()
    rc = p.wait(timeout=t.slow(10))
    try:
        while True:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                break
            chunk = os.read(master, 1024)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(master)
    return rc, out, seen.decode(errors="replace")


rc, out, tty = on_terminal(["member", "erase", mid], b"n\n")
t.check(rc == 1 and "[y/N]" in tty and "not erased" in tty,
        "member erase asks on a terminal; no keeps the member (%r)" % tty[-120:])
rc, m, _ = env.ppgd_json("member", "show", mid)
t.check(m is not None and m.get("first_name") == "Sam", "the member was not erased")
rc, out, tty = on_terminal(["member", "erase", mid], b"y\n")
t.check(rc == 0 and "erased member" in out, "yes erases")
rc, m, _ = env.ppgd_json("member", "add", "--practice", "A81001", "--first-name", "Al",
                         "--email", "al@example.org")
mid = m["id"] if m else 0
rc, out, err = env.ppgd("member", "erase", str(mid), "--yes", "--json")
t.check(rc == 0 and json.loads(out or "{}").get("erased") == mid,
        "member erase --yes --json asks nothing and prints JSON")
# Untrusted text is shown with its control characters made visible, and
# tables line up by display width with non-ASCII names.
env.ppgd("member", "add", "--practice", "A81001", "--first-name", "Eve\x1b[2J\x1b]0;x\x07",
         "--last-name", "Zo\u00eb", "--email", "eve@example.org")
env.ppgd("member", "add", "--practice", "A81001", "--first-name", "\u5f20\u4f1f",
         "--last-name", "Li", "--email", "zw@example.org")
rc, out, _ = env.ppgd("member", "list")
t.check(rc == 0 and "\x1b" not in out and "Eve\\x1b[2J" in out,
        "member list shows an escape sequence as text (%r)" % out)
lines = out.splitlines()
t.check(lines and lines[0].split()[:3] == ["ID", "PRACTICE", "NAME"], "member list has headers")


def column(line, text):
    """The display column at which text starts in line."""
    import unicodedata
    i = line.index(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:i])


rows = [l for l in lines if "@example.org" in l]
cols = {column(l, l.split("@")[0].split()[-1]) for l in rows}
t.check(len(rows) == 2 and len(cols) == 1 and column(lines[0], "EMAIL") in cols,
        "the email column lines up under its header with Zo\u00eb and \u5f20\u4f1f (%r)" % rows)
rc, out, _ = env.ppgd("member", "show", str(mid + 1))
t.check(rc == 0 and "\x1b" not in out and "\\x07" in out and "{" not in out,
        "member show makes control characters visible (%r)" % out)
env.ppgd("campaign", "add", "news", "--practice", "A81001", "--kind", "broadcast",
         "--message", "hello")
for args in (["campaign", "show", "news"], ["campaign", "preview", "news"]):
    rc, out, _ = env.ppgd(*args)
    t.check(rc == 0 and "{" not in out and '"' not in out,
            "%s prints no raw JSON (%r)" % (" ".join(args), out[:300]))
# An inbound text cannot drive the operator's terminal.
import sqlite3  # noqa: E402
db = sqlite3.connect(env.path("ppgd.db"))
db.execute("INSERT INTO inbound (provider, provider_msg_id, received_at, channel, from_addr,"
           " body, disposition) VALUES ('twilio', 'SM1', 1767225600, 'sms',"
           " '+447700900999\x1b]0;x\x07', 'hi\x1b[2J\x1b[31mred\u202e', 'unmatched')")
db.commit()
db.close()
rc, out, _ = env.ppgd("inbox")
t.check(rc == 0 and "\x1b" not in out and "\u202e" not in out and "hi\\x1b[2J" in out
        and "\\u{202E}" in out and out.splitlines()[0].startswith("ID"),
        "inbox shows control characters of an inbound text as text (%r)" % out)

# One ISO form per kind of time: record times in UTC (Z), schedule times
# with the practice's offset; never another shape.
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
RECORD = ("created_at", "updated_at", "fired_at", "received_at", "loaded_at", "joined",
          "term_ends", "erased")


def times(v, key=None):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from times(x, k)
    elif isinstance(v, list):
        for x in v:
            yield from times(x, key)
    elif isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", v):
        yield key, v


env.ppgd("member", "add", "--practice", "A81001", "--first-name", "Cy", "--email",
         "cy@example.org", "--consent-email", "yes")
env.ppgd("campaign", "send", "news")
seen = []
for args in (["campaign", "show", "news"], ["member", "show", str(mid + 1)], ["inbox"],
             ["campaign", "list"]):
    rc, j, _ = env.ppgd_json(*args)
    seen += list(times(j))
bad = [(k, v) for k, v in seen if not ISO.match(v) or (k in RECORD and not v.endswith("Z"))]
t.check(len(seen) >= 5 and not bad,
        "JSON times are RFC 3339, record times in UTC with Z (%d seen; bad: %r)" % (len(seen), bad))

# outbox cancel --campaign asks on a terminal too.
rc, out, tty = on_terminal(["outbox", "cancel", "--campaign", "news"], b"n\n")
rc2, j, _ = env.ppgd_json("outbox", "--campaign", "news")
t.check(rc == 1 and "[y/N]" in tty and j and j.get("cancelled") == 0 and j.get("pending", 0) > 0,
        "outbox cancel --campaign asks; no cancels nothing (%r %r)" % (tty[-80:], j))
rc, out, _ = env.ppgd("outbox", "cancel", "--campaign", "news", "--yes")
t.check(rc == 0 and out.startswith("cancelled "), "--yes cancels without asking (%r)" % out)

# Long work shows progress on a terminal, and only there.
master, slave = pty.openpty()
p = subprocess.Popen([t.PPGD, "-c", env.conf, "backup", env.path("copy.db")],
                     stdin=slave, stderr=slave, stdout=subprocess.PIPE, cwd=env.dir)
os.close(slave)
out = p.stdout.read().decode()
rc = p.wait(timeout=t.slow(30))
tty = b""
while select.select([master], [], [], 0.3)[0]:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    tty += chunk
os.close(master)
t.check(rc == 0 and b"backup: pages:" in tty and b"(100%)" in tty and "backed up" in out,
        "backup shows its progress on a terminal (%r)" % tty[-120:])
rc, out, err = env.ppgd("backup", env.path("copy2.db"))
t.check(rc == 0 and err == "", "backup off a terminal prints no progress (%r)" % err)
master, slave = pty.openpty()
p = subprocess.Popen([t.PPGD, "-c", env.conf, "report", "annual", "--practice", "A81001",
                      "--year", "2026"], stdin=slave, stderr=slave, stdout=subprocess.PIPE,
                     cwd=env.dir)
os.close(slave)
out = p.stdout.read().decode()
rc = p.wait(timeout=t.slow(30))
tty = b""
while select.select([master], [], [], 0.3)[0]:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    tty += chunk
os.close(master)
t.check(rc == 0 and b"report annual: surveys: 4/8" in tty and "members:" in out,
        "report annual shows its progress on a terminal (%r)" % tty[-120:])
t.finish()
