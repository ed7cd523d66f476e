/* base64.h - RFC 4648 section 4 base64: the standard alphabet, with
 * padding.  This is the encoding of signed notes (c2sp.org/signed-note),
 * of note keys and of checkpoint root hashes. */
#ifndef GRACE_BASE64_H
#define GRACE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes grace_b64_encode() writes for n input bytes, NUL included. */
#define GRACE_B64_ENCLEN(n) (4 * (((n) + 2) / 3) + 1)
/* Most bytes n base64 characters can decode to. */
#define GRACE_B64_DECLEN(n) ((n) / 4 * 3)

/* Encode p[0..n) into out, which must hold GRACE_B64_ENCLEN(n) =
 * 4*((n+2)/3)+1 bytes, and NUL-terminate it.  Returns the length of the
 * encoding, without the NUL (4*((n+2)/3)).  n == 0 gives "". p may be
 * NULL when n is 0.  Never fails. */
size_t grace_b64_encode(const uint8_t *p, size_t n, char *out);

/* Decode exactly the n characters s[0..n) (s need not be NUL-terminated)
 * into out[0..cap), and store the number of bytes written in *outlen.
 * Strict: n must be a multiple of 4; only A-Z a-z 0-9 + / are accepted,
 * with one or two '=' only as the final padding; the unused bits before
 * the padding must be zero (so every byte string has exactly one
 * accepted encoding); no whitespace or line breaks.  "" decodes to zero
 * bytes.  Returns 0, or -1 when s is not such an encoding or the result
 * would not fit in cap bytes (GRACE_B64_DECLEN(n) always fits); on -1
 * the contents of out and *outlen are unspecified (wipe out if it may
 * hold a secret).  Character values are computed without table lookups
 * or data-dependent branches, so decoding a secret key leaks nothing
 * through the cache. */
int grace_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap,
    size_t *outlen);

#endif
