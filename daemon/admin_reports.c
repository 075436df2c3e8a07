/*
 * The web admin's reports: representation, the annual report and survey
 * results, rendered in the page and downloadable. The figures come from
 * the modules the CLI uses (represent_report, annual_report, tally_run) and
 * the pages from their own renderers (represent_page, annual_html,
 * results_html). Staff
 * who may read contact details see the internal view; others the published
 * one, small numbers suppressed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "admin_page.h"
#include "annual.h"
#include "campaign.h"
#include "csvio.h"
#include "framework.h"
#include "http.h"
#include "log.h"
#include "practice.h"
#include "represent.h"
#include "results_out.h"
#include "tally.h"
#include "xmalloc.h"

enum report_kind { REPORT_REPRESENTATION, REPORT_ANNUAL, REPORT_RESULTS };

static const char *const kind_names[] = {"representation", "annual", "results"};

struct report_req {
	enum report_kind kind;
	const char *practice;
	const char *format; /* NULL: in the page; html, json, csv */
	int64_t pid;
	int internal;
};

static const char *
jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* An attachment: the body with its type and file name. */
static void
download(struct areq *ar, const char *type, const char *name, const char *body,
         size_t len)
{
	char *disp = xasprintf("attachment; filename=\"%s\"", name);

	evhttp_add_header(evhttp_request_get_output_headers(ar->req),
	                  "Content-Disposition", disp);
	http_reply(ar->req, 200, type, body, len);
	free(disp);
}

/* The <body> of a report page, for the admin's own layout. */
static void
add_body(struct buf *b, const char *doc)
{
	const char *s = strstr(doc, "<body>"), *e = strstr(doc, "</body>");

	if (s != NULL && e != NULL && e > s)
		buf_addn(b, s + 6, (size_t)(e - s - 6));
}

static void
choose_form(struct areq *ar, struct buf *b, const struct report_req *rr)
{
	const char *year = admin_qget(ar, "year"),
	           *target = admin_qget(ar, "target");
	struct practice *p;
	size_t k;

	admin_escf(b,
	           "<form method=\"get\" action=\"/reports/%s\" "
	           "class=\"panel\"><label class=\"label\" "
	           "for=\"practice\">Practice</label><select class=\"input\" "
	           "id=\"practice\" name=\"practice\">",
	           kind_names[rr->kind]);
	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		if (scope_allows(ar->u, PERM_REPORTS, p->id))
			admin_escf(b, "<option value=\"%s\"%s>%s (%s)</option>",
			           p->code,
			           rr->practice &&
			                   strcmp(rr->practice, p->code) == 0
			               ? " selected"
			               : "",
			           p->name, p->code);
		practice_free(p);
	}
	buf_add(b, "</select>");
	if (rr->kind == REPORT_ANNUAL)
		admin_escf(b,
		           "<label class=\"label\" for=\"year\">Year</label>"
		           "<input class=\"input\" id=\"year\" name=\"year\" "
		           "inputmode=\"numeric\" value=\"%s\">",
		           year ? year : "");
	if (rr->kind == REPORT_RESULTS)
		admin_escf(b,
		           "<label class=\"label\" for=\"target\">Survey or "
		           "campaign</label><input class=\"input\" "
		           "id=\"target\" name=\"target\" value=\"%s\">",
		           target ? target : "");
	buf_add(b, "<button class=\"button\" type=\"submit\">Show</button>"
	           "</form>");
}

/* Links to the downloads of the report shown. */
static void
download_links(struct areq *ar, struct buf *b, const struct report_req *rr)
{
	const char *year = admin_qget(ar, "year"),
	           *target = admin_qget(ar, "target");
	char *q, *y = evhttp_encode_uri(year ? year : ""),
	         *t = evhttp_encode_uri(target ? target : "");

	q = xasprintf("practice=%s&year=%s&target=%s", rr->practice, y, t);
	free(y);
	free(t);
	buf_add(b, "<p>Download: ");
	admin_escf(b, "<a href=\"/reports/%s?%s&format=html\">HTML</a> · ",
	           kind_names[rr->kind], q);
	if (rr->kind == REPORT_RESULTS)
		admin_escf(b,
		           "<a href=\"/reports/%s?%s&format=csv\">CSV</a> · ",
		           kind_names[rr->kind], q);
	admin_escf(b, "<a href=\"/reports/%s?%s&format=json\">JSON</a></p>",
	           kind_names[rr->kind], q);
	free(q);
}

