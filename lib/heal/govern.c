/* govern.c - what may run: the remediation budget, cool-downs, a breaker
 * per playbook, the loop guard, and proposals waiting for approval
 * (grace-playbook(5), POLICY; grace-heal(1), GOVERNANCE).
 *
 * State per component (by name): when it last became healthy, and per
 * playbook that ran for it the start times of its recent runs (at most
 * budget_max are needed to count the budget) and when the last one ended.
 * State per playbook: its breaker. Nothing here reads a clock: every call
 * passes the time.
 */
#include <stdlib.h>
#include <string.h>

#include "heal.h"
#include "jqx.h"
#include "timeutil.h"

#define MAX_STARTS 64           /* runs remembered per (playbook, component) */
#define MAX_DONE 4096           /* healings remembered as run */

struct prun {
	size_t pb;
	int64_t starts[MAX_STARTS]; /* ring: the latest run starts */
	size_t nstarts, head;
	int64_t last_end;           /* -1: never ran */
};

struct comp {
	char *name;
	int64_t healthy_since;      /* -1: not healthy (or not known to be) */
	struct prun *runs;
	size_t nruns;
};

enum { BR_CLOSED, BR_OPEN, BR_HALF };

struct breaker {
	int state;
	uint64_t runs, fails;       /* since it last closed */
	int64_t opened_at;
	int probing;                /* half open: the probe is out */
};

struct pending {
	char *id;
	int64_t expires_ms;
	char *ev;
	size_t n;
};

struct grace_hgov {
	const struct grace_playbooks *pbs;
	struct comp *c;             /* open addressing, cap a power of 2 */
	size_t nc, cap;
	struct breaker *br;         /* one per playbook */
	struct pending *pend;
	size_t npend, cappend;
	char *done[MAX_DONE];       /* ring: the ids of healings that ran */
	size_t ndone, donehead;
};

static const char *const refuse_names[] = {
	"ok", "budget", "cooldown", "breaker", "loop",
};

const char *
grace_hrefuse_name(int r)
{
	return r >= 0 && r < (int)(sizeof refuse_names / sizeof *refuse_names) ?
	    refuse_names[r] : "?";
}

struct grace_hgov *
grace_hgov_new(const struct grace_playbooks *pbs)
{
	struct grace_hgov *g = calloc(1, sizeof *g);

	if (!g)
		return NULL;
	g->pbs = pbs;
	g->cap = 64;
	if (!(g->c = calloc(g->cap, sizeof *g->c)) ||
	    !(g->br = calloc(pbs->n ? pbs->n : 1, sizeof *g->br))) {
		grace_hgov_free(g);
		return NULL;
	}
	return g;
}

void
grace_hgov_free(struct grace_hgov *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; g->c && i < g->cap; i++) {
		free(g->c[i].name);
		free(g->c[i].runs);
	}
	free(g->c);
	free(g->br);
	for (i = 0; i < g->npend; i++) {
		free(g->pend[i].id);
		free(g->pend[i].ev);
	}
	free(g->pend);
	for (i = 0; i < MAX_DONE; i++)
		free(g->done[i]);
	free(g);
}

