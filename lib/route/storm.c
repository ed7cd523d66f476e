/* storm.c - dedupe and throttle per route, keyed by members of the event,
 * in event time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jpath.h"
#include "route_int.h"
#include "timeutil.h"

struct ent {
	char *key;                  /* NULL: an empty slot */
	size_t klen;
	uint64_t hash;
	int64_t start;              /* dedupe: the delivered event's time;
	                               throttle: the interval's start */
	uint64_t count;             /* throttle: events in the interval */
	uint64_t held;              /* events held back (this interval) */
};

struct table {
	struct ent *v;
	size_t cap, n;
};

struct rstate {
	struct table d, t;
	int64_t tdue;               /* earliest end of an interval that held
	                               something back; INT64_MAX: none */
};

struct grace_rstorm {
	const struct grace_routes *rs;
	struct rstate *r;
	struct table *inh;          /* per inhibit rule: active sources */
	uint64_t deduped, throttled, inhibited, silenced;
	struct grace_buf key, val, tmp, ev;
};

static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

/* Is e over at now, so that forgetting it changes nothing? */
static int
stale(const struct ent *e, int64_t span, int64_t now)
{
	return e->start == INT64_MIN || (e->held == 0 && now >= e->start &&
	    now - e->start >= span);
}

/* Grow t to twice its size, leaving out what is stale. */
static int
grow(struct table *t, int64_t span, int64_t now)
{
	size_t ncap = t->cap ? t->cap * 2 : 64, i;
	struct ent *nv = calloc(ncap, sizeof *nv);

	if (!nv)
		return -1;
	t->n = 0;
	for (i = 0; i < t->cap; i++) {
		struct ent *o = &t->v[i];
		size_t j;

		if (!o->key)
			continue;
		if (stale(o, span, now)) {
			free(o->key);
			continue;
		}
		for (j = o->hash & (ncap - 1); nv[j].key; j = (j + 1) & (ncap - 1))
			;
		nv[j] = *o;
		t->n++;
	}
	free(t->v);
	t->v = nv;
	t->cap = ncap;
	return 0;
}

/* The entry for key k[0..n), created (start INT64_MIN) if new. */
static struct ent *
get(struct table *t, const char *k, size_t n, int64_t span, int64_t now)
{
	uint64_t h = fnv(k, n);
	size_t j;

	if ((t->n + 1) * 2 > t->cap && grow(t, span, now) < 0)
		return NULL;
	for (j = h & (t->cap - 1); t->v[j].key; j = (j + 1) & (t->cap - 1)) {
		struct ent *e = &t->v[j];

		if (e->hash == h && e->klen == n && memcmp(e->key, k, n) == 0)
			return e;
	}
	if (!(t->v[j].key = malloc(n + 1)))
		return NULL;
	memcpy(t->v[j].key, k, n);
	t->v[j].key[n] = '\0';
	t->v[j].klen = n;
	t->v[j].hash = h;
	t->v[j].start = INT64_MIN;
	t->v[j].count = t->v[j].held = 0;
	t->n++;
	return &t->v[j];
}

struct grace_rstorm *
grace_rstorm_new(const struct grace_routes *rs)
{
	struct grace_rstorm *s = calloc(1, sizeof *s);
	size_t i;

	if (!s || !(s->r = calloc(rs->nr + 1, sizeof *s->r)) ||
	    !(s->inh = calloc(rs->ninh + 1, sizeof *s->inh))) {
		if (s)
			free(s->r);
		free(s);
		return NULL;
	}
	s->rs = rs;
	for (i = 0; i < rs->nr; i++)
		s->r[i].tdue = INT64_MAX;
	return s;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->v[i].key);
	free(t->v);
}

void
grace_rstorm_free(struct grace_rstorm *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->rs->nr; i++) {
		table_free(&s->r[i].d);
		table_free(&s->r[i].t);
	}
	for (i = 0; i < s->rs->ninh; i++)
		table_free(&s->inh[i]);
	free(s->inh);
	free(s->r);
	grace_buf_free(&s->key);
	grace_buf_free(&s->val);
	grace_buf_free(&s->tmp);
	grace_buf_free(&s->ev);
	free(s);
}

/* The key of the event: the JSON object {"path":"value",...}, which is
 * also what a summary reports. */
static int
make_key(struct grace_rstorm *s, const struct grace_rpath *kp, size_t nk,
    const char *p, size_t n)
{
	size_t i;
	int x = 0;

	grace_buf_reset(&s->key);
	x |= grace_buf_add(&s->key, "{", 1);
	for (i = 0; i < nk; i++) {
		if (grace_jpath_text(p, n, kp[i].segs, kp[i].nsegs, &s->val,
		    &s->tmp) < 0)
			return -1;
		if (i)
			x |= grace_buf_add(&s->key, ",", 1);
		x |= grace_buf_add_jstr(&s->key, kp[i].text, strlen(kp[i].text));
		x |= grace_buf_add(&s->key, ":", 1);
		x |= grace_buf_add_jstr(&s->key, s->val.p, s->val.len);
	}
	x |= grace_buf_add(&s->key, "}", 1);
	return x ? -1 : 0;
}

