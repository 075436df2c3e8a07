#!/usr/bin/env python3
"""Practice scope of API tokens against a real `ppgd serve`: a token that
names practices in the tokens file reads and changes only theirs. A table
of every /api/v1 route x own/other practice, the refused writes leave the
database alone, lists hold only the token's practices, and a token that
names no practice still sees them all."""

import json
import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TOKENS = {"all": ("all-0123456789abcdefghij", ""),
          "riverside": ("riv-0123456789abcdefghij", "A81001"),
          "two": ("two-0123456789abcdefghij", "A81001,C83003")}
OWN, OTHER = "A81001", "B82002"


def setup(env, api_port):
    env.api = "http://127.0.0.1:%d" % api_port
    body = "# name token [CODE,CODE...]\n" + "".join(
        "%s %s %s\n" % (n, tok, codes) for n, (tok, codes) in TOKENS.items())
    env.write_config({
        "api": {"listen": "127.0.0.1:%d" % api_port,
                "tokens_file": env.write_secret("api-tokens", body)},
        "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
        "campaign": {"frequency_cap": 0},
        "http": {"public_metrics": None}})
    for args in (["init"],
                 ["practice", "add", "A81001", "--name", "Riverside Surgery",
                  "--email-from", "ppg@riverside.example"],
                 ["practice", "add", "B82002", "--name", "Hillside Practice",
                  "--email-from", "ppg@hillside.example"],
                 ["practice", "add", "C83003", "--name", "Valley Practice",
                  "--email-from", "ppg@valley.example"],
                 ["survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml")]):
        rc, out, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%r)" % (" ".join(args[:2]), err))


def call(env, method, path, body=None, token="riverside"):
    h = {"Authorization": "Bearer " + TOKENS[token][0]}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    status, _, out = t.http_request(method, env.api + path, data, h)
    try:
        return status, json.loads(out)
    except ValueError:
        return status, None


def query(env, sql, *args):
    con = sqlite3.connect(env.path("ppgd.db"))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def seed(env):
    """One member per practice and a broadcast in A and B, by the token of
    every practice."""
    env.member = {}
    for code, email in (("A81001", "ann@example.org"), ("B82002", "bob@example.org"),
                        ("C83003", "cat@example.org")):
        st, doc = call(env, "POST", "/api/v1/members", token="all",
                       body={"practice": code, "email": email, "first_name": "M" + code,
                             "consent_email": True})
        t.check(st == 201, "the all-practices token adds a member to %s (%d %r)"
                % (code, st, doc))
        env.member[code] = doc["id"] if st == 201 else 0
    env.meeting = {}
    for code in (OWN, OTHER):
        rc, doc, err = env.ppgd_json("meeting", "add", "--practice", code,
                                     "--at", "2031-05-01T18:30", "--where",
                                     "Community room")
        t.check(rc == 0, "meeting add %s (%r)" % (code, err))
        env.meeting[code] = doc["id"] if rc == 0 else 0
    env.evidence = {}
    for code in (OWN, OTHER):
        path = env.path("news-%s.txt" % code)
        with open(path, "w") as f:
            f.write("Newsletter of %s.\n" % code)
        rc, doc, err = env.ppgd_json("evidence", "add", "--practice", code,
                                     "--kind", "newsletter", "--date", "2031-02-01",
                                     "--file", path)
        t.check(rc == 0, "evidence add %s (%r)" % (code, err))
        env.evidence[code] = doc["id"] if rc == 0 else 0
    # A pending join request per practice (as the /join page leaves them).
    con = sqlite3.connect(env.path("ppgd.db"))
    env.join = {}
    for pid, code in ((1, OWN), (2, OTHER), (3, "C83003")):
        cur = con.execute(
            "INSERT INTO join_requests (practice_id, state, via, first_name,"
            " email, data, created_at, expires_at) VALUES (?, 'pending',"
            " 'web', 'Jo', ?, '{}', strftime('%s','now'),"
            " strftime('%s','now') + 86400)", (pid, "jo@%s.example" % code))
        env.join[code] = cur.lastrowid
    con.commit()
    con.close()
    for code in (OWN, OTHER):
        st, doc = call(env, "POST", "/api/v1/broadcasts", token="all",
                       body={"practice": code, "template": "broadcast",
                             "message": "Hello.", "channels": "email",
                             "name": "News " + code})
        t.check(st == 202, "the all-practices token broadcasts for %s (%d %r)"
                % (code, st, doc))


