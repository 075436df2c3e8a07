/*
 * Unsubscribe links. An opt-out must always work, so an unsubscribe token
 * does not expire; it can be used any number of times (each use is
 * idempotent). A link is derived for (run, member) (linktoken.h); one sent
 * before links were derived is a stored token, whose used_at records the
 * first use.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consent.h"
#include "form.h"
#include "http.h"
#include "linktoken.h"
#include "log.h"
#include "multipart.h"
#include "server.h"
#include "template.h"
#include "unsubscribe.h"
#include "web.h"
#include "xmalloc.h"

struct utoken {
	int64_t id, member_id; /* id: the stored token's, 0 if derived */
	int64_t run_id;        /* a derived token's */
	char *practice;
};

/* A derived link: its member, if not erased. */
static int
derived_find(struct db *db, const struct config *cfg, const char *token,
             struct utoken *t)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT p.name FROM members m JOIN"
	                               " practices p ON p.id = m.practice_id"
	                               " WHERE m.id = ? AND m.erased_at IS"
	                               " NULL");
	int found = 0;

	if (!linktoken_parse(cfg, token, LT_UNSUBSCRIBE, &t->run_id,
	                     &t->member_id))
		return 0;
	db_bind_int(st, 1, t->member_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->id = 0;
		t->practice = xstrdup(db_col_text(st, 0));
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

static int
utoken_find(struct db *db, const struct config *cfg, const char *token,
            struct utoken *t)
{
	sqlite3_stmt *st;

	if (derived_find(db, cfg, token, t))
		return 1;
	st = web_token_row(db, token,
	                   "SELECT t.id, t.member_id, p.name FROM tokens t"
	                   " JOIN members m ON m.id = t.member_id"
	                   " JOIN practices p ON p.id = m.practice_id"
	                   " WHERE t.hash=?1 AND t.kind='unsubscribe'");

	if (st == NULL)
		return 0;
	t->id = sqlite3_column_int64(st, 0);
	t->member_id = sqlite3_column_int64(st, 1);
	t->practice = xstrdup(db_col_text(st, 2));
	sqlite3_reset(st);
	return 1;
}

/* The channel of the newest message that carried this link; "email". */
static char *
utoken_channel(struct db *db, const struct utoken *t, const char *token)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT channel FROM outbox WHERE ?2 = 0 AND"
	                " unsubscribe_token = ?1 OR ?2 <> 0 AND run_id = ?2 AND"
	                " member_id = ?3 ORDER BY id DESC LIMIT 1");
	char *ch = NULL;

	db_bind_text(st, 1, token);
	db_bind_int(st, 2, t->id == 0 ? t->run_id : 0);
	db_bind_int(st, 3, t->member_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		ch = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return ch != NULL ? ch : xstrdup("email");
}

/* Opt out of email and/or SMS in one transaction; -2 if the write lock is
 * another's. */
static int
optout(struct db *db, const struct utoken *t, int email, int sms,
       const char *how)
{
	sqlite3_stmt *st;
	int64_t now = time(NULL);
	int rc;

	if ((rc = db_try_begin(db)) != 0)
		return rc == 1 ? -2 : -1;
	if (member_optout(db, t->member_id,
	                  (email ? CONSENT_EMAIL : 0) | (sms ? CONSENT_SMS : 0),
	                  now, "member", how) == -1)
		goto fail;
	st = db_stmt(db, "UPDATE tokens SET used_at=coalesce(used_at, ?2)"
	                 " WHERE id=?1");
	db_bind_int(st, 1, t->id);
	db_bind_int(st, 2, now);
	if (db_done(db, st) == -1 || db_commit(db) == -1)
		goto fail;
	log_info("event=unsubscribe member=%lld email=%d sms=%d how=%s",
	         (long long)t->member_id, email, sms, how);
	return 0;
fail:
	db_rollback(db);
	return -1;
}

static void
choose_page(struct evhttp_request *req, const struct config *cfg,
            const struct utoken *t, const char *token, const char *channel)
{
	char *practice = html_escape(t->practice), *tok = html_escape(token);
	const char *vars[] = {"practice",
	                      practice,
	                      "token",
	                      tok,
	                      "checked_email",
	                      strcmp(channel, "email") == 0 ? " checked" : "",
	                      "checked_sms",
	                      strcmp(channel, "sms") == 0 ? " checked" : "",
	                      "checked_both",
	                      strcmp(channel, "both") == 0 ? " checked" : "",
	                      NULL};
	char *main = web_render(cfg, "unsubscribe", vars);

	if (main == NULL)
		web_message(req, cfg, 500, "Sorry, there is a problem",
		            "Please try again later.");
	else
		web_reply(req, cfg, 200, "Stop messages from the patient group",
		          main);
	free(main);
	free(practice);
	free(tok);
}

