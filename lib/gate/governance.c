/* governance.c - load and validate the governance file and the trust file
 * (grace-governance(5)): every key checked, every jq condition compiled,
 * every regex built, errors at file:line:col. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate_int.h"

static const char *const decision_names[] = {
	"allow", "warn", "review", "deny", "error",
};
static const char *const risk_names[] = {
	"low", "medium", "high", "critical",
};

const char *
grace_gov_decision_name(enum grace_gov_decision d)
{
	return (unsigned)d <= GRACE_GOV_ERROR ? decision_names[d] : "error";
}

const char *
grace_gov_risk_name(int r)
{
	return r >= 0 && r < 4 ? risk_names[r] : "low";
}

static int
oom(struct grace_err *e)
{
	errno = ENOMEM;
	return grace_err_sys(e, NULL, "out of memory");
}

static int
risk_parse(const struct grace_ynode *n, int *out, struct grace_err *e)
{
	const char *s;
	int i;

	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		if (strcmp(s, risk_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return grace_yaml_err(e, n, "risk level must be low, medium, high or critical, "
	    "not '%s'", s);
}

/* An effect among those in allowed (bit 1 << decision). */
static int
effect_parse(const struct grace_ynode *n, unsigned allowed,
    enum grace_gov_decision *out, struct grace_err *e)
{
	const char *s;
	int i;

	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	for (i = 0; i < GRACE_GOV_ERROR; i++) {
		if ((allowed & (1u << i)) && strcmp(s, decision_names[i]) == 0) {
			*out = (enum grace_gov_decision)i;
			return 0;
		}
	}
	if (allowed == 0xf)
		return grace_yaml_err(e, n, "effect must be allow, warn, review or deny, "
		    "not '%s'", s);
	if (allowed == 0xb)
		return grace_yaml_err(e, n, "must be allow, warn or deny, not '%s'", s);
	return grace_yaml_err(e, n, "must be review or deny, not '%s'", s);
}

static int
trust_parse_num(const struct grace_ynode *n, double *out,
    struct grace_err *e)
{
	if (grace_yaml_as_number(n, out, e) < 0)
		return -1;
	if (!(*out >= 0 && *out <= 1))
		return grace_yaml_err(e, n, "a trust score is a number from 0 to 1, not "
		    "%s", n->str);
	return 0;
}

/* ------------------------------------------------------------ trust */

static struct gov_trust *
trust_slot(struct grace_gov *g, const char *name, size_t len)
{
	size_t i = gov_hash(name, len, 0) & (g->trust_cap - 1);

	for (;;) {
		struct gov_trust *t = &g->trust[i];

		if (!t->name || (strlen(t->name) == len &&
		    memcmp(t->name, name, len) == 0))
			return t;
		i = (i + 1) & (g->trust_cap - 1);
	}
}

const struct gov_trust *
gov_trust_find(const struct grace_gov *g, const char *name, size_t len)
{
	const struct gov_trust *t;

	if (!g->trust_cap)
		return NULL;
	t = trust_slot((struct grace_gov *)g, name, len);
	return t->name ? t : NULL;
}

static struct gov_trust *
trust_get(struct grace_gov *g, const char *name)
{
	struct gov_trust *t = trust_slot(g, name, strlen(name));

	if (!t->name) {
		if (!(t->name = strdup(name)))
			return NULL;
		g->ntrust++;
	}
	return t;
}