/* ---- results ------------------------------------------------------------ */

/* question, text, option, label, count: one row an option. */
static char *
results_csv_text(const json_t *r, size_t *len)
{
	static const char *const head[] = {"question", "text", "option",
	                                   "label", "count"};
	const json_t *q, *o;
	char *out = NULL, opt[24], cnt[24];
	const char *row[5];
	size_t i, j;
	FILE *fp;

	if ((fp = open_memstream(&out, len)) == NULL)
		fatal("open_memstream");
	csvw_record(fp, head, 5);
	json_array_foreach(json_object_get(r, "questions"), i, q)
	{
		json_array_foreach(json_object_get(q, "options"), j, o)
		{
			snprintf(opt, sizeof opt, "%lld",
			         (long long)json_integer_value(
			             json_object_get(o, "option")));
			snprintf(cnt, sizeof cnt, "%lld",
			         (long long)json_integer_value(
			             json_object_get(o, "count")));
			row[0] = jstr(q, "key");
			row[1] = jstr(q, "text");
			row[2] = opt;
			row[3] = jstr(o, "label");
			row[4] = cnt;
			csvw_record(fp, row, 5);
		}
	}
	fclose(fp);
	return out;
}

/* 1 if target is not a campaign of another practice. */
static int
target_in_scope(struct areq *ar, const char *target)
{
	struct campaign *c;
	int ok;

	if (strncmp(target, "campaign:", 9) == 0)
		target += 9;
	if ((c = campaign_find(ar->db, target)) == NULL)
		return 1;
	ok = scope_allows(ar->u, PERM_REPORTS, c->practice_id);
	campaign_free(c);
	return ok;
}

static int
results_build(struct areq *ar, const struct report_req *rr, json_t **out,
              char **cause)
{
	const char *target = admin_qget(ar, "target");
	struct tally_query q = {0};

	if (target == NULL || *target == '\0')
		return (*cause = xstrdup("Name a survey or campaign.")), -1;
	if (!target_in_scope(ar, target))
		return (*cause = xasprintf("no survey or campaign %s", target)),
		       -1;
	q.target = target;
	q.practice = rr->practice;
	q.approved = 1;
	return tally_run(ar->db, &q, out, cause);
}

/* ---- the page ----------------------------------------------------------- */

static int
report_build(struct areq *ar, const struct report_req *rr, json_t **out,
             char **cause)
{
	const char *year = admin_qget(ar, "year");
	struct framework *fw;
	time_t now = time(NULL);
	struct tm tm;
	int y, rc;

	switch (rr->kind) {
	case REPORT_REPRESENTATION:
		return represent_report(ar->db, rr->practice, now, out, cause);
	case REPORT_ANNUAL:
		gmtime_r(&now, &tm);
		y = year != NULL && *year != '\0' ? atoi(year)
		                                  : tm.tm_year + 1900;
		if (y < 2000 || y > 2200)
			return (*cause = xstrdup("Give a year such as 2026.")),
			       -1;
		if (framework_load_config(ar->cfg, NULL, &fw, cause) == -1)
			return -1;
		rc = annual_report(ar->db, rr->practice, y, 0, fw, out, cause);
		framework_free(fw);
		return rc;
	case REPORT_RESULTS:
		return results_build(ar, rr, out, cause);
	}
	return -1;
}

