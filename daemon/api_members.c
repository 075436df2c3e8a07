/*
 * The admin API's members: the register (a page of members, one member,
 * add, update with If-Match, erase) and the join requests to approve or
 * reject. Each handler calls the use case the CLI calls (member_edit.c,
 * join.c); a member of a practice outside the token's scope is not there.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api_priv.h"
#include "config.h"
#include "crypto.h"
#include "env.h"
#include "http.h"
#include "join.h"
#include "member.h"
#include "member_edit.h"
#include "practice.h"
#include "scope.h"
#include "server.h"
#include "xmalloc.h"

#define API_LIMIT_DEFAULT 100
#define API_LIMIT_MAX     1000

/* ---- members ------------------------------------------------------------ */

static int
one_of(const char *v, const char *const *choices)
{
	size_t i;

	if (v == NULL)
		return 1;
	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return 1;
	return 0;
}

/* The filter from the query; -1 after a 4xx. */
static int
members_filter(struct api_req *ar, struct member_filter *f)
{
	static const char *const channels[] = {"email", "sms", NULL};
	static const struct {
		const char *name;
		const char *const *choices;
	} enums[] = {{"age_band", member_age_bands},
	             {"sex", member_sexes},
	             {"ethnicity", member_ethnicities},
	             {"channel", channels}};
	size_t i;

	for (i = 0; i < sizeof enums / sizeof enums[0]; i++) {
		if (!one_of(api_param(ar, enums[i].name), enums[i].choices)) {
			api_error(ar, 400, "%s: not a known value",
			          enums[i].name);
			return -1;
		}
	}
	f->practice = api_param(ar, "practice");
	f->age_band = api_param(ar, "age_band");
	f->sex = api_param(ar, "sex");
	f->ethnicity = api_param(ar, "ethnicity");
	f->tag = api_param(ar, "tag");
	f->channel = api_param(ar, "channel");
	f->search = api_param(ar, "search");
	if (api_param_bool(ar, "active", &f->active_only) == -1 ||
	    api_param_bool(ar, "include_erased", &f->include_erased) == -1)
		return -1;
	return api_practice_param(ar, f->practice);
}

struct page {
	json_t *arr;
	int64_t last;
	long long limit, n;
	int more;
};

/* The page comes from SQL (ids after `after`, one more than the limit to
 * know whether there are more): nothing before the page is read. */
static int
page_add(struct member *m, void *arg)
{
	struct page *pg = arg;

	if (pg->n == pg->limit) {
		pg->more = 1;
		return 1;
	}
	json_array_append_new(pg->arr, member_to_json(m));
	pg->n++;
	pg->last = m->id;
	return 0;
}

/* A page of members to read off the loop: the filter with its own copies
 * of the strings (the request's query is freed meanwhile). */
struct members_job {
	struct member_filter f;
	long long limit;
	char *s[8];
};

static const char *
job_keep(struct members_job *j, size_t i, const char *s)
{
	return j->s[i] = s != NULL ? xstrdup(s) : NULL;
}

static void
members_job_free(void *arg)
{
	struct members_job *j = arg;
	size_t i;

	for (i = 0; i < sizeof j->s / sizeof j->s[0]; i++)
		free(j->s[i]);
	free(j);
}

/* On a worker: the page from SQL. */
static void
members_page(struct db *db, void *arg, struct api_answer *a)
{
	struct members_job *j = arg;
	struct page pg = {.arr = json_array(), .limit = j->limit};

	member_list(db, &j->f, page_add, &pg);
	a->json = json_pack("{s:o, s:o}", "members", pg.arr, "next_after",
	                    pg.more ? json_integer(pg.last) : json_null());
}

