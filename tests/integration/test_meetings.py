#!/usr/bin/env python3
"""Meetings through the year against the real `ppgd serve`: the invitation
email's .ics attachment parsed from the spooled .eml, the reply page
/m/{token} (and its CSRF guard and .ics download), YES by SMS through the
Twilio webhook, `meeting show` listing who is coming, `meeting update` and
`meeting cancel` messages in the spool, a recurring series, online links,
and attendance with the GP partner's evidence."""

import email
import email.policy
import glob
import json
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"
BOB = "+447700900123"

API_TOKEN = "staff-0123456789abcdefghij"
env = t.TestEnv("meetings")
API = "http://127.0.0.1:%d" % t.free_port()
env.write_config({
    "api": {"listen": API[len("http://"):],
            "tokens_file": env.write_secret("api-tokens", "staff %s\n" % API_TOKEN)},
    "sms": {"quiet_start": "00:00", "quiet_end": "00:00"},
    "campaign": {"frequency_cap": 0},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
})


def ok(args, what):
    rc, out, err = env.ppgd(*args)
    t.check(rc == 0, "%s exits 0 (rc %s, %r)" % (what, rc, err))
    return out


def jcmd(*args):
    rc, j, err = env.ppgd_json(*args)
    t.check(rc == 0 and j is not None, "%s --json (rc %s, %r)" % (" ".join(args), rc, err))
    return j or {}


def query(sql, *args):
    con = sqlite3.connect(env.path("ppgd.db"), timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + t.slow(timeout)
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def emls():
    files = glob.glob(os.path.join(env.email_spool, "**", "*.eml"), recursive=True)
    out = []
    for f in sorted(files):
        with open(f, "rb") as fh:
            out.append(email.message_from_bytes(fh.read(), policy=email.policy.default))
    return out


def smss():
    out = []
    for f in sorted(glob.glob(os.path.join(env.sms_spool, "**", "*.json"), recursive=True)):
        with open(f) as fh:
            for line in fh:
                if line.strip():
                    out.append(json.loads(line))
    return out


def by_subject(word):
    return [m for m in emls() if word in str(m["Subject"])]


def setup():
    ok(["init"], "init")
    ok(["practice", "add", "A81001", "--name", "Riverside Surgery",
        "--email-from", "ppg@riverside.example", "--phone", "0161 496 0000"],
       "practice add")
    ok(["member", "add", "--practice", "A81001", "--first-name", "Ann",
        "--last-name", "Lee", "--email", "ann@example.org", "--consent-email", "yes"],
       "member add Ann")
    ok(["member", "add", "--practice", "A81001", "--first-name", "Bob",
        "--last-name", "Day", "--mobile", "07700900123", "--preferred-channel", "sms",
        "--consent-sms", "yes"], "member add Bob")
    ok(["survey", "load", os.path.join(t.TOP, "surveys", "post-meeting.yaml")],
       "survey load")


def ics_lines(text):
    """Unfold an iCalendar text (RFC 5545 3.1) into content lines."""
    return text.replace("\r\n ", "").split("\r\n")


def check_ics(raw, what):
    t.check(raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""),
            "%s: every line ends in CRLF" % what)
    t.check(all(len(l) <= 75 for l in raw.split(b"\r\n")),
            "%s: lines folded at 75 octets" % what)
    lines = ics_lines(raw.decode("utf-8"))
    for want in ("BEGIN:VCALENDAR", "METHOD:PUBLISH", "BEGIN:VTIMEZONE",
                 "TZID:Europe/London", "BEGIN:VEVENT", "END:VCALENDAR"):
        t.check(want in lines, "%s: has %s" % (what, want))
    t.check(any(re.match(r"UID:meeting-\d+@127\.0\.0\.1$", l) for l in lines),
            "%s: a UID per meeting (%r)" % (what, [l for l in lines if l.startswith("UID")]))
    t.check(any(re.match(r"DTSTAMP:\d{8}T\d{6}Z$", l) for l in lines), "%s: DTSTAMP" % what)
    t.check(any(re.match(r"DTSTART;TZID=Europe/London:\d{8}T183000$", l) for l in lines),
            "%s: DTSTART at 18:30 local in the practice's zone" % what)
    t.check(any(re.match(r"DTEND;TZID=Europe/London:\d{8}T203000$", l) for l in lines),
            "%s: DTEND two hours later" % what)
    t.check("URL:https://meet.example.org/riverside" in lines, "%s: URL of the online meeting" % what)
    t.check("LOCATION:Community Room\\, Riverside" in lines, "%s: LOCATION escaped" % what)
    t.check("TZOFFSETTO:+0100" in lines and "TZOFFSETTO:+0000" in lines,
            "%s: the zone's summer and winter offsets" % what)
    return lines


