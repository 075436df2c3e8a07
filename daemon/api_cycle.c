/*
 * The admin API for the group's year: meetings (create, move, cancel,
 * attendance, minutes), the evidence log and the annual report with its
 * sign-off. Each handler calls the use case the CLI calls (meeting*.c,
 * evidence.c, annual.c); a meeting or evidence of a practice outside the
 * token's scope is not there (404), naming such a practice is 403.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "annual.h"
#include "api_priv.h"
#include "campaign.h"
#include "cron.h"
#include "env.h"
#include "evidence.h"
#include "fire.h"
#include "framework.h"
#include "http.h"
#include "log.h"
#include "meeting.h"
#include "firequeue.h"
#include "meeting_notice.h"
#include "noticejobs.h"
#include "practice.h"
#include "scope.h"
#include "server.h"
#include "xmalloc.h"

/* ---- body helpers ------------------------------------------------------- */

/* 400 unless every key of the body is one of allowed. */
static int
body_known(struct api_req *ar, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(ar->body, key, v)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			api_error(ar, 400, "unknown key %s", key);
			return -1;
		}
	}
	return 0;
}

/* A true/false member of the body (0 if absent); -1 after a 400. */
static int
body_bool(struct api_req *ar, const char *key, int *out)
{
	const json_t *v = json_object_get(ar->body, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		api_error(ar, 400, "%s: expected true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* A string member that must be there; -1 after a 400. */
static int
body_required(struct api_req *ar, const char *key, const char **out)
{
	if (body_string(ar, key, out) == -1)
		return -1;
	if (*out == NULL) {
		api_error(ar, 400, "%s: required", key);
		return -1;
	}
	return 0;
}

/* PUT bodies: api_call parses POST and PATCH only. */
static int
body_put(struct api_req *ar)
{
	return ar->body != NULL ? 0 : api_parse_body(ar);
}

/* ---- meetings ----------------------------------------------------------- */

/* The practice code of meeting m. Caller frees. */
static char *
meeting_code(struct db *db, const struct meeting *m)
{
	struct practice *p = practice_get(db, m->practice_id);
	char *code = p != NULL ? xstrdup(p->code) : NULL;

	practice_free(p);
	return code;
}

/* Meeting idtext if it is in the client's scope; NULL after a 404. */
static struct meeting *
meeting_scoped(struct api_req *ar, const char *idtext)
{
	int64_t id = api_id(idtext);
	struct meeting *m = id != 0 ? meeting_get(ar->db, id) : NULL;
	char *code = m != NULL ? meeting_code(ar->db, m) : NULL;

	if (m == NULL || !scope_codes_allow(ar->scope, code)) {
		api_error(ar, 404, "no meeting %s", idtext);
		meeting_free(m);
		m = NULL;
	}
	free(code);
	return m;
}

/* The meeting after the id's database round trip, with extra members. */
static void
meeting_reply_id(struct api_req *ar, int code, int64_t id, json_t *extra)
{
	struct meeting *m = meeting_get(ar->db, id);
	json_t *o = meeting_to_json(ar->db, m);

	if (extra != NULL) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	meeting_free(m);
	api_reply(ar, code, o);
}

/* "3m", "2w": every 1 to 12 months or weeks. */
static int
series_every(const char *s, struct meeting_series *sr)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!isdigit((unsigned char)*s) || v < 1 || v > 12 ||
	    (*end != 'm' && *end != 'w') || end[1] != '\0')
		return -1;
	sr->every = (int)v;
	sr->unit = *end;
	return 0;
}

/* every, count and feedback_to of a create body. */
static int
series_body(struct api_req *ar, struct meeting_series *sr)
{
	const char *every;
	json_t *count = json_object_get(ar->body, "count");

	memset(sr, 0, sizeof *sr);
	sr->unit = 'm';
	sr->count = 1;
	if (body_string(ar, "every", &every) == -1 ||
	    body_string(ar, "feedback_to", &sr->feedback_to) == -1)
		return -1;
	if (every != NULL && series_every(every, sr) == -1) {
		api_error(ar, 400,
		          "every: give months or weeks, 1 to 12, such as 3m "
		          "or 2w");
		return -1;
	}
	if (count != NULL && (every == NULL || !json_is_integer(count) ||
	                      json_integer_value(count) < 1 ||
	                      json_integer_value(count) > MEETING_SERIES_MAX)) {
		api_error(ar, 400, "count: 1 to %d meetings, with every",
		          MEETING_SERIES_MAX);
		return -1;
	}
	if (count != NULL)
		sr->count = (int)json_integer_value(count);
	else if (every != NULL)
		sr->count = 4;
	return 0;
}

/* The meeting of a create body: practice (in scope), at in its zone. */
static int
meeting_body(struct api_req *ar, struct meeting *m)
{
	const char *code, *at, *where, *link, *agenda;
	struct practice *p;
	char *cause = NULL;
	time_t t;

	if (body_required(ar, "practice", &code) == -1 ||
	    body_required(ar, "at", &at) == -1 ||
	    body_required(ar, "where", &where) == -1 ||
	    body_string(ar, "link", &link) == -1 ||
	    body_string(ar, "agenda", &agenda) == -1 ||
	    api_practice_param(ar, code) == -1)
		return -1;
	p = practice_find(ar->db, code);
	if (cron_parse_iso(at, p->timezone, &t, &cause) == -1) {
		practice_free(p);
		api_error(ar, 400, "at: %s", cause);
		free(cause);
		return -1;
	}
	m->practice_id = p->id;
	practice_free(p);
	m->at = t;
	m->place = xstrdup(where);
	m->link = link != NULL ? xstrdup(link) : NULL;
	m->agenda = agenda != NULL ? xstrdup(agenda) : NULL;
	return 0;
}

/* 201 with the meeting, or {"meetings": [...]} for a series. */
static void
meetings_created(struct api_req *ar, const int64_t *ids, int count)
{
	struct meeting *m;
	json_t *arr;
	char loc[64], obj[32];
	int i;

	snprintf(loc, sizeof loc, "/api/v1/meetings/%lld", (long long)ids[0]);
	api_header(ar, "Location", loc);
	for (i = 0; i < count; i++) {
		snprintf(obj, sizeof obj, "meeting:%lld", (long long)ids[i]);
		api_logwrite(ar, "meeting.add", obj);
	}
	if (count == 1) {
		meeting_reply_id(ar, 201, ids[0], NULL);
		return;
	}
	arr = json_array();
	for (i = 0; i < count; i++) {
		m = meeting_get(ar->db, ids[i]);
		json_array_append_new(arr, meeting_to_json(ar->db, m));
		meeting_free(m);
	}
	api_reply(ar, 201, json_pack("{s:o}", "meetings", arr));
}

/* POST /api/v1/meetings: the use case of `ppgd meeting add`. */
static void
api_meetings_create(struct api_req *ar)
{
	static const char *const keys[] = {
	    "practice", "at",        "where",       "link",
	    "agenda",   "campaigns", "channels",    "audience",
	    "every",    "count",     "feedback_to", NULL};
	struct meeting m = {0};
	struct meeting_series sr;
	int64_t ids[MEETING_SERIES_MAX];
	const char *channels, *audience;
	char *cause = NULL;
	int campaigns;

	if (body_known(ar, keys) == -1 ||
	    body_bool(ar, "campaigns", &campaigns) == -1 ||
	    body_string(ar, "channels", &channels) == -1 ||
	    body_string(ar, "audience", &audience) == -1 ||
	    series_body(ar, &sr) == -1)
		return;
	if (!campaigns && (channels != NULL || audience != NULL)) {
		api_error(ar, 400, "channels and audience go with campaigns");
		return;
	}
	if (meeting_body(ar, &m) == 0) {
		if (meeting_create_series(ar->db, server_config(ar->srv), &m,
		                          &sr, campaigns, channels, audience,
		                          ids, &cause) == -1)
			api_error_take(ar, 400, cause);
		else
			meetings_created(ar, ids, sr.count);
	}
	free(m.place);
	free(m.link);
	free(m.agenda);
}

/* The meeting's notice result, as the CLI's --json shows it. */
static void
notice_reply(struct api_req *ar, const struct meeting_notice_result *r,
             const char *action)
{
	char obj[32];

	snprintf(obj, sizeof obj, "meeting:%lld", (long long)r->meeting_id);
	api_logwrite(ar, action, obj);
	if (r->messages > 0)
		env_kick(server_env(ar->srv));
	meeting_reply_id(ar, 200, r->meeting_id,
	                 json_pack("{s:o}", "notice", meeting_notice_json(r)));
}

/* A call waiting for its meeting's messages to be made. */
struct notice_wait {
	struct evhttp_request *req;
	struct server *srv;
	const char *action;
	char actor[API_NAME_MAX + 8];
};

/* The meeting's messages are made (or not): the answer the call waited
 * for. */
static void
notice_done(void *arg, int rc, const struct meeting_notice_result *r,
            const char *cause)
{
	struct notice_wait *w = arg;
	struct api_req ar = {.req = w->req, .srv = w->srv};

	ar.db = server_env(w->srv)->db;
	snprintf(ar.actor, sizeof ar.actor, "%s", w->actor);
	if (rc == 0)
		notice_reply(&ar, r, w->action);
	else
		/* The change is made; its messages are made at the next
		 * start (stopping) or when the fault is put right. */
		api_error(&ar, r == NULL ? 503 : 500,
		          "the meeting is changed, but telling those invited "
		          "did not finish: %s",
		          cause);
	db_idle(ar.db, "notice_done");
	free(w);
}

/*
 * After the change (meeting_update_begin or meeting_cancel_begin), its
 * messages are a job on the loop (noticejobs.h): the answer waits for its
 * end, with the same JSON as ever.
 */
static void
notice_queue(struct api_req *ar, const char *action, int64_t meeting_id)
{
	struct env *env = server_env(ar->srv);
	struct meeting_notice_result r;
	struct notice_wait *w;
	char *cause = NULL;

	if (env->notices == NULL) {
		/* No loop to slice on (a test's server): all at once. */
		if (meeting_notice_finish(ar->db, env->cfg, meeting_id, &r,
		                          &cause) == -1)
			api_error_take(ar, 500, cause);
		else
			notice_reply(ar, &r, action);
		return;
	}
	w = xcalloc(1, sizeof *w);
	w->req = ar->req;
	w->srv = ar->srv;
	w->action = action;
	snprintf(w->actor, sizeof w->actor, "%s", ar->actor);
	noticejobs_add(env->notices, meeting_id, notice_done, w);
}

/* PATCH /api/v1/meetings/ID {"at", "where", "link", "feedback_to"}:
 * `ppgd meeting update`, which retimes the campaigns and tells those
 * invited. */
static void
api_meeting_patch(struct api_req *ar)
{
	static const char *const keys[] = {"at", "where", "link", "feedback_to",
	                                   NULL};
	struct meeting_change chg = {0};
	struct meeting_notice_result r;
	const char *at, *fb;
	struct practice *p;
	struct meeting *m;
	char *seg = api_segment(ar), *cause = NULL;
	time_t t;
	int rc = 0;

	m = meeting_scoped(ar, seg != NULL ? seg : "there");
	free(seg);
	if (m == NULL)
		return;
	if (body_known(ar, keys) == -1 || body_string(ar, "at", &at) == -1 ||
	    body_string(ar, "where", &chg.place) == -1 ||
	    body_string(ar, "link", &chg.link) == -1 ||
	    body_string(ar, "feedback_to", &fb) == -1) {
		meeting_free(m);
		return;
	}
	if (at != NULL) {
		p = practice_get(ar->db, m->practice_id);
		rc = cron_parse_iso(at, p->timezone, &t, &cause);
		practice_free(p);
		chg.at = t;
	}
	memset(&r, 0, sizeof r);
	r.meeting_id = m->id;
	if (rc == 0 && fb != NULL)
		rc = meeting_set_feedback_to(ar->db, m->id, fb, &cause);
	if (rc == 0 &&
	    (at != NULL || chg.place != NULL || chg.link != NULL || fb == NULL))
		rc = meeting_update_begin(ar->db, server_config(ar->srv), m->id,
		                          &chg, time(NULL), &r, &cause) == -1
		         ? -1
		         : 1;
	meeting_free(m);
	if (rc == -1)
		api_error_take(ar, 400, cause);
	else if (rc == 1)
		notice_queue(ar, "meeting.update", r.meeting_id);
	else
		notice_reply(ar, &r, "meeting.update");
}

/* POST /api/v1/meetings/ID/cancel: `ppgd meeting cancel`. */
static void
meeting_cancel_call(struct api_req *ar, struct meeting *m)
{
	static const char *const keys[] = {NULL};
	struct meeting_notice_result r;
	char *cause = NULL;

	if (body_known(ar, keys) == -1)
		return;
	memset(&r, 0, sizeof r);
	if (meeting_cancel_begin(ar->db, server_config(ar->srv), m->id,
	                         time(NULL), &r, &cause) == -1)
		api_error_take(ar, 409, cause);
	else
		notice_queue(ar, "meeting.cancel", m->id);
}

/* Append the names of a list member as attendees of role. */
static int
attendees_names(struct api_req *ar, const char *key, const char *role,
                struct meeting_attendee **v, size_t *n)
{
	json_t *arr = json_object_get(ar->body, key), *e;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr)) {
		api_error(ar, 400, "%s: expected a list", key);
		return -1;
	}
	json_array_foreach(arr, i, e)
	{
		int64_t id = json_is_integer(e) ? json_integer_value(e) : 0;

		if (strcmp(role, "member") == 0 ? id <= 0
		                                : !json_is_string(e)) {
			api_error(ar, 400, "%s: expected %s", key,
			          strcmp(role, "member") == 0 ? "member ids"
			                                      : "names");
			return -1;
		}
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[*n].member_id = id;
		(*v)[*n].name = json_string_value(e);
		(*v)[*n].role = role;
		(*n)++;
	}
	return 0;
}