/* A trust mapping: default, scores, quarantined. */
static int
trust_load(struct grace_gov *g, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"default", "scores", "quarantined", "overlay", NULL,
	};
	const struct grace_ynode *n, *on;
	struct grace_trust_ov ov = {0};
	const char **q = NULL;
	size_t nq = 0, i, want;

	if (grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if ((on = grace_yaml_get(m, "overlay"))) {
		/* relative to the file that names it */
		const char *s, *slash;
		size_t dl;

		if (grace_yaml_as_string(on, &s, e) < 0)
			return -1;
		slash = strrchr(on->file, '/');
		dl = s[0] != '/' && slash ? (size_t)(slash - on->file) + 1 : 0;
		if (!(g->overlay_path = malloc(dl + strlen(s) + 1)))
			return oom(e);
		memcpy(g->overlay_path, on->file, dl);
		strcpy(g->overlay_path + dl, s);
		if (grace_trust_ov_read(g->overlay_path, g->overlay_missing_ok,
		    &ov, e) < 0) {
			if (e->code == GRACE_EXIT_SYSTEM && errno == ENOENT)
				e->code = GRACE_EXIT_USAGE;
			return -1;
		}
	}
	if ((n = grace_yaml_get(m, "default")) &&
	    trust_parse_num(n, &g->trust_default, e) < 0)
		return -1;
	n = grace_yaml_get(m, "scores");
	if (n && grace_yaml_expect(n, GRACE_YMAP, e) < 0)
		return -1;
	if (grace_yaml_get_strlist(m, "quarantined", &q, &nq, e) < 0)
		return -1;
	want = (n ? n->n : 0) + nq + ov.n;
	for (g->trust_cap = 16; g->trust_cap < want * 2; g->trust_cap *= 2)
		;
	if (!(g->trust = calloc(g->trust_cap, sizeof *g->trust))) {
		free(q);
		grace_trust_ov_free(&ov);
		return oom(e);
	}
	for (i = 0; n && i < n->n; i++) {
		const struct grace_ynode *k = n->pairs[i].key;
		struct gov_trust *t;
		double s;

		if (trust_parse_num(n->pairs[i].value, &s, e) < 0) {
			free(q);
			return -1;
		}
		if (memchr(k->str, '\0', k->len)) {
			free(q);
			return grace_yaml_err(e, k, "a name may not hold a NUL byte");
		}
		if (!(t = trust_get(g, k->str))) {
			free(q);
			return oom(e);
		}
		t->score = s;
		t->has_score = 1;
		snprintf(t->text, sizeof t->text, "%.15g", s);
	}
	for (i = 0; i < nq; i++) {
		struct gov_trust *t = trust_get(g, q[i]);

		if (!t) {
			free(q);
			return oom(e);
		}
		t->quarantined = 1;
	}
	free(q);
	/* the overlay on top, each score recovered to now */
	if (ov.n) {
		struct timespec now;
		int64_t now_ms;

		clock_gettime(CLOCK_REALTIME, &now);
		now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		for (i = 0; i < ov.n; i++) {
			const struct grace_trust_ov_entry *x = &ov.v[i];
			struct gov_trust *t = trust_get(g, x->name);

			if (!t) {
				grace_trust_ov_free(&ov);
				return oom(e);
			}
			t->base = t->has_score ? t->score : g->trust_default;
			t->has_base = 1;
			t->score = grace_trust_recovered(x->score, t->base,
			    x->per_hour, x->at_ms, now_ms);
			t->has_score = 1;
			snprintf(t->text, sizeof t->text, "%.15g", t->score);
		}
	}
	grace_trust_ov_free(&ov);
	return 0;
}

/* trust: a file name (relative to the governance file) or a mapping. */
static int
trust_section(struct grace_gov *g, const struct grace_ynode *n,
    const char *override, struct grace_err *e)
{
	const char *name = override;
	char *path = NULL;

	if (!override && n && n->kind == GRACE_YMAP)
		return trust_load(g, n, e);
	if (!name) {
		if (!n) {   /* no trust configured: everyone at the default */
			g->trust_cap = 16;
			if (!(g->trust = calloc(16, sizeof *g->trust)))
				return oom(e);
			return 0;
		}
		if (grace_yaml_as_string(n, &name, e) < 0)
			return -1;
		if (name[0] != '/') {
			const char *slash = strrchr(g->path, '/');
			size_t dl = slash ? (size_t)(slash - g->path) + 1 : 0;

			if (!(path = malloc(dl + strlen(name) + 1)))
				return oom(e);
			memcpy(path, g->path, dl);
			strcpy(path + dl, name);
			name = path;
		}
	}
	g->trust_root = grace_yaml_load_file(name, e);
	free(path);
	if (!g->trust_root)
		return -1;
	if (grace_yaml_expect(g->trust_root, GRACE_YMAP, e) < 0)
		return -1;
	return trust_load(g, g->trust_root, e);
}

/* ------------------------------------------------------------ rules */

static struct gov_rule *
rule_new(struct grace_gov *g, enum gov_layer layer,
    const struct grace_ynode *m, struct grace_err *e)
{
	struct gov_rule *r;

	if (g->nrules == g->caprules) {
		size_t ncap = g->caprules ? g->caprules * 2 : 32;
		struct gov_rule *nr = realloc(g->rules, ncap * sizeof *nr);

		if (!nr) {
			oom(e);
			return NULL;
		}
		g->rules = nr;
		g->caprules = ncap;
	}
	r = &g->rules[g->nrules++];
	memset(r, 0, sizeof *r);
	r->layer = layer;
	r->file = m->file;
	r->line = m->line;
	r->col = m->col;
	r->min_trust = -1;
	r->below_trust = GRACE_GOV_DENY;
	r->risk = -1;
	r->pat = -1;
	r->scope = -1;
	return r;
}

static void
quorum_free(struct gov_quorum *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->nfrom; i++)
		free(q->from[i]);
	free(q->from);
	free(q);
}

