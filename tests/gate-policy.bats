#!/usr/bin/env bats
# grace-gate: what it decides. Precedence of the layers, approvals (votes),
# threat rules, trust and risk tiers, autonomous actors, --mode audit and
# --explain, against tests/fixtures/gate/gov.yaml. The command line, the
# output formats and bad input have tests/gate.bats.

load helpers

NOW=2026-11-21T12:00:00Z

setup() {
	cd "$FIX/gate" || exit 1
}

# gate ARGS...: grace-gate on the fixture governance at a fixed time.
gate() {
	grace-gate -c gov.yaml --now "$NOW" "$@"
}

# verdict EVENT [ARGS...]: the event's grace.gate, compact.
verdict() {
	local ev=$1
	shift
	printf '%s\n' "$ev" | gate -q "$@" | jq -c .grace.gate
}

# ------------------------------------------------------------ precedence

@test "the constitution beats every allow, approval and trust score" {
	local ev='{"id":"del-1","type":"resource.delete","actor":"bot","resource":"prod/db","data":{"env":"prod"}}'
	printf '%s\n' \
	    '{"type":"governance.vote","actor":"alice","time":"2026-11-21T11:50:00Z","data":{"request":"del-1","vote":"approve"}}' \
	    '{"type":"governance.vote","actor":"bob","time":"2026-11-21T11:50:00Z","data":{"request":"del-1","vote":"approve"}}' \
	    '{"type":"governance.vote","actor":"carol","time":"2026-11-21T11:50:00Z","data":{"request":"del-1","vote":"approve"}}' \
	    > "$BATS_TEST_TMPDIR/votes"
	run -1 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/votes" <<<"$ev"
	[ "$(jq -c .grace.gate <<<"$output")" = '{"decision":"deny","rules":["no-agent-prod-delete"],"reasons":["agents never delete in prod"],"risk":"medium","trust":0.7,"mode":"enforce","owner":"platform@example.com"}' ]
	[ "$stderr" = "1 events, 0 allowed, 0 warned, 0 review, 1 denied, 0 errors" ]
	# the same event by a person is only held for the votes, and passes
	run -0 verdict "${ev/\"bot\"/\"carol\"}" --votes "$BATS_TEST_TMPDIR/votes"
	assert_output '{"decision":"allow","rules":["delete"],"reasons":["approved by alice, bob, carol"],"risk":"medium","trust":0.9,"mode":"enforce","obligations":["notify-oncall",{"ticket":"OPS"}]}'
}

@test "a quarantined actor is denied whatever its policies say" {
	run -0 verdict '{"id":"q","type":"deploy.requested","actor":"mallory"}'
	assert_output '{"decision":"deny","rules":["no-quarantined"],"reasons":["forbidden by the constitution"],"risk":"low","trust":0.5,"mode":"enforce"}'
}

@test "deny beats allow; every matching deny is named" {
	run -0 verdict '{"id":"d","type":"deploy.requested","actor":"alice","data":{"env":"prod","day":"friday","replicas":20}}'
	assert_output '{"decision":"deny","rules":["deploy-friday"],"reasons":["no prod deploys on friday"],"risk":"medium","trust":0.9,"mode":"enforce"}'
}

@test "warn beats allow, and rule metadata is copied into the verdict" {
	run -0 verdict '{"id":"d","type":"deploy.requested","actor":"alice","data":{"replicas":20}}'
	assert_output '{"decision":"warn","rules":["deploy-big"],"reasons":["a big rollout"],"risk":"low","trust":0.9,"mode":"enforce"}'
	run -0 verdict '{"id":"d","type":"deploy.requested","actor":"alice","data":{"replicas":2}}'
	assert_output '{"decision":"allow","rules":["deploy"],"reasons":["deploys are allowed"],"risk":"low","trust":0.9,"mode":"enforce","owner":"release@example.com","link":"https://wiki.example.com/deploys"}'
}

