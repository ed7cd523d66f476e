#!/usr/bin/env bats
# e2e-route.bats - no unrouted event: every event grace-route reads
# reaches each target it was queued for, or that target's dead letter in
# the dead-letter file, with the reason; an event no route matches goes
# to the default target; the closing summary counts every one; and the
# dead letters, routed again once the target is back, arrive.

load e2e-helpers

setup() {
	e2e_setup
}

@test "route: every event reaches its target or the dead-letter file, with the reason, and the summary counts them" {
	run -1 --separate-stderr bash -c 'set -o pipefail; "$1/stream" 10 | grace-heal -q --state st -p "$2/playbooks" | grace-route -c "$1/routes.yaml" > out.ndjson' _ "$E2E" "$ROOT"
	[ "$(wc -l < out.ndjson)" -eq 16 ]
	# every event has somewhere to go
	[ "$(jq -c 'select(.grace.route.targets == [])' out.ndjson)" = "" ]
	FILES="deploys=deploys.ndjson unrouted=unrouted.ndjson missing=no/such/dir/anomalies.ndjson"
	run -0 accounted out.ndjson
	[ "$(awk '{print $2, $3}' <<< "$output" | sort | uniq -c | sed 's/^ *//')" = "4 broken dead
6 deploys file
4 missing dead
2 unrouted file" ]
	# the events no route matched are the proposals, in the default target
	[ "$(jq -r .type unrouted.ndjson | sort -u)" = healing.proposed ]
	[ "$(jq -r '"\(.grace.route.dead.target): \(.grace.route.dead.reason)"' dead.ndjson | sort | uniq -c | sed 's/^ *//')" = "4 broken: subscriber exited before reading it
4 missing: retries exhausted: no/such/dir/anomalies.ndjson: unable to open: No such file or directory" ]
	run -1 --separate-stderr bash -c '"$1/stream" 10 | grace-heal -q --state st2 -p "$2/playbooks" | grace-route -c "$1/routes.yaml" > /dev/null' _ "$E2E" "$ROOT"
	summary=$(grep -v "^grace-route: " <<< "$stderr")
	[ "$(sed -n 1p <<< "$summary")" = "16 events, 14 routed, 2 unmatched, 0 quarantined, 0 suppressed, 8 dead-lettered, 0 errors" ]
	[ "$(sed -n 2p <<< "$summary")" = "  deploys (file): 6 queued, 6 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned" ]
	[[ "$(sed -n 3p <<< "$summary")" =~ ^'  broken (exec): 4 queued, 0 delivered, 0 dropped, 0 spilled, 4 failed, 0 abandoned, '[0-9]+' exits, '[0-9]+' restarts'$ ]]
	[ "$(sed -n 4p <<< "$summary")" = "  missing (file): 4 queued, 0 delivered, 0 dropped, 0 spilled, 4 failed, 0 abandoned" ]
	[ "$(sed -n 5p <<< "$summary")" = "  unrouted (file): 2 queued, 2 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned" ]
}

@test "route: the dead letters, routed again once their target is back, arrive; nothing is lost on the way" {
	run -1 --separate-stderr bash -c '"$1/stream" 10 | grace-heal -q --state st -p "$2/playbooks" | grace-route -q -c "$1/routes.yaml" > /dev/null' _ "$E2E" "$ROOT"
	[ "$(jq -r 'select(.grace.route.dead.target == "missing") | .id' dead.ndjson | sort | tr '\n' ' ')" = "an-9c8e7673b86ef847 an-9c8e7673b86ef847-r an-ae17a1764fb03e92 an-ae17a1764fb03e92-r " ]
	mkdir -p no/such/dir
	jq -c 'select(.grace.route.dead.target == "missing")' dead.ndjson > retry.ndjson
	rm dead.ndjson
	run -0 --separate-stderr grace-route -c "$E2E/routes.yaml" < retry.ndjson
	[ "$(jq -r .id no/such/dir/anomalies.ndjson | sort | tr '\n' ' ')" = "an-9c8e7673b86ef847 an-9c8e7673b86ef847-r an-ae17a1764fb03e92 an-ae17a1764fb03e92-r " ]
	[ ! -s dead.ndjson ]
	[ "$(sed -n 1p <<< "$stderr")" = "4 events, 4 routed, 0 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 0 errors" ]
}

@test "route: the whole pipeline with the shipped routes: every event is in each file it was routed to, the audit chain holds those routed to it" {
	run -1 --separate-stderr bash -c 'set -o pipefail; "$1/stream" 20 | grace-gate -q | grace-heal -q --state st -p "$2/playbooks" | grace-verify -q | grace-decide -q | grace-route > out.ndjson' _ "$E2E" "$ROOT"
	[ "$(wc -l < out.ndjson)" -eq 32 ]
	[ "$(jq -c 'select(.grace.route.targets == [])' out.ndjson)" = "" ]
	FILES="denials=grace-denials.ndjson reviews=grace-reviews.ndjson failures=grace-failures.ndjson decisions=grace-decisions.ndjson anomalies=grace-anomalies.ndjson healing=grace-healing.ndjson unrouted=grace-unrouted.ndjson"
	# (audit is a grace-log chain, console standard error)
	run -0 accounted <(jq -c 'del(.grace.route.targets[] | select(. == "audit" or . == "console"))' out.ndjson)
	[ "$(grep -c ' file$' <<< "$output")" -eq "${#lines[@]}" ]
	[ ! -s grace-dead.ndjson ]
	[ "$(jq -c 'select(.grace.route.targets | index("audit"))' out.ndjson | wc -l)" -eq "$(ids grace-route-audit.log | wc -l)" ]
	run -0 grace-log verify -q -f grace-route-audit.log
}
