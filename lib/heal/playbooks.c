/* playbooks.c - loading and validating playbook files (grace-playbook(5)),
 * matching anomalies to playbooks, the steps of a proposal, and playbook
 * test files. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "glob.h"
#include "heal.h"
#include "jpath.h"
#include "jqx.h"
#include "play_int.h"
#include "ready.h"
#include "verify/verify.h"
#include "yaml.h"

#define DEFAULT_TIMEOUT_MS 30000
#define MAX_TIMEOUT_MS (24LL * 3600 * 1000)
#define DEFAULT_DELAY_MS 1000
#define MAX_DELAY_MS (3600LL * 1000)
#define MAX_RETRIES 100
#define MAX_BACKOFF 100.0
#define MAX_HOPS_LIMIT 100

static const char *const risk_names[] = { "low", "medium", "high",
	"critical", NULL };
static const char *const fail_names[] = { "continue", "rollback",
	"escalate", NULL };
/* The environment every step gets from grace-heal; a step's env may not
 * set these. */
static const char *const reserved_env[] = { "GRACE_HEALING_ID",
	"GRACE_ANOMALY_ID", "GRACE_ANOMALY", "GRACE_COMPONENT",
	"GRACE_SEVERITY", "GRACE_HOP", "GRACE_EVENT", "GRACE_PLAYBOOK",
	"GRACE_STEP", "GRACE_PHASE", "GRACE_ATTEMPT", NULL };

/* A contracts file loaded once for every playbook that names it. */
struct cfile {
	char *path;
	struct grace_contracts *c;
};

/* The loader's part of struct grace_playbooks. */
struct hload {
	struct grace_ynode **roots;
	size_t nroots;
	struct cfile *cf;
	size_t ncf;
	const char *trust_file;     /* the file with the trust section */
	unsigned long trust_line;
};

/* While loading one file. */
struct fctx {
	const char *file;
	char *dir;                  /* absolute directory of the file */
	struct hload *ld;
	struct grace_playbooks *pbs;
};

static int
lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int
oom(struct grace_err *e, const char *file)
{
	return grace_err_setc(e, GRACE_EXIT_SYSTEM, "%s: out of memory",
	    file ? file : "playbooks");
}

static int
pathchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!pathchar((unsigned char)*s) && *s != '.')
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Values and placeholders. */

static void
hval_free(struct hval *v)
{
	size_t i;

	for (i = 0; i < v->nsegs; i++)
		free(v->segs[i]);
	free(v->segs);
	v->segs = NULL;
	v->nsegs = 0;
}

/* The placeholder "{...}" at s[i] (s[i] == '{'): the index of its '}',
 * or 0 when what follows is not one (a path of letters, digits, '_',
 * '-' and '.' closed by '}'). */
static size_t
placeholder_end(const char *s, size_t i)
{
	size_t j = i + 1;

	while (pathchar((unsigned char)s[j]) || s[j] == '.')
		j++;
	return j > i + 1 && s[j] == '}' ? j : 0;
}

/* Parse s (the scalar n) into v: a placeholder when s is exactly
 * "{a.b}", literal text otherwise. A placeholder inside a longer string
 * is an error: nothing is ever spliced. Returns 0 or -1. */
static int
parse_val(const struct grace_ynode *n, const char *s, struct hval *v,
    struct grace_err *e)
{
	size_t len = strlen(s), i, j, k, start;

	memset(v, 0, sizeof *v);
	v->text = s;
	for (i = 0; i < len; i++) {
		if (s[i] != '{' || !(j = placeholder_end(s, i)))
			continue;
		if (i != 0 || j != len - 1)
			return grace_yaml_err(e, n, "a placeholder must be the "
			    "whole value, not part of '%s': nothing is spliced "
			    "into a longer string (pass it as its own argument "
			    "or in env)", s);
		if (s[1] == '.' || s[len - 2] == '.' || strstr(s, ".."))
			return grace_yaml_err(e, n, "bad placeholder '%s': "
			    "expected {member.path}, names separated by single "
			    "dots", s);
		for (k = 1, v->nsegs = 1; k < len - 1; k++)
			v->nsegs += s[k] == '.';
		if (!(v->segs = calloc(v->nsegs, sizeof *v->segs)))
			return oom(e, n->file);
		for (k = 0, start = 1; k < v->nsegs; k++) {
			size_t end = start;

			while (s[end] != '.' && s[end] != '}')
				end++;
			if (!(v->segs[k] = strndup(s + start, end - start))) {
				hval_free(v);
				return oom(e, n->file);
			}
			start = end + 1;
		}
		return 0;
	}
	return 0;
}

int
grace_hval_text(const struct hval *v, const char *p, size_t n,
    struct grace_buf *b, struct grace_buf *tmp)
{
	grace_buf_reset(b);
	if (!v->segs)
		return grace_buf_adds(b, v->text) < 0 ? -1 :
		    grace_buf_reserve(b, 0);
	if (grace_jpath_text(p, n, v->segs, v->nsegs, b, tmp) < 0)
		return -1;
	return grace_buf_reserve(b, 0);
}

/* ------------------------------------------------------------------ */
/* Steps. */

static void
step_free(struct hstep *s)
{
	size_t i;

	for (i = 0; i < s->argc; i++)
		hval_free(&s->argv[i]);
	free(s->argv);
	for (i = 0; i < s->nenv; i++)
		hval_free(&s->envv[i]);
	free(s->envk);
	free(s->envv);
	free(s->prog);
}

static void
steps_free(struct hstep *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		step_free(&v[i]);
	free(v);
}

