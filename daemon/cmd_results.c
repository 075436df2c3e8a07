/* ppgd results: a survey's or campaign's tally as text, JSON, CSV or HTML. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvio.h"
#include "htmlout.h"
#include "tally.h"
#include "util.h"
#include "xmalloc.h"

#define RESULTS_USAGE                                                          \
	"results SURVEY|CAMPAIGN [--practice CODE] [--from DATE] [--to DATE]"  \
	" [--by age_band|sex|ethnicity] [--json|--csv[=-]|--html FILE]"

enum { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_HTML };

/* ---- reading the tally JSON --------------------------------------------- */

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static long
ji(const json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

/* A number as text ("40", "40.5"), or "-" for null. Caller frees. */
static char *
jfmt(const json_t *o, const char *k, const char *unit)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	return xasprintf("%g%s", json_number_value(v), unit);
}

/* ---- plain text --------------------------------------------------------- */

static void
text_rates(const json_t *r)
{
	const json_t *inv = json_object_get(r, "invitations");
	const json_t *rr = json_object_get(r, "response_rate_by_channel");
	char *c = jfmt(r, "completion_rate", "%"),
	     *rate = jfmt(r, "response_rate", "%");
	char *e = jfmt(rr, "email", "%"), *s = jfmt(rr, "sms", "%");

	printf("responses: %ld (%ld completed, %s)\n", ji(r, "responses"),
	       ji(r, "completed"), c);
	printf("invitations delivered: %ld (email %ld, sms %ld); response rate "
	       "%s (email %s, sms %s)\n",
	       ji(inv, "total"), ji(inv, "email"), ji(inv, "sms"), rate, e, s);
	free(c);
	free(rate);
	free(e);
	free(s);
}

static void
text_by(const json_t *by)
{
	const json_t *g, *cell;
	size_t i, j;
	char *pct;

	printf("  by %s (\"<5\": fewer than 5 people; \"*\": hidden so a "
	       "\"<5\" cannot be worked out):\n",
	       js(by, "field"));
	json_array_foreach(json_object_get(by, "groups"), i, g)
	{
		printf("    %-18s n=%-4s", js(g, "group"),
		       js(json_object_get(g, "respondents"), "shown"));
		json_array_foreach(json_object_get(g, "cells"), j, cell)
		{
			pct = jfmt(cell, "percent", "%");
			printf(" %5s (%s)", js(cell, "shown"), pct);
			free(pct);
		}
		putchar('\n');
	}
}

static void
text_question(const json_t *q)
{
	const json_t *o, *fft = json_object_get(q, "fft");
	size_t i;
	char *a, *b;

	printf("\n%s: %s (%ld respondents)\n", js(q, "key"), js(q, "text"),
	       ji(q, "respondents"));
	json_array_foreach(json_object_get(q, "options"), i, o)
	{
		a = jfmt(o, "percent", "%");
		printf("  %3ld  %-32s %6ld  %6s\n", ji(o, "option"),
		       js(o, "label"), ji(o, "count"), a);
		free(a);
	}
	if (fft != NULL) {
		a = jfmt(fft, "positive", "%");
		b = jfmt(fft, "negative", "%");
		printf("  FFT: %s positive, %s negative\n", a, b);
		free(a);
		free(b);
	}
	if (json_object_get(q, "mean") != NULL) {
		a = jfmt(q, "mean", "");
		b = jfmt(q, "median", "");
		printf("  mean %s, median %s\n", a, b);
		free(a);
		free(b);
	}
	json_array_foreach(json_object_get(q, "answers"), i, o)
	{
		printf("  - %s", js(o, "text"));
		if (json_is_string(json_object_get(o, "member")))
			printf(" (%s)", js(o, "member"));
		printf(" [%s]\n", js(o, "date"));
	}
	if (json_object_get(q, "by") != NULL)
		text_by(json_object_get(q, "by"));
}

static void
results_text(const json_t *r)
{
	const json_t *s = json_object_get(r, "survey"), *q;
	size_t i;

	printf("%s (%s v%ld)", js(s, "title"), js(s, "slug"), ji(s, "version"));
	if (json_is_string(json_object_get(r, "campaign")))
		printf(", campaign %s", js(r, "campaign"));
	putchar('\n');
	text_rates(r);
	json_array_foreach(json_object_get(r, "questions"), i, q)
	    text_question(q);
}

