#!/usr/bin/env bats
# grace-verify: the command line, the contracts file and its errors, jq and
# contract checks, choosing a contract, the verdict and its confidence,
# bad input, output formats and exit statuses. exec checks, evidence
# (digest, signature, baseline, scan) and chain verification have their
# own suites (verify-exec, verify-evidence, verify-chain).

load verify-helpers

# ---------------------------------------------------------------- the CLI

@test "--help and --version exit 0 and write to stdout only" {
	run -0 --separate-stderr grace-verify --help
	assert_line --index 0 'usage: grace-verify [-c CONTRACTS] [-j N] [-o FORMAT] [--update-baseline]'
	assert_output --partial '  --chain LOG            verify the log'
	assert_output --partial 'Exit status: 0 all verified (chain intact), 1 a check failed'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-verify --version
	assert_output --regexp '^grace-verify \(grace\) [0-9]+\.[0-9]+\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "bad options and option values are usage errors (exit 2) and read nothing" {
	run -2 --separate-stderr grace-verify --bogus < /dev/null
	assert_output ''
	[ "$stderr" = "grace-verify: unrecognized option '--bogus'
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify -j 0
	[ "$stderr" = "grace-verify: -j takes a number of jobs from 1 to 256, not '0'
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify -j many
	[ "$stderr" = "grace-verify: -j takes a number of jobs from 1 to 256, not 'many'
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify -o xml
	[ "$stderr" = "grace-verify: -o takes ndjson, text, tap, junit or github, not 'xml'
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify --inconclusive=maybe
	[ "$stderr" = "grace-verify: --inconclusive takes fail or pass, not 'maybe'
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify --max-line 0
	[ "$stderr" = "grace-verify: --max-line takes a byte count from 1 to 1073741824, not '0'
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify --state s.json
	[ "$stderr" = "grace-verify: --state needs --chain LOG
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify --chain a.log -j 4
	[ "$stderr" = "grace-verify: -j is for checking events; --chain verifies a log
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify --chain a.log events.ndjson
	[ "$stderr" = "grace-verify: --chain reads no events: unexpected argument 'events.ndjson' (give more segments with --chain)
Try 'grace-verify --help' for more information." ]
	run -2 --separate-stderr grace-verify --chain a.log --checkpoint cp
	[ "$stderr" = "grace-verify: --checkpoint needs --pubkey KEY: an unsigned checkpoint proves nothing
Try 'grace-verify --help' for more information." ]
}

@test "the contracts file is found on the search path; none found is a usage error" {
	mkdir -p conf
	printf 'contracts: []\n' > conf/contracts.yaml
	GRACE_CONFIG_DIR="$PWD/conf" run -0 --separate-stderr grace-verify --check
	assert_output "$PWD/conf/contracts.yaml: ok: 0 contracts, 0 checks"
	[ -z "$stderr" ]
	HOME=$PWD XDG_CONFIG_HOME= GRACE_CONFIG_DIR= run -2 --separate-stderr grace-verify < /dev/null
	assert_output ''
	[[ "$stderr" == "grace-verify: no contracts.yaml found (looked in: "*"): use -c FILE" ]]
	run -2 --separate-stderr grace-verify -c nosuch.yaml < /dev/null
	[ "$stderr" = "grace-verify: nosuch.yaml: cannot open: No such file or directory" ]
}

@test "the shipped contracts and scan rules pass --check from the repository root" {
	cd "$ROOT"
	run -0 --separate-stderr grace-verify --check
	assert_output 'config/contracts.yaml: ok: 6 contracts, 14 checks'
	[ -z "$stderr" ]
}

# ----------------------------------------------------- configuration errors

# bad_config FILE MESSAGE: --check, and a run with events, both exit 2 with
# exactly MESSAGE and write nothing.
bad_config() {
	run -2 --separate-stderr grace-verify -c "$1" --check
	assert_output ''
	[ "$stderr" = "$2" ] || { echo "got: $stderr"; return 1; }
	run -2 --separate-stderr grace-verify -c "$1" <<< '{"type":"a"}'
	assert_output ''
	[ "$stderr" = "$2" ]
}

@test "config errors name file:line:col and exit 2 before any event is read" {
	printf 'contracts: [\n' > syntax.yaml
	bad_config syntax.yaml "grace-verify: syntax.yaml:2:1: did not find expected node content (while parsing a flow node at line 2, column 1)"
	printf 'contract:\n  - id: x\n' > top.yaml
	bad_config top.yaml "grace-verify: top.yaml:1:1: unknown key 'contract' (expected one of: settings, contracts)"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    match: {type: a}
	    checks:
	      - name: c
	        jqq: '.a'
	EOF
	bad_config c.yaml "grace-verify: c.yaml:6:9: unknown key 'jqq' (expected one of: name, weight, message, jq, exec, digest, signature, baseline, scan, contract)"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        jq: '.a |'
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:13: invalid jq expression '.a |': syntax error, unexpected \$end"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    when: 'nosuchfn(1)'
	    checks:
	      - name: c
	        jq: '.a'
	EOF
	bad_config c.yaml "grace-verify: c.yaml:3:11: invalid jq expression 'nosuchfn(1)': nosuchfn/1 is not defined"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        jq: .a
	        exec: {argv: ["true"]}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:6:15: check 'c' has two kinds (jq and exec): one check, one kind"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        weight: 2
	EOF
	bad_config c.yaml "grace-verify: c.yaml:4:9: check 'c' has no kind: give one of jq, exec, digest, signature, baseline, scan, contract"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks: []
	EOF
	bad_config c.yaml "grace-verify: c.yaml:3:13: contract 'x' has no checks"
}

@test "more config errors: duplicates, kinds' keys, values" {
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks: [{name: c, jq: .a}]
	  - id: x
	    checks: [{name: c, jq: .a}]
	EOF
	bad_config c.yaml "grace-verify: c.yaml:4:9: duplicate contract id 'x' (first at line 2)"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks: [{name: c, jq: .a}, {name: c, jq: .b}]
	EOF
	bad_config c.yaml "grace-verify: c.yaml:3:40: duplicate check name 'c' in contract 'x'"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        exec: {argv: "echo hi"}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:22: argv must be a non-empty list of strings (the command and its arguments; no shell is involved)"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        exec: {argv: ["true"], env: {GRACE_X: .a}}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:38: 'GRACE_X': names starting with GRACE_ are reserved for the event (GRACE_EVENT, GRACE_EVENT_ID, ...)"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        exec: {argv: ["true"], match: "a(b"}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:39: match: bad regular expression: end pattern with unmatched parenthesis"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        exec: {argv: ["true"], timeout: 30}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:41: missing unit in duration '30': use 30s"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        exec: {argv: ["true"], memory: lots}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:40: expected a size such as 65536, 64KiB or 256MiB, got 'lots'"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        digest: {file: a, expected: abc, expected_from: .x}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:57: give expected or expected_from, not both"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        digest: {file: a, algorithm: md5, expected: abc}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:38: algorithm must be sha256 or sha512, not 'md5'"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        scan: {file: a, rules: nope.yaml}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:32: scan rules nope.yaml: cannot open: No such file or directory"
	printf 'rules:\n  - id: r\n    pattern: "(x"\n' > bad-rules.yaml
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        scan: {file: a, rules: bad-rules.yaml}
	EOF
	bad_config c.yaml "grace-verify: bad-rules.yaml:3:14: rule 'r': bad pattern: end pattern with unmatched parenthesis"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        baseline: {file: b.json, metric: .x, direction: sideways}
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:57: direction must be both, up or down, not 'sideways'"
	contracts <<-'EOF'
	contracts:
	  - id: x
	    checks:
	      - name: c
	        weight: 0
	        jq: .a
	EOF
	bad_config c.yaml "grace-verify: c.yaml:5:17: weight must be more than 0 (and at most 1000000)"
}

# ------------------------------------------------------------ jq checks

@test "jq checks pass and fail; a custom message comes before the details" {
	contracts <<-'EOF'
	contracts:
	  - id: deploy
	    match: {type: deploy.completed}
	    checks:
	      - name: error-rate
	        jq: '.data.error_rate < 0.01'
	      - name: replicas
	        jq: '.data.ready >= 3'
	        message: not enough replicas
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml <<< '{"id":"1","type":"deploy.completed","data":{"error_rate":0.001,"ready":3}}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"verified","confidence":1,"checks":[{"name":"error-rate","kind":"jq","result":"pass","message":""},{"name":"replicas","kind":"jq","result":"pass","message":""}],"contract":"deploy"}' ]
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"id":"2","type":"deploy.completed","data":{"error_rate":0.5,"ready":1}}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"failed","confidence":0,"checks":[{"name":"error-rate","kind":"jq","result":"fail","message":".data.error_rate < 0.01 is false"},{"name":"replicas","kind":"jq","result":"fail","message":"not enough replicas: .data.ready >= 3 is false"}],"contract":"deploy"}' ]
}

@test "the event passes through byte for byte, with grace.verify spliced in" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks: [{name: ok, jq: 'true'}]
	EOF
	printf '{ "type" : "t", "n": 1.50, "s":"caf\\u00e9", "grace": {"gate": {"decision":"allow"}} }\n' > in.ndjson
	run -0 --separate-stderr grace-verify -c c.yaml in.ndjson
	[[ "$output" == '{ "type" : "t", "n": 1.50, "s":"caf\u00e9", "grace": {"gate": {"decision":"allow"},"verify":{"status":"verified","confidence":1,"checks":[{"name":"ok","kind":"jq","result":"pass","duration_ms":'*',"message":""}],"contract":"k"}} }' ]]
}

@test "jq checks that go beyond the native subset run through libjq, with the same answers" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks:
	      - {name: native, jq: '.data.n > 2 and .data.s == "x"'}
	      - {name: libjq, jq: '.data.tags | any(. == "prod")'}
	      - {name: nothing, jq: 'empty'}
	      - {name: oops, jq: '.data.s | tonumber'}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"type":"t","data":{"n":3,"s":"x","tags":["a","prod"]}}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"failed","confidence":0.625,"checks":[{"name":"native","kind":"jq","result":"pass","message":""},{"name":"libjq","kind":"jq","result":"pass","message":""},{"name":"nothing","kind":"jq","result":"fail","message":"empty gave no output"},{"name":"oops","kind":"jq","result":"error","message":"jq: error: Invalid numeric literal at EOF at line 1, column 1 (while parsing '"'"'x'"'"')"}],"contract":"k"}' ]
}

@test "a path through a number is jq's error, not a crash, natively or not" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks:
	      - {name: deep, jq: '.data.a.b == 1'}
	      - {name: fine, jq: '.data.c == 2'}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"type":"t","data":{"a":5,"c":2}}'
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.75,"checks":[{"name":"deep","kind":"jq","result":"error","message":"jq: error: Cannot index number with string \"b\""},{"name":"fine","kind":"jq","result":"pass","message":""}],"contract":"k"}' ]
}

