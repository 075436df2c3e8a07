/*
 * Results over time: a survey's or campaign's tally by month or quarter,
 * each period with the one before it beside it; and the monthly FFT counts
 * NHS England's FFT data collection asks a practice for, by collection mode.
 */
#ifndef PPGD_TREND_H
#define PPGD_TREND_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"
#include "tally.h"

/* At most this many periods in one trend. */
#define TREND_MAX_PERIODS 60

/* 1 if unit is "month" or "quarter". */
int trend_unit_valid(const char *unit);
/*
 * The tally of q by unit ("month" or "quarter") over q's window, or the
 * months of its first to last response: periods[] each with its summary
 * (responses, invitations, response rate, per question counts, percents
 * and FFT scores) and "previous", the period before. Caller decrefs.
 */
int trend_run(struct db *, const struct tally_query *q, const char *unit,
              json_t **out, char **cause);
/*
 * FFT counts of practice code (NULL: the only practice) for the month
 * "YYYY-MM" from the survey or campaign target: for each collection mode,
 * the answers Very good .. Don't know and their total. Caller decrefs.
 */
int trend_fft_submission(struct db *, const char *target, const char *code,
                         const char *month, json_t **out, char **cause);

#endif
