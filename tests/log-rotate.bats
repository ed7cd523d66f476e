#!/usr/bin/env bats
# grace-log rotate: segments joined by seam records, verified in order;
# tail -F across a rotation.

load log-helpers

@test "rotate keeps OLD and starts LOG with a seam record naming it, its size and head" {
	small_log audit.log 3 a
	local size head
	size=$(wc -c < audit.log)
	head=$(field audit.log 3 hash)
	cp audit.log before
	run -0 --separate-stderr grace-log rotate -f audit.log --to audit.log.1
	assert_output ''
	[ "$stderr" = "grace-log: audit.log: rotated: old segment kept as audit.log.1; the new segment starts at seq 4" ]
	cmp audit.log.1 before
	[ "$(wc -l < audit.log)" -eq 1 ]
	# The seam: seq and prev run on from the old head.
	[ "$(field audit.log 1 seq)" -eq 4 ]
	[ "$(field audit.log 1 prev)" = "$head" ]
	[ "$(sed -n 1p audit.log | jq -c .event)" = \
	  "{\"type\":\"grace.log.seam\",\"source\":\"grace-log\",\"data\":{\"segment\":\"audit.log.1\",\"records\":3,\"size\":$size,\"last_seq\":3,\"head\":\"$head\"}}" ]
	[ "$(sed -n 1p audit.log | head -c -76 | sha256_hex)" = "$(field audit.log 1 hash)" ]
	# Appends continue the seq.
	run -0 --separate-stderr grace-log append -f audit.log <<< '{"id":"b-1"}'
	[ "$(printf '%s\n' "$output" | jq .grace.log.seq)" -eq 5 ]
	# Old and new verify together, oldest first, as one log.
	run -0 --separate-stderr grace-log verify audit.log.1 audit.log
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .first_seq, .last_seq, .files, has("continues")]')" = \
	  '[true,5,1,5,["audit.log.1","audit.log"],false]' ]
	# cat reads the segments as one stream.
	run -0 grace-log cat -e audit.log.1 audit.log
	[ "$(printf '%s\n' "$output" | jq -r '.id // .type' | tr '\n' ' ')" = 'a-1 a-2 a-3 grace.log.seam b-1 ' ]
}

@test "verify of the newest segment alone passes and reports what it continues" {
	small_log audit.log 2
	grace-log rotate -f audit.log --to audit.log.1 2> /dev/null
	small_log audit.log 2 b
	run -0 --separate-stderr grace-log verify audit.log
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .first_seq, .last_seq, .continues]')" = \
	  '[true,3,3,5,"audit.log.1"]' ]
}

@test "the default name of the old segment is LOG.<UTC time>" {
	small_log audit.log 1
	run -0 --separate-stderr grace-log rotate -f audit.log
	local old
	old=$(ls audit.log.2*)
	[[ "$old" =~ ^audit\.log\.[0-9]{8}T[0-9]{6}Z$ ]]
	[ "$stderr" = "grace-log: audit.log: rotated: old segment kept as $old; the new segment starts at seq 2" ]
	grace-log verify -q "$old" audit.log
}

@test "a missing middle segment is reported as such" {
	small_log audit.log 2 a
	grace-log rotate -f audit.log --to seg1 2> /dev/null
	small_log audit.log 2 b
	grace-log rotate -f audit.log --to seg2 2> /dev/null
	small_log audit.log 2 c
	grace-log verify -q seg1 seg2 audit.log
	local size1 head1
	size1=$(wc -c < seg1)
	head1=$(field seg1 2 hash)
	run -1 --separate-stderr grace-log verify seg1 audit.log
	[ "$stderr" = "grace-log: audit.log:1: segment missing or out of order: audit.log continues segment 'seg2' (size $(wc -c < seg2), head $(field seg2 3 hash | cut -c1-12)...), not seg1 (size $size1, head ${head1:0:12}...)" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .error.file, .error.line]')" = '[false,2,"audit.log",1]' ]
	# The newest two alone are fine: they say they continue seg1.
	run -0 --separate-stderr grace-log verify seg2 audit.log
	[ "$(printf '%s\n' "$output" | jq -r .data.continues)" = seg1 ]
}

@test "segments in the wrong order are reported as out of order, not as altered records" {
	small_log audit.log 2 a
	grace-log rotate -f audit.log --to seg1 2> /dev/null
	small_log audit.log 2 b
	grace-log rotate -f audit.log --to seg2 2> /dev/null
	small_log audit.log 1 c
	run -1 --separate-stderr grace-log verify -q audit.log seg1
	[ "$stderr" = "grace-log: seg1:1: segment out of order: seg1 does not start with a seam record, so it does not continue audit.log" ]
	run -1 --separate-stderr grace-log verify -q seg2 seg1 audit.log
	[ "$stderr" = "grace-log: seg1:1: segment out of order: seg1 does not start with a seam record, so it does not continue seg2" ]
	run -1 --separate-stderr grace-log verify -q seg1 audit.log seg2
	[[ "$stderr" == "grace-log: audit.log:1: segment missing or out of order: audit.log continues segment 'seg2'"* ]]
	run -1 --separate-stderr grace-log verify -q audit.log seg2
	[[ "$stderr" == "grace-log: seg2:1: segment missing or out of order: seg2 continues segment 'seg1'"* ]]
	[[ "$stderr" != *"record altered"* ]]
	# The same segment twice.
	run -1 --separate-stderr grace-log verify -q seg1 seg1
	[ "$stderr" = "grace-log: seg1:1: segment out of order: seg1 does not start with a seam record, so it does not continue seg1" ]
}

