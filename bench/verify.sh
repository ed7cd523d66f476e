#!/bin/sh
# bench/verify.sh - grace-verify throughput with jq-only contracts, beside
# the jq program a user would write for the same verdicts, measured in the
# same run (machines are shared and noisy: compare, don't trust one
# absolute number). Each timing is the best of $REPS runs, on one core
# (taskset, when there is one; grace-verify -j 1 uses one thread anyway).
#
#   BENCH_EVENTS=1000000 (events generated, ~300 bytes each)
#   REPS=3
# Exit status 1 if a target is missed.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-1000000}
REPS=${REPS:-3}
pin=""
command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null && pin="taskset -c 0"

. bench/lib.sh

echo "grace-verify benchmark: $N events, best of $REPS runs each${pin:+, pinned to CPU 0}"
awk -v n="$N" 'BEGIN{
	split("deploy.requested deploy.completed healing.proposed data.access", ty, " ");
	split("alice bob ci-bot avn", ac, " ");
	srand(1);
	for (i = 0; i < n; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"evt-%08d\",\"source\":\"/ci/pipeline/%d\",\"type\":\"%s\",\"time\":\"2026-11-21T23:50:%02d.%06dZ\",\"subject\":\"service-%d\",\"actor\":\"%s\",\"resource\":\"prod/api-%d\",\"data\":{\"env\":\"prod\",\"version\":\"1.%d.%d\",\"error_rate\":%.5f,\"latency_ms\":%d}}\n", i, i%50, ty[1+i%4], i%60, i%1000000, i%200, ac[1+int(rand()*4)], i%30, i%9, i%77, rand()/100, 1+int(rand()*900)
}' > "$dir/ev.ndjson"

# Four contracts, seven jq checks, a `when`: every event meets one.
cat > "$dir/contracts.yaml" <<'EOF'
contracts:
  - id: deploy-completed
    match: {type: deploy.completed}
    when: '.data.env == "prod"'
    checks:
      - {name: error-rate, jq: '.data.error_rate < 0.009'}
      - {name: latency, jq: '.data.latency_ms <= 800'}
      - {name: version, jq: '.data.version != null'}
  - id: deploy-requested
    match: {type: deploy.requested}
    checks:
      - {name: actor, jq: '.actor != "avn"'}
      - {name: resource, jq: '.resource != null and .subject != null'}
  - id: healing
    match: {type: healing.proposed}
    checks:
      - {name: env, jq: '.data.env == "prod" or .data.env == "staging"'}
  - id: access
    match: {type: data.access}
    checks:
      - {name: actor, jq: '.actor == "alice" or .actor == "bob"'}
EOF
# The same verdicts as one jq program.
cat > "$dir/equivalent.jq" <<'EOF'
def check($name; ok): {name: $name, kind: "jq", result: (if ok then "pass" else "fail" end), message: ""};
def verdict($id; cs): cs as $c | .grace.verify = {
  status: (if all($c[]; .result == "pass") then "verified" else "failed" end),
  confidence: (($c | map(select(.result == "pass")) | length) / ($c | length)),
  checks: $c, contract: $id};
if .type == "deploy.completed" and .data.env == "prod" then
  verdict("deploy-completed"; [check("error-rate"; .data.error_rate < 0.009),
    check("latency"; .data.latency_ms <= 800), check("version"; .data.version != null)])
elif .type == "deploy.requested" then
  verdict("deploy-requested"; [check("actor"; .actor != "avn"),
    check("resource"; .resource != null and .subject != null)])
elif .type == "healing.proposed" then
  verdict("healing"; [check("env"; .data.env == "prod" or .data.env == "staging")])
elif .type == "data.access" then
  verdict("access"; [check("actor"; .actor == "alice" or .actor == "bob")])
else . end
EOF
# The same contracts with one condition outside the native subset: those
# contracts run through libjq (one jv parse, one jq_start per event).
sed 's/jq: .\.data\.version != null./jq: '"'"'.data.version | startswith("1.")'"'"'/' \
    "$dir/contracts.yaml" > "$dir/contracts-libjq.yaml"

# Same verdicts both ways (statuses per event).
head -n 2000 "$dir/ev.ndjson" > "$dir/small.ndjson"
grace-verify -c "$dir/contracts.yaml" "$dir/small.ndjson" | jq -r .grace.verify.status > "$dir/a" || true
jq -c -f "$dir/equivalent.jq" "$dir/small.ndjson" | jq -r .grace.verify.status > "$dir/b"
cmp -s "$dir/a" "$dir/b" || { echo "bench: grace-verify and the jq program disagree" >&2; exit 4; }

t_gv=$(best "$pin grace-verify -c '$dir/contracts.yaml' '$dir/ev.ndjson' > /dev/null; [ \$? -le 1 ]")
t_lib=$(best "$pin grace-verify -c '$dir/contracts-libjq.yaml' '$dir/ev.ndjson' > /dev/null; [ \$? -le 1 ]")
t_jq=$(best "$pin jq -c -f '$dir/equivalent.jq' '$dir/ev.ndjson' > /dev/null")
t_parse=$(best "$pin jq -c . '$dir/ev.ndjson' > /dev/null")

r_gv=$(rate "$N" "$t_gv"); r_lib=$(rate "$N" "$t_lib")
r_jq=$(rate "$N" "$t_jq"); r_parse=$(rate "$N" "$t_parse")
printf '%-56s %12s\n' "" "events/s"
printf '%-56s %12s\n' "grace-verify, jq-only contracts (native conditions)" "$r_gv"
printf '%-56s %12s\n' "grace-verify, 1 of 4 contracts through libjq" "$r_lib"
printf '%-56s %12s\n' "jq -c -f equivalent.jq (the same verdicts)" "$r_jq"
printf '%-56s %12s\n' "jq -c . (parse and print only)" "$r_parse"
echo
echo "ratios (same run):"
printf '  grace-verify vs the equivalent jq program: %sx faster\n' "$(ratio "$r_gv" "$r_jq")"
printf '  grace-verify vs jq -c .:                   %sx faster\n' "$(ratio "$r_gv" "$r_parse")"
echo
check "jq-only contracts events/s (one core)" "$r_gv" ">=" 200000
exit $missed
