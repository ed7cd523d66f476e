/* log.h - the immutable log: the one public header of lib/log/.
 *
 * The append-only, SHA-256 hash-chained log file that grace-log writes
 * (man/grace-log.5 specifies it byte by byte; man/grace-log.1 the program):
 * the record format, appending and reading (format.c); chain verification as
 * grace-log verify and grace-verify --chain run it (chain.c); the RFC 6962
 * Merkle tree (merkle.c); C2SP signed notes and checkpoints (note.c,
 * checkpoint.c); and the SHA-256 and base64 they rest on (sha256.c,
 * base64.c). Its sections below follow that order bottom up, each named
 * after the file that defines it.
 *
 * Uses only the core (lib/). Used by grace-log, by grace-gate (a votes
 * log is chain-verified before its votes count) and by lib/verify/ (chain
 * verification; digests and signatures use sha256.c and base64.c).
 */
#ifndef GRACE_LOG_H
#define GRACE_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "timeutil.h"

/* ===================================================================== */
/* sha256.c - SHA-256 through libcrypto, and lowercase hex. */

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

/* ===================================================================== */
/* base64.c - RFC 4648 section 4 base64: the standard alphabet, with
 * padding.  This is the encoding of signed notes (c2sp.org/signed-note),
 * of note keys and of checkpoint root hashes. */

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

/* ===================================================================== */
/* merkle.c - RFC 6962 (section 2.1) Merkle tree hashes, streaming.
 *
 *   leaf hash   = SHA-256(0x00 || leaf bytes)
 *   node hash   = SHA-256(0x01 || left || right)
 *   MTH({})     = SHA-256("")
 *   MTH(D[n])   = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of
 *                 two smaller than n
 *
 * This is the tree of c2sp.org/tlog-checkpoint, Certificate Transparency
 * and Go's sumdb/tlog (whose RecordHash is the leaf hash).
 *
 * The builder keeps only the roots of the perfect subtrees that the
 * leaves so far decompose into (one per set bit of the size, so at most
 * 64 hashes, 2 KiB), never the leaves: grace_merkle_add() costs one leaf
 * hash plus amortised one node hash, and grace_merkle_root() costs at
 * most 63 node hashes and leaves the builder as it was, so a verifier can
 * take the root at size N, compare it with a checkpoint and carry on
 * adding leaves. */

#define GRACE_MERKLE_HASHLEN 32

struct grace_merkle;

/* A new builder for the empty tree. NULL when out of memory (errno set)
 * or when libcrypto has no SHA-256. Free with grace_merkle_free(). */
struct grace_merkle *grace_merkle_new(void);
/* Free m. NULL is a no-op. */
void grace_merkle_free(struct grace_merkle *m);
/* Forget every leaf: m is the empty tree again. */
void grace_merkle_reset(struct grace_merkle *m);

/* Append the leaf leaf[0..len) (hashed as a leaf here; leaf may be NULL
 * when len is 0). Returns 0, or -1 on a libcrypto failure or when the
 * tree already has 2^64-1 leaves (errno EOVERFLOW); m is unchanged then. */
int grace_merkle_add(struct grace_merkle *m, const void *leaf, size_t len);
/* Append a leaf given by its leaf hash (already SHA-256(0x00 || leaf)).
 * Returns 0 or -1 as grace_merkle_add(). */
int grace_merkle_add_hash(struct grace_merkle *m,
    const uint8_t leaf_hash[GRACE_MERKLE_HASHLEN]);
/* The number of leaves added so far. */
uint64_t grace_merkle_size(const struct grace_merkle *m);
/* Write MTH of the leaves added so far into out (SHA-256("") when there
 * are none). m is not changed: add more leaves afterwards and call again
 * as often as needed. Returns 0, or -1 on a libcrypto failure. */
int grace_merkle_root(struct grace_merkle *m,
    uint8_t out[GRACE_MERKLE_HASHLEN]);

/* One-shot helpers (each allocates its own SHA-256 context, so they are
 * for tests and occasional use, not for loops). Each returns 0, or -1
 * when out of memory or on a libcrypto failure. */

/* out = SHA-256(0x00 || leaf[0..len)). */
int grace_merkle_leaf_hash(const void *leaf, size_t len,
    uint8_t out[GRACE_MERKLE_HASHLEN]);
