/* router.c - one bounded queue and one writer thread per target, the
 * overflow policies, spill files, retries, dead letters and the drain.
 *
 * Locks: the staging mutex guards what pushers hold back (see
 * grace_router_set_batch()) and every target's `closing`; each target's
 * mutex guards its queue, spill state and counters; the dead-letter mutex
 * guards the dead-letter file. They are taken in that order, never the
 * reverse. A target's count, spilling and breaker state are also read
 * without its mutex (atomics), by the pusher, to hold an event back only
 * when the target's own mutex would have queued it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"
#include "json.h"
#include "route_int.h"
#include "timeutil.h"

#define BATCH 256
#define DQ_MAX (16u << 20)  /* dead-letter bytes queued before pushers wait */
#define GATHER_MS 1       /* longest a writer waits to fill a batch */
#define DGATHER_MS 2      /* longest the dead-letter writer waits to fill */
#define DQ_FULL (64u << 10) /* dead-letter bytes that make a batch */
#define ITEM_MIN 256      /* items are made with room for this much */

struct tq {
	struct grace_rt rt;
	struct grace_router *r;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t work, room, idle;
	struct grace_ritem *h[GRACE_RP_N], *tl[GRACE_RP_N];
	atomic_size_t count;
	int closing;                /* no more pushes (also r->smu) */
	int busy;                   /* the writer holds a batch */
	/* delivered items kept for reuse, so the reader does not malloc
	 * what a writer thread frees (the allocator's lock) */
	struct grace_ritem *pool;
	size_t npool;
	/* spill: lines [srd, swr) of the spill file are waiting */
	int sfd;
	atomic_int spilling;
	off_t srd, swr;
	/* circuit breaker (q->mu): closed, open until bopen_until, half open */
	atomic_int bstate;
	unsigned bfails;
	struct grace_rtstats st;
	/* held back by the pusher (r->smu): accepted, counted against the
	 * queue's room, not yet in it; and items to make them from */
	struct grace_ritem *sh[GRACE_RP_N], *stl[GRACE_RP_N];
	size_t staged;
	struct grace_ritem *lpool;
};

enum { B_CLOSED, B_OPEN, B_HALF };

struct grace_router {
	const struct grace_routes *rs;
	struct tq *t;
	size_t nt;
	pthread_mutex_t smu;        /* the pushers' side (see the top) */
	size_t batch;               /* events a pusher may hold per target */
	size_t since;               /* pushes since every target was flushed */
	pthread_mutex_t dmu;        /* guards everything dead-letter */
	pthread_cond_t dwork, droom;
	pthread_t dth;
	int dstarted, dclosing;
	struct grace_buf dq;        /* dead letters not yet written */
	uint64_t dq_n;
	/* dead letters the pushers made, not yet in dq (r->smu) */
	struct grace_buf dls;
	uint64_t dls_n;
	/* dq_format()'s last {"dead":{"target":..,"reason":.. (made by one
	 * thread at a time: the dead-letter thread, or after it) */
	struct grace_buf dl_head, dl_reason;
	size_t dl_target;
	int dfd;
	uint64_t dead, lost;
	struct grace_timefmt tf;
	grace_router_notice_fn *notice;
	grace_router_event_fn *event;
	void *arg;
	double drain_end;           /* grace_mono_ms() of the deadline */
};

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
say(struct grace_router *r, const struct grace_rt *t, int code,
    const char *msg)
{
	struct grace_err e;

	grace_err_clear(&e);
	/* cut to fit: a name is short, a message is cut at 640 bytes */
	snprintf(e.msg, sizeof e.msg, "target '%.100s': %.640s", t ?
	    t->cfg->name : "?", msg);
	e.code = code;
	r->notice(r->arg, &e);
}

/* A dead letter as queued (r->dq): the header, then the line (n bytes,
 * no '\n') and the reason (rlen bytes). It is made into its line (the
 * event with grace.route.dead) by the thread that writes it, so that a
 * pusher only copies it. */
struct drec {
	size_t n, rlen, target;
	unsigned attempts;
	int have_time;
	int have_g;                 /* the line is the event before
	                               grace.route, its grace at g */
	struct grace_jspan g;
	struct timespec ts;
};

/* Where an event pushed came from (grace_router_push_ev()). */
struct origin {
	const char *ev;
	size_t n;
	const struct grace_jspan *g;
};

/* Make the dead letters queued in raw[0..len) into out, one line each.
 * Returns how many could not be made (each told through r->notice and
 * counted as lost instead of dead; r->dmu not held). */
static uint64_t
dq_format(struct grace_router *r, const char *raw, size_t len,
    struct grace_buf *out, struct grace_buf *v)
{
	static const char *const keys[] = { "grace" };
	uint64_t bad = 0;
	size_t off = 0;

	while (off < len) {
		const char *name, *line, *reason;
		char now[GRACE_TIME_LEN];
		struct grace_jspan g;
		struct grace_err e;
		struct drec d;
		size_t mark = out->len;
		int x = 0;

		memcpy(&d, raw + off, sizeof d);
		line = raw + off + sizeof d;
		reason = line + d.n;
		off += sizeof d + d.n + d.rlen;
		if (!d.have_time || grace_time_format(&r->tf, &d.ts, now) < 0)
			strcpy(now, "1970-01-01T00:00:00.000000Z");
		/* A burst of letters has one target and reason: their
		 * escaped head is made once. */
		if (!r->dl_head.len || d.target != r->dl_target ||
		    d.rlen != r->dl_reason.len ||
		    (d.rlen && memcmp(reason, r->dl_reason.p, d.rlen) != 0)) {
			name = r->rs->t[d.target].name;
			grace_buf_reset(&r->dl_head);
			grace_buf_reset(&r->dl_reason);
			x |= grace_buf_adds(&r->dl_head,
			    "{\"dead\":{\"target\":");
			x |= grace_buf_add_jstr(&r->dl_head, name, strlen(name));
			x |= grace_buf_adds(&r->dl_head, ",\"reason\":");
			x |= grace_buf_add_jstr(&r->dl_head, reason, d.rlen);
			x |= grace_buf_adds(&r->dl_head, ",\"attempts\":");
			x |= grace_buf_add(&r->dl_reason, reason, d.rlen);
			r->dl_target = d.target;
			if (x)
				grace_buf_reset(&r->dl_head);
		}
		grace_buf_reset(v);
		x |= grace_buf_add(v, r->dl_head.p, r->dl_head.len);
		x |= grace_buf_addu(v, d.attempts);
		x |= grace_buf_add(v, ",\"time\":\"", 9);
		x |= grace_buf_add(v, now, strlen(now));
		x |= grace_buf_add(v, "\"}}", 3);
		if (d.have_g)
			g = d.g;
		else
			grace_err_clear(&e);
		if (x || (!d.have_g && grace_json_scan(line, d.n, keys, 1, &g,
		    "dead letter", 0, &e) < 0) || grace_json_splice_grace(out,
		    line, d.n, &g, "route", v->p, v->len) < 0 ||
		    grace_buf_add(out, "\n", 1) < 0) {
			out->len = mark;
			if (out->p)
				out->p[mark] = '\0';
			grace_err_sys(&e, r->rs->dead_letter, "unable to make a "
			    "dead letter");
			r->notice(r->arg, &e);
			bad++;
		}
	}
	return bad;
}

