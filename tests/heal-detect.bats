#!/usr/bin/env bats
# heal-detect.bats - grace-heal --detect as a user sees it: every
# detector kind firing and not firing on crafted streams in virtual time
# (the events' `time`), the exact anomaly events, the grace.heal
# annotation, timers with stdin open and silent, state across restarts,
# bad input and bad detectors files, --check and --explain, and the
# shipped config/detectors.yaml on a sample of each catalogue entry.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# t SEC: the RFC 3339 time SEC seconds after 2026-01-01T00:00:00Z.
t() {
	date -u -d "@$((1767225600 + $1))" +%Y-%m-%dT%H:%M:%SZ
}

# m SEC SERVICE VALUE [NAME]: a metric event.
m() {
	printf '{"type":"metric","time":"%s","data":{"service":"%s","name":"%s","value":%s}}\n' \
	    "$(t "$1")" "$2" "${4:-x}" "$3"
}

# ev SEC TYPE DATA: an event of TYPE with data DATA (JSON).
ev() {
	printf '{"type":"%s","time":"%s","data":%s}\n' "$2" "$(t "$1")" "$3"
}

# anomalies: the anomaly events of the output, as "type component
# anomaly time" lines.
anomalies() {
	jq -r 'select(.type | startswith("anomaly.")) | "\(.type) \(.data.component) \(.data.anomaly) \(.time)"' <<<"$output"
}

# states: the grace.heal.detectors of each annotated event, compact.
states() {
	jq -c 'select(.grace.heal) | .grace.heal.detectors' <<<"$output"
}

@test "threshold: fires once on the first sample above, the exact events, resolves on the first below" {
	cat > d.yaml <<'EOF'
detectors:
  - id: disk-full
    kind: threshold
    type: metric
    above: 95
    severity: critical
EOF
	{ m 0 web 50; m 1 web 97; m 2 web 99; m 3 web 60; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]}" = '{"type":"metric","time":"2026-01-01T00:00:00Z","data":{"service":"web","name":"x","value":50},"grace":{"heal":{"anomaly":false,"severity":"none","score":0,"open":[],"component":"web","detectors":{"disk-full":"ok"}}}}' ]
	id=an-$(printf 'disk-full\0web\0%s' 1767225601000 | sha256sum | cut -c1-16)
	[ "${lines[1]}" = '{"type":"metric","time":"2026-01-01T00:00:01Z","data":{"service":"web","name":"x","value":97},"grace":{"heal":{"anomaly":true,"severity":"critical","score":1,"open":[{"id":"'"$id"'","anomaly":"disk_full","severity":"critical","detector":"disk-full"}],"component":"web","detectors":{"disk-full":"firing"}}}}' ]
	[ "${lines[2]}" = '{"specversion":"1.0","id":"'"$id"'","type":"anomaly.detected","source":"grace-heal","time":"2026-01-01T00:00:01.000000Z","subject":"web","data":{"anomaly":"disk_full","severity":"critical","component":"web","detector":"disk-full","kind":"threshold","evidence":{"value":97,"above":95},"since":"2026-01-01T00:00:01.000000Z"}}' ]
	# the repeat while open makes no event
	[ "$(jq -c .grace.heal.open[0].id <<<"${lines[3]}")" = "\"$id\"" ]
	[ "$(jq -r .data.value <<<"${lines[4]}")" = 60 ]
	[ "${lines[5]}" = '{"specversion":"1.0","id":"'"$id"'-r","type":"anomaly.resolved","source":"grace-heal","time":"2026-01-01T00:00:03.000000Z","subject":"web","data":{"anomaly":"disk_full","severity":"critical","component":"web","detector":"disk-full","kind":"threshold","evidence":{"value":60,"above":95},"since":"2026-01-01T00:00:01.000000Z","resolved":"2026-01-01T00:00:03.000000Z","anomaly_id":"'"$id"'"}}' ]
	[ "$stderr" = "4 events, 4 annotated, 1 anomalies detected, 1 resolved, 0 errors" ]
	# nothing above: nothing detected, exit 0
	run -0 --separate-stderr grace-heal --detect -d d.yaml <(m 0 web 50; m 1 web 95)
	[ -z "$(anomalies)" ]
}

@test "threshold: 'for' holds it pending, a dip starts it again; keep_firing_for holds it open" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: cpu, kind: threshold, type: metric, above: 90, for: 2m, keep_firing_for: 1m}
EOF
	{ m 0 a 95; m 60 a 95; m 90 a 50; m 100 a 95; m 219 a 95; m 220 a 96;
	  m 230 a 10; m 260 a 95; m 270 a 10; m 329 a 10; m 330 a 10; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.detected a cpu 2026-01-01T00:03:40.000000Z
anomaly.resolved a cpu 2026-01-01T00:05:30.000000Z" ]
	[ "$(states | paste -sd' ')" = '{"cpu":"pending"} {"cpu":"pending"} {"cpu":"ok"} {"cpu":"pending"} {"cpu":"pending"} {"cpu":"firing"} {"cpu":"firing"} {"cpu":"firing"} {"cpu":"firing"} {"cpu":"firing"} {"cpu":"ok"}' ]
	# since: when the condition began to hold (the second spell)
	[ "$(jq -r 'select(.type=="anomaly.detected") | .data.since' <<<"$output")" = "2026-01-01T00:01:40.000000Z" ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"value":96,"above":90,"for":"2m"}' ]
}

@test "threshold: below, and equals on a text value" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: cert, kind: threshold, type: cert.status, value: data.days_left, below: 14}
  - {id: dep, kind: threshold, type: health.check, component: data.dependency, value: data.status, equals: down}
