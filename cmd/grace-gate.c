/* grace-gate - the governance gate: judge each event against the
 * governance file (constitution, threat rules, policies, trust, risk tiers,
 * approvals) and add grace.gate (man/grace-gate.1; the file format in
 * man/grace-governance.5). Option parsing and the loop only: the engine is
 * lib/gate/. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "fileutil.h"
#include "filter.h"
#include "gate/gate.h"
#include "json.h"
#include "metrics.h"
#include "ready.h"
#include "log/log.h"
#include "reject.h"
#include "report.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-gate";

struct gate {
	struct grace_gov *gov;
	struct grace_gov_opts go;
	struct grace_gov_verdict v;
	enum grace_report_fmt fmt;
	struct grace_report *rep;
	struct grace_buf rbuf;        /* report output, written per event */
	struct grace_buf id, type;    /* the event's, for the report */
	int fail_on_warn;
	unsigned long long count[5];  /* per decision */
	unsigned long long rejected;  /* bad lines */
	struct grace_pending *pending; /* --pending */
	struct grace_metrics *metrics; /* --metrics */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grace-gate [-c FILE] [--trust FILE] [--votes FILE]... [--mode MODE]\n"
	    "                  [-o FORMAT] [--explain] [--fail-on-warn] [--no-fail]\n"
	    "                  [--now TIME] [--allow-empty] [--strict] [--max-line BYTES]\n"
	    "                  [--metrics FILE] [-q] [FILE...]\n"
	    "       grace-gate [-c FILE] --pending [--votes FILE]... [-o text|json] [FILE...]\n"
	    "       grace-gate [-c FILE] --check\n"
	    "       grace-gate [-c FILE] --test CASES\n"
	    "\n"
	    "Judge each event of FILEs (default: stdin) against the governance file and\n"
	    "pass it on with grace.gate: allow, warn, review (needs approvals) or deny.\n"
	    "\n"
	    "  -c, --config FILE   the governance file (default: governance.yaml on the\n"
	    "                      search path: $GRACE_CONFIG_DIR, ./config, ~/.config/grace,\n"
	    "                      /etc/grace)\n"
	    "      --trust FILE    the trust file (default: the one the governance names)\n"
	    "      --votes FILE    governance.vote events (or a grace-log log); repeatable\n"
	    "      --mode MODE     enforce (default) or audit: annotate, never block\n"
	    "  -o, --output FMT    ndjson (default), text, tap, junit or github\n"
	    "      --explain       trace every rule consulted on stderr\n"
	    "      --fail-on-warn  a warning exits 1 too\n"
	    "      --no-fail       exit 0 whatever the verdicts, once all is annotated\n"
	    "      --allow-empty   an input with no events exits 0 (default: 1, nothing\n"
	    "                      was judged, so nothing was allowed)\n"
	    "      --now TIME      judge votes' expiry at this RFC 3339 time, not now\n"
	    "      --strict        stop at the first bad input line\n"
	    "      --max-line N    longest input line accepted, in bytes (default 1048576)\n"
	    "      --metrics FILE  write Prometheus textfile metrics to FILE (atomically,\n"
	    "                      every 5 seconds and at the end)\n"
	    "  -q, --quiet         no closing summary, no --check line: errors and the exit\n"
	    "                      status only\n"
	    "      --check         validate the governance (and votes) files and check\n"
	    "                      that what grace-gate writes can be written: ready,\n"
	    "                      on stdout (-o json: one object), or not, and exit\n"
	    "      --test CASES    run a policy test file; exit 1 if a case fails\n"
	    "      --pending       list the requests of FILEs (events, or a grace-log log)\n"
	    "                      still held for review once every vote is counted: who\n"
	    "                      asked, who voted, who is missing, when it expires;\n"
	    "                      text, or NDJSON with -o json; exit 1 if any\n"
	    "  -h, --help          this help;  -V, --version  the version\n"
	    "\n"
	    "Exit status: 0 all allowed (or warned), 1 a deny or an unmet review, or no\n"
	    "events at all (an empty stream or only blank lines; --no-fail does not\n"
	    "change that), 2 usage or configuration error, 3 bad input line or an event\n"
	    "that could not be judged, 4 system error. See grace-gate(1),\n"
	    "grace-governance(5).\n");
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

/* A configuration (or votes) file that cannot be loaded: exit 2, it is a
 * configuration error whatever the cause, unless memory ran out. */