def routes(env, code):
    """(method, path, body, status for the riverside token) of every route
    acting for practice code."""
    own = code == OWN
    mid = env.member[code]
    deny = 200 if own else 403
    gone = 200 if own else 404
    return [
        ("GET", "/api/v1/members?practice=" + code, None, deny),
        ("POST", "/api/v1/members", {"practice": code, "email": "new%s@example.org" % code},
         201 if own else 403),
        ("GET", "/api/v1/members/%d" % mid, None, gone),
        ("PATCH", "/api/v1/members/%d" % mid, {"first_name": "Changed"}, gone),
        ("PATCH", "/api/v1/members/%d" % env.member[OWN], {"practice": code},
         200 if own else 403),
        ("POST", "/api/v1/broadcasts", {"practice": code, "template": "broadcast",
                                        "message": "Hi.", "channels": "email"},
         202 if own else 403),
        ("GET", "/api/v1/campaigns?practice=" + code, None, deny),
        ("GET", "/api/v1/campaigns/" + urllib.parse.quote("News " + code), None, gone),
        ("GET", "/api/v1/results/fft?practice=" + code, None, deny),
        # A broadcast has no survey: 422 to its own practice, not there to another.
        ("GET", "/api/v1/results/" + urllib.parse.quote("News " + code), None,
         422 if own else 404),
        ("GET", "/api/v1/results/fft/comments?practice=" + code, None, deny),
        ("GET", "/api/v1/results/fft/comments?internal=yes&practice=" + code, None,
         deny),
        ("GET", "/api/v1/results/%s/comments" % urllib.parse.quote("News " + code),
         None, 422 if own else 404),
        ("GET", "/api/v1/join-requests?practice=" + code, None, deny),
        ("GET", "/api/v1/meetings?practice=" + code, None, deny),
        ("GET", "/api/v1/meetings/%d" % env.meeting[code], None, gone),
        ("POST", "/api/v1/meetings", {"practice": code, "at": "2031-06-01T18:30",
                                      "where": "Room 2"}, 201 if own else 403),
        ("PATCH", "/api/v1/meetings/%d" % env.meeting[code], {"where": "Hall"}, gone),
        ("PUT", "/api/v1/meetings/%d/attendance" % env.meeting[code],
         {"staff": ["Practice Manager"]}, gone),
        ("PUT", "/api/v1/meetings/%d/minutes" % env.meeting[code],
         {"text": "Notes.", "publish": True}, gone),
        # Another practice's member did not come to our meeting.
        ("PUT", "/api/v1/meetings/%d/attendance" % env.meeting[OWN],
         {"present": [env.member[code]]}, 200 if own else 400),
        ("POST", "/api/v1/meetings/%d/cancel" % env.meeting[code], {}, gone),
        ("GET", "/api/v1/evidence?practice=" + code, None, deny),
        ("POST", "/api/v1/evidence", {"practice": code, "kind": "notice",
                                      "date": "2031-03-01",
                                      "link": "https://x.example/poster"},
         201 if own else 403),
        # Linking another practice's meeting is refused as no such meeting.
        ("POST", "/api/v1/evidence", {"practice": OWN, "kind": "minutes",
                                      "date": "2031-03-01", "link": "https://x.example/m",
                                      "meeting": env.meeting[code]},
         201 if own else 400),
        ("GET", "/api/v1/evidence/%d" % env.evidence[code], None, gone),
        ("GET", "/api/v1/evidence/%d/file" % env.evidence[code], None, gone),
        ("DELETE", "/api/v1/evidence/%d" % env.evidence[code], None,
         200 if own else 404),
        ("GET", "/api/v1/evidence/kinds", None, 200),
        ("GET", "/api/v1/reports/annual?year=2031&practice=" + code, None, deny),
        ("POST", "/api/v1/reports/annual/sign-off",
         {"practice": code, "year": 2031, "by": "Jane Smith, PPG chair"}, deny),
        ("POST", "/api/v1/join-requests/%d/reject" % env.join[code],
         {"reason": "not registered here"}, gone),
        ("DELETE", "/api/v1/members/%d" % mid, None, gone),
    ]


