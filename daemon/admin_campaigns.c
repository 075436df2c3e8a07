/*
 * The web admin's campaign pages: the list, create (the CLI's choices, the
 * audience counted before anything is saved), one campaign with its
 * preview for a member (email and SMS, segments shown), send, pause and
 * resume, and its outbox with the failures and retry. Each calls the
 * module the CLI calls (campaign_add, fire_preview, fire_send,
 * campaign_set_state, outbox_retry); their audit rows name the user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_page.h"
#include "env.h"
#include "server.h"
#include "campaign.h"
#include "cron.h"
#include "fire.h"
#include "firequeue.h"
#include "log.h"
#include "meeting.h"
#include "outbox.h"
#include "practice.h"
#include "survey_store.h"
#include "xmalloc.h"

static const char *const kinds[] = {"survey",   "invitation", "meeting",
                                    "feedback", "broadcast",  "reminder",
                                    NULL};

static void
done(struct areq *ar, struct buf *b, int status, const char *title)
{
	char *body = buf_take(b);

	admin_page(ar, status, title, body);
	free(body);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static long long
jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* The campaign of the path's id if the user may send for its practice;
 * else NULL (not there). Caller frees. */
static struct campaign *
campaign_scoped(struct areq *ar, const char *idtext)
{
	long long id = strtoll(idtext, NULL, 10);
	struct campaign *c = id > 0 ? campaign_get(ar->db, id) : NULL;

	if (c != NULL && !scope_allows(ar->u, PERM_SEND, c->practice_id)) {
		campaign_free(c);
		c = NULL;
	}
	return c;
}

static void
back_to(struct areq *ar, const struct campaign *c, const char *what)
{
	char *to = xasprintf("/campaigns/%lld%s", (long long)c->id, what);

	admin_redirect(ar, to);
	free(to);
}

/* ---- the list ----------------------------------------------------------- */

static void
list_practice(struct areq *ar, struct buf *b, const struct practice *p)
{
	json_t *arr = campaign_list_json(ar->db, p->code), *e, *ob;
	size_t i;

	admin_escf(b,
	           "<section class=\"panel\"><h2>%s (%s)</h2><p><a "
	           "href=\"/campaigns/new?practice=%s\">Create a campaign</a>"
	           "</p>",
	           p->name, p->code, p->code);
	if (json_array_size(arr) == 0)
		buf_add(b, "<p>No campaigns yet.</p>");
	else
		admin_escf(b,
		           "<table><caption class=\"visually-hidden\">"
		           "Campaigns of %s</caption><thead><tr><th "
		           "scope=\"col\">Name</th><th scope=\"col\">Kind</th>"
		           "<th scope=\"col\">State</th><th scope=\"col\">Next"
		           "</th><th scope=\"col\" class=\"n\">Sent</th><th "
		           "scope=\"col\" class=\"n\">Failed</th></tr></thead>"
		           "<tbody>",
		           p->name);
	json_array_foreach(arr, i, e)
	{
		ob = outbox_counts(ar->db, jstr(e, "name"));
		admin_escf(
		    b,
		    "<tr><td><a href=\"/campaigns/%lld\">%s</a></td><td>%s"
		    "</td><td>%s</td><td>%s</td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td></tr>",
		    jint(e, "id"), jstr(e, "name"), jstr(e, "kind"),
		    jstr(e, "state"), jstr(e, "next_fire_at"),
		    jint(ob, "sent") + jint(ob, "delivered"),
		    jint(ob, "failed"));
		json_decref(ob);
	}
	if (json_array_size(arr) > 0)
		buf_add(b, "</tbody></table>");
	buf_add(b, "</section>");
	json_decref(arr);
}

static void
campaigns_page(struct areq *ar)
{
	struct practice *p;
	struct buf b = {0};
	size_t k;

	buf_add(&b, "<h1>Campaigns</h1>");
	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		if (scope_allows(ar->u, PERM_SEND, p->id))
			list_practice(ar, &b, p);
		practice_free(p);
	}
	done(ar, &b, 200, "Campaigns");
}

