/* test_jq.c - lib/jqx: compile once, run per event, leak-free. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jqx.h"
#include "t.h"

static jv
J(const char *s)
{
	return grace_jv_parse(s, strlen(s));
}

/* jv_dump_string of v (consumed) into a static-free caller buffer. */
static const char *
dump(jv v, char *buf, size_t cap)
{
	jv s = jv_dump_string(v, JV_PRINT_SORTED);

	snprintf(buf, cap, "%s", jv_string_value(s));
	jv_free(s);
	return buf;
}

/* s with newlines shown as "\n", for test names (TAP is line-based). */
static const char *
oneline(const char *s, char *buf, size_t cap)
{
	size_t o = 0;

	for (; *s && o + 3 < cap; s++) {
		if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void
compile_bad(const char *src, const char *msg)
{
	struct grace_err e;
	struct grace_jq *q;
	char expr[128];

	grace_err_clear(&e);
	q = grace_jq_compile(src, "policy.yaml", 12, 11, &e);
	oneline(src, expr, sizeof expr);
	T_OK(q == NULL, "compile error for %s", expr);
	grace_jq_free(q);
	T_STREQ(e.msg, msg, "message for %s", expr);
	T_STREQ(e.file, "policy.yaml", "file for %s", expr);
	T_INTEQ(e.line, 12, "line for %s", expr);
	T_INTEQ(e.col, 11, "col for %s", expr);
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "code for %s", expr);
}

static void
test_compile(void)
{
	compile_bad(".a |", "invalid jq expression '.a |': syntax error, "
	    "unexpected $end");
	compile_bad(".a | foo(1)", "invalid jq expression '.a | foo(1)': "
	    "foo/1 is not defined");
	compile_bad("$limit", "invalid jq expression '$limit': $limit is not "
	    "defined");
	compile_bad(".a\n| nope", "invalid jq expression '.a\\n| nope': "
	    "nope/0 is not defined (line 2 of the expression)");
	compile_bad("}", "invalid jq expression '}': syntax error, unexpected "
	    "INVALID_CHARACTER, expecting $end");
	compile_bad("include \"x\"; .", "invalid jq expression 'include "
	    "\"x\"; .': module not found: x");
	compile_bad("foo(1) | bar", "invalid jq expression 'foo(1) | bar': "
	    "foo/1 is not defined; bar/0 is not defined");
}

static void
test_first(void)
{
	struct grace_err e;
	struct grace_jq *q;
	char b[256];
	jv out;

	grace_err_clear(&e);
	q = grace_jq_compile(".a", "r.yaml", 3, 9, &e);
	T_OK(q != NULL, "compile .a");
	T_STREQ(grace_jq_source(q), ".a", "source kept");

	T_INTEQ(grace_jq_first(q, J("{\"a\":{\"b\":[1,2]}}"), &out, &e), 1,
	    "one output");
	T_STREQ(dump(out, b, sizeof b), "{\"b\":[1,2]}", "the output");

	/* runtime error on one input, success on the next */
	grace_err_clear(&e);
	T_INTEQ(grace_jq_first(q, J("5"), &out, &e), -1, "runtime error");
	T_OK(jv_get_kind(out) == JV_KIND_INVALID, "out invalid on error");
	T_STREQ(e.msg, "jq: error: Cannot index number with string \"a\"",
	    "runtime message");
	T_STREQ(e.file, "r.yaml", "runtime error at the expression's file");
	T_INTEQ(e.line, 3, "... line");
	T_INTEQ(e.col, 9, "... col");
	T_INTEQ(e.code, GRACE_EXIT_INPUT, "runtime error code");
	T_INTEQ(grace_jq_first(q, J("{\"a\":\"x\"}"), &out, &e), 1,
	    "next input succeeds");
	T_STREQ(dump(out, b, sizeof b), "\"x\"", "and gives its value");
	grace_jq_free(q);

	q = grace_jq_compile(".[] | select(. > 2)", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("[1,2,3,4]"), &out, &e), 1,
	    "first of many");
	T_STREQ(dump(out, b, sizeof b), "3", "only the first is taken");
	T_INTEQ(grace_jq_first(q, J("[1,2]"), &out, &e), 0, "no output");
	T_OK(jv_get_kind(out) == JV_KIND_INVALID, "out invalid when empty");
	grace_jq_free(q);

	q = grace_jq_compile("error({code: 7})", NULL, 0, 0, &e);
	grace_err_clear(&e);
	T_INTEQ(grace_jq_first(q, J("null"), &out, &e), -1, "error(object)");
	T_STREQ(e.msg, "jq: error (not a string): {\"code\":7}",
	    "non-string error value");
	T_STREQ(e.file, "", "no file when none was given");
	grace_jq_free(q);

	q = grace_jq_compile("error(\"boom: \" + .)", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("\"disk\""), &out, &e), -1,
	    "error(string)");
	T_STREQ(e.msg, "jq: error: boom: disk", "string error value");
	grace_jq_free(q);

	q = grace_jq_compile("if . == 1 then halt_error else . end", NULL, 0,
	    0, &e);
	T_INTEQ(grace_jq_first(q, J("1"), &out, &e), -1, "halt_error");
	T_STREQ(e.msg, "jq: program halted: 1", "halt_error message");
	T_INTEQ(grace_jq_first(q, J("2"), &out, &e), 1, "runs after a halt");
	T_STREQ(dump(out, b, sizeof b), "2", "value after a halt");
	T_INTEQ(grace_jq_first(q, J("\"stop\\nnow\""), &out, &e), 1,
	    "string input is not 1");
	jv_free(out);
	grace_jq_free(q);

	q = grace_jq_compile("\"bye\\n\" | halt_error", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("1"), &out, &e), -1, "halt_error(str)");
	T_STREQ(e.msg, "jq: program halted: bye", "halt_error string, "
	    "newline cut");
	grace_jq_free(q);

	q = grace_jq_compile("halt", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("1"), &out, &e), -1, "halt");
	T_STREQ(e.msg, "jq: program halted", "halt message");
	grace_jq_free(q);

	q = grace_jq_compile("input", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("1"), &out, &e), -1, "input: no inputs");
	T_STREQ(e.msg, "jq: error: break", "input message (jq 1.6's)");
	grace_jq_free(q);

	q = grace_jq_compile("[inputs]", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("1"), &out, &e), 1, "inputs: empty");
	T_STREQ(dump(out, b, sizeof b), "[]", "no other inputs");
	grace_jq_free(q);

	q = grace_jq_compile("debug | .a", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("{\"a\":4}"), &out, &e), 1,
	    "debug passes through, silently");
	T_STREQ(dump(out, b, sizeof b), "4", "value after debug");
	grace_jq_free(q);

	grace_jq_free(NULL);
	T_OK(1, "grace_jq_free(NULL) is a no-op");
}

