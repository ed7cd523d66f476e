/* gate.h - the governance gate: the one public header of lib/gate/.
 *
 * Is this event or action allowed? The governance file
 * (man/grace-governance.5) and the engine that judges one event against
 * it: constitution, threat rules, policies, trust, risk tiers and
 * approvals, giving allow, warn, review or deny in grace.gate.
 * grace-gate(1) is a loop around it. Uses the core only (lib/: JSON
 * scanning, YAML, jq, the pattern engine); grace-gate itself uses lib/log/
 * to chain-verify a votes log. What only the folder shares is gate_int.h.
 *
 * Files of the folder, one topic each:
 *   governance.c  loading and validating the governance and trust files
 *   cond.c        native conditions (match:) on the raw bytes, the rule
 *                 index, the event as a jv for jq conditions
 *   prefilter.c   the threat regexes' literal prefilter (Aho-Corasick)
 *   eval.c        judging one event, the verdict and its JSON, --explain
 *   votes.c       approvals: governance.vote events, quorum counting
 *   cases.c       policy test files (--test)
 *
 * Speed comes from never building a jv unless a jq `when` must run: the
 * `match:` conditions compare JSON spans located in the raw bytes, rules
 * are indexed by the exact values of top-level fields (type first) so only
 * those that can match are looked at, jq conditions run only after a
 * rule's native conditions passed, on one jv parsed lazily per event and
 * shared (built from the bytes already validated, not by jq's parser),
 * and the verdict is spliced into the original bytes.
 *
 * A struct grace_gov holds compiled jq programs and scratch space: it
 * judges one event at a time (one per thread).
 */
#ifndef GRACE_GATE_H
#define GRACE_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

/* Decisions, in increasing strictness (error last). */
enum grace_gov_decision {
	GRACE_GOV_ALLOW = 0,
	GRACE_GOV_WARN,
	GRACE_GOV_REVIEW,
	GRACE_GOV_DENY,
	GRACE_GOV_ERROR,
};

/* "allow", "warn", "review", "deny", "error". */
const char *grace_gov_decision_name(enum grace_gov_decision d);

/* Risk levels: "low", "medium", "high", "critical". */
enum grace_gov_risk {
	GRACE_RISK_LOW = 0,
	GRACE_RISK_MEDIUM,
	GRACE_RISK_HIGH,
	GRACE_RISK_CRITICAL,
};
const char *grace_gov_risk_name(int r);

struct grace_gov;
struct grace_votes;

/* Load and validate the governance file at path, and the trust file it
 * names (trust_path, when not NULL, replaces that file). Every jq
 * condition is compiled and every regex built. Returns the governance, or
 * NULL with e filled at file:line:col (e->code GRACE_EXIT_USAGE for a bad
 * file, GRACE_EXIT_SYSTEM when out of memory or a file cannot be read). */
struct grace_gov *grace_gov_load(const char *path, const char *trust_path,
    struct grace_err *e);
void grace_gov_free(struct grace_gov *g);

/* What the file holds, for --check. */
struct grace_gov_summary {
	size_t constitution, threats, policies, risk_rules, autonomy_rules;
	size_t jq_conditions, trust_entries;
	enum grace_gov_decision default_effect;
};
void grace_gov_summary(const struct grace_gov *g, struct grace_gov_summary *s);

/* How to judge. */
struct grace_gov_opts {
	int audit;                   /* --mode audit: annotate "mode":"audit" */
	int64_t now_ms;              /* evaluation time (Unix ms) for votes */
	const struct grace_votes *votes; /* may be NULL: no votes */
	int explain;                 /* write a trace into the verdict */
	int no_prefilter;            /* run every pending threat pattern,
	                              * without the literal prefilter (the
	                              * verdicts are the same; for tests) */
};

/* The outcome of judging one event. Its buffers are reused from one
 * judgement to the next: init once with grace_gov_verdict_init(), free
 * with grace_gov_verdict_free(). */
struct grace_gov_verdict {
	enum grace_gov_decision decision;
	int risk;                    /* enum grace_gov_risk */
	double trust;
	struct grace_buf json;       /* the grace.gate value, JSON */
	struct grace_buf rules;      /* deciding rule ids, "a, b" */
	struct grace_buf reason;     /* the reasons, "r1; r2" */
	struct grace_buf explain;    /* the --explain trace (lines, '\n') */
	/* decision review: the unmet approvals (the JSON's "approvals") */
	size_t needed, have;
	struct grace_buf voted;      /* the approvers whose approval counts,
	                                each name NUL-terminated */
	struct grace_buf missing;    /* those who have not approved, alike */
	size_t nvoted, nmissing;
	int64_t votes_valid_ms;      /* how long a vote counts; 0: ever */
};
void grace_gov_verdict_init(struct grace_gov_verdict *v);
void grace_gov_verdict_free(struct grace_gov_verdict *v);

