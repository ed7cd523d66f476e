#!/usr/bin/env bats
# grace-decide: the decision itself. Weight arithmetic against values
# worked out by hand (in the comments), each override, missing and
# indeterminate inputs, the thresholds at their edges, the four combining
# algorithms, and rules with their obligations, advice and routes.
# The command line, formats and bad input are in decide.bats.

load decide-helpers

# Inputs for the arithmetic (fixtures/decide/weights.yaml: governance 0.4,
# avn 0.2 (missing: neutral 0.6), verification 0.3, mldl 0.1; approve
# 0.8, hold 0.6, reject 0.4).
GATE_ALLOW='"gate":{"decision":"allow"}'
HEAL_NONE='"heal":{"anomaly":false,"severity":"none"}'
VERIFIED='"verify":{"status":"verified","confidence":1}'

# ------------------------------------------------------- weight arithmetic

@test "weights: four inputs present, weighted mean and confidence by hand" {
	# governance allow = 1, avn no anomaly with score 0.2 = 1-0.2 = 0.8,
	# verification verified 0.9 = 0.9, mldl 0.6:
	#   S = 0.4*1 + 0.2*0.8 + 0.3*0.9 + 0.1*0.6 = 0.4+0.16+0.27+0.06 = 0.89
	#   >= 0.8: approve.
	# deviation D = 0.4*|1-0.89| + 0.2*|0.8-0.89| + 0.3*|0.9-0.89|
	#             + 0.1*|0.6-0.89| = 0.044+0.018+0.003+0.029 = 0.094
	# coverage 1 (all weight present); confidence = 1 * (1 - 2*0.094) = 0.812
	run -0 --separate-stderr brief weights.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":false,"severity":"none","score":0.2},"verify":{"status":"verified","confidence":0.9},"mldl":{"score":0.6}}')"
	assert_output '["approve","weights",0.89,0.812]'
}

@test "weights: warn, a medium anomaly without a score, inconclusive, a low model score" {
	# warn = 0.7; anomaly true without severity = medium = 0.5; inconclusive
	# = 0.5; mldl 0.3:
	#   S = 0.4*0.7 + 0.2*0.5 + 0.3*0.5 + 0.1*0.3 = 0.28+0.1+0.15+0.03 = 0.56
	#   0.4 <= 0.56 < 0.6: escalate.
	#   D = 0.4*0.14 + 0.2*0.06 + 0.3*0.06 + 0.1*0.26 = 0.112
	#   confidence = 1 * (1 - 0.224) = 0.776
	run -0 --separate-stderr brief weights.yaml "$(ev '{"gate":{"decision":"warn"},"heal":{"anomaly":true},"verify":{"status":"inconclusive"},"mldl":{"score":0.3}}')"
	assert_output '["escalate","weights",0.56,0.776]'
}

@test "weights: an absent input is left out, a neutral one counts with its neutral score" {
	# heal missing (avn missing: neutral, neutral 0.6); mldl missing
	# (absent: left out); verification verified with confidence 0.5:
	#   S = (0.4*1 + 0.2*0.6 + 0.3*0.5) / (0.4+0.2+0.3) = 0.67/0.9 = 0.74444
	#   -> 0.7444: 0.6 <= S < 0.8: hold.
	#   coverage = present weight / all weight = (0.4+0.3)/1 = 0.7
	#   D = (0.4*0.25556 + 0.2*0.14444 + 0.3*0.24444)/0.9 = 0.22716
	#   confidence = 0.7 * (1 - 2*0.22716) = 0.38198 -> 0.382
	run -0 --separate-stderr brief weights.yaml "$(ev '{"gate":{"decision":"allow"},"verify":{"status":"verified","confidence":0.5}}')"
	assert_output '["hold","weights",0.7444,0.382]'
}

@test "weights: the severity of an anomaly scores it when heal gives no score" {
	# only governance allow and the anomaly: S = (0.4*1 + 0.2*x)/0.6
	#   low 0.75:  (0.4+0.15)/0.6 = 0.9167   medium 0.5: 0.5/0.6 = 0.8333
	#   high 0.25: 0.45/0.6 = 0.75
	run -0 --separate-stderr field weights.yaml .score \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"low"}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"medium"}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"high"}}')"
	assert_output $'0.9167\n0.8333\n0.75'
}

