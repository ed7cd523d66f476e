/* verify_pool.h - a pool of worker threads for items made of independent
 * jobs, handed back in the order the items were submitted: grace-verify
 * runs the slow checks of many events at once (-j N) and still writes
 * its verdicts in input order.
 *
 * Items are numbered 0, 1, 2... as they are submitted. An item is
 * complete when all its jobs have run; grace_pool_wait() returns items in
 * number order, each once complete, so a slow job holds back the output
 * of later items (the ordering needs that) but never their work. At most
 * `window` items may be incomplete at a time: grace_pool_submit() waits
 * for room, which keeps memory bounded when input comes faster than the
 * jobs finish.
 */
#ifndef GRACE_VERIFY_POOL_H
#define GRACE_VERIFY_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Make a worker's private context (arg is the pool's arg); NULL fails
 * the pool's creation. */
typedef void *grace_pool_init_fn(void *arg);
typedef void grace_pool_fini_fn(void *wctx);
/* Run job number job of item, on a worker, with that worker's context. */
typedef void grace_pool_job_fn(void *wctx, void *item, size_t job);

struct grace_pool;

/* Start nthreads workers (1..256). window: most incomplete items (0:
 * 4 per thread, at least 16). Returns NULL with e filled on failure. */
struct grace_pool *grace_pool_new(size_t nthreads, size_t window,
    grace_pool_init_fn *init, grace_pool_fini_fn *fini,
    grace_pool_job_fn *job, void *arg, struct grace_err *e);

/* Submit item with njobs jobs (0 is allowed: complete at once); waits
 * while the window is full. Returns the item's number, or -1 when out
 * of memory. Call from one thread only. */
int64_t grace_pool_submit(struct grace_pool *p, void *item, size_t njobs);

/* Wait for item number seq, which must be the oldest not yet waited
 * for, to be complete, and return it. Call from one thread only (it may
 * be another than the submitting thread). */
void *grace_pool_wait(struct grace_pool *p, uint64_t seq);

/* Let the running jobs finish, stop the workers, free the pool. Items
 * not waited for are not freed (they are the caller's). NULL: no-op. */
void grace_pool_free(struct grace_pool *p);

#endif
