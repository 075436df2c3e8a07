/*
 * The reply page of a meeting invitation, /m/{token}, and the meeting's
 * calendar file, /m/{token}.ics. The personal link's token (stored only as
 * its SHA-256) is the capability; the page is server-rendered with no
 * JavaScript, and its POST must come from our own origin when the browser
 * says where it comes from (web_same_origin), as for the survey and
 * unsubscribe pages.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "http.h"
#include "linktoken.h"
#include "meeting.h"
#include "meeting_ics.h"
#include "meeting_page.h"
#include "meeting_reply.h"
#include "server.h"
#include "template.h"
#include "web.h"
#include "xmalloc.h"

#define ICS_TAIL ".ics"

struct mtoken {
	int64_t meeting_id, member_id;
};

/* A derived link of (run, member): the run's campaign's meeting, until
 * MEETING_TOKEN_DAYS_AFTER days after it. */
static int
derived_find(struct db *db, const struct config *cfg, const char *token,
             int64_t now, struct mtoken *t)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT g.id, g.at + ?3 FROM runs r JOIN campaigns c ON"
	        " c.id = r.campaign_id JOIN meetings g ON g.id = c.meeting_id"
	        " JOIN members m ON m.id = ?2 AND m.erased_at IS NULL"
	        " WHERE r.id = ?1");
	int64_t run, member;
	int ok = 0;

	if (!linktoken_parse(cfg, token, LT_RSVP, &run, &member))
		return 0;
	db_bind_int(st, 1, run);
	db_bind_int(st, 2, member);
	db_bind_int(st, 3, MEETING_TOKEN_DAYS_AFTER * (int64_t)86400);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->meeting_id = sqlite3_column_int64(st, 0);
		t->member_id = member;
		ok = sqlite3_column_int64(st, 1) > now;
	}
	sqlite3_reset(st);
	return ok;
}

static int
mtoken_find(struct db *db, const struct config *cfg, const char *token,
            int64_t now, struct mtoken *t)
{
	sqlite3_stmt *st;

	if (derived_find(db, cfg, token, now, t))
		return 1;
	st = web_token_row(
	    db, token,
	    "SELECT t.meeting_id, t.member_id, t.expires_at FROM"
	    " meeting_tokens t JOIN members m ON m.id = t.member_id"
	    " WHERE t.hash = ?1 AND m.erased_at IS NULL");
	int ok;

	if (st == NULL)
		return 0;
	t->meeting_id = sqlite3_column_int64(st, 0);
	t->member_id = sqlite3_column_int64(st, 1);
	ok = sqlite3_column_int64(st, 2) > now;
	sqlite3_reset(st);
	return ok;
}

/* The member's answer so far: "yes", "no" or NULL. Caller frees. */
static char *
current_answer(struct db *db, const struct mtoken *t)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT answer FROM meeting_replies"
	                               " WHERE meeting_id = ? AND"
	                               " member_id = ?");
	char *a = NULL;

	db_bind_int(st, 1, t->meeting_id);
	db_bind_int(st, 2, t->member_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		a = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return a;
}

/* The escaped values the page shows. */
struct page_vars {
	char *practice, *when, *where, *link, *token, *answer;
};

static void
page_vars_free(struct page_vars *v)
{
	free(v->practice);
	free(v->when);
	free(v->where);
	free(v->link);
	free(v->token);
	free(v->answer);
}

static int
page_vars_load(struct db *db, const struct mtoken *t, const char *token,
               struct page_vars *v)
{
	struct meeting *m = meeting_get(db, t->meeting_id);
	sqlite3_stmt *st = db_stmt(db, "SELECT name, timezone FROM practices"
	                               " WHERE id = ?");
	char *when, *answer, *link;

	memset(v, 0, sizeof *v);
	if (m == NULL)
		return -1;
	db_bind_int(st, 1, m->practice_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		meeting_free(m);
		return -1;
	}
	v->practice = html_escape(db_col_text(st, 0));
	when = meeting_when(m->at, db_col_text(st, 1));
	sqlite3_reset(st);
	v->when = html_escape(when);
	v->where = html_escape(m->place);
	if (m->link != NULL) {
		link = html_escape(m->link);
		v->link = xasprintf("<p><strong>Join online:</strong> <a "
		                    "href=\"%s\">%s</a></p>",
		                    link, link);
		free(link);
	} else
		v->link = xstrdup("");
	v->token = html_escape(token);
	answer = current_answer(db, t);
	v->answer = xstrdup(answer == NULL ? ""
	                    : strcmp(answer, "yes") == 0
	                        ? "<p class=\"answer\">You told us you are "
	                          "coming.</p>"
	                        : "<p class=\"answer\">You told us you cannot "
	                          "come.</p>");
	free(answer);
	free(when);
	meeting_free(m);
	return 0;
}

