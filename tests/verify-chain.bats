#!/usr/bin/env bats
# grace-verify --chain: the same verification as grace-log verify (one
# implementation), checkpoints, the monitor's state file, Prometheus
# metrics, and the cron, systemd and CI examples of grace-verify(1), run
# as printed.

load log-helpers

MAN="$ROOT/man/grace-verify.1"

# data: the result event's data without what changes from run to run.
data() {
	printf '%s\n' "$output" | jq -c '.data | del(.last_time)'
}

@test "an intact log: exit 0 and the same result as grace-log verify, from grace-verify" {
	small_log a.log 5
	run -0 --separate-stderr grace-verify --chain a.log
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c '[.type, .source]')" = '["grace.log.verification","grace-verify"]' ]
	mine=$(data)
	run -0 --separate-stderr grace-log verify -f a.log
	[ "$mine" = "$(data)" ]
	[ "$(printf '%s\n' "$mine" | jq -c '[.intact, .records, .first_seq, .last_seq]')" = '[true,5,1,5]' ]
}

@test "a changed record: exit 1, the same failure as grace-log verify" {
	small_log a.log 5
	sed -i '3s/"s-3"/"s-X"/' a.log
	run -1 --separate-stderr grace-verify --chain a.log
	[ "$stderr" = "grace-verify: a.log:3: record altered: its hash does not match its contents" ]
	mine=$(data)
	run -1 --separate-stderr grace-log verify -f a.log
	[ "$mine" = "$(data)" ]
	run -1 --separate-stderr grace-verify -q --chain a.log
	assert_output ''
}

@test "a missing log is a system error (exit 4)" {
	run -4 --separate-stderr grace-verify --chain nosuch.log
	assert_output ''
	[ "$stderr" = "grace-verify: nosuch.log: unable to open: No such file or directory" ]
}

@test "segments of a rotated log are verified together, oldest first" {
	small_log a.log 3
	grace-log rotate -f a.log --to a.log.1 2>/dev/null
	small_log a.log 2 t
	run -0 grace-verify --chain a.log.1 --chain a.log
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.files, .records, .last_seq]')" = '[["a.log.1","a.log"],6,6]' ]
}

@test "checkpoints: a good one passes; another key, a truncated log or a missing key fails" {
	small_log a.log 6
	grace-log keygen -o ops ops.example/log >/dev/null
	grace-log keygen -o other other.example >/dev/null
	grace-log checkpoint -f a.log -k ops.key -o a.cp
	run -0 --separate-stderr grace-verify --chain a.log --checkpoint a.cp --pubkey ops.pub
	[ "$(printf '%s\n' "$output" | jq -c .data.checkpoints)" = '[{"file":"a.cp","size":6,"ok":true}]' ]
	run -1 --separate-stderr grace-verify --chain a.log --checkpoint a.cp --pubkey other.pub
	[[ "$stderr" == "grace-verify: a.cp: bad checkpoint: no signature by a known key"* ]]
	head -n 4 a.log > short.log
	run -1 --separate-stderr grace-verify --chain short.log --checkpoint a.cp --pubkey ops.pub
	[ "$stderr" = "grace-verify: short.log: log truncated: a.cp covers 6 records but the log holds 4" ]
	run -2 --separate-stderr grace-verify --chain a.log --checkpoint a.cp --pubkey ops.key
	[[ "$stderr" == "grace-verify: ops.key: not a verifier key: "* ]]
	run -4 --separate-stderr grace-verify --chain a.log --checkpoint nosuch.cp --pubkey ops.pub
	[ "$stderr" = "grace-verify: nosuch.cp: unable to open: No such file or directory" ]
}

