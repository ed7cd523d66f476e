#!/usr/bin/env bats
# heal-actions.bats - the healing actions of playbooks/actions/ against a
# real process: tests/fixtures/heal/fake-service, run from a service
# directory (grace-playbook(5)), honours the files the actions write and
# reports its state in its heartbeat file.
load helpers

A="$ROOT/playbooks/actions"
FAKE="$FIX/heal/fake-service"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export GRACE_SERVICES="$BATS_TEST_TMPDIR/services"
	SVC="$GRACE_SERVICES/web"
	mkdir -p "$SVC"
	printf '#!/bin/sh\nexec "%s" "$(dirname "$0")"\n' "$FAKE" >"$SVC/run"
	chmod +x "$SVC/run"
}

teardown() {
	local p
	for p in $(cat "$SVC/pid" "$SVC/starts" 2>/dev/null | tr -dc '0-9\n'); do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	return 0
}

# start: the service, through restart (which must work for the rest).
start() {
	run -0 --separate-stderr "$A/restart" --component web
	[ -s "$SVC/pid" ]
}

# state: the STATE word of the latest heartbeat, once it is fresh.
state() {
	sleep 0.3
	set -- $(cat "$SVC/heartbeat")
	echo "$3"
}

hb() {
	sleep 0.3
	cat "$SVC/heartbeat"
}

# A PATH with the tools the actions use, but none of systemctl, docker,
# kubectl, certbot.
bare_path() {
	local t
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	for t in sh sed cat mv rm cp ln sleep date dirname basename tr od \
		sha256sum cut wc grep sort tail find du setsid env chmod stat \
		mkdir readlink cmp jq printf; do
		command -v "$t" >/dev/null && ln -sf "$(command -v "$t")" "$BATS_TEST_TMPDIR/bin/$t"
	done
	echo "$BATS_TEST_TMPDIR/bin"
}

@test "actions: every action has usage text and exit statuses, and refuses a bad argument with status 2" {
	local a
	for a in restart reload scale drain failover rollback clear-cache \
		rotate-credentials quarantine circuit-break snapshot notify health; do
		run -0 --separate-stderr "$A/$a" --help
		assert_output --partial "usage: $a"
		assert_output --partial "exit: 0"
		run -2 --separate-stderr "$A/$a" --no-such-flag
		[ "${stderr_lines[0]}" = "$a: unknown argument '--no-such-flag'" ]
	done
}

