/* test_note.c - signed notes against the vectors of Go's
 * golang.org/x/mod/sumdb/note (note_test.go, TestSign/TestOpen/
 * TestNewVerifier/TestNewSigner) and the C2SP signed-note example. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log/log.h"
#include "t.h"

/* T_OK evaluates its condition twice; this evaluates it once, so the
 * condition may have side effects. */
#define T_TRUE(cond, ...) T_INTEQ(!!(cond), 1, __VA_ARGS__)

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

/* The C2SP signed-note example; its key is not published. */
#define C2SP_NOTE "Ognuno sta solo sul cuor della terra\n" \
	"trafitto da un raggio di sole:\n\ned \xc3\xa8 subito sera.\n\n" \
	"\xe2\x80\x94 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"

static struct grace_err err;

/* Open s with verifiers vs; returns 0/-1 and leaves text_len/nverified. */
static size_t tlen, nver;
static int
open_s(const char *s, struct grace_note_verifier *const *vs, size_t nvs)
{
	tlen = nver = 12345;
	grace_err_clear(&err);
	return grace_note_open(s, strlen(s), vs, nvs, &tlen, &nver, &err);
}

/* Insert ins into s at offset at; malloc'd. */
static char *
splice(const char *s, size_t at, const char *ins)
{
	size_t n = strlen(s), m = strlen(ins);
	char *r = malloc(n + m + 1);

	memcpy(r, s, at);
	memcpy(r + at, ins, m);
	memcpy(r + at + m, s + at, n - at + 1);
	return r;
}

static int
signer_rejected(const char *k)
{
	struct grace_note_signer *s = grace_note_signer_parse(k, &err);

	grace_note_signer_free(s);
	return s == NULL;
}

static int
verifier_rejected(const char *k)
{
	struct grace_note_verifier *v = grace_note_verifier_parse(k, &err);

	grace_note_verifier_free(v);
	return v == NULL;
}

