#!/usr/bin/env bats
# route-valgrind.bats - grace-route under valgrind memcheck (the plain
# build; ASan builds cannot run under valgrind), on every path a user
# reaches: file, log, stdout, stderr, fifo and exec targets, a subscriber
# that is restarted or cannot start, the overflow policies, storm control,
# the circuit breaker, dead letters and their redelivery, SIGTERM,
# --dry-run, --explain, every output format, --check, --test, bad input,
# a missing input, configuration errors. Errors and definite or indirect
# leaks are fatal (exit 99). Inputs are a few events: valgrind is slow.
load helpers

PLAIN="$ROOT/build"
RFIX="$FIX/route"

setup() {
	[ -x "$PLAIN/bin/grace-route" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$BATS_TEST_TMPDIR" || return 1
	G="$PLAIN/bin/grace-route"
}

VG=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect)

vg() {
	"${VG[@]}" "$@"
}

# waitfor COMMAND...: up to 20 s for COMMAND to succeed.
waitfor() {
	local i
	for ((i = 0; i < 400; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

@test "valgrind: file, log, stdout, stderr and fifo targets, --explain, priorities" {
	mkfifo pipe
	cat > routes.yaml <<'EOF'
default: chain
dead_letter: dead.ndjson
targets:
  chain: { kind: log, path: audit.log }
  file: { kind: file, path: file.ndjson }
  out: { kind: stdout }
  err: { kind: stderr }
  f: { kind: fifo, path: pipe }
routes:
  - name: pages
    type: page
    targets: [file, out, err, f]
    priority: critical
EOF
	printf '%s\n' '{"id":"1","type":"page"}' '{"id":"2","type":"other"}' '{"id":"3","type":"page"}' > in.ndjson
	cat pipe > got.ndjson &
	run -0 --separate-stderr vg "$G" -c routes.yaml --explain < in.ndjson
	wait
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r .id file.ndjson got.ndjson | tr '\n' ' ')" = '1 3 1 3 ' ]
	[[ "$stderr" == *'  route pages: matched'* ]]
	[[ "$stderr" == *'  chain (log): 1 queued, 1 delivered, '* ]]
	run -0 grace-log verify audit.log
	[ "$(jq -r .data.records <<< "$output")" = 1 ]
	cp "$RFIX/match.yaml" .
	run -0 --separate-stderr vg "$G" -q -c match.yaml < "$RFIX/events.ndjson"
	[ "$(jq -r .id unmatched.ndjson | tr '\n' ' ')" = '6 7 9 10 ' ]
	[ "$(jq -r .id audit.ndjson | tr '\n' ' ')" = '1 2 3 4 ' ]
}

@test "valgrind: bad lines, --strict, --max-line, a jq error at run time, a missing input file" {
	cat > routes.yaml <<'EOF'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  big: { kind: file, path: big.ndjson }
routes:
  - when: .data.n > 1 and (.data.n | test("x"))
    targets: big
EOF
	printf '%s\n' '{"id":"1","data":{"n":5}}' 'not json' '{"id":"3","grace":[1]}' '{"id":"4","data":{"n":0}}' \
		"{\"id\":\"5\",\"pad\":\"$(head -c 300 /dev/zero | tr '\0' x)\"}" > in.ndjson
	run -3 --separate-stderr vg "$G" -c routes.yaml --explain < in.ndjson
	[ "${#lines[@]}" -eq 5 ]
	[[ "$stderr" == *"grace-route: <stdin>:2:1: not JSON: unexpected 'n'"* ]]
	[[ "$stderr" == *"grace-route: <stdin>:1: routed to the default target 'out'"* ]]
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = '1 4 5 ' ]
	run -3 --separate-stderr vg "$G" -q --strict -c routes.yaml < in.ndjson
	[ "${#lines[@]}" -eq 2 ]
	# without the jq condition, which costs a second under valgrind
	sed '/^routes:/,$d' routes.yaml > plain.yaml
	echo 'routes: []' >> plain.yaml
	run -3 --separate-stderr vg "$G" -q --max-line 100 -c plain.yaml < in.ndjson
	[ "$(jq -r 'select(.type == "grace.input.rejected") | .data.line' <<< "$output" | tr '\n' ' ')" = '2 3 5 ' ]
	sed -n 4p in.ndjson > ok.ndjson
	run -4 --separate-stderr vg "$G" -q -c plain.yaml ok.ndjson missing.ndjson
	[[ "$stderr" == *"grace-route: missing.ndjson: unable to open: No such file or directory"* ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "valgrind: exec subscribers: one that reads, one that crashes and is restarted, one that exits at once, one that cannot start" {
	cat > routes.yaml <<EOF
default: rec
dead_letter: dead.ndjson
targets:
  rec: { kind: exec, argv: ["$RFIX/record.sh", "got.ndjson"] }
  crash: { kind: exec, argv: ["$RFIX/crash.sh", "crashed.ndjson"], backoff: 20ms }
routes:
  - type: c
    targets: crash
EOF
	printf '%s\n' '{"id":"1"}' '{"id":"2","type":"c","data":{"crash":true}}' '{"id":"3","type":"c"}' '{"id":"4"}' > in.ndjson
	run -0 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	[ "$(jq -r .id got.ndjson | tr '\n' ' ')" = '1 4 ' ]
	[ "$(jq -r .id crashed.ndjson | tr '\n' ' ')" = '2 3 ' ]
	[[ "$stderr" == *"  crash (exec): 2 queued, 2 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned, 1 exits, 1 restarts"* ]]
	cat > routes.yaml <<'EOF'
default: sub
dead_letter: dead.ndjson
targets:
  sub: { kind: exec, argv: [sh, -c, "exit 7"], retries: 1, backoff: 10ms }
routes: []
EOF
	run -1 --separate-stderr vg "$G" -c routes.yaml <<< '{"id":"1"}'
	[ "$(jq -r '.id + " " + .grace.route.dead.reason' dead.ndjson)" = '1 subscriber exited before reading it' ]
	[[ "$stderr" == *"grace-route: target 'sub': subscriber 'sh' (pid "*") exited with status 7"* ]]
	rm dead.ndjson
	# regression: the state of a subscriber that never started leaked
	cat > routes.yaml <<'EOF'
default: sub
dead_letter: dead.ndjson
targets:
  sub: { kind: exec, argv: [./no-such-subscriber], retries: 1, backoff: 10ms }
routes: []
EOF
	run -1 --separate-stderr vg "$G" -c routes.yaml <<< '{"id":"1"}'
	[ "$(grep -c "^grace-route: target 'sub': unable to run './no-such-subscriber': No such file or directory$" <<< "$stderr")" -eq 2 ]
	[ "$(wc -l < dead.ndjson)" -eq 1 ]
}

# over POLICY [EXTRA]: routes.yaml with one fifo target f (queue 2, never
# read unless a test starts a reader) under POLICY.
over() {
	cat > routes.yaml <<EOF
default: f
dead_letter: dead.ndjson
drain_timeout: ${3:-300ms}
targets:
  f: { kind: fifo, path: pipe, queue: 2, overflow: $1, retries: 1000, backoff: 20ms$2 }
routes: []
EOF
}

@test "valgrind: overflow policies: drop_newest, drop_oldest, spill, block" {
	mkfifo pipe
	gen_events 6 > in.ndjson
	over drop_newest
	run -1 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	[ "$(wc -l < dead.ndjson)" -eq 6 ]
	[ "$(grep -c 'queue full (drop_newest)' dead.ndjson)" -ge 1 ]
	rm dead.ndjson
	over drop_oldest
	run -1 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	[ "$(wc -l < dead.ndjson)" -eq 6 ]
	[ "$(grep -c 'queue full (drop_oldest)' dead.ndjson)" -ge 1 ]
	rm dead.ndjson
	# spill: dead-lettered from the spill file at the deadline ...
	over spill ', spill: f.spill'
	run -1 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	[ "$(jq -r .id dead.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 e-4 e-5 e-6 ' ]
	[[ "$stderr" =~ '  f (fifo): 6 queued, 0 delivered, 0 dropped, '[1-9][0-9]*' spilled, 0 failed, 6 abandoned' ]]
	rm dead.ndjson
	# ... and replayed in order once a reader comes
	over spill ', spill: f.spill' 20s
	( waitfor test -s f.spill; cat pipe > got.ndjson ) &
	run -0 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	wait
	[ "$(jq -r .id got.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 e-4 e-5 e-6 ' ]
	[[ "$stderr" =~ '  f (fifo): 6 queued, 6 delivered, 0 dropped, '[1-9][0-9]*' spilled, 0 failed, 0 abandoned' ]]
	[ ! -s dead.ndjson ]
	# block: the reader waits for a late fifo reader
	over block '' 20s
	( sleep 1; cat pipe > got.ndjson ) &
	run -0 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	wait
	[ "$(jq -r .id got.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 e-4 e-5 e-6 ' ]
	[ ! -s dead.ndjson ]
}

@test "valgrind: the circuit breaker trips, probes and closes; open under drop_newest it dead-letters" {
	mkfifo pipe
	gen_events 3 > in.ndjson
	over block ', breaker: { failures: 3, cooldown: 300ms }' 20s
	rc=0
	( waitfor grep -q 'breaker opened' err.txt; sleep 0.5; cat pipe > got.ndjson ) &
	"${VG[@]}" "$G" -c routes.yaml < in.ndjson > out.ndjson 2> err.txt || rc=$?
	wait
	[ "$rc" -eq 0 ] || { cat err.txt; false; }
	[ "$(jq -r .id got.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 ' ]
	[ "$(jq -r 'select(.type | startswith("route.breaker.")) | .type' out.ndjson | sed -n '1p;$p' | tr '\n' ' ')" = 'route.breaker.opened route.breaker.closed ' ]
	grep -q "^grace-route: target 'f': circuit breaker half_open" err.txt
	over drop_newest ', breaker: { failures: 2, cooldown: 10s }'
	run -1 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	[ "$(wc -l < dead.ndjson)" -eq 3 ]
	[ "$(jq -r .grace.route.dead.reason dead.ndjson | grep -c '^breaker open$')" -ge 1 ]
	[ "$(jq -r 'select(.type | startswith("route.")) | .type' <<< "$output")" = 'route.breaker.opened' ]
}

@test "valgrind: dead letters, their redelivery, and SIGTERM" {
	cat > routes.yaml <<'EOF'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: fifo, path: missing.fifo, retries: 0, backoff: 10ms }
routes: []
EOF
	printf '%s\n' '{"id":"1","type":"t","grace":{"gate":{"decision":"allow"}}}' '{"id":"2","type":"t"}' > in.ndjson
	run -1 --separate-stderr vg "$G" -c routes.yaml < in.ndjson
	[ "$(jq -c '[.id, .grace.route.dead.reason]' dead.ndjson | sed -n 1p)" = '["1","retries exhausted: missing.fifo: unable to open: No such file or directory"]' ]
	[[ "$stderr" == *"2 events, 0 routed, 2 unmatched, 0 quarantined, 0 suppressed, 2 dead-lettered, 0 errors"* ]]
	cat > routes2.yaml <<'EOF'
default: out
dead_letter: dead2.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes: []
EOF
	run -0 --separate-stderr vg "$G" -q -c routes2.yaml < dead.ndjson
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = '1 2 ' ]
	[ ! -s dead2.ndjson ]
	# SIGTERM while reading: the queues drain, the summary is printed
	rm out.ndjson
	mkfifo in
	"${VG[@]}" "$G" -c routes2.yaml < in > stdout.ndjson 2> err.txt &
	pid=$!
	exec 7> in
	gen_events 2 >&7
	waitfor grep -q '"e-2"' out.ndjson
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" -eq 0 ] || { cat err.txt; false; }
	[ "$(wc -l < out.ndjson)" -eq 2 ]
	grep -q '^grace-route: SIGTERM: stopped reading; queues drained$' err.txt
	grep -q '^2 events, 0 routed, 2 unmatched, ' err.txt
}

@test "valgrind: storm control: dedupe, throttle, inhibit and silences, with --explain" {
	cat > routes.yaml <<'EOF'
default: out
dead_letter: dead.ndjson
silences: silences.yaml
targets:
  out: { kind: file, path: out.ndjson }
  pager: { kind: file, path: pager.ndjson }
inhibit:
  - name: node-down
    source: { type: node.down }
    target: { type: "latency.*" }
    equal: data.host
    ttl: 10m
routes:
  - name: dd
    type: dd
    dedupe: { key: data.host, window: 1m }
    targets: pager
  - name: th
    type: th
    throttle: { key: data.host, limit: 1, interval: 1m }
    targets: pager
  - type: ["latency.*", node.down, "quiet"]
    targets: pager
EOF
	cat > silences.yaml <<'EOF'
silences:
  - id: maint
    type: quiet
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
EOF
	for e in 'dd a 00:00' 'dd a 00:10' 'th a 00:00' 'th a 00:20' 'th a 00:30' 'node.down a 00:00' 'latency.p95 a 00:05' 'quiet a 00:06'; do
		set -- $e
		printf '{"type":"%s","time":"2026-01-01T00:%sZ","data":{"host":"%s"}}\n' "$1" "$3" "$2"
	done > in.ndjson
	run -0 --separate-stderr vg "$G" -c routes.yaml --explain < in.ndjson
	[ "$(jq -r '.grace.route.reason // .type' <<< "$output" | tr '\n' ' ')" = 'dd deduped th throttled throttled node.down inhibited silenced route.throttled ' ]
	[[ "$stderr" == *"storm control: 1 deduped, 2 throttled, 1 inhibited, 1 silenced, 1 route.throttled summaries"* ]]
	[[ "$stderr" == *'  inhibit node-down: inhibited: key {"data.host":"a"}'* ]]
	[ "$(wc -l < pager.ndjson)" -eq 4 ]
	run -0 --separate-stderr vg "$G" -c routes.yaml --check
	assert_output 'routes.yaml: ok: 2 targets, 3 routes, default out, 1 warning'
	[[ "$stderr" == *"warning: silence 'old' expired"* ]]
}

@test "valgrind: --dry-run and every output format, with quarantine, dead letters, bad lines and jq errors" {
	cat > routes.yaml <<'EOF'
default: out
quarantine: quar
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  quar: { kind: file, path: quar.ndjson }
  deploy: { kind: file, path: deploy.ndjson }
  gone: { kind: fifo, path: nofifo, retries: 0, backoff: 10ms }
routes:
  - name: approved-deploys
    type: deploy.*
    require: { gate: [allow, warn], decision: approve }
    validate: .actor | test("^a")
    targets: deploy
  - name: lost
    type: lost
    targets: gone
EOF
	cat > in.ndjson <<'EOF'
{"id":"1","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"allow"},"decision":{"verdict":"approve"}}}
{"id":"2","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"deny"},"decision":{"verdict":"approve"}}}
{"id":"3","type":"lost"}
{"id":"4","type":"deploy.x","actor":5,"grace":{"gate":{"decision":"allow"},"decision":{"verdict":"approve"}}}
{"id":"5","type":"other"}
not json
EOF
	local f
	run -3 --separate-stderr vg "$G" -c routes.yaml --dry-run --explain < in.ndjson
	[ "$(jq -c '[.grace.route.targets[0], .grace.route.dry_run]' <<< "$output" | head -3 | tr '\n' ' ')" = '["deploy",true] ["quar",true] ["gone",true] ' ]
	[[ "$stderr" == *"(dry run: nothing delivered)"* ]]
	[ ! -e out.ndjson ] && [ ! -e dead.ndjson ]
	# (-o ndjson, the default, is every other test here)
	for f in text tap junit github; do
		rm -f dead.ndjson
		NO_COLOR=1 run -3 --separate-stderr vg "$G" -q -o "$f" -c routes.yaml < in.ndjson
		[ "${#lines[@]}" -ge 6 ]
		[ "$(wc -l < dead.ndjson)" -eq 1 ]
		[[ "$stderr" == *"grace-route: <stdin>:4: routed to the default target 'out'"* ]]
	done
	assert_output --partial '::error title=grace-route dead::dead letters: dead - 1 event dead-lettered to dead.ndjson'
	[ "$(jq -r .id quar.ndjson | tr '\n' ' ')" = '2 2 2 2 ' ]
}

@test "valgrind: --check, ok and refused configurations" {
	cd "$ROOT"
	run -0 --separate-stderr vg "$G" --check
	assert_output 'config/routes.yaml: ok: 12 targets, 11 routes, default unrouted, 0 warnings'
	cd "$BATS_TEST_TMPDIR"
	# bad TEXT MESSAGE: routes.yaml is refused with MESSAGE, exit 2
	bad() {
		printf '%s\n' "$1" > routes.yaml
		run -2 --separate-stderr vg "$G" -c routes.yaml --check
		[[ "$stderr" == *"$2"* ]] || { echo "$1 -> $stderr"; return 1; }
	}
	local H='default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:'
	bad "$H
  - name: r1
    targets: [out, paegr]" "route 'r1': unknown target 'paegr'"
	bad "$H
  - type: 'gate.[abc'
    targets: out" "bad glob 'gate.[abc'"
	bad "$H
  - match: [\"data.host =~ web-([\"]
    targets: out" "bad regex: premature end of char-class"
	bad "$H
  - when: \".data.n >\"
    targets: out" "invalid jq expression '.data.n >'"
	bad "$H
  - match: [\"data..host = web\"]
    targets: out" "empty part in the member path"
	bad "$H
  - type: a
    targets: out
    contiune: true" "unknown key 'contiune'"
	bad "$H
  - name: everything
    targets: out
  - name: late
    type: x
    targets: out" "route 'late' can never match"
	bad "$H
  - targets: out
    dedupe: { key: data.host, window: 0s }" "the dedupe window must be longer than 0"
	bad "$H
  - targets: out
    throttle: { limit: 1, interval: 1m, key: \"data.(x)\" }" "is not a member path"
	bad 'default: out
dead_letter: d
targets:
  out: { kind: exec, argv: "notify-send $x" }
routes: []' "argv is a list of strings"
	bad 'default: out
dead_letter: d
targets:
  out: { kind: file, path: x, backoff: 5 }
routes: []' "missing unit in duration '5'"
	bad 'default: out
dead_letter: d
inhibit:
  - name: i
    source: { type: a }
    target: { type: b }
    ttl: 1m
targets:
  out: { kind: file, path: x }
routes: []' "inhibit 'i' needs equal"
	# a missing silences file is a configuration error, as a missing
	# routes file is
	printf 'default: out\ndead_letter: d\nsilences: s.yaml\ntargets:\n  out: { kind: file, path: x }\nroutes: []\n' > routes.yaml
	run -2 --separate-stderr vg "$G" -c routes.yaml --check
	[ "$stderr" = 'grace-route: s.yaml: cannot open: No such file or directory' ]
	printf 'silences:\n  - id: s\n    type: a\n    starts: "2026-01-01T00:00:00Z"\n    ends: "2099-01-01T00:00:00Z"\n    by: a\n    why: b\n    note: x\n' > s.yaml
	bad 'default: out
dead_letter: d
silences: s.yaml
targets:
  out: { kind: file, path: x }
routes: []' "unknown key 'note'"
	bad 'default: [out' "routes.yaml:"
	# a run refuses them too, before reading
	run -2 --separate-stderr vg "$G" -c routes.yaml <<< '{"id":"1"}'
	assert_output ''
	run -2 --separate-stderr vg "$G" -c nothere.yaml < /dev/null
	[ "$stderr" = "grace-route: nothere.yaml: cannot open: No such file or directory" ]
	run -2 --separate-stderr vg "$G" -c routes.yaml -o xml < /dev/null
	[[ "$stderr" == "grace-route: -o takes ndjson, text, tap, junit or github, not 'xml'"* ]]
}

@test "valgrind: --test: the shipped cases, a failing case in each format, bad test files" {
	cd "$ROOT"
	run -0 --separate-stderr vg "$G" --test config/routes.test.yaml
	[ "$stderr" = '9 cases, 9 passed, 0 failed' ]
	refute_output --partial 'not ok'
	cd "$BATS_TEST_TMPDIR"
	cp "$RFIX/match.yaml" .
	cat > cases.yaml <<'EOF'
cases:
  - name: denials page
    events:
      - { id: "1", source: grace-gate, type: gate.denied, data: { host: web-1, env: prod } }
    expect:
      - { targets: [audit, pager], rule: deny-web }
  - name: wrong on purpose
    summaries: 0
    events:
      - { id: "2", type: anomaly.x, time: "2026-01-01T00:00:00Z", data: { host: web-1 } }
      - { id: "3", type: anomaly.x, data: { host: db-1 } }
    expect:
      - { targets: [web] }
      - { targets: [web] }
EOF
	local f
	run -1 --separate-stderr vg "$G" -c match.yaml --test cases.yaml
	assert_line --index 1 'not ok 2 - wrong on purpose: event 2 (line 14): expected targets [web], got [unmatched]'
	[ "$stderr" = '2 cases, 1 passed, 1 failed' ]
	# without its one jq condition, which costs a second under valgrind
	sed '/when:/d' match.yaml > nojq.yaml
	for f in text tap junit github; do
		run -1 --separate-stderr vg "$G" -c nojq.yaml --test cases.yaml -o "$f"
		[ "${#lines[@]}" -ge 2 ]
	done
	printf 'cases:\n  - name: x\n    events: [{type: a}]\n    expect: [{targets: [nope]}]\n' > cases.yaml
	run -2 --separate-stderr vg "$G" -c nojq.yaml --test cases.yaml
	[ "$stderr" = "grace-route: cases.yaml:4:25: unknown target 'nope'" ]
	printf 'cases:\n  - name: x\n    events: [{type: a}]\n    expect: [{reason: lost}]\n' > cases.yaml
	run -2 --separate-stderr vg "$G" -c nojq.yaml --test cases.yaml
	[[ "$stderr" == "grace-route: cases.yaml:4:23: unknown reason 'lost'"* ]]
	printf 'cases:\n  - name: x\n    events: [{type: a}, {type: b}]\n    expect: [{}]\n' > cases.yaml
	run -2 --separate-stderr vg "$G" -c nojq.yaml --test cases.yaml
	[ "$stderr" = "grace-route: cases.yaml:4:13: expect is a list with one entry per event (2)" ]
	run -2 --separate-stderr vg "$G" -c nojq.yaml --test missing.yaml
	[ "$stderr" = "grace-route: missing.yaml: cannot open: No such file or directory" ]
}