@test "actions: shellcheck-clean" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	cd "$ROOT"
	run -0 shellcheck -x playbooks/actions/_common.sh playbooks/actions/[a-z]* tests/fixtures/heal/*
}

@test "restart: starts a stopped service, then really restarts it (a new pid, a second start)" {
	run -1 --separate-stderr "$A/health" --component web --wait 0
	[ "$stderr" = "health: unhealthy after 0s: no process runs from $SVC/pid" ]
	start
	old=$(cat "$SVC/pid")
	assert_output "restart: restarted: pid none -> $old"
	[ "$(state)" = serving ]
	run -0 --separate-stderr "$A/restart" --component web
	new=$(cat "$SVC/pid")
	[ "$new" != "$old" ]
	assert_output "restart: restarted: pid $old -> $new"
	! kill -0 "$old" 2>/dev/null
	kill -0 "$new"
	[ "$(wc -l <"$SVC/starts")" -eq 2 ]
	run -0 --separate-stderr "$A/health" --component web --state serving
	assert_output "health: healthy"
}

@test "restart: a service that crashes at start is a failure (exit 1), never a pretend success" {
	touch "$SVC/crash"
	run -1 --separate-stderr "$A/restart" --component web
	[[ $stderr =~ ^"restart: $SVC/run "("exited at once (see $SVC/log)"|"(pid "[0-9]+") died within 1s of starting")$ ]]
	[ "$(cat "$SVC/starts" | wc -l)" -eq 1 ]
}

@test "restart: a service that crashed (crash-now) is brought back; health sees the crash first" {
	start
	touch "$SVC/crash-now"
	sleep 0.4
	run -1 --separate-stderr "$A/health" --component web --wait 0
	run -0 --separate-stderr "$A/restart" --component web
	run -0 --separate-stderr "$A/health" --component web --state serving
}

@test "restart: --pidfile with a command, SIGKILL for a process that ignores SIGTERM" {
	cat >stubborn <<-'EOF2'
	#!/bin/sh
	trap '' TERM
	echo $$ >"$1"
	while :; do sleep 0.1; done
	EOF2
	chmod +x stubborn
	setsid ./stubborn "$PWD/p.pid" </dev/null >/dev/null 2>&1 3>&- &
	sleep 0.3
	old=$(cat p.pid)
	run -0 --separate-stderr "$A/restart" --pidfile "$PWD/p.pid" --wait 1 -- "$PWD/stubborn" "$PWD/p.pid"
	new=$(cat p.pid)
	[ "$new" != "$old" ]
	! kill -0 "$old" 2>/dev/null
	kill -KILL "$new"
	kill -KILL "$old" 2>/dev/null || true
}

@test "restart, reload, health: systemctl, docker and kubectl missing are exit 3 with a clear message" {
	P=$(bare_path)
	run -3 --separate-stderr env PATH="$P" "$A/restart" --kubectl web
	[ "$stderr" = "restart: kubectl: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/restart" --docker web
	[ "$stderr" = "restart: docker: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/restart" --unit web.service
	[ "$stderr" = "restart: systemctl: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/reload" --unit web.service
	[ "$stderr" = "reload: systemctl: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/scale" --kubectl web --replicas 3
	[ "$stderr" = "scale: kubectl: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/drain" --kubectl node1
	[ "$stderr" = "drain: kubectl: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/rollback" --kubectl web
	[ "$stderr" = "rollback: kubectl: not found" ]
	run -3 --separate-stderr env PATH="$P" "$A/notify" --file n.ndjson -- no-such-pager
	[ "$stderr" = "notify: no-such-pager: not found" ]
	[ ! -e n.ndjson ]
}

@test "restart, scale, failover: kubectl and docker get their arguments as argv" {
	mkdir bin
	for t in kubectl docker; do
		printf '#!/bin/sh\nprintf "%%s|" "$0" "$@" >>"%s/calls"; echo >>"%s/calls"\n[ "$1" != get ] || echo 4\n' \
			"$PWD" "$PWD" >"bin/$t"
		chmod +x "bin/$t"
	done
	PATH="$PWD/bin:$PATH"
	run -0 "$A/restart" --kubectl 'web;id' --namespace prod
	run -0 "$A/scale" --kubectl web --by 2 --max 5
	run -0 "$A/failover" --kubectl web --to 'blue"x'
	run -0 "$A/reload" --docker cache
	run cat calls
	assert_output "$PWD/bin/kubectl|--namespace|prod|rollout|restart|deployment/web;id|
$PWD/bin/kubectl|--namespace|prod|rollout|status|deployment/web;id|--timeout=120s|
$PWD/bin/kubectl|get|deployment/web|-o|jsonpath={.spec.replicas}|
$PWD/bin/kubectl|scale|deployment/web|--replicas=5|
$PWD/bin/kubectl|patch|service|web|-p|{\"spec\":{\"selector\":{\"role\":\"blue\\\"x\"}}}|
$PWD/bin/docker|kill|--signal|HUP|--|cache|"
}

@test "reload: SIGHUP makes the service reread its configuration" {
	echo v1 >"$SVC/conf"
	start
	[ "$(hb | cut -d' ' -f6)" = conf=v1 ]
	echo v2 >"$SVC/conf"
	run -0 --separate-stderr "$A/reload" --component web
	assert_output "reload: sent SIGHUP to pid $(cat "$SVC/pid")"
	run hb
	assert_output --regexp "^beat [0-9]+ serving workers=1 reloads=1 conf=v2 "
	mv "$SVC/pid" "$SVC/pid.saved"
	run -4 --separate-stderr "$A/reload" --component web
	mv "$SVC/pid.saved" "$SVC/pid"
	[ "$stderr" = "reload: $SVC/pid: no such pidfile" ]
}

@test "scale: replicas and bounded steps; the service runs that many workers" {
	start
	run -0 "$A/scale" --component web --by 2
	assert_output "scale: scaled $SVC/replicas: 1 -> 3"
	run -0 "$A/scale" --component web --by 10 --max 8
	assert_output "scale: scaled $SVC/replicas: 3 -> 8"
	run -0 "$A/scale" --component web --by -20
	assert_output "scale: scaled $SVC/replicas: 8 -> 1"
	run -0 "$A/scale" --component web --replicas 4
	[ "$(hb | cut -d' ' -f4)" = workers=4 ]
	run -2 --separate-stderr "$A/scale" --component web --by x
	[ "${stderr_lines[0]}" = "scale: --by is a whole number" ]
}

@test "drain: the service stops taking work while the flag exists; --undo" {
	start
	run -0 "$A/drain" --component web
	[ "$(state)" = draining ]
	GRACE_HEALING_ID=h-7 run -0 "$A/drain" --component web
	run cat "$SVC/drain"
	assert_output --regexp '^drained by h-7 at [0-9T:-]+Z$'
	run -0 "$A/drain" --component web --undo
	[ "$(state)" = serving ]
}

@test "failover: the active backend switches, --from guards a race; links switch atomically" {
	echo primary >"$SVC/active"
	start
	run -0 "$A/failover" --component web --to standby --from primary
	[ "$(hb | cut -d' ' -f7)" = backend=standby ]
	run -1 --separate-stderr "$A/failover" --component web --to other --from primary
	[ "$stderr" = "failover: $SVC/active names 'standby', not 'primary'" ]
	mkdir r1 r2
	ln -s r1 current
	run -0 "$A/failover" --link current --to r2
	[ "$(readlink current)" = r2 ]
	run -4 --separate-stderr "$A/failover" --link current --to r3
	[ "$stderr" = "failover: r3: no such file or directory" ]
}

@test "rollback: the golden configuration goes back (the bad one kept), the service runs it after a reload" {
	echo good >"$SVC/conf.good"
	echo bad >"$SVC/conf"
	chmod 640 "$SVC/conf"
	start
	[ "$(hb | cut -d' ' -f6)" = conf=bad ]
	run -0 "$A/rollback" --component web
	assert_output "rollback: $SVC/conf restored from $SVC/conf.good"
	[ "$(cat "$SVC/conf")" = good ]
	[ "$(cat "$SVC/conf.rejected")" = bad ]
	[ "$(stat -c %a "$SVC/conf")" = 640 ]
	run -0 "$A/reload" --component web
	[ "$(hb | cut -d' ' -f6)" = conf=good ]
	mkdir rel1 rel2
	ln -s rel2 cur
	run -0 "$A/rollback" --link cur --to rel1
	assert_output "rollback: cur: rel2 -> rel1"
	run -4 --separate-stderr "$A/rollback" --file x --from nope
	[ "$stderr" = "rollback: nope: no such file" ]
}

@test "clear-cache: empties the cache (old files only with --older-than), refuses links and system directories" {
	mkdir -p "$SVC/cache/sub"
	head -c 40000 /dev/zero >"$SVC/cache/big"
	echo x >"$SVC/cache/sub/f"
	echo y >"$SVC/cache/old"
	touch -d '2 hours ago' "$SVC/cache/old"
	run -0 "$A/clear-cache" --component web --older-than 60
	[ ! -e "$SVC/cache/old" ] && [ -e "$SVC/cache/big" ]
	run -0 "$A/clear-cache" --component web
	assert_output --regexp "^clear-cache: cleared .*/web/cache: [0-9]+ KiB freed$"
	[ -d "$SVC/cache" ] && [ -z "$(ls -A "$SVC/cache")" ]
	ln -s /etc link
	run -1 --separate-stderr "$A/clear-cache" --dir link
	[ "$stderr" = "clear-cache: link is a symbolic link: refusing" ]
	run -1 --separate-stderr "$A/clear-cache" --dir /etc/..
	[ "$stderr" = "clear-cache: /: refusing to clear" ]
	run -4 --separate-stderr "$A/clear-cache" --dir nope
	[ "$stderr" = "clear-cache: nope: no such directory" ]
}