EOF
	{ ev 0 cert.status '{"service":"web","days_left":30}'; ev 1 cert.status '{"service":"web","days_left":13.5}';
	  ev 2 health.check '{"dependency":"db","status":"up"}'; ev 3 health.check '{"dependency":"db","status":"down"}';
	  ev 4 health.check '{"dependency":"db","status":"up"}'; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.detected web cert 2026-01-01T00:00:01.000000Z
anomaly.detected db dep 2026-01-01T00:00:03.000000Z
anomaly.resolved db dep 2026-01-01T00:00:04.000000Z" ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output" | paste -sd' ')" = '{"value":13.5,"below":14} {"value":"down","equals":"down"}' ]
}

@test "flapping: N transitions within the window make one anomaly.flapping, resolved once stable" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: flap, kind: flapping, type: health.check, component: data.service, value: data.status, equals: down, transitions: 4, window: 10m, stable: 5m}
EOF
	s() { ev "$1" health.check "{\"service\":\"db\",\"status\":\"$2\"}"; }
	{ s 0 up; s 60 down; s 120 up; s 180 down; s 240 up; s 300 down; s 360 up; s 400 up;
	  ev 700 other '{}'; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.flapping db flapping 2026-01-01T00:04:00.000000Z
anomaly.resolved db flapping 2026-01-01T00:11:00.000000Z" ]
	[ "$(jq -c 'select(.type=="anomaly.flapping") | [.data.since, .data.evidence]' <<<"$output")" = '["2026-01-01T00:01:00.000000Z",{"transitions":4,"window":"10m","value":"up"}]' ]
	# the resolution comes before the event that found it due
	[ "$(jq -r .type <<<"${lines[-1]}")" = other ]
	[ "$(jq -r .type <<<"${lines[-2]}")" = anomaly.resolved ]
	[ "$(jq -c 'select(.type=="anomaly.resolved") | .data.evidence' <<<"$output")" = '{"stable":"5m","last_transition":"2026-01-01T00:06:00.000000Z"}' ]
	# three transitions are not flapping
	run -0 --separate-stderr grace-heal --detect -d d.yaml <(s 0 up; s 60 down; s 120 up; s 180 down)
	[ -z "$(anomalies)" ]
}

@test "spike (ewma): warm-up in the annotation, z against hand-computed mean and variance" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: lat, kind: spike, type: metric, alpha: 0.5, z: 4, min_samples: 3}
EOF
	# 10, 12, 11: mean 10 -> 11 -> 11, variance 0 -> 0.5*(0+2*1) = 1 ->
	# 0.5*(1+0) = 0.5; then 11.5 is z 0.5/sqrt(0.5) = 0.707 (no), and 20
	# against mean 11.25, variance 0.5*(0.5+0.5*0.25) = 0.3125: z 15.6525.
	{ m 0 web 10; m 1 web 12; m 2 web 11; m 3 web 11.5; m 4 web 20; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(states | paste -sd' ')" = '{"lat":"1/3 samples"} {"lat":"2/3 samples"} {"lat":"armed"} {"lat":"armed"} {"lat":"firing"}' ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"value":20,"mean":11.25,"stddev":0.559017,"z":15.6525,"z_over":4,"samples":4}' ]
	# a spike before the warm-up ends fires nothing
	run -0 --separate-stderr grace-heal --detect -d d.yaml <(m 0 web 10; m 1 web 12; m 2 web 1000)
	[ -z "$(anomalies)" ]
}

@test "spike (ewma): ratio over the baseline, up and down" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: up, kind: spike, type: metric, match: ["data.name = lat"], alpha: 0.5, ratio: 3, min_samples: 2}
  - {id: down, kind: spike, type: metric, match: ["data.name = rps"], alpha: 0.5, ratio: 0.5, direction: down, min_samples: 2}
EOF
	# lat: 10, 10 (mean 10, variance 0), then 29 is 2.9x (no; mean
	# 10 + 0.5*19 = 19.5, variance 0.5*19*9.5 = 90.25), 60 is 3.08x (yes).
	# rps: 100, 100, then 51 is 0.51x (no; mean 75.5, variance 600.25),
	# 30 is 0.397x (yes).
	{ m 0 w 10 lat; m 1 w 10 lat; m 2 w 29 lat; m 3 w 60 lat;
	  m 0 w 100 rps; m 1 w 100 rps; m 2 w 51 rps; m 3 w 30 rps; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.detected w up 2026-01-01T00:00:03.000000Z
anomaly.detected w down 2026-01-01T00:00:03.000000Z" ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output" | paste -sd' ')" = '{"value":60,"mean":19.5,"stddev":9.5,"z":4.26316,"ratio":3.07692,"ratio_over":3,"samples":3} {"value":30,"mean":75.5,"stddev":24.5,"z":-1.85714,"ratio":0.397351,"ratio_over":0.5,"samples":3}' ]
}

