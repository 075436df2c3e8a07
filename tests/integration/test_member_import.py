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
        st, doc = post({"practice": "A81001", "email": "nia@example.org",
                        "birth_month": "14/03/1950", "sex": "9",
                        "ethnicity": "Asian or Asian British - Indian",
                        "extra": {"school": "Hillcrest", "ward": None}})
        t.check(st == 201 and doc and doc["birth_month"] == "1950-03"
                and doc["sex"] == "indeterminate" and doc["ethnicity"] == "asian"
                and doc["ethnicity_detail"] == "Asian: Indian"
                and doc["extra"] == {"school": "Hillcrest"},
                "the API reads the new fields and custom fields (%d %r)" % (st, doc))
        st, doc = post({"practice": "A81001", "email": "z@example.org",
                        "extra": {"bad name": "x"}})
        t.check_eq(st, 400, "a custom field name with a space is refused")
        st, doc = post({"practice": "A81001", "mobile": "0113 496 0123"})
        t.check(st == 422 and doc and "landline" in doc.get("error", ""),
                "a landline is refused as a mobile (%d %r)" % (st, doc))
    rows = query(env, "SELECT actor, object FROM audit WHERE action = 'member.add'"
                      " ORDER BY id")
    t.check_eq([(r["actor"], r["object"]) for r in rows][2:3],
               [("api:records", "member:3")], "the API add has the same audit shape")


FIXTURES = (("emis-web.csv", "EMIS Web"), ("systmone.csv", "SystmOne"),
            ("vision.csv", "Vision"))


def test_gp_exports(env):
    for name, system in FIXTURES:
        path = os.path.join(DATA, name)
        _, doc, _ = env.ppgd_json("member", "import", path, "--practice", "B82002")
        t.check(doc and doc["rows"] == 10 and doc["added"] == 10 and doc["bad"] == 0
                and doc["warned"] == 0,
                "%s export: all 10 rows added, no warnings (%r)" % (system, doc))
        rc, out, err = env.ppgd("member", "import", path, "--practice", "B82002")
        t.check(rc == 0 and "10 rows: 0 added, 0 updated, 10 unchanged, 0 bad" in out,
                "%s export imported again changes nothing (%r %r)" % (system, out, err))
    t.check_eq(count(env, "practice_id = 2"), 30, "30 members from the three systems")
    row = query(env, "SELECT * FROM members WHERE external_ref = 'E1005'")[0]
    t.check_eq((row["sex"], row["ethnicity"], row["ethnicity_detail"], row["birth_ym"]),
               ("indeterminate", "prefer-not-to-say", "Not stated", 2001 * 12 + 10),
               "EMIS: Indeterminate, Not stated, 30-Nov-2001 read")
    row = query(env, "SELECT * FROM members WHERE external_ref = 'E1007'")[0]
    t.check_eq((row["ethnicity"], row["ethnicity_detail"]), ("asian", "Asian: Chinese"),
               "EMIS: Other Ethnic Groups - Chinese is Asian: Chinese")
    row = query(env, "SELECT * FROM members WHERE external_ref = 'S2005'")[0]
    t.check_eq((row["ethnicity_detail"], row["postcode"], row["language"],
                row["communication_needs"], row["birth_ym"]),
               ("Asian: Bangladeshi", "LS9 7DF", "Bengali", "bsl-interpreter,easy-read",
                1969 * 12 + 6), "SystmOne: category, postcode, language, needs, birth month")
    extra = query(env, "SELECT e.value FROM member_extra e JOIN members m ON"
                       " m.id = e.member_id WHERE m.external_ref = 'S2002'")
    t.check_eq([r["value"] for r in extra], ["Hillcrest Primary"], "extra.school is kept")
    row = query(env, "SELECT * FROM members WHERE external_ref = 'V3002'")[0]
    t.check_eq((row["sex"], row["ethnicity_detail"], row["carer"], row["mobile"]),
               ("female", "Black: Caribbean", 1, "+447700900302"),
               "Vision: F, code M, carer Y, mobile")
    n = query(env, "SELECT count(*) AS n FROM members WHERE practice_id = 2 AND"
                   " (first_name IS NULL OR last_name IS NULL)")[0]["n"]
    t.check_eq(n, 0, "every member has the names from Forename(s)/First name and Surname")


def test_problems(env):
    path = os.path.join(DATA, "emis-problems.csv")
    rc, out, err = env.ppgd("member", "import", path, "--practice", "B82002")
    t.check_eq(rc, 1, "a file with bad rows exits 1")
    lines = err.splitlines()
    t.check(lines and lines[0] == path + ": columns ignored: Usual GP",
            "the ignored columns come first (%r)" % lines[:1])
    want = [path + ":2: warning: birth_month: '31/02/1950' is not a date of birth",
            path + ":3: mobile: '0113 496 0123' is a landline",
            path + ":4: email: 'tina@example' is not an email address",
            path + ":5: warning: sex: 'X-ray'",
            path + ":5: warning: ethnicity: 'Martian'",
            path + ":6: mobile: '0870 010 0123' is an 08"]
    for w in want:
        t.check(any(line.startswith(w) for line in lines), "stderr has %r (%r)" % (w, err))
    t.check("6 rows: 3 added, 0 updated, 0 unchanged, 3 bad, 3 warnings" in out,
            "the summary counts warnings (%r)" % out)
    t.check("3 members have no consent for email or SMS and will not be contacted" in out,
            "the summary says who cannot be contacted (%r)" % out)
    row = query(env, "SELECT birth_ym, sex, ethnicity FROM members WHERE"
                     " external_ref = 'P4'")[0]
    t.check_eq((row["birth_ym"], row["sex"], row["ethnicity"]), (1966 * 12 + 8, None, None),
               "unreadable sex and ethnicity are left unknown, the member kept")


