# e2e-helpers.bash - shared set-up for the end-to-end suites (e2e-*.bats):
# the six programs as one system, with the shipped configuration
# (config/, playbooks/) unless a test says otherwise, real processes and
# real files in the test's directory.

load helpers

E2E="$FIX/e2e"

e2e_setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export GRACE_CONFIG_DIR="$ROOT/config"
	# tests/fixtures/e2e/pb/mark.yaml appends the component it healed here
	export E2E_RAN="$BATS_TEST_TMPDIR/ran"
}

# ids LOG: the id of each event of LOG, in log order ("-" for none).
ids() {
	grace-log cat -e "$1" | jq -r '.id // "-"'
}

# stream_ids N: the ids of "$E2E/stream N", sorted.
stream_ids() {
	"$E2E/stream" "$1" | jq -r .id | sort
}

# heal_execute ARGS...: grace-heal --execute with the e2e detectors and
# playbook (state in ./st).
# Every --execute judges proposals by a governance file: the e2e one,
# unless the caller gives its own (or "--governance none": none at all).
heal_execute() {
	case " $* " in
	*" --governance none "*)
		local a=() x skip=0
		for x in "$@"; do
			if [ "$skip" = 1 ]; then skip=0; continue; fi
			[ "$x" = --governance ] && { skip=1; continue; }
			a+=("$x")
		done
		grace-heal -q --execute --state st -d "$E2E/detectors.yaml" -p "$E2E/pb" "${a[@]}" ;;
	*" --governance "*)
		grace-heal -q --execute --state st -d "$E2E/detectors.yaml" -p "$E2E/pb" "$@" ;;
	*)
		grace-heal -q --execute --state st --governance "$E2E/governance.yaml" \
		    -d "$E2E/detectors.yaml" -p "$E2E/pb" "$@" ;;
	esac
}

# propose: the anomalies of cpu metrics for web and db, and their
# proposals, as the first grace-heal of a pipeline makes them.
propose() {
	local t st=0
	t=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	printf '{"id":"m-web","type":"metric","source":"probe","time":"%s","data":{"service":"web","name":"cpu","value":95}}\n{"id":"m-db","type":"metric","source":"probe","time":"%s","data":{"service":"db","name":"cpu","value":97}}\n' "$t" "$t" |
	    grace-heal -q -d "$E2E/detectors.yaml" -p "$E2E/pb" || st=$?
	# (both fire: exit 1)
	[ "$st" -eq 1 ]
}

# judge GOVERNANCE: grace-gate -c GOVERNANCE over proposals.ndjson into
# judged.ndjson (exit 1: it did not allow every event).
judge() {
	local st=0
	grace-gate -q -c "$1" < proposals.ndjson > judged.ndjson || st=$?
	[ "$st" -eq 1 ]
}

# executions: for each healing.proposed line of $output, its id's
# component and what --execute did, and each healing.rejected's reason.
executions() {
	jq -r '(select(.type == "healing.proposed") | "\(.data.component) \(.grace.heal.execution)"),
	    (select(.type == "healing.rejected") | "\(.subject) rejected: \(.data.refused): \(.data.reason)")' <<< "$output"
}

# accounted OUT: for each event of OUT and each target it was queued
# for, "id target where" - where is "file" when the target's file holds
# the event, "dead" when the dead-letter file (DEAD, default dead.ndjson)
# holds it for that target, "LOST" when neither does; FILES maps
# targets to files ("name=path ...").
accounted() {
	local t p
	while read -r id tg; do
		p=
		for t in $FILES; do
			[ "${t%%=*}" = "$tg" ] && p=${t#*=}
		done
		# (jq 1.6's -e reports on the last input alone: test the output)
		if [ -n "$p" ] && [ -f "$p" ] && [ -n "$(jq -c --arg id "$id" 'select(.id == $id)' "$p")" ]; then
			echo "$id $tg file"
		elif [ -f "${DEAD:-dead.ndjson}" ] && [ -n "$(jq -c --arg id "$id" --arg tg "$tg" 'select(.id == $id and .grace.route.dead.target == $tg)' "${DEAD:-dead.ndjson}")" ]; then
			echo "$id $tg dead"
		else
			echo "$id $tg LOST"
		fi
	done < <(jq -r '.id as $id | .grace.route.targets[] | "\($id) \(.)"' "$1")
}
