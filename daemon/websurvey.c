/*
 * The web survey. Server-rendered, no JavaScript: every input has a label,
 * radio groups a fieldset and legend, errors are listed at the top (linking
 * to the fields) and beside each field. show_if cannot hide questions
 * without script, so a conditional question says when to answer it, and
 * the server drops its answer when it does not apply.
 *
 * The token in the URL is the capability. A POST must also come from our
 * own origin when the browser says where it comes from (see
 * web_same_origin); "Origin: null" is allowed because our pages are served
 * with Referrer-Policy: no-referrer, which makes browsers send it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "http.h"
#include "log.h"
#include "response.h"
#include "server.h"
#include "survey.h"
#include "template.h"
#include "web.h"
#include "websurvey.h"
#include "xmalloc.h"

#define MAX_FIELDS 512

/* A survey token and what it leads to. */
struct stoken {
	int64_t id, member_id, campaign_id, survey_id, practice_id;
	int64_t expires_at, used_at;
};

/* One question's submitted value and error, for re-rendering. */
struct field {
	char *raw;         /* the form's values joined by ',', or NULL */
	const char *error; /* cause to show, or NULL */
};

static int
token_find(struct db *db, const char *token, struct stoken *t)
{
	sqlite3_stmt *st = web_token_row(
	    db, token,
	    "SELECT t.id, coalesce(t.member_id, 0),"
	    " coalesce(t.campaign_id, 0),"
	    " coalesce(t.survey_id, c.survey_id, 0),"
	    " coalesce(m.practice_id, c.practice_id, 0),"
	    " coalesce(t.expires_at, 0), coalesce(t.used_at, 0)"
	    " FROM tokens t LEFT JOIN campaigns c ON c.id = t.campaign_id"
	    " LEFT JOIN members m ON m.id = t.member_id"
	    " WHERE t.hash=?1 AND t.kind='survey'");

	if (st == NULL)
		return 0;
	t->id = sqlite3_column_int64(st, 0);
	t->member_id = sqlite3_column_int64(st, 1);
	t->campaign_id = sqlite3_column_int64(st, 2);
	t->survey_id = sqlite3_column_int64(st, 3);
	t->practice_id = sqlite3_column_int64(st, 4);
	t->expires_at = sqlite3_column_int64(st, 5);
	t->used_at = sqlite3_column_int64(st, 6);
	sqlite3_reset(st);
	return 1;
}

static void
not_found(struct evhttp_request *req, const struct config *cfg)
{
	web_message(req, cfg, 404, "This survey link does not work",
	            "The link may have expired, or part of it may be missing. "
	            "If you were sent it by text or email, please check that "
	            "you used the whole link. You can contact your GP practice "
	            "if you still want to give your views.");
}

static void
already_answered(struct evhttp_request *req, const struct config *cfg)
{
	web_message(req, cfg, 200, "You have already answered this survey",
	            "Thank you: we have your answers. Each survey link can be "
	            "used once.");
}

/* 1 if option number n (1-based) is among the comma-separated raw value. */
static int
picked(const char *raw, size_t n)
{
	char *copy, *tok, *save = NULL;
	int yes = 0;

	if (raw == NULL)
		return 0;
	copy = xstrdup(raw);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && !yes;
	     tok = strtok_r(NULL, ",", &save))
		yes = strtoul(tok, NULL, 10) == n;
	free(copy);
	return yes;
}

/* "Answer this only if you answered "X" to "Q"." for a show_if question. */
static void
show_if_hint(FILE *fp, const struct survey *s, const struct question *q)
{
	const struct question *t = survey_question(s, q->show_if_key);
	unsigned long n;
	size_t i;

	if (t == NULL)
		return;
	fputs("<p class=\"hint\">Answer this only if you answered ", fp);
	for (i = 0; i < q->nshow_if_values; i++) {
		n = strtoul(q->show_if_values[i], NULL, 10);
		fputs(i == 0 ? "" : " or ", fp);
		fputs("&ldquo;", fp);
		web_esc(fp, t->noptions > 0 && n >= 1 && n <= t->noptions
		                ? t->options[n - 1]
		                : q->show_if_values[i]);
		fputs("&rdquo;", fp);
	}
	fputs(" to &ldquo;", fp);
	web_esc(fp, t->text);
	fputs("&rdquo;.</p>", fp);
}

