#!/usr/bin/env bats
# --check as a readiness self-test: the configuration valid, what the
# program writes writable, room on the disk under it; -o json as one
# object; exit 0 ready, 1 not ready, 2 configuration error.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

@test "ready: grace-gate and grace-decide --check say ready, and -o json says the same as one object" {
	run -0 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --check --metrics m.prom
	assert_output "$ROOT/config/governance.yaml: ok: 3 constitution rules, 6 threat rules, 17 policies, 2 risk rules, 2 jq conditions, default deny"
	[ -z "$stderr" ]
	[ ! -e m.prom ]   # nothing is written by a check
	run -0 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --check -o json --metrics m.prom
	run -0 jq -c '[.program, .ready, (.checks | map([.check, .subject, .ok]))]' <<< "$output"
	assert_output '["grace-gate",true,[["writable","m.prom",true],["disk","m.prom",true]]]'
	run -0 --separate-stderr grace-decide -c "$ROOT/config/decide.yaml" --check -o json
	run -0 jq -c '[.program, .ready, .summary, .checks]' <<< "$output"
	assert_output '["grace-decide",true,"algorithm weighted, 6 inputs, 7 rules",[]]'
}

@test "ready: a file that cannot be written, or a disk under the floor, is not ready (exit 1)" {
	run -1 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --check --metrics /nonexistent/m.prom
	assert_output ''
	[ "$stderr" = "grace-gate: not ready: writable: /nonexistent/m.prom: cannot be made in /nonexistent: No such file or directory" ]
	mkdir ro && chmod 0555 ro
	if [ "$(id -u)" != 0 ]; then
		run -1 --separate-stderr grace-decide -c "$ROOT/config/decide.yaml" --check --metrics ro/m.prom
		[[ "$stderr" == "grace-decide: not ready: writable: ro/m.prom: cannot be made in ro: Permission denied" ]]
	fi
	mkdir d
	run -1 --separate-stderr grace-decide -c "$ROOT/config/decide.yaml" --check --metrics d
	[ "$stderr" = "grace-decide: not ready: writable: d: is a directory, not a file" ]
	GRACE_MIN_FREE=18446744073709551615 run -1 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --check -o json --metrics m.prom
	run -0 jq -c '[.ready, (.checks[] | select(.ok == false) | .check)]' <<< "$output"
	assert_output '[false,"disk"]'
	GRACE_MIN_FREE=64M run -1 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --check
	[ "$stderr" = "grace-gate: not ready: environment: GRACE_MIN_FREE: '64M' is not a byte count" ]
	# a configuration error is 2, as before
	echo 'nope: 1' > bad.yaml
	run -2 --separate-stderr grace-gate -c bad.yaml --check -o json
	run -2 --separate-stderr grace-gate -c "$ROOT/config/governance.yaml" --check -o tap
	[[ "$stderr" == "grace-gate: --check writes text or json (-o json), not 'tap'"* ]]
}

@test "ready: grace-log append --check: the log writable and intact at its head" {
	run -0 --separate-stderr grace-log append -f new.log --check
	assert_output 'new.log: ok: a new log'
	[ ! -e new.log ]
	printf '%s\n' '{"a":1}' '{"b":2}' | grace-log append -f audit.log > /dev/null 2>&1
	run -0 --separate-stderr grace-log append -f audit.log --check
	assert_output 'audit.log: ok: head seq 2'
	run -0 --separate-stderr grace-log append -f audit.log --check -o json
	run -0 jq -c '[.ready, (.checks | map([.check, .ok]))]' <<< "$output"
	assert_output '[true,[["writable",true],["disk",true],["log",true]]]'
	# a torn last record (a crash in the middle of a write): not ready
	printf '{"seq":3,"pr' >> audit.log
	run -1 --separate-stderr grace-log append -f audit.log --check
	assert_output ''
	[ "$stderr" = "grace-log: not ready: log: audit.log: a torn last record: 12 bytes after the last newline (grace-log repair)" ]
	grace-log repair -f audit.log > /dev/null 2>&1
	run -0 --separate-stderr grace-log append -f audit.log --check
	# a last record that is not one
	echo 'not a record' >> audit.log
	run -1 --separate-stderr grace-log append -f audit.log --check -o json
	run -0 jq -r '.checks[] | select(.ok == false) | .check' <<< "$output"
	assert_output 'log'
	run -2 --separate-stderr grace-log append -f audit.log -o json
	[[ "$stderr" == "grace-log: append: -o json goes with --check"* ]]
}

