/* idset.h - a set of borrowed id strings, each with a value (the index
 * of what it names), for the duplicate-id checks of configuration
 * loaders: adding n ids costs O(n), not O(n^2) like a scan of the ids
 * before each one. */
#ifndef GRACE_IDSET_H
#define GRACE_IDSET_H

#include <stddef.h>

struct grace_idset {
	struct grace_idslot *slot; /* open addressing, cap a power of two */
	size_t cap, n;
};

/* Add id (borrowed: it must outlive the set) with value val. Returns 1
 * when added; 0 when id is there already, with *prev (if not NULL) set to
 * the value it was added with; -1 with errno ENOMEM, the set unchanged.
 * A zeroed struct is an empty set. */
int grace_idset_add(struct grace_idset *s, const char *id, size_t val,
    size_t *prev);

/* grace_idset_add() of id[0..len), which need not be NUL-terminated. */
int grace_idset_addn(struct grace_idset *s, const char *id, size_t len,
    size_t val, size_t *prev);

/* Look id[0..len) up: 1 with *val set when it is in s, else 0. */
int grace_idset_get(const struct grace_idset *s, const char *id, size_t len,
    size_t *val);

/* Release the memory; the set is empty and reusable afterwards. */
void grace_idset_free(struct grace_idset *s);

#endif
