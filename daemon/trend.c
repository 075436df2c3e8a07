/* Results by month or quarter, and the monthly FFT submission. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "practice.h"
#include "trend.h"
#include "util.h"
#include "xmalloc.h"

int
trend_unit_valid(const char *unit)
{
	return strcmp(unit, "month") == 0 || strcmp(unit, "quarter") == 0;
}

/* The start of the month (quarter) holding t, moved by n periods. */
static int64_t
period_start(int64_t t, int months, int n)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	tm.tm_mon -= tm.tm_mon % months;
	tm.tm_mon += n * months;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = 0;
	return (int64_t)timegm(&tm);
}

/* "2025-03" or "2025-Q1". */
static char *
period_name(int64_t t, int months)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	if (months == 3)
		return xasprintf("%04d-Q%d", tm.tm_year + 1900,
		                 tm.tm_mon / 3 + 1);
	return xasprintf("%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
}

/* "December 2026" or "January to March 2026". Caller frees. */
static char *
period_label(int64_t t, int months)
{
	static const char *const names[] = {"January", "February", "March",
	                                    "April",   "May",      "June",
	                                    "July",    "August",   "September",
	                                    "October", "November", "December"};
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	if (months == 3)
		return xasprintf("%s to %s %d", names[tm.tm_mon],
		                 names[tm.tm_mon + 2], tm.tm_year + 1900);
	return xasprintf("%s %d", names[tm.tm_mon], tm.tm_year + 1900);
}

/* One question's figures in a period: counts, percents, FFT scores. */
static json_t *
question_summary(const json_t *q)
{
	json_t *o = json_object(), *opts = json_array(), *e;
	const json_t *x;
	size_t i;

	jsonx_set(o, "key", json_deep_copy(json_object_get(q, "key")));
	jsonx_set(o, "respondents",
	          json_deep_copy(json_object_get(q, "respondents")));
	json_array_foreach(json_object_get(q, "options"), i, x)
	{
		e = json_object();
		jsonx_set(e, "count",
		          json_deep_copy(json_object_get(x, "count")));
		jsonx_set(e, "percent",
		          json_deep_copy(json_object_get(x, "percent")));
		jsonx_push(opts, e);
	}
	jsonx_set(o, "options", opts);
	if ((x = json_object_get(q, "fft")) != NULL) {
		jsonx_set(o, "fft_positive",
		          json_deep_copy(json_object_get(x, "positive")));
		jsonx_set(o, "fft_negative",
		          json_deep_copy(json_object_get(x, "negative")));
	}
	return o;
}

/* The summary of one period [from, to). */
static int
period_json(struct db *db, const struct tally_query *base, int64_t from,
            int64_t to, int months, json_t **out, char **cause)
{
	struct tally_query q = *base;
	json_t *r, *o, *qs;
	const json_t *x;
	char day[11], *name;
	size_t i;

	q.from = from;
	q.to = to;
	q.by = NULL;
	if (tally_run(db, &q, &r, cause) == -1)
		return -1;
	o = json_object();
	name = period_name(from, months);
	jsonx_set(o, "period", json_string(name));
	free(name);
	name = period_label(from, months);
	jsonx_set(o, "label", json_string(name));
	free(name);
	jsonx_set(o, "from", json_string(util_format_date(from, day)));
	jsonx_set(o, "to", json_string(util_format_date(to - 1, day)));
	jsonx_set(o, "responses",
	          json_deep_copy(json_object_get(r, "responses")));
	jsonx_set(o, "invitations",
	          json_deep_copy(json_object_get(
	              json_object_get(r, "invitations"), "total")));
	jsonx_set(o, "response_rate",
	          json_deep_copy(json_object_get(r, "response_rate")));
	qs = json_array();
	json_array_foreach(json_object_get(r, "questions"), i, x)
	    jsonx_push(qs, question_summary(x));
	jsonx_set(o, "questions", qs);
	json_decref(r);
	*out = o;
	return 0;
}

/* The questions (key, text, type, option labels) from a whole tally. */
static json_t *
questions_json(const json_t *r)
{
	json_t *arr = json_array(), *o, *labels;
	const json_t *q, *x;
	size_t i, j;

	json_array_foreach(json_object_get(r, "questions"), i, q)
	{
		o = json_object();
		jsonx_set(o, "key", json_deep_copy(json_object_get(q, "key")));
		jsonx_set(o, "text",
		          json_deep_copy(json_object_get(q, "text")));
		jsonx_set(o, "type",
		          json_deep_copy(json_object_get(q, "type")));
		labels = json_array();
		json_array_foreach(json_object_get(q, "options"), j, x)
		    jsonx_push(labels,
		               json_deep_copy(json_object_get(x, "label")));
		jsonx_set(o, "options", labels);
		jsonx_push(arr, o);
	}
	return arr;
}

