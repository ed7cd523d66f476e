/* proof.c - RFC 9162 (section 2.1.3, 2.1.4) inclusion and consistency
 * proofs over the log's Merkle tree (merkle.c): made in one pass over the
 * leaves with O(log n) memory, checked without the log, and written as
 * text (c2sp.org/tlog-proof for inclusion; a sibling format for
 * consistency). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define HL GRACE_MERKLE_HASHLEN

/* The ranges [lo, hi) of leaves whose roots make up a proof, in proof
 * order. They are disjoint, so that, sorted, one builder takes each in
 * turn as the leaves stream by. */
struct range {
	uint64_t lo, hi;
	unsigned slot; /* its place in the proof */
};

struct grace_prover {
	int consistency;
	uint64_t index;          /* the leaf, or the old size */
	uint64_t size;           /* the tree's size */
	uint64_t added;          /* leaves seen */
	unsigned n;              /* ranges */
	unsigned cur;            /* the sorted range being built, or n */
	struct range r[GRACE_PROOF_MAX];
	struct grace_merkle *all, *part;
	struct grace_sha256 *c;
	uint8_t leaf[HL];        /* inclusion: the leaf's hash */
	uint8_t old_root[HL];    /* consistency: the root at the old size */
	struct grace_proof proof;
};

/* Largest power of two smaller than n (n >= 2). */
static uint64_t
split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

static int
push(struct grace_prover *p, uint64_t lo, uint64_t hi)
{
	if (p->n == GRACE_PROOF_MAX)
		return -1; /* cannot happen: a proof has at most 2 * 64 nodes */
	p->r[p->n].lo = lo;
	p->r[p->n].hi = hi;
	p->r[p->n].slot = p->n;
	p->n++;
	return 0;
}

/* PATH(m, D[lo:hi]) of RFC 9162 2.1.3.1 (m absolute). */
static int
plan_path(struct grace_prover *p, uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t k;

	if (hi - lo == 1)
		return 0;
	k = split(hi - lo);
	if (m < lo + k)
		return plan_path(p, m, lo, lo + k) < 0 ? -1 : push(p, lo + k, hi);
	return plan_path(p, m, lo + k, hi) < 0 ? -1 : push(p, lo, lo + k);
}

/* SUBPROOF(m, D[lo:hi], lo == 0) of RFC 9162 2.1.4.1 (m absolute), as
 * Go's sumdb/tlog writes it. */
static int
plan_sub(struct grace_prover *p, uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t k;

	if (m == hi)
		return lo == 0 ? 0 : push(p, lo, hi);
	k = split(hi - lo);
	if (m <= lo + k)
		return plan_sub(p, m, lo, lo + k) < 0 ? -1 : push(p, lo + k, hi);
	return plan_sub(p, m, lo + k, hi) < 0 ? -1 : push(p, lo, lo + k);
}

static int
by_lo(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct grace_prover *
prover_new(int consistency, uint64_t index, uint64_t size,
    struct grace_err *e)
{
	struct grace_prover *p;
	int rc;

	if (!(p = calloc(1, sizeof *p))) {
		grace_err_sys(e, NULL, "out of memory");
		return NULL;
	}
	p->consistency = consistency;
	p->index = index;
	p->size = size;
	rc = consistency ? plan_sub(p, index, 0, size) :
	    plan_path(p, index, 0, size);
	if (rc < 0 || !(p->all = grace_merkle_new()) ||
	    !(p->part = grace_merkle_new()) || !(p->c = grace_sha256_new())) {
		grace_err_sys(e, NULL, "unable to start a proof");
		grace_prover_free(p);
		return NULL;
	}
	p->proof.consistency = consistency;
	p->proof.index = index;
	p->proof.size = size;
	p->proof.n = p->n;
	qsort(p->r, p->n, sizeof p->r[0], by_lo);
	p->cur = 0;
	return p;
}

struct grace_prover *
grace_prover_inclusion(uint64_t index, uint64_t size, struct grace_err *e)
{
	if (index >= size) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "no record %llu in a tree "
		    "of %llu", (unsigned long long)index + 1,
		    (unsigned long long)size);
		return NULL;
	}
	return prover_new(0, index, size, e);
}

