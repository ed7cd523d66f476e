/* route.h - the trigger mesh: the one public header of lib/route/.
 *
 * grace-route reads events and delivers each to the targets its routes
 * file names: grace-route(1) is the program, man/grace-routes.5 the
 * routes, test and silences formats. Uses the core (lib/) and lib/log/
 * (the log target appends to a chain through log/log.h). Its files:
 *
 *   config.c   loading and checking the routes file: targets, routes,
 *              globs, matchers, jq conditions, the default target, the
 *              warnings --check reports, and the readiness it checks
 *   match.c    which routes an event matches and where it goes
 *   storm.c    storm control in event time: dedupe, throttle, inhibit,
 *              silences
 *   cases.c    routes test files (--test), run in virtual time
 *   router.c   one bounded queue and one writer thread per target, the
 *              overflow policies, spill files, retries, dead letters and
 *              the drain at the end
 *   targets.c  the target kinds (file, log, stdout, stderr, fifo, exec)
 *              behind one small interface (route_int.h)
 *   nats.c     NATS JetStream (libnats): the nats target kind, and the
 *              source that reads a durable pull consumer
 *
 * lib/ never prints: what the writer threads have to say (a subscriber
 * that exited, a write that failed) reaches the program through a
 * notice callback.
 */
#ifndef GRACE_ROUTE_H
#define GRACE_ROUTE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct grace_trust;          /* gate/gate.h */

/* ===================================================================== */
/* config.c - the routes file. */

enum grace_rprio {
	GRACE_RP_CRITICAL = 0,
	GRACE_RP_HIGH,
	GRACE_RP_NORMAL,
	GRACE_RP_LOW,
	GRACE_RP_N,
};

/* "critical", "high", "normal", "low". */
const char *grace_rprio_name(enum grace_rprio p);

enum grace_rkind {
	GRACE_RK_FILE,
	GRACE_RK_LOG,
	GRACE_RK_STDOUT,
	GRACE_RK_STDERR,
	GRACE_RK_FIFO,
	GRACE_RK_EXEC,
	GRACE_RK_NATS,
};

/* "file", "log", "stdout", "stderr", "fifo", "exec", "nats". */
const char *grace_rkind_name(enum grace_rkind k);

enum grace_roverflow {
	GRACE_RO_BLOCK,
	GRACE_RO_DROP_NEWEST,
	GRACE_RO_DROP_OLDEST,
	GRACE_RO_SPILL,
};

/* "block", "drop_newest", "drop_oldest", "spill". */
const char *grace_roverflow_name(enum grace_roverflow o);

struct grace_rtarget_cfg {
	char *name;
	enum grace_rkind kind;
	char *path;                 /* file, log, fifo; NULL otherwise */
	char **argv;                /* exec: NULL-terminated; NULL otherwise */
	size_t queue;               /* events the queue holds */
	enum grace_roverflow overflow;
	char *spill;                /* spill: the spill file */
	unsigned retries;           /* failed attempts before a dead letter */
	int64_t backoff_ms;         /* first wait after a failure (doubles) */
	int64_t backoff_max_ms;
	unsigned breaker_failures;  /* consecutive failures that open the
	                               circuit breaker; 0: no breaker */
	int64_t breaker_cooldown_ms;
	/* nats: publish to JetStream (nats.c) */
	char *url;                  /* nats://127.0.0.1:4222 */
	char *subject;              /* template: {type} {source} {subject}
	                               {partition} */
	char *stream;               /* the stream the subject must be in */
	struct grace_rpath *pkey;   /* partition: key (member paths) */
	size_t npkey;
	unsigned pcount;            /* partition: count; 0: none */
	int64_t timeout_ms;         /* connect and publish-ack timeout */
	unsigned window;            /* nats: publishes in flight (1..256) */
	unsigned replicas;          /* --create-streams: the stream's
	                               replicas (1 to 5; 0: not said) */
	int64_t max_per_subject;    /* --create-streams: messages kept per
	                               subject (0: not said, all) */
	unsigned long line, col;    /* where it is defined */
};

enum grace_rop { GRACE_ROP_EQ, GRACE_ROP_NE, GRACE_ROP_RE, GRACE_ROP_NRE };

