#!/usr/bin/env bats
# grace-route: exec subscribers (data only, crash and restart), the
# overflow policies, spill replay, priorities, isolation of a slow target,
# SIGTERM and end-of-input drain, dead letters and their redelivery. Real
# processes: tests/fixtures/route/{record,crash,slow}.sh.

load helpers

RFIX="$FIX/route"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

ids() {
	jq -r .id "$@" | tr '\n' ' '
}

# summary_of TARGET: the counters of TARGET's summary line on stderr.
summary_of() {
	grep "^  $1 (" <<< "$stderr"
}

@test "exec: event data with shell metacharacters reaches the subscriber as data only" {
	cat > routes.yaml <<EOF
default: sub
dead_letter: dead.ndjson
targets:
  sub: { kind: exec, argv: ["$RFIX/record.sh", "got.ndjson", "\$(touch argv-pwned)"] }
routes: []
EOF
	cat > in.ndjson <<'EOF'
{"id":"1","data":{"cmd":"$(touch pwned1); `touch pwned2`; rm -rf / | cat > x & echo 'q' \"dq\" \\ ;"}}
{"id":"2","data":{"cmd":"'; touch pwned3; '"}}
EOF
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	[ -z "$stderr" ]
	[ ! -e pwned1 ] && [ ! -e pwned2 ] && [ ! -e pwned3 ] && [ ! -e argv-pwned ] && [ ! -e x ]
	[ "$(jq -r .data.cmd got.ndjson)" = "\$(touch pwned1); \`touch pwned2\`; rm -rf / | cat > x & echo 'q' \"dq\" \\ ;
'; touch pwned3; '" ]
	[ "$(cat got.ndjson)" = "$output" ]
}

@test "exec: a subscriber that crashes is restarted, reported, and sent what it had not read" {
	cat > routes.yaml <<EOF
default: sub
dead_letter: dead.ndjson
targets:
  sub: { kind: exec, argv: ["$RFIX/crash.sh", "got.ndjson"], backoff: 20ms }
routes: []
EOF
	printf '%s\n' '{"id":"1"}' '{"id":"2","data":{"crash":true}}' '{"id":"3"}' '{"id":"4","data":{"crash":true}}' '{"id":"5"}' > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(ids got.ndjson)" = '1 2 3 4 5 ' ]
	[ ! -s dead.ndjson ]
	run -0 grep -c "^grace-route: target 'sub': subscriber '$RFIX/crash.sh' (pid [0-9]*) exited with status 3$" <<< "$stderr"
	[ "$output" -eq 2 ]
	run -0 grep -c "^grace-route: target 'sub': subscriber '$RFIX/crash.sh' restarted (pid [0-9]*)$" <<< "$stderr"
	[ "$output" -eq 2 ]
	[ "$(summary_of sub)" = '  sub (exec): 5 queued, 5 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned, 2 exits, 2 restarts' ]
}

@test "exec: a subscriber that always dies before reading: retries, then dead letters" {
	cat > routes.yaml <<'EOF'
default: sub
dead_letter: dead.ndjson
targets:
  sub: { kind: exec, argv: [sh, -c, "exit 7"], retries: 2, backoff: 10ms }
routes: []
EOF
	printf '%s\n' '{"id":"1"}' '{"id":"2"}' > in.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(ids dead.ndjson)" = '1 2 ' ]
	[ "$(jq -c '.grace.route.dead | [.target, .reason, .attempts]' dead.ndjson | sort -u)" = '["sub","subscriber exited before reading it",3]' ]
	[[ "$stderr" == *"grace-route: target 'sub': subscriber 'sh' (pid "*") exited with status 7"* ]]
	[[ "$stderr" == *"2 events, 0 routed, 2 unmatched, 0 quarantined, 0 suppressed, 2 dead-lettered, 0 errors"* ]]
	[[ "$(summary_of sub)" =~ ^'  sub (exec): 2 queued, 0 delivered, 0 dropped, 0 spilled, 2 failed, 0 abandoned, '([0-9]+)' exits, '([0-9]+)' restarts'$ ]]
	# each event was tried by three subscribers
	[ "${BASH_REMATCH[1]}" -ge 3 ] && [ "${BASH_REMATCH[2]}" -ge 2 ]
}

@test "exec: a command that cannot be started is retried and dead-lettered, exit 1" {
	cat > routes.yaml <<'EOF'
default: sub
dead_letter: dead.ndjson
targets:
  sub: { kind: exec, argv: [./no-such-subscriber], retries: 1, backoff: 10ms }
routes: []
EOF
	run -1 --separate-stderr grace-route -c routes.yaml <<< '{"id":"1"}'
	[ "$(jq -c '.grace.route.dead | [.target, .reason, .attempts]' dead.ndjson)" = '["sub","retries exhausted: unable to run '"'./no-such-subscriber'"': No such file or directory",2]' ]
	[ "$(grep -c "^grace-route: target 'sub': unable to run './no-such-subscriber': No such file or directory$" <<< "$stderr")" -eq 2 ]
}

@test "dead letters are the original event plus grace.route.dead, and route again as they are" {
	cat > routes.yaml <<'EOF'
default: out
dead_letter: dead.ndjson
targets:
  out: { kind: fifo, path: missing.fifo, retries: 0, backoff: 10ms }
routes: []
EOF
	printf '%s\n' '{"id":"1","type":"t","grace":{"gate":{"decision":"allow"}}}' '{"id":"2","type":"t"}' > in.ndjson
	run -1 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	run -0 jq -c 'del(.grace.route.dead.time)' dead.ndjson
	assert_output '{"id":"1","type":"t","grace":{"gate":{"decision":"allow"},"route":{"dead":{"target":"out","reason":"retries exhausted: missing.fifo: unable to open: No such file or directory","attempts":1}}}}
{"id":"2","type":"t","grace":{"route":{"dead":{"target":"out","reason":"retries exhausted: missing.fifo: unable to open: No such file or directory","attempts":1}}}}'
	[[ "$(jq -r .grace.route.dead.time dead.ndjson | head -1)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z$ ]]
	# once the target is back, the dead letters are delivered again
	cat > routes2.yaml <<'EOF'
default: out
dead_letter: dead2.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes: []
EOF
	run -0 --separate-stderr grace-route -q -c routes2.yaml < dead.ndjson
	[ "$(ids out.ndjson)" = '1 2 ' ]
	[ "$(jq -c .grace out.ndjson | head -1)" = '{"gate":{"decision":"allow"},"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}' ]
	[ ! -s dead2.ndjson ]
}

@test "SIGTERM: reading stops, queues drain until the deadline, the rest is dead-lettered exactly" {
	cat > routes.yaml <<EOF
default: slow
dead_letter: dead.ndjson
drain_timeout: 600ms
targets:
  slow: { kind: exec, argv: ["$RFIX/slow.sh", "got.ndjson", "0.2"] }
  fast: { kind: file, path: fast.ndjson }
routes:
  - targets: [slow, fast]
EOF
	mkfifo in
	grace-route -c routes.yaml < in > out.ndjson 2> err.txt &
	pid=$!
	exec 7> in
	gen_events 20 >&7
	sleep 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	exec 7>&-
	# every event read reached the fast target and stdout; the slow one
	# got some, and exactly the others are dead letters
	[ "$(wc -l < fast.ndjson)" -eq 20 ]
	[ "$(wc -l < out.ndjson)" -eq 20 ]
	got=$(wc -l < got.ndjson)
	dead=$(wc -l < dead.ndjson)
	[ "$got" -ge 3 ] && [ "$dead" -ge 1 ]
	[ $((got + dead)) -eq 20 ]
	[ "$(ids got.ndjson dead.ndjson)" = "$(seq -f 'e-%g' 1 20 | tr '\n' ' ')" ]
	[ "$(jq -r .grace.route.dead.reason dead.ndjson | sort -u | tr '\n' '|')" = 'drain deadline (the subscriber had not read it)|' ] ||
		[ "$(jq -r .grace.route.dead.reason dead.ndjson | sort -u | tr '\n' '|')" = 'drain deadline (the subscriber had not read it)|drain deadline|' ]
	stderr=$(cat err.txt)
	[[ "$stderr" == *"grace-route: SIGTERM: stopped reading; queues drained
20 events, 20 routed, 0 unmatched, 0 quarantined, 0 suppressed, $dead dead-lettered, 0 errors
  slow (exec): 20 queued, $got delivered, "* ]]
	[[ "$(summary_of fast)" == '  fast (file): 20 queued, 20 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned' ]]
}

@test "end of input drains the queues: a slow subscriber gets everything within the deadline" {
	cat > routes.yaml <<EOF
default: slow
dead_letter: dead.ndjson
drain_timeout: 10s
targets:
  slow: { kind: exec, argv: ["$RFIX/slow.sh", "got.ndjson", "0.02"] }
routes: []
EOF
	gen_events 20 > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(ids got.ndjson)" = "$(seq -f 'e-%g' 1 20 | tr '\n' ' ')" ]
	[ ! -s dead.ndjson ]
	[ "$(summary_of slow)" = '  slow (exec): 20 queued, 20 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned, 0 exits, 0 restarts' ]
}

@test "a target that never becomes writable: its queue is dead-lettered at the deadline, the others are not held up" {
	mkfifo nobody
	cat > routes.yaml <<'EOF'
default: f
dead_letter: dead.ndjson
drain_timeout: 300ms
targets:
  f: { kind: fifo, path: nobody, retries: 1000, backoff: 50ms }
  file: { kind: file, path: file.ndjson }
routes:
  - targets: [f, file]
EOF
	gen_events 30 > in.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(ids file.ndjson)" = "$(seq -f 'e-%g' 1 30 | tr '\n' ' ')" ]
	[ "$(ids dead.ndjson)" = "$(seq -f 'e-%g' 1 30 | tr '\n' ' ')" ]
	[ "$(jq -r .grace.route.dead.reason dead.ndjson | sort -u)" = 'drain deadline' ]
	[ "$(summary_of f)" = '  f (fifo): 30 queued, 0 delivered, 0 dropped, 0 spilled, 0 failed, 30 abandoned' ]
	[[ "$stderr" == *"30 events, 30 routed, 0 unmatched, 0 quarantined, 0 suppressed, 30 dead-lettered, 0 errors"* ]]
}

# A blocked subscriber: it reads nothing until the file 'go' exists.
gated() {
	cat > gate.sh <<'EOF'
#!/bin/sh
while [ ! -e go ]; do sleep 0.02; done
exec "$@"
EOF
	chmod +x gate.sh
}

@test "drop_newest: a full queue dead-letters the arriving event; counts add up exactly" {
	gated
	cat > routes.yaml <<EOF
default: sub
dead_letter: dead.ndjson
drain_timeout: 10s
targets:
  sub: { kind: exec, argv: [./gate.sh, "$RFIX/record.sh", got.ndjson], queue: 5, overflow: drop_newest }
routes: []
EOF
	pad=$(head -c 2000 /dev/zero | tr '\0' p)
	for i in $(seq 1 40); do printf '{"id":"%d","pad":"%s"}\n' "$i" "$pad"; done > in.ndjson
	( sleep 1; touch go ) &
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	wait
	got=$(wc -l < got.ndjson)
	dropped=$(wc -l < dead.ndjson)
	[ $((got + dropped)) -eq 40 ]
	[ "$dropped" -ge 25 ]
	[ "$(jq -r .grace.route.dead.reason dead.ndjson | sort -u)" = 'queue full (drop_newest)' ]
	# nothing delivered twice, nothing lost, each stream in order
	[ "$(jq -r .id got.ndjson dead.ndjson | sort -n | tr '\n' ' ')" = "$(seq 1 40 | tr '\n' ' ')" ]
	[ "$(jq -r .id got.ndjson | sort -n | tr '\n' ' ')" = "$(ids got.ndjson)" ]
	# the first events were kept; stdout says which events were dropped
	[ "$(jq -r .id got.ndjson | head -1)" = 1 ]
	[ "$(jq -c 'select(.grace.route.dead_lettered) | .id' <<< "$output" | wc -l)" -eq "$dropped" ]
	[ "$(summary_of sub)" = "  sub (exec): $got queued, $got delivered, $dropped dropped, 0 spilled, 0 failed, 0 abandoned, 0 exits, 0 restarts" ]
}

@test "drop_oldest: a full queue dead-letters the oldest queued event; the newest are kept" {
	gated
	cat > routes.yaml <<EOF
default: sub
dead_letter: dead.ndjson
drain_timeout: 10s
targets:
  sub: { kind: exec, argv: [./gate.sh, "$RFIX/record.sh", got.ndjson], queue: 5, overflow: drop_oldest }
routes: []
EOF
	pad=$(head -c 2000 /dev/zero | tr '\0' p)
	for i in $(seq 1 40); do printf '{"id":"%d","pad":"%s"}\n' "$i" "$pad"; done > in.ndjson
	( sleep 1; touch go ) &
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	wait
	got=$(wc -l < got.ndjson)
	dropped=$(wc -l < dead.ndjson)
	[ $((got + dropped)) -eq 40 ]
	[ "$dropped" -ge 25 ]
	[ "$(jq -r .grace.route.dead.reason dead.ndjson | sort -u)" = 'queue full (drop_oldest)' ]
	[ "$(jq -r .id got.ndjson dead.ndjson | sort -n | tr '\n' ' ')" = "$(seq 1 40 | tr '\n' ' ')" ]
	# the last five events were queued last and are never the oldest
	[ "$(jq -r .id got.ndjson | tail -5 | tr '\n' ' ')" = '36 37 38 39 40 ' ]
	[ "$(ids dead.ndjson)" = "$(jq -r .id dead.ndjson | sort -n | tr '\n' ' ')" ]
	[ "$(summary_of sub)" = "  sub (exec): 40 queued, $got delivered, $dropped dropped, 0 spilled, 0 failed, 0 abandoned, 0 exits, 0 restarts" ]
}

@test "spill: overflow goes to the spill file and is replayed in order; nothing dropped" {
	gated
	cat > routes.yaml <<EOF
default: sub
dead_letter: dead.ndjson
drain_timeout: 20s
targets:
  sub: { kind: exec, argv: [./gate.sh, "$RFIX/record.sh", got.ndjson], queue: 3, overflow: spill, spill: sub.spill }
routes: []
EOF
	pad=$(head -c 2000 /dev/zero | tr '\0' p)
	for i in $(seq 1 60); do printf '{"id":"%d","pad":"%s"}\n' "$i" "$pad"; done > in.ndjson
	( sleep 1; touch go ) &
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	wait
	[ "$(ids got.ndjson)" = "$(seq 1 60 | tr '\n' ' ')" ]
	[ ! -s dead.ndjson ]
	[ ! -s sub.spill ]
	[[ "$(summary_of sub)" =~ ^'  sub (exec): 60 queued, 60 delivered, 0 dropped, '([0-9]+)' spilled, 0 failed, 0 abandoned, 0 exits, 0 restarts'$ ]]
	[ "${BASH_REMATCH[1]}" -ge 40 ]
}

@test "spill: what is still spilled at the deadline is dead-lettered; a spill file in use is refused" {
	mkfifo nobody
	cat > routes.yaml <<'EOF'
default: f
dead_letter: dead.ndjson
drain_timeout: 300ms
targets:
  f: { kind: fifo, path: nobody, queue: 2, overflow: spill, spill: f.spill, retries: 1000 }
routes: []
EOF
	gen_events 10 > in.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(ids dead.ndjson)" = "$(seq -f 'e-%g' 1 10 | tr '\n' ' ')" ]
	[ ! -s f.spill ]
	[[ "$(summary_of f)" =~ ^'  f (fifo): 10 queued, 0 delivered, 0 dropped, '[0-9]+' spilled, 0 failed, 10 abandoned'$ ]]
	flock f.spill sleep 2 &
	sleep 0.3
	run -4 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$stderr" = 'grace-route: f.spill: spill file in use by another process: Resource temporarily unavailable' ]
	wait
}

@test "block: a full queue holds the reader back; everything is delivered" {
	gated
	cat > routes.yaml <<EOF
default: sub
dead_letter: dead.ndjson
drain_timeout: 20s
targets:
  sub: { kind: exec, argv: [./gate.sh, "$RFIX/record.sh", got.ndjson], queue: 2 }
routes: []
EOF
	gen_events 50 > in.ndjson
	( sleep 0.5; touch go ) &
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	wait
	[ "$(ids got.ndjson)" = "$(seq -f 'e-%g' 1 50 | tr '\n' ' ')" ]
	[ ! -s dead.ndjson ]
}

@test "priorities: a critical event overtakes queued low-priority ones behind a slow target" {
	cat > routes.yaml <<EOF
default: slow
dead_letter: dead.ndjson
drain_timeout: 20s
targets:
  slow: { kind: exec, argv: ["$RFIX/slow.sh", got.ndjson, "0.05"] }
routes:
  - type: page
    targets: slow
    priority: critical
  - targets: slow
    priority: low
EOF
	pad=$(head -c 3000 /dev/zero | tr '\0' p)
	{ for i in $(seq 1 30); do printf '{"id":"%d","type":"chatter","pad":"%s"}\n' "$i" "$pad"; done
	  echo '{"id":"page","type":"page"}'; } > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(wc -l < got.ndjson)" -eq 31 ]
	pos=$(jq -r .id got.ndjson | grep -n '^page$' | cut -d: -f1)
	# the pipe holds one page and the writer one event: at most a few
	# low events were already on their way
	[ "$pos" -le 5 ]
	# the low ones keep their order
	[ "$(jq -r 'select(.type == "chatter") | .id' got.ndjson | tr '\n' ' ')" = "$(seq 1 30 | tr '\n' ' ')" ]
}

@test "isolation: a stuck target under drop_newest does not slow the others" {
	gated
	cat > routes.yaml <<EOF
default: stuck
dead_letter: dead.ndjson
drain_timeout: 200ms
targets:
  stuck: { kind: exec, argv: [./gate.sh, cat], queue: 10, overflow: drop_newest }
  fast: { kind: file, path: fast.ndjson }
routes:
  - targets: [stuck, fast]
EOF
	gen_events 20000 > in.ndjson
	start=$(date +%s%N)
	run -1 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	end=$(date +%s%N)
	[ "$(wc -l < fast.ndjson)" -eq 20000 ]
	[ "$(wc -l < dead.ndjson)" -ge 19900 ]
	# 20000 events and a 200 ms deadline: well under 10 s
	[ $(( (end - start) / 1000000 )) -lt 10000 ]
}

@test "circuit breaker: a failing target trips, probes after the cool-down, and closes on success" {
	mkfifo pipe
	cat > routes.yaml <<'EOF2'
default: f
dead_letter: dead.ndjson
drain_timeout: 5s
targets:
  f: { kind: fifo, path: pipe, retries: 100, backoff: 20ms, breaker: { failures: 3, cooldown: 300ms } }
routes: []
EOF2
	gen_events 3 > in.ndjson
	( sleep 0.8; cat pipe > got.ndjson ) &
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	wait
	[ "$(ids got.ndjson)" = 'e-1 e-2 e-3 ' ]
	[ ! -s dead.ndjson ]
	# the stream: the three events, and the breaker's state changes
	run -0 jq -r 'select(.type | startswith("route.breaker.")) | .type' <<< "$output"
	[ "${lines[0]}" = route.breaker.opened ]
	[ "${lines[1]}" = route.breaker.half_open ]
	[ "${lines[-1]}" = route.breaker.closed ]
	# opened and half_open alternate until the probe gets through
	[ "$(printf '%s\n' "${lines[@]}" | uniq | wc -l)" -eq "${#lines[@]}" ]
	[[ "$stderr" == *"grace-route: target 'f': circuit breaker opened: pipe: no reader on the fifo
grace-route: target 'f': circuit breaker half_open"* ]]
	[[ "$stderr" == *"grace-route: target 'f': circuit breaker closed
3 events, 0 routed, 3 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 0 errors"* ]]
}

@test "circuit breaker: opening under a drop policy dead-letters what waits in the queue at once" {
	cat > routes.yaml <<'EOF2'
default: f
dead_letter: dead.ndjson
drain_timeout: 3s
targets:
  f: { kind: fifo, path: nopipe, retries: 100, backoff: 400ms, overflow: drop_newest, breaker: { failures: 2, cooldown: 1h } }
routes: []
EOF2
	mkfifo in
	# e-1 fails, waits 400ms to retry; meanwhile three events queue up
	# behind it; the second failure opens the breaker
	( gen_events 1; sleep 0.15; gen_events 3 queued; sleep 1.5 ) > in &
	run -1 --separate-stderr grace-route -c routes.yaml < in
	wait
	[ "$(jq -r '.id + " " + .grace.route.dead.reason + " " + (.grace.route.dead.attempts | tostring)' dead.ndjson)" = 'e-1 breaker open 2
queued-1 breaker open 0
queued-2 breaker open 0
queued-3 breaker open 0' ]
	# they had left stdout as queued; the summary counts them as dropped
	run -0 jq -r 'select(.grace.route.dead_lettered) | .id' <<< "$output"
	assert_output ''
	[[ "$(summary_of f)" == '  f (fifo): 4 queued, 0 delivered, 3 dropped, 0 spilled, 1 failed, 0 abandoned, breaker opened 1 times' ]]
	[[ "$stderr" == *"4 dead-lettered"* ]]
}

@test "circuit breaker: open under a drop policy, events are dead-lettered at once" {
	cat > routes.yaml <<'EOF2'
default: f
dead_letter: dead.ndjson
drain_timeout: 300ms
targets:
  f: { kind: fifo, path: nopipe, retries: 100, backoff: 10ms, overflow: drop_newest, breaker: { failures: 2, cooldown: 10s } }
routes: []
EOF2
	mkfifo in
	( gen_events 1; sleep 0.5; gen_events 3 later ) > in &
	run -1 --separate-stderr grace-route -c routes.yaml < in
	wait
	[ "$(jq -r '.id + " " + .grace.route.dead.reason' dead.ndjson)" = 'e-1 breaker open
later-1 breaker open
later-2 breaker open
later-3 breaker open' ]
	[ "$(jq -r 'select(.type | startswith("route.")) | .type' <<< "$output")" = 'route.breaker.opened' ]
	[[ "$(summary_of f)" == '  f (fifo): 1 queued, 0 delivered, 3 dropped, 0 spilled, 1 failed, 0 abandoned, breaker opened 1 times' ]]
}

@test "dead letters: one made at once from the event read (drop_newest) has the bytes of one made from the queued line, whatever grace held" {
	cat > routes.yaml <<'EOF2'
default: stuck
dead_letter: dead.ndjson
drain_timeout: 100ms
targets:
  stuck: { kind: exec, argv: [sleep, "30"], queue: 1, overflow: drop_newest }
  bad: { kind: file, path: no/such/dir/out.ndjson, retries: 0 }
routes:
  - targets: [bad, stuck]
EOF2
	for ((i = 1; i <= 60; i++)); do
		printf '{"type":"t","id":"a%d"}\n' "$i"
		printf '{"type":"t","id":"b%d","grace":{}}\n' "$i"
		printf '{"type":"t","id":"c%d","grace":{"gate":{"verdict":"allow"}}}\n' "$i"
		printf '{"type":"t","id":"d%d","grace":{"route":{"old":true},"gate":1}}\n' "$i"
		printf '{ "type" : "t" , "id":"e%d" , "grace" : { "route" : 1 , "x" : [ ] } } \n' "$i"
		printf '{"type":"t","id":"f%d","data":{"s":"}\\"{\\u00e9"},"grace":{"heal":{"a":[1,{"route":2}]}}}\n' "$i"
		printf '{"id":"g%d","type":"t","grace":{ }}\n' "$i"
		printf '{"type":"t","grace":{"route":{"a":1},"route2":0},"id":"h%d"}\n' "$i"
	done > in.ndjson
	run -1 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	printf '%s\n' "$output" > stream.ndjson
	# every event is dead-lettered for bad (from the queued line) ...
	[ "$(grep -c '"dead":{"target":"bad","reason":"retries exhausted: ' dead.ndjson)" -eq 480 ]
	# ... and most for stuck at once, from the event (each shape some)
	for s in a b c d e f g h; do
		grep '"reason":"queue full (drop_newest)"' dead.ndjson | grep -q "\"id\":\"$s[0-9]*\"" || false
	done
	# the two letters of an event differ in the dead member only
	sed -E 's/"dead":\{"target":"[a-z]*","reason":"[^"]*","attempts":[0-9]+,"time":"[^"]*"\}/"dead":X/' dead.ndjson | sort | uniq -c > letters
	run -0 awk '$1 < 2' letters
	assert_output ''
	[ "$(wc -l < letters)" -eq 480 ]
	# and are the event with grace.route.dead spliced in, in place
	grep -F '{"type":"t","id":"a1","grace":{"route":{"dead":X}}}' letters
	grep -F '{"type":"t","id":"b1","grace":{"route":{"dead":X}}}' letters
	grep -F '{ "type" : "t" , "id":"e1" , "grace" : { "route" : {"dead":X} , "x" : [ ] } }' letters
	grep -F '{"type":"t","grace":{"route":{"dead":X},"route2":0},"id":"h1"}' letters
	# the stream says which targets did not get an event, whatever
	# grace held, with every other byte as it came
	r='"route":{"matched":["route 1"],"targets":["bad","stuck"],"priority":"normal","dead_lettered":["stuck"]}'
	run -0 sh -c 'grep dead_lettered | sed -E "s/\"([a-h])[0-9]+\"/\"\1N\"/" | sort -u' < stream.ndjson
	[ "${#lines[@]}" -eq 8 ]
	assert_line '{"type":"t","id":"aN","grace":{'"$r"'}}'
	assert_line '{"type":"t","id":"bN","grace":{'"$r"'}}'
	assert_line '{"type":"t","id":"cN","grace":{"gate":{"verdict":"allow"},'"$r"'}}'
	assert_line '{"type":"t","id":"dN","grace":{'"$r"',"gate":1}}'
	assert_line '{ "type" : "t" , "id":"eN" , "grace" : { "route" : '"${r#\"route\":}"' , "x" : [ ] } } '
	assert_line '{"type":"t","id":"fN","data":{"s":"}\"{\u00e9"},"grace":{"heal":{"a":[1,{"route":2}]},'"$r"'}}'
	assert_line '{"id":"gN","type":"t","grace":{ '"$r"'}}'
	assert_line '{"type":"t","grace":{'"$r"',"route2":0},"id":"hN"}'
	# and -o text names them
	run -1 --separate-stderr grace-route -q -o text -c routes.yaml < in.ndjson
	[[ "$output" == *' dead route 1 to bad, stuck; dead-lettered for ["stuck"]'* ]]
}

@test "events held back and queued in batches (a regular file; a pipe on stdin, flushed when it runs dry) or pushed one by one (a pipe named as FILE): the same stream, deliveries, dead letters and counts" {
	cat > routes.yaml <<'EOF2'
default: rest
dead_letter: dead.ndjson
drain_timeout: 100ms
targets:
  a: { kind: file, path: a.ndjson }
  b: { kind: file, path: b.ndjson, queue: 3 }
  rest: { kind: file, path: rest.ndjson }
  full: { kind: exec, argv: [sleep, "30"], queue: 2, overflow: drop_newest }
routes:
  - { type: "x.*", targets: [a, b], priority: high, continue: true }
  - { type: x.two, targets: b }
  - { type: y, targets: [full] }
EOF2
	for ((i = 1; i <= 3000; i++)); do
		case $((i % 5)) in
		0) printf '{"type":"x.one","id":"%d"}\n' "$i" ;;
		1) printf '{"type":"x.two","id":"%d","grace":{"gate":{}}}\n' "$i" ;;
		2) printf '{"type":"z","id":"%d"}\n' "$i" ;;
		3) printf '{"type":"y","id":"%d"}\n' "$i" ;;
		4) printf '{"type":"x.one","id":"%d","data":[1]}\n' "$i" ;;
		esac
	done > in.ndjson
	# the stream and the summary are the same but for which events the
	# full subscriber's pipe took (timing): compare without them
	norm() { sed -E 's/,"dead_lettered":\["full"\]//' | jq -c 'select(.type != "y")'; }
	errs() { grep -v -e '^  full ' -e "^grace-route: target 'full': subscriber 'sleep' (pid [0-9]*) was killed by signal 15 (Terminated)$" | sed -E 's/[0-9]+ dead-lettered/N dead-lettered/'; }
	for how in file stdin-pipe arg-pipe; do
		case $how in
		file) run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson ;;
		stdin-pipe) run -1 --separate-stderr grace-route -c routes.yaml < <(cat in.ndjson) ;;
		arg-pipe) run -1 --separate-stderr grace-route -c routes.yaml <(cat in.ndjson) ;;
		esac
		mkdir "$how" && mv a.ndjson b.ndjson rest.ndjson dead.ndjson "$how/"
		norm <<< "$output" > "$how/stream"
		errs <<< "$stderr" > "$how/summary"
		# every y event went to the subscriber or is dead-lettered, once
		d=$(grep '^  full (exec): ' <<< "$stderr" | sed -E 's/.* ([0-9]+) delivered.*/\1/')
		[ "$(jq -r 'select(.type == "y") | .id' "$how/dead.ndjson" | sort -u | wc -l)" -eq $((600 - d)) ]
		[ "$(wc -l < "$how/dead.ndjson")" -eq $((600 - d)) ]
	done
	[ "$(wc -l < file/a.ndjson)" -eq 1800 ] && [ "$(wc -l < file/b.ndjson)" -eq 1800 ]
	[ "$(wc -l < file/stream)" -eq 2400 ]
	[ "$(cat file/summary)" = '3000 events, 2400 routed, 600 unmatched, 0 quarantined, 0 suppressed, N dead-lettered, 0 errors
  a (file): 1800 queued, 1800 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned
  b (file): 1800 queued, 1800 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned
  rest (file): 600 queued, 600 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned' ]
	for how in stdin-pipe arg-pipe; do
		for f in a.ndjson b.ndjson rest.ndjson stream summary; do
			cmp "file/$f" "$how/$f"
		done
	done
}

@test "a pipe on stdin that runs dry: what was read is delivered at once, not held back for the next batch" {
	cat > routes.yaml <<'EOF2'
default: a
dead_letter: dead.ndjson
targets:
  a: { kind: file, path: a.ndjson }
routes: []
EOF2
	mkfifo in
	# the writer keeps the pipe open until the first three are delivered
	( gen_events 3; for ((i = 0; i < 200; i++)); do [ -e seen ] && break; sleep 0.05; done; gen_events 2 later ) > in &
	writer=$!
	grace-route -q -c routes.yaml < in > out.ndjson 2> err &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l < a.ndjson 2>/dev/null)" = 3 ] && break
		sleep 0.05
	done
	[ "$(jq -r .id a.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 ' ]
	touch seen
	wait "$writer"
	wait "$pid"
	[ "$(jq -r .id a.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 later-1 later-2 ' ]
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 later-1 later-2 ' ]
	[ ! -s err ]
}

@test "exec: at the drain deadline an event the subscriber never read is dead-lettered, not counted delivered (a write still waiting for the pipe is not a read)" {
	cat > routes.yaml <<'EOF2'
default: sub
dead_letter: dead.ndjson
drain_timeout: 100ms
targets:
  sub: { kind: exec, argv: [sleep, "30"] }
routes: []
EOF2
	{ echo '{"id":"1"}'; for ((i = 2; i <= 200; i++)); do printf '{"id":"%d","data":{"pad":"%0200d"}}\n' "$i" 0; done; } > in.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$(summary_of sub)" = '  sub (exec): 200 queued, 0 delivered, 0 dropped, 0 spilled, 0 failed, 200 abandoned, 1 exits, 0 restarts' ]
	[ "$(jq -r .id dead.ndjson | sort -n | tr '\n' ' ')" = "$(seq 1 200 | tr '\n' ' ')" ]
}