@test "weights: a failed verification scores 1 - confidence, the gate's words their table" {
	# the scores only (overrides decide these two). avn is missing: its
	# neutral 0.6 weighs 0.2.
	# gate review 0.5 with verification failed, confidence 0.8 -> 1-0.8 = 0.2:
	#   S = (0.4*0.5 + 0.2*0.6 + 0.3*0.2) / 0.9 = 0.38/0.9 = 0.4222
	# gate deny 0 with verification verified (no confidence: 1):
	#   S = (0.4*0 + 0.2*0.6 + 0.3*1) / 0.9 = 0.42/0.9 = 0.4667
	run -0 --separate-stderr field weights.yaml .score \
		"$(ev '{"gate":{"decision":"review"},"verify":{"status":"failed","confidence":0.8}}')" \
		"$(ev '{"gate":{"decision":"deny"},"verify":{"status":"verified"}}')"
	assert_output $'0.4222\n0.4667'
}

@test "weights: only a neutral fill to weigh gives its score with confidence 0" {
	# nothing present: avn's neutral 0.6 alone: S = 0.6 (hold), coverage 0.
	run -0 --separate-stderr brief weights.yaml '{"id":"e-1","type":"x"}'
	assert_output '["hold","weights",0.6,0]'
}

@test "weights: nothing to weigh is indeterminate: escalate, score null" {
	run -0 --separate-stderr decide thresholds.yaml '{"id":"e-1"}'
	assert_output '{"verdict":"escalate","confidence":0,"score":null,"decided_by":"weights","rules":[],"reasons":["no input to weigh"],"routes":["ui","audit"],"obligations":[],"advice":[]}'
}

@test "weights: a half-way tie rounds up as by hand, computed or given" {
	# overrides.yaml: governance allow 1 (0.1), mldl 0.75 (0.7), avn and
	# verification missing (absent):
	#   S = (0.1*1 + 0.7*0.75) / 0.8 = 0.625/0.8 = 0.78125 -> 0.7813
	# (floating point computes 0.78124999...); a score given as 0.12345
	# (stored as 0.1234499999...) likewise rounds to 0.1235.
	run -0 --separate-stderr field overrides.yaml .score "$(ev '{"gate":{"decision":"allow"},"mldl":{"score":0.75}}')"
	assert_output '0.7813'
	run -0 --separate-stderr field thresholds.yaml .score "$(ev '{"mldl":{"score":0.12345}}')"
	assert_output '0.1235'
}

# ---------------------------------------------------------------- thresholds

@test "thresholds: each edge belongs to the verdict above it" {
	# thresholds.yaml: the model alone, weight 1: S is its score.
	local s events=()
	for s in 1 0.8 0.7999 0.6 0.5999 0.4 0.3999 0; do
		events+=("$(ev "{\"mldl\":{\"score\":$s}}")")
	done
	run -0 --separate-stderr brief thresholds.yaml "${events[@]}"
	assert_output '["approve","weights",1,1]
["approve","weights",0.8,1]
["hold","weights",0.7999,1]
["hold","weights",0.6,1]
["escalate","weights",0.5999,1]
["escalate","weights",0.4,1]
["reject","weights",0.3999,1]
["reject","weights",0,1]'
}

@test "thresholds: the reason names the band" {
	run -0 --separate-stderr field thresholds.yaml '.reasons[0]' \
		"$(ev '{"mldl":{"score":0.9}}')" "$(ev '{"mldl":{"score":0.7}}')" \
		"$(ev '{"mldl":{"score":0.5}}')" "$(ev '{"mldl":{"score":0.1}}')"
	assert_output '"weighted score 0.9 at or above approve threshold 0.8"
"weighted score 0.7 at or above hold threshold 0.6, below approve threshold 0.8"
"weighted score 0.5 at or above reject threshold 0.4, below hold threshold 0.6"
"weighted score 0.1 below reject threshold 0.4"'
}

# ----------------------------------------------------------------- overrides

@test "override: a governance deny is not outweighed by the scores below it" {
	# overrides.yaml: the weighted score would approve:
	#   S = 0.1*0 + 0.1*1 + 0.1*1 + 0.7*1 = 0.9 >= 0.8, yet: reject.
	run -0 --separate-stderr decide overrides.yaml "$(ev '{"gate":{"decision":"deny","rules":["no-prod-delete"]},"heal":{"anomaly":false,"severity":"none"},"verify":{"status":"verified","confidence":1},"mldl":{"score":1}}')"
	assert_output '{"verdict":"reject","confidence":1,"score":0.9,"decided_by":"governance","rules":[],"reasons":["governance: deny by no-prod-delete"],"routes":["learning","audit"],"obligations":[],"advice":[]}'
}

@test "override: a critical anomaly holds regardless of scores" {
	# S = 0.1*1 + 0.1*(1-0.9) + 0.1*1 + 0.7*1 = 0.91 >= 0.8, yet: hold.
	run -0 --separate-stderr decide overrides.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"critical","score":0.9},"verify":{"status":"verified","confidence":1},"mldl":{"score":1}}')"
	assert_output '{"verdict":"hold","confidence":1,"score":0.91,"decided_by":"avn","rules":[],"reasons":["avn: critical anomaly (score 0.9)"],"routes":["ui","audit"],"obligations":[],"advice":[]}'
}

