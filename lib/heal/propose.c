/* propose.c - from an anomaly to a healing.proposed event: the playbooks
 * that match it, in the order learning suggests, the first of them
 * proposed; or, when none matches, a healing.escalated event saying so
 * (grace-heal(1), PROPOSALS). Nothing runs here.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/gate.h"
#include "heal.h"
#include "jpath.h"
#include "timeutil.h"

/* The text at the dotted path of p[0..n) into b ("" when absent). */
static int
text(const char *p, size_t n, const char *path, struct grace_buf *b,
    struct grace_buf *tmp)
{
	char buf[128], *segs[8], *s, *save;
	size_t k = 0;

	snprintf(buf, sizeof buf, "%s", path);
	for (s = strtok_r(buf, ".", &save); s && k < 8;
	    s = strtok_r(NULL, ".", &save))
		segs[k++] = s;
	return grace_jpath_text(p, n, segs, k, b, tmp);
}

static void
fmt_time(int64_t ms, char out[GRACE_TIME_LEN])
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	struct grace_timefmt tf = {0};

	if (ms < 0 || grace_time_format(&tf, &ts, out) < 0)
		strcpy(out, "1970-01-01T00:00:00.000000Z");
}

int
grace_hanomaly_read(const char *p, size_t n, struct grace_hanomaly *a)
{
	struct grace_buf tmp = {0}, hop = {0};
	int r = 0;

	r |= text(p, n, "id", &a->id, &tmp) < 0;
	r |= text(p, n, "time", &a->time, &tmp) < 0;
	r |= text(p, n, "data.anomaly", &a->anomaly, &tmp) < 0;
	r |= text(p, n, "data.component", &a->component, &tmp) < 0;
	r |= text(p, n, "data.severity", &a->severity, &tmp) < 0;
	r |= text(p, n, "causation.healing", &a->cause, &tmp) < 0;
	r |= text(p, n, "causation.hop", &hop, &tmp) < 0;
	a->hop = 0;
	if (!r && hop.len) {
		char *end;
		unsigned long h = strtoul(hop.p, &end, 10);

		a->hop = *end || h > 1000000 ? 1000000 : (unsigned)h;
	}
	grace_buf_free(&tmp);
	grace_buf_free(&hop);
	return r ? -1 : 0;
}

void
grace_hanomaly_free(struct grace_hanomaly *a)
{
	grace_buf_free(&a->id);
	grace_buf_free(&a->time);
	grace_buf_free(&a->anomaly);
	grace_buf_free(&a->component);
	grace_buf_free(&a->severity);
	grace_buf_free(&a->cause);
}

/* The members every event of a healing shares, after the "{": specversion,
 * id, type, source, actor, time, subject. */
static int
head(struct grace_buf *out, const char *id, const char *suffix,
    const char *type, const char *time, const struct grace_hanomaly *a)
{
	int x = 0;

	x |= grace_buf_adds(out, "{\"specversion\":\"1.0\",\"id\":");
	x |= grace_buf_add_jstr(out, id, strlen(id));
	if (!x && *suffix) {
		out->len--;
		x |= grace_buf_addf(out, "%s\"", suffix);
	}
	x |= grace_buf_addf(out, ",\"type\":\"%s\",\"source\":\"grace-heal\","
	    "\"actor\":\"grace-heal\",\"time\":\"%s\",\"subject\":", type, time);
	x |= grace_buf_add_jstr(out, a->component.p ? a->component.p : "",
	    a->component.len);
	return x;
}

/* "anomaly":{"id":..,"anomaly":..,"component":..,"severity":..} */
static int
anomaly_member(struct grace_buf *out, const struct grace_hanomaly *a)
{
	int x = 0;

	x |= grace_buf_adds(out, "\"anomaly\":{\"id\":");
	x |= grace_buf_add_jstr(out, a->id.p ? a->id.p : "", a->id.len);
	x |= grace_buf_adds(out, ",\"anomaly\":");
	x |= grace_buf_add_jstr(out, a->anomaly.p ? a->anomaly.p : "",
	    a->anomaly.len);
	x |= grace_buf_adds(out, ",\"component\":");
	x |= grace_buf_add_jstr(out, a->component.p ? a->component.p : "",
	    a->component.len);
	x |= grace_buf_adds(out, ",\"severity\":");
	x |= grace_buf_add_jstr(out, a->severity.p ? a->severity.p : "",
	    a->severity.len);
	x |= grace_buf_adds(out, "}");
	return x;
}

static int
causation(struct grace_buf *out, const char *healing, unsigned hop)
{
	int x = grace_buf_adds(out, ",\"causation\":{\"healing\":");

	x |= grace_buf_add_jstr(out, healing, strlen(healing));
	x |= grace_buf_addf(out, ",\"hop\":%u}", hop);
	return x;
}

