#!/usr/bin/env bats
# heal-drills.bats - chaos drills, end to end, against a real process: a
# fake service (tests/fixtures/heal/fake-service) runs from its service
# directory, a probe (tests/fixtures/heal/probe) writes what a monitoring
# agent would, a failure is injected, and the events flow through
#   probe | grace-heal | grace-gate | grace-heal --execute | grace-log append
# with the shipped playbooks (playbooks/). Each drill asserts that the
# anomaly was detected, the right playbook ran, the service is healthy
# again (or, where the site lacks the tool, that the healing escalated
# saying so), and that the log, whose chain verifies, holds the story.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export GRACE_SERVICES=$BATS_TEST_TMPDIR/svc
	export GRACE_NOTIFY_FILE=$BATS_TEST_TMPDIR/notify.ndjson
	S=$GRACE_SERVICES/web
	mkdir -p "$S" st
	echo good > "$S/conf"
	cp "$S/conf" "$S/conf.good"
	printf '#!/bin/sh\nexec sh %s %s\n' "$FIX/heal/fake-service" "$S" > "$S/run"
	chmod +x "$S/run"
	# the detectors of the catalogue, with windows a drill can wait for
	cat > det.yaml <<'EOF2'
defaults:
  component: [data.service, data.files, source]
detectors:
  - {id: heartbeat-missed, kind: absence, type: health.heartbeat, ttl: 2s, severity: critical, anomaly: heartbeat_missed}
  - {id: stall, kind: absence, type: work.progress, ttl: 2s, severity: high, anomaly: stall}
  - {id: memory-leak, kind: spike, method: ewma, type: metric, match: ["data.name = memory_rss_kb"], alpha: 0.02, ratio: 2, min_samples: 5, severity: medium, anomaly: memory_leak}
  - {id: crash-loop, kind: rate, type: service.restarted, count: 3, window: 1m, severity: critical, anomaly: crash_loop}
  - {id: config-drift, kind: drift, type: config.digest, value: data.digest, golden_path: data.golden, severity: medium, anomaly: config_drift}
  - {id: disk-full, kind: threshold, type: metric, match: ["data.name = disk_used_percent"], value: data.value, above: 95, severity: critical, anomaly: disk_full}
  - {id: queue-backlog, kind: threshold, type: metric, match: ["data.name = queue_depth"], value: data.value, above: 100, severity: medium, anomaly: queue_backlog}
  - {id: certificate-expiry, kind: threshold, type: cert.status, value: data.days_left, below: 14, severity: high, anomaly: certificate_expiry}
  - {id: integrity-violation, kind: integrity, type: grace.log.verification, component: [data.service, source], severity: critical, anomaly: integrity_violation}
EOF2
	cat > gov.yaml <<'EOF2'
default: deny
policies:
  - id: heal
    match: {type: healing.proposed, actor: grace-heal}
    effect: allow
EOF2
}

teardown() {
	# a drill that failed leaves its pipeline running: stop it, and the
	# service and supervisor
	touch done
	[ -n "${PIPE:-}" ] && { sleep 1; pkill -P "$PIPE" 2>/dev/null; kill "$PIPE" 2>/dev/null; }
	for p in $(cat "$S/pid" 2>/dev/null) $(cat svc.pids 2>/dev/null) $(cat pipe.pids 2>/dev/null); do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	true
}

start_service() {
	( cd "$S" && setsid ./run >> log 2>&1 & ) 3>&-
	for i in $(seq 1 50); do [ -s "$S/pid" ] && return 0; sleep 0.1; done
	echo "the fake service did not start" >&2
	return 1
}

# drill PROBE-ARGS...: run the pipeline in the background into out.ndjson
# and the log; the probe stops when ./done exists.
drill() {
	# (fd 3 is bats's: a process that kept it would hold the run open)
	( "$FIX/heal/probe" "$GRACE_SERVICES" web --every 0.3 --until done "$@" |
	    grace-heal -q -d det.yaml -p "$ROOT/playbooks" |
	    grace-gate -q -c gov.yaml |
	    grace-heal -q --execute --state st --governance gov.yaml -d det.yaml -p "$ROOT/playbooks" |
	    grace-log append -f audit.log > out.ndjson 2> err.txt ) 3>&- &
	PIPE=$!
}

