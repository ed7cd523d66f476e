/* fuzz_votes.c - approvals (grace-governance(5), APPROVALS;
 * lib/governance.h): each line of the input through
 * grace_votes_add_json(), the whole input through grace_votes_load_file(),
 * and the fixed events of fuzz.h judged with those votes under
 * tests/fixtures/gate/gov.yaml (its review tiers need approvals from
 * alice, bob and carol); the verdict must be a JSON object. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gate/gate.h"
#include "json.h"

static struct grace_gov *gov;

static void
cleanup(void)
{
	grace_gov_free(gov);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_err e;

	if (!(gov = grace_gov_load("tests/fixtures/gate/gov.yaml",
	    "tests/fixtures/gate/trust.yaml", &e)))
		abort();
	atexit(cleanup);
	return 0;
}

static void
judge(const struct grace_votes *vs)
{
	struct grace_gov_verdict v;
	struct grace_err e;
	const char *ev;
	size_t i;

	grace_gov_verdict_init(&v);
	for (i = 0; (ev = fuzz_event(i)); i++) {
		struct grace_gov_opts o = { .now_ms = 1795262400000, .votes = vs };

		if (grace_gov_judge(gov, &o, ev, strlen(ev), &v, &e) == 0 &&
		    grace_json_scan(v.json.p, v.json.len, NULL, 0, NULL, "fuzz",
		    1, NULL) < 0)
			abort();
	}
	grace_gov_verdict_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_votes *vs = grace_votes_new();
	struct grace_err e;
	const char *p = (const char *)data, *end = p + size;
	unsigned long line = 0;
	char path[64];

	if (!vs)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (!grace_json_blank(p, n) &&
		    grace_json_scan(p, n, NULL, 0, NULL, "fuzz", line, &e) == 0)
			(void)grace_votes_add_json(vs, p, n, "fuzz", line, &e);
		p += n + (nl != NULL);
	}
	judge(vs);
	grace_votes_free(vs);
	if (fuzz_file(0, data, size, path) == 0 && (vs = grace_votes_new())) {
		if (grace_votes_load_file(vs, path, &e) >= 0)
			judge(vs);
		grace_votes_free(vs);
	}
	return 0;
}
