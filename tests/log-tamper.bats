#!/usr/bin/env bats
# grace-log verify: every kind of tampering is found, with the right record
# (line of the file) named and the documented reason.

load log-helpers

# verify_fails LOG LINE REASON: verify exits 1, says exactly
# "grace-log: LOG:LINE: REASON" and its result event agrees.
verify_fails() {
	run -1 --separate-stderr grace-log verify "$1"
	[ "$stderr" = "grace-log: $1:$2: $3" ]
	[ "$(printf '%s\n' "$output" | jq -c '[.data.intact, .data.error.line, .data.error.reason]')" = \
	  "$(jq -n -c --argjson l "$2" --arg r "$3" '[false, $l, $r]')" ]
}

@test "flipping any single byte of any record is detected, naming that record's line" {
	small_log audit.log 5
	grace-log verify -q audit.log
	local size
	size=$(wc -c < audit.log)
	[ "$size" -gt 1000 ] && [ "$size" -lt 1200 ]
	mkdir flip
	# One variant per byte, each byte xor 0x01 (always a different byte),
	# and a manifest "offset line was-a-newline".
	perl -e '
		open(my $f, "<", $ARGV[0]) or die; binmode $f;
		local $/; my $d = <$f>; my $line = 1;
		for my $o (0 .. length($d) - 1) {
			my $c = substr($d, $o, 1); my $v = $d;
			substr($v, $o, 1) = chr(ord($c) ^ 1);
			open(my $out, ">", "flip/$o") or die; binmode $out;
			print $out $v; close $out;
			print "$o $line ", ($c eq "\n" ? 1 : 0), "\n";
			$line++ if $c eq "\n";
		}' audit.log > manifest
	[ "$(wc -l < manifest)" -eq "$size" ]
	# The loop runs in a plain bash: bats' per-command tracing would
	# make it several times slower.
	run -0 --separate-stderr bash -c '
		re="^(record altered: its hash does not match its contents|malformed record: .+)\$"
		n=0
		while read -r o k nl; do
			n=$((n + 1))
			rc=0
			grace-log verify -q "flip/$o" 2> err || rc=$?
			msg=$(< err)
			if [ "$rc" -ne 1 ]; then
				echo "byte $o (line $k): exit $rc: $msg"
			elif [ "$nl" = 1 ]; then
				# A flipped newline merges two lines (or tears the
				# last one): still detected, on some line.
				[[ "$msg" =~ ^grace-log:\ flip/$o:[1-5]:\  ]] ||
					echo "byte $o (the newline ending line $k): $msg"
			elif [[ "$msg" != "grace-log: flip/$o:$k: "* ]] ||
			    ! [[ "${msg#grace-log: flip/$o:$k: }" =~ $re ]]; then
				echo "byte $o (line $k): $msg"
			fi
		done < manifest
		echo "$n checked"'
	# Nothing went undetected or was blamed on the wrong record.
	assert_output "$size checked"
}

@test "a flip in record 3 is reported with its seq in the result event" {
	small_log audit.log 5
	# "s-3" -> "s-2": still valid JSON, a plausible forgery.
	sed '3s/"s-3"/"s-2"/' audit.log > t.log
	verify_fails t.log 3 "record altered: its hash does not match its contents"
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.records, .error.seq, .error.file, .error.torn]')" = '[2,3,"t.log",false]' ]
}

@test "deleting a record is detected at the line where it was" {
	small_log audit.log 5
	sed 3d audit.log > del3.log
	verify_fails del3.log 3 "chain broken: seq 4 where 3 was expected (records removed or reordered)"
	sed 1d audit.log > del1.log
	verify_fails del1.log 1 "chain broken: seq 2 where 1 was expected (records removed or reordered)"
	sed '2,4d' audit.log > del234.log
	verify_fails del234.log 2 "chain broken: seq 5 where 2 was expected (records removed or reordered)"
}

@test "deleting the last record is not visible without a checkpoint (by design)" {
	small_log audit.log 5
	sed '$d' audit.log > short.log
	# A bare hash chain cannot tell a truncated log from a shorter one:
	# that is what signed checkpoints are for (see the truncation test).
	run -0 --separate-stderr grace-log verify short.log
	[ "$(printf '%s\n' "$output" | jq .data.records)" -eq 4 ]
}

@test "duplicating a record is detected at the copy" {
	small_log audit.log 5
	sed 2p audit.log > dup.log
	verify_fails dup.log 3 "chain broken: seq 2 where 3 was expected (record duplicated, inserted or reordered)"
	sed '$p' audit.log > duplast.log
	verify_fails duplast.log 6 "chain broken: seq 5 where 6 was expected (record duplicated, inserted or reordered)"
}

