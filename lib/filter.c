/* filter.c - the shared NDJSON filter loop. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "filter.h"
#include "lines.h"
#include "reject.h"

#define FLUSH_AT (1u << 20)

struct run {
	const struct grace_filter_opts *o;
	grace_filter_event_fn *fn;
	grace_filter_diag_fn *diag;
	void *ctx;
	struct grace_filter_stats *st;
	struct grace_buf out;
	struct grace_jspan *found;
	struct grace_jkeys jk;      /* o->keys and o->deep's root, compiled */
	long grace;                 /* index of "grace" in keys to check, or -1 */
	int status;
};

static int
max_status(int a, int b)
{
	return a > b ? a : b;
}

static inline void
idle(struct run *r)
{
	if (r->o->idle)
		r->o->idle(r->ctx);
}

static int
flush(struct run *r, struct grace_err *e)
{
	if (r->out.len)
		idle(r);
	if (r->out.len && grace_write_all(r->o->out_fd, r->out.p, r->out.len) < 0)
		return grace_err_sys(e, "<stdout>", "unable to write");
	grace_buf_reset(&r->out);
	return 0;
}

/* A bad line: diagnostic, rejection record, status. */
static int
reject(struct run *r, const struct grace_err *bad, struct grace_err *e)
{
	if (r->diag)
		r->diag(r->ctx, bad);
	if (!r->o->no_reject_records &&
	    grace_reject_json(&r->out, r->o->prog, bad) < 0)
		return grace_err_sys(e, bad->file, "unable to write");
	r->st->rejected++;
	r->status = max_status(r->status, GRACE_EXIT_INPUT);
	return 0;
}

/* Returns 0 to go on, 1 to stop (strict), -1 on a system error. */
static int
one_line(struct run *r, struct grace_lines *rd, const char *line, size_t n,
    int toolong, struct grace_err *e)
{
	struct grace_err bad;
	struct grace_event ev;
	int v;

	if (toolong) {
		grace_err_set(&bad, rd->name, rd->lineno, 0,
		    "line longer than %zu bytes", rd->max);
		bad.code = GRACE_EXIT_INPUT;
		return reject(r, &bad, e) < 0 ? -1 : r->o->strict;
	}
	if (grace_json_blank(line, n))
		return 0;
	if (grace_json_scan_keys(line, n, &r->jk, r->found, r->o->deep,
	    rd->name, rd->lineno, &bad) < 0)
		return reject(r, &bad, e) < 0 ? -1 : r->o->strict;
	if (r->grace >= 0 && r->found[r->grace].kind != GRACE_J_NONE &&
	    r->found[r->grace].kind != GRACE_J_OBJECT) {
		grace_err_set(&bad, rd->name, rd->lineno,
		    r->found[r->grace].off + 1, "member 'grace' is %s, not an "
		    "object", grace_json_kind_name(r->found[r->grace].kind));
		bad.code = GRACE_EXIT_INPUT;
		return reject(r, &bad, e) < 0 ? -1 : r->o->strict;
	}
	ev.input = rd->name;
	ev.line = rd->lineno;
	ev.p = line;
	ev.n = n;
	ev.found = r->found;
	ev.deep = r->o->deep;
	r->st->events++;
	v = r->fn(r->ctx, &ev, &r->out, e);
	switch (v) {
	case GRACE_EXIT_OK: r->st->positive++; break;
	case GRACE_EXIT_NEGATIVE: r->st->negative++; break;
	case GRACE_EXIT_INPUT: r->st->errors++; break;
	default: return -1;
	}
	r->status = max_status(r->status, v);
	return 0;
}

/* Wait for input on rd, firing the timer each time it runs out. Returns
 * 0 when input may be read, -1 on an error (e filled). */
static int
wait_timer(struct run *r, struct grace_lines *rd, struct grace_err *e)
{
	for (;;) {
		struct pollfd pf = { rd->fd, POLLIN, 0 };
		long long ms;
		int n;

		if (grace_lines_ready(rd) || (ms = r->o->timer_wait(r->ctx)) < 0)
			return 0;
		n = poll(&pf, 1, ms > INT_MAX ? INT_MAX : (int)ms);
		if (n > 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return grace_err_sys(e, rd->name, "unable to poll");
		}
		if (r->o->timer_fire(r->ctx, &r->out, e) < 0 || flush(r, e) < 0)
			return -1;
	}
}

/* Returns 0, 1 (stopped by strict) or -1. */
static int
one_input(struct run *r, int fd, const char *name, struct grace_err *e)
{
	struct grace_lines rd;
	const char *line;
	size_t n;
	int t, stop = 0;

	if (grace_lines_init(&rd, fd, name, r->o->max_line) < 0)
		return grace_err_sys(e, name, "unable to read");
	while (!stop) {
		t = grace_lines_buffered(&rd, &line, &n, e);
		if (t == GRACE_LINE_AGAIN) {
			idle(r);
			/* Answer what was asked before waiting for more. */
			if (r->out.len && !grace_lines_ready(&rd) &&
			    flush(r, e) < 0) {
				stop = -1;
				break;
			}
			if (r->o->timer_wait && r->o->timer_fire &&
			    wait_timer(r, &rd, e) < 0) {
				stop = -1;
				break;
			}
			if (grace_lines_fill(&rd, e) < 0) {
				stop = -1;
				break;
			}
			continue;
		}
		if (t == GRACE_LINE_EOF)
			break;
		stop = one_line(r, &rd, line, n, t == GRACE_LINE_TOOLONG, e);
		if (stop >= 0 && r->out.len >= FLUSH_AT && flush(r, e) < 0)
			stop = -1;
	}
	grace_lines_free(&rd);
	return stop;
}

int
grace_filter_run(const struct grace_filter_opts *o, char *const *inputs,
    size_t ninputs, grace_filter_event_fn *fn, grace_filter_diag_fn *diag,
    void *ctx, struct grace_filter_stats *st, struct grace_err *e)
{
	struct grace_filter_stats dummy;
	struct run r;
	size_t i;
	int stop = 0;

	memset(&r, 0, sizeof r);
	r.o = o;
	r.fn = fn;
	r.diag = diag;
	r.ctx = ctx;
	r.st = st ? st : &dummy;
	memset(r.st, 0, sizeof *r.st);
	r.grace = -1;
	for (i = 0; o->check_grace && i < o->nkeys; i++)
		if (strcmp(o->keys[i], "grace") == 0)
			r.grace = (long)i;
	grace_jkeys_init(&r.jk, o->keys, o->nkeys, o->deep ? o->deep->root :
	    NULL);
	r.found = calloc(o->nkeys ? o->nkeys : 1, sizeof *r.found);
	if (!r.found) {
		grace_err_sys(e, NULL, "unable to start");
		return GRACE_EXIT_SYSTEM;
	}
	for (i = 0; (i < ninputs || (i == 0 && ninputs == 0)) && !stop; i++) {
		const char *name = ninputs ? inputs[i] : "-";
		int fd = STDIN_FILENO;

		if (strcmp(name, "-") == 0) {
			name = "<stdin>";
		} else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
			grace_err_sys(e, name, "unable to open");
			stop = -1;
			break;
		}
		stop = one_input(&r, fd, name, e);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	/* What was processed is written, whatever stopped the loop. */
	if (stop < 0) {
		struct grace_err ignore;

		flush(&r, &ignore);
		r.status = GRACE_EXIT_SYSTEM;
	} else if (flush(&r, e) < 0) {
		r.status = GRACE_EXIT_SYSTEM;
	}
	grace_buf_free(&r.out);
	free(r.found);
	return r.status;
}
