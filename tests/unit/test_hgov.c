/* test_hgov.c - lib/heal's governance (budget, cool-down, breaker, loop
 * guard, held proposals, state round trip), trust adjustments against
 * hand-computed values, and learning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "gate/gate.h"
#include "heal/heal.h"
#include "t.h"

#define MIN 60000LL
#define HOUR 3600000LL

static struct grace_playbook pbv[2];
static struct grace_playbooks pbs = { .v = pbv, .n = 2 };

static void
setup(void)
{
	memset(pbv, 0, sizeof pbv);
	pbv[0].name = "restart";
	pbv[0].policy.budget_max = 3;
	pbv[0].policy.budget_window_ms = HOUR;
	pbv[0].policy.budget_reset_ms = 30 * MIN;
	pbv[0].policy.cooldown_ms = 5 * MIN;
	pbv[0].policy.max_hops = 2;
	pbv[1].name = "failover";
	pbv[1].policy.breaker_min_runs = 2;
	pbv[1].policy.breaker_rate = 0.5;
	pbv[1].policy.breaker_delay_ms = 10 * MIN;
}

static int
check(struct grace_hgov *g, size_t pb, const char *c, unsigned hop,
    long long t, char *why, size_t cap)
{
	struct grace_buf b = {0};
	int r = grace_hgov_check(g, pb, c, hop, t, &b);

	snprintf(why, cap, "%s", b.p ? b.p : "");
	grace_buf_free(&b);
	return r;
}

/* One run of pb for c from t to t+1s with outcome o. */
static void
run(struct grace_hgov *g, size_t pb, const char *c, long long t,
    enum grace_hout o)
{
	grace_hgov_start(g, pb, c, t);
	grace_hgov_record(g, pb, c, o, t + 1000);
}

static void
test_budget_cooldown_loop(void)
{
	struct grace_hgov *g = grace_hgov_new(&pbs);
	char why[512];
	long long t0 = 1000 * HOUR;

	T_INTEQ(check(g, 0, "web", 0, t0, why, sizeof why), GRACE_HGOV_OK,
	    "a first run may go");
	run(g, 0, "web", t0, GRACE_HOUT_FAILED);
	T_INTEQ(check(g, 0, "web", 0, t0 + 2 * MIN, why, sizeof why),
	    GRACE_HGOV_COOLDOWN, "within the cool-down: refused");
	T_STREQ(why, "cool-down: playbook 'restart' ran for 'web' 1m59s ago "
	    "(cooldown 5m)", "the cool-down says when it ran");
	T_INTEQ(check(g, 0, "db", 0, t0 + 2 * MIN, why, sizeof why),
	    GRACE_HGOV_OK, "the cool-down is per component");
	run(g, 0, "web", t0 + 10 * MIN, GRACE_HOUT_FAILED);
	run(g, 0, "web", t0 + 20 * MIN, GRACE_HOUT_FAILED);
	T_INTEQ(check(g, 0, "web", 0, t0 + 30 * MIN, why, sizeof why),
	    GRACE_HGOV_BUDGET, "a fourth run within the hour: over budget");
	T_STREQ(why, "budget: playbook 'restart' ran 3 times for 'web' within "
	    "1h (max 3)", "the budget says what was counted");
	/* the first run leaves the window an hour after it started */
	T_INTEQ(check(g, 0, "web", 0, t0 + HOUR, why, sizeof why),
	    GRACE_HGOV_BUDGET, "exactly an hour after the first: still 3");
	T_INTEQ(check(g, 0, "web", 0, t0 + HOUR + 1, why, sizeof why),
	    GRACE_HGOV_OK, "then 2 in the window: may run");
	/* loop guard */
	T_INTEQ(check(g, 0, "db", 2, t0, why, sizeof why), GRACE_HGOV_OK,
	    "hop 2 with max_hops 2: may run");
	T_INTEQ(check(g, 0, "db", 3, t0, why, sizeof why), GRACE_HGOV_LOOP,
	    "hop 3: the loop guard");
	T_STREQ(why, "loop guard: hop 3 is over max_hops 2 of playbook "
	    "'restart'", "the loop guard says so");
	grace_hgov_free(g);
}

