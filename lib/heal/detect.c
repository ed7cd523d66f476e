/* detect.c - the detectors at run time (man/grace-detectors.5): which
 * detectors an event reaches, state per (detector, component), firing
 * and resolving, the absence/rate/flapping timers and the grace.heal
 * annotation.
 *
 * The hot path builds no jv (only a jq `when` needs one) and allocates
 * nothing once a (detector, component) pair has been seen: member paths
 * are walked over the raw bytes and memoised per event, candidates come
 * from the exact-type index, and an entry's state has a fixed size (a
 * ring of a size the detector fixes, allocated with the entry). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect_int.h"
#include "glob.h"
#include "jpath.h"
#include "jwalk.h"
#include "log/log.h"
#include "timeutil.h"

#define NONE UINT32_MAX
/* Append a string literal (its length known at compile time). */
#define ADDL(b, lit) grace_buf_add((b), (lit), sizeof(lit) - 1)

/* ------------------------------------------------------------------ */
/* The arithmetic. */

void
hd_ewma_update(double *mean, double *var, uint64_t n, double alpha, double x)
{
	double diff, incr;

	if (n == 0) {
		*mean = x;
		*var = 0;
		return;
	}
	diff = x - *mean;
	incr = alpha * diff;
	*mean += incr;
	*var = (1 - alpha) * (*var + diff * incr);
}

double
hd_ewma_z(double mean, double var, double x)
{
	if (!(var > 0))
		return x == mean ? 0 : x > mean ? INFINITY : -INFINITY;
	return (x - mean) / sqrt(var);
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
hd_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, dcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
hd_mad_z(const double *v, size_t n, double x, double *w, double *med,
    double *scale)
{
	double m, mad, sum = 0;
	size_t i;

	memcpy(w, v, n * sizeof *w);
	m = hd_median(w, n);
	for (i = 0; i < n; i++) {
		w[i] = fabs(v[i] - m);
		sum += w[i];
	}
	mad = hd_median(w, n);
	*med = m;
	*scale = mad > 0 ? 1.4826 * mad : 1.2533 * (sum / (double)n);
	if (!(*scale > 0))
		return x == m ? 0 : x > m ? INFINITY : -INFINITY;
	return (x - m) / *scale;
}

/* memcmp(a, b, n) == 0, short names compared in line rather than by a
 * call (component names, types and matcher values are short). */
static inline int
same_bytes(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t u, v, s, t;
	uint32_t h, k, h2, k2;

	if (n > 16)
		return memcmp(a, b, n) == 0;
	/* two loads from each end, overlapping: every byte compared once
	 * or twice, none read outside [0, n) */
	if (n >= 8) {
		memcpy(&u, x, 8);
		memcpy(&v, y, 8);
		memcpy(&s, x + n - 8, 8);
		memcpy(&t, y + n - 8, 8);
		return ((u ^ v) | (s ^ t)) == 0;
	}
	if (n >= 4) {
		memcpy(&h, x, 4);
		memcpy(&k, y, 4);
		memcpy(&h2, x + n - 4, 4);
		memcpy(&k2, y + n - 4, 4);
		return ((h ^ k) | (h2 ^ k2)) == 0;
	}
	return n == 0 || (x[0] == y[0] && x[n / 2] == y[n / 2] &&
	    x[n - 1] == y[n - 1]);
}

/* ------------------------------------------------------------------ */
/* Components, entries, the timer heap. */

static int
grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t nc = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (!(np = realloc(*p, nc * sz)))
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

static int
rehash_comp(struct grace_detect *s)
{
	size_t nc = s->ccap ? s->ccap * 2 : 1024, i, k;
	uint32_t *t = calloc(nc, sizeof *t);

	if (!t)
		return -1;
	for (i = 0; i < s->ncomp; i++) {
		for (k = s->comp[i].hash & (nc - 1); t[k]; k = (k + 1) & (nc - 1))
			;
		t[k] = (uint32_t)i + 1;
	}
	free(s->ctab);
	s->ctab = t;
	s->ccap = nc;
	return 0;
}

/* The component c[0..n), interned; NONE when out of memory. */
uint32_t
hd_comp_get(struct grace_detect *s, const char *c, size_t n)
{
	uint64_t h;
	struct hd_comp *x;
	size_t k;

	/* a stream tells of one component several times in a row */
	if (s->last_comp < s->ncomp) {
		x = &s->comp[s->last_comp];
		if (x->len == n && same_bytes(x->name, c, n))
			return s->last_comp;
	}
	h = hd_hash(c, n, 7);

	if (s->ccap) {
		for (k = h & (s->ccap - 1); s->ctab[k]; k = (k + 1) &
		    (s->ccap - 1)) {
			x = &s->comp[s->ctab[k] - 1];
			if (x->hash == h && x->len == n &&
			    same_bytes(x->name, c, n))
				return s->last_comp = s->ctab[k] - 1;
		}
	}
	if (s->ncomp >= NONE - 1 || ((s->ncomp + 1) * 2 > s->ccap &&
	    rehash_comp(s) < 0))
		return NONE;
	if (s->ncomp == s->capcomp) {
		struct hd_comp *old = s->comp;

		if (grow((void **)&s->comp, &s->capcomp, s->ncomp + 1,
		    sizeof *s->comp))
			return NONE;
		/* names kept inline moved with their records */
		for (k = 0; old != s->comp && k < s->ncomp; k++)
			if (s->comp[k].len < sizeof s->comp[k].inl)
				s->comp[k].name = s->comp[k].inl;
	}
	x = &s->comp[s->ncomp];
	x->name = n < sizeof x->inl ? x->inl : malloc(n + 1);
	if (!x->name)
		return NONE;
	memcpy(x->name, c, n);
	x->name[n] = 0;
	x->len = n;
	x->hash = h;
	x->open_head = NONE;
	x->nopen = 0;
	x->ents = NULL;
	x->nents = x->capents = 0;
	x->plain = 1;
	for (k = 0; k < n; k++)
		if ((unsigned char)c[k] < 0x20 || (unsigned char)c[k] >= 0x80 ||
		    c[k] == '"' || c[k] == '\\')
			x->plain = 0;
	for (k = h & (s->ccap - 1); s->ctab[k]; k = (k + 1) & (s->ccap - 1))
		;
	s->ctab[k] = (uint32_t)s->ncomp + 1;
	return s->last_comp = (uint32_t)s->ncomp++;
}

/* The entry of (det, comp), made when new; -1 when out of memory. */
long
hd_entry_get(struct grace_detect *s, uint32_t det, uint32_t comp)
{
	const struct hd_det *dt = &s->d->v[det];
	struct hd_comp *cp = &s->comp[comp];
	struct hd_entry *x;
	size_t lo = 0, hi = cp->nents, m;

	/* a component most detectors see has its entries at the index of
	 * their detector (ascending and distinct: a match there is it) */
	if (det < cp->nents && (uint32_t)(cp->ents[det] >> 32) == det)
		return (long)(uint32_t)cp->ents[det];
	/* the first of its entries with a detector >= det */
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if ((uint32_t)(cp->ents[m] >> 32) < det)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo < cp->nents && (uint32_t)(cp->ents[lo] >> 32) == det)
		return (long)(uint32_t)cp->ents[lo];
	if (s->nent >= NONE - 1 ||
	    grow((void **)&s->ent, &s->capent, s->nent + 1, sizeof *s->ent))
		return -1;
	if (cp->nents == cp->capents) {
		uint32_t nc = cp->capents ? cp->capents * 2 : 4;
		uint64_t *np;

		if (nc > s->d->n)
			nc = (uint32_t)s->d->n;
		if (nc <= cp->capents || !(np = realloc(cp->ents,
		    nc * sizeof *np)))
			return -1;
		cp->ents = np;
		cp->capents = nc;
	}
	x = &s->ent[s->nent];
	memset(x, 0, sizeof *x);
	x->det = det;
	x->comp = comp;
	x->next_open = NONE;
	x->heap = -1;
	if (dt->ring && !(x->ring = calloc(dt->ring, 8)))
		return -1;
	memmove(cp->ents + lo + 1, cp->ents + lo, (cp->nents - lo) *
	    sizeof *cp->ents);
	cp->ents[lo] = (uint64_t)det << 32 | (uint32_t)s->nent;
	cp->nents++;
	return (long)s->nent++;
}

