/* Tests for cron: parsing, next fire times across DST, ISO 8601. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

#define LONDON "Europe/London"
#define TOKYO  "Asia/Tokyo"

/* Expected instants are written by hand in UTC. */
static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi};

	return timegm(&tm);
}

static const char *
show(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "(none)");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static struct cron *
must_parse(const char *expr)
{
	struct cron *c = NULL;
	char *cause = NULL;

	if (cron_parse(expr, &c, &cause) != 0)
		fail_msg("cron_parse(\"%s\"): %s", expr, cause);
	assert_non_null(c);
	assert_null(cause);
	return c;
}

/* Each fire after `from` in turn must be the next of want[]. */
static void
check_seq(const char *expr, const char *tz, time_t from, const time_t *want,
          size_t n)
{
	struct cron *c = must_parse(expr);
	char got_s[32], want_s[32];
	time_t t = from;
	size_t i;

	for (i = 0; i < n; i++) {
		t = cron_next(c, t, tz);
		if (t != want[i])
			fail_msg("\"%s\" in %s, fire %zu: got %s, want %s",
			         expr, tz ? tz : "(default)", i,
			         show(t, got_s, sizeof got_s),
			         show(want[i], want_s, sizeof want_s));
		if (t == (time_t)-1)
			break;
	}
	cron_free(c);
}

#define SEQ(expr, tz, from, ...)                                               \
	do {                                                                   \
		const time_t want_[] = {__VA_ARGS__};                          \
		check_seq(expr, tz, from, want_,                               \
		          sizeof want_ / sizeof want_[0]);                     \
	} while (0)

static void
check_none(const char *expr, const char *tz, time_t from)
{
	struct cron *c = must_parse(expr);

	assert_int_equal(cron_next(c, from, tz), (time_t)-1);
	cron_free(c);
}

/* 2026-01-01 is a Thursday. */
static void
test_field_forms(void **state)
{
	time_t jan1 = utc(2026, 1, 1, 0, 0);

	(void)state;
	SEQ("* * * * *", "UTC", jan1, utc(2026, 1, 1, 0, 1),
	    utc(2026, 1, 1, 0, 2));
	SEQ("1,5 * * * *", "UTC", jan1, utc(2026, 1, 1, 0, 1),
	    utc(2026, 1, 1, 0, 5), utc(2026, 1, 1, 1, 1));
	SEQ("10-12 * * * *", "UTC", jan1, utc(2026, 1, 1, 0, 10),
	    utc(2026, 1, 1, 0, 11), utc(2026, 1, 1, 0, 12),
	    utc(2026, 1, 1, 1, 10));
	SEQ("*/15 * * * *", "UTC", jan1, utc(2026, 1, 1, 0, 15),
	    utc(2026, 1, 1, 0, 30), utc(2026, 1, 1, 0, 45),
	    utc(2026, 1, 1, 1, 0));
	SEQ("1-30/5 * * * *", "UTC", jan1, utc(2026, 1, 1, 0, 1),
	    utc(2026, 1, 1, 0, 6), utc(2026, 1, 1, 0, 11),
	    utc(2026, 1, 1, 0, 16), utc(2026, 1, 1, 0, 21),
	    utc(2026, 1, 1, 0, 26), utc(2026, 1, 1, 1, 1));
	SEQ("0 9-17/4 * * *", "UTC", jan1, utc(2026, 1, 1, 9, 0),
	    utc(2026, 1, 1, 13, 0), utc(2026, 1, 1, 17, 0),
	    utc(2026, 1, 2, 9, 0));
	SEQ("0 1,3-4,*/12 * * *", "UTC", jan1, utc(2026, 1, 1, 1, 0),
	    utc(2026, 1, 1, 3, 0), utc(2026, 1, 1, 4, 0),
	    utc(2026, 1, 1, 12, 0), utc(2026, 1, 2, 0, 0));
	SEQ("0 0 1,15 * *", "UTC", jan1, utc(2026, 1, 15, 0, 0),
	    utc(2026, 2, 1, 0, 0), utc(2026, 2, 15, 0, 0));
	SEQ("0 0 1 2-3 *", "UTC", jan1, utc(2026, 2, 1, 0, 0),
	    utc(2026, 3, 1, 0, 0), utc(2027, 2, 1, 0, 0));
	SEQ("0,30 23 31 12 *", "UTC", jan1, utc(2026, 12, 31, 23, 0),
	    utc(2026, 12, 31, 23, 30), utc(2027, 12, 31, 23, 0));
	SEQ("  */30\t*  * * *  ", "UTC", jan1, utc(2026, 1, 1, 0, 30));
	/* Not on a boundary: the next match, not the next step from now. */
	SEQ("*/15 * * * *", "UTC", utc(2026, 1, 1, 0, 7) + 42,
	    utc(2026, 1, 1, 0, 15));
}

