#!/usr/bin/env bats
# grace-log: the command line, append, bad input, verify's result event,
# cat and tail. Tampering, checkpoints, rotation and crashes have their own
# suites (log-tamper, log-checkpoint, log-rotate, log-crash).

load log-helpers

COMMANDS="append verify checkpoint keygen repair rotate cat tail"

# --------------------------------------------------------------- the CLI

@test "--help and --version exit 0 and write to stdout only" {
	run -0 --separate-stderr grace-log --help
	assert_line --index 0 'usage: grace-log COMMAND [OPTIONS]'
	assert_output --partial '  append -f LOG '
	assert_output --partial 'Exit status: 0 ok, 1 negative verdict'
	[ -z "$stderr" ]
	run -0 --separate-stderr grace-log help
	assert_line --index 0 'usage: grace-log COMMAND [OPTIONS]'
	run -0 --separate-stderr grace-log --version
	assert_output --regexp '^grace-log \(grace\) [0-9]+\.[0-9]+\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "every command's --help exits 0 with its usage on stdout" {
	local c
	for c in $COMMANDS; do
		run -0 --separate-stderr grace-log "$c" --help
		assert_line --index 0 --regexp "^usage: grace-log $c( |\$)"
		[ -z "$stderr" ]
	done
}

@test "no command: usage on stderr, exit 2" {
	run -2 --separate-stderr grace-log
	assert_output ''
	[[ "$stderr" == "usage: grace-log COMMAND [OPTIONS]"* ]]
}

