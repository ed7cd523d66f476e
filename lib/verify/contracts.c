/* contracts.c - the contracts file: loading and validating it, and the
 * type index that chooses the contracts for an event (verify.h). Evaluating
 * an event against the loaded contracts is eval.c; the checks, checks.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verify.h"
#include "idset.h"
#include "exec.h"
#include "ready.h"
#include "verify_int.h"

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_DRIFT 0.2
#define DEFAULT_MAX_SCAN (16u * 1024 * 1024)
#define DEFAULT_RULES "scan-rules.yaml"

struct defaults {
	int64_t timeout_ms, kill_after_ms;
	uint64_t cpu, memory, files;
	size_t max_output;
	double drift;
	const char *scan_rules;
	const struct grace_ynode *scan_rules_node;
	enum grace_severity fail_on;
	size_t max_scan;
};

static int
oom(struct grace_err *e, const char *file)
{
	errno = ENOMEM;
	return grace_err_sys(e, file, "unable to load");
}

/* ---------------------------------------------------------- small parts */

/* path relative to the contracts file's directory (malloc'd). */
static char *
resolve(const struct grace_contracts *c, const char *path)
{
	size_t n;
	char *r;

	if (path[0] == '/' || strcmp(c->dir, ".") == 0)
		return strdup(path);
	n = strlen(c->dir) + strlen(path) + 2;
	if ((r = malloc(n)))
		snprintf(r, n, "%s/%s", c->dir, path);
	return r;
}

/* A command path relative to the contracts file's directory, made
 * absolute (malloc'd): an exec check runs in a working directory of its
 * own, where a relative path would name nothing. NULL with errno set. */
static char *
resolve_command(const struct grace_contracts *c, const char *path)
{
	char *dir = realpath(c->dir, NULL), *r;
	size_t n;

	if (!dir)
		return NULL;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	n = strlen(dir) + strlen(path) + 2;
	if ((r = malloc(n)))
		snprintf(r, n, "%s/%s", dir, path);
	free(dir);
	return r;
}

/* A size: an integer number of bytes, or N with K, KiB, M, MiB, G, GiB. */
static int
get_size(const struct grace_ynode *map, const char *key, uint64_t *out,
    struct grace_err *e)
{
	const struct grace_ynode *n = grace_yaml_get(map, key);
	const char *s;
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!n)
		return 0;
	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		goto bad;
	if (strcmp(end, "") == 0)
		mul = 1;
	else if (strcmp(end, "K") == 0 || strcmp(end, "KiB") == 0)
		mul = 1024;
	else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
		mul = 1024 * 1024;
	else if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0)
		mul = 1024ull * 1024 * 1024;
	else
		goto bad;
	if (v == 0 || v > UINT64_MAX / mul)
		goto bad;
	*out = v * mul;
	return 1;
bad:
	return grace_yaml_err(e, n, "expected a size such as 65536, 64KiB or 256MiB, "
	    "got '%.48s'", s);
}

static int
get_positive_duration(const struct grace_ynode *map, const char *key,
    int64_t *ms, struct grace_err *e)
{
	int r = grace_yaml_get_duration(map, key, ms, e);

	if (r == 1 && *ms <= 0)
		return grace_yaml_err(e, grace_yaml_get(map, key), "%s must be more "
		    "than 0", key);
	return r;
}

static int
get_fraction(const struct grace_ynode *map, const char *key, double *out,
    struct grace_err *e)
{
	int r = grace_yaml_get_number(map, key, out, e);

	if (r == 1 && !(*out >= 0 && *out < 1e9))
		return grace_yaml_err(e, grace_yaml_get(map, key), "%s must be a number "
		    "0 or more (a fraction: 0.2 is 20%%)", key);
	return r;
}

static int
get_severity(const struct grace_ynode *map, const char *key,
    enum grace_severity *out, struct grace_err *e)
{
	const char *s;
	int r = grace_yaml_get_string(map, key, &s, e);

	if (r == 1 && grace_severity_parse(s, out) < 0)
		return grace_yaml_err(e, grace_yaml_get(map, key), "%s must be info, "
		    "low, medium, high or critical, not '%.48s'", key, s);
	return r;
}