static void
test_names(void **state)
{
	time_t jan1 = utc(2026, 1, 1, 0, 0);

	(void)state;
	SEQ("0 0 1 jan,Mar *", "UTC", jan1, utc(2026, 3, 1, 0, 0),
	    utc(2027, 1, 1, 0, 0), utc(2027, 3, 1, 0, 0));
	SEQ("0 0 1 FEB-dec/2 *", "UTC", jan1, utc(2026, 2, 1, 0, 0),
	    utc(2026, 4, 1, 0, 0), utc(2026, 6, 1, 0, 0));
	SEQ("0 8 * * mon-FRI", "UTC", jan1, utc(2026, 1, 1, 8, 0),
	    utc(2026, 1, 2, 8, 0), utc(2026, 1, 5, 8, 0));
	SEQ("0 0 * * sUn", "UTC", jan1, utc(2026, 1, 4, 0, 0),
	    utc(2026, 1, 11, 0, 0));
	SEQ("0 0 * * Sat,TUE", "UTC", jan1, utc(2026, 1, 3, 0, 0),
	    utc(2026, 1, 6, 0, 0), utc(2026, 1, 10, 0, 0));
}

static void
test_seven_is_sunday(void **state)
{
	time_t jan1 = utc(2026, 1, 1, 0, 0);

	(void)state;
	SEQ("0 0 * * 7", "UTC", jan1, utc(2026, 1, 4, 0, 0),
	    utc(2026, 1, 11, 0, 0));
	SEQ("0 0 * * 0", "UTC", jan1, utc(2026, 1, 4, 0, 0),
	    utc(2026, 1, 11, 0, 0));
	SEQ("0 0 * * 0,7", "UTC", jan1, utc(2026, 1, 4, 0, 0),
	    utc(2026, 1, 11, 0, 0));
	SEQ("0 0 * * 5-7", "UTC", jan1, utc(2026, 1, 2, 0, 0),
	    utc(2026, 1, 3, 0, 0), utc(2026, 1, 4, 0, 0),
	    utc(2026, 1, 9, 0, 0));
}

/* 2026-03-01 is a Sunday; March's Mondays are 2, 9, 16, 23, 30. */
static void
test_dom_dow(void **state)
{
	time_t mar1 = utc(2026, 3, 1, 0, 0);

	(void)state;
	/* Both restricted: the 13th OR a Monday. */
	SEQ("0 0 13 * 1", "UTC", mar1, utc(2026, 3, 2, 0, 0),
	    utc(2026, 3, 9, 0, 0), utc(2026, 3, 13, 0, 0),
	    utc(2026, 3, 16, 0, 0));
	SEQ("0 0 13 * mon", "UTC", mar1, utc(2026, 3, 2, 0, 0));
	/* One unrestricted: the other alone decides. */
	SEQ("0 0 13 * *", "UTC", mar1, utc(2026, 3, 13, 0, 0),
	    utc(2026, 4, 13, 0, 0));
	SEQ("0 0 * * 1", "UTC", mar1, utc(2026, 3, 2, 0, 0),
	    utc(2026, 3, 9, 0, 0));
	/*
	 * A field starting with '*' counts as unrestricted (Vixie), so this is
	 * odd days AND Mondays: 9 and 23 March, then 13 April.
	 */
	SEQ("0 0 */2 * 1", "UTC", mar1, utc(2026, 3, 9, 0, 0),
	    utc(2026, 3, 23, 0, 0), utc(2026, 4, 13, 0, 0));
}