static void
members_list(struct api_req *ar)
{
	static const char *const params[] = {
	    "practice", "age_band", "sex",    "ethnicity",      "tag",
	    "channel",  "search",   "active", "include_erased", "limit",
	    "after",    NULL};
	struct member_filter f = {0};
	struct members_job *j;
	long long after, limit;

	if (api_params_known(ar, params) == -1 ||
	    members_filter(ar, &f) == -1 ||
	    api_param_int(ar, "limit", API_LIMIT_DEFAULT, 1, API_LIMIT_MAX,
	                  &limit) == -1 ||
	    api_param_int(ar, "after", 0, 0, INT64_MAX, &after) == -1)
		return;
	j = xcalloc(1, sizeof *j);
	j->f = f;
	j->f.practice = job_keep(j, 0, f.practice);
	j->f.age_band = job_keep(j, 1, f.age_band);
	j->f.sex = job_keep(j, 2, f.sex);
	j->f.ethnicity = job_keep(j, 3, f.ethnicity);
	j->f.tag = job_keep(j, 4, f.tag);
	j->f.channel = job_keep(j, 5, f.channel);
	j->f.search = job_keep(j, 6, f.search);
	j->f.practices = job_keep(j, 7, scope_codes_list(ar->scope));
	j->f.after = after;
	j->f.limit = limit + 1;
	j->limit = limit;
	api_defer(ar, NULL, members_page, j, members_job_free);
}

static int
member_field_known(const char *name)
{
	const struct member_field *f;
	size_t n, i;

	f = member_fields(&n);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return 1;
	return 0;
}

/* A JSON value as the text member_set takes. Caller frees; NULL if the
 * type does not fit. */
static char *
json_field_text(const json_t *v)
{
	char *s = NULL, *t;
	const json_t *e;
	size_t i;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_null(v))
		return xstrdup("");
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "yes" : "no");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (!json_is_array(v))
		return NULL;
	s = xstrdup("");
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || strchr(json_string_value(e), ';')) {
			free(s);
			return NULL;
		}
		t = xasprintf("%s%s%s", s, i ? ";" : "", json_string_value(e));
		free(s);
		s = t;
	}
	return s;
}

/* Custom fields from {"extra": {"NAME": "text" or null}}. */
static int
member_apply_extra(struct member *m, json_t *extra, char **cause)
{
	const char *k;
	json_t *v;
	char *field, *text;
	int rc;

	if (!json_is_object(extra))
		return (*cause = xstrdup("extra: expected an object")), 400;
	json_object_foreach(extra, k, v)
	{
		field = xasprintf(MEMBER_EXTRA_PREFIX "%s", k);
		text = json_is_string(v) || json_is_null(v) ? json_field_text(v)
		                                            : NULL;
		if (!member_extra_name_ok(field) || text == NULL) {
			*cause =
			    xasprintf("extra.%s: a name of letters, "
			              "digits, _ and - with a string value",
			              k);
			free(field);
			free(text);
			return 400;
		}
		rc = member_set(m, field, text, cause);
		free(field);
		free(text);
		if (rc == -1)
			return 422;
	}
	return 0;
}

/* Set the body's fields on m: 0, or the status to reply with and *cause. */
static int
member_apply(struct db *db, json_t *body, struct member *m, char **cause)
{
	const char *k;
	json_t *v;
	char *text;
	struct practice *p;
	int rc;

	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "practice") == 0) {
			if (!json_is_string(v))
				return (*cause = xstrdup("practice: expected "
				                         "a string")),
				       400;
			if ((p = practice_find(db, json_string_value(v))) ==
			    NULL)
				return (*cause =
				            xasprintf("no practice %s",
				                      json_string_value(v))),
				       422;
			m->practice_id = p->id;
			free(m->practice_code);
			m->practice_code = xstrdup(p->code);
			practice_free(p);
			continue;
		}
		if (strcmp(k, "extra") == 0) {
			if ((rc = member_apply_extra(m, v, cause)) != 0)
				return rc;
			continue;
		}
		if (strcmp(k, "shared_number") == 0) {
			if (!json_is_boolean(v))
				return (*cause =
				            xstrdup("shared_number: "
				                    "expected true or false")),
				       400;
			continue;
		}
		if (!member_field_known(k))
			return (*cause = xasprintf("unknown field %s", k)), 400;
		if ((text = json_field_text(v)) == NULL)
			return (*cause = xasprintf("%s: expected a string", k)),
			       400;
		rc = member_set(m, k, text, cause);
		free(text);
		if (rc == -1)
			return 422;
	}
	return member_validate(m, cause) == -1 ? 422 : 0;
}

