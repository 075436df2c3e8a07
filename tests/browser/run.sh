#!/bin/sh
# make check-browser: ppgd's pages in Debian's chromium, driven by
# playwright-core (no browser download), checked with axe-core. Installs what
# it needs: chromium, fonts, node and npm from Debian (scripts/deps.sh), the
# npm packages from package-lock.json. Screenshots: tests/artifacts/browser/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PPGD_DEPS_BROWSER=1 "$top/scripts/deps.sh"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
export PPGD="${PPGD:-$top/ppgd}" PPGD_TOP="$top"
# browser.test.js first: it clears the previous run's screenshots.
rc=0
node browser.test.js || rc=1
for t in *.test.js; do
	[ "$t" = browser.test.js ] || node "$t" || rc=1
done
exit $rc