/* The extensions: L (last day), D#N (Nth weekday), DL (last weekday). */
static void
test_nth_and_last(void **state)
{
	time_t jan1 = utc(2026, 1, 1, 0, 0);

	(void)state;
	/* First Monday: 5 Jan, 2 Feb, 2 Mar 2026. */
	SEQ("0 10 * * 1#1", "UTC", jan1, utc(2026, 1, 5, 10, 0),
	    utc(2026, 2, 2, 10, 0), utc(2026, 3, 2, 10, 0));
	SEQ("0 10 * * mon#2", "UTC", jan1, utc(2026, 1, 12, 10, 0),
	    utc(2026, 2, 9, 10, 0));
	/* The fifth Thursday exists only in some months. */
	SEQ("0 10 * * 4#5", "UTC", jan1, utc(2026, 1, 29, 10, 0),
	    utc(2026, 4, 30, 10, 0), utc(2026, 7, 30, 10, 0));
	/* Sunday as 7. */
	SEQ("0 10 * * 7#1", "UTC", jan1, utc(2026, 1, 4, 10, 0));
	/* Last day of the month, leap February included. */
	SEQ("0 9 L * *", "UTC", utc(2028, 1, 1, 0, 0), utc(2028, 1, 31, 9, 0),
	    utc(2028, 2, 29, 9, 0), utc(2028, 3, 31, 9, 0),
	    utc(2028, 4, 30, 9, 0));
	SEQ("0 9 15,L * *", "UTC", jan1, utc(2026, 1, 15, 9, 0),
	    utc(2026, 1, 31, 9, 0), utc(2026, 2, 15, 9, 0));
	/* Last Friday. */
	SEQ("0 19 * * 5L", "UTC", jan1, utc(2026, 1, 30, 19, 0),
	    utc(2026, 2, 27, 19, 0), utc(2026, 3, 27, 19, 0));
	SEQ("0 19 * * friL", "UTC", jan1, utc(2026, 1, 30, 19, 0));
	/* With a list: first and third Monday. */
	SEQ("0 10 * * 1#1,1#3", "UTC", jan1, utc(2026, 1, 5, 10, 0),
	    utc(2026, 1, 19, 10, 0), utc(2026, 2, 2, 10, 0));
	/* Both day fields restricted: the 1st OR the first Monday. */
	SEQ("0 10 1 * 1#1", "UTC", jan1, utc(2026, 1, 1, 10, 0),
	    utc(2026, 1, 5, 10, 0), utc(2026, 2, 1, 10, 0),
	    utc(2026, 2, 2, 10, 0));
	/* In a zone: the first Monday of April at 10:00 BST. */
	SEQ("0 10 * * 1#1", LONDON, utc(2026, 4, 1, 0, 0),
	    utc(2026, 4, 6, 9, 0));
}

static void
test_leap_day(void **state)
{
	(void)state;
	SEQ("0 0 29 2 *", LONDON, utc(2026, 1, 1, 0, 0), utc(2028, 2, 29, 0, 0),
	    utc(2032, 2, 29, 0, 0));
	/* 2100 is not a leap year and 2104 is more than 5 years away. */
	check_none("0 0 29 2 *", LONDON, utc(2096, 3, 1, 0, 0));
	SEQ("0 0 29 2 *", LONDON, utc(2099, 3, 1, 0, 0),
	    utc(2104, 2, 29, 0, 0));
}

static void
test_month_ends(void **state)
{
	(void)state;
	/* In London: midnight on 31 March to 31 August is 23:00 UTC. */
	SEQ("0 0 31 * *", LONDON, utc(2026, 1, 31, 0, 0),
	    utc(2026, 3, 30, 23, 0), utc(2026, 5, 30, 23, 0),
	    utc(2026, 7, 30, 23, 0), utc(2026, 8, 30, 23, 0),
	    utc(2026, 10, 31, 0, 0), utc(2026, 12, 31, 0, 0),
	    utc(2027, 1, 31, 0, 0));
	SEQ("0 12 30 * *", "UTC", utc(2026, 1, 31, 0, 0),
	    utc(2026, 3, 30, 12, 0));
	check_none("0 0 30 2 *", LONDON, utc(2026, 1, 1, 0, 0));
	check_none("0 0 31 4,6,9,11 *", "UTC", utc(2026, 1, 1, 0, 0));
}

