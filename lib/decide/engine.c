/* engine.c - the unified decision: read the upstream verdicts from an
 * event's bytes (spans, no jv), map each to an opinion and a score,
 * combine them by the configured algorithm and override precedence, and
 * write grace.decision (grace-decide(5) documents every step). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "jwalk.h"

/* Scores of the gate's decisions and of anomaly severities. */
enum { GATE_ALLOW, GATE_WARN, GATE_REVIEW, GATE_DENY, GATE_ERROR, GATE_N };
static const char *const gate_words[GATE_N] = {
	"allow", "warn", "review", "deny", "error",
};
static const double gate_score[GATE_N] = { 1.0, 0.7, 0.5, 0.0, 0.0 };

enum { SEV_NONE, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_N };
static const char *const sev_words[SEV_N] = {
	"none", "low", "medium", "high", "critical",
};
static const double sev_score[SEV_N] = { 1.0, 0.75, 0.5, 0.25, 0.0 };

enum { VER_VERIFIED, VER_FAILED, VER_INCONCLUSIVE, VER_N };
static const char *const ver_words[VER_N] = {
	"verified", "failed", "inconclusive",
};

static const char *const risk_words[] = { "low", "medium", "high", "critical" };

/* The state of one input for the event being decided. Spans are
 * absolute offsets into the event. */
struct inst {
	enum grace_opinion op;
	int present;           /* the member is there (and not null) */
	int has_score;         /* weighed */
	double score;
	double certainty;      /* the confidence of a decision it makes */
	int code;              /* gate decision, heal severity or verify
	                          status index; -1 when unknown */
	int anomaly;
	int has_raw;           /* heal.score, verify.confidence, or the
	                          score of a score input, was given */
	double raw;
	struct grace_jspan rules, risk, obligations;
	size_t det_off, det_len; /* what is wrong, JSON string content in
	                          r->det_, when indeterminate */
};

struct ev {
	const struct grace_decide *d;
	const char *p;
	size_t n;
	struct grace_decision *r;
	struct inst st[GRACE_DIN_COUNT];
	int oom;
};

/* ------------------------------------------------------ numbers, text */

/* x * 10000 rounded half away from zero. The nudge (1e-10 of x) makes a
 * tie that floating point lands just below (0.575 / 0.8 = 0.71874999...)
 * round as the hand computation does; nothing else is that close. */
static long long
scaled4(double x)
{
	return llround(x * 10000.0 + (x < 0 ? -1e-6 : 1e-6));
}

double
grace_decide_round4(double x)
{
	return (double)scaled4(x) / 10000.0;
}

int
grace_decide_addnum(struct grace_buf *b, double x)
{
	char tmp[48], *s = tmp + sizeof tmp;
	long long v = scaled4(x);

	/* 0..1, the usual case: "0", "1", or "0." and up to 4 digits. */
	if (v >= 0 && v < 10000) {
		unsigned f = (unsigned)v;
		char d[6] = { '0', '.', (char)('0' + f / 1000),
		    (char)('0' + f / 100 % 10), (char)('0' + f / 10 % 10),
		    (char)('0' + f % 10) };
		size_t n = 6;

		if (f == 0)
			return grace_buf_add(b, "0", 1);
		while (d[n - 1] == '0')
			n--;
		return grace_buf_add(b, d, n);
	}
	unsigned long long u = v < 0 ? (unsigned long long)-v :
	    (unsigned long long)v;
	unsigned frac = (unsigned)(u % 10000);
	int i, started = 0;

	u /= 10000;
	if (frac) {
		for (i = 0; i < 4; i++) {
			unsigned dgt = frac % 10;

			frac /= 10;
			if (dgt || started) {
				*--s = (char)('0' + dgt);
				started = 1;
			}
		}
		*--s = '.';
	}
	do {
		*--s = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--s = '-';
	return grace_buf_add(b, s, (size_t)(tmp + sizeof tmp - s));
}

/* Append n bytes: in place when they fit (the common case, the buffers
 * being reused from event to event), else through grace_buf_add. */
static inline void
add(struct ev *v, struct grace_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len > n) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else if (grace_buf_add(b, s, n) < 0) {
		v->oom = 1;
	}
}

/* Append a string literal (its length known at compile time). */
#define ADDL(v, b, lit) add((v), (b), (lit), sizeof(lit) - 1)

static void
adds(struct ev *v, struct grace_buf *b, const char *s)
{
	add(v, b, s, strlen(s));
}

static void
addnum(struct ev *v, struct grace_buf *b, double x)
{
	if (grace_decide_addnum(b, x) < 0)
		v->oom = 1;
}


/* Append s[0..n) (arbitrary bytes) as JSON string content, cut after
 * max bytes ("..." added). */
static void
add_content(struct ev *v, struct grace_buf *b, const char *s, size_t n,
    size_t max)
{
	struct grace_buf *t = &v->r->tmp_;
	size_t mark = t->len;
	int cut = 0;

	if (n > max) {
		while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
			max--;
		n = max;
		cut = 1;
	}
	if (grace_buf_add_jstr(t, s, n) < 0) {
		v->oom = 1;
		return;
	}
	add(v, b, t->p + mark + 1, t->len - mark - 2);
	if (cut)
		ADDL(v, b, "...");
	t->len = mark;
	t->p[mark] = '\0';
}

/* Append the text of the validated JSON string span s as JSON string
 * content: copied as it is (the content of a valid literal is valid in
 * another), cut after about 200 bytes at a safe place. */
static void
add_span_content(struct ev *v, struct grace_buf *b, const struct grace_jspan *s)
{
	const char *c = v->p + s->off + 1;
	size_t n = s->len - 2, i = 0, cut = 200;

	if (n <= cut) {
		add(v, b, c, n);
		return;
	}
	while (i < cut) {
		if (c[i] == '\\')
			i += c[i + 1] == 'u' ? 6 : 2;
		else
			i++;
	}
	while (i > 0 && ((unsigned char)c[i] & 0xC0) == 0x80)
		i--;
	add(v, b, c, i);
	ADDL(v, b, "...");
}