/* out = SHA-256(0x01 || left || right); out may alias either input. */
int grace_merkle_node_hash(const uint8_t left[GRACE_MERKLE_HASHLEN],
    const uint8_t right[GRACE_MERKLE_HASHLEN],
    uint8_t out[GRACE_MERKLE_HASHLEN]);
/* out = MTH of the n leaves whose leaf hashes are leaf_hashes[0..n),
 * computed by the recursive definition of RFC 6962 (O(n) hashes, O(log n)
 * stack): the reference the builder is tested against, also usable for
 * the root of any range of a stored tree. leaf_hashes may be NULL when n
 * is 0. */
int grace_merkle_mth(const uint8_t (*leaf_hashes)[GRACE_MERKLE_HASHLEN],
    size_t n, uint8_t out[GRACE_MERKLE_HASHLEN]);

/* ===================================================================== */
/* note.c - C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, in
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

/* --- witnesses: c2sp.org/tlog-cosignature (cosignature/v1, Ed25519) ---
 * A witness key is a note key of algorithm 4: its key ID is SHA-256(name
 * || "\n" || 0x04 || public key)[:4], its keys are written as the others
 * with 0x04 as the algorithm byte. A cosignature is a signature line
 *   — <witness name> base64(key ID || u64 time, big-endian || signature)
 * whose Ed25519 signature is over
 *   "cosignature/v1\n" "time <time>\n" <the note's signed text>.
 * grace_note_open() ignores witness keys (and cosignature lines), and
 * grace_note_sign() refuses them. */

/* grace_note_keygen() for a note key (witness 0) or a witness key. */
int grace_note_keygen_alg(const char *name, int witness, char **skey,
    char **vkey, struct grace_err *e);
/* 1 if the key is a witness key, else 0. */
int grace_note_verifier_is_witness(const struct grace_note_verifier *v);
int grace_note_signer_is_witness(const struct grace_note_signer *s);
/* The signed note msg[0..n) with witness w's cosignature at time ts (a
 * POSIX time, at most 2^63-1) appended: malloc'd, NUL-terminated; or NULL
 * with e filled. The note's own signatures are not checked here. */
char *grace_note_cosign(const char *msg, size_t n,
    const struct grace_note_signer *w, uint64_t ts, struct grace_err *e);
/* Count the witnesses of ws[0..nws) (witness keys) that cosigned the
 * note msg[0..n): *nvalid distinct ones, and times[i] (when times is not
 * NULL) the time witness i put in its cosignature. A line that names a
 * witness and key ID of ws but does not verify is an error (-1, e filled,
 * GRACE_EXIT_NEGATIVE): a cosignature is checked, never ignored.
 * Returns 0 otherwise. */
int grace_note_cosigned(const char *msg, size_t n,
    struct grace_note_verifier *const *ws, size_t nws, size_t *nvalid,
    uint64_t *times, struct grace_err *e);

/* ===================================================================== */
/* checkpoint.c - C2SP transparency log checkpoints (c2sp.org/tlog-checkpoint):
 * the text of a signed note (note.c) that commits to a log's Merkle tree
 * (merkle.c) at one size.
 *
 *   <origin>\n                  non-empty, names the log
 *   <tree size>\n               decimal, no leading zeros (except "0")
 *   <base64 root hash>\n        the RFC 6962 root, exactly 32 bytes
 *   [<extension line>\n ...]    optional, non-empty, opaque, kept verbatim
 *
 * This is also the tree format of Go's sumdb/tlog (FormatTree/ParseTree),
 * whose origin is "go.sum database tree". */

#define GRACE_CHECKPOINT_ORIGIN_MAX 256 /* bytes, without the NUL */

struct grace_checkpoint {
	char origin[GRACE_CHECKPOINT_ORIGIN_MAX + 1]; /* NUL-terminated */
	uint64_t size;                                 /* number of leaves */
	uint8_t root[GRACE_MERKLE_HASHLEN];            /* MTH at that size */
	/* Extension lines, each ending in "\n", as one malloc'd
	 * NUL-terminated string owned by the struct; NULL (or "") when
	 * there are none. Freed by grace_checkpoint_clear(). */
	char *ext;
};

/* Set every field of cp to zero / empty (ext NULL), without freeing. */
void grace_checkpoint_init(struct grace_checkpoint *cp);
/* Free cp->ext and re-initialise cp. */
void grace_checkpoint_clear(struct grace_checkpoint *cp);

