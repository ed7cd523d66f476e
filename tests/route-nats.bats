#!/usr/bin/env bats
# grace-route and NATS JetStream, against a real nats-server: the nats
# target (publish, acknowledgments, subjects, partitions, a server that
# is away or goes away) and --source (a durable pull consumer: order,
# redelivery after SIGKILL, malformed messages). Each test starts its own
# nats-server -js on a loopback port with its storage in the test's
# directory, and stops it in teardown. tests/fixtures/nats/natsctl.c
# adds streams, publishes raw messages and counts.

load nats_helpers

setup_file() {
	nats_build_ctl
}

setup() {
	nats_setup
}

teardown() {
	nats_teardown
}

# nats_cfg [EXTRA]: a routes file with one nats target 'js' on EVENTS.
nats_cfg() {
	cat > routes.yaml <<EOF
default: js
dead_letter: dead.ndjson
targets:
  js: { kind: nats, url: "$URL", stream: EVENTS${1:+, $1} }
routes: []
EOF
}

ids() {
	jq -r .id "$@"
}

# stopped_reader N ACKWAIT: a stream EVENTS holding N events (in.ndjson),
# and a grace-route --source on durable central (--ack-wait ACKWAIT,
# --source-idle 3, its output in out.ndjson and err.txt, its pid in
# $pid) stopped with SIGSTOP once it waited on the consumer, when its
# pull request (a second at most) has run out, before they were
# published: what it gets next is what another reader leaves.
stopped_reader() {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	nats_cfg
	gen_events "$1" > in.ndjson
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	grace-route -q -c back.yaml --source "$URL/EVENTS" --durable central --ack-wait "$2" --source-idle 3 > out.ndjson 2> err.txt 3>&- &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		[ "$("$NATSCTL" "$URL" waiting EVENTS central 2>/dev/null)" = 1 ] && break
		sleep 0.05
	done
	kill -STOP "$pid"
	sleep 1.5
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
}

# err_has LINE, err_partial TEXT: about the stderr of run.
err_has() {
	grep -qxF -- "$1" <<< "$stderr" || { printf 'stderr:\n%s\n' "$stderr" >&2; return 1; }
}
err_partial() {
	grep -qF -- "$1" <<< "$stderr" || { printf 'stderr:\n%s\n' "$stderr" >&2; return 1; }
}

@test "nats target and --source: 1000 events published, each acknowledged, read back once and in order" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	nats_cfg
	gen_events 1000 > in.ndjson
	run -0 --separate-stderr grace-route -c routes.yaml < in.ndjson
	[ "$stderr" = '1000 events, 0 routed, 1000 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 0 errors
  js (nats): 1000 queued, 1000 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned' ]
	[ "$("$NATSCTL" "$URL" count EVENTS)" = 1000 ]
	[ ! -s dead.ndjson ]
	printf 'default: out\ndead_letter: dead2.ndjson\ntargets:\n  out: { kind: file, path: got.ndjson }\nroutes: []\n' > back.yaml
	run -0 --separate-stderr grace-route -c back.yaml --source "$URL/EVENTS" --durable central --source-idle 1
	[ "$(ids <<< "$output")" = "$(ids in.ndjson)" ]
	[ "$(ids got.ndjson)" = "$(ids in.ndjson)" ]
	# what is read back is what was published, grace.route of each hop
	[ "$(jq -c 'del(.grace)' <<< "$output")" = "$(jq -c . in.ndjson)" ]
	[ "$(jq -c .grace.route <<< "$output" | sort -u)" = '{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}' ]
	# acknowledged: the same durable gets nothing again
	run -0 --separate-stderr grace-route -c back.yaml --source "$URL/EVENTS" --durable central --source-idle 1
	[ -z "$output" ]
	err_partial '0 events, 0 routed'
	# publishing the same events again stores nothing new (Nats-Msg-Id)
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	[ "$("$NATSCTL" "$URL" count EVENTS)" = 1000 ]
}

