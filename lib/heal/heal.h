/* heal.h - the immune system: the one public header of lib/heal/.
 *
 * grace-heal(1) watches events for anomalies (detectors, config/
 * detectors.yaml, grace-detectors(5)), picks healing playbooks for them
 * (the playbooks/ files, grace-playbook(5)), proposes or runs the healing
 * under governance, verifies it, rolls back when it fails, and adjusts
 * trust in the components involved. Uses the core (lib/), gate/gate.h to
 * judge proposals itself (--governance) and verify/verify.h for a
 * playbook's verify contract.
 *
 * Files of the folder, one topic each:
 *   detectors.c   loading and validating the detectors file
 *   detect.c      the detectors at run time: state per (detector,
 *                 component), firing, resolving, the grace.heal annotation
 *   dstate.c      detector state saved to and loaded from --state DIR
 *   playbooks.c   loading and validating playbook files, matching them
 *   run.c         running one playbook: steps, retries, timeouts, verify,
 *                 rollback, snapshots (safe-hold)
 *   govern.c      proposals, approvals and their expiry, the remediation
 *                 budget, cool-downs, breakers per playbook, the loop guard
 *   trust.c       trust adjustments and the trust overlay file
 *   learn.c       failure signatures and the knowledge file
 *
 * Every event this folder makes is one JSON object without '\n', handed
 * to a grace_heal_emit_fn; the caller writes it to the output stream.
 * Times are Unix milliseconds: the event's `time` when it has one, the
 * clock's otherwise (the caller decides, and passes now_ms), so that a
 * replayed stream gives the anomalies the live one gave.
 */
#ifndef GRACE_HEAL_H
#define GRACE_HEAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

/* Severities, in increasing order; the names grace-decide reads in
 * grace.heal.severity. */
enum grace_hsev {
	GRACE_HSEV_NONE = 0,
	GRACE_HSEV_LOW,
	GRACE_HSEV_MEDIUM,
	GRACE_HSEV_HIGH,
	GRACE_HSEV_CRITICAL,
	GRACE_HSEV_N
};
/* "none", "low", "medium", "high", "critical". */
const char *grace_hsev_name(int s);
/* The severity named s[0..n), or -1. */
int grace_hsev_parse(const char *s, size_t n);

/* Called with each event made: ev[0..n), one JSON object, no '\n'.
 * Returns 0, or -1 with e filled to stop the caller. */
typedef int grace_heal_emit_fn(void *arg, const char *ev, size_t n,
    struct grace_err *e);

/* ================================================================== */
/* detectors.c, detect.c, dstate.c - detection.
 *
 * A detector selects events (type globs, matchers, jq `when`), reads a
 * component key (the first of its component paths present, e.g.
 * data.service, then source) and a value (a member path), and keeps state
 * per component. Kinds: threshold, flapping, spike (ewma or mad), rate,
 * absence, drift, integrity (grace-detectors(5)).
 *
 * The events detection makes:
 *
 * {"specversion":"1.0","id":"an-<16 hex>","type":"anomaly.detected",
 *  "source":"grace-heal","time":"<time of the event that fired it>",
 *  "subject":"<component>",
 *  "data":{"anomaly":"<anomaly type, e.g. latency_spike>",
 *          "severity":"high","component":"web","detector":"<id>",
 *          "kind":"spike","evidence":{...kind-specific...},
 *          "since":"<time it started>"}}
 *
 * A flapping detector's firing is of type "anomaly.flapping" (data as
 * above, anomaly "flapping" unless configured). Recovery is
 * "anomaly.resolved", with the same data plus "resolved":"<time>" and
 * "anomaly_id":"an-...", id "an-<16 hex>-r". The id is the first 16 hex
 * digits of SHA-256 over detector id, NUL, component, NUL, the decimal
 * firing time in ms: the same stream gives the same ids. Repeats while an
 * anomaly is open make no new event.
 *
 * The grace.heal annotation of an event that a detector selected (only
 * those: other events pass through without one):
 *   {"anomaly":true,"severity":"high","score":0.75,
 *    "open":[{"id":"an-...","anomaly":"latency_spike","severity":"high",
 *             "detector":"latency-spike"}],
 *    "component":"web",
 *    "detectors":{"latency-spike":"armed","error-rate":"12/30 samples"}}
 * "anomaly" false and severity "none" when the component has no open
 * anomaly; "severity" is the highest open one; "score" is in 0..1 (the
 * severity's: none 0, low 0.25, medium 0.5, high 0.75, critical 1).
 */

