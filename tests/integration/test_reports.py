#!/usr/bin/env python3
"""Results, representation, the action plan and the annual report through the
CLI and the daemon: JSON shapes, CSV, and the HTML pages parsed as XML
(well-formed, one <svg> and one <table> per chart figure, no scripts, no
external references, every value escaped). Every published page is checked
for what it must not hold: a count from 1 to 4 outside "<5", a member's
name or contact from the database; and every bar's width is checked against
the value drawn beside it."""

import csv
import io
import json
import os
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script> & \"quoted\""
T0 = 1741000000  # 2025-03-03

SURVEY = {
    "slug": "fft", "title": "Friends and Family Test", "version": 1,
    "anonymous": True, "closing": "Thank you.",
    "questions": [
        {"key": "experience", "type": "fft", "required": True},
        {"key": "ease", "type": "scale", "text": "How easy was it?",
         "required": False, "min": 1, "max": 5},
        {"key": "good", "type": "text", "text": "What was good?",
         "required": False, "max_length": 500},
    ],
}


def seed(db):
    """One survey, one campaign with 20 email + 10 SMS delivered, 30
    responses: ages 16-24 x 12, 25-34 x 15, 85+ x 3."""
    c = sqlite3.connect(db)
    c.execute("INSERT INTO surveys (slug, version, title, anonymous,"
              " definition, hash, loaded_at) VALUES ('fft', 1, 'FFT', 1, ?,"
              " 'x', 0)", (json.dumps(SURVEY),))
    c.execute("INSERT INTO campaigns (id, name, practice_id, kind, survey_id,"
              " template, channels, created_at) VALUES (1, 'march-fft', 1,"
              " 'survey', 1, 'survey-invitation', 'email,sms', 0)")
    c.execute("INSERT INTO runs (id, campaign_id, scheduled_for, fired_at)"
              " VALUES (1, 1, ?, ?)", (T0, T0))
    for i in range(30):
        c.execute("INSERT INTO outbox (run_id, practice_id, channel, state,"
                  " to_addr, body, next_attempt_at, created_at, sent_at)"
                  " VALUES (1, 1, ?, 'delivered', 'x', 'x', 0, ?, ?)",
                  ("email" if i < 20 else "sms", T0, T0))
    ages = ["16-24"] * 12 + ["25-34"] * 15 + ["85+"] * 3
    fft = ["1"] * 14 + ["2"] * 6 + ["3"] * 4 + ["4"] * 3 + ["6"] * 3
    for i in range(30):
        cur = c.execute("INSERT INTO responses (survey_id, campaign_id,"
                        " practice_id, channel, started_at, completed_at,"
                        " age_band) VALUES (1, 1, 1, ?, ?, ?, ?)",
                        ("web" if i % 2 else "sms", T0 + i, T0 + i + 60,
                         ages[i]))
        rid = cur.lastrowid
        c.execute("INSERT INTO answers VALUES (?, 'experience', ?, NULL)",
                  (rid, fft[i]))
        c.execute("INSERT INTO answers VALUES (?, 'ease', ?, ?)",
                  (rid, str(i % 5 + 1), i % 5 + 1))
    c.execute("INSERT INTO answers VALUES (1, 'good', ?, NULL)", (EVIL,))
    for i, (age, sex) in enumerate([("16-24", "male")] + [("65-74", "female")] * 9):
        c.execute("INSERT INTO members (practice_id, first_name, joined_at,"
                  " age_band, sex, ethnicity, created_at, updated_at)"
                  " VALUES (1, ?, 100, ?, ?, 'white', 0, 0)",
                  ("Member%d" % i, age, sex))
    c.execute("INSERT INTO member_tags VALUES (1, 'carer')")
    c.commit()
    c.close()


