#!/usr/bin/env python3
"""The evidence log and the framework self-assessment through the CLI:
evidence add/list/get/remove with files and links, bad input refused, a
practice whose year and evidence meet bronze gets bronze, sign-off, a
practice's own framework file, and check-config refusing a broken one with
file:line."""

import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

T2025 = 1735689600  # 2025-01-01T00:00:00Z
SURVEY = {"slug": "s", "title": "S", "version": 1, "anonymous": True,
          "questions": [{"key": "experience", "type": "fft",
                         "required": True}]}


def seed_year(db):
    """What ppgd would hold after a year of a working group: ten members,
    a meeting in each quarter with minutes, email and SMS sent in both
    halves, survey responses."""
    c = sqlite3.connect(db)
    for i in range(10):
        c.execute("INSERT INTO members (practice_id, first_name, joined_at,"
                  " age_band, sex, created_at, updated_at)"
                  " VALUES (1, ?, ?, '65-74', 'female', 0, 0)",
                  ("M%d" % i, T2025 - 86400))
    for q in range(4):
        c.execute("INSERT INTO meetings (practice_id, at, place, minutes,"
                  " created_at) VALUES (1, ?, 'Surgery', 'Notes', 0)",
                  (T2025 + (q * 91 + 20) * 86400,))
    c.execute("INSERT INTO surveys (slug, version, title, anonymous,"
              " definition, hash, loaded_at) VALUES ('s', 1, 'S', 1, ?,"
              " 'x', 0)", (json.dumps(SURVEY),))
    c.execute("INSERT INTO campaigns (id, name, practice_id, kind, survey_id,"
              " template, channels, created_at) VALUES (1, 'c', 1, 'survey',"
              " 1, 'survey-invitation', 'email,sms', 0)")
    for half in (0, 1):
        at = T2025 + (half * 190 + 30) * 86400
        c.execute("INSERT INTO runs (campaign_id, scheduled_for, fired_at)"
                  " VALUES (1, ?, ?)", (at, at))
        for ch in ("email", "sms"):
            c.execute("INSERT INTO outbox (run_id, practice_id, channel,"
                      " state, to_addr, body, next_attempt_at, created_at,"
                      " sent_at) VALUES (?, 1, ?, 'delivered', 'x', 'x', 0,"
                      " ?, ?)", (half + 1, ch, at, at))
    for i in range(6):
        cur = c.execute("INSERT INTO responses (survey_id, campaign_id,"
                        " practice_id, channel, started_at, completed_at)"
                        " VALUES (1, 1, 1, 'sms', ?, ?)",
                        (T2025 + 40 * 86400, T2025 + 40 * 86400 + 60))
        c.execute("INSERT INTO answers VALUES (?, 'experience', '1', NULL)",
                  (cur.lastrowid,))
    c.commit()
    c.close()


def level(env, *extra):
    rc, r, err = env.ppgd_json("report", "annual", "--practice", "P1",
                               "--year", "2025", *extra)
    t.check_eq(rc, 0, "report annual exits 0 (%s)" % err)
    return r


def status(r, cid):
    for lv in r["framework"]["levels"]:
        for c in r["framework"][lv["id"]]:
            if c["id"] == cid:
                return c
    t.check(False, "criterion %s in the report" % cid)
    return {}


