/*
 * The admin API's campaigns: the list with outbox counts, one campaign,
 * and broadcasts (a one-off campaign sent now). Each handler calls the use
 * case the CLI calls (campaign.c, broadcast.c); a campaign of a practice
 * outside the token's scope is not there.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "api_priv.h"
#include "broadcast.h"
#include "campaign.h"
#include "env.h"
#include "fire.h"
#include "firequeue.h"
#include "outbox.h"
#include "scope.h"
#include "server.h"
#include "xmalloc.h"

/* ---- broadcasts --------------------------------------------------------- */

/* A string, or an array of strings or positive integers, joined by ",". */
static char *
json_list_text(const json_t *v, int numbers)
{
	const json_t *e;
	char *s, *t, *one;
	size_t i;

	if (json_is_string(v) && !numbers)
		return xstrdup(json_string_value(v));
	if (!json_is_array(v) || json_array_size(v) == 0)
		return NULL;
	s = xstrdup("");
	json_array_foreach(v, i, e)
	{
		if (numbers && json_is_integer(e) && json_integer_value(e) > 0)
			one =
			    xasprintf("%lld", (long long)json_integer_value(e));
		else if (!numbers && json_is_string(e))
			one = xstrdup(json_string_value(e));
		else {
			free(s);
			return NULL;
		}
		t = xasprintf("%s%s%s", s, i ? "," : "", one);
		free(one);
		free(s);
		s = t;
	}
	return s;
}

/* The body fields of a broadcast that land on the campaign. */
static const struct broadcast_key {
	const char *key;
	size_t off;
	int list;         /* 0: a string; 1: strings; 2: action ids */
	const char *want; /* what a 400 says was expected */
} broadcast_keys[] = {
    {"template", offsetof(struct campaign, template), 0, "a string"},
    {"message", offsetof(struct campaign, message), 0, "a string"},
    {"channels", offsetof(struct campaign, channels), 1,
     "a string or an array of strings"},
    {"audience", offsetof(struct campaign, audience), 0, "a string"},
    {"name", offsetof(struct campaign, name), 0, "a string"},
    {"actions", offsetof(struct campaign, action_ids), 2,
     "an array of action ids"},
};

static const struct broadcast_key *
broadcast_key(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof broadcast_keys / sizeof broadcast_keys[0]; i++)
		if (strcmp(k, broadcast_keys[i].key) == 0)
			return &broadcast_keys[i];
	return NULL;
}

/* The body onto c: 0, or the status to reply with and *cause. */
static int
broadcast_apply(json_t *body, struct campaign *c, const char **practice,
                char **cause)
{
	const struct broadcast_key *bk;
	const char *k;
	json_t *v;
	char **slot, *text;

	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "practice") == 0) {
			if (!json_is_string(v))
				return (*cause = xstrdup("practice: expected a "
				                         "string")),
				       400;
			*practice = json_string_value(v);
			continue;
		}
		if ((bk = broadcast_key(k)) == NULL)
			return (*cause = xasprintf("unknown field %s", k)), 400;
		if (bk->list)
			text = json_list_text(v, bk->list == 2);
		else
			text = json_is_string(v) ? xstrdup(json_string_value(v))
			                         : NULL;
		if (text == NULL)
			return (*cause =
			            xasprintf("%s: expected %s", k, bk->want)),
			       400;
		slot = (char **)((char *)c + bk->off);
		free(*slot);
		*slot = text;
	}
	if (*practice == NULL || c->template == NULL)
		return (*cause = xstrdup("practice and template are "
		                         "required")),
		       400;
	return 0;
}

/* A broadcast whose fire is queued: its request waits for the end. */
struct broadcast_wait {
	struct evhttp_request *req;
	struct env *env;
	char actor[API_NAME_MAX + 8];
};

/* The answer of a broadcast made: 202, where to follow it, the counts. */
static void
broadcast_reply(struct api_req *ar, const struct campaign *c,
                const struct fire_result *r)
{
	char *enc = evhttp_uriencode(c->name, -1, 0);
	char *loc = xasprintf("/api/v1/campaigns/%s", enc);

	api_header(ar, "Location", loc);
	free(loc);
	free(enc);
	api_reply(ar, 202, fire_result_json(r, c));
}

/*
 * The queued fire ended: the answer the call waited for. A fire cut short
 * (an error, or the daemon stopping) has its run firing, which the next
 * start finishes: the broadcast is made, so it is done (never to be sent
 * again) and the answer says so.
 */
static void
broadcast_done(void *arg, enum firequeue_end how, struct campaign *c,
               const struct fire_result *r, const char *cause)
{
	struct broadcast_wait *w = arg;
	struct api_req ar = {.req = w->req};

	if (how == FIREQUEUE_DROPPED) {
		api_error(&ar, 503,
		          "campaign %s: %s (ppgd campaign send sends it)",
		          c->name, cause);
		free(w);
		return;
	}
	broadcast_fired(w->env->db, c, w->actor, time(NULL));
	db_idle(w->env->db, "broadcast_done");
	if (how == FIREQUEUE_FIRED)
		broadcast_reply(&ar, c, r);
	else
		api_error(&ar, how == FIREQUEUE_STOPPED ? 503 : 500,
		          "campaign %s: %s; the daemon finishes its fire at "
		          "its next start (do not send it again)",
		          c->name, cause);
	free(w);
}

