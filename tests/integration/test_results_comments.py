#!/usr/bin/env python3
"""Issue 11: free-text answers are paged, not all printed in the summary.
`ppgd results TARGET` counts each question's comments and says how to read
them; `ppgd results TARGET --comments [--page N] [--per-page M]
[--internal] [--json]` and GET /api/v1/results/TARGET/comments give one
page: published, the approved comments only; internal, every one with its
status; both masked as the results pages show them. `--json` keeps every
answer, as before."""

import json
import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

API_TOKEN = "rec-0123456789abcdefghij"
env = t.TestEnv("results-comments")
API_PORT = t.free_port()
API = "http://127.0.0.1:%d" % API_PORT
AUTH = {"Authorization": "Bearer " + API_TOKEN}
env.write_config({
    "api": {"listen": "127.0.0.1:%d" % API_PORT,
            "tokens_file": env.write_secret("api-tokens",
                                            "records %s\n" % API_TOKEN)}})
for args in (["init"],
             ["practice", "add", "A81001", "--name", "Riverside"],
             ["survey", "load", os.path.join(t.TOP, "surveys", "fft.yaml")]):
    rc, _, err = env.ppgd(*args)
    t.check_eq(rc, 0, "%s: %s" % (" ".join(args[:2]), err.strip()))

# 23 responses, each with a "what was good" comment; every fifth also
# says what to do better, with a phone number to mask.
con = sqlite3.connect(env.sections["daemon"]["database"])
with con:
    for i in range(1, 24):
        con.execute("INSERT INTO responses (id, survey_id, practice_id,"
                    " channel, started_at) VALUES (?, 1, 1, 'web', ?)",
                    (i, 1767225600 + i))
        con.execute("INSERT INTO answers (response_id, question, value)"
                    " VALUES (?, 'experience', '1')", (i,))
        con.execute("INSERT INTO answers (response_id, question, value)"
                    " VALUES (?, 'what_was_good', ?)", (i, "kind staff %d" % i))
        if i % 5 == 0:
            con.execute("INSERT INTO answers (response_id, question, value)"
                        " VALUES (?, 'do_better', ?)",
                        (i, "call me on 07700 900%03d" % i))
con.close()

# The summary counts the comments and prints none of them.
rc, out, err = env.ppgd("results", "fft")
t.check_eq(rc, 0, "results fft: " + err)
t.check("23 comments (read them a page at a time: ppgd results fft@1 "
        "--comments" in out, "the summary counts a question's comments and "
        "says how to page them (%r)" % out[-400:])
t.check("4 comments" in out, "... for each text question")
t.check("kind staff" not in out and "07700" not in out,
        "... and prints none of them")
# --json keeps every answer (its documented shape), with the count beside.
summary = json.loads(env.ppgd("results", "fft", "--json")[1])
good = [q for q in summary["questions"] if q["key"] == "what_was_good"][0]
t.check_eq((len(good["answers"]), good["comments"]), (23, 23),
           "results --json keeps the answers and adds their count")


def cli_page(*args):
    rc, out, err = env.ppgd("results", "fft", "--comments", *args)
    t.check_eq(rc, 0, "results --comments %s: %s" % (" ".join(args), err))
    return out


# Published: nothing approved yet.
page = json.loads(cli_page("--json"))
t.check_eq((page["total"], page["comments"], page["internal"]), (0, [], False),
           "published: no comment is approved yet")
t.check("0 published comments" in cli_page(), "... and the text says so")

# Internal: all 27, masked, five to a page.
page = json.loads(cli_page("--internal", "--per-page", "5", "--page", "2",
                           "--json"))
t.check_eq((page["total"], page["pages"], page["page"], page["per_page"]),
           (27, 6, 2, 5), "internal: 27 comments, page 2 of 6")
t.check_eq(len(page["comments"]), 5, "... five on the page")
t.check_eq(sorted(page["comments"][0]),
           ["comment", "date", "question", "status", "text", "theme"],
           "... each with its id, question, text, theme, status and date "
           "(no member: the survey is anonymous)")
allc = json.loads(cli_page("--internal", "--per-page", "100", "--json"))["comments"]
t.check_eq(len(allc), 27, "one page of 100 holds all 27")
t.check(all("07700" not in c["text"] for c in allc)
        and any("[removed]" in c["text"] for c in allc),
        "phone numbers are masked")
t.check_eq([c["comment"] for c in allc], sorted(c["comment"] for c in allc),
           "in the order the comments came")
t.check_eq([c["comment"] for c in allc[5:10]],
           [c["comment"] for c in page["comments"]], "page 2 is the 6th to 10th")
text = cli_page("--internal", "--per-page", "5", "--page", "2")
t.check("page 2 of 6" in text and "next: ppgd results fft --comments --page 3 "
        "--per-page 5 --internal" in text, "the text says where the next page is")

# Approve two: the published page has them, without status.
for c in allc[:2]:
    rc, _, err = env.ppgd("comments", "approve", str(c["comment"]))
    t.check_eq(rc, 0, "comments approve: " + err)
page = json.loads(cli_page("--json"))
t.check_eq([c["text"] for c in page["comments"]], [c["text"] for c in allc[:2]],
           "published: the approved comments")
t.check_eq(sorted(page["comments"][0]), ["question", "text", "theme"],
           "... with question, text and theme only")

for args, what in ((["--page", "0"], "page 0"), (["--per-page", "1001"], "1001 a page"),
                   (["--csv"], "--csv"), (["--by", "sex"], "--by")):
    rc, _, err = env.ppgd("results", "fft", "--comments", *args)
    t.check_eq(rc, 2, "%s: a usage error (%s)" % (what, err.strip()))
rc, _, err = env.ppgd("results", "nosuch", "--comments")
t.check_eq(rc, 1, "an unknown survey: an error (%s)" % err.strip())

with env.serve():
    def api(path):
        st, hdrs, body = t.http_get(API + path, headers=AUTH, timeout=t.slow(30))
        try:
            return st, json.loads(body)
        except ValueError:
            return st, None

    st, doc = api("/api/v1/results/fft/comments")
    t.check_eq(st, 200, "GET .../comments")
    t.check_eq(doc, json.loads(cli_page("--json")),
               "... is `ppgd results fft --comments --json`")
    st, doc = api("/api/v1/results/fft/comments?internal=yes&page=2&per_page=5")
    t.check_eq(st, 200, "GET .../comments?internal=yes&page=2&per_page=5")
    t.check_eq(doc, json.loads(cli_page("--internal", "--page", "2",
                                        "--per-page", "5", "--json")),
               "... is the same page from the CLI")
    st, doc = api("/api/v1/results/%s/comments" % urllib.parse.quote("fft@1"))
    t.check_eq((st, doc and doc["survey"]["version"]), (200, 1),
               "a survey version by slug@N")
    for q, want in (("page=0", 400), ("per_page=1001", 400), ("by=sex", 400),
                    ("internal=maybe", 400)):
        st, doc = api("/api/v1/results/fft/comments?" + q)
        t.check_eq(st, want, "?%s: %d" % (q, want))
    st, doc = api("/api/v1/results/nosuch/comments")
    t.check_eq(st, 404, "an unknown survey: 404")
    st, doc = api("/api/v1/results/fft/comments/more")
    t.check_eq(st, 404, "no call below comments")
t.finish()
