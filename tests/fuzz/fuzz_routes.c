/* fuzz_routes.c - grace-route's configuration: the routes file, the
 * silences file and the routes test file (grace-routes(5)). Byte 0 picks
 * which, modulo 3:
 *   0  the rest is a routes file; when it loads, the fixed events of
 *      fuzz.h and a few of routing's own go through the matching and the
 *      storm control, and every grace.route annotation and route.throttled
 *      summary must be a JSON object;
 *   1  the rest is the silences file of a fixed routes file, which must
 *      then route the same events;
 *   2  the rest is a routes test file for the shipped config/routes.yaml
 *      (loaded once), every case of which is run.
 * The replay and make fuzz run from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "route/route.h"

static struct grace_routes *shipped;

static void
cleanup(void)
{
	grace_routes_free(shipped);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_err e;

	if (!(shipped = grace_routes_load("config/routes.yaml", &e)))
		abort();
	atexit(cleanup);
	return 0;
}

static const char *const route_events[] = {
	"{\"type\":\"anomaly.detected\",\"source\":\"grace-heal\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"host\":\"web-1\"}}",
	"{\"type\":\"anomaly.detected\",\"source\":\"grace-heal\",\"time\":\"2026-01-01T00:00:01Z\",\"data\":{\"host\":\"web-1\"}}",
	"{\"type\":\"node.down\",\"time\":\"2026-01-01T00:00:02Z\",\"data\":{\"host\":\"web-1\"}}",
	"{\"type\":\"latency.high\",\"time\":\"2026-01-01T00:10:00Z\",\"data\":{\"host\":\"web-1\"}}",
	"{\"type\":\"deploy.requested\",\"actor\":\"intern\",\"grace\":{\"gate\":{\"decision\":\"allow\"},\"decision\":{\"verdict\":\"approve\"}}}",
	"{\"type\":\"x\",\"source\":\"a\\u0000b\",\"time\":\"bogus\"}",
};

static int
summary(void *arg, size_t route, const char *ev, size_t n,
    struct grace_err *e)
{
	if (grace_json_scan(ev, n, NULL, 0, NULL, "summary", 1, NULL) < 0 ||
	    memchr(ev, '\n', n))
		abort();
	return 0;
}

static void
route_all(const struct grace_routes *rs)
{
	static const char *const keys[] = { "source", "type" };
	struct grace_rstorm *st = grace_rstorm_new(rs);
	struct grace_buf out = {0}, explain = {0};
	struct grace_rmatch m;
	struct grace_err e;
	size_t i, nf = 0;
	int64_t now = 1767225600000;

	if (!st)
		abort();
	if (grace_rmatch_init(&m, rs) < 0)
		abort();
	for (i = 0; ; i++) {
		const char *ev = i < sizeof route_events / sizeof *route_events ?
		    route_events[i] : fuzz_event(nf++);
		struct grace_jspan f[2];
		size_t n;

		if (!ev)
			break;
		n = strlen(ev);
		if (grace_json_scan(ev, n, keys, 2, f, "ev", 1, NULL) < 0)
			continue;
		grace_buf_reset(&explain);
		if (grace_routes_match(rs, ev, n, &f[0], &f[1], &m, &explain,
		    &e) < 0) {
			fuzz_check_err(&e);
			if (e.code != GRACE_EXIT_INPUT)
				abort();
		}
		if (m.ntargets == 0 && m.nroutes == 0 && !m.unmatched)
			abort();   /* an event that goes nowhere, unexplained */
		if (rs->storm && grace_rstorm_apply(st, &m, ev, n, now += 1000,
		    summary, NULL, &explain, &e) < 0)
			abort();
		grace_buf_reset(&out);
		if (grace_rmatch_json(rs, &m, NULL, &out) < 0 ||
		    grace_json_scan(out.p, out.len, NULL, 0, NULL, "route", 1,
		    NULL) < 0)
			abort();
	}
	if (grace_rstorm_flush(st, summary, NULL, &e) < 0)
		abort();
	grace_buf_free(&out);
	grace_buf_free(&explain);
	grace_rmatch_free(&m);
	grace_rstorm_free(st);
}

static void
routes_file(const char *path)
{
	struct grace_routes *rs;
	struct grace_err e;

	if (!(rs = grace_routes_load(path, &e))) {
		fuzz_check_err(&e);
		return;
	}
	route_all(rs);
	grace_routes_free(rs);
}

static void
silences_file(const char *path)
{
	char text[512], rpath[64];

	snprintf(text, sizeof text, "default: out\ndead_letter: dead\n"
	    "silences: %s\ntargets:\n  out: {kind: file, path: out}\n"
	    "routes:\n  - {type: 'anomaly.*', targets: out}\n"
	    "inhibit:\n  - {source: {type: node.down}, target: {type: "
	    "'latency.*'}, equal: [data.host], ttl: 1h}\n", path);
	if (fuzz_file(1, (const uint8_t *)text, strlen(text), rpath) < 0)
		return;
	routes_file(rpath);
}

static void
test_file(const char *path)
{
	struct grace_rcases cs;
	struct grace_buf why = {0};
	struct grace_err e;
	size_t i;

	memset(&cs, 0, sizeof cs);
	if (grace_rcases_load(path, shipped, &cs, &e) < 0) {
		fuzz_check_err(&e);
		grace_rcases_free(&cs);
		return;
	}
	for (i = 0; i < cs.n; i++) {
		grace_buf_reset(&why);
		if (grace_rcase_run(shipped, &cs.v[i], &why, &e) < 0)
			fuzz_check_err(&e);
	}
	grace_buf_free(&why);
	grace_rcases_free(&cs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];

	if (size < 1 || fuzz_file(0, data + 1, size - 1, path) < 0)
		return 0;
	switch (data[0] % 3) {
	case 0: routes_file(path); break;
	case 1: silences_file(path); break;
	default: test_file(path); break;
	}
	return 0;
}
