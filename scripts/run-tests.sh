#!/bin/sh
# run-tests.sh - run every bats suite in tests/ and close with the plain
# summary line "N passed, N failed[, N skipped]". Exit 0 only if none failed.
# TESTS="tests/log.bats ..." runs a subset. The files run side by side,
# TEST_JOBS at a time (default: the number of CPUs plus one: most suites
# wait on processes more than they compute); each file's TAP is printed
# whole when it is done, the slowest files start first. TEST_JOBS=1 runs
# them one after another.
set -u
cd "$(dirname "$0")/.." || exit 4
export GRACE_BIN="${GRACE_BIN:-$PWD/build/bin}"
export GRACE_TESTBIN="${GRACE_TESTBIN:-$PWD/build/test}"
export PATH="$GRACE_BIN:$PATH"
jobs=${TEST_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}
case $jobs in '' | *[!0-9]* | 0) echo "run-tests: TEST_JOBS: not a positive count: $jobs" >&2; exit 2 ;; esac
out=$(mktemp -d) || exit 4
trap 'rm -rf "$out"' EXIT
# The slowest suites first, so that the last to finish is a short one
# (TEST_SLOW overrides the list).
slow=${TEST_SLOW:-"tests/heal-drills.bats tests/fuzz-valgrind.bats tests/route-targets.bats
tests/valgrind.bats tests/heal-valgrind.bats tests/route-valgrind.bats
tests/verify-valgrind.bats tests/gate-valgrind.bats tests/decide-valgrind.bats
tests/playbook-valgrind.bats tests/log-crash.bats tests/route-storm.bats
tests/nats-hosts.bats tests/route-nats.bats tests/nats-recipe.bats"}
# shellcheck disable=SC2086
all=$(printf '%s\n' ${TESTS:-tests/*.bats})
{
	for f in $slow; do
		printf '%s\n' "$all" | grep -qxF "$f" && echo "$f"
	done
	# shellcheck disable=SC2086
	printf '%s\n' "$all" | grep -vxF "$(printf '%s\n' $slow)"
} > "$out/order"
i=0
while read -r f; do
	i=$((i + 1))
	printf '%s %s\n' "$i" "$f"
done < "$out/order" > "$out/list"
# One bats per file; its TAP goes to a file of its own, printed under a
# lock when the file is done so that two suites never interleave.
export out
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 sh -c '
	t0=$(date +%s)
	bats --tap "$2" > "$out/$1.tap" 2>&1
	echo $? > "$out/$1.rc"
	t=$(($(date +%s) - t0))
	flock "$out/order" sh -c "echo \"# $2 ($t s)\"; cat \"$out/$1.tap\""
' run-tests < "$out/list"
passed=0 failed=0 skipped=0
while read -r i f; do
	t=$out/$i.tap
	if [ ! -s "$t" ] || [ ! -f "$out/$i.rc" ]; then
		echo "run-tests: $f: bats did not run" >&2
		failed=$((failed + 1))
		continue
	fi
	p=$(grep -cE '^ok [0-9]+' "$t")
	s=$(grep -cE '^ok [0-9]+ .*# skip' "$t")
	n=$(grep -cE '^not ok [0-9]+' "$t")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$t" | head -1)
	ran=$((p + n))
	if [ -z "$plan" ]; then
		# No plan: bats failed before it ran anything (a syntax error).
		echo "run-tests: $f: no test plan (exit status $(cat "$out/$i.rc"))" >&2
		n=$((n + 1))
	elif [ "$ran" -lt "$plan" ]; then
		# bats stopped early: what did not run counts as failed.
		echo "run-tests: $f: $((plan - ran)) of $plan tests did not run" >&2
		n=$((n + plan - ran))
	elif [ "$n" -eq 0 ] && [ "$(cat "$out/$i.rc")" != 0 ]; then
		echo "run-tests: $f: bats exited $(cat "$out/$i.rc") with no failed test" >&2
		n=1
	fi
	passed=$((passed + p - s))
	skipped=$((skipped + s))
	failed=$((failed + n))
done < "$out/list"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$((passed + skipped))" -gt 0 ]
