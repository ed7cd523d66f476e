#!/usr/bin/env bats
# e2e-log.bats - no tampered or truncated log goes unnoticed: a record
# rewritten, the log cut short, and cut short then grown back with a new
# history that chains perfectly, each caught by a signed checkpoint
# (grace-log verify --checkpoint) and by the state of the last
# verification (grace-verify --chain --state), the cron job of README.md;
# and append --once, which records a stream given again once.

load e2e-helpers

setup() {
	e2e_setup
	gen_events 5 | grace-log append -f audit.log > /dev/null
	grace-log keygen -o ops ops.example.com/audit > /dev/null
	grace-log checkpoint -f audit.log -k ops.key -o audit.cp
	# the cron job's first run remembers what it verified
	run -0 --separate-stderr grace-verify -q --chain audit.log --state audit.state
}

teardown() {
	# a test that failed half-way leaves its appender waiting on a fifo
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	true
}

# caught WHY-CP WHY-STATE: grace-log verify --checkpoint and grace-verify
# --state both fail, exit 1, saying so; and again on the next run (a
# failed verification does not move the state on).
caught() {
	run -1 --separate-stderr grace-log verify -q -f audit.log --checkpoint audit.cp --pubkey ops.pub
	[ "$output" = "" ]
	[ "$stderr" = "grace-log: $1" ]
	run -1 --separate-stderr grace-verify -q --chain audit.log --state audit.state
	[ "$stderr" = "grace-verify: $2" ]
	run -1 --separate-stderr grace-verify -q --chain audit.log --state audit.state
	[ "$stderr" = "grace-verify: $2" ]
}

@test "log: a record rewritten in place is caught by the chain, the checkpoint and --state" {
	sed -i '3s/"alice"/"mallory"/' audit.log
	caught "audit.log:3: record altered: its hash does not match its contents" \
	    "audit.log:3: record altered: its hash does not match its contents"
}

@test "log: the log cut short is caught by the checkpoint and --state (the bare chain is intact)" {
	head -n 3 audit.log > t && cat t > audit.log
	run -0 --separate-stderr grace-log verify -q -f audit.log
	caught "audit.log: log truncated: audit.cp covers 5 records but the log holds 3" \
	    "audit.log: log truncated: audit.state covers 5 records but the log holds 3"
}

@test "log: cut short and grown back past its old size with a new history is caught by the checkpoint and --state" {
	head -n 3 audit.log > t && cat t > audit.log
	gen_events 4 other | grace-log append -f audit.log > /dev/null
	[ "$(grace-log cat -e audit.log | jq -r .id | tr '\n' ' ')" = "e-1 e-2 e-3 other-1 other-2 other-3 other-4 " ]
	run -0 --separate-stderr grace-log verify -q -f audit.log
	caught "audit.cp: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (7 records verified)" \
	    "audit.state: history rewritten since the last verification: the first 5 records no longer have the Merkle root recorded in this state file (7 records verified)"
}

@test "log: the whole log rewritten with a perfect chain of the same size is caught by the checkpoint and --state" {
	rm audit.log
	gen_events 5 forged | grace-log append -f audit.log > /dev/null
	run -0 --separate-stderr grace-log verify -q -f audit.log
	caught "audit.cp: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (5 records verified)" \
	    "audit.state: history rewritten since the last verification: the first 5 records no longer have the Merkle root recorded in this state file (5 records verified)"
}

@test "log: an honest log that grew passes both, and the cron line's exit status is the verification's" {
	gen_events 3 more | grace-log append -f audit.log > /dev/null
	run -0 --separate-stderr grace-log verify -q -f audit.log --checkpoint audit.cp --pubkey ops.pub
	run -0 --separate-stderr bash -o pipefail -c 'grace-verify --chain audit.log --state audit.state | grace-log append -f audit.log > /dev/null'
	[ "$(grace-log tail -n 1 -e -f audit.log | jq -c '[.type, .data.intact, .data.records]')" = '["grace.log.verification",true,8]' ]
	head -n 7 audit.log > t && cat t > audit.log
	run -1 --separate-stderr bash -o pipefail -c 'grace-verify --chain audit.log --state audit.state | grace-log append -f audit.log > /dev/null'
	[ "$stderr" = "grace-verify: audit.log: log truncated: audit.state covers 8 records but the log holds 7" ]
}

# --- append --once