/* ---- create ------------------------------------------------------------- */

static void
select_kinds(struct buf *b, const char *sel)
{
	size_t i;

	buf_add(b, "<label class=\"label\" for=\"kind\">Kind</label><select "
	           "class=\"input\" id=\"kind\" name=\"kind\">");
	for (i = 0; kinds[i] != NULL; i++)
		admin_escf(b, "<option%s>%s</option>",
		           sel && strcmp(sel, kinds[i]) == 0 ? " selected" : "",
		           kinds[i]);
	buf_add(b, "</select>");
}

static void
select_surveys(struct areq *ar, struct buf *b, const char *sel)
{
	json_t *arr = survey_store_list(ar->db), *e;
	size_t i;

	buf_add(b, "<label class=\"label\" for=\"survey\">Survey (for survey "
	           "and feedback campaigns)</label><select class=\"input\" "
	           "id=\"survey\" name=\"survey\"><option value=\"\">none"
	           "</option>");
	json_array_foreach(arr, i, e)
	{
		admin_escf(
		    b, "<option value=\"%s\"%s>%s</option>", jstr(e, "slug"),
		    sel && strcmp(sel, jstr(e, "slug")) == 0 ? " selected" : "",
		    jstr(e, "title"));
	}
	buf_add(b, "</select>");
	json_decref(arr);
}

static void
select_meetings(struct areq *ar, struct buf *b, const char *code)
{
	json_t *arr = meeting_list_json(ar->db, code), *e;
	const char *sel = admin_pget(ar, "meeting");
	char id[24];
	size_t i;

	buf_add(b, "<label class=\"label\" for=\"meeting\">Or timed from a "
	           "meeting</label><select class=\"input\" id=\"meeting\" "
	           "name=\"meeting\"><option value=\"\">none</option>");
	json_array_foreach(arr, i, e)
	{
		snprintf(id, sizeof id, "%lld", jint(e, "id"));
		admin_escf(b, "<option value=\"%s\"%s>%s, %s</option>", id,
		           sel && strcmp(sel, id) == 0 ? " selected" : "",
		           jstr(e, "at"), jstr(e, "where"));
	}
	buf_add(b, "</select>");
	json_decref(arr);
}

/* A text input with a hint, the posted value kept. */
static void
text_input(struct areq *ar, struct buf *b, const char *name, const char *label,
           const char *hint)
{
	const char *v = admin_pget(ar, name);

	admin_escf(
	    b,
	    "<label class=\"label\" for=\"%s\">%s</label><p id=\"%s-hint\">"
	    "%s</p><input class=\"input\" id=\"%s\" name=\"%s\" "
	    "value=\"%s\" aria-describedby=\"%s-hint\">",
	    name, label, name, hint, name, name, v ? v : "", name);
}

