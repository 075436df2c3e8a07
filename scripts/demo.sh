#!/bin/sh
# make demo: the whole PPG cycle on the embedded default (SQLite + the file
# transport, no servers), in demo/. Safe to run again: it starts afresh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/demo"
ppgd="$top/ppgd"
port=${PPGD_DEMO_PORT:-18089}
pid=

rm -rf "$demo"
mkdir -p "$demo"
cat > "$demo/ppgd.conf" <<CONF
; The demo's configuration: every other key keeps its default.
[daemon]
database = ppgd.db
listen = 127.0.0.1:$port
public_url = http://127.0.0.1:$port
templates = $top/templates
[email]
transport = file
spool = spool
reply_domain = reply.riverside.example.org
[sms]
transport = file
spool = spool
; The demo sends at any hour; a real practice keeps quiet hours.
quiet_start = 00:00
quiet_end = 00:00
[twilio]
auth_token_file = twilio-token
[mailgun]
signing_key_file = mailgun-key
CONF
# Demo secrets (a real practice's come from its providers).
(umask 077 && echo demo-twilio-auth-token > "$demo/twilio-token" &&
	echo demo-mailgun-signing-key > "$demo/mailgun-key")
P() { "$ppgd" -c "$demo/ppgd.conf" "$@"; }
step() { printf '\n== %s\n' "$*"; }
stop() { [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" || true; }; }
trap stop EXIT

step "1. The database, the practice and its population profile"
P init
P practice add A81001 --name "Riverside Medical Practice" \
	--email-from ppg@riverside.example.org --sms-from Riverside \
	--phone "01632 960000" --website https://riverside.example.org
P practice profile A81001 "$top/config/demo/population.csv"

step "2. The virtual network: 200 synthetic members from an EMIS Web report"
P member import "$top/config/demo/gp-export.csv" --practice A81001
P member stats --practice A81001 | sed -n '1,4p'

step "3. The shipped surveys"
for s in fft practice-experience post-meeting priorities; do
	P survey load "$top/surveys/$s.yaml"
done

step "4. A meeting with its campaigns, and a Friends and Family Test survey"
when=$(date -u -d '+15 days' +%Y-%m-%dT18:30)
P meeting add --practice A81001 --at "$when" \
	--where "Riverside Medical Practice, Community Room" --with-campaigns
P campaign add fft-demo --practice A81001 --kind survey --survey fft \
	--channels sms,email --remind-after 3d --max-reminders 1
P campaign send meeting-1-invitation
P campaign send fft-demo

step "5. The daemon delivers into the spool"
"$ppgd" -c "$demo/ppgd.conf" serve 2> "$demo/serve.log" &
pid=$!
i=0
until curl -fsS "http://127.0.0.1:$port/healthz" > "$demo/healthz.json" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "ppgd serve did not start; see $demo/serve.log"; exit 1; }
	sleep 0.1
done
echo "GET /healthz -> $(cat "$demo/healthz.json")"
i=0
while [ "$(P outbox --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["pending"]+o["sending"])')" != 0 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || { echo "messages did not go out; see $demo/serve.log"; exit 1; }
	sleep 0.1
done
P outbox | grep -E 'sent|failed'
echo "spool: $(ls "$demo/spool/email" | wc -l) emails (.eml), $(ls "$demo/spool/sms" | wc -l) texts (.json)"

if [ -x "$top/scripts/demo-replies.py" ]; then
	step "6. Members answer: texts, web forms and an email, over real HTTP"
	python3 "$top/scripts/demo-replies.py" "$demo" "http://127.0.0.1:$port"
	echo "Flagged as a request for care (answered with the practice, NHS 111 and 999):"
	P inbox --flagged | sed 's/^/  /'
	echo "From a number we do not know (kept, not dropped):"
	P inbox --unmatched | sed 's/^/  /'
	echo "Agenda items sent by replying to the meeting invitation:"
	P meeting show 1 | grep 'agenda item' | sed 's/^/  /'
	echo "Opted out by texting STOP: $(P member list --json | python3 -c '
import json, sys
print(sum(1 for m in json.load(sys.stdin) if m["optout_sms"]))') member(s)"
	i=0
	while [ "$(P outbox --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["pending"]+o["sending"])')" != 0 ]; do
		i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
	done
	echo "Messages now: $(P outbox --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(", ".join("%s %d" % kv for kv in o.items() if kv[1]))')"
fi

step "7. Recruiting: a poster with a QR code, a patient joins, the practice approves"
P recruit poster --practice A81001 --source waiting-room --html "$demo/poster.html" | grep '^join link'
python3 "$top/scripts/demo-join.py" "$demo" "http://127.0.0.1:$port"
P member pending --practice A81001
id=$(P member pending --practice A81001 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
P member approve "$id" --external-ref PPG-0201 2>/dev/null
i=0
while [ "$(P outbox --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["pending"]+o["sending"])')" != 0 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
echo "welcome: $(grep -l '^To: jordan.mensah@example.org' "$demo"/spool/email/*.eml | xargs grep -h '^Subject:' | grep -i welcome)"

step "8. Results and reports"
stop
pid=
echo "Comments to moderate, personal details already masked: $(P comments list fft --pending --json |
	python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
# The demo's moderator approves the first five; the rest stay unpublished.
P comments list fft --pending --json |
	python3 -c 'import json, sys; print("\n".join(str(c["id"]) for c in json.load(sys.stdin)[:5]))' |
	while read -r id; do P comments approve "$id" > /dev/null; done
P results fft --practice A81001 --html "$demo/fft-results.html" > /dev/null
P results fft --practice A81001 --html "$demo/fft-results-internal.html" --internal > /dev/null
P results fft --practice A81001 --submission --month "$(date -u +%Y-%m)" > "$demo/fft-submission.csv"
P results fft --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
q = next(q for q in r["questions"] if q["type"] == "fft")
f = q["fft"]
print("Friends and Family Test: %s responses, %s%% positive, %s%% negative"
      % (q["respondents"], f["positive"], f["negative"]))'
echo "Groups the network under-represents: who joined in the last year, and how to reach more:"
P report representation --practice A81001 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
for f in r["fields"]:
    for g in f["groups"]:
        if "recruit" not in g:
            continue
        by = ", ".join("%s %d" % kv for kv in sorted(g["joined_by_source"].items())) or "none"
        print("  %-8s ratio %.2f  joined: %-16s %s" % (g["value"], g["ratio"], by,
              g["recruit"].replace("ppgd recruit poster --practice A81001 ", "recruit poster ")))'
P report representation --practice A81001 --html "$demo/representation.html" > /dev/null

step "9. The group's year: meetings held, an agreed action, the evidence, the self-assessment"
# Two meetings earlier this week with their minutes (one online, a GP
# partner at it), an action agreed, and the evidence the framework asks
# for that ppgd cannot see: the terms of reference and the website.
y=$(date -u -d '-3 days' +%Y)
m1=$(P meeting add --practice A81001 --at "$(date -u -d '-3 days' +%Y-%m-%dT18:30)" \
	--where "Riverside Medical Practice, Community Room" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
m2=$(P meeting add --practice A81001 --at "$(date -u -d '-2 days' +%Y-%m-%dT18:30)" \
	--where "Online" --link https://meet.example.org/riverside-ppg --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf 'Present: 9 members, the practice manager and Dr Shah.\nAgreed: open the phone lines at 8am.\n' > "$demo/minutes.txt"
for m in "$m1" "$m2"; do P meeting minutes "$m" "$demo/minutes.txt" > /dev/null; done
P meeting attendance "$m2" --present 1 2 3 --staff "Practice manager" --gp-partner "Dr Shah" > /dev/null
a=$(P action add --practice A81001 --area "Getting an appointment" \
	--title "Open the phone lines at 8am" --meeting "$m1" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
P action update "$a" --status agreed --note "agreed at the meeting" > /dev/null
printf '%%PDF-1.4\nTerms of reference of the Riverside PPG\n' > "$demo/terms-of-reference.pdf"
P evidence add --practice A81001 --kind terms-of-reference --date "$(date -u -d '-3 days' +%F)" \
	--file "$demo/terms-of-reference.pdf" --note "agreed at the meeting" > /dev/null
P evidence add --practice A81001 --kind website --date "$(date -u -d '-2 days' +%F)" \
	--link https://riverside.example.org/ppg > /dev/null
P report annual --practice A81001 --year "$y" --sign-off "Pat Jones, PPG chair" --json |
	python3 -c '
import json, sys
fw = json.load(sys.stdin)["framework"]
print("Self-assessment (%s): level %s" % (fw["framework"], fw["level"]))
for lv in fw["levels"]:
    print("  %-7s %d of %d met (%d needed)" % (lv["id"], lv["met"], lv["of"], lv["need"]))'
P report annual --practice A81001 --year "$y" --html "$demo/annual-report.html" > /dev/null
echo "HTML results:        $demo/fft-results.html (staff view: fft-results-internal.html)"
echo "FFT submission:      $demo/fft-submission.csv"
echo "Representation:      $demo/representation.html"
echo "Annual report:       $demo/annual-report.html"
echo "Poster and leaflet:  $demo/poster.html"
echo "Everything else (database, spool, logs) is in $demo."
