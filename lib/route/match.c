/* match.c - which routes an event matches, and where it goes. */
#include <oniguruma.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate.h"
#include "glob.h"
#include "jpath.h"
#include "jqx.h"
#include "jwalk.h"
#include "route_int.h"

static int
matcher_ok(const struct grace_rmatcher *mt, const char *v, size_t n)
{
	int hit;

	if (mt->op == GRACE_ROP_EQ || mt->op == GRACE_ROP_NE) {
		hit = strlen(mt->value) == n && memcmp(mt->value, v, n) == 0;
		return mt->op == GRACE_ROP_EQ ? hit : !hit;
	}
	hit = onig_search(mt->re, (const OnigUChar *)v,
	    (const OnigUChar *)v + n, (const OnigUChar *)v,
	    (const OnigUChar *)v + n, NULL, ONIG_OPTION_NONE) >= 0;
	return mt->op == GRACE_ROP_RE ? hit : !hit;
}

static int
globs_ok(const char **g, size_t ng, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ng; i++)
		if (grace_glob_match(g[i], s, n))
			return 1;
	return 0;
}

int
grace_rsel_match(const struct grace_rsel *sel, const char *p, size_t n,
    struct grace_rmatch *m)
{
	static char *const src[] = { "source" }, *const typ[] = { "type" };
	size_t j;
	int t;

	if (sel->nsources) {
		if ((t = grace_jpath_text(p, n, src, 1, &m->sv, &m->tmp)) < 0)
			return -1;
		if (!t || !globs_ok(sel->sources, sel->nsources, m->sv.p,
		    m->sv.len))
			return 0;
	}
	if (sel->ntypes) {
		if ((t = grace_jpath_text(p, n, typ, 1, &m->tv, &m->tmp)) < 0)
			return -1;
		if (!t || !globs_ok(sel->types, sel->ntypes, m->tv.p, m->tv.len))
			return 0;
	}
	for (j = 0; j < sel->nm; j++) {
		if (grace_jpath_text(p, n, sel->m[j].segs, sel->m[j].nsegs, &m->mv,
		    &m->tmp) < 0)
			return -1;
		if (!matcher_ok(&sel->m[j], m->mv.p, m->mv.len))
			return 0;
	}
	return 1;
}

static char *const req_path[GRACE_RREQ_N][3] = {
	{ "grace", "gate", "decision" },
	{ "grace", "verify", "status" },
	{ "grace", "decision", "verdict" },
};

/* Route r matched: do its validations hold? Returns 1, 0 (m->why says
 * what failed), -1 (e filled: a jq runtime error, memory). */
static int
validate(const struct grace_routes *rs, const struct grace_rroute *r,
    const char *p, size_t n, jv *doc, int *parsed, struct grace_rmatch *m,
    struct grace_buf *v, struct grace_err *e)
{
	size_t i, k;
	int t;

