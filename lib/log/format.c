/* format.c - the log file's records, head discovery, appending, rotation, verification. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fileutil.h"
#include "json.h"
#include "lines.h"
#include "log.h"
#include "log_int.h"

static const char ZERO_HASH[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

#define P_SEQ "{\"seq\":"
#define P_PREV ",\"prev\":\""
#define P_TIME "\",\"time\":\""
#define P_EVENT "\",\"event\":"
#define P_HASH ",\"hash\":\""
#define LIT(s) (sizeof(s) - 1)

/* Longest record line verify accepts: a 64 MiB event plus the wrapper. */
#define MAX_RECORD (64u * 1024 * 1024 + 256)

/* 1 for the lowercase hex digits. */
static const unsigned char lhex[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1,
	['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

/* No early exit: branch-free, so the compiler can vectorise it (this runs
 * twice per record in verify). */
static int
is_lhex(const char *s, size_t n)
{
	unsigned char ok = 1;
	size_t i;

	for (i = 0; i < n; i++)
		ok &= lhex[(unsigned char)s[i]];
	return ok;
}

static int
time_ok(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	int i;

	for (i = 0; i < GRACE_LOG_TIMELEN; i++) {
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return 0;
	}
	return 1;
}

int
grace_log_parse(const char *line, size_t n, struct grace_log_rec *r,
    const char **why)
{
	const char *s = line, *end = line + n;
	uint64_t seq = 0;
	const char *d;

	if (n < LIT(P_SEQ) + 1 + LIT(P_PREV) + 64 + LIT(P_TIME) +
	    GRACE_LOG_TIMELEN + LIT(P_EVENT) + 2 + GRACE_LOG_TAIL)
		return *why = "malformed record: too short", -1;
	if (memcmp(s, P_SEQ, LIT(P_SEQ)) != 0)
		return *why = "malformed record: does not start with {\"seq\":", -1;
	s += LIT(P_SEQ);
	d = s;
	while (s < end && *s >= '0' && *s <= '9') {
		if (seq > (UINT64_MAX - 9) / 10)
			return *why = "malformed record: seq too large", -1;
		seq = seq * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == d || (*d == '0') || s - d > 19)
		return *why = "malformed record: bad seq", -1;
	if ((size_t)(end - s) < LIT(P_PREV) + 64 + LIT(P_TIME) +
	    GRACE_LOG_TIMELEN + LIT(P_EVENT) + 2 + GRACE_LOG_TAIL)
		return *why = "malformed record: too short", -1;
	if (memcmp(s, P_PREV, LIT(P_PREV)) != 0)
		return *why = "malformed record: bad prev", -1;
	r->prev = s + LIT(P_PREV);
	s += LIT(P_PREV) + 64;
	if (memcmp(s, P_TIME, LIT(P_TIME)) != 0 || !time_ok(s + LIT(P_TIME)))
		return *why = "malformed record: bad time", -1;
	r->time = s + LIT(P_TIME);
	s += LIT(P_TIME) + GRACE_LOG_TIMELEN;
	if (memcmp(s, P_EVENT, LIT(P_EVENT)) != 0)
		return *why = "malformed record: bad event", -1;
	s += LIT(P_EVENT);
	d = end - GRACE_LOG_TAIL;
	if (memcmp(d, P_HASH, LIT(P_HASH)) != 0 || d[LIT(P_HASH) + 64] != '"' ||
	    d[LIT(P_HASH) + 65] != '}')
		return *why = "malformed record: bad hash", -1;
	if (*s != '{' || d[-1] != '}')
		return *why = "malformed record: event is not an object", -1;
	r->seq = seq;
	r->event = s;
	r->event_len = (size_t)(d - s);
	r->hash = d + LIT(P_HASH);
	r->hashed_len = (size_t)(d - line);
	return 0;
}

void
grace_log_head_init(struct grace_log_head *h)
{
	memset(h, 0, sizeof *h);
	memcpy(h->hash, ZERO_HASH, sizeof ZERO_HASH);
}

int
grace_log_read_head(int fd, const char *path, struct grace_log_head *h,
    struct grace_err *e)
{
	struct stat st;
	uint64_t size, want = 4096, start, lastnl;
	char *buf = NULL;
	int found_end = 0;

	grace_log_head_init(h);
	if (fstat(fd, &st) < 0)
		return grace_err_sys(e, path, "unable to stat");
	size = (uint64_t)st.st_size;
	if (size == 0)
		return 0;
	/* Find the last newline, then the one before it. */
	lastnl = size;
	for (;;) {
		uint64_t n, i;
		char *nb;

		start = size > want ? size - want : 0;
		n = size - start;
		nb = realloc(buf, n);
		if (!nb) {
			free(buf);
			return grace_err_sys(e, path, "unable to read");
		}
		buf = nb;
		if (grace_pread_all(fd, buf, n, start) < 0) {
			free(buf);
			return grace_err_sys(e, path, "unable to read");
		}
		i = n;
		if (!found_end) {
			while (i > 0 && buf[i - 1] != '\n')
				i--;
			if (i > 0) {
				found_end = 1;
				lastnl = start + i - 1;
				h->torn = size - lastnl - 1;
				i--;
			}
		} else {
			i = lastnl - start;
		}
		if (found_end) {
			while (i > 0 && buf[i - 1] != '\n')
				i--;
			if (i > 0 || start == 0) {
				struct grace_log_rec r;
				const char *why;
				uint64_t ls = start + i;

				if (grace_log_parse(buf + i, lastnl - ls, &r,
				    &why) < 0 || (!is_lhex(r.hash, 64) &&
				    (why = "malformed record: bad hash"))) {
					free(buf);
					grace_err_set(e, path, 0, 0,
					    "last record: %s", why);
					e->code = GRACE_EXIT_NEGATIVE;
					return -1;
				}
				h->seq = r.seq;
				memcpy(h->hash, r.hash, 64);
				h->hash[64] = '\0';
				h->size = lastnl + 1;
				free(buf);
				return 0;
			}
		} else if (start == 0) {
			/* No newline at all: everything is torn. */
			h->torn = size;
			h->size = 0;
			free(buf);
			return 0;
		}
		if (want > MAX_RECORD * 2ull) {
			free(buf);
			grace_err_set(e, path, 0, 0,
			    "last record longer than %u bytes", MAX_RECORD);
			return -1;
		}
		want *= 4;
	}
}

int
grace_log_record(struct grace_buf *out, struct grace_log_head *h,
    const char *t, const char *ev, size_t n, struct grace_sha256 *sha)
{
	uint8_t md[GRACE_SHA256_LEN];
	size_t start = out->len, need;
	char *p;

	if (h->seq >= GRACE_LOG_MAX_SEQ) {
		errno = EOVERFLOW;
		return -1;
	}
	need = 20 + LIT(P_SEQ) + LIT(P_PREV) + 64 + LIT(P_TIME) +
	    GRACE_LOG_TIMELEN + LIT(P_EVENT) + n + GRACE_LOG_TAIL + 1;
	if (grace_buf_reserve(out, need) < 0)
		return -1;
	/* Direct writes: this is the append hot path. */
	p = out->p + out->len;
	memcpy(p, P_SEQ, LIT(P_SEQ));
	p += LIT(P_SEQ);
	{
		char tmp[20];
		int i = 20;
		uint64_t v = h->seq + 1;

		do {
			tmp[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		memcpy(p, tmp + i, (size_t)(20 - i));
		p += 20 - i;
	}
	memcpy(p, P_PREV, LIT(P_PREV));
	p += LIT(P_PREV);
	memcpy(p, h->hash, 64);
	p += 64;
	memcpy(p, P_TIME, LIT(P_TIME));
	p += LIT(P_TIME);
	memcpy(p, t, GRACE_LOG_TIMELEN);
	p += GRACE_LOG_TIMELEN;
	memcpy(p, P_EVENT, LIT(P_EVENT));
	p += LIT(P_EVENT);
	memcpy(p, ev, n);
	p += n;
	if (grace_sha256_once(sha, out->p + start, (size_t)(p - out->p) - start,
	    md) < 0)
		return -1;
	memcpy(p, P_HASH, LIT(P_HASH));
	p += LIT(P_HASH);
	grace_hex_encode(md, sizeof md, h->hash);
	memcpy(p, h->hash, 64);
	p += 64;
	memcpy(p, "\"}\n", 3);
	p += 3;
	out->len = (size_t)(p - out->p);
	out->p[out->len] = '\0';
	h->seq++;
	h->size += out->len - start;
	return 0;
}

/* ---------------------------------------------------------------- append */

/* The log's last seq is GRACE_LOG_MAX_SEQ: no record can follow it. */
static void
full(struct grace_err *e, const char *path, const char *what)
{
	grace_err_set(e, path, 0, 0, "unable to %s: the last record has seq "
	    "%llu, the largest the format allows; no record can follow it "
	    "(nothing was written)", what,
	    (unsigned long long)GRACE_LOG_MAX_SEQ);
	e->code = GRACE_EXIT_SYSTEM;
}

static int
writer_reopen(struct grace_log_writer *w, struct grace_err *e)
{
	struct stat st;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = open(w->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return grace_err_sys(e, w->path, "unable to open");
	if (fstat(w->fd, &st) < 0)
		return grace_err_sys(e, w->path, "unable to stat");
	if (!S_ISREG(st.st_mode))
		return grace_err_set(e, w->path, 0, 0, "not a regular file");
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	w->known_size = UINT64_MAX; /* force a head read under the lock */
	grace_log_once_rewind(w->once); /* a new file: read its ids */
	return 0;
}

int
grace_log_writer_open(struct grace_log_writer *w, const char *path,
    enum grace_log_sync sync, struct grace_err *e)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->sync = sync;
	grace_timefmt_init(&w->tf);
	grace_log_head_init(&w->head);
	w->path = strdup(path);
	w->sha = grace_sha256_new();
	if (!w->path || !w->sha)
		return grace_err_sys(e, path, "unable to open");
	if (writer_reopen(w, e) < 0)
		return -1;
	/* A new file's directory entry must be durable too. */
	return grace_fsync_dir(path, e);
}

void
grace_log_writer_close(struct grace_log_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->path);
	free(w->ends);
	free(w->hashes);
	free(w->seqs);
	free(w->dup);
	grace_log_once_free(w->once);
	w->once = NULL;
	w->seqs = NULL;
	w->dup = NULL;
	grace_buf_free(&w->recs);
	grace_sha256_free(w->sha);
	w->path = NULL;
	w->ends = NULL;
	w->hashes = NULL;
	w->sha = NULL;
}

/* Lock the file at w->path, following a rotation that replaced it. */
static int
writer_lock(struct grace_log_writer *w, struct grace_err *e)
{
	for (;;) {
		struct stat st;

		if (grace_lock(w->fd, 0, w->path, e) < 0)
			return -1;
		if (stat(w->path, &st) == 0 && st.st_dev == w->dev &&
		    st.st_ino == w->ino)
			return 0;
		grace_unlock(w->fd);
		if (writer_reopen(w, e) < 0)
			return -1;
	}
}

#define ONCE_CHUNK (1 << 20)      /* --once reads the log this much at a time */

static int seam_info(const struct grace_log_rec *r, char *name, size_t cap,
    uint64_t *size, char head[65]);

/* --once: take the ids of the records of the open file fd (path for
 * messages) from byte off, line *lineno, up to size, which ends a
 * complete record; *lineno is then the last line read. Returns 0, or -1
 * (e filled, code GRACE_EXIT_SYSTEM). */
static int
once_read(struct grace_log_writer *w, int fd, const char *path, uint64_t off,
    uint64_t size, unsigned long *lineno, struct grace_err *e)
{
	struct grace_buf b = {0};
	int rc = -1;

	while (off < size) {
		size_t want = size - off < ONCE_CHUNK ? (size_t)(size - off) :
		    ONCE_CHUNK, start = 0, i;

		if (grace_buf_reserve(&b, want) < 0) {
			grace_err_sys(e, path, "unable to keep the log's ids");
			goto out;
		}
		if (grace_pread_all(fd, b.p + b.len, want,
		    (unsigned long long)off) < 0) {
			grace_err_sys(e, path, "unable to read the ids the log "
			    "holds (--once)");
			goto out;
		}
		b.len += want;
		off += want;
		for (i = 0; i < b.len; i++) {
			struct grace_log_rec r;
			const char *why;

			if (b.p[i] != '\n')
				continue;
			++*lineno;
			if (grace_log_parse(b.p + start, i - start, &r, &why) < 0) {
				grace_err_set(e, path, *lineno, 0, "unable to read "
				    "the ids the log holds (--once): %s", why);
				e->code = GRACE_EXIT_SYSTEM;
				goto out;
			}
			if (grace_log_once_take(w->once, r.event, r.event_len,
			    r.seq, r.hash, path, *lineno, e) < 0)
				goto out;
			start = i + 1;
		}
		memmove(b.p, b.p + start, b.len - start);
		b.len -= start;
	}
	if (b.len) {
		grace_err_set(e, path, 0, 0, "unable to read the ids the log "
		    "holds (--once): a torn last record");
		e->code = GRACE_EXIT_SYSTEM;
		goto out;
	}
	rc = 0;
out:
	grace_buf_free(&b);
	return rc;
}

/* The segment that the first record of the open file fd names when it
 * is a seam, as a path beside dirpath's file, into out; 1 when it is
 * one, else 0. */
static int
seam_before(int fd, const char *dirpath, struct grace_buf *out)
{
	char line[8192], name[4096], head[65], *nl, *d;
	struct grace_log_rec r;
	const char *why;
	uint64_t size;
	ssize_t n = pread(fd, line, sizeof line, 0);

	if (n <= 0 || !(nl = memchr(line, '\n', (size_t)n)))
		return 0;	/* a seam record is short */
	if (grace_log_parse(line, (size_t)(nl - line), &r, &why) < 0 ||
	    !seam_info(&r, name, sizeof name, &size, head) || !*name ||
	    strchr(name, '/'))
		return 0;
	grace_buf_reset(out);
	if ((d = strrchr(dirpath, '/')))
		grace_buf_add(out, dirpath, (size_t)(d - dirpath) + 1);
	return grace_buf_adds(out, name) < 0 ? 0 : 1;
}

#define ONCE_MAX_SEGMENTS 100000

/* --once, before the first catch-up of a file: the ids of the segments
 * before it, which its seam record names (each beside the log), oldest
 * first, as far back as they are there; after a rotation (ids known
 * already) only the segment just closed. Returns 0 or -1 (e filled). */
static int
once_segments(struct grace_log_writer *w, struct grace_err *e)
{
	struct grace_buf *paths = NULL, cur = {0};
	size_t n = 0, cap = 0, i, max = grace_log_once_count(w->once) ? 1 :
	    ONCE_MAX_SEGMENTS;
	int fd = w->fd, rc = -1;

	while (n < max && seam_before(fd, w->path, &cur)) {
		int nfd;

		if (fd != w->fd)
			close(fd);
		fd = -1;
		if ((nfd = open(cur.p, O_RDONLY | O_CLOEXEC)) < 0)
			break;	/* not there (archived): as far back as it goes */
		fd = nfd;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct grace_buf *np = realloc(paths, nc * sizeof *np);

			if (!np) {
				grace_err_sys(e, w->path, "unable to keep the log's ids");
				goto out;
			}
			memset(np + cap, 0, (nc - cap) * sizeof *np);
			paths = np;
			cap = nc;
		}
		if (grace_buf_add(&paths[n], cur.p, cur.len) < 0) {
			grace_err_sys(e, w->path, "unable to keep the log's ids");
			goto out;
		}
		n++;
	}
	for (i = n; i-- > 0;) {
		struct stat st;
		unsigned long lineno = 0;
		uint64_t end;
		int sfd = open(paths[i].p, O_RDONLY | O_CLOEXEC);

		if (sfd < 0) {
			grace_err_sys(e, paths[i].p, "unable to read the ids the log "
			    "holds (--once)");
			goto out;
		}
		if (fstat(sfd, &st) < 0) {
			grace_err_sys(e, paths[i].p, "unable to stat");
			close(sfd);
			goto out;
		}
		/* an old segment is frozen; read its complete records */
		end = (uint64_t)st.st_size;
		{
			struct grace_log_head h;

			if (grace_log_read_head(sfd, paths[i].p, &h, e) < 0) {
				e->code = GRACE_EXIT_SYSTEM;
				close(sfd);
				goto out;
			}
			end = h.size;
		}
		if (once_read(w, sfd, paths[i].p, 0, end, &lineno, e) < 0) {
			close(sfd);
			goto out;
		}
		close(sfd);
	}
	rc = 0;
out:
	if (fd >= 0 && fd != w->fd)
		close(fd);
	for (i = 0; i < cap; i++)
		grace_buf_free(&paths[i]);
	free(paths);
	grace_buf_free(&cur);
	return rc;
}

/* --once: take the ids of the records from what was read before up to
 * size (complete records), first those of the older segments when the
 * file is read from its start. A file shorter than what was read was cut
 * short: forget the ids and read it from its start. Returns 0, or -1 (e
 * filled, code GRACE_EXIT_SYSTEM), the ids then forgotten, to be read
 * again. */
static int
once_catch_up(struct grace_log_writer *w, uint64_t size, struct grace_err *e)
{
	unsigned long lineno, first;
	uint64_t off;

	grace_log_once_pos(w->once, &off, &lineno);
	if (size < off) {
		grace_log_once_reset(w->once);
		off = lineno = 0;
	}
	if (off == size && off != 0)
		return 0;
	if (off == 0 && once_segments(w, e) < 0)
		goto fail;
	first = lineno;
	if (once_read(w, w->fd, w->path, off, size, &lineno, e) < 0)
		goto fail;
	grace_log_once_done(w->once, size, lineno - first);
	return 0;
fail:
	grace_log_once_reset(w->once);
	return -1;
}

int
grace_log_writer_once(struct grace_log_writer *w, struct grace_err *e)
{
	if (!w->once && !(w->once = grace_log_once_new()))
		return grace_err_sys(e, w->path, "unable to keep the log's ids");
	return 0;
}

int
grace_log_append(struct grace_log_writer *w, const char *const *evs,
    const size_t *lens, size_t n, struct grace_err *e)
{
	struct stat st;
	struct grace_log_head saved;
	size_t i;
	char t[GRACE_TIME_LEN];

	grace_buf_reset(&w->recs);
	if (n > w->ends_cap) {
		size_t *ne = realloc(w->ends, n * sizeof *ne);
		char *nh;
		uint64_t *nq;
		unsigned char *nd;

		if (!ne)
			return grace_err_sys(e, w->path, "unable to append");
		w->ends = ne;
		nh = realloc(w->hashes, n * 64);
		if (!nh)
			return grace_err_sys(e, w->path, "unable to append");
		w->hashes = nh;
		nq = realloc(w->seqs, n * sizeof *nq);
		if (!nq)
			return grace_err_sys(e, w->path, "unable to append");
		w->seqs = nq;
		nd = realloc(w->dup, n);
		if (!nd)
			return grace_err_sys(e, w->path, "unable to append");
		w->dup = nd;
		w->ends_cap = n;
	}
	if (writer_lock(w, e) < 0)
		return -1;
	if (fstat(w->fd, &st) < 0) {
		grace_err_sys(e, w->path, "unable to stat");
		goto fail;
	}
	if ((uint64_t)st.st_size != w->known_size) {
		if (grace_log_read_head(w->fd, w->path, &w->head, e) < 0)
			goto fail;
		if (w->head.torn) {
			grace_err_set(e, w->path, 0, 0,
			    "torn last record (%llu bytes after the last newline, "
			    "left by a crash?): run 'grace-log repair -f %s' first",
			    (unsigned long long)w->head.torn, w->path);
			goto fail;
		}
	}
	if (w->once && once_catch_up(w, w->head.size, e) < 0)
		goto fail;
	saved = w->head;
	w->ndup = 0;
	for (i = 0; i < n; i++) {
		int f = 0;

		w->dup[i] = 0;
		if (w->once && (f = grace_log_once_find(w->once, evs[i], lens[i],
		    &w->seqs[i], w->hashes + 64 * i, e)) < 0) {
			w->head = saved;
			grace_log_once_reset(w->once);
			goto fail;
		}
		if (f == 1) {
			w->dup[i] = 1;
			w->ndup++;
			w->ends[i] = w->recs.len;
			continue;
		}
		if (grace_time_now(&w->tf, t) < 0 ||
		    grace_log_record(&w->recs, &w->head, t, evs[i], lens[i],
		    w->sha) < 0) {
			if (errno == EOVERFLOW)
				full(e, w->path, "append");
			else
				grace_err_sys(e, w->path, "unable to append");
			w->head = saved;
			grace_log_once_reset(w->once);
			goto fail;
		}
		w->ends[i] = w->recs.len;
		w->seqs[i] = w->head.seq;
		memcpy(w->hashes + 64 * i, w->head.hash, 64);
		if (f == 2 && grace_log_once_keep(w->once, w->head.seq,
		    w->head.hash, e) < 0) {
			w->head = saved;
			grace_log_once_reset(w->once);
			goto fail;
		}
	}
	if (grace_write_all(w->fd, w->recs.p, w->recs.len) < 0 ||
	    (w->sync != GRACE_SYNC_NONE && fdatasync(w->fd) < 0)) {
		grace_err_sys(e, w->path, "unable to append");
		/* Leave no partial record behind. */
		if (ftruncate(w->fd, (off_t)saved.size) < 0) {
			size_t l = strlen(e->msg);

			snprintf(e->msg + l, sizeof e->msg - l,
			    "; and unable to truncate the partial write (run "
			    "'grace-log repair')");
		}
		w->head = saved;
		w->known_size = UINT64_MAX;
		grace_log_once_reset(w->once);
		goto fail;
	}
	w->known_size = w->head.size;
	if (w->once)
		grace_log_once_done(w->once, w->head.size, n - w->ndup);
	grace_unlock(w->fd);
	return 0;
fail:
	grace_unlock(w->fd);
	return -1;
}

/* ---------------------------------------------------------------- rotate */

int
grace_log_rotate(const char *path, const char *oldname,
    struct grace_log_head *seam_head, struct grace_err *e)
{
	struct grace_log_head h;
	struct grace_buf ev = {0}, rec = {0};
	struct grace_sha256 *sha = NULL;
	struct grace_timefmt tf;
	char t[GRACE_TIME_LEN], *tmp = NULL, *base = NULL;
	struct stat st, st2;
	int fd, tfd = -1, r = -1;
	uint64_t old_records;
	char old_head[65];

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return grace_err_sys(e, path, "unable to open");
	/* Lock the file that is path, following a concurrent rotation. */
	for (;;) {
		if (grace_lock(fd, 0, path, e) < 0)
			goto out;
		if (fstat(fd, &st) < 0 || stat(path, &st2) < 0) {
			grace_err_sys(e, path, "unable to stat");
			goto out;
		}
		if (st.st_dev == st2.st_dev && st.st_ino == st2.st_ino)
			break;
		close(fd);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return grace_err_sys(e, path, "unable to open");
	}
	if (grace_log_read_head(fd, path, &h, e) < 0)
		goto out;
	if (h.torn) {
		grace_err_set(e, path, 0, 0, "torn last record: run "
		    "'grace-log repair -f %s' first", path);
		goto out;
	}
	if (h.seq == 0) {
		grace_err_set(e, path, 0, 0, "nothing to rotate: the log is empty");
		e->code = GRACE_EXIT_USAGE;
		goto out;
	}
	memcpy(old_head, h.hash, sizeof old_head);
	base = strdup(oldname);
	sha = grace_sha256_new();
	tmp = malloc(strlen(path) + 16);
	if (!base || !sha || !tmp) {
		grace_err_sys(e, path, "unable to rotate");
		goto out;
	}
	/* The old segment's record count: its first seq is in its first line,
	 * but seq runs on across segments, so count = last - first + 1. */
	{
		char line[64];
		ssize_t got = pread(fd, line, sizeof line - 1, 0);
		uint64_t first = 0;
		int i = (int)LIT(P_SEQ);

		if (got < (ssize_t)LIT(P_SEQ) + 1) {
			grace_err_sys(e, path, "unable to read");
			goto out;
		}
		line[got] = '\0';
		while (i < got && line[i] >= '0' && line[i] <= '9')
			first = first * 10 + (uint64_t)(line[i++] - '0');
		old_records = h.seq - first + 1;
	}
	if (grace_buf_adds(&ev, "{\"type\":\"" GRACE_LOG_SEAM_TYPE
	    "\",\"source\":\"grace-log\",\"data\":{\"segment\":") < 0 ||
	    grace_buf_add_jstr(&ev, basename(base), strlen(basename(base))) < 0 ||
	    grace_buf_addf(&ev, ",\"records\":%llu,\"size\":%llu,"
	    "\"last_seq\":%llu,\"head\":\"%s\"}}",
	    (unsigned long long)old_records, (unsigned long long)h.size,
	    (unsigned long long)h.seq, old_head) < 0) {
		grace_err_sys(e, path, "unable to rotate");
		goto out;
	}
	grace_timefmt_init(&tf);
	h.size = 0;
	if (grace_time_now(&tf, t) < 0 ||
	    grace_log_record(&rec, &h, t, ev.p, ev.len, sha) < 0) {
		if (errno == EOVERFLOW)
			full(e, path, "rotate");
		else
			grace_err_sys(e, path, "unable to rotate");
		goto out;
	}
	snprintf(tmp, strlen(path) + 16, "%s.new.XXXXXX", path);
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0) {
		grace_err_sys(e, path, "unable to create the new segment");
		goto out;
	}
	if (fchmod(tfd, st.st_mode & 07777) < 0 ||
	    grace_write_all(tfd, rec.p, rec.len) < 0 || fsync(tfd) < 0) {
		grace_err_sys(e, tmp, "unable to write the new segment");
		unlink(tmp);
		goto out;
	}
	if (link(path, oldname) < 0) {
		grace_err_sys(e, oldname, "unable to keep the old segment");
		if (errno == EEXIST)
			e->code = GRACE_EXIT_USAGE;
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		grace_err_sys(e, path, "unable to install the new segment");
		unlink(tmp);
		unlink(oldname);
		goto out;
	}
	if (grace_fsync_dir(path, e) < 0)
		goto out;
	if (seam_head)
		*seam_head = h;
	r = 0;
out:
	if (tfd >= 0)
		close(tfd);
	if (fd >= 0) {
		grace_unlock(fd);
		close(fd);
	}
	grace_sha256_free(sha);
	grace_buf_free(&ev);
	grace_buf_free(&rec);
	free(tmp);
	free(base);
	return r;
}

/* ---------------------------------------------------------------- verify */

struct vstate {
	struct grace_log_result *res;
	struct grace_sha256 *sha;
	struct grace_merkle *mt;
	struct grace_log_expect *ex;
	size_t nex;
	grace_log_warn_fn *warn;
	void *warn_arg;
	grace_log_each_fn *each;  /* every record that verified, in order */
	void *each_arg;
	int started;              /* a record was seen */
	uint64_t expect_seq;
	char prev[65];
	char last_time[GRACE_LOG_TIMELEN + 1];
	/* the previous segment, for the seam check */
	const char *prev_file;
	uint64_t prev_size;
};

static int
broken(struct vstate *v, const char *file, unsigned long line, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
broken(struct vstate *v, const char *file, unsigned long line, uint64_t seq,
    const char *fmt, ...)
{
	struct grace_err *f = &v->res->fail;
	va_list ap;

	va_start(ap, fmt);
	grace_err_vset(f, file, line, 0, fmt, ap);
	va_end(ap);
	f->code = GRACE_EXIT_NEGATIVE;
	v->res->fail_seq = seq;
	v->res->intact = 0;
	return -1;
}

/* Read a string member's raw text (no escapes expected) or a number. */
static int
member_text(const char *p, const struct grace_jspan *s, char *out, size_t cap)
{
	size_t off = s->off, len = s->len;

	if (s->kind == GRACE_J_STRING) {
		off++;
		len -= 2;
	} else if (s->kind != GRACE_J_NUMBER) {
		return -1;
	}
	if (len >= cap || memchr(p + off, '\\', len))
		return -1;
	memcpy(out, p + off, len);
	out[len] = '\0';
	return 0;
}

/* If rec is a seam record, fill name/size/head and return 1; else 0. */
static int
seam_info(const struct grace_log_rec *r, char *name, size_t cap,
    uint64_t *size, char head[65])
{
	static const char *const top[] = { "type", "data" };
	static const char *const sub[] = { "segment", "size", "head" };
	struct grace_jspan t[2], d[3];
	char num[24];

	if (grace_json_scan(r->event, r->event_len, top, 2, t, NULL, 0, NULL) < 0)
		return 0;
	if (t[0].kind != GRACE_J_STRING ||
	    t[0].len != LIT(GRACE_LOG_SEAM_TYPE) + 2 ||
	    memcmp(r->event + t[0].off + 1, GRACE_LOG_SEAM_TYPE,
	    LIT(GRACE_LOG_SEAM_TYPE)) != 0 || t[1].kind != GRACE_J_OBJECT)
		return 0;
	if (grace_json_scan(r->event + t[1].off, t[1].len, sub, 3, d, NULL, 0,
	    NULL) < 0)
		return 0;
	if (d[0].kind != GRACE_J_STRING ||
	    member_text(r->event + t[1].off, &d[1], num, sizeof num) < 0 ||
	    member_text(r->event + t[1].off, &d[2], head, 65) < 0 ||
	    strlen(head) != 64)
		return 0;
	{
		/* The name is any file name, so it may hold escapes
		 * ("old \"one\".log"); it is only shown, so a long one is cut. */
		struct grace_buf nb = {0};

		if (grace_json_unescape(&nb, r->event + t[1].off + d[0].off,
		    d[0].len) < 0) {
			grace_buf_free(&nb);
			return 0;
		}
		snprintf(name, cap, "%s", nb.p ? nb.p : "");
		grace_buf_free(&nb);
	}
	*size = strtoull(num, NULL, 10);
	return 1;
}

static int
check_record(struct vstate *v, const char *file, unsigned long lineno,
    const char *line, size_t n, int first_in_file)
{
	struct grace_log_rec r;
	uint8_t md[GRACE_SHA256_LEN];
	char hex[65], seqs[24], exps[24];
	const char *why;

	if (grace_log_parse(line, n, &r, &why) < 0)
		return broken(v, file, lineno, 0, "%s%s", why, "");
	if (grace_sha256_once(v->sha, line, r.hashed_len, md) < 0)
		return broken(v, file, lineno, r.seq, "%s%s",
		    "unable to hash (libcrypto failure)", "");
	grace_hex_encode(md, sizeof md, hex);
	if (memcmp(hex, r.hash, 64) != 0)
		return broken(v, file, lineno, r.seq, "%s%s",
		    "record altered: its hash does not match its contents", "");
	if (first_in_file) {
		char name[256], head[65];
		uint64_t size;
		int seam = seam_info(&r, name, sizeof name, &size, head);

		if (!v->started) {
			if (seam) {
				/* The log's earlier segments were not given. */
				snprintf(v->res->continues,
				    sizeof v->res->continues, "%s", name);
				v->expect_seq = r.seq;
				memcpy(v->prev, r.prev, 64);
			}
		} else if (!seam) {
			return broken(v, file, lineno, r.seq,
			    "segment out of order: %s does not start with a "
			    "seam record, so it does not continue %s", file,
			    v->prev_file);
		} else if (memcmp(head, v->prev, 64) != 0 ||
		    size != v->prev_size) {
			char msg[600];

			snprintf(msg, sizeof msg, "segment missing or out of "
			    "order: %s continues segment '%s' (size %llu, head "
			    "%.12s...), not %s (size %llu, head %.12s...)", file,
			    name, (unsigned long long)size, head, v->prev_file,
			    (unsigned long long)v->prev_size, v->prev);
			return broken(v, file, lineno, r.seq, "%s%s", msg, "");
		}
	}
	if (r.seq != v->expect_seq) {
		snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)r.seq);
		snprintf(exps, sizeof exps, "%llu",
		    (unsigned long long)v->expect_seq);
		if (r.seq > v->expect_seq)
			return broken(v, file, lineno, r.seq,
			    "chain broken: seq %s where %s was expected "
			    "(records removed or reordered)", seqs, exps);
		return broken(v, file, lineno, r.seq,
		    "chain broken: seq %s where %s was expected (record "
		    "duplicated, inserted or reordered)", seqs, exps);
	}
	if (memcmp(r.prev, v->prev, 64) != 0)
		return broken(v, file, lineno, r.seq, "%s%s", v->started ?
		    "chain broken: prev does not match the hash of the record "
		    "before (a record was changed, inserted or removed)" :
		    "chain broken: the first record's prev is not 64 zeros "
		    "(the log's beginning is missing)", "");
	if (v->started && memcmp(r.time, v->last_time, GRACE_LOG_TIMELEN) < 0 &&
	    v->warn) {
		struct grace_err w;
		char t[GRACE_LOG_TIMELEN + 1];

		memcpy(t, r.time, GRACE_LOG_TIMELEN);
		t[GRACE_LOG_TIMELEN] = '\0';
		grace_err_set(&w, file, lineno, 0, "warning: time goes "
		    "backwards: %s after %s (the chain is intact)", t,
		    v->last_time);
		v->res->warnings++;
		v->warn(v->warn_arg, &w);
	}
	memcpy(v->last_time, r.time, GRACE_LOG_TIMELEN);
	memcpy(v->prev, r.hash, 64);
	if (!v->started)
		v->res->first_seq = r.seq;
	v->started = 1;
	v->expect_seq = r.seq + 1;
	v->res->last_seq = r.seq;
	v->res->records++;
	v->res->bytes += n + 1;
	if (v->mt) {
		size_t i;

		if (grace_merkle_add(v->mt, line, n) < 0)
			return broken(v, file, lineno, r.seq, "%s%s",
			    "unable to hash (libcrypto failure)", "");
		for (i = 0; i < v->nex; i++) {
			if (v->ex[i].size == v->res->records) {
				uint8_t root[GRACE_SHA256_LEN];

				if (grace_merkle_root(v->mt, root) < 0)
					return broken(v, file, lineno, r.seq,
					    "%s%s", "unable to hash "
					    "(libcrypto failure)", "");
				v->ex[i].checked = CRYPTO_memcmp(root,
				    v->ex[i].root, sizeof root) ? -1 : 1;
			}
		}
	}
	return 0;
}

