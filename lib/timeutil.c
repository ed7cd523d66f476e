/* timeutil.c - RFC 3339 timestamps and durations, pure UTC arithmetic.
 *
 * The calendar conversions are Howard Hinnant's days_from_civil() and
 * civil_from_days() (public domain): exact for every proleptic Gregorian
 * date, no table, no TZ, no locks (glibc's gmtime_r takes the tz lock).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "timeutil.h"

#define SNIP_MAX 64

/* Days since 1970-01-01 of the date y-m-d (m 1..12, d 1..31). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of days_from_civil(). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Write v as exactly w decimal digits at p. */
static void
put_digits(char *p, unsigned long v, int w)
{
	while (w-- > 0) {
		p[w] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Seconds of 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z. */
#define SEC_MIN (-62167219200LL)
#define SEC_END (253402300800LL)

void
grace_timefmt_init(struct grace_timefmt *c)
{
	memset(c, 0, sizeof *c);
}

static void
fill_prefix(char p[20], int64_t sec)
{
	int64_t days = sec / 86400, rem = sec % 86400, y;
	unsigned m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	put_digits(p, (unsigned long)y, 4);
	p[4] = '-';
	put_digits(p + 5, m, 2);
	p[7] = '-';
	put_digits(p + 8, d, 2);
	p[10] = 'T';
	put_digits(p + 11, (unsigned long)(rem / 3600), 2);
	p[13] = ':';
	put_digits(p + 14, (unsigned long)(rem / 60 % 60), 2);
	p[16] = ':';
	put_digits(p + 17, (unsigned long)(rem % 60), 2);
	p[19] = '\0';
}

int
grace_time_format(struct grace_timefmt *cache, const struct timespec *ts,
    char out[GRACE_TIME_LEN])
{
	struct grace_timefmt local;

	out[0] = '\0';
	if (ts->tv_sec < SEC_MIN || ts->tv_sec >= SEC_END ||
	    ts->tv_nsec < 0 || ts->tv_nsec > 999999999L)
		return -1;
	if (!cache) {
		cache = &local;
		cache->valid = 0;
	}
	if (!cache->valid || cache->sec != ts->tv_sec) {
		fill_prefix(cache->prefix, (int64_t)ts->tv_sec);
		cache->sec = ts->tv_sec;
		cache->valid = 1;
	}
	memcpy(out, cache->prefix, 19);
	out[19] = '.';
	put_digits(out + 20, (unsigned long)ts->tv_nsec / 1000, 6);
	out[26] = 'Z';
	out[27] = '\0';
	return 0;
}

int
grace_time_now(struct grace_timefmt *cache, char out[GRACE_TIME_LEN])
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
		out[0] = '\0';
		return -1;
	}
	return grace_time_format(cache, &ts, out);
}

/* Copy s[0..n) into buf for an error message: control and non-ASCII
 * bytes as \xNN, cut after SNIP_MAX bytes with "...". */
