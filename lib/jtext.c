/* jtext.c - JSON text with its strings decoded in place (jtext.h). */
#include <string.h>

#include "jtext.h"
#include "json.h"
#include "jwalk.h"

int
grace_jtext_decode(struct grace_buf *out, const char *p, size_t n)
{
	size_t i = 0;

	if (grace_buf_reserve(out, n) < 0)
		return -1;
	while (i < n) {
		const char *q = memchr(p + i, '"', n - i);
		size_t start, stop;
		int esc = 0;

		if (!q)
			return grace_buf_add(out, p + i, n - i);
		start = (size_t)(q - p);
		if (grace_buf_add(out, p + i, start - i) < 0)
			return -1;
		stop = grace_jw_string(p, start, n, &esc);
		if (!esc || stop - start < 2 || p[stop - 1] != '"') {
			/* nothing to decode (or cut short: kept as it is) */
			if (grace_buf_add(out, p + start, stop - start) < 0)
				return -1;
		} else if (grace_buf_add(out, "\"", 1) < 0 ||
		    grace_json_unescape(out, p + start, stop - start) < 0 ||
		    grace_buf_add(out, "\"", 1) < 0) {
			return -1;
		}
		i = stop;
	}
	return 0;
}
