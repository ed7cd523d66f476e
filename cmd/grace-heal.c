/* grace-heal - the immune system (man/grace-heal.1; the detectors file in
 * man/grace-detectors.5). Options, the filter callback, the timer, the
 * signal thread and the summary only: detection lives in lib/heal/.
 *
 * The run is split by side: detect_event() is the detection side (the
 * detectors over each event, grace.heal spliced in, anomaly events after
 * the event that caused them); the playbook and governance side is to be
 * added beside it, fed with the anomaly events detection emits. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "fileutil.h"
#include "filter.h"
#include "heal/heal.h"
#include "json.h"
#include "reject.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-heal";

enum { K_GRACE, K_ID, K_TIME, K_N };

#define FLUSH_AT (64u * 1024)
#define SAVE_EVERY_MS 5000.0
#define STATE_MAX (1024u * 1024 * 1024)

struct ctx {
	const struct grace_detectors *dets;
	struct grace_detect *det;
	pthread_mutex_t mu;            /* the state and obuf */
	struct grace_buf obuf;         /* what goes to stdout */
	struct grace_buf ann, ex, pend, save;
	int explain, quiet, interactive;
	char *state_path;              /* DIR/detect.json, or NULL */
	int lock_fd;
	/* the virtual clock: the last event's time, advanced by the
	 * monotonic clock while input is silent */
	int have_time;
	int64_t last_ms;
	double last_mono, last_save;
	atomic_int shutting;
	int worst;
	unsigned long long events, annotated, detected, resolved, errors,
	    rejected;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grace-heal --detect [-d FILE] [--state DIR] [--explain] [--strict]\n"
	    "                  [-q] [FILE...]\n"
	    "       grace-heal [-d FILE] --check\n"
	    "\n"
	    "Watch events for anomalies with the detectors of the detectors file, pass\n"
	    "each event on (annotated with grace.heal when a detector selected it) and\n"
	    "emit anomaly.detected, anomaly.flapping and anomaly.resolved events after\n"
	    "the event that caused them. Absence timers fire while input is silent.\n"
	    "Without --detect, grace-heal detects (proposing healings is not built).\n"
	    "\n"
	    "      --detect        run the detectors (the default, for now)\n"
	    "  -d, --detectors FILE  the detectors file (default: detectors.yaml on the\n"
	    "                      search path: $GRACE_CONFIG_DIR, ./config,\n"
	    "                      ~/.config/grace, /etc/grace)\n"
	    "      --state DIR     keep detection state in DIR/detect.json: restored at\n"
	    "                      start, saved every 5 seconds, at the end and on\n"
	    "                      SIGTERM or SIGINT\n"
	    "      --explain       every detector consulted for each event and what it\n"
	    "                      found, on stderr\n"
	    "      --strict        stop at the first bad input line\n"
	    "  -q, --quiet         only errors: no closing summary, no --check line\n"
	    "      --check         validate the detectors file and exit\n"
	    "  -h, --help          this help;  -V, --version  the version\n"
	    "\n"
	    "Exit status: 0 no anomaly detected, 1 some anomaly detected, 2 usage or\n"
	    "configuration error, 3 bad input line, 4 system error. See grace-heal(1),\n"
	    "grace-detectors(5).\n");
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

static int
out_flush(struct ctx *c, struct grace_err *e)
{
	if (c->obuf.len && grace_write_all(STDOUT_FILENO, c->obuf.p,
	    c->obuf.len) < 0)
		return grace_err_sys(e, "<stdout>", "unable to write");
	grace_buf_reset(&c->obuf);
	return 0;
}

static int
input_waiting(void)
{
	struct pollfd pf = { STDIN_FILENO, POLLIN, 0 };

	return poll(&pf, 1, 0) > 0;
}

static int64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Now on the virtual clock: the last event's time plus how long input
 * has been silent since; the clock's before any event. */
