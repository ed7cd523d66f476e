/* cases.c - routes test files: load, run in virtual time. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"
#include "timeutil.h"
#include "yaml.h"

static const char *const reasons[] = { "routed", "unmatched", "quarantined",
	"deduped", "throttled", "inhibited", "silenced", NULL };

static long
target_index(const struct grace_routes *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nt; i++)
		if (strcmp(rs->t[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int
load_expect(const struct grace_routes *rs, struct grace_rexpect *x,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "targets", "reason", "rule", NULL };
	const struct grace_ynode *n;
	const char **list;
	size_t cnt, i;

	x->line = m->line;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "targets"))) {
		if (grace_yaml_as_strlist(n, &list, &cnt, e) < 0)
			return -1;
		x->has_targets = 1;
		if (cnt && !(x->targets = calloc(cnt, sizeof *x->targets))) {
			free(list);
			return grace_err_sys(e, n->file, "out of memory");
		}
		for (i = 0; i < cnt; i++) {
			long t = target_index(rs, list[i]);

			if (t < 0) {
				grace_yaml_err(e, n->kind == GRACE_YSEQ ? n->items[i] : n,
				    "unknown target '%s'", list[i]);
				free(list);
				return -1;
			}
			x->targets[x->ntargets++] = (size_t)t;
		}
		free(list);
	}
	if (grace_yaml_get_string(m, "reason", &x->reason, e) < 0)
		return -1;
	if (x->reason) {
		for (i = 0; reasons[i]; i++)
			if (strcmp(x->reason, reasons[i]) == 0)
				break;
		if (!reasons[i])
			return grace_yaml_err(e, grace_yaml_get(m, "reason"), "unknown reason "
			    "'%s' (expected one of: routed, unmatched, "
			    "quarantined, deduped, throttled, inhibited, "
			    "silenced)",
			    x->reason);
	}
	if (grace_yaml_get_string(m, "rule", &x->rule, e) < 0)
		return -1;
	if (x->rule && strcmp(x->rule, "default") != 0) {
		size_t k;

		for (i = 0; i < rs->nr; i++)
			if (strcmp(rs->r[i].name, x->rule) == 0)
				break;
		for (k = 0; i == rs->nr && k < rs->ninh; k++)
			if (strcmp(rs->inh[k].name, x->rule) == 0)
				i = rs->nr + 1;
		for (k = 0; i == rs->nr && k < rs->nsil; k++)
			if (strcmp(rs->sil[k].id, x->rule) == 0)
				i = rs->nr + 1;
		if (i == rs->nr)
			return grace_yaml_err(e, grace_yaml_get(m, "rule"), "unknown route "
			    "'%s'", x->rule);
	}
	return 0;
}

static int
load_case(const struct grace_routes *rs, struct grace_rcase *c, size_t idx,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "name", "events", "expect",
		"summaries", NULL };
	const struct grace_ynode *ev, *ex, *n;
	size_t i;

	c->line = m->line;
	c->summaries = -1;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !grace_yaml_require(m, "name", e) ||
	    grace_yaml_get_string(m, "name", &c->name, e) < 0 ||
	    !(ev = grace_yaml_require(m, "events", e)) ||
	    !(ex = grace_yaml_require(m, "expect", e)))
		return -1;
	(void)idx;
	if (ev->kind != GRACE_YSEQ || ev->n == 0)
		return grace_yaml_err(e, ev, "events is a list of events (mappings)");
	if (ex->kind != GRACE_YSEQ || ex->n != ev->n)
		return grace_yaml_err(e, ex, "expect is a list with one entry per event "
		    "(%zu)", ev->n);
	if (!(c->events = calloc(ev->n, sizeof *c->events)) ||
	    !(c->expect = calloc(ev->n, sizeof *c->expect)))
		return grace_err_sys(e, m->file, "out of memory");
	for (i = 0; i < ev->n; i++) {
		jv v;

		c->nevents++;
		if (ev->items[i]->kind != GRACE_YMAP)
			return grace_yaml_err(e, ev->items[i], "an event is a mapping, got "
			    "%s", grace_yaml_describe(ev->items[i]));
		v = grace_yaml_to_jv(ev->items[i]);
		v = jv_dump_string(v, 0);
		c->events[i] = strdup(jv_string_value(v));
		jv_free(v);
		if (!c->events[i])
			return grace_err_sys(e, m->file, "out of memory");
		if (load_expect(rs, &c->expect[i], ex->items[i], e) < 0)
			return -1;
	}
	if ((n = grace_yaml_get(m, "summaries"))) {
		int64_t v;

		if (grace_yaml_as_int(n, &v, e) < 0)
			return -1;
		if (v < 0)
			return grace_yaml_err(e, n, "summaries is a count, not %lld",
			    (long long)v);
		c->summaries = (long)v;
	}
	return 0;
}

int
grace_rcases_load(const char *path, const struct grace_routes *rs,
    struct grace_rcases *cs, struct grace_err *e)
{
	static const char *const keys[] = { "cases", NULL };
	struct grace_ynode *root;
	const struct grace_ynode *l;
	size_t i;

	memset(cs, 0, sizeof *cs);
	if (!(root = grace_yaml_load_file(path, e)))
		return -1;
	cs->root_ = root;
	if (grace_yaml_expect(root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(root, keys, e) < 0 ||
	    !(l = grace_yaml_require(root, "cases", e)))
		goto fail;
	if (l->kind != GRACE_YSEQ || l->n == 0) {
		grace_yaml_err(e, l, "cases is a list of test cases");
		goto fail;
	}
	if (!(cs->v = calloc(l->n, sizeof *cs->v))) {
		grace_err_sys(e, path, "out of memory");
		goto fail;
	}
	for (i = 0; i < l->n; i++) {
		cs->n++;
		if (load_case(rs, &cs->v[i], i, l->items[i], e) < 0)
			goto fail;
	}
	return 0;
fail:
	grace_rcases_free(cs);
	return -1;
}

void
grace_rcases_free(struct grace_rcases *cs)
{
	size_t i, j;

	for (i = 0; i < cs->n; i++) {
		for (j = 0; j < cs->v[i].nevents; j++) {
			free(cs->v[i].events[j]);
			free(cs->v[i].expect[j].targets);
		}
		free(cs->v[i].events);
		free(cs->v[i].expect);
	}
	free(cs->v);
	grace_yaml_free(cs->root_);
	memset(cs, 0, sizeof *cs);
}

struct runctx {
	long summaries;
};

static int
count_summary(void *arg, size_t route, const char *ev, size_t n,
    struct grace_err *e)
{
	(void)route;
	(void)ev;
	(void)n;
	(void)e;
	((struct runctx *)arg)->summaries++;
	return 0;
}

static const char *
reason_of(const struct grace_rmatch *m)
{
	size_t i;

	if (m->inhibited >= 0)
		return "inhibited";
	if (m->silenced >= 0)
		return "silenced";
	if (m->unmatched)
		return "unmatched";
	if (m->quarantined >= 0)
		return "quarantined";
	if (m->suppressed >= 0) {
		for (i = 0; i < m->nroutes; i++)
			if (m->routes[i] == (size_t)m->suppressed)
				break;
		return m->supp[i] == GRACE_RSUP_DEDUPED ? "deduped" :
		    "throttled";
	}
	return "routed";
}

static const char *
rule_of(const struct grace_routes *rs, const struct grace_rmatch *m)
{
	if (m->inhibited >= 0)
		return rs->inh[m->inhibited].name;
	if (m->silenced >= 0)
		return rs->sil[m->silenced].id;
	if (m->unmatched)
		return "default";
	if (m->quarantined >= 0)
		return rs->r[m->quarantined].name;
	if (m->suppressed >= 0)
		return rs->r[m->suppressed].name;
	return m->nroutes ? rs->r[m->routes[0]].name : "";
}

static void
names(struct grace_buf *b, const struct grace_routes *rs, const size_t *t,
    size_t n)
{
	size_t i;

	grace_buf_add(b, "[", 1);
	for (i = 0; i < n; i++)
		grace_buf_addf(b, "%s%s", i ? ", " : "", rs->t[t[i]].name);
	grace_buf_add(b, "]", 1);
}

static int
same_set(const size_t *a, size_t na, const size_t *b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && b[j] != a[i]; j++)
			;
		if (j == nb)
			return 0;
	}
	return 1;
}

int
grace_rcase_run(const struct grace_routes *rs, const struct grace_rcase *c,
    struct grace_buf *why, struct grace_err *e)
{
	static const char *const keys[] = { "source", "type", "time" };
	struct grace_rstorm *st = grace_rstorm_new(rs);
	struct grace_rmatch m;
	struct runctx rc = { 0 };
	size_t i;
	int ok = 1, r;

	if (!st || grace_rmatch_init(&m, rs) < 0) {
		grace_rstorm_free(st);
		return grace_err_sys(e, NULL, "out of memory");
	}
	for (i = 0; i < c->nevents && ok; i++) {
		const char *p = c->events[i];
		size_t n = strlen(p);
		const struct grace_rexpect *x = &c->expect[i];
		struct grace_jspan f[3];
		struct grace_err je;
		struct timespec ts;
		int64_t now;
		const char *got;

		if (grace_json_scan(p, n, keys, 3, f, "case", i + 1, e) < 0) {
			ok = -1;
			break;
		}
		if (f[2].kind != GRACE_J_STRING || grace_time_parse(p + f[2].off + 1,
		    f[2].len - 2, &ts, NULL) < 0)
			clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		r = grace_routes_match(rs, p, n, &f[0], &f[1], &m, NULL, &je);
		if (r < 0 && je.code != GRACE_EXIT_INPUT) {
			*e = je;
			ok = -1;
			break;
		}
		if (r < 0) {
			grace_buf_addf(why, "event %zu: %s", i + 1, je.msg);
			ok = 0;
			break;
		}
		if (grace_rstorm_apply(st, &m, p, n, now, count_summary, &rc,
		    NULL, e) < 0) {
			ok = -1;
			break;
		}
		got = reason_of(&m);
		if (x->reason && strcmp(x->reason, got) != 0) {
			grace_buf_addf(why, "event %zu (line %lu): expected %s, "
			    "got %s (by %s)", i + 1, x->line, x->reason, got,
			    rule_of(rs, &m));
			ok = 0;
		} else if (x->rule && strcmp(x->rule, rule_of(rs, &m)) != 0) {
			grace_buf_addf(why, "event %zu (line %lu): expected rule "
			    "%s, got %s", i + 1, x->line, x->rule,
			    rule_of(rs, &m));
			ok = 0;
		} else if (x->has_targets && !same_set(x->targets, x->ntargets,
		    m.targets, m.ntargets)) {
			grace_buf_addf(why, "event %zu (line %lu): expected "
			    "targets ", i + 1, x->line);
			names(why, rs, x->targets, x->ntargets);
			grace_buf_adds(why, ", got ");
			names(why, rs, m.targets, m.ntargets);
			ok = 0;
		}
	}
	if (ok == 1 && grace_rstorm_flush(st, count_summary, &rc, e) < 0)
		ok = -1;
	if (ok == 1 && c->summaries >= 0 && rc.summaries != c->summaries) {
		grace_buf_addf(why, "expected %ld route.throttled summaries, got "
		    "%ld", c->summaries, rc.summaries);
		ok = 0;
	}
	grace_rmatch_free(&m);
	grace_rstorm_free(st);
	return ok;
}