/* Heap order: due time, then detector, then entry. */
static int
hless(const struct grace_detect *s, uint32_t a, uint32_t b)
{
	const struct hd_entry *x = &s->ent[a], *y = &s->ent[b];

	if (x->due_ms != y->due_ms)
		return x->due_ms < y->due_ms;
	if (x->det != y->det)
		return x->det < y->det;
	return a < b;
}

static void
hswap(struct grace_detect *s, size_t i, size_t j)
{
	uint32_t t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
	s->ent[s->heap[i]].heap = (int32_t)i;
	s->ent[s->heap[j]].heap = (int32_t)j;
}

static void
hfix(struct grace_detect *s, size_t i)
{
	while (i > 0 && hless(s, s->heap[i], s->heap[(i - 1) / 2])) {
		hswap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && hless(s, s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && hless(s, s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			return;
		hswap(s, i, m);
		i = m;
	}
}

int
hd_heap_room(struct grace_detect *s, size_t more)
{
	return grow((void **)&s->heap, &s->capheap, s->nent + more,
	    sizeof *s->heap);
}

/* The heap has room for every entry (grown with them, in detect_event
 * and restore), so setting a timer never allocates. */
void
hd_timer_set(struct grace_detect *s, uint32_t ei, int64_t due)
{
	struct hd_entry *x = &s->ent[ei];

	x->due_ms = due;
	if (x->heap < 0) {
		x->heap = (int32_t)s->nheap;
		s->heap[s->nheap++] = ei;
	}
	hfix(s, (size_t)x->heap);
}

void
hd_timer_clear(struct grace_detect *s, uint32_t ei)
{
	struct hd_entry *x = &s->ent[ei];
	size_t i = (size_t)x->heap;

	if (x->heap < 0)
		return;
	x->heap = -1;
	if (i != --s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->ent[s->heap[i]].heap = (int32_t)i;
		hfix(s, i);
	}
}

void
hd_open_link(struct grace_detect *s, uint32_t ei)
{
	struct hd_entry *x = &s->ent[ei];
	struct hd_comp *c = &s->comp[x->comp];
	uint32_t *pp = &c->open_head;

	/* kept in detector order, so the annotation's list is stable */
	while (*pp != NONE && s->ent[*pp].det < x->det)
		pp = &s->ent[*pp].next_open;
	x->next_open = *pp;
	*pp = ei;
	c->nopen++;
}

void
hd_open_unlink(struct grace_detect *s, uint32_t ei)
{
	struct hd_entry *x = &s->ent[ei];
	struct hd_comp *c = &s->comp[x->comp];
	uint32_t *pp = &c->open_head;

	while (*pp != NONE && *pp != ei)
		pp = &s->ent[*pp].next_open;
	if (*pp == ei) {
		*pp = x->next_open;
		c->nopen--;
	}
	x->next_open = NONE;
}

/* ------------------------------------------------------------------ */

struct grace_detect *
grace_detect_new(const struct grace_detectors *d)
{
	struct grace_detect *s = calloc(1, sizeof *s);
	size_t i;

	if (!s)
		return NULL;
	s->d = d;
	s->last_comp = NONE;
	/* by node as well (grace_detect_bind()): a path's node has its id */
	s->memo = calloc(d->nnodes + d->npaths + 1, sizeof *s->memo);
	s->memo_esc = calloc(d->nnodes + d->npaths + 1, sizeof *s->memo_esc);
	s->nspan = calloc(d->nnodes + 1, sizeof *s->nspan);
	s->cand = calloc(2 * (d->n + 1), sizeof *s->cand);
	s->sel = calloc(d->n + 1, sizeof *s->sel);
	s->sha = grace_sha256_new();
	s->pair = calloc(d->nnodes + 1, sizeof *s->pair);
	s->orphan = calloc(d->npaths + 1, sizeof *s->orphan);
	if (!s->memo || !s->memo_esc || !s->nspan || !s->cand || !s->sel ||
	    !s->sha || !s->pair || !s->orphan) {
		grace_detect_free(s);
		return NULL;
	}
	for (i = 0; i < d->nnodes; i++)
		if (d->npath[i] >= 0) {
			s->pair[s->npair].node = (uint32_t)i;
			s->pair[s->npair++].path = (uint32_t)d->npath[i];
		}
	for (i = 0; i < d->npaths; i++) {
		size_t k;

		for (k = 0; k < s->npair && s->pair[k].path != i; k++)
			;
		if (k == s->npair)
			s->orphan[s->norphan++] = (uint32_t)i;
	}
	return s;
}

void
grace_detect_free(struct grace_detect *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nent; i++)
		free(s->ent[i].ring);
	for (i = 0; i < s->ncomp; i++) {
		if (s->comp[i].name != s->comp[i].inl)
			free(s->comp[i].name);
		free(s->comp[i].ents);
	}
	free(s->ent);
	free(s->comp);
	free(s->ctab);
	free(s->heap);
	free(s->memo);
	free(s->memo_esc);
	free(s->nspan);
	free(s->pair);
	free(s->orphan);
	free(s->cand);
	free(s->sel);
	grace_buf_free(&s->t1);
	grace_buf_free(&s->t2);
	grace_buf_free(&s->tmp);
	grace_buf_free(&s->ev);
	grace_buf_free(&s->evid);
	grace_sha256_free(s->sha);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Reading the event. */

/* What a sample showed, kept so that the evidence is written only when
 * an anomaly event is made (not on every sample). */
struct evnums {
	const char *vt;             /* the value as written */
	int vl;
	const char *txt, *gt;       /* text value, golden text */
	size_t txtl, gl;
	double base, scale, z, ratio, g, frac;
	unsigned cnt;
	int64_t t0;
	int bad, num;
	struct grace_jspan er;      /* a verification's data.error */
};

struct evc {
	struct grace_detect *s;
	const char *p;
	size_t n;
	int64_t now;
	grace_heal_emit_fn *emit;
	void *arg;
	struct grace_err *e;
	struct grace_buf *explain;
	struct grace_buf *evd;      /* evidence, when ev_ready */
	int ev_ready;
	const struct hd_det *dt;    /* the detector at hand */
	struct evnums nv;
	jv j;                       /* the event as a jv, for `when` */
	int have_j;
	int have_v;                 /* v is span_num() of dt->value */
	double v;
};

#define EXPLAIN(c, ...) do { if ((c)->explain) explain(c, __VA_ARGS__); } \
	while (0)

/* Forget the spans under node (a member that repeats: the last wins
 * whole, as in jq). */
static void
unwalk(struct grace_detect *s, const struct hd_tnode *node)
{
	size_t k;

	for (k = 0; k < node->nkids; k++) {
		const struct hd_tnode *kid = &node->kids[k];

		s->nspan[kid->id].kind = GRACE_J_NONE;
		if (s->d->npath[kid->id] >= 0)
			s->memo[s->d->npath[kid->id]].kind = GRACE_J_NONE;
		unwalk(s, kid);
	}
}

static int
name_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* grace_jw_ws, with compact JSON's common case (no white space) first. */
static inline size_t
ws(const char *p, size_t i, size_t end)
{
	return i < end && (unsigned char)p[i] > ' ' ? i : grace_jw_ws(p, i,
	    end);
}

/* The bytes of a number, true, false or null (valid JSON: what follows
 * one is ',', '}', ']' or white space, none of them in the set). */
static const unsigned char scalar_byte[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1, ['+'] = 1,
	['.'] = 1, ['e'] = 1, ['E'] = 1, ['t'] = 1, ['r'] = 1, ['u'] = 1,
	['f'] = 1, ['a'] = 1, ['l'] = 1, ['s'] = 1, ['n'] = 1,
};

/* The index just past the value at p[i]: grace_jw_value, with the
 * scalars stepped over by a table. */
static inline size_t
value_end(const char *p, size_t i, size_t end)
{
	if (p[i] == '{' || p[i] == '[' || p[i] == '"')
		return grace_jw_value(p, i, end);
	while (i < end && scalar_byte[(unsigned char)p[i]])
		i++;
	return i;
}

/* One pass over the object that starts at p[i] == '{' (ending before
 * end): every member a path of the trie names gets its span, and an
 * object under a name with children is walked as it is met, so no byte
 * is read twice. Returns the index just past the object. */
static size_t
walk(struct grace_detect *s, const char *p, size_t i, size_t end,
    const struct hd_tnode *node)
{
	i++;
	for (;;) {
		size_t ks, ke, vs, ve, k;
		int esc = 0, vesc = 0;
		const struct hd_tnode *kid = NULL;

		i = ws(p, i, end);
		if (i >= end || p[i] != '"')
			break;
		ks = i;
		ke = grace_jw_string(p, i, end, &esc);
		i = ws(p, ke, end) + 1;
		vs = ws(p, i, end);
		for (k = 0; k < node->nkids; k++) {
			const struct hd_tnode *t = &node->kids[k];
			int eq;

			if (!esc) {
				eq = ke - ks - 2 == t->len &&
				    name_eq(p + ks + 1, t->name, t->len);
			} else {
				grace_buf_reset(&s->tmp);
				eq = grace_json_unescape(&s->tmp, p + ks, ke - ks) ==
				    0 && s->tmp.len == t->len &&
				    memcmp(s->tmp.p, t->name, t->len) == 0;
			}
			if (eq) {
				kid = t;
				break;
			}
		}
		if (kid && kid->nkids && p[vs] == '{') {
			if (s->nspan[kid->id].kind != GRACE_J_NONE)
				unwalk(s, kid);
			ve = walk(s, p, vs, end, kid);
		} else if (p[vs] == '"') {
			ve = grace_jw_string(p, vs, end, &vesc);
		} else {
			ve = value_end(p, vs, end);
		}
		if (kid) {
			/* field by field, twice: a struct copy would read back
			 * what was just stored, a store-forwarding stall */
			struct grace_jspan *sp = &s->nspan[kid->id];
			enum grace_jkind kd = grace_jw_kind(p[vs]);

			sp->off = vs;
			sp->len = ve - vs;
			sp->kind = kd;
			if (s->d->npath[kid->id] >= 0) {
				long pa = s->d->npath[kid->id];

				sp = &s->memo[pa];
				sp->off = vs;
				sp->len = ve - vs;
				sp->kind = kd;
				s->memo_esc[pa] = vesc;
			}
			if (kid->nkids && p[vs] != '{')
				unwalk(s, kid); /* no longer an object */
		}
		i = ws(p, ve, end);
		if (i < end && p[i] == ',')
			i++;
		else
			break;
	}
	/* past the closing brace */
	return i < end && p[i] == '}' ? i + 1 : i;
}

static void first_element(struct grace_detect *s, const char *p, size_t i);

/* Fill the memo for the event p[0..n): all spans absent, then one walk,
 * or, when the validating scan filled sc (the same trie), its spans.
 * A path that ends at an array reads its first element. */
static void
read_event(struct grace_detect *s, const char *p, size_t n,
    const struct grace_jdeep *sc)
{
	const struct grace_detectors *d = s->d;
	size_t i;

	if (sc && sc->spans == s->memo) {
		/* the scan wrote the spans where they are read
		 * (grace_detect_bind()): absent where it found nothing */
		for (i = 0; sc->arrays && i < d->npaths; i++)
			if (s->memo[i].kind == GRACE_J_ARRAY)
				first_element(s, p, i);
		return;
	}
	if (sc) {
		/* each path once: its node's span, or absent */
		for (i = 0; i < s->norphan; i++)
			s->memo[s->orphan[i]].kind = GRACE_J_NONE;
		for (i = 0; i < s->npair; i++) {
			uint32_t nd = s->pair[i].node, pa = s->pair[i].path;

			/* field by field, as the scan stored them: a struct
			 * copy would read them back wider than they were
			 * written, a store-forwarding stall */
			s->memo[pa].off = sc->spans[nd].off;
			s->memo[pa].len = sc->spans[nd].len;
			s->memo[pa].kind = sc->spans[nd].kind;
			s->memo_esc[pa] = sc->esc[nd];
			if (sc->spans[nd].kind == GRACE_J_ARRAY)
				first_element(s, p, pa);
		}
		return;
	}
	for (i = 0; i < d->npaths; i++)
		s->memo[i].kind = GRACE_J_NONE;
	for (i = 0; i < d->nnodes; i++)
		s->nspan[i].kind = GRACE_J_NONE;
	i = grace_jw_ws(p, 0, n);
	if (i < n && p[i] == '{')
		walk(s, p, i, n, &d->root);
	for (i = 0; i < d->npaths; i++)
		if (s->memo[i].kind == GRACE_J_ARRAY)
			first_element(s, p, i);
}

/* A path that ends at an array reads its first element (absent when
 * the array is empty). */
static void
first_element(struct grace_detect *s, const char *p, size_t i)
{
	struct grace_jspan *sp = &s->memo[i];
	size_t end = sp->off + sp->len, j, ve;
	int esc = 0;

	j = grace_jw_ws(p, sp->off + 1, end);
	if (j >= end || p[j] == ']') {
		sp->kind = GRACE_J_NONE;
		return;
	}
	ve = p[j] == '"' ? grace_jw_string(p, j, end, &esc) :
	    grace_jw_value(p, j, end);
	sp->off = j;
	sp->len = ve - j;
	sp->kind = grace_jw_kind(p[j]);
	s->memo_esc[i] = esc;
}

static const struct grace_jspan *
path_span(struct evc *c, const struct hd_path *pa)
{
	return &c->s->memo[pa->id];
}

/* The text at path pa into b: a string unescaped (or pointed at, when
 * it has no escapes: *out then points into the event), other values as
 * written. Returns 1, 0 for absent or null, -1 (memory). */
static inline int
path_text(struct evc *c, const struct hd_path *pa, struct grace_buf *b,
    const char **out, size_t *len)
{
	const struct grace_jspan *sp = &c->s->memo[pa->id];

	if (sp->kind == GRACE_J_NONE || sp->kind == GRACE_J_NULL) {
		*out = "";
		*len = 0;
		return 0;
	}
	if (sp->kind != GRACE_J_STRING) {
		*out = c->p + sp->off;
		*len = sp->len;
		return 1;
	}
	if (!c->s->memo_esc[pa->id]) {
		*out = c->p + sp->off + 1;
		*len = sp->len - 2;
		return 1;
	}
	grace_buf_reset(b);
	if (grace_json_unescape(b, c->p + sp->off, sp->len) < 0)
		return -1;
	*out = b->p;
	*len = b->len;
	return 1;
}

/* Powers of ten a double holds exactly. */
static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15,
};

double
hd_num(const char *p, size_t n)
{
	char tmp[64];
	uint64_t m = 0;
	size_t i = 0, nd = 0, k = 0;
	int neg = 0, dot = 0;
	double x;

	if (i < n && p[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			m = m * 10 + (uint64_t)(p[i] - '0');
			nd++;
			k += (size_t)dot;
		} else if (p[i] == '.' && !dot) {
			dot = 1;
		} else {
			break;
		}
	}
	/* at most 15 digits: m < 10^15 < 2^53 is exact, so is 10^k, and
	 * one IEEE division rounds the quotient correctly, as strtod does */
	if (i == n && nd && nd <= 15 && !(dot && !k)) {
		x = k ? (double)m / p10[k] : (double)m;
		return neg ? -x : x;
	}
	if (n >= sizeof tmp)
		return NAN;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	return strtod(tmp, NULL);
}

/* A number member as a double: 1, or 0 when it is not a (finite)
 * number. */
static int
span_num(const struct evc *c, const struct grace_jspan *sp, double *x)
{
	if (sp->kind != GRACE_J_NUMBER || sp->len >= 64)
		return 0;
	*x = hd_num(c->p + sp->off, sp->len);
	return isfinite(*x);
}

static int
fmt_time(struct grace_buf *b, int64_t ms)
{
	struct timespec ts;
	char t[GRACE_TIME_LEN];

	ts.tv_sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	ts.tv_nsec = (long)(ms - (int64_t)ts.tv_sec * 1000) * 1000000;
	if (grace_time_format(NULL, &ts, t) < 0)
		return ADDL(b, "null");
	return grace_buf_addf(b, "\"%s\"", t);
}

static int
fmt_num(struct grace_buf *b, double x)
{
	if (!isfinite(x))
		return ADDL(b, "null");
	return grace_buf_addf(b, "%.6g", x == 0 ? 0.0 : x);
}

static int
fmt_dur(struct grace_buf *b, int64_t ms)
{
	char t[GRACE_DURATION_LEN];

	grace_duration_format(ms, t, sizeof t);
	return grace_buf_addf(b, "\"%s\"", t);
}

/* "an-" and the first 16 hex digits of SHA-256(det NUL comp NUL ms). */
static int
anomaly_id(struct grace_detect *s, const struct hd_entry *x, char out[20])
{
	const struct hd_det *dt = &s->d->v[x->det];
	const struct hd_comp *cp = &s->comp[x->comp];
	uint8_t h[GRACE_SHA256_LEN];
	char hex[GRACE_SHA256_HEXLEN + 1], ms[24];
	int r = 0;

	snprintf(ms, sizeof ms, "%lld", (long long)x->fired_ms);
	r |= grace_sha256_init(s->sha);
	r |= grace_sha256_update(s->sha, dt->id, strlen(dt->id) + 1);
	r |= grace_sha256_update(s->sha, cp->name, cp->len + 1);
	r |= grace_sha256_update(s->sha, ms, strlen(ms));
	r |= grace_sha256_final(s->sha, h);
	if (r)
		return -1;
	grace_hex_encode(h, 8, hex);
	memcpy(out, "an-", 3);
	memcpy(out + 3, hex, 17);
	return 0;
}

static const char *
cmp_name(const struct hd_det *dt)
{
	return dt->cmp == HD_ABOVE ? "above" : dt->cmp == HD_BELOW ?
	    "below" : "equals";
}

/* The evidence of the sample at hand (c->nv) for an anomaly of x. */
static int
evidence(struct evc *c, const struct hd_entry *x)
{
	const struct hd_det *dt = c->dt;
	const struct evnums *v = &c->nv;
	struct grace_buf *ev = c->evd;
	int r = 0;

	grace_buf_reset(ev);
	r |= grace_buf_add(ev, "", 0);
	switch (dt->kind) {
	case HD_THRESHOLD:
		if (dt->cmp == HD_EQUALS) {
			r |= ADDL(ev, "\"value\":");
			r |= grace_buf_add_jstr(ev, v->txt, v->txtl);
			r |= ADDL(ev, ",\"equals\":");
			r |= grace_buf_add_jstr(ev, dt->equals, dt->equals_len);
		} else {
			r |= grace_buf_addf(ev, "\"value\":%.*s,\"%s\":", v->vl,
			    v->vt, cmp_name(dt));
			r |= fmt_num(ev, dt->limit);
		}
		if (dt->for_ms) {
			r |= ADDL(ev, ",\"for\":");
			r |= fmt_dur(ev, dt->for_ms);
		}
		break;
	case HD_FLAPPING:
		r |= grace_buf_addf(ev, "\"transitions\":%u,\"window\":", v->cnt);
		r |= fmt_dur(ev, dt->window_ms);
		if (dt->cmp == HD_EQUALS) {
			r |= ADDL(ev, ",\"value\":");
			r |= grace_buf_add_jstr(ev, v->txt, v->txtl);
		} else {
			r |= grace_buf_addf(ev, ",\"value\":%.*s", v->vl, v->vt);
		}
		break;
	case HD_SPIKE:
		r |= grace_buf_addf(ev, "\"value\":%.*s,\"%s\":", v->vl, v->vt,
		    dt->method == HD_MAD ? "median" : "mean");
		r |= fmt_num(ev, v->base);
		r |= grace_buf_addf(ev, ",\"%s\":", dt->method == HD_MAD ?
		    "scale" : "stddev");
		r |= fmt_num(ev, v->scale);
		r |= ADDL(ev, ",\"z\":");
		r |= fmt_num(ev, v->z);
		if (dt->has_z) {
			r |= ADDL(ev, ",\"z_over\":");
			r |= fmt_num(ev, dt->z);
		}
		if (dt->has_ratio) {
			r |= ADDL(ev, ",\"ratio\":");
			r |= fmt_num(ev, v->ratio);
			r |= ADDL(ev, ",\"ratio_over\":");
			r |= fmt_num(ev, dt->ratio);
		}
		r |= grace_buf_addf(ev, ",\"samples\":%u", v->cnt);
		break;
	case HD_RATE:
		r |= grace_buf_addf(ev, "\"count\":%u,\"window\":", v->cnt);
		r |= fmt_dur(ev, dt->window_ms);
		r |= ADDL(ev, ",\"first\":");
		r |= fmt_time(ev, v->t0);
		break;
	case HD_ABSENCE:
		r |= ADDL(ev, "\"last_seen\":");
		r |= fmt_time(ev, v->t0);
		r |= ADDL(ev, ",\"ttl\":");
		r |= fmt_dur(ev, dt->ttl_ms);
		r |= grace_buf_addf(ev, ",\"silent_ms\":%lld",
		    (long long)(c->now - v->t0));
		break;
	case HD_DRIFT:
		if (v->num) {
			r |= grace_buf_addf(ev, "\"value\":%.*s,\"golden\":", v->vl,
			    v->vt);
			r |= fmt_num(ev, v->g);
			r |= ADDL(ev, ",\"fraction\":");
			r |= fmt_num(ev, v->frac);
			r |= ADDL(ev, ",\"tolerance\":");
			r |= fmt_num(ev, dt->tolerance);
		} else {
			r |= ADDL(ev, "\"value\":");
			r |= grace_buf_add_jstr(ev, v->txt, v->txtl);
			r |= ADDL(ev, ",\"golden\":");
			r |= grace_buf_add_jstr(ev, v->gt, v->gl);
		}
		break;
	case HD_INTEGRITY:
		r |= grace_buf_addf(ev, "\"intact\":%s", v->bad ? "false" :
		    "true");
		if (v->er.kind == GRACE_J_OBJECT)
			r |= grace_buf_addf(ev, ",\"error\":%.*s", (int)v->er.len,
			    c->p + v->er.off);
		break;
	default:
		break;
	}
	(void)x;
	return r ? -1 : 0;
}

/* Emit anomaly.detected (or .flapping) for entry ei, or anomaly.resolved
 * when resolved, at time t. */
static int
emit_anomaly(struct evc *c, uint32_t ei, int resolved, int64_t t)
{
	struct grace_detect *s = c->s;
	const struct hd_entry *x = &s->ent[ei];
	const struct hd_det *dt = &s->d->v[x->det];
	const struct hd_comp *cp = &s->comp[x->comp];
	struct grace_buf *b = &s->ev;
	char id[20];
	int r = 0;

	if (anomaly_id(s, x, id) < 0)
		return grace_err_sys(c->e, NULL, "SHA-256 failed");
	if (!c->ev_ready && evidence(c, x) < 0)
		return grace_err_sys(c->e, NULL, "out of memory");
	grace_buf_reset(b);
	r |= grace_buf_addf(b, "{\"specversion\":\"1.0\",\"id\":\"%s%s\","
	    "\"type\":\"%s\",\"source\":\"grace-heal\",\"time\":", id,
	    resolved ? "-r" : "", resolved ? "anomaly.resolved" :
	    dt->kind == HD_FLAPPING ? "anomaly.flapping" : "anomaly.detected");
	r |= fmt_time(b, t);
	r |= ADDL(b, ",\"subject\":");
	r |= grace_buf_add_jstr(b, cp->name, cp->len);
	r |= ADDL(b, ",\"data\":{\"anomaly\":");
	r |= grace_buf_adds(b, dt->anomaly_json);
	r |= grace_buf_addf(b, ",\"severity\":\"%s\",\"component\":",
	    grace_hsev_name(dt->severity));
	r |= grace_buf_add_jstr(b, cp->name, cp->len);
	r |= ADDL(b, ",\"detector\":");
	r |= grace_buf_adds(b, dt->id_json);
	r |= grace_buf_addf(b, ",\"kind\":\"%s\",\"evidence\":{",
	    hd_kind_names[dt->kind]);
	r |= grace_buf_add(b, c->evd->p ? c->evd->p : "", c->evd->len);
	r |= ADDL(b, "},\"since\":");
	r |= fmt_time(b, x->since_ms);
	if (resolved) {
		r |= ADDL(b, ",\"resolved\":");
		r |= fmt_time(b, t);
		r |= grace_buf_addf(b, ",\"anomaly_id\":\"%s\"", id);
	}
	r |= ADDL(b, "}}");
	if (r)
		return grace_err_sys(c->e, NULL, "out of memory");
	return c->emit(c->arg, b->p, b->len, c->e);
}

static int
fire(struct evc *c, uint32_t ei, int64_t t, int64_t since)
{
	struct hd_entry *x = &c->s->ent[ei];

	x->open = 1;
	x->fired_ms = t;
	x->since_ms = since;
	x->clearing = 0;
	hd_open_link(c->s, ei);
	return emit_anomaly(c, ei, 0, t);
}

static int
resolve(struct evc *c, uint32_t ei, int64_t t)
{
	struct hd_entry *x = &c->s->ent[ei];
	int r = emit_anomaly(c, ei, 1, t);

	x->open = 0;
	x->clearing = 0;
	x->pending = 0;
	hd_open_unlink(c->s, ei);
	return r;
}

static void
explain(struct evc *c, const struct hd_det *dt, const char *comp,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
explain(struct evc *c, const struct hd_det *dt, const char *comp,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	grace_buf_addf(c->explain, "  detector %s: %s%s%s\n", dt->id,
	    comp ? comp : "", comp ? ": " : "", msg);
}

/* The shared state machine of threshold, spike, drift and integrity:
 * bad held `for` fires; good held `keep_firing_for` resolves. Returns
 * the outcome word for --explain, or NULL on error. */
static const char *
level(struct evc *c, uint32_t ei, int bad)
{
	struct hd_entry *x = &c->s->ent[ei];
	const struct hd_det *dt = c->dt;
	int64_t t = c->now;

	if (bad) {
		x->clearing = 0;
		if (x->open)
			return "open";
		if (!x->pending) {
			x->pending = 1;
			x->since_ms = t;
		}
		if (t - x->since_ms >= dt->for_ms) {
			x->pending = 0;
			return fire(c, ei, t, x->since_ms) < 0 ? NULL : "fired";
		}
		return "pending";
	}
	x->pending = 0;
	if (!x->open)
		return "ok";
	if (!x->clearing) {
		x->clearing = 1;
		x->clear_ms = t;
	}
	if (t - x->clear_ms >= dt->keep_ms)
		return resolve(c, ei, t) < 0 ? NULL : "resolved";
	return "clearing";
}

/* The condition of a threshold or flapping detector on the sample. */
static int
cond_holds(struct evc *c, double v)
{
	const struct hd_det *dt = c->dt;

	switch (dt->cmp) {
	case HD_ABOVE: return v > dt->limit;
	case HD_BELOW: return v < dt->limit;
	default:
		return c->nv.txtl == dt->equals_len &&
		    memcmp(c->nv.txt, dt->equals, dt->equals_len) == 0;
	}
}

/* One detector on the event; ei is its entry. */
static int
run_det(struct evc *c, uint32_t ei, const char *comp)
{
	struct grace_detect *s = c->s;
	const struct hd_det *dt = c->dt;
	struct hd_entry *x = &s->ent[ei];
	struct evnums *nv = &c->nv;
	const struct grace_jspan *vs = dt->value ? path_span(c, dt->value) :
	    NULL;
	const char *out = "ok";
	double v = 0;
	int have = c->have_v ? (v = c->v, 1) : vs ? span_num(c, vs, &v) : 0;

	/* each field cleared: a memset of the whole is a rep stos, slow to
	 * start, once per sample */
	nv->vt = nv->txt = nv->gt = NULL;
	nv->vl = 0;
	nv->txtl = nv->gl = 0;
	nv->base = nv->scale = nv->z = nv->ratio = nv->g = nv->frac = 0;
	nv->cnt = 0;
	nv->t0 = 0;
	nv->bad = nv->num = 0;
	nv->er.off = nv->er.len = 0;
	nv->er.kind = GRACE_J_NONE;
	c->ev_ready = 0;
	if (vs) {
		nv->vt = c->p + vs->off;
		nv->vl = (int)vs->len;
	}
	if (dt->value && path_text(c, dt->value, &s->t2, &nv->txt,
	    &nv->txtl) < 0)
		goto oom;
	switch (dt->kind) {
	case HD_THRESHOLD: {
		int bad = cond_holds(c, v);

		if (!(out = level(c, ei, bad)))
			return -1;
		if (c->explain && dt->cmp == HD_EQUALS)
			explain(c, dt, comp, "value '%.*s' %sequals '%s': %s",
			    (int)nv->txtl, nv->txt, bad ? "" : "not ", dt->equals,
			    out);
		else
			EXPLAIN(c, dt, comp, "value %.*s %s%s %g: %s", nv->vl,
			    nv->vt, bad ? "" : "not ", cmp_name(dt), dt->limit,
			    out);
		break;
	}
	case HD_FLAPPING: {
		int64_t *ring = x->ring, oldest = c->now;
		int cond = cond_holds(c, v);
		unsigned i, nin = 0;

		if (x->seen && cond != x->cond) {
			ring[x->rhead] = c->now;
			x->rhead = (x->rhead + 1) % dt->transitions;
			if (x->rlen < dt->transitions)
				x->rlen++;
			x->last_ms = c->now;
			if (x->open)
				hd_timer_set(s, ei, c->now + dt->stable_ms);
		}
		if (!x->seen)
			x->last_ms = c->now; /* stable since the first sample */
		x->seen = 1;
		x->cond = (uint8_t)cond;
		for (i = 0; i < x->rlen; i++)
			if (ring[i] > c->now - dt->window_ms) {
				nin++;
				if (ring[i] < oldest)
					oldest = ring[i];
			}
		nv->cnt = nin;
		if (!x->open && nin >= dt->transitions) {
			if (fire(c, ei, c->now, oldest) < 0)
				return -1;
			hd_timer_set(s, ei, x->last_ms + dt->stable_ms);
			out = "fired";
		} else if (x->open) {
			out = "open";
		}
		EXPLAIN(c, dt, comp, "%u transitions within %lldms (%u make "
		    "flapping): %s", nin, (long long)dt->window_ms,
		    dt->transitions, out);
		break;
	}
	case HD_SPIKE: {
		double w[HD_MAX_MAD];
		uint64_t have_n = dt->method == HD_MAD ? x->rlen : x->n;

		if (have_n < dt->min_samples) {
			EXPLAIN(c, dt, comp, "%llu/%u samples: warming up",
			    (unsigned long long)have_n, dt->min_samples);
		} else {
			int bad = 1;

			if (dt->method == HD_MAD) {
				nv->z = hd_mad_z(x->ring, x->rlen, v, w, &nv->base,
				    &nv->scale);
			} else {
				nv->base = x->mean;
				nv->scale = sqrt(x->var);
				nv->z = hd_ewma_z(x->mean, x->var, v);
			}
			nv->ratio = nv->base != 0 ? v / nv->base : v == 0 ? 0 :
			    INFINITY;
			nv->cnt = (unsigned)(have_n > UINT32_MAX ? UINT32_MAX :
			    have_n);
			int zok = dt->dir == HD_UP ? nv->z > dt->z :
			    dt->dir == HD_DOWN ? nv->z < -dt->z :
			    fabs(nv->z) > dt->z;
			int rok = dt->dir == HD_UP ? v > dt->ratio * nv->base :
			    v < dt->ratio * nv->base;

			if (dt->has_z)
				bad &= zok;
			if (dt->has_ratio)
				bad &= rok;
			if (!(out = level(c, ei, bad)))
				return -1;
			if (c->explain) {
				char zs[64] = "", rs[64] = "";

				if (dt->has_z)
					snprintf(zs, sizeof zs, "z %.3g %s %g",
					    nv->z, zok ? "over" : "within", dt->z);
				if (dt->has_ratio)
					snprintf(rs, sizeof rs, "%sratio %.3g %s %g",
					    dt->has_z ? ", " : "", nv->ratio, rok ?
					    "beyond" : "within", dt->ratio);
				explain(c, dt, comp, "%s%s: %s", zs, rs, out);
			}
		}
		/* the sample joins the baseline after it was judged */
		if (dt->method == HD_MAD) {
			((double *)x->ring)[x->rhead] = v;
			x->rhead = (x->rhead + 1) % dt->samples;
			if (x->rlen < dt->samples)
				x->rlen++;
		} else {
			hd_ewma_update(&x->mean, &x->var, x->n, dt->alpha, v);
		}
		if (x->n < HD_MAX_N)
			x->n++; /* saturates: it only counts the warm-up */
		x->last = v;
		break;
	}
	case HD_RATE: {
		int64_t *ring = x->ring;
		int full;

		/* the ring holds the times of the last count events */
		ring[x->rhead] = c->now;
		x->rhead = (x->rhead + 1) % dt->count;
		if (x->rlen < dt->count)
			x->rlen++;
		x->last_ms = c->now;
		nv->t0 = ring[x->rlen < dt->count ? 0 : x->rhead];
		full = x->rlen == dt->count && nv->t0 > c->now - dt->window_ms;
		nv->cnt = x->rlen;
		if (full) {
			if (!x->open) {
				if (fire(c, ei, c->now, nv->t0) < 0)
					return -1;
				out = "fired";
			} else {
				out = "open";
			}
			/* resolved a whole window after the last burst */
			hd_timer_set(s, ei, c->now + dt->window_ms);
		}
		EXPLAIN(c, dt, comp, "%s%u events within %lldms (%u make a "
		    "burst): %s", full ? "" : "at most ", full ? dt->count :
		    x->rlen, (long long)dt->window_ms, dt->count, out);
		break;
	}
	case HD_ABSENCE:
		if (x->open) {
			nv->t0 = x->last_ms;
			if (resolve(c, ei, c->now) < 0)
				return -1;
			out = "resolved";
		}
		x->last_ms = c->now;
		x->seen = 1;
		hd_timer_set(s, ei, c->now + dt->ttl_ms);
		EXPLAIN(c, dt, comp, "seen; due again within %lldms: %s",
		    (long long)dt->ttl_ms, out);
		break;
	case HD_DRIFT: {
		int bad;

		nv->num = dt->golden_num;
		nv->g = dt->golden_d;
		nv->gt = dt->golden;
		nv->gl = dt->golden_len;
		if (dt->golden_path) {
			const struct grace_jspan *gs = path_span(c, dt->golden_path);

			nv->num = span_num(c, gs, &nv->g);
			if (path_text(c, dt->golden_path, &s->t1, &nv->gt,
			    &nv->gl) < 0)
				goto oom;
		}
		if (nv->num && !have)
			nv->num = 0; /* a number against a text: as text */
		if (nv->num) {
			nv->frac = nv->g != 0 ? fabs(v - nv->g) / fabs(nv->g) :
			    v == 0 ? 0 : INFINITY;
			bad = nv->frac > dt->tolerance;
		} else {
			bad = nv->txtl != nv->gl || memcmp(nv->txt, nv->gt,
			    nv->gl) != 0;
		}
		if (!(out = level(c, ei, bad)))
			return -1;
		EXPLAIN(c, dt, comp, "%s the golden value: %s", bad ?
		    "differs from" : "matches", out);
		break;
	}
	case HD_INTEGRITY: {
		struct grace_jspan d2;

		/* fail closed: anything but data.intact true is a failure */
		nv->bad = vs->kind != GRACE_J_TRUE;
		nv->er.kind = GRACE_J_NONE;
		if (nv->bad && grace_jpath_member(c->p, 0, c->n, "data", &d2,
		    &s->tmp) && d2.kind == GRACE_J_OBJECT)
			grace_jpath_member(c->p, d2.off, d2.len, "error", &nv->er,
			    &s->tmp);
		if (!(out = level(c, ei, nv->bad)))
			return -1;
		EXPLAIN(c, dt, comp, "chain %s: %s", nv->bad ? "not intact" :
		    "intact", out);
		break;
	}
	default:
		break;
	}
	return 0;
oom:
	return grace_err_sys(c->e, NULL, "out of memory");
}

/* Does dt select the event (matchers, when)? 1, 0, or -1 (e filled). */
static int
selects(struct evc *c, const struct hd_det *dt)
{
	size_t i;
	int r;

	for (i = 0; i < dt->nm; i++) {
		const struct hd_match *m = &dt->m[i];
		const char *t;
		size_t tl;

		if (path_text(c, m->path, &c->s->t1, &t, &tl) < 0)
			return grace_err_sys(c->e, NULL, "out of memory");
		if ((tl == m->vlen && same_bytes(t, m->value, tl)) == m->neg) {
			EXPLAIN(c, dt, NULL, "'%s' does not hold", m->text);
			return 0;
		}
	}
	if (dt->when) {
		if (!c->have_j) {
			c->j = grace_jv_parse(c->p, c->n);
			c->have_j = 1;
		}
		r = grace_jq_truthy(dt->when, jv_copy(c->j), c->e);
		if (r < 0)
			return -1;
		if (!r) {
			EXPLAIN(c, dt, NULL, "when is false");
			return 0;
		}
	}
	return 1;
}

/* Merge the ascending lists a and b into out; returns the count. */
static size_t
merge(const size_t *a, size_t na, const size_t *b, size_t nb, size_t *out)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na || j < nb)
		out[n++] = j >= nb || (i < na && a[i] < b[j]) ? a[i++] : b[j++];
	return n;
}

