/* test_base64.c - RFC 4648 base64: the section 10 test vectors, the whole
 * alphabet, strict rejection, and agreement with libcrypto's encoder. */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "log/log.h"
#include "t.h"

/* T_OK evaluates its condition twice; this evaluates it once, so the
 * condition may have side effects. */
#define T_TRUE(cond, ...) T_INTEQ(!!(cond), 1, __VA_ARGS__)

static int
dec_ok(const char *s, const char *want_hex)
{
	uint8_t out[128];
	char hex[257];
	size_t len = 999;

	if (grace_b64_decode(s, strlen(s), out, sizeof out, &len) < 0)
		return 0;
	grace_hex_encode(out, len, hex);
	return strcmp(hex, want_hex) == 0;
}

static int
dec_fails(const char *s)
{
	uint8_t out[128];
	size_t len;

	return grace_b64_decode(s, strlen(s), out, sizeof out, &len) == -1;
}

int
main(void)
{
	/* RFC 4648 section 10. */
	static const char *vec[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char alphabet_hex[] =
	    "00108310518720928b30d38f41149351559761969b71d79f8218a39259a7a29a"
	    "abb2dbafc31cb3d35db7e39ebbf3dfbf";
	char enc[GRACE_B64_ENCLEN(300)], ref[GRACE_B64_ENCLEN(300)];
	uint8_t buf[300], out[300];
	size_t i, len, n;
	int c, bad;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		n = strlen(vec[i][0]);
		len = grace_b64_encode((const uint8_t *)vec[i][0], n, enc);
		T_STREQ(enc, vec[i][1], "encode \"%s\"", vec[i][0]);
		T_INTEQ(len, strlen(vec[i][1]), "encode \"%s\" length", vec[i][0]);
		T_INTEQ(GRACE_B64_ENCLEN(n), strlen(vec[i][1]) + 1,
		    "GRACE_B64_ENCLEN(%zu)", n);
		memset(out, 0, sizeof out);
		T_TRUE(grace_b64_decode(vec[i][1], strlen(vec[i][1]), out, n,
		    &len) == 0 && len == n && memcmp(out, vec[i][0], n) == 0,
		    "decode \"%s\" into exactly %zu bytes", vec[i][1], n);
	}

	T_TRUE(dec_ok(alphabet, alphabet_hex), "decode the whole alphabet");
	grace_hex_decode(alphabet_hex, buf, 48);
	grace_b64_encode(buf, 48, enc);
	T_STREQ(enc, alphabet, "encode gives the whole alphabet back");
	T_TRUE(dec_ok("+/+/", "fbffbf"), "'+' is 62 and '/' is 63");
	T_TRUE(dec_ok("AAAA", "000000"), "AAAA is three zero bytes");
	T_TRUE(dec_ok("////", "ffffff"), "//// is three 0xff bytes");

	/* Wrong lengths, misplaced or excess padding. */
	T_TRUE(dec_fails("Zg="), "length not a multiple of 4");
	T_TRUE(dec_fails("Zg"), "missing padding");
	T_TRUE(dec_fails("Z"), "a single character");
	T_TRUE(dec_fails("Z==="), "three padding characters");
	T_TRUE(dec_fails("===="), "only padding");
	T_TRUE(dec_fails("Zg==Zg=="), "padding in the middle");
	T_TRUE(dec_fails("Zm=v"), "'=' before a data character");
	T_TRUE(dec_fails("=m9v"), "'=' first");
	T_TRUE(dec_fails("Zm9v===="), "a quad of padding at the end");
	/* Non-canonical trailing bits: Zg== is 'f'; Zh== would also be 'f'. */
	T_TRUE(dec_fails("Zh=="), "non-zero bits before '==' (Zh==)");
	T_TRUE(dec_fails("Zm9="), "non-zero bits before '=' (Zm9=)");
	T_TRUE(dec_fails("Zm/="), "non-zero bits before '=' (Zm/=)");
	T_TRUE(dec_ok("Zm8=", "666f"), "canonical Zm8= accepted");
	/* White space and foreign characters. */
	T_TRUE(dec_fails("Zm9v\n"), "trailing newline");
	T_TRUE(dec_fails("Zm9v\nYmFy"), "embedded newline");
	T_TRUE(dec_fails("Zm 9"), "embedded space");
	T_TRUE(dec_fails("Zm9-"), "URL-safe '-'");
	T_TRUE(dec_fails("Zm9_"), "URL-safe '_'");
	bad = 0;
	for (c = 0; c < 256; c++) {
		char s[5] = "AAAA";
		int valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/';

		s[1] = (char)c;
		if (grace_b64_decode(s, 4, out, sizeof out, &len) != (valid ? 0 : -1))
			bad++;
		if (c == 0 && grace_b64_decode(s, 4, out, sizeof out, &len) != -1)
			bad++; /* explicit length: an embedded NUL is a character */
	}
	T_INTEQ(bad, 0, "each of the 256 byte values is accepted iff in the alphabet");

	/* Capacity. */
	T_TRUE(grace_b64_decode("Zm9vYmFy", 8, out, 5, &len) == -1,
	    "6 bytes do not fit in cap 5");
	T_TRUE(grace_b64_decode("Zm9vYmE=", 8, out, 5, &len) == 0 && len == 5,
	    "5 bytes fit in cap 5");
	T_TRUE(grace_b64_decode("", 0, NULL, 0, &len) == 0 && len == 0,
	    "empty input decodes to nothing");
	T_INTEQ(GRACE_B64_DECLEN(44), 33, "GRACE_B64_DECLEN(44)");
	T_TRUE(grace_b64_decode("Zm9vYmFyXXXX", 8, out, sizeof out, &len) == 0 &&
	    len == 6, "only the first n characters are read");

	/* Agreement with EVP_EncodeBlock, and round trips, for 0..300 bytes. */
	bad = 0;
	for (n = 0; n <= 300; n++) {
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)(i * 131 + n * 7 + 3);
		len = grace_b64_encode(buf, n, enc);
		EVP_EncodeBlock((unsigned char *)ref, buf, (int)n);
		if (strcmp(enc, ref) != 0 || len != strlen(ref) ||
		    len + 1 != GRACE_B64_ENCLEN(n))
			bad++;
		if (grace_b64_decode(enc, len, out, n, &i) < 0 || i != n ||
		    memcmp(out, buf, n) != 0)
			bad++;
	}
	T_INTEQ(bad, 0, "encode matches EVP_EncodeBlock and decodes back, "
	    "for every length 0..300");
	return T_DONE();
}
