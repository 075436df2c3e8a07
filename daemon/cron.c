/*
 * Classic (Vixie) five-field cron expressions, evaluated in an IANA zone,
 * with the Quartz extensions a PPG's cadence needs: "L" in the day of the
 * month (its last day), "D#N" in the day of the week (the Nth such day of
 * the month: 1#1 is the first Monday) and "DL" (the last such day: 5L is
 * the last Friday).
 *
 * The search walks wall-clock times (year, month, day, hour, minute) in the
 * schedule's zone, skipping whole months, days and hours whose field does not
 * match, and converts each matching wall time to an instant. A wall time that
 * does not exist (spring-forward gap) maps to the first instant after the gap;
 * one that occurs twice (fall back) maps to its first occurrence. That mapping
 * never decreases as the wall time grows, so the answer is the first matching
 * wall time whose instant lies after `after`; gap times share one instant, so
 * they fire once.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "xmalloc.h"

#define DAY        86400
#define DEFAULT_TZ "Europe/London"
#define TZ_CHARS                                                               \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-"

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, NFIELDS };

struct cron {
	uint64_t bits[NFIELDS]; /* bit n set: value n matches */
	int dom_star;           /* day-of-month field starts with '*' */
	int dow_star;           /* day-of-week field starts with '*' */
	int dom_last;           /* "L": the last day of the month */
	uint8_t dow_nth[7];     /* per weekday: bit N for "D#N", bit 0 "DL" */
};

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* names[v - min], three letters */
	int nnames;
	const char *what;
};

