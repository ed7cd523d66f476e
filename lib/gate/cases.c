/* cases.c - policy test files (grace-gate --test): events with votes
 * and the verdict expected of each, run against a governance. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gate_int.h"
#include "timeutil.h"

#define UNSET INT64_MIN

struct tvote {
	char *request;          /* NULL: the case event's id */
	char *voter;
	int approve;
	int64_t t;              /* UNSET: the run's now */
};

struct tcase {
	char *name;
	char *event;            /* JSON text */
	size_t len;
	char *id;               /* the event's id, or NULL */
	struct tvote *v;
	size_t nv;
	jv expect;              /* object: member -> expected value */
	unsigned long line;
};

struct grace_gov_tests {
	struct grace_ynode *root;
	int64_t now;            /* UNSET: the caller's */
	struct tvote *v;        /* file-level votes */
	size_t nv;
	struct tcase *c;
	size_t nc;
};

static int
time_node(const struct grace_ynode *n, int64_t *ms, struct grace_err *e)
{
	struct timespec ts;
	const char *s;

	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (grace_time_parse(s, strlen(s), &ts, NULL) < 0)
		return grace_yaml_err(e, n, "expected an RFC 3339 time such as "
		    "2026-11-21T10:00:00Z, got '%s'", s);
	*ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

static int
votes_parse(const struct grace_ynode *n, struct tvote **out, size_t *nout,
    int need_request, struct grace_err *e)
{
	static const char *const keys[] = {
		"request", "voter", "vote", "time", NULL,
	};
	size_t i;

	if (grace_yaml_expect(n, GRACE_YSEQ, e) < 0)
		return -1;
	if (!(*out = calloc(n->n + 1, sizeof **out)))
		return grace_err_sys(e, NULL, "out of memory");
	for (i = 0; i < n->n; i++) {
		const struct grace_ynode *m = n->items[i], *x;
		struct tvote *v = &(*out)[i];
		const char *s;

		*nout = i + 1;
		v->t = UNSET;
		if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(m, keys, e) < 0)
			return -1;
		if (need_request && !grace_yaml_require(m, "request", e))
			return -1;
		if (grace_yaml_get_string(m, "request", &s, e) < 0)
			return -1;
		if (grace_yaml_get(m, "request") && !(v->request = strdup(s)))
			return grace_err_sys(e, NULL, "out of memory");
		if (!grace_yaml_require(m, "voter", e) ||
		    grace_yaml_get_string(m, "voter", &s, e) < 0)
			return -1;
		if (!(v->voter = strdup(s)))
			return grace_err_sys(e, NULL, "out of memory");
		if (!(x = grace_yaml_require(m, "vote", e)) ||
		    grace_yaml_as_string(x, &s, e) < 0)
			return -1;
		if (strcmp(s, "approve") != 0 && strcmp(s, "reject") != 0)
			return grace_yaml_err(e, x, "vote must be approve or reject, not "
			    "'%s'", s);
		v->approve = s[0] == 'a';
		if ((x = grace_yaml_get(m, "time")) && time_node(x, &v->t, e) < 0)
			return -1;
	}
	return 0;
}

static void
votes_free(struct tvote *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].request);
		free(v[i].voter);
	}
	free(v);
}

void
grace_gov_tests_free(struct grace_gov_tests *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nc; i++) {
		free(t->c[i].name);
		free(t->c[i].event);
		free(t->c[i].id);
		votes_free(t->c[i].v, t->c[i].nv);
		jv_free(t->c[i].expect);
	}
	free(t->c);
	votes_free(t->v, t->nv);
	grace_yaml_free(t->root);
	free(t);
}