/* Make and write the dead letters raw[0..len), k of them, under the
 * lock grace-log takes. Returns how many could not be made or written,
 * which the caller counts as lost instead of dead. */
static uint64_t
dq_write(struct grace_router *r, const char *raw, size_t len, uint64_t k,
    struct grace_buf *out, struct grace_buf *v)
{
	struct grace_err we;
	uint64_t bad;

	grace_buf_reset(out);
	bad = dq_format(r, raw, len, out, v);
	grace_err_clear(&we);
	if (out->len && grace_lock(r->dfd, 0, r->rs->dead_letter, &we) == 0) {
		if (grace_write_all(r->dfd, out->p, out->len) < 0)
			grace_err_sys(&we, r->rs->dead_letter, "unable to write");
		grace_unlock(r->dfd);
	}
	if (we.msg[0]) {
		r->notice(r->arg, &we);
		bad = k;
	}
	return bad;
}

/* Write the queued dead letters from this thread (r->dmu held; the
 * dead-letter thread is not running). */
static void
dq_write_now(struct grace_router *r)
{
	struct grace_buf out = {0}, v = {0};
	uint64_t bad = dq_write(r, r->dq.p, r->dq.len, r->dq_n, &out, &v);

	r->dead -= bad;
	r->lost += bad;
	grace_buf_reset(&r->dq);
	r->dq_n = 0;
	grace_buf_free(&out);
	grace_buf_free(&v);
}

/* Append to b the dead letter of line[0..n) ('\n' optional) for q, with
 * grace.route.dead: its header (struct drec, with the time now), the
 * line and the reason; the dead-letter thread makes it into its line.
 * With o, line is o->ev with grace.route spliced in, and the letter is
 * spliced from o->ev instead: the same bytes (splicing grace.route again
 * replaces the value in place), without scanning line for its grace
 * member. Returns 0, or -1 when out of memory. */
static int
drec_add(struct grace_buf *b, const struct tq *q, const char *line,
    size_t n, const struct origin *o, const char *reason, unsigned attempts)
{
	struct drec d;
	size_t mark = b->len;

	memset(&d, 0, sizeof d);
	if (o) {
		line = o->ev;
		n = o->n;
		d.have_g = 1;
		d.g = *o->g;
	}
	if (n && line[n - 1] == '\n')
		n--;
	d.n = n;
	d.rlen = strlen(reason);
	d.target = q->rt.index;
	d.attempts = attempts;
	d.have_time = clock_gettime(CLOCK_REALTIME, &d.ts) == 0;
	if (grace_buf_reserve(b, sizeof d + n + d.rlen) < 0)
		return -1;
	memcpy(b->p + mark, &d, sizeof d);
	memcpy(b->p + mark + sizeof d, line, n);
	memcpy(b->p + mark + sizeof d + n, reason, d.rlen);
	b->len = mark + sizeof d + n + d.rlen;
	return 0;
}

/* A dead letter that could not be made: counted as lost, said (through
 * e, or r->notice when e is NULL). Returns -1. */
static int
dead_lost(struct grace_router *r, struct grace_err *e, int dmu_held)
{
	struct grace_err se;

	grace_err_sys(e ? e : &se, r->rs->dead_letter, "unable to make a "
	    "dead letter");
	if (!dmu_held)
		pthread_mutex_lock(&r->dmu);
	r->lost++;
	if (!dmu_held)
		pthread_mutex_unlock(&r->dmu);
	if (!e)
		r->notice(r->arg, &se);
	return -1;
}

/* Wait while r->dq is over DQ_MAX bytes behind (r->dmu held). */
static void
dq_room(struct grace_router *r)
{
	while (r->dq.len > DQ_MAX && r->dstarted && !r->dclosing)
		pthread_cond_wait(&r->droom, &r->dmu);
}

/* k dead letters were added to r->dq at mark (r->dmu held): counted,
 * and the dead-letter thread woken (or, when it is gone, written). */
static void
dq_added(struct grace_router *r, size_t mark, uint64_t k)
{
	r->dead += k;
	if (r->dq_n == 0 || (mark < DQ_FULL && r->dq.len >= DQ_FULL))
		pthread_cond_signal(&r->dwork);
	r->dq_n += k;
	if (!r->dstarted)
		dq_write_now(r);   /* no dead-letter thread (any more) */
}

/* Queue the dead letter of line[0..n) (drec_add()) for the dead-letter
 * file; the dead-letter thread makes and writes it (and counts it as
 * lost if it cannot). Returns 0, or -1 (e filled, or said when e is
 * NULL) when it could not even be queued (counted as lost). */
static int
dead_letter(struct grace_router *r, const struct tq *q, const char *line,
    size_t n, const char *reason, unsigned attempts, struct grace_err *e)
{
	size_t mark;
	int x;

	pthread_mutex_lock(&r->dmu);
	dq_room(r);
	mark = r->dq.len;
	if ((x = drec_add(&r->dq, q, line, n, NULL, reason, attempts)) < 0)
		dead_lost(r, e, 1);
	else
		dq_added(r, mark, 1);
	pthread_mutex_unlock(&r->dmu);
	return x;
}