static void
test_keys(void)
{
	struct grace_note_signer *s;
	struct grace_note_verifier *v;
	char buf[128];
	size_t i, j, n, bad;

	s = grace_note_signer_parse(PETER_SKEY, &err);
	T_TRUE(s != NULL, "parse Go's PeterNeumann signer key");
	T_STREQ(grace_note_signer_name(s), "PeterNeumann", "signer name");
	T_INTEQ(grace_note_signer_keyid(s), 0xc74f20a3u, "signer key ID");
	T_STREQ(grace_note_signer_vkey(s), PETER_VKEY,
	    "signer's verifier key is Go's PeterNeumann verifier key");
	grace_note_signer_free(s);

	v = grace_note_verifier_parse(PETER_VKEY, &err);
	T_TRUE(v != NULL, "parse Go's PeterNeumann verifier key");
	T_STREQ(grace_note_verifier_name(v), "PeterNeumann", "verifier name");
	T_INTEQ(grace_note_verifier_keyid(v), 0xc74f20a3u, "verifier key ID");
	grace_note_verifier_free(v);

	/* The go.sum database test key (sumdb/client_test.go). */
	s = grace_note_signer_parse("PRIVATE+KEY+localhost.localdev/sumdb+"
	    "00000c67+AXu6+oaVaOYuQOFrf1V59JK1owcFlJcHwwXHDfDGxSPk", &err);
	T_STREQ(s ? grace_note_signer_vkey(s) : NULL,
	    "localhost.localdev/sumdb+00000c67+"
	    "AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6",
	    "sumdb test signer key gives its published verifier key");
	grace_note_signer_free(s);

	/* Go's TestNewVerifier / TestNewSigner: every proper substring and
	 * every single-byte increment of a good key is rejected. */
	bad = 0;
	n = strlen(PETER_VKEY);
	for (i = 0; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (i != 0 || j != n) {
				snprintf(buf, sizeof buf, "%.*s", (int)(j - i), &PETER_VKEY[i]);
				bad += !verifier_rejected(buf);
			}
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%s", PETER_VKEY);
		buf[i]++;
		bad += !verifier_rejected(buf);
	}
	T_INTEQ(bad, 0, "every substring and byte change of the verifier key "
	    "is rejected");
	bad = 0;
	n = strlen(PETER_SKEY);
	for (i = 0; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (i != 0 || j != n) {
				snprintf(buf, sizeof buf, "%.*s", (int)(j - i), &PETER_SKEY[i]);
				bad += !signer_rejected(buf);
			}
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%s", PETER_SKEY);
		buf[i]++;
		bad += !signer_rejected(buf);
	}
	T_INTEQ(bad, 0, "every substring and byte change of the signer key "
	    "is rejected");

	T_TRUE(verifier_rejected("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="),
	    "wrong key length, with adjusted key ID");
	T_STREQ(err.msg, "malformed verifier key: key data is not base64 of 33 bytes",
	    "wrong length message");
	T_INTEQ(err.code, GRACE_EXIT_USAGE, "a bad key is a usage error");
	T_TRUE(verifier_rejected("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
	    "unknown algorithm, with adjusted key ID");
	T_STREQ(err.msg, "unknown verifier key algorithm 101 (1, Ed25519, and "
	    "4, an Ed25519 witness, are supported)", "unknown algorithm message");
	T_TRUE(verifier_rejected("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
	    "wrong key ID");
	T_STREQ(err.msg, "verifier key for PeterNeumann: key ID c74f20a4 does "
	    "not match the key", "wrong key ID message");
	T_TRUE(signer_rejected("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
	    "signer key with a wrong key ID");
	T_STREQ(err.msg, "signer key for PeterNeumann: key ID c74f20a4 does not "
	    "match the key", "signer wrong key ID message");
	T_TRUE(signer_rejected("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n"),
	    "signer key with a trailing newline");
	T_TRUE(strstr(err.msg, "AYEK") == NULL, "no secret in the message");
	T_TRUE(!verifier_rejected("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
	    "upper-case hex key ID accepted, as in Go");
}

static void
test_names(void)
{
	static const struct { const char *s; int ok; } v[] = {
		{ "PeterNeumann", 1 },
		{ "example.com/log42", 1 },
		{ "h\xc3\xa9llo", 1 },             /* é */
		{ "a\xe2\x80\x8b" "b", 1 },        /* U+200B is not White_Space */
		{ "", 0 },
		{ "a+b", 0 },
		{ "a b", 0 },
		{ "a\tb", 0 },
		{ "a\xc2\xa0" "b", 0 },            /* U+00A0 */
		{ "a\xc2\x85" "b", 0 },            /* U+0085 */
		{ "a\xe1\x9a\x80" "b", 0 },        /* U+1680 */
		{ "a\xe2\x80\x89" "b", 0 },        /* U+2009 */
		{ "a\xe2\x80\xa8" "b", 0 },        /* U+2028 */
		{ "a\xe3\x80\x80" "b", 0 },        /* U+3000 */
		{ "a\x01" "b", 0 },                /* control: stricter than Go */
		{ "a\xff" "b", 0 },                /* not UTF-8 */
		{ "\xc0\xaf", 0 },                 /* overlong '/' */
		{ "\xed\xa0\x80", 0 },             /* surrogate */
		{ "\xf4\x90\x80\x80", 0 },         /* above U+10FFFF */
		{ "\xe2\x80", 0 },                 /* truncated */
	};
	size_t i, bad = 0;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		if (grace_note_name_valid(v[i].s, strlen(v[i].s)) != v[i].ok) {
			printf("# name %zu wrongly judged\n", i);
			bad++;
		}
	T_INTEQ(bad, 0, "key name validity (Go's isValidName, no controls)");
	T_INTEQ(grace_note_text_valid("a\n\xe2\x80\x94\x7f\n", 7), 1,
	    "text: newline, em dash and DEL are fine");
	T_INTEQ(grace_note_text_valid("a\r\n", 3), 0, "text: CR is not");
	T_INTEQ(grace_note_text_valid("a\0b\n", 4), 0, "text: NUL is not");
}

static void
test_sign(void)
{
	struct grace_note_signer *peter = grace_note_signer_parse(PETER_SKEY, &err);
	struct grace_note_signer *both[2];
	char *skey = NULL, *vkey = NULL, *msg;

	msg = grace_note_sign(TEXT, strlen(TEXT), &peter, 1, &err);
	T_STREQ(msg, TEXT "\n" PETER_SIG, "sign reproduces Go's TestSign note "
	    "byte for byte");
	free(msg);

	grace_err_clear(&err);
	T_TRUE(grace_note_sign("abc", 3, &peter, 1, &err) == NULL,
	    "sign rejects text without a final newline");
	T_STREQ(err.msg, "malformed note: the text must be non-empty and end "
	    "in a newline", "message");
	T_TRUE(grace_note_sign("", 0, &peter, 1, &err) == NULL,
	    "sign rejects empty text");
	T_TRUE(grace_note_sign("a\x01\n", 3, &peter, 1, &err) == NULL,
	    "sign rejects a control character");
	T_TRUE(grace_note_sign("a\xff\n", 3, &peter, 1, &err) == NULL,
	    "sign rejects invalid UTF-8");
	T_TRUE(grace_note_sign(TEXT, strlen(TEXT), &peter, 0, &err) == NULL,
	    "sign needs at least one signer");
	T_INTEQ(err.code, GRACE_EXIT_USAGE, "that is a usage error");

	T_INTEQ(grace_note_keygen("a b", &skey, &vkey, &err), -1,
	    "keygen rejects a name with a space");
	T_TRUE(skey == NULL && vkey == NULL, "and returns no keys");
	T_INTEQ(grace_note_keygen("EnochRoot", &skey, &vkey, &err), 0,
	    "keygen EnochRoot");
	T_TRUE(skey && strncmp(skey, "PRIVATE+KEY+EnochRoot+", 22) == 0 &&
	    strlen(skey) == 22 + 9 + 44, "skey shape");
	T_TRUE(vkey && strncmp(vkey, "EnochRoot+", 10) == 0 &&
	    strlen(vkey) == 10 + 9 + 44 && strncmp(vkey + 10, skey + 22, 9) == 0,
	    "vkey shape, same key ID");
	both[0] = peter;
	both[1] = grace_note_signer_parse(skey, &err);
	T_TRUE(both[1] != NULL, "generated signer key parses");
	T_STREQ(both[1] ? grace_note_signer_vkey(both[1]) : NULL, vkey,
	    "generated signer derives the generated verifier key");
	if (both[1]) {
		struct grace_note_verifier *v = grace_note_verifier_parse(vkey, &err);
		struct grace_note_verifier *pv = grace_note_verifier_parse(PETER_VKEY, &err);
		size_t len = strlen(TEXT "\n" PETER_SIG);

		msg = grace_note_sign(TEXT, strlen(TEXT), both, 2, &err);
		T_TRUE(msg && strncmp(msg, TEXT "\n" PETER_SIG, len) == 0 &&
		    strncmp(msg + len, "\xe2\x80\x94 EnochRoot ", 14) == 0 &&
		    strlen(msg) == len + 14 + 92 + 1,
		    "two signers: Go's line, then the new key's line");
		T_TRUE(msg && open_s(msg, &v, 1) == 0 && tlen == strlen(TEXT) &&
		    nver == 1, "open with the generated key");
		T_TRUE(msg && open_s(msg, (struct grace_note_verifier *[]){ v, pv },
		    2) == 0 && nver == 2, "open with both keys: 2 verified");
		free(msg);

		msg = grace_note_sign(TEXT, strlen(TEXT), both + 1, 1, &err);
		T_TRUE(open_s(msg, &pv, 1) == -1, "a note signed by one key fails "
		    "with another");
		{
			char want[128];

			snprintf(want, sizeof want, "no signature by a known key "
			    "(signed by EnochRoot+%.8s)", vkey + 10);
			T_STREQ(err.msg, want, "message names the key seen");
		}
		free(msg);
		grace_note_verifier_free(v);
		grace_note_verifier_free(pv);
	}
	grace_note_signer_free(both[1]);
	grace_note_free_secret(skey);
	free(vkey);

	/* Blank lines inside and at the end of the text round-trip. */
	msg = grace_note_sign("a\n\nb\n", 5, &peter, 1, &err);
	{
		struct grace_note_verifier *pv = grace_note_verifier_parse(PETER_VKEY, &err);

		T_TRUE(msg && open_s(msg, &pv, 1) == 0 && tlen == 5,
		    "a blank line inside the text");
		free(msg);
		msg = grace_note_sign("a\n\n", 3, &peter, 1, &err);
		T_TRUE(msg && open_s(msg, &pv, 1) == 0 && tlen == 3,
		    "a blank last line of the text");
		free(msg);
		msg = grace_note_sign("\n", 1, &peter, 1, &err);
		T_TRUE(msg && open_s(msg, &pv, 1) == 0 && tlen == 1,
		    "a text that is one empty line");
		free(msg);
		grace_note_verifier_free(pv);
	}
	grace_note_signer_free(peter);
}

static void
test_open(void)
{
	struct grace_note_verifier *peter = grace_note_verifier_parse(PETER_VKEY, &err);
	struct grace_note_verifier *enoch = grace_note_verifier_parse(ENOCH_VKEY, &err);
	struct grace_note_verifier *pe[2] = { peter, enoch };
	struct grace_note_verifier *epe[3] = { enoch, peter, enoch };
	static const char *bad[] = {
		TEXT,
		TEXT "\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		"\x01" TEXT "\n" PETER_SIG,
		"\xff" TEXT "\n" PETER_SIG,
		TEXT "\n" "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		TEXT "\n" PETER_SIG "Unexpected line.\n",
		/* and a few more of our own */
		TEXT "\n" "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann \n",
		TEXT "\n" "\xe2\x80\x94  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\r\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann AAAA\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08g\n",
		"\n\n",
		"",
	};
	char *msg, *many;
	size_t i, nbad = 0;

	T_INTEQ(open_s(TEXT "\n" PETER_SIG, &peter, 1), 0, "open Go's note");
	T_INTEQ(tlen, strlen(TEXT), "text length");
	T_INTEQ(nver, 1, "one verified");

	T_INTEQ(open_s(C2SP_NOTE, pe, 2), -1, "C2SP example, key unknown");
	T_STREQ(err.msg, "no signature by a known key (signed by "
	    "quasimodo.example/salvatore+367ba04b)", "names the unknown key");
	T_INTEQ(err.code, GRACE_EXIT_NEGATIVE, "is a negative verdict");

	T_INTEQ(open_s(TEXT "\n" PETER_SIG ENOCH_SIG, &peter, 1), 0,
	    "Peter and Enoch signed, Peter known");
	T_INTEQ(nver, 1, "one verified, Enoch ignored");
	T_INTEQ(open_s(TEXT "\n" PETER_SIG ENOCH_SIG, pe, 2), 0, "both known");
	T_INTEQ(nver, 2, "both verified");
	T_INTEQ(open_s(TEXT "\n" PETER_SIG ENOCH_SIG, NULL, 0), -1, "none known");
	T_STREQ(err.msg, "no signature by a known key (signed by "
	    "PeterNeumann+c74f20a3, EnochRoot+af0cfe78)", "lists both keys");

	T_INTEQ(open_s(TEXT "\n" ENOCH_SIG, epe, 3), -1, "duplicated verifier");
	T_STREQ(err.msg, "ambiguous key EnochRoot+af0cfe78: two verifier keys "
	    "have this name and key ID", "ambiguous key message");
	T_INTEQ(open_s(TEXT "\n" PETER_SIG, epe, 3), 0,
	    "unused duplicated verifier is fine");

	/* Go: repeated and unknown signatures, one of them corrupt. */
	msg = splice(ENOCH_SIG, 60, "ABCD");
	many = malloc(4096);
	snprintf(many, 4096, "%s\n%s%s%s%s%s", TEXT, PETER_SIG, PETER_SIG,
	    ENOCH_SIG, ENOCH_SIG, msg);
	T_INTEQ(open_s(many, &peter, 1), 0, "repeated signatures, corrupt "
	    "unknown one ignored");
	T_INTEQ(nver, 1, "Peter counted once");
	free(msg);

	/* Go: a corrupt signature by a known key. */
	msg = splice(PETER_SIG, 60, "ABCD");
	snprintf(many, 4096, "%s\n%s", TEXT, msg);
	T_INTEQ(open_s(many, &peter, 1), -1, "corrupt signature by a known key");
	T_STREQ(err.msg, "signature by PeterNeumann does not verify (key ID "
	    "c74f20a3, line 4)", "message");
	snprintf(many, 4096, "%s\n%s%s", TEXT, PETER_SIG, msg);
	T_INTEQ(open_s(many, &peter, 1), -1, "a second, corrupt signature by "
	    "the same key is not skipped");
	free(msg);

	/* A changed byte of the text, one flipped bit of the signature. */
	snprintf(many, 4096, "%s\n%s", TEXT, PETER_SIG);
	many[3] = 'U';
	T_INTEQ(open_s(many, &peter, 1), -1, "a changed byte in the text fails");
	T_STREQ(err.msg, "signature by PeterNeumann does not verify (key ID "
	    "c74f20a3, line 4)", "message");
	T_INTEQ(err.code, GRACE_EXIT_NEGATIVE, "is a negative verdict");
	snprintf(many, 4096, "%s\n%s", TEXT, PETER_SIG);
	many[strlen(many) - 10] ^= 1; /* 'y' -> 'x' near the end */
	T_INTEQ(open_s(many, &peter, 1), -1, "a changed signature byte fails");

	/* A known name with another key ID is just an unknown key. */
	snprintf(many, 4096, "%s\n%s", TEXT, PETER_SIG);
	memcpy(strstr(many, "x08g"), "xxxx", 4);
	T_INTEQ(open_s(many, &peter, 1), -1, "known name, other key ID");
	T_STREQ(err.msg, "no signature by a known key (signed by "
	    "PeterNeumann+c71c71a3)", "is ignored as unknown");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (open_s(bad[i], &peter, 1) != -1 ||
		    strncmp(err.msg, "malformed note: ", 16) != 0 ||
		    err.code != GRACE_EXIT_INPUT) {
			printf("# bad message %zu accepted or wrong error: %s\n", i,
			    err.msg);
			nbad++;
		}
	}
	T_INTEQ(nbad, 0, "%zu malformed notes rejected as malformed",
	    sizeof bad / sizeof bad[0]);
	T_INTEQ(open_s(bad[6], &peter, 1), -1, "unexpected line");
	T_STREQ(err.msg, "malformed note: line 5: a signature line must start "
	    "with \"\xe2\x80\x94 \" (em dash, space)", "names the line");

	/* At most 100 signatures. */
	free(many);
	many = malloc(strlen(TEXT) + 1 + 101 * strlen(PETER_SIG) + 1);
	strcpy(many, TEXT "\n");
	for (i = 0; i < 100; i++)
		strcat(many, PETER_SIG);
	T_INTEQ(open_s(many, &peter, 1), 0, "100 signatures accepted");
	strcat(many, PETER_SIG);
	T_INTEQ(open_s(many, &peter, 1), -1, "101 signatures rejected");
	T_STREQ(err.msg, "malformed note: line 104: more than 100 signatures",
	    "message");
	T_INTEQ(open_s(many, NULL, 0), -1, "101 unknown signatures rejected");
	T_INTEQ(err.code, GRACE_EXIT_INPUT, "as malformed");
	free(many);

	/* Explicit length: a message need not be NUL-terminated. */
	T_INTEQ(grace_note_open(TEXT "\n" PETER_SIG "junk",
	    strlen(TEXT "\n" PETER_SIG), &peter, 1, NULL, NULL, &err), 0,
	    "only n bytes are read; NULL outputs allowed");

	grace_note_verifier_free(peter);
	grace_note_verifier_free(enoch);
}

int
main(void)
{
	test_keys();
	test_names();
	test_sign();
	test_open();
	return T_DONE();
}