struct grace_detectors;

/* Load and validate the detectors file. NULL with e filled at
 * file:line:col (GRACE_EXIT_USAGE; GRACE_EXIT_SYSTEM when it cannot be
 * read or memory runs out). */
struct grace_detectors *grace_detectors_load(const char *path,
    struct grace_err *e);
void grace_detectors_free(struct grace_detectors *d);

/* For --check: how many detectors, and of each kind. */
struct grace_detectors_summary {
	size_t detectors, jq_conditions;
	size_t threshold, flapping, spike, rate, absence, drift, integrity;
};
void grace_detectors_summary(const struct grace_detectors *d,
    struct grace_detectors_summary *s);

struct grace_detect;

/* Run-time state for d (borrowed: it must outlive the state). NULL when
 * out of memory. */
struct grace_detect *grace_detect_new(const struct grace_detectors *d);
void grace_detect_free(struct grace_detect *s);

/* Run the detectors over the event p[0..n) (one JSON object validated by
 * grace_json_scan) at time now_ms. Each anomaly that fires or resolves is
 * emitted through emit. When some detector selected the event, the value
 * of its grace.heal annotation (a JSON object, above) is appended to ann
 * and 1 is returned; 0 when none selected it, or when it carries a
 * grace.heal member already (a grace-heal upstream saw it: it is neither
 * detected on nor annotated again; ann untouched); -1 with e
 * filled when a jq condition failed at run time (GRACE_EXIT_INPUT) or on
 * a system error. explain, when not NULL, gets one line per detector
 * consulted ("  detector latency-spike: web: z 5.2 over 4: fired"). */
int grace_detect_event(struct grace_detect *s, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *ann, struct grace_buf *explain,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e);

/* The member paths the detectors read, as a tree for
 * grace_json_scan_deep() (its node ids below *nnodes); and
 * grace_detect_scanned(), grace_detect_event() for an event whose
 * validating scan already located them: sc is that scan's grace_jdeep
 * over this tree, for p. The same answers as grace_detect_event()
 * (tests/unit/test_jdeep.c, fuzz_detectors), without walking the event
 * again. */
const struct grace_jtrie *grace_detectors_trie(const struct grace_detectors *d,
    size_t *nnodes);
int grace_detect_scanned(struct grace_detect *s, const char *p, size_t n,
    const struct grace_jdeep *sc, int64_t now_ms, struct grace_buf *ann,
    struct grace_buf *explain, grace_heal_emit_fn *emit, void *arg,
    struct grace_err *e);
/* Point deep at s's own spans over the tree, so that a scan with it
 * records them where grace_detect_scanned() reads them (a path's node
 * has the path's id): the same answers, nothing copied per event. deep
 * then lives as long as s. */
void grace_detect_bind(struct grace_detect *s, struct grace_jdeep *deep);

/* Timers: fire every absence detector whose ttl ran out by now_ms for
 * some component (anomaly.detected, kind absence, at the time it fell
 * due), and resolve the rate anomalies whose window passed and the
 * flapping ones that stayed stable long enough (anomaly.resolved), in
 * time order. Returns 0 or -1. */
int grace_detect_tick(struct grace_detect *s, int64_t now_ms,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e);

/* When the next absence timer falls due (Unix ms), or INT64_MAX. */
int64_t grace_detect_next_timer(const struct grace_detect *s);

