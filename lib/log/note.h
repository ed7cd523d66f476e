/* note.h - C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, in
 * the formats of Go's golang.org/x/mod/sumdb/note.
 *
 * A signed note is a text (non-empty, ending in "\n"), a blank line, and
 * one or more signature lines "— <key name> <base64(key ID || sig)>\n"
 * (U+2014 em dash, space).  The whole message is UTF-8 without control
 * characters other than "\n".  The key ID is the first 4 bytes, big-endian,
 * of SHA-256(key name || "\n" || 0x01 || 32-byte Ed25519 public key).
 *
 *   verifier key:  <name>+<8 hex digits key ID>+<base64(0x01 || public key)>
 *   signer key:    PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || 32-byte seed)>
 *
 * Key names are non-empty UTF-8 without '+', without Unicode white space
 * (Go's unicode.IsSpace) and, stricter than Go, without control characters
 * (a name with one could never appear in a valid note anyway).
 *
 * Error codes set in struct grace_err: GRACE_EXIT_USAGE for a bad key
 * string or name (configuration), GRACE_EXIT_INPUT for a malformed note,
 * GRACE_EXIT_NEGATIVE when signatures do not verify, GRACE_EXIT_SYSTEM for
 * out of memory and libcrypto failures.  Secret material never appears in
 * an error message. */
#ifndef GRACE_NOTE_H
#define GRACE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Notes with more signature lines than this are rejected as malformed
 * (the spec asks verifiers to accept at least 16; Go allows 100). */
#define GRACE_NOTE_MAX_SIGS 100

struct grace_note_signer;   /* a private key, its name and key ID */
struct grace_note_verifier; /* a public key, its name and key ID */

/* Whether s[0..n) is a valid key name (see above): 1 or 0. */
int grace_note_name_valid(const char *s, size_t n);

/* Whether s[0..n) may appear in a signed note: valid UTF-8 (no overlong
 * forms, surrogates or code points above U+10FFFF) with no byte below
 * 0x20 other than "\n".  1 or 0. */
int grace_note_text_valid(const char *s, size_t n);

/* Generate a fresh Ed25519 key pair named name (from the OS random
 * source) and return its signer key string in *skey and its verifier key
 * string in *vkey, both malloc'd and NUL-terminated; the caller frees
 * *skey with grace_note_free_secret() and *vkey with free().  Returns 0,
 * or -1 with e filled (invalid name, no randomness, out of memory) and
 * *skey and *vkey set to NULL. */
int grace_note_keygen(const char *name, char **skey, char **vkey,
    struct grace_err *e);

/* Wipe the NUL-terminated string s (OPENSSL_cleanse) and free it.
 * NULL is a no-op.  Use it for signer key strings. */
void grace_note_free_secret(char *s);

/* Parse a signer key string "PRIVATE+KEY+name+keyid+base64" (exactly
 * that, no surrounding white space: strip the newline of a key file
 * first).  Checks that the key ID matches the derived public key.
 * Returns a new signer that the caller frees with
 * grace_note_signer_free(), or NULL with e filled.  Intermediate copies
 * of the seed are wiped; skey itself is left to the caller. */
struct grace_note_signer *grace_note_signer_parse(const char *skey,
    struct grace_err *e);
/* Free s and wipe its key. NULL is a no-op. */
void grace_note_signer_free(struct grace_note_signer *s);
/* The key name; owned by s, valid until grace_note_signer_free(s). */
const char *grace_note_signer_name(const struct grace_note_signer *s);
/* The 32-bit key ID. */
uint32_t grace_note_signer_keyid(const struct grace_note_signer *s);
/* The matching verifier key string "name+keyid+base64"; owned by s. */
const char *grace_note_signer_vkey(const struct grace_note_signer *s);

/* Parse a verifier key string "name+keyid+base64" (exactly that).
 * Checks the algorithm byte (0x01, Ed25519), the key length (32) and
 * that the key ID matches.  Returns a new verifier that the caller frees
 * with grace_note_verifier_free(), or NULL with e filled. */
struct grace_note_verifier *grace_note_verifier_parse(const char *vkey,
    struct grace_err *e);
/* Free v. NULL is a no-op. */
void grace_note_verifier_free(struct grace_note_verifier *v);
/* The key name; owned by v. */
const char *grace_note_verifier_name(const struct grace_note_verifier *v);
/* The 32-bit key ID. */
uint32_t grace_note_verifier_keyid(const struct grace_note_verifier *v);

/* Sign text[0..n) with each of the nsigners (>= 1) signers, in order.
 * The text must be non-empty, end in "\n" and satisfy
 * grace_note_text_valid(); it may contain blank lines (the signatures
 * are found after the last one).  Returns a malloc'd NUL-terminated
 * signed note, text + "\n" + one "— <name> <base64>\n" line per signer,
 * which the caller frees; or NULL with e filled.  Ed25519 is
 * deterministic, so the same key and text always give the same note. */
char *grace_note_sign(const char *text, size_t n,
    struct grace_note_signer *const *signers, size_t nsigners,
    struct grace_err *e);

/* Parse and verify the signed note msg[0..n) (need not be
 * NUL-terminated) against the nvs known verifiers vs[] (none NULL).
 *   - msg must satisfy grace_note_text_valid(); the text is everything
 *     up to and including the "\n" before the last blank line; what
 *     follows must be 1..GRACE_NOTE_MAX_SIGS well-formed signature lines,
 *     each ending in "\n", with a valid key name and a base64 (strict)
 *     payload of at least 5 bytes; anything else is "malformed note".
 *   - A signature whose key name and key ID both match a verifier must
 *     verify, every time it appears (stricter than Go, which checks only
 *     the first of repeated signatures), or the note is rejected with
 *     "signature by NAME does not verify".  Two verifiers with the same
 *     name and key ID are an error when a signature names them.
 *   - Signatures by unknown keys are ignored (the spec requires it: they
 *     are how keys rotate and witnesses cosign).
 *   - At least one known key must have verified, else the error is
 *     "no signature by a known key" and lists the keys seen.
 * Returns 0 and sets *text_len to the length of the signed text (msg[0..
 * *text_len) is the text, ending in "\n") and *nverified to the number of
 * distinct verifiers whose signature verified; either pointer may be
 * NULL.  Returns -1 with e filled otherwise. */
int grace_note_open(const char *msg, size_t n,
    struct grace_note_verifier *const *vs, size_t nvs, size_t *text_len,
    size_t *nverified, struct grace_err *e);

#endif