int
grace_heal_refusal(const char *type, const char *id, const char *suffix,
    const struct grace_hanomaly *a, const char *playbook, const char *refused,
    const char *reason, int64_t now_ms, struct grace_buf *out)
{
	char now[GRACE_TIME_LEN];
	int x;

	fmt_time(now_ms, now);
	x = head(out, id, suffix, type, now, a);
	x |= grace_buf_adds(out, ",\"data\":{\"healing\":");
	x |= grace_buf_add_jstr(out, id, strlen(id));
	x |= grace_buf_adds(out, ",");
	x |= anomaly_member(out, a);
	if (playbook) {
		x |= grace_buf_adds(out, ",\"playbook\":");
		x |= grace_buf_add_jstr(out, playbook, strlen(playbook));
	}
	x |= grace_buf_addf(out, ",\"refused\":\"%s\",\"reason\":", refused);
	x |= grace_buf_add_jstr(out, reason, strlen(reason));
	x |= grace_buf_adds(out, "}");
	if (a->cause.len)
		x |= causation(out, a->cause.p, a->hop);
	x |= grace_buf_adds(out, "}");
	return x ? -1 : 0;
}

int
grace_heal_propose(const struct grace_playbooks *pbs,
    const struct grace_hlearn *learn, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *out, struct grace_err *e)
{
	struct grace_hanomaly a;
	const struct grace_playbook *pb;
	const char *parts[2];
	char hid[20], now[GRACE_TIME_LEN], exp[GRACE_TIME_LEN];
	size_t *idx;
	long k;
	int x = 0, rc = -1;
	int64_t ttl;

	memset(&a, 0, sizeof a);
	if (!(idx = malloc((pbs->n ? pbs->n : 1) * sizeof *idx)) ||
	    grace_hanomaly_read(p, n, &a) < 0) {
		free(idx);
		grace_hanomaly_free(&a);
		return grace_err_sys(e, NULL, "out of memory");
	}
	if ((k = grace_playbooks_match(pbs, p, n, idx, e)) < 0)
		goto out;
	fmt_time(now_ms, now);
	if (k == 0) {
		struct grace_buf why = {0};

		x |= grace_buf_addf(&why, "no playbook matches anomaly '%s' "
		    "(severity %s) of '%s'", a.anomaly.p ? a.anomaly.p : "",
		    a.severity.p ? a.severity.p : "",
		    a.component.p ? a.component.p : "");
		x |= grace_heal_refusal("healing.escalated", a.id.p ? a.id.p :
		    "", "-escalated", &a,
		    NULL, "no_playbook", why.p ? why.p : "", now_ms, out);
		grace_buf_free(&why);
		rc = x ? grace_err_sys(e, NULL, "out of memory") : 0;
		goto out;
	}
	if (learn && grace_hlearn_order(learn, pbs, p, n, idx, (size_t)k) < 0) {
		grace_err_sys(e, NULL, "out of memory");
		goto out;
	}
	pb = &pbs->v[idx[0]];
	parts[0] = a.id.p ? a.id.p : "";
	parts[1] = pb->name;
	if (grace_heal_hashid(hid + 2, parts, 2) < 0) {
		grace_err_sys(e, NULL, "SHA-256 failed");
		goto out;
	}
	hid[0] = 'h';
	hid[1] = '-';
	ttl = pb->policy.approval_ttl_ms > 0 ? pb->policy.approval_ttl_ms :
	    GRACE_HEAL_DEFAULT_TTL_MS;
	fmt_time(now_ms + ttl, exp);
	x |= head(out, hid, "", "healing.proposed", now, &a);
	x |= grace_buf_adds(out, ",\"data\":{\"healing\":");
	x |= grace_buf_add_jstr(out, hid, strlen(hid));
	x |= grace_buf_adds(out, ",\"playbook\":");
	x |= grace_buf_add_jstr(out, pb->name, strlen(pb->name));
	x |= grace_buf_addf(out, ",\"risk\":\"%s\",\"component\":",
	    grace_gov_risk_name(pb->policy.risk));
	x |= grace_buf_add_jstr(out, a.component.p ? a.component.p : "",
	    a.component.len);
	x |= grace_buf_adds(out, ",");
	x |= anomaly_member(out, &a);
	x |= grace_buf_addf(out, ",\"hop\":%u,\"expires\":\"%s\",\"steps\":",
	    a.cause.len ? a.hop + 1 : 0, exp);
	x |= grace_playbook_steps_json(pb, p, n, out);
	x |= grace_buf_adds(out, ",\"event\":");
	x |= grace_buf_add(out, p, n);
	x |= grace_buf_adds(out, "}");
	if (a.cause.len)
		x |= causation(out, a.cause.p, a.hop);
	x |= grace_buf_adds(out, "}");
	rc = x ? grace_err_sys(e, NULL, "out of memory") : 0;
out:
	free(idx);
	grace_hanomaly_free(&a);
	return rc;
}