/* Fire c (added) as a job; the reply waits for its end. */
static void
broadcast_queue(struct api_req *ar, struct campaign **cp)
{
	struct env *env = server_env(ar->srv);
	struct broadcast_wait *w = xcalloc(1, sizeof *w);
	struct fire_result r;
	char *cause = NULL;
	int rc;

	w->req = ar->req;
	w->env = env;
	snprintf(w->actor, sizeof w->actor, "%s", ar->actor);
	rc = firequeue_add(env->fires, *cp, (*cp)->created_at, 0,
	                   (*cp)->created_at, broadcast_done, w, &r, &cause);
	if (rc == 1) {
		*cp = NULL;
		return;
	}
	free(w);
	if (rc == -1) {
		api_error_take(ar, 500, cause);
		return;
	}
	broadcast_fired(ar->db, *cp, ar->actor, (*cp)->created_at);
	broadcast_reply(ar, *cp, &r);
}

/*
 * POST /api/v1/broadcasts. The fire of a large audience takes seconds: it
 * runs as a job of slices on the loop (firequeue.h), webhooks answered
 * between them, and this call is answered when it ends, with the same
 * counts as ever (the connection stays open meanwhile).
 */
static void
broadcasts_create(struct api_req *ar)
{
	static const int status[] = {[BROADCAST_NO_PRACTICE] = 422,
	                             [BROADCAST_NAME_TAKEN] = 409,
	                             [BROADCAST_INVALID] = 422,
	                             [BROADCAST_FAILED] = 500};
	struct campaign *c = campaign_new();
	struct env *env = server_env(ar->srv);
	struct fire_result r;
	const char *practice = NULL;
	char *cause = NULL;
	enum broadcast_err e;
	int code;

	if ((code = broadcast_apply(ar->body, c, &practice, &cause)) != 0) {
		api_error_take(ar, code, cause);
	} else if (api_scope_practice(ar, practice) == -1) {
		;
	} else if (env->stopping) {
		api_header(ar, "Retry-After", "5");
		api_error(ar, 503, "the daemon is stopping; nothing was sent");
	} else if (env->fires != NULL) {
		if ((e = broadcast_add(ar->db, server_config(ar->srv), c,
		                       practice, time(NULL), &cause)) !=
		    BROADCAST_OK)
			api_error_take(ar, status[e], cause);
		else {
			api_logwrite(ar, "broadcast.send", c->name);
			broadcast_queue(ar, &c);
		}
	} else if ((e = broadcast_send(ar->db, server_config(ar->srv), c,
	                               practice, ar->actor, time(NULL), &r,
	                               &cause)) != BROADCAST_OK) {
		api_error_take(ar, status[e], cause);
	} else {
		api_logwrite(ar, "broadcast.send", c->name);
		env_kick(env);
		broadcast_reply(ar, c, &r);
	}
	campaign_free(c);
}

/* ---- campaigns ---------------------------------------------------------- */

static void
campaigns_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", NULL};
	const char *practice = api_param(ar, "practice");
	json_t *arr, *o;
	size_t i;

	if (api_params_known(ar, params) == -1 ||
	    api_practice_param(ar, practice) == -1)
		return;
	arr = campaign_list_json(ar->db, practice);
	api_scope_filter(ar, arr, "practice");
	json_array_foreach(arr, i, o)
	{
		json_object_set_new(
		    o, "outbox",
		    outbox_counts(
		        ar->db, json_string_value(json_object_get(o, "name"))));
	}
	api_reply(ar, 200, json_pack("{s:o}", "campaigns", arr));
}

static void
campaign_show(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	struct campaign *c = NULL;
	char *name;

	if (api_params_known(ar, params) == -1)
		return;
	name = api_segment(ar);
	if (name != NULL && (c = campaign_find(ar->db, name)) != NULL &&
	    !scope_codes_allow(ar->scope, c->practice_code)) {
		campaign_free(c);
		c = NULL;
	}
	if (c == NULL)
		api_error(ar, 404, "no campaign %s", name ? name : "there");
	else
		api_reply(ar, 200, campaign_show_json(ar->db, c));
	campaign_free(c);
	free(name);
}

/* ---- routes ------------------------------------------------------------- */

void
api_route_broadcasts(struct evhttp_request *req, struct server *s,
                     const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_POST, broadcasts_create}, {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_campaigns(struct evhttp_request *req, struct server *s,
                    const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, campaigns_list},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_campaign(struct evhttp_request *req, struct server *s,
                   const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, campaign_show},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}
