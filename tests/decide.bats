#!/usr/bin/env bats
# grace-decide: the command line, output formats, exit statuses, --emit,
# --explain, --check, --test, bad configuration and bad input. The
# decision arithmetic and overrides are in decide-engine.bats.

load decide-helpers

W="$FIX/decide/weights.yaml"
STREAM="$FIX/decide/stream.ndjson"
SUMMARY='4 events, 1 approved, 2 held, 0 escalated, 1 rejected, 0 errors'

# ------------------------------------------------------------------- CLI

@test "--help and --version write to stdout and exit 0" {
	run -0 --separate-stderr grace-decide --help
	assert_line --index 0 'usage: grace-decide [-c FILE] [-o FORMAT] [--emit] [--explain] [--no-fail]'
	assert_output --partial '      --test CASES    run the cases of a test file against the configuration'
	assert_output --partial 'Exit status: 0 every decision approve, 1 some decision in fail_on'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-decide --version
	assert_output --regexp '^grace-decide \(grace\) [0-9]+\.[0-9]+\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "bad options and option values are usage errors (exit 2, nothing read)" {
	run -2 --separate-stderr grace-decide --bogus < "$STREAM"
	assert_output ''
	[ "$stderr" = "grace-decide: unrecognized option '--bogus'
Try 'grace-decide --help' for more information." ]
	run -2 --separate-stderr grace-decide -c "$W" -o xml < "$STREAM"
	assert_output ''
	[ "$stderr" = "grace-decide: -o takes ndjson, text, tap, junit or github, not 'xml'
Try 'grace-decide --help' for more information." ]
	run -2 --separate-stderr grace-decide -c "$W" --fail-on approve < "$STREAM"
	[ "$stderr" = "grace-decide: --fail-on takes a list of hold, escalate, reject, not 'approve'
Try 'grace-decide --help' for more information." ]
	run -2 --separate-stderr grace-decide -c "$W" --max-line 0 < "$STREAM"
	[[ "$stderr" == "grace-decide: --max-line takes a byte count from 1 to 1073741824, not '0'"* ]]
	run -2 --separate-stderr grace-decide -c "$W" --emit -o text < "$STREAM"
	assert_output ''
	[ "$stderr" = "grace-decide: --emit writes events: it needs -o ndjson
Try 'grace-decide --help' for more information." ]
	run -2 --separate-stderr grace-decide -c "$W" --check "$STREAM"
	[ "$stderr" = "grace-decide: --check and --test read no input files
Try 'grace-decide --help' for more information." ]
	run -2 --separate-stderr grace-decide -c
	[ "$stderr" = "grace-decide: option requires an argument -- 'c'
Try 'grace-decide --help' for more information." ]
}

@test "the configuration is found on the search path, or -c names it" {
	cd "$ROOT"
	run -0 --separate-stderr grace-decide --check
	assert_output 'config/decide.yaml: ok: algorithm weighted, 6 inputs, 7 rules'
	cd "$BATS_TEST_TMPDIR"
	mkdir conf
	cp "$W" conf/decide.yaml
	GRACE_CONFIG_DIR=$PWD/conf run -0 --separate-stderr grace-decide --check
	assert_output "$PWD/conf/decide.yaml: ok: algorithm weighted, 4 inputs, 0 rules"
	HOME=$PWD XDG_CONFIG_HOME= run -2 --separate-stderr grace-decide < "$STREAM"
	assert_output ''
	[ "$stderr" = "grace-decide: no decide.yaml found (looked in: config/decide.yaml, $PWD/.config/grace/decide.yaml, /etc/grace/decide.yaml): use -c FILE" ]
	run -2 --separate-stderr grace-decide -c nope.yaml < "$STREAM"
	assert_output ''
	[ "$stderr" = "grace-decide: nope.yaml: cannot open: No such file or directory" ]
}

# ------------------------------------------------------------ the output

@test "ndjson: each event passes through byte for byte with grace.decision spliced in" {
	local n=$'\n'
	printf '%s\n' '{ "id" : "a", "data":{"x":[1,2,{"y":"\u00e9"}]} ,"grace" : { "log":{"seq":1} } }' \
		'{"id":"b","grace":{}}' '{"id":"c"}' '{}' > in.ndjson
	run -0 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" --fail-on reject in.ndjson
	local d='"decision":{"verdict":"escalate","confidence":0,"score":null,"decided_by":"weights","rules":[],"reasons":["no input to weigh"],"routes":["ui","audit"],"obligations":[],"advice":[]}'
	assert_output "{ \"id\" : \"a\", \"data\":{\"x\":[1,2,{\"y\":\"\\u00e9\"}]} ,\"grace\" : { \"log\":{\"seq\":1} ,$d} }$n{\"id\":\"b\",\"grace\":{$d}}$n{\"id\":\"c\",\"grace\":{$d}}$n{\"grace\":{$d}}"
	[ -z "$stderr" ]
}

@test "ndjson: an existing grace.decision is replaced, not duplicated" {
	run -0 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" <<< '{"id":"a","grace":{"decision":{"verdict":"reject"},"mldl":{"score":1}}}'
	assert_output '{"id":"a","grace":{"decision":{"verdict":"approve","confidence":1,"score":1,"decided_by":"weights","rules":[],"reasons":["weighted score 1 at or above approve threshold 0.8"],"routes":["autonomous","audit"],"obligations":[],"advice":[]},"mldl":{"score":1}}}'
}

@test "the closing summary counts each verdict and the errors" {
	run -1 --separate-stderr grace-decide -c "$W" "$STREAM"
	[ "${#lines[@]}" -eq 4 ]
	[ "$stderr" = "$SUMMARY" ]
	run -1 --separate-stderr grace-decide -q -c "$W" "$STREAM"
	[ -z "$stderr" ]
}

@test "-o text: one line per event: id, verdict, deciding rule or input, reason" {
	run -1 --separate-stderr grace-decide -c "$W" -o text "$STREAM"
	assert_output "e-1 approve weights weighted score 1 at or above approve threshold 0.8
e-2 hold governance governance: review by prod-quorum
e-3 reject governance governance: deny by no-prod-delete
$STREAM:4 hold weights weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8"
	[ "$stderr" = "$SUMMARY" ]
}

@test "-o tap: a test point per decision, not ok for the verdicts that fail" {
	run -1 --separate-stderr grace-decide -c "$W" -o tap --fail-on reject "$STREAM"
	assert_output "TAP version 13
ok 1 - e-1 approve (weights): weighted score 1 at or above approve threshold 0.8
ok 2 - e-2 hold (governance): governance: review by prod-quorum
not ok 3 - e-3 reject (governance): governance: deny by no-prod-delete
ok 4 - $STREAM:4 hold (weights): weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8
1..4"
}

@test "-o junit: each decision a test case" {
	run -1 --separate-stderr grace-decide -c "$W" -o junit "$STREAM"
	assert_output "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<testsuites>
  <testsuite name=\"grace-decide\" tests=\"4\" failures=\"3\" errors=\"0\">
    <testcase classname=\"grace-decide\" name=\"e-1 deploy.requested\">
      <system-out>approve (weights): weighted score 1 at or above approve threshold 0.8</system-out>
    </testcase>
    <testcase classname=\"grace-decide\" name=\"e-2 deploy.requested\">
      <failure type=\"hold\" message=\"governance: review by prod-quorum\">governance</failure>
    </testcase>
    <testcase classname=\"grace-decide\" name=\"e-3 resource.delete.requested\">
      <failure type=\"reject\" message=\"governance: deny by no-prod-delete\">governance</failure>
    </testcase>
    <testcase classname=\"grace-decide\" name=\"$STREAM:4 no.id\">
      <failure type=\"hold\" message=\"weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8\">weights</failure>
    </testcase>
  </testsuite>
</testsuites>"
	[ "$stderr" = "$SUMMARY" ]
}

@test "-o github: workflow annotations for what is not approved" {
	run -1 --separate-stderr grace-decide -c "$W" -o github --fail-on reject "$STREAM"
	assert_output "::warning title=grace-decide hold::e-2: hold by governance - governance: review by prod-quorum
::error title=grace-decide reject::e-3: reject by governance - governance: deny by no-prod-delete
::warning title=grace-decide hold::$STREAM:4: hold by weights - weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8
::notice title=grace-decide::4 events: 1 passed, 2 warned or held, 1 failed, 0 errors"
}

@test "reports: a bad line is an error item in place, and exits 3" {
	{ head -1 "$STREAM"; echo '{"id":'; head -3 "$STREAM" | tail -1; } > in.ndjson
	run -3 --separate-stderr grace-decide -c "$W" -o tap in.ndjson
	assert_output "TAP version 13
ok 1 - e-1 approve (weights): weighted score 1 at or above approve threshold 0.8
not ok 2 - in.ndjson:2 error: not JSON: unexpected end of line
not ok 3 - e-3 reject (governance): governance: deny by no-prod-delete
1..3"
	[ "$stderr" = "grace-decide: in.ndjson:2:7: not JSON: unexpected end of line
3 events, 1 approved, 0 held, 0 escalated, 1 rejected, 1 errors" ]
}

@test "--emit: a unified.decision.ready event follows each decided event" {
	run -1 --separate-stderr grace-decide -q -c "$W" --emit < <(sed -n '3,4p' "$STREAM")
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = "$(sed -n 3p "$STREAM" | sed 's/}}$//'),\"decision\":{\"verdict\":\"reject\",\"confidence\":1,\"score\":0.4667,\"decided_by\":\"governance\",\"rules\":[],\"reasons\":[\"governance: deny by no-prod-delete\"],\"routes\":[\"learning\",\"audit\"],\"obligations\":[],\"advice\":[]}}}" ]
	assert_line --index 1 '{"specversion":"1.0","id":"e-3/decision","type":"unified.decision.ready","source":"grace-decide","data":{"event_id":"e-3","event_type":"resource.delete.requested","decision":{"verdict":"reject","confidence":1,"score":0.4667,"decided_by":"governance","rules":[],"reasons":["governance: deny by no-prod-delete"],"routes":["learning","audit"],"obligations":[],"advice":[]}}}'
	assert_line --index 3 '{"specversion":"1.0","id":"<stdin>:2/decision","type":"unified.decision.ready","source":"grace-decide","data":{"event_id":null,"event_type":"no.id","decision":{"verdict":"hold","confidence":0.4556,"score":0.7222,"decided_by":"weights","rules":[],"reasons":["weighted score 0.7222 at or above hold threshold 0.6, below approve threshold 0.8"],"routes":["ui","audit"],"obligations":[],"advice":[]}}}'
}

@test "--emit: numeric ids are carried as strings; emitted events are valid JSON" {
	run -0 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" --emit <<< '{"id":12345678901234567890,"type":"t\"q","grace":{"mldl":{"score":0.9}}}'
	assert_line --index 1 --regexp '^\{"specversion":"1.0","id":"12345678901234567890/decision",.*"data":\{"event_id":"12345678901234567890","event_type":"t\\"q",'
	printf '%s\n' "$output" | jq -e . > /dev/null
}

@test "--explain: how each decision was made, on stderr; stdout unchanged" {
	run -1 --separate-stderr grace-decide -q -c "$W" --explain < <(sed -n 4p "$STREAM")
	[ "$output" = "$(sed -n 4p "$STREAM" | grace-decide -q -c "$W")" ]
	[ "$stderr" = "grace-decide: <stdin>:1: event (no id)
  input governance (grace.gate): permit, score 1, weight 0.4: allow
  input avn (grace.heal): neutral, score 0.5, weight 0.2: medium anomaly
  input verification (grace.verify): neutral, score 0.5, weight 0.3: inconclusive
  input mldl (grace.mldl): absent, weight 0.1: missing
  weighted score: (0.4*1 + 0.2*0.5 + 0.3*0.5) / 0.9 = 0.7222
  algorithm weighted: no input or rule decides: the weighted score does
  verdict hold, confidence 0.4556 = coverage 0.9 * (1 - 2 * deviation 0.2469)" ]
}

@test "--explain: rules, and the input that decided" {
	run -1 --separate-stderr grace-decide -q -c "$DFIX/rules.yaml" --explain <<< "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"high"},"verify":{"status":"verified","confidence":0.6}}' x)"
	[ "$stderr" = "grace-decide: <stdin>:1: event e-1
  input governance (grace.gate): permit, score 1, weight 0.5: allow
  input avn (grace.heal): neutral, score 0.25, weight 0.25: high anomaly
  input verification (grace.verify): permit, score 0.6, weight 0.25: verified (confidence 0.6)
  weighted score: (0.5*1 + 0.25*0.25 + 0.25*0.6) / 1 = 0.7125
  rule deletes-escalate (governance): no match
  rule warn-advice (governance): no match
  rule rotate-credentials (governance): no match
  rule high-anomaly-hold (avn): matches, verdict hold
  rule weak-verification (verification): matches, verdict hold
  rule strong-evidence (verification): no match
  rule risky-and-unverified (verification): no match
  algorithm weighted: decided by rule high-anomaly-hold on avn
  verdict hold, confidence 1" ]
	assert_output --partial '"rules":["high-anomaly-hold","weak-verification"],"reasons":["rule high-anomaly-hold on avn: high anomaly","verified, but with low confidence"]'
}

@test "an interactive pipeline gets each answer before the next question" {
	coproc GD { grace-decide -q -c "$DFIX/thresholds.yaml"; }
	local line
	echo '{"id":"q1","grace":{"mldl":{"score":1}}}' >&"${GD[1]}"
	read -r -t 10 line <&"${GD[0]}"
	[[ "$line" == '{"id":"q1","grace":{"mldl":{"score":1},"decision":{"verdict":"approve"'* ]]
	echo '{"id":"q2","grace":{"mldl":{"score":0}}}' >&"${GD[1]}"
	read -r -t 10 line <&"${GD[0]}"
	[[ "$line" == '{"id":"q2","grace":{"mldl":{"score":0},"decision":{"verdict":"reject"'* ]]
	exec {GD[1]}>&-
	wait "$GD_PID" || [ $? -eq 1 ]
}

# --------------------------------------------------------- exit statuses

@test "exit 0 when every decision is approve" {
	run -0 --separate-stderr grace-decide -c "$W" < <(head -1 "$STREAM")
	[ "$stderr" = "1 events, 1 approved, 0 held, 0 escalated, 0 rejected, 0 errors" ]
}

@test "no events judged: an empty stream, or only blank lines, exits 1 unless --allow-empty" {
	# A gate that judged nothing approved nothing: 'grace-gate | grace-decide
	# && deploy' must not deploy when grace-gate failed and wrote nothing.
	local fmt
	run -1 --separate-stderr grace-decide -c "$W" < /dev/null
	assert_output ''
	[ "$stderr" = "0 events, 0 approved, 0 held, 0 escalated, 0 rejected, 0 errors
grace-decide: no events judged (use --allow-empty to accept an empty stream)" ]
	run -1 --separate-stderr grace-decide -q -c "$W" <<< $'\n   \n\t\n'
	assert_output ''
	[ "$stderr" = "grace-decide: no events judged (use --allow-empty to accept an empty stream)" ]
	# Every report format, --no-fail and --emit too: no event is not a verdict.
	for fmt in text tap junit github; do
		run -1 --separate-stderr grace-decide -q -c "$W" -o "$fmt" < /dev/null
		[ "$stderr" = "grace-decide: no events judged (use --allow-empty to accept an empty stream)" ]
		assert_output --partial 'no events judged'
	done
	# The report fails as the exit status does.
	run -1 --separate-stderr grace-decide -q -c "$W" -o tap < /dev/null
	assert_output "TAP version 13
not ok 1 - <stdin> error: no events judged (use --allow-empty to accept an empty stream)
1..1"
	run -1 --separate-stderr grace-decide -q -c "$W" -o github < /dev/null
	assert_output "::error title=grace-decide error::<stdin>: error - no events judged (use --allow-empty to accept an empty stream)
::notice title=grace-decide::1 events: 0 passed, 0 warned or held, 0 failed, 1 errors"
	run -1 --separate-stderr grace-decide -q --no-fail --emit -c "$W" < /dev/null
	assert_output ''
	# Two empty files are still no events.
	: > a.ndjson; : > b.ndjson
	run -1 --separate-stderr grace-decide -q -c "$W" a.ndjson b.ndjson
	# --allow-empty accepts it, and nothing else.
	run -0 --separate-stderr grace-decide -c "$W" --allow-empty < /dev/null
	assert_output ''
	[ "$stderr" = "0 events, 0 approved, 0 held, 0 escalated, 0 rejected, 0 errors" ]
	run -0 --separate-stderr grace-decide -q -c "$W" --allow-empty <<< $'\n\n'
	run -1 --separate-stderr grace-decide -q -c "$W" --allow-empty <<< "$(ev '{"mldl":{"score":0.1}}')"
	# Only bad lines: bad input outranks it (3), with or without the flag.
	run -3 --separate-stderr grace-decide -q -c "$W" <<< 'not json'
	[ "$stderr" = "grace-decide: <stdin>:1:1: not JSON: unexpected 'n'" ]
	run -3 --separate-stderr grace-decide -q -c "$W" --allow-empty <<< 'not json'
	# An event that exits 0 is still 0.
	run -0 --separate-stderr grace-decide -q -c "$W" < <(head -1 "$STREAM")
}

@test "exit 1 when any decision is reject, hold or escalate (by default)" {
	local t
	for t in '{"mldl":{"score":0.1}}' '{"mldl":{"score":0.7}}' '{"mldl":{"score":0.5}}'; do
		run -1 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" <<< "$(ev "$t")"
	done
}

@test "fail_on and --fail-on choose which of hold and escalate exit 1; reject always does" {
	local hold escalate reject
	hold=$(ev '{"mldl":{"score":0.7}}')
	escalate=$(ev '{"mldl":{"score":0.5}}')
	reject=$(ev '{"mldl":{"score":0.1}}')
	{ cat "$DFIX/thresholds.yaml"; echo 'fail_on: []'; } > c.yaml
	run -0 --separate-stderr grace-decide -q -c c.yaml <<< "$hold"$'\n'"$escalate"
	run -1 --separate-stderr grace-decide -q -c c.yaml <<< "$reject"
	{ cat "$DFIX/thresholds.yaml"; echo 'fail_on: escalate'; } > c.yaml
	run -0 --separate-stderr grace-decide -q -c c.yaml <<< "$hold"
	run -1 --separate-stderr grace-decide -q -c c.yaml <<< "$escalate"
	run -1 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" --fail-on escalate <<< "$escalate"
	run -0 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" --fail-on escalate <<< "$hold"
	run -0 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" --fail-on reject <<< "$hold"$'\n'"$escalate"
	run -1 --separate-stderr grace-decide -q -c "$DFIX/thresholds.yaml" --fail-on hold,escalate <<< "$hold"
}

@test "--no-fail exits 0 after annotating, but a bad line still exits 3" {
	run -0 --separate-stderr grace-decide -q -c "$W" --no-fail "$STREAM"
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 2 --partial '"decision":{"verdict":"reject"'
	run -3 --separate-stderr grace-decide -q -c "$W" --no-fail <<< 'nope'
}

@test "a bad line outranks a reject (3, not 1); a system error is 4" {
	run -3 --separate-stderr grace-decide -q -c "$W" < <(cat "$STREAM"; echo '[1]')
	run -4 --separate-stderr grace-decide -q -c "$W" "$STREAM" missing.ndjson
	[ "${#lines[@]}" -eq 4 ]
	[ "$stderr" = "grace-decide: missing.ndjson: unable to open: No such file or directory" ]
}

# ------------------------------------------------------------- bad input

@test "malformed lines: file:line:col on stderr, a rejection record in place, the rest decided" {
	printf '%s\n' "$(head -1 "$STREAM")" 'not json' '' '[1,2]' '{"id":"x",}' \
		'{"id":"x","grace":[]}' '{"id":"x","grace":"gate"}' "$(sed -n 3p "$STREAM")" > in.ndjson
	printf '{"a":"\xff"}\n' >> in.ndjson
	run -3 --separate-stderr grace-decide -c "$W" in.ndjson
	[ "${#lines[@]}" -eq 8 ]
	assert_line --index 0 --partial '"id":"e-1"'
	assert_line --index 1 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":2,"column":1,"error":"not JSON: unexpected '"'n'"'"}}'
	assert_line --index 2 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":4,"column":1,"error":"expected a JSON object, got an array"}}'
	assert_line --index 3 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":5,"column":11,"error":"not JSON: expected a string key"}}'
	assert_line --index 4 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":6,"column":19,"error":"member '"'grace'"' is an array, not an object"}}'
	assert_line --index 5 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":7,"column":19,"error":"member '"'grace'"' is a string, not an object"}}'
	assert_line --index 6 --partial '"id":"e-3"'
	assert_line --index 7 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":9,"column":7,"error":"invalid UTF-8"}}'
	[ "$stderr" = "grace-decide: in.ndjson:2:1: not JSON: unexpected 'n'
grace-decide: in.ndjson:4:1: expected a JSON object, got an array
grace-decide: in.ndjson:5:11: not JSON: expected a string key
grace-decide: in.ndjson:6:19: member 'grace' is an array, not an object
grace-decide: in.ndjson:7:19: member 'grace' is a string, not an object
grace-decide: in.ndjson:9:7: invalid UTF-8
8 events, 1 approved, 0 held, 0 escalated, 1 rejected, 6 errors" ]
}

@test "--strict stops at the first bad line and keeps what came before" {
	run -3 --separate-stderr grace-decide -q -c "$W" --strict < <(head -1 "$STREAM"; echo nope; sed -n 3p "$STREAM")
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --partial '"id":"e-1"'
	assert_line --index 1 --partial '"grace.input.rejected"'
	[ "$stderr" = "grace-decide: <stdin>:2:1: not JSON: unexpected 'n'" ]
}

@test "--max-line: a longer line is rejected; a last line without newline is decided" {
	{ head -1 "$STREAM"; printf '{"id":"%0300d"}\n' 0; printf '{"id":"z","grace":{"gate":{"decision":"deny"}}}'; } > in.ndjson
	run -3 --separate-stderr grace-decide -q -c "$W" --max-line 250 in.ndjson
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 1 '{"type":"grace.input.rejected","source":"grace-decide","data":{"input":"in.ndjson","line":2,"error":"line longer than 250 bytes"}}'
	assert_line --index 2 --partial '{"id":"z","grace":{"gate":{"decision":"deny"},"decision":{"verdict":"reject"'
}

@test "every output line is valid JSON, whatever the annotations hold" {
	local i
	for i in $(seq 1 40); do
		printf '{"id":"f-%d","type":"t%d","grace":{"gate":{"decision":"%s","rules":["r\\"%d",5,{"x":[]}],"error":"e\\n%d","obligations":[%s]},"heal":{"anomaly":%s,"score":%s},"verify":{"status":"%s","confidence":%s},"mldl":%s}}\n' \
			"$i" "$i" "$(echo allow warn review deny error bogus | cut -d' ' -f$((i % 6 + 1)))" "$i" "$i" \
			"$(echo '' '1' '"a",{"b":null}' | cut -d' ' -f$((i % 3 + 1)))" \
			"$(echo true false null | cut -d' ' -f$((i % 3 + 1)))" "$(echo 0 0.5 1 2 '"x"' | cut -d' ' -f$((i % 5 + 1)))" \
			"$(echo verified failed inconclusive '' | cut -d' ' -f$((i % 4 + 1)))" "$(echo 0.9 1e-3 -1 | cut -d' ' -f$((i % 3 + 1)))" \
			"$(echo '{"score":0.5}' '{"error":{"code":7}}' '[]' 'null' | cut -d' ' -f$((i % 4 + 1)))"
	done > in.ndjson
	run --separate-stderr grace-decide -q -c "$ROOT/config/decide.yaml" --emit in.ndjson
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 80 ]
	jq -e -c '.grace.decision // .data.decision | .verdict' <<< "$output" > /dev/null
}

# ------------------------------------------------------------ bad config

# bad_config YAML MESSAGE: loading YAML fails with exactly MESSAGE (after
# "grace-decide: c.yaml:"), exit 2, before any event is read.
bad_config() {
	printf '%s\n' "$1" > c.yaml
	run -2 --separate-stderr grace-decide -c c.yaml < "$STREAM"
	assert_output ''
	[ "$stderr" = "grace-decide: c.yaml:$2" ] || { echo "stderr: $stderr"; false; }
	run -2 --separate-stderr grace-decide -c c.yaml --check
	[ "$stderr" = "grace-decide: c.yaml:$2" ]
}

T='thresholds: {approve: 0.8, hold: 0.6, reject: 0.4}'

@test "bad config: invalid YAML, an empty file" {
	bad_config $'thresholds: {approve: 0.8\ninputs:\n  mldl: {weight: 1}' \
		"2:7: did not find expected ',' or '}' (while parsing a flow mapping at line 1, column 13)"
	bad_config '' " no YAML document (the file is empty or holds only comments)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\n  mldl: {weight: 2}' \
		"4:3: duplicate key 'mldl' (first defined at line 3)"
}

@test "bad config: unknown keys at every level, with what was expected" {
	bad_config "$T"$'\nweigths: 1\ninputs:\n  mldl: {weight: 1}' \
		"2:1: unknown key 'weigths' (expected one of: algorithm, precedence, thresholds, indeterminate, inputs, rules, routes, fail_on)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\n  ml: {weight: 1}' \
		"4:3: unknown key 'ml' (expected one of: governance, avn, verification, mldl, learning, memory)"
	bad_config "$T"$'\ninputs:\n  mldl: {wieght: 1}' \
		"3:10: unknown key 'wieght' (expected one of: weight, missing, neutral, on_error, deny_below, permit_at)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\nrules:\n  - id: r\n    input: mldl\n    when: {scor_below: 0.5}\n    verdict: hold' \
		"7:12: unknown key 'scor_below' (expected one of: opinion, decision, rules, risk, status, severity, anomaly, score_below, score_at_least, type)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\nrules:\n  - id: r\n    input: mldl\n    verdikt: hold' \
		"7:5: unknown key 'verdikt' (expected one of: id, input, when, verdict, reason, obligations, advice, routes)"
}

@test "bad config: weights and thresholds" {
	bad_config "$T"$'\ninputs:\n  mldl: {missing: absent}' "3:9: missing required key 'weight'"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: -1}' "3:18: expected a weight from 0 to 1000000, got -1"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: "1"}' "3:18: expected a number, got '1' (quoted, so a string)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 0}\n  avn: {weight: 0}' \
		"3:3: the weights of the inputs sum to 0: give at least one input a weight above 0"
	bad_config "$T"$'\ninputs: {}' "2:9: inputs: name at least one of governance, avn, verification, mldl, learning, memory"
	bad_config $'inputs:\n  mldl: {weight: 1}' "1:1: missing required key 'thresholds'"
	bad_config $'thresholds: {approve: 0.8, reject: 0.4}\ninputs:\n  mldl: {weight: 1}' "1:13: missing required key 'hold'"
	bad_config $'thresholds: {approve: 1.5, hold: 0.6, reject: 0.4}\ninputs:\n  mldl: {weight: 1}' \
		"1:23: expected a number from 0 to 1, got 1.5"
	bad_config $'thresholds: {approve: 0.5, hold: 0.6, reject: 0.4}\ninputs:\n  mldl: {weight: 1}' \
		"1:13: thresholds must satisfy reject <= hold <= approve (got reject 0.4, hold 0.6, approve 0.5)"
}

@test "bad config: names that are not known" {
	bad_config $'algorithm: majority\n'"$T"$'\ninputs:\n  mldl: {weight: 1}' \
		"1:12: unknown algorithm 'majority' (expected weighted, deny-overrides, permit-overrides or first-applicable)"
	bad_config "$T"$'\nindeterminate: approve\ninputs:\n  mldl: {weight: 1}' \
		"2:16: unknown indeterminate verdict 'approve' (expected escalate or hold)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1, missing: optional}' \
		"3:30: unknown missing policy 'optional' (expected absent, neutral or required)"
	bad_config $'precedence: [avn, avn]\n'"$T"$'\ninputs:\n  mldl: {weight: 1}' "1:19: input avn is listed twice"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\nroutes:\n  hold: [ui, pager]' \
		"5:14: unknown route 'pager' (expected autonomous, ui, learning or audit)"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\nfail_on: [approve]' "4:10: fail_on cannot list approve"
}

@test "bad config: contradictions" {
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1, missing: required, on_error: ignore}' \
		"3:50: input mldl is required: on_error cannot be ignore"
	bad_config "$T"$'\ninputs:\n  governance: {weight: 1, deny_below: 0.2}' \
		"3:39: deny_below applies to the score inputs mldl, learning and memory only"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1, deny_below: 0.5, permit_at: 0.4}' \
		"3:49: permit_at 0.4 is below deny_below 0.5"
}

@test "bad config: rules" {
	local R="$T"$'\ninputs:\n  mldl: {weight: 1}\nrules:'
	bad_config "$R"$'\n  - id: r\n    input: avn\n    verdict: hold' "6:12: input avn is not listed under inputs"
	bad_config "$R"$'\n  - id: r\n    input: mldl\n    verdict: hold\n  - id: r\n    input: mldl\n    verdict: hold' \
		"8:9: rule id 'r' is used twice (first at line 5)"
	bad_config "$R"$'\n  - id: r\n    input: mldl' "5:5: rule 'r' does nothing: give it a verdict, obligations, advice or routes"
	bad_config "$R"$'\n  - input: mldl\n    verdict: hold' "5:5: missing required key 'id'"
	bad_config "$R"$'\n  - id: r\n    input: mldl\n    verdict: deny' \
		"7:14: unknown verdict 'deny' (expected approve, hold, escalate or reject)"
	bad_config "$R"$'\n  - id: r\n    input: mldl\n    when: {severity: critical}\n    verdict: hold' \
		"7:12: 'severity' applies to input avn only, not mldl"
	bad_config "$R"$'\n  - id: r\n    input: mldl\n    when: {score_below: 2}\n    verdict: hold' \
		"7:25: expected a number from 0 to 1, got 2"
	bad_config "$R"$'\n  - id: r\n    input: mldl\n    when: {opinion: []}\n    verdict: hold' \
		"7:21: expected at least one opinion"
	bad_config "$R"$'\n  - id: r\n    input: mldl\n    obligations: notify' "7:18: expected a sequence, got 'notify'"
	bad_config "$T"$'\ninputs:\n  mldl: {weight: 1}\nrules: {id: r}' "4:8: expected a sequence, got a mapping"
}

# --------------------------------------------------------- --check, --test

@test "--check validates and exits before reading anything" {
	# stdin never ends: --check must not read it
	run -0 --separate-stderr timeout 10 grace-decide -c "$DFIX/rules.yaml" --check < /dev/zero
	assert_output "$DFIX/rules.yaml: ok: algorithm weighted, 3 inputs, 7 rules"
	[ -z "$stderr" ]
}

@test "--test: the shipped configuration passes its own test file" {
	cd "$ROOT"
	run -0 --separate-stderr grace-decide --test config/decide.test.yaml
	[ "${#lines[@]}" -eq 18 ]
	assert_line --index 0 'ok 1 - a request that grace-gate allowed is approved on its own'
	assert_line --index 6 'ok 7 - a deploy whose evidence could not be checked escalates, never approves'
	refute_output --partial 'not ok'
	[ "$stderr" = "18 cases, 18 passed, 0 failed" ]
}

@test "the shipped decide.yaml never approves a deploy whose evidence grace-verify could not check" {
	# Its comment promises it; the weights alone approved it (0.8438).
	cat > c.yaml <<-'EOF'
	contracts:
	  - id: deploy-check
	    match: {type: "deploy.*"}
	    checks: [{name: error-rate, jq: '.data.error_rate | tonumber < 0.01'}]
	EOF
	local ev='{"id":"d-1","type":"deploy.completed","grace":{"gate":{"decision":"allow"},"heal":{"anomaly":false,"severity":"none"}},"data":{"error_rate":"n/a"}}'
	# grace-verify says inconclusive; --inconclusive=pass lets it through,
	# so that only grace-decide stands between it and the deploy.
	run -1 --separate-stderr bash -c 'set -o pipefail
	    grace-verify --inconclusive=pass -c c.yaml <<< "$1" | grace-decide -q -c "$2" > out.ndjson && touch deployed' \
	    _ "$ev" "$ROOT/config/decide.yaml"
	[ ! -e deployed ]
	[ "$(jq -r .grace.verify.status out.ndjson)" = inconclusive ]
	[ "$(jq -c '.grace.decision | [.verdict, .decided_by, .rules, .score]' out.ndjson)" = '["escalate","verification",["inconclusive-deploy"],0.8438]' ]
	# The same deploy with evidence that checks out is approved.
	run -0 --separate-stderr bash -c 'set -o pipefail
	    grace-verify -c c.yaml <<< "$1" | grace-decide -q -c "$2" > out.ndjson && touch deployed' \
	    _ "${ev/n\/a/0.001}" "$ROOT/config/decide.yaml"
	[ -e deployed ]
	[ "$(jq -r .grace.decision.verdict out.ndjson)" = approve ]
}

@test "--test: a failing case says what differs, and exits 1" {
	cat > cases.yaml <<-'EOF'
	cases:
	  - name: approve by weights
	    event: {id: a, grace: {mldl: {score: 0.9}}}
	    expect: approve
	  - name: wrong on purpose
	    event: '{"id":"b","grace":{"mldl":{"score":0.7}}}'
	    expect: {verdict: reject, score: 0.71, decided_by: weights, routes: [learning]}
	EOF
	run -1 --separate-stderr grace-decide -c "$DFIX/thresholds.yaml" --test cases.yaml
	assert_output 'ok 1 - approve by weights
not ok 2 - wrong on purpose: verdict: expected reject, got hold; score: expected 0.71, got 0.7; routes: expected ["learning"], got ["ui","audit"]'
	[ "$stderr" = "2 cases, 1 passed, 1 failed" ]
}

@test "--test: a bad case file is a usage error at file:line:col" {
	printf 'cases:\n  - name: x\n    event: {id: a}\n    expect: maybe\n' > cases.yaml
	run -2 --separate-stderr grace-decide -c "$W" --test cases.yaml
	assert_output ''
	[ "$stderr" = "grace-decide: cases.yaml:4:13: unknown verdict (expected approve, hold, escalate or reject): maybe" ]
	printf 'cases:\n  - name: x\n    event: "{\\"id\\": }"\n    expect: hold\n' > cases.yaml
	run -2 --separate-stderr grace-decide -c "$W" --test cases.yaml
	[ "$stderr" = "grace-decide: cases.yaml:3:12: event: not JSON: unexpected '}'" ]
	printf 'cases:\n  - name: x\n    event: {grace: [1]}\n    expect: hold\n' > cases.yaml
	run -2 --separate-stderr grace-decide -c "$W" --test cases.yaml
	[ "$stderr" = "grace-decide: cases.yaml:3:12: event: member 'grace' is an array, not an object" ]
	printf 'cases:\n  - name: x\n    event: {}\n    expected: hold\n' > cases.yaml
	run -2 --separate-stderr grace-decide -c "$W" --test cases.yaml
	[ "$stderr" = "grace-decide: cases.yaml:4:5: unknown key 'expected' (expected one of: name, event, expect)" ]
	run -2 --separate-stderr grace-decide -c "$W" --test nope.yaml
	[ "$stderr" = "grace-decide: nope.yaml: cannot open: No such file or directory" ]
}

# Regression: the malformed-verdict message unescaped the string into a
# scratch buffer and escaped it back into the same buffer, which a realloc
# moved while it was read (use after free with a ~230-byte decision).
@test "a 230-byte string as grace.gate.decision is indeterminate, quoted cut at 40 bytes" {
	local s
	s=$(printf 'x%.0s' $(seq 230))
	printf '{"id":"e1","grace":{"gate":{"decision":"%s"}}}\n' "$s" > ev.ndjson
	run -1 --separate-stderr grace-decide -c "$W" --explain < ev.ndjson
	local q="'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
	[ "$stderr" = "grace-decide: <stdin>:1: event e1
  input governance (grace.gate): indeterminate, weight 0.4: grace.gate.decision $q is not allow, warn, review, deny or error
  input avn (grace.heal): absent, score 0.6, weight 0.2: missing, neutral score 0.6
  input verification (grace.verify): absent, weight 0.3: missing
  input mldl (grace.mldl): absent, weight 0.1: missing
  weighted score: (0.2*0.6) / 0.2 = 0.6
  algorithm weighted: decided by governance (indeterminate)
  verdict escalate, confidence 0
1 events, 0 approved, 0 held, 1 escalated, 0 rejected, 0 errors" ]
	run jq -c '.grace.decision | [.verdict, .reasons]' <<< "$output"
	assert_output '["escalate",["governance: indeterminate: grace.gate.decision '"$q"' is not allow, warn, review, deny or error"]]'
}
