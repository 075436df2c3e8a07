/*
 * Tests for template_store.c: versions saved in a real :memory: database,
 * never changed, the latest one read by template_load in place of the
 * shipped file (and the file again after a revert); and for
 * upload_store.c: an upload belongs to its user, practice and kind, and
 * lives an hour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "db.h"
#include "template.h"
#include "template_store.h"
#include "upload_store.h"

#define NOW 1767225600 /* 2026-01-01 */

struct fx {
	struct db *db;
	char dir[64];
};

static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char *cause = NULL, path[128];

	assert_int_equal(db_open(":memory:", &f->db, &cause), 0);
	assert_int_equal(db_migrate(f->db, 0, &cause), 0);
	if (db_exec(f->db,
	            "INSERT INTO practices (code, name, email_from,"
	            " created_at) VALUES ('A81001', 'Riverside',"
	            " 'ppg@a.example', 0);"
	            "INSERT INTO users (email, name, role,"
	            " created_at, updated_at) VALUES"
	            " ('a@x', 'A', 'admin', 0, 0),"
	            " ('b@x', 'B', 'admin', 0, 0);",
	            &cause) == -1)
		fail_msg("%s", cause);
	strcpy(f->dir, "/tmp/ppgd-tstore-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof path, "%s/sms", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/sms/news.txt", f->dir);
	put_file(path, "SHIPPED {{practice.name}}\n");
	template_store_attach(f->db);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char path[128];

	template_set_source(NULL, NULL);
	snprintf(path, sizeof path, "%s/sms/news.txt", f->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/sms", f->dir);
	rmdir(path);
	rmdir(f->dir);
	db_close(f->db);
	free(f);
	return 0;
}

static int64_t
count(struct db *db, const char *sql)
{
	return db_int(db, db_stmt(db, sql), -1);
}

/* The text template_load gives news rendered with sample values. */
static char *
loaded(struct fx *f)
{
	struct template *t = NULL;
	struct tvars *v = tvars_sample();
	struct rendered r = {0};
	char *cause = NULL, *text;

	assert_int_equal(template_load(f->dir, "news", TMPL_SMS, 3, &t, &cause),
	                 0);
	assert_int_equal(template_render(t, v, &r, &cause), 0);
	text = strdup(r.text);
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
	return text;
}

static void
test_save_and_revert(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, *text, *html, *s;
	int version;
	json_t *h;

	s = loaded(f);
	assert_non_null(strstr(s, "SHIPPED"));
	free(s);
	assert_int_equal(template_store_save(f->db, TMPL_SMS, "news",
	                                     "EDITED {{practice.name}}", NULL,
	                                     3, "web:a@x", NOW, &version,
	                                     &cause),
	                 0);
	assert_int_equal(version, 1);
	s = loaded(f);
	assert_non_null(strstr(s, "EDITED The Riverside"));
	free(s);
	/* The same text again: no new version. */
	assert_int_equal(template_store_save(f->db, TMPL_SMS, "news",
	                                     "EDITED {{practice.name}}", NULL,
	                                     3, "web:a@x", NOW, &version,
	                                     &cause),
	                 0);
	assert_int_equal(version, 1);
	assert_int_equal(template_store_save(
	                     f->db, TMPL_SMS, "news", "AGAIN {{practice.name}}",
	                     NULL, 3, "web:b@x", NOW + 1, &version, &cause),
	                 0);
	assert_int_equal(version, 2);
	assert_int_equal(template_store_revert(f->db, TMPL_SMS, "news",
	                                       "web:a@x", NOW + 2, &version,
	                                       &cause),
	                 0);
	assert_int_equal(version, 3);
	assert_int_equal(template_store_latest(f->db, TMPL_SMS, "news", &text,
	                                       &html, &version),
	                 0);
	s = loaded(f);
	assert_non_null(strstr(s, "SHIPPED"));
	free(s);
	assert_int_equal(template_store_revert(f->db, TMPL_SMS, "news",
	                                       "web:a@x", NOW + 3, &version,
	                                       &cause),
	                 -1);
	assert_string_equal(cause, "the template already is the shipped one");
	free(cause);
	h = template_store_history(f->db, TMPL_SMS, "news");
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(h, 1), "by")),
	    "web:b@x");
	assert_true(
	    json_is_false(json_object_get(json_array_get(h, 0), "edited")));
	json_decref(h);
	/* Audited: two saves, one revert. */
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit WHERE"
	                              " object = 'template:sms/news' AND"
	                              " action = 'template.save'"),
	                 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit WHERE"
	                              " object = 'template:sms/news' AND"
	                              " action = 'template.revert' AND"
	                              " actor = 'web:a@x'"),
	                 1);
}