/* Record attendance in one transaction. */
static int
attendance_store(struct db *db, int64_t id, const struct meeting_attendee *v,
                 size_t n, char **cause)
{
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	if (meeting_attendance_set(db, id, v, n, cause) == -1 ||
	    db_commit(db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(db));
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* PUT /api/v1/meetings/ID/attendance {"present": [member ids], "staff":
 * [names], "gp_partner": [names]}: `ppgd meeting attendance`. */
static void
meeting_attendance_call(struct api_req *ar, struct meeting *m)
{
	static const char *const keys[] = {"present", "staff", "gp_partner",
	                                   NULL};
	struct meeting_attendee *v = NULL;
	char *cause = NULL, obj[32];
	size_t n = 0;

	if (body_known(ar, keys) == -1 ||
	    attendees_names(ar, "present", "member", &v, &n) == -1 ||
	    attendees_names(ar, "staff", "staff", &v, &n) == -1 ||
	    attendees_names(ar, "gp_partner", "gp-partner", &v, &n) == -1)
		goto out;
	if (n == 0)
		api_error(ar, 400, "name who came: present, staff, gp_partner");
	else if (attendance_store(ar->db, m->id, v, n, &cause) == -1)
		api_error_take(ar, 400, cause);
	else {
		snprintf(obj, sizeof obj, "meeting:%lld", (long long)m->id);
		api_logwrite(ar, "meeting.attendance", obj);
		meeting_reply_id(ar, 200, m->id, NULL);
	}
out:
	free(v);
}

/* Store (and publish) the minutes in one transaction. */
static int
minutes_store(struct db *db, int64_t id, const char *text, int publish,
              char **cause)
{
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	if (meeting_set_minutes(db, id, text, cause) == -1 ||
	    (publish && meeting_publish(db, id, cause) == -1) ||
	    db_commit(db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(db));
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* The "sent" member of a minutes reply. */
static json_t *
minutes_sent(const char *name, const struct fire_result *r)
{
	if (name == NULL)
		return json_null();
	return json_pack("{s:s, s:i, s:i, s:i}", "campaign", name, "messages",
	                 r->messages, "email", r->email, "sms", r->sms);
}

/* 1 after a 409 if the minutes of meeting id went out already: refused
 * before the new text is stored, so a refused call changes nothing. */
static int
minutes_sent_already(struct api_req *ar, int64_t id)
{
	char name[48];
	struct campaign *c;

	snprintf(name, sizeof name, "meeting-%lld-minutes", (long long)id);
	if ((c = campaign_find(ar->db, name)) == NULL)
		return 0;
	campaign_free(c);
	api_error(ar, 409,
	          "the minutes of meeting %lld were sent already "
	          "(campaign %s)",
	          (long long)id, name);
	return 1;
}

/* Minutes whose fire is queued: the call waits for its end. */
struct minutes_wait {
	struct evhttp_request *req;
	struct env *env;
	int64_t meeting_id;
	int publish;
	char actor[API_NAME_MAX + 8];
};

/* The minutes' answer: the meeting, published, and what was sent. */
static void
minutes_reply(struct api_req *ar, int64_t id, int publish, const char *name,
              const struct fire_result *r)
{
	meeting_reply_id(ar, 200, id,
	                 json_pack("{s:b, s:o}", "published", publish, "sent",
	                           minutes_sent(name, r)));
}

/* The queued fire of the minutes ended: the answer the call waited for. */
static void
minutes_done(void *arg, enum firequeue_end how, struct campaign *c,
             const struct fire_result *r, const char *cause)
{
	struct minutes_wait *w = arg;
	struct api_req ar = {.req = w->req, .db = w->env->db};

	if (how != FIREQUEUE_DROPPED) {
		/* Made: its run is finished now or at the next start. */
		db_set_actor(ar.db, w->actor);
		(void)meeting_minutes_fired(ar.db, c);
		db_set_actor(ar.db, "daemon");
	}
	if (how == FIREQUEUE_FIRED)
		minutes_reply(&ar, w->meeting_id, w->publish, c->name, r);
	else
		api_error(&ar, how == FIREQUEUE_FAILED ? 500 : 503,
		          "campaign %s: %s", c->name, cause);
	db_idle(ar.db, "minutes_done");
	free(w);
}

/*
 * Send the stored minutes as a job on the loop (firequeue.h): the reply
 * waits for the fire's end, with the same answer as ever. 1 if queued
 * (the reply is the job's), else 0 with *r and *name filled, or -1 and
 * *cause.
 */
static int
minutes_queue(struct api_req *ar, int64_t id, const struct meeting_send *how,
              int publish, struct fire_result *r, char **name, char **cause)
{
	struct env *env = server_env(ar->srv);
	struct minutes_wait *w;
	struct campaign *c;
	int64_t now = time(NULL);
	int rc;

	if ((c = meeting_minutes_campaign(ar->db, server_config(ar->srv), id,
	                                  how, now, cause)) == NULL)
		return -1;
	w = xcalloc(1, sizeof *w);
	w->req = ar->req;
	w->env = env;
	w->meeting_id = id;
	w->publish = publish;
	snprintf(w->actor, sizeof w->actor, "%s", ar->actor);
	if ((rc = firequeue_add(env->fires, c, now, 0, now, minutes_done, w, r,
	                        cause)) == 1)
		return 1;
	free(w);
	if (rc == 0) {
		(void)meeting_minutes_fired(ar->db, c);
		*name = xstrdup(c->name);
	}
	campaign_free(c);
	return rc;
}

/* PUT /api/v1/meetings/ID/minutes {"text", "publish", "send", "template",
 * "channels", "audience"}: `ppgd meeting minutes`. Sent, the minutes are a
 * fire that may take seconds: the reply comes when it ends. */
static void
meeting_minutes_call(struct api_req *ar, struct meeting *m)
{
	static const char *const keys[] = {"text",     "publish",  "send",
	                                   "template", "channels", "audience",
	                                   NULL};
	struct meeting_send how = {NULL, NULL, NULL};
	struct env *env = server_env(ar->srv);
	struct fire_result r;
	const char *text;
	char *cause = NULL, *name = NULL, obj[32];
	int publish, send, rc = 0;

	memset(&r, 0, sizeof r);
	if (body_known(ar, keys) == -1 ||
	    body_required(ar, "text", &text) == -1 ||
	    body_bool(ar, "publish", &publish) == -1 ||
	    body_bool(ar, "send", &send) == -1 ||
	    body_string(ar, "template", &how.template) == -1 ||
	    body_string(ar, "channels", &how.channels) == -1 ||
	    body_string(ar, "audience", &how.audience) == -1)
		return;
	if (!send && (how.template || how.channels || how.audience)) {
		api_error(ar, 400,
		          "template, channels and audience go with send");
		return;
	}
	if (send && minutes_sent_already(ar, m->id))
		return;
	if (send && env->stopping) {
		api_header(ar, "Retry-After", "5");
		api_error(ar, 503,
		          "the daemon is stopping; nothing was stored");
		return;
	}
	if (minutes_store(ar->db, m->id, text, publish, &cause) == -1)
		rc = -1;
	else if (send && env->fires != NULL)
		rc = minutes_queue(ar, m->id, &how, publish, &r, &name, &cause);
	else if (send)
		rc = meeting_minutes_send(ar->db, server_config(ar->srv), m->id,
		                          &how, time(NULL), &r, &name, &cause);
	if (rc == -1) {
		api_error_take(ar, 400, cause);
		return;
	}
	snprintf(obj, sizeof obj, "meeting:%lld", (long long)m->id);
	api_logwrite(ar, "meeting.minutes", obj);
	if (rc == 1)
		return;
	if (name != NULL)
		env_kick(env);
	minutes_reply(ar, m->id, publish, name, &r);
	free(name);
}

/* The meeting ID of "ID/ACTION" and its action, or -1 after a 404. */
static struct meeting *
meeting_action_of(struct api_req *ar, const char *action)
{
	const char *slash = strchr(ar->rest, '/');
	char idtext[24];
	size_t len = slash != NULL ? (size_t)(slash - ar->rest) : 0;

	if (slash == NULL || len == 0 || len >= sizeof idtext ||
	    strcmp(slash + 1, action) != 0) {
		api_error(ar, 404, "no such call; see docs/api.md");
		return NULL;
	}
	memcpy(idtext, ar->rest, len);
	idtext[len] = '\0';
	return meeting_scoped(ar, idtext);
}

#define MEETING_ACTION(fn, action, put)                                        \
	static void fn##_route(struct api_req *ar)                             \
	{                                                                      \
		struct meeting *m;                                             \
                                                                               \
		if ((put) && body_put(ar) == -1)                               \
			return;                                                \
		if ((m = meeting_action_of(ar, action)) == NULL)               \
			return;                                                \
		fn(ar, m);                                                     \
		meeting_free(m);                                               \
	}

MEETING_ACTION(meeting_cancel_call, "cancel", 0)
MEETING_ACTION(meeting_attendance_call, "attendance", 1)
MEETING_ACTION(meeting_minutes_call, "minutes", 1)

static void
action_unknown(struct api_req *ar)
{
	api_error(ar, 404, "no such call; see docs/api.md");
}

static int
api_meeting_action(struct evhttp_request *req, struct server *s,
                   const char *rest)
{
	static const struct api_method cancel[] = {
	    {EVHTTP_REQ_POST, meeting_cancel_call_route}, {0, NULL}};
	static const struct api_method attendance[] = {
	    {EVHTTP_REQ_PUT, meeting_attendance_call_route}, {0, NULL}};
	static const struct api_method minutes[] = {
	    {EVHTTP_REQ_PUT, meeting_minutes_call_route}, {0, NULL}};
	static const struct api_method unknown[] = {
	    {EVHTTP_REQ_GET, action_unknown},
	    {EVHTTP_REQ_POST, action_unknown},
	    {EVHTTP_REQ_PATCH, action_unknown},
	    {EVHTTP_REQ_PUT, action_unknown},
	    {EVHTTP_REQ_DELETE, action_unknown},
	    {0, NULL}};
	const char *slash = strchr(rest, '/');

	if (slash == NULL)
		return 0;
	if (strcmp(slash, "/cancel") == 0)
		api_call(req, s, rest, cancel);
	else if (strcmp(slash, "/attendance") == 0)
		api_call(req, s, rest, attendance);
	else if (strcmp(slash, "/minutes") == 0)
		api_call(req, s, rest, minutes);
	else
		api_call(req, s, rest, unknown);
	return 1;
}

/* ---- meetings: reads and routes ---------------------------------------- */

static void
meetings_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", NULL};
	const char *practice = api_param(ar, "practice");
	json_t *arr;

	if (api_params_known(ar, params) == -1 ||
	    api_practice_param(ar, practice) == -1)
		return;
	arr = meeting_list_json(ar->db, practice);
	api_scope_filter(ar, arr, "practice");
	api_reply(ar, 200, json_pack("{s:o}", "meetings", arr));
}

static void
meeting_show(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	struct meeting *m = NULL;
	char *seg, *end;
	long long id = 0;
	json_t *o = NULL;

	if (api_params_known(ar, params) == -1)
		return;
	seg = api_segment(ar);
	if (seg != NULL)
		id = strtoll(seg, &end, 10);
	if (seg != NULL && *seg >= '1' && *seg <= '9' && *end == '\0' &&
	    (m = meeting_get(ar->db, (int64_t)id)) != NULL) {
		o = meeting_to_json(ar->db, m);
		/* Another practice's meeting is not there. */
		if (!scope_codes_allow(
		        ar->scope,
		        json_string_value(json_object_get(o, "practice")))) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o == NULL)
		api_error(ar, 404, "no meeting %s", seg ? seg : "there");
	else
		api_reply(ar, 200, o);
	meeting_free(m);
	free(seg);
}

void
api_route_meetings(struct evhttp_request *req, struct server *s,
                   const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, meetings_list},
	    {EVHTTP_REQ_POST, api_meetings_create},
	    {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_meeting(struct evhttp_request *req, struct server *s,
                  const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, meeting_show},
	    {EVHTTP_REQ_PATCH, api_meeting_patch},
	    {0, NULL}};

	if (api_meeting_action(req, s, rest))
		return;
	api_call(req, s, rest, m);
}

/* ---- evidence ----------------------------------------------------------- */

/* GET /api/v1/evidence?practice=&kind=&from=&to= */
static void
evidence_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", "kind", "from", "to",
	                                     NULL};
	const char *practice = api_param(ar, "practice");
	const char *kind = api_param(ar, "kind");
	json_t *arr;

	if (api_params_known(ar, params) == -1 ||
	    api_practice_param(ar, practice) == -1)
		return;
	if (kind != NULL && !evidence_kind_valid(kind)) {
		api_error(ar, 400, "kind: no evidence kind %s", kind);
		return;
	}
	arr = evidence_list_json(ar->db, practice, kind, api_param(ar, "from"),
	                         api_param(ar, "to"));
	api_scope_filter(ar, arr, "practice");
	api_reply(ar, 200, json_pack("{s:o}", "evidence", arr));
}

