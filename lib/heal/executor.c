/* executor.c - grace-heal --execute: a healing.proposed event runs only
 * when governance allowed it (grace-gate upstream, or the governance file
 * given to grace-heal itself), before it expires, within its playbook's
 * budget, cool-down, breaker and loop guard; then its outcome feeds the
 * breaker, the trust overlay and the knowledge file (grace-heal(1),
 * EXECUTION). What does not run says why, as an event.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/gate.h"
#include "heal.h"
#include "jpath.h"
#include "jwalk.h"
#include "timeutil.h"

/* The span of the member at the dotted path of the object p[0..n). */
static int
span_at(const char *p, size_t n, const char *path, struct grace_jspan *out,
    struct grace_buf *tmp)
{
	char buf[128], *s, *save;
	struct grace_jspan cur = { 0, n, GRACE_J_OBJECT };

	snprintf(buf, sizeof buf, "%s", path);
	for (s = strtok_r(buf, ".", &save); s; s = strtok_r(NULL, ".", &save))
		if (cur.kind != GRACE_J_OBJECT ||
		    !grace_jpath_member(p, cur.off, cur.len, s, &cur, tmp))
			return 0;
	*out = cur;
	return 1;
}

static int
text_at(const char *p, size_t n, const char *path, struct grace_buf *b,
    struct grace_buf *tmp)
{
	struct grace_jspan s;

	grace_buf_reset(b);
	if (!span_at(p, n, path, &s, tmp) || s.kind == GRACE_J_NULL)
		return grace_buf_add(b, "", 0) < 0 ? -1 : 0;
	if (s.kind == GRACE_J_STRING)
		return grace_json_unescape(b, p + s.off, s.len) < 0 ? -1 : 1;
	return grace_buf_add(b, p + s.off, s.len) < 0 ? -1 : 1;
}

