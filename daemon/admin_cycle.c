/*
 * The web admin's PPG-cycle pages: meetings, the action plan and the
 * evidence log of a practice, each a list with a form to add one. The
 * writes are the use cases the CLI calls (meeting_add and its campaigns,
 * action_add,
 * action_update, evidence_add, with an uploaded file as the CLI's --file),
 * audited by them under the user's name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "action.h"
#include "admin_page.h"
#include "cron.h"
#include "evidence.h"
#include "http.h"
#include "meeting.h"
#include "multipart.h"
#include "practice.h"
#include "xmalloc.h"

static const char *
jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static void
done(struct areq *ar, struct buf *b, int status, const char *title)
{
	char *body = buf_take(b);

	admin_page(ar, status, title, body);
	free(body);
}

/* The practice of ?practice= or the POST's, or the user's first one it
 * may do perm for. NULL after a 403. Caller frees. */
static struct practice *
cycle_practice(struct areq *ar, int post, enum perm perm)
{
	const char *code =
	    post ? admin_pget(ar, "practice") : admin_qget(ar, "practice");
	struct practice *p;
	size_t k;

	if (code != NULL) {
		if (admin_practice_scoped(ar, code, perm) != 0)
			return practice_find(ar->db, code);
		admin_forbidden(ar);
		return NULL;
	}
	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		if (scope_allows(ar->u, perm, p->id))
			return p;
		practice_free(p);
	}
	admin_forbidden(ar);
	return NULL;
}

/* The heading, the links between the three pages and the error. */
static void
cycle_head(struct buf *b, const char *title, const struct practice *p,
           const char *error)
{
	admin_escf(b,
	           "<h1>%s: %s</h1><p><a href=\"/meetings?practice=%s\">"
	           "Meetings</a> · <a href=\"/actions?practice=%s\">Action "
	           "plan</a> · <a href=\"/evidence?practice=%s\">Evidence</a>"
	           "</p>",
	           title, p->name, p->code, p->code, p->code);
	admin_error_summary(b, error);
}

/* A labelled text input keeping the posted value. */
static void
field(struct areq *ar, struct buf *b, const char *name, const char *label)
{
	const char *v = admin_pget(ar, name);

	admin_escf(b,
	           "<label class=\"label\" for=\"%s\">%s</label><input "
	           "class=\"input\" id=\"%s\" name=\"%s\" value=\"%s\">",
	           name, label, name, name, v ? v : "");
}

static void
form_open(struct areq *ar, struct buf *b, const char *action,
          const struct practice *p, const char *heading)
{
	admin_escf(b,
	           "<section class=\"panel\"><h2>%s</h2><form "
	           "method=\"post\" action=\"/%s\" novalidate",
	           heading, action);
	/* Evidence may come with a file. */
	buf_add(b, strcmp(action, "evidence") == 0
	               ? " enctype=\"multipart/form-data\">"
	               : ">");
	admin_csrf_field(ar, b);
	admin_escf(b, "<input type=\"hidden\" name=\"practice\" value=\"%s\">",
	           p->code);
}

static void
form_close(struct buf *b, const char *button)
{
	admin_escf(b,
	           "<button class=\"button\" type=\"submit\">%s</button>"
	           "</form></section>",
	           button);
}

/* ---- meetings ----------------------------------------------------------- */

static void
meetings_page(struct areq *ar, const struct practice *p, int status,
              const char *error)
{
	json_t *arr = meeting_list_json(ar->db, p->code), *e;
	struct buf b = {0};
	size_t i;

	cycle_head(&b, "Meetings", p, error);
	buf_add(&b, "<table><caption>Meetings</caption><thead><tr><th "
	            "scope=\"col\">When</th><th scope=\"col\">Where</th><th "
	            "scope=\"col\">Status</th><th scope=\"col\" class=\"n\">"
	            "Agenda items sent</th></tr></thead><tbody>");
	json_array_foreach(arr, i, e) admin_escf(
	    &b,
	    "<tr><td>%s</td><td>%s</td><td>%s</td><td "
	    "class=\"n\">%lld</td></tr>",
	    jstr(e, "at"), jstr(e, "where"), jstr(e, "status"),
	    (long long)json_integer_value(json_object_get(e, "agenda_items")));
	buf_add(&b, "</tbody></table>");
	json_decref(arr);
	if (scope_allows(ar->u, PERM_SEND, p->id)) {
		form_open(ar, &b, "meetings", p, "Add a meeting");
		field(ar, &b, "at",
		      "When (2026-03-05T18:30, the practice's time)");
		field(ar, &b, "where", "Where");
		buf_add(&b,
		        "<p><input type=\"checkbox\" id=\"campaigns\" "
		        "name=\"campaigns\" value=\"yes\" checked> <label "
		        "for=\"campaigns\">With its invitation, reminder and "
		        "feedback campaigns</label></p>");
		form_close(&b, "Add the meeting");
	}
	done(ar, &b, status, "Meetings");
}