/* Hand what the pushers made (r->dls) to the dead-letter thread (r->smu
 * held). */
static void
dls_flush(struct grace_router *r)
{
	size_t mark;

	if (!r->dls_n)
		return;
	pthread_mutex_lock(&r->dmu);
	dq_room(r);
	mark = r->dq.len;
	if (grace_buf_add(&r->dq, r->dls.p, r->dls.len) < 0) {
		struct grace_err e;

		grace_err_sys(&e, r->rs->dead_letter, "unable to make a "
		    "dead letter");
		r->lost += r->dls_n;
		pthread_mutex_unlock(&r->dmu);
		r->notice(r->arg, &e);
	} else {
		dq_added(r, mark, r->dls_n);
		pthread_mutex_unlock(&r->dmu);
	}
	grace_buf_reset(&r->dls);
	r->dls_n = 0;
}

/* dead_letter() for a pusher (r->smu held): the letter is made into
 * r->dls, and handed to the dead-letter thread with the others made
 * meanwhile (dls_flush(), at DQ_FULL bytes and whenever what pushers
 * hold back is flushed; at once when they hold nothing back), so that a burst of drops does not take r->dmu,
 * which the dead-letter thread takes too, once per letter. */
static int
dead_letter_p(struct grace_router *r, const struct tq *q, const char *line,
    size_t n, const struct origin *o, const char *reason, unsigned attempts,
    struct grace_err *e)
{
	if (drec_add(&r->dls, q, line, n, o, reason, attempts) < 0)
		return dead_lost(r, e, 0);
	r->dls_n++;
	/* a pusher that holds no events back holds no letters back */
	if (r->dls.len >= DQ_FULL || r->batch <= 1)
		dls_flush(r);
	return 0;
}

/* The writers' threads (targets and dead letters) are batch work for
 * the scheduler: a writer woken by a pusher does not take the pusher's
 * CPU away at once (the pushers route every event; a writer catches up
 * on a queue), which is what keeps the routing of the others at speed
 * beside a busy target. Where the policy cannot be set, nothing
 * changes. */
static void
background(void)
{
	struct sched_param sp = { 0 };

	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
}

/* The dead-letter thread: makes and writes what is queued, in batches,
 * under the lock grace-log takes, until told to stop and nothing is
 * left. */
static void *
dead_writer(void *arg)
{
	struct grace_router *r = arg;
	struct grace_buf b = {0}, t, out = {0}, v = {0};
	uint64_t k;

	background();
	pthread_mutex_lock(&r->dmu);
	for (;;) {
		while (r->dq_n == 0 && !r->dclosing)
			pthread_cond_wait(&r->dwork, &r->dmu);
		if (r->dq_n == 0)
			break;
		if (r->dq.len < DQ_FULL && !r->dclosing) {
			/* A burst is written in one go: wait a moment for
			 * more (a pusher wakes us at DQ_FULL bytes). */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += DGATHER_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->dwork, &r->dmu, &ts);
		}
		t = r->dq;
		r->dq = b;
		b = t;
		grace_buf_reset(&r->dq);
		k = r->dq_n;
		r->dq_n = 0;
		pthread_cond_broadcast(&r->droom);
		pthread_mutex_unlock(&r->dmu);
		k = dq_write(r, b.p, b.len, k, &out, &v);
		pthread_mutex_lock(&r->dmu);
		r->dead -= k;
		r->lost += k;
		grace_buf_reset(&b);
	}
	pthread_mutex_unlock(&r->dmu);
	grace_buf_free(&b);
	grace_buf_free(&out);
	grace_buf_free(&v);
	return NULL;
}

static void
hook_dead(struct grace_rt *t, const struct grace_ritem *it,
    const char *reason)
{
	struct tq *q = (struct tq *)t;

	dead_letter(q->r, q, it->p, it->n, reason, it->attempts, NULL);
	pthread_mutex_lock(&q->mu);
	if (strncmp(reason, "drain deadline", 14) == 0)
		q->st.abandoned++;
	else
		q->st.failed++;
	if (q->st.delivered)
		q->st.delivered--;
	pthread_mutex_unlock(&q->mu);
}

static void
hook_notice(struct grace_rt *t, int code, const char *msg)
{
	say(((struct tq *)t)->r, t, code, msg);
}

static struct grace_ritem *
item_new(const char *line, size_t n, int nl)
{
	size_t cap = n + 1 < ITEM_MIN ? ITEM_MIN : (n + 1 + 63) & ~(size_t)63;
	struct grace_ritem *it = malloc(sizeof *it + cap);

	if (!it)
		return NULL;
	it->next = NULL;
	it->attempts = 0;
	it->cap = cap;
	memcpy(it->p, line, n);
	if (nl)
		it->p[n++] = '\n';
	it->n = n;
	return it;
}

/* item_new(line, n, 1), from q's pool when its first item has room
 * (q->mu held). */
static struct grace_ritem *
item_get(struct tq *q, const char *line, size_t n)
{
	struct grace_ritem *it = q->pool;

	if (!it)
		return item_new(line, n, 1);
	q->pool = it->next;
	q->npool--;
	if (it->cap < n + 1) {
		free(it);
		return item_new(line, n, 1);
	}
	it->next = NULL;
	it->attempts = 0;
	memcpy(it->p, line, n);
	it->p[n] = '\n';
	it->n = n + 1;
	return it;
}

/* Give delivered items b[0..n) back to q's pool, freeing what does not
 * fit (q->mu held: the caller frees *spare after unlocking). */
static void
item_put(struct tq *q, struct grace_ritem *const *b, size_t n,
    struct grace_ritem **spare)
{
	size_t i, max = q->rt.cfg->queue + BATCH;

	for (i = 0; i < n; i++) {
		struct grace_ritem *it = b[i];

		if (q->npool < max) {
			it->next = q->pool;
			q->pool = it;
			q->npool++;
		} else {
			it->next = *spare;
			*spare = it;
		}
	}
}

static void
items_free(struct grace_ritem *it)
{
	struct grace_ritem *next;

	for (; it; it = next) {
		next = it->next;
		free(it);
	}
}

