#!/usr/bin/env bats
# grace-log report: the audit report, one self-contained HTML page, on the
# file and rendered by headless Chromium (its DOM and a screenshot).

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cat > events.ndjson <<'EOF2'
{"id":"r-1","type":"deploy.requested","actor":"alice","time":"2026-12-01T09:00:00Z","grace":{"gate":{"decision":"allow","reasons":["deploys are allowed"]},"decision":{"verdict":"approve","reasons":["fine"]}}}
{"id":"r-2","type":"deploy.requested","actor":"<script>alert(1)</script>","time":"2026-12-01T09:10:00Z","grace":{"gate":{"decision":"deny","reasons":["no prod deploys on friday & <b>never</b>"]}}}
{"id":"r-3","type":"healing.proposed","actor":"grace-heal","time":"2026-12-01T09:20:00Z","data":{"playbook":"failover","component":"db"},"grace":{"gate":{"decision":"review","reasons":["risk high needs 1 approval from alice, bob, carol"]}}}
{"id":"an-1","type":"anomaly.detected","source":"grace-heal","time":"2026-12-01T09:30:00Z","data":{"anomaly":"latency_spike","component":"web","severity":"high"}}
{"id":"h-1-started","type":"healing.started","time":"2026-12-01T09:31:00Z","data":{"playbook":"restart-web","component":"web"}}
{"id":"h-1-verified","type":"healing.verified","time":"2026-12-01T09:32:00Z","data":{"playbook":"restart-web","component":"web","reason":"serving again"}}
{"id":"r-4","type":"data.access","actor":"dave","time":"2026-12-01T10:00:00Z","grace":{"gate":{"decision":"warn"},"decision":{"verdict":"reject","reasons":["PII"]}}}
EOF2
	grace-log append -f audit.log < events.ndjson > /dev/null 2>&1
}

# dom FILE: the page as headless Chromium renders it.
dom() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
	    --dump-dom "file://$PWD/$1" 2>/dev/null
}

@test "report: one self-contained page, every piece of event data escaped" {
	run -0 --separate-stderr grace-log report -f audit.log
	[ -z "$stderr" ]
	printf '%s\n' "$output" > report.html
	# nothing to load: a CSP that forbids it, no script, no remote asset
	grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">" report.html
	! grep -qi '<script' report.html
	! grep -Eqi '(src|href)=|url\(|@import' report.html
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' report.html
	grep -q 'no prod deploys on friday &amp; &lt;b&gt;never&lt;/b&gt;' report.html
	grep -q '<p id="chain" class="ok">intact: 7 records, seq 1 to 7, head <code>' report.html
	# -o FILE writes the same page
	run -0 grace-log report -f audit.log -o again.html
	cmp report.html again.html
}

@test "report: rendered by headless Chromium: the chain, the chart, the rows behind each with seq and hash" {
	grace-log report -f audit.log > report.html
	run -0 dom report.html
	printf '%s\n' "$output" > dom.html
	grep -q '<p id="chain" class="ok">intact: 7 records, seq 1 to 7' dom.html
	# the legend counts what the chart shows
	grep -q '<b id="n-allow">1</b>' dom.html
	grep -q '<b id="n-deny">1</b>' dom.html
	grep -q '<b id="n-review">1</b>' dom.html
	grep -q '<b id="n-warn">1</b>' dom.html
	grep -q '<b id="n-approve">1</b>' dom.html
	grep -q '<b id="n-reject">1</b>' dom.html
	[ "$(grep -c '<rect class="bar ' dom.html)" -ge 4 ]
	# denials and reviews: r-2 (deny), r-3 (review), r-4 (reject), with
	# their records' seq and hash
	[ "$(sed -n '/<table id="reviews">/,/<\/table>/p' dom.html | grep -o 'data-seq="[0-9]*"' | tr '\n' ' ')" = 'data-seq="2" data-seq="3" data-seq="7" ' ]
	h2=$(sed -n 2p audit.log | jq -r .hash)
	sed -n '/<tr data-seq="2">/,/<\/tr>/p' dom.html | grep -q "<code>$h2</code>"
	# the hash shown is what sha256sum says of the line
	[ "$(sed -n 2p audit.log | head -c -76 | sha256sum | cut -d' ' -f1)" = "$h2" ]
	# anomalies and healings (the proposal too) on a timeline
	[ "$(sed -n '/<table id="timeline">/,/<\/table>/p' dom.html | grep -o 'data-seq="[0-9]*"' | tr '\n' ' ')" = 'data-seq="3" data-seq="4" data-seq="5" data-seq="6" ' ]
	grep -q '<td>latency_spike, high</td>' dom.html
	grep -q '<td>restart-web: serving again</td>' dom.html
	# the escaped actor is text in the DOM, not an element
	! grep -q '<script>alert' dom.html
	# a screenshot: a PNG of the page as drawn
	timeout 60 chromium --headless --no-sandbox --disable-gpu --window-size=1000,1200 \
	    --screenshot="$PWD/shot.png" "file://$PWD/report.html" > /dev/null 2>&1
	[ "$(head -c 8 shot.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	[ "$(stat -c %s shot.png)" -gt 10000 ]
}

@test "report: a tampered log is said NOT INTACT (exit 1), a checkpoint checked" {
	grace-log keygen -o ops ops.example.com/audit > /dev/null 2>&1
	grace-log checkpoint -f audit.log -k ops.key -o audit.cp
	run -0 --separate-stderr grace-log report -f audit.log --checkpoint audit.cp --pubkey ops.pub
	grep -q '<p class="checkpoint ok">checkpoint <code>audit.cp</code>: matches the log, 7 records signed by ops.example.com/audit</p>' <<< "$output"
	sed -i '3s/review/allow/' audit.log
	run -1 --separate-stderr grace-log report -f audit.log --checkpoint audit.cp --pubkey ops.pub
	[[ "$stderr" == "grace-log: audit.log:3: "* ]]
	grep -q '<p id="chain" class="bad">NOT INTACT: audit.log:3: ' <<< "$output"
	grep -q 'do not trust it' <<< "$output"
	run -2 --separate-stderr grace-log report -f audit.log --checkpoint audit.cp
	[[ "$stderr" == "grace-log: report: --checkpoint needs --pubkey KEY: an unsigned checkpoint proves nothing"* ]]
	run -0 grace-log report --help
	assert_line --index 0 'usage: grace-log report [-f LOG]... [FILE...] [--checkpoint FILE --pubkey KEY]...'
}
