/*
 * The web admin's member pages: the list and search, one member with the
 * history of their consent, add, edit, erase (the id typed to confirm), a
 * CSV import previewed (the column mapping and every bad line) before
 * anything is written, the file held server-side from the preview to its
 * confirm (upload_store.c), and the export. Every write goes through the use
 * cases the CLI and the API call (member_edit_save, member_erase,
 * member_import_opts), which audit it as "web:EMAIL".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "admin_page.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "member.h"
#include "member_edit.h"
#include "member_io.h"
#include "practice.h"
#include "upload_store.h"
#include "util.h"
#include "xmalloc.h"

#define LIST_MAX    200
#define HISTORY_MAX 100

/* ---- helpers ------------------------------------------------------------ */

/* The member of the path segment if the user may do perm for its
 * practice; else NULL (the caller says 404, as for no such member). */
static struct member *
member_scoped(struct areq *ar, const char *idtext, enum perm p)
{
	long long id = strtoll(idtext, NULL, 10);
	struct member *m = id > 0 ? member_load(ar->db, id) : NULL;

	if (m != NULL && !scope_allows(ar->u, p, m->practice_id)) {
		member_free(m);
		m = NULL;
	}
	return m;
}

static void
not_found(struct areq *ar)
{
	admin_message(ar, 404, "Member not found",
	              "There is no such member in your practices.");
}

static void
expired(struct areq *ar)
{
	admin_message(ar, 403, "Not allowed",
	              "The form has expired: try again.");
}

static void
done(struct areq *ar, struct buf *b, int status, const char *title)
{
	char *body = buf_take(b);

	admin_page(ar, status, title, body);
	free(body);
}

static char *
fmt_time(int64_t t)
{
	char s[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%d %H:%M UTC", &tm);
	return xstrdup(s);
}

/* ---- the list ----------------------------------------------------------- */

struct member_rows {
	struct buf *b;
	size_t n;
};

static int
member_row(struct member *m, void *arg)
{
	struct member_rows *r = arg;

	if (r->n++ >= LIST_MAX)
		return 0;
	admin_escf(r->b,
	           "<tr><td><a href=\"/members/%lld\">%lld</a></td><td>%s %s"
	           "</td><td>%s</td><td>%s</td><td>%s</td></tr>",
	           (long long)m->id, (long long)m->id, m->first_name,
	           m->last_name, m->email, m->mobile, m->preferred_channel);
	return 0;
}

static void
members_page(struct areq *ar)
{
	const char *code = admin_qget(ar, "practice"), *q = admin_qget(ar, "q");
	struct member_filter f = {0};
	struct member_rows r = {0};
	struct buf b = {0};
	char *first, *to;

	if (code == NULL || *code == '\0') {
		/* The first practice: a page of its own. */
		if ((first = admin_first_practice(ar, PERM_CONTACTS)) == NULL) {
			admin_forbidden(ar);
			return;
		}
		to = xasprintf("/members?practice=%s", first);
		admin_redirect(ar, to);
		free(to);
		free(first);
		return;
	}
	if (admin_practice_scoped(ar, code, PERM_CONTACTS) == 0) {
		admin_forbidden(ar);
		return;
	}
	buf_add(&b,
	        "<h1>Members</h1><form method=\"get\" action=\"/members\">"
	        "<label class=\"label\" for=\"practice\">Practice</label>"
	        "<select class=\"input\" id=\"practice\" name=\"practice\">");
	admin_practice_options(ar, &b, PERM_CONTACTS, code);
	buf_add(&b, "</select><label class=\"label\" for=\"q\">Search names, "
	            "email addresses and numbers</label>");
	admin_escf(&b,
	           "<input class=\"input\" id=\"q\" name=\"q\" value=\"%s\">",
	           q != NULL ? q : "");
	buf_add(&b, "<button class=\"button\" type=\"submit\">Search</button>"
	            "</form>");
	if (admin_practice_scoped(ar, code, PERM_MEMBERS) != 0)
		admin_escf(
		    &b,
		    "<p><a href=\"/members/new?practice=%s\">Add a member"
		    "</a> · <a href=\"/members/import?practice=%s\">Import "
		    "a CSV file</a> · <a href=\"/members/export?practice="
		    "%s\">Download the register (CSV)</a></p>",
		    code, code, code);
	buf_add(&b, "<table><caption class=\"visually-hidden\">Members"
	            "</caption><thead><tr><th scope=\"col\">ID</th><th "
	            "scope=\"col\">Name</th><th scope=\"col\">Email</th><th "
	            "scope=\"col\">Mobile</th><th scope=\"col\">Prefers</th>"
	            "</tr></thead><tbody>");
	f.practice = code;
	f.search = q != NULL && *q != '\0' ? q : NULL;
	r.b = &b;
	member_list(ar->db, &f, member_row, &r);
	buf_add(&b, "</tbody></table>");
	if (r.n > LIST_MAX)
		admin_escf(&b,
		           "<p>The first %lld of %lld: search to narrow.</p>",
		           (long long)LIST_MAX, (long long)r.n);
	done(ar, &b, 200, "Members");
}

/* ---- one member --------------------------------------------------------- */

static int
history_row(int64_t at, const char *actor, const char *action,
            const char *detail, void *arg)
{
	struct buf *b = arg;
	char *when = fmt_time(at);

	admin_escf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
	           when, action, actor, detail ? detail : "");
	free(when);
	return 0;
}

