/* test_jdeep.c - detection over the members the filter's validating scan
 * located (grace_json_scan_keys + grace_detect_scanned, what grace-heal
 * runs) against detection that walks the event itself
 * (grace_detect_event, the reference): for every event the same member
 * spans in the memo, the same return, the same grace.heal annotation,
 * the same anomaly events and the same --explain lines.
 *
 * Events are generated at random (a fixed xorshift seed) over the
 * members the detectors read and some they do not: nested paths, members
 * that repeat (the last wins whole), parents that are not objects,
 * member names written with escapes, strings with escapes, arrays at the
 * end of a path, white space; a share of them is then mutated so that
 * some are not valid and the two scans must refuse them alike. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "heal/detect_int.h"
#include "json.h"
#include "t.h"

static const char detectors[] =
    "detectors:\n"
    "  - {id: sp, kind: spike, type: metric, match: [\"data.name = m0\"], "
    "alpha: 0.5, z: 2, min_samples: 2, component: data.service}\n"
    "  - {id: hi, kind: threshold, type: metric, match: [\"data.name = m1\"], "
    "above: 5, component: [data.host, data.service]}\n"
    "  - {id: deep, kind: threshold, type: metric, value: data.m.x.y, "
    "above: 3, component: data.m.who}\n"
    "  - {id: eq, kind: threshold, type: state, value: data.state, "
    "equals: down, component: data.files}\n"
    "  - {id: dr, kind: drift, type: config, value: data.digest, "
    "golden_path: data.golden, component: source}\n"
    "  - {id: rt, kind: rate, type: error, count: 2, window: 1m, "
    "component: [data.service, source]}\n";

static uint64_t rnd = 0x2545f4914f6cdd1dull;

/* The same n spans (kind, and where when present). */
static int
same_spans(const struct grace_jspan *a, const struct grace_jspan *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].kind != b[i].kind || (a[i].kind != GRACE_J_NONE &&
		    (a[i].off != b[i].off || a[i].len != b[i].len)))
			return 0;
	return 1;
}