# fnv1a KEY...: the partition hash of grace-routes(5), in shell arithmetic.
fnv1a() {
	local h=2166136261 k c i
	for k in "$@"; do
		for ((i = 0; i < ${#k}; i++)); do
			printf -v c '%d' "'${k:i:1}"
			h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
		done
		h=$(( (h * 16777619) & 0xffffffff ))   # the NUL after each value
	done
	echo "$h"
}

@test "nats target: subjects from the event's type, made safe; partitions by a stable hash of the key" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.>'
	nats_cfg
	printf '%s\n' '{"id":"1","type":"deploy.finished"}' '{"id":"2","type":"a b*>.x..y."}' '{"id":"3"}' > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	# each subject holds its one event
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable t1 --subject grace.events.deploy.finished --source-idle 1
	[ "$(ids <<< "$output" | sort -u)" = 1 ]
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable t2 --subject 'grace.events.a_b__.x__y_' --source-idle 1
	[ "$(ids <<< "$output" | sort -u)" = 2 ]
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable t3 --subject grace.events._ --source-idle 1
	[ "$(ids <<< "$output" | sort -u)" = 3 ]

	# partitions: grace.p{partition}, FNV-1a of data.component mod 4
	nats_cfg 'subject: "grace.p{partition}", partition: { key: [data.component], count: 4 }'
	for i in $(seq 1 40); do
		printf '{"id":"p%d","type":"t","data":{"component":"svc-%d"}}\n' "$i" $((i % 7))
	done > parts.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < parts.ndjson
	: > all.txt
	for p in 0 1 2 3; do
		run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable "p$p" --subject "grace.p$p" --source-idle 1
		for c in $(jq -r .data.component <<< "$output" | sort -u); do
			[ $(( $(fnv1a "$c") % 4 )) -eq "$p" ]
			echo "$c $p" >> all.txt
		done
		ids <<< "$output" >> ids.txt
	done
	# every component in exactly one partition, every event once
	[ "$(cut -d' ' -f1 all.txt | sort | uniq -d)" = "" ]
	[ "$(wc -l < all.txt)" -eq 7 ]
	[ "$(sort ids.txt)" = "$(ids parts.ndjson | sort)" ] || { diff <(sort ids.txt) <(ids parts.ndjson | sort) >&2; return 1; }
}

@test "nats target: an unreachable server at the start does not hang; the events are dead-lettered with a count" {
	start_nats
	stop_nats       # the port is now free: nothing listens
	nats_cfg 'retries: 2, backoff: 10ms, timeout: 500ms'
	gen_events 5 > in.ndjson
	SECONDS=0
	run -1 --separate-stderr timeout 20 grace-route -c routes.yaml < in.ndjson
	[ "$SECONDS" -lt 10 ]
	assert_equal "$(grep -c "^grace-route: target 'js': unable to connect to $URL: No server available for connection$" <<< "$stderr")" 3
	err_partial '5 events, 0 routed, 5 unmatched, 0 quarantined, 0 suppressed, 5 dead-lettered, 0 errors'
	[ "$(ids dead.ndjson | tr '\n' ' ')" = 'e-1 e-2 e-3 e-4 e-5 ' ]
	[ "$(jq -r .grace.route.dead.reason dead.ndjson | sort -u)" = "retries exhausted: unable to connect to $URL: No server available for connection" ]
}

@test "nats target: a stream that does not exist is said so, and grace-route does not create it" {
	start_nats
	nats_cfg 'retries: 0'
	gen_events 2 > in.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	err_has "grace-route: target 'js': stream 'EVENTS' does not exist on $URL (routing makes no stream: make it with grace-route --create-streams, or add it with subjects that take 'grace.events.{type}')"
	[ "$(jq -s length dead.ndjson)" = 2 ]
	run -1 "$NATSCTL" "$URL" count EVENTS
}

@test "nats target: a subject outside the stream fails the publish and dead-letters" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'other.>'
	nats_cfg 'retries: 1, backoff: 10ms, timeout: 1s'
	gen_events 2 > in.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	err_partial '2 events, 0 routed, 2 unmatched, 0 quarantined, 0 suppressed, 2 dead-lettered, 0 errors'
	err_partial '  js (nats): 2 queued, 0 delivered, 0 dropped, 0 spilled, 2 failed, 0 abandoned'
	[ "$("$NATSCTL" "$URL" count EVENTS)" = 0 ]
}

@test "nats target: the server killed mid-stream and restarted: every event stored once, or dead-lettered and counted" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	nats_cfg 'retries: 100, backoff: 50ms, backoff_max: 200ms, timeout: 1s, breaker: { failures: 5, cooldown: 300ms }'
	gen_events 600 > in.ndjson
	{
		head -300 in.ndjson
		sleep 1
		# the server goes away with events in flight, and comes back
		kill -9 "$NATS_PID"
		tail -n +301 in.ndjson | head -150
		sleep 1.5
		start_nats "$PORT" >&2
		tail -n +451 in.ndjson
	} | grace-route -c routes.yaml > out.ndjson 2> err.txt || rc=$?
	[ "${rc:-0}" -le 1 ]
	# the loss was seen and reported, not slept through
	grep -q "^grace-route: target 'js': circuit breaker opened: " err.txt
	stored=$("$NATSCTL" "$URL" count EVENTS)
	dead=0
	[ ! -s dead.ndjson ] || dead=$(jq -s length dead.ndjson)
	# nothing vanished
	[ $((stored + dead)) -eq 600 ]
	grep -q 'js (nats): 600 queued, '"$stored"' delivered' err.txt
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable c --source-idle 1
	{ ids <<< "$output"; [ ! -s dead.ndjson ] || ids dead.ndjson; } | sort > seen.txt
	[ "$(cat seen.txt)" = "$(ids in.ndjson | sort)" ]
	# and the stream holds each once, in the producer's order
	[ "$(ids <<< "$output")" = "$(ids in.ndjson | grep -vxF -f <([ ! -s dead.ndjson ] || ids dead.ndjson; echo none))" ]
}