static void
rsvp_page(struct evhttp_request *req, const struct config *cfg, struct db *db,
          const struct mtoken *t, const char *token)
{
	const char *why = meeting_reply_closed(db, t->meeting_id, time(NULL));
	struct page_vars v;
	char *main, *text;

	if (why != NULL) {
		text =
		    xasprintf("Thank you for following the link, but %s.", why);
		web_message(req, cfg, 200, "This meeting is closed", text);
		free(text);
		return;
	}
	if (page_vars_load(db, t, token, &v) == -1) {
		web_message(req, cfg, 404, "This link does not work",
		            "Please contact your GP practice.");
		return;
	}
	{
		const char *vars[] = {
		    "practice", v.practice, "when", v.when,  "where",
		    v.where,    "link",     v.link, "token", v.token,
		    "answer",   v.answer,   NULL};

		main = web_render(cfg, "meeting-reply", vars);
	}
	if (main == NULL)
		web_message(req, cfg, 500, "Sorry, there is a problem",
		            "Please try again later.");
	else
		web_reply(req, cfg, 200, "Can you come to the meeting?", main);
	free(main);
	page_vars_free(&v);
}

static int
reply_store(struct db *db, const struct mtoken *t, int yes, int64_t now,
            char **cause)
{
	if (db_begin(db) == -1) {
		*cause = xstrdup("busy");
		return -1;
	}
	if (meeting_reply_set(db, t->meeting_id, t->member_id, yes, "web", now,
	                      cause) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		if (*cause == NULL)
			*cause = xstrdup("busy");
		return -1;
	}
	return 0;
}

static void
rsvp_post(struct evhttp_request *req, struct server *srv,
          const struct mtoken *t)
{
	const struct config *cfg = server_config(srv);
	struct form *f = NULL;
	char *body, *cause = NULL;
	const char *answer;
	size_t len;
	int yes;

	body = http_body(req, &len);
	if (form_parse(body, len, 8, &f, &cause) == -1) {
		free(cause);
		free(body);
		web_message(req, cfg, 400, "Sorry, we could not read that",
		            "Please go back and try again.");
		return;
	}
	free(body);
	answer = form_get(f, "answer");
	yes = answer != NULL && strcmp(answer, "yes") == 0;
	if (answer == NULL || (!yes && strcmp(answer, "no") != 0))
		web_message(req, cfg, 400, "Sorry, we could not read that",
		            "Please go back and choose yes or no.");
	else if (web_same_origin(req, cfg) == -1)
		web_message(req, cfg, 403, "Sorry, we could not accept that",
		            "Please open the link in your invitation again.");
	else if (reply_store(server_db(srv), t, yes, time(NULL), &cause) == -1)
		web_message(req, cfg, strcmp(cause, "busy") == 0 ? 503 : 409,
		            "Sorry, we could not record that",
		            strcmp(cause, "busy") == 0
		                ? "Please try again in a few minutes."
		                : cause);
	else
		web_message(
		    req, cfg, 200, "Thank you",
		    yes ? "We have noted that you are coming. We look "
		          "forward to seeing you."
		        : "Thank you for letting us know you cannot come.");
	free(cause);
	form_free(f);
}

static void
ics_reply(struct evhttp_request *req, struct server *srv,
          const struct mtoken *t)
{
	const struct config *cfg = server_config(srv);
	char *ics = meeting_ics(server_db(srv), t->meeting_id,
	                        config_str(cfg, CFG_PUBLIC_URL));

	if (ics == NULL) {
		web_message(req, cfg, 410, "This meeting was cancelled",
		            "There is nothing to add to your calendar.");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Disposition",
	                  "attachment; filename=\"meeting.ics\"");
	http_reply(req, 200, "text/calendar; charset=utf-8", ics, strlen(ics));
	free(ics);
}

void
meeting_rsvp_http(struct evhttp_request *req, struct server *srv,
                  const char *rest)
{
	const struct config *cfg = server_config(srv);
	size_t len = strlen(rest), tail = strlen(ICS_TAIL);
	int ics = len > tail && strcmp(rest + len - tail, ICS_TAIL) == 0;
	char *copy = xstrndup(rest, ics ? len - tail : len);
	const char *token = web_token(copy);
	struct mtoken t = {0, 0};

	if (token == NULL ||
	    !mtoken_find(server_db(srv), cfg, token, time(NULL), &t)) {
		web_message(
		    req, cfg, 404, "This link does not work",
		    "Part of the link may be missing, or the meeting was "
		    "long ago. Please check that you used the whole "
		    "link, or contact your GP practice.");
	} else if (ics && evhttp_request_get_command(req) == EVHTTP_REQ_GET)
		ics_reply(req, srv, &t);
	else if (ics)
		http_reply_text(req, 405, "method not allowed");
	else if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
		rsvp_post(req, srv, &t);
	else
		rsvp_page(req, cfg, server_db(srv), &t, token);
	free(copy);
}
