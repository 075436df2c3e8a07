#!/usr/bin/env python3
"""The admin API for the group's year against a real `ppgd serve`: meetings
made (one, a series, with campaigns), moved, cancelled, their attendance and
minutes; the evidence log (list, add with a base64 file or a link, remove,
kinds); the annual report and its sign-off. Each call does what the CLI
does, is audited as api:NAME, and answers errors as problems."""

import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
import test_api  # noqa: E402  (its setup, tokens and helpers)
from test_api import call, expect, query  # noqa: E402


def actors(env, action):
    return {r["actor"] for r in query(env, "SELECT actor FROM audit WHERE action = ?", action)}


def problem(env, method, path, status, what, body=None):
    st, hdrs, doc = call(env, method, path, body=body)
    t.check(st == status and (hdrs.get("Content-Type") or "").startswith(
        "application/problem+json") and isinstance(doc, dict) and doc.get("detail"),
        "%s %s -> %d problem: %s (got %s %r)" % (method, path, status, what, st, doc))
    return doc


def test_meeting_create(env):
    body = {"practice": "A81001", "at": "2030-03-10T18:30", "where": "Library",
            "campaigns": True, "channels": "email"}
    st, hdrs, doc = call(env, "POST", "/api/v1/meetings", body=body)
    t.check(st == 201 and doc and doc["where"] == "Library"
            and doc["at"] == "2030-03-10T18:30:00+00:00", "201 with the meeting (%s %r)" % (st, doc))
    mid = doc["id"] if doc else 0
    t.check_eq(hdrs.get("Location"), "/api/v1/meetings/%d" % mid, "Location names it")
    t.check_eq(sorted(c["name"] for c in doc["campaigns"]) if doc else None,
               ["meeting-%d-%s" % (mid, k) for k in ("feedback", "invitation", "reminder")],
               "its three campaigns were made, as by meeting add --campaigns")
    t.check_eq(actors(env, "meeting.add") & {"api:records"}, {"api:records"},
               "the meeting is audited as api:records")
    st, _, got = call(env, "GET", "/api/v1/meetings/%d" % mid)
    t.check(st == 200 and got["where"] == "Library", "GET reads it back")
    # A series: four meetings, three months apart, sharing a series id.
    st, _, doc = call(env, "POST", "/api/v1/meetings", body={
        "practice": "A81001", "at": "2031-01-20T18:30", "where": "Hall",
        "every": "3m", "count": 4})
    ms = doc.get("meetings", []) if st == 201 else []
    t.check(len(ms) == 4 and len({m["series"] for m in ms}) == 1 and ms[0]["series"],
            "a series of 4 shares one series id (%s %r)" % (st, doc))
    t.check_eq([m["at"][:10] for m in ms],
               ["2031-01-20", "2031-04-20", "2031-07-20", "2031-10-20"],
               "each three months after the last, at the same local time")
    before = len(query(env, "SELECT id FROM meetings"))
    for b, status, what in (
            ({"practice": "A81001", "at": "2030-03-10T18:30"}, 400, "no where"),
            (dict(body, colour="red"), 400, "an unknown key"),
            (dict(body, at="next tuesday"), 400, "a bad time"),
            (dict(body, campaigns="yes"), 400, "campaigns not a boolean"),
            (dict(body, campaigns=False), 400, "channels without campaigns"),
            (dict(body, every="3y"), 400, "a bad every"),
            (dict(body, every="3m", count=99), 400, "too long a series"),
            (dict(body, link="javascript:alert(1)"), 400, "a link not http(s)"),
            (dict(body, practice="Z99999"), 404, "an unknown practice")):
        problem(env, "POST", "/api/v1/meetings", status, what, body=b)
    t.check_eq(len(query(env, "SELECT id FROM meetings")), before,
               "no refused create stored a meeting")
    return mid


