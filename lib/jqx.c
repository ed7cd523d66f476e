/* jqx.c - compile jq once, run it per event (libjq 1.6).
 *
 * libjq 1.6 reports compile errors through the error callback, as jv
 * strings ("jq: error: ... at <top-level>, line 1:\n<source line>") and a
 * final "jq: N compile error(s)"; we collect them into the grace_jq while
 * compiling and drop whatever arrives later, so the library never prints.
 * Runtime errors come back from jq_next() as an invalid with a message.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "err.h"
#include "jqx.h"

#define SNIP_MAX 64

struct grace_jq {
	jq_state *jq;
	char *src;
	char *file;
	unsigned long line, col;
	int compiling;       /* collect error callback messages into msg[] */
	size_t mlen;
	char msg[640];
};

/* Copy s for an error message: \n, \t, other control bytes as \xNN, cut
 * after SNIP_MAX bytes with "...". */
static const char *
snip(const char *s, char *buf, size_t cap)
{
	return grace_err_snip(s, strlen(s), SNIP_MAX, buf, cap);
}

static void
msg_append(struct grace_jq *q, const char *s, size_t n)
{
	size_t room = sizeof q->msg - 1 - q->mlen;

	if (q->mlen && room > 2) {
		memcpy(q->msg + q->mlen, "; ", 2);
		q->mlen += 2;
		room -= 2;
	}
	if (n > room)
		n = room;
	memcpy(q->msg + q->mlen, s, n);
	q->mlen += n;
	q->msg[q->mlen] = '\0';
}

/* Take one compile message from jq and keep its useful part:
 * "jq: error: foo/1 is not defined at <top-level>, line 2:\n..." becomes
 * "foo/1 is not defined (line 2 of the expression)". */
static void
keep_compile_msg(struct grace_jq *q, const char *m)
{
	static const char at[] = " at <top-level>, line ";
	static const char quoting[] = " (Unix shell quoting issues?)";
	const char *end, *p;
	unsigned long lineno = 0;
	char extra[64] = "", piece[sizeof q->msg];

	if (strncmp(m, "jq: ", 4) == 0 && m[4] >= '0' && m[4] <= '9' &&
	    strstr(m, " compile error"))
		return; /* the "jq: 1 compile error" summary */
	if (strncmp(m, "jq: error: ", 11) == 0)
		m += 11;
	end = m + strcspn(m, "\n");
	if ((p = strstr(m, at)) && p < end) {
		lineno = strtoul(p + sizeof at - 1, NULL, 10);
		end = p;
	}
	if ((p = strstr(m, quoting)) && p < end && p + strlen(quoting) == end)
		end = p;
	while (end > m && (end[-1] == ' ' || end[-1] == ':'))
		end--;
	if (lineno > 1)
		snprintf(extra, sizeof extra, " (line %lu of the expression)",
		    lineno);
	snprintf(piece, sizeof piece, "%.*s%s", (int)(end - m), m, extra);
	msg_append(q, piece, strlen(piece));
}

/* jq_set_error_cb callback: consumes msg. */
static void
error_cb(void *data, jv msg)
{
	struct grace_jq *q = data;

	if (!q->compiling) {
		jv_free(msg);
		return;
	}
	if (jv_get_kind(msg) == JV_KIND_INVALID)
		msg = jv_invalid_get_msg(msg);
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	if (jv_get_kind(msg) == JV_KIND_STRING)
		keep_compile_msg(q, jv_string_value(msg));
	jv_free(msg);
}

/* jq_set_input_cb callback: there are no further inputs, so `input` fails
 * (jq 1.6 says "break") and `inputs` is empty. Set because jq 1.6's
 * jq_init leaves the input callback uninitialised: `input` would read and
 * call garbage (valgrind sees it). */
static jv
no_input_cb(jq_state *jq, void *data)
{
	(void)jq;
	(void)data;
	return jv_invalid();
}

/* jq_set_debug_cb callback: `debug` passes values through silently
 * (lib/ never prints). Consumes msg. */
