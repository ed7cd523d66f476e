#!/usr/bin/env bats
# fuzz-valgrind.bats - the fuzz harnesses' replay under memcheck, over
# the plain build: ASan cannot see inside libjq (not instrumented), so a
# jv freed twice or used after it was consumed shows only here. Every
# regression input, and the first seed of each harness (jq
# compiles slowly under valgrind); errors and leaks fatal.
load helpers

PLAIN="$ROOT/build"

setup() {
	[ -x "$PLAIN/test/fuzz_json" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$ROOT" || exit 1
}

@test "valgrind: fuzz harnesses over their regression inputs and first seed" {
	local src name inputs failed=""
	for src in tests/fuzz/fuzz_*.c; do
		name=${src#tests/fuzz/fuzz_}
		name=${name%.c}
		inputs=()
		[ -d "tests/fuzz/regress/$name" ] && inputs+=("tests/fuzz/regress/$name")
		while IFS= read -r f; do
			inputs+=("$f")
		done < <(find "tests/fuzz/corpus/$name" -maxdepth 1 -type f ! -name '.*' | LC_ALL=C sort | head -1)
		run --separate-stderr valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			--show-leak-kinds=definite,indirect \
			--suppressions="$ROOT/tests/fuzz/valgrind.supp" \
			"$PLAIN/test/fuzz_$name" "${inputs[@]}"
		if [ "$status" -ne 0 ] || [ -n "$stderr" ]; then
			failed="$failed fuzz_$name(status $status: $stderr)"
		fi
	done
	[ -z "$failed" ] || { echo "failed:$failed"; false; }
}
