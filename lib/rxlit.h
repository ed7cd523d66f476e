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
 * a whole UTF-8 character; U+FFFD is no literal (the pattern engine reads
 * each ill-formed byte of a text as one, so the literals hold in the text
 * as given). In a case-insensitive pattern (ignore_case, or
 * an 'i' in any inline flag group) only ASCII characters count, and the
 * text must be folded first: eleven non-ASCII characters fold to ASCII
 * ones only (U+017F to s, U+212A the Kelvin sign to k, U+00DF to ss, the
 * ligatures U+FB00-FB06 to ff fi fl ffi ffl st), and
 * grace_rxlit_fold_text() replaces them by those. When the pattern can
 * itself spell a non-ASCII character (a raw one, or \x \o \u \N \p \P),
 * the ASCII halves of the folds that pair one with a non-ASCII mark
 * (U+0149 = U+02BC n, U+0130 = i U+0307, ...) are not literal either
 * (grace_rxlit_fold_risky_mixed()).
 *
 * Literals are returned folded to ASCII lower case: a text contains a
 * literal when its ASCII-lowercased form does (for a case-insensitive
 * pattern, its folded form: grace_rxlit_fold_text()). The requirement
 * list is an AND of ORs: every requirement must have one of its literals
 * in the text.
 */
#ifndef GRACE_RXLIT_H
#define GRACE_RXLIT_H

#include <stddef.h>

#include "buf.h"

/* One requirement: at least one of lits[0..n) (NUL-terminated, lower
 * case, non-empty) occurs. */
struct grace_rxlit_req {
	char **lits;
	size_t n;
};

struct grace_rxlit {
	struct grace_rxlit_req *v;   /* all of them hold */
	size_t n;
	int icase;                   /* case-insensitive: fold the text */
};

/* Read pattern (Oniguruma, Perl syntax, UTF-8) into *out (overwritten; an
 * empty list when nothing is required or the pattern is not understood).
 * Returns 0, or -1 when out of memory (*out is then empty). */
int grace_rxlit_read(const char *pattern, int ignore_case,
    struct grace_rxlit *out);
void grace_rxlit_free(struct grace_rxlit *rl);

/* 1 if every requirement of rl has a literal in t[0..n) (ASCII case
 * folded, and the text folded by grace_rxlit_fold_text() for a
 * case-insensitive pattern), so that the pattern may match; 0 if it
 * cannot match. */
int grace_rxlit_may_match(const struct grace_rxlit *rl, const char *t,
    size_t n);
/* The same on a text the caller has folded already (or need not fold). */
int grace_rxlit_may_match_folded(const struct grace_rxlit *rl,
    const char *t, size_t n);

/* Append to out t[0..n) with each of the eleven non-ASCII characters that
 * fold to ASCII only replaced by its fold (U+017F by "s", U+FB03 by
 * "ffi"). Returns 1 if one was, 0 if none was (out is then untouched: use
 * t), -1 when out of memory. */
int grace_rxlit_fold_text(struct grace_buf *out, const char *t, size_t n);
/* That fold of the code point cp, or NULL: for tests. */
const char *grace_rxlit_ascii_fold(unsigned cp);
/* 1 if c is the ASCII half of a fold that pairs it with a non-ASCII
 * character (a h i j n s t w y in either case): not a required literal
 * in a case-insensitive pattern that can spell a non-ASCII character.
 * tests/unit/test_prefilter.c checks both sets against Oniguruma's own
 * case-fold tables. */
int grace_rxlit_fold_risky_mixed(int c);

#endif
