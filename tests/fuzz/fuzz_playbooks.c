/* fuzz_playbooks.c - playbook files and playbook test files
 * (grace-playbook(5)). Byte 0 picks which: even, the rest is a playbook
 * file (in a scratch directory, so relative paths resolve), loaded with
 * grace_playbooks_load(), then fixed anomaly events matched and the
 * steps of every playbook built for each (grace_playbook_steps_json(),
 * which must be a JSON array); odd, a playbook test file, loaded against
 * the shipped playbooks/ (once) and every case run. Steps are never run.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "heal/heal.h"
#include "jqx.h"

static struct grace_playbooks *shipped;

static const char *const anomalies[] = {
	"{\"specversion\":\"1.0\",\"id\":\"an-1\",\"type\":\"anomaly.detected\",\"source\":\"grace-heal\",\"subject\":\"web\",\"data\":{\"anomaly\":\"heartbeat_missed\",\"severity\":\"high\",\"component\":\"web\",\"detector\":\"hb\",\"kind\":\"absence\",\"evidence\":{\"ttl_ms\":5000}}}",
	"{\"type\":\"anomaly.flapping\",\"data\":{\"anomaly\":\"flapping\",\"severity\":\"medium\",\"component\":\"web; rm -rf / $(id)\",\"evidence\":{\"dependency\":\"db\",\"n\":[1,2,{\"x\":null}]}}}",
	"{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":\"caf\\u00e9\\u0000x\",\"severity\":\"critical\",\"component\":\"\\u0000\",\"evidence\":\"{data.component}\"}}",
	"{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":7,\"severity\":null}}",
	"{\"type\":\"anomaly.resolved\",\"data\":{\"anomaly\":\"stall\"}}",
	"{}",
};

static void
cleanup(void)
{
	grace_playbooks_free(shipped);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_err e;
	const char *dir = "playbooks";

	if (!(shipped = grace_playbooks_load(&dir, 1, &e)))
		abort();
	atexit(cleanup);
	return 0;
}

static void
playbook_file(const uint8_t *data, size_t size)
{
	struct grace_playbooks *p;
	struct grace_buf out = { 0 };
	struct grace_err e;
	char path[4096 + 80];
	const char *pp = path;
	size_t *idx, i, j;

	if (fuzz_dir_file("pb.yaml", data, size, path) < 0)
		return;
	if (!(p = grace_playbooks_load(&pp, 1, &e))) {
		fuzz_check_err(&e);
		return;
	}
	if (!(idx = calloc(p->n + 1, sizeof *idx)))
		abort();
	for (i = 0; i < sizeof anomalies / sizeof *anomalies; i++) {
		const char *ev = anomalies[i];
		long n = grace_playbooks_match(p, ev, strlen(ev), idx, &e);

		if (n < 0)
			fuzz_check_err(&e);
		for (j = 0; n > 0 && j < (size_t)n; j++)
			if (idx[j] >= p->n)
				abort();
		for (j = 0; j < p->n; j++) {
			jv v;

			grace_buf_reset(&out);
			if (grace_playbook_steps_json(&p->v[j], ev, strlen(ev),
			    &out) < 0)
				abort();
			v = grace_jv_parse(out.p, out.len);
			if (jv_get_kind(v) != JV_KIND_ARRAY)
				abort();
			jv_free(v);
			if (grace_playbook_find(p, p->v[j].name) != &p->v[j])
				abort();
		}
	}
	free(idx);
	grace_buf_free(&out);
	grace_playbooks_free(p);
}

static void
test_file(const uint8_t *data, size_t size)
{
	struct grace_hcases cs;
	struct grace_buf why = { 0 };
	struct grace_err e;
	char path[4096 + 80];
	size_t i;

	if (fuzz_dir_file("pb.test.yaml", data, size, path) < 0)
		return;
	if (grace_hcases_load(path, shipped, &cs, &e) < 0) {
		fuzz_check_err(&e);
		return;
	}
	for (i = 0; i < cs.n; i++) {
		grace_buf_reset(&why);
		if (grace_hcase_run(shipped, &cs.v[i], &why, &e) < 0)
			fuzz_check_err(&e);
	}
	grace_buf_free(&why);
	grace_hcases_free(&cs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		playbook_file(data + 1, size - 1);
	else
		test_file(data + 1, size - 1);
	return 0;
}
