/* err.c - the error struct every lib/ function fills. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
grace_err_clear(struct grace_err *e)
{
	memset(e, 0, sizeof *e);
}

/* A diagnostic is one line of text: rewrite the control bytes of the
 * NUL-terminated msg (cap bytes) in place as grace_err_snip() quotes
 * them (\n, \t, \xNN), so that text quoted from input or configuration
 * can never break the line or send escapes to a terminal. What no longer
 * fits is cut. */
static void
escape_controls(char *msg, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[sizeof ((struct grace_err *)0)->msg];
	size_t i, o = 0;

	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			break;
	if (!msg[i] || cap > sizeof tmp)
		return;
	for (i = 0; msg[i] && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c == '\n' || c == '\t') {
			tmp[o++] = '\\';
			tmp[o++] = c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c == 0x7f) {
			tmp[o++] = '\\';
			tmp[o++] = 'x';
			tmp[o++] = hex[c >> 4];
			tmp[o++] = hex[c & 15];
		} else {
			tmp[o++] = (char)c;
		}
	}
	tmp[o] = '\0';
	memcpy(msg, tmp, o + 1);
}

static void
fill(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void
fill(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap)
{
	snprintf(e->file, sizeof e->file, "%s", file ? file : "");
	e->line = line;
	e->col = col;
	e->code = GRACE_EXIT_SYSTEM;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	escape_controls(e->msg, sizeof e->msg);
}

int
grace_err_set(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	fill(e, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int
grace_err_vset(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap)
{
	if (e)
		fill(e, file, line, col, fmt, ap);
	return -1;
}

int
grace_err_sys(struct grace_err *e, const char *file, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	va_start(ap, fmt);
	fill(e, file, 0, 0, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int
grace_err_setc(struct grace_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	fill(e, NULL, 0, 0, fmt, ap);
	va_end(ap);
	e->code = code;
	return -1;
}

const char *
grace_err_snip(const char *s, size_t n, size_t max, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (cap == 0)
		return buf;
	for (i = 0; i < n && i < max && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\t') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < n && o + 4 <= cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

void
grace_err_print(FILE *f, const char *prog, const struct grace_err *e)
{
	fprintf(f, "%s: ", prog);
	if (e->file[0]) {
		fputs(e->file, f);
		if (e->line) {
			fprintf(f, ":%lu", e->line);
			if (e->col)
				fprintf(f, ":%lu", e->col);
		}
		fputs(": ", f);
	}
	fprintf(f, "%s\n", e->msg);
}
