#!/usr/bin/env bats
# e2e-decide.bats - no unconsidered decision: grace-decide, with the
# shipped decide.yaml (governance required), never approves an event
# whose upstream verdict is missing, malformed or an error: the decision
# is indeterminate (escalate, saying which input and why), also when a
# stage is skipped or the pipeline is rearranged; and a run that judged
# nothing approved nothing.

load e2e-helpers

setup() {
	e2e_setup
}

# verdicts: "id verdict: reasons" for each event of $output.
verdicts() {
	jq -r '"\(.id) \(.grace.decision.verdict): \(.grace.decision.reasons | join("; "))"' <<< "$output"
}

@test "decide: grace-gate skipped: every event of the stream is indeterminate, none approved" {
	run -1 --separate-stderr bash -c 'set -o pipefail; "$1/stream" 10 | grace-heal -q --state st -p "$2/playbooks" | grace-verify -q | grace-decide -q' _ "$E2E" "$ROOT"
	[ "${#lines[@]}" -eq 16 ]
	[ "$(jq -r .grace.decision.verdict <<< "$output" | sort | uniq -c | sed 's/^ *//')" = "16 escalate" ]
	[ "$(jq -r '.grace.decision.reasons[0]' <<< "$output" | sort -u)" = "governance: indeterminate: required input missing (no grace.gate)" ]
}

@test "decide: the same stream through grace-gate is decided (the verdicts exist): approvals only where the gate allowed" {
	run -1 --separate-stderr bash -c 'set -o pipefail; "$1/stream" 10 | grace-gate -q | grace-heal -q --state st -p "$2/playbooks" | grace-verify -q | grace-decide -q' _ "$E2E" "$ROOT"
	# (the metrics are observations, allowed by the shipped governance;
	# the healthy ones approved, the anomalous ones not)
	[ "$(jq -r 'select(.grace.decision.verdict == "approve") | "\(.id) \(.grace.gate.decision)"' <<< "$output")" = "e2e-2 allow
e2e-3 allow
e2e-7 allow
e2e-8 allow" ]
	# the proposals grace-heal made after grace-gate carry no gate verdict
	[ "$(jq -r 'select(.type == "healing.proposed") | .grace.decision.reasons[0]' <<< "$output" | sort -u)" = "governance: indeterminate: required input missing (no grace.gate)" ]
}

@test "decide: a malformed, empty or erroring upstream verdict is indeterminate, never approve" {
	printf '%s\n' \
	    '{"id":"a","type":"deploy.requested","grace":{"gate":{"decision":"maybe"}}}' \
	    '{"id":"b","type":"deploy.requested","grace":{"gate":"allow"}}' \
	    '{"id":"c","type":"deploy.requested","grace":{"gate":{}}}' \
	    '{"id":"d","type":"deploy.requested","grace":{"gate":{"decision":"allow"},"verify":{"status":"bogus"}}}' \
	    '{"id":"e","type":"deploy.requested","grace":{"gate":{"decision":"error","reasons":["jq error"]}}}' \
	    '{"id":"f","type":"deploy.requested","grace":{"gate":{"decision":"allow"},"heal":{"severity":"urgent"}}}' > in.ndjson
	run -1 --separate-stderr grace-decide -q < in.ndjson
	[ "$(verdicts)" = "a escalate: governance: indeterminate: grace.gate.decision 'maybe' is not allow, warn, review, deny or error
b escalate: governance: indeterminate: grace.gate 'allow' is not an object
c escalate: governance: indeterminate: grace.gate.decision is missing
d escalate: verification: indeterminate: grace.verify.status 'bogus' is not verified, failed or inconclusive
e escalate: governance: indeterminate: error
f escalate: avn: indeterminate: grace.heal.severity 'urgent' is not none, low, medium, high or critical" ]
}

@test "decide: rearranged (grace-decide before grace-gate): the decision made without the gate stays indeterminate" {
	run -1 --separate-stderr bash -c 'set -o pipefail; echo "$1" | grace-decide -q | grace-gate -q' _ \
	    '{"id":"r-1","type":"deploy.requested","actor":"alice","data":{"env":"staging"}}'
	[ "$(jq -r '"\(.grace.gate.decision) \(.grace.decision.verdict)"' <<< "$output")" = "allow escalate" ]
}

@test "decide: an upstream stage that fails writes nothing, and grace-decide that judged nothing approves nothing" {
	run -1 --separate-stderr bash -c 'grace-gate -c /nonexistent.yaml < /dev/null | grace-decide'
	[ "$output" = "" ]
	[[ "$stderr" == *"grace-decide: no events judged (use --allow-empty to accept an empty stream)"* ]]
	# killed mid-stream: what it had not passed on is not decided at all
	mkfifo in
	( grace-gate -q < in > gated.ndjson & echo $! > gate.pid; wait ) 3>&- &
	exec 4> in
	echo '{"id":"k-1","type":"deploy.requested","actor":"alice","data":{"env":"staging"}}' >&4
	for i in $(seq 1 100); do [ -s gated.ndjson ] && break; sleep 0.05; done
	kill -KILL "$(cat gate.pid)"
	# the reader may be gone already: the write then fails (EPIPE),
	# and SIGPIPE must not end the test's own shell
	( trap '' PIPE; echo '{"id":"k-2","type":"deploy.requested","actor":"alice","data":{"env":"staging"}}' >&4 ) 2>/dev/null || true
	exec 4>&-
	wait
	run -0 --separate-stderr grace-decide -q < gated.ndjson
	[ "$(jq -r '"\(.id) \(.grace.decision.verdict)"' <<< "$output")" = "k-1 approve" ]
}