static int
env_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* path relative to the file's directory, malloc'd ("./x" is "x"). */
static char *
relpath(const struct fctx *x, const char *s)
{
	size_t a, b;
	char *r;

	while (s[0] == '.' && s[1] == '/')
		s += 2;
	a = strlen(x->dir);
	b = strlen(s);
	r = malloc(a + b + 2);

	if (r) {
		memcpy(r, x->dir, a);
		r[a] = '/';
		memcpy(r + a + 1, s, b + 1);
	}
	return r;
}

static int
load_step(struct fctx *x, struct hstep *s, const struct grace_ynode *m,
    int def_fail, struct grace_err *e)
{
	static const char *const keys[] = { "name", "argv", "env", "timeout",
		"retries", "delay", "backoff", "on_failure", NULL };
	const struct grace_ynode *n;
	const char *str;
	int64_t iv;
	double dv;
	size_t i;
	int r;

	s->line = m->line;
	s->timeout_ms = DEFAULT_TIMEOUT_MS;
	s->delay_ms = DEFAULT_DELAY_MS;
	s->backoff = 1;
	s->on_failure = def_fail;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(n = grace_yaml_require(m, "name", e)) ||
	    grace_yaml_as_string(n, &s->name, e) < 0)
		return -1;
	if (!name_ok(s->name))
		return grace_yaml_err(e, n, "a step name is letters, digits, "
		    "'_', '-' and '.', not '%s'", s->name);
	if (!(n = grace_yaml_require(m, "argv", e)))
		return -1;
	if (n->kind != GRACE_YSEQ || n->n == 0)
		return grace_yaml_err(e, n, "argv is a list of strings, the "
		    "program first (never a shell string), got %s",
		    grace_yaml_describe(n));
	if (!(s->argv = calloc(n->n, sizeof *s->argv)))
		return oom(e, m->file);
	for (i = 0; i < n->n; i++) {
		if (grace_yaml_as_string(n->items[i], &str, e) < 0)
			return -1;
		if (parse_val(n->items[i], str, &s->argv[i], e) < 0)
			return -1;
		s->argc++;
	}
	if (s->argv[0].segs)
		return grace_yaml_err(e, n->items[0], "argv[0] is the program "
		    "and must be written out, not a placeholder");
	if (!*s->argv[0].text)
		return grace_yaml_err(e, n->items[0], "argv[0] is empty");
	if (strchr(s->argv[0].text, '/') && s->argv[0].text[0] != '/' &&
	    !(s->prog = relpath(x, s->argv[0].text)))
		return oom(e, m->file);
	if ((n = grace_yaml_get(m, "env"))) {
		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0)
			return -1;
		if (n->n && (!(s->envk = calloc(n->n, sizeof *s->envk)) ||
		    !(s->envv = calloc(n->n, sizeof *s->envv))))
			return oom(e, m->file);
		for (i = 0; i < n->n; i++) {
			const struct grace_ynode *k = n->pairs[i].key;

			if (!env_name_ok(k->str))
				return grace_yaml_err(e, k, "'%s' is not a valid "
				    "environment variable name", k->str);
			if (lookup(reserved_env, k->str) >= 0)
				return grace_yaml_err(e, k, "%s is set by "
				    "grace-heal for every step", k->str);
			if (grace_yaml_as_string(n->pairs[i].value, &str, e) < 0 ||
			    parse_val(n->pairs[i].value, str, &s->envv[i], e) < 0)
				return -1;
			s->envk[i] = k->str;
			s->nenv++;
		}
	}
	if ((r = grace_yaml_get_duration(m, "timeout", &s->timeout_ms, e)) < 0)
		return -1;
	if (r && (s->timeout_ms <= 0 || s->timeout_ms > MAX_TIMEOUT_MS))
		return grace_yaml_err(e, grace_yaml_get(m, "timeout"), "timeout "
		    "must be above 0 and at most 1d");
	if ((r = grace_yaml_get_int(m, "retries", &iv, e)) < 0)
		return -1;
	if (r) {
		if (iv < 0 || iv > MAX_RETRIES)
			return grace_yaml_err(e, grace_yaml_get(m, "retries"),
			    "retries is 0 to %d, not %lld", MAX_RETRIES,
			    (long long)iv);
		s->retries = (unsigned)iv;
	}
	if ((r = grace_yaml_get_duration(m, "delay", &s->delay_ms, e)) < 0)
		return -1;
	if (r && s->delay_ms > MAX_DELAY_MS)
		return grace_yaml_err(e, grace_yaml_get(m, "delay"), "delay is "
		    "at most 1h");
	if ((r = grace_yaml_get_number(m, "backoff", &dv, e)) < 0)
		return -1;
	if (r) {
		if (!(dv >= 1 && dv <= MAX_BACKOFF))
			return grace_yaml_err(e, grace_yaml_get(m, "backoff"),
			    "backoff is a factor from 1 (a constant delay) to "
			    "100");
		s->backoff = dv;
	}
	str = NULL;
	if (grace_yaml_get_string(m, "on_failure", &str, e) < 0)
		return -1;
	if (str && (s->on_failure = lookup(fail_names, str)) < 0)
		return grace_yaml_err(e, grace_yaml_get(m, "on_failure"),
		    "unknown on_failure '%s' (expected one of: continue, "
		    "rollback, escalate)", str);
	return 0;
}