static void
member_view(struct areq *ar, struct member *m)
{
	const struct member_field *f;
	struct buf b = {0};
	char *v, obj[32];
	size_t n, i;

	admin_escf(&b, "<h1>Member %lld</h1>", (long long)m->id);
	if (m->erased_at != 0)
		buf_add(&b, "<div class=\"warning\"><p>This member was erased: "
		            "their personal details are gone; their anonymised "
		            "answers are kept.</p></div>");
	else if (scope_allows(ar->u, PERM_MEMBERS, m->practice_id))
		admin_escf(
		    &b,
		    "<p><a href=\"/members/%lld/edit\">Change the "
		    "details</a> · <a href=\"/members/%lld/erase\">Erase "
		    "this member</a></p>",
		    (long long)m->id, (long long)m->id);
	admin_escf(&b,
	           "<table><caption>Details</caption><tbody><tr><th "
	           "scope=\"row\">practice</th><td>%s</td></tr>",
	           m->practice_code);
	f = member_fields(&n);
	for (i = 0; i < n; i++) {
		v = member_get_text(m, f[i].name);
		admin_escf(&b, "<tr><th scope=\"row\">%s</th><td>%s</td></tr>",
		           f[i].name, v);
		free(v);
	}
	buf_add(&b, "</tbody></table><table><caption>Consent and changes"
	            "</caption><thead><tr><th scope=\"col\">When</th><th "
	            "scope=\"col\">What</th><th scope=\"col\">By</th><th "
	            "scope=\"col\">How</th></tr></thead><tbody>");
	snprintf(obj, sizeof obj, "member:%lld", (long long)m->id);
	db_audit_each(ar->db, obj, HISTORY_MAX, history_row, &b);
	buf_add(&b,
	        "</tbody></table><p>Consent given on an imported file is "
	        "in the details above (consent_email, consent_sms and how); "
	        "the file's import is in the audit log.</p>");
	done(ar, &b, 200, "Member");
}

/* ---- add and edit ------------------------------------------------------- */

