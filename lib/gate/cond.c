/* cond.c - native conditions (match:) evaluated on the event's raw
 * bytes, and the index that picks the rules an event can match.
 *
 * A condition names a field (a dotted path, or $trust, $autonomous,
 * $quarantined) and what its value must be: one of some values (a string
 * with '*' is a glob), a comparison with a number, present or absent,
 * optionally negated. Field values are the spans grace_json_scan located:
 * top-level members come from the filter's own scan, a nested member from
 * one scan of its parent object per event, shared by its siblings. Strings
 * are compared without decoding unless they hold escapes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gate_int.h"
#include "jwalk.h"

/* ------------------------------------------------------------ fields */

static int
field_add(struct grace_gov *g, const char *path, size_t len, int parent)
{
	struct gov_field *f;
	const char *dot;

	if (g->nfields == g->capfields) {
		size_t ncap = g->capfields ? g->capfields * 2 : 16;
		struct gov_field *nf = realloc(g->fields, ncap * sizeof *nf);

		if (!nf)
			return -1;
		g->fields = nf;
		g->capfields = ncap;
	}
	f = &g->fields[g->nfields];
	memset(f, 0, sizeof *f);
	f->parent = parent;
	f->key = -1;
	if (!(f->path = strndup(path, len)))
		return -1;
	dot = memrchr(f->path, '.', len);
	f->name = dot ? (char *)dot + 1 : f->path;
	if (parent >= 0) {
		struct gov_field *p = &g->fields[parent];
		int *nc = realloc(p->children, (p->nchildren + 1) * sizeof *nc);
		const char **nn;
		size_t *nl;

		if (!nc)
			return -1;
		p->children = nc;
		nl = realloc(p->child_lens, (p->nchildren + 1) * sizeof *nl);
		if (!nl)
			return -1;
		p->child_lens = nl;
		nl[p->nchildren] = strlen(f->name);
		nn = realloc(p->child_names, (p->nchildren + 1) * sizeof *nn);
		if (!nn)
			return -1;
		p->child_names = nn;
		p->children[p->nchildren] = (int)g->nfields;
		p->child_names[p->nchildren] = f->name;
		p->nchildren++;
		if (p->nchildren > g->maxchildren)
			g->maxchildren = p->nchildren;
	}
	return (int)g->nfields++;
}

int
gov_field_intern(struct grace_gov *g, const char *path, size_t len)
{
	const char *dot;
	int parent = -1, f;
	size_t i;

	/* by hash: a scan of every field before made many distinct fields
	 * quadratic */
	if (grace_idset_get(&g->field_ids, path, len, &i))
		return (int)i;
	dot = memrchr(path, '.', len);
	if (dot && (parent = gov_field_intern(g, path,
	    (size_t)(dot - path))) < 0)
		return -1;
	if ((f = field_add(g, path, len, parent)) < 0 ||
	    grace_idset_addn(&g->field_ids, g->fields[f].path, len, (size_t)f,
	    NULL) < 0)
		return -1;
	return f;
}

/* ------------------------------------------------------------ parsing */

static void
conds_free(struct gov_cond *c, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < c[i].nv; j++)
			free(c[i].v[j].s);
		free(c[i].v);
		free(c[i].want);
	}
	free(c);
}

void
gov_conds_free(struct gov_rule *r)
{
	conds_free(r->c, r->nc);
	r->c = NULL;
	r->nc = 0;
}

static struct gov_cond *
cond_new(struct gov_rule *r, int field, struct grace_err *e)
{
	struct gov_cond *nc = realloc(r->c, (r->nc + 1) * sizeof *nc);

	if (!nc) {
		grace_err_sys(e, NULL, "out of memory");
		return NULL;
	}
	r->c = nc;
	memset(&nc[r->nc], 0, sizeof nc[r->nc]);
	nc[r->nc].field = field;
	return &nc[r->nc++];
}

