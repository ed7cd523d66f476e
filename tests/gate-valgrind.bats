#!/usr/bin/env bats
# gate-valgrind.bats - grace-gate under valgrind memcheck (the plain build;
# ASan builds cannot run under valgrind): every output format, votes,
# --explain, an event error, bad lines, bad configuration, --test.
# Errors and definite or indirect leaks are fatal.
load helpers

PLAIN="$ROOT/build"

setup() {
	[ -x "$PLAIN/bin/grace-gate" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$FIX/gate" || exit 1
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@"
}

@test "valgrind: grace-gate over a mixed stream, in every format, with votes and --explain" {
	local G="$PLAIN/bin/grace-gate" o
	run -3 --separate-stderr vg "$G" -c gov.yaml --now 2026-11-21T12:00:00Z --votes votes.ndjson --explain stream.ndjson
	[ "${#lines[@]}" -eq 7 ]
	for o in text tap junit github; do
		run -3 --separate-stderr vg "$G" -c gov.yaml -o "$o" stream.ndjson
		[[ "$stderr" != *"=="* ]] || { echo "$stderr"; false; }
	done
	run -1 --separate-stderr vg "$G" -c gov.yaml --trust trust-low.yaml <<<'{"id":"s","type":"secret.read","actor":"alice","data":{"k":"\u0041KIAIOSFODNN7EXAMPLE; rm -rf /"}}'
}

@test "valgrind: grace-gate --check, --test, and configuration errors" {
	local G="$PLAIN/bin/grace-gate"
	run -0 --separate-stderr vg "$G" -c gov.yaml --check --votes votes.ndjson
	cd "$ROOT"
	run -0 --separate-stderr vg "$G" --test config/governance.test.yaml
	printf 'policies:\n  - id: a\n    effect: review\n    approvals: {required: 3, from: [x, y]}\n' > "$BATS_TEST_TMPDIR/b.yaml"
	run -2 --separate-stderr vg "$G" -c "$BATS_TEST_TMPDIR/b.yaml"
	printf 'policies:\n  - id: a\n    when: ".a |||"\n    effect: allow\n' > "$BATS_TEST_TMPDIR/b.yaml"
	run -2 --separate-stderr vg "$G" -c "$BATS_TEST_TMPDIR/b.yaml"
	printf 'threats:\n  - id: t\n    pattern: "(x"\n' > "$BATS_TEST_TMPDIR/b.yaml"
	run -2 --separate-stderr vg "$G" -c "$BATS_TEST_TMPDIR/b.yaml"
}
