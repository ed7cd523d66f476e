#!/usr/bin/env bats
# heal-valgrind.bats - grace-heal under valgrind memcheck (the plain
# build; ASan builds cannot run under valgrind), on the paths a user
# reaches: every detector kind firing and resolving, a jq `when`, the
# timers on a silent fifo, --state saved, restored and on SIGTERM,
# --explain, --check, bad input, a failing jq condition, bad detectors
# files and a malformed state. Errors and definite or indirect leaks are
# fatal (exit 99). Inputs are a few events: valgrind is slow.
load helpers

PLAIN="$ROOT/build"

setup() {
	[ -x "$PLAIN/bin/grace-heal" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$BATS_TEST_TMPDIR" || return 1
	G="$PLAIN/bin/grace-heal"
}

VG=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect
	--suppressions="$ROOT/tests/fuzz/valgrind.supp")

vg() {
	"${VG[@]}" "$@"
}

t() {
	date -u -d "@$((1767225600 + $1))" +%Y-%m-%dT%H:%M:%SZ
}
m() {
	printf '{"type":"metric","time":"%s","data":{"service":"%s","name":"%s","value":%s}}\n' "$(t "$1")" "$2" "$4" "$3"
}
ev() {
	printf '{"type":"%s","time":"%s","data":%s}\n' "$2" "$(t "$1")" "$3"
}

# A stream that fires (and mostly resolves) every shipped detector.
catalogue() {
	for i in $(seq 0 24); do m "$i" web $((100 + i % 5)) latency_ms; done; m 25 web 900 latency_ms; m 26 web 100 latency_ms
	for i in $(seq 0 11); do m "$i" api "0.0$((i % 3 + 1))" error_rate; done; m 12 api 0.5 error_rate
	for i in $(seq 0 24); do m "$i" shop 1000 requests_per_s; done; m 30 shop 100 requests_per_s; m 100 shop 90 requests_per_s
	m 0 db 95 cpu_percent; m 130 db 97 cpu_percent; m 140 db 10 cpu_percent; m 300 db 10 cpu_percent
	m 0 files 99 disk_used_percent; m 1 files 50 disk_used_percent
	ev 0 health.heartbeat '{"service":"web"}'
	for s in 0 60 120; do ev "$s" service.restarted '{"service":"api"}'; done
	for s in 0 31 32 33 34 70; do
		st=down; [ $((s % 2)) -eq 1 ] && st=up
		ev "$s" health.check "{\"service\":\"web\",\"dependency\":\"db\",\"status\":\"$st\"}"
	done
	ev 35 config.digest '{"service":"web","digest":"sha256:bb","golden":"sha256:aa"}'
	ev 36 cert.status '{"service":"web","days_left":3}'
	ev 37 data.checksum '{"service":"db","checksum":"c1","expected":"c0"}'
	ev 38 grace.log.verification '{"files":["audit.log"],"intact":false,"error":{"reason":"x"}}'
	for i in $(seq 40 49); do ev "$i" auth.failure '{"service":"sshd"}'; done
	for i in $(seq 50 54); do printf '{"type":"x","time":"%s","actor":"m","grace":{"gate":{"decision":"deny"}}}\n' "$(t "$i")"; done
	ev 2000 health.heartbeat '{"service":"web"}'
}

@test "valgrind: the shipped detectors over the catalogue, --explain, --state saved and restored" {
	catalogue > cat.ndjson
	cd "$ROOT"
	run -1 --separate-stderr vg "$G" --detect --explain --state "$BATS_TEST_TMPDIR/st" "$BATS_TEST_TMPDIR/cat.ndjson"
	[ "$(jq -r 'select(.type | startswith("anomaly.")) | .type + " " + .data.anomaly' <<<"$output" | sort | paste -sd,)" = "anomaly.detected auth_failure_burst,anomaly.detected certificate_expiry,anomaly.detected config_drift,anomaly.detected cpu_saturation,anomaly.detected crash_loop,anomaly.detected data_corruption,anomaly.detected dependency_down,anomaly.detected disk_full,anomaly.detected error_rate_spike,anomaly.detected heartbeat_missed,anomaly.detected integrity_violation,anomaly.detected latency_spike,anomaly.detected security_anomaly,anomaly.detected throughput_drop,anomaly.flapping flapping,anomaly.resolved auth_failure_burst,anomaly.resolved cpu_saturation,anomaly.resolved crash_loop,anomaly.resolved disk_full,anomaly.resolved flapping,anomaly.resolved heartbeat_missed,anomaly.resolved latency_spike,anomaly.resolved security_anomaly" ]
	[ -s "$BATS_TEST_TMPDIR/st/detect.json" ]
	run -0 --separate-stderr vg "$G" --detect --state "$BATS_TEST_TMPDIR/st" < /dev/null
	run -0 --separate-stderr vg "$G" --detect --check
	run -0 --separate-stderr vg "$G" --detect -q --check
}

