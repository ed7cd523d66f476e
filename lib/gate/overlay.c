/* overlay.c - the trust overlay: scores that grace-heal adjusted, read on
 * top of the hand-written trust file (grace-governance(5), TRUST).
 *
 * One JSON object, written whole and atomically by its one writer:
 *   {"version":1,"scores":{"web":{"score":0.45,
 *     "at":"2026-12-01T10:00:00.000000Z","recover_per_hour":0.01}}}
 * A score moves back toward the trust file's score for the name at
 * recover_per_hour, linearly, from `at`: what a reader sees is the score
 * recovered to its own clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileutil.h"
#include "gate.h"
#include "jqx.h"
#include "timeutil.h"

double
grace_trust_recovered(double score, double base, double per_hour,
    int64_t at_ms, int64_t now_ms)
{
	double h, d;

	if (now_ms <= at_ms || per_hour <= 0)
		return score;
	h = (double)(now_ms - at_ms) / 3600000.0;
	d = per_hour * h;
	if (score < base)
		return score + d >= base ? base : score + d;
	if (score > base)
		return score - d <= base ? base : score - d;
	return score;
}

void
grace_trust_ov_free(struct grace_trust_ov *ov)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		free(ov->v[i].name);
	free(ov->v);
	ov->v = NULL;
	ov->n = ov->cap = 0;
}

struct grace_trust_ov_entry *
grace_trust_ov_get(struct grace_trust_ov *ov, const char *name)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (strcmp(ov->v[i].name, name) == 0)
			return &ov->v[i];
	return NULL;
}

int
grace_trust_ov_set(struct grace_trust_ov *ov, const char *name, double score,
    int64_t at_ms, double per_hour)
{
	struct grace_trust_ov_entry *x = grace_trust_ov_get(ov, name);

	if (!x) {
		if (ov->n == ov->cap) {
			size_t nc = ov->cap ? ov->cap * 2 : 16;
			struct grace_trust_ov_entry *nv = realloc(ov->v,
			    nc * sizeof *nv);

			if (!nv)
				return -1;
			ov->v = nv;
			ov->cap = nc;
		}
		x = &ov->v[ov->n];
		if (!(x->name = strdup(name)))
			return -1;
		ov->n++;
	}
	x->score = score;
	x->at_ms = at_ms;
	x->per_hour = per_hour;
	return 0;
}

static int
ov_bad(struct grace_err *e, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ov_bad(struct grace_err *e, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	grace_err_vset(e, file, 0, 0, fmt, ap);
	va_end(ap);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* One entry: {"score":N,"at":TIME,"recover_per_hour":N}. */
static int
ov_entry(struct grace_trust_ov *ov, const char *name, jv v, const char *file,
    struct grace_err *e)
{
	jv s, at, r;
	struct timespec ts;
	double score, per;
	int rc = -1;
	int iter;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return ov_bad(e, file, "the score of '%s' is not an object",
		    name);
	for (iter = jv_object_iter(v); jv_object_iter_valid(v, iter);
	    iter = jv_object_iter_next(v, iter)) {
		jv k = jv_object_iter_key(v, iter);
		const char *ks = jv_string_value(k);
		int known = strcmp(ks, "score") == 0 || strcmp(ks, "at") == 0 ||
		    strcmp(ks, "recover_per_hour") == 0;

		jv_free(k);
		if (!known)
			return ov_bad(e, file, "the score of '%s' has an unknown "
			    "member (expected score, at, recover_per_hour)", name);
	}
	s = jv_object_get(jv_copy(v), jv_string("score"));
	at = jv_object_get(jv_copy(v), jv_string("at"));
	r = jv_object_get(jv_copy(v), jv_string("recover_per_hour"));
	if (jv_get_kind(s) != JV_KIND_NUMBER ||
	    !((score = jv_number_value(s)) >= 0 && score <= 1))
		ov_bad(e, file, "the score of '%s' is not a number from 0 to 1",
		    name);
	else if (jv_get_kind(at) != JV_KIND_STRING ||
	    grace_time_parse(jv_string_value(at),
	    (size_t)jv_string_length_bytes(jv_copy(at)), &ts, NULL) < 0)
		ov_bad(e, file, "the score of '%s' has no RFC 3339 time 'at'",
		    name);
	else if (jv_get_kind(r) != JV_KIND_NUMBER ||
	    !((per = jv_number_value(r)) >= 0 && per <= 1))
		ov_bad(e, file, "the recover_per_hour of '%s' is not a number "
		    "from 0 to 1", name);
	else if (grace_trust_ov_set(ov, name, score, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, per) < 0)
		grace_err_sys(e, file, "out of memory");
	else
		rc = 0;
	jv_free(s);
	jv_free(at);
	jv_free(r);
	return rc;
}

