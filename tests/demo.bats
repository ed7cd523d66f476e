#!/usr/bin/env bats
# demo.bats - make demo's script (scripts/demo.sh) runs the whole system
# end to end and tells the story of what really happened: the requests
# allowed, denied and held, the report whose verification failed, the demo
# service crashed and healed by a playbook, the approvals that let a held
# deploy through, the tampering and truncation caught.

load helpers

setup() {
	export GRACE_DEMO_DIR=$BATS_TEST_TMPDIR/demo
}

teardown() {
	p=$(cat "$GRACE_DEMO_DIR/svc/web/pid" 2>/dev/null) && kill "$p" 2>/dev/null
	true
}

@test "make demo: the six programs in one pipeline, and the story of what happened" {
	run -0 --separate-stderr sh "$ROOT/scripts/demo.sh"
	story=$(sed -n '/^== The story$/,$p' <<<"$output")
	# what governance said, and what the decision was
	[[ "$story" == *"  allowed   evt-0001 deploy.requested by alice, staging/web: deploys to dev and staging are allowed; decision approve"* ]]
	[[ "$story" == *"  denied    evt-0005 data.access by dave, prod/customers: PII may only be read for support or billing; decision reject"* ]]
	[[ "$story" == *"  denied    evt-0006 deploy.requested by ci-bot, staging/api: an AWS access key in the event (threat, severity critical); decision reject"* ]]
	[[ "$story" == *"  held      evt-0004 deploy.requested by dave, prod/api: trust 0.6 of 'dave' is below 0.7 required by policy 'deploy-prod-trusted'; decision hold -- then approved by bob and carol (step 3)"* ]]
	[[ "$story" == *"  held      evt-0008 data.export by carol, prod/orders: data exports need two approvals; decision hold -- still waiting for 2 approvals"* ]]
	# what verification found
	[[ "$story" == *"  verified  evt-0002 deploy.completed by ci-bot, staging/web: 2 checks passed; decision approve"* ]]
	[[ "$story" == *"  failed    evt-0007 deploy.completed by ci-bot, staging/api: error-rate, artifact-digest failed; decision reject: the deploy failed verification; roll it back"* ]]
	# the crash, detected, healed by a real restart
	[[ "$story" == *"  detected  heartbeat_missed on web (critical), by detector heartbeat-missed"* ]]
	[[ "$story" == *"  proposed  restart-on-missed-heartbeat for heartbeat_missed on web (risk medium)"* ]]
	[[ "$story" == *"  ran       verify serving: exit 0: health: healthy"* ]]
	[[ "$story" =~ "  healed    restart-on-missed-heartbeat: every step succeeded and verify passed; web's pid "([0-9]+)" -> "([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ]
	# (the demo stops the service when it ends: it started twice)
	[ "$(cat "$GRACE_DEMO_DIR/svc/web/starts")" = "start ${BASH_REMATCH[1]}
start ${BASH_REMATCH[2]}" ]
	[ ! -e "$GRACE_DEMO_DIR/svc/web/pid" ]
	# routed, nothing lost
	[[ "$story" == *"  anomalies 1, audit 20, console 2, decisions 6, denials 2, failures 1, healing 5, reviews 2"* ]]
	[[ "$story" == *"  dead-lettered: 0"* ]]
	[[ "$story" == *"Logged (grace-log): all 22 events, seq 1 to 22, each hash-chained to the one before"* ]]
	# the votes, the CI step, the checks that must fail
	[[ "$output" == *"evt-0004 allow deploy-prod-trusted approved by bob, carol"*"(exit status 0: deploy)"* ]]
	[[ "$output" == *"(exit status 1: no deploy)"* ]]
	[[ "$stderr" == *"tampered.log:4: record altered: its hash does not match its contents"* ]]
	[[ "$stderr" == *"log truncated: audit.cp covers 22 records but the log holds 6"* ]]
	[[ "$stderr" == *"log truncated: cut.state covers 22 records but the log holds 5"* ]]
	# the log: every event of the pipeline, the cron job's result, intact
	# against the checkpoint
	[ "$(wc -l < "$GRACE_DEMO_DIR/audit.log")" -eq 23 ]
	run -0 grace-log verify -q -f "$GRACE_DEMO_DIR/audit.log" --checkpoint "$GRACE_DEMO_DIR/audit.cp" --pubkey "$GRACE_DEMO_DIR/demo.pub"
	grep -q '<html' "$GRACE_DEMO_DIR/report.html"
}