/* The open anomalies of component c[0..n) (for the executor, which must
 * know whether a component is healthy), as a count and the highest
 * severity. */
size_t grace_detect_open(const struct grace_detect *s, const char *c,
    size_t n, int *max_severity);

/* For --metrics: the number of detectors, detector i's id, and the
 * anomalies open now per detector (counts[i] for detector i; counts has
 * grace_detectors_count() elements). */
size_t grace_detectors_count(const struct grace_detectors *d);
const char *grace_detectors_id(const struct grace_detectors *d, size_t i);
void grace_detect_open_counts(const struct grace_detect *s, size_t *counts);

/* State across runs: the whole detection state as one JSON document
 * appended to out; loading it back into a fresh grace_detect for the same
 * detectors file. A document for detectors that changed keeps what still
 * applies (by detector id and kind) and drops the rest. Returns 0 or -1
 * (e filled; a malformed document is GRACE_EXIT_USAGE naming file). */
int grace_detect_save(const struct grace_detect *s, struct grace_buf *out,
    struct grace_err *e);
int grace_detect_restore(struct grace_detect *s, const char *p, size_t n,
    const char *file, struct grace_err *e);

/* ================================================================== */
/* playbooks.c, run.c - playbooks.
 *
 * A playbook matches anomalies (anomaly type globs, minimum severity,
 * component globs, jq `when` over the anomaly event) and lists steps; each
 * step is an argv vector (no shell) with a timeout, retries, a delay and
 * backoff, and on_failure (continue, rollback, escalate). An argv element
 * or env value that is exactly "{path}" is replaced, whole, by the text at
 * that member path of the anomaly event ("{data.component}"); nothing is
 * ever spliced into a longer string. Every step also gets the environment
 * GRACE_HEALING_ID, GRACE_ANOMALY_ID, GRACE_ANOMALY, GRACE_COMPONENT,
 * GRACE_SEVERITY, GRACE_HOP, GRACE_EVENT (the anomaly event's JSON),
 * GRACE_PLAYBOOK, GRACE_STEP, GRACE_PHASE and GRACE_ATTEMPT.
 * verify steps (or a grace-verify contract) say whether it worked;
 * rollback steps and snapshot files undo it when it did not.
 */

/* What governs a playbook's runs (grace-playbook(5), with the file's
 * defaults: filled by the loader, read by govern.c). */
struct grace_hpolicy {
	int risk;                   /* enum grace_gov_risk (gate/gate.h):
	                               0 low .. 3 critical */
	uint64_t budget_max;        /* runs per component per window; 0: none */
	int64_t budget_window_ms;
	int64_t budget_reset_ms;    /* healthy this long: the count resets */
	int64_t cooldown_ms;        /* after each run, per component */
	uint64_t breaker_min_runs;  /* breaker: failure rate over at least */
	double breaker_rate;        /* this many runs opens it; 0: none */
	int64_t breaker_delay_ms;   /* open this long, then one probe */
	int64_t approval_ttl_ms;    /* a proposal expires after this */
	unsigned max_hops;          /* loop guard */
};

/* Trust arithmetic (the `trust` section of a playbook file; at most one
 * file has it): added to the component's score per outcome, clamped to
 * [floor, ceiling]; a lowered score recovers toward its base by
 * recover_per_hour, linearly. */
struct grace_htrust_cfg {
	double verified, failed, rolled_back, escalated;
	double recover_per_hour;
	double floor, ceiling;
	int set;                    /* some file had a trust section */
};

struct grace_playbook {
	char *name;
	char *file;                 /* where it was defined */
	unsigned long line;
	struct grace_hpolicy policy;
	void *priv;                 /* the loader's: steps, matchers, ... */
};

struct grace_playbooks {
	struct grace_playbook *v;
	size_t n;
	struct grace_htrust_cfg trust;
	void *priv;
};

