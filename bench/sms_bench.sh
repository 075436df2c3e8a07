#!/bin/sh
# Throughput of the twilio transport: a bare libcurl multi sender (sms_bench)
# beside ppgd sending the same number of outbox rows through the twilio
# transport, both to the same C stand-in (sms_sink: evhttp answering 201),
# with the same concurrency and connection cap (CURLMOPT_MAX_HOST_CONNECTIONS
# and MAXCONNECTS = CONCURRENCY in both). Between them, ppgd's twilio
# transport alone (sms_transport: its send() driven without the dispatcher
# or the database), which splits ppgd's cost into the transport's and the
# dispatcher's. Prints messages/s and CPU for each, CPU per message, the
# ratios to the bare sender, ppgd's peak RSS (VmHWM), and the connections
# each opened.
#
# usage: bench/sms_bench.sh [N] [CONCURRENCY]     (defaults 100000, 16)
# SMS_BENCH_BATCH=K sets ppgd's [dispatch] batch (default: ppgd's own).
set -eu
N=${1:-$(python3 -c "print(int(100000 * float('${BENCH_SCALE:-1}')))")}
CONC=${2:-16}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/bench"
work=$(mktemp -d "${TMPDIR:-/tmp}/sms_bench.XXXXXX")
sink_pid=
trap '{ [ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null; rm -rf "$work"; } || true' EXIT INT TERM

mkdir -p "$out"
[ -x "$top/ppgd" ] || make -C "$top" ppgd >/dev/null
cc -O2 -Wall -Wextra -Wno-unused-parameter -o "$out/sms_sink" \
	"$top/bench/sms_sink.c" $(pkg-config --cflags --libs libevent)
cc -O2 -Wall -Wextra -Wno-unused-parameter -o "$out/sms_bench" \
	"$top/bench/sms_bench.c" $(pkg-config --cflags --libs libcurl)
pkgs=$(make -s -C "$top" print-pkgs)
make -s -C "$top" build/libppgd.a >/dev/null
# shellcheck disable=SC2046
cc -O2 -g -std=c11 -D_GNU_SOURCE -pthread -I"$top/daemon" \
	$(pkg-config --cflags $pkgs) -o "$out/sms_transport" \
	"$top/bench/sms_transport.c" "$top/build/libppgd.a" \
	$(pkg-config --libs $pkgs) -lcsv -lm

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

SID=AC0123456789abcdef0123456789abcdef
sink_port=$(free_port)
url="http://127.0.0.1:$sink_port"

start_sink() {
	"$out/sms_sink" "$sink_port" ${2:-} >"$work/sink.$1.log" &
	sink_pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -q listening "$work/sink.$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "sms_bench: sms_sink did not start" >&2
	exit 1
}

# Seconds from the sink's first request to its N-th: the sending alone,
# without a sender's start (ppgd's: opening the database, the scheduler).
span() {
	awk '/^first/ { sub("at=", "", $3); f = $3 }
	     /^reached/ { sub("at=", "", $3); r = $3 }
	     END { if (f != "" && r != "") printf "%.3f", r - f }' "$work/sink.$1.log"
}

stop_sink() {
	kill "$sink_pid"
	wait "$sink_pid" || true
	sink_pid=
	sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$work/sink.$1.log"
}

umask 077
printf benchtoken >"$work/token"
cat >"$work/ppgd.conf" <<CONF
[daemon]
database = $work/ppgd.db
listen = 127.0.0.1:$(free_port)
[sms]
transport = twilio
quiet_start = 00:00
quiet_end = 00:00
[twilio]
api_base = $url
account_sid = $SID
auth_token_file = $work/token
from = PPGTEST
rate = 100000
burst = 100000
concurrency = $CONC
CONF
if [ -n "${SMS_BENCH_BATCH:-}" ]; then
	printf '[dispatch]\nbatch = %s\n' "$SMS_BENCH_BATCH" >>"$work/ppgd.conf"
fi

# 1. The bare sender.
start_sink bare "$N"
bare=$("$out/sms_bench" "$url/2010-04-01/Accounts/$SID/Messages.json" \
	"$N" "$CONC" "$SID:benchtoken")
