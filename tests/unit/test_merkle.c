/* test_merkle.c - RFC 6962 tree hashes: the Certificate Transparency
 * reference tree (certificate-transparency merkle_tree_test.cc, also in
 * transparency-dev/merkle testonly/constants.go), Go's sumdb/tlog
 * RecordHash vector, and the streaming builder against the recursive
 * definition for every size 0..300. */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "t.h"

/* T_OK evaluates its condition twice; this evaluates it once, so the
 * condition may have side effects. */
#define T_TRUE(cond, ...) T_INTEQ(!!(cond), 1, __VA_ARGS__)

static const char *hexof(const uint8_t h[32])
{
	static char buf[65];

	grace_hex_encode(h, 32, buf);
	return buf;
}

int
main(void)
{
	static const char *leaves_hex[8] = {
		"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
		"606162636465666768696a6b6c6d6e6f",
	};
	static const char *roots[9] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	enum { N = 300 };
	struct grace_merkle *m = grace_merkle_new();
	uint8_t (*lh)[32] = malloc(N * sizeof *lh);
	uint8_t leaf[16], root[32], want[32], h[32];
	size_t i, n, bad;

	T_TRUE(m != NULL, "new");
	T_INTEQ(grace_merkle_size(m), 0, "empty size");
	T_TRUE(grace_merkle_root(m, root) == 0, "root of the empty tree");
	T_STREQ(hexof(root), roots[0], "MTH({}) = SHA-256(\"\")");
	T_TRUE(grace_merkle_mth(NULL, 0, root) == 0 &&
	    strcmp(hexof(root), roots[0]) == 0, "mth of no leaves");

	/* The CT reference tree, root checked after every add. */
	for (i = 0; i < 8; i++) {
		n = strlen(leaves_hex[i]) / 2;
		grace_hex_decode(leaves_hex[i], leaf, n);
		T_TRUE(grace_merkle_add(m, n ? leaf : NULL, n) == 0, "add leaf %zu", i);
		T_INTEQ(grace_merkle_size(m), i + 1, "size %zu", i + 1);
		T_TRUE(grace_merkle_root(m, root) == 0, "root at size %zu", i + 1);
		T_STREQ(hexof(root), roots[i + 1], "CT reference root, size %zu",
		    i + 1);
		grace_merkle_leaf_hash(leaf, n, lh[i]);
		T_TRUE(grace_merkle_mth((const uint8_t (*)[32])lh, i + 1, root) == 0 &&
		    strcmp(hexof(root), roots[i + 1]) == 0,
		    "recursive mth, size %zu", i + 1);
	}
	T_TRUE(grace_merkle_root(m, root) == 0 && strcmp(hexof(root), roots[8]) == 0,
	    "root twice in a row gives the same answer");

	/* Leaf and node hashes on their own. */
	T_STREQ(hexof(lh[0]), roots[1], "leaf hash of \"\" = SHA-256(0x00)");
	grace_merkle_node_hash(lh[0], lh[1], h);
	T_STREQ(hexof(h), roots[2], "node hash of leaves 0 and 1");
	grace_merkle_leaf_hash("hello world", 11, h);
	{
		/* Go sumdb/tlog note_test.go: RecordHash("hello world") is
		 * the root hash of TestFormatTree, base64
		 * TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=. */
		T_STREQ(hexof(h), "4eccf34608d31bac5c7becf6006df59005d8281810"
		    "56d092084e341e6bb005bd", "leaf hash of \"hello world\" "
		    "(Go tlog.RecordHash)");
	}

	/* Root in the middle of a stream, then carry on (what a verifier
	 * does at a checkpoint). */
	grace_merkle_reset(m);
	T_INTEQ(grace_merkle_size(m), 0, "reset: size 0");
	for (i = 0; i < 8; i++) {
		if (i == 5) {
			grace_merkle_root(m, root);
			T_STREQ(hexof(root), roots[5], "root taken at size 5");
		}
		grace_merkle_add_hash(m, lh[i]);
	}
	grace_merkle_root(m, root);
	T_STREQ(hexof(root), roots[8], "add_hash after a root: size 8 right");

	/* Brute force: the builder against the recursive definition. */
	grace_merkle_reset(m);
	bad = 0;
	for (n = 0; n <= N; n++) {
		if (grace_merkle_root(m, root) < 0 ||
		    grace_merkle_mth((const uint8_t (*)[32])lh, n, want) < 0 ||
		    memcmp(root, want, 32) != 0 || grace_merkle_size(m) != n) {
			if (!bad)
				printf("# first mismatch at size %zu\n", n);
			bad++;
		}
		if (n == N)
			break;
		leaf[0] = (uint8_t)n;
		leaf[1] = (uint8_t)(n >> 8);
		grace_merkle_leaf_hash(leaf, 2 + n % 3, lh[n]);
		if (grace_merkle_add(m, leaf, 2 + n % 3) < 0)
			bad++;
	}
	T_INTEQ(bad, 0, "streaming root = recursive MTH for every size 0..%d", N);
	/* One hand-checked shape: 3 leaves = node(node(a, b), c). */
	grace_merkle_node_hash(lh[0], lh[1], h);
	grace_merkle_node_hash(h, lh[2], h);
	grace_merkle_mth((const uint8_t (*)[32])lh, 3, root);
	T_TRUE(memcmp(h, root, 32) == 0, "size 3 splits 2 + 1");
	/* 7 leaves = node(node(node(0,1), node(2,3)), node(node(4,5), 6)). */
	{
		uint8_t a[32], b[32], c[32], d[32];

		grace_merkle_node_hash(lh[0], lh[1], a);
		grace_merkle_node_hash(lh[2], lh[3], b);
		grace_merkle_node_hash(a, b, a);
		grace_merkle_node_hash(lh[4], lh[5], c);
		grace_merkle_node_hash(c, lh[6], c);
		grace_merkle_node_hash(a, c, d);
		grace_merkle_mth((const uint8_t (*)[32])lh, 7, root);
		T_TRUE(memcmp(d, root, 32) == 0, "size 7 splits 4 + (2 + 1)");
	}

	free(lh);
	grace_merkle_free(m);
	grace_merkle_free(NULL);
	return T_DONE();
}