@test "--source: a consumer killed with SIGKILL mid-stream and restarted with the same durable loses nothing; duplicates are redeliveries with their ids" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	nats_cfg
	gen_events 3000 > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	# a slow reader: the consumer blocks on its stdout, acks wait
	mkfifo pipe
	(while read -r l; do printf '%s\n' "$l"; sleep 0.002; done < pipe > out1.ndjson) &
	rpid=$!
	grace-route -q -c back.yaml --source "$URL/EVENTS" --durable central --ack-wait 2 > pipe 2> err1.txt &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		[ "$(wc -l < out1.ndjson)" -ge 200 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	wait "$rpid"    # the reader reads what was written, to its end
	n1=$(wc -l < out1.ndjson)
	[ "$n1" -ge 200 ] && [ "$n1" -lt 3000 ]
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable central --source-idle 4
	printf '%s\n' "$output" > out2.ndjson
	# nothing lost
	[ "$(cat out1.ndjson out2.ndjson | ids | sort -u)" = "$(ids in.ndjson | sort -u)" ]
	# every line is an event of the stream, whole
	[ "$(cat out1.ndjson out2.ndjson | jq -c 'del(.grace)' | sort -u)" = "$(jq -c . in.ndjson | sort -u)" ]
	# the second run delivers at least what the first had not acknowledged
	[ "$(wc -l < out2.ndjson)" -ge $((3000 - n1)) ]
}

