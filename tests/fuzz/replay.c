/* replay.c - run a libFuzzer harness over files without libFuzzer.
 *
 *   fuzz_NAME [FILE | DIR]...
 *
 * Linked by the normal build (gcc, the build's sanitizer flags) with one
 * tests/fuzz/fuzz_NAME.c, it calls LLVMFuzzerInitialize() once if the
 * harness defines it, then LLVMFuzzerTestOneInput() on the bytes of each
 * FILE, and of each file in each DIR (not recursing; hidden files are
 * skipped), each copied into a buffer of exactly its size so that the
 * sanitizers see a read past the end. This is how `make check` replays
 * tests/fuzz/regress/ and tests/fuzz/corpus/ with no clang.
 *
 * Prints "N inputs" on stdout at the end and exits 0. If an input
 * crashes the harness (abort, a sanitizer report, a signal) its path is
 * written to stderr before the process dies. Exit 2 for a file that
 * cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#include <sanitizer/common_interface_defs.h>
#define HAVE_DEATH_CALLBACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define HAVE_DEATH_CALLBACK 1
#endif
#endif

/* Weak: a harness without set-up leaves it NULL. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static const char *current; /* the input being run, for the crash note */

static void
say_current(void)
{
	if (current) {
		static const char a[] = "replay: crashed on input: ";

		(void)!write(2, a, sizeof a - 1);
		(void)!write(2, current, strlen(current));
		(void)!write(2, "\n", 1);
	}
}

static void
on_signal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read path whole into a buffer of exactly its size. Returns 0 or -1. */
static int
slurp(const char *path, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *p = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *q = realloc(p, cap = cap ? 2 * cap : 4096);

			if (!q) {
				free(p);
				close(fd);
				errno = ENOMEM;
				return -1;
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			free(p);
			close(fd);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	/* An exact-size copy: malloc(0) may return NULL, keep a valid
	 * pointer for empty inputs. */
	*out = malloc(n ? n : 1);
	if (!*out) {
		free(p);
		errno = ENOMEM;
		return -1;
	}
	if (n)
		memcpy(*out, p, n);
	free(p);
	*len = n;
	return 0;
}

static int
run_one(const char *path, unsigned long *count)
{
	uint8_t *data;
	size_t len;

	if (slurp(path, &data, &len) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	current = path;
	LLVMFuzzerTestOneInput(data, len);
	current = NULL;
	free(data);
	(*count)++;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order (so runs are repeatable). */
static int
run_dir(const char *dir, unsigned long *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **q = realloc(names, (cap = cap ? 2 * cap : 64) *
			    sizeof *names);

			if (!q) {
				rc = -1;
				break;
			}
			names = q;
		}
		if (!(names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2))) {
			rc = -1;
			break;
		}
		sprintf(names[n++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (rc < 0)
		fprintf(stderr, "replay: %s: out of memory\n", dir);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    run_one(names[i], count) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned long count = 0;
	int i;

	/* A harness's abort() (a broken promise) is ours to report. Faults
	 * are the sanitizers' when they are linked in (their report, then
	 * the death callback); otherwise ours, on a stack of their own so
	 * that a stack overflow is reported too. */
	signal(SIGABRT, on_signal);
#ifdef HAVE_DEATH_CALLBACK
	__sanitizer_set_death_callback(say_current);
#else
	{
		static char altstack[64 * 1024];
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
		struct sigaction sa;
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
		size_t k;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		sigaltstack(&ss, NULL);
		for (k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
			sigaction(sigs[k], &sa, NULL);
	}
#endif
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		if ((S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) :
		    run_one(argv[i], &count)) < 0)
			return 2;
	}
	printf("%lu input%s\n", count, count == 1 ? "" : "s");
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 4;
}
