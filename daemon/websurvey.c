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

#include "care_alert.h"
#include "demog.h"
#include "fire.h"
#include "form.h"
#include "linktoken.h"
#include "app.h"
#include "http.h"
#include "log.h"
#include "membership.h"
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
	int64_t run_id; /* the invitation's run, shared by its reminders */
};

/* One question's submitted value and error, for re-rendering. */
struct field {
	char *raw;         /* the form's values joined by ',', or NULL */
	const char *error; /* cause to show, or NULL */
};

/*
 * A derived survey link (linktoken.h) of (run, member): it expires
 * FIRE_SURVEY_TOKEN_DAYS after its run fired; it answers the invitation's
 * run, which its reminders share. An erased member's link is gone.
 */
static int
derived_find(struct db *db, const struct config *cfg, const char *token,
             struct stoken *t)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT r.campaign_id, coalesce(r.survey_id, c.survey_id, 0),"
	        " m.practice_id, r.fired_at + ?3,"
	        " CASE WHEN r.reminder = 0 THEN r.id ELSE (SELECT x.id FROM"
	        " runs x WHERE x.campaign_id = r.campaign_id AND"
	        " x.scheduled_for = r.scheduled_for AND x.reminder = 0) END"
	        " FROM runs r JOIN campaigns c ON c.id = r.campaign_id"
	        " JOIN members m ON m.id = ?2 AND m.erased_at IS NULL"
	        " WHERE r.id = ?1");
	int64_t run, member;
	int found = 0;

	if (!linktoken_parse(cfg, token, LT_SURVEY, &run, &member))
		return 0;
	db_bind_int(st, 1, run);
	db_bind_int(st, 2, member);
	db_bind_int(st, 3, FIRE_SURVEY_TOKEN_DAYS * (int64_t)86400);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->id = 0;
		t->member_id = member;
		t->campaign_id = sqlite3_column_int64(st, 0);
		t->survey_id = sqlite3_column_int64(st, 1);
		t->practice_id = sqlite3_column_int64(st, 2);
		t->expires_at = sqlite3_column_int64(st, 3);
		t->run_id = sqlite3_column_int64(st, 4);
		found = t->run_id != 0;
	}
	sqlite3_reset(st);
	return found;
}

/* When the member answered the run through a derived link; 0 if not. */
static int64_t
derived_used(struct db *db, const struct stoken *t)
{
	sqlite3_stmt *st;

	if (t->run_id == 0)
		return 0;
	st = db_stmt(db, "SELECT used_at FROM token_uses WHERE run_id = ?"
	                 " AND member_id = ? AND kind = 'survey'");
	db_bind_int(st, 1, t->run_id);
	db_bind_int(st, 2, t->member_id);
	return db_int(db, st, 0);
}

/* When the member answered the run through a stored link; 0 if not. */
static int64_t
stored_used(struct db *db, const struct stoken *t)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT ifnull(max(used_at), 0) FROM"
	                               " tokens WHERE kind = 'survey' AND"
	                               " run_id = ? AND member_id = ?");

	db_bind_int(st, 1, t->run_id);
	db_bind_int(st, 2, t->member_id);
	return db_int(db, st, 0);
}

/*
 * When the member finished the run's survey by text: an SMS invitation
 * starts a conversation and carries the link too, and one member answers a
 * run once, whichever way. 0 if not.
 */
static int64_t
sms_used(struct db *db, const struct stoken *t)
{
	sqlite3_stmt *st;

	if (t->run_id == 0 || t->member_id == 0)
		return 0;
	st = db_stmt(db, "SELECT ifnull(max(r.completed_at), 0) FROM"
	                 " sms_sessions s JOIN responses r ON r.id ="
	                 " s.response_id JOIN runs u ON u.id = ?1"
	                 " WHERE s.member_id = ?2 AND r.campaign_id ="
	                 " u.campaign_id AND r.started_at >= u.fired_at");
	db_bind_int(st, 1, t->run_id);
	db_bind_int(st, 2, t->member_id);
	return db_int(db, st, 0);
}