/* ---- CSV ---------------------------------------------------------------- */

/* One row: question,type,group,option,label,count,percent,value,member. */
static int
csv_row(FILE *fp, const json_t *q, const char *group, const char *option,
        const char *label, const char *count, const char *percent,
        const char *value, const char *member)
{
	const char *f[9] = {js(q, "key"), js(q, "type"), group, option, label,
	                    count,        percent,       value, member};

	return csvw_record(fp, f, 9);
}

static int
csv_stat(FILE *fp, const json_t *q, const char *k)
{
	char *v;
	int rv;

	if (json_object_get(q, k) == NULL)
		return 0;
	v = jfmt(q, k, "");
	rv = csv_row(fp, q, "all", k, "", "", "", v, "");
	free(v);
	return rv;
}

static int
csv_by(FILE *fp, const json_t *q, const json_t *by)
{
	const json_t *g, *c, *opts = json_object_get(q, "options");
	size_t i, j;
	char *num, *pct;
	int rv = 0;

	json_array_foreach(json_object_get(by, "groups"), i, g)
	{
		rv |= csv_row(fp, q, js(g, "group"), "respondents", "",
		              js(json_object_get(g, "respondents"), "shown"),
		              "", "", "");
		json_array_foreach(json_object_get(g, "cells"), j, c)
		{
			const json_t *o = json_array_get(opts, j);

			num = xasprintf("%ld", ji(o, "option"));
			pct = json_is_null(json_object_get(c, "percent"))
			          ? xstrdup("")
			          : jfmt(c, "percent", "");
			rv |=
			    csv_row(fp, q, js(g, "group"), num, js(o, "label"),
			            js(c, "shown"), pct, "", "");
			free(num);
			free(pct);
		}
	}
	return rv;
}

static int
csv_question(FILE *fp, const json_t *q)
{
	const json_t *o, *fft = json_object_get(q, "fft");
	char *num, *cnt, *pct;
	size_t i;
	int rv;

	cnt = xasprintf("%ld", ji(q, "respondents"));
	rv = csv_row(fp, q, "all", "respondents", "", cnt, "", "", "");
	free(cnt);
	json_array_foreach(json_object_get(q, "options"), i, o)
	{
		num = xasprintf("%ld", ji(o, "option"));
		cnt = xasprintf("%ld", ji(o, "count"));
		pct = jfmt(o, "percent", "");
		rv |= csv_row(fp, q, "all", num, js(o, "label"), cnt, pct, "",
		              "");
		free(num);
		free(cnt);
		free(pct);
	}
	if (fft != NULL) {
		pct = jfmt(fft, "positive", "");
		rv |=
		    csv_row(fp, q, "all", "fft_positive", "", "", pct, "", "");
		free(pct);
		pct = jfmt(fft, "negative", "");
		rv |=
		    csv_row(fp, q, "all", "fft_negative", "", "", pct, "", "");
		free(pct);
	}
	rv |= csv_stat(fp, q, "mean") | csv_stat(fp, q, "median") |
	      csv_stat(fp, q, "min") | csv_stat(fp, q, "max");
	json_array_foreach(json_object_get(q, "answers"), i, o) rv |=
	    csv_row(fp, q, "all", "answer", js(o, "text"), "", "",
	            js(o, "date"), js(o, "member"));
	if (json_object_get(q, "by") != NULL)
		rv |= csv_by(fp, q, json_object_get(q, "by"));
	return rv;
}

static int
results_csv(const json_t *r)
{
	static const char *const head[] = {"question", "type",  "group",
	                                   "option",   "label", "count",
	                                   "percent",  "value", "member"};
	const json_t *q;
	size_t i;
	int rv = csvw_record(stdout, head, 9);

	json_array_foreach(json_object_get(r, "questions"), i, q) rv |=
	    csv_question(stdout, q);
	return rv;
}

/* ---- HTML --------------------------------------------------------------- */

static void
html_summary(struct html *h, const json_t *r)
{
	const json_t *inv = json_object_get(r, "invitations");
	char *c = jfmt(r, "completion_rate", "%"),
	     *rate = jfmt(r, "response_rate", "%");
	char *line;

	line =
	    xasprintf("%ld responses, %ld completed (%s). %ld invitations "
	              "delivered (email %ld, SMS %ld); response rate %s.",
	              ji(r, "responses"), ji(r, "completed"), c,
	              ji(inv, "total"), ji(inv, "email"), ji(inv, "sms"), rate);
	html_elem(h, "p", line);
	free(line);
	free(c);
	free(rate);
}