static void
test_args(void)
{
	struct grace_err e;
	struct grace_jq *q;
	char b[256];
	jv out;

	grace_err_clear(&e);
	q = grace_jq_compile_args(".n > $limit and .who == $who",
	    J("{\"limit\":5,\"who\":\"ops\"}"), "a.yaml", 1, 1, &e);
	T_OK(q != NULL, "compile with $limit and $who");
	T_INTEQ(grace_jq_truthy(q, J("{\"n\":7,\"who\":\"ops\"}"), &e), 1,
	    "7 > 5 and ops");
	T_INTEQ(grace_jq_truthy(q, J("{\"n\":3,\"who\":\"ops\"}"), &e), 0,
	    "3 > 5 is false");
	grace_jq_free(q);

	q = grace_jq_compile_args("[$a, $b]", J("{\"a\":[1],\"b\":null}"),
	    NULL, 0, 0, &e);
	T_INTEQ(grace_jq_first(q, J("0"), &out, &e), 1, "args as values");
	T_STREQ(dump(out, b, sizeof b), "[[1],null]", "args values");
	grace_jq_free(q);

	grace_err_clear(&e);
	q = grace_jq_compile_args("$nope", J("{\"limit\":5}"), "a.yaml", 4, 7,
	    &e);
	T_OK(q == NULL, "unknown $var");
	T_STREQ(e.msg, "invalid jq expression '$nope': $nope is not defined",
	    "unknown $var message");
	T_INTEQ(e.line, 4, "unknown $var line");

	grace_err_clear(&e);
	q = grace_jq_compile_args(".", J("[1]"), "a.yaml", 4, 7, &e);
	T_OK(q == NULL, "args not an object");
	T_STREQ(e.msg, "jq arguments must be an object", "args message");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "args code");
}

