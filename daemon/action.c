/* The action plan ("you said, we did") and GET /practice/{code}/actions. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "jsonx.h"
#include "action.h"
#include "minutes_page.h"
#include "htmlout.h"
#include "http.h"
#include "log.h"
#include "practice.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_TEXT 1000

static const char *const statuses[] = {"agreed", "in-progress", "done",
                                       "dropped", NULL};

int
action_status_valid(const char *status)
{
	size_t i;

	for (i = 0; statuses[i] != NULL; i++)
		if (strcmp(statuses[i], status) == 0)
			return 1;
	return 0;
}

/* A text field: present, not blank, one line, not too long. */
static int
text_ok(const char *name, const char *v, int required, char **cause)
{
	if (v == NULL && !required)
		return 0;
	if (v == NULL || v[strspn(v, " \t")] == '\0')
		*cause = xasprintf("%s is required", name);
	else if (strlen(v) > MAX_TEXT)
		*cause =
		    xasprintf("%s is longer than %d bytes", name, MAX_TEXT);
	else if (util_has_crlf(v) || !util_utf8_valid(v, strlen(v)))
		*cause = xasprintf("%s must be one line of UTF-8 text", name);
	else
		return 0;
	return -1;
}

static int
survey_exists(struct db *db, const char *slug)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM surveys WHERE slug = ?");

	db_bind_text(st, 1, slug);
	return db_exists(db, st);
}

static int
action_check(struct db *db, const struct action_new *a, char **cause)
{
	int64_t t;

	if (text_ok("area", a->area, 1, cause) == -1 ||
	    text_ok("title", a->title, 1, cause) == -1 ||
	    text_ok("owner", a->owner, 0, cause) == -1)
		return -1;
	if (a->due != NULL &&
	    (strlen(a->due) != 10 || util_parse_time(a->due, &t) == -1)) {
		*cause = xasprintf("due date %s is not YYYY-MM-DD", a->due);
		return -1;
	}
	if (a->from_survey != NULL && !survey_exists(db, a->from_survey)) {
		*cause = xasprintf("no survey %s", a->from_survey);
		return -1;
	}
	return 0;
}

/* 1 if meeting id is one of the practice's. */
static int
meeting_at(struct db *db, int64_t id, int64_t practice_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM meetings WHERE id = ?"
	                               " AND practice_id = ?");
	int rv;

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, practice_id);
	rv = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return rv;
}

int
action_add(struct db *db, const struct action_new *a, int64_t *id, char **cause)
{
	struct practice *p;
	sqlite3_stmt *st;
	int64_t now = time(NULL);

	if (action_check(db, a, cause) == -1)
		return -1;
	if ((p = practice_find(db, a->practice)) == NULL) {
		*cause = xasprintf("no practice %s", a->practice);
		return -1;
	}
	if (a->meeting_id != 0 && !meeting_at(db, a->meeting_id, p->id)) {
		*cause = xasprintf("no meeting %lld at practice %s",
		                   (long long)a->meeting_id, p->code);
		practice_free(p);
		return -1;
	}
	st = db_stmt(db, "INSERT INTO actions (practice_id, area, title, owner,"
	                 " due, from_survey, created_at, updated_at,"
	                 " meeting_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
	                 " nullif(?, 0))");
	db_bind_int(st, 1, p->id);
	db_bind_text(st, 2, a->area);
	db_bind_text(st, 3, a->title);
	db_bind_text(st, 4, a->owner);
	db_bind_text(st, 5, a->due);
	db_bind_text(st, 6, a->from_survey);
	db_bind_int(st, 7, now);
	db_bind_int(st, 8, now);
	db_bind_int(st, 9, a->meeting_id);
	practice_free(p);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot add the action: %s", db_errmsg(db));
		return -1;
	}
	*id = db_last_id(db);
	db_audit(db, NULL, "action.add", "action", NULL);
	return 0;
}

