/* run.c - running one playbook for one anomaly: snapshots (safe-hold),
 * steps with retries, backoff and timeouts, verify (steps or a
 * grace-verify contract), and on failure rollback and restore or
 * escalation, each step a healing.step event (grace-playbook(5)). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "fileutil.h"
#include "jpath.h"
#include "heal.h"
#include "play_int.h"
#include "timeutil.h"
#include "verify/verify.h"

extern char **environ;

#define DEFAULT_OUTPUT_CAP 4096
#define SNAPSHOT_MAX (64u * 1024 * 1024)
#define MAX_WAIT_MS (3600.0 * 1000)

static const char *const phase_names[] = { "step", "verify", "rollback" };
enum { PH_STEP, PH_VERIFY, PH_ROLLBACK };

struct snap {
	int existed;
	mode_t mode;
	char *saved;                /* where its copy is */
};

struct rctx {
	const struct grace_playbook *pb;
	const struct hbook *b;
	const char *p;
	size_t n;
	const struct grace_hrun_opts *o;
	const char *hid;
	unsigned seq;
	size_t cap;
	struct grace_buf comp, aid, atype, asev;
	struct grace_buf ev, data, t, tmp;
	struct grace_err *e;
	int oom;
	int nostart;                /* the last attempt could not start */
};

/* ------------------------------------------------------------------ */
/* Events. */

static int
emit(struct rctx *x, const char *type)
{
	char now[GRACE_TIME_LEN];
	struct grace_buf *b = &x->ev;
	int r;

	if (x->oom || grace_buf_reserve(&x->data, 0) < 0)
		return grace_err_setc(x->e, GRACE_EXIT_SYSTEM, "out of memory");
	if (grace_time_now(NULL, now) < 0)
		now[0] = '\0';
	grace_buf_reset(b);
	r = grace_buf_adds(b, "{\"specversion\":\"1.0\",\"id\":");
	r |= grace_buf_addf(b, "\"%s-%u\",\"type\":\"%s\",\"source\":"
	    "\"grace-heal\",\"time\":\"%s\",\"subject\":", x->hid, ++x->seq,
	    type, now);
	r |= grace_buf_add_jstr(b, x->comp.p, x->comp.len);
	r |= grace_buf_adds(b, ",\"causation\":{\"healing\":");
	r |= grace_buf_add_jstr(b, x->hid, strlen(x->hid));
	r |= grace_buf_addf(b, ",\"hop\":%u},\"data\":", x->o->hop);
	r |= grace_buf_add(b, x->data.p, x->data.len);
	r |= grace_buf_add(b, "}", 1);
	if (r)
		return grace_err_setc(x->e, GRACE_EXIT_SYSTEM, "out of memory");
	if (!x->o->emit)
		return 0;
	return x->o->emit(x->o->arg, b->p, b->len, x->e);
}

/* data = {"healing":"<id>" ... (the caller goes on, then closes). */
static void
data_open(struct rctx *x)
{
	grace_buf_reset(&x->data);
	x->oom |= grace_buf_adds(&x->data, "{\"healing\":");
	x->oom |= grace_buf_add_jstr(&x->data, x->hid, strlen(x->hid));
}

static void
data_str(struct rctx *x, const char *key, const char *s, size_t n)
{
	x->oom |= grace_buf_addf(&x->data, ",\"%s\":", key);
	x->oom |= grace_buf_add_jstr(&x->data, s, n);
}

static int
emit_outcome(struct rctx *x, const char *type, const char *reason,
    int with_playbook)
{
	data_open(x);
	if (with_playbook)
		data_str(x, "playbook", x->pb->name, strlen(x->pb->name));
	data_str(x, "reason", reason, strlen(reason));
	x->oom |= grace_buf_add(&x->data, "}", 1);
	return emit(x, type);
}

/* ------------------------------------------------------------------ */
/* One attempt of one step. */

