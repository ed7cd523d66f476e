/* idset.c - borrowed id strings in an open-addressing hash table. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"

struct grace_idslot {
	const char *id;            /* NULL: empty */
	size_t len;
	size_t val;
};

/* FNV-1a, 64 bits. */
static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static struct grace_idslot *
find(struct grace_idslot *v, size_t cap, const char *id, size_t len)
{
	size_t i = (size_t)hash(id, len) & (cap - 1);

	while (v[i].id && (v[i].len != len || memcmp(v[i].id, id, len) != 0))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/* Double the table (or make the first one). */
static int
grow(struct grace_idset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64, i;
	struct grace_idslot *nv;

	if (ncap > SIZE_MAX / sizeof *nv || !(nv = calloc(ncap, sizeof *nv))) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < s->cap; i++)
		if (s->slot[i].id)
			*find(nv, ncap, s->slot[i].id, s->slot[i].len) =
			    s->slot[i];
	free(s->slot);
	s->slot = nv;
	s->cap = ncap;
	return 0;
}

int
grace_idset_addn(struct grace_idset *s, const char *id, size_t len,
    size_t val, size_t *prev)
{
	struct grace_idslot *sl;

	/* at most half full, so probes stay short and one is always empty */
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	sl = find(s->slot, s->cap, id, len);
	if (sl->id) {
		if (prev)
			*prev = sl->val;
		return 0;
	}
	sl->id = id;
	sl->len = len;
	sl->val = val;
	s->n++;
	return 1;
}

int
grace_idset_add(struct grace_idset *s, const char *id, size_t val,
    size_t *prev)
{
	return grace_idset_addn(s, id, strlen(id), val, prev);
}

int
grace_idset_get(const struct grace_idset *s, const char *id, size_t len,
    size_t *val)
{
	const struct grace_idslot *sl;

	if (!s->cap)
		return 0;
	sl = find(s->slot, s->cap, id, len);
	if (!sl->id)
		return 0;
	*val = sl->val;
	return 1;
}

void
grace_idset_free(struct grace_idset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}