int
action_update(struct db *db, int64_t id, const char *status, const char *note,
              char **cause)
{
	sqlite3_stmt *st;
	int64_t now = time(NULL);

	if (!action_status_valid(status)) {
		*cause = xasprintf("status %s is not agreed, in-progress, done "
		                   "or dropped",
		                   status);
		return -1;
	}
	if (text_ok("note", note, 0, cause) == -1)
		return -1;
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	st = db_stmt(db, "UPDATE actions SET status = ?, updated_at = ?"
	                 " WHERE id = ?");
	db_bind_text(st, 1, status);
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no action %lld", (long long)id);
		db_rollback(db);
		return -1;
	}
	st =
	    db_stmt(db, "INSERT INTO action_notes (action_id, at, status, note)"
	                " VALUES (?, ?, ?, ?)");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, status);
	db_bind_text(st, 4, note);
	if (db_done(db, st) == -1 ||
	    db_audit(db, NULL, "action.update", "action", status) == -1 ||
	    db_commit(db) == -1) {
		*cause = xasprintf("cannot update: %s", db_errmsg(db));
		db_rollback(db);
		return -1;
	}
	return 0;
}

int
action_set_outcome(struct db *db, int64_t id, const char *outcome,
                   const char *benefit, char **cause)
{
	sqlite3_stmt *st;

	if (text_ok("outcome", outcome, 0, cause) == -1 ||
	    text_ok("benefit", benefit, 0, cause) == -1)
		return -1;
	st = db_stmt(db, "UPDATE actions SET outcome = coalesce(?1, outcome),"
	                 " benefit = coalesce(?2, benefit), updated_at = ?3"
	                 " WHERE id = ?4");
	db_bind_text(st, 1, outcome);
	db_bind_text(st, 2, benefit);
	db_bind_int(st, 3, time(NULL));
	db_bind_int(st, 4, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no action %lld", (long long)id);
		return -1;
	}
	db_audit(db, NULL, "action.outcome", "action", NULL);
	return 0;
}

static json_t *
jtext(sqlite3_stmt *st, int col)
{
	const char *s = db_col_text(st, col);

	return s != NULL ? json_string(s) : json_null();
}

static json_t *
jtime(int64_t t)
{
	char buf[21];

	return json_string(util_format_time(t, buf));
}

/* The notes of action id, oldest first. */
static json_t *
notes_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT at, status, note FROM"
	                               " action_notes WHERE action_id = ?"
	                               " ORDER BY at, id");
	json_t *arr = json_array(), *n;

	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		n = json_object();
		jsonx_set(n, "at", jtime(sqlite3_column_int64(st, 0)));
		jsonx_set(n, "status", jtext(st, 1));
		jsonx_set(n, "note", jtext(st, 2));
		json_array_append_new(arr, n);
	}
	sqlite3_reset(st);
	return arr;
}

json_t *
action_list_json(struct db *db, const char *practice, int public)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT a.id, p.code, a.area, a.title, a.owner, a.due,"
	        " a.status, a.from_survey, a.created_at, a.updated_at,"
	        " a.outcome, a.benefit, a.meeting_id"
	        " FROM actions a JOIN practices p ON p.id = a.practice_id"
	        " WHERE ?1 IS NULL OR p.code = ?1 ORDER BY a.id");
	json_t *arr = json_array(), *o;
	size_t i;

	db_bind_text(st, 1, practice);
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		jsonx_set(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		jsonx_set(o, "practice", jtext(st, 1));
		jsonx_set(o, "area", jtext(st, 2));
		jsonx_set(o, "title", jtext(st, 3));
		if (!public)
			jsonx_set(o, "owner", jtext(st, 4));
		jsonx_set(o, "due", jtext(st, 5));
		jsonx_set(o, "status", jtext(st, 6));
		jsonx_set(o, "from_survey", jtext(st, 7));
		jsonx_set(o, "created_at", jtime(sqlite3_column_int64(st, 8)));
		jsonx_set(o, "updated_at", jtime(sqlite3_column_int64(st, 9)));
		jsonx_set(o, "outcome", jtext(st, 10));
		jsonx_set(o, "benefit", jtext(st, 11));
		if (!public)
			jsonx_set(
			    o, "meeting",
			    sqlite3_column_type(st, 12) == SQLITE_NULL
			        ? json_null()
			        : json_integer(sqlite3_column_int64(st, 12)));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
	/* Notes after the list: db_stmt would reset the outer statement. */
	json_array_foreach(arr, i, o) jsonx_set(
	    o, "notes",
	    notes_json(db, json_integer_value(json_object_get(o, "id"))));
	return arr;
}

