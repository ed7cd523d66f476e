#!/bin/sh
# bench/decide.sh - grace-decide throughput with the shipped
# config/decide.yaml, on generated ~340-byte events that carry realistic
# grace.gate, grace.heal, grace.verify and grace.mldl annotations, beside
# the same decision written as a jq program (jq -c -f decide.jq) measured
# in the same run. Each timing is the best of $REPS runs. grace-decide is
# single-threaded: its rate is the rate on one core.
#
#   BENCH_EVENTS=1000000  events for grace-decide
#   BENCH_JQ_EVENTS=50000 events for jq (about 20k/s: a smaller sample)
#   REPS=3
# Exit status 1 if the 500,000 events/s target is missed, or if jq and
# grace-decide disagree on the sampled decisions.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-1000000}
NJ=${BENCH_JQ_EVENTS:-50000}
CFG=$PWD/config/decide.yaml
REPS=${REPS:-3}
. bench/lib.sh
# grace-decide exits 1 when a decision is not approve: that is expected.
BEST_OK=1

echo "grace-decide benchmark: $N events (jq: $NJ), best of $REPS runs each"
# Mostly allowed, healthy, verified events, with the mix a pipeline sees:
# warnings, reviews, denies, anomalies of each severity, failed and
# inconclusive verifications, a model that sometimes times out.
awk -v n="$N" 'BEGIN{
	split("deploy.requested deploy.completed healing.proposed data.access", ty, " ");
	split("alice bob ci-bot avn", ac, " ");
	split("low medium high critical", sv, " ");
	srand(1);
	for (i = 0; i < n; i++) {
		r = rand();
		g = r < 0.80 ? "allow" : r < 0.90 ? "warn" : r < 0.95 ? "review" : "deny";
		rk = g == "deny" ? "critical" : g == "review" ? "high" : g == "warn" ? "medium" : "low";
		if (rand() < 0.9)
			heal = sprintf("{\"anomaly\":false,\"severity\":\"none\",\"score\":%.2f}", rand() / 10);
		else
			heal = sprintf("{\"anomaly\":true,\"severity\":\"%s\",\"score\":%.2f}", sv[1 + int(rand() * 4)], 0.5 + rand() / 2);
		r = rand();
		ver = r < 0.85 ? sprintf("{\"status\":\"verified\",\"confidence\":%.2f}", 0.8 + rand() / 5) : r < 0.9 ? sprintf("{\"status\":\"failed\",\"confidence\":%.2f}", 0.7 + rand() / 4) : "{\"status\":\"inconclusive\",\"confidence\":0.5}";
		ml = rand() < 0.98 ? sprintf("{\"score\":%.3f}", rand()) : "{\"error\":\"model timeout\"}";
		printf "{\"specversion\":\"1.0\",\"id\":\"evt-%08d\",\"type\":\"%s\",\"actor\":\"%s\",\"resource\":\"prod/api-%d\",\"grace\":{\"gate\":{\"decision\":\"%s\",\"rules\":[\"policy-%d\"],\"risk\":\"%s\",\"trust\":0.9,\"mode\":\"enforce\"},\"heal\":%s,\"verify\":%s,\"mldl\":%s}}\n", i, ty[1 + i % 4], ac[1 + int(rand() * 4)], i % 30, g, i % 50, rk, heal, ver, ml
	}
}' > "$dir/ev.ndjson"
head -n "$NJ" "$dir/ev.ndjson" > "$dir/small.ndjson"
# Fewer events than the sample size: the sample is all of them (the
# agreement target counts the lines compared, not the size asked for).
NJ=$(wc -l < "$dir/small.ndjson")
evbytes=$(wc -c < "$dir/ev.ndjson")
printf 'events: %d bytes, %.0f bytes/event\n\n' "$evbytes" "$(awk -v b="$evbytes" -v n="$N" 'BEGIN{print b/n}')"

# The decision of config/decide.yaml, as the jq program a user would
# otherwise write: the same input mapping, missing-input policy,
# precedence, rules, weights, thresholds and confidence.
cat > "$dir/decide.jq" <<'JQ'
def r4: ((. * 10000 + 0.500001) | floor) / 10000;
def gate($x):
  if $x.decision == "allow" then {op: "permit", score: 1, cert: 1}
  elif $x.decision == "warn" then {op: "permit", score: 0.7, cert: 1}
  elif $x.decision == "review" then {op: "hold", score: 0.5, cert: 1}
  elif $x.decision == "deny" then {op: "deny", score: 0, cert: 1}
  else {op: "indeterminate", cert: 0} end;
