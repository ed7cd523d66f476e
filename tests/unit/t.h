/* t.h - a tiny TAP-style checker for the C unit tests of lib/.
 * Each test binary prints "ok N - what" / "not ok N - what" lines and a
 * final "1..N"; it exits 1 if any check failed.  tests/lib.bats runs them. */
#ifndef GRACE_T_H
#define GRACE_T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_failed;

#define T_OK(cond, ...) do { \
	int t_ok = !!(cond); \
	t_n++; \
	if (t_ok) { printf("ok %d - ", t_n); } \
	else { t_failed++; printf("not ok %d - ", t_n); } \
	printf(__VA_ARGS__); printf("\n"); \
	if (!t_ok) printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
} while (0)

#define T_STREQ(got, want, ...) do { \
	const char *t_g = (got), *t_w = (want); \
	int t_c = t_g && t_w && strcmp(t_g, t_w) == 0; \
	T_OK(t_c, __VA_ARGS__); \
	if (!t_c) printf("#   got:  %s\n#   want: %s\n", t_g ? t_g : "(null)", t_w ? t_w : "(null)"); \
} while (0)

#define T_INTEQ(got, want, ...) do { \
	long long t_g = (long long)(got), t_w = (long long)(want); \
	T_OK(t_g == t_w, __VA_ARGS__); \
	if (t_g != t_w) printf("#   got:  %lld\n#   want: %lld\n", t_g, t_w); \
} while (0)

/* n scaled by $GRACE_TEST_SCALE (a fraction in (0, 1], default 1), at
 * least 1: the long randomized loops run shorter under valgrind
 * (tests/valgrind.bats), in full everywhere else. */
static inline long
t_scaled(long n)
{
	static double s = -1;
	long r;

	if (s < 0) {
		const char *v = getenv("GRACE_TEST_SCALE");

		s = v ? atof(v) : 1;
		if (!(s > 0 && s <= 1))
			s = 1;
	}
	r = (long)((double)n * s);
	return r < 1 ? 1 : r;
}

#define T_DONE() (printf("1..%d\n", t_n), t_failed ? 1 : 0)

#endif