/* The candidate detectors of an event of type t[0..tn): those indexed
 * under t (only those keyed on the value the event has, when the type
 * is split by value), and those with a glob type that matches, in file
 * order. */
static size_t
candidates(struct evc *c, const char *t, size_t tn)
{
	struct grace_detect *s = c->s;
	const struct grace_detectors *d = s->d;
	const struct hd_tslot *ts = NULL;
	size_t n = 0, k, j;
	uint64_t h;
	size_t *tmp = s->cand + d->n + 1; /* second half: scratch */

	/* a stream is mostly of one type: the last slot found first */
	if (s->last_ts && s->last_ts->len == tn &&
	    same_bytes(s->last_ts->type, t, tn)) {
		ts = s->last_ts;
	} else {
		h = hd_hash(t, tn, 0);
		for (k = h & (d->tcap - 1); d->tidx[k].type; k = (k + 1) &
		    (d->tcap - 1))
			if (d->tidx[k].hash == h && d->tidx[k].len == tn &&
			    same_bytes(d->tidx[k].type, t, tn)) {
				ts = s->last_ts = &d->tidx[k];
				break;
			}
	}
	if (ts && ts->key) {
		const struct hd_vslot *vs = NULL;
		const char *v;
		size_t vl;

		if (path_text(c, ts->key, &s->t1, &v, &vl) < 0)
			return (size_t)-1;
		h = hd_hash(v, vl, 3);
		for (k = h & (ts->vcap - 1); ts->vt[k].value; k = (k + 1) &
		    (ts->vcap - 1))
			if (ts->vt[k].hash == h && ts->vt[k].len == vl &&
			    same_bytes(ts->vt[k].value, v, vl)) {
				vs = &ts->vt[k];
				break;
			}
		n = merge(ts->rest, ts->nrest, vs ? vs->dets : NULL,
		    vs ? vs->ndets : 0, s->cand);
	} else if (ts) {
		memcpy(s->cand, ts->dets, ts->ndets * sizeof *s->cand);
		n = ts->ndets;
	}
	if (!d->nglobs)
		return n;
	for (j = 0, k = 0; k < d->nglobs; k++) {
		const struct hd_det *g = &d->v[d->globs[k]];
		size_t q;

		for (q = 0; q < g->ntypes; q++)
			if (grace_glob_match(g->types[q], t, tn)) {
				tmp[j++] = d->globs[k];
				break;
			}
	}
	if (!j)
		return n;
	memcpy(tmp + j, s->cand, n * sizeof *tmp);
	return merge(tmp + j, n, tmp, j, s->cand);
}

