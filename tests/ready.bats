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
