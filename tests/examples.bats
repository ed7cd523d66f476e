#!/usr/bin/env bats
# The cron and systemd examples of README.md, grace-verify(1) and
# grace-log(1), run as printed (paths moved to a scratch directory): the
# same log path everywhere, and the exit status of the cron line is the
# verification's, 0 intact and 1 tampered, whether or not the metrics
# directory exists (a missing one is only a warning).

load log-helpers

README="$ROOT/README.md"
VMAN="$ROOT/man/grace-verify.1"
LMAN="$ROOT/man/grace-log.1"
PROM=/var/lib/node_exporter/textfile_collector

# cronline FILE WHAT: the crontab line of FILE that runs WHAT.
cronline() {
	grep "^0 \* \* \* \*  cd /var/lib/grace && bash -o pipefail -c '$2 " "$1"
}

# cron_run FILE LINE: run a crontab line as cron does, with the SHELL of
# FILE's crontab, its PATH (after the programs under test), /var/lib/grace
# moved to ./srv and the metrics directory to ./textfile. Sets status,
# output and stderr (bats run).
cron_run() {
	local shell path cmd
	shell=$(sed -n 's/^SHELL=//p' "$1" | head -n 1)
	path=$(sed -n 's/^PATH=//p' "$1" | head -n 1)
	[ "$shell" = /bin/bash ]
	[ "$path" = /usr/local/bin:/usr/bin:/bin ]
	cmd=${2#0 \* \* \* \*  }
	cmd=${cmd//\/var\/lib\/grace/$PWD/srv}
	cmd=${cmd//$PROM/$PWD/textfile}
	run --separate-stderr env -i HOME="$HOME" PATH="$GRACE_BIN:$path" SHELL="$shell" "$shell" -c "$cmd"
}

@test "one log path, one cron line and one ExecStart in README and grace-verify(1)" {
	! grep -n '/var/log/grace' "$README" "$ROOT"/man/*
	[ "$(cronline "$README" grace-verify)" = "$(cronline "$VMAN" grace-verify)" ]
	[ -n "$(cronline "$README" grace-verify)" ]
	[ "$(grep '^ExecStart=' "$README")" = "$(grep '^ExecStart=' "$VMAN")" ]
	grep -qx 'StateDirectory=grace' "$README"
	grep -q '^install -d -m 0755 /var/lib/grace$' "$VMAN"
	grep -q 'install -d -m 0755 -o "$USER" /var/lib/grace$' "$README"
}

@test "the README's cron line: its exit status is the verification's, with or without the metrics directory" {
	line=$(cronline "$README" grace-verify)
	mkdir srv textfile
	small_log srv/audit.log 3
	cron_run "$README" "$line"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	grep -qx 'grace_chain_intact{log="audit.log"} 1' textfile/grace.prom
	[ "$(tail -n 1 srv/audit.log | jq -c '.event | [.type, .data.intact]')" = '["grace.log.verification",true]' ]
	# No metrics directory (node_exporter not installed yet): a warning,
	# and the verification still passes.
	rm -r textfile
	cron_run "$README" "$line"
	[ "$status" -eq 0 ]
	[ "$stderr" = "grace-verify: $PWD/textfile/grace.prom: warning: metrics not written: unable to create a temporary file: No such file or directory" ]
	[ "$(wc -l < srv/audit.log)" -eq 5 ]
	# Tampered: exit 1, not append's 0, with and without the directory.
	sed -i '2s/"s-2"/"s-0"/' srv/audit.log
	cron_run "$README" "$line"
	[ "$status" -eq 1 ]
	[ "$stderr" = "grace-verify: audit.log:2: record altered: its hash does not match its contents
grace-verify: $PWD/textfile/grace.prom: warning: metrics not written: unable to create a temporary file: No such file or directory" ]
	[ "$(tail -n 1 srv/audit.log | jq -c '.event.data | [.intact, .error.line]')" = '[false,2]' ]
	mkdir textfile
	cron_run "$README" "$line"
	[ "$status" -eq 1 ]
	[ "$stderr" = "grace-verify: audit.log:2: record altered: its hash does not match its contents" ]
	grep -qx 'grace_chain_intact{log="audit.log"} 0' textfile/grace.prom
}

@test "without pipefail the same line would report the append's success: the example needs it" {
	line=$(cronline "$README" grace-verify)
	line=${line/bash -o pipefail -c/sh -c}
	mkdir srv textfile
	small_log srv/audit.log 3
	sed -i '2s/"s-2"/"s-0"/' srv/audit.log
	cron_run "$README" "$line"
	[ "$status" -eq 0 ]
}

@test "the crontab line of grace-log(1): its exit status is verify's" {
	line=$(cronline "$LMAN" grace-log\ verify)
	[ -n "$line" ]
	mkdir srv
	small_log srv/audit.log 2
	cron_run "$LMAN" "$line"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(grace-log tail -n 1 -e -f srv/audit.log | jq -c '{type, intact: .data.intact, records: .data.records}')" = '{"type":"grace.log.verification","intact":true,"records":2}' ]
	sed -i '1s/"s-1"/"s-0"/' srv/audit.log
	cron_run "$LMAN" "$line"
	[ "$status" -eq 1 ]
	[ "$stderr" = "grace-log: audit.log:1: record altered: its hash does not match its contents" ]
}

@test "grace-verify --metrics: a file that cannot be written is a warning; the exit status stays the verification's" {
	small_log a.log 2
	run -0 --separate-stderr grace-verify -q --chain a.log --metrics nodir/m.prom
	[ "$stderr" = "grace-verify: nodir/m.prom: warning: metrics not written: unable to create a temporary file: No such file or directory" ]
	sed -i '1s/"s-1"/"s-0"/' a.log
	run -1 --separate-stderr grace-verify -q --chain a.log --metrics nodir/m.prom
	[ "$stderr" = "grace-verify: a.log:1: record altered: its hash does not match its contents
grace-verify: nodir/m.prom: warning: metrics not written: unable to create a temporary file: No such file or directory" ]
	run -4 --separate-stderr grace-verify -q --chain nosuch.log --metrics nodir/m.prom
	[ "$stderr" = "grace-verify: nosuch.log: unable to open: No such file or directory
grace-verify: nodir/m.prom: warning: metrics not written: unable to create a temporary file: No such file or directory" ]
}

@test "the README's pipeline examples run top to bottom as printed: the key and checkpoint exist before they are verified" {
	awk '/^## A pipeline/{p=1} p && /^```sh$/{getline; while ($0 != "```") {print; getline}; exit}' "$README" > readme.sh
	grep -q '^grace-log keygen ' readme.sh
	# The order a new user meets them in: keygen, checkpoint, then the
	# verifications that use them.
	keygen=$(grep -n '^grace-log keygen ' readme.sh | cut -d: -f1)
	cp=$(grep -n '^grace-log checkpoint ' readme.sh | cut -d: -f1)
	first_use=$(grep -n -e '--pubkey ops.pub' readme.sh | head -n 1 | cut -d: -f1)
	[ "$keygen" -lt "$cp" ] && [ "$cp" -lt "$first_use" ]
	# The votes file holds what the README says it holds.
	sed -n 's/^#   \({"type":"governance.vote".*}\)$/\1/p' readme.sh > votes.ndjson
	[ "$(wc -l < votes.ndjson)" -eq 1 ]
	# Run it here: /var/lib/grace is ./srv, /etc/grace the shipped config,
	# producer the sample events, deploy.sh a stand-in.
	mkdir srv
	sed -e 's|^sudo install -d -m 0755 -o "$USER" /var/lib/grace$|install -d -m 0755 /var/lib/grace|' \
	    -e "s|/var/lib/grace|$PWD/srv|g" -e "s|/etc/grace|$ROOT/config|g" \
	    -e "s|^producer |cat $ROOT/scripts/demo/events.ndjson |" readme.sh > run.sh
	cp votes.ndjson srv/approvals.ndjson
	printf '#!/bin/sh\necho deployed >> deployed.log\n' > srv/deploy.sh
	chmod +x srv/deploy.sh
	REQUEST=$(grep evt-0003 "$ROOT/scripts/demo/events.ndjson") \
	    GRACE_CONFIG_DIR="$ROOT/config" run --separate-stderr bash run.sh
	# No usage error anywhere, and every step did its part.
	[[ "$stderr" != *"Try '"* ]]
	[[ "$stderr" != *"No such file"* ]]
	[ "$(wc -l < srv/audit.log)" -eq "$(wc -l < "$ROOT/scripts/demo/events.ndjson")" ]
	[ -s srv/ops.key ] && [ -s srv/ops.pub ] && [ -s srv/audit.cp ]
	# The hand check printed the same hash twice.
	[ "$(grep -cx "$(sed -n 1p srv/audit.log | jq -r .hash)\( *-\)\{0,1\}" <<<"$output")" -eq 2 ]
	[[ "$output" != *"tampered or truncated"* ]]
	# The last step deployed: the chain and checkpoint verify.
	[ "$(tail -n 1 srv/deployed.log)" = deployed ]
	[ "$status" -eq 0 ]
}