/* A wall-clock time in the schedule's zone, to the minute. */
struct wall {
	int year, mon, day, hour, min;
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static const struct field fields[NFIELDS] = {
    {"minute", 0, 59, NULL, 0, NULL},
    {"hour", 0, 23, NULL, 0, NULL},
    {"day-of-month", 1, 31, NULL, 0, NULL},
    {"month", 1, 12, month_names, 12, "month name"},
    {"day-of-week", 0, 7, day_names, 7, "day name"},
};

static const struct {
	const char *name;
	const char *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* Calendar arithmetic (proleptic Gregorian), independent of any zone. */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/* 0 is Sunday; 1970-01-01 was a Thursday. */
static int
weekday(int y, int m, int d)
{
	int64_t r = (days_from_civil(y, m, d) + 4) % 7;

	return (int)(r < 0 ? r + 7 : r);
}

/* The wall time as if it were UTC, in seconds. */
static time_t
wall_seconds(const struct wall *w)
{
	return days_from_civil(w->year, w->mon, w->day) * DAY + w->hour * 3600 +
	       w->min * 60;
}

/* Parsing. */

static int
is_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	return len > 0;
}

/* Digits to int; more than four digits is out of every range anyway. */
static int
digits_value(const char *s, size_t len)
{
	int v = 0;
	size_t i;

	if (len > 4)
		return 99999;
	for (i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int
name_value(const struct field *f, const char *s, size_t len)
{
	int i;

	if (f->names == NULL || len != 3)
		return -1;
	for (i = 0; i < f->nnames; i++) {
		if (strncasecmp(s, f->names[i], 3) == 0)
			return f->min + i;
	}
	return -1;
}

/* One value (number or name) of item, the len bytes at s. */
static int
parse_value(const struct field *f, const char *item, const char *s, size_t len,
            int *v, char **cause)
{
	if (len == 0) {
		*cause = xasprintf("%s: missing value in '%s'", f->name, item);
		return -1;
	}
	if (is_digits(s, len)) {
		*v = digits_value(s, len);
		if (*v >= f->min && *v <= f->max)
			return 0;
		*cause = xasprintf("%s: %.*s is out of range %d-%d", f->name,
		                   (int)len, s, f->min, f->max);
		return -1;
	}
	if ((*v = name_value(f, s, len)) != -1)
		return 0;
	if (f->names != NULL)
		*cause = xasprintf("%s: '%.*s' is not a number or %s", f->name,
		                   (int)len, s, f->what);
	else
		*cause = xasprintf("%s: '%.*s' is not a number", f->name,
		                   (int)len, s);
	return -1;
}

static int
parse_step(const struct field *f, const char *item, const char *s, int *step,
           char **cause)
{
	size_t len = strlen(s);
	int span = f->max - f->min + 1;

	if (len == 0) {
		*cause = xasprintf("%s: missing step in '%s'", f->name, item);
		return -1;
	}
	if (!is_digits(s, len)) {
		*cause = xasprintf("%s: step '%s' is not a number", f->name, s);
		return -1;
	}
	*step = digits_value(s, len);
	if (*step < 1 || *step > span) {
		*cause = xasprintf("%s: step %s is out of range 1-%d", f->name,
		                   s, span);
		return -1;
	}
	return 0;
}

/* The range part of an item: "*", "N" or "N-M", the blen bytes of item. */
static int
parse_range(const struct field *f, const char *item, size_t blen, int *lo,
            int *hi, char **cause)
{
	const char *dash = memchr(item, '-', blen);
	size_t len1 = dash != NULL ? (size_t)(dash - item) : blen;

	if (blen == 1 && item[0] == '*') {
		*lo = f->min;
		*hi = f->max;
		return 0;
	}
	if (parse_value(f, item, item, len1, lo, cause) == -1)
		return -1;
	if (dash == NULL) {
		*hi = *lo;
		return 0;
	}
	if (parse_value(f, item, dash + 1, blen - len1 - 1, hi, cause) == -1)
		return -1;
	if (*lo > *hi) {
		*cause =
		    xasprintf("%s: range %d-%d is reversed", f->name, *lo, *hi);
		return -1;
	}
	return 0;
}

/* One list item: range, optionally "/step". */
static int
parse_item(const struct field *f, const char *item, uint64_t *bits,
           char **cause)
{
	const char *slash = strchr(item, '/');
	size_t blen = slash != NULL ? (size_t)(slash - item) : strlen(item);
	int lo, hi, v, step = 1;

	if (*item == '\0') {
		*cause = xasprintf("%s: empty list item", f->name);
		return -1;
	}
	if (parse_range(f, item, blen, &lo, &hi, cause) == -1)
		return -1;
	if (slash != NULL) {
		if (memchr(item, '-', blen) == NULL && *item != '*') {
			*cause = xasprintf("%s: a step needs '*' or a range "
			                   "before it: '%s'",
			                   f->name, item);
			return -1;
		}
		if (parse_step(f, item, slash + 1, &step, cause) == -1)
			return -1;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

/* "D#N" or "DL" in the day of the week: the weekday D of item. */
static int
parse_nth(struct cron *c, const char *item, size_t len, int bit, char **cause)
{
	const struct field *f = &fields[F_DOW];
	int v;

	if (parse_value(f, item, item, len, &v, cause) == -1)
		return -1;
	c->dow_nth[v % 7] |= (uint8_t)(1 << bit);
	return 0;
}

/*
 * The extensions: "L" (day of month), "D#N" and "DL" (day of week).
 * Returns 1 if item was one, 0 if it is a plain item, -1 on an error.
 */
static int
parse_special(struct cron *c, int fi, const char *item, char **cause)
{
	const char *hash = strchr(item, '#');
	size_t len = strlen(item);

	if (fi == F_DOM && strcasecmp(item, "L") == 0) {
		c->dom_last = 1;
		return 1;
	}
	if (fi != F_DOW)
		return 0;
	if (hash != NULL) {
		if (hash[1] < '1' || hash[1] > '5' || hash[2] != '\0') {
			*cause = xasprintf("%s: '%s': the week after '#' is 1 "
			                   "to 5",
			                   fields[fi].name, item);
			return -1;
		}
		return parse_nth(c, item, (size_t)(hash - item), hash[1] - '0',
		                 cause) == -1
		           ? -1
		           : 1;
	}
	if (len > 1 && (item[len - 1] == 'L' || item[len - 1] == 'l'))
		return parse_nth(c, item, len - 1, 0, cause) == -1 ? -1 : 1;
	return 0;
}

static int
parse_field(struct cron *c, int fi, char *text, char **cause)
{
	char *item;
	int rc;

	c->bits[fi] = 0;
	while ((item = strsep(&text, ",")) != NULL) {
		if ((rc = parse_special(c, fi, item, cause)) == -1)
			return -1;
		if (rc == 0 &&
		    parse_item(&fields[fi], item, &c->bits[fi], cause) == -1)
			return -1;
	}
	return 0;
}

static int
parse_fields(struct cron *c, char *copy, char **cause)
{
	char *field[NFIELDS], *tok, *last;
	int i, n = 0;

	for (tok = strtok_r(copy, " \t\r\n", &last); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &last)) {
		if (n < NFIELDS)
			field[n] = tok;
		n++;
	}
	if (n != NFIELDS) {
		*cause = xasprintf("expected 5 fields, got %d", n);
		return -1;
	}
	c->dom_star = field[F_DOM][0] == '*';
	c->dow_star = field[F_DOW][0] == '*';
	for (i = 0; i < NFIELDS; i++) {
		if (parse_field(c, i, field[i], cause) == -1)
			return -1;
	}
	/* 7 is Sunday too. */
	if (c->bits[F_DOW] & (1 << 7))
		c->bits[F_DOW] = (c->bits[F_DOW] & ~(1 << 7)) | 1;
	return 0;
}

/* The expansion of the macro that expr (starting with '@') names, or NULL. */
static const char *
macro_expand(const char *expr, char **cause)
{
	size_t len = strcspn(expr, " \t\r\n"), i;

	if (expr[len + strspn(expr + len, " \t\r\n")] != '\0') {
		*cause = xasprintf("%.*s takes no fields", (int)len, expr);
		return NULL;
	}
	for (i = 0; i < sizeof macros / sizeof macros[0]; i++) {
		if (strlen(macros[i].name) == len &&
		    strncasecmp(expr, macros[i].name, len) == 0)
			return macros[i].expr;
	}
	*cause = xasprintf("unknown macro '%.*s'", (int)len, expr);
	return NULL;
}

int
cron_parse(const char *expr, struct cron **out, char **cause)
{
	struct cron *c;
	char *copy;
	int rc;

	*out = NULL;
	expr += strspn(expr, " \t\r\n");
	if (*expr == '@' && (expr = macro_expand(expr, cause)) == NULL)
		return -1;
	c = xcalloc(1, sizeof *c);
	copy = xstrdup(expr);
	rc = parse_fields(c, copy, cause);
	free(copy);
	if (rc == -1) {
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void
cron_free(struct cron *c)
{
	free(c);
}

/*
 * Time zones. glibc has no "localtime in zone X", so zone work sets TZ, calls
 * tzset(), converts with localtime_r(), then restores the previous TZ (or
 * unsets it) and calls tzset() again, all under tz_lock. The lock serialises
 * this module's callers only: ppgd does all zone conversion through this
 * module, and other threads must not call localtime()/getenv("TZ") meanwhile.
 */

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Why name is not a usable zone, or NULL if it is. */
static const char *
tz_problem(const char *name)
{
	const char *dir = getenv("TZDIR");
	char magic[4], *path;
	FILE *f;
	int ok = 0;

	if (*name == '\0' || *name == '/' || strstr(name, "..") != NULL ||
	    strspn(name, TZ_CHARS) != strlen(name))
		return "is not a zone name";
	if (strcmp(name, "UTC") == 0)
		return NULL;
	path =
	    xasprintf("%s/%s", dir != NULL ? dir : "/usr/share/zoneinfo", name);
	if ((f = fopen(path, "r")) != NULL) {
		ok =
		    fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
		fclose(f);
	}
	free(path);
	return ok ? NULL : "is not a known time zone";
}

int
cron_check_tz(const char *tz, char **cause)
{
	const char *problem;

	if (tz == NULL)
		tz = DEFAULT_TZ;
	if ((problem = tz_problem(tz)) == NULL)
		return 0;
	if (cause != NULL)
		*cause = xasprintf("time zone '%s' %s", tz, problem);
	return -1;
}

/* Switch to zone tz under tz_lock; *saved keeps the old TZ for tz_leave. */
static int
tz_enter(const char *tz, char **saved, char **cause)
{
	const char *old;
	char *val;

	if (cron_check_tz(tz, cause) == -1)
		return -1;
	val = xasprintf(":%s", tz != NULL ? tz : DEFAULT_TZ);
	pthread_mutex_lock(&tz_lock);
	old = getenv("TZ");
	*saved = old != NULL ? xstrdup(old) : NULL;
	if (setenv("TZ", val, 1) == -1) {
		pthread_mutex_unlock(&tz_lock);
		free(*saved);
		free(val);
		return -1;
	}
	free(val);
	tzset();
	return 0;
}

static void
tz_leave(char *saved)
{
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	pthread_mutex_unlock(&tz_lock);
	free(saved);
}

/* UTC offset in seconds at instant t. Needs tz_enter. */
static long
tz_offset(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* The wall time of t, to the minute. Needs tz_enter. */
static int
wall_from_time(time_t t, struct wall *w)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	w->year = tm.tm_year + 1900;
	w->mon = tm.tm_mon + 1;
	w->day = tm.tm_mday;
	w->hour = tm.tm_hour;
	w->min = tm.tm_min;
	return 0;
}

/*
 * The instant of wall time n (as wall_seconds): its first occurrence, or, if
 * the clock skipped it, the first instant after the gap. Assumes at most one
 * offset change within a day either side. Needs tz_enter.
 */
static time_t
local_to_time(time_t n)
{
	long a = tz_offset(n - DAY), b = tz_offset(n + DAY);
	time_t t1 = n - a, t2 = n - b, lo, hi, mid;
	int ok1 = tz_offset(t1) == a, ok2 = tz_offset(t2) == b;

	if (ok1 && ok2)
		return t1 < t2 ? t1 : t2;
	if (ok1 || ok2)
		return ok1 ? t1 : t2;
	/* A gap: find the first instant whose wall clock reaches n. */
	lo = t1 < t2 ? t1 : t2;
	hi = t1 < t2 ? t2 : t1;
	if (lo + tz_offset(lo) >= n || hi + tz_offset(hi) < n)
		return hi;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (mid + tz_offset(mid) >= n)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* Searching wall times. */

static int
next_bit(uint64_t bits, int from)
{
	for (; from < 64; from++) {
		if (bits & ((uint64_t)1 << from))
			return from;
	}
	return -1;
}

static void
wall_next_month(struct wall *w)
{
	if (++w->mon > 12) {
		w->mon = 1;
		w->year++;
	}
	w->day = 1;
	w->hour = w->min = 0;
}

static void
wall_next_day(struct wall *w)
{
	if (++w->day > days_in_month(w->year, w->mon)) {
		wall_next_month(w);
		return;
	}
	w->hour = w->min = 0;
}

static void
wall_next_hour(struct wall *w)
{
	if (++w->hour > 23) {
		wall_next_day(w);
		return;
	}
	w->min = 0;
}

static void
wall_next_minute(struct wall *w)
{
	if (++w->min > 59)
		wall_next_hour(w);
}

/*
 * Vixie's rule: when both day fields are restricted (neither starts with
 * '*'), a day matches if either does; otherwise both must.
 */
static int
day_matches(const struct cron *c, const struct wall *w)
{
	int last = days_in_month(w->year, w->mon);
	int wd = weekday(w->year, w->mon, w->day);
	int nth = (w->day - 1) / 7 + 1;
	int dom = (c->bits[F_DOM] >> w->day) & 1;
	int dow = (c->bits[F_DOW] >> wd) & 1;

	dom |= c->dom_last && w->day == last;
	dow |= (c->dow_nth[wd] >> nth) & 1;
	dow |= (c->dow_nth[wd] & 1) && w->day + 7 > last;

	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* Advance *w to the first matching wall time at or after it, before limit. */
static int
cron_match(const struct cron *c, struct wall *w, time_t limit)
{
	int h, m;

	while (wall_seconds(w) < limit) {
		if (!(c->bits[F_MON] & ((uint64_t)1 << w->mon))) {
			wall_next_month(w);
			continue;
		}
		if (!day_matches(c, w)) {
			wall_next_day(w);
			continue;
		}
		if ((h = next_bit(c->bits[F_HOUR], w->hour)) == -1) {
			wall_next_day(w);
			continue;
		}
		if (h != w->hour) {
			w->hour = h;
			w->min = 0;
		}
		if ((m = next_bit(c->bits[F_MIN], w->min)) == -1) {
			wall_next_hour(w);
			continue;
		}
		w->min = m;
		return 0;
	}
	return -1;
}

time_t
cron_next(const struct cron *c, time_t after, const char *tz)
{
	struct wall w, end;
	time_t limit, f, t = -1;
	char *saved;

	if (tz_enter(tz, &saved, NULL) == -1)
		return -1;
	if (wall_from_time(after, &w) == 0) {
		end = w;
		end.year += 5;
		limit = wall_seconds(&end);
		while (cron_match(c, &w, limit) == 0) {
			if ((f = local_to_time(wall_seconds(&w))) > after) {
				t = f;
				break;
			}
			wall_next_minute(&w);
		}
	}
	tz_leave(saved);
	return t;
}

int
cron_localtime(time_t t, const char *tz, struct tm *out)
{
	char *saved;
	int ok;

	if (tz_enter(tz, &saved, NULL) == -1)
		return -1;
	ok = localtime_r(&t, out) != NULL;
	tz_leave(saved);
	return ok ? 0 : -1;
}

int
cron_localtimes(const time_t *t, size_t n, const char *tz, struct tm *out)
{
	char *saved;
	size_t i;
	int ok = 1;

	if (tz_enter(tz, &saved, NULL) == -1)
		return -1;
	for (i = 0; i < n && ok; i++)
		ok = localtime_r(&t[i], &out[i]) != NULL;
	tz_leave(saved);
	return ok ? 0 : -1;
}

/* ISO 8601. */

int
cron_format_iso(time_t t, const char *tz, char *buf, size_t len)
{
	struct tm tm;
	char *saved;
	long off;
	int ok, n;

	if (tz_enter(tz, &saved, NULL) == -1)
		return -1;
	ok = localtime_r(&t, &tm) != NULL;
	tz_leave(saved);
	/* Offsets with seconds (local mean time before ~1900): use UTC. */
	if (ok && tm.tm_gmtoff % 60 != 0)
		ok = gmtime_r(&t, &tm) != NULL;
	if (!ok)
		return -1;
	off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, tm.tm_gmtoff < 0 ? '-' : '+',
	             off / 3600, off / 60 % 60);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

struct iso {
	int year, mon, day, hour, min, sec;
	int has_off, off_h, off_m, off_sign;
};

static int
scan_digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
scan_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

/* "Z", "z", "+HH:MM", "+HHMM" or "+HH", or nothing (local time). */
static int
iso_scan_offset(const char *p, struct iso *iso)
{
	if (*p == '\0')
		return 0;
	iso->has_off = 1;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	iso->off_sign = *p++ == '-' ? -1 : 1;
	if (scan_digits(&p, 2, &iso->off_h) == -1)
		return -1;
	if (*p == ':')
		p++;
	if (*p != '\0' && scan_digits(&p, 2, &iso->off_m) == -1)
		return -1;
	return *p == '\0' && p[-1] != ':' ? 0 : -1;
}

static int
iso_scan(const char *p, struct iso *iso)
{
	memset(iso, 0, sizeof *iso);
	if (scan_digits(&p, 4, &iso->year) == -1 || scan_char(&p, '-') == -1 ||
	    scan_digits(&p, 2, &iso->mon) == -1 || scan_char(&p, '-') == -1 ||
	    scan_digits(&p, 2, &iso->day) == -1)
		return -1;
	if (*p == '\0')
		return 0;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (scan_digits(&p, 2, &iso->hour) == -1 || scan_char(&p, ':') == -1 ||
	    scan_digits(&p, 2, &iso->min) == -1)
		return -1;
	if (*p == ':' &&
	    (scan_char(&p, ':') == -1 || scan_digits(&p, 2, &iso->sec) == -1))
		return -1;
	return iso_scan_offset(p, iso);
}

/* Why the scanned fields are out of range, in why; -1 if they are. */
static int
iso_check(const struct iso *iso, char *why, size_t len)
{
	if (iso->mon < 1 || iso->mon > 12)
		snprintf(why, len, "month %d is out of range 1-12", iso->mon);
	else if (iso->day < 1 || iso->day > days_in_month(iso->year, iso->mon))
		snprintf(why, len, "day %d is out of range 1-%d", iso->day,
		         days_in_month(iso->year, iso->mon));
	else if (iso->hour > 23)
		snprintf(why, len, "hour %d is out of range 0-23", iso->hour);
	else if (iso->min > 59)
		snprintf(why, len, "minute %d is out of range 0-59", iso->min);
	else if (iso->sec > 59)
		snprintf(why, len, "second %d is out of range 0-59", iso->sec);
	else if (iso->off_h > 23 || iso->off_m > 59)
		snprintf(why, len, "offset %02d:%02d is out of range",
		         iso->off_h, iso->off_m);
	else
		return 0;
	return -1;
}

int
cron_parse_iso(const char *s, const char *tz, time_t *out, char **cause)
{
	struct iso iso;
	char why[64], *saved;
	time_t n;

	if (iso_scan(s, &iso) == -1) {
		*cause = xasprintf("bad time '%s': expected "
		                   "YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]",
		                   s);
		return -1;
	}
	if (iso_check(&iso, why, sizeof why) == -1) {
		*cause = xasprintf("bad time '%s': %s", s, why);
		return -1;
	}
	n = days_from_civil(iso.year, iso.mon, iso.day) * DAY +
	    iso.hour * 3600 + iso.min * 60 + iso.sec;
	if (iso.has_off) {
		*out = n - iso.off_sign * (iso.off_h * 3600 + iso.off_m * 60);
		return 0;
	}
	if (tz_enter(tz, &saved, cause) == -1)
		return -1;
	*out = local_to_time(n);
	tz_leave(saved);
	return 0;
}
