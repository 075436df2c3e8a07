#!/bin/sh
# Run the unit test binaries given as arguments, then every integration test
# in tests/integration (executables named *.sh or *.py). Prints a summary;
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
if [ "$mode" != unit ]; then
	for t in "$top"/tests/integration/*.sh "$top"/tests/integration/*.py; do
		[ -x "$t" ] || continue
		echo "== integration: $(basename "$t")"
		run "$(basename "$t")" "$t"
	done
fi
echo "== $ran test programs, $fail failed${failed:+:$failed}"
if [ "$skipped" -gt 0 ] || [ "$skips" -gt 0 ]; then
	echo "== skipped: $skipped programs, $skips checks${skiplist:+:$skiplist}"
fi
[ "$fail" = 0 ]
