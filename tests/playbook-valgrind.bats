#!/usr/bin/env bats
# playbook-valgrind.bats - lib/heal's playbooks under valgrind memcheck (the
# plain build; ASan builds cannot run under valgrind): the unit test,
# which loads, matches and runs real playbooks (retries, timeouts,
# rollback and snapshot restore, contracts through lib/verify), and the
# playbooks harness over its seeds and regression inputs, where memcheck
# sees inside libjq. Errors and definite or indirect leaks are fatal
# (exit 99).
load helpers

PLAIN="$ROOT/build"

setup() {
	[ -x "$PLAIN/test/test_playbook" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$ROOT" # the unit test reads playbooks/, man/ and tests/fixtures/heal/
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect \
		--suppressions="$ROOT/tests/fuzz/valgrind.supp" "$@"
}

@test "valgrind: the playbook unit test (loading, matching, real runs)" {
	run -0 --separate-stderr vg "$PLAIN/test/test_playbook"
	refute_output --partial "not ok"
	assert_output --regexp '1\.\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "valgrind: the playbooks harness over its seeds and regression inputs" {
	local dirs=(tests/fuzz/corpus/playbooks)
	[ -d tests/fuzz/regress/playbooks ] && dirs+=(tests/fuzz/regress/playbooks)
	run -0 --separate-stderr vg "$PLAIN/test/fuzz_playbooks" "${dirs[@]}"
	assert_output --regexp '^[0-9]+ inputs$'
	[ -z "$stderr" ]
}