def test_header(env):
    bad = env.path("bad.csv")
    with open(bad, "w") as f:
        f.write("Report title\nName,Shoe size,Favourite colour\nAnn,5,red\n")
    rc, out, err = env.ppgd("member", "import", bad, "--practice", "A81001")
    t.check(rc == 1 and err.startswith(
        bad + ":1: no known column in the header (found: Report title"),
        "no known column stops at once with FILE:1 (%r)" % err)
    t.check("Shoe size" in err, "the columns found are listed (%r)" % err)


def test_stdio_and_consent(env):
    csv = ("First Name,Surname,E-mail Address,Mobile\n"
           "Olu,Bello,olu@example.org,07700 900501\n"
           "Pat,Quinn,,07700900502\n")
    rc, out, err = env.ppgd("member", "import", "-", "--practice", "A81001",
                            "--consent", "email,sms", "--consent-how",
                            "signed-up list, Flu clinic 2026", input=csv)
    t.check(rc == 0 and "2 rows: 2 added" in out and "no consent" not in out,
            "import from stdin with --consent (%r %r)" % (out, err))
    rows = query(env, "SELECT consent_email_how, consent_sms_how FROM members WHERE"
                      " last_name IN ('Bello', 'Quinn') ORDER BY last_name")
    t.check_eq([(r["consent_email_how"], r["consent_sms_how"]) for r in rows],
               [("signed-up list, Flu clinic 2026", "signed-up list, Flu clinic 2026"),
                (None, "signed-up list, Flu clinic 2026")],
               "consent recorded for the channels each member has")
    rc, out, err = env.ppgd("member", "import", "-", "--practice", "A81001",
                            "--consent", "email", input=csv)
    t.check_eq(rc, 2, "--consent without --consent-how is a usage error")
    _, doc, _ = env.ppgd_json("member", "stats", "--practice", "A81001")
    reach = doc["reachable"] if doc else {}
    t.check_eq((reach.get("email and sms"), reach.get("sms only"), reach.get("no consent")),
               (1, 1, 4), "stats: only members with consent are reachable (%r)" % reach)


def test_survey_and_results_stdio(env):
    with open(os.path.join(t.TOP, "surveys", "fft.yaml")) as f:
        rc, out, err = env.ppgd("survey", "load", "-", input=f.read())
    t.check(rc == 0 and "loaded survey fft" in out, "survey load - reads stdin (%r)" % err)
    rc, out, err = env.ppgd("results", "fft", "--csv=-")
    t.check(rc == 0 and out.startswith("question,type,group,"),
            "results --csv=- writes CSV to stdout (%r)" % err)


def test_extra_in_campaigns(env):
    """extra.school from the SystmOne file: an audience and a template."""
    import shutil
    tdir = env.path("templates")
    shutil.copytree(os.path.join(t.TOP, "templates"), tdir)
    for ch, text in (("sms", "{{practice.name}}: {{#member.extra.school}}parents at "
                            "{{member.extra.school}}, {{/member.extra.school}}"
                            "{{message.text}} Reply STOP to opt out"),
                     ("email", "Subject: {{campaign.name}}\n\nDear {{member.first_name}},"
                               "\n{{member.extra.school}}\n{{message.text}}\n"
                               "{{unsubscribe.link}}")):
        with open(os.path.join(tdir, ch, "school.txt"), "w") as f:
            f.write(text + "\n")
    env.write_config({"daemon": {"templates": tdir}})
    rc, out, err = env.ppgd("campaign", "add", "schools", "--practice", "B82002",
                            "--kind", "broadcast", "--template", "school",
                            "--channels", "sms", "--audience", "extra.school=hillcrest primary",
                            "--message", "Come to the coffee morning.", "--at",
                            "2030-01-01T10:00")
    t.check(rc == 0, "a campaign with extra.school in its audience and template (%r)" % err)
    imran = query(env, "SELECT id FROM members WHERE external_ref = 'S2002'")[0]["id"]
    rc, j, err = env.ppgd_json("campaign", "preview", "schools", "--member", str(imran))
    t.check(j and j["audience"]["matched"] == 2,
            "extra.school=... matches the two members at that school (%r %r)" % (j, err))
    text = j["messages"]["sms"]["text"] if j else ""
    t.check("parents at Hillcrest Primary, Come to the coffee morning." in text,
            "{{member.extra.school}} renders the member's value (%r)" % text)


def test_round_trip(env):
    rc, out, err = env.ppgd("member", "export", "--practice", "B82002", "-o", "-")
    t.check(rc == 0 and out.startswith("external_ref,first_name,"),
            "member export -o - writes to stdout (%r)" % err)
    t.check("extra.school" in out.splitlines()[0], "the custom field is a column")
    other = t.TestEnv("member-import-copy")
    setup(other)
    rc, out2, err = other.ppgd("member", "import", "-", "--practice", "B82002",
                               "--strict", input=out)
    t.check(rc == 0 and "33 rows: 33 added" in out2, "the export imports (%r %r)" % (out2, err))
    rc, again, err = other.ppgd("member", "export", "--practice", "B82002", "-o", "-")
    t.check(rc == 0 and again == out, "export -> import -> export is the same file")


def main():
    env = t.TestEnv("member-import")
    setup(env)
    test_add_duplicate(env)
    test_api_duplicate(env)
    test_gp_exports(env)
    test_problems(env)
    test_header(env)
    test_stdio_and_consent(env)
    test_survey_and_results_stdio(env)
    test_extra_in_campaigns(env)
    test_round_trip(env)
    t.finish()


if __name__ == "__main__":
    main()
