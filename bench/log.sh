#!/bin/sh
# bench/log.sh - grace-log throughput, as ratios against tools measured in
# the same run (machines are shared and noisy: compare, don't trust one
# absolute number). Each timing is the best of $REPS runs.
#
#   BENCH_EVENTS=1000000 (events generated, ~300 bytes each)
#   BENCH_SHELL_EVENTS=300 (the shell one-liner is slow: a smaller sample)
#   REPS=3
# Exit status 1 if a target is missed.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-1000000}
NS=${BENCH_SHELL_EVENTS:-300}
REPS=${REPS:-3}
. bench/lib.sh

echo "grace-log benchmark: $N events, best of $REPS runs each"
# CloudEvents-shaped events of about 300 bytes, varied like real ones.
awk -v n="$N" 'BEGIN{
	split("deploy.requested deploy.completed healing.proposed data.access", ty, " ");
	split("alice bob ci-bot avn", ac, " ");
	srand(1);
	for (i = 0; i < n; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"evt-%08d\",\"source\":\"/ci/pipeline/%d\",\"type\":\"%s\",\"time\":\"2026-11-21T23:50:%02d.%06dZ\",\"subject\":\"service-%d\",\"actor\":\"%s\",\"resource\":\"prod/api-%d\",\"data\":{\"env\":\"prod\",\"version\":\"1.%d.%d\",\"error_rate\":%.5f,\"latency_ms\":%d}}\n", i, i%50, ty[1+i%4], i%60, i%1000000, i%200, ac[1+int(rand()*4)], i%30, i%9, i%77, rand()/100, 1+int(rand()*900)
}' > "$dir/ev.ndjson"
evbytes=$(wc -c < "$dir/ev.ndjson")
printf 'events: %d bytes, %.0f bytes/event\n\n' "$evbytes" "$(awk -v b="$evbytes" -v n="$N" 'BEGIN{print b/n}')"

# --- append ---------------------------------------------------------------
BENCH_PREP="rm -f '$dir/a.log'"
t_none=$(best "grace-log append -f '$dir/a.log' --sync=none < '$dir/ev.ndjson' > /dev/null")
t_batch=$(best "grace-log append -f '$dir/a.log' --sync=batch < '$dir/ev.ndjson' > /dev/null")
BENCH_PREP=""
logbytes=$(wc -c < "$dir/a.log")
t_sha_ev=$(best "openssl dgst -sha256 '$dir/ev.ndjson' > /dev/null")
t_sha_log=$(best "openssl dgst -sha256 '$dir/a.log' > /dev/null")
t_jq=$(best "jq -c . '$dir/ev.ndjson' > /dev/null")

# --- verify ---------------------------------------------------------------
t_verify=$(best "grace-log verify -q '$dir/a.log'")

# --- the shell one-liner a user would otherwise write ----------------------
head -n "$NS" "$dir/ev.ndjson" > "$dir/small.ndjson"
cat > "$dir/oneliner.sh" <<'SH'
prev=0000000000000000000000000000000000000000000000000000000000000000
while IFS= read -r line; do
	rec=$(printf '%s\n' "$line" | jq -c --arg prev "$prev" '{prev: $prev, event: .}')
	prev=$(printf '%s' "$rec" | sha256sum | cut -d' ' -f1)
	printf '%s %s\n' "$rec" "$prev"
done
SH
# One run each: at a few dozen events a second there is no noise to beat.
t_shell=$(REPS=1 best "sh '$dir/oneliner.sh' < '$dir/small.ndjson' > '$dir/shell.log'")
t_shell_verify=$(REPS=1 best "sh -c 'while IFS= read -r l; do printf \"%s\" \"\${l% *}\" | sha256sum >/dev/null; done' < '$dir/shell.log'")

r_none=$(rate "$N" "$t_none"); r_batch=$(rate "$N" "$t_batch")
r_verify=$(rate "$N" "$t_verify"); r_jq=$(rate "$N" "$t_jq")
r_shell=$(rate "$NS" "$t_shell"); r_shell_verify=$(rate "$NS" "$t_shell_verify")

printf '%-40s %12s %10s\n' "" "events/s" "MB/s"
printf '%-40s %12s %10s\n' "openssl dgst -sha256 (events)" "$(rate "$N" "$t_sha_ev")" "$(mbs "$evbytes" "$t_sha_ev")"
printf '%-40s %12s %10s\n' "openssl dgst -sha256 (log records)" "$(rate "$N" "$t_sha_log")" "$(mbs "$logbytes" "$t_sha_log")"
printf '%-40s %12s %10s\n' "jq -c . (parse and print)" "$r_jq" "$(mbs "$evbytes" "$t_jq")"
printf '%-40s %12s %10s\n' "grace-log append --sync=none" "$r_none" "$(mbs "$evbytes" "$t_none")"
printf '%-40s %12s %10s\n' "grace-log append --sync=batch" "$r_batch" "$(mbs "$evbytes" "$t_batch")"
printf '%-40s %12s %10s\n' "grace-log verify" "$r_verify" "$(mbs "$logbytes" "$t_verify")"
printf '%-40s %12s %10s\n' "shell one-liner append (jq+sha256sum)" "$r_shell" "-"
printf '%-40s %12s %10s\n' "shell one-liner verify (sha256sum)" "$r_shell_verify" "-"
echo
echo "ratios (same run):"
printf '  append none  vs sha256 of the event bytes: %sx the time\n' "$(ratio "$t_none" "$t_sha_ev")"
printf '  append none  vs sha256 of the log bytes:   %sx the time\n' "$(ratio "$t_none" "$t_sha_log")"
printf '  append batch vs append none:               %sx the time\n' "$(ratio "$t_batch" "$t_none")"
printf '  verify       vs sha256 of the log bytes:   %sx the time\n' "$(ratio "$t_verify" "$t_sha_log")"
printf '  append none  vs jq -c .:                   %sx faster\n' "$(ratio "$r_none" "$r_jq")"
printf '  append none  vs the shell one-liner:       %sx faster\n' "$(ratio "$r_none" "$r_shell")"
printf '  verify       vs the shell one-liner:       %sx faster\n' "$(ratio "$r_verify" "$r_shell_verify")"
echo
check "append --sync=none events/s" "$r_none" ">=" 1000000
check "verify events/s" "$r_verify" ">=" 2000000
check "verify time / sha256 time (log bytes)" "$(ratio "$t_verify" "$t_sha_log")" "<=" 3
check "append batch time / append none time" "$(ratio "$t_batch" "$t_none")" "<=" 2
exit $missed