static void
debug_cb(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

static int
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static int
after_word(char c)
{
	return is_word(c) || c == '.';
}

/* Whether the jq source s nests deeper than max: brackets, strings and
 * their \( interpolations, if ... end. Comments and string contents are
 * skipped; keywords are whole words (not .if, $end or end_x). */
static int
too_deep(const char *s, int max)
{
	/* What each open level is: a bracket or keyword (c), a string (s),
	 * an interpolation (i). */
	char st[GRACE_JQ_MAX_DEPTH + GRACE_JQ_WRAP_DEPTH + 1];
	int d = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (d > 0 && st[d - 1] == 's') {
			if (c == '"')
				d--;
			else if (c == '\\' && s[i + 1] == '(') {
				st[d++] = 'i';
				if (d > max)
					return 1;
				i++;
			} else if (c == '\\' && s[i + 1])
				i++;
			continue;
		}
		if (c == '#') {
			while (s[i + 1] && s[i + 1] != '\n')
				i++;
		} else if (c == '"' || c == '(' || c == '[' || c == '{' ||
		    (c == 'i' && s[i + 1] == 'f' && !is_word(s[i + 2]) &&
		    (i == 0 || !after_word(s[i - 1])))) {
			st[d++] = c == '"' ? 's' : 'c';
			if (d > max)
				return 1;
		} else if (c == ')' || c == ']' || c == '}' ||
		    (c == 'e' && strncmp(s + i, "end", 3) == 0 &&
		    !is_word(s[i + 3]) && (i == 0 || !after_word(s[i - 1])))) {
			if (d > 0)
				d--;
		}
	}
	return 0;
}

static int
depth_check(const char *expr, int max, const char *file, unsigned long line,
    unsigned long col, struct grace_err *e)
{
	char b[SNIP_MAX * 4 + 8];

	if (!too_deep(expr, max))
		return 0;
	grace_err_set(e, file, line, col, "invalid jq expression '%s': nested "
	    "too deeply (more than %d levels)", snip(expr, b, sizeof b), max);
	if (e)
		e->code = GRACE_EXIT_USAGE;
	return -1;
}

int
grace_jq_check_depth(const char *expr, const char *file, unsigned long line,
    unsigned long col, struct grace_err *e)
{
	return depth_check(expr, GRACE_JQ_MAX_DEPTH, file, line, col, e);
}