/*
 * The meeting and, if asked, its campaigns, in one transaction: the same
 * steps as `ppgd meeting add` (cmd_meeting.c), which keeps them in the CLI
 * for now.
 */
static int
meeting_store(struct areq *ar, struct meeting *m, int with_campaigns,
              char **cause)
{
	if (db_begin(ar->db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(ar->db));
		return -1;
	}
	if (meeting_add(ar->db, m, cause) == -1 ||
	    (with_campaigns &&
	     meeting_add_campaigns(ar->db, ar->cfg, m, "email,sms", "everyone",
	                           cause) == -1) ||
	    db_commit(ar->db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(ar->db));
		db_rollback(ar->db);
		return -1;
	}
	return 0;
}

static void
meeting_post(struct areq *ar, const struct practice *p)
{
	const char *at = admin_pget(ar, "at"), *where = admin_pget(ar, "where");
	struct meeting m = {0};
	char *cause = NULL, *to;
	time_t t;

	if (!scope_allows(ar->u, PERM_SEND, p->id)) {
		admin_forbidden(ar);
		return;
	}
	m.practice_id = p->id;
	m.place = xstrdup(where ? where : "");
	if (cron_parse_iso(at ? at : "", p->timezone, &t, &cause) == -1 ||
	    (m.at = t,
	     meeting_store(ar, &m, admin_pget(ar, "campaigns") != NULL,
	                   &cause) == -1)) {
		meetings_page(ar, p, 422, cause);
	} else {
		to = xasprintf("/meetings?practice=%s", p->code);
		admin_redirect(ar, to);
		free(to);
	}
	free(cause);
	free(m.place);
	free(m.agenda);
}

/* ---- actions ------------------------------------------------------------ */

static void
actions_page(struct areq *ar, const struct practice *p, int status,
             const char *error)
{
	json_t *arr = action_list_json(ar->db, p->code, 0), *e;
	struct buf b = {0};
	size_t i;

	cycle_head(&b, "Action plan", p, error);
	buf_add(&b, "<table><caption>You said, we did</caption><thead><tr><th "
	            "scope=\"col\">Area</th><th scope=\"col\">Action</th><th "
	            "scope=\"col\">Owner</th><th scope=\"col\">Due</th><th "
	            "scope=\"col\">Status</th><th scope=\"col\">Change</th>"
	            "</tr></thead><tbody>");
	json_array_foreach(arr, i, e)
	{
		admin_escf(
		    &b,
		    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>"
		    "%s</td><td><form method=\"post\" action=\"/actions\">",
		    jstr(e, "area"), jstr(e, "title"), jstr(e, "owner"),
		    jstr(e, "due"), jstr(e, "status"));
		admin_csrf_field(ar, &b);
		admin_escf(
		    &b,
		    "<input type=\"hidden\" name=\"practice\" value=\"%s\">"
		    "<input type=\"hidden\" name=\"id\" value=\"%lld\">"
		    "<label class=\"visually-hidden\" for=\"s%lld\">New "
		    "status of action %lld</label><select id=\"s%lld\" "
		    "name=\"status\"><option>agreed</option><option>"
		    "in-progress</option><option>done</option><option>"
		    "dropped</option></select> <button class=\"button "
		    "secondary\" type=\"submit\">Save</button></form></td>"
		    "</tr>",
		    p->code,
		    (long long)json_integer_value(json_object_get(e, "id")),
		    (long long)json_integer_value(json_object_get(e, "id")),
		    (long long)json_integer_value(json_object_get(e, "id")),
		    (long long)json_integer_value(json_object_get(e, "id")));
	}
	buf_add(&b, "</tbody></table>");
	json_decref(arr);
	form_open(ar, &b, "actions", p, "Add an action");
	field(ar, &b, "area", "Area (e.g. access, communication)");
	field(ar, &b, "title", "What will be done");
	field(ar, &b, "owner", "Who leads it");
	field(ar, &b, "due", "Due (YYYY-MM-DD)");
	form_close(&b, "Add the action");
	done(ar, &b, status, "Action plan");
}

/* 1 if action id belongs to practice p. */
static int
action_of(struct areq *ar, const struct practice *p, long long id)
{
	json_t *arr = action_list_json(ar->db, p->code, 0), *e;
	size_t i;
	int mine = 0;

	json_array_foreach(arr, i, e) mine |=
	    json_integer_value(json_object_get(e, "id")) == id;
	json_decref(arr);
	return mine;
}

