#!/usr/bin/env bats
# e2e-kill.bats - nothing lost: the pipeline of README.md,
#   producer | grace-gate | grace-heal --state st | grace-verify |
#     grace-decide | grace-route | grace-log append --once -f audit.log
# with the shipped configuration, is killed mid-stream (SIGKILL of one
# stage, each in turn); the user sees it (pipefail: a non-zero status,
# 137 for the stage killed); then, after 'grace-log repair' (the
# documented recovery of a torn record, a no-op otherwise), the same
# input is given again to the same pipeline with the same state
# directories. Every event of the input is then in the log exactly once,
# no event is in it twice, and the chain verifies.

load e2e-helpers

N=40

setup() {
	e2e_setup
	"$E2E/stream" "$N" > in.ndjson
}

teardown() {
	local f
	for f in *.pid; do
		[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	true
}

# pipeline [STAGE]: run the pipeline over in.ndjson, one event every 20 ms
# (a live producer), in the background; with STAGE, SIGKILL that stage
# once the log holds 8 records. Waits for the end; status.txt then holds
# the pipeline's status and PIPESTATUS, out.ndjson what grace-log passed
# on, err.txt the stages' standard error.
pipeline() {
	rm -f ./*.pid status.txt
	# (fd 3 is bats's: a background process that kept it would hold the
	# run open)
	( bash -c '
		set -o pipefail
		stage() { sh -c "echo \$\$ > \"\$0.pid\"; exec \"\$@\"" "$@"; }
		{ while IFS= read -r l; do printf "%s\n" "$l"; sleep 0.02; done < in.ndjson |
		    stage gate grace-gate -q |
		    stage heal grace-heal -q --state st -p "$1/playbooks" |
		    stage verify grace-verify -q |
		    stage decide grace-decide -q |
		    stage route grace-route -q |
		    stage log grace-log append --once -f audit.log > out.ndjson
		  echo "$? ${PIPESTATUS[*]}" > status.txt; } 2> err.txt' _ "$ROOT" & ) 3>&-
	if [ -n "${1:-}" ]; then
		for i in $(seq 1 300); do
			[ -f audit.log ] && [ "$(wc -l < audit.log)" -ge 8 ] && [ -f "$1.pid" ] && break
			sleep 0.02
		done
		kill -KILL "$(cat "$1.pid")"
	fi
	for i in $(seq 1 1500); do
		[ -s status.txt ] && return 0
		sleep 0.02
	done
	echo "the pipeline did not finish" >&2
	return 1
}

# killed_then_restarted STAGE: the kill, what the user sees, the restart,
# what the log then holds.
killed_then_restarted() {
	local i st
	pipeline "$1"
	read -r -a st < status.txt
	# the pipeline's status is not 0; the stage killed says 137
	[ "${st[0]}" -ne 0 ]
	i=$(( $(printf '%s\n' gate heal verify decide route log | grep -n "^$1\$" | cut -d: -f1) + 1 ))
	[ "${st[$i]}" -eq 137 ]
	# some of the input is logged already, not all of it
	[ "$(ids audit.log | grep -c '^e2e-')" -lt "$N" ]
	run -0 grace-log repair -f audit.log
	run -0 grace-log verify -q -f audit.log
	# the restart: the same input, the same state directories
	pipeline
	read -r -a st < status.txt
	[ "${st[1]}" -eq 0 ]   # the producer
	for i in 2 3 4 5 6 7; do
		[ "${st[$i]}" -ne 137 ] && [ "${st[$i]}" -ne 141 ] && [ "${st[$i]}" -lt 2 ]
	done
	[ "${st[7]}" -eq 0 ]   # grace-log append
	# every event of the input, once
	[ "$(ids audit.log | grep '^e2e-' | sort)" = "$(stream_ids "$N")" ]
	# no event twice (derived ones included)
	[ "$(ids audit.log | grep -v '^-$' | sort | uniq -d)" = "" ]
	run -0 grace-log verify -q -f audit.log
	# and grace-log passed every event of the input on, with its record
	[ "$(jq -r 'select(.id | startswith("e2e-")) | .id' out.ndjson | sort)" = "$(stream_ids "$N")" ]
	[ "$(jq -c 'select(.grace.log.seq == null)' out.ndjson)" = "" ]
	# and each file target of config/routes.yaml holds what it was sent
	FILES="denials=grace-denials.ndjson reviews=grace-reviews.ndjson failures=grace-failures.ndjson decisions=grace-decisions.ndjson anomalies=grace-anomalies.ndjson healing=grace-healing.ndjson unrouted=grace-unrouted.ndjson"
	DEAD=grace-dead.ndjson
	run -0 accounted <(jq -c 'del(.grace.route.targets[] | select(. == "audit" or . == "console"))' out.ndjson)
	[ "$(grep -vc ' file$' <<< "$output")" -eq 0 ]
}

@test "kill: the pipeline uninterrupted logs every event once" {
	pipeline
	[ "$(cat status.txt)" = "1 0 1 1 1 1 0 0" ]
	[ "$(ids audit.log | grep '^e2e-' | sort)" = "$(stream_ids "$N")" ]
	[ "$(ids audit.log | grep -v '^-$' | sort | uniq -d)" = "" ]
	# the events the stages make (anomalies, proposals) have the same ids
	# in another run from scratch: a replay can recognise them
	mkdir again && cp in.ndjson again/
	(cd again && pipeline)
	[ "$(ids again/audit.log)" = "$(ids audit.log)" ]
	[ "$(ids audit.log | grep -c '^an-')" -gt 0 ]
	[ "$(ids audit.log | grep -c '^h-')" -gt 0 ]
}

@test "kill: grace-gate killed mid-stream, restarted: every event logged once" {
	killed_then_restarted gate
}

@test "kill: grace-heal killed mid-stream, restarted: every event logged once" {
	killed_then_restarted heal
}

@test "kill: grace-verify killed mid-stream, restarted: every event logged once" {
	killed_then_restarted verify
}

@test "kill: grace-decide killed mid-stream, restarted: every event logged once" {
	killed_then_restarted decide
}

@test "kill: grace-route killed mid-stream, restarted: every event logged once" {
	killed_then_restarted route
}

@test "kill: grace-log append killed mid-stream, restarted: every event logged once" {
	killed_then_restarted log
}