/* Append line to the spill file (q->mu held). */
static int
spill_add(struct tq *q, const char *line, size_t n, struct grace_err *e)
{
	const char *path = q->rt.cfg->spill;

	if (pwrite(q->sfd, line, n, q->swr) != (ssize_t)n ||
	    pwrite(q->sfd, "\n", 1, q->swr + (off_t)n) != 1)
		return grace_err_sys(e, path, "unable to write");
	q->swr += (off_t)n + 1;
	q->spilling = 1;
	q->st.spilled++;
	q->st.queued++;
	pthread_cond_signal(&q->work);
	return 0;
}

static int
drop_policy(const struct tq *q)
{
	return q->rt.cfg->overflow == GRACE_RO_DROP_NEWEST ||
	    q->rt.cfg->overflow == GRACE_RO_DROP_OLDEST;
}

/* Put what the pusher holds back for q into q's queue (r->smu held), as
 * if each had been queued when it was pushed: under an open breaker of
 * a drop policy it is dead-lettered, as deliver() does with what waits
 * in the queue when the breaker opens. The items q's writer gave back
 * come along for the next ones. */
static void
stage_flush(struct grace_router *r, struct tq *q)
{
	size_t k = q->staged, was;
	int p;

	pthread_mutex_lock(&q->mu);
	q->st.queued += k;
	if (atomic_load(&q->bstate) == B_OPEN && drop_policy(q)) {
		for (p = 0; p < GRACE_RP_N; p++) {
			struct grace_ritem *it, *next;

			for (it = q->sh[p]; it; it = next) {
				next = it->next;
				dead_letter_p(r, q, it->p, it->n, NULL,
				    "breaker open", 0, NULL);
				free(it);
			}
		}
		q->st.dropped += k;
	} else {
		for (p = 0; p < GRACE_RP_N; p++) {
			if (!q->sh[p])
				continue;
			if (q->tl[p])
				q->tl[p]->next = q->sh[p];
			else
				q->h[p] = q->sh[p];
			q->tl[p] = q->stl[p];
		}
		was = atomic_fetch_add(&q->count, k);
		if (was == 0 || (was < BATCH && was + k >= BATCH))
			pthread_cond_signal(&q->work);
	}
	for (p = 0; p < GRACE_RP_N; p++)
		q->sh[p] = q->stl[p] = NULL;
	q->staged = 0;
	if (!q->lpool) {
		q->lpool = q->pool;
		q->pool = NULL;
		q->npool = 0;
	}
	pthread_mutex_unlock(&q->mu);
}

/* Flush what is held back for every target (r->smu held). */
static void
stage_flush_all(struct grace_router *r)
{
	size_t i;

	for (i = 0; i < r->nt; i++)
		if (r->t[i].staged)
			stage_flush(r, &r->t[i]);
	r->since = 0;
	dls_flush(r);
}

void
grace_router_flush(struct grace_router *r)
{
	pthread_mutex_lock(&r->smu);
	stage_flush_all(r);
	pthread_mutex_unlock(&r->smu);
}

void
grace_router_set_batch(struct grace_router *r, size_t n)
{
	pthread_mutex_lock(&r->smu);
	stage_flush_all(r);
	r->batch = n;
	pthread_mutex_unlock(&r->smu);
}

/* Hold line[0..n) back for q (r->smu held) when q would take it without
 * waiting, dropping or spilling: it is not closing (r->smu), not
 * spilling, its breaker is not open under a drop policy, and there is
 * room for it beside what it holds and what is held back for it (its
 * count only falls meanwhile: only pushers raise it). Returns 1 if held
 * back, 0 if not, -1 when out of memory. */
static int
stage(struct grace_router *r, struct tq *q, enum grace_rprio p,
    const char *line, size_t n)
{
	struct grace_ritem *it;

	if (q->closing || atomic_load(&q->spilling) ||
	    (atomic_load(&q->bstate) == B_OPEN && drop_policy(q)) ||
	    q->staged + atomic_load(&q->count) >= q->rt.cfg->queue)
		return 0;
	if ((it = q->lpool) && it->cap >= n + 1) {
		q->lpool = it->next;
		it->next = NULL;
		it->attempts = 0;
		memcpy(it->p, line, n);
		it->p[n] = '\n';
		it->n = n + 1;
	} else if (!(it = item_new(line, n, 1))) {
		return -1;
	}
	if (q->stl[p])
		q->stl[p]->next = it;
	else
		q->sh[p] = it;
	q->stl[p] = it;
	if (++q->staged >= r->batch)
		stage_flush(r, q);
	if (++r->since >= 4 * r->batch)
		stage_flush_all(r);
	return 1;
}

