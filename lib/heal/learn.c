/* learn.c - failure signatures and the playbooks that healed them: the
 * knowledge file (grace-heal(1), LEARNING). Read at start, counted after
 * each run, written atomically; plain JSON a person can read and edit.
 * Only anomaly events pass through here (a few per incident), so the
 * event is parsed into a jv.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "heal.h"
#include "jqx.h"

struct lplay {
	char *name;
	unsigned long success, failure;
};

struct lsig {
	char *anomaly, *component;
	char fp[17];
	struct lplay *p;
	size_t np;
};

struct grace_hlearn {
	struct lsig *v;
	size_t n, cap;
};

static void
sig_free(struct lsig *s)
{
	size_t i;

	free(s->anomaly);
	free(s->component);
	for (i = 0; i < s->np; i++)
		free(s->p[i].name);
	free(s->p);
}

void
grace_hlearn_free(struct grace_hlearn *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		sig_free(&l->v[i]);
	free(l->v);
	free(l);
}

static int
bad(struct grace_err *e, const char *file, const char *what)
{
	grace_err_set(e, file, 0, 0, "not a grace-heal knowledge file: %s",
	    what);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

static struct lsig *
sig_add(struct grace_hlearn *l, const char *anomaly, const char *component,
    const char *fp)
{
	struct lsig *s;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct lsig *nv = realloc(l->v, nc * sizeof *nv);

		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = nc;
	}
	s = &l->v[l->n];
	memset(s, 0, sizeof *s);
	if (!(s->anomaly = strdup(anomaly)) ||
	    !(s->component = strdup(component))) {
		sig_free(s);
		return NULL;
	}
	snprintf(s->fp, sizeof s->fp, "%s", fp);
	l->n++;
	return s;
}

static struct lplay *
play_get(struct lsig *s, const char *name, int create)
{
	struct lplay *np;
	size_t i;

	for (i = 0; i < s->np; i++)
		if (strcmp(s->p[i].name, name) == 0)
			return &s->p[i];
	if (!create || !(np = realloc(s->p, (s->np + 1) * sizeof *np)))
		return NULL;
	s->p = np;
	memset(&np[s->np], 0, sizeof *np);
	if (!(np[s->np].name = strdup(name)))
		return NULL;
	return &np[s->np++];
}

static int
is_hex16(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[16] == '\0';
}

static int
load_sig(struct grace_hlearn *l, jv o, const char *file, struct grace_err *e)
{
	jv a = jv_object_get(jv_copy(o), jv_string("anomaly"));
	jv c = jv_object_get(jv_copy(o), jv_string("component"));
	jv f = jv_object_get(jv_copy(o), jv_string("fingerprint"));
	jv p = jv_object_get(jv_copy(o), jv_string("playbooks"));
	struct lsig *s;
	int it, rc = 0;

	if (jv_get_kind(a) != JV_KIND_STRING || jv_get_kind(c) != JV_KIND_STRING ||
	    jv_get_kind(f) != JV_KIND_STRING || !is_hex16(jv_string_value(f)) ||
	    jv_get_kind(p) != JV_KIND_OBJECT)
		rc = bad(e, file, "a signature needs anomaly, component, a "
		    "16-hex-digit fingerprint and playbooks");
	else if (!(s = sig_add(l, jv_string_value(a), jv_string_value(c),
	    jv_string_value(f))))
		rc = grace_err_sys(e, file, "out of memory");
	for (it = rc == 0 ? jv_object_iter(p) : 0; rc == 0 &&
	    jv_object_iter_valid(p, it); it = jv_object_iter_next(p, it)) {
		jv k = jv_object_iter_key(p, it), v = jv_object_iter_value(p, it);
		jv ns = jv_get_kind(v) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(v), jv_string("success")) : jv_null();
		jv nf = jv_get_kind(v) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(v), jv_string("failure")) : jv_null();
		struct lplay *pl;

		if (jv_get_kind(ns) != JV_KIND_NUMBER ||
		    jv_get_kind(nf) != JV_KIND_NUMBER ||
		    !(jv_number_value(ns) >= 0 && jv_number_value(ns) < 1e15) ||
		    !(jv_number_value(nf) >= 0 && jv_number_value(nf) < 1e15))
			rc = bad(e, file, "a playbook's success and failure are "
			    "counts");
		else if (!(pl = play_get(s, jv_string_value(k), 1)))
			rc = grace_err_sys(e, file, "out of memory");
		else {
			pl->success = (unsigned long)jv_number_value(ns);
			pl->failure = (unsigned long)jv_number_value(nf);
		}
		jv_free(ns);
		jv_free(nf);
		jv_free(k);
		jv_free(v);
	}
	jv_free(a);
	jv_free(c);
	jv_free(f);
	jv_free(p);
	return rc;
}

struct grace_hlearn *
grace_hlearn_load(const char *path, struct grace_err *e)
{
	struct grace_hlearn *l = calloc(1, sizeof *l);
	char *text;
	size_t n;
	jv doc, ver, sigs;
	int i, rc = 0;

	if (!l) {
		grace_err_sys(e, path, "out of memory");
		return NULL;
	}
	if (!(text = grace_read_file(path, 64u << 20, &n, e))) {
		if (errno == ENOENT)
			return l;           /* nothing learnt yet */
		grace_hlearn_free(l);
		return NULL;
	}
	doc = grace_jv_parse(text, n);
	free(text);
	if (!jv_is_valid(doc) || jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		bad(e, path, "not a JSON object");
		grace_hlearn_free(l);
		return NULL;
	}
	ver = jv_object_get(jv_copy(doc), jv_string("version"));
	sigs = jv_object_get(jv_copy(doc), jv_string("signatures"));
	if (jv_get_kind(ver) != JV_KIND_NUMBER || jv_number_value(ver) != 1)
		rc = bad(e, path, "not version 1");
	else if (jv_get_kind(sigs) != JV_KIND_ARRAY)
		rc = bad(e, path, "signatures is not a list");
	for (i = 0; rc == 0 && i < jv_array_length(jv_copy(sigs)); i++) {
		jv s = jv_array_get(jv_copy(sigs), i);

		rc = jv_get_kind(s) == JV_KIND_OBJECT ? load_sig(l, s, path, e) :
		    bad(e, path, "a signature is not an object");
		jv_free(s);
	}
	jv_free(ver);
	jv_free(sigs);
	jv_free(doc);
	if (rc < 0) {
		grace_hlearn_free(l);
		return NULL;
	}
	return l;
}

