#!/usr/bin/env bats
# grace-log keygen, checkpoint and verify --checkpoint: C2SP signed-note
# checkpoints over RFC 6962 Merkle roots, checked against independent
# computations with openssl.

load log-helpers

# keys: two key pairs, k1 and k2.
keys() {
	grace-log keygen -o k1 example.org/audit > k1.printed
	grace-log keygen -o k2 other.example/audit > /dev/null
}

# H: SHA-256 of stdin, binary.
H() {
	openssl dgst -sha256 -binary
}

@test "keygen writes a signer key (0600) and a note verifier key, and prints the latter" {
	run -0 --separate-stderr grace-log keygen -o k example.org/audit
	[ -z "$stderr" ]
	[ "$output" = "$(cat k.pub)" ]
	[[ "$output" =~ ^example\.org/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$ ]]
	[ "$(stat -c %a k.key)" = 600 ]
	[ "$(stat -c %a k.pub)" = 644 ]
	[[ "$(cat k.key)" == PRIVATE+KEY+example.org/audit+* ]]
	# The key ID is the first 4 bytes of SHA-256(name "\n" 0x01 key),
	# as Go's sumdb/note computes it.
	local name=${output%%+*} rest=${output#*+}
	local kid=${rest%%+*} kb64=${rest#*+}
	[ "$(printf '%s' "$kb64" | base64 -d | head -c 1 | od -An -tx1 | tr -d ' ')" = 01 ]
	[ "$({ printf '%s\n' "$name"; printf '%s' "$kb64" | base64 -d; } | sha256_hex | cut -c1-8)" = "$kid" ]
	# Existing keys are not overwritten without --force.
	cp k.key k.key.before
	run -2 --separate-stderr grace-log keygen -o k example.org/audit
	assert_output ''
	[ "$stderr" = "grace-log: k.key: refusing to overwrite (use --force)" ]
	cmp k.key k.key.before
	# Nor is a new secret written beside an old public key.
	mv k.key k.key.moved
	run -2 --separate-stderr grace-log keygen -o k example.org/audit
	[ "$stderr" = "grace-log: k.pub: refusing to overwrite (use --force)" ]
	[ ! -e k.key ]
	mv k.key.moved k.key
	run -0 --separate-stderr grace-log keygen -o k --force example.org/audit
	[ "$output" = "$(cat k.pub)" ]
	run -2 --separate-stderr grace-log keygen 'bad name'
	[ "$stderr" = "grace-log: invalid key name \"bad name\": it must be non-empty UTF-8 without '+', spaces or control characters" ]
}

@test "a checkpoint has the C2SP tlog-checkpoint format, and its signature verifies with openssl" {
	keys
	small_log audit.log 3
	run -0 --separate-stderr grace-log checkpoint -f audit.log -k k1.key
	[ -z "$stderr" ]
	printf '%s\n' "$output" > cp
	# origin, size, base64 root, blank line, one signature line.
	[ "${#lines[@]}" -eq 4 ]    # (run drops the blank line from lines)
	[ "$(sed -n 1p cp)" = example.org/audit ]
	[ "$(sed -n 2p cp)" = 3 ]
	[[ "$(sed -n 3p cp)" =~ ^[A-Za-z0-9+/]{43}=$ ]]
	[ "$(sed -n 4p cp)" = "" ]
	[[ "$(sed -n 5p cp)" =~ ^—\ example\.org/audit\ [A-Za-z0-9+/]{91}=$ ]]
	[ "$(wc -l < cp)" -eq 5 ]
	# The signature: 4-byte key ID, then 64 bytes of Ed25519 over the
	# note text (the lines before the blank line, newline-terminated).
	local pub kb64 kid sig
	pub=$(cat k1.pub)
	kid=${pub#*+}; kb64=${kid#*+}; kid=${kid%%+*}
	sig=$(sed -n 5p cp); sig=${sig##* }
	printf '%s' "$sig" | base64 -d > sig.all
	[ "$(wc -c < sig.all)" -eq 68 ]
	[ "$(head -c 4 sig.all | od -An -tx1 | tr -d ' \n')" = "$kid" ]
	tail -c 64 sig.all > sig.bin
	head -n 3 cp > signed.txt
	{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$kb64" | base64 -d | tail -c 32; } > pub.der
	run -0 openssl pkeyutl -verify -pubin -inkey pub.der -keyform DER -rawin -in signed.txt -sigfile sig.bin
	assert_output 'Signature Verified Successfully'
	# --origin sets the first line; -o writes the same note to a file.
	run -0 --separate-stderr grace-log checkpoint -f audit.log -k k1.key --origin example.org/log/v1 -o cp2
	assert_output ''
	[ "$(sed -n 1p cp2)" = example.org/log/v1 ]
	[ "$(sed -n 2,3p cp2)" = "$(sed -n 2,3p cp)" ]
	grace-log verify -q audit.log -c cp2 -p k1.pub
}

@test "Merkle root test vector: the empty log" {
	keys
	: > empty.log
	run -0 --separate-stderr grace-log checkpoint -k k1.key empty.log
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= ]
	# That is SHA-256 of nothing, as RFC 6962 says.
	[ "$(printf '' | H | base64)" = 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= ]
	printf '%s\n' "$output" > cp
	grace-log verify -q empty.log -c cp -p k1.pub
}

@test "Merkle root of a 3-record log matches an independent RFC 6962 computation" {
	keys
	small_log audit.log 3
	# Leaves are the record lines without their newline:
	# leaf = H(0x00 || line), node = H(0x01 || left || right); with 3
	# leaves the root is node(node(l1, l2), l3).
	local i
	for i in 1 2 3; do
		{ printf '\x00'; sed -n "${i}p" audit.log | head -c -1; } | H > leaf$i
	done
	{ printf '\x01'; cat leaf1 leaf2; } | H > n12
	{ printf '\x01'; cat n12 leaf3; } | H > root3
	run -0 --separate-stderr grace-log checkpoint -k k1.key audit.log
	[ "${lines[1]}" = 3 ]
	[ "${lines[2]}" = "$(base64 < root3)" ]
	# And one record: the root is the leaf hash itself.
	head -n 1 audit.log > one.log
	run -0 --separate-stderr grace-log checkpoint -k k1.key one.log
	[ "${lines[2]}" = "$(base64 < leaf1)" ]
}

@test "a good checkpoint passes and the result event says ok:true" {
	keys
	small_log audit.log 4
	grace-log checkpoint -f audit.log -k k1.key -o cp
	run -0 --separate-stderr grace-log verify audit.log --checkpoint cp --pubkey k1.pub
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .checkpoints]')" = '[true,[{"file":"cp","size":4,"ok":true}]]' ]
	# The key may be given as the key text too, and among others.
	run -0 --separate-stderr grace-log verify -q audit.log -c cp -p "$(cat k1.pub)"
	run -0 --separate-stderr grace-log verify -q audit.log -c cp -p k2.pub -p k1.pub
	# A checkpoint of a prefix still passes after the log grew.
	small_log audit.log 3 more
	run -0 --separate-stderr grace-log verify audit.log -c cp -p k1.pub
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.records, .checkpoints[0].ok]')" = '[7,true]' ]
	# Several checkpoints at once.
	grace-log checkpoint -f audit.log -k k2.key -o cp7
	run -0 --separate-stderr grace-log verify audit.log -c cp -c cp7 -p k1.pub -p k2.pub
	[ "$(printf '%s\n' "$output" | jq -c '[.data.checkpoints[] | [.size, .ok]]')" = '[[4,true],[7,true]]' ]
}

@test "a checkpoint signed with one key fails verification with another" {
	keys
	small_log audit.log 3
	grace-log checkpoint -f audit.log -k k1.key -o cp
	local kid
	kid=$(cat k1.pub); kid=${kid#*+}; kid=${kid%%+*}
	run -1 --separate-stderr grace-log verify audit.log -c cp -p k2.pub
	[ "$stderr" = "grace-log: cp: bad checkpoint: no signature by a known key (signed by example.org/audit+$kid)" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .checkpoints[0].ok, .error.reason]')" = \
	  "[false,false,\"bad checkpoint: no signature by a known key (signed by example.org/audit+$kid)\"]" ]
}

@test "a checkpoint whose text was edited fails its signature" {
	keys
	small_log audit.log 3
	grace-log checkpoint -f audit.log -k k1.key -o cp
	head -n 2 audit.log > short.log
	# Lower the size to match a truncated log: the signature breaks.
	sed '2s/^3$/2/' cp > cp.edited
	run -1 --separate-stderr grace-log verify -q short.log -c cp.edited -p k1.pub
	[[ "$stderr" == "grace-log: cp.edited: bad checkpoint: signature by example.org/audit does not verify"* ]]
	printf 'not a checkpoint\n' > cp.junk
	run -1 --separate-stderr grace-log verify -q audit.log -c cp.junk -p k1.pub
	[[ "$stderr" == "grace-log: cp.junk: bad checkpoint: malformed note"* ]]
}

@test "a checkpoint for a longer log than the file detects truncation" {
	keys
	small_log audit.log 6
	grace-log checkpoint -f audit.log -k k1.key -o cp
	head -n 2 audit.log > trunc.log
	run -1 --separate-stderr grace-log verify trunc.log -c cp -p k1.pub
	[ "$stderr" = "grace-log: trunc.log: log truncated: cp covers 6 records but the log holds 2" ]
	[ "$(printf '%s\n' "$output" | jq -c '.data | [.intact, .records, .checkpoints]')" = '[false,2,[{"file":"cp","size":6,"ok":false}]]' ]
}

@test "--checkpoint without --pubkey is a usage error" {
	keys
	small_log audit.log 1
	grace-log checkpoint -f audit.log -k k1.key -o cp
	run -2 --separate-stderr grace-log verify audit.log --checkpoint cp
	assert_output ''
	[ "$stderr" = "grace-log: verify: --checkpoint needs --pubkey KEY: an unsigned checkpoint proves nothing
Try 'grace-log verify --help' for more information." ]
	# A bad key or a missing file is no verdict either.
	run -2 --separate-stderr grace-log verify audit.log -c cp -p k1.key
	[[ "$stderr" == "grace-log: k1.key: not a verifier key: "* ]]
	run -4 --separate-stderr grace-log verify audit.log -c nosuch -p k1.pub
	[ "$stderr" = "grace-log: nosuch: unable to open: No such file or directory" ]
}

@test "checkpoint refuses to sign a broken log" {
	keys
	small_log audit.log 3
	sed 2d audit.log > broken.log
	run -1 --separate-stderr grace-log checkpoint -f broken.log -k k1.key -o cp
	assert_output ''
	[ "$stderr" = "grace-log: broken.log:2: chain broken: seq 3 where 2 was expected (records removed or reordered)
grace-log: refusing to sign a log that does not verify" ]
	[ ! -e cp ]
	run -2 --separate-stderr grace-log checkpoint -f audit.log
	[ "$stderr" = "grace-log: checkpoint: no key: use -k KEYFILE
Try 'grace-log checkpoint --help' for more information." ]
	run -2 --separate-stderr grace-log checkpoint -f audit.log -k k1.pub
	[[ "$stderr" == "grace-log: k1.pub: not a signing key: "* ]]
}

# ossl_verify CP N PUBFILE: signature line N (1-based) of the signed note CP
# is an Ed25519 signature, by the key in PUBFILE, of the note's text (the
# lines before the blank line), checked with openssl alone.
ossl_verify() {
	local pub kb64 kid sig
	pub=$(cat "$3")
	kid=${pub#*+}; kb64=${kid#*+}; kid=${kid%%+*}
	sig=$(sed -n '/^$/,$p' "$1" | sed -n "$(($2 + 1))p")
	[[ "$sig" == "— ${pub%%+*} "* ]] || return 1
	printf '%s' "${sig##* }" | base64 -d > sig.all || return 1
	[ "$(head -c 4 sig.all | od -An -tx1 | tr -d ' \n')" = "$kid" ] || return 1
	tail -c 64 sig.all > sig.bin
	sed '/^$/,$d' "$1" > signed.txt
	{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$kb64" | base64 -d | tail -c 32; } > pub.der
	openssl pkeyutl -verify -pubin -inkey pub.der -keyform DER -rawin -in signed.txt -sigfile sig.bin
}

@test "checkpoint -k A -k B signs with each key: each verifier key verifies it alone" {
	# It used to sign with the last -k only, silently.
	keys
	grace-log keygen -o k3 third.example/witness > /dev/null
	small_log audit.log 5
	run -0 --separate-stderr grace-log checkpoint -f audit.log -k k1.key -k k2.key -k k3.key -o cp
	assert_output ''
	[ -z "$stderr" ]
	# One signature line per key, in the order given; the origin is the
	# first key's name; the text is the one a single key signs.
	[ "$(sed -n '/^$/,$p' cp | sed 1d | cut -d' ' -f1,2)" = "— example.org/audit
— other.example/audit
— third.example/witness" ]
	grace-log checkpoint -f audit.log -k k1.key -o cp1
	[ "$(sed '/^$/,$d' cp)" = "$(sed '/^$/,$d' cp1)" ]
	[ "$(sed -n 1p cp)" = example.org/audit ]
	# Ed25519 is deterministic: k1's line is the line k1 alone signs.
	[ "$(sed -n '/^— example.org\/audit /p' cp)" = "$(sed -n '/^— /p' cp1)" ]
	# Each key alone verifies it, in grace-log verify and grace-verify --chain.
	local k
	for k in k1 k2 k3; do
		run -0 --separate-stderr grace-log verify -f audit.log --checkpoint cp --pubkey "$k.pub"
		[ -z "$stderr" ]
		[ "$(printf '%s\n' "$output" | jq -c '.data.checkpoints')" = '[{"file":"cp","size":5,"ok":true}]' ]
		run -0 --separate-stderr grace-verify -q --chain audit.log --checkpoint cp --pubkey "$k.pub"
	done
	# And independently: openssl checks each line with its public key.
	run -0 ossl_verify cp 1 k1.pub
	assert_output 'Signature Verified Successfully'
	run -0 ossl_verify cp 2 k2.pub
	assert_output 'Signature Verified Successfully'
	run -0 ossl_verify cp 3 k3.pub
	assert_output 'Signature Verified Successfully'
	run -1 ossl_verify cp 1 k2.pub
	# A key that did not sign still does not verify it.
	grace-log keygen -o k4 fourth.example > /dev/null
	run -1 --separate-stderr grace-log verify -q -f audit.log --checkpoint cp --pubkey k4.pub
	[[ "$stderr" == "grace-log: cp: bad checkpoint: no signature by a known key (signed by example.org/audit+"*", other.example/audit+"*", third.example/witness+"*")" ]]
	# --origin applies to the one text all keys sign.
	run -0 --separate-stderr grace-log checkpoint -f audit.log -k k2.key -k k1.key --origin log.example/v2
	[ "${lines[0]}" = log.example/v2 ]
	[ "$(printf '%s\n' "$output" | sed -n '/^— /p' | cut -d' ' -f2 | tr '\n' ' ')" = "other.example/audit example.org/audit " ]
}

@test "checkpoint with several keys writes nothing unless every key loads; the same key twice is a usage error" {
	keys
	small_log audit.log 2
	run -4 --separate-stderr grace-log checkpoint -f audit.log -k k1.key -k nosuch.key -o cp
	assert_output ''
	[ "$stderr" = "grace-log: nosuch.key: unable to open: No such file or directory" ]
	[ ! -e cp ]
	run -2 --separate-stderr grace-log checkpoint -f audit.log -k k1.key -k k2.pub -o cp
	[[ "$stderr" == "grace-log: k2.pub: not a signing key: "* ]]
	[ ! -e cp ]
	cp k1.key same.key
	run -2 --separate-stderr grace-log checkpoint -f audit.log -k k1.key -k k2.key -k same.key -o cp
	assert_output ''
	[ "$stderr" = "grace-log: same.key: the same key as k1.key: give each key once" ]
	[ ! -e cp ]
}
