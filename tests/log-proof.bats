#!/usr/bin/env bats
# grace-log prove and verify-proof: RFC 9162 inclusion proofs (as
# c2sp.org/tlog-proof files) and consistency proofs between two signed
# checkpoints, made from the log, checked without it; and checked
# independently by Go's golang.org/x/mod/sumdb/tlog (tests/go/tlogcheck).
# A proof that does not hold, a record that is not the one proved, a
# checkpoint signed by another key, a log rewritten or cut short: never ok.

load log-helpers

# tlogcheck ARGS...: the Go checker, built once per run.
tlogcheck() {
	local bin=$BATS_RUN_TMPDIR/tlogcheck
	if [ ! -x "$bin" ]; then
		(cd "$ROOT/tests/go/tlogcheck" &&
		    GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= \
		    GOCACHE=$BATS_RUN_TMPDIR/gocache go build -o "$bin" main.go) || return 1
	fi
	"$bin" "$@"
}

# A log of 13 records and checkpoints at 1, 2, 3, 4, 5, 7, 8, 11 and 13
# records, signed by one key.
grow() {
	grace-log keygen -o k ex.org/audit > /dev/null
	local n=0 m
	for m in 1 2 3 4 5 7 8 11 13; do
		events "$m" e $((n + 1)) | grace-log append -f a.log > /dev/null
		grace-log checkpoint -f a.log -k k.key -o "c$m.cp"
		n=$m
	done
}