@test "a checkpoint over all segments verifies with all segments" {
	grace-log keygen -o k example.org/audit > /dev/null
	small_log audit.log 2 a
	grace-log rotate -f audit.log --to seg1 2> /dev/null
	small_log audit.log 2 b
	grace-log checkpoint -k k.key -o cp seg1 audit.log
	[ "$(sed -n 2p cp)" = 5 ]
	grace-log verify -q seg1 audit.log -c cp -p k.pub
	# Signing the newest segment alone would cover only part of the log.
	run -2 --separate-stderr grace-log checkpoint -k k.key audit.log
	assert_output ''
	[ "$stderr" = "grace-log: audit.log continues segment 'seg1': give every segment, oldest first, so the checkpoint covers the whole log" ]
}

@test "rotate: two rotations in one second get distinct default names" {
	gen_events 2 | grace-log append -f audit.log > /dev/null
	grace-log rotate -f audit.log 2> /dev/null
	gen_events 1 x | grace-log append -f audit.log > /dev/null
	grace-log rotate -f audit.log 2> /dev/null
	local segs=(audit.log.*Z*)
	# Within one second the second is NAME.1; across a second boundary
	# both are plain timestamps: either way two segments, in order.
	[ "${#segs[@]}" -eq 2 ]
	run -0 --separate-stderr grace-log verify -q "${segs[@]}" audit.log
}

@test "rotate refuses an empty log, a torn tail and an existing OLD name" {
	: > empty.log
	run -2 --separate-stderr grace-log rotate -f empty.log --to empty.1
	[ "$stderr" = "grace-log: empty.log: nothing to rotate: the log is empty" ]
	[ ! -e empty.1 ]
	small_log audit.log 2
	printf '{"seq":3,' >> audit.log
	run -4 --separate-stderr grace-log rotate -f audit.log --to audit.1
	[ "$stderr" = "grace-log: audit.log: torn last record: run 'grace-log repair -f audit.log' first" ]
	[ ! -e audit.1 ]
	grace-log repair -f audit.log 2> /dev/null
	echo keep > audit.1
	run -2 --separate-stderr grace-log rotate -f audit.log --to audit.1
	[ "$stderr" = "grace-log: audit.1: unable to keep the old segment: File exists" ]
	[ "$(cat audit.1)" = keep ]
	[ "$(wc -l < audit.log)" -eq 2 ]
	grace-log verify -q audit.log
	run -4 --separate-stderr grace-log rotate -f nosuch.log --to x
	[ "$stderr" = "grace-log: nosuch.log: unable to open: No such file or directory" ]
}

@test "tail -F follows the log across a rotation" {
	small_log audit.log 2 a
	grace-log tail -F -e -f audit.log > out 2> err 3>&- &
	local pid=$!
	bg_started "$pid"
	wait_lines out 2
	small_log audit.log 1 b
	wait_lines out 3
	grace-log rotate -f audit.log --to audit.log.1 2> /dev/null
	small_log audit.log 2 c
	# The seam event, then the new segment's events.
	wait_lines out 6
	small_log audit.log 1 d
	wait_lines out 7
	kill "$pid"
	wait "$pid" || true
	[ "$(jq -r '.id // .type' out | tr '\n' ' ')" = 'a-1 a-2 b-1 grace.log.seam c-1 c-2 d-1 ' ]
	[ ! -s err ]
	# Nothing was printed twice or lost: it is the two segments' events.
	[ "$(cat out)" = "$(grace-log cat -e audit.log.1 audit.log)" ]
}

# Regression: a seam naming a segment whose name JSON escapes (a quote, a
# tab) was not recognised as a seam, so verify reported "segment out of
# order" for the segments in order and "chain broken" for the new one alone.
@test "an old segment name that JSON escapes still makes a seam verify reads" {
	small_log audit.log 2
	run -0 --separate-stderr grace-log rotate -f audit.log --to 'old "one".log'
	[ "$(sed -n 1p audit.log | jq -r .event.data.segment)" = 'old "one".log' ]
	small_log audit.log 1 b
	run -0 --separate-stderr grace-log verify 'old "one".log' audit.log
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records]')" = '[true,4]' ]
	run -0 --separate-stderr grace-log verify audit.log
	[ "$(printf '%s\n' "$output" | jq -r .data.continues)" = 'old "one".log' ]
	small_log tab.log 1
	grace-log rotate -f tab.log --to "$(printf 'tab\there.log')" 2> /dev/null
	run -0 --separate-stderr grace-log verify "$(printf 'tab\there.log')" tab.log
	run -0 --separate-stderr grace-log verify tab.log
	[ "$(printf '%s\n' "$output" | jq -r .data.continues)" = "$(printf 'tab\there.log')" ]
}