static const char *const sev_score[GRACE_HSEV_N] = {
	"0", "0.25", "0.5", "0.75", "1",
};

/* Append n bytes to b, whose room was reserved. */
static inline void
put(struct grace_buf *b, const char *p, size_t n)
{
	memcpy(b->p + b->len, p, n);
	b->len += n;
}
#define PUTL(b, lit) put((b), (lit), sizeof(lit) - 1)

/* Append the decimal v to b (room reserved: 20 bytes). */
static void
put_u(struct grace_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof tmp - i);
}

/* The grace.heal annotation of an event about component comp that the
 * entries s->sel[0..nsel) read, appended to ann: 0, or -1 (memory).
 * Room for each part is reserved first, then written by memcpy, since
 * this runs once per selected event. */
static int
annotate(struct grace_detect *s, uint32_t comp, struct grace_buf *ann)
{
	static const char noopen[] = "{\"anomaly\":false,\"severity\":\"none\","
	    "\"score\":0,\"open\":[],\"component\":";
	const struct hd_comp *cp = &s->comp[comp];
	int maxs = GRACE_HSEV_NONE;
	uint32_t ei;
	size_t i, need, dneed;
	char id[20];

	/* the detectors' part, and the component's when it needs no
	 * escape: reserved with the rest, once */
	dneed = 16;
	for (i = 0; i < s->nsel; i++)
		dneed += s->d->v[s->ent[s->sel[i]].det].id_json_len + 56;
	if (cp->plain)
		dneed += cp->len + 2;
	if (!cp->nopen) {
		if (grace_buf_reserve(ann, sizeof noopen + dneed) < 0)
			return -1;
		PUTL(ann, noopen);
	} else {
		const char *sv;

		need = 96 + dneed;
		for (ei = cp->open_head; ei != NONE; ei = s->ent[ei].next_open) {
			const struct hd_det *dt = &s->d->v[s->ent[ei].det];

			if (dt->severity > maxs)
				maxs = dt->severity;
			need += 96 + dt->anomaly_json_len + dt->id_json_len;
		}
		if (grace_buf_reserve(ann, need) < 0)
			return -1;
		PUTL(ann, "{\"anomaly\":true,\"severity\":\"");
		sv = grace_hsev_name(maxs);
		put(ann, sv, strlen(sv));
		PUTL(ann, "\",\"score\":");
		put(ann, sev_score[maxs], strlen(sev_score[maxs]));
		PUTL(ann, ",\"open\":[");
		for (ei = cp->open_head; ei != NONE; ei = s->ent[ei].next_open) {
			const struct hd_det *dt = &s->d->v[s->ent[ei].det];

			if (anomaly_id(s, &s->ent[ei], id) < 0)
				return -1;
			if (ei != cp->open_head)
				PUTL(ann, ",");
			PUTL(ann, "{\"id\":\"");
			put(ann, id, strlen(id));
			PUTL(ann, "\",\"anomaly\":");
			put(ann, dt->anomaly_json, dt->anomaly_json_len);
			PUTL(ann, ",\"severity\":\"");
			sv = grace_hsev_name(dt->severity);
			put(ann, sv, strlen(sv));
			PUTL(ann, "\",\"detector\":");
			put(ann, dt->id_json, dt->id_json_len);
			PUTL(ann, "}");
		}
		PUTL(ann, "],\"component\":");
	}
	if (cp->plain) {
		PUTL(ann, "\"");
		put(ann, cp->name, cp->len);
		PUTL(ann, "\"");
	} else if (grace_buf_add_jstr(ann, cp->name, cp->len) < 0 ||
	    grace_buf_reserve(ann, dneed) < 0) {
		return -1;
	}
	PUTL(ann, ",\"detectors\":{");
	for (i = 0; i < s->nsel; i++) {
		const struct hd_entry *x = &s->ent[s->sel[i]];
		const struct hd_det *dt = &s->d->v[x->det];

		if (i)
			PUTL(ann, ",");
		put(ann, dt->id_json, dt->id_json_len);
		if (x->open)
			PUTL(ann, ":\"firing\"");
		else if (dt->kind == HD_SPIKE) {
			uint64_t have = dt->method == HD_MAD ? x->rlen : x->n;

			if (have < dt->min_samples) {
				PUTL(ann, ":\"");
				put_u(ann, have);
				PUTL(ann, "/");
				put_u(ann, dt->min_samples);
				PUTL(ann, " samples\"");
			} else
				PUTL(ann, ":\"armed\"");
		} else if (x->pending)
			PUTL(ann, ":\"pending\"");
		else
			PUTL(ann, ":\"ok\"");
	}
	PUTL(ann, "}}");
	ann->p[ann->len] = 0;
	return 0;
}

