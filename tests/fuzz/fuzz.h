/* fuzz.h - what every harness in tests/fuzz/ shares.
 *
 * A harness is tests/fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput()
 * (and, if it needs set-up, LLVMFuzzerInitialize()). The same file is
 * linked two ways: with clang's libFuzzer by `make fuzz`, and with
 * tests/fuzz/replay.c by the normal build, whose binary
 * build/test/fuzz_<name> `make check` runs over the corpus and regress/
 * inputs. A harness never prints; it abort()s when it finds that the
 * library broke a promise (a differential disagreed, a round trip lost
 * bytes), and frees everything it allocated (a leak is a finding).
 */
#ifndef GRACE_FUZZ_H
#define GRACE_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated malloc'd string (the caller frees), for
 * APIs that take C strings; NULL when out of memory. */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		if (size)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* A file holding data[0..size), for loaders that take a path: one memfd
 * per process (slot 0..3 for harnesses that need several files), rewritten
 * on each call, so nothing touches the disk or needs cleaning up. path
 * gets "/proc/self/fd/N". Returns 0, or -1 (the harness then returns). */
static inline int
fuzz_file(int slot, const uint8_t *data, size_t size, char path[64])
{
	static int fds[4] = { -1, -1, -1, -1 };
	size_t off = 0;

	if (slot < 0 || slot > 3)
		return -1;
	if (fds[slot] < 0 && (fds[slot] = memfd_create("grace-fuzz", 0)) < 0)
		return -1;
	if (ftruncate(fds[slot], 0) < 0)
		return -1;
	while (off < size) {
		ssize_t w = pwrite(fds[slot], data + off, size - off, (off_t)off);

		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	/* snprintf is fine here, but keep the header free of stdio. */
	{
		char tmp[16];
		int n = 0, fd = fds[slot];

		do
			tmp[n++] = (char)('0' + fd % 10);
		while ((fd /= 10) && n < 15);
		memcpy(path, "/proc/self/fd/", 14);
		for (int i = 0; i < n; i++)
			path[14 + i] = tmp[n - 1 - i];
		path[14 + n] = '\0';
	}
	return 0;
}

/* A diagnostic is one line of text: abort() if the message of e (filled
 * by a failed call) is empty, holds a control byte (a newline would
 * forge a second diagnostic, an escape would reach the terminal:
 * grace_err_snip() is there to quote input) or is not NUL-terminated
 * within its buffer. */
static inline void
fuzz_check_err(const struct grace_err *e)
{
	size_t i;

	if (!memchr(e->msg, '\0', sizeof e->msg) || !e->msg[0])
		abort();
	for (i = 0; e->msg[i]; i++)
		if ((unsigned char)e->msg[i] < 0x20 || e->msg[i] == 0x7f)
			abort();
	if (!memchr(e->file, '\0', sizeof e->file))
		abort();
}

/* A per-process scratch directory (under $TMPDIR or /tmp, removed at
 * exit with what fuzz_dir_file() put there), for loaders that resolve
 * relative paths from the directory of the file they load. NULL if it
 * cannot be made. */
static char fuzz_dir_[4096];
static char fuzz_dir_names_[8][64];

static inline void
fuzz_dir_cleanup_(void)
{
	char p[4096 + 80];
	int i;

	for (i = 0; i < 8; i++) {
		if (fuzz_dir_names_[i][0]) {
			memcpy(p, fuzz_dir_, strlen(fuzz_dir_));
			p[strlen(fuzz_dir_)] = '/';
			strcpy(p + strlen(fuzz_dir_) + 1, fuzz_dir_names_[i]);
			unlink(p);
		}
	}
	rmdir(fuzz_dir_);
}

static inline const char *
fuzz_dir(void)
{
	if (!fuzz_dir_[0]) {
		const char *t = getenv("TMPDIR");

		if (!t || !*t || strlen(t) > 4000)
			t = "/tmp";
		strcpy(fuzz_dir_, t);
		strcat(fuzz_dir_, "/grace-fuzz-XXXXXX");
		if (!mkdtemp(fuzz_dir_)) {
			fuzz_dir_[0] = '\0';
			return NULL;
		}
		atexit(fuzz_dir_cleanup_);
	}
	return fuzz_dir_;
}

/* Write data[0..size) to the file name (a plain name, under 64 bytes) in
 * fuzz_dir(); path gets its full path. Returns 0 or -1. */
static inline int
fuzz_dir_file(const char *name, const uint8_t *data, size_t size,
    char path[4096 + 80])
{
	const char *d = fuzz_dir();
	size_t off = 0;
	int fd, i, slot = -1;

	if (!d || strlen(name) >= 64)
		return -1;
	for (i = 0; i < 8 && slot < 0; i++)
		if (!fuzz_dir_names_[i][0] || !strcmp(fuzz_dir_names_[i], name))
			slot = i;
	if (slot < 0)
		return -1;
	strcpy(fuzz_dir_names_[slot], name);
	strcpy(path, d);
	strcat(path, "/");
	strcat(path, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

/* Fixed events that config harnesses judge under the configuration they
 * loaded: i-th of fuzz_nevents(), CloudEvents-shaped, with upstream
 * verdicts in some, NULL past the end. Valid JSON objects. */
static inline const char *
fuzz_event(size_t i)
{
	static const char *const ev[] = {
		"{\"id\":\"ok-1\",\"type\":\"deploy.requested\",\"actor\":\"alice\",\"data\":{\"env\":\"prod\",\"signed\":true,\"replicas\":2}}",
		"{\"id\":\"d-4\",\"type\":\"deploy.requested\",\"actor\":\"dave\",\"time\":\"2026-11-21T10:00:00Z\",\"data\":{\"env\":\"prod\",\"signed\":true,\"replicas\":80,\"risk\":\"critical\"}}",
		"{\"id\":\"rev-1\",\"type\":\"resource.delete\",\"actor\":\"agent:x\",\"autonomous\":true,\"data\":{\"env\":\"prod\",\"cmd\":\"ls; rm -rf /\",\"key\":\"AKIAABCDEFGHIJKLMNOP\"}}",
		"{\"type\":\"dns.change\",\"actor\":\"mallory\",\"subject\":\"x\",\"data\":null}",
		"{\"id\":\"e-5\",\"type\":\"deploy.completed\",\"source\":\"ci\",\"data\":{\"error_rate\":0.001,\"replicas_ready\":3,\"replicas_desired\":3,\"anomaly_score\":0.1},\"grace\":{\"gate\":{\"decision\":\"allow\",\"risk\":\"low\",\"rules\":[\"deploy-staging\"]},\"heal\":{\"anomaly\":true,\"severity\":\"high\",\"score\":0.7},\"verify\":{\"status\":\"failed\",\"confidence\":0.9},\"mldl\":{\"score\":0.2},\"learning\":{\"score\":1},\"memory\":{\"verdict\":\"deny\"}}}",
		"{\"id\":\"e-6\",\"type\":\"flag.set\",\"actor\":\"intern\",\"data\":{\"value\":\"caf\\u00e9\",\"n\":1e400},\"grace\":{\"gate\":{\"decision\":\"review\",\"approvals\":{\"needed\":2}},\"verify\":{\"status\":\"bogus\"},\"heal\":7}}",
		"{}",
	};

	return i < sizeof ev / sizeof ev[0] ? ev[i] : NULL;
}

#endif