/* grace_router_push() with r->smu held and nothing held back for q. */
static int
push_locked(struct grace_router *r, struct tq *q, enum grace_rprio p,
    const char *line, size_t n, const struct origin *o, struct grace_err *e)
{
	struct grace_ritem *it;
	int status = GRACE_RPUSH_QUEUED;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->closing) {
			pthread_mutex_unlock(&q->mu);
			if (dead_letter_p(r, q, line, n, o, "shutting down", 0,
			    e) < 0)
				return -1;
			return GRACE_RPUSH_CLOSED;
		}
		if (q->bstate == B_OPEN && drop_policy(q)) {
			q->st.dropped++;
			status = dead_letter_p(r, q, line, n, o, "breaker open",
			    0, e) < 0 ? -1 : GRACE_RPUSH_DROPPED;
			pthread_mutex_unlock(&q->mu);
			return status;
		}
		if (q->spilling) {
			status = spill_add(q, line, n, e) < 0 ? -1 :
			    GRACE_RPUSH_SPILLED;
			pthread_mutex_unlock(&q->mu);
			return status;
		}
		if (q->count < q->rt.cfg->queue)
			break;
		switch (q->rt.cfg->overflow) {
		case GRACE_RO_BLOCK:
			/* let the drain have r->smu meanwhile: it sets
			 * closing, which ends this wait */
			pthread_mutex_unlock(&r->smu);
			pthread_cond_wait(&q->room, &q->mu);
			pthread_mutex_unlock(&q->mu);
			pthread_mutex_lock(&r->smu);
			pthread_mutex_lock(&q->mu);
			if (q->staged) {
				/* held back by another pusher meanwhile */
				pthread_mutex_unlock(&q->mu);
				stage_flush(r, q);
				pthread_mutex_lock(&q->mu);
			}
			continue;
		case GRACE_RO_DROP_NEWEST:
			q->st.dropped++;
			status = dead_letter_p(r, q, line, n, o, "queue full "
			    "(drop_newest)", 0, e) < 0 ? -1 :
			    GRACE_RPUSH_DROPPED;
			pthread_mutex_unlock(&q->mu);
			return status;
		case GRACE_RO_DROP_OLDEST: {
			int lp;

			for (lp = GRACE_RP_N - 1; lp >= 0 && !q->h[lp]; lp--)
				;
			it = q->h[lp];
			if (!(q->h[lp] = it->next))
				q->tl[lp] = NULL;
			q->count--;
			q->st.dropped++;
			if (dead_letter_p(r, q, it->p, it->n, NULL,
			    "queue full (drop_oldest)", 0, e) < 0) {
				free(it);
				pthread_mutex_unlock(&q->mu);
				return -1;
			}
			free(it);
			continue;
		}
		case GRACE_RO_SPILL:
			status = spill_add(q, line, n, e) < 0 ? -1 :
			    GRACE_RPUSH_SPILLED;
			pthread_mutex_unlock(&q->mu);
			return status;
		}
	}
	if (!(it = item_get(q, line, n))) {
		pthread_mutex_unlock(&q->mu);
		return grace_err_sys(e, NULL, "out of memory");
	}
	if (q->tl[p])
		q->tl[p]->next = it;
	else
		q->h[p] = it;
	q->tl[p] = it;
	q->count++;
	q->st.queued++;
	/* Wake the writer for the first event, and for a full batch; in
	 * between it gathers for up to GATHER_MS (see writer()). */
	if (q->count == 1 || q->count == BATCH)
		pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	return status;
}

int
grace_router_push_ev(struct grace_router *r, size_t t, enum grace_rprio p,
    const char *line, size_t n, const char *ev, size_t evn,
    const struct grace_jspan *g, struct grace_err *e)
{
	struct tq *q = &r->t[t];
	struct origin o = { ev, evn, g };
	int status;

	pthread_mutex_lock(&r->smu);
	if (r->batch > 1) {
		status = stage(r, q, p, line, n);
		if (status != 0) {
			pthread_mutex_unlock(&r->smu);
			return status < 0 ? grace_err_sys(e, NULL, "out of "
			    "memory") : GRACE_RPUSH_QUEUED;
		}
		if (q->staged)
			stage_flush(r, q);
	}
	status = push_locked(r, q, p, line, n, ev ? &o : NULL, e);
	pthread_mutex_unlock(&r->smu);
	return status;
}

int
grace_router_push(struct grace_router *r, size_t t, enum grace_rprio p,
    const char *line, size_t n, struct grace_err *e)
{
	return grace_router_push_ev(r, t, p, line, n, NULL, 0, NULL, e);
}

/* Take up to BATCH queued items, highest priority first (q->mu held). */
static size_t
take(struct tq *q, struct grace_ritem **b)
{
	size_t k = 0, max = q->rt.ops->max_batch;
	int p;

	if (max == 0 || max > BATCH)
		max = BATCH;
	for (p = 0; p < GRACE_RP_N && k < max; p++) {
		while (q->h[p] && k < max) {
			b[k++] = q->h[p];
			if (!(q->h[p] = q->h[p]->next))
				q->tl[p] = NULL;
		}
	}
	q->count -= k;
	return k;
}

/* Read the next whole lines of the spill file (q->mu held). */
static size_t
take_spill(struct tq *q, struct grace_ritem **b, struct grace_err *e)
{
	size_t want = 65536, k = 0;
	char *buf = NULL;
	ssize_t got;

	for (;;) {
		char *nb;

		if ((off_t)want > q->swr - q->srd)
			want = (size_t)(q->swr - q->srd);
		if (!(nb = realloc(buf, want))) {
			free(buf);
			grace_err_sys(e, q->rt.cfg->spill, "out of memory");
			return 0;
		}
		buf = nb;
		got = pread(q->sfd, buf, want, q->srd);
		if (got <= 0) {
			free(buf);
			grace_err_sys(e, q->rt.cfg->spill, "unable to read");
			return 0;
		}
		if (memchr(buf, '\n', (size_t)got))
			break;
		if ((off_t)want >= q->swr - q->srd) {
			free(buf);
			grace_err_set(e, q->rt.cfg->spill, 0, 0, "the spill file "
			    "ends in a partial line");
			return 0;
		}
		want *= 2;
	}
	{
		size_t i = 0, s = 0;

		for (; i < (size_t)got && k < BATCH; i++) {
			if (buf[i] != '\n')
				continue;
			if (!(b[k] = item_new(buf + s, i + 1 - s, 0)))
				break;
			k++;
			s = i + 1;
		}
		q->srd += (off_t)s;
	}
	free(buf);
	if (q->srd == q->swr) {
		if (ftruncate(q->sfd, 0) == 0)
			q->srd = q->swr = 0;
		q->spilling = 0;
		pthread_cond_broadcast(&q->room);
	}
	return k;
}

/* Set q's abandon, and wake what waits for it in poll(). */
static void
set_abandon(struct tq *q)
{
	static const uint64_t one = 1;

	atomic_store(&q->rt.abandon, 1);
	if (q->rt.wakefd >= 0)
		(void)!write(q->rt.wakefd, &one, sizeof one);
}

static int
backoff_wait(struct tq *q, int64_t ms)
{
	struct pollfd pf = { q->rt.wakefd, POLLIN, 0 };
	int64_t w;

	for (w = 0; w < ms; w += 50) {
		if (atomic_load(&q->rt.abandon))
			return -1;
		if (pf.fd < 0 || poll(&pf, 1, (int)(ms - w < 50 ? ms - w :
		    50)) < 0)
			sleep_ms(ms - w < 50 ? ms - w : 50);
	}
	return 0;
}

/* The cool-down of a breaker open under a drop policy: as backoff_wait(),
 * but over (-1) as soon as the input has ended with nothing queued, for
 * there is nothing left to probe with. */