/* The report's own page. Caller frees. */
static char *
report_html(const struct report_req *rr, const json_t *r, size_t *len)
{
	switch (rr->kind) {
	case REPORT_ANNUAL:
		return annual_html(r, rr->internal, len);
	case REPORT_RESULTS:
		return results_html(r, rr->internal, len);
	default:
		return represent_page(r, rr->internal, len);
	}
}

static void
report_download(struct areq *ar, const struct report_req *rr, json_t *r)
{
	char *doc = NULL, *name;
	size_t len = 0;

	name = xasprintf("%s-%s.%s", kind_names[rr->kind], rr->practice,
	                 rr->format);
	if (strcmp(rr->format, "json") == 0) {
		doc = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
		len = strlen(doc);
		download(ar, "application/json", name, doc, len);
	} else if (strcmp(rr->format, "csv") == 0 &&
	           rr->kind == REPORT_RESULTS) {
		doc = results_csv_text(r, &len);
		download(ar, "text/csv; charset=utf-8", name, doc, len);
	} else if (strcmp(rr->format, "html") == 0) {
		doc = report_html(rr, r, &len);
		download(ar, "text/html; charset=utf-8", name, doc, len);
	} else
		admin_message(ar, 404, "Page not found",
		              "This report has no such download.");
	free(doc);
	free(name);
}

static void
report_page(struct areq *ar, struct report_req *rr)
{
	struct buf b = {0};
	char *cause = NULL, *doc, *body;
	json_t *r = NULL;
	size_t len;
	int status = 200;

	if (rr->practice != NULL &&
	    (rr->pid = admin_practice_scoped(ar, rr->practice, PERM_REPORTS)) ==
	        0) {
		admin_forbidden(ar);
		return;
	}
	rr->internal =
	    rr->pid != 0 && scope_allows(ar->u, PERM_CONTACTS, rr->pid);
	if (rr->practice != NULL &&
	    (rr->kind != REPORT_RESULTS || admin_qget(ar, "target") != NULL) &&
	    report_build(ar, rr, &r, &cause) == -1)
		status = 422;
	if (r != NULL && rr->format != NULL) {
		report_download(ar, rr, r);
		json_decref(r);
		return;
	}
	if (r == NULL)
		admin_escf(&b, "<h1>Reports: %s</h1>", kind_names[rr->kind]);
	buf_add(&b, "<p><a href=\"/reports/representation\">Representation"
	            "</a> · <a href=\"/reports/annual\">Annual report</a> · <a "
	            "href=\"/reports/results\">Survey results</a></p>");
	choose_form(ar, &b, rr);
	if (cause != NULL)
		admin_escf(&b,
		           "<div class=\"error-summary\" role=\"alert\"><h2>"
		           "There is a problem</h2><p>%s</p></div>",
		           cause);
	if (r != NULL) {
		download_links(ar, &b, rr);
		doc = report_html(rr, r, &len);
		add_body(&b, doc);
		free(doc);
	}
	json_decref(r);
	free(cause);
	body = buf_take(&b);
	admin_page(ar, status, "Reports", body);
	free(body);
}

int
admin_reports_route(struct areq *ar, int post)
{
	struct report_req rr = {0};
	const char *p = ar->path;
	size_t i;

	if (strcmp(p, "reports") != 0 && strncmp(p, "reports/", 8) != 0)
		return 0;
	if (post || !scope_allows(ar->u, PERM_REPORTS, 0)) {
		post ? admin_message(ar, 404, "Page not found",
		                     "There is no such page.")
		     : admin_forbidden(ar);
		return 1;
	}
	rr.kind = REPORT_REPRESENTATION;
	for (i = 0; p[7] == '/' && i < 3; i++)
		if (strcmp(p + 8, kind_names[i]) == 0)
			break;
	if (p[7] == '/' && i == 3) {
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
		return 1;
	}
	rr.kind = p[7] == '/' ? (enum report_kind)i : REPORT_REPRESENTATION;
	rr.practice = admin_qget(ar, "practice");
	rr.format = admin_qget(ar, "format");
	report_page(ar, &rr);
	return 1;
}
