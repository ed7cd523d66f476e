#!/bin/sh
# bench/gate.sh - grace-gate throughput against the same governance written
# as one jq program (bench/gate/rules.jq, what a user would otherwise run),
# on the same generated events, measured side by side in one run (machines
# are shared and noisy: compare, don't trust one absolute number). Each
# timing is the best of $REPS runs.
#
# The governance (bench/gate/governance.yaml): a constitution of 3 rules,
# 10 threat rules (regexes over the whole event), 50 policies (46 native
# match: conditions, 4 jq when:), trust scores, a risk rule and risk tiers.
# Before timing, the decisions, rules and risk of both are compared on every
# event: the jq program must be the same governance, or the ratio means
# nothing.
#
#   BENCH_EVENTS=100000 (events generated, ~300 bytes each; jq takes ~20s
#                       a pass over them)
#   REPS=3
# Exit status 1 if a target is missed, 4 if the two disagree (the ratio
# would mean nothing) or a command fails.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-100000}
REPS=${REPS:-3}
GOV=bench/gate/governance.yaml
JQP=bench/gate/rules.jq
. bench/lib.sh

grace-gate -c "$GOV" --check > /dev/null || exit 4
echo "grace-gate benchmark: $N events, best of $REPS runs each"
# CloudEvents of about 300 bytes: ten types, eight actors, varied data; one
# in a hundred carries a secret or an injection marker.
awk -v n="$N" 'BEGIN{
	split("deploy.requested deploy.completed healing.proposed data.access config.changed service.scale secret.read user.login resource.delete backup.run", ty, " ");
	split("alice bob carol dave intern ci-bot avn mallory", ac, " ");
	split("dev staging prod prod", en, " ");
	split("restart clear-cache failover scale reboot", act, " ");
	split("public internal confidential pii", cl, " ");
	split("support billing marketing rotation", pu, " ");
	split("prod/api prod/db staging/api backup/db dev/web", rs, " ");
	split("FR US DE KP JP", co, " ");
	split("AKIAABCDEFGHIJKLMNOP;-----BEGIN RSA PRIVATE KEY-----;x; rm -rf /tmp/x;1 union select pass from users;../../etc/passwd;eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3In0.sig", bad, ";");
	srand(1);
	for (i = 0; i < n; i++) {
		t = 1 + i % 10;
		a = ac[1 + int(rand() * 7.02)];
		e = en[1 + int(rand() * 4)];
		r = rand();
		if (t == 1) d = sprintf("\"env\":\"%s\",\"version\":\"%d.%d.%d\",\"replicas\":%d,\"signed\":%s", e, int(r * 3), i % 9, i % 77, int(rand() * 80), (rand() < 0.9 ? "true" : "false"));
		else if (t == 2) d = sprintf("\"env\":\"%s\",\"error_rate\":%.4f,\"latency_ms\":%d", e, rand() / 50, 1 + int(rand() * 900));
		else if (t == 3) d = sprintf("\"env\":\"%s\",\"action\":\"%s\",\"replicas\":%d", e, act[1 + int(r * 5)], int(rand() * 30));
		else if (t == 4) d = sprintf("\"classification\":\"%s\",\"purpose\":\"%s\",\"rows\":%d", cl[1 + int(r * 4)], pu[1 + int(rand() * 4)], int(rand() * 20000));
		else if (t == 5) d = sprintf("\"env\":\"%s\"%s", e, (r < 0.05 ? ",\"key\":\"db_password\"" : ""));
		else if (t == 6) d = sprintf("\"env\":\"%s\",\"replicas\":%d", e, int(r * 130));
		else if (t == 7) d = sprintf("\"purpose\":\"%s\"", pu[1 + int(r * 4)]);
		else if (t == 8) d = sprintf("\"mfa\":%s,\"country\":\"%s\",\"user\":\"%s\"", (r < 0.8 ? "true" : "false"), co[1 + int(rand() * 5)], (rand() < 0.02 ? "root" : a));
		else if (t == 9) d = sprintf("\"env\":\"%s\",\"count\":%d", e, int(r * 150));
		else d = sprintf("\"env\":\"%s\",\"encrypted\":%s,\"size_gb\":%d", e, (r < 0.9 ? "true" : "false"), int(rand() * 800));
		note = "change " i % 97;
		if (rand() < 0.01) note = bad[1 + int(rand() * 7)];
		printf "{\"specversion\":\"1.0\",\"id\":\"evt-%08d\",\"source\":\"%s\",\"type\":\"%s\",\"time\":\"2026-11-21T23:50:%02d.%06dZ\",\"subject\":\"service-%d\",\"datacontenttype\":\"application/json\",\"actor\":\"%s\",\"resource\":\"%s-%d\",\"data\":{%s,\"note\":\"%s\"}}\n",
		    i, (rand() < 0.95 ? "ci/pipeline/" i % 50 : "ops/console"), ty[t], i % 60, i % 1000000, i % 200, a, rs[1 + int(rand() * 5)], i % 30, d, note
	}
}' > "$dir/ev.ndjson"
evbytes=$(wc -c < "$dir/ev.ndjson")
printf 'events: %d bytes, %.0f bytes/event\n' "$evbytes" "$(awk -v b="$evbytes" -v n="$N" 'BEGIN{print b/n}')"

# Same governance? Compare decision, rules and risk event by event.
grace-gate -q --no-fail -c "$GOV" "$dir/ev.ndjson" |
	jq -c '[.id, .grace.gate.decision, .grace.gate.rules, .grace.gate.risk]' > "$dir/a"
jq -c -f "$JQP" "$dir/ev.ndjson" |
	jq -c '[.id, .grace.gate.decision, .grace.gate.rules, .grace.gate.risk]' > "$dir/b"
if ! cmp -s "$dir/a" "$dir/b"; then
	echo "bench: grace-gate and $JQP disagree; first differences:" >&2
	diff "$dir/a" "$dir/b" | head -10 >&2
	exit 4
fi
printf 'decisions: grace-gate and jq agree on all %d events (%s)\n\n' "$N" \
    "$(jq -r '.[1]' "$dir/a" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')"

t_gate=$(best "grace-gate -q --no-fail -c '$GOV' '$dir/ev.ndjson' > /dev/null")
t_jq=$(best "jq -c -f '$JQP' '$dir/ev.ndjson' > /dev/null")
t_parse=$(best "jq -c . '$dir/ev.ndjson' > /dev/null")
r_gate=$(rate "$N" "$t_gate"); r_jq=$(rate "$N" "$t_jq"); r_parse=$(rate "$N" "$t_parse")

printf '%-44s %12s %10s\n' "" "events/s" "MB/s"
printf '%-44s %12s %10s\n' "jq -c . (parse and print only)" "$r_parse" "$(mbs "$evbytes" "$t_parse")"
printf '%-44s %12s %10s\n' "jq -c -f rules.jq (the same governance)" "$r_jq" "$(mbs "$evbytes" "$t_jq")"
printf '%-44s %12s %10s\n' "grace-gate" "$r_gate" "$(mbs "$evbytes" "$t_gate")"
echo
echo "ratios (same run):"
printf '  grace-gate vs jq -f rules.jq:  %sx faster\n' "$(ratio "$r_gate" "$r_jq")"
printf '  grace-gate vs jq -c . alone:   %sx faster\n' "$(ratio "$r_gate" "$r_parse")"
echo
check "grace-gate / jq rules.jq (events/s)" "$(ratio "$r_gate" "$r_jq")" ">=" 10
exit $missed
