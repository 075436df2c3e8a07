#!/bin/sh
# make demo: the whole PPG cycle on the embedded default (SQLite + the file
# transport, no servers), in demo/. Safe to run again: it starts afresh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo="$top/demo"
ppgd="$top/ppgd"
port=${PPGD_DEMO_PORT:-18089}

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
[sms]
transport = file
spool = spool
CONF
P() { "$ppgd" -c "$demo/ppgd.conf" "$@"; }

echo "== 1. The database and the practice"
P init
P practice add A81001 --name "Riverside Medical Practice" \
	--email-from ppg@riverside.example.org --sms-from Riverside \
	--phone "01632 960000" --website https://riverside.example.org

echo
echo "== 2. The virtual network: 200 synthetic members from CSV"
P member import "$top/config/demo/members.csv" --practice A81001

echo
echo "== 3. The daemon"
P serve 2> "$demo/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until curl -fsS "http://127.0.0.1:$port/healthz" > "$demo/healthz.json" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "ppgd serve did not start; see $demo/serve.log"; exit 1; }
	sleep 0.1
done
echo "GET /healthz -> $(cat "$demo/healthz.json")"

echo
echo "== 4. Who is in the network"
P member stats --practice A81001

kill -TERM $pid
wait $pid || true
trap - EXIT
echo
echo "Demo files are in $demo (database ppgd.db, spool/, serve.log)."
