/* config.c - load and validate the decision configuration
 * (grace-decide(5)): every mistake is an error at file:line:col. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "idset.h"
#include "yaml.h"

static const char *const input_names[GRACE_DIN_COUNT] = {
	"governance", "avn", "verification", "mldl", "learning", "memory",
};
static const char *const input_members[GRACE_DIN_COUNT] = {
	"gate", "heal", "verify", "mldl", "learning", "memory",
};
static const char *const verdict_names[GRACE_V_COUNT] = {
	"approve", "hold", "escalate", "reject",
};
static const char *const opinion_names[GRACE_OP_COUNT] = {
	"absent", "neutral", "permit", "hold", "deny", "indeterminate",
};
static const char *const algo_names[] = {
	"weighted", "deny-overrides", "permit-overrides", "first-applicable",
};
static const char *const route_names[] = {
	"autonomous", "ui", "learning", "audit",
};
static const char *const decision_names[] = {
	"allow", "warn", "review", "deny", "error",
};
static const char *const risk_names[] = {
	"low", "medium", "high", "critical",
};
static const char *const status_names[] = {
	"verified", "failed", "inconclusive",
};
static const char *const severity_names[] = {
	"none", "low", "medium", "high", "critical",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
grace_dinput_name(enum grace_dinput i)
{
	return (unsigned)i < GRACE_DIN_COUNT ? input_names[i] : "?";
}

const char *
grace_dinput_member(enum grace_dinput i)
{
	return (unsigned)i < GRACE_DIN_COUNT ? input_members[i] : "?";
}

const char *
grace_verdict_name(enum grace_verdict v)
{
	return (unsigned)v < GRACE_V_COUNT ? verdict_names[v] : "?";
}

const char *
grace_opinion_name(enum grace_opinion o)
{
	return (unsigned)o < GRACE_OP_COUNT ? opinion_names[o] : "?";
}

const char *
grace_dalgo_name(enum grace_dalgo a)
{
	return (unsigned)a < NELEM(algo_names) ? algo_names[a] : "?";
}

/* Index of s in names[0..n), or -1. */
static int
lookup(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int
grace_verdict_parse(const char *s, enum grace_verdict *v)
{
	int i = lookup(s, verdict_names, GRACE_V_COUNT);

	if (i < 0)
		return -1;
	*v = (enum grace_verdict)i;
	return 0;
}

int
grace_dinput_parse(const char *s, enum grace_dinput *in)
{
	int i = lookup(s, input_names, GRACE_DIN_COUNT);

	if (i < 0)
		return -1;
	*in = (enum grace_dinput)i;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static int
oom(struct grace_err *e)
{
	errno = ENOMEM;
	return grace_err_sys(e, NULL, "out of memory");
}

/* "a, b or c" for messages. */
static void
one_of(char *buf, size_t cap, const char *const *names, size_t n)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
}

/* A string scalar that must be one of names: its index in *out. */
static int
as_name(const struct grace_ynode *n, const char *what,
    const char *const *names, size_t nnames, int *out, struct grace_err *e)
{
	const char *s;
	char list[256];
	int i;

	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if ((i = lookup(s, names, nnames)) < 0) {
		one_of(list, sizeof list, names, nnames);
		return grace_yaml_err(e, n, "unknown %s '%.48s' (expected %s)", what,
		    s, list);
	}
	*out = i;
	return 0;
}

/* A name or a list of names, as a bit set (at least one). */
static int
as_nameset(const struct grace_ynode *n, const char *what,
    const char *const *names, size_t nnames, unsigned *out,
    struct grace_err *e)
{
	unsigned bits = 0;
	size_t i;
	int k;

	if (n->kind == GRACE_YSEQ) {
		if (n->n == 0)
			return grace_yaml_err(e, n, "expected at least one %s", what);
		for (i = 0; i < n->n; i++) {
			if (as_name(n->items[i], what, names, nnames, &k, e) < 0)
				return -1;
			bits |= 1u << k;
		}
	} else {
		if (as_name(n, what, names, nnames, &k, e) < 0)
			return -1;
		bits = 1u << k;
	}
	*out = bits;
	return 0;
}

/* A number from 0 to 1. */
static int
as_unit(const struct grace_ynode *n, double *out, struct grace_err *e)
{
	double v;

	if (grace_yaml_as_number(n, &v, e) < 0)
		return -1;
	if (!(v >= 0 && v <= 1))
		return grace_yaml_err(e, n, "expected a number from 0 to 1, got %.48s",
		    n->str);
	*out = v;
	return 0;
}

/* A string, or a list of strings, copied: *out (count *nout). */
static int
as_strings(const struct grace_ynode *n, char ***out, size_t *nout,
    struct grace_err *e)
{
	const char **l;
	size_t c, i;

	if (grace_yaml_as_strlist(n, &l, &c, e) < 0)
		return -1;
	if (c == 0) {
		free(l);
		return grace_yaml_err(e, n, "expected at least one string");
	}
	if (!(*out = calloc(c, sizeof **out))) {
		free(l);
		return oom(e);
	}
	*nout = c;
	for (i = 0; i < c; i++) {
		if (!((*out)[i] = strdup(l[i]))) {
			free(l);
			return oom(e);
		}
	}
	free(l);
	return 0;
}

/* s as JSON string content (escaped, no quotes), malloc'd. */
static char *
json_content(const char *s)
{
	struct grace_buf b = {0};
	char *r;

	if (grace_buf_add_jstr(&b, s, strlen(s)) < 0)
		return NULL;
	b.p[b.len - 1] = '\0';
	r = strdup(b.p + 1);
	grace_buf_free(&b);
	return r;
}

/* A sequence of any YAML values as JSON values joined by ','. NULL for an
 * empty sequence is fine: *out stays NULL. */
static int
as_json_list(const struct grace_ynode *n, char **out, struct grace_err *e)
{
	struct grace_buf b = {0};
	size_t i;

	if (grace_yaml_expect(n, GRACE_YSEQ, e) < 0)
		return -1;
	for (i = 0; i < n->n; i++) {
		jv v = grace_yaml_to_jv(n->items[i]);
		jv s = jv_dump_string(v, 0);

		if ((i && grace_buf_add(&b, ",", 1) < 0) ||
		    grace_buf_adds(&b, jv_string_value(s)) < 0) {
			jv_free(s);
			grace_buf_free(&b);
			return oom(e);
		}
		jv_free(s);
	}
	if (b.len) {
		if (!(*out = strdup(b.p))) {
			grace_buf_free(&b);
			return oom(e);
		}
	}
	grace_buf_free(&b);
	return 0;
}

/* ------------------------------------------------------------- loader */

static const char *const top_keys[] = {
	"algorithm", "precedence", "thresholds", "indeterminate", "inputs",
	"rules", "routes", "fail_on", NULL,
};
static const char *const threshold_keys[] = {
	"approve", "hold", "reject", NULL,
};
static const char *const input_keys[] = {
	"weight", "missing", "neutral", "on_error", "deny_below", "permit_at",
	NULL,
};
static const char *const rule_keys[] = {
	"id", "input", "when", "verdict", "reason", "obligations", "advice",
	"routes", NULL,
};
static const char *const when_keys[] = {
	"opinion", "decision", "rules", "risk", "status", "severity",
	"anomaly", "score_below", "score_at_least", "type", NULL,
};
static const char *const missing_names[] = { "absent", "neutral", "required" };
static const char *const onerror_names[] = { "escalate", "hold", "ignore" };
static const char *const indet_names[] = { "escalate", "hold" };

/* The number from 0 to 1 at key in m, which must be there. */
static int
req_unit(const struct grace_ynode *m, const char *key, double *out,
    struct grace_err *e)
{
	const struct grace_ynode *v = grace_yaml_require(m, key, e);

	return v ? as_unit(v, out, e) : -1;
}

static int
load_thresholds(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	const struct grace_ynode *t = grace_yaml_require(root, "thresholds", e);

	if (!t || grace_yaml_check_keys(t, threshold_keys, e) < 0 ||
	    req_unit(t, "approve", &d->t_approve, e) < 0 ||
	    req_unit(t, "hold", &d->t_hold, e) < 0 ||
	    req_unit(t, "reject", &d->t_reject, e) < 0)
		return -1;
	if (!(d->t_reject <= d->t_hold && d->t_hold <= d->t_approve))
		return grace_yaml_err(e, t, "thresholds must satisfy reject <= hold "
		    "<= approve (got reject %g, hold %g, approve %g)",
		    d->t_reject, d->t_hold, d->t_approve);
	return 0;
}

static int
load_input(struct grace_decide *d, enum grace_dinput in,
    const struct grace_ynode *m, struct grace_err *e)
{
	struct grace_dinput_conf *c = &d->in[in];
	const struct grace_ynode *v;
	int k, score_input = in >= GRACE_DIN_MLDL;

	if (grace_yaml_check_keys(m, input_keys, e) < 0)
		return -1;
	c->used = 1;
	c->neutral = 0.5;
	c->on_error = d->indeterminate;
	if (!(v = grace_yaml_require(m, "weight", e)) ||
	    grace_yaml_as_number(v, &c->weight, e) < 0)
		return -1;
	if (!(c->weight >= 0 && c->weight <= 1e6))
		return grace_yaml_err(e, v, "expected a weight from 0 to 1000000, "
		    "got %.48s", v->str);
	if ((v = grace_yaml_get(m, "missing"))) {
		if (as_name(v, "missing policy", missing_names, 3, &k, e) < 0)
			return -1;
		c->missing = (enum grace_dmissing)k;
	}
	if ((v = grace_yaml_get(m, "neutral")) && as_unit(v, &c->neutral, e) < 0)
		return -1;
	if ((v = grace_yaml_get(m, "on_error"))) {
		if (as_name(v, "on_error", onerror_names, 3, &k, e) < 0)
			return -1;
		c->on_error = (enum grace_donerror)k;
	}
	if (c->missing == GRACE_MISSING_REQUIRED &&
	    c->on_error == GRACE_ONERR_IGNORE)
		return grace_yaml_err(e, v ? v : m, "input %s is required: "
		    "on_error cannot be ignore", input_names[in]);
	if ((v = grace_yaml_get(m, "deny_below"))) {
		if (!score_input)
			return grace_yaml_err(e, v, "deny_below applies to the score "
			    "inputs mldl, learning and memory only");
		if (as_unit(v, &c->deny_below, e) < 0)
			return -1;
		c->has_deny_below = 1;
	}
	if ((v = grace_yaml_get(m, "permit_at"))) {
		if (!score_input)
			return grace_yaml_err(e, v, "permit_at applies to the score "
			    "inputs mldl, learning and memory only");
		if (as_unit(v, &c->permit_at, e) < 0)
			return -1;
		c->has_permit_at = 1;
	}
	if (c->has_deny_below && c->has_permit_at &&
	    c->deny_below > c->permit_at)
		return grace_yaml_err(e, v, "permit_at %g is below deny_below %g",
		    c->permit_at, c->deny_below);
	return 0;
}

static int
load_inputs(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	static const char *const names[] = {
		"governance", "avn", "verification", "mldl", "learning",
		"memory", NULL,
	};
	const struct grace_ynode *m = grace_yaml_require(root, "inputs", e);
	size_t i;

	if (!m || grace_yaml_check_keys(m, names, e) < 0)
		return -1;
	if (m->n == 0)
		return grace_yaml_err(e, m, "inputs: name at least one of governance, "
		    "avn, verification, mldl, learning, memory");
	for (i = 0; i < m->n; i++) {
		enum grace_dinput in = GRACE_DIN_GOVERNANCE;

		grace_dinput_parse(m->pairs[i].key->str, &in);
		if (load_input(d, in, m->pairs[i].value, e) < 0)
			return -1;
		d->total_weight += d->in[in].weight;
		d->nused++;
	}
	if (!(d->total_weight > 0))
		return grace_yaml_err(e, m, "the weights of the inputs sum to 0: give "
		    "at least one input a weight above 0");
	return 0;
}

static int
load_precedence(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	const struct grace_ynode *p = grace_yaml_get(root, "precedence");
	int seen[GRACE_DIN_COUNT] = {0}, k;
	size_t i, o = 0;

	if (p) {
		if (grace_yaml_expect(p, GRACE_YSEQ, e) < 0)
			return -1;
		for (i = 0; i < p->n; i++) {
			if (as_name(p->items[i], "input", input_names,
			    GRACE_DIN_COUNT, &k, e) < 0)
				return -1;
			if (seen[k])
				return grace_yaml_err(e, p->items[i], "input %s is "
				    "listed twice", input_names[k]);
			seen[k] = 1;
			d->order[o++] = (enum grace_dinput)k;
		}
	}
	for (k = 0; k < GRACE_DIN_COUNT; k++)
		if (!seen[k])
			d->order[o++] = (enum grace_dinput)k;
	return 0;
}

/* Does condition key `key` apply to input in? */
static int
when_applies(const char *key, enum grace_dinput in, const char **who)
{
	if (!strcmp(key, "decision") || !strcmp(key, "rules") ||
	    !strcmp(key, "risk")) {
		*who = "governance";
		return in == GRACE_DIN_GOVERNANCE;
	}
	if (!strcmp(key, "status")) {
		*who = "verification";
		return in == GRACE_DIN_VERIFICATION;
	}
	if (!strcmp(key, "severity") || !strcmp(key, "anomaly")) {
		*who = "avn";
		return in == GRACE_DIN_AVN;
	}
	return 1;
}

static int
load_when(struct grace_drule *r, const struct grace_ynode *w,
    struct grace_err *e)
{
	size_t i;

	if (grace_yaml_check_keys(w, when_keys, e) < 0)
		return -1;
	for (i = 0; i < w->n; i++) {
		const struct grace_ynode *k = w->pairs[i].key;
		const struct grace_ynode *v = w->pairs[i].value;
		const char *who;
		int x = 0;

		if (!when_applies(k->str, r->input, &who))
			return grace_yaml_err(e, k, "'%s' applies to input %s only, "
			    "not %s", k->str, who, input_names[r->input]);
		if (!strcmp(k->str, "opinion"))
			x = as_nameset(v, "opinion", opinion_names,
			    GRACE_OP_COUNT, &r->opinions, e);
		else if (!strcmp(k->str, "decision"))
			x = as_nameset(v, "gate decision", decision_names,
			    NELEM(decision_names), &r->decisions, e);
		else if (!strcmp(k->str, "risk"))
			x = as_nameset(v, "risk", risk_names, NELEM(risk_names),
			    &r->risks, e);
		else if (!strcmp(k->str, "status"))
			x = as_nameset(v, "verification status", status_names,
			    NELEM(status_names), &r->statuses, e);
		else if (!strcmp(k->str, "severity"))
			x = as_nameset(v, "severity", severity_names,
			    NELEM(severity_names), &r->severities, e);
		else if (!strcmp(k->str, "anomaly"))
			x = grace_yaml_as_bool(v, &r->anomaly, e);
		else if (!strcmp(k->str, "score_below")) {
			x = as_unit(v, &r->below, e);
			r->has_below = 1;
		} else if (!strcmp(k->str, "score_at_least")) {
			x = as_unit(v, &r->at_least, e);
			r->has_at_least = 1;
		} else if (!strcmp(k->str, "rules"))
			x = as_strings(v, &r->gate_rules, &r->ngate_rules, e);
		else if (!strcmp(k->str, "type"))
			x = as_strings(v, &r->types, &r->ntypes, e);
		if (x < 0)
			return -1;
	}
	return 0;
}

/* Load rule r from m; ids holds the ids of the rules before it. */
static int
load_rule(struct grace_decide *d, struct grace_drule *r,
    const struct grace_ynode *m, struct grace_idset *ids, struct grace_err *e)
{
	const struct grace_ynode *v;
	const char *s;
	size_t i;
	int k;

	r->anomaly = -1;
	if (grace_yaml_check_keys(m, rule_keys, e) < 0)
		return -1;
	r->line = m->line;
	r->col = m->col;
	if (!(v = grace_yaml_require(m, "id", e)) ||
	    grace_yaml_as_string(v, &s, e) < 0)
		return -1;
	if (!*s)
		return grace_yaml_err(e, v, "a rule id cannot be empty");
	if (!(r->id = strdup(s)))
		return oom(e);
	switch (grace_idset_add(ids, r->id, (size_t)(r - d->rules), &i)) {
	case -1:
		return oom(e);
	case 0:
		return grace_yaml_err(e, v, "rule id '%.48s' is used twice "
		    "(first at line %lu)", s, d->rules[i].line);
	}
	if (!(v = grace_yaml_require(m, "input", e)) ||
	    as_name(v, "input", input_names, GRACE_DIN_COUNT, &k, e) < 0)
		return -1;
	r->input = (enum grace_dinput)k;
	if (!d->in[k].used)
		return grace_yaml_err(e, v, "input %s is not listed under inputs",
		    input_names[k]);
	if ((v = grace_yaml_get(m, "when")) && load_when(r, v, e) < 0)
		return -1;
	if ((v = grace_yaml_get(m, "verdict"))) {
		if (as_name(v, "verdict", verdict_names, GRACE_V_COUNT, &k,
		    e) < 0)
			return -1;
		r->has_verdict = 1;
		r->verdict = (enum grace_verdict)k;
	}
	if ((v = grace_yaml_get(m, "reason"))) {
		if (grace_yaml_as_string(v, &s, e) < 0)
			return -1;
		if (!(r->reason = json_content(s)))
			return oom(e);
	}
	if ((v = grace_yaml_get(m, "obligations")) &&
	    as_json_list(v, &r->obligations, e) < 0)
		return -1;
	if ((v = grace_yaml_get(m, "advice")) &&
	    as_json_list(v, &r->advice, e) < 0)
		return -1;
	if ((v = grace_yaml_get(m, "routes")) && as_nameset(v, "route",
	    route_names, NELEM(route_names), &r->routes, e) < 0)
		return -1;
	if (!r->has_verdict && !r->obligations && !r->advice && !r->routes)
		return grace_yaml_err(e, m, "rule '%s' does nothing: give it a "
		    "verdict, obligations, advice or routes", r->id);
	return 0;
}

static int
load_rules(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	const struct grace_ynode *l = grace_yaml_get(root, "rules");
	struct grace_idset ids = {0};
	size_t i, k;

	if (!l)
		return 0;
	if (l->kind == GRACE_YSCALAR && l->type == GRACE_YT_NULL)
		return 0;
	if (grace_yaml_expect(l, GRACE_YSEQ, e) < 0)
		return -1;
	if (l->n && !(d->rules = calloc(l->n, sizeof *d->rules)))
		return oom(e);
	for (i = 0; i < l->n; i++) {
		d->nrules = i + 1;
		if (grace_yaml_expect(l->items[i], GRACE_YMAP, e) < 0 ||
		    load_rule(d, &d->rules[i], l->items[i], &ids, e) < 0) {
			grace_idset_free(&ids);
			return -1;
		}
	}
	grace_idset_free(&ids);
	for (k = 0; k < GRACE_DIN_COUNT; k++) {
		if (d->nrules && !(d->by_input[k] = calloc(d->nrules,
		    sizeof *d->by_input[k])))
			return oom(e);
		for (i = 0; i < d->nrules; i++)
			if (d->rules[i].input == (enum grace_dinput)k)
				d->by_input[k][d->nby_input[k]++] = i;
	}
	return 0;
}

static int
load_routes(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"approve", "hold", "escalate", "reject", NULL,
	};
	const struct grace_ynode *m = grace_yaml_get(root, "routes");
	size_t i;

	d->routes[GRACE_V_APPROVE] = GRACE_ROUTE_AUTONOMOUS | GRACE_ROUTE_AUDIT;
	d->routes[GRACE_V_HOLD] = GRACE_ROUTE_UI | GRACE_ROUTE_AUDIT;
	d->routes[GRACE_V_ESCALATE] = GRACE_ROUTE_UI | GRACE_ROUTE_AUDIT;
	d->routes[GRACE_V_REJECT] = GRACE_ROUTE_LEARNING | GRACE_ROUTE_AUDIT;
	if (!m)
		return 0;
	if (grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		const struct grace_ynode *v = m->pairs[i].value;
		enum grace_verdict vd = GRACE_V_APPROVE;

		grace_verdict_parse(m->pairs[i].key->str, &vd);
		if (v->kind == GRACE_YSEQ && v->n == 0) {
			d->routes[vd] = 0;
			continue;
		}
		if (as_nameset(v, "route", route_names, NELEM(route_names),
		    &d->routes[vd], e) < 0)
			return -1;
	}
	return 0;
}

