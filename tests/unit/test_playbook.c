/* test_playbook.c - lib/heal/playbooks.c and run.c: loading and
 * validating playbook files, matching anomalies, placeholders, the steps
 * of a proposal, test files, and runs of real commands (true, false,
 * sleep, the scripts of tests/fixtures/heal/) with the exact events they
 * emit (times and durations masked). Run from the repository root. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "fileutil.h"
#include "heal/heal.h"
#include "timeutil.h"
#include "t.h"

static char tmp[256];
static char fix[1024];          /* absolute tests/fixtures/heal */
static int nfile;

/* Write text to tmp/name; returns the path (static, per call rotated). */
static const char *
put(const char *name, const char *text)
{
	static char paths[8][512];
	static int k;
	char *p = paths[k++ % 8];
	FILE *f;

	snprintf(p, 512, "%s/%s", tmp, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

static char *
slurp(const char *path)
{
	struct grace_err e;
	size_t n;

	return grace_read_file(path, 1 << 20, &n, &e);
}

/* Load one playbook file written from text; NULL with e filled. */
static struct grace_playbooks *
load_text(const char *text, struct grace_err *e)
{
	char name[32];
	const char *path;

	snprintf(name, sizeof name, "pb%d.yaml", nfile++);
	path = put(name, text);
	return grace_playbooks_load(&path, 1, e);
}

/* The error of loading text, as "line:col: msg" (file left out). */
static const char *
load_err(const char *text)
{
	static char buf[1024];
	struct grace_err e;
	struct grace_playbooks *p = load_text(text, &e);

	if (p) {
		grace_playbooks_free(p);
		return "(loaded)";
	}
	snprintf(buf, sizeof buf, "%lu:%lu: %s", e.line, e.col, e.msg);
	return buf;
}

/* Collect the emitted events, one per line, with times and durations
 * masked: "time":"T", "duration_ms":0. */
struct sink {
	struct grace_buf b;
	int fail_after;             /* emit fails after this many; 0: never */
	int n;
};

static int
collect(void *arg, const char *ev, size_t n, struct grace_err *e)
{
	struct sink *s = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i + 8 <= n && memcmp(ev + i, "\"time\":\"", 8) == 0) {
			grace_buf_adds(&s->b, "\"time\":\"T\"");
			for (i += 8; i < n && ev[i] != '"'; i++)
				;
			continue;
		}
		if (i + 14 <= n && memcmp(ev + i, "\"duration_ms\":", 14) == 0) {
			grace_buf_adds(&s->b, "\"duration_ms\":0");
			for (i += 14; i + 1 < n && ev[i + 1] >= '0' &&
			    ev[i + 1] <= '9'; i++)
				;
			continue;
		}
		grace_buf_add(&s->b, ev + i, 1);
	}
	grace_buf_add(&s->b, "\n", 1);
	if (s->fail_after && ++s->n >= s->fail_after)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM, "stop");
	return 0;
}

static const char *ANOM = "{\"specversion\":\"1.0\",\"id\":\"an-1\","
    "\"type\":\"anomaly.detected\",\"source\":\"grace-heal\","
    "\"subject\":\"web\",\"data\":{\"anomaly\":\"heartbeat_missed\","
    "\"severity\":\"high\",\"component\":\"web\",\"detector\":\"hb\"}}";

/* Run playbook name of pbs on ev; the events in s, the outcome. */
static int
run(struct grace_playbooks *pbs, const char *name, const char *ev,
    struct sink *s, enum grace_hout *out, struct grace_err *e)
{
	struct grace_hrun_opts o;
	const struct grace_playbook *pb = grace_playbook_find(pbs, name);
	char snapdir[512];

	if (!pb)
		return grace_err_setc(e, 2, "no playbook %s", name);
	snprintf(snapdir, sizeof snapdir, "%s/snapshots", tmp);
	memset(&o, 0, sizeof o);
	o.healing_id = "h-1";
	o.hop = 1;
	o.snapshot_dir = snapdir;
	o.output_cap = 200;
	o.emit = collect;
	o.arg = s;
	return grace_playbook_run(pb, ev, strlen(ev), &o, out, e);
}

#define HEAD(n, t) "{\"specversion\":\"1.0\",\"id\":\"h-1-" #n "\"," \
	"\"type\":\"" t "\",\"source\":\"grace-heal\",\"time\":\"T\"," \
	"\"subject\":\"web\",\"causation\":{\"healing\":\"h-1\",\"hop\":1}," \
	"\"data\":{\"healing\":\"h-1\""
#define STARTED(pb) HEAD(1, "healing.started") ",\"playbook\":\"" pb "\"," \
	"\"anomaly\":{\"id\":\"an-1\",\"type\":\"heartbeat_missed\"," \
	"\"component\":\"web\",\"severity\":\"high\"},\"hop\":1}}\n"

static void
test_load_errors(void)
{
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n    stepz: []\n"),
	    "5:5: unknown key 'stepz' (expected one of: name, description, "
	    "match, risk, budget, cooldown, breaker, approval_ttl, max_hops, "
	    "snapshot, steps, verify, rollback)", "unknown key at line:col");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [echo, \"id={data.id}\"]}]\n"),
	    "4:36: a placeholder must be the whole value, not part of "
	    "'id={data.id}': nothing is spliced into a longer string (pass it "
	    "as its own argument or in env)", "placeholder inside a string");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [\"{data.cmd}\"]}]\n"),
	    "4:30: argv[0] is the program and must be written out, not a "
	    "placeholder", "argv[0] placeholder");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: echo hi}]\n"),
	    "4:29: argv is a list of strings, the program first (never a "
	    "shell string), got a string", "argv as a shell string");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true], on_failure: retry}]\n"),
	    "4:49: unknown on_failure 'retry' (expected one of: continue, "
	    "rollback, escalate)", "bad on_failure");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {severity: high}\n"
	    "    steps: [{name: s, argv: [true]}]\n"),
	    "3:12: missing required key 'anomaly'", "anomaly is required");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: \"[x\"}\n"
	    "    steps: [{name: s, argv: [true]}]\n"),
	    "3:22: bad glob '[x': '[' is not closed by ']'", "bad glob");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x, "
	    "when: '.data |'}\n    steps: [{name: s, argv: [true]}]\n"),
	    "3:31: invalid jq expression '.data |': syntax error, unexpected "
	    "$end", "jq that does not compile");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true], env: {GRACE_EVENT: x}}]\n"),
	    "4:43: GRACE_EVENT is set by grace-heal for every step",
	    "reserved env");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}, {name: s, argv: [false]}]\n"),
	    "4:45: duplicate step name 's' in steps (first at line 4)",
	    "duplicate step");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n    verify: {contract: c}\n"),
	    "5:13: verify names contract 'c' but no contracts file "
	    "(contracts: FILE)", "contract without a file");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    risk: severe\n    steps: [{name: s, argv: [true]}]\n"),
	    "4:11: unknown risk 'severe' (expected one of: low, medium, high, "
	    "critical)", "bad risk");
	T_STREQ(load_err("defaults: {budget: {max: 2, windw: 1h}}\nplaybooks:\n"
	    "  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n"),
	    "1:29: unknown key 'windw' (expected one of: max, window, "
	    "reset_after)", "unknown key in defaults");
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true], timeout: 5}]\n"),
	    "4:46: missing unit in duration '5': use 5s", "timeout needs a unit");
	T_OK(strncmp(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n  - name: a\n"
	    "    match: {anomaly: y}\n    steps: [{name: s, argv: [true]}]\n"),
	    "5:11: duplicate playbook name 'a' (first in ", 44) == 0,
	    "duplicate name");
}