@test "override: a failed verification rejects; its confidence is the decision's" {
	# S = 0.1*1 + 0.1*1 + 0.1*(1-0.85) + 0.7*1 = 0.915, yet: reject.
	run -0 --separate-stderr brief overrides.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":false,"severity":"none"},"verify":{"status":"failed","confidence":0.85},"mldl":{"score":1}}')"
	assert_output '["reject","verification",0.915,0.85]'
}

@test "override: the model's own deny (deny_below) rejects" {
	run -0 --separate-stderr decide overrides.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":false,"severity":"none"},"verify":{"status":"verified"},"mldl":{"score":0.1}}')"
	assert_output '{"verdict":"reject","confidence":1,"score":0.37,"decided_by":"mldl","rules":[],"reasons":["mldl: score 0.1 below deny_below 0.2"],"routes":["learning","audit"],"obligations":[],"advice":[]}'
}

@test "override: a review that still lacks approvals holds" {
	# S = 0.1*0.5 + 0.1 + 0.1 + 0.7 = 0.95, yet: hold.
	run -0 --separate-stderr brief overrides.yaml "$(ev '{"gate":{"decision":"review","rules":["quorum"]},"heal":{"anomaly":false,"severity":"none"},"verify":{"status":"verified"},"mldl":{"score":1}}')"
	assert_output '["hold","governance",0.95,1]'
}

@test "override precedence: governance > avn > verification > mldl" {
	run -0 --separate-stderr brief overrides.yaml \
		"$(ev '{"gate":{"decision":"deny"},"heal":{"anomaly":true,"severity":"critical"},"verify":{"status":"failed"},"mldl":{"score":0}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"critical"},"verify":{"status":"failed"},"mldl":{"score":0}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":false},"verify":{"status":"failed"},"mldl":{"score":0}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":false},"verify":{"status":"verified"},"mldl":{"score":0}}')"
	assert_output '["reject","governance",0,1]
["hold","avn",0.1,1]
["reject","verification",0.2,1]
["reject","mldl",0.3,1]'
}

@test "override precedence is configurable" {
	# verification first: its failure rejects before avn's critical hold.
	sed 's/^thresholds:/precedence: [verification, avn]\nthresholds:/' "$DFIX/overrides.yaml" > c.yaml
	run -0 --separate-stderr brief c.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"critical"},"verify":{"status":"failed"},"mldl":{"score":1}}')"
	assert_output '["reject","verification",0.8,1]'
}

# --------------------------------------------- missing and indeterminate

@test "indeterminate: a gate that errored escalates, never approves" {
	# every other input is perfect: S = (0.1+0.1+0.7)/0.9 = 1.
	run -0 --separate-stderr decide overrides.yaml "$(ev '{"gate":{"decision":"error","error":"jq: error: null has no keys"},"heal":{"anomaly":false},"verify":{"status":"verified"},"mldl":{"score":1}}')"
	assert_output '{"verdict":"escalate","confidence":0,"score":1,"decided_by":"governance","rules":[],"reasons":["governance: indeterminate: error: jq: error: null has no keys"],"routes":["ui","audit"],"obligations":[],"advice":[]}'
}

