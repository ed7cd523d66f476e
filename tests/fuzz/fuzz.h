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

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

#endif