def parse_page(path, what):
    """Parse an HTML page as XML; check the rules every page keeps."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        root = ET.fromstring(text.split("\n", 1)[1])  # after <!DOCTYPE html>
    except ET.ParseError as e:
        t.check(False, "%s is well-formed XML: %s" % (what, e))
        return None, text
    t.check(text.startswith("<!DOCTYPE html>"), what + " has a doctype")
    t.check(not list(root.iter(XHTML + "script")), what + " has no <script>")
    refs = [el for el in root.iter()
            for a in ("src", "href") if a in el.attrib]
    t.check(not refs, what + " references no external file")
    t.check("@media print" in text and "size:A4" in text,
            what + " has an A4 print style")
    t.check(root.find(".//" + XHTML + "meta[@name='viewport']") is not None,
            what + " has a viewport for phones")
    figures = list(root.iter(XHTML + "figure"))
    for fig in figures:
        svgs = list(fig.iter(SVG + "svg"))
        tables = list(fig.iter(XHTML + "table"))
        t.check(len(svgs) == 1 and len(tables) == 1,
                "%s: a chart figure holds one <svg> and one <table>" % what)
        if svgs:
            s = svgs[0]
            t.check(s.get("role") == "img" and s.find(SVG + "title") is not None
                    and s.find(SVG + "desc") is not None,
                    what + ": svg has role=img, <title> and <desc>")
        for tb in tables:
            t.check(tb.find(XHTML + "caption") is not None,
                    what + ": table has a caption")
            t.check(all(th.get("scope") in ("col", "row")
                        for th in tb.iter(XHTML + "th")),
                    what + ": every th has a scope")
    t.check(len(list(root.iter(SVG + "svg"))) == len(figures),
            what + ": one <svg> per chart")
    return root, text


def member_details(db):
    """Every member's name, email and mobile in the database."""
    c = sqlite3.connect(db)
    rows = c.execute("SELECT first_name, last_name, email, mobile"
                     " FROM members").fetchall()
    c.close()
    return {v for r in rows for v in r if v and len(v) >= 3}


def bar_values(svg):
    """(width, shown text) of each bar of a bar chart, in order."""
    out, width = [], None
    for el in svg.iter():
        if el.tag == SVG + "rect":
            width = float(el.get("width"))
        elif el.tag == SVG + "text" and el.get("class") == "v":
            out.append((width, el.text or ""))
            width = None
    return out


def check_bars(root, what):
    """Each bar's width is its value times one scale per chart (suppressed
    or empty bars have none); every text lies inside the drawing."""
    for svg in root.iter(SVG + "svg"):
        box = [float(x) for x in svg.get("viewBox").split()]
        for tx in svg.iter(SVG + "text"):
            t.check(0 <= float(tx.get("x")) <= box[2],
                    "%s: chart text inside the drawing (%s)" % (what, tx.text))
        bars = bar_values(svg)
        scales = []
        for w, shown in bars:
            m = re.match(r"^(\d+(?:\.\d+)?)", shown)
            if not m or float(m.group(1)) == 0:
                t.check(w == 0, "%s: no bar for %r" % (what, shown))
                continue
            scales.append(w / float(m.group(1)))
        if scales:
            t.check(max(scales) - min(scales) < 0.02 * max(scales) + 0.2,
                    "%s: bar widths proportional to values %r"
                    % (what, [b[1] for b in bars]))


def check_published(path, what, db):
    """The rules of a page a practice may publish."""
    root, text = parse_page(path, what)
    if root is None:
        return None, text
    t.check("not for publication" not in text.lower(),
            what + ": no staff-view mark")
    small = [c.text for c in root.iter()
             if (c.tag == XHTML + "td" or c.get("class") == "v")
             and c.text and re.fullmatch(r"\s*[1-4]\s*", c.text)]
    t.check(not small, "%s: no count under 5 outside <5 %r" % (what, small))
    body = "".join(root.itertext())
    leaked = [v for v in member_details(db) if v in body]
    t.check(not leaked, "%s: no member name or contact %r" % (what, leaked))
    check_bars(root, what)
    return root, text


def check_internal(path, what):
    root, text = parse_page(path, what)
    t.check("not for publication" in text.lower(),
            what + ": the staff view says not for publication")
    t.check('class="watermark"' in text and ".watermark{display:block}" in text,
            what + ": and so does every printed page")
    return root, text