#define GRACE_ROUTE_MAX_PATH 16     /* segments of a matcher's member path */

struct grace_rmatcher {
	char *text;                 /* as written, for --explain */
	char *segs[GRACE_ROUTE_MAX_PATH]; /* member path, "data", "host" */
	size_t nsegs;
	enum grace_rop op;
	char *value;                /* =, !=: the value; =~, !~: the regex */
	void *re;                   /* OnigRegex of \A(?:value)\z */
};

/* require: one upstream verdict that must hold. */
enum grace_rreq { GRACE_RREQ_GATE, GRACE_RREQ_VERIFY, GRACE_RREQ_DECISION,
	GRACE_RREQ_N };

/* A member path for storm-control keys: "data.host". */
struct grace_rpath {
	char *text;
	char *segs[GRACE_ROUTE_MAX_PATH];
	size_t nsegs;
};

/* Which events a route, an inhibit side or a silence takes: source and
 * type (exact values or globs; none: any) and matchers (all must hold). */
struct grace_rsel {
	const char **sources;
	size_t nsources;
	const char **types;
	size_t ntypes;
	struct grace_rmatcher *m;
	size_t nm;
};

struct grace_rroute {
	char *name;                 /* "name:", else "route N" (1-based) */
	struct grace_rsel sel;      /* source, type, match */
	struct grace_jq *when;      /* NULL: none */
	/* validation before dispatch: what fails goes to quarantine */
	const char **req[GRACE_RREQ_N]; /* accepted verdicts; NULL: none */
	size_t nreq[GRACE_RREQ_N];
	double min_trust;           /* require: {trust: N}; used when */
	int has_min_trust;          /* has_min_trust is set */
	struct grace_jq *validate;  /* NULL: none */
	/* storm control, in event time: dedupe (window > 0) and throttle
	 * (limit > 0), each keyed by member paths */
	struct grace_rpath *dkey;
	size_t ndkey;
	int64_t dwindow_ms;
	struct grace_rpath *tkey;
	size_t ntkey;
	uint64_t tlimit;
	int64_t tinterval_ms;
	size_t *targets;            /* indexes into grace_routes.t */
	size_t ntargets;
	enum grace_rprio prio;
	int cont;                   /* continue: true */
	unsigned long line, col;
};

/* While an event of the source side is active (ttl from its time), events
 * of the target side with the same values at the equal paths are held
 * back. An event of both sides is never held back by the rule. */
struct grace_rinhibit {
	char *name;
	struct grace_rsel src, dst;
	struct grace_rpath *equal;
	size_t nequal;
	int64_t ttl_ms;
	unsigned long line, col;
};

/* A silence: events it takes, whose time falls in [starts, ends), are
 * held back. */
struct grace_rsilence {
	char *id;
	struct grace_rsel sel;
	int64_t starts_ms, ends_ms;
	const char *by, *why;       /* borrowed from the silences tree */
	unsigned long line, col;
};

struct grace_routes {
	char *file;                 /* the path it was loaded from */
	struct grace_rtarget_cfg *t;
	size_t nt;
	struct grace_rroute *r;
	size_t nr;
	size_t dflt;                /* the default target's index */
	long quarantine;            /* the quarantine target, -1: none */
	char *trust_file;           /* the trust file, NULL: none */
	struct grace_trust *trust;  /* loaded from it (gate/gate.h) */
	char *dead_letter;          /* the dead-letter file */
	int64_t drain_ms;           /* the drain deadline at the end */
	struct grace_rinhibit *inh;
	size_t ninh;
	char *silences_file;        /* NULL: none */
	struct grace_rsilence *sil; /* those not expired at load */
	size_t nsil;
	void *sroot_;               /* private: the silences tree */
	int storm;                  /* some route has dedupe or throttle, or
	                               there is an inhibit rule */
	struct grace_err *warn;     /* what --check warns about */
	size_t nwarn;
	void *root_;                /* private: the YAML tree */
};

/* Load and validate the routes file at path. Everything wrong is an error
 * at file:line:col with GRACE_EXIT_USAGE: unknown keys, a target that is
 * not defined, a bad glob, a regex or jq condition that does not compile,
 * a route that can never match because a catch-all comes before it.
 * What is suspicious but valid (a target no route uses) is kept in
 * rs->warn. Returns the routes, or NULL with e filled (GRACE_EXIT_SYSTEM
 * for a file that cannot be read or memory). */