def test_invitation(d):
    when = time.strftime("%Y-%m-%dT18:30", time.gmtime(time.time() + 30 * 86400))
    j = jcmd("meeting", "add", "--practice", "A81001", "--at", when,
             "--where", "Community Room, Riverside", "--link",
             "https://meet.example.org/riverside", "--with-campaigns",
             "--channels", "email,sms")
    mid = j.get("id", 0)
    t.check_eq(j.get("link"), "https://meet.example.org/riverside", "meeting add --link")
    ok(["campaign", "send", "meeting-%d-invitation" % mid], "campaign send invitation")
    d.reload()
    invites = wait_for(lambda: by_subject("You are invited"))
    sms = wait_for(lambda: smss())
    t.check(len(invites) == 1 and len(sms) == 1, "the invitation goes by email and SMS")
    if not invites or not sms:
        return mid, None
    msg = invites[0]
    t.check_eq(msg.get_content_type(), "multipart/mixed", "the invitation is multipart/mixed")
    cal = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    t.check(len(cal) == 1, "one text/calendar part")
    if cal:
        t.check_eq(cal[0].get_param("method"), "PUBLISH", "Content-Type method=PUBLISH")
        t.check_eq(cal[0].get_filename(), "meeting.ics", "attachment named meeting.ics")
        check_ics(cal[0].get_payload(decode=True), "the .ics attachment")
    text = msg.get_body(preferencelist=("plain",)).get_content()
    t.check("Join online: https://meet.example.org/riverside" in text,
            "the invitation shows the online link")
    m = re.search(r"(https?://[^\s]+/m/([A-Za-z0-9_-]+))", text)
    t.check(m is not None, "the invitation has the member's reply link")
    t.check("Reply YES" in sms[0]["body"] or "Reply YES" in sms[0].get("text", ""),
            "the SMS invitation asks for YES or NO (%r)" % sms[0])
    t.check(re.search(r"/m/[A-Za-z0-9_-]{16,43}", json.dumps(sms[0])) is not None,
            "the SMS invitation has the member's reply link")
    return mid, m.group(1) if m else None


def test_reply_page(mid, link):
    st, h, body = t.http_get(link)
    t.check_eq(st, 200, "GET /m/{token}")
    page = body.decode()
    t.check("Can you come to the meeting?" in page and "Community Room, Riverside" in page,
            "the reply page names the meeting")
    t.check("<script" not in page.lower(), "no JavaScript on the reply page")
    t.check('href="https://meet.example.org/riverside"' in page,
            "the reply page links the online meeting")
    t.check('for="answer-yes"' in page and "<legend" in page, "labelled radio group")
    st, _, _ = t.http_post(link, {"answer": "yes"},
                           headers={"Origin": "https://evil.example"})
    t.check_eq(st, 403, "a cross-site POST is refused")
    t.check_eq(jcmd("meeting", "show", str(mid))["replies"]["yes"], 0,
               "a refused POST records nothing")
    st, _, body = t.http_post(link, {"answer": "maybe"})
    t.check_eq(st, 400, "an answer other than yes or no is refused")
    st, _, body = t.http_post(link, {"answer": "yes"}, headers={"Origin": env.url})
    t.check(st == 200 and b"coming" in body, "POST yes from our origin is recorded")
    st, h, body = t.http_get(link + ".ics")
    t.check(st == 200 and "text/calendar" in (h.get("Content-Type") or ""),
            "GET /m/{token}.ics is text/calendar")
    if st == 200:
        check_ics(body, "the .ics download")
    st, _, _ = t.http_get(link[:-4] + "AAAA")
    t.check_eq(st, 404, "a wrong token is 404")


def twilio_sms(sid, body, frm):
    url = env.url + "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": frm, "To": "+447700900999", "Body": body,
              "AccountSid": "AC1"}
    return t.http_post(url, params, headers={"X-Twilio-Signature":
                                             t.twilio_sign(url, params, TW_TOKEN)})


