#!/bin/sh
# Run the unit test binaries given as arguments, then every integration test
# in tests/integration (executables named *.sh or *.py), a few at a time.
# Prints a summary;
# exits 1 if anything failed.
set -u
mode=all
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--integration-only) mode=integration; shift ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
export PPGD="$top/ppgd" PPGD_TOP="$top"
fail=0
ran=0
failed=""
if [ "$mode" != integration ]; then
	for t in "$@"; do
		ran=$((ran + 1))
		echo "== unit: $t"
		if ! "$t"; then fail=$((fail + 1)); failed="$failed $t"; fi
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
		if "$1" >"$2/$n.log" 2>&1; then echo 0; else echo 1; fi >"$2/$n.rc"
		echo "== finished: $n ($(cat "$2/$n.rc" | sed "s/0/ok/;s/1/FAILED/"))"
	' sh {} "$logs"
	for t in $list; do
		n=$(basename "$t")
		ran=$((ran + 1))
		echo "== integration: $n"
		cat "$logs/$n.log"
		if [ "$(cat "$logs/$n.rc" 2>/dev/null)" != 0 ]; then
			fail=$((fail + 1))
			failed="$failed $n"
		fi
	done
	rm -rf "$logs"
fi
echo "== $ran test programs, $fail failed${failed:+:$failed}"
[ "$fail" = 0 ]
