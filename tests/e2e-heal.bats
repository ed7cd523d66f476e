#!/usr/bin/env bats
# e2e-heal.bats - no silent anomaly: every anomaly detected in
#   probe | grace-heal | grace-gate | grace-heal --execute | grace-log append
# ends in an event that says how it ended, with a reason: healed
# (healing.verified), or refused by governance (healing.rejected), or
# failed (healing.failed, healing.rolled_back), or escalated
# (healing.escalated: no playbook matches, a run that could not be
# trusted); and the log holds the whole story. The drills against a real
# service are in heal-drills.bats; here the playbooks of
# tests/fixtures/e2e/pb (appends to $E2E_RAN) and pb-fail (always fails).

load e2e-helpers

setup() {
	e2e_setup
	t=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	for s in web:cpu:95 db:cpu:97 cache:mem:99; do
		IFS=: read -r svc name v <<< "$s"
		printf '{"id":"m-%s","type":"metric","source":"probe","time":"%s","data":{"service":"%s","name":"%s","value":%s}}\n' \
		    "$svc" "$t" "$svc" "$name" "$v"
	done > metrics.ndjson
}

# heal_pipeline PLAYBOOKS: the pipeline of grace-heal(1) over
# metrics.ndjson, into out.ndjson and audit.log; sets status.
heal_pipeline() {
	run --separate-stderr bash -c 'set -o pipefail; grace-heal -q -d "$1/detectors.yaml" -p "$2" < metrics.ndjson |
	    grace-gate -q -c "$1/governance.yaml" |
	    grace-heal -q --execute --state st --governance "$1/governance.yaml" -d "$1/detectors.yaml" -p "$2" |
	    grace-log append --once -f audit.log > out.ndjson' _ "$E2E" "$1"
}

# fates FILE: for each anomaly.detected of FILE, its component and the
# last event of its story: "component type: reason".
fates() {
	jq -rs '. as $all | map(select(.type == "anomaly.detected")) | .[] | . as $a |
	    ([$all[] | select(.type == "healing.proposed" and .data.anomaly.id == $a.id) | .id]) as $p |
	    ([$all[] | (.data.healing // "") as $h | select(
	        (.type == "healing.escalated" and .data.anomaly.id == $a.id) or
	        (($p | index([$h])) != null and
	         (.type == "healing.verified" or .type == "healing.failed" or .type == "healing.rolled_back" or
	          .type == "healing.escalated" or .type == "healing.rejected")))] | last) as $fin |
	    "\($a.data.component) \($fin.type // "NOTHING"): \($fin.data.reason // "NO REASON")"' "$1"
}

@test "heal: every anomaly ends healed, refused by governance, or escalated, each with its reason, and the log holds it all" {
	heal_pipeline "$E2E/pb"
	[ "$status" -eq 1 ]
	[ "$(fates out.ndjson)" = "web healing.verified: every step succeeded and verify passed
db healing.rejected: governance said deny: no policy matched: the default is deny
cache healing.escalated: no playbook matches anomaly 'memory_pressure' (severity high) of 'cache'" ]
	[ "$(cat ran)" = web ]
	[ "$(fates <(grace-log cat -e audit.log))" = "$(fates out.ndjson)" ]
	run -0 grace-log verify -q -f audit.log
}

@test "heal: a healing that fails ends failed with the failing step's reason; nothing is reported healed" {
	heal_pipeline "$E2E/pb-fail"
	[ "$status" -eq 1 ]
	[ "$(fates out.ndjson)" = "web healing.failed: step 'fail' failed: exit 3
db healing.rejected: governance said deny: no policy matched: the default is deny
cache healing.escalated: no playbook matches anomaly 'memory_pressure' (severity high) of 'cache'" ]
	[ "$(jq -r 'select(.type == "healing.step") | .data.output' out.ndjson)" = "the service would not restart" ]
	[ ! -e ran ]
}

@test "heal: the pipeline given again (same state, --once) heals nothing twice and logs every anomaly once" {
	heal_pipeline "$E2E/pb"
	ids audit.log > first.ids
	heal_pipeline "$E2E/pb"
	[ "$status" -eq 1 ]
	[ "$(cat ran)" = web ]
	[ "$(ids audit.log | sort | uniq -d)" = "" ]
	# the replay's own story: the healing that ran is refused as a duplicate
	[ "$(fates out.ndjson)" = "web healing.rejected: this healing ran already: a proposal runs once
db healing.rejected: governance said deny: no policy matched: the default is deny
cache healing.escalated: no playbook matches anomaly 'memory_pressure' (severity high) of 'cache'" ]
	[ "$(grace-log cat -e audit.log | jq -r 'select(.type == "anomaly.detected") | .data.component' | tr '\n' ' ')" = "web db cache " ]
}

@test "heal: a stage downstream that dies takes no anomaly with it: the detection state is saved only once its events were written" {
	t=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	printf '{"id":"c-1","type":"metric","source":"probe","time":"%s","data":{"service":"web","name":"cpu","value":95}}\n' "$t" > e1
	printf '{"id":"c-2","type":"metric","source":"probe","time":"%s","data":{"service":"web","name":"cpu","value":96}}\n' "$t" > e2
	# the reader goes away before the anomaly is written: EPIPE, exit 4
	run --separate-stderr bash -c '(cat e1; sleep 1; cat e2) |
	    grace-heal --detect -q --state st -d "$1/detectors.yaml" | (sleep 0.3; exit 0); echo "${PIPESTATUS[1]}"' _ "$E2E"
	[ "$output" = 4 ]
	[[ "$stderr" == *"grace-heal: st/detect.json: detection state not saved: the output could not be written"* ]]
	# given again with the same state, the anomaly is detected and passed on
	run -1 --separate-stderr grace-heal --detect -q --state st -d "$E2E/detectors.yaml" e1 e2
	[ "$(grep -c '"type":"anomaly.detected"' <<<"$output")" -eq 1 ]
	# and once passed on, it is not detected a second time
	run -0 --separate-stderr grace-heal --detect -q --state st -d "$E2E/detectors.yaml" e1 e2
	[ "$(grep -c '"type":"anomaly.detected"' <<<"$output")" -eq 0 ]
}
