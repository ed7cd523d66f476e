#!/bin/sh
# bench/route.sh - grace-route throughput, in one run:
#   1. exact and glob routes to file targets, no jq, against the jq a user
#      would otherwise write (one `jq -c 'select(...)' > file` per target);
#   2. the same routes with one jq `when` each, against the same jq;
#   3. isolation: the same file targets with and without one more target,
#      a subscriber that sleeps 10 ms per event under drop_newest (with a
#      10 ms drain deadline: what it has not read by then is
#      dead-lettered, so the run measures the other targets). The
#      subscriber sleeps in its own process (perl's select), not by
#      starting a sleep(1) per event: on two cores, a hundred process
#      starts a second would take CPU from the router, which is not what
#      this measures.
# Each timing is the best of $REPS runs ($PAIR_REPS for runs 1 and 3);
# rates are events / wall time. The isolation target is about the
# throughput to the other targets: for runs 1 and 3 the bench also takes
# the time until the last event reached the five file targets (the
# newest modification time of their files), which leaves out what the
# run does after that: the slow target's drain deadline, stopping its
# subscriber, and writing the dead letters still queued. Both ratios
# are printed; the target is the first.
# Runs 1 and 3, whose ratio is a target, alternate (1, 3, 1, 3, ...), so
# that both bests are taken over the same stretch of a shared machine's
# load rather than one after the other.
#
#   BENCH_EVENTS=1000000  events for grace-route
#   BENCH_JQ_EVENTS=100000 events for jq (a smaller sample)
#   REPS=5
#   PAIR_REPS=9            alternations of runs 1 and 3 (short runs, whose
#                          ratio a burst of load on a shared machine moves)
# Exit status 1 if a target is missed.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-1000000}
NJ=${BENCH_JQ_EVENTS:-100000}
REPS=${REPS:-5}
PAIR_REPS=${PAIR_REPS:-9}
. bench/lib.sh
# with the slow target, the dropped events are dead letters: exit 1
BEST_OK=1

echo "grace-route benchmark: $N events (jq: $NJ), best of $REPS runs each ($PAIR_REPS with and without the slow target)"
awk -v n="$N" 'BEGIN{
	split("gate.denied gate.allowed anomaly.cpu anomaly.mem deploy.requested healing.proposed review.requested other.thing", ty, " ");
	for (i = 0; i < n; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"evt-%08d\",\"type\":\"%s\",\"source\":\"grace-gate\",\"actor\":\"alice\",\"data\":{\"host\":\"web-%d\",\"n\":%d}}\n", i, ty[1 + i % 8], i % 20, i
}' > "$dir/ev.ndjson"
head -n "$NJ" "$dir/ev.ndjson" > "$dir/small.ndjson"
evbytes=$(wc -c < "$dir/ev.ndjson")
printf 'events: %d bytes, %.0f bytes/event\n\n' "$evbytes" "$(awk -v b="$evbytes" -v n="$N" 'BEGIN{print b/n}')"

# routes FILE [WHEN]: five file targets in $dir/out, four routes.
routes() {
	w=${2:-}
	dl=2s
	[ -n "${3:-}" ] && dl=10ms
	cat > "$1" <<EOF
default: other
dead_letter: $dir/out/dead.ndjson
drain_timeout: $dl
targets:
  denials: { kind: file, path: $dir/out/denials.ndjson }
  anomalies: { kind: file, path: $dir/out/anomalies.ndjson }
  deploys: { kind: file, path: $dir/out/deploys.ndjson }
  healing: { kind: file, path: $dir/out/healing.ndjson }
  other: { kind: file, path: $dir/out/other.ndjson }
EOF
	[ -n "${3:-}" ] && cat >> "$1" <<EOF
  slow: { kind: exec, argv: [perl, -e, "while (<STDIN>) { select undef, undef, undef, 0.01 }"], queue: 64, overflow: drop_newest }
EOF
	cat >> "$1" <<EOF
routes:
  - { type: gate.denied, targets: [denials${3:+, slow}]${w:+, when: '.data.n >= 0'} }
  - { type: "anomaly.*", targets: anomalies${w:+, when: '.data.host != null'} }
  - { type: deploy.requested, targets: deploys${w:+, when: '.actor != null'} }
  - { type: "healing.*", source: "grace-*", targets: healing${w:+, when: '.id != null'} }
EOF
}
mkdir -p "$dir/out"
routes "$dir/plain.yaml"
routes "$dir/jq.yaml" when
routes "$dir/slow.yaml" "" slow
BENCH_PREP="rm -f $dir/out/*"

