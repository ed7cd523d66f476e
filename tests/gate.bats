#!/usr/bin/env bats
# grace-gate: the command line, the output formats and exit statuses a CI
# step reads, bad input and bad configuration, --check and --test, and the
# shipped config/governance.yaml. What it decides: tests/gate-policy.bats.

load helpers

setup() {
	cd "$FIX/gate" || exit 1
}

gate() {
	grace-gate -c gov.yaml --now 2026-11-21T12:00:00Z "$@"
}

# ------------------------------------------------------------ the CLI

@test "--help and --version write to stdout and exit 0" {
	run -0 --separate-stderr grace-gate --help
	assert_line --index 0 'usage: grace-gate [-c FILE] [--trust FILE] [--votes FILE]... [--mode MODE]'
	assert_output --partial '      --test CASES    run a policy test file; exit 1 if a case fails'
	assert_output --partial 'Exit status: 0 all allowed (or warned), 1 a deny or an unmet review,'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-gate --version
	assert_output --regexp '^grace-gate \(grace\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "bad options are usage errors (exit 2) before anything is read" {
	run -2 --separate-stderr grace-gate --bogus
	assert_output ''
	[ "$stderr" = "grace-gate: unrecognized option '--bogus'
Try 'grace-gate --help' for more information." ]
	run -2 --separate-stderr gate --mode strict
	[ "$stderr" = "grace-gate: --mode takes enforce or audit, not 'strict'
Try 'grace-gate --help' for more information." ]
	run -2 --separate-stderr gate -o xml
	[ "$stderr" = "grace-gate: -o takes ndjson, text, tap, junit or github, not 'xml'
Try 'grace-gate --help' for more information." ]
	run -2 --separate-stderr gate --now yesterday
	[ "$stderr" = "grace-gate: --now takes an RFC 3339 time such as 2026-11-21T10:00:00Z, not 'yesterday'
Try 'grace-gate --help' for more information." ]
	run -2 --separate-stderr gate --check stream.ndjson
	[ "$stderr" = "grace-gate: --check and --test read no input files
Try 'grace-gate --help' for more information." ]
}

@test "the governance file is found on the search path when -c is not given" {
	mkdir "$BATS_TEST_TMPDIR/conf"
	cp gov.yaml trust.yaml "$BATS_TEST_TMPDIR/conf/"
	mv "$BATS_TEST_TMPDIR/conf/gov.yaml" "$BATS_TEST_TMPDIR/conf/governance.yaml"
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr env GRACE_CONFIG_DIR="$BATS_TEST_TMPDIR/conf" grace-gate --check
	assert_output "$BATS_TEST_TMPDIR/conf/governance.yaml: ok: 2 constitution rules, 4 threat rules, 9 policies, 1 risk rule, 1 jq condition, default deny"
	run -2 --separate-stderr env -u GRACE_CONFIG_DIR HOME="$BATS_TEST_TMPDIR" XDG_CONFIG_HOME= grace-gate --check
	[[ "$stderr" == "grace-gate: no governance.yaml found (looked in: "*"): use -c FILE" ]]
}

@test "events pass through in order, annotated; the summary is on stderr" {
	run -0 --separate-stderr gate <<<'{"specversion":"1.0","id":"e-1","type":"deploy.requested","actor":"alice","grace":{"heal":{"anomaly":false}},"x":[1,2]}
{"id":"e-2","type":"service.scale","actor":"bob"}'
	assert_output '{"specversion":"1.0","id":"e-1","type":"deploy.requested","actor":"alice","grace":{"heal":{"anomaly":false},"gate":{"decision":"allow","rules":["deploy"],"reasons":["deploys are allowed"],"risk":"low","trust":0.9,"mode":"enforce","owner":"release@example.com","link":"https://wiki.example.com/deploys"}},"x":[1,2]}
{"id":"e-2","type":"service.scale","actor":"bob","grace":{"gate":{"decision":"allow","rules":["scale"],"reasons":["allowed by policy"],"risk":"low","trust":0.9,"mode":"enforce"}}}'
	[ "$stderr" = "2 events, 2 allowed, 0 warned, 0 review, 0 denied, 0 errors" ]
	# -q: no summary; a grace.gate already there is replaced
	run -0 --separate-stderr gate -q <<<'{"id":"e-3","type":"service.scale","actor":"bob","grace":{"gate":{"decision":"deny"}}}'
	assert_output '{"id":"e-3","type":"service.scale","actor":"bob","grace":{"gate":{"decision":"allow","rules":["scale"],"reasons":["allowed by policy"],"risk":"low","trust":0.9,"mode":"enforce"}}}'
	[ -z "$stderr" ]
}

# ------------------------------------------------------------ exit statuses

@test "exit status: 0 allowed, 1 denied or held, warnings pass unless --fail-on-warn, --no-fail is 0" {
	run -0 gate -q <<<'{"id":"a","type":"deploy.requested","actor":"alice"}'
	run -0 gate -q <<<'{"id":"w","type":"deploy.requested","actor":"alice","data":{"replicas":50}}'
	run -1 gate -q --fail-on-warn <<<'{"id":"w","type":"deploy.requested","actor":"alice","data":{"replicas":50}}'
	run -1 gate -q <<<'{"id":"r","type":"resource.delete","actor":"alice","data":{"env":"dev"}}'
	run -1 gate -q <<<'{"id":"d","type":"dns.change"}'
	run -0 gate -q --no-fail <<<'{"id":"d","type":"dns.change"}'
	run -0 gate -q --no-fail stream.ndjson
	run -0 gate -q --mode audit --fail-on-warn <<<'{"id":"w","type":"deploy.requested","actor":"alice","data":{"replicas":50}}'
}

@test "no events judged: an empty stream, or only blank lines, exits 1 unless --allow-empty" {
	# A gate that judged nothing allowed nothing.
	local fmt
	run -1 --separate-stderr gate < /dev/null
	assert_output ''
	[ "$stderr" = "0 events, 0 allowed, 0 warned, 0 review, 0 denied, 0 errors
grace-gate: no events judged (use --allow-empty to accept an empty stream)" ]
	run -1 --separate-stderr gate -q <<< $'\n \t\n'
	assert_output ''
	[ "$stderr" = "grace-gate: no events judged (use --allow-empty to accept an empty stream)" ]
	# A report of an empty run fails as its exit status does.
	for fmt in text tap junit github; do
		run -1 --separate-stderr gate -q -o "$fmt" < /dev/null
		[ "$stderr" = "grace-gate: no events judged (use --allow-empty to accept an empty stream)" ]
		assert_output --partial 'no events judged'
	done
	run -1 --separate-stderr gate -q -o tap < /dev/null
	assert_output "TAP version 13
not ok 1 - <stdin> error: no events judged (use --allow-empty to accept an empty stream)
1..1"
	: > "$BATS_TEST_TMPDIR/empty.ndjson"
	run -1 --separate-stderr gate -q -o text "$BATS_TEST_TMPDIR/empty.ndjson"
	assert_output "$BATS_TEST_TMPDIR/empty.ndjson error - no events judged (use --allow-empty to accept an empty stream)"
	run -0 --separate-stderr gate -q -o tap --allow-empty < /dev/null
	assert_output $'TAP version 13\n1..0'
	# --no-fail and --mode audit are about verdicts: no event is none.
	run -1 --separate-stderr gate -q --no-fail < /dev/null
	run -1 --separate-stderr gate -q --mode audit < /dev/null
	run -0 --separate-stderr gate --allow-empty < /dev/null
	assert_output ''
	[ "$stderr" = "0 events, 0 allowed, 0 warned, 0 review, 0 denied, 0 errors" ]
	run -0 --separate-stderr gate -q --allow-empty --no-fail <<< $'\n'
	run -1 --separate-stderr gate -q --allow-empty <<< '{"id":"d","type":"dns.change","actor":"alice"}'
	# Only bad lines: bad input outranks it.
	run -3 --separate-stderr gate -q <<< 'nope'
	[ "$stderr" = "grace-gate: <stdin>:1:1: not JSON: unexpected 'n'" ]
	run -3 --separate-stderr gate -q <<< '{"grace":5}'
}

@test "a bad line is reported, replaced by a rejection record, and exits 3; nothing is lost" {
	run -3 --separate-stderr gate stream.ndjson
	[ "$(jq -c '[.id // .type, .grace.gate.decision // .data.error]' <<<"$output")" = '["ok-1","allow"]
["warn-1","warn"]
["grace.input.rejected","not JSON: unexpected '"'n'"'"]
["rev-1","review"]
["dns.change","deny"]
["err-1","error"]
["grace.input.rejected","member '"'grace'"' is a string, not an object"]' ]
	[ "$stderr" = "grace-gate: stream.ndjson:3:1: not JSON: unexpected 'n'
grace-gate: stream.ndjson:6: rule 'flag-high' (gov.yaml:82:11): jq: error: string (\"high\") and number (1) cannot be added
grace-gate: stream.ndjson:7:47: member 'grace' is a string, not an object
7 events, 1 allowed, 1 warned, 1 review, 1 denied, 3 errors" ]
	[ "$(sed -n 3p <<<"$output")" = '{"type":"grace.input.rejected","source":"grace-gate","data":{"input":"stream.ndjson","line":3,"column":1,"error":"not JSON: unexpected '"'n'"'"}}' ]
	# --strict stops at the first bad line, after writing what came before
	run -3 --separate-stderr gate --strict stream.ndjson
	[ "$(jq -c '.id // .type' <<<"$output")" = '"ok-1"
"warn-1"
"grace.input.rejected"' ]
}

@test "a condition that fails at run time on one event: that event is an error, the stream goes on" {
	run -3 --separate-stderr gate <<<'{"id":"f-1","type":"flag.set","data":{"value":"high"}}
{"id":"f-2","type":"flag.set","data":{"value":1}}'
	[ "$(head -1 <<<"$output" | jq -c .grace.gate)" = '{"decision":"error","rules":["flag-high"],"reasons":["rule '"'flag-high'"' (gov.yaml:82:11): jq: error: string (\"high\") and number (1) cannot be added"],"risk":"low","trust":0.5,"mode":"enforce","error":"rule '"'flag-high'"' (gov.yaml:82:11): jq: error: string (\"high\") and number (1) cannot be added"}' ]
	[ "$(tail -1 <<<"$output" | jq -c .grace.gate.decision)" = '"allow"' ]
	[ "$stderr" = "grace-gate: <stdin>:1: rule 'flag-high' (gov.yaml:82:11): jq: error: string (\"high\") and number (1) cannot be added
2 events, 1 allowed, 0 warned, 0 review, 0 denied, 1 errors" ]
	# an error blocks even in audit mode's exit status? No: audit never
	# blocks on verdicts, but an event that could not be judged is not one
	run -3 gate -q --mode audit <<<'{"id":"f-1","type":"flag.set","data":{"value":"high"}}'
}

# ------------------------------------------------------------ formats

@test "-o text: one line per event (id, decision, rules, reason)" {
	run -3 --separate-stderr gate -o text stream.ndjson
	assert_output "ok-1 allow deploy deploys are allowed
warn-1 warn deploy-big a big rollout
stream.ndjson:3 error - not JSON: unexpected 'n'
rev-1 review delete needs 2 approvals from alice, bob, carol
stream.ndjson:5 deny default no policy matched: the default is deny
err-1 error flag-high rule 'flag-high' (gov.yaml:82:11): jq: error: string (\"high\") and number (1) cannot be added
stream.ndjson:7 error - member 'grace' is a string, not an object"
	[ "$(tail -1 <<<"$stderr")" = "7 events, 1 allowed, 1 warned, 1 review, 1 denied, 3 errors" ]
}

@test "-o tap and -o github: what a CI runner shows" {
	run -1 --separate-stderr gate -o tap <<<'{"id":"a","type":"deploy.requested","actor":"alice"}
{"id":"d","type":"dns.change","actor":"alice"}'
	assert_output "TAP version 13
ok 1 - a allow (deploy): deploys are allowed
not ok 2 - d deny (default): no policy matched: the default is deny
1..2"
	run -1 --separate-stderr gate -o github <<<'{"id":"a","type":"deploy.requested","actor":"alice"}
{"id":"w","type":"deploy.requested","actor":"alice","data":{"replicas":50}}
{"id":"d","type":"dns.change","actor":"alice"}'
	assert_output "::warning title=grace-gate warn::w: warn by deploy-big - a big rollout
::error title=grace-gate deny::d: deny by default - no policy matched: the default is deny
::notice title=grace-gate::3 events: 1 passed, 1 warned or held, 1 failed, 0 errors"
}

@test "-o tap: an unmet review fails like a deny; in audit mode a deny is only a warning" {
	run -1 --separate-stderr gate -o tap <<<'{"id":"rev-1","type":"resource.delete","actor":"alice","data":{"env":"dev"}}'
	assert_output "TAP version 13
not ok 1 - rev-1 review (delete): needs 2 approvals from alice, bob, carol
1..1"
	run -0 --separate-stderr gate -o github --mode audit <<<'{"id":"d","type":"dns.change","actor":"alice"}'
	assert_output "::warning title=grace-gate deny::d: deny by default - no policy matched: the default is deny
::notice title=grace-gate::1 events: 0 passed, 1 warned or held, 0 failed, 0 errors"
}

@test "-o junit: each decision a test case" {
	run -1 --separate-stderr gate -o junit <<<'{"id":"a","type":"deploy.requested","actor":"alice"}
{"id":"d","type":"dns.change","actor":"alice"}'
	assert_output '<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="grace-gate" tests="2" failures="1" errors="0">
    <testcase classname="grace-gate" name="a deploy.requested">
      <system-out>allow (deploy): deploys are allowed</system-out>
    </testcase>
    <testcase classname="grace-gate" name="d dns.change">
      <failure type="deny" message="no policy matched: the default is deny">default</failure>
    </testcase>
  </testsuite>
</testsuites>'
	[ "$stderr" = "2 events, 1 allowed, 0 warned, 0 review, 1 denied, 0 errors" ]
}

# ------------------------------------------------------------ bad config

# badconf YAML: write YAML as bad.yaml (with the fixture trust file)
badconf() {
	printf '%s\n' "$1" > "$BATS_TEST_TMPDIR/bad.yaml"
	cp trust.yaml "$BATS_TEST_TMPDIR/"
}

@test "bad configuration exits 2 naming file:line:col, before any event is read" {
	local cases=(
	'policies: [' "bad.yaml:2:1: did not find expected node content (while parsing a flow node at line 2, column 1)"
	$'policies:\n  - id: a\n    whenn: .x\n    effect: allow' "bad.yaml:3:5: unknown key 'whenn' (expected one of: id, match, when, effect, approvals, min_trust, below_trust, risk, message, owner, link, obligations)"
	$'polices: []' "bad.yaml:1:1: unknown key 'polices' (expected one of: default, trust, autonomous, risk, risk_tiers, constitution, threats, policies)"
	$'policies:\n  - id: a\n    when: ".data |||"\n    effect: allow' "bad.yaml:3:11: invalid jq expression '.data |||': syntax error, unexpected '|'"
	$'policies:\n  - id: a\n    when: nosuchfn\n    effect: allow' "bad.yaml:3:11: invalid jq expression 'nosuchfn': nosuchfn/0 is not defined"
	$'policies:\n  - id: a\n    match: {$mood: happy}\n    effect: allow' "bad.yaml:3:13: unknown field '\$mood' (the \$ fields are \$trust, \$autonomous and \$quarantined)"
	$'policies:\n  - id: a\n    match: {data..env: x}\n    effect: allow' "bad.yaml:3:13: bad field path 'data..env' (expected names joined by dots, such as data.env)"
	$'policies:\n  - id: a\n    match: {data.n: {gt: many}}\n    effect: allow' "bad.yaml:3:26: expected a number, got 'many'"
	$'policies:\n  - id: a\n    match: {data.n: {most: 1}}\n    effect: allow' "bad.yaml:3:22: unknown key 'most' (expected one of: eq, in, not, gt, gte, lt, lte, exists)"
	$'policies:\n  - id: a\n    effect: maybe' "bad.yaml:3:13: effect must be allow, warn, review or deny, not 'maybe'"
	$'policies:\n  - id: a\n    effect: review' "bad.yaml:2:5: policy 'a' can ask for review: it needs approvals: {required: N, from: [...]}"
	$'policies:\n  - id: a\n    effect: review\n    approvals: {required: 3, from: [x, y]}' "bad.yaml:4:27: required must be from 1 to the number of approvers listed (2)"
	$'policies:\n  - id: a\n    effect: allow\n  - id: a\n    effect: deny' "bad.yaml:4:9: duplicate rule id 'a' (first defined at line 2)"
	$'policies:\n  - id: default\n    effect: allow' "bad.yaml:2:9: the id 'default' is reserved (for the default effect and the risk tiers)"
	$'threats:\n  - id: t\n    pattern: "a(b"' "bad.yaml:3:14: rule 't': bad pattern: end pattern with unmatched parenthesis"
	$'threats:\n  - id: t\n    pattern: x\n    severity: dire' "bad.yaml:4:15: severity must be info, low, medium, high or critical, not 'dire'"
	$'risk_tiers:\n  high: {human: review, autonomous: allow}' "bad.yaml:2:37: autonomous events take the stricter path: 'allow' is more lenient than human:"
	$'trust: {scores: {a: 2}}' "bad.yaml:1:21: a trust score is a number from 0 to 1, not 2"
	$'trust: missing.yaml' "$BATS_TEST_TMPDIR/missing.yaml: cannot open: No such file or directory"
	)
	# (not $i: bats's run uses it)
	local nth
	for ((nth = 0; nth < ${#cases[@]}; nth += 2)); do
		badconf "${cases[nth]}"
		run -2 --separate-stderr grace-gate -c "$BATS_TEST_TMPDIR/bad.yaml" <<<'{"id":"e","type":"x"}'
		assert_output ''
		[ "$stderr" = "grace-gate: ${cases[nth+1]/bad.yaml/$BATS_TEST_TMPDIR/bad.yaml}" ] ||
			{ echo "case $((nth / 2)): got: $stderr"; return 1; }
	done
	run -2 --separate-stderr grace-gate -c "$BATS_TEST_TMPDIR/none.yaml"
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/none.yaml: cannot open: No such file or directory" ]
}

# Regression: the message had two %s and one argument, so it printed
# stack bytes (a crash under ASan); the format checker now catches that.
@test "a risk rule with neither match nor when is a config error naming file:line:col" {
	badconf $'risk:\n  rules:\n    - id: r1\n      level: high'
	run -2 --separate-stderr grace-gate --check -c "$BATS_TEST_TMPDIR/bad.yaml"
	assert_output ''
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/bad.yaml:3:7: risk rule 'r1' needs match or when" ]
}

@test "a bad votes file is a configuration error naming file and line" {
	printf '%s\n' '{"type":"governance.vote","actor":"a","time":"2026-11-21T10:00:00Z","data":{"request":"r","vote":"approve"}}' 'garbage' > "$BATS_TEST_TMPDIR/v"
	run -2 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v" <<<'{"id":"e","type":"x"}'
	assert_output ''
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/v:2:1: not JSON: unexpected 'g'" ]
	printf '%s\n' '{"type":"governance.vote","actor":"a","time":"2026-11-21T10:00:00Z","data":{"request":"r","vote":"maybe"}}' > "$BATS_TEST_TMPDIR/v"
	run -2 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v"
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/v:1: governance.vote: data.vote must be \"approve\" or \"reject\"" ]
	printf '%s\n' '{"type":"governance.vote","actor":"a","time":"yesterday","data":{"request":"r","vote":"approve"}}' > "$BATS_TEST_TMPDIR/v"
	run -2 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v"
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/v:1: governance.vote: time must be an RFC 3339 time such as 2026-11-21T10:00:00Z" ]
}

# ------------------------------------------------------------ --check, --test

@test "--check validates and summarizes; with --votes it counts the votes" {
	run -0 --separate-stderr gate --check --votes votes.ndjson
	assert_output "gov.yaml: ok: 2 constitution rules, 4 threat rules, 9 policies, 1 risk rule, 1 jq condition, default deny, 3 votes"
	[ -z "$stderr" ]
}

@test "--test reports each case and exits 1 if one fails" {
	cat > "$BATS_TEST_TMPDIR/t.yaml" <<-'EOF'
	now: 2026-11-21T12:00:00Z
	votes:
	  - {request: d-1, voter: alice, vote: approve}
	cases:
	  - name: deploys are allowed
	    event: {id: x, type: deploy.requested, actor: alice}
	    expect: allow
	  - name: a wrong expectation
	    event: {id: y, type: dns.change, actor: alice}
	    expect: {decision: allow, risk: high}
	  - name: votes from the file and the case add up
	    event: {id: d-1, type: resource.delete, actor: dave}
	    votes: [{voter: bob, vote: approve, time: 2026-11-21T11:59:00Z}]
	    expect: {decision: allow, reasons: ["approved by alice, bob"]}
	  - name: an event given as JSON text
	    event: '{"id":"z","type":"flag.set","data":{"value":"x"}}'
	    expect: {decision: error, rules: [flag-high]}
	EOF
	run -1 --separate-stderr grace-gate -c gov.yaml --test "$BATS_TEST_TMPDIR/t.yaml"
	assert_output 'ok 1 - deploys are allowed
not ok 2 - a wrong expectation: decision: expected "allow", got "deny"; risk: expected "high", got "low" (rules: default)
ok 3 - votes from the file and the case add up
ok 4 - an event given as JSON text'
	[ "$stderr" = "4 cases, 3 passed, 1 failed" ]
	printf 'cases:\n  - name: x\n    event: {type: a}\n    expect: {decison: allow}\n' > "$BATS_TEST_TMPDIR/t.yaml"
	run -2 --separate-stderr grace-gate -c gov.yaml --test "$BATS_TEST_TMPDIR/t.yaml"
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/t.yaml:4:14: unknown key 'decison' (expected one of: decision, rules, reasons, risk, trust, mode, approvals, obligations, owner, link, error)" ]
}

@test "the shipped config/governance.yaml is valid and passes its own tests" {
	cd "$ROOT"
	run -0 --separate-stderr grace-gate --check
	assert_output "config/governance.yaml: ok: 3 constitution rules, 6 threat rules, 17 policies, 2 risk rules, 2 jq conditions, default deny"
	run -0 --separate-stderr grace-gate --test config/governance.test.yaml
	refute_output --partial 'not ok'
	[ "$stderr" = "34 cases, 34 passed, 0 failed" ]
}

@test "the example in grace-governance(5) is valid and says what the page says" {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$ROOT/man/grace-governance.5" |
	    sed -n '/^\.Bd -literal$/,/^\.Ed/p' | sed '1d;$d' | sed 's/\\e/\\/g; s/^\\&//' |
	    awk '/^# governance.yaml$/{f=1} /^# trust.yaml$/{f=2} f==1{print > "'"$BATS_TEST_TMPDIR"'/governance.yaml"} f==2{print > "'"$BATS_TEST_TMPDIR"'/trust.yaml"}'
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr grace-gate --check -c governance.yaml
	assert_output "governance.yaml: ok: 2 constitution rules, 2 threat rules, 5 policies, 1 risk rule, 1 jq condition, default deny"
	run -1 --separate-stderr grace-gate -q -c governance.yaml <<<'{"id":"d-1","type":"deploy.requested","actor":"intern","data":{"env":"prod"}}'
	[ "$(jq -c .grace.gate <<<"$output")" = '{"decision":"review","rules":["deploy-prod"],"reasons":["trust 0.3 of '"'intern'"' is below 0.8 required by policy '"'deploy-prod'"'"],"risk":"medium","trust":0.3,"mode":"enforce","approvals":{"needed":2,"have":0,"missing":["alice","bob","carol"]},"obligations":["notify:#deploys"],"owner":"release@example.com","link":"https://wiki.example.com/deploys"}' ]
}

@test "unit: the threat prefilter never hides a match; globs" {
	run -0 --separate-stderr "$GRACE_TESTBIN/test_governance"
	refute_output --partial "not ok"
	assert_output --regexp '1\.\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "members are read as jq reads them: white space, escaped names, a repeated name's last value" {
	run -0 --separate-stderr gate -q <<<'  { "id" : "w1" , "type" : "deploy.requested" , "actor" : "alice" , "data" : { "replicas" : 20 } }  
{"id":"w2","typ\u0065":"deploy.requested","act\u006fr":"alice"}
{"id":"w3","type":"x","type":"deploy.requested","actor":"alice"}
{"id":"w4","type":"flag.set","data":{"value":9,"x":[{"value":3},"}"],"value":1}}'
	[ "$(jq -c '[.id, .grace.gate.decision, .grace.gate.rules, .grace.gate.trust]' <<<"$output")" = '["w1","warn",["deploy-big"],0.9]
["w2","allow",["deploy"],0.9]
["w3","allow",["deploy"],0.9]
["w4","allow",["flag"],0.5]' ]
}

@test "--pending lists the requests still held once every vote of the stream and of --votes is counted" {
	cd "$BATS_TEST_TMPDIR"
	cat > gov.yaml <<'EOF2'
default: deny
policies:
  - id: failover
    match: {type: healing.proposed, data.playbook: failover}
    effect: review
    approvals: {required: 2, from: [alice, bob, carol], expires: 1h}
    message: a failover needs two approvals
  - id: restart
    match: {type: healing.proposed, data.playbook: restart}
    effect: allow
EOF2
	cat > in.ndjson <<'EOF2'
{"id":"h-1","type":"healing.proposed","actor":"grace-heal","data":{"playbook":"failover","expires":"2026-12-01T10:15:00Z"}}
{"id":"h-2","type":"healing.proposed","actor":"grace-heal","data":{"playbook":"restart"}}
{"id":"h-3","type":"healing.proposed","actor":"grace-heal","data":{"playbook":"failover","expires":"2026-12-01T09:00:00Z"}}
{"type":"governance.vote","actor":"bob","time":"2026-12-01T10:01:00Z","data":{"request":"h-1","vote":"approve"}}
{"id":"h-4","type":"healing.proposed","actor":"grace-heal","data":{"playbook":"failover"}}
{"type":"governance.vote","actor":"alice","time":"2026-12-01T10:02:00Z","data":{"request":"h-4","vote":"approve"}}
{"type":"governance.vote","actor":"carol","time":"2026-12-01T10:03:00Z","data":{"request":"h-4","vote":"approve"}}
{"type":"governance.vote","actor":"carol","time":"2026-12-01T08:00:00Z","data":{"request":"h-3","vote":"approve"}}
EOF2
	# h-2 is allowed, h-4 got its two votes later in the stream; carol's
	# vote on h-3 is older than an hour
	run -1 --separate-stderr grace-gate -c gov.yaml --pending --now 2026-12-01T10:05:00Z in.ndjson
	assert_output "h-1: healing.proposed by grace-heal: 1 of 2 approvals; voted: bob; waiting for: alice, carol; a vote counts for 1h; expires 2026-12-01T10:15:00Z (in.ndjson:1: a failover needs two approvals)
h-3: healing.proposed by grace-heal: 0 of 2 approvals; voted: none; waiting for: alice, bob, carol; a vote counts for 1h; expired 2026-12-01T09:00:00Z (in.ndjson:3: a failover needs two approvals)"
	[ "$stderr" = "8 events, 2 held for review" ]
	run -1 --separate-stderr grace-gate -c gov.yaml --pending -q -o json --now 2026-12-01T10:05:00Z < in.ndjson
	run -0 jq -c '[.id, .input, .line, .needed, .have, .voted, .missing, .votes_count_for, .expires, .expired, .gate.decision]' <<< "$output"
	assert_output '["h-1","<stdin>",1,2,1,["bob"],["alice","carol"],"1h","2026-12-01T10:15:00Z",false,"review"]
["h-3","<stdin>",3,2,0,[],["alice","bob","carol"],"1h","2026-12-01T09:00:00Z",true,"review"]'
	# a vote given with --votes settles h-1; the same stream as a
	# grace-log log
	echo '{"type":"governance.vote","actor":"alice","time":"2026-12-01T10:04:00Z","data":{"request":"h-1","vote":"approve"}}' > more.ndjson
	grace-log append -f audit.log < in.ndjson > /dev/null 2>&1
	run -1 --separate-stderr grace-gate -c gov.yaml --pending -q --votes more.ndjson --now 2026-12-01T10:05:00Z audit.log
	assert_output --regexp '^h-3: healing.proposed by grace-heal: 0 of 2 approvals; .* \(audit.log:3: a failover needs two approvals\)$'
	# nothing held: exit 0, nothing on stdout
	head -2 in.ndjson | tail -1 > none.ndjson
	run -0 --separate-stderr grace-gate -c gov.yaml --pending none.ndjson
	assert_output ''
	[ "$stderr" = "1 events, 0 held for review" ]
	# a log whose chain does not verify counts none of its votes: exit 2
	sed -i '4s/bob/eve/' audit.log
	run -2 --separate-stderr grace-gate -c gov.yaml --pending audit.log
	assert_output ''
	# what --pending does not take
	run -2 --separate-stderr grace-gate -c gov.yaml --pending -o tap in.ndjson
	[[ "$stderr" == "grace-gate: --pending writes text or json (-o json), not 'tap'"* ]]
	run -2 --separate-stderr grace-gate -c gov.yaml --pending --mode audit in.ndjson
	[[ "$stderr" == "grace-gate: --pending lists held requests: not with --check, --test or --mode audit"* ]]
	# a malformed vote in the stream is bad input: said, the rest listed
	printf '%s\n' '{"type":"governance.vote","actor":"bob","data":{"request":"h-1","vote":"maybe"}}' >> in.ndjson
	run -3 --separate-stderr grace-gate -c gov.yaml --pending -q --now 2026-12-01T10:05:00Z in.ndjson
	[ "${#lines[@]}" = 2 ]
	[[ "$stderr" == "grace-gate: in.ndjson:9: governance.vote: data.vote must be"* ]]
}
