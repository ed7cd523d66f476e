#!/usr/bin/env bats
# decide-valgrind.bats - grace-decide and its unit test under valgrind
# memcheck (the plain build: ASan builds cannot run under valgrind), on
# every path: each output format, --emit, --explain, bad lines, --test,
# --check and configuration errors. Errors and definite or indirect leaks
# are fatal.
load decide-helpers

PLAIN="$ROOT/build"

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@"
}

setup() {
	[ -x "$PLAIN/bin/grace-decide" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$BATS_TEST_TMPDIR"
	G="$PLAIN/bin/grace-decide"
	{
		cat "$DFIX/stream.ndjson"
		printf 'nope\n{"grace":[1]}\n{"id":"x","grace":{"gate":{"decision":"error","error":"%0300d"}}}\n' 0
		printf '{"id":"r","type":"resource.delete.x","grace":{"gate":{"decision":"warn","rules":["leaked-key"],"obligations":[1]},"heal":{"anomaly":true,"severity":"high"},"verify":{"status":"verified","confidence":0.6}}}\n'
	} > in.ndjson
}

@test "valgrind: decisions in every format, --emit and --explain, bad lines" {
	local f
	run -3 --separate-stderr vg "$G" -c "$ROOT/config/decide.yaml" --emit --explain in.ndjson
	[ "${#lines[@]}" -eq 14 ]
	for f in text tap junit github; do
		run -3 --separate-stderr vg "$G" -q -c "$DFIX/rules.yaml" -o "$f" in.ndjson
	done
	run -4 --separate-stderr vg "$G" -q -c "$DFIX/weights.yaml" in.ndjson missing.ndjson
}

@test "valgrind: --test, --check, configuration and case-file errors, the unit test" {
	cd "$ROOT"
	run -0 --separate-stderr vg "$G" --test config/decide.test.yaml
	run -0 --separate-stderr vg "$G" -c "$DFIX/rules.yaml" --check
	cd "$BATS_TEST_TMPDIR"
	printf 'thresholds: {approve: 0.8, hold: 0.6, reject: 0.4}\ninputs:\n  mldl: {weight: 1}\nrules:\n  - id: r\n    input: mldl\n    when: {type: [a, b], opinion: [deny]}\n    obligations: [{a: 1}]\n  - id: r\n    input: mldl\n    verdict: hold\n' > c.yaml
	run -2 --separate-stderr vg "$G" -c c.yaml --check
	[[ "$stderr" == *"rule id 'r' is used twice"* ]]
	printf 'cases:\n  - name: x\n    event: {id: 1}\n    expect: {verdict: hold, rules: [a]}\n  - name: y\n    event: {id: 1}\n    expect: maybe\n' > cases.yaml
	run -2 --separate-stderr vg "$G" -c "$DFIX/weights.yaml" --test cases.yaml
	printf 'cases:\n  - name: x\n    event: {id: 1}\n    expect: {verdict: hold, rules: [a]}\n' > cases.yaml
	run -1 --separate-stderr vg "$G" -c "$DFIX/weights.yaml" --test cases.yaml
	run -0 --separate-stderr vg "$PLAIN/test/test_decide"
	refute_output --partial 'not ok'
}