static void
create_form(struct areq *ar, const char *code, int status, const char *error,
            json_t *count)
{
	const char *ch = admin_pget(ar, "channels");
	struct buf b = {0};

	admin_escf(&b, "<h1>Create a campaign for %s</h1>", code);
	admin_error_summary(&b, error);
	if (count != NULL)
		admin_escf(
		    &b,
		    "<div class=\"panel\" role=\"status\"><h2>Audience"
		    "</h2><p>%lld members match; %lld can be sent to "
		    "(%lld by email, %lld by text).</p></div>",
		    jint(json_object_get(count, "audience"), "matched"),
		    jint(json_object_get(count, "audience"), "recipients"),
		    jint(json_object_get(count, "audience"), "email"),
		    jint(json_object_get(count, "audience"), "sms"));
	buf_add(&b, "<form method=\"post\" action=\"/campaigns/new\" "
	            "data-live=\"audience-live\" data-live-step=\"count\" "
	            "data-live-fields=\"audience,channels,kind,survey\" "
	            "novalidate>");
	admin_csrf_field(ar, &b);
	admin_escf(&b, "<input type=\"hidden\" name=\"practice\" value=\"%s\">",
	           code);
	text_input(ar, &b, "name", "Name", "Unique; members do not see it.");
	select_kinds(&b, admin_pget(ar, "kind"));
	select_surveys(ar, &b, admin_pget(ar, "survey"));
	text_input(ar, &b, "template", "Template",
	           "Empty: the kind's own template.");
	admin_escf(
	    &b,
	    "<label class=\"label\" for=\"channels\">Channels</label><select"
	    " class=\"input\" id=\"channels\" name=\"channels\"><option "
	    "value=\"email,sms\"%s>email, else text</option><option "
	    "value=\"sms,email\"%s>text, else email</option><option "
	    "value=\"email\"%s>email only</option><option value=\"sms\"%s>"
	    "text only</option></select>",
	    ch == NULL || strcmp(ch, "email,sms") == 0 ? " selected" : "",
	    ch && strcmp(ch, "sms,email") == 0 ? " selected" : "",
	    ch && strcmp(ch, "email") == 0 ? " selected" : "",
	    ch && strcmp(ch, "sms") == 0 ? " selected" : "");
	text_input(
	    ar, &b, "audience", "Audience",
	    "everyone, or terms such as age_band=16-24|25-34,tag=carers.");
	admin_live_output(&b, "audience-live");
	buf_add(&b,
	        "<button class=\"button secondary\" type=\"submit\" "
	        "name=\"step\" value=\"count\">Count the audience</button>");
	text_input(ar, &b, "message", "Message (broadcasts)",
	           "The text of a broadcast.");
	text_input(ar, &b, "at", "Send at",
	           "A date and time such as 2026-03-05T10:00 (the practice's "
	           "time); empty: when you press Send.");
	text_input(ar, &b, "schedule", "Or a schedule",
	           "cron: minute hour day month weekday, e.g. 0 10 1 * *.");
	select_meetings(ar, &b, code);
	text_input(ar, &b, "offset", "Offset from the meeting",
	           "A duration before (-14d) or after (1d) the meeting.");
	text_input(ar, &b, "remind_after", "Remind after",
	           "A duration such as 3d; empty: no reminders.");
	text_input(ar, &b, "max_reminders", "Reminders at most",
	           "How many reminders; empty: one.");
	buf_add(&b, "<button class=\"button\" type=\"submit\" name=\"step\" "
	            "value=\"create\">Create the campaign</button></form>");
	done(ar, &b, status, "Create a campaign");
}

static void
set_opt(char **slot, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	free(*slot);
	*slot = xstrdup(v);
}