# ------------------------------------------------------ choosing a contract

@test "contracts are chosen by type (exact and '*'), then by when; the first that applies wins" {
	contracts <<-'EOF'
	contracts:
	  - id: prod
	    match: {type: deploy.completed}
	    when: '.data.env == "prod"'
	    checks: [{name: a, jq: 'true'}]
	  - id: any-deploy
	    match: {type: 'deploy.*'}
	    checks: [{name: b, jq: 'true'}]
	  - id: listed
	    match: {type: [x.one, x.two]}
	    checks: [{name: c, jq: 'true'}]
	  - id: everything
	    when: '.actor == "robot"'
	    checks: [{name: d, jq: 'true'}]
	EOF
	cat > in.ndjson <<-'EOF'
	{"id":"1","type":"deploy.completed","data":{"env":"prod"}}
	{"id":"2","type":"deploy.completed","data":{"env":"dev"}}
	{"id":"3","type":"deploy.requested"}
	{"id":"4","type":"x.two"}
	{"id":"5","type":"other","actor":"robot"}
	{"id":"6","type":"other","actor":"human"}
	{"id":"7","actor":"robot"}
	{"id":"8","type":5}
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml in.ndjson
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -r '.grace.verify.contract // "-"' | tr '\n' ' ')" = "prod any-deploy any-deploy listed everything - everything - " ]
	# Events no contract applies to pass through unchanged.
	[ "${lines[5]}" = '{"id":"6","type":"other","actor":"human"}' ]
	[ "${lines[7]}" = '{"id":"8","type":5}' ]
}

