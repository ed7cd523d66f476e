/* filter.h - the main loop every Grace filter shares: read NDJSON from
 * files or stdin, validate each line, locate the members the program
 * needs, hand it the event, write what it returns, and turn bad lines into
 * a diagnostic plus a grace.input.rejected record in their place.
 *
 * Output is written in large blocks, and flushed whenever input would
 * block, so a filter in the middle of an interactive pipeline never holds
 * an answer back. lib/ never prints: diagnostics go to a callback.
 */
#ifndef GRACE_FILTER_H
#define GRACE_FILTER_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct grace_filter_opts {
	const char *prog;           /* for rejection records: "grace-gate" */
	size_t max_line;            /* longest line accepted; 0: 1 MiB */
	int strict;                 /* stop at the first bad line */
	const char *const *keys;    /* top-level members to locate */
	size_t nkeys;
	int out_fd;                 /* where output goes (STDOUT_FILENO) */
	int no_reject_records;      /* report formats: diagnostics only, no
	                               grace.input.rejected records in out */
	int check_grace;            /* a line whose top-level `grace` is not
	                               an object is a bad line (keys must
	                               include "grace") */
	/* An optional timer (both NULL: none, and the loop blocks in read()
	 * as before). While no whole line is buffered and input is not
	 * ready, the loop polls the input for at most timer_wait(ctx)
	 * milliseconds (negative: no timer now, block until input comes);
	 * when that runs out it calls timer_fire(ctx, out, e), writes what
	 * it appended to out, and waits again. A regular file is always
	 * ready, so timers never fire while one is read. timer_fire returns
	 * 0, or -1 with e filled to stop the run (a system error). */
	long long (*timer_wait)(void *ctx);
	int (*timer_fire)(void *ctx, struct grace_buf *out,
	    struct grace_err *e);
	struct grace_jdeep *deep;   /* members at any depth to locate in
	                               the same pass (grace_json_scan_deep),
	                               or NULL; its spans are the event's
	                               while fn runs */
	/* Optional: called before the loop may wait (to read, poll or
	 * write), so that a program holding a lock across events can let
	 * it go there; timer_wait and timer_fire are called after it. */
	void (*idle)(void *ctx);
};

/* One valid event, as handed to the program. */
struct grace_event {
	const char *input;          /* "<stdin>" or a path */
	unsigned long line;         /* 1-based line number in input */
	const char *p;              /* the line's bytes (no '\n') */
	size_t n;
	const struct grace_jspan *found; /* spans of opts.keys, in p */
	const struct grace_jdeep *deep;  /* opts.deep, filled for p */
};

/* Process ev: append the output line(s), each ending in '\n', to out.
 * Return GRACE_EXIT_OK for a positive verdict, GRACE_EXIT_NEGATIVE for a
 * negative one, GRACE_EXIT_INPUT when the event could not be judged (its
 * own runtime error: say so in the output and go on), or -1 with e filled
 * to stop the whole run (a system error). */
typedef int grace_filter_event_fn(void *ctx, const struct grace_event *ev,
    struct grace_buf *out, struct grace_err *e);

/* Called for each bad line, e naming input, line and column. */
typedef void grace_filter_diag_fn(void *ctx, const struct grace_err *e);

struct grace_filter_stats {
	unsigned long long events;    /* valid events handed over */
	unsigned long long positive;
	unsigned long long negative;
	unsigned long long errors;    /* events whose fn returned INPUT */
	unsigned long long rejected;  /* bad lines */
};

/* Run fn over every event of inputs[0..ninputs) in order ("-" is stdin;
 * no inputs means stdin). Returns the exit status (the highest that
 * applies: 0 all positive, 1 some negative, 3 some bad line or event
 * error, 4 a system error with e filled: an input that cannot be opened
 * or read, an output that cannot be written, fn's -1). What was processed
 * before a failure has been written. st may be NULL. */
int grace_filter_run(const struct grace_filter_opts *o, char *const *inputs,
    size_t ninputs, grace_filter_event_fn *fn, grace_filter_diag_fn *diag,
    void *ctx, struct grace_filter_stats *st, struct grace_err *e);

#endif