/* 1 if the string span s equals the n bytes at w. */
static int
str_eq(struct ev *v, const struct grace_jspan *s, const char *w, size_t n)
{
	const char *c = v->p + s->off;
	struct grace_buf *t = &v->r->tmp_;
	size_t mark = t->len;
	int eq;

	if (s->kind != GRACE_J_STRING)
		return 0;
	if (s->len == n + 2 && memcmp(c + 1, w, n) == 0)
		return 1;
	if (s->len < n + 2 || !memchr(c, '\\', s->len))
		return 0;
	if (grace_json_unescape(t, c, s->len) < 0) {
		v->oom = 1;
		return 0;
	}
	eq = t->len - mark == n && memcmp(t->p + mark, w, n) == 0;
	t->len = mark;
	t->p[mark] = '\0';
	return eq;
}

/* Index of the string span s among words[0..nw), or -1. */
static int
str_index(struct ev *v, const struct grace_jspan *s,
    const char *const *words, int nw)
{
	const char *c;
	size_t n;
	int i;

	/* An absent member's span has no offset to add. */
	if (s->kind != GRACE_J_STRING)
		return -1;
	c = v->p + s->off + 1;
	n = s->len - 2;
	/* The common case: no escapes, compared in place. */
	for (i = 0; i < nw; i++)
		if (words[i][0] == c[0] && strlen(words[i]) == n &&
		    memcmp(words[i], c, n) == 0)
			return i;
	if (!memchr(c, '\\', n))
		return -1;
	for (i = 0; i < nw; i++)
		if (str_eq(v, s, words[i], strlen(words[i])))
			return i;
	return -1;
}

/* 1 if the string span s starts with the n bytes at w. */
static int
str_prefix(struct ev *v, const struct grace_jspan *s, const char *w, size_t n)
{
	const char *c = v->p + s->off;
	struct grace_buf *t = &v->r->tmp_;
	size_t mark = t->len;
	int eq;

	if (s->kind != GRACE_J_STRING || s->len < n + 2)
		return 0;
	if (memcmp(c + 1, w, n) == 0)
		return 1;
	if (!memchr(c, '\\', s->len))
		return 0;
	if (grace_json_unescape(t, c, s->len) < 0) {
		v->oom = 1;
		return 0;
	}
	eq = t->len - mark >= n && memcmp(t->p + mark, w, n) == 0;
	t->len = mark;
	t->p[mark] = '\0';
	return eq;
}

static const double pow10tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15,
};

/* The value of the number span s. Plain decimals of up to 15 digits are
 * converted exactly as strtod would (one correctly rounded division of
 * two exact values); anything else goes to strtod, which stops at the
 * delimiter that always follows a number inside an object. */
static double
num(struct ev *v, const struct grace_jspan *s)
{
	const char *c = v->p + s->off, *e = c + s->len;
	uint64_t m = 0;
	int digits = 0, frac = 0, neg = 0;

	if (*c == '-')
		neg = 1, c++;
	while (c < e && *c >= '0' && *c <= '9')
		m = m * 10 + (uint64_t)(*c++ - '0'), digits++;
	if (c < e && *c == '.') {
		c++;
		while (c < e && *c >= '0' && *c <= '9')
			m = m * 10 + (uint64_t)(*c++ - '0'), digits++, frac++;
	}
	if (c == e && digits <= 15) {
		double x = (double)m / pow10tab[frac];

		return neg ? -x : x;
	}
	return strtod(v->p + s->off, NULL);
}

/* A number from 0 to 1 at span s: 1 with *out set, 0 if s is not one. */
static int
unit(struct ev *v, const struct grace_jspan *s, double *out)
{
	double x;

	if (s->kind != GRACE_J_NUMBER)
		return 0;
	x = num(v, s);
	if (!(x >= 0 && x <= 1))
		return 0;
	*out = x;
	return 1;
}

/* Walking text that grace_json_scan() has already validated: lib/jwalk.h. */
/* White space and the separators between members and values. */
static const unsigned char sep[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [','] = 1, [':'] = 1,
};

static inline size_t
skip_ws(const char *p, size_t i, size_t end)
{
	while (i < end && sep[(unsigned char)p[i]])
		i++;
	return i;
}

/* Step over the element of the validated array at *pos; return its span
 * (kind GRACE_J_NONE when the array ends). *pos starts just after '['. */
static struct grace_jspan
arr_next(const char *p, size_t end, size_t *pos)
{
	struct grace_jspan el = { 0, 0, GRACE_J_NONE };
	size_t i = skip_ws(p, *pos, end);

	if (i >= end || p[i] == ']') {
		*pos = i;
		return el;
	}
	el.off = i;
	el.kind = grace_jw_kind(p[i]);
	*pos = grace_jw_value(p, i, end);
	el.len = *pos - i;
	return el;
}

/* ------------------------------------------------------ reading inputs */

/* Mark input k indeterminate, with what is wrong as JSON string content
 * built by the caller into r->det_ from mark on. */
static void
indeterminate(struct ev *v, struct inst *s, size_t mark)
{
	s->op = GRACE_OP_INDETERMINATE;
	s->has_score = 0;
	s->certainty = 0;
	s->det_off = mark;
	s->det_len = v->r->det_.len - mark;
}

