#!/bin/sh
# demo.sh - a short pipeline over the bundled sample events: gate, verify
# and decide on each, append them to a hash-chained log, verify the log,
# sign a checkpoint, show that tampering and truncation are caught, and log
# the verification result itself. Runs from the repository root, so every
# program finds its configuration in config/.
# Everything goes to build/demo/ (made afresh).
set -eu
cd "$(dirname "$0")/.." || exit 4
BIN=${GRACE_BIN:-$PWD/build/bin}
PATH="$BIN:$PATH"
d=build/demo
rm -rf "$d"
mkdir -p "$d"
say() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

say "1. Gate, verify and decide on the sample events, and log them all"
show "grace-gate < scripts/demo/events.ndjson | grace-verify | grace-decide | grace-log append -f $d/audit.log | jq -c ..."
set +e
grace-gate < scripts/demo/events.ndjson | grace-verify | grace-decide |
	grace-log append -f "$d/audit.log" |
	jq -c '{id, type, gate: .grace.gate.decision, by: .grace.gate.rules[0], verify: .grace.verify.status, decision: .grace.decision.verdict, log: .grace.log.seq}'
set -e
echo "(grace-gate and grace-decide exit 1: some requests were denied; every event is logged)"

say "1b. A CI step: may this one deploy go ahead?"
show "grep evt-0003 scripts/demo/events.ndjson | grace-gate -o text"
grep evt-0003 scripts/demo/events.ndjson | grace-gate -o text && echo "(exit status 0: deploy)"
show "grep evt-0006 scripts/demo/events.ndjson | grace-gate -o text"
if grep evt-0006 scripts/demo/events.ndjson | grace-gate -o text; then
	echo "demo: a request carrying a cloud key was allowed" >&2
	exit 1
else
	echo "(exit status $?: no deploy)"
fi

say "2. One record of the log, checked by hand with sha256sum and jq"
show "sed -n 2p $d/audit.log | head -c -76 | sha256sum"
sed -n 2p "$d/audit.log" | head -c -76 | sha256sum
show "sed -n 2p $d/audit.log | jq -r .hash"
sed -n 2p "$d/audit.log" | jq -r .hash

say "3. Verify the chain (exit status 0: intact)"
show "grace-log verify -f $d/audit.log | jq -c '.data | {intact, records, head}'"
grace-log verify -f "$d/audit.log" | jq -c '.data | {intact, records, head}'

say "4. Sign a checkpoint with a new Ed25519 key (C2SP tlog-checkpoint)"
show "grace-log keygen -o $d/demo grace-demo.example/audit"
grace-log keygen -o "$d/demo" grace-demo.example/audit
show "grace-log checkpoint -f $d/audit.log -k $d/demo.key -o $d/audit.cp"
grace-log checkpoint -f "$d/audit.log" -k "$d/demo.key" -o "$d/audit.cp"
cat "$d/audit.cp"

say "5. Tamper with a copy: change one word of record 4"
cp "$d/audit.log" "$d/tampered.log"
sed -i '4s/"action":"restart"/"action":"failover"/' "$d/tampered.log"
show "grace-log verify -q -f $d/tampered.log"
if grace-log verify -q -f "$d/tampered.log"; then
	echo "demo: tampering was not detected" >&2
	exit 1
else
	echo "(exit status $?: tampering found)"
fi

say "6. Truncate a copy: the chain alone cannot tell, the checkpoint can"
head -n 6 "$d/audit.log" > "$d/truncated.log"
show "grace-log verify -q -f $d/truncated.log"
grace-log verify -q -f "$d/truncated.log" && echo "(exit status 0: a shorter chain is still a chain)"
show "grace-log verify -q -f $d/truncated.log --checkpoint $d/audit.cp --pubkey $d/demo.pub"
if grace-log verify -q -f "$d/truncated.log" --checkpoint "$d/audit.cp" --pubkey "$d/demo.pub"; then
	echo "demo: truncation was not detected" >&2
	exit 1
else
	echo "(exit status $?: truncation found)"
fi

say "7. A cron job's step: verify with the checkpoint and log the result itself"
show "grace-log verify -f $d/audit.log --checkpoint $d/audit.cp --pubkey $d/demo.pub | grace-log append -f $d/audit.log | jq -c ..."
grace-log verify -f "$d/audit.log" --checkpoint "$d/audit.cp" --pubkey "$d/demo.pub" |
	grace-log append -f "$d/audit.log" |
	jq -c '{type, intact: .data.intact, checkpoint_ok: .data.checkpoints[0].ok, logged_as: .grace.log.seq}'
show "grace-log verify -q -f $d/audit.log --checkpoint $d/audit.cp --pubkey $d/demo.pub"
grace-log verify -q -f "$d/audit.log" --checkpoint "$d/audit.cp" --pubkey "$d/demo.pub"
echo "(exit status 0: the log grew, and still extends the signed checkpoint)"

say "8. A monitor that remembers: grace-verify --chain --state catches a log cut short"
show "grace-verify -q --chain $d/audit.log --state $d/audit.state"
grace-verify -q --chain "$d/audit.log" --state "$d/audit.state"
echo "(exit status 0; the state now holds the size and Merkle root verified)"
head -n 5 "$d/audit.log" > "$d/cut.log"
cp "$d/audit.state" "$d/cut.state"
show "grace-verify -q --chain $d/cut.log --state $d/cut.state"
if grace-verify -q --chain "$d/cut.log" --state "$d/cut.state"; then
	echo "demo: a truncated log passed the stateful monitor" >&2
	exit 1
else
	echo "(exit status $?: the log no longer extends what was verified before)"
fi

printf '\ndemo: done; the files are in %s/\n' "$d"
