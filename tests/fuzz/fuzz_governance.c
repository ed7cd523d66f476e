/* fuzz_governance.c - the governance file (grace-governance(5),
 * lib/governance.h): grace_gov_load() on the input, with config/trust.yaml
 * as the trust file (the replay and make fuzz run from the repository
 * root); when it loads, its summary, and the fixed events of fuzz.h
 * judged under it, plainly and with --explain and --mode audit. The
 * verdict must always be a valid JSON object. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gate/gate.h"
#include "json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_gov_summary sum;
	struct grace_gov_verdict v;
	struct grace_gov *g;
	struct grace_err e;
	char path[64];
	const char *ev;
	size_t i;

	if (fuzz_file(0, data, size, path) < 0)
		return 0;
	if (!(g = grace_gov_load(path, "config/trust.yaml", &e))) {
		fuzz_check_err(&e);
		return 0;
	}
	grace_gov_summary(g, &sum);
	grace_gov_verdict_init(&v);
	for (i = 0; (ev = fuzz_event(i)); i++) {
		struct grace_gov_opts o = { .now_ms = 1795262400000 };

		o.explain = i & 1;
		o.audit = (i & 2) != 0;
		if (grace_gov_judge(g, &o, ev, strlen(ev), &v, &e) == 0 &&
		    grace_json_scan(v.json.p, v.json.len, NULL, 0, NULL, "fuzz",
		    1, NULL) < 0)
			abort();
	}
	grace_gov_verdict_free(&v);
	grace_gov_free(g);
	return 0;
}