@test "indeterminate: never folded into reject either" {
	# the model errored and the rest is poor: the error, not the score,
	# decides (S = (0.1*0.7 + 0.1*0.5 + 0.1*0.5)/0.3 = 0.5667 would escalate
	# too, so use governance deny to show a higher deny still wins).
	run -0 --separate-stderr brief overrides.yaml \
		"$(ev '{"gate":{"decision":"allow"},"mldl":{"error":"timeout"}}')" \
		"$(ev '{"gate":{"decision":"deny"},"mldl":{"error":"timeout"}}')"
	assert_output '["escalate","mldl",1,0]
["reject","governance",0,1]'
}

@test "indeterminate: the indeterminate verdict can be hold" {
	sed 's/^thresholds:/indeterminate: hold\nthresholds:/' "$DFIX/overrides.yaml" > c.yaml
	run -0 --separate-stderr brief c.yaml "$(ev '{"gate":{"decision":"error"},"mldl":{"score":1}}')"
	assert_output '["hold","governance",1,0]'
}

@test "indeterminate: on_error ignore leaves it out of the score, and says so" {
	# overrides.yaml: learning weighs 0 and ignores errors.
	run -0 --separate-stderr decide overrides.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":false},"verify":{"status":"verified"},"mldl":{"score":1},"learning":{"error":"service unavailable"}}')"
	assert_output '{"verdict":"approve","confidence":1,"score":1,"decided_by":"weights","rules":[],"reasons":["weighted score 1 at or above approve threshold 0.8","learning: indeterminate: error: service unavailable (ignored: on_error is ignore)"],"routes":["autonomous","audit"],"obligations":[],"advice":[]}'
}

@test "indeterminate: an input that is not decided on is still reported" {
	# governance deny decides; the model's error is listed after it.
	run -0 --separate-stderr field overrides.yaml .reasons "$(ev '{"gate":{"decision":"deny"},"mldl":{"error":"timeout"}}')"
	assert_output '["governance: deny","mldl: indeterminate: error: timeout"]'
}

@test "missing: a required input that is missing is indeterminate" {
	sed 's/governance:   { weight: 0.1 }/governance: { weight: 0.1, missing: required }/' "$DFIX/overrides.yaml" > c.yaml
	run -0 --separate-stderr decide c.yaml '{"id":"e-1","grace":{"mldl":{"score":1}}}' '{"id":"e-2"}'
	assert_output '{"verdict":"escalate","confidence":0,"score":1,"decided_by":"governance","rules":[],"reasons":["governance: indeterminate: required input missing (no grace.gate)"],"routes":["ui","audit"],"obligations":[],"advice":[]}
{"verdict":"escalate","confidence":0,"score":null,"decided_by":"governance","rules":[],"reasons":["governance: indeterminate: required input missing (no grace.gate)"],"routes":["ui","audit"],"obligations":[],"advice":[]}'
}

@test "missing: a null member counts as missing" {
	run -0 --separate-stderr brief weights.yaml "$(ev '{"gate":{"decision":"allow"},"mldl":null,"heal":null}')"
	# S = (0.4*1 + 0.2*0.6) / 0.6 = 0.52/0.6 = 0.8667; coverage 0.4,
	# D = (0.4*0.1333 + 0.2*0.2667)/0.6 = 0.1778; 0.4*(1-0.3556) = 0.2578
	assert_output '["approve","weights",0.8667,0.2578]'
}

@test "malformed annotations are indeterminate, with what is wrong" {
	run -0 --separate-stderr field weights.yaml '.reasons[0]' \
		"$(ev '{"gate":{"decision":"maybe"}}')" \
		"$(ev '{"gate":{"rules":[]}}')" \
		"$(ev '{"gate":"allow"}')" \
		"$(ev '{"gate":[1]}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":"yes"}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"severity":"severe"}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"score":0.5}}')" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"score":1.5}}')" \
		"$(ev '{"gate":{"decision":"allow"},"verify":{"status":"ok"}}')" \
		"$(ev '{"gate":{"decision":"allow"},"verify":{"status":"verified","confidence":"high"}}')" \
		"$(ev '{"gate":{"decision":"allow"},"mldl":{"score":true}}')" \
		"$(ev '{"gate":{"decision":"allow"},"mldl":{"score":-0.1}}')" \
		"$(ev '{"gate":{"decision":"allow"},"mldl":{}}')"
	assert_output '"governance: indeterminate: grace.gate.decision '"'maybe'"' is not allow, warn, review, deny or error"
