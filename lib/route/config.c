/* config.c - loading and checking the routes file (man/grace-routes.5). */
#include <errno.h>
#include <fcntl.h>
#include <oniguruma.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate.h"
#include "glob.h"
#include "jqx.h"
#include "log/log.h"
#include "ready.h"
#include "route.h"
#include "timeutil.h"
#include "yaml.h"

#define DEFAULT_QUEUE 1024
#define MAX_QUEUE (1u << 24)

static const char *const prio_names[GRACE_RP_N] = {
	"critical", "high", "normal", "low",
};
static const char *const kind_names[] = {
	"file", "log", "stdout", "stderr", "fifo", "exec", "nats",
};
static const char *const overflow_names[] = {
	"block", "drop_newest", "drop_oldest", "spill",
};

const char *
grace_rprio_name(enum grace_rprio p)
{
	return (unsigned)p < GRACE_RP_N ? prio_names[p] : "?";
}

const char *
grace_rkind_name(enum grace_rkind k)
{
	return (unsigned)k <= GRACE_RK_NATS ? kind_names[k] : "?";
}

const char *
grace_roverflow_name(enum grace_roverflow o)
{
	return (unsigned)o <= GRACE_RO_SPILL ? overflow_names[o] : "?";
}

static void free_matchers(struct grace_rmatcher *m, size_t n);

/* A warning at node n, kept in rs->warn. Returns 0, or -1 (memory). */
static int
warn(struct grace_routes *rs, const struct grace_ynode *n,
    struct grace_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
warn(struct grace_routes *rs, const struct grace_ynode *n,
    struct grace_err *e, const char *fmt, ...)
{
	struct grace_err *nw = realloc(rs->warn, (rs->nwarn + 1) * sizeof *nw);
	va_list ap;

	if (!nw)
		return grace_err_sys(e, rs->file, "out of memory");
	rs->warn = nw;
	va_start(ap, fmt);
	grace_err_vset(&nw[rs->nwarn], n->file, n->line, n->col, fmt, ap);
	va_end(ap);
	nw[rs->nwarn].code = GRACE_EXIT_OK;
	rs->nwarn++;
	return 0;
}

static int
name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	return 1;
}

static char *
dup_or(struct grace_routes *rs, const char *s, struct grace_err *e)
{
	char *d = strdup(s);

	if (!d)
		grace_err_sys(e, rs->file, "out of memory");
	return d;
}

static int load_key_named(struct grace_routes *rs,
    const struct grace_ynode *m, const char *name, struct grace_rpath **out,
    size_t *nout, struct grace_err *e);

/* 1 if s is a NATS subject token's worth of safe characters, dots
 * between non-empty tokens. */
static int
subject_ok(const char *s)
{
	const char *c;

	if (!*s || *s == '.' || s[strlen(s) - 1] == '.' || strstr(s, ".."))
		return 0;
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' ||
		    *c == '.'))
			return 0;
	return 1;
}

/* nats URLs, here rather than in nats.c: loading a routes file needs no
 * NATS library. */
int
grace_rnats_servers_ok(const char *s, size_t n)
{
	const char *u = s, *end = s + n;

	for (;;) {
		const char *c = memchr(u, ',', (size_t)(end - u));
		size_t len = c ? (size_t)(c - u) : (size_t)(end - u);

		if (len <= 7 || strncmp(u, "nats://", 7) != 0 ||
		    memchr(u, ' ', len) || memchr(u, '\t', len) ||
		    memchr(u, '\n', len) || memchr(u, '\r', len) ||
		    memchr(u, '\0', len) || memchr(u + 7, '/', len - 7))
			return 0;
		if (!c)
			return 1;
		u = c + 1;
	}
}

int
grace_rnats_source_ok(const char *url)
{
	const char *slash = strrchr(url, '/');

	return slash && grace_rnats_servers_ok(url, (size_t)(slash - url)) &&
	    slash[1] && !strpbrk(slash + 1, ". *>\t\r\n\\");
}

/* A nats target's keys: url, subject (a template), stream, partition,
 * timeout; the other kinds take none of them. */