static void
fmt_time(int64_t ms, char out[GRACE_TIME_LEN])
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	ts.tv_nsec = (long)(ms - (int64_t)ts.tv_sec * 1000) * 1000000L;
	if (grace_time_format(NULL, &ts, out) < 0)
		strcpy(out, "0000-00-00T00:00:00.000000Z");
}

/* The route.throttled summary of entry e of route ri. */
static int
summary(struct grace_rstorm *s, size_t ri, struct ent *e,
    grace_rstorm_emit_fn *emit, void *arg, struct grace_err *err)
{
	const struct grace_rroute *r = &s->rs->r[ri];
	char from[GRACE_TIME_LEN], to[GRACE_TIME_LEN], iv[GRACE_DURATION_LEN];
	int x = 0;

	fmt_time(e->start, from);
	fmt_time(e->start + r->tinterval_ms, to);
	grace_duration_format(r->tinterval_ms, iv, sizeof iv);
	grace_buf_reset(&s->ev);
	x |= grace_buf_addf(&s->ev, "{\"type\":\"route.throttled\","
	    "\"source\":\"grace-route\",\"time\":\"%s\",\"data\":{\"route\":",
	    to);
	x |= grace_buf_add_jstr(&s->ev, r->name, strlen(r->name));
	x |= grace_buf_adds(&s->ev, ",\"key\":");
	x |= grace_buf_add(&s->ev, e->key, e->klen);
	x |= grace_buf_addf(&s->ev, ",\"held\":%llu,\"limit\":%llu,"
	    "\"interval\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}}",
	    (unsigned long long)e->held, (unsigned long long)r->tlimit, iv,
	    from, to);
	if (x)
		return grace_err_sys(err, NULL, "out of memory");
	e->held = 0;
	return emit(arg, ri, s->ev.p, s->ev.len, err);
}

/* Emit the summaries of route ri's intervals that ended by now
 * (all of them when now is INT64_MAX). */
static int
due(struct grace_rstorm *s, size_t ri, int64_t now,
    grace_rstorm_emit_fn *emit, void *arg, struct grace_err *err)
{
	struct rstate *st = &s->r[ri];
	int64_t iv = s->rs->r[ri].tinterval_ms, next = INT64_MAX;
	size_t i;

	if (st->tdue > now)
		return 0;
	for (i = 0; i < st->t.cap; i++) {
		struct ent *e = &st->t.v[i];

		if (!e->key || !e->held)
			continue;
		if (now == INT64_MAX || e->start + iv <= now) {
			if (summary(s, ri, e, emit, arg, err) < 0)
				return -1;
		} else if (e->start + iv < next) {
			next = e->start + iv;
		}
	}
	st->tdue = next;
	return 0;
}

#define EXPLAIN(...) do { if (explain && grace_buf_addf(explain, \
	__VA_ARGS__) < 0) goto nomem; } while (0)