/* 2026-01-07 is a Wednesday. */
static void
test_macros(void **state)
{
	time_t from = utc(2026, 1, 7, 10, 17);

	(void)state;
	SEQ("@hourly", "UTC", from, utc(2026, 1, 7, 11, 0),
	    utc(2026, 1, 7, 12, 0));
	SEQ("@daily", "UTC", from, utc(2026, 1, 8, 0, 0),
	    utc(2026, 1, 9, 0, 0));
	SEQ("@midnight", "UTC", from, utc(2026, 1, 8, 0, 0));
	SEQ("@weekly", "UTC", from, utc(2026, 1, 11, 0, 0),
	    utc(2026, 1, 18, 0, 0));
	SEQ("@monthly", "UTC", from, utc(2026, 2, 1, 0, 0),
	    utc(2026, 3, 1, 0, 0));
	SEQ("@yearly", "UTC", from, utc(2027, 1, 1, 0, 0),
	    utc(2028, 1, 1, 0, 0));
	SEQ("@annually", "UTC", from, utc(2027, 1, 1, 0, 0));
	SEQ("  @DAILY  ", "UTC", from, utc(2026, 1, 8, 0, 0));
	/* In London, @daily in summer is 23:00 UTC. */
	SEQ("@daily", LONDON, utc(2026, 7, 1, 12, 0), utc(2026, 7, 1, 23, 0));
}

static void
test_errors(void **state)
{
	static const struct {
		const char *expr;
		const char *cause;
	} cases[] = {
	    {"", "expected 5 fields, got 0"},
	    {"0 10 * * 1#6",
	     "day-of-week: '1#6': the week after '#' is 1 to 5"},
	    {"0 10 * * 1#0",
	     "day-of-week: '1#0': the week after '#' is 1 to 5"},
	    {"0 10 * * 1#", "day-of-week: '1#': the week after '#' is 1 to 5"},
	    {"0 10 * * 9L", "day-of-week: 9 is out of range 0-7"},
	    {"0 10 * * #1", "day-of-week: missing value in '#1'"},
	    {"0 10 L1 * *", "day-of-month: 'L1' is not a number"},
	    {"0 L * * *", "hour: 'L' is not a number"},
	    {"   ", "expected 5 fields, got 0"},
	    {"* * * *", "expected 5 fields, got 4"},
	    {"* * * * * *", "expected 5 fields, got 6"},
	    {"60 * * * *", "minute: 60 is out of range 0-59"},
	    {"0-60 * * * *", "minute: 60 is out of range 0-59"},
	    {"123456 * * * *", "minute: 123456 is out of range 0-59"},
	    {"* 24 * * *", "hour: 24 is out of range 0-23"},
	    {"* * 0 * *", "day-of-month: 0 is out of range 1-31"},
	    {"* * 32 * *", "day-of-month: 32 is out of range 1-31"},
	    {"* * * 0 *", "month: 0 is out of range 1-12"},
	    {"* * * 13 *", "month: 13 is out of range 1-12"},
	    {"* * * * 8", "day-of-week: 8 is out of range 0-7"},
	    {"1,,2 * * * *", "minute: empty list item"},
	    {"* 1, * * *", "hour: empty list item"},
	    {"* * ,1 * *", "day-of-month: empty list item"},
	    {"*/0 * * * *", "minute: step 0 is out of range 1-60"},
	    {"* 1-10/0 * * *", "hour: step 0 is out of range 1-24"},
	    {"*/61 * * * *", "minute: step 61 is out of range 1-60"},
	    {"*/ * * * *", "minute: missing step in '*/'"},
	    {"*/x * * * *", "minute: step 'x' is not a number"},
	    {"5/10 * * * *",
	     "minute: a step needs '*' or a range before it: '5/10'"},
	    {"5-3 * * * *", "minute: range 5-3 is reversed"},
	    {"* * * DEC-JAN *", "month: range 12-1 is reversed"},
	    {"* * * * FRI-MON", "day-of-week: range 5-1 is reversed"},
	    {"x * * * *", "minute: 'x' is not a number"},
	    {"MON * * * *", "minute: 'MON' is not a number"},
	    {"1-2-3 * * * *", "minute: '2-3' is not a number"},
	    {"* * * FOO *", "month: 'FOO' is not a number or month name"},
	    {"* * * * funday",
	     "day-of-week: 'funday' is not a number or day name"},
	    {"* * * * MON-", "day-of-week: missing value in 'MON-'"},
	    {"-5 * * * *", "minute: missing value in '-5'"},
	    {"@reboot", "unknown macro '@reboot'"},
	    {"@", "unknown macro '@'"},
	    {"@daily 5", "@daily takes no fields"},
	};
	struct cron *c;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = (struct cron *)&c; /* must be reset to NULL */
		cause = NULL;
		if (cron_parse(cases[i].expr, &c, &cause) != -1)
			fail_msg("\"%s\" parsed", cases[i].expr);
		assert_null(c);
		assert_non_null(cause);
		if (strcmp(cause, cases[i].cause) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			         cases[i].expr, cause, cases[i].cause);
		free(cause);
	}
}

