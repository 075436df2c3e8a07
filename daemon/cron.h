/* Five-field cron expressions evaluated in an IANA time zone. */
#ifndef PPGD_CRON_H
#define PPGD_CRON_H

#include <stddef.h>
#include <time.h>

struct cron;

/* Parse a five-field cron expression or @macro. Caller frees *out, *cause. */
int cron_parse(const char *expr, struct cron **out, char **cause);
/* Free a parsed expression (NULL is fine). */
void cron_free(struct cron *);
/* The next fire time strictly after `after` in zone tz (NULL: Europe/London);
 * (time_t)-1 if none within 5 years or tz is unknown. */
time_t cron_next(const struct cron *, time_t after, const char *tz);
/* Check that tz (NULL: Europe/London) names a known IANA zone. Caller frees
 * *cause. */
int cron_check_tz(const char *tz, char **cause);
/* Format t as ISO 8601 with the zone's offset: 2026-03-29T02:00:00+01:00. */
int cron_format_iso(time_t t, const char *tz, char *buf, size_t len);
/* Parse ISO 8601 with an offset or Z, or as local time in tz (NULL: London).
 * Caller frees *cause. */
int cron_parse_iso(const char *s, const char *tz, time_t *out, char **cause);

/* Local broken-down time of t in zone tz (NULL: Europe/London). */
int cron_localtime(time_t t, const char *tz, struct tm *out);
/* cron_localtime for n instants under one switch of zone (much cheaper
 * than n calls); -1 if tz is unknown or an instant cannot be shown. */
int cron_localtimes(const time_t *t, size_t n, const char *tz, struct tm *out);

#endif
