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
 *   {"anomaly":true,"severity":"high","score":0.8,
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
 * and 1 is returned; 0 when none selected it (ann untouched); -1 with e
 * filled when a jq condition failed at run time (GRACE_EXIT_INPUT) or on
 * a system error. explain, when not NULL, gets one line per detector
 * consulted ("  detector latency-spike: web: z 5.2 over 4: fired"). */
int grace_detect_event(struct grace_detect *s, const char *p, size_t n,
    int64_t now_ms, struct grace_buf *ann, struct grace_buf *explain,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e);

/* Absence timers: fire every absence detector whose ttl ran out by now_ms
 * for some component (anomaly.detected, kind absence). Returns 0 or -1. */
int grace_detect_tick(struct grace_detect *s, int64_t now_ms,
    grace_heal_emit_fn *emit, void *arg, struct grace_err *e);

/* When the next absence timer falls due (Unix ms), or INT64_MAX. */
int64_t grace_detect_next_timer(const struct grace_detect *s);

/* The open anomalies of component c[0..n) (for the executor, which must
 * know whether a component is healthy), as a count and the highest
 * severity. */
size_t grace_detect_open(const struct grace_detect *s, const char *c,
    size_t n, int *max_severity);

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
	int risk;                   /* enum: 0 low .. 3 critical (as gate) */
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