# Contracts beside a script of their own: a relative command is the
# contracts file's directory's.
verify_contracts() {
	mkdir -p cfg/bin cfg/b
	printf '#!/bin/sh\nexit 0\n' > cfg/bin/probe
	chmod +x cfg/bin/probe
	cat > cfg/c.yaml <<-'YAML'
	contracts:
	  - id: job
	    match: {type: job.done}
	    checks:
	      - {name: probe, exec: {argv: [bin/probe]}}
	      - {name: again, exec: {argv: [./bin/probe]}}
	      - {name: shell, exec: {argv: [sh, -c, 'exit 0']}}
	  - id: perf
	    match: {type: perf}
	    checks:
	      - {name: p95, baseline: {file: b/p95.json, key_from: .subject, metric: .data.p95}}
	YAML
}

@test "ready: grace-verify --check: the commands of exec checks found (relative ones in the contracts' directory), and run from there too" {
	verify_contracts
	run -0 --separate-stderr grace-verify -c cfg/c.yaml --check
	assert_output 'cfg/c.yaml: ok: 2 contracts, 4 checks'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-verify -c cfg/c.yaml --check -o json --metrics m.prom
	run -0 jq -c '[.program, .config, .ready, .summary, (.checks | map([.check, .subject, .ok]))]' <<< "$output"
	assert_output '["grace-verify","cfg/c.yaml",true,"2 contracts, 4 checks",[["command","'"$(pwd -P)"'/cfg/bin/probe",true],["command","sh",true],["writable","m.prom",true],["disk","m.prom",true]]]'
	[ ! -e m.prom ]
	# what --check found is what an exec check runs, though it runs in a
	# working directory of its own
	run -0 --separate-stderr grace-verify -c cfg/c.yaml <<< '{"id":"1","type":"job.done"}'
	run -0 jq -c '.grace.verify.checks | map(.result)' <<< "$output"
	assert_output '["pass","pass","pass"]'
}

@test "ready: grace-verify --check is not ready without a command, or an unwritable baseline with --update-baseline" {
	verify_contracts
	rm cfg/bin/probe
	run -1 --separate-stderr grace-verify -c cfg/c.yaml --check
	assert_output ''
	[ "$stderr" = "grace-verify: not ready: command: $(pwd -P)/cfg/bin/probe: $(pwd -P)/cfg/bin/probe is not an executable file" ]
	sed -i 's/sh, -c/no-such-command-grace, -c/' cfg/c.yaml
	run -1 --separate-stderr grace-verify -c cfg/c.yaml --check -o json
	run -0 jq -c '[.ready, (.checks[] | select(.ok == false) | [.check, .detail])]' <<< "$output"
	assert_output '[false,["command","'"$(pwd -P)"'/cfg/bin/probe is not an executable file"],["command","not found on PATH"]]'
	verify_contracts
	run -0 --separate-stderr grace-verify -c cfg/c.yaml --check --update-baseline -o json
	run -0 jq -c '[.checks[] | select(.check == "writable") | .subject]' <<< "$output"
	assert_output '["cfg/b/p95.json"]'
	if [ "$(id -u)" != 0 ]; then
		chmod 0555 cfg/b
		run -1 --separate-stderr grace-verify -c cfg/c.yaml --check --update-baseline
		[ "$stderr" = "grace-verify: not ready: writable: cfg/b/p95.json: cannot be made in cfg/b: Permission denied" ]
		# without --update-baseline nothing is written there
		run -0 --separate-stderr grace-verify -c cfg/c.yaml --check
		chmod 0755 cfg/b
	fi
	GRACE_MIN_FREE=18446744073709551615 run -1 --separate-stderr grace-verify -c cfg/c.yaml --check --metrics m.prom
	[[ "$stderr" == "grace-verify: not ready: disk: m.prom: "*" MiB free under ., the floor is "*" MiB" ]]
	# a configuration error is 2; -o takes text or json with --check
	echo 'nope: 1' > bad.yaml
	run -2 --separate-stderr grace-verify -c bad.yaml --check -o json
	assert_output ''
	run -2 --separate-stderr grace-verify -c cfg/c.yaml --check -o tap
	[[ "$stderr" == "grace-verify: --check writes text or json (-o json), not 'tap'"* ]]
}

