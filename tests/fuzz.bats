#!/usr/bin/env bats
# fuzz.bats - the libFuzzer harnesses of tests/fuzz/, replayed without
# libFuzzer: each build/test/fuzz_NAME (the harness linked with
# tests/fuzz/replay.c by the normal compiler and flags) runs over
# tests/fuzz/regress/NAME (every input that ever crashed it) and
# tests/fuzz/corpus/NAME (its seeds). `make fuzz` is what fuzzes.
load helpers

setup() {
	cd "$ROOT" || exit 1
	# libjq's own leaks are not findings (see the file).
	# The suppression needs whole malloc stacks, found through libjq
	# (no frame pointers) only by the slow unwinder.
	export LSAN_OPTIONS="suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
}

# count_files DIR...: regular files (not hidden) in the DIRs that exist.
count_files() {
	local d n=0
	for d in "$@"; do
		[ -d "$d" ] || continue
		n=$((n + $(find "$d" -maxdepth 1 -type f ! -name '.*' | wc -l)))
	done
	echo "$n"
}

@test "fuzz: every harness replays its regression inputs and seeds cleanly" {
	local src name dirs want failed="" ran=0
	for src in tests/fuzz/fuzz_*.c; do
		name=${src#tests/fuzz/fuzz_}
		name=${name%.c}
		dirs=()
		for d in tests/fuzz/regress/$name tests/fuzz/corpus/$name; do
			[ -d "$d" ] && dirs+=("$d")
		done
		want=$(count_files "${dirs[@]}")
		run --separate-stderr "$GRACE_TESTBIN/fuzz_$name" "${dirs[@]}"
		if [ "$status" -ne 0 ] || [ "$output" != "$want input$([ "$want" = 1 ] || echo s)" ] ||
		    [ -n "$stderr" ]; then
			failed="$failed fuzz_$name(status $status: $output $stderr)"
		fi
		ran=$((ran + 1))
	done
	[ -z "$failed" ] || { echo "failed:$failed"; false; }
	# The shipped harnesses, at least.
	[ "$ran" -ge 17 ]
}

@test "fuzz: every seed and regression directory belongs to a harness" {
	local d name orphans=""
	for d in tests/fuzz/corpus/*/ tests/fuzz/regress/*/; do
		[ -d "$d" ] || continue
		name=$(basename "$d")
		[ -f "tests/fuzz/fuzz_$name.c" ] || orphans="$orphans $d"
	done
	[ -z "$orphans" ] || { echo "no harness for:$orphans"; false; }
	# Every harness has seeds.
	for d in tests/fuzz/fuzz_*.c; do
		name=${d#tests/fuzz/fuzz_}
		name=${name%.c}
		[ "$(count_files "tests/fuzz/corpus/$name")" -gt 0 ] || orphans="$orphans $name"
	done
	[ -z "$orphans" ] || { echo "no seeds for:$orphans"; false; }
}

@test "fuzz: the replay driver refuses an input it cannot read" {
	run -2 --separate-stderr "$GRACE_TESTBIN/fuzz_base64" tests/fuzz/no-such-input
	[ -z "$output" ]
	[ "$stderr" = "replay: tests/fuzz/no-such-input: No such file or directory" ]
}

@test "fuzz: the replay driver counts files and directories it ran" {
	run -0 --separate-stderr "$GRACE_TESTBIN/fuzz_base64" tests/fuzz/corpus/base64/pad1 tests/fuzz/corpus/base64
	[ "$output" = "$((1 + $(count_files tests/fuzz/corpus/base64))) inputs" ]
	[ -z "$stderr" ]
}

# Regressions of bugs the harnesses found, as a user meets them.

@test "fuzz regression: a rule id's control characters are escaped in the diagnostic" {
	# found by fuzz_governance (regress/governance/id-control-character-in-message):
	# the message quoted the id raw, so its tab (or a newline) reached stderr.
	printf 'default: deny\npolicies:\n  - id: "deploy\\tprod\\u007f"\n    match: {type: x}\n    effect: allow\n' > "$BATS_TEST_TMPDIR/g.yaml"
	run -2 --separate-stderr grace-gate --check -c "$BATS_TEST_TMPDIR/g.yaml" --trust config/trust.yaml
	[ -z "$output" ]
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/g.yaml:3:9: an id may not hold a comma or a control character: 'deploy\\tprod\\x7f'" ]
}

@test "fuzz regression: diagnostics escape the file text they quote" {
	printf 'default: "al\\tlow\\nx"\n' > "$BATS_TEST_TMPDIR/g.yaml"
	run -2 --separate-stderr grace-gate --check -c "$BATS_TEST_TMPDIR/g.yaml" --trust config/trust.yaml
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/g.yaml:1:10: must be allow, warn or deny, not 'al\\tlow\\nx'" ]
	printf 'default: deny\nrisk:\n  default: "hi\\u001bgh"\n' > "$BATS_TEST_TMPDIR/g.yaml"
	run -2 --separate-stderr grace-gate --check -c "$BATS_TEST_TMPDIR/g.yaml" --trust config/trust.yaml
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/g.yaml:3:12: risk level must be low, medium, high or critical, not 'hi\\x1bgh'" ]
	# The same in every loader (the fix is in lib/err.c): a contract id.
	printf 'contracts:\n  - id: "c\\nx"\n    match: {type: x}\n    checks: []\n' > "$BATS_TEST_TMPDIR/c.yaml"
	run -2 --separate-stderr grace-verify --check -c "$BATS_TEST_TMPDIR/c.yaml"
	[ "$stderr" = "grace-verify: $BATS_TEST_TMPDIR/c.yaml:4:13: contract 'c\\nx' has no checks" ]
}