	grace_buf_reset(&m->why);
	if (r->has_min_trust) {
		/* As grace-gate reads it: the actor's, else the source's. */
		struct grace_jspan s = { 0, 0, GRACE_J_NULL };
		const char *who = NULL;
		double score;
		int quar;

		if (!grace_jpath_member(p, 0, n, "actor", &s, &m->tmp) ||
		    s.kind != GRACE_J_STRING)
			if (!grace_jpath_member(p, 0, n, "source", &s, &m->tmp))
				s.kind = GRACE_J_NULL;
		grace_buf_reset(v);
		if (s.kind == GRACE_J_STRING) {
			if (grace_json_unescape(v, p + s.off, s.len) < 0)
				return grace_err_sys(e, NULL, "out of memory");
			who = v->p;
		}
		score = grace_trust_score(rs->trust, who, who ? v->len : 0,
		    &quar);
		if (quar || !(score >= r->min_trust)) {
			if ((quar ? grace_buf_addf(&m->why, "'%s' is quarantined "
			    "in the trust file", who) : grace_buf_addf(&m->why,
			    "trust %.15g of '%s' is below %.15g", score, who ?
			    who : "(no actor)", r->min_trust)) < 0)
				return grace_err_sys(e, NULL, "out of memory");
			return 0;
		}
	}
	for (i = 0; i < GRACE_RREQ_N; i++) {
		if (!r->req[i])
			continue;
		if ((t = grace_jpath_text(p, n, req_path[i], 3, v, &m->tmp)) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		for (k = 0; t && k < r->nreq[i]; k++)
			if (strcmp(v->p, r->req[i][k]) == 0)
				break;
		if (t && k < r->nreq[i])
			continue;       /* this one holds */
		if (t)
			grace_buf_addf(&m->why, "grace.%s.%s is '%s', not ",
			    req_path[i][1], req_path[i][2], v->p);
		else
			grace_buf_addf(&m->why, "grace.%s.%s is missing, not ",
			    req_path[i][1], req_path[i][2]);
		for (k = 0; k < r->nreq[i]; k++)
			grace_buf_addf(&m->why, "%s%s", k ? " or " : "",
			    r->req[i][k]);
		return m->why.p ? 0 : grace_err_sys(e, NULL, "out of memory");
	}
	if (r->validate) {
		if (!*parsed) {
			*doc = grace_jv_parse(p, n);
			*parsed = 1;
		}
		t = grace_jq_truthy(r->validate, jv_copy(*doc), e);
		if (t < 0)
			return -1;
		if (!t) {
			if (grace_buf_addf(&m->why, "validate '%s' is false",
			    grace_jq_source(r->validate)) < 0)
				return grace_err_sys(e, NULL, "out of memory");
			return 0;
		}
	}
	return 1;
}

int
grace_rmatch_init(struct grace_rmatch *m, const struct grace_routes *rs)
{
	size_t i;

	memset(m, 0, sizeof *m);
	m->routes = calloc(rs->nr + 1, sizeof *m->routes);
	m->targets = calloc(rs->nt + 1, sizeof *m->targets);
	m->seen = calloc(rs->nt + 1, 1);
	m->supp = calloc(rs->nr + 1, 1);
	if (!m->routes || !m->targets || !m->seen || !m->supp) {
		grace_rmatch_free(m);
		return -1;
	}
	m->cap_ = rs->nt;
	m->nr_ = rs->nr;
	if (!(m->jo_ = calloc(rs->nr + rs->nt + 1, sizeof *m->jo_))) {
		grace_rmatch_free(m);
		return -1;
	}
	for (i = 0; i < rs->nr + rs->nt; i++) {
		const char *s = i < rs->nr ? rs->r[i].name : rs->t[i - rs->nr].name;

		m->jo_[i] = m->jn_.len;
		if (grace_buf_add_jstr(&m->jn_, s, strlen(s)) < 0) {
			grace_rmatch_free(m);
			return -1;
		}
	}
	m->jo_[i] = m->jn_.len;
	return 0;
}

void
grace_rmatch_free(struct grace_rmatch *m)
{
	free(m->routes);
	free(m->targets);
	free(m->seen);
	free(m->supp);
	grace_buf_free(&m->tmp);
	grace_buf_free(&m->why);
	grace_buf_free(&m->sv);
	grace_buf_free(&m->tv);
	grace_buf_free(&m->mv);
	grace_buf_free(&m->jn_);
	free(m->jo_);
	memset(m, 0, sizeof *m);
}

static void
add_target(struct grace_rmatch *m, size_t t)
{
	if (!m->seen[t]) {
		m->seen[t] = 1;
		m->targets[m->ntargets++] = t;
	}
}

/* The unescaped text of a string span into b; 0 if not a string. */
static int
span_str(const char *p, const struct grace_jspan *s, struct grace_buf *b)
{
	grace_buf_reset(b);
	if (s->kind != GRACE_J_STRING)
		return 0;
	if (grace_json_unescape(b, p + s->off, s->len) < 0)
		return -1;
	return 1;
}

#define EXPLAIN(...) do { if (explain && grace_buf_addf(explain, \
	__VA_ARGS__) < 0) goto nomem; } while (0)

int
grace_routes_match(const struct grace_routes *rs, const char *p, size_t n,
    const struct grace_jspan *src, const struct grace_jspan *type,
    struct grace_rmatch *m, struct grace_buf *explain, struct grace_err *e)
{
	struct grace_buf *sv = &m->sv, *tv = &m->tv, *mv = &m->mv;
	jv doc = jv_invalid();
	int have_src, have_type, parsed = 0, status = 0;
	size_t i, j;

