#!/bin/sh
# Responsiveness: signed Twilio webhooks at a steady rate against
# `ppgd serve` while heavy work runs beside it, beside the same load with
# nothing else running. Background work, one at a time:
#   import    `ppgd member import` of IMPORT rows (a CLI process)
#   fire-cli  `ppgd campaign send` of a survey campaign to MEMBERS members
#   fire-sched  the same campaign fired by the daemon's scheduler (--at)
#   fire-api  POST /api/v1/broadcasts to the same MEMBERS (an SMS broadcast),
#             the call answered when its fire ends (the daemon's fire queue)
# For each, the webhooks' p50, p99 and maximum latency (from the time each
# was due to be sent, so a stall counts in full) and the count of answers
# other than 200. Aim: no non-200, maximum under 500 ms.
#
# usage: bench/responsive_bench.sh [MEMBERS [IMPORT]]  (100000, 300000,
# scaled by BENCH_SCALE). BENCH_RATE: webhooks a second (100).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
scale=${BENCH_SCALE:-1}
members=${1:-$(python3 -c "print(int(100000 * float('$scale')))")}
import_rows=${2:-$(python3 -c "print(int(300000 * float('$scale')))")}
rate=${BENCH_RATE:-100}
[ -x "$top/ppgd" ] || make -C "$top" ppgd >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-responsive.XXXXXX")
spid=
cleanup() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(freeport)
api_port=$(freeport)
umask 077
printf bench-auth-token >"$work/twilio"
printf 'bench bench-api-token-0123456789\n' >"$work/api-tokens"
cat >"$work/ppgd.conf" <<CONF
[daemon]
database = $work/ppgd.db
listen = 127.0.0.1:$port
public_url = http://127.0.0.1:$port
templates = $top/templates
[api]
listen = 127.0.0.1:$api_port
tokens_file = $work/api-tokens
[email]
spool = $work/spool
[sms]
spool = $work/spool
; Quiet hours all day: the fired messages wait (held), so each run measures
; its own work, not the dispatcher sending the last run's messages.
quiet_start = 00:00
quiet_end = 23:59
[campaign]
frequency_cap = 0
; No welcome for the imported members: 100,000 welcomes sent meanwhile
; would be measured beside every run.
[membership]
welcome_window = 0
[twilio]
auth_token_file = $work/twilio
CONF
ppgd="$top/ppgd -c $work/ppgd.conf"
cd "$work"
$ppgd init >/dev/null
$ppgd practice add A81001 --name Bench --sms-from +447700900000 >/dev/null
$ppgd practice add B81002 --name Imported >/dev/null
$ppgd survey load "$top/surveys/fft.yaml" >/dev/null
python3 "$top/bench/gen_members.py" "$members" |
	sed 's/,yes,no,/,yes,yes,/; s/,email,yes,/,sms,yes,/' >"$work/members.csv"
$ppgd member import "$work/members.csv" --practice A81001 >/dev/null 2>&1
python3 "$top/bench/gen_members.py" "$import_rows" >"$work/import.csv"
$ppgd campaign add cli --practice A81001 --kind survey --survey fft \
	--channels sms >/dev/null

$ppgd serve 2>"$work/serve.log" &
spid=$!
python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        break
    except OSError:
        time.sleep(0.1)
PY

# load.py SECONDS|-: steady signed webhooks until SECONDS pass, or (with
# "-") until the file $work/stop exists; prints one result line.
cat >"$work/load.py" <<'PY'
import base64, hashlib, hmac, http.client, os, sys, threading, time
import urllib.parse
port, rate, label, until, work = (int(sys.argv[1]), float(sys.argv[2]),
                                  sys.argv[3], sys.argv[4], sys.argv[5])
url = "http://127.0.0.1:%d/webhooks/twilio/sms" % port
token = b"bench-auth-token"
lock = threading.Lock()
state = {"i": 0}
lat, bad = [], []
t0 = time.monotonic()
stop = threading.Event()