/* The checkpoint text of cp, malloc'd and NUL-terminated, which the
 * caller frees; *len (if len is not NULL) gets its length.  cp->origin
 * must be non-empty, at most GRACE_CHECKPOINT_ORIGIN_MAX bytes, UTF-8
 * with no control characters; cp->ext, if not NULL or "", must be
 * non-empty lines each ending in "\n" with no control characters.
 * Returns NULL with e filled (code GRACE_EXIT_USAGE) when they are not,
 * or when out of memory (GRACE_EXIT_SYSTEM). */
char *grace_checkpoint_format(const struct grace_checkpoint *cp, size_t *len,
    struct grace_err *e);

/* Parse the checkpoint text text[0..n) (need not be NUL-terminated) into
 * *cp, which is treated as output only: its old contents are overwritten,
 * not freed (clear it first if it held extension lines).  Strict: valid
 * UTF-8 without control characters; every line ends in "\n"; origin
 * non-empty and at most GRACE_CHECKPOINT_ORIGIN_MAX bytes; tree size all
 * ASCII digits, no sign, no leading zero unless it is "0", at most
 * 2^64-1; root hash strict base64 of exactly 32 bytes; extension lines
 * non-empty.  Returns 0 (cp->ext is then NULL or a malloc'd copy of the
 * extension lines; the caller calls grace_checkpoint_clear()), or -1 with
 * e filled ("malformed checkpoint: line N: ...", code GRACE_EXIT_INPUT,
 * or GRACE_EXIT_SYSTEM when out of memory) and cp initialised. */
int grace_checkpoint_parse(const char *text, size_t n,
    struct grace_checkpoint *cp, struct grace_err *e);

/* Format cp and sign it with the nsigners signers (see
 * grace_note_sign()): returns the signed checkpoint, malloc'd and
 * NUL-terminated, which the caller frees; or NULL with e filled.  The
 * log's own key name should be its origin. */
char *grace_checkpoint_sign(const struct grace_checkpoint *cp,
    struct grace_note_signer *const *signers, size_t nsigners,
    struct grace_err *e);

/* Verify the signed checkpoint msg[0..n) with grace_note_open() against
 * the nvs verifiers vs[], then parse its text into *cp as
 * grace_checkpoint_parse() does.  Returns 0, or -1 with e filled (the
 * codes of those two functions) and cp initialised.  It does not check
 * that the origin is the log the caller expects, nor that it matches the
 * key name: compare cp->origin yourself. */
int grace_checkpoint_open(const char *msg, size_t n,
    struct grace_note_verifier *const *vs, size_t nvs,
    struct grace_checkpoint *cp, struct grace_err *e);

/* ===================================================================== */
/* proof.c - RFC 9162 inclusion and consistency proofs over the Merkle tree
 * of merkle.c.
 *
 * A prover is told which proof it makes (of the leaf at index in a tree
 * of size leaves, or of a tree of old leaves being a prefix of one of
 * size), then given the leaves in order, exactly size of them: it keeps
 * O(log size) hashes, never the leaves. The proof's hashes come in
 * RFC 6962's order (from the leaf's sibling, or the old tree's side, up to
 * the root's child), which is also the order of Go's sumdb/tlog
 * RecordProof and TreeProof.
 *
 * Text (grace-log(5), PROOFS): an inclusion proof is a c2sp.org/tlog-proof
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <N>                    zero-based
 *   <base64 hash>...
 *   <blank line>
 *   <the signed checkpoint, verbatim>
 * and a consistency proof its sibling:
 *   grace-log/consistency-proof@v1
 *   old <M>
 *   new <N>
 *   <base64 hash>...
 */

#define GRACE_PROOF_MAX 130 /* hashes: 64 for a path, 65 for consistency */
#define GRACE_PROOF_INCLUSION_V1 "c2sp.org/tlog-proof@v1"
#define GRACE_PROOF_CONSISTENCY_V1 "grace-log/consistency-proof@v1"

struct grace_proof {
	int consistency;  /* 0: inclusion, 1: consistency */
	uint64_t index;   /* inclusion: the leaf (zero-based); else the old size */
	uint64_t size;    /* the tree's size (an inclusion proof's is its
	                   * checkpoint's, not in the text) */
	size_t n;
	uint8_t hash[GRACE_PROOF_MAX][GRACE_MERKLE_HASHLEN];
};

struct grace_prover;