static int
load_steps(struct fctx *x, const struct grace_ynode *l, const char *what,
    int def_fail, struct hstep **out, size_t *nout, struct grace_err *e)
{
	size_t i, j;

	if (l->kind != GRACE_YSEQ || l->n == 0)
		return grace_yaml_err(e, l, "%s is a list of steps, got %s",
		    what, grace_yaml_describe(l));
	if (!(*out = calloc(l->n, sizeof **out)))
		return oom(e, l->file);
	for (i = 0; i < l->n; i++) {
		(*nout)++;
		if (load_step(x, &(*out)[i], l->items[i], def_fail, e) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp((*out)[j].name, (*out)[i].name) == 0)
				return grace_yaml_err(e, grace_yaml_get(l->items[i],
				    "name"), "duplicate step name '%s' in %s "
				    "(first at line %lu)", (*out)[i].name, what,
				    (*out)[j].line);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Policy. */

static const struct grace_hpolicy builtin_policy = {
	.risk = 1,
	.budget_max = 3,
	.budget_window_ms = 3600LL * 1000,
	.budget_reset_ms = 1800LL * 1000,
	.cooldown_ms = 300LL * 1000,
	.breaker_min_runs = 5,
	.breaker_rate = 0.5,
	.breaker_delay_ms = 600LL * 1000,
	.approval_ttl_ms = 900LL * 1000,
	.max_hops = 2,
};

static int
nonneg_duration(const struct grace_ynode *m, const char *key, int64_t *ms,
    struct grace_err *e)
{
	return grace_yaml_get_duration(m, key, ms, e) < 0 ? -1 : 0;
}

/* The policy keys of mapping m over p (keys m lacks keep p's values). */
static int
load_policy(const struct grace_ynode *m, struct grace_hpolicy *p,
    struct grace_err *e)
{
	static const char *const bkeys[] = { "max", "window", "reset_after",
		NULL };
	static const char *const brkeys[] = { "min_runs", "failure_rate",
		"delay", NULL };
	const struct grace_ynode *n;
	const char *s = NULL;
	int64_t iv;
	double dv;
	int r;

	if (grace_yaml_get_string(m, "risk", &s, e) < 0)
		return -1;
	if (s && (p->risk = lookup(risk_names, s)) < 0)
		return grace_yaml_err(e, grace_yaml_get(m, "risk"), "unknown risk "
		    "'%s' (expected one of: low, medium, high, critical)", s);
	if ((n = grace_yaml_get(m, "budget"))) {
		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, bkeys, e) < 0)
			return -1;
		if ((r = grace_yaml_get_int(n, "max", &iv, e)) < 0)
			return -1;
		if (r && iv < 0)
			return grace_yaml_err(e, grace_yaml_get(n, "max"), "budget "
			    "max is a count (0: no budget), not %lld",
			    (long long)iv);
		if (r)
			p->budget_max = (uint64_t)iv;
		if (nonneg_duration(n, "window", &p->budget_window_ms, e) < 0 ||
		    nonneg_duration(n, "reset_after", &p->budget_reset_ms,
		    e) < 0)
			return -1;
		if (p->budget_max && p->budget_window_ms <= 0)
			return grace_yaml_err(e, n, "a budget needs a window "
			    "above 0");
	}
	if (nonneg_duration(m, "cooldown", &p->cooldown_ms, e) < 0 ||
	    nonneg_duration(m, "approval_ttl", &p->approval_ttl_ms, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "breaker"))) {
		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, brkeys, e) < 0)
			return -1;
		if ((r = grace_yaml_get_int(n, "min_runs", &iv, e)) < 0)
			return -1;
		if (r && iv < 1)
			return grace_yaml_err(e, grace_yaml_get(n, "min_runs"),
			    "breaker min_runs is at least 1");
		if (r)
			p->breaker_min_runs = (uint64_t)iv;
		if ((r = grace_yaml_get_number(n, "failure_rate", &dv, e)) < 0)
			return -1;
		if (r && !(dv >= 0 && dv <= 1))
			return grace_yaml_err(e, grace_yaml_get(n, "failure_rate"),
			    "breaker failure_rate is a fraction from 0 (no "
			    "breaker) to 1");
		if (r)
			p->breaker_rate = dv;
		if (nonneg_duration(n, "delay", &p->breaker_delay_ms, e) < 0)
			return -1;
	}
	if ((r = grace_yaml_get_int(m, "max_hops", &iv, e)) < 0)
		return -1;
	if (r && (iv < 0 || iv > MAX_HOPS_LIMIT))
		return grace_yaml_err(e, grace_yaml_get(m, "max_hops"), "max_hops "
		    "is 0 to %d, not %lld", MAX_HOPS_LIMIT, (long long)iv);
	if (r)
		p->max_hops = (unsigned)iv;
	return 0;
}

