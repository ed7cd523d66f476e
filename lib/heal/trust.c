/* trust.c - a healing's outcome adjusts the trust of the component it
 * healed: the trust section of the playbook files says by how much, the
 * trust file (gate/gate.h) says what the component's score is, and the
 * overlay it names receives the new score (grace-heal(1), TRUST).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"
#include "gate/gate.h"
#include "heal.h"
#include "timeutil.h"

struct grace_htrust {
	struct grace_trust *file;
	struct grace_htrust_cfg cfg;
	char *overlay;
	char *lock;
};

struct grace_htrust *
grace_htrust_open(const char *path, const struct grace_htrust_cfg *cfg,
    struct grace_err *e)
{
	struct grace_htrust *t = calloc(1, sizeof *t);
	struct grace_trust_ov ov;
	const char *o;

	if (!t) {
		grace_err_sys(e, path, "out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	if (!(t->file = grace_trust_load_for_overlay(path, e)))
		goto fail;
	if (!(o = grace_trust_overlay_path(t->file))) {
		grace_err_set(e, path, 0, 0, "names no overlay: grace-heal "
		    "adjusts trust only in the overlay file a trust file names "
		    "(overlay: FILE)");
		e->code = GRACE_EXIT_USAGE;
		goto fail;
	}
	if (!(t->overlay = strdup(o)) ||
	    !(t->lock = malloc(strlen(o) + sizeof ".lock"))) {
		grace_err_sys(e, path, "out of memory");
		goto fail;
	}
	strcpy(t->lock, o);
	strcat(t->lock, ".lock");
	/* readers need it to exist: create it empty if it does not */
	if (grace_trust_ov_read(t->overlay, 1, &ov, e) < 0)
		goto fail;
	if (ov.n == 0 && access(t->overlay, F_OK) != 0 &&
	    grace_trust_ov_write(&ov, t->overlay, e) < 0) {
		grace_trust_ov_free(&ov);
		goto fail;
	}
	grace_trust_ov_free(&ov);
	return t;
fail:
	grace_htrust_free(t);
	return NULL;
}

void
grace_htrust_free(struct grace_htrust *t)
{
	if (!t)
		return;
	grace_trust_free(t->file);
	free(t->overlay);
	free(t->lock);
	free(t);
}

const char *
grace_htrust_overlay(const struct grace_htrust *t)
{
	return t->overlay;
}

static double
amount(const struct grace_htrust_cfg *c, enum grace_hout o)
{
	switch (o) {
	case GRACE_HOUT_VERIFIED: return c->verified;
	case GRACE_HOUT_FAILED: return c->failed;
	case GRACE_HOUT_ROLLED_BACK: return c->rolled_back;
	case GRACE_HOUT_ESCALATED: return c->escalated;
	}
	return 0;
}

int
grace_htrust_adjust(struct grace_htrust *t, const char *component,
    enum grace_hout o, const char *healing_id, int64_t now_ms,
    struct grace_buf *ev, struct grace_err *e)
{
	double delta = amount(&t->cfg, o), base, from, to;
	struct grace_trust_ov ov;
	struct grace_trust_ov_entry *x;
	struct grace_timefmt tf = {0};
	struct timespec ts = { (time_t)(now_ms / 1000),
	    (long)(now_ms % 1000) * 1000000L };
	char when[GRACE_TIME_LEN];
	int fd, rc = -1, w = 0;

	if (delta == 0)
		return 0;
	if ((fd = open(t->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return grace_err_sys(e, t->lock, "unable to open");
	if (grace_lock(fd, 0, t->lock, e) < 0) {
		close(fd);
		return -1;
	}
	if (grace_trust_ov_read(t->overlay, 1, &ov, e) < 0)
		goto out;
	base = grace_trust_base(t->file, component, strlen(component));
	x = grace_trust_ov_get(&ov, component);
	from = x ? grace_trust_recovered(x->score, base, x->per_hour,
	    x->at_ms, now_ms) : base;
	to = from + delta;
	if (to < t->cfg.floor)
		to = t->cfg.floor;
	if (to > t->cfg.ceiling)
		to = t->cfg.ceiling;
	if (grace_trust_ov_set(&ov, component, to, now_ms,
	    t->cfg.recover_per_hour) < 0) {
		grace_err_sys(e, t->overlay, "out of memory");
		goto out_ov;
	}
	if (grace_trust_ov_write(&ov, t->overlay, e) < 0)
		goto out_ov;
	if (grace_time_format(&tf, &ts, when) < 0)
		strcpy(when, "1970-01-01T00:00:00.000000Z");
	w |= grace_buf_adds(ev, "{\"specversion\":\"1.0\",\"type\":"
	    "\"trust.adjusted\",\"source\":\"grace-heal\",\"id\":");
	w |= grace_buf_add_jstr(ev, healing_id, strlen(healing_id));
	if (!w) {
		ev->len--;          /* back inside the string: the suffix */
		w |= grace_buf_adds(ev, "-trust\"");
	}
	w |= grace_buf_addf(ev, ",\"time\":\"%s\",\"subject\":", when);
	w |= grace_buf_add_jstr(ev, component, strlen(component));
	w |= grace_buf_adds(ev, ",\"data\":{\"component\":");
	w |= grace_buf_add_jstr(ev, component, strlen(component));
	w |= grace_buf_addf(ev, ",\"from\":%.6g,\"to\":%.6g,\"delta\":%.6g,"
	    "\"outcome\":\"%s\",\"healing\":", from, to, to - from,
	    grace_hout_name(o));
	w |= grace_buf_add_jstr(ev, healing_id, strlen(healing_id));
	w |= grace_buf_addf(ev, ",\"base\":%.6g,\"recover_per_hour\":%.6g}}",
	    base, t->cfg.recover_per_hour);
	if (w)
		grace_err_sys(e, NULL, "out of memory");
	else
		rc = 1;
out_ov:
	grace_trust_ov_free(&ov);
out:
	grace_unlock(fd);
	close(fd);
	return rc;
}
