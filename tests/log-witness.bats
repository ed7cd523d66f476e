#!/usr/bin/env bats
# grace-log witness, and verify --witness/--witnesses: a witness cosigns a
# log's checkpoint (c2sp.org/tlog-cosignature, checked here with openssl)
# only when it extends the last one it cosigned for that origin, by a
# consistency proof; it refuses, as an event, a fork, a rewrite, a
# checkpoint that goes backwards; and a checkpoint counts only when K of
# the named witnesses cosigned it, each cosignature checked.

load log-helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	grace-log keygen -o host host.example/audit > /dev/null
	grace-log keygen --witness -o w1 w1.example > /dev/null
	grace-log keygen --witness -o w2 w2.example > /dev/null
	events 5 e | grace-log append -f a.log > /dev/null
	grace-log checkpoint -f a.log -k host.key -o c5.cp
	events 9 e 6 | grace-log append -f a.log > /dev/null
	grace-log checkpoint -f a.log -k host.key -o c9.cp
	grace-log prove -f a.log -p host.pub --consistency c5.cp c9.cp -o p5-9
}

# witness W CHECKPOINT [ARGS...]: witness W cosigns into CHECKPOINT.W
witness() {
	local w=$1 cp=$2
	shift 2
	grace-log witness --state "st-$w" --key "$w.key" -p host.pub -o "$cp.$w" "$@" "$cp"
}

