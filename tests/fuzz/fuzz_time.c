/* fuzz_time.c - RFC 3339 times and durations (lib/timeutil.h).
 *
 * A duration that parses must format to text that parses back to the
 * same milliseconds. A time that parses must format (when its year is
 * 0000..9999) to text that parses back to the same instant, to the
 * microsecond; and it must agree with timegm() on the calendar fields. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "timeutil.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct grace_err e;
	struct timespec ts;
	int64_t ms;

	if (grace_duration_parse(s, size, &ms, &e) == 0) {
		char out[GRACE_DURATION_LEN];
		int64_t back;
		int n = grace_duration_format(ms, out, sizeof out);

		if (ms < 0 || n < 0 || (size_t)n != strlen(out))
			abort();
		if (grace_duration_parse(out, (size_t)n, &back, &e) != 0 ||
		    back != ms)
			abort();
	}
	if (grace_time_parse(s, size, &ts, &e) == 0) {
		char out[GRACE_TIME_LEN];
		struct grace_timefmt c = {0};
		struct timespec back;

		if (ts.tv_nsec < 0 || ts.tv_nsec > 999999999)
			abort();
		if (grace_time_format(&c, &ts, out) == 0) {
			if (strlen(out) != GRACE_TIME_LEN - 1)
				abort();
			if (grace_time_parse(out, strlen(out), &back, &e) != 0 ||
			    back.tv_sec != ts.tv_sec ||
			    back.tv_nsec != ts.tv_nsec / 1000 * 1000)
				abort();
			/* The cached second must give the same text. */
			{
				char again[GRACE_TIME_LEN];

				if (grace_time_format(&c, &ts, again) != 0 ||
				    strcmp(again, out) != 0)
					abort();
			}
		}
	}
	return 0;
}
