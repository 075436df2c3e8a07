/*
 * iCalendar. The VTIMEZONE is written from the system's zone data rather
 * than a table: the offset is sampled once a day across the years around
 * the event and each change found is narrowed to the second, which gives
 * one STANDARD or DAYLIGHT observance per change (no RRULE, which RFC 5545
 * allows and every calendar reads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cron.h"
#include "ics.h"
#include "xmalloc.h"

#define FOLD_AT     75
#define DAY         86400
#define MAX_CHANGES 16

struct tz_change {
	int64_t at;    /* first second of the new offset */
	long from, to; /* offsets east of UTC, seconds */
	int dst;       /* the new offset is daylight time */
	char name[16]; /* its abbreviation */
};

/* Append one content line, folded (RFC 5545 3.1). */
static void
line(struct buf *b, const char *text)
{
	size_t len = strlen(text), room = FOLD_AT, n;

	while (len > room) {
		n = room;
		/* Never split a UTF-8 sequence: back off continuation bytes. */
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		buf_addn(b, text, n);
		buf_add(b, "\r\n ");
		text += n;
		len -= n;
		room = FOLD_AT - 1;
	}
	buf_add(b, text);
	buf_add(b, "\r\n");
}

/* "NAME:" plus the text value escaped (3.3.11). */
static void
text_prop(struct buf *b, const char *name, const char *value)
{
	struct buf v = {0};

	buf_add(&v, name);
	buf_add(&v, ":");
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == ';' || *value == ',')
			buf_addn(&v, "\\", 1);
		if (*value == '\n')
			buf_add(&v, "\\n");
		else if (*value != '\r')
			buf_addn(&v, value, 1);
	}
	line(b, v.s);
	free(v.s);
}

static void
prop(struct buf *b, const char *name, const char *value)
{
	char *s = xasprintf("%s:%s", name, value);

	line(b, s);
	free(s);
}

/*
 * The first second in (lo, hi] whose offset is not lo's: narrowed by
 * batches (hours, then minutes, then seconds), one zone switch each.
 */
static int
change_second(const char *tz, int64_t lo, int64_t hi, int64_t *at)
{
	static const int64_t steps[] = {3600, 60, 1};
	time_t ts[62]; /* 24 hours, 60 minutes or 60 seconds, both ends */
	struct tm tm[62];
	int64_t step;
	size_t i, n, s;

	for (s = 0; s < sizeof steps / sizeof *steps; s++) {
		step = steps[s];
		for (n = 0; n < sizeof ts / sizeof *ts; n++) {
			ts[n] = (time_t)(lo + (int64_t)n * step);
			if (lo + (int64_t)n * step >= hi)
				break;
		}
		if (n == sizeof ts / sizeof *ts)
			n--;
		if (cron_localtimes(ts, n + 1, tz, tm) == -1)
			return -1;
		for (i = 1; i <= n && tm[i].tm_gmtoff == tm[0].tm_gmtoff; i++)
			;
		if (i > n)
			return -1;
		/* The change is in (ts[i-1], ts[i]]. */
		lo = (int64_t)ts[i - 1];
		hi = (int64_t)ts[i];
		if (hi - lo <= 1)
			break;
	}
	*at = hi;
	return 0;
}

/* The offset changes between from and to, sampled daily in one batch;
 * returns how many (<= max), or -1. */
static int
tz_changes(const char *tz, int64_t from, int64_t to, struct tz_change *out,
           int max, struct tm *first)
{
	size_t ndays = (size_t)((to - from) / DAY) + 1, i;
	time_t *ts = xcalloc(ndays, sizeof *ts);
	struct tm *tm = xcalloc(ndays, sizeof *tm);
	int n = 0;

	for (i = 0; i < ndays; i++)
		ts[i] = (time_t)(from + (int64_t)i * DAY);
	if (cron_localtimes(ts, ndays, tz, tm) == -1)
		n = -1;
	else
		*first = tm[0];
	for (i = 1; n >= 0 && i < ndays && n < max; i++) {
		if (tm[i].tm_gmtoff == tm[i - 1].tm_gmtoff)
			continue;
		if (change_second(tz, (int64_t)ts[i - 1], (int64_t)ts[i],
		                  &out[n].at) == -1) {
			n = -1;
			break;
		}
		out[n].from = tm[i - 1].tm_gmtoff;
		out[n].to = tm[i].tm_gmtoff;
		out[n].dst = tm[i].tm_isdst > 0;
		snprintf(out[n].name, sizeof out[n].name, "%s",
		         tm[i].tm_zone != NULL ? tm[i].tm_zone : "");
		n++;
	}
	free(ts);
	free(tm);
	return n;
}

