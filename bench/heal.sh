#!/bin/sh
# bench/heal.sh - grace-heal detection throughput and memory, in one run:
#   1. a mixed metric stream (20 metric names, 10,000 components) through
#      20 detectors (10 EWMA spikes, 10 thresholds), every event annotated,
#      against an awk program doing the same work: the same per-key EWMA
#      (same formula, same doubles), the same z test and warm-up, the same
#      thresholds, the same open/resolve state, every line passed on and
#      one line per anomaly. Both must report the same number of
#      anomalies on the sample (else exit 4).
#   2. peak RSS for 10,000 and 100,000 components, and for 1x and 3x the
#      events at 100,000 components: state per (detector, component) is
#      fixed in size, so more events must not grow it.
# Each timing is the best of $REPS runs; rates are events / wall time.
#
#   BENCH_EVENTS=2000000      events for grace-heal
#   BENCH_AWK_EVENTS=400000   events for awk (a sample of the same stream)
#   REPS=3
# Exit status 1 if a target is missed.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-2000000}
NA=${BENCH_AWK_EVENTS:-400000}
REPS=${REPS:-3}
. bench/lib.sh
# anomalies detected: exit 1 is the expected verdict
BEST_OK=1

echo "grace-heal benchmark: $N events (awk: $NA), best of $REPS runs each"

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
grace-heal -d "$dir/det.yaml" --check > /dev/null || exit 4

# The awk twin: the same per-key state and tests.
cat > "$dir/twin.awk" <<'EOF'
{
	match($0, /"service":"[^"]*"/); svc = substr($0, RSTART + 11, RLENGTH - 12)
	match($0, /"name":"[^"]*"/); name = substr($0, RSTART + 8, RLENGTH - 9)
	match($0, /"value":[-0-9.eE+]+/); x = substr($0, RSTART + 8, RLENGTH - 8) + 0
	key = name SUBSEP svc
	k = substr(name, 2) + 0
	print
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
	if (bad && !open[key]) {
		open[key] = 1; fired++
		print "{\"type\":\"anomaly.detected\",\"subject\":\"" svc "\",\"data\":{\"detector\":\"" name "\",\"value\":" x "}}"
	} else if (!bad && open[key]) {
		open[key] = 0
		print "{\"type\":\"anomaly.resolved\",\"subject\":\"" svc "\"}"
	}
}
EOF

# Do both find the same anomalies on the sample?
a=$(grace-heal -q -d "$dir/det.yaml" < "$dir/small.ndjson" | grep -c '"type":"anomaly.detected"')
b=$(awk -f "$dir/twin.awk" "$dir/small.ndjson" | grep -c '"type":"anomaly.detected"')
echo "anomalies on the $NA-event sample: grace-heal $a, awk $b"
if [ "$a" != "$b" ] || [ "$a" -eq 0 ]; then
	echo "bench: grace-heal and the awk twin disagree" >&2
	exit 4
fi

t_heal=$(best "grace-heal -q -d '$dir/det.yaml' < '$dir/ev.ndjson' > /dev/null")
t_awk=$(best "awk -f '$dir/twin.awk' '$dir/small.ndjson' > /dev/null")
for t in "$t_heal" "$t_awk"; do
	[ -n "$t" ] || { echo "bench: a run failed" >&2; exit 4; }
done
r_heal=$(rate "$N" "$t_heal"); r_awk=$(rate "$NA" "$t_awk")

# rss FILE: peak resident set of grace-heal over FILE, in MB.
rss() {
	/usr/bin/time -f '%M' -o "$dir/rss" grace-heal -q -d "$dir/det.yaml" < "$1" > /dev/null
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
