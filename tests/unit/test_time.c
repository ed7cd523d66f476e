/* test_time.c - lib/timeutil: RFC 3339 format/parse and durations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "t.h"
#include "timeutil.h"

static void
test_format(void)
{
	struct grace_timefmt c = {0};
	struct timespec ts;
	char out[GRACE_TIME_LEN];

	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	T_INTEQ(grace_time_format(&c, &ts, out), 0, "format epoch");
	T_STREQ(out, "1970-01-01T00:00:00.000000Z", "epoch text");
	T_INTEQ(strlen(out), 27, "always 27 chars");

	ts.tv_sec = 1795305035; /* 2026-11-21T23:50:35Z */
	ts.tv_nsec = 123456789;
	T_INTEQ(grace_time_format(&c, &ts, out), 0, "format 2026");
	T_STREQ(out, "2026-11-21T23:50:35.123456Z", "ns truncated to us");
	ts.tv_nsec = 999999999;
	grace_time_format(&c, &ts, out);
	T_STREQ(out, "2026-11-21T23:50:35.999999Z", "same second, cached");
	T_INTEQ(c.sec, 1795305035, "cache remembers the second");
	ts.tv_sec++;
	ts.tv_nsec = 1000;
	grace_time_format(&c, &ts, out);
	T_STREQ(out, "2026-11-21T23:50:36.000001Z", "next second refreshed");

	/* cache NULL works too */
	ts.tv_sec = 951782400; /* 2000-02-29 */
	ts.tv_nsec = 0;
	T_INTEQ(grace_time_format(NULL, &ts, out), 0, "no cache");
	T_STREQ(out, "2000-02-29T00:00:00.000000Z", "leap day 2000");

	ts.tv_sec = -1;
	ts.tv_nsec = 500000000;
	grace_time_format(&c, &ts, out);
	T_STREQ(out, "1969-12-31T23:59:59.500000Z", "before the epoch");

	ts.tv_sec = -62167219200LL; /* 0000-01-01 */
	ts.tv_nsec = 0;
	T_INTEQ(grace_time_format(&c, &ts, out), 0, "year 0000 ok");
	T_STREQ(out, "0000-01-01T00:00:00.000000Z", "year 0000 text");
	ts.tv_sec = 253402300799LL;
	T_INTEQ(grace_time_format(&c, &ts, out), 0, "year 9999 ok");
	T_STREQ(out, "9999-12-31T23:59:59.000000Z", "last second of 9999");
	ts.tv_sec++;
	T_INTEQ(grace_time_format(&c, &ts, out), -1, "year 10000 refused");
	T_STREQ(out, "", "out empty on error");
	ts.tv_sec = -62167219201LL;
	T_INTEQ(grace_time_format(&c, &ts, out), -1, "year -1 refused");
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000000;
	T_INTEQ(grace_time_format(&c, &ts, out), -1, "tv_nsec 1e9 refused");

	/* agree with gmtime_r on many seconds */
	{
		int bad = 0, i;
		struct grace_timefmt c2;
		char want[64];
		struct tm tm;
		grace_timefmt_init(&c2);
		srand(7);
		for (i = 0; i < 200000; i++) {
			ts.tv_sec = (time_t)(((int64_t)rand() << 16 ^ rand()) %
			    253402300800LL);
			if (i & 1)
				ts.tv_sec = -ts.tv_sec % 62167219200LL;
			ts.tv_nsec = (long)(rand() % 1000000000);
			gmtime_r(&ts.tv_sec, &tm);
			snprintf(want, sizeof want,
			    "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			    tm.tm_hour, tm.tm_min, tm.tm_sec,
			    ts.tv_nsec / 1000);
			if (grace_time_format(&c2, &ts, out) != 0 ||
			    strcmp(out, want) != 0)
				bad++;
		}
		T_INTEQ(bad, 0, "200000 random times agree with gmtime_r");
	}

	T_INTEQ(grace_time_now(&c, out), 0, "now");
	T_INTEQ(strlen(out), 27, "now is 27 chars");
	T_OK(out[4] == '-' && out[10] == 'T' && out[19] == '.' &&
	    out[26] == 'Z', "now has the RFC 3339 shape: %s", out);
}

