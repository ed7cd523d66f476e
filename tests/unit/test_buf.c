/* test_buf.c - the growable buffer: appends whose source is the buffer
 * itself, across the realloc that moves it. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "t.h"

int
main(void)
{
	struct grace_buf b = { 0 };
	char want[1024];
	size_t i;
	int rc;

	/* 200 bytes in a 256-byte buffer; appending them to themselves
	 * needs 401 bytes, so the buffer moves while being read. */
	for (i = 0; i < 200; i++)
		want[i] = (char)('a' + i % 26);
	grace_buf_add(&b, want, 200);
	T_INTEQ(b.cap, 256, "first buffer is 256 bytes");
	rc = grace_buf_add(&b, b.p, b.len);
	memcpy(want + 200, want, 200);
	want[400] = '\0';
	T_INTEQ(rc, 0, "self-append succeeds");
	T_INTEQ(b.len, 400, "self-append doubles the length");
	T_OK(b.cap > 256, "the buffer moved (cap %zu)", b.cap);
	T_STREQ(b.p, want, "self-append copies the old bytes");

	/* A mark inside the buffer, as a caller keeps one. */
	grace_buf_reset(&b);
	grace_buf_adds(&b, "head:");
	for (i = 0; i < 250; i++)
		grace_buf_add(&b, "x", 1);
	rc = grace_buf_add(&b, b.p + 5, 250);
	T_INTEQ(rc, 0, "append of a tail of the buffer");
	T_INTEQ(b.len, 505, "length");
	T_OK(b.p[504] == 'x' && b.p[255] == 'x' && memcmp(b.p, "head:", 5) == 0,
	    "tail copied");

	/* add_jstr: escaping grows the text (a quote becomes two bytes). */
	grace_buf_free(&b);
	for (i = 0; i < 230; i++)
		grace_buf_add(&b, i % 2 ? "\"" : "y", 1);
	rc = grace_buf_add_jstr(&b, b.p, 230);
	T_INTEQ(rc, 0, "self add_jstr succeeds");
	T_INTEQ(b.len, 230 + 2 + 230 + 115, "escaped length");
	T_OK(b.p[230] == '"' && b.p[231] == 'y' && b.p[232] == '\\' &&
	    b.p[233] == '"' && b.p[b.len - 1] == '"', "escaped copy");

	/* addf with a %s argument that is the buffer. */
	grace_buf_free(&b);
	for (i = 0; i < 240; i++)
		grace_buf_add(&b, "z", 1);
	rc = grace_buf_addf(&b, "[%s]", b.p);
	T_INTEQ(rc, 0, "self addf succeeds");
	T_INTEQ(b.len, 482, "addf length");
	T_OK(b.p[240] == '[' && b.p[241] == 'z' && b.p[480] == 'z' &&
	    b.p[481] == ']' && b.p[482] == '\0', "addf copy");
	/* and a long one, past the scratch space */
	rc = grace_buf_addf(&b, "%s%s", b.p, b.p);
	T_INTEQ(rc, 0, "long self addf succeeds");
	T_INTEQ(b.len, 482 * 3, "long addf length");
	T_OK(memcmp(b.p, b.p + 482, 482) == 0 &&
	    memcmp(b.p, b.p + 964, 482) == 0, "long addf copy");
	grace_buf_free(&b);
	return T_DONE();
}
