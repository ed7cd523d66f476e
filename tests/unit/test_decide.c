/* test_decide.c - lib/decide: number formatting, and the member walk
 * over validated text (8 bytes at a time) with escapes, brackets and
 * quotes at every alignment. The behaviour a user sees is in
 * tests/decide*.bats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/decide.h"
#include "t.h"

static const char *
num(double x)
{
	static struct grace_buf b;

	grace_buf_reset(&b);
	grace_decide_addnum(&b, x);
	return b.p;
}

static const char cfg[] =
    "thresholds: {approve: 0.8, hold: 0.6, reject: 0.4}\n"
    "inputs:\n"
    "  governance: {weight: 1}\n"
    "  mldl: {weight: 1}\n"
    "rules:\n"
    "  - id: r\n"
    "    input: governance\n"
    "    when: {rules: [\"x\\\"y\"], type: \"t.*\"}\n"
    "    advice: [hit]\n";

/* Decide on ev; return the decision's JSON (static) or NULL. */
static const char *
decide(const struct grace_decide *d, struct grace_decision *r, const char *ev)
{
	static const char *const keys[] = { "grace", "type" };
	struct grace_jspan f[2];
	struct grace_err e;

	if (grace_json_scan(ev, strlen(ev), keys, 2, f, "t", 1, &e) < 0) {
		printf("# invalid test event: %s: %s\n", ev, e.msg);
		return NULL;
	}
	if (grace_decide_event(d, ev, strlen(ev), &f[0], &f[1], r, NULL) < 0)
		return NULL;
	return r->json.p;
}

int
main(void)
{
	static const char *const tricky[] = {
		"plain", "a\\\"b", "\\\\", "\\\\\\\"", "x\\\\\\\\", "}{][,:",
		"\\u0022}", "1234567", "12345678", "123456789\\\"",
		"abcdefghijklmno\\\\", "abcdefghijklmnop\\\"q",
	};
	struct grace_decision r = {0};
	struct grace_decide *d;
	struct grace_err e;
	char ev[1024], want[512], pad[40];
	size_t i;
	int p, bad = 0, n = 0;

	T_STREQ(num(0), "0", "0");
	T_STREQ(num(1), "1", "1");
	T_STREQ(num(0.5), "0.5", "0.5");
	T_STREQ(num(0.8125), "0.8125", "four places");
	T_STREQ(num(0.575 / 0.8), "0.7188", "a tie computed a hair low rounds up");
	T_STREQ(num(0.123449), "0.1234", "rounds down below the tie");
	T_STREQ(num(0.99996), "1", "rounds up to 1");
	T_STREQ(num(0.00004), "0", "rounds down to 0");
	T_STREQ(num(12.5), "12.5", "weights above 1");
	T_OK(grace_decide_round4(0.89) == 0.89, "round4(0.89) is the double 0.89");

	d = grace_decide_load_string("c.yaml", cfg, strlen(cfg), &e);
	T_OK(d != NULL, "config loads: %s", d ? "" : e.msg);
	if (!d)
		return T_DONE();
	/* Every tricky string, after every padding from 0 to 24 bytes, in the
	 * gate's rules, in a member the walk skips, and before the members
	 * it must find: the decision must read them all right. */
	for (p = 0; p <= 24; p++) {
		memset(pad, 'p', (size_t)p);
		pad[p] = '\0';
		for (i = 0; i < sizeof tricky / sizeof *tricky; i++) {
			const char *got;

			snprintf(ev, sizeof ev, "{\"id\":\"%s\",\"type\":\"t.%s\","
			    "\"grace\":{\"skip%s\":{\"s\":\"%s\",\"a\":[\"%s\",{\"}\":\"]\"}]},"
			    "\"gate\":{\"note\":\"%s\\\"decision\\\":\\\"allow\\\"\","
			    "\"decision\":\"deny\",\"rules\":[\"%s%s\",\"x\\\"y\"]},"
			    "\"mldl\":{\"x%s\":\"%s\",\"score\":0.5}}}",
			    pad, tricky[i], pad, tricky[i], tricky[i], tricky[i],
			    pad, tricky[i], pad, tricky[i]);
			snprintf(want, sizeof want, "{\"verdict\":\"reject\","
			    "\"confidence\":1,\"score\":0.25,\"decided_by\":"
			    "\"governance\",\"rules\":[\"r\"],\"reasons\":["
			    "\"governance: deny by %s%s, x\\\"y\"],\"routes\":"
			    "[\"learning\",\"audit\"],\"obligations\":[],"
			    "\"advice\":[\"hit\"]}", pad, tricky[i]);
			got = decide(d, &r, ev);
			n++;
			if (!got || strcmp(got, want) != 0) {
				if (bad++ < 3)
					printf("# event: %s\n#   got:  %s\n#   want: %s\n",
					    ev, got ? got : "(null)", want);
			}
		}
	}
	T_OK(bad == 0, "%d events with escapes at every alignment read right "
	    "(%d wrong)", n, bad);

	/* A key hidden in a string value is not a member (governance is
	 * absent: coverage 0.5, so confidence 0.5). */
	T_STREQ(decide(d, &r, "{\"grace\":{\"mldl\":{\"a\":\"\\\"score\\\":0\","
	    "\"score\":1}}}"), "{\"verdict\":\"approve\",\"confidence\":0.5,"
	    "\"score\":1,\"decided_by\":\"weights\",\"rules\":[],\"reasons\":"
	    "[\"weighted score 1 at or above approve threshold 0.8\"],"
	    "\"routes\":[\"autonomous\",\"audit\"],\"obligations\":[],"
	    "\"advice\":[]}", "a key inside a string is not a member");
	/* White space everywhere JSON allows it. */
	T_OK(strstr(decide(d, &r, " { \"grace\" : { \"gate\" : { \"decision\" "
	    ": \"deny\" , \"rules\" : [ \"a\" , \"b\" ] } , \"mldl\" : { "
	    "\"score\" : 1 } } } "), "\"score\":0.5,\"decided_by\":\"governance\","
	    "\"rules\":[],\"reasons\":[\"governance: deny by a, b\"]") != NULL,
	    "white space around every token");
	/* Numbers in every JSON form. */
	T_OK(strstr(decide(d, &r, "{\"grace\":{\"gate\":{\"decision\":\"allow\"},"
	    "\"mldl\":{\"score\":5e-1}}}"), "\"score\":0.75,") != NULL,
	    "an exponent goes through strtod");
	T_OK(strstr(decide(d, &r, "{\"grace\":{\"gate\":{\"decision\":\"allow\"},"
	    "\"mldl\":{\"score\":0.0000000000000000001}}}"), "\"score\":0.5,") != NULL,
	    "more digits than a fast path holds");
	T_OK(strstr(decide(d, &r, "{\"grace\":{\"gate\":{\"decision\":\"allow\"},"
	    "\"mldl\":{\"score\":-0}}}"), "\"score\":0.5,") != NULL, "-0 is 0");

	grace_decision_free(&r);
	grace_decide_free(d);
	return T_DONE();
}
