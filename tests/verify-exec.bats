#!/usr/bin/env bats
# grace-verify exec checks: argv only, event data only as environment or
# stdin, timeouts that kill the whole process group, bounded output,
# resource limits, a fresh working directory, -j concurrency in order.

load verify-helpers

@test "exec passes on an accepted exit status and fails otherwise, quoting stderr after the check's message" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: ok
	        exec: {argv: ["true"]}
	      - name: three
	        message: the API is down
	        exec: {argv: [sh, -c, 'echo progress; echo "disk full" >&2; exit 3']}
	      - name: three-is-fine
	        exec: {argv: [sh, -c, 'exit 3'], exit: [0, 3]}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"id":"1"}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"failed","confidence":0.6667,"checks":[{"name":"ok","kind":"exec","result":"pass","message":"exit 0"},{"name":"three","kind":"exec","result":"fail","message":"the API is down: exit 3: disk full"},{"name":"three-is-fine","kind":"exec","result":"pass","message":"exit 3"}],"contract":"k"}' ]
	no_workdirs
}

@test "a command that cannot be started is inconclusive, not a crash" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: missing, exec: {argv: [no-such-command-grace]}}
	      - {name: not-a-file, exec: {argv: [./nope.sh]}}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"id":"1"}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"missing","kind":"exec","result":"error","message":"unable to run '"'"'no-such-command-grace'"'"': No such file or directory"},{"name":"not-a-file","kind":"exec","result":"error","message":"unable to run '"'"''"$(pwd -P)"'/nope.sh'"'"': No such file or directory"}],"contract":"k"}' ]
	no_workdirs
}

@test "event data with shell metacharacters reaches a check only as data (env, GRACE_EVENT, stdin)" {
	mkdir out
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: echo
	        exec:
	          argv: [sh, -c, 'printf "%s" "$V" > "$OUT/v"; printf "%s" "$GRACE_EVENT" > "$OUT/event"; cat > "$OUT/stdin"; printf "%s|%s|%s|%s" "$GRACE_EVENT_ID" "$GRACE_EVENT_TYPE" "$GRACE_CONTRACT" "$GRACE_CHECK" > "$OUT/ids"; printf "%s" "${N-unset}" > "$OUT/n"']
	          env: {V: .data.v, OUT: .data.out, N: .data.missing}
	          stdin: event
	EOF
	# $(...), backticks, both quotes, a newline, a semicolon, a glob.
	jq -nc --arg out "$PWD/out" --arg canary "$PWD/canary" '{
	    id: "id-$(touch \($canary)1)",
	    type: "t`touch \($canary)2`",
	    data: {v: "$(touch \($canary)3); `touch \($canary)4` \"q\" '"'"'s'"'"' \n;rm -rf / *", out: $out}}' > ev.json
	run -0 --separate-stderr grace-verify -c c.yaml ev.json
	[ -z "$stderr" ]
	[ "$(vfield .grace.verify.status)" = verified ]
	# The bytes the command saw are exactly the event's.
	jq -j .data.v ev.json > want-v
	cmp want-v out/v
	printf '%s' "$(cat ev.json)" > want-event
	cmp want-event out/event
	cmp ev.json out/stdin
	[ "$(cat out/ids)" = "$(jq -j '"\(.id)|\(.type)|k|echo"' ev.json)" ]
	[ "$(cat out/n)" = unset ]
	# Nothing was ever run by a shell from the data.
	[ ! -e canary1 ] && [ ! -e canary2 ] && [ ! -e canary3 ] && [ ! -e canary4 ]
	no_workdirs
}

@test "env values: numbers as jq prints them, objects as JSON, a NUL byte is inconclusive" {
	mkdir out
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: env
	        exec:
	          argv: [sh, -c, 'printf "%s\n%s\n%s\n" "$N" "$O" "$B" > "$OUT/env"']
	          env: {N: .data.n, O: .data.o, B: .data.b, OUT: .data.out}
	EOF
	jq -nc --arg out "$PWD/out" '{data: {n: 1.50, o: {"a": [1, "x"]}, b: true, out: $out}}' > ev.json
	run -0 grace-verify -c c.yaml ev.json
	[ "$(cat out/env)" = '1.5
{"a":[1,"x"]}
true' ]
	run -1 grace-verify -c c.yaml <<< '{"data":{"n":"a\u0000b","out":"."}}'
	[ "$(vfield '.grace.verify.checks[0] | [.result, .message] | @text')" = '["error","env N: the value holds a NUL byte, which an environment variable cannot carry"]' ]
}

@test "exec timeout kills the sleeping child and its children (the grandchild is gone)" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: hangs
	        exec:
	          argv: [sh, -c, 'sleep 30 & echo $! > "$PIDS/grandchild"; echo $$ > "$PIDS/child"; sleep 30']
	          env: {PIDS: .dir}
	          timeout: 300ms
	          kill_after: 200ms
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< "{\"dir\":\"$PWD\"}"
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"failed","confidence":0,"checks":[{"name":"hangs","kind":"exec","result":"fail","message":"timed out after 300ms (killed)"}],"contract":"k"}' ]
	[ -s grandchild ] && [ -s child ]
	gone "$(cat child)"
	for i in $(seq 50); do gone "$(cat grandchild)" && break; sleep 0.1; done
	gone "$(cat grandchild)"
	no_workdirs
}