static int
config_err(struct grace_err *e)
{
	if (e->code == GRACE_EXIT_SYSTEM && !strstr(e->msg, "out of memory"))
		e->code = GRACE_EXIT_USAGE;
	return report_err(e);
}

static int
parse_size(const char *s, unsigned long long *v)
{
	return grace_cli_parse_size(s, v);
}

/* The verdict's status: what the exit status will make of it. */
static int
verdict_status(const struct gate *g, enum grace_gov_decision d)
{
	switch (d) {
	case GRACE_GOV_ALLOW:
		return GRACE_EXIT_OK;
	case GRACE_GOV_WARN:
		return g->fail_on_warn && !g->go.audit ? GRACE_EXIT_NEGATIVE :
		    GRACE_EXIT_OK;
	case GRACE_GOV_REVIEW:
	case GRACE_GOV_DENY:
		return g->go.audit ? GRACE_EXIT_OK : GRACE_EXIT_NEGATIVE;
	default:
		return GRACE_EXIT_INPUT;
	}
}

/* How a report shows it: a failure exactly when it fails the run (an
 * unmet review in enforce mode fails; in audit mode a deny is a warning). */
static enum grace_outcome
outcome(const struct gate *g, enum grace_gov_decision d)
{
	switch (verdict_status(g, d)) {
	case GRACE_EXIT_OK:
		return d == GRACE_GOV_ALLOW ? GRACE_OUT_PASS : GRACE_OUT_WARN;
	case GRACE_EXIT_NEGATIVE:
		return GRACE_OUT_FAIL;
	default:
		return GRACE_OUT_ERROR;
	}
}

static int
report_flush(struct gate *g, struct grace_err *e)
{
	if (g->rbuf.len &&
	    grace_write_all(STDOUT_FILENO, g->rbuf.p, g->rbuf.len) < 0)
		return grace_err_sys(e, "<stdout>", "unable to write");
	grace_buf_reset(&g->rbuf);
	return 0;
}

/* The event's id (or input:line) and type into g->id, g->type. */
static void
ids(struct gate *g, const struct grace_event *ev)
{
	const struct grace_jspan *id = &ev->found[1], *ty = &ev->found[2];

	grace_buf_reset(&g->id);
	grace_buf_reset(&g->type);
	if (id->kind == GRACE_J_STRING)
		grace_json_unescape(&g->id, ev->p + id->off, id->len);
	else if (id->kind == GRACE_J_NUMBER)
		grace_buf_add(&g->id, ev->p + id->off, id->len);
	else
		grace_buf_addf(&g->id, "%s:%lu", ev->input, ev->line);
	if (ty->kind == GRACE_J_STRING)
		grace_json_unescape(&g->type, ev->p + ty->off, ty->len);
	else
		grace_buf_adds(&g->type, "");
}

/* A line the filter refused, or an event whose grace member is not an
 * object: the diagnostic, and an error item in a report. */
static void
on_bad_line(void *ctx, const struct grace_err *bad)
{
	struct gate *g = ctx;
	struct grace_report_item it;
	struct grace_buf id = {0};
	struct grace_err e;

	grace_err_print(stderr, prog, bad);
	g->rejected++;
	if (g->metrics)
		grace_metrics_bad_line(g->metrics, !g->rep);
	if (!g->rep)
		return;
	grace_buf_addf(&id, "%s:%lu", bad->file, bad->line);
	memset(&it, 0, sizeof it);
	it.id = id.p ? id.p : "";
	it.decision = "error";
	it.outcome = GRACE_OUT_ERROR;
	it.rules = "";
	it.reason = bad->msg;
	if (grace_report_add(g->rep, &it, &g->rbuf) < 0 ||
	    report_flush(g, &e) < 0)
		grace_err_print(stderr, prog, &e);
	grace_buf_free(&id);
}

static int
on_event(void *ctx, const struct grace_event *ev, struct grace_buf *out,
    struct grace_err *e)
{
	struct gate *g = ctx;
	const struct grace_jspan *gs = &ev->found[0];
	enum grace_gov_decision d;
	double t0;

