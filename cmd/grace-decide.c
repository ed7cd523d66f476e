/* grace-decide - combine the upstream verdicts of each event (grace.gate,
 * grace.heal, grace.verify, grace.mldl, grace.learning, grace.memory)
 * into grace.decision (man/grace-decide.1, the configuration in
 * man/grace-decide.5). Options, the filter callback and the reports
 * only: the engine lives in lib/decide*.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "decide/decide.h"
#include "err.h"
#include "fileutil.h"
#include "filter.h"
#include "json.h"
#include "metrics.h"
#include "ready.h"
#include "reject.h"
#include "report.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-decide";

enum { K_GRACE, K_ID, K_TYPE, K_N };

struct ctx {
	const struct grace_decide *d;
	struct grace_decision r;
	enum grace_report_fmt fmt;
	struct grace_report *rep;
	struct grace_buf rbuf;    /* report output, written per event */
	struct grace_buf ex;      /* --explain trace */
	struct grace_buf t1, t2, t3; /* id, type, reason as text */
	unsigned fail_on;
	int emit, explain, no_fail;
	unsigned long long count[GRACE_V_COUNT], errors;
	struct grace_metrics *metrics; /* --metrics */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grace-decide [-c FILE] [-o FORMAT] [--emit] [--explain] [--no-fail]\n"
	    "                    [--fail-on LIST] [--allow-empty] [--strict] [--max-line BYTES]\n"
	    "                    [--metrics FILE] [-q] [FILE...]\n"
	    "       grace-decide [-c FILE] --check\n"
	    "       grace-decide [-c FILE] --test CASES\n"
	    "\n"
	    "Combine the upstream verdicts of each event (grace.gate, grace.heal,\n"
	    "grace.verify, grace.mldl, grace.learning, grace.memory) into grace.decision:\n"
	    "approve, hold, escalate or reject, by weights and override precedence.\n"
	    "\n"
	    "  -c, --config FILE   the decision configuration (default: decide.yaml on the\n"
	    "                      search path: $GRACE_CONFIG_DIR, ./config, ~/.config/grace,\n"
	    "                      /etc/grace)\n"
	    "  -o, --output FMT    ndjson (default: the annotated events), text, tap, junit\n"
	    "                      or github\n"
	    "      --emit          after each event, a unified.decision.ready event\n"
	    "      --explain       how each decision was made, on stderr\n"
	    "      --no-fail       verdicts never make the exit status non-zero\n"
	    "      --fail-on LIST  the verdicts that exit 1, from hold,escalate,reject\n"
	    "                      (reject always does; default: the config's fail_on)\n"
	    "      --allow-empty   an input with no events exits 0 (default: 1, nothing\n"
	    "                      was decided, so nothing was approved)\n"
	    "      --strict        stop at the first bad input line\n"
	    "      --max-line N    longest input line accepted, in bytes (default 1048576)\n"
	    "      --metrics FILE  write Prometheus textfile metrics to FILE (atomically,\n"
	    "                      every 5 seconds and at the end)\n"
	    "  -q, --quiet         no closing summary, no --check line: errors and the exit\n"
	    "                      status only\n"
	    "      --check         validate the configuration, say so on stdout, and exit\n"
	    "      --test CASES    run the cases of a test file against the configuration\n"
	    "  -h, --help          this help;  -V, --version  the version\n"
	    "\n"
	    "Exit status: 0 every decision approve, 1 some decision in fail_on (reject,\n"
	    "hold, escalate by default), no events at all (an empty stream or only blank\n"
	    "lines; --no-fail does not change that) or a test case failed, 2 usage or\n"
	    "configuration error, 3 bad input line, 4 system error. See grace-decide(1),\n"
	    "grace-decide(5).\n");
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
report_err(const struct grace_err *e)
{
	return grace_cli_report(stderr, prog, e);
}

/* A configuration or case file that failed to load: a file that cannot
 * be opened (missing, unreadable) is a usage error, like a bad flag, not
 * a system error; nothing has been processed. */
static int
report_load_err(const struct grace_err *e, const char *path)
{
	return grace_cli_report_load(stderr, prog, e, path);
}

