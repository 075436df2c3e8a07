#!/usr/bin/env python3
"""Clinical safety over real HTTP against `ppgd serve`: a crisis message by
SMS (in quiet hours), by email reply and in a web survey's free text each
gets the reply for its urgency naming the practice it came to (not another
practice of the network) and its number, a flag, and a staff alert in the
spool without the message in the subject; the reply goes once a day; an
alert nobody acknowledges is sent again; `ppgd inbox --flagged` and `inbox
ack` record who saw and actioned it; /metrics counts what is waiting; a
phrase file with a bad line is refused by check-config with file:line."""

import email
import email.policy
import glob
import hashlib
import json
import os
import re
import secrets
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

TW_TOKEN = "twilio-auth-token"
MG_KEY = "mailgun-signing-key"
ANN = "+447700900123"      # Riverside member
CAT = "+447700900456"      # Hillside member
OURS = "+447700900000"
HILLS = "+447700900001"
DUTY_SMS = "+447700900555"

FFT = {
    "slug": "fft", "title": "Friends and Family Test", "version": 1,
    "anonymous": True, "closing": "Thank you. We read every comment.",
    "questions": [
        {"key": "experience", "type": "fft", "required": True},
        {"key": "what_was_good", "type": "text", "required": False,
         "text": "What was good?", "max_length": 500},
    ],
}

env = t.TestEnv("care")
env.write_config({
    "daemon": {"templates": os.path.join(t.TOP, "templates")},
    # Quiet hours all day but one minute: the care reply is never held.
    "sms": {"quiet_start": "00:00", "quiet_end": "23:59", "transport": "file"},
    "email": {"reply_domain": "reply.example.org", "from": "ppg@example.org"},
    "twilio": {"auth_token_file": env.write_secret("twilio", TW_TOKEN)},
    "mailgun": {"signing_key_file": env.write_secret("mailgun", MG_KEY)},
    "care": {"alert_email": "duty@riverside.example",
             "alert_sms": "07700 900555",
             "escalate_after": "3s", "work_start": "00:00", "work_end": "00:00",
             "work_weekends": "yes"},
    "practice.B82002": {"care_alert_email": "duty@hillside.example"},
})

# -- check-config: a bad phrase file is refused with file:line ---------------
bad = env.path("bad-phrases.txt")
with open(bad, "w") as f:
    f.write("# ours\n[crisis]\nfeel hopeless\n[emergncy]\nfits\n")
env.write_config({"care": {"local_phrases": bad}})
rc, out, err = env.ppgd("check-config")
t.check(rc == 1 and bad + ":4: unknown group [emergncy]" in out + err,
        "check-config refuses a bad phrase line as file:line (%r %r)" % (out, err))
with open(bad, "w") as f:
    f.write("# ours\n[crisis]\nfeel hopeless\n")
rc, out, err = env.ppgd("check-config")
t.check(rc == 0 and "configuration OK" in out, "check-config accepts the fixed file")

hills_phrases = env.path("hillside-phrases.txt")
with open(hills_phrases, "w") as f:
    f.write("[urgent]\nwarfarin dose\n")
env.write_config({"practice.B82002": {"care_phrases": hills_phrases}})

rc, out, err = env.ppgd("init")
t.check_eq(rc, 0, "ppgd init: " + err)
DB = env.sections["daemon"]["database"]


def db():
    c = sqlite3.connect(DB, timeout=10)
    c.row_factory = sqlite3.Row
    return c


def one(sql, *args):
    with db() as c:
        r = c.execute(sql, args).fetchone()
    return None if r is None else r[0]


def execute(sql, *args):
    c = db()
    with c:
        rid = c.execute(sql, args).lastrowid
    c.close()
    return rid