/* The anomaly type, component and fingerprint of the anomaly event
 * p[0..n) (caller frees *anomaly and *component). Returns 1, 0 when the
 * event does not say what it is about, -1 (memory). */
static int
signature(const char *p, size_t n, char **anomaly, char **component,
    char fp[17])
{
	jv ev = grace_jv_parse(p, n);
	jv d = jv_is_valid(ev) && jv_get_kind(ev) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(ev), jv_string("data")) : jv_null();
	jv a, c, det, kind, evd, keys;
	const char *parts[64];
	int i, nk = 0, rc = 0;

	jv_free(ev);
	if (jv_get_kind(d) != JV_KIND_OBJECT) {
		jv_free(d);
		return 0;
	}
	a = jv_object_get(jv_copy(d), jv_string("anomaly"));
	c = jv_object_get(jv_copy(d), jv_string("component"));
	det = jv_object_get(jv_copy(d), jv_string("detector"));
	kind = jv_object_get(jv_copy(d), jv_string("kind"));
	evd = jv_object_get(jv_copy(d), jv_string("evidence"));
	keys = jv_get_kind(evd) == JV_KIND_OBJECT ? jv_keys(jv_copy(evd)) :
	    jv_array();
	if (jv_get_kind(a) == JV_KIND_STRING && jv_get_kind(c) == JV_KIND_STRING) {
		parts[nk++] = jv_get_kind(det) == JV_KIND_STRING ?
		    jv_string_value(det) : "";
		parts[nk++] = jv_get_kind(kind) == JV_KIND_STRING ?
		    jv_string_value(kind) : "";
		for (i = 0; nk < 64 && i < jv_array_length(jv_copy(keys)); i++) {
			jv k = jv_array_get(jv_copy(keys), i);

			/* keys holds k: its string lives as long as keys */
			parts[nk++] = jv_string_value(k);
			jv_free(k);
		}
		*anomaly = strdup(jv_string_value(a));
		*component = strdup(jv_string_value(c));
		if (!*anomaly || !*component ||
		    grace_heal_hashid(fp, parts, (size_t)nk) < 0) {
			free(*anomaly);
			free(*component);
			rc = -1;
		} else
			rc = 1;
	}
	jv_free(a);
	jv_free(c);
	jv_free(det);
	jv_free(kind);
	jv_free(evd);
	jv_free(keys);
	jv_free(d);
	return rc;
}