@test "the default effect applies when nothing matches: deny, or what is configured" {
	run -0 verdict '{"id":"x","type":"dns.change","actor":"alice"}'
	assert_output '{"decision":"deny","rules":["default"],"reasons":["no policy matched: the default is deny"],"risk":"low","trust":0.9,"mode":"enforce"}'
	sed 's/^default: deny$/default: allow/' gov.yaml > "$BATS_TEST_TMPDIR/gov.yaml"
	cp trust.yaml "$BATS_TEST_TMPDIR/"
	run -0 bash -c "printf '%s\n' '{\"id\":\"x\",\"type\":\"dns.change\"}' | grace-gate -q -c '$BATS_TEST_TMPDIR/gov.yaml' | jq -c .grace.gate.rules,.grace.gate.reasons"
	assert_output '["default"]
["no policy matched: the default is allow"]'
}

@test "a threat rule that denies beats the policies; the precedence is complete" {
	run -0 verdict '{"id":"t","type":"deploy.requested","actor":"alice","data":{"note":"AKIAABCDEFGHIJKLMNOP"}}'
	assert_output '{"decision":"deny","rules":["aws-key"],"reasons":["an AWS access key (threat, severity critical)"],"risk":"critical","trust":0.9,"mode":"enforce"}'
}

@test "--mode audit annotates the decision enforce mode would make, and never blocks" {
	local evs
	evs=$(printf '%s\n' \
	    '{"id":"a","type":"deploy.requested","actor":"alice"}' \
	    '{"id":"b","type":"dns.change","actor":"alice"}' \
	    '{"id":"c","type":"resource.delete","actor":"alice","data":{"env":"dev"}}' \
	    '{"id":"d","type":"deploy.requested","actor":"alice","data":{"replicas":99}}')
	run -1 --separate-stderr gate --fail-on-warn <<<"$evs"
	local enforce=$output
	[ "$stderr" = "4 events, 1 allowed, 1 warned, 1 review, 1 denied, 0 errors" ]
	run -0 --separate-stderr gate --fail-on-warn --mode audit <<<"$evs"
	[ "$stderr" = "4 events, 1 allowed, 1 warned, 1 review, 1 denied, 0 errors" ]
	[ "$(jq -c '[.id, .grace.gate.decision, .grace.gate.mode]' <<<"$output")" = '["a","allow","audit"]
["b","deny","audit"]
["c","review","audit"]
["d","warn","audit"]' ]
	# the same verdicts, byte for byte, but for the mode
	[ "${output//\"mode\":\"audit\"/\"mode\":\"enforce\"}" = "$enforce" ]
}

# ------------------------------------------------------------ approvals

del='{"id":"del-1","type":"resource.delete","actor":"dave","resource":"prod/db","data":{"env":"dev"}}'

# vote VOTER approve|reject TIME [REQUEST]
vote() {
	printf '{"type":"governance.vote","id":"v","actor":"%s","time":"%s","data":{"request":"%s","vote":"%s"}}\n' \
	    "$1" "$3" "${4:-del-1}" "$2"
}

@test "approvals: a quorum reached allows, a quorum missed holds for review (exit 1)" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote bob approve 2026-11-21T11:45:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v" <<<"$del"
	[ "$(jq -c .grace.gate <<<"$output")" = '{"decision":"allow","rules":["delete"],"reasons":["approved by alice, bob"],"risk":"low","trust":0.5,"mode":"enforce","obligations":["notify-oncall",{"ticket":"OPS"}]}' ]
	vote alice approve 2026-11-21T11:30:00Z > "$BATS_TEST_TMPDIR/v"
	run -1 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v" <<<"$del"
	[ "$(jq -c .grace.gate <<<"$output")" = '{"decision":"review","rules":["delete"],"reasons":["needs 2 approvals from alice, bob, carol"],"risk":"low","trust":0.5,"mode":"enforce","approvals":{"needed":2,"have":1,"missing":["bob","carol"]},"obligations":["notify-oncall",{"ticket":"OPS"}]}' ]
	[ "$stderr" = "1 events, 0 allowed, 0 warned, 1 review, 0 denied, 0 errors" ]
}