static int
load_trust(struct fctx *x, const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "verified", "failed",
		"rolled_back", "escalated", "recover_per_hour", "floor",
		"ceiling", NULL };
	struct grace_htrust_cfg *t = &x->pbs->trust;
	struct {
		const char *key;
		double *v, lo, hi;
	} f[] = {
		{ "verified", &t->verified, 0, 1 },
		{ "failed", &t->failed, -1, 0 },
		{ "rolled_back", &t->rolled_back, -1, 0 },
		{ "escalated", &t->escalated, -1, 0 },
		{ "recover_per_hour", &t->recover_per_hour, 0, 1 },
		{ "floor", &t->floor, 0, 1 },
		{ "ceiling", &t->ceiling, 0, 1 },
	};
	size_t i;

	if (x->ld->trust_file)
		return grace_yaml_err(e, m, "a second trust section (the first "
		    "is in %s at line %lu): at most one playbook file has one",
		    x->ld->trust_file, x->ld->trust_line);
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	t->verified = 0.02;
	t->failed = -0.1;
	t->rolled_back = -0.05;
	t->escalated = -0.15;
	t->recover_per_hour = 0.01;
	t->floor = 0;
	t->ceiling = 1;
	for (i = 0; i < sizeof f / sizeof *f; i++) {
		double v;
		int r = grace_yaml_get_number(m, f[i].key, &v, e);

		if (r < 0)
			return -1;
		if (r && !(v >= f[i].lo && v <= f[i].hi))
			return grace_yaml_err(e, grace_yaml_get(m, f[i].key),
			    "trust %s is from %g to %g", f[i].key, f[i].lo,
			    f[i].hi);
		if (r)
			*f[i].v = v;
	}
	if (t->floor > t->ceiling)
		return grace_yaml_err(e, m, "trust floor %g is above the "
		    "ceiling %g", t->floor, t->ceiling);
	t->set = 1;
	x->ld->trust_file = m->file;
	x->ld->trust_line = m->line;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Playbooks. */

static void
book_free(struct hbook *b)
{
	size_t i;

	if (!b)
		return;
	free(b->anomaly);
	free(b->component);
	grace_jq_free(b->when);
	steps_free(b->steps, b->nsteps);
	steps_free(b->verify, b->nverify);
	steps_free(b->rollback, b->nrollback);
	for (i = 0; i < b->nsnap; i++)
		free(b->snap[i]);
	free(b->snap);
	free(b);
}

static int
load_globs(const struct grace_ynode *m, const char *key, const char ***out,
    size_t *n, struct grace_err *e)
{
	const struct grace_ynode *g = grace_yaml_get(m, key);
	const char *why;
	size_t i;

	if (!g)
		return 0;
	if (grace_yaml_as_strlist(g, out, n, e) < 0)
		return -1;
	if (*n == 0)
		return grace_yaml_err(e, g, "%s is a glob or a list of globs, "
		    "not empty", key);
	for (i = 0; i < *n; i++)
		if ((why = grace_glob_check((*out)[i])))
			return grace_yaml_err(e, g->kind == GRACE_YSEQ ?
			    g->items[i] : g, "bad glob '%s': %s", (*out)[i], why);
	return 0;
}

static int
load_match(struct hbook *b, const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "anomaly", "severity",
		"component", "when", NULL };
	const struct grace_ynode *n;
	const char *s = NULL;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !grace_yaml_require(m, "anomaly", e) ||
	    load_globs(m, "anomaly", &b->anomaly, &b->nanomaly, e) < 0 ||
	    load_globs(m, "component", &b->component, &b->ncomponent, e) < 0 ||
	    grace_yaml_get_string(m, "severity", &s, e) < 0)
		return -1;
	if (s) {
		b->min_sev = grace_hsev_parse(s, strlen(s));
		if (b->min_sev <= GRACE_HSEV_NONE)
			return grace_yaml_err(e, grace_yaml_get(m, "severity"),
			    "unknown severity '%s' (expected one of: low, "
			    "medium, high, critical)", s);
	}
	if ((n = grace_yaml_get(m, "when"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!(b->when = grace_jq_compile(s, n->file, n->line, n->col, e)))
			return -1;
	}
	return 0;
}

static int
load_contracts(struct fctx *x, struct hbook *b, const struct grace_ynode *n,
    const char *file, struct grace_err *e)
{
	struct grace_contracts_opts o;
	struct cfile *cf;
	char *path = file[0] == '/' ? strdup(file) : relpath(x, file);
	char *real;
	size_t i;

	if (!path)
		return oom(e, n->file);
	if ((real = realpath(path, NULL))) {
		free(path);
		path = real;
	}
	{
		struct stat st;

		/* a pipe or a device would block or never end */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			grace_yaml_err(e, n, "contracts file '%s' is %s, not a "
			    "regular file", file, grace_file_kind(st.st_mode));
			free(path);
			return -1;
		}
	}
	for (i = 0; i < x->ld->ncf; i++)
		if (strcmp(x->ld->cf[i].path, path) == 0) {
			free(path);
			b->contracts = x->ld->cf[i].c;
			return 0;
		}
	if (!(cf = realloc(x->ld->cf, (x->ld->ncf + 1) * sizeof *cf))) {
		free(path);
		return oom(e, n->file);
	}
	x->ld->cf = cf;
	memset(&o, 0, sizeof o);
	if (!(cf[x->ld->ncf].c = grace_contracts_load(path, &o, e))) {
		free(path);
		return -1;
	}
	cf[x->ld->ncf].path = path;
	b->contracts = cf[x->ld->ncf++].c;
	return 0;
}

static int
load_verify(struct fctx *x, struct hbook *b, const struct grace_ynode *v,
    struct grace_err *e)
{
	static const char *const keys[] = { "steps", "contract", "contracts",
		NULL };
	const struct grace_ynode *n;
	const char *file = NULL;

