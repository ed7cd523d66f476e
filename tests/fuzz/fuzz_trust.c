/* fuzz_trust.c - the trust file (grace-governance(5), TRUST): the input
 * is loaded as the trust file of the shipped config/governance.yaml, and
 * the fixed events of fuzz.h are judged; the verdict must be a JSON
 * object and its trust score within 0..1. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gate/gate.h"
#include "json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_gov_verdict v;
	struct grace_gov *g;
	struct grace_err e;
	char path[64];
	const char *ev;
	size_t i;

	if (fuzz_file(0, data, size, path) < 0)
		return 0;
	if (!(g = grace_gov_load("config/governance.yaml", path, &e))) {
		fuzz_check_err(&e);
		return 0;
	}
	grace_gov_verdict_init(&v);
	for (i = 0; (ev = fuzz_event(i)); i++) {
		struct grace_gov_opts o = { .now_ms = 1795262400000 };

		if (grace_gov_judge(g, &o, ev, strlen(ev), &v, &e) == 0 &&
		    (grace_json_scan(v.json.p, v.json.len, NULL, 0, NULL,
		    "fuzz", 1, NULL) < 0 || !(v.trust >= 0 && v.trust <= 1)))
			abort();
	}
	grace_gov_verdict_free(&v);
	grace_gov_free(g);
	return 0;
}