/* Parse s, expect success with sec/nsec. */
static void
parse_ok(const char *s, long long sec, long nsec)
{
	struct grace_err e;
	struct timespec ts = { 0, 0 };
	int r;

	grace_err_clear(&e);
	r = grace_time_parse(s, strlen(s), &ts, &e);
	T_OK(r == 0 && ts.tv_sec == sec && ts.tv_nsec == nsec,
	    "parse %s -> %lld.%09ld", s, sec, nsec);
	if (r != 0)
		printf("#   error: %s\n", e.msg);
	else if (ts.tv_sec != sec || ts.tv_nsec != nsec)
		printf("#   got %lld.%09ld\n", (long long)ts.tv_sec,
		    ts.tv_nsec);
}

static void
parse_bad(const char *s, const char *msg)
{
	struct grace_err e;
	struct timespec ts = { 42, 42 };

	grace_err_clear(&e);
	T_INTEQ(grace_time_parse(s, strlen(s), &ts, &e), -1, "reject %s", s);
	T_STREQ(e.msg, msg, "message for %s", s);
	T_INTEQ(e.code, GRACE_EXIT_INPUT, "code for %s", s);
	T_OK(ts.tv_sec == 42 && ts.tv_nsec == 42, "out untouched for %s", s);
}

static void
test_parse(void)
{
	struct timespec ts;
	struct grace_err e;
	char out[GRACE_TIME_LEN];
	struct grace_timefmt c = {0};

	parse_ok("1970-01-01T00:00:00Z", 0, 0);
	parse_ok("2026-11-21T23:50:35.123456Z", 1795305035, 123456000);
	parse_ok("2026-11-21t23:50:35z", 1795305035, 0);
	/* offset crossing midnight (and a year) backwards and forwards */
	parse_ok("2027-01-01T01:30:00+02:00", 1798759800, 0);
	grace_time_parse("2027-01-01T01:30:00+02:00", 25, &ts, &e);
	grace_time_format(&c, &ts, out);
	T_STREQ(out, "2026-12-31T23:30:00.000000Z", "+02:00 crosses back to "
	    "the previous year");
	parse_ok("2026-12-31T22:00:00-05:30", 1798774200, 0);
	grace_time_parse("2026-12-31T22:00:00-05:30", 25, &ts, &e);
	grace_time_format(&c, &ts, out);
	T_STREQ(out, "2027-01-01T03:30:00.000000Z", "-05:30 crosses forward");
	parse_ok("2026-11-21T23:50:35-00:00", 1795305035, 0);
	/* leap days */
	parse_ok("2024-02-29T12:00:00Z", 1709208000, 0);
	parse_ok("2000-02-29T00:00:00Z", 951782400, 0);
	parse_bad("2023-02-29T00:00:00Z", "invalid RFC 3339 time "
	    "'2023-02-29T00:00:00Z': day 29 out of range for 2023-02");
	parse_bad("1900-02-29T00:00:00Z", "invalid RFC 3339 time "
	    "'1900-02-29T00:00:00Z': day 29 out of range for 1900-02");
	parse_bad("2026-04-31T00:00:00Z", "invalid RFC 3339 time "
	    "'2026-04-31T00:00:00Z': day 31 out of range for 2026-04");
	/* fractions: any length, ns kept, rest truncated */
	parse_ok("2026-11-21T23:50:35.5Z", 1795305035, 500000000);
	parse_ok("2026-11-21T23:50:35.000000001Z", 1795305035, 1);
	parse_ok("2026-11-21T23:50:35.1234567899999Z", 1795305035, 123456789);
	/* leap second: normalised to the next second */
	parse_ok("2016-12-31T23:59:60Z", 1483228800, 0);
	parse_ok("0000-01-01T00:00:00Z", -62167219200LL, 0);
	parse_ok("9999-12-31T23:59:59.999999999Z", 253402300799LL, 999999999);

	parse_bad("2026-13-01T00:00:00Z", "invalid RFC 3339 time "
	    "'2026-13-01T00:00:00Z': month 13 out of range");
	parse_bad("2026-00-01T00:00:00Z", "invalid RFC 3339 time "
	    "'2026-00-01T00:00:00Z': month 00 out of range");
	parse_bad("2026-01-00T00:00:00Z", "invalid RFC 3339 time "
	    "'2026-01-00T00:00:00Z': day 00 out of range for 2026-01");
	parse_bad("2026-01-01T24:00:00Z", "invalid RFC 3339 time "
	    "'2026-01-01T24:00:00Z': hour 24 out of range");
	parse_bad("2026-01-01T23:60:00Z", "invalid RFC 3339 time "
	    "'2026-01-01T23:60:00Z': minute 60 out of range");
	parse_bad("2026-01-01T23:59:61Z", "invalid RFC 3339 time "
	    "'2026-01-01T23:59:61Z': second 61 out of range");
	parse_bad("2026-01-01T00:00:00+24:00", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00+24:00': offset hour 24 out of range");
	parse_bad("2026-01-01T00:00:00+01:60", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00+01:60': offset minute 60 out of range");
	parse_bad("2026-01-01T00:00:00", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00': missing time zone: expected Z or "
	    "+HH:MM/-HH:MM");
	parse_bad("2026-01-01 00:00:00Z", "invalid RFC 3339 time "
	    "'2026-01-01 00:00:00Z': expected "
	    "YYYY-MM-DDTHH:MM:SS[.frac] then Z or +HH:MM/-HH:MM");
	parse_bad("2026-1-01T00:00:00Z", "invalid RFC 3339 time "
	    "'2026-1-01T00:00:00Z': expected "
	    "YYYY-MM-DDTHH:MM:SS[.frac] then Z or +HH:MM/-HH:MM");
	parse_bad("2026-01-01T00:00:00.Z", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00.Z': expected digits after the decimal "
	    "point");
	parse_bad("2026-01-01T00:00:00+0100", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00+0100': expected an offset of the form "
	    "+HH:MM or -HH:MM");
	parse_bad("2026-01-01T00:00:00Z ", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00Z ': unexpected characters after the time");
	parse_bad("2026-01-01T00:00:00EST", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00EST': expected Z or an offset "
	    "+HH:MM/-HH:MM after the time");
	parse_bad("", "invalid RFC 3339 time '': expected "
	    "YYYY-MM-DDTHH:MM:SS[.frac] then Z or +HH:MM/-HH:MM");
	parse_bad("2026-01-01T00:00:00Z\t", "invalid RFC 3339 time "
	    "'2026-01-01T00:00:00Z\\x09': unexpected characters after the "
	    "time");

	/* n bounds the input: no NUL needed, nothing read past n */
	grace_err_clear(&e);
	T_INTEQ(grace_time_parse("2026-11-21T23:50:35Zjunk", 20, &ts, &e), 0,
	    "only n bytes are read");
	T_INTEQ(ts.tv_sec, 1795305035, "value from the first n bytes");
	T_INTEQ(grace_time_parse("2026-11-21T23:50:35Z", 19, &ts, &e), -1,
	    "a cut string fails");
	T_INTEQ(grace_time_parse("2026-11-21T23:50:35Z", 19, &ts, NULL), -1,
	    "e may be NULL");

	/* a long value is cut in the message */
	{
		char big[200];
		memset(big, 'x', sizeof big);
		grace_time_parse(big, sizeof big, &ts, &e);
		T_STREQ(e.msg, "invalid RFC 3339 time 'xxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': expected "
		    "YYYY-MM-DDTHH:MM:SS[.frac] then Z or +HH:MM/-HH:MM",
		    "long input cut at 64 bytes");
	}

	/* round trip */
	{
		int bad = 0, i;
		srand(11);
		for (i = 0; i < 100000; i++) {
			struct timespec a, b;
			a.tv_sec = (time_t)(((int64_t)rand() << 16 ^ rand()) %
			    253402300800LL);
			a.tv_nsec = (long)(rand() % 1000000) * 1000;
			if (grace_time_format(&c, &a, out) != 0 ||
			    grace_time_parse(out, 27, &b, &e) != 0 ||
			    a.tv_sec != b.tv_sec || a.tv_nsec != b.tv_nsec)
				bad++;
		}
		T_INTEQ(bad, 0, "100000 format/parse round trips");
	}
}

static void
dur_ok(const char *s, int64_t want)
{
	struct grace_err e;
	int64_t ms = -7;
	int r;

	grace_err_clear(&e);
	r = grace_duration_parse(s, strlen(s), &ms, &e);
	T_OK(r == 0 && ms == want, "duration %s = %lld ms", s,
	    (long long)want);
	if (r)
		printf("#   error: %s\n", e.msg);
	else if (ms != want)
		printf("#   got %lld\n", (long long)ms);
}

static void
dur_bad(const char *s, const char *msg)
{
	struct grace_err e;
	int64_t ms = -7;

	grace_err_clear(&e);
	T_INTEQ(grace_duration_parse(s, strlen(s), &ms, &e), -1,
	    "reject duration '%s'", s);
	T_STREQ(e.msg, msg, "message for '%s'", s);
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "code for '%s'", s);
	T_INTEQ(ms, -7, "ms untouched for '%s'", s);
}

static void
fmt_is(int64_t ms, const char *want)
{
	char out[GRACE_DURATION_LEN];
	int n = grace_duration_format(ms, out, sizeof out);

	T_STREQ(out, want, "format %lld ms", (long long)ms);
	T_INTEQ(n, strlen(want), "length of %s", want);
}

static void
test_duration(void)
{
	char small[4];
	int bad = 0;
	int64_t v, back;
	struct grace_err e;
	char out[GRACE_DURATION_LEN];

	dur_ok("250ms", 250);
	dur_ok("30s", 30000);
	dur_ok("5m", 300000);
	dur_ok("2h", 7200000);
	dur_ok("7d", 604800000);
	dur_ok("1h30m", 5400000);
	dur_ok("1.5s", 1500);
	dur_ok("0.25h", 900000);
	dur_ok("1.500s", 1500);
	dur_ok("0s", 0);
	dur_ok("1d2h3m4s5ms", 93784005);
	dur_ok("9223372036854775807ms", INT64_MAX);
	dur_ok("106751991167d7h12m55s807ms", INT64_MAX);

	dur_bad("", "empty duration: expected e.g. 250ms, 30s, 5m or 1h30m");
	dur_bad("30", "missing unit in duration '30': use 30s");
	dur_bad("1h30", "missing unit after the last number in duration "
	    "'1h30'");
	dur_bad("-5s", "negative duration '-5s'");
	dur_bad("5x", "unknown unit 'x' in duration '5x' (use ms, s, m, h "
	    "or d)");
	dur_bad("5sec", "unknown unit 'sec' in duration '5sec' (use ms, s, "
	    "m, h or d)");
	dur_bad("5 s", "unknown unit ' ' in duration '5 s' (use ms, s, m, h "
	    "or d)");
	dur_bad("5S", "unknown unit 'S' in duration '5S' (use ms, s, m, h "
	    "or d)");
	dur_bad("s", "invalid duration 's': expected a number (like 30s or "
	    "1h30m)");
	dur_bad("+5s", "invalid duration '+5s': expected a number (like 30s "
	    "or 1h30m)");
	dur_bad(".5s", "invalid duration '.5s': expected digits on both "
	    "sides of '.'");
	dur_bad("5.s", "invalid duration '5.s': expected digits on both "
	    "sides of '.'");
	dur_bad("30m1h", "units repeated or out of order in duration "
	    "'30m1h' (write d, h, m, s, ms in that order)");
	dur_bad("1m1m", "units repeated or out of order in duration '1m1m' "
	    "(write d, h, m, s, ms in that order)");
	dur_bad("1.5ms", "duration '1.5ms' is not a whole number of "
	    "milliseconds");
	dur_bad("0.0001s", "duration '0.0001s' is not a whole number of "
	    "milliseconds");
	dur_bad("9223372036854775808ms", "duration '9223372036854775808ms' "
	    "is too large");
	dur_bad("106751991168d", "duration '106751991168d' is too large");
	dur_bad("106751991167d7h12m55s808ms", "duration "
	    "'106751991167d7h12m55s808ms' is too large");
	dur_bad("99999999999999999999999s", "duration "
	    "'99999999999999999999999s' is too large");

	fmt_is(0, "0s");
	fmt_is(250, "250ms");
	fmt_is(1500, "1s500ms");
	fmt_is(30000, "30s");
	fmt_is(5400000, "1h30m");
	fmt_is(604800000, "7d");
	fmt_is(93784005, "1d2h3m4s5ms");
	fmt_is(INT64_MAX, "106751991167d7h12m55s807ms");
	T_INTEQ(grace_duration_format(-1, out, sizeof out), -1,
	    "negative refused");
	T_STREQ(out, "", "out empty after refusal");
	T_INTEQ(grace_duration_format(250, small, sizeof small), -1,
	    "250ms does not fit in 4 bytes");
	T_STREQ(small, "", "small buffer left empty");
	T_INTEQ(grace_duration_format(30000, small, sizeof small), 3,
	    "30s fits in 4 bytes");

	srand(3);
	for (int i = 0; i < 100000; i++) {
		v = ((int64_t)rand() << 31 ^ rand()) % (i & 1 ? 864000000 :
		    INT64_MAX);
		if (grace_duration_format(v, out, sizeof out) < 0 ||
		    grace_duration_parse(out, strlen(out), &back, &e) ||
		    back != v)
			bad++;
	}
	T_INTEQ(bad, 0, "100000 format/parse round trips");
}

int
main(void)
{
	test_format();
	test_parse();
	test_duration();
	return T_DONE();
}