static int
load_nats(struct grace_routes *rs, struct grace_rtarget_cfg *t,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const nkeys[] = { "url", "subject", "stream",
		"partition", "timeout", "window", "replicas", "max_per_subject",
		NULL };
	static const char *const pkeys[] = { "key", "count", NULL };
	static const char *const vars[] = { "{type}", "{source}",
		"{subject}", "{partition}", NULL };
	const struct grace_ynode *n, *pn;
	struct grace_buf plain = {0};
	const char *s, *c;
	int64_t v;
	size_t i;
	int haspart = 0;

	if (t->kind != GRACE_RK_NATS) {
		for (i = 0; nkeys[i]; i++)
			if ((n = grace_yaml_get(m, nkeys[i])))
				return grace_yaml_err(e, n, "a %s target takes no %s "
				    "(only a nats target does)", kind_names[t->kind],
				    nkeys[i]);
		return 0;
	}
	t->timeout_ms = 5000;
	if (grace_yaml_get_duration(m, "timeout", &t->timeout_ms, e) < 0)
		return -1;
	if (t->timeout_ms < 1 || t->timeout_ms > 3600000)
		return grace_yaml_err(e, grace_yaml_get(m, "timeout"), "timeout is "
		    "from 1ms to 1h");
	s = "nats://127.0.0.1:4222";
	if ((n = grace_yaml_get(m, "url")) && grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (!grace_rnats_servers_ok(s, strlen(s)))
		return grace_yaml_err(e, n ? n : m, "url '%s' is not "
		    "nats://HOST:PORT, or a list of them separated by commas", s);
	if (!(t->url = dup_or(rs, s, e)))
		return -1;
	if (!(n = grace_yaml_require(m, "stream", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (!*s || strpbrk(s, ". *>\t\r\n/\\"))
		return grace_yaml_err(e, n, "stream '%s' is not a JetStream "
		    "stream name", s);
	if (!(t->stream = dup_or(rs, s, e)))
		return -1;
	if ((pn = grace_yaml_get(m, "partition"))) {
		if (grace_yaml_expect(pn, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(pn, pkeys, e) < 0 ||
		    !grace_yaml_require(pn, "key", e) ||
		    !(n = grace_yaml_require(pn, "count", e)) ||
		    grace_yaml_as_int(n, &v, e) < 0 ||
		    load_key_named(rs, pn, "key", &t->pkey, &t->npkey, e) < 0)
			return -1;
		if (v < 1 || v > 65536)
			return grace_yaml_err(e, n, "partition count is from 1 to "
			    "65536, not %lld", (long long)v);
		t->pcount = (unsigned)v;
	}
	s = t->pcount ? "grace.events.p{partition}" : "grace.events.{type}";
	if ((n = grace_yaml_get(m, "subject")) &&
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	/* The template with each variable as one safe character must be a
	 * subject; a variable is not known, or {partition} without a
	 * partition, is an error here rather than at the first event. */
	for (c = s; *c; ) {
		if (*c == '{') {
			for (i = 0; vars[i]; i++)
				if (strncmp(c, vars[i], strlen(vars[i])) == 0)
					break;
			if (!vars[i]) {
				grace_buf_free(&plain);
				return grace_yaml_err(e, n, "subject '%s': unknown "
				    "variable at '%.20s' (expected {type}, "
				    "{source}, {subject} or {partition})", s, c);
			}
			haspart |= i == 3;
			c += strlen(vars[i]);
			grace_buf_add(&plain, "x", 1);
		} else {
			grace_buf_add(&plain, c++, 1);
		}
	}
	i = plain.p && subject_ok(plain.p);
	grace_buf_free(&plain);
	if (!i)
		return grace_yaml_err(e, n ? n : m, "subject '%s' is not a NATS "
		    "subject of letters, digits, '_', '-' and '.' between "
		    "tokens (no wildcards)", s);
	if (haspart && !t->pcount)
		return grace_yaml_err(e, n, "subject '%s' uses {partition}, and "
		    "the target has no partition", s);
	if (!haspart && t->pcount)
		return grace_yaml_err(e, n ? n : pn, "target '%s' has a partition "
		    "and its subject '%s' does not use {partition}", t->name, s);
	if (!(t->subject = dup_or(rs, s, e)))
		return -1;
	t->window = 256;
	if ((n = grace_yaml_get(m, "window"))) {
		if (grace_yaml_as_int(n, &v, e) < 0)
			return -1;
		if (v < 1 || v > 256)
			return grace_yaml_err(e, n, "window is from 1 to 256 "
			    "publishes in flight, not %lld", (long long)v);
		t->window = (unsigned)v;
	}
	/* what --create-streams makes the stream with */
	if ((n = grace_yaml_get(m, "replicas"))) {
		if (grace_yaml_as_int(n, &v, e) < 0)
			return -1;
		if (v < 1 || v > 5)
			return grace_yaml_err(e, n, "replicas is from 1 to 5 "
			    "(JetStream's limit), not %lld", (long long)v);
		t->replicas = (unsigned)v;
	}
	if ((n = grace_yaml_get(m, "max_per_subject"))) {
		if (grace_yaml_as_int(n, &v, e) < 0)
			return -1;
		if (v < 1)
			return grace_yaml_err(e, n, "max_per_subject is 1 or "
			    "more, not %lld", (long long)v);
		t->max_per_subject = v;
	}
	return 0;
}

static int
load_target(struct grace_routes *rs, struct grace_rtarget_cfg *t,
    const struct grace_ynode *key, const struct grace_ynode *m,
    struct grace_err *e)
{
	static const char *const keys[] = { "kind", "path", "argv", "queue",
		"overflow", "spill", "retries", "backoff", "backoff_max", "breaker",
		"url", "subject", "stream", "partition", "timeout", "window",
		"replicas", "max_per_subject", NULL };
	const struct grace_ynode *n;
	const char *s;
	int64_t v;
	size_t i;

	t->line = key->line;
	t->col = key->col;
	if (!name_ok(key->str))
		return grace_yaml_err(e, key, "target name '%s' is not made of letters, "
		    "digits, '_', '-' and '.'", key->str);
	if (!(t->name = dup_or(rs, key->str, e)))
		return -1;
	t->queue = DEFAULT_QUEUE;
	t->retries = 3;
	t->backoff_ms = 100;
	t->backoff_max_ms = 5000;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	if (!(n = grace_yaml_require(m, "kind", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	for (i = 0; i <= GRACE_RK_NATS; i++)
		if (strcmp(s, kind_names[i]) == 0)
			break;
	if (i > GRACE_RK_NATS)
		return grace_yaml_err(e, n, "unknown target kind '%s' (expected one of: "
		    "file, log, stdout, stderr, fifo, exec, nats)", s);
	t->kind = (enum grace_rkind)i;

	n = grace_yaml_get(m, "path");
	if (t->kind == GRACE_RK_FILE || t->kind == GRACE_RK_LOG ||
	    t->kind == GRACE_RK_FIFO) {
		if (!n)
			return grace_yaml_err(e, m, "target '%s' (%s) needs a path",
			    t->name, kind_names[t->kind]);
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!*s)
			return grace_yaml_err(e, n, "the path is empty");
		if (!(t->path = dup_or(rs, s, e)))
			return -1;
	} else if (n) {
		return grace_yaml_err(e, n, "a %s target takes no path",
		    kind_names[t->kind]);
	}
	n = grace_yaml_get(m, "argv");
	if (t->kind == GRACE_RK_EXEC) {
		const char **list;
		size_t cnt;

		if (!n)
			return grace_yaml_err(e, m, "target '%s' (exec) needs argv, a list "
			    "of strings", t->name);
		if (n->kind != GRACE_YSEQ)
			return grace_yaml_err(e, n, "argv is a list of strings (never a "
			    "shell command), got %s", grace_yaml_describe(n));
		if (grace_yaml_as_strlist(n, &list, &cnt, e) < 0)
			return -1;
		if (cnt == 0) {
			free(list);
			return grace_yaml_err(e, n, "argv is empty");
		}
		t->argv = calloc(cnt + 1, sizeof *t->argv);
		for (i = 0; t->argv && i < cnt; i++)
			if (!(t->argv[i] = strdup(list[i])))
				break;
		free(list);
		if (!t->argv || i < cnt)
			return grace_err_sys(e, rs->file, "out of memory");
	} else if (n) {
		return grace_yaml_err(e, n, "a %s target takes no argv",
		    kind_names[t->kind]);
	}
	if (load_nats(rs, t, m, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "queue"))) {
		if (grace_yaml_as_int(n, &v, e) < 0)
			return -1;
		if (v < 1 || v > MAX_QUEUE)
			return grace_yaml_err(e, n, "queue is from 1 to %u events, not "
			    "%lld", MAX_QUEUE, (long long)v);
		t->queue = (size_t)v;
	}
	if ((n = grace_yaml_get(m, "overflow"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		for (i = 0; i <= GRACE_RO_SPILL; i++)
			if (strcmp(s, overflow_names[i]) == 0)
				break;
		if (i > GRACE_RO_SPILL)
			return grace_yaml_err(e, n, "unknown overflow policy '%s' (expected "
			    "one of: block, drop_newest, drop_oldest, spill)", s);
		t->overflow = (enum grace_roverflow)i;
	}
	n = grace_yaml_get(m, "spill");
	if (t->overflow == GRACE_RO_SPILL) {
		if (!n)
			return grace_yaml_err(e, m, "target '%s': overflow spill needs a "
			    "spill file", t->name);
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!*s)
			return grace_yaml_err(e, n, "the spill file is empty");
		if (!(t->spill = dup_or(rs, s, e)))
			return -1;
	} else if (n) {
		return grace_yaml_err(e, n, "a spill file needs overflow: spill");
	}
	if ((n = grace_yaml_get(m, "retries"))) {
		if (grace_yaml_as_int(n, &v, e) < 0)
			return -1;
		if (v < 0 || v > 1000)
			return grace_yaml_err(e, n, "retries is from 0 to 1000, not %lld",
			    (long long)v);
		t->retries = (unsigned)v;
	}
	if (grace_yaml_get_duration(m, "backoff", &t->backoff_ms, e) < 0 ||
	    grace_yaml_get_duration(m, "backoff_max", &t->backoff_max_ms,
	    e) < 0)
		return -1;
	if (t->backoff_max_ms < t->backoff_ms)
		t->backoff_max_ms = t->backoff_ms;
	if ((n = grace_yaml_get(m, "breaker"))) {
		static const char *const bkeys[] = { "failures", "cooldown",
			NULL };
		const struct grace_ynode *f;

		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, bkeys, e) < 0 ||
		    !(f = grace_yaml_require(n, "failures", e)) ||
		    grace_yaml_as_int(f, &v, e) < 0)
			return -1;
		if (v < 1 || v > 1000)
			return grace_yaml_err(e, f, "breaker failures is from 1 to 1000, not "
			    "%lld", (long long)v);
		t->breaker_failures = (unsigned)v;
		t->breaker_cooldown_ms = 30000;
		if (grace_yaml_get_duration(n, "cooldown",
		    &t->breaker_cooldown_ms, e) < 0)
			return -1;
	}
	return 0;
}

/* The index of target name, or -1. */
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
is_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    c == '@' || c == '$';
}

/* Parse "data.host =~ web-.*" into mt. */
static int
load_matcher(struct grace_routes *rs, struct grace_rmatcher *mt,
    const struct grace_ynode *n, struct grace_err *e)
{
	const char *s, *p, *q, *v;
	char *path, *seg, *save;
	size_t len;

	if (grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (!(mt->text = dup_or(rs, s, e)))
		return -1;
	for (p = s; *p == ' '; p++)
		;
	if (*p == '.')
		p++;
	for (q = p; is_path_char(*q); q++)
		;
	if (q == p)
		return grace_yaml_err(e, n, "matcher '%s': expected a member path such as "
		    "data.host before the operator", s);
	len = (size_t)(q - p);
	while (*q == ' ')
		q++;
	if (q[0] == '=' && q[1] == '~') {
		mt->op = GRACE_ROP_RE;
		v = q + 2;
	} else if (q[0] == '!' && q[1] == '~') {
		mt->op = GRACE_ROP_NRE;
		v = q + 2;
	} else if (q[0] == '!' && q[1] == '=') {
		mt->op = GRACE_ROP_NE;
		v = q + 2;
	} else if (q[0] == '=') {
		mt->op = GRACE_ROP_EQ;
		v = q + 1;
	} else {
		return grace_yaml_err(e, n, "matcher '%s': expected one of =, !=, =~, !~ "
		    "after the member path", s);
	}
	if (!(path = strndup(p, len)))
		return grace_err_sys(e, rs->file, "out of memory");
	for (seg = strtok_r(path, ".", &save); seg;
	    seg = strtok_r(NULL, ".", &save)) {
		if (mt->nsegs == GRACE_ROUTE_MAX_PATH) {
			free(path);
			return grace_yaml_err(e, n, "matcher '%s': a member path has at "
			    "most %d parts", s, GRACE_ROUTE_MAX_PATH);
		}
		if (!(mt->segs[mt->nsegs++] = strdup(seg))) {
			free(path);
			return grace_err_sys(e, rs->file, "out of memory");
		}
	}
	free(path);
	if (mt->nsegs == 0 || p[len - 1] == '.' || strstr(s, ".."))
		return grace_yaml_err(e, n, "matcher '%s': empty part in the member path",
		    s);
	while (*v == ' ')
		v++;
	len = strlen(v);
	while (len && v[len - 1] == ' ')
		len--;
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		/* "quoted": \" and \\ are the only escapes */
		char *d = malloc(len);
		size_t i, j = 0;

		if (!d)
			return grace_err_sys(e, rs->file, "out of memory");
		for (i = 1; i + 1 < len; i++) {
			if (v[i] == '\\' && i + 2 < len &&
			    (v[i + 1] == '"' || v[i + 1] == '\\'))
				i++;
			d[j++] = v[i];
		}
		d[j] = '\0';
		mt->value = d;
	} else if (!(mt->value = strndup(v, len))) {
		return grace_err_sys(e, rs->file, "out of memory");
	}
	if (mt->op == GRACE_ROP_RE || mt->op == GRACE_ROP_NRE) {
		struct grace_buf b = {0};
		OnigErrorInfo einfo;
		OnigRegex re;
		int r;

		if (grace_buf_addf(&b, "\\A(?:%s)\\z", mt->value) < 0)
			return grace_err_sys(e, rs->file, "out of memory");
		r = onig_new(&re, (const OnigUChar *)b.p,
		    (const OnigUChar *)b.p + b.len, ONIG_OPTION_NONE,
		    ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL, &einfo);
		grace_buf_free(&b);
		if (r != ONIG_NORMAL) {
			OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];

			onig_error_code_to_str(msg, r, &einfo);
			return grace_yaml_err(e, n, "matcher '%s': bad regex: %s", s,
			    (const char *)msg);
		}
		mt->re = re;
	}
	return 0;
}

/* name (key, equal): a member path or a list of them. */
static int
load_key_named(struct grace_routes *rs, const struct grace_ynode *m,
    const char *name, struct grace_rpath **out, size_t *nout,
    struct grace_err *e)
{
	const struct grace_ynode *n = grace_yaml_get(m, name);
	const char **list;
	size_t cnt, i;

	if (!n)
		return 0;  /* no key: one window for the whole route */
	if (grace_yaml_as_strlist(n, &list, &cnt, e) < 0)
		return -1;
	if (cnt && !(*out = calloc(cnt, sizeof **out))) {
		free(list);
		return grace_err_sys(e, rs->file, "out of memory");
	}
	for (i = 0; i < cnt; i++) {
		const struct grace_ynode *at_n = n->kind == GRACE_YSEQ ?
		    n->items[i] : n;
		struct grace_rpath *kp = &(*out)[i];
		const char *p = list[i];
		char *copy, *seg, *save;

		(*nout)++;
		if (*p == '.')
			p++;
		if (!(kp->text = strdup(list[i])) || !(copy = strdup(p))) {
			free(list);
			return grace_err_sys(e, rs->file, "out of memory");
		}
		for (seg = strtok_r(copy, ".", &save); seg;
		    seg = strtok_r(NULL, ".", &save)) {
			const char *c;

			for (c = seg; *c && is_path_char(*c); c++)
				;
			if (*c || kp->nsegs == GRACE_ROUTE_MAX_PATH ||
			    !(kp->segs[kp->nsegs++] = strdup(seg))) {
				grace_yaml_err(e, at_n, "key '%s' is not a member path such "
				    "as data.host", list[i]);
				free(copy);
				free(list);
				return -1;
			}
		}
		free(copy);
		if (kp->nsegs == 0 || strstr(p, "..") || p[strlen(p) - 1] == '.') {
			grace_yaml_err(e, at_n, "key '%s' is not a member path such as "
			    "data.host", list[i]);
			free(list);
			return -1;
		}
	}
	free(list);
	return 0;
}

static int
load_key(struct grace_routes *rs, const struct grace_ynode *m,
    struct grace_rpath **out, size_t *nout, struct grace_err *e)
{
	return load_key_named(rs, m, "key", out, nout, e);
}

static int
load_storm(struct grace_routes *rs, struct grace_rroute *r,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const dkeys[] = { "key", "window", NULL };
	static const char *const tkeys[] = { "key", "limit", "interval", NULL };
	const struct grace_ynode *n, *v;
	int64_t x;

	if ((n = grace_yaml_get(m, "dedupe"))) {
		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, dkeys, e) < 0 ||
		    !(v = grace_yaml_require(n, "window", e)) ||
		    grace_yaml_as_duration(v, &r->dwindow_ms, e) < 0 ||
		    load_key(rs, n, &r->dkey, &r->ndkey, e) < 0)
			return -1;
		if (r->dwindow_ms <= 0)
			return grace_yaml_err(e, v, "the dedupe window must be longer than 0");
	}
	if ((n = grace_yaml_get(m, "throttle"))) {
		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, tkeys, e) < 0 ||
		    !(v = grace_yaml_require(n, "limit", e)) ||
		    grace_yaml_as_int(v, &x, e) < 0)
			return -1;
		if (x < 1)
			return grace_yaml_err(e, v, "the throttle limit is at least 1, not "
			    "%lld", (long long)x);
		r->tlimit = (uint64_t)x;
		if (!(v = grace_yaml_require(n, "interval", e)) ||
		    grace_yaml_as_duration(v, &r->tinterval_ms, e) < 0 ||
		    load_key(rs, n, &r->tkey, &r->ntkey, e) < 0)
			return -1;
		if (r->tinterval_ms <= 0)
			return grace_yaml_err(e, v, "the throttle interval must be longer "
			    "than 0");
	}
	return 0;
}

