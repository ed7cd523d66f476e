#!/usr/bin/env bats
# grace-route: the command line, the routes file and --check, matching,
# the grace.route annotation, --dry-run, --explain, bad input and exit
# statuses, the file, log, stdout, stderr and fifo targets, report
# formats. Queues, subscribers, overflow, drain and dead letters are in
# route-targets.bats.

load helpers

RFIX="$FIX/route"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# cfg TEXT: write routes.yaml in the test's directory.
cfg() {
	printf '%s\n' "$1" > routes.yaml
}

MIN='default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes: []'

# ------------------------------------------------------------------- CLI

@test "--help and --version write to stdout and exit 0" {
	run -0 --separate-stderr grace-route --help
	assert_line --index 0 'usage: grace-route [-c FILE] [-o FORMAT] [--dry-run] [--explain] [--strict]'
	assert_output --partial '  -o, --output FMT    ndjson (default: the annotated events), text, tap, junit'
	assert_output --partial 'Exit status: 0 every event delivered, 1 some event quarantined or'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-route -h
	assert_line --index 0 'usage: grace-route [-c FILE] [-o FORMAT] [--dry-run] [--explain] [--strict]'
	run -0 --separate-stderr grace-route --version
	assert_output --regexp '^grace-route \(grace\) [0-9]+\.[0-9]+\.[0-9]+$'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-route -V
	assert_output --regexp '^grace-route \(grace\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "bad options are usage errors (exit 2, nothing read, nothing written)" {
	cfg "$MIN"
	run -2 --separate-stderr grace-route --bogus < /dev/null
	assert_output ''
	[ "$stderr" = "grace-route: unrecognized option '--bogus'
Try 'grace-route --help' for more information." ]
	run -2 --separate-stderr grace-route -c routes.yaml -o xml < /dev/null
	[ "$stderr" = "grace-route: -o takes ndjson, text, tap, junit or github, not 'xml'
Try 'grace-route --help' for more information." ]
	run -2 --separate-stderr grace-route -c routes.yaml --output=yaml < /dev/null
	[ "$stderr" = "grace-route: -o takes ndjson, text, tap, junit or github, not 'yaml'
Try 'grace-route --help' for more information." ]
	run -2 --separate-stderr grace-route -c routes.yaml --max-line 0 < /dev/null
	[ "$stderr" = "grace-route: --max-line takes a byte count from 1 to 1073741824, not '0'
Try 'grace-route --help' for more information." ]
	run -2 --separate-stderr grace-route -c routes.yaml --check x.ndjson
	[ "$stderr" = "grace-route: --check and --test read no input files
Try 'grace-route --help' for more information." ]
	[ ! -e out.ndjson ] && [ ! -e dead.ndjson ]
}

@test "the routes file is found on the search path; a missing one is a usage error" {
	mkdir conf
	cfg "$MIN"
	mv routes.yaml conf/
	GRACE_CONFIG_DIR="$PWD/conf" run -0 --separate-stderr grace-route -q <<< '{"type":"t"}'
	assert_output '{"type":"t","grace":{"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}}'
	[ "$(cat out.ndjson)" = "$output" ]
	mkdir empty && cd empty
	HOME="$PWD" XDG_CONFIG_HOME="$PWD" GRACE_CONFIG_DIR= run -2 --separate-stderr grace-route < /dev/null
	assert_output ''
	[[ "$stderr" == "grace-route: no routes.yaml found (looked in: "*"use -c FILE" ]]
	run -2 --separate-stderr grace-route -c nothere.yaml < /dev/null
	[ "$stderr" = "grace-route: nothere.yaml: cannot open: No such file or directory" ]
	# A silences file the routes file names but that is not there: the
	# same configuration error, before any event is read.
	cd ..
	printf 'default: out\ndead_letter: d\nsilences: gone.yaml\ntargets:\n  out: { kind: file, path: x }\nroutes: []\n' > s-routes.yaml
	run -2 --separate-stderr grace-route -c s-routes.yaml <<< '{"type":"t"}'
	assert_output ''
	[ "$stderr" = "grace-route: gone.yaml: cannot open: No such file or directory" ]
	[ ! -e x ]
}

# ------------------------------------------------------------ --check

@test "--check: ok line on stdout, warnings with file:line:col on stderr, exit 0" {
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  spare: { kind: stderr }
  pager: { kind: stdout }
routes:
  - type: "a.*"
    targets: [pager]'
	run -0 --separate-stderr grace-route -c routes.yaml --check
	assert_output 'routes.yaml: ok: 3 targets, 1 route, default out, 1 warning'
	[ "$stderr" = "grace-route: routes.yaml:5:3: warning: target 'spare' is used by no route (and is not the default or the quarantine)" ]
	[ ! -e out.ndjson ] && [ ! -e dead.ndjson ]
	cfg "$MIN"
	run -0 --separate-stderr grace-route -c routes.yaml --check
	assert_output 'routes.yaml: ok: 1 target, 0 routes, default out, 1 warning'
	[ "$stderr" = "grace-route: routes.yaml:5:9: warning: no routes: every event goes to the default target 'out'" ]
	run -0 --separate-stderr grace-route -c "$RFIX/match.yaml" --check
	assert_output "$RFIX/match.yaml: ok: 5 targets, 4 routes, default unmatched, 0 warnings"
	[ -z "$stderr" ]
}

# bad_cfg MESSAGE: routes.yaml is refused, by --check and by a run alike,
# with exactly MESSAGE on stderr and exit 2, nothing read or written.
bad_cfg() {
	run -2 --separate-stderr grace-route -c routes.yaml --check
	assert_output ''
	[ "$stderr" = "$1" ] || { echo "got: $stderr"; return 1; }
	run -2 --separate-stderr grace-route -c routes.yaml <<< '{"type":"x"}'
	assert_output ''
	[ "$stderr" = "$1" ]
	[ ! -e out.ndjson ] && [ ! -e dead.ndjson ]
}

@test "--check: an unknown target, in a route or as the default, is an error at its line" {
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - name: r1
    targets: [out, paegr]'
	bad_cfg "grace-route: routes.yaml:7:20: route 'r1': unknown target 'paegr'"
	cfg 'default: nowhere
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes: []'
	bad_cfg "grace-route: routes.yaml:1:10: unknown default target 'nowhere'"
}

@test "--check: bad globs and regexes, jq that does not compile, bad matchers" {
	cfg "$MIN
  - type: 'gate.[abc'
    targets: out"
	sed -i 's/routes: \[\]/routes:/' routes.yaml
	bad_cfg "grace-route: routes.yaml:6:11: bad glob 'gate.[abc': '[' is not closed by ']'"
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - match: ["data.host =~ web-(["]
    targets: out'
	bad_cfg "grace-route: routes.yaml:6:13: matcher 'data.host =~ web-([': bad regex: premature end of char-class"
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - when: ".data.n >"
    targets: out'
	run -2 --separate-stderr grace-route -c routes.yaml --check
	[[ "$stderr" == "grace-route: routes.yaml:6:11: invalid jq expression '.data.n >': "* ]]
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - match: ["data.host ~= web"]
    targets: out'
	bad_cfg "grace-route: routes.yaml:6:13: matcher 'data.host ~= web': expected one of =, !=, =~, !~ after the member path"
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - match: ["data..host = web"]
    targets: out'
	bad_cfg "grace-route: routes.yaml:6:13: matcher 'data..host = web': empty part in the member path"
}

@test "--check: unknown keys are errors, so a typo never weakens a route" {
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - type: a
    targets: out
    contiune: true'
	bad_cfg "grace-route: routes.yaml:8:5: unknown key 'contiune' (expected one of: name, source, type, match, when, require, validate, dedupe, throttle, targets, priority, continue)"
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson, overflw: drop_newest }
routes: []'
	bad_cfg "grace-route: routes.yaml:4:40: unknown key 'overflw' (expected one of: kind, path, argv, queue, overflow, spill, retries, backoff, backoff_max, breaker, url, subject, stream, partition, timeout, window, replicas, max_per_subject)"
	cfg 'default: out
dead_letter: dead.ndjson
tagrets: {}'
	bad_cfg "grace-route: routes.yaml:3:1: unknown key 'tagrets' (expected one of: default, quarantine, dead_letter, drain_timeout, targets, routes, inhibit, silences, trust)"
}

@test "--check: a route after a catch-all can never match: an error naming both" {
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - name: everything
    targets: out
  - name: late
    type: gate.denied
    targets: out'
	bad_cfg "grace-route: routes.yaml:8:5: route 'late' can never match: route 'everything' (line 6) before it matches every event and does not continue"
	# a catch-all that continues, or a later catch-all, is fine
	sed -i 's/    targets: out$/    targets: out\n    continue: true/' routes.yaml
	run -0 --separate-stderr grace-route -c routes.yaml --check
	assert_output 'routes.yaml: ok: 1 target, 2 routes, default out, 0 warnings'
}

@test "--check: target kinds, paths, argv, queue, overflow and priorities are checked" {
	t() {
		printf 'default: out\ndead_letter: d\ntargets:\n  out: %s\nroutes: []\n' "$1" > routes.yaml
		run -2 --separate-stderr grace-route -c routes.yaml --check
		[ "$stderr" = "grace-route: routes.yaml:4:$2" ] || { echo "$1 -> $stderr"; return 1; }
	}
	t '{ kind: kafka }' "16: unknown target kind 'kafka' (expected one of: file, log, stdout, stderr, fifo, exec, nats)"
	t '{ kind: file }' "8: target 'out' (file) needs a path"
	t '{ kind: stdout, path: x }' "30: a stdout target takes no path"
	t '{ kind: exec, argv: "notify-send $x" }' "28: argv is a list of strings (never a shell command), got a string"
	t '{ kind: exec, argv: [] }' "28: argv is empty"
	t '{ kind: file, path: x, queue: 0 }' "38: queue is from 1 to 16777216 events, not 0"
	t '{ kind: file, path: x, overflow: drop }' "41: unknown overflow policy 'drop' (expected one of: block, drop_newest, drop_oldest, spill)"
	t '{ kind: file, path: x, overflow: spill }' "8: target 'out': overflow spill needs a spill file"
	t '{ kind: file, path: x, spill: s }' "38: a spill file needs overflow: spill"
	t '{ kind: file, path: x, backoff: 5 }' "40: missing unit in duration '5': use 5s"
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes:
  - targets: out
    priority: urgent'
	bad_cfg "grace-route: routes.yaml:7:15: unknown priority 'urgent' (expected one of: critical, high, normal, low)"
	cfg 'default: out
targets:
  out: { kind: file, path: out.ndjson }
routes: []'
	bad_cfg "grace-route: routes.yaml:1:1: missing required key 'dead_letter'"
}

# ------------------------------------------------------------ matching

@test "matching: exact and glob source/type, anchored matchers, jq, continue, default" {
	cp "$RFIX/match.yaml" .
	run -0 --separate-stderr grace-route -c match.yaml -q < "$RFIX/events.ndjson"
	[ -z "$stderr" ]
	run -0 jq -c '[.id, .grace.route.matched, .grace.route.targets, .grace.route.priority // .grace.route.reason]' <<< "$output"
	assert_output '["1",["deny-web","gate"],["pager","audit"],"critical"]
["2",["gate"],["audit"],"normal"]
["3",["gate"],["audit"],"normal"]
["4",["gate"],["audit"],"normal"]
["5",["web-anomalies"],["web"],"high"]
["6",[],["unmatched"],"unmatched"]
["7",[],["unmatched"],"unmatched"]
["8",["big-deploys"],["big"],"low"]
["9",[],["unmatched"],"unmatched"]
["10",[],["unmatched"],"unmatched"]'
	# each target got exactly its events, annotated, in order
	[ "$(jq -r .id audit.ndjson | tr '\n' ' ')" = "1 2 3 4 " ]
	[ "$(jq -r .id pager.ndjson | tr '\n' ' ')" = "1 " ]
	[ "$(jq -r .id web.ndjson | tr '\n' ' ')" = "5 " ]
	[ "$(jq -r .id big.ndjson | tr '\n' ' ')" = "8 " ]
	[ "$(jq -r .id unmatched.ndjson | tr '\n' ' ')" = "6 7 9 10 " ]
	[ "$(jq -c .grace.route unmatched.ndjson | head -1)" = '{"matched":[],"targets":["unmatched"],"reason":"unmatched","rule":"default"}' ]
	[ ! -s dead.ndjson ]
}

@test "matchers: a missing or null member is the empty string; numbers and booleans as written" {
	cfg 'default: no
dead_letter: dead.ndjson
targets:
  yes: { kind: file, path: yes.ndjson }
  no: { kind: file, path: no.ndjson }
routes:
  - match: ["data.team = \"\"", "data.n = 5", "data.ok = true", "data.deep.x.y != 1"]
    targets: yes'
	printf '%s\n' '{"id":"a","data":{"n":5,"ok":true}}' '{"id":"b","data":{"n":5,"ok":true,"team":null}}' \
		'{"id":"c","data":{"n":5,"ok":true,"team":"x"}}' '{"id":"d","data":{"n":"5","ok":"true"}}' \
		'{"id":"e","data":{"n":5,"ok":true,"deep":{"x":{"y":1}}}}' '{"id":"f","data":{"n":5,"ok":true,"n":6}}' \
		'{"id":"g","data":{"\u006e":5,"ok":true}}' | grace-route -q -c routes.yaml > /dev/null
	[ "$(jq -r .id yes.ndjson | tr '\n' ' ')" = "a b d g " ]
	[ "$(jq -r .id no.ndjson | tr '\n' ' ')" = "c e f " ]
}

@test "globs: *, ?, sets, escapes; a list of values matches any of them" {
	cfg 'default: no
dead_letter: dead.ndjson
targets:
  yes: { kind: file, path: yes.ndjson }
  no: { kind: file, path: no.ndjson }
routes:
  - type: ["a?c", "x[0-9]*", "lit\\*", "[!q]z"]
    targets: yes'
	for t in abc a-c ac x1 x12y x y 'lit*' litx qz rz; do
		printf '{"type":"%s"}\n' "$t"
	done | grace-route -q -c routes.yaml > /dev/null
	[ "$(jq -r .type yes.ndjson | tr '\n' ' ')" = 'abc a-c x1 x12y lit* rz ' ]
	[ "$(jq -r .type no.ndjson | tr '\n' ' ')" = 'ac x y litx qz ' ]
}

@test "an event without source or type matches only routes that do not ask for them" {
	cfg 'default: no
dead_letter: dead.ndjson
targets:
  yes: { kind: file, path: yes.ndjson }
  no: { kind: file, path: no.ndjson }
routes:
  - source: "*"
    targets: yes'
	printf '%s\n' '{"id":"1","source":"s"}' '{"id":"2"}' '{"id":"3","source":5}' | grace-route -q -c routes.yaml > /dev/null
	[ "$(jq -r .id yes.ndjson | tr '\n' ' ')" = '1 ' ]
	[ "$(jq -r .id no.ndjson | tr '\n' ' ')" = '2 3 ' ]
}

@test "an existing grace member keeps its verdicts; grace.route is added or replaced" {
	cfg "$MIN"
	printf '%s\n' '{"type":"t","grace":{"gate":{"decision":"allow"}}}' '{"type":"t","grace":{"route":{"old":1}}}' > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	assert_output '{"type":"t","grace":{"gate":{"decision":"allow"},"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}}
{"type":"t","grace":{"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}}'
}

# ------------------------------------------------- --dry-run, --explain

@test "--dry-run annotates where each event would go and opens nothing" {
	cp "$RFIX/match.yaml" .
	run -0 --separate-stderr grace-route -c match.yaml --dry-run < "$RFIX/events.ndjson"
	[ "$(jq -c .grace.route <<< "$output" | sed -n 1p)" = '{"matched":["deny-web","gate"],"targets":["pager","audit"],"priority":"critical","dry_run":true}' ]
	[ "$(jq -c .grace.route <<< "$output" | sed -n 6p)" = '{"matched":[],"targets":["unmatched"],"reason":"unmatched","rule":"default","dry_run":true}' ]
	[ "$stderr" = '10 events, 6 routed, 4 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 0 errors (dry run: nothing delivered)' ]
	[ ! -e dead.ndjson ] && [ ! -e audit.ndjson ] && [ ! -e unmatched.ndjson ]
}

@test "--explain prints every route consulted and why, on stderr" {
	cp "$RFIX/match.yaml" .
	sed -n '1p;2p;5p;6p;9p' "$RFIX/events.ndjson" > in.ndjson
	run -0 --separate-stderr grace-route -q --dry-run --explain -c match.yaml < in.ndjson
	[ "$stderr" = "grace-route: <stdin>:1: event 1
  route deny-web: matched (continue)
  route gate: matched
grace-route: <stdin>:2: event 2
  route deny-web: no: matcher 'data.env != staging' fails on 'staging'
  route gate: matched
grace-route: <stdin>:3: event 5
  route deny-web: no: source 'sensor' does not match
  route gate: no: source 'sensor' does not match
  route web-anomalies: matched
grace-route: <stdin>:4: event 6
  route deny-web: no: source 'sensor' does not match
  route gate: no: source 'sensor' does not match
  route web-anomalies: no: matcher 'data.level !~ debug|trace' fails on 'debug'
  route big-deploys: no: type 'anomaly.latency' does not match
  no route matched: default target unmatched
grace-route: <stdin>:5: event 9
  route deny-web: no: source (none) does not match
  route gate: no: source (none) does not match
  route web-anomalies: no: type 'deploy.requested' does not match
  route big-deploys: no: when '.data.n > 100' is false
  no route matched: default target unmatched" ]
}

# ---------------------------------------------------- bad input, errors

@test "a malformed line: diagnostic, rejection record in its place, the rest routed, exit 3" {
	cfg "$MIN"
	printf '%s\n' '{"id":"1"}' 'not json' '{"id":"3","grace":[1]}' '{"id":"4"}' > in.ndjson
	run -3 --separate-stderr grace-route -c routes.yaml < in.ndjson
	assert_output '{"id":"1","grace":{"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}}
{"type":"grace.input.rejected","source":"grace-route","data":{"input":"<stdin>","line":2,"column":1,"error":"not JSON: unexpected '"'n'"'"}}
{"type":"grace.input.rejected","source":"grace-route","data":{"input":"<stdin>","line":3,"column":19,"error":"member '"'grace'"' is an array, not an object"}}
{"id":"4","grace":{"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}}'
	[ "$stderr" = "grace-route: <stdin>:2:1: not JSON: unexpected 'n'
grace-route: <stdin>:3:19: member 'grace' is an array, not an object
4 events, 0 routed, 2 unmatched, 0 quarantined, 0 suppressed, 0 dead-lettered, 2 errors
  out (file): 2 queued, 2 delivered, 0 dropped, 0 spilled, 0 failed, 0 abandoned" ]
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = '1 4 ' ]
	run -3 --separate-stderr grace-route -q --strict -c routes.yaml < in.ndjson
	[ "${#lines[@]}" -eq 2 ]
}

@test "a jq condition that fails at run time: the event goes to the default target, exit 3" {
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  big: { kind: file, path: big.ndjson }
routes:
  - when: .data.n > 1 and (.data.n | test("x"))
    targets: big'
	printf '%s\n' '{"id":"1","data":{"n":5}}' '{"id":"2","data":{"n":0}}' > in.ndjson
	run -3 --separate-stderr grace-route -c routes.yaml -q < in.ndjson
	assert_output '{"id":"1","data":{"n":5},"grace":{"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default","error":true}}}
{"id":"2","data":{"n":0},"grace":{"route":{"matched":[],"targets":["out"],"reason":"unmatched","rule":"default"}}}'
	[[ "$stderr" == "grace-route: routes.yaml:7:11: jq: error: "*"
grace-route: <stdin>:1: routed to the default target 'out'" ]]
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = '1 2 ' ]
	[ ! -e big.ndjson ]
}

@test "an unwritable dead-letter file is a system error before anything is read" {
	cfg 'default: out
dead_letter: nodir/dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
routes: []'
	run -4 --separate-stderr grace-route -c routes.yaml <<< '{"id":"1"}'
	assert_output ''
	[ "$stderr" = "grace-route: nodir/dead.ndjson: unable to open the dead-letter file: No such file or directory" ]
}

# ----------------------------------------------------- simple targets

@test "log target: events are appended to a grace-log chain that verifies" {
	cfg 'default: chain
dead_letter: dead.ndjson
targets:
  chain: { kind: log, path: audit.log }
routes: []'
	gen_events 5 | grace-route -q -c routes.yaml > /dev/null
	gen_events 3 x | grace-route -q -c routes.yaml > /dev/null
	run -0 --separate-stderr grace-log verify audit.log
	[ "$(jq -r '.data.intact, .data.records' <<< "$output" | tr '\n' ' ')" = 'true 8 ' ]
	[ "$(jq -r .event.id audit.log | tr '\n' ' ')" = 'e-1 e-2 e-3 e-4 e-5 x-1 x-2 x-3 ' ]
	[ "$(jq -c .event.grace.route audit.log | sort -u)" = '{"matched":[],"targets":["chain"],"reason":"unmatched","rule":"default"}' ]
}

@test "stdout and stderr targets write whole lines" {
	cfg 'default: err
dead_letter: dead.ndjson
targets:
  err: { kind: stderr }
  out: { kind: stdout }
routes:
  - type: to.out
    targets: out'
	printf '%s\n' '{"type":"to.err"}' '{"type":"to.out"}' > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	[ "$(jq -r .type <<< "$output" | sort | tr '\n' ' ')" = 'to.err to.out to.out ' ]
	[ "$stderr" = '{"type":"to.err","grace":{"route":{"matched":[],"targets":["err"],"reason":"unmatched","rule":"default"}}}' ]
}

@test "fifo target: events reach the reader on the fifo" {
	mkfifo f
	cfg 'default: f
dead_letter: dead.ndjson
targets:
  f: { kind: fifo, path: f }
routes: []'
	cat f > got.ndjson &
	gen_events 50 > in.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < in.ndjson
	wait
	[ "$(jq -r .id got.ndjson | tr '\n' ' ')" = "$(seq -f 'e-%g' 1 50 | tr '\n' ' ')" ]
	[ ! -s dead.ndjson ]
}

@test "two grace-route processes share one file target without torn lines" {
	cfg 'default: shared
dead_letter: dead.ndjson
targets:
  shared: { kind: file, path: shared.ndjson }
routes: []'
	pad=$(head -c 3000 /dev/zero | tr '\0' x)
	for p in a b; do
		for i in $(seq 1 2000); do printf '{"id":"%s-%d","pad":"%s"}\n' "$p" "$i" "$pad"; done > in-$p.ndjson
	done
	grace-route -q -c routes.yaml < in-a.ndjson > /dev/null &
	grace-route -q -c routes.yaml < in-b.ndjson > /dev/null &
	wait
	[ "$(wc -l < shared.ndjson)" -eq 4000 ]
	# every line is one whole event, and each writer's events stay in order
	run -0 jq -r .id shared.ndjson
	[ "$(grep -c '^a-' <<< "$output")" -eq 2000 ]
	[ "$(grep '^a-' <<< "$output" | tr -d a- | tr '\n' ' ')" = "$(seq 1 2000 | tr '\n' ' ')" ]
	[ "$(grep '^b-' <<< "$output" | tr -d b- | tr '\n' ' ')" = "$(seq 1 2000 | tr '\n' ' ')" ]
}

# ---------------------------------------------------------- reports

@test "-o tap and -o github: one line per event; a dead letter fails the run" {
	cp "$RFIX/match.yaml" .
	sed -n '1p;6p' "$RFIX/events.ndjson" > in.ndjson
	run -0 --separate-stderr grace-route -q -o tap -c match.yaml < in.ndjson
	assert_output 'TAP version 13
ok 1 - 1 routed (deny-web, gate): to pager, audit
ok 2 - 6 unmatched (default): to unmatched
1..2'
	cfg 'default: out
dead_letter: dead.ndjson
targets:
  out: { kind: fifo, path: nofifo, retries: 0, backoff: 10ms }
routes: []'
	run -1 --separate-stderr grace-route -q -o github -c routes.yaml <<< '{"id":"x","type":"t"}'
	assert_output "::warning title=grace-route unmatched::x: unmatched by default - to out
::error title=grace-route dead::dead letters: dead - 1 event dead-lettered to dead.ndjson
::notice title=grace-route::2 events: 0 passed, 1 warned or held, 1 failed, 0 errors"
	[ "$(jq -c '[.id, .grace.route.dead.target, .grace.route.dead.reason, .grace.route.dead.attempts]' dead.ndjson)" = '["x","out","retries exhausted: nofifo: unable to open: No such file or directory",1]' ]
}

# --------------------------------------------- validation, quarantine

VAL='default: out
quarantine: quar
dead_letter: dead.ndjson
targets:
  out: { kind: file, path: out.ndjson }
  quar: { kind: file, path: quar.ndjson }
  deploy: { kind: file, path: deploy.ndjson }
routes:
  - name: approved-deploys
    type: deploy.*
    require: { gate: [allow, warn], decision: approve }
    validate: .actor != null
    targets: deploy'

@test "validation: upstream verdicts and a jq condition must hold, or the event is quarantined (exit 1)" {
	cfg "$VAL"
	cat > in.ndjson <<'EOF2'
{"id":"1","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"allow"},"decision":{"verdict":"approve"}}}
{"id":"2","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"warn"},"decision":{"verdict":"approve"}}}
{"id":"3","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"deny"},"decision":{"verdict":"approve"}}}
{"id":"4","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"allow"}}}
{"id":"5","type":"deploy.run","grace":{"gate":{"decision":"allow"},"decision":{"verdict":"approve"}}}
{"id":"6","type":"deploy.run","actor":"al"}
{"id":"7","type":"other"}
EOF2
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	run -0 jq -c '[.id, .grace.route.targets[0], .grace.route.reason, .grace.route.rule, .grace.route.why]' <<< "$output"
	assert_output '["1","deploy",null,null,null]
["2","deploy",null,null,null]
["3","quar","quarantined","approved-deploys","grace.gate.decision is '"'deny'"', not allow or warn"]
["4","quar","quarantined","approved-deploys","grace.decision.verdict is missing, not approve"]
["5","quar","quarantined","approved-deploys","validate '"'.actor != null'"' is false"]
["6","quar","quarantined","approved-deploys","grace.gate.decision is missing, not allow or warn"]
["7","out","unmatched","default",null]'
	[[ "$stderr" == "7 events, 2 routed, 1 unmatched, 4 quarantined, 0 suppressed, 0 dead-lettered, 0 errors"* ]]
	[ "$(jq -r .id deploy.ndjson | tr '\n' ' ')" = '1 2 ' ]
	[ "$(jq -r .id quar.ndjson | tr '\n' ' ')" = '3 4 5 6 ' ]
	[ "$(jq -r .id out.ndjson | tr '\n' ' ')" = '7 ' ]
	# every event passing: exit 0
	sed -n '1,2p;7p' in.ndjson > ok.ndjson
	run -0 --separate-stderr grace-route -q -c routes.yaml < ok.ndjson
}

@test "validation: --explain says why; reports fail quarantined events" {
	cfg "$VAL"
	echo '{"id":"3","type":"deploy.run","actor":"al","grace":{"gate":{"decision":"deny"},"decision":{"verdict":"approve"}}}' > in.ndjson
	run -1 --separate-stderr grace-route -q --dry-run --explain -c routes.yaml < in.ndjson
	[ "$stderr" = "grace-route: <stdin>:1: event 3
  route approved-deploys: matched, quarantined: grace.gate.decision is 'deny', not allow or warn" ]
	run -1 --separate-stderr grace-route -q --dry-run -o tap -c routes.yaml < in.ndjson
	assert_output "TAP version 13
not ok 1 - 3 quarantined (approved-deploys): to quar; grace.gate.decision is 'deny', not allow or warn
1..1"
}

@test "validation: a route that validates needs a quarantine target; require values are checked" {
	cfg "$(sed '/^quarantine:/d' <<< "$VAL")"
	bad_cfg "grace-route: routes.yaml:8:5: route 'approved-deploys' validates events: name a quarantine target for those that fail"
	cfg "$(sed 's/decision: approve/decision: approved/' <<< "$VAL")"
	bad_cfg "grace-route: routes.yaml:11:47: require: decision is never 'approved'"
	cfg "$(sed 's/quarantine: quar/quarantine: qaur/' <<< "$VAL")"
	bad_cfg "grace-route: routes.yaml:2:13: unknown quarantine target 'qaur'"
}

TRUSTCFG='default: out
quarantine: quar
dead_letter: dead.ndjson
trust: trust.yaml
targets:
  out: { kind: file, path: out.ndjson }
  quar: { kind: file, path: quar.ndjson }
  deploy: { kind: file, path: deploy.ndjson }
routes:
  - name: trusted-deploys
    type: deploy
    require: { trust: 0.7 }
    targets: deploy'

@test "validation: a minimum trust of the actor (else the source), from grace-gate's trust file" {
	cfg "$TRUSTCFG"
	printf '%s\n' 'default: 0.4' 'scores: { alice: 0.9, bob: 0.3, ci: 0.7 }' \
	    'quarantined: [alice-old, ci]' > trust.yaml
	cat > in.ndjson <<'EOF2'
{"id":"1","type":"deploy","actor":"alice"}
{"id":"2","type":"deploy","actor":"bob"}
{"id":"3","type":"deploy","source":"alice"}
{"id":"4","type":"deploy","actor":42,"source":"alice"}
{"id":"5","type":"deploy"}
{"id":"6","type":"deploy","actor":"carol"}
{"id":"7","type":"deploy","actor":"ci"}
{"id":"8","type":"deploy","actor":"al\u0069ce"}
EOF2
	run -1 --separate-stderr grace-route -c routes.yaml < in.ndjson
	run -0 jq -c '[.id, .grace.route.targets[0], .grace.route.why]' <<< "$output"
	assert_output '["1","deploy",null]
["2","quar","trust 0.3 of '"'bob'"' is below 0.7"]
["3","deploy",null]
["4","deploy",null]
["5","quar","trust 0.4 of '"'(no actor)'"' is below 0.7"]
["6","quar","trust 0.4 of '"'carol'"' is below 0.7"]
["7","quar","'"'ci'"' is quarantined in the trust file"]
["8","deploy",null]'
	[[ "$stderr" == "8 events, 4 routed, 0 unmatched, 4 quarantined, "* ]]
	[ "$(jq -r .id quar.ndjson | tr '\n' ' ')" = '2 5 6 7 ' ]
	# grace-gate reads the same file the same way
	printf '%s\n' 'trust: trust.yaml' 'default: allow' \
	    'policies: [{id: low, match: {$trust: {lt: 0.7}}, effect: deny}]' > gov.yaml
	run -0 --separate-stderr grace-gate -c gov.yaml --mode audit < in.ndjson
	run -0 jq -r 'select(.grace.gate.trust < 0.7) | .id' <<< "$output"
	assert_output "$(printf '%s\n' 2 5 6)"
	# --explain says why
	echo '{"id":"2","type":"deploy","actor":"bob"}' > one.ndjson
	run -1 --separate-stderr grace-route -q --dry-run --explain -c routes.yaml < one.ndjson
	[ "$stderr" = "grace-route: <stdin>:1: event 2
  route trusted-deploys: matched, quarantined: trust 0.3 of 'bob' is below 0.7" ]
}

@test "validation: require trust needs a readable, valid trust file and a score from 0 to 1" {
	cfg "$(sed '/^trust:/d' <<< "$TRUSTCFG")"
	bad_cfg "grace-route: routes.yaml:11:23: require: trust needs a trust file: name it with the top-level key trust"
	cfg "$TRUSTCFG"
	bad_cfg "grace-route: trust.yaml: cannot open: No such file or directory"
	echo 'default: 2' > trust.yaml
	bad_cfg "grace-route: trust.yaml:1:10: a trust score is a number from 0 to 1, not 2"
	echo 'defualt: 0.5' > trust.yaml
	bad_cfg "grace-route: trust.yaml:1:1: unknown key 'defualt' (expected one of: default, scores, quarantined, overlay)"
	echo 'default: 0.5' > trust.yaml
	cfg "$(sed 's/trust: 0.7/trust: 1.5/' <<< "$TRUSTCFG")"
	bad_cfg "grace-route: routes.yaml:12:23: require: trust is a score from 0 to 1, not 1.5"
	cfg "$(sed 's/trust: 0.7/trust: high/' <<< "$TRUSTCFG")"
	run -2 --separate-stderr grace-route -c routes.yaml --check
	[[ "$stderr" == "grace-route: routes.yaml:12:23: "* ]]
	# a relative trust file is beside the routes file, as for grace-gate
	mkdir sub
	cfg "$TRUSTCFG"
	mv routes.yaml trust.yaml sub/
	run -0 --separate-stderr grace-route -c sub/routes.yaml --check
	rm sub/trust.yaml
	run -2 --separate-stderr grace-route -c sub/routes.yaml --check
	[ "$stderr" = "grace-route: sub/trust.yaml: cannot open: No such file or directory" ]
}

# ------------------------------------------------------------- --test

@test "the shipped config/routes.yaml passes --check and its own --test file" {
	cd "$ROOT"
	run -0 --separate-stderr grace-route --check
	assert_output 'config/routes.yaml: ok: 12 targets, 11 routes, default unrouted, 0 warnings'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-route --test config/routes.test.yaml
	assert_line --index 0 'ok 1 - a broken chain goes to the chain file, the console and the audit log'
	refute_output --partial 'not ok'
	[ "$stderr" = '9 cases, 9 passed, 0 failed' ]
}

@test "--test: a failing case says which event and what went where; exit 1; -o junit" {
	cp "$RFIX/match.yaml" .
	cat > cases.yaml <<'EOF2'
cases:
  - name: denials page
    events:
      - { id: "1", source: grace-gate, type: gate.denied, data: { host: web-1, env: prod } }
    expect:
      - { targets: [audit, pager], rule: deny-web }
  - name: wrong on purpose
    events:
      - { id: "2", type: anomaly.x, data: { host: web-1 } }
      - { id: "3", type: anomaly.x, data: { host: db-1 } }
    expect:
      - { targets: [web] }
      - { targets: [web] }
  - name: wrong reason
    events:
      - { type: nothing }
    expect:
      - { reason: routed }
EOF2
	run -1 --separate-stderr grace-route -c match.yaml --test cases.yaml
	assert_output 'ok 1 - denials page
not ok 2 - wrong on purpose: event 2 (line 13): expected targets [web], got [unmatched]
not ok 3 - wrong reason: event 1 (line 18): expected routed, got unmatched (by default)'
	[ "$stderr" = '3 cases, 1 passed, 2 failed' ]
	[ ! -e audit.ndjson ] && [ ! -e dead.ndjson ]
	run -1 --separate-stderr grace-route -c match.yaml --test cases.yaml -o junit
	assert_output --partial '<testsuite name="grace-route" tests="3" failures="2" errors="0">'
}

@test "--test: a bad test file is a usage error at its line" {
	cp "$RFIX/match.yaml" .
	printf 'cases:\n  - name: x\n    events: [{type: a}]\n    expect: [{targets: [nope]}]\n' > cases.yaml
	run -2 --separate-stderr grace-route -c match.yaml --test cases.yaml
	[ "$stderr" = "grace-route: cases.yaml:4:25: unknown target 'nope'" ]
	printf 'cases:\n  - name: x\n    events: [{type: a}, {type: b}]\n    expect: [{}]\n' > cases.yaml
	run -2 --separate-stderr grace-route -c match.yaml --test cases.yaml
	[ "$stderr" = "grace-route: cases.yaml:4:13: expect is a list with one entry per event (2)" ]
	printf 'cases:\n  - name: x\n    events: [{type: a}]\n    expect: [{reason: lost}]\n' > cases.yaml
	run -2 --separate-stderr grace-route -c match.yaml --test cases.yaml
	[ "$stderr" = "grace-route: cases.yaml:4:23: unknown reason 'lost' (expected one of: routed, unmatched, quarantined, deduped, throttled, inhibited, silenced)" ]
	run -2 --separate-stderr grace-route -c match.yaml --test missing.yaml
	[ "$stderr" = "grace-route: missing.yaml: cannot open: No such file or directory" ]
	run -2 --separate-stderr grace-route -c match.yaml --test cases.yaml --check
	[ "$stderr" = "grace-route: give --check or --test, not both
Try 'grace-route --help' for more information." ]
}

# ------------------------------------------------------------- man pages

@test "the example in grace-routes(5) checks and passes its tests as printed" {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$ROOT/man/grace-routes.5" |
	    sed -n '/^\.Bd -literal$/,/^\.Ed/p' | sed '1d;$d' |
	    awk '/^# routes.yaml$/{f=1} /^# routes.test.yaml$/{f=2} f==1{print > "routes.yaml"} f==2{print > "routes.test.yaml"}'
	run -0 --separate-stderr grace-route -c routes.yaml --check
	assert_output 'routes.yaml: ok: 5 targets, 3 routes, default unrouted, 0 warnings'
	run -0 --separate-stderr grace-route -c routes.yaml --test routes.test.yaml
	assert_output 'ok 1 - a denial is recorded twice
ok 2 - an approved deploy the gate did not allow is held
ok 3 - one cpu anomaly per host a minute'
	[ "$stderr" = '3 cases, 3 passed, 0 failed' ]
	# and it routes a denial to both targets
	run -0 --separate-stderr grace-route -q -c routes.yaml <<< '{"id":"d","type":"x","grace":{"gate":{"decision":"deny"}}}'
	[ "$(jq -r .id denials.ndjson)" = d ]
	run -0 grace-log verify audit.log
	[ "$(jq -r .data.records <<< "$output")" = 1 ]
}

@test "the man pages render without warnings" {
	for f in grace-route.1 grace-routes.5 grace-heal.1 grace-detectors.5 grace-playbook.5; do
		run -0 --separate-stderr groff -mdoc -Tutf8 -ww -z "$ROOT/man/$f"
		[ -z "$stderr" ]
	done
}
