#!/bin/sh
# fuzz.sh BINDIR NAME... - run each libFuzzer harness BINDIR/fuzz_NAME for
# FUZZ_SECONDS (default 60) over its seed corpus and regression inputs
# (tests/fuzz/corpus/NAME, tests/fuzz/regress/NAME: read only). New inputs
# go to build/fuzz/work/NAME, crash files to build/fuzz/crash/NAME/; the
# tree is never written. Prints per harness the executions run, the corpus
# size and the crash file, then a total; exits 1 if any harness crashed.
set -u
cd "$(dirname "$0")/.." || exit 4
bindir=$1
shift
secs=${FUZZ_SECONDS:-60}
# libjq's own leaks (see the file) are not findings.
LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
# The suppression needs whole malloc stacks, which only the slow unwinder
# finds through libjq (built without frame pointers); it costs 10x. So
# the harnesses that compile jq expressions from their input fuzz with no
# leak check, then every input of their corpus is rerun once with leak
# checks, slow stacks and the suppression (a leak found there fails).
leak_pass=" governance contracts routes overlay healstate detectors playbooks "
fails=0
total=0
runs=0
for name in "$@"; do
	bin=$bindir/fuzz_$name
	work=build/fuzz/work/$name
	crash=build/fuzz/crash/$name
	log=build/fuzz/log/$name.log
	mkdir -p "$work" "$crash" build/fuzz/log
	dirs=$work
	for d in tests/fuzz/corpus/$name tests/fuzz/regress/$name; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	runs=$((runs + 1))
	case $leak_pass in
	*" $name "*) leaks=0 ;;
	*) leaks=1 ;;
	esac
	# shellcheck disable=SC2086
	ASAN_OPTIONS="detect_leaks=$leaks${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
	    "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
	    -detect_leaks=$leaks -print_final_stats=1 \
	    -artifact_prefix="$crash/" $dirs >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$leaks" -eq 0 ]; then
		# One process per input, so that a leak names its input; no
		# RSS thread (-rss_limit_mb=0), whose stack LSan reports once in
		# a while.
		echo "leak pass:" >>"$log"
		# shellcheck disable=SC2086
		for f in $(find $dirs -maxdepth 1 -type f ! -name '.*'); do
			ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
			    "$bin" -rss_limit_mb=0 "$f" >>"$log" 2>&1 && continue
			rc=1
			cp "$f" "$crash/" &&
			    echo "artifact_prefix='$crash/'; Test unit written to $crash/$(basename "$f")" >>"$log"
			break
		done
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
	total=$((total + ${execs:-0}))
	if [ "$rc" -ne 0 ]; then
		fails=$((fails + 1))
		file=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "fuzz_$name: CRASHED after ${execs:-?} executions: ${file:-no crash file} (log: $log)"
		grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/  /'
	else
		echo "fuzz_$name: ${execs:-?} executions, corpus ${corp:-?} (inputs/bytes)"
	fi
done
echo "fuzz: $runs harness run(s) of ${secs}s, $total executions, $fails crashed"
[ "$fails" -eq 0 ]