static void
done_page(struct evhttp_request *req, const struct config *cfg,
          const struct utoken *t, int email, int sms)
{
	char *text = xasprintf(
	    "You will get no more %s from the patient group at %s. This does "
	    "not affect your care. If you change your mind, please contact the "
	    "practice.",
	    email && sms ? "emails or text messages"
	    : email      ? "emails"
	                 : "text messages",
	    t->practice);

	web_message(req, cfg, 200, "You have been unsubscribed", text);
	free(text);
}

/*
 * The POSTed form: urlencoded (the unsubscribe page), or multipart/form-data,
 * which RFC 8058 section 3.1 recommends for the one-click POST.
 */
static int
unsubscribe_form(struct evhttp_request *req, const char *body, size_t len,
                 struct form **f, char **cause)
{
	static const struct multipart_limits lim = {16, 1024, 0, 0, 0};
	const char *ctype = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	size_t files = 0;

	if (ctype != NULL && multipart_is_form_data(ctype))
		return multipart_parse(ctype, body, len, &lim, f, &files,
		                       cause);
	return form_parse(body, len, 16, f, cause);
}

static void
unsubscribe_post(struct evhttp_request *req, struct server *srv,
                 const struct utoken *t)
{
	const struct config *cfg = server_config(srv);
	struct form *f = NULL;
	char *body, *cause = NULL;
	const char *one, *ch;
	size_t len;
	int email, sms, rc = 0;

	body = http_body(req, &len);
	if (unsubscribe_form(req, body, len, &f, &cause) == -1) {
		free(cause);
		free(body);
		web_message(req, cfg, 400, "Sorry, we could not read that",
		            "Please go back and try again.");
		return;
	}
	free(body);
	one = form_get(f, "List-Unsubscribe");
	if (one != NULL && strcmp(one, "One-Click") == 0) {
		/* RFC 8058: the mail provider's POST, answered directly. */
		rc = optout(server_db(srv), t, 1, 0, "one-click");
		if (rc == -2 && http_retry(req))
			; /* run again once the write lock is free */
		else if (rc < 0)
			http_reply_text(req, 503, "try again later");
		else
			http_reply_text(req, 200, "unsubscribed");
		form_free(f);
		return;
	}
	ch = form_get(f, "channel");
	email =
	    ch != NULL && (strcmp(ch, "email") == 0 || strcmp(ch, "both") == 0);
	sms = ch != NULL && (strcmp(ch, "sms") == 0 || strcmp(ch, "both") == 0);
	form_free(f);
	if (!email && !sms)
		web_message(req, cfg, 400, "Sorry, we could not read that",
		            "Please go back and choose email, text messages or "
		            "both.");
	else if (web_same_origin(req, cfg) == -1)
		web_message(req, cfg, 403, "Sorry, we could not accept that",
		            "Please open the unsubscribe link again.");
	else if ((rc = optout(server_db(srv), t, email, sms, "link")) == -2 &&
	         http_retry(req))
		; /* run again once the write lock is free */
	else if (rc < 0)
		web_message(req, cfg, 503, "Sorry, there is a problem",
		            "Please try again in a few minutes.");
	else
		done_page(req, cfg, t, email, sms);
}

void
unsubscribe_http(struct evhttp_request *req, struct server *srv,
                 const char *rest)
{
	const struct config *cfg = server_config(srv);
	const char *token = web_token(rest);
	struct utoken t = {0};
	char *channel;

	if (token == NULL || !utoken_find(server_db(srv), cfg, token, &t)) {
		web_message(
		    req, cfg, 404, "This link does not work",
		    "Part of the link may be missing. Please check that "
		    "you used the whole link, or contact your GP practice "
		    "to stop messages from the patient group.");
		return;
	}
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
		unsubscribe_post(req, srv, &t);
	else {
		channel = utoken_channel(server_db(srv), &t, token);
		choose_page(req, cfg, &t, token, channel);
		free(channel);
	}
	free(t.practice);
}
