/* test_checkpoint.c - C2SP tlog checkpoints.
 *
 * End-to-end vector from Go's golang.org/x/mod/sumdb client_test.go
 * (TestClientFork): the go.sum test log's records, hashed with merkle.c,
 * give the tree heads "go.sum database tree" 5 and 6 that the test prints,
 * and signing them with the published test key (testSignerKey) reproduces
 * the signed notes byte for byte.  Also Go's sumdb/tlog note_test.go
 * FormatTree/ParseTree vectors. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "t.h"

/* T_OK evaluates its condition twice; this evaluates it once, so the
 * condition may have side effects. */
#define T_TRUE(cond, ...) T_INTEQ(!!(cond), 1, __VA_ARGS__)

#define SUMDB_SKEY "PRIVATE+KEY+localhost.localdev/sumdb+00000c67+AXu6+oaVaOYuQOFrf1V59JK1owcFlJcHwwXHDfDGxSPk"
#define SUMDB_VKEY "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6"
#define EM "\xe2\x80\x94 "
#define CP5 "go.sum database tree\n5\nnWzN20+pwMt62p7jbv1/NlN95ePTlHijabv5zO/s36w=\n"
#define CP5_SIGNED CP5 "\n" EM "localhost.localdev/sumdb AAAMZ5/2FVAdMH58kmnz/0h299pwyskEbzDzoa2/YaPdhvLya4YWDFQQxu2TQb5GpwAH4NdWnTwuhILafisyf3CNbgg=\n"
#define CP6 "go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n"
#define CP6_SIGNED CP6 "\n" EM "localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n"
#define GO_TREE "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"

/* The records of Go's test log (sumdb client_test.go newTestClient, then
 * the two forks of TestClientFork). */
static const char *records[] = {
	"rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=\n"
	"rsc.io/quote v1.5.2/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=\n"
	"rsc.io/quote v1.5.2 h2:xyzzy\n",
	"golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c h1:qgOY6WgZOaTkIIMiVjBQcw93ERBE4m30iBm00nkL0i8=\n"
	"golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=\n",
	"rsc.io/sampler v1.3.0 h1:7uVkIFmeBqHfdjD+gZwtXXI+RODJ2Wc4O7MPEh/QiW4=\n"
	"rsc.io/sampler v1.3.0/go.mod h1:T1hPZKmBbMNahiBKFy5HrXp6adAjACjK9JXDnKaTXpA=\n",
	"rsc.io/Quote v1.5.2 h1:uppercase!=\n",
};

static struct grace_err err;
static struct grace_checkpoint cp;

static int
parse_s(const char *s)
{
	grace_checkpoint_clear(&cp);
	grace_err_clear(&err);
	return grace_checkpoint_parse(s, strlen(s), &cp, &err);
}

static void
test_sumdb(void)
{
	struct grace_note_signer *s = grace_note_signer_parse(SUMDB_SKEY, &err);
	struct grace_note_verifier *v = grace_note_verifier_parse(SUMDB_VKEY, &err);
	struct grace_merkle *m = grace_merkle_new();
	uint8_t root5[32], root6[32];
	char *body, *msg;
	size_t i, len;

	for (i = 0; i < 4; i++)
		grace_merkle_add(m, records[i], strlen(records[i]));
	grace_merkle_add(m, "rsc.io/pkg1 v1.5.2 h1:hash!=\n", 29);
	grace_merkle_root(m, root5);
	grace_merkle_reset(m);
	for (i = 0; i < 4; i++)
		grace_merkle_add(m, records[i], strlen(records[i]));
	grace_merkle_add(m, "rsc.io/pkg1 v1.5.3 h1:hash!=\n", 29);
	grace_merkle_add(m, "rsc.io/pkg1 v1.5.4 h1:hash!=\n", 29);
	grace_merkle_root(m, root6);
	grace_merkle_free(m);

	grace_checkpoint_init(&cp);
	strcpy(cp.origin, "go.sum database tree");
	cp.size = 5;
	memcpy(cp.root, root5, 32);
	body = grace_checkpoint_format(&cp, &len, &err);
	T_STREQ(body, CP5, "Merkle root of Go's test log at size 5, formatted");
	T_INTEQ(len, strlen(CP5), "length");
	free(body);
	msg = grace_checkpoint_sign(&cp, &s, 1, &err);
	T_STREQ(msg, CP5_SIGNED, "signed with Go's sumdb test key: Go's note");
	free(msg);

	cp.size = 6;
	memcpy(cp.root, root6, 32);
	msg = grace_checkpoint_sign(&cp, &s, 1, &err);
	T_STREQ(msg, CP6_SIGNED, "size 6 of the fork, signed: Go's note");
	free(msg);

	grace_checkpoint_clear(&cp);
	T_INTEQ(grace_checkpoint_open(CP6_SIGNED, strlen(CP6_SIGNED), &v, 1, &cp,
	    &err), 0, "open Go's signed size-6 checkpoint");
	T_STREQ(cp.origin, "go.sum database tree", "origin");
	T_INTEQ(cp.size, 6, "size");
	T_TRUE(memcmp(cp.root, root6, 32) == 0, "root");
	T_TRUE(cp.ext == NULL, "no extension lines");

	/* Tampering: the signature covers size and root. */
	{
		char t[sizeof CP5_SIGNED];

		memcpy(t, CP5_SIGNED, sizeof t);
		t[21] = '6';
		T_INTEQ(grace_checkpoint_open(t, strlen(t), &v, 1, &cp, &err), -1,
		    "size changed 5 -> 6");
		T_STREQ(err.msg, "signature by localhost.localdev/sumdb does not "
		    "verify (key ID 00000c67, line 5)", "message");
		T_INTEQ(err.code, GRACE_EXIT_NEGATIVE, "negative verdict");
		T_TRUE(cp.ext == NULL && cp.size == 0, "cp left initialised");
	}
	/* A note signed by the right key that is not a checkpoint. */
	msg = grace_note_sign("hello\n", 6, &s, 1, &err);
	T_INTEQ(grace_checkpoint_open(msg, strlen(msg), &v, 1, &cp, &err), -1,
	    "a signed note that is no checkpoint");
	T_STREQ(err.msg, "malformed checkpoint: line 2: missing tree size",
	    "message");
	free(msg);
	T_INTEQ(grace_checkpoint_open(CP6_SIGNED, strlen(CP6_SIGNED), NULL, 0,
	    &cp, &err), -1, "no verifier");
	grace_note_signer_free(s);
	grace_note_verifier_free(v);
}