@test "spike (mad): robust z, MAD 0 falls back to the mean absolute deviation, then to any difference" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: err, kind: spike, type: metric, method: mad, samples: 5, min_samples: 5, z: 5}
EOF
	# 10 12 11 13 10: median 11, deviations 1 1 0 2 1, MAD 1, scale 1.4826;
	# 20 is z 9/1.4826 = 6.07042; 17 would be 4.05 (no).
	run -0 --separate-stderr grace-heal --detect -d d.yaml <(m 0 a 10; m 1 a 12; m 2 a 11; m 3 a 13; m 4 a 10; m 5 a 17)
	[ -z "$(anomalies)" ]
	run -1 --separate-stderr grace-heal --detect -d d.yaml <(m 0 a 10; m 1 a 12; m 2 a 11; m 3 a 13; m 4 a 10; m 5 a 20)
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"value":20,"median":11,"scale":1.4826,"z":6.07042,"z_over":5,"samples":5}' ]
	# 5 5 5 5 6: MAD 0; mean absolute deviation 0.2, scale 1.2533*0.2;
	# 6.3 is z 1.3/0.25066 = 5.18631
	run -1 --separate-stderr grace-heal --detect -d d.yaml <(m 0 a 5; m 1 a 5; m 2 a 5; m 3 a 5; m 4 a 6; m 5 a 6.3)
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"value":6.3,"median":5,"scale":0.25066,"z":5.18631,"z_over":5,"samples":5}' ]
	# all equal: the same value is z 0, any other is infinitely far (null)
	run -0 --separate-stderr grace-heal --detect -d d.yaml <(m 0 a 5; m 1 a 5; m 2 a 5; m 3 a 5; m 4 a 5; m 5 a 5)
	[ -z "$(anomalies)" ]
	run -1 --separate-stderr grace-heal --detect -d d.yaml <(m 0 a 5; m 1 a 5; m 2 a 5; m 3 a 5; m 4 a 5; m 5 a 5.01)
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"value":5.01,"median":5,"scale":0,"z":null,"z_over":5,"samples":5}' ]
	# warm-up of a mad window
	[ "$(states | head -n 2 | paste -sd' ')" = '{"err":"1/5 samples"} {"err":"2/5 samples"}' ]
}

@test "rate: N events within the window fire (a crash loop), resolved when the window no longer holds N" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: crash-loop, kind: rate, type: service.restarted, count: 3, window: 10m}
EOF
	r() { ev "$1" service.restarted '{"service":"web"}'; }
	# 0, 5m, 9m59s: three within 10m
	{ r 0; r 300; r 599; r 700; ev 1400 other '{}'; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.detected web crash_loop 2026-01-01T00:09:59.000000Z
anomaly.resolved web crash_loop 2026-01-01T00:21:40.000000Z" ]
	# open while bursts go on (700 makes three within 10m again); over a
	# whole window after the last burst
	[ "$(jq -c 'select(.type=="anomaly.resolved") | .data.evidence' <<<"$output")" = '{"window":"10m","last_burst":"2026-01-01T00:11:40.000000Z"}' ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | [.data.since, .data.evidence]' <<<"$output")" = '["2026-01-01T00:00:00.000000Z",{"count":3,"window":"10m","first":"2026-01-01T00:00:00.000000Z"}]' ]
	# spread over more than the window: nothing
	run -0 --separate-stderr grace-heal --detect -d d.yaml <(r 0; r 300; r 600; r 1000)
	[ -z "$(anomalies)" ]
}

@test "absence: a gap longer than the ttl fires at the time it fell due, the next event resolves it" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: heartbeat-missed, kind: absence, type: health.heartbeat, ttl: 30s}
EOF
	h() { ev "$1" health.heartbeat "{\"service\":\"$2\"}"; }
	{ h 0 web; h 0 db; h 20 web; h 25 db; h 45 web; h 70 web; h 71 db; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.detected db heartbeat_missed 2026-01-01T00:00:55.000000Z
anomaly.resolved db heartbeat_missed 2026-01-01T00:01:11.000000Z" ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"last_seen":"2026-01-01T00:00:25.000000Z","ttl":"30s"}' ]
	[ "$(jq -c 'select(.type=="anomaly.resolved") | .data.evidence' <<<"$output")" = '{"last_seen":"2026-01-01T00:00:25.000000Z","ttl":"30s","silent_ms":46000}' ]
	# the detection comes in time order, before the event that found it due
	[ "$(jq -r '.type + " " + (.data.service // .data.component)' <<<"$output" | paste -sd,)" = "health.heartbeat web,health.heartbeat db,health.heartbeat web,health.heartbeat db,health.heartbeat web,anomaly.detected db,health.heartbeat web,health.heartbeat db,anomaly.resolved db" ]
}

@test "absence: the timer fires on the clock while stdin is open and silent" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hb, kind: absence, type: health.heartbeat, ttl: 300ms}
EOF
	mkfifo in
	# the writer keeps the fifo open, silent, until the anomaly is out
	( printf '{"type":"health.heartbeat","data":{"service":"web"}}\n'
	  for i in $(seq 100); do grep -q anomaly.detected out.ndjson 2>/dev/null && break; sleep 0.1; done
	  printf '{"type":"health.heartbeat","data":{"service":"web"}}\n'; sleep 0.1 ) > in &
	rc=0
	timeout 20 grace-heal --detect -d d.yaml < in > out.ndjson 2> err.txt || rc=$?
	wait
	[ "$rc" -eq 1 ]
	run jq -r .type out.ndjson
	[ "$output" = "health.heartbeat
anomaly.detected
health.heartbeat
anomaly.resolved" ]
	# since and time are when it fell due: 300 ms after the heartbeat
	a=$(jq -r 'select(.type=="anomaly.detected") | .data.evidence.last_seen' out.ndjson)
	b=$(jq -r 'select(.type=="anomaly.detected") | .time' out.ndjson)
	[ "$(( $(date -d "$b" +%s%3N) - $(date -d "$a" +%s%3N) ))" -eq 300 ]
}

@test "drift: a numeric value off its golden by more than the tolerance, a digest that differs" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: replicas, kind: drift, type: metric, golden: 100, tolerance: 0.1}
  - {id: config-drift, kind: drift, type: config.digest, value: data.digest, golden_path: data.golden}
