/* gate_int.h - the governance engine's private structures, shared by the
 * files of lib/gate/ only. Nothing outside the folder includes it: the API
 * is gate.h. */
#ifndef GRACE_GOV_INT_H
#define GRACE_GOV_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "buf.h"
#include "gate.h"
#include "idset.h"
#include "jqx.h"
#include "json.h"
#include "patterns.h"
#include "yaml.h"

/* Pseudo-fields of match: conditions (not event members). */
#define GOV_F_TRUST (-2)
#define GOV_F_AUTONOMOUS (-3)
#define GOV_F_QUARANTINED (-4)
/* A match field path has at most this many names (data.a.b is 3). */
#define GOV_FIELD_MAX_DEPTH 64

/* A field: a dotted path into the event ("data.env"). Each is located
 * once per event, when first needed, by one walk over its parent object
 * (the event itself for top-level fields) that locates all its siblings
 * at once. */
struct gov_field {
	char *path;                 /* "data.env" */
	char *name;                 /* last segment: "env" */
	int parent;                 /* -1: top level */
	int key;                    /* top level: index among gov->top's */
	int *children;              /* fields directly below this one */
	const char **child_names;   /* their names, for the sub-scan */
	size_t *child_lens;         /* and their lengths */
	size_t nchildren;
};

enum gov_op {
	GOV_OP_IN,      /* equal to (or, for a glob, like) one of the values */
	GOV_OP_GT, GOV_OP_GE, GOV_OP_LT, GOV_OP_LE,
	GOV_OP_EXISTS,
};

/* A value of a condition. */
struct gov_val {
	enum grace_jkind kind;      /* STRING, NUMBER, TRUE, FALSE, NULL */
	char *s;                    /* strings (decoded) */
	size_t len;
	int glob;                   /* string with '*': a glob */
	double num;
};

struct gov_cond {
	int field;                  /* index in gov->fields, or GOV_F_* */
	enum gov_op op;
	int negate;                 /* not: */
	struct gov_val *v;          /* GOV_OP_IN */
	size_t nv;
	double num;                 /* comparisons */
	int exists;                 /* GOV_OP_EXISTS: 1 present, 0 absent */
	char *want;                 /* what it wants, for --explain */
	int cost;                   /* cheaper conditions run first */
};

/* Rule layers, in the order they are evaluated (rules are stored in
 * this order, so a candidate list sorted by rule number visits them so). */
enum gov_layer {
	GOV_AUTONOMY = 0,
	GOV_CONSTITUTION,
	GOV_THREAT,
	GOV_POLICY,
	GOV_RISKRULE,
	GOV_NLAYERS,
};

/* An approval requirement. */
struct gov_quorum {
	size_t required;
	char **from;
	size_t nfrom;
	int64_t expires_ms;         /* 0: votes never expire */
	int reject_denies;          /* on_reject: deny (1) or ignore (0) */
};

struct gov_rule {
	char *id;
	enum gov_layer layer;
	struct gov_cond *c;         /* match:, cheapest first */
	size_t nc;
	struct grace_jq *when;      /* NULL: none */
	const char *file;           /* borrowed from the YAML tree */
	unsigned long line, col;
	char *message, *owner, *link;   /* NULL when not given */
	char *obligations;          /* JSON array items "a","b" (no []), or NULL */
	/* policies */
	enum grace_gov_decision effect;
	double min_trust;           /* < 0: none */
	enum grace_gov_decision below_trust;
	struct gov_quorum *q;       /* effect review */
	int risk;                   /* policy risk:, risk rule level, threat
	                               severity as a level; -1 none */
	/* threats */
	long pat;                   /* rule index in gov->pats, -1: no pattern */
	int deny;                   /* action: deny (else raise) */
	int scope;                  /* field scanned (in:), -1: the event */
	enum grace_severity severity;
};