/* A stored survey token (sent before links were derived). */
static int
stored_find(struct db *db, const char *token, struct stoken *t)
{
	sqlite3_stmt *st = web_token_row(
	    db, token,
	    "SELECT t.id, coalesce(t.member_id, 0),"
	    " coalesce(t.campaign_id, 0),"
	    " coalesce(t.survey_id, c.survey_id, 0),"
	    " coalesce(m.practice_id, c.practice_id, 0),"
	    " coalesce(t.expires_at, 0),"
	    " coalesce((SELECT max(u.used_at) FROM tokens u WHERE"
	    "  u.kind='survey' AND (u.id = t.id OR (t.run_id IS NOT NULL"
	    "  AND u.run_id = t.run_id AND u.member_id = t.member_id))), 0),"
	    " coalesce(t.run_id, 0)"
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
	t->run_id = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	return 1;
}

/* The link's token: derived, or stored by an older fire. Either way, used
 * if the member answered the run through a link of the other sort. */
static int
token_find(struct db *db, const struct config *cfg, const char *token,
           struct stoken *t)
{
	int64_t used;

	if (!derived_find(db, cfg, token, t) && !stored_find(db, token, t))
		return 0;
	used = derived_used(db, t);
	if (used > t->used_at)
		t->used_at = used;
	if (t->id == 0 && t->used_at == 0)
		t->used_at = stored_used(db, t);
	if (t->used_at == 0)
		t->used_at = sms_used(db, t);
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
               struct answer_set *a, int64_t now, int64_t *out)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO responses (survey_id, campaign_id, practice_id,"
	        " member_id, channel, started_at, completed_at, age_band, sex,"
	        " ethnicity, invited_channel) SELECT ?1, nullif(?2, 0), ?3,"
	        " CASE WHEN ?5 THEN NULL ELSE nullif(?4, 0) END, 'web', ?6, ?6,"
	        " " DEMOG_AGE_BAND_SQL(
	            "m.birth_ym", "m.age_band",
	            "?6") ", m.sex, m.ethnicity, (SELECT o.channel FROM outbox"
	                  "  o JOIN runs u ON u.id = o.run_id WHERE "
	                  "u.campaign_id = ?2"
	                  "  AND o.member_id = ?4 ORDER BY u.reminder, o.id "
	                  "LIMIT 1)"
	                  " FROM (SELECT 1) LEFT JOIN members m ON m.id = ?4");
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
	*out = rid = db_last_id(db);
	for (i = 0; i < s->nquestions; i++)
		if ((v = answer_set_lookup(a, s->questions[i].key)) != NULL &&
		    response_add_answer(db, rid, &s->questions[i], v) == -1)
			return -1;
	return 0;
}

/*
 * Use the token and every other survey token of the member for the same
 * campaign run (the invitation's and each reminder's): one member, one
 * response per run. 1 if this use was the first, 0 if one was used
 * already, -1 on error.
 */
static int
tokens_use(struct db *db, const struct stoken *t, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT (SELECT count(*) FROM tokens WHERE kind='survey' AND"
	        " used_at IS NOT NULL AND (id=?1 OR (?2 != 0 AND run_id=?2"
	        " AND member_id=?3))) + (SELECT count(*) FROM token_uses"
	        " WHERE run_id=?2 AND member_id=?3 AND kind='survey')");
	int used;

	db_bind_int(st, 1, t->id);
	db_bind_int(st, 2, t->run_id);
	db_bind_int(st, 3, t->member_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	used = sqlite3_column_int(st, 0) > 0;
	sqlite3_reset(st);
	if (used || sms_used(db, t) != 0)
		return 0;
	st = db_stmt(db, "UPDATE tokens SET used_at=?2 WHERE kind='survey' AND"
	                 " used_at IS NULL AND (id=?1 OR (?3 != 0 AND"
	                 " run_id=?3 AND member_id=?4))");
	db_bind_int(st, 1, t->id);
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, t->run_id);
	db_bind_int(st, 4, t->member_id);
	if (db_done(db, st) == -1)
		return -1;
	if (t->run_id == 0 || t->member_id == 0)
		return 1;
	st = db_stmt(db, "INSERT INTO token_uses (run_id, member_id, kind,"
	                 " used_at) VALUES (?, ?, 'survey', ?)");
	db_bind_int(st, 1, t->run_id);
	db_bind_int(st, 2, t->member_id);
	db_bind_int(st, 3, now);
	if (db_done(db, st) == -1)
		return -1;
	/* Answered on the web: the run's conversation by text is over. */
	st = db_stmt(db, "UPDATE sms_sessions SET state = 'superseded',"
	                 " updated_at = ?3 WHERE member_id = ?1 AND state ="
	                 " 'open' AND response_id IN (SELECT r.id FROM"
	                 " responses r JOIN runs u ON u.id = ?2 WHERE"
	                 " r.campaign_id = u.campaign_id)");
	db_bind_int(st, 1, t->member_id);
	db_bind_int(st, 2, t->run_id);
	db_bind_int(st, 3, now);
	return db_done(db, st) == -1 ? -1 : 1;
}

/* The free-text answers, one a line, read for care. Caller frees. */
static char *
free_text(const struct survey *s, struct answer_set *a)
{
	char *out = xstrdup(""), *t;
	const char *v;
	size_t i;

	for (i = 0; i < s->nquestions; i++)
		if (s->questions[i].type == Q_TEXT &&
		    (v = answer_set_lookup(a, s->questions[i].key)) != NULL) {
			t = xasprintf("%s%s\n", out, v);
			free(out);
			out = t;
		}
	return out;
}

