#!/usr/bin/env bats
# --metrics FILE: Prometheus textfile metrics, one implementation in
# lib/metrics.c, as each program writes them.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	printf '%s\n' '{"id":"a","type":"deploy.requested","actor":"alice","data":{"env":"staging"}}' \
	    'not json' '{"id":"b","type":"nothing.known"}' > in.ndjson
}

# value FILE SAMPLE: the value of the sample line that starts with SAMPLE.
value() {
	awk -v s="$2" 'index($0, s" ") == 1 { print $NF }' "$1"
}

@test "metrics: grace-gate counts what it read, wrote and decided, with a latency histogram" {
	run -3 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --metrics m.prom in.ndjson
	[ "$(value m.prom 'grace_events_read_total{program="grace-gate"}')" = 3 ]
	[ "$(value m.prom 'grace_events_written_total{program="grace-gate"}')" = 3 ]
	[ "$(value m.prom 'grace_bad_lines_total{program="grace-gate"}')" = 1 ]
	[ "$(value m.prom 'grace_verdicts_total{program="grace-gate",verdict="allow"}')" = 1 ]
	[ "$(value m.prom 'grace_verdicts_total{program="grace-gate",verdict="deny"}')" = 1 ]
	[ "$(value m.prom 'grace_event_duration_seconds_count{program="grace-gate"}')" = 2 ]
	[ "$(value m.prom 'grace_event_duration_seconds_bucket{program="grace-gate",le="+Inf"}')" = 2 ]
	grep -qx '# TYPE grace_event_duration_seconds histogram' m.prom
	grep -q '^grace_metrics_timestamp_seconds{program="grace-gate"} [0-9]*\.[0-9]*$' m.prom
	# buckets are cumulative and end at the count
	run -0 awk '/^grace_event_duration_seconds_bucket/ { if ($NF < last) exit 1; last = $NF } END { exit last != 2 }' m.prom
	# a report format writes no events: nothing counted as written
	run -1 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" -o tap --metrics t.prom < <(sed -n 3p in.ndjson)
	[ "$(value t.prom 'grace_events_written_total{program="grace-gate"}')" = 0 ]
}

@test "metrics: grace-decide counts its verdicts; --emit writes one more line per event" {
	printf '%s\n' '{"id":"d","type":"deploy.requested","grace":{"gate":{"decision":"deny"}}}' > d.ndjson
	run -1 --separate-stderr grace-decide -c "$ROOT/config/decide.yaml" --emit --metrics m.prom d.ndjson
	[ "$(value m.prom 'grace_verdicts_total{program="grace-decide",verdict="reject"}')" = 1 ]
	[ "$(value m.prom 'grace_events_written_total{program="grace-decide"}')" = 2 ]
}

@test "metrics: written atomically every 5 seconds on a long run, and a file that cannot be written is exit 4" {
	mkfifo in
	( sed -n 1p in.ndjson; sleep 6; sed -n 1p in.ndjson; sleep 4 ) > in &
	grace-gate -q -c "$ROOT/config/governance.yaml" --metrics m.prom < in > out.ndjson &
	pid=$!
	sleep 1
	[ ! -e m.prom ]
	# the first event 5 seconds on writes the file, while the run goes on
	for i in $(seq 1 80); do [ -e m.prom ] && break; sleep 0.1; done
	[ -e m.prom ]
	kill -0 $pid
	[ "$(value m.prom 'grace_events_read_total{program="grace-gate"}')" = 2 ]
	wait $pid
	[ "$(value m.prom 'grace_events_read_total{program="grace-gate"}')" = 2 ]
	run -4 --separate-stderr grace-gate -q -c "$ROOT/config/governance.yaml" --metrics /nonexistent/dir/m.prom < <(sed -n 1p in.ndjson)
	[[ "$stderr" == "grace-gate: /nonexistent/dir/m.prom"* ]]
}

@test "metrics: grace-log append counts the events appended, once their records are written" {
	run -3 --separate-stderr grace-log append -f audit.log --metrics m.prom in.ndjson
	[ "$(value m.prom 'grace_verdicts_total{program="grace-log",verdict="appended"}')" = 2 ]
	[ "$(value m.prom 'grace_bad_lines_total{program="grace-log"}')" = 1 ]
	[ "$(value m.prom 'grace_events_written_total{program="grace-log"}')" = 3 ]
	[ "$(value m.prom 'grace_event_duration_seconds_count{program="grace-log"}')" = 2 ]
	[ "$(wc -l < audit.log)" = 2 ]
}