/* "+0100" (offsets are under a day) */
static void
utc_offset(long off, char buf[8])
{
	int a = (int)((off < 0 ? -off : off) % 86400);

	snprintf(buf, 8, "%c%02d%02d", off < 0 ? '-' : '+', a / 3600 % 24,
	         a / 60 % 60);
}

/* Local date-time "YYYYMMDDTHHMMSS" of t at offset off. */
static void
local_stamp(int64_t t, long off, char buf[20])
{
	time_t lt = (time_t)(t + off);
	struct tm tm;

	gmtime_r(&lt, &tm);
	strftime(buf, 20, "%Y%m%dT%H%M%S", &tm);
}

static void
observance(struct buf *b, int dst, int64_t at, long from, long to,
           const char *name)
{
	char stamp[20], off[8];

	prop(b, "BEGIN", dst ? "DAYLIGHT" : "STANDARD");
	/* DTSTART is the onset in the local time in force before it. */
	local_stamp(at, from, stamp);
	prop(b, "DTSTART", stamp);
	utc_offset(from, off);
	prop(b, "TZOFFSETFROM", off);
	utc_offset(to, off);
	prop(b, "TZOFFSETTO", off);
	if (name != NULL && *name != '\0')
		text_prop(b, "TZNAME", name);
	prop(b, "END", dst ? "DAYLIGHT" : "STANDARD");
}

/* The VTIMEZONE covering the year before the event to the year after. */
static int
vtimezone(struct buf *b, const struct ics_event *e)
{
	struct tz_change ch[MAX_CHANGES];
	struct tm first;
	int64_t from = e->start - 400 * (int64_t)DAY;
	int n, i;

	if ((n = tz_changes(e->tz, from, e->end + 400 * (int64_t)DAY, ch,
	                    MAX_CHANGES, &first)) == -1)
		return -1;
	prop(b, "BEGIN", "VTIMEZONE");
	prop(b, "TZID", e->tz);
	/* The offset in force at the start of the span, from its start. */
	observance(b, first.tm_isdst > 0, from, first.tm_gmtoff,
	           first.tm_gmtoff, first.tm_zone);
	for (i = 0; i < n; i++)
		observance(b, ch[i].dst, ch[i].at, ch[i].from, ch[i].to,
		           ch[i].name);
	prop(b, "END", "VTIMEZONE");
	return 0;
}

static void
zoned_time(struct buf *b, const char *name, int64_t t, const char *tz)
{
	struct tm tm;
	char stamp[20], *s;

	cron_localtime((time_t)t, tz, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	s = xasprintf("%s;TZID=%s:%s", name, tz, stamp);
	line(b, s);
	free(s);
}

char *
ics_build(const struct ics_event *e)
{
	struct buf b = {0};
	char stamp[20], seq[16];
	time_t now = (time_t)e->dtstamp;
	struct tm tm;

	if (e->tz == NULL || cron_localtime((time_t)e->start, e->tz, &tm) == -1)
		return NULL;
	prop(&b, "BEGIN", "VCALENDAR");
	prop(&b, "VERSION", "2.0");
	prop(&b, "PRODID", "-//ppgd//Patient Participation Group//EN");
	prop(&b, "CALSCALE", "GREGORIAN");
	prop(&b, "METHOD", "PUBLISH");
	if (vtimezone(&b, e) == -1) {
		free(b.s);
		return NULL;
	}
	prop(&b, "BEGIN", "VEVENT");
	prop(&b, "UID", e->uid);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	prop(&b, "DTSTAMP", stamp);
	snprintf(seq, sizeof seq, "%d", e->sequence);
	prop(&b, "SEQUENCE", seq);
	zoned_time(&b, "DTSTART", e->start, e->tz);
	zoned_time(&b, "DTEND", e->end, e->tz);
	text_prop(&b, "SUMMARY", e->summary);
	if (e->location != NULL)
		text_prop(&b, "LOCATION", e->location);
	if (e->url != NULL)
		prop(&b, "URL", e->url);
	if (e->description != NULL)
		text_prop(&b, "DESCRIPTION", e->description);
	prop(&b, "END", "VEVENT");
	prop(&b, "END", "VCALENDAR");
	return b.s;
}