/* Load every playbook file: each path a file, or a directory whose .yaml
 * files are read in name order. Names are unique across files. NULL with
 * e filled (file:line:col, GRACE_EXIT_USAGE; GRACE_EXIT_SYSTEM for a file
 * that cannot be read). */
struct grace_playbooks *grace_playbooks_load(const char *const *paths,
    size_t npaths, struct grace_err *e);
void grace_playbooks_free(struct grace_playbooks *pbs);

/* --check: add to r (ready.h) that every command a step, verify or
 * rollback step runs exists (each once: a relative path is the playbook
 * file's directory's, as when it runs; a name is looked for on PATH), and
 * the commands of the exec checks of the verify contracts. */
struct grace_ready;
void grace_playbooks_ready(const struct grace_playbooks *pbs,
    struct grace_ready *r);

/* The playbook named name, or NULL. */
const struct grace_playbook *grace_playbook_find(
    const struct grace_playbooks *pbs, const char *name);

/* The indices of the playbooks matching the anomaly event p[0..n) (an
 * anomaly.detected or anomaly.flapping event as above, validated), in
 * file order, into idx (room for pbs->n). Returns the count, or -1 with e
 * filled (a jq `when` that failed: GRACE_EXIT_INPUT). Not thread-safe:
 * each `when` is one compiled jq state. */
long grace_playbooks_match(const struct grace_playbooks *pbs,
    const char *p, size_t n, size_t *idx, struct grace_err *e);

/* Append the JSON array of the steps pb would run for the anomaly event
 * p[0..n), placeholders replaced, every phase in order, for a
 * healing.proposed event:
 *   [{"phase":"step","name":"restart","argv":[...],"env":{...}},...,
 *    {"phase":"verify","contract":"<id>"},
 *    {"phase":"rollback","name":...,"argv":[...]}]
 * ("env" only for steps that set some). Returns 0 or -1 (memory). */
int grace_playbook_steps_json(const struct grace_playbook *pb,
    const char *p, size_t n, struct grace_buf *out);

/* The outcome of one run. */
enum grace_hout {
	GRACE_HOUT_VERIFIED = 0,    /* steps ran and verify passed */
	GRACE_HOUT_FAILED,          /* it failed; nothing was rolled back */
	GRACE_HOUT_ROLLED_BACK,     /* it failed and was rolled back */
	GRACE_HOUT_ESCALATED,       /* a step said escalate, it could not
	                               be rolled back, or a program it needs
	                               could not start (after rollback) */
};
const char *grace_hout_name(enum grace_hout o);

struct grace_hrun_opts {
	const char *healing_id;     /* "h-<16 hex>" (letters, digits, '_',
	                               '-': it names the snapshot directory) */
	unsigned hop;               /* the loop guard's hop of this healing */
	const char *snapshot_dir;   /* where snapshots are kept (in --state) */
	size_t output_cap;          /* bytes of a step's output kept */
	int64_t now_ms;             /* the start (for the events' times the
	                               clock is read as they happen) */
	grace_heal_emit_fn *emit;   /* healing.started, healing.step, ... */
	void *arg;
};