int
grace_rstorm_apply(struct grace_rstorm *s, struct grace_rmatch *m,
    const char *p, size_t n, int64_t now, grace_rstorm_emit_fn *emit,
    void *arg, struct grace_buf *explain, struct grace_err *e)
{
	const struct grace_routes *rs = s->rs;
	size_t i, j, nsupp = 0;
	long first = -1;

	for (i = 0; i < rs->nr; i++)
		if (rs->r[i].tlimit && due(s, i, now, emit, arg, e) < 0)
			return -1;
	if (m->quarantined >= 0)
		return 0;
	for (i = 0; i < rs->ninh; i++) {
		const struct grace_rinhibit *h = &rs->inh[i];
		int src = grace_rsel_match(&h->src, p, n, m);
		int dst = grace_rsel_match(&h->dst, p, n, m);
		struct ent *en;

		if (src < 0 || dst < 0)
			goto nomem;
		if (!src && !dst)
			continue;
		if (make_key(s, h->equal, h->nequal, p, n) < 0 ||
		    !(en = get(&s->inh[i], s->key.p, s->key.len, h->ttl_ms,
		    now)))
			goto nomem;
		if (dst && !src && m->inhibited < 0 && en->start != INT64_MIN &&
		    now >= en->start && now - en->start < h->ttl_ms) {
			m->inhibited = (long)i;
			EXPLAIN("  inhibit %s: inhibited: key %s active since "
			    "%lldms, ttl %lldms\n", h->name, s->key.p,
			    (long long)(now - en->start), (long long)h->ttl_ms);
		}
		if (src && (en->start == INT64_MIN || now > en->start))
			en->start = now;
	}
	for (i = 0; m->inhibited < 0 && i < rs->nsil; i++) {
		const struct grace_rsilence *z = &rs->sil[i];
		int t;

		if (now < z->starts_ms || now >= z->ends_ms)
			continue;
		if ((t = grace_rsel_match(&z->sel, p, n, m)) < 0)
			goto nomem;
		if (t) {
			m->silenced = (long)i;
			EXPLAIN("  silence %s: silenced (set by %s: %s)\n",
			    z->id, z->by, z->why);
			break;
		}
	}
	if (m->inhibited >= 0 || m->silenced >= 0) {
		if (m->inhibited >= 0)
			s->inhibited++;
		else
			s->silenced++;
		for (i = 0; i < m->ntargets; i++)
			m->seen[m->targets[i]] = 0;
		m->ntargets = 0;
		m->unmatched = 0;
		return 0;
	}
	if (m->unmatched)
		return 0;
	for (i = 0; i < m->nroutes; i++) {
		size_t ri = m->routes[i];
		const struct grace_rroute *r = &rs->r[ri];
		struct rstate *st = &s->r[ri];
		struct ent *en;

		m->supp[i] = GRACE_RSUP_NONE;
		if (r->dwindow_ms) {
			if (make_key(s, r->dkey, r->ndkey, p, n) < 0 ||
			    !(en = get(&st->d, s->key.p, s->key.len,
			    r->dwindow_ms, now)))
				goto nomem;
			if (en->start != INT64_MIN &&
			    now - en->start < r->dwindow_ms) {
				s->deduped++;
				m->supp[i] = GRACE_RSUP_DEDUPED;
				EXPLAIN("  route %s: deduped: key %s seen %lldms "
				    "before, window %lldms\n", r->name, s->key.p,
				    (long long)(now - en->start),
				    (long long)r->dwindow_ms);
			} else {
				en->start = now;
				en->held = 0;
			}
		}
		if (!m->supp[i] && r->tlimit) {
			if (make_key(s, r->tkey, r->ntkey, p, n) < 0 ||
			    !(en = get(&st->t, s->key.p, s->key.len,
			    r->tinterval_ms, now)))
				goto nomem;
			if (en->start == INT64_MIN ||
			    now - en->start >= r->tinterval_ms) {
				if (en->held && summary(s, ri, en, emit, arg,
				    e) < 0)
					return -1;
				en->start = now;
				en->count = 0;
			}
			if (++en->count > r->tlimit) {
				en->held++;
				s->throttled++;
				m->supp[i] = GRACE_RSUP_THROTTLED;
				if (en->start + r->tinterval_ms < st->tdue)
					st->tdue = en->start + r->tinterval_ms;
				EXPLAIN("  route %s: throttled: key %s, %llu "
				    "events this interval, limit %llu\n",
				    r->name, s->key.p,
				    (unsigned long long)en->count,
				    (unsigned long long)r->tlimit);
			}
		}
		if (m->supp[i]) {
			nsupp++;
			if (first < 0)
				first = (long)ri;
		}
	}
	if (!nsupp)
		return 0;
	/* The targets of the routes that let it through. */
	for (i = 0; i < m->ntargets; i++)
		m->seen[m->targets[i]] = 0;
	m->ntargets = 0;
	for (i = 0; i < m->nroutes; i++) {
		const struct grace_rroute *r = &rs->r[m->routes[i]];

		if (m->supp[i])
			continue;
		for (j = 0; j < r->ntargets; j++) {
			if (!m->seen[r->targets[j]]) {
				m->seen[r->targets[j]] = 1;
				m->targets[m->ntargets++] = r->targets[j];
			}
		}
	}
	if (nsupp == m->nroutes)
		m->suppressed = first;
	return 0;
nomem:
	return grace_err_sys(e, NULL, "out of memory");
}

int
grace_rstorm_flush(struct grace_rstorm *s, grace_rstorm_emit_fn *emit,
    void *arg, struct grace_err *e)
{
	size_t i;

	for (i = 0; i < s->rs->nr; i++)
		if (s->rs->r[i].tlimit && due(s, i, INT64_MAX, emit, arg, e) < 0)
			return -1;
	return 0;
}

void
grace_rstorm_counts(const struct grace_rstorm *s, uint64_t *deduped,
    uint64_t *throttled, uint64_t *inhibited, uint64_t *silenced)
{
	*deduped = s->deduped;
	*throttled = s->throttled;
	*inhibited = s->inhibited;
	*silenced = s->silenced;
}