/* Verify one segment; returns 0 (go on), 1 (verdict reached: broken),
 * -1 (it could not run: a file that is not a regular file, an I/O error;
 * e filled). */
static int
verify_file(struct vstate *v, const char *file, struct grace_err *e)
{
	struct grace_lines rd;
	struct stat st;
	const char *line;
	size_t n;
	int fd, fl, t, first = 1, r = 0;

	/* O_NONBLOCK: a FIFO is opened without waiting for a writer, so
	 * that it can be refused below (it means nothing for a file). */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return grace_err_sys(e, file, "unable to open");
	/* Only a regular file has a size to verify up to, can be locked
	 * against appenders and re-read by the next run: a pipe, a FIFO,
	 * /dev/stdin, /dev/null or a directory would read as an empty,
	 * intact log whatever was written to it. */
	if (fstat(fd, &st) < 0) {
		grace_err_sys(e, file, "unable to stat");
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		grace_err_set(e, file, 0, 0, "not a log file but %s: give the "
		    "file itself (a pipe, a device or a directory cannot be "
		    "verified)", grace_file_kind(st.st_mode));
		e->code = GRACE_EXIT_USAGE;
		close(fd);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		grace_err_sys(e, file, "unable to open");
		close(fd);
		return -1;
	}
	/* The size under a shared lock: appenders write whole batches under
	 * the exclusive lock, so this size ends on a record boundary. */
	if (grace_lock(fd, 1, file, e) < 0) {
		close(fd);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		grace_err_sys(e, file, "unable to stat");
		close(fd);
		return -1;
	}
	grace_unlock(fd);
	if (grace_lines_init(&rd, fd, file, MAX_RECORD) < 0) {
		grace_err_sys(e, file, "unable to read");
		close(fd);
		return -1;
	}
	rd.limit = (unsigned long long)st.st_size;
	if (st.st_size == 0)
		rd.eof = 1;
	while ((t = grace_lines_next(&rd, &line, &n, e)) > 0) {
		if (t == GRACE_LINE_TOOLONG) {
			broken(v, file, rd.lineno, 0, "%s%s",
			    "malformed record: line too long", "");
			r = 1;
			break;
		}
		if (rd.unterminated) {
			char msg[200];

			snprintf(msg, sizeof msg, "torn last record: %zu bytes "
			    "after the last newline (a crash during append?); "
			    "'grace-log repair' moves them aside", n);
			broken(v, file, rd.lineno, 0, "%s%s", msg, "");
			v->res->torn = 1;
			r = 1;
			break;
		}
		if (check_record(v, file, rd.lineno, line, n, first) < 0) {
			r = 1;
			break;
		}
		if (v->each && v->each(v->each_arg, line, n, e) < 0) {
			r = -1;
			break;
		}
		first = 0;
	}
	if (t < 0)
		r = -1;
	if (r == 0 && first && v->started) {
		/* An empty segment after the first cannot continue anything. */
		broken(v, file, 0, 0, "segment out of order: %s is empty, so it "
		    "does not continue %s", file, v->prev_file);
		r = 1;
	}
	grace_lines_free(&rd);
	close(fd);
	v->prev_file = file;
	v->prev_size = (uint64_t)st.st_size;
	return r;
}

