/* fuzz_jqnative.c - the native jq subset (lib/jqnative.h) against libjq.
 *
 * Input: a jq expression, optionally followed by a NUL byte and an event.
 * When both grace_jqn_compile() and libjq compile the expression, it is
 * run both ways on a few fixed events (and on the input's event, when it
 * is a JSON object); wherever the native evaluation does not bail, libjq
 * must produce exactly one first output equal to the native value, with
 * the same truthiness. libjq raising an error where the native subset
 * answers is a disagreement too: a condition must never pass natively
 * where jq would have failed it. "Native refuses" (NULL) and "native
 * bails" are fine: the caller then runs libjq. */
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "fuzz.h"
#include "jqnative.h"
#include "jqx.h"
#include "json.h"

static const char *const events[] = {
	"{\"type\":\"deploy.completed\",\"subject\":\"api\",\"actor\":\"alice\",\"data\":{\"env\":\"prod\",\"error_rate\":0.00123,\"latency_ms\":123,\"ok\":true,\"n\":3,\"big\":12345678901234567890,\"list\":[1,2],\"obj\":{\"x\":1},\"s\":\"abc\",\"e\":\"caf\xc3\xa9\",\"nested\":{\"a\":{\"b\":{\"c\":1}}}}}",
	"{\"type\":\"deploy.completed\",\"data\":{\"env\":\"staging\",\"error_rate\":0.5,\"latency_ms\":900,\"ok\":false,\"flag\":null,\"n\":-400,\"s\":\"\",\"obj\":{\"x\":\"1\"},\"nested\":{\"a\":null}}}",
	"{\"type\":\"x\",\"subject\":\"x\",\"data\":null}",
	"{\"type\":\"x\",\"data\":{\"env\":\"prod\",\"env\":\"dev\",\"n\":1e2,\"s\":\"b\",\"nested\":{\"a\":{\"b\":[1]}}}}",
	"{\"type\":\"x\",\"data\":5}",
	"{\"type\":\"x\",\"data\":{\"obj\":7,\"s\":\"a\\u0062\",\"e\":\"x\",\"k\\u0065y\":1,\"n\":-0,\"f\":1e400}}",
	"  {\"data\":{\"n\":3.0,\"ok\":0,\"list\":{},\"error_rate\":1e-3}} ",
	"{}",
};

static int
same(struct grace_jqn_val *v, jv want)
{
	jv got;
	int eq;

	if (v->kind == GRACE_J_TRUE || v->kind == GRACE_J_FALSE)
		got = v->kind == GRACE_J_TRUE ? jv_true() : jv_false();
	else if (v->kind == GRACE_J_NONE || (v->kind == GRACE_J_NULL && !v->p))
		got = jv_null();
	else
		got = grace_jv_parse(v->p, v->n);
	eq = jv_equal(jv_copy(want), got);
	return eq;
}

static void
run(struct grace_jqn_paths *ps, struct grace_jqn *x, struct grace_jq *q,
    const char *const *keys, size_t nkeys, const char *ev, size_t n)
{
	struct grace_jspan found[64], *spans;
	struct grace_jqn_val v;
	struct grace_err e;
	jv want;
	int r;

	if (nkeys > 64 || grace_json_scan(ev, n, keys, nkeys, found, "fuzz", 1,
	    &e) < 0)
		return;
	if (!(spans = calloc(grace_jqn_paths_size(ps) + 1, sizeof *spans)))
		abort();
	if (grace_jqn_resolve(ps, ev, n, found, spans) ||
	    grace_jqn_eval(x, ev, spans, &v)) {
		free(spans);
		return;
	}
	r = grace_jq_first(q, grace_jv_parse(ev, n), &want, &e);
	if (r != 1)
		abort();
	if (!same(&v, want))
		abort();
	{
		int jt = jv_get_kind(want) != JV_KIND_NULL &&
		    jv_get_kind(want) != JV_KIND_FALSE;

		if (jt != grace_jqn_truthy(&v))
			abort();
	}
	jv_free(want);
	free(spans);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t elen = nul ? (size_t)(nul - data) : size;
	char *src = fuzz_strdup(data, elen);
	struct grace_jqn_paths *ps;
	struct grace_jqn *x;
	struct grace_jq *q;
	struct grace_err e;
	const char *const *top;
	const char *keys[65];
	size_t ntop, i, nkeys;

	if (!src)
		return 0;
	if (!(ps = grace_jqn_paths_new()))
		abort();
	if (!(x = grace_jqn_compile(ps, src))) {
		grace_jqn_paths_free(ps);
		free(src);
		return 0;
	}
	if (!(q = grace_jq_compile(src, NULL, 0, 0, &e)))
		goto out;
	top = grace_jqn_paths_top(ps, &ntop);
	if (ntop > 63)
		goto out;
	keys[0] = "grace"; /* an unrelated key first: binding is by name */
	for (i = 0; i < ntop; i++)
		keys[i + 1] = top[i];
	nkeys = ntop + 1;
	if (grace_jqn_paths_bind(ps, keys, nkeys) < 0)
		abort();
	for (i = 0; i < sizeof events / sizeof events[0]; i++)
		run(ps, x, q, keys, nkeys, events[i], strlen(events[i]));
	if (nul)
		run(ps, x, q, keys, nkeys, (const char *)nul + 1,
		    size - elen - 1);
out:
	grace_jq_free(q);
	grace_jqn_free(x);
	grace_jqn_paths_free(ps);
	free(src);
	return 0;
}