EOF
	{ m 0 web 105; m 1 web 115; m 2 web 91;
	  ev 3 config.digest '{"service":"web","digest":"sha256:aa","golden":"sha256:aa"}';
	  ev 4 config.digest '{"service":"web","digest":"sha256:bb","golden":"sha256:aa"}'; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(anomalies)" = "anomaly.detected web replicas 2026-01-01T00:00:01.000000Z
anomaly.resolved web replicas 2026-01-01T00:00:02.000000Z
anomaly.detected web config_drift 2026-01-01T00:00:04.000000Z" ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output" | paste -sd' ')" = '{"value":115,"golden":100,"fraction":0.15,"tolerance":0.1} {"value":"sha256:bb","golden":"sha256:aa"}' ]
}

@test "integrity: a chain verification that failed (grace-verify --chain, grace-log verify), resolved when intact" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: integrity, kind: integrity, type: grace.log.verification, component: [data.files, source], severity: critical}
EOF
	printf '{"type":"x"}\n{"type":"y"}\n' | grace-log append -f a.log > /dev/null
	grace-verify --chain a.log > v.ndjson
	sed -i 's/"x"/"z"/' a.log
	grace-verify --chain a.log >> v.ndjson 2>/dev/null || true
	grace-log verify -f a.log >> v.ndjson 2>/dev/null || true
	run -1 --separate-stderr grace-heal --detect -d d.yaml v.ndjson
	[ "$(jq -r 'select(.type | startswith("anomaly.")) | "\(.type) \(.data.component)"' <<<"$output")" = "anomaly.detected a.log" ]
	[ "$(jq -c 'select(.type=="anomaly.detected") | .data.evidence' <<<"$output")" = '{"intact":false,"error":{"file":"a.log","line":1,"seq":1,"torn":false,"reason":"record altered: its hash does not match its contents"}}' ]
	[ "$(states | paste -sd' ')" = '{"integrity":"ok"} {"integrity":"firing"} {"integrity":"firing"}' ]
	# repaired: intact again resolves it
	rm a.log
	printf '{"type":"x"}\n' | grace-log append -f a.log > /dev/null
	grace-verify --chain a.log >> v.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml v.ndjson
	[ "$(jq -r 'select(.type | startswith("anomaly.")) | .type' <<<"$output" | paste -sd' ')" = "anomaly.detected anomaly.resolved" ]
	# fail closed: a verification that does not say intact is a failure
	run -1 --separate-stderr grace-heal --detect -d d.yaml <(ev 0 grace.log.verification '{"files":["b.log"]}')
	[ "$(anomalies)" = "anomaly.detected b.log integrity 2026-01-01T00:00:00.000000Z" ]
}

@test "matchers and jq when select events; other events pass through untouched" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: a, kind: threshold, type: "met*", match: ["data.name = lat", "data.env != test"], when: '.data.value | . > 0', above: 5}
EOF
	{ m 0 w 9 lat; m 1 w 9 rps; m 2 w -1 lat;
	  printf '%s\n' '{"type":"metric","data":{"service":"w","name":"lat","env":"test","value":9}}' '{"type":"other","x":1}'; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "${#lines[@]}" -eq 6 ]
	[ "$(jq -c .grace.heal.detectors <<<"${lines[0]}")" = '{"a":"firing"}' ]
	[ "$(jq -r .type <<<"${lines[1]}")" = anomaly.detected ]
	# not lat; when false; env = test; another type: as they came
	[ "${lines[2]}" = '{"type":"metric","time":"2026-01-01T00:00:01Z","data":{"service":"w","name":"rps","value":9}}' ]
	[ "${lines[3]}" = '{"type":"metric","time":"2026-01-01T00:00:02Z","data":{"service":"w","name":"lat","value":-1}}' ]
	[ "${lines[4]}" = '{"type":"metric","data":{"service":"w","name":"lat","env":"test","value":9}}' ]
	[ "${lines[5]}" = '{"type":"other","x":1}' ]
}

@test "an event that already carries grace.heal is passed through untouched: not detected on, not annotated again" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: d, kind: threshold, type: metric, above: 5}
EOF
	printf '%s\n' '{"type":"metric","data":{"service":"w","value":9},"grace":{"heal":{"anomaly":false}}}' > in.ndjson
	run -0 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$output" = '{"type":"metric","data":{"service":"w","value":9},"grace":{"heal":{"anomaly":false}}}' ]
	# twice through grace-heal: the second changes nothing
	{ m 0 w 9; m 1 w 1; } > in2.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in2.ndjson
	once=$output
	run -0 --separate-stderr sh -c 'grace-heal --detect -q -d d.yaml in2.ndjson | grace-heal --detect -d d.yaml'
	[ "$output" = "$once" ]
	# another program's verdict is kept beside grace.heal
	printf '%s\n' '{"type":"metric","data":{"service":"w","value":1},"grace":{"gate":{"decision":"allow"}}}' > in3.ndjson
	run -0 --separate-stderr grace-heal --detect -d d.yaml in3.ndjson
	[ "$(jq -c '.grace | keys' <<<"$output")" = '["gate","heal"]' ]
}

@test "open anomalies of a component are listed in its annotation, highest severity first in the verdict" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: cpu, kind: threshold, type: metric, match: ["data.name = cpu"], above: 90, severity: low}
  - {id: mem, kind: threshold, type: metric, match: ["data.name = mem"], above: 90, severity: high}
EOF
	{ m 0 w 95 cpu; m 1 w 95 mem; m 2 v 1 cpu; m 3 w 1 mem; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(jq -c 'select(.grace.heal) | [.grace.heal.component, .grace.heal.severity, .grace.heal.score, [.grace.heal.open[].detector]]' <<<"$output" | paste -sd' ')" = '["w","low",0.25,["cpu"]] ["w","high",0.75,["cpu","mem"]] ["v","none",0,[]] ["w","low",0.25,["cpu"]]' ]
}