/* Decode base64 (RFC 4648, padded). Caller frees; NULL if malformed. */
static unsigned char *
base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	int got;

	if (n % 4 != 0 || n > (size_t)EVIDENCE_MAX_FILE / 3 * 4 + 4)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	if ((got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) <
	    0) {
		free(out);
		return NULL;
	}
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	*len = (size_t)got - pad;
	return out;
}

/* The evidence of a create body (borrowing from it). */
static int
evidence_body(struct api_req *ar, struct evidence_new *e)
{
	json_t *mid = json_object_get(ar->body, "meeting");

	if (body_required(ar, "practice", &e->practice) == -1 ||
	    body_required(ar, "kind", &e->kind) == -1 ||
	    body_required(ar, "date", &e->day) == -1 ||
	    body_string(ar, "title", &e->title) == -1 ||
	    body_string(ar, "link", &e->link) == -1 ||
	    body_string(ar, "note", &e->note) == -1 ||
	    body_string(ar, "file_name", &e->file_name) == -1)
		return -1;
	if (mid != NULL && (!json_is_integer(mid) ||
	                    (e->meeting_id = json_integer_value(mid)) <= 0)) {
		api_error(ar, 400, "meeting: expected a meeting id");
		return -1;
	}
	return api_practice_param(ar, e->practice);
}