static int
case_parse(const struct grace_ynode *m, struct tcase *c, struct grace_err *e)
{
	static const char *const keys[] = {
		"name", "event", "votes", "expect", NULL,
	};
	static const char *const ekeys[] = {
		"decision", "rules", "reasons", "risk", "trust", "mode",
		"approvals", "obligations", "owner", "link", "error", NULL,
	};
	static const char *const decisions[] = {
		"allow", "warn", "review", "deny", "error", NULL,
	};
	const struct grace_ynode *ev, *ex, *n;
	const char *s;
	jv j;
	size_t i;

	c->expect = jv_invalid();
	c->line = m->line;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !grace_yaml_require(m, "name", e) ||
	    grace_yaml_get_string(m, "name", &s, e) < 0)
		return -1;
	if (!(c->name = strdup(s)))
		return grace_err_sys(e, NULL, "out of memory");
	if (!(ev = grace_yaml_require(m, "event", e)) ||
	    !(ex = grace_yaml_require(m, "expect", e)))
		return -1;
	if (ev->kind == GRACE_YMAP) {
		j = jv_dump_string(grace_yaml_to_jv(ev), 0);
		c->event = strdup(jv_string_value(j));
		jv_free(j);
	} else if (ev->kind == GRACE_YSCALAR && ev->type == GRACE_YT_STR) {
		c->event = strdup(ev->str);
	} else {
		return grace_yaml_err(e, ev, "event: is a mapping, or a string holding one "
		    "JSON object, not %s", grace_yaml_describe(ev));
	}
	if (!c->event)
		return grace_err_sys(e, NULL, "out of memory");
	c->len = strlen(c->event);
	j = grace_jv_parse(c->event, c->len);
	if (jv_get_kind(j) != JV_KIND_OBJECT) {
		jv_free(j);
		return grace_yaml_err(e, ev, "event: is not a JSON object");
	}
	j = jv_object_get(j, jv_string("id"));
	if (jv_get_kind(j) == JV_KIND_STRING &&
	    !(c->id = strdup(jv_string_value(j)))) {
		jv_free(j);
		return grace_err_sys(e, NULL, "out of memory");
	}
	jv_free(j);
	if ((n = grace_yaml_get(m, "votes"))) {
		if (votes_parse(n, &c->v, &c->nv, 0, e) < 0)
			return -1;
		for (i = 0; i < c->nv; i++)
			if (!c->v[i].request && !c->id)
				return grace_yaml_err(e, n->items[i], "this vote needs "
				    "request: (the case's event has no string "
				    "id)");
	}
	if (ex->kind == GRACE_YSCALAR) {
		if (grace_yaml_as_string(ex, &s, e) < 0)
			return -1;
		c->expect = jv_object_set(jv_object(), jv_string("decision"),
		    jv_string(s));
		n = ex;
	} else {
		if (grace_yaml_expect(ex, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(ex, ekeys, e) < 0 ||
		    !(n = grace_yaml_require(ex, "decision", e)) ||
		    grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		c->expect = grace_yaml_to_jv(ex);
	}
	for (i = 0; decisions[i] && strcmp(decisions[i], s) != 0; i++)
		;
	if (!decisions[i])
		return grace_yaml_err(e, n, "decision must be allow, warn, review, deny or "
		    "error, not '%s'", s);
	return 0;
}

struct grace_gov_tests *
grace_gov_tests_load(const char *path, struct grace_err *e)
{
	static const char *const keys[] = { "now", "votes", "cases", NULL };
	struct grace_gov_tests *t = calloc(1, sizeof *t);
	const struct grace_ynode *n, *cs;
	size_t i;

	if (!t) {
		grace_err_sys(e, NULL, "out of memory");
		return NULL;
	}
	t->now = UNSET;
	if (!(t->root = grace_yaml_load_file(path, e)))
		goto fail;
	if (grace_yaml_expect(t->root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(t->root, keys, e) < 0 ||
	    !(cs = grace_yaml_require(t->root, "cases", e)) ||
	    grace_yaml_expect(cs, GRACE_YSEQ, e) < 0)
		goto fail;
	if ((n = grace_yaml_get(t->root, "now")) && time_node(n, &t->now, e) < 0)
		goto fail;
	if ((n = grace_yaml_get(t->root, "votes")) &&
	    votes_parse(n, &t->v, &t->nv, 1, e) < 0)
		goto fail;
	if (cs->n == 0) {
		grace_yaml_err(e, cs, "cases: is empty: nothing to test");
		goto fail;
	}
	if (!(t->c = calloc(cs->n, sizeof *t->c))) {
		grace_err_sys(e, NULL, "out of memory");
		goto fail;
	}
	for (i = 0; i < cs->n; i++) {
		t->nc = i + 1;
		if (case_parse(cs->items[i], &t->c[i], e) < 0)
			goto fail;
	}
	return t;
fail:
	grace_gov_tests_free(t);
	return NULL;
}

size_t
grace_gov_tests_count(const struct grace_gov_tests *t)
{
	return t->nc;
}

const char *
grace_gov_tests_name(const struct grace_gov_tests *t, size_t i)
{
	return t->c[i].name;
}

static int
add_votes(struct grace_votes *vs, const struct tvote *v, size_t n,
    const char *id, int64_t now, struct grace_err *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (grace_votes_add(vs, v[i].request ? v[i].request : id,
		    v[i].voter, v[i].approve, v[i].t == UNSET ? now : v[i].t,
		    e) < 0)
			return -1;
	return 0;
}

/* jv text for messages; consumes v. */
static void
add_jv(struct grace_buf *b, jv v)
{
	jv s = jv_dump_string(v, 0);

	grace_buf_adds(b, jv_string_value(s));
	jv_free(s);
}

int
grace_gov_tests_run(struct grace_gov *g, const struct grace_gov_tests *t,
    size_t i, const struct grace_votes *extra, int64_t now_ms,
    struct grace_buf *why, struct grace_err *e)
{
	static const char *const gkeys[] = { "grace" };
	const struct tcase *c = &t->c[i];
	struct grace_votes *vs = grace_votes_new();
	struct grace_gov_verdict v;
	struct grace_gov_opts o;
	struct grace_jspan *found = NULL;
	jv got = jv_invalid(), keys;
	size_t k;
	int r = -1, ok = 1;

	grace_gov_verdict_init(&v);
	memset(&o, 0, sizeof o);
	o.now_ms = t->now != UNSET ? t->now : now_ms;
	if (!vs)
		goto nomem;
	grace_votes_chain(vs, extra);
	if (add_votes(vs, t->v, t->nv, NULL, o.now_ms, e) < 0 ||
	    add_votes(vs, c->v, c->nv, c->id, o.now_ms, e) < 0)
		goto out;
	o.votes = vs;
	if (!(found = calloc(1, sizeof *found)))
		goto nomem;
	if (grace_json_scan(c->event, c->len, gkeys, 1, found, "event", 1,
	    e) < 0) {
		grace_err_set(e, t->root->file, c->line, 0, "case '%s': the "
		    "event is not valid JSON", c->name);
		e->code = GRACE_EXIT_USAGE;
		goto out;
	}
	if (found[0].kind != GRACE_J_NONE && found[0].kind != GRACE_J_OBJECT) {
		grace_err_set(e, t->root->file, c->line, 0, "case '%s': member "
		    "'grace' is not an object", c->name);
		e->code = GRACE_EXIT_USAGE;
		goto out;
	}
	if (grace_gov_judge(g, &o, c->event, c->len, &v, e) < 0)
		goto out;
	got = grace_jv_parse(v.json.p, v.json.len);
	keys = jv_keys_unsorted(jv_copy(c->expect));
	for (k = 0; k < (size_t)jv_array_length(jv_copy(keys)); k++) {
		jv key = jv_array_get(jv_copy(keys), (int)k);
		jv want = jv_object_get(jv_copy(c->expect), jv_copy(key));
		jv have = jv_object_get(jv_copy(got), jv_copy(key));

		if (jv_get_kind(have) == JV_KIND_INVALID) {
			jv_free(have);
			have = jv_null();
		}
		if (!jv_equal(jv_copy(want), jv_copy(have))) {
			if (!ok)
				grace_buf_adds(why, "; ");
			ok = 0;
			grace_buf_adds(why, jv_string_value(key));
			grace_buf_adds(why, ": expected ");
			add_jv(why, jv_copy(want));
			grace_buf_adds(why, ", got ");
			add_jv(why, jv_copy(have));
		}
		jv_free(key);
		jv_free(want);
		jv_free(have);
	}
	jv_free(keys);
	if (!ok) {
		grace_buf_adds(why, " (rules: ");
		grace_buf_adds(why, v.rules.len ? v.rules.p : "none");
		grace_buf_adds(why, ")");
	}
	r = ok;
	goto out;
nomem:
	grace_err_sys(e, NULL, "out of memory");
out:
	jv_free(got);
	free(found);
	grace_gov_verdict_free(&v);
	grace_votes_free(vs);
	return r;
}
