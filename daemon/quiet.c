/* Quiet hours: [sms] quiet_start..quiet_end local time, optionally Sunday. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cron.h"
#include "quiet.h"

int64_t
quiet_until(const struct config *cfg, const char *tz, int64_t now)
{
	int qs = (int)config_int(cfg, CFG_SMS_QUIET_START);
	int qe = (int)config_int(cfg, CFG_SMS_QUIET_END);
	int sunday = (int)config_int(cfg, CFG_SMS_QUIET_SUNDAY);
	struct cron *c;
	struct tm tm;
	char expr[32], *cause = NULL;
	int mins, quiet;
	time_t end;

	if (tz == NULL || *tz == '\0')
		tz = config_str(cfg, CFG_TIMEZONE);
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
