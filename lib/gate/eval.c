/* eval.c - judge one event: run the candidate rules layer by layer,
 * combine them in the documented precedence (constitution > threat deny >
 * deny > review > warn > allow > default), and write the verdict: the
 * grace.gate JSON, the deciding rule ids, the reasons, the --explain
 * trace. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate_int.h"
#include "jtext.h"

static const char *const layer_names[] = {
	"autonomous", "constitution", "threat", "policy", "risk",
};

void
grace_gov_verdict_init(struct grace_gov_verdict *v)
{
	memset(v, 0, sizeof *v);
}

void
grace_gov_verdict_free(struct grace_gov_verdict *v)
{
	grace_buf_free(&v->json);
	grace_buf_free(&v->rules);
	grace_buf_free(&v->reason);
	grace_buf_free(&v->explain);
	grace_buf_free(&v->voted);
	grace_buf_free(&v->missing);
}

/* The event as a jv, parsed once and shared by all jq conditions. */
static int
event_jv(struct grace_gov *g, struct grace_err *je)
{
	struct gov_state *s = &g->st;

	if (!s->have_event) {
		s->event = gov_event_jv(g);
		s->have_event = 1;
	}
	if (!jv_is_valid(s->event)) {
		grace_err_set(je, NULL, 0, 0, "the event could not be parsed "
		    "for jq");
		return -1;
	}
	return 0;
}

/* The match: conditions of r. Returns 1 or 0 (with the reason in x). */
static int
conds_pass(struct grace_gov *g, const struct gov_rule *r,
    struct grace_buf *x)
{
	size_t i;

	for (i = 0; i < r->nc; i++) {
		if (!gov_cond_eval(g, &r->c[i])) {
			if (x) {
				grace_buf_addf(x, "  %s %s: no: ",
				    layer_names[r->layer], r->id);
				gov_cond_explain(g, &r->c[i], x);
				grace_buf_add(x, "\n", 1);
			}
			return 0;
		}
	}
	return 1;
}

/* r's when:. Returns 1, 0, or -1 with je filled. */
static int
when_pass(struct grace_gov *g, const struct gov_rule *r,
    struct grace_buf *x, struct grace_err *je)
{
	int t;

	if (!r->when)
		return 1;
	if (event_jv(g, je) < 0)
		return -1;
	t = grace_jq_truthy(r->when, jv_copy(g->st.event), je);
	if (t == 0 && x)
		grace_buf_addf(x, "  %s %s: no: when %s is false or null\n",
		    layer_names[r->layer], r->id, grace_jq_source(r->when));
	return t;
}

static void
hit(struct grace_gov *g, uint32_t ri)
{
	struct gov_state *s = &g->st;
	enum gov_layer l = g->rules[ri].layer;

	s->hits[l][s->nhits[l]++] = ri;
}

static void
explain_match(struct grace_gov *g, const struct gov_rule *r,
    struct grace_buf *x)
{
	if (!x)
		return;
	grace_buf_addf(x, "  %s %s: match", layer_names[r->layer], r->id);
	if (r->layer == GOV_POLICY) {
		if (g->st.trustfail[r - g->rules])
			grace_buf_addf(x, " (%s, but trust %.15g is below %.15g: "
			    "%s)", grace_gov_decision_name(r->effect),
			    g->st.trust, r->min_trust,
			    grace_gov_decision_name(r->below_trust));
		else
			grace_buf_addf(x, " (%s)",
			    grace_gov_decision_name(r->effect));
	} else if (r->layer == GOV_THREAT) {
		grace_buf_addf(x, " (%s, severity %s)", r->deny ? "deny" : "raise",
		    grace_severity_name(r->severity));
	} else if (r->layer == GOV_RISKRULE) {
		grace_buf_addf(x, " (level %s)", grace_gov_risk_name(r->risk));
	}
	grace_buf_add(x, "\n", 1);
}

/* The text a threat pattern sees (lib/jtext.h): t[0..n) with every
 * string decoded in place, into s->norm. Returns 0 or -1 (ENOMEM). */