/* Save m through the shared use case; reply with the error if it fails.
 * 0 if saved, 1 if the request will run again (write lock busy), -1 if
 * answered with an error. */
static int
member_store(struct api_req *ar, struct member *m)
{
	struct member_edit_opts eo = {
	    .actor = ar->actor,
	    .term_months =
	        (int)config_int(server_config(ar->srv), CFG_TERM_MONTHS),
	    .shared_number =
	        json_is_true(json_object_get(ar->body, "shared_number")),
	    .postcode_outward =
	        strcmp(config_str(server_config(ar->srv), CFG_POSTCODE),
	               "outward") == 0};
	int was_new = m->id == 0;
	char *cause = NULL, obj[32];
	int64_t other;

	switch (member_edit_save(ar->db, m, &eo, &other, &cause)) {
	case MEMBER_EDIT_OK:
		snprintf(obj, sizeof obj, "member:%lld", (long long)m->id);
		api_logwrite(ar, was_new ? "member.add" : "member.update", obj);
		return 0;
	case MEMBER_EDIT_INVALID:
		api_error_take(ar, 422, cause);
		break;
	case MEMBER_EDIT_CONFLICT:
		api_problem(ar, 409, cause,
		            json_pack("{s:I}", "id", (json_int_t)other));
		free(cause);
		break;
	case MEMBER_EDIT_FAILED:
		api_error_take(ar, 500, cause);
		break;
	case MEMBER_EDIT_BUSY:
		/* Another process writes: run again once the lock is free. */
		if (http_retry(ar->req))
			return 1;
		api_problem(ar, 503, "the database is busy; try again", NULL);
		break;
	}
	return -1;
}

/* The member's entity tag: a hash of its JSON, quoted. */
static void
member_etag(const struct member *m, char out[36])
{
	json_t *o = member_to_json((struct member *)m);
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), hex[65];

	crypto_sha256_hex(s, strlen(s), hex);
	snprintf(out, 36, "\"%.32s\"", hex);
	free(s);
	json_decref(o);
}

/*
 * If-Match on an update: the request goes ahead only if the member is as
 * the client last saw it; else 412 (lost update prevented).
 */
static int
member_if_match(struct api_req *ar, const struct member *m)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(ar->req), "If-Match");
	char etag[36];

	if (h == NULL || strcmp(h, "*") == 0)
		return 0;
	member_etag(m, etag);
	if (strstr(h, etag) != NULL)
		return 0;
	api_error(ar, 412,
	          "member %lld has changed since it was read (If-Match %s; "
	          "now %s)",
	          (long long)m->id, h, etag);
	return -1;
}

static void
member_reply(struct api_req *ar, int code, struct member *m)
{
	char *loc, etag[36];

	member_etag(m, etag);
	api_header(ar, "ETag", etag);
	if (code == 201) {
		loc = xasprintf("/api/v1/members/%lld", (long long)m->id);
		api_header(ar, "Location", loc);
		free(loc);
	}
	api_reply(ar, code, member_to_json(m));
}

static void
members_create(struct api_req *ar)
{
	json_t *pj = json_object_get(ar->body, "practice");
	struct member *m;
	char *cause = NULL;
	int code;

	if (!json_is_string(pj)) {
		api_error(ar, 400, "practice: a practice code is required");
		return;
	}
	if (api_scope_practice(ar, json_string_value(pj)) == -1)
		return;
	m = member_new(0, NULL);
	if ((code = member_apply(ar->db, ar->body, m, &cause)) != 0)
		api_error_take(ar, code, cause);
	else if (member_store(ar, m) == 0)
		member_reply(ar, 201, m);
	member_free(m);
}

