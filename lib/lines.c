/* lines.c - large-buffer line reader with a line-length limit. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"

#define CHUNK (1 << 20)

int
grace_lines_init(struct grace_lines *r, int fd, const char *name, size_t max)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->max = max ? max : GRACE_LINES_DEFAULT_MAX;
	r->cap = CHUNK;
	if (r->max + 1 > r->cap)
		r->cap = r->max + 1 < 16u * CHUNK ? r->max + 1 : 16u * CHUNK;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -1;
}

void
grace_lines_free(struct grace_lines *r)
{
	free(r->buf);
	r->buf = NULL;
}

int
grace_lines_fill(struct grace_lines *r, struct grace_err *e)
{
	ssize_t got;
	size_t want;

	if (r->eof)
		return 0;
	if (r->start > 0 && (r->end == r->cap || r->start > r->cap / 2)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		/* A partial line fills the buffer: grow, or start skipping. */
		size_t ncap = r->cap * 2;
		char *nb;

		if (r->end - r->start > r->max) {
			r->skipping = 1;
			r->offset += r->end - r->start;
			r->start = r->end = 0;
		} else {
			nb = realloc(r->buf, ncap);
			if (!nb)
				return grace_err_sys(e, r->name, "unable to read");
			r->buf = nb;
			r->cap = ncap;
		}
	}
	want = r->cap - r->end;
	if (r->limit) {
		if (r->nread >= r->limit) {
			r->eof = 1;
			return 0;
		}
		if (want > r->limit - r->nread)
			want = (size_t)(r->limit - r->nread);
	}
	do
		got = read(r->fd, r->buf + r->end, want);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return grace_err_sys(e, r->name, "unable to read");
	if (got == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)got;
	r->nread += (unsigned long long)got;
	return 1;
}

/* Take a line from the buffer if a whole one is there. */
static int
take(struct grace_lines *r, const char **line, size_t *len)
{
	char *s = r->buf + r->start;
	char *nl = memchr(s, '\n', r->end - r->start);
	size_t n;

	if (r->skipping) {
		if (!nl) {
			r->offset += r->end - r->start;
			r->start = r->end = 0;
			if (r->eof) {
				r->skipping = 0;
				r->lineno++;
				return GRACE_LINE_TOOLONG;
			}
			return GRACE_LINE_AGAIN;
		}
		r->skipping = 0;
		r->lineno++;
		r->offset += (size_t)(nl + 1 - s);
		r->start += (size_t)(nl + 1 - s);
		return GRACE_LINE_TOOLONG;
	}
	if (!nl) {
		n = r->end - r->start;
		if (n > r->max) {
			r->skipping = 1;
			return take(r, line, len);
		}
		if (!r->eof || n == 0)
			return r->eof ? GRACE_LINE_EOF : GRACE_LINE_AGAIN;
		r->unterminated = 1;
		r->lineno++;
		*line = s;
		*len = n;
		r->offset += n;
		r->start = r->end;
		return GRACE_LINE_OK;
	}
	n = (size_t)(nl - s);
	r->lineno++;
	r->offset += n + 1;
	r->start += n + 1;
	if (n > r->max)
		return GRACE_LINE_TOOLONG;
	r->unterminated = 0;
	*line = s;
	*len = n;
	return GRACE_LINE_OK;
}

int
grace_lines_buffered(struct grace_lines *r, const char **line, size_t *len,
    struct grace_err *e)
{
	(void)e;
	return take(r, line, len);
}

int
grace_lines_next(struct grace_lines *r, const char **line, size_t *len,
    struct grace_err *e)
{
	for (;;) {
		int t = take(r, line, len);

		if (t != GRACE_LINE_AGAIN)
			return t;
		if (grace_lines_fill(r, e) < 0)
			return -1;
	}
}

int
grace_lines_ready(const struct grace_lines *r)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	if (r->eof)
		return 1;
	return poll(&p, 1, 0) > 0;
}
