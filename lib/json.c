/* json.c - strict JSON validation and top-level member scanning. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json.h"
#include "jwalk.h"

/* 1 for bytes that may appear in a string without further thought. */
static const unsigned char plain[256] = {
#define R4(x) x, x, x, x
#define R16(x) R4(x), R4(x), R4(x), R4(x)
	R16(0), R16(0),                         /* 0x00-0x1f */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20-0x2f: '"' */
	R16(1), R16(1),                         /* 0x30-0x4f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50-0x5f: '\\' */
	R16(1), R16(1),                         /* 0x60-0x7f */
	R16(0), R16(0), R16(0), R16(0),
	R16(0), R16(0), R16(0), R16(0),         /* 0x80-0xff */
#undef R4
#undef R16
};


struct scan {
	const unsigned char *base, *s, *end;
	const char *name;
	unsigned long line;
	struct grace_err *e;
	int ref;                    /* the reference: no shortcut */
	struct grace_jdeep *deep;   /* members at any depth, or NULL */
	const struct grace_jkeys *jk; /* the top level's names, compiled */
	struct grace_jkeys *pr;     /* its member predictions, or NULL */
};

static int
fail(struct scan *c, const unsigned char *at, const char *what)
{
	if (at < c->end && *at == '\0')
		what = "NUL byte";
	grace_err_set(c->e, c->name, c->line, (unsigned long)(at - c->base) + 1,
	    "%s", what);
	if (c->e)
		c->e->code = GRACE_EXIT_INPUT;
	return -1;
}

static int
unexpected(struct scan *c)
{
	char msg[64];

	if (c->s >= c->end)
		return fail(c, c->s, "not JSON: unexpected end of line");
	if (*c->s >= 0x80)
		return fail(c, c->s, grace_utf8_seqlen(c->s,
		    (size_t)(c->end - c->s)) ? "not JSON: unexpected character"
		    : "invalid UTF-8");
	if (*c->s < 0x20 || *c->s == 0x7f)
		return fail(c, c->s, "not JSON: unexpected control character");
	snprintf(msg, sizeof msg, "not JSON: unexpected '%c'", *c->s);
	return fail(c, c->s, msg);
}

static inline void
ws(struct scan *c)
{
	/* compact JSON: no white space at all, the common case */
	if (c->s < c->end && *c->s > ' ')
		return;
	while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' ||
	    *c->s == '\r' || *c->s == '\n'))
		c->s++;
}

