#!/bin/sh
# make bench: run every benchmark; each prints its figures beside a baseline
# measured in the same run. BENCH_N scales them down (e.g. BENCH_N=10000).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export PPGD="$top/ppgd" PPGD_TOP="$top"
out="$top/build/bench"
mkdir -p "$out"
status=0
for b in "$top"/bench/*_bench.sh; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	"$b" "$out" || status=1
	echo
done
exit $status
