/* grace-route - deliver each event to the targets its routes file names
 * and annotate it with grace.route (man/grace-route.1, the routes file in
 * man/grace-routes.5). Options, the filter callback, the signal thread and
 * the summary only: matching, queues and targets live in lib/route/. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "fileutil.h"
#include "filter.h"
#include "json.h"
#include "metrics.h"
#include "ready.h"
#include "reject.h"
#include "report.h"
#include "route/route.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-route";

enum { K_GRACE, K_ID, K_TYPE, K_SOURCE, K_TIME, K_N };

#define FLUSH_AT (64u * 1024)
#define PUSH_BATCH 256  /* events held back per target (regular files) */

struct ctx {
	const struct grace_routes *rs;
	struct grace_router *router;   /* NULL under --dry-run */
	struct grace_rmatch m;
	struct grace_rstorm *storm;
	struct grace_buf sline, sann;  /* a summary event being sent */
	pthread_mutex_t out_mu;        /* guards obuf and standard output */
	struct grace_buf obuf;         /* what goes to stdout */
	struct grace_buf line, ann, extra, ex, t1, t2;
	enum grace_report_fmt fmt;
	struct grace_report *rep;
	int explain, dry_run, quiet, interactive;
	int whole_lines;               /* --source: see flush_out() */
	atomic_int shutting;           /* the end has begun (EOF or signal) */
	int worst;                     /* the exit status so far */
	unsigned long long events, routed, unmatched, quarantined, suppressed,
	    summaries, errors, rejected, dropped_sync;
	/* --metrics: used under out_mu only (the main thread's events,
	 * the writers' breaker events, the signal thread's ticks) */
	struct grace_metrics *metrics;
	char **tlabels;                /* target="name", per target */
	int metrics_failed;            /* a tick could not write the file */
};

/* An event's verdict, as the reports and the metrics name it. */
enum rverdict { RV_ROUTED, RV_UNMATCHED, RV_QUARANTINED, RV_DEDUPED,
	RV_THROTTLED, RV_INHIBITED, RV_SILENCED, RV_DEAD, RV_ERROR };
static const char *const rv_names[] = { "routed", "unmatched",
	"quarantined", "deduped", "throttled", "inhibited", "silenced",
	"dead", "error" };

/* Write obuf to stdout and empty it. Under --source (whole_lines) in
 * writes of at most PIPE_BUF bytes that each end a line, so that a
 * grace-route killed while it waits for a slow stage leaves that stage
 * only whole events (a write of PIPE_BUF bytes or less to a pipe is
 * atomic): the batch is not acknowledged, comes again, and the next
 * stage never reads half an event. A line longer than PIPE_BUF goes in
 * one write. Returns 0, or -1 (e filled). */