@test "approvals: a vote from someone not listed is ignored" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote dave approve 2026-11-21T11:31:00Z; vote mallory approve 2026-11-21T11:32:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c .approvals <<<"$output")" = '{"needed":2,"have":1,"missing":["bob","carol"]}' ]
}

@test "approvals: duplicate votes count once; a voter's latest vote is the one that counts" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote alice approve 2026-11-21T11:31:00Z; vote alice approve 2026-11-21T11:32:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .approvals]' <<<"$output")" = '["review",{"needed":2,"have":1,"missing":["bob","carol"]}]' ]
	# bob rejected, then changed his mind: the approval counts, in any file order
	{ vote bob approve 2026-11-21T11:40:00Z; vote alice approve 2026-11-21T11:30:00Z; vote bob reject 2026-11-21T11:20:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .reasons]' <<<"$output")" = '["allow",["approved by alice, bob"]]' ]
}

@test "approvals: votes older than the expiry are ignored" {
	# expires: 1h; now is 12:00
	{ vote alice approve 2026-11-21T10:59:59Z; vote bob approve 2026-11-21T11:00:00Z; vote carol approve 2026-11-21T11:59:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .reasons]' <<<"$output")" = '["allow",["approved by bob, carol"]]' ]
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v" --now 2026-11-21T12:30:00Z
	[ "$(jq -c '[.decision, .approvals]' <<<"$output")" = '["review",{"needed":2,"have":1,"missing":["alice","bob"]}]' ]
}

# Regression: a vote dated after now had a negative age, so it never
# expired; as the latest vote it could also outvote a real one.
@test "approvals: a vote dated in the future does not count, and --explain says why" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote bob approve 2026-11-21T12:05:00Z; vote carol approve 2026-11-21T12:00:01Z; } > "$BATS_TEST_TMPDIR/v"
	run -1 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v" --explain <<<"$del"
	[ "$(jq -c '[.grace.gate.decision, .grace.gate.approvals]' <<<"$output")" = '["review",{"needed":2,"have":1,"missing":["bob","carol"]}]' ]
	[ "$(grep '^  vote' <<<"$stderr")" = "  vote by bob on del-1 ignored: dated 5m after now (a vote from the future does not count)
  vote by carol on del-1 ignored: dated 1s after now (a vote from the future does not count)" ]
	# dated now exactly counts
	vote carol approve 2026-11-21T12:00:00Z >> "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .reasons]' <<<"$output")" = '["allow",["approved by alice, carol"]]' ]
	# a future reject does not outvote a real approval either
	{ vote alice approve 2026-11-21T11:30:00Z; vote bob approve 2026-11-21T11:31:00Z; vote bob reject 2027-01-01T00:00:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .reasons]' <<<"$output")" = '["allow",["approved by alice, bob"]]' ]
}

@test "approvals: a reject vote by an approver denies; on_reject: ignore does not" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote carol reject 2026-11-21T11:31:00Z; vote bob approve 2026-11-21T11:32:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -1 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/v" <<<"$del"
	[ "$(jq -c .grace.gate <<<"$output")" = '{"decision":"deny","rules":["delete"],"reasons":["rejected by carol"],"risk":"low","trust":0.5,"mode":"enforce","obligations":["notify-oncall",{"ticket":"OPS"}]}' ]
	# delete-staging (1 of [erin], on_reject: ignore) also matches staging/*
	local st=${del/prod\/db/staging\/db}
	{ vote erin reject 2026-11-21T11:30:00Z; vote bob approve 2026-11-21T11:31:00Z; vote carol approve 2026-11-21T11:32:00Z; } > "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$st" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .rules, .approvals]' <<<"$output")" = '["review",["delete-staging"],{"needed":1,"have":0,"missing":["erin"]}]' ]
	vote erin approve 2026-11-21T11:40:00Z >> "$BATS_TEST_TMPDIR/v"
	run -0 verdict "$st" --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .rules, .reasons]' <<<"$output")" = '["allow",["delete","delete-staging"],["approved by bob, carol","approved by erin"]]' ]
}

