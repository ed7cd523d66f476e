#!/usr/bin/env bats
# README's "Past one machine" recipe, run as printed: the configuration
# files and the shell blocks between <!-- recipe: many-hosts --> and
# <!-- /recipe --> are taken from README.md, with only the server's URL
# (nats://nats:4222: here a three-node JetStream cluster on loopback
# ports), the witness's state directory and the host's name (web-1 or
# web-2, for the second host) put in, and `producer` a script. Two hosts
# publish, the central host logs each partition, the hosts publish their
# checkpoints every "hour", the witness cosigns, the cron job verifies;
# then a host rewrites its chain and is caught. Also grace-route
# --create-streams itself.

load nats_helpers

setup_file() {
	nats_build_ctl
}

setup() {
	nats_setup
	export GRACE_CONFIG_DIR="$ROOT/config"
}

# (pids in nats.pids; a pipeline's process group as -PGID)
teardown() {
	local p
	while read -r p; do
		kill -9 -- "$p" 2>/dev/null || true
	done < "$BATS_TEST_TMPDIR/nats.pids"
}

# cluster: a three-node cluster (nats_helpers.bash) whose meta leader is
# elected; sets URL (the three, comma-separated) and URL1.
cluster() {
	declare -ga CPORT RPORT NODE CURL
	start_cluster
	URL=$URLS
	URL1=${CURL[1]}
	cluster_stream_add PROBE 'probe.>'
}

