#!/bin/sh
# Dependencies point down (STYLE.md 15): faces (CLI, admin API, web pages,
# webhooks, the server) may include anything; every other daemon source
# (use cases, stores, runtime services) must not include a face's header,
# so nothing below reaches back up for context or to wake a service.
# Prints each offending include; exits 1 if there is one.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top/daemon" || exit 1
# The faces. action.c also serves the public action-plan page.
faces="main.c cli.c cmd_*.c api*.c http.c server.c app.c webhook_http.c
websurvey.c unsubscribe.c status.c web.c action.c admin*.c joinweb.c
meeting_page.c minutes_page.c api_priv.h"
face_headers='"(http|server|cli|app|api|webhook_http|websurvey|unsubscribe|status|web)\.h"|<event2/http\.h>'
fail=0
for f in *.c *.h; do
	skip=0
	for g in $faces; do
		# shellcheck disable=SC2254
		case "$f" in $g | "${g%.c}.h") skip=1 ;; esac
	done
	[ "$skip" = 1 ] && continue
	if grep -En "^#include ($face_headers)" "$f" >/dev/null; then
		grep -En "^#include ($face_headers)" "$f" | sed "s|^|layers: daemon/$f:|"
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "layers: no store, use case or service includes a face's header"
exit "$fail"