static void
field_error(FILE *fp, const struct question *q, const struct field *f)
{
	if (f->error == NULL)
		return;
	fputs("<p class=\"error-message\" id=\"", fp);
	web_esc(fp, q->key);
	fputs("-error\"><span class=\"visually-hidden\">Error: </span>", fp);
	web_esc(fp, f->error);
	fputs("</p>", fp);
}

/* One radio or checkbox with its label. */
static void
choice_input(FILE *fp, const struct question *q, long n, const char *label,
             int checked)
{
	const char *type = q->multiple ? "checkbox" : "radio";

	fprintf(fp,
	        "<div class=\"choice\"><input class=\"choice-input\" "
	        "type=\"%s\" id=\"",
	        type);
	web_esc(fp, q->key);
	fprintf(fp, "-%ld\" name=\"", n);
	web_esc(fp, q->key);
	fprintf(fp, "\" value=\"%ld\"%s><label class=\"choice-label\" for=\"",
	        n, checked ? " checked" : "");
	web_esc(fp, q->key);
	fprintf(fp, "-%ld\">", n);
	web_esc(fp, label);
	fputs("</label></div>", fp);
}

/* 1 if raw is exactly the number v. */
static int
is_number(const char *raw, long v)
{
	char *end;

	return raw != NULL && *raw != '\0' && strtol(raw, &end, 10) == v &&
	       *end == '\0';
}

static void
scale_choices(FILE *fp, const struct question *q, const struct field *f)
{
	const char *extra;
	char label[256];
	long v;

	for (v = q->min; v <= q->max; v++) {
		extra = v == q->min   ? q->min_label
		        : v == q->max ? q->max_label
		                      : NULL;
		if (extra != NULL)
			snprintf(label, sizeof label, "%ld \xe2\x80\x93 %s", v,
			         extra);
		else
			snprintf(label, sizeof label, "%ld", v);
		choice_input(fp, q, v, label, is_number(f->raw, v));
	}
}

static void
choices(FILE *fp, const struct question *q, const struct field *f)
{
	size_t i;

	fputs("<div class=\"choices\">", fp);
	if (q->type == Q_SCALE)
		scale_choices(fp, q, f);
	else
		for (i = 0; i < q->noptions; i++)
			choice_input(fp, q, (long)i + 1, q->options[i],
			             picked(f->raw, i + 1));
	fputs("</div>", fp);
}

static void
heading(FILE *fp, const struct question *q, int legend)
{
	if (legend)
		fputs("<legend class=\"label\">", fp);
	else {
		fputs("<label class=\"label\" for=\"", fp);
		web_esc(fp, q->key);
		fputs("\">", fp);
	}
	web_esc(fp, q->text);
	if (!q->required)
		fputs(" <span class=\"optional\">(optional)</span>", fp);
	fputs(legend ? "</legend>" : "</label>", fp);
}

static void
text_input(FILE *fp, const struct question *q, const struct field *f)
{
	if (q->type == Q_TEXT) {
		fputs("<textarea class=\"input\" rows=\"5\" id=\"", fp);
		web_esc(fp, q->key);
		fputs("\" name=\"", fp);
		web_esc(fp, q->key);
		fprintf(fp, "\" maxlength=\"%d\">", q->max_length);
		web_esc(fp, f->raw);
		fputs("</textarea>", fp);
		return;
	}
	fputs("<p class=\"hint\">", fp);
	fprintf(fp, "A whole number from %ld to %ld.</p>", q->min, q->max);
	fputs("<input class=\"input input-short\" type=\"text\" "
	      "inputmode=\"numeric\" id=\"",
	      fp);
	web_esc(fp, q->key);
	fputs("\" name=\"", fp);
	web_esc(fp, q->key);
	fputs("\" value=\"", fp);
	web_esc(fp, f->raw);
	fputs("\">", fp);
}

static void
question_html(FILE *fp, const struct survey *s, const struct question *q,
              const struct field *f)
{
	int group = q->type != Q_TEXT && q->type != Q_NUMBER;

	fprintf(fp, "<div class=\"field%s\">",
	        f->error ? " field-with-error" : "");
	if (group)
		fputs("<fieldset class=\"fieldset\">", fp);
	heading(fp, q, group);
	if (q->show_if_key != NULL)
		show_if_hint(fp, s, q);
	if (group && q->multiple)
		fputs("<p class=\"hint\">Choose all that apply.</p>", fp);
	field_error(fp, q, f);
	if (group)
		choices(fp, q, f);
	else
		text_input(fp, q, f);
	fputs(group ? "</fieldset></div>" : "</div>", fp);
}