def test_meeting_update(env, mid):
    inv = "meeting-%d-invitation" % mid
    old = query(env, "SELECT next_fire_at FROM campaigns WHERE name = ?", inv)[0]
    st, _, doc = call(env, "PATCH", "/api/v1/meetings/%d" % mid,
                      body={"at": "2030-03-17T19:00", "where": "Main Hall"})
    t.check(st == 200 and doc["where"] == "Main Hall" and doc["at"] == "2030-03-17T19:00:00+00:00"
            and doc["notice"]["campaigns"] == 3,
            "PATCH moves it; the notice says 3 campaigns retimed (%s %r)" % (st, doc))
    new = query(env, "SELECT next_fire_at FROM campaigns WHERE name = ?", inv)[0]
    t.check_eq(new["next_fire_at"] - old["next_fire_at"], 7 * 86400 + 1800,
               "the invitation follows the meeting (a week and half an hour later)")
    t.check("api:records" in actors(env, "meeting.update") | actors(env, "meeting.move"),
            "the move is audited as api:records (%r)" % query(
                env, "SELECT action, actor FROM audit WHERE actor = 'api:records'"))
    problem(env, "PATCH", "/api/v1/meetings/%d" % mid, 400, "a bad time", body={"at": "soon"})
    problem(env, "PATCH", "/api/v1/meetings/%d" % mid, 400, "an unknown key", body={"room": "x"})
    problem(env, "PATCH", "/api/v1/meetings/999999", 404, "no such meeting", body={"where": "x"})


def test_attendance_minutes(env, mid):
    st, _, m = call(env, "POST", "/api/v1/members", body={
        "practice": "A81001", "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.org"})
    member = m["id"] if st == 201 else 0
    st, _, doc = call(env, "PUT", "/api/v1/meetings/%d/attendance" % mid, body={
        "present": [member], "staff": ["Practice Manager"], "gp_partner": ["Dr Patel"]})
    roles = sorted(a["role"] for a in doc.get("attendance", [])) if st == 200 else []
    t.check(roles == ["gp-partner", "member", "staff"] and doc["status"] == "held",
            "attendance recorded and the meeting marked held (%s %r)" % (st, doc))
    ev = query(env, "SELECT kind, meeting_id FROM evidence WHERE kind = 'gp-partner-attended'")
    t.check_eq(ev, [{"kind": "gp-partner-attended", "meeting_id": mid}],
               "the GP partner's attendance is evidence linked to the meeting")
    problem(env, "PUT", "/api/v1/meetings/%d/attendance" % mid, 400, "nobody", body={})
    problem(env, "PUT", "/api/v1/meetings/%d/attendance" % mid, 400, "ids not numbers",
            body={"present": ["Ada"]})
    st, _, doc = call(env, "PUT", "/api/v1/meetings/%d/minutes" % mid,
                      body={"text": "We agreed three priorities.", "publish": True})
    t.check(st == 200 and doc["minutes"] == "We agreed three priorities."
            and doc["published"] is True and doc["sent"] is None,
            "minutes stored and published, not sent (%s %r)" % (st, doc))
    t.check(query(env, "SELECT published_at FROM meetings WHERE id = ?", mid)[0]["published_at"],
            "the minutes are a public page")
    st, _, doc = call(env, "PUT", "/api/v1/meetings/%d/minutes" % mid,
                      body={"text": "We agreed three priorities.", "send": True,
                            "channels": "email"})
    t.check(st == 200 and doc["sent"] and doc["sent"]["campaign"] == "meeting-%d-minutes" % mid,
            "send: the minutes go out as meeting-ID-minutes (%s %r)" % (st, doc and doc.get("sent")))
    t.check_eq(actors(env, "campaign.add") & {"api:records"}, {"api:records"},
               "the minutes campaign is audited as api:records")
    problem(env, "PUT", "/api/v1/meetings/%d/minutes" % mid, 409, "sent twice",
            body={"text": "Again.", "send": True})
    t.check_eq(query(env, "SELECT minutes FROM meetings WHERE id = ?", mid),
               [{"minutes": "We agreed three priorities."}],
               "the refused second send leaves the stored minutes alone")
    problem(env, "PUT", "/api/v1/meetings/%d/minutes" % mid, 400, "no text", body={"publish": True})
    problem(env, "PUT", "/api/v1/meetings/%d/minutes" % mid, 400, "template without send",
            body={"text": "x", "template": "meeting-minutes"})
    problem(env, "PUT", "/api/v1/meetings/%d/nothing" % mid, 404, "an unknown action", body={})


