#!/usr/bin/env python3
"""The daemon's life: init, check-config, serve, /healthz, /metrics, SIGHUP
(good and bad configuration), backup while running, SIGTERM; sd_notify."""
import json
import os
import re
import signal
import sqlite3
import time

import ppgdtest as t

env = t.TestEnv("lifecycle")

# init creates, then reports up to date.
rc, out, _ = env.ppgd("init")
t.check_eq(rc, 0, "init succeeds")
t.check("created database" in out, "init says it created the database")
rc, out, _ = env.ppgd("init")
t.check("up to date" in out, "a second init says up to date")

# check-config: OK, then every error with file:line and a suggestion.
rc, out, _ = env.ppgd("check-config")
t.check_eq((rc, out.strip()), (0, "configuration OK"), "check-config OK")
bad = env.path("bad.conf")
with open(bad, "w") as f:
    f.write("[daemon]\nlisten = nowhere\n[email]\ntransprot = smtp\n"
            "[twilio]\nauth_token_file = open-secret\n")
with open(env.path("open-secret"), "w") as f:
    f.write("x\n")
os.chmod(env.path("open-secret"), 0o644)
rc, out, err = t.ppgd("-c", bad, "check-config", cwd=env.dir)
t.check_eq(rc, 1, "check-config fails on a bad file")
t.check("bad.conf:2: listen: expected address:port" in out, "bad listen has its line")
t.check("bad.conf:4: unknown key transprot in [email]; did you mean email.transport?"
        in out, "unknown key suggests the nearest")
t.check("bad.conf:6: secret file" in out and "readable by group or others" in out,
        "an open secret file is refused")
rc, out, _ = t.ppgd("-c", bad, "check-config", "--json", cwd=env.dir)
doc = json.loads(out)
t.check(doc["ok"] is False and len(doc["errors"]) == 3, "check-config --json lists 3 errors")
rc, out, _ = t.ppgd("-c", bad, "member", "list", cwd=env.dir)
t.check_eq(rc, 1, "other commands refuse a bad configuration")

# The documented config shipped in config/ is exactly the defaults table.
rc, out, _ = env.ppgd("check-config", "--defaults")
with open(os.path.join(t.TOP, "config", "ppgd.conf")) as f:
    t.check(f.read() == out, "config/ppgd.conf matches `check-config --defaults`")

# Usage errors exit 2.
rc, _, err = env.ppgd("member", "frobnicate")
t.check_eq(rc, 2, "unknown subcommand exits 2")
rc, _, err = env.ppgd("nosuchcommand")
t.check(rc == 2 and "ppgd: unknown command" in err, "unknown command exits 2 with ppgd: prefix")

env.ppgd("practice", "add", "A81001", "--name", "Riverside", "--email-from",
         "ppg@riverside.example.org")
rc, out, _ = env.ppgd("practice", "add", "A81001", "--name", "Again")
t.check_eq(rc, 1, "a duplicate practice code is refused")
env.ppgd("member", "add", "--practice", "A81001", "--first-name", "Ann",
         "--email", "ann@example.org", "--consent-email", "yes")

# serve: READY=1, /healthz, /metrics.
notify = t.NotifySocket(env.dir)
d = env.serve(env=dict(notify.env(), WATCHDOG_USEC="400000"))
t.check(notify.expect("READY=1"), "READY=1 sent")
t.check(notify.expect("WATCHDOG=1", timeout=3), "WATCHDOG=1 sent at half WATCHDOG_USEC")
status, headers, body = t.http_get(env.url + "/healthz")
h = json.loads(body)
t.check_eq((status, h["status"], h["database"]), (200, "ok", "ok"), "/healthz ok")
t.check(h["version"] and h["uptime_seconds"] >= 0, "/healthz has version and uptime")
status, _, body = t.http_get(env.url + "/metrics")
text = body.decode()
t.check(status == 200 and 'ppgd_members{practice="A81001"} 1' in text, "metrics count members")
t.check('ppgd_http_requests_total{route="healthz",method="GET",code="200"}' in text,
        "metrics count requests by route, method and code")
t.check("ppgd_database_bytes" in text and
        'ppgd_messages{transport="none",state="pending"} 0' in text,
        "metrics show database size and messages by transport and state")
t.check('ppgd_build_info{version="%s"} 1' % h["version"] in text,
        "ppgd_build_info names the version")
for m in ("process_cpu_seconds_total", "process_resident_memory_bytes",
          "process_open_fds", "process_max_fds", "process_start_time_seconds"):
    v = re.search(r"^%s (\S+)$" % m, text, re.M)
    t.check(v is not None and float(v.group(1)) > 0, "%s is reported (%s)" % (
        m, v and v.group(1)))
v = re.search(r"^process_start_time_seconds (\S+)$", text, re.M)
t.check(v is not None and abs(float(v.group(1)) - (time.time() - h["uptime_seconds"])) < 60,
        "process_start_time_seconds is the start time")
t.check("ppgd_outbox_oldest_pending_age_seconds 0\n" in text,
        "nothing waits: the oldest pending age is 0")
t.check(not re.search(r"^ppgd_\w+_by_\w+\{", text.replace("ppgd_messages_by_transport", ""), re.M),
        "no label name in a metric name (but the kept old name)")
status, _, _ = t.http_get(env.url + "/nope")
t.check_eq(status, 404, "unknown path 404")
status, _, _ = t.http_post(env.url + "/healthz", b"x")
t.check_eq(status, 405, "wrong method 405")

# Online backup while serving.
rc, out, err = env.ppgd("backup", env.path("copy.db"))
t.check_eq(rc, 0, "backup while serving")
con = sqlite3.connect(env.path("copy.db"))
t.check_eq(con.execute("SELECT count(*) FROM members").fetchone()[0], 1, "backup holds the member")
con.close()

# SIGHUP with a good change, then a bad one: the old configuration stays.
env.write_config({"http": {"max_body": 2048}})
d.reload()
t.check(notify.expect("RELOADING=1"), "RELOADING=1 on SIGHUP")
time.sleep(0.3)
t.check("event=reloaded" in d.output(), "good reload logged")
status, _, _ = t.http_post(env.url + "/healthz", b"x" * 4096)
t.check_eq(status, 413, "the reloaded max_body applies (413)")
with open(env.conf, "a") as f:
    f.write("\n[daemon]\nbogus = 1\n")
d.reload()
time.sleep(0.3)
t.check("reload_refused" in d.output(), "bad reload refused and logged")
t.check(d.running(), "still running after a bad reload")
t.check_eq(t.http_get(env.url + "/healthz")[0], 200, "still serving after a bad reload")

# SIGTERM: STOPPING=1, exit 0 within 5 s.
start = time.monotonic()
rc = d.stop(timeout=5)
t.check_eq(rc, 0, "exit 0 on SIGTERM")
t.check(time.monotonic() - start < 5, "stopped within 5 s")
t.check(notify.expect("STOPPING=1", timeout=1), "STOPPING=1 sent")
notify.close()

# No personal data in the log at info level.
log = d.output()
t.check("ann@example.org" not in log and "Ann" not in log, "no PII in the info log")
t.finish()