def wait_for(fn, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def texts():
    """Every SMS in the spool: dicts with to, body."""
    out = []
    for p in glob.glob(os.path.join(env.sms_spool, "**", "*.json"),
                       recursive=True):
        with open(p) as f:
            out.extend(json.loads(line) for line in f if line.strip())
    return sorted(out, key=lambda x: x["id"])


def emails():
    """Every email in the spool: (to, subject, text body)."""
    out = []
    paths = glob.glob(os.path.join(env.email_spool, "**", "*.eml"), recursive=True)
    for p in sorted(paths, key=lambda p: int(os.path.basename(p).split(".")[0])):
        with open(p, "rb") as f:
            m = email.message_from_binary_file(f, policy=email.policy.default)
        part = m.get_body(preferencelist=("plain",))
        out.append((str(m["To"]), str(m["Subject"]),
                    part.get_content() if part else ""))
    return out


def texts_to(number):
    return [x["body"] for x in texts() if x["to"] == number]


def emails_to(addr):
    return [(s, b) for to, s, b in emails() if addr in to]


def twilio_sms(sid, frm, to, body):
    url = env.url + "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": frm, "To": to, "Body": body,
              "AccountSid": "AC1"}
    return t.http_post(url, params, headers={
        "X-Twilio-Signature": t.twilio_sign(url, params, TW_TOKEN)})


def mailgun(sender, body):
    ts, token = str(int(time.time())), secrets.token_hex(25)
    # Mailgun says the sender passed SPF: the only way (with a reply+TOKEN
    # address) that an email is attributed to a member.
    f = {"sender": sender, "recipient": "ppg@reply.example.org",
         "X-Mailgun-Spf": "Pass",
         "stripped-text": body, "Message-Id": "<%s@x>" % token,
         "timestamp": ts, "token": token,
         "signature": t.mailgun_sign(MG_KEY, ts, token)}
    return t.http_post(env.url + "/webhooks/mailgun/email", f)


