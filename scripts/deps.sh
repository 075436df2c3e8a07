#!/bin/sh
# Install the Debian packages ppgd needs to build, test and run its demo.
# Each need is checked first (pkg-config, a header or a command); apt-get runs
# only for what is missing, through sudo only when we are not root.
set -eu

missing=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_file() { [ -e "$1" ] || missing="$missing $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_py() { python3 -c "import $1" 2>/dev/null || missing="$missing $2"; }

need_cmd pkg-config pkg-config
need_cmd cc gcc
need_cmd make make
need_pc libevent libevent-dev
need_pc sqlite3 libsqlite3-dev
need_pc cmocka libcmocka-dev
need_pc inih libinih-dev
need_pc libfyaml libfyaml-dev
need_pc jansson libjansson-dev
need_pc libcurl libcurl4-openssl-dev
need_pc libcrypto libssl-dev
need_pc libesmtp-1.0 libesmtp-dev
need_pc libutf8proc libutf8proc-dev
need_pc libqrencode libqrencode-dev
need_pc libsodium libsodium-dev
need_pc zlib zlib1g-dev
need_file /usr/include/csv.h libcsv-dev
need_cmd sqlite3 sqlite3
need_cmd curl curl
need_cmd groff groff-base
need_file /usr/bin/python3 python3
need_file /usr/sbin/smtp-sink postfix
# test_openapi.py: docs/openapi.yaml read and answers validated (JSON Schema).
need_py yaml python3-yaml
need_py jsonschema python3-jsonschema
if [ "${PPGD_DEPS_BENCH:-0}" = 1 ]; then
	need_cmd wrk wrk
fi
if [ "${PPGD_DEPS_BROWSER:-0}" = 1 ]; then
	need_cmd chromium chromium
	need_file /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf fonts-dejavu-core
	need_cmd node nodejs
	need_cmd npm npm
fi
if [ "${PPGD_DEPS_VALGRIND:-0}" = 1 ]; then
	need_cmd valgrind valgrind
fi

[ -n "$missing" ] || exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# postfix asks questions on install; answer them ahead of time.
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