# A contracts file with one jq check for job.done events, and its events:
# one verified, one failed, one bad line, one no contract applies to.
verify_files() {
	cat > c.yaml <<-'YAML'
	contracts:
	  - id: job
	    match: {type: job.done}
	    checks:
	      - {name: rc, jq: '.data.rc == 0'}
	YAML
	printf '%s\n' '{"id":"1","type":"job.done","data":{"rc":0}}' \
	    '{"id":"2","type":"job.done","data":{"rc":1}}' 'not json' \
	    '{"id":"3","type":"other"}' > v.ndjson
}

@test "metrics: grace-verify counts its verdicts by status, the same with -j 4 (the writer thread counts)" {
	verify_files
	run -3 --separate-stderr grace-verify -c c.yaml --metrics m.prom v.ndjson
	run -0 grep -v -e '_bucket{' -e '_sum{' -e '^grace_metrics_timestamp' -e '^#' m.prom
	assert_output 'grace_events_read_total{program="grace-verify"} 4
grace_events_written_total{program="grace-verify"} 4
grace_bad_lines_total{program="grace-verify"} 1
grace_verdicts_total{program="grace-verify",verdict="verified"} 1
grace_verdicts_total{program="grace-verify",verdict="failed"} 1
grace_verdicts_total{program="grace-verify",verdict="none"} 1
grace_event_duration_seconds_count{program="grace-verify"} 3'
	expected=$output
	run -0 grep -c '^# TYPE ' m.prom
	assert_output 6
	run -3 --separate-stderr grace-verify -c c.yaml -j 4 --metrics j.prom v.ndjson
	run -0 grep -v -e '_bucket{' -e '_sum{' -e '^grace_metrics_timestamp' -e '^#' j.prom
	assert_output "$expected"
	[ "$(value j.prom 'grace_event_duration_seconds_bucket{program="grace-verify",le="+Inf"}')" = 3 ]
	# no temporary file is left beside it
	run -0 ls -A
	refute_output --partial '.tmp.'
	# a report writes no events; --require-contract makes "none" inconclusive
	run -1 --separate-stderr grace-verify -c c.yaml -o tap --require-contract --metrics t.prom < <(sed -n 4p v.ndjson)
	[ "$(value t.prom 'grace_events_written_total{program="grace-verify"}')" = 0 ]
	[ "$(value t.prom 'grace_verdicts_total{program="grace-verify",verdict="inconclusive"}')" = 1 ]
	run -4 --separate-stderr grace-verify -c c.yaml --metrics /nonexistent/dir/m.prom < <(sed -n 1p v.ndjson)
	[[ "$stderr" == "grace-verify: /nonexistent/dir/m.prom"* ]]
}

@test "metrics: grace-route counts verdicts, and per target the queue, deliveries, dead letters and the breaker" {
	cat > routes.yaml <<-'YAML'
	default: out
	dead_letter: dead.ndjson
	targets:
	  out: { kind: file, path: out.ndjson }
	  gone: { kind: file, path: nodir/gone.ndjson, retries: 1, backoff: 1ms, breaker: {failures: 1, cooldown: 1h} }
	routes:
	  - name: deploys
	    type: "deploy.*"
	    targets: [out, gone]
	  - name: jobs
	    type: "job.*"
	    targets: [out]
	YAML
	printf '%s\n' '{"id":"1","type":"deploy.done"}' '{"id":"2","type":"job.done"}' 'not json' \
	    '{"id":"3","type":"other"}' '{"id":"4","type":"deploy.again"}' > r.ndjson
	run -3 --separate-stderr grace-route -q -c routes.yaml --metrics m.prom r.ndjson
	run -0 grep -v -e '_bucket{' -e '_sum{' -e '^grace_metrics_timestamp' -e '^#' m.prom
	assert_output 'grace_events_read_total{program="grace-route"} 5
grace_events_written_total{program="grace-route"} 6
grace_bad_lines_total{program="grace-route"} 1
grace_verdicts_total{program="grace-route",verdict="routed"} 3
grace_verdicts_total{program="grace-route",verdict="unmatched"} 1
grace_route_queue_depth{program="grace-route",target="out"} 0
grace_route_queue_depth{program="grace-route",target="gone"} 0
grace_route_queued_total{program="grace-route",target="out"} 4
grace_route_queued_total{program="grace-route",target="gone"} 2
grace_route_delivered_total{program="grace-route",target="out"} 4
grace_route_delivered_total{program="grace-route",target="gone"} 0
grace_route_dropped_total{program="grace-route",target="out"} 0
grace_route_dropped_total{program="grace-route",target="gone"} 0
grace_route_dead_lettered_total{program="grace-route",target="out"} 0
grace_route_dead_lettered_total{program="grace-route",target="gone"} 2
grace_route_breaker_state{program="grace-route",target="gone"} 1
grace_route_dead_letters_total{program="grace-route"} 2
grace_route_dead_letters_lost_total{program="grace-route"} 0
grace_event_duration_seconds_count{program="grace-route"} 4'
	# written: the 5 lines and the route.breaker.opened event
	[ "$(wc -l < dead.ndjson)" = 2 ]
	grep -qx '# TYPE grace_route_queue_depth gauge' m.prom
	grep -qx '# TYPE grace_route_dead_lettered_total counter' m.prom
	run -0 ls -A
	refute_output --partial '.tmp.'
	# a report writes no events, and a full queue under drop_newest drops
	cat > drop.yaml <<-YAML
	default: slow
	dead_letter: dead2.ndjson
	drain_timeout: 2s
	targets:
	  slow: { kind: exec, argv: ["$FIX/route/slow.sh", got.ndjson, "0.2"], queue: 1, overflow: drop_newest }
	routes: []
	YAML
	run -1 --separate-stderr grace-route -q -c drop.yaml -o tap --metrics d.prom < <(for i in $(seq 1 50); do echo "{\"id\":\"$i\"}"; done)
	[ "$(value d.prom 'grace_events_written_total{program="grace-route"}')" = 0 ]
	dropped=$(value d.prom 'grace_route_dropped_total{program="grace-route",target="slow"}')
	[ "$dropped" -gt 0 ]
	[ "$(value d.prom 'grace_verdicts_total{program="grace-route",verdict="dead"}')" = "$dropped" ]
	[ "$(value d.prom 'grace_route_dead_letters_total{program="grace-route"}')" = "$(wc -l < dead2.ndjson)" ]
}

