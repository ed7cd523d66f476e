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
#include "gate/gate.h"
#include "heal/heal.h"
#include "jpath.h"
#include "json.h"
#include "metrics.h"
#include "ready.h"
#include "reject.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-heal";

enum { K_GRACE, K_ID, K_TIME, K_TYPE, K_N };

#define FLUSH_AT (64u * 1024)
#define SAVE_EVERY_MS 5000.0
#define STATE_MAX (1024u * 1024 * 1024)

struct ctx {
	const struct grace_detectors *dets;
	struct grace_detect *det;
	pthread_mutex_t mu;            /* the state and obuf */
	int mu_held;                   /* the main thread holds mu across
	                                  events (hold(), let_go()) */
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
	/* the healing side (not with --detect): proposals; with --execute,
	 * the runs */
	int detect_only, execute;
	struct grace_playbooks *pbs;
	struct grace_hgov *hgov;
	struct grace_hlearn *learn;
	struct grace_htrust *trust;
	struct grace_gov *gate;        /* --governance */
	struct grace_votes *votes;     /* the stream's, then --votes files' */
	struct grace_hexec x;
	char *gov_path, *learn_path, *snap_dir;
	struct grace_buf hx, run, prop, hann, tmp;
	unsigned long long proposed, escalated, refused, held, ran[4];
	/* --metrics (under mu) */
	struct grace_metrics *metrics;
	char **dlabels;                /* detector="id", per detector */
	size_t *open;                  /* scratch: open anomalies per detector */
	const char *verdict;           /* what became of the event */
	/* the last `time` parsed (tlen 0: none) and its Unix ms */
	char tstr[64];
	size_t tlen;
	int64_t tms;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grace-heal [-d FILE] [-p PATH]... [--state DIR] [--explain] [--strict]\n"
	    "                  [--metrics FILE] [-q] [FILE...]\n"
	    "       grace-heal --execute --state DIR [-d FILE] [-p PATH]...\n"
	    "                  [--governance FILE [--votes FILE]...] [--trust FILE] [FILE...]\n"
	    "       grace-heal --detect [-d FILE] [--state DIR] [FILE...]\n"
	    "       grace-heal [-d FILE] [-p PATH]... [--state DIR] [--metrics FILE]\n"
	    "                  --check [-o json]\n"
	    "       grace-heal [-p PATH]... --test CASES [-o text|tap|junit|github]\n"
	    "\n"
	    "Watch events for anomalies with the detectors of the detectors file, pass\n"
	    "each event on (annotated with grace.heal when a detector selected it), emit\n"
	    "anomaly.detected, anomaly.flapping and anomaly.resolved events after the\n"
	    "event that caused them, and for each anomaly a healing.proposed event (the\n"
	    "playbook that matches it) or a healing.escalated one saying why none.\n"
	    "Nothing runs unless --execute: then a healing.proposed event runs only if\n"
	    "the governance file allows it (and grace-gate's grace.gate verdict, if it\n"
	    "has one, too), before it expires, once, within its playbook's budget,\n"
	    "cool-down, breaker and loop guard. Absence timers fire while input is silent.\n"
	    "\n"
	    "  -d, --detectors FILE  the detectors file (default: detectors.yaml on the\n"
	    "                      search path: $GRACE_CONFIG_DIR, ./config,\n"
	    "                      ~/.config/grace, /etc/grace)\n"
	    "  -p, --playbooks PATH  a playbook file, or a directory of them (repeatable;\n"
	    "                      default: ./playbooks, else playbooks on the search path)\n"
	    "      --detect        detection only: no playbooks, no proposals\n"
	    "      --execute       run the proposals governance allowed (needs --state\n"
	    "                      and a governance file)\n"
	    "      --governance FILE  the grace-gate governance file --execute judges\n"
	    "                      each proposal by (default: governance.yaml on the\n"
	    "                      search path); a grace.gate verdict upstream can\n"
	    "                      only make it stricter\n"
	    "      --votes FILE    governance.vote events for --governance (repeatable);\n"
	    "                      votes in the stream count as well\n"
	    "      --trust FILE    a trust file naming an overlay: each run's outcome\n"
	    "                      adjusts the component's trust there\n"
	    "      --state DIR     keep state in DIR (detection, budgets, breakers, held\n"
	    "                      proposals, knowledge, snapshots): restored at start,\n"
	    "                      saved every 5 seconds, at the end and on SIGTERM\n"
	    "      --explain       every detector consulted for each event and what it\n"
	    "                      found, on stderr\n"
	    "      --strict        stop at the first bad input line\n"
	    "      --metrics FILE  write Prometheus textfile metrics to FILE (atomically,\n"
	    "                      every 5 seconds and at the end): events by verdict,\n"
	    "                      bad lines, latency, open anomalies per detector,\n"
	    "                      anomalies detected and resolved, healings by outcome\n"
	    "  -q, --quiet         only errors: no closing summary, no --check line\n"
	    "      --check         readiness: the detectors and playbook files valid, every\n"
	    "                      command a playbook or its verify contract runs found,\n"
	    "                      --state DIR and --metrics writable with room; -o json:\n"
	    "                      one object; exit 0 ready, 1 not ready, 2 configuration\n"
	    "                      error\n"
	    "      --test CASES    run a playbook test file (which playbook each anomaly\n"
	    "                      selects); -o text, tap, junit or github; exit 1 if\n"
	    "                      a case fails\n"
	    "  -h, --help          this help;  -V, --version  the version\n"
	    "\n"
	    "Exit status: 0 no anomaly, or every healing verified; 1 an anomaly detected,\n"
	    "a healing not run or not verified; 2 usage or configuration error, 3 bad\n"
	    "input line, 4 system error. See grace-heal(1), grace-detectors(5),\n"
	    "grace-playbook(5).\n");
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

/* --metrics: the families of grace-heal, declared once. */
static const struct {
	const char *name, *type, *help;
} hfam[] = {
	{ "grace_heal_open_anomalies", "gauge",
	  "Anomalies open now, by detector." },
	{ "grace_heal_anomalies_detected_total", "counter",
	  "Anomalies detected (anomaly.detected, anomaly.flapping), by "
	  "detector." },
	{ "grace_heal_anomalies_resolved_total", "counter",
	  "Anomalies resolved (anomaly.resolved), by detector." },
	{ "grace_heal_proposals_total", "counter",
	  "Healings proposed (healing.proposed made)." },
	{ "grace_heal_escalations_total", "counter",
	  "healing.escalated events made: no playbook, a policy refusal, or "
	  "a run that escalated." },
	{ "grace_heal_healings_total", "counter",
	  "Healings by outcome: runs verified, failed, rolled_back or "
	  "escalated; proposals held for approval or rejected." },
};

