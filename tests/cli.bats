#!/usr/bin/env bats
# The options every program shares, spelt and behaving the same in each
# (grace(7), COMMON OPTIONS): -h/--help, -V/--version, an unknown option,
# -o/--output, --check on standard output, and -q (only errors). Each test
# loops over the programs.

load helpers

PROGS="grace-log grace-gate grace-verify grace-decide grace-route grace-heal"
VERSION=$(sed -n 's/^#define GRACE_VERSION "\(.*\)"$/\1/p' "$ROOT/lib/version.h")

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cp "$FIX/gate/gov.yaml" "$FIX/gate/trust.yaml" .
	cp "$FIX/decide/weights.yaml" decide.yaml
	printf '%s\n' 'contracts:' '  - id: k' '    match: {type: t}' \
	    "    checks: [{name: a, jq: '.ok'}]" > contracts.yaml
	# One event each program passes (allow, verified, approve).
	printf '%s\n' '{"id":"a","type":"deploy.requested","actor":"alice"}' > grace-gate.ndjson
	printf '%s\n' '{"id":"e1","type":"t","ok":true}' > grace-verify.ndjson
	head -n 1 "$FIX/decide/stream.ndjson" > grace-decide.ndjson
	cp grace-verify.ndjson one.ndjson
	printf '%s\n' 'default: out' 'dead_letter: dead.ndjson' 'targets:' \
	    '  out: {kind: file, path: out.ndjson}' 'routes:' \
	    '  - {type: t, targets: [out]}' > routes.yaml
	cp grace-verify.ndjson grace-route.ndjson
}

# conf PROG: the -c option that gives PROG its test configuration.
conf() {
	case $1 in
	grace-gate) echo "-c gov.yaml" ;;
	grace-verify) echo "-c contracts.yaml" ;;
	grace-decide) echo "-c decide.yaml" ;;
	grace-route) echo "-c routes.yaml" ;;
	esac
}

@test "-h and --help print the usage on stdout and exit 0, in every program" {
	for p in $PROGS; do
		for o in -h --help; do
			run -0 --separate-stderr "$p" "$o"
			[[ "${lines[0]}" == "usage: $p "* ]] || { echo "$p $o: ${lines[0]}"; false; }
			[ -z "$stderr" ]
		done
		# Every usage names -h/--help and -V/--version (grace-log's
		# commands are listed instead; its --help is in grace-log(1)).
		if [ "$p" != grace-log ]; then
			run -0 "$p" --help
			assert_output --partial '  -h, --help '
			assert_output --partial '-V, --version'
			assert_output --partial '  -q, --quiet '
			# grace-heal's output is the event stream alone (no
			# report formats yet)
			[ "$p" = grace-heal ] || assert_output --partial '  -o, --output '
		fi
	done
}

@test "-V and --version print 'PROG (grace) VERSION' on stdout and exit 0, in every program" {
	[ -n "$VERSION" ]
	for p in $PROGS; do
		for o in -V --version; do
			run -0 --separate-stderr "$p" "$o"
			[ "$output" = "$p (grace) $VERSION" ]
			[ -z "$stderr" ]
		done
	done
}