	if (gs->kind != GRACE_J_NONE && gs->kind != GRACE_J_OBJECT) {
		struct grace_err bad;

		grace_err_set(&bad, ev->input, ev->line, gs->off + 1,
		    "member 'grace' is %s, not an object",
		    grace_json_kind_name(gs->kind));
		on_bad_line(g, &bad);
		g->rejected--;   /* counted below, as an event error */
		g->count[GRACE_GOV_ERROR]++;
		if (!g->rep && grace_reject_json(out, prog, &bad) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		return GRACE_EXIT_INPUT;
	}
	t0 = g->metrics ? grace_mono_ms() : 0;
	if (grace_gov_judge(g->gov, &g->go, ev->p, ev->n, &g->v, e) < 0)
		return -1;
	d = g->v.decision;
	g->count[d]++;
	if (g->metrics && grace_metrics_event(g->metrics, t0,
	    grace_gov_decision_name(d), !g->rep, e) < 0)
		return -1;
	if (d == GRACE_GOV_ERROR)
		fprintf(stderr, "%s: %s:%lu: %s\n", prog, ev->input, ev->line,
		    g->v.reason.p);
	if (g->go.explain) {
		ids(g, ev);
		fprintf(stderr, "%s: %s:%lu: explain %s", prog, ev->input,
		    ev->line, g->id.p);
		if (g->type.len)
			fprintf(stderr, " (%s)", g->type.p);
		fputc('\n', stderr);
		fwrite(g->v.explain.p, 1, g->v.explain.len, stderr);
	}
	if (g->rep) {
		struct grace_report_item it;

		ids(g, ev);
		it.id = g->id.p;
		it.type = g->type.p;
		it.decision = grace_gov_decision_name(d);
		it.outcome = outcome(g, d);
		it.rules = g->v.rules.p;
		it.reason = g->v.reason.p;
		if (grace_report_add(g->rep, &it, &g->rbuf) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		if (report_flush(g, e) < 0)
			return -1;
	} else if (grace_json_splice_grace(out, ev->p, ev->n, gs, "gate",
	    g->v.json.p, g->v.json.len) < 0 || grace_buf_add(out, "\n", 1) < 0) {
		return grace_err_sys(e, NULL, "out of memory");
	}
	return verdict_status(g, d);
}

/* --pending: every line counts its vote or keeps its request. */
static int
on_pending(void *ctx, const struct grace_event *ev, struct grace_buf *out,
    struct grace_err *e)
{
	struct gate *g = ctx;
	struct grace_err pe;

	(void)out;
	grace_err_clear(&pe);
	if (grace_pending_add(g->pending, &g->go, ev->p, ev->n, ev->input,
	    ev->line, &pe) == 0)
		return GRACE_EXIT_OK;
	if (pe.code != GRACE_EXIT_USAGE) {
		*e = pe;
		return -1;
	}
	grace_err_print(stderr, prog, &pe);   /* a malformed vote */
	g->rejected++;
	return GRACE_EXIT_INPUT;
}

/* Votes kept in a grace-log log count only if its chain is intact: a
 * forged approval in a rewritten record must not open a quorum. Returns 1
 * (reported) when path is a log that does not verify, 0 otherwise (not a
 * log: the votes loader reads and judges it). */
static int
votes_log_broken(const char *path)
{
	static const char head[] = "{\"seq\":";
	char buf[sizeof head - 1];
	struct grace_log_result res;
	struct grace_err e;
	struct stat st;
	int fd;
	ssize_t n;

	/* Votes are read twice (this look at the head, then the loader), and
	 * a votes log must be chain-verified: both need the file itself. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		grace_err_set(&e, path, 0, 0, "not a votes file but %s: give the "
		    "file itself (its votes are read twice, and a votes log is "
		    "chain-verified first)", grace_file_kind(st.st_mode));
		e.code = GRACE_EXIT_USAGE;
		report_err(&e);
		return 1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n != (ssize_t)sizeof buf || memcmp(buf, head, sizeof buf) != 0)
		return 0;
	if (grace_log_verify(&path, 1, NULL, 0, 0, NULL, NULL, &res, &e) < 0) {
		report_err(&e);
		return 1;
	}
	if (res.intact)
		return 0;
	grace_err_print(stderr, prog, &res.fail);
	fprintf(stderr, "%s: %s: the votes log does not verify: none of its "
	    "votes are counted\n", prog, path);
	return 1;
}

/* --check: the governance loaded; what grace-gate would write must be
 * writable (--metrics). */
static int
run_check(const struct grace_gov *gov, const char *path, long votes,
    const char *metrics, int json, int quiet)
{
	struct grace_gov_summary s;
	struct grace_ready r;
	struct grace_buf sum = {0};
	int status;

	grace_gov_summary(gov, &s);
	grace_buf_addf(&sum, "%zu constitution rule%s, %zu threat rule%s, "
	    "%zu polic%s, %zu risk rule%s, %zu jq condition%s, default %s",
	    s.constitution, s.constitution == 1 ? "" : "s",
	    s.threats, s.threats == 1 ? "" : "s",
	    s.policies, s.policies == 1 ? "y" : "ies",
	    s.risk_rules, s.risk_rules == 1 ? "" : "s",
	    s.jq_conditions, s.jq_conditions == 1 ? "" : "s",
	    grace_gov_decision_name(s.default_effect));
	if (votes >= 0)
		grace_buf_addf(&sum, ", %ld vote%s", votes, votes == 1 ? "" : "s");
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
run_tests(struct grace_gov *gov, const char *file,
    const struct grace_votes *votes, int64_t now_ms, int quiet)
{
	struct grace_gov_tests *t;
	struct grace_buf why = {0};
	struct grace_err e;
	size_t i, n, passed = 0;
	int status = GRACE_EXIT_OK;

	if (!(t = grace_gov_tests_load(file, &e)))
		return config_err(&e);
	n = grace_gov_tests_count(t);
	for (i = 0; i < n; i++) {
		int ok;

		grace_buf_reset(&why);
		ok = grace_gov_tests_run(gov, t, i, votes, now_ms, &why, &e);
		if (ok < 0) {
			status = report_err(&e);
			break;
		}
		if (ok) {
			printf("ok %zu - %s\n", i + 1, grace_gov_tests_name(t, i));
			passed++;
		} else {
			printf("not ok %zu - %s: %s\n", i + 1,
			    grace_gov_tests_name(t, i), why.p ? why.p : "");
		}
	}
	if (status == GRACE_EXIT_OK) {
		fflush(stdout);
		if (!quiet)
			fprintf(stderr, "%zu cases, %zu passed, %zu failed\n", n,
			    passed, n - passed);
		if (passed < n)
			status = GRACE_EXIT_NEGATIVE;
	}
	grace_buf_free(&why);
	grace_gov_tests_free(t);
	return status;
}

/* --pending: read every line, then list what is still held. */
static int
run_pending(struct gate *g, const struct grace_votes *votes,
    char *const *inputs, size_t ninputs, int json, int strict,
    size_t max_line, int quiet)
{
	static const char *const keys[] = { "grace", "id", "type" };
	struct grace_filter_opts fo;
	struct grace_filter_stats st;
	struct grace_buf out = {0};
	struct grace_err e;
	size_t i, count = 0;
	int status, devnull;

	/* votes in a log count only if its chain is intact */
	for (i = 0; i < ninputs; i++)
		if (strcmp(inputs[i], "-") != 0 && votes_log_broken(inputs[i]))
			return GRACE_EXIT_USAGE;
	if (!(g->pending = grace_pending_new(g->gov, votes)) ||
	    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		grace_err_sys(&e, NULL, "unable to start");
		return report_err(&e);
	}
	memset(&fo, 0, sizeof fo);
	fo.prog = prog;
	fo.max_line = max_line;
	fo.strict = strict;
	fo.keys = keys;
	fo.nkeys = 3;
	fo.out_fd = devnull;
	fo.no_reject_records = 1;
	grace_err_clear(&e);
	status = grace_filter_run(&fo, inputs, ninputs, on_pending, on_bad_line,
	    g, &st, &e);
	close(devnull);
	if (status == GRACE_EXIT_SYSTEM) {
		grace_err_print(stderr, prog, &e);
		return status;
	}
	if (grace_pending_list(g->pending, &g->go, json, &out, &count, &e) < 0) {
		grace_buf_free(&out);
		return report_err(&e);
	}
	if (out.len && grace_write_all(STDOUT_FILENO, out.p, out.len) < 0) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		grace_buf_free(&out);
		return report_err(&e);
	}
	grace_buf_free(&out);
	if (!quiet)
		fprintf(stderr, "%llu events, %zu held for review\n",
		    st.events + st.rejected, count);
	if (status == GRACE_EXIT_OK && count)
		status = GRACE_EXIT_NEGATIVE;
	return status;
}

enum {
	O_TRUST = 256, O_VOTES, O_MODE, O_EXPLAIN, O_FAILWARN, O_NOFAIL,
	O_NOW, O_STRICT, O_MAXLINE, O_CHECK, O_TEST, O_ALLOWEMPTY, O_PENDING,
	O_METRICS,
};

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, O_TRUST },
		{ "votes", required_argument, NULL, O_VOTES },
		{ "mode", required_argument, NULL, O_MODE },
		{ "output", required_argument, NULL, 'o' },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "fail-on-warn", no_argument, NULL, O_FAILWARN },
		{ "no-fail", no_argument, NULL, O_NOFAIL },
		{ "allow-empty", no_argument, NULL, O_ALLOWEMPTY },
		{ "now", required_argument, NULL, O_NOW },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "test", required_argument, NULL, O_TEST },
		{ "pending", no_argument, NULL, O_PENDING },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	/* What the loop locates for us: the rest the engine finds itself. */
	static const char *const keys[] = { "grace", "id", "type" };
	struct grace_filter_opts fo;
	struct grace_filter_stats st;
	struct grace_votes *votes = NULL;
	struct gate g;
	struct grace_err e;
	const char *cfg = NULL, *trust = NULL, *test = NULL;
	const char **vfiles = NULL;
	char *found = NULL;
	unsigned long long max = 0;
	size_t nvfiles = 0, i;
	long nvotes = -1;
	int opt, check = 0, strict = 0, quiet = 0, no_fail = 0, have_now = 0;
	int status, devnull = -1, allow_empty = 0, pending = 0, pjson = 0;
	int cjson = 0;
	const char *ofmt = NULL, *metrics = NULL;

	memset(&g, 0, sizeof g);
	grace_gov_verdict_init(&g.v);
	argv[0] = (char *)prog;
	if (!(vfiles = calloc((size_t)argc, sizeof *vfiles))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return GRACE_EXIT_SYSTEM;
	}
	while ((opt = getopt_long(argc, argv, "c:o:qhV", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg = optarg; break;
		case O_TRUST: trust = optarg; break;
		case O_VOTES: vfiles[nvfiles++] = optarg; break;
		case O_MODE:
			if (strcmp(optarg, "audit") == 0)
				g.go.audit = 1;
			else if (strcmp(optarg, "enforce") == 0)
				g.go.audit = 0;
			else {
				free(vfiles);
				return usage_error("--mode takes enforce or audit, "
				    "not '%s'", optarg);
			}
			break;
		case 'o': ofmt = optarg; break;
		case O_EXPLAIN: g.go.explain = 1; break;
		case O_FAILWARN: g.fail_on_warn = 1; break;
		case O_NOFAIL: no_fail = 1; break;
		case O_ALLOWEMPTY: allow_empty = 1; break;
		case O_NOW: {
			struct timespec ts;

			if (grace_time_parse(optarg, strlen(optarg), &ts,
			    NULL) < 0) {
				free(vfiles);
				return usage_error("--now takes an RFC 3339 time "
				    "such as 2026-11-21T10:00:00Z, not '%s'",
				    optarg);
			}
			g.go.now_ms = (int64_t)ts.tv_sec * 1000 +
			    ts.tv_nsec / 1000000;
			have_now = 1;
			break;
		}
		case O_STRICT: strict = 1; break;
		case O_MAXLINE:
			if (parse_size(optarg, &max) < 0 || max == 0 ||
			    max > (1ull << 30)) {
				free(vfiles);
				return usage_error("--max-line takes a byte count "
				    "from 1 to 1073741824, not '%s'", optarg);
			}
			break;
		case 'q': quiet = 1; break;
		case O_CHECK: check = 1; break;
		case O_TEST: test = optarg; break;
		case O_PENDING: pending = 1; break;
		case O_METRICS: metrics = optarg; break;
		case 'h':
			free(vfiles);
			usage(stdout);
			return 0;
		case 'V':
			free(vfiles);
			printf("grace-gate (grace) %s\n", GRACE_VERSION);
			return 0;
		default:
			free(vfiles);
			return usage_error(NULL);
		}
	}
	if (pending && ofmt) {
		if (strcmp(ofmt, "json") == 0 || strcmp(ofmt, "ndjson") == 0)
			pjson = 1;
		else if (strcmp(ofmt, "text") != 0) {
			free(vfiles);
			return usage_error("--pending writes text or json (-o "
			    "json), not '%s'", ofmt);
		}
	} else if (check && ofmt) {
		if (strcmp(ofmt, "json") == 0)
			cjson = 1;
		else if (strcmp(ofmt, "text") != 0) {
			free(vfiles);
			return usage_error("--check writes text or json (-o json), "
			    "not '%s'", ofmt);
		}
	} else if (ofmt && grace_report_fmt_parse(ofmt, &g.fmt) < 0) {
		free(vfiles);
		return usage_error("-o takes ndjson, text, tap, junit or github, "
		    "not '%s'", ofmt);
	}
	if (pending && (check || test || g.go.audit)) {
		free(vfiles);
		return usage_error("%s", "--pending lists held requests: not with "
		    "--check, --test or --mode audit");
	}
	if ((check || test) && optind < argc) {
		free(vfiles);
		return usage_error("%s", "--check and --test read no input files");
	}
	if (check && test) {
		free(vfiles);
		return usage_error("%s", "give --check or --test, not both");
	}
	if (!have_now) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		g.go.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if (!cfg && !(cfg = found = grace_config_find("governance.yaml", &e))) {
		free(vfiles);
		return report_err(&e);
	}
	if (!(g.gov = grace_gov_load(cfg, trust, &e))) {
		status = config_err(&e);
		goto done;
	}
	if (nvfiles) {
		if (!(votes = grace_votes_new())) {
			grace_err_sys(&e, NULL, "out of memory");
			status = report_err(&e);
			goto done;
		}
		for (nvotes = 0, i = 0; i < nvfiles; i++) {
			long r;

			if (votes_log_broken(vfiles[i])) {
				status = GRACE_EXIT_USAGE;
				goto done;
			}
			r = grace_votes_load_file(votes, vfiles[i], &e);
			if (r < 0) {
				status = config_err(&e);
				goto done;
			}
			nvotes += r;
		}
		g.go.votes = votes;
	}
	if (check) {
		status = run_check(g.gov, cfg, nvotes, metrics, cjson, quiet);
		goto done;
	}
	if (test) {
		status = run_tests(g.gov, test, votes, g.go.now_ms, quiet);
		goto done;
	}
	if (metrics && !(g.metrics = grace_metrics_new(prog, metrics))) {
		grace_err_sys(&e, NULL, "out of memory");
		status = report_err(&e);
		goto done;
	}
	if (pending) {
		status = run_pending(&g, votes, argv + optind,
		    (size_t)(argc - optind), pjson, strict, (size_t)max, quiet);
		goto done;
	}
	if (g.fmt != GRACE_FMT_NDJSON) {
		g.rep = grace_report_new(g.fmt, prog, g.fmt == GRACE_FMT_TEXT &&
		    isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
		/* The report replaces the events: the filter's own output
		 * (rejection records) is discarded. */
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (!g.rep || devnull < 0) {
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
	fo.nkeys = 3;
	fo.out_fd = devnull >= 0 ? devnull : STDOUT_FILENO;
	grace_err_clear(&e);
	status = grace_filter_run(&fo, argv + optind, (size_t)(argc - optind),
	    on_event, on_bad_line, &g, &st, &e);
	if (status == GRACE_EXIT_SYSTEM)
		grace_err_print(stderr, prog, &e);
	if (g.rep) {
		struct grace_err fe;
		struct grace_report_item it;

		grace_cli_none_item(&it, argv + optind, (size_t)(argc - optind));
		if ((grace_cli_none_judged(status, st.events + st.rejected,
		    allow_empty) && grace_report_add(g.rep, &it, &g.rbuf) < 0) ||
		    grace_report_finish(g.rep, &g.rbuf) < 0 ||
		    report_flush(&g, &fe) < 0) {
			grace_err_sys(&fe, "<stdout>", "unable to write");
			grace_err_print(stderr, prog, &fe);
			status = GRACE_EXIT_SYSTEM;
		}
	}
	if (!quiet)
		fprintf(stderr, "%llu events, %llu allowed, %llu warned, "
		    "%llu review, %llu denied, %llu errors\n",
		    g.count[0] + g.count[1] + g.count[2] + g.count[3] +
		    g.count[4] + g.rejected, g.count[GRACE_GOV_ALLOW],
		    g.count[GRACE_GOV_WARN], g.count[GRACE_GOV_REVIEW],
		    g.count[GRACE_GOV_DENY], g.count[GRACE_GOV_ERROR] + g.rejected);
	status = grace_cli_metrics_end(stderr, prog, g.metrics, status);
	if (no_fail && status != GRACE_EXIT_SYSTEM)
		status = GRACE_EXIT_OK;
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
	grace_report_free(g.rep);
	grace_pending_free(g.pending);
	grace_metrics_free(g.metrics);
	grace_gov_verdict_free(&g.v);
	grace_buf_free(&g.rbuf);
	grace_buf_free(&g.id);
	grace_buf_free(&g.type);
	grace_votes_free(votes);
	grace_gov_free(g.gov);
	free(found);
	free(vfiles);
	return status;
}