/* The member the path names; NULL after a 404 (a member of a practice out
 * of the client's scope is not there). Caller frees. */
static struct member *
member_of_path(struct api_req *ar)
{
	int64_t id = api_id(ar->rest);
	struct member *m = id != 0 ? member_load(ar->db, id) : NULL;

	if (m != NULL && !scope_codes_allow(ar->scope, m->practice_code)) {
		member_free(m);
		m = NULL;
	}
	if (m == NULL)
		api_error(ar, 404, "no member %s",
		          id != 0 ? ar->rest : "there");
	return m;
}

static void
member_get(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	struct member *m;

	if (api_params_known(ar, params) == -1 ||
	    (m = member_of_path(ar)) == NULL)
		return;
	member_reply(ar, 200, m);
	member_free(m);
}

static void
member_patch(struct api_req *ar)
{
	json_t *pj = json_object_get(ar->body, "practice");
	struct member *m;
	char *cause = NULL;
	int code;

	if ((m = member_of_path(ar)) == NULL)
		return;
	if (json_is_string(pj) &&
	    api_scope_practice(ar, json_string_value(pj)) == -1)
		;
	else if (m->erased_at != 0)
		api_error(ar, 409, "member %lld was erased", (long long)m->id);
	else if (member_if_match(ar, m) == -1)
		;
	else if ((code = member_apply(ar->db, ar->body, m, &cause)) != 0)
		api_error_take(ar, code, cause);
	else if (member_store(ar, m) == 0)
		member_reply(ar, 200, m);
	member_free(m);
}

static void
member_delete(struct api_req *ar)
{
	struct member *m;
	char *cause = NULL, obj[32];
	int64_t id;

	if ((m = member_of_path(ar)) == NULL)
		return;
	id = m->id;
	if (m->erased_at != 0)
		api_error(ar, 409, "member %lld is already erased",
		          (long long)id);
	else if (member_if_match(ar, m) == -1)
		;
	else if (member_erase(ar->db, id, ar->actor, &cause) == -1)
		api_error_take(ar, 500, cause);
	else {
		snprintf(obj, sizeof obj, "member:%lld", (long long)id);
		api_logwrite(ar, "member.erase", obj);
		member_free(m);
		m = member_load(ar->db, id);
		member_reply(ar, 200, m);
	}
	member_free(m);
}

/* ---- join requests ------------------------------------------------------ */

static void
join_requests_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", "state", NULL};
	static const char *const states[] = {
	    "unconfirmed", "pending", "approved", "rejected", "expired", NULL};
	const char *state = api_param(ar, "state");
	size_t i;

	json_t *arr;

	if (api_params_known(ar, params) == -1 ||
	    (api_param(ar, "practice") != NULL &&
	     api_scope_practice(ar, api_param(ar, "practice")) == -1))
		return;
	for (i = 0; state != NULL && states[i] != NULL; i++)
		if (strcmp(state, states[i]) == 0)
			break;
	if (state != NULL && states[i] == NULL) {
		api_error(ar, 400,
		          "state: one of unconfirmed, pending, "
		          "approved, rejected, expired");
		return;
	}
	arr = join_list(ar->db, api_param(ar, "practice"), state);
	api_scope_filter(ar, arr, "practice");
	api_reply(ar, 200, json_pack("{s:o}", "join_requests", arr));
}

/* 1 if join request id is of a practice the client may act for (one of
 * another practice is not there). */
static int
join_in_scope(struct api_req *ar, int64_t id)
{
	json_t *r;
	int ok;

	if (scope_codes_all(ar->scope))
		return 1;
	if ((r = join_get(ar->db, id)) == NULL)
		return 1; /* none: 404 from the decision, as for anyone */
	ok = scope_codes_allow(
	    ar->scope, json_string_value(json_object_get(r, "practice")));
	json_decref(r);
	return ok;
}

