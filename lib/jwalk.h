/* jwalk.h - stepping over JSON that grace_json_scan() has already
 * validated: no checks, so much faster than validating again. Used on the
 * hot paths (splicing, reading upstream verdicts, matching conditions), so
 * the functions are inline. Indexes are byte offsets into p; end bounds
 * every step. */
#ifndef GRACE_JWALK_H
#define GRACE_JWALK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

/* Bytes that matter when stepping over strings (1: '"', 2: '\\') and over
 * objects and arrays (3: '{' '[', 4: '}' ']', 1: '"'). */
static const unsigned char grace_jw_in_str_[256] = { ['"'] = 1, ['\\'] = 2 };
static const unsigned char grace_jw_in_obj_[256] = {
	['"'] = 1, ['{'] = 3, ['['] = 3, ['}'] = 4, [']'] = 4,
};

/* Bit 7 of each byte of x that equals the byte in b (b = c * 0x01..01);
 * exact for the lowest such byte, which is all the callers use. */
static inline uint64_t
grace_jw_bytes_eq_(uint64_t x, uint64_t b)
{
	uint64_t y = x ^ b;

	return (y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull;
}

/* The index just past the string literal that starts at p[i] == '"';
 * *esc |= 1 if it holds an escape. */
static inline size_t
grace_jw_string(const char *p, size_t i, size_t end, int *esc)
{
	for (i++; i + 8 <= end;) {
		uint64_t x, m;

		memcpy(&x, p + i, 8);
		m = grace_jw_bytes_eq_(x, '"' * 0x0101010101010101ull) |
		    grace_jw_bytes_eq_(x, '\\' * 0x0101010101010101ull);
		if (!m) {
			i += 8;
			continue;
		}
		i += (size_t)__builtin_ctzll(m) >> 3;
		if (p[i] == '"')
			return i + 1;
		*esc = 1;
		i += 2;
	}
	for (; i < end; i++) {
		unsigned char t = grace_jw_in_str_[(unsigned char)p[i]];

		if (t == 1)
			return i + 1;
		if (t == 2) {
			*esc = 1;
			i++;
		}
	}
	return end;
}

/* The index just past the value that starts at p[i]. */
static inline size_t
grace_jw_value(const char *p, size_t i, size_t end)
{
	int depth = 0, esc = 0;

	if (p[i] == '"')
		return grace_jw_string(p, i, end, &esc);
	if (p[i] != '{' && p[i] != '[') {
		while (i < end && p[i] != ',' && p[i] != '}' && p[i] != ']' &&
		    p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			i++;
		return i;
	}
	while (i < end) {
		unsigned char t = grace_jw_in_obj_[(unsigned char)p[i]];

		if (!t) {
			i++;
		} else if (t == 1) {
			i = grace_jw_string(p, i, end, &esc);
		} else if (t == 3) {
			depth++;
			i++;
		} else {
			i++;
			if (--depth == 0)
				return i;
		}
	}
	return end;
}

/* The index of the first byte at or after i that is not JSON white space. */
static inline size_t
grace_jw_ws(const char *p, size_t i, size_t end)
{
	while (i < end && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	return i;
}

/* The kind of the valid value whose first byte is c. */
static inline enum grace_jkind
grace_jw_kind(char c)
{
	switch (c) {
	case '"': return GRACE_J_STRING;
	case '{': return GRACE_J_OBJECT;
	case '[': return GRACE_J_ARRAY;
	case 't': return GRACE_J_TRUE;
	case 'f': return GRACE_J_FALSE;
	case 'n': return GRACE_J_NULL;
	default: return GRACE_J_NUMBER;
	}
}

#endif
