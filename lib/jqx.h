/* jqx.h - jq expressions from configuration, compiled once, run per event.
 *
 * A struct grace_jq wraps one jq_state (libjq 1.6). It is not thread-safe:
 * use one per thread. jv ownership follows libjq: "consumes" means the
 * function owns the jv afterwards (the caller must not use or free it),
 * "borrows" means the caller keeps it.
 */
#ifndef GRACE_JQX_H
#define GRACE_JQX_H

#include <stddef.h>

#include <jq.h>

#include "err.h"

struct grace_jq;

/* Compile expr (NUL-terminated jq source) once. file, line and col say
 * where expr sits in its configuration file (file may be NULL; line/col
 * 1-based, 0 when unknown); they are kept for the error messages of later
 * runs. `import` and `include` find no modules (the library path is empty).
 * Returns a new compiled program, or NULL with e filled at file:line:col
 * with "invalid jq expression '<expr>': <jq's messages>" (jq's own
 * "at <top-level>, line 1" suffixes removed; "line N of the expression"
 * kept when N > 1; several errors joined by "; "; <expr> cut after 64
 * bytes), e->code GRACE_EXIT_USAGE; or NULL with e->code
 * GRACE_EXIT_SYSTEM when out of memory. An expression whose brackets,
 * string interpolations and if ... end nest more than GRACE_JQ_MAX_DEPTH
 * deep is refused before libjq sees it: "invalid jq expression '<expr>':
 * nested too deeply (more than 256 levels)" (libjq's parser and compiler
 * recurse on nesting). */
#define GRACE_JQ_MAX_DEPTH 256
struct grace_jq *grace_jq_compile(const char *expr, const char *file,
    unsigned long line, unsigned long col, struct grace_err *e);

/* Like grace_jq_compile() for a program the toolkit builds around
 * expressions that grace_jq_compile() accepted one by one (a contract's
 * slots in one array): it may nest GRACE_JQ_WRAP_DEPTH levels more. */
#define GRACE_JQ_WRAP_DEPTH 16
/* The depth check of grace_jq_compile() alone, for expressions that go
 * into such a program: 0, or -1 with e filled as grace_jq_compile()
 * would. */
int grace_jq_check_depth(const char *expr, const char *file,
    unsigned long line, unsigned long col, struct grace_err *e);
struct grace_jq *grace_jq_compile_program(const char *expr, const char *file,
    unsigned long line, unsigned long col, struct grace_err *e);

/* Like grace_jq_compile() with named arguments: args (consumes) is a jv
 * object whose members become $name variables in expr, e.g.
 * {"limit": 5} for `.n > $limit`. If args is not an object the result is
 * NULL with a GRACE_EXIT_USAGE error "jq arguments must be an object". */
struct grace_jq *grace_jq_compile_args(const char *expr, jv args,
    const char *file, unsigned long line, unsigned long col,
    struct grace_err *e);

/* Run q (not NULL) on input (consumes) and take its first output.
 * Returns 1 with *out set to that output (the caller owns and frees it);
 * 0 if the program produced no output (`empty`, `select` that failed,
 * `error(null)`), *out set to jv_invalid(); -1 on a runtime error, *out
 * set to jv_invalid() and e filled at the expression's file:line:col with
 * "jq: error: <jq's message>" (or "jq: error (not a string): <json>" when
 * the error value is not a string; "jq: program halted..." after `halt` or
 * `halt_error`), e->code GRACE_EXIT_INPUT since the input caused it. Later
 * outputs are never computed (jq_start's reset frees the rest). q is
 * reusable after any result. `input` finds no more inputs and `debug` is
 * silent; `stderr` still writes to stderr (libjq 1.6 does it directly). */
int grace_jq_first(struct grace_jq *q, jv input, jv *out,
    struct grace_err *e);

/* Run q on input (consumes) as a condition. Returns 1 if the first output
 * is neither false nor null, 0 if it is false or null or there is no
 * output, -1 on a runtime error (e filled as by grace_jq_first()). */
int grace_jq_truthy(struct grace_jq *q, jv input, struct grace_err *e);

/* The source text q was compiled from (borrowed, lives as long as q). */
const char *grace_jq_source(const struct grace_jq *q);

/* Free q and its jq_state. NULL is a no-op. */
void grace_jq_free(struct grace_jq *q);

/* Parse exactly one JSON value from the n bytes at p (need not be
 * NUL-terminated; surrounding whitespace is allowed). Returns the value
 * (caller frees), or an invalid with a string message (free it with
 * jv_free or take it with jv_invalid_get_msg): jq's parser message such as
 * "Unfinished JSON term at EOF at line 2, column 0", "Expected JSON value"
 * for empty or blank input, "Unexpected extra JSON values" for more than
 * one. Unlike jv_parse_sized() the message never quotes the input. */
jv grace_jv_parse(const char *p, size_t n);

#endif
