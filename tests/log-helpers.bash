# log-helpers.bash - helpers for the grace-log suites (tests/log*.bats).
# Everything here works from the bytes, with coreutils, perl-base, jq and
# openssl, so that the tests do not trust grace-log's own code.
load helpers
bats_require_minimum_version 1.5.0

ZEROS=0000000000000000000000000000000000000000000000000000000000000000

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Background processes a test started (pids in $BATS_TEST_TMPDIR/pids)
# are killed even when it fails half way.
teardown() {
	local p
	if [ -f "$BATS_TEST_TMPDIR/pids" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null || true
		done < "$BATS_TEST_TMPDIR/pids"
	fi
}

# small_log LOG N [PREFIX]: append N short events {"id":"PREFIX-i"}.
small_log() {
	local i
	for ((i = 1; i <= $2; i++)); do
		printf '{"id":"%s-%d"}\n' "${3:-s}" "$i"
	done | grace-log append -f "$1" >/dev/null
}

# events N PREFIX [FIRST]: like gen_events (from number FIRST on, default
# 1, up to N), with awk: a bash loop in a bats test runs under bats'
# tracing, which makes 10,000 iterations take seconds.
events() {
	awk -v n="$1" -v p="$2" -v first="${3:-1}" 'BEGIN {
		for (i = first; i <= n; i++)
			printf "{\"specversion\":\"1.0\",\"id\":\"%s-%d\",\"type\":\"deploy.requested\",\"source\":\"ci/pipeline\",\"actor\":\"alice\",\"data\":{\"n\":%d}}\n", p, i, i
	}'
}

# sha256_hex: the SHA-256 of stdin, in hex.
sha256_hex() {
	local h
	h=$(sha256sum)
	printf '%s\n' "${h%% *}"
}

# rechain < LOG > NEW: what a forger with write access does: set every
# record's prev to the hash before it and recompute its hash (SHA-256 of
# the bytes before ,"hash":" -- grace-log(5)). The result is a consistent
# chain that verify alone cannot tell from the original.
rechain() {
	local line body pre rest h prev=$ZEROS
	while IFS= read -r line; do
		body=${line%,\"hash\":\"*}
		pre=${body%%,\"prev\":\"*}
		rest=${body#*,\"prev\":\"}
		body="$pre,\"prev\":\"$prev${rest:64}"
		h=$(printf '%s' "$body" | sha256_hex)
		printf '%s,"hash":"%s"}\n' "$body" "$h"
		prev=$h
	done
}

# forge_record SEQ PREV EVENT [TIME]: a well-formed record with a correct
# hash (TIME: default 1970-01-01T00:00:00.000000Z).
forge_record() {
	local body h t=${4:-1970-01-01T00:00:00.000000Z}
	body=$(printf '{"seq":%s,"prev":"%s","time":"%s","event":%s' "$1" "$2" "$t" "$3")
	h=$(printf '%s' "$body" | sha256_hex)
	printf '%s,"hash":"%s"}\n' "$body" "$h"
}

# field LOG N NAME: the string member NAME of record N (seq, prev, hash...).
field() {
	sed -n "${2}p" "$1" | jq -r ".$3"
}

# ids FILE: the "id" members of the events in FILE (records or events),
# one per line, in order; lines that are not whole JSON are skipped.
ids() {
	jq -R -r 'fromjson? | (.event // .) | .id // empty' "$1"
}

# wait_lines FILE N: wait (at most 5 s) until FILE has at least N lines.
wait_lines() {
	local i
	for ((i = 0; i < 50; i++)); do
		if [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "timed out: $1 has $(wc -l < "$1" 2>/dev/null || echo 0) lines, want $2" >&2
	return 1
}

# bg_started PID: remember a background process for teardown.
bg_started() {
	echo "$1" >> "$BATS_TEST_TMPDIR/pids"
}