static int
valid_env_name(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- slots */

/* Add the jq expression at scalar node n (or the text src at node at) as
 * a slot of k. Returns the slot index or -1. */
static int
add_slot_src(struct contract *k, const char *src, const struct grace_ynode *at,
    struct grace_err *e)
{
	struct slot *s;

	if (k->nslots == k->capslots) {
		size_t ncap = k->capslots ? k->capslots * 2 : 8;
		struct slot *nv = realloc(k->slots, ncap * sizeof *nv);

		if (!nv)
			return oom(e, at->file);
		k->slots = nv;
		k->capslots = ncap;
	}
	s = &k->slots[k->nslots];
	memset(s, 0, sizeof *s);
	s->src = src;
	s->file = at->file;
	s->line = at->line;
	s->col = at->col;
	s->native = grace_jqn_compile(k->paths, src);
	if (!s->native)
		k->all_native = 0;
	return (int)k->nslots++;
}

static int
add_slot(struct contract *k, const struct grace_ynode *n, struct grace_err *e)
{
	const char *src;

	if (grace_yaml_as_string(n, &src, e) < 0) {
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (!*src || strspn(src, " \t\r\n") == strlen(src))
		return grace_yaml_err(e, n, "empty jq expression");
	return add_slot_src(k, src, n, e);
}

/* A value given as `key` (literal) or `key_from` (jq). Returns 1 set, 0
 * neither given, -1 error. */
static int
get_src(struct contract *k, const struct grace_ynode *map, const char *key,
    struct vsrc *out, struct grace_err *e)
{
	char from[64];
	const struct grace_ynode *lit, *fr;

	snprintf(from, sizeof from, "%s_from", key);
	lit = grace_yaml_get(map, key);
	fr = grace_yaml_get(map, from);
	out->lit = NULL;
	out->slot = -1;
	if (lit && fr)
		return grace_yaml_err(e, fr, "give %s or %s, not both", key, from);
	if (lit) {
		if (grace_yaml_as_string(lit, &out->lit, e) < 0) {
			e->code = GRACE_EXIT_USAGE;
			return -1;
		}
		if (!*out->lit)
			return grace_yaml_err(e, lit, "%s is empty", key);
		return 1;
	}
	if (fr) {
		if ((out->slot = add_slot(k, fr, e)) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------- shared objects */

static struct grace_patterns *
ruleset(struct grace_contracts *c, const char *path, const char **rpath,
    const struct grace_ynode *at, struct grace_err *e)
{
	static const char *const top_keys[] = { "rules", NULL };
	char *full = resolve(c, path);
	struct grace_ynode *root, **nr;
	const struct grace_ynode *rules;
	struct grace_patterns *ps, **nps;
	char **npaths;
	size_t i;

	if (!full) {
		oom(e, path);
		return NULL;
	}
	for (i = 0; i < c->nrulesets; i++) {
		if (strcmp(c->ruleset_paths[i], full) == 0) {
			free(full);
			*rpath = c->ruleset_paths[i];
			return c->rulesets[i];
		}
	}
	root = grace_yaml_load_file(full, e);
	if (!root) {
		if (e->code == GRACE_EXIT_SYSTEM && at) {
			char msg[sizeof e->msg];

			snprintf(msg, sizeof msg, "scan rules %.200s: %.500s", full,
			    e->msg);
			grace_yaml_err(e, at, "%s", msg);
		}
		free(full);
		return NULL;
	}
	nr = realloc(c->extra_roots, (c->nextra + 1) * sizeof *nr);
	if (!nr) {
		grace_yaml_free(root);
		free(full);
		oom(e, path);
		return NULL;
	}
	c->extra_roots = nr;
	c->extra_roots[c->nextra++] = root;
	if (grace_yaml_expect(root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(root, top_keys, e) < 0 ||
	    !(rules = grace_yaml_require(root, "rules", e)) ||
	    grace_yaml_expect(rules, GRACE_YSEQ, e) < 0) {
		e->code = GRACE_EXIT_USAGE;
		free(full);
		return NULL;
	}
	if (!(ps = grace_patterns_new())) {
		free(full);
		oom(e, path);
		return NULL;
	}
	for (i = 0; i < rules->n; i++) {
		if (grace_yaml_expect(rules->items[i], GRACE_YMAP, e) < 0 ||
		    grace_patterns_add_yaml(ps, rules->items[i], NULL, e) < 0) {
			if (e->code != GRACE_EXIT_SYSTEM)
				e->code = GRACE_EXIT_USAGE;
			grace_patterns_free(ps);
			free(full);
			return NULL;
		}
	}
	nps = realloc(c->rulesets, (c->nrulesets + 1) * sizeof *nps);
	if (nps)
		c->rulesets = nps;
	npaths = realloc(c->ruleset_paths, (c->nrulesets + 1) * sizeof *npaths);
	if (npaths)
		c->ruleset_paths = npaths;
	if (!nps || !npaths) {
		grace_patterns_free(ps);
		free(full);
		oom(e, path);
		return NULL;
	}
	c->rulesets[c->nrulesets] = ps;
	c->ruleset_paths[c->nrulesets++] = full;
	*rpath = full;
	return ps;
}

/* The baseline store for path; sets *why when the file is not valid. */
static struct grace_baseline *
baseline(struct grace_contracts *c, const char *path, char **why,
    const struct grace_ynode *at, struct grace_err *e)
{
	char *full = resolve(c, path);
	struct grace_baseline *b, **nb;
	char **np, **ne;
	size_t i;
	struct grace_err be;

	*why = NULL;
	if (!full) {
		oom(e, path);
		return NULL;
	}
	for (i = 0; i < c->nbaselines; i++) {
		if (strcmp(c->baseline_paths[i], full) == 0) {
			free(full);
			*why = c->baseline_errors[i];
			return c->baselines[i];
		}
	}
	b = grace_baseline_load(full, &be);
	if (!b && c->update_baseline) {
		char msg[sizeof be.msg + 300];

		snprintf(msg, sizeof msg, "%.200s%s%.500s; refusing to overwrite "
		    "it with --update-baseline", be.file, be.file[0] ? ": " : "",
		    be.msg);
		grace_yaml_err(e, at, "%s", msg);
		free(full);
		return NULL;
	}
	nb = realloc(c->baselines, (c->nbaselines + 1) * sizeof *nb);
	if (nb)
		c->baselines = nb;
	np = realloc(c->baseline_paths, (c->nbaselines + 1) * sizeof *np);
	if (np)
		c->baseline_paths = np;
	ne = realloc(c->baseline_errors, (c->nbaselines + 1) * sizeof *ne);
	if (ne)
		c->baseline_errors = ne;
	if (!nb || !np || !ne) {
		grace_baseline_free(b);
		free(full);
		oom(e, path);
		return NULL;
	}
	c->baselines[c->nbaselines] = b;
	c->baseline_paths[c->nbaselines] = full;
	c->baseline_errors[c->nbaselines] = NULL;
	if (!b) {
		size_t n = strlen(be.msg) + strlen(full) + 4;

		if ((c->baseline_errors[c->nbaselines] = malloc(n)))
			snprintf(c->baseline_errors[c->nbaselines], n, "%s: %s",
			    full, be.msg);
	}
	*why = c->baseline_errors[c->nbaselines];
	c->nbaselines++;
	return b;
}

/* --------------------------------------------------------------- checks */

const char *const grace_vkind_names[VK_NKINDS] = {
	"jq", "exec", "digest", "signature", "baseline", "scan", "contract",
};

static int
load_exec(struct grace_contracts *c, struct contract *k, struct check *ck,
    const struct grace_ynode *m, const struct defaults *d, struct grace_err *e)
{
	static const char *const keys[] = { "argv", "env", "stdin", "timeout",
		"kill_after", "cpu", "memory", "files", "max_output", "exit",
		"match", "json", NULL };
	const struct grace_ynode *argv, *env, *ex, *n;
	const char *s;
	int64_t ms;
	uint64_t sz;
	size_t i;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(argv = grace_yaml_require(m, "argv", e)))
		return -1;
	if (argv->kind != GRACE_YSEQ || argv->n == 0)
		return grace_yaml_err(e, argv, "argv must be a non-empty list of strings "
		    "(the command and its arguments; no shell is involved)");
	if (!(ck->argv = calloc(argv->n + 1, sizeof *ck->argv)))
		return oom(e, m->file);
	for (i = 0; i < argv->n; i++) {
		if (grace_yaml_as_string(argv->items[i], &s, e) < 0)
			return -1;
		if (i == 0 && strchr(s, '/') && s[0] != '/') {
			if (!(ck->argv[i] = resolve_command(c, s)) &&
			    errno != ENOMEM)
				return grace_err_sys(e, c->path, "cannot resolve "
				    "the directory of the contracts file");
		} else
			ck->argv[i] = strdup(s);
		if (!ck->argv[i])
			return oom(e, m->file);
	}
	if ((env = grace_yaml_get(m, "env"))) {
		if (grace_yaml_expect(env, GRACE_YMAP, e) < 0)
			return -1;
		ck->nenv = env->n;
		ck->env_names = calloc(env->n + 1, sizeof *ck->env_names);
		ck->env_slots = calloc(env->n + 1, sizeof *ck->env_slots);
		if (!ck->env_names || !ck->env_slots)
			return oom(e, m->file);
		for (i = 0; i < env->n; i++) {
			const char *name = env->pairs[i].key->str;

			if (!valid_env_name(name))
				return grace_yaml_err(e, env->pairs[i].key, "'%.48s' is "
				    "not a valid environment variable name", name);
			if (strncmp(name, "GRACE_", 6) == 0)
				return grace_yaml_err(e, env->pairs[i].key, "'%.48s': "
				    "names starting with GRACE_ are reserved for "
				    "the event (GRACE_EVENT, GRACE_EVENT_ID, ...)",
				    name);
			ck->env_names[i] = name;
			if ((ck->env_slots[i] = add_slot(k, env->pairs[i].value,
			    e)) < 0)
				return -1;
		}
	}
	if (grace_yaml_get_string(m, "stdin", &s, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "stdin"))) {
		if (strcmp(s, "event") == 0)
			ck->stdin_event = 1;
		else if (strcmp(s, "none") != 0)
			return grace_yaml_err(e, n, "stdin must be event or none, not "
			    "'%.48s'", s);
	}
	ck->timeout_ms = d->timeout_ms;
	ck->kill_after_ms = d->kill_after_ms;
	ck->cpu = d->cpu;
	ck->memory = d->memory;
	ck->files = d->files;
	ck->max_output = d->max_output;
	if (get_positive_duration(m, "timeout", &ck->timeout_ms, e) < 0 ||
	    get_positive_duration(m, "kill_after", &ck->kill_after_ms, e) < 0)
		return -1;
	if (get_positive_duration(m, "cpu", &ms, e) < 0)
		return -1;
	if (grace_yaml_get(m, "cpu"))
		ck->cpu = (uint64_t)((ms + 999) / 1000);
	if (get_size(m, "memory", &ck->memory, e) < 0 ||
	    grace_yaml_get_int(m, "files", (int64_t *)&ck->files, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "files")) && (int64_t)ck->files < 4)
		return grace_yaml_err(e, n, "files must be 4 or more (stdin, stdout "
		    "and stderr count)");
	if (get_size(m, "max_output", &sz, e) < 0)
		return -1;
	if (grace_yaml_get(m, "max_output"))
		ck->max_output = (size_t)sz;
	if ((ex = grace_yaml_get(m, "exit"))) {
		const struct grace_ynode *const *items = &ex;
		size_t nitems = 1;

		if (ex->kind == GRACE_YSEQ) {
			items = (const struct grace_ynode *const *)ex->items;
			nitems = ex->n;
		}
		if (!(ck->exits = calloc(nitems ? nitems : 1, sizeof *ck->exits)))
			return oom(e, m->file);
		for (i = 0; i < nitems; i++) {
			int64_t v;

			if (grace_yaml_as_int(items[i], &v, e) < 0)
				return -1;
			if (v < 0 || v > 255)
				return grace_yaml_err(e, items[i], "an exit status is 0 "
				    "to 255");
			ck->exits[ck->nexits++] = (int)v;
		}
		if (!ck->nexits)
			return grace_yaml_err(e, ex, "exit: give at least one status");
	} else {
		if (!(ck->exits = calloc(1, sizeof *ck->exits)))
			return oom(e, m->file);
		ck->nexits = 1;
	}
	if ((n = grace_yaml_get(m, "match"))) {
		if (grace_yaml_as_string(n, &ck->match_src, e) < 0)
			return -1;
		if (!(ck->match = grace_patterns_new()))
			return oom(e, m->file);
		if (grace_patterns_add(ck->match, ck->name, ck->match_src, 0,
		    GRACE_SEV_INFO, "", n->file, n->line, n->col, e) < 0) {
			/* "rule 'name': bad pattern: ..." reads as a check's */
			char msg[sizeof e->msg];
			const char *p = strstr(e->msg, "bad pattern: ");

			snprintf(msg, sizeof msg, "match: bad regular expression: "
			    "%.600s", p ? p + 13 : e->msg);
			return grace_yaml_err(e, n, "%s", msg);
		}
	}
	ck->json = -1;
	if ((n = grace_yaml_get(m, "json"))) {
		const char **ns;
		const char **nf;
		unsigned long *nl, *nc;

		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		ns = realloc(c->json_src, (c->njson + 1) * sizeof *ns);
		if (ns)
			c->json_src = ns;
		nf = realloc(c->json_file, (c->njson + 1) * sizeof *nf);
		if (nf)
			c->json_file = nf;
		nl = realloc(c->json_line, (c->njson + 1) * sizeof *nl);
		if (nl)
			c->json_line = nl;
		nc = realloc(c->json_col, (c->njson + 1) * sizeof *nc);
		if (nc)
			c->json_col = nc;
		if (!ns || !nf || !nl || !nc)
			return oom(e, m->file);
		c->json_src[c->njson] = s;
		c->json_file[c->njson] = n->file;
		c->json_line[c->njson] = n->line;
		c->json_col[c->njson] = n->col;
		ck->json = (int)c->njson++;
	}
	return 0;
}

static int
load_digest(struct grace_contracts *c, struct contract *k, struct check *ck,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "file", "file_from", "algorithm",
		"expected", "expected_from", "manifest", NULL };
	const struct grace_ynode *n;
	const char *s;
	int r;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if ((r = get_src(k, m, "file", &ck->file, e)) < 0)
		return -1;
	if (!r)
		return grace_yaml_err(e, m, "missing required key 'file' (or "
		    "'file_from')");
	ck->alg = GRACE_DIGEST_SHA256;
	if ((n = grace_yaml_get(m, "algorithm"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (grace_digest_alg_parse(s, &ck->alg) < 0)
			return grace_yaml_err(e, n, "algorithm must be sha256 or sha512, "
			    "not '%.48s'", s);
	}
	if ((r = get_src(k, m, "expected", &ck->expected, e)) < 0)
		return -1;
	n = grace_yaml_get(m, "manifest");
	if (r && n)
		return grace_yaml_err(e, n, "give expected, expected_from or manifest, "
		    "only one");
	if (!r && !n)
		return grace_yaml_err(e, m, "missing required key 'expected' (or "
		    "'expected_from' or 'manifest')");
	if (n) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!(ck->manifest = strdup(s)))
			return oom(e, m->file);
	}
	return 0;
}

static int
load_signature(struct grace_contracts *c, struct contract *k,
    struct check *ck, const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "file", "file_from", "signature",
		"signature_from", "pubkey", "encoding", "hash", NULL };
	const struct grace_ynode *n;
	const char *s;
	int r;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if ((r = get_src(k, m, "file", &ck->file, e)) < 0)
		return -1;
	if (!r)
		return grace_yaml_err(e, m, "missing required key 'file' (or "
		    "'file_from')");
	if (get_src(k, m, "signature", &ck->sigfile, e) < 0)
		return -1;
	if (!(n = grace_yaml_require(m, "pubkey", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (!(ck->pubkey = resolve(c, s)))
		return oom(e, m->file);
	if ((n = grace_yaml_get(m, "encoding"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (grace_sig_encoding_parse(s, &ck->enc) < 0)
			return grace_yaml_err(e, n, "encoding must be auto, raw or "
			    "base64, not '%.48s'", s);
	}
	ck->hash = "sha256";
	if ((n = grace_yaml_get(m, "hash"))) {
		if (grace_yaml_as_string(n, &ck->hash, e) < 0)
			return -1;
		if (strcmp(ck->hash, "sha256") && strcmp(ck->hash, "sha384") &&
		    strcmp(ck->hash, "sha512"))
			return grace_yaml_err(e, n, "hash must be sha256, sha384 or "
			    "sha512, not '%.48s'", ck->hash);
	}
	return 0;
}

static int
load_baseline(struct grace_contracts *c, struct contract *k,
    struct check *ck, const struct grace_ynode *m, const struct defaults *d,
    struct grace_err *e)
{
	static const char *const keys[] = { "file", "metric", "key",
		"key_from", "drift", "direction", NULL };
	const struct grace_ynode *n;
	const char *s;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if (!(n = grace_yaml_require(m, "metric", e)) ||
	    (ck->metric_slot = add_slot(k, n, e)) < 0)
		return -1;
	if (!(n = grace_yaml_require(m, "file", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	ck->bl = baseline(c, s, &ck->bl_error, n, e);
	if (!ck->bl && !ck->bl_error)
		return -1;
	if (get_src(k, m, "key", &ck->key, e) < 0)
		return -1;
	if (!ck->key.lit && ck->key.slot < 0)
		ck->key.lit = ck->name;
	ck->drift = d->drift;
	if (get_fraction(m, "drift", &ck->drift, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "direction"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (strcmp(s, "both") == 0)
			ck->dir = GRACE_DRIFT_BOTH;
		else if (strcmp(s, "up") == 0)
			ck->dir = GRACE_DRIFT_UP;
		else if (strcmp(s, "down") == 0)
			ck->dir = GRACE_DRIFT_DOWN;
		else
			return grace_yaml_err(e, n, "direction must be both, up or down, "
			    "not '%.48s'", s);
	}
	return 0;
}

static int
load_scan(struct grace_contracts *c, struct contract *k, struct check *ck,
    const struct grace_ynode *m, const struct defaults *d, struct grace_err *e)
{
	static const char *const keys[] = { "file", "file_from",
		"snippet_from", "rules", "fail_on", "max_size", NULL };
	const struct grace_ynode *n, *sn;
	const char *rules = d->scan_rules;
	const struct grace_ynode *rules_at = d->scan_rules_node;
	uint64_t sz;
	int r;

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if ((r = get_src(k, m, "file", &ck->file, e)) < 0)
		return -1;
	ck->snippet_slot = -1;
	if ((sn = grace_yaml_get(m, "snippet_from"))) {
		if (r)
			return grace_yaml_err(e, sn, "give file, file_from or "
			    "snippet_from, only one");
		if ((ck->snippet_slot = add_slot(k, sn, e)) < 0)
			return -1;
	} else if (!r) {
		return grace_yaml_err(e, m, "missing required key 'file' (or "
		    "'file_from' or 'snippet_from')");
	}
	if ((n = grace_yaml_get(m, "rules"))) {
		if (grace_yaml_as_string(n, &rules, e) < 0)
			return -1;
		rules_at = n;
	}
	if (!rules_at)
		rules_at = m;
	if (!(ck->rules = ruleset(c, rules, &ck->rules_path, rules_at, e)))
		return -1;
	ck->fail_on = d->fail_on;
	if (get_severity(m, "fail_on", &ck->fail_on, e) < 0)
		return -1;
	ck->max_size = d->max_scan;
	if (get_size(m, "max_size", &sz, e) < 0)
		return -1;
	if (grace_yaml_get(m, "max_size"))
		ck->max_size = (size_t)sz;
	return 0;
}

static int
load_contract_check(struct contract *k, struct check *ck,
    const struct grace_ynode *m, const struct grace_ynode *at,
    struct grace_err *e)
{
	static const char *const keys[] = { "expect", "actual", "ordered",
		NULL };
	const struct grace_ynode *n;

	if (m->kind == GRACE_YSCALAR && m->type == GRACE_YT_NULL) {
		m = NULL;
	} else if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0) {
		return -1;
	}
	if ((n = grace_yaml_get(m, "expect")))
		ck->expect_slot = add_slot(k, n, e);
	else
		ck->expect_slot = add_slot_src(k, ".expect", at, e);
	if (ck->expect_slot < 0)
		return -1;
	if ((n = grace_yaml_get(m, "actual")))
		ck->actual_slot = add_slot(k, n, e);
	else
		ck->actual_slot = add_slot_src(k, ".actual", at, e);
	if (ck->actual_slot < 0)
		return -1;
	if (m && grace_yaml_get_bool(m, "ordered", &ck->ordered, e) < 0)
		return -1;
	return 0;
}

static int
load_check(struct grace_contracts *c, struct contract *k, struct check *ck,
    const struct grace_ynode *m, const struct defaults *d,
    struct grace_err *e)
{
	static const char *const keys[] = { "name", "weight", "message", "jq",
		"exec", "digest", "signature", "baseline", "scan", "contract",
		NULL };
	const struct grace_ynode *kn = NULL, *n;
	size_t i, nkinds = 0;

	memset(ck, 0, sizeof *ck);
	ck->slot = ck->metric_slot = ck->expect_slot = ck->actual_slot = -1;
	ck->snippet_slot = ck->json = -1;
	ck->file.slot = ck->expected.slot = ck->sigfile.slot = -1;
	ck->key.slot = -1;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(n = grace_yaml_require(m, "name", e)) ||
	    grace_yaml_as_string(n, &ck->name, e) < 0)
		return -1;
	if (!*ck->name)
		return grace_yaml_err(e, n, "name is empty");
	for (i = 0; i < sizeof grace_vkind_names / sizeof grace_vkind_names[0]; i++) {
		const struct grace_ynode *x = grace_yaml_get(m, grace_vkind_names[i]);

		if (!x)
			continue;
		if (nkinds++)
			return grace_yaml_err(e, x, "check '%s' has two kinds (%s and %s): "
			    "one check, one kind", ck->name, grace_vkind_names[ck->kind],
			    grace_vkind_names[i]);
		ck->kind = (enum vkind)i;
		kn = x;
	}
	if (!kn)
		return grace_yaml_err(e, m, "check '%s' has no kind: give one of jq, "
		    "exec, digest, signature, baseline, scan, contract",
		    ck->name);
	ck->weight = 1;
	if (grace_yaml_get_number(m, "weight", &ck->weight, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "weight")) &&
	    !(ck->weight > 0 && ck->weight <= 1e6))
		return grace_yaml_err(e, n, "weight must be more than 0 (and at most "
		    "1000000)");
	if (grace_yaml_get_string(m, "message", &ck->message, e) < 0)
		return -1;
	switch (ck->kind) {
	case VK_JQ:
		return (ck->slot = add_slot(k, kn, e)) < 0 ? -1 : 0;
	case VK_EXEC:
		return load_exec(c, k, ck, kn, d, e);
	case VK_DIGEST:
		return load_digest(c, k, ck, kn, e);
	case VK_SIGNATURE:
		return load_signature(c, k, ck, kn, e);
	case VK_BASELINE:
		return load_baseline(c, k, ck, kn, d, e);
	case VK_SCAN:
		return load_scan(c, k, ck, kn, d, e);
	case VK_CONTRACT:
		return load_contract_check(k, ck, kn, m, e);
	}
	return -1;
}

static int
load_settings(struct grace_contracts *c, const struct grace_ynode *s,
    struct defaults *d, struct grace_err *e)
{
	static const char *const keys[] = { "timeout", "kill_after", "cpu",
		"memory", "files", "max_output", "drift", "scan_rules",
		"fail_on", "max_scan_size", NULL };
	const struct grace_ynode *n;
	int64_t ms, files = 0;
	uint64_t sz;

	memset(d, 0, sizeof *d);
	d->timeout_ms = DEFAULT_TIMEOUT_MS;
	d->kill_after_ms = GRACE_EXEC_DEFAULT_KILL_AFTER;
	d->max_output = GRACE_EXEC_DEFAULT_OUTPUT;
	d->drift = DEFAULT_DRIFT;
	d->scan_rules = DEFAULT_RULES;
	d->fail_on = GRACE_SEV_LOW;
	d->max_scan = DEFAULT_MAX_SCAN;
	if (!s)
		return 0;
	if (grace_yaml_expect(s, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(s, keys, e) < 0 ||
	    get_positive_duration(s, "timeout", &d->timeout_ms, e) < 0 ||
	    get_positive_duration(s, "kill_after", &d->kill_after_ms, e) < 0 ||
	    get_positive_duration(s, "cpu", &ms, e) < 0)
		return -1;
	if (grace_yaml_get(s, "cpu"))
		d->cpu = (uint64_t)((ms + 999) / 1000);
	if (get_size(s, "memory", &d->memory, e) < 0 ||
	    grace_yaml_get_int(s, "files", &files, e) < 0)
		return -1;
	if ((n = grace_yaml_get(s, "files")) && files < 4)
		return grace_yaml_err(e, n, "files must be 4 or more (stdin, stdout and "
		    "stderr count)");
	d->files = (uint64_t)files;
	if (get_size(s, "max_output", &sz, e) < 0)
		return -1;
	if (grace_yaml_get(s, "max_output"))
		d->max_output = (size_t)sz;
	if (get_fraction(s, "drift", &d->drift, e) < 0 ||
	    grace_yaml_get_string(s, "scan_rules", &d->scan_rules, e) < 0 ||
	    get_severity(s, "fail_on", &d->fail_on, e) < 0 ||
	    get_size(s, "max_scan_size", &sz, e) < 0)
		return -1;
	d->scan_rules_node = grace_yaml_get(s, "scan_rules");
	if (grace_yaml_get(s, "max_scan_size"))
		d->max_scan = (size_t)sz;
	(void)c;
	return 0;
}

static int
load_match(struct contract *k, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = { "type", NULL };
	const struct grace_ynode *t;
	size_t i;

	if (!m) {
		k->wild = 1;
		return 0;
	}
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(t = grace_yaml_require(m, "type", e)) ||
	    grace_yaml_as_strlist(t, &k->types, &k->ntypes, e) < 0)
		return -1;
	if (k->ntypes == 0)
		return grace_yaml_err(e, t, "match: type lists no event type");
	for (i = 0; i < k->ntypes; i++) {
		if (!*k->types[i])
			return grace_yaml_err(e, t, "match: an event type is empty");
		if (strchr(k->types[i], '*'))
			k->wild = 1;
	}
	return 0;
}

static int
load_one(struct grace_contracts *c, struct contract *k,
    const struct grace_ynode *m, const struct defaults *d,
    struct grace_err *e)
{
	static const char *const keys[] = { "id", "description", "match",
		"when", "checks", NULL };
	const struct grace_ynode *n, *checks;
	struct grace_idset names = {0};
	const char *desc;
	size_t i;

	k->when = -1;
	k->all_native = 1;
	k->file = m->file;
	k->line = m->line;
	k->col = m->col;
	if (!(k->paths = grace_jqn_paths_new()))
		return oom(e, m->file);
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0 ||
	    !(n = grace_yaml_require(m, "id", e)) ||
	    grace_yaml_as_string(n, &k->id, e) < 0 ||
	    grace_yaml_get_string(m, "description", &desc, e) < 0)
		return -1;
	if (!*k->id)
		return grace_yaml_err(e, n, "id is empty");
	if (load_match(k, grace_yaml_get(m, "match"), e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "when")) && (k->when = add_slot(k, n, e)) < 0)
		return -1;
	if (!(checks = grace_yaml_require(m, "checks", e)) ||
	    grace_yaml_expect(checks, GRACE_YSEQ, e) < 0)
		return -1;
	if (checks->n == 0)
		return grace_yaml_err(e, checks, "contract '%s' has no checks", k->id);
	if (!(k->checks = calloc(checks->n, sizeof *k->checks)))
		return oom(e, m->file);
	for (i = 0; i < checks->n; i++) {
		struct check *ck = &k->checks[i];

		k->nchecks = i + 1;
		if (load_check(c, k, ck, checks->items[i], d, e) < 0) {
			if (e->code != GRACE_EXIT_SYSTEM)
				e->code = GRACE_EXIT_USAGE;
			grace_idset_free(&names);
			return -1;
		}
		switch (grace_idset_add(&names, ck->name, i, NULL)) {
		case -1:
			grace_idset_free(&names);
			return oom(e, m->file);
		case 0:
			grace_idset_free(&names);
			return grace_yaml_err(e, grace_yaml_get(checks->items[i],
			    "name"), "duplicate check name '%s' in "
			    "contract '%s'", ck->name, k->id);
		}
		if (ck->kind == VK_JQ || ck->kind == VK_CONTRACT)
			k->ninline++;
	}
	grace_idset_free(&names);
	c->nchecks += k->nchecks;
	return 0;
}

/* ------------------------------------------------------- jq programs */

/* The libjq program that computes every slot of k: an array with one
 * element per slot, [value], [] (no output) or {"e": message}; only
 * [when] when there is a `when` that does not hold. */
static char *
build_program(const struct contract *k)
{
	struct grace_buf b = {0};
	size_t i;
	int r = 0;

	if (k->when >= 0) {
		r |= grace_buf_addf(&b, "(try [first(\n%s\n)] catch "
		    "{\"e\":tostring}) as $__w | if ($__w|type) == \"array\" and "
		    "($__w|length) == 1 and ($__w[0] != false and $__w[0] != "
		    "null) then ", k->slots[k->when].src);
	}
	r |= grace_buf_adds(&b, "[");
	for (i = 0; i < k->nslots; i++) {
		if (i)
			r |= grace_buf_adds(&b, ",");
		if ((int)i == k->when)
			r |= grace_buf_adds(&b, "$__w");
		else
			r |= grace_buf_addf(&b, "(try [first(\n%s\n)] catch "
			    "{\"e\":tostring})", k->slots[i].src);
	}
	r |= grace_buf_adds(&b, "]");
	if (k->when >= 0)
		r |= grace_buf_adds(&b, " else [$__w] end");
	if (r) {
		grace_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* Compile every expression that has no native form, plus the exec json
 * assertions, as one program (libjq spends ~15 ms per compile on its
 * builtins); when that fails, compile them one by one to name the
 * culprit at its position. */
static int
validate_jq(struct grace_contracts *c, struct grace_err *e)
{
	struct grace_buf b = {0};
	struct grace_jq *q;
	size_t i, j, n = 0;
	int r = 0;

	/* The nesting cap of an expression alone holds inside the program
	 * that wraps it too. */
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->v[i].nslots; j++) {
			const struct slot *s = &c->v[i].slots[j];

			if (grace_jq_check_depth(s->src, s->file, s->line,
			    s->col, e) < 0)
				return -1;
		}
	}
	for (i = 0; i < c->njson; i++)
		if (grace_jq_check_depth(c->json_src[i], c->json_file[i],
		    c->json_line[i], c->json_col[i], e) < 0)
			return -1;
	r |= grace_buf_adds(&b, "[");
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->v[i].nslots; j++) {
			if (c->v[i].slots[j].native)
				continue;
			r |= grace_buf_addf(&b, "%s(\n%s\n)", n++ ? "," : "",
			    c->v[i].slots[j].src);
		}
	}
	for (i = 0; i < c->njson; i++)
		r |= grace_buf_addf(&b, "%s(\n%s\n)", n++ ? "," : "", c->json_src[i]);
	r |= grace_buf_adds(&b, "]");
	if (r) {
		grace_buf_free(&b);
		return oom(e, c->path);
	}
	if (n == 0) {
		grace_buf_free(&b);
		return 0;
	}
	q = grace_jq_compile_program(b.p, c->path, 0, 0, e);
	grace_buf_free(&b);
	if (q) {
		grace_jq_free(q);
		return 0;
	}
	if (e->code == GRACE_EXIT_SYSTEM)
		return -1;
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->v[i].nslots; j++) {
			const struct slot *s = &c->v[i].slots[j];

			if (s->native)
				continue;
			if (!(q = grace_jq_compile(s->src, s->file, s->line, s->col,
			    e)))
				return -1;
			grace_jq_free(q);
		}
	}
	for (i = 0; i < c->njson; i++) {
		if (!(q = grace_jq_compile(c->json_src[i], c->json_file[i],
		    c->json_line[i], c->json_col[i], e)))
			return -1;
		grace_jq_free(q);
	}
	return 0; /* each compiles alone: the combination cannot fail */
}

/* --------------------------------------------------------- type index */

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct tindex *
grace_vindex_find(const struct grace_contracts *c, const char *t, size_t n)
{
	size_t i;

	if (!c->tabsize)
		return NULL;
	for (i = hash(t, n) & (c->tabsize - 1);; i = (i + 1) & (c->tabsize - 1)) {
		struct tindex *x = &c->tab[i];

		if (!x->type)
			return x;
		if (x->len == n && memcmp(x->type, t, n) == 0)
			return x;
	}
}

static int
build_index(struct grace_contracts *c, struct grace_err *e)
{
	size_t i, j, nexact = 0;

	for (i = 0; i < c->n; i++)
		if (!c->v[i].wild)
			nexact += c->v[i].ntypes;
	c->tabsize = 16;
	while (c->tabsize < nexact * 2 + 1)
		c->tabsize *= 2;
	c->tab = calloc(c->tabsize, sizeof *c->tab);
	c->wild = calloc(c->n ? c->n : 1, sizeof *c->wild);
	if (!c->tab || !c->wild)
		return oom(e, c->path);
	for (i = 0; i < c->n; i++) {
		const struct contract *k = &c->v[i];

		if (k->wild) {
			c->wild[c->nwild++] = i;
			continue;
		}
		for (j = 0; j < k->ntypes; j++) {
			size_t len = strlen(k->types[j]);
			struct tindex *x = grace_vindex_find(c, k->types[j], len);
			size_t *nl;

			if (!x->type) {
				if (!(x->type = strdup(k->types[j])))
					return oom(e, c->path);
				x->len = len;
			}
			if (x->n && x->list[x->n - 1] == i)
				continue; /* the same type twice */
			if (!(nl = realloc(x->list, (x->n + 1) * sizeof *nl)))
				return oom(e, c->path);
			x->list = nl;
			x->list[x->n++] = i;
		}
	}
	return 0;
}

/* '*' matches any run of bytes; everything else itself. */
static int
glob(const char *p, const char *s, size_t n)
{
	size_t i = 0;
	const char *star = NULL;
	size_t mark = 0;

	while (i < n) {
		if (*p == '*') {
			star = p++;
			mark = i;
		} else if (*p && *p == s[i]) {
			p++;
			i++;
		} else if (star) {
			p = star + 1;
			i = ++mark;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
grace_vtype_matches(const struct contract *k, const char *t, size_t n, int has)
{
	size_t i;

	if (k->ntypes == 0)
		return 1;
	if (!has)
		return 0;
	for (i = 0; i < k->ntypes; i++)
		if (glob(k->types[i], t, n))
			return 1;
	return 0;
}

/* --------------------------------------------------------------- load */

static int
add_key(struct grace_contracts *c, const char *name, struct grace_err *e)
{
	size_t i;
	const char **nk;

	for (i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i], name) == 0)
			return 0;
	if (!(nk = realloc(c->keys, (c->nkeys + 1) * sizeof *nk)))
		return oom(e, c->path);
	c->keys = nk;
	c->keys[c->nkeys++] = name;
	return 0;
}

struct grace_contracts *
grace_contracts_load(const char *path, const struct grace_contracts_opts *o,
    struct grace_err *e)
{
	static const char *const keys[] = { "settings", "contracts", NULL };
	struct grace_contracts *c = calloc(1, sizeof *c);
	const struct grace_ynode *list;
	struct grace_idset ids = {0};
	struct defaults d;
	const char *slash;
	size_t i, j;

	if (!c) {
		oom(e, path);
		return NULL;
	}
	c->update_baseline = o && o->update_baseline;
	if (o) {
		c->child_started = o->child_started;
		c->child_ended = o->child_ended;
		c->child_arg = o->child_arg;
	}
	if (!(c->path = strdup(path)) ||
	    (o && o->tmpdir && !(c->tmpdir = strdup(o->tmpdir))))
		goto nomem;
	slash = strrchr(path, '/');
	c->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path))
	    : strdup(".");
	if (!c->dir)
		goto nomem;
	if (!(c->root = grace_yaml_load_file(path, e))) {
		/* A contracts file that is not there is a usage error. */
		if (e->code == GRACE_EXIT_SYSTEM && access(path, F_OK) < 0)
			e->code = GRACE_EXIT_USAGE;
		goto fail;
	}
	if (grace_yaml_expect(c->root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(c->root, keys, e) < 0 ||
	    load_settings(c, grace_yaml_get(c->root, "settings"), &d, e) < 0 ||
	    !(list = grace_yaml_require(c->root, "contracts", e)) ||
	    grace_yaml_expect(list, GRACE_YSEQ, e) < 0) {
		e->code = e->code == GRACE_EXIT_SYSTEM ? e->code : GRACE_EXIT_USAGE;
		goto fail;
	}
	if (!(c->v = calloc(list->n ? list->n : 1, sizeof *c->v)))
		goto nomem;
	for (i = 0; i < list->n; i++) {
		c->n = i + 1;
		if (load_one(c, &c->v[i], list->items[i], &d, e) < 0) {
			if (e->code != GRACE_EXIT_SYSTEM)
				e->code = GRACE_EXIT_USAGE;
			goto fail;
		}
		switch (grace_idset_add(&ids, c->v[i].id, i, &j)) {
		case -1:
			goto nomem;
		case 0:
			grace_yaml_err(e, grace_yaml_get(list->items[i], "id"),
			    "duplicate contract id '%s' (first at line %lu)",
			    c->v[i].id, c->v[j].line);
			goto fail;
		}
	}
	grace_idset_free(&ids);
	if (validate_jq(c, e) < 0)
		goto fail;
	if (add_key(c, "type", e) < 0 || add_key(c, "id", e) < 0 ||
	    add_key(c, "grace", e) < 0)
		goto fail;
	for (i = 0; i < c->n; i++) {
		size_t ntop;
		const char *const *top = grace_jqn_paths_top(c->v[i].paths, &ntop);

		for (j = 0; j < ntop; j++)
			if (add_key(c, top[j], e) < 0)
				goto fail;
	}
	for (i = 0; i < c->n; i++) {
		if (grace_jqn_paths_bind(c->v[i].paths, c->keys, c->nkeys) < 0)
			goto nomem;
		if (!(c->v[i].program = build_program(&c->v[i])))
			goto nomem;
	}
	if (build_index(c, e) < 0)
		goto fail;
	return c;
nomem:
	oom(e, path);
fail:
	grace_idset_free(&ids);
	grace_contracts_free(c);
	return NULL;
}

void
grace_contracts_free(struct grace_contracts *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		struct contract *k = &c->v[i];

		for (j = 0; j < k->nslots; j++)
			grace_jqn_free(k->slots[j].native);
		for (j = 0; j < k->nchecks; j++) {
			struct check *ck = &k->checks[j];
			char **a;

			for (a = ck->argv; a && *a; a++)
				free(*a);
			free(ck->argv);
			free(ck->env_names);
			free(ck->env_slots);
			free(ck->exits);
			grace_patterns_free(ck->match);
			free(ck->manifest);
			free(ck->pubkey);
		}
		free(k->slots);
		free(k->checks);
		free(k->types);
		free(k->program);
		grace_jqn_paths_free(k->paths);
	}
	free(c->v);
	for (i = 0; i < c->tabsize; i++) {
		free(c->tab[i].type);
		free(c->tab[i].list);
	}
	free(c->tab);
	free(c->wild);
	free(c->keys);
	for (i = 0; i < c->nrulesets; i++) {
		grace_patterns_free(c->rulesets[i]);
		free(c->ruleset_paths[i]);
	}
	free(c->rulesets);
	free(c->ruleset_paths);
	for (i = 0; i < c->nbaselines; i++) {
		grace_baseline_free(c->baselines[i]);
		free(c->baseline_paths[i]);
		free(c->baseline_errors[i]);
	}
	free(c->baselines);
	free(c->baseline_paths);
	free(c->baseline_errors);
	free(c->json_src);
	free(c->json_file);
	free(c->json_line);
	free(c->json_col);
	for (i = 0; i < c->nextra; i++)
		grace_yaml_free(c->extra_roots[i]);
	free(c->extra_roots);
	grace_yaml_free(c->root);
	free(c->path);
	free(c->dir);
	free(c->tmpdir);
	free(c);
}