static void
rule_free(struct gov_rule *r)
{
	gov_conds_free(r);
	grace_jq_free(r->when);
	free(r->id);
	free(r->message);
	free(r->owner);
	free(r->link);
	free(r->obligations);
	quorum_free(r->q);
}

static int
dup_str(const struct grace_ynode *m, const char *key, char **out,
    struct grace_err *e)
{
	const char *s;
	int r = grace_yaml_get_string(m, key, &s, e);

	if (r <= 0)
		return r;
	if (!(*out = strdup(s)))
		return oom(e);
	return 1;
}

/* approvals: {required: N, from: [...], expires: 24h, on_reject: deny} */
static int
quorum_parse(struct grace_gov *g, const struct grace_ynode *n,
    struct gov_quorum **out, struct grace_err *e)
{
	static const char *const keys[] = {
		"required", "from", "expires", "on_reject", NULL,
	};
	struct gov_quorum *q;
	const struct grace_ynode *f;
	const char **from = NULL, *rej = "deny";
	int64_t req;
	size_t i, j, nfrom = 0;

	if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(n, keys, e) < 0 ||
	    !grace_yaml_require(n, "required", e) ||
	    !(f = grace_yaml_require(n, "from", e)))
		return -1;
	if (!(q = calloc(1, sizeof *q)))
		return oom(e);
	*out = q;
	q->reject_denies = 1;
	if (grace_yaml_get_int(n, "required", &req, e) < 0 ||
	    grace_yaml_get_strlist(n, "from", &from, &nfrom, e) < 0 ||
	    grace_yaml_get_duration(n, "expires", &q->expires_ms, e) < 0 ||
	    grace_yaml_get_string(n, "on_reject", &rej, e) < 0) {
		free(from);
		return -1;
	}
	if (strcmp(rej, "deny") != 0 && strcmp(rej, "ignore") != 0) {
		free(from);
		return grace_yaml_err(e, grace_yaml_get(n, "on_reject"), "on_reject must be "
		    "deny or ignore, not '%s'", rej);
	}
	q->reject_denies = rej[0] == 'd';
	if (nfrom == 0) {
		free(from);
		return grace_yaml_err(e, f, "from: lists no approver");
	}
	if (req < 1 || (uint64_t)req > nfrom) {
		free(from);
		grace_err_set(e, n->file, grace_yaml_get(n, "required")->line,
		    grace_yaml_get(n, "required")->col, "required must be from "
		    "1 to the number of approvers listed (%zu)", nfrom);
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (grace_yaml_get(n, "expires") && q->expires_ms <= 0) {
		free(from);
		return grace_yaml_err(e, grace_yaml_get(n, "expires"), "expires must be "
		    "longer than 0s");
	}
	q->required = (size_t)req;
	if (nfrom > g->maxfrom)
		g->maxfrom = nfrom;
	if (!(q->from = calloc(nfrom, sizeof *q->from))) {
		free(from);
		return oom(e);
	}
	q->nfrom = nfrom;
	for (i = 0; i < q->nfrom; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(from[i], from[j]) == 0) {
				const struct grace_ynode *it = f->kind ==
				    GRACE_YSEQ ? f->items[i] : f;

				grace_yaml_err(e, it, "approver '%s' is listed twice",
				    from[i]);
				free(from);
				q->nfrom = i;
				return -1;
			}
		}
		if (!(q->from[i] = strdup(from[i]))) {
			q->nfrom = i;
			free(from);
			return oom(e);
		}
	}
	free(from);
	return 0;
}

static int
obligations_parse(const struct grace_ynode *n, char **out,
    struct grace_err *e)
{
	struct grace_buf b = {0};
	size_t i, cnt = n->kind == GRACE_YSEQ ? n->n : 1;

	for (i = 0; i < cnt; i++) {
		jv v = grace_yaml_to_jv(n->kind == GRACE_YSEQ ? n->items[i] : n);

		v = jv_dump_string(v, 0);
		if ((i && grace_buf_add(&b, ",", 1) < 0) ||
		    grace_buf_adds(&b, jv_string_value(v)) < 0) {
			jv_free(v);
			grace_buf_free(&b);
			return oom(e);
		}
		jv_free(v);
	}
	if (!b.p && grace_buf_adds(&b, "") < 0)
		return oom(e);
	*out = b.p;
	return 0;
}

