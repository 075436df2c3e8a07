"""Shared pieces of the fault tests (test_crash_send.py, test_outage.py,
test_db_faults.py, test_reload_while_sending.py, tests/soak/soak.py): a
practice with N members imported from a generated CSV, a campaign fired
through the CLI, the outbox read straight from SQLite, a faster SMTP stub,
and /proc readings of the daemon (CPU time, RSS, open fds).

A library, not a test (not executable): tests/run.sh skips it.
"""

import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
import smtpstub  # noqa: E402

PRACTICE = "A1"
# The outbox id is in the Message-ID the daemon writes: <ppgd.ID.TIME@domain>.
MSGID_RE = re.compile(rb"^Message-ID:\s*<ppgd\.(\d+)\.", re.M | re.I)


# The harness's stub now turns Nagle off itself; the old name stays.
FastSmtpStub = smtpstub.SmtpStub


def outbox_id(data):
    """The outbox id of a message (bytes) sent by ppgd, or None."""
    m = MSGID_RE.search(data)
    return int(m.group(1)) if m else None


def wait_for(fn, timeout=20.0, step=0.05):
    """Call fn until it returns a true value or timeout (times $PPGD_SLOW)
    passes; its last value."""
    deadline = time.monotonic() + timeout * getattr(t, "SLOW", 1)
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


# -- the database -------------------------------------------------------------

def connect(env, timeout=10):
    con = sqlite3.connect(env.sections["daemon"]["database"], timeout=timeout)
    con.row_factory = sqlite3.Row
    return con


def query(env, sql, *args):
    con = connect(env)
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def states(env, campaign=None):
    """{state: count} of the outbox (of one campaign's runs if named)."""
    if campaign is None:
        rows = query(env, "SELECT state, count(*) AS n FROM outbox GROUP BY state")
    else:
        rows = query(env, "SELECT o.state, count(*) AS n FROM outbox o"
                          " JOIN runs r ON r.id = o.run_id JOIN campaigns c"
                          " ON c.id = r.campaign_id WHERE c.name = ?"
                          " GROUP BY o.state", campaign)
    return {r["state"]: r["n"] for r in rows}


def all_sent(env, n, campaign=None):
    return states(env, campaign).get("sent", 0) == n


# -- setting up -----------------------------------------------------------------

def base_sections(env):
    """Settings every fault test wants: no quiet hours, no frequency cap,
    quick retries, the repository's templates, no admin API listener."""
    return {
        "daemon": {"templates": os.path.join(t.TOP, "templates"),
                   "shutdown_timeout": "10s"},
        "api": {"listen": ""},
        "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
        "campaign": {"frequency_cap": 0},
        "dispatch": {"backoff": "1s", "backoff_max": "2s", "max_attempts": 100},
    }


def new_env(name, sections=None):
    """A TestEnv with base_sections, the database and practice A1."""
    env = t.TestEnv(name)
    env.write_config(base_sections(env))
    if sections:
        env.write_config(sections)
    rc, _, err = env.ppgd("init")
    t.check(rc == 0, "ppgd init (%s)" % err.strip())
    rc, _, err = env.ppgd("practice", "add", PRACTICE, "--name", "Fault Surgery",
                          "--email-from", "ppg@fault.example",
                          "--sms-from", "PPGTEST", "--phone", "0161 496 0000")
    t.check(rc == 0, "practice add (%s)" % err.strip())
    return env


def mobile(i):
    """A distinct UK mobile number for member i (i < 1,000,000)."""
    return "07700%06d" % i


def import_members(env, n, channel="email", first=0):
    """Import members first..first+n-1 from a generated CSV; email members
    are mN@example.org, sms members prefer SMS on mobile(N)."""
    path = env.path("members-%d-%d.csv" % (first, n))
    with open(path, "w") as f:
        if channel == "email":
            f.write("first_name,email,consent_email\n")
            for i in range(first, first + n):
                f.write("M%d,m%d@example.org,yes\n" % (i, i))
        else:
            f.write("first_name,mobile,preferred_channel,consent_sms\n")
            for i in range(first, first + n):
                f.write("M%d,%s,sms,yes\n" % (i, mobile(i)))
    rc, out, err = env.ppgd("member", "import", path, "--practice", PRACTICE,
                            timeout=120)
    t.check(rc == 0 and ("%d added" % n) in out,
            "member import of %d (%s%s)" % (n, out.strip(), err.strip()))


def campaign(env, name, channel="email", message="hi", send=True):
    """Add a broadcast campaign on one channel and (by default) fire it; the
    number of outbox rows it made."""
    rc, _, err = env.ppgd("campaign", "add", name, "--practice", PRACTICE,
                          "--kind", "broadcast", "--template", "broadcast",
                          "--channels", channel, "--message", message)
    t.check(rc == 0, "campaign add %s (%s)" % (name, err.strip()))
    if not send:
        return 0
    rc, out, err = env.ppgd("campaign", "send", name, timeout=120)
    t.check(rc == 0, "campaign send %s (%s)" % (name, err.strip()))
    m = re.search(r"(\d+) messages", out)
    return int(m.group(1)) if m else 0


# -- the daemon -------------------------------------------------------------------

def serve(env, timeout=30):
    """Start `ppgd serve` and wait until /healthz answers 200.

    Unlike Daemon.start(wait=True), each probe may take up to 5 s: while the
    file transport is writing a batch (fsync per message) the loop answers
    HTTP in tenths of a second, more on a loaded machine."""
    d = env.serve(wait=False)
    deadline = time.monotonic() + timeout
    ok = False
    while time.monotonic() < deadline and d.running():
        try:
            if t.http_get(d.url + "/healthz", timeout=5)[0] == 200:
                ok = True
                break
        except OSError:
            pass
        time.sleep(0.05)
    t.check(ok, "ppgd serve answers /healthz within %ds (log: %s)"
            % (timeout, d.log))
    return d


# -- the daemon from /proc ------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    """VmRSS of a process in kB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def log_lines(daemon, pattern):
    """Lines of the daemon's log matching a regular expression."""
    rx = re.compile(pattern)
    return [l for l in daemon.output().splitlines() if rx.search(l)]