static int
load_fail_on(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	const struct grace_ynode *v = grace_yaml_get(root, "fail_on");
	unsigned bits;

	d->fail_on = 1u << GRACE_V_REJECT | 1u << GRACE_V_HOLD |
	    1u << GRACE_V_ESCALATE;
	if (!v)
		return 0;
	if (v->kind == GRACE_YSEQ && v->n == 0) {
		d->fail_on = 1u << GRACE_V_REJECT;
		return 0;
	}
	if (as_nameset(v, "verdict", verdict_names, GRACE_V_COUNT, &bits, e) < 0)
		return -1;
	if (bits & 1u << GRACE_V_APPROVE)
		return grace_yaml_err(e, v, "fail_on cannot list approve");
	d->fail_on = bits | 1u << GRACE_V_REJECT;
	return 0;
}

static int
load_tree(struct grace_decide *d, const struct grace_ynode *root,
    struct grace_err *e)
{
	const struct grace_ynode *v;
	int k;

	if (grace_yaml_check_keys(root, top_keys, e) < 0)
		return -1;
	if ((v = grace_yaml_get(root, "algorithm"))) {
		if (as_name(v, "algorithm", algo_names, NELEM(algo_names), &k,
		    e) < 0)
			return -1;
		d->algo = (enum grace_dalgo)k;
	}
	if ((v = grace_yaml_get(root, "indeterminate"))) {
		if (as_name(v, "indeterminate verdict", indet_names, 2, &k,
		    e) < 0)
			return -1;
		d->indeterminate = (enum grace_donerror)k;
	}
	if (load_thresholds(d, root, e) < 0 || load_inputs(d, root, e) < 0 ||
	    load_precedence(d, root, e) < 0 || load_rules(d, root, e) < 0 ||
	    load_routes(d, root, e) < 0 || load_fail_on(d, root, e) < 0)
		return -1;
	return 0;
}