@test "--require-contract makes an event no contract applies to inconclusive (exit 1)" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: deploy.completed}
	    checks: [{name: a, jq: 'true'}]
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml <<< '{"type":"deploy.complete"}'
	assert_output '{"type":"deploy.complete"}'
	run -1 --separate-stderr grace-verify -c c.yaml --require-contract <<< '{"type":"deploy.complete"}'
	assert_output '{"type":"deploy.complete","grace":{"verify":{"status":"inconclusive","confidence":0,"checks":[],"contract":null,"error":"no contract applies"}}}'
	[ -z "$stderr" ]
}

@test "a when that fails at run time: an inconclusive verdict with the error, a diagnostic, exit 3, the stream goes on" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    when: '.data.n | tonumber > 1'
	    checks: [{name: a, jq: 'true'}]
	EOF
	printf '%s\n' '{"type":"t","data":{"n":"x"}}' '{"type":"t","data":{"n":"5"}}' > in.ndjson
	run -3 --separate-stderr grace-verify -c c.yaml in.ndjson
	[ "$stderr" = "grace-verify: in.ndjson:1: contract 'k': when: jq: error: Invalid numeric literal at EOF at line 1, column 1 (while parsing 'x')" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0,"checks":[],"contract":"k","error":"contract '"'"'k'"'"': when: jq: error: Invalid numeric literal at EOF at line 1, column 1 (while parsing '"'"'x'"'"')"}
{"status":"verified","confidence":1,"checks":[{"name":"a","kind":"jq","result":"pass","message":""}],"contract":"k"}' ]
}

