/*
 * The annual report and evidence pack of a practice's PPG: membership,
 * representation, meetings, surveys, FFT trend, the action plan, messages,
 * and the bronze/silver/gold self-assessment of the commissioning framework
 * pre-filled from the data.
 */
#ifndef PPGD_ANNUAL_H
#define PPGD_ANNUAL_H

#include <jansson.h>

#include "db.h"

/* Build the report of practice code for a calendar year, or for the
 * financial year starting 1 April of year. Caller decrefs *out. */
int annual_report(struct db *, const char *code, int year, int financial,
                  json_t **out, char **cause);
/*
 * For a face that shows progress: fn is called as each part of the report
 * starts (its name, its number from 1, and the number of parts); NULL: no
 * calls.
 */
void annual_set_progress(void (*fn)(const char *part, int n, int of,
                                    void *),
                         void *arg);
/* The report as one self-contained HTML page. Caller frees. */
char *annual_html(const json_t *report, size_t *len);

#endif