	for (i = 0; i < m->ntargets; i++)
		m->seen[m->targets[i]] = 0;
	m->nroutes = m->ntargets = 0;
	m->prio = GRACE_RP_LOW;
	m->unmatched = 0;
	m->quarantined = -1;
	m->suppressed = -1;
	m->inhibited = -1;
	m->silenced = -1;
	if ((have_src = span_str(p, src, sv)) < 0 ||
	    (have_type = span_str(p, type, tv)) < 0)
		goto nomem;
	for (i = 0; i < rs->nr; i++) {
		const struct grace_rroute *r = &rs->r[i];
		int ok = 1;

		if (r->sel.nsources && !(have_src && globs_ok(r->sel.sources,
		    r->sel.nsources, sv->p, sv->len))) {
			EXPLAIN("  route %s: no: source %s%s%s does not match\n",
			    r->name, have_src ? "'" : "", have_src ? sv->p :
			    "(none)", have_src ? "'" : "");
			continue;
		}
		if (r->sel.ntypes && !(have_type && globs_ok(r->sel.types, r->sel.ntypes,
		    tv->p, tv->len))) {
			EXPLAIN("  route %s: no: type %s%s%s does not match\n",
			    r->name, have_type ? "'" : "", have_type ? tv->p :
			    "(none)", have_type ? "'" : "");
			continue;
		}
		for (j = 0; j < r->sel.nm && ok; j++) {
			if (grace_jpath_text(p, n, r->sel.m[j].segs, r->sel.m[j].nsegs, mv,
			    &m->tmp) < 0)
				goto nomem;
			if (!matcher_ok(&r->sel.m[j], mv->p, mv->len)) {
				ok = 0;
				EXPLAIN("  route %s: no: matcher '%s' fails on "
				    "'%s'\n", r->name, r->sel.m[j].text, mv->p);
			}
		}
		if (!ok)
			continue;
		if (r->when) {
			int t;

			if (!parsed) {
				doc = grace_jv_parse(p, n);
				parsed = 1;
			}
			t = grace_jq_truthy(r->when, jv_copy(doc), e);
			if (t < 0) {
				EXPLAIN("  route %s: error: %s\n", r->name,
				    e->msg);
				status = -1;
				m->nroutes = 0;
				break;
			}
			if (!t) {
				EXPLAIN("  route %s: no: when '%s' is false\n",
				    r->name, grace_jq_source(r->when));
				continue;
			}
		}
		if (grace_route_validates(r)) {
			int v = validate(rs, r, p, n, &doc, &parsed, m, mv, e);

			if (v < 0) {
				EXPLAIN("  route %s: error: %s\n", r->name,
				    e->msg);
				status = -1;
				m->nroutes = 0;
				break;
			}
			if (!v) {
				EXPLAIN("  route %s: matched, quarantined: %s\n",
				    r->name, m->why.p);
				for (j = 0; j < m->ntargets; j++)
					m->seen[m->targets[j]] = 0;
				m->ntargets = 0;
				m->routes[0] = i;
				m->supp[0] = GRACE_RSUP_NONE;
				m->nroutes = 1;
				m->quarantined = (long)i;
				m->prio = r->prio;
				add_target(m, (size_t)rs->quarantine);
				goto out;
			}
		}
		EXPLAIN("  route %s: matched%s\n", r->name, r->cont ?
		    " (continue)" : "");
		m->supp[m->nroutes] = GRACE_RSUP_NONE;
		m->routes[m->nroutes++] = i;
		if (r->prio < m->prio)
			m->prio = r->prio;
		for (j = 0; j < r->ntargets; j++)
			add_target(m, r->targets[j]);
		if (!r->cont)
			break;
	}
	if (m->nroutes == 0) {
		for (i = 0; i < m->ntargets; i++)
			m->seen[m->targets[i]] = 0;
		m->ntargets = 0;
		m->unmatched = 1;
		m->prio = GRACE_RP_NORMAL;
		add_target(m, rs->dflt);
		if (status == 0)
			EXPLAIN("  no route matched: default target %s\n",
			    rs->t[rs->dflt].name);
	}
	goto out;
nomem:
	status = grace_err_sys(e, NULL, "out of memory");
out:
	jv_free(doc);
	return status;
}

const char *
grace_rmatch_target_json(const struct grace_rmatch *m, size_t t, size_t *n)
{
	*n = m->jo_[m->nr_ + t + 1] - m->jo_[m->nr_ + t];
	return m->jn_.p + m->jo_[m->nr_ + t];
}