@test "approvals: votes are read from a grace-log log as well as from a file of events" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote bob approve 2026-11-21T11:31:00Z; } |
	    grace-log append -f "$BATS_TEST_TMPDIR/audit.log" > /dev/null
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/audit.log"
	[ "$(jq -c '[.decision, .reasons]' <<<"$output")" = '["allow",["approved by alice, bob"]]' ]
	# several --votes files add up
	vote alice approve 2026-11-21T11:30:00Z > "$BATS_TEST_TMPDIR/a"
	vote carol approve 2026-11-21T11:30:00Z > "$BATS_TEST_TMPDIR/c"
	run -0 verdict "$del" --votes "$BATS_TEST_TMPDIR/a" --votes "$BATS_TEST_TMPDIR/c"
	[ "$(jq -c '[.decision, .reasons]' <<<"$output")" = '["allow",["approved by alice, carol"]]' ]
}

@test "approvals: a votes log whose chain is broken counts no votes (exit 2)" {
	{ vote alice approve 2026-11-21T11:30:00Z; vote dave approve 2026-11-21T11:31:00Z; } |
	    grace-log append -f "$BATS_TEST_TMPDIR/audit.log" > /dev/null
	# A forger turns dave's vote into bob's without fixing the chain.
	sed -i '2s/"actor":"dave"/"actor":"bob"/' "$BATS_TEST_TMPDIR/audit.log"
	run -2 --separate-stderr gate --votes "$BATS_TEST_TMPDIR/audit.log" <<<"$del"
	assert_output ''
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/audit.log:2: record altered: its hash does not match its contents
grace-gate: $BATS_TEST_TMPDIR/audit.log: the votes log does not verify: none of its votes are counted" ]
}

@test "approvals: a votes file that is a pipe or a FIFO is refused (exit 2), not half read" {
	vote alice approve 2026-11-21T11:30:00Z > "$BATS_TEST_TMPDIR/v"
	run -2 --separate-stderr gate --votes <(cat "$BATS_TEST_TMPDIR/v") <<<"$del"
	assert_output ''
	[[ "$stderr" =~ ^grace-gate:\ /dev/fd/[0-9]+:\ not\ a\ votes\ file\ but\ a\ pipe:\ give\ the\ file\ itself ]]
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run -2 --separate-stderr timeout 10 "$GRACE_BIN/grace-gate" -c gov.yaml --now "$NOW" --votes "$BATS_TEST_TMPDIR/fifo" <<<"$del"
	assert_output ''
	[ "$stderr" = "grace-gate: $BATS_TEST_TMPDIR/fifo: not a votes file but a pipe: give the file itself (its votes are read twice, and a votes log is chain-verified first)" ]
}

@test "approvals: an event without an id cannot collect votes" {
	vote alice approve 2026-11-21T11:30:00Z > "$BATS_TEST_TMPDIR/v"
	run -0 verdict '{"type":"resource.delete","actor":"dave","data":{"env":"dev"}}' --votes "$BATS_TEST_TMPDIR/v"
	[ "$(jq -c '[.decision, .approvals.have]' <<<"$output")" = '["review",0]' ]
}

# ------------------------------------------------------------ threats