"governance: indeterminate: grace.gate.decision is missing"
"governance: indeterminate: grace.gate '"'allow'"' is not an object"
"governance: indeterminate: grace.gate is an array, not an object"
"avn: indeterminate: grace.heal.anomaly '"'yes'"' is not true or false"
"avn: indeterminate: grace.heal.severity '"'severe'"' is not none, low, medium, high or critical"
"avn: indeterminate: grace.heal.severity is missing"
"avn: indeterminate: grace.heal.score 1.5 is not a number from 0 to 1"
"verification: indeterminate: grace.verify.status '"'ok'"' is not verified, failed or inconclusive"
"verification: indeterminate: grace.verify.confidence '"'high'"' is not a number from 0 to 1"
"mldl: indeterminate: grace.mldl.score is true, not a number from 0 to 1"
"mldl: indeterminate: grace.mldl.score -0.1 is not a number from 0 to 1"
"mldl: indeterminate: grace.mldl.score is missing"'
}

@test "hostile annotation text stays valid JSON and is cut short" {
	local long
	long=$(printf 'x%.0s' {1..300})
	run -0 --separate-stderr field weights.yaml '.reasons[0]' \
		"$(ev '{"gate":{"decision":"error","error":"quote \" newline \n tab \t \u0000 end"}}')" \
		"$(ev "{\"gate\":{\"decision\":\"error\",\"error\":\"$long\"}}")" \
		"$(ev '{"gate":{"decision":"deny","rules":["a\"b","\u00e9t\u00e9"]}}')"
	assert_line --index 0 '"governance: indeterminate: error: quote \" newline \n tab \t \u0000 end"'
	assert_line --index 1 "\"governance: indeterminate: error: $(printf 'x%.0s' {1..200})...\""
	assert_line --index 2 '"governance: deny by a\"b, été"'
}

@test "annotations written with escapes are read like plain ones" {
	# governance deny 0, avn's neutral 0.6: S = (0.4*0 + 0.2*0.6)/0.6 = 0.2
	run -0 --separate-stderr brief weights.yaml '{"id":"e-1","gr\u0061ce":{"g\u0061te":{"decision":"\u0064eny"}}}'
	assert_output '["reject","governance",0.2,1]'
}

@test "the last of repeated members wins, as in jq" {
	run -0 --separate-stderr brief weights.yaml '{"id":"e-1","grace":{"gate":{"decision":"deny"},"gate":{"decision":"allow","decision":"allow"}}}'
	# S = 0.4*1 + 0.2*0.6 over 0.6 = 0.8667, coverage 0.4: see "a null member".
	assert_output '["approve","weights",0.8667,0.2578]'
}

# ---------------------------------------------------------------- algorithms

@test "deny-overrides: the most severe opinion wins, whatever its precedence" {
	local c
	c=$(with_algo deny-overrides)
	# weighted: avn's hold comes first; deny-overrides: verification's reject.
	run -0 --separate-stderr brief weights.yaml "$(ev '{"gate":{"decision":"allow"},"heal":{"severity":"critical"},"verify":{"status":"failed"}}')"
	assert_output '["hold","avn",0.4444,1]'
	run -0 --separate-stderr brief "$c" "$(ev '{"gate":{"decision":"allow"},"heal":{"severity":"critical"},"verify":{"status":"failed"}}')"
	assert_output '["reject","verification",0.4444,1]'
}

@test "deny-overrides: permits alone approve without the score; no opinion falls back to it" {
	local c
	c=$(with_algo deny-overrides)
	# governance allow, verification verified 0.5, mldl 0.3 (neutral):
	#   S = (0.4 + 0.2*0.6 + 0.3*0.5 + 0.1*0.3) / 1 = 0.7 (hold by weights)
	run -0 --separate-stderr brief "$c" \
		"$(ev '{"gate":{"decision":"allow"},"verify":{"status":"verified","confidence":0.5},"mldl":{"score":0.3}}')" \
		"$(ev '{"mldl":{"score":0.3}}')"
	# second: only mldl 0.3 (neutral) and avn's fill 0.6:
	#   S = (0.2*0.6 + 0.1*0.3)/0.3 = 0.15/0.3 = 0.5, coverage 0.1/1 = 0.1,
	#   D = (0.2*0.1 + 0.1*0.2)/0.3 = 0.1333, 0.1*(1 - 0.2667) = 0.0733
	assert_output '["approve","governance",0.7,1]
["escalate","weights",0.5,0.0733]'
}

