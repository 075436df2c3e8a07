/* Self-contained HTML report pages: shell, tables, inline SVG charts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htmlout.h"
#include "log.h"
#include "template.h"
#include "xmalloc.h"

/* Bar charts: row height, label column, full bar, drawing width. */
#define BAR_ROW   26
#define BAR_LEFT  215
#define BAR_SPAN  300.0
#define BAR_WIDTH 600

struct html {
	FILE *fp;
	char *buf;
	size_t len;
	int ids; /* for unique element ids */
};

/* Print on A4 without the phone layout; bars and tables never split. */
static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;"
    "color:#212b32;background:#fff;line-height:1.45;margin:0 auto;"
    "padding:1rem;max-width:60rem}"
    "h1{font-size:1.7rem;margin:0 0 .5rem}h2{font-size:1.3rem;"
    "margin:1.8rem 0 .4rem;border-bottom:2px solid #005eb8}"
    "h3{font-size:1.1rem;margin:1.2rem 0 .3rem}"
    "section,figure{margin:0 0 1.2rem;break-inside:avoid}"
    "svg{display:block;width:100%;height:auto;max-width:44rem}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.95rem}"
    "caption{text-align:left;font-weight:600;padding:.2rem 0}"
    "th,td{border:1px solid #aeb7bd;padding:.25rem .5rem;text-align:left;"
    "vertical-align:top}td.n{text-align:right}thead th{background:#e8edee}"
    ".flag{color:#d5281b;font-weight:600}.note{color:#4c6272;"
    "font-size:.9rem}"
    ".internal{border:3px solid #d5281b;color:#d5281b;font-weight:700;"
    "padding:.4rem .6rem;margin:0 0 1rem}"
    /* Printed only; a fixed element repeats on every printed page. */
    ".watermark{display:none;position:fixed;top:45%;left:0;right:0;"
    "text-align:center;font-size:44pt;font-weight:700;"
    "color:rgba(213,40,27,.18);transform:rotate(-30deg);"
    "pointer-events:none}"
    "@media (max-width:40rem){body{padding:.5rem;font-size:.95rem}"
    "h1{font-size:1.35rem}th,td{padding:.2rem .3rem}}"
    "@media print{@page{size:A4;margin:15mm}body{max-width:none;"
    "padding:0;font-size:10.5pt}h2{break-after:avoid}"
    "table,figure,svg{break-inside:avoid}.scroll{overflow:visible}"
    ".watermark{display:block}}";

struct html *
html_new(const char *title)
{
	struct html *h = xcalloc(1, sizeof *h);

	if ((h->fp = open_memstream(&h->buf, &h->len)) == NULL)
		fatal("open_memstream");
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
	      "lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\"/>\n",
	      h->fp);
	html_elem(h, "title", title);
	fprintf(h->fp, "\n<style>%s</style>\n</head>\n<body>\n", style);
	html_elem(h, "h1", title);
	fputc('\n', h->fp);
	return h;
}

void
html_free(struct html *h)
{
	if (h == NULL)
		return;
	fclose(h->fp);
	free(h->buf);
	free(h);
}

void
html_raw(struct html *h, const char *markup)
{
	fputs(markup, h->fp);
}

void
html_text(struct html *h, const char *text)
{
	char *e = html_escape(text != NULL ? text : "");

	fputs(e, h->fp);
	free(e);
}

void
html_elem(struct html *h, const char *tag, const char *text)
{
	size_t n = strcspn(tag, " ");

	fprintf(h->fp, "<%s>", tag);
	html_text(h, text);
	fprintf(h->fp, "</%.*s>", (int)n, tag);
}

/* A cell that looks like a figure ("12", "40.0%", "<5") aligns right. */
static int
numeric(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	if (strcmp(s, "*") == 0 || strcmp(s, "-") == 0)
		return 1;
	if (*s == '<' || *s == '-' || *s == '*')
		s++;
	return strspn(s, "0123456789.%") == strlen(s) && *s != '\0';
}

void
html_table_begin(struct html *h, const char *caption, const char *const *heads,
                 size_t n)
{
	size_t i;

	html_raw(h, "<div class=\"scroll\"><table>");
	html_elem(h, "caption", caption);
	html_raw(h, "<thead><tr>");
	for (i = 0; i < n; i++)
		html_elem(h, "th scope=\"col\"", heads[i]);
	html_raw(h, "</tr></thead>\n<tbody>\n");
}