/* "key":[names...] of routes (or targets) ix[0..n), from m's names. */
static int
add_names(struct grace_buf *out, const char *key, size_t klen,
    const size_t *ix, size_t n, const struct grace_rmatch *m, int routes)
{
	size_t i, need = klen + 2, base = routes ? 0 : m->nr_;
	char *o;

	for (i = 0; i < n; i++)
		need += m->jo_[base + ix[i] + 1] - m->jo_[base + ix[i]] + 1;
	if (grace_buf_reserve(out, need) < 0)
		return -1;
	o = out->p + out->len;
	memcpy(o, key, klen);
	o += klen;
	for (i = 0; i < n; i++) {
		size_t a = m->jo_[base + ix[i]], b = m->jo_[base + ix[i] + 1];

		if (i)
			*o++ = ',';
		memcpy(o, m->jn_.p + a, b - a);
		o += b - a;
	}
	*o++ = ']';
	out->len = (size_t)(o - out->p);
	out->p[out->len] = '\0';
	return 0;
}

int
grace_rmatch_json(const struct grace_routes *rs,
    const struct grace_rmatch *m, const char *extra, struct grace_buf *out)
{
	int x = grace_buf_add(out, "{", 1);

	x |= add_names(out, "\"matched\":[", 11, m->routes, m->nroutes, m, 1);
	x |= add_names(out, ",\"targets\":[", 12, m->targets, m->ntargets, m,
	    0);
	if (m->inhibited >= 0) {
		const char *rn = rs->inh[m->inhibited].name;

		x |= grace_buf_adds(out, ",\"reason\":\"inhibited\",\"rule\":");
		x |= grace_buf_add_jstr(out, rn, strlen(rn));
	} else if (m->silenced >= 0) {
		const struct grace_rsilence *z = &rs->sil[m->silenced];

		x |= grace_buf_adds(out, ",\"reason\":\"silenced\",\"rule\":");
		x |= grace_buf_add_jstr(out, z->id, strlen(z->id));
		x |= grace_buf_adds(out, ",\"by\":");
		x |= grace_buf_add_jstr(out, z->by, strlen(z->by));
		x |= grace_buf_adds(out, ",\"why\":");
		x |= grace_buf_add_jstr(out, z->why, strlen(z->why));
	} else if (m->unmatched) {
		x |= grace_buf_adds(out, ",\"reason\":\"unmatched\","
		    "\"rule\":\"default\"");
	} else if (m->suppressed >= 0) {
		const char *rn = rs->r[m->suppressed].name;
		size_t i;

		for (i = 0; i < m->nroutes; i++)
			if (m->routes[i] == (size_t)m->suppressed)
				break;
		x |= grace_buf_addf(out, ",\"reason\":\"%s\",\"rule\":",
		    m->supp[i] == GRACE_RSUP_DEDUPED ? "deduped" : "throttled");
		x |= grace_buf_add_jstr(out, rn, strlen(rn));
	} else if (m->quarantined >= 0) {
		const char *rn = rs->r[m->quarantined].name;

		x |= grace_buf_adds(out, ",\"reason\":\"quarantined\",\"rule\":");
		x |= grace_buf_add_jstr(out, rn, strlen(rn));
		x |= grace_buf_adds(out, ",\"why\":");
		x |= grace_buf_add_jstr(out, m->why.p, m->why.len);
	} else {
		size_t i, k = 0;

		x |= grace_buf_adds(out, ",\"priority\":\"");
		x |= grace_buf_adds(out, grace_rprio_name(m->prio));
		x |= grace_buf_add(out, "\"", 1);
		for (i = 0; i < m->nroutes; i++) {
			const char *rn = rs->r[m->routes[i]].name;

			if (!m->supp[i])
				continue;
			x |= grace_buf_adds(out, k++ ? "," : ",\"suppressed\":[");
			x |= grace_buf_adds(out, "{\"route\":");
			x |= grace_buf_add_jstr(out, rn, strlen(rn));
			x |= grace_buf_addf(out, ",\"reason\":\"%s\"}",
			    m->supp[i] == GRACE_RSUP_DEDUPED ? "deduped" :
			    "throttled");
		}
		if (k)
			x |= grace_buf_add(out, "]", 1);
	}
	if (extra)
		x |= grace_buf_adds(out, extra);
	x |= grace_buf_add(out, "}", 1);
	return x ? -1 : 0;
}
