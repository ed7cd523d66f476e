/* fuzz_pipeline.c - one event through grace-gate, grace-verify and
 * grace-decide as the programs chain them: judged under the shipped
 * config/governance.yaml (and config/trust.yaml), grace.gate spliced in;
 * verified under tests/fuzz/pipeline-contracts.yaml (the shipped
 * contracts less the checks that run commands or read files), grace.verify
 * spliced in; decided under config/decide.yaml, grace.decision spliced in.
 * Each stage's output must be a JSON object that the next stage accepts,
 * and the decision must fail closed: a gate that denied or errored is
 * never approved (with the shipped weights, governance alone keeps the
 * score below the approve threshold). The input is one line, taken as
 * the event; lines the programs reject as input are skipped. The input
 * is also decided as it stands, its own grace member being whatever
 * upstream verdicts it claims (grace-decide reads them from untrusted
 * bytes): the decision must be a JSON object. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "verify/verify.h"
#include "decide/decide.h"
#include "fuzz.h"
#include "gate/gate.h"
#include "json.h"

static struct grace_gov *gov;
static struct grace_decide *dec;
static struct grace_contracts *con;
static struct grace_vctx *vx;

static void
cleanup(void)
{
	grace_vctx_free(vx);
	grace_contracts_free(con);
	grace_decide_free(dec);
	grace_gov_free(gov);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_contracts_opts o = {0};
	struct grace_err e;

	if (!(gov = grace_gov_load("config/governance.yaml", NULL, &e)) ||
	    !(dec = grace_decide_load("config/decide.yaml", &e)) ||
	    !(con = grace_contracts_load("tests/fuzz/pipeline-contracts.yaml",
	    &o, &e)) || !(vx = grace_vctx_new(con)))
		abort();
	atexit(cleanup);
	return 0;
}

/* grace-verify on ev[0..n): append the annotated event to out. */
static void
verify(const char *ev, size_t n, struct grace_buf *out)
{
	size_t nkeys, i;
	const char *const *keys = grace_contracts_keys(con, &nkeys);
	struct grace_jspan *f = calloc(nkeys + 1, sizeof *f);
	struct grace_vevent *v = grace_vevent_new();
	struct grace_buf j = {0};
	struct grace_err e;
	int r;

	if (!f || !v)
		abort();
	if (grace_json_scan(ev, n, keys, nkeys, f, "fuzz", 1, &e) < 0)
		abort(); /* gate's output is always valid */
	r = grace_vevent_prepare(v, vx, con, ev, n, f, 0, &e);
	if (r < 0)
		abort();
	if (r > 0) {
		for (i = 0; i < grace_vevent_nchecks(v); i++)
			if (grace_vevent_pending(v, i))
				grace_vevent_run(v, vx, i);
		if (grace_vevent_finish(v, &j) < 0)
			abort();
	}
	if (j.len) {
		if (grace_json_splice_grace(out, ev, n, &f[GRACE_VKEY_GRACE],
		    "verify", j.p, j.len) < 0)
			abort();
	} else if (grace_buf_add(out, ev, n) < 0) {
		abort();
	}
	grace_buf_free(&j);
	grace_vevent_free(v);
	free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "grace", "id", "type" };
	const char *p = (const char *)data;
	struct grace_jspan f[3];
	struct grace_gov_verdict gv;
	struct grace_gov_opts o = { .now_ms = 1795262400000 };
	struct grace_decision r = {0};
	struct grace_buf a = {0}, b = {0}, c = {0};
	struct grace_err e;
	enum grace_gov_decision gd;

	if (memchr(p, '\n', size) ||
	    grace_json_scan(p, size, keys, 3, f, "fuzz", 1, &e) < 0 ||
	    (f[0].kind != GRACE_J_NONE && f[0].kind != GRACE_J_OBJECT))
		return 0;
	if (grace_decide_event(dec, p, size, &f[0], &f[2], &r, NULL) < 0 ||
	    grace_json_scan(r.json.p, r.json.len, NULL, 0, NULL, "fuzz", 1,
	    &e) < 0)
		abort();
	grace_gov_verdict_init(&gv);
	if (grace_gov_judge(gov, &o, p, size, &gv, &e) < 0)
		abort();
	gd = gv.decision;
	if (grace_json_splice_grace(&a, p, size, &f[0], "gate", gv.json.p,
	    gv.json.len) < 0)
		abort();
	grace_gov_verdict_free(&gv);
	verify(a.p, a.len, &b);
	if (grace_json_scan(b.p, b.len, keys, 3, f, "fuzz", 1, &e) < 0 ||
	    f[0].kind != GRACE_J_OBJECT)
		abort();
	if (grace_decide_event(dec, b.p, b.len, &f[0], &f[2], &r, NULL) < 0)
		abort();
	if ((gd == GRACE_GOV_DENY || gd == GRACE_GOV_ERROR) &&
	    r.verdict == GRACE_V_APPROVE)
		abort();
	if (grace_json_splice_grace(&c, b.p, b.len, &f[0], "decision",
	    r.json.p, r.json.len) < 0 ||
	    grace_json_scan(c.p, c.len, NULL, 0, NULL, "fuzz", 1, &e) < 0)
		abort();
	grace_decision_free(&r);
	grace_buf_free(&a);
	grace_buf_free(&b);
	grace_buf_free(&c);
	return 0;
}