/* A stored answer that asks for care: flag it, tell staff (the page shows
 * the safety message itself, so there is no reply). */
static int
care_flag(struct db *db, const struct config *cfg, const struct survey *s,
          const struct stoken *t, int64_t rid, const struct care_hit *hit,
          const char *text, int64_t now, int *queued)
{
	struct care_event ev = {"web-survey",
	                        t->practice_id,
	                        s->anonymous ? 0 : t->member_id,
	                        0,
	                        rid,
	                        NULL,
	                        text,
	                        now};
	struct care_outcome oc;

	if (care_alert_raise(db, cfg, hit, &ev, &oc) == -1)
		return -1;
	*queued = oc.queued;
	return 0;
}

/* One transaction: the tokens are used (tokens_use), the response and
 * answers stored, and a request for care flagged. 1 stored, 0 the run was
 * answered meanwhile, -1 error, -2 the write lock is another's. */
static int
submit(struct db *db, const struct config *cfg, const struct survey *s,
       const struct stoken *t, struct answer_set *a, struct care_hit *hit,
       int *queued)
{
	int64_t now = time(NULL), rid = 0;
	char *text = free_text(s, a);
	int used, rc;

	*queued = 0;
	care_classify_for(db, cfg, t->practice_id, text, hit);
	if ((rc = db_try_begin(db)) != 0) {
		free(text);
		return rc == 1 ? -2 : -1;
	}
	if ((used = tokens_use(db, t, now)) == -1)
		goto fail;
	used = !used;
	if (!used && store_response(db, s, t, a, now, &rid) == -1)
		goto fail;
	if (!used &&
	    membership_answered(db, (int)config_int(cfg, CFG_TERM_MONTHS),
	                        config_int(cfg, CFG_MEMBERSHIP_RENEWAL_NOTICE),
	                        rid, now) == -1)
		goto fail;
	if (!used && hit->urgency != CARE_NONE &&
	    care_flag(db, cfg, s, t, rid, hit, text, now, queued) == -1)
		goto fail;
	if (db_commit(db) == -1)
		goto fail;
	free(text);
	return used ? 0 : 1;
fail:
	db_rollback(db);
	free(text);
	return -1;
}

/* The thank-you page, with the safety message first when an answer asks
 * for care. */
static void
thank_you(struct evhttp_request *req, struct db *db, const struct config *cfg,
          const struct survey *s, const struct stoken *t,
          const struct care_hit *hit)
{
	char *name = NULL, *phone = NULL, *safety, *main = NULL;
	size_t len;
	FILE *fp;

	if (hit->urgency == CARE_NONE) {
		web_message(req, cfg, 200, "Thank you", s->closing);
		return;
	}
	care_practice(db, t->practice_id, &name, &phone);
	safety = care_reply_text(hit->mask, name, phone, "form");
	if ((fp = open_memstream(&main, &len)) == NULL)
		fatal("open_memstream");
	fputs("<div class=\"panel care\" role=\"alert\">\n"
	      "<h1>If you need medical help</h1>\n<p>",
	      fp);
	web_esc(fp, safety);
	fputs("</p>\n<ul>\n<li>Emergency: call <a href=\"tel:999\">999"
	      "</a></li>\n<li>Urgent help: call <a href=\"tel:111\">NHS 111"
	      "</a> or go to 111.nhs.uk (for mental health, choose option "
	      "2)</li>\n",
	      fp);
	if (phone != NULL && *phone != '\0') {
		fputs("<li>", fp);
		web_esc(fp, name);
		fputs(": call ", fp);
		web_esc(fp, phone);
		fputs("</li>\n", fp);
	}
	if (hit->mask & (1u << CARE_CRISIS))
		fputs("<li>Samaritans, any time: call <a href=\"tel:116123\">"
		      "116 123</a></li>\n<li>Text SHOUT to 85258</li>\n",
		      fp);
	fputs("</ul>\n</div>\n<div class=\"panel\">\n<h2>Thank you</h2>"
	      "\n<p>",
	      fp);
	web_esc(fp, s->closing);
	fputs("</p>\n</div>\n", fp);
	fclose(fp);
	web_reply(req, cfg, 200, "Thank you", main);
	free(main);
	free(safety);
	free(name);
	free(phone);
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
	struct care_hit hit = {0};
	int queued = 0;
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
	} else if ((rv = submit(server_db(srv), cfg, s, t, a, &hit, &queued)) ==
	               -2 &&
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
		log_info("event=websurvey survey=%lld stored=1 care=%s",
		         (long long)t->survey_id, care_strurgency(hit.urgency));
		/* Staff alerts are in the outbox: send them now. */
		if (queued > 0)
			env_kick(server_env(srv));
		thank_you(req, server_db(srv), cfg, s, t, &hit);
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

	if (token == NULL || !token_find(server_db(srv), cfg, token, &t) ||
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
