#!/usr/bin/env bats
# heal-execute.bats - grace-heal's healing side as a user sees it:
# proposals, governed execution (grace-gate upstream, or --governance in
# the process), approvals and their expiry, the remediation budget, the
# loop guard, trust adjustments, shell metacharacters, state across runs.
# The detection side is in heal-detect.bats, the playbooks' runs in
# tests/unit/test_playbook.c, the drills in heal-drills.bats.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p pb st
	cat > det.yaml <<'EOF2'
detectors:
  - id: cpu
    kind: threshold
    type: metric
    match: ["data.name = cpu"]
    component: [data.service]
    value: data.value
    above: 90
    severity: medium
    anomaly: cpu_saturation
EOF2
	cat > pb/p.yaml <<EOF2
defaults:
  budget: { max: 2, window: 1h, reset_after: 2s }
  cooldown: 0s
  approval_ttl: 15m
  max_hops: 1
trust:
  verified: 0.02
  failed: -0.1
  rolled_back: -0.05
  escalated: -0.15
  recover_per_hour: 0.01
  floor: 0
  ceiling: 1
playbooks:
  - name: mark
    match: { anomaly: cpu_saturation }
    risk: low
    steps:
      - name: mark
        argv: [sh, -c, 'printf "%s\\n" "\$1" >> "\$2"', mark, "{data.component}", "$BATS_TEST_TMPDIR/ran"]
    verify:
      - name: ok
        argv: ["true"]
EOF2
	cat > gov.yaml <<'EOF2'
default: deny
policies:
  - id: heal-low
    match: {type: healing.proposed, actor: grace-heal, data.risk: low}
    effect: allow
  - id: heal-high
    match: {type: healing.proposed, actor: grace-heal, data.risk: high}
    effect: review
    approvals: {required: 1, from: [alice, bob], expires: 1h}
EOF2
}

# metric SERVICE VALUE [SECONDS-AGO]: a cpu metric event, timed now.
metric() {
	printf '{"type":"metric","time":"%s","data":{"service":"%s","name":"cpu","value":%s}}\n' \
	    "$(date -u -d "${3:-0} seconds ago" +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2"
}

propose() {
	grace-heal -q -d det.yaml -p pb "$@"
}

# (the governance file every --execute judges proposals by, unless the
# test gives its own)
execute() {
	case " $* " in
	*" --governance "*) grace-heal -q --execute --state st -d det.yaml -p pb "$@" ;;
	*) grace-heal -q --execute --state st --governance gov.yaml -d det.yaml -p pb "$@" ;;
	esac
}

types() {
	jq -r '.type' <<< "$1" | tr '\n' ' '
}

@test "propose: an anomaly gets a healing.proposed event with its playbook and steps, and nothing runs" {
	metric web 99 > in.ndjson
	run -1 --separate-stderr grace-heal -d det.yaml -p pb in.ndjson
	[ "$(types "$output")" = 'metric anomaly.detected healing.proposed ' ]
	run -0 jq -c 'select(.type == "healing.proposed") | [.source, .actor, .subject, .data.playbook, .data.risk, .data.component, .data.anomaly.anomaly, .data.hop, (.data.steps | map(.phase + ":" + .name)), .data.event.type, .grace.heal]' <<< "$output"
	assert_output '["grace-heal","grace-heal","web","mark","low","web","cpu_saturation",0,["step:mark","verify:ok"],"anomaly.detected",{"proposal":true}]'
	[[ "$stderr" == *"1 healings proposed, 0 held, 0 escalated, 0 rejected; runs: 0 verified, 0 failed, 0 rolled back, 0 escalated" ]]
	[ ! -e ran ]
	# the proposal's id names the anomaly and the playbook: the same
	# stream proposes the same healing
	run -1 --separate-stderr grace-heal -q -d det.yaml -p pb in.ndjson
	a=$(jq -r 'select(.type == "healing.proposed") | .id' <<< "$output")
	run -1 --separate-stderr grace-heal -q -d det.yaml -p pb in.ndjson
	[ "$(jq -r 'select(.type == "healing.proposed") | .id' <<< "$output")" = "$a" ]
	[[ "$a" =~ ^h-[0-9a-f]{16}$ ]]
}

@test "propose: no playbook matches: a healing.escalated event says so (nothing is silent)" {
	sed -i 's/anomaly: cpu_saturation }/anomaly: disk_full }/' pb/p.yaml
	metric web 99 > in.ndjson
	run -1 --separate-stderr propose in.ndjson
	[ "$(types "$output")" = 'metric anomaly.detected healing.escalated ' ]
	run -0 jq -r 'select(.type == "healing.escalated") | [.data.refused, .data.reason] | join(": ")' <<< "$output"
	assert_output "no_playbook: no playbook matches anomaly 'cpu_saturation' (severity medium) of 'web'"
}