@test "an unknown option exits 2 with a message on stderr and nothing on stdout, in every program" {
	for p in $PROGS; do
		run -2 --separate-stderr "$p" --bogus < one.ndjson
		[ -z "$output" ]
		[ "$stderr" = "$p: unrecognized option '--bogus'
Try '$p --help' for more information." ]
	done
	# And in grace-log's commands.
	run -2 --separate-stderr grace-log verify --bogus
	[ -z "$output" ]
	[ "$stderr" = "grace-log: verify: unrecognized option '--bogus'
Try 'grace-log verify --help' for more information." ]
}

@test "every man page lists -h/--help and -V/--version" {
	for p in $PROGS; do
		m="$ROOT/man/$p.1"
		grep -q 'Fl h' "$m"
		grep -q 'Fl \\-help' "$m"
		grep -q 'Fl V' "$m"
		grep -q 'Fl \\-version' "$m"
		grep -q '^\.Fl h | V$' "$m"
	done
}

@test "-o FORMAT and --output FORMAT are the same option in gate, verify, decide and route" {
	for p in grace-gate grace-verify grace-decide grace-route; do
		# shellcheck disable=SC2046
		run -0 --separate-stderr "$p" $(conf "$p") -o tap "$p.ndjson"
		short=$output
		[[ "$short" == "TAP version 13"$'\n'"ok 1 - "* ]]
		run -0 --separate-stderr "$p" $(conf "$p") --output tap "$p.ndjson"
		[ "$output" = "$short" ]
		run -0 --separate-stderr "$p" $(conf "$p") --output=tap "$p.ndjson"
		[ "$output" = "$short" ]
		run -2 --separate-stderr "$p" $(conf "$p") --output xml "$p.ndjson"
		[ -z "$output" ]
		[[ "$stderr" == "$p: -o takes ndjson, text, tap, junit or github, not 'xml'"* ]]
	done
	# grace-decide's old spelling still works (deprecated).
	run -0 --separate-stderr grace-decide -c decide.yaml -o tap grace-decide.ndjson
	short=$output
	run -0 --separate-stderr grace-decide -c decide.yaml --format tap grace-decide.ndjson
	[ "$output" = "$short" ]
	# grace-log: -o/--output names the file written.
	small() { printf '{"type":"x"}\n' | grace-log append -f a.log > /dev/null; }
	small
	grace-log keygen -o k a.example > /dev/null
	grace-log keygen --output k2 a.example > /dev/null
	[ -s k.key ] && [ -s k2.key ]
	grace-log checkpoint -f a.log -k k.key -o a.cp
	grace-log checkpoint -f a.log -k k.key --output a2.cp
	[ "$(head -n 3 a.cp)" = "$(head -n 3 a2.cp)" ]
}

@test "--check prints its one line on stdout, nothing on stderr, in gate, verify, decide and route" {
	run -0 --separate-stderr grace-gate -c gov.yaml --check
	assert_output "gov.yaml: ok: 2 constitution rules, 4 threat rules, 9 policies, 1 risk rule, 1 jq condition, default deny"
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-verify -c contracts.yaml --check
	assert_output "contracts.yaml: ok: 1 contract, 1 check"
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-decide -c decide.yaml --check
	assert_output "decide.yaml: ok: algorithm weighted, 4 inputs, 0 rules"
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-route -c routes.yaml --check
	assert_output "routes.yaml: ok: 1 target, 1 route, default out, 0 warnings"
	[ -z "$stderr" ]
	# An invalid configuration: nothing on stdout, the error on stderr, 2.
	printf 'bogus: 1\n' > bad.yaml
	for p in grace-gate grace-verify grace-decide grace-route; do
		run -2 --separate-stderr "$p" -c bad.yaml --check
		[ -z "$output" ]
		[[ "$stderr" == "$p: bad.yaml:"* ]]
	done
}

@test "-q means only errors, in every program that has it: no summary, no --check line, no result event" {
	# gate and decide: the annotated events still flow; the summary goes.
	run -0 --separate-stderr grace-gate -c gov.yaml grace-gate.ndjson
	[ -n "$output" ] && [ -n "$stderr" ]
	ev=$output
	run -0 --separate-stderr grace-gate -q -c gov.yaml grace-gate.ndjson
	[ "$output" = "$ev" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-decide -c decide.yaml grace-decide.ndjson
	[ -n "$output" ] && [ -n "$stderr" ]
	ev=$output
	run -0 --separate-stderr grace-decide -q -c decide.yaml grace-decide.ndjson
	[ "$output" = "$ev" ]
	[ -z "$stderr" ]
	# --check with -q: the exit status alone.
	for p in grace-gate grace-verify grace-decide grace-route; do
		# shellcheck disable=SC2046
		run -0 --separate-stderr "$p" -q $(conf "$p") --check
		[ -z "$output" ] && [ -z "$stderr" ]
	done
	# --test with -q: the case lines, no totals.
	cd "$ROOT"
	run -0 --separate-stderr grace-gate -q --test config/governance.test.yaml
	[[ "${lines[0]}" == "ok 1 - "* ]]
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-decide -q --test config/decide.test.yaml
	[[ "${lines[0]}" == "ok 1 - "* ]]
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-route -q --test config/routes.test.yaml
	[[ "${lines[0]}" == "ok 1 - "* ]]
	[ -z "$stderr" ]
	cd "$BATS_TEST_TMPDIR"
	# Chain verification, both programs: no result event; errors still said.
	printf '{"type":"x"}\n' | grace-log append -f a.log > /dev/null
	run -0 --separate-stderr grace-log verify -f a.log
	[ "$(jq -r .type <<<"$output")" = grace.log.verification ]
	run -0 --separate-stderr grace-log verify -q -f a.log
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 --separate-stderr grace-verify --chain a.log
	[ "$(jq -r .type <<<"$output")" = grace.log.verification ]
	run -0 --separate-stderr grace-verify -q --chain a.log
	[ -z "$output" ] && [ -z "$stderr" ]
	sed -i 's/"x"/"y"/' a.log
	run -1 --separate-stderr grace-verify -q --chain a.log
	[ -z "$output" ]
	[ "$stderr" = "grace-verify: a.log:1: record altered: its hash does not match its contents" ]
	run -1 --separate-stderr grace-log verify -q -f a.log
	[ -z "$output" ]
	[ "$stderr" = "grace-log: a.log:1: record altered: its hash does not match its contents" ]
	# grace-verify takes -q when checking events too (it has no summary).
	run -0 --separate-stderr grace-verify -q -c contracts.yaml one.ndjson
	[ "$(jq -r .grace.verify.status <<<"$output")" = verified ]
	[ -z "$stderr" ]
}