struct grace_routes *grace_routes_load(const char *path, struct grace_err *e);
void grace_routes_free(struct grace_routes *rs);

/* --check: add to r (ready.h) what delivering needs: every file, log
 * and spill file and the dead-letter file writable with room, a log
 * target's chain intact at its head, a fifo target's fifo there, every
 * subscriber's command found, the trust file readable. Nothing is
 * created or opened for writing. */
struct grace_ready;
void grace_routes_ready(const struct grace_routes *rs,
    struct grace_ready *r);

/* 1 if route r validates events before dispatch (require or validate):
 * those that fail go to the quarantine target. */
int grace_route_validates(const struct grace_rroute *r);


/* ===================================================================== */
/* match.c - where an event goes. */

struct grace_rmatch {
	size_t *routes;             /* the routes that matched, in order */
	size_t nroutes;
	size_t *targets;            /* the targets to queue for, in order */
	size_t ntargets;
	unsigned char *seen;        /* private: per target */
	enum grace_rprio prio;      /* the highest of the matched routes */
	int unmatched;              /* no route: the default target */
	unsigned char *supp;        /* per matched route: 0, or the
	                               GRACE_RSUP_* that held it back */
	long suppressed;            /* every matched route held it back:
	                               the first of them, or -1 */
	long inhibited;             /* the inhibit rule that held it back,
	                               or -1 */
	long silenced;              /* the silence that held it back, or -1 */
	long quarantined;           /* the route whose validation failed
	                               (the event goes to quarantine), or -1 */
	struct grace_buf why;       /* why it was quarantined */
	struct grace_buf tmp, sv, tv, mv; /* private */
	size_t cap_;
	/* private: the route and target names as JSON strings, made once:
	 * route i is jn_.p[jo_[i] .. jo_[i + 1]), target t follows at
	 * jo_[nr + t] */
	struct grace_buf jn_;
	size_t *jo_;
	size_t nr_;
};

enum { GRACE_RSUP_NONE, GRACE_RSUP_DEDUPED, GRACE_RSUP_THROTTLED };

/* Prepare m for rs (m->... sized for rs's routes and targets). Returns 0,
 * or -1 when out of memory. */
int grace_rmatch_init(struct grace_rmatch *m, const struct grace_routes *rs);
void grace_rmatch_free(struct grace_rmatch *m);

/* Route the validated event p[0..n), whose top-level `source` and `type`
 * are at src and type (kind GRACE_J_NONE when absent): try the routes in
 * order, the first match wins unless it says continue. A matched route
 * whose validation (require, validate) fails sends the event to the
 * quarantine target instead, and no route after it is tried. When explain is
 * not NULL, one line per route consulted ("  route NAME: matched",
 * "  route NAME: no: type 'x' does not match 'gate.*'") is appended.
 * Returns 0, or -1 with e filled when a jq condition failed at run time
 * (e->code GRACE_EXIT_INPUT; m then routes the event to the default
 * target) or memory ran out (GRACE_EXIT_SYSTEM). */
int grace_routes_match(const struct grace_routes *rs, const char *p,
    size_t n, const struct grace_jspan *src, const struct grace_jspan *type,
    struct grace_rmatch *m, struct grace_buf *explain, struct grace_err *e);

/* Target t's name as a JSON string (quoted, escaped), *n bytes, made
 * once with the match state (not NUL-terminated). */
const char *grace_rmatch_target_json(const struct grace_rmatch *m, size_t t,
    size_t *n);

/* Append the JSON of grace.route for m to out:
 *   {"matched":["a","b"],"targets":["x"],"priority":"high"}
 *   {"matched":[],"targets":["dead"],"reason":"unmatched","rule":"default"}
 *   {"matched":[],"targets":[],"reason":"inhibited","rule":"node-down"}
 *   {"matched":["r"],"targets":["q"],"reason":"quarantined","rule":"r",
 *    "why":"grace.gate.decision is 'deny', not allow"}
 * extra, when not NULL, is appended inside the object as is (it starts
 * with ','), just before the closing brace: the object without it is
 * the same bytes but for the last strlen(extra). Returns 0 or -1
 * (ENOMEM). */
