# bench/lib.sh - what every benchmark script shares; sourced, not run.
#
#   best CMD   the best wall time, in seconds, of $REPS runs of a shell
#              command string. $BENCH_PREP, if set, runs before each run
#              (untimed); an exit status above $BEST_OK (default 0) stops
#              the benchmark (exit 4).
#   rate N T   N events in T seconds, per second
#   mbs B T    B bytes in T seconds, MB/s
#   ratio A B  A / B, two decimals
#   check NAME VALUE OP LIMIT   print whether a target is met (OP: >= or
#              <=); a miss sets missed=1, which the script exits with.
# Sourcing it also makes $dir, a scratch directory removed at exit.

missed=0
dir=$(mktemp -d "${TMPDIR:-/tmp}/grace-bench.XXXXXX") || exit 4
trap 'rm -rf "$dir"' EXIT

now() { date +%s.%N; }

best() {
	b=""
	i=0
	while [ $i -lt "${REPS:-3}" ]; do
		[ -n "${BENCH_PREP:-}" ] && sh -c "$BENCH_PREP"
		t0=$(now)
		sh -c "$1"
		rc=$?
		t1=$(now)
		if [ "$rc" -gt "${BEST_OK:-0}" ]; then
			echo "bench: command failed ($rc): $1" >&2
			exit 4
		fi
		b=$(echo "$t0 $t1 ${b:-}" | awk '{d=$2-$1; if ($3=="" || d<$3) print d; else print $3}')
		i=$((i + 1))
	done
	echo "$b"
}

# min A B: the smaller of two times ("" when either run failed)
min() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN{print (a < b ? a : b)}'; }

rate() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%.0f", n/t}'; }
mbs() { awk -v b="$1" -v t="$2" 'BEGIN{printf "%.0f", b/t/1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

check() {
	if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN{exit !(op==">=" ? v>=l : v<=l)}'; then
		printf '  target %-44s %s %s: met\n' "$1" "$3" "$4"
	else
		printf '  target %-44s %s %s: MISSED (%s)\n' "$1" "$3" "$4" "$2"
		missed=1
	fi
}