	if (v->kind == GRACE_YSEQ)
		return load_steps(x, v, "verify", HFAIL_ROLLBACK, &b->verify,
		    &b->nverify, e);
	if (v->kind != GRACE_YMAP)
		return grace_yaml_err(e, v, "verify is a list of steps, or a "
		    "mapping with steps and/or contract and contracts, got %s",
		    grace_yaml_describe(v));
	if (grace_yaml_check_keys(v, keys, e) < 0)
		return -1;
	if ((n = grace_yaml_get(v, "steps")) &&
	    load_steps(x, n, "verify", HFAIL_ROLLBACK, &b->verify, &b->nverify,
	    e) < 0)
		return -1;
	if (grace_yaml_get_string(v, "contract", &b->contract, e) < 0 ||
	    grace_yaml_get_string(v, "contracts", &file, e) < 0)
		return -1;
	if (!n && !b->contract)
		return grace_yaml_err(e, v, "verify needs steps or a contract");
	if (b->contract && !file)
		return grace_yaml_err(e, v, "verify names contract '%s' but no "
		    "contracts file (contracts: FILE)", b->contract);
	if (file && !b->contract)
		return grace_yaml_err(e, grace_yaml_get(v, "contracts"), "verify "
		    "names a contracts file but no contract (contract: ID)");
	if (file && load_contracts(x, b, grace_yaml_get(v, "contracts"), file,
	    e) < 0)
		return -1;
	return 0;
}

static int
load_book(struct fctx *x, struct grace_playbook *pb, const struct
    grace_ynode *m, const struct grace_hpolicy *defaults, struct grace_err *e)
{
	static const char *const keys[] = { "name", "description", "match",
		"risk", "budget", "cooldown", "breaker", "approval_ttl",
		"max_hops", "snapshot", "steps", "verify", "rollback", NULL };
	const struct grace_ynode *n;
	struct hbook *b;
	const char **list;
	const char *s;
	size_t i, cnt;

	if (!(b = calloc(1, sizeof *b)))
		return oom(e, m->file);
	pb->priv = b;
	pb->file = (char *)m->file;
	pb->line = m->line;
	pb->policy = *defaults;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(n = grace_yaml_require(m, "name", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (!name_ok(s))
		return grace_yaml_err(e, n, "a playbook name is letters, digits, "
		    "'_', '-' and '.', not '%s'", s);
	pb->name = (char *)s;
	if (grace_yaml_get_string(m, "description", &s, e) < 0 ||
	    !(n = grace_yaml_require(m, "match", e)) ||
	    load_match(b, n, e) < 0 ||
	    load_policy(m, &pb->policy, e) < 0 ||
	    !(n = grace_yaml_require(m, "steps", e)) ||
	    load_steps(x, n, "steps", HFAIL_ROLLBACK, &b->steps, &b->nsteps,
	    e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "verify")) && load_verify(x, b, n, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "rollback")) && load_steps(x, n, "rollback",
	    HFAIL_ESCALATE, &b->rollback, &b->nrollback, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "snapshot"))) {
		if (grace_yaml_as_strlist(n, &list, &cnt, e) < 0)
			return -1;
		if (cnt && !(b->snap = calloc(cnt, sizeof *b->snap))) {
			free(list);
			return oom(e, m->file);
		}
		for (i = 0; i < cnt; i++) {
			const struct grace_ynode *it = n->kind == GRACE_YSEQ ?
			    n->items[i] : n;

			if (!*list[i] || strchr(list[i], '{')) {
				grace_yaml_err(e, it, "a snapshot path is a file "
				    "name written out, not '%s'", list[i]);
				free(list);
				return -1;
			}
			b->snap[i] = list[i][0] == '/' ? strdup(list[i]) :
			    relpath(x, list[i]);
			if (!b->snap[i]) {
				free(list);
				return oom(e, m->file);
			}
			b->nsnap++;
		}
		free(list);
	}
	return 0;
}

static int
load_file(struct grace_playbooks *pbs, struct hload *ld, const char *path,
    struct grace_err *e)
{
	static const char *const keys[] = { "playbooks", "defaults", "trust",
		NULL };
	struct grace_hpolicy defaults = builtin_policy;
	struct grace_ynode *root, **roots;
	const struct grace_ynode *l, *n;
	struct grace_playbook *v;
	struct fctx x = { path, NULL, ld, pbs };
	const char *slash = strrchr(path, '/');
	char *d;
	size_t i, j;
	int rc = -1;

	if (!(root = grace_yaml_load_file(path, e)))
		return -1;
	if (!(roots = realloc(ld->roots, (ld->nroots + 1) * sizeof *roots))) {
		grace_yaml_free(root);
		return oom(e, path);
	}
	ld->roots = roots;
	roots[ld->nroots++] = root;
	d = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) :
	    strdup(".");
	if (!d)
		return oom(e, path);
	x.dir = realpath(d, NULL);
	free(d);
	if (!x.dir)
		return grace_err_sys(e, path, "cannot resolve the directory of "
		    "the playbook file");
	if (grace_yaml_expect(root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(root, keys, e) < 0 ||
	    !(l = grace_yaml_require(root, "playbooks", e)))
		goto out;
	if ((n = grace_yaml_get(root, "defaults"))) {
		static const char *const dkeys[] = { "risk", "budget",
			"cooldown", "breaker", "approval_ttl", "max_hops", NULL };

		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, dkeys, e) < 0 ||
		    load_policy(n, &defaults, e) < 0)
			goto out;
	}
	if ((n = grace_yaml_get(root, "trust")) && load_trust(&x, n, e) < 0)
		goto out;
	if (l->kind != GRACE_YSEQ || l->n == 0) {
		grace_yaml_err(e, l, "playbooks is a list of playbooks, got %s",
		    grace_yaml_describe(l));
		goto out;
	}
	if (!(v = realloc(pbs->v, (pbs->n + l->n) * sizeof *v))) {
		oom(e, path);
		goto out;
	}
	pbs->v = v;
	for (i = 0; i < l->n; i++) {
		struct grace_playbook *pb = &pbs->v[pbs->n];

		memset(pb, 0, sizeof *pb);
		pbs->n++;
		if (load_book(&x, pb, l->items[i], &defaults, e) < 0)
			goto out;
		for (j = 0; j + 1 < pbs->n; j++)
			if (strcmp(pbs->v[j].name, pb->name) == 0) {
				grace_yaml_err(e, grace_yaml_get(l->items[i], "name"),
				    "duplicate playbook name '%s' (first in %s at "
				    "line %lu)", pb->name, pbs->v[j].file,
				    pbs->v[j].line);
				goto out;
			}
	}
	rc = 0;
