#!/usr/bin/env bats
# bench/run.sh (make bench) without the benchmarks: with stand-in scripts
# it repeats every target line, exits 0 only when all are met, 1 on a
# miss, 4 when a script is missing or could not measure. And every target
# the scripts check is documented in README.md and in run.sh's header.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p tree/bench
	cp "$ROOT/bench/run.sh" tree/bench/
}

# stub NAME STATUS LINE...: tree/bench/NAME.sh prints the lines, exits STATUS.
stub() {
	local name=$1 st=$2
	shift 2
	{
		echo '#!/bin/sh'
		for l in "$@"; do printf "echo '%s'\n" "$l"; done
		echo "exit $st"
	} > "tree/bench/$name.sh"
}

all_met() {
	stub log 0 'log figures' '  target append events/s >= 1: met'
	stub gate 0 '  target gate ratio >= 10: met'
	stub decide 0 '  target decide events/s >= 5: met'
	stub verify 0 '  target verify events/s >= 2: met'
	stub route 0 '  target route events/s >= 3: met'
	stub heal 0 '  target heal events/s >= 4: met'
	stub route-nats 0 '  target nats ratio >= 0.8: met'
}

@test "bench/run.sh: every target met exits 0 and repeats the target lines" {
	all_met
	run -0 --separate-stderr sh tree/bench/run.sh
	[ "$(sed -n '/^=== targets$/,$p' <<<"$output")" = "=== targets
  target append events/s >= 1: met
  target gate ratio >= 10: met
  target decide events/s >= 5: met
  target verify events/s >= 2: met
  target route events/s >= 3: met
  target heal events/s >= 4: met
  target nats ratio >= 0.8: met
bench: every target met" ]
	assert_line 'log figures'
}

@test "bench/run.sh: a missed target exits 1 and says how many" {
	all_met
	stub decide 1 '  target decide events/s >= 5: MISSED (3)' '  target decide agree >= 7: MISSED (6)'
	run -1 --separate-stderr sh tree/bench/run.sh
	assert_line '  target decide events/s >= 5: MISSED (3)'
	[ "${lines[-1]}" = "bench: 2 target(s) MISSED" ]
	# The scripts after it still ran.
	assert_line '  target verify events/s >= 2: met'
}

@test "bench/run.sh: a missing script or one that could not measure exits 4" {
	all_met
	rm tree/bench/gate.sh
	run -4 --separate-stderr sh tree/bench/run.sh
	[ "$stderr" = "bench: bench/gate.sh: missing" ]
	all_met
	stub verify 4
	run -4 --separate-stderr sh tree/bench/run.sh
	[ "$stderr" = "bench: bench/verify.sh: could not measure (exit 4)" ]
}

@test "every target the benchmarks check is in README's table and run.sh's header" {
	n=$(grep -hc '^check "' "$ROOT"/bench/log.sh "$ROOT"/bench/gate.sh "$ROOT"/bench/decide.sh "$ROOT"/bench/verify.sh "$ROOT"/bench/route.sh "$ROOT"/bench/heal.sh "$ROOT"/bench/route-nats.sh | paste -sd+ | bc)
	[ "$n" -gt 0 ]
	# The table's rows, less its header and separator.
	rows=$(sed -n '/^| benchmark | target |$/,/^$/p' "$ROOT/README.md" | grep -c '^|.*|.*|$')
	[ "$((rows - 2))" -eq "$n" ]
	for s in log gate decide verify route heal route-nats; do
		grep -q "^#   bench/$s.sh " "$ROOT/bench/run.sh"
		grep -q "^| \`bench/$s.sh\` |" "$ROOT/README.md"
	done
}