@test "a child that ignores SIGTERM is killed with SIGKILL kill_after later, its group too" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: stubborn
	        exec:
	          argv: [sh, -c, 'trap "" TERM; sleep 30 & echo $! > "$PIDS/grandchild"; sleep 30']
	          env: {PIDS: .dir}
	          timeout: 300ms
	          kill_after: 200ms
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< "{\"dir\":\"$PWD\"}"
	[ "$(vfield '.grace.verify.checks[0].message')" = "timed out after 300ms (killed)" ]
	for i in $(seq 50); do gone "$(cat grandchild)" && break; sleep 0.1; done
	gone "$(cat grandchild)"
}

@test "a command that prints 100 MB costs max_output bytes: the rest is counted and dropped" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: loud
	        exec: {argv: [head, -c, "100000000", /dev/zero]}
	      - name: loud-json
	        exec: {argv: [sh, -c, 'head -c 100000000 /dev/zero | tr "\0" x'], json: '.ok', max_output: 1KiB}
	EOF
	# Under an address-space limit far below 100 MB (not with ASan, which
	# reserves terabytes of address space).
	if ldd "$(command -v grace-verify)" | grep -q libasan; then
		run -1 --separate-stderr grace-verify -c c.yaml <<< '{"id":"1"}'
	else
		run -1 --separate-stderr bash -c 'ulimit -v 60000; exec grace-verify -c c.yaml' <<< '{"id":"1"}'
	fi
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"failed","confidence":0.5,"checks":[{"name":"loud","kind":"exec","result":"pass","message":"exit 0 (stdout: 100000000 bytes, first 65536 kept)"},{"name":"loud-json","kind":"exec","result":"fail","message":"exit 0, but stdout is over 1024 bytes: not parsed as JSON (stdout: 100000000 bytes, first 1024 kept)"}],"contract":"k"}' ]
	[ "${#output}" -lt 2000 ]
}

@test "resource limits: open files, memory and CPU time" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: files
	        exec: {argv: [sh, -c, 'exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null'], files: 5}
	      - name: files-ok
	        exec: {argv: [sh, -c, 'exec 3</dev/null 4</dev/null'], files: 5}
	      - name: memory
	        exec: {argv: [perl, -e, '$x = "a" x $ARGV[0]; print length $x', "300000000"], memory: 100MiB}
	      - name: cpu
	        exec: {argv: [sh, -c, 'while :; do :; done'], cpu: 1s, timeout: 20s}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"id":"1"}'
	[ "$(vfield '[.grace.verify.checks[] | .result] | @text')" = '["fail","pass","fail","fail"]' ]
	[[ "$(vfield '.grace.verify.checks[0].message')" == "exit 2: "* ]]
	[[ "$(vfield '.grace.verify.checks[2].message')" == *"Out of memory!"* ]]
	[ "$(vfield '.grace.verify.checks[3].message')" = "killed by SIGXCPU" ]
}

@test "each command runs in a fresh working directory that is removed afterwards" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: where
	        exec: {argv: [sh, -c, 'pwd > "$OUT/pwd"; ls -A > "$OUT/ls"; mkdir -p deep/er; touch deep/er/f; chmod 000 deep'], env: {OUT: .out}}
	EOF
	run -0 grace-verify -c c.yaml <<< "{\"out\":\"$PWD\"}"
	[[ "$(cat pwd)" == "$TMPDIR/grace-exec."* ]]
	[ ! -s ls ]
	[ ! -e "$(cat pwd)" ]
	run -0 grace-verify -c c.yaml <<< "{\"out\":\"$PWD\"}"
	[ "$(cat pwd)" != "$(cat ls)" ]
	no_workdirs
}

@test "match: a regex over stdout; json: a jq assertion over stdout parsed as JSON" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: m-ok, exec: {argv: [echo, "status: healthy"], match: 'status:\s+healthy'}}
	      - {name: m-no, exec: {argv: [echo, "status: degraded"], match: 'status:\s+healthy'}}
	      - {name: j-ok, exec: {argv: [echo, '{"ok":true,"n":3}'], json: '.ok and .n >= 3'}}
	      - {name: j-no, exec: {argv: [echo, '{"ok":false}'], json: '.ok'}}
	      - {name: j-bad, exec: {argv: [echo, 'not json'], json: '.ok'}}
	      - {name: j-err, exec: {argv: [echo, '{"ok":"x"}'], json: '.ok | tonumber'}}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"id":"1"}'
	[ "$(verdicts)" = '{"status":"failed","confidence":0.4167,"checks":[{"name":"m-ok","kind":"exec","result":"pass","message":"exit 0, stdout matches /status:\\s+healthy/"},{"name":"m-no","kind":"exec","result":"fail","message":"exit 0, but stdout does not match /status:\\s+healthy/"},{"name":"j-ok","kind":"exec","result":"pass","message":"exit 0, .ok and .n >= 3 holds on stdout"},{"name":"j-no","kind":"exec","result":"fail","message":"exit 0, but on stdout .ok is not true"},{"name":"j-bad","kind":"exec","result":"fail","message":"exit 0, but stdout is not JSON: Invalid numeric literal at line 1, column 4"},{"name":"j-err","kind":"exec","result":"error","message":"exit 0, json: jq: error: Invalid numeric literal at EOF at line 1, column 1 (while parsing '"'"'x'"'"')"}],"contract":"k"}' ]
}