/* A prover of the leaf index (zero-based) in the tree of size leaves, or
 * of the tree of old leaves in the tree of size (1 <= old <= size). NULL
 * with e filled (GRACE_EXIT_USAGE when there is no such proof). */
struct grace_prover *grace_prover_inclusion(uint64_t index, uint64_t size,
    struct grace_err *e);
struct grace_prover *grace_prover_consistency(uint64_t old, uint64_t size,
    struct grace_err *e);
void grace_prover_free(struct grace_prover *p);
/* How many more leaves it needs. */
uint64_t grace_prover_needs(const struct grace_prover *p);
/* The next leaf, leaf[0..len) (hashed here). Returns 0 or -1 (e). */
int grace_prover_add(struct grace_prover *p, const void *leaf, size_t len,
    struct grace_err *e);
/* Once it has every leaf: the proof into *out, the tree's root into root,
 * and into first the leaf's hash (inclusion) or the old tree's root
 * (consistency), to be compared with what the checkpoints say. Returns 0
 * or -1 (e). */
int grace_prover_finish(struct grace_prover *p, struct grace_proof *out,
    uint8_t root[GRACE_MERKLE_HASHLEN], uint8_t first[GRACE_MERKLE_HASHLEN],
    struct grace_err *e);

/* Check a proof without the log (RFC 9162 2.1.3.2 and 2.1.4.2): the leaf
 * hash leaf is at p->index of the tree of p->size whose root is root; or
 * the tree of p->index leaves with root first is a prefix of the tree of
 * p->size with root second. Return 0 when it holds, 1 when it does not,
 * -1 on a libcrypto failure. */
int grace_proof_check_inclusion(const struct grace_proof *p,
    const uint8_t leaf[GRACE_MERKLE_HASHLEN],
    const uint8_t root[GRACE_MERKLE_HASHLEN]);
int grace_proof_check_consistency(const struct grace_proof *p,
    const uint8_t first[GRACE_MERKLE_HASHLEN],
    const uint8_t second[GRACE_MERKLE_HASHLEN]);

/* Append p's text to out: an inclusion proof ends with the signed
 * checkpoint checkpoint[0..cplen), which must end in "\n". Returns 0 or
 * -1 (memory). */
int grace_proof_format(struct grace_buf *out, const struct grace_proof *p,
    const char *checkpoint, size_t cplen);
/* Parse a proof's text, strictly. An inclusion proof's checkpoint starts
 * at text + *cpoff (cpoff may be NULL); p->size is left 0 for it (take it
 * from the checkpoint). Returns 0, or -1 with e filled ("malformed proof:
 * line N: ...", GRACE_EXIT_INPUT). */
int grace_proof_parse(const char *text, size_t n, struct grace_proof *p,
    size_t *cpoff, struct grace_err *e);

/* ===================================================================== */
/* format.c - the hash-chained log file (man/grace-log.5).
 *
 * A record is one line:
 *   {"seq":N,"prev":"<64 hex>","time":"<27-char UTC time>","event":<event>,"hash":"<64 hex>"}\n
 * hash = SHA-256 of every byte before ,"hash":" ; prev = hash of the
 * record before (64 zeros for the first record of a log). The hash sits in
 * the last 75 bytes of the line, so verification never re-serializes JSON.
 */

#define GRACE_LOG_TAIL 75        /* ,"hash":"<64 hex>"} */
#define GRACE_LOG_TIMELEN 27
/* The largest seq: 19 digits (grace-log(5)). */
#define GRACE_LOG_MAX_SEQ 9999999999999999999ULL
#define GRACE_LOG_SEAM_TYPE "grace.log.seam"

/* The end of a log: the last record's seq and hash. */
struct grace_log_head {
	uint64_t seq;            /* seq of the last record; 0 for an empty log */
	char hash[GRACE_SHA256_HEXLEN + 1]; /* its hash; 64 zeros when empty */
	uint64_t size;           /* bytes of complete records */
	uint64_t torn;           /* bytes after the last '\n' (a torn tail) */
};

/* A record line split into its parts; pointers into the line. */
struct grace_log_rec {
	uint64_t seq;
	const char *prev;        /* 64 hex digits */
	const char *time;        /* GRACE_LOG_TIMELEN characters */
	const char *event;
	size_t event_len;
	const char *hash;        /* 64 hex digits */
	size_t hashed_len;       /* bytes covered by the hash */
};