@test "--source: killed (SIGKILL) while the next stage does not read: only whole events in the pipe; the restart gives the unacknowledged batch again first, in the stream's order" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	nats_cfg
	gen_events 3000 > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	mkfifo pipe
	# a reader that does not read: grace-route fills the pipe, blocks
	# writing a batch, and is killed
	(exec < pipe; kill -STOP "$BASHPID"; exec cat) > out1.ndjson 3>&- &
	rpid=$!
	grace-route -q -c back.yaml --source "$URL/EVENTS" --durable central --ack-wait 2 > pipe 3>&- &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		blocked_writing "$pid" && break
		sleep 0.05
	done
	blocked_writing "$pid"
	kill -9 "$pid"
	wait "$pid" || true
	kill -CONT "$rpid"
	wait "$rpid"
	n1=$(wc -l < out1.ndjson)
	[ "$n1" -ge 256 ] && [ "$n1" -lt 3000 ]
	# whole events: every line parses, the last one ends
	jq -c . out1.ndjson > /dev/null
	[ "$(tail -c 1 out1.ndjson | od -An -c | tr -d ' ')" = '\n' ]
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable central --source-idle 4
	printf '%s\n' "$output" > out2.ndjson
	# some of what the killed one had written comes again (not
	# acknowledged), and before anything newer: first occurrences in
	# the stream's order, every event
	[ "$(ids out1.ndjson | sort | comm -12 - <(ids out2.ndjson | sort) | wc -l)" -gt 0 ]
	[ "$(cat out1.ndjson out2.ndjson | ids | awk '!seen[$0]++')" = "$(ids in.ndjson)" ]
}

@test "--source: messages delivered to another reader that dies with them: the newer ones are held back until they come again, then all in the stream's order, each once" {
	stopped_reader 40 2
	# another reader takes the first 10 and dies with them: grace-route
	# gets the 30 after them first, with a gap in the delivery sequence
	"$NATSCTL" "$URL" take EVENTS central 10 > taken.ndjson
	[ "$(ids taken.ndjson)" = "$(head -n 10 in.ndjson | ids)" ]
	kill -CONT "$pid"
	wait "$pid"
	[ ! -s err.txt ]
	[ "$(ids out.ndjson)" = "$(ids in.ndjson)" ]
}

@test "--source: messages another reader keeps (on the same durable) are said on stderr after three ack waits and five seconds; nothing newer passes before them; once they come again, all in order" {
	stopped_reader 20 1
	# a reader that takes the first 5 and keeps them (in progress) for
	# 30 seconds
	"$NATSCTL" "$URL" take EVENTS central 5 30 > taken.ndjson &
	thief=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l < taken.ndjson)" = 5 ] && break
		sleep 0.05
	done
	kill -CONT "$pid"
	# it says so after 8 seconds (an ack wait of 1), and --source-idle
	# then ends the run, with nothing passed on
	wait "$pid"
	grep -qE "^grace-route: nats://127\.0\.0\.1:[0-9]+/EVENTS: 5 messages delivered and not acknowledged are not coming back to durable 'central' \(another reader\?\): 15 newer held back until they do$" err.txt || { cat err.txt >&2; return 1; }
	[ "$(wc -l < err.txt)" = 1 ]
	[ ! -s out.ndjson ]
	# the other reader dies: the next run gets every event, in order
	kill "$thief"
	wait "$thief" || true
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable central --source-idle 2
	[ "$stderr" = "" ]
	[ "$(ids <<< "$output")" = "$(ids in.ndjson)" ]
}

@test "--source: malformed messages are rejected with the usual record, counted, and acknowledged" {
	start_nats
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	printf '%s\n' '{"id":"1","type":"a"}' 'not json' '{"id":"2","grace":7}' '' '{"id":"3","type":"a"}' | "$NATSCTL" "$URL" pub grace.events.raw
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: got.ndjson }\nroutes: []\n' > back.yaml
	run -3 --separate-stderr grace-route -c back.yaml --source "$URL/EVENTS" --durable c --source-idle 1
	[ "$(jq -c '[.id, .type, .data.input, .data.line]' <<< "$output")" = '["1","a",null,null]
[null,"grace.input.rejected","'"$URL"'/EVENTS",2]
[null,"grace.input.rejected","'"$URL"'/EVENTS",3]
[null,"grace.input.rejected","'"$URL"'/EVENTS",4]
["3","a",null,null]' ]
	[[ "${stderr_lines[0]}" == "grace-route: $URL/EVENTS:2:1: not JSON"* ]]
	[ "${stderr_lines[1]}" = "grace-route: $URL/EVENTS:3:19: member 'grace' is a number, not an object" ]
	[ "${stderr_lines[2]}" = "grace-route: $URL/EVENTS:4: empty message" ]
	[ "${stderr_lines[3]}" = '5 events, 0 routed, 2 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 3 errors' ]
	[ "$(ids got.ndjson | tr '\n' ' ')" = '1 3 ' ]
	# acknowledged: not redelivered
	run -0 --separate-stderr grace-route -c back.yaml --source "$URL/EVENTS" --durable c --source-idle 1
	[ -z "$output" ]
}