struct gov_tier {
	char id[24];                /* "tier:critical" */
	enum grace_gov_decision human, autonomous;
	struct gov_quorum *q;
	double min_trust;           /* < 0: none */
	enum grace_gov_decision below_trust;
	char *message;
};

struct gov_trust {
	char *name;
	double score;
	char text[32];              /* the score as JSON */
	int has_score;
	int quarantined;
	double base;                /* with an overlay: the trust file's */
	int has_base;
};

/* The rule index: (top-level field, exact string) -> sorted rule numbers. */
struct gov_ixent {
	int field;                  /* -1: empty slot */
	char *val;
	size_t len;
	uint32_t *rules;
	size_t n, cap;
};

struct gov_index {
	struct gov_ixent *t;
	size_t cap;                 /* power of two */
	size_t used;
	int *fields;                /* fields rules are indexed by */
	size_t nfields;
	uint32_t *rest;             /* rules indexed by nothing */
	size_t nrest;
};

/* One rule (or the tier, or the default) that decided. */
struct gov_dec {
	const char *id;
	const struct gov_rule *r;   /* NULL for a tier or the default */
	size_t roff, rlen;          /* its reason in gov_state.rbuf */
};

/* A review asked for: by a policy, or by the risk tier (r NULL). */
struct gov_review {
	const char *id;
	const struct gov_rule *r;
	const struct gov_quorum *q;
	size_t have;
	const char *rejected_by;
};

/* Per-event scratch. */
struct gov_state {
	const char *p;
	size_t n;
	unsigned gen;
	unsigned *fgen;             /* per field: gen when fspan is valid */
	struct grace_jspan *fspan;
	struct grace_jspan *sub;    /* sub-scan results */
	jv event;
	int have_event;             /* event parsed into a jv */
	double trust;
	const char *trust_text;     /* trust as JSON */
	int autonomous, quarantined;
	struct grace_buf sbuf;      /* unescaped strings */
	struct grace_buf tbuf;      /* the trust subject */
	struct grace_buf norm;      /* threat text with its strings decoded */
	uint32_t *cand;             /* candidate rules */
	size_t ncand;
	unsigned char *only;        /* per pattern rule: scan it */
	unsigned char *only2;       /* the same, for the text as it arrived */
	struct grace_pattern_match *pm;
	uint32_t *hits[GOV_NLAYERS]; /* matched rules per layer */
	size_t nhits[GOV_NLAYERS];
	unsigned char *trustfail;   /* per rule: min_trust not met */
	uint32_t *pending;          /* threat rules awaiting the scan */
	size_t npending;
	unsigned char *pmatched;    /* per pattern rule: it matched */
	struct gov_dec *dec;        /* the deciders */
	size_t ndec;
	struct grace_buf rbuf;      /* their reasons */
	unsigned char *missing;     /* per approver of a quorum */
	struct gov_review *reviews; /* one per policy, plus the tier */
	const uint32_t **lists;      /* index lists being merged */
	size_t *listn;
	size_t *listpos;
};

struct grace_gov {
	char *path;
	struct grace_ynode *root, *trust_root;
	char *overlay_path;         /* the trust overlay, NULL: none */
	int overlay_missing_ok;     /* its writer: missing is empty */
	enum grace_gov_decision deflt;
	struct gov_field *fields;
	size_t nfields, capfields;
	struct gov_field top;       /* the event: its children are the
	                               top-level fields */
	struct gov_rule *rules;
	size_t nrules, caprules;
	size_t layer_start[GOV_NLAYERS + 1];
	struct grace_patterns *pats;
	struct gov_pf *pf;          /* the patterns' literal prefilter */
	struct gov_tier tiers[4];
	int risk_default;
	int risk_field;             /* -1: none */
	double trust_default;
	char trust_default_text[32];
	struct gov_trust *trust;    /* open addressing, cap a power of two */
	size_t trust_cap, ntrust;
	size_t njq;
	size_t maxchildren;
	size_t maxfrom;             /* most approvers in one quorum */
	struct gov_index ix;
	struct gov_state st;
	struct grace_idset ids;     /* rule ids, for the duplicate check */
	struct grace_idset field_ids; /* field paths -> index in fields */
};

