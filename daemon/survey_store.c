/* Stored surveys: canonical JSON in surveys.definition, one row a version. */
#include <stdlib.h>
#include <string.h>

#include "survey_store.h"
#include "util.h"
#include "xmalloc.h"

int64_t
survey_store_latest(struct db *db, const char *slug, int *version)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, version FROM surveys WHERE"
	                               " slug = ? ORDER BY version DESC"
	                               " LIMIT 1");
	int64_t id = 0;

	db_bind_text(st, 1, slug);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (version != NULL)
			*version = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	return id;
}

int64_t
survey_store_find(struct db *db, const char *slug, int version)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (version <= 0)
		return survey_store_latest(db, slug, NULL);
	st = db_stmt(db,
	             "SELECT id FROM surveys WHERE slug = ? AND version = ?");
	db_bind_text(st, 1, slug);
	db_bind_int(st, 2, version);
	db_row_int(db, st, &id);
	return id;
}

/* The hash of row id; caller frees. */
static char *
stored_hash(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT hash FROM surveys WHERE id = ?");
	char *h = NULL;

	db_bind_int(st, 1, id);
	h = db_row_text(db, st);
	return h;
}

static int
survey_insert(struct db *db, const struct survey *s, int version, int64_t now,
              int64_t *id, char **cause)
{
	sqlite3_stmt *st =
	    db_stmt(db, "INSERT INTO surveys (slug, version, title, anonymous,"
	                " definition, hash, loaded_at) VALUES (?,?,?,?,?,?,?)");
	char *def = survey_dumps(s);
	int rc;

	db_bind_text(st, 1, s->slug);
	db_bind_int(st, 2, version);
	db_bind_text(st, 3, s->title);
	db_bind_int(st, 4, s->anonymous);
	db_bind_text(st, 5, def);
	db_bind_text(st, 6, s->hash);
	db_bind_int(st, 7, now);
	rc = db_done(db, st);
	free(def);
	if (rc == -1) {
		*cause = xasprintf("survey %s: %s", s->slug, db_errmsg(db));
		return -1;
	}
	*id = db_last_id(db);
	return 0;
}

int
survey_store_save(struct db *db, const struct survey *s, int64_t now,
                  int64_t *id, int *version, enum survey_saved *how,
                  char **cause)
{
	int64_t latest;
	char *hash;
	int same;

	*version = 0;
	latest = survey_store_latest(db, s->slug, version);
	if (latest != 0) {
		hash = stored_hash(db, latest);
		same = hash != NULL && strcmp(hash, s->hash) == 0;
		free(hash);
		if (same) {
			*id = latest;
			*how = SURVEY_UNCHANGED;
			return 0;
		}
	}
	*how = latest != 0 ? SURVEY_NEW_VERSION : SURVEY_NEW;
	if (survey_insert(db, s, *version + 1, now, id, cause) == -1)
		return -1;
	(*version)++;
	db_audit(db, NULL, "survey.load", s->slug, s->hash);
	return 0;
}

struct survey *
survey_store_get(struct db *db, int64_t id, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT definition, version FROM surveys"
	                               " WHERE id = ?");
	struct survey *s = NULL;
	json_error_t err;
	json_t *j = NULL;
	int version = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = json_loads(db_col_text(st, 0), 0, &err);
		version = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (j == NULL) {
		*cause = xasprintf("survey %lld is not stored or is damaged",
		                   (long long)id);
		return NULL;
	}
	if (survey_from_json(j, &s, cause) == 0)
		s->version = version;
	json_decref(j);
	return s;
}

char *
survey_store_slug(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT slug FROM surveys WHERE id = ?");
	char *slug = NULL;

	db_bind_int(st, 1, id);
	slug = db_row_text(db, st);
	return slug;
}

static json_t *
time_json(int64_t t)
{
	char buf[21];

	return t ? json_string(util_format_time(t, buf)) : json_null();
}

json_t *
survey_store_list(struct db *db)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT s.slug, s.version, s.title, s.anonymous, s.loaded_at,"
	        " (SELECT count(*) FROM surveys v WHERE v.slug = s.slug),"
	        " json_array_length(s.definition, '$.questions'), s.id"
	        " FROM surveys s WHERE s.version = (SELECT max(version)"
	        " FROM surveys v WHERE v.slug = s.slug) ORDER BY s.slug");
	json_t *arr = json_array();

	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr, json_pack(
		             "{s:s, s:I, s:I, s:s, s:b, s:I, s:I, s:o}", "slug",
		             db_col_text(st, 0), "id",
		             (json_int_t)sqlite3_column_int64(st, 7), "version",
		             (json_int_t)sqlite3_column_int(st, 1), "title",
		             db_col_text(st, 2), "anonymous",
		             sqlite3_column_int(st, 3), "versions",
		             (json_int_t)sqlite3_column_int(st, 5), "questions",
		             (json_int_t)sqlite3_column_int(st, 6), "loaded_at",
		             time_json(sqlite3_column_int64(st, 4))));
	sqlite3_reset(st);
	return arr;
}

json_t *
survey_store_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT slug, version, title, anonymous,"
	                               " hash, loaded_at, definition FROM"
	                               " surveys WHERE id = ?");
	json_t *o = NULL, *def;
	json_error_t err;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		def = json_loads(db_col_text(st, 6), 0, &err);
		o = json_pack("{s:I, s:s, s:I, s:s, s:b, s:s, s:o, s:o}", "id",
		              (json_int_t)id, "slug", db_col_text(st, 0),
		              "version", (json_int_t)sqlite3_column_int(st, 1),
		              "title", db_col_text(st, 2), "anonymous",
		              sqlite3_column_int(st, 3), "hash",
		              db_col_text(st, 4), "loaded_at",
		              time_json(sqlite3_column_int64(st, 5)),
		              "definition", def != NULL ? def : json_null());
	}
	sqlite3_reset(st);
	return o;
}
