# story.jq - the demo's closing story, told from the events grace-log
# append passed on (every one carries what each program added to it).
# Input: all of them, slurped (jq -s). $pid0, $pid1: the demo service's
# pid before its crash and after its healing.
def who: if .actor then " by \(.actor)" else "" end
       + if .resource then ", \(.resource)" else "" end;
def pad($n): tostring | . + (" " * ($n - length));
def line($word; $text): "  \($word | pad(9)) \($text)";
def requests: map(select(.grace.gate and (.type | test("^(deploy|data)\\.(requested|access|export)$"))));
def votes: map(select(.type == "governance.vote"));
def heal($t): map(select(.type == $t));

. as $all
| [ "Requests (grace-gate judged them, grace-decide decided):",
    ( requests[] as $e
      | ($e.grace.gate.decision) as $g
      | ({allow: "allowed", warn: "allowed", deny: "denied", review: "held"}[$g] // $g) as $w
      | line($w; "\($e.id) \($e.type)\($e | who): \($e.grace.gate.reasons[0]); decision \($e.grace.decision.verdict)"
          + if $g == "review" then
              ( [ $all | votes[] | select(.data.request == $e.id) | .actor ] ) as $v
              | if ($v | length) > 0 then " -- then approved by \($v | join(" and ")) (step 3)"
                else " -- still waiting for \($e.grace.gate.approvals.needed) approvals" end
            else "" end) ),
    "",
    "Reports checked (grace-verify checked what they claim):",
    ( $all[] | select(.grace.verify.status) as $e
      | line($e.grace.verify.status;
          "\($e.id) \($e.type)\($e | who)"
          + if $e.grace.verify.status == "verified" then
              ": \($e.grace.verify.checks | length) checks passed; decision \($e.grace.decision.verdict)"
            else
              ": \([ $e.grace.verify.checks[] | select(.result != "pass") | .name ] | join(", ")) failed;"
              + " decision \($e.grace.decision.verdict): \($e.grace.decision.reasons[0])"
            end) ),
    "",
    "Anomalies and healings (grace-heal, judged by governance before anything ran):",
    ( heal("anomaly.detected")[]
      | line("detected"; "\(.data.anomaly) on \(.data.component) (\(.data.severity)), by detector \(.data.detector)") ),
    ( heal("healing.proposed")[]
      | line("proposed"; "\(.data.playbook) for \(.data.anomaly.anomaly) on \(.data.component) (risk \(.data.risk))") ),
    ( heal("healing.rejected")[]
      | line("refused"; "\(.data.playbook): \(.data.reason)") ),
    ( heal("healing.step")[]
      | line("ran"; "\(.data.phase) \(.data.step): exit \(.data.exit): \(.data.output | rtrimstr("\n"))") ),
    ( heal("healing.verified")[]
      | line("healed"; "\(.data.playbook): \(.data.reason); web's pid \($pid0) -> \($pid1)") ),
    ( (heal("healing.failed") + heal("healing.rolled_back") + heal("healing.escalated"))[]
      | line(.type | ltrimstr("healing."); "\(.data.playbook // "-"): \(.data.reason)") ),
    "",
    "Routed (grace-route), events per target:",
    ( [ $all[] | .grace.route.targets[]? ] | group_by(.)
      | map("\(.[0]) \(length)") | "  " + join(", ") ),
    ( [ $all[] | select(.grace.route.dead_lettered) ] | length
      | "  dead-lettered: \(.)" ),
    "",
    "Logged (grace-log): all \($all | length) events, seq \($all[0].grace.log.seq) to \($all[-1].grace.log.seq), each hash-chained to the one before"
  ]
| .[]
