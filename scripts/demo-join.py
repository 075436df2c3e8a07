#!/usr/bin/env python3
"""The demo's new member: a patient scans the waiting-room poster's QR code,
fills in the join page and confirms by the link in the email, all over real
HTTP to the running daemon. Usage: demo-join.py DEMO_DIR URL."""

import email
import email.policy
import glob
import os
import re
import sys
import time
import urllib.parse
import urllib.request

demo, url = sys.argv[1], sys.argv[2]
EMAIL = "jordan.mensah@example.org"


def post(path, fields):
    req = urllib.request.Request(
        url + path, data=urllib.parse.urlencode(fields).encode(),
        headers={"Origin": url}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode()


def confirmation_link():
    for _ in range(100):
        for p in glob.glob(os.path.join(demo, "spool", "email", "*.eml")):
            with open(p, "rb") as f:
                m = email.message_from_bytes(f.read(), policy=email.policy.default)
            if m["To"] == EMAIL and "confirm" in m["Subject"]:
                text = m.get_body(preferencelist=("plain",)).get_content()
                return re.search(r"https?://\S+/confirm/[A-Za-z0-9_-]+", text).group(0)
        time.sleep(0.1)
    sys.exit("no confirmation email arrived")


st, page = post("/join/A81001", {
    "source": "waiting-room", "first_name": "Jordan", "last_name": "Mensah",
    "email": EMAIL, "consent_email": "yes", "age_band": "25-34",
    "sex": "male", "ethnicity": "black", "agree": "yes"})
print("POST /join/A81001 (from the poster) -> %d: %s" % (
    st, re.search(r"<h1>(.*?)</h1>", page).group(1)))
link = confirmation_link()
print("confirmation link from the email: %s" % link.replace(url, ""))
st, page = post(link[len(url):], {})
print("POST the link -> %d: %s" % (st, re.search(r"<h1>(.*?)</h1>", page).group(1)))