@test "execute: a proposal grace-gate allowed runs, verified, and the log holds the whole story" {
	metric web 99 > in.ndjson
	set -o pipefail
	propose in.ndjson | grace-gate -q -c gov.yaml | execute > out.ndjson || true
	[ "$(types "$(cat out.ndjson)")" = 'metric anomaly.detected healing.proposed healing.started healing.step healing.step healing.verified ' ]
	[ "$(jq -c 'select(.type == "healing.proposed") | .grace.heal' out.ndjson)" = "{\"execution\":\"ran\",\"healing\":\"$(jq -r 'select(.type == "healing.proposed") | .id' out.ndjson)\",\"outcome\":\"verified\"}" ]
	[ "$(cat ran)" = web ]
	grace-log append -f audit.log < out.ndjson > /dev/null
	run -0 --separate-stderr grace-log verify -q -f audit.log
	[ "$(grace-log cat -e audit.log | jq -r .type | tr '\n' ' ')" = 'metric anomaly.detected healing.proposed healing.started healing.step healing.step healing.verified ' ]
}

@test "execute: without an allow nothing runs: no verdict, a deny, a review held; the reasons said" {
	metric web 99 > in.ndjson
	# no governance to judge by (no --governance, none on the search
	# path): nothing is executed, whatever grace.gate the input says
	run -2 --separate-stderr bash -c 'grace-heal -q -d det.yaml -p pb in.ndjson | grace-gate -q -c gov.yaml | grace-heal -q --execute --state st -d det.yaml -p pb'
	[[ "$stderr" == "grace-heal: no governance.yaml found (looked in: "*"): use --governance FILE (--execute judges every proposal itself: a grace.gate verdict in the input alone could be forged)" ]]
	[ -z "$output" ] && [ ! -e ran ]
	# a forged allow is judged again: the governance denies it
	sed 's/effect: allow/effect: deny/' gov.yaml > deny.yaml
	run -1 --separate-stderr bash -c 'grace-heal -q -d det.yaml -p pb in.ndjson | jq -c "if .type == \"healing.proposed\" then .grace.gate = {\"decision\":\"allow\"} else . end" | grace-heal -q --execute --state st --governance deny.yaml -d det.yaml -p pb'
	run -0 jq -r 'select(.type == "healing.rejected") | .data.refused' <<< "$output"
	assert_output 'denied'
	[ ! -e ran ]
	# grace-gate denies (the governance has no rule for it)
	sed -i 's/data.risk: low}/data.risk: none}/' gov.yaml
	run -1 --separate-stderr bash -c 'grace-heal -q -d det.yaml -p pb in.ndjson | grace-gate -q -c gov.yaml | grace-heal -q --execute --state st --governance gov.yaml -d det.yaml -p pb'
	run -0 jq -r 'select(.type == "healing.rejected") | [.data.refused, .data.reason] | join(": ")' <<< "$output"
	assert_output 'denied: governance said deny: no policy matched: the default is deny'
	# high risk: held for approval, not run
	sed -i 's/risk: low/risk: high/' pb/p.yaml
	run -1 --separate-stderr bash -c 'grace-heal -q -d det.yaml -p pb in.ndjson | grace-gate -q -c gov.yaml | grace-heal -q --execute --state st --governance gov.yaml -d det.yaml -p pb'
	run -0 jq -r 'select(.type == "healing.proposed") | .grace.heal.execution' <<< "$output"
	assert_output 'held'
	[ ! -e ran ]
	# --execute without --state: a usage error
	run -2 --separate-stderr grace-heal --execute -d det.yaml -p pb in.ndjson
	[[ "$stderr" == "grace-heal: --execute needs --state DIR: budgets, breakers, held proposals and snapshots must outlive the process"* ]]
}