static int
metrics_start(struct ctx *c, const struct grace_detectors *d,
    const char *path)
{
	struct grace_buf l = {0};
	size_t i, n = grace_detectors_count(d);

	if (!(c->metrics = grace_metrics_new(prog, path)) ||
	    !(c->dlabels = calloc(n + 1, sizeof *c->dlabels)) ||
	    !(c->open = calloc(n + 1, sizeof *c->open)))
		return -1;
	for (i = 0; i < sizeof hfam / sizeof *hfam; i++)
		if (grace_metrics_family(c->metrics, hfam[i].name, hfam[i].type,
		    hfam[i].help) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		grace_buf_reset(&l);
		if (grace_metrics_label(&l, "detector", grace_detectors_id(d,
		    i)) < 0 || !(c->dlabels[i] = strdup(l.p)) ||
		    grace_metrics_add(c->metrics, "grace_heal_anomalies_detected_total",
		    l.p, 0) < 0 ||
		    grace_metrics_add(c->metrics, "grace_heal_anomalies_resolved_total",
		    l.p, 0) < 0) {
			grace_buf_free(&l);
			return -1;
		}
	}
	grace_buf_free(&l);
	return 0;
}

/* An anomaly event detection made: counted under its detector. */
static int
metrics_anomaly(struct ctx *c, const char *ev, size_t n, int resolved)
{
	static char *const seg[] = { "data", "detector" };
	struct grace_buf id = {0}, tmp = {0}, l = {0};
	int r = 0;

	if (grace_jpath_text(ev, n, seg, 2, &id, &tmp) > 0 &&
	    grace_metrics_label(&l, "detector", id.p) == 0)
		r = grace_metrics_add(c->metrics, resolved ?
		    "grace_heal_anomalies_resolved_total" :
		    "grace_heal_anomalies_detected_total", l.p, 1);
	grace_buf_free(&id);
	grace_buf_free(&tmp);
	grace_buf_free(&l);
	return r;
}

/* What the metrics read from elsewhere (mu held): the anomalies open now,
 * the healings' counts. Returns 0 or -1. */
static int
metrics_refresh(struct ctx *c)
{
	static const char *const rl[] = { "outcome=\"verified\"",
		"outcome=\"failed\"", "outcome=\"rolled_back\"",
		"outcome=\"escalated\"" };
	struct grace_metrics *m = c->metrics;
	size_t i;
	int x = 0;

	grace_detect_open_counts(c->det, c->open);
	for (i = 0; i < grace_detectors_count(c->dets); i++)
		x |= grace_metrics_set(m, "grace_heal_open_anomalies",
		    c->dlabels[i], (double)c->open[i]);
	if (c->detect_only)
		return x ? -1 : 0;
	x |= grace_metrics_set(m, "grace_heal_proposals_total", "",
	    (double)c->proposed);
	x |= grace_metrics_set(m, "grace_heal_escalations_total", "",
	    (double)c->escalated);
	for (i = 0; i < 4; i++)
		x |= grace_metrics_set(m, "grace_heal_healings_total", rl[i],
		    (double)c->x.outcomes[i]);
	x |= grace_metrics_set(m, "grace_heal_healings_total",
	    "outcome=\"held\"", (double)c->held);
	x |= grace_metrics_set(m, "grace_heal_healings_total",
	    "outcome=\"rejected\"", (double)c->refused);
	return x ? -1 : 0;
}

