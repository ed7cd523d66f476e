#!/usr/bin/env bats
# limits.bats - input nested too deeply for a recursive parser, and files
# over their size limit: each is refused with a clear message and the exit
# status of its kind of content, never a crash.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# nest N OPEN MIDDLE CLOSE: OPEN N times, MIDDLE, CLOSE N times.
nest() {
	python3 -c 'import sys; n = int(sys.argv[1]); print(sys.argv[2] * n + sys.argv[3] + sys.argv[4] * n, end="")' "$@"
}

DEEP=50000

# ------------------------------------------------ jq: native, then libjq

@test "grace-verify --check: a jq check of 50,000 nested parentheses is a config error (exit 2)" {
	printf 'contracts:\n  - id: x\n    checks:\n      - name: c\n        jq: "%s"\n' \
		"$(nest $DEEP '(' '.data.n == 1' ')')" > c.yaml
	run -2 --separate-stderr grace-verify -c c.yaml --check
	assert_output ''
	[ "$stderr" = "grace-verify: c.yaml:5:13: invalid jq expression '((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((...': nested too deeply (more than 256 levels)" ]
}

@test "grace-verify: 256 levels of parentheses are still a working check" {
	printf 'contracts:\n  - id: x\n    checks:\n      - name: c\n        jq: "%s"\n' \
		"$(nest 256 '(' '.data.n == 1' ')')" > c.yaml
	run -0 --separate-stderr grace-verify -c c.yaml <<<'{"id":"e","type":"a","data":{"n":1}}'
	run jq -c '.grace.verify | [.status, .checks[0].result]' <<<"$output"
	assert_output '["verified","pass"]'
}

@test "grace-gate --check: a when of 50,000 nested brackets is a config error (exit 2)" {
	printf 'policies:\n  - id: p\n    when: "%s"\n    effect: deny\n' \
		"$(nest $DEEP '[' '.' ']')" > g.yaml
	run -2 --separate-stderr grace-gate -c g.yaml --check
	assert_output ''
	[ "$stderr" = "grace-gate: g.yaml:3:11: invalid jq expression '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[...': nested too deeply (more than 256 levels)" ]
}

# ---------------------------------------------------- match field paths

@test "grace-gate --check: a match field path of 50,000 names is a config error (exit 2)" {
	printf 'policies:\n  - id: p\n    match:\n      ? %s\n      : 1\n    effect: deny\n' \
		"data$(nest $DEEP '.a' '' '')" > g.yaml
	run -2 --separate-stderr grace-gate -c g.yaml --check
	assert_output ''
	[ "$stderr" = "grace-gate: g.yaml:4:9: field path 'data.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a...' is nested too deeply (more than 64 names)" ]
	# 64 names are fine, and match
	printf 'policies:\n  - id: p\n    match: {%s: 1}\n    effect: deny\ndefault: allow\n' \
		"data$(nest 63 '.a' '' '')" > g.yaml
	run -1 --separate-stderr grace-gate -c g.yaml <<<"{\"id\":\"e\",\"type\":\"x\",\"data\":$(nest 63 '{"a":' 1 '}')}"
	run jq -c '.grace.gate.decision' <<<"$output"
	assert_output '"deny"'
}

# ------------------------------------------------- YAML configuration

@test "YAML nested 50,000 deep is a config error (exit 2) for every program" {
	nest $DEEP '[' '' ']' > deep.yaml
	printf 'policies: %s\n' "$(nest $DEEP '[' '' ']')" > deep-gov.yaml
	run -2 --separate-stderr grace-gate -c deep-gov.yaml --check
	[ "$stderr" = "grace-gate: deep-gov.yaml:1:74: nesting deeper than 64 levels" ]
	run -2 --separate-stderr grace-decide -c deep.yaml --check
	[ "$stderr" = "grace-decide: deep.yaml:1:65: nesting deeper than 64 levels" ]
	run -2 --separate-stderr grace-verify -c deep.yaml --check
	[ "$stderr" = "grace-verify: deep.yaml:1:65: nesting deeper than 64 levels" ]
	printf 'cases:\n  - name: x\n    event: %s\n    expect: hold\n' "$(nest $DEEP '[' '' ']')" > cases.yaml
	run -2 --separate-stderr grace-decide -c "$ROOT/config/decide.yaml" --test cases.yaml
	[ "$stderr" = "grace-decide: cases.yaml:3:73: nesting deeper than 64 levels" ]
}

# ------------------------------------------------------- JSON events

