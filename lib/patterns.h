/* patterns.h - the pattern-rule engine: named regular expressions with a
 * severity and a message, scanned over text (an event's bytes, a file, a
 * code snippet). One implementation for grace-gate's threat rules and
 * grace-verify's scan checks.
 *
 * Regexes are Oniguruma with Perl syntax (the library jq already links),
 * UTF-8. The literals every match of a rule must contain are read from its
 * pattern when it is added (lib/rxlit.h, conservative: a pattern not fully
 * understood has none), and a rule whose literals are absent from a text
 * is not run on it, so most rules cost a memory scan, not a regex run, on
 * text that cannot match them. grace_patterns_set_prefilter() turns that
 * off (every rule runs), for differential tests.
 */
#ifndef GRACE_PATTERNS_H
#define GRACE_PATTERNS_H

#include <stddef.h>

#include "err.h"
#include "yaml.h"

enum grace_severity {
	GRACE_SEV_INFO = 0,
	GRACE_SEV_LOW,
	GRACE_SEV_MEDIUM,
	GRACE_SEV_HIGH,
	GRACE_SEV_CRITICAL,
};

/* "info", "low", "medium", "high", "critical". */
const char *grace_severity_name(enum grace_severity s);
/* Parse one of those names; returns 0, or -1 if s is none of them. */
int grace_severity_parse(const char *s, enum grace_severity *out);

struct grace_pattern_rule {
	char *id;
	char *pattern;
	char *message;               /* "" when none was given */
	enum grace_severity severity;
	int ignore_case;
	const char *file;            /* where it was defined (borrowed) */
	unsigned long line, col;
};

struct grace_patterns;

struct grace_pattern_match {
	size_t rule;                 /* index of the rule */
	size_t off;                  /* byte offset of the match in the text */
	size_t len;                  /* its length */
	unsigned long line;          /* 1-based line of off in the text */
	unsigned long col;           /* 1-based byte column */
};

/* A new, empty rule set (NULL when out of memory). */
struct grace_patterns *grace_patterns_new(void);
void grace_patterns_free(struct grace_patterns *ps);
/* on = 0: run every rule on every text (no literal prefilter); on = 1
 * (the default): skip rules whose required literals are absent. The
 * verdicts are the same either way. */
void grace_patterns_set_prefilter(struct grace_patterns *ps, int on);
/* Number of rules; rule i (borrowed). */
size_t grace_patterns_count(const struct grace_patterns *ps);
const struct grace_pattern_rule *grace_patterns_rule(
    const struct grace_patterns *ps, size_t i);

/* Compile and add a rule. id, pattern and message are copied; file is
 * borrowed (it must outlive ps: a YAML tree's file name does). A pattern
 * that does not compile is an error at file:line:col with Oniguruma's
 * message, code GRACE_EXIT_USAGE; so is a duplicate id. Returns the new
 * rule's index, or -1. */
long grace_patterns_add(struct grace_patterns *ps, const char *id,
    const char *pattern, int ignore_case, enum grace_severity sev,
    const char *message, const char *file, unsigned long line,
    unsigned long col, struct grace_err *e);

/* Add the rule described by the YAML mapping m:
 *   id: aws-access-key          (required)
 *   pattern: 'AKIA[0-9A-Z]{16}' (required)
 *   severity: high              (info|low|medium|high|critical; default medium)
 *   message: "AWS access key"   (optional)
 *   ignore_case: false          (optional)
 * plus the keys in extra (NULL-terminated, may be NULL), which the caller
 * reads itself; any other key is an error. Returns the rule's index or -1
 * (e filled at the offending node). */
long grace_patterns_add_yaml(struct grace_patterns *ps,
    const struct grace_ynode *m, const char *const *extra,
    struct grace_err *e);

/* Scan text[0..n) with every rule (or only the rules whose index has a
 * nonzero byte in only[], when only is not NULL). For each rule that
 * matches, record its first match (all_matches = 0) or every
 * non-overlapping match (all_matches = 1) in out[0..max), in rule order
 * then text order; *nout is how many matches there were in all (it may
 * exceed max: the rest are not stored). text need not be valid UTF-8:
 * the regex engine reads a copy in which each byte that is not part of a
 * well-formed UTF-8 character is U+FFFD, and offsets, lengths, lines and
 * columns are those of the original bytes (a match that covers a
 * replaced byte covers that byte). NUL bytes are ordinary characters.
 * Returns 0, or -1 on a regex engine failure or when out of memory (e
 * filled). Safe to call from several threads at once on the same ps. */
int grace_patterns_scan(const struct grace_patterns *ps, const char *text,
    size_t n, const unsigned char *only, int all_matches,
    struct grace_pattern_match *out, size_t max, size_t *nout,
    struct grace_err *e);

#endif