int grace_rmatch_json(const struct grace_routes *rs,
    const struct grace_rmatch *m, const char *extra, struct grace_buf *out);

/* ===================================================================== */
/* storm.c - inhibit rules, and dedupe and throttle per route, keyed by
 * members of the event, in event time (the caller passes the event's time, or the
 * clock's when it has none), so a replayed stream gives the answers the
 * live one did. */

struct grace_rstorm;

/* Called with each route.throttled summary event that falls due: ev[0..n)
 * is a whole JSON object (no '\n') for route. Returns 0, or -1 with e
 * filled to stop. */
typedef int grace_rstorm_emit_fn(void *arg, size_t route, const char *ev,
    size_t n, struct grace_err *e);

/* State for rs (borrowed). NULL when out of memory. */
struct grace_rstorm *grace_rstorm_new(const struct grace_routes *rs);
void grace_rstorm_free(struct grace_rstorm *s);

/* Apply the storm control of m's routes to the event p[0..n) at time
 * now_ms (Unix ms): a route that holds the event back is marked in
 * m->supp, and m->targets keeps only the targets of the routes that did
 * not; when none is left m->suppressed names the first. An event an
 * inhibit rule holds back goes nowhere (m->inhibited). Summaries that
 * fell due by now_ms are emitted first. explain, when not NULL, gets a
 * line per decision. Returns 0 or -1 (e filled). */
int grace_rstorm_apply(struct grace_rstorm *s, struct grace_rmatch *m,
    const char *p, size_t n, int64_t now_ms, grace_rstorm_emit_fn *emit,
    void *arg, struct grace_buf *explain, struct grace_err *e);

/* At the end of input: emit the summaries of every interval that held
 * events back. Returns 0 or -1. */
int grace_rstorm_flush(struct grace_rstorm *s, grace_rstorm_emit_fn *emit,
    void *arg, struct grace_err *e);

/* Events held back so far: deduped, throttled, inhibited, silenced. */
void grace_rstorm_counts(const struct grace_rstorm *s, uint64_t *deduped,
    uint64_t *throttled, uint64_t *inhibited, uint64_t *silenced);

/* ===================================================================== */
/* cases.c - routes test files (--test, man/grace-routes.5): cases of
 * events, in virtual time, and where each must go. Run offline: nothing
 * is delivered. */

struct grace_rexpect {
	size_t *targets;            /* the targets, in any order */
	size_t ntargets;
	int has_targets;
	const char *reason;         /* "routed", "unmatched", "quarantined",
	                               "deduped", "throttled"; NULL: any */
	const char *rule;           /* the route that decided; NULL: any */
	unsigned long line;
};

struct grace_rcase {
	const char *name;
	char **events;              /* each event's JSON text */
	size_t nevents;
	struct grace_rexpect *expect;   /* one per event */
	long summaries;             /* route.throttled summaries; -1: any */
	unsigned long line;
};

struct grace_rcases {
	struct grace_rcase *v;
	size_t n;
	void *root_;                /* private */
};

/* Load the test file at path against rs (target and route names are
 * checked). Returns 0, or -1 with e filled (file:line:col,
 * GRACE_EXIT_USAGE; GRACE_EXIT_SYSTEM when it cannot be read). */
int grace_rcases_load(const char *path, const struct grace_routes *rs,
    struct grace_rcases *cs, struct grace_err *e);
void grace_rcases_free(struct grace_rcases *cs);

/* Run case c: its events through the routes with fresh storm state.
 * Returns 1 if every expectation held, 0 if not (why says the first that
 * did not), -1 with e filled (memory). */
int grace_rcase_run(const struct grace_routes *rs,
    const struct grace_rcase *c, struct grace_buf *why, struct grace_err *e);

/* ===================================================================== */
/* router.c - queues, writers, dead letters. */

/* Called from any thread with something the user should hear (e->msg);
 * e->code says how bad: GRACE_EXIT_OK for news (a subscriber restarted),
 * GRACE_EXIT_SYSTEM for a failure. */
typedef void grace_router_notice_fn(void *arg, const struct grace_err *e);

/* Called from a writer thread with an event the router made (a
 * route.breaker.opened, .half_open or .closed): ev[0..n), a JSON object
 * without '\n', for the output stream. */