/* source: or type: as a list of exact values and globs. */
static int
load_globs(struct grace_routes *rs, const struct grace_ynode *m,
    const char *key, const char ***out, size_t *n, struct grace_err *e)
{
	const struct grace_ynode *v = grace_yaml_get(m, key);
	size_t i;

	(void)rs;
	if (!v)
		return 0;
	if (grace_yaml_as_strlist(v, out, n, e) < 0)
		return -1;
	if (*n == 0)
		return grace_yaml_err(e, v, "%s: an empty list matches nothing (leave the "
		    "key out to match any %s)", key, key);
	for (i = 0; i < *n; i++) {
		const char *why = grace_glob_check((*out)[i]);

		if (why)
			return grace_yaml_err(e, v->kind == GRACE_YSEQ ? v->items[i] : v,
			    "bad glob '%s': %s", (*out)[i], why);
	}
	return 0;
}

/* The source, type and match keys of map m, into sel (the keys of m are
 * the caller's to check). */
static int
load_select(struct grace_routes *rs, struct grace_rsel *sel,
    const struct grace_ynode *m, struct grace_err *e)
{
	const struct grace_ynode *n;
	size_t i;

	if (load_globs(rs, m, "source", &sel->sources, &sel->nsources, e) < 0 ||
	    load_globs(rs, m, "type", &sel->types, &sel->ntypes, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "match"))) {
		if (n->kind != GRACE_YSEQ)
			return grace_yaml_err(e, n, "match is a list of matchers such as "
			    "'data.host =~ web-.*', got %s",
			    grace_yaml_describe(n));
		if (n->n && !(sel->m = calloc(n->n, sizeof *sel->m)))
			return grace_err_sys(e, rs->file, "out of memory");
		for (i = 0; i < n->n; i++) {
			sel->nm++;
			if (load_matcher(rs, &sel->m[i], n->items[i], e) < 0)
				return -1;
		}
	}
	return 0;
}