@test "rotate-credentials: a fresh secret, the old one kept, mode 0600; the service uses it after a reload" {
	echo 0123456789abcdef >"$SVC/secret"
	start
	[ "$(hb | cut -d' ' -f8)" = secret=01234567 ]
	run -0 "$A/rotate-credentials" --component web
	assert_output --regexp "^rotate-credentials: rotated $SVC/secret: sha256 [0-9a-f]{12}$"
	[ "$(cat "$SVC/secret.previous")" = 0123456789abcdef ]
	run cat "$SVC/secret"
	assert_output --regexp '^[0-9a-f]{64}$'
	[ "$(stat -c %a "$SVC/secret")" = 600 ]
	[ "$(stat -c %a "$SVC/secret.previous")" = 600 ]
	refute_output 0123456789abcdef
	run -0 "$A/reload" --component web
	[ "$(hb | cut -d' ' -f8)" = "secret=$(cut -c1-8 "$SVC/secret")" ]
}

@test "quarantine: the service serves nothing while quarantined; the record is JSON; --release" {
	start
	GRACE_HEALING_ID=h-9 GRACE_ANOMALY=integrity_violation run -0 "$A/quarantine" --component web
	[ "$(state)" = quarantined ]
	run jq -c '{component, reason, healing}' "$SVC/quarantined"
	assert_output '{"component":"web","reason":"integrity_violation","healing":"h-9"}'
	run -1 --separate-stderr "$A/health" --component web --state serving --wait 0
	run -0 "$A/quarantine" --component web --release
	[ "$(state)" = serving ]
	mkdir st
	run -0 "$A/quarantine" --dir st --component db --reason 'x"; rm -rf /'
	run jq -r .reason st/db.quarantined
	assert_output 'x"; rm -rf /'
	run -2 --separate-stderr "$A/quarantine" --dir st --component ../etc
	[ "${stderr_lines[0]}" = "quarantine: '../etc' is not a plain name" ]
}