size_t
grace_contracts_count(const struct grace_contracts *c)
{
	return c->n;
}

size_t
grace_contracts_nchecks(const struct grace_contracts *c)
{
	return c->nchecks;
}

void
grace_contracts_ready(const struct grace_contracts *c, struct grace_ready *r)
{
	size_t i, j, k, l;

	/* each command once, in the order the file names them */
	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->v[i].nchecks; j++) {
			const struct check *ck = &c->v[i].checks[j];
			int seen = 0;

			if (ck->kind != VK_EXEC)
				continue;
			for (k = 0; k <= i && !seen; k++)
				for (l = 0; l < (k < i ? c->v[k].nchecks : j) &&
				    !seen; l++)
					seen = c->v[k].checks[l].kind == VK_EXEC &&
					    strcmp(c->v[k].checks[l].argv[0],
					    ck->argv[0]) == 0;
			if (!seen)
				grace_ready_command(r, ck->argv[0], NULL);
		}
	if (c->update_baseline)
		for (i = 0; i < c->nbaselines; i++)
			grace_ready_writable(r, c->baseline_paths[i]);
}

const char *const *
grace_contracts_keys(const struct grace_contracts *c, size_t *n)
{
	*n = c->nkeys;
	return c->keys;
}

int
grace_contracts_save_baselines(struct grace_contracts *c, struct grace_err *e)
{
	size_t i;
	int r = 0;

	for (i = 0; i < c->nbaselines; i++)
		if (c->baselines[i] && grace_baseline_save(c->baselines[i], e) < 0)
			r = -1;
	return r;
}
