/* grace-verify - did each action do what its contract promised? Checks
 * events against the contracts file and adds grace.verify; or, with
 * --chain, verifies the hash-chained log for a cron job or a CI step
 * (man/grace-verify.1; the contracts format in man/grace-contracts.5).
 * Options and the loops only: the engine is lib/verify/, the chain
 * check lib/log/chain.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "log/log.h"
#include "config.h"
#include "verify/verify.h"
#include "err.h"
#include "fileutil.h"
#include "filter.h"
#include "json.h"
#include "lines.h"
#include "metrics.h"
#include "ready.h"
#include "reject.h"
#include "report.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-verify";

/* A line the filter loop writes into the pipe for each event, in place
 * of its verdict; the writer thread swaps each for the verdict, in
 * order. Long enough that the loop's 1 MiB output buffer holds a bounded
 * number of them. */
#define MARKER "#grace-verify-pending                                          \n"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grace-verify [-c CONTRACTS] [-j N] [-o FORMAT] [--update-baseline]\n"
	    "                    [--inconclusive=fail|pass] [--require-contract]\n"
	    "                    [--allow-empty] [--strict] [--max-line BYTES]\n"
	    "                    [--metrics FILE] [-q] [FILE...]\n"
	    "       grace-verify --check [-c CONTRACTS] [--update-baseline]\n"
	    "                    [--metrics FILE] [-o json] [-q]\n"
	    "       grace-verify --chain LOG... [--checkpoint FILE --pubkey KEY]...\n"
	    "                    [--witness KEY]... [--witnesses K] [--state FILE]\n"
	    "                    [--metrics FILE] [-q]\n"
	    "\n"
	    "Check each event (NDJSON from FILEs or stdin) against the contract that\n"
	    "applies to it and pass it on with grace.verify {status, confidence, checks,\n"
	    "contract}; or verify the hash-chained log and write one result event.\n"
	    "\n"
	    "  -c, --config FILE      the contracts file (default: contracts.yaml on the\n"
	    "                         search path: $GRACE_CONFIG_DIR, ./config, ~/.config/grace,\n"
	    "                         /etc/grace)\n"
	    "      --check            readiness: the contracts file valid, every command an\n"
	    "                         exec check runs found, what grace-verify writes\n"
	    "                         (--metrics, baselines with --update-baseline)\n"
	    "                         writable with room; -o json: one object; exit 0\n"
	    "                         ready, 1 not ready, 2 configuration error\n"
	    "  -j, --jobs N           run checks of up to N events at once (default 1);\n"
	    "                         verdicts keep the input order\n"
	    "  -o, --output FORMAT    ndjson (default), text, tap, junit, github\n"
	    "      --update-baseline  baseline checks record the event's value (atomically)\n"
	    "      --inconclusive=fail|pass  the exit status of an inconclusive verdict:\n"
	    "                         fail (default) counts it as negative (exit 1)\n"
	    "      --require-contract an event no contract applies to is inconclusive\n"
	    "      --allow-empty      an input with no events exits 0 (default: 1, nothing\n"
	    "                         was verified)\n"
	    "      --strict           stop at the first bad input line\n"
	    "      --max-line BYTES   longest input line accepted (default 1048576)\n"
	    "\n"
	    "  --chain LOG            verify the log (repeatable: segments, oldest first)\n"
	    "  --checkpoint FILE      a signed checkpoint the log must match (repeatable)\n"
	    "  --pubkey KEY           a verifier key, or a file holding one (repeatable)\n"
	    "  --witness KEY          a witness's key (repeatable); --witnesses K: a\n"
	    "                         checkpoint counts only when K of them cosigned it\n"
	    "  --state FILE           remember the verified size and Merkle root; fail\n"
	    "                         unless the log still extends what was remembered\n"
	    "  --metrics FILE         write Prometheus textfile metrics (node_exporter):\n"
	    "                         of the events, or of the chain; atomically, every\n"
	    "                         5 seconds on a long run and at the end\n"
	    "\n"
	    "  -q, --quiet            no result event (--chain), no --check line: errors\n"
	    "                         and the exit status only\n"
	    "  -h, --help             this help;  -V, --version  the version\n"
	    "\n"
	    "Exit status: 0 all verified (chain intact), 1 a check failed, a verdict is\n"
	    "inconclusive, or no events at all: an empty stream or only blank lines\n"
	    "(chain broken), 2 usage or configuration error (with --chain: a log that\n"
	    "is not a regular file), 3 bad input line, 4 system error.\n"
	    "See grace-verify(1) and grace-contracts(5).\n");
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