/* The form into c; -1 with *cause. */
static int
create_fill(struct areq *ar, const struct practice *p, struct campaign *c,
            char **cause)
{
	const char *survey = admin_pget(ar, "survey"),
	           *at = admin_pget(ar, "at");
	const char *ra = admin_pget(ar, "remind_after");
	const char *mt = admin_pget(ar, "meeting"),
	           *off = admin_pget(ar, "offset");
	const char *mr = admin_pget(ar, "max_reminders");
	struct meeting *m;
	time_t t;

	c->practice_id = p->id;
	c->name = xstrdup(admin_pget(ar, "name") ? admin_pget(ar, "name") : "");
	c->kind = xstrdup(admin_pget(ar, "kind") ? admin_pget(ar, "kind") : "");
	set_opt(&c->template, admin_pget(ar, "template"));
	if (c->template == NULL && campaign_default_template(c->kind) != NULL)
		c->template = xstrdup(campaign_default_template(c->kind));
	set_opt(&c->channels, admin_pget(ar, "channels"));
	set_opt(&c->audience, admin_pget(ar, "audience"));
	set_opt(&c->message, admin_pget(ar, "message"));
	set_opt(&c->schedule, admin_pget(ar, "schedule"));
	if (survey != NULL && *survey != '\0') {
		if ((c->survey_id =
		         survey_store_latest(ar->db, survey, NULL)) == 0)
			return (*cause = xasprintf("survey %s is not loaded",
			                           survey)),
			       -1;
		c->survey_slug = xstrdup(survey);
	}
	if (at != NULL && *at != '\0') {
		if (cron_parse_iso(at, p->timezone, &t, cause) == -1)
			return -1;
		c->at = t;
	}
	if (ra != NULL && *ra != '\0' &&
	    (campaign_parse_offset(ra, &c->remind_after_s) == -1 ||
	     c->remind_after_s <= 0))
		return (*cause = xasprintf("Remind after: '%s' is not a "
		                           "duration such as 3d",
		                           ra)),
		       -1;
	if (mr != NULL && *mr != '\0' && (c->max_reminders = atoi(mr)) <= 0)
		return (*cause = xstrdup("Reminders at most: a number from "
		                         "1")),
		       -1;
	if (mt != NULL && *mt != '\0') {
		/* A meeting of this practice only. */
		m = meeting_get(ar->db, strtoll(mt, NULL, 10));
		if (m == NULL || m->practice_id != p->id) {
			meeting_free(m);
			return (*cause = xstrdup("No such meeting in this "
			                         "practice.")),
			       -1;
		}
		c->meeting_id = m->id;
		meeting_free(m);
	}
	if (off != NULL && *off != '\0' &&
	    (c->meeting_id == 0 ||
	     campaign_parse_offset(off, &c->offset_s) == -1))
		return (*cause = xasprintf("Offset: '%s' needs a meeting and "
		                           "a duration such as -14d",
		                           off)),
		       -1;
	return 0;
}

/* The audience count as the live check of the form (admin.js). */
static void
count_json(struct areq *ar, const json_t *count, const char *error)
{
	json_t *a = json_object_get(count, "audience");
	char *summary =
	    error != NULL
	        ? xstrdup(error)
	        : xasprintf("%lld members match; %lld can be sent to (%lld "
	                    "by email, %lld by text).",
	                    jint(a, "matched"), jint(a, "recipients"),
	                    jint(a, "email"), jint(a, "sms"));

	admin_reply_json(ar, json_pack("{s:b, s:s}", "ok", error == NULL,
	                               "summary", summary));
	free(summary);
}

static void
create_post(struct areq *ar)
{
	const char *code = admin_pget(ar, "practice");
	const char *step = admin_pget(ar, "step"),
	           *format = admin_pget(ar, "format");
	int json = format != NULL && strcmp(format, "json") == 0;
	struct campaign *c = campaign_new();
	struct practice *p = NULL;
	char *cause = NULL;
	json_t *count = NULL;

	if (admin_practice_scoped(ar, code, PERM_SEND) == 0)
		admin_forbidden(ar);
	else if (!admin_post_ok(ar, 1))
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
	else if ((p = practice_find(ar->db, code)) == NULL ||
	         create_fill(ar, p, c, &cause) == -1) {
		if (json && step != NULL && strcmp(step, "count") == 0)
			count_json(ar, NULL, cause);
		else
			create_form(ar, code, 422, cause, NULL);
	} else if (step != NULL && strcmp(step, "count") == 0) {
		count = fire_preview(ar->db, ar->cfg, c, 0, time(NULL), &cause);
		if (json)
			count_json(ar, count, count == NULL ? cause : NULL);
		else if (count == NULL)
			create_form(ar, code, 422, cause, NULL);
		else
			create_form(ar, code, 200, NULL, count);
	} else if (*c->name == '\0')
		create_form(ar, code, 422, "Give the campaign a name.", NULL);
	else if (campaign_add(ar->db, ar->cfg, c, time(NULL), &cause) == -1)
		create_form(ar, code, 422, cause, NULL);
	else
		back_to(ar, c, "");
	json_decref(count);
	free(cause);
	practice_free(p);
	campaign_free(c);
}

/* ---- one campaign ------------------------------------------------------- */