@test "an unknown command is a usage error naming it" {
	run -2 --separate-stderr grace-log frobnicate -f x.log
	assert_output ''
	[ "$stderr" = "grace-log: unknown command 'frobnicate'
Try 'grace-log --help' for more information." ]
}

# Regression: getopt's messages read "append: unrecognized option" (no
# program name) and the hint read "Try 'grace-log append--help'".
@test "a bad option is a usage error in the house format, for every command" {
	local c
	for c in $COMMANDS; do
		run -2 --separate-stderr grace-log "$c" --bogus
		assert_output ''
		[ "$stderr" = "grace-log: $c: unrecognized option '--bogus'
Try 'grace-log $c --help' for more information." ]
	done
	run -2 --separate-stderr grace-log verify -x log
	[ "$stderr" = "grace-log: verify: invalid option -- 'x'
Try 'grace-log verify --help' for more information." ]
	run -2 --separate-stderr grace-log append -f
	[ "$stderr" = "grace-log: append: option requires an argument -- 'f'
Try 'grace-log append --help' for more information." ]
	[ ! -e log ]
}

@test "bad option values are usage errors and nothing is written" {
	run -2 --separate-stderr grace-log append -f a.log --sync=sometimes
	[ "$stderr" = "grace-log: append: --sync takes always, batch or none, not 'sometimes'
Try 'grace-log append --help' for more information." ]
	run -2 --separate-stderr grace-log append -f a.log --max-line 0
	[ "$stderr" = "grace-log: append: --max-line takes a byte count from 1 to 67108864, not '0'
Try 'grace-log append --help' for more information." ]
	run -2 --separate-stderr grace-log append -f a.log --max-line=-5
	[[ "$stderr" == "grace-log: append: --max-line takes a byte count"* ]]
	run -2 --separate-stderr grace-log tail -n many -f a.log
	[ "$stderr" = "grace-log: tail: -n takes N or +N, not 'many'
Try 'grace-log tail --help' for more information." ]
	run -2 --separate-stderr grace-log keygen
	[ "$stderr" = "grace-log: keygen: give exactly one key NAME
Try 'grace-log keygen --help' for more information." ]
	run -2 --separate-stderr grace-log repair -f a.log b.log
	[ "$stderr" = "grace-log: repair: unexpected argument 'b.log'
Try 'grace-log repair --help' for more information." ]
	[ ! -e a.log ]
}

@test "no -f and no GRACE_LOG is a usage error for every command that reads a log" {
	local c
	for c in append verify checkpoint repair rotate cat tail; do
		run -2 --separate-stderr grace-log "$c" < /dev/null
		assert_output ''
		[ "$stderr" = "grace-log: $c: no log file: use -f LOG or set GRACE_LOG
Try 'grace-log $c --help' for more information." ]
	done
	GRACE_LOG= run -2 --separate-stderr grace-log verify
}

@test "GRACE_LOG is honoured by append, verify, cat, tail, repair and rotate" {
	export GRACE_LOG=env.log
	run -0 --separate-stderr grace-log append <<< '{"id":"x1"}'
	assert_output --partial '"seq":1'
	[ "$(wc -l < env.log)" -eq 1 ]
	run -0 --separate-stderr grace-log verify -q
	assert_output ''
	run -0 --separate-stderr grace-log cat -e
	assert_output '{"id":"x1"}'
	run -0 --separate-stderr grace-log tail -n 1 -e
	assert_output '{"id":"x1"}'
	run -0 --separate-stderr grace-log repair
	[ "$stderr" = "grace-log: env.log: nothing to repair: the last record is complete" ]
	run -0 --separate-stderr grace-log rotate --to env.log.1
	[ -f env.log.1 ]
	# -f wins over GRACE_LOG.
	run -0 --separate-stderr grace-log append -f other.log <<< '{"id":"x2"}'
	[ "$(wc -l < other.log)" -eq 1 ]
	[ "$(wc -l < env.log)" -eq 1 ]
}

@test "verify of a missing log file exits 4 with 'unable to open'" {
	run -4 --separate-stderr grace-log verify -f nosuch.log
	assert_output ''
	[ "$stderr" = "grace-log: nosuch.log: unable to open: No such file or directory" ]
	run -4 --separate-stderr grace-log cat nosuch.log
	[ "$stderr" = "grace-log: nosuch.log: unable to open: No such file or directory" ]
	run -4 --separate-stderr grace-log append -f log nosuch.ndjson < /dev/null
	[ "$stderr" = "grace-log: nosuch.ndjson: unable to open: No such file or directory" ]
}

# ---------------------------------------------------------------- append

@test "append writes one record per event and passes each event on with grace.log" {
	gen_events 3 > in.ndjson
	run -0 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(wc -l < audit.log)" -eq 3 ]
	local i
	for i in 1 2 3; do
		# The event is unchanged but for grace.log {seq, hash}...
		[ "$(printf '%s\n' "${lines[i-1]}" | jq -c 'del(.grace)')" = \
		  "$(sed -n "${i}p" in.ndjson | jq -c .)" ]
		[ "$(printf '%s\n' "${lines[i-1]}" | jq -c '.grace.log | keys')" = '["hash","seq"]' ]
		[ "$(printf '%s\n' "${lines[i-1]}" | jq .grace.log.seq)" -eq "$i" ]
		# ... and the hash passed on is the record's hash.
		[ "$(printf '%s\n' "${lines[i-1]}" | jq -r .grace.log.hash)" = "$(field audit.log "$i" hash)" ]
		# The record holds the original bytes.
		[ "$(sed -n "${i}p" audit.log | jq -c .event)" = "$(sed -n "${i}p" in.ndjson | jq -c .)" ]
	done
	# The bytes are appended to, not rewritten: the annotation is
	# spliced into the original text, which is otherwise kept.
	[ "$(sed -n 1p in.ndjson)" = "$(printf '%s\n' "${lines[0]}" | sed 's/,"grace":{"log":{[^}]*}}}$/}/')" ]
	run -0 --separate-stderr grace-log verify -q audit.log
}

@test "a record checks by hand with sha256sum and jq" {
	gen_events 3 | grace-log append -f audit.log > /dev/null
	local n
	for n in 1 2 3; do
		[ "$(sed -n "${n}p" audit.log | head -c -76 | sha256_hex)" = "$(field audit.log "$n" hash)" ]
		[ "$(field audit.log "$n" seq)" -eq "$n" ]
		[[ "$(field audit.log "$n" time)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]]
	done
	[ "$(field audit.log 1 prev)" = "$ZEROS" ]
	[ "$(field audit.log 2 prev)" = "$(field audit.log 1 hash)" ]
	[ "$(field audit.log 3 prev)" = "$(field audit.log 2 hash)" ]
	# The layout: the hash is the last 75 bytes before the newline.
	run -0 grep -c -E '^\{"seq":[1-9][0-9]*,"prev":"[0-9a-f]{64}","time":"[^"]{27}","event":\{.*\},"hash":"[0-9a-f]{64}"\}$' audit.log
	assert_output 3
}

@test "appending again continues the chain" {
	small_log audit.log 2 a
	run -0 --separate-stderr grace-log append -f audit.log <<< '{"id":"b-1"}'
	[ "$(printf '%s\n' "$output" | jq .grace.log.seq)" -eq 3 ]
	[ "$(field audit.log 3 prev)" = "$(field audit.log 2 hash)" ]
	run -0 --separate-stderr grace-log verify -q audit.log
}

@test "--records passes on the records themselves, byte for byte" {
	small_log audit.log 1 a
	gen_events 4 > in.ndjson
	run -0 --separate-stderr grace-log append --records -f audit.log < in.ndjson
	[ -z "$stderr" ]
	[ "$output" = "$(sed -n '2,$p' audit.log)" ]
	[ "$(printf '%s\n' "${lines[0]}" | jq .seq)" -eq 2 ]
}

@test "an event with a grace object keeps its members; grace.log is replaced, not duplicated" {
	printf '%s\n' \
	    '{"id":"a","grace":{"gate":{"verdict":"allow"}},"z":2}' \
	    '{}' \
	    '{"id":"c","grace":{"log":{"seq":99,"hash":"forged"},"route":["x"]}}' \
	    '{"id":"d","grace":{}}' > in.ndjson
	run -0 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$(printf '%s\n' "${lines[0]}" | jq -c 'del(.grace.log)')" = '{"id":"a","grace":{"gate":{"verdict":"allow"}},"z":2}' ]
	[ "$(printf '%s\n' "${lines[0]}" | jq .grace.log.seq)" -eq 1 ]
	[ "$(printf '%s\n' "${lines[1]}" | jq -c '.grace.log.seq')" = 2 ]
	[ "$(printf '%s\n' "${lines[1]}" | jq -c 'del(.grace)')" = '{}' ]
	[ "$(printf '%s\n' "${lines[2]}" | jq -c '.grace.route')" = '["x"]' ]
	[ "$(printf '%s\n' "${lines[2]}" | jq .grace.log.seq)" -eq 3 ]
	[ "$(printf '%s\n' "${lines[2]}" | grep -o '"log"' | wc -l)" -eq 1 ]
	[ "$(printf '%s\n' "${lines[3]}" | jq -c '.grace | keys')" = '["log"]' ]
	# The log keeps the events as they came in.
	run -0 --separate-stderr grace-log cat -e audit.log
	[ "$output" = "$(cat in.ndjson)" ]
}

@test "an event whose grace member is not an object is rejected" {
	printf '%s\n' '{"id":"a"}' '{"id":"b","grace":5}' '{"id":"c"}' > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:2:19: member 'grace' is a number, not an object" ]
	[ "${lines[1]}" = '{"type":"grace.input.rejected","source":"grace-log","data":{"input":"<stdin>","line":2,"column":19,"error":"member '"'grace'"' is a number, not an object"}}' ]
	run -0 grace-log cat -e audit.log
	assert_output '{"id":"a"}
{"id":"c"}'
}

# Regression: an event with white space around it (a CRLF line end, an
# indented line) was stored with that white space inside the record, which
# verify then rejected ("event is not an object"), and append refused to
# go on ("last record: malformed record").
@test "white space around an event (CRLF, indentation) is not stored in the record" {
	printf '{"id":"a"} \n  {"id":"b"}\n{"id":"c"}\r\n\t{"id":"d","grace":{"x":1}}  \r\n' > in.ndjson
	run -0 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == '{"id":"a","grace":{"log":{"seq":1,"hash":"'* ]]
	[[ "${lines[1]}" == '{"id":"b","grace":{"log":{"seq":2,"hash":"'* ]]
	[[ "${lines[3]}" == '{"id":"d","grace":{"x":1,"log":{"seq":4,"hash":"'* ]]
	run -0 --separate-stderr grace-log verify -q audit.log
	[ -z "$stderr" ]
	run -0 grace-log cat -e audit.log
	assert_output '{"id":"a"}
{"id":"b"}
{"id":"c"}
{"id":"d","grace":{"x":1}}'
	run -0 --separate-stderr grace-log append -f audit.log <<< '{"id":"e"}'
	run -0 --separate-stderr grace-log verify -q audit.log
}

@test "append passes an event on at once while its input is still open (group commit)" {
	mkfifo in
	grace-log append -f audit.log < in > out 2> err 3>&- &
	local pid=$!
	bg_started "$pid"
	exec 4> in
	echo '{"id":"first"}' >&4
	wait_lines out 1
	# It is in the log (synced) before it is passed on.
	[ "$(grace-log cat -e audit.log)" = '{"id":"first"}' ]
	echo '{"id":"second"}' >&4
	wait_lines out 2
	exec 4>&-
	wait "$pid"
	[ "$(ids out | tr '\n' ' ')" = 'first second ' ]
	[ ! -s err ]
}

@test "append reads FILE arguments in order and '-' as stdin" {
	printf '{"id":"f1"}\n' > one.ndjson
	printf '{"id":"f2"}\n{"id":"f3"}' > two.ndjson
	run -0 --separate-stderr grace-log append -f audit.log one.ndjson - two.ndjson <<< '{"id":"in"}'
	[ "$(ids audit.log | tr '\n' ' ')" = 'f1 in f2 f3 ' ]
}

# ------------------------------------------------------------- bad input

# bad_line TEXT MESSAGE: TEXT on line 3 of five lines is rejected with
# MESSAGE on stderr; the other four are appended and passed on in order.
bad_line() {
	{
		printf '{"id":"g1"}\n{"id":"g2"}\n'
		printf '%s\n' "$1"
		printf '{"id":"g4"}\n{"id":"g5"}\n'
	} > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:3$2" ]
	[ "${#lines[@]}" -eq 5 ]
	local msg=${2#:}
	local col=${msg%%:*}
	[ "$(printf '%s\n' "${lines[2]}" | jq -c .)" = "$(jq -n -c --arg m "${msg#*: }" --argjson c "$col" \
	    '{type:"grace.input.rejected",source:"grace-log",data:{input:"<stdin>",line:3,column:$c,error:$m}}')" ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -r '.id // "REJECTED"' | tr '\n' ' ')" = 'g1 g2 REJECTED g4 g5 ' ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g2 g4 g5 ' ]
	[ "$(printf '%s\n' "${lines[4]}" | jq .grace.log.seq)" -eq 4 ]
	grace-log verify -q audit.log
}

@test "bad input: a line that is not JSON" {
	bad_line 'deploy started' ':1: not JSON: unexpected '"'d'"
}

@test "bad input: JSON values that are not objects" {
	bad_line '[1,2]' ':1: expected a JSON object, got an array'
	rm -f audit.log
	bad_line '"text"' ':1: expected a JSON object, got a string'
	rm -f audit.log
	bad_line '42' ':1: expected a JSON object, got a number'
	rm -f audit.log
	bad_line 'null' ':1: expected a JSON object, got null'
}

@test "bad input: an object with trailing garbage, or truncated" {
	bad_line '{"id":"x"} {"id":"y"}' ':12: not JSON: unexpected data after the object'
	rm -f audit.log
	run -3 --separate-stderr grace-log append -f audit.log <<< '{"id":"x"'
	[[ "$stderr" == "grace-log: <stdin>:1:"* ]]
	[ ! -s audit.log ]
}

@test "bad input: a NUL byte" {
	printf '{"id":"g1"}\n{"id":"a\0b"}\n{"id":"g3"}\n' > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:2:9: NUL byte" ]
	[ "${lines[1]}" = '{"type":"grace.input.rejected","source":"grace-log","data":{"input":"<stdin>","line":2,"column":9,"error":"NUL byte"}}' ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g3 ' ]
}

@test "bad input: invalid UTF-8 (a stray byte, an overlong form, a surrogate)" {
	printf '{"id":"g1"}\n{"id":"\xff"}\n{"id":"\xc0\xaf"}\n{"id":"\xed\xa0\x80"}\n{"id":"caf\xc3\xa9"}\n' > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:2:8: invalid UTF-8
grace-log: <stdin>:3:8: invalid UTF-8
grace-log: <stdin>:4:8: invalid UTF-8" ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[1]}" = '{"type":"grace.input.rejected","source":"grace-log","data":{"input":"<stdin>","line":2,"column":8,"error":"invalid UTF-8"}}' ]
	# Good UTF-8 is kept byte for byte.
	[ "$(ids audit.log | tr '\n' ' ')" = "g1 café " ]
}

@test "bad input: a line longer than --max-line, and the limit itself" {
	{
		printf '{"id":"g1"}\n'
		printf '{"id":"%s"}\n' "$(head -c 300 /dev/zero | tr '\0' x)"
		printf '{"id":"g3"}\n'
	} > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log --max-line 100 < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:2: line longer than 100 bytes (see --max-line)" ]
	[ "${lines[1]}" = '{"type":"grace.input.rejected","source":"grace-log","data":{"input":"<stdin>","line":2,"error":"line longer than 100 bytes (see --max-line)"}}' ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g3 ' ]
	# Exactly the limit is accepted; one byte more is not.
	run -0 --separate-stderr grace-log append -f audit.log --max-line 11 <<< '{"id":"g4"}'
	run -3 --separate-stderr grace-log append -f audit.log --max-line 10 <<< '{"id":"g5"}'
	[ "$stderr" = "grace-log: <stdin>:1: line longer than 10 bytes (see --max-line)" ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g3 g4 ' ]
}

@test "bad input: a too-long line larger than the read buffer, and one at the end without a newline" {
	{
		printf '{"id":"g1"}\n'
		printf '{"id":"'; head -c 3000000 /dev/zero | tr '\0' x; printf '"}\n'
		printf '{"id":"g3"}\n'
		printf '{"id":"'; head -c 50 /dev/zero | tr '\0' y; printf '"}'
	} > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log --max-line 40 in.ndjson
	[ "$stderr" = "grace-log: in.ndjson:2: line longer than 40 bytes (see --max-line)
grace-log: in.ndjson:4: line longer than 40 bytes (see --max-line)" ]
	[ "${#lines[@]}" -eq 4 ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g3 ' ]
}

# Regression: --max-line took up to 1 GiB, but verify refuses a record
# line over 64 MiB + 256 bytes, so a big event made a log that append
# wrote and verify called broken ("malformed record: line too long").
@test "--max-line is capped at what a record holds; the largest event round-trips" {
	run -2 --separate-stderr grace-log append -f big.log --max-line 67108865
	[ "$stderr" = "grace-log: append: --max-line takes a byte count from 1 to 67108864, not '67108865'
Try 'grace-log append --help' for more information." ]
	{ printf '{"x":"'; head -c $((67108864 - 8)) /dev/zero | tr '\0' y; printf '"}\n'; } > big.ndjson
	[ "$(wc -c < big.ndjson)" -eq 67108865 ]
	grace-log append -f big.log --max-line 67108864 < big.ndjson > out
	[ "$(wc -c < out)" -gt 67108864 ]
	grace-log verify -q big.log
	grace-log append -f big.log <<< '{"id":"after"}' > /dev/null
	grace-log verify -q big.log
	grace-log cat -e big.log > events
	cmp events <(cat big.ndjson; echo '{"id":"after"}')
	grace-log tail -n 1 -e -f big.log > last
	[ "$(cat last)" = '{"id":"after"}' ]
}

@test "a last line without a newline is accepted" {
	printf '{"id":"g1"}\n{"id":"g2"}' > in.ndjson
	run -0 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g2 ' ]
	grace-log verify -q audit.log
}

@test "empty and blank lines are skipped but counted in line numbers" {
	printf '{"id":"g1"}\n\n   \n\t\nbad\n{"id":"g6"}\n\n' > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:5:1: not JSON: unexpected 'b'" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(printf '%s\n' "${lines[1]}" | jq .data.line)" -eq 5 ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g6 ' ]
	# Only empty lines: nothing to do, and that is fine.
	printf '\n\n' | grace-log append -f empty.log
	[ ! -s empty.log ]
}

@test "several bad lines in one stream: each reported in place, every good line kept" {
	printf '{"id":"g1"}\nnope\n{"id":"g3"}\n[]\n{"id":"g5"}\n' > in.ndjson
	run -3 --separate-stderr grace-log append -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:2:1: not JSON: unexpected 'n'
grace-log: <stdin>:4:1: expected a JSON object, got an array" ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -r '.id // "R\(.data.line)"' | tr '\n' ' ')" = 'g1 R2 g3 R4 g5 ' ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g3 g5 ' ]
}

@test "--strict stops at the first bad line, with the lines before it appended" {
	printf '{"id":"g1"}\n{"id":"g2"}\nnope\n{"id":"g4"}\n' > in.ndjson
	run -3 --separate-stderr grace-log append --strict -f audit.log < in.ndjson
	[ "$stderr" = "grace-log: <stdin>:3:1: not JSON: unexpected 'n'
grace-log: stopped at the first bad line (--strict); 2 events appended before it" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(printf '%s\n' "${lines[2]}" | jq -r .type)" = grace.input.rejected ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'g1 g2 ' ]
	# A later file is not read either.
	printf '{"id":"h1"}\n' > more.ndjson
	run -3 --separate-stderr grace-log append --strict -f strict2.log in.ndjson more.ndjson
	[ "$(ids strict2.log | tr '\n' ' ')" = 'g1 g2 ' ]
}

@test "input from FILE arguments names the file, and counts lines per file" {
	printf '{"id":"a1"}\nbad\n' > a.ndjson
	printf '{"id":"b1"}\n{"id":"b2"}\n[1]\n' > b.ndjson
	run -3 --separate-stderr grace-log append -f audit.log a.ndjson b.ndjson
	[ "$stderr" = "grace-log: a.ndjson:2:1: not JSON: unexpected 'b'
grace-log: b.ndjson:3:1: expected a JSON object, got an array" ]
	[ "$(printf '%s\n' "${lines[1]}" | jq -r .data.input)" = a.ndjson ]
	[ "$(printf '%s\n' "${lines[4]}" | jq -c '[.data.input,.data.line]')" = '["b.ndjson",3]' ]
	[ "$(ids audit.log | tr '\n' ' ')" = 'a1 b1 b2 ' ]
}

# ---------------------------------------------------------------- verify

@test "verify's result event for an intact log" {
	small_log audit.log 3
	run -0 --separate-stderr grace-log verify audit.log
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(printf '%s\n' "$output" | jq -c '[.type, .source, .data.files, .data.intact, .data.records, .data.first_seq, .data.last_seq, .data.warnings, .data.bytes]')" = \
	  "[\"grace.log.verification\",\"grace-log\",[\"audit.log\"],true,3,1,3,0,$(wc -c < audit.log)]" ]
	[ "$(printf '%s\n' "$output" | jq -r .data.head)" = "$(field audit.log 3 hash)" ]
	[ "$(printf '%s\n' "$output" | jq -r .data.last_time)" = "$(field audit.log 3 time)" ]
	[ "$(printf '%s\n' "$output" | jq 'has("time") and (.data | has("error") | not)')" = true ]
	# -q: the verdict is the exit status alone.
	run -0 --separate-stderr grace-log verify -q -f audit.log
	assert_output ''
	[ -z "$stderr" ]
}

@test "verify's result event for a broken log names the record and the reason" {
	small_log audit.log 4
	sed '3s/"s-3"/"s-X"/' audit.log > bad.log
	run -1 --separate-stderr grace-log verify bad.log
	[ "$stderr" = "grace-log: bad.log:3: record altered: its hash does not match its contents" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .last_seq, .error]')" = \
	  '[false,2,2,{"file":"bad.log","line":3,"seq":3,"torn":false,"reason":"record altered: its hash does not match its contents"}]' ]
	[ "$(printf '%s\n' "$output" | jq -r .data.head)" = "$(field audit.log 2 hash)" ]
	# The result event can itself be appended to a log.
	printf '%s\n' "$output" | grace-log append -f audit.log > /dev/null
	[ "$(grace-log cat -e audit.log | tail -n 1 | jq -r .type)" = grace.log.verification ]
}

@test "an empty log verifies, with the empty head" {
	: > empty.log
	run -0 --separate-stderr grace-log verify empty.log
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .head]')" = "[true,0,\"$ZEROS\"]" ]
}

@test "time going backwards is a warning on stderr, not a broken chain" {
	small_log audit.log 3
	# Set record 2's time back a year, and rebuild the chain after it.
	sed '2s/"time":"[^"]*"/"time":"2001-02-03T04:05:06.000007Z"/' audit.log | rechain > back.log
	local t1
	t1=$(field audit.log 1 time)
	run -0 --separate-stderr grace-log verify back.log
	[ "$stderr" = "grace-log: back.log:2: warning: time goes backwards: 2001-02-03T04:05:06.000007Z after $t1 (the chain is intact)" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .warnings]')" = '[true,3,1]' ]
	# A record with the same time as the one before is no warning.
	sed '2s/"time":"[^"]*"/"time":"'"$t1"'"/' audit.log | rechain > same.log
	run -0 --separate-stderr grace-log verify -q same.log
	[ -z "$stderr" ]
}

# ------------------------------------------------------------ cat / tail

@test "cat prints the records; cat -e the events; several files in order" {
	gen_events 3 a > a.ndjson
	grace-log append -f audit.log < a.ndjson > /dev/null
	run -0 --separate-stderr grace-log cat audit.log
	[ "$output" = "$(cat audit.log)" ]
	run -0 --separate-stderr grace-log cat -e -f audit.log
	[ "$output" = "$(cat a.ndjson)" ]
	run -0 --separate-stderr grace-log cat -e audit.log audit.log
	[ "${#lines[@]}" -eq 6 ]
	[ "$(printf '%s\n' "${lines[3]}")" = "$(sed -n 1p a.ndjson)" ]
	: > empty.log
	run -0 --separate-stderr grace-log cat empty.log
	assert_output ''
}

@test "cat -e reports a line that is not a record" {
	small_log audit.log 2
	printf 'garbage\n' >> audit.log
	run -3 --separate-stderr grace-log cat -e audit.log
	[ "$stderr" = "grace-log: audit.log:3: malformed record: too short" ]
	assert_output '{"id":"s-1"}
{"id":"s-2"}'
}

@test "tail -n N, -n +N, -n 0 and -e" {
	small_log audit.log 5
	run -0 --separate-stderr grace-log tail -f audit.log
	[ "$output" = "$(cat audit.log)" ]
	run -0 --separate-stderr grace-log tail -n 2 -f audit.log
	[ "$output" = "$(sed -n '4,5p' audit.log)" ]
	run -0 --separate-stderr grace-log tail -n 2 -e -f audit.log
	assert_output '{"id":"s-4"}
{"id":"s-5"}'
	run -0 --separate-stderr grace-log tail -n +4 -e audit.log
	assert_output '{"id":"s-4"}
{"id":"s-5"}'
	run -0 --separate-stderr grace-log tail -n 0 -f audit.log
	assert_output ''
	run -0 --separate-stderr grace-log tail -n 99 -e -f audit.log
	[ "${#lines[@]}" -eq 5 ]
}

# Regression: with a torn tail, tail -n 2 printed one record (the torn
# bytes counted as a line) and cat printed the torn bytes as a record.
@test "cat and tail do not print a torn last record as a record" {
	small_log audit.log 3
	printf '{"seq":4,"prev":"%s' "$(field audit.log 3 hash)" >> audit.log
	run -0 --separate-stderr grace-log tail -n 2 -e -f audit.log
	assert_output '{"id":"s-2"}
{"id":"s-3"}'
	run -3 --separate-stderr grace-log cat audit.log
	[ "$output" = "$(head -n 3 audit.log)" ]
	[ "$stderr" = "grace-log: audit.log:4: torn last record: 81 bytes after the last newline, not printed (a crash during append?); 'grace-log repair' moves them aside" ]
	run -3 --separate-stderr grace-log cat -e audit.log
	assert_output '{"id":"s-1"}
{"id":"s-2"}
{"id":"s-3"}'
}

@test "tail -F -e follows the log as it grows" {
	small_log audit.log 2 a
	grace-log tail -F -e -n 1 -f audit.log > out 2> err 3>&- &
	local pid=$!
	bg_started "$pid"
	wait_lines out 1
	small_log audit.log 3 b
	wait_lines out 4
	small_log audit.log 1 c
	wait_lines out 5
	kill "$pid"
	wait "$pid" || true
	[ "$(ids out | tr '\n' ' ')" = 'a-2 b-1 b-2 b-3 c-1 ' ]
	[ ! -s err ]
}

@test "append: an input file that cannot be opened stops, after what was read is appended" {
	gen_events 3 > first.ndjson
	run -4 --separate-stderr grace-log append -f audit.log first.ndjson missing.ndjson
	[ "$stderr" = "grace-log: missing.ndjson: unable to open: No such file or directory" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(wc -l < audit.log)" -eq 3 ]
	grace-log verify -q audit.log
}

# Regression: a log whose last seq is the largest 19 digits hold made the
# next append write a 20-digit seq, which no reader parses: the chain was
# corrupted by its own writer.
@test "append and rotate refuse a log whose last seq is the largest the format allows (exit 4, nothing written)" {
	local max=9999999999999999999 before
	forge_record 9999999999999999998 "$ZEROS" '{"id":"x"}' > a.log
	run -0 --separate-stderr grace-log append -f a.log <<<'{"id":"y"}'
	# (not with jq: jq 1.6 reads the number as a double)
	assert_output --partial "\"grace\":{\"log\":{\"seq\":$max,"
	[ "$(sed -n 2p a.log | cut -c1-27)" = "{\"seq\":$max," ]
	before=$(sha256_hex < a.log)
	run -4 --separate-stderr grace-log append -f a.log <<<'{"id":"z"}'
	assert_output ''
	[ "$stderr" = "grace-log: a.log: unable to append: the last record has seq $max, the largest the format allows; no record can follow it (nothing was written)" ]
	[ "$(sha256_hex < a.log)" = "$before" ]
	run -4 --separate-stderr grace-log rotate -f a.log
	[ "$stderr" = "grace-log: a.log: unable to rotate: the last record has seq $max, the largest the format allows; no record can follow it (nothing was written)" ]
	[ "$(sha256_hex < a.log)" = "$before" ]
	[ "$(ls a.log*)" = "a.log" ] || { ls; false; }
}