static int
is_reserved(const char *s, const struct hstep *st)
{
	size_t i, n = strcspn(s, "=");

	if (n > 6 && strncmp(s, "GRACE_", 6) == 0) {
		static const char *const ours[] = { "GRACE_HEALING_ID",
			"GRACE_ANOMALY_ID", "GRACE_ANOMALY", "GRACE_COMPONENT",
			"GRACE_SEVERITY", "GRACE_HOP", "GRACE_EVENT",
			"GRACE_PLAYBOOK", "GRACE_STEP", "GRACE_PHASE",
			"GRACE_ATTEMPT", NULL };

		for (i = 0; ours[i]; i++)
			if (strlen(ours[i]) == n && strncmp(s, ours[i], n) == 0)
				return 1;
	}
	for (i = 0; i < st->nenv; i++)
		if (strlen(st->envk[i]) == n && strncmp(s, st->envk[i], n) == 0)
			return 1;
	return 0;
}

/* Whether the program prog (argv[0] as it will be run) can be found:
 * NULL, or why not ("not found", "permission denied"). path is the PATH
 * the child gets. */
static const char *
find_prog(const char *prog, const char *path)
{
	struct stat st;
	const char *d, *end;
	char buf[PATH_MAX];

	if (strchr(prog, '/')) {
		if (stat(prog, &st) < 0 || S_ISDIR(st.st_mode))
			return "not found";
		return access(prog, X_OK) == 0 ? NULL : "permission denied";
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (d = path; ; d = end + 1) {
		size_t dl;

		end = strchr(d, ':');
		dl = end ? (size_t)(end - d) : strlen(d);
		if (dl == 0)
			dl = 1, d = ".";
		if (dl + strlen(prog) + 2 <= sizeof buf) {
			memcpy(buf, d, dl);
			buf[dl] = '/';
			strcpy(buf + dl + 1, prog);
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(buf, X_OK) == 0)
				return NULL;
		}
		if (!end)
			break;
	}
	return "not found";
}

/* Run attempt of step st in phase ph. *ok is 1 when it exited 0;
 * *desc (cap bytes) says how it ended, for reasons. Returns 0, or -1
 * when the event could not be emitted (e filled). */
static int
attempt_step(struct rctx *x, const struct hstep *st, int ph, unsigned att,
    int *ok, char *desc, size_t dcap)
{
	struct grace_exec_opts eo;
	struct grace_exec_result res;
	struct grace_buf own = { 0 };
	struct grace_err ee;
	char **argv = NULL, **envp = NULL;
	size_t *offs = NULL, nenv = 0, i, k = 0, no = 0, nown;
	const char *why = NULL, *path = getenv("PATH");
	char whybuf[1024];
	int rc = 0, ran = 0;

	*ok = 0;
	grace_exec_result_init(&res);
	for (i = 0; environ[i]; i++)
		nenv++;
	nown = 11 + st->nenv;
	if (!(argv = calloc(st->argc + 1, sizeof *argv)) ||
	    !(envp = calloc(nenv + nown + 1, sizeof *envp)) ||
	    !(offs = calloc(nown, sizeof *offs))) {
		x->oom = 1;
		goto done;
	}
	for (i = 0; i < st->argc && !why; i++) {
		if (grace_hval_text(&st->argv[i], x->p, x->n, &x->t, &x->tmp) < 0 ||
		    !(argv[i] = strdup(x->t.p))) {
			x->oom = 1;
			goto done;
		}
		if (strlen(x->t.p) != x->t.len) {
			snprintf(whybuf, sizeof whybuf, "argv[%zu] (%s) holds a "
			    "NUL byte", i, st->argv[i].text);
			why = whybuf;
		}
	}
	if (st->prog) {
		free(argv[0]);
		if (!(argv[0] = strdup(st->prog))) {
			x->oom = 1;
			goto done;
		}
	}
	for (i = 0; environ[i]; i++)
		if (!is_reserved(environ[i], st))
			envp[k++] = environ[i];
#define OWN(...) do { offs[no++] = own.len; \
	x->oom |= grace_buf_addf(&own, __VA_ARGS__); \
	x->oom |= grace_buf_add(&own, "", 1); } while (0)
	OWN("GRACE_HEALING_ID=%s", x->hid);
	OWN("GRACE_ANOMALY_ID=%s", x->aid.p);
	OWN("GRACE_ANOMALY=%s", x->atype.p);
	OWN("GRACE_COMPONENT=%s", x->comp.p);
	OWN("GRACE_SEVERITY=%s", x->asev.p);
	OWN("GRACE_HOP=%u", x->o->hop);
	OWN("GRACE_EVENT=%.*s", (int)x->n, x->p);
	OWN("GRACE_PLAYBOOK=%s", x->pb->name);
	OWN("GRACE_STEP=%s", st->name);
	OWN("GRACE_PHASE=%s", phase_names[ph]);
	OWN("GRACE_ATTEMPT=%u", att);
	for (i = 0; i < st->nenv && !why; i++) {
		if (grace_hval_text(&st->envv[i], x->p, x->n, &x->t, &x->tmp) < 0) {
			x->oom = 1;
			goto done;
		}
		if (strlen(x->t.p) != x->t.len) {
			snprintf(whybuf, sizeof whybuf, "env %s (%s) holds a NUL "
			    "byte", st->envk[i], st->envv[i].text);
			why = whybuf;
		}
		if (strcmp(st->envk[i], "PATH") == 0)
			path = NULL; /* set below, once own is final */
		OWN("%s=%s", st->envk[i], x->t.p);
	}