void
html_table_row(struct html *h, const char *const *cells, size_t n)
{
	size_t i;

	html_raw(h, "<tr>");
	for (i = 0; i < n; i++) {
		if (i == 0)
			html_elem(h, "th scope=\"row\"", cells[i]);
		else
			html_elem(h,
			          numeric(cells[i]) ? "td class=\"n\"" : "td",
			          cells[i]);
	}
	html_raw(h, "</tr>\n");
}

void
html_table_end(struct html *h)
{
	html_raw(h, "</tbody></table></div>\n");
}

/* Open an <svg> labelled by its <title> and <desc>. */
static void
svg_begin(struct html *h, int width, int height, const char *title,
          const char *desc)
{
	int id = ++h->ids;

	fprintf(h->fp,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
	        "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	        "aria-labelledby=\"c%d-t c%d-d\" font-size=\"13\">",
	        width, height, width, height, id, id);
	fprintf(h->fp, "<title id=\"c%d-t\">", id);
	html_text(h, title);
	fprintf(h->fp, "</title><desc id=\"c%d-d\">", id);
	html_text(h, desc);
	fputs("</desc>", h->fp);
}

/* A label cut to fit the chart's label column, on a UTF-8 boundary. */
static char *
short_label(const char *s)
{
	size_t max = 26, n = 0, chars = 0;

	while (s[n] != '\0' && chars < max) {
		n++;
		while ((s[n] & 0xC0) == 0x80)
			n++;
		chars++;
	}
	if (s[n] == '\0')
		return xstrdup(s);
	return xasprintf("%.*s\xE2\x80\xA6", (int)n, s);
}

/* An SVG <text> element with more attributes (trusted markup, "" for
 * none); text escaped. */
static void
svg_text_attrs(struct html *h, double x, double y, const char *anchor,
               const char *attrs, const char *text)
{
	fprintf(h->fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x,
	        y, anchor, attrs);
	html_text(h, text);
	fputs("</text>", h->fp);
}

static void
svg_text(struct html *h, double x, double y, const char *anchor,
         const char *text)
{
	svg_text_attrs(h, x, y, anchor, "", text);
}

/* The largest value of the bars, or 1 if none is above 0. */
static double
bars_max(const struct html_bar *bars, size_t n)
{
	double max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	return max > 0 ? max : 1;
}

/* Roughly how wide text is at the chart's font size. */
static double
text_width(const char *s)
{
	size_t chars = 0;

	for (; *s != '\0'; s++)
		chars += (*s & 0xC0) != 0x80;
	return (double)chars * 7.5;
}

/*
 * One bar with its label and value. The value goes beside the bar's end, or
 * inside it (in white) when it would run off the chart, so it is always
 * within the drawing at any value.
 */
static void
bar_draw(struct html *h, const struct html_bar *b, size_t i, double max)
{
	double w = b->value > 0 ? b->value / max * BAR_SPAN : 0,
	       y = (double)i * BAR_ROW;
	char *label = short_label(b->label);
	char *value =
	    b->shown != NULL ? xstrdup(b->shown) : xasprintf("%g", b->value);
	double tw = text_width(value);

	if (w > BAR_SPAN)
		w = BAR_SPAN;
	svg_text(h, BAR_LEFT - 8, y + 21, "end", label);
	fprintf(h->fp,
	        "<rect x=\"%d\" y=\"%.0f\" width=\"%.1f\" height=\"18\" "
	        "fill=\"#005eb8\"/>",
	        BAR_LEFT, y + 6, w);
	if (BAR_LEFT + w + 6 + tw <= BAR_WIDTH || w < tw + 8)
		/* A white halo keeps a reference line from crossing it. */
		svg_text_attrs(h, BAR_LEFT + w + 6, y + 21, "start",
		               " class=\"v\" stroke=\"#fff\" stroke-width=\"4\""
		               " paint-order=\"stroke\"",
		               value);
	else {
		fprintf(h->fp, "<g fill=\"#fff\">");
		svg_text_attrs(h, BAR_LEFT + w - 4, y + 21, "end",
		               " class=\"v\"", value);
		fputs("</g>", h->fp);
	}
	free(label);
	free(value);
}

