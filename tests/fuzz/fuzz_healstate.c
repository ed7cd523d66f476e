/* fuzz_healstate.c - grace-heal's own state files in --state DIR, which
 * a crash, a full disk or a person can leave in any shape. Byte 0 picks:
 * even, the governance state (grace_hgov_restore() against two fixed
 * playbooks; what restores must save and restore to the same bytes, and
 * answer checks); odd, the knowledge file (grace_hlearn_load(); what loads
 * must save, load back and order candidates). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileutil.h"
#include "fuzz.h"
#include "heal/heal.h"

static struct grace_playbook pbv[2];
static struct grace_playbooks pbs = { .v = pbv, .n = 2 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pbv[0].name = "restart";
	pbv[0].policy.budget_max = 3;
	pbv[0].policy.budget_window_ms = 3600000;
	pbv[0].policy.cooldown_ms = 300000;
	pbv[0].policy.max_hops = 2;
	pbv[1].name = "failover";
	pbv[1].policy.breaker_min_runs = 2;
	pbv[1].policy.breaker_rate = 0.5;
	pbv[1].policy.breaker_delay_ms = 600000;
	return 0;
}

static void
govern(const uint8_t *data, size_t size)
{
	struct grace_hgov *g = grace_hgov_new(&pbs), *h;
	struct grace_buf a = {0}, b = {0}, why = {0};
	struct grace_err e;
	size_t i;

	if (!g)
		abort();
	if (grace_hgov_restore(g, (const char *)data, size, "state", &e) < 0) {
		fuzz_check_err(&e);
		grace_hgov_free(g);
		return;
	}
	if (grace_hgov_save(g, &a) < 0 || !(h = grace_hgov_new(&pbs)))
		abort();
	if (grace_hgov_restore(h, a.p, a.len, "state", &e) < 0 ||
	    grace_hgov_save(h, &b) < 0 || a.len != b.len ||
	    memcmp(a.p, b.p, a.len) != 0)
		abort();
	for (i = 0; i < 2; i++)
		(void)grace_hgov_check(h, i, "web", 1, 1796083200000LL, &why);
	grace_buf_free(&a);
	grace_buf_free(&b);
	grace_buf_free(&why);
	grace_hgov_free(g);
	grace_hgov_free(h);
}

static void
knowledge(const uint8_t *data, size_t size)
{
	static const char ev[] = "{\"type\":\"anomaly.detected\",\"data\":"
	    "{\"anomaly\":\"latency_spike\",\"component\":\"web\",\"detector\":"
	    "\"latency\",\"kind\":\"spike\",\"evidence\":{\"value\":1}}}";
	struct grace_hlearn *l, *m;
	struct grace_err e;
	char path[4096 + 80], *t1, *t2;
	size_t idx[2] = { 0, 1 }, n1, n2;

	/* a real file: saving renames over it */
	if (fuzz_dir_file("knowledge.json", data, size, path) < 0)
		return;
	if (!(l = grace_hlearn_load(path, &e))) {
		fuzz_check_err(&e);
		return;
	}
	(void)grace_hlearn_order(l, &pbs, ev, sizeof ev - 1, idx, 2);
	if (idx[0] + idx[1] != 1)
		abort();
	if (grace_hlearn_save(l, path, &e) < 0 ||
	    !(t1 = grace_read_file(path, 1u << 26, &n1, &e)))
		abort();
	if (!(m = grace_hlearn_load(path, &e)) ||
	    grace_hlearn_save(m, path, &e) < 0 ||
	    !(t2 = grace_read_file(path, 1u << 26, &n2, &e)) || n1 != n2 ||
	    memcmp(t1, t2, n1) != 0)
		abort();
	free(t1);
	free(t2);
	grace_hlearn_free(l);
	grace_hlearn_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		knowledge(data + 1, size - 1);
	else
		govern(data + 1, size - 1);
	return 0;
}