/* The form of m's fields, with the posted values if there are any. */
static void
member_form(struct areq *ar, struct member *m, int status, const char *error)
{
	const struct member_field *f;
	const char *posted;
	struct buf b = {0};
	char *v;
	size_t n, i;

	if (m->id == 0)
		buf_add(&b, "<h1>Add a member</h1>");
	else
		admin_escf(&b, "<h1>Change member %lld</h1>", (long long)m->id);
	admin_error_summary(&b, error);
	if (m->id == 0)
		buf_add(&b, "<form method=\"post\" action=\"/members/new\" "
		            "novalidate>");
	else
		admin_escf(
		    &b,
		    "<form method=\"post\" action=\"/members/%lld/edit\" "
		    "novalidate>",
		    (long long)m->id);
	admin_csrf_field(ar, &b);
	if (m->id == 0) {
		buf_add(&b, "<label class=\"label\" for=\"practice\">Practice"
		            "</label><select class=\"input\" id=\"practice\" "
		            "name=\"practice\">");
		admin_practice_options(ar, &b, PERM_MEMBERS, m->practice_code);
		buf_add(&b, "</select>");
	}
	f = member_fields(&n);
	for (i = 0; i < n; i++) {
		posted = admin_pget(ar, f[i].name);
		v = posted != NULL ? xstrdup(posted)
		                   : member_get_text(m, f[i].name);
		admin_escf(
		    &b,
		    "<label class=\"label\" for=\"f-%s\">%s</label><p "
		    "id=\"h-%s\">%s</p><input class=\"input\" id=\"f-%s\" "
		    "name=\"%s\" value=\"%s\" aria-describedby=\"h-%s\">",
		    f[i].name, f[i].name, f[i].name, f[i].help, f[i].name,
		    f[i].name, v, f[i].name);
		free(v);
	}
	buf_add(&b,
	        "<p><input type=\"checkbox\" id=\"shared\" "
	        "name=\"shared_number\" value=\"yes\"> <label "
	        "for=\"shared\">The mobile number is shared with another "
	        "member (a family phone)</label></p><button class=\"button\" "
	        "type=\"submit\">Save</button></form>");
	done(ar, &b, status, m->id == 0 ? "Add a member" : "Change a member");
}

/* Apply the posted fields that differ from m's; -1 with *cause. */
static int
member_apply_post(struct areq *ar, struct member *m, char **cause)
{
	const struct member_field *f;
	const char *posted;
	char *have;
	size_t n, i;
	int same;

	f = member_fields(&n);
	for (i = 0; i < n; i++) {
		if ((posted = admin_pget(ar, f[i].name)) == NULL)
			continue;
		have = member_get_text(m, f[i].name);
		same = strcmp(have, posted) == 0;
		free(have);
		if (!same && member_set(m, f[i].name, posted, cause) == -1)
			return -1;
	}
	return 0;
}

static void
member_save_post(struct areq *ar, struct member *m)
{
	char *actor = admin_actor(ar), *cause = NULL, *to;
	struct member_edit_opts eo = {
	    .actor = actor,
	    .term_months = (int)config_int(ar->cfg, CFG_TERM_MONTHS),
	    .shared_number = admin_pget(ar, "shared_number") != NULL,
	    .postcode_outward =
	        strcmp(config_str(ar->cfg, CFG_POSTCODE), "outward") == 0};
	int64_t other = 0;

	if (member_apply_post(ar, m, &cause) == -1) {
		member_form(ar, m, 422, cause);
		goto out;
	}
	switch (member_edit_save(ar->db, m, &eo, &other, &cause)) {
	case MEMBER_EDIT_OK:
		to = xasprintf("/members/%lld", (long long)m->id);
		admin_redirect(ar, to);
		free(to);
		break;
	case MEMBER_EDIT_CONFLICT:
		free(cause);
		cause = xasprintf("Another member (%lld) has this reference, "
		                  "email address or mobile number.",
		                  (long long)other);
		member_form(ar, m, 409, cause);
		break;
	case MEMBER_EDIT_INVALID:
		member_form(ar, m, 422, cause);
		break;
	case MEMBER_EDIT_FAILED:
		member_form(ar, m, 500, cause);
		break;
	case MEMBER_EDIT_BUSY:
		/* Another process writes: the request runs again once the
		 * lock is free (nothing was written), or gets 503. */
		if (!http_retry(ar->req))
			admin_message(ar, 503, "Busy",
			              "The register is busy: "
			              "try again in a moment.");
		break;
	}
out:
	free(cause);
	free(actor);
}

static void
member_new_route(struct areq *ar, int post)
{
	const char *code =
	    post ? admin_pget(ar, "practice") : admin_qget(ar, "practice");
	struct practice *p;
	struct member *m;
	char *first = NULL;

	if (code == NULL &&
	    (first = admin_first_practice(ar, PERM_MEMBERS)) != NULL)
		code = first;
	if (admin_practice_scoped(ar, code, PERM_MEMBERS) == 0) {
		admin_forbidden(ar);
		free(first);
		return;
	}
	if (post && !admin_post_ok(ar, 1)) {
		expired(ar);
		free(first);
		return;
	}
	p = practice_find(ar->db, code);
	m = member_new(p->id, p->code);
	if (post)
		member_save_post(ar, m);
	else
		member_form(ar, m, 200, NULL);
	member_free(m);
	practice_free(p);
	free(first);
}