static int
report(const struct grace_err *e)
{
	return grace_cli_report(stderr, prog, e);
}

/* ------------------------------------------------------------- chain */

static void
print_warning(void *arg, const struct grace_err *w)
{
	(void)arg;
	grace_err_print(stderr, prog, w);
}

/* Metrics are an export of the result, not part of it: a file that
 * cannot be written (its directory missing, say) is a warning, and the
 * exit status stays the verification's. An alert on the metrics' age
 * sees the gap. */
static void
metrics_warning(const struct grace_err *e)
{
	fprintf(stderr, "%s: %s%swarning: metrics not written: %s\n", prog,
	    e->file, e->file[0] ? ": " : "", e->msg);
}

struct chain_opts {
	const char **files, **cps, **keys, **witnesses;
	size_t nfiles, ncps, nkeys, nwitnesses, min_witnesses;
	const char *state, *metrics;
	int quiet;
};

static int
run_chain(const struct chain_opts *o)
{
	struct grace_chain c;
	struct grace_buf out = {0};
	struct grace_err e;
	int status = GRACE_EXIT_OK;

	grace_chain_init(&c);
	c.files = o->files;
	c.nfiles = o->nfiles;
	c.checkpoints = o->cps;
	c.ncheckpoints = o->ncps;
	c.pubkeys = o->keys;
	c.npubkeys = o->nkeys;
	c.witnesses = o->witnesses;
	c.nwitnesses = o->nwitnesses;
	c.min_witnesses = o->min_witnesses;
	c.state = o->state;
	c.warn = print_warning;
	if (grace_chain_verify(&c, &e) < 0) {
		status = report(&e);
		if (o->metrics && grace_chain_metrics(&c, 0, o->metrics, &e) < 0)
			metrics_warning(&e);
		grace_chain_free(&c);
		return status;
	}
	if (!c.res.intact) {
		grace_err_print(stderr, prog, &c.res.fail);
		status = GRACE_EXIT_NEGATIVE;
	} else if (o->state && grace_chain_save_state(&c, &e) < 0) {
		status = report(&e);
	}
	if (o->metrics && grace_chain_metrics(&c, 1, o->metrics, &e) < 0)
		metrics_warning(&e);
	if (!o->quiet) {
		if (grace_chain_event(&c, prog, &out) < 0 || grace_cli_flush(&out, NULL) < 0) {
			grace_err_sys(&e, "<stdout>", "unable to write");
			status = report(&e);
		}
	}
	grace_buf_free(&out);
	grace_chain_free(&c);
	return status;
}

/* ------------------------------------------------------------ events */

/* The process groups of the checks running now, so that when we are
 * told to stop (SIGINT, SIGTERM, SIGHUP) they stop with us instead of
 * running on unattended. Slots are claimed and cleared atomically. The
 * signals are blocked in every thread and taken by one thread, which
 * kills the groups, lets the runs remove their working directories, and
 * then dies of the signal. */
#define MAX_CHILDREN 1024
static int children[MAX_CHILDREN];

