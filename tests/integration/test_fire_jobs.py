#!/usr/bin/env python3
"""Issue 11: no fire the daemon makes holds its event loop. An API broadcast
to a large audience fires as a job of slices in the daemon's one queue of
fires: signed webhooks sent while it fires are answered and stored before
the broadcast call itself is answered (before, the whole fire ran inside
the call's handler and every webhook waited for its end), and the call's
answer, when it comes, is the same JSON as ever. Two broadcasts and a
scheduled campaign due meanwhile queue behind each other: their rows never
interleave. The web admin's send does not hold the loop either. Asserts on
order and state only: no timing thresholds."""

import datetime
import json
import os
import sqlite3
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as f  # noqa: E402
import ppgdtest as t  # noqa: E402
from adminweb import Browser  # noqa: E402

MEMBERS = int(os.environ.get("FIRE_JOBS_MEMBERS", "60000"))
TW_TOKEN = "twilio-auth-token"
API_TOKEN = "rec-0123456789abcdefghij"
OURS = "+447700900000"
PW = "correct horse battery staple"

env = t.TestEnv("fire-jobs")
api_port = t.free_port()
admin_port = t.free_port()
tokens = env.write_secret("api-tokens", "records %s\n" % API_TOKEN)
os.chmod(tokens, 0o600)
env.write_config({
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
    "email": {"transport": "file"},
    "campaign": {"frequency_cap": 0},
    "api": {"listen": "127.0.0.1:%d" % api_port, "tokens_file": tokens},
    "admin": {"listen": "127.0.0.1:%d" % admin_port},
})
API = "http://127.0.0.1:%d" % api_port
for args in (["init"],
             ["practice", "add", "A81001", "--name", "Riverside",
              "--sms-from", OURS],
             ["survey", "load", os.path.join(t.TOP, "surveys",
                                             "post-meeting.yaml")],
             ["user", "add", "pm@a.example", "--name", "Pat Manager",
              "--role", "manager", "--practice", "A81001"]):
    rc, out, err = env.ppgd(*args)
    t.check_eq(rc, 0, " ".join(args[:2]) + ": " + err)
DB = env.sections["daemon"]["database"]

t.bulk_members(DB, MEMBERS)