static int64_t
time_ms(const char *s, size_t n, int *ok)
{
	struct timespec ts;

	*ok = grace_time_parse(s, n, &ts, NULL) == 0;
	return *ok ? (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 : 0;
}

/* What the executor knows of one proposal. */
struct prop {
	struct grace_buf id, playbook, component, expires, decision, reasons;
	struct grace_jspan event;   /* data.event, the anomaly */
	struct grace_hanomaly a;
	unsigned hop;
	int64_t expires_ms;
	int has_expiry;
};

static void
prop_free(struct prop *q)
{
	grace_buf_free(&q->id);
	grace_buf_free(&q->playbook);
	grace_buf_free(&q->component);
	grace_buf_free(&q->expires);
	grace_buf_free(&q->decision);
	grace_buf_free(&q->reasons);
	grace_hanomaly_free(&q->a);
}

static int
prop_read(const char *p, size_t n, struct prop *q, struct grace_buf *tmp)
{
	struct grace_buf hop = {0};
	int r = 0;

	memset(q, 0, sizeof *q);
	r |= text_at(p, n, "data.healing", &q->id, tmp) < 0;
	r |= text_at(p, n, "data.playbook", &q->playbook, tmp) < 0;
	r |= text_at(p, n, "data.component", &q->component, tmp) < 0;
	r |= text_at(p, n, "data.expires", &q->expires, tmp) < 0;
	r |= text_at(p, n, "grace.gate.decision", &q->decision, tmp) < 0;
	{
		static char *const rs[] = { "grace", "gate", "reasons" };

		r |= grace_jpath_join(p, n, rs, 3, "; ", &q->reasons, tmp) < 0;
	}
	r |= text_at(p, n, "data.hop", &hop, tmp) < 0;
	if (!span_at(p, n, "data.event", &q->event, tmp) ||
	    q->event.kind != GRACE_J_OBJECT)
		q->event.kind = GRACE_J_NONE;
	else
		r |= grace_hanomaly_read(p + q->event.off, q->event.len,
		    &q->a) < 0;
	if (!q->a.id.p)   /* no anomaly: its members are still "" */
		r |= grace_hanomaly_read("{}", 2, &q->a) < 0;
	q->expires_ms = time_ms(q->expires.p ? q->expires.p : "",
	    q->expires.len, &q->has_expiry);
	{
		char *end;
		unsigned long h = hop.p ? strtoul(hop.p, &end, 10) : 0;

		q->hop = !hop.len || *end || h > 1000000 ? 1000000 : (unsigned)h;
	}
	grace_buf_free(&hop);
	return r ? -1 : 0;
}

static int
emit_buf(const struct grace_hexec *x, struct grace_buf *b, struct grace_err *e)
{
	int r = x->emit(x->arg, b->p, b->len, e);

	grace_buf_reset(b);
	return r;
}

/* A healing.rejected event, and the annotation saying so. */
static int
reject(const struct grace_hexec *x, const struct prop *q, const char *what,
    const char *reason, int64_t now_ms, struct grace_buf *ann,
    struct grace_err *e)
{
	struct grace_buf ev = {0};
	int r;

	if (grace_heal_refusal("healing.rejected", q->id.p, "-rejected", &q->a,
	    q->playbook.p, what, reason, now_ms, &ev) < 0) {
		grace_buf_free(&ev);
		return grace_err_sys(e, NULL, "out of memory");
	}
	r = emit_buf(x, &ev, e);
	grace_buf_free(&ev);
	if (r < 0)
		return -1;
	grace_buf_addf(ann, "{\"execution\":\"rejected\",\"healing\":");
	grace_buf_add_jstr(ann, q->id.p, q->id.len);
	grace_buf_addf(ann, ",\"refused\":\"%s\",\"reason\":", what);
	grace_buf_add_jstr(ann, reason, strlen(reason));
	grace_buf_adds(ann, "}");
	return 1;
}

/* The proposal is allowed: run it, if its playbook's policy lets it. */
static int
run(struct grace_hexec *x, const struct prop *q, int64_t now_ms,
    struct grace_buf *ann, struct grace_err *e)
{
	const struct grace_playbook *pb = grace_playbook_find(x->pbs,
	    q->playbook.p);
	struct grace_buf why = {0}, ev = {0};
	struct grace_hrun_opts o;
	enum grace_hout out;
	size_t pbi;
	int r, refused;

	if (!pb) {
		grace_buf_addf(&why, "playbook '%s' is not defined here",
		    q->playbook.p);
		r = reject(x, q, "unknown_playbook", why.p, now_ms, ann, e);
		grace_buf_free(&why);
		return r;
	}
	if (q->event.kind == GRACE_J_NONE) {
		r = reject(x, q, "malformed", "the proposal carries no anomaly "
		    "event (data.event)", now_ms, ann, e);
		return r;
	}
	pbi = (size_t)(pb - x->pbs->v);
	refused = grace_hgov_check(x->gov, pbi, q->component.p, q->hop, now_ms,
	    &why);
	if (refused != GRACE_HGOV_OK) {
		r = grace_heal_refusal("healing.escalated", q->id.p,
		    "-escalated", &q->a, pb->name,
		    grace_hrefuse_name(refused), why.p, now_ms, &ev) < 0 ? -1 :
		    emit_buf(x, &ev, e);
		if (r == 0) {
			grace_buf_addf(ann, "{\"execution\":\"escalated\","
			    "\"healing\":");
			grace_buf_add_jstr(ann, q->id.p, q->id.len);
			grace_buf_addf(ann, ",\"refused\":\"%s\",\"reason\":",
			    grace_hrefuse_name(refused));
			grace_buf_add_jstr(ann, why.p, why.len);
			grace_buf_adds(ann, "}");
		}
		grace_buf_free(&why);
		grace_buf_free(&ev);
		return r < 0 ? -1 : 1;
	}
	grace_buf_free(&why);
	if (grace_hgov_start(x->gov, pbi, q->component.p, now_ms) < 0 ||
	    grace_hgov_done(x->gov, q->id.p, 1) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	memset(&o, 0, sizeof o);
	o.healing_id = q->id.p;
	o.hop = q->hop;
	o.snapshot_dir = x->snapshot_dir;
	o.output_cap = x->output_cap;
	o.now_ms = now_ms;
	o.emit = x->emit;
	o.arg = x->arg;
	if (grace_playbook_run(pb, x->src + q->event.off, q->event.len, &o,
	    &out, e) < 0)
		return -1;
	now_ms = x->clock(x->arg);
	if (grace_hgov_record(x->gov, pbi, q->component.p, out, now_ms) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	x->outcomes[out]++;
	if (x->learn && grace_hlearn_record(x->learn, x->src + q->event.off,
	    q->event.len, pb->name, out) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if (x->trust) {
		r = grace_htrust_adjust(x->trust, q->component.p, out, q->id.p,
		    now_ms, &ev, e);
		if (r < 0 || (r > 0 && emit_buf(x, &ev, e) < 0)) {
			grace_buf_free(&ev);
			return -1;
		}
	}
	grace_buf_free(&ev);
	grace_buf_addf(ann, "{\"execution\":\"ran\",\"healing\":");
	grace_buf_add_jstr(ann, q->id.p, q->id.len);
	grace_buf_addf(ann, ",\"outcome\":\"%s\"}", grace_hout_name(out));
	return out == GRACE_HOUT_VERIFIED ? 0 : 1;
}

/* The stricter of two gate decisions by name ("" is none). */
static const char *
stricter(const char *a, const char *b)
{
	static const char *const order[] = { "allow", "warn", "review", "deny",
		"error" };
	int ia = -1, ib = -1, i;

	for (i = 0; i < 5; i++) {
		if (strcmp(a, order[i]) == 0)
			ia = i;
		if (strcmp(b, order[i]) == 0)
			ib = i;
	}
	if (*a && ia < 0)
		return "error";     /* a decision we do not know: no */
	if (*b && ib < 0)
		return "error";
	return ia >= ib ? a : b;
}

int
grace_hexec_proposal(struct grace_hexec *x, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *ann, struct grace_err *e)
{
	struct grace_buf tmp = {0}, why = {0};
	struct grace_gov_verdict v;
	struct prop q;
	const char *dec;
	char exp[GRACE_TIME_LEN];
	size_t len;
	int r;

	if (prop_read(p, n, &q, &tmp) < 0) {
		r = grace_err_sys(e, NULL, "out of memory");
		goto out;
	}
	x->src = p;
	if (!q.id.len) {
		r = reject(x, &q, "malformed", "the proposal has no data.healing "
		    "id", now_ms, ann, e);
		goto out;
	}
	if (grace_hgov_done(x->gov, q.id.p, 0)) {
		r = reject(x, &q, "duplicate", "this healing ran already: a "
		    "proposal runs once", now_ms, ann, e);
		goto out;
	}
	if (!q.has_expiry) {
		r = reject(x, &q, "malformed", "the proposal has no RFC 3339 "
		    "data.expires: it could run late", now_ms, ann, e);
		goto out;
	}
	if (now_ms >= q.expires_ms) {
		grace_buf_addf(&why, "the proposal expired at %s before it was "
		    "allowed", q.expires.p);
		free(grace_hgov_take(x->gov, q.id.p, &len));
		r = reject(x, &q, "expired", why.p, now_ms, ann, e);
		goto out;
	}
	dec = q.decision.p ? q.decision.p : "";
	grace_gov_verdict_init(&v);
	if (x->gate) {
		struct grace_gov_opts go;

		memset(&go, 0, sizeof go);
		go.now_ms = now_ms;
		go.votes = x->votes;
		if (grace_gov_judge(x->gate, &go, p, n, &v, e) < 0) {
			grace_gov_verdict_free(&v);
			r = -1;
			goto out;
		}
		dec = stricter(dec, grace_gov_decision_name(v.decision));
		if (v.reason.len && strcmp(dec, grace_gov_decision_name(
		    v.decision)) == 0) {
			grace_buf_reset(&q.reasons);
			grace_buf_add(&q.reasons, v.reason.p, v.reason.len);
		}
	}
	if (strcmp(dec, "allow") == 0) {
		free(grace_hgov_take(x->gov, q.id.p, &len));
		r = run(x, &q, now_ms, ann, e);
	} else if (strcmp(dec, "review") == 0) {
		if (grace_hgov_pend(x->gov, q.id.p, q.expires_ms, p, n) < 0) {
			r = grace_err_sys(e, NULL, "out of memory");
		} else {
			snprintf(exp, sizeof exp, "%s", q.expires.p);
			grace_buf_addf(ann, "{\"execution\":\"held\",\"healing\":");
			grace_buf_add_jstr(ann, q.id.p, q.id.len);
			grace_buf_addf(ann, ",\"reason\":\"held for approval "
			    "until %s\"}", exp);
			r = 0;
		}
	} else if (!*dec) {
		r = reject(x, &q, "ungoverned", "no grace.gate verdict: only a "
		    "proposal grace-gate allowed runs (or give --governance)",
		    now_ms, ann, e);
	} else {
		grace_buf_addf(&why, "governance said %s%s%s", dec,
		    q.reasons.len ? ": " : "", q.reasons.len ? q.reasons.p : "");
		free(grace_hgov_take(x->gov, q.id.p, &len));
		r = reject(x, &q, "denied", why.p, now_ms, ann, e);
	}
	grace_gov_verdict_free(&v);
out:
	prop_free(&q);
	grace_buf_free(&tmp);
	grace_buf_free(&why);
	return r;
}

int
grace_hexec_expire(struct grace_hexec *x, int64_t now_ms, struct grace_err *e)
{
	size_t i, n;
	const char *id;
	int64_t exp;

	for (i = 0; i < grace_hgov_npending(x->gov); ) {
		const char *ev = grace_hgov_pending_at(x->gov, i, &n, &id, &exp);
		struct grace_buf ann = {0};
		char *own;
		int r;

		if (exp > now_ms) {
			i++;
			continue;
		}
		if (!(own = grace_hgov_take(x->gov, id, &n)))
			return grace_err_sys(e, NULL, "out of memory");
		(void)ev;
		/* as if it came again, now: it is past its expiry */
		r = grace_hexec_proposal(x, own, n, now_ms, &ann, e);
		free(own);
		grace_buf_free(&ann);
		if (r < 0)
			return -1;
	}
	return 0;
}

int
grace_hexec_revisit(struct grace_hexec *x, int64_t now_ms, struct grace_err *e)
{
	size_t i, n, k = grace_hgov_npending(x->gov);
	char **held;
	size_t *len;
	int rc = 0;

	if (!x->gate || !k)
		return 0;
	held = calloc(k, sizeof *held);
	len = calloc(k, sizeof *len);
	if (!held || !len) {
		free(held);
		free(len);
		return grace_err_sys(e, NULL, "out of memory");
	}
	for (i = 0; i < k; i++) {
		const char *id;

		(void)grace_hgov_pending_at(x->gov, 0, &n, &id, NULL);
		held[i] = grace_hgov_take(x->gov, id, &len[i]);
	}
	for (i = 0; i < k; i++) {
		struct grace_buf ann = {0};

		if (rc == 0 && grace_hexec_proposal(x, held[i], len[i], now_ms,
		    &ann, e) < 0)
			rc = -1;
		grace_buf_free(&ann);
		free(held[i]);
	}
	free(held);
	free(len);
	return rc;
}
