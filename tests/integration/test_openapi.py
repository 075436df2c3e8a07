#!/usr/bin/env python3
"""docs/openapi.yaml against the running API: every route and method the
daemon answers is described; every example request is sent and its answer
validated (status documented, body against the schema of that status and
content type, documented headers present); errors are problems."""

import glob
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402
import test_api  # noqa: E402  (its setup and tokens)

try:
    import jsonschema
    import yaml
except ImportError as e:  # scripts/deps.sh installs them
    print("FAIL: %s (run scripts/deps.sh)" % e)
    sys.exit(1)

METHODS = ("post", "get", "patch", "delete", "put")
# Handlers that only answer 404 for a path no call has.
NOT_FOUND = ("not_found", "action_unknown", "report_unknown")


def load_doc():
    with open(os.path.join(t.TOP, "docs", "openapi.yaml")) as f:
        return yaml.safe_load(f)


def route_methods(src, fn, depth=0):
    """The methods route function fn takes, from its method tables and
    those of the api_ functions it hands paths to (sub-paths such as
    meetings/ID/cancel), leaving out 404-only handlers."""
    m = re.search(r"\n%s\(.*?\n\}" % fn, src, re.S)
    if m is None:
        return set()
    body = m.group(0)
    methods = {meth for meth, h in re.findall(r"\{\s*EVHTTP_REQ_(\w+),\s*(\w+)\}", body)
               if h not in NOT_FOUND}
    if depth == 0:
        for callee in re.findall(r"\b(api_meeting_action)\(", body):
            methods |= route_methods(src, callee, 1)
    return methods


def daemon_routes():
    """(path, METHOD) the daemon answers, from daemon/api.c's route table
    and each route's method list (its functions in api.c and the resource
    files beside it, api_*.c); the catch-all /api/ (404) left out."""
    src = ""
    for name in ["api.c"] + sorted(glob.glob(os.path.join(t.TOP, "daemon", "api_*.c"))):
        with open(os.path.join(t.TOP, "daemon", name)) as f:
            src += f.read()
    table = src[src.index("api_route_table[]"):]
    table = table[:table.index("};")]
    routes = set()
    for meth, path, fn in re.findall(
            r'\{\s*([A-Z_|\s]+),\s*"([^"]+)",\s*"[^"]+",\s*(\w+)\}', table):
        if path in ("/api/", "/"):
            continue
        if fn.startswith("route_") or fn.startswith("api_route_"):
            methods = route_methods(src, fn)
        else:
            methods = re.findall(r"EVHTTP_REQ_(\w+)", meth)
        for m in methods:
            routes.add((path, m))
    return routes


def under(route, p):
    """1 if documented path p is served by route (exact, or under a prefix)."""
    return p == route or (route.endswith("/") and p.startswith(route))


def validate(doc, schema, value):
    root = dict(schema)
    root["components"] = doc["components"]
    jsonschema.Draft202012Validator(root).validate(value)


