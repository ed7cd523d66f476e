#!/usr/bin/env bats
# grace-verify evidence checks: digests, signatures, baselines and static
# scans. Keys are made here with openssl; nothing secret is checked in.

load verify-helpers

CODE="$VFIX/code"

# ---------------------------------------------------------------- digest

@test "digest: the expected value from the event (any case, sha256: prefix) matches; another does not" {
	printf 'artifact v1\n' > app.tar
	sum=$(sha256sum app.tar | cut -d' ' -f1)
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: digest
	        digest: {file_from: .path, expected_from: .sha}
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml <<< "{\"path\":\"app.tar\",\"sha\":\"sha256:${sum^^}\"}"
	[ -z "$stderr" ]
	[ "$(verdicts)" = "{\"status\":\"verified\",\"confidence\":1,\"checks\":[{\"name\":\"digest\",\"kind\":\"digest\",\"result\":\"pass\",\"message\":\"sha256 ${sum:0:16}... matches\"}],\"contract\":\"k\"}" ]
	other=$(printf 'x' | sha256sum | cut -d' ' -f1)
	run -1 --separate-stderr grace-verify -c c.yaml <<< "{\"path\":\"app.tar\",\"sha\":\"$other\"}"
	[ "$(vfield '.grace.verify.checks[0] | [.result, .message] | @text')" = "[\"fail\",\"app.tar: sha256 mismatch: expected $other, got $sum\"]" ]
	printf 'artifact v2\n' > app.tar
	run -1 grace-verify -c c.yaml <<< "{\"path\":\"app.tar\",\"sha\":\"$sum\"}"
	[ "$(vfield '.grace.verify.checks[0].result')" = fail ]
}

@test "digest: sha512, a literal expected value, and a manifest (sha256sum format)" {
	printf 'one\n' > a.bin
	printf 'two\n' > b.bin
	mkdir dist
	sha256sum a.bin b.bin > dist/SHA256SUMS
	sum512=$(sha512sum a.bin | cut -d' ' -f1)
	contracts <<-EOF
	contracts:
	  - id: k
	    checks:
	      - {name: s512, digest: {file: a.bin, algorithm: sha512, expected: $sum512}}
	      - {name: listed, digest: {file_from: .f, manifest: dist/SHA256SUMS}}
	EOF
	run -0 grace-verify -c c.yaml <<< '{"f":"b.bin"}'
	run -0 grace-verify -c c.yaml <<< "{\"f\":\"$PWD/b.bin\"}"
	printf 'three\n' > c.bin
	run -1 grace-verify -c c.yaml <<< '{"f":"c.bin"}'
	[ "$(vfield '.grace.verify.checks[1] | [.result, .message] | @text')" = "[\"fail\",\"dist/SHA256SUMS: 'c.bin' is not listed\"]" ]
	printf 'tampered\n' > b.bin
	run -1 grace-verify -c c.yaml <<< '{"f":"b.bin"}'
	[ "$(vfield '.grace.verify.checks[1].result')" = fail ]
}

@test "digest: a missing file, manifest or expected value is inconclusive, not a crash" {
	printf 'x\n' > a.bin
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: file, digest: {file_from: .f, expected: "0000000000000000000000000000000000000000000000000000000000000000"}}
	      - {name: manifest, digest: {file: a.bin, manifest: nosuch.sums}}
	      - {name: expected, digest: {file: a.bin, expected_from: .sha}}
	      - {name: bad-hex, digest: {file: a.bin, expected: "xyz"}}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"f":"nosuch.bin"}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"file","kind":"digest","result":"error","message":"nosuch.bin: unable to open: No such file or directory"},{"name":"manifest","kind":"digest","result":"error","message":"nosuch.sums: unable to open: No such file or directory"},{"name":"expected","kind":"digest","result":"error","message":"expected .sha is null"},{"name":"bad-hex","kind":"digest","result":"error","message":"a.bin: expected digest '"'"'xyz'"'"' is not 64 hex digits (sha256)"}],"contract":"k"}' ]
}

