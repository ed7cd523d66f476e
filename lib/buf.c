/* buf.c - growable byte buffer and JSON string escaping. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
grace_buf_reserve(struct grace_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX / 2 - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Whether p points into b's memory: the source of an append may be the
 * buffer itself (a mark inside it), which a realloc would free. */
static int
inside(const struct grace_buf *b, const void *p)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)b->p;

	return b->cap && a >= lo && a < lo + b->cap;
}

int
grace_buf_add(struct grace_buf *b, const void *p, size_t n)
{
	if (inside(b, p)) {
		/* Keep the offset across the realloc; the source lies below
		 * b->len, so it does not overlap what is written. */
		size_t off = (size_t)((const char *)p - b->p);

		if (grace_buf_reserve(b, n) < 0)
			return -1;
		p = b->p + off;
	} else if (grace_buf_reserve(b, n) < 0) {
		return -1;
	}
	if (n)
		memmove(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
grace_buf_adds(struct grace_buf *b, const char *s)
{
	return grace_buf_add(b, s, strlen(s));
}

/* Formatted into a scratch buffer first, then appended: an argument may
 * point into b itself, which neither a realloc nor vsnprintf writing
 * over its terminator may disturb while it is read. */
int
grace_buf_vaddf(struct grace_buf *b, const char *fmt, va_list ap)
{
	char small[256], *big;
	va_list again;
	int n, rc;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0 || (size_t)n < sizeof small) {
		va_end(again);
		return n < 0 ? -1 : grace_buf_add(b, small, (size_t)n);
	}
	if (!(big = malloc((size_t)n + 1))) {
		va_end(again);
		return -1;
	}
	vsnprintf(big, (size_t)n + 1, fmt, again);
	va_end(again);
	rc = grace_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

int
grace_buf_addf(struct grace_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = grace_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
grace_buf_addu(struct grace_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return grace_buf_add(b, tmp + i, sizeof tmp - i);
}

size_t
grace_utf8_seqlen(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && p[1] >= 0xA0)
			return 0; /* surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xF4 && p[1] >= 0x90)
			return 0; /* above U+10FFFF */
		return 4;
	}
	return 0;
}

int
grace_buf_add_jstr(struct grace_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;

	if (n && inside(b, s)) {
		/* Escaping can outgrow any reservation and move b: work from
		 * a copy of the source. */
		char *copy = malloc(n);
		int rc;

		if (!copy)
			return -1;
		memcpy(copy, s, n);
		rc = grace_buf_add_jstr(b, copy, n);
		free(copy);
		return rc;
	}
	if (grace_buf_reserve(b, n + 2) < 0 || grace_buf_add(b, "\"", 1) < 0)
		return -1;
	while (i < n) {
		run = i;
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 &&
		    p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i && grace_buf_add(b, p + i, run - i) < 0)
			return -1;
		i = run;
		if (i >= n)
			break;
		if (p[i] >= 0x80) {
			size_t l = grace_utf8_seqlen(p + i, n - i);

			if (l == 0) {
				if (grace_buf_add(b, "\xEF\xBF\xBD", 3) < 0)
					return -1;
				i++;
			} else {
				if (grace_buf_add(b, p + i, l) < 0)
					return -1;
				i += l;
			}
			continue;
		}
		switch (p[i]) {
		case '"': if (grace_buf_add(b, "\\\"", 2) < 0) return -1; break;
		case '\\': if (grace_buf_add(b, "\\\\", 2) < 0) return -1; break;
		case '\n': if (grace_buf_add(b, "\\n", 2) < 0) return -1; break;
		case '\t': if (grace_buf_add(b, "\\t", 2) < 0) return -1; break;
		case '\r': if (grace_buf_add(b, "\\r", 2) < 0) return -1; break;
		default:
			if (grace_buf_addf(b, "\\u%04x", p[i]) < 0)
				return -1;
		}
		i++;
	}
	return grace_buf_add(b, "\"", 1);
}

int
grace_buf_replace(struct grace_buf *b, size_t off, size_t len,
    const void *src, size_t n)
{
	size_t tail = b->len - off - len;

	if (n > len && grace_buf_reserve(b, n - len) < 0)
		return -1;
	memmove(b->p + off + n, b->p + off + len, tail);
	memcpy(b->p + off, src, n);
	b->len = off + n + tail;
	b->p[b->len] = '\0';
	return 0;
}

void
grace_buf_reset(struct grace_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->p[0] = '\0';
}

void
grace_buf_free(struct grace_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
