#!/bin/sh
# SMTP throughput: Postfix's smtp-sink on loopback receives
#   (a) N messages from bench/smtp_bench (bare libESMTP with the same
#       sessions as ppgd: SMTP_SESSIONS at once, SMTP_PER_SESSION each), and
#   (a2) N messages through ppgd's smtp transport alone, driven without the
#       dispatcher or the database (bench/smtp_transport.c): the two split
#       ppgd's cost into the transport's and the dispatcher's, and
#   (b) N outbox rows sent by `ppgd serve` through the smtp transport
#       (rows inserted before start; timed from start until the sink has
#       received the N-th message, read from smtp-sink's own counter: a
#       count of sent rows every 50 ms was a full scan on the cores the
#       daemon and the sink need; the rows are checked after, off the clock).
# Prints messages/s, CPU seconds and SMTP sessions for each, CPU per
# message, the ratios (a2)/(a) and (b)/(a), and ppgd's peak RSS (VmHWM).
#
# usage: bench/smtp_bench.sh [N]          (default 100000)
# env:   PPGD (default ./ppgd), SMTP_SESSIONS (4), SMTP_PER_SESSION (100),
#        KEEP=1 keeps the work directory.
set -eu
N=${1:-$(python3 -c "print(int(100000 * float('${BENCH_SCALE:-1}')))")}
top=$(cd "$(dirname "$0")/.." && pwd)
PPGD=${PPGD:-$top/ppgd}
SESSIONS=${SMTP_SESSIONS:-4}
PER_SESSION=${SMTP_PER_SESSION:-100}
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)

