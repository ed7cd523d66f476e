/* prefilter.c - a literal prefilter for the threat rules' regexes.
 *
 * Most events are clean, and a regex run over every event for every rule
 * costs more than all the rest of the judgement. So, once at load, each
 * pattern is read (lib/rxlit.c) for the literal strings any match must
 * contain: a list of requirements, each a set of alternatives ("AKIA" or
 * "ASIA"; "union" and "select"). All those literals, folded to lower
 * case, go into one Aho-Corasick automaton; per event, one pass over the
 * lower-cased text says which literals occur, and only the rules whose
 * every requirement has an occurrence go to the regex engine. Folding
 * ASCII case makes the filter a superset for case-sensitive rules; for
 * case-insensitive ones the reader keeps ASCII literals only, and a text
 * with non-ASCII bytes is looked at again with the characters that fold
 * to ASCII (U+017F, U+212A, the ligatures ...) folded. A pattern the
 * reader does not fully understand has no requirement and always runs. The filter never says no to a text
 * a rule could match (tests/unit/test_prefilter.c, tests/fuzz/
 * fuzz_prefilter.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gate_int.h"
#include "rxlit.h"

#define MAXLIT 64          /* literals in the automaton (a 64-bit mask) */

/* ---------------------------------------------------------- automaton */

struct gov_pf {
	char *lits[MAXLIT];
	size_t nlit;
	uint64_t *req;          /* per pattern rule: masks, AND of them */
	size_t *reqstart;       /* rule i's masks: req[reqstart[i]..[i+1]) */
	size_t nrules;
	unsigned char *icase;   /* per rule: case-insensitive, fold the text */
	int anyfold;            /* some rule with requirements has icase */
	unsigned char cls[256];
	size_t ncls;
	uint32_t *delta;        /* nstates x ncls: (row << 1) | accepting */
	size_t maxlen;          /* longest literal */
	unsigned shift;         /* log2(ncls) */
	uint64_t *out;          /* per state: literals ending here */
	size_t nstates;
};

static long
lit_id(struct gov_pf *pf, const char *s)
{
	size_t i;

	for (i = 0; i < pf->nlit; i++)
		if (strcmp(pf->lits[i], s) == 0)
			return (long)i;
	if (pf->nlit == MAXLIT)
		return -1;
	if (!(pf->lits[pf->nlit] = strdup(s)))
		return -2;
	return (long)pf->nlit++;
}