@test "circuit-break: the service stops calling its dependency while the breaker is open" {
	start
	run -0 "$A/circuit-break" --component web --dependency db --for 60
	[ "$(state)" = breaker-open ]
	run cat "$SVC/db.breaker"
	assert_output --regexp '^open [0-9]+$'
	run -0 "$A/circuit-break" --component web --dependency db --half-open
	[ "$(cat "$SVC/db.breaker")" = half-open ]
	run -0 "$A/circuit-break" --component web --dependency db --close
	[ "$(state)" = serving ]
}

@test "snapshot: a copy before a change, the newest put back" {
	echo one >"$SVC/conf"
	run -0 "$A/snapshot" --component web
	first=$output
	[ "$(cat "$first")" = one ]
	echo two >"$SVC/conf"
	run -0 "$A/snapshot" --component web
	[ "$output" != "$first" ]
	echo three >"$SVC/conf"
	run -0 "$A/snapshot" --component web --restore
	[ "$(cat "$SVC/conf")" = two ]
	run -4 --separate-stderr "$A/snapshot" --file nope --to .
	[ "$stderr" = "snapshot: nope: no such file" ]
	mkdir empty
	run -4 --separate-stderr "$A/snapshot" --file x --to empty --restore
	[ "$stderr" = "snapshot: no snapshot of x in empty" ]
}

@test "notify: one NDJSON line to a file and to a command's stdin; text stays data" {
	export GRACE_HEALING_ID=h-3 GRACE_PLAYBOOK=pb GRACE_COMPONENT='web$(touch pwned)' GRACE_ANOMALY=stall GRACE_SEVERITY=high
	run -0 "$A/notify" --file n.ndjson --level critical --message 'it `touch pwned` failed' -- sh -c 'cat >"$0"' got.ndjson
	assert_output "notify: notified"
	run jq -c '{type, level, message, healing, playbook, component, anomaly, severity}' n.ndjson
	assert_output '{"type":"healing.notify","level":"critical","message":"it `touch pwned` failed","healing":"h-3","playbook":"pb","component":"web$(touch pwned)","anomaly":"stall","severity":"high"}'
	cmp n.ndjson got.ndjson
	[ ! -e pwned ]
	GRACE_NOTIFY_FILE="$PWD/default.ndjson" run -0 "$A/notify"
	run jq -r .message default.ndjson
	assert_output 'stall on web$(touch pwned) needs a person'
	run -1 --separate-stderr "$A/notify" -- false
	[ "$stderr" = "notify: false failed" ]
}

@test "health: a stale heartbeat is unhealthy even while the process runs (a stall)" {
	start
	kill -STOP "$(cat "$SVC/pid")"
	sleep 3
	run -1 --separate-stderr "$A/health" --component web --wait 0
	[[ $stderr =~ ^"health: unhealthy after 0s: pid $(cat "$SVC/pid") runs but its heartbeat is "[0-9]+"s old"$ ]]
	kill -CONT "$(cat "$SVC/pid")"
	run -0 "$A/health" --component web --wait 3
	run -0 "$A/restart" --component web --wait 1
}