static void
free_select(struct grace_rsel *sel)
{
	free(sel->sources);
	free(sel->types);
	free_matchers(sel->m, sel->nm);
}

/* One side of an inhibit rule, or a silence: {source, type, match}. */
static int
load_sel(struct grace_routes *rs, struct grace_rsel *sel,
    const struct grace_ynode *m, const char *const *allowed,
    struct grace_err *e)
{
	static const char *const keys[] = { "source", "type", "match", NULL };

	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, allowed ? allowed : keys, e) < 0 ||
	    load_select(rs, sel, m, e) < 0)
		return -1;
	if (!sel->nsources && !sel->ntypes && !sel->nm)
		return grace_yaml_err(e, m, "an inhibit side must say which events it takes "
		    "(source, type or match)");
	return 0;
}

static int
load_inhibit(struct grace_routes *rs, const struct grace_ynode *l,
    struct grace_err *e)
{
	static const char *const keys[] = { "name", "source", "target",
		"equal", "ttl", NULL };
	size_t i;

	if (l->kind != GRACE_YSEQ)
		return grace_yaml_err(e, l, "inhibit is a list of rules, got %s",
		    grace_yaml_describe(l));
	if (l->n && !(rs->inh = calloc(l->n, sizeof *rs->inh)))
		return grace_err_sys(e, rs->file, "out of memory");
	for (i = 0; i < l->n; i++) {
		struct grace_rinhibit *h = &rs->inh[i];
		const struct grace_ynode *m = l->items[i], *n;
		const char *s = NULL;
		char buf[32];

		rs->ninh++;
		h->line = m->line;
		h->col = m->col;
		if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(m, keys, e) < 0 ||
		    grace_yaml_get_string(m, "name", &s, e) < 0)
			return -1;
		if (!s) {
			snprintf(buf, sizeof buf, "inhibit %zu", i + 1);
			s = buf;
		}
		if (!(h->name = dup_or(rs, s, e)))
			return -1;
		if (!(n = grace_yaml_require(m, "source", e)) ||
		    load_sel(rs, &h->src, n, NULL, e) < 0 ||
		    !(n = grace_yaml_require(m, "target", e)) ||
		    load_sel(rs, &h->dst, n, NULL, e) < 0 ||
		    !(n = grace_yaml_require(m, "ttl", e)) ||
		    grace_yaml_as_duration(n, &h->ttl_ms, e) < 0)
			return -1;
		if (h->ttl_ms <= 0)
			return grace_yaml_err(e, n, "the inhibit ttl must be longer than 0");
		if (!grace_yaml_get(m, "equal"))
			return grace_yaml_err(e, m, "inhibit '%s' needs equal: the members "
			    "whose values source and target events share",
			    h->name);
		if (load_key_named(rs, m, "equal", &h->equal, &h->nequal,
		    e) < 0)
			return -1;
	}
	rs->storm |= rs->ninh > 0;
	return 0;
}

