/* report.h - the output formats a CI step reads (-o FORMAT): one line of
 * text per event, TAP, JUnit XML, or GitHub workflow-command annotations.
 * (ndjson, the default, is the annotated events themselves and does not
 * go through here.) Shared by the programs that give verdicts. */
#ifndef GRACE_REPORT_H
#define GRACE_REPORT_H

#include "buf.h"

enum grace_report_fmt {
	GRACE_FMT_NDJSON = 0,
	GRACE_FMT_TEXT,
	GRACE_FMT_TAP,
	GRACE_FMT_JUNIT,
	GRACE_FMT_GITHUB,
};

/* "ndjson", "text", "tap", "junit", "github" -> *f. Returns 0 or -1. */
int grace_report_fmt_parse(const char *s, enum grace_report_fmt *f);

/* How a report labels an item. The caller picks it by the one rule of
 * grace(7), REPORTS: FAIL exactly when the verdict fails the run (makes
 * the exit status 1 under the options given), WARN for a negative verdict
 * that does not (a warn, an audit-mode deny, a hold outside fail_on),
 * ERROR for what could not be judged and bad lines. --no-fail does not
 * change the outcome. TAP: not ok for FAIL and ERROR; JUnit: <failure>,
 * <error>, else <system-out>; GitHub: ::error for FAIL and ERROR,
 * ::warning for WARN, nothing for PASS. */
enum grace_outcome {
	GRACE_OUT_PASS = 0,   /* allowed, approved, verified */
	GRACE_OUT_WARN,       /* negative or doubtful, but passes the run */
	GRACE_OUT_FAIL,       /* fails the run: denied, rejected, failed */
	GRACE_OUT_ERROR,      /* could not be judged, a bad line */
};

struct grace_report_item {
	const char *id;       /* the event's id, or "input:line" without one */
	const char *type;     /* the event's type; NULL or "" if none */
	const char *decision; /* the verdict word: "allow", "deny", ... */
	enum grace_outcome outcome;
	const char *rules;    /* ids of the deciding rules, "a, b"; may be "" */
	const char *reason;   /* human-readable; may be "" */
};

struct grace_report;

/* A report in format f for program prog (borrowed: must outlive it).
 * color: use ANSI colours in text (the caller decides: only on a tty).
 * NULL when out of memory. */
struct grace_report *grace_report_new(enum grace_report_fmt f,
    const char *prog, int color);
void grace_report_free(struct grace_report *r);

/* Append the report of one item to out (JUnit keeps it until finish).
 * Returns 0 or -1 (ENOMEM). */
int grace_report_add(struct grace_report *r,
    const struct grace_report_item *it, struct grace_buf *out);

/* Append what ends the report: TAP's plan, the JUnit document, GitHub's
 * closing notice. Returns 0 or -1 (ENOMEM). */
int grace_report_finish(struct grace_report *r, struct grace_buf *out);

#endif