void
html_bar_chart(struct html *h, const char *title, const char *desc,
               const struct html_bar *bars, size_t n, double max)
{
	size_t i;

	if (max <= 0)
		max = bars_max(bars, n);
	svg_begin(h, BAR_WIDTH, (int)n * BAR_ROW + 8, title, desc);
	for (i = 0; i < n; i++)
		bar_draw(h, &bars[i], i, max);
	fputs("</svg>\n", h->fp);
}

double
html_ratio_max(const struct html_bar *bars, size_t n)
{
	double max = ceil(bars_max(bars, n) * 2) / 2;

	return max > 2 ? max : 2;
}

void
html_ratio_chart(struct html *h, const char *title, const char *desc,
                 const struct html_bar *bars, size_t n, const char *ref_label)
{
	double max = html_ratio_max(bars, n), x = BAR_LEFT + BAR_SPAN / max;
	int height = (int)n * BAR_ROW + 26;
	size_t i;

	svg_begin(h, BAR_WIDTH, height, title, desc);
	/* The line first: bars and their values are drawn over it. */
	fprintf(h->fp,
	        "<line class=\"ref\" x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" "
	        "y2=\"%d\" stroke=\"#212b32\" stroke-width=\"2\" "
	        "stroke-dasharray=\"4 3\"/>",
	        x, x, (int)n * BAR_ROW + 8);
	svg_text(h, x, height - 4, "middle", ref_label);
	for (i = 0; i < n; i++)
		bar_draw(h, &bars[i], i, max);
	fputs("</svg>\n", h->fp);
}

/* The polyline segments between gaps, and a dot per point. */
static void
line_points(struct html *h, const double *values, size_t n, double x0,
            double dx, double y0, double scale)
{
	size_t i;
	int open = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || isnan(values[i])) {
			if (open)
				fputs("\" fill=\"none\" stroke=\"#005eb8\" "
				      "stroke-width=\"2\"/>",
				      h->fp);
			open = 0;
			continue;
		}
		if (!open)
			fputs("<polyline points=\"", h->fp);
		fprintf(h->fp, "%s%.1f,%.1f", open ? " " : "", x0 + dx * i,
		        y0 - values[i] * scale);
		open = 1;
	}
	for (i = 0; i < n; i++)
		if (!isnan(values[i]))
			fprintf(h->fp,
			        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			        "fill=\"#005eb8\"/>",
			        x0 + dx * i, y0 - values[i] * scale);
}

void
html_line_chart(struct html *h, const char *title, const char *desc,
                const char *const *labels, const double *values, size_t n,
                double ymax, const char *unit)
{
	const double x0 = 50, y0 = 210, height = 190, width = 530;
	double dx = n > 1 ? width / (double)(n - 1) : 0, scale;
	char *tick;
	int g;
	size_t i;

	if (ymax <= 0)
		ymax = 1;
	scale = height / ymax;
	svg_begin(h, 600, 240, title, desc);
	for (g = 0; g <= 4; g++) {
		double y = y0 - height * g / 4;

		fprintf(h->fp,
		        "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
		        "stroke=\"#d8dde0\"/>",
		        x0, y, x0 + width, y);
		tick = xasprintf("%g%s", ymax * g / 4, unit);
		svg_text(h, x0 - 6, y + 4, "end", tick);
		free(tick);
	}
	for (i = 0; i < n; i++)
		svg_text(h, x0 + dx * i, y0 + 20, "middle", labels[i]);
	line_points(h, values, n, x0, dx, y0, scale);
	fputs("</svg>\n", h->fp);
}

void
html_internal(struct html *h, const char *text)
{
	html_elem(h, "p class=\"internal\" role=\"note\"", text);
	html_elem(h, "div class=\"watermark\" aria-hidden=\"true\"",
	          "NOT FOR PUBLICATION");
	fputc('\n', h->fp);
}

char *
html_finish(struct html *h, size_t *len)
{
	char *out;

	fputs("</body>\n</html>\n", h->fp);
	if (fclose(h->fp) != 0)
		fatal("html: memstream");
	out = h->buf;
	if (len != NULL)
		*len = h->len;
	free(h);
	return out;
}