static int
cooldown_wait(struct tq *q, int64_t ms)
{
	int64_t w;
	int done;

	for (w = 0; w < ms; w += 50) {
		pthread_mutex_lock(&q->mu);
		done = q->closing && q->count == 0;
		pthread_mutex_unlock(&q->mu);
		if (done || atomic_load(&q->rt.abandon))
			return -1;
		sleep_ms(ms - w < 50 ? ms - w : 50);
	}
	return 0;
}

/* A breaker state change: tell the user and emit the event. */
static void
breaker_event(struct tq *q, const char *state, const char *why)
{
	const struct grace_rtarget_cfg *c = q->rt.cfg;
	struct grace_buf b = {0};
	char now[GRACE_TIME_LEN], cd[GRACE_DURATION_LEN], msg[1300];
	struct grace_timefmt tf = {0};

	if (grace_time_now(&tf, now) < 0)
		strcpy(now, "1970-01-01T00:00:00.000000Z");
	grace_duration_format(c->breaker_cooldown_ms, cd, sizeof cd);
	grace_buf_addf(&b, "{\"type\":\"route.breaker.%s\",\"source\":"
	    "\"grace-route\",\"time\":\"%s\",\"data\":{\"target\":", state,
	    now);
	grace_buf_add_jstr(&b, c->name, strlen(c->name));
	grace_buf_addf(&b, ",\"failures\":%u,\"cooldown\":\"%s\"", q->bfails,
	    cd);
	if (why) {
		grace_buf_adds(&b, ",\"error\":");
		grace_buf_add_jstr(&b, why, strlen(why));
	}
	grace_buf_adds(&b, "}}");
	snprintf(msg, sizeof msg, "circuit breaker %s%s%s", state,
	    why ? ": " : "", why ? why : "");
	say(q->r, &q->rt, GRACE_EXIT_OK, msg);
	if (b.p && q->r->event)
		q->r->event(q->r->arg, b.p, b.len);
	grace_buf_free(&b);
}

static int backoff_wait(struct tq *q, int64_t ms);

/* Deliver b[0..n), with retries; what cannot be delivered is
 * dead-lettered. Frees the items. */
static void
deliver(struct tq *q, struct grace_ritem **b, size_t n)
{
	const struct grace_rtarget_cfg *c = q->rt.cfg;
	int64_t backoff = c->backoff_ms;
	unsigned attempts = 0;
	size_t off = 0, done, i;
	struct grace_ritem *spare;
	struct grace_err e;
	char why[1100];

	while (off < n) {
		int r = 0;

		grace_err_clear(&e);
		if (!q->rt.is_open) {
			if (q->rt.ops->open(&q->rt, &e) == 0)
				q->rt.is_open = 1;
			else
				r = -1;
		}
		done = 0;
		if (r == 0) {
			r = q->rt.ops->write(&q->rt, b + off, q->bstate == B_HALF ?
			    1 : n - off, &done, &e);
			if (r == 0)
				r = q->rt.ops->flush(&q->rt, &e);
		}
		spare = NULL;
		pthread_mutex_lock(&q->mu);
		q->st.delivered += done;
		item_put(q, b + off, done, &spare);
		pthread_mutex_unlock(&q->mu);
		items_free(spare);
		off += done;
		if (r == 0 && q->bstate == B_HALF) {
			/* the probe went through */
			pthread_mutex_lock(&q->mu);
			q->bstate = B_CLOSED;
			pthread_mutex_unlock(&q->mu);
			breaker_event(q, "closed", NULL);
		}
		if (r == 0)
			q->bfails = 0;
		if (off == n)
			break;
		if (r == 0)
			continue;       /* after a probe: the rest */
		attempts++;
		q->bfails++;
		if (e.file[0])
			snprintf(why, sizeof why, "%s: %s", e.file, e.msg);
		else
			snprintf(why, sizeof why, "%s", e.msg);
		if (atomic_load(&q->rt.abandon)) {
			for (i = off; i < n; i++) {
				dead_letter(q->r, q, b[i]->p, b[i]->n,
				    "drain deadline", b[i]->attempts + attempts,
				    NULL);
				free(b[i]);
			}
			pthread_mutex_lock(&q->mu);
			q->st.abandoned += n - off;
			pthread_mutex_unlock(&q->mu);
			return;
		}
		say(q->r, &q->rt, GRACE_EXIT_SYSTEM, why);
		if (q->rt.is_open && c->kind != GRACE_RK_EXEC) {
			q->rt.ops->close(&q->rt, 0);
			q->rt.is_open = 0;
		}
		if (c->breaker_failures && (q->bstate == B_HALF ||
		    (q->bstate == B_CLOSED && q->bfails >= c->breaker_failures))) {
			pthread_mutex_lock(&q->mu);
			q->bstate = B_OPEN;
			q->st.breaker_opened++;
			pthread_mutex_unlock(&q->mu);
			breaker_event(q, "opened", why);
		}
		if (q->bstate == B_OPEN) {
			if (c->overflow == GRACE_RO_DROP_NEWEST ||
			    c->overflow == GRACE_RO_DROP_OLDEST) {
				/* under a drop policy an open breaker sends
				 * nothing: what it holds is dead-lettered */
				for (i = off; i < n; i++) {
					dead_letter(q->r, q, b[i]->p, b[i]->n,
					    "breaker open", b[i]->attempts +
					    attempts, NULL);
					free(b[i]);
				}
				pthread_mutex_lock(&q->mu);
				q->st.failed += n - off;
				/* and so is what waits in the queue: it would
				 * only wait out the cool-down to be dropped */
				while (q->count) {
					size_t k = take(q, b);

					for (i = 0; i < k; i++) {
						dead_letter(q->r, q, b[i]->p,
						    b[i]->n, "breaker open",
						    b[i]->attempts, NULL);
						free(b[i]);
					}
					q->st.dropped += k;
				}
				pthread_cond_broadcast(&q->room);
				pthread_mutex_unlock(&q->mu);
				if (cooldown_wait(q, c->breaker_cooldown_ms) == 0) {
					pthread_mutex_lock(&q->mu);
					q->bstate = B_HALF;
					pthread_mutex_unlock(&q->mu);
					breaker_event(q, "half_open", NULL);
				}
				return;
			}
			/* otherwise the events wait out the cool-down (the
			 * queue's policy takes what arrives meanwhile) and
			 * the first one is the probe */
			if (backoff_wait(q, c->breaker_cooldown_ms) < 0)
				continue;   /* abandoned: dead-lettered above */
			pthread_mutex_lock(&q->mu);
			q->bstate = B_HALF;
			pthread_mutex_unlock(&q->mu);
			breaker_event(q, "half_open", NULL);
			attempts = 0;
			continue;
		}
		if (attempts > c->retries) {
			char reason[1200];

			snprintf(reason, sizeof reason, "retries exhausted: %s",
			    why);
			for (i = off; i < n; i++) {
				dead_letter(q->r, q, b[i]->p, b[i]->n, reason,
				    b[i]->attempts + attempts, NULL);
				free(b[i]);
			}
			pthread_mutex_lock(&q->mu);
			q->st.failed += n - off;
			pthread_mutex_unlock(&q->mu);
			return;
		}
		backoff_wait(q, backoff);
		backoff = backoff * 2 > c->backoff_max_ms ? c->backoff_max_ms :
		    backoff * 2;
	}
}

