/*
 * The web admin's settings of a practice: its details (practice_update, as
 * `ppgd practice update`) and its population profile
 * (represent_load_profile, as `ppgd practice profile`), a CSV file
 * uploaded or pasted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_page.h"
#include "log.h"
#include "practice.h"
#include "represent.h"
#include "xmalloc.h"

static const struct {
	const char *name;
	const char *label;
	size_t off;
} fields[] = {
    {"name", "Name", offsetof(struct practice, name)},
    {"email_from", "Email from (the address messages come from)",
     offsetof(struct practice, email_from)},
    {"sms_from", "Text messages from (a sender name or number)",
     offsetof(struct practice, sms_from)},
    {"phone", "Phone", offsetof(struct practice, phone)},
    {"website", "Website", offsetof(struct practice, website)},
    {"timezone", "Time zone", offsetof(struct practice, timezone)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static char **
slot(struct practice *p, size_t i)
{
	return (char **)((char *)p + fields[i].off);
}

static void
settings_page(struct areq *ar, struct practice *p, int status,
              const char *error, const char *note)
{
	const char *csv = admin_pget(ar, "csv"), *v;
	struct buf b = {0};
	char *body;
	size_t i;

	admin_escf(&b, "<h1>Settings: %s (%s)</h1>", p->name, p->code);
	admin_error_summary(&b, error);
	if (note != NULL)
		admin_escf(&b,
		           "<div class=\"panel\" role=\"status\"><p>%s</p>"
		           "</div>",
		           note);
	buf_add(&b, "<section class=\"panel\"><h2>Practice details</h2><form "
	            "method=\"post\" action=\"/settings\" novalidate>");
	admin_csrf_field(ar, &b);
	admin_escf(&b, "<input type=\"hidden\" name=\"practice\" value=\"%s\">",
	           p->code);
	for (i = 0; i < NFIELDS; i++) {
		v = admin_pget(ar, fields[i].name);
		if (v == NULL)
			v = *slot(p, i) != NULL ? *slot(p, i) : "";
		admin_escf(
		    &b,
		    "<label class=\"label\" for=\"%s\">%s</label><input "
		    "class=\"input\" id=\"%s\" name=\"%s\" value=\"%s\">",
		    fields[i].name, fields[i].label, fields[i].name,
		    fields[i].name, v);
	}
	buf_add(&b,
	        "<button class=\"button\" type=\"submit\">Save the "
	        "details</button></form></section><section "
	        "class=\"panel\"><h2>Population profile</h2><p>The "
	        "practice's registered patients by age band, sex and ethnic "
	        "group (field,value,patients; see ppgd-population(5)), for "
	        "the representation report. It replaces the profile held."
	        "</p><form method=\"post\" action=\"/settings/profile\" "
	        "enctype=\"multipart/form-data\" novalidate>");
	admin_csrf_field(ar, &b);
	admin_escf(
	    &b,
	    "<input type=\"hidden\" name=\"practice\" value=\"%s\"><label "
	    "class=\"label\" for=\"file\">Profile CSV file</label><input "
	    "class=\"input\" type=\"file\" id=\"file\" name=\"file\" "
	    "accept=\".csv,text/csv\"><label class=\"label\" for=\"csv\">"
	    "Or paste the profile CSV</label><textarea class=\"input\" "
	    "id=\"csv\" name=\"csv\" rows=\"10\" spellcheck=\"false\">%s"
	    "</textarea><button class=\"button\" type=\"submit\">Load the "
	    "profile</button></form></section>",
	    p->code, csv ? csv : "");
	if (scope_allows(ar->u, PERM_USERS, p->id))
		admin_escf(
		    &b,
		    "<section class=\"panel\"><h2>Users of the practice"
		    "</h2><p><a href=\"/users?practice=%s\">Who can sign "
		    "in for %s: add, change or disable them</a></p>"
		    "</section>",
		    p->code, p->name);
	body = buf_take(&b);
	admin_page(ar, status, "Settings", body);
	free(body);
}

static void
details_post(struct areq *ar, struct practice *p)
{
	struct practice np = *p, *saved;
	char *cause = NULL, *vals[NFIELDS];
	const char *v;
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		v = admin_pget(ar, fields[i].name);
		vals[i] =
		    xstrdup(v != NULL ? v : (*slot(p, i) ? *slot(p, i) : ""));
		*slot(&np, i) = vals[i];
	}
	if (practice_update(ar->db, &np, &cause) == -1)
		settings_page(ar, p, 422, cause, NULL);
	else {
		admin_audit(ar, "practice.update", p->code);
		saved = practice_find(ar->db, p->code);
		settings_page(ar, saved, 200, NULL, "The details are saved.");
		practice_free(saved);
	}
	for (i = 0; i < NFIELDS; i++)
		free(vals[i]);
	free(cause);
	practice_free(p);
}

static void
profile_post(struct areq *ar, struct practice *p)
{
	char *cause = NULL, *note, *csv = NULL, *name = NULL;
	size_t len;
	FILE *fp;
	int rows = 0, rc;

	rc = admin_upload_text(ar, "file", "csv", &csv, &len, &name, &cause);
	if (rc != 1) {
		settings_page(ar, p, 422,
		              rc == 0 ? "Choose the profile's CSV file, or "
		                        "paste its text."
		                      : cause,
		              NULL);
		free(cause);
		return;
	}
	if ((fp = fmemopen(csv, len > 0 ? len : 1, "r")) == NULL)
		fatal("fmemopen");
	/* Errors name the file ("profile.csv:3: ..."), as the CLI's do. */
	if (represent_load_profile(ar->db, p->code, fp,
	                           name != NULL ? name : "profile", &rows,
	                           &cause) == -1)
		settings_page(ar, p, 422, cause, NULL);
	else {
		note = xasprintf("Loaded %d population rows.", rows);
		settings_page(ar, p, 200, NULL, note);
		free(note);
	}
	fclose(fp);
	free(cause);
	free(csv);
	free(name);
}

/* The practice named, or the user's first; NULL after a 403. */
static struct practice *
settings_practice(struct areq *ar, int post)
{
	const char *code =
	    post ? admin_pget(ar, "practice") : admin_qget(ar, "practice");
	struct practice *p;
	size_t k;

	if (code != NULL)
		return admin_practice_scoped(ar, code, PERM_SETTINGS) != 0
		           ? practice_find(ar->db, code)
		           : NULL;
	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		if (scope_allows(ar->u, PERM_SETTINGS, p->id))
			return p;
		practice_free(p);
	}
	return NULL;
}

int
admin_settings_route(struct areq *ar, int post)
{
	struct practice *p;

	if (strcmp(ar->path, "settings") != 0 &&
	    strcmp(ar->path, "settings/profile") != 0)
		return 0;
	if ((p = settings_practice(ar, post)) == NULL) {
		admin_forbidden(ar);
		return 1;
	}
	if (post && !admin_post_ok(ar, 1))
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
	else if (post && strcmp(ar->path, "settings") == 0) {
		details_post(ar, p);
		return 1; /* details_post frees p */
	} else if (post)
		profile_post(ar, p);
	else
		settings_page(ar, p, 200, NULL, NULL);
	practice_free(p);
	return 1;
}
