#!/usr/bin/env bats
# Past one machine, as README's recipe runs it: producer hosts, each
# `producer | grace-gate | grace-log append | grace-route` with its own
# chain and key, publishing to NATS JetStream (nats targets); a central
# host reading each partition from a durable consumer into
# `grace-decide | grace-log append --once`, one chain per partition.
# Real nats-servers (tests/nats_helpers.bash), started by the tests on
# loopback ports with their storage in the test's directory.

load nats_helpers

setup_file() {
	nats_build_ctl
}

setup() {
	nats_setup
	export GRACE_CONFIG_DIR="$ROOT/config"
}

teardown() {
	local p
	# the pipelines first (each with what it started), then the servers
	if [ -f "$BATS_TEST_TMPDIR/bg.pids" ]; then
		while read -r p; do kill_tree "$p"; done < "$BATS_TEST_TMPDIR/bg.pids"
	fi
	nats_teardown
}

# kill_tree PID: SIGKILL PID and every process it started (each stopped
# first, so that it starts nothing more).
kill_tree() {
	local c
	kill -STOP "$1" 2>/dev/null || return 0
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
	kill -9 "$1" 2>/dev/null || true
}

# gen_host H N: N metric events of producer host H, ids H-000001...,
# data.seq 1..N (the producer's order), spread over 16 components.
gen_host() {
	awk -v h="$1" -v n="$2" 'BEGIN{
		off = (h == "b") ? 3 : 0
		for (i = 1; i <= n; i++)
			printf "{\"specversion\":\"1.0\",\"id\":\"%s-%06d\",\"type\":\"metric\",\"source\":\"host-%s/app\",\"time\":\"2026-12-01T10:00:00Z\",\"data\":{\"component\":\"svc-%d\",\"name\":\"cpu\",\"value\":%d,\"seq\":%d}}\n", h, i, h, (i * 5 + off) % 16, i % 90, i
	}'
}

# feed FILE: FILE in chunks of 5000 lines, 0.2 s apart (a producer that
# keeps producing while a server goes away).
feed() {
	local n i
	n=$(wc -l < "$1")
	for ((i = 1; i <= n; i += 5000)); do
		sed -n "${i},$((i + 4999))p" "$1"
		sleep 0.2
	done
}

# host H URL: host H's directory: its key (hostH.key, .pub), events
# (ev.ndjson, 50,000), and publish.yaml (nats target on URL, 4
# partitions keyed by data.component).
host() {
	mkdir "$1"
	(cd "$1" && grace-log keygen "host$1" > /dev/null) || return 1
	gen_host "$1" "${3:-50000}" > "$1/ev.ndjson"
	cat > "$1/publish.yaml" <<EOF
default: js
dead_letter: dead.ndjson
targets:
  js: { kind: nats, url: "$2", stream: EVENTS,
        partition: { key: [data.component], count: 4 },
        timeout: 2s, retries: 100, backoff: 100ms, backoff_max: 1s }
routes: []
EOF
}

# run_host H: host H's pipeline in H/, in the background (PID in HPID[H]):
# feed | grace-gate | grace-log append -f host.log | grace-route; its
# exit status (pipefail) into H/rc.
run_host() {
	(
		cd "$1" || exit 4
		set -o pipefail
		feed ev.ndjson | grace-gate -q -c "$ROOT/config/governance.yaml" |
		    grace-log append -f host.log |
		    grace-route -q -c publish.yaml > /dev/null 2> route.err
		echo $? > rc
	) 3>&- &
	HPID[$1]=$!
	echo "$!" >> "$BATS_TEST_TMPDIR/bg.pids"
}