static void
join_decided(struct api_req *ar, int64_t id, const char *state, int64_t member)
{
	char obj[32];
	json_t *o =
	    json_pack("{s:I, s:s}", "request", (json_int_t)id, "state", state);

	if (member != 0)
		json_object_set_new(o, "member_id", json_integer(member));
	snprintf(obj, sizeof obj, "join:%lld", (long long)id);
	api_logwrite(
	    ar, strcmp(state, "approved") == 0 ? "join.approve" : "join.reject",
	    obj);
	api_reply(ar, 200, o);
}

/* POST /api/v1/join-requests/ID/approve {"external_ref"} or /reject
 * {"reason"}. */
static void
join_request_decide(struct api_req *ar)
{
	/* "ID/approve", also as one encoded segment ("1%2Fapprove"). */
	char *rest = evhttp_uridecode(ar->rest, 0, NULL);
	const char *slash = rest != NULL ? strchr(rest, '/') : NULL, *key;
	const char *ref = NULL, *reason = NULL;
	char idtext[24], action[16], *cause = NULL;
	int approve, rc, notify;
	int64_t id, member = 0;
	json_t *v;

	if (slash == NULL || (size_t)(slash - rest) >= sizeof idtext ||
	    strlen(slash) >= sizeof action) {
		free(rest);
		api_error(ar, 404, "no such call; see docs/api.md");
		return;
	}
	memcpy(idtext, rest, (size_t)(slash - rest));
	idtext[slash - rest] = '\0';
	snprintf(action, sizeof action, "%s", slash);
	free(rest);
	slash = action;
	approve = strcmp(slash, "/approve") == 0;
	if ((id = api_id(idtext)) == 0 ||
	    (!approve && strcmp(slash, "/reject") != 0)) {
		api_error(ar, 404, "no such call; see docs/api.md");
		return;
	}
	json_object_foreach(ar->body, key, v)
	{
		if (strcmp(key, approve ? "external_ref" : "reason") != 0 &&
		    (approve || strcmp(key, "notify") != 0)) {
			api_error(ar, 400, "unknown key %s", key);
			return;
		}
	}
	if (body_string(ar, approve ? "external_ref" : "reason",
	                approve ? &ref : &reason) == -1)
		return;
	if (!approve && reason == NULL) {
		api_error(ar, 400, "reason: required");
		return;
	}
	/* The person is told unless "notify": false. */
	v = json_object_get(ar->body, "notify");
	if (!approve && v != NULL && !json_is_boolean(v)) {
		api_error(ar, 400, "notify: expected true or false");
		return;
	}
	notify = v == NULL || json_is_true(v);
	if (!join_in_scope(ar, id)) {
		api_error(ar, 404, "no join request %lld", (long long)id);
		return;
	}
	if (approve)
		rc = join_approve(ar->db, server_config(ar->srv), id, ref,
		                  ar->actor, &member, &cause);
	else
		rc = join_reject(ar->db, notify ? server_config(ar->srv) : NULL,
		                 id, reason, ar->actor, &cause);
	if (rc == -1)
		api_error_take(ar,
		               strncmp(cause, "no ", 3) == 0    ? 404
		               : strncmp(cause, "give", 4) == 0 ? 400
		                                                : 409,
		               cause);
	else {
		if (approve)
			env_kick(server_env(ar->srv));
		join_decided(ar, id, approve ? "approved" : "rejected", member);
	}
}

/* ---- routes ------------------------------------------------------------- */

void
api_route_members(struct evhttp_request *req, struct server *s,
                  const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, members_list},
	                                      {EVHTTP_REQ_POST, members_create},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_member(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, member_get},
	    {EVHTTP_REQ_PATCH, member_patch},
	    {EVHTTP_REQ_DELETE, member_delete},
	    {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_join_requests(struct evhttp_request *req, struct server *s,
                        const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, join_requests_list}, {0, NULL}};

	api_call(req, s, rest, m);
}

void
api_route_join_request(struct evhttp_request *req, struct server *s,
                       const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_POST, join_request_decide}, {0, NULL}};

	api_call(req, s, rest, m);
}
