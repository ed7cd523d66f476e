/* fuzz_lines.c - the NDJSON line reader (lib/lines.h) against a model.
 *
 * Input: byte 0 picks the line limit (1..64), byte 1 the buffer size
 * (limit+1 .. limit+32, far below the 1 MiB the reader starts with, so
 * that the grow, move and skip paths run on small inputs); the rest is
 * read from a file. Every line the reader hands out, its number, its
 * TOOLONG verdict and the unterminated flag must be what splitting the
 * bytes at '\n' gives. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "lines.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_lines r;
	struct grace_err e;
	char path[64];
	size_t max, cap, pos;
	unsigned long want_no = 0;
	const char *in;
	size_t n;
	int fd;

	if (size < 2)
		return 0;
	max = 1 + data[0] % 64;
	cap = max + 1 + data[1] % 32;
	in = (const char *)data + 2;
	n = size - 2;
	if (fuzz_file(0, (const uint8_t *)in, n, path) < 0)
		return 0;
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	if (grace_lines_init(&r, fd, "fuzz", max) < 0) {
		close(fd);
		return 0;
	}
	free(r.buf);
	r.cap = cap;
	if (!(r.buf = malloc(cap)))
		abort();
	pos = 0;
	for (;;) {
		const char *line, *nl;
		size_t len, seg;
		int t = grace_lines_next(&r, &line, &len, &e);

		if (pos == n) {
			if (t != GRACE_LINE_EOF)
				abort();
			break;
		}
		nl = memchr(in + pos, '\n', n - pos);
		seg = nl ? (size_t)(nl - (in + pos)) : n - pos;
		want_no++;
		if (r.lineno != want_no)
			abort();
		if (seg > max) {
			if (t != GRACE_LINE_TOOLONG)
				abort();
		} else {
			if (t != GRACE_LINE_OK || len != seg ||
			    memcmp(line, in + pos, seg) != 0 ||
			    r.unterminated != !nl)
				abort();
		}
		pos += seg + (nl != NULL);
	}
	grace_lines_free(&r);
	close(fd);
	return 0;
}