# ------------------------------------------------------------ confidence

@test "confidence against hand-computed values (weights; pass 1, error 0.5, fail 0)" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks:
	      - {name: error-rate, weight: 1, jq: '.p1'}
	      - {name: healthy, weight: 2, jq: '.p2'}
	      - {name: digest, weight: 2, jq: '.p3'}
	      - {name: latency, weight: 1, jq: '.p4 | tonumber'}
	EOF
	# pass, fail, pass, error: (1 + 0 + 2 + 0.5) / 6 = 0.58333
	run -1 grace-verify -c c.yaml <<< '{"type":"t","p1":true,"p2":false,"p3":true,"p4":"x"}'
	[ "$(vfield '.grace.verify | [.status, .confidence] | @text')" = '["failed",0.5833]' ]
	# all pass: 1
	run -0 grace-verify -c c.yaml <<< '{"type":"t","p1":true,"p2":true,"p3":true,"p4":"1"}'
	[ "$(vfield '.grace.verify | [.status, .confidence] | @text')" = '["verified",1]' ]
	# pass, pass, pass, error: (1 + 2 + 2 + 0.5) / 6 = 0.91667
	run -1 grace-verify -c c.yaml <<< '{"type":"t","p1":true,"p2":true,"p3":true,"p4":"x"}'
	[ "$(vfield '.grace.verify | [.status, .confidence] | @text')" = '["inconclusive",0.9167]' ]
	# fail, pass, fail, pass: (0 + 2 + 0 + 1) / 6 = 0.5
	run -1 grace-verify -c c.yaml <<< '{"type":"t","p1":null,"p2":true,"p3":false,"p4":"2"}'
	[ "$(vfield '.grace.verify | [.status, .confidence] | @text')" = '["failed",0.5]' ]
	# fail, fail, fail, pass (0 is true in jq): 1 / 6 = 0.16667
	run -1 grace-verify -c c.yaml <<< '{"type":"t","p1":false,"p2":false,"p3":false,"p4":"0"}'
	[ "$(vfield '.grace.verify | [.status, .confidence] | @text')" = '["failed",0.1667]' ]
	# fail, pass, fail, error: (0 + 2 + 0 + 0.5) / 6 = 0.41667
	run -1 grace-verify -c c.yaml <<< '{"type":"t","p1":null,"p2":[],"p3":null,"p4":"?"}'
	[ "$(vfield '.grace.verify | [.status, .confidence] | @text')" = '["failed",0.4167]' ]
}