bare_conns=$(stop_sink bare)
bare_rate=$(echo "$bare" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')

# 2. The twilio transport alone, from the same configuration.
start_sink transport "$N"
alone=$("$out/sms_transport" "$work/ppgd.conf" "$N" "$CONC")
alone_conns=$(stop_sink transport)
alone_rate=$(echo "$alone" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')

# 3. ppgd: N outbox rows through the twilio transport. The run is timed by
# the sink ("reached N" when the N-th request arrives), not by counting
# rows in ppgd's database while it sends: a count every 50 ms is a full scan
# on the core the sink needs.
start_sink ppgd "$N"
ppgd="$top/ppgd -c $work/ppgd.conf"
$ppgd init >/dev/null 2>&1
$ppgd practice add A1 --name Bench --sms-from PPGTEST >/dev/null
$ppgd member add --practice A1 --first-name Bench --mobile 07700900123 \
	--consent-sms yes --preferred-channel sms >/dev/null
ppgd_out=$(python3 - "$top/ppgd" "$work" "$N" "$work/sink.ppgd.log" <<'PY'
import os, sqlite3, subprocess, sys, time
ppgd, work, n, sinklog = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
db = sqlite3.connect(os.path.join(work, "ppgd.db"), timeout=30)
with db:
    db.execute(
        "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k+1 FROM i WHERE k<?)"
        " INSERT INTO outbox (practice_id, member_id, channel, to_addr, body,"
        " next_attempt_at, created_at) SELECT 1, 1, 'sms',"
        " printf('+4477009%05d', k % 100000), 'Hello from the benchmark',"
        " strftime('%s','now'), strftime('%s','now') FROM i", (n,))
log = open(os.path.join(work, "serve.log"), "wb")
t0 = time.monotonic()
p = subprocess.Popen([ppgd, "-c", os.path.join(work, "ppgd.conf"), "serve"],
                     stdout=log, stderr=log, cwd=work)
reached = False
while not reached and p.poll() is None and time.monotonic() - t0 < 3600:
    time.sleep(0.01)
    with open(sinklog) as f:
        reached = "reached" in f.read()
secs = time.monotonic() - t0
# The last outcomes settle just after the last request; wait for them
# (off the clock), looking rarely.
done = 0
while done < n and p.poll() is None and time.monotonic() - t0 < 3600:
    time.sleep(0.5)
    done = db.execute("SELECT count(*) FROM outbox WHERE state IN"
                      " ('sent','failed')").fetchone()[0]
hwm = "?"
with open("/proc/%d/status" % p.pid) as f:
    for line in f:
        if line.startswith("VmHWM:"):
            hwm = line.split()[1]
with open("/proc/%d/stat" % p.pid) as f:
    st = f.read().rsplit(")", 1)[1].split()
cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
sent = db.execute("SELECT count(*) FROM outbox WHERE state='sent'").fetchone()[0]
p.terminate()
p.wait()
print("sent=%d seconds=%.3f rate=%.0f hwm_kb=%s cpu=%.2f"
      % (sent, secs, sent / secs, hwm, cpu))
PY
)
ppgd_conns=$(stop_sink ppgd)
ppgd_rate=$(echo "$ppgd_out" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')

echo "N=$N concurrency=$CONC batch=${SMS_BENCH_BATCH:-default}"
echo "bare curl-multi: $bare connections=$bare_conns"
echo "twilio transport alone: $alone connections=$alone_conns"
echo "ppgd twilio:     $ppgd_out connections=$ppgd_conns"
cpu() { echo "$1" | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p'; }
awk -v n="$N" -v b="$(cpu "$bare")" -v t="$(cpu "$alone")" \
	-v p="$(cpu "$ppgd_out")" 'BEGIN {
	printf "cpu per message: bare %.1f us, transport alone %.1f us, " \
	    "ppgd %.1f us (dispatcher and database: %.1f us)\n",
	    b * 1e6 / n, t * 1e6 / n, p * 1e6 / n, (p - t) * 1e6 / n }'
awk -v a="$ppgd_rate" -v t="$alone_rate" -v b="$bare_rate" 'BEGIN {
	printf "ratio transport alone/bare: %.2f\n", (b > 0 ? t / b : 0)
	printf "ratio ppgd/bare: %.2f (wall clock, with ppgd'"'"'s start)\n",
	    (b > 0 ? a / b : 0) }'
awk -v n="$N" -v b="$(span bare)" -v t="$(span transport)" \
	-v p="$(span ppgd)" 'BEGIN {
	printf "first to last request at the sink: bare %.3f s, transport" \
	    " alone %.3f s, ppgd %.3f s\n", b, t, p
	printf "ratio ppgd/bare, first to last request: %.2f\n",
	    (p > 0 ? b / p : 0) }'
