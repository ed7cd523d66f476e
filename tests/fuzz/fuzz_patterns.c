/* fuzz_patterns.c - the pattern-rule engine (lib/patterns.h) and its
 * literal prefilter, against running the regex on every text.
 *
 * Input: byte 0 holds flags (bit 0 ignore_case, bit 1 all matches), then
 * a pattern up to the first NUL byte, then the text. The pattern is added
 * as a rule; if it compiles, grace_patterns_scan() over the text must
 * report exactly the matches (offsets, lengths, lines, columns) that
 * Oniguruma finds when the same regex is searched with no prefilter: a
 * prefilter may skip work, never a match. */
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "fuzz.h"
#include "patterns.h"

#define MAXM 64

/* Every match of re in text, as grace_patterns_scan() documents them. */
static size_t
reference(OnigRegex re, const char *text, size_t n, int all,
    struct grace_pattern_match *out)
{
	const OnigUChar *s = (const OnigUChar *)text, *end = s + n, *start = s;
	OnigRegion *region = onig_region_new();
	size_t k = 0;

	if (!region)
		abort();
	while (start <= end) {
		int r = onig_search(re, s, end, start, end, region,
		    ONIG_OPTION_NONE);

		if (r == ONIG_MISMATCH)
			break;
		if (r < 0) {
			k = (size_t)-1;
			break;
		}
		if (k < MAXM) {
			size_t i;

			out[k].off = (size_t)r;
			out[k].len = (size_t)(region->end[0] - region->beg[0]);
			out[k].line = 1;
			out[k].col = 1;
			for (i = 0; i < (size_t)r; i++) {
				if (text[i] == '\n') {
					out[k].line++;
					out[k].col = 1;
				} else {
					out[k].col++;
				}
			}
		}
		k++;
		if (!all)
			break;
		start = s + region->end[0] +
		    (region->end[0] == region->beg[0] ? 1 : 0);
		onig_region_clear(region);
	}
	onig_region_free(region, 1);
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_pattern_match got[MAXM], want[MAXM];
	const uint8_t *nul;
	struct grace_patterns *ps;
	struct grace_err e;
	OnigRegex re;
	OnigErrorInfo einfo;
	char *pat;
	const char *text;
	size_t tn, ngot, nwant, i;
	int icase, all;

	if (size < 2 || !(nul = memchr(data + 1, '\0', size - 1)))
		return 0;
	icase = data[0] & 1;
	all = (data[0] >> 1) & 1;
	if (!(pat = fuzz_strdup(data + 1, (size_t)(nul - data - 1))))
		return 0;
	text = (const char *)nul + 1;
	tn = size - (size_t)(nul + 1 - data);
	if (!(ps = grace_patterns_new()))
		abort();
	if (grace_patterns_add(ps, "r", pat, icase, GRACE_SEV_HIGH, "m",
	    "fuzz", 1, 1, &e) < 0) {
		grace_patterns_free(ps);
		free(pat);
		return 0;
	}
	if (onig_new(&re, (const OnigUChar *)pat,
	    (const OnigUChar *)pat + strlen(pat),
	    icase ? ONIG_OPTION_IGNORECASE : ONIG_OPTION_NONE,
	    ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL, &einfo) != ONIG_NORMAL)
		abort(); /* it compiled once already */
	nwant = reference(re, text, tn, all, want);
	if (grace_patterns_scan(ps, text, tn, NULL, all, got, MAXM, &ngot,
	    &e) == 0) {
		if (nwant == (size_t)-1 || ngot != nwant)
			abort();
		for (i = 0; i < ngot && i < MAXM; i++) {
			if (got[i].rule != 0 || got[i].off != want[i].off ||
			    got[i].len != want[i].len ||
			    got[i].line != want[i].line ||
			    got[i].col != want[i].col)
				abort();
		}
	} else if (nwant != (size_t)-1) {
		abort(); /* the engine failed where the regex did not */
	}
	onig_free(re);
	grace_patterns_free(ps);
	free(pat);
	return 0;
}
