/* logfmt.h - the hash-chained log file (man/grace-log.5).
 *
 * A record is one line:
 *   {"seq":N,"prev":"<64 hex>","time":"<27-char UTC time>","event":<event>,"hash":"<64 hex>"}\n
 * hash = SHA-256 of every byte before ,"hash":" ; prev = hash of the
 * record before (64 zeros for the first record of a log). The hash sits in
 * the last 75 bytes of the line, so verification never re-serializes JSON.
 */
#ifndef GRACE_LOGFMT_H
#define GRACE_LOGFMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "sha256.h"
#include "timeutil.h"

#define GRACE_LOG_TAIL 75        /* ,"hash":"<64 hex>"} */
#define GRACE_LOG_TIMELEN 27
/* The largest seq: 19 digits (grace-log(5)). */
#define GRACE_LOG_MAX_SEQ 9999999999999999999ULL
#define GRACE_LOG_SEAM_TYPE "grace.log.seam"

/* The end of a log: the last record's seq and hash. */
struct grace_log_head {
	uint64_t seq;            /* seq of the last record; 0 for an empty log */
	char hash[GRACE_SHA256_HEXLEN + 1]; /* its hash; 64 zeros when empty */
	uint64_t size;           /* bytes of complete records */
	uint64_t torn;           /* bytes after the last '\n' (a torn tail) */
};

/* A record line split into its parts; pointers into the line. */
struct grace_log_rec {
	uint64_t seq;
	const char *prev;        /* 64 hex digits */
	const char *time;        /* GRACE_LOG_TIMELEN characters */
	const char *event;
	size_t event_len;
	const char *hash;        /* 64 hex digits */
	size_t hashed_len;       /* bytes covered by the hash */
};

/* Split line[0..n) (no '\n') into r, checking the fixed layout: the
 * literal pieces, seq (decimal, no leading zero), the time's shape. It does
 * not check the event's JSON, nor that prev and hash are hex digits (the
 * verifier compares them with hashes it computes, which covers that).
 * Returns 0, or -1 with *why set to a static description of the fault. */
int grace_log_parse(const char *line, size_t n, struct grace_log_rec *r,
    const char **why);

/* Set h to the empty log's head. */
void grace_log_head_init(struct grace_log_head *h);

/* Find the head of the open log fd (path for messages) by reading only
 * the file's end. A torn tail is not an error: h->torn says how many bytes
 * follow the last newline, and the head is the last complete record.
 * Returns 0, or -1 (e filled) on I/O errors or a malformed last record. */
int grace_log_read_head(int fd, const char *path, struct grace_log_head *h,
    struct grace_err *e);

/* Append to out the record for event ev[0..n) (validated JSON object, no
 * newline) at time t, chained from h; h then names the new record.
 * Returns 0, or -1 (ENOMEM / libcrypto failure; EOVERFLOW when h->seq is
 * GRACE_LOG_MAX_SEQ already: the next seq would not parse). */
int grace_log_record(struct grace_buf *out, struct grace_log_head *h,
    const char *t, const char *ev, size_t n, struct grace_sha256 *sha);

/* --- appending ------------------------------------------------------ */

enum grace_log_sync { GRACE_SYNC_NONE, GRACE_SYNC_BATCH, GRACE_SYNC_ALWAYS };

struct grace_log_writer {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t known_size;     /* file size after our last write */
	struct grace_log_head head;
	enum grace_log_sync sync;
	struct grace_sha256 *sha;
	struct grace_timefmt tf;
	struct grace_buf recs;   /* the records of the last batch */
	size_t *ends;            /* ends[i]: end of record i in recs ('\n' incl.) */
	char *hashes;            /* hashes + 64*i: record i's hash, hex, no NUL */
	size_t ends_cap;
};

/* Open (creating if needed, mode 0644) the log at path for appending.
 * Returns 0 or -1 (e filled). */
int grace_log_writer_open(struct grace_log_writer *w, const char *path,
    enum grace_log_sync sync, struct grace_err *e);
void grace_log_writer_close(struct grace_log_writer *w);

/* Append one record per event: lock the file, follow a rotation, re-read
 * the head if another process appended, write all records in one go,
 * fdatasync (unless GRACE_SYNC_NONE), unlock. events[i] is evs[i][0..lens[i]).
 * On success w->recs holds the records, w->ends their ends and w->hashes
 * their hashes (a compact copy: reading them back from recs after a big
 * batch costs a cache miss each); the first has seq w->head.seq - n + 1. On failure the file is truncated back to
 * where it was (nothing partial is left) and -1 returned (e filled; a torn
 * tail left by a crash is reported, with e->code GRACE_EXIT_SYSTEM). */
int grace_log_append(struct grace_log_writer *w, const char *const *evs,
    const size_t *lens, size_t n, struct grace_err *e);

/* --- rotating ------------------------------------------------------- */

/* Start a new segment: under the lock, keep the current file as oldname
 * (a new hard link; it must not exist) and replace path with a file whose
 * only record is a seam record (event type grace.log.seam) naming oldname
 * (its basename) and carrying the old segment's records, size and head.
 * The seam's prev is the old head, so the chain runs on. Returns 0, or -1
 * (e filled): an empty log, a torn tail or an existing oldname refuse. */
int grace_log_rotate(const char *path, const char *oldname,
    struct grace_log_head *seam_head, struct grace_err *e);

/* --- verifying ------------------------------------------------------ */

/* A root the verifier must find at a given tree size: from a signed
 * checkpoint, or from the state a monitor remembered. */
struct grace_log_expect {
	uint64_t size;
	uint8_t root[GRACE_SHA256_LEN];
	const char *label;       /* for messages: a file name */
	int checked;             /* set by the verifier: 1 ok, -1 mismatch, -2 beyond the log */
};

struct grace_log_result {
	int intact;              /* chain intact and every expectation met */
	int torn;                /* the failure is a torn last record */
	uint64_t records;        /* records read and found good */
	uint64_t bytes;
	uint64_t first_seq, last_seq;
	char head[GRACE_SHA256_HEXLEN + 1];
	char last_time[GRACE_LOG_TIMELEN + 1];
	uint8_t root[GRACE_SHA256_LEN]; /* Merkle root of all records (if asked) */
	unsigned long warnings;
	char continues[256];     /* segment named by the first file's seam */
	struct grace_err fail;   /* the first problem: file, line, message */
	uint64_t fail_seq;       /* seq of the bad record, 0 if not known */
};

/* Called for each warning (time going backwards); e has file and line. */
typedef void grace_log_warn_fn(void *arg, const struct grace_err *w);

/* Verify the segments files[0..nfiles) in order as one log. Each file is
 * read up to its size when it was opened (taken under a shared lock, so a
 * concurrent appender's batch is never seen half-written). Checks every
 * record's layout, hash, seq and prev, the seams between segments, and
 * each expectation in ex[0..nex) (Merkle roots, RFC 6962, over the record
 * lines without '\n', counted from the first record given). want_root
 * asks for res->root even with no expectations.
 * Returns 0 when the verification ran (res->intact says the verdict; the
 * first failure is in res->fail with code GRACE_EXIT_NEGATIVE), or -1 on
 * an I/O error (e filled). */
int grace_log_verify(const char *const *files, size_t nfiles,
    struct grace_log_expect *ex, size_t nex, int want_root,
    grace_log_warn_fn *warn, void *warn_arg, struct grace_log_result *res,
    struct grace_err *e);

#endif