/* Run playbook pb for the anomaly event p[0..n): snapshot, steps, verify,
 * and on failure rollback and restore, emitting, in order:
 *   healing.started     {"healing":id,"playbook":..,"anomaly":{id,type,
 *                        component,severity},"hop":N}
 *   healing.step        one per attempt of each step (also verify and
 *                       rollback steps): {"healing":id,"phase":"step"|
 *                        "verify"|"rollback","step":name,"argv":[..],
 *                        "exit":N (or "signal":N, with "timed_out":true
 *                        at the timeout, or "error":"kubectl: not found"
 *                        when it could not start),"attempt":N,
 *                        "duration_ms":N,"output":"...","truncated":bool};
 *                       a verify contract: {"healing","phase":"verify",
 *                        "step":"contract","contract":id,"status":..,
 *                        "confidence":N,"attempt":1,"duration_ms":N,
 *                        "output":"<checks that failed>","truncated"}
 *   healing.verified | healing.failed {"healing":id,"playbook":..,
 *                        "reason":"..."}
 *   healing.rolled_back {"healing":id,"restored":[files],"reason":".."}
 *   healing.escalated   {"healing":id,"reason":"..."} (on_failure:
 *                        escalate, a rollback that failed, or a program
 *                        that could not start)
 * Every event has "specversion", "type", "source":"grace-heal", "id"
 * (healing id, '-', the event's number in the run from 1), "time",
 * "subject" (the component) and "causation":
 * {"healing":id,"hop":N}. *out is the outcome. Returns 0, or -1 with e
 * filled when the run could not be carried out at all (memory, the
 * snapshot directory, a snapshot file that cannot be copied: then nothing
 * ran and nothing was emitted; or emit failed); a step that fails is an
 * outcome, not an error. A verify contract is judged on a healing.verify
 * event {"type":"healing.verify","id":"<id>-verify","subject":component,
 * "data":{"healing","playbook","component","anomaly":<the event>}}: the
 * named contract must be the one that applies, and verify it. */
int grace_playbook_run(const struct grace_playbook *pb, const char *p,
    size_t n, const struct grace_hrun_opts *o, enum grace_hout *out,
    struct grace_err *e);

/* ================================================================== */
/* heal.c - ids. out = the first 16 hex digits of SHA-256 over parts
 * joined by NUL bytes, plus a NUL: the same inputs give the same id, so
 * that a replayed stream names its anomalies and healings alike. Returns
 * 0 or -1 (libcrypto). */
int grace_heal_hashid(char out[17], const char *const *parts, size_t n);

/* ================================================================== */
/* govern.c - what may run: the remediation budget, cool-downs, a breaker
 * per playbook, the loop guard (grace-playbook(5), POLICY), and proposals
 * held for approval. Every call passes the time; nothing reads a clock. */

struct grace_hgov;

enum {
	GRACE_HGOV_OK = 0,
	GRACE_HGOV_BUDGET,          /* budget_max runs within budget_window */
	GRACE_HGOV_COOLDOWN,        /* the last run ended < cooldown ago */
	GRACE_HGOV_BREAKER,         /* the playbook's breaker is open */
	GRACE_HGOV_LOOP,            /* the hop is over max_hops */
};
/* "ok", "budget", "cooldown", "breaker", "loop". */
const char *grace_hrefuse_name(int r);

/* State for pbs (borrowed). NULL when out of memory. */
struct grace_hgov *grace_hgov_new(const struct grace_playbooks *pbs);
void grace_hgov_free(struct grace_hgov *g);

/* May playbook pb run for component at now_ms, for a healing at hop?
 * GRACE_HGOV_OK, or the reason it may not with a sentence appended to
 * why ("budget: playbook 'restart' ran 3 times for 'web' within 1h (max
 * 3)"). A breaker whose delay is over lets one run through (the probe);
 * others wait until it ends. */
int grace_hgov_check(struct grace_hgov *g, size_t pb, const char *component,
    unsigned hop, int64_t now_ms, struct grace_buf *why);

/* A run of pb for component starts (counted against the budget; a probe
 * through a breaker whose delay is over), and ends with outcome o: the
 * cool-down starts, the breaker counts it (anything but verified is a
 * failure). Return 0 or -1 (memory). */
int grace_hgov_start(struct grace_hgov *g, size_t pb, const char *component,
    int64_t now_ms);
int grace_hgov_record(struct grace_hgov *g, size_t pb, const char *component,
    enum grace_hout o, int64_t end_ms);

/* 0 closed, 1 open, 2 half open. */
int grace_hgov_breaker_state(const struct grace_hgov *g, size_t pb);