/* The option chart and its table, as one figure. */
static void
html_options(struct html *h, const json_t *q)
{
	const json_t *opts = json_object_get(q, "options"), *o;
	size_t n = json_array_size(opts), i;
	struct html_bar *bars = xcalloc(n, sizeof *bars);
	char **shown = xcalloc(n, sizeof *shown), *desc, *cells[3];
	static const char *const heads[] = {"Answer", "Count", "Percent"};

	json_array_foreach(opts, i, o)
	{
		shown[i] = jfmt(o, "percent", "%");
		bars[i] = (struct html_bar){
		    js(o, "label"),
		    json_number_value(json_object_get(o, "percent")), shown[i]};
	}
	desc = xasprintf("Bar chart: percentage of the %ld respondents giving "
	                 "each answer. The table below holds the same figures.",
	                 ji(q, "respondents"));
	html_raw(h, "<figure>");
	html_bar_chart(h, js(q, "text"), desc, bars, n, 100);
	html_table_begin(h, js(q, "text"), heads, 3);
	json_array_foreach(opts, i, o)
	{
		cells[0] = (char *)js(o, "label");
		cells[1] = xasprintf("%ld", ji(o, "count"));
		cells[2] = shown[i];
		html_table_row(h, (const char *const *)cells, 3);
		free(cells[1]);
	}
	html_table_end(h);
	html_raw(h, "</figure>\n");
	for (i = 0; i < n; i++)
		free(shown[i]);
	free(shown);
	free(bars);
	free(desc);
}

static void
html_by(struct html *h, const json_t *q, const json_t *by)
{
	const json_t *opts = json_object_get(q, "options"), *g, *c;
	size_t n = json_array_size(opts), i, j;
	const char **heads = xcalloc(n + 2, sizeof *heads);
	char **cells = xcalloc(n + 2, sizeof *cells), *cap, *pct;

	heads[0] = js(by, "field");
	heads[1] = "Respondents";
	for (i = 0; i < n; i++)
		heads[i + 2] = js(json_array_get(opts, i), "label");
	cap = xasprintf("%s, by %s: count (percent of the group)",
	                js(q, "text"), js(by, "field"));
	html_table_begin(h, cap, heads, n + 2);
	json_array_foreach(json_object_get(by, "groups"), i, g)
	{
		cells[0] = xstrdup(js(g, "group"));
		cells[1] =
		    xstrdup(js(json_object_get(g, "respondents"), "shown"));
		json_array_foreach(json_object_get(g, "cells"), j, c)
		{
			pct = jfmt(c, "percent", "%");
			cells[j + 2] =
			    json_is_null(json_object_get(c, "percent"))
			        ? xstrdup(js(c, "shown"))
			        : xasprintf("%s (%s)", js(c, "shown"), pct);
			free(pct);
		}
		html_table_row(h, (const char *const *)cells, n + 2);
		for (j = 0; j < n + 2; j++)
			free(cells[j]);
	}
	html_table_end(h);
	html_elem(h, "p class=\"note\"",
	          "<5: fewer than 5 people (0 included). *: hidden so that a "
	          "<5 figure cannot be worked out from the totals.");
	free(cap);
	free(heads);
	free(cells);
}

static void
html_stats(struct html *h, const json_t *q)
{
	static const char *const keys[] = {"mean", "median", "min", "max"};
	char *parts[4] = {NULL}, *line;
	size_t i;

	for (i = 0; i < 4; i++)
		parts[i] = jfmt(q, keys[i], "");
	if (json_object_get(q, "min") != NULL)
		line = xasprintf("Mean %s, median %s (lowest %s, highest %s).",
		                 parts[0], parts[1], parts[2], parts[3]);
	else
		line = xasprintf("Mean %s, median %s.", parts[0], parts[1]);
	html_elem(h, "p", line);
	free(line);
	for (i = 0; i < 4; i++)
		free(parts[i]);
}