/* The id of a question's first input: where the error summary links. */
static void
first_input(FILE *fp, const struct question *q)
{
	web_esc(fp, q->key);
	if (q->type == Q_SCALE)
		fprintf(fp, "-%ld", q->min);
	else if (q->type != Q_TEXT && q->type != Q_NUMBER)
		fputs("-1", fp);
}

static void
error_summary(FILE *fp, const struct survey *s, const struct field *fs)
{
	size_t i;
	int any = 0;

	for (i = 0; i < s->nquestions; i++)
		any |= fs[i].error != NULL;
	if (!any)
		return;
	fputs("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\">"
	      "<h2 class=\"error-summary-title\">There is a problem</h2>"
	      "<ul class=\"error-summary-list\">",
	      fp);
	for (i = 0; i < s->nquestions; i++) {
		if (fs[i].error == NULL)
			continue;
		fputs("<li><a href=\"#", fp);
		first_input(fp, &s->questions[i]);
		fputs("\">", fp);
		web_esc(fp, s->questions[i].text);
		fputs(" \xe2\x80\x93 ",
		      fp); /* an en dash: "...service? – Please..." */
		web_esc(fp, fs[i].error);
		fputs("</a></li>", fp);
	}
	fputs("</ul></div>", fp);
}

static void
survey_page(struct evhttp_request *req, const struct config *cfg,
            const struct survey *s, const char *token, const struct field *fs)
{
	char *qs = NULL, *errs = NULL, *title, *intro, *action, *main;
	size_t n;
	FILE *fp = open_memstream(&qs, &n);
	size_t i;

	for (i = 0; i < s->nquestions; i++)
		question_html(fp, s, &s->questions[i], &fs[i]);
	fclose(fp);
	fp = open_memstream(&errs, &n);
	error_summary(fp, s, fs);
	fclose(fp);
	title = html_escape(s->title);
	intro = html_escape(s->introduction ? s->introduction : "");
	action = html_escape(token);
	const char *vars[] = {"title",  title,  "intro",     intro,
	                      "errors", errs,   "questions", qs,
	                      "token",  action, NULL};
	if ((main = web_render(cfg, "survey", vars)) == NULL) {
		web_message(req, cfg, 500, "Sorry, there is a problem",
		            "Please try again later.");
	} else {
		web_reply(req, cfg, 200, s->title, main);
		free(main);
	}
	free(qs);
	free(errs);
	free(title);
	free(intro);
	free(action);
}

/* The form's values for key joined by ','; NULL if none. Caller frees. */
static char *
form_joined(const struct form *f, const char *key)
{
	char *out = NULL, *t;
	size_t i;

	for (i = 0; i < form_count(f); i++) {
		if (strcmp(form_key(f, i), key) != 0)
			continue;
		if (out == NULL)
			out = xstrdup(form_value(f, i));
		else {
			t = xasprintf("%s,%s", out, form_value(f, i));
			free(out);
			out = t;
		}
	}
	return out;
}

/*
 * Validate every shown question in order; valid answers go to a, causes to
 * errs (to free). Returns the number of errors.
 */
static int
validate(const struct survey *s, const struct form *form, struct field *fs,
         char **errs, struct answer_set *a)
{
	const struct question *q;
	char *norm, *cause;
	size_t i;
	int nerr = 0;

	for (i = 0; i < s->nquestions; i++) {
		q = &s->questions[i];
		fs[i].raw = form_joined(form, q->key);
		if (!survey_shown(s, q, answer_set_lookup, a))
			continue;
		if (survey_answer_web(q, fs[i].raw, &norm, &cause) == -1) {
			fs[i].error = errs[i] = cause;
			nerr++;
		} else if (norm != NULL) {
			answer_set_put(a, q->key, norm);
			free(norm);
		}
	}
	return nerr;
}

static int
store_response(struct db *db, const struct survey *s, const struct stoken *t,
               struct answer_set *a, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO responses (survey_id, campaign_id, practice_id,"
	        " member_id, channel, started_at, completed_at, age_band, sex,"
	        " ethnicity) SELECT ?1, nullif(?2, 0), ?3,"
	        " CASE WHEN ?5 THEN NULL ELSE nullif(?4, 0) END, 'web', ?6, ?6,"
	        " m.age_band, m.sex, m.ethnicity FROM (SELECT 1)"
	        " LEFT JOIN members m ON m.id = ?4");
	int64_t rid;
	const char *v;
	size_t i;

	db_bind_int(st, 1, t->survey_id);
	db_bind_int(st, 2, t->campaign_id);
	db_bind_int(st, 3, t->practice_id);
	db_bind_int(st, 4, t->member_id);
	db_bind_int(st, 5, s->anonymous);
	db_bind_int(st, 6, now);
	if (db_done(db, st) == -1)
		return -1;
	rid = db_last_id(db);
	for (i = 0; i < s->nquestions; i++)
		if ((v = answer_set_lookup(a, s->questions[i].key)) != NULL &&
		    response_add_answer(db, rid, &s->questions[i], v) == -1)
			return -1;
	return 0;
}