/* "grace.<member>.<what> is <kind>, <expected>" */
static void
malformed(struct ev *v, struct inst *s, enum grace_dinput k,
    const char *what, const struct grace_jspan *sp, const char *expected)
{
	struct grace_buf *b = &v->r->det_;
	size_t mark = b->len;

	ADDL(v, b, "grace.");
	adds(v, b, grace_dinput_member(k));
	if (what) {
		ADDL(v, b, ".");
		adds(v, b, what);
	}
	if (sp->kind == GRACE_J_NONE) {
		ADDL(v, b, " is missing");
	} else if (sp->kind == GRACE_J_STRING) {
		struct grace_buf *t = &v->r->tmp_;
		size_t tm = t->len;

		ADDL(v, b, " '");
		if (grace_json_unescape(t, v->p + sp->off, sp->len) < 0) {
			v->oom = 1;
		} else {
			add_content(v, b, t->p + tm, t->len - tm, 40);
			t->len = tm;
			t->p[tm] = '\0';
		}
		ADDL(v, b, "' is not ");
		adds(v, b, expected);
	} else if (sp->kind == GRACE_J_NUMBER && sp->len <= 24) {
		ADDL(v, b, " ");
		add(v, b, v->p + sp->off, sp->len);
		ADDL(v, b, " is not ");
		adds(v, b, expected);
	} else {
		ADDL(v, b, " is ");
		adds(v, b, grace_json_kind_name(sp->kind));
		ADDL(v, b, ", not ");
		adds(v, b, expected);
	}
	indeterminate(v, s, mark);
}

/* The upstream reported an error: "error: <message>". */
static void
errored(struct ev *v, struct inst *s, const struct grace_jspan *err)
{
	struct grace_buf *b = &v->r->det_;
	size_t mark = b->len;

	ADDL(v, b, "error");
	if (err->kind == GRACE_J_STRING && err->len > 2) {
		ADDL(v, b, ": ");
		add_span_content(v, b, err);
	}
	indeterminate(v, s, mark);
}

/* The members read from each input's object, by index. */
enum { G_DECISION, G_RULES, G_RISK, G_ERROR, G_OBLIGATIONS };
enum { H_ANOMALY, H_SEVERITY, H_SCORE, H_ERROR };
enum { V_STATUS, V_CONFIDENCE };
enum { S_SCORE, S_ERROR };
#define MAXKEYS 5

static const struct {
	const char *member;            /* in grace */
	unsigned char mlen;
	unsigned char nkeys;
	const char *keys[MAXKEYS];
	unsigned char klen[MAXKEYS];
} layout[GRACE_DIN_COUNT] = {
	{ "gate", 4, 5, { "decision", "rules", "risk", "error", "obligations" },
	    { 8, 5, 4, 5, 11 } },
	{ "heal", 4, 4, { "anomaly", "severity", "score", "error" },
	    { 7, 8, 5, 5 } },
	{ "verify", 6, 2, { "status", "confidence" }, { 6, 10 } },
	{ "mldl", 4, 2, { "score", "error" }, { 5, 5 } },
	{ "learning", 8, 2, { "score", "error" }, { 5, 5 } },
	{ "memory", 6, 2, { "score", "error" }, { 5, 5 } },
};

/* The key literal p[ks..ks+kn) (esc: it holds escapes) names w, of
 * length wl: the slow path. */
static int
key_is_escaped(struct ev *v, size_t ks, size_t kn, const char *w, size_t wl)
{
	struct grace_jspan key = { ks, kn, GRACE_J_STRING };

	return str_eq(v, &key, w, wl);
}

static inline int
key_is(struct ev *v, size_t ks, size_t kn, int esc, const char *w, size_t wl)
{
	const char *p = v->p;

	if (kn == wl + 2)
		return p[ks + 1] == w[0] && memcmp(p + ks + 1, w, wl) == 0;
	return esc && kn > wl + 2 && key_is_escaped(v, ks, kn, w, wl);
}

/* Walk the validated object that starts at p[i] == '{' (like
 * grace_json_scan(), without validating it again) and set f[k] to the
 * absolute span of member keys[k] (the last one if a name repeats, kind
 * GRACE_J_NONE when absent). Returns the index just past the object. */
static size_t
scan_obj(struct ev *v, size_t i, size_t end, const char *const *keys,
    const unsigned char *klen, size_t nkeys, struct grace_jspan *f)
{
	const char *p = v->p;
	size_t k;

	for (k = 0; k < nkeys; k++)
		f[k].kind = GRACE_J_NONE;
	for (i++;;) {
		size_t ks, kn, vs;
		int esc = 0;

		i = skip_ws(p, i, end);
		if (i >= end || p[i] != '"')
			break;
		ks = i;
		i = grace_jw_string(p, i, end, &esc);
		kn = i - ks;
		vs = i = skip_ws(p, i, end);
		i = grace_jw_value(p, i, end);
		for (k = 0; k < nkeys; k++) {
			if (key_is(v, ks, kn, esc, keys[k], klen[k])) {
				f[k].off = vs;
				f[k].len = i - vs;
				f[k].kind = grace_jw_kind(p[vs]);
				break;
			}
		}
	}
	return i < end && p[i] == '}' ? i + 1 : end;
}

/* Walk grace (span g, an object) once: sub[k] is the span of the member
 * of input k, and when it is an object, f[k] its members. */
static void
scan_grace(struct ev *v, const struct grace_jspan *g,
    struct grace_jspan *sub, struct grace_jspan f[][MAXKEYS])
{
	const char *p = v->p;
	size_t i = g->off + 1, end = g->off + g->len, k;

	for (k = 0; k < GRACE_DIN_COUNT; k++)
		sub[k].kind = GRACE_J_NONE;
	for (;;) {
		size_t ks, kn, vs;
		int esc = 0;

		i = skip_ws(p, i, end);
		if (i >= end || p[i] != '"')
			break;
		ks = i;
		i = grace_jw_string(p, i, end, &esc);
		kn = i - ks;
		vs = i = skip_ws(p, i, end);
		for (k = 0; k < GRACE_DIN_COUNT; k++)
			if (v->d->in[k].used && key_is(v, ks, kn, esc,
			    layout[k].member, layout[k].mlen))
				break;
		if (k < GRACE_DIN_COUNT && p[vs] == '{')
			i = scan_obj(v, vs, end, layout[k].keys, layout[k].klen,
			    layout[k].nkeys, f[k]);
		else
			i = grace_jw_value(p, i, end);
		if (k < GRACE_DIN_COUNT) {
			sub[k].off = vs;
			sub[k].len = i - vs;
			sub[k].kind = grace_jw_kind(p[vs]);
		}
	}
}