def test_results(env):
    rc, r, err = env.ppgd_json("results", "fft", "--practice", "P1")
    t.check_eq(rc, 0, "results --json exits 0 (%s)" % err)
    if r is None:
        return
    for k in ("survey", "campaign", "filters", "responses", "completed",
              "completion_rate", "responses_by_channel", "invitations",
              "response_rate", "response_rate_by_channel", "questions"):
        t.check(k in r, "results JSON has %s" % k)
    t.check_eq(r["responses"], 30, "30 responses")
    t.check_eq(r["invitations"], {"email": 20, "sms": 10, "total": 30},
               "invitations per channel")
    t.check_eq(r["response_rate"], 100.0, "response rate 30/30")
    q = r["questions"][0]
    t.check_eq([o["count"] for o in q["options"]], [14, 6, 4, 3, 0, 3],
               "FFT counts")
    # (14 + 6) / 30 and 3 / 30, Don't know in the denominator.
    t.check_eq(q["fft"], {"positive": 66.7, "negative": 10.0,
                          "denominator": 30}, "FFT scores")
    t.check_eq(r["questions"][1]["mean"], 3.0, "scale mean")
    t.check_eq(r["questions"][2]["answers"][0]["text"], EVIL,
               "free text kept as given")
    t.check("member" not in r["questions"][2]["answers"][0],
            "anonymous survey: no member")

    rc, r, err = env.ppgd_json("results", "march-fft", "--by", "age_band")
    t.check_eq(rc, 0, "results CAMPAIGN --by --json exits 0 (%s)" % err)
    groups = r["questions"][0]["by"]["groups"]
    t.check_eq([g["group"] for g in groups], ["16-24", "25-34", "85+"],
               "groups in canonical order")
    old = groups[2]
    t.check(old["respondents"]["shown"] == "<5"
            and old["respondents"].get("suppressed") is True
            and old["respondents"]["count"] is None,
            "a group of 3 is shown as <5 with no count")
    t.check(all(c.get("suppressed") or c["count"] >= 5
                for g in groups for c in g["cells"]),
            "no published cell is under 5")

    rc, out, err = env.ppgd("results", "fft", "--csv", "--by", "sex")
    t.check_eq(rc, 0, "results --csv exits 0 (%s)" % err)
    rows = list(csv.reader(io.StringIO(out)))
    t.check_eq(rows[0], ["question", "type", "group", "option", "label",
                         "count", "percent", "value", "member"], "CSV header")
    t.check(["experience", "fft", "all", "fft_positive", "", "", "66.7", "",
             ""] in rows, "CSV holds the FFT score")

    db = env.sections["daemon"]["database"]
    html = env.path("results.html")
    rc, out, err = env.ppgd("results", "fft", "--by", "age_band", "--practice",
                            "P1", "--html", html)
    t.check_eq(rc, 0, "results --html exits 0 (%s)" % err)
    root, text = check_published(html, "results page", db)
    if root is not None:
        t.check_eq(len(list(root.iter(SVG + "svg"))), 2,
                   "a chart for the fft and the scale question")
        t.check(EVIL not in "".join(root.itertext()),
                "a comment nobody approved is not published")
        t.check("&lt;5" in text, "suppressed cells published as <5")
        t.check("Riverside &amp; &lt;Co&gt;" in text,
                "the practice name in the title")
        t.check("3 March 2025" in text, "dates as people write them")
        t.check("not all patients" in text, "says who was asked")
        # Poor is 3: the negative score would give it away; positive rests
        # on 14 and 6 and is shown.
        t.check("positive (Very good or Good) 66.7%; negative (Poor or Very "
                "poor) not shown" in text, "an FFT score resting on <5 hidden")
    rc, lst, err = env.ppgd_json("comments", "list", "fft", "--pending")
    t.check(rc == 0 and len(lst) == 1 and lst[0]["text"] == EVIL
            and lst[0]["status"] == "pending", "comments list --pending")
    rc, c, err = env.ppgd_json("comments", "approve", str(lst[0]["id"]))
    t.check(rc == 0 and c["status"] == "approved", "comments approve --json")
    rc, c, err = env.ppgd_json("comments", "tag", str(lst[0]["id"]),
                               "--theme", "Access")
    t.check(rc == 0 and c["theme"] == "access", "comments tag --json")
    rc, lst, err = env.ppgd_json("comments", "list", "fft", "--pending")
    t.check(rc == 0 and lst == [], "nothing pending once approved")
    rc, out, err = env.ppgd("results", "fft", "--html", html)
    root, text = check_published(html, "results page, approved", db)
    if root is not None:
        t.check(EVIL in "".join(root.itertext()),
                "the approved comment shown, as text")
        t.check("Themes of the approved comments" in text, "themes table")
    internal = env.path("results-internal.html")
    rc, out, err = env.ppgd("results", "fft", "--html", internal, "--internal")
    t.check_eq(rc, 0, "results --html --internal exits 0 (%s)" % err)
    check_internal(internal, "internal results page")
    rc, out, err = env.ppgd("results", "fft", "--json", "--internal")
    t.check_eq(rc, 2, "--internal is for --html only")

    test_named_survey(env, db)
    test_over_time(env, db)

    rc, out, err = env.ppgd("results", "nosuch")
    t.check_eq(rc, 1, "unknown survey exits 1")
    rc, out, err = env.ppgd("results", "fft", "--by", "height")
    t.check_eq(rc, 2, "a bad --by is a usage error")