static int
normalize(struct grace_gov *g, const char *t, size_t n)
{
	grace_buf_reset(&g->st.norm);
	return grace_jtext_decode(&g->st.norm, t, n);
}

/* Scan text[0..len) with the pattern rules marked in only[] (narrowed
 * first by the literal prefilter, unless o->no_prefilter), recording the
 * rules that match in s->pmatched. */
static int
scan_text(struct grace_gov *g, const struct grace_gov_opts *o,
    const char *text, size_t len, unsigned char *only, struct grace_err *e)
{
	struct gov_state *s = &g->st;
	size_t np = grace_patterns_count(g->pats), k, nout;

	if (!o->no_prefilter)
		gov_pf_filter(g->pf, text, len, only);
	for (k = 0; k < np && !only[k]; k++)
		;
	if (k == np)
		return 0;
	if (grace_patterns_scan(g->pats, text, len, only, 0, s->pm, np, &nout,
	    e) < 0)
		return -1;
	for (k = 0; k < nout && k < np; k++)
		s->pmatched[s->pm[k].rule] = 1;
	return 0;
}

/* Scan the pending threat rules' patterns, then their when:. */
static int
threats_run(struct grace_gov *g, const struct grace_gov_opts *o,
    struct grace_buf *x, struct grace_err *je, const struct gov_rule **err,
    struct grace_err *e)
{
	struct gov_state *s = &g->st;
	size_t np = grace_patterns_count(g->pats), i, j, k;

	for (i = 0; i < s->npending; i++) {
		const struct gov_rule *r = &g->rules[s->pending[i]];
		int scope = r->scope;
		const char *text = s->p;
		size_t len = s->n;

		if (r->pat < 0 || s->pmatched[r->pat] != 0)
			continue;
		/* One scan for every pending rule of this scope. */
		memset(s->only, 0, np);
		for (j = i; j < s->npending; j++) {
			const struct gov_rule *q = &g->rules[s->pending[j]];

			if (q->pat >= 0 && q->scope == scope)
				s->only[q->pat] = 1;
		}
		for (j = i; j < s->npending; j++) {
			const struct gov_rule *q = &g->rules[s->pending[j]];

			if (q->pat >= 0 && q->scope == scope)
				s->pmatched[q->pat] = 2;   /* scanned, no match */
		}
		if (scope >= 0) {
			const struct grace_jspan *sp = gov_field_span(g, scope);

			if (sp->kind == GRACE_J_NONE)
				continue;
			text = s->p + sp->off;
			len = sp->len;
		}
		/* The text as it arrived, then, when it holds an escape,
		 * the same text with its strings decoded: a rule matches
		 * what the event says however it is spelled (and what it
		 * matched before). Without a backslash the two are equal. */
		memcpy(s->only2, s->only, np);
		if (scan_text(g, o, text, len, s->only2, e) < 0)
			return -1;
		if (!memchr(text, '\\', len))
			continue;
		for (j = 0, k = 0; k < np; k++) {
			if (s->only[k] && s->pmatched[k] == 1)
				s->only[k] = 0;
			j += s->only[k];
		}
		if (j == 0)
			continue;   /* all of them matched already */
		if (normalize(g, text, len) < 0)
			return grace_err_sys(e, NULL, "unable to decode the "
			    "event's strings");
		if (scan_text(g, o, s->norm.p, s->norm.len, s->only, e) < 0)
			return -1;
	}
	for (i = 0; i < s->npending; i++) {
		uint32_t ri = s->pending[i];
		const struct gov_rule *r = &g->rules[ri];
		int t;

		if (r->pat >= 0 && s->pmatched[r->pat] != 1) {
			if (x)
				grace_buf_addf(x, "  threat %s: no: pattern not "
				    "found%s\n", r->id, r->scope >= 0 ? " in the "
				    "field" : "");
			continue;
		}
		t = when_pass(g, r, x, je);
		if (t < 0) {
			*err = r;
			break;
		}
		if (t) {
			hit(g, ri);
			explain_match(g, r, x);
		}
	}
	for (i = 0; i < s->npending; i++) {
		const struct gov_rule *r = &g->rules[s->pending[i]];

		if (r->pat >= 0)
			s->pmatched[r->pat] = 0;
	}
	s->npending = 0;
	return 0;
}

