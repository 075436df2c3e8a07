#!/bin/sh
# Webhook benchmark: wrk against `ppgd serve`'s POST /webhooks/twilio/sms
# (valid X-Twilio-Signature, a unique MessageSid per request) beside a bare
# libevent handler that inserts the same body into SQLite (WAL) before
# answering (bench/bare_webhook.c), measured in the same run with the same
# requests. Prints requests/s and p99 latency of each and the ratio.
# Requests are signed ahead of time (wrk's Lua cannot compute HMAC-SHA1);
# the daemon has no signature bypass.
# Usage: webhook_bench.sh [SECONDS] (default 10, scaled by BENCH_SCALE).
# Environment: BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_REQUESTS
# (signed requests made ahead; 30000 a second), BENCH_WRAP (a command
# put before `ppgd serve`, e.g. "perf record -g -o /tmp/perf.data"),
# BENCH_PPGD (the binary to measure, ./ppgd), BENCH_BARE_SYNC (FULL, as
# ppgd: a 200 after the commit is on disk; NORMAL to compare with the
# weaker promise).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${1:-$(python3 -c "print(max(1, round(10 * float('${BENCH_SCALE:-1}'))))")}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
nreq=${BENCH_REQUESTS:-$((secs * 30000))}

PPGD_DEPS_BENCH=1 scripts/deps.sh
[ -x ppgd ] || make -s ppgd
mkdir -p build
# shellcheck disable=SC2046
${CC:-cc} -O2 -o build/bare_webhook bench/bare_webhook.c \
	$(pkg-config --cflags --libs libevent sqlite3)

work=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-webhook-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=bench-auth-token
umask 077
printf '%s' "$token" >"$work/twilio"
cat >"$work/ppgd.conf" <<CONF
[daemon]
database = $work/ppgd.db
listen = 127.0.0.1:$port
public_url = http://127.0.0.1:$port
templates = $top/templates
[sms]
spool = $work/spool
quiet_start = 00:00
quiet_end = 00:00
[email]
spool = $work/spool
[twilio]
auth_token_file = $work/twilio
CONF
./ppgd -c "$work/ppgd.conf" init >/dev/null
./ppgd -c "$work/ppgd.conf" practice add A81001 --name Bench \
	--sms-from +447700900000 >/dev/null
./ppgd -c "$work/ppgd.conf" member add --practice A81001 --first-name Bench \
	--mobile 07700900123 --preferred-channel sms >/dev/null 2>&1 || true

# The requests: one file per wrk thread, one per line, "signature<TAB>body".
python3 - "$work/requests" "$port" "$token" "$nreq" "$threads" <<'PY'
import base64, hashlib, hmac, sys, urllib.parse
path, port, token, n, nt = (sys.argv[1], sys.argv[2], sys.argv[3].encode(),
                            int(sys.argv[4]), int(sys.argv[5]))
url = "http://127.0.0.1:%s/webhooks/twilio/sms" % port
files = [open("%s.%d.txt" % (path, t + 1), "w") for t in range(nt)]
for i in range(n):
    p = {"AccountSid": "ACbench", "Body": "Thank you, the nurse was kind",
         "From": "+447700900123", "MessageSid": "SM%032d" % i,
         "NumMedia": "0", "To": "+447700900000"}
    s = url + "".join(k + p[k] for k in sorted(p))
    sig = base64.b64encode(hmac.new(token, s.encode(), hashlib.sha1).digest()).decode()
    files[i % nt].write(sig + "\t" + urllib.parse.urlencode(p) + "\n")
for f in files:
    f.close()
PY

cat >"$work/bench.lua" <<LUA
-- Each thread sends its own file of pre-signed requests, in order, reading
-- one line a request. wrk starts each thread as soon as its init returns,
-- and its clock after the last: an init that read 300,000 lines started
-- the first thread ~1.4 s early and overstated short runs. Reading as it
-- goes costs every server the same.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  f = io.open(string.format("$work/requests.%d.txt", id))
end
function request()
  local line = f:read("*l")
  if line == nil then
    f:seek("set")
    line = f:read("*l")
  end
  local sig, body = line:match("^(%S+)\t(.*)$")
  return wrk.format("POST", "/webhooks/twilio/sms",
    {["Content-Type"] = "application/x-www-form-urlencoded",
     ["X-Twilio-Signature"] = sig}, body)
end
function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(99) / 1000, summary.requests, bad))
end
LUA

wait_port() {
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "bench: nothing listens on $1" >&2; exit 1; }
		sleep 0.1
	done
}

run_wrk() {
	wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$work/bench.lua" "http://127.0.0.1:$1" |
		sed -n 's/^RESULT //p'
}

field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

${BENCH_WRAP:-} ${BENCH_PPGD:-./ppgd} -c "$work/ppgd.conf" serve 2>"$work/serve.log" &
ppid=$!
pids="$ppid"
wait_port "$port"
ppgd_res=$(run_wrk "$port")
stored=$(sqlite3 "$work/ppgd.db" "SELECT count(*) FROM inbound")
kill "$ppid"
wait "$ppid" 2>/dev/null || true

build/bare_webhook "$bport" "$work/bare.db" "${BENCH_BARE_SYNC:-FULL}" &
bpid=$!
pids="$pids $bpid"
wait_port "$bport"
bare_res=$(run_wrk "$bport")
kill "$bpid"
wait "$bpid" 2>/dev/null || true

prps=$(field rps "$ppgd_res")
brps=$(field rps "$bare_res")
echo "webhook bench: wrk -t$threads -c$conns -d${secs}s POST /webhooks/twilio/sms (bare handler synchronous=${BENCH_BARE_SYNC:-FULL})"
printf '  ppgd serve    %10.1f req/s  p99 %7.2f ms  (%s requests, %s errors, %s stored)\n' \
	"$prps" "$(field p99_ms "$ppgd_res")" "$(field requests "$ppgd_res")" \
	"$(field errors "$ppgd_res")" "$stored"
printf '  bare handler  %10.1f req/s  p99 %7.2f ms  (%s requests, %s errors)\n' \
	"$brps" "$(field p99_ms "$bare_res")" "$(field requests "$bare_res")" \
	"$(field errors "$bare_res")"
python3 -c "print('  ratio         %.2f of the bare handler (aim: at least 0.80; p99 under 20 ms)' % ($prps / $brps))"
if [ "$(field requests "$ppgd_res")" -gt "$nreq" ]; then
	echo "  note: more requests than were signed ahead; repeats were acknowledged as duplicates (raise BENCH_REQUESTS)"
fi
