/* fuzz_prefilter.c - the literal prefilters never skip a rule that matches.
 *
 * Input: up to the first NUL byte, patterns, one per line (a leading '~'
 * makes the rule ignore_case); after it, the text. Every pattern that
 * compiles becomes a rule. The harness aborts if the gate's prefilter
 * (gov_pf) excludes a rule that Oniguruma matches on the text, or if the
 * pattern engine's verdicts differ with and without its own prefilter.
 * When the text is a JSON object, the same holds on the text with its
 * strings decoded in place (what threat rules see), and a text without a
 * backslash decodes to itself.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *       -D_GNU_SOURCE -Ilib tests/fuzz/fuzz_prefilter.c lib/(all).c \
 *       -lyaml -ljq -lonig -lcrypto -lpthread -lm -o fz
 *   ./fz tests/fuzz/corpus/prefilter
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate_int.h"
#include "jtext.h"
#include "json.h"

#define MAXPATS 16
#define MAXPAT 256
#define MAXTEXT 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Which rules match t[0..n). */
static void
verdicts(struct grace_patterns *ps, size_t np, const char *t, size_t n,
    unsigned char *m)
{
	struct grace_pattern_match pm[MAXPATS];
	struct grace_err e;
	size_t nout = 0, i;

	memset(m, 0, np);
	if (grace_patterns_scan(ps, t, n, NULL, 0, pm, np, &nout, &e) < 0)
		abort();   /* a regex engine failure on valid input */
	for (i = 0; i < nout && i < np; i++)
		m[pm[i].rule] = 1;
}

static void
check(struct grace_patterns *on, struct grace_patterns *off,
    const struct gov_pf *pf, size_t np, const char *t, size_t n)
{
	unsigned char truth[MAXPATS], v[MAXPATS], only[MAXPATS];
	size_t i;

	verdicts(off, np, t, n, truth);
	verdicts(on, np, t, n, v);
	memset(only, 1, np);
	gov_pf_filter(pf, t, n, only);
	for (i = 0; i < np; i++) {
		if (truth[i] && !only[i])
			abort();   /* the gate's prefilter hid a match */
		if (truth[i] != v[i])
			abort();   /* the pattern prefilter changed a verdict */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data, *sep = memchr(d, '\0', size);
	const char *p, *end;
	struct grace_patterns *on, *off;
	struct gov_pf *pf = NULL;
	struct grace_err e;
	size_t np = 0, tn;
	const char *text;

	if (!sep)
		return 0;
	text = sep + 1;
	tn = size - (size_t)(text - d);
	if (tn > MAXTEXT)
		return 0;
	on = grace_patterns_new();
	off = grace_patterns_new();
	if (!on || !off)
		abort();
	grace_patterns_set_prefilter(off, 0);
	for (p = d, end = sep; p < end && np < MAXPATS;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		char pat[MAXPAT + 1], id[8];
		int icase = 0;

		if (len && *p == '~') {
			icase = 1;
			p++;
			len--;
		}
		if (len && len <= MAXPAT) {
			memcpy(pat, p, len);
			pat[len] = '\0';
			id[0] = 'r';
			id[1] = (char)('a' + np);
			id[2] = '\0';
			if (grace_patterns_add(on, id, pat, icase, GRACE_SEV_LOW, "",
			    "f", 1, 1, &e) >= 0) {
				if (grace_patterns_add(off, id, pat, icase,
				    GRACE_SEV_LOW, "", "f", 1, 1, &e) < 0)
					abort();
				np++;
			}
		}
		p += len + (nl ? 1 : 0);
	}
	if (np && !(pf = gov_pf_build(on)))
		abort();
	if (np) {
		check(on, off, pf, np, text, tn);
		if (grace_json_scan(text, tn, NULL, 0, NULL, "f", 1, &e) == 0) {
			struct grace_buf b = {0};

			if (grace_jtext_decode(&b, text, tn) < 0)
				abort();
			if (!memchr(text, '\\', tn) && (b.len != tn ||
			    memcmp(b.p, text, tn) != 0))
				abort();   /* the fast path is not the slow one */
			check(on, off, pf, np, b.p ? b.p : "", b.len);
			grace_buf_free(&b);
		}
	}
	gov_pf_free(pf);
	grace_patterns_free(on);
	grace_patterns_free(off);
	return 0;
}