/* ---------------------------------------------------------- deciding */

static int
dec_add(struct grace_gov *g, const char *id, const struct gov_rule *r,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
dec_add(struct grace_gov *g, const char *id, const struct gov_rule *r,
    const char *fmt, ...)
{
	struct gov_state *s = &g->st;
	struct gov_dec *d;
	size_t i, off = s->rbuf.len;
	va_list ap;
	char tmp[1024];
	int n;

	for (i = 0; i < s->ndec; i++)
		if (strcmp(s->dec[i].id, id) == 0)
			return 0;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof tmp)
		n = sizeof tmp - 1;
	if (grace_buf_add(&s->rbuf, tmp, (size_t)n) < 0)
		return -1;
	d = &s->dec[s->ndec++];
	d->id = id;
	d->r = r;
	d->roff = off;
	d->rlen = (size_t)n;
	return 0;
}

/* Like dec_add() with a plain reason (no formatting: the common case). */
static int
dec_adds(struct grace_gov *g, const char *id, const struct gov_rule *r,
    const char *reason)
{
	struct gov_state *s = &g->st;
	struct gov_dec *d;
	size_t i, off = s->rbuf.len, n = strlen(reason);

	for (i = 0; i < s->ndec; i++)
		if (strcmp(s->dec[i].id, id) == 0)
			return 0;
	if (grace_buf_add(&s->rbuf, reason, n) < 0)
		return -1;
	d = &s->dec[s->ndec++];
	d->id = id;
	d->r = r;
	d->roff = off;
	d->rlen = n;
	return 0;
}

/* "alice, bob, carol" for a quorum's approvers (flags: only those with
 * sel[i] set, all when sel is NULL). */
static void
names(char *out, size_t cap, const struct gov_quorum *q,
    const unsigned char *sel, int want)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < q->nfrom; i++) {
		if (sel && !!sel[i] != want)
			continue;
		o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s",
		    o ? ", " : "", q->from[i]);
		if (o >= cap) {
			out[cap - 1] = '\0';
			return;
		}
	}
}

#define review gov_review

/* The event's id, for votes. */
static const char *
event_id(struct grace_gov *g, size_t *len)
{
	const struct grace_jspan *sp = gov_field_span(g, 1);   /* id */

	if (sp->kind == GRACE_J_STRING)
		return gov_span_str(g, sp, len);
	if (sp->kind == GRACE_J_NUMBER) {
		*len = sp->len;
		return g->st.p + sp->off;
	}
	return NULL;
}

/* Count the votes of a review; fills rv. */
static void
review_count(struct grace_gov *g, const struct grace_gov_opts *o,
    struct review *rv, struct grace_buf *x)
{
	char idb[512];
	size_t len = 0;
	const char *id = event_id(g, &len);

	if (id && len < sizeof idb) {
		memcpy(idb, id, len);
		idb[len] = '\0';
		id = idb;
	} else {
		id = NULL;
	}
	gov_votes_count(o->votes, id, len, rv->q, o->now_ms, &rv->have,
	    g->st.missing, &rv->rejected_by, x);
}

static const char *
rule_msg(const struct gov_rule *r)
{
	return r && r->message && *r->message ? r->message : NULL;
}

