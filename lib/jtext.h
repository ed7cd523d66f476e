/* jtext.h - JSON text as a pattern reads it: every string decoded in place.
 *
 * Threat rules match what an event says, not how it is spelled. The text
 * they see is the JSON text as it arrived with each string literal (member
 * names included) replaced by its decoded UTF-8 bytes between its quotes:
 * "a\nb" becomes the quote, a, a line feed, b, the quote; "\u0041KIA"
 * becomes "AKIA". Everything outside strings (the structure, numbers,
 * true, false, null, white space) is kept byte for byte, so two strings
 * stay apart exactly as in the original text, and a text without a
 * backslash is unchanged (the fast path needs no copy). Decoded text is
 * valid UTF-8 whenever the JSON was (grace_json_scan() rejects lone
 * surrogates); \u0000 decodes to a NUL byte.
 */
#ifndef GRACE_JTEXT_H
#define GRACE_JTEXT_H

#include <stddef.h>

#include "buf.h"

/* Append to out the text p[0..n), one JSON value or a run of them, valid
 * as grace_json_scan() accepts it, with its strings decoded in place.
 * Returns 0, or -1 when out of memory (errno ENOMEM). */
int grace_jtext_decode(struct grace_buf *out, const char *p, size_t n);

#endif