/* A meeting of the body must be a meeting of the same practice. */
static int
evidence_meeting_ok(struct api_req *ar, const struct evidence_new *e)
{
	struct meeting *m;
	char *code;
	int ok;

	if (e->meeting_id == 0)
		return 0;
	m = meeting_get(ar->db, e->meeting_id);
	code = m != NULL ? meeting_code(ar->db, m) : NULL;
	ok = code != NULL && strcmp(code, e->practice) == 0;
	free(code);
	meeting_free(m);
	if (!ok)
		api_error(ar, 400, "meeting: no meeting %lld at %s",
		          (long long)e->meeting_id, e->practice);
	return ok ? 0 : -1;
}

/* POST /api/v1/evidence: JSON with the file as base64 "file" (and
 * "file_name"), or a "link". */
static void
evidence_create(struct api_req *ar)
{
	static const char *const keys[] = {
	    "practice", "kind", "date",      "title",   "link",
	    "note",     "file", "file_name", "meeting", NULL};
	struct evidence_new e = {0};
	const char *b64;
	unsigned char *data = NULL;
	char *cause = NULL, loc[64], obj[32];
	int64_t id;

	if (body_known(ar, keys) == -1 || body_string(ar, "file", &b64) == -1 ||
	    evidence_body(ar, &e) == -1 || evidence_meeting_ok(ar, &e) == -1)
		return;
	if (b64 != NULL && (data = base64_decode(b64, &e.len)) == NULL) {
		api_error(ar, 400, "file: expected base64 of at most %d bytes",
		          EVIDENCE_MAX_FILE);
		return;
	}
	if ((b64 != NULL) != (e.file_name != NULL)) {
		free(data);
		api_error(ar, 400, "file and file_name go together");
		return;
	}
	e.data = data;
	if (evidence_add(ar->db, &e, &id, &cause) == -1)
		api_error_take(ar, 400, cause);
	else {
		snprintf(loc, sizeof loc, "/api/v1/evidence/%lld",
		         (long long)id);
		snprintf(obj, sizeof obj, "evidence:%lld", (long long)id);
		api_logwrite(ar, "evidence.add", obj);
		api_header(ar, "Location", loc);
		api_reply(ar, 201, evidence_get_json(ar->db, id));
	}
	free(data);
}