@test "an event too big for the environment still reaches the command on stdin" {
	mkdir out
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: big
	        exec: {argv: [sh, -c, 'printf "%s" "${GRACE_EVENT-unset}" | head -c 20 > "$OUT/env"; wc -c > "$OUT/stdin"'], env: {OUT: .out}, stdin: event}
	EOF
	big=$(head -c 200000 /dev/zero | tr '\0' a)
	printf '{"out":"%s","pad":"%s"}\n' "$PWD/out" "$big" > ev.json
	run -0 grace-verify -c c.yaml ev.json
	[ "$(cat out/env)" = unset ]
	[ "$(cat out/stdin)" -eq "$(wc -c < ev.json)" ]
}

@test "-j: checks of several events run at once and verdicts keep the input order" {
	# Event 1's check waits (at most 3s) for a file that only event 2's
	# check creates: with -j 2 both pass, event 1 still printed first.
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: rendezvous
	        exec:
	          argv: [sh, -c, 'if [ "$ROLE" = wait ]; then i=0; while [ ! -e "$D/go" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; test -e "$D/go"; else touch "$D/go"; fi']
	          env: {ROLE: .role, D: .dir}
	EOF
	printf '{"id":"1","role":"wait","dir":"%s"}\n{"id":"2","role":"go","dir":"%s"}\n{"id":"3","role":"none","dir":"%s/x"}\n' "$PWD" "$PWD" "$PWD" > in.ndjson
	run -1 --separate-stderr grace-verify -c c.yaml -j 2 in.ndjson
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -r '"\(.id) \(.grace.verify.status)"' | tr '\n' ' ')" = "1 verified 2 verified 3 failed " ]
	# One at a time the first one cannot succeed: it waits for the second.
	rm -f go
	run -1 --separate-stderr grace-verify -c c.yaml -j 1 in.ndjson
	[ "$(printf '%s\n' "$output" | jq -r '"\(.id) \(.grace.verify.status)"' | tr '\n' ' ')" = "1 failed 2 verified 3 failed " ]
}

@test "-j keeps order across many events, bad lines and unmatched events, in every format" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks:
	      - {name: slow-or-not, exec: {argv: [sh, -c, 'sleep "$S"'], env: {S: .s}}}
	      - {name: even, jq: '.n % 2 == 0'}
	EOF
	for i in $(seq 1 24); do
		if [ $((i % 7)) -eq 0 ]; then echo "bad $i"; continue; fi
		if [ $((i % 5)) -eq 0 ]; then echo "{\"n\":$i,\"type\":\"u\"}"; continue; fi
		echo "{\"n\":$i,\"type\":\"t\",\"s\":\"0.0$((24 - i))\"}"
	done > in.ndjson
	run -3 --separate-stderr grace-verify -c c.yaml -j 1 in.ndjson
	one=$output
	run -3 --separate-stderr grace-verify -c c.yaml -j 8 in.ndjson
	[ "$(printf '%s\n' "$output" | verdicts -)" = "$(printf '%s\n' "$one" | verdicts -)" ]
	[ "$(printf '%s\n' "$output" | jq -r '.n // .data.line' | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 " ]
	run -3 --separate-stderr grace-verify -c c.yaml -j 8 -o text in.ndjson
	[ "${#lines[@]}" -eq 24 ]
	[ "${lines[6]}" = "in.ndjson:7 rejected - not JSON: unexpected 'b'" ]
}

@test "SIGTERM or SIGINT to grace-verify takes the running checks with it, and their directories" {
	contracts <<-'EOF2'
	contracts:
	  - id: k
	    checks:
	      - name: long
	        exec:
	          argv: [sh, -c, 'sleep 30 & echo $! > "$D/grandchild"; sleep 30']
	          env: {D: .dir}
	          timeout: 60s
	EOF2
	for sig in TERM INT; do
		for j in 1 3; do
			rm -f grandchild
			grace-verify -c c.yaml -j "$j" <<< "{\"dir\":\"$PWD\"}" > out.txt &
			pid=$!
			for i in $(seq 50); do [ -s grandchild ] && break; sleep 0.1; done
			[ -s grandchild ]
			kill -"$sig" "$pid"
			status=0
			wait "$pid" || status=$?
			[ "$status" -eq $((128 + $(kill -l "$sig"))) ]
			for i in $(seq 50); do gone "$(cat grandchild)" && break; sleep 0.1; done
			gone "$(cat grandchild)"
			[ ! -s out.txt ]
			no_workdirs
		done
	done
}
