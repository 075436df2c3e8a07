/*
 * The admin API's results: the tallies of a survey or campaign, as
 * `ppgd results --json` gives them, for the practices the token may see.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_priv.h"
#include "campaign.h"
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

static void
results_get(struct api_req *ar)
{
	static const char *const params[] = {"practice", "from", "to", "by",
	                                     NULL};
	struct tally_query q = {0};
	struct results_job *j;
	char *target;

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
	api_defer(ar, results_tally, j, results_job_free);
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