@test "ready: grace-route --check: every target, the dead-letter file, the subscribers and a log target's head" {
	printf '%s\n' '{"a":1}' | grace-log append -f audit.log > /dev/null 2>&1
	mkfifo pipe
	printf '#!/bin/sh\ncat > /dev/null\n' > sub.sh
	chmod +x sub.sh
	cat > routes.yaml <<-'YAML'
	default: out
	dead_letter: dead.ndjson
	targets:
	  out: { kind: file, path: out.ndjson }
	  audit: { kind: log, path: audit.log }
	  pipe: { kind: fifo, path: pipe }
	  sub: { kind: exec, argv: [./sub.sh] }
	  shell: { kind: exec, argv: [sh, -c, 'cat > /dev/null'] }
	  screen: { kind: stderr }
	routes:
	  - { type: "a", targets: [audit, pipe, sub, shell, screen] }
	YAML
	run -0 --separate-stderr grace-route -c routes.yaml --check
	assert_output 'routes.yaml: ok: 6 targets, 1 route, default out, 0 warnings'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-route -c routes.yaml --check -o json --metrics m.prom
	json=$output
	run -0 jq -c '[.program, .ready, .summary, (.checks | map([.check, .subject, .ok]))]' <<< "$json"
	assert_output '["grace-route",true,"6 targets, 1 route, default out, 0 warnings",[["writable","out.ndjson",true],["disk","out.ndjson",true],["writable","audit.log",true],["disk","audit.log",true],["log","audit.log",true],["writable","pipe",true],["command","./sub.sh",true],["command","sh",true],["writable","dead.ndjson",true],["disk","dead.ndjson",true],["writable","m.prom",true],["disk","m.prom",true]]]'
	run -0 jq -r '.checks[] | select(.check == "log") | .detail' <<< "$json"
	assert_output "intact at its head: seq 1, $(tail -n 1 audit.log | jq -r .hash)"
	[ ! -e m.prom ] && [ ! -e out.ndjson ] && [ ! -e dead.ndjson ]
	# a new log is ready too: the first append makes it
	sed -i 's/path: audit.log/path: new.log/' routes.yaml
	run -0 --separate-stderr grace-route -c routes.yaml --check -o json
	run -0 jq -r '.checks[] | select(.check == "log") | .detail' <<< "$output"
	assert_output 'a new log'
	[ ! -e new.log ]
}