def test_evidence_cli(env):
    pdf = env.path("tor.pdf")
    with open(pdf, "wb") as f:
        f.write(b"%PDF-1.4\nterms of reference\n")
    rc, e, err = env.ppgd_json("evidence", "add", "--practice", "P1",
                               "--kind", "terms-of-reference", "--date",
                               "2024-11-05", "--file", pdf, "--note",
                               "agreed at the AGM")
    t.check_eq(rc, 0, "evidence add --file (%s)" % err)
    t.check(e and e["file"]["type"] == "application/pdf"
            and e["file"]["bytes"] == 28, "file stored and typed")
    out = env.path("back.pdf")
    rc, _, err = env.ppgd("evidence", "get", str(e["id"]), "-o", out)
    t.check_eq(rc, 0, "evidence get (%s)" % err)
    with open(out, "rb") as f:
        t.check_eq(f.read(), b"%PDF-1.4\nterms of reference\n",
                   "the file comes back byte for byte")
    t.check_eq(os.stat(out).st_mode & 0o777, 0o600, "written 0600")
    rc, _, err = env.ppgd("evidence", "get", str(e["id"]), "-o", out)
    t.check_eq(rc, 1, "get will not overwrite a file")
    rc, _, err = env.ppgd("evidence", "add", "--practice", "P1", "--kind",
                          "website", "--date", "2025-06-01", "--link",
                          "https://riverside.example/ppg")
    t.check_eq(rc, 0, "evidence add --link (%s)" % err)

    bad = [
        (["--kind", "leaflet", "--date", "2025-01-01"], "unknown evidence kind"),
        (["--kind", "newsletter", "--date", "01/02/2025"], "not YYYY-MM-DD"),
        (["--kind", "newsletter", "--date", "2025-01-01", "--link",
          "javascript:alert(1)"], "https://"),
        (["--kind", "newsletter", "--date", "2025-01-01", "--file",
          env.conf], "not a PDF"),
        (["--kind", "newsletter", "--date", "2025-01-01", "--meeting", "99"],
         "no meeting 99"),
    ]
    for args, want in bad:
        rc, _, err = env.ppgd("evidence", "add", "--practice", "P1", *args)
        t.check(rc == 1 and want in err, "refused: %s (%s)" % (want, err))
    rc, _, err = env.ppgd("evidence", "add", "--kind", "newsletter")
    t.check(rc == 2 and "--practice is required" in err,
            "a missing flag is named (%s)" % err)
    rc, lst, err = env.ppgd_json("evidence", "list", "--practice", "P1")
    t.check(rc == 0 and [x["kind"] for x in lst] == ["website",
                                                     "terms-of-reference"],
            "list: newest first, nothing refused was stored")
    # A title is what someone typed: an escape code in it is shown, not
    # sent to the operator's terminal.
    rc, e2, err = env.ppgd_json("evidence", "add", "--practice", "P1",
                                "--kind", "notice", "--date", "2025-02-01",
                                "--title", "Poster \x1b[2J up")
    rc, out, err = env.ppgd("evidence", "list", "--kind", "notice")
    t.check(rc == 0 and "\x1b" not in out and "Poster" in out,
            "evidence list shows a title's control characters made visible")
    env.ppgd("evidence", "remove", str(e2["id"]) if e2 else "0")
    rc, kinds, err = env.ppgd_json("evidence", "kinds")
    t.check(rc == 0 and any(k["kind"] == "napp-membership" for k in kinds),
            "evidence kinds lists NAPP membership")
    return e["id"]