# until_out JQ [SECONDS]: wait until out.ndjson has an event JQ selects.
until_out() {
	for i in $(seq 1 $((${2:-20} * 10))); do
		# (jq 1.6's -e reports on the last input alone: count instead)
		[ -n "$(jq -c "select($1)" out.ndjson 2>/dev/null | head -1)" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1" >&2
	cat out.ndjson err.txt >&2
	return 1
}

finish() {
	touch done
	wait "$PIPE" || true
	run -0 --separate-stderr grace-log verify -q -f audit.log
}

# story: the types of the log's events about healing, in order.
story() {
	grace-log cat -e audit.log | jq -r 'select(.type | test("^(anomaly|healing|trust)\\.")) | .type + (if .data.playbook then " " + .data.playbook else "" end)' |
	    uniq | tr '\n' ',' | sed 's/,$//'
}

healthy() {
	"$ROOT/playbooks/actions/health" --component web --state serving --wait 5 > /dev/null
}

@test "drill: a service stopped with SIGSTOP misses its heartbeats and is restarted" {
	start_service
	drill
	sleep 1
	old=$(cat "$S/pid")
	kill -STOP "$old"
	until_out '.type == "healing.verified"'
	finish
	[ "$(cat "$S/pid")" != "$old" ]
	healthy
	[[ "$(story)" == "anomaly.detected,healing.proposed restart-on-missed-heartbeat,healing.started restart-on-missed-heartbeat,healing.step,healing.verified restart-on-missed-heartbeat"* ]]
	[ "$(grace-log cat -e audit.log | jq -c 'select(.type == "anomaly.detected") | [.data.anomaly, .data.component]')" = '["heartbeat_missed","web"]' ]
}

@test "drill: a service that crashes (SIGKILL) is restarted, and the heartbeat comes back" {
	start_service
	drill
	sleep 1
	kill -9 "$(cat "$S/pid")"
	until_out '.type == "healing.verified"'
	until_out '.type == "anomaly.resolved" and .data.anomaly == "heartbeat_missed"' 10
	finish
	healthy
	[ "$(wc -l < "$S/starts")" = 2 ]
	[[ "$(story)" == "anomaly.detected,healing.proposed restart-on-missed-heartbeat,healing.started restart-on-missed-heartbeat,healing.step,healing.verified restart-on-missed-heartbeat,anomaly.resolved" ]]
}

# rss PID: the resident set of a process, in KB.
rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}

@test "drill: a service that leaks memory is restarted, and its resident set is small again" {
	start_service
	drill --rss
	# the baseline: the warm-up of the detector (5 samples)
	until_out '.type == "metric" and .grace.heal.detectors["memory-leak"] == "armed"'
	old=$(cat "$S/pid")
	before=$(rss "$old")
	echo 1024 > "$S/leak-now"
	until_out '.type == "healing.verified"' 30
	until_out '.type == "anomaly.resolved" and .data.anomaly == "memory_leak"' 10
	finish
	new=$(cat "$S/pid")
	[ "$new" != "$old" ]
	healthy
	# the leak was real: the detector saw the resident set over twice
	# its baseline, and the new process is back near where the old began
	run -0 jq -r 'select(.type == "anomaly.detected") | [.data.anomaly, .data.component, .data.detector, (.data.evidence.value > 2 * .data.evidence.mean)] | @tsv' out.ndjson
	assert_output "$(printf 'memory_leak\tweb\tmemory-leak\ttrue')"
	leaked=$(jq -r 'select(.type == "anomaly.detected") | .data.evidence.value' out.ndjson)
	now=$(rss "$new")
	[ "$leaked" -gt $((2 * before)) ]
	[ "$now" -lt $((leaked / 2)) ]
	[ "$now" -lt $((before + 1024)) ]
	[[ "$(story)" == "anomaly.detected,healing.proposed restart-on-memory,healing.started restart-on-memory,healing.step,healing.verified restart-on-memory,anomaly.resolved" ]]
}

@test "drill: a service that stalls (alive, heartbeats on, no progress) is restarted, and the work goes on" {
	start_service
	drill --progress
	until_out '.type == "work.progress"'
	sleep 0.5
	old=$(cat "$S/pid")
	: > "$S/stall-now"
	until_out '.type == "healing.verified"' 30
	until_out '.type == "anomaly.resolved" and .data.anomaly == "stall"' 10
	finish
	[ "$(cat "$S/pid")" != "$old" ]
	healthy
	# the work goes on: the progress of the new process advances
	p1=$(sed -n 's/^done //p' "$S/progress")
	sleep 0.5
	p2=$(sed -n 's/^done //p' "$S/progress")
	[ "$p2" -gt "$p1" ]
	# the heartbeats never stopped: only the stall was detected
	[ "$(grace-log cat -e audit.log | jq -c 'select(.type == "anomaly.detected") | [.data.anomaly, .data.component, .data.detector]')" = '["stall","web","stall"]' ]
	[[ "$(story)" == "anomaly.detected,healing.proposed restart-on-stall,healing.started restart-on-stall,healing.step,healing.verified restart-on-stall,anomaly.resolved" ]]
}