/* "hold,escalate" -> verdict bits (reject always included). */
static int
parse_fail_on(const char *s, unsigned *bits)
{
	char buf[128], *tok, *save;
	enum grace_verdict v;

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	*bits = 1u << GRACE_V_REJECT;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (grace_verdict_parse(tok, &v) < 0 || v == GRACE_V_APPROVE)
			return -1;
		*bits |= 1u << v;
	}
	return 0;
}

static int
parse_size(const char *s, unsigned long long *v)
{
	return grace_cli_parse_size(s, v);
}

/* The text of span s of p for a report: a string unescaped, a number as
 * written; NULL otherwise. Uses b. */
static const char *
span_text(struct grace_buf *b, const char *p, const struct grace_jspan *s)
{
	grace_buf_reset(b);
	if (s->kind == GRACE_J_STRING) {
		if (grace_json_unescape(b, p + s->off, s->len) < 0)
			return NULL;
		return b->p;
	}
	if (s->kind == GRACE_J_NUMBER) {
		if (grace_buf_add(b, p + s->off, s->len) < 0)
			return NULL;
		return b->p;
	}
	return NULL;
}

/* Write what the report holds so far (interactive use sees each event). */
static int
report_flush(struct ctx *c, struct grace_err *e)
{
	if (c->rbuf.len && grace_write_all(STDOUT_FILENO, c->rbuf.p,
	    c->rbuf.len) < 0)
		return grace_err_sys(e, "<stdout>", "unable to write");
	grace_buf_reset(&c->rbuf);
	return 0;
}

static int
report_item(struct ctx *c, const char *input, unsigned long line,
    const char *id, const char *type, const char *decision,
    enum grace_outcome o, const char *rules, const char *reason,
    struct grace_err *e)
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
	if (grace_report_add(c->rep, &it, &c->rbuf) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return report_flush(c, e);
}

/* The unified.decision.ready event for the decided event p. */
static int
add_emitted(struct grace_buf *out, const struct grace_event *ev,
    const struct grace_decision *r)
{
	const struct grace_jspan *id = &ev->found[K_ID], *ty = &ev->found[K_TYPE];
	int x = 0;

	x |= grace_buf_adds(out, "{\"specversion\":\"1.0\",\"id\":\"");
	if (id->kind == GRACE_J_STRING) {
		x |= grace_buf_add(out, ev->p + id->off + 1, id->len - 2);
	} else if (id->kind == GRACE_J_NUMBER) {
		x |= grace_buf_add(out, ev->p + id->off, id->len);
	} else {
		char where[320];
		size_t mark = out->len;

		snprintf(where, sizeof where, "%s:%lu", ev->input, ev->line);
		x |= grace_buf_add_jstr(out, where, strlen(where));
		/* drop the quotes add_jstr put around it */
		if (!x) {
			memmove(out->p + mark, out->p + mark + 1,
			    out->len - mark - 2);
			out->len -= 2;
			out->p[out->len] = '\0';
		}
	}
	x |= grace_buf_adds(out, "/decision\",\"type\":\"unified.decision.ready\","
	    "\"source\":\"grace-decide\",\"data\":{\"event_id\":");
	if (id->kind == GRACE_J_STRING) {
		x |= grace_buf_add(out, ev->p + id->off, id->len);
	} else if (id->kind == GRACE_J_NUMBER) {
		x |= grace_buf_add(out, "\"", 1);
		x |= grace_buf_add(out, ev->p + id->off, id->len);
		x |= grace_buf_add(out, "\"", 1);
	} else {
		x |= grace_buf_adds(out, "null");
	}
	x |= grace_buf_adds(out, ",\"event_type\":");
	if (ty->kind == GRACE_J_STRING)
		x |= grace_buf_add(out, ev->p + ty->off, ty->len);
	else
		x |= grace_buf_adds(out, "null");
	x |= grace_buf_adds(out, ",\"decision\":");
	x |= grace_buf_add(out, r->json.p, r->json.len);
	x |= grace_buf_adds(out, "}}\n");
	return x ? -1 : 0;
}

