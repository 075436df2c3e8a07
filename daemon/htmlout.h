/*
 * Self-contained HTML pages for reports: the page shell (inline CSS, print on
 * A4, readable on a phone), data tables and inline SVG charts. The markup is
 * XHTML-compatible (well-formed XML); every text argument is escaped.
 */
#ifndef PPGD_HTMLOUT_H
#define PPGD_HTMLOUT_H

#include <stddef.h>

struct html;

/* One bar: its label, value (scaled against the chart's max) and the text
 * shown beside it ("40%" or "<5"); shown NULL prints the value. */
struct html_bar {
	const char *label;
	double value;
	const char *shown;
};

/* Start a page: doctype, head with the style sheet, body and an h1. */
struct html *html_new(const char *title);
void html_free(struct html *);
/* Append trusted markup (constants only, never data). */
void html_raw(struct html *, const char *markup);
/* Append text, escaped. */
void html_text(struct html *, const char *text);
/* Append <tag>text</tag>, text escaped; tag may carry attributes. */
void html_elem(struct html *, const char *tag, const char *text);
/* A table: caption, column heads; each row's first cell is its row head. */
void html_table_begin(struct html *, const char *caption,
                      const char *const *heads, size_t n);
void html_table_row(struct html *, const char *const *cells, size_t n);
void html_table_end(struct html *);
/* A horizontal bar chart as inline SVG with a title and description; max is
 * the value of a full-width bar (<= 0: the largest value). */
void html_bar_chart(struct html *, const char *title, const char *desc,
                    const struct html_bar *bars, size_t n, double max);
/*
 * A bar chart of ratios on a fixed scale (0 to 2, wider if a ratio is
 * above 2), with a reference line at 1.0 labelled ref_label.
 */
void html_ratio_chart(struct html *, const char *title, const char *desc,
                      const struct html_bar *bars, size_t n,
                      const char *ref_label);
/* The full-width value of html_ratio_chart for these bars. */
double html_ratio_max(const struct html_bar *bars, size_t n);
/* A line chart over n points; a NaN value is a gap. ymax is the top of the
 * axis; unit follows each value ("%"). */
void html_line_chart(struct html *, const char *title, const char *desc,
                     const char *const *labels, const double *values, size_t n,
                     double ymax, const char *unit);
/* A boxed warning under the title ("not for publication"), and the same
 * across every printed page. */
void html_internal(struct html *, const char *text);
/* Close the page and return it. Caller frees; h is freed. */
char *html_finish(struct html *, size_t *len);

#endif
