/* test_idset.c - the id set of the duplicate-id checks. */
#include <stdio.h>
#include <string.h>

#include "idset.h"
#include "t.h"

int
main(void)
{
	static char ids[5000][16];
	struct grace_idset s = {0};
	size_t i, v = 0, bad = 0;

	for (i = 0; i < 5000; i++) {
		snprintf(ids[i], sizeof ids[i], "id-%zu", i);
		bad += grace_idset_add(&s, ids[i], i, NULL) != 1;
	}
	T_INTEQ(bad, 0, "5000 distinct ids are added");
	T_INTEQ(s.n, 5000, "and counted");
	T_INTEQ(grace_idset_add(&s, "id-4321", 9, &v), 0, "a duplicate is found");
	T_INTEQ(v, 4321, "with the value it was first added with");
	T_INTEQ(grace_idset_get(&s, "id-17xyz", 5, &v), 1, "get by length");
	T_INTEQ(v, 17, "id-17");
	T_INTEQ(grace_idset_get(&s, "id-5000", 7, &v), 0, "an id not added is not found");
	T_INTEQ(grace_idset_addn(&s, "id-1", 3, 7, NULL), 1, "a prefix is an id of its own");
	T_INTEQ(grace_idset_get(&s, "id-", 3, &v), 1, "and is found");
	T_INTEQ(v, 7, "with its value");
	T_INTEQ(grace_idset_add(&s, "", 1, NULL), 1, "the empty id is an id");
	grace_idset_free(&s);
	T_INTEQ(grace_idset_get(&s, "id-1", 4, &v), 0, "a freed set is empty");
	T_INTEQ(grace_idset_add(&s, "id-1", 1, NULL), 1, "and reusable");
	grace_idset_free(&s);
	return T_DONE();
}