/* ---- erase -------------------------------------------------------------- */

static void
erase_form(struct areq *ar, struct member *m, int status, const char *error)
{
	struct buf b = {0};

	admin_escf(&b, "<h1>Erase member %lld</h1>", (long long)m->id);
	admin_error_summary(&b, error);
	buf_add(&b, "<div class=\"warning\"><p>Erasing removes this member's "
	            "name, contact details and demographics for good. Their "
	            "anonymised answers stay in the results. This cannot be "
	            "undone.</p></div>");
	admin_escf(&b,
	           "<form method=\"post\" action=\"/members/%lld/erase\" "
	           "novalidate>",
	           (long long)m->id);
	admin_csrf_field(ar, &b);
	admin_escf(
	    &b,
	    "<label class=\"label\" for=\"confirm\">Type the member's ID "
	    "(%lld) to confirm</label><input class=\"input\" "
	    "id=\"confirm\" name=\"confirm\" inputmode=\"numeric\" "
	    "autocomplete=\"off\"><button class=\"button\" "
	    "type=\"submit\">Erase</button></form>",
	    (long long)m->id);
	done(ar, &b, status, "Erase a member");
}

static void
erase_post(struct areq *ar, struct member *m)
{
	const char *confirm = admin_pget(ar, "confirm");
	char *actor, *cause = NULL, *to;

	if (confirm == NULL || strtoll(confirm, NULL, 10) != m->id ||
	    strspn(confirm, "0123456789") != strlen(confirm)) {
		erase_form(ar, m, 422,
		           "Type the member's ID exactly to erase.");
		return;
	}
	actor = admin_actor(ar);
	if (member_erase(ar->db, m->id, actor, &cause) == -1) {
		erase_form(ar, m, 500, cause);
		free(cause);
	} else {
		to = xasprintf("/members/%lld", (long long)m->id);
		admin_redirect(ar, to);
		free(to);
	}
	free(actor);
}

/* members/ID, members/ID/edit, members/ID/erase. */
static void
member_route(struct areq *ar, const char *rest, int post)
{
	const char *verb = rest + strspn(rest, "0123456789");
	int write = *verb != '\0';
	struct member *m;

	if (verb == rest ||
	    (write && strcmp(verb, "/edit") != 0 &&
	     strcmp(verb, "/erase") != 0) ||
	    (post && !write)) {
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
		return;
	}
	if ((m = member_scoped(ar, rest,
	                       write ? PERM_MEMBERS : PERM_CONTACTS)) == NULL) {
		/* A member of another practice is not there. */
		if (write &&
		    (m = member_scoped(ar, rest, PERM_CONTACTS)) != NULL)
			admin_forbidden(ar);
		else
			not_found(ar);
		member_free(m);
		return;
	}
	if (post && !admin_post_ok(ar, 1))
		expired(ar);
	else if (write && m->erased_at != 0)
		admin_message(ar, 409, "Erased", "This member was erased.");
	else if (!write)
		member_view(ar, m);
	else if (strcmp(verb, "/edit") == 0)
		post ? member_save_post(ar, m) : member_form(ar, m, 200, NULL);
	else
		post ? erase_post(ar, m) : erase_form(ar, m, 200, NULL);
	member_free(m);
}

/* ---- import ------------------------------------------------------------- */