static struct grace_jq *
compile(const char *expr, jv args, int max_depth, const char *file,
    unsigned long line, unsigned long col, struct grace_err *e)
{
	struct grace_jq *q;
	char b[SNIP_MAX * 4 + 8];
	int ok;

	if (jv_get_kind(args) != JV_KIND_OBJECT) {
		jv_free(args);
		grace_err_set(e, file, line, col,
		    "jq arguments must be an object");
		if (e)
			e->code = GRACE_EXIT_USAGE;
		return NULL;
	}
	if (depth_check(expr, max_depth, file, line, col, e) < 0) {
		jv_free(args);
		return NULL;
	}
	if (!(q = calloc(1, sizeof *q)) || !(q->src = strdup(expr)) ||
	    (file && !(q->file = strdup(file))) || !(q->jq = jq_init())) {
		jv_free(args);
		grace_jq_free(q);
		grace_err_set(e, file, line, col, "out of memory");
		return NULL;
	}
	q->line = line;
	q->col = col;
	jq_set_error_cb(q->jq, error_cb, q);
	jq_set_input_cb(q->jq, no_input_cb, NULL);
	jq_set_debug_cb(q->jq, debug_cb, NULL);
	/* jq 1.6 asserts on `import`/`include` without a library path. */
	jq_set_attr(q->jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	q->compiling = 1;
	ok = jq_compile_args(q->jq, expr, args);
	q->compiling = 0;
	if (!ok) {
		grace_err_set(e, file, line, col,
		    "invalid jq expression '%s': %s", snip(expr, b, sizeof b),
		    q->mlen ? q->msg : "compile error");
		if (e)
			e->code = GRACE_EXIT_USAGE;
		grace_jq_free(q);
		return NULL;
	}
	return q;
}

struct grace_jq *
grace_jq_compile(const char *expr, const char *file, unsigned long line,
    unsigned long col, struct grace_err *e)
{
	return compile(expr, jv_object(), GRACE_JQ_MAX_DEPTH, file, line, col, e);
}

struct grace_jq *
grace_jq_compile_args(const char *expr, jv args, const char *file,
    unsigned long line, unsigned long col, struct grace_err *e)
{
	return compile(expr, args, GRACE_JQ_MAX_DEPTH, file, line, col, e);
}

struct grace_jq *
grace_jq_compile_program(const char *expr, const char *file,
    unsigned long line, unsigned long col, struct grace_err *e)
{
	return compile(expr, jv_object(), GRACE_JQ_MAX_DEPTH +
	    GRACE_JQ_WRAP_DEPTH, file, line, col, e);
}

/* Fill e for the end of a run that stopped with jq_halted(). */
static int
halt_err(struct grace_jq *q, struct grace_err *e)
{
	jv m = jq_get_error_message(q->jq);
	jv code = jq_get_exit_code(q->jq);
	char buf[512];

	if (jv_get_kind(m) == JV_KIND_STRING) {
		const char *s = jv_string_value(m);
		snprintf(buf, sizeof buf, ": %.*s", (int)strcspn(s, "\n"), s);
	} else if (jv_is_valid(m)) {
		m = jv_dump_string(m, 0);
		snprintf(buf, sizeof buf, ": %s", jv_string_value(m));
	} else if (jv_get_kind(code) == JV_KIND_NUMBER) {
		snprintf(buf, sizeof buf, " with exit code %g",
		    jv_number_value(code));
	} else {
		buf[0] = '\0';
	}
	grace_err_set(e, q->file, q->line, q->col, "jq: program halted%s",
	    buf);
	jv_free(m);
	jv_free(code);
	return -1;
}

int
grace_jq_first(struct grace_jq *q, jv input, jv *out, struct grace_err *e)
{
	jv r, m;

	*out = jv_invalid();
	jq_start(q->jq, input, 0);
	r = jq_next(q->jq);
	if (jv_is_valid(r)) {
		*out = r;
		return 1;
	}
	if (jq_halted(q->jq)) {
		jv_free(r);
		halt_err(q, e);
	} else if (jv_invalid_has_msg(jv_copy(r))) {
		m = jv_invalid_get_msg(r);
		if (jv_get_kind(m) == JV_KIND_STRING) {
			grace_err_set(e, q->file, q->line, q->col,
			    "jq: error: %s", jv_string_value(m));
		} else {
			m = jv_dump_string(m, 0);
			grace_err_set(e, q->file, q->line, q->col,
			    "jq: error (not a string): %s",
			    jv_string_value(m));
		}
		jv_free(m);
	} else {
		jv_free(r);
		return 0;
	}
	if (e)
		e->code = GRACE_EXIT_INPUT;
	return -1;
}

int
grace_jq_truthy(struct grace_jq *q, jv input, struct grace_err *e)
{
	jv out;
	jv_kind k;
	int r = grace_jq_first(q, input, &out, e);

	if (r <= 0)
		return r;
	k = jv_get_kind(out);
	jv_free(out);
	return k != JV_KIND_FALSE && k != JV_KIND_NULL;
}

const char *
grace_jq_source(const struct grace_jq *q)
{
	return q->src;
}

void
grace_jq_free(struct grace_jq *q)
{
	if (!q)
		return;
	if (q->jq)
		jq_teardown(&q->jq);
	free(q->src);
	free(q->file);
	free(q);
}

jv
grace_jv_parse(const char *p, size_t n)
{
	jv_parser *ps;
	jv v, next;

	if (n > INT_MAX)
		return jv_invalid_with_msg(jv_string("JSON text too large"));
	if (!(ps = jv_parser_new(0)))
		return jv_invalid_with_msg(jv_string("out of memory"));
	jv_parser_set_buf(ps, n ? p : "", (int)n, 0);
	v = jv_parser_next(ps);
	if (jv_is_valid(v)) {
		next = jv_parser_next(ps);
		if (jv_is_valid(next)) {
			jv_free(v);
			jv_free(next);
			v = jv_invalid_with_msg(
			    jv_string("Unexpected extra JSON values"));
		} else if (jv_invalid_has_msg(jv_copy(next))) {
			jv_free(v);
			v = next;
		} else {
			jv_free(next);
		}
	} else if (!jv_invalid_has_msg(jv_copy(v))) {
		jv_free(v);
		v = jv_invalid_with_msg(jv_string("Expected JSON value"));
	}
	jv_parser_free(ps);
	return v;
}