static int
hex4(const unsigned char *p)
{
	int i, v = 0;

	for (i = 0; i < 4; i++) {
		int d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			d = (p[i] | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* The offset in s[0..16) of the first byte that string() must look at
 * ('"', '\\', a control character, non-ASCII), or 16 when there is none.
 * The caller guarantees 16 readable bytes. */
/* The 8 bytes at s as a word whose low byte is s[0], whatever the
 * machine's byte order (so the lowest flagged byte is the first). */
static inline uint64_t
load8(const unsigned char *s)
{
	uint64_t v;

	memcpy(&v, s, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Bit 7 of each byte of v that is '"', '\\', below 0x20 or above 0x7f;
 * exact for the lowest such byte (a borrow only runs upwards). */
static inline uint64_t
special8(uint64_t v)
{
	uint64_t q = v ^ 0x2222222222222222ull;
	uint64_t b = v ^ 0x5c5c5c5c5c5c5c5cull;

	return (((q - 0x0101010101010101ull) & ~q) |
	    ((b - 0x0101010101010101ull) & ~b) |
	    (v - 0x2020202020202020ull) | v) & 0x8080808080808080ull;
}

#if defined(__SSE2__)
static inline unsigned
special16(const unsigned char *s)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	/* signed: below 0x20 is 0x00-0x1f and 0x80-0xff, both wanted */
	__m128i m = _mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
	unsigned bits = (unsigned)_mm_movemask_epi8(m);

	return bits ? (unsigned)__builtin_ctz(bits) : 16;
}
#else
static inline unsigned
special16(const unsigned char *s)
{
	uint64_t v, m;

	v = load8(s);
	if ((m = special8(v)))
		return (unsigned)__builtin_ctzll(m) >> 3;
	v = load8(s + 8);
	if ((m = special8(v)))
		return 8 + ((unsigned)__builtin_ctzll(m) >> 3);
	return 16;
}
#endif

/* The first byte at or after s (before end) that string() must look at,
 * or end. c->ref: byte by byte, the reference the block scan is tested
 * against (tests/unit/test_json.c, tests/fuzz/fuzz_json.c). */
static inline const unsigned char *
skip_plain(const struct scan *c, const unsigned char *s,
    const unsigned char *end)
{
	if (!c->ref) {
		while (end - s >= 16) {
			unsigned k = special16(s);

			s += k;
			if (k < 16)
				return s;
		}
	}
	while (s < end && plain[*s])
		s++;
	return s;
}

/* c->s at the opening quote; leaves c->s after the closing quote.
 * *escaped is set when the string holds a backslash. */
static int
string(struct scan *c, int *escaped)
{
	const unsigned char *s = c->s + 1, *end = c->end;

	for (;;) {
		s = skip_plain(c, s, end);
		if (s >= end) {
			c->s = s;
			return fail(c, s, "not JSON: unterminated string");
		}
		if (*s == '"')
			break;
		if (*s == '\\') {
			*escaped = 1;
			if (s + 1 >= end) {
				c->s = s + 1;
				return fail(c, s + 1,
				    "not JSON: unterminated string");
			}
			switch (s[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				s += 2;
				break;
			case 'u': {
				int u;

				if (end - s < 6 || (u = hex4(s + 2)) < 0)
					return fail(c, s, "not JSON: bad \\u escape");
				if (u >= 0xD800 && u <= 0xDBFF) {
					int l;

					if (end - s < 12 || s[6] != '\\' ||
					    s[7] != 'u' || (l = hex4(s + 8)) < 0 ||
					    l < 0xDC00 || l > 0xDFFF)
						return fail(c, s, "not JSON: lone surrogate in \\u escape");
					s += 12;
				} else if (u >= 0xDC00 && u <= 0xDFFF) {
					return fail(c, s, "not JSON: lone surrogate in \\u escape");
				} else {
					s += 6;
				}
				break;
			}
			default:
				return fail(c, s, "not JSON: bad escape in string");
			}
			continue;
		}
		if (*s >= 0x80) {
			size_t l = grace_utf8_seqlen(s, (size_t)(end - s));

			if (!l)
				return fail(c, s, "invalid UTF-8");
			s += l;
			continue;
		}
		return fail(c, s, "not JSON: control character in string");
	}
	c->s = s + 1;
	return 0;
}

/* string(), with a short string's common case inline: its closing
 * quote within 16 bytes, nothing to look at before it. */
static inline int
str(struct scan *c, int *escaped)
{
	const unsigned char *s = c->s + 1;

	if (!c->ref && c->end - s >= 16) {
#if defined(__SSE2__)
		/* is the first byte to look at a quote? Told by the masks,
		 * not by loading it again */
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
		__m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
		unsigned bq = (unsigned)_mm_movemask_epi8(q);
		unsigned bm = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(q, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

		if (bm & bq & (0u - bm)) {
			c->s = s + __builtin_ctz(bm) + 1;
			return 0;
		}
#else
		unsigned k = special16(s);

		if (k < 16 && s[k] == '"') {
			c->s = s + k + 1;
			return 0;
		}
#endif
	} else if (!c->ref && c->end - s >= 8) {
		/* near the end of the line: one word */
		uint64_t m;

		if ((m = special8(load8(s)))) {
			unsigned k = (unsigned)__builtin_ctzll(m) >> 3;

			if (s[k] == '"') {
				c->s = s + k + 1;
				return 0;
			}
		}
	}
	return string(c, escaped);
}

/* The offset in s[0..16) of a closing quote with nothing to look at
 * before it, or -1 (16 bytes readable). */
static inline int
quote16(const unsigned char *s)
{
#if defined(__SSE2__)
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
	unsigned bq = (unsigned)_mm_movemask_epi8(q);
	unsigned bm = (unsigned)_mm_movemask_epi8(_mm_or_si128(
	    _mm_or_si128(q, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

	return bm & bq & (0u - bm) ? __builtin_ctz(bm) : -1;
#else
	unsigned k = special16(s);

	return k < 16 && s[k] == '"' ? (int)k : -1;
#endif
}

static int
digits(struct scan *c)
{
	const unsigned char *start = c->s;

	while (c->s < c->end && *c->s >= '0' && *c->s <= '9')
		c->s++;
	return c->s > start ? 0 : unexpected(c);
}

static int
number(struct scan *c)
{
	if (*c->s == '-')
		c->s++;
	if (c->s < c->end && *c->s == '0')
		c->s++;
	else if (digits(c) < 0)
		return -1;
	if (c->s < c->end && *c->s == '.') {
		c->s++;
		if (digits(c) < 0)
			return -1;
	}
	if (c->s < c->end && (*c->s == 'e' || *c->s == 'E')) {
		c->s++;
		if (c->s < c->end && (*c->s == '+' || *c->s == '-'))
			c->s++;
		if (digits(c) < 0)
			return -1;
	}
	return 0;
}

static int
literal(struct scan *c, const char *word, size_t n)
{
	if ((size_t)(c->end - c->s) < n || memcmp(c->s, word, n) != 0)
		return unexpected(c);
	c->s += n;
	return 0;
}

static int value(struct scan *c, int depth, enum grace_jkind *kind);

/* Does the key literal k[0..klen) (quotes included) name want (wl bytes)? */
static int
key_matches_esc(const unsigned char *k, size_t klen, const char *want,
    size_t wl)
{
	struct grace_buf b = {0};
	int r;

	if (grace_json_unescape(&b, (const char *)k, klen) < 0)
		return 0;
	r = wl == b.len && memcmp(b.p, want, b.len) == 0;
	grace_buf_free(&b);
	return r;
}

static inline int
key_matches(const unsigned char *k, size_t klen, int escaped, const char *want,
    size_t wl)
{
	if (!escaped) {
		size_t i;

		/* member names are short: compared in line, not by a call */
		if (klen != wl + 2)
			return 0;
		for (i = 0; i < wl; i++)
			if (k[i + 1] != (unsigned char)want[i])
				return 0;
		return 1;
	}
	return key_matches_esc(k, klen, want, wl);
}

/* Forget the spans found under node (a member that repeats, or that
 * is no longer an object). */
static void
forget(struct grace_jdeep *d, const struct grace_jtrie *node)
{
	size_t k;

	for (k = 0; k < node->nkids; k++) {
		d->spans[node->kids[k].id].kind = GRACE_J_NONE;
		forget(d, &node->kids[k]);
	}
}

uint64_t
grace_json_word(const char *s, size_t n)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n && i < 8; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	return w;
}

/* The word of the member name k[0..klen) (quotes included, no escape):
 * its first 8 bytes read at once when the line has room. */
static inline uint64_t
key_word(const struct scan *c, const unsigned char *k, size_t klen)
{
	size_t n = klen - 2;
	uint64_t w;

	if (c->end - (k + 1) < 8)
		return grace_json_word((const char *)k + 1, n);
	memcpy(&w, k + 1, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return n >= 8 ? w : w & ((1ull << (8 * n)) - 1);
}

/* key_matches() for an unescaped name against the C string want, with
 * no strlen: a shorter want stops at its NUL, which a validated name
 * never holds. */
static inline int
key_is_cstr(const unsigned char *k, size_t klen, const char *want)
{
	size_t i, n = klen - 2;

	for (i = 0; i < n; i++)
		if (k[i + 1] != (unsigned char)want[i])
			return 0;
	return want[n] == '\0';
}

/* key_matches() for an unescaped name whose word is kw, against want
 * (wl bytes) whose word is ww: one compare settles names up to 8 bytes. */
static inline int
key_is(const unsigned char *k, size_t klen, uint64_t kw, const char *want,
    size_t wl, uint64_t ww)
{
	if (klen != wl + 2 || kw != ww)
		return 0;
	return wl <= 8 || memcmp(k + 9, want + 8, wl - 8) == 0;
}

/* Which of keys[] and of node's kids the member name k[0..klen)
 * (quotes included) is: *ki (nkeys when none) and *kid (NULL); a kid
 * met again forgets what its earlier value held below it. */
static inline __attribute__((always_inline)) void
which_member(struct scan *c, const unsigned char *k, size_t kl, int escaped,
    const char *const *keys, size_t nkeys, const struct grace_jtrie *node,
    size_t *ki, const struct grace_jtrie **kid)
{
	uint64_t kw = 0;
	size_t i, j;

	*kid = NULL;
	if (keys && c->jk && !escaped) {
		/* the top level, compiled: keys and the root's kids */
		const struct grace_jkeys *jk = c->jk;
		size_t n = kl - 2;

		kw = key_word(c, k, kl);
		for (j = grace_jkeys_hash(kw, n); jk->slot[j];
		    j = (j + 1) & (2 * GRACE_JKEYS_MAX - 1)) {
			const struct grace_jname *m = &jk->m[jk->slot[j] - 1];

			if (m->len == n && m->w8 == kw && (n <= 8 ||
			    memcmp(k + 9, m->name + 8, n - 8) == 0)) {
				*ki = m->ki;
				*kid = m->kid;
				goto found;
			}
		}
		*ki = nkeys;
		return;
	}
	if (escaped || c->ref) {
		for (i = 0; i < nkeys; i++)
			if (key_matches(k, kl, escaped, keys[i], strlen(keys[i])))
				break;
	} else {
		for (i = 0; i < nkeys; i++)
			if (key_is_cstr(k, kl, keys[i]))
				break;
		if (node)
			kw = key_word(c, k, kl);
	}
	*ki = i;
	if (!node)
		return;
	for (j = 0; j < node->nkids; j++) {
		const struct grace_jtrie *t = &node->kids[j];

		if (escaped || c->ref ? key_matches(k, kl, escaped, t->name,
		    t->len) : key_is(k, kl, kw, t->name, t->len, t->w8)) {
			*kid = t;
			break;
		}
	}
found:
	if (*kid && (*kid)->nkids &&
	    c->deep->spans[(*kid)->id].kind != GRACE_J_NONE)
		forget(c->deep, *kid);
}

static int object(struct scan *c, int depth, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, const struct grace_jtrie *node);

/* The value of a member at c->s (white space skipped): a string, kid's
 * object walked for its members, or anything value() reads; recorded in
 * found[i] and for kid. Returns 0 or -1. */
static inline __attribute__((always_inline)) int
member_value(struct scan *c, int depth, size_t i, size_t nkeys,
    struct grace_jspan *found, const struct grace_jtrie *kid)
{
	const unsigned char *v = c->s;
	enum grace_jkind kind;
	int vesc = 0;

	if (v < c->end && *v == '"' && depth + 1 <= GRACE_JSON_MAXDEPTH) {
		kind = GRACE_J_STRING;
		if (str(c, &vesc) < 0)
			return -1;
	} else if (kid && kid->nkids && v < c->end && *v == '{' &&
	    depth + 1 <= GRACE_JSON_MAXDEPTH) {
		/* what value() does, walking kid's members */
		kind = GRACE_J_OBJECT;
		if (object(c, depth + 1, NULL, 0, NULL, kid) < 0)
			return -1;
	} else if (!c->ref && v < c->end && ((*v >= '0' && *v <= '9') ||
	    *v == '-') && depth + 1 <= GRACE_JSON_MAXDEPTH) {
		/* what value() does with a number, without its switch */
		kind = GRACE_J_NUMBER;
		if (number(c) < 0)
			return -1;
	} else if (value(c, depth + 1, &kind) < 0) {
		return -1;
	}
	if (i < nkeys) {
		found[i].off = (size_t)(v - c->base);
		found[i].len = (size_t)(c->s - v);
		found[i].kind = kind;
	}
	if (kid) {
		struct grace_jspan *sp = &c->deep->spans[kid->id];

		sp->off = (size_t)(v - c->base);
		sp->len = (size_t)(c->s - v);
		sp->kind = kind;
		c->deep->esc[kid->id] = vesc;
		c->deep->arrays |= kind == GRACE_J_ARRAY;
		if (kid->nkids && kind != GRACE_J_OBJECT)
			forget(c->deep, kid);
	}
	return 0;
}

/* The predictions of the level: the top one (top set), or node's; NULL
 * for an object outside the tree. A row taken by another node of the
 * same slot is given to this one, its predictions forgotten. */
static struct grace_jrow *
pred_row(struct scan *c, int top, const struct grace_jtrie *node)
{
	struct grace_jrow *r;

	if (top)
		return &c->pr->rows[0];
	if (!node)
		return NULL;
	r = &c->pr->rows[1 + node->id % (GRACE_JPRED_ROWS - 1)];
	if (!r->used || r->node != node) {
		memset(r, 0, sizeof *r);
		r->node = node;
		r->used = 1;
	}
	return r;
}

/* Predict the member k[0..len) (`"name":`, read as a plain key) and
 * what it named, for the next line: names up to 16 bytes with the
 * colon. */
static inline void
pred_set(struct grace_jpred *pd, const unsigned char *k, size_t len,
    size_t ki, const struct grace_jtrie *kid)
{
	if (len > 16) {
		pd->len = 0;
		return;
	}
	pd->m0 = len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
	pd->m1 = len <= 8 ? 0 : len == 16 ? ~0ull : (1ull << (8 * (len - 8))) - 1;
	/* from a copy: the line may end within 16 bytes of k */
	memset(pd->b, 0, sizeof pd->b);
	memcpy(pd->b, k, len);
	pd->w0 = load8(pd->b);
	pd->w1 = load8(pd->b + 8);
	pd->len = len;
	pd->ki = ki;
	pd->kid = kid;
}

/* c->s at '{'. When keys is set, records top-level members; when node
 * is set, the members of c->deep's tree at this level. */
static int
object(struct scan *c, int depth, const char *const *keys, size_t nkeys,
    struct grace_jspan *found, const struct grace_jtrie *node)
{
	c->s++;
	ws(c);
	if (c->s < c->end && *c->s == '}') {
		c->s++;
		return 0;
	}
	struct grace_jrow *row = c->pr ? pred_row(c, keys || found, node) :
	    NULL;
	size_t pos = 0;

	for (;; pos++) {
		const unsigned char *k = c->s;
		const struct grace_jtrie *kid;
		int escaped = 0, q;
		size_t i;

		/* the name the last line had here, with ':' after it and no
		 * white space before the value: the same bytes were read
		 * as a plain key the way below, so they name the same */
		if (row && pos < GRACE_JPRED_MEMBERS) {
			const struct grace_jpred *pd = &row->p[pos];

			/* two words when the line has room for them, else
			 * (the last member of the line) byte by byte */
			if (pd->len && (c->end - k >= 17 ?
			    ((load8(k) ^ pd->w0) & pd->m0) == 0 &&
			    ((load8(k + 8) ^ pd->w1) & pd->m1) == 0 :
			    (size_t)(c->end - k) > pd->len &&
			    memcmp(k, pd->b, pd->len) == 0) &&
			    k[pd->len] > ' ') {
				i = pd->ki;
				kid = pd->kid;
				if (kid && kid->nkids &&
				    c->deep->spans[kid->id].kind != GRACE_J_NONE)
					forget(c->deep, kid);
				c->s = k + pd->len;
				if (member_value(c, depth, i, nkeys, found,
				    kid) < 0)
					return -1;
				goto sep;
			}
		}
		/* compact JSON's member: a plain key whose quote is within
		 * 16 bytes, then ':' and no white space; anything else is
		 * read below, from the key again (nothing is recorded until
		 * the value is read, the same way) */
		if (!c->ref && c->end - k >= 17 && *k == '"' &&
		    (q = quote16(k + 1)) >= 0 && c->end - k > q + 3 &&
		    k[q + 2] == ':' && k[q + 3] > ' ') {
			which_member(c, k, (size_t)q + 2, 0, keys, nkeys, node,
			    &i, &kid);
			if (row && pos < GRACE_JPRED_MEMBERS)
				pred_set(&row->p[pos], k, (size_t)q + 3, i, kid);
			c->s = k + q + 3;
			if (member_value(c, depth, i, nkeys, found, kid) < 0)
				return -1;
			goto sep;
		}
		if (row && pos < GRACE_JPRED_MEMBERS)
			row->p[pos].len = 0;
		if (c->s >= c->end || *c->s != '"') {
			if (c->s < c->end && *c->s != '\0' && *c->s < 0x80 &&
			    *c->s >= 0x20)
				return fail(c, c->s, "not JSON: expected a string key");
			return unexpected(c);
		}
		if (str(c, &escaped) < 0)
			return -1;
		which_member(c, k, (size_t)(c->s - k), escaped, keys, nkeys,
		    node, &i, &kid);
		/* a plain key, ':' right after it and no white space before
		 * the value: predicted for the next line as above (the last
		 * member of a line is read this way) */
		if (row && pos < GRACE_JPRED_MEMBERS && !escaped &&
		    c->end - c->s >= 2 && c->s[0] == ':' && c->s[1] > ' ')
			pred_set(&row->p[pos], k, (size_t)(c->s + 1 - k), i, kid);
		/* ws() first only when the next byte is not the one
		 * expected: it would not move past that one either */
		if (c->s >= c->end || *c->s != ':') {
			ws(c);
			if (c->s >= c->end || *c->s != ':')
				return c->s < c->end && *c->s >= 0x20 &&
				    *c->s < 0x80 ? fail(c, c->s,
				    "not JSON: expected ':' after key") :
				    unexpected(c);
		}
		c->s++;
		ws(c);
		if (member_value(c, depth, i, nkeys, found, kid) < 0)
			return -1;
sep:
		if (c->s < c->end && *c->s != ',' && *c->s != '}')
			ws(c);
		if (c->s < c->end && *c->s == ',') {
			c->s++;
			ws(c);
			continue;
		}
		if (c->s < c->end && *c->s == '}') {
			c->s++;
			return 0;
		}
		if (c->s < c->end && *c->s >= 0x20 && *c->s < 0x80)
			return fail(c, c->s, "not JSON: expected ',' or '}'");
		return unexpected(c);
	}
}

static int
array(struct scan *c, int depth)
{
	enum grace_jkind kind;

	c->s++;
	ws(c);
	if (c->s < c->end && *c->s == ']') {
		c->s++;
		return 0;
	}
	for (;;) {
		if (value(c, depth + 1, &kind) < 0)
			return -1;
		ws(c);
		if (c->s < c->end && *c->s == ',') {
			c->s++;
			ws(c);
			continue;
		}
		if (c->s < c->end && *c->s == ']') {
			c->s++;
			return 0;
		}
		if (c->s < c->end && *c->s >= 0x20 && *c->s < 0x80)
			return fail(c, c->s, "not JSON: expected ',' or ']'");
		return unexpected(c);
	}
}

static int
value(struct scan *c, int depth, enum grace_jkind *kind)
{
	int escaped = 0;

	if (depth > GRACE_JSON_MAXDEPTH)
		return fail(c, c->s, "nesting deeper than 512 levels");
	if (c->s >= c->end)
		return unexpected(c);
	switch (*c->s) {
	case '{':
		*kind = GRACE_J_OBJECT;
		return object(c, depth, NULL, 0, NULL, NULL);
	case '[':
		*kind = GRACE_J_ARRAY;
		return array(c, depth);
	case '"':
		*kind = GRACE_J_STRING;
		return str(c, &escaped);
	case 't':
		*kind = GRACE_J_TRUE;
		return literal(c, "true", 4);
	case 'f':
		*kind = GRACE_J_FALSE;
		return literal(c, "false", 5);
	case 'n':
		*kind = GRACE_J_NULL;
		return literal(c, "null", 4);
	default:
		if (*c->s == '-' || (*c->s >= '0' && *c->s <= '9')) {
			*kind = GRACE_J_NUMBER;
			return number(c);
		}
		return unexpected(c);
	}
}

const char *
grace_json_kind_name(enum grace_jkind k)
{
	switch (k) {
	case GRACE_J_OBJECT: return "an object";
	case GRACE_J_ARRAY: return "an array";
	case GRACE_J_STRING: return "a string";
	case GRACE_J_NUMBER: return "a number";
	case GRACE_J_TRUE: return "true";
	case GRACE_J_FALSE: return "false";
	case GRACE_J_NULL: return "null";
	default: return "nothing";
	}
}

static int
scan_doc(const char *p, size_t n, const char *const *keys, size_t nkeys,
    struct grace_jspan *found, struct grace_jdeep *deep, const char *name,
    unsigned long line, struct grace_err *e, int ref,
    struct grace_jkeys *jk)
{
	struct scan c;
	size_t i;

	c.ref = ref;
	c.deep = deep;
	c.jk = jk;
	c.pr = jk;
	if (deep) {
		for (i = 0; i < deep->nspans; i++)
			deep->spans[i].kind = GRACE_J_NONE;
		deep->arrays = 0;
	}
	c.base = c.s = (const unsigned char *)p;
	c.end = c.base + n;
	c.name = name;
	c.line = line;
	c.e = e;
	for (i = 0; i < nkeys; i++)
		found[i].kind = GRACE_J_NONE, found[i].off = found[i].len = 0;
	ws(&c);
	if (c.s < c.end && *c.s == '{') {
		if (object(&c, 1, keys, nkeys, found, deep ? deep->root :
		    NULL) < 0)
			return -1;
	} else {
		const unsigned char *start = c.s;
		enum grace_jkind kind;
		char msg[80];

		if (value(&c, 1, &kind) < 0)
			return -1;
		snprintf(msg, sizeof msg, "expected a JSON object, got %s",
		    grace_json_kind_name(kind));
		return fail(&c, start, msg);
	}
	ws(&c);
	if (c.s < c.end)
		return fail(&c, c.s, "not JSON: unexpected data after the object");
	return 0;
}

int
grace_json_scan(const char *p, size_t n, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, const char *name,
    unsigned long line, struct grace_err *e)
{
	return scan_doc(p, n, keys, nkeys, found, NULL, name, line, e, 0, NULL);
}

int
grace_json_scan_deep(const char *p, size_t n, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, struct grace_jdeep *deep,
    const char *name, unsigned long line, struct grace_err *e)
{
	return scan_doc(p, n, keys, nkeys, found, deep, name, line, e, 0, NULL);
}

int
grace_json_scan_ref(const char *p, size_t n, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, const char *name,
    unsigned long line, struct grace_err *e)
{
	return scan_doc(p, n, keys, nkeys, found, NULL, name, line, e, 1, NULL);
}

void
grace_jkeys_init(struct grace_jkeys *k, const char *const *keys,
    size_t nkeys, const struct grace_jtrie *root)
{
	size_t i, j;

	memset(k, 0, sizeof *k);
	k->keys = keys;
	k->nkeys = nkeys;
	k->root = root;
	/* keys first, each name once: the first of a name wins, as in the
	 * general way; then the root's kids, joined to a key of their
	 * name or added */
	for (i = 0; i < nkeys; i++) {
		size_t len = strlen(keys[i]);

		for (j = 0; j < k->n; j++)
			if (k->m[j].len == len &&
			    memcmp(k->m[j].name, keys[i], len) == 0)
				break;
		if (j < k->n)
			continue;
		if (k->n == GRACE_JKEYS_MAX)
			goto none;
		k->m[k->n].name = keys[i];
		k->m[k->n].len = len;
		k->m[k->n].w8 = grace_json_word(keys[i], len);
		k->m[k->n].ki = i;
		k->m[k->n].kid = NULL;
		k->n++;
	}
	for (i = 0; root && i < root->nkids; i++) {
		const struct grace_jtrie *t = &root->kids[i];

		for (j = 0; j < k->n; j++)
			if (k->m[j].len == t->len &&
			    memcmp(k->m[j].name, t->name, t->len) == 0)
				break;
		if (j < k->n) {
			if (!k->m[j].kid)
				k->m[j].kid = t;
			continue;
		}
		if (k->n == GRACE_JKEYS_MAX)
			goto none;
		k->m[k->n].name = t->name;
		k->m[k->n].len = t->len;
		k->m[k->n].w8 = t->w8;
		k->m[k->n].ki = nkeys;
		k->m[k->n].kid = t;
		k->n++;
	}
	for (i = 0; i < k->n; i++) {
		for (j = grace_jkeys_hash(k->m[i].w8, k->m[i].len); k->slot[j];
		    j = (j + 1) & (2 * GRACE_JKEYS_MAX - 1))
			;
		k->slot[j] = (unsigned char)(i + 1);
	}
	k->ok = 1;
	return;
none:
	k->n = 0;
	k->ok = 0;
}

int
grace_json_scan_keys(const char *p, size_t n, struct grace_jkeys *k,
    struct grace_jspan *found, struct grace_jdeep *deep, const char *name,
    unsigned long line, struct grace_err *e)
{
	return scan_doc(p, n, k->keys, k->nkeys, found, deep, name, line, e, 0,
	    k->ok && (deep ? deep->root : NULL) == k->root ? k : NULL);
}

int
grace_json_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* Offset of the last '}' of the object p[off..off+len). */
static size_t
closing_brace(const char *p, size_t off, size_t len)
{
	size_t i = off + len;

	while (i > off && p[i - 1] != '}')
		i--;
	return i - 1;
}

/* 1 if the object p[off..off+len) has no members. */
static int
empty_object(const char *p, size_t off, size_t len)
{
	return grace_json_blank(p + off + 1, len - 2);
}

/* In the valid object p[off..off+len), the span of member key's value
 * (the last if repeated); kind GRACE_J_NONE when absent. Keys with
 * escapes are compared decoded. */
static void
vfind_member(const char *p, size_t off, size_t len, const char *key,
    struct grace_jspan *f)
{
	size_t i = grace_jw_ws(p, off + 1, off + len), end = off + len;
	size_t kl = strlen(key);

	f->kind = GRACE_J_NONE;
	while (i < end && p[i] == '"') {
		size_t k = i, v, ve, ke;
		int match, esc = 0;

		ke = grace_jw_string(p, i, end, &esc);
		if (esc)
			match = key_matches((const unsigned char *)p + k,
			    ke - k, 1, key, kl);
		else
			match = ke - k == kl + 2 && memcmp(p + k + 1, key, kl) == 0;
		i = grace_jw_ws(p, ke, end) + 1; /* past ':' */
		v = grace_jw_ws(p, i, end);
		ve = grace_jw_value(p, v, end);
		if (match) {
			f->off = v - off;
			f->len = ve - v;
			f->kind = p[v] == '{' ? GRACE_J_OBJECT : GRACE_J_ARRAY;
		}
		i = grace_jw_ws(p, ve, end);
		if (i < end && p[i] == ',')
			i = grace_jw_ws(p, i + 1, end);
		else
			break;
	}
}

/* Whether q points into b's memory. */
static int
within(const struct grace_buf *b, const void *q)
{
	uintptr_t a = (uintptr_t)q, lo = (uintptr_t)b->p;

	return b->cap && a >= lo && a < lo + b->cap;
}

int
grace_json_splice_grace(struct grace_buf *out, const char *p, size_t n,
    const struct grace_jspan *g, const char *key, const char *val,
    size_t vlen)
{
	size_t vat;

	return grace_json_splice_grace_at(out, p, n, g, key, val, vlen, &vat);
}

int
grace_json_splice_grace_at(struct grace_buf *out, const char *p, size_t n,
    const struct grace_jspan *g, const char *key, const char *val,
    size_t vlen, size_t *vat)
{
	size_t mark = out->len, at;
	int r = 0;

	if (g->kind == GRACE_J_NONE) {
		/* p is an object: find its last '}'. */
		size_t end = n;

		while (end > 0 && p[end - 1] != '}')
			end--;
		size_t b = 0, kl = strlen(key), need;
		int comma;
		char *w;

		at = end - 1;
		while (p[b] != '{')
			b++;
		comma = !empty_object(p, b, end - b);
		if (within(out, p) || within(out, val)) {
			/* a source inside out: appended piece by piece, each
			 * read from where it is after a realloc */
			r |= grace_buf_add(out, p, at);
			if (comma)
				r |= grace_buf_add(out, ",", 1);
			r |= grace_buf_add(out, "\"grace\":{\"", 10);
			r |= grace_buf_add(out, key, kl);
			r |= grace_buf_add(out, "\":", 2);
			*vat = out->len;
			r |= grace_buf_add(out, val, vlen);
			r |= grace_buf_add(out, "}", 1);
			r |= grace_buf_add(out, p + at, n - at);
			goto done;
		}
		/* the common case of every filter: one reservation, then
		 * copies */
		need = at + (size_t)comma + 10 + kl + 2 + vlen + 1 + (n - at);
		if (need < at || grace_buf_reserve(out, need) < 0) {
			errno = ENOMEM;
			return -1;
		}
		w = out->p + out->len;
		memcpy(w, p, at);
		w += at;
		if (comma)
			*w++ = ',';
		memcpy(w, "\"grace\":{\"", 10);
		w += 10;
		memcpy(w, key, kl);
		w += kl;
		memcpy(w, "\":", 2);
		w += 2;
		*vat = (size_t)(w - out->p);
		memcpy(w, val, vlen);
		w += vlen;
		*w++ = '}';
		memcpy(w, p + at, n - at);
		w += n - at;
		out->len = (size_t)(w - out->p);
		out->p[out->len] = '\0';
	} else if (g->kind == GRACE_J_OBJECT) {
		struct grace_jspan f;

		/* Already valid: walk it without checking again (the
		 * value's kind is not needed, only that it is there). */
		vfind_member(p, g->off, g->len, key, &f);
		if (f.kind != GRACE_J_NONE) {
			size_t voff = g->off + f.off;

			r |= grace_buf_add(out, p, voff);
			*vat = out->len;
			r |= grace_buf_add(out, val, vlen);
			r |= grace_buf_add(out, p + voff + f.len,
			    n - voff - f.len);
		} else {
			at = closing_brace(p, g->off, g->len);
			r |= grace_buf_add(out, p, at);
			if (!empty_object(p, g->off, g->len))
				r |= grace_buf_add(out, ",", 1);
			r |= grace_buf_add(out, "\"", 1);
			r |= grace_buf_adds(out, key);
			r |= grace_buf_add(out, "\":", 2);
			*vat = out->len;
			r |= grace_buf_add(out, val, vlen);
			r |= grace_buf_add(out, p + at, n - at);
		}
	} else {
		errno = EINVAL;
		return -1;
	}
done:
	if (r) {
		out->len = mark;
		if (out->cap)
			out->p[mark] = '\0';
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void
put_utf8(struct grace_buf *out, unsigned cp, int *r)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	*r |= grace_buf_add(out, u, n);
}

int
grace_json_unescape(struct grace_buf *out, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p + 1;
	const unsigned char *end = (const unsigned char *)p + n - 1;
	int r = grace_buf_reserve(out, n);

	while (!r && s < end) {
		const unsigned char *run = s;

		while (s < end && *s != '\\')
			s++;
		r |= grace_buf_add(out, run, (size_t)(s - run));
		if (s >= end)
			break;
		switch (s[1]) {
		case 'b': r |= grace_buf_add(out, "\b", 1); s += 2; break;
		case 'f': r |= grace_buf_add(out, "\f", 1); s += 2; break;
		case 'n': r |= grace_buf_add(out, "\n", 1); s += 2; break;
		case 'r': r |= grace_buf_add(out, "\r", 1); s += 2; break;
		case 't': r |= grace_buf_add(out, "\t", 1); s += 2; break;
		case 'u': {
			unsigned cp = (unsigned)hex4(s + 2);

			s += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo = (unsigned)hex4(s + 2);

				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			put_utf8(out, cp, &r);
			break;
		}
		default: r |= grace_buf_add(out, s + 1, 1); s += 2; break;
		}
	}
	return r ? -1 : 0;
}
