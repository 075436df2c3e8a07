#!/bin/sh
# make bench: run every benchmark; each prints its figures beside a baseline
# measured in the same run. Each takes its size as its first argument; with
# BENCH_SCALE=0.1 (say) every default size is scaled down for a quick look.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export PPGD="$top/ppgd" PPGD_TOP="$top"
out="$top/build/bench"
mkdir -p "$out"
status=0
for b in "$top"/bench/*_bench.sh; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	"$b" || status=1
	echo
done
exit $status