/* What is known of component's health at t: healthy (an annotation
 * without anomaly, an anomaly.resolved) or not (an anomaly). When it
 * turns unhealthy after a healthy spell of at least a playbook's
 * budget.reset_after, the runs of that playbook before it no longer
 * count. Returns 0 or -1 (memory). */
int grace_hgov_health(struct grace_hgov *g, const char *component,
    int healthy, int64_t t);

/* Proposals held for approval: the event ev[0..n) (copied) under id,
 * until expires_ms. Returns 1 when held, 0 when id was held already,
 * -1 (memory). */
int grace_hgov_pend(struct grace_hgov *g, const char *id, int64_t expires_ms,
    const char *ev, size_t n);
/* Take id's event back (the caller frees it; *n its length), or NULL. */
char *grace_hgov_take(struct grace_hgov *g, const char *id, size_t *n);
size_t grace_hgov_npending(const struct grace_hgov *g);
/* The i-th held event (NULL past the end), its id and expiry. */
const char *grace_hgov_pending_at(const struct grace_hgov *g, size_t i,
    size_t *n, const char **id, int64_t *expires_ms);
/* The earliest expiry of a held proposal, or INT64_MAX. */
int64_t grace_hgov_next_expiry(const struct grace_hgov *g);

/* Healings that ran: 1 if id is among the last 4096 (add: remember it,
 * and return 0 or -1), so that a proposal runs once. */
int grace_hgov_done(struct grace_hgov *g, const char *id, int add);

/* The state as one JSON document (appended to out), and back. Playbooks
 * no longer defined are dropped on restore; a malformed document is
 * GRACE_EXIT_USAGE naming file. */
int grace_hgov_save(const struct grace_hgov *g, struct grace_buf *out);
int grace_hgov_restore(struct grace_hgov *g, const char *p, size_t n,
    const char *file, struct grace_err *e);

/* ================================================================== */
/* trust.c - trust adjustments (the trust section of the playbook files,
 * struct grace_htrust_cfg) written to the trust overlay that the trust
 * file names (gate/gate.h, grace-governance(5) TRUST). */

struct grace_htrust;

/* Open the trust file at path for adjusting: it must name an overlay
 * (else NULL, e says so, GRACE_EXIT_USAGE); a missing overlay is created
 * empty. NULL with e filled. */
struct grace_htrust *grace_htrust_open(const char *path,
    const struct grace_htrust_cfg *cfg, struct grace_err *e);
void grace_htrust_free(struct grace_htrust *t);
const char *grace_htrust_overlay(const struct grace_htrust *t);

/* Adjust component's score for outcome o of healing id at now_ms: the
 * score it has now (the overlay's, recovered; else the trust file's) plus
 * the outcome's amount, clamped to [floor, ceiling]; the overlay is
 * re-read and rewritten atomically under a lock (FILE.lock), so several
 * grace-heal processes may share it. The trust.adjusted event is appended
 * to ev (one JSON object, no '\n'):
 *   {"type":"trust.adjusted","source":"grace-heal","id":"<id>-trust",
 *    "time":..,"subject":"web","data":{"component":"web","from":0.5,
 *    "to":0.4,"delta":-0.1,"outcome":"failed","healing":"<id>",
 *    "base":0.5,"recover_per_hour":0.01}}
 * An amount of 0 changes nothing and appends nothing (returns 0). Returns
 * 1 when adjusted, 0, or -1 with e filled. */
int grace_htrust_adjust(struct grace_htrust *t, const char *component,
    enum grace_hout o, const char *healing_id, int64_t now_ms,
    struct grace_buf *ev, struct grace_err *e);

/* ================================================================== */
/* learn.c - failure signatures and what healed them: the knowledge file,
 * plain JSON, inspectable and editable:
 *   {"version":1,"signatures":[{"anomaly":"latency_spike",
 *     "component":"web","fingerprint":"<16 hex>",
 *     "playbooks":{"restart":{"success":3,"failure":1}}}]}
 * The fingerprint is grace_heal_hashid() over the detector, the kind and
 * the names of the evidence's members (not their values). */