/* id, match, when, message, owner, link, obligations. */
static int
rule_common(struct grace_gov *g, struct gov_rule *r,
    const struct grace_ynode *m, int need_id, struct grace_err *e)
{
	const struct grace_ynode *n;
	size_t i;

	if (need_id && !grace_yaml_require(m, "id", e))
		return -1;
	if ((n = grace_yaml_get(m, "id"))) {
		const char *id;

		if (grace_yaml_as_string(n, &id, e) < 0)
			return -1;
		if (!*id)
			return grace_yaml_err(e, n, "an id may not be empty");
		for (i = 0; id[i]; i++)
			if ((unsigned char)id[i] < 0x20 || id[i] == ',')
				return grace_yaml_err(e, n, "an id may not hold a comma or "
				    "a control character: '%s'", id);
		if (strcmp(id, "default") == 0 || strncmp(id, "tier:", 5) == 0)
			return grace_yaml_err(e, n, "the id '%s' is reserved (for the "
			    "default effect and the risk tiers)", id);
		if (!(r->id = strdup(id)))
			return oom(e);
		switch (grace_idset_add(&g->ids, r->id, (size_t)(r - g->rules),
		    &i)) {
		case -1:
			return oom(e);
		case 0:
			grace_err_set(e, n->file, n->line, n->col,
			    "duplicate rule id '%s' (first defined at line %lu)",
			    id, g->rules[i].line);
			e->code = GRACE_EXIT_USAGE;
			return -1;
		}
	}
	if ((n = grace_yaml_get(m, "match")) && gov_match_parse(g, r, n, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "when"))) {
		const char *src;

		if (grace_yaml_as_string(n, &src, e) < 0)
			return -1;
		if (!(r->when = grace_jq_compile(src, n->file, n->line, n->col,
		    e)))
			return -1;
		g->njq++;
	}
	if (dup_str(m, "message", &r->message, e) < 0 ||
	    dup_str(m, "owner", &r->owner, e) < 0 ||
	    dup_str(m, "link", &r->link, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "obligations")) &&
	    obligations_parse(n, &r->obligations, e) < 0)
		return -1;
	return 0;
}

/* A section that is a list of mappings; calls fn on each. */
static int
each_rule(struct grace_gov *g, const struct grace_ynode *root,
    const char *key, int (*fn)(struct grace_gov *, const struct grace_ynode *,
    struct grace_err *), struct grace_err *e)
{
	const struct grace_ynode *s = grace_yaml_get(root, key);
	size_t i;

	if (!s || (s->kind == GRACE_YSCALAR && s->type == GRACE_YT_NULL))
		return 0;
	if (grace_yaml_expect(s, GRACE_YSEQ, e) < 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		if (grace_yaml_expect(s->items[i], GRACE_YMAP, e) < 0 ||
		    fn(g, s->items[i], e) < 0)
			return -1;
	}
	return 0;
}

static int
autonomy_rule(struct grace_gov *g, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = { "id", "match", "when", NULL };
	struct gov_rule *r;
	size_t i;

	if (grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(r = rule_new(g, GOV_AUTONOMY, m, e)) ||
	    rule_common(g, r, m, 0, e) < 0)
		return -1;
	if (!r->nc && !r->when)
		return grace_yaml_err(e, m, "an autonomous entry needs match or when");
	for (i = 0; i < r->nc; i++)
		if (r->c[i].field == GOV_F_AUTONOMOUS)
			return grace_yaml_err(e, m, "$autonomous cannot decide what is "
			    "autonomous");
	if (!r->id) {
		char id[32];

		snprintf(id, sizeof id, "autonomous[%zu]",
		    g->nrules - g->layer_start[GOV_AUTONOMY]);
		if (!(r->id = strdup(id)))
			return oom(e);
	}
	return 0;
}

static int
constitution_rule(struct grace_gov *g, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"id", "match", "when", "message", "owner", "link",
		"obligations", NULL,
	};
	struct gov_rule *r;

	if (grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(r = rule_new(g, GOV_CONSTITUTION, m, e)) ||
	    rule_common(g, r, m, 1, e) < 0)
		return -1;
	if (!r->nc && !r->when)
		return grace_yaml_err(e, m, "constitution rule '%s' needs match or when "
		    "(it would deny every event)", r->id);
	r->effect = GRACE_GOV_DENY;
	return 0;
}