@test "threats: AWS keys and PEM private keys are flagged, even behind JSON escapes" {
	run -0 verdict '{"id":"t","type":"scale.x","data":{"k":"key AKIAIOSFODNN7EXAMPLE here"}}'
	[ "$(jq -c '[.decision, .rules, .risk]' <<<"$output")" = '["deny",["aws-key"],"critical"]' ]
	run -0 verdict '{"id":"t","type":"service.scale","data":{"blob":"-----BEGIN RSA PRIVATE KEY-----\nMIIEow"}}'
	[ "$(jq -c '[.decision, .rules, .reasons]' <<<"$output")" = '["deny",["pem-key"],["(threat, severity critical)"]]' ]
	run -0 verdict '{"id":"t","type":"service.scale","data":{"blob":"-----BEGIN PRIVATE KEY-----"}}'
	[ "$(jq -c '.rules' <<<"$output")" = '["pem-key"]' ]
	# \u0041 is A: the key is there once the JSON is read
	run -0 verdict '{"id":"t","type":"service.scale","data":{"k":"\u0041KIAIOSFODNN7EXAMPLE"}}'
	[ "$(jq -c '[.decision, .rules]' <<<"$output")" = '["deny",["aws-key"]]' ]
}

@test "threats: injection markers raise the risk, and the tier then decides" {
	run -1 --separate-stderr gate <<<'{"id":"i","type":"service.scale","actor":"alice","data":{"cmd":"scale 3; rm -rf /"}}'
	[ "$(jq -c .grace.gate <<<"$output")" = '{"decision":"review","rules":["tier:high","shell-injection"],"reasons":["risk high needs 1 approval from alice, bob","raised the risk to high"],"risk":"high","trust":0.9,"mode":"enforce","approvals":{"needed":1,"have":0,"missing":["alice","bob"]}}' ]
	run -0 verdict '{"id":"i","type":"service.scale","actor":"alice","data":{"q":"1 UNION  SELECT password FROM users"}}'
	[ "$(jq -c '[.decision, .rules, .risk]' <<<"$output")" = '["review",["tier:high","sql-injection"],"high"]' ]
}

@test "threats: a clean payload is not flagged; in: limits a rule to a field" {
	run -0 verdict '{"id":"c","type":"service.scale","actor":"alice","data":{"cmd":"scale to 3 replicas","note":"form; union of selections"}}'
	assert_output '{"decision":"allow","rules":["scale"],"reasons":["allowed by policy"],"risk":"low","trust":0.9,"mode":"enforce"}'
	# shell-injection looks in data only
	run -0 verdict '{"id":"c","type":"service.scale","actor":"alice","subject":"x; rm -rf /","data":{}}'
	[ "$(jq -c '[.decision, .risk]' <<<"$output")" = '["allow","low"]' ]
}

# ------------------------------------------------------------ trust, tiers

@test "trust: min_trust is met or the policy denies; missing trust uses the default" {
	run -0 verdict '{"id":"s","type":"secret.read","actor":"alice"}'
	[ "$(jq -c '[.decision, .trust]' <<<"$output")" = '["allow",0.9]' ]
	run -0 verdict '{"id":"s","type":"secret.read","actor":"eve"}'
	[ "$(jq -c '[.decision, .rules, .reasons, .trust]' <<<"$output")" = "[\"deny\",[\"secret-read\"],[\"trust 0.2 of 'eve' is below 0.8 required by policy 'secret-read'\"],0.2]" ]
	run -0 verdict '{"id":"s","type":"secret.read","actor":"stranger"}'
	[ "$(jq -c '[.decision, .trust]' <<<"$output")" = '["deny",0.5]' ]
	# no actor: the source's trust
	run -0 verdict '{"id":"s","type":"secret.read","source":"ci/pipeline"}'
	[ "$(jq -c '[.decision, .trust]' <<<"$output")" = '["allow",0.85]' ]
	# --trust replaces the trust file
	run -0 verdict '{"id":"s","type":"secret.read","actor":"alice"}' --trust trust-low.yaml
	[ "$(jq -c '[.decision, .trust]' <<<"$output")" = '["deny",0.5]' ]
}