static void *
writer(void *arg)
{
	struct tq *q = arg;
	struct grace_ritem *b[BATCH];
	struct grace_err e;
	size_t k;

	background();
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->count == 0 && !q->spilling && !q->closing)
			pthread_cond_wait(&q->work, &q->mu);
		if ((q->count == 0 && !q->spilling) ||
		    atomic_load(&q->rt.abandon)) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		if (q->count && q->count < BATCH && !q->closing &&
		    q->rt.ops->max_batch > 1) {
			/* A burst is written in one go: wait a moment for
			 * a full batch (push wakes us when there is one). */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += GATHER_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&q->work, &q->mu, &ts);
		}
		if (q->count) {
			k = take(q, b);
		} else {
			k = take_spill(q, b, &e);
			if (k == 0) {
				/* the spill file failed us: what is left in
				 * it is the drain's to dead-letter */
				say(q->r, &q->rt, GRACE_EXIT_SYSTEM, e.msg);
				q->spilling = 0;
				pthread_cond_broadcast(&q->room);
				pthread_mutex_unlock(&q->mu);
				continue;
			}
		}
		q->busy = 1;
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->mu);
		deliver(q, b, k);
		pthread_mutex_lock(&q->mu);
		q->busy = 0;
		pthread_cond_broadcast(&q->idle);
		pthread_mutex_unlock(&q->mu);
	}
	if (q->rt.is_open) {
		double left = q->r->drain_end - grace_mono_ms();

		q->rt.ops->close(&q->rt, atomic_load(&q->rt.abandon) ||
		    left < 0 ? 0 : (int64_t)left);
		q->rt.is_open = 0;
	}
	pthread_mutex_lock(&q->mu);
	q->busy = 0;
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Open (or take over) target q's spill file. */
static int
spill_open(struct tq *q, struct grace_err *e)
{
	const char *path = q->rt.cfg->spill;
	struct stat st;

	q->sfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (q->sfd < 0)
		return grace_err_sys(e, path, "unable to open");
	if (flock(q->sfd, LOCK_EX | LOCK_NB) < 0)
		return grace_err_sys(e, path, "spill file in use by another "
		    "process");
	if (fstat(q->sfd, &st) < 0)
		return grace_err_sys(e, path, "unable to stat");
	/* What a killed run left behind goes first. */
	q->srd = 0;
	q->swr = st.st_size;
	q->spilling = st.st_size > 0;
	return 0;
}

struct grace_router *
grace_router_new(const struct grace_routes *rs, pthread_mutex_t *out_mu,
    grace_router_notice_fn *notice, grace_router_event_fn *event, void *arg,
    struct grace_err *e)
{
	struct grace_router *r = calloc(1, sizeof *r);
	size_t i;

	if (!r || !(r->t = calloc(rs->nt, sizeof *r->t))) {
		free(r);
		grace_err_sys(e, NULL, "out of memory");
		return NULL;
	}
	r->rs = rs;
	r->nt = rs->nt;
	r->notice = notice;
	r->event = event;
	r->arg = arg;
	r->drain_end = 1e300;
	r->dfd = -1;
	pthread_mutex_init(&r->smu, NULL);
	pthread_mutex_init(&r->dmu, NULL);
	pthread_cond_init(&r->dwork, NULL);
	pthread_cond_init(&r->droom, NULL);
	for (i = 0; i < r->nt; i++) {
		struct tq *q = &r->t[i];

		q->r = r;
		q->sfd = -1;
		q->rt.cfg = &rs->t[i];
		q->rt.index = i;
		q->rt.ops = grace_rtarget_ops_for(rs->t[i].kind);
		q->rt.hooks.dead = hook_dead;
		q->rt.hooks.notice = hook_notice;
		q->rt.out_mu = out_mu;
		atomic_init(&q->rt.abandon, 0);
		q->rt.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		atomic_init(&q->rt.restarts, 0);
		atomic_init(&q->rt.exits, 0);
		pthread_mutex_init(&q->mu, NULL);
		pthread_cond_init(&q->work, NULL);
		pthread_cond_init(&q->room, NULL);
		pthread_cond_init(&q->idle, NULL);
	}
	r->dfd = open(rs->dead_letter, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0644);
	if (r->dfd < 0) {
		grace_err_sys(e, rs->dead_letter, "unable to open the dead-letter "
		    "file");
		goto fail;
	}
	for (i = 0; i < r->nt; i++)
		if (rs->t[i].overflow == GRACE_RO_SPILL &&
		    spill_open(&r->t[i], e) < 0)
			goto fail;
	{
		int err = pthread_create(&r->dth, NULL, dead_writer, r);

		if (err) {
			errno = err;
			grace_err_sys(e, NULL, "unable to start a writer");
			goto fail;
		}
		r->dstarted = 1;
	}
	for (i = 0; i < r->nt; i++) {
		int err = pthread_create(&r->t[i].th, NULL, writer, &r->t[i]);

		if (err) {
			errno = err;
			grace_err_sys(e, NULL, "unable to start a writer");
			goto fail;
		}
		r->t[i].started = 1;
	}
	return r;
fail:
	grace_router_drain(r, 0, NULL);
	grace_router_free(r);
	return NULL;
}

