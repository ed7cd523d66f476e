#!/usr/bin/env bats
# The CI examples of README.md and the man pages, read from the documents
# themselves and run as printed: each deploys when every stage is good,
# and never when one stage breaks (a bad flag, a bad configuration, a
# missing or empty input, a stage that dies after writing its output, a
# tampered or unreadable log). ./deploy.sh and ./promote.sh are scripts
# that leave a marker file. Every example with a pipeline must set
# pipefail (GitHub Actions: shell: bash), and the check of that fails on
# a README that lost it.

load log-helpers

# ------------------------------------------------------------ extraction

# unroff: the text of an mdoc literal block as a shell reads it.
unroff() {
	sed -e 's/\\(dq/"/g' -e 's/\\(em/—/g' -e 's/\\&//g' -e 's/\\e/\\/g'
}

# readme_examples README DIR: each paragraph of the sh block under "A
# pipeline" that runs ./deploy.sh, without its comment lines, as
# DIR/readme-N.sh; each yaml block of that section (a GitHub Actions
# step), as DIR/readme-N.yml.
readme_examples() {
	mkdir -p "$2"
	awk -v dir="$2" '
		/^## / { sec = ($0 == "## A pipeline") }
		!sec { next }
		/^```sh$/ { inb = "sh"; para = ""; next }
		/^```yaml$/ { inb = "yml"; para = ""; next }
		/^```$/ { flush(); inb = ""; next }
		inb == "sh" && /^$/ { flush(); next }
		inb == "sh" && /^#/ { next }
		inb { para = para $0 "\n" }
		function flush() {
			if (para ~ /\.\/deploy\.sh/ || inb == "yml")
				printf "%s", para > (dir "/readme-" ++n "." inb)
			para = ""
		}' "$1"
}

# man_examples PAGE DIR: each literal block (.Bd -literal ... .Ed) of PAGE
# that runs ./deploy.sh or ./promote.sh, or is a GitHub Actions step
# ("- name:" with "run:"), as DIR/NAME-N.sh or DIR/NAME-N.yml. In a shell
# session ("$ " prompts) the commands are the prompted lines and their
# continuations (indented by two spaces); the output lines are left out.
man_examples() {
	local name
	name=$(basename "$1")
	mkdir -p "$2"
	awk -v dir="$2" -v name="$name" '
		/^\.Bd -literal/ { inb = 1; blk = ""; next }
		/^\.Ed$/ && inb { inb = 0; emit(); next }
		inb { blk = blk $0 "\n" }
		function emit(   out, lines, i, k, prompted, cont, ext) {
			if (blk !~ /\.\/(deploy|promote)\.sh/ && !(blk ~ /^- name:/ && blk ~ /run:/))
				return
			ext = blk ~ /^- name:/ ? "yml" : "sh"
			k = split(blk, lines, "\n")
			prompted = blk ~ /(^|\n)\$ /
			out = ""
			for (i = 1; i < k; i++) {
				if (!prompted || ext == "yml") { out = out lines[i] "\n"; continue }
				if (lines[i] ~ /^\$ /) { out = out substr(lines[i], 3) "\n"; cont = 1 }
				else if (cont && lines[i] ~ /^  /) out = out lines[i] "\n"
				else cont = 0
			}
			printf "%s", out > (dir "/" name "-" ++n "." ext)
		}' "$1"
	local f
	for f in "$2/$name"-*; do
		[ -e "$f" ] || continue
		unroff < "$f" > "$f.tmp" && mv "$f.tmp" "$f"
	done
}

# step_script STEP.yml OUT: the run: script of a GitHub Actions step, and
# prints the shell command line GitHub runs it with: "shell: bash" is
# bash --noprofile --norc -eo pipefail {0}; no shell is bash -e {0}; any
# other shell line is used as written.
step_script() {
	awk '
		/^  run: \|/ { blk = 1; next }
		/^  run: / { sub(/^  run: /, ""); print; next }
		blk && /^    / { sub(/^    /, ""); print; next }
		blk { blk = 0 }' "$1" > "$2"
	local shell
	shell=$(sed -n 's/^  shell: *//p' "$1" | sed 's/ *#.*//')
	case $shell in
	'') echo "bash -e {0}" ;;
	bash) echo "bash --noprofile --norc -eo pipefail {0}" ;;
	*) echo "$shell" ;;
	esac
}

# needs_pipefail SCRIPT: the script has a pipeline ('|', not '||').
needs_pipefail() {
	grep -v '^[[:space:]]*#' "$1" | sed 's/||//g' | grep -q '|'
}

# check_pipefail DIR: every example in DIR with a pipeline sets pipefail:
# a "set -o pipefail" line before it, or a step whose shell has it.
# Prints the examples that do not.
check_pipefail() {
	local f bad=0 shell
	for f in "$1"/*; do
		case $f in
		*.sh)
			needs_pipefail "$f" || continue
			grep -qx 'set -o pipefail' "$f" && continue ;;
		*.yml)
			shell=$(step_script "$f" "$f.run")
			needs_pipefail "$f.run" || continue
			[[ "$shell" == *pipefail* ]] && continue ;;
		*) continue ;;
		esac
		echo "no pipefail: $f"
		bad=1
	done
	return "$bad"
}

# ------------------------------------------------------------ the sandbox

# sandbox DIR: a CI workspace in which every documented example deploys:
# the shipped configuration in ./config (found by the search path), a
# request that governance allows, votes, a deploy event whose contract
# passes, an intact log with a signed checkpoint, and ./deploy.sh and
# ./promote.sh, which touch DEPLOYED.
sandbox() {
	rm -rf "$1"
	mkdir -p "$1"
	cd "$1" || return 1
	cp -R "$ROOT/config" config
	grep '"id":"evt-0003"' "$ROOT/scripts/demo/events.ndjson" > request.ndjson
	printf '{"type":"governance.vote","actor":"alice","time":"%s","data":{"request":"evt-0001","vote":"approve"}}\n' \
	    "$(date -u +%FT%TZ)" > approvals.ndjson
	printf 'web 2.4.1\n' > web.tar
	printf '{"specversion":"1.0","type":"deploy.completed","id":"d-1","source":"ci","data":{"env":"staging","error_rate":0.01,"artifact":{"path":"web.tar","sha256":"%s"}}}\n' \
	    "$(sha256_hex < web.tar)" > deploy-event.json
	small_log audit.log 4
	grace-log keygen -o ops ops.example.com/audit > /dev/null
	grace-log checkpoint -f audit.log -k ops.key -o audit.cp
	printf '#!/bin/sh\ntouch "$(dirname "$0")/DEPLOYED"\n' > deploy.sh
	chmod +x deploy.sh
	cp deploy.sh promote.sh
	printf 'rules: [unclosed\n' > broken.yaml
	mkdir shim
}

# run_example EXAMPLE: run it in the current sandbox as documented: a .sh
# under bash (as typed at a prompt, or pasted into a CI script), a .yml
# step under its shell, the step after it standing for the deploy when it
# has none. Sets status; DEPLOYED says whether the deploy ran.
run_example() {
	local cmd
	export REQUEST=${REQUEST-$(cat request.ndjson)}
	case $1 in
	*.sh)
		run bash "$1" ;;
	*.yml)
		cmd=$(step_script "$1" step.sh)
		grep -q '\./deploy\.sh' step.sh || echo './deploy.sh' >> step.sh
		# shellcheck disable=SC2086
		run ${cmd//\{0\}/step.sh} ;;
	esac
}

# stages EXAMPLE: the Grace programs the example runs, once each.
stages() {
	grep -o 'grace-[a-z]*' "$1" | awk '!seen[$0]++'
}

# inputs EXAMPLE: the sandbox files the example reads.
inputs() {
	local f
	for f in request.ndjson approvals.ndjson deploy-event.json audit.log audit.cp ops.pub; do
		grep -q "$f" "$1" && echo "$f"
	done
	return 0
}

# no_deploy EXAMPLE WHAT: after a run of EXAMPLE with one stage broken
# (WHAT says how), the deploy did not run and the run failed.
no_deploy() {
	local ex=$1 what=$2
	BREAKS=$((BREAKS + 1))
	if [ -e DEPLOYED ] || [ "$status" -eq 0 ]; then
		echo "$EXNAME: deployed (status $status) although $what" >&2
		cat "$ex" >&2
		return 1
	fi
}

# check_example EXAMPLE: the example deploys in a good sandbox, and does
# not when any one stage or input is broken.
check_example() {
	local box="$BATS_TEST_TMPDIR/box" s f real conf path=$PATH ex
	BREAKS=0
	ex=$box/example.${1##*.}
	EXNAME=$(basename "$1")
	unset REQUEST
	sandbox "$box"; cp "$1" "$ex"
	run_example "$ex"
	if [ "$status" -ne 0 ] || [ ! -e DEPLOYED ]; then
		echo "$EXNAME: does not deploy in a good workspace (status $status)" >&2
		echo "$output" >&2
		return 1
	fi
	for s in $(stages "$1"); do
		# A bad flag.
		sandbox "$box"; cp "$1" "$ex"
		sed -i "0,/$s/s//$s --no-such-option/" "$ex"
		run_example "$ex"; no_deploy "$ex" "$s has a bad flag" || return 1
		# A configuration that does not load, by -c.
		sandbox "$box"; cp "$1" "$ex"
		sed -i "0,/$s/s//$s -c broken.yaml/" "$ex"
		run_example "$ex"; no_deploy "$ex" "$s -c names a bad configuration" || return 1
		# The default configuration broken, where the stage reads one.
		case $s in
		grace-gate) conf=governance.yaml ;;
		grace-decide) conf=decide.yaml ;;
		grace-verify) grep -q -- '--chain' "$1" && conf= || conf=contracts.yaml ;;
		*) conf= ;;
		esac
		if [ -n "$conf" ] && ! grep -q "$s[^|]* -c " "$1"; then
			sandbox "$box"; cp "$1" "$ex"
			printf 'not: [valid\n' > "config/$conf"
			run_example "$ex"; no_deploy "$ex" "config/$conf is broken" || return 1
		fi
		# The stage writes all its output, then fails (a crash at exit,
		# an output error): only pipefail stops the deploy.
		sandbox "$box"; cp "$1" "$ex"
		real=$(command -v "$s")
		printf '#!/bin/sh\n"%s" "$@"\nexit 4\n' "$real" > "shim/$s"
		chmod +x "shim/$s"
		PATH="$box/shim:$path"
		run_example "$ex"
		PATH=$path
		no_deploy "$ex" "$s failed after writing its output" || return 1
	done
	for f in $(inputs "$1"); do
		sandbox "$box"; cp "$1" "$ex"
		rm "$f"
		run_example "$ex"; no_deploy "$ex" "$f is missing" || return 1
		case $f in
		request.ndjson | deploy-event.json)
			sandbox "$box"; cp "$1" "$ex"
			: > "$f"
			run_example "$ex"; no_deploy "$ex" "$f is empty" || return 1
			sandbox "$box"; cp "$1" "$ex"
			printf '\n\n' > "$f"
			run_example "$ex"; no_deploy "$ex" "$f has only blank lines" || return 1 ;;
		approvals.ndjson)
			sandbox "$box"; cp "$1" "$ex"
			echo '{"type":"governance.vote","actor":"alice"' > "$f"
			run_example "$ex"; no_deploy "$ex" "$f is not JSON" || return 1 ;;
		audit.log)
			sandbox "$box"; cp "$1" "$ex"
			sed -i '2s/"s-2"/"s-X"/' "$f"
			run_example "$ex"; no_deploy "$ex" "$f was tampered with" || return 1
			sandbox "$box"; cp "$1" "$ex"
			sed -i '3,$d' "$f"
			run_example "$ex"; no_deploy "$ex" "$f was truncated" || return 1
			sandbox "$box"; cp "$1" "$ex"
			rm "$f"; mkfifo "$f"
			run_example "$ex"; no_deploy "$ex" "$f is a FIFO" || return 1 ;;
		audit.cp)
			sandbox "$box"; cp "$1" "$ex"
			sed -i '2s/^4$/3/' "$f"
			run_example "$ex"; no_deploy "$ex" "$f was edited" || return 1 ;;
		ops.pub)
			sandbox "$box"; cp "$1" "$ex"
			grace-log keygen --force -o ops ops.example.com/audit > /dev/null
			run_example "$ex"; no_deploy "$ex" "$f is another key" || return 1 ;;
		esac
	done
	# An empty stream: no request at all.
	if grep -q 'REQUEST' "$1"; then
		sandbox "$box"; cp "$1" "$ex"
		REQUEST= run_example "$ex"; no_deploy "$ex" "REQUEST is empty" || return 1
	fi
	echo "$EXNAME: deploys; $BREAKS ways of breaking it do not"
}

# check_all DIR: every example in DIR.
check_all() {
	local f
	BREAKS=0
	for f in "$1"/*.sh "$1"/*.yml; do
		[ -e "$f" ] || continue
		check_example "$f" || return 1
	done
}

# ------------------------------------------------------------------ tests

@test "the examples are found: README 2 scripts and 1 step; grace-gate(1) 1, grace-decide(1) 2, grace-verify(1) 2, grace(7) 2" {
	readme_examples "$ROOT/README.md" readme
	[ "$(ls readme)" = "readme-1.sh
readme-2.sh
readme-3.yml" ]
	grep -qx 'echo "$REQUEST" | grace-gate --votes approvals.ndjson | grace-decide -o github && ./deploy.sh' readme/readme-1.sh
	grep -q 'grace-verify -q --chain audit.log' readme/readme-2.sh
	local m n
	for m in grace-gate.1:1 grace-decide.1:2 grace-verify.1:2 grace.7:2; do
		man_examples "$ROOT/man/${m%:*}" man
		n=$(ls man | grep -c "^${m%:*}-")
		[ "$n" -eq "${m#*:}" ] || { echo "${m%:*}: $n examples"; false; }
	done
	# Roff escapes are undone and the prompts and output dropped.
	[ "$(cat man/grace.7-1.sh)" = 'set -o pipefail
echo "$REQUEST" | grace-gate --votes approvals.ndjson |
  grace-decide -o github && ./deploy.sh' ]
}

@test "every CI example with a pipeline sets pipefail; the check fails on a README or a step without it" {
	readme_examples "$ROOT/README.md" ex
	local m
	for m in grace-gate.1 grace-decide.1 grace-verify.1 grace.7; do
		man_examples "$ROOT/man/$m" ex
	done
	run -0 check_pipefail ex
	assert_output ''
	# A README that lost its pipefail, or its shell: bash, fails the check.
	sed '/^set -o pipefail$/d' "$ROOT/README.md" > nopf.md
	readme_examples nopf.md nopf
	run -1 check_pipefail nopf
	assert_output "no pipefail: nopf/readme-1.sh"
	sed '/^  shell: bash$/d' "$ROOT/README.md" > noshell.md
	readme_examples noshell.md noshell
	run -1 check_pipefail noshell
	assert_output "no pipefail: noshell/readme-3.yml"
	# And so does running it: without pipefail, a grace-gate that failed
	# after writing its output would let the deploy through.
	run ! check_example "$PWD/nopf/readme-1.sh"
	[[ "$output" == *"readme-1.sh: deployed (status 0) although grace-gate failed after writing its output"* ]]
	# Even without pipefail, a grace-gate that failed before writing
	# anything (the votes file missing) deploys nothing: grace-decide
	# judged no event and exits 1. It used to exit 0, and deploy.
	local nopf=$PWD/nopf/readme-1.sh
	sandbox "$BATS_TEST_TMPDIR/bare"
	rm approvals.ndjson
	REQUEST=$(cat request.ndjson) run -1 --separate-stderr bash "$nopf"
	[ ! -e DEPLOYED ]
	assert_output "::error title=grace-decide error::<stdin>: error - no events judged (use --allow-empty to accept an empty stream)
::notice title=grace-decide::1 events: 0 passed, 0 warned or held, 0 failed, 1 errors"
	[ "$stderr" = "grace-gate: approvals.ndjson: unable to open: No such file or directory
0 events, 0 approved, 0 held, 0 escalated, 0 rejected, 0 errors
grace-decide: no events judged (use --allow-empty to accept an empty stream)" ]
}

@test "README: the CI examples run as printed, and deploy nothing when any stage breaks" {
	readme_examples "$ROOT/README.md" "$BATS_TEST_TMPDIR/ex"
	run -0 check_all "$BATS_TEST_TMPDIR/ex"
	assert_output "readme-1.sh: deploys; 11 ways of breaking it do not
readme-2.sh: deploys; 11 ways of breaking it do not
readme-3.yml: deploys; 11 ways of breaking it do not"
}

@test "grace-gate(1) and grace(7): the CI examples run as printed, and deploy nothing when any stage breaks" {
	man_examples "$ROOT/man/grace-gate.1" "$BATS_TEST_TMPDIR/ex"
	man_examples "$ROOT/man/grace.7" "$BATS_TEST_TMPDIR/ex"
	run -0 check_all "$BATS_TEST_TMPDIR/ex"
	assert_output "grace-gate.1-1.sh: deploys; 5 ways of breaking it do not
grace.7-1.sh: deploys; 11 ways of breaking it do not
grace.7-2.sh: deploys; 14 ways of breaking it do not"
}

@test "grace-decide(1): the CI examples run as printed, and deploy nothing when any stage breaks" {
	man_examples "$ROOT/man/grace-decide.1" "$BATS_TEST_TMPDIR/ex"
	run -0 check_all "$BATS_TEST_TMPDIR/ex"
	assert_output "grace-decide.1-1.sh: deploys; 9 ways of breaking it do not
grace-decide.1-2.yml: deploys; 11 ways of breaking it do not"
}

@test "grace-verify(1): the CI examples run as printed, and deploy nothing when any stage breaks" {
	man_examples "$ROOT/man/grace-verify.1" "$BATS_TEST_TMPDIR/ex"
	run -0 check_all "$BATS_TEST_TMPDIR/ex"
	assert_output "grace-verify.1-1.sh: deploys; 7 ways of breaking it do not
grace-verify.1-2.yml: deploys; 11 ways of breaking it do not"
}