@test "--source: an unreachable server or a missing stream is a system error, at once" {
	start_nats
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run -4 --separate-stderr grace-route -c back.yaml --source "$URL/NOPE" --durable c --source-idle 1
	[ "${stderr_lines[0]}" = "grace-route: stream 'NOPE' does not exist on $URL" ]
	stop_nats
	SECONDS=0
	run -4 --separate-stderr timeout 20 grace-route -c back.yaml --source "$URL/EVENTS" --durable c --source-idle 1
	[ "$SECONDS" -lt 10 ]
	[ "${stderr_lines[0]}" = "grace-route: unable to connect to $URL: No server available for connection" ]
}

@test "--source: usage errors" {
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run -2 --separate-stderr grace-route -c back.yaml --source nats://127.0.0.1:4222/S
	[ "${stderr_lines[0]}" = 'grace-route: --source needs --durable NAME' ]
	run -2 --separate-stderr grace-route -c back.yaml --source nats://127.0.0.1:4222 --durable d
	[ "${stderr_lines[0]}" = "grace-route: --source 'nats://127.0.0.1:4222' is not nats://HOST:PORT/STREAM" ]
	run -2 --separate-stderr grace-route -c back.yaml --source nats://h:1/S --durable a.b
	[ "${stderr_lines[0]}" = "grace-route: --durable 'a.b' is not a consumer name (no '.', '*', '>' or white space)" ]
	run -2 --separate-stderr grace-route -c back.yaml --source nats://h:1/S --durable d --dry-run
	[ "${stderr_lines[0]}" = 'grace-route: --source acknowledges what it delivered: no --dry-run' ]
	run -2 --separate-stderr grace-route -c back.yaml --durable d
	[ "${stderr_lines[0]}" = 'grace-route: --durable, --subject and --source-idle go with --source' ]
	run -2 --separate-stderr grace-route -c back.yaml --source nats://h:1/S --durable d in.ndjson
	[ "${stderr_lines[0]}" = 'grace-route: --source reads no input files, and goes with neither --check nor --test' ]
}

@test "nats target: configuration errors at file:line:col" {
	check_cfg() {
		printf 'default: js\ndead_letter: d.ndjson\ntargets:\n  js: { kind: nats, %s }\nroutes: []\n' "$1" > bad.yaml
		run -2 --separate-stderr grace-route -c bad.yaml --check
		[ "${stderr_lines[0]}" = "$2" ]
	}
	check_cfg 'url: "nats://h:1"' 'grace-route: bad.yaml:4:7: missing required key '"'"'stream'"'"''
	check_cfg 'stream: S, url: "http://h"' "grace-route: bad.yaml:4:37: url 'http://h' is not nats://HOST:PORT, or a list of them separated by commas"
	check_cfg 'stream: S, url: "nats://a:1,nats://b:2/x"' "grace-route: bad.yaml:4:37: url 'nats://a:1,nats://b:2/x' is not nats://HOST:PORT, or a list of them separated by commas"
	check_cfg 'stream: "a.b"' "grace-route: bad.yaml:4:29: stream 'a.b' is not a JetStream stream name"
	check_cfg 'stream: S, subject: "grace.{kind}"' "grace-route: bad.yaml:4:41: subject 'grace.{kind}': unknown variable at '{kind}' (expected {type}, {source}, {subject} or {partition})"
	check_cfg 'stream: S, subject: "grace.*"' "grace-route: bad.yaml:4:41: subject 'grace.*' is not a NATS subject of letters, digits, '_', '-' and '.' between tokens (no wildcards)"
	check_cfg 'stream: S, subject: "g.p{partition}"' "grace-route: bad.yaml:4:41: subject 'g.p{partition}' uses {partition}, and the target has no partition"
	check_cfg 'stream: S, subject: "g.{type}", partition: { key: [data.c], count: 3 }' "grace-route: bad.yaml:4:41: target 'js' has a partition and its subject 'g.{type}' does not use {partition}"
	check_cfg 'stream: S, partition: { key: [data.c], count: 0 }' "grace-route: bad.yaml:4:67: partition count is from 1 to 65536, not 0"
	printf 'default: f\ndead_letter: d.ndjson\ntargets:\n  f: { kind: file, path: x, stream: S }\nroutes: []\n' > bad.yaml
	run -2 --separate-stderr grace-route -c bad.yaml --check
	[ "${stderr_lines[0]}" = "grace-route: bad.yaml:4:37: a file target takes no stream (only a nats target does)" ]
}