static void
test_two_files(void)
{
	struct grace_err e;
	const char *a = put("a.yaml", "trust: {verified: 0.1}\nplaybooks:\n"
	    "  - name: one\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n");
	const char *b = put("b.yaml", "trust: {failed: -0.2}\nplaybooks:\n"
	    "  - name: two\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n");
	const char *c = put("c.yaml", "playbooks:\n  - name: one\n"
	    "    match: {anomaly: x}\n    steps: [{name: s, argv: [true]}]\n");
	const char *ab[2] = { a, b }, *ac[2] = { a, c };
	struct grace_playbooks *p;
	char want[1024];

	p = grace_playbooks_load(ab, 2, &e);
	T_OK(!p, "a second trust section is refused");
	snprintf(want, sizeof want, "a second trust section (the first is in "
	    "%s at line 1): at most one playbook file has one", a);
	T_STREQ(e.msg, want, "... naming the first file");
	T_STREQ(e.file, b, "... at the second file");
	T_INTEQ(e.line, 1, "... line");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "... status 2");
	p = grace_playbooks_load(ac, 2, &e);
	T_OK(!p, "a name in two files is refused");
	snprintf(want, sizeof want, "duplicate playbook name 'one' (first in "
	    "%s at line 3)", a);
	T_STREQ(e.msg, want, "... naming the first");
	p = grace_playbooks_load(&a, 1, &e);
	T_OK(p && p->trust.set, "one trust section is kept");
	if (p) {
		T_OK(p->trust.verified == 0.1 && p->trust.failed == -0.1 &&
		    p->trust.ceiling == 1, "trust: given and default amounts");
		grace_playbooks_free(p);
	}
	a = "/nonexistent/pb.yaml";
	p = grace_playbooks_load(&a, 1, &e);
	T_OK(!p && e.code == GRACE_EXIT_SYSTEM, "a missing file: status 4 (%s)",
	    e.msg);
}

static void
test_policy(void)
{
	struct grace_err e;
	struct grace_playbooks *p = load_text("defaults:\n  risk: high\n"
	    "  budget: {max: 5, window: 2h, reset_after: 10m}\n"
	    "  cooldown: 1m\n  max_hops: 3\nplaybooks:\n"
	    "  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n"
	    "  - name: b\n    match: {anomaly: x}\n    risk: low\n"
	    "    breaker: {min_runs: 2, failure_rate: 0.25, delay: 30s}\n"
	    "    approval_ttl: 90s\n    budget: {max: 0}\n"
	    "    steps: [{name: s, argv: [true]}]\n", &e);
	const struct grace_hpolicy *a, *b;

	T_OK(p != NULL, "policies load (%s)", p ? "" : e.msg);
	if (!p)
		return;
	a = &p->v[0].policy;
	b = &p->v[1].policy;
	T_OK(a->risk == 2 && a->budget_max == 5 &&
	    a->budget_window_ms == 7200000 && a->budget_reset_ms == 600000 &&
	    a->cooldown_ms == 60000 && a->max_hops == 3, "the file's defaults");
	T_OK(a->breaker_min_runs == 5 && a->breaker_rate == 0.5 &&
	    a->breaker_delay_ms == 600000 && a->approval_ttl_ms == 900000,
	    "built-in defaults under them");
	T_OK(b->risk == 0 && b->budget_max == 0 && b->breaker_min_runs == 2 &&
	    b->breaker_rate == 0.25 && b->breaker_delay_ms == 30000 &&
	    b->approval_ttl_ms == 90000 && b->cooldown_ms == 60000,
	    "a playbook's own keys over the defaults");
	T_INTEQ(p->v[1].line, 10, "where it was defined");
	T_OK(!p->trust.set, "no trust section");
	grace_playbooks_free(p);
}