@test "an event nested 50,000 deep is a bad input line (exit 3) for every program" {
	local ev
	ev="{\"id\":\"e\",\"type\":\"a\",\"data\":$(nest $DEEP '[' '' ']')}"
	run -3 --separate-stderr grace-gate -q -c "$FIX/gate/gov.yaml" <<<"$ev"
	[ "$stderr" = "grace-gate: <stdin>:1:540: nesting deeper than 512 levels" ]
	run -3 --separate-stderr grace-decide -q -c "$ROOT/config/decide.yaml" <<<"$ev"
	[ "$stderr" = "grace-decide: <stdin>:1:540: nesting deeper than 512 levels" ]
	run -3 --separate-stderr grace-verify -c "$ROOT/config/contracts.yaml" <<<"$ev"
	[ "$stderr" = "grace-verify: <stdin>:1:540: nesting deeper than 512 levels" ]
	run -3 --separate-stderr grace-log append -f a.log <<<"$ev"
	[ "$stderr" = "grace-log: <stdin>:1:540: nesting deeper than 512 levels" ]
	assert_output '{"type":"grace.input.rejected","source":"grace-log","data":{"input":"<stdin>","line":1,"column":540,"error":"nesting deeper than 512 levels"}}'
}

# ------------------------------------- many rules: the duplicate-id check

# The duplicate-id scans compared each id with every one before it: 40,000
# policies took seconds. The checks finish (no time asserted), and still
# catch a duplicate at the far end, naming where the first one is.
@test "grace-gate --check: 40,000 policies load, and a duplicate of the first is found at the last" {
	python3 -c '
print("policies:")
for i in range(40000):
    print("  - id: p%d\n    match: {type: t%d}\n    effect: allow" % (i, i))' > g.yaml
	run -0 --separate-stderr grace-gate -c g.yaml --check
	assert_output 'g.yaml: ok: 0 constitution rules, 0 threat rules, 40000 policies, 0 risk rules, 0 jq conditions, default deny'
	printf '  - id: p0\n    effect: deny\n' >> g.yaml
	run -2 --separate-stderr grace-gate -c g.yaml --check
	[ "$stderr" = "grace-gate: g.yaml:120002:9: duplicate rule id 'p0' (first defined at line 2)" ]
}

@test "grace-decide --check: 40,000 rules load, and a duplicate of the first is found at the last" {
	python3 -c '
print("thresholds: {approve: 0.75, hold: 0.6, reject: 0.4}\ninputs:\n  governance: {weight: 1}\nrules:")
for i in range(40000):
    print("  - id: r%d\n    input: governance\n    when: {decision: deny}\n    verdict: reject" % i)' > d.yaml
	run -0 --separate-stderr grace-decide -c d.yaml --check
	assert_output 'd.yaml: ok: algorithm weighted, 1 input, 40000 rules'
	printf '  - id: r0\n    input: governance\n    verdict: reject\n' >> d.yaml
	run -2 --separate-stderr grace-decide -c d.yaml --check
	[ "$stderr" = "grace-decide: d.yaml:160005:9: rule id 'r0' is used twice (first at line 5)" ]
}

@test "grace-gate --check: 10,000 threat rules load, and a duplicate of the first is found at the last" {
	python3 -c '
print("threats:")
for i in range(10000):
    print("  - id: t%d\n    pattern: \"word%d\"\n    severity: high" % (i, i))' > g.yaml
	run -0 --separate-stderr grace-gate -c g.yaml --check
	assert_output 'g.yaml: ok: 0 constitution rules, 10000 threat rules, 0 policies, 0 risk rules, 0 jq conditions, default deny'
	printf '  - id: t0\n    pattern: x\n' >> g.yaml
	run -2 --separate-stderr grace-gate -c g.yaml --check
	[ "$stderr" = "grace-gate: g.yaml:30002:9: duplicate rule id 't0' (first defined at line 2)" ]
}

@test "grace-verify --check: 40,000 contracts load, and a duplicate of the first is found at the last" {
	python3 -c '
print("contracts:")
for i in range(40000):
    print("  - id: c%d\n    match: {type: t%d}\n    checks:\n      - {name: a, jq: .data.ok}" % (i, i))' > c.yaml
	run -0 --separate-stderr grace-verify -c c.yaml --check
	assert_output 'c.yaml: ok: 40000 contracts, 40000 checks'
	[ -z "$stderr" ]
	printf '  - id: c0\n    checks:\n      - {name: a, jq: .data.ok}\n      - {name: a, jq: .data.ok}\n' >> c.yaml
	run -2 --separate-stderr grace-verify -c c.yaml --check
	[ "$stderr" = "grace-verify: c.yaml:160005:16: duplicate check name 'a' in contract 'c0'" ]
	sed -i '$d' c.yaml
	run -2 --separate-stderr grace-verify -c c.yaml --check
	[ "$stderr" = "grace-verify: c.yaml:160002:9: duplicate contract id 'c0' (first at line 2)" ]
}