def test_named_survey(env, db):
    """A survey that is not anonymous: the staff view names the member; the
    published page never does, and the comment is masked."""
    named = dict(SURVEY, slug="named", anonymous=False,
                 questions=[SURVEY["questions"][2]])
    c = sqlite3.connect(db)
    c.execute("INSERT INTO surveys (id, slug, version, title, anonymous,"
              " definition, hash, loaded_at) VALUES (2, 'named', 1, 'Named',"
              " 0, ?, 'y', 0)", (json.dumps(named),))
    cur = c.execute("INSERT INTO responses (survey_id, practice_id,"
                    " member_id, channel, started_at) VALUES (2, 1, 1, 'web',"
                    " ?)", (T0,))
    c.execute("INSERT INTO answers VALUES (?, 'good', ?, NULL)",
              (cur.lastrowid, "Member0 here: call 07700 900123 or "
               "m0@example.org; Dr Patel was rude"))
    c.commit()
    c.close()
    rc, lst, err = env.ppgd_json("comments", "list", "named")
    t.check(rc == 0 and lst and lst[0]["text"] ==
            "[removed] here: call [removed] or [removed]; Dr [removed] was rude",
            "comment masked before anyone looks (%r)" % lst)
    if lst:
        env.ppgd("comments", "approve", str(lst[0]["id"]))
    html = env.path("named.html")
    rc, out, err = env.ppgd("results", "named", "--html", html)
    root, text = check_published(html, "named survey page", db)
    t.check("Member0" not in text and "07700" not in text
            and "Dr [removed] was rude" in text,
            "published: the moderated text, no member")
    internal = env.path("named-internal.html")
    rc, out, err = env.ppgd("results", "named", "--html", internal,
                            "--internal")
    root, text = check_internal(internal, "named survey, staff view")
    t.check("Member0" in text, "the staff view names the member")
    t.check("07700" not in text and "approved" in text,
            "the staff view shows the comment masked, with its status")