static void
import_form(struct areq *ar, const char *code, int status, const char *error)
{
	const char *csv = admin_pget(ar, "csv"), *how = admin_pget(ar, "how");
	struct buf b = {0};

	buf_add(&b, "<h1>Import members</h1>");
	admin_error_summary(&b, error);
	buf_add(&b, "<p>Choose the CSV file exported from the practice system "
	            "(EMIS Web, SystmOne, Vision) or a spreadsheet, or paste "
	            "its text. Nothing is written until you have checked the "
	            "preview.</p>"
	            "<form method=\"post\" action=\"/members/import\" "
	            "enctype=\"multipart/form-data\" novalidate>");
	admin_csrf_field(ar, &b);
	buf_add(&b,
	        "<label class=\"label\" for=\"practice\">Practice</label>"
	        "<select class=\"input\" id=\"practice\" name=\"practice\">");
	admin_practice_options(ar, &b, PERM_MEMBERS, code);
	admin_escf(
	    &b,
	    "</select><label class=\"label\" for=\"file\">CSV file, with "
	    "its header row</label><input class=\"input\" type=\"file\" "
	    "id=\"file\" name=\"file\" accept=\".csv,text/csv\">"
	    "<details><summary>Or paste the CSV text</summary><label "
	    "class=\"label\" for=\"csv\">CSV text, with its header row"
	    "</label><textarea class=\"input\" id=\"csv\" name=\"csv\" "
	    "rows=\"12\" spellcheck=\"false\">%s</textarea></details>"
	    "<p><input type=\"checkbox\" id=\"ce\" name=\"consent_email\" "
	    "value=\"yes\"%s> <label for=\"ce\">Every member in the file "
	    "agreed to email</label></p><p><input type=\"checkbox\" "
	    "id=\"cs\" name=\"consent_sms\" value=\"yes\"%s> <label "
	    "for=\"cs\">Every member in the file agreed to texts</label>"
	    "</p><label class=\"label\" for=\"how\">How they agreed "
	    "(for the consent record)</label><input class=\"input\" "
	    "id=\"how\" name=\"how\" value=\"%s\"><button "
	    "class=\"button\" type=\"submit\" name=\"step\" "
	    "value=\"preview\">Preview</button></form>",
	    csv ? csv : "", admin_pget(ar, "consent_email") ? " checked" : "",
	    admin_pget(ar, "consent_sms") ? " checked" : "", how ? how : "");
	done(ar, &b, status, "Import members");
}

/* The import report as a preview: the mapping, counts, bad lines. */
static void
import_report_html(struct buf *b, const struct import_report *r, int dry)
{
	json_t *e;
	size_t i;

	if (r->mapping != NULL) {
		buf_add(b,
		        "<table><caption>Columns</caption><thead><tr><th "
		        "scope=\"col\">Column</th><th scope=\"col\">Header</th>"
		        "<th scope=\"col\">Becomes</th></tr></thead><tbody>");
		json_array_foreach(r->mapping, i, e)
		{
			admin_escf(
			    b, "<tr><td>%lld</td><td>%s</td><td>%s</td></tr>",
			    (long long)json_integer_value(
			        json_object_get(e, "column")),
			    json_string_value(json_object_get(e, "header")),
			    json_is_string(json_object_get(e, "field"))
			        ? json_string_value(json_object_get(e, "field"))
			        : "(ignored)");
		}
		buf_add(b, "</tbody></table>");
	}
	admin_escf(
	    b,
	    "<p>%s %lld rows: %lld to add, %lld to update, %lld "
	    "unchanged, %lld with errors, %lld warnings; %lld members no "
	    "channel may contact.</p>",
	    dry ? "The file has" : "Imported", (long long)r->rows,
	    (long long)r->added, (long long)r->updated, (long long)r->unchanged,
	    (long long)r->bad, (long long)r->warned, (long long)r->no_consent);
	if (json_array_size(r->errors) > 0) {
		buf_add(b,
		        "<table><caption>Lines with errors (not imported)"
		        "</caption><thead><tr><th scope=\"col\">Line</th><th "
		        "scope=\"col\">Error</th></tr></thead><tbody>");
		json_array_foreach(r->errors, i, e) admin_escf(
		    b, "<tr><td>%lld</td><td>%s</td></tr>",
		    (long long)json_integer_value(json_object_get(e, "line")),
		    json_string_value(json_object_get(e, "error")));
		buf_add(b, "</tbody></table>");
	}
	if (json_array_size(r->warnings) > 0) {
		buf_add(b, "<table><caption>Warnings (imported, the value left "
		           "unknown)</caption><thead><tr><th scope=\"col\">Line"
		           "</th><th scope=\"col\">Warning</th></tr></thead>"
		           "<tbody>");
		json_array_foreach(r->warnings, i, e) admin_escf(
		    b, "<tr><td>%lld</td><td>%s</td></tr>",
		    (long long)json_integer_value(json_object_get(e, "line")),
		    json_string_value(json_object_get(e, "warning")));
		buf_add(b, "</tbody></table>");
	}
	if (r->warning != NULL)
		admin_escf(b, "<p>%s.</p>", r->warning);
}

