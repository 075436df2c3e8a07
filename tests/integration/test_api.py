#!/usr/bin/env python3
"""The admin API (/api/v1) against a real `ppgd serve`: every call, every
error status, bearer tokens and SIGHUP, the audit log (actor api:NAME), no
personal data in the info log, the refusals at start; then every curl
example in docs/api.md, run with sh against a fresh daemon."""

import glob
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TOKENS = {"records": "rec-0123456789abcdefghij", "crm": "crm-0123456789abcdefghij"}
PII = ["Zebedee", "Quixtable", "zeb@example.org", "+447700900321", "Yolanda",
       "yol@example.org", "Xavierre", "xav@example.org"]


def tokens_file(env, tokens, mode=0o600, name="api-tokens"):
    body = "# API clients\n\n" + "".join("%s %s\n" % kv for kv in tokens.items())
    path = env.write_secret(name, body)
    os.chmod(path, mode)
    return path


def setup(env, api_port):
    env.api = "http://127.0.0.1:%d" % api_port
    env.write_config({
        "api": {"listen": "127.0.0.1:%d" % api_port,
                "tokens_file": tokens_file(env, TOKENS)},
        "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
        "campaign": {"frequency_cap": 0},
        "http": {"max_body": 2048, "public_metrics": None},
        "daemon": {"templates": os.path.join(t.TOP, "templates")}})
    for args in (["init"],
                 ["practice", "add", "A81001", "--name", "Riverside Surgery",
                  "--email-from", "ppg@riverside.example",
                  "--phone", "01234 567890"],
                 ["practice", "add", "B82002", "--name", "Hillside Practice",
                  "--email-from", "ppg@hillside.example"],
                 ["survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml")],
                 ["survey", "load",
                  os.path.join(t.TOP, "surveys", "post-meeting.yaml")],
                 ["meeting", "add", "--practice", "A81001", "--at",
                  "2030-01-15T18:30", "--where", "Community Room"]):
        rc, out, err = env.ppgd(*args)
        t.check(rc == 0, "%s exits 0 (%r)" % (" ".join(args[:2]), err))


