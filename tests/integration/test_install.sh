#!/bin/sh
# make install as a packager runs it: into DESTDIR, never running the
# dependency installer; the unit's ExecStart follows BINDIR; bash completion,
# man pages, templates and the example configuration installed;
# install-strip strips; a PREFIX change rebuilds what compiles it in.
set -u
top=${PPGD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
if [ ! -x "$top/ppgd" ]; then
	echo "FAIL: $top/ppgd is not built (run make)"
	exit 1
fi
# A copy of the tree, built objects included: an install may relink the
# binary, and the other tests run this tree's ppgd at the same time.
tree="$tmp/tree"
mkdir -p "$tree"
(cd "$top" && tar cf - --exclude=./tests/artifacts --exclude=node_modules \
	--exclude=./bench/out .) | (cd "$tree" && tar xf -)
# A make of our own, not a sub-make of `make check`.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$tree" "$@"; }

# No package manager from `sudo make install`: the recipe never names it.
if mk -n install DESTDIR="$tmp/dry" | grep -q 'deps\.sh'; then
	bad "make install would run scripts/deps.sh"
else
	ok "make install does not run the dependency installer"
fi
if mk -n all | grep -q 'deps\.sh'; then
	ok "make (all) still checks the dependencies"
else
	bad "make all no longer runs scripts/deps.sh"
fi

d="$tmp/root"
if ! mk install DESTDIR="$d" BINDIR=/opt/ppgd/bin >"$tmp/out" 2>&1; then
	cat "$tmp/out"
	bad "make install failed"
fi
[ -x "$d/opt/ppgd/bin/ppgd" ] && ok "binary installed in BINDIR" ||
	bad "no $d/opt/ppgd/bin/ppgd"
unit="$d/usr/local/lib/systemd/system/ppgd.service"
if grep -qx 'ExecStart=/opt/ppgd/bin/ppgd -c /etc/ppgd/ppgd.conf serve' "$unit" 2>/dev/null; then
	ok "the unit's ExecStart follows BINDIR"
else
	bad "ExecStart does not follow BINDIR: $(grep ExecStart "$unit" 2>&1)"
fi
comp="$d/usr/local/share/bash-completion/completions/ppgd"
[ -f "$comp" ] && ok "bash completion installed" || bad "no $comp"
for f in man8/ppgd.8 man5/ppgd.conf.5 man7/ppgd-campaigns.7; do
	[ -f "$d/usr/local/share/man/$f" ] || bad "no man page $f"
done
for f in templates/email/broadcast.txt templates/web/layout.html surveys/fft.yaml \
	ppgd.conf.example; do
	[ -f "$d/usr/local/share/ppgd/$f" ] || bad "no $f in the data folder"
done

# The installed completion completes from the installed program's help.
if command -v bash >/dev/null 2>&1; then
	got=$(PATH="$d/opt/ppgd/bin:$PATH" bash -c '
		. "$1"
		COMP_WORDS=(ppgd member ""); COMP_CWORD=2; _ppgd
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(ppgd campaign add x --pr); COMP_CWORD=4; _ppgd
		echo "${COMPREPLY[*]}"' sh "$comp")
	case $got in
	*"add update show list"*--practice*) ok "completion offers subcommands and options" ;;
	*) bad "completion gave: $got" ;;
	esac
fi

# install-strip: the same, with no symbol table.
s="$tmp/strip"
if mk install-strip DESTDIR="$s" >"$tmp/out" 2>&1; then
	if readelf -S "$s/usr/local/bin/ppgd" | grep -q '\.symtab'; then
		bad "install-strip left the symbol table"
	else
		ok "install-strip strips the binary"
	fi
else
	cat "$tmp/out"
	bad "make install-strip failed"
fi

# PREFIX is compiled in (the built-in templates folder): a new PREFIX
# rebuilds config.o with it (shown with -n, so this tree is not changed).
mk -n install PREFIX=/opt/x >"$tmp/n" 2>&1
if grep -q "PPGD_DATADIR='\"/opt/x/share/ppgd\"'.*config\.c" "$tmp/n" &&
	grep -q "PPGD_DATADIR='\"/opt/x/share/ppgd\"'.*cmd_survey\.c" "$tmp/n"; then
	ok "a new PREFIX rebuilds what compiles it in"
else
	bad "make install PREFIX=/opt/x would not rebuild config.o"
fi

[ "$fail" = 0 ] && echo "PASS: install" || echo "FAIL: install"
exit "$fail"
