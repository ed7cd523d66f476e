/* once.c - the ids of the events a log holds, for append --once: an
 * event whose source and id are in the log already is not appended again
 * (grace-log(1), append --once). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "json.h"
#include "log.h"
#include "log_int.h"

#define ONCE_BLOCK 65536          /* key storage is carved from blocks */

struct once_rec {
	uint64_t seq;
	char hash[GRACE_SHA256_HEXLEN];
};

struct grace_log_once {
	struct grace_idset set;  /* key -> index into recs */
	struct once_rec *recs;
	size_t nrecs, caprecs;
	char **blocks;           /* the keys' bytes; a block never moves */
	size_t nblocks, used;    /* used: bytes taken in the last block */
	uint64_t off;            /* the file's bytes read for ids so far */
	unsigned long lines;     /* the records in them */
	struct grace_buf key;    /* scratch: the key being built */
};

struct grace_log_once *
grace_log_once_new(void)
{
	return calloc(1, sizeof(struct grace_log_once));
}

/* Forget every id (the set stays usable). */
static void
once_clear(struct grace_log_once *o)
{
	size_t i;

	grace_idset_free(&o->set);
	for (i = 0; i < o->nblocks; i++)
		free(o->blocks[i]);
	free(o->blocks);
	o->blocks = NULL;
	o->nblocks = o->used = 0;
	o->nrecs = 0;
	o->off = 0;
	o->lines = 0;
}

void
grace_log_once_free(struct grace_log_once *o)
{
	if (!o)
		return;
	once_clear(o);
	free(o->recs);
	grace_buf_free(&o->key);
	free(o);
}

void
grace_log_once_reset(struct grace_log_once *o)
{
	if (o)
		once_clear(o);
}

void
grace_log_once_rewind(struct grace_log_once *o)
{
	if (o)
		o->off = o->lines = 0;
}

/* The key of the event ev[0..n): its source, a NUL, its id, both
 * unescaped, in o->key. Returns 1 (the event has a string id), 0 (it has
 * none: it has no key), -1 (e filled: not a JSON object, or ENOMEM). */
static int
event_key(struct grace_log_once *o, const char *ev, size_t n,
    const char *file, unsigned long line, struct grace_err *e)
{
	static const char *const keys[] = { "id", "source" };
	struct grace_jspan f[2];

	if (grace_json_scan(ev, n, keys, 2, f, file, line, e) < 0)
		return -1;
	if (f[0].kind != GRACE_J_STRING)
		return 0;
	grace_buf_reset(&o->key);
	if (f[1].kind == GRACE_J_STRING &&
	    grace_json_unescape(&o->key, ev + f[1].off, f[1].len) < 0)
		goto nomem;
	if (grace_buf_add(&o->key, "", 1) < 0)	/* the NUL between */
		goto nomem;
	if (grace_json_unescape(&o->key, ev + f[0].off, f[0].len) < 0)
		goto nomem;
	return 1;
nomem:
	return grace_err_sys(e, file, "unable to keep the log's ids");
}

/* Copy the key into a block; returns the copy, or NULL (ENOMEM). */
static const char *
keep_key(struct grace_log_once *o, const char *k, size_t n)
{
	char *p;

	if (!o->nblocks || o->used + n > ONCE_BLOCK) {
		size_t sz = n > ONCE_BLOCK ? n : ONCE_BLOCK;
		char **nb = realloc(o->blocks, (o->nblocks + 1) * sizeof *nb);

		if (!nb)
			return NULL;
		o->blocks = nb;
		if (!(nb[o->nblocks] = malloc(sz ? sz : 1)))
			return NULL;
		o->nblocks++;
		o->used = 0;
		if (n > ONCE_BLOCK) {
			/* a block of its own: the next key starts a new one */
			memcpy(nb[o->nblocks - 1], k, n);
			o->used = ONCE_BLOCK;
			return nb[o->nblocks - 1];
		}
	}
	p = o->blocks[o->nblocks - 1] + o->used;
	memcpy(p, k, n);
	o->used += n;
	return p;
}

/* Add the key in o->key with the record (seq, hash). Returns 0 or -1
 * (ENOMEM). A key there already keeps its first record. */
static int
add_key(struct grace_log_once *o, uint64_t seq, const char *hash)
{
	const char *k;
	size_t v;

	if (grace_idset_get(&o->set, o->key.p, o->key.len, &v))
		return 0;
	if (o->nrecs == o->caprecs) {
		size_t ncap = o->caprecs ? o->caprecs * 2 : 256;
		struct once_rec *nr = realloc(o->recs, ncap * sizeof *nr);

		if (!nr)
			return -1;
		o->recs = nr;
		o->caprecs = ncap;
	}
	if (!(k = keep_key(o, o->key.p, o->key.len)))
		return -1;
	if (grace_idset_addn(&o->set, k, o->key.len, o->nrecs, NULL) < 0)
		return -1;
	o->recs[o->nrecs].seq = seq;
	memcpy(o->recs[o->nrecs].hash, hash, GRACE_SHA256_HEXLEN);
	o->nrecs++;
	return 0;
}

int
grace_log_once_take(struct grace_log_once *o, const char *ev, size_t n,
    uint64_t seq, const char *hash, const char *path, unsigned long line,
    struct grace_err *e)
{
	int k = event_key(o, ev, n, path, line, e);

	if (k < 0) {
		if (e->code != GRACE_EXIT_SYSTEM) {
			grace_err_set(e, path, line, 0, "unable to read the ids "
			    "the log holds (--once): the record's event is not "
			    "JSON");
			e->code = GRACE_EXIT_SYSTEM;
		}
		return -1;
	}
	if (k && add_key(o, seq, hash) < 0)
		return grace_err_sys(e, path, "unable to keep the log's ids");
	return 0;
}

size_t
grace_log_once_count(const struct grace_log_once *o)
{
	return o->nrecs;
}

void
grace_log_once_pos(const struct grace_log_once *o, uint64_t *off,
    unsigned long *lines)
{
	*off = o->off;
	*lines = o->lines;
}

int
grace_log_once_find(struct grace_log_once *o, const char *ev, size_t n,
    uint64_t *seq, char *hash, struct grace_err *e)
{
	size_t v;
	int k = event_key(o, ev, n, NULL, 0, e);

	if (k <= 0)
		return k;
	if (!grace_idset_get(&o->set, o->key.p, o->key.len, &v))
		return 2;
	*seq = o->recs[v].seq;
	memcpy(hash, o->recs[v].hash, GRACE_SHA256_HEXLEN);
	return 1;
}

int
grace_log_once_keep(struct grace_log_once *o, uint64_t seq, const char *hash,
    struct grace_err *e)
{
	if (add_key(o, seq, hash) < 0)
		return grace_err_sys(e, NULL, "unable to keep the log's ids");
	return 0;
}

void
grace_log_once_done(struct grace_log_once *o, uint64_t size,
    unsigned long records)
{
	o->off = size;
	o->lines += records;
}
