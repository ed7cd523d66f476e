/* metrics.c - Prometheus textfile metrics (metrics.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileutil.h"
#include "metrics.h"
#include "timeutil.h"

#define MAX_FAMILIES 32

/* Histogram bucket bounds, in seconds. */
static const double bounds[] = { 1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3,
	5e-3, 1e-2, 5e-2, 0.1, 0.5, 1, 5 };
#define NB (sizeof bounds / sizeof *bounds)

struct sample {
	char *labels;
	double v;
};

struct family {
	char *name, *type, *help;
	struct sample *s;
	size_t n, cap;
};

struct grace_metrics {
	char *prog, *path;
	struct family f[MAX_FAMILIES];
	size_t nf;
	uint64_t hist[NB + 1];      /* per bucket (the last: +Inf) */
	double hsum;
	uint64_t hcount;
	double last_write;          /* grace_mono_ms() */
};

struct grace_metrics *
grace_metrics_new(const char *prog, const char *path)
{
	struct grace_metrics *m = calloc(1, sizeof *m);

	if (!m || !(m->prog = strdup(prog)) || !(m->path = strdup(path)))
		goto fail;
	if (grace_metrics_family(m, "grace_events_read_total", "counter",
	    "Events read, bad lines included.") < 0 ||
	    grace_metrics_family(m, "grace_events_written_total", "counter",
	    "Lines written: the events passed on and those made.") < 0 ||
	    grace_metrics_family(m, "grace_bad_lines_total", "counter",
	    "Input lines that were not events.") < 0 ||
	    grace_metrics_family(m, "grace_verdicts_total", "counter",
	    "The program's verdicts, by name.") < 0)
		goto fail;
	/* the shared counters are there from the start, at 0 */
	if (grace_metrics_add(m, "grace_events_read_total", "", 0) < 0 ||
	    grace_metrics_add(m, "grace_events_written_total", "", 0) < 0 ||
	    grace_metrics_add(m, "grace_bad_lines_total", "", 0) < 0)
		goto fail;
	m->last_write = grace_mono_ms();
	return m;
fail:
	grace_metrics_free(m);
	return NULL;
}

void
grace_metrics_free(struct grace_metrics *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->nf; i++) {
		for (j = 0; j < m->f[i].n; j++)
			free(m->f[i].s[j].labels);
		free(m->f[i].s);
		free(m->f[i].name);
		free(m->f[i].type);
		free(m->f[i].help);
	}
	free(m->prog);
	free(m->path);
	free(m);
}

int
grace_metrics_family(struct grace_metrics *m, const char *name,
    const char *type, const char *help)
{
	struct family *f;

	if (m->nf == MAX_FAMILIES)
		return -1;
	f = &m->f[m->nf];
	memset(f, 0, sizeof *f);
	if (!(f->name = strdup(name)) || !(f->type = strdup(type)) ||
	    !(f->help = strdup(help))) {
		free(f->name);
		free(f->type);
		return -1;
	}
	m->nf++;
	return 0;
}

static struct sample *
sample(struct grace_metrics *m, const char *name, const char *labels)
{
	struct family *f = NULL;
	size_t i;

	for (i = 0; i < m->nf && !f; i++)
		if (strcmp(m->f[i].name, name) == 0)
			f = &m->f[i];
	if (!f)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->s[i].labels, labels) == 0)
			return &f->s[i];
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 8;
		struct sample *ns = realloc(f->s, nc * sizeof *ns);

		if (!ns)
			return NULL;
		f->s = ns;
		f->cap = nc;
	}
	if (!(f->s[f->n].labels = strdup(labels)))
		return NULL;
	f->s[f->n].v = 0;
	return &f->s[f->n++];
}

int
grace_metrics_add(struct grace_metrics *m, const char *name,
    const char *labels, double v)
{
	struct sample *s = sample(m, name, labels);

	if (!s)
		return -1;
	s->v += v;
	return 0;
}

int
grace_metrics_set(struct grace_metrics *m, const char *name,
    const char *labels, double v)
{
	struct sample *s = sample(m, name, labels);

	if (!s)
		return -1;
	s->v = v;
	return 0;
}

int
grace_metrics_label(struct grace_buf *out, const char *key,
    const char *value)
{
	int x = grace_buf_addf(out, "%s=\"", key);

	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			x |= grace_buf_addf(out, "\\%c", *value);
		else if (*value == '\n')
			x |= grace_buf_adds(out, "\\n");
		else
			x |= grace_buf_add(out, value, 1);
	}
	x |= grace_buf_adds(out, "\"");
	return x;
}

