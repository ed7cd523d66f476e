#!/bin/sh
# bench/route-nats.sh - grace-route's nats target, publish throughput to a
# local single-node JetStream stream (file storage), against a minimal C
# publisher with the same client library and settings (bench/nats-pub.c:
# asynchronous, 256 in flight, Nats-Msg-Id, every acknowledgment awaited),
# in the same run: grace-route >= 0.8 of it. The two alternate (publisher,
# grace-route, publisher, ...) and the stream is deleted and added again
# before each run, so neither is measured against stored duplicates.
# Each timing is the best of $REPS runs.
#
# Consume throughput likewise: grace-route --source (a new durable each
# run, --source-idle 0, its events to a file) reading the N events
# stored, against bench/nats-pub.c's sub mode (the same consumer
# settings: explicit acks, 256 unacknowledged at most, fetches of 256,
# each acknowledged and flushed before the next), alternating, best of
# $REPS: grace-route >= 0.8 of it.
#
# And the end-to-end rate, no target: from the producer's pipe
# (grace-route, the nats target) to the central log (grace-route --source
# | grace-log append --once, running at the same time), every event
# logged once.
#
#   BENCH_EVENTS=200000  events
#   REPS=5
# Needs nats-server and libnats-dev (scripts/deps.sh). Exit status 1 if
# a target is missed, 4 if it could not measure.
set -u
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
N=${BENCH_EVENTS:-200000}
REPS=${REPS:-5}
. bench/lib.sh
command -v nats-server >/dev/null || { echo "bench: nats-server is not installed" >&2; exit 4; }
${CC:-cc} -O2 -o "$dir/nats-pub" bench/nats-pub.c -lnats || exit 4

nats-server -js -a 127.0.0.1 -p -1 -sd "$dir/js" -l "$dir/nats.log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while ! grep -q 'Server is ready' "$dir/nats.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "bench: nats-server did not start" >&2; exit 4; }
	sleep 0.1
done
port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/nats.log" | tail -1)
url="nats://127.0.0.1:$port"

echo "grace-route nats target benchmark: $N events to $url, best of $REPS runs each"
awk -v n="$N" 'BEGIN{
	for (i = 0; i < n; i++)
		printf "{\"specversion\":\"1.0\",\"id\":\"evt-%08d\",\"type\":\"bench\",\"source\":\"grace-gate\",\"actor\":\"alice\",\"data\":{\"host\":\"web-%d\",\"n\":%d}}\n", i, i % 20, i
}' > "$dir/ev.ndjson"
cat > "$dir/routes.yaml" <<EOF
default: js
dead_letter: $dir/dead.ndjson
targets:
  js: { kind: nats, url: "$url", stream: BENCH, subject: "grace.events.{type}", queue: 4096 }
routes: []
EOF
cat > "$dir/central.yaml" <<EOF
default: out
dead_letter: $dir/dead-central.ndjson
targets:
  out: { kind: file, path: /dev/null }
routes: []
EOF
BENCH_PREP="'$dir/nats-pub' '$url' reset BENCH 'grace.events.>'"
export BENCH_PREP
tp=""
tr=""
k=0
while [ $k -lt "$REPS" ]; do
	t=$(REPS=1 best "'$dir/nats-pub' '$url' pub BENCH grace.events.bench '$dir/ev.ndjson'") || exit 4
	tp=$(echo "$t ${tp:-}" | awk '{print ($2=="" || $1<$2) ? $1 : $2}')
	t=$(REPS=1 best "grace-route -q -c '$dir/routes.yaml' < '$dir/ev.ndjson' > /dev/null") || exit 4
	tr=$(echo "$t ${tr:-}" | awk '{print ($2=="" || $1<$2) ? $1 : $2}')
	k=$((k + 1))
done
if [ -s "$dir/dead.ndjson" ]; then
	echo "bench: grace-route dead-lettered events" >&2
	exit 4
fi
# consume: the stream as the last grace-route run left it (N events)
unset BENCH_PREP
tc=""
ts=""
k=0
while [ $k -lt "$REPS" ]; do
	t=$(REPS=1 best "'$dir/nats-pub' '$url' sub BENCH s$k $N > /dev/null") || exit 4
	tc=$(echo "$t ${tc:-}" | awk '{print ($2=="" || $1<$2) ? $1 : $2}')
	t=$(REPS=1 best "grace-route -q -c '$dir/central.yaml' --source '$url/BENCH' --durable r$k --source-idle 0 > '$dir/got.ndjson'") || exit 4
	ts=$(echo "$t ${ts:-}" | awk '{print ($2=="" || $1<$2) ? $1 : $2}')
	[ "$(wc -l < "$dir/got.ndjson")" -eq "$N" ] || { echo "bench: grace-route --source read $(wc -l < "$dir/got.ndjson") of $N events" >&2; exit 4; }
	k=$((k + 1))
done
# end to end: the producer's pipe (grace-route, nats target) to the
# central log (grace-route --source | grace-log append --once), both
# running at once; the time from the producer's start to the central
# log's last write (its mtime), one run on an emptied stream
"$dir/nats-pub" "$url" reset BENCH 'grace.events.>' || exit 4
rm -f "$dir/central.log"
sh -c "grace-route -q -c '$dir/central.yaml' --source '$url/BENCH' --durable e2e --source-idle 3 |
    grace-log append --once -f '$dir/central.log' > /dev/null" &
cpid=$!
sleep 1
t0=$(date +%s.%N)
grace-route -q -c "$dir/routes.yaml" < "$dir/ev.ndjson" > /dev/null || exit 4
wait "$cpid" || { echo "bench: the central pipeline failed" >&2; exit 4; }
t1=$(stat -c %.9Y "$dir/central.log") || exit 4
got=$(grace-log cat -e "$dir/central.log" | jq -r .id | sort -u | wc -l)
[ "$got" -eq "$N" ] && [ "$(wc -l < "$dir/central.log")" -eq "$N" ] ||
    { echo "bench: the central log holds $got distinct of $N events" >&2; exit 4; }
te=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", b - a}')
rp=$(rate "$N" "$tp")
rr=$(rate "$N" "$tr")
printf '  minimal C publisher (libnats)  %10s events/s\n' "$rp"
printf '  grace-route nats target        %10s events/s\n' "$rr"
r=$(ratio "$rr" "$rp")
printf '  grace-route / publisher        %10s\n' "$r"
check "grace-route nats publish / C publisher" "$r" ">=" 0.8
rc_=$(rate "$N" "$tc")
rs=$(rate "$N" "$ts")
printf '  minimal C consumer (libnats)   %10s events/s\n' "$rc_"
printf '  grace-route --source           %10s events/s\n' "$rs"
r=$(ratio "$rs" "$rc_")
printf '  grace-route / consumer         %10s\n' "$r"
check "grace-route nats consume / C consumer" "$r" ">=" 0.8
printf '  end to end, producer pipe to central log (grace-route | JetStream |\n'
printf '    grace-route --source | grace-log append --once)  %10s events/s\n' "$(rate "$N" "$te")"
exit $missed
