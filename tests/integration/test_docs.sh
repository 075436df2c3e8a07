#!/bin/sh
# Keep the man pages true to the binary:
#  (a) every key of `ppgd check-config --defaults` is documented in
#      docs/ppgd.conf.5 as `.B key` (after `.TP`) under `.SS [section]`, with
#      its type as the first word, its default, its bounds ("MIN to MAX,") and
#      its choices; and every key documented there exists;
#  (b) every command of `ppgd help` is in docs/ppgd.8 and README.md as
#      "ppgd COMMAND", every subcommand of a command group as
#      "ppgd COMMAND SUB", and every --option of the usage lines is in
#      docs/ppgd.8;
#  (c) groff prints no warning for any docs/*.[578], and every ppgd page a
#      page refers to (NAME(N)) exists in docs/.
set -u
top=${PPGD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
ppgd=${PPGD:-$top/ppgd}
docs="$top/docs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

if [ ! -x "$ppgd" ]; then
	echo "FAIL: $ppgd is not built (run make)"
	exit 1
fi

# Roff source as plain text: escapes for minus, fonts, non-printing marks
# and quotes undone, so that grep sees what a reader sees.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
		-e 's/\\[&:%]//g' -e 's/\\(dq/"/g' "$1"
}

# Commands run against an empty configuration in a scratch folder, so no
# usage line depends on the machine's /etc/ppgd/ppgd.conf.
: >"$tmp/empty.conf"
run() { (cd "$tmp" && "$ppgd" -c "$tmp/empty.conf" "$@"); }

# ---- (a) configuration keys ----------------------------------------------