void
grace_metrics_read(struct grace_metrics *m, uint64_t n)
{
	(void)grace_metrics_add(m, "grace_events_read_total", "", (double)n);
}

void
grace_metrics_written(struct grace_metrics *m, uint64_t n)
{
	(void)grace_metrics_add(m, "grace_events_written_total", "", (double)n);
}

void
grace_metrics_bad(struct grace_metrics *m, uint64_t n)
{
	(void)grace_metrics_add(m, "grace_bad_lines_total", "", (double)n);
}

int
grace_metrics_verdict(struct grace_metrics *m, const char *verdict)
{
	struct grace_buf l = {0};
	int r = grace_metrics_label(&l, "verdict", verdict);

	if (r == 0)
		r = grace_metrics_add(m, "grace_verdicts_total", l.p, 1);
	grace_buf_free(&l);
	return r;
}

void
grace_metrics_observe(struct grace_metrics *m, double s)
{
	size_t i;

	for (i = 0; i < NB && s > bounds[i]; i++)
		;
	m->hist[i]++;
	m->hsum += s;
	m->hcount++;
}

int
grace_metrics_event(struct grace_metrics *m, double t0_ms, const char *verdict,
    uint64_t written, struct grace_err *e)
{
	grace_metrics_observe(m, (grace_mono_ms() - t0_ms) / 1000);
	grace_metrics_read(m, 1);
	grace_metrics_written(m, written);
	if (verdict && grace_metrics_verdict(m, verdict) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return grace_metrics_tick(m, e);
}

void
grace_metrics_bad_line(struct grace_metrics *m, int written)
{
	grace_metrics_read(m, 1);
	grace_metrics_bad(m, 1);
	grace_metrics_written(m, written ? 1 : 0);
}

int
grace_metrics_format(struct grace_metrics *m, struct grace_buf *out)
{
	struct grace_buf prog = {0};
	struct timespec now;
	uint64_t cum = 0;
	size_t i, j;
	int x = grace_metrics_label(&prog, "program", m->prog);

	for (i = 0; i < m->nf; i++) {
		const struct family *f = &m->f[i];

		x |= grace_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, f->type);
		for (j = 0; j < f->n; j++)
			x |= grace_buf_addf(out, "%s{%s%s%s} %.17g\n", f->name,
			    prog.p, *f->s[j].labels ? "," : "", f->s[j].labels,
			    f->s[j].v);
	}
	x |= grace_buf_adds(out, "# HELP grace_event_duration_seconds Time spent "
	    "on each event.\n# TYPE grace_event_duration_seconds histogram\n");
	for (i = 0; i <= NB; i++) {
		cum += m->hist[i];
		if (i < NB)
			x |= grace_buf_addf(out, "grace_event_duration_seconds_bucket"
			    "{%s,le=\"%g\"} %llu\n", prog.p, bounds[i],
			    (unsigned long long)cum);
		else
			x |= grace_buf_addf(out, "grace_event_duration_seconds_bucket"
			    "{%s,le=\"+Inf\"} %llu\n", prog.p,
			    (unsigned long long)cum);
	}
	x |= grace_buf_addf(out, "grace_event_duration_seconds_sum{%s} %.9g\n"
	    "grace_event_duration_seconds_count{%s} %llu\n", prog.p, m->hsum,
	    prog.p, (unsigned long long)m->hcount);
	clock_gettime(CLOCK_REALTIME, &now);
	x |= grace_buf_addf(out, "# HELP grace_metrics_timestamp_seconds When "
	    "this file was written, in seconds since the Unix epoch.\n"
	    "# TYPE grace_metrics_timestamp_seconds gauge\n"
	    "grace_metrics_timestamp_seconds{%s} %lld.%03ld\n", prog.p,
	    (long long)now.tv_sec, now.tv_nsec / 1000000);
	grace_buf_free(&prog);
	return x ? -1 : 0;
}

int
grace_metrics_write(struct grace_metrics *m, struct grace_err *e)
{
	struct grace_buf b = {0};
	int r;

	if (grace_metrics_format(m, &b) < 0) {
		grace_buf_free(&b);
		return grace_err_sys(e, m->path, "out of memory");
	}
	r = grace_atomic_write(m->path, b.p, b.len, 0644, e);
	grace_buf_free(&b);
	m->last_write = grace_mono_ms();
	return r;
}

int
grace_metrics_due(const struct grace_metrics *m)
{
	return grace_mono_ms() - m->last_write >= GRACE_METRICS_EVERY_MS;
}

int
grace_metrics_tick(struct grace_metrics *m, struct grace_err *e)
{
	if (!grace_metrics_due(m))
		return 0;
	return grace_metrics_write(m, e);
}