@test "the same stream replayed gives byte-identical output" {
	{ for i in $(seq 0 40); do m "$i" web $((10 + i % 3)) latency_ms; m "$i" web $((i % 7 == 0 ? 99 : 20)) cpu_percent; done
	  m 41 web 500 latency_ms; ev 100 health.heartbeat '{"service":"web"}'; ev 200 health.heartbeat '{"service":"web"}'; } > in.ndjson
	cd "$ROOT"
	run -1 --separate-stderr grace-heal "$BATS_TEST_TMPDIR/in.ndjson"
	first=$output
	[ -n "$(jq -r 'select(.type=="anomaly.detected") | .id' <<<"$output")" ]
	run -1 --separate-stderr grace-heal "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$output" = "$first" ]
}

@test "--state: a restarted grace-heal carries on: open anomalies stay open, baselines keep their samples" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: lat, kind: spike, type: metric, alpha: 0.5, z: 4, min_samples: 3}
  - {id: hb, kind: absence, type: health.heartbeat, ttl: 30s}
EOF
	{ m 0 web 10; m 1 web 12; ev 2 health.heartbeat '{"service":"db"}'; } > a.ndjson
	{ m 2 web 11; m 3 web 20; ev 40 health.heartbeat '{"service":"web"}'; } > b.ndjson
	{ m 50 web 11; ev 60 health.heartbeat '{"service":"db"}'; } > c.ndjson
	cat a.ndjson b.ndjson c.ndjson > all.ndjson
	run -1 --separate-stderr grace-heal --detect -d d.yaml all.ndjson
	whole=$output
	[ "$(anomalies | wc -l)" -eq 4 ]
	run -0 --separate-stderr grace-heal --detect -d d.yaml --state st a.ndjson
	parts=$output
	[ -f st/detect.json ]
	[ "$(jq -r '.detectors[0].entries[0].n' st/detect.json)" = 2 ]
	run -1 --separate-stderr grace-heal --detect -d d.yaml --state st b.ndjson
	parts+=$'\n'$output
	run -0 --separate-stderr grace-heal --detect -d d.yaml --state st c.ndjson
	parts+=$'\n'$output
	[ "$parts" = "$whole" ]
	# a malformed state file is a configuration error, nothing processed
	echo '{"version":1,"detectors":[{"id":"lat","kind":"spike","entries":[{"component":"web"}]}]}' > st/detect.json
	run -2 --separate-stderr grace-heal --detect -d d.yaml --state st c.ndjson
	[ -z "$output" ]
	[ "$stderr" = "grace-heal: st/detect.json: malformed detection state: entry member 'open' is not a number" ]
	echo 'nope' > st/detect.json
	run -2 --separate-stderr grace-heal --detect -d d.yaml --state st c.ndjson
	[[ "$stderr" == "grace-heal: st/detect.json: malformed detection state: "* ]]
}

@test "--state: a detectors file that changed keeps what still applies (same id and kind)" {
	cat > d1.yaml <<'EOF'
detectors:
  - {id: lat, kind: spike, type: metric, alpha: 0.5, z: 4, min_samples: 3}
  - {id: hi, kind: threshold, type: metric, above: 5}
EOF
	cat > d2.yaml <<'EOF'
detectors:
  - {id: hi, kind: spike, type: metric, alpha: 0.5, z: 4, min_samples: 3}
  - {id: lat, kind: spike, type: metric, alpha: 0.5, z: 4, min_samples: 3}
EOF
	run -1 --separate-stderr grace-heal --detect -d d1.yaml --state st <(m 0 web 10; m 1 web 12)
	run -0 --separate-stderr grace-heal --detect -d d2.yaml --state st <(m 2 web 11)
	[ "$(states)" = '{"hi":"1/3 samples","lat":"armed"}' ]
}

@test "--state: SIGTERM saves the state and exits; a second grace-heal on the same directory is refused" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5}
EOF
	mkfifo in
	( m 0 web 9; sleep 30 ) > in &
	writer=$!
	grace-heal --detect -d d.yaml --state st < in > out.ndjson 2> err.txt &
	pid=$!
	for i in $(seq 100); do grep -q anomaly.detected out.ndjson 2>/dev/null && break; sleep 0.1; done
	run -4 --separate-stderr grace-heal --detect -d d.yaml --state st < /dev/null
	[ "$stderr" = "grace-heal: st: the state directory is in use by another grace-heal" ]
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	kill "$writer" 2>/dev/null || true
	[ "$(sed -n 1p err.txt)" = "grace-heal: SIGTERM: stopped reading; state saved" ]
	[ "$(jq -r '.detectors[0].entries[0].open' st/detect.json)" = 1 ]
	# the next run resolves the anomaly it left open
	run -0 --separate-stderr grace-heal --detect -d d.yaml --state st <(m 5 web 1)
	[ "$(anomalies)" = "anomaly.resolved web hi 2026-01-01T00:00:05.000000Z" ]
	[ "$(jq -r 'select(.type=="anomaly.resolved") | .data.anomaly_id' <<<"$output")" = "$(jq -r 'select(.type=="anomaly.detected") | .id' out.ndjson)" ]
}

@test "bad input lines: a diagnostic and a rejection record in place, the rest processed, exit 3; --strict stops" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5}
EOF
	{ m 0 w 9; echo 'not json'; m 1 w 1; } > in.ndjson
	run -3 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r .type <<<"${lines[2]}")" = grace.input.rejected ]
	[ "$(jq -r .type <<<"${lines[4]}")" = anomaly.resolved ]
	[ "$(sed -n 1p <<<"$stderr")" = "grace-heal: in.ndjson:2:1: not JSON: unexpected 'n'" ]
	[ "$(sed -n 2p <<<"$stderr")" = "3 events, 2 annotated, 1 anomalies detected, 1 resolved, 1 errors" ]
	run -3 --separate-stderr grace-heal --detect --strict -d d.yaml in.ndjson
	[ "${#lines[@]}" -eq 3 ]
	# a jq `when` that fails on an event: said, the event passes, exit 3
	cat > dj.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5, when: '.data.value | ascii_downcase'}