int
grace_log_verify(const char *const *files, size_t nfiles,
    struct grace_log_expect *ex, size_t nex, int want_root,
    grace_log_warn_fn *warn, void *warn_arg, struct grace_log_result *res,
    struct grace_err *e)
{
	return grace_log_verify_each(files, nfiles, ex, nex, want_root, warn,
	    warn_arg, NULL, NULL, res, e);
}

int
grace_log_verify_each(const char *const *files, size_t nfiles,
    struct grace_log_expect *ex, size_t nex, int want_root,
    grace_log_warn_fn *warn, void *warn_arg, grace_log_each_fn *each,
    void *each_arg, struct grace_log_result *res, struct grace_err *e)
{
	struct vstate v;
	size_t i;
	int r = 0;

	memset(res, 0, sizeof *res);
	memset(&v, 0, sizeof v);
	res->intact = 1;
	memcpy(res->head, ZERO_HASH, sizeof ZERO_HASH);
	v.res = res;
	v.ex = ex;
	v.nex = nex;
	v.warn = warn;
	v.warn_arg = warn_arg;
	v.each = each;
	v.each_arg = each_arg;
	v.expect_seq = 1;
	memcpy(v.prev, ZERO_HASH, sizeof ZERO_HASH);
	v.sha = grace_sha256_new();
	if (!v.sha)
		return grace_err_sys(e, NULL, "unable to verify");
	for (i = 0; i < nex; i++)
		ex[i].checked = 0;
	if (nex || want_root) {
		v.mt = grace_merkle_new();
		if (!v.mt) {
			grace_sha256_free(v.sha);
			return grace_err_sys(e, NULL, "unable to verify");
		}
		for (i = 0; i < nex; i++) {
			if (ex[i].size == 0) {
				uint8_t root[GRACE_SHA256_LEN];

				grace_merkle_root(v.mt, root);
				ex[i].checked = CRYPTO_memcmp(root, ex[i].root,
				    sizeof root) ? -1 : 1;
			}
		}
	}
	for (i = 0; i < nfiles && r == 0; i++)
		r = verify_file(&v, files[i], e);
	if (r >= 0) {
		memcpy(res->head, v.prev, 64);
		memcpy(res->last_time, v.last_time, GRACE_LOG_TIMELEN);
		if (v.mt)
			grace_merkle_root(v.mt, res->root);
	}
	if (r == 0) {
		for (i = 0; i < nex; i++) {
			char sz[24], have[24];

			if (ex[i].checked == 0)
				ex[i].checked = -2;
			if (ex[i].checked == 1 || !res->intact)
				continue;
			snprintf(sz, sizeof sz, "%llu",
			    (unsigned long long)ex[i].size);
			snprintf(have, sizeof have, "%llu",
			    (unsigned long long)res->records);
			if (ex[i].checked == -2) {
				char msg[600];

				snprintf(msg, sizeof msg, "log truncated: %s "
				    "covers %s records but the log holds %s",
				    ex[i].label, sz, have);
				broken(&v, files[nfiles - 1], 0, 0, "%s%s",
				    msg, "");
			} else {
				broken(&v, ex[i].label, 0, 0,
				    "history rewritten: the first %s records do "
				    "not have the Merkle root this checkpoint "
				    "signed (%s records verified)", sz, have);
			}
		}
	}
	grace_merkle_free(v.mt);
	grace_sha256_free(v.sha);
	return r < 0 ? -1 : 0;
}
