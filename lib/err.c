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

static void
fill(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap)
{
	snprintf(e->file, sizeof e->file, "%s", file ? file : "");
	e->line = line;
	e->col = col;
	e->code = GRACE_EXIT_SYSTEM;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
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
