/* detect_int.h - private to detectors.c, detect.c and dstate.c: the
 * loaded detectors file and the run-time state of detection.
 *
 * The loaded file (struct grace_detectors) is read-only once built; the
 * state (struct grace_detect) is an array of fixed-size entries, one per
 * (detector, component), the components interned once in a hash table,
 * each with the sorted list of its entries, and an
 * indexed min-heap of the entries that have a timer (absence ttl, the
 * end of a rate window, the stable time of a flapping signal). */
#ifndef GRACE_HEAL_DETECT_INT_H
#define GRACE_HEAL_DETECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "heal.h"
#include "json.h"
#include "jqx.h"

#define HD_MAX_PATH 16          /* segments of a member path */
#define HD_MAX_COMP 8           /* component paths of a detector */
#define HD_MAX_MAD 256          /* samples a mad window keeps */
#define HD_MAX_RING 10000       /* rate count, flapping transitions */
#define HD_MAX_N (1ull << 53)    /* samples counted (what a double holds) */
#define HD_MAX_DURATION (3650LL * 86400000) /* ms: any window, ttl, for */

enum hd_kind {
	HD_THRESHOLD, HD_FLAPPING, HD_SPIKE, HD_RATE, HD_ABSENCE, HD_DRIFT,
	HD_INTEGRITY, HD_NKINDS
};
extern const char *const hd_kind_names[HD_NKINDS];

/* A member path, "data.service"; id indexes the per-event memo. */
struct hd_path {
	char *text;
	char *segs[HD_MAX_PATH];
	size_t nsegs;
	size_t id;
};

/* "path = value" or "path != value": the text at path compared whole. */
struct hd_match {
	char *text;                 /* as written, for --explain */
	struct hd_path *path;       /* borrowed from the path table */
	int neg;
	char *value;
	size_t vlen;
};

enum hd_cmp { HD_ABOVE, HD_BELOW, HD_EQUALS };
enum hd_method { HD_EWMA, HD_MAD };
enum hd_dir { HD_UP, HD_DOWN, HD_BOTH };

struct hd_det {
	char *id, *anomaly, *description;
	char *id_json, *anomaly_json;   /* as JSON strings */
	size_t id_json_len, anomaly_json_len;
	enum hd_kind kind;
	int severity;
	char **types;               /* globs; exact ones are indexed */
	size_t ntypes;
	struct hd_match *m;
	size_t nm;
	struct grace_jq *when;      /* NULL: none */
	struct hd_path *comp[HD_MAX_COMP];
	size_t ncomp;
	struct hd_path *value;      /* NULL for rate and absence */
	/* threshold, flapping: the condition */
	enum hd_cmp cmp;
	double limit;
	char *equals;
	size_t equals_len;
	/* threshold, spike, drift, integrity */
	int64_t for_ms, keep_ms;
	/* flapping */
	unsigned transitions;
	int64_t window_ms, stable_ms; /* window also for rate */
	/* spike */
	enum hd_method method;
	double alpha, z, ratio;
	int has_z, has_ratio;
	enum hd_dir dir;
	unsigned min_samples, samples;
	/* rate */
	unsigned count;
	/* absence */
	int64_t ttl_ms;
	/* drift */
	int golden_num;             /* the configured golden is a number */
	double golden_d;
	char *golden;               /* the golden text (NULL: golden_path) */
	size_t golden_len;
	struct hd_path *golden_path;
	double tolerance;
	/* ring slots per entry: flapping transitions, rate count, mad
	 * samples; 0 for the other kinds */
	size_t ring;
	unsigned long line, col;
};

/* The member paths as a trie (lib/json.h's grace_jtrie), so that one
 * walk of each object level finds every member the detectors read: the
 * validating scan of the filter fills it (grace_json_scan_deep), or
 * walk() in detect.c does. npath[id]: the path ending at node id, or -1. */
#define hd_tnode grace_jtrie

/* A type slot's detectors split by the value of one matcher path
 * (key): those whose first matcher is "key = value" are found by value,
 * the rest are always candidates. */
struct hd_vslot {
	char *value;
	size_t len;
	uint64_t hash;
	size_t *dets, ndets;
};

struct grace_detectors {
	char *file;
	struct hd_det *v;
	size_t n;
	struct hd_path **paths;     /* every distinct path, id = index */
	size_t npaths;
	/* exact type -> the detectors that name it (ascending), open
	 * addressing; detectors with a glob type are in globs[] */
	struct hd_tslot {
		char *type;
		size_t len;
		uint64_t hash;
		size_t *dets, ndets;    /* every detector of the type */
		struct hd_path *key;    /* NULL: no value index */
		struct hd_vslot *vt;
		size_t vcap;
		size_t *rest, nrest;    /* those not keyed on key */
	} *tidx;
	size_t tcap;
	size_t *globs, nglobs;
	size_t njq;
	struct hd_tnode root;
	size_t nnodes;
	long *npath;                /* by node id */
	struct hd_path *p_type, *p_heal; /* "type", "grace.heal" */
};

