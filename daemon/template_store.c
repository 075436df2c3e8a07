/*
 * Edited message templates. The shipped templates are files in a folder
 * that the daemon reads but, under systemd, cannot write; a practice's
 * changes are kept here instead, in the database that is backed up, as
 * numbered versions that are never changed or deleted (triggers refuse
 * both). What staff previewed is therefore exactly what is sent: a
 * campaign loads the latest version when it fires, and an older one stays
 * in the history. A version without text sends the shipped file again.
 * template_store_attach hooks the store under template_load, so the
 * daemon, the CLI (campaign preview) and the admin see the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "template_store.h"
#include "util.h"
#include "xmalloc.h"

static const char *
channel_name(enum tmpl_channel ch)
{
	return ch == TMPL_SMS ? "sms" : "email";
}

int
template_store_name_ok(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		      name[i] == '_'))
			return 0;
	return 1;
}

/* The latest row of channel/name: its version (0: none) and texts. */
static int
latest_row(struct db *db, enum tmpl_channel ch, const char *name, char **text,
           char **html)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT version, text, html FROM template_versions WHERE"
	        " channel = ? AND name = ? ORDER BY version DESC LIMIT 1");
	int version = 0;

	*text = *html = NULL;
	db_bind_text(st, 1, channel_name(ch));
	db_bind_text(st, 2, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		version = sqlite3_column_int(st, 0);
		if (db_col_text(st, 1) != NULL)
			*text = xstrdup(db_col_text(st, 1));
		if (db_col_text(st, 2) != NULL)
			*html = xstrdup(db_col_text(st, 2));
	}
	sqlite3_reset(st);
	return version;
}

int
template_store_latest(struct db *db, enum tmpl_channel ch, const char *name,
                      char **text, char **html, int *version)
{
	*version = latest_row(db, ch, name, text, html);
	if (*text != NULL)
		return 1;
	free(*html);
	*html = NULL;
	return 0;
}

/* template_load's source: the latest version, if it has text. */
static int
source(void *arg, const char *name, enum tmpl_channel ch, char **text,
       char **html, char **origin, char **cause)
{
	int version;

	if (template_store_latest(arg, ch, name, text, html, &version) == 0)
		return 0;
	*origin = xasprintf("%s/%s (saved version %d)", channel_name(ch), name,
	                    version);
	return 1;
}

void
template_store_attach(struct db *db)
{
	template_set_source(source, db);
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Insert version (text NULL: back to the file) and audit it; in one
 * transaction with the read of the latest. */
static int
insert_version(struct db *db, enum tmpl_channel ch, const char *name,
               const char *text, const char *html, const char *actor,
               int64_t now, int *version, char **cause)
{
	sqlite3_stmt *st;
	char *old_text, *old_html, *obj, detail[32];
	int latest, unchanged;

	if (db_begin(db) == -1) {
		*cause = xasprintf("database: %s", db_errmsg(db));
		return -1;
	}
	latest = latest_row(db, ch, name, &old_text, &old_html);
	unchanged = same(text, old_text) && same(html, old_html) &&
	            (latest > 0 || text == NULL);
	free(old_text);
	free(old_html);
	if (unchanged) {
		/* The same text again is the version already kept. */
		db_rollback(db);
		*version = latest;
		return 0;
	}
	st = db_stmt(db, "INSERT INTO template_versions (channel, name,"
	                 " version, text, html, created_at, created_by)"
	                 " VALUES (?, ?, ?, ?, ?, ?, ?)");
	db_bind_text(st, 1, channel_name(ch));
	db_bind_text(st, 2, name);
	db_bind_int(st, 3, latest + 1);
	db_bind_text(st, 4, text);
	db_bind_text(st, 5, html);
	db_bind_int(st, 6, now);
	db_bind_text(st, 7, actor);
	obj = xasprintf("template:%s/%s", channel_name(ch), name);
	snprintf(detail, sizeof detail, "version %d", latest + 1);
	if (db_done(db, st) == -1 ||
	    db_audit(db, actor,
	             text != NULL ? "template.save" : "template.revert", obj,
	             detail) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		free(obj);
		*cause = xasprintf("database: %s", db_errmsg(db));
		return -1;
	}
	free(obj);
	*version = latest + 1;
	return 0;
}

int
template_store_save(struct db *db, enum tmpl_channel ch, const char *name,
                    const char *text, const char *html, int max_segments,
                    const char *actor, int64_t now, int *version, char **cause)
{
	struct template *t;

	if (!template_store_name_ok(name)) {
		*cause = xstrdup("a template name is letters, digits, - and _");
		return -1;
	}
	if (text == NULL || strlen(text) > 64 * 1024 ||
	    (html != NULL && strlen(html) > 64 * 1024)) {
		*cause = xstrdup("a template is at most 64 KiB");
		return -1;
	}
	if (template_parse_parts(text, html, name, ch, max_segments, &t,
	                         cause) == -1)
		return -1;
	template_free(t);
	return insert_version(db, ch, name, text, html, actor, now, version,
	                      cause);
}

int
template_store_revert(struct db *db, enum tmpl_channel ch, const char *name,
                      const char *actor, int64_t now, int *version,
                      char **cause)
{
	char *text, *html;
	int v;

	if (!template_store_name_ok(name)) {
		*cause = xstrdup("a template name is letters, digits, - and _");
		return -1;
	}
	if (template_store_latest(db, ch, name, &text, &html, &v) == 0) {
		*cause = xstrdup("the template already is the shipped one");
		return -1;
	}
	free(text);
	free(html);
	return insert_version(db, ch, name, NULL, NULL, actor, now, version,
	                      cause);
}

json_t *
template_store_history(struct db *db, enum tmpl_channel ch, const char *name)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT version, created_at, created_by, text IS NOT NULL"
	        " FROM template_versions WHERE channel = ? AND name = ?"
	        " ORDER BY version DESC");
	json_t *a = json_array();
	char at[32];
	time_t t;
	struct tm tm;

	db_bind_text(st, 1, channel_name(ch));
	db_bind_text(st, 2, name);
	while (sqlite3_step(st) == SQLITE_ROW) {
		t = (time_t)sqlite3_column_int64(st, 1);
		gmtime_r(&t, &tm);
		strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(
		    a, json_pack("{s:i, s:s, s:s, s:b}", "version",
		                 sqlite3_column_int(st, 0), "at", at, "by",
		                 db_col_text(st, 2), "edited",
		                 sqlite3_column_int(st, 3)));
	}
	sqlite3_reset(st);
	return a;
}