out:
	free(x.dir);
	return rc;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The .yaml files of directory dir (not the .test.yaml ones), sorted,
 * each malloc'd with its directory in front. */
static int
list_dir(const char *dir, char ***out, size_t *n, struct grace_err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, i;

	*out = NULL;
	*n = 0;
	if (!d)
		return grace_err_sys(e, dir, "cannot open directory");
	while ((de = readdir(d))) {
		size_t a, b;
		char *p;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".yaml") ||
		    ends_with(de->d_name, ".test.yaml"))
			continue;
		a = strlen(dir);
		b = strlen(de->d_name);
		if (!(nv = realloc(v, (cnt + 1) * sizeof *v)) ||
		    !(p = malloc(a + b + 2))) {
			if (nv)
				v = nv;
			goto nomem;
		}
		v = nv;
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, de->d_name, b + 1);
		v[cnt++] = p;
	}
	closedir(d);
	if (cnt == 0) {
		free(v);
		return grace_err_setc(e, GRACE_EXIT_USAGE, "%s: no playbook "
		    "files (*.yaml) in the directory", dir);
	}
	qsort(v, cnt, sizeof *v, cmpstr);
	*out = v;
	*n = cnt;
	return 0;
nomem:
	closedir(d);
	for (i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return oom(e, dir);
}

struct grace_playbooks *
grace_playbooks_load(const char *const *paths, size_t npaths,
    struct grace_err *e)
{
	struct grace_playbooks *pbs = calloc(1, sizeof *pbs);
	struct hload *ld = calloc(1, sizeof *ld);
	size_t i, j;

	if (!pbs || !ld) {
		free(pbs);
		free(ld);
		oom(e, NULL);
		return NULL;
	}
	pbs->priv = ld;
	for (i = 0; i < npaths; i++) {
		struct stat st;
		char **files;
		size_t nf;
		int r = 0;

		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (list_dir(paths[i], &files, &nf, e) < 0)
				goto fail;
			for (j = 0; j < nf; j++) {
				if (r == 0)
					r = load_file(pbs, ld, files[j], e);
				free(files[j]);
			}
			free(files);
		} else {
			r = load_file(pbs, ld, paths[i], e);
		}
		if (r < 0)
			goto fail;
	}
	return pbs;
fail:
	grace_playbooks_free(pbs);
	return NULL;
}

void
grace_playbooks_free(struct grace_playbooks *pbs)
{
	struct hload *ld;
	size_t i;

	if (!pbs)
		return;
	ld = pbs->priv;
	for (i = 0; i < pbs->n; i++)
		book_free(pbs->v[i].priv);
	free(pbs->v);
	if (ld) {
		for (i = 0; i < ld->ncf; i++) {
			grace_contracts_free(ld->cf[i].c);
			free(ld->cf[i].path);
		}
		free(ld->cf);
		for (i = 0; i < ld->nroots; i++)
			grace_yaml_free(ld->roots[i]);
		free(ld->roots);
		free(ld);
	}
	free(pbs);
}