@test "ready: grace-route --check is not ready for a tampered log head, a missing directory, fifo or subscriber, a full disk" {
	printf '%s\n' '{"a":1}' '{"b":2}' | grace-log append -f audit.log > /dev/null 2>&1
	cat > routes.yaml <<-'YAML'
	default: out
	dead_letter: dead.ndjson
	targets:
	  out: { kind: file, path: out.ndjson }
	  audit: { kind: log, path: audit.log }
	routes:
	  - { type: "a", targets: [audit] }
	YAML
	run -0 --separate-stderr grace-route -c routes.yaml --check
	# the last record cut short, as by a crash: not ready (append would refuse)
	head -c -20 audit.log > cut.log && cat cut.log > audit.log
	run -1 --separate-stderr grace-route -c routes.yaml --check
	assert_output ''
	[[ "$stderr" == "grace-route: not ready: log: audit.log: a torn last record: "*" bytes after the last newline (grace-log repair)" ]]
	# a last line that is not a record
	printf '%s\n' '{"a":1}' | grace-log append -f audit2.log > /dev/null 2>&1
	echo 'not a record' >> audit2.log
	sed -i 's/path: audit.log/path: audit2.log/' routes.yaml
	run -1 --separate-stderr grace-route -c routes.yaml --check -o json
	run -0 jq -c '[.ready, (.checks[] | select(.ok == false) | [.check, .subject])]' <<< "$output"
	assert_output '[false,["log","audit2.log"]]'
	cat > routes.yaml <<-'YAML'
	default: out
	dead_letter: nodir/dead.ndjson
	targets:
	  out: { kind: file, path: gone/out.ndjson }
	  pipe: { kind: fifo, path: nopipe }
	  sub: { kind: exec, argv: [no-such-command-grace] }
	  spill: { kind: file, path: s.ndjson, overflow: spill, spill: gone/spill.ndjson }
	routes:
	  - { type: "a", targets: [pipe, sub, spill] }
	YAML
	run -1 --separate-stderr grace-route -c routes.yaml --check
	assert_output ''
	assert_equal "$stderr" "grace-route: not ready: writable: gone/out.ndjson: cannot be made in gone: No such file or directory
grace-route: not ready: writable: nopipe: No such file or directory
grace-route: not ready: command: no-such-command-grace: not found on PATH
grace-route: not ready: writable: gone/spill.ndjson: cannot be made in gone: No such file or directory
grace-route: not ready: writable: nodir/dead.ndjson: cannot be made in nodir: No such file or directory"
	touch nopipe
	run -1 --separate-stderr grace-route -c routes.yaml --check -o json
	run -0 jq -r '.checks[] | select(.subject == "nopipe") | .detail' <<< "$output"
	assert_output 'is not a fifo'
	printf '%s\n' 'default: out' 'dead_letter: dead.ndjson' 'targets:' \
	    '  out: { kind: file, path: out.ndjson }' 'routes: []' > ok.yaml
	GRACE_MIN_FREE=18446744073709551615 run -1 --separate-stderr grace-route -c ok.yaml --check -o json
	run -0 jq -c '[.ready, (.checks[] | select(.ok == false) | [.check, .subject])]' <<< "$output"
	assert_output '[false,["disk","out.ndjson"],["disk","dead.ndjson"]]'
	# a configuration error is 2; --check takes -o text or json
	echo 'nope: 1' > bad.yaml
	run -2 --separate-stderr grace-route -c bad.yaml --check -o json
	assert_output ''
	run -2 --separate-stderr grace-route -c ok.yaml --check -o tap
	[[ "$stderr" == "grace-route: --check writes text or json (-o json), not 'tap'"* ]]
}

# Detectors, and a playbook whose step is a script beside it, whose
# verify runs a command on PATH and whose rollback runs a missing one
# when asked to.
heal_config() {
	mkdir -p pb/bin
	printf '#!/bin/sh\nexit 0\n' > pb/bin/fix
	chmod +x pb/bin/fix
	echo 'detectors: [{id: cpu, kind: threshold, type: metric, value: data.value, above: 90, anomaly: cpu_saturation}]' > det.yaml
	cat > pb/p.yaml <<-'YAML'
	playbooks:
	  - name: fix-cpu
	    match: { anomaly: cpu_saturation }
	    steps:
	      - {name: fix, argv: [bin/fix, "{data.component}"], on_failure: rollback}
	      - {name: again, argv: [./bin/fix]}
	    verify:
	      - {name: ok, argv: ["true"]}
	    rollback:
	      - {name: undo, argv: [ROLLBACK]}
	YAML
}