static void
test_refused(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	int version = 0;

	assert_int_equal(template_store_save(f->db, TMPL_SMS, "news",
	                                     "Hi {{member.nickname}}", NULL, 3,
	                                     "web:a@x", NOW, &version, &cause),
	                 -1);
	assert_non_null(strstr(cause, "unknown placeholder"));
	free(cause);
	cause = NULL;
	assert_int_equal(template_store_save(f->db, TMPL_SMS, "../x", "Hi",
	                                     NULL, 3, "web:a@x", NOW, &version,
	                                     &cause),
	                 -1);
	free(cause);
	cause = NULL;
	/* An email's HTML part is checked too. */
	assert_int_equal(template_store_save(f->db, TMPL_EMAIL, "news",
	                                     "Subject: x\n\nHello\n",
	                                     "<p>{{nope}}</p>", 0, "web:a@x",
	                                     NOW, &version, &cause),
	                 -1);
	assert_non_null(strstr(cause, "HTML"));
	free(cause);
	assert_int_equal(version, 0);
}

static void
test_versions_immutable(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	int version;

	assert_int_equal(template_store_save(f->db, TMPL_SMS, "news",
	                                     "EDITED {{practice.name}}", NULL,
	                                     3, "web:a@x", NOW, &version,
	                                     &cause),
	                 0);
	assert_int_equal(
	    db_exec(f->db, "UPDATE template_versions SET text = 'x'", &cause),
	    -1);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    db_exec(f->db, "DELETE FROM template_versions", &cause), -1);
	free(cause);
}

static void
test_uploads(void **state)
{
	struct fx *f = *state;
	char token[23], *cause = NULL, *data, *name;
	size_t len;

	assert_int_equal(upload_put(f->db, 1, 1, "members-csv", "m.csv", "a\0b",
	                            3, NOW, token, &cause),
	                 0);
	assert_int_equal(strlen(token), 22);
	/* Another user, practice or kind: nothing. */
	assert_int_equal(upload_get(f->db, token, 2, 1, "members-csv", NOW,
	                            &data, &len, &name),
	                 0);
	assert_int_equal(upload_get(f->db, token, 1, 2, "members-csv", NOW,
	                            &data, &len, &name),
	                 0);
	assert_int_equal(
	    upload_get(f->db, token, 1, 1, "other", NOW, &data, &len, &name),
	    0);
	assert_int_equal(upload_get(f->db, token, 1, 1, "members-csv",
	                            NOW + UPLOAD_TTL, &data, &len, &name),
	                 0);
	assert_int_equal(upload_get(f->db, token, 1, 1, "members-csv", NOW + 60,
	                            &data, &len, &name),
	                 1);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\0b", 3);
	assert_string_equal(name, "m.csv");
	free(data);
	free(name);
	upload_drop(f->db, token);
	assert_int_equal(upload_get(f->db, token, 1, 1, "members-csv", NOW,
	                            &data, &len, &name),
	                 0);
	/* A user's next upload of a kind replaces the last; another
	 * user's stays. */
	assert_int_equal(upload_put(f->db, 2, 1, "members-csv", "b.csv", "b", 1,
	                            NOW, token, &cause),
	                 0);
	assert_int_equal(upload_put(f->db, 1, 1, "members-csv", "one.csv", "1",
	                            1, NOW, token, &cause),
	                 0);
	assert_int_equal(upload_put(f->db, 1, 1, "members-csv", "two.csv", "2",
	                            1, NOW + 1, token, &cause),
	                 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM admin_uploads"
	                              " WHERE name IN ('b.csv', 'two.csv')"),
	                 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM admin_uploads"), 2);
	/* An old upload is purged by the next one. */
	assert_int_equal(upload_put(f->db, 1, 1, "members-csv", "old.csv", "x",
	                            1, NOW, token, &cause),
	                 0);
	assert_int_equal(upload_put(f->db, 1, 1, "members-csv", "new.csv", "y",
	                            1, NOW + UPLOAD_TTL, token, &cause),
	                 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM admin_uploads"
	                              " WHERE name = 'old.csv'"),
	                 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM admin_uploads"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_save_and_revert, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_immutable, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_uploads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