static void
test_budget_reset(void)
{
	struct grace_hgov *g = grace_hgov_new(&pbs);
	char why[512];
	long long t0 = 1000 * HOUR;

	grace_hgov_health(g, "web", 0, t0);
	run(g, 0, "web", t0, GRACE_HOUT_VERIFIED);
	run(g, 0, "web", t0 + 6 * MIN, GRACE_HOUT_VERIFIED);
	run(g, 0, "web", t0 + 12 * MIN, GRACE_HOUT_VERIFIED);
	/* healthy for 29 minutes: not long enough */
	grace_hgov_health(g, "web", 1, t0 + 13 * MIN);
	grace_hgov_health(g, "web", 0, t0 + 42 * MIN);
	T_INTEQ(check(g, 0, "web", 0, t0 + 42 * MIN, why, sizeof why),
	    GRACE_HGOV_BUDGET, "a 29m healthy spell does not reset the budget");
	/* healthy for 30 minutes: reset */
	grace_hgov_health(g, "web", 1, t0 + 43 * MIN);
	grace_hgov_health(g, "web", 1, t0 + 50 * MIN);   /* still healthy */
	grace_hgov_health(g, "web", 0, t0 + 73 * MIN);
	T_INTEQ(check(g, 0, "web", 0, t0 + 50 * MIN + 23 * MIN, why, sizeof why),
	    GRACE_HGOV_OK, "a 30m healthy spell resets it");
	grace_hgov_free(g);
}

static void
test_breaker(void)
{
	struct grace_hgov *g = grace_hgov_new(&pbs);
	char why[512];
	long long t0 = 1000 * HOUR;

	run(g, 1, "a", t0, GRACE_HOUT_VERIFIED);
	run(g, 1, "b", t0 + MIN, GRACE_HOUT_ROLLED_BACK);
	T_INTEQ(grace_hgov_breaker_state(g, 1), 1, "1 failure of 2 runs at "
	    "rate 0.5: the breaker opens");
	T_INTEQ(check(g, 1, "c", 0, t0 + 5 * MIN, why, sizeof why),
	    GRACE_HGOV_BREAKER, "open: refused, for any component");
	T_STREQ(why, "breaker open: playbook 'failover' failed 1 of 2 runs "
	    "(rate 0.5 over at least 2); a probe in 6m1s",
	    "the breaker says when it probes");
	T_INTEQ(check(g, 1, "c", 0, t0 + MIN + 1000 + 10 * MIN, why,
	    sizeof why), GRACE_HGOV_OK, "after the delay: one probe");
	grace_hgov_start(g, 1, "c", t0 + 12 * MIN);
	T_INTEQ(grace_hgov_breaker_state(g, 1), 2, "the probe: half open");
	T_INTEQ(check(g, 1, "d", 0, t0 + 12 * MIN, why, sizeof why),
	    GRACE_HGOV_BREAKER, "one probe at a time");
	grace_hgov_record(g, 1, "c", GRACE_HOUT_FAILED, t0 + 13 * MIN);
	T_INTEQ(grace_hgov_breaker_state(g, 1), 1, "a failed probe opens it "
	    "again");
	T_INTEQ(check(g, 1, "d", 0, t0 + 22 * MIN, why, sizeof why),
	    GRACE_HGOV_BREAKER, "for another delay");
	run(g, 1, "d", t0 + 23 * MIN, GRACE_HOUT_VERIFIED);
	T_INTEQ(grace_hgov_breaker_state(g, 1), 0, "a good probe closes it");
	run(g, 1, "e", t0 + 24 * MIN, GRACE_HOUT_VERIFIED);
	run(g, 1, "f", t0 + 25 * MIN, GRACE_HOUT_FAILED);
	T_INTEQ(grace_hgov_breaker_state(g, 1), 1, "counted afresh after "
	    "closing: 1 of 2 opens it");
	grace_hgov_free(g);
}