static int
build_automaton(struct gov_pf *pf)
{
	size_t i, j, cap = 1, nst = 1, total = 0;
	int32_t *go = NULL;     /* trie transitions, -1 none */
	int32_t *fail = NULL, *queue = NULL;
	size_t qh = 0, qt = 0;

	/* byte classes: one per distinct (folded) byte of any literal */
	memset(pf->cls, 0, sizeof pf->cls);
	pf->ncls = 1;
	for (i = 0; i < pf->nlit; i++) {
		for (j = 0; pf->lits[i][j]; j++) {
			unsigned char c = (unsigned char)pf->lits[i][j];

			if (!pf->cls[c])
				pf->cls[c] = (unsigned char)pf->ncls++;
			total++;
		}
	}
	for (i = 'A'; i <= 'Z'; i++)
		pf->cls[i] = pf->cls[i + 32];
	/* Rows padded to a power of two: a state's number is its row
	 * offset shifted right. */
	for (pf->shift = 0; ((size_t)1 << pf->shift) < pf->ncls; pf->shift++)
		;
	pf->ncls = (size_t)1 << pf->shift;
	cap = total + 1;
	if (!(go = malloc(cap * pf->ncls * sizeof *go)) ||
	    !(fail = calloc(cap, sizeof *fail)) ||
	    !(queue = malloc(cap * sizeof *queue)) ||
	    !(pf->out = calloc(cap, sizeof *pf->out))) {
		free(go);
		free(fail);
		free(queue);
		return -1;
	}
	for (i = 0; i < cap * pf->ncls; i++)
		go[i] = -1;
	for (i = 0; i < pf->nlit; i++) {
		size_t s = 0;

		for (j = 0; pf->lits[i][j]; j++) {
			unsigned c = pf->cls[(unsigned char)pf->lits[i][j]];

			if (go[s * pf->ncls + c] < 0)
				go[s * pf->ncls + c] = (int32_t)nst++;
			s = (size_t)go[s * pf->ncls + c];
		}
		pf->out[s] |= (uint64_t)1 << i;
	}
	/* breadth first: failure links, full transition table */
	for (j = 0; j < pf->ncls; j++) {
		int32_t t = go[j];

		if (t < 0) {
			go[j] = 0;
		} else {
			fail[t] = 0;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		int32_t s = queue[qh++];

		pf->out[s] |= pf->out[fail[s]];
		for (j = 0; j < pf->ncls; j++) {
			int32_t t = go[(size_t)s * pf->ncls + j];

			if (t < 0) {
				go[(size_t)s * pf->ncls + j] =
				    go[(size_t)fail[s] * pf->ncls + j];
			} else {
				fail[t] = go[(size_t)fail[s] * pf->ncls + j];
				queue[qt++] = t;
			}
		}
	}
	pf->nstates = nst;
	pf->maxlen = 0;
	for (i = 0; i < pf->nlit; i++)
		if (strlen(pf->lits[i]) > pf->maxlen)
			pf->maxlen = strlen(pf->lits[i]);
	/* Entries hold the next state's row offset (state * ncls) shifted
	 * left once, and in bit 0 whether literals end there: the inner loop
	 * is one add and one load per byte. */
	if (nst * pf->ncls >= (1u << 30) ||
	    !(pf->delta = malloc(nst * pf->ncls * sizeof *pf->delta))) {
		free(go);
		free(fail);
		free(queue);
		return nst * pf->ncls >= (1u << 30) ? 0 : -1;
	}
	for (i = 0; i < nst * pf->ncls; i++)
		pf->delta[i] = ((uint32_t)go[i] * (uint32_t)pf->ncls) << 1 |
		    (pf->out[go[i]] != 0);
	free(go);
	free(fail);
	free(queue);
	return 0;
}

void
gov_pf_free(struct gov_pf *pf)
{
	size_t i;

	if (!pf)
		return;
	for (i = 0; i < pf->nlit; i++)
		free(pf->lits[i]);
	free(pf->req);
	free(pf->reqstart);
	free(pf->icase);
	free(pf->delta);
	free(pf->out);
	free(pf);
}

struct gov_pf *
gov_pf_build(const struct grace_patterns *ps)
{
	struct gov_pf *pf = calloc(1, sizeof *pf);
	size_t i, j, k, nreq = 0, cap = 0;

	if (!pf)
		return NULL;
	pf->nrules = grace_patterns_count(ps);
	if (!(pf->reqstart = calloc(pf->nrules + 1, sizeof *pf->reqstart)) ||
	    !(pf->icase = calloc(pf->nrules + 1, 1)))
		goto fail;
	for (i = 0; i < pf->nrules; i++) {
		const struct grace_pattern_rule *pr = grace_patterns_rule(ps, i);
		struct grace_rxlit rs;

		pf->reqstart[i] = nreq;
		if (grace_rxlit_read(pr->pattern, pr->ignore_case, &rs) < 0)
			goto fail;
		pf->icase[i] = (unsigned char)rs.icase;
		/* A requirement of single characters (':' '"') is met by
		 * almost any event: keep it only if it is all there is. */
		for (j = 0; j < rs.n && rs.n > 1; j++) {
			size_t mx = 0;

			for (k = 0; k < rs.v[j].n; k++)
				if (strlen(rs.v[j].lits[k]) > mx)
					mx = strlen(rs.v[j].lits[k]);
			if (mx < 2) {
				for (k = 0; k < rs.v[j].n; k++)
					free(rs.v[j].lits[k]);
				free(rs.v[j].lits);
				rs.v[j--] = rs.v[--rs.n];
			}
		}
		for (j = 0; j < rs.n; j++) {
			uint64_t m = 0;

			for (k = 0; k < rs.v[j].n; k++) {
				long id = lit_id(pf, rs.v[j].lits[k]);

				if (id == -2) {
					grace_rxlit_free(&rs);
					goto fail;
				}
				if (id < 0) {
					m = 0;   /* out of room: drop it */
					break;
				}
				m |= (uint64_t)1 << id;
			}
			if (!m)
				continue;
			if (nreq == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				uint64_t *nr = realloc(pf->req, ncap * sizeof *nr);

				if (!nr) {
					grace_rxlit_free(&rs);
					goto fail;
				}
				pf->req = nr;
				cap = ncap;
			}
			pf->req[nreq++] = m;
			if (pf->icase[i])
				pf->anyfold = 1;
		}
		grace_rxlit_free(&rs);
	}
	pf->reqstart[pf->nrules] = nreq;
	if (build_automaton(pf) < 0)
		goto fail;
	return pf;
fail:
	gov_pf_free(pf);
	return NULL;
}

size_t
gov_pf_requirements(const struct gov_pf *pf, size_t rule)
{
	return pf->reqstart[rule + 1] - pf->reqstart[rule];
}

/* Run the automaton over p[from..to); literals found go into *found. */
static inline void
lane_step(const struct gov_pf *pf, const unsigned char *p, uint32_t *s,
    uint64_t *found)
{
	*s = pf->delta[*s + pf->cls[*p]] >> 1;
	*found |= pf->out[*s >> pf->shift];
}

/* The literals found in t[0..n) (a bit each). */
static uint64_t
pf_scan(const struct gov_pf *pf, const char *t, size_t n)
{
	const unsigned char *p = (const unsigned char *)t;
	uint64_t found = 0, f1 = 0, f2 = 0, f3 = 0;
	size_t i, q, ov;

	/* Four lanes over four quarters of the text, interleaved so their
	 * loads overlap; each lane starts early enough (ov bytes) to see a
	 * literal that crosses into its quarter. */
	ov = pf->maxlen ? pf->maxlen - 1 : 0;
	q = n / 4;
	if (q > ov + 16) {
		const unsigned char *a = p, *b = p + q - ov, *c = p + 2 * q - ov,
		    *d = p + 3 * q - ov;
		uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		size_t len = q + ov;

		for (i = 0; i < ov; i++)   /* lane 0 has no overlap */
			lane_step(pf, a++, &s0, &found);
		for (i = 0; i < q; i++) {
			lane_step(pf, a + i, &s0, &found);
			lane_step(pf, b + i, &s1, &f1);
			lane_step(pf, c + i, &s2, &f2);
			lane_step(pf, d + i, &s3, &f3);
		}
		for (i = q; i < len; i++) {
			lane_step(pf, b + i, &s1, &f1);
			lane_step(pf, c + i, &s2, &f2);
		}
		/* lane 3 runs to the end of the text */
		for (i = q; d + i < p + n; i++)
			lane_step(pf, d + i, &s3, &f3);
		found |= f1 | f2 | f3;
	} else {
		uint32_t s0 = 0;

		for (i = 0; i < n; i++)
			lane_step(pf, p + i, &s0, &found);
	}
	return found;
}

/* 1 if t[0..n) holds a byte above 0x7F. */
static int
has_high(const char *t, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, t + i, 8);
		if (x & 0x8080808080808080ull)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)t[i] >= 0x80)
			return 1;
	return 0;
}

void
gov_pf_filter(const struct gov_pf *pf, const char *t, size_t n,
    unsigned char *only)
{
	uint64_t found, folded;
	size_t i, k;
	int fold = 0;   /* 1: folded holds the folded text's literals;
	                 * -1: it could not be folded, icase rules stay */

	if (!pf->delta)
		return;
	found = folded = pf_scan(pf, t, n);
	/* Case-insensitive rules see the text with U+017F, U+212A, the
	 * ligatures ... folded to ASCII (lib/rxlit.h). */
	if (pf->anyfold && has_high(t, n)) {
		struct grace_buf b = {0};
		int r = grace_rxlit_fold_text(&b, t, n);

		if (r < 0)
			fold = -1;
		else if (r > 0) {
			folded = pf_scan(pf, b.p, b.len);
			fold = 1;
		}
		grace_buf_free(&b);
	}
	for (i = 0; i < pf->nrules; i++) {
		uint64_t f = pf->icase[i] ? folded : found;

		if (!only[i] || (fold < 0 && pf->icase[i]))
			continue;
		for (k = pf->reqstart[i]; k < pf->reqstart[i + 1]; k++) {
			if (!(f & pf->req[k])) {
				only[i] = 0;
				break;
			}
		}
	}
}
