/* ppgd results: a survey's or campaign's tally as text, JSON, CSV or HTML. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "comments.h"
#include "results_out.h"
#include "tally.h"
#include "trend.h"
#include "util.h"

#define RESULTS_USAGE                                                          \
	"results SURVEY|CAMPAIGN [--practice CODE] [--from DATE] [--to DATE]"  \
	" [--by age_band|sex|ethnicity|month|quarter]"                         \
	" [--json|--csv[=-] [--raw]|--html FILE [--internal]]"
#define COMMENTS_USAGE                                                         \
	"results SURVEY|CAMPAIGN --comments [--page N] [--per-page M]"         \
	" [--internal] [--practice CODE] [--from DATE] [--to DATE] [--json]"
#define SUBMISSION_USAGE                                                       \
	"results SURVEY|CAMPAIGN --submission --month YYYY-MM"                 \
	" [--practice CODE] [--json]"

enum { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_HTML };

/* Render r as an HTML page with render and write it to file. */
static int
results_page(const json_t *r, const char *file, int internal,
             char *(*render)(const json_t *, int, size_t *))
{
	char *doc;
	size_t len;

	doc = render(r, internal, &len);
	return cli_write_page(file, doc, len);
}

static int
results_trend(struct ctx *ctx, const struct tally_query *q, const char *unit,
              int out, const char *html, int internal)
{
	json_t *r;
	char *cause = NULL;
	int rc = EXIT_OK;

	if (trend_run(cli_db(ctx), q, unit, &r, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (out == OUT_JSON) {
		cli_json(r);
		return EXIT_OK;
	}
	if (out == OUT_TEXT)
		results_trend_text(r);
	else if (out == OUT_CSV && results_trend_csv(r) == -1)
		rc = EXIT_FAIL;
	else if (out == OUT_HTML)
		rc = results_page(r, html, internal, results_trend_html);
	json_decref(r);
	return rc;
}

/* results SURVEY --submission --month YYYY-MM: NHS England's FFT counts. */
static int
results_submission(struct ctx *ctx, const struct tally_query *q,
                   const char *month, int json)
{
	json_t *rows;
	char *cause = NULL;
	int rv;

	if (trend_fft_submission(cli_db(ctx), q->target, q->practice, month,
	                         &rows, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json) {
		cli_json(rows);
		return EXIT_OK;
	}
	rv = results_submission_csv(rows);
	json_decref(rows);
	return rv == 0 ? EXIT_OK : EXIT_FAIL;
}

/*
 * results TARGET --comments: one page of the free-text comments, paged in
 * SQL; published (approved ones) unless --internal. Comments are synced
 * first, as for the pages, so every answer is there, masked.
 */
static int
results_comments(struct ctx *ctx, const struct tally_query *q, int internal,
                 long page, long per_page, int json)
{
	json_t *r;
	char *cause = NULL;

	if (comments_sync(cli_db(ctx), time(NULL)) == -1) {
		cli_error("cannot read the comments");
		return EXIT_FAIL;
	}
	if (tally_comments(cli_db(ctx), q, internal, page, per_page, &r,
	                   &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json) {
		cli_json(r);
		return EXIT_OK;
	}
	results_comments_text(r, q->target);
	json_decref(r);
	return EXIT_OK;
}

/* A --page or --per-page number from 1 to max; -1 if it is not. */
static long
parse_count(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' && v >= 1 && v <= max ? v : -1;
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
	    {"raw", no_argument, NULL, 'r'},
	    {"internal", no_argument, NULL, 'i'},
	    {"submission", no_argument, NULL, 's'},
	    {"month", required_argument, NULL, 'm'},
	    {"comments", no_argument, NULL, 'C'},
	    {"page", required_argument, NULL, 'P'},
	    {"per-page", required_argument, NULL, 'N'},
	    {NULL, 0, NULL, 0}};
	struct tally_query q = {0};
	int internal = 0, submission = 0, raw = 0, comments = 0;
	long page = 0, per_page = 0;
	const char *month = NULL, *unit = NULL;
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
		case 'r':
			raw = 1;
			break;
		case 'h':
			out = OUT_HTML;
			html = optarg;
			break;
		case 'i':
			internal = 1;
			break;
		case 's':
			submission = 1;
			break;
		case 'm':
			month = optarg;
			break;
		case 'C':
			comments = 1;
			break;
		case 'P':
			if ((page = parse_count(optarg, INT_MAX)) == -1) {
				cli_error("--page: expected a number from 1");
				return EXIT_USAGE;
			}
			break;
		case 'N':
			per_page = parse_count(optarg, TALLY_PER_PAGE_MAX);
			if (per_page == -1) {
				cli_error(
				    "--per-page: expected a number from 1 "
				    "to %d",
				    TALLY_PER_PAGE_MAX);
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(RESULTS_USAGE);
		}
	}
	if (comments || page != 0 || per_page != 0) {
		if (!comments || optind != argc - 1 || submission ||
		    month != NULL || q.by != NULL ||
		    (out != OUT_TEXT && out != OUT_JSON))
			return cli_usage(COMMENTS_USAGE);
		q.target = argv[optind];
		return results_comments(ctx, &q, internal, page ? page : 1,
		                        per_page ? per_page
		                                 : COMMENTS_PER_PAGE_DEFAULT,
		                        out == OUT_JSON);
	}
	if (optind != argc - 1 || (internal && out != OUT_HTML))
		return cli_usage(RESULTS_USAGE);
	q.target = argv[optind];
	/* The summary counts the free-text answers; --comments pages them. */
	q.counted = out == OUT_TEXT;
	/* Pages show comments as masked: published, the approved ones only;
	 * the staff view every one with its status. */
	if (out == OUT_HTML) {
		if (comments_sync(cli_db(ctx), time(NULL)) == -1) {
			cli_error("cannot read the comments");
			return EXIT_FAIL;
		}
		q.approved = !internal;
		q.moderated = internal;
	}
	if (submission) {
		if (month == NULL || out == OUT_HTML || q.by != NULL ||
		    q.from != 0 || q.to != 0)
			return cli_usage(SUBMISSION_USAGE);
		return results_submission(ctx, &q, month, out == OUT_JSON);
	}
	if (month != NULL)
		return cli_usage(SUBMISSION_USAGE);
	if (q.by != NULL && trend_unit_valid(q.by)) {
		unit = q.by;
		q.by = NULL;
		return results_trend(ctx, &q, unit, out, html, internal);
	}
	if (q.by != NULL && !tally_by_valid(q.by)) {
		cli_error("cannot break down by %s (age_band, sex, ethnicity, "
		          "month or quarter)",
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
	else if (out == OUT_CSV && results_csv(r, raw) == -1)
		rc = EXIT_FAIL;
	else if (out == OUT_HTML)
		rc = results_page(r, html, internal, results_html);
	json_decref(r);
	return rc;
}