check_keys() {
	conf="$docs/ppgd.conf.5"
	if [ ! -f "$conf" ]; then
		bad "docs/ppgd.conf.5 is missing"
		return
	fi
	# section.key, default, range or choices (tab-separated) from the binary.
	"$ppgd" check-config --defaults | awk '
		/^\[.*\]$/ { sec = substr($0, 2, length($0) - 2); next }
		/^; / { help = $0; next }
		/^;?[a-z_]+ = / {
			line = $0
			sub(/^;/, "", line)
			key = line; sub(/ = .*/, "", key)
			def = line; sub(/^[a-z_]+ = /, "", def)
			extra = ""
			if (match(help, /\([^()]*\)$/))
				extra = substr(help, RSTART + 1, RLENGTH - 2)
			print sec "." key "\t" def "\t" extra
		}' >"$tmp/defaults"
	if [ ! -s "$tmp/defaults" ]; then
		bad "check-config --defaults printed no keys"
		return
	fi
	# section.key, type, min, max from the table.
	sed -n 's/^K([A-Z_0-9]*, "\([^"]*\)", "\([^"]*\)", \(CT_[A-Z]*\), "[^"]*", \(-*[0-9]*\), \(-*[0-9]*\),.*/\1.\2|\3|\4|\5/p' \
		"$top/daemon/config_keys.def" | tr '|' '\t' >"$tmp/table"
	# section.key, the text of its entry, from the page.
	plain "$conf" | awk '
		# The arguments of an alternating-font macro (.BR, .IR, ...),
		# joined as troff joins them: without the spaces between them.
		function joined(s, i, ch, q, r) {
			r = ""; q = 0
			for (i = 1; i <= length(s); i++) {
				ch = substr(s, i, 1)
				if (ch == "\"") q = !q
				else if (ch != " " || q) r = r ch
			}
			return r
		}
		function flush() {
			if (key != "" && sec != "")
				print sec "." key "\t" body
			key = ""; body = ""
		}
		/^\.SH/ { flush(); sec = ""; next }
		/^\.SS +"?\[/ {
			flush()
			sec = $0
			sub(/^\.SS +"?\[/, "", sec); sub(/\].*/, "", sec)
			next
		}
		/^\.TP/ { flush(); tp = 1; next }
		tp && /^\.B [a-z_]+$/ { key = $2; tp = 0; next }
		{ tp = 0 }
		key != "" {
			line = $0
			if (line ~ /^\.[BIR][BIR] /) {
				sub(/^\.[BIR][BIR] */, "", line)
				line = joined(line)
			} else if (line ~ /^\./)
				sub(/^\.[A-Za-z]+ */, "", line)
			gsub(/"/, "", line)
			body = body " " line
		}
		END { flush() }' >"$tmp/entries"
	awk -F'\t' -v out="$tmp/keys.out" '
		function secs(d, n, u) {
			n = d; sub(/[smhd]$/, "", n); u = substr(d, length(d))
			return n * (u == "m" ? 60 : u == "h" ? 3600 : u == "d" ? 86400 : 1)
		}
		FILENAME ~ /table$/ { type[$1] = $2; min[$1] = $3; max[$1] = $4; next }
		FILENAME ~ /entries$/ { doc[$1] = $2; next }
		{
			k = $1; seen[k] = 1
			if (!(k in doc)) { print "not in docs/ppgd.conf.5: " k > out; next }
			b = doc[k]
			word["CT_STR"] = "string"; word["CT_INT"] = "integer"
			word["CT_BOOL"] = "boolean"; word["CT_ENUM"] = "choice"
			word["CT_DURATION"] = "duration"; word["CT_SECRET"] = "secret file"
			word["CT_PATH"] = "path"; word["CT_ADDR"] = "address"
			word["CT_URL"] = "URL"; word["CT_HHMM"] = "time"
			if ((k in type) && index(b, " " word[type[k]] ",") != 1)
				print k ": type is not given as " word[type[k]] > out
			if ($2 != "" && index(b, $2) == 0)
				print k ": default " $2 " not given" > out
			if (type[k] == "CT_INT" && $3 ~ /^-?[0-9]+--?[0-9]+$/) {
				split($3, r, /-/)
				if (index(b, r[1] " to " r[2] ",") == 0)
					print k ": range " r[1] " to " r[2] " not given" > out
			} else if (type[k] == "CT_ENUM") {
				n = split($3, c, /\|/)
				for (i = 1; i <= n; i++)
					if (index(b, c[i]) == 0)
						print k ": choice " c[i] " not given" > out
			}
			if (type[k] == "CT_DURATION") {
				if (!match(b, /[0-9]+[smhd] to [0-9]+[smhd],/))
					print k ": duration bounds not given" > out
				else {
					split(substr(b, RSTART, RLENGTH - 1), r, / to /)
					if (secs(r[1]) != min[k] || secs(r[2]) != max[k])
						print k ": bounds " r[1] " to " r[2] " are not " \
						    min[k] "s to " max[k] "s" > out
				}
			}
		}
		END {
			for (k in doc)
				if (!(k in seen))
					print "documented but not a key: " k > out
		}' "$tmp/table" "$tmp/entries" "$tmp/defaults"
	if [ -s "$tmp/keys.out" ]; then
		bad "docs/ppgd.conf.5 and check-config --defaults disagree:"
		sed 's/^/  /' "$tmp/keys.out"
	else
		echo "ok: docs/ppgd.conf.5 documents all $(wc -l <"$tmp/defaults") keys"
	fi
}

# ---- (b) commands, subcommands and options --------------------------------

check_commands() {
	page="$docs/ppgd.8"
	if [ ! -f "$page" ]; then
		bad "docs/ppgd.8 is missing"
		return
	fi
	plain "$page" >"$tmp/ppgd.8.txt"
	"$ppgd" help >"$tmp/help"
	awk '/^  [a-z]/ { print $1 }' "$tmp/help" >"$tmp/commands"
	if [ ! -s "$tmp/commands" ]; then
		bad "ppgd help lists no commands"
		return
	fi
	: >"$tmp/usage"
	: >"$tmp/subs"
	while read -r cmd; do
		line=$(grep "^  $cmd\( \|$\)" "$tmp/help")
		second=$(printf '%s\n' "$line" | awk '{ print $2 }')
		# A group (practice add|update|...; schedule next): its own
		# usage, printed when it is given no subcommand, lists them all.
		if printf '%s\n' "$second" | grep -Eq '^[a-z][a-z-]*(\|[a-z-]+)*$'; then
			run "$cmd" >/dev/null 2>"$tmp/u"
			rc=$?
			[ "$rc" = 2 ] || bad "ppgd $cmd without a subcommand exits $rc, not 2"
			cat "$tmp/u" >>"$tmp/usage"
			awk -v c="$cmd" '$1 == "ppgd" && $2 == c { print c " " $3 }' \
				"$tmp/u" >>"$tmp/subs"
		elif printf '%s\n' "$line" | grep -q -- '--'; then
			# Its full usage, printed for an unknown option.
			run "$cmd" --no-such-option >/dev/null 2>>"$tmp/usage"
		fi
		printf '%s\n' "$line" >>"$tmp/usage"
	done <"$tmp/commands"
	n=0
	while read -r cmd; do
		n=$((n + 1))
		grep -Eq "ppgd $cmd([^a-z-]|\$)" "$tmp/ppgd.8.txt" ||
			bad "command '$cmd' is not in docs/ppgd.8"
	done <"$tmp/commands"
	while read -r sub; do
		grep -Eq "ppgd $sub([^a-z-]|\$)" "$tmp/ppgd.8.txt" ||
			bad "subcommand '$sub' is not in docs/ppgd.8"
	done <"$tmp/subs"
	grep -v 'unrecognized option' "$tmp/usage" |
		grep -Eo -- '--[a-z][a-z-]*' | sort -u >"$tmp/options"
	while read -r opt; do
		grep -Eq -- "$opt([^a-z-]|\$)" "$tmp/ppgd.8.txt" ||
			bad "option '$opt' of a usage line is not in docs/ppgd.8"
	done <"$tmp/options"
	echo "checked: $n commands, $(wc -l <"$tmp/subs") subcommands," \
		"$(wc -l <"$tmp/options") options against docs/ppgd.8"
	if [ ! -f "$top/README.md" ]; then
		bad "README.md not found; commands not checked against it"
		return
	fi
	while read -r cmd; do
		grep -Eq "ppgd $cmd([^a-z-]|\$)" "$top/README.md" ||
			bad "command '$cmd' is not in README.md"
	done <"$tmp/commands"
	echo "checked: $n commands against README.md"
}

# ---- (c) the pages format cleanly and their references exist ----------------

check_pages() {
	if ! command -v groff >/dev/null 2>&1; then
		bad "groff is not installed (scripts/deps.sh installs groff-base)"
		return
	fi
	pages=0
	for f in "$docs"/*.[578]; do
		[ -f "$f" ] || continue
		pages=$((pages + 1))
		name=$(basename "$f")
		out=$(groff -t -man -ww -z -Tutf8 "$f" 2>&1)
		if [ -n "$out" ]; then
			bad "groff warns about docs/$name:"
			printf '%s\n' "$out" | sed 's/^/  /'
		fi
		plain "$f" | grep -Eo 'ppgd[a-z.-]* ?\([578]\)' | tr -d ' ()' |
			sed 's/\([578]\)$/.\1/' | sort -u | while read -r ref; do
			[ -f "$docs/$ref" ] ||
				echo "FAIL: docs/$name refers to $ref, which is not in docs/"
		done >>"$tmp/refs"
	done
	if [ -s "$tmp/refs" ]; then
		cat "$tmp/refs"
		fail=1
	fi
	echo "checked: groff -ww on $pages pages"
}

check_keys
check_commands
check_pages
[ "$fail" = 0 ] && echo "PASS: docs" || echo "FAIL: docs"
exit "$fail"
