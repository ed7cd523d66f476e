# verify-helpers.bash - helpers for the grace-verify suites
# (tests/verify*.bats).
load helpers
bats_require_minimum_version 1.5.0

VFIX="$FIX/verify"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
	cp "$ROOT/config/scan-rules.yaml" .
}

# contracts: the contracts file c.yaml, from stdin.
contracts() {
	cat > c.yaml
}

# verdicts: the grace.verify of each line of $output (or of stdin with
# -), without the durations, which vary, one compact JSON per line.
verdicts() {
	if [ "${1:-}" = - ]; then
		jq -c '.grace.verify | if . then del(.checks[].duration_ms) else . end'
	else
		printf '%s\n' "$output" | jq -c '.grace.verify | if . then del(.checks[].duration_ms) else . end'
	fi
}

# vfield EXPR: EXPR over the single output line.
vfield() {
	printf '%s\n' "$output" | jq -r "$1"
}

# no_workdirs: no grace-exec.* directory is left in $TMPDIR.
no_workdirs() {
	local left
	left=$(find "$TMPDIR" -maxdepth 1 -name 'grace-exec.*' | wc -l)
	[ "$left" -eq 0 ] || { echo "working directories left: $left" >&2; return 1; }
}

# gone PID: the process is no longer running (it may be a zombie that
# nobody reaped yet: dead all the same).
gone() {
	local st
	[ -e "/proc/$1" ] || return 0
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