@test "confidence: three equal checks, two passing and one error, is 0.8333 (the man page's example)" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: a, jq: 'true'}
	      - {name: b, jq: 'true'}
	      - {name: c, jq: 'error("boom")'}
	EOF
	run -1 grace-verify -c c.yaml <<< '{"type":"t"}'
	[ "$(vfield '.grace.verify | [.status, .confidence, .checks[2].message] | @text')" = '["inconclusive",0.8333,"jq: error: boom"]' ]
	run -0 grace-verify -c c.yaml --inconclusive=pass <<< '{"type":"t"}'
}

# ---------------------------------------------------------- contract checks

@test "contract checks: expect vs actual, arrays as sets, nested objects, extra members allowed" {
	contracts <<-'EOF'
	contracts:
	  - id: cfg
	    match: {type: config.applied}
	    checks:
	      - name: effect
	        contract: {}
	      - name: ordered
	        contract: {expect: .data.plan, actual: .data.done, ordered: true}
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml <<< '{"type":"config.applied","expect":{"files":["a","b"],"restarts":{"api":1},"count":2},"actual":{"files":["b","a","a"],"restarts":{"api":1,"db":0},"count":2,"extra":true},"data":{"plan":{"steps":[1,2]},"done":{"steps":[1,2]}}}'
	[ "$(verdicts)" = '{"status":"verified","confidence":1,"checks":[{"name":"effect","kind":"contract","result":"pass","message":"3 expected members match"},{"name":"ordered","kind":"contract","result":"pass","message":"1 expected member match"}],"contract":"cfg"}' ]
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"type":"config.applied","expect":{"files":["a","b"],"restarts":{"api":1},"count":2,"gone":1},"actual":{"files":["c","a"],"restarts":{"api":2},"count":3},"data":{"plan":{"steps":[1,2]},"done":{"steps":[2,1]}}}'
	[ "$(verdicts)" = '{"status":"failed","confidence":0,"checks":[{"name":"effect","kind":"contract","result":"fail","message":".actual.count: expected 2, got 3; .actual.files: missing [\"b\"], unexpected [\"c\"]; .actual.gone: missing; .actual.restarts.api: expected 1, got 2"},{"name":"ordered","kind":"contract","result":"fail","message":".data.done.steps: expected [1,2], got [2,1]"}],"contract":"cfg"}' ]
}

@test "contract checks without expect or actual, or with non-objects, are inconclusive" {
	contracts <<-'EOF'
	contracts:
	  - id: cfg
	    checks: [{name: effect, contract: {}}]
	EOF
	run -1 grace-verify -c c.yaml <<< '{"type":"x","actual":{}}'
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"effect","kind":"contract","result":"error","message":"the event states no expect (.expect is null)"}],"contract":"cfg"}' ]
	run -1 grace-verify -c c.yaml <<< '{"type":"x","expect":{"a":1},"actual":[1]}'
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"effect","kind":"contract","result":"error","message":"actual .actual is an array, not an object"}],"contract":"cfg"}' ]
}

# ---------------------------------------------------------------- bad input