@test "ready: grace-heal --check: the commands of every step, verify and rollback found, relative ones in the playbook's directory" {
	heal_config
	sed -i 's/ROLLBACK/bin\/fix/' pb/p.yaml
	run -0 --separate-stderr grace-heal -d det.yaml -p pb --check
	assert_output 'det.yaml: ok: 1 detector (1 threshold), 0 jq conditions
pb: ok: 1 playbook'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-heal -d det.yaml -p pb --check -o json --state st --metrics m.prom
	run -0 jq -c '[.program, .config, .ready, .summary, (.checks | map([.check, .subject, .ok]))]' <<< "$output"
	assert_output '["grace-heal","det.yaml",true,"1 detector (1 threshold), 0 jq conditions; pb: 1 playbook",[["command","'"$(pwd -P)"'/pb/bin/fix",true],["command","true",true],["writable","st",true],["disk","st",true],["writable","m.prom",true],["disk","m.prom",true]]]'
	[ ! -e st ] && [ ! -e m.prom ]
	# what --check found is what the step runs, from anywhere
	mkdir elsewhere
	cd elsewhere
	run -0 --separate-stderr grace-heal -d ../det.yaml -p ../pb --check -q
	assert_output ''
	[ -z "$stderr" ]
}

@test "ready: grace-heal --check is not ready without a command, a writable --state, or room" {
	heal_config
	run -1 --separate-stderr grace-heal -d det.yaml -p pb --check
	assert_output ''
	[ "$stderr" = "grace-heal: not ready: command: ROLLBACK: not found on PATH" ]
	sed -i 's/ROLLBACK/bin\/gone/' pb/p.yaml
	run -1 --separate-stderr grace-heal -d det.yaml -p pb --check -o json
	run -0 jq -c '[.ready, (.checks[] | select(.ok == false) | [.check, .detail])]' <<< "$output"
	assert_output '[false,["command","'"$(pwd -P)"'/pb/bin/gone is not an executable file"]]'
	sed -i 's/bin\/gone/bin\/fix/' pb/p.yaml
	touch st
	run -1 --separate-stderr grace-heal -d det.yaml -p pb --check --state st
	[ "$stderr" = "grace-heal: not ready: writable: st: is not a directory" ]
	rm st
	if [ "$(id -u)" != 0 ]; then
		mkdir ro && chmod 0555 ro
		run -1 --separate-stderr grace-heal --detect -d det.yaml --check --state ro/st
		[ "$stderr" = "grace-heal: not ready: writable: ro/st: cannot be made in ro" ]
	fi
	# --execute --trust: the trust overlay each outcome is written to
	printf 'trust:\n  verified: 0.02\n  failed: -0.1\n' >> pb/p.yaml
	printf 'default: 0.5\noverlay: overlay.json\n' > trust.yaml
	printf 'default: deny\n' > deny.yaml
	run -0 --separate-stderr grace-heal -d det.yaml -p pb --execute --governance deny.yaml --trust trust.yaml --check -o json
	run -0 jq -c '[.checks[] | select(.check == "writable") | .subject]' <<< "$output"
	assert_output '["overlay.json"]'
	if [ "$(id -u)" != 0 ]; then
		chmod 0444 overlay.json
		run -1 --separate-stderr grace-heal -d det.yaml -p pb --execute --governance deny.yaml --trust trust.yaml --check
		[ "$stderr" = "grace-heal: not ready: writable: overlay.json: Permission denied" ]
	fi
	GRACE_MIN_FREE=18446744073709551615 run -1 --separate-stderr grace-heal --detect -d det.yaml --check --state st -o json
	run -0 jq -c '[.ready, (.checks[] | select(.ok == false) | [.check, .subject])]' <<< "$output"
	assert_output '[false,["disk","st"]]'
	# a configuration error is 2; --check writes text or json
	echo 'nope: 1' > bad.yaml
	run -2 --separate-stderr grace-heal --detect -d bad.yaml --check -o json
	assert_output ''
	run -2 --separate-stderr grace-heal --detect -d det.yaml --check -o tap
	[[ "$stderr" == "grace-heal: --check writes text or json (-o json)"* ]]
	run -2 --separate-stderr grace-heal --detect -d det.yaml -o json < /dev/null
	[[ "$stderr" == "grace-heal: -o json goes with --check"* ]]
}