def metric(name):
    st, _, body = t.http_get(env.url + "/metrics")
    m = re.search(r"^%s (\d+)$" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if m else None


# -- fixtures: two practices of a network, a member of each ------------------
now = int(time.time())
execute("INSERT INTO practices (code, name, sms_from, phone, created_at) VALUES"
        " ('A81001', 'Riverside Surgery', ?, '01632 960000', ?)", OURS, now)
execute("INSERT INTO practices (code, name, sms_from, phone, created_at) VALUES"
        " ('B82002', 'Hillside Practice', ?, '01632 960111', ?)", HILLS, now)
ann = execute("INSERT INTO members (practice_id, first_name, email, mobile,"
              " preferred_channel, joined_at, created_at, updated_at) VALUES"
              " (1, 'Ann', 'ann@example.org', ?, 'sms', ?, ?, ?)",
              ANN, now, now, now)
cat = execute("INSERT INTO members (practice_id, first_name, email, mobile,"
              " preferred_channel, joined_at, created_at, updated_at) VALUES"
              " (2, 'Cat', 'cat@example.org', ?, 'sms', ?, ?, ?)",
              CAT, now, now, now)
fft = execute("INSERT INTO surveys (slug, version, title, anonymous, definition,"
              " hash, loaded_at) VALUES ('fft', 1, 'FFT', 1, ?, 'x', ?)",
              json.dumps(FFT), now)
camp = execute("INSERT INTO campaigns (name, practice_id, kind, survey_id,"
               " template, channels, created_at) VALUES ('fft-1', 1, 'survey',"
               " ?, 'survey-invitation', 'email', ?)", fft, now)
web_token = secrets.token_urlsafe(16)
execute("INSERT INTO tokens (hash, kind, member_id, campaign_id, survey_id,"
        " created_at) VALUES (?, 'survey', ?, ?, ?, ?)",
        hashlib.sha256(web_token.encode()).hexdigest(), ann, camp, fft, now)

with env.serve() as d:
    # -- SMS: a crisis at night, to the practice the member belongs to -------
    st, _, _ = twilio_sms("SMc1", CAT, HILLS, "i feel suicidal and cant cope anymore")
    t.check_eq(st, 200, "sms: answered 200")
    t.check_eq(one("SELECT care_flag FROM inbound WHERE provider_msg_id='SMc1'"),
               1, "sms: flagged")
    reply = wait_for(lambda: texts_to(CAT))
    t.check(len(reply) == 1, "sms: one reply, not held by quiet hours (%r)" % reply)
    body = reply[0] if reply else ""
    t.check("Hillside Practice on 01632 960111" in body and "Riverside" not in body,
            "sms: the reply names the member's practice and its number")
    for s in ("999", "option 2", "116 123", "SHOUT to 85258"):
        t.check(s in body, "sms: the crisis reply gives " + s)
    staff = wait_for(lambda: emails_to("duty@hillside.example"))
    t.check(len(staff) == 1, "sms: Hillside's duty address is alerted")
    if staff:
        subj, text = staff[0]
        t.check("Care alert" in subj and "crisis" in subj and
                "suicidal" not in subj, "sms: alert subject without the message")
        t.check("suicidal" not in text, "sms: alert body without the message"
                " (alert_include_text = no)")
        t.check("ppgd inbox ack" in text, "sms: alert says how to acknowledge")
    t.check(not emails_to("duty@riverside.example"),
            "sms: the other practice's staff are not told")
    t.check(wait_for(lambda: texts_to(DUTY_SMS)), "sms: staff alerted by text too")

    # The same again within the day: flagged and alerted, not answered again.
    twilio_sms("SMc2", CAT, HILLS, "I want to kill myself")
    wait_for(lambda: len(emails_to("duty@hillside.example")) == 2)
    t.check_eq(len(emails_to("duty@hillside.example")), 2,
               "sms again: a second staff alert")
    time.sleep(0.5)
    t.check_eq(len(texts_to(CAT)), 1, "sms again: no second reply the same day")
    # An emergency is another urgency: its own reply.
    twilio_sms("SMc3", CAT, HILLS, "can't breathe properly")
    t.check(wait_for(lambda: len(texts_to(CAT)) == 2),
            "sms emergency: its own reply")
    t.check("call 999 now" in (texts_to(CAT) or [""])[-1],
            "sms emergency: the reply says 999")
    # Ordinary: nothing.
    twilio_sms("SMc4", CAT, HILLS, "no chest pain now, thanks")
    t.check_eq(one("SELECT care_flag FROM inbound WHERE provider_msg_id='SMc4'"),
               0, "sms: 'no chest pain now, thanks' is not flagged")

    # A practice's own phrase: for that practice's messages only.
    twilio_sms("SMc5", CAT, HILLS, "question about my warfarin dose")
    t.check_eq(one("SELECT care_flag FROM inbound WHERE provider_msg_id='SMc5'"),
               1, "sms: Hillside's own phrase flags Hillside's member")
    twilio_sms("SMc6", ANN, OURS, "question about my warfarin dose")
    t.check_eq(one("SELECT care_flag FROM inbound WHERE provider_msg_id='SMc6'"),
               0, "sms: not Riverside's")

    # An SMS survey answer: stored, and flagged and answered.
    rid = execute("INSERT INTO responses (survey_id, practice_id, channel,"
                  " started_at) VALUES (?, 1, 'sms', ?)", fft, now)
    execute("INSERT INTO sms_sessions (member_id, response_id, question_index,"
            " expires_at, updated_at) VALUES (?, ?, 1, ?, ?)",
            ann, rid, now + 3600, now)
    twilio_sms("SMc7", ANN, OURS, "the nurse was kind but i want to die")
    t.check_eq(one("SELECT value FROM answers WHERE response_id=?", rid),
               "the nurse was kind but i want to die",
               "sms survey: the answer is stored")
    t.check_eq(one("SELECT care_flag FROM inbound WHERE provider_msg_id='SMc7'"),
               1, "sms survey: the answer is flagged")
    t.check(wait_for(lambda: any("Riverside Surgery on 01632 960000" in b and
                                 "116 123" in b for b in texts_to(ANN))),
            "sms survey: the crisis reply names Riverside")

    # -- email reply -----------------------------------------------------------
    st, _, _ = mailgun("Ann <ann@example.org>",
                       "Hi, my child has a rash and a high fever")
    t.check_eq(st, 200, "email: answered 200")
    got = wait_for(lambda: emails_to("ann@example.org"))
    t.check(len(got) == 1, "email: one reply to the member")
    if got:
        t.check("Riverside Surgery on 01632 960000" in got[0][1] and
                "999" in got[0][1], "email: the reply names the practice and 999")
    t.check(wait_for(lambda: emails_to("duty@riverside.example")),
            "email: Riverside's staff alerted")

    # -- web survey free text ----------------------------------------------------
    st, _, page = t.http_post(env.url + "/s/" + web_token, {
        "experience": "4", "what_was_good": "nothing, chest pain all week and I feel suicidal"})
    page = page.decode()
    t.check_eq(st, 200, "web: the answer is accepted")
    i999, ithanks = page.find("999"), page.find("Thank you</h2>")
    t.check(0 <= i999 < ithanks, "web: the safety message comes before the thanks")
    for s in ("NHS 111", "01632 960000", "116 123", "85258"):
        t.check(s in page, "web: the page gives " + s)
    t.check_eq(one("SELECT count(*) FROM answers a JOIN responses r ON"
                   " r.id = a.response_id WHERE r.channel = 'web' AND"
                   " a.question = 'what_was_good'"),
               1, "web: the answer is still stored")
    t.check_eq(one("SELECT count(*) FROM care_alerts WHERE source='web-survey'"
                   " AND response_id IS NOT NULL"), 1, "web: flagged")
    t.check(wait_for(lambda: len(emails_to("duty@riverside.example")) >= 2),
            "web: staff alerted")

    # -- inbox --flagged, ack ----------------------------------------------------
    rc, j, err = env.ppgd_json("inbox", "--flagged", "--json")
    t.check(rc == 0 and isinstance(j, list) and len(j) == 7,
            "inbox --flagged lists the seven alerts (%r)" % err)
    if rc == 0 and j:
        t.check(all(a["state"] == "new" for a in j), "all new")
        t.check_eq(sorted({a["source"] for a in j}), ["email", "sms", "web-survey"],
                   "inbox --flagged covers every channel")
    t.check_eq(metric("ppgd_care_alerts_unacknowledged"), 7,
               "/metrics: seven unacknowledged")
    t.check((metric("ppgd_care_alert_oldest_unacknowledged_seconds") or -1) >= 0,
            "/metrics: the oldest's age")
    rc, out, err = env.ppgd("inbox", "ack", "1", "--seen", "--by", "jo")
    t.check(rc == 0 and "seen by jo" in out, "inbox ack --seen (%r)" % err)
    rc, out, err = env.ppgd("inbox", "ack", "1", "--by", "al", "--note",
                            "called back, booked")
    t.check(rc == 0 and "actioned by al" in out, "inbox ack: actioned")
    rc, out, err = env.ppgd("inbox", "ack", "1", "--by", "al")
    t.check(rc == 1 and "already actioned" in err, "inbox ack twice: refused")
    rc, j, err = env.ppgd_json("inbox", "--flagged", "--state", "actioned", "--json")
    t.check(rc == 0 and len(j) == 1 and j[0]["seen_by"] == "jo" and
            j[0]["actioned_by"] == "al" and j[0]["note"] == "called back, booked"
            and j[0]["actioned_at"], "inbox --flagged: who and when")
    rc, out, err = env.ppgd("inbox", "--flagged")
    t.check(rc == 0 and "actioned:al" in out, "inbox --flagged text shows the state")

    # -- escalation: the four still new are sent again; the actioned is not -
    def escalated():
        return [s for _, s, _ in emails() if "NOT ACKNOWLEDGED" in s]
    wait_for(lambda: len(escalated()) >= 6, timeout=30)
    esc = escalated()
    t.check(len(esc) >= 6, "escalation: unacknowledged alerts sent again (%d)" % len(esc))
    t.check(not [s for _, s, _ in emails()
                 if "NOT ACKNOWLEDGED: care alert 1 " in s],
            "escalation: the actioned alert is not sent again")
    t.check(one("SELECT min(alerts) FROM care_alerts WHERE state='new'") >= 2,
            "escalation: counted on the alert")

t.finish()