static void
test_pending_and_state(void)
{
	struct grace_hgov *g = grace_hgov_new(&pbs), *h;
	struct grace_buf s1 = {0}, s2 = {0};
	struct grace_err e;
	const char *id;
	int64_t exp;
	char why[512], *ev;
	size_t n;
	long long t0 = 1000 * HOUR;
	const char *p1 = "{\"id\":\"h-1\",\"type\":\"healing.proposed\"}";
	const char *p2 = "{\"id\":\"h-2\",\"type\":\"healing.proposed\"}";

	T_INTEQ(grace_hgov_pend(g, "h-1", t0 + 15 * MIN, p1, strlen(p1)), 1,
	    "held");
	T_INTEQ(grace_hgov_pend(g, "h-1", t0 + 99 * MIN, "{}", 2), 0,
	    "held once");
	T_INTEQ(grace_hgov_pend(g, "h-2", t0 + 5 * MIN, p2, strlen(p2)), 1,
	    "another");
	T_INTEQ(grace_hgov_next_expiry(g), t0 + 5 * MIN, "the next expiry");
	run(g, 0, "web", t0, GRACE_HOUT_FAILED);
	run(g, 1, "a", t0, GRACE_HOUT_FAILED);
	run(g, 1, "a", t0 + MIN, GRACE_HOUT_FAILED);
	grace_hgov_health(g, "db", 1, t0);
	T_OK(grace_hgov_save(g, &s1) == 0, "saved");
	h = grace_hgov_new(&pbs);
	T_OK(grace_hgov_restore(h, s1.p, s1.len, "state.json", &e) == 0,
	    "restored: %s", s1.p);
	T_OK(grace_hgov_save(h, &s2) == 0 && s1.len == s2.len &&
	    memcmp(s1.p, s2.p, s1.len) == 0, "the same state saved again");
	T_INTEQ(check(h, 0, "web", 0, t0 + MIN, why, sizeof why),
	    GRACE_HGOV_COOLDOWN, "the cool-down carried over");
	T_INTEQ(check(h, 1, "b", 0, t0 + 2 * MIN, why, sizeof why),
	    GRACE_HGOV_BREAKER, "the open breaker carried over");
	T_INTEQ(grace_hgov_npending(h), 2, "both held proposals carried over");
	ev = grace_hgov_take(h, "h-2", &n);
	T_STREQ(ev, "{\"id\":\"h-2\",\"type\":\"healing.proposed\"}",
	    "taken back");
	free(ev);
	T_OK(grace_hgov_take(h, "h-2", &n) == NULL, "taken once");
	T_OK(grace_hgov_pending_at(h, 0, &n, &id, &exp) && strcmp(id, "h-1") ==
	    0 && exp == t0 + 15 * MIN, "the other is still held");
	T_OK(grace_hgov_restore(h, "{\"version\":2}", 13, "state.json", &e) < 0 &&
	    strcmp(e.msg, "not a grace-heal governance state: not version 1") ==
	    0 && e.code == GRACE_EXIT_USAGE, "a bad state file is refused");
	grace_buf_free(&s1);
	grace_buf_free(&s2);
	grace_hgov_free(g);
	grace_hgov_free(h);
}

static char dir[] = "/tmp/grace-test-hgov-XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static double
score_now(const char *trust, const char *name, long long now)
{
	struct grace_trust_ov ov;
	struct grace_trust_ov_entry *x;
	struct grace_err e;
	char path[256];
	double s = -1;

	snprintf(path, sizeof path, "%s/%s", dir, trust);
	if (grace_trust_ov_read(path, 0, &ov, &e) == 0 &&
	    (x = grace_trust_ov_get(&ov, name)))
		s = grace_trust_recovered(x->score, 0.8, x->per_hour, x->at_ms,
		    now);
	grace_trust_ov_free(&ov);
	return s;
}