def test_sms_yes(mid):
    st, _, _ = twilio_sms("SMyes1", "Yes!", BOB)
    t.check_eq(st, 200, "the Twilio webhook takes YES")
    rows = query("SELECT disposition FROM inbound WHERE provider_msg_id = 'SMyes1'")
    t.check_eq(rows and rows[0][0], "meeting-reply", "YES is a meeting reply")
    j = jcmd("meeting", "show", str(mid))
    t.check_eq(j["replies"]["yes"], 2, "meeting show counts two coming")
    t.check_eq(sorted(c["name"] for c in j["replies"]["coming"]), ["Ann Lee", "Bob Day"],
               "meeting show --json names those coming")
    out = ok(["meeting", "show", str(mid)], "meeting show")
    t.check("coming: 2" in out and "Bob Day" in out, "meeting show lists who is coming")
    thanks = wait_for(lambda: [s for s in smss() if "noted that you are coming" in
                               json.dumps(s)])
    t.check(len(thanks) == 1, "Bob gets a thank-you text")
    # STOP still comes first.
    twilio_sms("SMno1", "NO", BOB)
    t.check_eq(jcmd("meeting", "show", str(mid))["replies"]["no"], 1, "NO changes his answer")


def test_update_and_cancel(mid):
    when = time.strftime("%Y-%m-%dT18:30", time.gmtime(time.time() + 37 * 86400))
    j = jcmd("meeting", "update", str(mid), "--at", when, "--where", "Library")
    t.check_eq(j.get("notice", {}).get("messages"), 2, "update queues two moved messages")
    moved = wait_for(lambda: by_subject("Meeting moved"))
    t.check(len(moved) == 1 and "Library" in moved[0].get_body(
        preferencelist=("plain",)).get_content(), "the moved email is in the spool")
    if moved:
        cal = [p for p in moved[0].walk() if p.get_content_type() == "text/calendar"]
        t.check(cal and b"SEQUENCE:1" in cal[0].get_payload(decode=True),
                "the moved email's .ics has a higher SEQUENCE")
    t.check(wait_for(lambda: [s for s in smss() if "has moved" in json.dumps(s)]),
            "the moved SMS is in the spool")
    rem = [c for c in j.get("campaigns", []) if c["kind"] == "reminder"]
    t.check(rem and rem[0]["next_fire_at"].startswith(
        time.strftime("%Y-%m-%d", time.gmtime(time.time() + 36 * 86400))),
        "the reminder follows the new time (%r)" % rem)
    j = jcmd("meeting", "cancel", str(mid))
    t.check_eq(j.get("status"), "cancelled", "meeting cancel marks it")
    t.check(all(c["state"] == "done" for c in j.get("campaigns", [])),
            "meeting cancel stops its campaigns")
    t.check(wait_for(lambda: by_subject("Cancelled")), "the cancellation email is in the spool")
    rc, _, err = env.ppgd("meeting", "update", str(mid), "--where", "Hall")
    t.check(rc == 1 and "cancelled" in err, "a cancelled meeting cannot be moved")


def test_series_and_attendance():
    j = jcmd("meeting", "add", "--practice", "A81001", "--at", "2025-01-31T18:30",
             "--where", "Hall", "--every", "3m", "--count", "4")
    t.check_eq([m["at"][:16] for m in j] if isinstance(j, list) else j,
               ["2025-01-31T18:30", "2025-04-30T18:30", "2025-07-31T18:30",
                "2025-10-31T18:30"], "--every 3m --count 4: four quarterly meetings")
    ids = [m["id"] for m in j] if isinstance(j, list) else [0]
    t.check(isinstance(j, list) and all(m["series"] == ids[0] for m in j),
            "the series shares its first meeting's id")
    rc, _, err = env.ppgd("meeting", "add", "--practice", "A81001", "--at",
                          "2025-01-31T18:30", "--where", "Hall", "--every", "3x",
                          "--count", "4")
    t.check(rc == 1 and "--every" in err, "a bad --every is refused (%r)" % err)
    rc, _, err = env.ppgd("meeting", "add", "--practice", "A81001", "--at",
                          "2025-01-31T18:30", "--where", "Hall", "--link",
                          "javascript:alert(1)")
    t.check(rc == 1 and "https://" in err, "a --link that is not http(s) is refused")
    csv = env.path("present.csv")
    with open(csv, "w") as f:
        f.write("name\nAnn Lee\n2\n")
    j = jcmd("meeting", "attendance", str(ids[0]), "--csv", csv, "--staff", "Jo Smith",
             "--gp-partner", "Dr Patel", "--present", "1")
    t.check_eq(sorted((a["role"], a["name"]) for a in j.get("attendance", [])),
               [("gp-partner", "Dr Patel"), ("member", "Ann Lee"), ("member", "Bob Day"),
                ("staff", "Jo Smith")], "attendance from a CSV, staff and GP partner")
    t.check_eq(j.get("status"), "held", "attendance marks the meeting held")
    ev = jcmd("evidence", "list", "--practice", "A81001", "--kind", "gp-partner-attended")
    t.check(len(ev) == 1 and ev[0].get("meeting") is not None,
            "the GP partner's attendance is evidence linked to the meeting (%r)" % ev)
    rc, r, err = env.ppgd_json("report", "annual", "--practice", "A81001", "--year", "2025")
    gold3 = [c for lv in (r or {}).get("framework", {}).get("levels", [])
             for c in r["framework"][lv["id"]] if c["id"] == "gold-3"]
    t.check(gold3 and gold3[0]["status"] == "met",
            "the framework's GP-partner criterion (gold-3) is met (%r)" % gold3)
    rc, _, err = env.ppgd("meeting", "attendance", str(ids[1]), "--present", "99")
    t.check(rc == 1 and "no member 99" in err, "an unknown member is refused")
    ok(["action", "add", "--practice", "A81001", "--area", "Access", "--title",
        "Longer phone hours", "--meeting", str(ids[0])], "action add --meeting")
    j = jcmd("meeting", "show", str(ids[1]))
    t.check_eq([a["title"] for a in j.get("previous_actions", [])], ["Longer phone hours"],
               "the next meeting lists the previous meeting's actions for review")
    return ids


