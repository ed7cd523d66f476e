/* sigcheck.h - evidence about files through libcrypto's EVP interface:
 * SHA-256/SHA-512 digests compared with an expected value (given, or
 * looked up in a sha256sum-style manifest), and detached Ed25519 or
 * ECDSA signatures verified against a PEM public key.
 *
 * Every function is thread-safe and leaves the calling thread's OpenSSL
 * error queue empty. Results are three-way where it matters: 1 (holds),
 * 0 (does not hold: e->msg says why) and -1 (could not be checked: a
 * missing or unreadable file, a key that is not one; e filled with code
 * GRACE_EXIT_SYSTEM for I/O and GRACE_EXIT_USAGE for a bad key or value).
 */
#ifndef GRACE_SIGCHECK_H
#define GRACE_SIGCHECK_H

#include <stddef.h>

#include "err.h"

enum grace_digest_alg { GRACE_DIGEST_SHA256, GRACE_DIGEST_SHA512 };

#define GRACE_DIGEST_HEXMAX 129 /* SHA-512 in hex, plus a NUL */

/* "sha256" or "sha512" -> *a. Returns 0, or -1 for anything else. */
int grace_digest_alg_parse(const char *s, enum grace_digest_alg *a);
const char *grace_digest_alg_name(enum grace_digest_alg a);

/* Hash the file at path with a; write the lowercase hex digest into hex
 * (GRACE_DIGEST_HEXMAX bytes). Returns 0, or -1 with e filled ("unable
 * to open", "is a directory", read errors). */
int grace_digest_file(const char *path, enum grace_digest_alg a, char *hex,
    struct grace_err *e);

/* Compare the digest got (lowercase hex) with expected, which may be
 * upper or lower case and carry an "sha256:"/"sha512:" prefix (as OCI
 * digests do), in constant time. Returns 1 equal, 0 different (e->msg:
 * "expected ..., got ..."), -1 when expected is not a digest of
 * algorithm a (wrong length, not hex, the other prefix). */
int grace_digest_match(const char *got, const char *expected,
    enum grace_digest_alg a, struct grace_err *e);

/* Find name in the manifest file at manifest: lines "<hex>  <name>" or
 * "<hex> *<name>" (sha256sum, sha512sum output; blank lines and '#'
 * comments skipped). name matches a line's name exactly, or when their
 * last path components are equal. Copies the hex into hex (cap bytes).
 * Returns 1 found, 0 not listed (e->msg says so), -1 when the manifest
 * cannot be read. */
int grace_digest_manifest(const char *manifest, const char *name, char *hex,
    size_t cap, struct grace_err *e);

enum grace_sig_encoding {
	GRACE_SIG_AUTO = 0,  /* base64 if the file is base64 text, else raw */
	GRACE_SIG_RAW,       /* the signature bytes as they are */
	GRACE_SIG_BASE64,    /* base64 text (RFC 4648, padding; white space
	                        and line breaks anywhere are ignored) */
};

/* "auto", "raw", "base64". Returns 0 or -1. */
int grace_sig_encoding_parse(const char *s, enum grace_sig_encoding *enc);

/* Verify the detached signature in sigfile over the bytes of file with
 * the PEM public key (SubjectPublicKeyInfo, "-----BEGIN PUBLIC KEY-----")
 * in keyfile. Ed25519 keys verify the pure Ed25519 signature of the file
 * (64 bytes, as `openssl pkeyutl -sign -rawin` writes it); EC keys verify
 * an ECDSA signature (DER, as `openssl dgst -sha256 -sign` writes it)
 * over the hash named by hash ("sha256", "sha384" or "sha512"; NULL:
 * sha256). Other key types are refused.
 * Returns 1 verified; 0 the signature does not verify (wrong key, other
 * data, damaged signature); -1 a file or the key could not be read or
 * is not one (e says which). */
int grace_sig_verify_file(const char *file, const char *sigfile,
    const char *keyfile, enum grace_sig_encoding enc, const char *hash,
    struct grace_err *e);

#endif