@test "malformed lines: a diagnostic, a rejection record in place, exit 3, nothing lost" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks: [{name: a, jq: '.ok'}]
	EOF
	printf '%s\n' '{"id":"1","ok":true}' 'not json' '[1,2]' '{"id":"2","ok":true' '{"id":"3","ok":true}' > in.ndjson
	printf '{"id":"4","ok":true,"grace":"x"}\n' >> in.ndjson
	run -3 --separate-stderr grace-verify -c c.yaml in.ndjson
	[ "$stderr" = "grace-verify: in.ndjson:2:1: not JSON: unexpected 'n'
grace-verify: in.ndjson:3:1: expected a JSON object, got an array
grace-verify: in.ndjson:4:20: not JSON: unexpected end of line
grace-verify: in.ndjson:6:29: member 'grace' is a string, not an object" ]
	[ "${#lines[@]}" -eq 6 ]
	[ "$(printf '%s\n' "$output" | jq -r '.id // .type' | tr '\n' ' ')" = "1 grace.input.rejected grace.input.rejected grace.input.rejected 3 grace.input.rejected " ]
	[ "$(printf '%s\n' "${lines[1]}" | jq -c .data)" = '{"input":"in.ndjson","line":2,"column":1,"error":"not JSON: unexpected '"'"'n'"'"'"}' ]
	[ "$(printf '%s\n' "${lines[0]}" | jq -r .grace.verify.status)" = verified ]
}

@test "--strict stops at the first bad line, keeping what came before" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks: [{name: a, jq: 'true'}]
	EOF
	printf '%s\n' '{"id":"1"}' 'oops' '{"id":"2"}' > in.ndjson
	run -3 --separate-stderr grace-verify -c c.yaml --strict in.ndjson
	[ "${#lines[@]}" -eq 2 ]
	[ "$(printf '%s\n' "${lines[0]}" | jq -r .id)" = 1 ]
	[ "$stderr" = "grace-verify: in.ndjson:2:1: not JSON: unexpected 'o'
grace-verify: stopped at the first bad line (--strict)" ]
}

@test "an input file that cannot be opened is a system error (exit 4)" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks: [{name: a, jq: 'true'}]
	EOF
	run -4 --separate-stderr grace-verify -c c.yaml nosuch.ndjson
	[ "$stderr" = "grace-verify: nosuch.ndjson: unable to open: No such file or directory" ]
}

# ------------------------------------------------------ formats, statuses