static void
on_bad_line(void *vc, const struct grace_err *bad)
{
	struct ctx *c = vc;
	struct grace_err e;

	grace_err_print(stderr, prog, bad);
	c->errors++;
	if (c->metrics)
		grace_metrics_bad_line(c->metrics, c->fmt == GRACE_FMT_NDJSON);
	if (c->fmt != GRACE_FMT_NDJSON &&
	    report_item(c, bad->file, bad->line, NULL, NULL, "error",
	    GRACE_OUT_ERROR, "", bad->msg, &e) < 0)
		grace_err_print(stderr, prog, &e);
}

static int
on_event(void *vc, const struct grace_event *ev, struct grace_buf *out,
    struct grace_err *e)
{
	struct ctx *c = vc;
	const struct grace_jspan *g = &ev->found[K_GRACE];
	struct grace_decision *r = &c->r;
	enum grace_outcome o;
	double t0 = c->metrics ? grace_mono_ms() : 0;
	int fails;

	if (g->kind != GRACE_J_NONE && g->kind != GRACE_J_OBJECT) {
		struct grace_err bad;

		grace_err_set(&bad, ev->input, ev->line, g->off + 1,
		    "member 'grace' is %s, not an object",
		    grace_json_kind_name(g->kind));
		bad.code = GRACE_EXIT_INPUT;
		on_bad_line(c, &bad);
		if (c->fmt == GRACE_FMT_NDJSON &&
		    grace_reject_json(out, prog, &bad) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		return GRACE_EXIT_INPUT;
	}
	if (c->explain) {
		const char *id = span_text(&c->t1, ev->p, &ev->found[K_ID]);

		grace_buf_reset(&c->ex);
		grace_buf_addf(&c->ex, "%s: %s:%lu: event %s\n", prog,
		    ev->input, ev->line, id ? id : "(no id)");
	}
	if (grace_decide_event(c->d, ev->p, ev->n, g, &ev->found[K_TYPE], r,
	    c->explain ? &c->ex : NULL) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if (c->explain && c->ex.len) {
		if (fwrite(c->ex.p, 1, c->ex.len, stderr) != c->ex.len)
			return grace_err_sys(e, "<stderr>", "unable to write");
		fflush(stderr);
	}
	c->count[r->verdict]++;
	fails = (c->fail_on >> r->verdict) & 1;
	if (c->fmt == GRACE_FMT_NDJSON) {
		if (grace_json_splice_grace(out, ev->p, ev->n, g, "decision",
		    r->json.p, r->json.len) < 0 ||
		    grace_buf_add(out, "\n", 1) < 0 ||
		    (c->emit && add_emitted(out, ev, r) < 0))
			return grace_err_sys(e, NULL, "out of memory");
	} else {
		const char *id = span_text(&c->t1, ev->p, &ev->found[K_ID]);
		const char *type = span_text(&c->t2, ev->p, &ev->found[K_TYPE]);
		const char *rules = r->rule ? r->rule->id : r->by_weights ?
		    "weights" : grace_dinput_name(r->decided_by);

		grace_buf_reset(&c->t3);
		if (grace_json_unescape(&c->t3, r->json.p + r->reason_off,
		    r->reason_len) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		o = r->verdict == GRACE_V_APPROVE ? GRACE_OUT_PASS :
		    fails ? GRACE_OUT_FAIL : GRACE_OUT_WARN;
		if (report_item(c, ev->input, ev->line, id, type,
		    grace_verdict_name(r->verdict), o, rules, c->t3.p, e) < 0)
			return -1;
	}
	if (c->metrics && grace_metrics_event(c->metrics, t0,
	    grace_verdict_name(r->verdict), c->fmt == GRACE_FMT_NDJSON ?
	    1 + (c->emit != 0) : 0, e) < 0)
		return -1;
	return fails && !c->no_fail ? GRACE_EXIT_NEGATIVE : GRACE_EXIT_OK;
}

/* --check: the decision file loaded; what grace-decide would write must
 * be writable (--metrics). */
static int
run_check(const struct grace_decide *d, const char *path, const char *metrics,
    int json, int quiet)
{
	struct grace_ready r;
	struct grace_buf sum = {0};
	int status;

	grace_buf_addf(&sum, "algorithm %s, %zu input%s, %zu rule%s",
	    grace_dalgo_name(d->algo), d->nused, d->nused == 1 ? "" : "s",
	    d->nrules, d->nrules == 1 ? "" : "s");
	grace_ready_init(&r, prog);
	if (metrics)
		grace_ready_writable(&r, metrics);
	status = grace_ready_print(&r, json, quiet, path, sum.p ? sum.p : "",
	    stdout, stderr);
	grace_ready_free(&r);
	grace_buf_free(&sum);
	return status;
}

static int
run_tests(const struct grace_decide *d, const char *file, int quiet)
{
	struct grace_dcases cs;
	struct grace_decision r = {0};
	struct grace_buf why = {0};
	struct grace_err e;
	size_t i, passed = 0;
	int status = GRACE_EXIT_OK;

	if (grace_dcases_load(file, &cs, &e) < 0)
		return report_load_err(&e, file);
	for (i = 0; i < cs.n; i++) {
		int ok;

		grace_buf_reset(&why);
		ok = grace_dcase_run(d, &cs, &cs.v[i], &r, &why, &e);
		if (ok < 0) {
			status = report_err(&e);
			break;
		}
		if (ok) {
			printf("ok %zu - %s\n", i + 1, cs.v[i].name);
			passed++;
		} else {
			printf("not ok %zu - %s: %s\n", i + 1, cs.v[i].name,
			    why.p ? why.p : "");
		}
	}
	if (status == GRACE_EXIT_OK) {
		fflush(stdout);
		if (!quiet)
			fprintf(stderr, "%zu cases, %zu passed, %zu failed\n",
			    cs.n, passed, cs.n - passed);
		if (passed < cs.n)
			status = GRACE_EXIT_NEGATIVE;
	}
	grace_buf_free(&why);
	grace_decision_free(&r);
	grace_dcases_free(&cs);
	return status;
}

int
main(int argc, char **argv)
{
	enum { O_EMIT = 256, O_EXPLAIN, O_NOFAIL, O_FAILON, O_STRICT,
		O_MAXLINE, O_CHECK, O_TEST, O_ALLOWEMPTY, O_METRICS };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'o' },  /* deprecated */
		{ "emit", no_argument, NULL, O_EMIT },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "no-fail", no_argument, NULL, O_NOFAIL },
		{ "fail-on", required_argument, NULL, O_FAILON },
		{ "allow-empty", no_argument, NULL, O_ALLOWEMPTY },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "test", required_argument, NULL, O_TEST },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	static const char *const keys[K_N] = { "grace", "id", "type" };
	struct grace_filter_opts fo;
	struct grace_filter_stats st;
	struct ctx c;
	struct grace_err e;
	struct grace_decide *d;
	const char *cfg = NULL, *test = NULL, *metrics = NULL, *ofmt = NULL;
	char *found = NULL;
	unsigned long long max = 0;
	unsigned fail_on = 0;
	int opt, check = 0, strict = 0, quiet = 0, have_fail_on = 0, status;
	int allow_empty = 0, cjson = 0;
	int devnull = -1;