/* The evidence named by the path, in scope; NULL after a 404. */
static json_t *
evidence_scoped(struct api_req *ar)
{
	char *seg = api_segment(ar);
	int64_t id = api_id(seg);
	json_t *e = id != 0 ? evidence_get_json(ar->db, id) : NULL;

	if (e != NULL &&
	    !scope_codes_allow(
	        ar->scope, json_string_value(json_object_get(e, "practice")))) {
		json_decref(e);
		e = NULL;
	}
	if (e == NULL)
		api_error(ar, 404, "no evidence %s", seg ? seg : "there");
	free(seg);
	return e;
}

/* GET /api/v1/evidence/ID: one item, described. */
static void
evidence_get(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	json_t *e;

	if (api_params_known(ar, params) == 0 &&
	    (e = evidence_scoped(ar)) != NULL)
		api_reply(ar, 200, e);
}

/* DELETE /api/v1/evidence/ID: `ppgd evidence remove` (its --json). */
static void
evidence_delete(struct api_req *ar)
{
	json_t *e = evidence_scoped(ar);
	char *cause = NULL, obj[32];
	int64_t id;

	if (e == NULL)
		return;
	id = json_integer_value(json_object_get(e, "id"));
	json_decref(e);
	if (evidence_remove(ar->db, id, &cause) == -1) {
		api_error_take(ar, 404, cause);
		return;
	}
	snprintf(obj, sizeof obj, "evidence:%lld", (long long)id);
	api_logwrite(ar, "evidence.remove", obj);
	api_reply(ar, 200,
	          json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
}

/* The evidence of "ID/file" in scope; NULL after a 404. */
static json_t *
evidence_file_scoped(struct api_req *ar)
{
	const char *slash = strchr(ar->rest, '/');
	char idtext[24];
	size_t len = slash != NULL ? (size_t)(slash - ar->rest) : 0;
	json_t *e = NULL;

	if (slash != NULL && len > 0 && len < sizeof idtext &&
	    strcmp(slash, "/file") == 0) {
		memcpy(idtext, ar->rest, len);
		idtext[len] = '\0';
		e = api_id(idtext) != 0
		        ? evidence_get_json(ar->db, api_id(idtext))
		        : NULL;
	}
	if (e != NULL &&
	    !scope_codes_allow(
	        ar->scope, json_string_value(json_object_get(e, "practice")))) {
		json_decref(e);
		e = NULL;
	}
	if (e == NULL)
		api_error(ar, 404, "no such evidence");
	return e;
}

/* A file name safe in a quoted header value: letters, digits, ". _ -". */
static void
safe_file_name(const char *name, char *out, size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++)
		out[i] = isalnum((unsigned char)name[i]) ||
		                 strchr("._-", name[i]) != NULL
		             ? name[i]
		             : '_';
	out[i] = '\0';
}

