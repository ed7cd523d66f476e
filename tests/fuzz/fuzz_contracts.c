/* fuzz_contracts.c - the contracts file (grace-contracts(5),
 * lib/contracts.h): the input is loaded as a contracts file from a
 * scratch directory where scan-rules.yaml is the shipped
 * config/scan-rules.yaml (so the shipped contracts.yaml loads), and when
 * it loads, the fixed events of fuzz.h go through step 1 (contract
 * choice, jq and contract checks). Steps 2 and 3 run only for events
 * with no check pending: a fuzzed file may hold exec checks, and those
 * are never run here. A grace.verify verdict must be a JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "verify/verify.h"
#include "fuzz.h"
#include "json.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t n;
	char path[4096 + 80];
	char *rules = NULL;
	FILE *f = fopen("config/scan-rules.yaml", "rb");

	if (!f)
		abort();
	n = 0;
	rules = malloc(1 << 20);
	if (!rules)
		abort();
	n = fread(rules, 1, 1 << 20, f);
	fclose(f);
	if (fuzz_dir_file("scan-rules.yaml", (const uint8_t *)rules, n, path) < 0)
		abort();
	free(rules);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_contracts_opts o = {0};
	struct grace_contracts *c;
	struct grace_vctx *x;
	struct grace_vevent *v;
	struct grace_buf out = {0};
	struct grace_err e;
	char path[4096 + 80];
	const char *ev;
	size_t i;

	if (fuzz_dir_file("contracts.yaml", data, size, path) < 0)
		return 0;
	o.tmpdir = fuzz_dir();
	if (!(c = grace_contracts_load(path, &o, &e))) {
		fuzz_check_err(&e);
		return 0;
	}
	(void)grace_contracts_count(c);
	(void)grace_contracts_nchecks(c);
	if (!(x = grace_vctx_new(c)) || !(v = grace_vevent_new()))
		abort();
	for (i = 0; (ev = fuzz_event(i)); i++) {
		size_t nkeys, n = strlen(ev), k, pending = 0;
		const char *const *keys = grace_contracts_keys(c, &nkeys);
		struct grace_jspan *found = calloc(nkeys + 1, sizeof *found);
		int r;

		if (!found)
			abort();
		if (grace_json_scan(ev, n, keys, nkeys, found, "fuzz", 1, &e) < 0)
			abort();
		r = grace_vevent_prepare(v, x, c, ev, n, found, 0, &e);
		if (r > 0) {
			for (k = 0; k < grace_vevent_nchecks(v); k++)
				pending += grace_vevent_pending(v, k) != 0;
			if (!pending) {
				grace_buf_reset(&out);
				if (grace_vevent_finish(v, &out) < 0)
					abort();
				if (grace_json_scan(out.p, out.len, NULL, 0, NULL,
				    "fuzz", 1, NULL) < 0)
					abort();
				grace_buf_reset(&out);
				grace_vevent_summary(v, &out);
			}
		}
		free(found);
	}
	grace_buf_free(&out);
	grace_vevent_free(v);
	grace_vctx_free(x);
	grace_contracts_free(c);
	return 0;
}
