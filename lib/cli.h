/* cli.h - the pieces of a command line every program's main shares.
 *
 * The one lib/ module that writes diagnostics: only to the stream it is
 * given, only for cmd/'s option parsing, in the toolkit's one style. */
#ifndef GRACE_CLI_H
#define GRACE_CLI_H

#include <stdio.h>

#include "err.h"

/* Write "prog: [cmd: ]<fmt with arg>\n" (skipped when fmt is NULL: getopt
 * already said what was wrong) and "Try 'prog [cmd ]--help' for more
 * information.\n" to f. Returns GRACE_EXIT_USAGE. */
int grace_cli_usage_error(FILE *f, const char *prog, const char *cmd,
    const char *fmt, const char *arg);

/* grace_err_print() e to f; returns the exit status it calls for
 * (e->code, or GRACE_EXIT_SYSTEM when unset). */
int grace_cli_report(FILE *f, const char *prog, const struct grace_err *e);

/* The end-of-stream verdict of a filter: a run that read no event (an
 * empty stream, or only blank lines) judged nothing, and a gate that
 * judged nothing approved nothing. When status is GRACE_EXIT_OK, lines
 * (the events plus the bad lines read) is 0 and allow_empty is not set,
 * writes "prog: no events judged (use --allow-empty to accept an empty
 * stream)\n" to f and returns GRACE_EXIT_NEGATIVE; otherwise returns
 * status unchanged (a bad line is exit 3 whatever else). */
int grace_cli_judged(FILE *f, const char *prog, int status,
    unsigned long long lines, int allow_empty);

/* A whole decimal number (digits only: no sign, no space, no suffix).
 * Returns 0, or -1 if s is not one or overflows. */
int grace_cli_parse_size(const char *s, unsigned long long *v);

#endif
