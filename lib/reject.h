/* reject.h - the record a filter passes on in place of a bad input line.
 *
 *   {"type":"grace.input.rejected","source":"<prog>","data":{"input":"<stdin>",
 *    "line":5,"column":3,"error":"not JSON: unexpected 'x'"}}
 *
 * so that downstream programs, and the log, see that a line was refused
 * (grace.7). */
#ifndef GRACE_REJECT_H
#define GRACE_REJECT_H

#include "buf.h"
#include "err.h"

#define GRACE_REJECT_TYPE "grace.input.rejected"

/* Append the rejection record for error e (file = input name, line,
 * column if known, message) and a '\n' to out. Returns 0 or -1 (ENOMEM). */
int grace_reject_json(struct grace_buf *out, const char *prog,
    const struct grace_err *e);

#endif
