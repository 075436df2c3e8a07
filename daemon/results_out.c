/*
 * Survey results rendered for people: plain text and CSV on standard output,
 * and HTML pages (published or internal) as documents, from the JSON of
 * tally_run (results) and trend_run (results over time), and NHS England's
 * FFT submission rows as CSV. ppgd results writes what these render.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvio.h"
#include "htmlout.h"
#include "publish.h"
#include "results_out.h"
#include "termtext.h"
#include "xmalloc.h"

/* --raw: CSV cells exactly as answered, formulas unguarded; set for the
 * length of one results_csv call. */
static int csv_raw;

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
text_question(const json_t *q, const char *target)
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
	if (json_object_get(q, "answers") == NULL &&
	    json_object_get(q, "comments") != NULL)
		printf("  %ld comments (read them a page at a time: ppgd "
		       "results %s --comments [--internal] [--page N])\n",
		       ji(q, "comments"), target);
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

/* The name `ppgd results` knows r by: its campaign, or its survey. */
static char *
results_target(const json_t *r)
{
	const json_t *s = json_object_get(r, "survey");

	if (json_is_string(json_object_get(r, "campaign")))
		return xasprintf("campaign:%s", js(r, "campaign"));
	return xasprintf("%s@%ld", js(s, "slug"), ji(s, "version"));
}

void
results_text(const json_t *r)
{
	const json_t *s = json_object_get(r, "survey"), *q;
	char *target = results_target(r);
	size_t i;

	printf("%s (%s v%ld)", js(s, "title"), js(s, "slug"), ji(s, "version"));
	if (json_is_string(json_object_get(r, "campaign")))
		printf(", campaign %s", js(r, "campaign"));
	putchar('\n');
	text_rates(r);
	json_array_foreach(json_object_get(r, "questions"), i, q)
	    text_question(q, target);
	free(target);
}

void
results_comments_text(const json_t *p, const char *target)
{
	const json_t *s = json_object_get(p, "survey"), *o;
	int internal = json_is_true(json_object_get(p, "internal"));
	long page = ji(p, "page"), pages = ji(p, "pages");
	long per = ji(p, "per_page");
	char *t, per_opt[32] = "";
	size_t i;

	printf("%s (%s v%ld): %ld %s", js(s, "title"), js(s, "slug"),
	       ji(s, "version"), ji(p, "total"),
	       internal ? "comments" : "published comments");
	if (pages > 0)
		printf(", page %ld of %ld", page, pages);
	putchar('\n');
	json_array_foreach(json_object_get(p, "comments"), i, o)
	{
		t = termtext_safe(js(o, "text"), 1);
		printf("  - [%s] %s", js(o, "question"), t);
		free(t);
		if (json_is_string(json_object_get(o, "theme")))
			printf(" (theme: %s)", js(o, "theme"));
		if (internal) {
			printf(" #%ld %s %s", ji(o, "comment"), js(o, "status"),
			       js(o, "date"));
			if (json_is_string(json_object_get(o, "member"))) {
				t = termtext_safe(js(o, "member"), 1);
				printf(" %s", t);
				free(t);
			}
		}
		putchar('\n');
	}
	if (per != COMMENTS_PER_PAGE_DEFAULT)
		snprintf(per_opt, sizeof per_opt, " --per-page %ld", per);
	if (page < pages)
		printf("next: ppgd results %s --comments --page %ld%s%s\n",
		       target, page + 1, per_opt,
		       internal ? " --internal" : "");
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

	return (csv_raw ? csvw_record_raw : csvw_record)(fp, f, 9);
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

int
results_csv(const json_t *r, int raw)
{
	static const char *const head[] = {"question", "type",  "group",
	                                   "option",   "label", "count",
	                                   "percent",  "value", "member"};
	const json_t *q;
	size_t i;
	int rv;

	csv_raw = raw;
	rv = csvw_record(stdout, head, 9);
	json_array_foreach(json_object_get(r, "questions"), i, q) rv |=
	    csv_question(stdout, q);
	csv_raw = 0;
	return rv;
}

/* ---- HTML --------------------------------------------------------------- */

/* A count for the page: as is on the staff view, else "<5" for 1-4. */
static char *
hcount(long n, int internal)
{
	return publish_count(n, internal);
}

/* Invitations and responses by the channel that invited them. */
static void
html_channels(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Invited by", "Members invited",
	                                    "Responses", "Response rate"};
	static const char *const ch[] = {"email", "sms"};
	const json_t *inv = json_object_get(r, "invitations");
	const json_t *by = json_object_get(r, "responses_by_invitation");
	const json_t *rate = json_object_get(r, "response_rate_by_channel");
	char *cells[4];
	size_t i, k;

	html_table_begin(h, "Responses by the channel that invited them", heads,
	                 4);
	for (i = 0; i < 2; i++) {
		long n = ji(inv, ch[i]), m = ji(by, ch[i]);

		cells[0] = publish_value("channel", ch[i]);
		cells[1] = hcount(n, internal);
		cells[2] = hcount(m, internal);
		cells[3] = !internal && (publish_small(n) || publish_small(m))
		               ? xstrdup("-")
		               : jfmt(rate, ch[i], "%");
		html_table_row(h, (const char *const *)cells, 4);
		for (k = 0; k < 4; k++)
			free(cells[k]);
	}
	html_table_end(h);
}