/* GET /api/v1/evidence/ID/file: the stored file (`ppgd evidence get`). */
static void
evidence_file_get(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	json_t *e;
	void *data = NULL;
	char *name = NULL, *cause = NULL, safe[128], disp[160];
	const char *type;
	size_t len = 0;

	if (api_params_known(ar, params) == -1 ||
	    (e = evidence_file_scoped(ar)) == NULL)
		return;
	if (evidence_file(ar->db, json_integer_value(json_object_get(e, "id")),
	                  &data, &len, &name, &cause) == -1) {
		json_decref(e);
		api_error_take(ar, 404, cause);
		return;
	}
	type = json_string_value(
	    json_object_get(json_object_get(e, "file"), "type"));
	safe_file_name(name, safe, sizeof safe);
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", safe);
	api_header(ar, "Content-Disposition", disp);
	api_header(ar, "X-Content-Type-Options", "nosniff");
	http_reply(ar->req, 200,
	           type != NULL ? type : "application/octet-stream", data, len);
	json_decref(e);
	free(data);
	free(name);
}

/* GET /api/v1/evidence/kinds */
static void
evidence_kinds(struct api_req *ar)
{
	static const char *const params[] = {NULL};

	if (api_params_known(ar, params) == 0)
		api_reply(ar, 200,
		          json_pack("{s:o}", "kinds", evidence_kinds_json()));
}

