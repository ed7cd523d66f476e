/* cases.c - grace-decide --test: load a case file (events with
 * their expected decisions) and check decisions against it. Not on the
 * hot path: expectations are compared as jv. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "jqx.h"
#include "yaml.h"

static const char *const case_keys[] = { "name", "event", "expect", NULL };
static const char *const expect_keys[] = {
	"verdict", "decided_by", "score", "confidence", "rules", "reasons",
	"routes", "obligations", "advice", NULL,
};

static int
node_err(struct grace_err *e, const struct grace_ynode *n, const char *what,
    const char *detail)
{
	grace_err_set(e, n->file, n->line, n->col, "%s%s", what, detail);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

static int
oom(struct grace_err *e)
{
	errno = ENOMEM;
	return grace_err_sys(e, NULL, "out of memory");
}

static int
check_verdict(const struct grace_ynode *n, struct grace_err *e)
{
	const char *s;
	enum grace_verdict v;

	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (grace_verdict_parse(s, &v) < 0)
		return node_err(e, n, "unknown verdict (expected approve, hold, "
		    "escalate or reject): ", s);
	return 0;
}

static int
check_expect(const struct grace_ynode *x, struct grace_err *e)
{
	const struct grace_ynode *v;
	const char *s;
	enum grace_dinput in;
	double d;
	size_t i;

	if (x->kind == GRACE_YSCALAR)
		return check_verdict(x, e);
	if (grace_yaml_check_keys(x, expect_keys, e) < 0)
		return -1;
	if (x->n == 0)
		return node_err(e, x, "expect: give at least one expectation", "");
	if ((v = grace_yaml_get(x, "verdict")) && check_verdict(v, e) < 0)
		return -1;
	if ((v = grace_yaml_get(x, "decided_by"))) {
		if (grace_yaml_as_string(v, &s, e) < 0)
			return -1;
		if (strcmp(s, "weights") && grace_dinput_parse(s, &in) < 0)
			return node_err(e, v, "unknown decided_by (expected an "
			    "input name or weights): ", s);
	}
	if ((v = grace_yaml_get(x, "score")) &&
	    !(v->kind == GRACE_YSCALAR && v->type == GRACE_YT_NULL) &&
	    grace_yaml_as_number(v, &d, e) < 0)
		return -1;
	if ((v = grace_yaml_get(x, "confidence")) &&
	    grace_yaml_as_number(v, &d, e) < 0)
		return -1;
	for (i = 4; expect_keys[i]; i++)
		if ((v = grace_yaml_get(x, expect_keys[i])) &&
		    grace_yaml_expect(v, GRACE_YSEQ, e) < 0)
			return -1;
	return 0;
}

static int
load_case(struct grace_dcase *c, const struct grace_ynode *m,
    struct grace_err *e)
{
	const struct grace_ynode *v, *x;
	struct grace_err se;
	const char *s;

	if (grace_yaml_check_keys(m, case_keys, e) < 0)
		return -1;
	if (!(v = grace_yaml_require(m, "name", e)) ||
	    grace_yaml_as_string(v, &s, e) < 0)
		return -1;
	if (!(c->name = strdup(s)))
		return oom(e);
	if (!(v = grace_yaml_require(m, "event", e)))
		return -1;
	c->line = v->line;
	c->col = v->col;
	if (v->kind == GRACE_YMAP) {
		jv j = jv_dump_string(grace_yaml_to_jv(v), 0);

		c->event = strdup(jv_string_value(j));
		jv_free(j);
		if (!c->event)
			return oom(e);
	} else {
		if (grace_yaml_as_string(v, &s, e) < 0)
			return -1;
		if (memchr(s, '\n', v->len))
			return node_err(e, v, "event: the JSON text must be "
			    "one line", "");
		if (!(c->event = strdup(s)))
			return oom(e);
	}
	c->event_len = strlen(c->event);
	if (grace_json_scan(c->event, c->event_len, NULL, 0, NULL, NULL, 0,
	    &se) < 0)
		return node_err(e, v, "event: ", se.msg);
	if (!(x = grace_yaml_require(m, "expect", e)) || check_expect(x, e) < 0)
		return -1;
	if (x->kind == GRACE_YSCALAR)
		c->expect = jv_object_set(jv_object(), jv_string("verdict"),
		    jv_string(x->str));
	else
		c->expect = grace_yaml_to_jv(x);
	return 0;
}

int
grace_dcases_load(const char *path, struct grace_dcases *cs,
    struct grace_err *e)
{
	static const char *const top[] = { "cases", NULL };
	struct grace_ynode *root;
	const struct grace_ynode *l;
	size_t i;
	int r = -1;

	memset(cs, 0, sizeof *cs);
	if (!(root = grace_yaml_load_file(path, e)))
		return -1;
	if (!(cs->file = strdup(path))) {
		oom(e);
		goto out;
	}
	if (grace_yaml_check_keys(root, top, e) < 0 ||
	    !(l = grace_yaml_require(root, "cases", e)) ||
	    grace_yaml_expect(l, GRACE_YSEQ, e) < 0)
		goto out;
	if (l->n == 0) {
		node_err(e, l, "cases: the file has no cases", "");
		goto out;
	}
	if (!(cs->v = calloc(l->n, sizeof *cs->v))) {
		oom(e);
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		cs->v[i].expect = jv_invalid();
		cs->n = i + 1;
		if (grace_yaml_expect(l->items[i], GRACE_YMAP, e) < 0 ||
		    load_case(&cs->v[i], l->items[i], e) < 0)
			goto out;
	}
	r = 0;
out:
	grace_yaml_free(root);
	if (r < 0)
		grace_dcases_free(cs);
	return r;
}

void
grace_dcases_free(struct grace_dcases *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].name);
		free(cs->v[i].event);
		jv_free(cs->v[i].expect);
	}
	free(cs->v);
	free(cs->file);
	memset(cs, 0, sizeof *cs);
}

/* Append a value for a message: strings bare, the rest as JSON. Borrows. */
static void
show(struct grace_buf *b, jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING) {
		grace_buf_adds(b, jv_string_value(v));
	} else {
		jv s = jv_dump_string(jv_copy(v), 0);

		grace_buf_adds(b, jv_string_value(s));
		jv_free(s);
	}
}

