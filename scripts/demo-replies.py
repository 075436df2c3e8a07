#!/usr/bin/env python3
"""The demo's members answer, as real members would, over real HTTP to the
running `ppgd serve`: signed Twilio inbound texts (FFT answers one question at
a time, an invalid answer, a STOP, a request for care, a stranger), web survey
submissions with the links from the delivered emails, and an email reply to
the meeting invitation through the Mailgun route.

usage: demo-replies.py DEMO_DIR PUBLIC_URL
"""
import base64
import email
import email.policy
import glob
import hashlib
import hmac
import json
import os
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

demo, url = sys.argv[1], sys.argv[2].rstrip("/")
rng = random.Random(2026)
twilio_token = open(os.path.join(demo, "twilio-token")).read().strip()
mailgun_key = open(os.path.join(demo, "mailgun-key")).read().strip()
counts = {"texts": 0, "web": 0, "email": 0, "refused": 0}


def post(path, fields, headers=None):
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url + path, data=data, method="POST",
                                 headers=dict(headers or {}))
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def text(sender, body):
    """An inbound SMS, signed as Twilio signs it."""
    sid = "SM" + hashlib.sha256(os.urandom(16)).hexdigest()[:32]
    fields = {"MessageSid": sid, "AccountSid": "ACdemo", "From": sender,
              "To": "Riverside", "Body": body, "NumMedia": "0"}
    signed = url + "/webhooks/twilio/sms" + "".join(
        k + fields[k] for k in sorted(fields))
    sig = base64.b64encode(hmac.new(twilio_token.encode(), signed.encode(),
                                    hashlib.sha1).digest()).decode()
    status, _ = post("/webhooks/twilio/sms", fields,
                     {"X-Twilio-Signature": sig})
    counts["texts" if status == 200 else "refused"] += 1
    return status


GOOD = ["Friendly receptionist", "Seen on time", "The nurse explained everything",
        "Easy to book online", "Kind doctor who listened"]
BETTER = ["Answer the phone faster at 8am", "More evening appointments",
          "A quieter waiting room", "Text reminders the day before",
          "Longer appointments for older patients"]
FFT_WORDS = ["very good", "good", "neither good nor poor", "poor", "very poor",
             "don't know"]


def fft_answer():
    return rng.choices(range(1, 7), weights=[44, 30, 9, 7, 5, 5])[0]


# 1. Texts: the FFT survey asks one question at a time by SMS.
sms_members = []
for path in sorted(glob.glob(os.path.join(demo, "spool", "sms", "*.json"))):
    m = json.load(open(path))
    if "Reply 1" in m["body"] and m["to"] not in sms_members:
        sms_members.append(m["to"])
for i, number in enumerate(sms_members):
    if i == 0:
        text(number, "maybe later")          # not an answer: a re-prompt
        text(number, "2")
        text(number, "Good parking")
        text(number, "SKIP")
        continue
    if i == 1:
        text(number, "STOP")                 # opts out; one confirmation
        continue
    if rng.random() > 0.7:
        continue                             # not everyone answers
    a = fft_answer()
    text(number, FFT_WORDS[a - 1] if rng.random() < 0.3 else str(a))
    text(number, rng.choice(GOOD) if rng.random() < 0.6 else "SKIP")
    text(number, rng.choice(BETTER) if rng.random() < 0.5 else "SKIP")
if len(sms_members) > 2:
    # After the survey: a request for care is flagged and answered.
    text(sms_members[2], "Can I get an urgent appointment, I have chest pain")
text("+447700900999", "Hello, is this the surgery?")   # nobody we know

# 2. The web survey, with the links from the delivered emails.
for path in sorted(glob.glob(os.path.join(demo, "spool", "email", "*.eml"))):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    link = re.search(re.escape(url) + r"/s/[A-Za-z0-9_-]+", body)
    if link is None or rng.random() > 0.6:
        continue
    path_s = link.group(0)[len(url):]
    with urllib.request.urlopen(link.group(0), timeout=10) as r:
        assert r.status == 200
    fields = {"experience": str(fft_answer())}
    if rng.random() < 0.7:
        fields["what_was_good"] = rng.choice(GOOD)
    if rng.random() < 0.6:
        fields["do_better"] = rng.choice(BETTER)
    status, _ = post(path_s, fields, {"Origin": url})
    counts["web" if status == 200 else "refused"] += 1

# 3. An email reply to the meeting invitation: an agenda item.
for path in sorted(glob.glob(os.path.join(demo, "spool", "email", "*.eml"))):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    if "invited" not in str(msg["Subject"]) or not msg["Reply-To"]:
        continue
    ts, token = str(int(time.time())), hashlib.sha256(os.urandom(8)).hexdigest()
    sig = hmac.new(mailgun_key.encode(), (ts + token).encode(),
                   hashlib.sha256).hexdigest()
    item = "Could we talk about the new phone system at the meeting?"
    status, _ = post("/webhooks/mailgun/email", {
        "sender": str(msg["To"]), "recipient": str(msg["Reply-To"]),
        "subject": "Re: " + str(msg["Subject"]), "body-plain": item + "\n\n> quoted",
        "stripped-text": item, "timestamp": ts, "token": token,
        "signature": sig})
    counts["email" if status == 200 else "refused"] += 1
    break

print("texts sent: %(texts)d, web surveys submitted: %(web)d, "
      "email replies: %(email)d, refused: %(refused)d" % counts)
sys.exit(1 if counts["refused"] else 0)