#undef OWN
	if (x->oom)
		goto done;
	for (i = 0; i < no; i++) {
		envp[k++] = own.p + offs[i];
		if (strncmp(own.p + offs[i], "PATH=", 5) == 0)
			path = own.p + offs[i] + 5;
	}
	envp[k] = NULL;
	if (!why && (why = find_prog(argv[0], path))) {
		snprintf(whybuf, sizeof whybuf, "%s: %s", st->argv[0].text, why);
		why = whybuf;
	}
	if (!why) {
		memset(&eo, 0, sizeof eo);
		eo.argv = argv;
		eo.envp = envp;
		eo.timeout_ms = st->timeout_ms;
		eo.max_output = x->cap;
		if (grace_exec_run(&eo, &res, &ee) < 0) {
			snprintf(whybuf, sizeof whybuf, "%s", ee.msg);
			why = whybuf;
		} else {
			ran = 1;
		}
	}
	/* the event */
	data_open(x);
	data_str(x, "phase", phase_names[ph], strlen(phase_names[ph]));
	data_str(x, "step", st->name, strlen(st->name));
	x->oom |= grace_buf_adds(&x->data, ",\"argv\":[");
	for (i = 0; i < st->argc; i++) {
		if (grace_hval_text(&st->argv[i], x->p, x->n, &x->t, &x->tmp) < 0)
			x->oom = 1;
		x->oom |= i ? grace_buf_add(&x->data, ",", 1) : 0;
		x->oom |= grace_buf_add_jstr(&x->data, x->t.p, x->t.len);
	}
	x->oom |= grace_buf_add(&x->data, "]", 1);
	x->nostart = !ran;
	if (!ran) {
		data_str(x, "error", why, strlen(why));
		snprintf(desc, dcap, "%s", why);
	} else {
		size_t kept, take;

		if (res.exited)
			x->oom |= grace_buf_addf(&x->data, ",\"exit\":%d", res.code);
		else
			x->oom |= grace_buf_addf(&x->data, ",\"signal\":%d",
			    res.signal);
		if (res.timed_out)
			x->oom |= grace_buf_adds(&x->data, ",\"timed_out\":true");
		grace_exec_describe(&res, st->timeout_ms, desc, dcap);
		*ok = res.exited && res.code == 0 && !res.timed_out;
		grace_buf_reset(&x->t);
		take = res.out.len < x->cap ? res.out.len : x->cap;
		x->oom |= grace_buf_add(&x->t, res.out.p ? res.out.p : "", take);
		kept = take;
		take = res.err.len < x->cap - kept ? res.err.len : x->cap - kept;
		x->oom |= grace_buf_add(&x->t, res.err.p ? res.err.p : "", take);
		kept += take;
		x->oom |= grace_buf_addf(&x->data, ",\"attempt\":%u,"
		    "\"duration_ms\":%lld", att, (long long)llround(res.ms));
		data_str(x, "output", x->t.p ? x->t.p : "", x->t.len);
		x->oom |= grace_buf_addf(&x->data, ",\"truncated\":%s}",
		    res.out_total + res.err_total > kept ? "true" : "false");
		goto emit;
	}
	x->oom |= grace_buf_addf(&x->data, ",\"attempt\":%u,\"duration_ms\":0,"
	    "\"output\":\"\",\"truncated\":false}", att);
