/* prefilter.c - a literal prefilter for the threat rules' regexes.
 *
 * Most events are clean, and a regex run over every event for every rule
 * costs more than all the rest of the judgement. So, once at load, each
 * pattern is read for the literal strings any match must contain: a list
 * of requirements, each a set of alternatives ("AKIA" or "ASIA"; "union"
 * and "select"). All those literals, folded to lower case, go into one
 * Aho-Corasick automaton; per event, one pass over the lower-cased text
 * says which literals occur, and only the rules whose every requirement
 * has an occurrence go to the regex engine. Folding case makes the filter
 * a superset for case-sensitive rules and exact for (?i) ones; a pattern
 * this reading does not understand simply has no requirement and always
 * runs. The filter never says no to a text a rule could match.
 */
#include <stdlib.h>
#include <string.h>

#include "gate_int.h"

#define MAXLIT 64          /* literals in the automaton (a 64-bit mask) */

/* A requirement: one of the literals lits[0..n) must occur. */
struct req {
	char **lits;
	size_t n;
};

struct reqs {
	struct req *v;
	size_t n;
};

static void
req_free(struct req *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->lits[i]);
	free(r->lits);
	r->lits = NULL;
	r->n = 0;
}

static void
reqs_free(struct reqs *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		req_free(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static int
req_add_lit(struct req *r, const char *s, size_t n)
{
	char **nl = realloc(r->lits, (r->n + 1) * sizeof *nl);
	size_t i;

	if (!nl)
		return -1;
	r->lits = nl;
	if (!(nl[r->n] = malloc(n + 1)))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		nl[r->n][i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	nl[r->n][n] = '\0';
	r->n++;
	return 0;
}

static int
reqs_push(struct reqs *rs, struct req *r)
{
	struct req *nv = realloc(rs->v, (rs->n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	rs->v = nv;
	rs->v[rs->n++] = *r;
	memset(r, 0, sizeof *r);
	return 0;
}

/* The best requirement of a list: the largest shortest literal. */
static long
best(const struct reqs *rs)
{
	long b = -1;
	size_t i, j, bmin = 0;

	for (i = 0; i < rs->n; i++) {
		size_t mn = (size_t)-1;

		for (j = 0; j < rs->v[i].n; j++)
			if (strlen(rs->v[i].lits[j]) < mn)
				mn = strlen(rs->v[i].lits[j]);
		if (b < 0 || mn > bmin || (mn == bmin && rs->v[i].n <
		    rs->v[b].n)) {
			b = (long)i;
			bmin = mn;
		}
	}
	return b;
}

/* ------------------------------------------------------------- reading */

struct rd {
	const char *p;
	int fail;              /* not understood: no requirement */
	int depth;
};

/* One branch of an alternation as read: its requirements, and whether
 * it is a plain literal (then lit/litn hold it). */
struct branch {
	struct reqs rs;
	int pure;
	char lit[256];
	size_t litn;
};

static int alternation(struct rd *r, struct branch **out, size_t *nout);

/* Flush the current literal run into b's requirements. */
static int
flush_run(struct branch *b, char *run, size_t *n)
{
	struct req q = {0};

	if (*n == 0)
		return 0;
	if (req_add_lit(&q, run, *n) < 0 || reqs_push(&b->rs, &q) < 0) {
		req_free(&q);
		return -1;
	}
	*n = 0;
	return 0;
}

/* After an atom: a quantifier? Returns its minimum (1 if none), and
 * whether it may repeat (*rep). */
static int
quantifier(struct rd *r, int *rep)
{
	int min = 1;

	*rep = 0;
	switch (*r->p) {
	case '?': min = 0; r->p++; break;
	case '*': min = 0; *rep = 1; r->p++; break;
	case '+': *rep = 1; r->p++; break;
	case '{': {
		const char *q = r->p + 1;
		long m = 0;

		if (*q < '0' || *q > '9')
			return 1;   /* a literal '{' (Perl syntax) */
		while (*q >= '0' && *q <= '9')
			m = m * 10 + (*q++ - '0');
		if (*q == ',') {
			q++;
			while (*q >= '0' && *q <= '9')
				q++;
			*rep = 1;
		} else if (m > 1) {
			*rep = 1;
		}
		if (*q != '}')
			return 1;
		r->p = q + 1;
		min = m > 0;
		break;
	}
	default:
		return 1;
	}
	if (*r->p == '?' || *r->p == '+')
		r->p++;   /* lazy or possessive */
	return min;
}

static void
alts_free(struct branch *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		reqs_free(&v[i].rs);
	free(v);
}

/* Merge a mandatory group's reading into b. */
static int
group_into(struct branch *b, struct branch *alts, size_t nalts)
{
	struct req q = {0};
	size_t i, j;

	if (nalts == 1) {
		for (i = 0; i < alts[0].rs.n; i++)
			if (reqs_push(&b->rs, &alts[0].rs.v[i]) < 0)
				return -1;
		return 0;
	}
	/* One requirement: each branch's best, together. */
	for (i = 0; i < nalts; i++) {
		long k = best(&alts[i].rs);

		if (k < 0) {
			req_free(&q);
			return 0;   /* a branch with no literal: nothing */
		}
		for (j = 0; j < alts[i].rs.v[k].n; j++) {
			const char *l = alts[i].rs.v[k].lits[j];

			if (req_add_lit(&q, l, strlen(l)) < 0) {
				req_free(&q);
				return -1;
			}
		}
	}
	if (reqs_push(&b->rs, &q) < 0) {
		req_free(&q);
		return -1;
	}
	return 0;
}

/* A sequence, up to '|' or ')' or the end. */
static int
sequence(struct rd *r, struct branch *b)
{
	char run[256];
	size_t n = 0;

	b->pure = 1;
	while (*r->p && *r->p != '|' && *r->p != ')') {
		const char *at = r->p;
		int lit = -1, min, rep;   /* lit: the atom's byte, if literal */
		struct branch *alts = NULL;
		size_t nalts = 0;

		if (*r->p == '\\') {
			unsigned char d = (unsigned char)r->p[1];

			if (!d) {
				r->fail = 1;
				return 0;
			}
			r->p += 2;
			if (strchr("bBAzZG", d)) {
				continue;   /* zero-width */
			} else if (d == 'Q' || d == 'E' || d == 'K' ||
			    (d >= '0' && d <= '9') || d == 'k' || d == 'g') {
				r->fail = 1;
				return 0;
			} else if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) {
				/* a class or a coded character; \p{..} \x{..} */
				if (*r->p == '{') {
					while (*r->p && *r->p != '}')
						r->p++;
					if (*r->p)
						r->p++;
				} else if (d == 'x') {
					while (*r->p && strchr("0123456789abcdefABCDEF",
					    *r->p) && r->p - at < 4)
						r->p++;
				} else if (d == 'c' && *r->p) {
					r->p++;
				}
			} else if (d < 0x80) {
				lit = d;
			} else {
				r->fail = 1;
				return 0;
			}
		} else if (*r->p == '[') {
			r->p++;
			if (*r->p == '^')
				r->p++;
			if (*r->p == ']')
				r->p++;
			while (*r->p && *r->p != ']') {
				if (*r->p == '\\' && r->p[1])
					r->p += 2;
				else if (*r->p == '[' && r->p[1] == ':') {
					const char *e = strstr(r->p, ":]");

					if (!e) {
						r->fail = 1;
						return 0;
					}
					r->p = e + 2;
				} else if (*r->p == '[') {
					r->fail = 1;   /* nested classes */
					return 0;
				} else
					r->p++;
			}
			if (!*r->p) {
				r->fail = 1;
				return 0;
			}
			r->p++;
		} else if (*r->p == '(') {
			r->p++;
			if (*r->p == '?') {
				r->p++;
				if (*r->p == ':') {
					r->p++;
				} else if (*r->p == '#') {
					while (*r->p && *r->p != ')')
						r->p++;
					if (*r->p)
						r->p++;
					continue;
				} else if (*r->p == '=' || *r->p == '!' ||
				    (*r->p == '<' && (r->p[1] == '=' ||
				    r->p[1] == '!'))) {
					/* a lookaround: read it, require nothing */
					struct branch *la = NULL;
					size_t nla = 0;

					r->p += *r->p == '<' ? 2 : 1;
					if (++r->depth > 32 || alternation(r, &la,
					    &nla) < 0) {
						alts_free(la, nla);
						return -1;
					}
					r->depth--;
					alts_free(la, nla);
					if (r->fail || *r->p != ')') {
						r->fail = 1;
						return 0;
					}
					r->p++;
					b->pure = 0;
					if (flush_run(b, run, &n) < 0)
						return -1;
					continue;
				} else if (*r->p == '<' || *r->p == 'P' ||
				    *r->p == '\'') {
					/* a named group */
					char close = *r->p == '\'' ? '\'' : '>';

					while (*r->p && *r->p != close)
						r->p++;
					if (!*r->p) {
						r->fail = 1;
						return 0;
					}
					r->p++;
				} else {
					/* inline flags: (?i) (?i:...) and the
					 * like; case is folded anyway */
					while (*r->p && strchr("imsx-", *r->p))
						r->p++;
					if (*r->p == ')') {
						r->p++;
						continue;
					}
					if (*r->p != ':') {
						r->fail = 1;
						return 0;
					}
					r->p++;
				}
			}
			if (++r->depth > 32 || alternation(r, &alts, &nalts) < 0) {
				alts_free(alts, nalts);
				return -1;
			}
			r->depth--;
			if (r->fail || *r->p != ')') {
				alts_free(alts, nalts);
				r->fail = 1;
				return 0;
			}
			r->p++;
		} else if (*r->p == '.') {
			r->p++;
		} else if (*r->p == '^' || *r->p == '$') {
			r->p++;
			continue;
		} else if (*r->p == '*' || *r->p == '+' || *r->p == '?' ||
		    *r->p == '{') {
			if (*r->p != '{') {
				r->fail = 1;   /* a quantifier with no atom */
				return 0;
			}
			lit = '{';
			r->p++;
		} else {
			if ((unsigned char)*r->p >= 0x80) {
				/* multi-byte UTF-8: a literal run of bytes */
				lit = (unsigned char)*r->p;
			} else {
				lit = (unsigned char)*r->p;
			}
			r->p++;
		}
		min = quantifier(r, &rep);
		if (lit >= 0 && min && n < sizeof run) {
			run[n++] = (char)lit;
			if (b->pure && b->litn < sizeof b->lit)
				b->lit[b->litn++] = (char)lit;
			if (rep) {
				b->pure = 0;
				if (flush_run(b, run, &n) < 0) {
					alts_free(alts, nalts);
					return -1;
				}
			}
			continue;
		}
		/* Not a plain literal: the run ends here. */
		b->pure = 0;
		if (flush_run(b, run, &n) < 0) {
			alts_free(alts, nalts);
			return -1;
		}
		if (alts && min) {
			size_t i;
			int allpure = 1;

			for (i = 0; i < nalts; i++)
				if (!alts[i].pure || alts[i].litn == 0)
					allpure = 0;
			if (allpure && nalts > 1) {
				struct req q = {0};

				for (i = 0; i < nalts; i++)
					if (req_add_lit(&q, alts[i].lit,
					    alts[i].litn) < 0) {
						req_free(&q);
						alts_free(alts, nalts);
						return -1;
					}
				if (reqs_push(&b->rs, &q) < 0) {
					req_free(&q);
					alts_free(alts, nalts);
					return -1;
				}
			} else if (group_into(b, alts, nalts) < 0) {
				alts_free(alts, nalts);
				return -1;
			}
		}
		alts_free(alts, nalts);
	}
	return flush_run(b, run, &n);
}

static int
alternation(struct rd *r, struct branch **out, size_t *nout)
{
	for (;;) {
		struct branch *nb = realloc(*out, (*nout + 1) * sizeof *nb);

		if (!nb)
			return -1;
		*out = nb;
		memset(&nb[*nout], 0, sizeof nb[*nout]);
		(*nout)++;
		if (sequence(r, &nb[*nout - 1]) < 0)
			return -1;
		if (r->fail || *r->p != '|')
			return 0;
		r->p++;
	}
}

/* The requirements of pattern pat (AND of ORs); none if not understood. */
static int
read_pattern(const char *pat, struct reqs *out)
{
	struct rd r = { pat, 0, 0 };
	struct branch *alts = NULL, top;
	size_t nalts = 0, i;
	int x = 0;

	memset(out, 0, sizeof *out);
	memset(&top, 0, sizeof top);
	if (alternation(&r, &alts, &nalts) < 0) {
		alts_free(alts, nalts);
		return -1;
	}
	if (r.fail || *r.p) {   /* unbalanced ')' or not understood */
		alts_free(alts, nalts);
		return 0;
	}
	if (nalts == 1) {
		*out = alts[0].rs;
		memset(&alts[0].rs, 0, sizeof alts[0].rs);
	} else {
		x = group_into(&top, alts, nalts);
		*out = top.rs;
	}
	alts_free(alts, nalts);
	/* A requirement with an empty literal requires nothing. */
	for (i = 0; i < out->n; i++) {
		size_t j;

		for (j = 0; j < out->v[i].n; j++)
			if (!out->v[i].lits[j][0])
				break;
		if (j < out->v[i].n) {
			req_free(&out->v[i]);
			out->v[i] = out->v[--out->n];
			i--;
		}
	}
	return x;
}

/* ---------------------------------------------------------- automaton */

struct gov_pf {
	char *lits[MAXLIT];
	size_t nlit;
	uint64_t *req;          /* per pattern rule: masks, AND of them */
	size_t *reqstart;       /* rule i's masks: req[reqstart[i]..[i+1]) */
	size_t nrules;
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
	if (!(pf->reqstart = calloc(pf->nrules + 1, sizeof *pf->reqstart)))
		goto fail;
	for (i = 0; i < pf->nrules; i++) {
		const struct grace_pattern_rule *pr = grace_patterns_rule(ps, i);
		struct reqs rs;

		pf->reqstart[i] = nreq;
		if (read_pattern(pr->pattern, &rs) < 0) {
			reqs_free(&rs);
			goto fail;
		}
		/* A requirement of single characters (':' '"') is met by
		 * almost any event: keep it only if it is all there is. */
		for (j = 0; j < rs.n && rs.n > 1; j++) {
			size_t mx = 0;

			for (k = 0; k < rs.v[j].n; k++)
				if (strlen(rs.v[j].lits[k]) > mx)
					mx = strlen(rs.v[j].lits[k]);
			if (mx < 2) {
				req_free(&rs.v[j]);
				rs.v[j--] = rs.v[--rs.n];
			}
		}
		for (j = 0; j < rs.n; j++) {
			uint64_t m = 0;

			for (k = 0; k < rs.v[j].n; k++) {
				long id = lit_id(pf, rs.v[j].lits[k]);

				if (id == -2) {
					reqs_free(&rs);
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
					reqs_free(&rs);
					goto fail;
				}
				pf->req = nr;
				cap = ncap;
			}
			pf->req[nreq++] = m;
		}
		reqs_free(&rs);
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

void
gov_pf_filter(const struct gov_pf *pf, const char *t, size_t n,
    unsigned char *only)
{
	const unsigned char *p = (const unsigned char *)t;
	uint64_t found = 0, f1 = 0, f2 = 0, f3 = 0;
	size_t i, k, q, ov;

	if (!pf->delta)
		return;
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
	for (i = 0; i < pf->nrules; i++) {
		if (!only[i])
			continue;
		for (k = pf->reqstart[i]; k < pf->reqstart[i + 1]; k++) {
			if (!(found & pf->req[k])) {
				only[i] = 0;
				break;
			}
		}
	}
}
