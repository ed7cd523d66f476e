#!/bin/sh
# demo.sh - a short pipeline over the bundled sample events: append them to
# a hash-chained log, verify it, sign a checkpoint, show that tampering and
# truncation are caught, and log the verification result itself.
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

say "1. Append the sample events to $d/audit.log; each comes out annotated"
show "grace-log append -f $d/audit.log < scripts/demo/events.ndjson | jq -c '{id, type, log: .grace.log.seq}'"
grace-log append -f "$d/audit.log" < scripts/demo/events.ndjson |
	jq -c '{id, type, log: .grace.log.seq}'

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

say "5. Tamper with a copy: change one character of record 4"
cp "$d/audit.log" "$d/tampered.log"
sed -i '4s/"healthy":true/"healthy":fals/' "$d/tampered.log"
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

printf '\ndemo: done; the files are in %s/\n' "$d"