uint64_t hd_hash(const void *p, size_t n, uint64_t seed);

/* Run-time entries. */
struct hd_entry {
	uint32_t det, comp;
	uint32_t next_open;         /* the component's open list; UINT32_MAX */
	int32_t heap;               /* position in the heap, or -1 */
	uint8_t open, pending, clearing, cond, seen;
	uint32_t rlen, rhead;       /* ring use */
	int64_t fired_ms;           /* open: when it fired (the id) */
	int64_t since_ms;           /* pending start; open: since */
	int64_t clear_ms;           /* clearing since */
	int64_t last_ms;            /* last sample */
	int64_t due_ms;             /* timer, when heap >= 0 */
	uint64_t n;                 /* samples */
	double mean, var;           /* ewma baseline */
	double last;                /* last value */
	void *ring;                 /* int64_t[] or double[] (det->ring) */
};

struct hd_comp {
	char *name;                 /* inl, or malloc'd when longer */
	char inl[24];
	size_t len;
	uint64_t hash;
	uint32_t open_head;         /* UINT32_MAX: none */
	uint32_t nopen;
	int plain;                  /* the name needs no JSON escape */
	/* its entries, (detector << 32 | entry index), ascending: the
	 * entries of one component are found next to its name, not by a
	 * random probe of one big table */
	uint64_t *ents;
	uint32_t nents, capents;
};

struct grace_detect {
	const struct grace_detectors *d;
	struct hd_entry *ent;
	size_t nent, capent;
	struct hd_comp *comp;
	size_t ncomp, capcomp;
	uint32_t *ctab;
	size_t ccap;
	uint32_t last_comp;         /* the last one asked for, or NONE */
	/* read_event() over a scan: the (node, path) of each path that
	 * ends at a node, and the paths that do not (always absent) */
	struct { uint32_t node, path; } *pair;
	size_t npair;
	uint32_t *orphan;
	size_t norphan;
	const struct hd_tslot *last_ts; /* the last type slot found */
	uint32_t *heap;
	size_t nheap, capheap;
	/* per-event scratch */
	struct grace_jspan *memo;   /* by path id */
	int *memo_esc;              /* the string at memo[i] has escapes */
	struct grace_jspan *nspan;  /* by trie node id */
	struct grace_buf t1, t2, tmp, ev, evid;
	size_t *cand;
	uint32_t *sel;              /* entries selected by this event */
	size_t nsel;
	struct grace_sha256 *sha;
};

/* detect.c internals dstate.c uses. */
uint32_t hd_comp_get(struct grace_detect *s, const char *c, size_t n);
long hd_entry_get(struct grace_detect *s, uint32_t det, uint32_t comp);
/* Room in the timer heap for more entries: 0 or -1 (memory). */
int hd_heap_room(struct grace_detect *s, size_t more);
void hd_timer_set(struct grace_detect *s, uint32_t ei, int64_t due);
void hd_timer_clear(struct grace_detect *s, uint32_t ei);
void hd_open_link(struct grace_detect *s, uint32_t ei);
void hd_open_unlink(struct grace_detect *s, uint32_t ei);

/* The arithmetic, exposed for tests/unit/test_detect.c. */
/* The JSON number p[0..n) as a double, the same as strtod(3) gives:
 * short decimals (at most 15 digits, no exponent) exactly on a fast
 * path, the rest by strtod; NAN when longer than 63 bytes. */
double hd_num(const char *p, size_t n);
void hd_ewma_update(double *mean, double *var, uint64_t n, double alpha,
    double x);
/* (x - mean) / sqrt(var); 0 when var is 0 and x == mean, +-INFINITY when
 * var is 0 and x differs. */
double hd_ewma_z(double mean, double var, double x);
/* The median of v[0..n) (n >= 1), v left sorted. */
double hd_median(double *v, size_t n);
/* Robust z of x against the samples v[0..n) (n >= 1; scratch w[n]):
 * (x - median) / (1.4826 MAD); when MAD is 0, over 1.2533 times the mean
 * absolute deviation from the median; when that is 0 too, 0 if x is the
 * median, else +-INFINITY. *med and *scale get the median and scale. */
double hd_mad_z(const double *v, size_t n, double x, double *w,
    double *med, double *scale);

#endif