static int
flush_out(struct ctx *c, struct grace_err *e)
{
	const char *p = c->obuf.p, *end = p + c->obuf.len;

	if (!c->whole_lines)
		return grace_cli_flush(&c->obuf, e);
	while (p < end) {
		size_t n = (size_t)(end - p), k;
		const char *nl;

		if (n > PIPE_BUF) {
			for (k = PIPE_BUF; k > 0 && p[k - 1] != '\n'; k--)
				;
			if (k == 0)     /* a long line: to its end */
				k = (nl = memchr(p + PIPE_BUF, '\n', n - PIPE_BUF)) ?
				    (size_t)(nl - p) + 1 : n;
			n = k;
		}
		if (grace_write_all(STDOUT_FILENO, p, n) < 0) {
			grace_buf_reset(&c->obuf);
			return grace_err_sys(e, "<stdout>", "unable to write");
		}
		p += n;
	}
	grace_buf_reset(&c->obuf);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grace-route [-c FILE] [-o FORMAT] [--dry-run] [--explain] [--strict]\n"
	    "                   [--max-line BYTES] [--metrics FILE] [-q] [FILE...]\n"
	    "       grace-route [-c FILE] ... --source nats://HOST:PORT/STREAM --durable NAME\n"
	    "                   [--subject FILTER] [--ack-wait SECS] [--source-idle SECS]\n"
	    "       grace-route [-c FILE] --check [--metrics FILE] [-o json]\n"
	    "       grace-route [-c FILE] [-o FORMAT] --test CASES\n"
	    "       grace-route [-c FILE] --create-streams\n"
	    "\n"
	    "Deliver each event to the targets of the routes it matches (files, grace-log\n"
	    "chains, fifos, subscribers, stdout, stderr), each target with its own bounded\n"
	    "queue and writer, and pass it on annotated with grace.route. What cannot be\n"
	    "delivered goes to the dead-letter file.\n"
	    "\n"
	    "  -c, --config FILE   the routes file (default: routes.yaml on the search path:\n"
	    "                      $GRACE_CONFIG_DIR, ./config, ~/.config/grace, /etc/grace)\n"
	    "  -o, --output FMT    ndjson (default: the annotated events), text, tap, junit\n"
	    "                      or github\n"
	    "      --dry-run       annotate every event with where it would go; deliver\n"
	    "                      nothing, open no target\n"
	    "      --explain       every route consulted for each event and why it matched\n"
	    "                      or not, on stderr\n"
	    "      --strict        stop at the first bad input line\n"
	    "      --max-line N    longest input line accepted, in bytes (default 1048576)\n"
	    "      --metrics FILE  write Prometheus textfile metrics to FILE (atomically,\n"
	    "                      every 5 seconds and at the end): events by verdict,\n"
	    "                      bad lines, latency, and per target the queue depth,\n"
	    "                      delivered, dropped, dead-lettered, the breaker state\n"
	    "      --source nats://HOST:PORT/STREAM\n"
	    "                      read events from a durable JetStream pull consumer\n"
	    "                      (servers of a cluster: nats://A:P,nats://B:P/STREAM)\n"
	    "                      instead of files or stdin; a message is acknowledged\n"
	    "                      once its event is written and flushed to stdout\n"
	    "      --durable NAME  the consumer (made if missing: explicit acks, from\n"
	    "                      the start of the stream, one fetch of 256 at most\n"
	    "                      unacknowledged, so redeliveries keep the order)\n"
	    "      --subject FILTER  the new consumer's subject filter\n"
	    "      --ack-wait SECS the new consumer's redelivery delay (default 30)\n"
	    "      --source-idle SECS  end once no message came for SECS (default:\n"
	    "                      never)\n"
	    "  -q, --quiet         only errors and warnings: no closing summary, no\n"
	    "                      --check line, no --test totals\n"
	    "      --check         readiness: the routes file valid, every file, log, fifo\n"
	    "                      and spill target and the dead-letter file writable with\n"
	    "                      room, a log target intact at its head, every subscriber\n"
	    "                      found, the trust file readable; -o json: one object;\n"
	    "                      exit 0 ready, 1 not ready, 2 configuration error\n"
	    "      --test CASES    run the cases of a routes test file (events in virtual\n"
	    "                      time, where each must go), delivering nothing\n"
	    "      --create-streams  make the JetStream stream of each nats target if it\n"
	    "                      is missing (its subjects, replicas, max_per_subject);\n"
	    "                      one that exists is left as it is\n"
	    "  -h, --help          this help;  -V, --version  the version\n"
	    "\n"
	    "Exit status: 0 every event delivered, 1 some event quarantined or\n"
	    "dead-lettered or a test case failed, 2 usage or configuration error, 3 bad\n"
	    "input line, 4 system error. See grace-route(1), grace-routes(5).\n");
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = grace_cli_usage_verror(stderr, prog, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static void
worse(struct ctx *c, int s)
{
	if (s > c->worst)
		c->worst = s;
}

/* 1 when every input is a regular file: reading never waits, so the
 * router may hold events back (grace_router_set_batch()). Standard input
 * of another kind may too: on_event() flushes them whenever no more input
 * is waiting, as it does its own output. */
static int
inputs_regular(char **names, size_t n)
{
	struct stat st;
	size_t i;

	if (n == 0)
		return fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
	for (i = 0; i < n; i++) {
		int r = strcmp(names[i], "-") == 0 ? fstat(STDIN_FILENO, &st) :
		    stat(names[i], &st);

		if (r < 0 || !S_ISREG(st.st_mode))
			return 0;
	}
	return 1;
}

static int
span_text(struct grace_buf *b, const char *p, const struct grace_jspan *s)
{
	grace_buf_reset(b);
	if (s->kind == GRACE_J_STRING)
		return grace_json_unescape(b, p + s->off, s->len) < 0 ? -1 : 1;
	if (s->kind == GRACE_J_NUMBER)
		return grace_buf_add(b, p + s->off, s->len) < 0 ? -1 : 1;
	return 0;
}

static int
report_item(struct ctx *c, const char *input, unsigned long line,
    const char *id, const char *type, const char *decision,
    enum grace_outcome o, const char *rules, const char *reason)
{
	struct grace_report_item it;
	char where[320];

	if (!id) {
		snprintf(where, sizeof where, "%s:%lu", input, line);
		id = where;
	}
	it.id = id;
	it.type = type;
	it.decision = decision;
	it.outcome = o;
	it.rules = rules;
	it.reason = reason;
	return grace_report_add(c->rep, &it, &c->obuf);
}

static void
on_bad_line(void *vc, const struct grace_err *bad)
{
	struct ctx *c = vc;
	int x;

	grace_err_print(stderr, prog, bad);
	pthread_mutex_lock(&c->out_mu);
	c->rejected++;
	if (c->metrics)
		grace_metrics_bad_line(c->metrics, c->fmt == GRACE_FMT_NDJSON);
	worse(c, GRACE_EXIT_INPUT);
	if (c->fmt == GRACE_FMT_NDJSON)
		x = grace_reject_json(&c->obuf, prog, bad);
	else
		x = report_item(c, bad->file, bad->line, NULL, NULL, "error",
		    GRACE_OUT_ERROR, "", bad->msg);
	if (x < 0)
		fprintf(stderr, "%s: out of memory\n", prog);
	pthread_mutex_unlock(&c->out_mu);
}

static void
on_notice(void *arg, const struct grace_err *e)
{
	(void)arg;
	grace_err_print(stderr, prog, e);
}

/* An event the router made (route.breaker.*): passed on in the stream. */
static void
on_router_event(void *arg, const char *ev, size_t n)
{
	struct ctx *c = arg;

	if (c->fmt != GRACE_FMT_NDJSON)
		return;
	pthread_mutex_lock(&c->out_mu);
	if (grace_buf_add(&c->obuf, ev, n) < 0 ||
	    grace_buf_add(&c->obuf, "\n", 1) < 0)
		fprintf(stderr, "%s: out of memory\n", prog);
	if (c->metrics)
		grace_metrics_written(c->metrics, 1);
	pthread_mutex_unlock(&c->out_mu);
}

/* The names of m's routes as "a, b" into b. */
static const char *
route_names(struct ctx *c, struct grace_buf *b)
{
	size_t i;

	grace_buf_reset(b);
	grace_buf_add(b, "", 0);
	for (i = 0; i < c->m.nroutes; i++)
		grace_buf_addf(b, "%s%s", i ? ", " : "",
		    c->rs->r[c->m.routes[i]].name);
	return b->p ? b->p : "";
}

/* The event's time in Unix ms: its `time` member when that is an RFC 3339
 * time, else the clock's. */
static int64_t
event_ms(const struct grace_event *ev)
{
	const struct grace_jspan *t = &ev->found[K_TIME];
	struct timespec ts;

	if (t->kind != GRACE_J_STRING || t->len < 2 ||
	    grace_time_parse(ev->p + t->off + 1, t->len - 2, &ts, NULL) < 0)
		clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A route.throttled summary: annotated as sent by its route, delivered to
 * the route's targets, and passed on. */
static int
on_summary(void *vc, size_t ri, const char *ev, size_t n,
    struct grace_err *e)
{
	struct ctx *c = vc;
	const struct grace_rroute *r = &c->rs->r[ri];
	static const struct grace_jspan none = { 0, 0, GRACE_J_NONE };
	size_t i;
	int x = 0;

	c->summaries++;
	grace_buf_reset(&c->sann);
	grace_buf_reset(&c->sline);
	x |= grace_buf_adds(&c->sann, "{\"matched\":[");
	x |= grace_buf_add_jstr(&c->sann, r->name, strlen(r->name));
	x |= grace_buf_adds(&c->sann, "],\"targets\":[");
	for (i = 0; i < r->ntargets; i++) {
		const char *t = c->rs->t[r->targets[i]].name;

		if (i)
			x |= grace_buf_add(&c->sann, ",", 1);
		x |= grace_buf_add_jstr(&c->sann, t, strlen(t));
	}
	x |= grace_buf_addf(&c->sann, "],\"priority\":\"%s\"%s}",
	    grace_rprio_name(r->prio), c->dry_run ? ",\"dry_run\":true" : "");
	if (x || grace_json_splice_grace(&c->sline, ev, n, &none, "route",
	    c->sann.p, c->sann.len) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	for (i = 0; c->router && i < r->ntargets; i++)
		if (grace_router_push_ev(c->router, r->targets[i], r->prio,
		    c->sline.p, c->sline.len, ev, n, &none, e) < 0)
			return -1;
	if (c->fmt != GRACE_FMT_NDJSON)
		return 0;
	pthread_mutex_lock(&c->out_mu);
	x = grace_buf_add(&c->obuf, c->sline.p, c->sline.len) |
	    grace_buf_add(&c->obuf, "\n", 1);
	if (c->metrics)
		grace_metrics_written(c->metrics, 1);
	pthread_mutex_unlock(&c->out_mu);
	return x ? grace_err_sys(e, NULL, "out of memory") : 0;
}

static enum rverdict
verdict_of(const struct ctx *c, size_t ndead, int jqerr)
{
	size_t k;

	if (ndead)
		return RV_DEAD;
	if (jqerr)
		return RV_ERROR;
	if (c->m.silenced >= 0)
		return RV_SILENCED;
	if (c->m.inhibited >= 0)
		return RV_INHIBITED;
	if (c->m.suppressed >= 0) {
		for (k = 0; k < c->m.nroutes; k++)
			if (c->m.routes[k] == (size_t)c->m.suppressed)
				break;
		return c->m.supp[k] == GRACE_RSUP_DEDUPED ? RV_DEDUPED :
		    RV_THROTTLED;
	}
	if (c->m.quarantined >= 0)
		return RV_QUARANTINED;
	if (c->m.unmatched)
		return RV_UNMATCHED;
	return RV_ROUTED;
}

/* The per-target families, declared once. */
static const struct {
	const char *name, *type, *help;
} tfam[] = {
	{ "grace_route_queue_depth", "gauge",
	  "Events accepted for the target and not yet written." },
	{ "grace_route_queued_total", "counter",
	  "Events accepted for the target." },
	{ "grace_route_delivered_total", "counter",
	  "Events written to the target (exec: read by the subscriber)." },
	{ "grace_route_dropped_total", "counter",
	  "Events the target's overflow policy or open breaker dropped "
	  "(dead-lettered)." },
	{ "grace_route_dead_lettered_total", "counter",
	  "Events dead-lettered for the target: dropped, retries exhausted, "
	  "or left at the drain deadline." },
	{ "grace_route_breaker_state", "gauge",
	  "The target's circuit breaker: 0 closed, 1 open, 2 half open." },
	{ "grace_route_dead_letters_total", "counter",
	  "Events written to the dead-letter file." },
	{ "grace_route_dead_letters_lost_total", "counter",
	  "Dead letters that could not be written." },
};

static int
metrics_start(struct ctx *c, const char *path)
{
	struct grace_buf l = {0};
	size_t i;

	if (!(c->metrics = grace_metrics_new(prog, path)) ||
	    !(c->tlabels = calloc(c->rs->nt + 1, sizeof *c->tlabels)))
		return -1;
	for (i = 0; i < sizeof tfam / sizeof *tfam; i++)
		if (grace_metrics_family(c->metrics, tfam[i].name, tfam[i].type,
		    tfam[i].help) < 0)
			return -1;
	for (i = 0; i < c->rs->nt; i++) {
		grace_buf_reset(&l);
		if (grace_metrics_label(&l, "target", c->rs->t[i].name) < 0 ||
		    !(c->tlabels[i] = strdup(l.p))) {
			grace_buf_free(&l);
			return -1;
		}
	}
	grace_buf_free(&l);
	return 0;
}

/* The targets' counters into the metrics, read under each target's
 * lock (the writers keep them). out_mu held. Returns 0 or -1. */
static int
metrics_targets(struct ctx *c)
{
	struct grace_metrics *m = c->metrics;
	struct grace_rtstats st;
	uint64_t dead, lost;
	size_t i;
	int x = 0;

	if (!c->router)
		return 0;
	for (i = 0; i < c->rs->nt; i++) {
		const char *l = c->tlabels[i];

		grace_router_stats(c->router, i, &st);
		x |= grace_metrics_set(m, "grace_route_queue_depth", l,
		    (double)st.depth);
		x |= grace_metrics_set(m, "grace_route_queued_total", l,
		    (double)st.queued);
		x |= grace_metrics_set(m, "grace_route_delivered_total", l,
		    (double)st.delivered);
		x |= grace_metrics_set(m, "grace_route_dropped_total", l,
		    (double)st.dropped);
		x |= grace_metrics_set(m, "grace_route_dead_lettered_total", l,
		    (double)(st.dropped + st.failed + st.abandoned));
		if (c->rs->t[i].breaker_failures)
			x |= grace_metrics_set(m, "grace_route_breaker_state", l,
			    st.breaker);
	}
	dead = grace_router_dead(c->router, &lost);
	x |= grace_metrics_set(m, "grace_route_dead_letters_total", "",
	    (double)dead);
	x |= grace_metrics_set(m, "grace_route_dead_letters_lost_total", "",
	    (double)lost);
	return x ? -1 : 0;
}

/* The signal thread, every second: write the file when it is due, so
 * that it stays fresh while no input comes (the queues may still move). */
static void
metrics_tick(struct ctx *c)
{
	struct grace_err e;

	pthread_mutex_lock(&c->out_mu);
	grace_err_clear(&e);
	if (!atomic_load(&c->shutting) && grace_metrics_due(c->metrics) &&
	    (metrics_targets(c) < 0 ? grace_err_sys(&e, NULL,
	    "out of memory") : grace_metrics_write(c->metrics, &e)) < 0) {
		if (!c->metrics_failed)
			grace_err_print(stderr, prog, &e);
		c->metrics_failed = 1;
		worse(c, GRACE_EXIT_SYSTEM);
	}
	pthread_mutex_unlock(&c->out_mu);
}

static int
on_event(void *vc, const struct grace_event *ev, struct grace_buf *unused,
    struct grace_err *e)
{
	struct ctx *c = vc;
	const struct grace_jspan *g = &ev->found[K_GRACE];
	struct grace_err je;
	struct grace_buf *ex = c->explain ? &c->ex : NULL;
	const char *extra;
	size_t i, ndead = 0, vat;
	int r, status = GRACE_EXIT_OK, jqerr = 0, idle;
	enum rverdict v;
	double t0 = c->metrics ? grace_mono_ms() : 0;

	(void)unused;
	c->events++;
	if (ex) {
		int have = span_text(&c->t1, ev->p, &ev->found[K_ID]);

		grace_buf_reset(ex);
		grace_buf_addf(ex, "%s: %s:%lu: event %s\n", prog, ev->input,
		    ev->line, have > 0 ? c->t1.p : "(no id)");
	}
	je.code = 0;
	r = grace_routes_match(c->rs, ev->p, ev->n, &ev->found[K_SOURCE],
	    &ev->found[K_TYPE], &c->m, ex, &je);
	if (r < 0) {
		if (je.code != GRACE_EXIT_INPUT) {
			*e = je;
			return -1;
		}
		/* the event could not be judged: say so, and it still goes
		 * somewhere (the default target) */
		grace_err_print(stderr, prog, &je);
		fprintf(stderr, "%s: %s:%lu: routed to the default target "
		    "'%s'\n", prog, ev->input, ev->line,
		    c->rs->t[c->rs->dflt].name);
		jqerr = 1;
		c->errors++;
		status = GRACE_EXIT_INPUT;
	}
	if (c->rs->storm && grace_rstorm_apply(c->storm, &c->m, ev->p, ev->n,
	    event_ms(ev), on_summary, c, ex, e) < 0)
		return -1;
	if (ex && fwrite(ex->p, 1, ex->len, stderr) != ex->len)
		return grace_err_sys(e, "<stderr>", "unable to write");
	if (c->m.suppressed >= 0 || c->m.inhibited >= 0 ||
	    c->m.silenced >= 0) {
		c->suppressed++;
	} else if (c->m.unmatched) {
		c->unmatched++;
	} else if (c->m.quarantined >= 0) {
		/* a negative verdict: the event failed its route's checks */
		c->quarantined++;
		status = status > GRACE_EXIT_NEGATIVE ? status :
		    GRACE_EXIT_NEGATIVE;
	} else {
		c->routed++;
	}

	/* What the targets get: the event with grace.route. */
	grace_buf_reset(&c->ann);
	grace_buf_reset(&c->line);
	extra = c->dry_run ? ",\"dry_run\":true" : jqerr ? ",\"error\":true" :
	    NULL;
	if (grace_rmatch_json(c->rs, &c->m, extra, &c->ann) < 0 ||
	    grace_json_splice_grace_at(&c->line, ev->p, ev->n, g, "route",
	    c->ann.p, c->ann.len, &vat) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	grace_buf_reset(&c->extra);
	for (i = 0; c->router && i < c->m.ntargets; i++) {
		size_t t = c->m.targets[i];

		r = grace_router_push_ev(c->router, t, c->m.prio, c->line.p,
		    c->line.len, ev->p, ev->n, g, e);
		if (r < 0)
			return -1;
		if (r == GRACE_RPUSH_DROPPED || r == GRACE_RPUSH_CLOSED) {
			size_t jn;
			const char *nm = grace_rmatch_target_json(&c->m, t, &jn);

			grace_buf_adds(&c->extra, ndead++ ? "," : ",\"dead_lettered\":[");
			grace_buf_add(&c->extra, nm, jn);
		}
	}
	if (ndead) {
		/* the stream says which targets did not get it */
		grace_buf_add(&c->extra, "]", 1);
		c->dropped_sync++;
		/* grace_rmatch_json(..., c->extra.p, ...), from the one made
		 * above: the same but for what follows the lists, put in
		 * place in the line (at vat) */
		size_t cut = 1 + (extra ? strlen(extra) : 0);

		if (grace_buf_add(&c->extra, "}", 1) < 0 ||
		    grace_buf_replace(&c->line, vat + c->ann.len - cut, cut,
		    c->extra.p, c->extra.len) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		if (status < GRACE_EXIT_NEGATIVE)
			status = GRACE_EXIT_NEGATIVE;
	}

	v = verdict_of(c, ndead, jqerr);
	pthread_mutex_lock(&c->out_mu);
	if (c->fmt == GRACE_FMT_NDJSON) {
		r = grace_buf_add(&c->obuf, c->line.p, c->line.len) |
		    grace_buf_addc(&c->obuf, '\n');
	} else {
		const char *id = span_text(&c->t1, ev->p, &ev->found[K_ID]) > 0 ?
		    c->t1.p : NULL;
		const char *type = span_text(&c->t2, ev->p,
		    &ev->found[K_TYPE]) > 0 ? c->t2.p : NULL;
		struct grace_buf names = {0}, why = {0};
		enum grace_outcome o = GRACE_OUT_PASS;

		for (i = 0; i < c->m.ntargets; i++)
			grace_buf_addf(&why, "%s%s", i ? ", " : "to ",
			    c->rs->t[c->m.targets[i]].name);
		switch (v) {
		case RV_DEAD:
			o = GRACE_OUT_FAIL;
			/* c->extra: ,"dead_lettered":[...]} */
			grace_buf_addf(&why, "; dead-lettered for %.*s",
			    (int)(c->extra.len - 1 - strlen(",\"dead_lettered\":")),
			    c->extra.p + strlen(",\"dead_lettered\":"));
			break;
		case RV_ERROR:
			o = GRACE_OUT_ERROR;
			grace_buf_addf(&why, "; %s", je.msg);
			break;
		case RV_SILENCED:
			grace_buf_reset(&why);
			grace_buf_addf(&why, "held back by silence %s",
			    c->rs->sil[c->m.silenced].id);
			break;
		case RV_INHIBITED:
			grace_buf_reset(&why);
			grace_buf_addf(&why, "held back by %s",
			    c->rs->inh[c->m.inhibited].name);
			break;
		case RV_DEDUPED:
		case RV_THROTTLED:
			grace_buf_reset(&why);
			grace_buf_addf(&why, "held back by %s",
			    c->rs->r[c->m.suppressed].name);
			break;
		case RV_QUARANTINED:
			o = GRACE_OUT_FAIL;
			grace_buf_addf(&why, "; %s", c->m.why.p);
			break;
		case RV_UNMATCHED:
			o = GRACE_OUT_WARN;
			break;
		case RV_ROUTED:
			break;
		}
		r = report_item(c, ev->input, ev->line, id, type, rv_names[v], o,
		    c->m.unmatched ? "default" : route_names(c, &names),
		    why.p ? why.p : "");
		grace_buf_free(&names);
		grace_buf_free(&why);
	}
	worse(c, status);
	if (r < 0) {
		pthread_mutex_unlock(&c->out_mu);
		return grace_err_sys(e, NULL, "out of memory");
	}
	if (c->metrics) {
		/* the targets' counters only when the file is written */
		if (grace_metrics_due(c->metrics) && metrics_targets(c) < 0)
			r = grace_err_sys(e, NULL, "out of memory");
		else
			r = grace_metrics_event(c->metrics, t0, rv_names[v],
			    c->fmt == GRACE_FMT_NDJSON, e);
		if (r < 0) {
			pthread_mutex_unlock(&c->out_mu);
			return -1;
		}
	}
	idle = c->interactive && !grace_cli_stdin_waiting();
	if (idle && c->router)
		grace_router_flush(c->router);   /* what it held back */
	if ((c->obuf.len >= FLUSH_AT || idle) && flush_out(c, e) < 0) {
		pthread_mutex_unlock(&c->out_mu);
		return -1;
	}
	pthread_mutex_unlock(&c->out_mu);
	return status;
}

/* Drain, close the report, print the summary; returns the exit status.
 * Called once, by the main thread at the end of input or by the signal
 * thread. */
static int
finish(struct ctx *c, const char *why)
{
	struct grace_err e;
	uint64_t dead = 0, lost = 0;
	int status;
	size_t i;

	grace_err_clear(&e);
	/* At the end of input the intervals still open are summarised; on
	 * a signal the main thread may still be inside the storm state, so
	 * they are not (the events they held back were all passed on). */
	if (!why && c->storm && grace_rstorm_flush(c->storm, on_summary, c,
	    &e) < 0)
		grace_err_print(stderr, prog, &e);
	if (c->router && grace_router_drain(c->router, c->rs->drain_ms,
	    &e) < 0) {
		grace_err_print(stderr, prog, &e);
	}
	if (c->router)
		dead = grace_router_dead(c->router, &lost);
	pthread_mutex_lock(&c->out_mu);
	status = c->worst;
	if (dead && status < GRACE_EXIT_NEGATIVE)
		status = GRACE_EXIT_NEGATIVE;
	if (lost)
		status = GRACE_EXIT_SYSTEM;
	if (c->rep) {
		int x = 0;

		if (dead) {
			char reason[600];

			snprintf(reason, sizeof reason, "%llu event%s "
			    "dead-lettered to %s", (unsigned long long)dead,
			    dead == 1 ? "" : "s", c->rs->dead_letter);
			x = report_item(c, "dead letters", 0, "dead letters",
			    NULL, "dead", GRACE_OUT_FAIL, "", reason);
		}
		if (x < 0 || grace_report_finish(c->rep, &c->obuf) < 0) {
			fprintf(stderr, "%s: out of memory\n", prog);
			status = GRACE_EXIT_SYSTEM;
		}
	}
	if (flush_out(c, &e) < 0) {
		grace_err_print(stderr, prog, &e);
		status = GRACE_EXIT_SYSTEM;
	}
	if (c->metrics && metrics_targets(c) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		status = GRACE_EXIT_SYSTEM;
	}
	status = grace_cli_metrics_end(stderr, prog, c->metrics, status);
	if (!c->quiet) {
		if (why)
			fprintf(stderr, "%s: %s: stopped reading; queues "
			    "drained\n", prog, why);
		uint64_t dd = 0, th = 0, ih = 0, si = 0;

		if (c->storm)
			grace_rstorm_counts(c->storm, &dd, &th, &ih, &si);
		fprintf(stderr, "%llu events, %llu routed, %llu unmatched, "
		    "%llu quarantined, %llu suppressed, %llu dead-lettered, "
		    "%llu errors%s\n",
		    c->events + c->rejected, c->routed, c->unmatched,
		    c->quarantined, c->suppressed,
		    (unsigned long long)dead, c->errors + c->rejected,
		    c->dry_run ? " (dry run: nothing delivered)" : "");
		if (dd || th || ih || si || c->summaries)
			fprintf(stderr, "  storm control: %llu deduped, %llu "
			    "throttled, %llu inhibited, %llu silenced, %llu "
			    "route.throttled summaries\n", (unsigned long long)dd,
			    (unsigned long long)th, (unsigned long long)ih,
			    (unsigned long long)si, c->summaries);
		for (i = 0; c->router && i < c->rs->nt; i++) {
			struct grace_rtstats st;

			grace_router_stats(c->router, i, &st);
			fprintf(stderr, "  %s (%s): %llu queued, %llu delivered, "
			    "%llu dropped, %llu spilled, %llu failed, %llu "
			    "abandoned", c->rs->t[i].name,
			    grace_rkind_name(c->rs->t[i].kind),
			    (unsigned long long)st.queued,
			    (unsigned long long)st.delivered,
			    (unsigned long long)st.dropped,
			    (unsigned long long)st.spilled,
			    (unsigned long long)st.failed,
			    (unsigned long long)st.abandoned);
			if (c->rs->t[i].breaker_failures)
				fprintf(stderr, ", breaker opened %llu times",
				    (unsigned long long)st.breaker_opened);
			if (c->rs->t[i].kind == GRACE_RK_EXEC)
				fprintf(stderr, ", %llu exits, %llu restarts",
				    (unsigned long long)st.exits,
				    (unsigned long long)st.restarts);
			fputc('\n', stderr);
		}
		if (lost)
			fprintf(stderr, "%s: %llu events could not be written to "
			    "the dead-letter file %s\n", prog,
			    (unsigned long long)lost, c->rs->dead_letter);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		status = GRACE_EXIT_SYSTEM;
	pthread_mutex_unlock(&c->out_mu);
	return status;
}

static sigset_t stop_sigs;

/* SIGTERM, SIGINT, SIGHUP: stop reading, drain within the deadline,
 * dead-letter the rest, summarise, exit. The main thread may be blocked
 * in read(); it is never joined. */
static void *
signal_thread(void *arg)
{
	struct ctx *c = arg;
	int sig, status, expected = 0;

	for (;;) {
		if (c->metrics) {
			struct timespec one = { 1, 0 };

			if ((sig = sigtimedwait(&stop_sigs, NULL, &one)) < 0) {
				if (errno == EAGAIN)
					metrics_tick(c);
				continue;
			}
		} else if (sigwait(&stop_sigs, &sig) != 0) {
			continue;
		}
		if (!atomic_compare_exchange_strong(&c->shutting, &expected, 1))
			return NULL; /* the main thread is already finishing */
		status = finish(c, sig == SIGTERM ? "SIGTERM" : sig == SIGINT ?
		    "SIGINT" : "SIGHUP");
		/* Hold standard output so that the main thread writes
		 * nothing more; exit without running its cleanup. */
		pthread_mutex_lock(&c->out_mu);
		fflush(stderr);
		_exit(status);
	}
}

/* --check: the routes loaded (their warnings on stderr); what
 * delivering needs is there (grace_routes_ready()), and --metrics can be
 * written. */
static int
run_check(const struct grace_routes *rs, const char *path,
    const char *metrics, int json, int quiet)
{
	struct grace_ready r;
	struct grace_buf sum = {0};
	size_t i;
	int status;

	for (i = 0; i < rs->nwarn; i++) {
		const struct grace_err *w = &rs->warn[i];

		fprintf(stderr, "%s: %s:%lu:%lu: warning: %s\n", prog, w->file,
		    w->line, w->col, w->msg);
	}
	grace_buf_addf(&sum, "%zu target%s, %zu route%s, default %s, %zu "
	    "warning%s", rs->nt, rs->nt == 1 ? "" : "s", rs->nr,
	    rs->nr == 1 ? "" : "s", rs->t[rs->dflt].name, rs->nwarn,
	    rs->nwarn == 1 ? "" : "s");
	grace_ready_init(&r, prog);
	grace_routes_ready(rs, &r);
	grace_rnats_ready(rs, &r);
	if (metrics)
		grace_ready_writable(&r, metrics);
	status = grace_ready_print(&r, json, quiet, path, sum.p ? sum.p : "",
	    stdout, stderr);
	grace_ready_free(&r);
	grace_buf_free(&sum);
	return status;
}

/* --test: the cases of a routes test file (grace_cli_run_cases()). */
struct tests {
	const struct grace_routes *rs;
	struct grace_rcases cs;
};

static const char *
case_name(void *arg, size_t i)
{
	return ((struct tests *)arg)->cs.v[i].name;
}

static int
case_run(void *arg, size_t i, struct grace_buf *why, struct grace_err *e)
{
	struct tests *t = arg;

	return grace_rcase_run(t->rs, &t->cs.v[i], why, e);
}

static int
run_tests(const struct grace_routes *rs, const char *file,
    enum grace_report_fmt fmt, int quiet)
{
	struct tests t;
	struct grace_err e;
	int status;

	t.rs = rs;
	if (grace_rcases_load(file, rs, &t.cs, &e) < 0)
		return grace_cli_report_load(stderr, prog, &e, file);
	status = grace_cli_run_cases(prog, t.cs.n, case_name, case_run, &t, fmt,
	    quiet);
	grace_rcases_free(&t.cs);
	return status;
}

/* --source: the messages of a durable pull consumer, each one event,
 * checked as an input line is (filter.c) and routed by on_event(). A
 * batch is acknowledged only after its events, or their rejection
 * records, are written to stdout: a crash before redelivers them (with
 * their ids), never loses them. Returns 0, or -1 with e filled. */
struct srcopts {
	const char *url, *durable, *filter;
	int64_t ack_wait_ms, idle_ms;
	size_t max_line;
	int strict;
};

static int
run_source(struct ctx *c, const struct srcopts *so, const char *const *keys,
    struct grace_err *e)
{
	struct grace_rnats_src *src;
	struct grace_jspan found[K_N];
	double idle_since = grace_mono_ms();
	size_t max = so->max_line ? so->max_line : 1048576;
	int stop = 0;

	if (!(src = grace_rnats_src_open(so->url, so->durable, so->filter,
	    so->ack_wait_ms, 5000, e)))
		return -1;
	while (!stop && !atomic_load(&c->shutting)) {
		int64_t wait = 1000;
		int k, i;

		if (so->idle_ms >= 0) {
			double left = idle_since + (double)so->idle_ms -
			    grace_mono_ms();

			/* at least one fetch of 100 ms before the end */
			wait = left < 100 ? 100 : left < 1000 ? (int64_t)left :
			    1000;
		}
		if ((k = grace_rnats_src_fetch(src, wait, e)) < 0) {
			stop = -1;
			break;
		}
		if (k == 0) {
			/* not idle while older messages are to come again */
			if (so->idle_ms >= 0 && grace_mono_ms() >= idle_since +
			    (double)so->idle_ms && !grace_rnats_src_waiting(src))
				break;
			continue;
		}
		idle_since = grace_mono_ms();
		for (i = 0; i < k && !stop; i++) {
			struct grace_event ev;
			struct grace_err bad;
			uint64_t seq;
			size_t n;
			const char *p = grace_rnats_src_msg(src, (size_t)i, &n,
			    &seq);
			const char *nl;
			int r;

			memset(&ev, 0, sizeof ev);
			if (n && p[n - 1] == '\n')
				n--;
			grace_err_clear(&bad);
			bad.code = GRACE_EXIT_INPUT;
			if (n > max) {
				grace_err_set(&bad, grace_rnats_src_name(src),
				    (unsigned long)seq, 0, "message longer than "
				    "%zu bytes", max);
			} else if ((nl = memchr(p, '\n', n))) {
				grace_err_set(&bad, grace_rnats_src_name(src),
				    (unsigned long)seq, (unsigned long)(nl - p) + 1,
				    "a message holds one event: this one has more "
				    "than one line");
			} else if (grace_json_blank(p, n)) {
				grace_err_set(&bad, grace_rnats_src_name(src),
				    (unsigned long)seq, 0, "empty message");
			} else if (grace_json_scan(p, n, keys, K_N, found,
			    grace_rnats_src_name(src), (unsigned long)seq,
			    &bad) == 0 && found[K_GRACE].kind != GRACE_J_NONE &&
			    found[K_GRACE].kind != GRACE_J_OBJECT) {
				grace_err_set(&bad, grace_rnats_src_name(src),
				    (unsigned long)seq, found[K_GRACE].off + 1,
				    "member 'grace' is %s, not an object",
				    grace_json_kind_name(found[K_GRACE].kind));
			}
			if (bad.msg[0]) {
				bad.code = GRACE_EXIT_INPUT;
				on_bad_line(c, &bad);
				if (so->strict)
					stop = 1;
				continue;
			}
			ev.input = grace_rnats_src_name(src);
			ev.line = (unsigned long)seq;
			ev.p = p;
			ev.n = n;
			ev.found = found;
			r = on_event(c, &ev, NULL, e);
			if (r < 0)
				stop = -1;
		}
		if (stop < 0)
			break;
		/* everything of the batch is written before it is acked */
		pthread_mutex_lock(&c->out_mu);
		if (c->router)
			grace_router_flush(c->router);
		if (flush_out(c, e) < 0) {
			pthread_mutex_unlock(&c->out_mu);
			stop = -1;
			break;
		}
		pthread_mutex_unlock(&c->out_mu);
		if (stop == 1) {
			/* --strict: the bad message is not acknowledged */
			break;
		}
		if (grace_rnats_src_ack(src, e) < 0) {
			/* they come again: duplicates with their ids, not
			 * losses */
			grace_err_print(stderr, prog, e);
			grace_err_clear(e);
		}
	}
	grace_rnats_src_close(src);
	return stop < 0 ? -1 : 0;
}

static void
say_line(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

/* --create-streams: the streams of the nats targets, made if missing. */
static int
run_create(const struct grace_routes *rs, const char *cfg)
{
	struct grace_err e;
	size_t i;

	for (i = 0; i < rs->nt && rs->t[i].kind != GRACE_RK_NATS; i++)
		;
	if (i == rs->nt) {
		fprintf(stderr, "%s: %s: no nats target: no stream to make\n",
		    prog, cfg);
		return GRACE_EXIT_USAGE;
	}
	grace_err_clear(&e);
	if (grace_rnats_create_streams(rs, say_line, NULL, &e) < 0) {
		fflush(stdout);
		if (!e.code)
			e.code = GRACE_EXIT_SYSTEM;
		return grace_cli_report(stderr, prog, &e);
	}
	return GRACE_EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum { O_DRY = 256, O_EXPLAIN, O_STRICT, O_MAXLINE, O_CHECK, O_TEST,
		O_METRICS, O_SOURCE, O_DURABLE, O_SUBJECT, O_ACKWAIT, O_IDLE, O_CREATE };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "test", required_argument, NULL, O_TEST },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "durable", required_argument, NULL, O_DURABLE },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "ack-wait", required_argument, NULL, O_ACKWAIT },
		{ "source-idle", required_argument, NULL, O_IDLE },
		{ "create-streams", no_argument, NULL, O_CREATE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	static const char *const keys[K_N] = { "grace", "id", "type",
		"source", "time" };
	struct grace_filter_opts fo;
	struct grace_err e;
	struct grace_routes *rs;
	struct ctx c;
	struct stat st;
	const char *cfg = NULL, *test = NULL, *ofmt = NULL, *metrics = NULL;
	char *found = NULL;
	unsigned long long max = 0;
	pthread_t sth;
	int opt, check = 0, strict = 0, status, devnull = -1, expected = 0;
	int create = 0;
	int have_sth = 0, cjson = 0;
	size_t ti;
	struct srcopts so = { NULL, NULL, NULL, 30000, -1, 0, 0 };
	unsigned long long secs;

	memset(&c, 0, sizeof c);
	argv[0] = (char *)prog;
	while ((opt = getopt_long(argc, argv, "c:o:qhV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg = optarg; break;
		case 'o': ofmt = optarg; break;
		case O_METRICS: metrics = optarg; break;
		case O_SOURCE: so.url = optarg; break;
		case O_DURABLE: so.durable = optarg; break;
		case O_SUBJECT: so.filter = optarg; break;
		case O_ACKWAIT:
		case O_IDLE:
			if (grace_cli_parse_size(optarg, &secs) < 0 ||
			    secs > 86400 || (opt == O_ACKWAIT && secs == 0))
				return usage_error("--%s takes whole seconds from %d "
				    "to 86400, not '%s'", opt == O_ACKWAIT ?
				    "ack-wait" : "source-idle", opt == O_ACKWAIT,
				    optarg);
			if (opt == O_ACKWAIT)
				so.ack_wait_ms = (int64_t)secs * 1000;
			else
				so.idle_ms = (int64_t)secs * 1000;
			break;
		case O_DRY: c.dry_run = 1; break;
		case O_EXPLAIN: c.explain = 1; break;
		case O_STRICT: strict = 1; break;
		case O_MAXLINE:
			if (grace_cli_parse_size(optarg, &max) < 0 || max == 0 ||
			    max > (1ull << 30))
				return usage_error("--max-line takes a byte count "
				    "from 1 to 1073741824, not '%s'", optarg);
			break;
		case 'q': c.quiet = 1; break;
		case O_CHECK: check = 1; break;
		case O_CREATE: create = 1; break;
		case O_TEST: test = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("grace-route (grace) %s\n", GRACE_VERSION);
			return 0;
		default: return usage_error(NULL);
		}
	}
	if (check && ofmt) {
		if (strcmp(ofmt, "json") == 0)
			cjson = 1;
		else if (strcmp(ofmt, "text") != 0)
			return usage_error("--check writes text or json (-o json), "
			    "not '%s'", ofmt);
	} else if (ofmt && grace_report_fmt_parse(ofmt, &c.fmt) < 0) {
		return usage_error("-o takes ndjson, text, tap, junit or github, "
		    "not '%s'", ofmt);
	}
	if (test && metrics)
		return usage_error("%s", "--test delivers nothing: no --metrics");
	if ((check || test) && optind < argc)
		return usage_error("%s", "--check and --test read no input files");
	if (check && test)
		return usage_error("%s", "give --check or --test, not both");
	if (create && (check || test || so.url || optind < argc || ofmt ||
	    metrics || c.dry_run || c.explain))
		return usage_error("%s", "--create-streams reads only the "
		    "routes file: no input, --source, --check, --test, -o, "
		    "--metrics, --dry-run or --explain");
	if (so.url && (check || test || optind < argc))
		return usage_error("%s", "--source reads no input files, and "
		    "goes with neither --check nor --test");
	if (so.url && c.dry_run)
		return usage_error("%s", "--source acknowledges what it "
		    "delivered: no --dry-run");
	if (so.url && !grace_rnats_source_ok(so.url))
		return usage_error("--source '%s' is not nats://HOST:PORT/STREAM",
		    so.url);
	if (so.url && !so.durable)
		return usage_error("%s", "--source needs --durable NAME");
	if (!so.url && (so.durable || so.filter || so.idle_ms >= 0))
		return usage_error("%s", "--durable, --subject and --source-idle "
		    "go with --source");
	if (so.durable && (!*so.durable || strpbrk(so.durable, ". *>\t\r\n")))
		return usage_error("--durable '%s' is not a consumer name (no "
		    "'.', '*', '>' or white space)", so.durable);
	if (!cfg && !(cfg = found = grace_config_find("routes.yaml", &e)))
		return grace_cli_report(stderr, prog, &e);
	if (!(rs = grace_routes_load(cfg, &e))) {
		status = grace_cli_report_load(stderr, prog, &e, cfg);
		free(found);
		return status;
	}
	if (check) {
		status = run_check(rs, cfg, metrics, cjson, c.quiet);
		goto done;
	}
	if (test) {
		status = run_tests(rs, test, c.fmt, c.quiet);
		goto done;
	}
	if (create) {
		status = run_create(rs, cfg);
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);
	c.rs = rs;
	pthread_mutex_init(&c.out_mu, NULL);
	atomic_init(&c.shutting, 0);
	c.interactive = !so.url && (fstat(STDIN_FILENO, &st) < 0 ||
	    !S_ISREG(st.st_mode));
	if (grace_rmatch_init(&c.m, rs) < 0 ||
	    !(c.storm = grace_rstorm_new(rs)) ||
	    (metrics && metrics_start(&c, metrics) < 0)) {
		grace_err_sys(&e, NULL, "unable to start");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (c.fmt != GRACE_FMT_NDJSON &&
	    !(c.rep = grace_report_new(c.fmt, prog, c.fmt == GRACE_FMT_TEXT &&
	    isatty(STDOUT_FILENO) && !getenv("NO_COLOR")))) {
		grace_err_sys(&e, NULL, "unable to start");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	/* The signal thread, and the writers the router starts, inherit a
	 * mask with the stop signals blocked: only sigwait() sees them. */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	if (!c.dry_run && !(c.router = grace_router_new(rs, &c.out_mu,
	    on_notice, on_router_event, &c, &e))) {
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (c.router && (optind == argc || inputs_regular(argv + optind,
	    (size_t)(argc - optind))))
		grace_router_set_batch(c.router, PUSH_BATCH);
	if (pthread_create(&sth, NULL, signal_thread, &c) == 0)
		have_sth = 1;
	/* Our own output goes through obuf under out_mu (the stdout
	 * target shares it); the filter writes nothing itself. */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		grace_err_sys(&e, "/dev/null", "unable to open");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	memset(&fo, 0, sizeof fo);
	fo.prog = prog;
	fo.max_line = (size_t)max;
	fo.strict = strict;
	fo.keys = keys;
	fo.nkeys = K_N;
	fo.out_fd = devnull;
	fo.no_reject_records = 1;
	fo.check_grace = 1;
	grace_err_clear(&e);
	if (so.url) {
		c.whole_lines = 1;
		so.max_line = (size_t)max;
		so.strict = strict;
		status = run_source(&c, &so, keys, &e) < 0 ?
		    GRACE_EXIT_SYSTEM : GRACE_EXIT_OK;
	} else {
		status = grace_filter_run(&fo, argv + optind, (size_t)(argc -
		    optind), on_event, on_bad_line, &c, NULL, &e);
	}
	if (status == GRACE_EXIT_SYSTEM) {
		grace_err_print(stderr, prog, &e);
		c.worst = GRACE_EXIT_SYSTEM;
	}
	if (!atomic_compare_exchange_strong(&c.shutting, &expected, 1)) {
		/* a signal came first: its thread finishes and exits */
		for (;;)
			pause();
	}
	status = finish(&c, NULL);
done:
	if (have_sth) {
		/* shutting is set: the signal thread just returns */
		atomic_store(&c.shutting, 1);
		pthread_kill(sth, SIGTERM);
		pthread_join(sth, NULL);
	}
	if (devnull >= 0)
		close(devnull);
	grace_router_free(c.router);
	grace_metrics_free(c.metrics);
	for (ti = 0; c.tlabels && ti < rs->nt; ti++)
		free(c.tlabels[ti]);
	free(c.tlabels);
	grace_report_free(c.rep);
	grace_rmatch_free(&c.m);
	grace_rstorm_free(c.storm);
	grace_buf_free(&c.sline);
	grace_buf_free(&c.sann);
	grace_buf_free(&c.obuf);
	grace_buf_free(&c.line);
	grace_buf_free(&c.ann);
	grace_buf_free(&c.extra);
	grace_buf_free(&c.ex);
	grace_buf_free(&c.t1);
	grace_buf_free(&c.t2);
	if (c.rs)
		pthread_mutex_destroy(&c.out_mu);
	if (fflush(stdout) != 0 || ferror(stdout))
		status = GRACE_EXIT_SYSTEM;
	grace_routes_free(rs);
	free(found);
	grace_rnats_shutdown();
	return status;
}
