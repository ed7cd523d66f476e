/* log_int.h - what only lib/log/ shares: the ids of a log's events, for
 * append --once (once.c, used by format.c, which reads the records). */
#ifndef GRACE_LOG_INT_H
#define GRACE_LOG_INT_H

#include <stdint.h>

#include "err.h"

/* The (source, id) keys of the events of one log file, each with the seq
 * and hash of the first record that holds it, read from the file's bytes
 * as it grows. An event's key is its source (or "" when it has none), a
 * NUL and its id, both unescaped; an event whose id is not a string has
 * none. */
struct grace_log_once;

/* A new, empty set; NULL when out of memory. */
struct grace_log_once *grace_log_once_new(void);
/* Release it (NULL is fine). */
void grace_log_once_free(struct grace_log_once *o);

/* The number of ids in the set. */
size_t grace_log_once_count(const struct grace_log_once *o);

/* What was read of the file so far: *off bytes, *lines records. */
void grace_log_once_pos(const struct grace_log_once *o, uint64_t *off,
    unsigned long *lines);

/* Add the key of the event ev[0..n) of the record (seq, hash[0..64)) at
 * path:line, if it has one. Returns 0, or -1 (e filled, code
 * GRACE_EXIT_SYSTEM: the event is not JSON; ENOMEM). */
int grace_log_once_take(struct grace_log_once *o, const char *ev, size_t n,
    uint64_t seq, const char *hash, const char *path, unsigned long line,
    struct grace_err *e);

/* The file at path is a new one (after a rotation): read it from its
 * start, keeping the ids of the old one. */
void grace_log_once_rewind(struct grace_log_once *o);

/* Forget every id: the next catch-up reads the file from its start (after
 * a failed append whose records were taken back). */
void grace_log_once_reset(struct grace_log_once *o);

/* Look up the key of the event ev[0..n) (a validated JSON object).
 * Returns 1 when a record holds it (*seq and hash[0..64) set to that
 * record's), 2 when none does (the key is kept for grace_log_once_keep()),
 * 0 when the event has no key, -1 (e filled; ENOMEM). */
int grace_log_once_find(struct grace_log_once *o, const char *ev, size_t n,
    uint64_t *seq, char *hash, struct grace_err *e);

/* Add the key the last grace_log_once_find() returned 2 for, held by the
 * record (seq, hash[0..64)). Returns 0 or -1 (e filled; ENOMEM). */
int grace_log_once_keep(struct grace_log_once *o, uint64_t seq,
    const char *hash, struct grace_err *e);

/* The file's records up to size (records more of them than before) are
 * in the set. */
void grace_log_once_done(struct grace_log_once *o, uint64_t size,
    unsigned long records);

#endif