/* Split line[0..n) (no '\n') into r, checking the fixed layout: the
 * literal pieces, seq (decimal, no leading zero), the time's shape. It does
 * not check the event's JSON, nor that prev and hash are hex digits (the
 * verifier compares them with hashes it computes, which covers that).
 * Returns 0, or -1 with *why set to a static description of the fault. */
int grace_log_parse(const char *line, size_t n, struct grace_log_rec *r,
    const char **why);

/* Set h to the empty log's head. */
void grace_log_head_init(struct grace_log_head *h);

/* Find the head of the open log fd (path for messages) by reading only
 * the file's end. A torn tail is not an error: h->torn says how many bytes
 * follow the last newline, and the head is the last complete record.
 * Returns 0, or -1 (e filled) on I/O errors or a malformed last record. */
int grace_log_read_head(int fd, const char *path, struct grace_log_head *h,
    struct grace_err *e);

/* Append to out the record for event ev[0..n) (validated JSON object, no
 * newline) at time t, chained from h; h then names the new record.
 * Returns 0, or -1 (ENOMEM / libcrypto failure; EOVERFLOW when h->seq is
 * GRACE_LOG_MAX_SEQ already: the next seq would not parse). */
int grace_log_record(struct grace_buf *out, struct grace_log_head *h,
    const char *t, const char *ev, size_t n, struct grace_sha256 *sha);

/* --- appending ------------------------------------------------------ */

enum grace_log_sync { GRACE_SYNC_NONE, GRACE_SYNC_BATCH, GRACE_SYNC_ALWAYS };

struct grace_log_writer {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t known_size;     /* file size after our last write */
	struct grace_log_head head;
	enum grace_log_sync sync;
	struct grace_sha256 *sha;
	struct grace_timefmt tf;
	struct grace_buf recs;   /* the records of the last batch */
	size_t *ends;            /* ends[i]: end of record i in recs ('\n' incl.) */
	char *hashes;            /* hashes + 64*i: record i's hash, hex, no NUL */
	uint64_t *seqs;          /* seqs[i]: record i's seq */
	unsigned char *dup;      /* dup[i]: event i was in the log (--once) */
	size_t ends_cap;
	struct grace_log_once *once; /* NULL unless grace_log_writer_once() */
	size_t ndup;             /* events of the last batch not appended */
};

/* Open (creating if needed, mode 0644) the log at path for appending.
 * Returns 0 or -1 (e filled). */
int grace_log_writer_open(struct grace_log_writer *w, const char *path,
    enum grace_log_sync sync, struct grace_err *e);
void grace_log_writer_close(struct grace_log_writer *w);

/* From now on, append no event whose source and id a record of the log
 * holds already (grace-log(1), append --once): before each batch, under
 * the lock, the ids of the records added since the last one (by any
 * process) are read; an event whose id is a string and whose (source,
 * id) is in the log, or earlier in the batch, is not appended, and is
 * named by the record that holds it. Events with no string id are always
 * appended. Returns 0 or -1 (e filled; ENOMEM). */
int grace_log_writer_once(struct grace_log_writer *w, struct grace_err *e);

/* Append one record per event: lock the file, follow a rotation, re-read
 * the head if another process appended, write all records in one go,
 * fdatasync (unless GRACE_SYNC_NONE), unlock. events[i] is evs[i][0..lens[i]).
 * On success w->recs holds the records, w->ends their ends, w->hashes
 * their hashes (a compact copy: reading them back from recs after a big
 * batch costs a cache miss each) and w->seqs their seqs, event i's record
 * being recs[ends[i-1]..ends[i]) (ends[-1] = 0); without --once the first
 * has seq w->head.seq - n + 1. With grace_log_writer_once(), w->dup[i]
 * says event i was in the log already: it has no record in recs
 * (ends[i] == ends[i-1]), and seqs[i] and hashes + 64*i name the record
 * that holds it; w->ndup counts them. On failure the file is truncated
 * back to where it was (nothing partial is left) and -1 returned (e
 * filled; a torn tail left by a crash is reported, with e->code
 * GRACE_EXIT_SYSTEM). */
int grace_log_append(struct grace_log_writer *w, const char *const *evs,
    const size_t *lens, size_t n, struct grace_err *e);

/* --- rotating ------------------------------------------------------- */

/* Start a new segment: under the lock, keep the current file as oldname
 * (a new hard link; it must not exist) and replace path with a file whose
 * only record is a seam record (event type grace.log.seam) naming oldname
 * (its basename) and carrying the old segment's records, size and head.
 * The seam's prev is the old head, so the chain runs on. Returns 0, or -1
 * (e filled): an empty log, a torn tail or an existing oldname refuse. */
