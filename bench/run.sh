#!/bin/sh
# make bench: build and run each benchmark from the top of the tree; each
# prints its own figures beside its baseline.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
pkgs="libevent libevent_pthreads sqlite3 inih libfyaml jansson libcurl libcrypto libesmtp-1.0"
cflags="-O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -pthread -Idaemon $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lcsv -lm"
# shellcheck disable=SC2086
bench_build() { cc $cflags -o "build/$1" "bench/$1.c" build/libppgd.a $libs; }

bench_build fire_bench && ./build/fire_bench 100000
