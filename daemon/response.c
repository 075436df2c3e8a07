/* Survey responses and their answers. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "response.h"
#include "xmalloc.h"

struct answer_set {
	char **keys, **values;
	size_t n;
};

struct answer_set *
answer_set_new(void)
{
	return xcalloc(1, sizeof(struct answer_set));
}

void
answer_set_free(struct answer_set *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->keys[i]);
		free(a->values[i]);
	}
	free(a->keys);
	free(a->values);
	free(a);
}

void
answer_set_put(struct answer_set *a, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (strcmp(a->keys[i], key) == 0) {
			free(a->values[i]);
			a->values[i] = xstrdup(value);
			return;
		}
	}
	a->keys = xreallocarray(a->keys, a->n + 1, sizeof *a->keys);
	a->values = xreallocarray(a->values, a->n + 1, sizeof *a->values);
	a->keys[a->n] = xstrdup(key);
	a->values[a->n++] = xstrdup(value);
}

const char *
answer_set_lookup(void *arg, const char *key)
{
	struct answer_set *a = arg;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->keys[i], key) == 0)
			return a->values[i];
	return NULL;
}

struct answer_set *
answer_set_load(struct db *db, int64_t response_id)
{
	struct answer_set *a = answer_set_new();
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT question, group_concat(value, ',') FROM (SELECT"
	                " question, value FROM answers WHERE response_id=?1"
	                " ORDER BY question, num, value) GROUP BY question");

	db_bind_int(st, 1, response_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		answer_set_put(a, db_col_text(st, 0), db_col_text(st, 1));
	sqlite3_reset(st);
	return a;
}

static int
answer_row(struct db *db, int64_t response_id, const char *key,
           const char *value, int numeric)
{
	sqlite3_stmt *st =
	    db_stmt(db, "INSERT OR IGNORE INTO answers (response_id, question,"
	                " value, num) VALUES (?1, ?2, ?3,"
	                " CASE WHEN ?4 THEN CAST(?3 AS REAL) END)");

	db_bind_int(st, 1, response_id);
	db_bind_text(st, 2, key);
	db_bind_text(st, 3, value);
	db_bind_int(st, 4, numeric);
	return db_done(db, st);
}

int
response_add_answer(struct db *db, int64_t response_id,
                    const struct question *q, const char *normalised)
{
	char *copy, *tok, *save = NULL;
	int rv = 0;

	if (normalised == NULL)
		return 0;
	if (q->type == Q_TEXT)
		return answer_row(db, response_id, q->key, normalised, 0);
	if (!(q->type == Q_CHOICE && q->multiple))
		return answer_row(db, response_id, q->key, normalised, 1);
	copy = xstrdup(normalised);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rv == 0;
	     tok = strtok_r(NULL, ",", &save))
		rv = answer_row(db, response_id, q->key, tok, 1);
	free(copy);
	return rv;
}

struct survey *
response_survey(struct db *db, int64_t survey_id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT definition FROM surveys WHERE id=?1");
	struct survey *s = NULL;
	json_t *j = NULL;
	json_error_t jerr;
	char *cause = NULL;

	db_bind_int(st, 1, survey_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_loads(db_col_text(st, 0), 0, &jerr);
	sqlite3_reset(st);
	if (j == NULL)
		return NULL;
	if (survey_from_json(j, &s, &cause) == -1) {
		log_warnx("event=survey id=%lld error=\"%s\"",
		          (long long)survey_id, cause);
		free(cause);
		s = NULL;
	}
	json_decref(j);
	return s;
}
