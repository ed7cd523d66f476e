/* sha256.c - SHA-256 through libcrypto's EVP interface, and hex. */
#include <stdlib.h>

#include <openssl/evp.h>

#include "sha256.h"

struct grace_sha256 {
	EVP_MD_CTX *ctx;
	EVP_MD *md;
};

struct grace_sha256 *
grace_sha256_new(void)
{
	struct grace_sha256 *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->ctx = EVP_MD_CTX_new();
	if (!c->md || !c->ctx) {
		grace_sha256_free(c);
		return NULL;
	}
	return c;
}

void
grace_sha256_free(struct grace_sha256 *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->ctx);
	EVP_MD_free(c->md);
	free(c);
}

int
grace_sha256_init(struct grace_sha256 *c)
{
	return EVP_DigestInit_ex(c->ctx, c->md, NULL) == 1 ? 0 : -1;
}

int
grace_sha256_update(struct grace_sha256 *c, const void *p, size_t n)
{
	return EVP_DigestUpdate(c->ctx, p, n) == 1 ? 0 : -1;
}

int
grace_sha256_final(struct grace_sha256 *c, uint8_t out[GRACE_SHA256_LEN])
{
	return EVP_DigestFinal_ex(c->ctx, out, NULL) == 1 ? 0 : -1;
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
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
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