static void
action_post(struct areq *ar, const struct practice *p)
{
	const char *id = admin_pget(ar, "id");
	struct action_new a = {.practice = p->code,
	                       .area = admin_pget(ar, "area"),
	                       .title = admin_pget(ar, "title"),
	                       .owner = admin_pget(ar, "owner"),
	                       .due = admin_pget(ar, "due")};
	char *cause = NULL, *to;
	int64_t nid;
	int rc;

	if (a.owner != NULL && *a.owner == '\0')
		a.owner = NULL;
	if (a.due != NULL && *a.due == '\0')
		a.due = NULL;
	if (id != NULL && !action_of(ar, p, strtoll(id, NULL, 10))) {
		admin_message(ar, 404, "Action not found",
		              "There is no such action in this practice.");
		return;
	}
	rc = id != NULL ? action_update(ar->db, strtoll(id, NULL, 10),
	                                admin_pget(ar, "status"), NULL, &cause)
	                : action_add(ar->db, &a, &nid, &cause);
	if (rc == -1)
		actions_page(ar, p, 422, cause);
	else {
		to = xasprintf("/actions?practice=%s", p->code);
		admin_redirect(ar, to);
		free(to);
	}
	free(cause);
}

/* ---- evidence ----------------------------------------------------------- */

static void
evidence_page(struct areq *ar, const struct practice *p, int status,
              const char *error)
{
	json_t *arr = evidence_list_json(ar->db, p->code, NULL, NULL, NULL), *e;
	json_t *kinds = evidence_kinds_json();
	const char *sel = admin_pget(ar, "kind");
	struct buf b = {0};
	size_t i;

	cycle_head(&b, "Evidence", p, error);
	buf_add(&b, "<table><caption>The evidence log</caption><thead><tr><th "
	            "scope=\"col\">Date</th><th scope=\"col\">Kind</th><th "
	            "scope=\"col\">Title</th><th scope=\"col\">Link or file"
	            "</th></tr></thead><tbody>");
	json_array_foreach(arr, i, e)
	{
		admin_escf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s",
		           jstr(e, "date"), jstr(e, "label"), jstr(e, "title"),
		           jstr(e, "link"));
		if (json_is_object(json_object_get(e, "file")))
			admin_escf(
			    &b,
			    "<a "
			    "href=\"/evidence/file?practice=%s&amp;id=%lld\">"
			    "%s</a>",
			    p->code,
			    (long long)json_integer_value(
			        json_object_get(e, "id")),
			    jstr(json_object_get(e, "file"), "name"));
		buf_add(&b, "</td></tr>");
	}
	buf_add(&b, "</tbody></table>");
	form_open(ar, &b, "evidence", p, "Record evidence");
	buf_add(&b, "<label class=\"label\" for=\"kind\">Kind</label><select "
	            "class=\"input\" id=\"kind\" name=\"kind\">");
	json_array_foreach(kinds, i, e) admin_escf(
	    &b, "<option value=\"%s\"%s>%s</option>", jstr(e, "kind"),
	    sel && strcmp(sel, jstr(e, "kind")) == 0 ? " selected" : "",
	    jstr(e, "label"));
	buf_add(&b, "</select>");
	field(ar, &b, "day", "Date (YYYY-MM-DD)");
	field(ar, &b, "title", "Title (empty: the kind's name)");
	field(ar, &b, "link", "Link (https://...)");
	field(ar, &b, "note", "Note");
	admin_escf(&b,
	           "<label class=\"label\" for=\"file\">File (a PDF, an "
	           "image, an office document or a text file of up to %lld "
	           "MB; optional)</label><input class=\"input\" "
	           "type=\"file\" id=\"file\" name=\"file\" accept=\".pdf,"
	           ".png,.jpg,.jpeg,.docx,.xlsx,.pptx,.odt,.ods,.odp,.txt,.md,"
	           ".csv\">",
	           (long long)(EVIDENCE_MAX_FILE / (1024 * 1024)));
	form_close(&b, "Record it");
	json_decref(kinds);
	json_decref(arr);
	done(ar, &b, status, "Evidence");
}