# -------------------------------------------- files over their size limit

# pad FILE N: N spaces appended to FILE.
pad() {
	head -c "$2" /dev/zero | tr '\0' ' ' >> "$1"
}

# signed_log: a.log of 2 records, the key pair ops.key/ops.pub, a.cp a
# checkpoint of it and a.state a state file of a verification of it.
signed_log() {
	printf '{"id":"a"}\n{"id":"b"}\n' | grace-log append -f a.log >/dev/null
	grace-log keygen -o ops ops.example.com/audit >/dev/null
	grace-log checkpoint -f a.log -k ops.key -o a.cp
	grace-verify -q --chain a.log --state a.state
}

@test "a checkpoint over its size limit is malformed: a negative verdict (1), not a system error" {
	signed_log
	cp a.cp big.cp
	pad big.cp 1100000
	run -1 --separate-stderr grace-log verify -q -f a.log --checkpoint big.cp --pubkey ops.pub
	[ "$stderr" = "grace-log: big.cp: bad checkpoint: larger than 1048576 bytes" ]
	run -1 --separate-stderr grace-verify -q --chain a.log --checkpoint big.cp --pubkey ops.pub
	[ "$stderr" = "grace-verify: big.cp: bad checkpoint: larger than 1048576 bytes" ]
	# the good one still passes
	run -0 --separate-stderr grace-verify -q --chain a.log --checkpoint a.cp --pubkey ops.pub
}

# Regression: padding a state file past its limit turned "the state is not
# valid" (1: someone tampered with it) into a system error (4).
@test "a state file over its size limit is not valid: a negative verdict (1), and it is kept" {
	signed_log
	cp a.state big.state
	pad big.state 70000
	cp big.state before.state
	run -1 --separate-stderr grace-verify -q --chain a.log --state big.state
	[ "$stderr" = "grace-verify: big.state: state file is not valid (larger than 65536 bytes): cannot tell whether the log only grew since the last verification; restore it, or remove it to start afresh" ]
	cmp big.state before.state
	run -0 --separate-stderr grace-verify -q --chain a.log --state a.state
}

@test "a key file over its size limit is a usage error (2)" {
	signed_log
	cp ops.pub big.pub
	pad big.pub 70000
	cp ops.key big.key
	pad big.key 70000
	run -2 --separate-stderr grace-log verify -q -f a.log --checkpoint a.cp --pubkey big.pub
	[ "$stderr" = "grace-log: big.pub: not a verifier key: larger than 65536 bytes" ]
	run -2 --separate-stderr grace-verify -q --chain a.log --checkpoint a.cp --pubkey big.pub
	[ "$stderr" = "grace-verify: big.pub: not a verifier key: larger than 65536 bytes" ]
	run -2 --separate-stderr grace-log checkpoint -f a.log -k big.key -o b.cp
	[ "$stderr" = "grace-log: big.key: not a signing key: larger than 65536 bytes" ]
	[ ! -e b.cp ]
}

# The same for field paths: each new one was compared with every one before.
@test "grace-gate: 40,000 policies on 40,000 distinct fields load, and each still matches its own field" {
	python3 -c '
print("policies:")
for i in range(40000):
    print("  - id: p%d\n    match: {data.f%d: 1}\n    effect: allow" % (i, i))' > g.yaml
	run -0 --separate-stderr grace-gate -c g.yaml --check
	assert_output 'g.yaml: ok: 0 constitution rules, 0 threat rules, 40000 policies, 0 risk rules, 0 jq conditions, default deny'
	run -1 --separate-stderr grace-gate -c g.yaml <<-'EOF'
	{"id":"a","type":"x","data":{"f39999":1}}
	{"id":"b","type":"x","data":{"f0":1,"f7":1}}
	{"id":"c","type":"x","data":{"f5":2}}
	EOF
	run jq -c '[.id, .grace.gate.decision, .grace.gate.rules]' <<<"$output"
	assert_output '["a","allow",["p39999"]]
["b","allow",["p0","p7"]]
["c","deny",["default"]]'
}