EOF
	run -3 --separate-stderr grace-heal --detect -d dj.yaml <(m 0 w 9)
	[ "$output" = "$(m 0 w 9)" ]
	[ "$stderr" = "grace-heal: dj.yaml:2:61: jq: error: explode input must be a string
1 events, 0 annotated, 0 anomalies detected, 0 resolved, 1 errors" ]
}

@test "bad detectors files: exit 2 with file:line:col, nothing read" {
	bad() {
		printf '%s\n' "$@" > bad.yaml
		run -2 --separate-stderr grace-heal --detect -d bad.yaml /dev/null
		[ -z "$output" ]
	}
	bad 'detectors:' '  - {id: a, kind: threshold, type: metric, abov: 5}'
	[ "$stderr" = "grace-heal: bad.yaml:2:44: unknown key 'abov' (expected one of: id, kind, anomaly, severity, description, type, match, when, component, value, above, below, equals, for, keep_firing_for)" ]
	bad 'detectors:' '  - {id: a, kind: thresh, type: metric}'
	[ "$stderr" = "grace-heal: bad.yaml:2:19: kind: expected threshold, flapping, spike, rate, absence, drift or integrity, got 'thresh'" ]
	bad 'detectors:' '  - {id: a, kind: absence, type: metric, ttl: 30}'
	[ "$stderr" = "grace-heal: bad.yaml:2:47: missing unit in duration '30': use 30s" ]
	bad 'detectors:' '  - {id: a, kind: rate, type: metric, window: 1m}'
	[ "$stderr" = "grace-heal: bad.yaml:2:5: missing required key 'count'" ]
	bad 'detectors:' '  - {id: a, kind: threshold, type: metric, above: 1, below: 2}'
	[ "$stderr" = "grace-heal: bad.yaml:2:5: a threshold detector needs exactly one of above, below, equals" ]
	bad 'detectors:' '  - {id: a, kind: spike, type: metric}'
	[ "$stderr" = "grace-heal: bad.yaml:2:5: a spike detector needs z, ratio or both" ]
	bad 'detectors:' '  - {id: a, kind: spike, type: metric, method: mad, samples: 5, min_samples: 9, z: 3}'
	[ "$stderr" = "grace-heal: bad.yaml:2:78: min_samples: at most samples (5): a mad window holds no more" ]
	bad 'detectors:' "  - {id: a, kind: threshold, type: metric, above: 1, when: '.a | bogus('}"
	[ "$stderr" = "grace-heal: bad.yaml:2:60: invalid jq expression '.a | bogus(': syntax error, unexpected \$end" ]
	bad 'detectors:' '  - {id: a, kind: threshold, type: metric, above: 1}' '  - {id: a, kind: threshold, type: metric, above: 1}'
	[ "$stderr" = "grace-heal: bad.yaml:3:10: id 'a' is already used at line 2" ]
	bad 'detectors:' '  - {id: a, kind: threshold, type: "m[", above: 1}'
	[ "$stderr" = "grace-heal: bad.yaml:2:36: type 'm[': '[' is not closed by ']'" ]
	bad 'detectors:' '  - {id: a, kind: threshold, type: m, above: 1, match: ["data.x ~ 1"]}'
	[ "$stderr" = "grace-heal: bad.yaml:2:57: matcher 'data.x ~ 1': expected 'path = value' or 'path != value'" ]
	bad 'detectors:' '  - {id: a, kind: rate, type: m, count: 2, window: 1m, value: data.v}'
	[ "$stderr" = "grace-heal: bad.yaml:2:63: value: a rate detector counts events and reads no value" ]
	bad 'detectors: []'
	[ "$stderr" = "grace-heal: bad.yaml:1:12: detectors: expected a list of detectors, got an empty list" ]
	bad 'detector: []'
	[ "$stderr" = "grace-heal: bad.yaml:1:1: unknown key 'detector' (expected one of: defaults, detectors)" ]
	# a missing file is a usage error
	run -2 --separate-stderr grace-heal --detect -d nope.yaml /dev/null
	[ "$stderr" = "grace-heal: nope.yaml: cannot open: No such file or directory" ]
}

@test "--check: the one line on stdout; -q: the status alone; a bad file exits 2" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: a, kind: threshold, type: metric, above: 1, when: '.x'}
  - {id: b, kind: spike, type: metric, z: 3}
  - {id: c, kind: spike, type: metric, method: mad, z: 3}
EOF
	run -0 --separate-stderr grace-heal --detect -d d.yaml --check
	[ "$output" = "d.yaml: ok: 3 detectors (1 threshold, 2 spike), 1 jq condition" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-heal --detect -q -d d.yaml --check
	[ -z "$output" ] && [ -z "$stderr" ]
	run -2 --separate-stderr grace-heal --detect -d d.yaml --check in.ndjson
	[ "$stderr" = "grace-heal: --check reads no input files
Try 'grace-heal --help' for more information." ]
	cd "$ROOT"
	run -0 --separate-stderr grace-heal --detect --check
	[ "$output" = "config/detectors.yaml: ok: 20 detectors (7 threshold, 1 flapping, 4 spike, 3 rate, 2 absence, 2 drift, 1 integrity), 0 jq conditions" ]
}

@test "--explain: every detector consulted and what it found, on stderr" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: lat, kind: spike, type: metric, match: ["data.name = lat"], alpha: 0.5, z: 4, min_samples: 1}
  - {id: cpu, kind: threshold, type: metric, match: ["data.name = cpu"], above: 90}
  - {id: any, kind: rate, type: "*", count: 2, window: 1m}