def done(t):
    if until == "-":
        return os.path.exists(os.path.join(work, "stop"))
    return t - t0 >= float(until)

def worker():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        with lock:
            i = state["i"]
            state["i"] += 1
        due = t0 + i / rate
        now = time.monotonic()
        if done(now):
            stop.set()
            break
        if due > now:
            time.sleep(due - now)
        p = {"AccountSid": "ACbench", "Body": "Thank you", "From":
             "+4477009%05d" % (i % 100000), "MessageSid": "SM%s%024d" %
             (label[:8].ljust(8, "x"), i), "To": "+447700900000"}
        s = url + "".join(k + p[k] for k in sorted(p))
        sig = base64.b64encode(hmac.new(token, s.encode(),
                                        hashlib.sha1).digest()).decode()
        body = urllib.parse.urlencode(p)
        try:
            conn.request("POST", "/webhooks/twilio/sms", body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sig})
            r = conn.getresponse()
            r.read()
            status = r.status
        except Exception as e:
            status = str(e)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            lat.append(time.monotonic() - due)
            if status != 200:
                bad.append(status)

threads = [threading.Thread(target=worker) for _ in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
lat.sort()
n = len(lat)
pct = lambda q: lat[min(n - 1, int(q * n))] * 1000 if n else 0
print("%-11s %6.1f s %6d webhooks  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms"
      "  non-200 %d%s" % (label, time.monotonic() - t0, n, pct(0.5),
                          pct(0.99), lat[-1] * 1000 if n else 0, len(bad),
                          (" " + repr(sorted(set(map(str, bad)))[:3])) if bad
                          else ""))
PY
load() { python3 "$work/load.py" "$port" "$rate" "$@" "$work"; }
# Run "$@" in the background with the load until it finishes.
beside() {
	label=$1
	shift
	rm -f "$work/stop"
	( "$@" >"$work/$label.out" 2>&1 || echo "$label: failed" >&2
	  touch "$work/stop" ) &
	bpid=$!
	load "$label" -
	wait "$bpid"
}
fired() {
	python3 - "$work/ppgd.db" "$1" "$2" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
want, deadline = int(sys.argv[3]), time.monotonic() + 600
while time.monotonic() < deadline:
    n = db.execute("SELECT count(*) FROM outbox o JOIN runs r ON"
                   " r.id = o.run_id JOIN campaigns c ON c.id = r.campaign_id"
                   " WHERE c.name = ?", (sys.argv[2],)).fetchone()[0]
    if n >= want:
        break
    time.sleep(0.5)
PY
}

echo "responsive bench: $rate signed webhooks/s; $members members; import of $import_rows rows"
load quiet 10
beside import $ppgd member import "$work/import.csv" --practice B81002
beside fire-cli $ppgd campaign send cli
n=$(sqlite3 "$work/ppgd.db" "SELECT count(*) FROM outbox o JOIN runs r ON r.id = o.run_id JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'cli'")
at=$(python3 -c "import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
$ppgd campaign add sched --practice A81001 --kind survey --survey fft \
	--channels sms --at "$at" >/dev/null
beside fire-sched fired sched "$n"
beside fire-api curl -sS -o "$work/api.json" -w '%{http_code}\n' \
	-H 'Authorization: Bearer bench-api-token-0123456789' \
	-H 'Content-Type: application/json' \
	-d '{"practice": "A81001", "template": "broadcast", "message": "Hello",
	     "channels": "sms", "name": "api"}' \
	"http://127.0.0.1:$api_port/api/v1/broadcasts"
echo "fire-api: answered $(cat "$work/fire-api.out") $(cut -c1-160 "$work/api.json")"
load after 5
echo "messages fired: cli $n, sched $(sqlite3 "$work/ppgd.db" "SELECT count(*) FROM outbox o JOIN runs r ON r.id = o.run_id JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'sched'")"
grep -c 'level=warn' "$work/serve.log" | sed 's/^/daemon warnings: /' || true