static int
get_time(const struct grace_ynode *m, const char *key, int64_t *ms,
    struct grace_err *e)
{
	const struct grace_ynode *n = grace_yaml_require(m, key, e);
	const char *s;
	struct timespec ts;

	if (!n || grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (grace_time_parse(s, strlen(s), &ts, e) < 0) {
		char msg[sizeof e->msg];

		snprintf(msg, sizeof msg, "%s", e->msg);
		return grace_yaml_err(e, n, "%s: %s", key, msg);
	}
	*ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

/* The silences file: those that have not ended by now_ms are kept;
 * the others are warnings. */
static int
load_silences(struct grace_routes *rs, int64_t now_ms, struct grace_err *e)
{
	static const char *const top[] = { "silences", NULL };
	static const char *const keys[] = { "id", "source", "type", "match",
		"starts", "ends", "by", "why", NULL };
	struct grace_ynode *root;
	const struct grace_ynode *l;
	size_t i;

	if (!(root = grace_yaml_load_file(rs->silences_file, e))) {
		/* the routes file names a file that is not there: a
		 * configuration error, like a missing routes file */
		if (e->code == GRACE_EXIT_SYSTEM &&
		    access(rs->silences_file, R_OK) != 0)
			e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	rs->sroot_ = root;
	if (grace_yaml_expect(root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(root, top, e) < 0 ||
	    !(l = grace_yaml_require(root, "silences", e)))
		return -1;
	if (l->kind != GRACE_YSEQ)
		return grace_yaml_err(e, l, "silences is a list, got %s",
		    grace_yaml_describe(l));
	if (l->n && !(rs->sil = calloc(l->n, sizeof *rs->sil)))
		return grace_err_sys(e, rs->file, "out of memory");
	for (i = 0; i < l->n; i++) {
		struct grace_rsilence *z = &rs->sil[rs->nsil];
		const struct grace_ynode *m = l->items[i];
		const char *s = NULL;
		char buf[32], t[GRACE_TIME_LEN];
		struct timespec ts;

		memset(z, 0, sizeof *z);
		rs->nsil++;
		z->line = m->line;
		z->col = m->col;
		if (load_sel(rs, &z->sel, m, keys, e) < 0 ||
		    grace_yaml_get_string(m, "id", &s, e) < 0 ||
		    get_time(m, "starts", &z->starts_ms, e) < 0 ||
		    get_time(m, "ends", &z->ends_ms, e) < 0 ||
		    !grace_yaml_require(m, "by", e) ||
		    grace_yaml_get_string(m, "by", &z->by, e) < 0 ||
		    !grace_yaml_require(m, "why", e) ||
		    grace_yaml_get_string(m, "why", &z->why, e) < 0)
			return -1;
		if (!s) {
			snprintf(buf, sizeof buf, "silence %zu", i + 1);
			s = buf;
		}
		if (!(z->id = dup_or(rs, s, e)))
			return -1;
		if (z->ends_ms <= z->starts_ms)
			return grace_yaml_err(e, grace_yaml_get(m, "ends"), "silence '%s' ends "
			    "before it starts", z->id);
		if (z->ends_ms <= now_ms) {
			ts.tv_sec = (time_t)(z->ends_ms / 1000);
			ts.tv_nsec = (long)(z->ends_ms % 1000) * 1000000L;
			if (grace_time_format(NULL, &ts, t) < 0)
				strcpy(t, "?");
			if (warn(rs, m, e, "silence '%s' expired at %s (set by "
			    "%s: %s): ignored", z->id, t, z->by, z->why) < 0)
				return -1;
			free(z->id);
			free_select(&z->sel);
			rs->nsil--;
		}
	}
	if (rs->nsil)
		rs->storm = 1;
	return 0;
}

static int
all_star(const char **g, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(g[i], "*") == 0)
			return 1;
	return 0;
}

int
grace_route_validates(const struct grace_rroute *r)
{
	size_t i;

	for (i = 0; i < GRACE_RREQ_N; i++)
		if (r->req[i])
			return 1;
	return r->validate || r->has_min_trust;
}

static int
load_route(struct grace_routes *rs, struct grace_rroute *r, size_t idx,
    const struct grace_ynode *m, struct grace_err *e)
{
	static const char *const keys[] = { "name", "source", "type", "match",
		"when", "require", "validate", "dedupe", "throttle", "targets",
		"priority", "continue", NULL };
	static const char *const req_keys[] = { "gate", "verify", "decision",
		"trust", NULL };
	static const char *const req_vals[GRACE_RREQ_N][5] = {
		{ "allow", "warn", "review", "deny", NULL },
		{ "verified", "failed", "inconclusive", NULL },
		{ "approve", "hold", "escalate", "reject", NULL },
	};
	const struct grace_ynode *n;
	const char *s, **list;
	size_t i, cnt;
	char buf[32];

	r->line = m->line;
	r->col = m->col;
	r->prio = GRACE_RP_NORMAL;
	if (grace_yaml_expect(m, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(m, keys, e) < 0)
		return -1;
	s = NULL;
	if (grace_yaml_get_string(m, "name", &s, e) < 0)
		return -1;
	if (!s) {
		snprintf(buf, sizeof buf, "route %zu", idx + 1);
		s = buf;
	}
	if (!(r->name = dup_or(rs, s, e)))
		return -1;
	if (load_select(rs, &r->sel, m, e) < 0)
		return -1;
	if ((n = grace_yaml_get(m, "when"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!(r->when = grace_jq_compile(s, n->file, n->line, n->col,
		    e)))
			return -1;
	}
	if ((n = grace_yaml_get(m, "require"))) {
		if (grace_yaml_expect(n, GRACE_YMAP, e) < 0 ||
		    grace_yaml_check_keys(n, req_keys, e) < 0)
			return -1;
		const struct grace_ynode *v = grace_yaml_get(n, "trust");

		if (v) {
			if (grace_yaml_as_number(v, &r->min_trust, e) < 0)
				return -1;
			if (!(r->min_trust >= 0 && r->min_trust <= 1))
				return grace_yaml_err(e, v, "require: trust is a score from "
				    "0 to 1, not %s", v->str);
			if (!rs->trust)
				return grace_yaml_err(e, v, "require: trust needs a trust "
				    "file: name it with the top-level key trust");
			r->has_min_trust = 1;
		}
		for (i = 0; i < GRACE_RREQ_N; i++) {
			v = grace_yaml_get(n, req_keys[i]);
			size_t k, j;

			if (!v)
				continue;
			if (grace_yaml_as_strlist(v, &r->req[i], &r->nreq[i],
			    e) < 0)
				return -1;
			if (r->nreq[i] == 0)
				return grace_yaml_err(e, v, "require: an empty list accepts "
				    "nothing");
			for (k = 0; k < r->nreq[i]; k++) {
				for (j = 0; req_vals[i][j]; j++)
					if (strcmp(r->req[i][k],
					    req_vals[i][j]) == 0)
						break;
				if (!req_vals[i][j])
					return grace_yaml_err(e, v->kind == GRACE_YSEQ ?
					    v->items[k] : v, "require: %s is "
					    "never '%s'", req_keys[i],
					    r->req[i][k]);
			}
		}
	}
	if ((n = grace_yaml_get(m, "validate"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!(r->validate = grace_jq_compile(s, n->file, n->line,
		    n->col, e)))
			return -1;
	}
	if (load_storm(rs, r, m, e) < 0)
		return -1;
	if (!(n = grace_yaml_require(m, "targets", e)) ||
	    grace_yaml_as_strlist(n, &list, &cnt, e) < 0)
		return -1;
	if (cnt == 0) {
		free(list);
		return grace_yaml_err(e, n, "route '%s' names no targets", r->name);
	}
	if (!(r->targets = calloc(cnt, sizeof *r->targets))) {
		free(list);
		return grace_err_sys(e, rs->file, "out of memory");
	}
	for (i = 0; i < cnt; i++) {
		long t = target_index(rs, list[i]);
		size_t j;

		if (t < 0) {
			grace_yaml_err(e, n->kind == GRACE_YSEQ ? n->items[i] : n,
			    "route '%s': unknown target '%s'", r->name, list[i]);
			free(list);
			return -1;
		}
		for (j = 0; j < r->ntargets; j++)
			if (r->targets[j] == (size_t)t)
				break;
		if (j == r->ntargets)
			r->targets[r->ntargets++] = (size_t)t;
	}
	free(list);
	if ((n = grace_yaml_get(m, "priority"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		for (i = 0; i < GRACE_RP_N; i++)
			if (strcmp(s, prio_names[i]) == 0)
				break;
		if (i == GRACE_RP_N)
			return grace_yaml_err(e, n, "unknown priority '%s' (expected one of: "
			    "critical, high, normal, low)", s);
		r->prio = (enum grace_rprio)i;
	}
	if (grace_yaml_get_bool(m, "continue", &r->cont, e) < 0)
		return -1;
	return 0;
}

static int
load(struct grace_routes *rs, const struct grace_ynode *root,
    struct grace_err *e)
{
	static const char *const keys[] = { "default", "quarantine",
		"dead_letter", "drain_timeout", "targets", "routes", "inhibit",
		"silences", "trust", NULL };
	const struct grace_ynode *n, *tm, *rl;
	unsigned char *used;
	const char *s;
	long catchall = -1;
	size_t i, j;

	if (grace_yaml_expect(root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(root, keys, e) < 0)
		return -1;
	rs->drain_ms = 5000;
	if (grace_yaml_get_duration(root, "drain_timeout", &rs->drain_ms,
	    e) < 0)
		return -1;
	if (!(n = grace_yaml_require(root, "dead_letter", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (!*s)
		return grace_yaml_err(e, n, "the dead-letter file is empty");
	if (!(rs->dead_letter = dup_or(rs, s, e)))
		return -1;
	if (!(tm = grace_yaml_require(root, "targets", e)) ||
	    grace_yaml_expect(tm, GRACE_YMAP, e) < 0)
		return -1;
	if (tm->n == 0)
		return grace_yaml_err(e, tm, "no targets defined");
	if (!(rs->t = calloc(tm->n, sizeof *rs->t)))
		return grace_err_sys(e, rs->file, "out of memory");
	for (i = 0; i < tm->n; i++) {
		rs->nt++;
		if (load_target(rs, &rs->t[i], tm->pairs[i].key,
		    tm->pairs[i].value, e) < 0)
			return -1;
	}
	if (!(n = grace_yaml_require(root, "default", e)) ||
	    grace_yaml_as_string(n, &s, e) < 0)
		return -1;
	if (target_index(rs, s) < 0)
		return grace_yaml_err(e, n, "unknown default target '%s'", s);
	rs->dflt = (size_t)target_index(rs, s);
	rs->quarantine = -1;
	if ((n = grace_yaml_get(root, "quarantine"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if ((rs->quarantine = target_index(rs, s)) < 0)
			return grace_yaml_err(e, n, "unknown quarantine target '%s'", s);
	}
	if ((n = grace_yaml_get(root, "trust"))) {
		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		/* relative to the routes file, as grace-gate reads it
		 * relative to the governance file */
		const char *slash = strrchr(rs->file, '/');
		size_t dl = s[0] != '/' && slash ?
		    (size_t)(slash - rs->file) + 1 : 0;

		if (!(rs->trust_file = malloc(dl + strlen(s) + 1)))
			return grace_err_sys(e, rs->file, "out of memory");
		memcpy(rs->trust_file, rs->file, dl);
		strcpy(rs->trust_file + dl, s);
		if (!(rs->trust = grace_trust_load(rs->trust_file, e))) {
			/* a named file that is not there: a configuration
			 * error, as for the silences file */
			if (e->code == GRACE_EXIT_SYSTEM &&
			    access(rs->trust_file, R_OK) != 0)
				e->code = GRACE_EXIT_USAGE;
			return -1;
		}
	}
	if (!(rl = grace_yaml_require(root, "routes", e)))
		return -1;
	if (rl->kind != GRACE_YSEQ)
		return grace_yaml_err(e, rl, "routes is a list of routes, got %s",
		    grace_yaml_describe(rl));
	if (rl->n && !(rs->r = calloc(rl->n, sizeof *rs->r)))
		return grace_err_sys(e, rs->file, "out of memory");
	for (i = 0; i < rl->n; i++) {
		struct grace_rroute *r = &rs->r[i];

		rs->nr++;
		if (load_route(rs, r, i, rl->items[i], e) < 0)
			return -1;
		if (grace_route_validates(r) && rs->quarantine < 0)
			return grace_yaml_err(e, rl->items[i], "route '%s' validates events: "
			    "name a quarantine target for those that fail",
			    r->name);
		if (r->dwindow_ms || r->tlimit)
			rs->storm = 1;
		if (catchall >= 0)
			return grace_yaml_err(e, rl->items[i], "route '%s' can never match: "
			    "route '%s' (line %lu) before it matches every "
			    "event and does not continue", r->name,
			    rs->r[catchall].name, rs->r[catchall].line);
		if (all_star(r->sel.sources, r->sel.nsources) &&
		    all_star(r->sel.types, r->sel.ntypes) && r->sel.nm == 0 &&
		    !r->when &&
		    !r->cont)
			catchall = (long)i;
	}
	if ((n = grace_yaml_get(root, "inhibit")) && load_inhibit(rs, n, e) < 0)
		return -1;
	if ((n = grace_yaml_get(root, "silences"))) {
		struct timespec now;

		if (grace_yaml_as_string(n, &s, e) < 0)
			return -1;
		if (!(rs->silences_file = dup_or(rs, s, e)))
			return -1;
		clock_gettime(CLOCK_REALTIME, &now);
		if (load_silences(rs, (int64_t)now.tv_sec * 1000 +
		    now.tv_nsec / 1000000, e) < 0)
			return -1;
	}
	if (!(used = calloc(rs->nt, 1)))
		return grace_err_sys(e, rs->file, "out of memory");
	used[rs->dflt] = 1;
	if (rs->quarantine >= 0)
		used[rs->quarantine] = 1;
	for (i = 0; i < rs->nr; i++)
		for (j = 0; j < rs->r[i].ntargets; j++)
			used[rs->r[i].targets[j]] = 1;
	for (i = 0; i < rs->nt; i++) {
		if (!used[i] && warn(rs, tm->pairs[i].key, e, "target '%s' is "
		    "used by no route (and is not the default or the "
		    "quarantine)",
		    rs->t[i].name) < 0) {
			free(used);
			return -1;
		}
	}
	free(used);
	if (catchall < 0 && rs->nr == 0 && warn(rs, rl, e, "no routes: "
	    "every event goes to the default target '%s'",
	    rs->t[rs->dflt].name) < 0)
		return -1;
	return 0;
}

struct grace_routes *
grace_routes_load(const char *path, struct grace_err *e)
{
	struct grace_routes *rs = calloc(1, sizeof *rs);
	struct grace_ynode *root;

	if (!rs || !(rs->file = strdup(path))) {
		free(rs);
		grace_err_sys(e, path, "out of memory");
		return NULL;
	}
	if (!(root = grace_yaml_load_file(path, e))) {
		grace_routes_free(rs);
		return NULL;
	}
	rs->root_ = root;
	if (load(rs, root, e) < 0) {
		grace_routes_free(rs);
		return NULL;
	}
	return rs;
}

static void
free_matchers(struct grace_rmatcher *m, size_t n)
{
	size_t j, k;

	for (j = 0; j < n; j++) {
		free(m[j].text);
		free(m[j].value);
		for (k = 0; k < m[j].nsegs; k++)
			free(m[j].segs[k]);
		if (m[j].re)
			onig_free(m[j].re);
	}
	free(m);
}

static void
free_paths(struct grace_rpath *p, size_t n)
{
	size_t j, k;

	for (j = 0; j < n; j++) {
		free(p[j].text);
		for (k = 0; k < p[j].nsegs; k++)
			free(p[j].segs[k]);
	}
	free(p);
}

void
grace_routes_free(struct grace_routes *rs)
{
	size_t i, j;

	if (!rs)
		return;
	for (i = 0; i < rs->nt; i++) {
		struct grace_rtarget_cfg *t = &rs->t[i];

		free(t->name);
		free(t->path);
		free(t->spill);
		for (j = 0; t->argv && t->argv[j]; j++)
			free(t->argv[j]);
		free(t->argv);
		free(t->url);
		free(t->subject);
		free(t->stream);
		free_paths(t->pkey, t->npkey);
	}
	free(rs->t);
	for (i = 0; i < rs->nr; i++) {
		struct grace_rroute *r = &rs->r[i];

		free(r->name);
		free_select(&r->sel);
		for (j = 0; j < GRACE_RREQ_N; j++)
			free(r->req[j]);
		grace_jq_free(r->validate);
		for (j = 0; j < r->ndkey + r->ntkey; j++) {
			struct grace_rpath *kp = j < r->ndkey ? &r->dkey[j] :
			    &r->tkey[j - r->ndkey];
			size_t k;

			free(kp->text);
			for (k = 0; k < kp->nsegs; k++)
				free(kp->segs[k]);
		}
		free(r->dkey);
		free(r->tkey);
		grace_jq_free(r->when);
		free(r->targets);
	}
	free(rs->r);
	for (i = 0; i < rs->ninh; i++) {
		struct grace_rinhibit *h = &rs->inh[i];
		struct grace_rsel *sel[2] = { &h->src, &h->dst };
		int k;

		free(h->name);
		for (k = 0; k < 2; k++)
			free_select(sel[k]);
		free_paths(h->equal, h->nequal);
	}
	free(rs->inh);
	for (i = 0; i < rs->nsil; i++) {
		free(rs->sil[i].id);
		free_select(&rs->sil[i].sel);
	}
	free(rs->sil);
	free(rs->silences_file);
	free(rs->trust_file);
	grace_trust_free(rs->trust);
	grace_yaml_free(rs->sroot_);
	free(rs->warn);
	free(rs->dead_letter);
	grace_yaml_free(rs->root_);
	free(rs->file);
	free(rs);
}

/* A log target's chain, intact at its head: what grace-log append would
 * refuse (a torn or malformed last record) is not ready. A log that is
 * not there yet is made by the first append. */
static void
log_ready(struct grace_ready *r, const char *path)
{
	struct grace_log_head h;
	struct grace_err e;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			grace_ready_add(r, "log", path, 1, "a new log");
		else
			grace_ready_add(r, "log", path, 0, "%s", strerror(errno));
		return;
	}
	if (grace_log_read_head(fd, path, &h, &e) < 0)
		grace_ready_add(r, "log", path, 0, "%s", e.msg);
	else if (h.torn)
		grace_ready_add(r, "log", path, 0, "a torn last record: %llu "
		    "bytes after the last newline (grace-log repair)",
		    (unsigned long long)h.torn);
	else
		grace_ready_add(r, "log", path, 1, "intact at its head: seq "
		    "%llu, %s", (unsigned long long)h.seq, h.hash);
	close(fd);
}

/* A fifo target: the fifo must be there (it is never made), and be one. */
static void
fifo_ready(struct grace_ready *r, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		grace_ready_add(r, "writable", path, 0, "%s", strerror(errno));
	else if (!S_ISFIFO(st.st_mode))
		grace_ready_add(r, "writable", path, 0, "is not a fifo");
	else
		grace_ready_writable(r, path);
}

void
grace_routes_ready(const struct grace_routes *rs, struct grace_ready *r)
{
	size_t i, j;

	for (i = 0; i < rs->nt; i++) {
		const struct grace_rtarget_cfg *t = &rs->t[i];

		switch (t->kind) {
		case GRACE_RK_FILE:
			grace_ready_writable(r, t->path);
			break;
		case GRACE_RK_LOG:
			grace_ready_writable(r, t->path);
			log_ready(r, t->path);
			break;
		case GRACE_RK_FIFO:
			fifo_ready(r, t->path);
			break;
		case GRACE_RK_EXEC:
			for (j = 0; j < i; j++)
				if (rs->t[j].kind == GRACE_RK_EXEC &&
				    strcmp(rs->t[j].argv[0], t->argv[0]) == 0)
					break;
			if (j == i)
				grace_ready_command(r, t->argv[0], NULL);
			break;
		case GRACE_RK_STDOUT:
		case GRACE_RK_STDERR:
		case GRACE_RK_NATS:
			break;
		}
		if (t->spill)
			grace_ready_writable(r, t->spill);
	}
	grace_ready_writable(r, rs->dead_letter);
	if (rs->trust_file) {
		int ok = access(rs->trust_file, R_OK) == 0;

		grace_ready_add(r, "readable", rs->trust_file, ok, "%s", ok ?
		    "can be read" : strerror(errno));
	}
}
