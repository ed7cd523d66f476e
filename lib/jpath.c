/* jpath.c - member paths ("data.host") over the raw bytes of an event
 * that grace_json_scan() validated already: no jv is built. */
#include <string.h>

#include "jpath.h"
#include "jwalk.h"

int
grace_jpath_member(const char *p, size_t off, size_t len, const char *key,
    struct grace_jspan *out, struct grace_buf *tmp)
{
	size_t i = off + 1, end = off + len, klen = strlen(key);
	int found = 0;

	for (;;) {
		size_t ks, ke, vs, ve;
		int esc = 0;

		i = grace_jw_ws(p, i, end);
		if (i >= end || p[i] != '"')
			return found;
		ks = i;
		ke = grace_jw_string(p, i, end, &esc);
		i = grace_jw_ws(p, ke, end) + 1;   /* past ':' */
		vs = grace_jw_ws(p, i, end);
		ve = grace_jw_value(p, vs, end);
		if (!esc) {
			if (ke - ks - 2 == klen &&
			    memcmp(p + ks + 1, key, klen) == 0)
				goto hit;
		} else {
			grace_buf_reset(tmp);
			if (grace_json_unescape(tmp, p + ks, ke - ks) == 0 &&
			    tmp->len == klen && memcmp(tmp->p, key, klen) == 0)
				goto hit;
		}
		goto next;
hit:
		out->off = vs;
		out->len = ve - vs;
		out->kind = grace_jw_kind(p[vs]);
		found = 1;
next:
		i = grace_jw_ws(p, ve, end);
		if (i < end && p[i] == ',')
			i++;
		else
			return found;
	}
}

int
grace_jpath_text(const char *p, size_t n, char *const *segs, size_t nsegs,
    struct grace_buf *b, struct grace_buf *tmp)
{
	struct grace_jspan s = { 0, n, GRACE_J_OBJECT };
	size_t i;

	grace_buf_reset(b);
	for (i = 0; i < nsegs; i++) {
		if (s.kind != GRACE_J_OBJECT ||
		    !grace_jpath_member(p, s.off, s.len, segs[i], &s, tmp))
			return grace_buf_add(b, "", 0) < 0 ? -1 : 0;
	}
	if (s.kind == GRACE_J_STRING)
		return grace_json_unescape(b, p + s.off, s.len) < 0 ? -1 : 1;
	if (s.kind == GRACE_J_NULL)
		return grace_buf_add(b, "", 0) < 0 ? -1 : 0;
	return grace_buf_add(b, p + s.off, s.len) < 0 ? -1 : 1;
}

int
grace_jpath_join(const char *p, size_t n, char *const *segs, size_t nsegs,
    const char *sep, struct grace_buf *b, struct grace_buf *tmp)
{
	struct grace_jspan s = { 0, n, GRACE_J_OBJECT };
	size_t i, end, k = 0;

	for (i = 0; i < nsegs; i++)
		if (s.kind != GRACE_J_OBJECT ||
		    !grace_jpath_member(p, s.off, s.len, segs[i], &s, tmp))
			return grace_jpath_text(p, n, segs, nsegs, b, tmp);
	if (s.kind != GRACE_J_ARRAY)
		return grace_jpath_text(p, n, segs, nsegs, b, tmp);
	grace_buf_reset(b);
	end = s.off + s.len - 1;      /* the ']' */
	for (i = grace_jw_ws(p, s.off + 1, end); i < end;) {
		size_t ve = grace_jw_value(p, i, end);
		int x;

		if (k++ && grace_buf_adds(b, sep) < 0)
			return -1;
		x = p[i] == '"' ? grace_json_unescape(b, p + i, ve - i) :
		    grace_buf_add(b, p + i, ve - i);
		if (x < 0)
			return -1;
		i = grace_jw_ws(p, ve, end);
		if (i < end && p[i] == ',')
			i = grace_jw_ws(p, i + 1, end);
	}
	return grace_buf_add(b, "", 0) < 0 ? -1 : 1;
}
