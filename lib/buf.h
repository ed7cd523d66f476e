/* buf.h - a growable byte buffer, and JSON string escaping into it. */
#ifndef GRACE_BUF_H
#define GRACE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct grace_buf {
	char *p;     /* NUL-terminated whenever cap > 0 */
	size_t len;
	size_t cap;
};

/* Make room for n more bytes (plus the NUL). Returns 0, or -1 with errno
 * ENOMEM; on failure the buffer is unchanged. */
int grace_buf_reserve(struct grace_buf *b, size_t n);
/* Append n bytes / a C string / a formatted string. Return 0 or -1 (ENOMEM).
 * The source (or a %s argument) may point into b itself, for example at
 * a mark inside it: it is read from where it is after any realloc. */
int grace_buf_add(struct grace_buf *b, const void *p, size_t n);
int grace_buf_adds(struct grace_buf *b, const char *s);
/* Append one byte: grace_buf_add(b, &ch, 1), in line when there is
 * room (a newline after each line written). */
static inline int
grace_buf_addc(struct grace_buf *b, char ch)
{
	if (b->len + 1 < b->cap) {
		b->p[b->len++] = ch;
		b->p[b->len] = '\0';
		return 0;
	}
	return grace_buf_add(b, &ch, 1);
}
int grace_buf_vaddf(struct grace_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
int grace_buf_addf(struct grace_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append a decimal unsigned integer. */
int grace_buf_addu(struct grace_buf *b, uint64_t v);
/* Append s[0..n) as a JSON string literal, quotes included. Control
 * characters are escaped; bytes that are not valid UTF-8 become U+FFFD,
 * so the result is always valid JSON whatever s holds. s may point into
 * b itself. */
int grace_buf_add_jstr(struct grace_buf *b, const char *s, size_t n);
/* Replace b->p[off .. off + len) (within b) by src[0..n), which must
 * not point into b. Returns 0, or -1 (ENOMEM) with b unchanged. */
int grace_buf_replace(struct grace_buf *b, size_t off, size_t len,
    const void *src, size_t n);
/* Forget the contents, keep the memory. */
void grace_buf_reset(struct grace_buf *b);
/* Release the memory; the buffer is empty and reusable afterwards. */
void grace_buf_free(struct grace_buf *b);

/* Length of the valid UTF-8 sequence at p[0..n), 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t grace_utf8_seqlen(const unsigned char *p, size_t n);

#endif
