#!/bin/sh
# bench/run.sh - every benchmark (make bench): bench/log.sh and one script
# per program. Each prints its figures and ratios, measured in the same
# run, then one line per target, "target NAME OP LIMIT: met" or
# "...: MISSED (value)", and exits 1 when a target is missed (4 when it
# could not measure). The targets:
#
#   bench/log.sh     grace-log append --sync=none >= 1,000,000 events/s;
#                    grace-log verify >= 2,000,000 events/s; verify time
#                    <= 3x sha256 over the same bytes (openssl dgst);
#                    append --sync=batch time <= 2x --sync=none time
#   bench/gate.sh    grace-gate >= 10x the same governance as one jq
#                    program (it first checks that both decide the same on
#                    every event: a disagreement exits 4)
#   bench/decide.sh  grace-decide >= 500,000 events/s on one core; every
#                    sampled decision agrees with its jq twin
#   bench/verify.sh  grace-verify with jq-only contracts >= 200,000
#                    events/s on one core (it first checks that its
#                    verdicts agree with a jq program's: else exit 4)
#   bench/route.sh   grace-route, exact and glob routes to file targets,
#                    >= 1,000,000 events/s and >= 10x the jq program (one
#                    select per target); with one jq condition per route
#                    >= 3x jq; beside a target that sleeps 10 ms per event
#                    (drop_newest) >= 0.9 of the rate without it; all five
#                    targets receive what jq's selects write
#   bench/heal.sh    grace-heal detection (20 detectors, 10,000
#                    components) >= 500,000 events/s on one core and
#                    >= 10x an awk program with the same per-key EWMA and
#                    thresholds (it first checks both count the same
#                    anomalies: else exit 4); peak RSS at 100,000
#                    components for 3x the events <= 1.05x that for 1x
#   bench/route-nats.sh  grace-route's nats target publishing to a local
#                    JetStream stream >= 0.8x a minimal C publisher with
#                    the same libnats settings; grace-route --source
#                    reading them >= 0.8x a minimal C consumer with the
#                    same consumer settings; and it prints the end-to-end
#                    rate from the producer's pipe to the central log
#
# This repeats the target lines at the end and exits 0 only when every
# script ran and met every target: 1 if a target was missed, 4 if a script
# is missing or could not measure. Knobs: BENCH_EVENTS, REPS (each
# script's header).
set -u
cd "$(dirname "$0")/.." || exit 4
out=$(mktemp "${TMPDIR:-/tmp}/grace-bench-run.XXXXXX") || exit 4
trap 'rm -f "$out" "$out.rc"' EXIT
status=0
for b in bench/log.sh bench/gate.sh bench/decide.sh bench/verify.sh bench/route.sh bench/heal.sh bench/route-nats.sh; do
	echo "=== $b"
	if [ ! -f "$b" ]; then
		echo "bench: $b: missing" >&2
		status=4
		continue
	fi
	{ sh "$b"; echo $? > "$out.rc"; } | tee -a "$out"
	rc=$(cat "$out.rc")
	if [ "$rc" -eq 1 ] && [ "$status" -lt 1 ]; then
		status=1
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "bench: $b: could not measure (exit $rc)" >&2
		status=4
	fi
	echo
done
echo "=== targets"
grep '^  target ' "$out"
missed=$(grep -c '^  target .*: MISSED' "$out")
case $status in
0) echo "bench: every target met" ;;
1)
	if [ "$missed" -gt 0 ]; then
		echo "bench: $missed target(s) MISSED"
	else
		echo "bench: a benchmark failed (see above)"
	fi
	;;
*) echo "bench: $missed target(s) MISSED; some benchmark could not run (see above)" ;;
esac
exit $status