static void
read_gate(struct ev *v, struct inst *s, const struct grace_jspan *f)
{
	int c;

	if (f[G_RULES].kind == GRACE_J_ARRAY)
		s->rules = f[G_RULES];
	if (f[G_RISK].kind == GRACE_J_STRING)
		s->risk = f[G_RISK];
	if (f[G_OBLIGATIONS].kind == GRACE_J_ARRAY)
		s->obligations = f[G_OBLIGATIONS];
	c = str_index(v, &f[G_DECISION], gate_words, GATE_N);
	if (c < 0) {
		malformed(v, s, GRACE_DIN_GOVERNANCE, "decision",
		    &f[G_DECISION], "allow, warn, review, deny or error");
		return;
	}
	s->code = c;
	if (c == GATE_ERROR) {
		errored(v, s, &f[G_ERROR]);
		return;
	}
	s->score = gate_score[c];
	s->has_score = 1;
	s->certainty = 1;
	s->op = c == GATE_DENY ? GRACE_OP_DENY : c == GATE_REVIEW ?
	    GRACE_OP_HOLD : GRACE_OP_PERMIT;
}

static void
read_heal(struct ev *v, struct inst *s, const struct grace_jspan *f)
{
	int sev;

	if (f[H_ERROR].kind != GRACE_J_NONE && f[H_ERROR].kind != GRACE_J_NULL) {
		errored(v, s, &f[H_ERROR]);
		return;
	}
	s->anomaly = -1;
	if (f[H_ANOMALY].kind == GRACE_J_TRUE || f[H_ANOMALY].kind == GRACE_J_FALSE) {
		s->anomaly = f[H_ANOMALY].kind == GRACE_J_TRUE;
	} else if (f[H_ANOMALY].kind != GRACE_J_NONE) {
		malformed(v, s, GRACE_DIN_AVN, "anomaly", &f[H_ANOMALY],
		    "true or false");
		return;
	}
	if (f[H_SEVERITY].kind != GRACE_J_NONE) {
		sev = str_index(v, &f[H_SEVERITY], sev_words, SEV_N);
		if (sev < 0) {
			malformed(v, s, GRACE_DIN_AVN, "severity", &f[H_SEVERITY],
			    "none, low, medium, high or critical");
			return;
		}
	} else if (s->anomaly >= 0) {
		sev = s->anomaly ? SEV_MEDIUM : SEV_NONE;
	} else {
		malformed(v, s, GRACE_DIN_AVN, "severity", &f[H_SEVERITY],
		    "none, low, medium, high or critical");
		return;
	}
	if (f[H_SCORE].kind != GRACE_J_NONE) {
		if (!unit(v, &f[H_SCORE], &s->raw)) {
			malformed(v, s, GRACE_DIN_AVN, "score", &f[H_SCORE],
			    "a number from 0 to 1");
			return;
		}
		s->has_raw = 1;
		s->score = 1 - s->raw;
	} else {
		s->score = sev_score[sev];
	}
	s->code = sev;
	s->has_score = 1;
	s->certainty = 1;
	s->op = sev == SEV_NONE ? GRACE_OP_PERMIT : sev == SEV_CRITICAL ?
	    GRACE_OP_HOLD : GRACE_OP_NEUTRAL;
}

static void
read_verify(struct ev *v, struct inst *s, const struct grace_jspan *f)
{
	int st;

	st = str_index(v, &f[V_STATUS], ver_words, VER_N);
	if (st < 0) {
		malformed(v, s, GRACE_DIN_VERIFICATION, "status", &f[V_STATUS],
		    "verified, failed or inconclusive");
		return;
	}
	s->raw = 1;
	if (f[V_CONFIDENCE].kind != GRACE_J_NONE) {
		if (!unit(v, &f[V_CONFIDENCE], &s->raw)) {
			malformed(v, s, GRACE_DIN_VERIFICATION, "confidence",
			    &f[V_CONFIDENCE], "a number from 0 to 1");
			return;
		}
		s->has_raw = 1;
	}
	s->code = st;
	s->has_score = 1;
	s->certainty = s->raw;
	switch (st) {
	case VER_VERIFIED:
		s->op = GRACE_OP_PERMIT;
		s->score = s->raw;
		break;
	case VER_FAILED:
		s->op = GRACE_OP_DENY;
		s->score = 1 - s->raw;
		break;
	default:
		s->op = GRACE_OP_NEUTRAL;
		s->score = 0.5;
		break;
	}
}

static void
read_score(struct ev *v, struct inst *s, enum grace_dinput k,
    const struct grace_jspan *f)
{
	const struct grace_dinput_conf *c = &v->d->in[k];

	if (f[S_ERROR].kind != GRACE_J_NONE && f[S_ERROR].kind != GRACE_J_NULL) {
		errored(v, s, &f[S_ERROR]);
		return;
	}
	if (!unit(v, &f[S_SCORE], &s->raw)) {
		malformed(v, s, k, "score", &f[S_SCORE], "a number from 0 to 1");
		return;
	}
	s->has_raw = 1;
	s->score = s->raw;
	s->has_score = 1;
	s->certainty = 1;
	if (c->has_deny_below && s->raw < c->deny_below)
		s->op = GRACE_OP_DENY;
	else if (c->has_permit_at && s->raw >= c->permit_at)
		s->op = GRACE_OP_PERMIT;
	else
		s->op = GRACE_OP_NEUTRAL;
}

