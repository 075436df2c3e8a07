#!/usr/bin/env python3
"""Issue 10 fault 9: `campaign send` twice must not send everything twice.
A second manual send within a day of a first run (manual or scheduled) is
refused with exit 1 and sends nothing; --again sends it again."""

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402


def outbox_rows(env, name):
    con = sqlite3.connect(env.path("ppgd.db"))
    try:
        return con.execute(
            "SELECT count(*) FROM outbox o JOIN runs r ON r.id = o.run_id"
            " JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = ?",
            (name,)).fetchone()[0]
    finally:
        con.close()


def main():
    env = t.TestEnv()
    env.write_config({"campaign": {"frequency_cap": 0},
                      "daemon": {"templates": os.path.join(t.TOP, "templates")}})
    for args in (["init"],
                 ["practice", "add", "A81001", "--name", "Riverside Surgery",
                  "--email-from", "ppg@riverside.example"],
                 ["member", "add", "--practice", "A81001", "--first-name", "Ann",
                  "--email", "ann@example.org", "--consent-email", "yes"],
                 ["member", "add", "--practice", "A81001", "--first-name", "Bob",
                  "--email", "bob@example.org", "--consent-email", "yes"]):
        rc, _, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%s)" % (" ".join(args[:2]), err.strip()))
    for name, extra in (("weekly", ["--schedule", "0 9 * * 1"]), ("once", [])):
        rc, _, err = env.ppgd("campaign", "add", name, "--practice", "A81001",
                              "--kind", "broadcast", "--template", "broadcast",
                              "--message", "Flu clinic Saturday.", *extra)
        t.check(rc == 0, "campaign add %s (%s)" % (name, err.strip()))
        rc, out, err = env.ppgd("campaign", "send", name)
        t.check(rc == 0 and "2 messages" in out,
                "%s: the first send queues 2 messages (%s%s)" % (name, out, err))
        # A later second, so the run's key differs from the first.
        time.sleep(1.1)
        rc, out, err = env.ppgd("campaign", "send", name)
        t.check_eq(rc, 1, "%s: a second send within a day is refused" % name)
        t.check("--again" in err and "less than a day" in err,
                "%s: the refusal says how to send again (%r)" % (name, err))
        t.check_eq(outbox_rows(env, name), 2, "%s: nothing was queued twice" % name)
        rc, doc, err = env.ppgd_json("campaign", "send", name, "--again")
        t.check(rc == 0 and doc and doc.get("messages") == 2,
                "%s: --again sends it again (%r %s)" % (name, doc, err))
        t.check_eq(outbox_rows(env, name), 4, "%s: --again queued one more each" % name)
    rc, _, err = env.ppgd("campaign", "send")
    t.check(rc == 2 and "--again" in err, "the usage names --again (%r)" % err)
    t.finish()


if __name__ == "__main__":
    main()
