/* exec.c - run an argv command with a timeout, rlimits, a fresh working
 * directory and bounded output capture (exec.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "timeutil.h"

extern char **environ;

#define CHUNK (64 * 1024)
#define TICK_MS 10          /* how often we look for the exit of a quiet child */
#define RMTREE_DEPTH 256

/* What the child reports on its status pipe when it cannot go on. */
enum { STEP_EXEC = 1, STEP_CHDIR, STEP_RLIMIT, STEP_FDS };

void
grace_exec_result_init(struct grace_exec_result *r)
{
	memset(r, 0, sizeof *r);
}

void
grace_exec_result_free(struct grace_exec_result *r)
{
	grace_buf_free(&r->out);
	grace_buf_free(&r->err);
}

/* The value of PATH in envp (or ours), or the default. */
static const char *
path_of(char *const *envp)
{
	const char *p = NULL;
	size_t i;

	if (envp) {
		for (i = 0; envp[i]; i++)
			if (strncmp(envp[i], "PATH=", 5) == 0)
				p = envp[i] + 5;
	} else {
		p = getenv("PATH");
	}
	return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static char *find_in_path(const char *name, char *const *envp);

/* Find the file to execute for name, as execvp() would, in the parent
 * (the child must not allocate), and make it absolute: the child runs in
 * a fresh working directory, where a relative name (./x, or a relative
 * PATH entry) would not be what was found here. Returns a malloc'd path,
 * or NULL with errno ENOENT (not found), EACCES (found, not executable)
 * or ENOMEM. */
static char *
find_exe(const char *name, char *const *envp)
{
	char *exe = find_in_path(name, envp), *cwd, *abs;

	if (!exe || exe[0] == '/')
		return exe;
	if (!(cwd = getcwd(NULL, 0))) {
		free(exe);
		return NULL;
	}
	abs = malloc(strlen(cwd) + strlen(exe) + 2);
	if (abs)
		sprintf(abs, "%s/%s", cwd, exe);
	free(cwd);
	free(exe);
	return abs;
}

static char *
find_in_path(const char *name, char *const *envp)
{
	const char *path = path_of(envp), *p, *end;
	size_t nlen = strlen(name);
	int saw_eacces = 0;

	if (strchr(name, '/'))
		return strdup(name);
	if (nlen == 0) {
		errno = ENOENT;
		return NULL;
	}
	for (p = path;; p = end + 1) {
		size_t dlen;
		char *cand;
		struct stat st;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		cand = malloc(dlen + nlen + 3);
		if (!cand)
			return NULL;
		if (dlen == 0)
			snprintf(cand, dlen + nlen + 3, "./%s", name);
		else
			snprintf(cand, dlen + nlen + 3, "%.*s/%s", (int)dlen, p,
			    name);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(cand, X_OK) == 0)
				return cand;
			saw_eacces = 1;
		}
		free(cand);
		if (!*end)
			break;
	}
	errno = saw_eacces ? EACCES : ENOENT;
	return NULL;
}

/* rlimit value: what was asked, capped at the hard limit we have. */
static void
limit(struct rlimit *rl, int res, uint64_t want, uint64_t slack)
{
	struct rlimit cur;
	rlim_t w = (rlim_t)want;

	if (getrlimit(res, &cur) < 0) {
		cur.rlim_cur = cur.rlim_max = RLIM_INFINITY;
	}
	rl->rlim_max = w + slack;
	if (cur.rlim_max != RLIM_INFINITY && rl->rlim_max > cur.rlim_max)
		rl->rlim_max = cur.rlim_max;
	rl->rlim_cur = w < rl->rlim_max ? w : rl->rlim_max;
}

struct child_setup {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *dir;
	int in_fd, out_fd, err_fd, status_fd;
	int set_cpu, set_as, set_nofile;
	struct rlimit cpu, as, nofile;
};

