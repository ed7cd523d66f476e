/* sha256.c - SHA-256 through libcrypto, and hex.
 *
 * Why not EVP: on OpenSSL 3.0 every EVP_DigestInit_ex() of a provider
 * digest frees and allocates the provider context, and the log hashes one
 * short record at a time (two million a second in verify): perf showed
 * malloc/free and the EVP dispatch at over 10% of verify. libcrypto's
 * SHA256_Init/Update/Final are deprecated in 3.0 but present, use the same
 * assembly (SHA-NI where the CPU has it) and keep their state on our side:
 * no allocation per hash. Everything else (Ed25519) uses EVP. */
#define OPENSSL_API_COMPAT 0x10100000L
#include <stdlib.h>

#include <openssl/sha.h>

#include "log.h"

struct grace_sha256 {
	SHA256_CTX ctx;
};

struct grace_sha256 *
grace_sha256_new(void)
{
	return calloc(1, sizeof(struct grace_sha256));
}

void
grace_sha256_free(struct grace_sha256 *c)
{
	free(c);
}

int
grace_sha256_init(struct grace_sha256 *c)
{
	return SHA256_Init(&c->ctx) == 1 ? 0 : -1;
}

int
grace_sha256_update(struct grace_sha256 *c, const void *p, size_t n)
{
	return SHA256_Update(&c->ctx, p, n) == 1 ? 0 : -1;
}

int
grace_sha256_final(struct grace_sha256 *c, uint8_t out[GRACE_SHA256_LEN])
{
	return SHA256_Final(out, &c->ctx) == 1 ? 0 : -1;
}

int
grace_sha256_once(struct grace_sha256 *c, const void *p, size_t n,
    uint8_t out[GRACE_SHA256_LEN])
{
	if (grace_sha256_init(c) < 0 || grace_sha256_update(c, p, n) < 0)
		return -1;
	return grace_sha256_final(c, out);
}

void
grace_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t b = p[i];

		out[2 * i] = digits[b >> 4];
		out[2 * i + 1] = digits[b & 15];
	}
	out[2 * n] = '\0';
}

static int
nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
grace_hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = nibble(s[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
