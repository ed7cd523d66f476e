/* rxlit.c - the literals a regular expression's matches must contain.
 *
 * A recursive reader over the pattern: a sequence of atoms, each maybe
 * quantified, alternations, groups. A run of literal atoms, each required
 * once (no quantifier, or one whose minimum is 1 and that does not repeat
 * it, or a last atom that repeats, which still occurs once at the run's
 * end), is one required literal. Anything the reader does not understand
 * sets fail, and a failed pattern requires nothing. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rxlit.h"

#define RUNMAX 256

/* The non-ASCII characters that Oniguruma folds to ASCII ones only, with
 * their folds (its UTF-8 bytes, the fold). */
static const struct {
	unsigned cp;
	const char *utf8, *fold;
} ascii_folds[] = {
	{ 0x00DF, "\xC3\x9F", "ss" }, { 0x017F, "\xC5\xBF", "s" },
	{ 0x1E9E, "\xE1\xBA\x9E", "ss" }, { 0x212A, "\xE2\x84\xAA", "k" },
	{ 0xFB00, "\xEF\xAC\x80", "ff" }, { 0xFB01, "\xEF\xAC\x81", "fi" },
	{ 0xFB02, "\xEF\xAC\x82", "fl" }, { 0xFB03, "\xEF\xAC\x83", "ffi" },
	{ 0xFB04, "\xEF\xAC\x84", "ffl" }, { 0xFB05, "\xEF\xAC\x85", "st" },
	{ 0xFB06, "\xEF\xAC\x86", "st" },
};

const char *
grace_rxlit_ascii_fold(unsigned cp)
{
	size_t i;

	for (i = 0; i < sizeof ascii_folds / sizeof *ascii_folds; i++)
		if (ascii_folds[i].cp == cp)
			return ascii_folds[i].fold;
	return NULL;
}

int
grace_rxlit_fold_text(struct grace_buf *out, const char *t, size_t n)
{
	size_t i = 0, run = 0, k;

	while (i < n) {
		unsigned char c = (unsigned char)t[i];

		if (c != 0xC3 && c != 0xC5 && c != 0xE1 && c != 0xE2 &&
		    c != 0xEF) {
			i++;
			continue;
		}
		for (k = 0; k < sizeof ascii_folds / sizeof *ascii_folds; k++) {
			size_t l = strlen(ascii_folds[k].utf8);

			if (i + l <= n && memcmp(t + i, ascii_folds[k].utf8, l) == 0)
				break;
		}
		if (k == sizeof ascii_folds / sizeof *ascii_folds) {
			i++;
			continue;
		}
		if (grace_buf_add(out, t + run, i - run) < 0 ||
		    grace_buf_adds(out, ascii_folds[k].fold) < 0)
			return -1;
		i += strlen(ascii_folds[k].utf8);
		run = i;
	}
	if (run == 0)
		return 0;   /* nothing folded: out untouched */
	if (grace_buf_add(out, t + run, n - run) < 0)
		return -1;
	return 1;
}

int
grace_rxlit_fold_risky_mixed(int c)
{
	return c > 0 && c < 0x80 && strchr("ahijnstwyAHIJNSTWY", c);
}

static void
req_free(struct grace_rxlit_req *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->lits[i]);
	free(r->lits);
	r->lits = NULL;
	r->n = 0;
}