static const char *
snip(const char *s, size_t n, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && i < SNIP_MAX && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < n && o + 4 <= cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int
time_err(struct grace_err *e, const char *s, size_t n, const char *why)
{
	char b[SNIP_MAX * 4 + 8];

	grace_err_set(e, NULL, 0, 0, "invalid RFC 3339 time '%s': %s",
	    snip(s, n, b, sizeof b), why);
	if (e)
		e->code = GRACE_EXIT_INPUT;
	return -1;
}

static int
time_range_err(struct grace_err *e, const char *s, size_t n,
    const char *what, unsigned v)
{
	char why[96];

	snprintf(why, sizeof why, "%s %02u out of range", what, v);
	return time_err(e, s, n, why);
}

/* Read exactly w digits at s+*i (bounded by n) into *v. */
static int
digits(const char *s, size_t n, size_t *i, int w, unsigned *v)
{
	unsigned x = 0;
	int k;

	if (n - *i < (size_t)w)
		return -1;
	for (k = 0; k < w; k++) {
		char c = s[*i + (size_t)k];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (unsigned)(c - '0');
	}
	*i += (size_t)w;
	*v = x;
	return 0;
}

static int
lit(const char *s, size_t n, size_t *i, char c1, char c2)
{
	if (*i < n && (s[*i] == c1 || s[*i] == c2)) {
		(*i)++;
		return 0;
	}
	return -1;
}

int
grace_time_parse(const char *s, size_t n, struct timespec *out,
    struct grace_err *e)
{
	static const char form[] =
	    "expected YYYY-MM-DDTHH:MM:SS[.frac] then Z or +HH:MM/-HH:MM";
	unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	long nsec = 0;
	int sign = 0, nd = 0;
	size_t i = 0;
	int64_t t;

	if (digits(s, n, &i, 4, &y) || lit(s, n, &i, '-', '-') ||
	    digits(s, n, &i, 2, &mo) || lit(s, n, &i, '-', '-') ||
	    digits(s, n, &i, 2, &d) || lit(s, n, &i, 'T', 't') ||
	    digits(s, n, &i, 2, &h) || lit(s, n, &i, ':', ':') ||
	    digits(s, n, &i, 2, &mi) || lit(s, n, &i, ':', ':') ||
	    digits(s, n, &i, 2, &sec))
		return time_err(e, s, n, form);
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (nd < 9) {
				nsec = nsec * 10 + (s[i] - '0');
				nd++;
			}
			i++;
		}
		if (nd == 0)
			return time_err(e, s, n,
			    "expected digits after the decimal point");
		while (nd++ < 9)
			nsec *= 10;
	}
	if (lit(s, n, &i, 'Z', 'z') == 0) {
		;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i++] == '-' ? -1 : 1;
		if (digits(s, n, &i, 2, &oh) || lit(s, n, &i, ':', ':') ||
		    digits(s, n, &i, 2, &om))
			return time_err(e, s, n,
			    "expected an offset of the form +HH:MM or -HH:MM");
	} else {
		return time_err(e, s, n, i < n ?
		    "expected Z or an offset +HH:MM/-HH:MM after the time" :
		    "missing time zone: expected Z or +HH:MM/-HH:MM");
	}
	if (i != n)
		return time_err(e, s, n,
		    "unexpected characters after the time");
	if (mo < 1 || mo > 12)
		return time_range_err(e, s, n, "month", mo);
	if (d < 1 || d > days_in_month(y, mo)) {
		char why[96];
		snprintf(why, sizeof why, "day %02u out of range for %04u-%02u",
		    d, y, mo);
		return time_err(e, s, n, why);
	}
	if (h > 23)
		return time_range_err(e, s, n, "hour", h);
	if (mi > 59)
		return time_range_err(e, s, n, "minute", mi);
	if (sec > 60)
		return time_range_err(e, s, n, "second", sec);
	if (oh > 23)
		return time_range_err(e, s, n, "offset hour", oh);
	if (om > 59)
		return time_range_err(e, s, n, "offset minute", om);
	t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	    (int64_t)mi * 60 + sec;
	t -= sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
	out->tv_sec = (time_t)t;
	out->tv_nsec = nsec;
	return 0;
}

/* Units of grace_duration_parse(), largest first: the order they must
 * appear in. */