@test "--state: the first run records size and Merkle root (the checkpoint's root), atomically" {
	small_log a.log 4
	run -0 --separate-stderr grace-verify --chain a.log --state st.json
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c .data.state)" = '{"file":"st.json","checked":false}' ]
	[ "$(jq -c '[.size, (.root | length), (.head == $h)]' --arg h "$(field a.log 4 hash)" st.json)" = '[4,64,true]' ]
	[ "$(jq -r .root st.json)" = "$(printf '%s\n' "$output" | jq -r .data.root)" ]
	# The root is the RFC 6962 root a signed checkpoint commits to.
	grace-log keygen -o k example >/dev/null
	grace-log checkpoint -f a.log -k k.key -o a.cp
	[ "$(jq -r .root st.json)" = "$(sed -n 3p a.cp | base64 -d | od -An -tx1 | tr -d ' \n')" ]
	[ -z "$(ls st.json.tmp.* 2>/dev/null)" ]
}

@test "--state: a log that only grew passes and the state follows it" {
	small_log a.log 4
	grace-verify -q --chain a.log --state st.json
	small_log a.log 3 more
	run -0 --separate-stderr grace-verify --chain a.log --state st.json
	[ "$(printf '%s\n' "$output" | jq -c '.data.state | [.size, .checked, .ok]')" = '[4,true,true]' ]
	[ "$(jq .size st.json)" -eq 7 ]
}

@test "--state catches a history rewritten between runs that the bare chain cannot see" {
	small_log a.log 5
	grace-verify -q --chain a.log --state st.json
	before=$(cat st.json)
	# A forger edits record 2 and rechains everything after it.
	sed '2s/"s-2"/"s-9"/' a.log | rechain > forged.log
	mv forged.log a.log
	run -0 grace-log verify -q -f a.log
	run -1 --separate-stderr grace-verify --chain a.log --state st.json
	[ "$stderr" = "grace-verify: st.json: history rewritten since the last verification: the first 5 records no longer have the Merkle root recorded in this state file (5 records verified)" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .state.ok, .error.file]')" = '[false,false,"st.json"]' ]
	# The state is kept: every later run fails too, until someone looks.
	[ "$(cat st.json)" = "$before" ]
	run -1 grace-verify -q --chain a.log --state st.json
}

@test "--state catches a log truncated, and a log truncated and regrown" {
	small_log a.log 5
	grace-verify -q --chain a.log --state st.json
	cp a.log full.log
	head -n 3 full.log > a.log
	run -1 --separate-stderr grace-verify --chain a.log --state st.json
	[ "$stderr" = "grace-verify: a.log: log truncated: st.json covers 5 records but the log holds 3" ]
	small_log a.log 4 regrown
	run -0 grace-log verify -q -f a.log
	run -1 --separate-stderr grace-verify --chain a.log --state st.json
	[ "$stderr" = "grace-verify: st.json: history rewritten since the last verification: the first 5 records no longer have the Merkle root recorded in this state file (7 records verified)" ]
	cp full.log a.log
	run -0 grace-verify -q --chain a.log --state st.json
}

@test "--state: a state file that is not valid is a failure, left as it was" {
	small_log a.log 2
	printf '{"size":-1}\n' > st.json
	run -1 --separate-stderr grace-verify --chain a.log --state st.json
	[ "$stderr" = "grace-verify: st.json: state file is not valid ('size' is not a record count): cannot tell whether the log only grew since the last verification; restore it, or remove it to start afresh" ]
	[ "$(cat st.json)" = '{"size":-1}' ]
	printf 'garbage' > st.json
	run -1 --separate-stderr grace-verify --chain a.log --state st.json
	[[ "$stderr" == "grace-verify: st.json: state file is not valid (not JSON: "* ]]
}

