/* test_proof.c - inclusion and consistency proofs: for every tree of up
 * to 70 leaves (and a few larger), every leaf and every old size, the
 * streaming prover gives the proof RFC 9162's recursive definition gives
 * (computed here from the array of leaf hashes), the checker accepts it,
 * and rejects it with any hash changed, a hash missing or added, another
 * index, another size or another root. And the text round-trips. (Go's
 * sumdb/tlog checks the same proofs in tests/log-proof.bats.) Under
 * valgrind ($GRACE_TEST_SCALE below 1) every fifth leaf and old size, and
 * two of the larger trees. */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "t.h"

#define T_TRUE(cond, ...) T_INTEQ(!!(cond), 1, __VA_ARGS__)

static uint8_t (*lh)[32];

static void
mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
	grace_merkle_mth((const uint8_t (*)[32])(lh + lo), (size_t)(hi - lo), out);
}

static uint64_t
split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/* RFC 9162 2.1.3.1, from the leaves. */
static void
ref_path(uint64_t m, uint64_t lo, uint64_t hi, struct grace_proof *p)
{
	uint64_t k;

	if (hi - lo == 1)
		return;
	k = split(hi - lo);
	if (m < lo + k) {
		ref_path(m, lo, lo + k, p);
		mth(lo + k, hi, p->hash[p->n++]);
	} else {
		ref_path(m, lo + k, hi, p);
		mth(lo, lo + k, p->hash[p->n++]);
	}
}

/* RFC 9162 2.1.4.1 SUBPROOF(m, D[lo:hi], b). */
static void
ref_sub(uint64_t m, uint64_t lo, uint64_t hi, int b, struct grace_proof *p)
{
	uint64_t k;

	if (m == hi) {
		if (!b)
			mth(lo, hi, p->hash[p->n++]);
		return;
	}
	k = split(hi - lo);
	if (m <= lo + k) {
		ref_sub(m, lo, lo + k, b, p);
		mth(lo + k, hi, p->hash[p->n++]);
	} else {
		ref_sub(m, lo + k, hi, 0, p);
		mth(lo, lo + k, p->hash[p->n++]);
	}
}

static int
prove(int consistency, uint64_t index, uint64_t size, struct grace_proof *p,
    uint8_t root[32], uint8_t first[32])
{
	struct grace_err e;
	struct grace_prover *pr;
	uint64_t i;
	char leaf[32];
	int rc;

	pr = consistency ? grace_prover_consistency(index, size, &e) :
	    grace_prover_inclusion(index, size, &e);
	if (!pr)
		return -1;
	for (i = 0; i < size; i++) {
		int n = snprintf(leaf, sizeof leaf, "leaf %llu", (unsigned long long)i);

		if (grace_prover_add(pr, leaf, (size_t)n, &e) < 0) {
			grace_prover_free(pr);
			return -1;
		}
	}
	rc = grace_prover_finish(pr, p, root, first, &e);
	grace_prover_free(pr);
	return rc;
}

/* Every way of spoiling p must make check() fail: 0 when each does, else
 * the number of the one that did not. (Another size alone is not one: the
 * path of a leaf can have the same shape in trees of two sizes, and it is
 * the signed checkpoint that binds a size to its root.) */
static int
spoiled_fail(struct grace_proof *p, const uint8_t a[32], const uint8_t b[32],
    int (*check)(const struct grace_proof *, const uint8_t *, const uint8_t *))
{
	struct grace_proof q;
	uint8_t x[32];
	size_t i;

	for (i = 0; i < p->n; i++) {
		q = *p;
		q.hash[i][i % 32] ^= 1;
		if (check(&q, a, b) != 1)
			return 1;
	}
	if (p->n > 0) {
		q = *p;
		q.n--;
		if (check(&q, a, b) != 1)
			return 2;
	}
	q = *p;
	if (q.n < GRACE_PROOF_MAX) {
		memcpy(q.hash[q.n++], a, 32);
		if (check(&q, a, b) != 1)
			return 3;
	}
	q = *p;
	if (q.index + 1 < q.size || (q.consistency && q.index + 1 <= q.size)) {
		q.index++;
		if (check(&q, a, b) != 1)
			return 4;
	}
	memcpy(x, a, 32);
	x[0] ^= 0x80;
	if (check(p, x, b) != 1)
		return 5;
	memcpy(x, b, 32);
	x[31] ^= 0x80;
	if (check(p, a, x) != 1)
		return 6;
	return 0;
}

