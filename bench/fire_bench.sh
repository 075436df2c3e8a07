#!/bin/sh
# Campaign fire: fire_run of a survey campaign to N members against a bare
# prepared-INSERT loop of the same outbox rows, in the same run (see
# bench/fire_bench.c). Prints rows/s, peak RSS and the ratio.
set -eu
out=${1:-/tmp}
n=${BENCH_N:-100000}
top=${PPGD_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
pkgs=$(make -s -C "$top" print-pkgs 2>/dev/null || echo "libevent libevent_pthreads sqlite3 inih libfyaml jansson libcurl libcrypto libesmtp-1.0 libutf8proc")
# shellcheck disable=SC2046
cc -O2 -g -std=c11 -D_GNU_SOURCE -pthread -I"$top/daemon" \
	$(pkg-config --cflags $pkgs) -o "$out/fire_bench" "$top/bench/fire_bench.c" \
	"$top/build/libppgd.a" $(pkg-config --libs $pkgs) -lcsv -lm
cd "$top" && TMPDIR="$out" "$out/fire_bench" "$n"
