#!/usr/bin/env bats
# scripts/run-tests.sh, the runner of `make test` and CI: every file run
# once (the slow ones first, not again after), each file's TAP whole
# under its name and time, and the summary line counting what ran.

load helpers

# A bats run inside a bats test must not see the outer one's variables,
# nor its libexec directory first on PATH.
outer_path() {
	tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:
}

@test "run-tests: each file once, the slow ones first; the summary counts every test; a failure is exit 1" {
	cd "$BATS_TEST_TMPDIR"
	printf '@test "a1" { true; }\n@test "a2" { false; }\n' > a.bats
	printf '@test "b1" { true; }\n' > b.bats
	printf '@test "c1" { true; }\n@test "c2" { skip; }\n' > c.bats
	run -1 env -i PATH="$(outer_path)" HOME="$HOME" TESTS="$PWD/a.bats $PWD/b.bats $PWD/c.bats" TEST_SLOW="$PWD/c.bats $PWD/b.bats" TEST_JOBS=1 sh "$ROOT/scripts/run-tests.sh"
	[ "$(grep '^# /' <<<"$output" | sed 's/ ([0-9]* s)$//' | paste -sd' ')" = "# $PWD/c.bats # $PWD/b.bats # $PWD/a.bats" ]
	[[ "$(grep "^# $PWD/a.bats" <<<"$output")" =~ \([0-9]+\ s\)$ ]]
	[ "$(tail -n 1 <<<"$output")" = "3 passed, 1 failed, 1 skipped" ] || { echo "$output"; false; }
	run -0 env -i PATH="$(outer_path)" HOME="$HOME" TESTS="$PWD/b.bats" TEST_SLOW="$PWD/b.bats" sh "$ROOT/scripts/run-tests.sh"
	[ "${lines[${#lines[@]} - 1]}" = "1 passed, 0 failed" ]
	[ "$(grep -c '^# /' <<<"$output")" -eq 1 ]
}

@test "run-tests: the default slow list names files that exist, each once" {
	local slow
	slow=$(sed -n '/^slow=/,/"}$/p' "$ROOT/scripts/run-tests.sh" | tr -d '"{}' | sed 's/^slow=\$TEST_SLOW:-//' | tr ' ' '\n' | grep .)
	[ "$(wc -l <<<"$slow")" -ge 10 ]
	[ -z "$(sort <<<"$slow" | uniq -d)" ]
	while read -r f; do
		[ -f "$ROOT/$f" ] || [ "$f" = tests/nats-hosts.bats ] || { echo "missing: $f"; return 1; }
	done <<<"$slow"
}