@test "permit-overrides: any permit wins, even over a governance deny" {
	local c
	c=$(with_algo permit-overrides)
	run -0 --separate-stderr brief "$c" \
		"$(ev '{"gate":{"decision":"deny"},"verify":{"status":"verified","confidence":0.9}}')" \
		"$(ev '{"gate":{"decision":"deny"},"heal":{"severity":"critical"}}')" \
		"$(ev '{"gate":{"decision":"review"},"mldl":{"score":0.95}}')"
	# (avn is missing in all three: its neutral 0.6 weighs 0.2)
	# 1: verification permits (its confidence 0.9);
	#    S = (0.4*0 + 0.2*0.6 + 0.3*0.9)/0.9 = 0.39/0.9 = 0.4333
	# 2: no permit: the most severe, governance's reject; heal is there
	#    (critical: 0): S = (0.4*0 + 0.2*0)/0.6 = 0
	# 3: the model's permit_at 0.9; S = (0.2 + 0.12 + 0.095)/0.7 = 0.5929
	assert_output '["approve","verification",0.4333,0.9]
["reject","governance",0,1]
["approve","mldl",0.5929,1]'
}

@test "first-applicable: the first input with an opinion decides, in precedence order" {
	local c
	c=$(with_algo first-applicable)
	run -0 --separate-stderr brief "$c" \
		"$(ev '{"gate":{"decision":"allow"},"heal":{"severity":"critical"}}')" \
		"$(ev '{"heal":{"severity":"critical"},"verify":{"status":"verified"}}')" \
		"$(ev '{"mldl":{"score":0.5}}')"
	# 1: governance allow decides: approve (S = 0.4/0.6 = 0.6667)
	# 2: no gate: avn's critical hold decides (S = 0.3/0.5 = 0.6)
	# 3: no opinion at all: the weights: S = (0.2*0.6 + 0.1*0.5)/0.3
	#    = 0.17/0.3 = 0.5667; coverage 0.1; D = (0.2*0.0333 + 0.1*0.0667)
	#    /0.3 = 0.0444; confidence 0.1*(1 - 0.0889) = 0.0911
	assert_output '["approve","governance",0.6667,1]
["hold","avn",0.6,1]
["escalate","weights",0.5667,0.0911]'
	sed -i 's/^thresholds:/precedence: [avn]\nthresholds:/' "$c"
	run -0 --separate-stderr brief "$c" "$(ev '{"gate":{"decision":"allow"},"heal":{"severity":"critical"}}')"
	assert_output '["hold","avn",0.6667,1]'
}

# --------------------------------------------------------------------- rules

@test "rules: a rule with a verdict decides and names itself, its reason and routes" {
	run -0 --separate-stderr decide rules.yaml \
		"$(ev "{$GATE_ALLOW,$HEAL_NONE,$VERIFIED}" resource.delete.requested)" \
		"$(ev "{$GATE_ALLOW,$HEAL_NONE,$VERIFIED}" deploy.requested)"
	assert_output '{"verdict":"escalate","confidence":1,"score":1,"decided_by":"governance","rules":["deletes-escalate"],"reasons":["deletes are always looked at by a human"],"routes":["ui","audit"],"obligations":[],"advice":[]}
{"verdict":"approve","confidence":1,"score":1,"decided_by":"weights","rules":["strong-evidence"],"reasons":["weighted score 1 at or above approve threshold 0.8"],"routes":["autonomous","audit"],"obligations":[{"action":"record","what":"strong-evidence"}],"advice":[]}'
}

@test "rules: obligations travel only with the verdict of their rule" {
	# strong-evidence (approve) matches in both; the second is rejected by
	# governance, so its obligation stays behind.
	run -0 --separate-stderr field rules.yaml '[.verdict, .rules, .obligations]' \
		"$(ev "{$GATE_ALLOW,$HEAL_NONE,$VERIFIED}")" \
		"$(ev "{\"gate\":{\"decision\":\"deny\"},$HEAL_NONE,$VERIFIED}")"
	assert_output '["approve",["strong-evidence"],[{"action":"record","what":"strong-evidence"}]]
["reject",[],[]]'
}