void
grace_rxlit_free(struct grace_rxlit *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		req_free(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static int
req_add_lit(struct grace_rxlit_req *r, const char *s, size_t n)
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
reqs_push(struct grace_rxlit *rs, struct grace_rxlit_req *r)
{
	struct grace_rxlit_req *nv = realloc(rs->v, (rs->n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	rs->v = nv;
	rs->v[rs->n++] = *r;
	memset(r, 0, sizeof *r);
	return 0;
}

/* The best requirement of a list: the largest shortest literal. */
static long
best(const struct grace_rxlit *rs)
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
	int icase;             /* only fold-safe ASCII characters are literal */
	int mixed;             /* the pattern can spell a non-ASCII character */
};

/* One branch of an alternation as read: its requirements, and whether
 * it is a plain literal (then lit/litn hold it). */
struct branch {
	struct grace_rxlit rs;
	int pure;
	char lit[RUNMAX];
	size_t litn;
};

static int alternation(struct rd *r, struct branch **out, size_t *nout);

/* Flush the current literal run into b's requirements. */
static int
flush_run(struct branch *b, char *run, size_t *n)
{
	struct grace_rxlit_req q = {0};

	if (*n == 0)
		return 0;
	if (req_add_lit(&q, run, *n) < 0 || reqs_push(&b->rs, &q) < 0) {
		req_free(&q);
		return -1;
	}
	*n = 0;
	return 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* At '{': the length of a well-formed interval {n} {n,} {n,m} (its
 * minimum in *min, whether it allows more than one in *rep), or 0. */
static size_t
interval(const char *p, long *min, int *rep)
{
	const char *q = p + 1;
	long m = 0, x = 0;

	if (!is_digit(*q))
		return 0;
	while (is_digit(*q) && m < 100000)
		m = m * 10 + (*q++ - '0');
	if (is_digit(*q))
		return 0;
	*rep = m > 1;
	if (*q == ',') {
		q++;
		*rep = 1;
		if (is_digit(*q)) {
			while (is_digit(*q) && x < 100000)
				x = x * 10 + (*q++ - '0');
			if (is_digit(*q) || x < m)
				return 0;
			*rep = x > 1;
		}
	}
	if (*q != '}')
		return 0;
	*min = m;
	return (size_t)(q + 1 - p);
}

/* After an atom: its quantifier, if any. Returns the minimum count as 0
 * or 1 (1 if none), and whether it may repeat (*rep). A second
 * quantifier, or a '{' that is no interval, fails the reading. */
static int
quantifier(struct rd *r, int *rep)
{
	int min = 1;
	long m;
	size_t k;

	*rep = 0;
	switch (*r->p) {
	case '?': min = 0; r->p++; break;
	case '*': min = 0; *rep = 1; r->p++; break;
	case '+': *rep = 1; r->p++; break;
	case '{':
		if (!(k = interval(r->p, &m, rep))) {
			r->fail = 1;
			return 0;
		}
		r->p += k;
		min = m > 0;
		/* {n}? is lazy in Perl syntax, but optional in others: take
		 * the weaker reading. */
		if (*r->p == '?') {
			min = 0;
			r->p++;
		} else if (*r->p == '+') {
			*rep = 1;
			r->p++;
		}
		break;
	default:
		return 1;
	}
	if (*r->p == '?' || *r->p == '+') {
		if (*r->p == '+')
			*rep = 1;
		r->p++;   /* lazy or possessive */
	}
	if (*r->p && strchr("?*+{", *r->p)) {
		r->fail = 1;   /* x{2}{2}, a**: not read */
		return 0;
	}
	return min;
}

static void
alts_free(struct branch *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		grace_rxlit_free(&v[i].rs);
	free(v);
}

/* Merge a mandatory group's reading into b. */
static int
group_into(struct branch *b, struct branch *alts, size_t nalts)
{
	struct grace_rxlit_req q = {0};
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

/* The length of the well-formed UTF-8 character at p, or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned c = p[0];

	if (c < 0x80)
		return c ? 1 : 0;
	if (c >= 0xC2 && c <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80 || (c == 0xF0 && p[1] < 0x90) ||
		    (c == 0xF4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* Skip {...} after \p \P \x \o; fails if absent or unclosed. */
static void
braces(struct rd *r)
{
	const char *e;

	if (*r->p != '{' || !(e = strchr(r->p, '}'))) {
		r->fail = 1;
		return;
	}
	r->p = e + 1;
}

/* A backslash escape at r->p[-2..]: sets lit and litn for a literal
 * character, returns 1 for a zero-width assertion, 0 otherwise. */
static int
escape(struct rd *r, char d, char *lit, size_t *litn)
{
	if (strchr("bBAzZGyY", d))
		return 1;
	if (strchr("wWsSdDhHtnrfvaeRXNO", d))
		return 0;   /* a class or a coded character: no literal */
	switch (d) {
	case 'p': case 'P': case 'o':
		braces(r);
		return 0;
	case 'x':
		if (*r->p == '{')
			braces(r);
		else
			for (int k = 0; k < 2 && strchr("0123456789abcdefABCDEF",
			    *r->p) && *r->p; k++)
				r->p++;
		return 0;
	case 'c':
		if (!*r->p || (unsigned char)*r->p >= 0x80)
			r->fail = 1;
		else
			r->p++;
		return 0;
	}
	/* Punctuation that stands for itself; anything else (\Q \E \K \k
	 * \g \1 \< \M \C \u ...) is not read. */
	if (d && strchr(".-/\\$^*+?()[]{}|\"':;,#!%&=~@ `", d)) {
		lit[0] = d;
		*litn = 1;
		return 0;
	}
	r->fail = 1;
	return 0;
}

/* After the two characters that open a group with a question mark: the
 * group's kind. Returns 'g' (a group to read: plain, named, atomic or
 * with flags), 'l' (a lookaround), 'c' (a comment, consumed), 'f' (flags
 * alone, consumed), or 0 (r->fail set). */
static int
group_kind(struct rd *r)
{
	const char *p = r->p;

	switch (*p) {
	case ':': case '>':
		r->p = p + 1;
		return 'g';
	case '#':
		while (*p && *p != ')')
			p++;
		if (!*p)
			break;
		r->p = p + 1;
		return 'c';
	case '=': case '!':
		r->p = p + 1;
		return 'l';
	case '<':
		if (p[1] == '=' || p[1] == '!') {
			r->p = p + 2;
			return 'l';
		}
		/* FALLTHROUGH */
	case '\'': case 'P': {
		char close = *p == '\'' ? '\'' : '>';

		if (*p == 'P' && *++p != '<')
			break;
		p++;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_'))
			break;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    is_digit(*p) || *p == '_')
			p++;
		if (*p != close)
			break;
		r->p = p + 1;
		return 'g';
	}
	default:
		/* inline flags: (?i) (?s-m:...); x is not read */
		while (*p && strchr("ims-", *p))
			p++;
		if (p == r->p)
			break;
		if (*p == ')') {
			r->p = p + 1;
			return 'f';
		}
		if (*p == ':') {
			r->p = p + 1;
			return 'g';
		}
		break;
	}
	r->fail = 1;
	return 0;
}

/* A sequence, up to '|' or ')' or the end. */
static int
sequence(struct rd *r, struct branch *b)
{
	char run[RUNMAX];
	size_t n = 0;

	b->pure = 1;
	while (*r->p && *r->p != '|' && *r->p != ')') {
		char lit[4];
		size_t litn = 0;   /* the atom's bytes, if a literal */
		int min, rep, zero = 0;
		struct branch *alts = NULL;
		size_t nalts = 0;

		if (*r->p == '\\') {
			char d = r->p[1];

			if (!d) {
				r->fail = 1;
				return 0;
			}
			r->p += 2;
			zero = escape(r, d, lit, &litn);
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
			int kind = 'g';

			r->p++;
			if (*r->p == '?') {
				r->p++;
				kind = group_kind(r);
			}
			if (kind == 'c' || kind == 'f') {
				zero = 1;
			} else if (kind == 0) {
				return 0;
			} else {
				if (++r->depth > 32) {
					r->fail = 1;
					return 0;
				}
				if (alternation(r, &alts, &nalts) < 0) {
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
				if (kind == 'l') {
					/* a lookaround requires nothing */
					alts_free(alts, nalts);
					alts = NULL;
					nalts = 0;
					zero = 1;
				}
			}
		} else if (*r->p == '.') {
			r->p++;
		} else if (*r->p == '^' || *r->p == '$') {
			r->p++;
			zero = 1;
		} else if (*r->p == '*' || *r->p == '+' || *r->p == '?' ||
		    *r->p == '{') {
			r->fail = 1;   /* a quantifier with no atom, or a '{' */
			return 0;
		} else {
			size_t k = utf8_len((const unsigned char *)r->p);

			if (!k) {
				r->fail = 1;
				return 0;
			}
			/* U+FFFD also stands for any ill-formed byte of the
			 * text (lib/patterns.h): not a literal of it */
			if (k != 3 || memcmp(r->p, "\xEF\xBF\xBD", 3) != 0) {
				memcpy(lit, r->p, k);
				litn = k;
			}
			r->p += k;
		}
		if (r->fail)
			return 0;
		if (zero) {
			/* An assertion, a comment or flags: nothing to match,
			 * and a quantifier on it is not read. */
			if (*r->p && strchr("?*+{", *r->p)) {
				r->fail = 1;
				return 0;
			}
			if (flush_run(b, run, &n) < 0)
				return -1;
			continue;
		}
		min = quantifier(r, &rep);
		if (r->fail) {
			alts_free(alts, nalts);
			return 0;
		}
		/* In a case-insensitive pattern, only ASCII characters are
		 * literal (the text is folded with grace_rxlit_fold_text()
		 * for them), and not the halves of mixed folds. */
		if (litn && r->icase && (litn > 1 || (r->mixed &&
		    grace_rxlit_fold_risky_mixed((unsigned char)lit[0]))))
			litn = 0;
		if (litn && min && n + litn <= sizeof run) {
			memcpy(run + n, lit, litn);
			n += litn;
			if (b->pure && b->litn + litn <= sizeof b->lit) {
				memcpy(b->lit + b->litn, lit, litn);
				b->litn += litn;
			}
			if (rep) {
				b->pure = 0;
				if (flush_run(b, run, &n) < 0)
					return -1;
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
				struct grace_rxlit_req q = {0};

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

/* Whether an inline flag group of pat holds c ('i' or 'x'). Reads
 * textually, so it may see one where there is none ("\(?i"): that only
 * makes the reading more cautious. */
static int
inline_flag(const char *pat, char c)
{
	const char *p = pat;

	while ((p = strstr(p, "(?"))) {
		p += 2;
		while (*p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || *p == '-')) {
			if (*p == c)
				return 1;
			p++;
		}
	}
	return 0;
}

int
grace_rxlit_read(const char *pat, int ignore_case, struct grace_rxlit *out)
{
	struct rd r = { pat, 0, 0, ignore_case, 0 };
	struct branch *alts = NULL, top;
	size_t nalts = 0, i;
	int x = 0;

	memset(out, 0, sizeof *out);
	memset(&top, 0, sizeof top);
	if (inline_flag(pat, 'i'))
		r.icase = 1;
	out->icase = r.icase;
	if (inline_flag(pat, 'x'))
		return 0;   /* white space and # comments: not read */
	/* Can the pattern name a non-ASCII character (raw, \x{2BC}, \p{Lm},
	 * ...), which a multi-character fold may pair with an ASCII one? */
	for (i = 0; pat[i]; i++)
		if ((unsigned char)pat[i] >= 0x80 || (pat[i] == '\\' &&
		    pat[i + 1] && strchr("xouUNpP", pat[i + 1])))
			r.mixed = 1;
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
	out->icase = r.icase;
	alts_free(alts, nalts);
	if (x < 0) {
		grace_rxlit_free(out);
		return -1;
	}
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
	return 0;
}

/* ----------------------------------------------------------- matching */

static int
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1 if lit (lower case) occurs in t[0..n) with ASCII case folded. */
static int
ci_contains(const char *t, size_t n, const char *lit)
{
	size_t m = strlen(lit), i, j;
	unsigned char f = (unsigned char)lit[0];
	unsigned char F = (unsigned char)(f >= 'a' && f <= 'z' ? f - 32 : f);

	if (m > n)
		return 0;
	for (i = 0; i + m <= n; i++) {
		const char *a, *b;

		a = memchr(t + i, f, n - m + 1 - i);
		b = F != f ? memchr(t + i, F, n - m + 1 - i) : NULL;
		if (!a && !b)
			return 0;
		if (!a || (b && b < a))
			a = b;
		i = (size_t)(a - t);
		for (j = 1; j < m; j++)
			if (lower((unsigned char)t[i + j]) !=
			    (unsigned char)lit[j])
				break;
		if (j == m)
			return 1;
	}
	return 0;
}

int
grace_rxlit_may_match(const struct grace_rxlit *rl, const char *t, size_t n)
{
	struct grace_buf f = {0};
	int r;

	if (rl->icase && rl->n) {
		if ((r = grace_rxlit_fold_text(&f, t, n)) < 0) {
			grace_buf_free(&f);
			return 1;   /* cannot tell: it may */
		}
		if (r) {
			r = grace_rxlit_may_match_folded(rl, f.p, f.len);
			grace_buf_free(&f);
			return r;
		}
	}
	return grace_rxlit_may_match_folded(rl, t, n);
}

int
grace_rxlit_may_match_folded(const struct grace_rxlit *rl, const char *t,
    size_t n)
{
	size_t i, j;

	for (i = 0; i < rl->n; i++) {
		for (j = 0; j < rl->v[i].n; j++)
			if (ci_contains(t, n, rl->v[i].lits[j]))
				break;
		if (j == rl->v[i].n)
			return 0;
	}
	return 1;
}