@test "drill: a crash loop is healed by putting the known-good configuration back, not by restarting again" {
	start_service
	# a supervisor that restarts what exits, as systemd's Restart=always
	( while [ ! -e done ]; do
		p=$(cat "$S/pid" 2>/dev/null)
		if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then
			( cd "$S" && setsid ./run >> log 2>&1 & ) 3>&-
		fi
		sleep 0.3
	done ) 3>&- &
	echo $! > svc.pids
	drill
	sleep 1
	# a bad configuration, then a crash: every start crashes again
	echo crash > "$S/conf"
	touch "$S/crash-now"
	until_out '.type == "healing.verified"' 40
	finish
	[ "$(cat "$S/conf")" = good ]
	healthy
	[[ "$(story)" == *"anomaly.detected,healing.proposed config-rollback-on-crash-loop,healing.started config-rollback-on-crash-loop,healing.step,healing.verified config-rollback-on-crash-loop"* ]]
}

@test "drill: a configuration changed behind our back is put back and reloaded" {
	start_service
	drill --golden "sha256:$(sha256sum < "$S/conf.good" | cut -d' ' -f1)"
	sleep 1
	echo tampered > "$S/conf"
	until_out '.type == "healing.verified"'
	until_out '.type == "anomaly.resolved" and .data.anomaly == "config_drift"' 10
	finish
	[ "$(cat "$S/conf")" = good ]
	grep -q 'conf=good' "$S/heartbeat"
	healthy
	[[ "$(story)" == "anomaly.detected,healing.proposed restore-drifted-config,healing.started restore-drifted-config,healing.step,healing.verified restore-drifted-config,anomaly.resolved" ]]
}

@test "drill: a cache that fills the disk budget is cleared" {
	start_service
	mkdir -p "$S/cache"
	drill --disk "$S/cache" --disk-budget 1024
	sleep 1
	head -c 1100000 /dev/zero > "$S/cache/blob"
	until_out '.type == "healing.verified"'
	finish
	[ ! -e "$S/cache/blob" ]
	healthy
	[[ "$(story)" == "anomaly.detected,healing.proposed clear-cache-on-disk-full,healing.started clear-cache-on-disk-full,healing.step,healing.verified clear-cache-on-disk-full"* ]]
}

@test "drill: a queue that backs up gets another worker" {
	start_service
	mkdir -p "$S/queue"
	drill --queue "$S/queue"
	sleep 1
	for i in $(seq 1 150); do : > "$S/queue/job-$i"; done
	until_out '.type == "healing.verified"'
	finish
	[ "$(cat "$S/replicas")" = 2 ]
	grep -q 'workers=2' "$S/heartbeat"
	[[ "$(story)" == "anomaly.detected,healing.proposed scale-out-on-backlog,healing.started scale-out-on-backlog,healing.step,healing.verified scale-out-on-backlog"* ]]
}

@test "drill: a corrupted audit log quarantines the component it is about" {
	start_service
	printf '%s\n' '{"type":"a"}' '{"type":"b"}' | grace-log append -f svc.log > /dev/null
	drill --log svc.log
	sleep 1
	sed -i '1s/"a"/"x"/' svc.log
	until_out '.type == "healing.verified"'
	finish
	[ -e "$GRACE_SERVICES/web/quarantined" ] || ls "$GRACE_SERVICES"/*/quarantined
	[[ "$(story)" == *"healing.proposed quarantine-on-integrity-violation"*"healing.verified quarantine-on-integrity-violation"* ]]
	[ -n "$(jq -c 'select(.level == "critical")' notify.ndjson)" ]
}

@test "drill: a certificate about to expire, on a site without certbot, escalates saying so" {
	command -v certbot > /dev/null && skip "certbot is installed: this drill is for a site without it"
	start_service
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3 -subj /CN=web > /dev/null 2>&1
	drill --cert cert.pem
	until_out '.type == "healing.escalated" or .type == "healing.failed" or .type == "healing.rolled_back"'
	finish
	run -0 jq -r 'select(.type == "healing.step" and .data.step != null and .data.error != null) | .data.error' out.ndjson
	assert_output --partial 'certbot: not found'
	[[ "$(story)" == "anomaly.detected,healing.proposed renew-certificate,healing.started renew-certificate,healing.step,"* ]]
	healthy
}
