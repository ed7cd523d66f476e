/* test_filter.c - the shared filter loop: order, rejections, statuses. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "t.h"

static int ndiag;
static char lastdiag[1200];

static void
diag(void *ctx, const struct grace_err *e)
{
	(void)ctx;
	ndiag++;
	snprintf(lastdiag, sizeof lastdiag, "%s:%lu:%lu: %s", e->file, e->line,
	    e->col, e->msg);
}

/* Annotate with grace.test = the type's length; "deny" is negative,
 * "boom" is an event error, "fatal" stops the run. */
static int
fn(void *ctx, const struct grace_event *ev, struct grace_buf *out,
    struct grace_err *e)
{
	const struct grace_jspan *t = &ev->found[1];
	const char *type = ev->p + t->off;
	char val[32];
	int v = GRACE_EXIT_OK;

	(void)ctx;
	if (t->kind == GRACE_J_STRING && t->len == 6 && memcmp(type, "\"deny\"", 6) == 0)
		v = GRACE_EXIT_NEGATIVE;
	if (t->kind == GRACE_J_STRING && t->len == 6 && memcmp(type, "\"boom\"", 6) == 0)
		v = GRACE_EXIT_INPUT;
	if (t->kind == GRACE_J_STRING && t->len == 7 && memcmp(type, "\"fatal\"", 7) == 0)
		return grace_err_set(e, ev->input, ev->line, 0, "fatal event");
	snprintf(val, sizeof val, "%zu", t->len);
	grace_json_splice_grace(out, ev->p, ev->n, &ev->found[0], "test", val, strlen(val));
	grace_buf_add(out, "\n", 1);
	return v;
}

static int no_records, check_grace;