@test "keygen --witness: a key of algorithm 4, its key ID over 0x04 (c2sp.org/tlog-cosignature)" {
	local pub=$(cat w1.pub) kid kb64
	[[ "$pub" =~ ^w1\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$ ]]
	kid=${pub#*+}; kb64=${kid#*+}; kid=${kid%%+*}
	[ "$(printf '%s' "$kb64" | base64 -d | head -c 1 | od -An -tx1 | tr -d ' ')" = 04 ]
	[ "$(printf '%s' "$kb64" | base64 -d | wc -c)" -eq 33 ]
	# key ID = SHA-256(name || "\n" || 0x04 || key)[:4]
	[ "$({ printf 'w1.example\n'; printf '%s' "$kb64" | base64 -d; } | sha256sum | cut -c1-8)" = "$kid" ]
	[[ "$(cat w1.key)" == PRIVATE+KEY+w1.example+"$kid"+* ]]
	# a witness key neither signs checkpoints nor verifies them as the log's
	run -2 --separate-stderr grace-log checkpoint -f a.log -k w1.key
	[ "$stderr" = "grace-log: w1.example is a witness key: it cosigns checkpoints, it does not sign notes" ]
	run -1 --separate-stderr grace-log verify -q -f a.log -c c5.cp -p w1.pub
	[[ "$stderr" == "grace-log: c5.cp: bad checkpoint: no signature by a known key (signed by host.example/audit+"*")" ]]
}

@test "witness: the first checkpoint is cosigned; the cosignature verifies with openssl over cosignature/v1, time, body" {
	run -0 --separate-stderr witness w1 c5.cp
	[ -z "$stderr" ]
	[ "$(jq -r .type <<<"$output")" = grace.witness.cosigned ]
	[ "$(jq -c '.data | {witness, origin, size, checkpoint, last}' <<<"$output")" = '{"witness":"w1.example","origin":"host.example/audit","size":5,"checkpoint":"c5.cp","last":null}' ]
	[ "$(jq -r .data.root <<<"$output")" = "$(sed -n 3p c5.cp)" ]
	[[ "$(jq -r .id <<<"$output")" =~ ^w-[0-9a-f]{16}$ ]]
	# the checkpoint as it was, one signature line more
	[ "$(head -n 5 c5.cp.w1)" = "$(cat c5.cp)" ]
	[ "$(wc -l < c5.cp.w1)" -eq 6 ]
	local line payload pub kb64 kid ts
	line=$(sed -n 6p c5.cp.w1)
	[[ "$line" =~ ^—\ w1\.example\ [A-Za-z0-9+/]{102}==$ ]]
	payload=${line##* }
	printf '%s' "$payload" | base64 -d > sig.all
	[ "$(wc -c < sig.all)" -eq 76 ]
	pub=$(cat w1.pub); kid=${pub#*+}; kb64=${kid#*+}; kid=${kid%%+*}
	[ "$(head -c 4 sig.all | od -An -tx1 | tr -d ' \n')" = "$kid" ]
	ts=$((16#$(head -c 12 sig.all | tail -c 8 | od -An -tx1 | tr -d ' \n')))
	[ "$ts" -ge $(($(date +%s) - 60)) ] && [ "$ts" -le $(($(date +%s) + 1)) ]
	tail -c 64 sig.all > sig.bin
	{ printf 'cosignature/v1\ntime %s\n' "$ts"; head -n 3 c5.cp; } > signed.txt
	{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$kb64" | base64 -d | tail -c 32; } > pub.der
	run -0 openssl pkeyutl -verify -pubin -inkey pub.der -keyform DER -rawin -in signed.txt -sigfile sig.bin
	assert_output 'Signature Verified Successfully'
	# and the cosigned checkpoint still verifies as the log's
	grace-log verify -q -f a.log -c c5.cp.w1 -p host.pub
	run -0 grace-log verify -f a.log -c c5.cp.w1 -p host.pub --witness w1.pub
	[ "$(jq -c '.data.checkpoints' <<<"$output")" = '[{"file":"c5.cp.w1","size":5,"ok":true,"cosigned":1}]' ]
}

@test "witness: a larger checkpoint needs a consistency proof from the last one cosigned; backwards and forks are refused, as events" {
	witness w1 c5.cp > /dev/null
	# no proof
	run -1 --separate-stderr witness w1 c9.cp
	[ "$stderr" = "grace-log: c9.cp: refused: no consistency proof from the 5 records cosigned last (use --proof)" ]
	[ "$(jq -r .type <<<"$output")" = grace.witness.refused ]
	[ "$(jq -c '.data | {size, last: .last.size, reason}' <<<"$output")" = '{"size":9,"last":5,"reason":"no consistency proof from the 5 records cosigned last (use --proof)"}' ]
	[ ! -e c9.cp.w1 ]
	# a proof between other sizes
	run -1 --separate-stderr witness w1 c9.cp --proof c5.cp
	[[ "$stderr" == "grace-log: c9.cp: refused: c5.cp: not a consistency proof from 5 to 9 records: malformed proof: line 1: "* ]]
	# the proof
	run -0 --separate-stderr witness w1 c9.cp --proof p5-9
	[ "$(jq -c '.data | {size, last: .last.size}' <<<"$output")" = '{"size":9,"last":5}' ]
	grace-log verify -q -f a.log -c c9.cp.w1 -p host.pub --witness w1.pub
	# backwards
	run -1 --separate-stderr witness w1 c5.cp
	[ "$stderr" = "grace-log: c5.cp: refused: goes backwards: 5 records, after 9 were cosigned" ]
	[ "$(jq -r .data.reason <<<"$output")" = "goes backwards: 5 records, after 9 were cosigned" ]
	# the same tree again: cosigned again
	run -0 witness w1 c9.cp
	# another tree of the same size: a fork
	head -n 5 a.log > b.log
	events 9 f 6 | grace-log append -f b.log > /dev/null
	grace-log checkpoint -f b.log -k host.key -o b9.cp
	run -1 --separate-stderr witness w1 b9.cp
	[ "$stderr" = "grace-log: b9.cp: refused: a fork: another tree of 9 records than the one cosigned" ]
	# a checkpoint another key signed: refused before anything
	grace-log keygen -o mallory host.example/audit > /dev/null
	grace-log checkpoint -f a.log -k mallory.key -o m.cp
	run -1 --separate-stderr witness w1 m.cp
	[[ "$stderr" == "grace-log: m.cp: refused: no signature by a known key (signed by host.example/audit+"*")" ]]
	# the event names the tree it claims, and carries the note as evidence
	[ "$(jq -c '.data | {origin, size, checkpoint, last}' <<<"$output")" = '{"origin":"host.example/audit","size":9,"checkpoint":"m.cp","last":null}' ]
	[ "$(jq -r .type <<<"$output")" = grace.witness.refused ]
	[ "$(jq -j .data.note <<<"$output")" = "$(cat m.cp)" ]
	[ "$(cat st-w1/*.cp | head -2 | tail -1)" = 9 ]
}

@test "a host rewrites its log after a checkpoint was witnessed: the witness refuses the next one, and verify --witness fails" {
	witness w1 c5.cp > /dev/null
	# history rewritten from record 3 on, then grown: its own proof from
	# its own tree of 5 does not reach the tree the witness cosigned
	head -n 2 a.log > b.log
	events 12 f 3 | grace-log append -f b.log > /dev/null
	grace-log checkpoint -f b.log -k host.key -o b12.cp
	cp b.log b5.log
	sed -i '6,$d' b5.log
	grace-log checkpoint -f b5.log -k host.key -o b5.cp
	grace-log prove -f b.log -p host.pub --consistency b5.cp b12.cp -o q
	run -1 --separate-stderr witness w1 b12.cp --proof q
	[ "$stderr" = "grace-log: b12.cp: refused: not consistent with the 5 records cosigned last: a fork, or history rewritten" ]
	[ "$(jq -r .type <<<"$output")" = grace.witness.refused ]
	# nothing cosigned: a verifier that asks for a witness refuses b12
	run -1 --separate-stderr grace-log verify -q -f b.log -c b12.cp -p host.pub --witness w1.pub --witnesses 1
	[ "$stderr" = "grace-log: b12.cp: bad checkpoint: cosigned by 0 of the witnesses named, 1 needed" ]
	# and the witnessed checkpoint catches the rewritten log
	run -1 --separate-stderr grace-log verify -q -f b.log -c c5.cp.w1 -p host.pub --witness w1.pub
	[ "$stderr" = "grace-log: c5.cp.w1: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (12 records verified)" ]
}

@test "verify --witnesses K: K distinct witnesses must have cosigned; a bad cosignature by a named witness fails" {
	witness w1 c5.cp > /dev/null
	grace-log witness --state st-w2 --key w2.key -p host.pub -o c5.both c5.cp.w1 > /dev/null
	[ "$(wc -l < c5.both)" -eq 7 ]
	run -0 grace-log verify -f a.log -c c5.both -p host.pub --witness w1.pub --witness w2.pub --witnesses 2
	[ "$(jq -c '.data.checkpoints[0].cosigned' <<<"$output")" = 2 ]
	run -1 --separate-stderr grace-log verify -q -f a.log -c c5.cp.w1 -p host.pub --witness w1.pub --witness w2.pub --witnesses 2
	[ "$stderr" = "grace-log: c5.cp.w1: bad checkpoint: cosigned by 1 of the witnesses named, 2 needed" ]
	# the same witness twice is one witness
	sed -n 6p c5.cp.w1 >> c5.twice
	cat c5.cp.w1 c5.twice > c5.dup
	run -1 --separate-stderr grace-log verify -q -f a.log -c c5.dup -p host.pub --witness w1.pub --witness w2.pub --witnesses 2
	[ "$stderr" = "grace-log: c5.dup: bad checkpoint: cosigned by 1 of the witnesses named, 2 needed" ]
	# a cosignature with one bit changed is checked, not ignored
	awk 'NR == 6 { n = split($0, f, " "); s = f[n]; c = substr(s, 40, 1); sub(/.$/, "", s); $0 = f[1] " " f[2] " " substr(f[n], 1, 39) (c == "A" ? "B" : "A") substr(f[n], 41) } { print }' c5.cp.w1 > c5.bad
	run -1 --separate-stderr grace-log verify -q -f a.log -c c5.bad -p host.pub --witness w1.pub
	[[ "$stderr" == "grace-log: c5.bad: bad checkpoint: cosignature by witness w1.example does not verify (key ID "*")" ]]
	# the body changed under the cosignatures: the log's signature fails first
	sed '2s/.*/6/' c5.both > c5.body
	run -1 --separate-stderr grace-log verify -q -f a.log -c c5.body -p host.pub --witness w1.pub
	[[ "$stderr" == "grace-log: c5.body: bad checkpoint: signature by host.example/audit does not verify"* ]]
	# report says so too
	run -1 --separate-stderr grace-log report -f a.log -c c5.cp.w1 -p host.pub --witness w1.pub --witness w2.pub --witnesses 2 -o r.html
	grep -q 'cosigned by 1 of the witnesses named, 2 needed' r.html
}

@test "witness and --witness: usage errors (exit 2), nothing written" {
	run -2 --separate-stderr grace-log witness --key w1.key -p host.pub -o x c5.cp
	[[ "$stderr" == "grace-log: witness: no state: use --state DIR"* ]]
	run -2 --separate-stderr grace-log witness --state s -p host.pub -o x c5.cp
	[[ "$stderr" == "grace-log: witness: no witness key: use --key KEYFILE"* ]]
	run -2 --separate-stderr grace-log witness --state s --key w1.key -o x c5.cp
	[[ "$stderr" == "grace-log: witness: no log key: use --pubkey KEY"* ]]
	run -2 --separate-stderr grace-log witness --state s --key w1.key -p host.pub c5.cp
	[[ "$stderr" == "grace-log: witness: no output: use -o FILE for the cosigned checkpoint"* ]]
	run -2 --separate-stderr grace-log witness --state s --key host.key -p host.pub -o x c5.cp
	[ "$stderr" = "grace-log: host.key: not a witness key: make one with grace-log keygen --witness" ]
	[ ! -e x ] && [ ! -e s ]
	run -2 --separate-stderr grace-log verify -q -f a.log -c c5.cp -p host.pub --witness host.pub
	[ "$stderr" = "grace-log: host.pub: not a witness key (grace-log keygen --witness makes one)" ]
	run -2 --separate-stderr grace-log verify -q -f a.log -c c5.cp -p host.pub --witness w1.pub --witnesses 2
	[ "$stderr" = "grace-log: --witnesses 2 needs as many --witness keys (1 given)" ]
	run -2 --separate-stderr grace-log verify -q -f a.log --witness w1.pub
	[ "$stderr" = "grace-log: --witness and --witnesses are about checkpoints: give --checkpoint FILE" ]
	run -2 --separate-stderr grace-log verify -q -f a.log -c c5.cp -p host.pub --witness w1.pub --witnesses x
	[[ "$stderr" == "grace-log: verify: --witnesses takes a count (1 or more)"* ]]
}

@test "grace-verify --chain --witness --witnesses: the cron job's check asks for the witnesses too" {
	witness w1 c5.cp > /dev/null
	run -0 grace-verify --chain a.log --checkpoint c5.cp.w1 --pubkey host.pub --witness w1.pub
	[ "$(jq -c '.data.checkpoints' <<<"$output")" = '[{"file":"c5.cp.w1","size":5,"ok":true,"cosigned":1}]' ]
	run -1 --separate-stderr grace-verify -q --chain a.log --checkpoint c5.cp --pubkey host.pub --witness w1.pub
	[ "$stderr" = "grace-verify: c5.cp: bad checkpoint: cosigned by 0 of the witnesses named, 1 needed" ]
	run -1 --separate-stderr grace-verify -q --chain a.log --checkpoint c5.cp.w1 --pubkey host.pub --witness w1.pub --witness w2.pub --witnesses 2
	[ "$stderr" = "grace-verify: c5.cp.w1: bad checkpoint: cosigned by 1 of the witnesses named, 2 needed" ]
	run -2 --separate-stderr grace-verify -q --chain a.log --checkpoint c5.cp.w1 --pubkey host.pub --witness w1.pub --witnesses 0
	[[ "$stderr" == "grace-verify: --witnesses takes a count (1 or more), not '0'"* ]]
	run -2 --separate-stderr grace-verify -q --witness w1.pub < /dev/null
	[[ "$stderr" == "grace-verify: --witness needs --chain LOG"* ]]
}

# hourly: the checkpoint of host.log published as an event, with the
# proof from the one published before (last.cp)
publish() {
	grace-log checkpoint -f host.log -k host.key --event --since last.cp -o last.cp "$@"
}

@test "checkpoint --event --since: a grace.checkpoint event carrying the note, and the proof from the one published before" {
	events 5 h | grace-log append -f host.log > /dev/null
	# the first: nothing published before, no proof
	run -0 --separate-stderr publish
	[ -z "$stderr" ]
	echo "$output" > c1.ev
	[ "$(jq -c '{type, source, subject, d: (.data | {origin, size, since, proof})}' <<<"$output")" = '{"type":"grace.checkpoint","source":"grace-log checkpoint","subject":"host.example/audit","d":{"origin":"host.example/audit","size":5,"since":null,"proof":null}}' ]
	[ "$(jq -j .data.checkpoint <<<"$output")" = "$(cat last.cp)" ]
	[ "$(jq -r .data.root <<<"$output")" = "$(sed -n 3p last.cp)" ]
	# the id is the note's hash: the same note published again is one event
	[ "$(jq -r .id <<<"$output")" = "cp-$(jq -j .data.checkpoint <<<"$output" | sha256sum | cut -c1-32)" ]
	cp last.cp c5.pub.cp
	events 12 h 6 | grace-log append -f host.log > /dev/null
	run -0 --separate-stderr publish
	echo "$output" > c2.ev
	[ "$(jq -c '.data | {size, since}' <<<"$output")" = '{"size":12,"since":5}' ]
	# the proof is the one prove writes, and verifies without the log
	jq -j .data.proof <<<"$output" > p.txt
	grace-log prove -f host.log -p host.pub --consistency c5.pub.cp last.cp -o p.want
	cmp p.txt p.want
	run -0 grace-log verify-proof -p host.pub p.txt c5.pub.cp last.cp
	# the same tree again: no proof needed, none made
	run -0 --separate-stderr publish
	[ "$(jq -c '.data | {size, since, proof}' <<<"$output")" = '{"size":12,"since":12,"proof":null}' ]
	# without -o, the event alone
	run -0 --separate-stderr grace-log checkpoint -f host.log -k host.key --event
	[ "$(jq -r .type <<<"$output")" = grace.checkpoint ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
}

@test "checkpoint --since: a log that no longer holds the tree published before is refused, nothing written" {
	events 5 h | grace-log append -f host.log > /dev/null
	publish > /dev/null
	cp last.cp keep.cp
	# the host rewrites its log: the same size, other events
	events 5 x | grace-log append -f other.log > /dev/null
	events 7 x 6 | grace-log append -f other.log > /dev/null
	run -1 --separate-stderr grace-log checkpoint -f other.log -k host.key --event --since last.cp -o last.cp
	[ -z "$output" ]
	[[ "$stderr" == *"refusing to sign a log that does not verify against the checkpoint published before (--since)" ]]
	cmp last.cp keep.cp
	# another log's checkpoint, another key's, usage
	grace-log keygen -o other other.example > /dev/null
	grace-log checkpoint -f other.log -k other.key -o o.cp
	run -1 --separate-stderr grace-log checkpoint -f host.log -k host.key --event --since o.cp
	[[ "$stderr" == "grace-log: o.cp: no signature by a known key"* ]]
	grace-log checkpoint -f host.log -k host.key --origin elsewhere -o e.cp
	run -2 --separate-stderr grace-log checkpoint -f host.log -k host.key --event --since e.cp
	[[ "$stderr" == "grace-log: checkpoint: --since e.cp is a checkpoint of 'elsewhere', not of 'host.example/audit'"* ]]
	run -2 --separate-stderr grace-log checkpoint -f host.log -k host.key --since last.cp
	[[ "$stderr" == "grace-log: checkpoint: --since goes with --event (the proof travels in the event)"* ]]
	cmp last.cp keep.cp
}

@test "witness, events: each grace.checkpoint event cosigned in turn; data.note is the cosigned checkpoint, counted by verify --witness" {
	events 5 h | grace-log append -f host.log > /dev/null
	publish > evs
	events 9 h 6 | grace-log append -f host.log > /dev/null
	publish >> evs
	events 14 h 10 | grace-log append -f host.log > /dev/null
	publish >> evs
	run -0 --separate-stderr grace-log witness --events --state st --key w1.key -p host.pub < evs
	[ -z "$stderr" ]
	[ "$(jq -r .type <<<"$output" | sort -u)" = grace.witness.cosigned ]
	[ "$(jq -c '[.data.size, .data.last.size, .data.checkpoint]' <<<"$output" | paste -sd' ')" = '[5,null,"<stdin>:1"] [9,5,"<stdin>:2"] [14,9,"<stdin>:3"]' ]
	jq -j 'select(.data.size == 14) | .data.note' <<<"$output" > c14.w1
	run -0 grace-log verify -f host.log -c c14.w1 -p host.pub --witness w1.pub --witnesses 1
	[ "$(jq -c '.data.checkpoints' <<<"$output")" = '[{"file":"c14.w1","size":14,"ok":true,"cosigned":1}]' ]
	# the state holds the last one: the same events again are the same trees
	# going backwards, refused; the last one is the same tree, cosigned
	run -1 --separate-stderr grace-log witness --events --state st --key w1.key -p host.pub evs
	[ "$(jq -r .type <<<"$output" | paste -sd' ')" = "grace.witness.refused grace.witness.refused grace.witness.cosigned" ]
	[ "$(jq -r 'select(.type == "grace.witness.refused") | .data.reason' <<<"$output" | paste -sd'|')" = "goes backwards: 5 records, after 14 were cosigned|goes backwards: 9 records, after 14 were cosigned" ]
	[ "$stderr" = "grace-log: evs:1: refused: goes backwards: 5 records, after 14 were cosigned
grace-log: evs:2: refused: goes backwards: 9 records, after 14 were cosigned" ]
}

@test "witness, events: a rewrite, a missing proof, another key: refused as events; bad lines rejected with records, exit 3" {
	events 5 h | grace-log append -f host.log > /dev/null
	publish | grace-log witness --events --state st --key w1.key -p host.pub > /dev/null
	# the host rewrites history and publishes without --since
	head -n 3 host.log > re.log
	events 8 r 4 | grace-log append -f re.log > /dev/null
	grace-log checkpoint -f re.log -k host.key --event > re.ev
	# ... or with a proof from another tree
	events 8 h 6 | grace-log append -f host.log > /dev/null
	grace-log checkpoint -f host.log -k host.key --event --since last.cp > good.ev
	jq -c --slurpfile r re.ev '.data.checkpoint = $r[0].data.checkpoint' good.ev > forged.ev
	# signed by another key
	grace-log keygen -o mallory host.example/audit > /dev/null
	grace-log checkpoint -f host.log -k mallory.key --event > m.ev
	cat re.ev forged.ev m.ev > in.ev
	printf 'not json\n{"type":"deploy.requested","id":"x"}\n{"type":"grace.checkpoint","data":{}}\n' >> in.ev
	run -3 --separate-stderr grace-log witness --events --state st --key w1.key -p host.pub in.ev
	[ "$(jq -r .type <<<"$output" | paste -sd' ')" = "grace.witness.refused grace.witness.refused grace.witness.refused grace.input.rejected grace.input.rejected grace.input.rejected" ]
	[ "$(jq -r 'select(.type == "grace.witness.refused") | .data.reason' <<<"$output" | paste -sd'|')" = "no consistency proof from the 5 records cosigned last (the event has no data.proof: publish with checkpoint --event --since)|not consistent with the 5 records cosigned last: a fork, or history rewritten|no signature by a known key (signed by host.example/audit+$(cut -d+ -f2 mallory.pub))" ]
	[ "$(jq -c 'select(.type == "grace.input.rejected") | .data | [.line, .error]' <<<"$output" | paste -sd' ')" = '[4,"not JSON: unexpected '"'n'"'"] [5,"not a grace.checkpoint event"] [6,"grace.checkpoint event without data.checkpoint"]' ]
	[[ "$stderr" == *"grace-log: in.ev:5: not a grace.checkpoint event"* ]]
	# the refused notes are kept as evidence: the forged one, signed by the host
	[ "$(jq -j 'select(.data.checkpoint == "in.ev:2") | .data.note' <<<"$output")" = "$(jq -j .data.checkpoint re.ev)" ]
	# nothing was cosigned: the state still holds the first tree
	[ "$(sed -n 2p st/*.cp)" = 5 ]
	# the good one still goes through; --strict stops at a bad line
	run -0 grace-log witness --events --state st --key w1.key -p host.pub good.ev
	[ "$(jq -r .data.size <<<"$output")" = 8 ]
	run -3 --separate-stderr grace-log witness --events --strict --state st --key w1.key -p host.pub <<<'nope'
	[[ "$stderr" == "grace-log: <stdin>:1:1: not JSON"* ]]
	# usage
	run -2 --separate-stderr grace-log witness --events --state st --key w1.key -p host.pub --proof p in.ev
	[[ "$stderr" == "grace-log: witness: --events writes events, and reads their proofs from data.proof: no -o, no --proof"* ]]
	run -2 --separate-stderr grace-log witness --state st --key w1.key -p host.pub -o x --strict c5.cp
	[[ "$stderr" == "grace-log: witness: --strict goes with --events"* ]]
	run -2 --separate-stderr grace-log witness --state st --key w1.key -p host.pub -o x c5.cp c9.cp
	[[ "$stderr" == "grace-log: witness: give one CHECKPOINT (or --events)"* ]]
}

@test "witness: after the empty tree, any tree extends it, no proof needed" {
	: > empty.log
	grace-log checkpoint -f empty.log -k host.key -o c0.cp
	run -0 witness w1 c0.cp
	[ "$(jq -r .data.size <<<"$output")" = 0 ]
	run -0 witness w1 c5.cp
	[ "$(jq -c '[.type, .data.last.size]' <<<"$output")" = '["grace.witness.cosigned",0]' ]
}
