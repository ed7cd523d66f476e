/* merkle.h - RFC 6962 (section 2.1) Merkle tree hashes, streaming.
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
#ifndef GRACE_MERKLE_H
#define GRACE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

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

#endif