@test "-o text, tap, junit and github report each event; rejected lines too" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks: [{name: a, jq: '.ok'}]
	EOF
	printf '%s\n' '{"id":"e1","type":"t","ok":true}' '{"id":"e2","type":"t","ok":false}' 'bad' '{"id":"e3","type":"u"}' > in.ndjson
	run -3 --separate-stderr grace-verify -c c.yaml -o text in.ndjson
	[ "$output" = "e1 verified k
e2 failed k a failed: .ok is false
in.ndjson:3 rejected - not JSON: unexpected 'b'
e3 none -" ]
	run -3 --separate-stderr grace-verify -c c.yaml -o tap in.ndjson
	[ "$output" = "TAP version 13
ok 1 - e1 verified (k)
not ok 2 - e2 failed (k): a failed: .ok is false
not ok 3 - in.ndjson:3 rejected: not JSON: unexpected 'b'
ok 4 - e3 none
1..4" ]
	run -3 --separate-stderr grace-verify -c c.yaml -o junit in.ndjson
	assert_output --partial '<testsuite name="grace-verify" tests="4" failures="1" errors="1">'
	assert_output --partial '<failure type="failed" message="a failed: .ok is false">k</failure>'
	run -3 --separate-stderr grace-verify -c c.yaml -o github in.ndjson
	[ "$output" = "::error title=grace-verify failed::e2: failed by k - a failed: .ok is false
::error title=grace-verify rejected::in.ndjson:3: rejected - not JSON: unexpected 'b'
::notice title=grace-verify::4 events: 2 passed, 0 warned or held, 1 failed, 1 errors" ]
}

@test "exit statuses: 0 all verified, 1 failed, inconclusive 1 by default and 0 with --inconclusive=pass" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks: [{name: a, jq: '.v | tonumber > 0'}]
	EOF
	run -0 grace-verify -c c.yaml <<< '{"v":"1"}'
	run -1 grace-verify -c c.yaml <<< '{"v":"0"}'
	run -1 grace-verify -c c.yaml <<< '{"v":"x"}'
	[ "$(vfield .grace.verify.status)" = inconclusive ]
	run -0 grace-verify -c c.yaml --inconclusive=pass <<< '{"v":"x"}'
	run -1 grace-verify -c c.yaml --inconclusive=pass <<< '{"v":"0"}'
}

@test "no events judged: an empty stream, or only blank lines, exits 1 unless --allow-empty" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks: [{name: a, jq: '.v | tonumber > 0'}]
	EOF
	local j fmt
	for j in 1 4; do
		run -1 --separate-stderr grace-verify -j "$j" -c c.yaml < /dev/null
		assert_output ''
		[ "$stderr" = "grace-verify: no events judged (use --allow-empty to accept an empty stream)" ]
		run -1 --separate-stderr grace-verify -j "$j" -c c.yaml <<< $'\n \n'
		assert_output ''
		run -0 --separate-stderr grace-verify -j "$j" -c c.yaml --allow-empty < /dev/null
		assert_output ''
		[ -z "$stderr" ]
		run -0 --separate-stderr grace-verify -j "$j" -c c.yaml --allow-empty <<< $'\n'
		run -1 --separate-stderr grace-verify -j "$j" -c c.yaml --allow-empty <<< '{"v":"0"}'
		# Only bad lines: 3, bad input outranks it.
		run -3 --separate-stderr grace-verify -j "$j" -c c.yaml <<< 'nope'
		[ "$stderr" = "grace-verify: <stdin>:1:1: not JSON: unexpected 'n'" ]
	done
	for fmt in text tap junit github; do
		run -1 --separate-stderr grace-verify -o "$fmt" -c c.yaml < /dev/null
		[ "$stderr" = "grace-verify: no events judged (use --allow-empty to accept an empty stream)" ]
		assert_output --partial 'no events judged'
	done
	run -1 --separate-stderr grace-verify -o tap -c c.yaml < /dev/null
	assert_output "TAP version 13
not ok 1 - <stdin> error: no events judged (use --allow-empty to accept an empty stream)
1..1"
	run -0 --separate-stderr grace-verify -o tap --allow-empty -c c.yaml < /dev/null
	assert_output $'TAP version 13\n1..0'
	# --inconclusive=pass does not accept an empty stream either.
	run -1 --separate-stderr grace-verify --inconclusive=pass -c c.yaml < /dev/null
	# It is an option for events, not for --chain.
	run -2 --separate-stderr grace-verify --allow-empty --chain log
	[ "${stderr%%$'\n'*}" = "grace-verify: --allow-empty is for checking events; --chain verifies a log" ]
}

@test "an event whose grace member is not an object is a bad line, whether or not a contract applies" {
	# As in grace-gate and grace-decide: it was passed through unjudged
	# when no contract applied.
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: t}
	    checks: [{name: a, jq: 'true'}]
	EOF
	local j ev
	for j in 1 3; do
		for ev in '{"grace":5}' '{"type":"t","grace":5}' '{"type":"other","grace":[1]}' '{"grace":"x","type":"t"}'; do
			run -3 --separate-stderr grace-verify -j "$j" -c c.yaml <<< "$ev"
			[ "$(jq -r .type <<< "$output")" = grace.input.rejected ]
			[[ "$stderr" =~ ^"grace-verify: <stdin>:1:"[0-9]+": member 'grace' is "(a number|an array|a string)", not an object"$ ]]
		done
	done
	# Exactly what grace-gate and grace-decide say of it.
	run -3 --separate-stderr grace-verify -c c.yaml <<< '{"type":"other","grace":5}'
	[ "$output" = '{"type":"grace.input.rejected","source":"grace-verify","data":{"input":"<stdin>","line":1,"column":25,"error":"member '"'grace'"' is a number, not an object"}}' ]
	[ "$stderr" = "grace-verify: <stdin>:1:25: member 'grace' is a number, not an object" ]
	# The good events around it are judged and passed on, in order.
	run -3 --separate-stderr grace-verify -c c.yaml <<< $'{"type":"t","id":"1"}\n{"grace":5}\n{"type":"u","id":"3"}'
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r .grace.verify.status <<< "${lines[0]}")" = verified ]
	[ "$(jq -r .type <<< "${lines[1]}")" = grace.input.rejected ]
	[ "${lines[2]}" = '{"type":"u","id":"3"}' ]
	# A report shows it as rejected.
	run -3 --separate-stderr grace-verify -o text -c c.yaml <<< '{"grace":5}'
	[ "$output" = "<stdin>:1 rejected - member 'grace' is a number, not an object" ]
}

