/* decide.h - unified logic: the one public header of lib/decide/.
 *
 * The unified decision engine of grace-decide (man/grace-decide.1): the decision
 * configuration (config/decide.yaml, grace-decide(5)), the engine that
 * reads the upstream verdicts of one event (grace.gate, grace.heal,
 * grace.verify, grace.mldl, grace.learning, grace.memory) from the event's
 * bytes, without building a jv, and combines them into grace.decision,
 * and the --test case files.
 *
 * Defined in config.c (loading), engine.c (the engine) and cases.c (test
 * cases). Uses only the core (lib/); no other system. lib/ never
 * prints: the engine appends the decision's JSON text, and on request a
 * readable trace, to buffers.
 */
#ifndef GRACE_DECIDE_H
#define GRACE_DECIDE_H

#include <stddef.h>

#include <jv.h>

#include "buf.h"
#include "err.h"
#include "json.h"

/* The inputs, in the default override precedence. */
enum grace_dinput {
	GRACE_DIN_GOVERNANCE = 0, /* grace.gate */
	GRACE_DIN_AVN,            /* grace.heal */
	GRACE_DIN_VERIFICATION,   /* grace.verify */
	GRACE_DIN_MLDL,           /* grace.mldl */
	GRACE_DIN_LEARNING,       /* grace.learning */
	GRACE_DIN_MEMORY,         /* grace.memory */
	GRACE_DIN_COUNT
};

/* Verdicts, from the mildest to the most severe. */
enum grace_verdict {
	GRACE_V_APPROVE = 0,
	GRACE_V_HOLD,
	GRACE_V_ESCALATE,
	GRACE_V_REJECT,
	GRACE_V_COUNT
};

/* What one input says about the event (grace-decide(5), INPUTS). */
enum grace_opinion {
	GRACE_OP_ABSENT = 0,      /* the member is missing */
	GRACE_OP_NEUTRAL,         /* a score, no verdict of its own */
	GRACE_OP_PERMIT,
	GRACE_OP_HOLD,
	GRACE_OP_DENY,
	GRACE_OP_INDETERMINATE,   /* errored, malformed, or required and missing */
	GRACE_OP_COUNT
};

enum grace_dalgo {
	GRACE_ALG_WEIGHTED = 0,
	GRACE_ALG_DENY_OVERRIDES,
	GRACE_ALG_PERMIT_OVERRIDES,
	GRACE_ALG_FIRST_APPLICABLE,
};

enum grace_dmissing {
	GRACE_MISSING_ABSENT = 0, /* left out of the weights */
	GRACE_MISSING_NEUTRAL,    /* weighed with the input's neutral score */
	GRACE_MISSING_REQUIRED,   /* indeterminate */
};

/* What an indeterminate input does: a verdict, or nothing (ignore). */
enum grace_donerror {
	GRACE_ONERR_ESCALATE = 0,
	GRACE_ONERR_HOLD,
	GRACE_ONERR_IGNORE,
};

/* Routing targets, as bits; output in this order. */
enum {
	GRACE_ROUTE_AUTONOMOUS = 1,
	GRACE_ROUTE_UI = 2,
	GRACE_ROUTE_LEARNING = 4,
	GRACE_ROUTE_AUDIT = 8,
};

/* Names: "governance", "avn", ...; the grace member each input is read
 * from: "gate", "heal", "verify", "mldl", "learning", "memory";
 * "approve", "hold", "escalate", "reject"; "absent", "neutral", "permit",
 * "hold", "deny", "indeterminate"; "weighted", "deny-overrides", ... */
const char *grace_dinput_name(enum grace_dinput i);
const char *grace_dinput_member(enum grace_dinput i);
const char *grace_verdict_name(enum grace_verdict v);
const char *grace_opinion_name(enum grace_opinion o);
const char *grace_dalgo_name(enum grace_dalgo a);
/* Parse a verdict or input name; 0, or -1 if s is none. */
int grace_verdict_parse(const char *s, enum grace_verdict *v);
int grace_dinput_parse(const char *s, enum grace_dinput *i);

struct grace_dinput_conf {
	int used;                 /* listed under inputs: */
	double weight;
	enum grace_dmissing missing;
	double neutral;           /* score of a missing neutral input (0.5) */
	enum grace_donerror on_error;
	int has_deny_below, has_permit_at; /* score inputs only */
	double deny_below, permit_at;
};

/* One rule of the configuration. Condition fields left at 0 (or -1 for
 * anomaly) match anything. */
struct grace_drule {
	char *id;
	enum grace_dinput input;
	int has_verdict;
	enum grace_verdict verdict;
	char *reason;             /* JSON string content (escaped), or NULL */
	char *obligations;        /* JSON values joined by ',', or NULL */
	char *advice;             /* likewise */
	unsigned routes;          /* GRACE_ROUTE_* bits added */
	/* conditions ("when"), all of which must hold */
	unsigned opinions;        /* bits of enum grace_opinion */
	unsigned decisions;       /* gate: bits of allow warn review deny error */
	unsigned risks;           /* gate: bits of low medium high critical */
	unsigned statuses;        /* verify: bits of verified failed inconclusive */
	unsigned severities;      /* heal: bits of none low medium high critical */
	int anomaly;              /* heal: -1 any, 0 false, 1 true */
	int has_below, has_at_least;
	double below, at_least;   /* on the input's own score */
	char **gate_rules;        /* gate: any of these rule ids fired */
	size_t ngate_rules;
	char **types;             /* event type, exact or "prefix*" */
	size_t ntypes;
	unsigned long line, col;  /* where the rule starts */
};

