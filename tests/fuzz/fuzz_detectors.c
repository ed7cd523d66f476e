/* fuzz_detectors.c - grace-heal's detection: the detectors file and the
 * detection state file (grace-detectors(5), grace-heal(1)). Byte 0
 * picks which, modulo 2:
 *   0  the rest is a detectors file; when it loads, fixed events (those
 *      of fuzz.h and detection's own, in virtual time) go through the
 *      detectors and the timers, and every annotation and anomaly event
 *      must be one JSON object without '\n'; a second state, fed the
 *      members the validating scan located (grace_json_scan_deep over
 *      the detectors' tree, grace_detect_scanned: what grace-heal runs),
 *      must give the same return, annotation, explanation and anomaly
 *      events for every event; the state is then saved, restored into a
 *      fresh state, and saved again: the same bytes;
 *   1  the rest is a state file restored for the shipped
 *      config/detectors.yaml (loaded once); when it restores, the same
 *      events run and the state saves again.
 * The replay and make fuzz run from the repository root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "heal/heal.h"
#include "json.h"

static struct grace_detectors *shipped;

static void
cleanup(void)
{
	grace_detectors_free(shipped);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_err e;

	if (!(shipped = grace_detectors_load("config/detectors.yaml", &e)))
		abort();
	atexit(cleanup);
	return 0;
}

static const char *const det_events[] = {
	"{\"type\":\"metric\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"service\":\"web\",\"name\":\"latency_ms\",\"value\":10}}",
	"{\"type\":\"metric\",\"data\":{\"service\":\"web\",\"name\":\"latency_ms\",\"value\":12}}",
	"{\"type\":\"metric\",\"data\":{\"service\":\"web\",\"name\":\"latency_ms\",\"value\":11}}",
	"{\"type\":\"metric\",\"data\":{\"service\":\"web\",\"name\":\"latency_ms\",\"value\":900}}",
	"{\"type\":\"metric\",\"data\":{\"service\":\"w\\u00e9b\",\"name\":\"cpu_percent\",\"value\":99,\"x\":[1,{\"a\":\"b\"}]}}",
	"{\"type\":\"metric\",\"data\":{\"service\":\"web\",\"name\":\"error_rate\",\"value\":1e300}}",
	"{\"type\":\"health.heartbeat\",\"data\":{\"service\":\"web\"}}",
	"{\"type\":\"health.check\",\"data\":{\"service\":\"web\",\"dependency\":\"db\",\"status\":\"down\"}}",
	"{\"type\":\"health.check\",\"data\":{\"service\":\"web\",\"dependency\":\"db\",\"status\":\"up\"}}",
	"{\"type\":\"service.restarted\",\"data\":{\"service\":\"web\"}}",
	"{\"type\":\"service.restarted\",\"data\":{\"service\":\"web\"}}",
	"{\"type\":\"service.restarted\",\"data\":{\"service\":\"web\"}}",
	"{\"type\":\"config.digest\",\"data\":{\"service\":\"web\",\"digest\":\"a\",\"golden\":\"b\"}}",
	"{\"type\":\"grace.log.verification\",\"data\":{\"files\":[\"a.log\"],\"intact\":false,\"error\":{\"reason\":\"x\"}}}",
	"{\"type\":\"grace.log.verification\",\"data\":{\"files\":[],\"intact\":true}}",
	"{\"type\":\"metric\",\"data\":{\"service\":\"web\",\"value\":5},\"grace\":{\"heal\":{}}}",
	"{\"type\":\"x\",\"actor\":\"m\",\"grace\":{\"gate\":{\"decision\":\"deny\"}}}",
	"{\"type\":7,\"data\":{\"service\":null}}",
};

static int
emit(void *arg, const char *ev, size_t n, struct grace_err *e)
{
	if (memchr(ev, '\n', n) || grace_json_scan(ev, n, NULL, 0, NULL, "ev",
	    1, NULL) < 0)
		abort();
	/* arg, when set, collects them for the comparison */
	if (arg && (grace_buf_add(arg, ev, n) < 0 || grace_buf_add(arg, "\n",
	    1) < 0))
		abort();
	return 0;
}

static int
same(const struct grace_buf *a, const struct grace_buf *b)
{
	return a->len == b->len && (!a->len || memcmp(a->p, b->p, a->len) == 0);
}

/* Every event through detection, 20 s apart in virtual time, the timers
 * run before each and well after the last. */