/* London springs forward at 01:00 UTC on 29 March 2026: 01:00 -> 02:00. */
static void
test_london_spring_gap(void **state)
{
	(void)state;
	/* 01:30 does not exist on the 29th: once, at 02:00 BST. */
	SEQ("30 1 * * *", LONDON, utc(2026, 3, 28, 0, 0),
	    utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0),
	    utc(2026, 3, 30, 0, 30));
	SEQ("*/30 * * * *", LONDON, utc(2026, 3, 28, 23, 30),
	    utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 30),
	    utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30),
	    utc(2026, 3, 29, 2, 0));
	/* Two times in the gap still fire once. */
	SEQ("15,45 1 * * *", LONDON, utc(2026, 3, 29, 0, 0),
	    utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 15),
	    utc(2026, 3, 30, 0, 45));
	/* 01:00 (in the gap) and 02:00 are the same instant: once. */
	SEQ("0 1,2 * * *", LONDON, utc(2026, 3, 29, 0, 0),
	    utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 0),
	    utc(2026, 3, 30, 1, 0));
	SEQ("0 2 * * *", LONDON, utc(2026, 3, 28, 12, 0),
	    utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 1, 0));
	SEQ("59 0 * * *", LONDON, utc(2026, 3, 28, 12, 0),
	    utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 23, 59));
	/* Asked from inside the skipped hour's instant: already fired. */
	SEQ("30 1 * * *", LONDON, utc(2026, 3, 29, 1, 0),
	    utc(2026, 3, 30, 0, 30));
}

/* London falls back at 01:00 UTC on 25 October 2026: 02:00 -> 01:00. */
static void
test_london_autumn_repeat(void **state)
{
	(void)state;
	/* 01:30 happens twice on the 25th: only the first (BST) fires. */
	SEQ("30 1 * * *", LONDON, utc(2026, 10, 24, 12, 0),
	    utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30));
	SEQ("*/30 * * * *", LONDON, utc(2026, 10, 24, 22, 30),
	    utc(2026, 10, 24, 23, 0), utc(2026, 10, 24, 23, 30),
	    utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30),
	    utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 30));
	SEQ("0 * * * *", LONDON, utc(2026, 10, 24, 23, 30),
	    utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0));
	/* Asked during the second 01:xx: those times have already fired. */
	SEQ("*/30 * * * *", LONDON, utc(2026, 10, 25, 1, 10),
	    utc(2026, 10, 25, 2, 0));
	SEQ("30 1 * * *", LONDON, utc(2026, 10, 25, 1, 10),
	    utc(2026, 10, 26, 1, 30));
	SEQ("0 1 * * *", LONDON, utc(2026, 10, 25, 0, 59),
	    utc(2026, 10, 26, 1, 0));
	SEQ("0 2 * * *", LONDON, utc(2026, 10, 24, 12, 0),
	    utc(2026, 10, 25, 2, 0), utc(2026, 10, 26, 2, 0));
}