@test "trust: the overlay grace-heal writes applies on top of the trust file, recovering over time" {
	cp gov.yaml trust.yaml "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	echo 'overlay: trust-overlay.json' >> trust.yaml
	two_h_ago=$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%SZ)
	cat > trust-overlay.json <<EOF2
{"version":1,"scores":{
 "alice":{"score":0.2,"at":"$two_h_ago","recover_per_hour":0},
 "eve":{"score":0.3,"at":"$two_h_ago","recover_per_hour":0.1},
 "newcomer":{"score":0.95,"at":"$two_h_ago","recover_per_hour":0.5}}}
EOF2
	# alice: 0.9 in the file, lowered to 0.2, no recovery: denied now
	run -0 verdict '{"id":"s","type":"secret.read","actor":"alice"}'
	[ "$(jq -c '[.decision, .trust]' <<<"$output")" = '["deny",0.2]' ]
	# eve: 0.3 two hours ago recovering 0.1/h toward 0.2: back to 0.2
	# (it never overshoots the file's score)
	run -0 verdict '{"id":"s","type":"secret.read","actor":"eve"}'
	[ "$(jq -c .trust <<<"$output")" = '0.2' ]
	# newcomer: raised to 0.95 above the default 0.5, falls 0.5/h: 0.5
	run -0 verdict '{"id":"s","type":"secret.read","actor":"newcomer"}'
	[ "$(jq -c .trust <<<"$output")" = '0.5' ]
	# mid-way: 0.2 recovering 0.1/h toward alice's 0.9, two hours on: 0.4
	sed -i 's/"recover_per_hour":0}/"recover_per_hour":0.1}/' trust-overlay.json
	run -0 verdict '{"id":"s","type":"secret.read","actor":"alice"}'
	jq -e '.trust > 0.399 and .trust < 0.401' <<<"$output"
	# grace-route reads the same file the same way
	printf '%s\n' 'default: out' 'quarantine: q' 'dead_letter: dead.ndjson' \
	    'trust: trust.yaml' 'targets: {out: {kind: file, path: out.ndjson}, q: {kind: file, path: q.ndjson}}' \
	    'routes: [{type: secret.read, require: {trust: 0.39}, targets: out}, {type: secret.write, require: {trust: 0.41}, targets: out}]' > routes.yaml
	printf '%s\n' '{"type":"secret.read","actor":"alice"}' '{"type":"secret.write","actor":"alice"}' > two.ndjson
	run -1 --separate-stderr grace-route -c routes.yaml < two.ndjson
	[ "$(jq -r .grace.route.targets[0] <<<"$output" | tr '\n' ' ')" = 'out q ' ]
	# a named overlay must exist and be well formed: exit 2, nothing judged
	rm trust-overlay.json
	run -2 --separate-stderr grace-gate -c gov.yaml --check
	[ "$stderr" = "grace-gate: trust-overlay.json: unable to open: No such file or directory" ]
	echo '{"version":1,"scores":{"x":{"score":2,"at":"2026-01-01T00:00:00Z","recover_per_hour":0}}}' > trust-overlay.json
	run -2 --separate-stderr grace-gate -c gov.yaml < /dev/null
	[ "$stderr" = "grace-gate: trust-overlay.json: the score of 'x' is not a number from 0 to 1" ]
	echo '{"version":1,"scores":{},"extra":1}' > trust-overlay.json
	run -2 --separate-stderr grace-gate -c gov.yaml --check
	[ "$stderr" = "grace-gate: trust-overlay.json: unknown member (expected version, scores)" ]
	echo 'nope' > trust-overlay.json
	run -2 --separate-stderr grace-gate -c gov.yaml --check
	[[ "$stderr" == "grace-gate: trust-overlay.json: not JSON: "* ]]
}

