/* test_exec.c - lib/exec.c: argv commands with timeouts, rlimits, a fresh
 * working directory and bounded capture. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "t.h"

static int
run(struct grace_exec_opts *o, struct grace_exec_result *r,
    struct grace_err *e)
{
	grace_exec_result_init(r);
	return grace_exec_run(o, r, e);
}

int
main(void)
{
	struct grace_exec_opts o;
	struct grace_exec_result r;
	struct grace_err e;
	struct stat st;
	char desc[128], dir[4096];

	signal(SIGPIPE, SIG_IGN);

	{
		char *argv[] = { "echo", "hello", "$(rm -rf /)", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), 0, "echo runs");
		T_STREQ(r.out.p, "hello $(rm -rf /)\n", "argv reaches the command as data");
		T_OK(r.exited && r.code == 0, "exit 0");
		T_STREQ(grace_exec_describe(&r, 0, desc, sizeof desc), "exit 0", "describe exit 0");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), 0, "sh runs");
		T_STREQ(r.out.p, "out\n", "stdout captured");
		T_STREQ(r.err.p, "err\n", "stderr captured apart");
		T_OK(r.exited && r.code == 3, "exit 3");
		grace_exec_result_free(&r);
	}
	{
		/* A relative command, or one in a relative PATH entry, is
		 * the one found from here, though the child runs elsewhere. */
		char tdir[] = "/tmp/grace-test-exec.XXXXXX", old[4096], f[4200];
		char *argv[] = { "./hi.sh", NULL }, *argv2[] = { "hi.sh", NULL };
		char *envp[] = { "PATH=bin:/usr/bin:/bin", NULL };
		FILE *fp;

		T_OK(mkdtemp(tdir) && getcwd(old, sizeof old) && chdir(tdir) == 0,
		    "a scratch directory");
		T_OK(mkdir("bin", 0755) == 0, "bin");
		snprintf(f, sizeof f, "hi.sh");
		T_OK((fp = fopen(f, "w")) && fputs("#!/bin/sh\necho here\n", fp) >= 0 &&
		    fclose(fp) == 0 && chmod(f, 0755) == 0, "./hi.sh");
		T_OK((fp = fopen("bin/hi.sh", "w")) && fputs("#!/bin/sh\necho bin\n", fp) >= 0 &&
		    fclose(fp) == 0 && chmod("bin/hi.sh", 0755) == 0, "bin/hi.sh");
		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), 0, "./hi.sh runs");
		T_STREQ(r.out.p, "here\n", "the ./hi.sh of the caller's directory");
		grace_exec_result_free(&r);
		o.argv = argv2;
		o.envp = envp;
		T_INTEQ(run(&o, &r, &e), 0, "hi.sh in PATH=bin runs");
		T_STREQ(r.out.p, "bin\n", "the bin/hi.sh of the caller's directory");
		grace_exec_result_free(&r);
		T_OK(unlink("bin/hi.sh") == 0 && rmdir("bin") == 0 && unlink("hi.sh") == 0 &&
		    chdir(old) == 0 && rmdir(tdir) == 0, "scratch removed");
	}
	{
		char *argv[] = { "no-such-command-grace", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), -1, "a missing command is an error");
		T_STREQ(e.msg, "unable to run 'no-such-command-grace': No such file or directory", "its message");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "/nonexistent/cmd", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), -1, "a missing path is an error");
		T_STREQ(e.msg, "unable to run '/nonexistent/cmd': No such file or directory", "reported by the child");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "cat", NULL };
		static const char data[] = "line one\n'quoted' `tick` $HOME\n";

		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.stdin_data = data;
		o.stdin_len = sizeof data - 1;
		T_INTEQ(run(&o, &r, &e), 0, "cat runs");
		T_STREQ(r.out.p, data, "stdin bytes reach the command");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "printf '%s' \"$X\"", NULL };
		char *envp[] = { "X=a b\nc", "PATH=/usr/bin:/bin", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.envp = envp;
		T_INTEQ(run(&o, &r, &e), 0, "sh with an environment");
		T_STREQ(r.out.p, "a b\nc", "the environment given is the child's");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "pwd; touch junk; mkdir -p d/e; chmod 000 d", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), 0, "pwd runs");
		snprintf(dir, sizeof dir, "%.*s", (int)(r.out.len ? r.out.len - 1 : 0), r.out.p);
		T_OK(strstr(dir, "/grace-exec.") != NULL, "a fresh working directory (%s)", dir);
		T_OK(stat(dir, &st) < 0, "removed afterwards, unreadable subdirectory and all");
		T_INTEQ(r.cleanup_failed, 0, "cleanup reported as done");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "trap '' TERM; sleep 5 & sleep 5; wait", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.timeout_ms = 200;
		o.kill_after_ms = 100;
		T_INTEQ(run(&o, &r, &e), 0, "a hanging command");
		T_INTEQ(r.timed_out, 1, "timed out");
		T_OK(!r.exited && r.signal == SIGKILL, "killed with SIGKILL after ignoring SIGTERM (signal %d)", r.signal);
		T_OK(r.ms < 3000, "did not wait for the sleeps (%.0f ms)", r.ms);
		T_STREQ(grace_exec_describe(&r, 200, desc, sizeof desc), "timed out after 200ms (killed)", "describe timeout");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "head -c 10000000 /dev/zero; echo tail >&2", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.max_output = 1000;
		T_INTEQ(run(&o, &r, &e), 0, "a loud command");
		T_INTEQ(r.out.len, 1000, "stdout kept to the limit");
		T_INTEQ(r.out_total, 10000000, "every byte counted");
		T_STREQ(r.err.p, "tail\n", "stderr still read");
		grace_exec_result_free(&r);
	}
	/* valgrind keeps descriptors of its own and refuses a lower
	 * RLIMIT_NOFILE in the child it still runs (until execve). */
	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "vgpreload")) {
		char *argv[] = { "sh", "-c", "exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.max_files = 5;
		T_INTEQ(run(&o, &r, &e), 0, "open files limited");
		T_OK(r.exited && r.code != 0, "opening a sixth file fails (exit %d)", r.code);
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "kill -SEGV $$", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		T_INTEQ(run(&o, &r, &e), 0, "a crashing command");
		T_STREQ(grace_exec_describe(&r, 0, desc, sizeof desc), "killed by SIGSEGV", "describe a signal");
		grace_exec_result_free(&r);
	}
	{
		char *argv[] = { "sh", "-c", "sleep 3 & echo started", NULL };

		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.timeout_ms = 5000;
		T_INTEQ(run(&o, &r, &e), 0, "a command leaving a background job");
		T_OK(r.exited && r.code == 0 && r.ms < 2500, "returns when the command exits, the job killed (%.0f ms)", r.ms);
		grace_exec_result_free(&r);
	}
	return T_DONE();
}