static void
state_button(struct areq *ar, struct buf *b, const struct campaign *c,
             const char *verb, const char *label, int secondary)
{
	admin_escf(b, "<form method=\"post\" action=\"/campaigns/%lld/%s\">",
	           (long long)c->id, verb);
	admin_csrf_field(ar, b);
	if (strcmp(verb, "send") == 0)
		buf_add(b, "<p><input type=\"checkbox\" id=\"again\" "
		           "name=\"again\" value=\"yes\"> <label for=\"again\">"
		           "Send again, though it was sent in the last day"
		           "</label></p>");
	admin_escf(b,
	           "<button class=\"button%s\" type=\"submit\">%s</button>"
	           "</form>",
	           secondary ? " secondary" : "", label);
}

/*
 * A run of c still queuing its messages (a send in progress), if any; else,
 * after "Send now" (?sent), what its run queued.
 */
static void
firing_note(struct areq *ar, struct buf *b, const struct campaign *c)
{
	sqlite3_stmt *st =
	    db_stmt(ar->db, "SELECT r.id, (SELECT count(*) FROM outbox o WHERE"
	                    " o.run_id = r.id), r.firing FROM runs r WHERE"
	                    " r.campaign_id = ? AND (r.firing = 1 OR ?2)"
	                    " ORDER BY r.firing DESC, r.id DESC LIMIT 1");

	db_bind_int(st, 1, c->id);
	db_bind_int(st, 2, admin_qget(ar, "sent") != NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		admin_escf(
		    b,
		    sqlite3_column_int(st, 2)
		        ? "<div class=\"panel\" role=\"status\"><p>"
		          "Sending: run %lld has queued %lld messages so "
		          "far. Nothing goes out before all are queued; "
		          "reload this page to follow it.</p></div>"
		        : "<div class=\"panel\" role=\"status\"><p>"
		          "Sent: run %lld queued %lld messages; the outbox "
		          "counts below show them going out.</p></div>",
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
}

static void
campaign_view(struct areq *ar, struct campaign *c, int status, const char *note)
{
	json_t *o = campaign_show_json(ar->db, c), *e, *ob;
	struct buf b = {0};
	size_t i;

	admin_escf(&b, "<h1>%s</h1>", c->name);
	if (note == NULL)
		firing_note(ar, &b, c);
	if (note != NULL)
		admin_escf(&b,
		           "<div class=\"panel\" role=\"status\"><p>%s</p>"
		           "</div>",
		           note);
	admin_escf(&b,
	           "<table><caption>Campaign</caption><tbody><tr><th "
	           "scope=\"row\">Practice</th><td>%s</td></tr><tr><th "
	           "scope=\"row\">Kind</th><td>%s</td></tr><tr><th "
	           "scope=\"row\">Survey</th><td>%s</td></tr><tr><th "
	           "scope=\"row\">Template</th><td>%s</td></tr><tr><th "
	           "scope=\"row\">Audience</th><td>%s</td></tr><tr><th "
	           "scope=\"row\">State</th><td>%s</td></tr><tr><th "
	           "scope=\"row\">Next</th><td>%s</td></tr></tbody></table>",
	           c->practice_code, c->kind,
	           c->survey_slug ? c->survey_slug : "", c->template,
	           c->audience, c->state, jstr(o, "next_fire_at"));
	ob = json_object_get(o, "outbox");
	admin_escf(&b,
	           "<p>Outbox: %lld waiting, %lld sent, %lld failed. <a "
	           "href=\"/campaigns/%lld/outbox\">The outbox of this "
	           "campaign</a> · <a href=\"/campaigns/%lld/preview\">Preview "
	           "the messages</a></p>",
	           jint(ob, "pending") + jint(ob, "held"),
	           jint(ob, "sent") + jint(ob, "delivered"), jint(ob, "failed"),
	           (long long)c->id, (long long)c->id);
	state_button(ar, &b, c, "send", "Send now", 0);
	if (strcmp(c->state, "active") == 0)
		state_button(ar, &b, c, "pause", "Pause", 1);
	else if (strcmp(c->state, "paused") == 0)
		state_button(ar, &b, c, "resume", "Resume", 1);
	if (json_array_size(json_object_get(o, "runs")) > 0) {
		buf_add(&b,
		        "<table><caption>Runs</caption><thead><tr><th "
		        "scope=\"col\">Run</th><th scope=\"col\">Fired</th><th "
		        "scope=\"col\" class=\"n\">Messages</th></tr></thead>"
		        "<tbody>");
		json_array_foreach(json_object_get(o, "runs"), i, e) admin_escf(
		    &b,
		    "<tr><td>%lld</td><td>%s</td><td class=\"n\">"
		    "%lld</td></tr>",
		    jint(e, "id"), jstr(e, "fired_at"), jint(e, "messages"));
		buf_add(&b, "</tbody></table>");
	}
	json_decref(o);
	done(ar, &b, status, c->name);
}

static void
preview_page(struct areq *ar, struct campaign *c)
{
	const char *mid = admin_qget(ar, "member");
	long long member = mid != NULL ? strtoll(mid, NULL, 10) : 0;
	char *cause = NULL;
	json_t *o, *em, *sms;
	struct buf b = {0};

	admin_escf(&b,
	           "<h1>Preview: %s</h1><form method=\"get\" "
	           "action=\"/campaigns/%lld/preview\"><label "
	           "class=\"label\" for=\"member\">Member ID (empty: sample "
	           "values)</label><input class=\"input\" id=\"member\" "
	           "name=\"member\" inputmode=\"numeric\" value=\"%s\">"
	           "<button class=\"button\" type=\"submit\">Preview"
	           "</button></form>",
	           c->name, (long long)c->id, mid ? mid : "");
	o = fire_preview(ar->db, ar->cfg, c, member > 0 ? member : 0,
	                 time(NULL), &cause);
	if (o == NULL) {
		admin_error_summary(&b, cause);
		free(cause);
		done(ar, &b, 422, "Preview");
		return;
	}
	em = json_object_get(json_object_get(o, "messages"), "email");
	sms = json_object_get(json_object_get(o, "messages"), "sms");
	if (em != NULL)
		admin_escf(&b,
		           "<section class=\"panel\"><h2>Email</h2><p><strong>"
		           "Subject:</strong> %s</p><pre style=\"white-space:"
		           "pre-wrap\">%s</pre></section>",
		           jstr(em, "subject"), jstr(em, "text"));
	if (sms != NULL)
		admin_escf(&b,
		           "<section class=\"panel\"><h2>Text message</h2><pre "
		           "style=\"white-space:pre-wrap\">%s</pre><p>%lld "
		           "characters, %s, <strong>%lld segments</strong>.</p>"
		           "</section>",
		           jstr(sms, "text"), jint(sms, "characters"),
		           jstr(sms, "encoding"), jint(sms, "segments"));
	admin_escf(&b, "<p>The audience now: %lld match, %lld to send.</p>",
	           jint(json_object_get(o, "audience"), "matched"),
	           jint(json_object_get(o, "audience"), "recipients"));
	json_decref(o);
	done(ar, &b, 200, "Preview");
}

/* A send fired as a job ended (the page shows its runs). */
static void
send_done(void *arg, enum firequeue_end how, struct campaign *c,
          const struct fire_result *r, const char *cause)
{
	if (how == FIREQUEUE_FIRED)
		log_info("event=fire campaign=\"%s\" run=%lld messages=%d"
		         " matched=%d",
		         c->name, (long long)r->run_id, r->messages,
		         r->matched);
}

/*
 * Send now. In the daemon the fire is a job on the loop (firequeue.h): a
 * large audience takes seconds, and webhooks are answered meanwhile; the
 * reply is a redirect to the campaign's page, which shows the run sending
 * until it has queued every message.
 */
static void
send_post(struct areq *ar, struct campaign *c)
{
	struct env *env = server_env(ar->srv);
	struct fire_result r;
	struct campaign *job;
	char *cause = NULL, *note;
	int64_t now = time(NULL);
	int rc;

	/* A send still queued may have no run yet (the lock was taken). */
	if (firequeue_has(env->fires, c->id))
		cause = xasprintf("campaign %s is being sent", c->name);
	else /* sets cause when it refuses */
		(void)fire_send_check(
		    ar->db, c, admin_pget(ar, "again") != NULL, now, &cause);
	if (cause != NULL) {
		campaign_view(ar, c, 409, cause);
		free(cause);
		return;
	}
	if (env->fires != NULL && (job = campaign_get(ar->db, c->id)) != NULL) {
		if ((rc = firequeue_add(env->fires, job, now, 0, now, send_done,
		                        NULL, &r, &cause)) != 1)
			campaign_free(job);
	} else
		rc = fire_run(ar->db, ar->cfg, c, now, 0, now, &r, &cause);
	if (rc == -1) {
		campaign_view(ar, c, 409, cause);
		free(cause);
		return;
	}
	admin_audit(ar, "campaign.send", c->name);
	if (rc == 1) {
		back_to(ar, c, "?sent=1");
		return;
	}
	env_kick(env);
	note = r.created
	           ? xasprintf("Sent: %d messages (%d email, %d text, %d "
	                       "held for quiet hours) to %d members.",
	                       r.messages, r.email, r.sms, r.held, r.matched)
	           : xstrdup("This run had been sent already: nothing new.");
	campaign_view(ar, c, 200, note);
	free(note);
}

static void
state_post(struct areq *ar, struct campaign *c, const char *state)
{
	char *cause = NULL;

	if (campaign_set_state(ar->db, c, state, time(NULL), &cause) == -1) {
		campaign_view(ar, c, 409, cause);
		free(cause);
		return;
	}
	back_to(ar, c, "");
}

/* ---- the outbox --------------------------------------------------------- */

static void
outbox_page(struct areq *ar, struct campaign *c)
{
	json_t *counts = outbox_counts(ar->db, c->name), *f, *e, *v;
	struct buf b = {0};
	const char *k;
	size_t i;

	f = outbox_failures(ar->db, c->name);
	admin_escf(&b,
	           "<h1>Outbox: %s</h1><table><caption>Messages by state"
	           "</caption><thead><tr><th scope=\"col\">State</th><th "
	           "scope=\"col\" class=\"n\">Messages</th></tr></thead>"
	           "<tbody>",
	           c->name);
	json_object_foreach(counts, k, v)
	    admin_escf(&b, "<tr><td>%s</td><td class=\"n\">%lld</td></tr>", k,
	               (long long)json_integer_value(v));
	buf_add(&b, "</tbody></table>");
	if (json_array_size(f) > 0) {
		admin_escf(&b,
		           "<form method=\"post\" action=\"/campaigns/%lld/"
		           "retry\">",
		           (long long)c->id);
		admin_csrf_field(ar, &b);
		buf_add(&b,
		        "<button class=\"button\" type=\"submit\">Retry every "
		        "failed message</button></form><table><caption>Failed"
		        "</caption><thead><tr><th scope=\"col\">Message</th>"
		        "<th scope=\"col\">Member</th><th scope=\"col\">"
		        "Channel</th><th scope=\"col\">Reason</th><th "
		        "scope=\"col\">Retry</th></tr></thead><tbody>");
	} else
		buf_add(&b, "<p>No failed messages.</p>");
	json_array_foreach(f, i, e)
	{
		admin_escf(&b,
		           "<tr><td>%lld</td><td><a href=\"/members/%lld\">%lld"
		           "</a></td><td>%s</td><td>%s %s</td><td><form "
		           "method=\"post\" action=\"/campaigns/%lld/retry\">",
		           jint(e, "id"), jint(e, "member"), jint(e, "member"),
		           jstr(e, "channel"), jstr(e, "code"),
		           jstr(e, "reason"), (long long)c->id);
		admin_csrf_field(ar, &b);
		admin_escf(&b,
		           "<input type=\"hidden\" name=\"id\" value=\"%lld\">"
		           "<button class=\"button secondary\" type=\"submit\">"
		           "Retry<span class=\"visually-hidden\"> message %lld"
		           "</span></button></form></td></tr>",
		           jint(e, "id"), jint(e, "id"));
	}
	if (json_array_size(f) > 0)
		buf_add(&b, "</tbody></table>");
	admin_escf(&b,
	           "<p><a href=\"/campaigns/%lld\">Back to the campaign</a>"
	           "</p>",
	           (long long)c->id);
	json_decref(counts);
	json_decref(f);
	done(ar, &b, 200, "Outbox");
}

static void
retry_post(struct areq *ar, struct campaign *c)
{
	const char *id = admin_pget(ar, "id");
	long long row = id != NULL ? strtoll(id, NULL, 10) : 0;
	char *cause = NULL, obj[32];
	json_t *f, *e;
	size_t i;
	int n = 0, mine = row == 0;

	/* A row of this campaign only: the page's scope is the campaign. */
	f = outbox_failures(ar->db, c->name);
	json_array_foreach(f, i, e) mine |= jint(e, "id") == row;
	json_decref(f);
	if (!mine || outbox_retry(ar->db, row, row == 0 ? c->name : NULL, &n,
	                          &cause) == -1) {
		admin_message(ar, 422, "Not retried",
		              cause ? cause : "That message has not failed.");
		free(cause);
		return;
	}
	snprintf(obj, sizeof obj, "outbox:%lld", row);
	admin_audit(ar, "outbox.retry", row != 0 ? obj : c->name);
	env_kick(server_env(ar->srv));
	back_to(ar, c, "/outbox");
}

/* ---- dispatch ----------------------------------------------------------- */

/* campaigns/ID[/verb]. */
static void
campaign_route(struct areq *ar, const char *rest, int post)
{
	const char *verb = rest + strspn(rest, "0123456789");
	struct campaign *c;

	if (verb == rest || (c = campaign_scoped(ar, rest)) == NULL) {
		admin_message(ar, 404, "Campaign not found",
		              "There is no such campaign in your practices.");
		return;
	}
	if (post && !admin_post_ok(ar, 1))
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
	else if (!post && *verb == '\0')
		campaign_view(ar, c, 200, NULL);
	else if (!post && strcmp(verb, "/preview") == 0)
		preview_page(ar, c);
	else if (!post && strcmp(verb, "/outbox") == 0)
		outbox_page(ar, c);
	else if (post && strcmp(verb, "/send") == 0)
		send_post(ar, c);
	else if (post && strcmp(verb, "/pause") == 0)
		state_post(ar, c, "paused");
	else if (post && strcmp(verb, "/resume") == 0)
		state_post(ar, c, "active");
	else if (post && strcmp(verb, "/retry") == 0)
		retry_post(ar, c);
	else
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
	campaign_free(c);
}

int
admin_campaigns_route(struct areq *ar, int post)
{
	const char *p = ar->path, *code;

	if (strcmp(p, "campaigns") != 0 && strncmp(p, "campaigns/", 10) != 0)
		return 0;
	if (!scope_allows(ar->u, PERM_SEND, 0))
		admin_forbidden(ar);
	else if (strcmp(p, "campaigns") == 0 && !post)
		campaigns_page(ar);
	else if (strcmp(p, "campaigns/new") == 0 && post)
		create_post(ar);
	else if (strcmp(p, "campaigns/new") == 0) {
		code = admin_qget(ar, "practice");
		if (admin_practice_scoped(ar, code, PERM_SEND) == 0)
			admin_forbidden(ar);
		else
			create_form(ar, code, 200, NULL, NULL);
	} else
		campaign_route(ar, p + 10, post);
	return 1;
}