/* Judge the event p[0..n): one JSON object, validated already (by
 * grace_json_scan: the engine reads it trusting that). The members it
 * needs are located as needed. A jq condition that fails at run time
 * is not a failure of the call: the decision is GRACE_GOV_ERROR and the
 * verdict's JSON carries "error". Returns 0, or -1 with e filled when out
 * of memory (or the regex engine failed). */
int grace_gov_judge(struct grace_gov *g, const struct grace_gov_opts *o,
    const char *p, size_t n, struct grace_gov_verdict *v,
    struct grace_err *e);

/* ------------------------------------------------------------- votes */

/* A vote is a governance.vote event (grace-governance(5)):
 *   {"type":"governance.vote","actor":"bob","time":"2026-11-21T10:00:00Z",
 *    "data":{"request":"req-42","vote":"approve"}}
 * actor is the voter, data.request the id of the event voted on, data.vote
 * "approve" or "reject", time when it was cast (RFC 3339). */
struct grace_votes *grace_votes_new(void);
void grace_votes_free(struct grace_votes *v);

/* Add one vote. request, voter copied. Returns 0 or -1 (ENOMEM, e). */
int grace_votes_add(struct grace_votes *v, const char *request,
    const char *voter, int approve, int64_t time_ms, struct grace_err *e);

/* Read the NDJSON file path: each line an event (other types than
 * governance.vote are skipped) or a grace-log(5) record wrapping one (its
 * record time stands in for a vote without time). Blank lines are
 * skipped. A line that is not JSON, or a vote that lacks or misspells a
 * member, is an error at path:line[:col], e->code GRACE_EXIT_USAGE.
 * Returns the number of votes added, or -1. */
long grace_votes_load_file(struct grace_votes *v, const char *path,
    struct grace_err *e);

/* Parse one vote event p[0..n); fields as above. Returns 1 if it was a
 * vote (added), 0 if it is another event type, -1 with e filled at
 * name:line. */
int grace_votes_add_json(struct grace_votes *v, const char *p, size_t n,
    const char *name, unsigned long line, struct grace_err *e);

/* ----------------------------------------------------------- pending */

/* The requests held for review (grace-gate --pending). Requests and votes
 * come as events or as grace-log records wrapping them, in any order;
 * files (may be NULL) are the votes of --votes files. */
struct grace_pending;
struct grace_pending *grace_pending_new(struct grace_gov *g,
    const struct grace_votes *files);
void grace_pending_free(struct grace_pending *pd);

/* One line p[0..n) (validated JSON) of input:line: a vote is counted; a
 * request with an id that o's judgement holds for review is kept (the
 * last one of an id stands). Returns 0, or -1 with e filled (a malformed
 * vote: GRACE_EXIT_USAGE at input:line; memory). */
int grace_pending_add(struct grace_pending *pd, const struct grace_gov_opts *o,
    const char *p, size_t n, const char *input, unsigned long line,
    struct grace_err *e);

/* Judge the kept requests again with every vote, and append those still
 * held to out, in input order: one line of text each
 *   h-2: healing.proposed by grace-heal: 0 of 1 approval; voted: none;
 *   waiting for: alice, bob, carol; a vote counts for 1h; expires <t>
 *   (in.ndjson:4: needs 1 approval from alice, bob, carol)
 * or, json, one object each: id, type, actor, input, line, needed, have,
 * voted, missing, votes_count_for, expires (data.expires, or null),
 * expired (it is past o's now) and gate (the verdict). An expired request
 * is listed still, said expired: nobody should approve it. *count is how many. Returns 0 or -1. */
int grace_pending_list(struct grace_pending *pd, const struct grace_gov_opts *o,
    int json, struct grace_buf *out, size_t *count, struct grace_err *e);

/* ------------------------------------------------------------- tests */

/* A policy test file (--test, grace-governance(5)): cases, each an event,
 * optional votes and the expected verdict. Loaded and validated whole
 * (errors at file:line:col, GRACE_EXIT_USAGE). */
struct grace_gov_tests;
struct grace_gov_tests *grace_gov_tests_load(const char *path,
    struct grace_err *e);