# recipe: README's recipe into ./recipe: each yaml block as the file its
# first line names, each sh block as step1, step2, ...
recipe() {
	mkdir -p recipe
	awk -v dir=recipe '
		/<!-- recipe: many-hosts -->/ { on = 1; next }
		/<!-- \/recipe -->/ { on = 0 }
		!on { next }
		/^```yaml$/ { kind = "yaml"; first = 1; next }
		/^```sh$/ { kind = "sh"; out = dir "/step" (++n); next }
		/^```$/ { kind = ""; next }
		kind == "yaml" && first { f = $2; sub(/[,:]$/, "", f); out = dir "/" f; first = 0 }
		kind != "" { print > out }
	' "$ROOT/README.md"
	[ -f recipe/publish.yaml ] && [ -f recipe/step6 ] && [ ! -f recipe/step7 ]
}

# step N DIR [HOST]: run step N of the recipe in DIR, as printed but for
# the URL, the witness's state and the host's name.
step() {
	local n=$1 dir=$2 host=${3:-web-1}
	sed -e "s|nats://nats:4222|$URL|g" -e "s|/var/lib/grace/witness|$BATS_TEST_TMPDIR/witness-state|g" \
	    -e "s|web-1|$host|g" "recipe/step$n" > "$dir/step$n.sh"
	(cd "$dir" && bash -e -o pipefail "step$n.sh")
}

# place DIR: a machine's directory with the configuration files, as the
# recipe's server URL.
place() {
	mkdir -p "$1"
	local f
	for f in recipe/*.yaml; do
		sed -e "s|nats://nats:4222|$URL|g" "$f" > "$1/${f#recipe/}"
	done
}

# producer_script HOST N FIRST: a `producer` that prints events FIRST..N of
# HOST, metrics of 16 components, each with its sequence number.
producer_script() {
	mkdir -p "$1/bin"
	cat > "$1/bin/producer" <<EOF
#!/bin/sh
awk -v h="$1" -v n="$2" -v f="$3" 'BEGIN {
	for (i = f; i <= n; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"%s-%06d\",\"type\":\"metric\",\"source\":\"%s\",\"time\":\"2026-12-01T10:00:00Z\",\"data\":{\"component\":\"c%d\",\"host\":\"%s\",\"seq\":%d,\"name\":\"cpu\",\"value\":10}}\n", h, i, h, i % 16, h, i
}'
EOF
	chmod +x "$1/bin/producer"
}

# host_run HOST N FIRST: step 2 (the host's pipeline) on HOST.
host_run() {
	producer_script "$1" "$2" "$3"
	PATH="$BATS_TEST_TMPDIR/$1/bin:$PATH" step 2 "$1" "$1"
}

# the ids in the central logs, one per line
central_ids() {
	cat central/p*.log 2>/dev/null | jq -r .event.id
}

@test "README's many-hosts recipe, as printed: two hosts, one chain per partition, checkpoints witnessed, a rewrite caught" {
	cluster
	recipe
	for m in web-1 web-2 central witness; do place "$m"; done
	(cd web-1 && grace-log keygen web-1 > /dev/null)
	(cd web-2 && grace-log keygen web-2 > /dev/null)
	(cd witness && grace-log keygen --witness witness > /dev/null)
	cp web-1/web-1.pub web-2/web-2.pub witness/
	cp witness/witness.pub web-1/
	cp witness/witness.pub web-2/
	# once: the streams, three replicas
	run -0 step 1 central
	[ "$(grep -c "made: subjects" <<<"$output")" -eq 3 ]
	[[ "$output" == *"stream 'EVENTS' on $URL made: subjects grace.events.>; file storage, 3 replicas"* ]]
	[[ "$output" == *"stream 'COSIGNED' on $URL made: subjects grace.cosigned.>; file storage, 3 replicas, 1 message kept per subject"* ]]
	# the central host: one consumer per partition (p3 as printed, the
	# others the same with their number)
	# (each in its own process group, so that teardown kills it whole)
	local p pids=()
	for p in 0 1 2 3 4 5 6 7; do
		sed -e "s|nats://nats:4222|$URL|g" -e "s/p3/p$p/g" recipe/step3 > "central/c$p.sh"
		(cd central && exec setsid bash -e -o pipefail "c$p.sh") &
		pids+=($!)
		echo "-$!" >> nats.pids
	done
	# two hosts publish, at the same time
	host_run web-1 3000 1 &
	local h1=$!
	host_run web-2 3000 1
	wait "$h1"
	[ ! -s web-1/dead.ndjson ] && [ ! -s web-2/dead.ndjson ]
	# every event reaches the central logs, once
	for ((i = 0; i < 300; i++)); do
		[ "$(central_ids | wc -l)" -ge 6000 ] && break
		sleep 0.1
	done
	sleep 0.5
	# stopped as a service is: SIGTERM to grace-route, which drains; the
	# rest of the pipeline ends at the end of its input
	for p in "${pids[@]}"; do pkill -TERM -g "$p" -x grace-route; done
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(central_ids | wc -l)" -eq 6000 ]
	[ "$(central_ids | sort -u | wc -l)" -eq 6000 ]
	# each partition holds each host's events in its order, and verifies
	for p in 0 1 2 3 4 5 6 7; do
		grace-log verify -q -f "central/p$p.log"
		for h in web-1 web-2; do
			jq -r --arg h "$h" 'select(.event.data.host == $h) | .event.data.seq' "central/p$p.log" > seqs
			[ -s seqs ] && sort -n -c seqs
		done
	done
	grace-log verify -q -f web-1/host.log
	[ "$(grace-log cat -e web-1/host.log | jq -r .id | wc -l)" -eq 3000 ]

	# hour 1: both hosts publish their checkpoints, the witness cosigns,
	# the cron jobs verify with the witness's cosignature
	step 4 web-1 web-1
	step 4 web-2 web-2
	run -0 --separate-stderr step 5 witness
	[ -z "$stderr" ]
	[ "$(grace-log cat -e witness/witness.log | jq -r 'select(.type == "grace.witness.cosigned") | .subject' | sort | paste -sd' ')" = "web-1 web-2" ]
	run -0 --separate-stderr step 6 web-1 web-1
	[ "$(sed -n 2p web-1/host.cosigned.cp)" = 3000 ]
	[ "$(grep -c '^— ' web-1/host.cosigned.cp)" -eq 2 ]
	run -0 --separate-stderr step 6 web-2 web-2

	# hour 2: web-1 logs more; its next checkpoint carries the proof
	host_run web-1 3500 3001
	step 4 web-1 web-1
	run -0 --separate-stderr step 5 witness
	run -0 --separate-stderr step 6 web-1 web-1
	[ "$(sed -n 2p web-1/host.cosigned.cp)" = 3500 ]
	# the cron job with nothing new keeps the checkpoint it had
	run -0 --separate-stderr step 6 web-1 web-1
	[ "$(sed -n 2p web-1/host.cosigned.cp)" = 3500 ]

	# web-2 rewrites its chain: other events, more of them
	rm web-2/host.log
	producer_script web-2 3200 1
	sed -i 's/"value":10/"value":99/' web-2/bin/producer
	web-2/bin/producer | grace-log append -f web-2/host.log > /dev/null
	# its hourly publish refuses to sign against what it published before
	run -1 --separate-stderr step 4 web-2 web-2
	[[ "$stderr" == *"refusing to sign a log that does not verify against the checkpoint published before (--since)"* ]]
	# published without the proof (the operator removes host.cp): refused
	rm web-2/host.cp
	step 4 web-2 web-2
	run -1 --separate-stderr step 5 witness
	[[ "$stderr" == *"refused: no consistency proof from the 3000 records cosigned last"* ]]
	[ "$(jq -r .type witness/refused.ndjson)" = grace.witness.refused ]
	[ "$(jq -r .data.size witness/refused.ndjson)" = 3200 ]
	# and the cron job fails on the cosigned checkpoint it has
	run -1 --separate-stderr step 6 web-2 web-2
	[ "$(sed -n 2p web-2/host.cosigned.cp)" = 3000 ]
}

@test "--create-streams: the streams of the nats targets made once, left as they are after; its errors" {
	cluster
	cat > r.yaml <<EOF
default: js
dead_letter: dead.ndjson
targets:
  js: { kind: nats, url: "$URL", stream: EVENTS, partition: {key: [data.c], count: 4}, replicas: 3 }
  other: { kind: nats, url: "$URL", stream: EVENTS, subject: "grace.other.{type}" }
  last: { kind: nats, url: "$URL", stream: LAST, subject: "grace.last.{subject}", max_per_subject: 1 }
  fixed: { kind: nats, url: "$URL", stream: FIXED, subject: "audit.all" }
routes:
  - { type: a, targets: [other, last, fixed] }
EOF
	run -0 --separate-stderr grace-route -c r.yaml --create-streams
	[ -z "$stderr" ]
	[ "$output" = "stream 'EVENTS' on $URL made: subjects grace.events.>, grace.other.>; file storage, 3 replicas
stream 'LAST' on $URL made: subjects grace.last.>; file storage, 1 replica, 1 message kept per subject
stream 'FIXED' on $URL made: subjects audit.all; file storage, 1 replica" ]
	run -0 --separate-stderr grace-route -c r.yaml --create-streams
	[ "$(grep -c 'exists, left as it is' <<<"$output")" -eq 3 ]
	# the stream keeps one message per subject: the newest
	printf 'default: last\ndead_letter: d.ndjson\ntargets:\n  last: { kind: nats, url: "%s", stream: LAST, subject: "grace.last.{subject}" }\nroutes: []\n' "$URL" > l.yaml
	printf '{"id":"1","type":"t","subject":"a"}\n{"id":"2","type":"t","subject":"a"}\n{"id":"3","type":"t","subject":"b"}\n' |
	    grace-route -q -c l.yaml > /dev/null
	[ "$("$NATSCTL" "$URL1" count LAST)" = 2 ]
	# errors
	printf 'default: f\ndead_letter: d.ndjson\ntargets:\n  f: { kind: file, path: x }\nroutes: []\n' > nonats.yaml
	run -2 --separate-stderr grace-route -c nonats.yaml --create-streams
	[ "$stderr" = "grace-route: nonats.yaml: no nats target: no stream to make" ]
	printf 'default: v\ndead_letter: d.ndjson\ntargets:\n  v: { kind: nats, url: "%s", stream: V, subject: "{type}.x" }\nroutes: []\n' "$URL" > var.yaml
	run -2 --separate-stderr grace-route -c var.yaml --create-streams
	[ "$stderr" = "grace-route: var.yaml:4:3: target 'v': its subject '{type}.x' starts with a variable: make the stream 'V' yourself, with the subjects it takes" ]
	printf 'default: v\ndead_letter: d.ndjson\ntargets:\n  v: { kind: nats, url: "nats://127.0.0.1:%s", stream: V, timeout: 1s }\nroutes: []\n' "$(free_port)" > away.yaml
	run -4 --separate-stderr grace-route -c away.yaml --create-streams
	[[ "$stderr" == "grace-route: unable to connect to nats://127.0.0.1:"*": No server available for connection" ]]
	printf 'default: v\ndead_letter: d.ndjson\ntargets:\n  v: { kind: nats, url: "%s", stream: V, replicas: 6 }\nroutes: []\n' "$URL" > six.yaml
	run -2 --separate-stderr grace-route -c six.yaml --create-streams
	[[ "$stderr" == "grace-route: six.yaml:4:"*": replicas is from 1 to 5 (JetStream's limit), not 6" ]]
	printf 'default: f\ndead_letter: d.ndjson\ntargets:\n  f: { kind: file, path: x, replicas: 3 }\nroutes: []\n' > filerep.yaml
	run -2 --separate-stderr grace-route -c filerep.yaml --check
	[[ "$stderr" == "grace-route: filerep.yaml:4:"*"a file target takes no replicas (only a nats target does)" ]]
	run -2 --separate-stderr grace-route -c r.yaml --create-streams --check
	[[ "$stderr" == "grace-route: --create-streams reads only the routes file"* ]]
}

@test "--check: each nats target's stream reachable, there, and taking the target's subjects" {
	cluster
	cat > r.yaml <<EOF
default: js
dead_letter: dead.ndjson
targets:
  js: { kind: nats, url: "$URL", stream: EVENTS, partition: {key: [data.c], count: 4} }
  other: { kind: nats, url: "$URL", stream: EVENTS, subject: "grace.other.{type}" }
routes:
  - { type: a, targets: [other] }
EOF
	run -1 --separate-stderr grace-route -c r.yaml --check
	[ "$stderr" = "grace-route: not ready: stream: EVENTS on $URL: does not exist (grace-route --create-streams makes it)" ]
	grace-route -c r.yaml --create-streams > /dev/null
	run -0 --separate-stderr grace-route -c r.yaml --check -o json
	[ "$(jq -c '.checks[] | select(.check == "stream") | [.subject, .ok, .detail]' <<<"$output")" = "[\"EVENTS on $URL\",true,\"exists, takes the subjects of its targets\"]" ]
	# a stream that takes one token where a type may have two: not ready
	"$NATSCTL" "$URL1" stream-add NARROW 'narrow.*' 3
	printf 'default: n\ndead_letter: d.ndjson\ntargets:\n  n: { kind: nats, url: "%s", stream: NARROW, subject: "narrow.{type}" }\nroutes:\n  - { type: a, targets: [n] }\n' "$URL" > n.yaml
	run -1 --separate-stderr grace-route -c n.yaml --check
	[ "$stderr" = "grace-route: not ready: stream: NARROW on $URL: target 'n' publishes to 'narrow.x.y', which it does not take" ]
	# a partition beyond what the stream takes
	"$NATSCTL" "$URL1" stream-add PARTS 'parts.p0' 3
	printf 'default: n\ndead_letter: d.ndjson\ntargets:\n  n: { kind: nats, url: "%s", stream: PARTS, subject: "parts.p{partition}", partition: {key: [id], count: 2} }\nroutes:\n  - { type: a, targets: [n] }\n' "$URL" > p.yaml
	run -1 --separate-stderr grace-route -c p.yaml --check
	[ "$stderr" = "grace-route: not ready: stream: PARTS on $URL: target 'n' publishes to 'parts.p1', which it does not take" ]
	# a server that is away
	printf 'default: n\ndead_letter: d.ndjson\ntargets:\n  n: { kind: nats, url: "nats://127.0.0.1:%s", stream: X, timeout: 1s }\nroutes:\n  - { type: a, targets: [n] }\n' "$(free_port)" > away.yaml
	run -1 --separate-stderr grace-route -c away.yaml --check
	[[ "$stderr" == "grace-route: not ready: stream: X on nats://127.0.0.1:"*": unable to connect to nats://127.0.0.1:"*": No server available for connection" ]]
}

# commands: shell text on stdin as one command per line: continuation
# lines joined, white space collapsed
commands() {
	awk '{ if (sub(/\\$/, "")) { acc = acc $0 " "; next } print acc $0; acc = "" }' |
	    sed -E 's/[[:space:]]+/ /g; s/ $//'
}

@test "grace(7)'s many-hosts example is README's recipe, command for command" {
	recipe
	cat recipe/step2 recipe/step3 recipe/step4 recipe/step5 recipe/step6 | commands > readme.cmds
	awk '/^\.Ss Many hosts/ { on = 1 } /^\.Ss Smaller things/ { on = 0 } on' "$ROOT/man/grace.7" |
	    awk '/^\.Bd -literal/ { b = 1; next } /^\.Ed/ { b = 0 } b' |
	    sed -e 's/\\e$/\\/' -E -e 's/^[a-z]+\$ //' | commands > man.cmds
	[ "$(wc -l < readme.cmds)" -ge 8 ]
	diff readme.cmds man.cmds
}