static void
child_fail(int fd, int step)
{
	int msg[2];

	msg[0] = step;
	msg[1] = errno;
	if (write(fd, msg, sizeof msg) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(127);
}

/* In the child after fork(): async-signal-safe calls only. */
static void __attribute__((noreturn))
child_run(const struct child_setup *s)
{
	struct sigaction sa;
	sigset_t none;
	int fds[3], i, st = s->status_fd;

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Move the three descriptors above 2 first, so that none is
	 * clobbered by another's dup2 whatever numbers they had. */
	fds[0] = fcntl(s->in_fd, F_DUPFD_CLOEXEC, 10);
	fds[1] = fcntl(s->out_fd, F_DUPFD_CLOEXEC, 10);
	fds[2] = fcntl(s->err_fd, F_DUPFD_CLOEXEC, 10);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
		child_fail(st, STEP_FDS);
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			child_fail(st, STEP_FDS);
	/* Every other descriptor is close-on-exec already; close them now
	 * anyway where the kernel can (not the status pipe). */
#ifdef SYS_close_range
	if (st > 3)
		syscall(SYS_close_range, 3u, (unsigned)st - 1, 0u);
	syscall(SYS_close_range, (unsigned)st + 1, ~0u, 0u);
#endif
	if (chdir(s->dir) < 0)
		child_fail(st, STEP_CHDIR);
	if ((s->set_cpu && setrlimit(RLIMIT_CPU, &s->cpu) < 0) ||
	    (s->set_as && setrlimit(RLIMIT_AS, &s->as) < 0) ||
	    (s->set_nofile && setrlimit(RLIMIT_NOFILE, &s->nofile) < 0))
		child_fail(st, STEP_RLIMIT);
	execve(s->path, s->argv, s->envp);
	child_fail(st, STEP_EXEC);
	_exit(127);
}

/* Read what fd has now into b (kept up to max bytes, the rest counted and
 * dropped). Returns 1 at EOF or on an error (the stream is finished), 0
 * otherwise. */
static int
take(int fd, struct grace_buf *b, uint64_t *total, size_t max, char *chunk)
{
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
		}
		if (n == 0)
			return 1;
		*total += (uint64_t)n;
		if (b->len < max) {
			size_t keep = (size_t)n;

			if (keep > max - b->len)
				keep = max - b->len;
			if (grace_buf_add(b, chunk, keep) < 0)
				max = b->len; /* out of memory: keep what we have */
		}
		if ((size_t)n < CHUNK)
			return 0;
	}
}

static int
rm_at(int dfd, const char *name, int depth)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth > RMTREE_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES &&
	    fchmodat(dfd, name, 0700, 0) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A directory we can list but not change: allow ourselves. */
	fchmod(fd, 0700);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_at(dirfd(d), de->d_name, depth + 1) < 0)
			r = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		r = -1;
	return r;
}

int
grace_exec_rmtree(const char *path)
{
	return rm_at(AT_FDCWD, path, 0);
}

/* Mark the leader dead (it is a zombie, so its process group id cannot
 * be reused yet) and kill whatever is left in its group. */
