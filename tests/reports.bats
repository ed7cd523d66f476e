#!/usr/bin/env bats
# The one rule of the report formats (grace(7), REPORTS), in every program
# that has them: a verdict is labelled a failure (TAP "not ok", JUnit
# <failure>, ::error) exactly when it fails the run (exit status 1); a
# negative verdict that does not fail the run is reported and passes
# ("ok", ::warning); an event that could not be judged, and a bad line,
# are errors; a positive verdict gets no annotation; --no-fail changes the
# exit status, not the labels. Each verdict kind of each program, with
# the options that move it across the line.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# gh: the annotation lines of -o github, without the closing notice.
gh() {
	grep -v '^::notice ' <<<"$output" || true
}

# ---------------------------------------------------------------- gate

gate() {
	grace-gate -c "$FIX/gate/gov.yaml" --now 2026-11-21T12:00:00Z "$@"
}
ALLOW='{"id":"a","type":"deploy.requested","actor":"alice"}'
WARN='{"id":"w","type":"deploy.requested","actor":"alice","data":{"replicas":50}}'
REVIEW='{"id":"r","type":"resource.delete","actor":"alice","data":{"env":"dev"}}'
DENY='{"id":"d","type":"dns.change","actor":"alice"}'
ERROR='{"id":"x","type":"flag.set","actor":"alice","data":{"value":"high"}}'

