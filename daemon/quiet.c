/* Quiet hours: [sms] quiet_start..quiet_end local time, optionally Sunday. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "quiet.h"

static int64_t quiet_compute(const struct config *, const char *, int64_t);

/*
 * Zone conversions re-read the zone file, and the dispatcher asks for every
 * SMS it claims: remember the last answer for the same zone, minute and
 * settings.
 */
int64_t
quiet_until(const struct config *cfg, const char *tz, int64_t now)
{
	static char last_tz[64];
	static int64_t last_until;
	static long long last_key[4] = {-1, -1, -1, -1};
	long long key[4];

	if (tz == NULL || *tz == '\0')
		tz = config_str(cfg, CFG_TIMEZONE);
	key[0] = now / 60;
	key[1] = config_int(cfg, CFG_SMS_QUIET_START);
	key[2] = config_int(cfg, CFG_SMS_QUIET_END);
	key[3] = config_int(cfg, CFG_SMS_QUIET_SUNDAY);
	if (strlen(tz) >= sizeof last_tz) /* no zone name is this long */
		return quiet_compute(cfg, tz, now);
	if (strcmp(tz, last_tz) != 0 ||
	    memcmp(key, last_key, sizeof key) != 0) {
		last_until = quiet_compute(cfg, tz, now - now % 60);
		strcpy(last_tz, tz);
		memcpy(last_key, key, sizeof key);
	}
	return last_until;
}

static int64_t
quiet_compute(const struct config *cfg, const char *tz, int64_t now)
{
	int qs = (int)config_int(cfg, CFG_SMS_QUIET_START);
	int qe = (int)config_int(cfg, CFG_SMS_QUIET_END);
	int sunday = (int)config_int(cfg, CFG_SMS_QUIET_SUNDAY);
	struct cron *c;
	struct tm tm;
	char expr[32], *cause = NULL;
	int mins, quiet;
	time_t end;

	if (cron_localtime((time_t)now, tz, &tm) == -1)
		return 0;
	mins = tm.tm_hour * 60 + tm.tm_min;
	if (qs > qe)
		quiet = mins >= qs || mins < qe;
	else
		quiet = qs < qe && mins >= qs && mins < qe;
	if (sunday && tm.tm_wday == 0)
		quiet = 1;
	if (!quiet)
		return 0;
	/* The next end of quiet hours (on a weekday if Sunday is quiet). */
	snprintf(expr, sizeof expr, "%d %d * * %s", qe % 60, qe / 60,
	         sunday ? "1-6" : "*");
	if (cron_parse(expr, &c, &cause) == -1) {
		free(cause);
		return 0;
	}
	end = cron_next(c, (time_t)now, tz);
	cron_free(c);
	return end == (time_t)-1 ? 0 : (int64_t)end;
}
