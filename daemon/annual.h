/*
 * The annual report and evidence pack of a practice's PPG: membership,
 * representation, meetings, surveys, FFT trend, the action plan, messages,
 * and the self-assessment against the ICB's framework (framework.c), from
 * the data and the evidence log.
 */
#ifndef PPGD_ANNUAL_H
#define PPGD_ANNUAL_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

struct framework;

/* Build the report of practice code for a calendar year, or for the
 * financial year starting 1 April of year. Caller decrefs *out. */
int annual_report(struct db *, const char *code, int year, int financial,
                  const struct framework *, json_t **out, char **cause);
/* The same, as at time now (the clock passed in). */
int annual_report_at(struct db *, const char *code, int year, int financial,
                     const struct framework *, int64_t now, json_t **out,
                     char **cause);
/* Record who agreed the report's self-assessment ("NAME, ROLE"). */
int annual_sign_off(struct db *, const json_t *report, const char *by,
                    char **cause);
/* The report as one self-contained HTML page, following NHS England's
 * reporting template; small numbers suppressed unless internal. Caller
 * frees. */
char *annual_html(const json_t *report, int internal, size_t *len);
/*
 * For a face that shows progress: fn is called as each part of the report
 * starts (its name, its number from 1, and the number of parts); NULL: no
 * calls.
 */
void annual_set_progress(void (*fn)(const char *part, int n, int of, void *),
                         void *arg);

#endif