emit:
	rc = emit(x, "healing.step");
done:
	if (x->oom && !rc)
		rc = grace_err_setc(x->e, GRACE_EXIT_SYSTEM, "out of memory");
	grace_exec_result_free(&res);
	if (argv)
		for (i = 0; i < st->argc; i++)
			free(argv[i]);
	free(argv);
	free(envp);
	free(offs);
	grace_buf_free(&own);
	return rc;
}

static void
wait_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Every attempt of step st: 1 + retries, waiting delay, then delay times
 * backoff, ... between them. *ok as for one attempt; reason (rcap)
 * filled when it failed. Returns 0 or -1. */
static int
run_step(struct rctx *x, const struct hstep *st, int ph, int *ok,
    char *reason, size_t rcap)
{
	char desc[512];
	double delay = (double)st->delay_ms;
	unsigned att;

	for (att = 1; att <= st->retries + 1; att++) {
		if (att > 1) {
			wait_ms(delay);
			delay *= st->backoff;
			if (delay > MAX_WAIT_MS)
				delay = MAX_WAIT_MS;
		}
		if (attempt_step(x, st, ph, att, ok, desc, sizeof desc) < 0)
			return -1;
		if (*ok)
			return 0;
		if (x->nostart) {
			/* a program that is not there does not appear by
			 * waiting: no retry */
			att++;
			break;
		}
	}
	if (att - 1 > 1)
		snprintf(reason, rcap, "%s'%s' failed after %u attempts: %s",
		    ph == PH_VERIFY ? "verify step " : ph == PH_ROLLBACK ?
		    "rollback step " : "step ", st->name, att - 1, desc);
	else
		snprintf(reason, rcap, "%s'%s' failed: %s", ph == PH_VERIFY ?
		    "verify step " : ph == PH_ROLLBACK ? "rollback step " :
		    "step ", st->name, desc);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Verify by contract. */

static int
run_contract(struct rctx *x, int *ok, char *reason, size_t rcap)
{
	const struct grace_contracts *c = x->b->contracts;
	struct grace_buf ev = { 0 }, out = { 0 }, sum = { 0 };
	struct grace_vctx *vx = NULL;
	struct grace_vevent *v = NULL;
	struct grace_jspan *found = NULL;
	const char *const *keys;
	const char *status = "failed", *got;
	double t0 = grace_mono_ms(), conf = 0;
	size_t nk, i;
	int r, rc = -1;

	*ok = 0;
	keys = grace_contracts_keys(c, &nk);
	r = grace_buf_adds(&ev, "{\"specversion\":\"1.0\",\"id\":");
	r |= grace_buf_addf(&ev, "\"%s-verify\",\"type\":\"healing.verify\","
	    "\"source\":\"grace-heal\",\"subject\":", x->hid);
	r |= grace_buf_add_jstr(&ev, x->comp.p, x->comp.len);
	r |= grace_buf_adds(&ev, ",\"data\":{\"healing\":");
	r |= grace_buf_add_jstr(&ev, x->hid, strlen(x->hid));
	r |= grace_buf_adds(&ev, ",\"playbook\":");
	r |= grace_buf_add_jstr(&ev, x->pb->name, strlen(x->pb->name));
	r |= grace_buf_adds(&ev, ",\"component\":");
	r |= grace_buf_add_jstr(&ev, x->comp.p, x->comp.len);
	r |= grace_buf_adds(&ev, ",\"anomaly\":");
	r |= grace_buf_add(&ev, x->p, x->n);
	r |= grace_buf_adds(&ev, "}}");
	if (r || !(found = calloc(nk ? nk : 1, sizeof *found)) ||
	    !(vx = grace_vctx_new(c)) || !(v = grace_vevent_new())) {
		grace_err_setc(x->e, GRACE_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if (grace_json_scan(ev.p, ev.len, keys, nk, found, "healing.verify", 0,
	    x->e) < 0)
		goto out;
	r = grace_vevent_prepare(v, vx, c, ev.p, ev.len, found, 0, x->e);
	if (r < 0)
		goto out;
	got = r ? grace_vevent_contract(v) : NULL;
	if (!got) {
		snprintf(reason, rcap, "verify contract '%s': no contract "
		    "applies to the healing.verify event", x->b->contract);
		grace_buf_adds(&sum, "no contract applies");
	} else if (strcmp(got, x->b->contract) != 0) {
		snprintf(reason, rcap, "verify contract '%s': contract '%s' "
		    "applied to the healing.verify event instead",
		    x->b->contract, got);
		grace_buf_addf(&sum, "contract '%s' applied instead", got);
	} else if (grace_vevent_error(v)) {
		snprintf(reason, rcap, "verify contract '%s': %s",
		    x->b->contract, grace_vevent_error(v));
		grace_buf_adds(&sum, grace_vevent_error(v));
	} else {
		for (i = 0; i < grace_vevent_nchecks(v); i++)
			if (grace_vevent_pending(v, i))
				grace_vevent_run(v, vx, i);
		r = grace_vevent_finish(v, &out);
		if (r < 0 || grace_vevent_summary(v, &sum) < 0) {
			grace_err_setc(x->e, GRACE_EXIT_SYSTEM, "out of memory");
			goto out;
		}
		status = grace_vstatus_name((enum grace_vstatus)r);
		conf = grace_vevent_confidence(v);
		*ok = r == GRACE_VS_VERIFIED;
		if (!*ok)
			snprintf(reason, rcap, "verify contract '%s' %s: %s",
			    x->b->contract, status, sum.len ? sum.p :
			    "no check passed");
	}
	data_open(x);
	data_str(x, "phase", "verify", 6);
	data_str(x, "step", "contract", 8);
	data_str(x, "contract", x->b->contract, strlen(x->b->contract));
	data_str(x, "status", status, strlen(status));
	x->oom |= grace_buf_addf(&x->data, ",\"confidence\":%.4g,\"attempt\":1,"
	    "\"duration_ms\":%lld", conf, (long long)llround(grace_mono_ms() -
	    t0));
	data_str(x, "output", sum.p ? sum.p : "", sum.len);
	x->oom |= grace_buf_adds(&x->data, ",\"truncated\":false}");
	rc = emit(x, "healing.step");
out:
	grace_vevent_free(v);
	grace_vctx_free(vx);
	free(found);
	grace_buf_free(&ev);
	grace_buf_free(&out);
	grace_buf_free(&sum);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Snapshots. */

static void
snaps_free(struct snap *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		free(s[i].saved);
	free(s);
}

/* Copy every snapshot file into dir (made here). */
static int
take_snapshots(struct rctx *x, const char *dir, struct snap *s,
    struct grace_err *e)
{
	const struct hbook *b = x->b;
	size_t i, len;

	if (mkdir(x->o->snapshot_dir, 0700) < 0 && errno != EEXIST)
		return grace_err_sys(e, x->o->snapshot_dir, "cannot create the "
		    "snapshot directory");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return grace_err_sys(e, dir, "cannot create the snapshot "
		    "directory");
	for (i = 0; i < b->nsnap; i++) {
		struct stat st;
		char *data;
		size_t dl = strlen(dir);

		if (!(s[i].saved = malloc(dl + 24)))
			return grace_err_setc(e, GRACE_EXIT_SYSTEM, "out of "
			    "memory");
		snprintf(s[i].saved, dl + 24, "%s/%zu", dir, i);
		if (lstat(b->snap[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			return grace_err_sys(e, b->snap[i], "cannot snapshot");
		}
		if (!S_ISREG(st.st_mode))
			return grace_err_set(e, b->snap[i], 0, 0, "cannot "
			    "snapshot %s: only regular files are kept",
			    grace_file_kind(st.st_mode));
		if (!(data = grace_read_file(b->snap[i], SNAPSHOT_MAX, &len, e)))
			return -1;
		s[i].existed = 1;
		s[i].mode = st.st_mode & 07777;
		if (grace_atomic_write(s[i].saved, data, len, 0600, e) < 0) {
			free(data);
			return -1;
		}
		free(data);
	}
	return 0;
}

/* Put every snapshot file back as it was (one that did not exist is
 * removed); the restored paths go into the JSON array list. Returns 0,
 * or -1 with why (wcap) filled for the first that failed. */
static int
restore_snapshots(struct rctx *x, struct snap *s, struct grace_buf *list,
    char *why, size_t wcap)
{
	const struct hbook *b = x->b;
	struct grace_err e;
	size_t i, len;
	int rc = 0;

	for (i = 0; i < b->nsnap; i++) {
		char *data;

		if (!s[i].existed) {
			if (unlink(b->snap[i]) < 0 && errno != ENOENT) {
				snprintf(why, wcap, "cannot remove %s: %s",
				    b->snap[i], strerror(errno));
				rc = -1;
				continue;
			}
		} else if (!(data = grace_read_file(s[i].saved, SNAPSHOT_MAX,
		    &len, &e))) {
			snprintf(why, wcap, "cannot read the snapshot of %s: %s",
			    b->snap[i], e.msg);
			rc = -1;
			continue;
		} else {
			int w = grace_atomic_write(b->snap[i], data, len,
			    (int)s[i].mode, &e);

			free(data);
			if (w < 0) {
				snprintf(why, wcap, "cannot restore %s: %s",
				    b->snap[i], e.msg);
				rc = -1;
				continue;
			}
		}
		x->oom |= grace_buf_adds(list, list->len > 1 ? "," : "");
		x->oom |= grace_buf_add_jstr(list, b->snap[i], strlen(b->snap[i]));
	}
	return rc;
}

/* ------------------------------------------------------------------ */

static void
anomaly_field(struct rctx *x, const struct grace_jspan *d, const char *key,
    struct grace_buf *out)
{
	struct grace_jspan s;

	grace_buf_reset(out);
	x->oom |= grace_buf_reserve(out, 0);
	if (d->kind == GRACE_J_OBJECT && grace_jpath_member(x->p, d->off,
	    d->len, key, &s, &x->tmp) && s.kind == GRACE_J_STRING)
		x->oom |= grace_json_unescape(out, x->p + s.off, s.len);
}

int
grace_playbook_run(const struct grace_playbook *pb, const char *p,
    size_t n, const struct grace_hrun_opts *o, enum grace_hout *out,
    struct grace_err *e)
{
	static const char *const keys[] = { "id", "data" };
	struct rctx x;
	struct grace_jspan f[2];
	struct snap *snaps = NULL;
	struct grace_buf dir = { 0 }, restored = { 0 };
	char reason[1024] = "", why[1024] = "";
	const struct hbook *b = pb->priv;
	int action = -1, soft = 0, ok, rc = -1, missing = 0;
	size_t i;

	*out = GRACE_HOUT_FAILED;
	memset(&x, 0, sizeof x);
	x.pb = pb;
	x.b = b;
	x.p = p;
	x.n = n;
	x.o = o;
	x.hid = o->healing_id ? o->healing_id : "h-0";
	if (!*x.hid || strspn(x.hid, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(x.hid))
		return grace_err_setc(e, GRACE_EXIT_SYSTEM, "bad healing id "
		    "'%s': letters, digits, '_' and '-' only", x.hid);
	x.cap = o->output_cap ? o->output_cap : DEFAULT_OUTPUT_CAP;
	x.e = e;
	if (grace_json_scan(p, n, keys, 2, f, "anomaly", 0, e) < 0)
		return -1;
	anomaly_field(&x, &f[1], "anomaly", &x.atype);
	anomaly_field(&x, &f[1], "component", &x.comp);
	anomaly_field(&x, &f[1], "severity", &x.asev);
	grace_buf_reset(&x.aid);
	x.oom |= grace_buf_reserve(&x.aid, 0);
	if (f[0].kind == GRACE_J_STRING)
		x.oom |= grace_json_unescape(&x.aid, p + f[0].off, f[0].len);
	if (x.oom) {
		grace_err_setc(e, GRACE_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	/* Safe-hold: the files are copied before anything runs, or
	 * nothing runs. */
	if (b->nsnap) {
		if (!o->snapshot_dir) {
			grace_err_setc(e, GRACE_EXIT_SYSTEM, "playbook '%s' keeps "
			    "snapshots but no snapshot directory was given",
			    pb->name);
			goto out;
		}
		if (grace_buf_addf(&dir, "%s/%s", o->snapshot_dir, x.hid) < 0 ||
		    !(snaps = calloc(b->nsnap, sizeof *snaps))) {
			grace_err_setc(e, GRACE_EXIT_SYSTEM, "out of memory");
			goto out;
		}
		if (take_snapshots(&x, dir.p, snaps, e) < 0)
			goto out;
	}
	/* healing.started */
	data_open(&x);
	data_str(&x, "playbook", pb->name, strlen(pb->name));
	x.oom |= grace_buf_adds(&x.data, ",\"anomaly\":{\"id\":");
	x.oom |= grace_buf_add_jstr(&x.data, x.aid.p, x.aid.len);
	data_str(&x, "type", x.atype.p, x.atype.len);
	data_str(&x, "component", x.comp.p, x.comp.len);
	data_str(&x, "severity", x.asev.p, x.asev.len);
	x.oom |= grace_buf_addf(&x.data, "},\"hop\":%u}", o->hop);
	if (emit(&x, "healing.started") < 0)
		goto out;

	for (i = 0; i < b->nsteps && action < 0; i++) {
		if (run_step(&x, &b->steps[i], PH_STEP, &ok, why, sizeof why) < 0)
			goto out;
		if (ok)
			continue;
		if (b->steps[i].on_failure == HFAIL_CONTINUE) {
			if (!soft)
				snprintf(reason, sizeof reason, "%s (on_failure: "
				    "continue)", why);
			soft = 1;
			continue;
		}
		snprintf(reason, sizeof reason, "%s", why);
		action = b->steps[i].on_failure;
		missing = x.nostart;
	}
	if (action < 0 && (b->nverify || b->contract)) {
		int vfail = 0;

		for (i = 0; i < b->nverify && action < 0; i++) {
			if (run_step(&x, &b->verify[i], PH_VERIFY, &ok, why,
			    sizeof why) < 0)
				goto out;
			if (ok)
				continue;
			if (!vfail) {
				snprintf(reason, sizeof reason, "%s", why);
				missing = x.nostart;
			}
			vfail = 1;
			if (b->verify[i].on_failure != HFAIL_CONTINUE)
				action = b->verify[i].on_failure;
		}
		if (action < 0 && b->contract) {
			if (run_contract(&x, &ok, why, sizeof why) < 0)
				goto out;
			if (!ok && !vfail)
				snprintf(reason, sizeof reason, "%s", why);
			vfail |= !ok;
		}
		if (vfail && action < 0)
			action = HFAIL_ROLLBACK;
	} else if (action < 0 && soft) {
		size_t l = strlen(reason);

		snprintf(reason + l, sizeof reason - l, ", and there is no "
		    "verify to show it healed");
		action = HFAIL_ROLLBACK;
	}
	if (action < 0) {
		*out = GRACE_HOUT_VERIFIED;
		rc = emit_outcome(&x, "healing.verified", b->nverify ||
		    b->contract ? (soft ? "verify passed (a step failed with "
		    "on_failure: continue)" : "every step succeeded and verify "
		    "passed") : "every step succeeded (no verify)", 1);
		goto out;
	}
	if (emit_outcome(&x, "healing.failed", reason, 1) < 0)
		goto out;
	if (action == HFAIL_ESCALATE) {
		*out = GRACE_HOUT_ESCALATED;
		rc = emit_outcome(&x, "healing.escalated", reason, 0);
		goto out;
	}
	if (!b->nrollback && !b->nsnap) {
		/* a program that could not start needs a person */
		*out = missing ? GRACE_HOUT_ESCALATED : GRACE_HOUT_FAILED;
		rc = missing ? emit_outcome(&x, "healing.escalated", reason, 0) : 0;
		goto out;
	}
	{
		char rbwhy[1024] = "";
		int rbfail = 0;

		for (i = 0; i < b->nrollback && !rbfail; i++) {
			if (run_step(&x, &b->rollback[i], PH_ROLLBACK, &ok, why,
			    sizeof why) < 0)
				goto out;
			if (!ok && b->rollback[i].on_failure != HFAIL_CONTINUE) {
				snprintf(rbwhy, sizeof rbwhy, "%s", why);
				rbfail = 1;
			}
		}
		x.oom |= grace_buf_add(&restored, "[", 1);
		if (b->nsnap && restore_snapshots(&x, snaps, &restored, why,
		    sizeof why) < 0 && !rbfail) {
			snprintf(rbwhy, sizeof rbwhy, "%s", why);
			rbfail = 1;
		}
		x.oom |= grace_buf_add(&restored, "]", 1);
		if (rbfail) {
			char msg[2200];

			snprintf(msg, sizeof msg, "rollback failed: %s (after: %s)",
			    rbwhy, reason);
			*out = GRACE_HOUT_ESCALATED;
			rc = emit_outcome(&x, "healing.escalated", msg, 0);
			goto out;
		}
		data_open(&x);
		x.oom |= grace_buf_adds(&x.data, ",\"restored\":");
		x.oom |= grace_buf_add(&x.data, restored.p, restored.len);
		data_str(&x, "reason", reason, strlen(reason));
		x.oom |= grace_buf_add(&x.data, "}", 1);
		*out = GRACE_HOUT_ROLLED_BACK;
		rc = emit(&x, "healing.rolled_back");
		if (rc == 0 && missing) {
			*out = GRACE_HOUT_ESCALATED;
			rc = emit_outcome(&x, "healing.escalated", reason, 0);
		}
	}
out:
	if (dir.len)
		grace_exec_rmtree(dir.p);
	snaps_free(snaps, b->nsnap);
	grace_buf_free(&dir);
	grace_buf_free(&restored);
	grace_buf_free(&x.comp);
	grace_buf_free(&x.aid);
	grace_buf_free(&x.atype);
	grace_buf_free(&x.asev);
	grace_buf_free(&x.ev);
	grace_buf_free(&x.data);
	grace_buf_free(&x.t);
	grace_buf_free(&x.tmp);
	return rc;
}