[ -x "$SINK" ] || { echo "smtp_bench: smtp-sink not found (package postfix)" >&2; exit 1; }
[ -x "$PPGD" ] || { echo "smtp_bench: no ppgd at $PPGD (run make)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "smtp_bench: python3 needed" >&2; exit 1; }

work=$(mktemp -d /tmp/ppgd-smtp-bench.XXXXXX)
sink_pid=
ppgd_pid=
cleanup() {
	[ -n "$ppgd_pid" ] && kill "$ppgd_pid" 2>/dev/null || true
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Build the baseline program (the Makefile does not build bench/*.c).
cc -O2 -Wall -pthread -o "$work/smtp_bench" "$top/bench/smtp_bench.c" \
	$(pkg-config --cflags --libs libesmtp-1.0)
# ppgd's smtp transport alone (no dispatcher, no database).
pkgs=$(make -s -C "$top" print-pkgs)
make -s -C "$top" build/libppgd.a >/dev/null
# shellcheck disable=SC2046
cc -O2 -g -std=c11 -D_GNU_SOURCE -pthread -I"$top/daemon" \
	$(pkg-config --cflags $pkgs) -o "$work/smtp_transport" \
	"$top/bench/smtp_transport.c" "$top/build/libppgd.a" \
	$(pkg-config --libs $pkgs) -lcsv -lm

# smtp-sink: -a no AUTH offered; as root it needs -u; backlog 1000.
port=$(free_port)
user_opt=
[ "$(id -u)" = 0 ] && user_opt="-u root"
# shellcheck disable=SC2086
# -c: running counters on stdout ("mesg=N"), which time ppgd's run.
"$SINK" -c -a $user_opt -m 1000 "127.0.0.1:$port" 1000 >"$work/sink.log" 2>&1 &
sink_pid=$!
i=0
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "smtp_bench: smtp-sink did not start" >&2; cat "$work/sink.log" >&2; exit 1; }
	sleep 0.05
done

echo "== N=$N messages to smtp-sink on 127.0.0.1:$port"

# (a) bare libESMTP with ppgd's sessions (a one-session baseline swung
# 2k-10k msg/s between runs on a shared machine).
bare=$("$work/smtp_bench" "127.0.0.1:$port" "$N" "$SESSIONS" "$PER_SESSION")
# SMTP sessions the sink has seen so far (its counter "sess=N").
sink_sessions() {
	tr '\r' '\n' <"$work/sink.log" | sed -n 's/^sess=\([0-9]*\).*/\1/p' | tail -1
}
sleep 0.2 # the sink counts a session at its end
bare_sess=$(sink_sessions)
echo "bare libESMTP ($SESSIONS sessions, $PER_SESSION messages each): $bare sessions=$bare_sess"
bare_rate=$(echo "$bare" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')

# (b) ppgd serve with the smtp transport.
cat >"$work/ppgd.conf" <<EOF
[daemon]
database = $work/ppgd.db
listen = 127.0.0.1:$(free_port)
shutdown_timeout = 30s

[api]
listen =

[email]
transport = smtp
reply_domain = reply.test.example

[dispatch]
batch = 1000

[smtp]
host = 127.0.0.1
port = $port
starttls = off
from = bounces@test.example
sessions = $SESSIONS
per_session = $PER_SESSION
rate = 100000
burst = 100000
EOF
# (a2) the smtp transport alone, from the same configuration.
alone=$("$work/smtp_transport" "$work/ppgd.conf" "$N" 2>"$work/alone.log")
sleep 0.2
alone_sess=$(($(sink_sessions) - bare_sess))
echo "smtp transport alone (sessions=$SESSIONS per_session=$PER_SESSION): $alone sessions=$alone_sess"
alone_rate=$(echo "$alone" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')

"$PPGD" -c "$work/ppgd.conf" init >/dev/null 2>&1
"$PPGD" -c "$work/ppgd.conf" practice add A1 --name "Test Practice" \
	--email-from ppg@test.example >/dev/null
"$PPGD" -c "$work/ppgd.conf" member add --practice A1 --first-name Bench \
	--email member@example.org --consent-email yes >/dev/null
python3 - "$work/ppgd.db" "$N" <<'EOF'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
pid = c.execute("SELECT id FROM practices WHERE code='A1'").fetchone()[0]
mid = c.execute("SELECT id FROM members").fetchone()[0]
now = int(time.time())
text = ("Dear member,\n\nPlease tell us what you think of the practice: the "
        "survey takes five\nminutes and every answer is read by the group.\n"
        "\nThank you.\n")
html = ("<p>Dear member,</p><p>Please tell us what you think of the "
        "practice: the survey takes five minutes.</p><p>Thank you.</p>")
c.executemany(
    "INSERT INTO outbox (practice_id, member_id, channel, to_addr, subject,"
    " body, body_html, next_attempt_at, created_at, unsubscribe_token,"
    " reply_token) VALUES (?, ?, 'email', 'member@example.org',"
    " 'Your views on the practice, please', ?, ?, ?, ?, ?, ?)",
    ((pid, mid, text, html, now, now, "u%016d" % i, "r%016d" % i)
     for i in range(n)))
c.commit()
EOF

start=$(python3 -c 'import time; print(time.time())')
"$PPGD" -c "$work/ppgd.conf" serve >"$work/serve.log" 2>&1 &
ppgd_pid=$!
# Wait for the sink's counter to pass the first two runs' N and ppgd's, then
# (off the clock) for every row to be settled; then read VmHWM and CPU.
result=$(python3 - "$work/ppgd.db" "$N" "$ppgd_pid" "$start" "$work/sink.log" <<'EOF'
import os, re, sqlite3, sys, time
db, n, pid, start, sink = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                           float(sys.argv[4]), sys.argv[5])
deadline = time.time() + 3600
want, got = 3 * n, 0  # the bare run's, the transport's and ppgd's
with open(sink, "rb") as f:
    while got < want and time.time() < deadline:
        time.sleep(0.01)
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64))
        m = re.findall(rb"mesg=(\d+)", f.read())
        if m:
            got = int(m[-1])
end = time.time()
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
sent = 0
while time.time() < deadline:
    try:
        sent, bad = c.execute(
            "SELECT sum(state='sent'), sum(state IN ('failed','cancelled'))"
            " FROM outbox").fetchone()
    except sqlite3.OperationalError:
        time.sleep(0.05)
        continue
    if sent == n or bad:
        break
    time.sleep(0.5)
hwm = "?"
with open("/proc/%s/status" % pid) as f:
    for line in f:
        if line.startswith("VmHWM:"):
            hwm = line.split(":", 1)[1].strip()
with open("/proc/%s/stat" % pid) as f:
    st = f.read().rsplit(")", 1)[1].split()
cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
print("%d %.3f %s %.2f" % (sent or 0, end - start, hwm.replace(" ", ""), cpu))
EOF
)
kill -TERM "$ppgd_pid"
wait "$ppgd_pid" || true
ppgd_pid=
set -- $result
sent=$1 secs=$2 hwm=$3 cpu=$4
[ "$sent" = "$N" ] || { echo "smtp_bench: only $sent of $N sent" >&2; tail -20 "$work/serve.log" >&2; exit 1; }
ppgd_rate=$(python3 -c "print('%.1f' % ($N / $secs))")
ppgd_sess=$(($(sink_sessions) - bare_sess - alone_sess))
echo "ppgd serve (smtp transport, sessions=$SESSIONS per_session=$PER_SESSION): messages=$N seconds=$secs rate=$ppgd_rate cpu=$cpu peak_rss=$hwm sessions=$ppgd_sess"
bare_cpu=$(echo "$bare" | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p')
alone_cpu=$(echo "$alone" | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p')
python3 -c "print('cpu per message: bare %.1f us, transport alone %.1f us, ppgd %.1f us (dispatcher and database: %.1f us)' % ($bare_cpu * 1e6 / $N, $alone_cpu * 1e6 / $N, $cpu * 1e6 / $N, ($cpu - $alone_cpu) * 1e6 / $N))"
python3 -c "print('ratio transport alone/bare: %.2f' % ($alone_rate / $bare_rate))"
python3 -c "print('ratio ppgd/bare: %.2f' % ($ppgd_rate / $bare_rate))"
