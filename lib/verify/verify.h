/* verify.h - the verification engine: the one public header of lib/verify/.
 *
 * grace-verify checks that an action did what its contract promised: a
 * contracts file (man/grace-contracts.5) maps events to checks (jq, exec,
 * digest, signature, baseline, scan, expect-vs-actual), and each event gets
 * a grace.verify verdict with a confidence (man/grace-verify.1). Loading
 * and the type index are contracts.c, evaluating an event eval.c, the
 * checks checks.c, baselines baseline.c, digests and signatures
 * sigcheck.c, and the ordered worker pool that runs slow checks on other
 * threads pool.c; what only the folder shares is in verify_int.h.
 *
 * Uses the core (lib/) and lib/log/ (log/log.h: SHA-256 and base64 for
 * digests and signatures). Used by grace-verify, whose --chain mode is
 * lib/log/'s chain verification.
 */
#ifndef GRACE_VERIFY_H
#define GRACE_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

/* ===================================================================== */
/* contracts.c, eval.c - the verification engine of grace-verify: a contracts
 * file (man/grace-contracts.5) maps events to the checks that must hold
 * for them, and each event gets a grace.verify verdict.
 *
 * The work for one event is split in three so that slow checks can run
 * on other threads while results keep the input order:
 *
 *   1. grace_vevent_prepare() (the thread that reads events): pick the
 *      contract (by type through an index, then its `when`), and compute
 *      everything that is a function of the event alone: jq and contract
 *      checks, and the values the other checks read from the event (a
 *      file name, an expected digest, environment variables). jq
 *      expressions run natively over the bytes where they can
 *      (jqnative.h), else as one libjq program per contract, so an event
 *      costs at most one jv parse and one jq_start per contract tried.
 *   2. grace_vevent_run() for each check still pending (exec, digest,
 *      signature, baseline, scan): any thread, each with its own
 *      struct grace_vctx (libjq states are not thread-safe).
 *   3. grace_vevent_finish(): status, confidence and the grace.verify
 *      JSON.
 *
 * After grace_contracts_load() the contracts are read-only (baselines
 * are updated under their own lock), so any number of threads may use
 * them at once.
 */

/* Indexes of the three members every event is scanned for, in the key
 * list of grace_contracts_keys(). */
enum { GRACE_VKEY_TYPE = 0, GRACE_VKEY_ID = 1, GRACE_VKEY_GRACE = 2 };

enum grace_vstatus {
	GRACE_VS_NONE = 0,       /* no contract applies */
	GRACE_VS_VERIFIED,
	GRACE_VS_FAILED,
	GRACE_VS_INCONCLUSIVE,
};

struct grace_contracts_opts {
	int update_baseline;     /* baseline checks record the event's value */
	const char *tmpdir;      /* where exec checks get their working
	                            directories; NULL: $TMPDIR or /tmp */
	void (*child_started)(void *arg, int pid); /* see exec.h */
	void (*child_ended)(void *arg, int pid);
	void *child_arg;
};

struct grace_contracts;
struct grace_vctx;
struct grace_vevent;

/* Load and compile the contracts file at path: every key checked, every
 * jq expression compiled, every regex compiled, scan rule files and
 * baseline files loaded. Returns the contracts, or NULL with e filled at
 * file:line:col (e->code GRACE_EXIT_USAGE for configuration errors,
 * GRACE_EXIT_SYSTEM for I/O). A baseline file that is not valid is an
 * error only with update_baseline (it would be overwritten); otherwise
 * the checks that read it are inconclusive. */
struct grace_contracts *grace_contracts_load(const char *path,
    const struct grace_contracts_opts *o, struct grace_err *e);
void grace_contracts_free(struct grace_contracts *c);

/* Counts, for --check. */
size_t grace_contracts_count(const struct grace_contracts *c);
size_t grace_contracts_nchecks(const struct grace_contracts *c);

/* --check: add to r (ready.h) that every command an exec check runs
 * exists (each once; relative ones were resolved against the contracts
 * file's directory) and, with update_baseline, that every baseline file
 * can be written. */
struct grace_ready;
void grace_contracts_ready(const struct grace_contracts *c,
    struct grace_ready *r);

/* The top-level members to locate in each event (grace_json_scan keys):
 * "type", "id", "grace" at the GRACE_VKEY_* indexes, then what the
 * contracts' paths need. Borrowed; *n set. */
const char *const *grace_contracts_keys(const struct grace_contracts *c,
    size_t *n);

/* Write the baselines that changed (update_baseline). Returns 0 or -1. */
int grace_contracts_save_baselines(struct grace_contracts *c,
    struct grace_err *e);

/* A per-thread evaluation context. NULL when out of memory. */
struct grace_vctx *grace_vctx_new(const struct grace_contracts *c);
void grace_vctx_free(struct grace_vctx *x);

/* An event's verification, reusable from one event to the next. */
struct grace_vevent *grace_vevent_new(void);
void grace_vevent_free(struct grace_vevent *v);

/* Step 1 for the event ev[0..n) (validated; found[] are the spans of
 * grace_contracts_keys()). With copy, the event's bytes are copied so
 * that steps 2 and 3 may run after ev is gone; without it ev must stay
 * valid until grace_vevent_finish(). Returns 1 when a contract applies,
 * 0 when none does, -1 when out of memory (e filled). When the `when` of
 * a contract fails at run time the event has an error: 1 is returned
 * and grace_vevent_error() is not NULL. */
int grace_vevent_prepare(struct grace_vevent *v, struct grace_vctx *x,
    const struct grace_contracts *c, const char *ev, size_t n,
    const struct grace_jspan *found, int copy, struct grace_err *e);

/* Number of checks, and whether check i still has to run (step 2). */
size_t grace_vevent_nchecks(const struct grace_vevent *v);
int grace_vevent_pending(const struct grace_vevent *v, size_t i);

/* Step 2: run check i with the calling thread's context x. Different
 * checks of one event may run on different threads at once. */
void grace_vevent_run(struct grace_vevent *v, struct grace_vctx *x,
    size_t i);

/* Step 3: the status, and the grace.verify object (JSON, no newline)
 * appended to out. Returns the status, or -1 when out of memory. */
int grace_vevent_finish(struct grace_vevent *v, struct grace_buf *out);

/* After prepare: the contract's id (NULL when none applies), the event's
 * error (NULL when none), the event's id and type as text ("" when
 * absent), all borrowed from v. */
const char *grace_vevent_contract(const struct grace_vevent *v);
const char *grace_vevent_error(const struct grace_vevent *v);
const char *grace_vevent_id(const struct grace_vevent *v);
const char *grace_vevent_type(const struct grace_vevent *v);
/* The event's bytes as prepare saw them (its copy, with copy). */
const char *grace_vevent_event(const struct grace_vevent *v, size_t *n);
/* After finish: the confidence, and a one-line summary of the checks
 * that did not pass ("health failed: exit 3; digest error: ...", "" when
 * all passed) appended to out. */
double grace_vevent_confidence(const struct grace_vevent *v);
int grace_vevent_summary(const struct grace_vevent *v, struct grace_buf *out);

/* The grace.verify object for an event no contract applies to, when a
 * contract is required: {"status":"inconclusive","confidence":0,
 * "checks":[],"contract":null,"error":"no contract applies"}. */
int grace_vevent_none_json(struct grace_buf *out);

/* Status names: "verified", "failed", "inconclusive". */
const char *grace_vstatus_name(enum grace_vstatus s);

/* ===================================================================== */
/* pool.c - a pool of worker threads for items made of independent
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
