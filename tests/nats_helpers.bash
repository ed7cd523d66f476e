# nats_helpers.bash - real nats-server processes for the suites that need
# them (route-nats.bats, nats-hosts.bats): single servers and three-node
# JetStream clusters on loopback ports, storage in the test's directory,
# every server killed in teardown; and natsctl
# (tests/fixtures/nats/natsctl.c), which adds streams, publishes raw
# messages and counts.

load helpers

# LeakSanitizer: one known report inside libnats is suppressed in the
# suites that talk to a server (tests/lsan.supp says which and why)
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# nats_build_ctl: build natsctl into the file's directory (setup_file).
nats_build_ctl() {
	cc -O1 -o "$BATS_FILE_TMPDIR/natsctl" "$FIX/nats/natsctl.c" -lnats
}

# nats_setup, nats_teardown: setup and teardown of a test that starts
# servers; every server started is killed at the end.
nats_setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	NATSCTL="$BATS_FILE_TMPDIR/natsctl"
	: > nats.pids
}

nats_teardown() {
	local p
	[ -f "$BATS_TEST_TMPDIR/nats.pids" ] || return 0
	while read -r p; do
		kill -9 "$p" 2>/dev/null || true
	done < "$BATS_TEST_TMPDIR/nats.pids"
}

# wait_ready LOG: until the server writing LOG says it is ready (20 s).
wait_ready() {
	local k
	for ((k = 0; k < 200; k++)); do
		grep -q 'Server is ready' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$1" >&2
	return 1
}

# start_nats [PORT]: a JetStream server on 127.0.0.1 (a free port unless
# PORT), storage in ./js; sets NATS_PID, PORT and URL; waits until it is
# ready.
start_nats() {
	local want=${1:--1}
	: > nats.log
	nats-server -js -a 127.0.0.1 -p "$want" -sd "$BATS_TEST_TMPDIR/js" \
	    -l "$BATS_TEST_TMPDIR/nats.log" &
	NATS_PID=$!
	disown "$NATS_PID"
	echo "$NATS_PID" >> nats.pids
	wait_ready nats.log || return 1
	PORT=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' nats.log | tail -1)
	URL="nats://127.0.0.1:$PORT"
}

# stop_nats: kill the server of start_nats (SIGKILL), and wait for it.
stop_nats() {
	kill -9 "$NATS_PID"
	while kill -0 "$NATS_PID" 2>/dev/null; do sleep 0.05; done
}

# free_port: a loopback TCP port nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# start_node I: node I (1-3) of a three-node JetStream cluster on the
# ports in CPORT[] and RPORT[], storage in ./jsI; sets NODE[I].
start_node() {
	local i=$1 j routes=""
	for j in 1 2 3; do
		[ "$j" = "$i" ] || routes="${routes:+$routes,}nats://127.0.0.1:${RPORT[$j]}"
	done
	: > "n$i.log"
	nats-server -js -a 127.0.0.1 -p "${CPORT[$i]}" -n "n$i" --cluster_name grace \
	    -cluster "nats://127.0.0.1:${RPORT[$i]}" -routes "$routes" \
	    -sd "$BATS_TEST_TMPDIR/js$i" -l "$BATS_TEST_TMPDIR/n$i.log" &
	NODE[$i]=$!
	disown "${NODE[$i]}"
	echo "${NODE[$i]}" >> nats.pids
	wait_ready "n$i.log"
}

# kill_node I: SIGKILL node I, and wait until it is gone.
kill_node() {
	kill -9 "${NODE[$1]}"
	while kill -0 "${NODE[$1]}" 2>/dev/null; do sleep 0.05; done
}

# start_cluster: three nodes on free ports (the caller declares the
# arrays: declare -a CPORT RPORT NODE); sets URLS, the three client URLs
# separated by commas, and CURL[I], node I's.
start_cluster() {
	local i p used=" "
	for i in 1 2 3 4 5 6; do
		p=$(free_port)
		while [[ $used == *" $p "* ]]; do p=$(free_port); done
		used="$used$p "
		if [ "$i" -le 3 ]; then CPORT[$i]=$p; else RPORT[$((i - 3))]=$p; fi
	done
	for i in 1 2 3; do start_node "$i" || return 1; done
	for i in 1 2 3; do CURL[$i]="nats://127.0.0.1:${CPORT[$i]}"; done
	URLS="${CURL[1]},${CURL[2]},${CURL[3]}"
}

# cluster_stream_add NAME SUBJECTS: a stream with three replicas, once
# the cluster has elected its JetStream leader (30 s at most).
cluster_stream_add() {
	local i
	for ((i = 0; i < 60; i++)); do
		"$NATSCTL" "${CURL[1]}" stream-add "$1" "$2" 3 2>/dev/null && return 0
		sleep 0.5
	done
	"$NATSCTL" "${CURL[1]}" stream-add "$1" "$2" 3
}

# wait_new_leader URL OLD: wait (60 s at most) until the node at URL
# names a leader of stream EVENTS other than OLD, and print it.
wait_new_leader() {
	local i l
	for ((i = 0; i < 120; i++)); do
		l=$("$NATSCTL" "$1" leader EVENTS 2>/dev/null) || l=
		if [ -n "$l" ] && [ "$l" != "$2" ]; then
			echo "$l"
			return 0
		fi
		sleep 0.5
	done
	echo "no new leader of EVENTS after 60 s (was $2)" >&2
	return 1
}

# blocked_writing PID: a thread of PID is blocked writing to a pipe.
blocked_writing() {
	grep -q 'pipe_write$' /proc/"$1"/task/*/wchan 2>/dev/null
}
