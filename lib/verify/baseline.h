/* baseline.h - golden values of metrics, kept in a small JSON file, and
 * the drift of a new value from them.
 *
 * A baseline file is one JSON object whose members are metric keys and
 * whose values are numbers:
 *
 *   {
 *     "api.latency_ms": 120,
 *     "api.error_rate": 0.002
 *   }
 *
 * It is written back (grace_baseline_save()) with the keys sorted, one
 * per line, replacing the file atomically. Get, set and save may be
 * called from several threads at once.
 */
#ifndef GRACE_BASELINE_H
#define GRACE_BASELINE_H

#include "err.h"

struct grace_baseline;

/* Load the baseline file at path. A file that does not exist gives an
 * empty baseline (grace_baseline_exists() is then 0). Returns NULL with e
 * filled when the file cannot be read or is not a JSON object of numbers
 * ("file: not a baseline file: member 'x' is a string, not a number"),
 * e->code GRACE_EXIT_INPUT; GRACE_EXIT_SYSTEM for I/O errors. */
struct grace_baseline *grace_baseline_load(const char *path,
    struct grace_err *e);
void grace_baseline_free(struct grace_baseline *b);

/* The path it was loaded from (borrowed). */
const char *grace_baseline_path(const struct grace_baseline *b);
/* 1 if the file existed when loaded. */
int grace_baseline_exists(const struct grace_baseline *b);

/* The value of key: returns 1 with *v set, 0 if there is none. */
int grace_baseline_get(struct grace_baseline *b, const char *key, double *v);
/* Set key to v (v must be finite). Returns 0, or -1 when out of memory. */
int grace_baseline_set(struct grace_baseline *b, const char *key, double v);

/* Write the baseline back to its file atomically if anything was set
 * since it was loaded. Returns 0 (also when there was nothing to write),
 * or -1 with e filled. */
int grace_baseline_save(struct grace_baseline *b, struct grace_err *e);

enum grace_drift_dir {
	GRACE_DRIFT_BOTH = 0,  /* a change either way counts */
	GRACE_DRIFT_UP,        /* only an increase counts (latency, errors) */
	GRACE_DRIFT_DOWN,      /* only a decrease counts (throughput) */
};

/* The drift of value from base as a fraction of base:
 * |value - base| / |base|, counted only in the direction dir (0 for a
 * change the other way). A base of 0 gives 0 when value is 0 too, and
 * INFINITY otherwise (in the direction counted). */
double grace_baseline_drift(double base, double value,
    enum grace_drift_dir dir);

#endif
