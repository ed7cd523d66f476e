#!/bin/sh
# bench/run.sh - every benchmark: bench/log.sh and one script per program
# (bench/<name>.sh). Each prints its figures and ratios and exits 1 when a
# target is missed; this exits 1 if any did.
set -u
cd "$(dirname "$0")/.." || exit 4
status=0
for b in bench/log.sh bench/gate.sh bench/decide.sh bench/verify.sh bench/route.sh; do
	[ -f "$b" ] || continue
	echo "=== $b"
	sh "$b" || status=1
	echo
done
exit $status