# run_central P URL: partition P's consumer, reading from the server at
# URL: grace-route --source ... | grace-decide | grace-log append --once
# -f pP.log, three processes (PIDs in CPID[P], DPID[P], LPID[P]) joined
# by fifos; what the log passes on is added to cP.out, what each says to
# cP.route.err, cP.decide.err and cP.log.err.
run_central() {
	rm -f "c$1.fifo" "d$1.fifo"
	mkfifo "c$1.fifo" "d$1.fifo"
	grace-route -q -c central.yaml --source "$2/EVENTS" --durable "central-p$1" \
	    --subject "grace.events.p$1" --ack-wait 5 > "c$1.fifo" 2>> "c$1.route.err" 3>&- &
	CPID[$1]=$!
	grace-decide -q -c "$ROOT/config/decide.yaml" < "c$1.fifo" > "d$1.fifo" 2>> "c$1.decide.err" 3>&- &
	DPID[$1]=$!
	grace-log append --once -f "p$1.log" < "d$1.fifo" >> "c$1.out" 2>> "c$1.log.err" 3>&- &
	LPID[$1]=$!
	echo "${CPID[$1]} ${DPID[$1]} ${LPID[$1]}" | tr ' ' '\n' >> "$BATS_TEST_TMPDIR/bg.pids"
}

# central_wait P: partition P's decide and log end (0), and say so.
central_wait() {
	wait "${DPID[$1]}" || { echo "grace-decide p$1: exit $?" >&2; cat "c$1.decide.err" >&2; return 1; }
	wait "${LPID[$1]}" || { echo "grace-log p$1: exit $?" >&2; cat "c$1.log.err" >&2; return 1; }
}

# in_order FILE WHERE: FILE's lines (partition, id, host seq) hold each
# host's events in its order within each partition, or say which are not.
in_order() {
	awk -F'\t' -v where="$2" '{k = $1 " " substr($2, 1, 1); if ((k in last) && $3 + 0 <= last[k]) {print "out of order " where ", p" $1 ": " $2 " after seq " last[k]; bad = 1} last[k] = $3 + 0}
	    END {exit bad}' "$1"
}

# records: the records of the four central logs.
records() {
	cat p0.log p1.log p2.log p3.log 2>/dev/null | wc -l
}