static void
read_input(struct ev *v, enum grace_dinput k, const struct grace_jspan *o,
    const struct grace_jspan *f)
{
	const struct grace_dinput_conf *c = &v->d->in[k];
	struct inst *s = &v->st[k];

	s->op = GRACE_OP_ABSENT;
	s->present = s->has_score = s->has_raw = 0;
	s->score = s->raw = 0;
	s->code = -1;
	s->anomaly = -1;
	s->certainty = 1;
	s->rules.kind = s->risk.kind = s->obligations.kind = GRACE_J_NONE;
	s->det_off = s->det_len = 0;
	if (o->kind == GRACE_J_NONE || o->kind == GRACE_J_NULL) {
		switch (c->missing) {
		case GRACE_MISSING_NEUTRAL:
			s->has_score = 1;
			s->score = c->neutral;
			/* fall through */
		case GRACE_MISSING_ABSENT:
			s->op = GRACE_OP_ABSENT;
			break;
		default: {
			struct grace_buf *b = &v->r->det_;
			size_t mark = b->len;

			ADDL(v, b, "required input missing (no grace.");
			adds(v, b, grace_dinput_member(k));
			ADDL(v, b, ")");
			indeterminate(v, s, mark);
		}
		}
		return;
	}
	s->present = 1;
	if (o->kind != GRACE_J_OBJECT) {
		malformed(v, s, k, NULL, o, "an object");
		return;
	}
	switch (k) {
	case GRACE_DIN_GOVERNANCE: read_gate(v, s, f); break;
	case GRACE_DIN_AVN: read_heal(v, s, f); break;
	case GRACE_DIN_VERIFICATION: read_verify(v, s, f); break;
	default: read_score(v, s, k, f); break;
	}
}

/* ------------------------------------------------------------- rules */