/* Title, period, "as at", who was asked. */
static struct html *
html_head(const json_t *r, int internal)
{
	const json_t *s = json_object_get(r, "survey");
	const json_t *p = json_object_get(r, "practice");
	const json_t *per = json_object_get(r, "period");
	const json_t *inv = json_object_get(r, "invitations");
	char *from = publish_iso_date(js(per, "from")),
	     *to = publish_iso_date(js(per, "to")), *title, *line, *n, *m,
	     *period;
	char asat[32];
	struct html *h;

	period = !*from                  ? xstrdup("no responses yet")
	         : strcmp(from, to) == 0 ? xstrdup(from)
	                                 : xasprintf("%s to %s", from, to);
	title =
	    xasprintf("%sSurvey results: %s, %s, %s",
	              internal ? "NOT FOR PUBLICATION: " : "", js(s, "title"),
	              *js(p, "name") ? js(p, "name") : "all practices", period);
	h = html_new(title);
	free(period);
	if (internal)
		html_internal(h, PUBLISH_INTERNAL);
	n = hcount(ji(inv, "total"), internal);
	m = hcount(ji(r, "responses"), internal);
	line = xasprintf("Who was asked: members of the practice's Patient "
	                 "Participation Group and its virtual network, not "
	                 "all patients. %s invited, %s responded. As at %s.",
	                 n, m, publish_date(time(NULL), asat));
	html_elem(h, "p", line);
	if (!internal)
		html_elem(h, "p class=\"note\"", PUBLISH_NOTE);
	free(line);
	free(n);
	free(m);
	free(title);
	free(from);
	free(to);
	return h;
}

static void
html_summary(struct html *h, const json_t *r, int internal)
{
	char *rate = jfmt(r, "response_rate", "%"), *n, *c, *line;
	int small = !internal && publish_small(ji(r, "responses"));

	n = hcount(ji(r, "responses"), internal);
	c = hcount(ji(r, "completed"), internal);
	line = xasprintf("%s responses, %s completed; overall response rate "
	                 "%s.",
	                 n, c, small ? "not shown" : rate);
	html_elem(h, "p", line);
	html_channels(h, r, internal);
	free(line);
	free(n);
	free(c);
	free(rate);
}

/* End a chart's figure after its table; free the bars and their labels. */
static void
figure_end(struct html *h, struct html_bar *bars, char **shown, size_t n)
{
	size_t i;

	html_table_end(h);
	html_raw(h, "</figure>\n");
	for (i = 0; i < n; i++)
		free(shown[i]);
	free(shown);
	free(bars);
}

