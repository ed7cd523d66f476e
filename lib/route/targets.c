/* targets.c - the target kinds: file, log, stdout, stderr, fifo, exec
 * (nats is in nats.c).
 *
 * Each is an ops table (route_int.h) called from its target's writer
 * thread only. Blocking waits (a fifo or a subscriber that does not read)
 * poll in steps of POLL_MS so that a target gives up soon after the drain
 * deadline sets t->abandon.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fileutil.h"
#include "log/log.h"
#include "route_int.h"
#include "timeutil.h"

#define POLL_MS 50

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Concatenate items[0..n) into b. */
static int
gather(struct grace_buf *b, struct grace_ritem *const *items, size_t n)
{
	size_t i;

	grace_buf_reset(b);
	for (i = 0; i < n; i++)
		if (grace_buf_add(b, items[i]->p, items[i]->n) < 0)
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- file */

struct filest {
	int fd;
	struct grace_buf b;
};

static int
file_open(struct grace_rt *t, struct grace_err *e)
{
	struct filest *f = calloc(1, sizeof *f);

	if (!f)
		return grace_err_sys(e, t->cfg->path, "out of memory");
	f->fd = open(t->cfg->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644);
	if (f->fd < 0) {
		free(f);
		return grace_err_sys(e, t->cfg->path, "unable to open");
	}
	t->kind = f;
	return 0;
}

/* The whole batch under the lock grace-log takes (an exclusive flock),
 * in one write; a failed write is cut back so no torn line is left. */
static int
file_write(struct grace_rt *t, struct grace_ritem *const *items, size_t n,
    size_t *done, struct grace_err *e)
{
	struct filest *f = t->kind;
	struct stat st;
	int r = 0;

	*done = 0;
	if (gather(&f->b, items, n) < 0)
		return grace_err_sys(e, t->cfg->path, "out of memory");
	if (grace_lock(f->fd, 0, t->cfg->path, e) < 0)
		return -1;
	if (fstat(f->fd, &st) < 0) {
		r = grace_err_sys(e, t->cfg->path, "unable to stat");
	} else if (grace_write_all(f->fd, f->b.p, f->b.len) < 0) {
		r = grace_err_sys(e, t->cfg->path, "unable to write");
		if (ftruncate(f->fd, st.st_size) < 0)
			grace_err_sys(e, t->cfg->path, "unable to write, and "
			    "unable to cut the partial write back");
	} else {
		*done = n;
	}
	grace_unlock(f->fd);
	return r;
}

static int
no_flush(struct grace_rt *t, struct grace_err *e)
{
	(void)t;
	(void)e;
	return 0;
}

static void
file_close(struct grace_rt *t, int64_t wait_ms)
{
	struct filest *f = t->kind;

	(void)wait_ms;
	if (!f)
		return;
	close(f->fd);
	grace_buf_free(&f->b);
	free(f);
	t->kind = NULL;
}

/* ----------------------------------------------------------------- log */

struct logst {
	struct grace_log_writer w;
	const char **evs;
	size_t *lens, cap;
};

static int
log_open(struct grace_rt *t, struct grace_err *e)
{
	struct logst *l = calloc(1, sizeof *l);

	if (!l)
		return grace_err_sys(e, t->cfg->path, "out of memory");
	if (grace_log_writer_open(&l->w, t->cfg->path, GRACE_SYNC_BATCH,
	    e) < 0) {
		free(l);
		return -1;
	}
	t->kind = l;
	return 0;
}

static int
log_write(struct grace_rt *t, struct grace_ritem *const *items, size_t n,
    size_t *done, struct grace_err *e)
{
	struct logst *l = t->kind;
	size_t i;

	*done = 0;
	if (n > l->cap) {
		const char **ne = realloc(l->evs, n * sizeof *ne);
		size_t *nl;

		if (!ne)
			return grace_err_sys(e, t->cfg->path, "out of memory");
		l->evs = ne;
		if (!(nl = realloc(l->lens, n * sizeof *nl)))
			return grace_err_sys(e, t->cfg->path, "out of memory");
		l->lens = nl;
		l->cap = n;
	}
	for (i = 0; i < n; i++) {
		l->evs[i] = items[i]->p;
		l->lens[i] = items[i]->n - 1;
	}
	if (grace_log_append(&l->w, l->evs, l->lens, n, e) < 0)
		return -1;
	*done = n;
	return 0;
}

static void
log_close(struct grace_rt *t, int64_t wait_ms)
{
	struct logst *l = t->kind;

	(void)wait_ms;
	if (!l)
		return;
	grace_log_writer_close(&l->w);
	free(l->evs);
	free(l->lens);
	free(l);
	t->kind = NULL;
}

/* ------------------------------------------------------ stdout, stderr */

struct stdst {
	struct grace_buf b;
};

static int
std_open(struct grace_rt *t, struct grace_err *e)
{
	if (!(t->kind = calloc(1, sizeof(struct stdst))))
		return grace_err_sys(e, NULL, "out of memory");
	return 0;
}

static int
std_write(struct grace_rt *t, struct grace_ritem *const *items, size_t n,
    size_t *done, struct grace_err *e)
{
	struct stdst *s = t->kind;
	int out = t->cfg->kind == GRACE_RK_STDOUT, r = 0;

	*done = 0;
	if (gather(&s->b, items, n) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	if (out)
		pthread_mutex_lock(t->out_mu);
	if (grace_write_all(out ? STDOUT_FILENO : STDERR_FILENO, s->b.p,
	    s->b.len) < 0)
		r = grace_err_sys(e, out ? "<stdout>" : "<stderr>",
		    "unable to write");
	else
		*done = n;
	if (out)
		pthread_mutex_unlock(t->out_mu);
	return r;
}

static void
std_close(struct grace_rt *t, int64_t wait_ms)
{
	struct stdst *s = t->kind;

	(void)wait_ms;
	if (!s)
		return;
	grace_buf_free(&s->b);
	free(s);
	t->kind = NULL;
}

/* ------------------------------------------- writing without blocking */

/* Write p[0..n) to the non-blocking fd, waiting POLL_MS at a time.
 * alive, when not NULL, is asked between waits whether the reader is
 * still there. Returns 0; -1 with errno (EPIPE: the reader left); -2 when
 * t->abandon was set; -3 when alive() said no. *wrote counts bytes. */
static int
nb_write(struct grace_rt *t, int fd, const char *p, size_t n,
    int (*alive)(struct grace_rt *), size_t *wrote)
{
	*wrote = 0;
	while (*wrote < n) {
		ssize_t w = write(fd, p + *wrote, n - *wrote);
		struct pollfd pf[2];

		if (w > 0) {
			*wrote += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (atomic_load(&t->abandon))
			return -2;
		if (alive && !alive(t))
			return -3;
		pf[0].fd = fd;
		pf[0].events = POLLOUT;
		pf[1].fd = t->wakefd;
		pf[1].events = POLLIN;
		if (poll(pf, t->wakefd >= 0 ? 2 : 1, POLL_MS) < 0 &&
		    errno != EINTR)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- fifo */

struct fifost {
	int fd;
};

static int
fifo_open(struct grace_rt *t, struct grace_err *e)
{
	struct fifost *f = calloc(1, sizeof *f);
	struct stat st;

	if (!f)
		return grace_err_sys(e, t->cfg->path, "out of memory");
	f->fd = open(t->cfg->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (f->fd < 0) {
		if (errno == ENXIO)
			grace_err_set(e, t->cfg->path, 0, 0, "no reader on the "
			    "fifo");
		else
			grace_err_sys(e, t->cfg->path, "unable to open");
		free(f);
		return -1;
	}
	if (fstat(f->fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(f->fd);
		free(f);
		return grace_err_set(e, t->cfg->path, 0, 0, "not a fifo");
	}
	t->kind = f;
	return 0;
}

static void
fifo_close(struct grace_rt *t, int64_t wait_ms)
{
	struct fifost *f = t->kind;

	(void)wait_ms;
	if (!f)
		return;
	close(f->fd);
	free(f);
	t->kind = NULL;
}

static int
fifo_write(struct grace_rt *t, struct grace_ritem *const *items, size_t n,
    size_t *done, struct grace_err *e)
{
	struct fifost *f = t->kind;
	size_t i, w;
	int r;

	for (*done = 0, i = 0; i < n; i++) {
		/* A line is never split across readers: a reader that
		 * leaves mid-line gets the whole line again from the next. */
		r = nb_write(t, f->fd, items[i]->p, items[i]->n, NULL, &w);
		if (r == -2)
			return grace_err_set(e, t->cfg->path, 0, 0, "drain "
			    "deadline");
		if (r < 0) {
			grace_err_sys(e, t->cfg->path, "unable to write");
			fifo_close(t, 0);
			t->is_open = 0;
			return -1;
		}
		(*done)++;
	}
	return 0;
}

/* ---------------------------------------------------------------- exec */

/* The subscriber's stdin is a pipe of which we keep the read end too, so
 * that FIONREAD tells how much it has not read yet: an event counts as
 * delivered once the subscriber has read it whole. Events written but
 * not read are kept (unacked) and written again to the next subscriber
 * when this one dies. */
struct execst {
	pid_t pid;
	int wfd, rfd;
	struct grace_ritem *head, *tail;   /* unacked, oldest first */
	size_t unacked_bytes;              /* of them, written to the pipe */
	int64_t backoff;
	int started;                       /* a subscriber ran before */
};

static void
unacked_pop(struct execst *x)
{
	struct grace_ritem *it = x->head;

	x->head = it->next;
	if (!x->head)
		x->tail = NULL;
	x->unacked_bytes -= it->n;
	free(it);
}

/* Forget the events the subscriber has read. */
static void
trim(struct execst *x)
{
	int unread = 0;
	size_t consumed;

	if (x->rfd < 0 || ioctl(x->rfd, FIONREAD, &unread) < 0)
		return;
	consumed = x->unacked_bytes - (size_t)unread;
	while (x->head && x->head->n <= consumed) {
		consumed -= x->head->n;
		unacked_pop(x);
	}
}

static void
describe_status(int st, char *buf, size_t cap)
{
	if (WIFEXITED(st))
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, cap, "was killed by signal %d (%s)",
		    WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, cap, "ended (status %#x)", (unsigned)st);
}

/* The subscriber is gone (reaped with status st): count what it read,
 * report it, close its pipe. */
static void
gone(struct grace_rt *t, int st)
{
	struct execst *x = t->kind;
	char how[96], msg[320];

	trim(x);
	describe_status(st, how, sizeof how);
	snprintf(msg, sizeof msg, "subscriber '%s' (pid %ld) %s", t->cfg->argv[0],
	    (long)x->pid, how);
	atomic_fetch_add(&t->exits, 1);
	t->hooks.notice(t, GRACE_EXIT_SYSTEM, msg);
	if (x->wfd >= 0)
		close(x->wfd);
	close(x->rfd);
	x->wfd = x->rfd = -1;
	x->pid = 0;
}

static int
exec_alive(struct grace_rt *t)
{
	struct execst *x = t->kind;
	int st;
	pid_t p;

	if (x->pid <= 0)
		return 0;
	p = waitpid(x->pid, &st, WNOHANG);
	if (p == 0)
		return 1;
	if (p == x->pid)
		gone(t, st);
	return 0;
}

static int
spawn(struct grace_rt *t, struct grace_err *e)
{
	struct execst *x = t->kind;
	int pfd[2], efd[2], child_errno = 0;
	ssize_t got;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return grace_err_sys(e, NULL, "unable to make a pipe");
	if (pipe2(efd, O_CLOEXEC) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return grace_err_sys(e, NULL, "unable to make a pipe");
	}
	(void)fcntl(pfd[1], F_SETPIPE_SZ, 4096);
	if ((pid = fork()) < 0) {
		grace_err_sys(e, NULL, "unable to fork");
		close(pfd[0]);
		close(pfd[1]);
		close(efd[0]);
		close(efd[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		int s;

		setpgid(0, 0);
		for (s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(pfd[0], 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		execvp(t->cfg->argv[0], t->cfg->argv);
		child_errno = errno;
		(void)!write(efd[1], &child_errno, sizeof child_errno);
		_exit(127);
	}
	close(efd[1]);
	do
		got = read(efd[0], &child_errno, sizeof child_errno);
	while (got < 0 && errno == EINTR);
	close(efd[0]);
	if (got == (ssize_t)sizeof child_errno) {
		waitpid(pid, NULL, 0);
		close(pfd[0]);
		close(pfd[1]);
		errno = child_errno;
		return grace_err_sys(e, NULL, "unable to run '%s'",
		    t->cfg->argv[0]);
	}
	(void)fcntl(pfd[1], F_SETFL, O_NONBLOCK);
	x->pid = pid;
	x->wfd = pfd[1];
	x->rfd = pfd[0];
	if (x->started) {
		char msg[320];

		atomic_fetch_add(&t->restarts, 1);
		snprintf(msg, sizeof msg, "subscriber '%s' restarted (pid %ld)",
		    t->cfg->argv[0], (long)pid);
		t->hooks.notice(t, GRACE_EXIT_OK, msg);
	}
	x->started = 1;
	return 0;
}

/* Start the subscriber. Returns 0, or -1 (e filled) with nothing kept:
 * the router closes only targets that opened. */
static int
exec_open(struct grace_rt *t, struct grace_err *e)
{
	struct execst *x = t->kind;

	if (x)
		return x->pid > 0 ? 0 : spawn(t, e);
	if (!(x = calloc(1, sizeof *x)))
		return grace_err_sys(e, NULL, "out of memory");
	x->wfd = x->rfd = -1;
	x->backoff = t->cfg->backoff_ms;
	t->kind = x;
	if (spawn(t, e) < 0) {
		free(x);
		t->kind = NULL;
		return -1;
	}
	return 0;
}

/* Write one item (already on the unacked list) whole, counting what
 * reaches the pipe: only that can have been read (trim()). Returns 0, -2
 * (abandon), -3 (the subscriber died), -1 (errno). */
static int
put(struct grace_rt *t, const struct grace_ritem *it)
{
	struct execst *x = t->kind;
	size_t w;
	int r = nb_write(t, x->wfd, it->p, it->n, exec_alive, &w);

	x->unacked_bytes += w;
	return r;
}

/* Start a new subscriber after backoff and write it what the last one
 * did not read. Events whose retries are spent are dead-lettered.
 * Returns 0, or -1 (e filled). */
static int
restart(struct grace_rt *t, struct grace_err *e)
{
	struct execst *x = t->kind;
	struct grace_ritem *it, *keep, **kt;
	int64_t waited;

	for (;;) {
		for (waited = 0; waited < x->backoff; waited += POLL_MS) {
			if (atomic_load(&t->abandon))
				return grace_err_set(e, NULL, 0, 0,
				    "drain deadline");
			sleep_ms(POLL_MS < x->backoff - waited ? POLL_MS :
			    x->backoff - waited);
		}
		if (x->backoff * 2 <= t->cfg->backoff_max_ms)
			x->backoff *= 2;
		else
			x->backoff = t->cfg->backoff_max_ms;
		/* What the dead one did not read, minus what is out of
		 * retries. */
		keep = NULL;
		kt = &keep;
		while ((it = x->head)) {
			x->head = it->next;
			it->next = NULL;
			if (++it->attempts > t->cfg->retries) {
				t->hooks.dead(t, it, "subscriber exited before "
				    "reading it");
				free(it);
				continue;
			}
			*kt = it;
			kt = &it->next;
		}
		x->head = keep;
		x->tail = NULL;
		x->unacked_bytes = 0;      /* the new pipe has none of them */
		for (it = keep; it; it = it->next)
			x->tail = it;
		if (spawn(t, e) < 0)
			return -1;
		for (it = x->head; it; it = it->next) {
			int r = put(t, it);

			if (r == -2)
				return grace_err_set(e, NULL, 0, 0,
				    "drain deadline");
			if (r == -3)
				break;
			if (r < 0)
				return grace_err_sys(e, NULL, "unable to write "
				    "to subscriber '%s'", t->cfg->argv[0]);
		}
		if (!it)
			return 0;
		/* it died again: start over */
	}
}

static int
exec_write(struct grace_rt *t, struct grace_ritem *const *items, size_t n,
    size_t *done, struct grace_err *e)
{
	struct execst *x = t->kind;
	size_t i;

	*done = 0;
	for (i = 0; i < n; i++) {
		struct grace_ritem *c;
		int r;

		if (!exec_alive(t) && restart(t, e) < 0)
			return -1;
		if (!(c = malloc(sizeof *c + items[i]->n)))
			return grace_err_sys(e, NULL, "out of memory");
		memcpy(c, items[i], sizeof *c + items[i]->n);
		c->next = NULL;
		if (x->tail)
			x->tail->next = c;
		else
			x->head = c;
		x->tail = c;
		(*done)++;    /* from here on it is ours to deliver */
		for (;;) {
			r = put(t, c);
			if (r == 0)
				break;
			if (r == -2)
				return grace_err_set(e, NULL, 0, 0, "drain "
				    "deadline");
			if (r == -1 && errno != EPIPE)
				return grace_err_sys(e, NULL, "unable to write "
				    "to subscriber '%s'", t->cfg->argv[0]);
			/* it died: the restart writes c again */
			if (x->pid > 0) {
				int st;

				kill(-x->pid, SIGKILL);
				waitpid(x->pid, &st, 0);
				gone(t, st);
			}
			if (restart(t, e) < 0)
				return -1;
			break;
		}
	}
	trim(x);
	if (x->head == NULL)
		x->backoff = t->cfg->backoff_ms;
	return 0;
}

/* Close the subscriber's stdin and wait for it to read what it was sent
 * and exit, until wait_ms. A subscriber that dies before reading it all
 * is restarted (backoff and retries as usual) while time is left; what
 * is still unread at the end is dead-lettered. */
static void
exec_close(struct grace_rt *t, int64_t wait_ms)
{
	struct execst *x = t->kind;
	double end = grace_mono_ms() + (double)wait_ms;
	struct grace_err e;
	int st = 0;

	if (!x)
		return;
	for (;;) {
		if (x->pid > 0) {
			pid_t p;

			close(x->wfd);
			x->wfd = -1;
			while ((p = waitpid(x->pid, &st, WNOHANG)) == 0 &&
			    grace_mono_ms() < end)
				sleep_ms(1);
			if (p == 0) {
				int k;

				/* SIGTERM, then SIGKILL after 100 ms */
				kill(-x->pid, SIGTERM);
				for (k = 0; k < 100 && (p = waitpid(x->pid, &st,
				    WNOHANG)) == 0; k++)
					sleep_ms(1);
				if (p == 0) {
					kill(-x->pid, SIGKILL);
					waitpid(x->pid, &st, 0);
				}
			}
			trim(x);
			if (x->head || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				gone(t, st);
			} else {
				close(x->rfd);
				x->rfd = -1;
				x->pid = 0;
			}
		}
		if (!x->head || grace_mono_ms() >= end ||
		    atomic_load(&t->abandon))
			break;
		if (restart(t, &e) < 0) {
			t->hooks.notice(t, GRACE_EXIT_SYSTEM, e.msg);
			break;
		}
	}
	while (x->head) {
		x->head->attempts++;
		t->hooks.dead(t, x->head, grace_mono_ms() >= end ||
		    atomic_load(&t->abandon) ? "drain deadline (the subscriber "
		    "had not read it)" : "subscriber exited before reading it");
		unacked_pop(x);
	}
	if (x->wfd >= 0)
		close(x->wfd);
	if (x->rfd >= 0)
		close(x->rfd);
	free(x);
	t->kind = NULL;
}

static const struct grace_rtarget_ops ops[] = {
	[GRACE_RK_FILE] = { file_open, file_write, no_flush, file_close, 256 },
	[GRACE_RK_LOG] = { log_open, log_write, no_flush, log_close, 256 },
	[GRACE_RK_STDOUT] = { std_open, std_write, no_flush, std_close, 256 },
	[GRACE_RK_STDERR] = { std_open, std_write, no_flush, std_close, 256 },
	[GRACE_RK_FIFO] = { fifo_open, fifo_write, no_flush, fifo_close, 1 },
	[GRACE_RK_EXEC] = { exec_open, exec_write, no_flush, exec_close, 1 },
};

const struct grace_rtarget_ops *
grace_rtarget_ops_for(enum grace_rkind k)
{
	return k == GRACE_RK_NATS ? &grace_rtarget_nats_ops : &ops[k];
}