static void
test_trust(void)
{
	struct grace_htrust_cfg cfg;
	struct grace_htrust *t;
	struct grace_buf ev = {0};
	struct grace_err e;
	char path[256];
	long long t0 = 1796083200000LL;   /* 2026-12-01T00:00:00Z */

	memset(&cfg, 0, sizeof cfg);
	cfg.verified = 0.02;
	cfg.failed = -0.1;
	cfg.rolled_back = -0.05;
	cfg.escalated = -0.2;
	cfg.recover_per_hour = 0.1;
	cfg.floor = 0.1;
	cfg.ceiling = 0.9;
	cfg.set = 1;
	snprintf(path, sizeof path, "%s/trust.yaml", dir);
	put("trust.yaml", "default: 0.5\nscores: {web: 0.8}\n");
	T_OK(!grace_htrust_open(path, &cfg, &e) && e.code == GRACE_EXIT_USAGE,
	    "a trust file without an overlay cannot be adjusted");
	put("trust.yaml", "default: 0.5\nscores: {web: 0.8}\n"
	    "overlay: overlay.json\n");
	T_OK((t = grace_htrust_open(path, &cfg, &e)) != NULL, "opened");
	snprintf(path, sizeof path, "%s/overlay.json", dir);
	T_OK(access(path, F_OK) == 0, "the overlay is created, empty");
	T_INTEQ(grace_htrust_adjust(t, "web", GRACE_HOUT_FAILED, "h-1", t0, &ev,
	    &e), 1, "a failure adjusts");
	T_STREQ(ev.p, "{\"specversion\":\"1.0\",\"type\":\"trust.adjusted\","
	    "\"source\":\"grace-heal\",\"id\":\"h-1-trust\",\"time\":"
	    "\"2026-12-01T00:00:00.000000Z\",\"subject\":\"web\",\"data\":"
	    "{\"component\":\"web\",\"from\":0.8,\"to\":0.7,\"delta\":-0.1,"
	    "\"outcome\":\"failed\",\"healing\":\"h-1\",\"base\":0.8,"
	    "\"recover_per_hour\":0.1}}", "0.8 - 0.1 = 0.7");
	/* half an hour on, 0.7 has recovered to 0.75; escalated: -0.2 */
	grace_buf_reset(&ev);
	grace_htrust_adjust(t, "web", GRACE_HOUT_ESCALATED, "h-2",
	    t0 + 30 * MIN, &ev, &e);
	T_OK(strstr(ev.p, "\"from\":0.75,\"to\":0.55,\"delta\":-0.2") != NULL,
	    "recovered 0.75 - 0.2 = 0.55: %s", ev.p);
	T_OK(score_now("overlay.json", "web", t0 + 30 * MIN + 2 * HOUR) > 0.7499 &&
	    score_now("overlay.json", "web", t0 + 30 * MIN + 2 * HOUR) < 0.7501,
	    "two hours later a reader sees 0.75");
	T_OK(score_now("overlay.json", "web", t0 + 30 * MIN + 5 * HOUR) == 0.8,
	    "and never more than the file's 0.8");
	/* clamping: a stranger (default 0.5) escalated thrice: 0.1 floor */
	grace_buf_reset(&ev);
	grace_htrust_adjust(t, "new", GRACE_HOUT_ESCALATED, "h-3", t0, &ev, &e);
	grace_htrust_adjust(t, "new", GRACE_HOUT_ESCALATED, "h-4", t0, &ev, &e);
	grace_buf_reset(&ev);
	grace_htrust_adjust(t, "new", GRACE_HOUT_ESCALATED, "h-5", t0, &ev, &e);
	T_OK(strstr(ev.p, "\"from\":0.1,\"to\":0.1,\"delta\":0") != NULL,
	    "clamped to the floor: %s", ev.p);
	/* verified from 0.8 + 0.02 = 0.82 ... ceiling 0.9 */
	grace_buf_reset(&ev);
	grace_htrust_adjust(t, "db", GRACE_HOUT_VERIFIED, "h-6", t0, &ev, &e);
	T_OK(strstr(ev.p, "\"from\":0.5,\"to\":0.52,") != NULL,
	    "a success raises the default 0.5 to 0.52: %s", ev.p);
	grace_htrust_free(t);
	/* grace-gate sees what was written */
	{
		struct grace_trust *tr;

		snprintf(path, sizeof path, "%s/trust.yaml", dir);
		tr = grace_trust_load(path, &e);
		T_OK(tr && grace_trust_score(tr, "new", 3, NULL) >= 0.1 &&
		    grace_trust_score(tr, "new", 3, NULL) <= 0.5 &&
		    grace_trust_base(tr, "new", 3) == 0.5,
		    "the trust file reads the overlay on top, its base kept");
		grace_trust_free(tr);
	}
	grace_buf_free(&ev);
}