static int64_t
virtual_now(const struct ctx *c)
{
	if (!c->have_time)
		return clock_ms();
	return c->last_ms + (int64_t)(grace_mono_ms() - c->last_mono);
}

/* An anomaly event: counted, and queued in the buffer arg names. */
struct emit_to {
	struct ctx *c;
	struct grace_buf *b;
};

static int
on_emit(void *arg, const char *ev, size_t n, struct grace_err *e)
{
	struct emit_to *t = arg;

	if (n > 24 && memmem(ev, n < 120 ? n : 120, "\"anomaly.resolved\"",
	    18))
		t->c->resolved++;
	else
		t->c->detected++;
	if (grace_buf_add(t->b, ev, n) < 0 || grace_buf_add(t->b, "\n", 1) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return 0;
}

/* Save the state (mu held). */
static int
save_state(struct ctx *c, struct grace_err *e)
{
	if (!c->state_path)
		return 0;
	grace_buf_reset(&c->save);
	if (grace_detect_save(c->det, &c->save, e) < 0 ||
	    grace_atomic_write(c->state_path, c->save.p, c->save.len, 0600,
	    e) < 0)
		return -1;
	c->last_save = grace_mono_ms();
	return 0;
}

static void
on_bad_line(void *vc, const struct grace_err *bad)
{
	struct ctx *c = vc;

	grace_err_print(stderr, prog, bad);
	pthread_mutex_lock(&c->mu);
	c->rejected++;
	worse(c, GRACE_EXIT_INPUT);
	if (grace_reject_json(&c->obuf, prog, bad) < 0)
		fprintf(stderr, "%s: out of memory\n", prog);
	pthread_mutex_unlock(&c->mu);
}

/* The event's time in Unix ms: its `time` when that is an RFC 3339 time,
 * else the clock's. */
static int64_t
event_ms(const struct grace_event *ev)
{
	const struct grace_jspan *t = &ev->found[K_TIME];
	struct timespec ts;

	if (t->kind != GRACE_J_STRING || t->len < 2 ||
	    grace_time_parse(ev->p + t->off + 1, t->len - 2, &ts, NULL) < 0)
		return clock_ms();
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The detection side of one event (mu held): timers due before it, the
 * detectors, the event with grace.heal, then the anomalies it caused,
 * all appended to obuf. Returns the event's status or -1. */
static int
detect_event(struct ctx *c, const struct grace_event *ev, int64_t now,
    struct grace_err *e)
{
	struct emit_to before = { c, &c->obuf }, after = { c, &c->pend };
	struct grace_buf *ex = c->explain ? &c->ex : NULL;
	struct grace_err je;
	int r, status = GRACE_EXIT_OK;

	if (grace_detect_tick(c->det, now, on_emit, &before, e) < 0)
		return -1;
	grace_buf_reset(&c->ann);
	grace_buf_reset(&c->pend);
	if (ex) {
		grace_buf_reset(ex);
		grace_buf_addf(ex, "%s: %s:%lu: event\n", prog, ev->input,
		    ev->line);
	}
	je.code = 0;
	je.msg[0] = 0;
	r = grace_detect_event(c->det, ev->p, ev->n, now, &c->ann, ex,
	    on_emit, &after, &je);
	if (r < 0) {
		if (je.code != GRACE_EXIT_INPUT) {
			*e = je;
			return -1;
		}
		/* a jq condition failed on this event: said, and the event
		 * passes on without an annotation */
		grace_err_print(stderr, prog, &je);
		c->errors++;
		status = GRACE_EXIT_INPUT;
	}
	if (ex && ex->len && fwrite(ex->p, 1, ex->len, stderr) != ex->len)
		return grace_err_sys(e, "<stderr>", "unable to write");
	if (r == 1) {
		c->annotated++;
		if (grace_json_splice_grace(&c->obuf, ev->p, ev->n,
		    &ev->found[K_GRACE], "heal", c->ann.p, c->ann.len) < 0)
			return grace_err_sys(e, NULL, "out of memory");
	} else if (grace_buf_add(&c->obuf, ev->p, ev->n) < 0) {
		return grace_err_sys(e, NULL, "out of memory");
	}
	if (grace_buf_add(&c->obuf, "\n", 1) < 0 ||
	    grace_buf_add(&c->obuf, c->pend.p ? c->pend.p : "",
	    c->pend.len) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return status;
}

static int
on_event(void *vc, const struct grace_event *ev, struct grace_buf *unused,
    struct grace_err *e)
{
	struct ctx *c = vc;
	int64_t now = event_ms(ev);
	int status;

	(void)unused;
	pthread_mutex_lock(&c->mu);
	c->events++;
	c->have_time = 1;
	c->last_ms = now;
	/* the clock is read when it matters: input that can fall silent
	 * (the virtual clock), and every 1024 events for the saves */
	if (c->interactive || (c->state_path && (c->events & 1023) == 0))
		c->last_mono = grace_mono_ms();
	status = detect_event(c, ev, now, e);
	if (status >= 0 && c->state_path &&
	    c->last_mono - c->last_save >= SAVE_EVERY_MS &&
	    save_state(c, e) < 0)
		status = -1;
	if (status >= 0 && (c->obuf.len >= FLUSH_AT ||
	    (c->interactive && !input_waiting())) && out_flush(c, e) < 0)
		status = -1;
	if (status >= 0)
		worse(c, status);
	pthread_mutex_unlock(&c->mu);
	return status;
}

/* The filter's timer: the next absence (or rate, flapping) timer on the
 * virtual clock, or the next state save. */
static long long
timer_wait(void *vc)
{
	struct ctx *c = vc;
	int64_t due, now;
	long long w = -1;

	pthread_mutex_lock(&c->mu);
	due = grace_detect_next_timer(c->det);
	if (due != INT64_MAX) {
		now = virtual_now(c);
		w = due > now ? (long long)(due - now) : 0;
	}
	if (c->state_path) {
		double s = c->last_save + SAVE_EVERY_MS - grace_mono_ms();
		long long ws = s > 0 ? (long long)s + 1 : 0;

		if (w < 0 || ws < w)
			w = ws;
	}
	pthread_mutex_unlock(&c->mu);
	return w;
}

static int
timer_fire(void *vc, struct grace_buf *unused, struct grace_err *e)
{
	struct ctx *c = vc;
	struct emit_to to = { c, &c->obuf };
	int r = 0;

	(void)unused;
	pthread_mutex_lock(&c->mu);
	if (grace_detect_tick(c->det, virtual_now(c), on_emit, &to, e) < 0)
		r = -1;
	if (r == 0 && c->state_path &&
	    grace_mono_ms() - c->last_save >= SAVE_EVERY_MS)
		r = save_state(c, e);
	if (r == 0)
		r = out_flush(c, e);
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* The end (mu held): save, flush, summary; returns the exit status. */
static int
finish(struct ctx *c, const char *why)
{
	struct grace_err e;
	int status = c->worst;

	grace_err_clear(&e);
	if (save_state(c, &e) < 0) {
		grace_err_print(stderr, prog, &e);
		status = GRACE_EXIT_SYSTEM;
	}
	if (out_flush(c, &e) < 0) {
		grace_err_print(stderr, prog, &e);
		status = GRACE_EXIT_SYSTEM;
	}
	if (status == GRACE_EXIT_OK && c->detected)
		status = GRACE_EXIT_NEGATIVE;
	if (!c->quiet) {
		if (why)
			fprintf(stderr, "%s: %s: stopped reading; state saved\n",
			    prog, why);
		fprintf(stderr, "%llu events, %llu annotated, %llu anomalies "
		    "detected, %llu resolved, %llu errors\n",
		    c->events + c->rejected, c->annotated, c->detected,
		    c->resolved, c->errors + c->rejected);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		status = GRACE_EXIT_SYSTEM;
	return status;
}

static sigset_t stop_sigs;

/* SIGTERM, SIGINT: stop, save the state, write what was processed,
 * exit. The main thread may be blocked in read() or poll(); it is never
 * joined. */
static void *
signal_thread(void *arg)
{
	struct ctx *c = arg;
	int sig, status, expected = 0;

	for (;;) {
		if (sigwait(&stop_sigs, &sig) != 0)
			continue;
		if (!atomic_compare_exchange_strong(&c->shutting, &expected, 1))
			return NULL; /* the main thread is already finishing */
		pthread_mutex_lock(&c->mu);
		status = finish(c, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		fflush(stderr);
		_exit(status);
	}
}

static int
run_check(const struct grace_detectors *d, const char *path, int quiet)
{
	struct grace_detectors_summary s;
	const struct { const char *name; size_t n; } k[] = {
		{ "threshold", 0 }, { "flapping", 0 }, { "spike", 0 },
		{ "rate", 0 }, { "absence", 0 }, { "drift", 0 },
		{ "integrity", 0 },
	};
	size_t n[7], i, shown = 0;

	if (quiet)
		return GRACE_EXIT_OK;
	grace_detectors_summary(d, &s);
	n[0] = s.threshold;
	n[1] = s.flapping;
	n[2] = s.spike;
	n[3] = s.rate;
	n[4] = s.absence;
	n[5] = s.drift;
	n[6] = s.integrity;
	printf("%s: ok: %zu detector%s (", path, s.detectors,
	    s.detectors == 1 ? "" : "s");
	for (i = 0; i < 7; i++)
		if (n[i])
			printf("%s%zu %s", shown++ ? ", " : "", n[i], k[i].name);
	printf("), %zu jq condition%s\n", s.jq_conditions,
	    s.jq_conditions == 1 ? "" : "s");
	return GRACE_EXIT_OK;
}

/* --state DIR: made if missing, locked against a second grace-heal,
 * and its detect.json restored. Returns 0 or an exit status. */
static int
open_state(struct ctx *c, const char *dir)
{
	struct grace_err e;
	struct grace_buf p = {0};
	char *doc;
	size_t n;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		grace_err_sys(&e, dir, "unable to make the state directory");
		return grace_cli_report(stderr, prog, &e);
	}
	if (grace_buf_addf(&p, "%s/detect.lock", dir) < 0)
		return GRACE_EXIT_SYSTEM;
	c->lock_fd = open(p.p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd < 0) {
		grace_err_sys(&e, p.p, "unable to open");
		grace_buf_free(&p);
		return grace_cli_report(stderr, prog, &e);
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "%s: %s: the state directory is in use by "
		    "another grace-heal\n", prog, dir);
		grace_buf_free(&p);
		return GRACE_EXIT_SYSTEM;
	}
	grace_buf_reset(&p);
	if (grace_buf_addf(&p, "%s/detect.json", dir) < 0)
		return GRACE_EXIT_SYSTEM;
	c->state_path = p.p;
	if (!(doc = grace_read_file(p.p, STATE_MAX, &n, &e))) {
		if (errno == ENOENT)
			return 0;
		return grace_cli_report(stderr, prog, &e);
	}
	if (grace_detect_restore(c->det, doc, n, p.p, &e) < 0) {
		free(doc);
		return grace_cli_report(stderr, prog, &e);
	}
	free(doc);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_DETECT = 256, O_STATE, O_EXPLAIN, O_STRICT, O_CHECK };
	static const struct option lo[] = {
		{ "detect", no_argument, NULL, O_DETECT },
		{ "detectors", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, O_STATE },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	static const char *const keys[K_N] = { "grace", "id", "time" };
	struct grace_filter_opts fo;
	struct grace_err e;
	struct grace_detectors *dets;
	struct ctx c;
	struct stat st;
	const char *cfg = NULL, *state = NULL;
	char *found = NULL;
	pthread_t sth;
	int opt, check = 0, strict = 0, status, devnull = -1, expected = 0;
	int have_sth = 0;

	memset(&c, 0, sizeof c);
	c.lock_fd = -1;
	pthread_mutex_init(&c.mu, NULL);
	argv[0] = (char *)prog;
	while ((opt = getopt_long(argc, argv, "d:qhV", lo, NULL)) != -1) {
		switch (opt) {
		case O_DETECT: break; /* the only mode there is, for now */
		case 'd': cfg = optarg; break;
		case O_STATE: state = optarg; break;
		case O_EXPLAIN: c.explain = 1; break;
		case O_STRICT: strict = 1; break;
		case 'q': c.quiet = 1; break;
		case O_CHECK: check = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("grace-heal (grace) %s\n", GRACE_VERSION);
			return 0;
		default: return usage_error(NULL);
		}
	}
	if (check && optind < argc)
		return usage_error("%s", "--check reads no input files");
	if (check && state)
		return usage_error("%s", "--check keeps no state: drop --state");
	if (state && !*state)
		return usage_error("%s", "--state takes a directory, not ''");
	if (!cfg && !(cfg = found = grace_config_find("detectors.yaml", &e)))
		return grace_cli_report(stderr, prog, &e);
	if (!(dets = grace_detectors_load(cfg, &e))) {
		status = grace_cli_report_load(stderr, prog, &e, cfg);
		free(found);
		return status;
	}
	if (check) {
		status = run_check(dets, cfg, c.quiet);
		goto done;
	}
	c.dets = dets;
	if (!(c.det = grace_detect_new(dets))) {
		grace_err_sys(&e, NULL, "unable to start");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (state && (status = open_state(&c, state)) != 0)
		goto done;
	signal(SIGPIPE, SIG_IGN);
	atomic_init(&c.shutting, 0);
	c.last_save = grace_mono_ms();
	c.interactive = fstat(STDIN_FILENO, &st) < 0 || !S_ISREG(st.st_mode);
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	if (pthread_create(&sth, NULL, signal_thread, &c) == 0)
		have_sth = 1;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		grace_err_sys(&e, "/dev/null", "unable to open");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	memset(&fo, 0, sizeof fo);
	fo.prog = prog;
	fo.strict = strict;
	fo.keys = keys;
	fo.nkeys = K_N;
	fo.out_fd = devnull;
	fo.no_reject_records = 1;
	fo.check_grace = 1;
	fo.timer_wait = timer_wait;
	fo.timer_fire = timer_fire;
	grace_err_clear(&e);
	status = grace_filter_run(&fo, argv + optind, (size_t)(argc - optind),
	    on_event, on_bad_line, &c, NULL, &e);
	pthread_mutex_lock(&c.mu);
	if (status == GRACE_EXIT_SYSTEM) {
		grace_err_print(stderr, prog, &e);
		c.worst = GRACE_EXIT_SYSTEM;
	}
	pthread_mutex_unlock(&c.mu);
	if (!atomic_compare_exchange_strong(&c.shutting, &expected, 1)) {
		/* a signal came first: its thread finishes and exits */
		for (;;)
			pause();
	}
	pthread_mutex_lock(&c.mu);
	status = finish(&c, NULL);
	pthread_mutex_unlock(&c.mu);
done:
	if (have_sth) {
		atomic_store(&c.shutting, 1);
		pthread_kill(sth, SIGTERM);
		pthread_join(sth, NULL);
	}
	if (devnull >= 0)
		close(devnull);
	if (c.lock_fd >= 0)
		close(c.lock_fd);
	pthread_mutex_destroy(&c.mu);
	grace_detect_free(c.det);
	grace_buf_free(&c.obuf);
	grace_buf_free(&c.ann);
	grace_buf_free(&c.ex);
	grace_buf_free(&c.pend);
	grace_buf_free(&c.save);
	free(c.state_path);
	grace_detectors_free(dets);
	free(found);
	if (fflush(stdout) != 0 || ferror(stdout))
		status = GRACE_EXIT_SYSTEM;
	return status;
}
