/* lines.h - a large-buffer NDJSON line reader.
 *
 * Reads a file descriptor in big chunks and hands out lines without their
 * '\n', counting line numbers from 1. A line longer than the limit is
 * skipped whole and reported; a last line without '\n' is returned and
 * flagged. Lines point into the reader's buffer and stay valid until the
 * next call that reads (grace_lines_next() or grace_lines_fill()).
 */
#ifndef GRACE_LINES_H
#define GRACE_LINES_H

#include <stddef.h>

#include "err.h"

#define GRACE_LINES_DEFAULT_MAX (1024 * 1024)

struct grace_lines {
	int fd;
	const char *name;       /* for messages: a path or "<stdin>" */
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	size_t max;             /* longest accepted line, '\n' excluded */
	unsigned long lineno;   /* number of the line last returned */
	unsigned long long offset; /* file offset of buf[start] */
	int eof;                /* read() returned 0 */
	int skipping;           /* discarding the rest of a too-long line */
	int unterminated;       /* the line last returned had no '\n' */
	unsigned long long limit; /* if nonzero, read no more than this many bytes */
	unsigned long long nread; /* bytes read so far */
};

enum {
	GRACE_LINE_EOF = 0,     /* no more input */
	GRACE_LINE_OK = 1,      /* *line, *len set */
	GRACE_LINE_TOOLONG = 2, /* the line (lineno) was longer than max: skipped */
	GRACE_LINE_AGAIN = 3,   /* only from grace_lines_buffered(): nothing complete buffered */
};

/* Set up r to read fd (borrowed: not closed by grace_lines_free()).
 * max is the longest line accepted (0: GRACE_LINES_DEFAULT_MAX).
 * Returns 0, or -1 when out of memory. */
int grace_lines_init(struct grace_lines *r, int fd, const char *name,
    size_t max);
void grace_lines_free(struct grace_lines *r);

/* Next line, reading as needed (may block). Returns GRACE_LINE_OK,
 * GRACE_LINE_TOOLONG, GRACE_LINE_EOF, or -1 on a read error (e filled). */
int grace_lines_next(struct grace_lines *r, const char **line, size_t *len,
    struct grace_err *e);

/* Like grace_lines_next() but never reads: GRACE_LINE_AGAIN when no whole
 * line is buffered (and input is not at its end). */
int grace_lines_buffered(struct grace_lines *r, const char **line,
    size_t *len, struct grace_err *e);

/* Read once more into the buffer (blocking). Returns 1 if bytes came, 0 at
 * end of input, -1 on error (e filled). */
int grace_lines_fill(struct grace_lines *r, struct grace_err *e);

/* 1 if input can be read now without blocking (poll with no wait), or is
 * a regular file; 0 otherwise. */
int grace_lines_ready(const struct grace_lines *r);

#endif
