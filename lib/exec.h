/* exec.h - run a command as an argv vector, never through a shell: in a
 * fresh temporary working directory (removed afterwards), in its own
 * process group, with a timeout, resource limits and bounded capture of
 * its stdout and stderr. Shared by grace-verify's exec checks and
 * grace-heal's playbook steps.
 *
 * Event data reaches a command only as environment variables or stdin,
 * which the caller builds: nothing here interprets argv or envp.
 *
 * The child's life:
 *   - fork(); in the child only async-signal-safe calls: a new process
 *     group (setpgid), default signal dispositions and an empty signal
 *     mask, stdin (the given bytes, or /dev/null), stdout and stderr on
 *     pipes, every other descriptor closed, chdir into the working
 *     directory, the rlimits, execve().
 *   - A command that cannot be started (not found, not executable) is an
 *     error of grace_exec_run(), not an exit status.
 *   - At the timeout the whole process group gets SIGTERM, and SIGKILL
 *     kill_after_ms later if the command is still there; the child is
 *     reaped. When the command exits on its own, whatever it left
 *     running in its process group is killed (SIGKILL) before it is
 *     reaped, so no check leaves processes behind. (A descendant that
 *     moves to another process group or session escapes this; it is
 *     still cut off from the output pipes once the command has exited
 *     and kill_after_ms have passed.)
 *   - Output beyond max_output bytes per stream is read and thrown
 *     away (counted in out_total/err_total), so a command that prints
 *     100 MB costs max_output bytes of memory.
 *
 * Thread-safe: several threads may run commands at once (every
 * descriptor is opened close-on-exec, so one thread's child never holds
 * another's pipes). SIGPIPE should be ignored by the caller (writing the
 * stdin of a command that exited early then fails with EPIPE, which is
 * not an error); children get the default disposition back.
 */
#ifndef GRACE_EXEC_H
#define GRACE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define GRACE_EXEC_DEFAULT_OUTPUT (64u * 1024)   /* bytes kept per stream */
#define GRACE_EXEC_DEFAULT_KILL_AFTER 500        /* ms from SIGTERM to SIGKILL */

struct grace_exec_opts {
	char *const *argv;       /* argv[0] and the arguments, NULL-terminated;
	                            argv[0] without '/' is searched in the PATH
	                            of envp (or ours), like execvp() */
	char *const *envp;       /* the child's whole environment,
	                            NULL-terminated; NULL: our environment */
	const char *stdin_data;  /* bytes to write to the child's stdin, or
	                            NULL for /dev/null */
	size_t stdin_len;
	int64_t timeout_ms;      /* 0: no timeout */
	int64_t kill_after_ms;   /* SIGTERM to SIGKILL; 0: the default */
	uint64_t cpu_seconds;    /* RLIMIT_CPU; 0: unchanged */
	uint64_t memory_bytes;   /* RLIMIT_AS; 0: unchanged */
	uint64_t max_files;      /* RLIMIT_NOFILE; 0: unchanged */
	size_t max_output;       /* bytes kept per stream; 0: the default */
	const char *tmpdir;      /* where the working directory is made;
	                            NULL: $TMPDIR, else /tmp */
	/* Optional: told the child's pid (also its process group) once it
	 * runs, and again once it is reaped and its working directory
	 * removed, so that a program killed by a signal can take its
	 * commands' process groups with it (and let the directories go). */
	void (*started)(void *arg, int pid);
	void (*ended)(void *arg, int pid);
	void *cb_arg;
};

struct grace_exec_result {
	int exited;              /* 1: exited, with status code */
	int code;                /* exit status, when exited */
	int signal;              /* the signal that ended it, when not exited */
	int timed_out;           /* it was killed at the timeout */
	struct grace_buf out;    /* the first max_output bytes of stdout */
	struct grace_buf err;    /* ... and of stderr */
	uint64_t out_total;      /* bytes written to stdout in all */
	uint64_t err_total;
	double ms;               /* wall time from fork to reaping */
	int cleanup_failed;      /* the working directory could not be removed
	                            entirely (the rest of the result holds) */
};

/* Run the command described by o and wait for it. r is output only
 * (initialise it with grace_exec_result_init(), free it with
 * grace_exec_result_free(), even after a failure).
 * Returns 0 when the command ran, whatever its status (r says how it
 * ended); -1 with e filled when it could not be started: "unable to run
 * 'NAME': No such file or directory" (not found in PATH, or not a file),
 * "...: Permission denied", or a failure to create the working directory,
 * pipes or process (e->code GRACE_EXIT_SYSTEM). */
int grace_exec_run(const struct grace_exec_opts *o,
    struct grace_exec_result *r, struct grace_err *e);

void grace_exec_result_init(struct grace_exec_result *r);
void grace_exec_result_free(struct grace_exec_result *r);

/* Describe how r ended, for messages: "exit 0", "exit 3", "killed by
 * SIGKILL", "timed out after 300ms (killed)". Writes into buf (cap bytes,
 * NUL-terminated) and returns buf. timeout_ms is the limit that applied. */
const char *grace_exec_describe(const struct grace_exec_result *r,
    int64_t timeout_ms, char *buf, size_t cap);

/* Remove the directory tree at path without following symbolic links
 * (directories the command made unreadable are made readable first).
 * Returns 0, or -1 with errno set if something could not be removed. */
int grace_exec_rmtree(const char *path);

#endif
