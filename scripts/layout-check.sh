#!/bin/sh
# layout-check.sh - check that the tree keeps the shape of the architecture.
#
#   sh scripts/layout-check.sh [ROOT [OBJDIR]]
#
# ROOT is the source tree (default: this checkout); OBJDIR, when given, is
# a build's object tree (build/obj) whose lib/ objects are checked too.
# The rules (README "Layout", grace(7)):
#   - the core, lib/*.[ch], includes only core headers (never lib/<system>/);
#   - cmd/ includes core headers and public system headers (lib/S/S.h) only;
#   - a system folder lib/S/ includes its own files, core headers, and other
#     systems through their public header "T/T.h" only;
#   - with OBJDIR: no core object refers to a symbol that a system defines,
#     and no two objects call into each other in a circle (tsort).
# Prints one line per breach, "layout: file:line: what", and exits 1 if
# there was any; 0 when the shape holds; 2 on a usage error.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
objdir=${2:-}
[ -d "$root/lib" ] && [ -d "$root/cmd" ] || {
	echo "layout: $root: not a Grace source tree (no lib/ or cmd/)" >&2
	exit 2
}
cd "$root" || exit 2
tmp=$(mktemp -d) || exit 4
trap 'rm -rf "$tmp"' EXIT

# Every quoted include as "file line header".
for f in lib/*.[ch] lib/*/*.[ch] cmd/*.c; do
	[ -f "$f" ] || continue
	awk -v f="$f" '
		/^[ \t]*#[ \t]*include[ \t]*"/ {
			h = $0
			sub(/^[^"]*"/, "", h); sub(/".*$/, "", h)
			print f, FNR, h
		}' "$f"
done >"$tmp/inc"

awk '
function isfile(p,  r) { r = (getline _x < p); close(p); return r >= 0 }
{
	f = $1; line = $2; h = $3
	n = split(f, part, "/")
	if (part[1] == "cmd") {
		if (h ~ /\//) {
			split(h, hp, "/")
			if (h != hp[1] "/" hp[1] ".h" || !isfile("lib/" h))
				bad(f, line, "includes \"" h "\", which is not a public header (cmd/ uses lib/S/S.h)")
		} else if (!isfile("lib/" h)) {
			bad(f, line, "includes \"" h "\", which is not a core header")
		}
	} else if (n == 2) {             # lib/x.c: the core
		if (h ~ /\// || !isfile("lib/" h))
			bad(f, line, "the core includes \"" h "\", which is not in the core")
	} else {                          # lib/S/x.c: a system
		s = part[2]
		if (h ~ /\//) {
			split(h, hp, "/")
			if (hp[1] == s)
				bad(f, line, "includes its own folder as \"" h "\" (say \"" substr(h, length(s) + 2) "\")")
			else if (h != hp[1] "/" hp[1] ".h" || !isfile("lib/" h))
				bad(f, line, "includes \"" h "\": another system is used through its public header only")
		} else if (!isfile("lib/" s "/" h) && !isfile("lib/" h)) {
			bad(f, line, "includes \"" h "\", which is neither in lib/" s "/ nor in the core")
		}
	}
}
function bad(f, line, what) { print "layout: " f ":" line ": " what; nbad++ }
END { exit nbad > 0 }
' "$tmp/inc"
status=$?

if [ -n "$objdir" ]; then
	[ -d "$objdir/lib" ] || {
		echo "layout: $objdir: no lib/ objects (build first)" >&2
		exit 2
	}
	find "$objdir/lib" -name '*.o' | sort >"$tmp/objs"
	while read -r o; do
		n=${o#"$objdir"/}
		nm -g --defined-only "$o" | awk -v f="$n" 'NF == 3 { print $3, f }'
	done <"$tmp/objs" | sort >"$tmp/defs"
	while read -r o; do
		n=${o#"$objdir"/}
		nm -u "$o" | awk -v f="$n" '{ print $NF, f }'
	done <"$tmp/objs" | sort >"$tmp/undefs"
	# "user used": object user calls into object used.
	join "$tmp/undefs" "$tmp/defs" | awk '$2 != $3 { print $2, $3, $1 }' |
	    sort -u -k1,2 >"$tmp/edges"
	awk '{
		nu = split($1, u, "/"); nd = split($2, d, "/")
		if (nu == 2 && nd == 3) {
			print "layout: " $1 ": the core calls " $3 "(), defined in the system " $2
			nbad++
		}
	} END { exit nbad > 0 }' "$tmp/edges" || status=1
	if ! awk '{ print $1, $2 }' "$tmp/edges" | tsort >/dev/null 2>"$tmp/loop"; then
		echo "layout: objects call into each other in a circle:"
		sed -n 's/^tsort: //p' "$tmp/loop" | sed 's/^/layout:   /'
		status=1
	fi
fi
exit $status
