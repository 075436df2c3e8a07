/*
 * Survey results: per-question counts, percentages, FFT scores, mean and
 * median, free text, completion and response rates, and breakdowns by a
 * demographic field with small-number suppression. Figures come from SQL
 * aggregates (GROUP BY), never from loading every answer.
 */
#ifndef PPGD_TALLY_H
#define PPGD_TALLY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "db.h"

/* Cells under this many people are published as "<5". */
#define TALLY_SMALL 5

/* What to tally. target: a survey slug (its newest version), "slug@N", a
 * campaign name, or either with a "survey:" / "campaign:" prefix. */
struct tally_query {
	const char *target;
	const char *practice; /* practice code, or NULL for all */
	int64_t from, to;     /* responses started in [from, to); 0: open */
	const char *by;       /* age_band, sex, ethnicity, or NULL */
	int approved;         /* free text: approved comments only, masked */
	int moderated; /* free text: every comment, masked, with status */
	int counted;   /* free text: a count only (the summary), no answers */
};

/* A cell's fate in a published breakdown. */
enum tally_cell { TALLY_SHOWN, TALLY_PRIMARY, TALLY_SECONDARY };

/* Tally q into *out (the JSON of `ppgd results --json`). Caller decrefs. */
int tally_run(struct db *, const struct tally_query *, json_t **out,
              char **cause);
/* The most comments on one page of tally_comments. */
#define TALLY_PER_PAGE_MAX 1000
/*
 * One page (from 1, per_page from 1 to TALLY_PER_PAGE_MAX) of q's free-text
 * comments, in the order they came, paged in SQL: published, the approved
 * ones (question, text, theme); internal, every one with its id, status,
 * date and the member (when the survey is not anonymous). Texts are as
 * masked and moderated (comments.h). *out: survey, campaign, filters,
 * internal, page, per_page, total, pages, comments. Caller decrefs.
 */
int tally_comments(struct db *, const struct tally_query *q, int internal,
                   long page, long per_page, json_t **out, char **cause);
/*
 * Small-number suppression of a rows x cols table whose rows and columns
 * have published totals (the last column holds the row totals). Cells under
 * TALLY_SMALL (0 included) are TALLY_PRIMARY; then, until nothing changes,
 * any row or column with exactly one suppressed cell has its smallest shown
 * cell made TALLY_SECONDARY, so no hidden figure can be worked out by
 * subtraction. flags has rows * cols entries.
 */
void tally_suppress(const long *cells, size_t rows, size_t cols,
                    unsigned char *flags);
/* NHS England FFT scores in percent over all six answers (Don't know and
 * Neither included); counts in option order. -1 when there are none. */
void tally_fft(const long counts[6], double *positive, double *negative);
/* The median of a distribution sorted by value (counts > 0). */
double tally_median(const double *values, const long *counts, size_t n);
/* A percentage rounded to one decimal place. */
double tally_percent(long part, long whole);
/* FFT collection modes as ppgd knows them: answers by text message, by
 * the web form, and any other way. */
enum tally_mode { TALLY_MODE_SMS, TALLY_MODE_WEB, TALLY_MODE_OTHER };
#define TALLY_NMODES 3
/* The answers to q's FFT questions by mode and answer (option order). */
int tally_fft_modes(struct db *, const struct tally_query *,
                    long counts[TALLY_NMODES][6], char **cause);
/* Valid --by fields: 1 if field is one. */
int tally_by_valid(const char *field);

#endif