static void
test_truthy(void)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "{\"v\":true}", 1 }, { "{\"v\":false}", 0 },
		{ "{\"v\":null}", 0 }, { "{}", 0 }, { "{\"v\":0}", 1 },
		{ "{\"v\":\"\"}", 1 }, { "{\"v\":[]}", 1 },
		{ "{\"v\":{}}", 1 }, { "7", -1 },
	};
	struct grace_err e;
	struct grace_jq *q = grace_jq_compile(".v", NULL, 0, 0, &e);
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		T_INTEQ(grace_jq_truthy(q, J(cases[i].in), &e), cases[i].want,
		    "truthy .v of %s", cases[i].in);
	grace_jq_free(q);
	q = grace_jq_compile("empty", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_truthy(q, J("1"), &e), 0, "no output is false");
	grace_jq_free(q);
	q = grace_jq_compile("false, true", NULL, 0, 0, &e);
	T_INTEQ(grace_jq_truthy(q, J("1"), &e), 0, "only the first output "
	    "counts");
	grace_jq_free(q);
}

static void
parse_bad(const char *in, size_t n, const char *msg)
{
	jv v = grace_jv_parse(in, n);
	jv m;

	char name[128], in0[128];

	snprintf(in0, sizeof in0, "%.*s", (int)n, in);
	oneline(in0, name, sizeof name);
	T_OK(jv_get_kind(v) == JV_KIND_INVALID, "invalid JSON '%s'", name);
	m = jv_invalid_get_msg(v);
	T_STREQ(jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?",
	    msg, "parse message for '%s'", name);
	jv_free(m);
}

static void
test_parse(void)
{
	char b[256];
	const char buf[] = "{\"a\":1}{\"SECRET\":2}";
	jv v;

	v = J("  {\"a\": [1, 2.5, \"x\"]}\n");
	T_STREQ(dump(v, b, sizeof b), "{\"a\":[1,2.5,\"x\"]}", "parse object");
	v = grace_jv_parse(buf, 7);
	T_STREQ(dump(v, b, sizeof b), "{\"a\":1}", "n bounds the parse");
	parse_bad("{\"a\":", 5, "Unfinished JSON term at EOF at line 1, "
	    "column 5");
	parse_bad("", 0, "Expected JSON value");
	parse_bad("  \n", 3, "Expected JSON value");
	parse_bad("1 2", 3, "Unexpected extra JSON values");
	parse_bad(buf, sizeof buf - 1, "Unexpected extra JSON values");
	parse_bad("{\"a\":1", 6, "Unfinished JSON term at EOF at line 1, "
	    "column 6");
	parse_bad("[1,]", 4, "Expected another array element at line 1, "
	    "column 4");
}

/* 10,000 evaluations mixing outputs, empties and runtime errors: run the
 * binary under valgrind to see that nothing leaks. */
static void
test_many(void)
{
	struct grace_err e;
	struct grace_jq *q = grace_jq_compile(
	    "if .i % 3 == 0 then .x.y elif .i % 3 == 1 then empty "
	    "else {i, s: (.s + \"!\")} end", "loop.yaml", 1, 1, &e);
	int i, ones = 0, zeros = 0, errs = 0, r;
	char in[128];
	jv out;

	for (i = 0; i < 10000; i++) {
		snprintf(in, sizeof in, "{\"i\":%d,\"x\":%s,\"s\":\"n%d\"}", i,
		    i % 2 ? "5" : "{\"y\":[1,2,3]}", i);
		r = grace_jq_first(q, J(in), &out, &e);
		if (r == 1)
			ones++;
		else if (r == 0)
			zeros++;
		else
			errs++;
		jv_free(out);
	}
	T_INTEQ(ones, 5000, "10000 runs: outputs");
	T_INTEQ(zeros, 3333, "10000 runs: no output");
	T_INTEQ(errs, 1667, "10000 runs: runtime errors");
	T_STREQ(e.msg, "jq: error: Cannot index number with string \"y\"",
	    "the last runtime error");
	grace_jq_free(q);
}

int
main(void)
{
	test_compile();
	test_first();
	test_args();
	test_truthy();
	test_parse();
	test_many();
	return T_DONE();
}
