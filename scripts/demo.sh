#!/bin/sh
# demo.sh - the whole system on the bundled sample events
# (scripts/demo/events.ndjson): requests, deploys, a data access, a
# leaked key, the heartbeats and metrics of a demo service that crashes.
# They flow through
#   grace-gate | grace-heal --execute | grace-verify | grace-decide |
#   grace-route | grace-log append
# with the shipped configuration (config/) and playbooks (playbooks/); the
# demo service is really restarted by a playbook. Then approvals arrive for
# a request held for review, a CI step asks again, the chain is verified
# and signed, tampering and truncation are caught, and an audit report is
# written. It closes with the story of what happened.
# Everything goes to build/demo/ (made afresh; $GRACE_DEMO_DIR instead when
# set), where the programs run.
set -eu
cd "$(dirname "$0")/.." || exit 4
ROOT=$PWD
BIN=${GRACE_BIN:-$ROOT/build/bin}
PATH="$BIN:$PATH"
d=${GRACE_DEMO_DIR:-$ROOT/build/demo}
rm -rf "$d"
mkdir -p "$d/svc/web" "$d/heal"
cd "$d"
export GRACE_CONFIG_DIR="$ROOT/config"   # every program's configuration
export GRACE_SERVICES="$d/svc"           # where the playbooks find services
export GRACE_NOTIFY_FILE="$d/notify.ndjson"
say() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
stop_service() {	# and wait (2s at most) until it has stopped
	p=$(cat "$d/svc/web/pid" 2>/dev/null) && kill "$p" 2>/dev/null &&
	    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	    done
	return 0
}
trap stop_service EXIT

# The six, as a user runs them (stderr of each to a file of its own).
pipeline() {
	grace-gate 2>gate.err |
	    grace-heal --execute --state heal --governance "$ROOT/config/governance.yaml" \
	        -p "$ROOT/playbooks" 2>heal.err |
	    grace-verify 2>verify.err |
	    grace-decide 2>decide.err |
	    grace-route 2>route.err |
	    grace-log append -f audit.log
}

say "0. The demo service 'web' runs, then crashes (SIGKILL)"
# The fake service the chaos drills use: it writes heartbeats to a file.
echo good > svc/web/conf
printf '#!/bin/sh\nexec sh %s %s\n' "$ROOT/tests/fixtures/heal/fake-service" "$d/svc/web" > svc/web/run
chmod +x svc/web/run
( cd svc/web && exec setsid ./run >> log 2>&1 & )
i=0
until [ -s svc/web/pid ]; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || { echo "demo: the demo service did not start" >&2; exit 1; }
	sleep 0.1
done
pid0=$(cat svc/web/pid)
kill -KILL "$pid0"
rm -f svc/web/pid
echo "web (pid $pid0) killed; its last heartbeat in the sample is at 09:10:20"

say "1. The sample events through the six programs, into one hash-chained log"
# The sample's clock moves to now (a healing's approval expires 15 minutes
# after its anomaly) and its artifact paths to this checkout.
off=$(( $(date -u +%s) - $(date -u -d 2026-11-21T09:11:30Z +%s) ))
jq -c --argjson off "$off" --arg root "$ROOT" '
    .time |= (fromdateiso8601 + $off | todateiso8601)
    | if .data.artifact.path then .data.artifact.path |= "\($root)/\(.)" else . end' \
    "$ROOT/scripts/demo/events.ndjson" > events.ndjson
show "grace-gate < events.ndjson | grace-heal --execute --state heal --governance config/governance.yaml -p playbooks |"
show "    grace-verify | grace-decide | grace-route | grace-log append -f audit.log > out.ndjson"
set +e
pipeline < events.ndjson > out.ndjson
set -e
for p in gate heal verify decide; do sed "s/^/grace-$p: /" "$p.err"; done
grep -v '^{' route.err | sed 's/^/grace-route: /' | grep -v ' 0 queued' || true
echo "$(wc -l < events.ndjson) events in; $(wc -l < audit.log) records in the log"

say "2. Approvals arrive for a request held for review"
show "grace-gate --pending audit.log"
grace-gate --pending audit.log || true
show "(bob and carol approve evt-0004: their votes go through the same pipeline)"
for v in bob carol; do
	printf '{"specversion":"1.0","id":"vote-%s","type":"governance.vote","source":"chat","actor":"%s","time":"%s","data":{"request":"evt-0004","vote":"approve"}}\n' \
	    "$v" "$v" "$(date -u +%FT%TZ)"