void grace_gov_tests_free(struct grace_gov_tests *t);
size_t grace_gov_tests_count(const struct grace_gov_tests *t);
const char *grace_gov_tests_name(const struct grace_gov_tests *t, size_t i);

/* Run case i against g. Votes: the file's, the case's, and those of
 * extra (may be NULL). now_ms is used unless the file sets now:. Returns
 * 1 if the verdict is as expected, 0 if not (why filled: "decision:
 * expected deny, got allow; ..."), -1 with e filled (out of memory, or
 * the case's event is not a JSON object). */
int grace_gov_tests_run(struct grace_gov *g, const struct grace_gov_tests *t,
    size_t i, const struct grace_votes *extra, int64_t now_ms,
    struct grace_buf *why, struct grace_err *e);

/* ------------------------------------------------------------- trust */

/* A trust file on its own (the TRUST section of grace-governance(5)), for
 * a program that checks an actor's trust without judging the event:
 * grace-route's require: {trust: N}. The same loader and the same lookup
 * as the governance's, so both programs read one file alike. */
struct grace_trust;

/* Load the trust file at path. NULL with e filled at file:line:col
 * (GRACE_EXIT_USAGE for a bad file, GRACE_EXIT_SYSTEM when it cannot be
 * read or memory runs out). */
struct grace_trust *grace_trust_load(const char *path, struct grace_err *e);
/* As grace_trust_load(), for the overlay's writer: an overlay the file
 * names that does not exist yet is read as empty. */
struct grace_trust *grace_trust_load_for_overlay(const char *path,
    struct grace_err *e);
void grace_trust_free(struct grace_trust *t);

/* The score of name[0..len) (the file's default when it is not listed,
 * or when name is NULL); *quarantined (may be NULL) says whether the file
 * lists it as quarantined. */
double grace_trust_score(const struct grace_trust *t, const char *name,
    size_t len, int *quarantined);

/* The score of name as the trust file alone gives it (the overlay not
 * applied): what an adjusted score recovers toward. */
double grace_trust_base(const struct grace_trust *t, const char *name,
    size_t len);

/* The overlay file the trust file names (its `overlay` key, relative to
 * the trust file), or NULL. */
const char *grace_trust_overlay_path(const struct grace_trust *t);

/* ------------------------------------------------------ trust overlay */

/* The trust overlay (grace-governance(5), TRUST): scores grace-heal
 * adjusted, each moving back toward the trust file's score at
 * recover_per_hour from its time `at`. A trust file that names an overlay
 * applies it when loaded, recovered to the clock; the file must then
 * exist (a missing overlay would silently restore scores grace-heal
 * lowered: fail closed). One writer (grace-heal) rewrites it atomically. */
struct grace_trust_ov_entry {
	char *name;
	double score;               /* 0..1 at at_ms */
	int64_t at_ms;
	double per_hour;            /* recovery toward the base, per hour */
};
struct grace_trust_ov {
	struct grace_trust_ov_entry *v;
	size_t n, cap;
};
#define GRACE_TRUST_OV_MAX (64u << 20)

/* score moved toward base by per_hour for the time from at_ms to now_ms,
 * never past base. */
double grace_trust_recovered(double score, double base, double per_hour,
    int64_t at_ms, int64_t now_ms);

/* Parse p[0..n) (file names it in errors, GRACE_EXIT_USAGE) into ov
 * (zeroed first). Returns 0 or -1. */
int grace_trust_ov_parse(const char *p, size_t n, const char *file,
    struct grace_trust_ov *ov, struct grace_err *e);
/* Read the file at path; a file that is not there is an empty overlay
 * when missing_ok, else an error (GRACE_EXIT_SYSTEM, errno ENOENT). */
int grace_trust_ov_read(const char *path, int missing_ok,
    struct grace_trust_ov *ov, struct grace_err *e);
void grace_trust_ov_free(struct grace_trust_ov *ov);
struct grace_trust_ov_entry *grace_trust_ov_get(struct grace_trust_ov *ov,
    const char *name);
/* Add or replace name's entry. Returns 0 or -1 (memory). */
int grace_trust_ov_set(struct grace_trust_ov *ov, const char *name,
    double score, int64_t at_ms, double per_hour);
/* The file's text (entries sorted by name, one per line) appended to out;
 * and written atomically to path. Return 0 or -1. */
int grace_trust_ov_format(struct grace_trust_ov *ov, struct grace_buf *out);
int grace_trust_ov_write(struct grace_trust_ov *ov, const char *path,
    struct grace_err *e);

#endif
