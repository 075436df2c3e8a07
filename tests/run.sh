#!/bin/sh
# Run the unit test binaries given as arguments, then every integration test
# in tests/integration (executables named *.sh or *.py). Prints a summary;
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
if [ "$mode" != unit ]; then
	for t in "$top"/tests/integration/*.sh "$top"/tests/integration/*.py; do
		[ -x "$t" ] || continue
		ran=$((ran + 1))
		echo "== integration: $(basename "$t")"
		if ! "$t"; then fail=$((fail + 1)); failed="$failed $(basename "$t")"; fi
	done
fi
echo "== $ran test programs, $fail failed${failed:+:$failed}"
[ "$fail" = 0 ]
