/* base64.c - strict RFC 4648 base64 (standard alphabet, padded).
 *
 * The character <-> value maps are arithmetic rather than table lookups so
 * that encoding or decoding a private key does not leak it through the
 * cache.  They rely on >> of a negative int being arithmetic, which holds
 * for every compiler we build with (GCC and Clang define it so). */
#include "log.h"

/* 0..63 -> 'A'..'Z' 'a'..'z' '0'..'9' '+' '/'. */
static char
b64_char(unsigned v)
{
	unsigned c = v + 'A';

	c += ((25u - v) >> 8) & 6;  /* v >= 26: 'a' + (v - 26) */
	c -= ((51u - v) >> 8) & 75; /* v >= 52: '0' + (v - 52) */
	c -= ((61u - v) >> 8) & 15; /* v >= 62: '+' */
	c += ((62u - v) >> 8) & 3;  /* v == 63: '/' */
	return (char)c;
}

/* The value of base64 character c (0..255), or -1. Each term adds its
 * offset only when c lies inside its range: (lo-1-c) & (c-hi-1) is
 * negative (and >= -256) exactly then, so ">> 8" gives an all-ones mask. */
static int
b64_value(int c)
{
	int r = -1;

	r += ((('A' - 1 - c) & (c - 'Z' - 1)) >> 8) & (c - 'A' + 1);
	r += ((('a' - 1 - c) & (c - 'z' - 1)) >> 8) & (c - 'a' + 27);
	r += ((('0' - 1 - c) & (c - '9' - 1)) >> 8) & (c - '0' + 53);
	r += ((('+' - 1 - c) & (c - '+' - 1)) >> 8) & 63;
	r += ((('/' - 1 - c) & (c - '/' - 1)) >> 8) & 64;
	return r;
}

size_t
grace_b64_encode(const uint8_t *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		unsigned w = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char(w >> 12 & 63);
		out[o++] = b64_char(w >> 6 & 63);
		out[o++] = b64_char(w & 63);
	}
	if (n - i == 1) {
		unsigned w = (unsigned)p[i] << 16;

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char(w >> 12 & 63);
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned w = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char(w >> 12 & 63);
		out[o++] = b64_char(w >> 6 & 63);
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

int
grace_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap,
    size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t pad = 0, len, i, o = 0;
	int bad = 0;

	if (n % 4 != 0)
		return -1;
	if (n == 0) {
		*outlen = 0;
		return 0;
	}
	if (u[n - 1] == '=')
		pad = u[n - 2] == '=' ? 2 : 1;
	len = n / 4 * 3 - pad;
	if (len > cap)
		return -1;
	for (i = 0; i < n; i += 4) {
		int a = b64_value(u[i]), b = b64_value(u[i + 1]), c, d;
		int last = i + 4 == n;

		bad |= (a | b) & ~63; /* only -1 has bits above 63 */
		if (last && pad == 2) {
			bad |= b & 15; /* bits that fall outside the byte */
			out[o++] = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
			break;
		}
		c = b64_value(u[i + 2]);
		bad |= c & ~63;
		if (last && pad == 1) {
			bad |= c & 3;
			out[o++] = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
			out[o++] = (uint8_t)((b & 15) << 4 | (c & 63) >> 2);
			break;
		}
		d = b64_value(u[i + 3]);
		bad |= d & ~63;
		out[o++] = (uint8_t)((a & 63) << 2 | (b & 63) >> 4);
		out[o++] = (uint8_t)((b & 15) << 4 | (c & 63) >> 2);
		out[o++] = (uint8_t)((c & 3) << 6 | (d & 63));
	}
	if (bad)
		return -1;
	*outlen = o;
	return 0;
}
