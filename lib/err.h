/* err.h - one error/diagnostic style for the whole toolkit.
 *
 * lib/ never prints and never exits: a function that can fail fills a
 * struct grace_err and returns -1 (or NULL).  cmd/ prints it with
 * grace_err_print() as "prog: file:line:col: message" and picks the exit
 * status from the table in grace.7.
 */
#ifndef GRACE_ERR_H
#define GRACE_ERR_H

#include <stdarg.h>
#include <stdio.h>

/* Exit statuses shared by every program (ARCHITECTURE.md). */
enum {
	GRACE_EXIT_OK = 0,       /* processed, every verdict positive */
	GRACE_EXIT_NEGATIVE = 1, /* processed, some verdict negative */
	GRACE_EXIT_USAGE = 2,    /* usage or configuration error */
	GRACE_EXIT_INPUT = 3,    /* bad input line met */
	GRACE_EXIT_SYSTEM = 4,   /* I/O, lock, memory, child failed */
};

struct grace_err {
	char file[256];     /* "" when there is no file to name */
	unsigned long line; /* 1-based; 0 = no line */
	unsigned long col;  /* 1-based; 0 = no column */
	int code;           /* suggested exit status, GRACE_EXIT_* */
	char msg[768];
};

/* Reset e to "no error". */
void grace_err_clear(struct grace_err *e);

/* Fill e with file (may be NULL), line, col and a printf-style message;
 * code defaults to GRACE_EXIT_SYSTEM, change e->code after if needed.
 * Control bytes in the formatted message (from quoted input or
 * configuration) are written as \n, \t, \xNN, as grace_err_snip() does:
 * a diagnostic is always one line, and never sends escapes to a terminal.
 * Always returns -1 so callers can "return grace_err_set(...)". e may be
 * NULL, in which case nothing is recorded. */
int grace_err_set(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* grace_err_set() with the arguments as a va_list. Returns -1. */
int grace_err_vset(struct grace_err *e, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Like grace_err_set() with code GRACE_EXIT_SYSTEM and ": strerror(errno)"
 * appended; reads errno before doing anything else. Returns -1. */
int grace_err_sys(struct grace_err *e, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* grace_err_set() with no position and exit status code; returns -1.
 * e may be NULL. */
int grace_err_setc(struct grace_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy s[0..n) into buf (cap bytes) for quoting in a message: newline and
 * tab as \n and \t, other control bytes as \xNN, cut after max bytes of s
 * with "...". Returns buf. */
const char *grace_err_snip(const char *s, size_t n, size_t max, char *buf,
    size_t cap);

/* Write "prog: file:line:col: msg\n" to f, leaving out the parts that are
 * not set. */
void grace_err_print(FILE *f, const char *prog, const struct grace_err *e);

#endif