static void
test_zone_without_dst(void **state)
{
	(void)state;
	SEQ("30 1 * * *", TOKYO, utc(2026, 3, 28, 0, 0),
	    utc(2026, 3, 28, 16, 30), utc(2026, 3, 29, 16, 30));
	SEQ("0 9 * * *", TOKYO, utc(2026, 10, 24, 12, 0),
	    utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 0, 0));
	SEQ("*/30 * * * *", "UTC", utc(2026, 3, 29, 0, 45),
	    utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30));
	SEQ("30 1 * * *", "UTC", utc(2026, 10, 24, 12, 0),
	    utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 1, 30));
	SEQ("0 9 * * *", "America/New_York", utc(2026, 7, 1, 0, 0),
	    utc(2026, 7, 1, 13, 0));
}

static void
test_default_zone(void **state)
{
	(void)state;
	SEQ("0 9 * * *", NULL, utc(2026, 7, 1, 0, 0), utc(2026, 7, 1, 8, 0));
	SEQ("0 9 * * *", NULL, utc(2026, 12, 1, 0, 0), utc(2026, 12, 1, 9, 0));
}

static void
test_bad_zone(void **state)
{
	struct cron *c = must_parse("@daily");
	char buf[64], *cause = NULL;
	time_t t;

	(void)state;
	assert_int_equal(cron_next(c, 0, "Mars/Olympus"), (time_t)-1);
	assert_int_equal(cron_format_iso(0, "Mars/Olympus", buf, sizeof buf),
	                 -1);
	assert_int_equal(cron_check_tz("Mars/Olympus", &cause), -1);
	assert_string_equal(
	    cause, "time zone 'Mars/Olympus' is not a known time zone");
	free(cause);
	assert_int_equal(cron_check_tz("../../etc/passwd", &cause), -1);
	assert_string_equal(cause,
	                    "time zone '../../etc/passwd' is not a zone name");
	free(cause);
	assert_int_equal(cron_check_tz("Europe", &cause), -1);
	free(cause);
	assert_int_equal(cron_parse_iso("2026-01-01", "Nowhere", &t, &cause),
	                 -1);
	assert_string_equal(cause,
	                    "time zone 'Nowhere' is not a known time zone");
	free(cause);
	assert_int_equal(cron_check_tz(NULL, NULL), 0);
	assert_int_equal(cron_check_tz("UTC", NULL), 0);
	assert_int_equal(cron_check_tz(TOKYO, NULL), 0);
	cron_free(c);
}

/* The process's own TZ is put back afterwards, set or unset. */
static void
test_tz_restored(void **state)
{
	struct cron *c = must_parse("@daily");
	struct tm tm;
	time_t zero = 0;

	(void)state;
	setenv("TZ", TOKYO, 1);
	tzset();
	assert_int_equal(cron_next(c, 0, LONDON), utc(1970, 1, 2, 0, 0) - 3600);
	assert_string_equal(getenv("TZ"), TOKYO);
	localtime_r(&zero, &tm);
	assert_int_equal(tm.tm_gmtoff, 9 * 3600);
	unsetenv("TZ");
	tzset();
	assert_int_not_equal(cron_next(c, 0, TOKYO), (time_t)-1);
	assert_null(getenv("TZ"));
	cron_free(c);
}

static void
check_format(time_t t, const char *tz, const char *want)
{
	char buf[64];

	assert_int_equal(cron_format_iso(t, tz, buf, sizeof buf), 0);
	assert_string_equal(buf, want);
}

