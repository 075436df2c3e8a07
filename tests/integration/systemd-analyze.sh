#!/bin/sh
# Check systemd/ppgd.service with systemd-analyze: `verify` must print nothing
# and `security --offline=yes` must rate the exposure 2.0 or lower. Also
# applies ppgd.sysusers and ppgd.tmpfiles to a scratch root (as root only).
# Skips (exit 77) only when systemd-analyze is absent, and fails then in CI.
set -u
top=${PPGD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
sd="$top/systemd"
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	# Counted by tests/run.sh; in CI a missing tool is a failure.
	case "${CI:-}" in
	true | 1 | yes) echo "FAIL: systemd-analyze not installed (CI)"; exit 1 ;;
	esac
	echo "SKIP: systemd-analyze not installed"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# verify checks that ExecStart= names an executable, and /usr/local/bin/ppgd
# is not installed here: verify a copy (same name, so the unit name holds)
# whose ExecStart= points at a stand-in executable called ppgd. --man=no: the
# man pages in Documentation= are not installed either.
verify_unit() {
	ln -s /bin/true "$tmp/ppgd"
	sed "s|^ExecStart=/usr/local/bin/ppgd |ExecStart=$tmp/ppgd |" \
		"$sd/ppgd.service" >"$tmp/ppgd.service"
	if ! grep -q "^ExecStart=$tmp/ppgd " "$tmp/ppgd.service"; then
		bad "ExecStart=/usr/local/bin/ppgd ... not found in ppgd.service"
		return
	fi
	out=$(systemd-analyze verify --man=no "$tmp/ppgd.service" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		bad "systemd-analyze verify (rc=$rc):"
		printf '%s\n' "$out"
	else
		echo "ok: systemd-analyze verify is clean"
	fi
}

security_unit() {
	out=$(systemd-analyze security --offline=yes "$sd/ppgd.service" 2>&1)
	score=$(printf '%s\n' "$out" |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		bad "no exposure level in systemd-analyze security output:"
		printf '%s\n' "$out"
		return
	fi
	if awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
		bad "exposure $score > $max_exposure"
		printf '%s\n' "$out" | grep '✗'
	else
		echo "ok: exposure $score <= $max_exposure"
	fi
}

# Create the user and the directories in a scratch root; needs root to chown.
users_and_dirs() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: not root, sysusers/tmpfiles check not run"
		return
	fi
	root="$tmp/root"
	mkdir -p "$root/etc"
	if ! systemd-sysusers --root="$root" "$sd/ppgd.sysusers" >/dev/null 2>&1 ||
		! grep -q '^ppgd:x:[0-9]*:[0-9]*:PPG network daemon:/var/lib/ppgd:' \
			"$root/etc/passwd"; then
		bad "systemd-sysusers did not create the ppgd user"
		return
	fi
	if ! systemd-tmpfiles --root="$root" --create "$sd/ppgd.tmpfiles" ||
		[ "$(stat -c %u:%a "$root/var/lib/ppgd" 2>/dev/null)" != \
			"$(awk -F: '$1 == "ppgd" { print $3 }' "$root/etc/passwd"):750" ]; then
		bad "systemd-tmpfiles did not create /var/lib/ppgd owned by ppgd, 0750"
		return
	fi
	echo "ok: sysusers and tmpfiles create the ppgd user and /var/lib/ppgd"
}

verify_unit
security_unit
users_and_dirs
[ "$fail" = 0 ] && echo "PASS: systemd-analyze" || echo "FAIL: systemd-analyze"
exit "$fail"