/* A loaded configuration: read-only once loaded, so that one can serve
 * any number of grace_decision results. */
struct grace_decide {
	char *file;
	enum grace_dalgo algo;
	enum grace_dinput order[GRACE_DIN_COUNT]; /* precedence, highest first */
	double t_approve, t_hold, t_reject;
	enum grace_donerror indeterminate; /* the default on_error */
	struct grace_dinput_conf in[GRACE_DIN_COUNT];
	double total_weight;      /* of the used inputs, > 0 */
	size_t nused;
	struct grace_drule *rules;
	size_t nrules;
	size_t *by_input[GRACE_DIN_COUNT]; /* rule indexes per input, in order */
	size_t nby_input[GRACE_DIN_COUNT];
	unsigned routes[GRACE_V_COUNT];    /* targets per verdict */
	unsigned fail_on;         /* bits of verdicts that make the exit 1 */
};

/* Load the decision configuration at path (grace-decide(5)). Returns it,
 * or NULL with e filled at file:line:col (invalid YAML, unknown key, bad
 * value; e->code GRACE_EXIT_USAGE) or a system error (cannot open,
 * GRACE_EXIT_SYSTEM). Free with grace_decide_free(). */
struct grace_decide *grace_decide_load(const char *path, struct grace_err *e);
/* Like grace_decide_load() from the len bytes at buf, named name. */
struct grace_decide *grace_decide_load_string(const char *name,
    const char *buf, size_t len, struct grace_err *e);
void grace_decide_free(struct grace_decide *d);

/* A decision, and the scratch space to make it. Zero it before first use
 * ({0}), reuse it for every event, free it with grace_decision_free(). */
struct grace_decision {
	enum grace_verdict verdict;
	int has_score;            /* 0: nothing to weigh, "score":null */
	double score;             /* rounded to 4 decimal places */
	double confidence;        /* likewise */
	int by_weights;           /* decided by the weighted score */
	enum grace_dinput decided_by; /* when !by_weights */
	const struct grace_drule *rule; /* the deciding rule, or NULL */
	struct grace_buf json;    /* the value of grace.decision */
	size_t reason_off, reason_len; /* the first reason's JSON string
	                             literal, quotes included, in json */
	/* private scratch */
	struct grace_buf tmp_, det_;
	size_t *travel_;
	size_t ntravel_, captravel_;
};
void grace_decision_free(struct grace_decision *r);

/* Decide on the event p[0..n), already validated by grace_json_scan():
 * grace is the span of its top-level `grace` member (kind GRACE_J_NONE
 * or GRACE_J_OBJECT: the caller refuses anything else) and type the span
 * of its `type` member (any kind; rules with `type` match strings only).
 * Fills r (r->json holds the grace.decision object, ready to splice).
 * explain: if not NULL, a readable trace of how the decision was made is
 * appended, lines indented by two spaces. Returns 0, or -1 with errno
 * ENOMEM (r is then unusable until the next call). */
int grace_decide_event(const struct grace_decide *d, const char *p, size_t n,
    const struct grace_jspan *grace, const struct grace_jspan *type,
    struct grace_decision *r, struct grace_buf *explain);

/* Round x to 4 decimal places, half away from zero (a tie that floating
 * point computes a hair below still rounds up), and append it as JSON in
 * its shortest form: 1, 0.5, 0.8125. */
double grace_decide_round4(double x);
int grace_decide_addnum(struct grace_buf *b, double x);

/* ---- test cases (--test FILE): cases.c --------------------------- */

struct grace_dcase {
	char *name;
	char *event;              /* the event's JSON text, one line */
	size_t event_len;
	unsigned long line, col;  /* of the event in the case file */
	jv expect;                /* an object: verdict, decided_by, score,
	                             confidence, rules, reasons, routes,
	                             obligations, advice (each optional) */
};

struct grace_dcases {
	char *file;
	struct grace_dcase *v;
	size_t n;
};

/* Load a case file (grace-decide(5), TEST FILES). Returns 0, or -1 with e
 * filled at file:line:col (GRACE_EXIT_USAGE) or a system error. */
int grace_dcases_load(const char *path, struct grace_dcases *cs,
    struct grace_err *e);
void grace_dcases_free(struct grace_dcases *cs);

/* Run case c under d. Returns 1 if the decision meets every expectation,
 * 0 if not (why gets "verdict: expected hold, got approve; ..."), -1
 * with e filled when the case's event cannot be decided (not a JSON
 * object, `grace` not an object: GRACE_EXIT_USAGE at the case's event) or
 * memory runs out (GRACE_EXIT_SYSTEM). r is the scratch decision. */
int grace_dcase_run(const struct grace_decide *d, const struct grace_dcases *cs,
    const struct grace_dcase *c, struct grace_decision *r,
    struct grace_buf *why, struct grace_err *e);

#endif