# The jq a user would write: one select per target, each into its file.
cat > "$dir/jq.sh" <<EOF
jq -c 'select(.type == "gate.denied")' '$dir/small.ndjson' > '$dir/out/j1'
jq -c 'select(.type | startswith("anomaly."))' '$dir/small.ndjson' > '$dir/out/j2'
jq -c 'select(.type == "deploy.requested")' '$dir/small.ndjson' > '$dir/out/j3'
jq -c 'select((.type | startswith("healing.")) and (.source | startswith("grace-")))' '$dir/small.ndjson' > '$dir/out/j4'
jq -c 'select((.type == "gate.denied" or (.type | startswith("anomaly.")) or .type == "deploy.requested" or ((.type | startswith("healing.")) and (.source | startswith("grace-")))) | not)' '$dir/small.ndjson' > '$dir/out/j5'
EOF

# Does grace-route send what jq selects?
grace-route -q -c "$dir/plain.yaml" < "$dir/small.ndjson" > /dev/null
sh "$dir/jq.sh"
agree=0
for p in "denials j1" "anomalies j2" "deploys j3" "healing j4" "other j5"; do
	set -- $p
	a=$(jq -r .id "$dir/out/$1.ndjson" | md5sum)
	b=$(jq -r .id "$dir/out/$2" | md5sum)
	[ "$a" = "$b" ] && agree=$((agree + 1))
done

# to_targets CONFIG: one run of grace-route -c CONFIG on the events:
# "WALL DELIVERED", the seconds until the program ended and until the
# last event reached the five file targets (the newest modification
# time of their files, the kernel's clock ticks of a few ms).
to_targets() {
	rm -f "$dir"/out/*
	t0=$(now)
	grace-route -q -c "$1" < "$dir/ev.ndjson" > /dev/null
	rc=$?
	t1=$(now)
	if [ "$rc" -gt "$BEST_OK" ]; then
		echo "bench: grace-route -c $1 failed ($rc)" >&2
		exit 4
	fi
	last=$(stat -c %.9Y "$dir/out/denials.ndjson" "$dir/out/anomalies.ndjson" \
	    "$dir/out/deploys.ndjson" "$dir/out/healing.ndjson" \
	    "$dir/out/other.ndjson" | sort -n | tail -n 1)
	echo "$t0 $t1 $last" | awk '{printf "%.6f %.6f\n", $2 - $1, $3 - $1}'
}

t_plain=9e9 t_slow=9e9 d_plain=9e9 d_slow=9e9
k=0
while [ $k -lt "$PAIR_REPS" ]; do
	set -- $(to_targets "$dir/plain.yaml")
	t_plain=$(min "$t_plain" "$1"); d_plain=$(min "$d_plain" "$2")
	set -- $(to_targets "$dir/slow.yaml")
	t_slow=$(min "$t_slow" "$1"); d_slow=$(min "$d_slow" "$2")
	k=$((k + 1))
done
t_jqr=$(best "grace-route -q -c '$dir/jq.yaml' < '$dir/ev.ndjson' > /dev/null")
t_jq=$(best "sh '$dir/jq.sh'")
for t in "$t_plain" "$t_jqr" "$t_slow" "$t_jq"; do
	[ -n "$t" ] || { echo "bench: a run failed" >&2; exit 4; }
done
r_plain=$(rate "$N" "$t_plain"); r_jqr=$(rate "$N" "$t_jqr")
r_slow=$(rate "$N" "$t_slow"); r_jq=$(rate "$NJ" "$t_jq")
r_dplain=$(rate "$N" "$d_plain"); r_dslow=$(rate "$N" "$d_slow")

printf '%-56s %12s\n' "" "events/s"
printf '%-56s %12s\n' "grace-route, exact and glob routes, 5 file targets" "$r_plain"
printf '%-56s %12s\n' "grace-route, the same with one jq when per route" "$r_jqr"
printf '%-56s %12s\n' "grace-route, plus a 10 ms/event subscriber (drop_newest)" "$r_slow"
printf '%-56s %12s\n' "jq -c 'select(...)' > file, one per target" "$r_jq"
echo
echo "isolation, to the five file targets (until the last event reached them):"
printf '%-56s %12s\n' "  without the slow target" "$r_dplain"
printf '%-56s %12s\n' "  with it" "$r_dslow"
echo
echo "ratios (same run):"
printf '  routing vs jq:                       %sx faster\n' "$(ratio "$r_plain" "$r_jq")"
printf '  routing with jq conditions vs jq:    %sx faster\n' "$(ratio "$r_jqr" "$r_jq")"
printf '  to the other targets, with the slow target / without: %s\n' "$(ratio "$r_dslow" "$r_dplain")"
printf '  whole runs, with the slow target / without:           %s\n' "$(ratio "$r_slow" "$r_plain")"
printf '  targets that agree with jq:          %s of 5\n' "$agree"
echo
check "grace-route events/s, no jq (one reader)" "$r_plain" ">=" 1000000
check "grace-route vs jq, no jq" "$(ratio "$r_plain" "$r_jq")" ">=" 10
check "grace-route vs jq, one jq condition per route" "$(ratio "$r_jqr" "$r_jq")" ">=" 3
check "throughput to the others beside a slow target" "$(ratio "$r_dslow" "$r_dplain")" ">=" 0.9
check "targets agreeing with jq" "$agree" ">=" 5
exit $missed
