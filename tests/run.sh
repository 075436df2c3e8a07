#!/bin/sh
# Run the unit test binaries given as arguments, then every integration test
# in tests/integration (executables named *.sh or *.py), a few at a time.
# Prints a summary;
# exits 1 if anything failed.
#
# A program that cannot run here exits 77 (skipped); a check inside one that
# cannot run prints a line starting "SKIP:". Both are counted and printed, so
# a skip never passes silently; under CI=true the tests fail instead.
set -u
mode=all
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--integration-only) mode=integration; shift ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
export PPGD="$top/ppgd" PPGD_TOP="$top"
# A statement left stepped is fatal in every test (db_idle).
export PPGD_STRICT_DB="${PPGD_STRICT_DB-1}"
fail=0
ran=0
skipped=0
skips=0
failed=""
skiplist=""
out=$(mktemp)
trap 'rm -f "$out" "$out.rc"' EXIT INT TERM

# run NAME CMD: run one test program, its output shown and scanned for SKIP.
run() {
	name=$1
	shift
	ran=$((ran + 1))
	# The status of the test, not of tee, through a file.
	{ "$@" 2>&1; echo $? >"$out.rc"; } | tee "$out"
	rc=$(cat "$out.rc")
	n=$(grep -c '^\(.*: \)\?SKIP' "$out")
	if [ "$n" -gt 0 ]; then
		skips=$((skips + n))
		skiplist="$skiplist $name($n)"
	fi
	if [ "$rc" = 77 ]; then
		skipped=$((skipped + 1))
	elif [ "$rc" != 0 ]; then
		fail=$((fail + 1))
		failed="$failed $name"
	fi
}

if [ "$mode" != integration ]; then
	for t in "$@"; do
		echo "== unit: $t"
		run "$t" "$t"
	done
fi
# Integration tests run PPGD_TEST_JOBS (3) at a time: each uses its own
# free ports and temporary folders. Each one's output is printed whole, in
# order, once it has finished.
if [ "$mode" != unit ]; then
	logs=$(mktemp -d)
	list=""
	for t in "$top"/tests/integration/*.sh "$top"/tests/integration/*.py; do
		[ -x "$t" ] && list="$list $t"
	done
	# shellcheck disable=SC2086
	printf '%s\n' $list | xargs -P "${PPGD_TEST_JOBS:-3}" -I{} sh -c '
		n=$(basename "$1")
		"$1" >"$2/$n.log" 2>&1
		echo $? >"$2/$n.rc"
		echo "== finished: $n (exit $(cat "$2/$n.rc"))"
	' sh {} "$logs"
	for t in $list; do
		n=$(basename "$t")
		echo "== integration: $n"
		run "$n" sh -c 'cat "$1.log"; exit "$(cat "$1.rc" 2>/dev/null || echo 1)"' \
			sh "$logs/$n"
	done
	rm -rf "$logs"
fi
echo "== $ran test programs, $fail failed${failed:+:$failed}"
if [ "$skipped" -gt 0 ] || [ "$skips" -gt 0 ]; then
	echo "== skipped: $skipped programs, $skips checks${skiplist:+:$skiplist}"
fi
[ "$fail" = 0 ]