@test "a three-node cluster, a stream with three replicas: one node killed and restarted mid-stream, every event stored exactly once" {
	declare -a CPORT RPORT NODE CURL
	start_cluster
	cluster_stream_add EVENTS 'grace.events.>'
	URL=$URLS
	nats_cfg 'retries: 100, backoff: 100ms, backoff_max: 500ms, timeout: 2s'
	gen_events 3000 > in.ndjson
	{
		head -1000 in.ndjson
		sleep 1
		kill_node 3
		tail -n +1001 in.ndjson | head -1000
		sleep 1
		start_node 3 >&2
		tail -n +2001 in.ndjson
	} | grace-route -c routes.yaml > out.ndjson 2> err.txt || rc=$?
	[ "${rc:-0}" -eq 0 ] || { cat err.txt >&2; return 1; }
	[ ! -s dead.ndjson ]
	grep -q '  js (nats): 3000 queued, 3000 delivered, 0 dropped' err.txt
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run --separate-stderr grace-route -q -c back.yaml --source "nats://127.0.0.1:${CPORT[1]}/EVENTS" --durable central --source-idle 3
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr"; false; }
	# every event once
	[ "$(ids <<< "$output" | sort | uniq -d)" = "" ]
	[ "$(ids <<< "$output" | sort)" = "$(ids in.ndjson | sort)" ]
	[ "$("$NATSCTL" "nats://127.0.0.1:${CPORT[2]}" count EVENTS)" = 3000 ]
}

@test "a three-node cluster: the stream's leader killed mid-stream; with window: 1 every event is stored once and in the producer's order" {
	declare -a CPORT RPORT NODE CURL
	local leader i
	start_cluster
	cluster_stream_add EVENTS 'grace.events.>'
	URL=$URLS
	nats_cfg 'window: 1, retries: 100, backoff: 100ms, backoff_max: 500ms, timeout: 2s'
	gen_events 2000 > in.ndjson
	leader=$("$NATSCTL" "${CURL[1]}" leader EVENTS)
	[[ "$leader" =~ ^n[123]$ ]]
	i=${leader#n}
	{
		head -700 in.ndjson
		sleep 1
		kill_node "$i"
		tail -n +701 in.ndjson | head -700
		# the old leader comes back only once another node leads: had
		# it come back during the election it could have won it again
		wait_new_leader "${CURL[$((i % 3 + 1))]}" "$leader" > moved.txt
		start_node "$i" >&2
		tail -n +1401 in.ndjson
	} | grace-route -c routes.yaml > out.ndjson 2> err.txt || rc=$?
	[ "${rc:-0}" -eq 0 ] || { cat err.txt >&2; return 1; }
	[ ! -s dead.ndjson ]
	grep -q '  js (nats): 2000 queued, 2000 delivered, 0 dropped' err.txt
	# the leader moved while the events were being published
	grep -qx 'n[123]' moved.txt
	[ "$(cat moved.txt)" != "$leader" ]
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run --separate-stderr grace-route -q -c back.yaml --source "$URLS/EVENTS" --durable central --source-idle 3
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr"; false; }
	# every event once, in the order published
	[ "$(ids <<< "$output")" = "$(ids in.ndjson)" ]
}