static int
rule_matches(struct ev *v, const struct grace_drule *ru,
    const struct grace_jspan *type)
{
	const struct inst *s = &v->st[ru->input];
	size_t i;

	if (ru->opinions && !(ru->opinions >> s->op & 1))
		return 0;
	if (ru->decisions && (s->code < 0 || !(ru->decisions >> s->code & 1)))
		return 0;
	if (ru->statuses && (s->code < 0 || !(ru->statuses >> s->code & 1)))
		return 0;
	if ((ru->severities || ru->anomaly >= 0) &&
	    (s->op == GRACE_OP_INDETERMINATE || s->code < 0))
		return 0;
	if (ru->severities && !(ru->severities >> s->code & 1))
		return 0;
	if (ru->anomaly >= 0 && (s->code != SEV_NONE) != ru->anomaly)
		return 0;
	if (ru->has_below || ru->has_at_least) {
		if (!s->present || !s->has_score)
			return 0;
		if (ru->has_below && !(s->score < ru->below))
			return 0;
		if (ru->has_at_least && !(s->score >= ru->at_least))
			return 0;
	}
	if (ru->risks) {
		int k = s->risk.kind == GRACE_J_STRING ?
		    str_index(v, &s->risk, risk_words, 4) : -1;

		if (k < 0 || !(ru->risks >> k & 1))
			return 0;
	}
	if (ru->ngate_rules) {
		size_t pos = s->rules.off + 1, end = s->rules.off + s->rules.len;
		int hit = 0;

		if (s->rules.kind != GRACE_J_ARRAY)
			return 0;
		for (;;) {
			struct grace_jspan el = arr_next(v->p, end, &pos);

			if (el.kind == GRACE_J_NONE)
				break;
			for (i = 0; i < ru->ngate_rules && !hit; i++)
				hit = str_eq(v, &el, ru->gate_rules[i],
				    strlen(ru->gate_rules[i]));
			if (hit)
				break;
		}
		if (!hit)
			return 0;
	}
	if (ru->ntypes) {
		int hit = 0;

		for (i = 0; i < ru->ntypes && !hit; i++) {
			const char *t = ru->types[i];
			size_t tl = strlen(t);

			if (tl && t[tl - 1] == '*')
				hit = str_prefix(v, type, t, tl - 1);
			else
				hit = str_eq(v, type, t, tl);
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------- descriptions */

/* Append the gate's rule ids as "a, b" (string elements only). */
static void
add_gate_rules(struct ev *v, struct grace_buf *b, const struct inst *s)
{
	size_t pos = s->rules.off + 1, end = s->rules.off + s->rules.len;
	int first = 1, count = 0;

	for (;;) {
		struct grace_jspan el = arr_next(v->p, end, &pos);

		if (el.kind == GRACE_J_NONE)
			break;
		if (el.kind != GRACE_J_STRING)
			continue;
		if (++count > 8) {
			ADDL(v, b, ", ...");
			break;
		}
		adds(v, b, first ? " by " : ", ");
		add_span_content(v, b, &el);
		first = 0;
	}
}

/* What input k says, as JSON string content: "governance: deny by
 * no-prod-delete", "avn: critical anomaly (score 0.97)", ... (without
 * the "governance: " when !named). */
static void
describe(struct ev *v, struct grace_buf *b, enum grace_dinput k, int named)
{
	const struct inst *s = &v->st[k];
	const struct grace_dinput_conf *c = &v->d->in[k];

	if (named) {
		adds(v, b, grace_dinput_name(k));
		ADDL(v, b, ": ");
	}
	if (s->op == GRACE_OP_INDETERMINATE) {
		if (named)
			ADDL(v, b, "indeterminate: ");
		add(v, b, v->r->det_.p + s->det_off, s->det_len);
		return;
	}
	if (!s->present) {
		ADDL(v, b, "missing");
		if (s->has_score) {
			ADDL(v, b, ", neutral score ");
			addnum(v, b, s->score);
		}
		return;
	}
	switch (k) {
	case GRACE_DIN_GOVERNANCE:
		adds(v, b, gate_words[s->code]);
		if (s->rules.kind == GRACE_J_ARRAY)
			add_gate_rules(v, b, s);
		break;
	case GRACE_DIN_AVN:
		if (s->code == SEV_NONE) {
			ADDL(v, b, "no anomaly");
		} else {
			adds(v, b, sev_words[s->code]);
			ADDL(v, b, " anomaly");
		}
		if (s->has_raw) {
			ADDL(v, b, " (score ");
			addnum(v, b, s->raw);
			ADDL(v, b, ")");
		}
		break;
	case GRACE_DIN_VERIFICATION:
		adds(v, b, ver_words[s->code]);
		if (s->has_raw) {
			ADDL(v, b, " (confidence ");
			addnum(v, b, s->raw);
			ADDL(v, b, ")");
		}
		break;
	default:
		ADDL(v, b, "score ");
		addnum(v, b, s->raw);
		if (s->op == GRACE_OP_DENY) {
			ADDL(v, b, " below deny_below ");
			addnum(v, b, c->deny_below);
		} else if (s->op == GRACE_OP_PERMIT) {
			ADDL(v, b, " at or above permit_at ");
			addnum(v, b, c->permit_at);
		}
		break;
	}
}

/* ---------------------------------------------------------- combining */

struct cand {
	int set;
	enum grace_verdict verdict;
	enum grace_dinput input;
	const struct grace_drule *rule; /* NULL: the input's own opinion */
};

/* Offer candidate (vd from input k, or rule ru) to the algorithm. The
 * caller offers them in precedence order. */
static void
offer(enum grace_dalgo a, struct cand *best, enum grace_verdict vd,
    enum grace_dinput k, const struct grace_drule *ru)
{
	int take = 0;

	switch (a) {
	case GRACE_ALG_WEIGHTED:
		take = !best->set && vd != GRACE_V_APPROVE;
		break;
	case GRACE_ALG_FIRST_APPLICABLE:
		take = !best->set;
		break;
	case GRACE_ALG_DENY_OVERRIDES:
		take = !best->set || vd > best->verdict;
		break;
	case GRACE_ALG_PERMIT_OVERRIDES:
		if (vd == GRACE_V_APPROVE)
			take = !best->set || best->verdict != GRACE_V_APPROVE;
		else
			take = !best->set || (best->verdict != GRACE_V_APPROVE &&
			    vd > best->verdict);
		break;
	}
	if (take) {
		best->set = 1;
		best->verdict = vd;
		best->input = k;
		best->rule = ru;
	}
}

/* The verdict an input's own opinion stands for; -1 for none. */
static int
opinion_verdict(const struct grace_dinput_conf *c, enum grace_opinion op)
{
	switch (op) {
	case GRACE_OP_PERMIT: return GRACE_V_APPROVE;
	case GRACE_OP_HOLD: return GRACE_V_HOLD;
	case GRACE_OP_DENY: return GRACE_V_REJECT;
	case GRACE_OP_INDETERMINATE:
		return c->on_error == GRACE_ONERR_ESCALATE ? GRACE_V_ESCALATE :
		    c->on_error == GRACE_ONERR_HOLD ? GRACE_V_HOLD : -1;
	default: return -1;
	}
}

static int
travel_add(struct grace_decision *r, size_t i)
{
	if (r->ntravel_ == r->captravel_) {
		size_t nc = r->captravel_ ? r->captravel_ * 2 : 16;
		size_t *t = realloc(r->travel_, nc * sizeof *t);

		if (!t)
			return -1;
		r->travel_ = t;
		r->captravel_ = nc;
	}
	r->travel_[r->ntravel_++] = i;
	return 0;
}

static void
add_jstr(struct ev *v, struct grace_buf *b, const char *s)
{
	if (grace_buf_add_jstr(b, s, strlen(s)) < 0)
		v->oom = 1;
}

/* Append the inner text of the array span a (its values, without the
 * brackets) after a ',' if *first is 0. Nothing for an empty array. */
static void
add_array_inner(struct ev *v, struct grace_buf *b, const struct grace_jspan *a,
    int *first)
{
	size_t s = a->off + 1, e = a->off + a->len - 1;

	while (s < e && (v->p[s] == ' ' || v->p[s] == '\t' ||
	    v->p[s] == '\r' || v->p[s] == '\n'))
		s++;
	while (e > s && (v->p[e - 1] == ' ' || v->p[e - 1] == '\t' ||
	    v->p[e - 1] == '\r' || v->p[e - 1] == '\n'))
		e--;
	if (s == e)
		return;
	if (!*first)
		ADDL(v, b, ",");
	add(v, b, v->p + s, e - s);
	*first = 0;
}

/* Append the obligations (or, with advice set, the advice) of the rules
 * that travel with decision r, each after a ',' unless *first. */
static void
add_travelling(struct ev *v, struct grace_buf *b,
    const struct grace_decision *r, int advice, int *first)
{
	size_t i;

	for (i = 0; i < r->ntravel_; i++) {
		const struct grace_drule *ru;
		const char *text;

		if (r->travel_[i] == (size_t)-1)
			continue;
		ru = &v->d->rules[r->travel_[i]];
		text = advice ? ru->advice : ru->obligations;
		if (!text)
			continue;
		if (!*first)
			ADDL(v, b, ",");
		adds(v, b, text);
		*first = 0;
	}
}

static void
explain_inputs(struct ev *v, struct grace_buf *x)
{
	const struct grace_decide *d = v->d;
	size_t i;

	for (i = 0; i < GRACE_DIN_COUNT; i++) {
		enum grace_dinput k = d->order[i];
		const struct inst *s = &v->st[k];

		if (!d->in[k].used)
			continue;
		ADDL(v, x, "  input ");
		adds(v, x, grace_dinput_name(k));
		ADDL(v, x, " (grace.");
		adds(v, x, grace_dinput_member(k));
		ADDL(v, x, "): ");
		adds(v, x, grace_opinion_name(s->op));
		if (s->has_score) {
			ADDL(v, x, ", score ");
			addnum(v, x, s->score);
		}
		ADDL(v, x, ", weight ");
		addnum(v, x, d->in[k].weight);
		ADDL(v, x, ": ");
		describe(v, x, k, 0);
		ADDL(v, x, "\n");
	}
}

static void
explain_weights(struct ev *v, struct grace_buf *x, double sw, double sws)
{
	const struct grace_decide *d = v->d;
	size_t i;
	int first = 1;

	ADDL(v, x, "  weighted score: ");
	if (!(sw > 0)) {
		ADDL(v, x, "nothing to weigh\n");
		return;
	}
	ADDL(v, x, "(");
	for (i = 0; i < GRACE_DIN_COUNT; i++) {
		enum grace_dinput k = d->order[i];
		const struct inst *s = &v->st[k];

		if (!d->in[k].used || !s->has_score)
			continue;
		if (!first)
			ADDL(v, x, " + ");
		addnum(v, x, d->in[k].weight);
		ADDL(v, x, "*");
		addnum(v, x, s->score);
		first = 0;
	}
	ADDL(v, x, ") / ");
	addnum(v, x, sw);
	ADDL(v, x, " = ");
	addnum(v, x, sws / sw);
	ADDL(v, x, "\n");
}

int
grace_decide_event(const struct grace_decide *d, const char *p, size_t n,
    const struct grace_jspan *grace, const struct grace_jspan *type,
    struct grace_decision *r, struct grace_buf *explain)
{
	struct grace_jspan sub[GRACE_DIN_COUNT], f[GRACE_DIN_COUNT][MAXKEYS];
	struct grace_buf *j = &r->json;
	struct cand best = {0};
	struct ev v;
	double sw = 0, sws = 0, wpresent = 0, dev = 0, score = 0, conf;
	unsigned routes;
	size_t i, q;
	int has_score, first;

	v.d = d;
	v.p = p;
	v.n = n;
	v.r = r;
	v.oom = 0;
	grace_buf_reset(j);
	grace_buf_reset(&r->det_);
	grace_buf_reset(&r->tmp_);
	r->ntravel_ = 0;
	r->rule = NULL;

	/* 1. Read the inputs. */
	if (grace->kind == GRACE_J_OBJECT) {
		scan_grace(&v, grace, sub, f);
	} else {
		for (i = 0; i < GRACE_DIN_COUNT; i++)
			sub[i].kind = GRACE_J_NONE;
	}
	for (i = 0; i < GRACE_DIN_COUNT; i++)
		if (d->in[i].used)
			read_input(&v, (enum grace_dinput)i, &sub[i], f[i]);

	/* 2. The weighted score, over the inputs that have one. */
	for (i = 0; i < GRACE_DIN_COUNT; i++) {
		const struct inst *s = &v.st[i];

		if (!d->in[i].used || !s->has_score)
			continue;
		sw += d->in[i].weight;
		sws += d->in[i].weight * s->score;
		if (s->present)
			wpresent += d->in[i].weight;
	}
	has_score = sw > 0;
	if (has_score) {
		double mean = sws / sw;

		for (i = 0; i < GRACE_DIN_COUNT; i++)
			if (d->in[i].used && v.st[i].has_score)
				dev += d->in[i].weight *
				    fabs(v.st[i].score - mean);
		dev /= sw;
		score = grace_decide_round4(mean);
	}
	if (explain) {
		explain_inputs(&v, explain);
		explain_weights(&v, explain, sw, sws);
	}

	/* 3. Opinions and rules, in precedence order. */
	for (q = 0; q < GRACE_DIN_COUNT; q++) {
		enum grace_dinput k = d->order[q];
		int ov;

		if (!d->in[k].used)
			continue;
		ov = opinion_verdict(&d->in[k], v.st[k].op);
		if (ov >= 0)
			offer(d->algo, &best, (enum grace_verdict)ov, k, NULL);
		for (i = 0; i < d->nby_input[k]; i++) {
			const struct grace_drule *ru = &d->rules[d->by_input[k][i]];
			int m = rule_matches(&v, ru, type);

			if (explain) {
				ADDL(&v, explain, "  rule ");
				adds(&v, explain, ru->id);
				ADDL(&v, explain, " (");
				adds(&v, explain, grace_dinput_name(k));
				adds(&v, explain, m ? "): matches" : "): no match");
				if (m && ru->has_verdict) {
					ADDL(&v, explain, ", verdict ");
					adds(&v, explain, grace_verdict_name(ru->verdict));
				}
				ADDL(&v, explain, "\n");
			}
			if (!m)
				continue;
			if (travel_add(r, d->by_input[k][i]) < 0)
				v.oom = 1;
			if (ru->has_verdict)
				offer(d->algo, &best, ru->verdict, k, ru);
		}
	}

	/* An input's own opinion decided: a rule of that input that gives
	 * the same verdict says it better, and is credited with it (the
	 * verdict is the same either way). */
	if (best.set && !best.rule) {
		for (i = 0; i < r->ntravel_; i++) {
			const struct grace_drule *ru = &d->rules[r->travel_[i]];

			if (ru->input == best.input && ru->has_verdict &&
			    ru->verdict == best.verdict) {
				best.rule = ru;
				break;
			}
		}
	}

	/* 4. The verdict. */
	if (best.set) {
		r->verdict = best.verdict;
		r->by_weights = 0;
		r->decided_by = best.input;
		r->rule = best.rule;
		conf = v.st[best.input].certainty;
	} else if (has_score) {
		r->by_weights = 1;
		r->verdict = score >= d->t_approve ? GRACE_V_APPROVE :
		    score >= d->t_hold ? GRACE_V_HOLD :
		    score >= d->t_reject ? GRACE_V_ESCALATE : GRACE_V_REJECT;
		conf = wpresent / d->total_weight * (1 - 2 * dev);
	} else {
		r->by_weights = 1;
		r->verdict = d->indeterminate == GRACE_ONERR_HOLD ?
		    GRACE_V_HOLD : GRACE_V_ESCALATE;
		conf = 0;
	}
	r->has_score = has_score;
	r->score = score;
	r->confidence = grace_decide_round4(conf < 0 ? 0 : conf);

	/* 5. grace.decision. */
	ADDL(&v, j, "{\"verdict\":\"");
	adds(&v, j, grace_verdict_name(r->verdict));
	ADDL(&v, j, "\",\"confidence\":");
	addnum(&v, j, r->confidence);
	ADDL(&v, j, ",\"score\":");
	if (has_score)
		addnum(&v, j, score);
	else
		ADDL(&v, j, "null");
	ADDL(&v, j, ",\"decided_by\":\"");
	adds(&v, j, r->by_weights ? "weights" : grace_dinput_name(r->decided_by));
	ADDL(&v, j, "\",\"rules\":[");
	first = 1;
	if (r->rule) {
		add_jstr(&v, j, r->rule->id);
		first = 0;
	}
	routes = d->routes[r->verdict];
	for (i = 0; i < r->ntravel_; i++) {
		const struct grace_drule *ru = &d->rules[r->travel_[i]];

		if (ru->has_verdict && ru->verdict != r->verdict) {
			r->travel_[i] = (size_t)-1;
			continue;
		}
		routes |= ru->routes;
		if (ru == r->rule)
			continue;
		if (!first)
			ADDL(&v, j, ",");
		add_jstr(&v, j, ru->id);
		first = 0;
	}
	ADDL(&v, j, "],\"reasons\":[\"");
	r->reason_off = j->len - 1;
	if (r->rule && r->rule->reason) {
		adds(&v, j, r->rule->reason);
	} else if (r->rule) {
		ADDL(&v, j, "rule ");
		add_content(&v, j, r->rule->id, strlen(r->rule->id), 200);
		ADDL(&v, j, " on ");
		describe(&v, j, r->decided_by, 1);
	} else if (!r->by_weights) {
		describe(&v, j, r->decided_by, 1);
	} else if (!has_score) {
		ADDL(&v, j, "no input to weigh");
	} else {
		ADDL(&v, j, "weighted score ");
		addnum(&v, j, score);
		switch (r->verdict) {
		case GRACE_V_APPROVE:
			ADDL(&v, j, " at or above approve threshold ");
			addnum(&v, j, d->t_approve);
			break;
		case GRACE_V_HOLD:
			ADDL(&v, j, " at or above hold threshold ");
			addnum(&v, j, d->t_hold);
			ADDL(&v, j, ", below approve threshold ");
			addnum(&v, j, d->t_approve);
			break;
		case GRACE_V_ESCALATE:
			ADDL(&v, j, " at or above reject threshold ");
			addnum(&v, j, d->t_reject);
			ADDL(&v, j, ", below hold threshold ");
			addnum(&v, j, d->t_hold);
			break;
		default:
			ADDL(&v, j, " below reject threshold ");
			addnum(&v, j, d->t_reject);
			break;
		}
	}
	ADDL(&v, j, "\"");
	r->reason_len = j->len - r->reason_off;
	for (i = 0; i < r->ntravel_; i++) {
		const struct grace_drule *ru;

		if (r->travel_[i] == (size_t)-1)
			continue;
		ru = &d->rules[r->travel_[i]];
		if (ru == r->rule || !ru->reason)
			continue;
		ADDL(&v, j, ",\"");
		adds(&v, j, ru->reason);
		ADDL(&v, j, "\"");
	}
	/* An indeterminate input is never silent. */
	for (q = 0; q < GRACE_DIN_COUNT; q++) {
		enum grace_dinput k = d->order[q];

		if (!d->in[k].used || v.st[k].op != GRACE_OP_INDETERMINATE ||
		    (!r->by_weights && !r->rule && r->decided_by == k))
			continue;
		ADDL(&v, j, ",\"");
		describe(&v, j, k, 1);
		adds(&v, j, d->in[k].on_error == GRACE_ONERR_IGNORE ?
		    " (ignored: on_error is ignore)\"" : "\"");
	}
	ADDL(&v, j, "],\"routes\":[");
	{
		static const char *const names[] = {
			"\"autonomous\"", "\"ui\"", "\"learning\"", "\"audit\"",
		};

		first = 1;
		for (i = 0; i < 4; i++) {
			if (!(routes >> i & 1))
				continue;
			if (!first)
				ADDL(&v, j, ",");
			adds(&v, j, names[i]);
			first = 0;
		}
	}
	ADDL(&v, j, "],\"obligations\":[");
	first = 1;
	if (d->in[GRACE_DIN_GOVERNANCE].used &&
	    v.st[GRACE_DIN_GOVERNANCE].obligations.kind == GRACE_J_ARRAY)
		add_array_inner(&v, j, &v.st[GRACE_DIN_GOVERNANCE].obligations,
		    &first);
	add_travelling(&v, j, r, 0, &first);
	ADDL(&v, j, "],\"advice\":[");
	first = 1;
	add_travelling(&v, j, r, 1, &first);
	ADDL(&v, j, "]}");

	if (explain) {
		ADDL(&v, explain, "  algorithm ");
		adds(&v, explain, grace_dalgo_name(d->algo));
		if (best.set) {
			ADDL(&v, explain, ": decided by ");
			if (best.rule) {
				ADDL(&v, explain, "rule ");
				adds(&v, explain, best.rule->id);
				ADDL(&v, explain, " on ");
			}
			adds(&v, explain, grace_dinput_name(best.input));
			if (!best.rule || opinion_verdict(&d->in[best.input],
			    v.st[best.input].op) == (int)best.verdict) {
				ADDL(&v, explain, " (");
				adds(&v, explain, grace_opinion_name(
				    v.st[best.input].op));
				ADDL(&v, explain, ")");
			}
			ADDL(&v, explain, "\n");
		} else {
			adds(&v, explain, ": no input or rule decides: "
			    "the weighted score does\n");
		}
		ADDL(&v, explain, "  verdict ");
		adds(&v, explain, grace_verdict_name(r->verdict));
		ADDL(&v, explain, ", confidence ");
		addnum(&v, explain, r->confidence);
		if (r->by_weights && has_score) {
			ADDL(&v, explain, " = coverage ");
			addnum(&v, explain, wpresent / d->total_weight);
			ADDL(&v, explain, " * (1 - 2 * deviation ");
			addnum(&v, explain, dev);
			ADDL(&v, explain, ")");
		}
		ADDL(&v, explain, "\n");
	}
	if (v.oom) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
grace_decision_free(struct grace_decision *r)
{
	grace_buf_free(&r->json);
	grace_buf_free(&r->tmp_);
	grace_buf_free(&r->det_);
	free(r->travel_);
	r->travel_ = NULL;
	r->ntravel_ = r->captravel_ = 0;
}
