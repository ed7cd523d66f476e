/* cli.h - the pieces of a command line every program's main shares.
 *
 * The one lib/ module that writes diagnostics: only to the stream it is
 * given, only for cmd/'s option parsing, in the toolkit's one style. */
#ifndef GRACE_CLI_H
#define GRACE_CLI_H

#include <stdarg.h>
#include <stdio.h>

#include "err.h"

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

/* A whole decimal number (digits only: no sign, no space, no suffix).
 * Returns 0, or -1 if s is not one or overflows. */
int grace_cli_parse_size(const char *s, unsigned long long *v);

#endif