/* The verdict's JSON, rule list and reasons from s->dec. */
static int
render(struct grace_gov *g, const struct grace_gov_opts *o,
    struct grace_gov_verdict *v, const struct review *unmet,
    const char *error)
{
	struct gov_state *s = &g->st;
	struct grace_buf *j = &v->json;
	const char *owner = NULL, *link = NULL;
	size_t i;
	int r = 0, any = 0;

	r |= grace_buf_adds(j, "{\"decision\":\"");
	r |= grace_buf_adds(j, grace_gov_decision_name(v->decision));
	r |= grace_buf_adds(j, "\",\"rules\":[");
	for (i = 0; i < s->ndec; i++) {
		const struct gov_dec *d = &s->dec[i];

		if (i) {
			r |= grace_buf_add(j, ",", 1);
			r |= grace_buf_adds(&v->rules, ", ");
		}
		r |= grace_buf_add_jstr(j, d->id, strlen(d->id));
		r |= grace_buf_adds(&v->rules, d->id);
		if (d->r && d->r->owner && !owner)
			owner = d->r->owner;
		if (d->r && d->r->link && !link)
			link = d->r->link;
	}
	r |= grace_buf_adds(j, "],\"reasons\":[");
	for (i = 0; i < s->ndec; i++) {
		const struct gov_dec *d = &s->dec[i];

		if (i) {
			r |= grace_buf_add(j, ",", 1);
			r |= grace_buf_adds(&v->reason, "; ");
		}
		r |= grace_buf_add_jstr(j, s->rbuf.p + d->roff, d->rlen);
		r |= grace_buf_add(&v->reason, s->rbuf.p + d->roff, d->rlen);
	}
	r |= grace_buf_adds(j, "],\"risk\":\"");
	r |= grace_buf_adds(j, grace_gov_risk_name(v->risk));
	r |= grace_buf_adds(j, "\",\"trust\":");
	r |= grace_buf_adds(j, s->trust_text);
	r |= grace_buf_adds(j, o->audit ? ",\"mode\":\"audit\"" :
	    ",\"mode\":\"enforce\"");
	if (unmet) {
		v->needed = unmet->q->required;
		v->have = unmet->have;
		v->votes_valid_ms = unmet->q->expires_ms;
		for (i = 0; i < unmet->q->nfrom; i++) {
			const char *who = unmet->q->from[i];

			if (s->missing[i]) {
				r |= grace_buf_add(&v->missing, who,
				    strlen(who) + 1);
				v->nmissing++;
			} else {
				r |= grace_buf_add(&v->voted, who, strlen(who) + 1);
				v->nvoted++;
			}
		}
		r |= grace_buf_adds(j, ",\"approvals\":{\"needed\":");
		r |= grace_buf_addu(j, unmet->q->required);
		r |= grace_buf_adds(j, ",\"have\":");
		r |= grace_buf_addu(j, unmet->have);
		r |= grace_buf_adds(j, ",\"missing\":[");
		for (i = 0; i < unmet->q->nfrom; i++) {
			if (!s->missing[i])
				continue;
			if (any++)
				r |= grace_buf_add(j, ",", 1);
			r |= grace_buf_add_jstr(j, unmet->q->from[i],
			    strlen(unmet->q->from[i]));
		}
		r |= grace_buf_adds(j, "]}");
	}
	any = 0;
	for (i = 0; i < s->ndec; i++) {
		const struct gov_rule *d = s->dec[i].r;

		if (!d || !d->obligations || !*d->obligations)
			continue;
		r |= grace_buf_adds(j, any++ ? "," : ",\"obligations\":[");
		r |= grace_buf_adds(j, d->obligations);
	}
	if (any)
		r |= grace_buf_adds(j, "]");
	if (owner) {
		r |= grace_buf_adds(j, ",\"owner\":");
		r |= grace_buf_add_jstr(j, owner, strlen(owner));
	}
	if (link) {
		r |= grace_buf_adds(j, ",\"link\":");
		r |= grace_buf_add_jstr(j, link, strlen(link));
	}
	if (error) {
		r |= grace_buf_adds(j, ",\"error\":");
		r |= grace_buf_add_jstr(j, error, strlen(error));
	}
	r |= grace_buf_adds(j, "}");
	if (!v->rules.p)
		r |= grace_buf_adds(&v->rules, "");
	if (!v->reason.p)
		r |= grace_buf_adds(&v->reason, "");
	return r ? -1 : 0;
}