@test "prove --inclusion: a c2sp.org/tlog-proof of each record, verified without the log, and by Go's sumdb/tlog" {
	grow
	run -0 --separate-stderr grace-log prove -f a.log -p k.pub --inclusion 4 c13.cp
	[ -z "$stderr" ]
	# the format: header, index, the path (4 hashes for a tree of 13), a
	# blank line, the checkpoint verbatim
	[ "$(sed -n 1,2p <<<"$output")" = "c2sp.org/tlog-proof@v1
index 3" ]
	[ "$(sed -n '3,6p' <<<"$output" | grep -cE '^[A-Za-z0-9+/]{43}=$')" -eq 4 ]
	[ "$(sed -n 7p <<<"$output")" = "" ]
	[ "$(sed -n '8,$p' <<<"$output")" = "$(cat c13.cp)" ]
	local s c
	for c in 1 5 8 13; do
		for ((s = 1; s <= c; s++)); do
			grace-log prove -f a.log -p k.pub --inclusion "$s" "c$c.cp" -o "p$s-$c"
			sed -n "${s}p" a.log > rec
			run -0 grace-log verify-proof -p k.pub -r rec "p$s-$c"
			[ "$output" = "p$s-$c: ok: record $s (leaf $((s - 1))) is in ex.org/audit at $c records" ]
			run -0 tlogcheck a.log k.pub "p$s-$c"
			[ "$output" = "ok inclusion $((s - 1)) of $c" ]
		done
	done
	# the record on stdin, and -q
	sed -n 4p a.log | grace-log verify-proof -p k.pub p4-13
	run -0 --separate-stderr grace-log verify-proof -q -p k.pub -r <(sed -n 4p a.log) p4-13
	[ -z "$output" ] && [ -z "$stderr" ]
}

@test "verify-proof: another record, a changed hash, another key, a malformed proof: not proven (exit 1)" {
	grow
	grace-log prove -f a.log -p k.pub --inclusion 6 c11.cp -o p
	sed -n 6p a.log > rec
	# the record next to it
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r <(sed -n 7p a.log) p
	[ "$stderr" = "grace-log: p: not proven: the record is not at that index of the signed tree" ]
	[ -z "$output" ]
	# the record, one byte changed
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r <(sed 's/"e-6"/"e-9"/' rec) p
	[ "$stderr" = "grace-log: p: not proven: the record is not at that index of the signed tree" ]
	# one hash of the path changed (Go's checker agrees)
	awk 'NR == 4 { sub(/^./, ($0 ~ /^A/) ? "B" : "A") } { print }' p > p.bad
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r rec p.bad
	[ "$stderr" = "grace-log: p.bad: not proven: the record is not at that index of the signed tree" ]
	run -1 tlogcheck a.log k.pub p.bad
	# the index changed
	sed '2s/^index 5$/index 4/' p > p.idx
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r rec p.idx
	[ "$stderr" = "grace-log: p.idx: not proven: the record is not at that index of the signed tree" ]
	# a hash left out
	sed 3d p > p.short
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r rec p.short
	[ "$stderr" = "grace-log: p.short: not proven: the record is not at that index of the signed tree" ]
	# the checkpoint's root changed: its signature no longer verifies
	root=$(sed -n 3p c11.cp)
	sed "s|^$root\$|$(sed -n 3p c13.cp)|" p > p.root
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r rec p.root
	[[ "$stderr" == "grace-log: p.root: not proven: signature by ex.org/audit does not verify (key ID "*", line 5)" ]]
	# another log's key
	grace-log keygen -o other ex.org/audit > /dev/null
	run -1 --separate-stderr grace-log verify-proof -p other.pub -r rec p
	[[ "$stderr" == "grace-log: p: not proven: no signature by a known key (signed by ex.org/audit+"*")" ]]
	# malformed
	printf 'c2sp.org/tlog-proof@v1\nindex x\n\n' > p.mal
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r rec p.mal
	[ "$stderr" = 'grace-log: p.mal: not proven: malformed proof: line 2: not "index N"' ]
	# not a record
	echo '{"id":"e-6"}' > ev
	run -1 --separate-stderr grace-log verify-proof -p k.pub -r ev p
	[ "$stderr" = "grace-log: p: not proven: ev: not a record of a log: malformed record: too short" ]
	# two records
	sed -n 6,7p a.log > two
	run -2 --separate-stderr grace-log verify-proof -p k.pub -r two p
	[ "$stderr" = "grace-log: two: give one record, one line of the log" ]
}

@test "prove --consistency: each older checkpoint is a prefix of each newer one, checked without the log and by Go" {
	grow
	run -0 --separate-stderr grace-log prove -f a.log -p k.pub --consistency c5.cp c13.cp
	[ "$(sed -n 1,3p <<<"$output")" = "grace-log/consistency-proof@v1
old 5
new 13" ]
	local o n
	for o in 1 2 3 4 5 7 8 11 13; do
		for n in 1 2 3 4 5 7 8 11 13; do
			[ "$o" -le "$n" ] || continue
			grace-log prove -f a.log -p k.pub --consistency "c$o.cp" "c$n.cp" -o "q$o-$n"
			run -0 grace-log verify-proof -p k.pub "q$o-$n" "c$o.cp" "c$n.cp"
			[ "$output" = "q$o-$n: ok: ex.org/audit at $n records extends itself at $o" ]
			run -0 tlogcheck a.log k.pub "q$o-$n" "c$o.cp" "c$n.cp"
			[ "$output" = "ok consistency $o to $n" ]
		done
	done
	# the checkpoints swapped, or others than the proof's
	run -1 --separate-stderr grace-log verify-proof -p k.pub q5-13 c13.cp c5.cp
	[ "$stderr" = "grace-log: q5-13: not proven: the proof is from 5 to 13 records; the checkpoints are 'ex.org/audit' at 13 and 'ex.org/audit' at 5" ]
	run -1 --separate-stderr grace-log verify-proof -p k.pub q5-13 c4.cp c13.cp
	[ "$stderr" = "grace-log: q5-13: not proven: the proof is from 5 to 13 records; the checkpoints are 'ex.org/audit' at 4 and 'ex.org/audit' at 13" ]
	# a changed hash
	awk 'NR == 5 { sub(/^./, ($0 ~ /^A/) ? "B" : "A") } { print }' q5-13 > q.bad
	run -1 --separate-stderr grace-log verify-proof -p k.pub q.bad c5.cp c13.cp
	[ "$stderr" = "grace-log: q.bad: not proven: the new tree does not extend the old (a fork, or history rewritten)" ]
	run -1 tlogcheck a.log k.pub q.bad c5.cp c13.cp
	# an inclusion proof given checkpoints, a consistency proof none
	grace-log prove -f a.log -p k.pub --inclusion 2 c5.cp -o p2
	run -2 --separate-stderr grace-log verify-proof -p k.pub p2 c5.cp c13.cp
	[[ "$stderr" == "grace-log: verify-proof: an inclusion proof carries its checkpoint: give the PROOF alone (and the record)"* ]]
	run -2 --separate-stderr grace-log verify-proof -p k.pub q5-13
	[[ "$stderr" == "grace-log: verify-proof: a consistency proof is checked against two checkpoints: PROOF OLD NEW"* ]]
}

@test "a fork: a host that rewrote its log after a checkpoint cannot prove the new tree extends the old" {
	grow
	# the same origin and key, history rewritten from record 3 on
	head -n 2 a.log > b.log
	events 13 f 3 | grace-log append -f b.log > /dev/null
	grace-log checkpoint -f b.log -k k.key -o b13.cp
	run -1 --separate-stderr grace-log prove -f b.log -p k.pub --consistency c5.cp b13.cp
	[ "$stderr" = "grace-log: c5.cp: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (13 records verified)
grace-log: prove: refusing to prove from a log that does not verify" ]
	[ -z "$output" ]
	# nor can an honest proof of the old log be passed off for the new tree
	grace-log prove -f a.log -p k.pub --consistency c5.cp c13.cp -o q
	run -1 --separate-stderr grace-log verify-proof -p k.pub q c5.cp b13.cp
	[ "$stderr" = "grace-log: q: not proven: the new tree does not extend the old (a fork, or history rewritten)" ]
	run -1 tlogcheck b.log k.pub q c5.cp b13.cp
	# the inclusion of the rewritten record in the new tree is provable,
	# but not against the old checkpoint
	grace-log prove -f b.log -p k.pub --inclusion 4 b13.cp -o pb
	run -0 grace-log verify-proof -p k.pub -r <(sed -n 4p b.log) pb
	run -1 --separate-stderr grace-log prove -f b.log -p k.pub --inclusion 4 c5.cp
	[ "$stderr" = "grace-log: c5.cp: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (13 records verified)
grace-log: prove: refusing to prove from a log that does not verify" ]
}

@test "prove refuses a log that does not verify, is cut short, or lacks the record; and its usage errors" {
	grow
	cp a.log t.log
	sed -i '3s/"e-3"/"e-X"/' t.log
	run -1 --separate-stderr grace-log prove -f t.log -p k.pub --inclusion 1 c13.cp
	[ "$stderr" = "grace-log: t.log:3: record altered: its hash does not match its contents
grace-log: prove: refusing to prove from a log that does not verify" ]
	head -n 7 a.log > cut.log
	run -1 --separate-stderr grace-log prove -f cut.log -p k.pub --inclusion 1 c13.cp
	[ "$stderr" = "grace-log: cut.log: log truncated: c13.cp covers 13 records but the log holds 7
grace-log: prove: refusing to prove from a log that does not verify" ]
	# a record the checkpoint does not cover
	run -2 --separate-stderr grace-log prove -f a.log -p k.pub --inclusion 6 c5.cp
	[ "$stderr" = "grace-log: no record of seq 6 in the 5 records the checkpoint covers (seq 1 to 5)" ]
	run -2 --separate-stderr grace-log prove -f a.log -p k.pub --inclusion 0 c5.cp
	[[ "$stderr" == "grace-log: prove: --inclusion '0': not a seq (1 or more)"* ]]
	run -2 --separate-stderr grace-log prove -f a.log -p k.pub c5.cp
	[[ "$stderr" == "grace-log: prove: say which proof: --inclusion SEQ CHECKPOINT or --consistency OLD NEW"* ]]
	run -2 --separate-stderr grace-log prove -f a.log -p k.pub --consistency c5.cp
	[[ "$stderr" == "grace-log: prove: --consistency takes two checkpoints: OLD NEW"* ]]
	run -2 --separate-stderr grace-log prove -f a.log --inclusion 1 c5.cp
	[[ "$stderr" == "grace-log: prove: no key: use --pubkey KEY (an unsigned checkpoint proves nothing)"* ]]
	run -2 --separate-stderr grace-log prove -f a.log -p k.pub --consistency c13.cp c5.cp
	[ "$stderr" = "grace-log: c13.cp covers 13 records, c5.cp 5: the old checkpoint must not be larger than the new, nor empty" ]
	# a checkpoint whose signature does not verify with the key
	grace-log keygen -o other ex.org/audit > /dev/null
	run -1 --separate-stderr grace-log prove -f a.log -p other.pub --inclusion 1 c5.cp
	[[ "$stderr" == "grace-log: c5.cp: no signature by a known key (signed by ex.org/audit+"*")" ]]
	run -0 grace-log prove --help
	[[ "$output" == "usage: grace-log prove "* ]]
	run -0 grace-log verify-proof --help
	[[ "$output" == "usage: grace-log verify-proof "* ]]
}