	memset(&c, 0, sizeof c);
	argv[0] = (char *)prog;
	while ((opt = getopt_long(argc, argv, "c:o:qhV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg = optarg; break;
		case 'o': ofmt = optarg; break;
		case O_EMIT: c.emit = 1; break;
		case O_EXPLAIN: c.explain = 1; break;
		case O_NOFAIL: c.no_fail = 1; break;
		case O_FAILON:
			if (parse_fail_on(optarg, &fail_on) < 0)
				return usage_error("--fail-on takes a list of "
				    "hold, escalate, reject, not '%s'", optarg);
			have_fail_on = 1;
			break;
		case O_ALLOWEMPTY: allow_empty = 1; break;
		case O_METRICS: metrics = optarg; break;
		case O_STRICT: strict = 1; break;
		case O_MAXLINE:
			if (parse_size(optarg, &max) < 0 || max == 0 ||
			    max > (1ull << 30))
				return usage_error("--max-line takes a byte count "
				    "from 1 to 1073741824, not '%s'", optarg);
			break;
		case 'q': quiet = 1; break;
		case O_CHECK: check = 1; break;
		case O_TEST: test = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("grace-decide (grace) %s\n", GRACE_VERSION);
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
	} else if (ofmt && grace_report_fmt_parse(ofmt, &c.fmt) < 0)
		return usage_error("-o takes ndjson, text, tap, junit or github, "
		    "not '%s'", ofmt);
	if (c.emit && c.fmt != GRACE_FMT_NDJSON)
		return usage_error("%s", "--emit writes events: it needs -o ndjson");
	if ((check || test) && optind < argc)
		return usage_error("%s", "--check and --test read no input files");
	if (check && test)
		return usage_error("%s", "give --check or --test, not both");
	if (!cfg && !(cfg = found = grace_config_find("decide.yaml", &e)))
		return report_err(&e);
	if (!(d = grace_decide_load(cfg, &e))) {
		status = report_load_err(&e, cfg);
		free(found);
		return status;
	}
	if (check) {
		status = run_check(d, cfg, metrics, cjson, quiet);
		goto done;
	}
	if (test) {
		status = run_tests(d, test, quiet);
		goto done;
	}

	c.d = d;
	c.fail_on = have_fail_on ? fail_on : d->fail_on;
	if (metrics && !(c.metrics = grace_metrics_new(prog, metrics))) {
		grace_err_sys(&e, NULL, "out of memory");
		status = report_err(&e);
		goto done;
	}
	if (c.fmt != GRACE_FMT_NDJSON) {
		c.rep = grace_report_new(c.fmt, prog, c.fmt == GRACE_FMT_TEXT &&
		    isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
		/* The report replaces the events: the filter's own output
		 * (annotated events, rejection records) is discarded. */
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (!c.rep || devnull < 0) {
			grace_err_sys(&e, NULL, "unable to start");
			status = report_err(&e);
			goto done;
		}
	}
	memset(&fo, 0, sizeof fo);
	fo.prog = prog;
	fo.max_line = (size_t)max;
	fo.strict = strict;
	fo.keys = keys;
	fo.nkeys = K_N;
	fo.out_fd = devnull >= 0 ? devnull : STDOUT_FILENO;
	grace_err_clear(&e);
	status = grace_filter_run(&fo, argv + optind, (size_t)(argc - optind),
	    on_event, on_bad_line, &c, &st, &e);
	if (status == GRACE_EXIT_SYSTEM)
		grace_err_print(stderr, prog, &e);
	if (c.rep) {
		struct grace_err fe;
		struct grace_report_item it;
		int x = 0;

		grace_cli_none_item(&it, argv + optind, (size_t)(argc - optind));
		if (grace_cli_none_judged(status, st.events + st.rejected,
		    allow_empty))
			x = grace_report_add(c.rep, &it, &c.rbuf);
		if (x == 0)
			x = grace_report_finish(c.rep, &c.rbuf);

		if (x < 0)
			grace_err_sys(&fe, NULL, "out of memory");
		if (x < 0 || report_flush(&c, &fe) < 0) {
			grace_err_print(stderr, prog, &fe);
			status = GRACE_EXIT_SYSTEM;
		}
	}
	if (!quiet)
		fprintf(stderr, "%llu events, %llu approved, %llu held, "
		    "%llu escalated, %llu rejected, %llu errors\n",
		    c.count[GRACE_V_APPROVE] + c.count[GRACE_V_HOLD] +
		    c.count[GRACE_V_ESCALATE] + c.count[GRACE_V_REJECT] + c.errors,
		    c.count[GRACE_V_APPROVE], c.count[GRACE_V_HOLD],
		    c.count[GRACE_V_ESCALATE], c.count[GRACE_V_REJECT], c.errors);
	status = grace_cli_metrics_end(stderr, prog, c.metrics, status);
	status = grace_cli_judged(stderr, prog, status, st.events + st.rejected,
	    allow_empty);
done:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: <stdout>: unable to write: %s\n", prog,
		    strerror(errno));
		status = GRACE_EXIT_SYSTEM;
	}
	if (devnull >= 0)
		close(devnull);
	grace_report_free(c.rep);
	grace_metrics_free(c.metrics);
	grace_decision_free(&c.r);
	grace_buf_free(&c.rbuf);
	grace_buf_free(&c.ex);
	grace_buf_free(&c.t1);
	grace_buf_free(&c.t2);
	grace_buf_free(&c.t3);
	grace_decide_free(d);
	free(found);
	return status;
}