def test_bronze(env, tor_id):
    r = level(env)
    t.check_eq(r["framework"]["level"], "none",
               "no population profile, no actions: no level yet")
    t.check_eq(status(r, "bronze-2")["status"], "met",
               "bronze 2 from the terms of reference and the meetings")
    t.check_eq(status(r, "bronze-4")["status"], "partly",
               "bronze 4 partly: responses but no agreed action")
    t.check("improvements agreed" in status(r, "bronze-4")["missing"],
            "bronze 4 says what is missing")

    prof = env.path("profile.csv")
    with open(prof, "w") as f:
        f.write("field,value,patients\nage_band,65-74,800\n"
                "age_band,25-34,1200\n")
    rc, _, err = env.ppgd("practice", "profile", "P1", prof)
    t.check_eq(rc, 0, "practice profile (%s)" % err)
    rc, _, err = env.ppgd("action", "add", "--practice", "P1", "--area",
                          "Access", "--title", "Phone queue message")
    rc, _, err = env.ppgd("action", "update", "1", "--status", "agreed")
    t.check_eq(rc, 0, "action agreed (%s)" % err)
    # Agreed at the group's autumn meeting in the report's year.
    c = sqlite3.connect(env.sections["daemon"]["database"])
    c.execute("UPDATE action_notes SET at = ?", (T2025 + 300 * 86400,))
    c.commit()
    c.close()
    r = level(env)
    t.check_eq(r["framework"]["level"], "bronze",
               "a year of real data with evidence reaches bronze")
    t.check(all(c["status"] == "met" for c in r["framework"]["bronze"]),
            "every bronze criterion met")
    b2 = status(r, "bronze-2")
    t.check(any(x.get("evidence") == tor_id for x in b2["evidence_items"]),
            "bronze 2 lists the evidence that satisfied it")
    t.check(any(x["kind"] == "website" for x in r["evidence"]),
            "the report lists the year's evidence")
    t.check(all(x["date"] >= "2025-01-01" for x in r["evidence"]),
            "only this year's evidence is listed")

    rc, _, err = env.ppgd("evidence", "remove", str(tor_id))
    t.check_eq(rc, 0, "evidence remove (%s)" % err)
    r = level(env)
    t.check_eq(r["framework"]["level"], "none",
               "without the terms of reference, bronze is not reached")
    t.check_eq(status(r, "bronze-2")["status"], "partly", "bronze 2 partly")

    rc, r, err = env.ppgd_json("report", "annual", "--practice", "P1",
                               "--year", "2025", "--sign-off",
                               "Jane Smith, PPG chair")
    t.check_eq(rc, 0, "--sign-off (%s)" % err)
    t.check(r and r["sign_off"]["by"] == "Jane Smith, PPG chair"
            and r["sign_off"]["level"] == "none", "sign-off recorded")
    rc, _, err = env.ppgd("report", "annual", "--practice", "P1", "--year",
                          "2025", "--sign-off", "x\nBcc: y")
    t.check_eq(rc, 1, "a sign-off with a line break is refused")
    html = env.path("annual.html")
    rc, _, err = env.ppgd("report", "annual", "--practice", "P1", "--year",
                          "2025", "--html", html)
    with open(html, encoding="utf-8") as f:
        page = f.read()
    t.check("Agreed by Jane Smith, PPG chair" in page, "HTML shows sign-off")
    t.check("Partly met" in page and "Evidence recorded this year" in page,
            "HTML shows statuses in words and the evidence log")


def test_own_framework(env):
    fw = env.path("ours.yaml")
    with open(fw, "w") as f:
        f.write("framework: ours\ntitle: Our ICB\nlevels:\n"
                " - id: core\n   title: Core\n   need: all\n"
                "   criteria:\n    - id: c1\n      text: Meet.\n"
                "      requires:\n       - fact: meetings_held\n"
                "         min: 4\n         label: four meetings\n")
    r = level(env, "--framework", fw)
    t.check(r and r["framework"]["framework"] == "ours"
            and r["framework"]["level"] == "core", "--framework FILE used")
    env.write_config({"report": {"framework": fw}})
    r = level(env)
    t.check_eq(r["framework"]["level"], "core", "[report] framework used")
    with open(fw, "a") as f:
        f.write("       - fact: meetngs_held\n         label: typo\n")
    rc, out, err = env.ppgd("check-config")
    t.check(rc == 1 and "ours.yaml" in out and "unknown fact meetngs_held"
            in out, "check-config names the bad framework line (%s)" % out)
    with open(fw, "w") as f:
        f.write("framework: [\n")
    rc, out, err = env.ppgd("check-config")
    t.check(rc == 1 and "ours.yaml:2:" in out, "YAML error with file:line")
    env.write_config({"report": {"framework": None}})
    rc, out, err = env.ppgd("check-config")
    t.check_eq(rc, 0, "the built-in framework by default (%s)" % err)


def main():
    env = t.TestEnv("evidence")
    rc, out, err = env.ppgd("init")
    t.check_eq(rc, 0, "init (%s)" % err)
    rc, out, err = env.ppgd("practice", "add", "P1", "--name", "Riverside")
    t.check_eq(rc, 0, "practice add (%s)" % err)
    seed_year(env.sections["daemon"]["database"])
    tor = test_evidence_cli(env)
    test_bronze(env, tor)
    test_own_framework(env)
    t.finish()


if __name__ == "__main__":
    main()
