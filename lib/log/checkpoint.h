/* checkpoint.h - C2SP transparency log checkpoints (c2sp.org/tlog-checkpoint):
 * the text of a signed note (note.h) that commits to a log's Merkle tree
 * (merkle.h) at one size.
 *
 *   <origin>\n                  non-empty, names the log
 *   <tree size>\n               decimal, no leading zeros (except "0")
 *   <base64 root hash>\n        the RFC 6962 root, exactly 32 bytes
 *   [<extension line>\n ...]    optional, non-empty, opaque, kept verbatim
 *
 * This is also the tree format of Go's sumdb/tlog (FormatTree/ParseTree),
 * whose origin is "go.sum database tree". */
#ifndef GRACE_CHECKPOINT_H
#define GRACE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "merkle.h"
#include "note.h"

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

#endif