def test_table(env):
    members = query(env, "SELECT id, practice_id, first_name, erased_at FROM members"
                         " ORDER BY id")
    joins = query(env, "SELECT id, state FROM join_requests ORDER BY id")
    audits = query(env, "SELECT count(*) FROM audit")[0][0]
    campaigns = query(env, "SELECT count(*) FROM campaigns")[0][0]
    meetings = query(env, "SELECT * FROM meetings ORDER BY id")
    evidence = query(env, "SELECT * FROM evidence ORDER BY id")
    signoffs = query(env, "SELECT count(*) FROM signoffs")[0][0]
    attendance = query(env, "SELECT * FROM meeting_attendance ORDER BY rowid")
    for method, path, body, want in routes(env, OTHER):
        st, doc = call(env, method, path, body)
        if want == 200:  # a call of no practice
            t.check_eq(st, want, "%s %s -> %d" % (method, path, want))
            continue
        t.check(st == want and isinstance(doc, dict) and doc.get("error")
                and doc.get("status") == want
                and (want != 403 or doc.get("title") == "Forbidden"),
                "other practice: %s %s -> %d with a problem (got %d %r)"
                % (method, path, want, st, doc))
    t.check_eq(query(env, "SELECT id, practice_id, first_name, erased_at FROM members"
                          " ORDER BY id"), members,
               "the refused calls change no member")
    t.check_eq(query(env, "SELECT count(*) FROM audit")[0][0], audits,
               "the refused calls write no audit row")
    t.check_eq(query(env, "SELECT id, state FROM join_requests ORDER BY id"), joins,
               "the refused calls decide no join request")
    t.check_eq(query(env, "SELECT count(*) FROM campaigns")[0][0], campaigns,
               "the refused broadcast makes no campaign")
    t.check_eq(query(env, "SELECT * FROM meetings ORDER BY id"), meetings,
               "the refused calls make, move, cancel or minute no meeting")
    t.check_eq(query(env, "SELECT * FROM evidence ORDER BY id"), evidence,
               "the refused calls add or remove no evidence")
    t.check_eq(query(env, "SELECT count(*) FROM signoffs")[0][0], signoffs,
               "the refused sign-off records none")
    t.check_eq(query(env, "SELECT * FROM meeting_attendance ORDER BY rowid"), attendance,
               "the refused attendance records nobody")
    for method, path, body, want in routes(env, OWN):
        st, doc = call(env, method, path, body)
        t.check(st == want, "own practice: %s %s -> %d (got %d %r)"
                % (method, path, want, st, doc))
    t.check_eq(query(env, "SELECT erased_at IS NOT NULL FROM members WHERE id = ?",
                     env.member[OWN])[0][0], 1, "the own practice's member is erased")
    t.check(any(a == "api:riverside" for (a,) in
                query(env, "SELECT actor FROM audit WHERE action = 'member.add'")),
            "the scoped token's writes are audited under its name")


def practices_of(doc, key, field):
    return sorted({x[field] for x in doc.get(key, [])}) if doc else None