def test_api(ids):
    auth = {"Authorization": "Bearer " + API_TOKEN}
    st, _, body = t.http_get(API + "/api/v1/meetings?practice=A81001", headers=auth)
    j = json.loads(body or b"{}")
    t.check(st == 200 and [m["id"] for m in j.get("meetings", [])][:4] == ids,
            "GET /api/v1/meetings lists them (%s %r)" % (st, body[:200]))
    st, _, body = t.http_get(API + "/api/v1/meetings/%d" % ids[0], headers=auth)
    j = json.loads(body or b"{}")
    t.check(st == 200 and j.get("status") == "held" and
            len(j.get("attendance", [])) == 4, "GET /api/v1/meetings/{id}")
    st, _, _ = t.http_get(API + "/api/v1/meetings/x1", headers=auth)
    t.check_eq(st, 404, "GET /api/v1/meetings/x1 is 404")
    st, _, _ = t.http_get(API + "/api/v1/meetings/%d" % ids[0])
    t.check_eq(st, 401, "the meetings API needs a token")


def test_minutes(ids):
    notes = env.path("minutes.txt")
    with open(notes, "w") as f:
        f.write("We agreed three priorities.\n\nThe practice <will> extend phone hours.\n")
    rc, out, err = env.ppgd("meeting", "minutes", str(ids[0]), notes, "--publish", "--send",
                            "--channels", "email")
    t.check(rc == 0 and "published at %s/practice/A81001/meetings/%d" % (env.url, ids[0]) in out
            and "sent as meeting-%d-minutes" % ids[0] in out,
            "meeting minutes --publish --send (%r %r)" % (out, err))
    rc, _, err = env.ppgd("meeting", "minutes", str(ids[0]), notes, "--send")
    t.check(rc == 1 and "sent already" in err, "the minutes are sent once")
    sent = wait_for(lambda: by_subject("Notes of our patient group meeting"))
    t.check(len(sent) == 1 and "We agreed three priorities." in
            sent[0].get_body(preferencelist=("plain",)).get_content(),
            "the minutes email is in the spool")
    st, h, body = t.http_get("%s/practice/A81001/meetings/%d" % (env.url, ids[0]))
    page = body.decode()
    t.check(st == 200 and "We agreed three priorities." in page and
            "&lt;will&gt;" in page, "the published minutes page, escaped")
    t.check("Ann" not in page and "Lee" not in page and "Bob" not in page and
            "Patel" not in page and "Jo Smith" not in page,
            "the public minutes page names no member, staff or GP partner")
    st, _, body = t.http_get("%s/practice/A81001/meetings" % env.url)
    t.check(st == 200 and ("/practice/A81001/meetings/%d" % ids[0]).encode() in body,
            "the list of published minutes links them")
    st, _, _ = t.http_get("%s/practice/A81001/meetings/%d" % (env.url, ids[1]))
    t.check_eq(st, 404, "unpublished minutes are not public")
    st, _, _ = t.http_get("%s/practice/A81001/meetings/x%d" % (env.url, ids[0]))
    t.check_eq(st, 404, "a bad meeting id is 404")
    st, _, _ = t.http_get("%s/practice/A81001/actions" % env.url)
    t.check_eq(st, 200, "the action plan page still works")


def main():
    setup()
    with env.serve() as d:
        mid, link = test_invitation(d)
        if link:
            test_reply_page(mid, link)
        test_sms_yes(mid)
        test_update_and_cancel(mid)
        ids = test_series_and_attendance()
        test_api(ids)
        test_minutes(ids)
    t.finish()


if __name__ == "__main__":
    main()