static const char *
tier_need(const struct gov_tier *t, enum grace_gov_decision d, int autonomous,
    int trustfail, double trust, const char *actor, char *buf, size_t cap)
{
	char who[512];

	if (t->message && *t->message)
		return t->message;
	if (trustfail) {
		snprintf(buf, cap, "trust %.15g of '%s' is below %.15g required "
		    "at risk %s", trust, actor, t->min_trust, t->id + 5);
		return buf;
	}
	switch (d) {
	case GRACE_GOV_DENY:
		snprintf(buf, cap, "%s actions at risk %s are never allowed",
		    autonomous ? "autonomous" : "human", t->id + 5);
		break;
	case GRACE_GOV_REVIEW:
		names(who, sizeof who, t->q, NULL, 0);
		snprintf(buf, cap, "risk %s needs %zu approval%s from %s",
		    t->id + 5, t->q->required, t->q->required > 1 ? "s" : "",
		    who);
		break;
	default:
		snprintf(buf, cap, "risk %s: allowed with a warning", t->id + 5);
	}
	return buf;
}

int
grace_gov_judge(struct grace_gov *g, const struct grace_gov_opts *o,
    const char *p, size_t n, struct grace_gov_verdict *v,
    struct grace_err *e)
{
	struct gov_state *s = &g->st;
	struct grace_buf *x = o->explain ? &v->explain : NULL;
	const struct gov_rule *err_rule = NULL;
	struct grace_err je;
	struct review *reviews = g->st.reviews, *unmet = NULL;
	size_t nrev = 0, i, k;
	const struct gov_tier *tier;
	enum grace_gov_decision req;
	int risk, tier_trustfail, field_risk = -1;
	const char *actor;
	char buf[1024], errbuf[1400];

	/* Reset the per-event state. */
	if (++s->gen == 0) {
		memset(s->fgen, 0, g->nfields * sizeof *s->fgen);
		s->gen = 1;
	}
	s->p = p;
	s->n = n;
	if (s->have_event) {
		jv_free(s->event);
		s->have_event = 0;
	}
	for (i = 0; i < GOV_NLAYERS; i++)
		s->nhits[i] = 0;
	s->ndec = 0;
	s->npending = 0;
	s->autonomous = 0;
	grace_buf_reset(&s->rbuf);
	grace_buf_reset(&v->json);
	grace_buf_reset(&v->rules);
	grace_buf_reset(&v->reason);
	grace_buf_reset(&v->explain);
	grace_buf_reset(&v->voted);
	grace_buf_reset(&v->missing);
	v->needed = v->have = v->nvoted = v->nmissing = 0;
	v->votes_valid_ms = 0;

	/* Trust: of the actor, else of the source. */
	{
		const struct grace_jspan *sp = gov_field_span(g, 3); /* actor */
		const struct gov_trust *t;
		const char *str;
		size_t len;

		if (sp->kind != GRACE_J_STRING)
			sp = gov_field_span(g, 4);   /* source */
		grace_buf_reset(&s->tbuf);
		s->trust = g->trust_default;
		s->trust_text = g->trust_default_text;
		s->quarantined = 0;
		if (sp->kind == GRACE_J_STRING) {
			str = gov_span_str(g, sp, &len);
			if (grace_buf_add(&s->tbuf, str, len) < 0)
				return grace_err_sys(e, NULL, "out of memory");
			if ((t = gov_trust_find(g, s->tbuf.p, len))) {
				if (t->has_score) {
					s->trust = t->score;
					s->trust_text = t->text;
				}
				s->quarantined = t->quarantined;
			}
		}
	}
	if (gov_index_candidates(g) < 0)
		return grace_err_sys(e, NULL, "out of memory");