static int detect(struct grace_detect *s, const char *p, size_t n,
    const struct grace_jdeep *sc, int64_t now_ms, struct grace_buf *ann,
    struct grace_buf *ex, grace_heal_emit_fn *emit, void *arg,
    struct grace_err *e);

int
grace_detect_event(struct grace_detect *s, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *ann, struct grace_buf *ex,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e)
{
	return detect(s, p, n, NULL, now_ms, ann, ex, emit, arg, e);
}

const struct grace_jtrie *
grace_detectors_trie(const struct grace_detectors *d, size_t *nnodes)
{
	*nnodes = d->nnodes;
	return &d->root;
}

void
grace_detect_bind(struct grace_detect *s, struct grace_jdeep *deep)
{
	deep->root = &s->d->root;
	deep->spans = s->memo;
	deep->esc = s->memo_esc;
	deep->nspans = s->d->nnodes + 1;
	deep->arrays = 0;
}

int
grace_detect_scanned(struct grace_detect *s, const char *p, size_t n,
    const struct grace_jdeep *sc, int64_t now_ms, struct grace_buf *ann,
    struct grace_buf *ex, grace_heal_emit_fn *emit, void *arg,
    struct grace_err *e)
{
	return detect(s, p, n, sc, now_ms, ann, ex, emit, arg, e);
}