def test_cancel(env):
    st, _, doc = call(env, "POST", "/api/v1/meetings", body={
        "practice": "A81001", "at": "2030-06-10T18:30", "where": "Library", "campaigns": True})
    mid = doc["id"] if st == 201 else 0
    st, _, doc = call(env, "POST", "/api/v1/meetings/%d/cancel" % mid, body={})
    t.check(st == 200 and doc["status"] == "cancelled" and doc["notice"]["campaigns"] == 3,
            "cancelled, its 3 campaigns stopped (%s %r)" % (st, doc))
    states = {r["state"] for r in query(
        env, "SELECT state FROM campaigns WHERE name LIKE ?", "meeting-%d-%%" % mid)}
    t.check("active" not in states and "scheduled" not in states,
            "no campaign of it will fire (%r)" % states)
    problem(env, "POST", "/api/v1/meetings/%d/cancel" % mid, 400, "a body with keys",
            body={"why": "x"})
    problem(env, "POST", "/api/v1/meetings/999999/cancel", 404, "no such meeting", body={})
    problem(env, "GET", "/api/v1/meetings/%d/cancel" % mid, 405, "GET on an action")


def test_evidence(env):
    st, _, doc = call(env, "GET", "/api/v1/evidence/kinds")
    kinds = [k["kind"] for k in doc["kinds"]] if st == 200 else []
    t.check("terms-of-reference" in kinds and "newsletter" in kinds, "the kinds (%r)" % kinds)
    text = b"Terms of reference of the Riverside PPG.\n"
    st, hdrs, doc = call(env, "POST", "/api/v1/evidence", body={
        "practice": "A81001", "kind": "terms-of-reference", "date": "2030-02-01",
        "file": base64.b64encode(text).decode(), "file_name": "tor.txt"})
    fid = doc["id"] if st == 201 else 0
    t.check(st == 201 and doc["file"]["bytes"] == len(text) and doc["practice"] == "A81001",
            "201 with the stored file described (%s %r)" % (st, doc))
    t.check_eq(hdrs.get("Location"), "/api/v1/evidence/%d" % fid, "Location names it")
    stored = query(env, "SELECT file FROM evidence WHERE id = ?", fid)
    t.check(stored and stored[0]["file"] == text, "the file is stored byte for byte")
    st, hdrs, raw = t.http_request("GET", env.api + "/api/v1/evidence/%d/file" % fid, None,
                                   {"Authorization": "Bearer " + test_api.TOKENS["records"]})
    t.check(st == 200 and raw == text and hdrs.get("Content-Type", "").startswith("text/plain")
            and hdrs.get("Content-Disposition") == 'attachment; filename="tor.txt"',
            "GET .../file gives the stored file back (%s %r %r)" % (st, raw[:60], hdrs))
    st, _, doc = call(env, "POST", "/api/v1/evidence", body={
        "practice": "A81001", "kind": "newsletter", "date": "2030-05-01",
        "link": "https://riverside.example/news", "title": "Spring newsletter"})
    lid = doc["id"] if st == 201 else 0
    t.check(st == 201 and doc["link"] == "https://riverside.example/news", "a link (%s %r)" % (st, doc))
    t.check_eq(actors(env, "evidence.add") & {"api:records"}, {"api:records"},
               "evidence is audited as api:records")
    st, _, doc = call(env, "POST", "/api/v1/evidence", body={
        "practice": "A81001", "kind": "minutes", "date": "2030-01-15",
        "link": "https://riverside.example/minutes", "meeting": 1})
    t.check(st == 201 and doc["meeting"] == 1, "evidence linked to a meeting (%s %r)" % (st, doc))
    st, _, doc = call(env, "GET", "/api/v1/evidence?practice=A81001&kind=newsletter")
    t.check_eq([e["id"] for e in doc["evidence"]] if st == 200 else None, [lid],
               "list filters by practice and kind")
    st, _, doc = call(env, "GET", "/api/v1/evidence?from=2030-01-01&to=2030-03-01")
    t.check(st == 200 and fid in [e["id"] for e in doc["evidence"]]
            and lid not in [e["id"] for e in doc["evidence"]], "list filters by date")
    before = len(query(env, "SELECT id FROM evidence"))
    base = {"practice": "A81001", "kind": "newsletter", "date": "2030-05-01",
            "link": "https://riverside.example/n"}
    for b, status, what in (
            (dict(base, kind="gossip"), 400, "an unknown kind"),
            (dict(base, date="May"), 400, "a bad date"),
            ({"practice": "A81001", "kind": "newsletter", "date": "2030-05-01",
              "file": "!!!!", "file_name": "x.txt"}, 400, "bad base64"),
            (dict(base, file=base64.b64encode(b"x").decode()), 400, "a file without a name"),
            ({"practice": "A81001", "kind": "newsletter", "date": "2030-05-01",
              "file": base64.b64encode(b"MZ\x90\x00\x03binary").decode(),
              "file_name": "x.exe"}, 400, "a file type not accepted"),
            (dict(base, meeting=999999), 400, "a meeting that is not there"),
            (dict(base, meeting=2), 400, "another practice's meeting"),
            (dict(base, colour="red"), 400, "an unknown key"),
            (dict(base, practice="Z99999"), 404, "an unknown practice")):
        problem(env, "POST", "/api/v1/evidence", status, what, body=b)
    t.check_eq(len(query(env, "SELECT id FROM evidence")), before, "no refused add stored")
    st, _, doc = call(env, "GET", "/api/v1/evidence/%d" % fid)
    t.check(st == 200 and doc["kind"] == "terms-of-reference", "GET one (%s)" % st)
    st, _, doc = call(env, "DELETE", "/api/v1/evidence/%d" % lid)
    t.check_eq((st, doc), (200, {"id": lid, "removed": True}),
               "DELETE removes it, answering as evidence remove --json")
    st, _, doc = call(env, "GET", "/api/v1/evidence?practice=A81001")
    t.check(st == 200 and lid not in [e["id"] for e in doc["evidence"]], "gone from the list")
    t.check_eq(actors(env, "evidence.remove"), {"api:records"}, "removal audited as api:records")
    problem(env, "DELETE", "/api/v1/evidence/%d" % lid, 404, "removed twice")
    problem(env, "GET", "/api/v1/evidence/%d/file" % lid, 404, "the file of removed evidence")
    problem(env, "GET", "/api/v1/evidence/%d/other" % fid, 404, "an unknown sub-path")
    problem(env, "GET", "/api/v1/evidence?kind=gossip", 400, "list of an unknown kind")


