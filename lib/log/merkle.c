/* merkle.c - RFC 6962 Merkle tree hashes with an O(log n) streaming
 * builder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define HL GRACE_MERKLE_HASHLEN

/* The leaves so far split into perfect subtrees, one for each set bit of
 * size, biggest (leftmost) first: stack[0..top). Adding a leaf merges
 * equal-sized subtrees, like carrying in binary addition. */
struct grace_merkle {
	struct grace_sha256 *c;
	uint64_t size;
	unsigned top;
	uint8_t stack[64][HL];
};

static int
leaf_hash(struct grace_sha256 *c, const void *leaf, size_t len,
    uint8_t out[HL])
{
	static const uint8_t zero = 0x00;

	if (grace_sha256_init(c) < 0 || grace_sha256_update(c, &zero, 1) < 0 ||
	    grace_sha256_update(c, leaf, len) < 0)
		return -1;
	return grace_sha256_final(c, out);
}

static int
node_hash(struct grace_sha256 *c, const uint8_t l[HL], const uint8_t r[HL],
    uint8_t out[HL])
{
	static const uint8_t one = 0x01;

	if (grace_sha256_init(c) < 0 || grace_sha256_update(c, &one, 1) < 0 ||
	    grace_sha256_update(c, l, HL) < 0 || grace_sha256_update(c, r, HL) < 0)
		return -1;
	return grace_sha256_final(c, out); /* inputs consumed: out may alias */
}

struct grace_merkle *
grace_merkle_new(void)
{
	struct grace_merkle *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	if (!(m->c = grace_sha256_new())) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void
grace_merkle_free(struct grace_merkle *m)
{
	if (!m)
		return;
	grace_sha256_free(m->c);
	free(m);
}

void
grace_merkle_reset(struct grace_merkle *m)
{
	m->size = 0;
	m->top = 0;
}

int
grace_merkle_add_hash(struct grace_merkle *m, const uint8_t lh[HL])
{
	uint8_t h[HL];
	uint64_t k;
	unsigned top = m->top;

	if (m->size == UINT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	memcpy(h, lh, HL);
	/* Each trailing 1 bit of size is a subtree as big as h: merge. */
	for (k = m->size; k & 1; k >>= 1)
		if (node_hash(m->c, m->stack[--top], h, h) < 0)
			return -1; /* m->top and m->stack[..top] still intact */
	memcpy(m->stack[top], h, HL);
	m->top = top + 1;
	m->size++;
	return 0;
}

int
grace_merkle_add(struct grace_merkle *m, const void *leaf, size_t len)
{
	uint8_t h[HL];

	if (m->size == UINT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (leaf_hash(m->c, len ? leaf : "", len, h) < 0)
		return -1;
	return grace_merkle_add_hash(m, h);
}

uint64_t
grace_merkle_size(const struct grace_merkle *m)
{
	return m->size;
}

int
grace_merkle_root(struct grace_merkle *m, uint8_t out[HL])
{
	uint8_t h[HL];
	unsigned i;

	if (m->top == 0)
		return grace_sha256_once(m->c, "", 0, out);
	/* Fold right to left: the smaller subtrees form the right spine. */
	memcpy(h, m->stack[m->top - 1], HL);
	for (i = m->top - 1; i-- > 0;)
		if (node_hash(m->c, m->stack[i], h, h) < 0)
			return -1;
	memcpy(out, h, HL);
	return 0;
}

int
grace_merkle_leaf_hash(const void *leaf, size_t len, uint8_t out[HL])
{
	struct grace_sha256 *c = grace_sha256_new();
	int rc;

	if (!c)
		return -1;
	rc = leaf_hash(c, len ? leaf : "", len, out);
	grace_sha256_free(c);
	return rc;
}

int
grace_merkle_node_hash(const uint8_t l[HL], const uint8_t r[HL],
    uint8_t out[HL])
{
	struct grace_sha256 *c = grace_sha256_new();
	int rc;

	if (!c)
		return -1;
	rc = node_hash(c, l, r, out);
	grace_sha256_free(c);
	return rc;
}

static int
mth(struct grace_sha256 *c, const uint8_t (*lh)[HL], size_t n,
    uint8_t out[HL])
{
	uint8_t l[HL], r[HL];
	size_t k = 1;

	if (n == 1) {
		memcpy(out, lh[0], HL);
		return 0;
	}
	while (k < n - k) /* largest power of two smaller than n */
		k <<= 1;
	if (mth(c, lh, k, l) < 0 || mth(c, lh + k, n - k, r) < 0)
		return -1;
	return node_hash(c, l, r, out);
}

int
grace_merkle_mth(const uint8_t (*lh)[HL], size_t n, uint8_t out[HL])
{
	struct grace_sha256 *c = grace_sha256_new();
	int rc;

	if (!c)
		return -1;
	rc = n == 0 ? grace_sha256_once(c, "", 0, out) : mth(c, lh, n, out);
	grace_sha256_free(c);
	return rc;
}