# ------------------------------------------------------------- signature

# keys: an Ed25519 key pair, an EC P-256 pair, another Ed25519 pair, RSA.
keys() {
	openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
	openssl pkey -in ed.key -pubout -out ed.pem 2>/dev/null
	openssl genpkey -algorithm ed25519 -out other.key 2>/dev/null
	openssl pkey -in other.key -pubout -out other.pem 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out ec.key 2>/dev/null
	openssl ec -in ec.key -pubout -out ec.pem 2>/dev/null
	openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out rsa.key 2>/dev/null
	openssl pkey -in rsa.key -pubout -out rsa.pem 2>/dev/null
}

@test "signature: Ed25519 (raw and base64) and ECDSA verify; the wrong key or changed data fails" {
	keys
	mkdir dist
	printf 'release 1.2.3\n' > dist/app.tar
	openssl pkeyutl -sign -inkey ed.key -rawin -in dist/app.tar -out dist/app.tar.sig
	base64 dist/app.tar.sig > dist/app.tar.sig.b64
	openssl dgst -sha256 -sign ec.key -out dist/app.tar.ecsig dist/app.tar
	openssl dgst -sha384 -sign ec.key -out dist/app.tar.ec384 dist/app.tar
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: ed-raw, signature: {file_from: .f, pubkey: ed.pem}}
	      - {name: ed-b64, signature: {file_from: .f, signature_from: '.f + ".sig.b64"', pubkey: ed.pem, encoding: base64}}
	      - {name: ed-auto, signature: {file_from: .f, signature_from: '.f + ".sig.b64"', pubkey: ed.pem}}
	      - {name: ecdsa, signature: {file_from: .f, signature_from: '.f + ".ecsig"', pubkey: ec.pem}}
	      - {name: ecdsa384, signature: {file_from: .f, signature_from: '.f + ".ec384"', pubkey: ec.pem, hash: sha384}}
	EOF
	run -0 --separate-stderr grace-verify -c c.yaml <<< '{"f":"dist/app.tar"}'
	[ -z "$stderr" ]
	[ "$(vfield '[.grace.verify.checks[] | .result] | @text')" = '["pass","pass","pass","pass","pass"]' ]
	[ "$(vfield '.grace.verify.checks[0].message')" = "dist/app.tar: signature verified with ed.pem" ]
	# The wrong key.
	sed -i 's/ed.pem/other.pem/' c.yaml
	run -1 grace-verify -c c.yaml <<< '{"f":"dist/app.tar"}'
	[ "$(vfield '[.grace.verify.checks[] | .result] | @text')" = '["fail","fail","fail","pass","pass"]' ]
	[ "$(vfield '.grace.verify.checks[0].message')" = "dist/app.tar.sig: signature does not verify with other.pem" ]
	# Changed data.
	sed -i 's/other.pem/ed.pem/' c.yaml
	printf 'release 1.2.4\n' > dist/app.tar
	run -1 grace-verify -c c.yaml <<< '{"f":"dist/app.tar"}'
	[ "$(vfield '[.grace.verify.checks[] | .result] | @text')" = '["fail","fail","fail","fail","fail"]' ]
}

@test "signature: a missing file, signature or key, or a key that is not one, is inconclusive" {
	keys
	printf 'data\n' > f.bin
	openssl pkeyutl -sign -inkey ed.key -rawin -in f.bin -out f.bin.sig
	printf 'not a key\n' > junk.pem
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: no-file, signature: {file: nosuch.bin, signature: f.bin.sig, pubkey: ed.pem}}
	      - {name: no-sig, signature: {file: f.bin, signature: nosuch.sig, pubkey: ed.pem}}
	      - {name: no-key, signature: {file: f.bin, pubkey: keys/missing.pem}}
	      - {name: junk-key, signature: {file: f.bin, pubkey: junk.pem}}
	      - {name: rsa-key, signature: {file: f.bin, pubkey: rsa.pem}}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"no-file","kind":"signature","result":"error","message":"nosuch.bin: unable to open: No such file or directory"},{"name":"no-sig","kind":"signature","result":"error","message":"nosuch.sig: unable to open: No such file or directory"},{"name":"no-key","kind":"signature","result":"error","message":"keys/missing.pem: unable to open: No such file or directory"},{"name":"junk-key","kind":"signature","result":"error","message":"junk.pem: not a PEM public key (-----BEGIN PUBLIC KEY-----)"},{"name":"rsa-key","kind":"signature","result":"error","message":"rsa.pem: unsupported key type RSA (use an Ed25519 or ECDSA key)"}],"contract":"k"}' ]
}