/* The window: q's, or the periods of the first to last response. */
static int
trend_window(const json_t *whole, const struct tally_query *q, int months,
             int64_t *from, int64_t *to, char **cause)
{
	const json_t *per = json_object_get(whole, "period");
	const char *f = json_string_value(json_object_get(per, "from")),
	           *l = json_string_value(json_object_get(per, "to"));
	int64_t first, last;

	if (f == NULL || l == NULL || util_parse_time(f, &first) == -1 ||
	    util_parse_time(l, &last) == -1) {
		*cause = xstrdup("no responses in the period");
		return -1;
	}
	if (q->from)
		first = q->from;
	if (q->to)
		last = q->to - 1;
	*from = period_start(first, months, 0);
	*to = period_start(last, months, 1);
	return 0;
}

int
trend_run(struct db *db, const struct tally_query *q, const char *unit,
          json_t **out, char **cause)
{
	int months = strcmp(unit, "quarter") == 0 ? 3 : 1, n = 0;
	struct tally_query all = *q;
	json_t *whole, *o, *periods, *prev = NULL, *cur;
	int64_t from, to, t;

	*out = NULL;
	all.by = NULL;
	if (tally_run(db, &all, &whole, cause) == -1)
		return -1;
	if (trend_window(whole, q, months, &from, &to, cause) == -1) {
		json_decref(whole);
		return -1;
	}
	for (t = from; t < to; t = period_start(t, months, 1))
		n++;
	if (n > TREND_MAX_PERIODS) {
		*cause = xasprintf("%d periods: at most %d (narrow --from and "
		                   "--to)",
		                   n, TREND_MAX_PERIODS);
		json_decref(whole);
		return -1;
	}
	o = json_object();
	jsonx_set(o, "survey",
	          json_deep_copy(json_object_get(whole, "survey")));
	jsonx_set(o, "campaign",
	          json_deep_copy(json_object_get(whole, "campaign")));
	jsonx_set(o, "practice",
	          json_deep_copy(json_object_get(whole, "practice")));
	jsonx_set(o, "by", json_string(unit));
	jsonx_set(o, "questions", questions_json(whole));
	json_decref(whole);
	periods = json_array();
	if (period_json(db, q, period_start(from, months, -1), from, months,
	                &prev, cause) == -1)
		goto fail;
	for (t = from; t < to; t = period_start(t, months, 1)) {
		if (period_json(db, q, t, period_start(t, months, 1), months,
		                &cur, cause) == -1)
			goto fail;
		jsonx_set(cur, "previous", prev);
		prev = json_deep_copy(cur);
		json_object_del(prev, "previous");
		jsonx_push(periods, cur);
	}
	json_decref(prev);
	jsonx_set(o, "periods", periods);
	*out = o;
	return 0;
fail:
	json_decref(prev);
	json_decref(periods);
	json_decref(o);
	return -1;
}

/* NHS England's FFT collection modes that ppgd collects by. */
static const char *const mode_names[TALLY_NMODES] = {"SMS/Text message",
                                                     "Online", "Other"};
static const char *const answer_keys[6] = {
    "very_good", "good",      "neither_good_nor_poor",
    "poor",      "very_poor", "dont_know"};

static json_t *
mode_json(const char *code, const char *month, int m, const long *c)
{
	json_t *o = json_object();
	long total = 0;
	int i;

	jsonx_set(o, "practice", json_string(code));
	jsonx_set(o, "period", json_string(month));
	jsonx_set(o, "mode", json_string(mode_names[m]));
	for (i = 0; i < 6; i++) {
		jsonx_set(o, answer_keys[i], json_integer(c[i]));
		total += c[i];
	}
	jsonx_set(o, "total", json_integer(total));
	return o;
}

/* The practice's code, or the only practice's when none is given. */
static char *
submission_practice(struct db *db, const char *code, char **cause)
{
	json_t *list;
	char *only = NULL;

	if (code != NULL)
		return xstrdup(code);
	list = practice_list_json(db);
	if (json_array_size(list) == 1)
		only = xstrdup(json_string_value(
		    json_object_get(json_array_get(list, 0), "code")));
	else
		*cause = xstrdup("say which practice the submission is for "
		                 "(--practice CODE)");
	json_decref(list);
	return only;
}

int
trend_fft_submission(struct db *db, const char *target, const char *code,
                     const char *month, json_t **out, char **cause)
{
	struct tally_query q = {.target = target};
	long counts[TALLY_NMODES][6];
	char *day, *pcode;
	json_t *rows;
	int m;

	*out = NULL;
	if ((pcode = submission_practice(db, code, cause)) == NULL)
		return -1;
	q.practice = pcode;
	day = xasprintf("%s-01", month);
	if (strlen(month) != 7 || util_parse_time(day, &q.from) == -1) {
		*cause = xasprintf("bad month %s (YYYY-MM)", month);
		free(day);
		free(pcode);
		return -1;
	}
	free(day);
	q.to = period_start(q.from, 1, 1);
	if (tally_fft_modes(db, &q, counts, cause) == -1) {
		free(pcode);
		return -1;
	}
	rows = json_array();
	for (m = 0; m < TALLY_NMODES; m++)
		jsonx_push(rows, mode_json(pcode, month, m, counts[m]));
	free(pcode);
	*out = rows;
	return 0;
}