int
grace_trust_ov_parse(const char *p, size_t n, const char *file,
    struct grace_trust_ov *ov, struct grace_err *e)
{
	jv doc = grace_jv_parse(p, n), ver, sc;
	int iter, rc = 0;

	memset(ov, 0, sizeof *ov);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);

		ov_bad(e, file, "not JSON: %s", jv_get_kind(msg) ==
		    JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return ov_bad(e, file, "%s", "not a JSON object");
	}
	for (iter = jv_object_iter(doc); jv_object_iter_valid(doc, iter);
	    iter = jv_object_iter_next(doc, iter)) {
		jv k = jv_object_iter_key(doc, iter);
		int known = strcmp(jv_string_value(k), "version") == 0 ||
		    strcmp(jv_string_value(k), "scores") == 0;

		jv_free(k);
		if (!known) {
			jv_free(doc);
			return ov_bad(e, file, "%s", "unknown member (expected "
			    "version, scores)");
		}
	}
	ver = jv_object_get(jv_copy(doc), jv_string("version"));
	sc = jv_object_get(jv_copy(doc), jv_string("scores"));
	if (jv_get_kind(ver) != JV_KIND_NUMBER || jv_number_value(ver) != 1)
		rc = ov_bad(e, file, "%s", "not a trust overlay of version 1");
	else if (jv_get_kind(sc) != JV_KIND_OBJECT)
		rc = ov_bad(e, file, "%s", "scores is not an object");
	for (iter = rc == 0 ? jv_object_iter(sc) : 0; rc == 0 &&
	    jv_object_iter_valid(sc, iter); iter = jv_object_iter_next(sc, iter)) {
		jv k = jv_object_iter_key(sc, iter);
		jv v = jv_object_iter_value(sc, iter);

		if ((size_t)jv_string_length_bytes(jv_copy(k)) !=
		    strlen(jv_string_value(k)))
			rc = ov_bad(e, file, "%s", "a name holds a NUL byte");
		else
			rc = ov_entry(ov, jv_string_value(k), v, file, e);
		jv_free(k);
		jv_free(v);
	}
	jv_free(ver);
	jv_free(sc);
	jv_free(doc);
	if (rc < 0)
		grace_trust_ov_free(ov);
	return rc;
}

int
grace_trust_ov_read(const char *path, int missing_ok, struct grace_trust_ov *ov,
    struct grace_err *e)
{
	char *p;
	size_t n = 0;
	int rc;

	memset(ov, 0, sizeof *ov);   /* an empty overlay, if it is missing */
	if (!(p = grace_read_file(path, GRACE_TRUST_OV_MAX, &n, e))) {
		if (missing_ok && errno == ENOENT)
			return 0;
		return -1;
	}
	rc = grace_trust_ov_parse(p, n, path, ov, e);
	free(p);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct grace_trust_ov_entry *)a)->name,
	    ((const struct grace_trust_ov_entry *)b)->name);
}

int
grace_trust_ov_format(struct grace_trust_ov *ov, struct grace_buf *out)
{
	struct grace_timefmt tf = {0};
	size_t i;
	int x = 0;

	if (ov->n)
		qsort(ov->v, ov->n, sizeof *ov->v, by_name);
	x |= grace_buf_adds(out, "{\"version\":1,\"scores\":{");
	for (i = 0; i < ov->n; i++) {
		const struct grace_trust_ov_entry *t = &ov->v[i];
		int64_t sec = t->at_ms / 1000, ms = t->at_ms % 1000;
		struct timespec ts;
		char at[GRACE_TIME_LEN];

		if (ms < 0) {       /* before 1970: round down */
			ms += 1000;
			sec--;
		}
		ts.tv_sec = (time_t)sec;
		ts.tv_nsec = (long)ms * 1000000L;

		if (grace_time_format(&tf, &ts, at) < 0)
			return -1;
		if (i)
			x |= grace_buf_adds(out, ",\n ");
		else
			x |= grace_buf_adds(out, "\n ");
		x |= grace_buf_add_jstr(out, t->name, strlen(t->name));
		x |= grace_buf_addf(out, ":{\"score\":%.6g,\"at\":\"%s\","
		    "\"recover_per_hour\":%.6g}", t->score, at, t->per_hour);
	}
	x |= grace_buf_adds(out, ov->n ? "\n}}\n" : "}}\n");
	return x ? -1 : 0;
}

int
grace_trust_ov_write(struct grace_trust_ov *ov, const char *path,
    struct grace_err *e)
{
	struct grace_buf b = {0};
	int rc;

	if (grace_trust_ov_format(ov, &b) < 0) {
		grace_buf_free(&b);
		return grace_err_sys(e, path, "out of memory");
	}
	rc = grace_atomic_write(path, b.p, b.len, 0644, e);
	grace_buf_free(&b);
	return rc;
}
