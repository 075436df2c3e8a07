#!/bin/sh
# Member import: ppgd member import of N rows against sqlite3's .import of the
# same file into a bare table, in the same run. Prints rows/s, peak RSS and
# the ratio.
set -eu
n=${1:-$(python3 -c "print(int(100000 * float('${BENCH_SCALE:-1}')))")}
top=$(cd "$(dirname "$0")/.." && pwd)
PPGD=${PPGD:-$top/ppgd} PPGD_TOP=${PPGD_TOP:-$top}
out="$top/build/bench"
mkdir -p "$out"
dir=$(mktemp -d "$out/import.XXXXXX")
trap 'rm -rf "$dir"' EXIT
python3 "$PPGD_TOP/bench/gen_members.py" "$n" > "$dir/members.csv"
printf '[daemon]\ndatabase = ppgd.db\n' > "$dir/ppgd.conf"
"$PPGD" -c "$dir/ppgd.conf" init >/dev/null
"$PPGD" -c "$dir/ppgd.conf" practice add B1 --name Bench >/dev/null

# measure CMD...: prints "seconds maxrss_kb"
measure() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
dt = time.monotonic() - t
if r.returncode not in (0, 1):
    sys.stderr.write(r.stderr.decode()); sys.exit(1)
print("%.3f %d" % (dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

set -- $(measure "$PPGD" -c "$dir/ppgd.conf" member import "$dir/members.csv" --practice B1 --json)
ppgd_s=$1 ppgd_rss=$2
sqlite3 "$dir/bare.db" "PRAGMA journal_mode=WAL;" >/dev/null
set -- $(measure sqlite3 "$dir/bare.db" -cmd ".mode csv" ".import $dir/members.csv bare")
bare_s=$1 bare_rss=$2
rows=$("$PPGD" -c "$dir/ppgd.conf" member list --practice B1 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
python3 - "$n" "$rows" "$ppgd_s" "$ppgd_rss" "$bare_s" "$bare_rss" <<'PY'
import sys
n, rows = int(sys.argv[1]), int(sys.argv[2])
ps, prss, bs, brss = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
print("import of %d rows (%d members stored)" % (n, rows))
print("  ppgd member import : %8.0f rows/s  %6.2f s  peak RSS %5.1f MB" % (n / ps, ps, prss / 1024))
print("  sqlite3 .import    : %8.0f rows/s  %6.2f s  peak RSS %5.1f MB" % (n / bs, bs, brss / 1024))
print("  ratio (ppgd time / bare time): %.2fx   (aim: within 3x, RSS under 50 MB)" % (ps / bs))
PY