/* Lines in b[from..) (what was written meanwhile). */
static uint64_t
lines_since(const struct grace_buf *b, size_t from)
{
	const char *p, *end;
	uint64_t n = 0;

	if (!b->p)
		return 0;
	p = b->p + from;
	end = b->p + b->len;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

/* The file, if due (mu held). Returns 0 or -1 (e filled). */
static int
metrics_tick(struct ctx *c, struct grace_err *e)
{
	if (!grace_metrics_due(c->metrics))
		return 0;
	if (metrics_refresh(c) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return grace_metrics_write(c->metrics, e);
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
	int resolved = n > 24 && memmem(ev, n < 120 ? n : 120,
	    "\"anomaly.resolved\"", 18);

	if (resolved)
		t->c->resolved++;
	else
		t->c->detected++;
	if (t->c->metrics && metrics_anomaly(t->c, ev, n, resolved) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if (grace_buf_add(t->b, ev, n) < 0 || grace_buf_add(t->b, "\n", 1) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return 0;
}

/* Save the state (mu held); the detection state only when its events
 * were written (detection), the healings' always: what ran must never
 * run twice. */
static int
save_state_of(struct ctx *c, int detection, struct grace_err *e)
{
	if (!c->state_path)
		return 0;
	grace_buf_reset(&c->save);
	if (detection && (grace_detect_save(c->det, &c->save, e) < 0 ||
	    grace_atomic_write(c->state_path, c->save.p, c->save.len, 0600,
	    e) < 0))
		return -1;
	if (c->hgov && c->gov_path) {
		grace_buf_reset(&c->save);
		if (grace_hgov_save(c->hgov, &c->save) < 0)
			return grace_err_sys(e, c->gov_path, "out of memory");
		if (grace_atomic_write(c->gov_path, c->save.p, c->save.len, 0600,
		    e) < 0)
			return -1;
	}
	if (c->learn && c->learn_path &&
	    grace_hlearn_save(c->learn, c->learn_path, e) < 0)
		return -1;
	c->last_save = grace_mono_ms();
	return 0;
}

static int
save_state(struct ctx *c, struct grace_err *e)
{
	return save_state_of(c, 1, e);
}

/* The main thread takes mu at the first event of a run of them and
 * keeps it until the filter may wait (let_go(), its idle callback):
 * once per read rather than twice per event. The signal thread takes
 * mu whenever the main thread does not hold it, as before. */
static inline void
hold(struct ctx *c)
{
	if (!c->mu_held) {
		pthread_mutex_lock(&c->mu);
		c->mu_held = 1;
	}
}

static void
let_go(void *vc)
{
	struct ctx *c = vc;

	if (c->mu_held) {
		c->mu_held = 0;
		pthread_mutex_unlock(&c->mu);
	}
}

static void
on_bad_line(void *vc, const struct grace_err *bad)
{
	struct ctx *c = vc;

	grace_err_print(stderr, prog, bad);
	hold(c);
	c->rejected++;
	worse(c, GRACE_EXIT_INPUT);
	if (c->metrics)
		grace_metrics_bad_line(c->metrics, 1);
	if (grace_reject_json(&c->obuf, prog, bad) < 0)
		fprintf(stderr, "%s: out of memory\n", prog);
}

/* The event's time in Unix ms: its `time` when that is an RFC 3339 time,
 * else the clock's. */
/* memcmp(a, b, n) == 0 for the short texts of a time, by words: the
 * last word overlaps the one before it rather than reading past n. */
static inline int
same_text(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	size_t i;

	if (n < 8)
		return memcmp(a, b, n) == 0;
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return 0;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

static int64_t
event_ms(struct ctx *c, const struct grace_event *ev)
{
	const struct grace_jspan *t = &ev->found[K_TIME];
	const char *s = ev->p + t->off + 1;
	size_t n = t->len - 2;
	struct timespec ts;
	int64_t ms;

	if (t->kind != GRACE_J_STRING || t->len < 2)
		return clock_ms();
	/* a stream repeats a time (events of the same second or ms): the
	 * same bytes parse to the same time, so the last parse is reused */
	if (c->tlen && n == c->tlen && same_text(s, c->tstr, n))
		return c->tms;
	if (grace_time_parse(s, n, &ts, NULL) < 0)
		return clock_ms();
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (n <= sizeof c->tstr) {
		memcpy(c->tstr, s, n);
		c->tlen = n;
		c->tms = ms;
	}
	return ms;
}

/* ------------------------------------------------------ the heal side */

/* Events the executor and the runs make: queued in c->run, counted. */
static int
on_heal_emit(void *arg, const char *ev, size_t n, struct grace_err *e)
{
	struct ctx *c = arg;
	const char *t = memmem(ev, n < 200 ? n : 200, "\"type\":\"", 8);

	if (t && strncmp(t + 8, "healing.escalated\"", 18) == 0)
		c->escalated++;
	else if (t && strncmp(t + 8, "healing.rejected\"", 17) == 0)
		c->refused++;
	if (grace_buf_add(&c->run, ev, n) < 0 || grace_buf_add(&c->run, "\n",
	    1) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return 0;
}

static int64_t
exec_clock(void *arg)
{
	(void)arg;
	return clock_ms();
}

/* The text of a member path of p[0..n) into b ("" when absent). */
static void
member_text(const char *p, size_t n, char *const *segs, size_t nsegs,
    struct grace_buf *b, struct grace_buf *tmp)
{
	if (grace_jpath_text(p, n, segs, nsegs, b, tmp) < 0)
		grace_buf_reset(b);
}

static int
type_is(const char *p, size_t n, const char *type, struct grace_buf *b,
    struct grace_buf *tmp)
{
	static char *const seg[] = { "type" };

	member_text(p, n, seg, 1, b, tmp);
	return b->p && strcmp(b->p, type) == 0;
}

/* p[0..n), an object, with extra (",\"k\":v") put before its closing
 * brace, appended to out. */
static int
with_member(struct grace_buf *out, const char *p, size_t n, const char *extra,
    size_t xn)
{
	while (n && p[n - 1] != '}')
		n--;
	if (!n)
		return -1;
	return grace_buf_add(out, p, n - 1) | grace_buf_add(out, extra, xn) |
	    grace_buf_add(out, "}", 1);
}

/* Run one proposal the executor got (the stream's, or our own with
 * --governance): the proposal with grace.heal (what became of it), then
 * the events of the run, appended to out. Returns the status. */
static int
execute(struct ctx *c, const char *p, size_t n, const struct grace_jspan *g,
    struct grace_buf *out, struct grace_err *e)
{
	static const char *const keys[] = { "grace" };
	struct grace_jspan gs;
	int r;

	grace_buf_reset(&c->hann);
	grace_buf_reset(&c->run);
	c->x.src = NULL;
	r = grace_hexec_proposal(&c->x, p, n, clock_ms(), &c->hann, e);
	if (r < 0)
		return -1;
	/* Held for approval: not run (yet), so not healed: exit 1. */
	if (strstr(c->hann.p, "\"execution\":\"held\"")) {
		c->held++;
		r = 1;
	}
	if (!g) {
		if (grace_json_scan(p, n, keys, 1, &gs, NULL, 0, NULL) < 0)
			return grace_err_sys(e, NULL, "a proposal that is not "
			    "JSON");
		g = &gs;
	}
	if (grace_json_splice_grace(out, p, n, g, "heal", c->hann.p,
	    c->hann.len) < 0 || grace_buf_add(out, "\n", 1) < 0 ||
	    grace_buf_add(out, c->run.p ? c->run.p : "", c->run.len) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return r ? GRACE_EXIT_NEGATIVE : GRACE_EXIT_OK;
}

/* One anomaly event p[0..n) (ours, or one from the stream without
 * grace.heal), caused by the event cause (may be NULL: a timer): it goes
 * out with grace.heal, the healing proposed for it (or the escalation
 * saying why none) after it, and with --execute --governance the run.
 * Appended to out. Returns the status or -1. */
static int
heal_anomaly(struct ctx *c, const char *p, size_t n,
    const struct grace_event *cause, int64_t now, struct grace_buf *out,
    struct grace_err *e)
{
	static char *const cseg[] = { "causation" };
	struct grace_hanomaly a;
	struct grace_buf *ev = &c->hx;
	int resolved, status = GRACE_EXIT_OK;
	struct grace_jspan cs, gs;
	static const char *const gk[] = { "grace" };

	memset(&a, 0, sizeof a);
	grace_buf_reset(ev);
	/* caused by a healing's event: the anomaly says so (loop guard) */
	if (cause && grace_jpath_member(cause->p, 0, cause->n, cseg[0], &cs,
	    &c->tmp) && cs.kind == GRACE_J_OBJECT &&
	    !memmem(p, n, "\"causation\":", 12)) {
		grace_buf_reset(&c->prop);
		if (grace_buf_adds(&c->prop, ",\"causation\":") < 0 ||
		    grace_buf_add(&c->prop, cause->p + cs.off, cs.len) < 0 ||
		    with_member(ev, p, n, c->prop.p, c->prop.len) < 0)
			return grace_err_sys(e, NULL, "out of memory");
	} else if (grace_buf_add(ev, p, n) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if (grace_hanomaly_read(ev->p, ev->len, &a) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	resolved = type_is(ev->p, ev->len, "anomaly.resolved", &c->tmp,
	    &c->prop);
	if (c->hgov && a.component.len &&
	    grace_hgov_health(c->hgov, a.component.p, resolved, now) < 0)
		goto nomem;
	grace_buf_reset(&c->prop);
	if (!resolved && !c->detect_only &&
	    grace_heal_propose(c->pbs, c->learn, ev->p, ev->len, now, &c->prop,
	    e) < 0) {
		grace_hanomaly_free(&a);
		if (e->code != GRACE_EXIT_INPUT)
			return -1;
		/* a playbook's jq when failed on it: said; nothing proposed */
		grace_err_print(stderr, prog, e);
		c->errors++;
		status = GRACE_EXIT_INPUT;
		grace_buf_reset(&c->prop);
	}
	/* the anomaly, marked as handled: a grace-heal downstream passes
	 * it on (it does not propose again) */
	grace_buf_reset(&c->hann);
	grace_buf_addf(&c->hann, "{\"anomaly\":%s,\"severity\":",
	    resolved ? "false" : "true");
	grace_buf_add_jstr(&c->hann, resolved ? "none" : a.severity.p ?
	    a.severity.p : "", resolved ? 4 : a.severity.len);
	grace_buf_adds(&c->hann, ",\"component\":");
	grace_buf_add_jstr(&c->hann, a.component.p ? a.component.p : "",
	    a.component.len);
	grace_buf_adds(&c->hann, "}");
	if (grace_json_scan(ev->p, ev->len, gk, 1, &gs, NULL, 0, NULL) < 0 ||
	    grace_json_splice_grace(out, ev->p, ev->len, &gs, "heal",
	    c->hann.p, c->hann.len) < 0 || grace_buf_add(out, "\n", 1) < 0)
		goto nomem;
	grace_hanomaly_free(&a);
	if (!c->prop.len)
		return status;
	if (type_is(c->prop.p, c->prop.len, "healing.escalated", &c->tmp,
	    &c->hann)) {
		c->escalated++;
		status = GRACE_EXIT_NEGATIVE;
		if (grace_buf_add(out, c->prop.p, c->prop.len) < 0 ||
		    grace_buf_add(out, "\n", 1) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		return status;
	}
	c->proposed++;
	if (c->execute && c->gate) {
		int r;

		/* c->prop is reused by what execute() calls: copy it */
		grace_buf_reset(&c->hx);
		if (grace_buf_add(&c->hx, c->prop.p, c->prop.len) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		if ((r = execute(c, c->hx.p, c->hx.len, NULL, out, e)) < 0)
			return -1;
		return r > status ? r : status;
	}
	if (grace_json_scan(c->prop.p, c->prop.len, gk, 1, &gs, NULL, 0,
	    NULL) < 0 || grace_json_splice_grace(out, c->prop.p, c->prop.len,
	    &gs, "heal", "{\"proposal\":true}", 17) < 0 ||
	    grace_buf_add(out, "\n", 1) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return status;
nomem:
	grace_hanomaly_free(&a);
	return grace_err_sys(e, NULL, "out of memory");
}

/* The anomaly events detection made (one per line in anoms), each
 * through heal_anomaly() into out; with --detect, as they are. Returns
 * the worst status or -1. */
static int
heal_anomalies(struct ctx *c, struct grace_buf *anoms,
    const struct grace_event *ev, int64_t now, struct grace_buf *out,
    struct grace_err *e)
{
	size_t i = 0, j;
	int worst = GRACE_EXIT_OK, r;

	if (!anoms->len)
		return GRACE_EXIT_OK;   /* the common case: none */
	if (c->detect_only)
		return grace_buf_add(out, anoms->p ? anoms->p : "", anoms->len) <
		    0 ? grace_err_sys(e, NULL, "out of memory") : GRACE_EXIT_OK;
	while (i < anoms->len) {
		for (j = i; j < anoms->len && anoms->p[j] != '\n'; j++)
			;
		if ((r = heal_anomaly(c, anoms->p + i, j - i, ev, now, out,
		    e)) < 0)
			return -1;
		if (r > worst)
			worst = r;
		i = j + 1;
	}
	return worst;
}

/* The detection side of one event (mu held): timers due before it, the
 * detectors, the event with grace.heal, then the anomalies it caused,
 * all appended to obuf. Returns the event's status or -1. */
static int
detect_event(struct ctx *c, const struct grace_event *ev, int64_t now,
    struct grace_err *e)
{
	struct emit_to after = { c, &c->pend };
	struct grace_buf *ex = c->explain ? &c->ex : NULL;
	struct grace_err je;
	int r, status = GRACE_EXIT_OK;

	/* timers due before it: their anomalies come first */
	grace_buf_reset(&c->pend);
	if (grace_detect_tick(c->det, now, on_emit, &after, e) < 0 ||
	    (r = c->pend.len ? heal_anomalies(c, &c->pend, NULL, now,
	    &c->obuf, e) : GRACE_EXIT_OK) < 0)
		return -1;
	if (r > status)
		status = r;
	grace_buf_reset(&c->ann);
	grace_buf_reset(&c->pend);
	if (ex) {
		grace_buf_reset(ex);
		grace_buf_addf(ex, "%s: %s:%lu: event\n", prog, ev->input,
		    ev->line);
	}
	je.code = 0;
	je.msg[0] = 0;
	/* the filter's scan located the detectors' members already */
	r = ev->deep ? grace_detect_scanned(c->det, ev->p, ev->n, ev->deep,
	    now, &c->ann, ex, on_emit, &after, &je) :
	    grace_detect_event(c->det, ev->p, ev->n, now, &c->ann, ex,
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
		c->verdict = "error";
	} else if (r == 1) {
		c->verdict = c->ann.len > 15 && memcmp(c->ann.p,
		    "{\"anomaly\":true", 15) == 0 ? "anomaly" : "healthy";
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
	if (grace_buf_addc(&c->obuf, '\n') < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if ((r = c->pend.len ? heal_anomalies(c, &c->pend, ev, now, &c->obuf,
	    e) : GRACE_EXIT_OK) < 0)
		return -1;
	return r > status ? r : status;
}

/* The heal side of an event detection does not see (mu held): a
 * healing.proposed event for the executor, an anomaly from elsewhere to
 * propose for, a vote for the governance. Returns 1 when the event was
 * taken care of (written), 0 when detection is to see it, -1. */
static int
heal_event(struct ctx *c, const struct grace_event *ev, int64_t now,
    int *status, struct grace_err *e)
{
	static char *const hseg[] = { "grace", "heal" };
	static char *const cseg[] = { "grace", "heal", "component" };
	static char *const aseg[] = { "grace", "heal", "anomaly" };
	const struct grace_jspan *t = &ev->found[K_TYPE];
	struct grace_buf *b = &c->tmp;
	int r;

#define TYPE_IS(s) (t->kind == GRACE_J_STRING && t->len == sizeof(s) + 1 && \
	memcmp(ev->p + t->off + 1, s, sizeof(s) - 1) == 0)
	if (c->detect_only)
		return 0;
	if (c->execute && TYPE_IS("healing.proposed")) {
		c->verdict = "proposal";
		if ((r = execute(c, ev->p, ev->n, &ev->found[K_GRACE], &c->obuf,
		    e)) < 0)
			return -1;
		*status = r;
		return 1;
	}
	if (c->gate && TYPE_IS("governance.vote")) {
		struct grace_err ve;

		c->verdict = "vote";
		if (grace_votes_add_json(c->votes, ev->p, ev->n, ev->input,
		    ev->line, &ve) < 0) {
			grace_err_print(stderr, prog, &ve);
			c->errors++;
			*status = GRACE_EXIT_INPUT;
		}
		if (grace_buf_add(&c->obuf, ev->p, ev->n) < 0 ||
		    grace_buf_add(&c->obuf, "\n", 1) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		/* a vote may settle what is held */
		grace_buf_reset(&c->run);
		if (grace_hexec_revisit(&c->x, clock_ms(), e) < 0 ||
		    grace_buf_add(&c->obuf, c->run.p ? c->run.p : "",
		    c->run.len) < 0)
			return -1;
		return 1;
	}
	if (grace_jpath_text(ev->p, ev->n, hseg, 2, b, &c->prop) > 0) {
		/* through a grace-heal already: its health is known */
		if (c->hgov && grace_jpath_text(ev->p, ev->n, cseg, 3, b,
		    &c->prop) > 0 && b->len) {
			struct grace_buf an = {0};
			int healthy = grace_jpath_text(ev->p, ev->n, aseg, 3, &an,
			    &c->prop) > 0 && strcmp(an.p, "false") == 0;

			grace_buf_free(&an);
			if (grace_hgov_health(c->hgov, b->p, healthy, now) < 0)
				return grace_err_sys(e, NULL, "out of memory");
		}
		return 0;
	}
	if (TYPE_IS("anomaly.detected") || TYPE_IS("anomaly.flapping") ||
	    TYPE_IS("anomaly.resolved")) {
		/* an anomaly another detector found: proposed for */
		c->verdict = "upstream_anomaly";
		if ((r = heal_anomaly(c, ev->p, ev->n, ev, now, &c->obuf, e)) < 0)
			return -1;
		*status = r;
		return 1;
	}
#undef TYPE_IS
	return 0;
}

static int
on_event(void *vc, const struct grace_event *ev, struct grace_buf *unused,
    struct grace_err *e)
{
	struct ctx *c = vc;
	int64_t now = event_ms(c, ev);
	double t0 = c->metrics ? grace_mono_ms() : 0;
	size_t before;
	int status, r;

	(void)unused;
	hold(c);
	before = c->obuf.len;
	c->verdict = "none";
	c->events++;
	c->have_time = 1;
	c->last_ms = now;
	/* the clock is read when it matters: input that can fall silent
	 * (the virtual clock), and every 1024 events for the saves */
	if (c->interactive || (c->state_path && (c->events & 1023) == 0))
		c->last_mono = grace_mono_ms();
	status = GRACE_EXIT_OK;
	/* --detect: no healing event to answer (heal_event() would say
	 * so, after its frame) */
	r = c->detect_only ? 0 : heal_event(c, ev, now, &status, e);
	if (r == 0)
		status = detect_event(c, ev, now, e);
	else if (r < 0)
		status = -1;
	if (status >= 0 && c->metrics && ((grace_metrics_due(c->metrics) &&
	    metrics_refresh(c) < 0 && grace_err_sys(e, NULL,
	    "out of memory") < 0) || grace_metrics_event(c->metrics, t0,
	    c->verdict, lines_since(&c->obuf, before), e) < 0))
		status = -1;
	/* The state is saved only after what it accounts for was written:
	 * an anomaly the state holds as open has had its event passed on. */
	if (status >= 0 && c->state_path &&
	    c->last_mono - c->last_save >= SAVE_EVERY_MS &&
	    (grace_cli_flush(&c->obuf, e) < 0 || save_state(c, e) < 0))
		status = -1;
	if (status >= 0 && (c->obuf.len >= FLUSH_AT ||
	    (c->interactive && !grace_cli_stdin_waiting())) &&
	    grace_cli_flush(&c->obuf, e) < 0)
		status = -1;
	if (status >= 0)
		worse(c, status);
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
	if (c->metrics) {
		/* the file stays fresh while input is silent: looked at
		 * every second */
		long long wm = grace_metrics_due(c->metrics) ? 0 : 1000;

		if (w < 0 || wm < w)
			w = wm;
	}
	if (c->hgov && (due = grace_hgov_next_expiry(c->hgov)) != INT64_MAX) {
		/* a held proposal expires on the clock */
		long long we = due > clock_ms() ? (long long)(due - clock_ms()) : 0;

		if (w < 0 || we < w)
			w = we;
	}
	pthread_mutex_unlock(&c->mu);
	return w;
}

static int
timer_fire(void *vc, struct grace_buf *unused, struct grace_err *e)
{
	struct ctx *c = vc;
	struct emit_to to = { c, &c->pend };
	int64_t now;
	size_t before;
	int r = 0;

	(void)unused;
	pthread_mutex_lock(&c->mu);
	before = c->obuf.len;
	now = virtual_now(c);
	grace_buf_reset(&c->pend);
	if (grace_detect_tick(c->det, now, on_emit, &to, e) < 0 ||
	    (r = heal_anomalies(c, &c->pend, NULL, now, &c->obuf, e)) < 0)
		r = -1;
	else {
		worse(c, r);
		r = 0;
	}
	if (r == 0 && c->hgov) {
		/* held proposals whose time is up are rejected */
		grace_buf_reset(&c->run);
		if (grace_hexec_expire(&c->x, clock_ms(), e) < 0 ||
		    grace_buf_add(&c->obuf, c->run.p ? c->run.p : "",
		    c->run.len) < 0)
			r = -1;
		else if (c->run.len)
			worse(c, GRACE_EXIT_NEGATIVE);
	}
	if (r == 0 && c->state_path &&
	    grace_mono_ms() - c->last_save >= SAVE_EVERY_MS)
		r = grace_cli_flush(&c->obuf, e) < 0 ? -1 : save_state(c, e);
	if (r == 0 && c->metrics) {
		grace_metrics_written(c->metrics, lines_since(&c->obuf, before));
		r = metrics_tick(c, e);
	}
	if (r == 0)
		r = grace_cli_flush(&c->obuf, e);
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* The end (mu held): save, flush, summary; returns the exit status. */
static int
finish(struct ctx *c, const char *why)
{
	struct grace_err e;
	int status = c->worst, written = 1;

	grace_err_clear(&e);
	/* Written first, then saved: when the output cannot be written (a
	 * stage downstream died), the state is not saved, so that a
	 * restart given the same input detects and proposes again what was
	 * never passed on. */
	if (grace_cli_flush(&c->obuf, &e) < 0) {
		grace_err_print(stderr, prog, &e);
		if (c->state_path)
			fprintf(stderr, "%s: %s: detection state not saved: "
			    "the output could not be written\n", prog,
			    c->state_path);
		status = GRACE_EXIT_SYSTEM;
		written = 0;
	}
	if (save_state_of(c, written, &e) < 0) {
		grace_err_print(stderr, prog, &e);
		status = GRACE_EXIT_SYSTEM;
	}
	if (status == GRACE_EXIT_OK && c->detected)
		status = GRACE_EXIT_NEGATIVE;
	if (c->metrics && metrics_refresh(c) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		status = GRACE_EXIT_SYSTEM;
	}
	status = grace_cli_metrics_end(stderr, prog, c->metrics, status);
	if (!c->quiet) {
		if (why)
			fprintf(stderr, "%s: %s: stopped reading; state saved\n",
			    prog, why);
		fprintf(stderr, "%llu events, %llu annotated, %llu anomalies "
		    "detected, %llu resolved, %llu errors\n",
		    c->events + c->rejected, c->annotated, c->detected,
		    c->resolved, c->errors + c->rejected);
		if (!c->detect_only)
			fprintf(stderr, "%llu healings proposed, %llu held, "
			    "%llu escalated, %llu rejected; runs: %llu verified, "
			    "%llu failed, %llu rolled back, %llu escalated\n",
			    c->proposed, c->held, c->escalated, c->refused,
			    (unsigned long long)c->x.outcomes[GRACE_HOUT_VERIFIED],
			    (unsigned long long)c->x.outcomes[GRACE_HOUT_FAILED],
			    (unsigned long long)c->x.outcomes[GRACE_HOUT_ROLLED_BACK],
			    (unsigned long long)c->x.outcomes[GRACE_HOUT_ESCALATED]);
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

/* --check: the detectors (and playbooks) loaded; the commands the
 * playbooks run are there, --state DIR, the trust overlay (--execute
 * --trust) and --metrics can be written.
 * Text: one "ok" line for the detectors, one for the playbooks. */
static int
run_check(const struct grace_detectors *d, const char *path,
    const struct grace_playbooks *pbs, const char *pbpath, const char *state,
    const char *overlay, const char *metrics, int json, int quiet)
{
	struct grace_detectors_summary s;
	struct grace_ready r;
	struct grace_buf sum = {0}, psum = {0};
	int status;
	const struct { const char *name; size_t n; } k[] = {
		{ "threshold", 0 }, { "flapping", 0 }, { "spike", 0 },
		{ "rate", 0 }, { "absence", 0 }, { "drift", 0 },
		{ "integrity", 0 },
	};
	size_t n[7], i, shown = 0;

	grace_detectors_summary(d, &s);
	n[0] = s.threshold;
	n[1] = s.flapping;
	n[2] = s.spike;
	n[3] = s.rate;
	n[4] = s.absence;
	n[5] = s.drift;
	n[6] = s.integrity;
	grace_buf_addf(&sum, "%zu detector%s (", s.detectors,
	    s.detectors == 1 ? "" : "s");
	for (i = 0; i < 7; i++)
		if (n[i])
			grace_buf_addf(&sum, "%s%zu %s", shown++ ? ", " : "", n[i],
			    k[i].name);
	grace_buf_addf(&sum, "), %zu jq condition%s", s.jq_conditions,
	    s.jq_conditions == 1 ? "" : "s");
	if (pbs)
		grace_buf_addf(&psum, "%zu playbook%s%s", pbs->n, pbs->n == 1 ?
		    "" : "s", pbs->trust.set ? ", trust arithmetic" : "");
	grace_ready_init(&r, prog);
	if (pbs)
		grace_playbooks_ready(pbs, &r);
	if (state)
		grace_ready_dir(&r, state);
	if (overlay)
		grace_ready_writable(&r, overlay);
	if (metrics)
		grace_ready_writable(&r, metrics);
	if (json && pbs)
		grace_buf_addf(&sum, "; %s: %s", pbpath, psum.p);
	status = grace_ready_print(&r, json, quiet, path, sum.p ? sum.p : "",
	    stdout, stderr);
	if (status == 0 && !json && pbs && !quiet)
		printf("%s: ok: %s\n", pbpath, psum.p);
	grace_ready_free(&r);
	grace_buf_free(&sum);
	grace_buf_free(&psum);
	return status;
}

/* The heal side's state in DIR: the governance state (budgets,
 * breakers, held proposals, healings that ran), the knowledge file and
 * the snapshots. Returns 0 or an exit status. */
static int
open_heal_state(struct ctx *c, const char *dir)
{
	struct grace_buf p = {0};
	struct grace_err e;
	char *doc;
	size_t n;

	if (c->detect_only)
		return 0;
	if (grace_buf_addf(&p, "%s/knowledge.json", dir) < 0)
		return GRACE_EXIT_SYSTEM;
	c->learn_path = p.p;
	memset(&p, 0, sizeof p);
	if (!(c->learn = grace_hlearn_load(c->learn_path, &e)))
		return grace_cli_report(stderr, prog, &e);
	if (!c->hgov)
		return 0;
	if (grace_buf_addf(&p, "%s/snapshots", dir) < 0)
		return GRACE_EXIT_SYSTEM;
	c->snap_dir = p.p;
	memset(&p, 0, sizeof p);
	if (mkdir(c->snap_dir, 0700) < 0 && errno != EEXIST) {
		grace_err_sys(&e, c->snap_dir, "unable to make");
		return grace_cli_report(stderr, prog, &e);
	}
	if (grace_buf_addf(&p, "%s/govern.json", dir) < 0)
		return GRACE_EXIT_SYSTEM;
	c->gov_path = p.p;
	if (!(doc = grace_read_file(c->gov_path, STATE_MAX, &n, &e))) {
		if (errno == ENOENT)
			return 0;
		return grace_cli_report(stderr, prog, &e);
	}
	if (grace_hgov_restore(c->hgov, doc, n, c->gov_path, &e) < 0) {
		free(doc);
		return grace_cli_report(stderr, prog, &e);
	}
	free(doc);
	return 0;
}

/* --test: the cases of a playbook test file (grace_cli_run_cases()). */
struct tests {
	const struct grace_playbooks *pbs;
	struct grace_hcases cs;
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

	return grace_hcase_run(t->pbs, &t->cs.v[i], why, e);
}

static int
run_tests(const struct grace_playbooks *pbs, const char *file,
    enum grace_report_fmt fmt, int quiet)
{
	struct tests t;
	struct grace_err e;
	int status;

	t.pbs = pbs;
	memset(&t.cs, 0, sizeof t.cs);
	if (grace_hcases_load(file, pbs, &t.cs, &e) < 0) {
		grace_hcases_free(&t.cs);
		return grace_cli_report_load(stderr, prog, &e, file);
	}
	status = grace_cli_run_cases(prog, t.cs.n, case_name, case_run, &t, fmt,
	    quiet);
	grace_hcases_free(&t.cs);
	return status;
}

/* Where the playbooks are when -p is not given: ./playbooks, else
 * playbooks on the configuration search path. NULL with e filled. */
static char *
find_playbooks(struct grace_err *e)
{
	struct stat st;

	if (stat("playbooks", &st) == 0 && S_ISDIR(st.st_mode))
		return strdup("playbooks");
	return grace_config_find_as("playbooks", "-p PATH", e);
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
			return open_heal_state(c, dir);
		return grace_cli_report(stderr, prog, &e);
	}
	if (grace_detect_restore(c->det, doc, n, p.p, &e) < 0) {
		free(doc);
		return grace_cli_report(stderr, prog, &e);
	}
	free(doc);
	return open_heal_state(c, dir);
}

int
main(int argc, char **argv)
{
	enum { O_DETECT = 256, O_STATE, O_EXPLAIN, O_STRICT, O_CHECK,
		O_EXECUTE, O_GOVERNANCE, O_VOTES, O_TRUST, O_TEST, O_METRICS };
	static const struct option lo[] = {
		{ "detect", no_argument, NULL, O_DETECT },
		{ "playbooks", required_argument, NULL, 'p' },
		{ "execute", no_argument, NULL, O_EXECUTE },
		{ "governance", required_argument, NULL, O_GOVERNANCE },
		{ "votes", required_argument, NULL, O_VOTES },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "test", required_argument, NULL, O_TEST },
		{ "output", required_argument, NULL, 'o' },
		{ "detectors", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, O_STATE },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	static const char *const keys[K_N] = { "grace", "id", "time", "type" };
	struct grace_filter_opts fo;
	struct grace_jdeep deep = { NULL, NULL, NULL, 0, 0 };
	struct grace_err e;
	struct grace_detectors *dets;
	struct ctx c;
	struct stat st;
	const char *cfg = NULL, *state = NULL, *governance = NULL, *trust = NULL;
	const char *test = NULL, *metrics = NULL;
	enum grace_report_fmt fmt = GRACE_FMT_NDJSON;
	const char **pbpaths = calloc((size_t)argc + 1, sizeof *pbpaths);
	const char **vfiles = calloc((size_t)argc + 1, sizeof *vfiles);
	size_t npb = 0, nvf = 0, i;
	char *found = NULL, *pbfound = NULL, *govfound = NULL;
	pthread_t sth;
	int opt, check = 0, strict = 0, status, devnull = -1, expected = 0;
	int have_sth = 0, cjson = 0;

	memset(&c, 0, sizeof c);
	c.lock_fd = -1;
	pthread_mutex_init(&c.mu, NULL);
	argv[0] = (char *)prog;
	if (!pbpaths || !vfiles) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return GRACE_EXIT_SYSTEM;
	}
	while ((opt = getopt_long(argc, argv, "d:p:o:qhV", lo, NULL)) != -1) {
		switch (opt) {
		case O_DETECT: c.detect_only = 1; break;
		case 'p': pbpaths[npb++] = optarg; break;
		case O_EXECUTE: c.execute = 1; break;
		case O_GOVERNANCE: governance = optarg; break;
		case O_VOTES: vfiles[nvf++] = optarg; break;
		case O_TRUST: trust = optarg; break;
		case O_TEST: test = optarg; break;
		case 'o':
			if (strcmp(optarg, "json") == 0) {
				cjson = 1;
				break;
			}
			if (grace_report_fmt_parse(optarg, &fmt) < 0 ||
			    fmt == GRACE_FMT_NDJSON) {
				status = usage_error("-o takes text, tap, junit or "
				    "github (with --test), or json (with --check), "
				    "not '%s'", optarg);
				goto early;
			}
			break;
		case O_METRICS: metrics = optarg; break;
		case 'd': cfg = optarg; break;
		case O_STATE: state = optarg; break;
		case O_EXPLAIN: c.explain = 1; break;
		case O_STRICT: strict = 1; break;
		case 'q': c.quiet = 1; break;
		case O_CHECK: check = 1; break;
		case 'h': usage(stdout); status = 0; goto early;
		case 'V':
			printf("grace-heal (grace) %s\n", GRACE_VERSION);
			status = 0;
			goto early;
		default: status = usage_error(NULL); goto early;
		}
	}
	status = -1;
	if (check && fmt == GRACE_FMT_TEXT)
		fmt = GRACE_FMT_NDJSON;   /* -o text: the --check default */
	if (cjson && !check)
		status = usage_error("%s", "-o json goes with --check");
	else if (check && fmt != GRACE_FMT_NDJSON)
		status = usage_error("%s", "--check writes text or json (-o json)");
	else if (fmt != GRACE_FMT_NDJSON && !test)
		status = usage_error("%s", "-o goes with --test");
	else if (test && metrics)
		status = usage_error("%s", "--test runs nothing: no --metrics");
	else if (test && (c.detect_only || c.execute || check || optind < argc))
		status = usage_error("%s", "--test runs a playbook test file: not "
		    "with --detect, --execute, --check or input files");
	else if (c.detect_only && (c.execute || npb))
		status = usage_error("%s", "--detect proposes nothing: not with "
		    "--execute or -p");
	else if (!c.execute && (governance || nvf || trust))
		status = usage_error("%s", "--governance, --votes and --trust go "
		    "with --execute");
	else if (nvf && !governance)
		status = usage_error("%s", "--votes are counted by --governance: "
		    "give the governance file");
	else if (c.execute && !state && !check)
		status = usage_error("%s", "--execute needs --state DIR: budgets, "
		    "breakers, held proposals and snapshots must outlive the "
		    "process");
	if (status >= 0)
		goto early;
	if (check && optind < argc)
		status = usage_error("%s", "--check reads no input files");
	else if (state && !*state)
		status = usage_error("%s", "--state takes a directory, not ''");
	if (status >= 0)
		goto early;
	dets = NULL;
	if (test)
		;   /* a playbook test file needs no detectors */
	else if (!cfg && !(cfg = found = grace_config_find_as("detectors.yaml", "-d FILE",
	    &e))) {
		status = grace_cli_report(stderr, prog, &e);
		goto early;
	} else if (!(dets = grace_detectors_load(cfg, &e))) {
		status = grace_cli_report_load(stderr, prog, &e, cfg);
		free(found);
		goto early;
	}
	if (!c.detect_only) {
		if (!npb && !(pbpaths[npb++] = pbfound = find_playbooks(&e))) {
			status = grace_cli_report(stderr, prog, &e);
			goto done;
		}
		if (!(c.pbs = grace_playbooks_load(pbpaths, npb, &e))) {
			status = grace_cli_report_load(stderr, prog, &e,
			    pbpaths[0]);
			goto done;
		}
	}
	if (test) {
		status = run_tests(c.pbs, test, fmt, c.quiet);
		goto done;
	}
	/* --execute judges every proposal itself: a grace.gate verdict in
	 * the input can only make it stricter, since anyone upstream can
	 * write one. Without --governance, governance.yaml on the search
	 * path; without either, nothing is executed. */
	if (c.execute && !governance &&
	    !(governance = govfound = grace_config_find_as("governance.yaml",
	    "--governance FILE (--execute judges every proposal itself: a "
	    "grace.gate verdict in the input alone could be forged)", &e))) {
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (c.execute && governance &&
	    !(c.gate = grace_gov_load(governance, NULL, &e))) {
		status = grace_cli_report_load(stderr, prog, &e, governance);
		goto done;
	}
	if (c.execute && trust) {
		if (!c.pbs->trust.set) {
			status = usage_error("%s", "--trust: no playbook file has a "
			    "trust section saying by how much to adjust");
			goto done;
		}
		if (!(c.trust = grace_htrust_open(trust, &c.pbs->trust, &e))) {
			status = grace_cli_report_load(stderr, prog, &e, trust);
			goto done;
		}
	}
	if (c.execute) {
		if (!(c.votes = grace_votes_new())) {
			grace_err_sys(&e, NULL, "out of memory");
			status = grace_cli_report(stderr, prog, &e);
			goto done;
		}
		for (i = 0; i < nvf; i++)
			if (grace_votes_load_file(c.votes, vfiles[i], &e) < 0) {
				status = grace_cli_report_load(stderr, prog, &e,
				    vfiles[i]);
				goto done;
			}
	}
	if (check) {
		status = run_check(dets, cfg, c.pbs, pbpaths[0], state, c.trust ?
		    grace_htrust_overlay(c.trust) : NULL, metrics, cjson, c.quiet);
		goto done;
	}
	c.dets = dets;
	if (metrics && metrics_start(&c, dets, metrics) < 0) {
		grace_err_sys(&e, NULL, "unable to start");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (c.execute && !(c.hgov = grace_hgov_new(c.pbs))) {
		grace_err_sys(&e, NULL, "unable to start");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (!(c.det = grace_detect_new(dets))) {
		grace_err_sys(&e, NULL, "unable to start");
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	if (state && (status = open_state(&c, state)) != 0)
		goto done;
	if (!c.detect_only && !c.learn &&
	    !(c.learn = grace_hlearn_load("", &e))) {
		/* "" names no file: knowledge kept for this run only */
		status = grace_cli_report(stderr, prog, &e);
		goto done;
	}
	c.x.pbs = c.pbs;
	c.x.gov = c.hgov;
	c.x.trust = c.trust;
	c.x.learn = c.learn;
	c.x.gate = c.gate;
	c.x.votes = c.votes;
	c.x.snapshot_dir = c.snap_dir;
	c.x.output_cap = 4096;
	c.x.emit = on_heal_emit;
	c.x.arg = &c;
	c.x.clock = exec_clock;
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
	/* the members the detectors read, found by the filter's
	 * validating scan in the same pass, and recorded where detection
	 * reads them */
	grace_detect_bind(c.det, &deep);
	fo.deep = &deep;
	fo.timer_wait = timer_wait;
	fo.timer_fire = timer_fire;
	fo.idle = let_go;
	grace_err_clear(&e);
	status = grace_filter_run(&fo, argv + optind, (size_t)(argc - optind),
	    on_event, on_bad_line, &c, NULL, &e);
	let_go(&c);
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
	grace_metrics_free(c.metrics);
	for (i = 0; c.dlabels && i < grace_detectors_count(dets); i++)
		free(c.dlabels[i]);
	free(c.dlabels);
	free(c.open);
	grace_detectors_free(dets);
	free(found);
	grace_hgov_free(c.hgov);
	grace_hlearn_free(c.learn);
	grace_htrust_free(c.trust);
	grace_gov_free(c.gate);
	grace_votes_free(c.votes);
	grace_playbooks_free(c.pbs);
	free(c.gov_path);
	free(c.learn_path);
	free(c.snap_dir);
	grace_buf_free(&c.hx);
	grace_buf_free(&c.run);
	grace_buf_free(&c.prop);
	grace_buf_free(&c.hann);
	grace_buf_free(&c.tmp);
early:
	free(pbfound);
	free(govfound);
	free(pbpaths);
	free(vfiles);
	if (fflush(stdout) != 0 || ferror(stdout))
		status = GRACE_EXIT_SYSTEM;
	return status;
}