void
api_route_evidence(struct evhttp_request *req, struct server *s,
                   const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, evidence_list},
	    {EVHTTP_REQ_POST, evidence_create},
	    {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_evidence_one(struct evhttp_request *req, struct server *s,
                       const char *rest)
{
	static const struct api_method kinds[] = {
	    {EVHTTP_REQ_GET, evidence_kinds}, {0, NULL}};
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, evidence_get},
	    {EVHTTP_REQ_DELETE, evidence_delete},
	    {0, NULL}};

	static const struct api_method file[] = {
	    {EVHTTP_REQ_GET, evidence_file_get}, {0, NULL}};
	const char *slash = strchr(rest, '/');

	if (slash != NULL && strcmp(slash, "/file") == 0)
		api_call(req, s, rest, file);
	else
		api_call(req, s, rest, strcmp(rest, "kinds") == 0 ? kinds : m);
}

/* ---- the annual report -------------------------------------------------- */

/* practice, year and financial of the query or the body. */
static int
annual_args(struct api_req *ar, const char **code, int *year, int *financial)
{
	long long y;
	json_t *v;

	if (ar->body == NULL) {
		*code = api_param(ar, "practice");
		if (api_param_int(ar, "year", 0, 2000, 2100, &y) == -1 ||
		    api_param_bool(ar, "financial", financial) == -1)
			return -1;
	} else {
		if (body_string(ar, "practice", code) == -1 ||
		    body_bool(ar, "financial", financial) == -1)
			return -1;
		v = json_object_get(ar->body, "year");
		y = json_is_integer(v) ? json_integer_value(v) : 0;
		if (v != NULL && (y < 2000 || y > 2100)) {
			api_error(ar, 400,
			          "year: expected a number from 2000 to 2100");
			return -1;
		}
	}
	if (*code == NULL || y == 0) {
		api_error(ar, 400, "practice and year: required");
		return -1;
	}
	*year = (int)y;
	return api_practice_param(ar, *code);
}