typedef void grace_router_event_fn(void *arg, const char *ev, size_t n);

struct grace_router;

struct grace_rtstats {
	uint64_t queued;            /* events accepted for the target */
	uint64_t delivered;         /* written (exec: read by the subscriber) */
	uint64_t dropped;           /* overflow drops (dead-lettered) */
	uint64_t spilled;           /* events that went through the spill file */
	uint64_t failed;            /* retries exhausted (dead-lettered) */
	uint64_t abandoned;         /* left at the drain deadline (dead-lettered) */
	uint64_t restarts;          /* exec: subscriber restarts */
	uint64_t exits;             /* exec: subscriber exits seen */
	uint64_t breaker_opened;    /* times the circuit breaker opened */
	uint64_t depth;             /* events in the queue now */
	int breaker;                /* the breaker now: 0 closed, 1 open,
	                               2 half open */
};

/* A router for rs (borrowed: it must outlive the router). out_mu guards
 * standard output: the stdout target writes under it, and so must the
 * program. Opens the dead-letter file (created, appended to) and starts
 * one writer thread per target; each opens its own target. Returns the
 * router, or NULL with e filled. */
struct grace_router *grace_router_new(const struct grace_routes *rs,
    pthread_mutex_t *out_mu, grace_router_notice_fn *notice,
    grace_router_event_fn *event, void *arg, struct grace_err *e);

enum {
	GRACE_RPUSH_QUEUED = 0,     /* in the target's queue */
	GRACE_RPUSH_SPILLED,        /* in the target's spill file */
	GRACE_RPUSH_DROPPED,        /* the queue was full (drop_newest):
	                               the event was dead-lettered */
	GRACE_RPUSH_CLOSED,         /* the router is shutting down: the event
	                               was dead-lettered */
};

/* Let pushes hold up to n events per target back (n < 2: none, the
 * default), putting them into the target's queue n at a time, under one
 * lock: for input that never leaves the pusher waiting (a regular file),
 * where a few hundred events of delay cost nothing, or whose pusher calls
 * grace_router_flush() before it may wait. An event is held
 * back only when the target would have queued it at once (not closing,
 * not spilling, no open breaker under a drop policy, room in the queue
 * counting what is held back), so the verdicts and counts stay those of
 * queueing each event; the held events go in before the next push that
 * is not held back, every 4n pushes, and at the drain. */
void grace_router_set_batch(struct grace_router *r, size_t n);

/* Queue what pushes hold back now (when the input has nothing more
 * waiting, say). */
void grace_router_flush(struct grace_router *r);

/* Queue line[0..n) (a validated event, no '\n') for target t at priority
 * p. Under the block policy this waits for room. Returns one of
 * GRACE_RPUSH_*, or -1 with e filled (the dead-letter file or the spill
 * file could not be written, memory). Thread-safe. */
int grace_router_push(struct grace_router *r, size_t t, enum grace_rprio p,
    const char *line, size_t n, struct grace_err *e);

/* grace_router_push() of line, which is the event ev[0..evn) (its
 * top-level grace member at g, kind GRACE_J_NONE when absent) with
 * grace.route spliced in by grace_json_splice_grace(): an event
 * dead-lettered at once is then spliced from ev, without scanning line. */
int grace_router_push_ev(struct grace_router *r, size_t t,
    enum grace_rprio p, const char *line, size_t n, const char *ev,
    size_t evn, const struct grace_jspan *g, struct grace_err *e);

/* Stop accepting events and let the queues drain for at most deadline_ms;
 * then whatever is left is dead-lettered (reason "drain deadline") and the
 * writers are stopped and joined. Safe to call once, from one thread.
 * Returns 0, or -1 with e filled when a dead letter could not be written. */
int grace_router_drain(struct grace_router *r, int64_t deadline_ms,
    struct grace_err *e);

/* The counters of target t (consistent after grace_router_drain()),
 * read under its lock: any thread may ask while the writers run. */
void grace_router_stats(struct grace_router *r, size_t t,
    struct grace_rtstats *st);

/* Dead letters written, and dead letters that could not be written. */
uint64_t grace_router_dead(struct grace_router *r, uint64_t *lost);

