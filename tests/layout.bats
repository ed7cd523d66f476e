#!/usr/bin/env bats
# layout.bats - the tree keeps the shape of the architecture: a shared core
# in lib/, one folder per system, cmd/ -> systems -> core and never back
# (scripts/layout-check.sh), and the Makefile links each program with its
# own systems only.
load helpers

OBJ="$GRACE_BIN/../obj"

setup() {
	T="$BATS_TEST_TMPDIR"
	mkdir -p "$T/tree"
	cp -r "$ROOT/lib" "$ROOT/cmd" "$T/tree/"
}

check() { run --separate-stderr sh "$ROOT/scripts/layout-check.sh" "$@"; }

@test "layout: the tree and its objects keep the shape" {
	[ -d "$OBJ/lib/gate" ]
	check "$ROOT" "$OBJ"
	assert_success
	assert_output ""
	[ -z "$stderr" ]
}

@test "layout: every system folder has its public header, named after it" {
	for d in "$ROOT"/lib/*/; do
		s=$(basename "$d")
		[ -f "$d/$s.h" ] || { echo "lib/$s/ has no $s.h"; false; }
	done
	[ -f "$ROOT/lib/log/log.h" ] && [ -f "$ROOT/lib/gate/gate.h" ] &&
	    [ -f "$ROOT/lib/verify/verify.h" ] && [ -f "$ROOT/lib/decide/decide.h" ]
}

@test "layout: a core file that includes a system folder is caught" {
	printf '#include "gate/gate.h"\n' >>"$T/tree/lib/json.c"
	check "$T/tree"
	assert_failure 1
	assert_output --partial "layout: lib/json.c:"
	assert_output --partial 'the core includes "gate/gate.h", which is not in the core'
}

@test "layout: cmd/ including an internal header is caught" {
	printf '#include "gate/gate_int.h"\n' >>"$T/tree/cmd/grace-gate.c"
	check "$T/tree"
	assert_failure 1
	assert_output --regexp 'layout: cmd/grace-gate\.c:[0-9]+: includes "gate/gate_int\.h", which is not a public header'
}

@test "layout: a system reaching into another's insides is caught" {
	printf '#include "gate/gate_int.h"\n' >>"$T/tree/lib/verify/eval.c"
	check "$T/tree"
	assert_failure 1
	assert_output --regexp 'layout: lib/verify/eval\.c:[0-9]+: includes "gate/gate_int\.h": another system is used through its public header only'
}

@test "layout: a system file including a header of another folder by its bare name is caught" {
	printf '#include "gate_int.h"\n' >>"$T/tree/lib/decide/engine.c"
	check "$T/tree"
	assert_failure 1
	assert_output --regexp 'layout: lib/decide/engine\.c:[0-9]+: includes "gate_int\.h", which is neither in lib/decide/ nor in the core'
}

@test "layout: two objects calling into each other, and the core calling a system, are caught" {
	mkdir -p "$T/obj/lib/x"
	printf 'int b(int);\nint a(int n) { return n ? b(n - 1) : 0; }\n' >"$T/a.c"
	printf 'int a(int);\nint b(int n) { return n ? a(n - 1) : 1; }\n' >"$T/b.c"
	printf 'int a(int);\nint core(void) { return a(3); }\n' >"$T/core.c"
	cc -c -o "$T/obj/lib/x/a.o" "$T/a.c"
	cc -c -o "$T/obj/lib/x/b.o" "$T/b.c"
	cc -c -o "$T/obj/lib/core.o" "$T/core.c"
	check "$T/tree" "$T/obj"
	assert_failure 1
	assert_output --partial "layout: lib/core.o: the core calls a(), defined in the system lib/x/a.o"
	assert_output --partial "layout: objects call into each other in a circle:"
	assert_output --partial "lib/x/a.o"
	assert_output --partial "lib/x/b.o"
}

@test "layout: the checker refuses what is not a source tree (exit 2)" {
	check "$T/nowhere"
	assert_failure 2
	assert_equal "$stderr" "layout: $T/nowhere: not a Grace source tree (no lib/ or cmd/)"
}

@test "layout: each program is built from its own systems and the core only" {
	# A dry run into an empty build directory lists every object it needs.
	cd "$ROOT"
	run -0 make -n --no-print-directory B="$T/b" "$T/b/bin/grace-decide"
	assert_output --partial "lib/decide/engine.c"
	assert_output --partial "lib/json.c"
	refute_output --partial "lib/gate/"
	refute_output --partial "lib/verify/"
	refute_output --partial "lib/log/"
	run -0 make -n --no-print-directory B="$T/b" "$T/b/bin/grace-gate"
	assert_output --partial "lib/gate/eval.c"
	assert_output --partial "lib/log/format.c"
	refute_output --partial "lib/verify/"
	refute_output --partial "lib/decide/"
	run -0 make -n --no-print-directory B="$T/b" "$T/b/bin/grace-log"
	assert_output --partial "lib/log/chain.c"
	refute_output --partial "lib/gate/"
	refute_output --partial "lib/verify/"
	refute_output --partial "lib/decide/"
}