@test "--metrics writes the node_exporter textfile, on success and on failure" {
	small_log a.log 3
	run -0 grace-verify -q --chain a.log --metrics m.prom
	[ "$(grep -v '^grace_chain_last_verification_timestamp_seconds' m.prom)" = '# HELP grace_chain_intact 1 if the last verification found the log'"'"'s chain, checkpoints and state intact, else 0.
# TYPE grace_chain_intact gauge
grace_chain_intact{log="a.log"} 1
# HELP grace_chain_records_verified Records verified by the last verification.
# TYPE grace_chain_records_verified gauge
grace_chain_records_verified{log="a.log"} 3
# HELP grace_chain_last_verification_timestamp_seconds When the last verification ran, in seconds since the Unix epoch.
# TYPE grace_chain_last_verification_timestamp_seconds gauge' ]
	ts=$(sed -n 's/^grace_chain_last_verification_timestamp_seconds{log="a.log"} //p' m.prom)
	[ "$(awk -v t="$ts" -v n="$(date +%s)" 'BEGIN{print (t > n - 60 && t <= n + 1)}')" = 1 ]
	sed -i '2s/"s-2"/"s-0"/' a.log
	run -1 grace-verify -q --chain a.log --metrics m.prom
	grep -qx 'grace_chain_intact{log="a.log"} 0' m.prom
	grep -qx 'grace_chain_records_verified{log="a.log"} 1' m.prom
	run -4 grace-verify -q --chain 'we"ird\.log' --metrics m.prom
	grep -qxF 'grace_chain_intact{log="we\"ird\\.log"} 0' m.prom
	[ -z "$(ls m.prom.tmp.* 2>/dev/null)" ]
}

# ----------------------------------------------- the man page's examples

@test "the crontab line of grace-verify(1), run as printed: verifies, records state and metrics, appends the result" {
	line=$(grep '^0 \* \* \* \*  cd /var/lib/grace && bash -o pipefail -c .grace-verify --chain' "$MAN")
	[ -n "$line" ]
	grep -qx 'SHELL=/bin/bash' "$MAN"
	grep -qx 'PATH=/usr/local/bin:/usr/bin:/bin' "$MAN"
	cmd=${line#0 \* \* \* \*  }
	mkdir -p srv textfile
	small_log srv/audit.log 3
	cmd=${cmd//\/var\/lib\/grace/$PWD/srv}
	cmd=${cmd//\/var\/lib\/node_exporter\/textfile_collector/$PWD/textfile}
	run -0 --separate-stderr /bin/bash -c "$cmd"
	[ -z "$stderr" ]
	# The verification is now in the log itself, and the chain still holds.
	[ "$(wc -l < srv/audit.log)" -eq 4 ]
	[ "$(sed -n 4p srv/audit.log | jq -c '.event | [.type, .source, .data.intact, .data.records]')" = '["grace.log.verification","grace-verify",true,3]' ]
	[ "$(jq .size srv/audit.state)" -eq 3 ]
	grep -qx 'grace_chain_intact{log="audit.log"} 1' textfile/grace.prom
	# An hour later: the log grew by one record (the last result), still fine.
	run -0 /bin/bash -c "$cmd"
	[ "$(jq .size srv/audit.state)" -eq 4 ]
	[ "$(wc -l < srv/audit.log)" -eq 5 ]
}

@test "the systemd units of grace-verify(1): they parse, and ExecStart fails the service on a broken chain" {
	sed -n '/^\[Unit\]$/,/^\.Ed$/p' "$MAN" | awk '/^\.Ed$/{n++; next} {print > ("unit" n+0)}'
	mv unit0 grace-verify-chain.service
	mv unit1 grace-verify-chain.timer
	grep -qx 'OnCalendar=hourly' grace-verify-chain.timer
	if command -v systemd-analyze >/dev/null; then
		run -0 --separate-stderr systemd-analyze verify ./grace-verify-chain.timer ./grace-verify-chain.service
	fi
	exec_start=$(sed -n 's/^ExecStart=//p' grace-verify-chain.service)
	[ -n "$exec_start" ]
	workdir=$(sed -n 's/^WorkingDirectory=//p' grace-verify-chain.service)
	[ "$workdir" = /var/lib/grace ]
	# systemd makes the working directory: nothing to set up by hand.
	grep -qx 'StateDirectory=grace' grace-verify-chain.service
	mkdir -p srv textfile
	small_log srv/audit.log 3
	exec_start=${exec_start//\/var\/lib\/node_exporter\/textfile_collector/$PWD/textfile}
	cd srv
	run -0 --separate-stderr sh -c "$exec_start"
	[ "$(wc -l < audit.log)" -eq 4 ]
	# Tampered: the service fails, and the failed result is logged too.
	sed -i '2s/"s-2"/"s-0"/' audit.log
	run -1 --separate-stderr sh -c "$exec_start"
	[ "$stderr" = "grace-verify: audit.log:2: record altered: its hash does not match its contents" ]
	[ "$(tail -n 1 audit.log | jq -c '.event.data | [.intact, .error.line]')" = '[false,2]' ]
	grep -qx 'grace_chain_intact{log="audit.log"} 0' ../textfile/grace.prom
}

@test "the CI step of grace-verify(1): no deploy when the chain or the checkpoint fails" {
	sed -n '/^- name: Verify the audit log, then deploy$/,/^\.Ed$/p' "$MAN" |
	    sed -n 's/^    //p' > step.sh
	[ "$(wc -l < step.sh)" -eq 2 ]
	cat > deploy.sh <<-'EOF'
	#!/bin/sh
	touch deployed
	EOF
	chmod +x deploy.sh
	small_log audit.log 4
	grace-log keygen -o ops ops.example/log >/dev/null
	grace-log checkpoint -f audit.log -k ops.key -o audit.cp
	# GitHub Actions runs a step with bash -e.
	run -0 bash -e step.sh
	[ -e deployed ] && rm deployed
	sed -i '3s/"s-3"/"s-X"/' audit.log
	run -1 bash -e step.sh
	[ ! -e deployed ]
	small_log ok.log 4
	head -n 2 ok.log > audit.log
	run -1 bash -e step.sh
	[ ! -e deployed ]
	cp ok.log audit.log
	grace-log keygen -o ops other.example >/dev/null 2>&1 || grace-log keygen --force -o ops other.example >/dev/null
	run -1 bash -e step.sh
	[ ! -e deployed ]
}

@test "--chain refuses a log that is not a regular file (exit 2), never reports it intact" {
	local msg='not a log file but %s: give the file itself (a pipe, a device or a directory cannot be verified)'
	small_log audit.log 4
	sed '2s/"s-2"/"s-X"/' audit.log > bad.log
	run -2 --separate-stderr sh -c 'cat bad.log | grace-verify --chain /dev/stdin'
	assert_output ''
	[ "$stderr" = "grace-verify: /dev/stdin: $(printf "$msg" 'a pipe')" ]
	mkfifo fifo
	cat bad.log > fifo &
	echo $! >> "$BATS_TEST_TMPDIR/pids"
	run -2 --separate-stderr grace-verify --chain fifo
	assert_output ''
	[ "$stderr" = "grace-verify: fifo: $(printf "$msg" 'a pipe')" ]
	run -2 --separate-stderr grace-verify --chain /dev/null
	[ "$stderr" = "grace-verify: /dev/null: $(printf "$msg" 'a character device')" ]
	mkdir dir
	run -2 --separate-stderr grace-verify --chain dir
	[ "$stderr" = "grace-verify: dir: $(printf "$msg" 'a directory')" ]
	# With --state and --metrics: the state is not touched, the metrics
	# say not intact, 0 records.
	run -2 --separate-stderr sh -c 'cat audit.log | grace-verify --chain /dev/stdin --state st --metrics m.prom'
	[ ! -e st ]
	grep -qx 'grace_chain_intact{log="/dev/stdin"} 0' m.prom
	grep -qx 'grace_chain_records_verified{log="/dev/stdin"} 0' m.prom
	# The file itself on standard input is a regular file, and verified.
	run -1 --separate-stderr grace-verify -q --chain /dev/stdin < bad.log
	[ "$stderr" = "grace-verify: /dev/stdin:2: record altered: its hash does not match its contents" ]
}
