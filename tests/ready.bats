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
	assert_output "$ROOT/config/governance.yaml: ok: 3 constitution rules, 6 threat rules, 16 policies, 2 risk rules, 2 jq conditions, default deny"
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