@test "grace-gate: allow passes, warn is a warning, review and deny fail the run and are errors" {
	run -0 --separate-stderr gate -o github <<<"$ALLOW"
	[ -z "$(gh)" ]
	run -0 --separate-stderr gate -o github <<<"$WARN"
	[ "$(gh)" = "::warning title=grace-gate warn::w: warn by deploy-big - a big rollout" ]
	run -1 --separate-stderr gate -o github <<<"$REVIEW"
	[ "$(gh)" = "::error title=grace-gate review::r: review by delete - needs 2 approvals from alice, bob, carol" ]
	run -1 --separate-stderr gate -o github <<<"$DENY"
	[ "$(gh)" = "::error title=grace-gate deny::d: deny by default - no policy matched: the default is deny" ]
	run -3 --separate-stderr gate -o github <<<"$ERROR"
	[[ "$(gh)" == "::error title=grace-gate error::x: error by flag-high - "* ]]
	run -3 --separate-stderr gate -o github <<<'not json'
	[ "$(gh)" = "::error title=grace-gate error::<stdin>:1: error - not JSON: unexpected 'n'" ]
	# The same in TAP and JUnit: not ok / <failure> exactly for review and deny.
	run -1 --separate-stderr gate -o tap <<<"$ALLOW
$WARN
$REVIEW
$DENY"
	[ "$output" = "TAP version 13
ok 1 - a allow (deploy): deploys are allowed
ok 2 - w warn (deploy-big): a big rollout
not ok 3 - r review (delete): needs 2 approvals from alice, bob, carol
not ok 4 - d deny (default): no policy matched: the default is deny
1..4" ]
	run -1 --separate-stderr gate -o junit <<<"$ALLOW
$WARN
$REVIEW
$DENY"
	assert_output --partial '<testsuite name="grace-gate" tests="4" failures="2" errors="0">'
	assert_output --partial '<failure type="review" message="needs 2 approvals from alice, bob, carol">delete</failure>'
	assert_output --partial '<system-out>warn (deploy-big): a big rollout</system-out>'
}

@test "grace-gate: --fail-on-warn makes a warn a failure; --mode audit makes review and deny warnings" {
	run -1 --separate-stderr gate --fail-on-warn -o github <<<"$WARN"
	[ "$(gh)" = "::error title=grace-gate warn::w: warn by deploy-big - a big rollout" ]
	run -1 --separate-stderr gate --fail-on-warn -o tap <<<"$WARN"
	assert_line --index 1 "not ok 1 - w warn (deploy-big): a big rollout"
	run -0 --separate-stderr gate --mode audit -o github <<<"$REVIEW
$DENY"
	[ "$(gh)" = "::warning title=grace-gate review::r: review by delete - needs 2 approvals from alice, bob, carol
::warning title=grace-gate deny::d: deny by default - no policy matched: the default is deny" ]
	# In audit mode a warning fails nothing, even with --fail-on-warn.
	run -0 --separate-stderr gate --mode audit --fail-on-warn -o github <<<"$WARN"
	[ "$(gh)" = "::warning title=grace-gate warn::w: warn by deploy-big - a big rollout" ]
}

@test "grace-gate: --no-fail changes the exit status, not the labels" {
	run -0 --separate-stderr gate --no-fail -o github <<<"$DENY"
	[ "$(gh)" = "::error title=grace-gate deny::d: deny by default - no policy matched: the default is deny" ]
	run -0 --separate-stderr gate --no-fail -o tap <<<"$REVIEW"
	assert_line --index 1 "not ok 1 - r review (delete): needs 2 approvals from alice, bob, carol"
}

# -------------------------------------------------------------- decide

W="$FIX/decide/weights.yaml"
STREAM="$FIX/decide/stream.ndjson"

@test "grace-decide: approve passes; hold and reject fail the run by default and are errors" {
	run -0 --separate-stderr grace-decide -c "$W" -o github <<<"$(sed -n 1p "$STREAM")"
	[ -z "$(gh)" ]
	run -1 --separate-stderr grace-decide -c "$W" -o github "$STREAM"
	[ "$(gh)" = "::error title=grace-decide hold::e-2: hold by governance - governance: review by prod-quorum
::error title=grace-decide reject::e-3: reject by governance - governance: deny by no-prod-delete
::error title=grace-decide hold::$STREAM:4: hold by weights - weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8" ]
	run -1 --separate-stderr grace-decide -c "$W" -o tap "$STREAM"
	[ "$(grep -c '^not ok' <<<"$output")" -eq 3 ]
	assert_line --index 1 --regexp '^ok 1 - e-1 approve '
}

@test "grace-decide: a hold left out of --fail-on is a warning; reject always fails" {
	run -1 --separate-stderr grace-decide -c "$W" -o github --fail-on reject "$STREAM"
	[ "$(gh)" = "::warning title=grace-decide hold::e-2: hold by governance - governance: review by prod-quorum
::error title=grace-decide reject::e-3: reject by governance - governance: deny by no-prod-delete
::warning title=grace-decide hold::$STREAM:4: hold by weights - weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8" ]
	run -0 --separate-stderr grace-decide -c "$W" -o tap --fail-on reject <<<"$(sed -n 2p "$STREAM")"
	assert_line --index 1 --regexp '^ok 1 - e-2 hold '
}

@test "grace-decide: escalate fails the run by default, and is a warning when --fail-on leaves it out" {
	ev='{"id":"del","type":"resource.delete","grace":{"gate":{"decision":"allow"},"heal":{"anomaly":false},"verify":{"status":"verified","confidence":1}}}'
	run -1 --separate-stderr grace-decide -c "$FIX/decide/rules.yaml" -o github <<<"$ev"
	[ "$(gh)" = "::error title=grace-decide escalate::del: escalate by deletes-escalate - deletes are always looked at by a human" ]
	run -0 --separate-stderr grace-decide -c "$FIX/decide/rules.yaml" -o github --fail-on hold <<<"$ev"
	[ "$(gh)" = "::warning title=grace-decide escalate::del: escalate by deletes-escalate - deletes are always looked at by a human" ]
}

@test "grace-decide: --no-fail changes the exit status, not the labels; a bad line is an error" {
	run -0 --separate-stderr grace-decide -c "$W" -o github --no-fail <<<"$(sed -n 3p "$STREAM")"
	[ "$(gh)" = "::error title=grace-decide reject::e-3: reject by governance - governance: deny by no-prod-delete" ]
	run -3 --separate-stderr grace-decide -c "$W" -o github <<<'not json'
	[ "$(gh)" = "::error title=grace-decide error::<stdin>:1: error - not JSON: unexpected 'n'" ]
}

# -------------------------------------------------------------- verify

@test "grace-verify: verified passes, failed fails; inconclusive is an error unless --inconclusive=pass makes it a warning" {
	cat > c.yaml <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks: [{name: a, jq: '.v | tonumber > 0'}]
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml -o github <<<'{"id":"ok","type":"t","v":"1"}
{"id":"none","type":"u"}'
	[ -z "$(gh)" ]
	run -1 --separate-stderr grace-verify -c c.yaml -o github <<<'{"id":"f","type":"t","v":"0"}'
	[ "$(gh)" = "::error title=grace-verify failed::f: failed by k - a failed: .v | tonumber > 0 is false" ]
	run -1 --separate-stderr grace-verify -c c.yaml -o github <<<'{"id":"i","type":"t","v":"x"}'
	[[ "$(gh)" == "::error title=grace-verify inconclusive::i: inconclusive by k - "* ]]
	run -0 --separate-stderr grace-verify -c c.yaml --inconclusive=pass -o github <<<'{"id":"i","type":"t","v":"x"}'
	[[ "$(gh)" == "::warning title=grace-verify inconclusive::i: inconclusive by k - "* ]]
	run -0 --separate-stderr grace-verify -c c.yaml --inconclusive=pass -o tap <<<'{"id":"i","type":"t","v":"x"}'
	assert_line --index 1 --regexp '^ok 1 - i inconclusive \(k\): '
	run -1 --separate-stderr grace-verify -c c.yaml -o tap <<<'{"id":"i","type":"t","v":"x"}'
	assert_line --index 1 --regexp '^not ok 1 - i inconclusive \(k\): '
	# --require-contract: an event no contract applies to is inconclusive.
	run -1 --separate-stderr grace-verify -c c.yaml --require-contract -o github <<<'{"id":"none","type":"u"}'
	[ "$(gh)" = "::error title=grace-verify inconclusive::none: inconclusive - no contract applies" ]
	run -3 --separate-stderr grace-verify -c c.yaml -o github <<<'not json'
	[ "$(gh)" = "::error title=grace-verify rejected::<stdin>:1: rejected - not JSON: unexpected 'n'" ]
}