@test "risk tiers: autonomous actors take the stricter path" {
	# medium (prod): people allowed, agents warned
	run -0 verdict '{"id":"r","type":"service.scale","actor":"alice","data":{"env":"prod"}}'
	[ "$(jq -c '[.decision, .rules, .risk]' <<<"$output")" = '["allow",["scale"],"medium"]' ]
	run -0 verdict '{"id":"r","type":"service.scale","actor":"bot","data":{"env":"prod"}}'
	assert_output '{"decision":"warn","rules":["tier:medium","prod-medium"],"reasons":["risk medium: allowed with a warning","raised the risk to medium"],"risk":"medium","trust":0.7,"mode":"enforce"}'
	# an event may call itself autonomous; an actor may match a glob
	run -0 verdict '{"id":"r","type":"service.scale","actor":"alice","autonomous":true,"data":{"env":"prod"}}'
	[ "$(jq -c .decision <<<"$output")" = '"warn"' ]
	run -0 verdict '{"id":"r","type":"service.scale","actor":"agent:tuner","data":{"env":"prod"}}'
	[ "$(jq -c .decision <<<"$output")" = '"warn"' ]
	# critical (declared by the event): people need 2 approvals, agents are denied
	run -0 verdict '{"id":"r","type":"service.scale","actor":"alice","data":{"risk":"critical"}}'
	[ "$(jq -c '[.decision, .rules, .approvals]' <<<"$output")" = '["review",["tier:critical"],{"needed":2,"have":0,"missing":["alice","bob","carol"]}]' ]
	run -0 verdict '{"id":"r","type":"service.scale","actor":"bot","data":{"risk":"critical"}}'
	[ "$(jq -c '[.decision, .rules, .reasons]' <<<"$output")" = '["deny",["tier:critical"],["autonomous actions at risk critical are never allowed"]]' ]
	# an event cannot lower its risk below what the rules say
	run -0 verdict '{"id":"r","type":"service.scale","actor":"bot","data":{"env":"prod","risk":"low"}}'
	[ "$(jq -c .risk <<<"$output")" = '"medium"' ]
}

@test "a jq condition runs only after the native match, and decides" {
	run -0 verdict '{"id":"f","type":"flag.set","actor":"alice","data":{"value":9}}'
	[ "$(jq -c '[.decision, .rules]' <<<"$output")" = '["deny",["flag-high"]]' ]
	run -0 verdict '{"id":"f","type":"flag.set","actor":"alice","data":{"value":1}}'
	[ "$(jq -c '[.decision, .rules]' <<<"$output")" = '["allow",["flag"]]' ]
}

# ------------------------------------------------------------ explain

@test "--explain traces every rule consulted, and why, on stderr" {
	run -1 --separate-stderr gate --explain <<<'{"id":"e-1","type":"deploy.requested","actor":"alice","data":{"env":"prod","day":"friday"}}'
	[ "$(jq -c .grace.gate.decision <<<"$output")" = '"deny"' ]
	[ "$stderr" = "grace-gate: <stdin>:1: explain e-1 (deploy.requested)
  autonomous autonomous[1]: no: autonomous is absent, expected true
  autonomous autonomous[2]: no: actor is \"alice\", expected one of [\"bot\", \"agent:*\"]
  constitution no-quarantined: no: \$quarantined is false, expected true
  threat aws-key: no: pattern not found
  threat pem-key: no: pattern not found
  threat shell-injection: no: pattern not found in the field
  threat sql-injection: no: pattern not found
  policy deploy: match (allow)
  policy deploy-friday: match (deny)
  policy deploy-big: no: data.replicas is absent, expected > 10
  risk prod-medium: match (level medium)
  (7 of 18 rules not consulted: the index rules them out)
  trust 0.9 (alice); human
  risk medium; tier medium: allow
  => deny by deploy-friday
1 events, 0 allowed, 0 warned, 0 review, 1 denied, 0 errors" ]
}