def test_annual(env):
    st, _, doc = call(env, "GET", "/api/v1/reports/annual?practice=A81001&year=2030")
    t.check(st == 200 and doc.get("framework") and doc.get("sign_off") is None,
            "the annual report with the framework, not signed (%s %r)" % (st, str(doc)[:200]))
    want = t.ppgd_json("report", "annual", "--practice", "A81001", "--year", "2030",
                       "--json", conf=env.conf)[1]
    t.check_eq(sorted(doc or {}), sorted(want or {}), "the same parts as report annual --json")
    st, _, doc = call(env, "POST", "/api/v1/reports/annual/sign-off", body={
        "practice": "A81001", "year": 2030, "by": "Jane Smith, PPG chair"})
    t.check(st == 200 and doc["sign_off"] and "Jane Smith" in str(doc["sign_off"]),
            "signed off; the report shows who (%s %r)" % (st, doc and doc.get("sign_off")))
    t.check_eq(actors(env, "report.sign-off"), {"api:records"}, "sign-off audited as api:records")
    problem(env, "GET", "/api/v1/reports/annual?practice=A81001", 400, "no year")
    problem(env, "GET", "/api/v1/reports/annual?practice=A81001&year=2030&x=1", 400,
            "an unknown parameter")
    problem(env, "POST", "/api/v1/reports/annual/sign-off", 400, "no by",
            body={"practice": "A81001", "year": 2030})
    problem(env, "POST", "/api/v1/reports/annual/sign-off", 400, "two lines",
            body={"practice": "A81001", "year": 2030, "by": "Jane\nSmith"})
    problem(env, "GET", "/api/v1/reports/quarterly", 404, "no such report")


def main():
    env = t.TestEnv("api_cycle")
    test_api.setup(env, t.free_port())
    rc, _, err = env.ppgd("meeting", "add", "--practice", "B82002", "--at",
                          "2030-01-16T18:30", "--where", "Hillside hall")
    t.check(rc == 0, "a meeting at another practice (%r)" % err)
    with env.serve() as d:
        mid = test_meeting_create(env)
        test_meeting_update(env, mid)
        test_attendance_minutes(env, mid)
        test_cancel(env)
        test_evidence(env)
        test_annual(env)
    t.check_eq(d.returncode, 0, "serve stops cleanly")
    t.finish()


if __name__ == "__main__":
    main()
