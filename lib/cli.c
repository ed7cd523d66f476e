/* cli.c - usage errors, error reports and number options for cmd/. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileutil.h"
#include "metrics.h"

int
grace_cli_usage_verror(FILE *f, const char *prog, const char *cmd,
    const char *fmt, va_list ap)
{
	if (fmt) {
		fprintf(f, "%s: ", prog);
		if (cmd)
			fprintf(f, "%s: ", cmd);
		vfprintf(f, fmt, ap);
		fputc('\n', f);
	}
	fprintf(f, "Try '%s %s%s--help' for more information.\n", prog,
	    cmd ? cmd : "", cmd ? " " : "");
	return GRACE_EXIT_USAGE;
}

int
grace_cli_usage_error(FILE *f, const char *prog, const char *cmd,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = grace_cli_usage_verror(f, prog, cmd, fmt, ap);
	va_end(ap);
	return rc;
}

int
grace_cli_report(FILE *f, const char *prog, const struct grace_err *e)
{
	grace_err_print(f, prog, e);
	return e->code ? e->code : GRACE_EXIT_SYSTEM;
}

int
grace_cli_report_load(FILE *f, const char *prog, const struct grace_err *e,
    const char *path)
{
	grace_err_print(f, prog, e);
	if (e->code == GRACE_EXIT_SYSTEM && access(path, R_OK) != 0)
		return GRACE_EXIT_USAGE;
	return e->code ? e->code : GRACE_EXIT_SYSTEM;
}

int
grace_cli_none_judged(int status, unsigned long long lines, int allow_empty)
{
	return status == GRACE_EXIT_OK && !lines && !allow_empty;
}

int
grace_cli_judged(FILE *f, const char *prog, int status,
    unsigned long long lines, int allow_empty)
{
	if (!grace_cli_none_judged(status, lines, allow_empty))
		return status;
	fprintf(f, "%s: %s\n", prog, GRACE_CLI_NO_EVENTS);
	return GRACE_EXIT_NEGATIVE;
}

void
grace_cli_none_item(struct grace_report_item *it, char *const *inputs,
    size_t n)
{
	it->id = n > 1 ? "inputs" : n == 0 || strcmp(inputs[0], "-") == 0 ?
	    "<stdin>" : inputs[0];
	it->type = "";
	it->decision = "error";
	it->outcome = GRACE_OUT_ERROR;
	it->rules = "";
	it->reason = GRACE_CLI_NO_EVENTS;
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

int
grace_cli_metrics_end(FILE *f, const char *prog, struct grace_metrics *m,
    int status)
{
	struct grace_err e;

	if (!m)
		return status;
	grace_err_clear(&e);
	if (grace_metrics_write(m, &e) < 0) {
		grace_err_print(f, prog, &e);
		return GRACE_EXIT_SYSTEM;
	}
	return status;
}

int
grace_cli_flush(struct grace_buf *b, struct grace_err *e)
{
	if (b->len && grace_write_all(STDOUT_FILENO, b->p, b->len) < 0)
		return grace_err_sys(e, "<stdout>", "unable to write");
	grace_buf_reset(b);
	return 0;
}

int
grace_cli_stdin_waiting(void)
{
	struct pollfd pf = { STDIN_FILENO, POLLIN, 0 };

	return poll(&pf, 1, 0) > 0;
}

int
grace_cli_run_cases(const char *prog, size_t n,
    const char *(*name)(void *arg, size_t i), grace_cli_case_fn *run,
    void *arg, enum grace_report_fmt fmt, int quiet)
{
	struct grace_buf why = {0}, out = {0};
	struct grace_report *rep = NULL;
	struct grace_err e;
	size_t i, passed = 0;
	int status = GRACE_EXIT_OK;

	if (fmt != GRACE_FMT_NDJSON && !(rep = grace_report_new(fmt, prog,
	    fmt == GRACE_FMT_TEXT && isatty(STDOUT_FILENO) &&
	    !getenv("NO_COLOR")))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return GRACE_EXIT_SYSTEM;
	}
	for (i = 0; i < n; i++) {
		int ok;

		grace_buf_reset(&why);
		grace_buf_add(&why, "", 0);
		grace_err_clear(&e);
		if ((ok = run(arg, i, &why, &e)) < 0) {
			status = grace_cli_report(stderr, prog, &e);
			break;
		}
		passed += (size_t)ok;
		if (rep) {
			struct grace_report_item it = { name(arg, i), NULL,
				ok ? "pass" : "fail", ok ? GRACE_OUT_PASS :
				GRACE_OUT_FAIL, "", why.p };

			grace_buf_reset(&out);
			grace_report_add(rep, &it, &out);
			if (out.len)
				fwrite(out.p, 1, out.len, stdout);
		} else if (ok) {
			printf("ok %zu - %s\n", i + 1, name(arg, i));
		} else {
			printf("not ok %zu - %s: %s\n", i + 1, name(arg, i), why.p);
		}
	}
	if (rep) {
		grace_buf_reset(&out);
		grace_report_finish(rep, &out);
		if (out.len)
			fwrite(out.p, 1, out.len, stdout);
	}
	if (status == GRACE_EXIT_OK) {
		fflush(stdout);
		if (!quiet)
			fprintf(stderr, "%zu cases, %zu passed, %zu failed\n", n,
			    passed, n - passed);
		if (passed < n)
			status = GRACE_EXIT_NEGATIVE;
	}
	grace_report_free(rep);
	grace_buf_free(&why);
	grace_buf_free(&out);
	return status;
}
