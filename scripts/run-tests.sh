#!/bin/sh
# run-tests.sh - run every bats suite in tests/ and close with the plain
# summary line "N passed, N failed[, N skipped]". Exit 0 only if none failed.
# TESTS="tests/log.bats ..." runs a subset.
set -u
cd "$(dirname "$0")/.." || exit 4
export GRACE_BIN="${GRACE_BIN:-$PWD/build/bin}"
export GRACE_TESTBIN="${GRACE_TESTBIN:-$PWD/build/test}"
export PATH="$GRACE_BIN:$PATH"
tap=$(mktemp) || exit 4
trap 'rm -f "$tap"' EXIT
# shellcheck disable=SC2086
bats --tap ${TESTS:-tests/*.bats} | tee "$tap"
passed=$(grep -cE '^ok [0-9]+' "$tap" | head -1)
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$tap" | head -1)
failed=$(grep -cE '^not ok [0-9]+' "$tap" | head -1)
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -1)
passed=$((passed - skipped))
ran=$((passed + failed + skipped))
if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
	# bats stopped early: count what did not run as failed.
	failed=$((failed + planned - ran))
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$ran" -gt 0 ]
