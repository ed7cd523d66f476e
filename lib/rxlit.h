/* rxlit.h - the literal strings every match of a regular expression must
 * contain, for prefilters that skip a regex on text that cannot match it.
 *
 * The reader is conservative: it takes a literal only from constructs it
 * fully understands (plain characters and escaped punctuation that no
 * quantifier can make optional or split, groups, alternations, classes it
 * can step over), and a pattern holding anything else has no requirement
 * (the rule always runs). In particular: any (?x) (extended syntax), any
 * construct it does not know (\Q, back-references, conditionals, absent
 * groups, \M-x, ...), a quantifier after a quantifier (x{2}{2}), and a
 * '{' that is not an interval give no requirement. A quantifier applies to
 * a whole UTF-8 character. In a case-insensitive pattern (ignore_case, or
 * an 'i' in any inline flag group) only ASCII characters that Oniguruma
 * folds to no non-ASCII character (and to no multi-character fold) count:
 * 's' is out (U+017F, U+00DF), 'k' is out (U+212A, the Kelvin sign), and
 * so on; grace_rxlit_fold_risky() says which.
 *
 * Literals are returned folded to ASCII lower case: a text contains a
 * literal when its ASCII-lowercased form does. The requirement list is an
 * AND of ORs: every requirement must have one of its literals in the text.
 */
#ifndef GRACE_RXLIT_H
#define GRACE_RXLIT_H

#include <stddef.h>

/* One requirement: at least one of lits[0..n) (NUL-terminated, lower
 * case, non-empty) occurs. */
struct grace_rxlit_req {
	char **lits;
	size_t n;
};

struct grace_rxlit {
	struct grace_rxlit_req *v;   /* all of them hold */
	size_t n;
};

/* Read pattern (Oniguruma, Perl syntax, UTF-8) into *out (overwritten; an
 * empty list when nothing is required or the pattern is not understood).
 * Returns 0, or -1 when out of memory (*out is then empty). */
int grace_rxlit_read(const char *pattern, int ignore_case,
    struct grace_rxlit *out);
void grace_rxlit_free(struct grace_rxlit *rl);

/* 1 if every requirement of rl has a literal in t[0..n) (ASCII case
 * folded), so that the pattern may match; 0 if it cannot match. */
int grace_rxlit_may_match(const struct grace_rxlit *rl, const char *t,
    size_t n);

/* 1 if the ASCII character c may be matched by a non-ASCII character (or
 * be part of a multi-character case fold) in a case-insensitive pattern,
 * so that it cannot be a required literal there: a f h i j k l n s t w y
 * in either case. tests/unit/test_prefilter.c checks this against
 * Oniguruma's own fold tables. */
int grace_rxlit_fold_risky(int c);

#endif
