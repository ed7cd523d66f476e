/* cli.c - usage errors, error reports and number options for cmd/. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

int
grace_cli_usage_error(FILE *f, const char *prog, const char *cmd,
    const char *fmt, const char *arg)
{
	if (fmt) {
		fprintf(f, "%s: ", prog);
		if (cmd)
			fprintf(f, "%s: ", cmd);
		fprintf(f, fmt, arg);
		fputc('\n', f);
	}
	fprintf(f, "Try '%s %s%s--help' for more information.\n", prog,
	    cmd ? cmd : "", cmd ? " " : "");
	return GRACE_EXIT_USAGE;
}

int
grace_cli_report(FILE *f, const char *prog, const struct grace_err *e)
{
	grace_err_print(f, prog, e);
	return e->code ? e->code : GRACE_EXIT_SYSTEM;
}

int
grace_cli_judged(FILE *f, const char *prog, int status,
    unsigned long long lines, int allow_empty)
{
	if (status != GRACE_EXIT_OK || lines || allow_empty)
		return status;
	fprintf(f, "%s: no events judged (use --allow-empty to accept an "
	    "empty stream)\n", prog);
	return GRACE_EXIT_NEGATIVE;
}

int
grace_cli_parse_size(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}
