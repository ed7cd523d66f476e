/* timeutil.h - RFC 3339 timestamps and human durations ("1h30m").
 *
 * Everything here is UTC arithmetic on the proleptic Gregorian calendar:
 * nothing reads TZ, the locale or any global state, so every function is
 * safe to call from several threads at once (each with its own cache).
 */
#ifndef GRACE_TIMEUTIL_H
#define GRACE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* Size of a formatted time: "2026-11-21T23:50:35.123456Z" (27) + NUL. */
#define GRACE_TIME_LEN 28
/* Enough for any grace_duration_format() output plus NUL
 * ("106751991167d7h12m55s807ms" is the longest, 26 chars). */
#define GRACE_DURATION_LEN 32

/* Caller-owned cache for grace_time_format(): remembers the text of the
 * last whole second so that the calendar arithmetic runs only when the
 * second changes. Initialise with `struct grace_timefmt c = {0};` or
 * grace_timefmt_init(). One per thread; never shared without a lock. */
struct grace_timefmt {
	time_t sec;       /* the second prefix[] holds */
	int valid;        /* 0 until prefix[] has been filled */
	char prefix[20];  /* "YYYY-MM-DDTHH:MM:SS" + NUL */
};

/* Reset c to the empty state (same as = {0}). */
void grace_timefmt_init(struct grace_timefmt *c);

/* Format ts as UTC "YYYY-MM-DDTHH:MM:SS.uuuuuuZ": always exactly 27 chars
 * plus a NUL in out. Nanoseconds are truncated to microseconds. cache may
 * be NULL (then nothing is remembered). Returns 0; or -1, leaving out as
 * the empty string, if the year falls outside 0000..9999 or tv_nsec is
 * outside 0..999999999. */
int grace_time_format(struct grace_timefmt *cache, const struct timespec *ts,
    char out[GRACE_TIME_LEN]);

/* grace_time_format() of clock_gettime(CLOCK_REALTIME). Returns 0 or -1
 * (clock failure or year out of range; out is then ""). */
int grace_time_now(struct grace_timefmt *cache, char out[GRACE_TIME_LEN]);

/* Parse the n bytes at s (need not be NUL-terminated) as a strict RFC 3339
 * date-time: YYYY-MM-DD('T'|'t')HH:MM:SS[.fraction]('Z'|'z'|('+'|'-')HH:MM).
 * The fraction may have any number of digits; nanoseconds are kept, the
 * rest truncated. Month, day (leap years included), hour, minute, second
 * (00..60) and offset (00..23:00..59) are range-checked. A leap second
 * (:60) is accepted and normalised to the following second, as timegm()
 * does; "-00:00" means UTC. Nothing else is accepted: no space instead of
 * 'T', no missing offset, no surrounding blanks.
 * Returns 0 with *out set to the UTC instant, or -1 with e filled as
 * "invalid RFC 3339 time '<s>': <reason>" (no file or position: the caller
 * knows where s came from and may overwrite them), e->code
 * GRACE_EXIT_INPUT. e may be NULL. */
int grace_time_parse(const char *s, size_t n, struct timespec *out,
    struct grace_err *e);

/* Parse the n bytes at s as a duration: one or more <number><unit> parts,
 * units "d", "h", "m", "s", "ms", each used at most once and in that
 * order ("1h30m", "250ms", "7d", "1.5s"). A number is digits with an
 * optional fraction; the total must be a whole number of milliseconds.
 * Rejected with an error: the empty string, a sign, blanks, a number
 * without unit ("missing unit in duration '30': use 30s"), an unknown
 * unit, units repeated or out of order, a total above INT64_MAX ms.
 * Returns 0 with *ms set, or -1 with e filled (no position; e->code
 * GRACE_EXIT_USAGE, since durations come from configuration). e may be
 * NULL. */
int grace_duration_parse(const char *s, size_t n, int64_t *ms,
    struct grace_err *e);

/* Write ms in the form grace_duration_parse() reads back, whole units
 * only, largest first, zero parts left out: 5400000 -> "1h30m", 250 ->
 * "250ms", 1500 -> "1s500ms", 0 -> "0s". Returns the length written
 * (without the NUL), or -1 if ms < 0 or cap is too small (out is then ""
 * when cap > 0). GRACE_DURATION_LEN is always enough. */
int grace_duration_format(int64_t ms, char *out, size_t cap);

/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC), for measuring
 * how long something took; not a time of day. */
double grace_mono_ms(void);

#endif