struct grace_hlearn;

/* Load path (a missing file is empty knowledge). NULL with e filled
 * (GRACE_EXIT_USAGE for a malformed file). */
struct grace_hlearn *grace_hlearn_load(const char *path, struct grace_err *e);
void grace_hlearn_free(struct grace_hlearn *l);

/* Reorder the candidate playbooks idx[0..n) (indices into pbs) for the
 * anomaly event p[0..n): when its signature is known and a candidate has
 * healed it at least twice with a success rate of at least 0.6, the one
 * with the best rate (then the most successes, then file order) goes
 * first. Returns 1 when the order changed, 0 when not, -1 (memory). */
int grace_hlearn_order(const struct grace_hlearn *l,
    const struct grace_playbooks *pbs, const char *p, size_t n,
    size_t *idx, size_t nidx);

/* Count outcome o of playbook for the anomaly event p[0..n) (verified is
 * a success; anything else a failure). Returns 0 or -1. */
int grace_hlearn_record(struct grace_hlearn *l, const char *p, size_t n,
    const char *playbook, enum grace_hout o);

/* Write the knowledge file atomically. Returns 0 or -1 (e filled). */
int grace_hlearn_save(const struct grace_hlearn *l, const char *path,
    struct grace_err *e);

/* ================================================================== */
/* propose.c - from an anomaly to a proposal (grace-heal(1), PROPOSALS).
 *
 * An event caused by a healing carries "causation":{"healing":ID,
 * "hop":N}, N the hop of that healing; a healing proposed for an anomaly
 * with a causation has hop N + 1, one without has hop 0. */

/* What a proposal or an escalation needs of an anomaly event. */
struct grace_hanomaly {
	struct grace_buf id, time, anomaly, component, severity;
	struct grace_buf cause;     /* causation.healing, "" when none */
	unsigned hop;               /* causation.hop */
};
/* Read them from the validated event p[0..n) (absent members are "").
 * Returns 0 or -1 (memory). Free with grace_hanomaly_free(). */
int grace_hanomaly_read(const char *p, size_t n, struct grace_hanomaly *a);
void grace_hanomaly_free(struct grace_hanomaly *a);

/* A proposal expires this long after it is made when its playbook sets
 * no approval_ttl: never run late. */
#define GRACE_HEAL_DEFAULT_TTL_MS (15 * 60 * 1000)

/* Append to out the event answering the anomaly event p[0..n) at now_ms:
 *   {"specversion":"1.0","id":"h-<16 hex>","type":"healing.proposed",
 *    "source":"grace-heal","actor":"grace-heal","time":..,
 *    "subject":"<component>","data":{"healing":"h-..","playbook":..,
 *    "risk":"medium","component":..,"anomaly":{"id","anomaly",
 *    "component","severity"},"hop":N,"expires":"<time>","steps":[..],
 *    "event":<the anomaly event>}[,"causation":{..}]}
 * the id grace_heal_hashid(anomaly id, playbook); the playbook the first
 * that matches, in the order learn (may be NULL) suggests; or, when none
 * matches, a healing.escalated event (grace_heal_refusal(), refused
 * "no_playbook"). Returns 0, or -1 with e filled (a jq `when` that
 * failed: GRACE_EXIT_INPUT; memory). */
int grace_heal_propose(const struct grace_playbooks *pbs,
    const struct grace_hlearn *learn, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *out, struct grace_err *e);

/* Append a healing.escalated or healing.rejected event (type) for anomaly
 * a: id (plus suffix) as its id, playbook (may be NULL), refused (why in
 * one word: budget, cooldown, breaker, loop, no_playbook, denied,
 * expired, ungoverned, ...) and the sentence reason:
 *   {..,"type":"healing.escalated",..,"data":{"healing":..,"anomaly":{..},
 *    "playbook":..,"refused":"budget","reason":".."}[,"causation":{..}]}
 * Returns 0 or -1 (memory). */