static void
test_format_parse(void)
{
	static const char *bad[][2] = {
		{ "", "malformed checkpoint: it must end in a newline" },
		{ "\n", "malformed checkpoint: line 1: empty origin" },
		{ "o\n", "malformed checkpoint: line 2: missing tree size" },
		{ "o\n1\n", "malformed checkpoint: line 3: missing root hash" },
		{ "o\n\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: empty tree size" },
		{ "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size is not a decimal number" },
		{ "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
		  "malformed checkpoint: line 3: root hash is not base64 of 32 bytes" },
		{ GO_TREE "JOE", "malformed checkpoint: it must end in a newline" },
		{ "o\n01\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size has a leading zero" },
		{ "o\n00\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size has a leading zero" },
		{ "o\n+1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size is not a decimal number" },
		{ "o\n-1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size is not a decimal number" },
		{ "o\n 1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size is not a decimal number" },
		{ "o\n18446744073709551616\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size does not fit in 64 bits" },
		{ "o\n99999999999999999999999\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: line 2: tree size does not fit in 64 bits" },
		{ "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0\n",
		  "malformed checkpoint: line 3: root hash is not base64 of 32 bytes" },
		{ "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb1=\n",
		  "malformed checkpoint: line 3: root hash is not base64 of 32 bytes" },
		{ "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40Hmuw\n",
		  "malformed checkpoint: line 3: root hash is not base64 of 32 bytes" },
		{ "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0= \n",
		  "malformed checkpoint: line 3: root hash is not base64 of 32 bytes" },
		{ GO_TREE "\n", "malformed checkpoint: line 4: empty extension line" },
		{ GO_TREE "a\n\nb\n", "malformed checkpoint: line 5: empty extension line" },
		{ "o\r\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
		  "malformed checkpoint: not UTF-8, or has a control character other than newline" },
	};
	char origin[300], text[400], *body;
	size_t i, nbad = 0;

	T_INTEQ(parse_s(GO_TREE), 0, "parse Go's FormatTree vector");
	T_STREQ(cp.origin, "go.sum database tree", "origin");
	T_INTEQ(cp.size, 123456789012ULL, "size");
	{
		uint8_t h[32];

		grace_merkle_leaf_hash("hello world", 11, h);
		T_TRUE(memcmp(cp.root, h, 32) == 0, "root = RecordHash(\"hello world\")");
	}
	body = grace_checkpoint_format(&cp, NULL, &err);
	T_STREQ(body, GO_TREE, "format gives Go's FormatTree output back");
	free(body);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse_s(bad[i][0]) != -1 || strcmp(err.msg, bad[i][1]) != 0 ||
		    err.code != GRACE_EXIT_INPUT || cp.ext != NULL) {
			printf("# bad %zu: %s\n", i, err.msg);
			nbad++;
		}
	}
	T_INTEQ(nbad, 0, "%zu malformed checkpoints rejected with the right "
	    "message", sizeof bad / sizeof bad[0]);

	/* Extension lines, kept verbatim (Go's "junk on end" cases). */
	T_INTEQ(parse_s(GO_TREE "JOE\n"), 0, "one extension line");
	T_STREQ(cp.ext, "JOE\n", "kept verbatim");
	body = grace_checkpoint_format(&cp, NULL, &err);
	T_STREQ(body, GO_TREE "JOE\n", "and formatted back");
	free(body);
	{
		size_t n = strlen(GO_TREE) + 4000;
		char *big = malloc(n + 1);

		strcpy(big, GO_TREE);
		for (i = 0; i < 1000; i++)
			strcat(big, "JOE\n");
		grace_checkpoint_clear(&cp);
		T_INTEQ(grace_checkpoint_parse(big, n, &cp, &err), 0,
		    "1000 extension lines");
		T_INTEQ(strlen(cp.ext), 4000, "all kept");
		free(big);
	}

	/* Sizes at the edges. */
	T_INTEQ(parse_s("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"), 0,
	    "size 0 with the empty-tree root");
	T_INTEQ(cp.size, 0, "size 0");
	T_INTEQ(parse_s("o\n18446744073709551615\n"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"), 0, "size 2^64-1");
	T_TRUE(cp.size == UINT64_MAX, "size 2^64-1 value");
	body = grace_checkpoint_format(&cp, NULL, &err);
	T_STREQ(body, "o\n18446744073709551615\n"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "formats back");
	free(body);

	/* Origin limits. */
	memset(origin, 'a', 256);
	origin[256] = '\0';
	snprintf(text, sizeof text, "%s\n1\n%s\n", origin,
	    "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=");
	T_INTEQ(parse_s(text), 0, "256-byte origin");
	T_INTEQ(strlen(cp.origin), 256, "kept whole");
	snprintf(text, sizeof text, "%sa\n1\n%s\n", origin,
	    "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=");
	T_INTEQ(parse_s(text), -1, "257-byte origin");
	T_STREQ(err.msg, "malformed checkpoint: line 1: origin longer than 256 "
	    "bytes", "message");
	T_INTEQ(parse_s("example.com/behind the sofa \xe2\x80\x94 +x\n1\n"
	    "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"), 0,
	    "origin with spaces and '+' is allowed (only a SHOULD)");

	/* format refuses what parse would refuse. */
	grace_checkpoint_clear(&cp);
	T_TRUE(grace_checkpoint_format(&cp, NULL, &err) == NULL, "format: empty origin");
	T_INTEQ(err.code, GRACE_EXIT_USAGE, "is a usage error");
	strcpy(cp.origin, "a\nb");
	T_TRUE(grace_checkpoint_format(&cp, NULL, &err) == NULL,
	    "format: newline in origin");
	strcpy(cp.origin, "o");
	cp.ext = strdup("x\n\ny\n");
	T_TRUE(grace_checkpoint_format(&cp, NULL, &err) == NULL,
	    "format: empty extension line");
	free(cp.ext);
	cp.ext = strdup("x");
	T_TRUE(grace_checkpoint_format(&cp, NULL, &err) == NULL,
	    "format: extension without newline");
	free(cp.ext);
	cp.ext = strdup("");
	body = grace_checkpoint_format(&cp, NULL, &err);
	T_STREQ(body, "o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	    "format: ext \"\" is none; zero root");
	free(body);
	grace_checkpoint_clear(&cp);
}

static void
test_roundtrip(void)
{
	struct grace_note_signer *s;
	struct grace_note_verifier *v;
	struct grace_checkpoint in, out;
	char *skey, *vkey, *msg;
	uint8_t root[32];
	struct grace_merkle *m = grace_merkle_new();
	uint64_t i;

	T_INTEQ(grace_note_keygen("grace.example/log", &skey, &vkey, &err), 0,
	    "keygen");
	s = grace_note_signer_parse(skey, &err);
	v = grace_note_verifier_parse(vkey, &err);
	for (i = 0; i < 1000; i++)
		grace_merkle_add(m, &i, sizeof i);
	grace_merkle_root(m, root);
	grace_checkpoint_init(&in);
	strcpy(in.origin, "grace.example/log");
	in.size = grace_merkle_size(m);
	memcpy(in.root, root, 32);
	in.ext = strdup("ext one\next two\n");
	msg = grace_checkpoint_sign(&in, &s, 1, &err);
	T_TRUE(msg != NULL, "sign a checkpoint with extension lines");
	T_INTEQ(grace_checkpoint_open(msg, strlen(msg), &v, 1, &out, &err), 0,
	    "open it");
	T_STREQ(out.origin, in.origin, "origin round-trips");
	T_INTEQ(out.size, 1000, "size round-trips");
	T_TRUE(memcmp(out.root, root, 32) == 0, "root round-trips");
	T_STREQ(out.ext, "ext one\next two\n", "extension lines round-trip");
	grace_checkpoint_clear(&out);
	grace_checkpoint_clear(&in);
	free(msg);
	grace_note_signer_free(s);
	grace_note_verifier_free(v);
	grace_note_free_secret(skey);
	free(vkey);
	grace_merkle_free(m);
}

int
main(void)
{
	grace_checkpoint_init(&cp);
	test_sumdb();
	test_format_parse();
	test_roundtrip();
	grace_checkpoint_clear(&cp);
	return T_DONE();
}