@test "signature: the key is found relative to the contracts file; a damaged signature fails" {
	keys
	mkdir -p conf/keys
	mv ed.pem conf/keys/release.pem
	printf 'data\n' > f.bin
	openssl pkeyutl -sign -inkey ed.key -rawin -in f.bin -out f.bin.sig
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: sig, signature: {file: f.bin, pubkey: keys/release.pem}}
	EOF
	mv c.yaml conf/
	run -0 grace-verify -c conf/c.yaml <<< '{}'
	[ "$(vfield '.grace.verify.checks[0].message')" = "f.bin: signature verified with conf/keys/release.pem" ]
	printf 'garbage' > f.bin.sig
	run -1 grace-verify -c conf/c.yaml <<< '{}'
	[ "$(vfield '.grace.verify.checks[0].result')" = fail ]
}

# -------------------------------------------------------------- baseline

baseline_contract() {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - name: latency
	        baseline: {file: base.json, key_from: .svc, metric: .ms}
	      - name: throughput
	        baseline: {file: base.json, key: rps, metric: .rps, direction: down, drift: 0.1}
	EOF
	printf '{"api": 100, "rps": 1000}\n' > base.json
}

@test "baseline drift just under, at and just over the threshold (20%)" {
	baseline_contract
	run -0 grace-verify -c c.yaml <<< '{"svc":"api","ms":119.9,"rps":1000}'
	[ "$(vfield '.grace.verify.checks[0] | [.result, .message] | @text')" = '["pass","api: 119.9 vs baseline 100: drift +19.9%, within 20%"]' ]
	run -0 grace-verify -c c.yaml <<< '{"svc":"api","ms":120,"rps":1000}'
	[ "$(vfield '.grace.verify.checks[0] | [.result, .message] | @text')" = '["pass","api: 120 vs baseline 100: drift +20%, within 20%"]' ]
	run -1 grace-verify -c c.yaml <<< '{"svc":"api","ms":120.1,"rps":1000}'
	[ "$(vfield '.grace.verify.checks[0] | [.result, .message] | @text')" = '["fail","api: 120.1 vs baseline 100: drift +20.1%, above the limit of 20%"]' ]
	run -0 grace-verify -c c.yaml <<< '{"svc":"api","ms":80.1,"rps":1000}'
	run -1 grace-verify -c c.yaml <<< '{"svc":"api","ms":79.9,"rps":1000}'
	[ "$(vfield '.grace.verify.checks[0].message')" = 'api: 79.9 vs baseline 100: drift -20.1%, above the limit of 20%' ]
}

@test "baseline direction: down counts only decreases; up only increases" {
	baseline_contract
	run -0 grace-verify -c c.yaml <<< '{"svc":"api","ms":100,"rps":5000}'
	[ "$(vfield '.grace.verify.checks[1].message')" = 'rps: 5000 vs baseline 1000: drift 0%, within 10%' ]
	run -0 grace-verify -c c.yaml <<< '{"svc":"api","ms":100,"rps":901}'
	run -1 grace-verify -c c.yaml <<< '{"svc":"api","ms":100,"rps":899}'
	[ "$(vfield '.grace.verify.checks[1].message')" = 'rps: 899 vs baseline 1000: drift -10.1%, above the limit of 10%' ]
}