static void
child_started(void *arg, int pid)
{
	size_t i;

	(void)arg;
	for (i = 0; i < MAX_CHILDREN; i++) {
		int none = 0;

		if (__atomic_compare_exchange_n(&children[i], &none, pid, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

static void
child_ended(void *arg, int pid)
{
	size_t i;

	(void)arg;
	for (i = 0; i < MAX_CHILDREN; i++) {
		int mine = pid;

		if (__atomic_compare_exchange_n(&children[i], &mine, 0, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

/* Kill every running group; returns how many there were. */
static int
kill_children(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < MAX_CHILDREN; i++) {
		int pid = __atomic_load_n(&children[i], __ATOMIC_SEQ_CST);

		if (pid > 0) {
			kill(-pid, SIGKILL);
			n++;
		}
	}
	return n;
}

static sigset_t stop_signals;
static int stopping;

/* Once told to stop, write nothing more (the verdicts of checks we
 * killed would be false) and wait here to die of the signal. */
static void
stop_point(void)
{
	if (!__atomic_load_n(&stopping, __ATOMIC_SEQ_CST))
		return;
	for (;;)
		pause();
}

static void *
stopper(void *arg)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	sigset_t one;
	int sig, i;

	(void)arg;
	if (sigwait(&stop_signals, &sig) != 0)
		return NULL;
	__atomic_store_n(&stopping, 1, __ATOMIC_SEQ_CST);
	/* Runs that are starting may add a group: kill until none is left
	 * (2 s at most). */
	for (i = 0; i < 200 && kill_children(); i++)
		nanosleep(&tick, NULL);
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	return NULL;
}

struct item {
	struct grace_vevent *v;
	const char *input;
	unsigned long line;
	double t0;                /* when it was read (--metrics) */
	int applies;
	struct grace_jspan grace;
	size_t *pending;          /* indexes of the checks still to run */
	size_t npending;
};

struct run {
	struct grace_contracts *c;
	struct grace_vctx *x;         /* the reading thread's */
	struct grace_vevent *v;       /* reused when -j 1 */
	enum grace_report_fmt fmt;
	struct grace_report *rep;
	int inconclusive_ok;
	int require;
	struct grace_buf json, sum;
	/* pooled mode */
	struct grace_pool *pool;
	int pipe_r;
	int status;                   /* the writer's verdicts */
	struct grace_err werr;
	int werr_set;
	unsigned long long counts[5]; /* by status, and errors */
	struct grace_metrics *m;      /* --metrics: the writing thread's */
	int last_st;                  /* the status emit() last wrote */
};

/* The verdict an event counts under in --metrics. */
static const char *
metrics_verdict(int st)
{
	return st == GRACE_VS_NONE ? "none" : grace_vstatus_name(st);
}

/* The exit status of one verdict. */
static int
verdict(const struct run *R, int st, int has_error)
{
	if (has_error)
		return GRACE_EXIT_INPUT;
	switch (st) {
	case GRACE_VS_FAILED: return GRACE_EXIT_NEGATIVE;
	case GRACE_VS_INCONCLUSIVE:
		return R->inconclusive_ok ? GRACE_EXIT_OK : GRACE_EXIT_NEGATIVE;
	default: return GRACE_EXIT_OK;
	}
}

/* Write the verdict of one event (line p[0..n), grace member at g) to
 * out: the annotated event, or a report item. Returns its exit status,
 * or -1 when out of memory. */
static int
emit(struct run *R, const char *input, unsigned long line, const char *p,
    size_t n, const struct grace_jspan *g, struct grace_vevent *v,
    int applies, struct grace_buf *out)
{
	const char *err = applies ? grace_vevent_error(v) : NULL;
	int st = GRACE_VS_NONE, code;

	grace_buf_reset(&R->json);
	if (applies) {
		st = grace_vevent_finish(v, &R->json);
		if (st < 0)
			return -1;
	} else if (R->require) {
		if (grace_vevent_none_json(&R->json) < 0)
			return -1;
		st = GRACE_VS_INCONCLUSIVE;
	}
	if (err)
		fprintf(stderr, "%s: %s:%lu: %s\n", prog, input, line, err);
	code = verdict(R, st, err != NULL);
	R->counts[st]++;
	R->last_st = st;
	if (R->fmt == GRACE_FMT_NDJSON) {
		if (!R->json.len)
			return grace_buf_add(out, p, n) | grace_buf_add(out, "\n", 1)
			    ? -1 : code;
		/* The filter loop refused a grace member that is not an
		 * object (check_grace), so splicing fails only for memory. */
		if (grace_json_splice_grace(out, p, n, g, "verify", R->json.p,
		    R->json.len) < 0 || grace_buf_add(out, "\n", 1) < 0)
			return -1;
		return code;
	} else {
		struct grace_report_item it;
		char where[300];

		grace_buf_reset(&R->sum);
		if (applies)
			grace_vevent_summary(v, &R->sum);
		else if (R->require)
			grace_buf_adds(&R->sum, "no contract applies");
		snprintf(where, sizeof where, "%.200s:%lu", input, line);
		it.id = *grace_vevent_id(v) ? grace_vevent_id(v) : where;
		it.type = grace_vevent_type(v);
		it.decision = st == GRACE_VS_NONE ? "none" : grace_vstatus_name(st);
		it.outcome = st == GRACE_VS_FAILED ? GRACE_OUT_FAIL :
		    st == GRACE_VS_INCONCLUSIVE ? (err || !R->inconclusive_ok ?
		    GRACE_OUT_ERROR : GRACE_OUT_WARN) : GRACE_OUT_PASS;
		it.rules = applies && grace_vevent_contract(v) ?
		    grace_vevent_contract(v) : "";
		it.reason = R->sum.len ? R->sum.p : "";
		return grace_report_add(R->rep, &it, out) < 0 ? -1 : code;
	}
}

/* -j 1, ndjson: everything in the reading thread. */
static int
on_event_direct(void *ctx, const struct grace_event *ev,
    struct grace_buf *out, struct grace_err *e)
{
	struct run *R = ctx;
	double t0 = R->m ? grace_mono_ms() : 0;
	size_t i, n;
	int r;

	r = grace_vevent_prepare(R->v, R->x, R->c, ev->p, ev->n, ev->found, 0, e);
	if (r < 0)
		return -1;
	n = grace_vevent_nchecks(R->v);
	for (i = 0; r > 0 && i < n; i++)
		grace_vevent_run(R->v, R->x, i);
	stop_point();
	r = emit(R, ev->input, ev->line, ev->p, ev->n,
	    &ev->found[GRACE_VKEY_GRACE], R->v, r, out);
	if (r < 0)
		return grace_err_sys(e, ev->input, "unable to verify");
	if (R->m && grace_metrics_event(R->m, t0, metrics_verdict(R->last_st),
	    1, e) < 0)
		return -1;
	return r;
}

static void
item_free(struct item *it)
{
	if (!it)
		return;
	grace_vevent_free(it->v);
	free(it->pending);
	free(it);
}

/* Pooled: prepare here, queue the slow checks, leave a marker. */
static int
on_event_pooled(void *ctx, const struct grace_event *ev,
    struct grace_buf *out, struct grace_err *e)
{
	struct run *R = ctx;
	struct item *it = calloc(1, sizeof *it);
	size_t i, n;
	int r;

	if (!it || !(it->v = grace_vevent_new())) {
		item_free(it);
		return grace_err_sys(e, ev->input, "unable to verify");
	}
	it->input = ev->input;
	it->line = ev->line;
	it->t0 = R->m ? grace_mono_ms() : 0;
	it->grace = ev->found[GRACE_VKEY_GRACE];
	r = grace_vevent_prepare(it->v, R->x, R->c, ev->p, ev->n, ev->found, 1,
	    e);
	if (r < 0) {
		item_free(it);
		return -1;
	}
	it->applies = r;
	n = grace_vevent_nchecks(it->v);
	if (n && !(it->pending = calloc(n, sizeof *it->pending))) {
		item_free(it);
		return grace_err_sys(e, ev->input, "unable to verify");
	}
	for (i = 0; i < n; i++)
		if (grace_vevent_pending(it->v, i))
			it->pending[it->npending++] = i;
	if (grace_pool_submit(R->pool, it, it->npending) < 0) {
		item_free(it);
		return grace_err_sys(e, ev->input, "unable to verify");
	}
	if (grace_buf_adds(out, MARKER) < 0)
		return grace_err_sys(e, ev->input, "unable to verify");
	return GRACE_EXIT_OK;
}

static void *
worker_init(void *arg)
{
	return grace_vctx_new(arg);
}

static void
worker_fini(void *w)
{
	grace_vctx_free(w);
}

static void
worker_job(void *w, void *item, size_t job)
{
	struct item *it = item;

	grace_vevent_run(it->v, w, it->pending[job]);
}

/* A rejection record from the filter loop, as a report item. */
static int
report_rejection(struct run *R, const char *line, size_t n,
    struct grace_buf *out)
{
	static const char *const top[] = { "data" };
	static const char *const keys[] = { "input", "line", "error" };
	struct grace_jspan d, f[3];
	struct grace_buf where = {0}, why = {0};
	struct grace_report_item it;
	struct grace_err e;
	int r;

	if (grace_json_scan(line, n, top, 1, &d, "<pipe>", 0, &e) < 0 ||
	    d.kind != GRACE_J_OBJECT ||
	    grace_json_scan(line + d.off, d.len, keys, 3, f, "<pipe>", 0, &e) < 0)
		return 0;
	if (f[0].kind == GRACE_J_STRING)
		grace_json_unescape(&where, line + d.off + f[0].off, f[0].len);
	grace_buf_adds(&where, ":");
	grace_buf_add(&where, line + d.off + f[1].off, f[1].len);
	if (f[2].kind == GRACE_J_STRING)
		grace_json_unescape(&why, line + d.off + f[2].off, f[2].len);
	it.id = where.p;
	it.type = "";
	it.decision = "rejected";
	it.outcome = GRACE_OUT_ERROR;
	it.rules = "";
	it.reason = why.len ? why.p : "";
	r = grace_report_add(R->rep, &it, out);
	grace_buf_free(&where);
	grace_buf_free(&why);
	return r;
}

/* The writer thread: reads the filter loop's output from the pipe and
 * writes it to stdout with each marker replaced by its verdict. */
static void *
writer(void *arg)
{
	struct run *R = arg;
	struct grace_lines rd;
	struct grace_buf out = {0};
	struct grace_err e;
	const char *line;
	size_t n;
	uint64_t seq = 0;
	int t, dead = 0;

	if (grace_lines_init(&rd, R->pipe_r, "<pipe>", 64u << 20) < 0) {
		grace_err_sys(&R->werr, NULL, "unable to write");
		R->werr_set = 1;
		return NULL;
	}
	for (;;) {
		t = grace_lines_buffered(&rd, &line, &n, &e);
		if (t == GRACE_LINE_AGAIN) {
			/* Answer what was asked before waiting for more. */
			if (!dead && out.len && grace_cli_flush(&out, NULL) < 0) {
				grace_err_sys(&R->werr, "<stdout>", "unable to write");
				R->werr_set = dead = 1;
			}
			if (grace_lines_fill(&rd, &e) < 0)
				break;
			continue;
		}
		if (t != GRACE_LINE_OK)
			break;
		if (n && line[0] == '#') {
			struct item *it = grace_pool_wait(R->pool, seq++);
			size_t en;

			stop_point();
			const char *ep = grace_vevent_event(it->v, &en);
			int code = emit(R, it->input, it->line, ep, en, &it->grace,
			    it->v, it->applies, &out);

			if (code < 0) {
				grace_err_sys(&R->werr, it->input, "unable to verify");
				R->werr_set = 1;
			} else {
				if (code > R->status)
					R->status = code;
				/* the metrics are this thread's: it writes the
				 * verdicts, in order */
				if (R->m && !R->werr_set && grace_metrics_event(R->m,
				    it->t0, metrics_verdict(R->last_st),
				    R->fmt == GRACE_FMT_NDJSON, &R->werr) < 0)
					R->werr_set = 1;
			}
			item_free(it);
		} else {
			/* the filter loop's rejection record of a bad line */
			if (R->fmt == GRACE_FMT_NDJSON) {
				grace_buf_add(&out, line, n);
				grace_buf_add(&out, "\n", 1);
			} else {
				report_rejection(R, line, n, &out);
			}
			if (R->m)
				grace_metrics_bad_line(R->m, R->fmt ==
				    GRACE_FMT_NDJSON);
		}
		if (out.len >= (1u << 20) && !dead && grace_cli_flush(&out, NULL) < 0) {
			grace_err_sys(&R->werr, "<stdout>", "unable to write");
			R->werr_set = dead = 1;
		}
	}
	if (!dead && grace_cli_flush(&out, NULL) < 0) {
		grace_err_sys(&R->werr, "<stdout>", "unable to write");
		R->werr_set = 1;
	}
	grace_lines_free(&rd);
	grace_buf_free(&out);
	return NULL;
}

static void
on_bad_line(void *ctx, const struct grace_err *e)
{
	struct run *R = ctx;

	grace_err_print(stderr, prog, e);
	/* pooled, the writer thread counts it when it meets the record */
	if (R->m && !R->pool)
		grace_metrics_bad_line(R->m, 1);
}

struct event_opts {
	const char *config, *metrics;
	int check_json;
	int check, jobs, strict, update_baseline, inconclusive_ok, require, quiet;
	int allow_empty;
	size_t max_line;
	enum grace_report_fmt fmt;
	char **inputs;
	size_t ninputs;
};

static int
max_status(int a, int b)
{
	return a > b ? a : b;
}

/* --check: the contracts loaded; the commands their exec checks run
 * exist, what grace-verify writes (--metrics, the baselines with
 * --update-baseline) can be written. */
static int
run_check(const struct grace_contracts *c, const char *path,
    const struct event_opts *o)
{
	struct grace_ready r;
	struct grace_buf sum = {0};
	int status;

	grace_buf_addf(&sum, "%zu contract%s, %zu check%s",
	    grace_contracts_count(c), grace_contracts_count(c) == 1 ? "" : "s",
	    grace_contracts_nchecks(c), grace_contracts_nchecks(c) == 1 ? "" :
	    "s");
	grace_ready_init(&r, prog);
	grace_contracts_ready(c, &r);
	if (o->metrics)
		grace_ready_writable(&r, o->metrics);
	status = grace_ready_print(&r, o->check_json, o->quiet, path,
	    sum.p ? sum.p : "", stdout, stderr);
	grace_ready_free(&r);
	grace_buf_free(&sum);
	return status;
}

static int
run_events(const struct event_opts *o)
{
	struct grace_contracts_opts co = { o->update_baseline, NULL,
		child_started, child_ended, NULL };
	struct grace_filter_opts fo;
	struct grace_filter_stats st;
	struct grace_err e;
	struct run R;
	char *found = NULL;
	const char *path = o->config;
	int status, pooled = o->jobs > 1 || o->fmt != GRACE_FMT_NDJSON;
	int fds[2] = { -1, -1 };
	pthread_t wt;
	size_t nkeys;

	memset(&R, 0, sizeof R);
	if (!path) {
		if (!(found = grace_config_find("contracts.yaml", &e)))
			return report(&e);
		path = found;
	}
	R.c = grace_contracts_load(path, &co, &e);
	if (!R.c) {
		free(found);
		return report(&e);
	}
	if (o->check) {
		status = run_check(R.c, path, o);
		grace_contracts_free(R.c);
		free(found);
		return status;
	}
	{
		pthread_t stt;

		/* Before any other thread: they all inherit the mask. */
		sigemptyset(&stop_signals);
		sigaddset(&stop_signals, SIGINT);
		sigaddset(&stop_signals, SIGTERM);
		sigaddset(&stop_signals, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
		if (pthread_create(&stt, NULL, stopper, NULL) == 0)
			pthread_detach(stt);
		else
			pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
	}
	R.fmt = o->fmt;
	R.inconclusive_ok = o->inconclusive_ok;
	R.require = o->require;
	memset(&fo, 0, sizeof fo);
	fo.prog = prog;
	fo.max_line = o->max_line;
	fo.strict = o->strict;
	fo.keys = grace_contracts_keys(R.c, &nkeys);
	fo.nkeys = nkeys;
	/* An event whose grace member is not an object is a bad line, as in
	 * every other program, whether or not a contract applies to it. */
	fo.check_grace = 1;
	fo.out_fd = STDOUT_FILENO;
	if (!(R.x = grace_vctx_new(R.c)) || !(R.v = grace_vevent_new()) ||
	    (o->metrics && !(R.m = grace_metrics_new(prog, o->metrics)))) {
		grace_err_sys(&e, NULL, "unable to start");
		status = report(&e);
		goto out;
	}
	if (o->fmt != GRACE_FMT_NDJSON &&
	    !(R.rep = grace_report_new(o->fmt, prog, o->fmt == GRACE_FMT_TEXT &&
	    isatty(STDOUT_FILENO)))) {
		grace_err_sys(&e, NULL, "unable to start");
		status = report(&e);
		goto out;
	}
	if (!pooled) {
		status = grace_filter_run(&fo, o->inputs, o->ninputs,
		    on_event_direct, on_bad_line, &R, &st, &e);
		if (status == GRACE_EXIT_SYSTEM)
			report(&e);
	} else {
		int r;

		if (pipe2(fds, O_CLOEXEC) < 0) {
			grace_err_sys(&e, NULL, "unable to start");
			status = report(&e);
			goto out;
		}
		R.pipe_r = fds[0];
		R.pool = grace_pool_new((size_t)o->jobs, 0, worker_init,
		    worker_fini, worker_job, R.c, &e);
		if (!R.pool) {
			status = report(&e);
			goto out;
		}
		if ((r = pthread_create(&wt, NULL, writer, &R)) != 0) {
			errno = r;
			grace_err_sys(&e, NULL, "unable to start the writer thread");
			status = report(&e);
			goto out;
		}
		fo.out_fd = fds[1];
		status = grace_filter_run(&fo, o->inputs, o->ninputs,
		    on_event_pooled, on_bad_line, &R, &st, &e);
		if (status == GRACE_EXIT_SYSTEM)
			report(&e);
		close(fds[1]);
		fds[1] = -1;
		pthread_join(wt, NULL);
		status = max_status(status, R.status);
		if (R.werr_set)
			status = report(&R.werr);
	}
	if (R.rep && status != GRACE_EXIT_SYSTEM) {
		struct grace_buf tail = {0};
		struct grace_report_item it;

		grace_cli_none_item(&it, o->inputs, o->ninputs);
		if ((grace_cli_none_judged(status, st.events + st.rejected,
		    o->allow_empty) && grace_report_add(R.rep, &it, &tail) < 0) ||
		    grace_report_finish(R.rep, &tail) < 0 || grace_cli_flush(&tail, NULL) < 0) {
			grace_err_sys(&e, "<stdout>", "unable to write");
			status = report(&e);
		}
		grace_buf_free(&tail);
	}
	if (o->strict && status == GRACE_EXIT_INPUT && st.rejected)
		fprintf(stderr, "%s: stopped at the first bad line (--strict)\n",
		    prog);
	status = grace_cli_metrics_end(stderr, prog, R.m, status);
	status = grace_cli_judged(stderr, prog, status, st.events + st.rejected,
	    o->allow_empty);
	stop_point();
	if (o->update_baseline && grace_contracts_save_baselines(R.c, &e) < 0)
		status = report(&e);
out:
	grace_pool_free(R.pool);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	grace_report_free(R.rep);
	grace_metrics_free(R.m);
	grace_vevent_free(R.v);
	grace_vctx_free(R.x);
	grace_buf_free(&R.json);
	grace_buf_free(&R.sum);
	grace_contracts_free(R.c);
	free(found);
	return status;
}

/* -------------------------------------------------------------- main */

static int
parse_count(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || !*s || *end || *v < lo || *v > hi ? -1 : 0;
}

int
main(int argc, char **argv)
{
	enum {
		O_CHECK = 256, O_STRICT, O_MAXLINE, O_UPDATE, O_INCONCLUSIVE,
		O_REQUIRE, O_CHAIN, O_CHECKPOINT, O_PUBKEY, O_STATE, O_METRICS,
		O_WITNESS, O_WITNESSES,
		O_ALLOWEMPTY,
	};
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		{ "update-baseline", no_argument, NULL, O_UPDATE },
		{ "inconclusive", required_argument, NULL, O_INCONCLUSIVE },
		{ "require-contract", no_argument, NULL, O_REQUIRE },
		{ "allow-empty", no_argument, NULL, O_ALLOWEMPTY },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "checkpoint", required_argument, NULL, O_CHECKPOINT },
		{ "pubkey", required_argument, NULL, O_PUBKEY },
		{ "witness", required_argument, NULL, O_WITNESS },
		{ "witnesses", required_argument, NULL, O_WITNESSES },
		{ "state", required_argument, NULL, O_STATE },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct event_opts eo;
	struct chain_opts co;
	const char *event_only = NULL, *chain_only = NULL, *ofmt = NULL;
	int c, status;
	long v;

	memset(&eo, 0, sizeof eo);
	memset(&co, 0, sizeof co);
	argv[0] = (char *)prog;
	eo.jobs = 1;
	eo.max_line = GRACE_LINES_DEFAULT_MAX;
	co.files = calloc((size_t)argc + 1, sizeof *co.files);
	co.cps = calloc((size_t)argc + 1, sizeof *co.cps);
	co.keys = calloc((size_t)argc + 1, sizeof *co.keys);
	co.witnesses = calloc((size_t)argc + 1, sizeof *co.witnesses);
	if (!co.files || !co.cps || !co.keys || !co.witnesses) {
		fprintf(stderr, "%s: unable to start: %s\n", prog, strerror(errno));
		return GRACE_EXIT_SYSTEM;
	}
	while ((c = getopt_long(argc, argv, "c:j:o:qhV", lo, NULL)) != -1) {
		switch (c) {
		case 'c': eo.config = optarg; event_only = "-c"; break;
		case O_CHECK: eo.check = 1; event_only = "--check"; break;
		case 'j':
			if (parse_count(optarg, 1, 256, &v) < 0) {
				status = usage_error("-j takes a number of jobs from "
				    "1 to 256, not '%s'", optarg);
				goto out;
			}
			eo.jobs = (int)v;
			event_only = "-j";
			break;
		case 'o': ofmt = optarg; event_only = "-o"; break;
		case O_STRICT: eo.strict = 1; event_only = "--strict"; break;
		case O_MAXLINE:
			if (parse_count(optarg, 1, 1L << 30, &v) < 0) {
				status = usage_error("--max-line takes a byte count "
				    "from 1 to 1073741824, not '%s'", optarg);
				goto out;
			}
			eo.max_line = (size_t)v;
			event_only = "--max-line";
			break;
		case O_UPDATE:
			eo.update_baseline = 1;
			event_only = "--update-baseline";
			break;
		case O_INCONCLUSIVE:
			if (strcmp(optarg, "fail") == 0)
				eo.inconclusive_ok = 0;
			else if (strcmp(optarg, "pass") == 0)
				eo.inconclusive_ok = 1;
			else {
				status = usage_error("--inconclusive takes fail or "
				    "pass, not '%s'", optarg);
				goto out;
			}
			event_only = "--inconclusive";
			break;
		case O_REQUIRE:
			eo.require = 1;
			event_only = "--require-contract";
			break;
		case O_ALLOWEMPTY:
			eo.allow_empty = 1;
			event_only = "--allow-empty";
			break;
		case O_CHAIN: co.files[co.nfiles++] = optarg; break;
		case O_CHECKPOINT:
			co.cps[co.ncps++] = optarg;
			chain_only = "--checkpoint";
			break;
		case O_PUBKEY:
			co.keys[co.nkeys++] = optarg;
			chain_only = "--pubkey";
			break;
		case O_WITNESS:
			co.witnesses[co.nwitnesses++] = optarg;
			chain_only = "--witness";
			break;
		case O_WITNESSES:
			if (parse_count(optarg, 1, 1000, &v) < 0) {
				status = usage_error("--witnesses takes a count "
				    "(1 or more), not '%s'", optarg);
				goto out;
			}
			co.min_witnesses = (size_t)v;
			chain_only = "--witnesses";
			break;
		case O_STATE: co.state = optarg; chain_only = "--state"; break;
		case O_METRICS: co.metrics = eo.metrics = optarg; break;
		case 'q': co.quiet = eo.quiet = 1; break;
		case 'h': usage(stdout); status = 0; goto out;
		case 'V':
			printf("grace-verify (grace) %s\n", GRACE_VERSION);
			status = 0;
			goto out;
		default: status = usage_error(NULL); goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (co.nfiles) {
		if (event_only) {
			status = usage_error("%s is for checking events; --chain "
			    "verifies a log", event_only);
			goto out;
		}
		if (optind < argc) {
			status = usage_error("--chain reads no events: unexpected "
			    "argument '%s' (give more segments with --chain)",
			    argv[optind]);
			goto out;
		}
		if (co.ncps && !co.nkeys) {
			status = usage_error("%s", "--checkpoint needs --pubkey KEY: "
			    "an unsigned checkpoint proves nothing");
			goto out;
		}
		status = run_chain(&co);
	} else {
		if (chain_only) {
			status = usage_error("%s needs --chain LOG", chain_only);
			goto out;
		}
		if (eo.check && ofmt) {
			if (strcmp(ofmt, "json") == 0)
				eo.check_json = 1;
			else if (strcmp(ofmt, "text") != 0) {
				status = usage_error("--check writes text or json "
				    "(-o json), not '%s'", ofmt);
				goto out;
			}
		} else if (ofmt && grace_report_fmt_parse(ofmt, &eo.fmt) < 0) {
			status = usage_error("-o takes ndjson, text, tap, junit or "
			    "github, not '%s'", ofmt);
			goto out;
		}
		if (eo.check && optind < argc) {
			status = usage_error("%s", "--check reads no input files");
			goto out;
		}
		eo.inputs = argv + optind;
		eo.ninputs = (size_t)(argc - optind);
		status = run_events(&eo);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: <stdout>: unable to write: %s\n", prog,
		    strerror(errno));
		status = GRACE_EXIT_SYSTEM;
	}
out:
	free(co.files);
	free(co.cps);
	free(co.keys);
	free(co.witnesses);
	return status;
}
