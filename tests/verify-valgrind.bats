#!/usr/bin/env bats
# verify-valgrind.bats - grace-verify under valgrind memcheck (the plain
# build: ASan builds cannot run under valgrind): errors and leaks
# (definite, indirect) are fatal. Every check kind, -j, bad input, config
# errors and chain verification with a state, a checkpoint and metrics.
load verify-helpers

PLAIN="$ROOT/build"

setup() {
	[ -x "$PLAIN/bin/grace-verify" ] || fail "no plain build in $PLAIN: run 'make' first"
	command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps.sh installs it)"
	cd "$BATS_TEST_TMPDIR"
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
	cp "$ROOT/config/scan-rules.yaml" .
	G="$PLAIN/bin/grace-verify"
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$@"
}

@test "valgrind: every check kind, bad lines, --update-baseline, -j 1 and -j 3" {
	printf 'artifact\n' > app.tar
	sum=$(sha256sum app.tar | cut -d' ' -f1)
	openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
	openssl pkey -in ed.key -pubout -out ed.pem 2>/dev/null
	openssl pkeyutl -sign -inkey ed.key -rawin -in app.tar -out app.tar.sig
	printf '{"api": 100}\n' > base.json
	contracts <<-'EOF'
	contracts:
	  - id: k
	    match: {type: [t, 'u.*']}
	    when: '.data.env == "prod"'
	    checks:
	      - {name: native, jq: '.data.n > 2 and .data.s == "x"'}
	      - {name: libjq, jq: '.data.tags | any(. == "prod")', weight: 2}
	      - {name: oops, jq: '.data.s | tonumber'}
	      - {name: run, exec: {argv: [sh, -c, 'echo "{\"ok\":true}"; echo err >&2'], env: {V: .data.s}, stdin: event, json: .ok, timeout: 2s}}
	      - {name: missing, exec: {argv: [no-such-command-grace]}}
	      - {name: digest, digest: {file: app.tar, expected_from: .data.sha}}
	      - {name: sig, signature: {file: app.tar, pubkey: ed.pem}}
	      - {name: base, baseline: {file: base.json, key: api, metric: .data.n}}
	      - {name: scan, scan: {snippet_from: .data.code}}
	      - {name: effect, contract: {}}
	EOF
	{
		for i in 1 2 3; do
			printf '{"id":"%s","type":"t","data":{"env":"prod","n":%s,"s":"x","tags":["prod"],"sha":"%s","code":"eval(x)"},"expect":{"a":[1,2]},"actual":{"a":[2,1]}}\n' "$i" "$((i + 100))" "$sum"
		done
		printf 'not json\n{"type":"u.v","data":{"env":"dev"}}\n{"type":"t","grace":5,"data":{"env":"prod"}}\n'
	} > in.ndjson
	run -3 --separate-stderr vg "$G" -c c.yaml in.ndjson
	[ "${#lines[@]}" -eq 6 ]
	run -3 --separate-stderr vg "$G" -c c.yaml -j 3 in.ndjson
	[ "${#lines[@]}" -eq 6 ]
	run -3 --separate-stderr vg "$G" -c c.yaml -j 2 -o junit in.ndjson
	run -3 --separate-stderr vg "$G" -c c.yaml --update-baseline in.ndjson
	[ "$(jq .api base.json)" -eq 103 ]
	# the readiness check: a missing command is not ready
	run -1 --separate-stderr vg "$G" -c c.yaml --check -o json --metrics m.prom
	[ "$stderr" = "" ]
	run -1 --separate-stderr vg "$G" -c c.yaml --check
	[ "$stderr" = "grace-verify: not ready: command: no-such-command-grace: not found on PATH" ]
	run -3 --separate-stderr vg "$G" -c c.yaml -j 3 --metrics m.prom in.ndjson
	[ "$(grep -c '^grace_verdicts_total' m.prom)" -gt 0 ]
}

@test "valgrind: configuration errors and a failing when" {
	printf 'contracts:\n  - id: x\n    checks:\n      - {name: c, jq: ".a |"}\n' > bad.yaml
	run -2 --separate-stderr vg "$G" -c bad.yaml --check
	printf 'contracts:\n  - id: x\n    checks:\n      - {name: c, exec: {argv: [true], match: "a("}}\n' > bad.yaml
	run -2 --separate-stderr vg "$G" -c bad.yaml --check
	printf 'contracts:\n  - id: x\n    when: ".n | tonumber"\n    checks:\n      - {name: c, jq: "true"}\n' > when.yaml
	run -3 --separate-stderr vg "$G" -c when.yaml <<< '{"n":"x"}'
}

@test "valgrind: chain verification with a state, a checkpoint and metrics" {
	L="$PLAIN/bin/grace-log"
	gen_events 20 | "$L" append -f a.log >/dev/null
	"$L" keygen -o k example.org/log >/dev/null
	"$L" checkpoint -f a.log -k k.key -o cp
	run -0 --separate-stderr vg "$G" --chain a.log --checkpoint cp --pubkey k.pub --state st.json --metrics m.prom
	gen_events 3 x | "$L" append -f a.log >/dev/null
	run -0 --separate-stderr vg "$G" --chain a.log --state st.json --metrics m.prom
	sed -i '5s/"n":5/"n":6/' a.log
	run -1 --separate-stderr vg "$G" --chain a.log --state st.json --metrics m.prom
	run -4 --separate-stderr vg "$G" --chain nosuch.log --metrics m.prom
}
