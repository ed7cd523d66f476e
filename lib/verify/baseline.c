/* baseline.c - metric baselines in a JSON file (verify_int.h). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jv.h>

#include "buf.h"
#include "fileutil.h"
#include "jqx.h"
#include "verify_int.h"

#define MAX_BASELINE (16u * 1024 * 1024)

struct entry {
	char *key;
	double v;
};

struct grace_baseline {
	char *path;
	int exists;
	int dirty;
	struct entry *v;       /* sorted by key */
	size_t n, cap;
	pthread_mutex_t mu;
};

const char *
grace_baseline_path(const struct grace_baseline *b)
{
	return b->path;
}

int
grace_baseline_exists(const struct grace_baseline *b)
{
	return b->exists;
}

/* Index of key, or where it would go (*found 0). */
static size_t
find(const struct grace_baseline *b, const char *key, int *found)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->v[mid].key, key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static int
put(struct grace_baseline *b, const char *key, double v)
{
	int found;
	size_t i = find(b, key, &found);
	char *k;

	if (found) {
		b->v[i].v = v;
		return 0;
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 16;
		struct entry *nv = realloc(b->v, ncap * sizeof *nv);

		if (!nv)
			return -1;
		b->v = nv;
		b->cap = ncap;
	}
	if (!(k = strdup(key)))
		return -1;
	memmove(&b->v[i + 1], &b->v[i], (b->n - i) * sizeof *b->v);
	b->v[i].key = k;
	b->v[i].v = v;
	b->n++;
	return 0;
}

void
grace_baseline_free(struct grace_baseline *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		free(b->v[i].key);
	free(b->v);
	free(b->path);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

struct grace_baseline *
grace_baseline_load(const char *path, struct grace_err *e)
{
	struct grace_baseline *b = calloc(1, sizeof *b);
	struct stat st;
	char *text;
	size_t n;
	jv v;
	int iter;

	if (!b || !(b->path = strdup(path))) {
		free(b);
		grace_err_sys(e, path, "unable to load");
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	if (stat(path, &st) < 0 && errno == ENOENT)
		return b;
	b->exists = 1;
	if (!(text = grace_read_file(path, MAX_BASELINE, &n, e))) {
		grace_baseline_free(b);
		return NULL;
	}
	v = grace_jv_parse(text, n);
	free(text);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);

		grace_err_set(e, path, 0, 0, "not a baseline file: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "invalid JSON");
		e->code = GRACE_EXIT_INPUT;
		jv_free(m);
		grace_baseline_free(b);
		return NULL;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		grace_err_set(e, path, 0, 0, "not a baseline file: a JSON "
		    "object of numbers expected, got %s",
		    jv_kind_name(jv_get_kind(v)));
		e->code = GRACE_EXIT_INPUT;
		jv_free(v);
		grace_baseline_free(b);
		return NULL;
	}
	for (iter = jv_object_iter(v); jv_object_iter_valid(v, iter);
	    iter = jv_object_iter_next(v, iter)) {
		jv k = jv_object_iter_key(v, iter);
		jv x = jv_object_iter_value(v, iter);
		int bad = jv_get_kind(x) != JV_KIND_NUMBER;

		if (bad) {
			grace_err_set(e, path, 0, 0, "not a baseline file: member "
			    "'%.100s' is %s, not a number", jv_string_value(k),
			    jv_kind_name(jv_get_kind(x)));
			e->code = GRACE_EXIT_INPUT;
		} else if (put(b, jv_string_value(k), jv_number_value(x)) < 0) {
			grace_err_sys(e, path, "unable to load");
			bad = 1;
		}
		jv_free(k);
		jv_free(x);
		if (bad) {
			jv_free(v);
			grace_baseline_free(b);
			return NULL;
		}
	}
	jv_free(v);
	return b;
}

int
grace_baseline_get(struct grace_baseline *b, const char *key, double *v)
{
	int found;
	size_t i;

	pthread_mutex_lock(&b->mu);
	i = find(b, key, &found);
	if (found)
		*v = b->v[i].v;
	pthread_mutex_unlock(&b->mu);
	return found;
}

int
grace_baseline_set(struct grace_baseline *b, const char *key, double v)
{
	int r;

	pthread_mutex_lock(&b->mu);
	r = put(b, key, v);
	if (r == 0)
		b->dirty = 1;
	pthread_mutex_unlock(&b->mu);
	return r;
}

/* The shortest %g form that reads back as v. */
static void
fmt_num(char *out, size_t cap, double v)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, cap, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* mkdir -p the directory that holds path. */
static int
make_parents(const char *path)
{
	char *d = strdup(path), *p;

	if (!d)
		return -1;
	for (p = d + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*p = '/';
	}
	free(d);
	return 0;
}

int
grace_baseline_save(struct grace_baseline *b, struct grace_err *e)
{
	struct grace_buf out = {0};
	size_t i;
	int r = 0, oom = 0;
	char num[40];

	pthread_mutex_lock(&b->mu);
	if (!b->dirty) {
		pthread_mutex_unlock(&b->mu);
		return 0;
	}
	oom |= grace_buf_adds(&out, "{");
	for (i = 0; i < b->n; i++) {
		fmt_num(num, sizeof num, b->v[i].v);
		oom |= grace_buf_adds(&out, i ? ",\n  " : "\n  ");
		oom |= grace_buf_add_jstr(&out, b->v[i].key, strlen(b->v[i].key));
		oom |= grace_buf_addf(&out, ": %s", num);
	}
	oom |= grace_buf_adds(&out, b->n ? "\n}\n" : "}\n");
	if (oom)
		r = grace_err_sys(e, b->path, "unable to write");
	else if (!b->exists && make_parents(b->path) < 0)
		r = grace_err_sys(e, b->path, "unable to create its directory");
	else if ((r = grace_atomic_write(b->path, out.p, out.len, 0644, e)) == 0)
		b->dirty = 0;
	pthread_mutex_unlock(&b->mu);
	grace_buf_free(&out);
	return r;
}

double
grace_baseline_drift(double base, double value, enum grace_drift_dir dir)
{
	double d = value - base;

	if ((dir == GRACE_DRIFT_UP && d < 0) || (dir == GRACE_DRIFT_DOWN && d > 0))
		return 0;
	if (d == 0)
		return 0;
	if (base == 0)
		return INFINITY;
	return fabs(d) / fabs(base);
}
