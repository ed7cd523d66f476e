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

/* Release the memory; the set is empty and reusable afterwards. */
void grace_idset_free(struct grace_idset *s);

#endif