static int
threat_rule(struct grace_gov *g, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"id", "pattern", "ignore_case", "in", "severity", "action",
		"match", "when", "message", "owner", "link", "obligations",
		NULL,
	};
	const struct grace_ynode *pn, *n;
	const char *sev = "medium", *act = "raise";
	struct gov_rule *r;
	int icase = 0;

	if (grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(r = rule_new(g, GOV_THREAT, m, e)) ||
	    rule_common(g, r, m, 1, e) < 0 ||
	    grace_yaml_get_string(m, "severity", &sev, e) < 0 ||
	    grace_yaml_get_string(m, "action", &act, e) < 0 ||
	    grace_yaml_get_bool(m, "ignore_case", &icase, e) < 0)
		return -1;
	if (grace_severity_parse(sev, &r->severity) < 0)
		return grace_yaml_err(e, grace_yaml_get(m, "severity"), "severity must be "
		    "info, low, medium, high or critical, not '%s'", sev);
	r->risk = r->severity <= GRACE_SEV_LOW ? GRACE_RISK_LOW :
	    (int)r->severity - 1;
	if (strcmp(act, "deny") != 0 && strcmp(act, "raise") != 0)
		return grace_yaml_err(e, grace_yaml_get(m, "action"), "action must be "
		    "raise or deny, not '%s'", act);
	r->deny = act[0] == 'd';
	r->effect = r->deny ? GRACE_GOV_DENY : GRACE_GOV_ALLOW;
	if ((n = grace_yaml_get(m, "in"))) {
		const char *path;

		if (grace_yaml_as_string(n, &path, e) < 0)
			return -1;
		if (path[0] == '$' || !*path || path[0] == '.' ||
		    path[strlen(path) - 1] == '.' || strstr(path, ".."))
			return grace_yaml_err(e, n, "in: names a field such as data or "
			    "data.command, not '%s'", path);
		if ((r->scope = gov_field_intern(g, path, strlen(path))) < 0)
			return oom(e);
	}
	if ((pn = grace_yaml_get(m, "pattern"))) {
		const char *pat;

		if (grace_yaml_as_string(pn, &pat, e) < 0)
			return -1;
		r->pat = grace_patterns_add(g->pats, r->id, pat, icase,
		    r->severity, r->message, pn->file, pn->line, pn->col, e);
		if (r->pat < 0)
			return -1;
	} else if (!r->when) {
		return grace_yaml_err(e, m, "threat rule '%s' needs a pattern or a when", r->id);
	} else if (grace_yaml_get(m, "ignore_case") || grace_yaml_get(m, "in")) {
		return grace_yaml_err(e, m, "threat rule '%s': ignore_case and in: go with "
		    "a pattern", r->id);
	}
	return 0;
}

static int
policy_rule(struct grace_gov *g, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"id", "match", "when", "effect", "approvals", "min_trust",
		"below_trust", "risk", "message", "owner", "link",
		"obligations", NULL,
	};
	const struct grace_ynode *n;
	struct gov_rule *r;

	if (grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(r = rule_new(g, GOV_POLICY, m, e)) ||
	    rule_common(g, r, m, 1, e) < 0 ||
	    !(n = grace_yaml_require(m, "effect", e)) ||
	    effect_parse(n, 0xf, &r->effect, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "min_trust")) &&
	    trust_parse_num(n, &r->min_trust, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "below_trust"))) {
		if (r->min_trust < 0)
			return grace_yaml_err(e, n, "below_trust goes with min_trust");
		if (effect_parse(n, 0xc, &r->below_trust, e) < 0)
			return -1;
	}
	if ((n = grace_yaml_get(m, "risk")) && risk_parse(n, &r->risk, e) < 0)
		return -1;
	n = grace_yaml_get(m, "approvals");
	if (r->effect == GRACE_GOV_REVIEW ||
	    (r->min_trust >= 0 && r->below_trust == GRACE_GOV_REVIEW)) {
		if (!n)
			return grace_yaml_err(e, m, "policy '%s' can ask for review: it needs "
			    "approvals: {required: N, from: [...]}", r->id);
	} else if (n) {
		return grace_yaml_err(e, n, "approvals: go with effect: review (or "
		    "below_trust: review)");
	}
	if (n && quorum_parse(g, n, &r->q, e) < 0)
		return -1;
	return 0;
}

static int
risk_rule(struct grace_gov *g, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"id", "match", "when", "level", "message", NULL,
	};
	const struct grace_ynode *n;
	struct gov_rule *r;

	if (grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(r = rule_new(g, GOV_RISKRULE, m, e)) ||
	    rule_common(g, r, m, 1, e) < 0 ||
	    !(n = grace_yaml_require(m, "level", e)) ||
	    risk_parse(n, &r->risk, e) < 0)
		return -1;
	if (!r->nc && !r->when)
		return grace_yaml_err(e, m, "risk rule '%s' needs match or when", r->id);
	return 0;
}

/* ------------------------------------------------------------ sections */

static int
risk_section(struct grace_gov *g, const struct grace_ynode *root,
    struct grace_err *e)
{
	static const char *const keys[] = { "default", "field", "rules", NULL };
	const struct grace_ynode *m = grace_yaml_get(root, "risk"), *n;