static void
html_answers(struct html *h, const json_t *q)
{
	const json_t *a;
	size_t i;
	char *line;

	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(q, "answers"), i, a)
	{
		if (json_is_string(json_object_get(a, "member")))
			line = xasprintf("%s (%s, %s)", js(a, "text"),
			                 js(a, "member"), js(a, "date"));
		else
			line =
			    xasprintf("%s (%s)", js(a, "text"), js(a, "date"));
		html_elem(h, "li", line);
		free(line);
	}
	html_raw(h, "</ul>\n");
}

static void
html_question(struct html *h, const json_t *q)
{
	const json_t *fft = json_object_get(q, "fft");
	char *line, *a, *b;

	html_raw(h, "<section>");
	html_elem(h, "h2", js(q, "text"));
	line = xasprintf("%ld respondents.", ji(q, "respondents"));
	html_elem(h, "p", line);
	free(line);
	if (json_array_size(json_object_get(q, "options")) > 0)
		html_options(h, q);
	if (fft != NULL) {
		a = jfmt(fft, "positive", "%");
		b = jfmt(fft, "negative", "%");
		line =
		    xasprintf("Friends and Family Test: %s positive (Very good "
		              "or Good), %s negative (Poor or Very poor), out "
		              "of all %ld answers including Neither good nor "
		              "poor and Don't know.",
		              a, b, ji(fft, "denominator"));
		html_elem(h, "p", line);
		free(line);
		free(a);
		free(b);
	}
	if (json_object_get(q, "mean") != NULL)
		html_stats(h, q);
	if (json_object_get(q, "answers") != NULL)
		html_answers(h, q);
	if (json_object_get(q, "by") != NULL)
		html_by(h, q, json_object_get(q, "by"));
	html_raw(h, "</section>\n");
}

static int
results_html(const json_t *r, const char *file)
{
	const json_t *s = json_object_get(r, "survey"), *q;
	struct html *h;
	char *title, *doc;
	size_t i, len;

	title = xasprintf("Results: %s", js(s, "title"));
	h = html_new(title);
	html_summary(h, r);
	json_array_foreach(json_object_get(r, "questions"), i, q)
	    html_question(h, q);
	doc = html_finish(h, &len);
	free(title);
	return cli_write_page(file, doc, len) == EXIT_OK ? 0 : -1;
}

/* ---- the command -------------------------------------------------------- */

/* A --from/--to date; to a bare date, to adds a day (it is inclusive). */
static int
parse_day(const char *s, int64_t *t, int is_to)
{
	if (util_parse_time(s, t) == -1)
		return -1;
	if (is_to && strlen(s) == 10)
		*t += 86400;
	return 0;
}

int
cmd_results(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"by", required_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", optional_argument, NULL, 'c'},
	    {"html", required_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct tally_query q = {0};
	const char *html = NULL;
	int ch, out = OUT_TEXT, rc = EXIT_OK;
	json_t *r;
	char *cause = NULL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			q.practice = optarg;
			break;
		case 'f':
		case 't':
			if (parse_day(optarg, ch == 'f' ? &q.from : &q.to,
			              ch == 't') == -1) {
				cli_error("bad date %s (YYYY-MM-DD)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			q.by = optarg;
			break;
		case 'j':
			out = OUT_JSON;
			break;
		case 'c':
			/* CSV goes to standard output; "--csv=-" says so. */
			if (optarg != NULL && strcmp(optarg, "-") != 0)
				return cli_usage(RESULTS_USAGE);
			out = OUT_CSV;
			break;
		case 'h':
			out = OUT_HTML;
			html = optarg;
			break;
		default:
			return cli_usage(RESULTS_USAGE);
		}
	}
	if (optind != argc - 1)
		return cli_usage(RESULTS_USAGE);
	q.target = argv[optind];
	if (q.by != NULL && !tally_by_valid(q.by)) {
		cli_error(
		    "cannot break down by %s (age_band, sex or ethnicity)",
		    q.by);
		return EXIT_USAGE;
	}
	if (tally_run(cli_db(ctx), &q, &r, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (out == OUT_JSON) {
		cli_json(r);
		return EXIT_OK;
	}
	if (out == OUT_TEXT)
		results_text(r);
	else if (out == OUT_CSV && results_csv(r) == -1)
		rc = EXIT_FAIL;
	else if (out == OUT_HTML && results_html(r, html) == -1)
		rc = EXIT_FAIL;
	json_decref(r);
	return rc;
}