struct grace_prover *
grace_prover_consistency(uint64_t old, uint64_t size, struct grace_err *e)
{
	if (old == 0 || old > size) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "no consistency proof from "
		    "a tree of %llu to one of %llu: the old size must be at "
		    "least 1 and at most the new", (unsigned long long)old,
		    (unsigned long long)size);
		return NULL;
	}
	return prover_new(1, old, size, e);
}

void
grace_prover_free(struct grace_prover *p)
{
	if (!p)
		return;
	grace_merkle_free(p->all);
	grace_merkle_free(p->part);
	grace_sha256_free(p->c);
	free(p);
}

uint64_t
grace_prover_needs(const struct grace_prover *p)
{
	return p->size - p->added;
}

int
grace_prover_add(struct grace_prover *p, const void *leaf, size_t len,
    struct grace_err *e)
{
	static const uint8_t zero = 0x00;
	uint8_t h[HL];
	uint64_t i = p->added;
	struct range *r;

	if (i >= p->size)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM, "a proof for a "
		    "tree of %llu given more leaves",
		    (unsigned long long)p->size);
	if (grace_sha256_init(p->c) < 0 ||
	    grace_sha256_update(p->c, &zero, 1) < 0 ||
	    grace_sha256_update(p->c, len ? leaf : "", len) < 0 ||
	    grace_sha256_final(p->c, h) < 0 ||
	    grace_merkle_add_hash(p->all, h) < 0)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM,
		    "unable to hash (libcrypto failure)");
	p->added++;
	if (!p->consistency && i == p->index)
		memcpy(p->leaf, h, HL);
	if (p->consistency && p->added == p->index &&
	    grace_merkle_root(p->all, p->old_root) < 0)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM,
		    "unable to hash (libcrypto failure)");
	if (p->cur == p->n || i < p->r[p->cur].lo)
		return 0;
	r = &p->r[p->cur];
	if (grace_merkle_add_hash(p->part, h) < 0)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM,
		    "unable to hash (libcrypto failure)");
	if (i + 1 == r->hi) {
		if (grace_merkle_root(p->part, p->proof.hash[r->slot]) < 0)
			return grace_err_setc(e, GRACE_EXIT_SYSTEM,
			    "unable to hash (libcrypto failure)");
		grace_merkle_reset(p->part);
		p->cur++;
	}
	return 0;
}

int
grace_prover_finish(struct grace_prover *p, struct grace_proof *out,
    uint8_t root[HL], uint8_t first[HL], struct grace_err *e)
{
	if (p->added != p->size)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM, "a proof for a "
		    "tree of %llu given only %llu leaves",
		    (unsigned long long)p->size,
		    (unsigned long long)p->added);
	if (grace_merkle_root(p->all, root) < 0)
		return grace_err_setc(e, GRACE_EXIT_SYSTEM,
		    "unable to hash (libcrypto failure)");
	memcpy(first, p->consistency ? p->old_root : p->leaf, HL);
	*out = p->proof;
	return 0;
}

/* ------------------------------------------------------------ checking */

static int
node(struct grace_sha256 *c, const uint8_t l[HL], const uint8_t r[HL],
    uint8_t out[HL])
{
	static const uint8_t one = 0x01;
	uint8_t t[HL];

	if (grace_sha256_init(c) < 0 || grace_sha256_update(c, &one, 1) < 0 ||
	    grace_sha256_update(c, l, HL) < 0 ||
	    grace_sha256_update(c, r, HL) < 0 || grace_sha256_final(c, t) < 0)
		return -1;
	memcpy(out, t, HL);
	return 0;
}

/* After a left sibling was hashed in at a node that is not a right child:
 * go up ("right-shift fn and sn equally") until it is one, or the root. */