/* Do want and got (borrowed) agree? Numbers are compared at 4 places. */
static int
same(jv want, jv got)
{
	if (jv_get_kind(want) == JV_KIND_NUMBER &&
	    jv_get_kind(got) == JV_KIND_NUMBER)
		return grace_decide_round4(jv_number_value(want)) ==
		    grace_decide_round4(jv_number_value(got));
	return jv_equal(jv_copy(want), jv_copy(got));
}

int
grace_dcase_run(const struct grace_decide *d, const struct grace_dcases *cs,
    const struct grace_dcase *c, struct grace_decision *r,
    struct grace_buf *why, struct grace_err *e)
{
	static const char *const keys[] = { "grace", "type" };
	struct grace_jspan f[2];
	struct grace_err se;
	jv got;
	int i, n, ok = 1;

	if (grace_json_scan(c->event, c->event_len, keys, 2, f, NULL, 0,
	    &se) < 0) {
		grace_err_set(e, cs->file, c->line, c->col, "event: %s", se.msg);
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (f[0].kind != GRACE_J_NONE && f[0].kind != GRACE_J_OBJECT) {
		grace_err_set(e, cs->file, c->line, c->col, "event: member "
		    "'grace' is %s, not an object", grace_json_kind_name(f[0].kind));
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (grace_decide_event(d, c->event, c->event_len, &f[0], &f[1], r,
	    NULL) < 0)
		return oom(e);
	got = grace_jv_parse(r->json.p, r->json.len);
	n = jv_get_kind(got) == JV_KIND_OBJECT ?
	    jv_object_length(jv_copy(c->expect)) : 0;
	for (i = 0; expect_keys[i] && n; i++) {
		jv want = jv_object_get(jv_copy(c->expect),
		    jv_string(expect_keys[i]));
		jv have;

		if (!jv_is_valid(want)) {
			jv_free(want);
			continue;
		}
		have = jv_object_get(jv_copy(got), jv_string(expect_keys[i]));
		if (!same(want, have)) {
			if (!ok)
				grace_buf_adds(why, "; ");
			grace_buf_adds(why, expect_keys[i]);
			grace_buf_adds(why, ": expected ");
			show(why, want);
			grace_buf_adds(why, ", got ");
			show(why, have);
			ok = 0;
		}
		jv_free(want);
		jv_free(have);
	}
	jv_free(got);
	return ok;
}