int
grace_hgov_done(struct grace_hgov *g, const char *id, int add)
{
	size_t i;
	char *c;

	for (i = 0; !add && i < g->ndone; i++)
		if (strcmp(g->done[i], id) == 0)
			return 1;
	if (!add)
		return 0;
	if (!(c = strdup(id)))
		return -1;
	free(g->done[g->donehead]);
	g->done[g->donehead] = c;
	g->donehead = (g->donehead + 1) % MAX_DONE;
	if (g->ndone < MAX_DONE)
		g->ndone++;
	return 0;
}

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static struct comp *
slot(struct comp *t, size_t cap, const char *name)
{
	size_t i = hash(name) & (cap - 1);

	while (t[i].name && strcmp(t[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* The component's record, made when create (NULL: none, or memory). */
static struct comp *
comp_get(struct grace_hgov *g, const char *name, int create)
{
	struct comp *c = slot(g->c, g->cap, name);

	if (c->name || !create)
		return c->name ? c : NULL;
	if ((g->nc + 1) * 2 > g->cap) {
		size_t ncap = g->cap * 2, i;
		struct comp *nt = calloc(ncap, sizeof *nt);

		if (!nt)
			return NULL;
		for (i = 0; i < g->cap; i++)
			if (g->c[i].name)
				*slot(nt, ncap, g->c[i].name) = g->c[i];
		free(g->c);
		g->c = nt;
		g->cap = ncap;
		c = slot(g->c, g->cap, name);
	}
	if (!(c->name = strdup(name)))
		return NULL;
	c->healthy_since = -1;
	g->nc++;
	return c;
}

static struct prun *
prun_get(struct comp *c, size_t pb, int create)
{
	struct prun *nr;
	size_t i;

	for (i = 0; i < c->nruns; i++)
		if (c->runs[i].pb == pb)
			return &c->runs[i];
	if (!create || !(nr = realloc(c->runs, (c->nruns + 1) * sizeof *nr)))
		return NULL;
	c->runs = nr;
	memset(&nr[c->nruns], 0, sizeof *nr);
	nr[c->nruns].pb = pb;
	nr[c->nruns].last_end = -1;
	return &nr[c->nruns++];
}

/* Runs of r that started within window ms before now. */
static uint64_t
runs_within(const struct prun *r, int64_t now, int64_t window)
{
	uint64_t k = 0;
	size_t i;

	for (i = 0; i < r->nstarts; i++)
		if (window <= 0 || r->starts[i] >= now - window)
			k++;
	return k;
}

static void
dur(int64_t ms, char *out)
{
	if (grace_duration_format(ms < 0 ? 0 : ms, out, GRACE_DURATION_LEN) < 0)
		strcpy(out, "?");
}

int
grace_hgov_check(struct grace_hgov *g, size_t pb, const char *component,
    unsigned hop, int64_t now_ms, struct grace_buf *why)
{
	const struct grace_playbook *p = &g->pbs->v[pb];
	const struct grace_hpolicy *pol = &p->policy;
	struct breaker *b = &g->br[pb];
	struct comp *c = comp_get(g, component, 0);
	struct prun *r = c ? prun_get(c, pb, 0) : NULL;
	char d1[GRACE_DURATION_LEN], d2[GRACE_DURATION_LEN];

	if (pol->max_hops && hop > pol->max_hops) {
		grace_buf_addf(why, "loop guard: hop %u is over max_hops %u of "
		    "playbook '%s'", hop, pol->max_hops, p->name);
		return GRACE_HGOV_LOOP;
	}
	if (b->state == BR_OPEN && now_ms - b->opened_at < pol->breaker_delay_ms) {
		dur(pol->breaker_delay_ms - (now_ms - b->opened_at), d1);
		grace_buf_addf(why, "breaker open: playbook '%s' failed %llu of "
		    "%llu runs (rate %.15g over at least %llu); a probe in %s",
		    p->name, (unsigned long long)b->fails,
		    (unsigned long long)b->runs, pol->breaker_rate,
		    (unsigned long long)pol->breaker_min_runs, d1);
		return GRACE_HGOV_BREAKER;
	}
	if (b->state == BR_HALF && b->probing) {
		grace_buf_addf(why, "breaker half open: the probe run of "
		    "playbook '%s' has not ended", p->name);
		return GRACE_HGOV_BREAKER;
	}
	if (r && r->last_end >= 0 && pol->cooldown_ms &&
	    now_ms - r->last_end < pol->cooldown_ms) {
		dur(now_ms - r->last_end, d1);
		dur(pol->cooldown_ms, d2);
		grace_buf_addf(why, "cool-down: playbook '%s' ran for '%s' %s ago "
		    "(cooldown %s)", p->name, component, d1, d2);
		return GRACE_HGOV_COOLDOWN;
	}
	if (r && pol->budget_max) {
		uint64_t k = runs_within(r, now_ms, pol->budget_window_ms);

		if (k >= pol->budget_max) {
			dur(pol->budget_window_ms, d1);
			grace_buf_addf(why, "budget: playbook '%s' ran %llu times "
			    "for '%s' within %s (max %llu)", p->name,
			    (unsigned long long)k, component, d1,
			    (unsigned long long)pol->budget_max);
			return GRACE_HGOV_BUDGET;
		}
	}
	return GRACE_HGOV_OK;
}

int
grace_hgov_start(struct grace_hgov *g, size_t pb, const char *component,
    int64_t now_ms)
{
	struct breaker *b = &g->br[pb];
	struct comp *c = comp_get(g, component, 1);
	struct prun *r = c ? prun_get(c, pb, 1) : NULL;

	if (!r)
		return -1;
	if (b->state == BR_OPEN) {
		b->state = BR_HALF;     /* the delay is over: this is the probe */
		b->probing = 1;
	}
	r->starts[r->head] = now_ms;
	r->head = (r->head + 1) % MAX_STARTS;
	if (r->nstarts < MAX_STARTS)
		r->nstarts++;
	return 0;
}

int
grace_hgov_record(struct grace_hgov *g, size_t pb, const char *component,
    enum grace_hout o, int64_t end_ms)
{
	const struct grace_hpolicy *pol = &g->pbs->v[pb].policy;
	struct breaker *b = &g->br[pb];
	struct comp *c = comp_get(g, component, 1);
	struct prun *r = c ? prun_get(c, pb, 1) : NULL;
	int failed = o != GRACE_HOUT_VERIFIED;

	if (!r)
		return -1;
	r->last_end = end_ms;
	if (b->state == BR_HALF) {
		b->probing = 0;
		if (failed) {
			b->state = BR_OPEN;
			b->opened_at = end_ms;
		} else {
			b->state = BR_CLOSED;
			b->runs = b->fails = 0;
		}
		return 0;
	}
	b->runs++;
	b->fails += (uint64_t)failed;
	if (b->state == BR_CLOSED && pol->breaker_rate > 0 &&
	    b->runs >= pol->breaker_min_runs &&
	    (double)b->fails >= pol->breaker_rate * (double)b->runs) {
		b->state = BR_OPEN;
		b->opened_at = end_ms;
	}
	return 0;
}

int
grace_hgov_breaker_state(const struct grace_hgov *g, size_t pb)
{
	return g->br[pb].state;
}

int
grace_hgov_health(struct grace_hgov *g, const char *component, int healthy,
    int64_t t)
{
	struct comp *c = comp_get(g, component, 1);
	size_t i;

	if (!c)
		return -1;
	if (healthy) {
		if (c->healthy_since < 0)
			c->healthy_since = t;
		return 0;
	}
	if (c->healthy_since >= 0) {
		/* a healthy spell long enough forgives the runs before it */
		int64_t spell = t - c->healthy_since;

		for (i = 0; i < c->nruns; i++) {
			const struct grace_hpolicy *pol =
			    &g->pbs->v[c->runs[i].pb].policy;

			if (pol->budget_reset_ms > 0 &&
			    spell >= pol->budget_reset_ms) {
				c->runs[i].nstarts = 0;
				c->runs[i].head = 0;
			}
		}
		c->healthy_since = -1;
	}
	return 0;
}

/* ------------------------------------------------------------ pending */

int
grace_hgov_pend(struct grace_hgov *g, const char *id, int64_t expires_ms,
    const char *ev, size_t n)
{
	struct pending *p;
	size_t i;

	for (i = 0; i < g->npend; i++)
		if (strcmp(g->pend[i].id, id) == 0)
			return 0;   /* held already: the first copy stands */
	if (g->npend == g->cappend) {
		size_t nc = g->cappend ? g->cappend * 2 : 8;
		struct pending *np = realloc(g->pend, nc * sizeof *np);

		if (!np)
			return -1;
		g->pend = np;
		g->cappend = nc;
	}
	p = &g->pend[g->npend];
	if (!(p->id = strdup(id)) || !(p->ev = malloc(n + 1))) {
		free(p->id);
		return -1;
	}
	memcpy(p->ev, ev, n);
	p->ev[n] = '\0';
	p->n = n;
	p->expires_ms = expires_ms;
	g->npend++;
	return 1;
}

char *
grace_hgov_take(struct grace_hgov *g, const char *id, size_t *n)
{
	size_t i;

	for (i = 0; i < g->npend; i++)
		if (strcmp(g->pend[i].id, id) == 0) {
			char *ev = g->pend[i].ev;

			*n = g->pend[i].n;
			free(g->pend[i].id);
			g->pend[i] = g->pend[--g->npend];
			return ev;
		}
	return NULL;
}

size_t
grace_hgov_npending(const struct grace_hgov *g)
{
	return g->npend;
}

const char *
grace_hgov_pending_at(const struct grace_hgov *g, size_t i, size_t *n,
    const char **id, int64_t *expires_ms)
{
	if (i >= g->npend)
		return NULL;
	*n = g->pend[i].n;
	if (id)
		*id = g->pend[i].id;
	if (expires_ms)
		*expires_ms = g->pend[i].expires_ms;
	return g->pend[i].ev;
}

int64_t
grace_hgov_next_expiry(const struct grace_hgov *g)
{
	int64_t t = INT64_MAX;
	size_t i;

	for (i = 0; i < g->npend; i++)
		if (g->pend[i].expires_ms < t)
			t = g->pend[i].expires_ms;
	return t;
}

/* --------------------------------------------------------- save, load */

int
grace_hgov_save(const struct grace_hgov *g, struct grace_buf *out)
{
	size_t i, j, k;
	int x = 0;

	x |= grace_buf_adds(out, "{\"version\":1,\"breakers\":{");
	for (i = k = 0; i < g->pbs->n; i++) {
		const struct breaker *b = &g->br[i];

		if (b->state == BR_CLOSED && !b->runs)
			continue;
		x |= grace_buf_adds(out, k++ ? "," : "");
		x |= grace_buf_add_jstr(out, g->pbs->v[i].name,
		    strlen(g->pbs->v[i].name));
		x |= grace_buf_addf(out, ":{\"state\":%d,\"runs\":%llu,"
		    "\"fails\":%llu,\"opened_at\":%lld}", b->state == BR_HALF ?
		    BR_OPEN : b->state, (unsigned long long)b->runs,
		    (unsigned long long)b->fails, (long long)b->opened_at);
	}
	x |= grace_buf_adds(out, "},\"components\":{");
	for (i = k = 0; i < g->cap; i++) {
		const struct comp *c = &g->c[i];

		if (!c->name)
			continue;
		x |= grace_buf_adds(out, k++ ? "," : "");
		x |= grace_buf_add_jstr(out, c->name, strlen(c->name));
		x |= grace_buf_addf(out, ":{\"healthy_since\":%lld,\"runs\":{",
		    (long long)c->healthy_since);
		for (j = 0; j < c->nruns; j++) {
			const struct prun *r = &c->runs[j];
			size_t s;

			x |= grace_buf_adds(out, j ? "," : "");
			x |= grace_buf_add_jstr(out, g->pbs->v[r->pb].name,
			    strlen(g->pbs->v[r->pb].name));
			x |= grace_buf_addf(out, ":{\"last_end\":%lld,\"starts\":[",
			    (long long)r->last_end);
			for (s = 0; s < r->nstarts; s++)
				x |= grace_buf_addf(out, "%s%lld", s ? "," : "",
				    (long long)r->starts[(r->head + MAX_STARTS -
				    r->nstarts + s) % MAX_STARTS]);
			x |= grace_buf_adds(out, "]}");
		}
		x |= grace_buf_adds(out, "}}");
	}
	x |= grace_buf_adds(out, "},\"pending\":[");
	for (i = 0; i < g->npend; i++) {
		x |= grace_buf_adds(out, i ? "," : "");
		x |= grace_buf_addf(out, "{\"expires\":%lld,\"event\":",
		    (long long)g->pend[i].expires_ms);
		x |= grace_buf_add(out, g->pend[i].ev, g->pend[i].n);
		x |= grace_buf_adds(out, "}");
	}
	x |= grace_buf_adds(out, "],\"done\":[");
	for (i = 0; i < g->ndone; i++) {
		const char *d = g->done[(g->donehead + MAX_DONE - g->ndone + i) %
		    MAX_DONE];

		x |= grace_buf_adds(out, i ? "," : "");
		x |= grace_buf_add_jstr(out, d, strlen(d));
	}
	x |= grace_buf_adds(out, "]}\n");
	return x ? -1 : 0;
}

static long
pb_index(const struct grace_playbooks *pbs, const char *name)
{
	size_t i;

	for (i = 0; i < pbs->n; i++)
		if (strcmp(pbs->v[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int
bad(struct grace_err *e, const char *file, const char *what)
{
	grace_err_set(e, file, 0, 0, "not a grace-heal governance state: %s",
	    what);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* o's member k (o borrowed), or an invalid when o is not an object. */
static jv
member(jv o, const char *k)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(o), jv_string(k));
}

/* Every number of the state is a whole one (counts, Unix ms) that a
 * double holds exactly: within +-2^53. */
static int
whole(jv v, double *out)
{
	double d;

	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return 0;
	d = jv_number_value(v);
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) ||
	    d != (double)(int64_t)d)
		return 0;
	*out = d;
	return 1;
}

static int
num(jv o, const char *k, double *out)
{
	jv v = member(o, k);
	int ok = whole(v, out);

	jv_free(v);
	return ok;
}

/* The breakers and components of doc (borrowed). Playbooks that are no
 * longer defined are dropped. */
static int
restore_doc(struct grace_hgov *g, jv doc, const char *file,
    struct grace_err *e)
{
	jv br = member(doc, "breakers");
	jv cs = member(doc, "components");
	jv pd = member(doc, "pending");
	int it, rc = 0;
	double d;

	if (jv_get_kind(br) != JV_KIND_OBJECT || jv_get_kind(cs) !=
	    JV_KIND_OBJECT || jv_get_kind(pd) != JV_KIND_ARRAY) {
		rc = bad(e, file, "breakers, components or pending missing");
		goto out;
	}
	for (it = jv_object_iter(br); rc == 0 && jv_object_iter_valid(br, it);
	    it = jv_object_iter_next(br, it)) {
		jv k = jv_object_iter_key(br, it), v = jv_object_iter_value(br, it);
		long pb = pb_index(g->pbs, jv_string_value(k));
		double st, runs, fails, at;

		if (jv_get_kind(v) != JV_KIND_OBJECT || !num(v, "state", &st) ||
		    !num(v, "runs", &runs) || !num(v, "fails", &fails) ||
		    !num(v, "opened_at", &at) || (st != BR_CLOSED &&
		    st != BR_OPEN) || runs < 0 || fails < 0 || fails > runs)
			rc = bad(e, file, "a breaker is malformed");
		else if (pb >= 0) {
			g->br[pb].state = (int)st;
			g->br[pb].runs = (uint64_t)runs;
			g->br[pb].fails = (uint64_t)fails;
			g->br[pb].opened_at = (int64_t)at;
		}
		jv_free(k);
		jv_free(v);
	}
	for (it = jv_object_iter(cs); rc == 0 && jv_object_iter_valid(cs, it);
	    it = jv_object_iter_next(cs, it)) {
		jv k = jv_object_iter_key(cs, it), v = jv_object_iter_value(cs, it);
		jv runs = member(v, "runs");
		struct comp *c = NULL;
		int it2;

		if (jv_get_kind(v) != JV_KIND_OBJECT ||
		    !num(v, "healthy_since", &d) ||
		    jv_get_kind(runs) != JV_KIND_OBJECT)
			rc = bad(e, file, "a component is malformed");
		else if (!(c = comp_get(g, jv_string_value(k), 1)))
			rc = grace_err_sys(e, file, "out of memory");
		else
			c->healthy_since = (int64_t)d;
		for (it2 = rc == 0 ? jv_object_iter(runs) : 0; rc == 0 &&
		    jv_object_iter_valid(runs, it2);
		    it2 = jv_object_iter_next(runs, it2)) {
			jv pk = jv_object_iter_key(runs, it2);
			jv pv = jv_object_iter_value(runs, it2);
			jv starts = member(pv, "starts");
			long pb = pb_index(g->pbs, jv_string_value(pk));
			struct prun *r;
			int s, ns;

			if (jv_get_kind(pv) != JV_KIND_OBJECT ||
			    !num(pv, "last_end", &d) ||
			    jv_get_kind(starts) != JV_KIND_ARRAY ||
			    (ns = jv_array_length(jv_copy(starts))) > MAX_STARTS)
				rc = bad(e, file, "a run record is malformed");
			else if (pb >= 0 && !(r = prun_get(c, (size_t)pb, 1)))
				rc = grace_err_sys(e, file, "out of memory");
			else if (pb >= 0) {
				r->last_end = (int64_t)d;
				for (s = 0; rc == 0 && s < ns; s++) {
					jv t = jv_array_get(jv_copy(starts), s);
					double ts;

					if (!whole(t, &ts))
						rc = bad(e, file, "a run start is "
						    "not a time in ms");
					else
						r->starts[r->nstarts++] =
						    (int64_t)ts;
					jv_free(t);
				}
				r->head = r->nstarts % MAX_STARTS;
			}
			jv_free(pk);
			jv_free(pv);
			jv_free(starts);
		}
		jv_free(runs);
		jv_free(k);
		jv_free(v);
	}
	for (it = 0; rc == 0 && it < jv_array_length(jv_copy(pd)); it++) {
		jv p = jv_array_get(jv_copy(pd), it);
		jv ev = member(p, "event");
		jv id = member(ev, "id");

		if (!num(p, "expires", &d) || jv_get_kind(id) != JV_KIND_STRING)
			rc = bad(e, file, "a pending proposal is malformed");
		else {
			jv text = jv_dump_string(jv_copy(ev), 0);

			if (grace_hgov_pend(g, jv_string_value(id), (int64_t)d,
			    jv_string_value(text),
			    (size_t)jv_string_length_bytes(jv_copy(text))) < 0)
				rc = grace_err_sys(e, file, "out of memory");
			jv_free(text);
		}
		jv_free(id);
		jv_free(ev);
		jv_free(p);
	}
	{
		jv dn = member(doc, "done");
		int k, nd = jv_get_kind(dn) == JV_KIND_ARRAY ?
		    jv_array_length(jv_copy(dn)) : -1;

		if (rc == 0 && (nd < 0 || nd > MAX_DONE))
			rc = bad(e, file, "done is not a list of at most 4096 ids");
		for (k = 0; rc == 0 && k < nd; k++) {
			jv id = jv_array_get(jv_copy(dn), k);

			if (jv_get_kind(id) != JV_KIND_STRING)
				rc = bad(e, file, "a done id is not a string");
			else if (grace_hgov_done(g, jv_string_value(id), 1) < 0)
				rc = grace_err_sys(e, file, "out of memory");
			jv_free(id);
		}
		jv_free(dn);
	}
out:
	jv_free(br);
	jv_free(cs);
	jv_free(pd);
	return rc;
}

int
grace_hgov_restore(struct grace_hgov *g, const char *p, size_t n,
    const char *file, struct grace_err *e)
{
	jv doc = grace_jv_parse(p, n), ver;
	int rc;

	if (!jv_is_valid(doc)) {
		jv_free(doc);
		return bad(e, file, "not JSON");
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return bad(e, file, "not an object");
	}
	ver = member(doc, "version");
	if (jv_get_kind(ver) != JV_KIND_NUMBER || jv_number_value(ver) != 1)
		rc = bad(e, file, "not version 1");
	else
		rc = restore_doc(g, doc, file, e);
	jv_free(ver);
	jv_free(doc);
	return rc;
}