/* Free r (after grace_router_drain()). NULL is a no-op. */
void grace_router_free(struct grace_router *r);

/* ===================================================================== */
/* nats.c - the source: events from a durable JetStream pull consumer
 * (grace-route --source). A message is acknowledged only when the
 * program says it is safe (grace_rnats_src_ack()), so that a crash before
 * redelivers it. */

struct grace_rnats_src;

/* 1 if s[0..n) is nats://HOST:PORT, or a list of them separated by
 * commas (the servers of a cluster, tried in turn); 0 if not. */
int grace_rnats_servers_ok(const char *s, size_t n);

/* 1 if url is SERVERS/STREAM (servers as above, a stream name); 0 if not. */
int grace_rnats_source_ok(const char *url);

/* Connect to url, nats://HOST:PORT/STREAM or a list of servers then
 * /STREAM (timeout_ms to connect; the
 * connection reconnects by itself afterwards), and bind to the durable
 * pull consumer durable of STREAM, made (explicit acks, from the start
 * of the stream, filter subject filter when not NULL, ack_wait_ms for
 * redelivery) if it does not exist, asking again for up to 30 s while a
 * cluster does not answer. A durable that exists with another filter is
 * an error. Returns the source, or NULL with e filled
 * (GRACE_EXIT_USAGE for a url of another shape). */
struct grace_rnats_src *grace_rnats_src_open(const char *url,
    const char *durable, const char *filter, int64_t ack_wait_ms,
    int64_t timeout_ms, struct grace_err *e);

/* "nats://HOST:PORT/STREAM", for messages and rejection records. */
const char *grace_rnats_src_name(const struct grace_rnats_src *s);

/* Fetch the next messages, waiting at most wait_ms (200 ms at most
 * while messages are held back). Messages come out in the stream's
 * order: while a message delivered before and not acknowledged (left by
 * a reader before us, or lost on the way) has not come again, newer
 * ones are held back, unacknowledged, and come out after it. The
 * messages of the previous fetch that were not acknowledged are let go
 * (the server redelivers them). Returns how many came out (0: none, the
 * connection is down and reconnecting, or they are held back), or -1
 * with e filled. */
int grace_rnats_src_fetch(struct grace_rnats_src *s, int64_t wait_ms,
    struct grace_err *e);

/* 1 while messages are held back waiting for older ones that are to
 * come again (and have not been given up on: three ack waits and five
 * seconds, when it says so on stderr). */
int grace_rnats_src_waiting(const struct grace_rnats_src *s);

/* Message i of the last fetch: its data (*n bytes, not NUL-terminated)
 * and stream sequence. */
const char *grace_rnats_src_msg(const struct grace_rnats_src *s, size_t i,
    size_t *n, uint64_t *seq);

/* Acknowledge every message of the last fetch, and wait until the
 * server has the acknowledgments. Returns 0, or -1 with e filled (they
 * will be redelivered). */
int grace_rnats_src_ack(struct grace_rnats_src *s, struct grace_err *e);

void grace_rnats_src_close(struct grace_rnats_src *s);

/* grace-route --create-streams: for each stream the nats targets of rs
 * publish to (per server list), look it up and make it when it is
 * missing: file storage, the subjects the targets' templates publish to
 * (the literal tokens before the first variable, then '>'), the most
 * replicas and the least max_per_subject its targets ask for. A stream
 * that exists is left as it is. say(arg, line) tells what was found and
 * done, one line each. Returns 0, or -1 with e filled (the first server
 * that could not be reached, or a stream that could not be made; those
 * before it were done). */
int grace_rnats_create_streams(const struct grace_routes *rs,
    void (*say)(void *arg, const char *line), void *arg,
    struct grace_err *e);

/* --check, for each stream the nats targets publish to: reachable, there,
 * and taking every subject its targets publish to (each template tried
 * with a member's value of one token and of two, and the first and last
 * partition), each a "stream" check in r. It connects: grace-route
 * --check calls it, grace_routes_ready() does not. */
void grace_rnats_ready(const struct grace_routes *rs, struct grace_ready *r);

/* At the program's end: let the NATS library's threads and memory go
 * (nats_CloseAndWait), if it was used. */
void grace_rnats_shutdown(void);

#endif