/* One transaction: the token is used, the response and answers stored.
 * 1 stored, 0 the token was used meanwhile, -1 error, -2 the write lock
 * is another's. */
static int
submit(struct db *db, const struct survey *s, const struct stoken *t,
       struct answer_set *a)
{
	int64_t now = time(NULL);
	sqlite3_stmt *st;
	int used, rc;

	if ((rc = db_try_begin(db)) != 0)
		return rc == 1 ? -2 : -1;
	st = db_stmt(db, "UPDATE tokens SET used_at=?2 WHERE id=?1"
	                 " AND used_at IS NULL");
	db_bind_int(st, 1, t->id);
	db_bind_int(st, 2, now);
	if (db_done(db, st) == -1)
		goto fail;
	used = db_changes(db) == 0;
	if (!used && store_response(db, s, t, a, now) == -1)
		goto fail;
	if (db_commit(db) == -1)
		goto fail;
	return used ? 0 : 1;
fail:
	db_rollback(db);
	return -1;
}

static void
survey_post(struct evhttp_request *req, struct server *srv,
            const struct survey *s, const struct stoken *t, const char *token)
{
	const struct config *cfg = server_config(srv);
	struct field *fs = xcalloc(s->nquestions + 1, sizeof *fs);
	char **errs = xcalloc(s->nquestions + 1, sizeof *errs);
	struct answer_set *a = answer_set_new();
	struct form *form = NULL;
	char *body, *cause = NULL;
	size_t len, i;
	int rv;

	body = http_body(req, &len);
	if (form_parse(body, len, MAX_FIELDS, &form, &cause) == -1) {
		free(cause);
		web_message(req, cfg, 400,
		            "Sorry, we could not read your answers",
		            "Please go back and try again.");
	} else if (validate(s, form, fs, errs, a) > 0) {
		survey_page(req, cfg, s, token, fs);
	} else if ((rv = submit(server_db(srv), s, t, a)) == -2 &&
	           http_retry(req)) {
		/* Run again once the write lock is free. */
	} else if (rv < 0) {
		log_warnx("event=websurvey error=\"%s\"",
		          db_errmsg(server_db(srv)));
		web_message(
		    req, cfg, 503, "Sorry, there is a problem",
		    "We could not save your answers. Please try again in "
		    "a few minutes.");
	} else if (rv == 0) {
		already_answered(req, cfg);
	} else {
		log_info("event=websurvey survey=%lld stored=1",
		         (long long)t->survey_id);
		web_message(req, cfg, 200, "Thank you", s->closing);
	}
	for (i = 0; i < s->nquestions; i++) {
		free(fs[i].raw);
		free(errs[i]);
	}
	free(fs);
	free(errs);
	answer_set_free(a);
	form_free(form);
	free(body);
}

void
websurvey_http(struct evhttp_request *req, struct server *srv, const char *rest)
{
	const struct config *cfg = server_config(srv);
	const char *token = web_token(rest);
	struct stoken t = {0};
	struct survey *s = NULL;
	struct field *fs;
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;

	if (token == NULL || !token_find(server_db(srv), token, &t) ||
	    (t.expires_at != 0 && t.expires_at <= time(NULL)) ||
	    t.practice_id == 0 ||
	    (s = response_survey(server_db(srv), t.survey_id)) == NULL) {
		not_found(req, cfg);
		return;
	}
	if (t.used_at != 0)
		already_answered(req, cfg);
	else if (post && web_same_origin(req, cfg) == -1)
		web_message(
		    req, cfg, 403, "Sorry, we could not accept that",
		    "Please open the survey link again and answer there.");
	else if (post)
		survey_post(req, srv, s, &t, token);
	else {
		fs = xcalloc(s->nquestions + 1, sizeof *fs);
		survey_page(req, cfg, s, token, fs);
		free(fs);
	}
	survey_free(s);
}