def resolve(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj and len(obj) == 1:
        node = doc
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def example_request(doc, path, item, op):
    params = [resolve(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
    url = path
    query, headers = {}, {}
    for p in params:
        if "example" not in p:
            continue
        if p["in"] == "path":
            url = url.replace("{%s}" % p["name"], urllib.parse.quote(str(p["example"]), safe=""))
        elif p["in"] == "query":
            query[p["name"]] = p["example"]
        elif p["in"] == "header":
            headers[p["name"]] = p["example"]
    if query:
        url += "?" + urllib.parse.urlencode(query)
    body = None
    rb = resolve(doc, op.get("requestBody", {}))
    if rb:
        body = rb["content"]["application/json"]["example"]
    return url, headers, body


def check_answer(doc, what, op, status, hdrs, raw):
    responses = op["responses"]
    resp = resolve(doc, responses.get(str(status)))
    if not t.check(resp is not None, "%s: status %d is documented (%r)" % (what, status, raw[:200])):
        return
    ctype = (hdrs.get("Content-Type") or "").split(";")[0]
    content = resp.get("content", {})
    t.check(ctype in content, "%s: Content-Type %s is documented (%r)" % (what, ctype, list(content)))
    for h in resp.get("headers", {}):
        t.check(hdrs.get(h) is not None, "%s: header %s is sent" % (what, h))
    if ctype not in content:
        return
    schema = content[ctype]["schema"]
    try:
        value = json.loads(raw) if "json" in ctype else raw.decode()
        validate(doc, schema, value)
        t.check(True, "%s: the answer matches the schema" % what)
    except (ValueError, jsonschema.ValidationError) as e:
        t.check(False, "%s: the answer does not match the schema: %s" % (what, str(e)[:600]))


def main():
    doc = load_doc()
    t.check_eq(doc.get("openapi"), "3.1.0", "docs/openapi.yaml is OpenAPI 3.1")
    jsonschema.Draft202012Validator.check_schema(
        {"components": doc["components"], "$ref": "#/components/schemas/Member"})
    # Every route and method of the daemon is described.
    routes = daemon_routes()
    t.check(len(routes) >= 9, "api.c's route table read (%d routes)" % len(routes))
    for path, method in sorted(routes):
        t.check(any(under(path, p) and method.lower() in item
                    for p, item in doc["paths"].items()),
                "%s %s is in docs/openapi.yaml" % (method, path))
    # ... and nothing is described that the daemon does not answer (the
    # longest route prefix serves a path).
    for p, item in doc["paths"].items():
        best = max((r for r, _ in routes if under(r, p)), key=len, default=None)
        for m in METHODS:
            if m in item:
                t.check((best, m.upper()) in routes,
                        "%s %s of docs/openapi.yaml is a route of the daemon" % (m.upper(), p))

    env = t.TestEnv("openapi")
    port = t.free_port()
    test_api.setup(env, port)
    # A confirmed join request for the decision's example to act on.
    import sqlite3
    c = sqlite3.connect(env.sections["daemon"]["database"])
    c.execute("INSERT INTO join_requests (id, practice_id, state, via,"
              " first_name, email, created_at, expires_at, confirmed_at)"
              " VALUES (1, 1, 'pending', 'web', 'Jo', 'jo@example.org', 0,"
              " 9999999999, 1)")
    c.commit()
    c.close()
    token = {"Authorization": "Bearer " + test_api.TOKENS["records"]}
    ops = [(METHODS.index(m), n, p, m, item[m]) for n, (p, item) in enumerate(doc["paths"].items())
           for m in METHODS if m in item]
    with env.serve():
        sent = 0
        for _, _, path, m, op in sorted(ops):
            url, headers, body = example_request(doc, path, doc["paths"][path], op)
            headers.update(token)
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            st, hdrs, raw = t.http_request(m.upper(), env.api + url, data, headers)
            what = "%s %s" % (m.upper(), url)
            t.check(200 <= (st or 0) < 300, "%s: the example succeeds (%s %r)" % (what, st, raw[:300]))
            check_answer(doc, what, op, st, hdrs, raw)
            sent += 1
        t.check(sent >= 10, "every example was sent (%d)" % sent)
        # Errors: problems, as documented.
        member = doc["paths"]["/api/v1/members/{id}"]
        st, _, raw = t.http_request("POST", env.api + "/api/v1/members", json.dumps(
            {"practice": "A81001", "email": "stale@example.org"}).encode(),
            dict(token, **{"Content-Type": "application/json"}))
        other = json.loads(raw)["id"] if st == 201 else 0
        for what, method, url, hdr, body, op in (
                ("no token", "GET", "/api/v1/practices", {}, None,
                 doc["paths"]["/api/v1/practices"]["get"]),
                ("no member", "GET", "/api/v1/members/999999", token, None, member["get"]),
                ("no route", "GET", "/nothing/here", token, None, member["get"]),
                ("stale If-Match", "PATCH", "/api/v1/members/%d" % other,
                 dict(token, **{"If-Match": '"0123456789abcdef0123456789abcdef"'}),
                 {"sex": "male"}, member["patch"]),
                ("unknown field", "POST", "/api/v1/members", token,
                 {"practice": "A81001", "colour": "red"},
                 doc["paths"]["/api/v1/members"]["post"])):
            data = json.dumps(body).encode() if body is not None else None
            h = dict(hdr)
            if data:
                h["Content-Type"] = "application/json"
            st, hdrs, raw = t.http_request(method, env.api + url, data, h)
            t.check(st == {"no token": 401, "no member": 404, "no route": 404,
                           "stale If-Match": 412,
                           "unknown field": 400}[what], "%s: the error (%s)" % (what, st))
            t.check((hdrs.get("Content-Type") or "").startswith("application/problem+json"),
                    "%s: application/problem+json" % what)
            check_answer(doc, what, op, st, hdrs, raw)
    t.finish()


if __name__ == "__main__":
    main()