@test "swapping two records is detected at the first of them" {
	small_log audit.log 5
	awk 'NR == 2 { h = $0; next } { print } NR == 3 { print h }' audit.log > swap23.log
	[ "$(ids swap23.log | tr '\n' ' ')" = 's-1 s-3 s-2 s-4 s-5 ' ]
	verify_fails swap23.log 2 "chain broken: seq 3 where 2 was expected (records removed or reordered)"
	awk '{ a[NR] = $0 } END { t = a[1]; a[1] = a[5]; a[5] = t; for (i = 1; i <= NR; i++) print a[i] }' audit.log > swap15.log
	verify_fails swap15.log 1 "chain broken: seq 5 where 1 was expected (records removed or reordered)"
}

@test "an inserted forged record with a correct hash breaks the chain at the record after it" {
	small_log audit.log 5
	local forged
	forged=$(forge_record 3 "$(field audit.log 2 hash)" '{"id":"forged","type":"deploy.approved"}' "$(field audit.log 2 time)")
	# The forgery itself is a well-formed record whose hash checks.
	[ "$(printf '%s\n' "$forged" | head -c -76 | sha256_hex)" = "$(printf '%s\n' "$forged" | jq -r .hash)" ]
	{ head -n 2 audit.log; printf '%s\n' "$forged"; tail -n 3 audit.log; } > ins.log
	verify_fails ins.log 4 "chain broken: seq 3 where 4 was expected (record duplicated, inserted or reordered)"
	[ "$(printf '%s\n' "$output" | jq .data.records)" -eq 3 ]
	# Renumbering the records after it (without their hashes) does not help.
	{ head -n 2 audit.log; printf '%s\n' "$forged"; tail -n 3 audit.log | awk '{ sub(/^\{"seq":[0-9]+/, "{\"seq\":" NR + 3); print }'; } > ins2.log
	verify_fails ins2.log 4 "record altered: its hash does not match its contents"
	# Neither does a forged record at the front.
	{ forge_record 1 "$ZEROS" '{"id":"forged"}'; cat audit.log; } > front.log
	verify_fails front.log 2 "chain broken: seq 1 where 2 was expected (record duplicated, inserted or reordered)"
}

@test "a record replaced by a forged one with a correct hash breaks the chain at the next" {
	small_log audit.log 5
	{
		head -n 2 audit.log
		forge_record 3 "$(field audit.log 2 hash)" '{"id":"s-3","amount":1000000}' "$(field audit.log 3 time)"
		tail -n 2 audit.log
	} > repl.log
	verify_fails repl.log 4 "chain broken: prev does not match the hash of the record before (a record was changed, inserted or removed)"
}

@test "a blank or junk line inserted between records is detected at its line" {
	small_log audit.log 3
	sed '2a\
' audit.log > blank.log
	verify_fails blank.log 3 "malformed record: too short"
	sed '1a\
{"seq":2}' audit.log > junk.log
	verify_fails junk.log 2 "malformed record: too short"
}

