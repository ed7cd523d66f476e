/* fuzz_cases.c - the --test case files of grace-gate and grace-decide
 * (grace-governance(5) and grace-decide(5), TEST FILES). Byte 0 picks
 * which: even, a policy test file, loaded with grace_gov_tests_load() and
 * every case run against the shipped config/governance.yaml; odd, a
 * decision case file, loaded with grace_dcases_load() and every case run
 * against config/decide.yaml (both loaded once; the replay and make fuzz
 * run from the repository root). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decide/decide.h"
#include "fuzz.h"
#include "gate/gate.h"

static struct grace_gov *gov;
static struct grace_decide *dec;

static void
cleanup(void)
{
	grace_gov_free(gov);
	grace_decide_free(dec);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_err e;

	if (!(gov = grace_gov_load("config/governance.yaml", NULL, &e)) ||
	    !(dec = grace_decide_load("config/decide.yaml", &e)))
		abort();
	atexit(cleanup);
	return 0;
}

static void
gate_cases(const char *path)
{
	struct grace_gov_tests *t;
	struct grace_buf why = {0};
	struct grace_err e;
	size_t i;

	if (!(t = grace_gov_tests_load(path, &e))) {
		fuzz_check_err(&e);
		return;
	}
	for (i = 0; i < grace_gov_tests_count(t); i++) {
		(void)grace_gov_tests_name(t, i);
		grace_buf_reset(&why);
		(void)grace_gov_tests_run(gov, t, i, NULL, 1795262400000, &why,
		    &e);
	}
	grace_buf_free(&why);
	grace_gov_tests_free(t);
}

static void
decide_cases(const char *path)
{
	struct grace_dcases cs;
	struct grace_decision r = {0};
	struct grace_buf why = {0};
	struct grace_err e;
	size_t i;

	memset(&cs, 0, sizeof cs);
	if (grace_dcases_load(path, &cs, &e) < 0) {
		fuzz_check_err(&e);
		grace_dcases_free(&cs);
		return;
	}
	for (i = 0; i < cs.n; i++) {
		grace_buf_reset(&why);
		(void)grace_dcase_run(dec, &cs, &cs.v[i], &r, &why, &e);
	}
	grace_decision_free(&r);
	grace_buf_free(&why);
	grace_dcases_free(&cs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];

	if (size < 1 || fuzz_file(0, data + 1, size - 1, path) < 0)
		return 0;
	if (data[0] & 1)
		decide_cases(path);
	else
		gate_cases(path);
	return 0;
}