static void
test_match(void)
{
	struct grace_err e;
	struct grace_playbooks *p = load_text("playbooks:\n"
	    "  - name: any-hb\n    match: {anomaly: heart*}\n"
	    "    steps: [{name: s, argv: [true]}]\n"
	    "  - name: hb-high-web\n    match: {anomaly: [x, heartbeat_missed],"
	    " severity: high, component: [\"web*\"]}\n"
	    "    steps: [{name: s, argv: [true]}]\n"
	    "  - name: hb-critical\n    match: {anomaly: heartbeat_missed, "
	    "severity: critical}\n    steps: [{name: s, argv: [true]}]\n"
	    "  - name: hb-when\n    match: {anomaly: heartbeat_missed, when: "
	    "'.data.detector == \"hb\"'}\n    steps: [{name: s, argv: [true]}]\n"
	    "  - name: hb-err\n    match: {anomaly: heartbeat_missed, "
	    "component: db, when: 'error(\"boom\")'}\n"
	    "    steps: [{name: s, argv: [true]}]\n", &e);
	size_t idx[8];
	long n;
	const char *ev;

	T_OK(p != NULL, "match playbooks load (%s)", p ? "" : e.msg);
	if (!p)
		return;
	n = grace_playbooks_match(p, ANOM, strlen(ANOM), idx, &e);
	T_INTEQ(n, 3, "three match");
	T_OK(n == 3 && idx[0] == 0 && idx[1] == 1 && idx[2] == 3,
	    "in file order: glob, severity and component, when");
	ev = "{\"type\":\"anomaly.flapping\",\"data\":{\"anomaly\":"
	    "\"heartbeat_missed\",\"severity\":\"critical\",\"component\":"
	    "\"webby\",\"detector\":\"x\"}}";
	n = grace_playbooks_match(p, ev, strlen(ev), idx, &e);
	T_OK(n == 3 && idx[0] == 0 && idx[1] == 1 && idx[2] == 2,
	    "anomaly.flapping, critical is above high, when false");
	ev = "{\"type\":\"anomaly.resolved\",\"data\":{\"anomaly\":"
	    "\"heartbeat_missed\",\"severity\":\"critical\"}}";
	T_INTEQ(grace_playbooks_match(p, ev, strlen(ev), idx, &e), 0,
	    "a resolved anomaly matches nothing");
	ev = "{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":"
	    "\"heartbeat_missed\",\"severity\":\"bogus\",\"component\":\"web\"}}";
	n = grace_playbooks_match(p, ev, strlen(ev), idx, &e);
	T_OK(n == 1 && idx[0] == 0, "an unknown severity meets no minimum");
	ev = "{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":"
	    "\"heartbeat_missed\",\"component\":\"db\"}}";
	n = grace_playbooks_match(p, ev, strlen(ev), idx, &e);
	T_INTEQ(n, -1, "a when that fails at run time is an error");
	T_INTEQ(e.code, GRACE_EXIT_INPUT, "... status 3");
	T_OK(strstr(e.msg, "jq: error") != NULL, "... a jq error (%s)", e.msg);
	ev = "{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":5}}";
	T_INTEQ(grace_playbooks_match(p, ev, strlen(ev), idx, &e), 0,
	    "an anomaly type that is not a string matches nothing");
	T_OK(grace_playbook_find(p, "hb-when") == &p->v[3] &&
	    !grace_playbook_find(p, "nope"), "find by name");
	grace_playbooks_free(p);
}

static void
test_steps_json(void)
{
	struct grace_err e;
	struct grace_playbooks *p = load_text("playbooks:\n"
	    "  - name: a\n    match: {anomaly: x}\n"
	    "    steps:\n      - name: go\n        argv: [actions/restart, "
	    "--component, \"{data.component}\", \"{data.missing}\", \"{}\", "
	    "\"a{b\"]\n        env: {WHO: \"{subject}\", N: \"{data.n}\"}\n"
	    "    verify: {steps: [{name: check, argv: [true]}], contract: c, "
	    "contracts: contracts.yaml}\n"
	    "    rollback: [{name: undo, argv: [\"/bin/echo\", \"{data}\"]}]\n",
	    &e);
	struct grace_buf out = { 0 };
	const char *ev = "{\"type\":\"anomaly.detected\",\"subject\":\"w\\\"1\","
	    "\"data\":{\"anomaly\":\"x\",\"component\":\"web; rm -rf /\","
	    "\"n\":12.5}}";

	T_OK(p != NULL, "steps playbook loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(grace_playbook_steps_json(&p->v[0], ev, strlen(ev), &out), 0,
	    "steps_json");
	T_STREQ(out.p, "[{\"phase\":\"step\",\"name\":\"go\",\"argv\":["
	    "\"actions/restart\",\"--component\",\"web; rm -rf /\",\"\",\"{}\","
	    "\"a{b\"],\"env\":{\"WHO\":\"w\\\"1\",\"N\":\"12.5\"}},"
	    "{\"phase\":\"verify\",\"name\":\"check\",\"argv\":[\"true\"]},"
	    "{\"phase\":\"verify\",\"contract\":\"c\"},"
	    "{\"phase\":\"rollback\",\"name\":\"undo\",\"argv\":[\"/bin/echo\","
	    "\"{\\\"anomaly\\\":\\\"x\\\",\\\"component\\\":\\\"web; rm -rf /\\\","
	    "\\\"n\\\":12.5}\"]}]",
	    "placeholders replaced whole; absent is empty; a number or an "
	    "object as written; braces that are no placeholder stay");
	grace_buf_free(&out);
	grace_playbooks_free(p);
}

