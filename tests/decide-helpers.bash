# decide-helpers.bash - helpers for the grace-decide suites
# (tests/decide*.bats). Expected values are written out in the tests;
# jq only picks members out of grace-decide's output.
load helpers
bats_require_minimum_version 1.5.0

DFIX="$FIX/decide"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# decide CONFIG EVENT...: grace.decision of each event under
# tests/fixtures/decide/CONFIG (or a path), one compact line each.
decide() {
	local cfg=$1
	shift
	[ -f "$cfg" ] || cfg="$DFIX/$cfg"
	printf '%s\n' "$@" | grace-decide -q -c "$cfg" | jq -c '.grace.decision'
}

# brief CONFIG EVENT...: verdict, decided_by, score and confidence only.
brief() {
	local cfg=$1
	shift
	[ -f "$cfg" ] || cfg="$DFIX/$cfg"
	printf '%s\n' "$@" | grace-decide -q -c "$cfg" |
		jq -c '.grace.decision | [.verdict, .decided_by, .score, .confidence]'
}

# field CONFIG FILTER EVENT...: FILTER (jq: .score, [.verdict, .rules])
# applied to grace.decision.
field() {
	local cfg=$1 f=$2
	shift 2
	[ -f "$cfg" ] || cfg="$DFIX/$cfg"
	printf '%s\n' "$@" | grace-decide -q -c "$cfg" | jq -c ".grace.decision | $f"
}

# with_algo ALGO [CONFIG]: weights.yaml (or CONFIG) with another
# algorithm, written to ./ALGO.yaml; prints the path.
with_algo() {
	sed "s/^algorithm: .*/algorithm: $1/" "$DFIX/${2:-weights.yaml}" > "$1.yaml"
	echo "$BATS_TEST_TMPDIR/$1.yaml"
}

# ev GRACE [TYPE]: an event with the given grace member (JSON text).
ev() {
	printf '{"id":"e-1","type":"%s","grace":%s}' "${2:-deploy.requested}" "$1"
}