@test "baseline: a missing file or key, or a metric that is not a number, is inconclusive" {
	baseline_contract
	run -1 grace-verify -c c.yaml <<< '{"svc":"db","ms":5,"rps":"fast"}'
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"latency","kind":"baseline","result":"error","message":"db: no baseline in base.json (record one with --update-baseline)"},{"name":"throughput","kind":"baseline","result":"error","message":"metric .rps is a string, not a number"}],"contract":"k"}' ]
	rm base.json
	run -1 grace-verify -c c.yaml <<< '{"svc":"api","ms":5,"rps":1}'
	[ "$(vfield '.grace.verify.checks[0].message')" = 'api: no baseline in base.json (record one with --update-baseline)' ]
	printf '{"api": "fast"}\n' > base.json
	run -1 grace-verify -c c.yaml <<< '{"svc":"api","ms":5,"rps":1}'
	[ "$(vfield '.grace.verify.checks[0].message')" = "base.json: not a baseline file: member 'api' is string, not a number" ]
}

@test "--update-baseline records the values, atomically, keys sorted; the next run compares with them" {
	baseline_contract
	printf '%s\n' '{"svc":"web","ms":250,"rps":1200}' '{"svc":"api","ms":130,"rps":1200}' > in.ndjson
	run -0 --separate-stderr grace-verify -c c.yaml --update-baseline in.ndjson
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -r '.grace.verify.checks[].message' | tr '\n' '|')" = 'web: baseline recorded: 250 (new)|rps: baseline recorded: 1200 (was 1000)|api: baseline recorded: 130 (was 100)|rps: baseline recorded: 1200 (was 1200)|' ]
	[ "$(cat base.json)" = '{
  "api": 130,
  "rps": 1200,
  "web": 250
}' ]
	[ "$(stat -c %a base.json)" = 644 ]
	[ -z "$(ls base.json.tmp.* 2>/dev/null)" ]
	run -0 grace-verify -c c.yaml <<< '{"svc":"web","ms":260,"rps":1200}'
	run -1 grace-verify -c c.yaml <<< '{"svc":"web","ms":301,"rps":1200}'
}

@test "--update-baseline refuses to overwrite a baseline file that is not valid (exit 2)" {
	baseline_contract
	printf '{"api": 100,\n' > base.json
	run -2 --separate-stderr grace-verify -c c.yaml --update-baseline <<< '{"svc":"api","ms":1,"rps":1}'
	assert_output ''
	[ "$stderr" = "grace-verify: c.yaml:5:26: base.json: not a baseline file: Unfinished JSON term at EOF at line 2, column 0; refusing to overwrite it with --update-baseline" ]
	[ "$(cat base.json)" = '{"api": 100,' ]
}

# ------------------------------------------------------------------ scan

@test "scan: findings with file, line and column, in text order; a clean file passes" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: scan, scan: {file_from: .f}}
	EOF
	cp "$CODE/risky.py" "$CODE/clean.py" .
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"f":"risky.py"}'
	[ -z "$stderr" ]
	[ "$(vfield '.grace.verify.checks[0].message')" = '6 findings, 6 at or above low: hardcoded-password (high) at risky.py:3:1; eval-call (high) at risky.py:6:14; os-system (high) at risky.py:7:5; and 3 more' ]
	[ "$(vfield '.grace.verify.checks[0].findings | map("\(.rule) \(.severity) \(.file):\(.line):\(.col)") | join(", ")')" = 'hardcoded-password high risky.py:3:1, eval-call high risky.py:6:14, os-system high risky.py:7:5, shell-true high risky.py:8:5, requests-verify-false high risky.py:9:46, yaml-unsafe-load medium risky.py:10:12' ]
	[ "$(vfield '.grace.verify.checks[0].findings[1].message')" = 'eval() of a string runs whatever the string holds' ]
	run -0 grace-verify -c c.yaml <<< '{"f":"clean.py"}'
	[ "$(vfield '.grace.verify.checks[0] | [.result, .message] | @text')" = '["pass","clean.py: no findings"]' ]
}