@test "a first record whose prev is not zeros: the log's beginning is missing" {
	small_log audit.log 3
	sed 1d audit.log | awk '{ sub(/^\{"seq":[0-9]+/, "{\"seq\":" NR); print }' | rechain > t.log
	grace-log verify -q t.log
	# Keep the original prev of record 2, renumbered to 1: rehash only.
	local line body h
	line=$(sed -n 2p audit.log)
	body=${line%,\"hash\":\"*}
	body="{\"seq\":1${body#\{\"seq\":2}"
	h=$(printf '%s' "$body" | sha256_hex)
	printf '%s,"hash":"%s"}\n' "$body" "$h" > headless.log
	verify_fails headless.log 1 "chain broken: the first record's prev is not 64 zeros (the log's beginning is missing)"
}

@test "truncating the tail is detected given a checkpoint" {
	grace-log keygen -o k example.org/audit > /dev/null
	small_log audit.log 5
	grace-log checkpoint -f audit.log -k k.key -o cp
	head -n 4 audit.log > trunc.log
	# Without the checkpoint, a shorter log looks fine ...
	run -0 --separate-stderr grace-log verify -q trunc.log
	# ... with it, the truncation is plain.
	run -1 --separate-stderr grace-log verify trunc.log --checkpoint cp --pubkey k.pub
	[ "$stderr" = "grace-log: trunc.log: log truncated: cp covers 5 records but the log holds 4" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .error.reason, .checkpoints]')" = \
	  '[false,4,"log truncated: cp covers 5 records but the log holds 4",[{"file":"cp","size":5,"ok":false}]]' ]
	: > empty.log
	run -1 --separate-stderr grace-log verify -q empty.log -c cp -p k.pub
	[ "$stderr" = "grace-log: empty.log: log truncated: cp covers 5 records but the log holds 0" ]
}

@test "history rewritten with every hash recomputed passes a bare verify but not the checkpoint" {
	grace-log keygen -o k example.org/audit > /dev/null
	small_log audit.log 5
	grace-log checkpoint -f audit.log -k k.key -o cp
	# The forger changes record 2 and rebuilds a consistent chain.
	sed '2s/"s-2"/"s-2-rewritten"/' audit.log | rechain > forged.log
	[ "$(field forged.log 5 hash)" != "$(field audit.log 5 hash)" ]
	# A bare hash chain cannot see this: it is consistent (documented
	# limit: only an earlier checkpoint, kept elsewhere, shows it).
	run -0 --separate-stderr grace-log verify -q forged.log
	run -1 --separate-stderr grace-log verify forged.log -c cp -p k.pub
	[ "$stderr" = "grace-log: cp: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (5 records verified)" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .checkpoints[0].ok]')" = '[false,false]' ]
	# Rewritten and extended: the old checkpoint still covers a prefix.
	small_log audit.log 2 later
	grace-log verify -q audit.log -c cp -p k.pub
	sed '1s/"s-1"/"s-one"/' audit.log | rechain > forged2.log
	run -1 --separate-stderr grace-log verify -q forged2.log -c cp -p k.pub
	[ "$stderr" = "grace-log: cp: history rewritten: the first 5 records do not have the Merkle root this checkpoint signed (7 records verified)" ]
}

# refused_nonregular NAME KIND CMD...: CMD exits 2, writes nothing to stdout
# and says "grace-log: NAME: not a log file but KIND: ...".
refused_nonregular() {
	local name=$1 kind=$2
	shift 2
	run -2 --separate-stderr "$@"
	assert_output ''
	[ "$stderr" = "grace-log: $name: not a log file but $kind: give the file itself (a pipe, a device or a directory cannot be verified)" ]
}

@test "a log that is not a regular file is refused (exit 2), never reported as an intact empty log" {
	# Each of these read as "intact, 0 records" whatever was written to
	# them: the size taken to bound the read is 0 for all of them.
	small_log audit.log 4
	sed '2s/"s-2"/"s-X"/' audit.log > bad.log
	run -1 --separate-stderr grace-log verify -q bad.log
	# A pipe, given as /dev/stdin, and as a process substitution.
	refused_nonregular /dev/stdin 'a pipe' sh -c 'cat bad.log | grace-log verify -f /dev/stdin'
	refused_nonregular /dev/stdin 'a pipe' sh -c 'cat audit.log | grace-log verify -q /dev/stdin'
	run -2 --separate-stderr grace-log verify -f <(cat bad.log)
	assert_output ''
	[[ "$stderr" == "grace-log: /dev/fd/"*": not a log file but a pipe: give the file itself"* ]]
	# A FIFO, with a writer ready to feed it the tampered log, and without.
	mkfifo fifo
	cat bad.log > fifo &
	echo $! >> "$BATS_TEST_TMPDIR/pids"
	refused_nonregular fifo 'a pipe' grace-log verify -f fifo
	refused_nonregular fifo 'a pipe' grace-log verify -q fifo
	# /dev/null, a directory, a segment among regular ones.
	refused_nonregular /dev/null 'a character device' grace-log verify -f /dev/null
	mkdir dir
	refused_nonregular dir 'a directory' grace-log verify -f dir
	refused_nonregular /dev/null 'a character device' grace-log verify -q audit.log /dev/null
	# checkpoint verifies the same way: it signs nothing it could not read.
	grace-log keygen -o k example.org/audit >/dev/null
	refused_nonregular /dev/stdin 'a pipe' sh -c 'cat audit.log | grace-log checkpoint -f /dev/stdin -k k.key -o cp'
	[ ! -e cp ]
	refused_nonregular /dev/null 'a character device' grace-log checkpoint -f /dev/null -k k.key
	# Standard input that is the file itself is a regular file: verified.
	run -1 --separate-stderr grace-log verify -q -f /dev/stdin < bad.log
	[ "$stderr" = "grace-log: /dev/stdin:2: record altered: its hash does not match its contents" ]
	run -0 --separate-stderr grace-log verify -q -f /dev/stdin < audit.log
	# An existing empty file is still an intact log of 0 records.
	: > empty.log
	run -0 --separate-stderr grace-log verify -f empty.log
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records]')" = '[true,0]' ]
}