static uint64_t
xs(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

static const char *
pick(const char *const *v, size_t n)
{
	return v[xs() % n];
}
#define PICK(v) pick((v), sizeof (v) / sizeof *(v))

static const char *const types[] = { "\"metric\"", "\"state\"",
	"\"config\"", "\"error\"", "\"m\\u0065tric\"", "1", "null" };
static const char *const names[] = { "\"m0\"", "\"m1\"", "\"m2\"",
	"\"m\\u0030\"", "[\"m0\"]", "null", "0" };
static const char *const svcs[] = { "\"a\"", "\"b\"", "\"c\\\"d\"",
	"\"\"", "null", "[\"a\",\"b\"]", "[]", "{\"x\":1}", "7" };
static const char *const nums[] = { "1", "9", "-2.5", "100", "3e1",
	"\"9\"", "true", "[4]", "0.25" };
static const char *const wsp[] = { "", "", "", " ", "\n", "\t " };

/* A value for member `data.m`: an object (maybe with x.y, repeated, or
 * x not an object) or something else. */
static void
gen_m(struct grace_buf *b)
{
	switch (xs() % 6) {
	case 0:
		grace_buf_adds(b, "7");
		return;
	case 1:
		grace_buf_addf(b, "{\"x\":{\"y\":%s},\"who\":%s}", PICK(nums),
		    PICK(svcs));
		return;
	case 2:
		grace_buf_addf(b, "{\"x\":{\"y\":%s},\"x\":{\"z\":1},\"who\":%s}",
		    PICK(nums), PICK(svcs));
		return;
	case 3:
		grace_buf_addf(b, "{\"who\":%s,\"x\":{\"y\":%s},\"x\":5}",
		    PICK(svcs), PICK(nums));
		return;
	case 4:
		grace_buf_addf(b, "{\"\\u0078\":{\"y\":%s},\"w\\u0068o\":%s}",
		    PICK(nums), PICK(svcs));
		return;
	default:
		grace_buf_addf(b, "{ \"x\" : { \"y\" : %s } , \"who\" : %s }",
		    PICK(nums), PICK(svcs));
		return;
	}
}

static void
gen_data(struct grace_buf *b)
{
	size_t i, k = 1 + xs() % 7;

	grace_buf_adds(b, "{");
	for (i = 0; i < k; i++) {
		if (i)
			grace_buf_addf(b, ",%s", PICK(wsp));
		switch (xs() % 11) {
		case 0: grace_buf_addf(b, "\"service\":%s", PICK(svcs)); break;
		case 1: grace_buf_addf(b, "\"name\":%s", PICK(names)); break;
		case 2: grace_buf_addf(b, "\"value\":%s", PICK(nums)); break;
		case 3: grace_buf_addf(b, "\"host\":%s", PICK(svcs)); break;
		case 4: grace_buf_adds(b, "\"m\":"); gen_m(b); break;
		case 5: grace_buf_addf(b, "\"state\":%s", xs() % 2 ?
		    "\"down\"" : "\"d\\u006fwn\""); break;
		case 6: grace_buf_addf(b, "\"files\":%s", PICK(svcs)); break;
		case 7: grace_buf_addf(b, "\"digest\":%s,\"golden\":%s",
		    PICK(svcs), PICK(svcs)); break;
		case 8: grace_buf_addf(b, "\"s\\u0065rvice\":%s", PICK(svcs)); break;
		case 9: grace_buf_addf(b, "\"other\":{\"service\":%s}",
		    PICK(svcs)); break;
		default: grace_buf_addf(b, "\"value\":%s,\"name\":%s",
		    PICK(nums), PICK(names)); break;
		}
	}
	grace_buf_adds(b, "}");
}

/* One event into b. */
static void
gen_event(struct grace_buf *b)
{
	size_t i, k = 1 + xs() % 6;

	grace_buf_reset(b);
	grace_buf_addf(b, "%s{\"type\":%s", PICK(wsp), PICK(types));
	for (i = 0; i < k; i++) {
		switch (xs() % 9) {
		case 0: case 1: case 2:
			grace_buf_adds(b, ",\"data\":");
			gen_data(b);
			break;
		case 3:
			grace_buf_addf(b, ",\"data\":%s", PICK(nums));
			break;
		case 4:
			grace_buf_addf(b, ",\"source\":%s", PICK(svcs));
			break;
		case 5:
			grace_buf_addf(b, ",\"type\":%s", PICK(types));
			break;
		case 6:
			grace_buf_adds(b, xs() % 2 ? ",\"grace\":{\"heal\":{}}" :
			    ",\"grace\":{\"gate\":{\"verdict\":\"allow\"}}");
			break;
		case 7:
			grace_buf_adds(b, ",\"d\\u0061ta\":");
			gen_data(b);
			break;
		default:
			grace_buf_addf(b, ",\"time\":\"2026-01-01T00:00:0%dZ\"",
			    (int)(xs() % 10));
			break;
		}
	}
	grace_buf_addf(b, "}%s", PICK(wsp));
	if (xs() % 8 == 0 && b->len > 2) {
		/* broken now and then: a byte changed or the line cut */
		size_t at = xs() % b->len;

		if (xs() % 2)
			b->p[at] = "\"\\{}[],:x\x01"[xs() % 11];
		else
			b->len = at;
	}
}

struct sink {
	struct grace_buf b;
};

static int
collect(void *arg, const char *ev, size_t n, struct grace_err *e)
{
	struct sink *k = arg;

	(void)e;
	return grace_buf_add(&k->b, ev, n) | grace_buf_add(&k->b, "\n", 1);
}

/* The same bytes in a and b. */
static int
same_buf(const struct grace_buf *a, const struct grace_buf *b)
{
	return a->len == b->len && (!a->len || memcmp(a->p, b->p, a->len) == 0);
}

/* The memos of the two states agree (kind, span, escape flag). */
static int
same_memo(const struct grace_detect *a, const struct grace_detect *b)
{
	size_t i;

	for (i = 0; i < a->d->npaths; i++) {
		const struct grace_jspan *x = &a->memo[i], *y = &b->memo[i];

		if (x->kind != y->kind)
			return 0;
		if (x->kind != GRACE_J_NONE && (x->off != y->off ||
		    x->len != y->len))
			return 0;
		if (x->kind == GRACE_J_STRING && a->memo_esc[i] != b->memo_esc[i])
			return 0;
	}
	return 1;
}

int
main(void)
{
	static const char *const keys[] = { "grace", "id", "time", "type" };
	char path[] = "/tmp/test_jdeep.XXXXXX";
	struct grace_detectors *d;
	struct grace_detect *ref, *fast;
	struct grace_jdeep deep;
	struct grace_jspan f1[4], f2[4];
	struct grace_buf ev = {0}, a1 = {0}, a2 = {0}, x1 = {0}, x2 = {0};
	struct sink k1 = { {0} }, k2 = { {0} };
	struct grace_err e, e1, e2;
	unsigned long i, valid = 0, annotated = 0, emitted = 0, bad = 0;
	unsigned long badscan = 0, badbound = 0;
	struct grace_jkeys jk;
	/* a third state whose own spans the scan fills, as grace-heal runs
	 * (grace_detect_bind()) */
	struct grace_detect *bound = NULL;
	struct grace_jdeep bdeep;
	struct grace_buf a3 = {0}, x3 = {0};
	struct sink k3 = { {0} };
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	size_t nn;

	T_OK(f != NULL, "a detectors file");
	if (!f)
		return T_DONE();
	fputs(detectors, f);
	fclose(f);
	memset(&e, 0, sizeof e);
	d = grace_detectors_load(path, &e);
	unlink(path);
	T_OK(d != NULL, "the detectors load (%s)", e.msg);
	if (!d)
		return T_DONE();
	ref = grace_detect_new(d);
	fast = grace_detect_new(d);
	bound = grace_detect_new(d);
	if (bound)
		grace_detect_bind(bound, &bdeep);
	deep.root = grace_detectors_trie(d, &nn);
	deep.nspans = nn + 1;
	deep.spans = calloc(deep.nspans, sizeof *deep.spans);
	deep.esc = calloc(deep.nspans, sizeof *deep.esc);
	T_OK(ref && fast && bound && deep.spans && deep.esc, "three detection states");
	T_OK(nn >= 14, "the tree holds every member path (%zu nodes)", nn);
	grace_jkeys_init(&jk, keys, 4, deep.root);
	T_OK(jk.ok, "the names and the tree's top compile");
	for (i = 0; i < (unsigned long)t_scaled(200000); i++) {
		int r1, r2, s1, s2;

		gen_event(&ev);
		s1 = grace_json_scan(ev.p, ev.len, keys, 4, f1, "in", 1, &e1);
		/* what the filter runs: the names and the tree's top
		 * compiled */
		s2 = grace_json_scan_keys(ev.p, ev.len, &jk, f2, &deep, "in", 1,
		    &e2);
		if (s1 != s2 || (s1 < 0 && (e1.col != e2.col ||
		    strcmp(e1.msg, e2.msg) != 0)) || (s1 == 0 &&
		    !same_spans(f1, f2, 4))) {
			if (badscan++ < 3)
				printf("# scans differ on %s\n", ev.p);
			continue;
		}
		if (s1 < 0)
			continue;
		valid++;
		grace_buf_reset(&a1);
		grace_buf_reset(&a2);
		grace_buf_reset(&x1);
		grace_buf_reset(&x2);
		grace_buf_reset(&k1.b);
		grace_buf_reset(&k2.b);
		r1 = grace_detect_event(ref, ev.p, ev.len, (int64_t)i * 1000,
		    &a1, &x1, collect, &k1, &e1);
		r2 = grace_detect_scanned(fast, ev.p, ev.len, &deep,
		    (int64_t)i * 1000, &a2, &x2, collect, &k2, &e2);
		if (r1 == 1)
			annotated++;
		if (k1.b.len)
			emitted++;
		/* the bound state: scanned into its own spans */
		grace_buf_reset(&a3);
		grace_buf_reset(&x3);
		grace_buf_reset(&k3.b);
		if (grace_json_scan_keys(ev.p, ev.len, &jk, f2, &bdeep, "in", 1,
		    &e2) != 0 || grace_detect_scanned(bound, ev.p, ev.len,
		    &bdeep, (int64_t)i * 1000, &a3, &x3, collect, &k3, &e2) !=
		    r1 || !same_memo(ref, bound) || !same_buf(&a1, &a3) ||
		    !same_buf(&k1.b, &k3.b) || !same_buf(&x1, &x3)) {
			if (badbound++ < 3)
				printf("# bound detection differs on %s\n", ev.p);
		}
		if (r1 != r2 || !same_memo(ref, fast) || !same_buf(&a1, &a2) ||
		    !same_buf(&k1.b, &k2.b) || !same_buf(&x1, &x2)) {
			if (bad++ < 3)
				printf("# detection differs on %s\n", ev.p);
		}
	}
	T_INTEQ(badscan, 0, "grace_json_scan_keys with the tree validates as "
	    "grace_json_scan does (the same status, column, message and "
	    "top-level spans)");
	T_INTEQ(bad, 0, "over the scan's spans: the same memo, annotation, "
	    "anomaly events and explanation as walking the event (%lu valid "
	    "events, %lu annotated, %lu with anomaly events)", valid,
	    annotated, emitted);
	T_INTEQ(badbound, 0, "scanned into the state's own spans "
	    "(grace_detect_bind): the same again");
	T_OK(valid > (unsigned long)t_scaled(100000) &&
	    annotated > (unsigned long)t_scaled(10000) &&
	    emitted > (unsigned long)t_scaled(1000),
	    "the generated events reach the detectors (%lu %lu %lu)", valid,
	    annotated, emitted);
	grace_detect_free(ref);
	grace_detect_free(fast);
	grace_detect_free(bound);
	grace_buf_free(&a3);
	grace_buf_free(&x3);
	grace_buf_free(&k3.b);
	grace_detectors_free(d);
	free(deep.spans);
	free(deep.esc);
	grace_buf_free(&ev);
	grace_buf_free(&a1);
	grace_buf_free(&a2);
	grace_buf_free(&x1);
	grace_buf_free(&x2);
	grace_buf_free(&k1.b);
	grace_buf_free(&k2.b);
	return T_DONE();
}