@test "metrics: grace-route writes the file every 5 seconds even while no input comes, and at the end" {
	printf '%s\n' 'default: out' 'dead_letter: dead.ndjson' 'targets:' \
	    '  out: { kind: file, path: out.ndjson }' 'routes: []' > routes.yaml
	mkfifo in
	( echo '{"id":"1"}'; sleep 8 ) > in &
	grace-route -q -c routes.yaml --metrics m.prom < in > /dev/null &
	pid=$!
	sleep 1
	[ ! -e m.prom ]
	# no event comes after the first: the signal thread writes it
	for i in $(seq 1 80); do [ -e m.prom ] && break; sleep 0.1; done
	[ -e m.prom ]
	kill -0 $pid
	[ "$(value m.prom 'grace_route_delivered_total{program="grace-route",target="out"}')" = 1 ]
	[ "$(value m.prom 'grace_route_queue_depth{program="grace-route",target="out"}')" = 0 ]
	wait $pid
	[ "$(value m.prom 'grace_events_read_total{program="grace-route"}')" = 1 ]
	# SIGTERM: the file is written as the queues drain
	rm m.prom
	( echo '{"id":"2"}'; sleep 30 ) > in &
	writer=$!
	grace-route -q -c routes.yaml --metrics m.prom < in > /dev/null &
	pid=$!
	for i in $(seq 1 50); do [ "$(wc -l < out.ndjson)" = 2 ] && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid || true
	kill $writer 2>/dev/null || true
	[ "$(value m.prom 'grace_route_delivered_total{program="grace-route",target="out"}')" = 1 ]
}

# A detectors file (cpu and disk thresholds), a playbook for cpu whose
# step is a script beside it, a governance file that allows it.
heal_files() {
	mkdir -p pb/bin
	printf '#!/bin/sh\nexit 0\n' > pb/bin/fix
	chmod +x pb/bin/fix
	cat > det.yaml <<-'YAML'
	detectors:
	  - {id: cpu, kind: threshold, type: metric, match: ["data.name = cpu"], component: [data.service], value: data.value, above: 90, anomaly: cpu_saturation}
	  - {id: disk, kind: threshold, type: metric, match: ["data.name = disk"], component: [data.service], value: data.value, above: 95, anomaly: disk_full}
	YAML
	cat > pb/p.yaml <<-'YAML'
	playbooks:
	  - name: fix-cpu
	    match: { anomaly: cpu_saturation }
	    risk: low
	    steps:
	      - {name: fix, argv: [bin/fix, "{data.component}"]}
	    verify:
	      - {name: ok, argv: ["true"]}
	YAML
	printf '%s\n' 'default: deny' 'policies:' \
	    '  - {id: heal-low, match: {type: healing.proposed, actor: grace-heal, data.risk: low}, effect: allow}' > gov.yaml
}