	g->risk_default = GRACE_RISK_LOW;
	g->risk_field = -1;
	if (!m)
		return 0;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "default")) &&
	    risk_parse(n, &g->risk_default, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "field"))) {
		const char *path;

		if (grace_yaml_as_string(n, &path, e) < 0)
			return -1;
		if (path[0] == '$' || !*path || path[0] == '.' ||
		    path[strlen(path) - 1] == '.' || strstr(path, ".."))
			return grace_yaml_err(e, n, "field: names an event field such as "
			    "data.risk, not '%s'", path);
		if ((g->risk_field = gov_field_intern(g, path, strlen(path))) < 0)
			return oom(e);
	}
	return 0;
}

static int
tiers_section(struct grace_gov *g, const struct grace_ynode *root,
    struct grace_err *e)
{
	static const char *const keys[] = {
		"low", "medium", "high", "critical", NULL,
	};
	static const char *const tkeys[] = {
		"human", "autonomous", "approvals", "min_trust", "below_trust",
		"message", NULL,
	};
	const struct grace_ynode *m = grace_yaml_get(root, "risk_tiers");
	int i;

	for (i = 0; i < 4; i++) {
		struct gov_tier *t = &g->tiers[i];

		snprintf(t->id, sizeof t->id, "tier:%s", risk_names[i]);
		t->human = t->autonomous = GRACE_GOV_ALLOW;
		t->min_trust = -1;
		t->below_trust = GRACE_GOV_DENY;
	}
	if (!m)
		return 0;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		const struct grace_ynode *tn = grace_yaml_get(m, risk_names[i]), *n;
		struct gov_tier *t = &g->tiers[i];
		int review;

		if (!tn)
			continue;
		if (grace_yaml_expect(tn, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(tn, tkeys, e) < 0)
			return -1;
		if ((n = grace_yaml_get(tn, "human")) &&
		    effect_parse(n, 0xf, &t->human, e) < 0)
			return -1;
		t->autonomous = t->human;
		if ((n = grace_yaml_get(tn, "autonomous"))) {
			if (effect_parse(n, 0xf, &t->autonomous, e) < 0)
				return -1;
			if (t->autonomous < t->human)
				return grace_yaml_err(e, n, "autonomous events take the "
				    "stricter path: '%s' is more lenient than "
				    "human:", decision_names[t->autonomous]);
		}
		if ((n = grace_yaml_get(tn, "min_trust")) &&
		    trust_parse_num(n, &t->min_trust, e) < 0)
			return -1;
		if ((n = grace_yaml_get(tn, "below_trust"))) {
			if (t->min_trust < 0)
				return grace_yaml_err(e, n, "below_trust goes with "
				    "min_trust");
			if (effect_parse(n, 0xc, &t->below_trust, e) < 0)
				return -1;
		}
		if (dup_str(tn, "message", &t->message, e) < 0)
			return -1;
		review = t->human == GRACE_GOV_REVIEW ||
		    t->autonomous == GRACE_GOV_REVIEW ||
		    (t->min_trust >= 0 && t->below_trust == GRACE_GOV_REVIEW);
		n = grace_yaml_get(tn, "approvals");
		if (review && !n)
			return grace_yaml_err(e, tn, "risk tier %s asks for review: it needs "
			    "approvals: {required: N, from: [...]}",
			    risk_names[i]);
		if (!review && n)
			return grace_yaml_err(e, n, "approvals: go with review (human, "
			    "autonomous or below_trust)");
		if (n && quorum_parse(g, n, &t->q, e) < 0)
			return -1;
	}
	return 0;
}

static int
state_alloc(struct grace_gov *g)
{
	struct gov_state *s = &g->st;
	size_t np = grace_patterns_count(g->pats), nr = g->nrules + 1, i;
	size_t nl = g->ix.nfields + 1;

	if (!(s->fgen = calloc(g->nfields + 1, sizeof *s->fgen)) ||
	    !(s->fspan = calloc(g->nfields + 1, sizeof *s->fspan)) ||
	    !(s->sub = calloc(g->maxchildren + 1, sizeof *s->sub)) ||
	    !(s->cand = calloc(nr, sizeof *s->cand)) ||
	    !(s->only = calloc(np + 1, 1)) ||
	    !(s->only2 = calloc(np + 1, 1)) ||
	    !(s->pm = calloc(np + 1, sizeof *s->pm)) ||
	    !(s->pmatched = calloc(np + 1, 1)) ||
	    !(s->dec = calloc(nr + 4, sizeof *s->dec)) ||
	    !(s->missing = calloc(g->maxfrom + 1, 1)) ||
	    !(s->reviews = calloc(nr + 1, sizeof *s->reviews)) ||
	    !(s->trustfail = calloc(nr, 1)) ||
	    !(s->pending = calloc(nr, sizeof *s->pending)) ||
	    !(s->lists = calloc(nl, sizeof *s->lists)) ||
	    !(s->listn = calloc(nl, sizeof *s->listn)) ||
	    !(s->listpos = calloc(nl, sizeof *s->listpos)))
		return -1;
	for (i = 0; i < GOV_NLAYERS; i++)
		if (!(s->hits[i] = calloc(nr, sizeof *s->hits[i])))
			return -1;
	s->gen = 1;
	return 0;
}

