#!/usr/bin/env bats
# lib.bats - the C unit tests of lib/ (tests/unit/test_*.c), one bats test
# per module: each binary prints TAP and exits 1 if any check failed.
load helpers

run_unit() {
	run -0 --separate-stderr "$GRACE_TESTBIN/test_$1"
	refute_output --partial "not ok"
	assert_output --regexp '1\.\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "lib: JSON scanner, splicing, line reader, record layout" { run_unit json; }
@test "lib: the block-at-a-time JSON scanner gives the byte-by-byte reference's answers (differential)" { run_unit jscan; }
@test "lib: YAML loading with positions, key checks, typed getters" { run_unit yaml; }
@test "lib: jq compile once, run per event, errors" { run_unit jq; }
@test "lib: RFC 3339 times and durations" { run_unit time; }
@test "lib: base64 (RFC 4648 vectors)" { run_unit base64; }
@test "lib: signed notes and Ed25519 keys (Go sumdb/note vectors)" { run_unit note; }
@test "lib: RFC 6962 Merkle tree hash" { run_unit merkle; }
@test "lib: C2SP tlog checkpoints" { run_unit checkpoint; }
@test "lib: pattern rules (regex, prefilter, positions, YAML)" { run_unit patterns; }
@test "lib: the NDJSON filter driver" { run_unit filter; }
@test "lib: buffer appends, from the buffer itself too" { run_unit buf; }
@test "lib: the id set of the duplicate-id checks" { run_unit idset; }
@test "lib: text, TAP, JUnit and GitHub reports" { run_unit report; }
@test "lib: the decision engine (numbers, member walk)" { run_unit decide; }
@test "lib: governance prefilter, event jv, glob" { run_unit governance; }
@test "lib: playbooks (load, match, placeholders, proposal steps, test files, real runs)" { run_unit playbook; }
@test "lib: the literal prefilters never skip a match (fold tables, regressions, differential corpus)" { run_unit prefilter; }
@test "lib/heal: budget, cool-down, breaker, loop guard, held proposals, state; trust adjustments; learning" { run_unit hgov; }
@test "lib/heal: detection (windows, spikes, absences, state)" { run_unit detect; }
@test "lib/heal: detection over the filter's scan (grace_json_scan_deep) is detection walking the event (differential)" { run_unit jdeep; }
@test "lib/log: RFC 9162 inclusion and consistency proofs (the RFC's definition, every tree up to 70 leaves)" { run_unit proof; }
@test "lib/log: witness keys and cosignatures (c2sp.org/tlog-cosignature)" { run_unit witness; }

@test "every unit test in tests/unit/ is run by a suite" {
	local f name missing=""
	for f in "$ROOT"/tests/unit/test_*.c; do
		name=$(basename "$f" .c)
		name=${name#test_}
		grep -qE "run_unit $name;|GRACE_TESTBIN/test_$name\"" "$ROOT"/tests/*.bats ||
		    missing="$missing $name"
	done
	[ -z "$missing" ] || { echo "not run:$missing"; false; }
}