@test "append --once: a stream given again is not appended again; each event is passed on with its record" {
	gen_events 3 x > in.ndjson
	run -0 --separate-stderr grace-log append --once -f once.log < in.ndjson
	[ "$stderr" = "" ]
	first=$output
	run -0 --separate-stderr grace-log append --once -f once.log < in.ndjson
	[ "$output" = "$first" ]
	[ "$stderr" = "grace-log: once.log: 3 events were in the log already (--once): not appended again" ]
	[ "$(ids once.log | tr '\n' ' ')" = "x-1 x-2 x-3 " ]
	run -0 grace-log verify -q -f once.log
}

@test "append --once: source and id make an event (CloudEvents); escapes are read; the first is kept; no id is always appended" {
	printf '%s\n' '{"id":"a","source":"s1","type":"t","n":1}' '{"id":"a","source":"s2","type":"t","n":2}' \
	    '{"id":"b","type":"t","n":3}' '{"type":"noid","n":4}' '{"id":7,"source":"s1","type":"t","n":5}' > in.ndjson
	run -0 --separate-stderr grace-log append --once -f once.log < in.ndjson
	printf '%s\n' '{"id":"\u0061","source":"s\u0031","type":"again","n":6}' '{"id":"b","source":"","type":"again","n":7}' \
	    '{"type":"noid","n":8}' '{"id":"c","source":"s1","type":"t","n":9}' '{"id":"c","source":"s1","type":"t","n":10}' > in2.ndjson
	run -0 --separate-stderr grace-log append --once -f once.log < in2.ndjson
	[ "$stderr" = "grace-log: once.log: 3 events were in the log already (--once): not appended again" ]
	[ "$(jq -c '[.n, .grace.log.seq]' <<< "$output" | tr '\n' ' ')" = "[6,1] [7,3] [8,6] [9,7] [10,7] " ]
	[ "$(grace-log cat -e once.log | jq -c .n | tr '\n' ' ')" = "1 2 3 4 5 8 9 " ]
	# the hash passed on is that of the record that holds the event
	[ "$(jq -r 'select(.n == 6) | .grace.log.hash' <<< "$output")" = "$(sed -n 1p once.log | jq -r .hash)" ]
}

@test "append --once: ids appended by another process since are read before each batch" {
	gen_events 2 a | grace-log append --once -f once.log > /dev/null
	mkfifo in
	grace-log append --once -f once.log < in > out.ndjson 2> err.txt 3>&- &
	pid=$!
	exec 4> in
	gen_events 1 b >&4
	# wait until the first batch is in, then another process appends b-2
	for i in $(seq 1 100); do [ -s out.ndjson ] && break; sleep 0.05; done
	gen_events 2 b | sed -n 2p | grace-log append -f once.log > /dev/null
	gen_events 2 b >&4
	exec 4>&-
	wait "$pid"
	[ "$(ids once.log | tr '\n' ' ')" = "a-1 a-2 b-1 b-2 " ]
	[ "$(jq -c .grace.log.seq out.ndjson | tr '\n' ' ')" = "3 3 4 " ]
	[ "$(cat err.txt)" = "grace-log: once.log: 2 events were in the log already (--once): not appended again" ]
}

@test "append --once: two appenders of the same stream at once record each event once" {
	gen_events 2000 c > in.ndjson
	grace-log append --once -f once.log < in.ndjson > out1 2> err1 3>&- &
	p1=$!
	grace-log append --once -f once.log < in.ndjson > out2 2> err2 3>&- &
	p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(ids once.log | sort | uniq -d)" = "" ]
	[ "$(ids once.log | wc -l)" -eq 2000 ]
	run -0 grace-log verify -q -f once.log
	[ "$(wc -l < out1)" -eq 2000 ]
	[ "$(wc -l < out2)" -eq 2000 ]
}