static const struct {
	const char *name;
	int64_t ms;
} units[] = {
	{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	{ "ms", 1 },
};
#define NUNITS (sizeof units / sizeof units[0])

/* Fill e with "<pre>'<s>'<post>" (s quoted and cut by snip()). */
static int
dur_err(struct grace_err *e, const char *s, size_t n, const char *pre,
    const char *post)
{
	char b[SNIP_MAX * 4 + 8];

	grace_err_set(e, NULL, 0, 0, "%s'%s'%s", pre, snip(s, n, b, sizeof b),
	    post);
	if (e)
		e->code = GRACE_EXIT_USAGE;
	return -1;
}

int
grace_duration_parse(const char *s, size_t n, int64_t *ms,
    struct grace_err *e)
{
	int64_t total = 0;
	size_t i = 0, next_unit = 0;

	if (n == 0) {
		grace_err_set(e, NULL, 0, 0,
		    "empty duration: expected e.g. 250ms, 30s, 5m or 1h30m");
		if (e)
			e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (s[0] == '-')
		return dur_err(e, s, n, "negative duration ", "");
	while (i < n) {
		int64_t whole = 0, frac = 0, scale = 1, part;
		size_t u, ulen;
		int ndig = 0;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			int dig = s[i++] - '0';
			if (whole > (INT64_MAX - dig) / 10)
				return dur_err(e, s, n, "duration ",
				    " is too large");
			whole = whole * 10 + dig;
			ndig++;
		}
		if (i < n && s[i] == '.') {
			size_t fstart = ++i, fend;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == fstart || ndig == 0)
				return dur_err(e, s, n, "invalid duration ",
				    ": expected digits on both sides of '.'");
			/* Trailing zeros change nothing. */
			for (fend = i; s[fend - 1] == '0'; fend--)
				;
			if (fend - fstart > 9)
				return dur_err(e, s, n, "duration ",
				    " is not a whole number of milliseconds");
			for (; fstart < fend; fstart++) {
				frac = frac * 10 + (s[fstart] - '0');
				scale *= 10;
			}
		}
		if (ndig == 0)
			return dur_err(e, s, n, "invalid duration ",
			    ": expected a number (like 30s or 1h30m)");
		if (i == n) {
			char b[SNIP_MAX * 4 + 8];
			snip(s, n, b, sizeof b);
			if (next_unit == 0)
				grace_err_set(e, NULL, 0, 0, "missing unit in "
				    "duration '%s': use %ss", b, b);
			else
				grace_err_set(e, NULL, 0, 0, "missing unit "
				    "after the last number in duration '%s'",
				    b);
			if (e)
				e->code = GRACE_EXIT_USAGE;
			return -1;
		}
		for (ulen = 0; i + ulen < n && s[i + ulen] >= 'a' &&
		    s[i + ulen] <= 'z'; ulen++)
			;
		for (u = 0; u < NUNITS; u++)
			if (strlen(units[u].name) == ulen &&
			    memcmp(units[u].name, s + i, ulen) == 0)
				break;
		if (u == NUNITS) {
			char b[SNIP_MAX * 4 + 8], ub[SNIP_MAX * 4 + 8];
			snip(s + i, ulen ? ulen : 1, ub, sizeof ub);
			snip(s, n, b, sizeof b);
			grace_err_set(e, NULL, 0, 0, "unknown unit '%s' in "
			    "duration '%s' (use ms, s, m, h or d)", ub, b);
			if (e)
				e->code = GRACE_EXIT_USAGE;
			return -1;
		}
		if (u < next_unit)
			return dur_err(e, s, n, "units repeated or out of "
			    "order in duration ", " (write d, h, m, s, ms in "
			    "that order)");
		next_unit = u + 1;
		i += ulen;
		if (frac * units[u].ms % scale != 0)
			return dur_err(e, s, n, "duration ",
			    " is not a whole number of milliseconds");
		part = frac * units[u].ms / scale;
		if (whole > (INT64_MAX - part) / units[u].ms)
			return dur_err(e, s, n, "duration ", " is too large");
		part += whole * units[u].ms;
		if (total > INT64_MAX - part)
			return dur_err(e, s, n, "duration ", " is too large");
		total += part;
	}
	*ms = total;
	return 0;
}

int
grace_duration_format(int64_t ms, char *out, size_t cap)
{
	char buf[GRACE_DURATION_LEN];
	size_t u, o = 0;

	if (cap > 0)
		out[0] = '\0';
	if (ms < 0)
		return -1;
	if (ms == 0) {
		memcpy(buf, "0s", 3);
		o = 2;
	}
	for (u = 0; u < NUNITS && ms > 0; u++) {
		int64_t q = ms / units[u].ms;
		if (q == 0)
			continue;
		ms -= q * units[u].ms;
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%lld%s",
		    (long long)q, units[u].name);
	}
	if (o + 1 > cap)
		return -1;
	memcpy(out, buf, o + 1);
	return (int)o;
}

double
grace_mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}
