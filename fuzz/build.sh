#!/bin/sh
# Build every fuzz/fuzz_*.c with libFuzzer, ASan and UBSan into build/fuzz/.
# Each target lists what it links in comment lines of its own:
#   FUZZ_SOURCES: daemon/x.c daemon/xmalloc.c daemon/log.c   (or "all")
#   FUZZ_PKGS: libcrypto            (pkg-config names; may be empty)
# Usage: fuzz/build.sh              build every target
#        fuzz/build.sh run SECONDS  build, then run each target for SECONDS,
#                                   seeded from fuzz/corpus/NAME/ (read only);
#                                   new inputs go to build/fuzz/corpus/NAME/,
#                                   crashes to build/fuzz/artifacts/.
# CC defaults to clang; exits 1 if any target fails to build or crashes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
CC=${FUZZ_CC:-clang}
out=build/fuzz
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -Idaemon -DPPGD_VERSION=\"fuzz\"
	-DPPGD_DATADIR=\".\""

# The value of "KEY:" in the target's header comment.
field() {
	sed -n "s|^.*$1:[[:space:]]*||p" "$2" | head -n 1 | sed 's|\*/||'
}

build_one() {
	src=$1
	name=$(basename "$src" .c)
	sources=$(field FUZZ_SOURCES "$src")
	pkgs=$(field FUZZ_PKGS "$src")
	extra=""
	# "all": every daemon source but main.c, for targets that reach most of
	# the daemon (a hand-kept list rots as dependencies change).
	if [ "$sources" = all ]; then
		sources=$(ls daemon/*.c daemon/*.S | grep -v '^daemon/main\.c$')
		pkgs=$(make -s --no-print-directory print-pkgs)
		extra="-lcsv -lm"
	fi
	pcflags="" pclibs=""
	if [ -n "$pkgs" ]; then
		# shellcheck disable=SC2086
		pcflags=$(pkg-config --cflags $pkgs)
		# shellcheck disable=SC2086
		pclibs=$(pkg-config --libs $pkgs)
	fi
	echo "fuzz: build $name"
	# shellcheck disable=SC2086
	$CC $CFLAGS $pcflags -o "$out/$name" "$src" $sources $pclibs $extra
}

run_one() {
	name=$1 secs=$2
	short=${name#fuzz_}
	mkdir -p "$out/corpus/$short" "$out/artifacts" "fuzz/corpus/$short"
	echo "fuzz: run $name for ${secs}s"
	"$out/$name" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$short-" \
		"$out/corpus/$short" "fuzz/corpus/$short"
}

mkdir -p "$out"
fail=""
for src in fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	build_one "$src" || fail="$fail $(basename "$src" .c)"
done
if [ "${1:-}" = run ]; then
	secs=${2:-30}
	for src in fuzz/fuzz_*.c; do
		name=$(basename "$src" .c)
		[ -x "$out/$name" ] || continue
		run_one "$name" "$secs" || fail="$fail $name"
	done
fi
if [ -n "$fail" ]; then
	echo "fuzz: failed:$fail" >&2
	exit 1
fi