/* Dead-letter what is still queued or spilled for q (q->mu held). */
static int
abandon(struct tq *q, struct grace_err *e)
{
	struct grace_ritem *b[BATCH];
	int status = 0, p;

	set_abandon(q);
	for (p = 0; p < GRACE_RP_N; p++) {
		struct grace_ritem *it, *next;

		for (it = q->h[p]; it; it = next) {
			next = it->next;
			if (dead_letter(q->r, q, it->p, it->n, "drain deadline",
			    it->attempts, e) < 0)
				status = -1;
			q->st.abandoned++;
			free(it);
		}
		q->h[p] = q->tl[p] = NULL;
	}
	q->count = 0;
	while (q->spilling) {
		struct grace_err se;
		size_t k = take_spill(q, b, &se), i;

		if (k == 0) {
			q->spilling = 0;
			break;
		}
		for (i = 0; i < k; i++) {
			if (dead_letter(q->r, q, b[i]->p, b[i]->n,
			    "drain deadline", 0, e) < 0)
				status = -1;
			q->st.abandoned++;
			free(b[i]);
		}
	}
	pthread_cond_broadcast(&q->work);
	pthread_cond_broadcast(&q->room);
	return status;
}

int
grace_router_drain(struct grace_router *r, int64_t deadline_ms,
    struct grace_err *e)
{
	struct grace_err se;
	struct timespec ts;
	size_t i;
	int status = 0;

	if (!e)
		e = &se;
	r->drain_end = grace_mono_ms() + (double)deadline_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(deadline_ms / 1000);
	ts.tv_nsec += (long)(deadline_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	/* What pushers hold back goes into the queues first: it was
	 * accepted, and is delivered like the rest. */
	pthread_mutex_lock(&r->smu);
	stage_flush_all(r);
	for (i = 0; i < r->nt; i++) {
		struct tq *q = &r->t[i];

		pthread_mutex_lock(&q->mu);
		q->closing = 1;
		pthread_cond_broadcast(&q->work);
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->mu);
	}
	pthread_mutex_unlock(&r->smu);
	for (i = 0; i < r->nt; i++) {
		struct tq *q = &r->t[i];

		pthread_mutex_lock(&q->mu);
		while ((q->count || q->spilling || q->busy) && q->started &&
		    pthread_cond_timedwait(&q->idle, &q->mu, &ts) == 0)
			;
		if (q->count || q->spilling || q->busy) {
			/* Let the writer give up its batch first (it does
			 * within ~100 ms), so dead letters keep the order. */
			struct timespec t2;

			set_abandon(q);
			clock_gettime(CLOCK_REALTIME, &t2);
			t2.tv_sec += 2;
			while (q->busy && pthread_cond_timedwait(&q->idle,
			    &q->mu, &t2) == 0)
				;
			if (abandon(q, e) < 0)
				status = -1;
		}
		pthread_mutex_unlock(&q->mu);
	}
	for (i = 0; i < r->nt; i++) {
		if (r->t[i].started)
			pthread_join(r->t[i].th, NULL);
		r->t[i].started = 0;
	}
	/* Last, the dead letters: everything above may have made some. */
	pthread_mutex_lock(&r->dmu);
	r->dclosing = 1;
	pthread_cond_broadcast(&r->dwork);
	pthread_cond_broadcast(&r->droom);
	pthread_mutex_unlock(&r->dmu);
	if (r->dstarted)
		pthread_join(r->dth, NULL);
	pthread_mutex_lock(&r->dmu);
	r->dstarted = 0;
	if (r->dq_n)
		dq_write_now(r);   /* made after the thread's last look */
	pthread_mutex_unlock(&r->dmu);
	return status;
}

void
grace_router_stats(struct grace_router *r, size_t t, struct grace_rtstats *st)
{
	struct tq *q = &r->t[t];
	size_t staged;

	/* what the pusher holds back is accepted: in the depth too */
	pthread_mutex_lock(&r->smu);
	staged = q->staged;
	pthread_mutex_unlock(&r->smu);
	pthread_mutex_lock(&q->mu);
	*st = q->st;
	st->restarts = atomic_load(&q->rt.restarts);
	st->exits = atomic_load(&q->rt.exits);
	st->depth = atomic_load(&q->count) + staged;
	st->breaker = atomic_load(&q->bstate);
	pthread_mutex_unlock(&q->mu);
}

uint64_t
grace_router_dead(struct grace_router *r, uint64_t *lost)
{
	uint64_t d;

	/* with those the pushers made and hold (r->smu, then r->dmu) */
	pthread_mutex_lock(&r->smu);
	pthread_mutex_lock(&r->dmu);
	d = r->dead + r->dls_n;
	if (lost)
		*lost = r->lost;
	pthread_mutex_unlock(&r->dmu);
	pthread_mutex_unlock(&r->smu);
	return d;
}

void
grace_router_free(struct grace_router *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nt; i++) {
		struct tq *q = &r->t[i];
		int p;

		for (p = 0; p < GRACE_RP_N; p++) {
			struct grace_ritem *it, *next;

			for (it = q->h[p]; it; it = next) {
				next = it->next;
				free(it);
			}
		}
		if (q->rt.wakefd >= 0)
			close(q->rt.wakefd);
		items_free(q->pool);
		items_free(q->lpool);
		for (p = 0; p < GRACE_RP_N; p++)
			items_free(q->sh[p]);
		if (q->sfd >= 0)
			close(q->sfd);
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->work);
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->idle);
	}
	if (r->dfd >= 0)
		close(r->dfd);
	pthread_mutex_destroy(&r->smu);
	pthread_mutex_destroy(&r->dmu);
	pthread_cond_destroy(&r->dwork);
	pthread_cond_destroy(&r->droom);
	grace_buf_free(&r->dq);
	grace_buf_free(&r->dls);
	grace_buf_free(&r->dl_head);
	grace_buf_free(&r->dl_reason);
	free(r->t);
	free(r);
}
