/*
 * The web admin's surveys and templates. Surveys: the stored ones listed
 * and viewed (survey_store), a YAML file uploaded or pasted to load
 * (survey_load_string, whose "file:line: message" errors are shown as they
 * come, then survey_store_save, as `ppgd survey load`). Templates: the files of
 * the templates folder listed and viewed, and a draft checked as `ppgd campaign
 * add` and `ppgd sms-info` would (template_parse_string refuses unknown
 * placeholders; sms_analyse counts the segments of the text rendered with
 * sample values), and saved as a new version (template_store.c: in the
 * database, since the daemon's templates folder is read-only under
 * systemd), or reverted to the shipped file.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_page.h"
#include "sms.h"
#include "survey.h"
#include "survey_store.h"
#include "template.h"
#include "template_store.h"
#include "util.h"
#include "xmalloc.h"

#define SURVEY_MAX (256 * 1024)
#define ORIGIN     "survey" /* names the pasted text in loader errors */

/* ---- surveys ------------------------------------------------------------ */

/* One loader error: "survey:12: message" (the origin of pasted text) as
 * "line 12: message"; any other ("fft.yaml:12: message" for a file) as it
 * is. */
static void
error_item(struct buf *b, const char *e)
{
	const char *p = e + strlen(ORIGIN ":");
	char *end;
	long line;

	if (strncmp(e, ORIGIN ":", strlen(ORIGIN ":")) == 0 &&
	    (line = strtol(p, &end, 10)) > 0 && end > p && *end == ':') {
		admin_escf(b, "<li>line %lld:%s</li>", (long long)line,
		           end + 1);
		return;
	}
	admin_escf(b, "<li>%s</li>", e);
}

static void
surveys_page(struct areq *ar, int status, const char *errors, const char *yaml)
{
	struct buf b = {0};
	json_t *a, *e;
	char *body, *copy, *line, *save;
	size_t i;

	buf_add(&b, "<h1>Surveys</h1>");
	if (errors != NULL) {
		buf_add(&b, "<div class=\"error-summary\" role=\"alert\" "
		            "tabindex=\"-1\"><h2>There is a problem</h2><p>The "
		            "survey was not loaded:</p><ul>");
		copy = xstrdup(errors);
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			error_item(&b, line);
		free(copy);
		buf_add(&b, "</ul></div>");
	}
	a = survey_store_list(ar->db);
	if (json_array_size(a) == 0)
		buf_add(&b, "<p>No survey is loaded.</p>");
	else {
		buf_add(&b, "<table><caption>Loaded surveys (latest versions)"
		            "</caption><thead><tr><th scope=\"col\">Survey</th>"
		            "<th scope=\"col\">Title</th><th scope=\"col\">"
		            "Version</th><th scope=\"col\">Questions</th><th "
		            "scope=\"col\">Loaded</th></tr></thead><tbody>");
		json_array_foreach(a, i, e)
		{
			admin_escf(
			    &b,
			    "<tr><td><a "
			    "href=\"/surveys/%lld\">%s</a></td><td>%s"
			    "</td><td>%lld</td><td>%lld</td><td>%s</td></tr>",
			    (long long)json_integer_value(
			        json_object_get(e, "id")),
			    json_string_value(json_object_get(e, "slug")),
			    json_string_value(json_object_get(e, "title")),
			    (long long)json_integer_value(
			        json_object_get(e, "version")),
			    (long long)json_integer_value(
			        json_object_get(e, "questions")),
			    json_is_string(json_object_get(e, "loaded_at"))
			        ? json_string_value(
			              json_object_get(e, "loaded_at"))
			        : "");
		}
		buf_add(&b, "</tbody></table>");
	}
	json_decref(a);
	if (scope_allows(ar->u, PERM_SEND, 0)) {
		buf_add(&b,
		        "<section class=\"panel\"><h2>Load a survey</h2><p>"
		        "Choose the survey's YAML file, or paste its text "
		        "(see ppgd-survey(5)). A survey of a slug already "
		        "loaded becomes its next version; the same text "
		        "again changes nothing.</p><form method=\"post\" "
		        "action=\"/surveys\" enctype=\"multipart/form-data\""
		        " novalidate>");
		admin_csrf_field(ar, &b);
		admin_escf(
		    &b,
		    "<label class=\"label\" for=\"file\">Survey file (.yaml)"
		    "</label><input class=\"input\" type=\"file\" id=\"file\" "
		    "name=\"file\" accept=\".yaml,.yml\"><label "
		    "class=\"label\" for=\"yaml\">Or paste the survey's YAML"
		    "</label><textarea class=\"input\" id=\"yaml\" "
		    "name=\"yaml\" rows=\"16\" spellcheck=\"false\">%s"
		    "</textarea><button class=\"button\" type=\"submit\">Load "
		    "the survey</button></form></section>",
		    yaml != NULL ? yaml : "");
	}
	body = buf_take(&b);
	admin_page(ar, status, "Surveys", body);
	free(body);
}