def query(env, sql, *args):
    con = sqlite3.connect(env.path("ppgd.db"))
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def call(env, method, path, body=None, token="records", raw=None, headers=None):
    """(status, headers, parsed JSON or None)."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + TOKENS.get(token, token)
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    status, hdrs, out = t.http_request(method, env.api + path, data, h)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    return status, hdrs, doc


def expect(env, method, path, status, msg, **kw):
    got, hdrs, doc = call(env, method, path, **kw)
    ok = t.check(got == status and isinstance(doc, dict),
                 "%s %s -> %d JSON: %s (got %d %r)" % (method, path, status, msg, got, doc))
    if ok and status >= 400:
        t.check(isinstance(doc.get("error"), str) and doc["error"],
                "%s %s: the error is {\"error\": text}" % (method, path))
    return doc if ok else None, hdrs


def audit(env, action):
    return [(r["actor"], r["object"]) for r in
            query(env, "SELECT actor, object FROM audit WHERE action = ? ORDER BY id", action)]


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


# ---- auth -----------------------------------------------------------------

def test_auth(env):
    st, hdrs, doc = call(env, "GET", "/api/v1/practices", token=None)
    t.check(st == 401 and doc == {"type": "about:blank", "title": "Unauthorized",
                                  "status": 401, "detail": "missing bearer token",
                                  "error": "missing bearer token"},
            "no token: 401 as an RFC 9457 problem (%d %r)" % (st, doc))
    t.check(hdrs.get("Content-Type") == "application/problem+json",
            "errors are application/problem+json (%r)" % hdrs.get("Content-Type"))
    t.check(hdrs.get("WWW-Authenticate", "").startswith("Bearer"),
            "401 carries WWW-Authenticate: Bearer (%r)" % hdrs.get("WWW-Authenticate"))
    st, hdrs, doc = call(env, "GET", "/api/v1/practices", token="not-a-real-token-at-all")
    t.check(st == 401 and 'error="invalid_token"' in hdrs.get("WWW-Authenticate", ""),
            "a wrong token: 401 invalid_token (%d)" % st)
    st, _, _ = call(env, "GET", "/api/v1/practices", token=None,
                    headers={"Authorization": "Basic " + TOKENS["records"]})
    t.check_eq(st, 401, "a token in another scheme is refused")
    st, _, _ = call(env, "GET", "/api/v1/practices", token=TOKENS["records"][:-1])
    t.check_eq(st, 401, "a prefix of a token is refused")
    st, _, _ = call(env, "GET", "/api/v1/practices", token=TOKENS["records"] + "x")
    t.check_eq(st, 401, "a token with more after it is refused")
    before = query(env, "SELECT count(*) AS n FROM members")[0]["n"]
    audits = query(env, "SELECT count(*) AS n FROM audit")[0]["n"]
    for method, path, body in (
            ("POST", "/api/v1/members", {"practice": "A81001", "email": "bad@example.org"}),
            ("POST", "/api/v1/broadcasts", {"practice": "A81001", "template": "broadcast"}),
            ("DELETE", "/api/v1/members/1", None), ("PATCH", "/api/v1/members/1",
                                                     {"first_name": "X"})):
        st, _, doc = call(env, method, path, body=body, token="wrong-token-wrong-token")
        t.check(st == 401 and doc and "error" in doc, "%s %s with a bad token: 401" % (method, path))
    t.check_eq(query(env, "SELECT count(*) AS n FROM members")[0]["n"], before,
               "a bad token changes no member")
    t.check_eq(query(env, "SELECT count(*) AS n FROM audit")[0]["n"], audits,
               "a bad token writes no audit row")
    t.check_eq(query(env, "SELECT count(*) AS n FROM campaigns")[0]["n"], 0,
               "a bad token sends no broadcast")


# ---- practices and members ------------------------------------------------------

def test_practices(env):
    doc, _ = expect(env, "GET", "/api/v1/practices", 200, "practices")
    codes = [p["code"] for p in doc["practices"]] if doc else None
    t.check_eq(codes, ["A81001", "B82002"], "every practice is listed")
    expect(env, "GET", "/api/v1/practices?x=1", 400, "an unknown parameter")
    _, hdrs = expect(env, "DELETE", "/api/v1/practices", 405, "practices are read-only")
    t.check_eq(hdrs.get("Allow"), "GET", "405 names the methods allowed")


def test_member_create(env):
    zeb = {"practice": "A81001", "external_ref": "EMIS-1", "first_name": "Zebedee",
           "last_name": "Quixtable", "email": "Zeb@Example.org", "mobile": "07700 900321",
           "consent_email": True, "consent_sms": "yes", "age_band": "45-54",
           "disability": False, "tags": ["carers", "young people"]}
    doc, hdrs = expect(env, "POST", "/api/v1/members", 201, "create", body=zeb)
    if doc:
        env.zeb = doc["id"]
        t.check_eq(hdrs.get("Location"), "/api/v1/members/%d" % doc["id"], "Location header")
        t.check(doc["email"] == "zeb@example.org" and doc["mobile"] == "+447700900321"
                and doc["tags"] == ["carers", "young-people"] and doc["disability"] == "no"
                and doc["consent_email"] and doc["joined"] and doc["term_ends"],
                "the member is normalised and defaulted (%r)" % doc)
    t.check_eq(audit(env, "member.add"), [("api:records", "member:%d" % env.zeb)],
               "the add is audited as api:records")
    rows = query(env, "SELECT tag FROM member_tags WHERE member_id = ? ORDER BY tag", env.zeb)
    t.check_eq([r["tag"] for r in rows], ["carers", "young-people"], "tags are stored")
    # Conflicts: the same ref; no ref but the same email (any case) or mobile.
    for body, what in (({"practice": "A81001", "external_ref": "EMIS-1",
                         "email": "other@example.org"}, "the same external_ref"),
                       ({"practice": "A81001", "email": "ZEB@example.ORG"}, "the same email"),
                       ({"practice": "A81001", "mobile": "+44 7700 900321"}, "the same mobile")):
        doc, _ = expect(env, "POST", "/api/v1/members", 409, what, body=body)
        t.check(doc and doc.get("id") == env.zeb, "409 names the existing member (%r)" % doc)
    doc, _ = expect(env, "POST", "/api/v1/members", 201, "the same email in another practice",
                    body={"practice": "B82002", "email": "zeb@example.org",
                          "first_name": "Zebedee"})
    env.zeb_b = doc["id"] if doc else 0
    # 400: not JSON, not an object, unknown field, wrong type, no practice.
    for raw, what in ((b"{not json", "bad JSON"), (b"[1, 2]", "not an object"),
                      (b"", "an empty body"), (b'{"practice": "A81001", "practice": "B"}',
                                               "a duplicated key")):
        expect(env, "POST", "/api/v1/members", 400, what, raw=raw,
               headers={"Content-Type": "application/json"})
    for body, what in (({"practice": "A81001", "email": "a@example.org", "shoe_size": "9"},
                        "an unknown field"),
                       ({"practice": "A81001", "email": "a@example.org", "id": 5}, "id"),
                       ({"practice": "A81001", "email": {"x": 1}}, "an object value"),
                       ({"practice": "A81001", "email": "a@example.org", "tags": [1]},
                        "tags not strings"),
                       ({"email": "a@example.org"}, "no practice"),
                       ({"practice": 7, "email": "a@example.org"}, "a practice not a string")):
        expect(env, "POST", "/api/v1/members", 400, what, body=body)
    # 422: the register's rules.
    for body, what in (({"practice": "A81001", "email": "not-an-email"}, "a bad email"),
                       ({"practice": "A81001", "mobile": "12"}, "a bad mobile"),
                       ({"practice": "A81001", "email": "a@example.org", "sex": "robot"},
                        "a value not among the choices"),
                       ({"practice": "A81001", "first_name": "Nobody"}, "no contact"),
                       ({"practice": "Z99999", "email": "a@example.org"}, "an unknown practice"),
                       ({"practice": "A81001", "email": "a@example.org",
                         "preferred_channel": "sms"}, "sms without a mobile")):
        expect(env, "POST", "/api/v1/members", 422, what, body=body)
    st, _, _ = call(env, "POST", "/api/v1/members",
                    body={"practice": "A81001", "email": "big@example.org", "x": "y" * 4096})
    t.check_eq(st, 413, "a body over [http] max_body is refused with 413")
    t.check_eq(query(env, "SELECT count(*) AS n FROM members")[0]["n"], 2,
               "no refused request added a member")


def test_member_list(env):
    names = ["Yolanda", "Xavierre", "Wilma", "Vera", "Ulla"]
    env.more = []
    for i, n in enumerate(names):
        body = {"practice": "A81001", "first_name": n, "email": "%s@example.org" % n.lower()[:3],
                "sex": "female" if i % 2 == 0 else "male", "tags": ["carers"] if i < 2 else []}
        doc, _ = expect(env, "POST", "/api/v1/members", 201, "create " + n, body=body)
        env.more.append(doc["id"] if doc else 0)
    doc, _ = expect(env, "GET", "/api/v1/members?practice=A81001", 200, "list a practice")
    ids = [m["id"] for m in doc["members"]] if doc else []
    t.check_eq(ids, [env.zeb] + env.more, "the practice's members in id order")
    t.check(doc and doc["next_after"] is None, "one page: next_after is null")
    # Pages of two walk every member exactly once.
    seen, after, pages = [], 0, 0
    while pages < 10:
        doc, _ = expect(env, "GET", "/api/v1/members?practice=A81001&limit=2&after=%d" % after,
                        200, "a page")
        if not doc:
            break
        pages += 1
        seen += [m["id"] for m in doc["members"]]
        t.check(len(doc["members"]) <= 2, "a page holds at most limit members")
        if doc["next_after"] is None:
            break
        after = doc["next_after"]
    t.check_eq((seen, pages), ([env.zeb] + env.more, 3), "limit/after pages through all")
    for q, want, what in (("sex=male", [env.more[1], env.more[3]], "sex"),
                          ("tag=carers", [env.zeb] + env.more[:2], "tag"),
                          ("search=xavier", [env.more[1]], "search"),
                          ("channel=sms", [env.zeb], "channel"),
                          ("age_band=45-54&active=yes", [env.zeb], "age_band and active")):
        doc, _ = expect(env, "GET", "/api/v1/members?practice=A81001&" + q, 200, what)
        t.check_eq([m["id"] for m in doc["members"]] if doc else None, want, "filter " + what)
    doc, _ = expect(env, "GET", "/api/v1/members", 200, "every practice")
    t.check_eq(len(doc["members"]) if doc else 0, 7, "without practice: all members")
    expect(env, "GET", "/api/v1/members?practice=Z99999", 404, "an unknown practice")
    for q in ("colour=red", "limit=0", "limit=5000", "limit=x", "after=-1", "sex=robot",
              "channel=fax", "active=perhaps"):
        expect(env, "GET", "/api/v1/members?" + q, 400, q)
    _, hdrs = expect(env, "PUT", "/api/v1/members", 405, "PUT on the collection")
    t.check_eq(hdrs.get("Allow"), "GET, POST", "the collection takes GET and POST")


def test_member_one(env):
    doc, _ = expect(env, "GET", "/api/v1/members/%d" % env.zeb, 200, "get")
    t.check(doc and doc["first_name"] == "Zebedee" and doc["practice"] == "A81001",
            "get returns the member")
    for p in ("/api/v1/members/999999", "/api/v1/members/abc", "/api/v1/members/1x",
              "/api/v1/members/", "/api/v1/members/1/tags"):
        expect(env, "GET", p, 404, "no such member")
    doc, _ = expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 200, "patch",
                    body={"last_name": None, "preferred_channel": "sms", "age_band": "55-64"})
    t.check(doc and doc["last_name"] is None and doc["preferred_channel"] == "sms"
            and doc["age_band"] == "55-64" and doc["first_name"] == "Zebedee",
            "patch changes only the fields given (%r)" % doc)
    row = query(env, "SELECT last_name, age_band FROM members WHERE id = ?", env.zeb)[0]
    t.check_eq((row["last_name"], row["age_band"]), (None, "55-64"), "the change is stored")
    t.check_eq(audit(env, "member.update"), [("api:records", "member:%d" % env.zeb)],
               "the update is audited")
    # An opt-out by PATCH goes through the one consent path: its own audit row.
    doc, _ = expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 200, "patch opt-out",
                    body={"optout_sms": "2026-03-01"})
    t.check(doc and doc.get("optout_sms"), "the opt-out is returned (%r)" % doc)
    t.check(query(env, "SELECT optout_sms_at FROM members WHERE id = ?",
                  env.zeb)[0]["optout_sms_at"], "the opt-out is stored")
    t.check_eq(audit(env, "optout-sms"), [("api:records", "member:%d" % env.zeb)],
               "the API's opt-out is audited as optout-sms by the client")
    expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 200, "patch opt-in",
           body={"optout_sms": None})
    t.check_eq(query(env, "SELECT optout_sms_at FROM members WHERE id = ?",
                     env.zeb)[0]["optout_sms_at"], None, "the opt-in is stored")
    t.check_eq(audit(env, "optin-sms"), [("api:records", "member:%d" % env.zeb)],
               "the API's opt-in is audited as optin-sms")
    expect(env, "PATCH", "/api/v1/members/%d" % env.more[0], 409,
           "taking another member's email", body={"email": "zeb@example.org"})
    expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 422, "a bad value",
           body={"age_band": "old"})
    expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 422, "a bad practice",
           body={"practice": "Z99999"})
    expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 400, "an unknown field",
           body={"favourite": "x"})
    expect(env, "PATCH", "/api/v1/members/%d" % env.zeb, 400, "bad JSON", raw=b"{",
           headers={"Content-Type": "application/json"})
    expect(env, "PATCH", "/api/v1/members/999999", 404, "patch nobody", body={"sex": "male"})
    doc, _ = expect(env, "PATCH", "/api/v1/members/%d" % env.more[4], 200, "move practice",
                    body={"practice": "B82002"})
    t.check(doc and doc["practice"] == "B82002", "practice moves the member")
    _, hdrs = expect(env, "POST", "/api/v1/members/%d" % env.zeb, 405, "POST on a member")
    t.check_eq(hdrs.get("Allow"), "GET, PATCH, DELETE", "a member takes GET, PATCH, DELETE")
    # ETag / If-Match: an update from a stale read is refused, not lost.
    path = "/api/v1/members/%d" % env.zeb
    _, h1, _ = call(env, "GET", path)
    etag = h1.get("ETag")
    t.check(etag and etag.startswith('"') and etag.endswith('"'), "GET carries an ETag (%r)" % etag)
    _, h2, doc = call(env, "PATCH", path, body={"sex": "male"}, headers={"If-Match": etag})
    t.check(doc and doc.get("sex") == "male" and h2.get("ETag") not in (None, etag),
            "PATCH with the current ETag applies and returns the new ETag")
    doc, _ = expect(env, "PATCH", path, 412, "a stale If-Match", body={"sex": "female"},
                    headers={"If-Match": etag})
    row = query(env, "SELECT sex FROM members WHERE id = ?", env.zeb)[0]
    t.check_eq(row["sex"], "male", "the stale update changed nothing")
    expect(env, "PATCH", path, 200, "If-Match: *", body={"sex": "female"},
           headers={"If-Match": "*"})


def test_member_erase(env):
    mid = env.more[1]
    doc, _ = expect(env, "DELETE", "/api/v1/members/%d" % mid, 200, "erase", token="crm")
    t.check(doc and doc["erased"] and doc["email"] is None and doc["first_name"] is None,
            "erase returns what is left (%r)" % doc)
    row = query(env, "SELECT email, first_name, erased_at FROM members WHERE id = ?", mid)[0]
    t.check(row["email"] is None and row["first_name"] is None and row["erased_at"],
            "the personal data is gone from the database")
    t.check_eq(audit(env, "member.erase"), [("api:crm", "member:%d" % mid)],
               "the erasure is audited with the second client's name")
    expect(env, "DELETE", "/api/v1/members/%d" % mid, 409, "erase twice")
    expect(env, "PATCH", "/api/v1/members/%d" % mid, 409, "patch an erased member",
           body={"first_name": "Back"})
    expect(env, "DELETE", "/api/v1/members/999999", 404, "erase nobody")
    doc, _ = expect(env, "GET", "/api/v1/members?practice=A81001", 200, "list after erase")
    t.check(doc and mid not in [m["id"] for m in doc["members"]], "erased members are not listed")
    doc, _ = expect(env, "GET", "/api/v1/members?practice=A81001&include_erased=yes", 200,
                    "include_erased")
    t.check(doc and mid in [m["id"] for m in doc["members"]], "include_erased lists them")


# ---- broadcasts, campaigns, results --------------------------------------------------

def test_broadcast(env):
    body = {"practice": "A81001", "template": "broadcast", "message": "Flu clinics Saturday.",
            "channels": ["email"], "audience": "everyone", "name": "Flu clinics 2026"}
    doc, _ = expect(env, "POST", "/api/v1/broadcasts", 202, "broadcast", body=body)
    # Zebedee prefers sms but takes email too; Yolanda, Wilma, Vera have no consent.
    t.check(doc and doc["campaign"] == "Flu clinics 2026" and doc["created"] is True
            and doc["messages"] == 1 and doc["email"] == 1 and doc["run_id"],
            "202 with the run summary (%r)" % doc)
    emls = wait_for(lambda: glob.glob(os.path.join(env.email_spool, "**", "*.eml"),
                                      recursive=True))
    t.check_eq(len(emls), 1, "the dispatcher sends the broadcast into the spool")
    t.check_eq(audit(env, "broadcast.send"), [("api:records", "Flu clinics 2026")],
               "the broadcast is audited as api:records")
    t.check_eq([a for a, o in audit(env, "campaign.add") if o == "Flu clinics 2026"],
               ["api:records"], "the campaign it made is audited as api:records too")
    expect(env, "POST", "/api/v1/broadcasts", 409, "a taken name", body=body)
    doc, _ = expect(env, "POST", "/api/v1/broadcasts", 202, "a broadcast with a default name",
                    body={"practice": "B82002", "template": "broadcast",
                          "message": "Hello.", "channels": "email"})
    t.check(doc and doc["campaign"].startswith("News from the patient group, "),
            "the default name is the CLI's (%r)" % (doc and doc["campaign"]))
    for b, what in (({"practice": "A81001"}, "no template"),
                    ({"template": "broadcast"}, "no practice"),
                    (dict(body, name="x", colour="red"), "an unknown field"),
                    (dict(body, name="x", actions=["three"]), "actions not ids"),
                    (dict(body, name="x", actions=[0]), "a zero action id"),
                    (dict(body, name="x", message=5), "a message not a string")):
        expect(env, "POST", "/api/v1/broadcasts", 400, what, body=b)
    for b, what in ((dict(body, name="x", practice="Z99999"), "an unknown practice"),
                    (dict(body, name="x", template="no-such-template"), "an unknown template"),
                    (dict(body, name="x", audience="age=16-24"), "a bad audience"),
                    (dict(body, name="x", channels=["pigeon"]), "a bad channel")):
        expect(env, "POST", "/api/v1/broadcasts", 422, what, body=b)
    t.check_eq(query(env, "SELECT count(*) AS n FROM campaigns WHERE name = 'x'")[0]["n"], 0,
               "refused broadcasts leave no campaign")
    _, hdrs = expect(env, "GET", "/api/v1/broadcasts", 405, "GET broadcasts")
    t.check_eq(hdrs.get("Allow"), "POST", "broadcasts take POST")


def test_campaigns(env):
    doc, _ = expect(env, "GET", "/api/v1/campaigns", 200, "campaigns")
    byname = {c["name"]: c for c in doc["campaigns"]} if doc else {}
    flu = byname.get("Flu clinics 2026")
    t.check(flu and flu["kind"] == "broadcast" and flu["state"] == "done"
            and sum(flu["outbox"].values()) == 1
            and set(flu["outbox"]) >= {"pending", "sent", "failed"},
            "a campaign with its outbox counts (%r)" % flu)
    doc, _ = expect(env, "GET", "/api/v1/campaigns?practice=B82002", 200, "one practice")
    t.check(doc and len(doc["campaigns"]) == 1 and doc["campaigns"][0]["practice"] == "B82002",
            "?practice= keeps that practice's")
    expect(env, "GET", "/api/v1/campaigns?practice=Z99999", 404, "an unknown practice")
    doc, _ = expect(env, "GET", "/api/v1/campaigns/" + urllib.parse.quote("Flu clinics 2026"),
                    200, "one campaign by encoded name")
    t.check(doc and doc["name"] == "Flu clinics 2026" and len(doc["runs"]) == 1
            and doc["runs"][0]["messages"] == 1 and "outbox" in doc and "next_fires" in doc,
            "the campaign with its runs and outbox (%r)" % doc)
    rc, cli, err = env.ppgd_json("campaign", "show", "Flu clinics 2026")
    t.check_eq(doc, cli, "GET /campaigns/{name} is `ppgd campaign show --json`")
    expect(env, "GET", "/api/v1/campaigns/nothing", 404, "no such campaign")
    expect(env, "GET", "/api/v1/campaigns/a%00b", 404, "a NUL in the name")


def test_results(env):
    for q, args in (("", []), ("?by=sex&practice=A81001", ["--by", "sex", "--practice", "A81001"]),
                    ("?from=2020-01-01&to=2030-12-31", ["--from", "2020-01-01", "--to",
                                                        "2030-12-31"])):
        doc, _ = expect(env, "GET", "/api/v1/results/fft" + q, 200, "results " + q)
        rc, cli, err = env.ppgd_json("results", "fft", *args)
        t.check(doc is not None and doc == cli,
                "results%s equal `ppgd results --json` (%r)" % (q, err))
    expect(env, "GET", "/api/v1/results/nothing", 404, "no such survey")
    expect(env, "GET", "/api/v1/results/", 404, "no target")
    expect(env, "GET", "/api/v1/results/fft?by=shoe_size", 400, "a bad by")
    expect(env, "GET", "/api/v1/results/fft?from=yesterday", 400, "a bad from")
    expect(env, "GET", "/api/v1/results/fft?practice=Z99999", 404, "an unknown practice")
    expect(env, "GET", "/api/v1/results/fft?colour=1", 400, "an unknown parameter")


def test_other(env):
    for p in ("/api/v1/nothing", "/api/v2/members", "/api/v1/practices/A81001"):
        expect(env, "GET", p, 404, "an unknown call")
    st, _, _ = call(env, "GET", "/api/v1/members", token=None)
    t.check_eq(st, 401, "authentication comes before anything else")
    st, _, _ = t.http_get(env.url + "/api/v1/practices",
                          headers={"Authorization": "Bearer " + TOKENS["records"]})
    t.check_eq(st, 404, "the public listener does not serve the API")
    st, _, body = t.http_get(env.api + "/metrics")
    t.check(st == 200 and b'route="api_members",method="GET",code="200"' in body,
            "/metrics on the [api] listener, without a token, counts API requests")
    st, _, _ = t.http_get(env.url + "/metrics")
    t.check_eq(st, 404, "/metrics is not on the public listener by default")


def test_reload(env, d):
    new = dict(TOKENS, records="rec-new-0123456789abcdef")
    tokens_file(env, new)
    d.reload()
    ok = wait_for(lambda: call(env, "GET", "/api/v1/practices", token=new["records"])[0] == 200,
                  timeout=5)
    t.check(ok, "after SIGHUP the new token works")
    st, _, _ = call(env, "GET", "/api/v1/practices")
    t.check_eq(st, 401, "after SIGHUP the old token is refused")
    path = tokens_file(env, {"records": "short"})
    d.reload()
    wait_for(lambda: "api_tokens_refused" in d.output(), timeout=5)
    t.check("api_tokens_refused" in d.output(), "a bad tokens file on reload is logged")
    st, _, _ = call(env, "GET", "/api/v1/practices", token=new["records"])
    t.check_eq(st, 200, "a bad tokens file on reload keeps the tokens before")
    os.chmod(path, 0o644)
    tokens_file(env, TOKENS)


def test_logs(env, d):
    out = d.output()
    t.check("event=api_write client=records action=member.add" in out,
            "writes are logged with the client's name")
    t.check("event=api_unauthorized" in out, "refused tokens are logged")
    leaked = [p for p in PII + list(TOKENS.values()) if p.lower() in out.lower()]
    t.check(not leaked, "no personal data or token in the info log (%r)" % leaked)


# ---- start-up refusals ------------------------------------------------------------

def serve_refused(env, sections, want, what):
    env.write_config(sections)
    d = env.serve(wait=False)
    try:
        d.proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    running = d.running()
    d.stop()
    t.check(not running and d.returncode != 0 and want in d.output(),
            "%s: serve refuses to start (%r)" % (what, d.output()[-300:]))


def test_start(env, api_port):
    serve_refused(env, {"api": {"listen": "0.0.0.0:%d" % api_port}}, "allow_remote",
                  "a non-loopback [api] listen")
    serve_refused(env, {"api": {"listen": "127.0.0.1:%d" % api_port,
                                "tokens_file": tokens_file(env, TOKENS, 0o644, "open")}},
                  "readable by group or others", "a tokens file open to others")
    serve_refused(env, {"api": {"tokens_file": tokens_file(env, {"a b": "x" * 20}, 0o600,
                                                             "bad")}},
                  "bad:", "a malformed tokens file")
    serve_refused(env, {"api": {"tokens_file": env.path("missing")}}, "cannot read",
                  "a missing tokens file")
    env.write_config({"api": {"tokens_file": None, "listen": "127.0.0.1:%d" % api_port}})
    with env.serve() as d:
        st = None
        try:
            st = t.http_get(env.api + "/api/v1/practices")[0]
        except OSError:
            pass
        t.check(st is None, "without tokens_file the API listener is off")
        t.check("api_disabled" in d.output(), "the disabled API is logged")
    env.write_config({"api": {"listen": "::1:%d" % api_port,
                              "tokens_file": tokens_file(env, TOKENS)}})
    with env.serve() as d:
        st = t.http_get("http://[::1]:%d/api/v1/practices" % api_port,
                        headers={"Authorization": "Bearer " + TOKENS["crm"]})[0]
        t.check_eq(st, 200, "::1 counts as loopback")
    env.write_config({"api": {"listen": "127.0.0.1:%d" % api_port}})


# ---- the documentation's examples --------------------------------------------------

def doc_examples():
    with open(os.path.join(t.TOP, "docs", "api.md")) as f:
        text = f.read()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [b for b in blocks if "curl" in b]


def test_docs():
    env = t.TestEnv("api-docs")
    setup(env, t.free_port())
    blocks = doc_examples()
    t.check(len(blocks) >= 10, "docs/api.md has a curl example per call (%d)" % len(blocks))
    calls = set()
    with env.serve():
        for i, b in enumerate(blocks):
            m = re.search(r"(-X (\w+) .*?)?\"\$PPGD_API(/api/v1/[a-z]+)", b, re.S)
            method = ("POST" if " -d " in b else "GET") if not m or not m.group(2) \
                else m.group(2)
            if m:
                calls.add((method, m.group(3)))
            script = b.replace("$PPGD_API", env.api).replace("$TOKEN", TOKENS["records"])
            rc, out, err = t.run(["sh", "-e", "-c", script])
            try:
                doc = json.loads(out)
            except ValueError:
                doc = None
            t.check(rc == 0 and isinstance(doc, dict),
                    "docs/api.md example %d exits 0 and prints JSON (rc %d, %r %r)\n%s"
                    % (i + 1, rc, out[:200], err, b))
            t.check(doc is None or "error" not in doc or "Authorization" not in b,
                    "docs/api.md example %d succeeds (%r)" % (i + 1, doc))
    want = {("GET", "/api/v1/practices"), ("GET", "/api/v1/members"),
            ("POST", "/api/v1/members"), ("PATCH", "/api/v1/members"),
            ("DELETE", "/api/v1/members"), ("POST", "/api/v1/broadcasts"),
            ("GET", "/api/v1/campaigns"), ("GET", "/api/v1/results"),
            ("POST", "/api/v1/meetings"), ("PATCH", "/api/v1/meetings"),
            ("PUT", "/api/v1/meetings"), ("GET", "/api/v1/evidence"),
            ("POST", "/api/v1/evidence"), ("DELETE", "/api/v1/evidence"),
            ("GET", "/api/v1/reports"), ("POST", "/api/v1/reports")}
    t.check(want <= calls, "every call has an example (missing %r)" % (want - calls))
    t.check_eq(audit(env, "member.erase"), [("api:records", "member:1")],
               "the documented erase ran against the daemon")
    t.check_eq([a for a, _ in audit(env, "report.sign-off")], ["api:records"],
               "the documented sign-off ran against the daemon")
    t.check_eq(query(env, "SELECT status FROM meetings WHERE id = 2"),
               [{"status": "cancelled"}], "the documented cancel ran against the daemon")


def main():
    env = t.TestEnv("api")
    api_port = t.free_port()
    setup(env, api_port)
    with env.serve() as d:
        test_auth(env)
        test_practices(env)
        test_member_create(env)
        test_member_list(env)
        test_member_one(env)
        test_member_erase(env)
        test_broadcast(env)
        test_campaigns(env)
        test_results(env)
        test_other(env)
        test_reload(env, d)
        test_logs(env, d)
    t.check_eq(d.returncode, 0, "serve stops cleanly")
    test_start(env, api_port)
    test_docs()
    t.finish()


if __name__ == "__main__":
    main()