static struct grace_decide *
load(struct grace_ynode *root, const char *name, struct grace_err *e)
{
	struct grace_decide *d;

	if (!root)
		return NULL;
	if (!(d = calloc(1, sizeof *d)) || !(d->file = strdup(name))) {
		free(d);
		grace_yaml_free(root);
		oom(e);
		return NULL;
	}
	if (load_tree(d, root, e) < 0) {
		grace_decide_free(d);
		d = NULL;
	}
	grace_yaml_free(root);
	return d;
}

struct grace_decide *
grace_decide_load(const char *path, struct grace_err *e)
{
	return load(grace_yaml_load_file(path, e), path, e);
}

struct grace_decide *
grace_decide_load_string(const char *name, const char *buf, size_t len,
    struct grace_err *e)
{
	return load(grace_yaml_load_string(name, buf, len, e), name, e);
}

static void
free_strings(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
grace_decide_free(struct grace_decide *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nrules; i++) {
		struct grace_drule *r = &d->rules[i];

		free(r->id);
		free(r->reason);
		free(r->obligations);
		free(r->advice);
		free_strings(r->gate_rules, r->ngate_rules);
		free_strings(r->types, r->ntypes);
	}
	for (i = 0; i < GRACE_DIN_COUNT; i++)
		free(d->by_input[i]);
	free(d->rules);
	free(d->file);
	free(d);
}
