#!/usr/bin/env python3
"""Issue 10: broadcast is one use case under the CLI and the admin API. The
CLI's `ppgd broadcast` now does what POST /api/v1/broadcasts does: it refuses
a taken name with the same words, and audits broadcast.send."""

import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402


def query(env, sql, *args):
    con = sqlite3.connect(env.path("ppgd.db"))
    try:
        return con.execute(sql, args).fetchall()
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
                  "--email", "ann@example.org", "--consent-email", "yes"]):
        rc, _, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%s)" % (" ".join(args[:2]), err.strip()))
    send = ["broadcast", "--practice", "A81001", "--template", "broadcast",
            "--message", "Flu clinic Saturday.", "--name", "Flu 2026"]
    rc, out, err = env.ppgd(*send)
    t.check(rc == 0 and "1 messages" in out, "broadcast sends (%s%s)" % (out, err))
    t.check_eq(query(env, "SELECT actor, object FROM audit WHERE action = 'broadcast.send'"),
               [("cli", "Flu 2026")], "the CLI's broadcast is audited like the API's")
    rc, out, err = env.ppgd(*send)
    t.check_eq(rc, 1, "a taken name is refused")
    t.check_eq(err.strip(), "ppgd: a campaign is named Flu 2026 already",
               "with the API's words")
    t.check_eq(query(env, "SELECT count(*) FROM campaigns")[0][0], 1,
               "the refusal adds no campaign")
    rc, out, err = env.ppgd("broadcast", "--practice", "Z99999", "--template", "broadcast")
    t.check(rc == 1 and err.strip() == "ppgd: no practice Z99999",
            "an unknown practice is refused (%r)" % err)
    t.finish()


if __name__ == "__main__":
    main()