EOF
	{ m 0 w 10 lat; m 1 w 95 cpu; } > in.ndjson
	run -1 --separate-stderr grace-heal --detect --explain -d d.yaml in.ndjson
	# only the candidates: cpu is not consulted on a lat metric (the
	# detectors of a type are indexed by their first matcher's value)
	[ "$stderr" = "grace-heal: in.ndjson:1: event
  detector lat: w: 0/1 samples: warming up
  detector any: w: at most 1 events within 60000ms (2 make a burst): ok
grace-heal: in.ndjson:2: event
  detector cpu: w: value 95 above 90: fired
  detector any: w: 2 events within 60000ms (2 make a burst): fired
2 events, 2 annotated, 2 anomalies detected, 0 resolved, 0 errors" ]
	# the annotations say the same
	[ "$(states | paste -sd' ')" = '{"lat":"armed","any":"ok"} {"cpu":"firing","any":"firing"}' ]
}

@test "the shipped detectors fire on a sample stream of each catalogue entry" {
	cd "$ROOT"
	T0=0
	{
		for i in $(seq 0 24); do m "$i" web $((100 + i % 5)) latency_ms; done; m 25 web 900 latency_ms
		for i in $(seq 0 11); do m "$i" api "0.0$((i % 3 + 1))" error_rate; done; m 12 api 0.5 error_rate
		for i in $(seq 0 24); do m "$i" shop 1000 requests_per_s; done; m 30 shop 100 requests_per_s; m 100 shop 90 requests_per_s
		m 0 db 95 cpu_percent; m 130 db 97 cpu_percent
		m 0 cache 95 memory_percent; m 301 cache 96 memory_percent
		m 0 files 99 disk_used_percent
		m 0 mq 5000 queue_depth; m 61 mq 6000 queue_depth
		m 0 pool 0.99 pool_used_ratio
		ev 0 health.heartbeat '{"service":"web"}'
		ev 0 work.progress '{"service":"worker"}'
		for s in 0 60 120; do ev "$s" service.restarted '{"service":"api"}'; done
		ev 0 health.check '{"service":"web","dependency":"db","status":"down"}'
		ev 31 health.check '{"service":"web","dependency":"db","status":"up"}'
		ev 32 health.check '{"service":"web","dependency":"db","status":"down"}'
		ev 33 health.check '{"service":"web","dependency":"db","status":"up"}'
		ev 34 health.check '{"service":"web","dependency":"db","status":"down"}'
		ev 70 health.check '{"service":"web","dependency":"db","status":"down"}'
		ev 35 config.digest '{"service":"web","file":"/etc/web.conf","digest":"sha256:bb","golden":"sha256:aa"}'
		ev 36 cert.status '{"service":"web","days_left":3}'
		ev 37 data.checksum '{"service":"db","object":"orders","checksum":"c1","expected":"c0"}'
		ev 38 grace.log.verification '{"files":["audit.log"],"intact":false}'
		for i in $(seq 40 49); do ev "$i" auth.failure '{"service":"sshd","user":"root"}'; done
		for i in $(seq 50 54); do printf '{"type":"deploy.requested","time":"%s","actor":"mallory","grace":{"gate":{"decision":"deny"}}}\n' "$(t "$i")"; done
		ev 400 other '{}'
	} > "$BATS_TEST_TMPDIR/cat.ndjson"
	run -1 --separate-stderr grace-heal "$BATS_TEST_TMPDIR/cat.ndjson"
	[ "$(jq -r 'select(.type=="anomaly.detected" or .type=="anomaly.flapping") | .data.anomaly' <<<"$output" | sort | paste -sd' ')" = "auth_failure_burst certificate_expiry config_drift cpu_saturation crash_loop data_corruption dependency_down disk_full error_rate_spike flapping heartbeat_missed integrity_violation latency_spike memory_pressure queue_backlog resource_exhaustion security_anomaly stall throughput_drop" ]
}

@test "--detect: the same stream detects alike; -h and -V" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5}
EOF
	run -1 --separate-stderr grace-heal --detect -d d.yaml <(m 0 w 9)
	a=$output
	run -1 --separate-stderr grace-heal --detect -d d.yaml <(m 0 w 9)
	[ "$output" = "$a" ]
	run -0 --separate-stderr grace-heal --detect --help
	[ "${lines[0]}" = "usage: grace-heal [-d FILE] [-p PATH]... [--state DIR] [--explain] [--strict]" ]
	run -0 --separate-stderr grace-heal --detect -V
	[[ "$output" == "grace-heal (grace) "* ]]
	# an empty stream detects nothing
	run -0 --separate-stderr grace-heal --detect -d d.yaml < /dev/null
	[ -z "$output" ]
}

# mdoc_text: standard input with the mdoc escapes of the man pages'
# literal blocks turned back into text.
mdoc_text() {
	sed -e 's/\\e/\\/g' -e 's/\\(dq/"/g' -e 's/\\-/-/g'
}