def rows(sql, *args):
    conn = sqlite3.connect(DB, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def one(sql, *args):
    r = rows(sql, *args)
    return r[0][0] if r else None


def sms(sid):
    return t.twilio_sms(env.url, TW_TOKEN, OURS, sid)


def broadcast(name, answers):
    """POST a broadcast; append (name, status, Location, JSON) when answered."""
    body = json.dumps({"practice": "A81001", "template": "broadcast",
                       "message": "Flu clinics Saturday.",
                       "channels": ["email"], "name": name}).encode()
    st, hd, out = t.http_request(
        "POST", API + "/api/v1/broadcasts", body,
        {"Authorization": "Bearer " + API_TOKEN,
         "Content-Type": "application/json"}, timeout=300)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    answers.append((name, st, hd.get("Location"), doc))


def run_of(name):
    return one("SELECT r.id FROM runs r JOIN campaigns c ON"
               " c.id = r.campaign_id WHERE c.name = ?", name)


def firing(name):
    return one("SELECT r.firing FROM runs r JOIN campaigns c ON"
               " c.id = r.campaign_id WHERE c.name = ?", name)


def webhooks_while(pending, tag, answers=None):
    """Webhooks one after another while pending() holds: for each, its
    status, whether pending() still held when it was answered, whether its
    message was stored by then, and how many API calls were answered."""
    out = []
    k = 0
    while pending() and k < 500:
        k += 1
        sid = "SM%s%d" % (tag, k)
        st = sms(sid)
        out.append((st, pending(),
                    one("SELECT count(*) FROM inbound WHERE"
                        " provider_msg_id = ?", sid),
                    len(answers) if answers is not None else 0))
    return out


with env.serve() as d:
    t.check_eq(sms("SMwarm"), 200, "a webhook before the fire: 200")

    # ---- an API broadcast, a second one and a scheduled campaign --------
    # A campaign due in 2 s: if it comes due while the broadcasts fire, the
    # scheduler waits for them; either way its rows come after theirs.
    at = (datetime.datetime.now(datetime.timezone.utc)
          + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rc, out, err = env.ppgd("campaign", "add", "Scheduled", "--practice",
                            "A81001", "--kind", "broadcast", "--template",
                            "broadcast", "--channels", "email", "--message",
                            "hi", "--at", at)
    t.check(rc == 0, "a campaign scheduled in 2 s (%s)" % err.strip())
    answers = []
    first = threading.Thread(target=broadcast, args=("Big one", answers))
    first.start()
    t.check(f.wait_for(lambda: firing("Big one") == 1 or answers, 60,
                       step=0.002),
            "the broadcast's run is firing")
    # A second broadcast queues behind it; its run is made at once.
    second = threading.Thread(target=broadcast, args=("Big two", answers))
    second.start()
    during = webhooks_while(lambda: len(answers) < 2, "api", answers)
    t.check(len(during) > 0 and all(a[0] == 200 for a in during),
            "every webhook sent while the broadcasts fire is answered 200"
            " (%d)" % len(during))
    t.check(all(a[2] == 1 for a in during),
            "and stored by the time it is answered")
    first_pending = [a for a in during if a[1] and a[3] == 0]
    t.check(len(first_pending) > 0,
            "webhooks are answered while the first broadcast call waits for"
            " its fire (%d of %d)" % (len(first_pending), len(during)))
    first.join(300)
    second.join(300)
    t.check_eq([a[0] for a in answers], ["Big one", "Big two"],
               "the broadcasts are answered in the order they were queued")
    for name, st, loc, doc in answers:
        run = run_of(name)
        t.check_eq(st, 202, name + ": 202 Accepted")
        t.check_eq(loc, "/api/v1/campaigns/" + name.replace(" ", "%20"),
                   name + ": Location names the campaign")
        want = {"campaign": name, "run_id": run,
                "scheduled_for": None,
                "reminder": 0, "created": True, "matched": MEMBERS,
                "messages": MEMBERS, "email": MEMBERS, "sms": 0, "held": 0}
        got = dict(doc or {})
        t.check(isinstance(got.get("scheduled_for"), str),
                name + ": scheduled_for is a time")
        want["scheduled_for"] = got.get("scheduled_for")
        skipped = got.pop("skipped", None)
        t.check_eq(got, want, name + ": the answer is the run's summary"
                   " with its final counts")
        t.check(isinstance(skipped, dict) and skipped
                and all(v == 0 for v in skipped.values())
                and "render_failed" in skipped,
                name + ": skipped counts, all 0 (%r)" % skipped)
        t.check_eq(firing(name), 0, name + ": its run is fired when answered")
    t.check(f.wait_for(lambda: firing("Scheduled") == 0, 120),
            "the scheduled campaign fires after them")
    spans = {n: rows("SELECT min(o.id), max(o.id), count(*) FROM outbox o"
                     " JOIN runs r ON r.id = o.run_id JOIN campaigns c ON"
                     " c.id = r.campaign_id WHERE c.name = ?", n)[0]
             for n in ("Big one", "Big two", "Scheduled")}
    t.check(spans["Big one"][1] < spans["Big two"][0]
            and spans["Big two"][1] < spans["Scheduled"][0],
            "the three fires queue behind each other: their rows never"
            " interleave (%r)" % spans)
    t.check_eq([spans[n][2] for n in ("Big one", "Big two", "Scheduled")],
               [MEMBERS] * 3, "one row per member in each run")
    t.check_eq(rows("SELECT actor, object FROM audit WHERE action ="
                    " 'broadcast.send' ORDER BY id"),
               [("api:records", "Big one"), ("api:records", "Big two")],
               "each broadcast is audited as its client")
    t.check_eq(rows("SELECT name, state FROM campaigns WHERE name LIKE"
                    " 'Big %' ORDER BY name"),
               [("Big one", "done"), ("Big two", "done")],
               "the broadcasts are done")
    t.check(f.wait_for(lambda: one("SELECT count(*) FROM outbox WHERE"
                                   " held_reason = 'firing'") == 0, 120),
            "every row released")

    # ---- the minutes of a meeting, sent through the API -----------------
    rc, out, err = env.ppgd("meeting", "add", "--practice", "A81001", "--at",
                            "2030-01-15T18:30", "--where", "Community Room")
    t.check(rc == 0, "a meeting (%s)" % err.strip())
    mid = one("SELECT max(id) FROM meetings")
    minutes = []

    def send_minutes():
        body = json.dumps({"text": "We agreed three priorities.",
                           "send": True, "channels": "email"}).encode()
        st, _, out = t.http_request(
            "PUT", API + "/api/v1/meetings/%d/minutes" % mid, body,
            {"Authorization": "Bearer " + API_TOKEN,
             "Content-Type": "application/json"}, timeout=300)
        minutes.append((st, json.loads(out)))

    name = "meeting-%d-minutes" % mid
    mt = threading.Thread(target=send_minutes)
    mt.start()
    t.check(f.wait_for(lambda: firing(name) == 1 or minutes, 60,
                       step=0.002), "the minutes' run is firing")
    during = webhooks_while(lambda: not minutes, "minutes", minutes)
    mt.join(300)
    t.check(all(a[0] == 200 and a[2] == 1 for a in during)
            and any(a[1] for a in during),
            "webhooks are answered and stored while the minutes call waits"
            " for its fire (%d, %d before it)"
            % (len(during), len([a for a in during if a[1]])))
    st, doc = minutes[0] if minutes else (None, {})
    t.check_eq(st, 200, "the minutes call: 200")
    t.check_eq(doc.get("sent"), {"campaign": name, "messages": MEMBERS,
                                 "email": MEMBERS, "sms": 0},
               "its answer says what was sent, with the final counts")
    t.check(doc.get("id") == mid and doc.get("minutes") is not None,
            "and is the meeting, as before")
    t.check_eq(rows("SELECT state FROM campaigns WHERE name = ?", name),
               [("done",)], "the minutes' campaign is done")

    # ---- a meeting moved, then cancelled, through the API ----------------
    # Telling those invited is a job of slices of 1,000 member ids, each its
    # own transaction: webhooks are answered between them, and the call's
    # answer (the same JSON as ever) comes at the job's end.
    rc, out, err = env.ppgd("meeting", "add", "--practice", "A81001", "--at",
                            "2030-02-12T18:30", "--where", "Library",
                            "--with-campaigns", "--channels", "email")
    t.check(rc == 0, "a meeting with campaigns (%s)" % err.strip())
    mid2 = one("SELECT max(id) FROM meetings")
    inv = "meeting-%d-invitation" % mid2
    rc, out, err = env.ppgd("campaign", "send", inv)
    t.check(rc == 0, "its invitation is sent (%s)" % err.strip())
    conn = sqlite3.connect(DB, timeout=30)
    with conn:
        conn.execute("UPDATE outbox SET state = 'sent', sent_at = 1 WHERE"
                     " run_id IN (SELECT r.id FROM runs r JOIN campaigns c"
                     " ON c.id = r.campaign_id WHERE c.name = ?)", (inv,))
    conn.close()

    def notices(kind):
        return one("SELECT count(*) FROM meeting_notices WHERE"
                   " meeting_id = ? AND kind = ?", mid2, kind)

    def meeting_call(method, path, body, out):
        st, _, got = t.http_request(
            method, API + path, json.dumps(body).encode(),
            {"Authorization": "Bearer " + API_TOKEN,
             "Content-Type": "application/json"}, timeout=300)
        out.append((st, json.loads(got) if got else None))

    for method, path, body, kind in (
            ("PATCH", "/api/v1/meetings/%d" % mid2,
             {"at": "2030-02-19T18:30"}, "meeting-moved"),
            ("POST", "/api/v1/meetings/%d/cancel" % mid2, {},
             "meeting-cancelled")):
        got = []
        th = threading.Thread(target=meeting_call,
                              args=(method, path, body, got))
        th.start()
        during = webhooks_while(lambda: not got, kind, got)
        th.join(300)
        t.check(all(a[0] == 200 and a[2] == 1 for a in during),
                kind + ": webhooks meanwhile are answered and stored (%d)"
                % len(during))
        t.check(any(a[1] for a in during),
                kind + ": some while the call waited for its messages"
                " (%d of %d)" % (len([a for a in during if a[1]]),
                                 len(during)))
        st, doc = got[0] if got else (None, None)
        t.check_eq(st, 200, kind + ": the call answers 200")
        note = (doc or {}).get("notice") or {}
        t.check_eq((note.get("messages"), note.get("email"), note.get("sms")),
                   (MEMBERS, MEMBERS, 0),
                   kind + ": its answer counts every member told")
        t.check_eq(notices(kind), MEMBERS,
                   kind + ": one message a member, none twice")
        t.check_eq(one("SELECT count(*) FROM meeting_notice_jobs"), 0,
                   kind + ": the job is done")

    # ---- the web admin's send -------------------------------------------
    rc, out, err = env.ppgd("campaign", "add", "Admin send", "--practice",
                            "A81001", "--kind", "broadcast", "--template",
                            "broadcast", "--channels", "email", "--message",
                            "hi")
    t.check(rc == 0, "a campaign to send from the admin (%s)" % err.strip())
    cid = one("SELECT id FROM campaigns WHERE name = 'Admin send'")
    b = Browser("http://127.0.0.1:%d" % admin_port)
    rc, j, err = env.ppgd_json("user", "reset-password", "pm@a.example")
    link = urllib.parse.urlparse(j["link"]).path if j else "/reset/x"
    st, _, _ = b.post(link, {"password": PW, "csrf": b.csrf(link)})
    t.check_eq(st, 200, "the manager sets a password")
    st, _, _ = b.post("/login", {"email": "pm@a.example", "password": PW,
                                 "csrf": b.csrf("/login")})
    t.check(st == 303, "the manager signs in (%d)" % st)
    tok = b.csrf("/campaigns/%d" % cid)
    st, hd, _ = b.post("/campaigns/%d/send" % cid, {"csrf": tok})
    sent_firing = firing("Admin send")
    t.check(st == 303 and hd.get("Location") == "/campaigns/%d?sent=1" % cid,
            "the send answers with the campaign's page (%d)" % st)
    page_st, _, page = b.get("/campaigns/%d" % cid)
    t.check(page_st == 200, "the campaign's page")
    if sent_firing == 1 and firing("Admin send") == 1:
        t.check("Sending:" in page, "the page shows the run sending")
    # A reload while it fires: the fire goes on with the configuration it
    # started with (before, that one was freed under it).
    d.reload()
    during = webhooks_while(lambda: firing("Admin send") == 1, "admin")
    t.check(sent_firing == 1,
            "the send is answered while its run still fires")
    t.check(all(a[0] == 200 and a[2] == 1 for a in during),
            "webhooks during the admin's send are answered and stored"
            " (%d, %d while it fired)"
            % (len(during), len([a for a in during if a[1]])))
    t.check(f.wait_for(lambda: firing("Admin send") == 0, 120),
            "the admin's send finishes")
    t.check_eq(one("SELECT messages FROM runs r JOIN campaigns c ON"
                   " c.id = r.campaign_id WHERE c.name = 'Admin send'"),
               MEMBERS, "one message per member")
    t.check(f.wait_for(lambda: f.log_lines(d, r"event=reloaded"), 30),
            "the daemon reloaded its configuration meanwhile")
    t.check(d.running(), "the daemon runs on")
    st, _, page = b.get("/campaigns/%d" % cid)
    t.check(st == 200 and "Sending:" not in page
            and "<caption>Runs</caption>" in page,
            "then the page shows the run, no longer sending")

t.finish()
