/* jpath.h - member paths over the raw bytes of a validated JSON object.
 *
 * A path is a list of member names, segs[0..nsegs) ("data", "host" for
 * data.host). The bytes must have been validated by grace_json_scan():
 * these walk them trusting that. Duplicate members: the last one wins, as
 * in jq. Member names are compared after unescaping. */
#ifndef GRACE_JPATH_H
#define GRACE_JPATH_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

/* The value of member key in the object at p[off..off+len). Returns 1
 * with *out set (its kind, and its span in p), or 0. tmp is scratch for
 * unescaping member names. */
int grace_jpath_member(const char *p, size_t off, size_t len,
    const char *key, struct grace_jspan *out, struct grace_buf *tmp);

/* The text at member path segs[0..nsegs) of the object p[0..n): a string
 * unescaped, null and absent as "", anything else as written. Left in b
 * (NUL-terminated). Returns 1 if the member is there and not null, 0 if
 * not, -1 when out of memory. tmp is scratch. */
int grace_jpath_text(const char *p, size_t n, char *const *segs,
    size_t nsegs, struct grace_buf *b, struct grace_buf *tmp);

/* As grace_jpath_text(), but an array is its items joined by sep, each
 * string unescaped, anything else as written ("a; b" for ["a","b"]). */
int grace_jpath_join(const char *p, size_t n, char *const *segs,
    size_t nsegs, const char *sep, struct grace_buf *b, struct grace_buf *tmp);

#endif
