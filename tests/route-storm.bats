#!/usr/bin/env bats
# grace-route storm control: dedupe and throttle per route, keyed by
# members, in virtual time (each event's `time`), firing and not firing,
# with exact counts and route.throttled summaries.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# ev ID HOST SECOND: an anomaly on HOST at 00:00:SECOND (or 00:MM:SS).
ev() {
	printf '{"id":"%s","type":"anomaly.cpu","time":"2026-01-01T00:%sZ","data":{"host":"%s"}}\n' "$1" "$3" "$2"
}

@test "dedupe: repeats of a key within the window are suppressed and counted; other keys and later repeats pass" {
	cat > routes.yaml <<'EOF2'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  pager: { kind: file, path: pager.ndjson }
routes:
  - name: cpu
    type: anomaly.*
    dedupe: { key: data.host, window: 1m }
    targets: pager
EOF2
	{ ev 1 a 00:00; ev 2 a 00:30; ev 3 b 00:31; ev 4 a 00:59.999; ev 5 a 01:00; ev 6 a 01:30; ev 7 b 02:00; } > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	run -0 jq -c '[.id, .grace.route.targets, .grace.route.reason, .grace.route.rule]' <<< "$output"
	assert_output '["1",["pager"],null,null]
["2",[],"deduped","cpu"]
["3",["pager"],null,null]
["4",[],"deduped","cpu"]
["5",["pager"],null,null]
["6",[],"deduped","cpu"]
["7",["pager"],null,null]'
	[ "$(jq -r .id pager.ndjson | tr '\n' ' ')" = '1 3 5 7 ' ]
	[[ "$stderr" == "7 events, 4 routed, 0 unmatched, 0 quarantined, 3 suppressed, 0 dead-lettered, 0 errors
  storm control: 3 deduped, 0 throttled, 0 inhibited, 0 silenced, 0 route.throttled summaries
"* ]]
	# replayed: the same answers, whatever the clock says now
	run -0 --separate-stderr grace-route -q --dry-run -c routes.yaml < in.ndjson
	[ "$(jq -r '.grace.route.reason // "sent"' <<< "$output" | tr '\n' ' ')" = 'sent deduped sent deduped sent deduped sent ' ]
}

@test "dedupe on a route that continues: the other routes still deliver; a key of several members" {
	cat > routes.yaml <<'EOF2'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  pager: { kind: file, path: pager.ndjson }
  audit: { kind: file, path: audit.ndjson }
routes:
  - name: page
    dedupe: { key: [data.host, type], window: 10s }
    targets: pager
    continue: true
  - name: audit
    targets: audit
EOF2
	printf '%s\n' '{"id":"1","type":"x","time":"2026-01-01T00:00:00Z","data":{"host":"a"}}' \
		'{"id":"2","type":"y","time":"2026-01-01T00:00:01Z","data":{"host":"a"}}' \
		'{"id":"3","type":"x","time":"2026-01-01T00:00:02Z","data":{"host":"a"}}' > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	run -0 jq -c '.grace.route | [.matched, .targets, .suppressed]' <<< "$output"
	assert_output '[["page","audit"],["pager","audit"],null]
[["page","audit"],["pager","audit"],null]
[["page","audit"],["audit"],[{"route":"page","reason":"deduped"}]]'
	[ "$(jq -r .id pager.ndjson | tr '\n' ' ')" = '1 2 ' ]
	[ "$(jq -r .id audit.ndjson | tr '\n' ' ')" = '1 2 3 ' ]
}

@test "throttle: at most N per interval per key; each interval that held events back ends with one route.throttled summary" {
	cat > routes.yaml <<'EOF2'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  pager: { kind: file, path: pager.ndjson }
routes:
  - name: cpu
    type: anomaly.*
    throttle: { key: data.host, limit: 2, interval: 1m }
    targets: pager
    priority: high
EOF2
	{ ev 1 a 00:00; ev 2 a 00:10; ev 3 a 00:20; ev 4 b 00:21; ev 5 a 00:30; ev 6 a 01:05; ev 7 a 01:10; ev 8 b 01:30; } > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	run -0 jq -c 'if .type == "route.throttled" then [.type, .time, .data] else [.id, .grace.route.reason] end' <<< "$output"
	assert_output '["1",null]
["2",null]
["3","throttled"]
["4",null]
["5","throttled"]
["route.throttled","2026-01-01T00:01:00.000000Z",{"route":"cpu","key":{"data.host":"a"},"held":2,"limit":2,"interval":"1m","from":"2026-01-01T00:00:00.000000Z","to":"2026-01-01T00:01:00.000000Z"}]
["6",null]
["7",null]
["8",null]'
	# the summary goes where the route sends, annotated as sent by it
	[ "$(jq -r '.id // .type' pager.ndjson | tr '\n' ' ')" = '1 2 4 route.throttled 6 7 8 ' ]
	[ "$(jq -c 'select(.type == "route.throttled") | .grace.route' pager.ndjson)" = '{"matched":["cpu"],"targets":["pager"],"priority":"high"}' ]
	[[ "$stderr" == "8 events, 6 routed, 0 unmatched, 0 quarantined, 2 suppressed, 0 dead-lettered, 0 errors
  storm control: 0 deduped, 2 throttled, 0 inhibited, 0 silenced, 1 route.throttled summaries
"* ]]
}

@test "throttle: intervals still open at the end of input are summarised; under the limit nothing is held" {
	cat > routes.yaml <<'EOF2'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - name: all
    throttle: { limit: 1, interval: 1h }
    targets: out
EOF2
	{ ev 1 a 00:00; ev 2 b 00:01; ev 3 c 00:02; } > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	run -0 jq -c '[.id, .grace.route.reason, .data.held, .data.key]' <<< "$output"
	assert_output '["1",null,null,null]
["2","throttled",null,null]
["3","throttled",null,null]
[null,null,2,{}]'
	{ ev 1 a 00:00; } > one.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < one.ndjson
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" != *"storm control"* ]]
}

@test "storm control: --explain says which rule held an event back; bad settings are refused" {
	cat > routes.yaml <<'EOF2'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - name: d
    dedupe: { key: data.host, window: 1m }
    targets: out
EOF2
	{ ev 1 a 00:00; ev 2 a 00:05; } > in.ndjson
	run -0 --separate-stderr grace-route -q --dry-run --explain -c routes.yaml < in.ndjson
	[ "$stderr" = 'grace-route: <stdin>:1: event 1
  route d: matched
grace-route: <stdin>:2: event 2
  route d: matched
  route d: deduped: key {"data.host":"a"} seen 5000ms before, window 60000ms' ]
	sed -i 's/window: 1m/window: 0s/' routes.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = 'grace-route: routes.yaml:7:39: the dedupe window must be longer than 0' ]
	sed -i 's/dedupe: .*/throttle: { limit: 0, interval: 1m }/' routes.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = 'grace-route: routes.yaml:7:24: the throttle limit is at least 1, not 0' ]
	sed -i 's/throttle: .*/throttle: { limit: 1, interval: 1m, key: "data.(x)" }/' routes.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = "grace-route: routes.yaml:7:46: key 'data.(x)' is not a member path such as data.host" ]
	sed -i 's/throttle: .*/throttle: { limit: 1 }/' routes.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = "grace-route: routes.yaml:7:15: missing required key 'interval'" ]
}

INH='default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  pager: { kind: file, path: pager.ndjson }
inhibit:
  - name: node-down
    source: { type: node.down }
    target: { type: "latency.*" }
    equal: data.host
    ttl: 10m
  - name: self
    source: { type: "flap.*" }
    target: { type: "flap.*" }
    equal: data.host
    ttl: 10m
routes:
  - type: ["latency.*", node.down, "flap.*"]
    targets: pager'

# iev ID TYPE HOST MM:SS
iev() {
	printf '{"id":"%s","type":"%s","time":"2026-01-01T00:%sZ","data":{"host":"%s"}}\n' "$1" "$2" "$4" "$3"
}

@test "inhibit: while a source event is active, target events with equal members are held back, for the ttl" {
	printf '%s\n' "$INH" > routes.yaml
	{ iev 1 latency.p95 a 00:00; iev 2 node.down a 00:10; iev 3 latency.p95 a 00:20; iev 4 latency.p95 b 00:30
	  iev 5 latency.p99 a 09:00; iev 6 latency.p95 a 10:10; iev 7 latency.p95 a 10:11; } > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	run -0 jq -c '[.id, .grace.route.targets, .grace.route.reason, .grace.route.rule]' <<< "$output"
	assert_output '["1",["pager"],null,null]
["2",["pager"],null,null]
["3",[],"inhibited","node-down"]
["4",["pager"],null,null]
["5",[],"inhibited","node-down"]
["6",["pager"],null,null]
["7",["pager"],null,null]'
	[ "$(jq -r .id pager.ndjson | tr '\n' ' ')" = '1 2 4 6 7 ' ]
	[[ "$stderr" == "7 events, 5 routed, 0 unmatched, 0 quarantined, 2 suppressed, 0 dead-lettered, 0 errors
  storm control: 0 deduped, 0 throttled, 2 inhibited, 0 silenced, 0 route.throttled summaries
"* ]]
}

@test "inhibit: an event matching both sides does not inhibit itself, nor others like it" {
	printf '%s\n' "$INH" > routes.yaml
	{ iev 1 flap.up a 00:00; iev 2 flap.down a 00:01; iev 3 flap.up a 00:02; } > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	[ "$(jq -r '.grace.route.reason // "sent"' <<< "$output" | tr '\n' ' ')" = 'sent sent sent ' ]
}

@test "inhibit: --test and --explain see it; a rule needs equal and two sides" {
	printf '%s\n' "$INH" > routes.yaml
	cat > cases.yaml <<'EOF2'
cases:
  - name: latency is quiet while the node is down
    events:
      - { type: node.down, time: "2026-01-01T00:00:00Z", data: { host: a } }
      - { type: latency.p95, time: "2026-01-01T00:05:00Z", data: { host: a } }
      - { type: latency.p95, time: "2026-01-01T00:05:00Z", data: { host: b } }
    expect:
      - { targets: [pager] }
      - { reason: inhibited, rule: node-down, targets: [] }
      - { targets: [pager] }
EOF2
	run -0 --separate-stderr grace-route -c routes.yaml --test cases.yaml
	assert_output 'ok 1 - latency is quiet while the node is down'
	{ iev 1 node.down a 00:00; iev 2 latency.p95 a 00:01; } > in.ndjson
	run -0 --separate-stderr grace-route -q --dry-run --explain -c routes.yaml < in.ndjson
	[[ "$stderr" == *'  inhibit node-down: inhibited: key {"data.host":"a"} active since 1000ms, ttl 600000ms'* ]]
	sed -i '/    equal: data.host/d' routes.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = "grace-route: routes.yaml:7:5: inhibit 'node-down' needs equal: the members whose values source and target events share" ]
	printf '%s\n' "$INH" | sed 's/    target: { type: "latency.\*" }/    target: {}/' > routes.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = "grace-route: routes.yaml:9:13: an inhibit side must say which events it takes (source, type or match)" ]
}

@test "silences: matching events within [starts, ends) are held back with who and why; expired ones are ignored and --check says so" {
	cat > routes.yaml <<'EOF2'
default: out
dead_letter: dead.ndjson
silences: silences.yaml
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - type: "*"
    targets: out
EOF2
	cat > silences.yaml <<'EOF2'
silences:
  - id: maint-web-1
    match: [data.host = web-1]
    starts: "2026-01-01T00:00:00Z"
    ends: "2099-01-01T00:00:00Z"
    by: alice
    why: disk replacement
  - id: old
    type: "*"
    starts: "2020-01-01T00:00:00Z"
    ends: "2020-01-02T00:00:00Z"
    by: bob
    why: last year
EOF2
	run -0 --separate-stderr grace-route --check -c routes.yaml
	assert_output 'routes.yaml: ok: 1 target, 1 route, default out, 1 warning'
	[ "$stderr" = "grace-route: silences.yaml:8:5: warning: silence 'old' expired at 2020-01-02T00:00:00.000000Z (set by bob: last year): ignored" ]
	printf '%s\n' '{"id":"1","type":"t","time":"2026-06-01T00:00:00Z","data":{"host":"web-1"}}' \
		'{"id":"2","type":"t","time":"2025-12-31T23:59:59Z","data":{"host":"web-1"}}' \
		'{"id":"3","type":"t","time":"2026-06-01T00:00:00Z","data":{"host":"web-2"}}' > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	run -0 jq -c '[.id, .grace.route.targets, .grace.route.reason, .grace.route.rule, .grace.route.by, .grace.route.why]' <<< "$output"
	assert_output '["1",[],"silenced","maint-web-1","alice","disk replacement"]
["2",["out"],null,null,null,null]
["3",["out"],null,null,null,null]'
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = '2 3 ' ]
	[[ "$stderr" == *"storm control: 0 deduped, 0 throttled, 0 inhibited, 1 silenced, 0 route.throttled summaries"* ]]
	sed -i 's/    by: alice/    by: alice\n    note: x/' silences.yaml
	run -2 --separate-stderr grace-route --check -c routes.yaml
	[ "$stderr" = "grace-route: silences.yaml:7:5: unknown key 'note' (expected one of: id, source, type, match, starts, ends, by, why)" ]
}