done | pipeline >> out.ndjson
show "grace-gate --pending audit.log"
grace-gate --pending audit.log || true

say "3. A CI step: may evt-0004 deploy now? (the exit status decides)"
show "grep evt-0004 events.ndjson | grace-gate -o text --votes audit.log"
grep evt-0004 events.ndjson | grace-gate -o text --votes audit.log && echo "(exit status 0: deploy)"
show "grep evt-0006 events.ndjson | grace-gate -o text"
if grep evt-0006 events.ndjson | grace-gate -o text; then
	echo "demo: a request carrying a cloud key was allowed" >&2
	exit 1
else
	echo "(exit status $?: no deploy)"
fi

say "4. One record of the log, checked by hand with sha256sum and jq"
show "sed -n 2p audit.log | head -c -76 | sha256sum"
sed -n 2p audit.log | head -c -76 | sha256sum
show "sed -n 2p audit.log | jq -r .hash"
sed -n 2p audit.log | jq -r .hash

say "5. Verify the chain and sign a checkpoint (C2SP tlog-checkpoint, Ed25519)"
show "grace-log verify -f audit.log | jq -c '.data | {intact, records, head}'"
grace-log verify -f audit.log | jq -c '.data | {intact, records, head}'
show "grace-log keygen -o demo grace-demo.example/audit"
grace-log keygen -o demo grace-demo.example/audit
show "grace-log checkpoint -f audit.log -k demo.key -o audit.cp"
grace-log checkpoint -f audit.log -k demo.key -o audit.cp
cat audit.cp

say "6. Tamper with a copy: say alice, not dave, asked for evt-0004"
cp audit.log tampered.log
sed -i '4s/"actor":"dave"/"actor":"alice"/' tampered.log
show "grace-log verify -q -f tampered.log"
if grace-log verify -q -f tampered.log; then
	echo "demo: tampering was not detected" >&2
	exit 1
else
	echo "(exit status $?: tampering found)"
fi

say "7. Truncate a copy: the chain alone cannot tell, the checkpoint can"
head -n 6 audit.log > truncated.log
show "grace-log verify -q -f truncated.log"
grace-log verify -q -f truncated.log && echo "(exit status 0: a shorter chain is still a chain)"
show "grace-log verify -q -f truncated.log --checkpoint audit.cp --pubkey demo.pub"
if grace-log verify -q -f truncated.log --checkpoint audit.cp --pubkey demo.pub; then
	echo "demo: truncation was not detected" >&2
	exit 1
else
	echo "(exit status $?: truncation found)"
fi

say "8. A cron job: verify against the checkpoint, remember what was verified, log the result"
show "grace-verify --chain audit.log --checkpoint audit.cp --pubkey demo.pub --state audit.state | grace-log append -f audit.log"
grace-verify --chain audit.log --checkpoint audit.cp --pubkey demo.pub --state audit.state |
	grace-log append -f audit.log | jq -c '{type, intact: .data.intact, logged_as: .grace.log.seq}'
head -n 5 audit.log > cut.log
cp audit.state cut.state
show "grace-verify -q --chain cut.log --state cut.state   # the same monitor, a log cut short"
if grace-verify -q --chain cut.log --state cut.state; then
	echo "demo: a truncated log passed the stateful monitor" >&2
	exit 1
else
	echo "(exit status $?: the log no longer extends what was verified before)"
fi

say "9. The audit report: one self-contained HTML page"
show "grace-log report -f audit.log --checkpoint audit.cp --pubkey demo.pub -o report.html"
grace-log report -f audit.log --checkpoint audit.cp --pubkey demo.pub -o report.html
echo "(open $d/report.html in a browser)"

say "The story"
pid1=$(cat svc/web/pid 2>/dev/null || echo none)
jq -r -s --arg pid0 "$pid0" --arg pid1 "$pid1" -f "$ROOT/scripts/demo/story.jq" out.ndjson
if ! "$ROOT/playbooks/actions/health" --component web --state serving --wait 2 > /dev/null; then
	echo "demo: the demo service is not serving after its healing" >&2
	exit 1
fi
printf '\ndemo: done; the files are in %s/\n' "$d"