int grace_log_rotate(const char *path, const char *oldname,
    struct grace_log_head *seam_head, struct grace_err *e);

/* --- verifying ------------------------------------------------------ */

/* A root the verifier must find at a given tree size: from a signed
 * checkpoint, or from the state a monitor remembered. */
struct grace_log_expect {
	uint64_t size;
	uint8_t root[GRACE_SHA256_LEN];
	const char *label;       /* for messages: a file name */
	int checked;             /* set by the verifier: 1 ok, -1 mismatch, -2 beyond the log */
};

struct grace_log_result {
	int intact;              /* chain intact and every expectation met */
	int torn;                /* the failure is a torn last record */
	uint64_t records;        /* records read and found good */
	uint64_t bytes;
	uint64_t first_seq, last_seq;
	char head[GRACE_SHA256_HEXLEN + 1];
	char last_time[GRACE_LOG_TIMELEN + 1];
	uint8_t root[GRACE_SHA256_LEN]; /* Merkle root of all records (if asked) */
	unsigned long warnings;
	char continues[256];     /* segment named by the first file's seam */
	struct grace_err fail;   /* the first problem: file, line, message */
	uint64_t fail_seq;       /* seq of the bad record, 0 if not known */
};

/* Called for each warning (time going backwards); e has file and line. */
typedef void grace_log_warn_fn(void *arg, const struct grace_err *w);

/* Verify the segments files[0..nfiles) in order as one log. Each file is
 * read up to its size when it was opened (taken under a shared lock, so a
 * concurrent appender's batch is never seen half-written). Checks every
 * record's layout, hash, seq and prev, the seams between segments, and
 * each expectation in ex[0..nex) (Merkle roots, RFC 6962, over the record
 * lines without '\n', counted from the first record given). want_root
 * asks for res->root even with no expectations.
 * Returns 0 when the verification ran (res->intact says the verdict; the
 * first failure is in res->fail with code GRACE_EXIT_NEGATIVE), or -1 with
 * e filled when it could not run: a file that is not a regular file (a
 * pipe, FIFO, device or directory: its size cannot be known nor its
 * records re-read, so it is refused rather than read as an empty log;
 * GRACE_EXIT_USAGE), or an I/O error (GRACE_EXIT_SYSTEM). */
int grace_log_verify(const char *const *files, size_t nfiles,
    struct grace_log_expect *ex, size_t nex, int want_root,
    grace_log_warn_fn *warn, void *warn_arg, struct grace_log_result *res,
    struct grace_err *e);

/* Called with each record line (no '\n') once it verified, in log order;
 * returns 0, or -1 (e filled) to stop the verification, which then
 * returns -1. */
typedef int grace_log_each_fn(void *arg, const char *line, size_t n,
    struct grace_err *e);
/* grace_log_verify(), handing each verified record to each(each_arg). */
int grace_log_verify_each(const char *const *files, size_t nfiles,
    struct grace_log_expect *ex, size_t nex, int want_root,
    grace_log_warn_fn *warn, void *warn_arg, grace_log_each_fn *each,
    void *each_arg, struct grace_log_result *res, struct grace_err *e);

/* ===================================================================== */
/* chain.c - chain verification as grace-log verify and grace-verify
 * --chain run it: verifier keys loaded, signed checkpoints opened into
 * expectations, a monitor's state file (the size and Merkle root of the
 * last verified log), grace_log_verify() over the segments (the one
 * implementation of the chain check, format.c), and the results: the
 * grace.log.verification event, the new state, Prometheus metrics.
 *
 * The state file is one line of JSON, written atomically:
 *   {"size":N,"root":"<64 hex>","head":"<64 hex>","time":"<RFC 3339>"}
 * size and root are what the next run checks (the first size records of
 * the log must still have that Merkle root: the log was only appended
 * to); head and time are for people.
 */

struct grace_chain_cp {
	const char *path;
	struct grace_checkpoint cp;
	int opened;              /* signature verified and parsed (and
	                          * cosigned by enough witnesses) */
	size_t cosigned;         /* witnesses whose cosignature verified */
	size_t ex;               /* its expectation, when opened */
	char why[900];           /* why it could not be opened */
};