static const char *const anomaly =
    "{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":\"latency_spike\","
    "\"component\":\"web\",\"detector\":\"latency\",\"kind\":\"spike\","
    "\"evidence\":{\"value\":900,\"baseline\":80}}}";
static const char *const anomaly2 =   /* same signature, other values */
    "{\"type\":\"anomaly.detected\",\"data\":{\"anomaly\":\"latency_spike\","
    "\"component\":\"web\",\"detector\":\"latency\",\"kind\":\"spike\","
    "\"evidence\":{\"baseline\":70,\"value\":400}}}";

static void
test_learn(void)
{
	struct grace_hlearn *l;
	struct grace_err e;
	char path[256];
	size_t idx[2];
	char *text;
	size_t n;

	snprintf(path, sizeof path, "%s/knowledge.json", dir);
	T_OK((l = grace_hlearn_load(path, &e)) != NULL, "no file: empty");
	idx[0] = 0;
	idx[1] = 1;
	T_INTEQ(grace_hlearn_order(l, &pbs, anomaly, strlen(anomaly), idx, 2),
	    0, "nothing known: the order stands");
	grace_hlearn_record(l, anomaly, strlen(anomaly), "failover",
	    GRACE_HOUT_VERIFIED);
	T_INTEQ(grace_hlearn_order(l, &pbs, anomaly, strlen(anomaly), idx, 2),
	    0, "one success is not enough");
	grace_hlearn_record(l, anomaly2, strlen(anomaly2), "failover",
	    GRACE_HOUT_VERIFIED);
	grace_hlearn_record(l, anomaly, strlen(anomaly), "restart",
	    GRACE_HOUT_FAILED);
	T_INTEQ(grace_hlearn_order(l, &pbs, anomaly, strlen(anomaly), idx, 2),
	    1, "two successes of two: failover first");
	T_OK(idx[0] == 1 && idx[1] == 0, "the order is failover, restart");
	T_OK(grace_hlearn_save(l, path, &e) == 0, "saved");
	grace_hlearn_free(l);
	text = grace_read_file(path, 1 << 20, &n, &e);
	T_OK(text && strstr(text, "\"anomaly\":\"latency_spike\",\"component\":"
	    "\"web\",\"fingerprint\":\"") && strstr(text, "\"playbooks\":{"
	    "\"failover\":{\"success\":2,\"failure\":0},\"restart\":{\"success\""
	    ":0,\"failure\":1}}"), "the file says what was learnt");
	free(text);
	T_OK((l = grace_hlearn_load(path, &e)) != NULL, "loaded back");
	idx[0] = 0;
	idx[1] = 1;
	T_INTEQ(grace_hlearn_order(l, &pbs, anomaly2, strlen(anomaly2), idx, 2),
	    1, "and still knows");
	grace_hlearn_free(l);
	put("knowledge.json", "{\"version\":1,\"signatures\":[{\"anomaly\":\"x\"}]}");
	T_OK(!grace_hlearn_load(path, &e) && e.code == GRACE_EXIT_USAGE,
	    "a malformed knowledge file is refused: %s", e.msg);
}

int
main(void)
{
	char cmd[300];

	setup();
	if (!mkdtemp(dir))
		return 2;
	test_budget_cooldown_loop();
	test_budget_reset();
	test_breaker();
	test_pending_and_state();
	test_trust();
	test_learn();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return T_DONE();
}