/* ---- the public page ---------------------------------------------------- */

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The newest note of an action, with its date, or "". Caller frees. */
static char *
latest_note(const json_t *a)
{
	const json_t *notes = json_object_get(a, "notes"), *n;
	size_t i = json_array_size(notes);

	while (i-- > 0) {
		n = json_array_get(notes, i);
		if (json_is_string(json_object_get(n, "note")))
			return xasprintf("%.10s: %s", jstr(n, "at"),
			                 jstr(n, "note"));
	}
	return xstrdup("");
}

static char *
actions_page(const struct practice *p, const json_t *list, size_t *len)
{
	static const char *const heads[] = {"You said (area)", "We are doing",
	                                    "Status", "Due", "Latest progress"};
	struct html *h;
	const json_t *a;
	const char *cells[5];
	char *title = xasprintf("%s: our action plan", p->name), *note;
	size_t i;

	h = html_new(title);
	html_elem(h, "p",
	          "What our Patient Participation Group asked for, and "
	          "what the practice is doing about it.");
	html_table_begin(h,
	                 "Actions agreed with our Patient Participation "
	                 "Group",
	                 heads, 5);
	json_array_foreach(list, i, a)
	{
		if (strcmp(jstr(a, "status"), "proposed") == 0)
			continue;
		note = latest_note(a);
		cells[0] = jstr(a, "area");
		cells[1] = jstr(a, "title");
		cells[2] = jstr(a, "status");
		cells[3] = jstr(a, "due");
		cells[4] = note;
		html_table_row(h, cells, 5);
		free(note);
	}
	html_table_end(h);
	free(title);
	return html_finish(h, len);
}

/* Does the client want JSON (Accept or ?format=json)? */
static int
wants_json(struct evhttp_request *req)
{
	const char *accept =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	const char *q =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq args;
	const char *fmt;
	int json = 0;

	if (q != NULL && evhttp_parse_query_str(q, &args) == 0) {
		fmt = evhttp_find_header(&args, "format");
		json = fmt != NULL && strcmp(fmt, "json") == 0;
		evhttp_clear_headers(&args);
	}
	if (accept != NULL && strstr(accept, "application/json") != NULL &&
	    strstr(accept, "text/html") == NULL)
		json = 1;
	return json;
}

/* Only proposed actions are internal: the rest are public. */
static json_t *
public_actions(struct db *db, const char *code)
{
	json_t *all = action_list_json(db, code, 1), *out = json_array(), *a;
	size_t i;

	json_array_foreach(all, i,
	                   a) if (strcmp(jstr(a, "status"), "proposed") != 0)
	    json_array_append(out, a);
	json_decref(all);
	return out;
}

void
action_http(struct evhttp_request *req, struct server *s, const char *rest)
{
	struct db *db = server_db(s);
	const char *slash = strchr(rest, '/');
	struct practice *p = NULL;
	char *code, *page;
	json_t *list;
	size_t len;

	if (slash != NULL && slash != rest &&
	    strncmp(slash, "/meetings", 9) == 0) {
		code = xstrndup(rest, (size_t)(slash - rest));
		minutes_http(req, s, code, slash);
		free(code);
		return;
	}
	if (slash == NULL || strcmp(slash, "/actions") != 0 || slash == rest) {
		http_reply_text(req, 404, "not found");
		return;
	}
	code = xstrndup(rest, (size_t)(slash - rest));
	if ((p = practice_find(db, code)) == NULL) {
		http_reply_text(req, 404, "not found");
		free(code);
		return;
	}
	list = public_actions(db, p->code);
	if (wants_json(req)) {
		http_reply_json(req, 200,
		                json_pack("{s:s, s:s, s:o}", "practice",
		                          p->code, "name", p->name, "actions",
		                          list));
	} else {
		page = actions_page(p, list, &len);
		http_reply(req, 200, "text/html; charset=utf-8", page, len);
		free(page);
		json_decref(list);
	}
	practice_free(p);
	free(code);
}
