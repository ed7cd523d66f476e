#!/usr/bin/env bats
# e2e-governance.bats - no ungoverned action: a healing or a deploy that
# governance denies, or has not approved, never runs, also when the
# pipeline is rearranged, a stage is skipped, or the input carries a
# verdict written by hand. Real grace-heal --execute runs (the playbook of
# tests/fixtures/e2e/pb appends the component it healed to $E2E_RAN) and
# a real CI step (tests/fixtures/e2e/deploy.sh).

load e2e-helpers

setup() {
	e2e_setup
}

@test "governance: grace-heal --execute with no governance to judge by executes nothing; fed proposals that skipped grace-gate, it judges them itself" {
	propose > proposals.ndjson
	# no --governance, no governance.yaml on the search path: not started
	mkdir empty
	GRACE_CONFIG_DIR=$PWD/empty run -2 --separate-stderr heal_execute --governance none < proposals.ndjson
	[[ "$stderr" == "grace-heal: no governance.yaml found (looked in: "*"): use --governance FILE (--execute judges every proposal itself: a grace.gate verdict in the input alone could be forged)" ]]
	[ -z "$output" ] && [ ! -e ran ]
	# with it: what it allows runs, what it denies does not
	run -1 --separate-stderr heal_execute < proposals.ndjson
	[ "$(executions)" = "web ran
db rejected
db rejected: denied: governance said deny: no policy matched: the default is deny" ]
	[ "$(cat ran)" = web ]
}

@test "governance: a stage skipped (grace-heal | grace-heal --execute, no grace-gate between) is judged by --execute's governance; without one nothing runs" {
	t=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	mkdir empty
	GRACE_CONFIG_DIR=$PWD/empty run -2 --separate-stderr bash -c 'set -o pipefail; printf "%s\n" "{\"id\":\"m-db\",\"type\":\"metric\",\"time\":\"$1\",\"data\":{\"service\":\"db\",\"name\":\"cpu\",\"value\":95}}" |
	    grace-heal -q -d "$2/detectors.yaml" -p "$2/pb" |
	    grace-heal -q --execute --state st -d "$2/detectors.yaml" -p "$2/pb"' _ "$t" "$E2E"
	[ ! -e ran ]
	run -1 --separate-stderr bash -c 'set -o pipefail; printf "%s\n" "{\"id\":\"m-db\",\"type\":\"metric\",\"time\":\"$1\",\"data\":{\"service\":\"db\",\"name\":\"cpu\",\"value\":95}}" |
	    grace-heal -q -d "$2/detectors.yaml" -p "$2/pb" |
	    grace-heal -q --execute --state st --governance "$2/governance.yaml" -d "$2/detectors.yaml" -p "$2/pb"' _ "$t" "$E2E"
	[ "$(executions)" = "db rejected
db rejected: denied: governance said deny: no policy matched: the default is deny" ]
	[ ! -e ran ]
}

@test "governance: what grace-gate denies never runs, what it allows runs once" {
	propose > proposals.ndjson
	judge "$E2E/governance.yaml"
	run -1 --separate-stderr heal_execute < judged.ndjson
	[ "$(executions)" = "web ran
db rejected
db rejected: denied: governance said deny: no policy matched: the default is deny" ]
	[ "$(cat ran)" = web ]
	# the same proposals again: the healing that ran does not run twice
	run -1 --separate-stderr heal_execute < judged.ndjson
	[ "$(jq -r 'select(.type == "healing.rejected") | .data.refused' <<< "$output" | sort | tr '\n' ' ')" = "denied duplicate " ]
	[ "$(cat ran)" = web ]
}

@test "governance: a proposal held for review (not approved) never runs" {
	propose > proposals.ndjson
	judge "$E2E/governance-review.yaml"
	[ "$(jq -r 'select(.type == "healing.proposed") | "\(.data.component) \(.grace.gate.decision)"' judged.ndjson)" = "web allow
db review" ]
	# exit 1: a healing held is not run, so not healed
	run -1 --separate-stderr heal_execute --governance "$E2E/governance-review.yaml" < judged.ndjson
	[ "$(jq -r 'select(.type == "healing.proposed") | "\(.data.component) \(.grace.heal.execution)"' <<< "$output")" = "web ran
db held" ]
	[ "$(cat ran)" = web ]
}

@test "governance: a grace.gate allow forged in the input is replaced by grace-gate's own verdict" {
	propose | jq -c 'if .type == "healing.proposed" then .grace.gate = {"decision": "allow"} else . end' > forged.ndjson
	[ "$(jq -r 'select(.type == "healing.proposed") | .grace.gate.decision' forged.ndjson)" = "allow
allow" ]
	mv forged.ndjson proposals.ndjson
	judge "$E2E/governance.yaml"
	[ "$(jq -r 'select(.type == "healing.proposed") | "\(.data.component) \(.grace.gate.decision)"' judged.ndjson)" = "web allow
db deny" ]
	run -1 --separate-stderr heal_execute < judged.ndjson
	[ "$(cat ran)" = web ]
}

@test "governance: with --governance, a forged grace.gate allow cannot loosen grace-heal's own verdict" {
	propose | jq -c 'if .type == "healing.proposed" then .grace.gate = {"decision": "allow"} else . end' > forged.ndjson
	run -1 --separate-stderr heal_execute --governance "$E2E/governance.yaml" < forged.ndjson
	[ "$(executions)" = "web ran
db rejected
db rejected: denied: governance said deny: no policy matched: the default is deny" ]
	[ "$(cat ran)" = web ]
}

@test "governance: --governance also runs nothing that its file holds for review" {
	propose > proposals.ndjson
	run -1 --separate-stderr heal_execute --governance "$E2E/governance-review.yaml" < proposals.ndjson
	[ "$(jq -r 'select(.type == "healing.proposed") | "\(.data.component) \(.grace.heal.execution)"' <<< "$output")" = "web ran
db held" ]
	[ "$(cat ran)" = web ]
}

# ci_step REQUEST: the CI step of README.md (pipefail; the deploy runs
# only when the gate and the decision let it), with the shipped config.
ci_step() {
	run --separate-stderr bash -c 'set -o pipefail; echo "$1" | grace-gate | grace-decide -q && "$2/deploy.sh"' _ "$1" "$E2E"
}

@test "governance: the CI step deploys what governance allows, and never what it denies or holds" {
	ci_step '{"id":"req-1","type":"deploy.requested","actor":"alice","resource":"svc/api","data":{"env":"staging"}}'
	[ "$status" -eq 0 ]
	[ "$(cat deployed)" = deployed ]
	rm deployed
	# the constitution: prod deploys must be signed
	ci_step '{"id":"req-2","type":"deploy.requested","actor":"alice","resource":"svc/api","data":{"env":"prod"}}'
	[ "$status" -eq 1 ]
	[ "$(jq -r .grace.gate.decision <<< "$output")" = deny ]
	# signed, by an actor trusted too little (dave, 0.6 < 0.7): it needs two
	# approvals that nobody gave: held, not deployed
	ci_step '{"id":"req-3","type":"deploy.requested","actor":"dave","resource":"svc/api","data":{"env":"prod","signed":true}}'
	[ "$status" -eq 1 ]
	[ "$(jq -r '.grace.gate.decision + " " + .grace.decision.verdict' <<< "$output")" = "review hold" ]
	[ ! -e deployed ]
}

@test "governance: the CI step with a hand-written grace.gate allow is judged again by grace-gate; a gate that fails deploys nothing" {
	ci_step '{"id":"req-4","type":"deploy.requested","actor":"alice","resource":"svc/api","data":{"env":"prod"},"grace":{"gate":{"decision":"allow"}}}'
	[ "$status" -eq 1 ]
	[ "$(jq -r .grace.gate.decision <<< "$output")" = deny ]
	# a gate that cannot start (a bad configuration) writes nothing:
	# grace-decide judged nothing, so it approved nothing
	run --separate-stderr bash -c 'set -o pipefail; echo "$1" | grace-gate -c /nonexistent.yaml | grace-decide -q && "$2/deploy.sh"' _ \
	    '{"id":"req-5","type":"deploy.requested","actor":"alice","data":{"env":"staging"}}' "$E2E"
	[ "$status" -ne 0 ]
	[ "$output" = "" ]
	[ ! -e deployed ]
}

@test "governance: the CI step with grace-gate skipped: no verdict is indeterminate, never a deploy" {
	run -1 --separate-stderr bash -c 'set -o pipefail; echo "$1" | grace-decide -q && "$2/deploy.sh"' _ \
	    '{"id":"req-6","type":"deploy.requested","actor":"alice","data":{"env":"staging"}}' "$E2E"
	[ "$(jq -c '[.grace.decision.verdict, .grace.decision.reasons]' <<< "$output")" = '["escalate",["governance: indeterminate: required input missing (no grace.gate)"]]' ]
	[ ! -e deployed ]
}