/* The option counts of a question, suppressed unless internal. */
static void
option_flags(const json_t *q, int internal, long *counts, unsigned char *fl,
             size_t n)
{
	const json_t *o;
	size_t i;

	json_array_foreach(json_object_get(q, "options"), i, o) counts[i] =
	    ji(o, "count");
	memset(fl, 0, n);
	if (!internal)
		publish_suppress(counts, n,
		                 !json_is_true(json_object_get(q, "multiple")),
		                 fl);
}

/* The option chart and its table, as one figure. */
static void
html_options(struct html *h, const json_t *q, int internal)
{
	const json_t *opts = json_object_get(q, "options"), *o;
	size_t n = json_array_size(opts), i;
	struct html_bar *bars = xcalloc(n, sizeof *bars);
	char **shown = xcalloc(n, sizeof *shown), *desc, *cells[3];
	long *counts = xcalloc(n, sizeof *counts);
	unsigned char *fl = xcalloc(n, 1);
	static const char *const heads[] = {"Answer", "Count", "Percent"};

	option_flags(q, internal, counts, fl, n);
	json_array_foreach(opts, i, o)
	{
		shown[i] = fl[i] ? publish_cell(counts[i], fl[i])
		                 : jfmt(o, "percent", "%");
		bars[i] = (struct html_bar){
		    js(o, "label"),
		    fl[i] ? 0
		          : json_number_value(json_object_get(o, "percent")),
		    shown[i]};
	}
	desc = xasprintf("Bar chart: percentage of the respondents giving "
	                 "each answer, on a scale of 0 to 100%%. The table "
	                 "below holds the same figures.");
	html_raw(h, "<figure>");
	html_bar_chart(h, js(q, "text"), desc, bars, n, 100);
	html_table_begin(h, js(q, "text"), heads, 3);
	json_array_foreach(opts, i, o)
	{
		cells[0] = (char *)js(o, "label");
		cells[1] = publish_cell(counts[i], fl[i]);
		cells[2] = fl[i] ? xstrdup("-") : jfmt(o, "percent", "%");
		html_table_row(h, (const char *const *)cells, 3);
		free(cells[1]);
		free(cells[2]);
	}
	figure_end(h, bars, shown, n);
	free(desc);
	free(counts);
	free(fl);
}

static void
html_by(struct html *h, const json_t *q, const json_t *by)
{
	const json_t *opts = json_object_get(q, "options"), *g, *c;
	size_t n = json_array_size(opts), i, j;
	const char **heads = xcalloc(n + 2, sizeof *heads);
	char **cells = xcalloc(n + 2, sizeof *cells), *cap, *pct;
	const char *field = js(by, "field");

	heads[0] = publish_field(field);
	heads[1] = "Respondents";
	for (i = 0; i < n; i++)
		heads[i + 2] = js(json_array_get(opts, i), "label");
	cap = xasprintf("%s, by %s: count (percent of the group)",
	                js(q, "text"), publish_field(field));
	html_table_begin(h, cap, heads, n + 2);
	json_array_foreach(json_object_get(by, "groups"), i, g)
	{
		cells[0] = publish_value(field, js(g, "group"));
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

/* Staff view: every comment as masked, with the member (named surveys),
 * the date and where moderation stands. */
static void
html_answers(struct html *h, const json_t *q)
{
	const json_t *a;
	size_t i;
	char *line, *day, *status;

	html_elem(h, "p",
	          "Every comment, with personal details masked and "
	          "its moderation status (ppgd comments).");
	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(q, "answers"), i, a)
	{
		day = publish_iso_date(js(a, "date"));
		status = json_is_integer(json_object_get(a, "comment"))
		             ? xasprintf("; comment %ld, %s%s%s",
		                         ji(a, "comment"), js(a, "status"),
		                         *js(a, "theme") ? ", theme " : "",
		                         js(a, "theme"))
		             : xstrdup("");
		if (json_is_string(json_object_get(a, "member")))
			line = xasprintf("%s (%s, %s%s)", js(a, "text"),
			                 js(a, "member"), day, status);
		else
			line =
			    xasprintf("%s (%s%s)", js(a, "text"), day, status);
		free(status);
		html_elem(h, "li", line);
		free(line);
		free(day);
	}
	html_raw(h, "</ul>\n");
}

/* Published: the approved comments as moderated, and their themes. */
static void
html_comments(struct html *h, const json_t *q)
{
	static const char *const heads[] = {"Theme", "Comments"};
	const json_t *a, *t;
	size_t i;
	char *n;

	if (json_array_size(json_object_get(q, "answers")) == 0) {
		html_elem(h, "p",
		          "No comments have been approved for "
		          "publication.");
		return;
	}
	html_elem(h, "p",
	          "Comments approved for publication, with personal "
	          "details removed:");
	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(q, "answers"), i, a)
	    html_elem(h, "li", js(a, "text"));
	html_raw(h, "</ul>\n");
	if (json_array_size(json_object_get(q, "themes")) == 1 &&
	    !json_is_string(json_object_get(
	        json_array_get(json_object_get(q, "themes"), 0), "theme")))
		return;
	html_table_begin(h, "Themes of the approved comments", heads, 2);
	json_array_foreach(json_object_get(q, "themes"), i, t)
	{
		const char *cells[2];

		n = publish_count(ji(t, "comments"), 0);
		cells[0] = json_is_string(json_object_get(t, "theme"))
		               ? js(t, "theme")
		               : "No theme";
		cells[1] = n;
		html_table_row(h, cells, 2);
		free(n);
	}
	html_table_end(h);
}

