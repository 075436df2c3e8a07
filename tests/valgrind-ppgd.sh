#!/bin/sh
# ppgd under valgrind, for `make check-valgrind`: point $PPGD here. Each
# process writes its report to $PPGD_VALGRIND_LOGS/ppgd.PID.log (empty when
# clean) and exits 99 on an error or a definite leak.
top=$(cd "$(dirname "$0")/.." && pwd)
logs=${PPGD_VALGRIND_LOGS:-$top/tests/artifacts/valgrind}
mkdir -p "$logs"
exec valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--num-callers=30 --log-file="$logs/ppgd.%p.log" "$top/ppgd" "$@"
