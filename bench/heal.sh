#!/bin/sh
# bench/heal.sh - grace-heal detection throughput and memory, in one run:
#   1. a mixed metric stream (20 metric names, 10,000 components) through
#      20 detectors (10 EWMA spikes, 10 thresholds) with grace-heal
#      --detect, every event annotated, against an awk program doing the
#      same work: the same per-key EWMA (same formula, same doubles), the
#      same z test and warm-up, the same thresholds, the same open/resolve
#      state, and every line passed on with the same grace.heal
#      annotation, then one line per anomaly. On a sample, the annotated
#      lines of both must be the same bytes (anomaly ids aside: awk has
#      no SHA-256) and the anomalies as many (else exit 4). Both read the
#      same file on stdin, pinned to the same core when taskset works.
#   2. peak RSS for 10,000 and 100,000 components, and for 1x and 3x the
#      events at 100,000 components: state per (detector, component) is
#      fixed in size, so more events must not grow it.
# Each timing is the best of $REPS runs, the two programs' runs taken in
# turn; rates are events / wall time.
#
#   BENCH_EVENTS=2000000      events for both
#   BENCH_CHECK_EVENTS=400000 the sample both must agree on
#   REPS=3
# Exit status 1 if a target is missed.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-2000000}
NA=${BENCH_CHECK_EVENTS:-400000}
REPS=${REPS:-3}
. bench/lib.sh
# anomalies detected: exit 1 is the expected verdict
BEST_OK=1
pin=
command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null && pin="taskset -c 0"

echo "grace-heal benchmark: $N events, best of $REPS runs each${pin:+, both on one core ($pin)}"

# gen N COMPONENTS: metric m<k> of component svc-<c>; a value far out of
# line every 997th event.
gen() {
	awk -v n="$1" -v nc="$2" 'BEGIN{
		for (i = 0; i < n; i++) {
			c = int(i / 20) % nc; k = i % 20
			v = (i % 997 == 0) ? 500 : 40 + (i * 7) % 23
			if (k >= 10 && i % 1009 == 0) v = 95
			printf "{\"type\":\"metric\",\"source\":\"svc-%d\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"service\":\"svc-%d\",\"name\":\"m%d\",\"value\":%d}}\n", c, c, k, v
		}
	}'
}
gen "$N" 10000 > "$dir/ev.ndjson"
head -n "$NA" "$dir/ev.ndjson" > "$dir/small.ndjson"
evbytes=$(wc -c < "$dir/ev.ndjson")
printf 'events: %d bytes, %.0f bytes/event\n\n' "$evbytes" "$(awk -v b="$evbytes" -v n="$N" 'BEGIN{print b/n}')"

{
	echo "detectors:"
	k=0
	while [ $k -lt 10 ]; do
		printf '  - {id: spike-%d, kind: spike, type: metric, match: ["data.name = m%d"], alpha: 0.1, z: 4, min_samples: 5, component: data.service}\n' $k $k
		k=$((k + 1))
	done
	while [ $k -lt 20 ]; do
		printf '  - {id: high-%d, kind: threshold, type: metric, match: ["data.name = m%d"], above: 90, component: data.service}\n' $k $k
		k=$((k + 1))
	done
} > "$dir/det.yaml"
grace-heal --detect -d "$dir/det.yaml" --check > /dev/null || exit 4

# The awk twin: the same per-key state and tests, the same annotation.
cat > "$dir/twin.awk" <<'EOF'
# The same work as grace-heal --detect over this stream: per (metric,
# service) the EWMA mean and variance and the z test after a 5-sample
# warm-up (spike-0..9, m0..m9), the thresholds above 90 (high-10..19,
# m10..m19), the open/resolve state, and every line passed on with the
# same grace.heal annotation (the component's open anomalies, their
# severity, each detector's state), then one line per anomaly event.

# the open anomalies of a component, in detector order, as grace-heal
# lists them (made again when one opens or resolves)
function reopen(svc,    j, kk, o, c) {
	o = ""; c = 0
	for (j = 0; j < 20; j++) {
		kk = "m" j SUBSEP svc
		if (kk in open) o = o (c++ ? "," : "") open[kk]
	}
	ol[svc] = o; nopen[svc] = c
}
BEGIN {
	for (k = 0; k < 20; k++) {
		det["m" k] = k
		did[k] = (k < 10 ? "spike-" : "high-") k
		aid[k] = (k < 10 ? "spike_" : "high_") k
	}
}
{
	match($0, /"service":"[^"]*"/); svc = substr($0, RSTART + 11, RLENGTH - 12)
	match($0, /"name":"[^"]*"/); name = substr($0, RSTART + 8, RLENGTH - 9)
	match($0, /"value":[-0-9.eE+]+/); x = substr($0, RSTART + 8, RLENGTH - 8) + 0
	if (!(name in det)) { print; next }
	k = det[name]
	key = name SUBSEP svc
	ev = ""
	if (k < 10) {
		cnt = n[key]
		bad = 0
		if (cnt >= 5) {
			m = mean[key]; vv = var[key]
			if (vv > 0) z = (x - m) / sqrt(vv)
			else z = (x == m) ? 0 : (x > m ? 1e308 : -1e308)
			bad = z > 4
		}
		if (cnt == 0) { mean[key] = x; var[key] = 0 }
		else {
			d = x - mean[key]; inc = 0.1 * d
			mean[key] += inc; var[key] = 0.9 * (var[key] + d * inc)
		}
		n[key] = cnt + 1
	} else
		bad = x > 90
	if (bad && !(key in open)) {
		id = sprintf("an-%016x", ++fired)
		open[key] = "{\"id\":\"" id "\",\"anomaly\":\"" aid[k] "\",\"severity\":\"medium\",\"detector\":\"" did[k] "\"}"
		reopen(svc)
		ev = "{\"type\":\"anomaly.detected\",\"id\":\"" id "\",\"subject\":\"" svc "\",\"data\":{\"detector\":\"" did[k] "\",\"value\":" x "}}"
	} else if (!bad && (key in open)) {
		delete open[key]
		reopen(svc)
		ev = "{\"type\":\"anomaly.resolved\",\"subject\":\"" svc "\"}"
	}
	if (key in open) st = "firing"
	else if (k < 10) st = n[key] < 5 ? n[key] "/5 samples" : "armed"
	else st = "ok"
	print substr($0, 1, length($0) - 1) ",\"grace\":{\"heal\":{\"anomaly\":" (nopen[svc] ? "true,\"severity\":\"medium\",\"score\":0.5" : "false,\"severity\":\"none\",\"score\":0") ",\"open\":[" ol[svc] "],\"component\":\"" svc "\",\"detectors\":{\"" did[k] "\":\"" st "\"}}}}"
	if (ev != "") print ev
}
EOF

