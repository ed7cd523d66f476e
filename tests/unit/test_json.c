/* test_json.c - the JSON scanner, splicing, line reader and log records. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "lines.h"
#include "log/log.h"
#include "t.h"

static const char *const keys[] = { "grace", "type" };

/* Scan s; on error return "col:message", on success "ok". */
static const char *
scan(const char *s)
{
	static char out[900];
	struct grace_jspan f[2];
	struct grace_err e;

	grace_err_clear(&e);
	if (grace_json_scan(s, strlen(s), keys, 2, f, "in", 7, &e) == 0)
		return "ok";
	snprintf(out, sizeof out, "%lu:%s", e.col, e.msg);
	return out;
}

static const char *
do_splice(const char *s, const char *val)
{
	static struct grace_buf b;
	struct grace_jspan f[2];

	grace_buf_reset(&b);
	if (grace_json_scan(s, strlen(s), keys, 2, f, "in", 1, NULL) < 0)
		return "scan failed";
	if (grace_json_splice_grace(&b, s, strlen(s), &f[0], "log", val,
	    strlen(val)) < 0)
		return "splice failed";
	return b.p;
}

int
main(void)
{
	struct grace_jspan f[2];
	struct grace_buf b = {0};
	const char *ev;

	/* valid documents */
	T_STREQ(scan("{}"), "ok", "empty object");
	T_STREQ(scan("  {\"a\":1} \r"), "ok", "white space around");
	T_STREQ(scan("{\"a\":[1,-2.5e+3,true,false,null,{\"b\":\"\\u00e9\\ud83d\\ude00\"}]}"), "ok", "all value kinds");
	T_STREQ(scan("{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"), "ok", "raw UTF-8");
	/* errors with columns */
	T_STREQ(scan("[1,2]"), "1:expected a JSON object, got an array", "array is not an object");
	T_STREQ(scan("\"x\""), "1:expected a JSON object, got a string", "string is not an object");
	T_STREQ(scan("hello"), "1:not JSON: unexpected 'h'", "bare word");
	T_STREQ(scan("{\"a\":1"), "7:not JSON: unexpected end of line", "unterminated object");
	T_STREQ(scan("{\"a\":1}{}"), "8:not JSON: unexpected data after the object", "two objects");
	T_STREQ(scan("{\"a\":01}"), "7:not JSON: expected ',' or '}'", "leading zero");
	T_STREQ(scan("{\"a\":1.}"), "8:not JSON: unexpected '}'", "bad fraction");
	T_STREQ(scan("{a:1}"), "2:not JSON: expected a string key", "unquoted key");
	T_STREQ(scan("{\"a\" 1}"), "6:not JSON: expected ':' after key", "missing colon");
	T_STREQ(scan("{\"a\":\"x\ty\"}"), "8:not JSON: control character in string", "tab in string");
	T_STREQ(scan("{\"a\":\"\\x\"}"), "7:not JSON: bad escape in string", "bad escape");
	T_STREQ(scan("{\"a\":\"\\ud800\"}"), "7:not JSON: lone surrogate in \\u escape", "lone surrogate");
	T_STREQ(scan("{\"a\":\"\xc3\x28\"}"), "7:invalid UTF-8", "bad continuation byte");
	T_STREQ(scan("{\"a\":\"\xc0\xaf\"}"), "7:invalid UTF-8", "overlong");
	T_STREQ(scan("{\"a\":\"\xed\xa0\x80\"}"), "7:invalid UTF-8", "UTF-8 surrogate");
	T_STREQ(scan("{\"a\":\xff}"), "6:invalid UTF-8", "0xff outside a string");
	T_STREQ(scan("{\"a\":tru}"), "6:not JSON: unexpected 't'", "truncated literal");
	{
		const char s[] = "{\"a\":\"x\0y\"}";
		struct grace_err e;

		T_INTEQ(grace_json_scan(s, sizeof s - 1, NULL, 0, NULL, "in", 3, &e), -1, "NUL rejected");
		T_STREQ(e.msg, "NUL byte", "NUL named");
		T_INTEQ(e.col, 8, "NUL column");
		T_INTEQ(e.line, 3, "line kept");
		T_INTEQ(e.code, GRACE_EXIT_INPUT, "bad input status");
	}
	{
		char deep[1200];
		int i;

		memcpy(deep, "{\"a\":", 5);
		for (i = 5; i < 525; i++)
			deep[i] = '[';
		deep[i] = 0;
		T_OK(strstr(scan(deep), "nesting deeper than 512") != NULL, "depth cap");
	}
	/* member finding */
	ev = "{\"type\":\"a\",\"x\":{\"grace\":1},\"grace\":{\"gate\":{}},\"type\":\"b\"}";
	T_INTEQ(grace_json_scan(ev, strlen(ev), keys, 2, f, "in", 1, NULL), 0, "scan with keys");
	T_INTEQ(f[0].kind, GRACE_J_OBJECT, "grace found at top level only");
	T_INTEQ(f[0].off, 36, "grace offset");
	T_INTEQ(f[1].kind, GRACE_J_STRING, "type found");
	T_OK(f[1].len == 3 && memcmp(ev + f[1].off, "\"b\"", 3) == 0, "last duplicate wins");
	ev = "{\"gr\\u0061ce\":{}}";
	grace_json_scan(ev, strlen(ev), keys, 2, f, "in", 1, NULL);
	T_INTEQ(f[0].kind, GRACE_J_OBJECT, "escaped key matches");
	/* splicing */
	T_STREQ(do_splice("{}", "{\"seq\":1}"), "{\"grace\":{\"log\":{\"seq\":1}}}", "splice into empty");
	T_STREQ(do_splice("{\"a\":1} ", "1"), "{\"a\":1,\"grace\":{\"log\":1}} ", "splice new grace");
	T_STREQ(do_splice("{\"grace\":{}}", "1"), "{\"grace\":{\"log\":1}}", "splice into empty grace");
	T_STREQ(do_splice("{\"grace\":{\"gate\":{\"d\":\"allow\"}},\"z\":0}", "2"),
	    "{\"grace\":{\"gate\":{\"d\":\"allow\"},\"log\":2},\"z\":0}", "splice beside gate");
	T_STREQ(do_splice("{\"grace\":{\"log\":{\"seq\":9},\"x\":1}}", "3"),
	    "{\"grace\":{\"log\":3,\"x\":1}}", "splice replaces log");
	T_STREQ(do_splice("{\"grace\":{\"a\":\"}\\\"{\",\"log\":[1,{\"x\":\"]\"}] , \"b\":2}}", "7"),
	    "{\"grace\":{\"a\":\"}\\\"{\",\"log\":7 , \"b\":2}}", "splice past strings with braces and escaped quotes");
	T_STREQ(do_splice("{\"grace\":{ \"l\\u006fg\" : 1 }}", "2"),
	    "{\"grace\":{ \"l\\u006fg\" : 2 }}", "splice finds an escaped key");
	T_STREQ(do_splice("{\"grace\":{\"log\":1,\"log\":{\"s\":\"\\\\\"}}}", "3"),
	    "{\"grace\":{\"log\":1,\"log\":3}}", "splice replaces the last duplicate, string ending in a backslash");
	{
		const char *s = "{\"grace\":\"x\"}";

		grace_json_scan(s, strlen(s), keys, 2, f, "in", 1, NULL);
		T_INTEQ(grace_json_splice_grace(&b, s, strlen(s), &f[0], "log", "1", 1), -1, "grace not an object");
	}
	/* escaping */
	grace_buf_reset(&b);
	grace_buf_add_jstr(&b, "a\"b\\c\n\x01\xff\xc3\xa9", 10);
	T_STREQ(b.p, "\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xc3\xa9\"", "JSON string escaping");
	grace_buf_reset(&b);
	grace_json_unescape(&b, "\"a\\n\\u00e9\\ud83d\\ude00\"", 23);
	T_STREQ(b.p, "a\n\xc3\xa9\xf0\x9f\x98\x80", "unescape");
	grace_buf_free(&b);
	/* records */
	{
		struct grace_log_head h;
		struct grace_log_rec r;
		struct grace_sha256 *sha = grace_sha256_new();
		const char *why = NULL;

		grace_log_head_init(&h);
		grace_log_record(&b, &h, "2026-01-02T03:04:05.000006Z", "{\"a\":1}", 7, sha);
		T_STREQ(b.p, "{\"seq\":1,\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"time\":\"2026-01-02T03:04:05.000006Z\",\"event\":{\"a\":1},\"hash\":\"65ef18ed439079d77249a7ecc3c3c1b70e2b0649b5263888e29405b0cee372a6\"}\n", "first record, test vector");
		T_INTEQ(h.seq, 1, "head seq");
		T_INTEQ(grace_log_parse(b.p, b.len - 1, &r, &why), 0, "record parses");
		T_INTEQ(r.event_len, 7, "event span");
		T_INTEQ(r.hashed_len, b.len - 1 - GRACE_LOG_TAIL, "hashed span");
		b.p[7] = '0';
		T_INTEQ(grace_log_parse(b.p, b.len - 1, &r, &why), -1, "seq with leading zero");
		T_STREQ(why, "malformed record: bad seq", "why");
		grace_sha256_free(sha);
		grace_buf_free(&b);
	}
	/* line reader */
	{
		int p[2];
		struct grace_lines rd;
		const char *line;
		size_t n;

		if (pipe(p) == 0) {
			const char in[] = "{}\n0123456789ABCDEF\n\nabc";

			T_OK(write(p[1], in, sizeof in - 1) == (ssize_t)(sizeof in - 1), "pipe written");
			close(p[1]);
			grace_lines_init(&rd, p[0], "pipe", 8);
			T_INTEQ(grace_lines_next(&rd, &line, &n, NULL), GRACE_LINE_OK, "line 1");
			T_INTEQ(grace_lines_next(&rd, &line, &n, NULL), GRACE_LINE_TOOLONG, "line 2 too long");
			T_INTEQ(rd.lineno, 2, "too long line numbered");
			T_INTEQ(grace_lines_next(&rd, &line, &n, NULL), GRACE_LINE_OK, "empty line 3");
			T_INTEQ(n, 0, "empty");
			T_INTEQ(grace_lines_next(&rd, &line, &n, NULL), GRACE_LINE_OK, "last line");
			T_OK(n == 3 && rd.unterminated && rd.lineno == 4, "unterminated last line (n=%zu u=%d l=%lu)", n, rd.unterminated, rd.lineno);
			T_INTEQ(grace_lines_next(&rd, &line, &n, NULL), GRACE_LINE_EOF, "eof");
			grace_lines_free(&rd);
			close(p[0]);
		}
	}
	return T_DONE();
}