@test "grace-detectors(5)'s example works as printed" {
	awk '/^\.Sh EXAMPLES/{e=1} e&&/^\.Bd -literal/{n++; f=1; next} e&&/^\.Ed/{f=0} f{print > ("blk" n)}' "$ROOT/man/grace-detectors.5"
	mdoc_text < blk1 > detectors.yaml
	mdoc_text < blk2 > in.ndjson
	mdoc_text < blk3 > want
	[ "$(wc -l < in.ndjson)" -eq 5 ]
	run -0 --separate-stderr grace-heal --detect -d detectors.yaml --check
	[ "$output" = "$(sed -n 2p want)" ]
	run -0 --separate-stderr sh -c "$(sed -n '3{s/^\$ //;N;s/\n> / /;p}' want)"
	[ "$output" = "$(sed -n '5,$p' want)" ]
	[ "$(sed -n 3p want)" = "\$ grace-heal --detect -q -d detectors.yaml in.ndjson |" ]
}

@test "grace-heal(1)'s example works as printed" {
	awk '/^\.Sh EXAMPLES/{e=1} e&&/^\.Bd -literal/{n++; f=1; next} e&&/^\.Ed/{f=0} f{print > ("blk" n)}' "$ROOT/man/grace-heal.1"
	mdoc_text < blk1 > ex
	sed -n '/^\$ cat > detectors.yaml/,/^EOF$/p' ex | sed '1d;$d' > detectors.yaml
	cmd=$(sed -n '/^\$ printf/,/grace-heal/p' ex | sed 's/^\$ //')
	want=$(sed -n '/grace-heal --detect -q/,$p' ex | sed 1d)
	[ -n "$cmd" ] && [ -n "$want" ]
	run -0 --separate-stderr sh -c "$cmd"
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
}

@test "a member that repeats: the last one wins whole, as in jq" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: a, kind: threshold, type: metric, above: 5}
EOF
	printf '%s\n' '{"type":"metric","data":{"service":"a","value":99},"data":{"value":1,"host":"h"}}' \
	    '{"type":"metric","data":{"service":"a","value":1},"type":"other"}' \
	    '{"type":"metric","data":{"service":"b","value":99},"data":7}' > in.ndjson
	run -0 --separate-stderr grace-heal --detect -d d.yaml in.ndjson
	[ "$(jq -c '[.type, .grace.heal.component, .grace.heal.detectors]' <<<"$output" | paste -sd' ')" = '["metric","h",{"a":"ok"}] ["other",null,null] ["metric",null,null]' ]
	# jq reads them the same way
	[ "$(jq -c '[.type, .data]' in.ndjson | paste -sd' ')" = '["metric",{"value":1,"host":"h"}] ["other",{"service":"a","value":1}] ["metric",7]' ]
}

@test "--state: saved every few seconds while a long run goes on, before any end" {
	cat > d.yaml <<'EOF'
detectors:
  - {id: hi, kind: threshold, type: metric, above: 5}
EOF
	mkfifo in
	( m 0 web 9
	  for i in $(seq 150); do [ -s st/detect.json ] && cp st/detect.json mid.json && break; sleep 0.1; done
	  m 1 web 1 ) > in &
	rc=0
	timeout 30 grace-heal --detect -d d.yaml --state st < in > out.ndjson 2> err.txt || rc=$?
	wait
	[ "$rc" -eq 1 ]
	# the writer saw the state, the anomaly open, while grace-heal was
	# still reading
	[ "$(jq -r '.detectors[0].entries[0].open' mid.json)" = 1 ]
	[ "$(jq -r 'select(.type | startswith("anomaly.")) | .type' out.ndjson | paste -sd' ')" = "anomaly.detected anomaly.resolved" ]
	[ "$(jq -r '.detectors[0].entries[0].open' st/detect.json)" = 0 ]
}

@test "the index by matcher value selects what the unindexed detectors select (differential)" {
	# indexed: every detector of type metric starts with data.name = ...;
	# plain: the same detectors, each led by a matcher that always holds
	# and is not an equality, so none is indexed and all are consulted
	for v in indexed plain; do
		{
			echo "detectors:"
			for k in 0 1 2 3; do
				lead=""
				[ "$v" = plain ] && lead='"data.zz != never", '
				printf '  - {id: s%d, kind: spike, type: metric, match: [%s"data.name = m%d"], alpha: 0.5, z: 3, min_samples: 2}\n' $k "$lead" $k
				printf '  - {id: t%d, kind: threshold, type: metric, match: [%s"data.name = m%d", "data.env != test"], above: 90}\n' $k "$lead" $k
			done
			echo '  - {id: g, kind: rate, type: "met*", match: ["data.name = m1"], count: 2, window: 1m}'
			echo '  - {id: u, kind: threshold, type: metric, above: 95}'
		} > "$v.yaml"
	done
	{
		for i in $(seq 0 119); do m "$i" "s$((i % 3))" $(( i % 13 == 12 ? 500 : 10 + i % 3 )) "m$((i % 5))"; done
		# (with times: an event without one takes the clock's)
		T='"time":"2026-01-01T01:00:00Z"'
		printf '%s\n' '{"type":"metric",'"$T"',"data":{"service":"x","name":"m\u0031","value":99}}' \
		    '{"type":"metric",'"$T"',"data":{"service":"x","name":1,"value":99}}' \
		    '{"type":"metric",'"$T"',"data":{"service":"x","value":99}}' \
		    '{"type":"metric",'"$T"',"data":{"service":"x","name":"m2","env":"test","value":99}}' \
		    '{"type":"metrics",'"$T"',"data":{"service":"x","name":"m1","value":99}}'
	} > in.ndjson
	run -1 --separate-stderr grace-heal --detect -d indexed.yaml in.ndjson
	a=$output
	[ "$(jq -r 'select(.type=="anomaly.detected") | .data.detector' <<<"$a" | sort -u | paste -sd' ')" = "g s0 s1 s2 s3 t0 t1 t2 t3 u" ]
	run -1 --separate-stderr grace-heal --detect -d plain.yaml in.ndjson
	[ "$output" = "$a" ]
}