const struct grace_playbook *
grace_playbook_find(const struct grace_playbooks *pbs, const char *name)
{
	size_t i;

	for (i = 0; i < pbs->n; i++)
		if (strcmp(pbs->v[i].name, name) == 0)
			return &pbs->v[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Matching. */

static int
any_glob(const char *const *g, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (grace_glob_match(g[i], s, len))
			return 1;
	return 0;
}

/* The string member key of object data (span d) into b; 1 when it is a
 * string, 0 otherwise (b empty), -1 on memory. */
static int
data_str(const char *p, const struct grace_jspan *d, const char *key,
    struct grace_buf *b, struct grace_buf *tmp)
{
	struct grace_jspan s;

	grace_buf_reset(b);
	if (grace_buf_reserve(b, 0) < 0)
		return -1;
	if (d->kind != GRACE_J_OBJECT ||
	    !grace_jpath_member(p, d->off, d->len, key, &s, tmp) ||
	    s.kind != GRACE_J_STRING)
		return 0;
	return grace_json_unescape(b, p + s.off, s.len) < 0 ? -1 : 1;
}

long
grace_playbooks_match(const struct grace_playbooks *pbs, const char *p,
    size_t n, size_t *idx, struct grace_err *e)
{
	static const char *const keys[] = { "type", "data" };
	struct grace_jspan f[2];
	struct grace_buf an = { 0 }, comp = { 0 }, sev = { 0 }, tmp = { 0 };
	struct grace_err je;
	jv ev = jv_invalid();
	long cnt = -1;
	int severity, r, parsed = 0;
	size_t i;

	if (grace_json_scan(p, n, keys, 2, f, "anomaly", 0, e) < 0)
		return -1;
	if (f[0].kind != GRACE_J_STRING ||
	    !((f[0].len == 18 && memcmp(p + f[0].off, "\"anomaly.detected\"",
	    18) == 0) || (f[0].len == 18 && memcmp(p + f[0].off,
	    "\"anomaly.flapping\"", 18) == 0)))
		return 0;
	if ((r = data_str(p, &f[1], "anomaly", &an, &tmp)) < 0 ||
	    data_str(p, &f[1], "component", &comp, &tmp) < 0 ||
	    data_str(p, &f[1], "severity", &sev, &tmp) < 0) {
		oom(e, NULL);
		goto out;
	}
	cnt = 0;
	if (r == 0)
		goto out;
	severity = grace_hsev_parse(sev.p, sev.len);
	for (i = 0; i < pbs->n; i++) {
		const struct hbook *b = pbs->v[i].priv;

		if (!any_glob(b->anomaly, b->nanomaly, an.p, an.len))
			continue;
		if (b->min_sev > GRACE_HSEV_NONE && severity < b->min_sev)
			continue;
		if (b->ncomponent && !any_glob(b->component, b->ncomponent,
		    comp.p, comp.len))
			continue;
		if (b->when) {
			if (!parsed) {
				ev = grace_jv_parse(p, n);
				parsed = 1;
			}
			r = grace_jq_truthy(b->when, jv_copy(ev), &je);
			if (r < 0) {
				*e = je;
				cnt = -1;
				goto out;
			}
			if (!r)
				continue;
		}
		idx[cnt++] = i;
	}
out:
	jv_free(ev);
	grace_buf_free(&an);
	grace_buf_free(&comp);
	grace_buf_free(&sev);
	grace_buf_free(&tmp);
	return cnt;
}

/* ------------------------------------------------------------------ */
/* The steps of a proposal. */

static int
phase_json(const struct hstep *v, size_t nv, const char *phase,
    const char *p, size_t n, struct grace_buf *out, struct grace_buf *t,
    struct grace_buf *tmp)
{
	size_t i, j;
	int r = 0;

	for (i = 0; i < nv && !r; i++) {
		r |= grace_buf_adds(out, out->p[out->len - 1] == '[' ? "" : ",");
		r |= grace_buf_addf(out, "{\"phase\":\"%s\",\"name\":", phase);
		r |= grace_buf_add_jstr(out, v[i].name, strlen(v[i].name));
		r |= grace_buf_adds(out, ",\"argv\":[");
		for (j = 0; j < v[i].argc && !r; j++) {
			r |= grace_hval_text(&v[i].argv[j], p, n, t, tmp);
			r |= j ? grace_buf_add(out, ",", 1) : 0;
			r |= grace_buf_add_jstr(out, t->p, t->len);
		}
		r |= grace_buf_add(out, "]", 1);
		if (v[i].nenv) {
			r |= grace_buf_adds(out, ",\"env\":{");
			for (j = 0; j < v[i].nenv && !r; j++) {
				r |= grace_hval_text(&v[i].envv[j], p, n, t, tmp);
				r |= j ? grace_buf_add(out, ",", 1) : 0;
				r |= grace_buf_add_jstr(out, v[i].envk[j],
				    strlen(v[i].envk[j]));
				r |= grace_buf_add(out, ":", 1);
				r |= grace_buf_add_jstr(out, t->p, t->len);
			}
			r |= grace_buf_add(out, "}", 1);
		}
		r |= grace_buf_add(out, "}", 1);
	}
	return r ? -1 : 0;
}

int
grace_playbook_steps_json(const struct grace_playbook *pb, const char *p,
    size_t n, struct grace_buf *out)
{
	const struct hbook *b = pb->priv;
	struct grace_buf t = { 0 }, tmp = { 0 };
	int r = grace_buf_add(out, "[", 1);

	r |= phase_json(b->steps, b->nsteps, "step", p, n, out, &t, &tmp);
	r |= phase_json(b->verify, b->nverify, "verify", p, n, out, &t, &tmp);
	if (!r && b->contract) {
		r |= grace_buf_adds(out, out->p[out->len - 1] == '[' ? "" : ",");
		r |= grace_buf_adds(out, "{\"phase\":\"verify\",\"contract\":");
		r |= grace_buf_add_jstr(out, b->contract, strlen(b->contract));
		r |= grace_buf_add(out, "}", 1);
	}
	r |= phase_json(b->rollback, b->nrollback, "rollback", p, n, out, &t,
	    &tmp);
	r |= grace_buf_add(out, "]", 1);
	grace_buf_free(&t);
	grace_buf_free(&tmp);
	return r ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Playbook test files. */

static int
load_hcase(const struct grace_playbooks *pbs, struct grace_hcase *c,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "name", "event", "playbook",
		"playbooks", NULL };
	const struct grace_ynode *ev, *n;
	const char **list;
	size_t cnt, i;
	jv v;

	c->line = m->line;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(n = grace_yaml_require(m, "name", e)) ||
	    grace_yaml_as_string(n, &c->name, e) < 0 ||
	    !(ev = grace_yaml_require(m, "event", e)))
		return -1;
	if (ev->kind != GRACE_YMAP)
		return grace_yaml_err(e, ev, "event is an anomaly event (a "
		    "mapping), got %s", grace_yaml_describe(ev));
	v = jv_dump_string(grace_yaml_to_jv(ev), 0);
	c->event = strdup(jv_string_value(v));
	jv_free(v);
	if (!c->event)
		return oom(e, m->file);
	if (grace_yaml_get(m, "playbook") && grace_yaml_get(m, "playbooks"))
		return grace_yaml_err(e, m, "a case gives playbook (the first "
		    "match) or playbooks (every match, in order), not both");
	if (grace_yaml_get_string(m, "playbook", &c->first, e) < 0)
		return -1;
	if (c->first && !grace_playbook_find(pbs, c->first))
		return grace_yaml_err(e, grace_yaml_get(m, "playbook"), "unknown "
		    "playbook '%s'", c->first);
	if ((n = grace_yaml_get(m, "playbooks"))) {
		if (n->kind != GRACE_YSEQ)
			return grace_yaml_err(e, n, "playbooks is a list of "
			    "playbook names ([] for none), got %s",
			    grace_yaml_describe(n));
		if (grace_yaml_as_strlist(n, &list, &cnt, e) < 0)
			return -1;
		c->has_all = 1;
		c->all = list;
		c->nall = cnt;
		for (i = 0; i < cnt; i++)
			if (!grace_playbook_find(pbs, list[i]))
				return grace_yaml_err(e, n->items[i], "unknown "
				    "playbook '%s'", list[i]);
	}
	if (!c->first && !c->has_all)
		return grace_yaml_err(e, m, "a case needs playbook (the first "
		    "match) or playbooks (every match; [] for none)");
	return 0;
}

int
grace_hcases_load(const char *path, const struct grace_playbooks *pbs,
    struct grace_hcases *cs, struct grace_err *e)
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
		oom(e, path);
		goto fail;
	}
	for (i = 0; i < l->n; i++) {
		cs->n++;
		if (load_hcase(pbs, &cs->v[i], l->items[i], e) < 0)
			goto fail;
	}
	return 0;