static void
test_format_iso(void **state)
{
	char buf[26];

	(void)state;
	check_format(utc(2026, 3, 29, 0, 59) + 59, LONDON,
	             "2026-03-29T00:59:59+00:00");
	check_format(utc(2026, 3, 29, 1, 0), LONDON,
	             "2026-03-29T02:00:00+01:00");
	check_format(utc(2026, 3, 29, 1, 0), NULL, "2026-03-29T02:00:00+01:00");
	check_format(utc(2026, 10, 25, 0, 30), LONDON,
	             "2026-10-25T01:30:00+01:00");
	check_format(utc(2026, 10, 25, 1, 30), LONDON,
	             "2026-10-25T01:30:00+00:00");
	check_format(utc(2026, 3, 28, 16, 30), TOKYO,
	             "2026-03-29T01:30:00+09:00");
	check_format(utc(2026, 3, 28, 16, 30), "UTC",
	             "2026-03-28T16:30:00+00:00");
	check_format(utc(2026, 7, 1, 12, 0), "America/New_York",
	             "2026-07-01T08:00:00-04:00");
	check_format(utc(2026, 1, 1, 0, 0), "Asia/Kolkata",
	             "2026-01-01T05:30:00+05:30");
	check_format(utc(2026, 1, 1, 0, 0), "Asia/Kathmandu",
	             "2026-01-01T05:45:00+05:45");
	/* 25 characters need a 26-byte buffer. */
	assert_int_equal(cron_format_iso(0, "UTC", buf, sizeof buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
	assert_int_equal(cron_format_iso(0, "UTC", buf, sizeof buf - 1), -1);
}

static void
check_iso(const char *s, const char *tz, time_t want)
{
	char *cause = NULL, got_s[32], want_s[32];
	time_t t = 0;

	if (cron_parse_iso(s, tz, &t, &cause) != 0)
		fail_msg("cron_parse_iso(\"%s\"): %s", s, cause);
	if (t != want)
		fail_msg("\"%s\" in %s: got %s, want %s", s, tz ? tz : "-",
		         show(t, got_s, sizeof got_s),
		         show(want, want_s, sizeof want_s));
}

static void
test_parse_iso(void **state)
{
	(void)state;
	check_iso("2026-03-29T02:00:00+01:00", TOKYO, utc(2026, 3, 29, 1, 0));
	check_iso("2026-03-29T01:00:00Z", LONDON, utc(2026, 3, 29, 1, 0));
	check_iso("2026-03-29t01:00:00z", LONDON, utc(2026, 3, 29, 1, 0));
	check_iso("2026-07-01T08:00:00-04:00", LONDON, utc(2026, 7, 1, 12, 0));
	check_iso("2026-01-01T05:30+0530", LONDON, utc(2026, 1, 1, 0, 0));
	check_iso("2026-03-29T01:30+09", LONDON, utc(2026, 3, 28, 16, 30));
	/* Local time in tz. */
	check_iso("2026-03-29T02:00", LONDON, utc(2026, 3, 29, 1, 0));
	check_iso("2026-03-29 00:30", LONDON, utc(2026, 3, 29, 0, 30));
	check_iso("2026-03-29 02:00", NULL, utc(2026, 3, 29, 1, 0));
	check_iso("2026-03-29", LONDON, utc(2026, 3, 29, 0, 0));
	check_iso("2026-07-01", LONDON, utc(2026, 6, 30, 23, 0));
	check_iso("2026-03-29", TOKYO, utc(2026, 3, 28, 15, 0));
	check_iso("2028-02-29", "UTC", utc(2028, 2, 29, 0, 0));
	check_iso("2026-01-01 12:34:56", "UTC", utc(2026, 1, 1, 12, 34) + 56);
	/* In the gap: the first instant after it. */
	check_iso("2026-03-29 01:30", LONDON, utc(2026, 3, 29, 1, 0));
	check_iso("2026-03-29T01:30:15", LONDON, utc(2026, 3, 29, 1, 0));
	/* Repeated: the first occurrence, unless the offset says otherwise. */
	check_iso("2026-10-25T01:30", LONDON, utc(2026, 10, 25, 0, 30));
	check_iso("2026-10-25T01:30:00+01:00", LONDON,
	          utc(2026, 10, 25, 0, 30));
	check_iso("2026-10-25T01:30:00+00:00", LONDON,
	          utc(2026, 10, 25, 1, 30));
}

static void
test_parse_iso_errors(void **state)
{
	static const struct {
		const char *s;
		const char *cause;
	} cases[] = {
#define SYNTAX "': expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]"
	    {"", "bad time '" SYNTAX},
	    {"garbage", "bad time 'garbage" SYNTAX},
	    {"2026-3-29", "bad time '2026-3-29" SYNTAX},
	    {"2026-03-29T2:00", "bad time '2026-03-29T2:00" SYNTAX},
	    {"2026-03-29T02", "bad time '2026-03-29T02" SYNTAX},
	    {"2026-03-29T02:00junk", "bad time '2026-03-29T02:00junk" SYNTAX},
	    {"2026-03-29T02:00:00+01:",
	     "bad time '2026-03-29T02:00:00+01:" SYNTAX},
	    {"2026-03-29T02:00:00+1", "bad time '2026-03-29T02:00:00+1" SYNTAX},
	    {"2026-03-29T02:00:00ZZ", "bad time '2026-03-29T02:00:00ZZ" SYNTAX},
	    {"2026-13-01", "bad time '2026-13-01': month 13 is out of range "
	                   "1-12"},
	    {"2026-00-01", "bad time '2026-00-01': month 0 is out of range "
	                   "1-12"},
	    {"2026-02-29", "bad time '2026-02-29': day 29 is out of range "
	                   "1-28"},
	    {"2026-04-31", "bad time '2026-04-31': day 31 is out of range "
	                   "1-30"},
	    {"2026-03-29T24:00", "bad time '2026-03-29T24:00': hour 24 is "
	                         "out of range 0-23"},
	    {"2026-03-29T12:60", "bad time '2026-03-29T12:60': minute 60 is "
	                         "out of range 0-59"},
	    {"2026-03-29T12:00:60", "bad time '2026-03-29T12:00:60': second "
	                            "60 is out of range 0-59"},
	    {"2026-03-29T12:00+24:00", "bad time '2026-03-29T12:00+24:00': "
	                               "offset 24:00 is out of range"},
#undef SYNTAX
	};
	char *cause;
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		if (cron_parse_iso(cases[i].s, LONDON, &t, &cause) != -1)
			fail_msg("\"%s\" parsed", cases[i].s);
		assert_non_null(cause);
		if (strcmp(cause, cases[i].cause) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].s,
			         cause, cases[i].cause);
		free(cause);
	}
}