int grace_heal_refusal(const char *type, const char *id, const char *suffix,
    const struct grace_hanomaly *a, const char *playbook, const char *refused,
    const char *reason, int64_t now_ms, struct grace_buf *out);

/* ================================================================== */
/* executor.c - grace-heal --execute (grace-heal(1), EXECUTION). */

struct grace_gov;
struct grace_votes;

struct grace_hexec {
	const struct grace_playbooks *pbs;
	struct grace_hgov *gov;       /* budgets, breakers, held proposals */
	struct grace_htrust *trust;   /* NULL: no trust adjustments */
	struct grace_hlearn *learn;   /* NULL: nothing learnt */
	struct grace_gov *gate;       /* --governance: judged here too (the
	                                 stricter of this and grace.gate);
	                                 NULL: grace.gate alone decides */
	const struct grace_votes *votes;
	const char *snapshot_dir;
	size_t output_cap;
	grace_heal_emit_fn *emit;     /* every event made */
	void *arg;
	int64_t (*clock)(void *arg);  /* now, in ms, after a run */
	uint64_t outcomes[4];         /* runs by enum grace_hout */
	const char *src;              /* private */
};

/* A healing.proposed event p[0..n) (validated) at now_ms. It runs when
 * governance allowed it (grace.gate.decision allow; with x->gate, the
 * stricter of that and x->gate's own verdict), it has not expired
 * (data.expires), it has not run before, and its playbook's policy lets
 * it (grace_hgov_check); review holds it until it expires; anything else
 * is a healing.rejected event (refused: ungoverned, denied, expired,
 * duplicate, malformed, unknown_playbook) and a policy refusal a
 * healing.escalated one. The value of grace.heal for the proposal
 * ({"execution":"ran"|"held"|"rejected"|"escalated","healing":..,...})
 * is appended to ann. Returns 0 (ran and verified, or held), 1 (did not
 * run, or did not heal), -1 with e filled. */
int grace_hexec_proposal(struct grace_hexec *x, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *ann, struct grace_err *e);

/* Held proposals that expired by now_ms are rejected (healing.rejected,
 * refused expired). Returns 0 or -1. */
int grace_hexec_expire(struct grace_hexec *x, int64_t now_ms,
    struct grace_err *e);

/* With x->gate: judge the held proposals again (after a vote). Returns 0
 * or -1. */
int grace_hexec_revisit(struct grace_hexec *x, int64_t now_ms,
    struct grace_err *e);
/* Playbook test files (grace-playbook(5)): cases of anomaly events and
 * the playbook each must select first, or every playbook it must select
 * in order ([] for none). Run offline: nothing is executed. */
struct grace_hcase {
	const char *name;
	char *event;                /* the anomaly event's JSON text */
	const char *first;          /* `playbook:` the first match; or NULL */
	const char **all;           /* `playbooks:` every match, in order */
	size_t nall;
	int has_all;
	unsigned long line;
};

struct grace_hcases {
	struct grace_hcase *v;
	size_t n;
	void *root_;                /* private */
};

/* Load the test file at path against pbs (playbook names are checked).
 * Returns 0, or -1 with e filled (file:line:col, GRACE_EXIT_USAGE;
 * GRACE_EXIT_SYSTEM when it cannot be read). */
int grace_hcases_load(const char *path, const struct grace_playbooks *pbs,
    struct grace_hcases *cs, struct grace_err *e);
void grace_hcases_free(struct grace_hcases *cs);

/* Run case c: match its event. Returns 1 if the expectation held, 0 if
 * not (why says what was expected and what matched), -1 with e filled
 * (memory). */
int grace_hcase_run(const struct grace_playbooks *pbs,
    const struct grace_hcase *c, struct grace_buf *why, struct grace_err *e);

#endif