static int
detect(struct grace_detect *s, const char *p, size_t n,
    const struct grace_jdeep *sc, int64_t now_ms, struct grace_buf *ann,
    struct grace_buf *ex, grace_heal_emit_fn *emit, void *arg,
    struct grace_err *e)
{
	const struct grace_jspan *ts;
	struct evc c;
	const char *type;
	size_t nc, i, tl;
	uint32_t first = NONE;
	int rc = -1;

	c.s = s;
	c.p = p;
	c.n = n;
	c.now = now_ms;
	c.emit = emit;
	c.arg = arg;
	c.e = e;
	c.explain = ex;
	c.evd = &s->evid;
	c.ev_ready = 0;
	c.have_j = 0;
	c.have_v = 0;
	s->nsel = 0;
	read_event(s, p, n, sc);
	ts = &s->memo[s->d->p_type->id];
	if (ts->kind != GRACE_J_STRING)
		return 0;
	if (path_text(&c, s->d->p_type, &s->t2, &type, &tl) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if ((nc = candidates(&c, type, tl)) == (size_t)-1)
		return grace_err_sys(e, NULL, "out of memory");
	if (nc == 0)
		return 0;
	if (s->memo[s->d->p_heal->id].kind != GRACE_J_NONE) {
		if (ex)
			grace_buf_adds(ex, "  carries grace.heal already: passed "
			    "through untouched\n");
		return 0;
	}
	/* room for every entry this event could make, so the timer heap
	 * never has to grow on the way */
	if (hd_heap_room(s, nc) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	for (i = 0; i < nc; i++) {
		const struct hd_det *dt = &s->d->v[s->cand[i]];
		const char *cv = NULL;
		size_t k, cl = 0;
		int sel;
		uint32_t comp;
		long ei;

		c.dt = dt;
		c.have_v = 0;
		if ((sel = selects(&c, dt)) < 0)
			goto out;
		if (!sel)
			continue;
		for (k = 0; k < dt->ncomp; k++) {
			int r = path_text(&c, dt->comp[k], &s->t1, &cv, &cl);

			if (r < 0) {
				grace_err_sys(e, NULL, "out of memory");
				goto out;
			}
			if (r > 0 && cl)
				break;
		}
		if (k == dt->ncomp) {
			EXPLAIN(&c, dt, NULL, "no component (none of its "
			    "component paths is in the event)");
			continue;
		}
		if (dt->value && dt->kind != HD_INTEGRITY) {
			const struct grace_jspan *vs = path_span(&c, dt->value);
			double v;
			int textual = (dt->kind == HD_THRESHOLD ||
			    dt->kind == HD_FLAPPING) ? dt->cmp == HD_EQUALS :
			    dt->kind == HD_DRIFT && !dt->golden_num;

			if (textual ? (vs->kind == GRACE_J_NONE ||
			    vs->kind == GRACE_J_NULL) : !span_num(&c, vs, &v)) {
				EXPLAIN(&c, dt, NULL, "no %s at %s", textual ?
				    "value" : "number", dt->value->text);
				continue;
			}
			if (!textual) {
				/* read once: run_det takes it from here */
				c.have_v = 1;
				c.v = v;
			}
		}
		if ((comp = hd_comp_get(s, cv, cl)) == NONE ||
		    (ei = hd_entry_get(s, (uint32_t)s->cand[i], comp)) < 0) {
			grace_err_sys(e, NULL, "out of memory");
			goto out;
		}
		if (first == NONE)
			first = comp;
		s->sel[s->nsel++] = (uint32_t)ei;
		if (run_det(&c, (uint32_t)ei, s->comp[comp].name) < 0)
			goto out;
	}
	rc = 0;
	if (first != NONE) {
		if (annotate(s, first, ann) < 0) {
			grace_err_sys(e, NULL, "out of memory");
			rc = -1;
		} else {
			rc = 1;
		}
	}
out:
	if (c.have_j)
		jv_free(c.j);
	return rc;
}

static int tick(struct grace_detect *s, int64_t now_ms,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e);

int
grace_detect_tick(struct grace_detect *s, int64_t now_ms,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e)
{
	/* nothing due: the common case, once per event, without the
	 * frame of what fires the timers */
	if (!s->nheap || s->ent[s->heap[0]].due_ms > now_ms)
		return 0;
	return tick(s, now_ms, emit, arg, e);
}

static __attribute__((noinline)) int
tick(struct grace_detect *s, int64_t now_ms, grace_heal_emit_fn *emit,
    void *arg, struct grace_err *e)
{
	struct evc c;
	int rc = 0;

	memset(&c, 0, sizeof c);
	c.s = s;
	c.emit = emit;
	c.arg = arg;
	c.e = e;
	c.evd = &s->evid;
	c.ev_ready = 1;
	while (s->nheap && s->ent[s->heap[0]].due_ms <= now_ms) {
		uint32_t ei = s->heap[0];
		struct hd_entry *x = &s->ent[ei];
		const struct hd_det *dt = &s->d->v[x->det];
		int64_t due = x->due_ms;
		int r = 0;

		hd_timer_clear(s, ei);
		grace_buf_reset(c.evd);
		r |= grace_buf_add(c.evd, "", 0);
		c.now = due;
		c.dt = dt;
		switch (dt->kind) {
		case HD_ABSENCE:
			if (x->open)
				break;
			r |= ADDL(c.evd, "\"last_seen\":");
			r |= fmt_time(c.evd, x->last_ms);
			r |= ADDL(c.evd, ",\"ttl\":");
			r |= fmt_dur(c.evd, dt->ttl_ms);
			if (r || fire(&c, ei, due, due) < 0)
				rc = -1;
			break;
		case HD_RATE:
			if (!x->open)
				break;
			r |= ADDL(c.evd, "\"window\":");
			r |= fmt_dur(c.evd, dt->window_ms);
			r |= ADDL(c.evd, ",\"last_burst\":");
			r |= fmt_time(c.evd, due - dt->window_ms);
			if (r || resolve(&c, ei, due) < 0)
				rc = -1;
			break;
		case HD_FLAPPING:
			if (!x->open)
				break;
			r |= ADDL(c.evd, "\"stable\":");
			r |= fmt_dur(c.evd, dt->stable_ms);
			r |= ADDL(c.evd, ",\"last_transition\":");
			r |= fmt_time(c.evd, x->last_ms);
			x->rlen = 0; /* the flapping spell is over */
			x->rhead = 0;
			if (r || resolve(&c, ei, due) < 0)
				rc = -1;
			break;
		default:
			break;
		}
		if (rc < 0) {
			if (e && !e->msg[0])
				grace_err_sys(e, NULL, "out of memory");
			break;
		}
	}
	return rc;
}

int64_t
grace_detect_next_timer(const struct grace_detect *s)
{
	return s->nheap ? s->ent[s->heap[0]].due_ms : INT64_MAX;
}

size_t
grace_detect_open(const struct grace_detect *s, const char *c, size_t n,
    int *max_severity)
{
	uint64_t h = hd_hash(c, n, 7);
	const struct hd_comp *x;
	uint32_t ei;
	size_t k;

	*max_severity = GRACE_HSEV_NONE;
	if (!s->ccap)
		return 0;
	for (k = h & (s->ccap - 1); s->ctab[k]; k = (k + 1) & (s->ccap - 1)) {
		x = &s->comp[s->ctab[k] - 1];
		if (x->hash != h || x->len != n || memcmp(x->name, c, n) != 0)
			continue;
		for (ei = x->open_head; ei != NONE; ei = s->ent[ei].next_open)
			if (s->d->v[s->ent[ei].det].severity > *max_severity)
				*max_severity = s->d->v[s->ent[ei].det].severity;
		return x->nopen;
	}
	return 0;
}
