/* Storage: migrations from every earlier version, statements, backup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "schema.h"

static struct db *
open_mem(void)
{
	struct db *db;
	char *cause = NULL;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	return db;
}

/* The tables and columns of a database, as one comparable string. */
static char *
schema_dump(struct db *db)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT m.name || '.' || p.name || ':' || p.type || ','"
	                " FROM sqlite_schema m JOIN pragma_table_info(m.name) p"
	                " WHERE m.type = 'table' ORDER BY m.name, p.cid");
	size_t cap = 65536, len = 0;
	char *out = calloc(1, cap);

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		assert_true(len + strlen(s) + 1 < cap);
		strcpy(out + len, s);
		len += strlen(s);
	}
	sqlite3_reset(st);
	return out;
}

static void
test_fresh_is_latest(void **state)
{
	struct db *db = open_mem();
	char *cause = NULL;

	assert_int_equal(db_version(db), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(db_version(db), schema_latest());
	/* Migrating again is a no-op. */
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(db_version(db), schema_latest());
	db_close(db);
}

/* Every earlier version, with a row in it, upgrades to the same schema. */
static void
test_upgrade_from_every_version(void **state)
{
	struct db *ref = open_mem(), *db;
	char *cause = NULL, *want, *got;
	int v;

	assert_int_equal(db_migrate(ref, 0, &cause), 0);
	want = schema_dump(ref);
	for (v = 1; v < schema_latest(); v++) {
		db = open_mem();
		assert_int_equal(db_migrate(db, v, &cause), 0);
		assert_int_equal(db_version(db), v);
		assert_int_equal(
		    db_exec(db,
		            "INSERT INTO practices (code, name, created_at)"
		            " VALUES ('A1', 'Old', 1)",
		            &cause),
		    0);
		assert_int_equal(db_migrate(db, 0, &cause), 0);
		assert_int_equal(db_version(db), schema_latest());
		got = schema_dump(db);
		assert_string_equal(got, want);
		free(got);
		/* The data survives the upgrade. */
		sqlite3_stmt *st =
		    db_stmt(db, "SELECT name FROM practices WHERE code='A1'");
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(db_col_text(st, 0), "Old");
		sqlite3_reset(st);
		db_close(db);
	}
	free(want);
	db_close(ref);
}

static void
test_newer_schema_refused(void **state)
{
	struct db *db = open_mem();
	char *cause = NULL, *sql;

	sql = malloc(64);
	snprintf(sql, 64, "PRAGMA user_version=%d", schema_latest() + 1);
	assert_int_equal(db_exec(db, sql, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), -1);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	free(sql);
	db_close(db);
}

static void
test_stmt_cache_and_fk(void **state)
{
	struct db *db = open_mem();
	char *cause = NULL;
	sqlite3_stmt *a, *b;

	assert_int_equal(db_migrate(db, 0, &cause), 0);
	a = db_stmt(db, "SELECT 1");
	b = db_stmt(db, "SELECT 1");
	assert_ptr_equal(a, b);
	/* Foreign keys are enforced: a member needs a practice. */
	assert_int_equal(db_exec(db,
	                         "INSERT INTO members (practice_id, joined_at,"
	                         " created_at, updated_at) VALUES (99, 1,1,1)",
	                         &cause),
	                 -1);
	assert_non_null(strstr(cause, "FOREIGN KEY"));
	free(cause);
	db_close(db);
}

static void
test_backup(void **state)
{
	char dir[] = "/tmp/ppgd-test-XXXXXX", src[128], dst[128];
	struct db *db, *copy;
	char *cause = NULL;
	sqlite3_stmt *st;

	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/a.db", dir);
	snprintf(dst, sizeof dst, "%s/b.db", dir);
	assert_int_equal(db_open(src, &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO practices (code, name, created_at)"
	            " VALUES ('B1', 'Backed up', 1)",
	            &cause),
	    0);
	assert_int_equal(db_backup(db, dst, &cause), 0);
	assert_int_equal(db_open(dst, &copy, &cause), 0);
	assert_int_equal(db_version(copy), schema_latest());
	st = db_stmt(copy, "SELECT name FROM practices");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "Backed up");
	sqlite3_reset(st);
	db_close(copy);
	db_close(db);
	unlink(src);
	unlink(dst);
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", src);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", src);
	unlink(wal);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fresh_is_latest),
	    cmocka_unit_test(test_upgrade_from_every_version),
	    cmocka_unit_test(test_newer_schema_refused),
	    cmocka_unit_test(test_stmt_cache_and_fk),
	    cmocka_unit_test(test_backup),
	};
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