static char *
run(const char *input, int strict, int *status, struct grace_filter_stats *st)
{
	static const char *const keys[] = { "grace", "type" };
	struct grace_filter_opts o = { "grace-test", 16, strict, keys, 2, -1,
	    no_records, check_grace, NULL, NULL, NULL, NULL };
	char in[] = "/tmp/grace-filter-in.XXXXXX", outp[] = "/tmp/grace-filter-out.XXXXXX";
	int ifd = mkstemp(in), ofd = mkstemp(outp);
	char *args[1] = { in }, *buf = calloc(1, 4096);
	struct grace_err e;
	ssize_t n;

	if (write(ifd, input, strlen(input)) < 0)
		return buf;
	close(ifd);
	o.out_fd = ofd;
	*status = grace_filter_run(&o, args, 1, fn, diag, NULL, st, &e);
	n = pread(ofd, buf, 4095, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(ofd);
	unlink(in);
	unlink(outp);
	return buf;
}

/* The timer: fires ticks 50 ms apart, at most maxticks of them. */
static int ticks, maxticks, waits;

static long long
twait(void *ctx)
{
	(void)ctx;
	waits++;
	return ticks < maxticks ? 50 : -1;
}

static int
tfire(void *ctx, struct grace_buf *out, struct grace_err *e)
{
	(void)ctx;
	(void)e;
	ticks++;
	return grace_buf_addf(out, "{\"tick\":%d}\n", ticks);
}

/* The filter over a pipe a child writes: one event, 400 ms of silence,
 * another; or over a regular file. Returns the output. */
static char *
run_timer(int regular, int *status)
{
	static const char *const keys[] = { "grace", "type" };
	struct grace_filter_opts o = { "grace-test", 0, 0, keys, 2, -1, 0, 0,
	    twait, tfire, NULL, NULL };
	char outp[] = "/tmp/grace-filter-out.XXXXXX", path[64];
	char in[] = "/tmp/grace-filter-in.XXXXXX";
	char *args[1] = { path }, *buf = calloc(1, 4096);
	int ofd = mkstemp(outp), p[2] = { -1, -1 };
	struct grace_err e;
	pid_t pid = -1;
	ssize_t n;

	ticks = waits = 0;
	if (regular) {
		int ifd = mkstemp(in);

		if (write(ifd, "{\"type\":\"a\"}\n{\"type\":\"b\"}\n", 26) != 26)
			return buf;
		close(ifd);
		snprintf(path, sizeof path, "%s", in);
	} else {
		if (pipe(p) < 0 || (pid = fork()) < 0)
			return buf;
		if (pid == 0) {
			close(p[0]);
			if (write(p[1], "{\"type\":\"a\"}\n", 13) != 13)
				_exit(1);
			usleep(400000);
			if (write(p[1], "{\"type\":\"b\"}\n", 13) != 13)
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	}
	o.out_fd = ofd;
	*status = grace_filter_run(&o, args, 1, fn, diag, NULL, NULL, &e);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (p[0] >= 0)
		close(p[0]);
	if (regular)
		unlink(in);
	n = pread(ofd, buf, 4095, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(ofd);
	unlink(outp);
	return buf;
}

int
main(void)
{
	struct grace_filter_stats st;
	int status;
	char *out;

	out = run("{\"type\":\"a\"}\n\n{\"type\":\"deny\"}\n", 0, &status, &st);
	T_STREQ(out, "{\"type\":\"a\",\"grace\":{\"test\":3}}\n{\"type\":\"deny\",\"grace\":{\"test\":6}}\n", "annotated in order, blank skipped");
	T_INTEQ(status, GRACE_EXIT_NEGATIVE, "a negative verdict exits 1");
	T_OK(st.events == 2 && st.positive == 1 && st.negative == 1 && st.rejected == 0, "stats");
	free(out);

	ndiag = 0;
	out = run("{\"type\":\"a\"}\nnope\n{\"type\":\"b\"}\n{\"type\":\"0123456789abcdef\"}\n{}", 0, &status, &st);
	{
		const char *want = "{\"type\":\"a\",\"grace\":{\"test\":3}}\n"
		    "{\"type\":\"grace.input.rejected\",\"source\":\"grace-test\",\"data\":{\"input\":\"/tmp/grace-filter-in.";

		T_OK(strncmp(out, want, strlen(want)) == 0, "rejection in place");
	}
	T_OK(strstr(out, "\"line\":2,\"column\":1,\"error\":\"not JSON: unexpected 'n'\"}}\n{\"type\":\"b\",\"grace\":{\"test\":3}}\n") != NULL, "line after a bad one kept");
	T_OK(strstr(out, "\"line\":4,\"error\":\"line longer than 16 bytes\"}}\n{\"grace\":{\"test\":0}}\n") != NULL, "too long line rejected, last line without newline kept");
	T_INTEQ(status, GRACE_EXIT_INPUT, "bad input exits 3");
	T_INTEQ(ndiag, 2, "two diagnostics");
	T_OK(strstr(lastdiag, ":4:0: line longer than 16 bytes") != NULL, "diagnostic names the line: %s", lastdiag);
	T_OK(st.events == 3 && st.rejected == 2, "stats with rejections");
	free(out);

	out = run("{\"type\":\"a\"}\nnope\n{\"type\":\"b\"}\n", 1, &status, &st);
	T_OK(strstr(out, "{\"type\":\"b\"") == NULL && strstr(out, "{\"type\":\"a\",") == out, "strict stops at the bad line, keeps what came before");
	T_INTEQ(status, GRACE_EXIT_INPUT, "strict exits 3");
	free(out);

	out = run("{\"type\":\"boom\"}\n{\"type\":\"deny\"}\n", 0, &status, &st);
	T_INTEQ(status, GRACE_EXIT_INPUT, "event error outranks a deny");
	T_INTEQ(st.errors, 1, "event error counted");
	free(out);

	out = run("{\"type\":\"a\"}\n{\"type\":\"fatal\"}\n{\"type\":\"c\"}\n", 0, &status, &st);
	T_STREQ(out, "{\"type\":\"a\",\"grace\":{\"test\":3}}\n", "a fatal error stops; what came before is written");
	T_INTEQ(status, GRACE_EXIT_SYSTEM, "system error exits 4");
	free(out);
	check_grace = 1;
	out = run("{\"grace\":[1]}\n{\"type\":\"b\"}\n", 0, &status, &st);
	T_OK(strstr(out, "\"line\":1,\"column\":10,\"error\":\"member 'grace' is an array, not an object\"}}\n{\"type\":\"b\",\"grace\":{\"test\":3}}\n") != NULL, "grace not an object is a bad line: %s", out);
	T_INTEQ(status, GRACE_EXIT_INPUT, "exits 3");
	free(out);
	no_records = 1;
	ndiag = 0;
	out = run("nope\n{\"type\":\"b\"}\n", 0, &status, &st);
	T_STREQ(out, "{\"type\":\"b\",\"grace\":{\"test\":3}}\n", "no rejection records when asked");
	T_INTEQ(ndiag, 1, "the diagnostic still comes");
	free(out);

	/* the optional timer: fires while the input is silent, its output
	 * in order between the events; never while a regular file is read */
	no_records = 0;
	maxticks = 3;
	out = run_timer(0, &status);
	T_STREQ(out, "{\"type\":\"a\",\"grace\":{\"test\":3}}\n{\"tick\":1}\n"
	    "{\"tick\":2}\n{\"tick\":3}\n{\"type\":\"b\",\"grace\":{\"test\":3}}\n",
	    "timer ticks while a pipe is silent, in order");
	T_INTEQ(status, GRACE_EXIT_OK, "timer run exits 0");
	free(out);
	out = run_timer(1, &status);
	T_STREQ(out, "{\"type\":\"a\",\"grace\":{\"test\":3}}\n{\"type\":\"b\",\"grace\":{\"test\":3}}\n",
	    "no tick while a regular file is read");
	T_INTEQ(ticks, 0, "the timer never fired on a regular file");
	free(out);
	return T_DONE();
}