static void
survey_view(struct areq *ar, const char *rest)
{
	struct survey *s;
	struct question *q;
	struct buf b = {0};
	char *body, *cause = NULL, *end;
	int64_t id = strtoll(rest, &end, 10);
	size_t i, k;

	if (*rest == '\0' || *end != '\0' || id < 1 ||
	    (s = survey_store_get(ar->db, id, &cause)) == NULL) {
		free(cause);
		admin_message(ar, 404, "Page not found",
		              "There is no such survey.");
		return;
	}
	admin_escf(&b, "<h1>Survey: %s</h1><p>%s, version %lld%s.</p>",
	           s->title, s->slug, (long long)s->version,
	           s->anonymous ? ", anonymous" : "");
	if (s->introduction != NULL)
		admin_escf(&b, "<p>%s</p>", s->introduction);
	buf_add(&b, "<ol>");
	for (i = 0; i < s->nquestions; i++) {
		q = &s->questions[i];
		admin_escf(&b, "<li><p><strong>%s</strong> (%s, %s%s)</p>",
		           q->text, q->key, survey_qtype_name(q->type),
		           q->required ? ", required" : "");
		if (q->sms != NULL)
			admin_escf(&b, "<p>By text message: %s</p>", q->sms);
		if (q->noptions > 0) {
			buf_add(&b, "<ol>");
			for (k = 0; k < q->noptions; k++)
				admin_escf(&b, "<li>%s</li>", q->options[k]);
			buf_add(&b, "</ol>");
		}
		if (q->type == Q_SCALE || q->type == Q_NUMBER)
			admin_escf(&b, "<p>From %lld to %lld.</p>",
			           (long long)q->min, (long long)q->max);
		if (q->show_if_key != NULL)
			admin_escf(&b,
			           "<p>Asked only after some answers to %s."
			           "</p>",
			           q->show_if_key);
		buf_add(&b, "</li>");
	}
	buf_add(&b, "</ol>");
	if (s->closing != NULL)
		admin_escf(&b, "<p>%s</p>", s->closing);
	buf_add(&b, "<p><a href=\"/surveys\">All surveys</a></p>");
	body = buf_take(&b);
	admin_page(ar, 200, s->title, body);
	free(body);
	survey_free(s);
}

static void
survey_post(struct areq *ar)
{
	struct survey *s = NULL;
	enum survey_saved how;
	char *errors = NULL, *yaml = NULL, *name = NULL, to[32];
	size_t len;
	int64_t id;
	int version, rc;

	rc = admin_upload_text(ar, "file", "yaml", &yaml, &len, &name, &errors);
	if (rc == 0)
		surveys_page(
		    ar, 422,
		    "Choose the survey's YAML file, or paste its text.", NULL);
	else if (rc == 1 && len > SURVEY_MAX)
		surveys_page(ar, 422, "The survey is larger than 256 KiB.",
		             NULL);
	else if (rc == 1 && memchr(yaml, '\0', len) != NULL)
		surveys_page(ar, 422, "The file is not a text file.", NULL);
	/* A file's errors name it ("fft.yaml:12: ..."), as the CLI's do. */
	else if (rc == -1 ||
	         survey_load_string(yaml, len, name != NULL ? name : ORIGIN, &s,
	                            &errors) == -1 ||
	         survey_store_save(ar->db, s, time(NULL), &id, &version, &how,
	                           &errors) == -1)
		surveys_page(ar, 422, errors, name == NULL ? yaml : NULL);
	else {
		/* survey_store_save audits the load, with the user as the
		 * actor. */
		snprintf(to, sizeof to, "/surveys/%lld", (long long)id);
		admin_redirect(ar, to);
	}
	survey_free(s);
	free(errors);
	free(yaml);
	free(name);
}

/* ---- templates ---------------------------------------------------------- */