/*
 * The FFT scores as published: a score resting on a suppressed answer
 * count would give that count away, so it is not shown. Caller frees.
 */
static void
fft_scores(const json_t *q, int internal, char **pos, char **neg)
{
	const json_t *fft = json_object_get(q, "fft");
	size_t n = json_array_size(json_object_get(q, "options"));
	long counts[6] = {0};
	unsigned char fl[6] = {0};

	if (n == 6)
		option_flags(q, internal, counts, fl, 6);
	*pos =
	    fl[0] || fl[1] ? xstrdup("not shown") : jfmt(fft, "positive", "%");
	*neg =
	    fl[3] || fl[4] ? xstrdup("not shown") : jfmt(fft, "negative", "%");
}

static void
html_question(struct html *h, const json_t *q, int internal)
{
	const json_t *fft = json_object_get(q, "fft");
	int small = !internal && publish_small(ji(q, "respondents"));
	char *line, *a, *b, *n;

	html_raw(h, "<section>");
	html_elem(h, "h2", js(q, "text"));
	n = hcount(ji(q, "respondents"), internal);
	line = xasprintf("%s respondents.", n);
	html_elem(h, "p", line);
	free(line);
	free(n);
	if (json_array_size(json_object_get(q, "options")) > 0)
		html_options(h, q, internal);
	if (fft != NULL && !small) {
		fft_scores(q, internal, &a, &b);
		line = xasprintf(
		    "Friends and Family Test, out of all answers "
		    "including Neither good nor poor and Don't know: "
		    "positive (Very good or Good) %s; negative (Poor "
		    "or Very poor) %s.%s",
		    a, b,
		    strcmp(a, "not shown") == 0 || strcmp(b, "not shown") == 0
		        ? " A score not shown would reveal a count "
		          "under 5."
		        : "");
		html_elem(h, "p", line);
		free(line);
		free(a);
		free(b);
	}
	if (json_object_get(q, "mean") != NULL && !small)
		html_stats(h, q);
	if (json_object_get(q, "themes") != NULL)
		html_comments(h, q);
	else if (json_object_get(q, "answers") != NULL)
		html_answers(h, q);
	if (json_object_get(q, "by") != NULL)
		html_by(h, q, json_object_get(q, "by"));
	html_raw(h, "</section>\n");
}