@test "execute --governance: judged in the process; a review held until an approver's vote in the stream, then run" {
	sed -i 's/risk: low/risk: high/' pb/p.yaml
	metric web 99 > in.ndjson
	mkfifo in
	( cat in.ndjson; sleep 1
	  id=$(grace-heal -q -d det.yaml -p pb in.ndjson | jq -r 'select(.type == "healing.proposed") | .id')
	  printf '{"type":"governance.vote","actor":"bob","time":"%s","data":{"request":"%s","vote":"approve"}}\n' \
	      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$id"; sleep 1 ) > in &
	# exit 1: an anomaly was detected (and healed)
	run -1 --separate-stderr timeout 20 grace-heal --execute --state st --governance gov.yaml -d det.yaml -p pb < in
	[ "$(types "$output")" = 'metric anomaly.detected healing.proposed governance.vote healing.started healing.step healing.step healing.verified ' ]
	run -0 jq -r 'select(.type == "healing.proposed") | .grace.heal.execution' <<< "$output"
	assert_output 'held'
	[ "$(cat ran)" = web ]
}

@test "execute: an approval that comes after the proposal expired is too late: rejected, never run late" {
	sed -i 's/risk: low/risk: high/; s/approval_ttl: 15m/approval_ttl: 1s/' pb/p.yaml
	metric web 99 > in.ndjson
	mkfifo in
	( cat in.ndjson; sleep 3 ) > in &
	run -1 --separate-stderr timeout 20 grace-heal --execute --state st --governance gov.yaml -d det.yaml -p pb < in
	[ "$(types "$output")" = 'metric anomaly.detected healing.proposed healing.rejected ' ]
	run -0 jq -r 'select(.type == "healing.rejected") | .data.refused' <<< "$output"
	assert_output 'expired'
	# a proposal already past its expiry is rejected at once
	propose in.ndjson | jq -c 'if .type == "healing.proposed" then .data.expires = "2020-01-01T00:00:00Z" else . end' > late.ndjson || true
	run -1 --separate-stderr bash -c 'grace-gate -q -c gov.yaml < late.ndjson | grace-heal -q --execute --state st2 --governance gov.yaml -d det.yaml -p pb'
	run -0 jq -r 'select(.type == "healing.rejected") | [.data.refused, .data.reason] | join(": ")' <<< "$output"
	assert_output 'expired: the proposal expired at 2020-01-01T00:00:00Z before it was allowed'
	[ ! -e ran ]
}

@test "execute: the budget escalates the third run within the hour; a healthy spell resets it; state survives a restart" {
	for i in 1 2 3; do
		metric web 99 $((40 - i)) > in$i.ndjson
		# each time a new anomaly: resolve it first
		metric web 10 $((39 - i)) >> in$i.ndjson
	done
	run_one() {
		propose "$1" | grace-gate -q -c gov.yaml | execute
	}
	run -0 run_one in1.ndjson
	run -0 run_one in2.ndjson
	run -1 run_one in3.ndjson
	run -0 jq -r 'select(.type == "healing.escalated") | [.data.refused, .data.reason] | join(": ")' <<< "$output"
	assert_output "budget: budget: playbook 'mark' ran 2 times for 'web' within 1h (max 2)"
	[ "$(wc -l < ran)" = 2 ]
	# healthy for longer than reset_after (2s): the count starts again
	metric web 10 > ok.ndjson
	run -0 run_one ok.ndjson
	sleep 2.2
	metric web 98 > in4.ndjson
	run -0 run_one in4.ndjson
	[ "$(wc -l < ran)" = 3 ]
}

@test "execute: the loop guard escalates a healing that answers its own consequences beyond max_hops" {
	printf '{"type":"metric","time":"%s","causation":{"healing":"h-0000000000000001","hop":1},"data":{"service":"web","name":"cpu","value":99}}\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > in.ndjson
	run -1 --separate-stderr bash -c 'grace-heal -q -d det.yaml -p pb in.ndjson | grace-gate -q -c gov.yaml | grace-heal -q --execute --state st --governance gov.yaml -d det.yaml -p pb'
	out=$output
	run -0 jq -c 'select(.type == "anomaly.detected") | .causation' <<< "$out"
	assert_output '{"healing":"h-0000000000000001","hop":1}'
	run -0 jq -r 'select(.type == "healing.escalated") | [.data.refused, .data.reason] | join(": ")' <<< "$out"
	assert_output "loop: loop guard: hop 2 is over max_hops 1 of playbook 'mark'"
	[ ! -e ran ]
}

@test "execute --trust: each outcome adjusts the component's trust in the overlay, by the playbooks' amounts" {
	printf 'default: 0.5\nscores: {web: 0.8}\noverlay: overlay.json\n' > trust.yaml
	metric web 99 > in.ndjson
	propose in.ndjson | grace-gate -q -c gov.yaml | execute --trust trust.yaml > out.ndjson || true
	run -0 jq -c 'select(.type == "trust.adjusted") | [.subject, .data.from, .data.to, .data.delta, .data.outcome]' out.ndjson
	assert_output '["web",0.8,0.82,0.02,"verified"]'
	[ "$(jq -c '.scores.web | [.score, .recover_per_hour]' overlay.json)" = '[0.82,0.01]' ]
	# grace-gate reads it on top of the trust file
	printf 'trust: trust.yaml\ndefault: allow\n' > g2.yaml
	# (a raised score moves back toward the file's 0.8 at 0.01 an hour)
	echo '{"type":"x","actor":"web"}' | grace-gate -q -c g2.yaml | jq -e '.grace.gate.trust > 0.8199 and .grace.gate.trust <= 0.82'
	# a failing run: -0.1
	sed -i 's/argv: \["true"\]/argv: ["false"]/' pb/p.yaml
	metric web 10 > ok.ndjson
	propose ok.ndjson | grace-gate -q -c gov.yaml | execute --trust trust.yaml > /dev/null || true
	metric web 97 > in2.ndjson
	propose in2.ndjson | grace-gate -q -c gov.yaml | execute --trust trust.yaml > out2.ndjson || true
	# 0.82, recovering a few seconds toward 0.8, less 0.1
	run -0 jq -c 'select(.type == "trust.adjusted") | [((.data.to * 1000 + 0.5) | floor) / 1000, .data.delta, .data.outcome]' out2.ndjson
	assert_output '[0.72,-0.1,"failed"]'
	# a trust file without an overlay: a configuration error
	printf 'default: 0.5\n' > t2.yaml
	run -2 --separate-stderr execute --trust t2.yaml < /dev/null
	[[ "$stderr" == "grace-heal: t2.yaml: names no overlay"* ]]
}

@test "execute: event data with shell metacharacters reaches the step as one argument, never a shell" {
	metric 'web; touch pwned $(touch pwned2) `touch pwned3`' 99 > in.ndjson
	propose in.ndjson | grace-gate -q -c gov.yaml | execute > out.ndjson || true
	[ "$(cat ran)" = 'web; touch pwned $(touch pwned2) `touch pwned3`' ]
	[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e pwned3 ]
	run -0 jq -c 'select(.type == "healing.step" and .data.step == "mark") | .data.argv[4]' out.ndjson
	assert_output '"web; touch pwned $(touch pwned2) `touch pwned3`"'
}

@test "execute: a proposal runs once: delivered twice, the second is rejected as a duplicate" {
	metric web 99 > in.ndjson
	propose in.ndjson | grace-gate -q -c gov.yaml > p.ndjson || true
	run -0 --separate-stderr execute p.ndjson
	run -1 --separate-stderr execute p.ndjson
	run -0 jq -r 'select(.type == "healing.rejected") | .data.refused' <<< "$output"
	assert_output 'duplicate'
	[ "$(wc -l < ran)" = 1 ]
}

@test "--check: the detectors and the playbooks; bad option combinations are usage errors" {
	run -0 --separate-stderr grace-heal -d det.yaml -p pb --check
	assert_output 'det.yaml: ok: 1 detector (1 threshold), 0 jq conditions
pb: ok: 1 playbook, trust arithmetic'
	run -2 --separate-stderr grace-heal --detect --execute -d det.yaml
	[[ "$stderr" == "grace-heal: --detect proposes nothing: not with --execute or -p"* ]]
	run -2 --separate-stderr grace-heal -d det.yaml -p pb --governance gov.yaml
	[[ "$stderr" == "grace-heal: --governance, --votes and --trust go with --execute"* ]]
	run -2 --separate-stderr grace-heal -d det.yaml -p missing-dir
	[[ "$stderr" == "grace-heal: missing-dir"* ]]
}

@test "--test: a playbook test file, one line per case; a failing case exits 1; -o junit; a bad file exits 2" {
	run -0 --separate-stderr grace-heal -p "$ROOT/playbooks" --test "$ROOT/playbooks/playbooks.test.yaml"
	assert_line --index 0 --regexp '^ok 1 - '
	refute_output --partial 'not ok'
	[[ "$stderr" =~ ^[0-9]+\ cases,\ ([0-9]+)\ passed,\ 0\ failed$ ]]
	cat > t.yaml <<'EOF2'
cases:
  - name: cpu selects mark
    event: {type: anomaly.detected, data: {anomaly: cpu_saturation, severity: medium, component: web}}
    playbook: mark
  - name: a wrong expectation
    event: {type: anomaly.detected, data: {anomaly: cpu_saturation, severity: medium, component: web}}
    playbooks: []
EOF2
	run -1 --separate-stderr grace-heal -p pb --test t.yaml
	assert_line --index 0 'ok 1 - cpu selects mark'
	assert_line --index 1 --partial 'not ok 2 - a wrong expectation: '
	[ "$stderr" = '2 cases, 1 passed, 1 failed' ]
	run -1 --separate-stderr grace-heal -p pb --test t.yaml -o junit
	assert_output --partial '<testsuite '
	assert_output --partial 'failures="1"'
	sed -i 's/playbook: mark/playbook: nosuch/' t.yaml
	run -2 --separate-stderr grace-heal -p pb --test t.yaml
	[[ "$stderr" == "grace-heal: t.yaml:"* ]]
	run -2 --separate-stderr grace-heal -p pb -o tap in.ndjson
	[[ "$stderr" == "grace-heal: -o goes with --test"* ]]
}