static int
leader_gone(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

int
grace_exec_run(const struct grace_exec_opts *o, struct grace_exec_result *r,
    struct grace_err *e)
{
	const char *tmp = o->tmpdir;
	size_t max = o->max_output ? o->max_output : GRACE_EXEC_DEFAULT_OUTPUT;
	int64_t kill_after = o->kill_after_ms > 0 ? o->kill_after_ms :
	    GRACE_EXEC_DEFAULT_KILL_AFTER;
	char *dir = NULL, *exe = NULL, *chunk = NULL;
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	int st_p[2] = { -1, -1 }, devnull = -1, ret = -1;
	int out_open, err_open, in_open, dead = 0, status = 0;
	size_t in_off = 0;
	double start, deadline = 0, term_at = 0, drain_until = 0;
	int killed = 0, ended = 0;
	struct child_setup cs;
	pid_t pid;
	int msg[2];
	ssize_t got;

	memset(&cs, 0, sizeof cs);
	if (!o->argv || !o->argv[0])
		return grace_err_set(e, NULL, 0, 0, "no command to run");
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	exe = find_exe(o->argv[0], o->envp);
	if (!exe) {
		grace_err_sys(e, NULL, "unable to run '%s'", o->argv[0]);
		return -1;
	}
	chunk = malloc(CHUNK);
	dir = malloc(strlen(tmp) + 32);
	if (!chunk || !dir) {
		grace_err_sys(e, NULL, "unable to run '%s'", o->argv[0]);
		goto out;
	}
	snprintf(dir, strlen(tmp) + 32, "%s/grace-exec.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		grace_err_sys(e, NULL, "unable to create a working directory "
		    "in %s", tmp);
		free(dir);
		dir = NULL;
		goto out;
	}
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 ||
	    pipe2(st_p, O_CLOEXEC) < 0 ||
	    (o->stdin_data && pipe2(in_p, O_CLOEXEC) < 0) ||
	    (!o->stdin_data &&
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)) {
		grace_err_sys(e, NULL, "unable to run '%s'", o->argv[0]);
		goto out;
	}
	cs.path = exe;
	cs.argv = o->argv;
	cs.envp = o->envp ? o->envp : environ;
	cs.dir = dir;
	cs.in_fd = o->stdin_data ? in_p[0] : devnull;
	cs.out_fd = out_p[1];
	cs.err_fd = err_p[1];
	cs.status_fd = st_p[1];
	if ((cs.set_cpu = o->cpu_seconds > 0))
		limit(&cs.cpu, RLIMIT_CPU, o->cpu_seconds, 1);
	if ((cs.set_as = o->memory_bytes > 0))
		limit(&cs.as, RLIMIT_AS, o->memory_bytes, 0);
	if ((cs.set_nofile = o->max_files > 0))
		limit(&cs.nofile, RLIMIT_NOFILE, o->max_files, 0);
	start = grace_mono_ms();
	pid = fork();
	if (pid < 0) {
		grace_err_sys(e, NULL, "unable to run '%s'", o->argv[0]);
		goto out;
	}
	if (pid == 0)
		child_run(&cs);
	setpgid(pid, pid); /* also here: no window where a kill misses it */
	if (o->started)
		o->started(o->cb_arg, (int)pid);
	close(st_p[1]);
	st_p[1] = -1;
	close(out_p[1]);
	out_p[1] = -1;
	close(err_p[1]);
	err_p[1] = -1;
	if (in_p[0] >= 0) {
		close(in_p[0]);
		in_p[0] = -1;
	}
	do
		got = read(st_p[0], msg, sizeof msg);
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof msg) {
		/* The child could not get to its command. */
		waitpid(pid, NULL, 0);
		ended = (int)pid;
		errno = msg[1];
		if (msg[0] == STEP_EXEC)
			grace_err_sys(e, NULL, "unable to run '%s'", o->argv[0]);
		else if (msg[0] == STEP_RLIMIT)
			grace_err_sys(e, NULL, "unable to set resource limits "
			    "for '%s'", o->argv[0]);
		else
			grace_err_sys(e, NULL, "unable to start '%s'",
			    o->argv[0]);
		goto out;
	}
	/* No pidfd_open(): valgrind does not know it. The pipes' end tells
	 * us when the command is done in the usual case; a short tick covers
	 * a command that closed them, or left a child holding them. */
	fcntl(out_p[0], F_SETFL, O_NONBLOCK);
	fcntl(err_p[0], F_SETFL, O_NONBLOCK);
	out_open = err_open = 1;
	in_open = in_p[1] >= 0;
	if (in_open) {
		fcntl(in_p[1], F_SETFL, O_NONBLOCK);
		if (o->stdin_len == 0) {
			close(in_p[1]);
			in_p[1] = -1;
			in_open = 0;
		}
	}
	if (o->timeout_ms > 0)
		deadline = start + (double)o->timeout_ms;
	for (;;) {
		struct pollfd pf[4];
		int npf = 0, wait_ms = -1, i_out = -1, i_err = -1, i_in = -1;
		double now = grace_mono_ms(), next = 0;

		if (!dead && leader_gone(pid)) {
			dead = 1;
			kill(-pid, SIGKILL);
			drain_until = now + (double)kill_after;
			if (in_open) {
				close(in_p[1]);
				in_p[1] = -1;
				in_open = 0;
			}
		}
		if (dead && !out_open && !err_open)
			break;
		if (dead && now >= drain_until)
			break;
		if (!dead && deadline > 0 && !term_at && now >= deadline) {
			r->timed_out = 1;
			kill(-pid, SIGTERM);
			term_at = now;
		}
		if (!dead && term_at && !killed &&
		    now >= term_at + (double)kill_after) {
			kill(-pid, SIGKILL);
			killed = 1;
		}
		/* When to look again. */
		if (dead)
			next = drain_until;
		else if (term_at && !killed)
			next = term_at + (double)kill_after;
		else if (deadline > 0 && !term_at)
			next = deadline;
		if (next > 0)
			wait_ms = (int)(next - now) + 1;
		if (!dead && (wait_ms < 0 || wait_ms > TICK_MS))
			wait_ms = TICK_MS;
		if (out_open) {
			pf[npf].fd = out_p[0];
			pf[npf].events = POLLIN;
			i_out = npf++;
		}
		if (err_open) {
			pf[npf].fd = err_p[0];
			pf[npf].events = POLLIN;
			i_err = npf++;
		}
		if (in_open) {
			pf[npf].fd = in_p[1];
			pf[npf].events = POLLOUT;
			i_in = npf++;
		}
		if (poll(pf, (nfds_t)npf, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (i_out >= 0 && pf[i_out].revents &&
		    take(out_p[0], &r->out, &r->out_total, max, chunk)) {
			close(out_p[0]);
			out_p[0] = -1;
			out_open = 0;
		}
		if (i_err >= 0 && pf[i_err].revents &&
		    take(err_p[0], &r->err, &r->err_total, max, chunk)) {
			close(err_p[0]);
			err_p[0] = -1;
			err_open = 0;
		}
		if (i_in >= 0 && pf[i_in].revents) {
			ssize_t w = write(in_p[1], o->stdin_data + in_off,
			    o->stdin_len - in_off);

			if (w > 0)
				in_off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    in_off == o->stdin_len) {
				close(in_p[1]);
				in_p[1] = -1;
				in_open = 0;
			}
		}
	}
	if (!dead)
		kill(-pid, SIGKILL); /* we stopped waiting: nothing survives */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ended = (int)pid;
	r->ms = grace_mono_ms() - start;
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signal = WTERMSIG(status);
	}
	ret = 0;