static int
usage(struct grace_err *e, const struct grace_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
usage(struct grace_err *e, const struct grace_ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	grace_err_vset(e, n->file, n->line, n->col, fmt, ap);
	va_end(ap);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* A scalar as a value. Plain 5/true/null keep their type; quoted are
 * strings. glob_ok: a string with '*' is a glob. */
static int
val_from(struct gov_val *v, const struct grace_ynode *n, int glob_ok,
    struct grace_err *e)
{
	memset(v, 0, sizeof *v);
	if (n->kind != GRACE_YSCALAR)
		return usage(e, n, "expected a value (a string, number, "
		    "boolean or null), got %s", grace_yaml_describe(n));
	switch (n->type) {
	case GRACE_YT_NULL: v->kind = GRACE_J_NULL; return 0;
	case GRACE_YT_BOOL:
		v->kind = strcmp(n->str, "true") == 0 ? GRACE_J_TRUE :
		    GRACE_J_FALSE;
		return 0;
	case GRACE_YT_INT:
	case GRACE_YT_FLOAT:
		if (grace_yaml_as_number(n, &v->num, e) < 0)
			return -1;
		v->kind = GRACE_J_NUMBER;
		return 0;
	default:
		if (memchr(n->str, '\0', n->len))
			return usage(e, n, "a value may not hold a NUL byte");
		v->kind = GRACE_J_STRING;
		v->len = n->len;
		v->glob = glob_ok && memchr(n->str, '*', n->len) != NULL;
		if (!(v->s = strndup(n->str, n->len)))
			return grace_err_sys(e, NULL, "out of memory");
		return 0;
	}
}

static int
want_add_val(struct grace_buf *b, const struct gov_val *v)
{
	switch (v->kind) {
	case GRACE_J_STRING:
		return grace_buf_add_jstr(b, v->s, v->len);
	case GRACE_J_NUMBER: return grace_buf_addf(b, "%.15g", v->num);
	case GRACE_J_TRUE: return grace_buf_adds(b, "true");
	case GRACE_J_FALSE: return grace_buf_adds(b, "false");
	default: return grace_buf_adds(b, "null");
	}
}

/* Describe what c wants, for --explain. */
static int
want_text(struct gov_cond *c, const char *numtext)
{
	struct grace_buf b = {0};
	int r = 0;
	size_t i;

	switch (c->op) {
	case GOV_OP_IN:
		if (c->nv == 1) {
			if (c->negate)
				r |= grace_buf_adds(&b, "not ");
			if (c->v[0].glob)
				r |= grace_buf_adds(&b, "like ");
			r |= want_add_val(&b, &c->v[0]);
			break;
		}
		r |= grace_buf_adds(&b, c->negate ? "none of [" : "one of [");
		for (i = 0; i < c->nv; i++) {
			if (i)
				r |= grace_buf_adds(&b, ", ");
			r |= want_add_val(&b, &c->v[i]);
		}
		r |= grace_buf_adds(&b, "]");
		break;
	case GOV_OP_GT: r |= grace_buf_addf(&b, "> %s", numtext); break;
	case GOV_OP_GE: r |= grace_buf_addf(&b, ">= %s", numtext); break;
	case GOV_OP_LT: r |= grace_buf_addf(&b, "< %s", numtext); break;
	case GOV_OP_LE: r |= grace_buf_addf(&b, "<= %s", numtext); break;
	case GOV_OP_EXISTS:
		r |= grace_buf_adds(&b, c->exists ? "present" : "absent");
		break;
	}
	if (r || !b.p) {
		grace_buf_free(&b);
		return -1;
	}
	c->want = b.p;
	return 0;
}

/* The values of an in:/not: list or a single scalar. */
static int
cond_values(struct gov_cond *c, const struct grace_ynode *n, int glob_ok,
    struct grace_err *e)
{
	size_t i, cnt = n->kind == GRACE_YSEQ ? n->n : 1;

	if (n->kind == GRACE_YMAP)
		return usage(e, n, "expected a value or a list of values, got "
		    "%s", grace_yaml_describe(n));
	if (cnt == 0)
		return usage(e, n, "an empty list can match nothing");
	if (!(c->v = calloc(cnt, sizeof *c->v)))
		return grace_err_sys(e, NULL, "out of memory");
	for (i = 0; i < cnt; i++) {
		if (val_from(&c->v[i], n->kind == GRACE_YSEQ ? n->items[i] : n,
		    glob_ok, e) < 0)
			return -1;
		c->nv++;
	}
	return 0;
}

/* Values a pseudo-field accepts. */
static int
pseudo_check(const struct gov_cond *c, const struct grace_ynode *n,
    const char *name, struct grace_err *e)
{
	size_t i;

	if (c->field == GOV_F_TRUST) {
		if (c->op == GOV_OP_EXISTS)
			return usage(e, n, "%s is always present", name);
		for (i = 0; i < c->nv; i++)
			if (c->v[i].kind != GRACE_J_NUMBER)
				return usage(e, n, "%s takes numbers (or gt, gte, "
				    "lt, lte)", name);
		return 0;
	}
	if (c->op != GOV_OP_IN)
		return usage(e, n, "%s takes true or false", name);
	for (i = 0; i < c->nv; i++)
		if (c->v[i].kind != GRACE_J_TRUE && c->v[i].kind != GRACE_J_FALSE)
			return usage(e, n, "%s takes true or false", name);
	return 0;
}

static int
field_of(struct grace_gov *g, const struct grace_ynode *k,
    struct grace_err *e)
{
	const char *s = k->str;
	size_t i, names;
	int f;

	if (s[0] == '$') {
		if (strcmp(s, "$trust") == 0)
			return GOV_F_TRUST;
		if (strcmp(s, "$autonomous") == 0)
			return GOV_F_AUTONOMOUS;
		if (strcmp(s, "$quarantined") == 0)
			return GOV_F_QUARANTINED;
		usage(e, k, "unknown field '%s' (the $ fields are $trust, "
		    "$autonomous and $quarantined)", s);
		return -100;
	}
	if (k->len == 0 || memchr(s, '\0', k->len) || s[0] == '.' ||
	    s[k->len - 1] == '.' || strstr(s, "..")) {
		usage(e, k, "bad field path '%s' (expected names joined by "
		    "dots, such as data.env)", s);
		return -100;
	}
	for (i = 0, names = 1; i < k->len; i++)
		names += s[i] == '.';
	if (names > GOV_FIELD_MAX_DEPTH) {
		/* gov_field_intern() and gov_field_span() recurse per name */
		usage(e, k, "field path '%.40s...' is nested too deeply (more "
		    "than %d names)", s, GOV_FIELD_MAX_DEPTH);
		return -100;
	}
	for (i = 0; i < k->len; i++) {
		if ((unsigned char)s[i] < 0x20) {
			usage(e, k, "bad field path '%s'", s);
			return -100;
		}
	}
	if ((f = gov_field_intern(g, s, k->len)) < 0) {
		grace_err_sys(e, NULL, "out of memory");
		return -100;
	}
	return f;
}

int
gov_match_parse(struct grace_gov *g, struct gov_rule *r,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const ops[] = {
		"eq", "in", "not", "gt", "gte", "lt", "lte", "exists", NULL,
	};
	size_t i, j;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0)
		return -1;
	if (m->n == 0)
		return usage(e, m, "match: is empty (leave it out to match "
		    "every event)");
	for (i = 0; i < m->n; i++) {
		const struct grace_ynode *k = m->pairs[i].key;
		const struct grace_ynode *v = m->pairs[i].value;
		int f = field_of(g, k, e);
		struct gov_cond *c;

		if (f == -100)
			return -1;
		if (v->kind != GRACE_YMAP) {
			if (!(c = cond_new(r, f, e)))
				return -1;
			c->op = GOV_OP_IN;
			if (cond_values(c, v, 1, e) < 0 ||
			    (f < -1 && pseudo_check(c, v, k->str, e) < 0))
				return -1;
			if (want_text(c, "") < 0)
				return grace_err_sys(e, NULL, "out of memory");
			continue;
		}
		if (grace_yaml_check_keys(v, ops, e) < 0)
			return -1;
		if (v->n == 0)
			return usage(e, v, "empty condition for '%s'", k->str);
		for (j = 0; j < v->n; j++) {
			const char *op = v->pairs[j].key->str;
			const struct grace_ynode *a = v->pairs[j].value;
			const char *numtext = "";

			if (!(c = cond_new(r, f, e)))
				return -1;
			if (strcmp(op, "eq") == 0 || strcmp(op, "in") == 0 ||
			    strcmp(op, "not") == 0) {
				if (op[0] == 'e' && a->kind != GRACE_YSCALAR)
					return usage(e, a, "eq takes one value, "
					    "got %s", grace_yaml_describe(a));
				c->op = GOV_OP_IN;
				c->negate = op[0] == 'n';
				if (cond_values(c, a, op[0] != 'e', e) < 0)
					return -1;
			} else if (strcmp(op, "exists") == 0) {
				c->op = GOV_OP_EXISTS;
				if (grace_yaml_as_bool(a, &c->exists, e) < 0)
					return -1;
			} else {
				c->op = strcmp(op, "gt") == 0 ? GOV_OP_GT :
				    strcmp(op, "gte") == 0 ? GOV_OP_GE :
				    strcmp(op, "lt") == 0 ? GOV_OP_LT : GOV_OP_LE;
				if (grace_yaml_as_number(a, &c->num, e) < 0)
					return -1;
				numtext = a->str;
			}
			if (f < -1 && pseudo_check(c, a, k->str, e) < 0)
				return -1;
			if (want_text(c, numtext) < 0)
				return grace_err_sys(e, NULL, "out of memory");
		}
	}
	/* Cheapest first: pseudo-fields, top-level exact, globs, nested. */
	for (i = 0; i < r->nc; i++) {
		struct gov_cond *c = &r->c[i];
		int cost = 0;

		if (c->field >= 0) {
			cost = 1;
			if (g->fields[c->field].parent >= 0)
				cost += 3;
			for (j = 0; j < c->nv; j++)
				if (c->v[j].glob)
					cost = cost < 2 ? 2 : cost;
			if (c->op != GOV_OP_IN && c->op != GOV_OP_EXISTS)
				cost++;
		}
		c->cost = cost;
	}
	for (i = 1; i < r->nc; i++) {   /* stable insertion sort */
		struct gov_cond t = r->c[i];

		for (j = i; j > 0 && r->c[j - 1].cost > t.cost; j--)
			r->c[j] = r->c[j - 1];
		r->c[j] = t;
	}
	return 0;
}

/* ------------------------------------------------------------ values */

/* Pointer forms of lib/jwalk.h's steps over valid JSON. */
static const char *
skip_string(const char *p, const char *end)
{
	int esc = 0;

	return p + grace_jw_string(p, 0, (size_t)(end - p), &esc);
}

static const char *
skip_ws(const char *p, const char *end)
{
	return p + grace_jw_ws(p, 0, (size_t)(end - p));
}

/* The end of the (valid) JSON value at p, and its kind. */
static const char *
skip_value(const char *p, const char *end, enum grace_jkind *kind)
{
	*kind = grace_jw_kind(*p);
	return p + grace_jw_value(p, 0, (size_t)(end - p));
}

/* Locate the members named by pf's children in the object o[0..n)
 * (valid JSON: grace_json_scan passed it): out[i] for child i, offsets
 * relative to o, the last one when a name repeats (as jq does). A walk
 * that trusts the validation, with names compared by length first. */
static int
children(struct grace_gov *g, const char *o, size_t n,
    const struct gov_field *pf, struct grace_jspan *out)
{
	const char *p = o + 1, *end = o + n;
	size_t i;

	for (i = 0; i < pf->nchildren; i++)
		memset(&out[i], 0, sizeof out[i]);
	for (;;) {
		const char *k, *ke, *v, *ve;
		enum grace_jkind kind;
		size_t klen;

		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			return 0;   /* '}' */
		k = p + 1;
		ke = skip_string(p, end) - 1;
		klen = (size_t)(ke - k);
		p = skip_ws(ke + 1, end);
		if (p >= end || *p != ':')
			return -1;
		v = skip_ws(p + 1, end);
		if (v >= end)
			return -1;
		ve = skip_value(v, end, &kind);
		if (memchr(k, '\\', klen)) {
			/* an escaped name: decode it to compare */
			grace_buf_reset(&g->st.sbuf);
			if (grace_json_unescape(&g->st.sbuf, k - 1, klen + 2) < 0)
				return -1;
			k = g->st.sbuf.p;
			klen = g->st.sbuf.len;
		}
		for (i = 0; i < pf->nchildren; i++) {
			const char *name = pf->child_names[i];

			if (pf->child_lens[i] == klen && memcmp(name, k, klen) == 0) {
				out[i].off = (size_t)(v - o);
				out[i].len = (size_t)(ve - v);
				out[i].kind = kind;
				break;
			}
		}
		p = skip_ws(ve, end);
		if (p < end && *p == ',')
			p++;
	}
}

const struct grace_jspan *
gov_field_span(struct grace_gov *g, int f)
{
	struct gov_state *s = &g->st;
	const struct gov_field *fd = &g->fields[f];

	if (s->fgen[f] == s->gen)
		return &s->fspan[f];
	if (fd->parent < 0) {
		/* All top-level fields at once, from the event's '{'. */
		const char *o = s->p, *end = s->p + s->n;
		size_t i;

		while (o < end && *o != '{')
			o++;
		if (o == end || children(g, o, (size_t)(end - o), &g->top,
		    s->sub) < 0) {
			for (i = 0; i < g->top.nchildren; i++)
				memset(&s->sub[i], 0, sizeof s->sub[i]);
		}
		for (i = 0; i < g->top.nchildren; i++) {
			int c = g->top.children[i];

			s->fspan[c] = s->sub[i];
			s->fspan[c].off += (size_t)(o - s->p);
			s->fgen[c] = s->gen;
		}
	} else {
		const struct grace_jspan *ps = gov_field_span(g, fd->parent);
		const struct gov_field *pf = &g->fields[fd->parent];
		size_t i;

		if (ps->kind == GRACE_J_OBJECT &&
		    children(g, s->p + ps->off, ps->len, pf, s->sub) == 0) {
			for (i = 0; i < pf->nchildren; i++) {
				int c = pf->children[i];

				s->fspan[c] = s->sub[i];
				s->fspan[c].off += ps->off;
				s->fgen[c] = s->gen;
			}
		} else {
			for (i = 0; i < pf->nchildren; i++) {
				int c = pf->children[i];

				memset(&s->fspan[c], 0, sizeof s->fspan[c]);
				s->fgen[c] = s->gen;
			}
		}
	}
	s->fgen[f] = s->gen;
	return &s->fspan[f];
}

const char *
gov_span_str(struct grace_gov *g, const struct grace_jspan *sp, size_t *len)
{
	const char *q = g->st.p + sp->off + 1;

	if (!memchr(q, '\\', sp->len - 2)) {
		*len = sp->len - 2;
		return q;
	}
	grace_buf_reset(&g->st.sbuf);
	if (grace_json_unescape(&g->st.sbuf, g->st.p + sp->off, sp->len) < 0) {
		*len = 0;
		return "";
	}
	*len = g->st.sbuf.len;
	return g->st.sbuf.p;
}

int
gov_glob(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < slen) {
		if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && pat[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

/* The event's value of a field, decoded as far as a condition needs. */
struct ev_val {
	enum grace_jkind kind;
	const char *s;
	size_t len;
	double num;
};

static double
span_num(struct grace_gov *g, const struct grace_jspan *sp)
{
	char b[64];

	if (sp->len < sizeof b) {
		memcpy(b, g->st.p + sp->off, sp->len);
		b[sp->len] = '\0';
		return strtod(b, NULL);
	}
	grace_buf_reset(&g->st.sbuf);
	if (grace_buf_add(&g->st.sbuf, g->st.p + sp->off, sp->len) < 0)
		return 0;
	return strtod(g->st.sbuf.p, NULL);
}

static void
ev_value(struct grace_gov *g, int f, struct ev_val *v)
{
	const struct grace_jspan *sp;

	memset(v, 0, sizeof *v);
	switch (f) {
	case GOV_F_TRUST:
		v->kind = GRACE_J_NUMBER;
		v->num = g->st.trust;
		return;
	case GOV_F_AUTONOMOUS:
		v->kind = g->st.autonomous ? GRACE_J_TRUE : GRACE_J_FALSE;
		return;
	case GOV_F_QUARANTINED:
		v->kind = g->st.quarantined ? GRACE_J_TRUE : GRACE_J_FALSE;
		return;
	}
	sp = gov_field_span(g, f);
	v->kind = sp->kind;
	if (sp->kind == GRACE_J_STRING)
		v->s = gov_span_str(g, sp, &v->len);
	else if (sp->kind == GRACE_J_NUMBER)
		v->num = span_num(g, sp);
}

static int
val_eq(const struct gov_val *w, const struct ev_val *v)
{
	if (w->kind != v->kind)
		return 0;
	switch (w->kind) {
	case GRACE_J_STRING:
		if (w->glob)
			return gov_glob(w->s, w->len, v->s, v->len);
		return w->len == v->len && memcmp(w->s, v->s, v->len) == 0;
	case GRACE_J_NUMBER:
		return w->num == v->num;
	default:
		return 1;
	}
}

int
gov_cond_eval(struct grace_gov *g, const struct gov_cond *c)
{
	struct ev_val v;
	size_t i;
	int r = 0;

	ev_value(g, c->field, &v);
	switch (c->op) {
	case GOV_OP_IN:
		for (i = 0; i < c->nv && !r; i++)
			r = val_eq(&c->v[i], &v);
		break;
	case GOV_OP_EXISTS:
		r = (v.kind != GRACE_J_NONE) == c->exists;
		break;
	default:
		if (v.kind != GRACE_J_NUMBER)
			break;
		switch (c->op) {
		case GOV_OP_GT: r = v.num > c->num; break;
		case GOV_OP_GE: r = v.num >= c->num; break;
		case GOV_OP_LT: r = v.num < c->num; break;
		default: r = v.num <= c->num; break;
		}
	}
	return c->negate ? !r : r;
}

static const char *
field_name(const struct grace_gov *g, int f)
{
	switch (f) {
	case GOV_F_TRUST: return "$trust";
	case GOV_F_AUTONOMOUS: return "$autonomous";
	case GOV_F_QUARANTINED: return "$quarantined";
	default: return g->fields[f].path;
	}
}

void
gov_cond_explain(struct grace_gov *g, const struct gov_cond *c,
    struct grace_buf *out)
{
	grace_buf_adds(out, field_name(g, c->field));
	grace_buf_adds(out, " is ");
	if (c->field == GOV_F_TRUST) {
		grace_buf_addf(out, "%.15g", g->st.trust);
	} else if (c->field == GOV_F_AUTONOMOUS) {
		grace_buf_adds(out, g->st.autonomous ? "true" : "false");
	} else if (c->field == GOV_F_QUARANTINED) {
		grace_buf_adds(out, g->st.quarantined ? "true" : "false");
	} else {
		const struct grace_jspan *sp = gov_field_span(g, c->field);

		if (sp->kind == GRACE_J_NONE) {
			grace_buf_adds(out, "absent");
		} else if (sp->len > 60) {
			grace_buf_add(out, g->st.p + sp->off, 57);
			grace_buf_adds(out, "...");
		} else {
			grace_buf_add(out, g->st.p + sp->off, sp->len);
		}
	}
	grace_buf_adds(out, ", expected ");
	grace_buf_adds(out, c->want);
}

/* ------------------------------------------------------------ jv */

/* A jv string from the JSON string literal p[0..n) (quotes included). */
static jv
str_jv(struct grace_gov *g, const char *p, size_t n)
{
	if (!memchr(p + 1, '\\', n - 2))
		return jv_string_sized(p + 1, (int)(n - 2));
	grace_buf_reset(&g->st.sbuf);
	if (grace_json_unescape(&g->st.sbuf, p, n) < 0)
		return jv_invalid_with_msg(jv_string("out of memory"));
	return jv_string_sized(g->st.sbuf.p, (int)g->st.sbuf.len);
}

static jv
build(struct grace_gov *g, const char **pp, const char *end)
{
	const char *p = skip_ws(*pp, end), *q;
	enum grace_jkind kind;
	jv v;

	switch (*p) {
	case '{':
		v = jv_object();
		p = skip_ws(p + 1, end);
		while (p < end && *p == '"') {
			jv k, x;

			q = skip_string(p, end);
			k = str_jv(g, p, (size_t)(q - p));
			p = skip_ws(q, end) + 1;   /* the ':' */
			x = build(g, &p, end);
			v = jv_object_set(v, k, x);
			p = skip_ws(p, end);
			if (p < end && *p == ',')
				p = skip_ws(p + 1, end);
		}
		*pp = p + 1;   /* the '}' */
		return v;
	case '[':
		v = jv_array();
		p = skip_ws(p + 1, end);
		while (p < end && *p != ']') {
			v = jv_array_append(v, build(g, &p, end));
			p = skip_ws(p, end);
			if (p < end && *p == ',')
				p = skip_ws(p + 1, end);
		}
		*pp = p + 1;
		return v;
	case '"':
		q = skip_string(p, end);
		*pp = q;
		return str_jv(g, p, (size_t)(q - p));
	case 't': *pp = p + 4; return jv_true();
	case 'f': *pp = p + 5; return jv_false();
	case 'n': *pp = p + 4; return jv_null();
	default: {
		struct grace_jspan sp;
		double d;

		q = skip_value(p, end, &kind);
		sp.off = (size_t)(p - g->st.p);
		sp.len = (size_t)(q - p);
		d = span_num(g, &sp);   /* 1e400 is inf, as jq's parser has it */
		*pp = q;
		return jv_number(d);
	}
	}
}

jv
gov_event_jv(struct grace_gov *g)
{
	const char *p = g->st.p, *end = g->st.p + g->st.n;

	return build(g, &p, end);
}

/* ------------------------------------------------------------ index */

static struct gov_ixent *
ix_slot(struct gov_index *ix, int field, const char *val, size_t len)
{
	size_t i = gov_hash(val, len, (uint32_t)field) & (ix->cap - 1);

	for (;;) {
		struct gov_ixent *t = &ix->t[i];

		if (t->field == -1 || (t->field == field && t->len == len &&
		    memcmp(t->val, val, len) == 0))
			return t;
		i = (i + 1) & (ix->cap - 1);
	}
}

static int
u32_push(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		uint32_t *nv = realloc(*v, ncap * sizeof *nv);

		if (!nv)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* The condition rule r is indexed by, or NULL: a top-level field that
 * must equal one of some exact strings; type preferred. */
static const struct gov_cond *
ix_cond(const struct grace_gov *g, const struct gov_rule *r)
{
	const struct gov_cond *best = NULL;
	size_t i, j;

	for (i = 0; i < r->nc; i++) {
		const struct gov_cond *c = &r->c[i];
		int ok = c->field >= 0 && g->fields[c->field].parent < 0 &&
		    c->op == GOV_OP_IN && !c->negate;

		for (j = 0; ok && j < c->nv; j++)
			ok = c->v[j].kind == GRACE_J_STRING && !c->v[j].glob;
		if (!ok)
			continue;
		if (strcmp(g->fields[c->field].path, "type") == 0)
			return c;
		if (!best)
			best = c;
	}
	return best;
}

int
gov_index_build(struct grace_gov *g)
{
	struct gov_index *ix = &g->ix;
	size_t i, j, k, nvals = 0, restcap = 0;

	for (i = 0; i < g->nrules; i++) {
		const struct gov_cond *c = ix_cond(g, &g->rules[i]);

		if (c)
			nvals += c->nv;
	}
	for (ix->cap = 16; ix->cap < nvals * 2; ix->cap *= 2)
		;
	if (!(ix->t = calloc(ix->cap, sizeof *ix->t)))
		return -1;
	for (i = 0; i < ix->cap; i++)
		ix->t[i].field = -1;
	if (!(ix->fields = calloc(g->nfields + 1, sizeof *ix->fields)))
		return -1;
	for (i = 0; i < g->nrules; i++) {
		const struct gov_cond *c = ix_cond(g, &g->rules[i]);

		if (!c) {
			if (u32_push(&ix->rest, &ix->nrest, &restcap,
			    (uint32_t)i) < 0)
				return -1;
			continue;
		}
		for (k = 0; k < ix->nfields && ix->fields[k] != c->field; k++)
			;
		if (k == ix->nfields)
			ix->fields[ix->nfields++] = c->field;
		for (j = 0; j < c->nv; j++) {
			struct gov_ixent *t = ix_slot(ix, c->field, c->v[j].s,
			    c->v[j].len);

			if (t->field == -1) {
				t->field = c->field;
				t->len = c->v[j].len;
				if (!(t->val = strndup(c->v[j].s, t->len)))
					return -1;
				ix->used++;
			}
			if (t->n && t->rules[t->n - 1] == (uint32_t)i)
				continue;
			if (u32_push(&t->rules, &t->n, &t->cap, (uint32_t)i) < 0)
				return -1;
		}
	}
	return 0;
}

void
gov_index_free(struct gov_index *ix)
{
	size_t i;

	for (i = 0; ix->t && i < ix->cap; i++) {
		free(ix->t[i].val);
		free(ix->t[i].rules);
	}
	free(ix->t);
	free(ix->fields);
	free(ix->rest);
	memset(ix, 0, sizeof *ix);
}

int
gov_index_candidates(struct grace_gov *g)
{
	struct gov_index *ix = &g->ix;
	struct gov_state *s = &g->st;
	size_t k = 0, i, out = 0;

	if (ix->nrest) {
		s->lists[k] = ix->rest;
		s->listn[k++] = ix->nrest;
	}
	for (i = 0; i < ix->nfields; i++) {
		const struct grace_jspan *sp = gov_field_span(g, ix->fields[i]);
		const struct gov_ixent *t;
		const char *str;
		size_t len;

		if (sp->kind != GRACE_J_STRING)
			continue;
		str = gov_span_str(g, sp, &len);
		t = ix_slot(ix, ix->fields[i], str, len);
		if (t->field != -1 && t->n) {
			s->lists[k] = t->rules;
			s->listn[k++] = t->n;
		}
	}
	if (k == 1) {
		memcpy(s->cand, s->lists[0], s->listn[0] * sizeof *s->cand);
		s->ncand = s->listn[0];
		return 0;
	}
	for (i = 0; i < k; i++)
		s->listpos[i] = 0;
	for (;;) {
		size_t best = k;
		uint32_t bv = 0;

		for (i = 0; i < k; i++) {
			if (s->listpos[i] < s->listn[i] &&
			    (best == k || s->lists[i][s->listpos[i]] < bv)) {
				best = i;
				bv = s->lists[i][s->listpos[i]];
			}
		}
		if (best == k)
			break;
		for (i = 0; i < k; i++)   /* a rule is in one list only */
			if (s->listpos[i] < s->listn[i] &&
			    s->lists[i][s->listpos[i]] == bv)
				s->listpos[i]++;
		s->cand[out++] = bv;
	}
	s->ncand = out;
	return 0;
}