@test "rules: a rule without a verdict travels with any verdict" {
	run -0 --separate-stderr field rules.yaml '[.verdict, .rules, .obligations, .advice]' \
		"$(ev '{"gate":{"decision":"warn","rules":["leaked-key"]},"heal":{"anomaly":false},"verify":{"status":"verified","confidence":0.9}}')" \
		"$(ev '{"gate":{"decision":"deny","rules":["x","rotate-creds"]},"heal":{"anomaly":false},"verify":{"status":"verified","confidence":0.9}}')"
	# 1: S = (0.5*0.7 + 0.25*1 + 0.25*0.9)/1 = 0.825: approve
	assert_output '["approve",["warn-advice","rotate-credentials"],[{"action":"rotate","what":"credentials"}],["read the gate'"'"'s warning"]]
["reject",["rotate-credentials"],[{"action":"rotate","what":"credentials"}],[]]'
}

@test "rules: conditions on severity and anomaly, score_below, opinion absent" {
	run -0 --separate-stderr field rules.yaml '[.verdict, .decided_by, .rules, .reasons[0], .routes]' \
		"$(ev "{$GATE_ALLOW,\"heal\":{\"anomaly\":true,\"severity\":\"high\"},$VERIFIED}")" \
		"$(ev "{$GATE_ALLOW,\"heal\":{\"anomaly\":true,\"severity\":\"low\"},$VERIFIED}")" \
		"$(ev "{$GATE_ALLOW,$HEAL_NONE,\"verify\":{\"status\":\"verified\",\"confidence\":0.6}}")" \
		"$(ev "{$GATE_ALLOW,$HEAL_NONE}")"
	# 2: low anomaly 0.75: S = 0.5 + 0.1875 + 0.25 = 0.9375, approve.
	# 4: verification absent: S = (0.5+0.25)/0.75 = 1; the absent rule
	#    adds the learning route.
	assert_output '["hold","avn",["high-anomaly-hold"],"rule high-anomaly-hold on avn: high anomaly",["ui","audit"]]
["approve","weights",["strong-evidence"],"weighted score 0.9375 at or above approve threshold 0.8",["autonomous","audit"]]
["hold","verification",["weak-verification"],"verified, but with low confidence",["ui","audit"]]
["approve","weights",["risky-and-unverified"],"weighted score 1 at or above approve threshold 0.8",["autonomous","learning","audit"]]'
}

@test "rules: a rule that agrees with the input's own override is credited with it" {
	# shipped config: avn's critical anomaly holds on its own; the rule
	# critical-anomaly (avn, verdict hold) says why, and is named first.
	# governance allow 1 (0.35), avn 1-0.99 = 0.01 (0.2); verification
	# and mldl missing (absent: left out):
	#   S = (0.35 + 0.002) / 0.55 = 0.352/0.55 = 0.64
	run -1 --separate-stderr grace-decide -q -c "$ROOT/config/decide.yaml" --explain <<< "$(ev '{"gate":{"decision":"allow"},"heal":{"anomaly":true,"severity":"critical","score":0.99}}')"
	assert_output --partial '"decision":{"verdict":"hold","confidence":1,"score":0.64,"decided_by":"avn","rules":["critical-anomaly"],"reasons":["critical anomaly on this resource; hold and page on-call"],"routes":["ui","audit"],"obligations":[{"action":"notify","target":"on-call","channel":"pager"}],"advice":[]}'
	[[ "$stderr" == *"  algorithm weighted: decided by rule critical-anomaly on avn (hold)"* ]]
}

@test "rules: the gate's own obligations pass through, before the rules'" {
	run -0 --separate-stderr field rules.yaml .obligations \
		"$(ev '{"gate":{"decision":"allow","rules":["leaked-key"],"obligations":[{"action":"audit"}, "log" ]},"heal":{"anomaly":false},"verify":{"status":"verified"}}')" \
		"$(ev '{"gate":{"decision":"allow","obligations":[ ]},"heal":{"anomaly":false},"verify":{"status":"verified","confidence":0.9}}')"
	assert_output '[{"action":"audit"},"log",{"action":"rotate","what":"credentials"},{"action":"record","what":"strong-evidence"}]
[]'
}

# ------------------------------------------------------------------- unit

@test "unit: number formatting; the member walk with escapes at every alignment" {
	run -0 --separate-stderr "$GRACE_TESTBIN/test_decide"
	refute_output --partial 'not ok'
	assert_output --regexp '1\.\.[0-9]+$'
	[ -z "$stderr" ]
}