static void
run_all(struct grace_detect *s, struct grace_detect *s2,
    const struct grace_detectors *d)
{
	struct grace_buf ann = {0}, ex = {0}, ann2 = {0}, ex2 = {0};
	struct grace_buf em = {0}, em2 = {0};
	struct grace_jdeep deep = { NULL, NULL, NULL, 0, 0 };
	struct grace_err e, e2;
	int64_t now = 1767225600000;
	size_t i, nf = 0;
	int sev;

	if (s2) {
		deep.root = grace_detectors_trie(d, &deep.nspans);
		deep.nspans++;
		if (!(deep.spans = calloc(deep.nspans, sizeof *deep.spans)) ||
		    !(deep.esc = calloc(deep.nspans, sizeof *deep.esc)))
			abort();
	}

	for (i = 0; ; i++) {
		const char *ev = i < sizeof det_events / sizeof *det_events ?
		    det_events[i] : fuzz_event(nf++);
		size_t n;
		int r;

		if (!ev)
			break;
		n = strlen(ev);
		if (grace_json_scan(ev, n, NULL, 0, NULL, "ev", 1, NULL) < 0)
			abort();
		now += 20000;
		grace_buf_reset(&em);
		if (grace_detect_tick(s, now, emit, s2 ? &em : NULL, &e) < 0)
			abort();
		grace_buf_reset(&ann);
		grace_buf_reset(&ex);
		r = grace_detect_event(s, ev, n, now, &ann, i % 2 ? &ex : NULL,
		    emit, s2 ? &em : NULL, &e);
		if (s2) {
			int r2;

			grace_buf_reset(&em2);
			if (grace_detect_tick(s2, now, emit, &em2, &e2) < 0 ||
			    grace_json_scan_deep(ev, n, NULL, 0, NULL, &deep, "ev",
			    1, NULL) < 0)
				abort();
			grace_buf_reset(&ann2);
			grace_buf_reset(&ex2);
			r2 = grace_detect_scanned(s2, ev, n, &deep, now, &ann2,
			    i % 2 ? &ex2 : NULL, emit, &em2, &e2);
			if (r2 != r || !same(&ann, &ann2) || !same(&ex, &ex2) ||
			    !same(&em, &em2))
				abort();
		}
		if (r < 0) {
			fuzz_check_err(&e);
			if (e.code != GRACE_EXIT_INPUT)
				abort();
			continue;
		}
		if (r == 1 && grace_json_scan(ann.p, ann.len, NULL, 0, NULL,
		    "ann", 1, NULL) < 0)
			abort();
		if (r == 0 && ann.len)
			abort();
	}
	grace_buf_reset(&em);
	grace_buf_reset(&em2);
	if (grace_detect_tick(s, now + 86400000, emit, s2 ? &em : NULL, &e) < 0 ||
	    (s2 && (grace_detect_tick(s2, now + 86400000, emit, &em2, &e2) < 0 ||
	    !same(&em, &em2))))
		abort();
	(void)grace_detect_open(s, "web", 3, &sev);
	if (sev < 0 || sev >= GRACE_HSEV_N)
		abort();
	grace_buf_free(&ann);
	grace_buf_free(&ex);
	grace_buf_free(&ann2);
	grace_buf_free(&ex2);
	grace_buf_free(&em);
	grace_buf_free(&em2);
	free(deep.spans);
	free(deep.esc);
}

/* Save s, restore into a fresh state for d, save again: the same. */
static void
roundtrip(const struct grace_detectors *d, struct grace_detect *s)
{
	struct grace_buf a = {0}, b = {0};
	struct grace_detect *t;
	struct grace_err e;

	if (grace_detect_save(s, &a, &e) < 0 || !(t = grace_detect_new(d)))
		abort();
	if (grace_detect_restore(t, a.p, a.len, "state", &e) < 0)
		abort();
	if (grace_detect_save(t, &b, &e) < 0 || a.len != b.len ||
	    memcmp(a.p, b.p, a.len) != 0)
		abort();
	grace_detect_free(t);
	grace_buf_free(&a);
	grace_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_detectors *d;
	struct grace_detect *s, *s2;
	struct grace_err e;
	char path[64];

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		if (fuzz_file(0, data + 1, size - 1, path) < 0)
			return 0;
		if (!(d = grace_detectors_load(path, &e))) {
			fuzz_check_err(&e);
			return 0;
		}
		if (!(s = grace_detect_new(d)) || !(s2 = grace_detect_new(d)))
			abort();
		run_all(s, s2, d);
		roundtrip(d, s);
		grace_detect_free(s);
		grace_detect_free(s2);
		grace_detectors_free(d);
		return 0;
	}
	if (!(s = grace_detect_new(shipped)))
		abort();
	if (grace_detect_restore(s, (const char *)data + 1, size - 1, "state",
	    &e) < 0) {
		fuzz_check_err(&e);
		if (e.code != GRACE_EXIT_USAGE && e.code != GRACE_EXIT_SYSTEM)
			abort();
	} else {
		run_all(s, NULL, shipped);
		roundtrip(shipped, s);
	}
	grace_detect_free(s);
	return 0;
}