static void
test_cases(void)
{
	struct grace_err e;
	const char *dir = "playbooks";
	struct grace_playbooks *p = grace_playbooks_load(&dir, 1, &e);
	struct grace_hcases cs;
	struct grace_buf why = { 0 };
	size_t i, pass = 0;
	const char *f;

	T_OK(p != NULL, "the shipped playbooks load (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(p->n, 20, "20 shipped playbooks");
	T_OK(p->trust.set, "with a trust section");
	T_INTEQ(grace_hcases_load("playbooks/playbooks.test.yaml", p, &cs, &e),
	    0, "the shipped test file loads");
	for (i = 0; i < cs.n; i++)
		pass += grace_hcase_run(p, &cs.v[i], &why, &e) == 1;
	T_OK(cs.n > 20 && pass == cs.n, "every shipped case passes (%zu/%zu) %s",
	    pass, cs.n, why.p ? why.p : "");
	grace_hcases_free(&cs);
	f = put("t1.yaml", "cases:\n  - name: wrong\n    event: {type: "
	    "anomaly.detected, data: {anomaly: stall, component: w}}\n"
	    "    playbook: restart-on-memory\n  - name: none\n    event: {type: "
	    "anomaly.detected, data: {anomaly: stall}}\n    playbooks: []\n");
	T_INTEQ(grace_hcases_load(f, p, &cs, &e), 0, "a test file loads");
	grace_buf_reset(&why);
	T_INTEQ(grace_hcase_run(p, &cs.v[0], &why, &e), 0, "a wrong case fails");
	T_STREQ(why.p, "case 'wrong' (line 2): expected playbook "
	    "restart-on-memory first, got [restart-on-stall]", "... saying why");
	grace_buf_reset(&why);
	T_INTEQ(grace_hcase_run(p, &cs.v[1], &why, &e), 0, "an expected none "
	    "that matched fails");
	T_STREQ(why.p, "case 'none' (line 5): expected playbooks [], got "
	    "[restart-on-stall]", "... saying why");
	grace_hcases_free(&cs);
	f = put("t2.yaml", "cases:\n  - name: x\n    event: {type: a}\n"
	    "    playbook: nope\n");
	T_INTEQ(grace_hcases_load(f, p, &cs, &e), -1, "an unknown playbook in "
	    "a test file");
	T_STREQ(e.msg, "unknown playbook 'nope'", "... named");
	T_OK(e.line == 4 && e.col == 15, "... at its line:col");
	f = put("t3.yaml", "cases:\n  - name: x\n    event: {type: a}\n"
	    "    expect: nope\n");
	T_INTEQ(grace_hcases_load(f, p, &cs, &e), -1, "an unknown key in a "
	    "test file");
	T_STREQ(e.msg, "unknown key 'expect' (expected one of: name, event, "
	    "playbook, playbooks)", "... named");
	grace_buf_free(&why);
	grace_playbooks_free(p);
}

/* ------------------------------------------------------------------ */
/* Runs. */

static struct grace_playbooks *
load_run(const char *body, struct grace_err *e)
{
	char text[8192];

	snprintf(text, sizeof text, "playbooks:\n%s", body);
	return load_text(text, e);
}

static void
test_run_verified(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	struct grace_playbooks *p = load_run("  - name: ok\n"
	    "    match: {anomaly: x}\n    steps:\n"
	    "      - {name: one, argv: [true]}\n"
	    "      - {name: two, argv: [sh, -c, 'echo out; echo err >&2', x]}\n"
	    "    verify: [{name: check, argv: [\"true\"]}]\n", &e);

	T_OK(p != NULL, "run playbook loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(run(p, "ok", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "verified");
	T_STREQ(s.b.p, STARTED("ok")
	    HEAD(2, "healing.step") ",\"phase\":\"step\",\"step\":\"one\","
	    "\"argv\":[\"true\"],\"exit\":0,\"attempt\":1,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(3, "healing.step") ",\"phase\":\"step\",\"step\":\"two\","
	    "\"argv\":[\"sh\",\"-c\",\"echo out; echo err >&2\",\"x\"],\"exit\":0,"
	    "\"attempt\":1,\"duration_ms\":0,\"output\":\"out\\nerr\\n\","
	    "\"truncated\":false}}\n"
	    HEAD(4, "healing.step") ",\"phase\":\"verify\",\"step\":\"check\","
	    "\"argv\":[\"true\"],\"exit\":0,\"attempt\":1,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(5, "healing.verified") ",\"playbook\":\"ok\",\"reason\":"
	    "\"every step succeeded and verify passed\"}}\n",
	    "the events of a verified run");
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

static void
test_run_retries(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	char body[2048], cnt[512];
	struct grace_playbooks *p;
	double t0, ms;

	snprintf(cnt, sizeof cnt, "%s/count", tmp);
	unlink(cnt);
	snprintf(body, sizeof body, "  - name: retry\n"
	    "    match: {anomaly: x}\n    steps:\n"
	    "      - name: flaky\n        argv: [\"%s/fail-until\", \"3\", "
	    "\"%s\"]\n        retries: 3\n        delay: 100ms\n"
	    "        backoff: 2\n", fix, cnt);
	p = load_run(body, &e);
	T_OK(p != NULL, "retry playbook loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	t0 = grace_mono_ms();
	T_INTEQ(run(p, "retry", ANOM, &s, &out, &e), 0, "run");
	ms = grace_mono_ms() - t0;
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "it worked on the third attempt");
	T_OK(ms >= 300 && ms < 3000, "waited 100ms then 200ms (%.0fms)", ms);
	{
		char want[16384];

		snprintf(want, sizeof want, STARTED("retry")
		    HEAD(2, "healing.step") ",\"phase\":\"step\",\"step\":\"flaky\","
		    "\"argv\":[\"%s/fail-until\",\"3\",\"%s\"],\"exit\":1,"
		    "\"attempt\":1,\"duration_ms\":0,\"output\":\"not yet\\n\","
		    "\"truncated\":false}}\n"
		    HEAD(3, "healing.step") ",\"phase\":\"step\",\"step\":\"flaky\","
		    "\"argv\":[\"%s/fail-until\",\"3\",\"%s\"],\"exit\":1,"
		    "\"attempt\":2,\"duration_ms\":0,\"output\":\"not yet\\n\","
		    "\"truncated\":false}}\n"
		    HEAD(4, "healing.step") ",\"phase\":\"step\",\"step\":\"flaky\","
		    "\"argv\":[\"%s/fail-until\",\"3\",\"%s\"],\"exit\":0,"
		    "\"attempt\":3,\"duration_ms\":0,\"output\":\"worked\\n\","
		    "\"truncated\":false}}\n"
		    HEAD(5, "healing.verified") ",\"playbook\":\"retry\",\"reason\":"
		    "\"every step succeeded (no verify)\"}}\n", fix, cnt, fix, cnt,
		    fix, cnt);
		T_STREQ(s.b.p, want, "three attempts, each an event");
	}
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

/* 1 when pid has exited (or is a zombie nobody reaped yet), within 2s. */
static int
gone(int pid)
{
	char path[64], *st, *p;
	int i;

	for (i = 0; i < 40; i++) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		st = slurp(path);
		p = st ? strrchr(st, ')') : NULL;
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) {
			free(st);
			return 1;
		}
		free(st);
		usleep(50000);
	}
	return 0;
}

static void
test_run_timeout(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	char body[2048], pidf[512];
	struct grace_playbooks *p;
	double t0, ms;
	char *pid;

	snprintf(pidf, sizeof pidf, "%s/child.pid", tmp);
	snprintf(body, sizeof body, "  - name: slow\n"
	    "    match: {anomaly: x}\n    steps:\n"
	    "      - name: hang\n        argv: [\"%s/spawn-sleep\", \"%s\"]\n"
	    "        timeout: 300ms\n        on_failure: escalate\n"
	    "      - {name: never, argv: [true]}\n", fix, pidf);
	p = load_run(body, &e);
	T_OK(p != NULL, "timeout playbook loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	t0 = grace_mono_ms();
	T_INTEQ(run(p, "slow", ANOM, &s, &out, &e), 0, "run");
	ms = grace_mono_ms() - t0;
	T_INTEQ(out, GRACE_HOUT_ESCALATED, "escalated");
	T_OK(ms < 2500, "killed at the timeout (%.0fms)", ms);
	{
		char want[16384];

		snprintf(want, sizeof want, STARTED("slow")
		    HEAD(2, "healing.step") ",\"phase\":\"step\",\"step\":\"hang\","
		    "\"argv\":[\"%s/spawn-sleep\",\"%s\"],\"signal\":15,"
		    "\"timed_out\":true,\"attempt\":1,\"duration_ms\":0,"
		    "\"output\":\"\",\"truncated\":false}}\n"
		    HEAD(3, "healing.failed") ",\"playbook\":\"slow\",\"reason\":"
		    "\"step 'hang' failed: timed out after 300ms (killed)\"}}\n"
		    HEAD(4, "healing.escalated") ",\"reason\":\"step 'hang' "
		    "failed: timed out after 300ms (killed)\"}}\n", fix, pidf);
		T_STREQ(s.b.p, want, "timed out, failed, escalated; the next "
		    "step never ran");
	}
	pid = slurp(pidf);
	T_OK(pid && gone(atoi(pid)), "the step's child was killed with its "
	    "process group");
	free(pid);
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

static void
test_run_rollback(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	char body[4096], want[16384];
	struct grace_playbooks *p;
	char *c;
	struct stat st;

	put("conf", "good\n");
	chmod(put("conf", "good\n"), 0640);
	{
		char nf[512];

		snprintf(nf, sizeof nf, "%s/new", tmp);
		unlink(nf);
	}
	snprintf(body, sizeof body, "  - name: rb\n"
	    "    match: {anomaly: x}\n    snapshot: [conf, new]\n    steps:\n"
	    "      - {name: change, argv: [\"%s/put\", \"%s/conf\", bad]}\n"
	    "      - {name: create, argv: [\"%s/put\", \"%s/new\", made]}\n"
	    "    verify: [{name: check, argv: [\"false\"]}]\n"
	    "    rollback: [{name: undo, argv: [\"true\"]}]\n", fix, tmp, fix,
	    tmp);
	p = load_run(body, &e);
	T_OK(p != NULL, "rollback playbook loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(run(p, "rb", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_ROLLED_BACK, "rolled back");
	snprintf(want, sizeof want, STARTED("rb")
	    HEAD(2, "healing.step") ",\"phase\":\"step\",\"step\":\"change\","
	    "\"argv\":[\"%s/put\",\"%s/conf\",\"bad\"],\"exit\":0,\"attempt\":1,"
	    "\"duration_ms\":0,\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(3, "healing.step") ",\"phase\":\"step\",\"step\":\"create\","
	    "\"argv\":[\"%s/put\",\"%s/new\",\"made\"],\"exit\":0,\"attempt\":1,"
	    "\"duration_ms\":0,\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(4, "healing.step") ",\"phase\":\"verify\",\"step\":\"check\","
	    "\"argv\":[\"false\"],\"exit\":1,\"attempt\":1,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(5, "healing.failed") ",\"playbook\":\"rb\",\"reason\":"
	    "\"verify step 'check' failed: exit 1\"}}\n"
	    HEAD(6, "healing.step") ",\"phase\":\"rollback\",\"step\":\"undo\","
	    "\"argv\":[\"true\"],\"exit\":0,\"attempt\":1,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(7, "healing.rolled_back") ",\"restored\":[\"%s/conf\","
	    "\"%s/new\"],\"reason\":\"verify step 'check' failed: exit 1\"}}\n",
	    fix, tmp, fix, tmp, tmp, tmp);
	T_STREQ(s.b.p, want, "verify failed, rollback ran, files restored");
	{
		char path[512];

		snprintf(path, sizeof path, "%s/conf", tmp);
		c = slurp(path);
		T_STREQ(c, "good\n", "the snapshot put the file back");
		free(c);
		T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
		    "with its mode");
		snprintf(path, sizeof path, "%s/new", tmp);
		T_OK(access(path, F_OK) < 0, "a file that was not there is removed");
		snprintf(path, sizeof path, "%s/snapshots/h-1", tmp);
		T_OK(access(path, F_OK) < 0, "the snapshot copies are gone after "
		    "the run");
	}
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

static void
test_run_failures(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	struct grace_playbooks *p = load_run("  - name: cont\n"
	    "    match: {anomaly: x}\n    steps:\n"
	    "      - {name: bad, argv: [\"false\"], on_failure: continue}\n"
	    "      - {name: good, argv: [\"true\"]}\n"
	    "    verify: [{name: check, argv: [\"true\"]}]\n"
	    "  - name: cont-noverify\n    match: {anomaly: x}\n    steps:\n"
	    "      - {name: bad, argv: [\"false\"], on_failure: continue}\n"
	    "  - name: missing\n    match: {anomaly: x}\n    steps:\n"
	    "      - {name: kube, argv: [grace-no-such-tool, get, pods]}\n"
	    "      - {name: never, argv: [\"true\"]}\n"
	    "  - name: missing-rel\n    match: {anomaly: x}\n    steps:\n"
	    "      - {name: act, argv: [actions/nope]}\n"
	    "    rollback: [{name: rb, argv: [\"false\"]}]\n"
	    "  - name: esc-verify\n    match: {anomaly: x}\n    steps:\n"
	    "      - {name: go, argv: [\"true\"]}\n"
	    "    verify: [{name: v, argv: [\"false\"], on_failure: escalate}]\n"
	    "    rollback: [{name: rb, argv: [\"true\"]}]\n"
	    "  - name: missing-rb\n    match: {anomaly: x}\n    steps:\n"
	    "      - {name: kube, argv: [grace-no-such-tool], retries: 3}\n"
	    "    rollback: [{name: rb, argv: [sh, -c, 'test -z \"$1\"', x, \"\"]}]\n"
	    "  - name: big\n    match: {anomaly: x}\n    steps:\n"
	    "      - {name: loud, argv: [sh, -c, 'yes | head -c 5000']}\n", &e);
	T_OK(p != NULL, "failure playbooks load (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(run(p, "cont", ANOM, &s, &out, &e), 0, "run continue");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "on_failure continue goes on; verify "
	    "decides");
	T_OK(strstr(s.b.p, "\"step\":\"good\"") && strstr(s.b.p, "\"reason\":"
	    "\"verify passed (a step failed with on_failure: continue)\""),
	    "the next step ran, the reason says a step failed");
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "cont-noverify", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_FAILED, "continue without verify: failed, "
	    "nothing to roll back");
	T_OK(strstr(s.b.p, "\"reason\":\"step 'bad' failed: exit 1 "
	    "(on_failure: continue), and there is no verify to show it "
	    "healed\"") != NULL, "... and why (%s)", s.b.p);
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "missing", ANOM, &s, &out, &e), 0, "run missing");
	T_INTEQ(out, GRACE_HOUT_ESCALATED, "a missing tool is a failure, "
	    "escalated");
	T_STREQ(s.b.p, STARTED("missing")
	    HEAD(2, "healing.step") ",\"phase\":\"step\",\"step\":\"kube\","
	    "\"argv\":[\"grace-no-such-tool\",\"get\",\"pods\"],\"error\":"
	    "\"grace-no-such-tool: not found\",\"attempt\":1,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}}\n"
	    HEAD(3, "healing.failed") ",\"playbook\":\"missing\",\"reason\":"
	    "\"step 'kube' failed: grace-no-such-tool: not found\"}}\n"
	    HEAD(4, "healing.escalated") ",\"reason\":\"step 'kube' failed: "
	    "grace-no-such-tool: not found\"}}\n",
	    "... with a clear error, never a pretend success");
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "missing-rel", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_ESCALATED, "a rollback that fails escalates");
	T_OK(strstr(s.b.p, "\"error\":\"actions/nope: not found\"") &&
	    strstr(s.b.p, "\"type\":\"healing.escalated\"") &&
	    strstr(s.b.p, "\"reason\":\"rollback failed: rollback step 'rb' "
	    "failed: exit 1 (after: step 'act' failed: actions/nope: not "
	    "found)\""), "... saying both (%s)", s.b.p);
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "missing-rb", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_ESCALATED, "a missing tool: rolled back, then "
	    "escalated");
	{
		const char *a = strstr(s.b.p, "\"type\":\"healing.rolled_back\""),
		    *b = strstr(s.b.p, "\"type\":\"healing.escalated\"");

		T_OK(a && b && a < b, "rolled_back, then escalated (%s)", s.b.p);
		T_OK(!strstr(s.b.p, "\"attempt\":2"), "a program that is not "
		    "there is not retried");
		T_OK(strstr(s.b.p, "\"step\":\"rb\",\"argv\":[\"sh\",\"-c\","
		    "\"test -z \\\"$1\\\"\",\"x\",\"\"],\"exit\":0") != NULL,
		    "an empty argument is passed as one");
	}
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "esc-verify", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_ESCALATED, "a verify step may escalate");
	T_OK(!strstr(s.b.p, "\"phase\":\"rollback\""), "... without rollback");
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "big", ANOM, &s, &out, &e), 0, "run big");
	T_OK(strstr(s.b.p, "\"truncated\":true}") != NULL, "output over the cap "
	    "is truncated");
	{
		const char *o = strstr(s.b.p, "\"output\":\"");
		const char *q = o ? strstr(o + 10, "\",") : NULL;

		T_INTEQ(o && q ? (q - o - 10) : -1, 300, "200 bytes kept "
		    "(\"y\\n\" escaped: 100 y and 100 \\n)");
	}
	grace_buf_reset(&s.b);
	s.fail_after = 2;
	T_INTEQ(run(p, "cont", ANOM, &s, &out, &e), -1, "an emit that fails "
	    "stops the run");
	T_STREQ(e.msg, "stop", "... with its error");
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