struct grace_chain {
	/* What to verify (borrowed; set before grace_chain_verify()). */
	const char *const *files;    /* segments, oldest first */
	size_t nfiles;
	const char *const *checkpoints;
	size_t ncheckpoints;
	const char *const *pubkeys;  /* key strings, or files holding one */
	size_t npubkeys;
	const char *state;           /* NULL: no state file */
	grace_log_warn_fn *warn;
	void *warn_arg;
	grace_log_each_fn *each;     /* NULL, or every verified record */
	void *each_arg;
	const char *const *witnesses; /* witness keys, or files holding one */
	size_t nwitnesses;
	size_t min_witnesses;        /* a checkpoint counts only when this
	                              * many of them cosigned it (0: 1) */
	/* Results. */
	struct grace_log_result res;
	struct grace_chain_cp *cps;  /* ncheckpoints of them */
	struct grace_log_expect *ex;
	size_t nex;
	int state_used;              /* a state file was read: ex[0] */
	uint64_t state_size;
	char state_root[GRACE_SHA256_HEXLEN + 1];
	struct grace_note_verifier **vs;
	struct grace_note_verifier **ws;
};

/* Set every field to empty. */
void grace_chain_init(struct grace_chain *c);
/* Free what grace_chain_verify() allocated (c's inputs are not freed). */
void grace_chain_free(struct grace_chain *c);

/* Load each of args[0..n) as a verifier key: a file that holds one, or
 * the key string itself ("name+keyid+base64"). Returns 0 with *vs a
 * malloc'd array of n verifiers, or -1 with e filled: "unable to open"
 * (GRACE_EXIT_SYSTEM) or "not a verifier key: ..." (GRACE_EXIT_USAGE),
 * naming the argument. Free with grace_chain_free_verifiers(). */
int grace_chain_load_verifiers(const char *const *args, size_t n,
    struct grace_note_verifier ***vs, struct grace_err *e);
void grace_chain_free_verifiers(struct grace_note_verifier **vs, size_t n);

/* Verify: load the keys, open each checkpoint (one whose signature does
 * not verify is a failure of its own, reported after the chain's), read
 * the state file (none yet: nothing to compare; not valid: a failure),
 * and run grace_log_verify() with an expectation for the state first,
 * then one per opened checkpoint. Returns 0 when the verification ran:
 * c->res.intact is the verdict and c->res.fail the first problem (code
 * GRACE_EXIT_NEGATIVE). Returns -1 with e filled when it could not run:
 * a bad key or a log that is not a regular file (GRACE_EXIT_USAGE), an
 * unreadable log, checkpoint or key file (GRACE_EXIT_SYSTEM). */
int grace_chain_verify(struct grace_chain *c, struct grace_err *e);

/* Append the grace.log.verification event (one line, '\n' included) with
 * "source":source. With a state file, data also carries
 * "root" (the Merkle root of the records verified) and
 * "state":{"file","size","root","checked"}, checked being true when the
 * previous state was compared, false on the first run. Returns 0 or -1
 * (ENOMEM). */
int grace_chain_event(const struct grace_chain *c, const char *source,
    struct grace_buf *out);

/* Write the state for the log just verified (c->res must be intact)
 * atomically to c->state. Returns 0 or -1 (e filled). */
int grace_chain_save_state(const struct grace_chain *c, struct grace_err *e);

/* Write the Prometheus node_exporter textfile at path, atomically:
 * grace_chain_intact, grace_chain_records_verified and
 * grace_chain_last_verification_timestamp_seconds, labelled with the
 * log's (last segment's) path. ran is 0 when the verification could
 * not run (then intact is 0 and records 0). Returns 0 or -1 (e). */
int grace_chain_metrics(const struct grace_chain *c, int ran,
    const char *path, struct grace_err *e);

/* ===================================================================== */
/* audit.c - grace-log report: the audit report, one self-contained HTML
 * page (no script, no network, no external asset; a Content-Security-
 * Policy forbids loading anything): the chain's status and each
 * checkpoint's, the decisions over time as an inline SVG chart, the
 * denials and reviews with their reasons, the anomalies and healings,
 * each row naming its record's seq and hash. Event data is escaped. */

/* Append the page for ch, verified already by grace_chain_verify(), to
 * out (the records are read again from ch->files). Returns 0 or -1 with
 * e filled (a file that cannot be read again, memory). */
int grace_log_report_html(struct grace_chain *ch, struct grace_buf *out,
    struct grace_err *e);

#endif