def heal($x):
  if ($x.error // null) != null then {op: "indeterminate", cert: 0}
  else ($x.severity // (if $x.anomaly == true then "medium"
         elif $x.anomaly == false then "none" else null end)) as $s
  | ({"none": 1, "low": 0.75, "medium": 0.5, "high": 0.25, "critical": 0}[$s // "?"]) as $d
  | if $d == null then {op: "indeterminate", cert: 0}
    else {op: (if $s == "none" then "permit" elif $s == "critical" then "hold" else "neutral" end),
          score: (if $x.score != null then 1 - $x.score else $d end), sev: $s, cert: 1} end end;
def verify($x):
  ($x.confidence // 1) as $c
  | if $x.status == "verified" then {op: "permit", score: $c, cert: $c}
    elif $x.status == "failed" then {op: "deny", score: (1 - $c), cert: $c}
    elif $x.status == "inconclusive" then {op: "neutral", score: 0.5, cert: $c}
    else {op: "indeterminate", cert: 0} end;
def scored($x; $deny):
  if ($x.error // null) != null or ($x.score | type) != "number" then {op: "indeterminate", cert: 0}
  elif $deny != null and $x.score < $deny then {op: "deny", score: $x.score, cert: 1}
  else {op: "neutral", score: $x.score, cert: 1} end;
def verdict_of($op; $onerr):
  if $op == "permit" then "approve" elif $op == "hold" then "hold"
  elif $op == "deny" then "reject"
  elif $op == "indeterminate" and $onerr != "ignore" then $onerr
  else empty end;
. as $e | ($e.grace // {}) as $g | ($e.type // "") as $t
| [ {n: "governance", w: 0.35, onerr: "escalate",
     s: (if $g.gate == null then {op: "indeterminate", cert: 0} else gate($g.gate) end)},
    {n: "avn", w: 0.2, onerr: "escalate",
     s: (if $g.heal == null then {op: "absent", cert: 1} else heal($g.heal) end)},
    {n: "verification", w: 0.25, onerr: "escalate",
     s: (if $g.verify == null then {op: "absent", cert: 1} else verify($g.verify) end)},
    {n: "mldl", w: 0.1, onerr: "escalate",
     s: (if $g.mldl == null then {op: "absent", cert: 1} else scored($g.mldl; 0.05) end)},
    {n: "learning", w: 0.05, onerr: "ignore",
     s: (if $g.learning == null then {op: "absent", cert: 1} else scored($g.learning; null) end)},
    {n: "memory", w: 0.05, onerr: "ignore",
     s: (if $g.memory == null then {op: "absent", cert: 1} else scored($g.memory; null) end)} ] as $in
| ($in | map(select(.s.score != null))) as $sc
| ($sc | map(.w) | add // 0) as $sw
| (if $sw > 0 then ($sc | map(.w * .s.score) | add) / $sw else null end) as $mean
| (if $sw > 0 then ($sc | map(.w * ((.s.score - $mean) | fabs)) | add) / $sw else 0 end) as $dev
| ($sc | map(select(.s.fill | not) | .w) | add // 0) as $wp
| ($in[0].s) as $gs | ($in[1].s) as $hs | ($in[2].s) as $vs | ($in[3].s) as $ms
| [ # governance
    ({v: verdict_of($gs.op; "escalate"), by: "governance", cert: $gs.cert}),
    (if ($g.gate.risk == "high" or $g.gate.risk == "critical") and $t == "data.access"
     then {rule: "sensitive-data-access", by: "governance",
           obl: [{action: "log", target: "data-protection-officer"}]} else empty end),
    (if $g.gate.decision == "deny" and $g.gate.risk == "critical"
     then {rule: "constitution-deny-notify", by: "governance",
           obl: [{action: "notify", target: "security"}],
           adv: ["check the actor's recent activity"]} else empty end),
    # avn
    ({v: verdict_of($hs.op; "escalate"), by: "avn", cert: $hs.cert}),
    (if $hs.sev == "critical"
     then {v: "hold", rule: "critical-anomaly", by: "avn", cert: $hs.cert, routes: ["ui"],
           obl: [{action: "notify", target: "on-call", channel: "pager"}]} else empty end),
    # verification
    ({v: verdict_of($vs.op; "escalate"), by: "verification", cert: $vs.cert}),
    (if $g.verify.status == "failed" and ($t | startswith("deploy."))
     then {v: "reject", rule: "failed-deploy-rollback", by: "verification", cert: $vs.cert,
           obl: [{action: "rollback"}]} else empty end),
    (if $g.verify.status == "inconclusive" and ($t | startswith("deploy."))
     then {v: "escalate", rule: "inconclusive-deploy", by: "verification", cert: $vs.cert} else empty end),
    (if $vs.op == "absent" and $t == "deploy.completed"
     then {v: "escalate", rule: "unverified-deploy", by: "verification", cert: $vs.cert} else empty end),
    # mldl, learning, memory
    ({v: verdict_of($ms.op; "escalate"), by: "mldl", cert: $ms.cert}),
    (if $ms.score != null and ($ms.fill | not) and $ms.score < 0.6 and ($t | startswith("healing."))
     then {v: "escalate", rule: "healing-needs-ml-confidence", by: "mldl", cert: $ms.cert} else empty end),
    ({v: verdict_of($in[4].s.op; "ignore"), by: "learning", cert: 0}),
    ({v: verdict_of($in[5].s.op; "ignore"), by: "memory", cert: 0})
  ] as $cands
| ([$cands[] | select(.v != null and .v != "approve")] | first) as $best
| (if $best then $best.v
   elif $mean == null then "escalate"
   else ($mean | r4) as $s
     | if $s >= 0.75 then "approve" elif $s >= 0.6 then "hold"
       elif $s >= 0.4 then "escalate" else "reject" end end) as $verdict
| [$cands[] | select(.rule and (.v == null or .v == $verdict))] as $travel
| (if $best and ($best.rule | not)
   then ([$travel[] | select(.by == $best.by and .v == $best.v)] | first) // $best
   else $best end) as $credit
| {"approve": ["autonomous", "audit"], "hold": ["ui", "audit"],
   "escalate": ["ui", "audit"], "reject": ["learning", "audit"]}[$verdict] as $r0
| ($r0 + [$travel[].routes // [] | .[]]) as $rs
| .grace.decision = {
    verdict: $verdict,
    confidence: (if $best then $best.cert elif $mean == null then 0
                 else ([0, $wp * (1 - 2 * $dev)] | max) end | r4),
    score: (if $mean == null then null else $mean | r4 end),
    decided_by: (if $best then $best.by else "weights" end),
    rules: ([$credit.rule // empty] + [$travel[] | select(.rule != $credit.rule) | .rule]),
    reasons: [if $best then "\($best.by): \($best.rule // "opinion")"
              else "weighted score \($mean | r4)" end],
    routes: [["autonomous", "ui", "learning", "audit"][] | select(. as $x | $rs | index($x))],
    obligations: (($g.gate.obligations // []) + [$travel[].obl // [] | .[]]),
    advice: [$travel[].adv // [] | .[]]
  }
JQ

# Do both agree? (everything but the reasons' wording)
grace-decide -q -c "$CFG" < "$dir/small.ndjson" > "$dir/gd.ndjson"
[ $? -le 1 ] || { echo "bench: grace-decide failed" >&2; exit 4; }
jq -c -f "$dir/decide.jq" "$dir/small.ndjson" > "$dir/jq.ndjson" ||
    { echo "bench: jq failed" >&2; exit 4; }
sel='.grace.decision | del(.reasons)'
agree=$(paste -d '\n' "$dir/gd.ndjson" "$dir/jq.ndjson" |
    jq -c "$sel" | paste - - | awk -F '\t' '$1 == $2' | wc -l)

t_gd=$(best "grace-decide -q -c '$CFG' < '$dir/ev.ndjson' > /dev/null")
t_jq=$(best "jq -c -f '$dir/decide.jq' '$dir/small.ndjson' > /dev/null")
r_gd=$(rate "$N" "$t_gd"); r_jq=$(rate "$NJ" "$t_jq")

printf '%-44s %12s\n' "" "events/s"
printf '%-44s %12s\n' "grace-decide (config/decide.yaml)" "$r_gd"
printf '%-44s %12s\n' "jq -c -f decide.jq (the same decision)" "$r_jq"
echo
echo "ratios (same run):"
printf '  grace-decide vs jq -c -f decide.jq:  %sx faster\n' "$(ratio "$r_gd" "$r_jq")"
printf '  decisions that agree (jq sample):    %s of %s\n' "$agree" "$NJ"
echo
check "grace-decide events/s (one core)" "$r_gd" ">=" 500000
check "sampled decisions agreeing with jq" "$agree" ">=" "$NJ"
exit $missed