@test "valgrind: every kind with a jq when, mad and drift by number, timers on a silent fifo" {
	cat > d.yaml <<'EOF'
defaults:
  component: [data.service, source]
detectors:
  - {id: mad, kind: spike, type: metric, method: mad, samples: 5, min_samples: 3, z: 3, when: '.data.value > 0'}
  - {id: drift, kind: drift, type: metric, golden: 100, tolerance: 0.5}
  - {id: hb, kind: absence, type: health.heartbeat, ttl: 200ms}
  - {id: flap, kind: flapping, type: metric, above: 50, transitions: 2, window: 1h, stable: 300ms}
EOF
	mkfifo in
	( printf '%s\n' '{"type":"metric","data":{"service":"w","value":10}}' '{"type":"metric","data":{"service":"w","value":11}}' \
	    '{"type":"metric","data":{"service":"w","value":12}}' '{"type":"metric","data":{"service":"w","value":900}}' \
	    '{"type":"metric","data":{"service":"w","value":10}}' '{"type":"health.heartbeat","data":{"service":"w"}}'
	  # silent until the timers fired (valgrind starts slowly)
	  for i in $(seq 300); do grep -q '"anomaly.detected".*"hb"' out.ndjson 2>/dev/null && break; sleep 0.1; done
	  sleep 1
	  printf '%s\n' '{"type":"health.heartbeat","data":{"service":"w"}}' ) > in &
	rc=0
	timeout 60 "${VG[@]}" "$G" --detect -d d.yaml < in > out.ndjson 2> err.txt || rc=$?
	wait
	[ "$rc" -eq 1 ] || { cat err.txt; false; }
	[ "$(jq -r 'select(.type | startswith("anomaly.")) | .type + " " + .data.detector' out.ndjson | sort | paste -sd,)" = "anomaly.detected drift,anomaly.detected hb,anomaly.detected mad,anomaly.flapping flap,anomaly.resolved flap,anomaly.resolved hb,anomaly.resolved mad" ]
}

@test "valgrind: SIGTERM saves the state" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5}
EOF
	mkfifo in
	( printf '%s\n' '{"type":"metric","data":{"service":"w","value":9}}'; sleep 60 ) > in &
	writer=$!
	"${VG[@]}" "$G" --detect -d d.yaml --state st < in > out.ndjson 2> err.txt &
	pid=$!
	for i in $(seq 200); do grep -q anomaly.detected out.ndjson 2>/dev/null && break; sleep 0.1; done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	kill "$writer" 2>/dev/null || true
	[ "$rc" -eq 1 ] || { cat err.txt; false; }
	[ "$(jq -r '.detectors[0].entries[0].open' st/detect.json)" = 1 ]
}

@test "valgrind: bad input, a failing jq condition, bad detectors files, a malformed state" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5, when: '.data.value | ascii_downcase'}
  - {id: lo, kind: threshold, type: metric, below: 5}
EOF
	printf '%s\n' '{"type":"metric","data":{"service":"w","value":9}}' 'nope' '{"grace":1}' > in.ndjson
	run -3 --separate-stderr vg "$G" --detect -d d.yaml in.ndjson
	run -3 --separate-stderr vg "$G" --detect --strict -d d.yaml in.ndjson
	for bad in 'detectors: []' 'nope: 1' 'detectors: [{id: a, kind: spike, type: m}]' \
	    "detectors: [{id: a, kind: threshold, type: m, above: 1, when: '.a | bogus('}]" \
	    'detectors: [{id: a, kind: threshold, type: m, above: 1}, {id: a, kind: rate, type: m, count: 1, window: 1s}]'; do
		printf '%s\n' "$bad" > bad.yaml
		run -2 --separate-stderr vg "$G" --detect -d bad.yaml --check
	done
	mkdir st
	echo '{"version":1,"detectors":[{"id":"lo","kind":"threshold","entries":[{"component":"w","open":1}]}]}' > st/detect.json
	run -2 --separate-stderr vg "$G" --detect -d d.yaml --state st < /dev/null
	run -2 --separate-stderr vg "$G" --detect --bogus
}

@test "valgrind: no allocation per event: the same keys seen twice as often make the same allocations" {
	{
		echo "detectors:"
		for k in 0 1 2 3 4; do
			printf '  - {id: s%d, kind: spike, type: metric, match: ["data.name = m%d"], z: 4, min_samples: 3}\n' $k $k
			printf '  - {id: t%d, kind: threshold, type: metric, match: ["data.name = m%d"], above: 90, for: 1s}\n' $k $k
		done
		echo '  - {id: r, kind: rate, type: restart, count: 3, window: 1m}'
		echo '  - {id: h, kind: absence, type: beat, ttl: 1h}'
	} > d.yaml
	for i in $(seq 0 499); do
		printf '{"type":"metric","time":"%s","data":{"service":"svc-%d","name":"m%d","value":%d}}\n' "$(t $((i / 50)))" $((i % 50)) $((i % 5)) $((40 + i % 70))
	done > a.ndjson
	for i in $(seq 0 49); do
		printf '{"type":"restart","data":{"service":"svc-%d"}}\n{"type":"beat","data":{"service":"svc-%d"}}\n' "$i" "$i"
	done >> a.ndjson
	cat a.ndjson a.ndjson > b.ndjson
	allocs() {
		valgrind "$G" --detect -q -d d.yaml "$1" 2>&1 >/dev/null | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p'
	}
	a=$(allocs a.ndjson)
	b=$(allocs b.ndjson)
	[ -n "$a" ]
	[ "$a" = "$b" ]
}