/* A template name as the folder holds it: letters, digits, '-', '_'. */
static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* 1 if s (n bytes) is "email" or "sms". */
static int
channel_dir(const char *s, size_t n)
{
	return (n == 5 && strncmp(s, "email", 5) == 0) ||
	       (n == 3 && strncmp(s, "sms", 3) == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Templates are shared by every practice the daemon serves, so a change
 * is made by an admin, or by a manager of every one of those practices
 * (the only practice, in the usual case); never by a lead or a viewer.
 */
static int
may_edit_templates(struct areq *ar)
{
	sqlite3_stmt *st;
	int ok;

	if (ar->u->role == ROLE_ADMIN)
		return 1;
	if (ar->u->role != ROLE_MANAGER)
		return 0;
	st = db_stmt(ar->db, "SELECT id FROM practices");
	ok = 1;
	while (ok && sqlite3_step(st) == SQLITE_ROW)
		ok =
		    scope_allows(ar->u, PERM_SEND, sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	return ok;
}

/* The template names of dir/sub (each NAME.txt), sorted, each marked
 * with its saved version if it was edited. */
static void
template_names(struct areq *ar, struct buf *b, const char *sub)
{
	char *path =
	    xasprintf("%s/%s", config_str(ar->cfg, CFG_TEMPLATES), sub);
	enum tmpl_channel ch = *sub == 's' ? TMPL_SMS : TMPL_EMAIL;
	char **names = NULL, *text, *html;
	size_t n = 0, cap = 0, len, i;
	struct dirent *d;
	int version;
	DIR *dir;

	if ((dir = opendir(path)) != NULL) {
		while ((d = readdir(dir)) != NULL) {
			len = strlen(d->d_name);
			if (len < 5 ||
			    strcmp(d->d_name + len - 4, ".txt") != 0 ||
			    !name_ok(d->d_name, len - 4))
				continue;
			if (n == cap)
				names = xreallocarray(names, cap = cap * 2 + 16,
				                      sizeof *names);
			names[n++] = xstrndup(d->d_name, len - 4);
		}
		closedir(dir);
	}
	free(path);
	qsort(names, n, sizeof *names, cmp_str);
	if (n == 0)
		buf_add(b, "<p>None.</p>");
	else
		buf_add(b, "<ul>");
	for (i = 0; i < n; i++) {
		admin_escf(b, "<li><a href=\"/templates/%s/%s\">%s</a>", sub,
		           names[i], names[i]);
		if (template_store_latest(ar->db, ch, names[i], &text, &html,
		                          &version)) {
			admin_escf(b, " (edited: version %lld)",
			           (long long)version);
			free(text);
			free(html);
		}
		buf_add(b, "</li>");
		free(names[i]);
	}
	if (n > 0)
		buf_add(b, "</ul>");
	free(names);
}

static const char store_note[] =
    "<p>The shipped templates are files in the templates folder, which is "
    "read-only to the daemon. A change saved here is kept in the database "
    "(so it is in its backups) as a new version of the template: earlier "
    "versions are kept as they were, and a campaign uses the latest "
    "version when it sends, as <code>ppgd campaign preview</code> shows. "
    "Revert to shipped goes back to the file.</p>";

/* A textarea posts CRLF line ends; templates are kept with LF. Caller
 * frees. */
static char *
lf_only(const char *text)
{
	char *lf = xstrdup(text != NULL ? text : ""), *r, *w;

	for (r = w = lf; *r != '\0'; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	return lf;
}

/* The check form, with channel and text. */
static void
check_form(struct areq *ar, struct buf *b, const char *channel,
           const char *text)
{
	buf_add(b,
	        "<section class=\"panel\"><h2>Check a draft</h2><p>The "
	        "placeholders are checked as a campaign's message would be, "
	        "and a text message's length is measured with sample "
	        "values.</p><form method=\"post\" action=\"/templates/check\" "
	        "data-live=\"check-live\" novalidate>");
	admin_csrf_field(ar, b);
	admin_escf(
	    b,
	    "<fieldset><legend>Channel</legend><input type=\"radio\" "
	    "id=\"ch-email\" name=\"channel\" value=\"email\"%s><label "
	    "for=\"ch-email\">Email (headers, a blank line, the text)"
	    "</label><input type=\"radio\" id=\"ch-sms\" name=\"channel\" "
	    "value=\"sms\"%s><label for=\"ch-sms\">Text message</label>"
	    "</fieldset><label class=\"label\" for=\"text\">Draft</label>"
	    "<textarea class=\"input\" id=\"text\" name=\"text\" "
	    "rows=\"14\" spellcheck=\"false\">%s</textarea><p "
	    "id=\"check-live\" class=\"live\" role=\"status\" "
	    "aria-live=\"polite\"></p><button class=\"button\" "
	    "type=\"submit\">Check the draft</button></form></section>",
	    strcmp(channel, "sms") == 0 ? "" : " checked",
	    strcmp(channel, "sms") == 0 ? " checked" : "",
	    text != NULL ? text : "");
}

static void
templates_page(struct areq *ar)
{
	struct buf b = {0};
	char *body;

	buf_add(&b, "<h1>Message templates</h1>");
	buf_add(&b, store_note);
	buf_add(&b, "<h2>Email</h2>");
	template_names(ar, &b, "email");
	buf_add(&b, "<h2>Text message</h2>");
	template_names(ar, &b, "sms");
	check_form(ar, &b, "email", NULL);
	body = buf_take(&b);
	admin_page(ar, 200, "Templates", body);
	free(body);
}

/* One template of the page: channel and name from "email/NAME". */
struct tref {
	enum tmpl_channel ch;
	const char *dir; /* "email" or "sms" */
	char name[65];
};

/* Parse rest ("sms/NAME" + suffix) into t; the rest after NAME in *tail. */
static int
tref_parse(const char *rest, struct tref *t, const char **tail)
{
	const char *slash = strchr(rest, '/'), *n, *end;

	if (slash == NULL || !channel_dir(rest, (size_t)(slash - rest)))
		return -1;
	n = slash + 1;
	end = n + strcspn(n, "/");
	if (!name_ok(n, (size_t)(end - n)))
		return -1;
	t->ch = *rest == 's' ? TMPL_SMS : TMPL_EMAIL;
	t->dir = *rest == 's' ? "sms" : "email";
	snprintf(t->name, sizeof t->name, "%.*s", (int)(end - n), n);
	*tail = end;
	return 0;
}

/* The shipped file dir/CH/NAME.ext, or NULL. Caller frees. */
static char *
shipped(struct areq *ar, const struct tref *t, const char *ext)
{
	char *path =
	    xasprintf("%s/%s/%s.%s", config_str(ar->cfg, CFG_TEMPLATES), t->dir,
	              t->name, ext);
	char *text = NULL, *cause = NULL;
	size_t len;

	if (util_read_file(path, 64 * 1024, &text, &len, &cause) == -1) {
		free(cause);
		text = NULL;
	}
	free(path);
	return text;
}

/* The template as it is sent now: the latest saved version, else the
 * file. 0 with *text (and *html) and *version (0: the file), or -1 when
 * there is neither. */
static int
current(struct areq *ar, const struct tref *t, char **text, char **html,
        int *version)
{
	if (template_store_latest(ar->db, t->ch, t->name, text, html, version))
		return 0;
	*version = 0;
	*text = shipped(ar, t, "txt");
	*html = t->ch == TMPL_EMAIL && *text != NULL ? shipped(ar, t, "html")
	                                             : NULL;
	return *text != NULL ? 0 : -1;
}

/* The versions saved, newest first. */
static void
history_html(struct areq *ar, struct buf *b, const struct tref *t)
{
	json_t *a = template_store_history(ar->db, t->ch, t->name), *e;
	size_t i;

	if (json_array_size(a) > 0) {
		buf_add(b, "<table><caption>Versions saved</caption><thead><tr>"
		           "<th scope=\"col\">Version</th><th scope=\"col\">"
		           "Saved</th><th scope=\"col\">By</th><th "
		           "scope=\"col\">What</th></tr></thead><tbody>");
		json_array_foreach(a, i, e) admin_escf(
		    b,
		    "<tr><td>%lld</td><td>%s</td><td>%s</td><td>%s</td></tr>",
		    (long long)json_integer_value(
		        json_object_get(e, "version")),
		    json_string_value(json_object_get(e, "at")),
		    json_string_value(json_object_get(e, "by")),
		    json_is_true(json_object_get(e, "edited"))
		        ? "edited"
		        : "back to the shipped file");
		buf_add(b, "</tbody></table>");
	}
	json_decref(a);
}

/* The edit form (text, and HTML for email) and the revert button. */
static void
edit_form(struct areq *ar, struct buf *b, const struct tref *t,
          const char *text, const char *html, int version)
{
	admin_escf(b,
	           "<section class=\"panel\"><h2>Change it</h2><p>Saving "
	           "makes a new version; the next messages sent use it.</p>"
	           "<form method=\"post\" action=\"/templates/%s/%s/save\" "
	           "data-live=\"edit-live\" data-live-url=\"/templates/check\" "
	           "data-live-channel=\"%s\" data-live-fields=\"text\" "
	           "novalidate>",
	           t->dir, t->name, t->ch == TMPL_SMS ? "sms" : "email");
	admin_csrf_field(ar, b);
	admin_escf(b,
	           "<label class=\"label\" for=\"edit-text\">%s</label>"
	           "<textarea class=\"input\" id=\"edit-text\" name=\"text\" "
	           "rows=\"16\" spellcheck=\"true\">%s</textarea>",
	           t->ch == TMPL_EMAIL
	               ? "Email (a Subject: line, a blank line, the text)"
	               : "Text message",
	           text);
	admin_live_output(b, "edit-live");
	if (t->ch == TMPL_EMAIL)
		admin_escf(
		    b,
		    "<label class=\"label\" for=\"edit-html\">HTML version "
		    "(what most email apps show: change its wording too; empty "
		    "sends the text alone)</label><textarea class=\"input\" "
		    "id=\"edit-html\" name=\"html\" rows=\"12\" "
		    "spellcheck=\"false\">%s</textarea>",
		    html != NULL ? html : "");
	buf_add(b, "<button class=\"button\" type=\"submit\">Save as a new "
	           "version</button></form>");
	if (version > 0) {
		admin_escf(b,
		           "<form method=\"post\" "
		           "action=\"/templates/%s/%s/revert\">",
		           t->dir, t->name);
		admin_csrf_field(ar, b);
		buf_add(b, "<button class=\"button secondary\" type=\"submit\">"
		           "Revert to shipped</button></form>");
	}
	buf_add(b, "</section>");
}

/* The sample rendering of the current template, for the page. */
static void
sample_html(struct areq *ar, struct buf *b, const struct tref *t)
{
	int max = (int)config_int(ar->cfg, CFG_SMS_MAX_SEGMENTS);
	struct template *tp = NULL;
	struct tvars *v = tvars_sample();
	struct rendered r = {0};
	struct sms_info info;
	char *cause = NULL;

	if (template_load(config_str(ar->cfg, CFG_TEMPLATES), t->name, t->ch,
	                  max, &tp, &cause) == -1 ||
	    template_render(tp, v, &r, &cause) == -1)
		admin_escf(b, "<p>It cannot be sent as it is: %s</p>", cause);
	else {
		buf_add(b, "<h2>As it is sent, with sample values</h2>");
		if (t->ch == TMPL_SMS && sms_analyse(r.text, &info) == 0)
			admin_escf(
			    b, "<p>%lld characters, %s, %lld segment%s.</p>",
			    (long long)info.characters,
			    sms_encoding_name(info.encoding),
			    (long long)info.segments,
			    info.segments == 1 ? "" : "s");
		if (r.subject != NULL)
			admin_escf(b, "<p>Subject: %s</p>", r.subject);
		admin_escf(b, "<pre>%s</pre>", r.text);
	}
	rendered_clear(&r);
	template_free(tp);
	tvars_free(v);
	free(cause);
}

/* GET templates/email/NAME or templates/sms/NAME; after a refused save,
 * the draft and the error. */
static void
template_view(struct areq *ar, const struct tref *t, int status,
              const char *error, const char *draft, const char *draft_html)
{
	char *text = NULL, *html = NULL, *body;
	const char *saved = admin_qget(ar, "saved");
	struct buf b = {0};
	int version;

	if (current(ar, t, &text, &html, &version) == -1) {
		admin_message(ar, 404, "Page not found",
		              "There is no such template.");
		return;
	}
	admin_escf(&b, "<h1>Template: %s (%s)</h1>", t->name,
	           t->ch == TMPL_SMS ? "text message" : "email");
	admin_error_summary(&b, error);
	if (saved != NULL && error == NULL)
		admin_escf(&b,
		           "<div class=\"panel\" role=\"status\"><p>Saved: "
		           "%s.</p></div>",
		           strcmp(saved, "0") == 0 ? "back to the shipped file"
		                                   : "a new version");
	if (version > 0)
		admin_escf(&b,
		           "<p>Edited: version %lld is sent (not the shipped "
		           "file).</p>",
		           (long long)version);
	else
		buf_add(&b, "<p>The shipped file is sent.</p>");
	buf_add(&b, store_note);
	admin_escf(&b, "<pre>%s</pre>", text);
	sample_html(ar, &b, t);
	if (may_edit_templates(ar))
		edit_form(ar, &b, t, draft != NULL ? draft : text,
		          draft != NULL ? draft_html : html, version);
	history_html(ar, &b, t);
	check_form(ar, &b, t->ch == TMPL_SMS ? "sms" : "email", text);
	buf_add(&b, "<p><a href=\"/templates\">All templates</a></p>");
	body = buf_take(&b);
	admin_page(ar, status, t->name, body);
	free(body);
	free(text);
	free(html);
}

/* POST templates/CH/NAME/save or /revert. */
static void
template_change(struct areq *ar, const struct tref *t, int revert)
{
	char *text = lf_only(admin_pget(ar, "text")), *html = NULL;
	char *actor = admin_actor(ar), *cause = NULL, *to, *cur, *cur_html;
	int version, rc, max = (int)config_int(ar->cfg, CFG_SMS_MAX_SEGMENTS);

	if (current(ar, t, &cur, &cur_html, &version) == -1) {
		admin_message(ar, 404, "Page not found",
		              "There is no such template.");
		goto out;
	}
	free(cur);
	free(cur_html);
	if (t->ch == TMPL_EMAIL && admin_pget(ar, "html") != NULL &&
	    admin_pget(ar, "html")[strspn(admin_pget(ar, "html"), " \t\r\n")] !=
	        '\0')
		html = lf_only(admin_pget(ar, "html"));
	rc = revert
	         ? template_store_revert(ar->db, t->ch, t->name, actor,
	                                 time(NULL), &version, &cause)
	         : template_store_save(ar->db, t->ch, t->name, text, html, max,
	                               actor, time(NULL), &version, &cause);
	if (rc == -1)
		template_view(ar, t, 422, cause, revert ? NULL : text, html);
	else {
		to = xasprintf("/templates/%s/%s?saved=%d", t->dir, t->name,
		               revert ? 0 : version);
		admin_redirect(ar, to);
		free(to);
	}
out:
	free(cause);
	free(actor);
	free(text);
	free(html);
}

/* A draft checked: what template_check shows, as a page or as JSON. */
struct draft {
	char *error;       /* refused: why; else NULL */
	struct rendered r; /* with sample values */
	struct sms_info sms;
	int is_sms, too_long;
	long max;
};

static void
draft_check(struct areq *ar, enum tmpl_channel ch, const char *text,
            struct draft *d)
{
	struct template *t = NULL;
	struct tvars *v = tvars_sample();

	d->is_sms = ch == TMPL_SMS;
	d->max = (long)config_int(ar->cfg, CFG_SMS_MAX_SEGMENTS);
	if (template_parse_string(text, "draft", ch, 0, &t, &d->error) == 0 &&
	    template_render(t, v, &d->r, &d->error) == 0 && d->is_sms &&
	    sms_analyse(d->r.text, &d->sms) == 0)
		d->too_long = d->sms.segments > (size_t)d->max;
	else if (d->error == NULL)
		d->is_sms = 0; /* an email: no length to give */
	tvars_free(v);
	template_free(t);
}

/* One sentence for the live check of the editors. Caller frees. */
static char *
draft_summary(const struct draft *d)
{
	if (d->error != NULL)
		return xstrdup(d->error);
	if (!d->is_sms)
		return xstrdup("Every placeholder is known.");
	return xasprintf(
	    "Every placeholder is known. With sample values: %lld "
	    "characters, %s, %lld segment%s (at most %ld "
	    "allowed)%s",
	    (long long)d->sms.characters, sms_encoding_name(d->sms.encoding),
	    (long long)d->sms.segments, d->sms.segments == 1 ? "" : "s", d->max,
	    d->too_long ? ": a campaign would refuse it." : ".");
}

/*
 * The check as JSON, for the editors' check as you type (admin.js):
 * {"ok", "summary", "segments", "encoding", "characters", "max"}.
 */
static void
draft_json(struct areq *ar, const struct draft *d)
{
	char *summary = draft_summary(d);
	json_t *o =
	    json_pack("{s:b, s:s}", "ok", d->error == NULL && !d->too_long,
	              "summary", summary);

	if (d->is_sms && d->error == NULL) {
		json_object_set_new(o, "segments",
		                    json_integer((json_int_t)d->sms.segments));
		json_object_set_new(
		    o, "characters",
		    json_integer((json_int_t)d->sms.characters));
		json_object_set_new(
		    o, "encoding",
		    json_string(sms_encoding_name(d->sms.encoding)));
		json_object_set_new(o, "max", json_integer(d->max));
	}
	free(summary);
	admin_reply_json(ar, o);
}

/* POST templates/check: channel, text (format=json: the live check). */
static void
template_check(struct areq *ar)
{
	const char *channel = admin_pget(ar, "channel"),
	           *format = admin_pget(ar, "format");
	struct draft d = {0};
	struct buf b = {0};
	char *body, *lf = lf_only(admin_pget(ar, "text")), *summary;
	int status;

	if (channel == NULL || strcmp(channel, "sms") != 0)
		channel = "email";
	draft_check(ar, strcmp(channel, "sms") == 0 ? TMPL_SMS : TMPL_EMAIL, lf,
	            &d);
	if (format != NULL && strcmp(format, "json") == 0) {
		draft_json(ar, &d);
		goto out;
	}
	status = d.error != NULL || d.too_long ? 422 : 200;
	buf_add(&b, "<h1>Check a draft</h1>");
	if (d.error != NULL)
		admin_error_summary(&b, d.error);
	else {
		summary = draft_summary(&d);
		admin_escf(&b,
		           "<div class=\"panel\" role=\"status\"><p>%s</p>"
		           "</div><h2>Rendered with sample values</h2>",
		           summary);
		free(summary);
		if (d.r.subject != NULL)
			admin_escf(&b, "<p>Subject: %s</p>", d.r.subject);
		admin_escf(&b, "<pre>%s</pre>", d.r.text);
	}
	buf_add(&b, store_note);
	check_form(ar, &b, channel, lf);
	buf_add(&b, "<p><a href=\"/templates\">All templates</a></p>");
	body = buf_take(&b);
	admin_page(ar, status, "Check a draft", body);
	free(body);
out:
	rendered_clear(&d.r);
	free(d.error);
	free(lf);
}

/* templates/CH/NAME[/save|/revert]. */
static void
template_route(struct areq *ar, const char *rest, int post)
{
	struct tref t;
	const char *tail;

	if (tref_parse(rest, &t, &tail) == -1 ||
	    (post && strcmp(tail, "/save") != 0 &&
	     strcmp(tail, "/revert") != 0) ||
	    (!post && *tail != '\0'))
		admin_message(ar, 404, "Page not found",
		              "There is no such template.");
	else if (!post)
		template_view(ar, &t, 200, NULL, NULL, NULL);
	else if (!may_edit_templates(ar))
		admin_forbidden(ar);
	else
		template_change(ar, &t, strcmp(tail, "/revert") == 0);
}

int
admin_surveys_route(struct areq *ar, int post)
{
	const char *p = ar->path;

	if (strcmp(p, "surveys") == 0 || strncmp(p, "surveys/", 8) == 0) {
		if (!scope_allows(ar->u, post ? PERM_SEND : PERM_REPORTS, 0))
			admin_forbidden(ar);
		else if (post && !admin_post_ok(ar, 1))
			admin_message(ar, 403, "Not allowed",
			              "The form has expired: try again.");
		else if (post && strcmp(p, "surveys") == 0)
			survey_post(ar);
		else if (post)
			admin_message(ar, 404, "Page not found",
			              "There is no such page.");
		else if (strcmp(p, "surveys") == 0)
			surveys_page(ar, 200, NULL, NULL);
		else
			survey_view(ar, p + 8);
		return 1;
	}
	if (strcmp(p, "templates") != 0 && strncmp(p, "templates/", 10) != 0)
		return 0;
	if (!scope_allows(ar->u, PERM_SEND, 0))
		admin_forbidden(ar);
	else if (post && !admin_post_ok(ar, 1))
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
	else if (post && strcmp(p, "templates/check") == 0)
		template_check(ar);
	else if (strcmp(p, "templates") == 0 && !post)
		templates_page(ar);
	else if (strcmp(p, "templates") == 0)
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
	else
		template_route(ar, p + 10, post);
	return 1;
}
