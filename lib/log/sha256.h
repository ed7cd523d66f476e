/* sha256.h - SHA-256 through libcrypto, and lowercase hex. */
#ifndef GRACE_SHA256_H
#define GRACE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GRACE_SHA256_LEN 32
#define GRACE_SHA256_HEXLEN 64

/* Incremental hashing context; opaque, reusable after final(). */
struct grace_sha256;

/* Allocate a context. NULL when out of memory. */
struct grace_sha256 *grace_sha256_new(void);
void grace_sha256_free(struct grace_sha256 *c);
/* Begin, feed, finish. Each returns 0, or -1 on a libcrypto failure. */
int grace_sha256_init(struct grace_sha256 *c);
int grace_sha256_update(struct grace_sha256 *c, const void *p, size_t n);
int grace_sha256_final(struct grace_sha256 *c, uint8_t out[GRACE_SHA256_LEN]);
/* One-shot: out = SHA-256(p[0..n)). Returns 0 or -1. */
int grace_sha256_once(struct grace_sha256 *c, const void *p, size_t n,
    uint8_t out[GRACE_SHA256_LEN]);

/* Write 2n lowercase hex digits of p into out, plus a NUL. */
void grace_hex_encode(const uint8_t *p, size_t n, char *out);
/* Decode exactly 2n hex digits (either case) from s into out[n].
 * Returns 0, or -1 if s has a non-hex digit among its first 2n bytes. */
int grace_hex_decode(const char *s, uint8_t *out, size_t n);

#endif