fail:
	grace_hcases_free(cs);
	return -1;
}

void
grace_hcases_free(struct grace_hcases *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].event);
		free(cs->v[i].all);
	}
	free(cs->v);
	grace_yaml_free(cs->root_);
	memset(cs, 0, sizeof *cs);
}

static void
names_of(struct grace_buf *b, const struct grace_playbooks *pbs,
    const size_t *idx, size_t n)
{
	size_t i;

	grace_buf_add(b, "[", 1);
	for (i = 0; i < n; i++)
		grace_buf_addf(b, "%s%s", i ? ", " : "", pbs->v[idx[i]].name);
	grace_buf_add(b, "]", 1);
}

int
grace_hcase_run(const struct grace_playbooks *pbs,
    const struct grace_hcase *c, struct grace_buf *why, struct grace_err *e)
{
	size_t *idx = calloc(pbs->n + 1, sizeof *idx), i;
	struct grace_err je;
	long got;
	int ok = 1;

	if (!idx)
		return oom(e, NULL);
	got = grace_playbooks_match(pbs, c->event, strlen(c->event), idx, &je);
	if (got < 0 && je.code != GRACE_EXIT_INPUT) {
		*e = je;
		free(idx);
		return -1;
	}
	if (got < 0) {
		grace_buf_addf(why, "case '%s' (line %lu): %s", c->name, c->line,
		    je.msg);
		free(idx);
		return 0;
	}
	if (c->first && (got == 0 || strcmp(pbs->v[idx[0]].name,
	    c->first) != 0)) {
		grace_buf_addf(why, "case '%s' (line %lu): expected playbook %s "
		    "first, got ", c->name, c->line, c->first);
		names_of(why, pbs, idx, (size_t)got);
		ok = 0;
	}
	if (ok && c->has_all) {
		if ((size_t)got != c->nall)
			ok = 0;
		for (i = 0; ok && i < c->nall; i++)
			ok = strcmp(pbs->v[idx[i]].name, c->all[i]) == 0;
		if (!ok) {
			grace_buf_addf(why, "case '%s' (line %lu): expected "
			    "playbooks [", c->name, c->line);
			for (i = 0; i < c->nall; i++)
				grace_buf_addf(why, "%s%s", i ? ", " : "",
				    c->all[i]);
			grace_buf_adds(why, "], got ");
			names_of(why, pbs, idx, (size_t)got);
		}
	}
	free(idx);
	return ok;
}

/* The program step s runs: resolved, or as written. */
static const char *
step_prog(const struct hstep *s)
{
	return s->prog ? s->prog : s->argv[0].text;
}

/* 1 if a step before step (in book order: phases, then steps) runs the
 * same program. */
static int
seen_before(const struct grace_playbooks *pbs, size_t book,
    const struct hstep *step)
{
	const char *p = step_prog(step);
	size_t i, k, ph;

	for (i = 0; i <= book; i++) {
		const struct hbook *b = pbs->v[i].priv;
		const struct hstep *v[3] = { b->steps, b->verify, b->rollback };
		size_t n[3] = { b->nsteps, b->nverify, b->nrollback };

		for (ph = 0; ph < 3; ph++)
			for (k = 0; k < n[ph]; k++) {
				if (&v[ph][k] == step)
					return 0;
				if (strcmp(step_prog(&v[ph][k]), p) == 0)
					return 1;
			}
	}
	return 0;
}

void
grace_playbooks_ready(const struct grace_playbooks *pbs, struct grace_ready *r)
{
	const struct hload *ld = pbs->priv;
	size_t i, k, ph;

	for (i = 0; i < pbs->n; i++) {
		const struct hbook *b = pbs->v[i].priv;
		const struct hstep *v[3] = { b->steps, b->verify, b->rollback };
		size_t n[3] = { b->nsteps, b->nverify, b->nrollback };

		for (ph = 0; ph < 3; ph++)
			for (k = 0; k < n[ph]; k++)
				if (!seen_before(pbs, i, &v[ph][k]))
					grace_ready_command(r, step_prog(&v[ph][k]),
					    NULL);
	}
	for (i = 0; ld && i < ld->ncf; i++)
		grace_contracts_ready(ld->cf[i].c, r);
}