def test_over_time(env, db):
    rc, r, err = env.ppgd_json("results", "fft", "--practice", "P1", "--by",
                               "month", "--from", "2025-02-01")
    t.check_eq(rc, 0, "results --by month --json exits 0 (%s)" % err)
    if r:
        t.check_eq([p["period"] for p in r["periods"]], ["2025-02", "2025-03"],
                   "one period a month from --from to the last response")
        march = r["periods"][1]
        t.check(march["responses"] == 30
                and march["previous"]["period"] == "2025-02"
                and march["previous"]["responses"] == 0,
                "each period with the one before it")
        t.check_eq(march["questions"][0]["fft_positive"], 66.7,
                   "FFT by month")
        t.check_eq(r["periods"][0]["previous"]["period"], "2025-01",
                   "the first period has its previous too")
        t.check_eq(march["label"], "March 2025", "a period's label")
    rc, out, err = env.ppgd("results", "fft", "--by", "quarter", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    t.check(rc == 0 and rows[0] == ["period", "question", "option", "label",
                                    "count", "percent", "previous_count",
                                    "previous_percent"]
            and ["2025-Q1", "", "responses", "", "30", "100", "0", ""] in rows,
            "results --by quarter --csv")
    html = env.path("trend.html")
    rc, out, err = env.ppgd("results", "fft", "--practice", "P1", "--by",
                            "month", "--html", html)
    t.check_eq(rc, 0, "results --by month --html exits 0 (%s)" % err)
    root, text = check_published(html, "results by month page", db)
    t.check("Previous period" in text, "the previous period beside")
    t.check("March 2025" in text and "2025-03" not in text,
            "periods named as people name them")
    rc, out, err = env.ppgd("results", "fft", "--practice", "P1",
                            "--submission", "--month", "2025-03")
    rows = list(csv.reader(io.StringIO(out)))
    t.check_eq(rc, 0, "results --submission exits 0 (%s)" % err)
    t.check_eq(rows[0], ["practice_code", "period", "mode", "very_good",
                         "good", "neither_good_nor_poor", "poor",
                         "very_poor", "dont_know", "total"],
               "FFT submission header")
    t.check(["P1", "2025-03", "SMS/Text message", "7", "3", "2", "2", "0",
             "1", "15"] in rows, "FFT submission: the SMS answers")
    t.check(sum(int(x[-1]) for x in rows[1:]) == 30, "every answer once")
    rc, j, err = env.ppgd_json("results", "fft", "--practice", "P1",
                               "--submission", "--month", "2025-04")
    t.check(rc == 0 and all(x["total"] == 0 for x in j),
            "an empty month is all zeros (--json)")
    rc, out, err = env.ppgd("results", "fft", "--submission", "--month",
                            "2025-03")
    t.check(rc == 0 and out.startswith("practice_code,") and "\nP1,2025-03,"
            in out, "--submission: the only practice by default")
    rc, out, err = env.ppgd("results", "fft", "--submission")
    t.check_eq(rc, 2, "--submission needs --month")
    rc, out, err = env.ppgd("results", "fft", "--practice", "P1",
                            "--submission", "--month", "March")
    t.check_eq(rc, 1, "a bad month exits 1")


def test_representation(env):
    pop = os.path.join(t.TOP, "config", "demo", "population.csv")
    rc, out, err = env.ppgd("practice", "profile", "P1", pop)
    t.check_eq(rc, 0, "practice profile loads the demo CSV (%s)" % err)
    t.check("loaded 16 population rows" in out, "16 rows loaded")
    bad = env.path("bad.csv")
    with open(bad, "w") as f:
        f.write("field,value,patients\nage_band,16-24,x\n")
    rc, out, err = env.ppgd("practice", "profile", "P1", bad)
    t.check(rc == 1 and "bad.csv:2:" in err, "a bad profile names the line")

    rc, r, err = env.ppgd_json("report", "representation", "--practice", "P1")
    t.check_eq(rc, 0, "report representation --json exits 0 (%s)" % err)
    ages = r["fields"][0]
    t.check_eq(ages["field"], "age_band", "age bands first")
    t.check_eq(ages["patients"], 9000 - 1665, "0-15 left out of the base")
    g = {x["value"]: x for x in ages["groups"]}
    # 1 of 10 members vs 945/7335 patients: 0.1 / 0.1288 = 0.78.
    t.check_eq(g["16-24"]["ratio"], 0.78, "16-24 ratio")
    t.check(g["16-24"]["under_represented"], "16-24 flagged")
    t.check_eq(g["16-24"]["audience"], "age_band=16-24", "audience expression")
    t.check_eq(g["25-34"]["ratio"], 0.0, "no 25-34 members")
    t.check(not g["65-74"]["under_represented"], "65-74 over-represented")
    t.check_eq(r["seldom_heard"], [{"tag": "carer", "members": 1}],
               "seldom-heard tags with counts")
    db = env.sections["daemon"]["database"]
    html = env.path("rep.html")
    rc, out, err = env.ppgd("report", "representation", "--practice", "P1",
                            "--html", html)
    t.check_eq(rc, 0, "representation --html exits 0")
    root, text = check_published(html, "representation page", db)
    if root is not None:
        t.check(root.find(".//" + SVG + "line[@class='ref']") is not None,
                "a reference line at 1.0")
        t.check("16 to 24" in text and "age_band" not in text,
                "human labels, no field names")
        t.check("as at" in text.lower(), "an as-at date")
    internal = env.path("rep-internal.html")
    rc, out, err = env.ppgd("report", "representation", "--practice", "P1",
                            "--html", internal, "--internal")
    t.check_eq(rc, 0, "representation --internal exits 0")
    root, text = check_internal(internal, "internal representation page")
    if root is not None:
        t.check("age_band=16-24" in text, "staff view keeps the audience")


def test_actions(env):
    rc, a, err = env.ppgd_json("action", "add", "--practice", "P1", "--area",
                               "Access", "--title", "More phone lines " + EVIL,
                               "--owner", "Dr Secret Owner", "--due",
                               "2025-06-30", "--from-survey", "fft")
    t.check_eq(rc, 0, "action add exits 0 (%s)" % err)
    t.check(a and a["status"] == "proposed" and a["owner"] == "Dr Secret Owner",
            "action add --json shape")
    rc, a, err = env.ppgd_json("action", "update", str(a["id"]), "--status",
                               "agreed", "--note", "Agreed with the group")
    t.check(rc == 0 and a["status"] == "agreed" and len(a["notes"]) == 1,
            "action update adds a note")
    for area in ("Online", "Waiting room"):
        rc, b, err = env.ppgd_json("action", "add", "--practice", "P1",
                                   "--area", area, "--title", "t")
        env.ppgd("action", "update", str(b["id"]), "--status", "in-progress")
    env.ppgd("action", "add", "--practice", "P1", "--area", "Hidden",
             "--title", "still proposed")
    rc, out, err = env.ppgd("action", "update", "1", "--status", "finished")
    t.check_eq(rc, 1, "a bad status exits 1")
    rc, lst, err = env.ppgd_json("action", "list", "--practice", "P1")
    t.check(rc == 0 and len(lst) == 4, "action list --json lists 4")

    with env.serve() as d:
        st, hd, body = t.http_get(d.url + "/practice/P1/actions")
        t.check_eq(st, 200, "GET /practice/P1/actions")
        t.check(hd.get("Content-Type", "").startswith("text/html"), "HTML")
        page = env.path("actions.html")
        with open(page, "wb") as f:
            f.write(body)
        root, text = parse_page(page, "public action page")
        t.check(b"Secret" not in body, "no owner on the public page")
        t.check(b"still proposed" not in body, "proposed actions not public")
        if root is not None:
            t.check(EVIL in "".join(root.itertext()), "title escaped")
        st, hd, body = t.http_get(d.url + "/practice/P1/actions?format=json")
        j = json.loads(body)
        t.check(st == 200 and len(j["actions"]) == 3
                and "owner" not in j["actions"][0], "?format=json, no owner")
        st, hd, body = t.http_get(d.url + "/practice/P1/actions",
                                  headers={"Accept": "application/json"})
        t.check(st == 200 and body.startswith(b"{"), "Accept: application/json")
        st, hd, body = t.http_get(d.url + "/practice/NOPE/actions")
        t.check_eq(st, 404, "unknown practice: 404")
        st, hd, body = t.http_get(d.url + "/practice/P1/other")
        t.check_eq(st, 404, "other path: 404")


def test_meetings(env):
    """A meeting counts as held once its time has passed; held and cancel
    say otherwise."""
    ids = []
    for at in ("2025-02-10T18:00:00Z", "2025-05-10T18:00:00Z",
               "2099-01-10T18:00:00Z", "2099-02-10T18:00:00Z"):
        rc, m, err = env.ppgd_json("meeting", "add", "--practice", "P1",
                                   "--at", at, "--where", "Library")
        t.check_eq(rc, 0, "meeting add (%s)" % err)
        ids.append(str(m["id"]) if m else "0")
    rc, m, err = env.ppgd_json("meeting", "show", ids[2])
    t.check(rc == 0 and m["status"] == "planned", "a future meeting is planned")
    rc, m, err = env.ppgd_json("meeting", "show", ids[0])
    t.check(rc == 0 and m["status"] == "held", "a past meeting was held")
    rc, m, err = env.ppgd_json("meeting", "cancel", ids[1])
    t.check(rc == 0 and m["status"] == "cancelled", "meeting cancel --json")
    rc, out, err = env.ppgd("meeting", "held", ids[3])
    t.check(rc == 0 and "marked held" in out, "meeting held")
    rc, out, err = env.ppgd("meeting", "held", "999")
    t.check(rc == 1 and "no meeting 999" in err, "an unknown meeting exits 1")
    rc, lst, err = env.ppgd_json("meeting", "list")
    t.check([x["status"] for x in lst] == ["held", "cancelled", "planned",
                                          "held"], "meeting list statuses")


def test_annual(env):
    rc, r, err = env.ppgd_json("report", "annual", "--practice", "P1",
                               "--year", "2025")
    t.check_eq(rc, 0, "report annual --json exits 0 (%s)" % err)
    if r is None:
        return
    for k in ("members", "representation", "meetings", "surveys", "fft_trend",
              "actions", "messages", "framework"):
        t.check(k in r, "annual JSON has %s" % k)
    t.check_eq(len(r["fft_trend"]), 12, "twelve months")
    t.check_eq(r["fft_trend"][2]["positive"], 66.7, "March FFT positive")
    t.check_eq(r["surveys"][0]["response_rate"], 100.0, "survey response rate")
    t.check_eq(r["messages"]["email"], 20, "emails sent")
    t.check_eq((r["meetings"]["held"], r["meetings"]["cancelled"]), (1, 1),
               "2025: one meeting held, one cancelled")
    m = r["members"]
    t.check(m["start"] + m["joined"] - m["left"] == m["end"]
            == r["representation"]["members"], "one membership figure")
    t.check_eq(len(r["framework"]["bronze"]), 4, "four bronze criteria")
    t.check(all("status" in c and "evidence" in c and "missing" in c
                for lvl in ("bronze", "silver", "gold")
                for c in r["framework"][lvl]), "criteria shape")
    html = env.path("annual.html")
    rc, out, err = env.ppgd("report", "annual", "--practice", "P1", "--year",
                            "2025", "--html", html)
    t.check_eq(rc, 0, "annual --html exits 0 (%s)" % err)
    root, text = check_published(html, "annual page",
                                 env.sections["daemon"]["database"])
    if root is not None:
        t.check(root.find(".//" + SVG + "polyline") is not None,
                "FFT trend drawn as a line")
        heads = [h.text for h in root.iter(XHTML + "h2")]
        for want in ("1. The group's profile", "2. How the practice engaged",
                     "3. Priority areas", "4. Actions, outcomes",
                     "5. Where this report is published", "Self-assessment"):
            t.check(any(h and h.startswith(want) for h in heads),
                    "annual report section: " + want)
    internal = env.path("annual-internal.html")
    rc, out, err = env.ppgd("report", "annual", "--practice", "P1", "--year",
                            "2025", "--html", internal, "--internal")
    t.check_eq(rc, 0, "annual --internal exits 0")
    check_internal(internal, "internal annual page")
    rc, out, err = env.ppgd("report", "annual", "--practice", "P1")
    t.check_eq(rc, 2, "annual without --year is a usage error")


def main():
    env = t.TestEnv("reports")
    rc, out, err = env.ppgd("init")
    t.check_eq(rc, 0, "init (%s)" % err)
    rc, out, err = env.ppgd("practice", "add", "P1", "--name", "Riverside & <Co>")
    t.check_eq(rc, 0, "practice add (%s)" % err)
    seed(env.sections["daemon"]["database"])
    test_results(env)
    test_representation(env)
    test_actions(env)
    test_meetings(env)
    test_annual(env)
    t.finish()


if __name__ == "__main__":
    main()