# metric SERVICE NAME VALUE: a metric event, timed now.
metric() {
	printf '{"type":"metric","time":"%s","data":{"service":"%s","name":"%s","value":%s}}\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2" "$3"
}

@test "metrics: grace-heal counts anomalies by detector, open ones, and healings by outcome" {
	heal_files
	{ metric web cpu 95; metric db disk 99; echo 'not json'; echo '{"type":"other"}'; metric web cpu 10; } > h.ndjson
	run -3 --separate-stderr grace-heal -q -d det.yaml -p pb --execute --state st --governance gov.yaml --metrics m.prom h.ndjson
	# every line written is counted: the events, the anomalies, the
	# proposal, the run's events, the escalation, the rejection record
	[ "$(printf '%s\n' "$output" | wc -l)" = 14 ]
	run -0 grep -v -e '_bucket{' -e '_sum{' -e '^grace_metrics_timestamp' -e '^#' m.prom
	assert_output 'grace_events_read_total{program="grace-heal"} 5
grace_events_written_total{program="grace-heal"} 14
grace_bad_lines_total{program="grace-heal"} 1
grace_verdicts_total{program="grace-heal",verdict="anomaly"} 2
grace_verdicts_total{program="grace-heal",verdict="none"} 1
grace_verdicts_total{program="grace-heal",verdict="healthy"} 1
grace_heal_open_anomalies{program="grace-heal",detector="cpu"} 0
grace_heal_open_anomalies{program="grace-heal",detector="disk"} 1
grace_heal_anomalies_detected_total{program="grace-heal",detector="cpu"} 1
grace_heal_anomalies_detected_total{program="grace-heal",detector="disk"} 1
grace_heal_anomalies_resolved_total{program="grace-heal",detector="cpu"} 1
grace_heal_anomalies_resolved_total{program="grace-heal",detector="disk"} 0
grace_heal_proposals_total{program="grace-heal"} 1
grace_heal_escalations_total{program="grace-heal"} 1
grace_heal_healings_total{program="grace-heal",outcome="verified"} 1
grace_heal_healings_total{program="grace-heal",outcome="failed"} 0
grace_heal_healings_total{program="grace-heal",outcome="rolled_back"} 0
grace_heal_healings_total{program="grace-heal",outcome="escalated"} 0
grace_heal_healings_total{program="grace-heal",outcome="held"} 0
grace_heal_healings_total{program="grace-heal",outcome="rejected"} 0
grace_event_duration_seconds_count{program="grace-heal"} 4'
	run -0 ls -A
	refute_output --partial '.tmp.'
	# --detect: no healing families' samples; a proposal grace-gate did not allow is rejected
	run -1 --separate-stderr grace-heal -q --detect -d det.yaml --metrics d.prom < <(metric db disk 99)
	[ "$(value d.prom 'grace_heal_open_anomalies{program="grace-heal",detector="disk"}')" = 1 ]
	run -1 grep -c '^grace_heal_healings_total' d.prom
	assert_output 0
	grace-heal -q -d det.yaml -p pb < <(metric web cpu 95) > p.ndjson || true
	printf 'default: deny\n' > deny.yaml
	run -1 --separate-stderr grace-heal -q -d det.yaml -p pb --execute --state st2 --governance deny.yaml --metrics e.prom p.ndjson
	[ "$(value e.prom 'grace_heal_healings_total{program="grace-heal",outcome="rejected"}')" = 1 ]
	[ "$(value e.prom 'grace_verdicts_total{program="grace-heal",verdict="proposal"}')" = 1 ]
	run -4 --separate-stderr grace-heal -q --detect -d det.yaml --metrics /nonexistent/dir/m.prom < <(metric web cpu 1)
	[[ "$stderr" == "grace-heal: /nonexistent/dir/m.prom"* ]]
}

@test "metrics: grace-heal writes the file every 5 seconds while input is silent, and at SIGTERM" {
	heal_files
	mkfifo in
	( metric db disk 99; sleep 8 ) > in &
	grace-heal -q --detect -d det.yaml --metrics m.prom < in > /dev/null &
	pid=$!
	sleep 1
	[ ! -e m.prom ]
	for i in $(seq 1 80); do [ -e m.prom ] && break; sleep 0.1; done
	[ -e m.prom ]
	kill -0 $pid
	[ "$(value m.prom 'grace_heal_open_anomalies{program="grace-heal",detector="disk"}')" = 1 ]
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	[ "$st" = 1 ]   # an anomaly fired
	[ "$(value m.prom 'grace_events_read_total{program="grace-heal"}')" = 1 ]
	[ "$(value m.prom 'grace_verdicts_total{program="grace-heal",verdict="anomaly"}')" = 1 ]
}