@test "scan: the shipped rules catch eval, shell interpolation, secrets and disabled TLS in several languages" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: scan, scan: {file_from: .f}}
	EOF
	check_rules() {
		run -1 grace-verify -c c.yaml <<< "{\"f\":\"$CODE/$1\"}"
		[ "$(vfield '.grace.verify.checks[0].findings | map(.rule) | join(" ")')" = "$2" ] ||
		    { echo "$1: $(vfield '.grace.verify.checks[0].findings | map(.rule) | join(" ")')"; return 1; }
	}
	check_rules risky.js "node-reject-unauthorized exec-call child-process-exec shell-interpolation new-function"
	check_rules deploy.sh "curl-pipe-shell chmod-777 curl-insecure"
	check_rules keys.txt "aws-access-key private-key"
}

@test "scan: a snippet carried by the event; fail_on sets the threshold" {
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: strict, scan: {snippet_from: .data.diff}}
	      - {name: high-only, scan: {snippet_from: .data.diff, fail_on: high}}
	EOF
	run -1 grace-verify -c c.yaml <<< '{"data":{"diff":"ok = 1\ncfg = yaml.load(f)\n"}}'
	[ "$(verdicts)" = '{"status":"failed","confidence":0.5,"checks":[{"name":"strict","kind":"scan","result":"fail","message":"1 finding, 1 at or above low: yaml-unsafe-load (medium) at event:.data.diff:2:7","findings":[{"rule":"yaml-unsafe-load","severity":"medium","file":"event:.data.diff","line":2,"col":7,"message":"yaml.load without SafeLoader constructs arbitrary objects"}]},{"name":"high-only","kind":"scan","result":"pass","message":"1 finding, 0 at or above high: yaml-unsafe-load (medium) at event:.data.diff:2:7","findings":[{"rule":"yaml-unsafe-load","severity":"medium","file":"event:.data.diff","line":2,"col":7,"message":"yaml.load without SafeLoader constructs arbitrary objects"}]}],"contract":"k"}' ]
	run -0 grace-verify -c c.yaml <<< '{"data":{"diff":"x = 1\n"}}'
}

@test "scan: a missing file, a file over max_size or a missing snippet is inconclusive" {
	head -c 2048 /dev/zero > big.bin
	contracts <<-'EOF'
	contracts:
	  - id: k
	    checks:
	      - {name: missing, scan: {file: nosuch.py}}
	      - {name: big, scan: {file: big.bin, max_size: 1KiB}}
	      - {name: snippet, scan: {snippet_from: .data.diff}}
	EOF
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{}'
	[ -z "$stderr" ]
	[ "$(verdicts)" = '{"status":"inconclusive","confidence":0.5,"checks":[{"name":"missing","kind":"scan","result":"error","message":"nosuch.py: unable to open: No such file or directory"},{"name":"big","kind":"scan","result":"error","message":"big.bin: file larger than 1024 bytes"},{"name":"snippet","kind":"scan","result":"error","message":"snippet .data.diff is null"}],"contract":"k"}' ]
}

@test "scan: a file that is not valid UTF-8 is scanned; findings are where the bytes are" {
	contracts <<-'EOF2'
	contracts:
	  - id: k
	    checks:
	      - {name: scan, scan: {file_from: .f}}
	      - {name: tail, scan: {file_from: .f, rules: tail.yaml}}
	EOF2
	printf 'rules:\n  - {id: tail, pattern: "tail[^\\\\n]*", severity: low}\n' > tail.yaml
	printf '# caf\351 \377\376\nx = eval(\351data)\n\303password = "hunter2x"\ntail \360\237' > latin1.py
	run -1 --separate-stderr grace-verify -c c.yaml <<< '{"f":"latin1.py"}'
	[ -z "$stderr" ]
	[ "$(vfield '.grace.verify.checks | map([.name, .result, (.findings | map("\(.rule) \(.file):\(.line):\(.col)"))]) | @text')" = '[["scan","fail",["eval-call latin1.py:2:5","hardcoded-password latin1.py:3:2"]],["tail","fail",["tail latin1.py:4:1"]]]' ]
}