static const char *
opt(struct areq *ar, const char *k)
{
	const char *v = admin_pget(ar, k);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
evidence_post(struct areq *ar, const struct practice *p)
{
	struct evidence_new e = {.practice = p->code,
	                         .kind = admin_pget(ar, "kind"),
	                         .day = admin_pget(ar, "day"),
	                         .title = opt(ar, "title"),
	                         .link = opt(ar, "link"),
	                         .note = opt(ar, "note")};
	const struct multipart_file *f = admin_file(ar, "file");
	char *cause = NULL, *to;
	int64_t id;

	/* Stored as `ppgd evidence add --file` stores it: evidence_add
	 * sniffs the bytes (the browser's type is not asked) and keeps the
	 * name, which must be usable as one. */
	if (f != NULL && !multipart_filename_ok(f->filename)) {
		evidence_page(ar, p, 422,
		              "The file's name cannot be used: it must be one "
		              "line, without / or \\. Rename the file and "
		              "choose it again.");
		return;
	}
	if (f != NULL) {
		e.file_name = f->filename;
		e.data = f->data;
		e.len = f->len;
	}
	if (evidence_add(ar->db, &e, &id, &cause) == -1)
		evidence_page(ar, p, 422, cause);
	else {
		to = xasprintf("/evidence?practice=%s", p->code);
		admin_redirect(ar, to);
		free(to);
	}
	free(cause);
}

/* The item id of practice p's evidence, or NULL. Caller decrefs. */
static json_t *
evidence_item(struct areq *ar, const struct practice *p, int64_t id)
{
	json_t *e = evidence_get_json(ar->db, id);

	if (e != NULL &&
	    strcmp(json_string_value(json_object_get(e, "practice")),
	           p->code) != 0) {
		json_decref(e);
		e = NULL;
	}
	return e;
}

/*
 * GET evidence/file?practice=CODE&id=N: the stored file, as `ppgd evidence
 * get` writes it. Always a download (Content-Disposition: attachment) of
 * the type sniffed when it was stored, so an uploaded file never renders
 * as a page of the admin; the name in the header is its letters, digits
 * and ". _ -" only, the full name in RFC 5987 filename*.
 */
static void
evidence_download(struct areq *ar, const struct practice *p)
{
	const char *idtext = admin_qget(ar, "id");
	json_t *e = evidence_item(ar, p, idtext != NULL ? atoll(idtext) : 0);
	char *name = NULL, *cause = NULL, *disp;
	struct buf b = {0};
	void *data = NULL;
	const char *type;
	size_t len = 0, i;

	if (e == NULL || evidence_file(ar->db, atoll(idtext), &data, &len,
	                               &name, &cause) == -1) {
		admin_message(ar, 404, "Page not found",
		              "There is no such file in this practice's "
		              "evidence.");
		goto out;
	}
	buf_add(&b, "attachment; filename=\"");
	for (i = 0; name[i] != '\0'; i++)
		buf_printf(&b, "%c",
		           isalnum((unsigned char)name[i]) ||
		                   strchr("._-", name[i]) != NULL
		               ? name[i]
		               : '_');
	buf_add(&b, "\"; filename*=UTF-8''");
	for (i = 0; name[i] != '\0'; i++)
		buf_printf(&b,
		           isalnum((unsigned char)name[i]) ||
		                   strchr("._-", name[i]) != NULL
		               ? "%c"
		               : "%%%02X",
		           (unsigned char)name[i]);
	disp = buf_take(&b);
	evhttp_add_header(evhttp_request_get_output_headers(ar->req),
	                  "Content-Disposition", disp);
	free(disp);
	type = jstr(json_object_get(e, "file"), "type");
	http_reply(ar->req, 200,
	           *type != '\0' ? type : "application/octet-stream", data,
	           len);
out:
	json_decref(e);
	free(data);
	free(name);
	free(cause);
}

/* ---- dispatch ----------------------------------------------------------- */

int
admin_cycle_route(struct areq *ar, int post)
{
	static const struct {
		const char *path;
		void (*page)(struct areq *, const struct practice *, int,
		             const char *);
		void (*add)(struct areq *, const struct practice *);
	} pages[] = {{"meetings", meetings_page, meeting_post},
	             {"actions", actions_page, action_post},
	             {"evidence", evidence_page, evidence_post}};
	struct practice *p;
	size_t i;

	if (strcmp(ar->path, "evidence/file") == 0 && !post) {
		if ((p = cycle_practice(ar, 0, PERM_MEETINGS)) != NULL)
			evidence_download(ar, p);
		practice_free(p);
		return 1;
	}
	for (i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (strcmp(ar->path, pages[i].path) == 0)
			break;
	if (i == sizeof pages / sizeof pages[0])
		return 0;
	if ((p = cycle_practice(ar, post, PERM_MEETINGS)) == NULL)
		return 1;
	if (post && !admin_post_ok(ar, 1))
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
	else if (post)
		pages[i].add(ar, p);
	else
		pages[i].page(ar, p, 200, NULL);
	practice_free(p);
	return 1;
}
