# bench/gate/rules.jq - bench/gate/governance.yaml as one jq program: the
# constitution, 10 threat rules, 50 policies, trust, risk and its tiers,
# in the precedence grace-gate applies; it writes .grace.gate.{decision,
# rules,risk,trust}. Run as: jq -c -f rules.jq events.ndjson
def trustmap: {"alice": 0.95, "bob": 0.9, "carol": 0.85, "dave": 0.6, "ci-bot": 0.8, "avn": 0.75, "intern": 0.3};
. as $e
| (if (.actor | type) == "string" then .actor elif (.source | type) == "string" then .source else null end) as $who
| (if $who == null then 0.5 else (trustmap[$who] // 0.5) end) as $trust
| ($who == "mallory") as $quar
| ((.autonomous == true) or (.actor | IN("avn", "ci-bot"))) as $auto
| tojson as $text
| [(if $quar then "no-quarantined-actor" else empty end), (if .type == "resource.delete" and .data.env == "prod" and $auto then "no-autonomous-prod-delete" else empty end), (if .type == "deploy.requested" and .data.env == "prod" and .data.signed != true then "no-unsigned-prod-deploy" else empty end)] as $con
| [(if ($text | test("\\b(AKIA|ASIA)[0-9A-Z]{16}\\b"; null)) then {id: "aws-access-key", deny: true, risk: 3} else empty end),
   (if ($text | test("-----BEGIN ([A-Z]+ )?PRIVATE KEY-----"; null)) then {id: "private-key", deny: true, risk: 3} else empty end),
   (if ($text | test("\\bgh[pousr]_[A-Za-z0-9]{36}\\b"; null)) then {id: "github-token", deny: true, risk: 3} else empty end),
   (if ($text | test("xox[baprs]-[0-9A-Za-z-]{10,}"; null)) then {id: "slack-token", deny: true, risk: 2} else empty end),
   (if ($text | test("AIza[0-9A-Za-z_-]{35}"; null)) then {id: "google-api-key", deny: true, risk: 2} else empty end),
   (if ($text | test("eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\."; null)) then {id: "jwt", deny: false, risk: 1} else empty end),
   (if ($text | test("\"password\"\\s*:\\s*\"[^\"]{4,}\""; "i")) then {id: "password-in-payload", deny: false, risk: 2} else empty end),
   (if ($text | test("(;|&&|\\|\\||`|\\$\\()\\s*(rm|curl|wget|sh|bash|nc|chmod)\\b"; null)) then {id: "shell-injection", deny: false, risk: 2} else empty end),
   (if ($text | test("union\\s+select|;\\s*drop\\s+table"; "i")) then {id: "sql-injection", deny: false, risk: 2} else empty end),
   (if ($text | test("\\.\\./\\.\\./"; null)) then {id: "path-traversal", deny: false, risk: 1} else empty end)] as $thr
| [(if .type == "deploy.requested" and (.data.env | IN("dev", "staging")) then {id: "deploy-dev", effect: "allow"} else empty end),
   (if .type == "deploy.requested" and .data.env == "prod" and ($trust >= 0.8) then {id: "deploy-prod-trusted", effect: "allow"} else empty end),
   (if .type == "deploy.requested" and .data.env == "prod" and ($trust < 0.8) then {id: "deploy-prod-untrusted", effect: "review"} else empty end),
   (if .type == "deploy.requested" and (.data.replicas | type == "number" and . > 50) then {id: "deploy-big", effect: "warn"} else empty end),
   (if .type == "deploy.requested" and .data.env == "prod" and ((.data.version | startswith("0.")) as $w | $w != null and $w != false) then {id: "deploy-freeze", effect: "deny"} else empty end),
   (if .type == "deploy.completed" and (.data.error_rate | type == "number" and . < 0.01) then {id: "completed-ok", effect: "allow"} else empty end),
   (if .type == "deploy.completed" and (.data.error_rate | type == "number" and . >= 0.01) then {id: "completed-errors", effect: "warn"} else empty end),
   (if .type == "deploy.completed" and (.data.latency_ms | type == "number" and . > 800) then {id: "completed-slow", effect: "warn"} else empty end),
   (if .type == "deploy.completed" and .actor == "ci-bot" then {id: "completed-bot", effect: "allow"} else empty end),
   (if .type == "deploy.completed" and ((.source | type == "string" and startswith("ci/")) | not) then {id: "completed-foreign", effect: "deny"} else empty end),
   (if .type == "healing.proposed" and (.data.action | IN("restart", "clear-cache")) then {id: "heal-restart", effect: "allow"} else empty end),
   (if .type == "healing.proposed" and .data.action == "failover" then {id: "heal-failover", effect: "review"} else empty end),
   (if .type == "healing.proposed" and .data.action == "scale" and (.data.replicas | type == "number" and . <= 20) then {id: "heal-scale", effect: "allow"} else empty end),
   (if .type == "healing.proposed" and ((.data.action | IN("restart", "clear-cache", "failover", "scale")) | not) then {id: "heal-unknown", effect: "deny"} else empty end),
   (if .type == "healing.proposed" and (.resource | type == "string" and startswith("prod/")) and $auto then {id: "heal-prod-auto", effect: "warn"} else empty end),
   (if .type == "data.access" and (.data.classification | IN("public", "internal")) then {id: "data-public", effect: "allow"} else empty end),
   (if .type == "data.access" and .data.classification == "confidential" and ($trust >= 0.8) then {id: "data-conf", effect: "allow"} else empty end),
   (if .type == "data.access" and .data.classification == "confidential" and ($trust < 0.8) then {id: "data-conf-low", effect: "deny"} else empty end),
   (if .type == "data.access" and .data.classification == "pii" and (((.data.purpose // "") | IN("support", "billing") | not) as $w | $w != null and $w != false) then {id: "data-pii", effect: "deny"} else empty end),
   (if .type == "data.access" and .data.classification == "pii" then {id: "data-pii-ok", effect: "warn"} else empty end),
   (if .type == "config.changed" and ($auto | not) then {id: "config-human", effect: "allow"} else empty end),
   (if .type == "config.changed" and $auto then {id: "config-auto", effect: "review"} else empty end),
   (if .type == "config.changed" and (.resource | type == "string" and startswith("prod/")) and .data.env == "prod" then {id: "config-prod", effect: "warn"} else empty end),
   (if .type == "config.changed" and (.data | type == "object" and has("key")) and ((.data.key | test("secret|password"; "i")) as $w | $w != null and $w != false) then {id: "config-secret", effect: "deny"} else empty end),
   (if .type == "config.changed" and .data.env == "dev" then {id: "config-dev", effect: "allow"} else empty end),
   (if .type == "service.scale" and (.data.replicas | type == "number" and . <= 10) then {id: "scale-small", effect: "allow"} else empty end),
   (if .type == "service.scale" and (.data.replicas | type == "number" and . > 10) and (.data.replicas | type == "number" and . <= 100) then {id: "scale-large", effect: "warn"} else empty end),
   (if .type == "service.scale" and (.data.replicas | type == "number" and . > 100) then {id: "scale-huge", effect: "deny"} else empty end),
   (if .type == "service.scale" and $auto and .data.env == "prod" then {id: "scale-auto-prod", effect: "warn"} else empty end),
   (if .type == "service.scale" and .data.replicas == 0 then {id: "scale-zero", effect: "deny"} else empty end),
   (if .type == "secret.read" and (.actor | IN("ci-bot", "avn")) then {id: "secret-svc", effect: "allow"} else empty end),
   (if .type == "secret.read" and (.actor | IN("alice", "bob")) then {id: "secret-human", effect: "warn"} else empty end),
   (if .type == "secret.read" and (.resource | type == "string" and startswith("prod/")) and ($trust < 0.9) then {id: "secret-prod", effect: "deny"} else empty end),
   (if .type == "secret.read" then {id: "secret-any", effect: "review"} else empty end),
   (if .type == "secret.read" and .data.purpose == "rotation" then {id: "secret-rotation", effect: "allow"} else empty end),
   (if .type == "user.login" and .data.mfa == true then {id: "login-ok", effect: "allow"} else empty end),
   (if .type == "user.login" and .data.mfa != true then {id: "login-nomfa", effect: "warn"} else empty end),
   (if .type == "user.login" and .data.user == "root" then {id: "login-root", effect: "deny"} else empty end),
   (if .type == "user.login" and .data.mfa != true and ((.data.country | IN("KP", "IR")) as $w | $w != null and $w != false) then {id: "login-geo", effect: "deny"} else empty end),
   (if .type == "user.login" and .actor == "ci-bot" then {id: "login-service", effect: "allow"} else empty end),
   (if .type == "resource.delete" and (.data.env | IN("dev", "staging")) then {id: "delete-dev", effect: "allow"} else empty end),
   (if .type == "resource.delete" and .data.env == "prod" then {id: "delete-prod", effect: "review"} else empty end),
   (if .type == "resource.delete" and ($trust >= 0.9) and .data.env == "staging" then {id: "delete-trusted", effect: "allow"} else empty end),
   (if .type == "resource.delete" and (.data.count | type == "number" and . > 100) then {id: "delete-bulk", effect: "deny"} else empty end),
   (if .type == "resource.delete" and (.resource | type == "string" and startswith("backup/")) then {id: "delete-backup", effect: "deny"} else empty end),
   (if .type == "backup.run" then {id: "backup-ok", effect: "allow"} else empty end),
   (if .type == "backup.run" and .data.env == "prod" then {id: "backup-prod", effect: "warn"} else empty end),
   (if .type == "backup.run" and .data.encrypted == false then {id: "backup-unencrypted", effect: "deny"} else empty end),
   (if .type == "backup.run" and (.data.size_gb | type == "number" and . > 500) then {id: "backup-large", effect: "warn"} else empty end),
   (if .type == "backup.run" and $auto then {id: "backup-auto", effect: "allow"} else empty end)] as $pol
| [(if .data.env == "prod" then {id: "prod-is-medium", risk: 1} else empty end)] as $rr
| ([0] + [$thr[].risk] + [$rr[].risk] | max) as $risk
| (["low", "medium", "high", "critical"][$risk]) as $rname
| ({"0": ["allow", "allow"], "1": ["allow", "allow"], "2": ["allow", "warn"], "3": ["warn", "deny"]}[$risk | tostring][if $auto then 1 else 0 end]) as $req
| ("tier:" + $rname) as $tier
| ([$pol[] | select(.effect == "deny") | .id] + (if $req == "deny" then [$tier] else [] end) + (if ($pol | length) == 0 then ["default"] else [] end)) as $deny
| [$pol[] | select(.effect == "review") | .id] as $review
| ([$pol[] | select(.effect == "warn") | .id] + (if $req == "warn" then [$tier] else [] end)) as $warn
| [$pol[] | select(.effect == "allow") | .id] as $allow
| (if ($con | length) > 0 then ["deny", $con]
   elif ([$thr[] | select(.deny)] | length) > 0 then ["deny", [$thr[] | select(.deny) | .id]]
   elif ($deny | length) > 0 then ["deny", $deny]
   elif ($review | length) > 0 then ["review", $review]
   elif ($warn | length) > 0 then ["warn", $warn]
   else ["allow", $allow] end) as [$decision, $rules]
| (if ($rules | index($tier)) != null and $risk > 0
   then $rules + ([$thr[], $rr[] | select(.risk == $risk) | .id] - $rules)
   else $rules end) as $rules
| .grace.gate = {decision: $decision, rules: $rules, risk: $rname, trust: $trust}
