# helpers.bash - shared set-up for the bats suites.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# make test sets GRACE_BIN (build/bin, or build/san/bin with SANITIZE=1).
GRACE_BIN="${GRACE_BIN:-$ROOT/build/bin}"
GRACE_TESTBIN="${GRACE_TESTBIN:-$ROOT/build/test}"
export PATH="$GRACE_BIN:$PATH"
FIX="$ROOT/tests/fixtures"
unset GRACE_LOG

# gen_events N [PREFIX]: N CloudEvents-shaped events, one per line.
gen_events() {
	local n=$1 p=${2:-e} i
	for ((i = 1; i <= n; i++)); do
		printf '{"specversion":"1.0","id":"%s-%d","type":"deploy.requested","source":"ci/pipeline","actor":"alice","data":{"n":%d}}\n' "$p" "$i" "$i"
	done
}
