/*
 * The annual report and evidence pack of a practice's PPG: membership,
 * representation, meetings, surveys, FFT trend, the action plan, messages,
 * and the bronze/silver/gold self-assessment of the commissioning framework
 * pre-filled from the data.
 */
#ifndef PPGD_ANNUAL_H
#define PPGD_ANNUAL_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

/* Build the report of practice code for a calendar year, or for the
 * financial year starting 1 April of year. Caller decrefs *out. */
int annual_report(struct db *, const char *code, int year, int financial,
                  json_t **out, char **cause);
/* The same, as at time now (the clock passed in). */
int annual_report_at(struct db *, const char *code, int year, int financial,
                     int64_t now, json_t **out, char **cause);
/* The report as one self-contained HTML page, following NHS England's
 * reporting template; small numbers suppressed unless internal. Caller
 * frees. */
char *annual_html(const json_t *report, int internal, size_t *len);

#endif