char *
results_html(const json_t *r, int internal, size_t *len)
{
	const json_t *q;
	struct html *h = html_head(r, internal);
	size_t i;

	html_summary(h, r, internal);
	json_array_foreach(json_object_get(r, "questions"), i, q)
	    html_question(h, q, internal);
	return html_finish(h, len);
}

/* ---- over time ---------------------------------------------------------- */

/* A count and percent of option j of question i in a period; NULL if none. */
static const json_t *
period_option(const json_t *per, size_t i, size_t j)
{
	if (per == NULL || json_is_null(per))
		return NULL;
	return json_array_get(
	    json_object_get(
	        json_array_get(json_object_get(per, "questions"), i),
	        "options"),
	    j);
}

void
results_trend_text(const json_t *r)
{
	const json_t *p, *prev;
	size_t i;
	char *rate;

	printf("%s by %s\n", js(json_object_get(r, "survey"), "title"),
	       js(r, "by"));
	printf("%-9s %9s %9s %8s\n", "PERIOD", "RESPONSES", "PREVIOUS", "RATE");
	json_array_foreach(json_object_get(r, "periods"), i, p)
	{
		prev = json_object_get(p, "previous");
		rate = jfmt(p, "response_rate", "%");
		printf("%-9s %9ld %9ld %8s\n", js(p, "period"),
		       ji(p, "responses"), ji(prev, "responses"), rate);
		free(rate);
	}
}

static int
trend_csv_row(const char *period, const char *question, const char *option,
              const char *label, const json_t *cur, const json_t *prev,
              const char *ck, const char *pk)
{
	char *c = cur ? jfmt(cur, ck, "") : xstrdup(""),
	     *pc = cur && pk ? jfmt(cur, pk, "") : xstrdup(""),
	     *q = prev ? jfmt(prev, ck, "") : xstrdup(""),
	     *pq = prev && pk ? jfmt(prev, pk, "") : xstrdup("");
	const char *f[8] = {period, question, option, label, c, pc, q, pq};
	int rv, i;

	for (i = 4; i < 8; i++)
		if (strcmp(f[i], "-") == 0)
			f[i] = "";
	rv = csvw_record(stdout, f, 8);

	free(c);
	free(pc);
	free(q);
	free(pq);
	return rv;
}

/* period,question,option,label,count,percent,previous_count,
 * previous_percent: the previous period's figures beside each row. */
int
results_trend_csv(const json_t *r)
{
	static const char *const head[] = {
	    "period", "question", "option",         "label",
	    "count",  "percent",  "previous_count", "previous_percent"};
	const json_t *p, *prev, *qd, *cq, *pq;
	size_t i, k, j;
	char *num;
	int rv = csvw_record(stdout, head, 8);

	json_array_foreach(json_object_get(r, "periods"), i, p)
	{
		prev = json_object_get(p, "previous");
		rv |= trend_csv_row(js(p, "period"), "", "responses", "", p,
		                    prev, "responses", "response_rate");
		json_array_foreach(json_object_get(r, "questions"), k, qd)
		{
			cq = json_array_get(json_object_get(p, "questions"), k);
			pq = json_array_get(json_object_get(prev, "questions"),
			                    k);
			rv |= trend_csv_row(js(p, "period"), js(qd, "key"),
			                    "respondents", "", cq, pq,
			                    "respondents", NULL);
			if (json_object_get(cq, "fft_positive") != NULL)
				rv |= trend_csv_row(js(p, "period"),
				                    js(qd, "key"),
				                    "fft_positive", "", cq, pq,
				                    "fft_positive", NULL);
			json_array_foreach(json_object_get(qd, "options"), j,
			                   cq)
			{
				num = xasprintf("%zu", j + 1);
				rv |= trend_csv_row(js(p, "period"),
				                    js(qd, "key"), num,
				                    json_string_value(cq),
				                    period_option(p, k, j),
				                    period_option(prev, k, j),
				                    "count", "percent");
				free(num);
			}
		}
	}
	return rv;
}

/* The published fate of a period's option counts of one question
 * (summary q, NULL if none): 1-4 and what would give them away. */