static void
up_to_right_child(uint64_t *fn, uint64_t *sn)
{
	while (!(*fn & 1) && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

/* RFC 9162 2.1.3.2. */
int
grace_proof_check_inclusion(const struct grace_proof *p,
    const uint8_t leaf[HL], const uint8_t root[HL])
{
	struct grace_sha256 *c;
	uint64_t fn = p->index, sn;
	uint8_t r[HL];
	size_t i;
	int ok = 0;

	if (p->consistency || p->index >= p->size || p->n > GRACE_PROOF_MAX)
		return 1;
	if (!(c = grace_sha256_new()))
		return -1;
	sn = p->size - 1;
	memcpy(r, leaf, HL);
	for (i = 0; i < p->n; i++) {
		if (sn == 0)
			goto done;
		if ((fn & 1) || fn == sn) {
			if (node(c, p->hash[i], r, r) < 0)
				goto fail;
			up_to_right_child(&fn, &sn);
		} else if (node(c, r, p->hash[i], r) < 0)
			goto fail;
		fn >>= 1;
		sn >>= 1;
	}
	ok = sn == 0 && memcmp(r, root, HL) == 0;
done:
	grace_sha256_free(c);
	return ok ? 0 : 1;
fail:
	grace_sha256_free(c);
	return -1;
}

/* RFC 9162 2.1.4.2; a tree is consistent with itself by the empty proof
 * (Go's sumdb/tlog CheckTree agrees). */
int
grace_proof_check_consistency(const struct grace_proof *p,
    const uint8_t first[HL], const uint8_t second[HL])
{
	struct grace_sha256 *c;
	const uint8_t *path[GRACE_PROOF_MAX + 1];
	uint64_t fn, sn;
	uint8_t fr[HL], sr[HL];
	size_t i, n = 0;
	int ok = 0;

	if (!p->consistency || p->index == 0 || p->index > p->size ||
	    p->n > GRACE_PROOF_MAX)
		return 1;
	if (p->index == p->size)
		return p->n == 0 && memcmp(first, second, HL) == 0 ? 0 : 1;
	if (p->n == 0)
		return 1;
	/* An old size that is a power of two is a node of the new tree:
	 * the proof starts from it. */
	if ((p->index & (p->index - 1)) == 0)
		path[n++] = first;
	for (i = 0; i < p->n; i++)
		path[n++] = p->hash[i];
	if (!(c = grace_sha256_new()))
		return -1;
	fn = p->index - 1;
	sn = p->size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, path[0], HL);
	memcpy(sr, path[0], HL);
	for (i = 1; i < n; i++) {
		if (sn == 0)
			goto done;
		if ((fn & 1) || fn == sn) {
			if (node(c, path[i], fr, fr) < 0 ||
			    node(c, path[i], sr, sr) < 0)
				goto fail;
			up_to_right_child(&fn, &sn);
		} else if (node(c, sr, path[i], sr) < 0)
			goto fail;
		fn >>= 1;
		sn >>= 1;
	}
	ok = sn == 0 && memcmp(fr, first, HL) == 0 &&
	    memcmp(sr, second, HL) == 0;
done:
	grace_sha256_free(c);
	return ok ? 0 : 1;
fail:
	grace_sha256_free(c);
	return -1;
}

/* ---------------------------------------------------------------- text */

static int
add_hashes(struct grace_buf *out, const struct grace_proof *p)
{
	char b64[GRACE_B64_ENCLEN(HL)];
	size_t i;

	for (i = 0; i < p->n; i++) {
		grace_b64_encode(p->hash[i], HL, b64);
		if (grace_buf_addf(out, "%s\n", b64) < 0)
			return -1;
	}
	return 0;
}

int
grace_proof_format(struct grace_buf *out, const struct grace_proof *p,
    const char *checkpoint, size_t cplen)
{
	if (p->consistency) {
		if (grace_buf_adds(out, GRACE_PROOF_CONSISTENCY_V1 "\n") < 0 ||
		    grace_buf_addf(out, "old %llu\nnew %llu\n",
		    (unsigned long long)p->index,
		    (unsigned long long)p->size) < 0)
			return -1;
		return add_hashes(out, p);
	}
	if (grace_buf_adds(out, GRACE_PROOF_INCLUSION_V1 "\n") < 0 ||
	    grace_buf_addf(out, "index %llu\n",
	    (unsigned long long)p->index) < 0 || add_hashes(out, p) < 0 ||
	    grace_buf_adds(out, "\n") < 0)
		return -1;
	return grace_buf_add(out, checkpoint, cplen);
}

/* The line at *pos of text[0..n): its start and length, *pos moved past
 * its "\n". -1 when there is no whole line there. */
static int
next_line(const char *text, size_t n, size_t *pos, const char **s,
    size_t *len)
{
	const char *nl;

	if (*pos >= n)
		return -1;
	nl = memchr(text + *pos, '\n', n - *pos);
	if (!nl)
		return -1;
	*s = text + *pos;
	*len = (size_t)(nl - *s);
	*pos += *len + 1;
	return 0;
}

/* "KEY N": N a decimal without a sign or a leading zero, at most 2^64-1. */
static int
keyed_u64(const char *s, size_t len, const char *key, uint64_t *v)
{
	size_t k = strlen(key), i;
	uint64_t x = 0;

	if (len < k + 2 || memcmp(s, key, k) != 0 || s[k] != ' ')
		return -1;
	s += k + 1;
	len -= k + 1;
	if (len > 1 && s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static int
bad(struct grace_err *e, unsigned long line, const char *what)
{
	return grace_err_setc(e, GRACE_EXIT_INPUT,
	    "malformed proof: line %lu: %s", line, what);
}

int
grace_proof_parse(const char *text, size_t n, struct grace_proof *p,
    size_t *cpoff, struct grace_err *e)
{
	size_t pos = 0, len;
	const char *s;
	unsigned long line = 1;
	uint64_t v;

	memset(p, 0, sizeof *p);
	if (cpoff)
		*cpoff = 0;
	if (next_line(text, n, &pos, &s, &len) < 0)
		return bad(e, line, "no header line");
	if (len == strlen(GRACE_PROOF_INCLUSION_V1) &&
	    memcmp(s, GRACE_PROOF_INCLUSION_V1, len) == 0)
		p->consistency = 0;
	else if (len == strlen(GRACE_PROOF_CONSISTENCY_V1) &&
	    memcmp(s, GRACE_PROOF_CONSISTENCY_V1, len) == 0)
		p->consistency = 1;
	else
		return bad(e, line, "not \"" GRACE_PROOF_INCLUSION_V1 "\" or \""
		    GRACE_PROOF_CONSISTENCY_V1 "\"");
	line++;
	if (next_line(text, n, &pos, &s, &len) < 0)
		return bad(e, line, "missing");
	if (!p->consistency && len >= 6 && memcmp(s, "extra ", 6) == 0) {
		/* Opaque, unauthenticated: checked as base64, not kept. */
		uint8_t tmp[GRACE_B64_DECLEN(4096)];
		size_t got;

		if (len - 6 > 4096 ||
		    grace_b64_decode(s + 6, len - 6, tmp, sizeof tmp, &got) < 0)
			return bad(e, line, "extra data is not base64");
		line++;
		if (next_line(text, n, &pos, &s, &len) < 0)
			return bad(e, line, "missing");
	}
	if (p->consistency) {
		if (keyed_u64(s, len, "old", &p->index) < 0)
			return bad(e, line, "not \"old N\"");
		line++;
		if (next_line(text, n, &pos, &s, &len) < 0 ||
		    keyed_u64(s, len, "new", &p->size) < 0)
			return bad(e, line, "not \"new N\"");
		if (p->index == 0 || p->index > p->size)
			return bad(e, line, "the old size must be at least 1 "
			    "and at most the new");
	} else {
		if (keyed_u64(s, len, "index", &v) < 0)
			return bad(e, line, "not \"index N\"");
		p->index = v;
	}
	for (;;) {
		size_t got;

		line++;
		if (next_line(text, n, &pos, &s, &len) < 0) {
			if (!p->consistency)
				return bad(e, line, "no checkpoint after the "
				    "hashes (and a blank line)");
			if (pos != n)
				return bad(e, line, "not ended by a newline");
			return 0;
		}
		if (len == 0)
			break;
		if (p->n == GRACE_PROOF_MAX)
			return bad(e, line, "more hashes than any proof has");
		if (len != 44 || grace_b64_decode(s, len, p->hash[p->n], HL,
		    &got) < 0 || got != HL)
			return bad(e, line, "not a base64 SHA-256 hash");
		p->n++;
	}
	if (p->consistency)
		return bad(e, line, "a blank line in a consistency proof");
	if (cpoff)
		*cpoff = pos;
	return 0;
}