@test "lib unit tests: native jq subset against libjq; exec runner" {
	run -0 --separate-stderr "$GRACE_TESTBIN/test_jqnative"
	refute_output --partial "not ok"
	assert_output --regexp '1\.\.[0-9]+$'
	run -0 --separate-stderr "$GRACE_TESTBIN/test_exec"
	refute_output --partial "not ok"
	assert_output --regexp '1\.\.[0-9]+$'
}

@test "the shipped contracts on realistic events: deploys, releases, config changes, healing, code" {
	command -v curl >/dev/null || skip "curl is not installed (the shipped health check uses it)"
	cp -r "$ROOT/config" conf
	mkdir -p conf/keys dist build
	printf 'app 2.4.1\n' > build/app.tar
	sum=$(sha256sum build/app.tar | cut -d' ' -f1)
	printf 'ok\n' > health.txt
	openssl genpkey -algorithm ed25519 -out release.key 2>/dev/null
	openssl pkey -in release.key -pubout -out conf/keys/release.pem 2>/dev/null
	(cd build && sha256sum app.tar) > dist/SHA256SUMS
	openssl pkeyutl -sign -inkey release.key -rawin -in dist/SHA256SUMS -out dist/SHA256SUMS.sig
	deploy() { # ERROR_RATE P95 HEALTH_FILE
		printf '{"id":"d-%s","type":"deploy.completed","subject":"api","data":{"env":"prod","error_rate":%s,"replicas_ready":3,"replicas_desired":3,"latency_p95_ms":%s,"health_url":"file://%s","artifact":{"path":"build/app.tar","sha256":"%s"}}}\n' "$2" "$1" "$2" "$PWD/$3" "$sum"
	}
	# A known-good deploy records the latency baseline.
	deploy 0.001 120 health.txt > good.json
	run -0 --separate-stderr grace-verify -c conf/contracts.yaml --update-baseline good.json
	[ "$(jq -c . conf/baselines/latency-p95.json)" = '{"api":120}' ]
	{
		deploy 0.002 130 health.txt
		deploy 0.002 200 nosuch.txt
		printf '{"id":"r-1","type":"release.published","data":{"artifact":"build/app.tar"}}\n'
		printf '{"id":"c-1","type":"config.applied","expect":{"files":["nginx.conf"],"restarted":["nginx"]},"actual":{"files":["nginx.conf"],"restarted":["nginx"]},"data":{}}\n'
		printf '{"id":"h-1","type":"healing.completed","data":{"anomaly_score":0.1,"plan":{"restart":"api"},"result":{"restart":"api"}}}\n'
		printf '{"id":"p-1","type":"code.proposed","data":{"diff":"+ subprocess.run(cmd, shell=True)\\n"}}\n'
		printf '{"id":"s-1","type":"deploy.completed","data":{"env":"staging","error_rate":0.01,"artifact":{"path":"build/app.tar","sha256":"%s"}}}\n' "$sum"
	} > in.ndjson
	run -1 --separate-stderr grace-verify -c conf/contracts.yaml -o text in.ndjson
	[ -z "$stderr" ]
	[ "$output" = "d-130 verified deploy-prod
d-200 failed deploy-prod healthy failed: exit 37: curl: (37) Couldn't open file $PWD/nosuch.txt; p95-latency failed: api: 200 vs baseline 120: drift +66.67%, above the limit of 20%
r-1 verified release-published
c-1 verified config-applied
h-1 verified healing-completed
p-1 failed code-change static-scan failed: 1 finding, 1 at or above medium: shell-true (high) at event:.data.diff:1:3
s-1 verified deploy-staging" ]
}
