/*
 * Survey results rendered for people: text and CSV on standard output, HTML
 * pages as documents (published, or internal with every count), from the
 * JSON of tally_run and trend_run. The command writes them (cmd_results.c).
 */
#ifndef PPGD_RESULTS_OUT_H
#define PPGD_RESULTS_OUT_H

#include <stddef.h>
#include <jansson.h>

/* tally_run's results as text on standard output. */
void results_text(const json_t *r);
/* Comments on a page unless --per-page says otherwise. */
#define COMMENTS_PER_PAGE_DEFAULT 50
/* A page of tally_comments as text; target names it in the hint for the
 * next page. */
void results_comments_text(const json_t *page, const char *target);
/* As CSV on standard output; raw leaves formulas unguarded. 0 or -1. */
int results_csv(const json_t *r, int raw);
/* As an HTML page. Caller frees. */
char *results_html(const json_t *r, int internal, size_t *len);

/* trend_run's results over time as text on standard output. */
void results_trend_text(const json_t *r);
/* As CSV on standard output, each period beside the one before. 0 or -1. */
int results_trend_csv(const json_t *r);
/* As an HTML page. Caller frees. */
char *results_trend_html(const json_t *r, int internal, size_t *len);

/* trend_fft_submission's rows as NHS England's CSV on standard output. */
int results_submission_csv(const json_t *rows);

#endif
