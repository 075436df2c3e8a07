/*
 * The admin API's results: the tallies of a survey or campaign, as
 * `ppgd results --json` gives them, and their free-text comments a page at
 * a time, as `ppgd results --comments --json`, for the practices the token
 * may see. Both run off the loop (api_work.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "api_priv.h"
#include "campaign.h"
#include "comments.h"
#include "scope.h"
#include "tally.h"
#include "util.h"
#include "xmalloc.h"

/* ---- results ------------------------------------------------------------ */

/* from/to as `ppgd results` reads them: a bare date "to" is inclusive. */
static int
results_day(struct api_req *ar, const char *name, int64_t *t)
{
	const char *v = api_param(ar, name);

	if (v == NULL)
		return 0;
	if (util_parse_time(v, t) == -1) {
		api_error(ar, 400, "%s: bad date %s (YYYY-MM-DD)", name, v);
		return -1;
	}
	if (strcmp(name, "to") == 0 && strlen(v) == 10)
		*t += 86400;
	return 0;
}

/*
 * Results for a client scoped to practices: of its practice (named, or its
 * only one), never of a campaign of another practice. -1 after a 4xx.
 */
static int
results_scope(struct api_req *ar, struct tally_query *q, const char *target)
{
	struct campaign *c;
	int mine;

	if (scope_codes_all(ar->scope))
		return 0;
	if (q->practice == NULL &&
	    (q->practice = scope_codes_only(ar->scope)) == NULL) {
		api_error(ar, 400,
		          "practice: required of a client scoped to "
		          "several practices");
		return -1;
	}
	if (api_scope_practice(ar, q->practice) == -1)
		return -1;
	if (strncmp(target, "campaign:", 9) == 0)
		target += 9;
	if ((c = campaign_find(ar->db, target)) == NULL)
		return 0;
	mine = scope_codes_allow(ar->scope, c->practice_code);
	campaign_free(c);
	if (!mine)
		api_error(ar, 404, "no survey or campaign %s", target);
	return mine ? 0 : -1;
}

/* A tally to run off the loop, with its own copies of the strings. */
struct results_job {
	struct tally_query q;
	char *target, *practice, *by;
};

static void
results_job_free(void *arg)
{
	struct results_job *j = arg;

	free(j->target);
	free(j->practice);
	free(j->by);
	free(j);
}

/* On a worker: the tally. */
static void
results_tally(struct db *db, void *arg, struct api_answer *a)
{
	struct results_job *j = arg;
	char *cause = NULL;

	if (tally_run(db, &j->q, &a->json, &cause) == -1)
		api_answer_problem(a, strncmp(cause, "no ", 3) == 0 ? 404 : 422,
		                   cause);
}

/* ---- comments, a page at a time ---------------------------------------- */

struct comments_job {
	struct results_job r;
	int internal;
	long long page, per_page;
};

static void
comments_job_free(void *arg)
{
	struct comments_job *j = arg;

	free(j->r.target);
	free(j->r.practice);
	free(j);
}

/* On a worker, before the page: every answer gets its masked comment (the
 * staff view lists them all); a published page shows approved ones only,
 * which are there already. */
static void
comments_sync_first(struct db *db, void *arg, struct api_answer *a)
{
	struct comments_job *j = arg;

	if (j->internal && comments_sync(db, time(NULL)) == -1)
		api_answer_problem(a, 503,
		                   xstrdup("the comments could not be "
		                           "brought up to date; try again"));
}

/* On a worker: one page, from SQL. */
static void
comments_read(struct db *db, void *arg, struct api_answer *a)
{
	struct comments_job *j = arg;
	char *cause = NULL;

	if (tally_comments(db, &j->r.q, j->internal, (long)j->page,
	                   (long)j->per_page, &a->json, &cause) == -1)
		api_answer_problem(a, strncmp(cause, "no ", 3) == 0 ? 404 : 422,
		                   cause);
}

/* "TARGET/comments": TARGET decoded (one segment), or NULL. Caller frees. */
static char *
comments_target(const char *rest)
{
	const char *slash = strchr(rest, '/');
	char *enc, *s;
	size_t len;

	if (slash == NULL || slash == rest || strcmp(slash, "/comments") != 0)
		return NULL;
	enc = xstrndup(rest, (size_t)(slash - rest));
	s = evhttp_uridecode(enc, 0, &len);
	free(enc);
	if (s != NULL && (strlen(s) != len || len == 0)) {
		free(s);
		s = NULL;
	}
	return s;
}

/* GET /api/v1/results/TARGET/comments?page=&per_page=&internal= */
static void
results_comments(struct api_req *ar, char *target)
{
	static const char *const params[] = {
	    "practice", "from", "to", "page", "per_page", "internal", NULL};
	struct comments_job *j = xcalloc(1, sizeof *j);

	j->r.target = target;
	if (api_params_known(ar, params) == -1 ||
	    results_day(ar, "from", &j->r.q.from) == -1 ||
	    results_day(ar, "to", &j->r.q.to) == -1 ||
	    api_param_int(ar, "page", 1, 1, INT32_MAX, &j->page) == -1 ||
	    api_param_int(ar, "per_page", 50, 1, TALLY_PER_PAGE_MAX,
	                  &j->per_page) == -1 ||
	    api_param_bool(ar, "internal", &j->internal) == -1) {
		comments_job_free(j);
		return;
	}
	j->r.q.practice = api_param(ar, "practice");
	if (results_scope(ar, &j->r.q, target) == -1) {
		comments_job_free(j);
		return;
	}
	j->r.q.target = target;
	if (j->r.q.practice != NULL)
		j->r.q.practice = j->r.practice = xstrdup(j->r.q.practice);
	api_defer(ar, comments_sync_first, comments_read, j, comments_job_free);
}

static void
results_get(struct api_req *ar)
{
	static const char *const params[] = {"practice", "from", "to", "by",
	                                     NULL};
	struct tally_query q = {0};
	struct results_job *j;
	char *target;

	if ((target = comments_target(ar->rest)) != NULL) {
		results_comments(ar, target);
		return;
	}
	if (api_params_known(ar, params) == -1 ||
	    results_day(ar, "from", &q.from) == -1 ||
	    results_day(ar, "to", &q.to) == -1)
		return;
	q.practice = api_param(ar, "practice");
	q.by = api_param(ar, "by");
	if (q.by != NULL && !tally_by_valid(q.by)) {
		api_error(ar, 400,
		          "by: cannot break down by %s (age_band, "
		          "sex or ethnicity)",
		          q.by);
		return;
	}
	if ((target = api_segment(ar)) == NULL) {
		api_error(ar, 404, "no survey or campaign there");
		return;
	}
	if (results_scope(ar, &q, target) == -1) {
		free(target);
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->q = q;
	j->q.target = j->target = target;
	j->q.practice = j->practice = q.practice ? xstrdup(q.practice) : NULL;
	j->q.by = j->by = q.by ? xstrdup(q.by) : NULL;
	api_defer(ar, NULL, results_tally, j, results_job_free);
}

/* ---- routes ------------------------------------------------------------- */

void
api_route_results(struct evhttp_request *req, struct server *s,
                  const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, results_get},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}