/* --- cond.c ------------------------------------------------------- */

/* Intern the dotted path (len bytes): returns its field index, or -1 with
 * errno ENOMEM. */
int gov_field_intern(struct grace_gov *g, const char *path, size_t len);

/* Parse the match: mapping m into rule r's conditions (fields interned).
 * Returns 0 or -1 (e at the offending node). */
int gov_match_parse(struct grace_gov *g, struct gov_rule *r,
    const struct grace_ynode *m, struct grace_err *e);

/* Free a rule's conditions. */
void gov_conds_free(struct gov_rule *r);

/* Span of field f in the current event (resolved lazily). */
const struct grace_jspan *gov_field_span(struct grace_gov *g, int f);

/* The current event as a jv, built from its (validated) bytes: what
 * grace_jv_parse() would give, faster. */
jv gov_event_jv(struct grace_gov *g);

/* The decoded text of a string span (borrowed until the next call). */
const char *gov_span_str(struct grace_gov *g, const struct grace_jspan *s,
    size_t *len);

/* 1 if condition c holds for the current event, 0 if not. */
int gov_cond_eval(struct grace_gov *g, const struct gov_cond *c);

/* Append to out why c did not hold: "data.env is \"qa\", expected prod". */
void gov_cond_explain(struct grace_gov *g, const struct gov_cond *c,
    struct grace_buf *out);

/* 1 if the glob pat (with '*') matches s. */
int gov_glob(const char *pat, size_t plen, const char *s, size_t slen);

/* Build the index once every rule is loaded. Returns 0 or -1 (ENOMEM). */
int gov_index_build(struct grace_gov *g);
void gov_index_free(struct gov_index *ix);

/* Fill g->st.cand with the candidate rules of the current event, in rule
 * order. Returns 0 or -1 (ENOMEM). */
int gov_index_candidates(struct grace_gov *g);

/* --- prefilter.c -------------------------------------------------- */

struct gov_pf;
/* Read every pattern of ps for the literals its matches must contain and
 * build the automaton. NULL when out of memory. */
struct gov_pf *gov_pf_build(const struct grace_patterns *ps);
void gov_pf_free(struct gov_pf *pf);
/* Clear only[i] for each pattern rule i that cannot match t[0..n). */
void gov_pf_filter(const struct gov_pf *pf, const char *t, size_t n,
    unsigned char *only);
/* How many requirements rule i has (0: it always runs). */
size_t gov_pf_requirements(const struct gov_pf *pf, size_t rule);

/* --- governance.c ------------------------------------------------ */

/* The trust entry of name (len bytes), or NULL. */
const struct gov_trust *gov_trust_find(const struct grace_gov *g,
    const char *name, size_t len);

/* --- votes.c ------------------------------------------------------ */

/* Count next's votes along with v's (a chain; next may be NULL). */
void grace_votes_chain(struct grace_votes *v, const struct grace_votes *next);

/* Count the votes on request (len bytes) for quorum q at time now_ms.
 * *have: approvers whose latest counted vote approves; missing[] (size
 * q->nfrom) flags those who have not approved; *rejected_by: the first
 * listed approver whose latest counted vote rejects, or NULL. A vote
 * older than q's expiry, or dated after now_ms, does not count; the
 * latter is said in x (the --explain trace, NULL: none). */
void gov_votes_count(const struct grace_votes *v, const char *request,
    size_t len, const struct gov_quorum *q, int64_t now_ms, size_t *have,
    unsigned char *missing, const char **rejected_by, struct grace_buf *x);

/* --- hashing ------------------------------------------------------- */

static inline uint32_t
gov_hash(const char *s, size_t n, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

#endif