struct grace_gov *
grace_gov_load(const char *path, const char *trust_path, struct grace_err *e)
{
	static const char *const keys[] = {
		"default", "trust", "autonomous", "risk", "risk_tiers",
		"constitution", "threats", "policies", NULL,
	};
	static const char *const fixed[] = {
		"grace", "id", "type", "actor", "source",
	};
	struct grace_gov *g = calloc(1, sizeof *g);
	const struct grace_ynode *n, *rk;
	size_t i, k;

	if (!g || !(g->path = strdup(path)) || !(g->pats = grace_patterns_new())) {
		oom(e);
		goto fail;
	}
	g->deflt = GRACE_GOV_DENY;
	g->trust_default = 0.5;
	for (i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (gov_field_intern(g, fixed[i], strlen(fixed[i])) < 0) {
			oom(e);
			goto fail;
		}
	if (!(g->root = grace_yaml_load_file(path, e)))
		goto fail;
	if (grace_yaml_expect(g->root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(g->root, keys, e) < 0)
		goto fail;
	if ((n = grace_yaml_get(g->root, "default")) &&
	    effect_parse(n, 0xb, &g->deflt, e) < 0)
		goto fail;
	if (trust_section(g, grace_yaml_get(g->root, "trust"), trust_path, e) < 0 ||
	    risk_section(g, g->root, e) < 0 ||
	    tiers_section(g, g->root, e) < 0)
		goto fail;
	g->layer_start[GOV_AUTONOMY] = 0;
	n = grace_yaml_get(g->root, "autonomous");
	if (!n) {
		/* Default: the event says so itself, "autonomous": true. */
		struct gov_rule *r;
		struct gov_cond *c;

		if (!(r = rule_new(g, GOV_AUTONOMY, g->root, e)))
			goto fail;
		if (!(r->id = strdup("autonomous[1]")) ||
		    !(c = r->c = calloc(1, sizeof *r->c)) ||
		    !(c->v = calloc(1, sizeof *c->v)) ||
		    !(c->want = strdup("true"))) {
			oom(e);
			goto fail;
		}
		r->nc = 1;
		c->nv = 1;
		c->op = GOV_OP_IN;
		c->v[0].kind = GRACE_J_TRUE;
		if ((c->field = gov_field_intern(g, "autonomous", 10)) < 0) {
			oom(e);
			goto fail;
		}
	} else if (each_rule(g, g->root, "autonomous", autonomy_rule, e) < 0) {
		goto fail;
	}
	g->layer_start[GOV_CONSTITUTION] = g->nrules;
	if (each_rule(g, g->root, "constitution", constitution_rule, e) < 0)
		goto fail;
	g->layer_start[GOV_THREAT] = g->nrules;
	if (each_rule(g, g->root, "threats", threat_rule, e) < 0)
		goto fail;
	g->layer_start[GOV_POLICY] = g->nrules;
	if (each_rule(g, g->root, "policies", policy_rule, e) < 0)
		goto fail;
	g->layer_start[GOV_RISKRULE] = g->nrules;
	rk = grace_yaml_get(g->root, "risk");
	if (rk && each_rule(g, rk, "rules", risk_rule, e) < 0)
		goto fail;
	g->layer_start[GOV_NLAYERS] = g->nrules;
	/* The root's children: every top-level field. */
	if (!(g->top.children = calloc(g->nfields, sizeof *g->top.children)) ||
	    !(g->top.child_names = calloc(g->nfields,
	    sizeof *g->top.child_names)) ||
	    !(g->top.child_lens = calloc(g->nfields,
	    sizeof *g->top.child_lens))) {
		oom(e);
		goto fail;
	}
	for (i = 0; i < g->nfields; i++) {
		if (g->fields[i].parent >= 0)
			continue;
		k = g->top.nchildren++;
		g->top.children[k] = (int)i;
		g->top.child_names[k] = g->fields[i].path;
		g->top.child_lens[k] = strlen(g->fields[i].path);
		g->fields[i].key = (int)k;
	}
	if (g->top.nchildren > g->maxchildren)
		g->maxchildren = g->top.nchildren;
	snprintf(g->trust_default_text, sizeof g->trust_default_text, "%.15g",
	    g->trust_default);
	if (gov_index_build(g) < 0 || state_alloc(g) < 0 ||
	    !(g->pf = gov_pf_build(g->pats))) {
		oom(e);
		goto fail;
	}
	/* g->pf does the pattern engine's literal prefiltering for all rules
	 * in one pass (and grace_gov_opts.no_prefilter turns it off). */
	grace_patterns_set_prefilter(g->pats, 0);
	return g;
fail:
	grace_gov_free(g);
	return NULL;
}

void
grace_gov_free(struct grace_gov *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->nrules; i++)
		rule_free(&g->rules[i]);
	free(g->rules);
	grace_idset_free(&g->ids);
	grace_idset_free(&g->field_ids);
	for (i = 0; i < 4; i++) {
		quorum_free(g->tiers[i].q);
		free(g->tiers[i].message);
	}
	for (i = 0; i < g->nfields; i++) {
		free(g->fields[i].path);
		free(g->fields[i].children);
		free(g->fields[i].child_names);
		free(g->fields[i].child_lens);
	}
	free(g->fields);
	free(g->top.children);
	free(g->top.child_names);
	free(g->top.child_lens);
	for (i = 0; i < g->trust_cap; i++)
		free(g->trust[i].name);
	free(g->trust);
	gov_index_free(&g->ix);
	grace_patterns_free(g->pats);
	gov_pf_free(g->pf);
	if (g->st.have_event)
		jv_free(g->st.event);
	free(g->st.fgen);
	free(g->st.fspan);
	free(g->st.sub);
	free(g->st.cand);
	free(g->st.only);
	free(g->st.only2);
	free(g->st.pm);
	free(g->st.pmatched);
	free(g->st.dec);
	free(g->st.missing);
	free(g->st.reviews);
	grace_buf_free(&g->st.rbuf);
	free(g->st.trustfail);
	free(g->st.pending);
	free(g->st.lists);
	free(g->st.listn);
	free(g->st.listpos);
	for (i = 0; i < GOV_NLAYERS; i++)
		free(g->st.hits[i]);
	grace_buf_free(&g->st.sbuf);
	grace_buf_free(&g->st.tbuf);
	grace_buf_free(&g->st.norm);
	grace_yaml_free(g->root);
	grace_yaml_free(g->trust_root);
	free(g->overlay_path);
	free(g->path);
	free(g);
}

/* A trust file alone is a governance that holds only trust. */
struct grace_trust {
	struct grace_gov *g;
};

static struct grace_trust *
trust_load_file(const char *path, int overlay_missing_ok, struct grace_err *e)
{
	struct grace_trust *t = calloc(1, sizeof *t);

	if (!t || !(t->g = calloc(1, sizeof *t->g)) ||
	    !(t->g->path = strdup(path))) {
		oom(e);
		goto fail;
	}
	t->g->trust_default = 0.5;
	t->g->overlay_missing_ok = overlay_missing_ok;
	if (trust_section(t->g, NULL, path, e) < 0)
		goto fail;
	return t;
fail:
	grace_trust_free(t);
	return NULL;
}

struct grace_trust *
grace_trust_load(const char *path, struct grace_err *e)
{
	return trust_load_file(path, 0, e);
}

struct grace_trust *
grace_trust_load_for_overlay(const char *path, struct grace_err *e)
{
	return trust_load_file(path, 1, e);
}

void
grace_trust_free(struct grace_trust *t)
{
	if (!t)
		return;
	grace_gov_free(t->g);
	free(t);
}

double
grace_trust_base(const struct grace_trust *t, const char *name, size_t len)
{
	const struct gov_trust *s = gov_trust_find(t->g, name, len);

	if (s && s->has_base)
		return s->base;
	return s && s->has_score ? s->score : t->g->trust_default;
}

const char *
grace_trust_overlay_path(const struct grace_trust *t)
{
	return t->g->overlay_path;
}

double
grace_trust_score(const struct grace_trust *t, const char *name, size_t len,
    int *quarantined)
{
	const struct gov_trust *s = name ? gov_trust_find(t->g, name, len) :
	    NULL;

	if (quarantined)
		*quarantined = s && s->quarantined;
	return s && s->has_score ? s->score : t->g->trust_default;
}

void
grace_gov_summary(const struct grace_gov *g, struct grace_gov_summary *s)
{
	memset(s, 0, sizeof *s);
	s->autonomy_rules = g->layer_start[GOV_CONSTITUTION];
	s->constitution = g->layer_start[GOV_THREAT] -
	    g->layer_start[GOV_CONSTITUTION];
	s->threats = g->layer_start[GOV_POLICY] - g->layer_start[GOV_THREAT];
	s->policies = g->layer_start[GOV_RISKRULE] - g->layer_start[GOV_POLICY];
	s->risk_rules = g->layer_start[GOV_NLAYERS] -
	    g->layer_start[GOV_RISKRULE];
	s->jq_conditions = g->njq;
	s->trust_entries = g->ntrust;
	s->default_effect = g->deflt;
}