@test "append --once: the older segments the seams name are read too, as far back as they are there; a log it cannot read is refused" {
	gen_events 2 r | grace-log append --once -f once.log > /dev/null
	run -0 --separate-stderr grace-log rotate -f once.log --to once.log.1
	gen_events 3 r | grace-log append --once -f once.log > /dev/null
	run -0 --separate-stderr grace-log rotate -f once.log --to once.log.2
	gen_events 4 r | grace-log append --once -f once.log > /dev/null
	[ "$(ids once.log.1 | tr '\n' ' ')" = "r-1 r-2 " ]
	[ "$(ids once.log.2 | tr '\n' ' ')" = "- r-3 " ]
	[ "$(ids once.log | tr '\n' ' ')" = "- r-4 " ]
	run -0 grace-log verify -q once.log.1 once.log.2 once.log
	# a rotation under a running appender: it reads the segment just closed
	mkfifo in
	grace-log append --once -f once.log < in > out.ndjson 2> err.txt 3>&- &
	pid=$!
	exec 4> in
	gen_events 5 r | sed -n 5p >&4
	for i in $(seq 1 100); do [ -s out.ndjson ] && break; sleep 0.05; done
	gen_events 6 r | sed -n 6p | grace-log append -f once.log > /dev/null
	grace-log rotate -f once.log --to once.log.3 2> /dev/null
	gen_events 6 r >&4
	exec 4>&-
	wait "$pid"
	[ "$(ids once.log | tr '\n' ' ')" = "- " ]
	[ "$(cat err.txt)" = "grace-log: once.log: 6 events were in the log already (--once): not appended again" ]
	# an old segment archived away: its ids are not known any more
	mv once.log.1 archived.log
	gen_events 2 r | grace-log append --once -f once.log > /dev/null 2>&1
	[ "$(ids once.log | tr '\n' ' ')" = "- r-1 r-2 " ]
	# a record that does not parse: the ids cannot be known, nothing is appended
	sed -i '2s/.*/not a record/' once.log
	cp once.log before
	run -4 --separate-stderr grace-log append --once -f once.log <<< '{"id":"z","type":"t"}'
	[ "$output" = "" ]
	[ "$stderr" = "grace-log: once.log:2: unable to read the ids the log holds (--once): malformed record: too short" ]
	cmp once.log before
}

@test "append --once: usage: it does not go with --records; --help says what it does" {
	run -2 --separate-stderr grace-log append --once --records -f once.log < /dev/null
	[ "$stderr" = "grace-log: append: --once goes without --records (an event the log holds already has no new record to write)
Try 'grace-log append --help' for more information." ]
	[ ! -e once.log ]
	run -0 grace-log append --help
	[[ "$output" == *"--once          append no event whose source and id the log holds"* ]]
}

@test "append --once: the example of grace-log(1) as printed" {
	printf '%s\n' \
	    '{"type":"deploy.started","id":"d-1","source":"ci"}' \
	    '{"type":"deploy.finished","id":"d-2","source":"ci"}' > events.ndjson
	grace-log append --once -f once.log < events.ndjson > /dev/null
	run -0 --separate-stderr bash -c "grace-log append --once -f once.log < events.ndjson | jq -c '{id, seq: .grace.log.seq}'"
	[ "$output" = '{"id":"d-1","seq":1}
{"id":"d-2","seq":2}' ]
	[ "$stderr" = "grace-log: once.log: 2 events were in the log already (--once): not appended again" ]
	grep -qF "grace-log: once.log: 2 events were in the log already (--once): not appended again" "$ROOT/man/grace-log.1"
}

@test "append --once: --metrics counts the events it did not append as duplicate" {
	gen_events 2 m > in.ndjson
	grace-log append --once -f once.log < in.ndjson > /dev/null
	grace-log append --once -f once.log --metrics m.prom < in.ndjson > /dev/null 2>&1
	grep -q '^grace_verdicts_total{program="grace-log",verdict="duplicate"} 2$' m.prom
	! grep -q 'verdict="appended"} [1-9]' m.prom
}

@test "append --once: a log cut short under a running appender is read again: what it no longer holds is appended again" {
	mkfifo in
	grace-log append --once -f once.log < in > out.ndjson 2> err.txt 3>&- &
	pid=$!
	exec 4> in
	gen_events 2 t >&4
	for i in $(seq 1 100); do [ "$(wc -l < out.ndjson)" -ge 2 ] && break; sleep 0.05; done
	head -n 1 once.log > cut && cat cut > once.log
	gen_events 2 t >&4
	exec 4>&-
	wait "$pid"
	[ "$(ids once.log | tr '\n' ' ')" = "t-1 t-2 " ]
	[ "$(jq -c .grace.log.seq out.ndjson | tr '\n' ' ')" = "1 2 1 2 " ]
	[ "$(cat err.txt)" = "grace-log: once.log: 1 event was in the log already (--once): not appended again" ]
}

@test "append --once: ids longer than a block of the id store" {
	for i in 1 2 3; do
		printf '{"id":"%s-%d","type":"t"}\n' "$(head -c 70000 /dev/zero | tr '\0' x)" "$i"
	done > in.ndjson
	echo '{"id":"small","type":"t"}' >> in.ndjson
	grace-log append --once -f once.log < in.ndjson > /dev/null
	run -0 --separate-stderr grace-log append --once -f once.log < in.ndjson
	[ "$stderr" = "grace-log: once.log: 4 events were in the log already (--once): not appended again" ]
	[ "$(wc -l < once.log)" -eq 4 ]
}