/* The confirm form: the choices, hidden, the token of the file held
 * (upload_store.c), and an Import button. */
static void
import_confirm(struct areq *ar, struct buf *b, const char *code,
               const char *token)
{
	static const char *const keep[] = {"consent_email", "consent_sms",
	                                   "how"};
	size_t i;

	buf_add(b, "<form method=\"post\" action=\"/members/import\">");
	admin_csrf_field(ar, b);
	admin_escf(b,
	           "<input type=\"hidden\" name=\"practice\" value=\"%s\">"
	           "<input type=\"hidden\" name=\"upload\" value=\"%s\">",
	           code, token);
	for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (admin_pget(ar, keep[i]) != NULL)
			admin_escf(
			    b,
			    "<input type=\"hidden\" name=\"%s\" value=\"%s\">",
			    keep[i], admin_pget(ar, keep[i]));
	buf_add(b, "<button class=\"button\" type=\"submit\" name=\"step\" "
	           "value=\"import\">Import these members</button></form>");
}

/* The CSV to import: held from the preview (the upload token), else the
 * file or text of this form. 1, 0 (none; the form is shown again with
 * why) or -1 after a reply. */
static int
import_source(struct areq *ar, const char *code, int64_t practice, int dry,
              char **csv, size_t *len, char **name)
{
	const char *token = admin_pget(ar, "upload");
	char *cause = NULL;
	int rc;

	if (!dry && token != NULL) {
		if (upload_get(ar->db, token, ar->u->id, practice,
		               "members-csv", time(NULL), csv, len, name))
			return 1;
		import_form(ar, code, 422,
		            "The preview has expired (after an hour, or once "
		            "imported): choose the file again.");
		return -1;
	}
	rc = admin_upload_text(ar, "file", "csv", csv, len, name, &cause);
	if (rc == 0)
		import_form(ar, code, 422,
		            "Choose a CSV file, or paste the CSV text.");
	else if (rc == -1)
		import_form(ar, code, 422, cause);
	free(cause);
	return rc == 1 ? 1 : -1;
}

/* Run the import (or its dry run) of len bytes of csv. */
static int
import_run(struct areq *ar, const char *code, const char *csv, size_t len,
           int dry, struct import_report *r, char **cause)
{
	struct import_opts o = {
	    .mode = dry ? IMPORT_DRY_RUN : IMPORT_KEEP_GOOD,
	    .term_months = (int)config_int(ar->cfg, CFG_TERM_MONTHS),
	    .consent_email = admin_pget(ar, "consent_email") != NULL,
	    .consent_sms = admin_pget(ar, "consent_sms") != NULL,
	    .consent_how = admin_pget(ar, "how"),
	    .postcode_outward =
	        strcmp(config_str(ar->cfg, CFG_POSTCODE), "outward") == 0};
	char *actor = admin_actor(ar), *msg;
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)csv, len > 0 ? len : 1, "r")) == NULL)
		fatal("fmemopen");
	db_set_actor(ar->db, actor);
	rc = member_import_opts(ar->db, fp, "web", code, &o, r, cause);
	db_set_actor(ar->db, "daemon");
	fclose(fp);
	free(actor);
	if (rc == -1 && r->line > 0) {
		msg = xasprintf("line %zu: %s", r->line, *cause);
		free(*cause);
		*cause = msg;
	}
	return rc;
}