static void
test_run_metachars(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	char body[2048], dump[512], canary[512];
	struct grace_playbooks *p;
	char *got;
	struct grace_buf ev = { 0 }, want = { 0 };
	const char *evil = "web; touch CANARY $(touch CANARY) `touch CANARY` "
	    "| touch CANARY && x > y\n'\"\\";

	snprintf(dump, sizeof dump, "%s/dump", tmp);
	snprintf(canary, sizeof canary, "%s/CANARY", tmp);
	unlink(canary);
	snprintf(body, sizeof body, "  - name: meta\n"
	    "    match: {anomaly: x}\n    steps:\n"
	    "      - name: dump\n        argv: [\"%s/argv-dump\", \"%s\", "
	    "\"{data.component}\", \"{data.evidence.cmd}\"]\n"
	    "        env: {WHO: \"{data.component}\"}\n", fix, dump);
	p = load_run(body, &e);
	T_OK(p != NULL, "metachar playbook loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	grace_buf_adds(&ev, "{\"id\":\"an-9\",\"type\":\"anomaly.detected\","
	    "\"data\":{\"anomaly\":\"x\",\"severity\":\"low\",\"component\":");
	{
		/* evil with CANARY replaced by the canary's path */
		struct grace_buf ev2 = { 0 };
		const char *q;

		for (q = evil; *q; q++) {
			if (strncmp(q, "CANARY", 6) == 0) {
				grace_buf_adds(&ev2, canary);
				q += 5;
			} else {
				grace_buf_add(&ev2, q, 1);
			}
		}
		grace_buf_add_jstr(&ev, ev2.p, ev2.len);
		grace_buf_adds(&ev, ",\"evidence\":{\"cmd\":\"$(id)\"}}}");
		grace_buf_addf(&want, "arg:%s\narg:%s\narg:$(id)\n", ev2.p, "");
		grace_buf_reset(&want);
		grace_buf_addf(&want, "arg:%s\narg:$(id)\n", ev2.p);
		grace_buf_free(&ev2);
	}
	T_INTEQ(run(p, "meta", ev.p, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "it ran");
	got = slurp(dump);
	T_OK(got && strncmp(got, want.p, want.len) == 0, "each value arrived "
	    "whole as one argument");
	T_OK(got && strstr(got, "GRACE_ANOMALY=x\nGRACE_ANOMALY_ID=an-9\n"
	    "GRACE_ATTEMPT=1\n") && strstr(got, "GRACE_HEALING_ID=h-1\n"
	    "GRACE_HOP=1\nGRACE_PHASE=step\nGRACE_PLAYBOOK=meta\n"
	    "GRACE_SEVERITY=low\nGRACE_STEP=dump\n"), "the GRACE_ environment "
	    "(%s)", got ? got : "");
	T_OK(got && strstr(got, "event:{\"id\":\"an-9\""), "GRACE_EVENT is the "
	    "anomaly event");
	T_OK(access(canary, F_OK) < 0, "no shell ever ran the event's text");
	free(got);
	grace_buf_free(&ev);
	grace_buf_free(&want);
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

static void
put_contracts(void)
{
	put("contracts.yaml", "contracts:\n"
	    "  - id: web-healed\n    match: {type: healing.verify}\n"
	    "    when: '.data.playbook == \"c-ok\" or .data.playbook == \"c-bad\"'\n"
	    "    checks:\n      - name: right-component\n"
	    "        jq: '.data.anomaly.data.component == \"web\" and "
	    ".data.playbook == \"c-ok\"'\n"
	    "  - id: other\n    match: {type: healing.verify}\n"
	    "    checks: [{name: t, jq: 'true'}]\n");
}

static void
test_run_contract(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	struct grace_playbooks *p;

	p = load_run("  - name: c-ok\n    match: {anomaly: x}\n"
	    "    steps: [{name: go, argv: [\"true\"]}]\n"
	    "    verify: {contract: web-healed, contracts: contracts.yaml}\n"
	    "  - name: c-bad\n    match: {anomaly: x}\n"
	    "    steps: [{name: go, argv: [\"true\"]}]\n"
	    "    verify: {contract: web-healed, contracts: contracts.yaml}\n"
	    "    rollback: [{name: rb, argv: [\"true\"]}]\n"
	    "  - name: c-none\n    match: {anomaly: x}\n"
	    "    steps: [{name: go, argv: [\"true\"]}]\n"
	    "    verify: {contract: missing, contracts: contracts.yaml}\n", &e);
	T_OK(p != NULL, "contract playbooks load (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(run(p, "c-ok", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "a contract that holds verifies");
	T_OK(strstr(s.b.p, HEAD(3, "healing.step") ",\"phase\":\"verify\","
	    "\"step\":\"contract\",\"contract\":\"web-healed\",\"status\":"
	    "\"verified\",\"confidence\":1,\"attempt\":1,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}}\n") != NULL,
	    "the contract's step event (%s)", s.b.p);
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "c-bad", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_ROLLED_BACK, "a contract that fails rolls back");
	T_OK(strstr(s.b.p, "\"status\":\"failed\"") &&
	    strstr(s.b.p, "\"reason\":\"verify contract 'web-healed' failed: "),
	    "... saying so (%s)", s.b.p);
	grace_buf_reset(&s.b);
	T_INTEQ(run(p, "c-none", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_FAILED, "a contract that does not apply is no "
	    "verification");
	T_OK(strstr(s.b.p, "\"reason\":\"verify contract 'missing': contract "
	    "'other' applied to the healing.verify event instead\"") != NULL,
	    "... saying which applied (%s)", s.b.p);
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
	T_STREQ(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n    verify: {contract: c, "
	    "contracts: /dev/null}\n"), "5:38: contracts file '/dev/null' is a "
	    "character device, not a regular file", "a contracts file that is "
	    "a device");
	T_OK(strncmp(load_err("playbooks:\n  - name: a\n    match: {anomaly: x}\n"
	    "    steps: [{name: s, argv: [true]}]\n    verify: {contract: c, "
	    "contracts: nope.yaml}\n"), "0:0: cannot open", 16) == 0,
	    "a contracts file that is not there (%s)", load_err("playbooks:\n"
	    "  - name: a\n    match: {anomaly: x}\n    steps: [{name: s, argv: "
	    "[true]}]\n    verify: {contract: c, contracts: nope.yaml}\n"));
}

static void
test_run_actions_dir(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	char link[512], dump[512], body[1024];
	struct grace_playbooks *p;
	char *got;

	/* actions/... is taken from the playbook file's directory, whatever
	 * the working directory (steps run in a fresh one) */
	snprintf(link, sizeof link, "%s/actions", tmp);
	unlink(link);
	T_INTEQ(symlink(fix, link), 0, "actions/ beside the playbook file");
	snprintf(dump, sizeof dump, "%s/dump2", tmp);
	snprintf(body, sizeof body, "  - name: rel\n    match: {anomaly: x}\n"
	    "    steps: [{name: d, argv: [actions/argv-dump, \"%s\", a]}]\n",
	    dump);
	p = load_run(body, &e);
	T_OK(p != NULL, "loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	T_INTEQ(run(p, "rel", ANOM, &s, &out, &e), 0, "run");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "actions/argv-dump ran");
	got = slurp(dump);
	T_OK(got && strncmp(got, "arg:a\n", 6) == 0, "with its argument");
	T_OK(strstr(s.b.p, "\"argv\":[\"actions/argv-dump\",") != NULL,
	    "the event shows argv as written");
	free(got);
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

static void
test_run_snapshot_errors(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	struct grace_playbooks *p;
	struct grace_hrun_opts o;

	p = load_run("  - name: snapdir\n    match: {anomaly: x}\n"
	    "    snapshot: [sub]\n    steps: [{name: s, argv: [\"true\"]}]\n", &e);
	T_OK(p != NULL, "loads (%s)", p ? "" : e.msg);
	if (!p)
		return;
	{
		char d[512];

		snprintf(d, sizeof d, "%s/sub", tmp);
		mkdir(d, 0700);
	}
	T_INTEQ(run(p, "snapdir", ANOM, &s, &out, &e), -1, "a snapshot of a "
	    "directory is refused");
	T_OK(strstr(e.msg, "only regular files are kept") != NULL, "... (%s)",
	    e.msg);
	T_OK(s.b.len == 0, "and nothing ran or was emitted");
	memset(&o, 0, sizeof o);
	o.healing_id = "../../x";
	o.emit = collect;
	o.arg = &s;
	T_INTEQ(grace_playbook_run(&p->v[0], ANOM, strlen(ANOM), &o, &out, &e),
	    -1, "a healing id that is no plain name is refused");
	T_STREQ(e.msg, "bad healing id '../../x': letters, digits, '_' and '-' "
	    "only", "... saying so");
	o.healing_id = "h-2";
	o.emit = collect;
	o.arg = &s;
	T_INTEQ(grace_playbook_run(&p->v[0], ANOM, strlen(ANOM), &o, &out, &e),
	    -1, "no snapshot directory: the run cannot be carried out");
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

/* The shipped playbooks against the fake service, through its service
 * directory: a missed heartbeat restarts it, a crash loop puts the good
 * configuration back before restarting, a quarantine takes it out of
 * service. */
static void
test_shipped(void)
{
	struct grace_err e;
	struct sink s = { 0 };
	enum grace_hout out;
	const char *dir = "playbooks";
	struct grace_playbooks *p = grace_playbooks_load(&dir, 1, &e);
	char svcs[512], svc[600], path[700], *c;
	FILE *f;
	const char *crash = "{\"id\":\"an-2\",\"type\":\"anomaly.detected\","
	    "\"subject\":\"web\",\"data\":{\"anomaly\":\"crash_loop\","
	    "\"severity\":\"critical\",\"component\":\"web\"}}";

	T_OK(p != NULL, "shipped playbooks load");
	if (!p)
		return;
	snprintf(svcs, sizeof svcs, "%s/services", tmp);
	snprintf(svc, sizeof svc, "%s/web", svcs);
	mkdir(svcs, 0700);
	mkdir(svc, 0700);
	setenv("GRACE_SERVICES", svcs, 1);
	snprintf(path, sizeof path, "%s/run", svc);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "#!/bin/sh\nexec '%s/fake-service' \"$(dirname "
		    "\"$0\")\"\n", fix);
		fclose(f);
	}
	chmod(path, 0755);
	snprintf(path, sizeof path, "%s/notify.ndjson", tmp);
	setenv("GRACE_NOTIFY_FILE", path, 1);

	T_INTEQ(run(p, "restart-on-missed-heartbeat", ANOM, &s, &out, &e), 0,
	    "run restart-on-missed-heartbeat");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "a stopped service is started and "
	    "verified healthy");
	T_OK(strstr(s.b.p, "\"output\":\"restart: restarted: pid none -> ") &&
	    strstr(s.b.p, "\"output\":\"health: healthy\\n\""),
	    "the actions' output is in the step events");
	snprintf(path, sizeof path, "%s/pid", svc);
	c = slurp(path);
	T_OK(c && kill(atoi(c), 0) == 0, "the service runs");
	free(c);

	/* a bad configuration: the service crashes at every start */
	grace_buf_reset(&s.b);
	snprintf(path, sizeof path, "%s/conf", svc);
	f = fopen(path, "w");
	if (f) {
		fputs("crash\n", f);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/conf.good", svc);
	f = fopen(path, "w");
	if (f) {
		fputs("v1\n", f);
		fclose(f);
	}
	T_INTEQ(run(p, "config-rollback-on-crash-loop", crash, &s, &out, &e),
	    0, "run config-rollback-on-crash-loop");
	T_INTEQ(out, GRACE_HOUT_VERIFIED, "the good configuration is back and "
	    "the service healthy (%s)", s.b.p);
	snprintf(path, sizeof path, "%s/conf", svc);
	c = slurp(path);
	T_STREQ(c, "v1\n", "conf is the golden copy");
	free(c);

	/* the same with no good copy: rolled back, people told */
	grace_buf_reset(&s.b);
	snprintf(path, sizeof path, "%s/conf", svc);
	f = fopen(path, "w");
	if (f) {
		fputs("crash\n", f);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/conf.good", svc);
	f = fopen(path, "w");
	if (f) {
		fputs("crash\n", f);
		fclose(f);
	}
	T_INTEQ(run(p, "config-rollback-on-crash-loop", crash, &s, &out, &e),
	    0, "run it again with a golden copy that crashes too");
	T_INTEQ(out, GRACE_HOUT_ROLLED_BACK, "verify fails: rolled back (%s)",
	    s.b.p);
	snprintf(path, sizeof path, "%s/notify.ndjson", tmp);
	c = slurp(path);
	T_OK(c && strstr(c, "\"message\":\"crash loop goes on with the "
	    "known-good configuration\"") && strstr(c, "\"playbook\":"
	    "\"config-rollback-on-crash-loop\""), "people were told (%s)",
	    c ? c : "");
	free(c);
	snprintf(path, sizeof path, "%s/pid", svc);
	c = slurp(path);
	if (c)
		kill(atoi(c), SIGTERM);
	free(c);
	unsetenv("GRACE_SERVICES");
	unsetenv("GRACE_NOTIFY_FILE");
	grace_buf_free(&s.b);
	grace_playbooks_free(p);
}

/* The example of man/grace-playbook.5 works as printed. */
static void
test_man_example(void)
{
	struct grace_err e;
	char *man = slurp("man/grace-playbook.5"), *ex, *end, *split;
	struct grace_playbooks *p = NULL;
	struct grace_hcases cs;
	struct grace_buf why = { 0 };
	const char *path;
	size_t i, pass = 0;

	ex = man ? strstr(man, ".Sh EXAMPLES") : NULL;
	ex = ex ? strstr(ex, ".Bd -literal\n") : NULL;
	end = ex ? strstr(ex, "\n.Ed\n") : NULL;
	split = ex ? strstr(ex, "# web.test.yaml\n") : NULL;
	T_OK(ex && end && split && split < end, "the man page has the example");
	if (!(ex && end && split && split < end)) {
		free(man);
		return;
	}
	end[1] = '\0';
	*split = '\0';
	path = put("web.yaml", ex + strlen(".Bd -literal\n"));
	p = grace_playbooks_load(&path, 1, &e);
	T_OK(p && p->n == 2, "its playbook file loads (%s)", p ? "" : e.msg);
	if (p) {
		T_OK(p->v[0].policy.budget_max == 2 && p->v[0].policy.cooldown_ms ==
		    120000 && p->v[1].policy.risk == 0, "with its policy");
		path = put("web.test.yaml", split + 1 + strlen("# web.test.yaml"));
		T_INTEQ(grace_hcases_load(path, p, &cs, &e), 0, "its test file "
		    "loads");
		for (i = 0; i < cs.n; i++)
			pass += grace_hcase_run(p, &cs.v[i], &why, &e) == 1;
		T_OK(cs.n == 3 && pass == 3, "and passes (%s)", why.p ? why.p : "");
		grace_hcases_free(&cs);
		grace_playbooks_free(p);
	}
	grace_buf_free(&why);
	free(man);
}

int
main(void)
{
	char *cwd;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmp, sizeof tmp, "%s/grace-pb-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 2;
	{
		char *r = realpath(tmp, NULL);

		if (r) {
			snprintf(tmp, sizeof tmp, "%s", r);
			free(r);
		}
	}
	cwd = getcwd(NULL, 0);
	snprintf(fix, sizeof fix, "%s/tests/fixtures/heal", cwd ? cwd : ".");
	free(cwd);
	put_contracts();
	test_load_errors();
	test_two_files();
	test_policy();
	test_match();
	test_steps_json();
	test_cases();
	test_run_verified();
	test_run_retries();
	test_run_timeout();
	test_run_rollback();
	test_run_failures();
	test_run_metachars();
	test_run_contract();
	test_run_actions_dir();
	test_run_snapshot_errors();
	test_shipped();
	test_man_example();
	if (grace_exec_rmtree(tmp) < 0)
		printf("# could not remove %s\n", tmp);
	return T_DONE();
}
