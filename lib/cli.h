/* cli.h - the pieces of a command line every program's main shares.
 *
 * The one lib/ module that writes diagnostics: only to the stream it is
 * given, only for cmd/'s option parsing, in the toolkit's one style. */
#ifndef GRACE_CLI_H
#define GRACE_CLI_H

#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "report.h"

#define GRACE_CLI_NO_EVENTS \
	"no events judged (use --allow-empty to accept an empty stream)"

/* Write "prog: [cmd: ]<formatted message>\n" (skipped when fmt is NULL:
 * getopt already said what was wrong) and "Try 'prog [cmd ]--help' for
 * more information.\n" to f. Returns GRACE_EXIT_USAGE. */
int grace_cli_usage_error(FILE *f, const char *prog, const char *cmd,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same with the arguments as a va_list. */
int grace_cli_usage_verror(FILE *f, const char *prog, const char *cmd,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* grace_err_print() e to f; returns the exit status it calls for
 * (e->code, or GRACE_EXIT_SYSTEM when unset). */
int grace_cli_report(FILE *f, const char *prog, const struct grace_err *e);
/* The same for a configuration or case file at path that failed to load:
 * a file that cannot be read (missing, unreadable) is a usage error, like
 * a bad flag, not a system error; nothing has been processed. */
int grace_cli_report_load(FILE *f, const char *prog,
    const struct grace_err *e, const char *path);

/* The end-of-stream verdict of a filter: a run that read no event (an
 * empty stream, or only blank lines) judged nothing, and a gate that
 * judged nothing approved nothing. grace_cli_none_judged() says whether
 * it applies: status is GRACE_EXIT_OK, lines (the events plus the bad
 * lines read) is 0 and allow_empty is not set (a bad line is exit 3
 * whatever else). grace_cli_judged() then writes "prog: no events judged
 * (use --allow-empty to accept an empty stream)\n" to f and returns
 * GRACE_EXIT_NEGATIVE; otherwise it returns status unchanged. */
int grace_cli_none_judged(int status, unsigned long long lines,
    int allow_empty);
int grace_cli_judged(FILE *f, const char *prog, int status,
    unsigned long long lines, int allow_empty);

/* Fill *it as the report item of that verdict (an error, so that a TAP,
 * JUnit or GitHub report of an empty run fails as its exit status does):
 * its id names the input of inputs[0..n) ("<stdin>" for none or "-"),
 * or "inputs" for several. The strings are static or borrowed. */
void grace_cli_none_item(struct grace_report_item *it, char *const *inputs,
    size_t n);

/* A whole decimal number (digits only: no sign, no space, no suffix).
 * Returns 0, or -1 if s is not one or overflows. */
int grace_cli_parse_size(const char *s, unsigned long long *v);

/* --metrics at the end of a run: write m (NULL: nothing to do) and
 * return status, or, when it cannot be written, say so on f and return
 * GRACE_EXIT_SYSTEM. */
struct grace_metrics;
int grace_cli_metrics_end(FILE *f, const char *prog, struct grace_metrics *m,
    int status);

/* Write all of b to standard output and empty it. Returns 0, or -1 with
 * e (may be NULL) filled ("<stdout>: unable to write"). */
int grace_cli_flush(struct grace_buf *b, struct grace_err *e);

/* 1 when more input is waiting on standard input right now (output may
 * then wait to be written with it), else 0. */
int grace_cli_stdin_waiting(void);

/* --test: run n cases, one line each on stdout ("ok 1 - name",
 * "not ok 2 - name: why"), or the -o report fmt (not NDJSON), then
 * "N cases, N passed, N failed" on stderr unless quiet. run(arg, i, why,
 * e) returns 1 (passed), 0 (failed, why says how) or -1 (e filled: the
 * run stops). Returns the exit status: 0 all passed, 1 some failed, or
 * e's. */
typedef int grace_cli_case_fn(void *arg, size_t i, struct grace_buf *why,
    struct grace_err *e);
int grace_cli_run_cases(const char *prog, size_t n,
    const char *(*name)(void *arg, size_t i), grace_cli_case_fn *run,
    void *arg, enum grace_report_fmt fmt, int quiet);

#endif