static void
period_flags(const json_t *q, int multiple, int internal, unsigned char *fl,
             size_t n)
{
	long *v = xcalloc(n + 1, sizeof *v);
	size_t j;

	memset(fl, 0, n);
	for (j = 0; q != NULL && j < n; j++)
		v[j] = ji(json_array_get(json_object_get(q, "options"), j),
		          "count");
	if (!internal)
		publish_suppress(v, n, !multiple, fl);
	free(v);
}

/* One side of a cell: the percent, or why not. Caller frees. */
static char *
trend_side(const json_t *o, unsigned char flag)
{
	if (o == NULL)
		return xstrdup("-");
	if (flag != PUB_SHOWN)
		return xstrdup(flag == PUB_SMALL ? "<5" : "*");
	return jfmt(o, "percent", "%");
}

/* "40% (previous 35%)", suppressed as the page asks. */
static char *
trend_cell(const json_t *cur, unsigned char cf, const json_t *prev,
           unsigned char pf)
{
	char *a = trend_side(cur, cf), *b = trend_side(prev, pf), *out;

	out = xasprintf("%s (previous %s)", a, b);
	free(a);
	free(b);
	return out;
}

/* The FFT score of one period as published: not when it rests on a
 * suppressed count (it would give that count away). Caller frees. */
static char *
trend_fft_side(const json_t *q, const unsigned char *fl, int internal)
{
	if (q == NULL || fl[0] || fl[1] ||
	    (!internal && publish_small(ji(q, "respondents"))))
		return xstrdup("-");
	return jfmt(q, "fft_positive", "%");
}

static void
trend_html_question(struct html *h, const json_t *r, const json_t *qd, size_t k,
                    int internal)
{
	const json_t *opts = json_object_get(qd, "options"), *p, *prev, *cq,
	             *pq;
	int fft = strcmp(js(qd, "type"), "fft") == 0,
	    multiple = json_is_true(json_object_get(qd, "multiple"));
	size_t n = json_array_size(opts), i, j, nc = n + 3 + (size_t)fft;
	const char **heads = xcalloc(nc, sizeof *heads);
	char **cells = xcalloc(nc, sizeof *cells), *cap, *a, *b;
	unsigned char *cf = xcalloc(n + 2, 1), *pf = xcalloc(n + 2, 1);

	heads[0] = "Period";
	heads[1] = "Respondents";
	heads[2] = "Previous period";
	for (j = 0; j < n; j++)
		heads[j + 3] = json_string_value(json_array_get(opts, j));
	if (fft)
		heads[n + 3] = "Positive (Very good or Good)";
	cap = xasprintf("%s: percent of respondents per period, with the "
	                "period before",
	                js(qd, "text"));
	html_elem(h, "h2", js(qd, "text"));
	html_table_begin(h, cap, heads, nc);
	json_array_foreach(json_object_get(r, "periods"), i, p)
	{
		prev = json_object_get(p, "previous");
		cq = json_array_get(json_object_get(p, "questions"), k);
		pq = json_array_get(json_object_get(prev, "questions"), k);
		period_flags(cq, multiple, internal, cf, n);
		period_flags(pq, multiple, internal, pf, n);
		cells[0] = xstrdup(js(p, "label"));
		cells[1] = publish_count(ji(cq, "respondents"), internal);
		cells[2] = publish_count(ji(pq, "respondents"), internal);
		for (j = 0; j < n; j++)
			cells[j + 3] =
			    trend_cell(period_option(p, k, j), cf[j],
			               period_option(prev, k, j), pf[j]);
		if (fft) {
			a = trend_fft_side(cq, cf, internal);
			b = trend_fft_side(pq, pf, internal);
			cells[n + 3] = xasprintf("%s (previous %s)", a, b);
			free(a);
			free(b);
		}
		html_table_row(h, (const char *const *)cells, nc);
		for (j = 0; j < nc; j++)
			free(cells[j]);
	}
	html_table_end(h);
	free(cap);
	free(heads);
	free(cells);
	free(cf);
	free(pf);
}