def test_lists(env):
    st, doc = call(env, "GET", "/api/v1/practices")
    t.check_eq(practices_of(doc, "practices", "code"), [OWN],
               "practices: only the token's")
    st, doc = call(env, "GET", "/api/v1/practices", token="two")
    t.check_eq(practices_of(doc, "practices", "code"), ["A81001", "C83003"],
               "practices: both of a two-practice token's")
    st, doc = call(env, "GET", "/api/v1/practices", token="all")
    t.check_eq(practices_of(doc, "practices", "code"), ["A81001", "B82002", "C83003"],
               "practices: every one for a token naming none")
    for token, want in (("riverside", [OWN]), ("two", ["A81001", "C83003"]),
                        ("all", ["A81001", "B82002", "C83003"])):
        st, doc = call(env, "GET", "/api/v1/members?include_erased=yes", token=token)
        t.check_eq(practices_of(doc, "members", "practice"), want,
                   "members of the %s token: %s" % (token, want))
    st, doc = call(env, "GET", "/api/v1/members?limit=1&include_erased=yes", token="two")
    seen = practices_of(doc, "members", "practice") or []
    after = doc and doc.get("next_after")
    while after:
        st, doc = call(env, "GET", "/api/v1/members?limit=1&include_erased=yes&after=%d"
                       % after, token="two")
        seen += practices_of(doc, "members", "practice") or []
        after = doc and doc.get("next_after")
    t.check(OTHER not in seen and "C83003" in seen,
            "paging a two-practice token's members never shows another's (%r)" % seen)
    for token, want in (("riverside", []), ("two", ["C83003"]),
                        ("all", [OTHER, "C83003"])):
        st, doc = call(env, "GET", "/api/v1/join-requests", token=token)
        t.check_eq(practices_of(doc, "join_requests", "practice"), sorted(want),
                   "pending join requests of the %s token" % token)
    for token, want in (("riverside", [OWN]), ("all", [OWN, OTHER])):
        st, doc = call(env, "GET", "/api/v1/meetings", token=token)
        t.check_eq(practices_of(doc, "meetings", "practice"), want,
                   "meetings of the %s token" % token)
    for token, want in (("riverside", [OWN]), ("all", [OWN, OTHER])):
        st, doc = call(env, "GET", "/api/v1/evidence", token=token)
        t.check_eq(practices_of(doc, "evidence", "practice"), want,
                   "evidence of the %s token" % token)
    for token, want in (("riverside", [OWN]), ("all", [OWN, OTHER])):
        st, doc = call(env, "GET", "/api/v1/campaigns", token=token)
        t.check_eq(practices_of(doc, "campaigns", "practice"), want,
                   "campaigns of the %s token" % token)
    st, doc = call(env, "GET", "/api/v1/results/fft")
    t.check(st == 200, "results of a one-practice token default to its practice (%d)" % st)
    st, doc = call(env, "GET", "/api/v1/results/fft", token="two")
    t.check(st == 400 and "practice" in (doc or {}).get("error", ""),
            "results of a two-practice token need ?practice (%d %r)" % (st, doc))
    st, doc = call(env, "GET", "/api/v1/results/fft?practice=C83003", token="two")
    t.check_eq(st, 200, "results of a two-practice token for one of them")
    st, doc = call(env, "GET", "/api/v1/results/" + urllib.parse.quote("News B82002"),
                   token="all")
    t.check_eq(st, 422, "the all-practices token reaches another practice's campaign")


def test_refused_files(env):
    for line, want in (("x " + "t" * 20 + " A81001,\n", "practice code"),
                       ("x " + "t" * 20 + " A81001 B82002\n", "expected"),
                       ("x " + "t" * 20 + " A8/1001\n", "practice code")):
        path = env.write_secret("bad-tokens", line)
        conf = env.path("bad.conf")
        with open(env.conf) as f, open(conf, "w") as g:
            g.write(f.read().replace(env.sections["api"]["tokens_file"], path))
        rc, out, err = t.ppgd("check-config", conf=conf)
        err += out
        t.check(rc != 0 and want in err and "t" * 20 not in err,
                "a tokens line %r is refused, naming the problem (%d %r)" % (line, rc, err))


def main():
    env = t.TestEnv("api_scope")
    setup(env, t.free_port())
    with env.serve() as d:
        seed(env)
        test_table(env)
        test_lists(env)
    t.check_eq(d.returncode, 0, "serve stops cleanly")
    test_refused_files(env)
    t.finish()


if __name__ == "__main__":
    main()
