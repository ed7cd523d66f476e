/* metrics.h - --metrics FILE: Prometheus metrics in the node_exporter
 * textfile format, the one implementation every program uses.
 *
 * A program declares its families once, counts and sets samples as it
 * runs, and writes the file (atomically: a temporary file renamed over
 * it, so the collector never reads half of it) every few seconds on a
 * long run and at the end. Every sample carries program="<prog>"; the
 * families all programs share are made by grace_metrics_new():
 *   grace_events_read_total        events read (bad lines included)
 *   grace_events_written_total     lines written (events and those made)
 *   grace_bad_lines_total          input lines that were not events
 *   grace_verdicts_total{verdict}  the program's verdicts by name
 *   grace_event_duration_seconds   time per event, a histogram
 *   grace_metrics_timestamp_seconds when the file was written
 * Not thread-safe: one thread updates and writes.
 */
#ifndef GRACE_METRICS_H
#define GRACE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct grace_metrics;

/* The metrics of program prog, written to path. NULL when out of memory. */
struct grace_metrics *grace_metrics_new(const char *prog, const char *path);
void grace_metrics_free(struct grace_metrics *m);

/* Declare a family: name, "counter" or "gauge", and its help line.
 * Returns 0 or -1 (memory, or too many families). */
int grace_metrics_family(struct grace_metrics *m, const char *name,
    const char *type, const char *help);

/* Add v to, or set to v, the sample of family name with the labels
 * labels (preformatted, 'target="x"', or "" for none; a label value
 * must have been made with grace_metrics_label()). Returns 0 or -1. */
int grace_metrics_add(struct grace_metrics *m, const char *name,
    const char *labels, double v);
int grace_metrics_set(struct grace_metrics *m, const char *name,
    const char *labels, double v);

/* Append key="value" to out, value escaped as the format wants (\\, \",
 * \n). Returns 0 or -1. */
int grace_metrics_label(struct grace_buf *out, const char *key,
    const char *value);

/* The shared families. */
void grace_metrics_read(struct grace_metrics *m, uint64_t n);
void grace_metrics_written(struct grace_metrics *m, uint64_t n);
void grace_metrics_bad(struct grace_metrics *m, uint64_t n);
int grace_metrics_verdict(struct grace_metrics *m, const char *verdict);
/* One event took seconds s. */
void grace_metrics_observe(struct grace_metrics *m, double s);

/* One event is done: it was read, written lines went out (0 for a report
 * format that writes none per event), its verdict was verdict (NULL:
 * none), it started at t0_ms (grace_mono_ms()); and the file is written
 * if it is due. Returns 0 or -1 (e filled). */
int grace_metrics_event(struct grace_metrics *m, double t0_ms,
    const char *verdict, uint64_t written, struct grace_err *e);
/* A bad line was read (and, written, its rejection record went out). */
void grace_metrics_bad_line(struct grace_metrics *m, int written);

/* The file's text, appended to out. Returns 0 or -1 (memory). */
int grace_metrics_format(struct grace_metrics *m, struct grace_buf *out);

/* Write the file now (atomically). Returns 0 or -1 (e filled). */
int grace_metrics_write(struct grace_metrics *m, struct grace_err *e);

/* Write it if the last write is GRACE_METRICS_EVERY_MS old or more (the
 * monotonic clock, read here). Returns 0 (nothing to do, or written) or
 * -1 (e filled). */
#define GRACE_METRICS_EVERY_MS 5000
int grace_metrics_tick(struct grace_metrics *m, struct grace_err *e);
/* 1 if grace_metrics_tick() would write the file now: for a program that
 * sets gauges from elsewhere (other threads' counters) just before. */
int grace_metrics_due(const struct grace_metrics *m);

#endif