out:
	if (devnull >= 0)
		close(devnull);
	for (int i = 0; i < 2; i++) {
		if (in_p[i] >= 0)
			close(in_p[i]);
		if (out_p[i] >= 0)
			close(out_p[i]);
		if (err_p[i] >= 0)
			close(err_p[i]);
		if (st_p[i] >= 0)
			close(st_p[i]);
	}
	if (dir && grace_exec_rmtree(dir) < 0)
		r->cleanup_failed = 1;
	if (ended && o->ended)
		o->ended(o->cb_arg, ended);
	if (ret < 0 && e)
		e->code = GRACE_EXIT_SYSTEM;
	free(dir);
	free(exe);
	free(chunk);
	return ret;
}

const char *
grace_exec_describe(const struct grace_exec_result *r, int64_t timeout_ms,
    char *buf, size_t cap)
{
	if (r->timed_out) {
		char d[GRACE_DURATION_LEN];

		if (grace_duration_format(timeout_ms, d, sizeof d) < 0)
			snprintf(d, sizeof d, "?");
		snprintf(buf, cap, "timed out after %s (killed)", d);
	} else if (r->exited) {
		snprintf(buf, cap, "exit %d", r->code);
	} else {
		const char *name = sigabbrev_np(r->signal);

		if (name)
			snprintf(buf, cap, "killed by SIG%s", name);
		else
			snprintf(buf, cap, "killed by signal %d", r->signal);
	}
	return buf;
}
