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