# Do both do the same work? The annotated lines of the sample, anomaly
# ids made equal, must be the same bytes, and the anomalies as many.
norm() { grep -v '"type":"anomaly\.' | sed 's/"id":"an-[0-9a-f]*"/"id":"an"/g'; }
grace-heal -q --detect -d "$dir/det.yaml" < "$dir/small.ndjson" > "$dir/h.out"
[ $? -le 1 ] || exit 4
awk -f "$dir/twin.awk" < "$dir/small.ndjson" > "$dir/a.out" || exit 4
a=$(grep -c '"type":"anomaly.detected"' "$dir/h.out")
b=$(grep -c '"type":"anomaly.detected"' "$dir/a.out")
echo "anomalies on the $NA-event sample: grace-heal $a, awk $b"
norm < "$dir/h.out" > "$dir/h.norm"
norm < "$dir/a.out" > "$dir/a.norm"
if [ "$a" != "$b" ] || [ "$a" -eq 0 ] || ! cmp "$dir/h.norm" "$dir/a.norm" >&2; then
	echo "bench: grace-heal and the awk twin disagree" >&2
	exit 4
fi
echo "annotated lines of the sample: the same bytes"
rm -f "$dir/h.out" "$dir/a.out" "$dir/h.norm" "$dir/a.norm"

# grace-heal and awk alternate (heal, awk, heal, awk, ...), so that both
# bests are taken over the same stretch of a shared machine's load
t_heal=9e9 t_awk=9e9
k=0
while [ $k -lt "$REPS" ]; do
	t_heal=$(min "$t_heal" "$(REPS=1 best "$pin grace-heal -q --detect -d '$dir/det.yaml' < '$dir/ev.ndjson' > /dev/null")")
	t_awk=$(min "$t_awk" "$(REPS=1 best "$pin awk -f '$dir/twin.awk' < '$dir/ev.ndjson' > /dev/null")")
	k=$((k + 1))
done
for t in "$t_heal" "$t_awk"; do
	[ -n "$t" ] || { echo "bench: a run failed" >&2; exit 4; }
done
r_heal=$(rate "$N" "$t_heal"); r_awk=$(rate "$N" "$t_awk")

# rss FILE: peak resident set of grace-heal over FILE, in MB.
rss() {
	/usr/bin/time -f '%M' -o "$dir/rss" grace-heal -q --detect -d "$dir/det.yaml" < "$1" > /dev/null
	[ $? -le 1 ] || exit 4
	tail -n 1 "$dir/rss" | awk '{printf "%.0f", $1 / 1024}'
}
rss10k=$(rss "$dir/ev.ndjson")
gen "$N" 100000 > "$dir/ev100k.ndjson"
rss100k=$(rss "$dir/ev100k.ndjson")
cat "$dir/ev100k.ndjson" "$dir/ev100k.ndjson" "$dir/ev100k.ndjson" > "$dir/ev100k3.ndjson"
rm -f "$dir/ev100k.ndjson"
rss100k3=$(rss "$dir/ev100k3.ndjson")
rm -f "$dir/ev100k3.ndjson"

printf '%-56s %12s\n' "" "events/s"
printf '%-56s %12s\n' "grace-heal --detect, 20 detectors, 10,000 components" "$r_heal"
printf '%-56s %12s\n' "awk, the same per-key EWMA and thresholds" "$r_awk"
echo
printf '%-56s %12s\n' "" "peak RSS"
printf '%-56s %9s MB\n' "10,000 components, $N events" "$rss10k"
printf '%-56s %9s MB\n' "100,000 components, $N events" "$rss100k"
printf '%-56s %9s MB\n' "100,000 components, 3x the events" "$rss100k3"
echo
echo "ratios (same run):"
printf '  detection vs awk:                    %sx faster\n' "$(ratio "$r_heal" "$r_awk")"
printf '  RSS at 3x the events / 1x:           %s\n' "$(ratio "$rss100k3" "$rss100k")"
echo
check "grace-heal detection events/s (one core)" "$r_heal" ">=" 500000
check "grace-heal detection vs awk" "$(ratio "$r_heal" "$r_awk")" ">=" 10
check "RSS at 3x the events / 1x (no growth)" "$(ratio "$rss100k3" "$rss100k")" "<=" 1.05
exit $missed
