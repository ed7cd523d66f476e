/* route_int.h - inside lib/route/: the target interface between the
 * router (router.c) and the target kinds (targets.c).
 *
 * A target kind is a struct grace_rtarget_ops: open, write a batch,
 * flush, close. The router calls them from the target's own writer
 * thread only, so a kind needs no locking of its own (except around the
 * shared standard output, out_mu). A message-broker target is one more
 * ops table and a line in grace_rtarget_ops_for(); the router does not
 * change. */
#ifndef GRACE_ROUTE_INT_H
#define GRACE_ROUTE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "route.h"

/* One queued event: its line and '\n' in p[0..n). */
struct grace_ritem {
	struct grace_ritem *next;
	unsigned attempts;          /* failed deliveries so far */
	size_t n;
	size_t cap;                 /* bytes p[] has room for */
	char p[];
};

struct grace_rt;

/* What a kind reports back to the router (set by the router). */
struct grace_rt_hooks {
	/* An event the kind gave up on after write() had counted it done
	 * (an exec subscriber died before reading it and the retries are
	 * spent): dead-letter it. */
	void (*dead)(struct grace_rt *t, const struct grace_ritem *it,
	    const char *reason);
	/* Something to tell the user (restart, exit status). */
	void (*notice)(struct grace_rt *t, int code, const char *msg);
};

struct grace_rtarget_ops {
	/* Get ready to write (open the file, start the subscriber). May be
	 * called again after close() or a failure. Returns 0 or -1. */
	int (*open)(struct grace_rt *t, struct grace_err *e);
	/* Write items[0..n) in order; *done is how many were delivered
	 * whole (the rest are retried). Returns 0 when all were, -1 with e
	 * filled otherwise. Must return within ~100 ms of t->abandon being
	 * set. */
	int (*write)(struct grace_rt *t, struct grace_ritem *const *items,
	    size_t n, size_t *done, struct grace_err *e);
	/* Make what was written durable or visible. Returns 0 or -1. */
	int (*flush)(struct grace_rt *t, struct grace_err *e);
	/* Let go of everything (exec: close the subscriber's stdin and wait
	 * for it until wait_ms, then kill it). */
	void (*close)(struct grace_rt *t, int64_t wait_ms);
	/* Most events handed to one write(): many for files (one locked
	 * write each), one where a write can block on a reader, so that a
	 * higher-priority event that arrives meanwhile goes next. */
	size_t max_batch;
};

/* A target at run time. */
struct grace_rt {
	const struct grace_rtarget_cfg *cfg;
	size_t index;
	const struct grace_rtarget_ops *ops;
	struct grace_rt_hooks hooks;
	pthread_mutex_t *out_mu;    /* standard output's lock */
	atomic_int abandon;         /* the drain deadline has passed */
	int wakefd;                 /* readable once abandon is set (an
	                               eventfd; -1 if none): waits poll it */
	atomic_ulong restarts;      /* exec: subscribers restarted */
	atomic_ulong exits;         /* exec: subscriber exits seen */
	int is_open;
	void *kind;                 /* the kind's private state */
};

/* match.c: 1 if the event p[0..n) is taken by selector sel (its source,
 * type and matchers), else 0; -1 when out of memory. m lends scratch
 * buffers. */
int grace_rsel_match(const struct grace_rsel *sel, const char *p, size_t n,
    struct grace_rmatch *m);

/* nats.c: the nats kind (JetStream publish). */
extern const struct grace_rtarget_ops grace_rtarget_nats_ops;

/* The ops table of kind k. */
const struct grace_rtarget_ops *grace_rtarget_ops_for(enum grace_rkind k);

#endif