/* format then parse gives the instant back, in its own zone or any other. */
static void
check_round_trip(time_t t, const char *tz)
{
	char buf[64], *cause = NULL;
	time_t back = 0;

	assert_int_equal(cron_format_iso(t, tz, buf, sizeof buf), 0);
	if (cron_parse_iso(buf, tz, &back, &cause) != 0)
		fail_msg("\"%s\": %s", buf, cause);
	if (back != t)
		fail_msg("\"%s\" in %s came back %lld, want %lld", buf, tz,
		         (long long)back, (long long)t);
	assert_int_equal(cron_parse_iso(buf, TOKYO, &back, &cause), 0);
	assert_int_equal(back, t);
}

static void
test_iso_round_trip(void **state)
{
	static const char *const zones[] = {
	    LONDON,         TOKYO,
	    "UTC",          "America/New_York",
	    "Asia/Kolkata", "Australia/Lord_Howe"};
	time_t t;
	size_t z;

	(void)state;
	for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		for (t = utc(2026, 3, 28, 22, 0); t < utc(2026, 3, 29, 4, 0);
		     t += 7 * 60 + 13)
			check_round_trip(t, zones[z]);
		for (t = utc(2026, 10, 24, 22, 0); t < utc(2026, 10, 25, 4, 0);
		     t += 7 * 60 + 13)
			check_round_trip(t, zones[z]);
		check_round_trip(utc(2028, 2, 29, 23, 59) + 59, zones[z]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_field_forms),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_seven_is_sunday),
	    cmocka_unit_test(test_dom_dow),
	    cmocka_unit_test(test_nth_and_last),
	    cmocka_unit_test(test_leap_day),
	    cmocka_unit_test(test_month_ends),
	    cmocka_unit_test(test_macros),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_london_spring_gap),
	    cmocka_unit_test(test_london_autumn_repeat),
	    cmocka_unit_test(test_zone_without_dst),
	    cmocka_unit_test(test_default_zone),
	    cmocka_unit_test(test_bad_zone),
	    cmocka_unit_test(test_tz_restored),
	    cmocka_unit_test(test_format_iso),
	    cmocka_unit_test(test_parse_iso),
	    cmocka_unit_test(test_parse_iso_errors),
	    cmocka_unit_test(test_iso_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
