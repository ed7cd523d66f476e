#!/usr/bin/env bats
# grace-log under crashes and concurrency: torn tails, repair, SIGKILL at
# random points, concurrent appenders (with and without a rotation).

load log-helpers

# triples FILE: "seq<TAB>hash<TAB>id" of every record (seam records have
# no id) or of every whole annotated event line, sorted.
log_triples() {
	jq -r 'select(.event.id) | [.seq, .hash, .event.id] | @tsv' "$1" | sort
}
out_triples() {
	jq -R -r 'fromjson? | select(.grace.log) | [.grace.log.seq, .grace.log.hash, .id] | @tsv' "$@" | sort
}

# in_order PREFIX...: stdin holds ids PREFIX-N; check that, for each
# prefix, they are PREFIX-1, PREFIX-2, ... with none missing or repeated.
# Prints "PREFIX COUNT" per prefix seen.
in_order() {
	local r
	r=$(awk -F- '{ if ($2 != n[$1] + 1) { print "out of order: " $0; bad = 1 } n[$1] = $2 }
		END { for (p in n) print p, n[p]; exit bad }') || {
		printf '%s\n' "$r" | grep 'out of order' | head -n 5 >&2
		return 1
	}
	printf '%s\n' "$r" | sort
}

@test "a torn tail: verify reports it, append refuses, repair moves exactly those bytes aside" {
	small_log audit.log 3
	cp audit.log complete
	local torn
	torn=$(printf '{"seq":4,"prev":"%s","time":"2026-' "$(field audit.log 3 hash)")
	printf '%s' "$torn" >> audit.log
	run -1 --separate-stderr grace-log verify audit.log
	[ "$stderr" = "grace-log: audit.log:4: torn last record: ${#torn} bytes after the last newline (a crash during append?); 'grace-log repair' moves them aside" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .error.line, .error.torn]')" = '[false,3,4,true]' ]
	# append refuses: a system problem, not bad input; nothing written.
	run -4 --separate-stderr grace-log append -f audit.log <<< '{"id":"new"}'
	assert_output ''
	[ "$stderr" = "grace-log: audit.log: torn last record (${#torn} bytes after the last newline, left by a crash?): run 'grace-log repair -f audit.log' first" ]
	[ "$(wc -c < audit.log)" -eq $(($(wc -c < complete) + ${#torn})) ]
	# repair: exactly the torn bytes go to LOG.torn; the records stay.
	run -0 --separate-stderr grace-log repair -f audit.log
	assert_output ''
	[ "$stderr" = "grace-log: audit.log: moved ${#torn} torn bytes to audit.log.torn; the log ends at seq 3" ]
	cmp audit.log complete
	[ "$(cat audit.log.torn)" = "$torn" ]
	[ "$(wc -c < audit.log.torn)" -eq "${#torn}" ]
	run -0 --separate-stderr grace-log verify -q audit.log
	# And the log takes appends again, chained to the last whole record.
	run -0 --separate-stderr grace-log append -f audit.log <<< '{"id":"new"}'
	[ "$(field audit.log 4 prev)" = "$(field audit.log 3 hash)" ]
	grace-log verify -q audit.log
	run -0 --separate-stderr grace-log repair -f audit.log
	[ "$stderr" = "grace-log: audit.log: nothing to repair: the last record is complete" ]
	[ "$(wc -c < audit.log.torn)" -eq "${#torn}" ]
}

@test "a torn tail that is the whole file, or a long one, is repaired too" {
	printf '{"seq":1,"pr' > only.log
	run -1 --separate-stderr grace-log verify -q only.log
	[ "$stderr" = "grace-log: only.log:1: torn last record: 12 bytes after the last newline (a crash during append?); 'grace-log repair' moves them aside" ]
	run -0 --separate-stderr grace-log repair only.log
	[ "$stderr" = "grace-log: only.log: moved 12 torn bytes to only.log.torn; the log is now empty" ]
	[ ! -s only.log ]
	grace-log verify -q only.log
	# A torn record longer than the 4 KiB that append reads to find the head.
	small_log long.log 2
	head -c 10000 /dev/zero | tr '\0' x >> long.log
	run -4 --separate-stderr grace-log append -f long.log <<< '{}'
	[[ "$stderr" == "grace-log: long.log: torn last record (10000 bytes after"* ]]
	run -0 --separate-stderr grace-log repair -f long.log
	[ "$(wc -c < long.log.torn)" -eq 10000 ]
	grace-log verify -q long.log
	run -4 --separate-stderr grace-log repair -f nosuch.log
	[ "$stderr" = "grace-log: nosuch.log: unable to open: No such file or directory" ]
}

@test "a writer killed with SIGKILL at random points never loses a record it passed on" {
	# (No 'run' in this loop: bats 1.8's run clobbers a variable named i.)
	local round pid rc torn=0
	: > audit.log
	for ((round = 1; round <= 30; round++)); do
		awk -v p="k$round" 'BEGIN { for (n = 1; n <= 8000; n++) printf "{\"id\":\"%s-%d\"}\n", p, n }' > in
		if ((round % 2)); then
			# One fdatasync per event, fed through a pipe.
			cat in | grace-log append -f audit.log --sync=always > "out.$round" 2> "err.$round" 3>&- &
			pid=$!
			sleep "0.0$((RANDOM % 10))"
		else
			# Group commit over big batches (input is a file).
			grace-log append -f audit.log --sync=batch < in > "out.$round" 2> "err.$round" 3>&- &
			pid=$!
			sleep "0.00$((RANDOM % 10))"
		fi
		bg_started "$pid"
		kill -KILL "$pid" 2> /dev/null || true
		wait "$pid" || true
		[ ! -s "err.$round" ] || { echo "round $round:"; cat "err.$round"; false; }
		# Either intact, or a torn tail that repair fixes.
		rc=0
		grace-log verify -q audit.log 2> verr || rc=$?
		if [ "$rc" -ne 0 ]; then
			[ "$rc" -eq 1 ]
			[[ "$(cat verr)" =~ ^grace-log:\ audit\.log:[0-9]+:\ torn\ last\ record:\  ]]
			torn=$((torn + 1))
			grace-log repair -f audit.log 2> rerr
			[[ "$(cat rerr)" =~ ^grace-log:\ audit\.log:\ moved\ [0-9]+\ torn\ bytes\ to\ audit\.log\.torn ]]
			grace-log verify -q audit.log
		fi
	done
	echo "# $torn torn tails seen and repaired" >&3
	grace-log verify -q audit.log
	# No complete record was moved aside.
	[ ! -e audit.log.torn ] || [ "$(tr -cd '\n' < audit.log.torn | wc -c)" -eq 0 ]
	# Every event passed on is in the log, with the seq and hash it was
	# passed on with ...
	log_triples audit.log > log.tsv
	out_triples out.* > out.tsv
	[ -s out.tsv ]
	run -0 comm -23 out.tsv log.tsv
	assert_output ''
	# ... and the log holds each writer's events once, in order, with
	# no gaps (a killed writer's unsent tail may be in it: that is fine).
	jq -r '.event.id // empty' audit.log | in_order > /dev/null
	[ "$(jq -r '.event.id // empty' audit.log | sort | uniq -d | wc -l)" -eq 0 ]
}

@test "4 concurrent appenders of 10,000 events each give one valid chain of 40,000" {
	local p
	for p in a b c d; do
		events 10000 "$p" | grace-log append -f audit.log --sync=none > "out.$p" 2> "err.$p" 3>&- &
		bg_started $!
	done
	for p in 1 2 3 4; do
		wait -n
	done
	for p in a b c d; do
		[ ! -s "err.$p" ]
		[ "$(wc -l < "out.$p")" -eq 10000 ]
	done
	run -0 --separate-stderr grace-log verify audit.log
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .first_seq, .last_seq]')" = '[true,40000,1,40000]' ]
	[ "$(wc -l < audit.log)" -eq 40000 ]
	jq -r .seq audit.log | awk '$1 != NR { print "line " NR ": seq " $1; exit 1 }'
	# Every event exactly once, each writer's in its order.
	run -0 in_order < <(jq -r .event.id audit.log)
	assert_output 'a 10000
b 10000
c 10000
d 10000'
	[ "$(jq -r .event.id audit.log | sort -u | wc -l)" -eq 40000 ]
	# What each writer passed on is what it wrote.
	log_triples audit.log > log.tsv
	out_triples out.a out.b out.c out.d > out.tsv
	[ "$(wc -l < out.tsv)" -eq 40000 ]
	cmp log.tsv out.tsv
}

@test "concurrent appenders follow a rotation: nothing lost, the chain runs on" {
	local p
	# Each writer sends half its events, pauses, then the other half.
	for p in a b c d; do
		{ events 2500 "$p"; sleep 1; events 5000 "$p" 2501; } |
			grace-log append -f audit.log --sync=none > "out.$p" 2> "err.$p" 3>&- &
		bg_started $!
	done
	# Rotate in the pause, while all four still have the file open.
	wait_lines audit.log 10000
	grace-log rotate -f audit.log --to audit.log.1 2> /dev/null
	for p in 1 2 3 4; do
		wait -n
	done
	for p in a b c d; do
		[ ! -s "err.$p" ]
		[ "$(wc -l < "out.$p")" -eq 5000 ]
	done
	run -0 --separate-stderr grace-log verify audit.log.1 audit.log
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records]')" = '[true,20001]' ]
	# Both segments got appends from the writers.
	[ "$(wc -l < audit.log.1)" -ge 10000 ]
	[ "$(wc -l < audit.log)" -gt 1 ]
	[ "$(sed -n 1p audit.log | jq -r .event.type)" = grace.log.seam ]
	run -0 in_order < <(grace-log cat -e audit.log.1 audit.log | jq -r '.id // empty')
	assert_output 'a 5000
b 5000
c 5000
d 5000'
	cat audit.log.1 audit.log > whole
	log_triples whole > log.tsv
	out_triples out.a out.b out.c out.d > out.tsv
	cmp log.tsv out.tsv
}

@test "append, repair and rotate refuse a log whose last complete record is malformed" {
	small_log audit.log 2
	echo 'garbage' >> audit.log
	cp audit.log before
	run -1 --separate-stderr grace-log append -f audit.log <<< '{"id":"new"}'
	assert_output ''
	[ "$stderr" = "grace-log: audit.log: last record: malformed record: too short" ]
	run -1 --separate-stderr grace-log repair -f audit.log
	[ "$stderr" = "grace-log: audit.log: last record: malformed record: too short" ]
	run -1 --separate-stderr grace-log rotate -f audit.log --to old
	[ "$stderr" = "grace-log: audit.log: last record: malformed record: too short" ]
	cmp audit.log before
	[ ! -e old ] && [ ! -e audit.log.torn ]
	run -1 --separate-stderr grace-log verify -q audit.log
	[ "$stderr" = "grace-log: audit.log:3: malformed record: too short" ]
}

@test "no room to write (ulimit -f, as a full disk): append stops with exit 4, rolls the partial batch back, loses nothing it passed on" {
	local pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
	for ((n = 1; n <= 300; n++)); do
		printf '{"id":"e-%d","type":"t","data":{"pad":"%s"}}\n' "$n" "$pad"
	done > in.ndjson
	for mode in always batch; do
		rm -f audit.log
		# 40 KiB: room for a hundred-odd records, not for 300.
		run -4 --separate-stderr bash -c "ulimit -f 40; grace-log append -f audit.log --sync=$mode < in.ndjson"
		[ "$stderr" = "grace-log: audit.log: unable to append: File too large" ]
		[ "$(wc -c < audit.log)" -le 40960 ]
		# Every event passed on has its record; no partial record is left.
		[ "${#lines[@]}" -eq "$(wc -l < audit.log)" ]
		[ "$(jq -r .id <<<"$output")" = "$(grace-log cat -e audit.log | jq -r .id)" ]
		grace-log verify -q audit.log
		# And the log takes appends again once there is room.
		grace-log append -f audit.log <<<'{"id":"after"}' > /dev/null
		grace-log verify -q audit.log
	done
}