static void
import_post(struct areq *ar)
{
	const char *code = admin_pget(ar, "practice");
	int dry = admin_pget(ar, "step") == NULL ||
	          strcmp(admin_pget(ar, "step"), "import") != 0;
	struct import_report r = {0};
	struct buf b = {0};
	char *cause = NULL, *csv = NULL, *name = NULL, token[23];
	int64_t practice;
	size_t len;

	if ((practice = admin_practice_scoped(ar, code, PERM_MEMBERS)) == 0) {
		admin_forbidden(ar);
		return;
	}
	if (!admin_post_ok(ar, 1)) {
		expired(ar);
		return;
	}
	/* As `member import --consent` needs --consent-how. */
	if ((admin_pget(ar, "consent_email") != NULL ||
	     admin_pget(ar, "consent_sms") != NULL) &&
	    (admin_pget(ar, "how") == NULL || *admin_pget(ar, "how") == '\0')) {
		import_form(ar, code, 422,
		            "Say how the members agreed (for the consent "
		            "record), or untick the consent boxes.");
		return;
	}
	if (import_source(ar, code, practice, dry, &csv, &len, &name) == -1)
		return;
	if (import_run(ar, code, csv, len, dry, &r, &cause) == -1) {
		import_form(ar, code, 422, cause);
		goto out;
	}
	/* The preview's file is held for its confirm; the bytes imported
	 * are then the bytes checked. */
	if (dry && upload_put(ar->db, ar->u->id, practice, "members-csv",
	                      name != NULL ? name : "", csv, len, time(NULL),
	                      token, &cause) == -1) {
		admin_message(ar, 500, "Sorry", cause);
		goto out;
	}
	if (!dry)
		upload_drop(ar->db, admin_pget(ar, "upload"));
	buf_add(&b, dry ? "<h1>Check the import</h1><p>Nothing is written yet."
	                  "</p>"
	                : "<h1>Members imported</h1>");
	if (name != NULL && *name != '\0')
		admin_escf(&b, "<p>File: %s</p>", name);
	import_report_html(&b, &r, dry);
	if (dry)
		import_confirm(ar, &b, code, token);
	else
		admin_escf(&b,
		           "<p><a href=\"/members?practice=%s\">Back to the "
		           "members</a></p>",
		           code);
	done(ar, &b, 200, dry ? "Check the import" : "Members imported");
out:
	import_report_clear(&r);
	free(cause);
	free(csv);
	free(name);
}

/* ---- export ------------------------------------------------------------- */

static void
export_get(struct areq *ar)
{
	const char *code = admin_qget(ar, "practice");
	char *text = NULL, *cause = NULL, *disp, obj[40];
	size_t len = 0;
	FILE *fp;

	if (admin_practice_scoped(ar, code, PERM_MEMBERS) == 0) {
		admin_forbidden(ar);
		return;
	}
	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	if (member_export(ar->db, fp, code, 0, &cause) == -1) {
		fclose(fp);
		free(text);
		admin_message(ar, 500, "Not exported", cause);
		free(cause);
		return;
	}
	fclose(fp);
	snprintf(obj, sizeof obj, "practice:%s", code);
	admin_audit(ar, "member.export", obj);
	disp = xasprintf("attachment; filename=\"members-%s.csv\"", code);
	evhttp_add_header(evhttp_request_get_output_headers(ar->req),
	                  "Content-Disposition", disp);
	http_reply(ar->req, 200, "text/csv; charset=utf-8", text, len);
	free(disp);
	free(text);
}

/* ---- dispatch ----------------------------------------------------------- */

int
admin_members_route(struct areq *ar, int post)
{
	const char *p = ar->path;

	if (strcmp(p, "members") != 0 && strncmp(p, "members/", 8) != 0)
		return 0;
	if (!scope_allows(ar->u, PERM_CONTACTS, 0))
		admin_forbidden(ar);
	else if (strcmp(p, "members") == 0 && !post)
		members_page(ar);
	else if (strcmp(p, "members/new") == 0)
		member_new_route(ar, post);
	else if (strcmp(p, "members/import") == 0 && post)
		import_post(ar);
	else if (strcmp(p, "members/import") == 0)
		admin_qget(ar, "practice") !=
		        NULL &&admin_practice_scoped(
		            ar, admin_qget(ar, "practice"), PERM_MEMBERS) == 0
		    ? admin_forbidden(ar)
		    : import_form(ar, admin_qget(ar, "practice"), 200, NULL);
	else if (strcmp(p, "members/export") == 0 && !post)
		export_get(ar);
	else if (strncmp(p, "members/", 8) == 0)
		member_route(ar, p + 8, post);
	else
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
	return 1;
}