/* Responses per period: a chart and its table. */
static void
trend_html_responses(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Period", "Responses",
	                                    "Previous period", "Response rate"};
	const json_t *periods = json_object_get(r, "periods"), *p;
	size_t n = json_array_size(periods), i;
	struct html_bar *bars = xcalloc(n + 1, sizeof *bars);
	char **shown = xcalloc(n + 1, sizeof *shown), *cells[4];

	json_array_foreach(periods, i, p)
	{
		long v = ji(p, "responses");
		int small = !internal && publish_small(v);

		shown[i] = publish_count(v, internal);
		bars[i] = (struct html_bar){js(p, "label"),
		                            small ? 0 : (double)v, shown[i]};
	}
	html_raw(h, "<figure>");
	html_bar_chart(h, "Responses per period",
	               "Bar chart: the number of responses in each period. "
	               "The table below holds the figures, with the period "
	               "before each.",
	               bars, n, 0);
	html_table_begin(h, "Responses per period", heads, 4);
	json_array_foreach(periods, i, p)
	{
		const json_t *prev = json_object_get(p, "previous");

		cells[0] = xstrdup(js(p, "label"));
		cells[1] = publish_count(ji(p, "responses"), internal);
		cells[2] = publish_count(ji(prev, "responses"), internal);
		cells[3] = !internal && publish_small(ji(p, "responses"))
		               ? xstrdup("-")
		               : jfmt(p, "response_rate", "%");
		html_table_row(h, (const char *const *)cells, 4);
		for (size_t k = 0; k < 4; k++)
			free(cells[k]);
	}
	figure_end(h, bars, shown, n);
}

char *
results_trend_html(const json_t *r, int internal, size_t *len)
{
	const json_t *qd;
	char *title, asat[32], *line;
	struct html *h;
	size_t i;
	const json_t *p = json_object_get(r, "practice");

	title = xasprintf("%sSurvey results by %s: %s, %s",
	                  internal ? "NOT FOR PUBLICATION: " : "", js(r, "by"),
	                  js(json_object_get(r, "survey"), "title"),
	                  *js(p, "name") ? js(p, "name") : "all practices");
	h = html_new(title);
	free(title);
	if (internal)
		html_internal(h, PUBLISH_INTERNAL);
	line = xasprintf("Who was asked: members of the practice's Patient "
	                 "Participation Group and its virtual network, not "
	                 "all patients. Each period is shown with the period "
	                 "before it. As at %s.",
	                 publish_date(time(NULL), asat));
	html_elem(h, "p", line);
	free(line);
	if (!internal)
		html_elem(h, "p class=\"note\"", PUBLISH_NOTE);
	trend_html_responses(h, r, internal);
	json_array_foreach(
	    json_object_get(r, "questions"), i,
	    qd) if (json_array_size(json_object_get(qd, "options")) > 0)
	    trend_html_question(h, r, qd, i, internal);
	return html_finish(h, len);
}

/* NHS England's FFT submission: one CSV row per practice, period and mode. */
int
results_submission_csv(const json_t *rows)
{
	static const char *const head[] = {
	    "practice_code", "period",    "mode",
	    "very_good",     "good",      "neither_good_nor_poor",
	    "poor",          "very_poor", "dont_know",
	    "total"};
	const json_t *row;
	char *cells[10];
	size_t i, k;
	int rv;

	rv = csvw_record(stdout, head, 10);
	json_array_foreach(rows, i, row)
	{
		cells[0] = xstrdup(js(row, "practice"));
		cells[1] = xstrdup(js(row, "period"));
		cells[2] = xstrdup(js(row, "mode"));
		for (k = 3; k < 10; k++)
			cells[k] = xasprintf("%ld", ji(row, head[k]));
		rv |= csvw_record(stdout, (const char *const *)cells, 10);
		for (k = 0; k < 10; k++)
			free(cells[k]);
	}
	return rv;
}
