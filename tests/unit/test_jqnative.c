/* test_jqnative.c - the native jq subset gives exactly what libjq gives:
 * every expression below is run both ways over every event below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jqnative.h"
#include "jqx.h"
#include "t.h"

static const char *const native_exprs[] = {
	".data.error_rate < 0.01",
	".data.error_rate <= 0.00123",
	".data.latency_ms > 100 and .data.latency_ms <= 500",
	".data.env == \"prod\"",
	".data.env != \"prod\" or .type == \"deploy.completed\"",
	".data.missing == null",
	".data.missing < 0.01",
	".data.ok",
	".data.ok | not",
	"(.data.ok or .data.flag) and (.data.n >= 3)",
	".data.n == 3",
	".data.n == 3.0",
	".data.n > -1",
	".data.n < -3e2",
	".data.big == 12345678901234567890",
	".data.list == null",
	".data.list > \"zzz\"",
	".data.obj > .data.list",
	".data.obj.x == 1",
	".data.obj[\"x\"] == 1",
	".[\"data\"].env == \"prod\"",
	".\"data\".\"env\" == \"prod\"",
	".data.s < \"b\"",
	".data.s >= \"\"",
	".data.e == \"caf\xc3\xa9\"",
	".actor",
	".data",
	".",
	". == null",
	"true",
	"false and .x",
	"null",
	"\"lit\"",
	".type == .subject",
	".data.env == .data.env",
	".data.ok == true",
	".data.ok != false",
	"(.data.n)",
	".data.n|not",
	".data.error_rate < 0.01 | not | not",
	".data.nested.a.b.c == 1",
};

static const char *const not_native[] = {
	".data.list[0] == 1",
	".data.x // 5",
	".data.x?",
	"length > 2",
	".data.s | test(\"a\")",
	".data.n + 1 > 2",
	"..",
	".data.s == \"a\\nb\"",
	"# comment\n.a",
	".data.n == 1 # trailing",
	"5",
	"-5",
	"$__loc__",
	".a |= 1",
	".a as $x | $x",
	"not",
	".a == 1 == 2",
};

static const char *const events[] = {
	"{\"type\":\"deploy.completed\",\"subject\":\"api\",\"actor\":\"alice\",\"data\":{\"env\":\"prod\",\"error_rate\":0.00123,\"latency_ms\":123,\"ok\":true,\"n\":3,\"big\":12345678901234567890,\"list\":[1,2],\"obj\":{\"x\":1},\"s\":\"abc\",\"e\":\"caf\xc3\xa9\",\"nested\":{\"a\":{\"b\":{\"c\":1}}}}}",
	"{\"type\":\"deploy.completed\",\"data\":{\"env\":\"staging\",\"error_rate\":0.5,\"latency_ms\":900,\"ok\":false,\"flag\":null,\"n\":-400,\"s\":\"\",\"obj\":{\"x\":\"1\"},\"nested\":{\"a\":null}}}",
	"{\"type\":\"x\",\"subject\":\"x\",\"data\":null}",
	"{\"type\":\"x\",\"data\":{\"env\":\"prod\",\"env\":\"dev\",\"n\":1e2,\"s\":\"b\",\"nested\":{\"a\":{\"b\":[1]}}}}",
	"{\"type\":\"x\",\"data\":5}",
	"{\"type\":\"x\",\"data\":{\"obj\":7,\"s\":\"a\\u0062\",\"e\":\"x\"}}",
	"  {\"data\":{\"n\":3.0,\"ok\":0,\"list\":{},\"error_rate\":1e-3}} ",
	"{}",
};

int
main(void)
{
	size_t i, j, nbail = 0, nnative = 0;
	struct grace_err e;

	for (i = 0; i < sizeof native_exprs / sizeof native_exprs[0]; i++) {
		const char *src = native_exprs[i];
		struct grace_jqn_paths *ps = grace_jqn_paths_new();
		struct grace_jqn *x = grace_jqn_compile(ps, src);
		struct grace_jq *q = grace_jq_compile(src, NULL, 0, 0, &e);
		size_t ntop, nkeys, agree = 0, checked = 0;
		const char *const *top;
		const char *keys[16];

		T_OK(x != NULL, "native: %s", src);
		T_OK(q != NULL, "libjq compiles: %s", src);
		if (!x || !q) {
			grace_jqn_free(x);
			grace_jq_free(q);
			grace_jqn_paths_free(ps);
			continue;
		}
		top = grace_jqn_paths_top(ps, &ntop);
		keys[0] = "grace"; /* another key first: binding is by name */
		for (j = 0; j < ntop; j++)
			keys[j + 1] = top[j];
		nkeys = ntop + 1;
		T_INTEQ(grace_jqn_paths_bind(ps, keys, nkeys), 0, "bind %s", src);
		for (j = 0; j < sizeof events / sizeof events[0]; j++) {
			const char *ev = events[j];
			struct grace_jspan found[16], *spans;
			struct grace_jqn_val v;
			jv want, got;
			int r;

			grace_json_scan(ev, strlen(ev), keys, nkeys, found, "t", 1, &e);
			spans = calloc(grace_jqn_paths_size(ps), sizeof *spans);
			r = grace_jq_first(q, grace_jv_parse(ev, strlen(ev)), &want, &e);
			if (grace_jqn_resolve(ps, ev, strlen(ev), found, spans) ||
			    grace_jqn_eval(x, ev, spans, &v)) {
				/* Bailing is allowed; it must be rare and
				 * never where jq succeeds on plain data. */
				nbail++;
				jv_free(want);
				free(spans);
				continue;
			}
			nnative++;
			checked++;
			if (v.kind == GRACE_J_TRUE || v.kind == GRACE_J_FALSE)
				got = v.kind == GRACE_J_TRUE ? jv_true() : jv_false();
			else if (v.kind == GRACE_J_NONE)
				got = jv_null();
			else if (v.kind == GRACE_J_NULL && !v.p)
				got = jv_null();
			else
				got = grace_jv_parse(v.p, v.n);
			if (r == 1 && jv_equal(jv_copy(want), jv_copy(got))) {
				agree++;
			} else {
				jv a = jv_dump_string(jv_copy(want), 0);
				jv b = jv_dump_string(jv_copy(got), 0);

				printf("# %s on event %zu: jq %s (r=%d), native %s\n",
				    src, j, jv_string_value(a), r, jv_string_value(b));
				jv_free(a);
				jv_free(b);
			}
			jv_free(want);
			jv_free(got);
			free(spans);
		}
		T_INTEQ(agree, checked, "agrees with jq on every event: %s", src);
		grace_jqn_free(x);
		grace_jq_free(q);
		grace_jqn_paths_free(ps);
	}
	for (i = 0; i < sizeof not_native / sizeof not_native[0]; i++) {
		struct grace_jqn_paths *ps = grace_jqn_paths_new();
		struct grace_jqn *x = grace_jqn_compile(ps, not_native[i]);
		size_t ntop;

		T_OK(x == NULL, "left to libjq: not_native[%zu]", i);
		grace_jqn_paths_top(ps, &ntop);
		T_INTEQ(ntop + grace_jqn_paths_size(ps), 1, "no paths left behind by not_native[%zu]", i);
		grace_jqn_free(x);
		grace_jqn_paths_free(ps);
	}
	/* Shared paths: one trie node per distinct path. */
	{
		struct grace_jqn_paths *ps = grace_jqn_paths_new();
		struct grace_jqn *a = grace_jqn_compile(ps, ".data.x < 1");
		struct grace_jqn *b = grace_jqn_compile(ps, ".data.y == .data.x");
		struct grace_jqn *c = grace_jqn_compile(ps, ".data.z | length");
		size_t ntop;

		T_OK(a && b && !c, "two native, one not");
		grace_jqn_paths_top(ps, &ntop);
		T_INTEQ(ntop, 1, "one top-level member: data");
		T_INTEQ(grace_jqn_paths_size(ps), 4, "root, data, x, y");
		grace_jqn_free(a);
		grace_jqn_free(b);
		grace_jqn_paths_free(ps);
	}
	/* Depth caps: parentheses and operator chains up to
	 * GRACE_JQN_MAX_DEPTH are native, one more is libjq's; 50,000 do not
	 * exhaust the stack of either (libjq's is refused by jqx first). */
	{
		static const struct { const char *open, *first, *each, *close; }
		    shapes[] = {
			{ "(", ".data.n == 3", "", ")" },
			{ "", ".data.ok", " and .data.ok", "" },
			{ "", ".data.ok", " or .data.ok", "" },
			{ "", ".data.ok", " | not", "" },
		};
		static const size_t sizes[] = { GRACE_JQN_MAX_DEPTH,
			GRACE_JQN_MAX_DEPTH + 1, 50000 };
		struct grace_buf src = {0};
		size_t sh, z, k;

		for (sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
			for (z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
				struct grace_jqn_paths *ps = grace_jqn_paths_new();
				struct grace_jqn *x;
				/* a chain of n operands is n - 1 operators over
				 * leaves: height n */
				size_t n = sizes[z];

				grace_buf_reset(&src);
				for (k = 0; k < n && *shapes[sh].open; k++)
					grace_buf_adds(&src, shapes[sh].open);
				grace_buf_adds(&src, shapes[sh].first);
				for (k = 1; k < n && *shapes[sh].each; k++)
					grace_buf_adds(&src, shapes[sh].each);
				for (k = 0; k < n && *shapes[sh].close; k++)
					grace_buf_adds(&src, shapes[sh].close);
				x = grace_jqn_compile(ps, src.p);
				if (z == 0)
					T_OK(x != NULL, "shape %zu, %zu deep: native", sh, n);
				else
					T_OK(x == NULL, "shape %zu, %zu deep: left to libjq", sh, n);
				grace_jqn_free(x);
				grace_jqn_paths_free(ps);
			}
		}
		/* libjq gets no more than GRACE_JQ_MAX_DEPTH either. */
		for (z = 0; z < 3; z++) {
			size_t n = z == 0 ? GRACE_JQ_MAX_DEPTH : z == 1 ?
			    GRACE_JQ_MAX_DEPTH + 1 : 50000;
			struct grace_jq *q;

			grace_buf_reset(&src);
			for (k = 0; k < n; k++)
				grace_buf_adds(&src, k % 3 == 0 ? "[" : k % 3 == 1 ?
				    "(" : "if true then ");
			grace_buf_adds(&src, ".");
			for (k = n; k-- > 0;)
				grace_buf_adds(&src, k % 3 == 0 ? "]" : k % 3 == 1 ?
				    ")" : " else . end");
			grace_err_clear(&e);
			q = grace_jq_compile(src.p, "c.yaml", 3, 7, &e);
			if (z == 0) {
				T_OK(q != NULL, "libjq: %zu deep compiles (%s)", n, e.msg);
			} else {
				T_OK(q == NULL && e.code == 2 && strstr(e.msg,
				    "': nested too deeply (more than 256 levels)"),
				    "libjq: %zu deep is refused: %s", n, e.msg);
			}
			grace_jq_free(q);
		}
		/* Brackets in strings and comments do not count; those in
		 * interpolations do. */
		{
			struct grace_jq *q;

			grace_buf_reset(&src);
			grace_buf_adds(&src, "\"");
			for (k = 0; k < 300; k++)
				grace_buf_adds(&src, "((\\\"");
			grace_buf_adds(&src, "\" # ");
			for (k = 0; k < 300; k++)
				grace_buf_adds(&src, "[");
			grace_buf_adds(&src, "\n| .end | .if");
			q = grace_jq_compile(src.p, NULL, 0, 0, &e);
			T_OK(q != NULL, "brackets in a string and a comment: %s", q ? "" : e.msg);
			grace_jq_free(q);
			grace_buf_reset(&src);
			for (k = 0; k < 257; k++)
				grace_buf_adds(&src, "\"\\(");
			grace_buf_adds(&src, "1");
			for (k = 0; k < 257; k++)
				grace_buf_adds(&src, ")\"");
			q = grace_jq_compile(src.p, NULL, 0, 0, &e);
			T_OK(q == NULL && strstr(e.msg, "nested too deeply"),
			    "257 nested interpolations are refused");
			grace_jq_free(q);
		}
		grace_buf_free(&src);
	}
	printf("# %zu native evaluations, %zu bailed to libjq\n", nnative, nbail);
	T_OK(nbail < nnative / 5, "bailing is the exception (%zu of %zu)", nbail, nbail + nnative);
	return T_DONE();
}