	/* The rules, layer by layer (candidates are in rule order). */
	for (i = 0; i < s->ncand && !err_rule; i++) {
		uint32_t ri = s->cand[i];
		const struct gov_rule *r = &g->rules[ri];
		int t;

		if (r->layer == GOV_THREAT) {
			if (conds_pass(g, r, x))
				s->pending[s->npending++] = ri;
			if ((i + 1 == s->ncand ||
			    g->rules[s->cand[i + 1]].layer != GOV_THREAT) &&
			    threats_run(g, o, x, &je, &err_rule, e) < 0)
				return -1;
			continue;
		}
		if (r->layer == GOV_AUTONOMY && s->autonomous)
			continue;
		if (!conds_pass(g, r, x))
			continue;
		if ((t = when_pass(g, r, x, &je)) < 0) {
			err_rule = r;
			break;
		}
		if (!t)
			continue;
		if (r->layer == GOV_POLICY)
			s->trustfail[ri] = r->min_trust >= 0 &&
			    s->trust < r->min_trust;
		if (r->layer == GOV_AUTONOMY)
			s->autonomous = 1;
		hit(g, ri);
		explain_match(g, r, x);
	}
	v->trust = s->trust;
	v->risk = g->risk_default;
	if (x) {
		if (s->ncand < g->nrules)
			grace_buf_addf(x, "  (%zu of %zu rules not consulted: the "
			    "index rules them out)\n", g->nrules - s->ncand,
			    g->nrules);
		grace_buf_addf(x, "  trust %.15g", s->trust);
		if (s->tbuf.len)
			grace_buf_addf(x, " (%s%s)", s->tbuf.p,
			    gov_trust_find(g, s->tbuf.p, s->tbuf.len) ? "" :
			    ": not in the trust file, the default");
		grace_buf_addf(x, "; %s%s\n", s->autonomous ? "autonomous" :
		    "human", s->quarantined ? "; quarantined" : "");
	}
	if (err_rule) {
		v->decision = GRACE_GOV_ERROR;
		if (je.line)
			snprintf(errbuf, sizeof errbuf, "rule '%s' (%s:%lu:%lu): %s",
			    err_rule->id, je.file, je.line, je.col, je.msg);
		else
			snprintf(errbuf, sizeof errbuf, "rule '%s': %s",
			    err_rule->id, je.msg);
		if (dec_adds(g, err_rule->id, err_rule, errbuf) < 0 ||
		    render(g, o, v, NULL, errbuf) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		if (x)
			grace_buf_addf(x, "  %s %s: error: %s\n  => error\n",
			    layer_names[err_rule->layer], err_rule->id, je.msg);
		return 0;
	}

	/* Risk: the highest of the default, the event's own field, and the
	 * threats, policies and risk rules that matched. */
	risk = g->risk_default;
	if (g->risk_field >= 0) {
		const struct grace_jspan *sp = gov_field_span(g, g->risk_field);
		const char *str;
		size_t len;

		if (sp->kind == GRACE_J_STRING) {
			str = gov_span_str(g, sp, &len);
			for (k = 0; k < 4; k++)
				if (strlen(grace_gov_risk_name((int)k)) == len &&
				    memcmp(grace_gov_risk_name((int)k), str, len) == 0)
					field_risk = (int)k;
			if (field_risk > risk)
				risk = field_risk;
		}
	}
	for (k = GOV_THREAT; k <= GOV_RISKRULE; k++)
		for (i = 0; i < s->nhits[k]; i++)
			if (g->rules[s->hits[k][i]].risk > risk)
				risk = g->rules[s->hits[k][i]].risk;
	v->risk = risk;
	tier = &g->tiers[risk];
	req = s->autonomous ? tier->autonomous : tier->human;
	tier_trustfail = tier->min_trust >= 0 && s->trust < tier->min_trust;
	if (tier_trustfail && tier->below_trust > req)
		req = tier->below_trust;

	actor = s->tbuf.len ? s->tbuf.p : "(no actor)";
	/* The layers, in precedence order. */
	if (s->nhits[GOV_CONSTITUTION]) {
		v->decision = GRACE_GOV_DENY;
		for (i = 0; i < s->nhits[GOV_CONSTITUTION]; i++) {
			const struct gov_rule *r =
			    &g->rules[s->hits[GOV_CONSTITUTION][i]];

			if (dec_adds(g, r->id, r, rule_msg(r) ? rule_msg(r) :
			    "forbidden by the constitution") < 0)
				goto nomem;
		}
		goto done;
	}
	for (i = 0; i < s->nhits[GOV_THREAT]; i++) {
		const struct gov_rule *r = &g->rules[s->hits[GOV_THREAT][i]];

		if (r->deny && dec_add(g, r->id, r, "%s%s(threat, severity %s)",
		    rule_msg(r) ? rule_msg(r) : "", rule_msg(r) ? " " : "",
		    grace_severity_name(r->severity)) < 0)
			goto nomem;
	}
	if (s->ndec) {
		v->decision = GRACE_GOV_DENY;
		goto done;
	}
	/* Reviews asked for, and their votes. */
	for (i = 0; i < s->nhits[GOV_POLICY]; i++) {
		const struct gov_rule *r = &g->rules[s->hits[GOV_POLICY][i]];
		enum grace_gov_decision eff = s->trustfail[r - g->rules] ?
		    r->below_trust : r->effect;

		if (eff == GRACE_GOV_REVIEW)
			reviews[nrev++] = (struct review){ r->id, r, r->q, 0, NULL };
	}
	if (req == GRACE_GOV_REVIEW)
		reviews[nrev++] = (struct review){ tier->id, NULL, tier->q, 0, NULL };
	for (i = 0; i < nrev; i++)
		review_count(g, o, &reviews[i], x);
	/* Deny: policies, rejected reviews, the tier, the default. */
	for (i = 0; i < s->nhits[GOV_POLICY]; i++) {
		const struct gov_rule *r = &g->rules[s->hits[GOV_POLICY][i]];

		if (s->trustfail[r - g->rules]) {
			if (r->below_trust == GRACE_GOV_DENY &&
			    dec_add(g, r->id, r, "trust %.15g of '%s' is below %.15g "
			    "required by policy '%s'", s->trust, s->tbuf.len ?
			    s->tbuf.p : "(no actor)", r->min_trust, r->id) < 0)
				goto nomem;
		} else if (r->effect == GRACE_GOV_DENY &&
		    dec_adds(g, r->id, r, rule_msg(r) ? rule_msg(r) :
		    "denied by policy") < 0) {
			goto nomem;
		}
	}
	for (i = 0; i < nrev; i++)
		if (reviews[i].rejected_by && reviews[i].q->reject_denies &&
		    dec_add(g, reviews[i].id, reviews[i].r, "rejected by %s",
		    reviews[i].rejected_by) < 0)
			goto nomem;
	if (req == GRACE_GOV_DENY && dec_adds(g, tier->id, NULL,
	    tier_need(tier, req, s->autonomous, tier_trustfail, s->trust, actor,
	    buf, sizeof buf)) < 0)
		goto nomem;
	if (!s->nhits[GOV_POLICY] && g->deflt == GRACE_GOV_DENY &&
	    dec_adds(g, "default", NULL, "no policy matched: the default is "
	    "deny") < 0)
		goto nomem;
	if (s->ndec) {
		v->decision = GRACE_GOV_DENY;
		goto done;
	}
	/* Review: the first review whose quorum is not met. */
	for (i = 0; i < nrev; i++) {
		struct review *rv = &reviews[i];
		char who[512];

		if (rv->have >= rv->q->required)
			continue;
		if (!unmet)
			unmet = rv;
		if (rv->r && s->trustfail[rv->r - g->rules]) {
			if (dec_add(g, rv->id, rv->r, "trust %.15g of '%s' is "
			    "below %.15g required by policy '%s'", s->trust,
			    s->tbuf.len ? s->tbuf.p : "(no actor)",
			    rv->r->min_trust, rv->id) < 0)
				goto nomem;
		} else if (rv->r && rule_msg(rv->r)) {
			if (dec_adds(g, rv->id, rv->r, rule_msg(rv->r)) < 0)
				goto nomem;
		} else if (!rv->r) {
			if (dec_adds(g, rv->id, NULL, tier_need(tier, req,
			    s->autonomous, tier_trustfail, s->trust, actor, buf,
			    sizeof buf)) < 0)
				goto nomem;
		} else {
			names(who, sizeof who, rv->q, NULL, 0);
			if (dec_add(g, rv->id, rv->r, "needs %zu approval%s from "
			    "%s", rv->q->required, rv->q->required > 1 ? "s" : "",
			    who) < 0)
				goto nomem;
		}
	}
	if (unmet) {
		/* missing[] must describe the first unmet review. */
		review_count(g, o, unmet, NULL);
		v->decision = GRACE_GOV_REVIEW;
		goto done;
	}
	/* Warn: policies, the tier, the default. */
	for (i = 0; i < s->nhits[GOV_POLICY]; i++) {
		const struct gov_rule *r = &g->rules[s->hits[GOV_POLICY][i]];
		enum grace_gov_decision eff = s->trustfail[r - g->rules] ?
		    r->below_trust : r->effect;

		if (eff == GRACE_GOV_WARN && dec_adds(g, r->id, r, rule_msg(r) ? rule_msg(r) : "allowed with a warning") < 0)
			goto nomem;
	}
	if (req == GRACE_GOV_WARN && dec_adds(g, tier->id, NULL,
	    tier_need(tier, req, s->autonomous, tier_trustfail, s->trust, actor,
	    buf, sizeof buf)) < 0)
		goto nomem;
	if (!s->nhits[GOV_POLICY] && g->deflt == GRACE_GOV_WARN &&
	    dec_adds(g, "default", NULL, "no policy matched: the default is "
	    "warn") < 0)
		goto nomem;
	if (s->ndec) {
		v->decision = GRACE_GOV_WARN;
		goto done;
	}
	/* Allow: policies and approved reviews, or the default. */
	for (i = 0; i < s->nhits[GOV_POLICY]; i++) {
		const struct gov_rule *r = &g->rules[s->hits[GOV_POLICY][i]];

		if (r->effect == GRACE_GOV_ALLOW && !s->trustfail[r - g->rules] &&
		    dec_adds(g, r->id, r, rule_msg(r) ? rule_msg(r) :
		    "allowed by policy") < 0)
			goto nomem;
	}
	for (i = 0; i < nrev; i++) {
		char who[512];

		review_count(g, o, &reviews[i], NULL);
		names(who, sizeof who, reviews[i].q, s->missing, 0);
		if (dec_add(g, reviews[i].id, reviews[i].r, "approved by %s",
		    who) < 0)
			goto nomem;
	}
	if (!s->nhits[GOV_POLICY] && dec_adds(g, "default", NULL,
	    "no policy matched: the default is allow") < 0)
		goto nomem;
	v->decision = GRACE_GOV_ALLOW;
done:
	/* When the tier decided, name what set the risk. */
	for (i = 0; i < s->ndec; i++)
		if (strcmp(s->dec[i].id, tier->id) == 0)
			break;
	if (i < s->ndec) {
		for (k = GOV_THREAT; k <= GOV_RISKRULE; k++) {
			size_t h;

			for (h = 0; h < s->nhits[k]; h++) {
				const struct gov_rule *r = &g->rules[s->hits[k][h]];

				if (r->risk != risk || risk == g->risk_default)
					continue;
				if (dec_add(g, r->id, r, "%s%sraised the risk to %s",
				    rule_msg(r) ? rule_msg(r) : "",
				    rule_msg(r) ? ": " : "",
				    grace_gov_risk_name(risk)) < 0)
					goto nomem;
			}
		}
	}
	if (render(g, o, v, unmet, NULL) < 0)
		goto nomem;
	if (x) {
		grace_buf_addf(x, "  risk %s", grace_gov_risk_name(risk));
		if (field_risk == risk && risk > g->risk_default)
			grace_buf_addf(x, " (declared by %s)",
			    g->fields[g->risk_field].path);
		grace_buf_addf(x, "; tier %s: %s\n", tier->id + 5,
		    grace_gov_decision_name(req));
		grace_buf_addf(x, "  => %s", grace_gov_decision_name(v->decision));
		if (v->rules.len)
			grace_buf_addf(x, " by %s", v->rules.p);
		grace_buf_add(x, "\n", 1);
	}
	return 0;
nomem:
	return grace_err_sys(e, NULL, "out of memory");
}