int
main(void)
{
	enum { N = 70 };
	static const uint64_t big[] = { 127, 128, 129, 255, 256, 257, 1000 };
	struct grace_proof p, want;
	struct grace_err e;
	uint8_t root[32], first[32], ref[32], oldref[32];
	uint64_t n, m, i;
	size_t bad_match = 0, bad_ok = 0, bad_spoil = 0, count = 0;
	char leaf[32];
	/* every leaf and old size; under valgrind every fifth (t.h) */
	const uint64_t step = t_scaled(20) < 20 ? 5 : 1, nbig = step > 1 ? 2 : 7;

	lh = malloc(1000 * sizeof *lh);
	for (i = 0; i < 1000; i++) {
		int k = snprintf(leaf, sizeof leaf, "leaf %llu", (unsigned long long)i);

		grace_merkle_leaf_hash(leaf, (size_t)k, lh[i]);
	}

	/* inclusion */
	for (n = 1; n <= N + nbig; n++) {
		uint64_t size = n <= N ? n : big[n - N - 1];

		for (m = 0; m < size; m += size > N ? 7 : step) {
			count++;
			if (prove(0, m, size, &p, root, first) < 0) {
				bad_ok++;
				continue;
			}
			memset(&want, 0, sizeof want);
			ref_path(m, 0, size, &want);
			mth(0, size, ref);
			if (p.n != want.n || memcmp(p.hash, want.hash, p.n * 32) ||
			    memcmp(root, ref, 32) || memcmp(first, lh[m], 32) ||
			    p.index != m || p.size != size || p.consistency)
				bad_match++;
			if (grace_proof_check_inclusion(&p, lh[m], root) != 0)
				bad_ok++;
			{ int w = spoiled_fail(&p, lh[m], root, grace_proof_check_inclusion); if (w) { bad_spoil++; if (bad_spoil < 5) printf("# spoil %d n=%llu m=%llu\n", w, (unsigned long long)size, (unsigned long long)m); } }
		}
	}
	T_INTEQ(bad_match, 0, "inclusion: the prover's proofs are RFC 9162's PATH (%zu proofs)", count);
	T_INTEQ(bad_ok, 0, "inclusion: every proof checks");
	T_INTEQ(bad_spoil, 0, "inclusion: a changed, missing or extra hash, another index, leaf or root fails");

	/* consistency */
	bad_match = bad_ok = bad_spoil = count = 0;
	for (n = 1; n <= N + nbig; n++) {
		uint64_t size = n <= N ? n : big[n - N - 1];

		for (m = 1; m <= size; m += size > N ? 7 : step) {
			count++;
			if (prove(1, m, size, &p, root, first) < 0) {
				bad_ok++;
				continue;
			}
			memset(&want, 0, sizeof want);
			if (m < size)
				ref_sub(m, 0, size, 1, &want);
			mth(0, size, ref);
			mth(0, m, oldref);
			if (p.n != want.n || memcmp(p.hash, want.hash, p.n * 32) ||
			    memcmp(root, ref, 32) ||
			    memcmp(first, oldref, 32) ||
			    p.index != m || p.size != size || !p.consistency)
				bad_match++;
			if (grace_proof_check_consistency(&p, first, root) != 0)
				bad_ok++;
			if (m < size) { int w = spoiled_fail(&p, first, root, grace_proof_check_consistency); if (w) { bad_spoil++; if (bad_spoil < 5) printf("# spoil %d n=%llu m=%llu\n", w, (unsigned long long)size, (unsigned long long)m); } }
		}
	}
	T_INTEQ(bad_match, 0, "consistency: the prover's proofs are RFC 9162's PROOF (%zu proofs)", count);
	T_INTEQ(bad_ok, 0, "consistency: every proof checks");
	T_INTEQ(bad_spoil, 0, "consistency: a changed, missing or extra hash, another old size or root fails");

	/* a tree is consistent with itself only by the empty proof and its own root */
	T_TRUE(prove(1, 5, 5, &p, root, first) == 0 && p.n == 0 &&
	    grace_proof_check_consistency(&p, root, root) == 0, "old = new: the empty proof");
	memcpy(ref, root, 32);
	ref[3] ^= 1;
	T_INTEQ(grace_proof_check_consistency(&p, root, ref), 1, "old = new, another root: fails");

	/* no such proof */
	T_TRUE(grace_prover_inclusion(5, 5, &e) == NULL && e.code == GRACE_EXIT_USAGE,
	    "inclusion of leaf 5 of 5: refused");
	T_STREQ(e.msg, "no record 6 in a tree of 5", "... saying so");
	T_TRUE(grace_prover_consistency(0, 5, &e) == NULL && e.code == GRACE_EXIT_USAGE,
	    "consistency from 0: refused");
	T_TRUE(grace_prover_consistency(6, 5, &e) == NULL, "consistency from 6 to 5: refused");

	/* text */
	{
		static const char cp[] = "example.com/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 example.com/log sig\n";
		struct grace_buf b = { 0 };
		struct grace_proof q;
		size_t off;

		T_TRUE(prove(0, 3, 7, &p, root, first) == 0, "a proof of leaf 3 of 7");
		T_TRUE(grace_proof_format(&b, &p, cp, sizeof cp - 1) == 0, "formatted");
		T_TRUE(b.len > 0 && strncmp(b.p, "c2sp.org/tlog-proof@v1\nindex 3\n", 31) == 0,
		    "c2sp.org/tlog-proof@v1, index 3");
		T_TRUE(grace_proof_parse(b.p, b.len, &q, &off, &e) == 0, "parsed back");
		T_TRUE(q.n == p.n && !memcmp(q.hash, p.hash, p.n * 32) && q.index == 3 &&
		    !q.consistency && q.size == 0, "the same proof (size from the checkpoint)");
		T_TRUE(b.len - off == sizeof cp - 1 && !memcmp(b.p + off, cp, sizeof cp - 1),
		    "the checkpoint, verbatim");
		b.len = 0;
		T_TRUE(prove(1, 3, 7, &p, root, first) == 0 &&
		    grace_proof_format(&b, &p, NULL, 0) == 0, "a consistency proof 3 -> 7");
		T_TRUE(strncmp(b.p, "grace-log/consistency-proof@v1\nold 3\nnew 7\n", 43) == 0,
		    "its header");
		T_TRUE(grace_proof_parse(b.p, b.len, &q, NULL, &e) == 0 && q.consistency &&
		    q.index == 3 && q.size == 7 && q.n == p.n &&
		    !memcmp(q.hash, p.hash, p.n * 32), "parsed back");
		grace_buf_free(&b);

#define BAD(txt, want) do { \
	T_INTEQ(grace_proof_parse(txt, sizeof txt - 1, &q, NULL, &e), -1, "rejected: %s", want); \
	T_STREQ(e.msg, want, "  saying so"); \
} while (0)
		BAD("", "malformed proof: line 1: no header line");
		BAD("c2sp.org/tlog-proof@v2\nindex 1\n\n", "malformed proof: line 1: not \"c2sp.org/tlog-proof@v1\" or \"grace-log/consistency-proof@v1\"");
		BAD("c2sp.org/tlog-proof@v1\nindex 01\n\n", "malformed proof: line 2: not \"index N\"");
		BAD("c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\n", "malformed proof: line 2: not \"index N\"");
		BAD("c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n", "malformed proof: line 2: extra data is not base64");
		BAD("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n", "malformed proof: line 3: not a base64 SHA-256 hash");
		BAD("c2sp.org/tlog-proof@v1\nindex 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "malformed proof: line 4: no checkpoint after the hashes (and a blank line)");
		BAD("grace-log/consistency-proof@v1\nold 0\nnew 7\n", "malformed proof: line 3: the old size must be at least 1 and at most the new");
		BAD("grace-log/consistency-proof@v1\nold 8\nnew 7\n", "malformed proof: line 3: the old size must be at least 1 and at most the new");
		BAD("grace-log/consistency-proof@v1\nold 3\nnew 7\n\n", "malformed proof: line 4: a blank line in a consistency proof");
		BAD("grace-log/consistency-proof@v1\nold 3\nnew 7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "malformed proof: line 4: not ended by a newline");
		{
			static const char t[] = "c2sp.org/tlog-proof@v1\nextra aGk=\nindex 0\n\ncp\n";

			T_TRUE(grace_proof_parse(t, sizeof t - 1, &q, &off, &e) == 0 &&
			    q.n == 0 && off == sizeof t - 4, "extra data is accepted (and not trusted)");
		}
	}
	free(lh);
	return T_DONE();
}