/* The report with the configured framework; -1 after a 4xx or 5xx. */
static int
annual_build(struct api_req *ar, const char *code, int year, int financial,
             json_t **out)
{
	struct framework *fw;
	char *cause = NULL;
	int rc;

	if (framework_load_config(server_config(ar->srv), NULL, &fw, &cause) ==
	    -1) {
		log_warnx("event=api_framework_failed");
		free(cause);
		api_error(ar, 500, "the framework did not load");
		return -1;
	}
	rc = annual_report(ar->db, code, year, financial, fw, out, &cause);
	framework_free(fw);
	if (rc == -1)
		api_error_take(ar, 400, cause);
	return rc;
}

/* GET /api/v1/reports/annual?practice=&year=&financial= */
static void
annual_get(struct api_req *ar)
{
	static const char *const params[] = {"practice", "year", "financial",
	                                     NULL};
	const char *code;
	int year, financial;
	json_t *r;

	if (api_params_known(ar, params) == -1 ||
	    annual_args(ar, &code, &year, &financial) == -1 ||
	    annual_build(ar, code, year, financial, &r) == -1)
		return;
	api_reply(ar, 200, r);
}

/* POST /api/v1/reports/annual/sign-off {"practice", "year", "financial",
 * "by": "NAME, ROLE"}: `ppgd report annual --sign-off`. */
static void
annual_sign_off_post(struct api_req *ar)
{
	static const char *const keys[] = {"practice", "year", "financial",
	                                   "by", NULL};
	const char *code, *by;
	char *cause = NULL, obj[48];
	int year, financial;
	json_t *r;

	if (body_known(ar, keys) == -1 || body_required(ar, "by", &by) == -1 ||
	    annual_args(ar, &code, &year, &financial) == -1 ||
	    annual_build(ar, code, year, financial, &r) == -1)
		return;
	if (annual_sign_off(ar->db, r, by, &cause) == -1) {
		json_decref(r);
		api_error_take(ar, 400, cause);
		return;
	}
	json_decref(r);
	snprintf(obj, sizeof obj, "annual:%s:%d%s", code, year,
	         financial ? "f" : "");
	api_logwrite(ar, "annual.sign_off", obj);
	if (annual_build(ar, code, year, financial, &r) == 0)
		api_reply(ar, 200, r);
}

static void
report_unknown(struct api_req *ar)
{
	api_error(ar, 404, "no such report; see docs/api.md");
}

void
api_route_reports(struct evhttp_request *req, struct server *s,
                  const char *rest)
{
	static const struct api_method annual[] = {{EVHTTP_REQ_GET, annual_get},
	                                           {0, NULL}};
	static const struct api_method sign[] = {
	    {EVHTTP_REQ_POST, annual_sign_off_post}, {0, NULL}};
	static const struct api_method none[] = {
	    {EVHTTP_REQ_GET, report_unknown},
	    {EVHTTP_REQ_POST, report_unknown},
	    {0, NULL}};

	if (strcmp(rest, "annual") == 0)
		api_call(req, s, rest, annual);
	else if (strcmp(rest, "annual/sign-off") == 0)
		api_call(req, s, rest, sign);
	else
		api_call(req, s, rest, none);
}