static struct lsig *
sig_find(const struct grace_hlearn *l, const char *anomaly,
    const char *component, const char *fp)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].fp, fp) == 0 &&
		    strcmp(l->v[i].anomaly, anomaly) == 0 &&
		    strcmp(l->v[i].component, component) == 0)
			return &l->v[i];
	return NULL;
}

int
grace_hlearn_order(const struct grace_hlearn *l,
    const struct grace_playbooks *pbs, const char *p, size_t n, size_t *idx,
    size_t nidx)
{
	char *an, *co, fp[17];
	const struct lsig *s;
	long best = -1;
	double best_rate = 0;
	unsigned long best_succ = 0;
	size_t i;
	int r = signature(p, n, &an, &co, fp);

	if (r <= 0)
		return r;
	s = sig_find(l, an, co, fp);
	free(an);
	free(co);
	for (i = 0; s && i < nidx; i++) {
		const struct lplay *pl = play_get((struct lsig *)s,
		    pbs->v[idx[i]].name, 0);
		double rate;

		if (!pl || pl->success + pl->failure < 2)
			continue;
		rate = (double)pl->success / (double)(pl->success + pl->failure);
		if (rate < 0.6)
			continue;
		if (best < 0 || rate > best_rate ||
		    (rate == best_rate && pl->success > best_succ)) {
			best = (long)i;
			best_rate = rate;
			best_succ = pl->success;
		}
	}
	if (best <= 0)
		return 0;
	{
		size_t b = idx[best];

		memmove(idx + 1, idx, (size_t)best * sizeof *idx);
		idx[0] = b;
	}
	return 1;
}

int
grace_hlearn_record(struct grace_hlearn *l, const char *p, size_t n,
    const char *playbook, enum grace_hout o)
{
	char *an, *co, fp[17];
	struct lsig *s;
	struct lplay *pl;
	int r = signature(p, n, &an, &co, fp);

	if (r <= 0)
		return r;
	if (!(s = sig_find(l, an, co, fp)))
		s = sig_add(l, an, co, fp);
	free(an);
	free(co);
	if (!s || !(pl = play_get(s, playbook, 1)))
		return -1;
	if (o == GRACE_HOUT_VERIFIED)
		pl->success++;
	else
		pl->failure++;
	return 0;
}

int
grace_hlearn_save(const struct grace_hlearn *l, const char *path,
    struct grace_err *e)
{
	struct grace_buf b = {0};
	size_t i, j;
	int x = 0, rc;

	x |= grace_buf_adds(&b, "{\"version\":1,\"signatures\":[");
	for (i = 0; i < l->n; i++) {
		const struct lsig *s = &l->v[i];

		x |= grace_buf_adds(&b, i ? ",\n {\"anomaly\":" : "\n {\"anomaly\":");
		x |= grace_buf_add_jstr(&b, s->anomaly, strlen(s->anomaly));
		x |= grace_buf_adds(&b, ",\"component\":");
		x |= grace_buf_add_jstr(&b, s->component, strlen(s->component));
		x |= grace_buf_addf(&b, ",\"fingerprint\":\"%s\",\"playbooks\":{",
		    s->fp);
		for (j = 0; j < s->np; j++) {
			x |= grace_buf_adds(&b, j ? "," : "");
			x |= grace_buf_add_jstr(&b, s->p[j].name,
			    strlen(s->p[j].name));
			x |= grace_buf_addf(&b, ":{\"success\":%lu,\"failure\":%lu}",
			    s->p[j].success, s->p[j].failure);
		}
		x |= grace_buf_adds(&b, "}}");
	}
	x |= grace_buf_adds(&b, l->n ? "\n]}\n" : "]}\n");
	if (x) {
		grace_buf_free(&b);
		return grace_err_sys(e, path, "out of memory");
	}
	rc = grace_atomic_write(path, b.p, b.len, 0644, e);
	grace_buf_free(&b);
	return rc;
}
