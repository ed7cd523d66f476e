#!/usr/bin/env bats
# valgrind.bats - memcheck over the plain (non-sanitizer) build: the lib unit
# tests and every grace-log command, errors and leaks (definite, indirect)
# both fatal. ASan builds cannot run under valgrind, so this suite always
# uses build/ (.ci/run builds it before the sanitizer run).
load helpers

PLAIN="$ROOT/build"

setup() {
	[ -x "$PLAIN/bin/grace-log" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$BATS_TEST_TMPDIR"
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@"
}

@test "valgrind: lib unit tests" {
	cd "$ROOT" # the unit tests read tests/fixtures/lib/
	# the long randomized differential loops a twentieth as long: they
	# run in full in lib.bats (sanitizers); here each code path runs
	export GRACE_TEST_SCALE=0.05
	for t in "$PLAIN"/test/test_*; do
		run -0 --separate-stderr vg "$t"
		refute_output --partial "not ok"
		[ -z "$stderr" ] || { echo "$t: $stderr"; false; }
	done
}

@test "valgrind: grace-log append (good and bad lines), verify, cat, tail" {
	G="$PLAIN/bin/grace-log"
	{ gen_events 50; printf 'not json\n[1]\n{"a":"\xff"}\n{"grace":{"gate":{}}}\n'; } > in.ndjson
	run -3 --separate-stderr vg "$G" append -f a.log in.ndjson
	[ "${#lines[@]}" -eq 54 ]
	run -0 --separate-stderr vg "$G" verify -f a.log
	run -0 --separate-stderr vg "$G" cat -e a.log
	run -0 --separate-stderr vg "$G" tail -n 3 -e -f a.log
	[ "${#lines[@]}" -eq 3 ]
	sed -i '7s/"n":7/"n":8/' a.log
	run -1 --separate-stderr vg "$G" verify -f a.log
	assert_output --partial '"intact":false'
}

@test "valgrind: grace-log keygen, checkpoint, verify with checkpoints, rotate, repair" {
	G="$PLAIN/bin/grace-log"
	gen_events 20 | "$G" append -f a.log >/dev/null
	run -0 --separate-stderr vg "$G" keygen -o k example.org/log
	run -0 --separate-stderr vg "$G" keygen -o k2 other
	run -0 --separate-stderr vg "$G" checkpoint -f a.log -k k.key -o cp
	run -0 --separate-stderr vg "$G" verify -f a.log --checkpoint cp --pubkey k.pub
	run -1 --separate-stderr vg "$G" verify -f a.log --checkpoint cp --pubkey k2.pub
	run -0 --separate-stderr vg "$G" rotate -f a.log --to a.log.1
	gen_events 5 x | "$G" append -f a.log >/dev/null
	run -0 --separate-stderr vg "$G" verify a.log.1 a.log
	printf '{"seq":99,"pre' >> a.log
	run -1 --separate-stderr vg "$G" verify a.log.1 a.log
	run -0 --separate-stderr vg "$G" repair -f a.log
	run -0 --separate-stderr vg "$G" verify a.log.1 a.log
}
