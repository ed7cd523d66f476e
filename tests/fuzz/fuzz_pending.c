/* fuzz_pending.c - grace-gate --pending: each line of the input is a
 * request, a vote, or a grace-log record wrapping one, judged against
 * the shipped config/governance.yaml (loaded once); what the listing
 * writes must be one JSON object per line (json) and the text and json
 * listings must count alike. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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

	if (!(gov = grace_gov_load("config/governance.yaml", NULL, &e)))
		abort();
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_gov_opts o = { .now_ms = 1796126400000LL };
	struct grace_pending *pd = grace_pending_new(gov, NULL);
	struct grace_buf text = {0}, json = {0};
	struct grace_err e;
	const char *p = (const char *)data, *end = p + size;
	unsigned long line = 0;
	size_t nt, nj, i, start;

	if (!pd)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (grace_json_scan(p, n, NULL, 0, NULL, "fuzz", line, NULL) == 0 &&
		    grace_pending_add(pd, &o, p, n, "fuzz", line, &e) < 0)
			fuzz_check_err(&e);
		p += n + (nl != NULL);
	}
	if (grace_pending_list(pd, &o, 0, &text, &nt, &e) < 0 ||
	    grace_pending_list(pd, &o, 1, &json, &nj, &e) < 0 || nt != nj)
		abort();
	for (i = start = 0; i < json.len; i++)
		if (json.p[i] == '\n') {
			if (grace_json_scan(json.p + start, i - start, NULL, 0,
			    NULL, "out", 1, NULL) < 0)
				abort();
			start = i + 1;
		}
	grace_buf_free(&text);
	grace_buf_free(&json);
	grace_pending_free(pd);
	return 0;
}