@test "two producer hosts, a three-node cluster, one node killed mid-stream: the central logs hold every event once, in each producer's order, every chain verifies" {
	declare -a CPORT RPORT NODE CURL
	declare -A HPID
	declare -a CPID DPID LPID
	local p h i lead victim at_kill other dup
	start_cluster
	cluster_stream_add EVENTS 'grace.events.>'
	host a "$URLS"
	host b "$URLS"
	printf 'default: archive\ndead_letter: central-dead.ndjson\ntargets:\n  archive: { kind: file, path: /dev/null }\nroutes: []\n' > central.yaml
	# the node to kill is not the stream's leader (see below), the
	# central host reads from the third
	lead=$("$NATSCTL" "${CURL[1]}" leader EVENTS)
	lead=${lead#n}
	[[ "$lead" =~ ^[123]$ ]]
	victim=$((lead % 3 + 1))
	other=$((victim % 3 + 1))
	for p in 0 1 2 3; do run_central "$p" "${CURL[$other]}"; done
	SECONDS=0
	run_host a
	run_host b
	# mid-stream: 40,000 of the 100,000 stored
	for ((i = 0; i < 3000; i++)); do
		at_kill=$("$NATSCTL" "${CURL[$other]}" count EVENTS)
		[ "$at_kill" -ge 40000 ] && break
		sleep 0.1
	done
	kill_node "$victim"
	sleep 1.5
	start_node "$victim"
	# partition 0's consumer killed (SIGKILL) with a batch written but
	# not acknowledged: its grace-decide stopped until grace-route blocks
	# writing to it; then restarted with the same durable
	kill -STOP "${DPID[0]}"
	for ((i = 0; i < 400; i++)); do
		blocked_writing "${CPID[0]}" && break
		sleep 0.05
	done
	blocked_writing "${CPID[0]}"
	kill -9 "${CPID[0]}"
	kill -CONT "${DPID[0]}"
	wait "${CPID[0]}" || true
	central_wait 0
	mv c0.log.err c0.first.err
	run_central 0 "${CURL[$other]}"
	for h in a b; do wait "${HPID[$h]}"; done
	[ "$at_kill" -ge 40000 ] && [ "$at_kill" -lt 90000 ]
	for h in a b; do
		[ "$(cat "$h/rc")" = 0 ] || { cat "$h/route.err" >&2; return 1; }
		[ ! -s "$h/dead.ndjson" ]
	done
	# the central host catches up (as long as it makes progress: a
	# loaded machine runs four sanitized pipelines slowly), then is
	# stopped (SIGTERM)
	local now last=-1 still=0
	while now=$(records) && [ "$now" -lt 100000 ] && [ "$still" -lt 300 ]; do
		if [ "$now" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$now
		sleep 0.1
	done
	[ "$(records)" -eq 100000 ] || { echo "the central logs hold $(records) records of 100000" >&2; return 1; }
	sleep 1
	for p in 0 1 2 3; do kill -TERM "${CPID[$p]}"; done
	for p in 0 1 2 3; do
		wait "${CPID[$p]}" || { echo "grace-route p$p: exit $?" >&2; cat "c$p.route.err" >&2; return 1; }
		central_wait "$p"
	done
	[ ! -s central-dead.ndjson ]
	# the restarted consumer got the unacknowledged batch again: what the
	# killed one had written of it (unless it was blocked at the batch's
	# first write) was logged once
	dup=$(sed -n 's/^grace-log: p0\.log: \([0-9]*\) events\{0,1\} w[asere]* in the log already (--once): not appended again$/\1/p' c0.log.err)
	[ "${dup:-0}" -le 256 ] || { cat c0.log.err >&2; return 1; }

	# per central record: partition, id, the host's seq and record hash
	# it carries, component, the gate's and the decision's verdicts
	for p in 0 1 2 3; do
		grace-log cat "p$p.log" | jq -r --arg p "$p" '[$p, .event.id, .event.grace.log.seq, .event.grace.log.hash, .event.data.component, .event.grace.gate.decision, .event.grace.decision.verdict] | @tsv'
	done > central.tsv
	# every event exactly once in the central logs, by id
	cut -f2 central.tsv | sort > central.ids
	[ "$(uniq -d central.ids)" = "" ]
	cat a/ev.ndjson b/ev.ndjson | jq -r .id | sort > all.ids
	cmp central.ids all.ids
	# each exactly the event its host logged: the host's seq and hash
	for h in a b; do
		grace-log cat "$h/host.log" | jq -r '[.event.id, .seq, .hash] | @tsv' | sort > "$h.links"
		awk -F'\t' -v h="$h" 'substr($2, 1, 1) == h {print $2 "\t" $3 "\t" $4}' central.tsv | sort | cmp - "$h.links"
	done
	# within each partition, each host's events in its order (its seq):
	# first in the stream (what the producers published), then in the
	# central logs (what the consumers read)
	for p in 0 1 2 3; do
		"$NATSCTL" "${CURL[$other]}" dump EVENTS "grace.events.p$p" |
		    jq -r --arg p "$p" '[$p, .id, .grace.log.seq] | @tsv'
	done > stream.tsv
	[ "$(wc -l < stream.tsv)" -eq 100000 ]
	in_order stream.tsv "in the stream"
	in_order central.tsv "in the central logs"
	# each component in one partition, each partition with both hosts
	[ "$(cut -f1,5 central.tsv | sort -u | cut -f2 | sort | uniq -d)" = "" ]
	[ "$(cut -f5 central.tsv | sort -u | wc -l)" = 16 ]
	[ "$(awk -F'\t' '{print $1, substr($2, 1, 1)}' central.tsv | sort -u | tr '\n' ' ')" = "0 a 0 b 1 a 1 b 2 a 2 b 3 a 3 b " ]
	# each gated (allow) and decided (approve)
	[ "$(cut -f6,7 central.tsv | sort | uniq -c | awk '{print $1, $2, $3}')" = "100000 allow approve" ]

	# every chain verifies
	for p in 0 1 2 3; do
		run -0 --separate-stderr grace-log verify -q -f "p$p.log"
	done
	# each host's chain, and its checkpoint, signed with its own key,
	# verifies with that key and not with the other host's
	for h in a b; do
		[ "$(grace-log cat -e "$h/host.log" | jq -r .id)" = "$(jq -r .id "$h/ev.ndjson")" ]
		run -0 --separate-stderr grace-log checkpoint -f "$h/host.log" -k "$h/host$h.key" -o "$h/host.cp"
		run -0 --separate-stderr grace-log verify -q -f "$h/host.log" -c "$h/host.cp" -p "$h/host$h.pub"
	done
	run -1 --separate-stderr grace-log verify -q -f a/host.log -c a/host.cp -p b/hostb.pub
	[[ "$stderr" == "grace-log: a/host.cp: bad checkpoint: no signature by a known key (signed by hosta+"*")" ]]
	run -1 --separate-stderr grace-log verify -q -f b/host.log -c b/host.cp -p a/hosta.pub
	[[ "$stderr" == "grace-log: b/host.cp: bad checkpoint: no signature by a known key (signed by hostb+"*")" ]]
}

@test "a producer host with the server unreachable at the start: its nats target spills, and delivers everything once the server is up" {
	start_nats
	stop_nats       # nothing listens on PORT until it is started again
	cat > publish.yaml <<EOF2
default: js
dead_letter: dead.ndjson
drain_timeout: 60s
targets:
  js: { kind: nats, url: "$URL", stream: EVENTS, queue: 64,
        overflow: spill, spill: js.spill, timeout: 500ms, retries: 3,
        backoff: 50ms, backoff_max: 200ms,
        breaker: { failures: 2, cooldown: 300ms } }
routes: []
EOF2
	gen_host a 3000 > ev.ndjson
	grace-gate -q -c "$ROOT/config/governance.yaml" < ev.ndjson |
	    grace-route -c publish.yaml > out.ndjson 2> err.txt 3>&- &
	pid=$!
	echo "$pid" >> bg.pids
	# the events spill while the breaker is open
	for ((i = 0; i < 200; i++)); do
		[ -s js.spill ] && grep -q "circuit breaker opened" err.txt && break
		sleep 0.05
	done
	[ -s js.spill ]
	sleep 1
	start_nats "$PORT"
	run -0 "$NATSCTL" "$URL" stream-add EVENTS 'grace.events.>'
	wait "$pid" || { cat err.txt >&2; return 1; }
	grep -q "^grace-route: target 'js': unable to connect to $URL: No server available for connection$" err.txt
	grep -q "^grace-route: target 'js': circuit breaker closed$" err.txt
	grep -qx '3000 events, 0 routed, 3000 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 0 errors' err.txt
	spilled=$(sed -n 's/^  js (nats): 3000 queued, 3000 delivered, 0 dropped, \([0-9]*\) spilled, 0 failed, 0 abandoned, breaker opened [0-9]* times$/\1/p' err.txt)
	[ "${spilled:-0}" -gt 0 ] || { cat err.txt >&2; return 1; }
	[ ! -s dead.ndjson ]
	[ ! -s js.spill ]
	# the stream holds each once, in the producer's order
	[ "$("$NATSCTL" "$URL" count EVENTS)" = 3000 ]
	printf 'default: out\ndead_letter: d.ndjson\ntargets:\n  out: { kind: file, path: /dev/null }\nroutes: []\n' > back.yaml
	run -0 --separate-stderr grace-route -q -c back.yaml --source "$URL/EVENTS" --durable c --source-idle 1
	[ "$(jq -r .id <<< "$output")" = "$(jq -r .id ev.ndjson)" ]
}
