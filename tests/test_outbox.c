/* The outbox: the due time of a queued message, every state transition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "db.h"
#include "outbox.h"

/* A practice id far from any time of day, so a mix-up cannot pass. */
#define PRACTICE 4242

static struct db *
open_db(void)
{
	struct db *db;
	char *cause = NULL;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(db_exec(db,
	                         "INSERT INTO practices (id, code, name,"
	                         " created_at) VALUES (4242, 'A1', 'A', 0)",
	                         &cause),
	                 0);
	return db;
}

static int64_t
col_int(struct db *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t v = -1;

	db_bind_int(st, 1, id);
	assert_int_equal(db_row_int(db, st, &v), 1);
	return v;
}

/* Issue 10 fault 10: a queued message is due now, not at the practice id. */
static void
test_queue_due_now(void **state)
{
	struct db *db = open_db();
	int64_t before = time(NULL), id, due, created;

	id = outbox_queue(db, PRACTICE, 0, "sms", "reply", "+447700900001",
	                  NULL, "hello", NULL);
	assert_true(id > 0);
	due = col_int(db, "SELECT next_attempt_at FROM outbox WHERE id = ?",
	              id);
	created =
	    col_int(db, "SELECT created_at FROM outbox WHERE id = ?", id);
	assert_int_not_equal(due, PRACTICE);
	assert_int_equal(due, created);
	assert_true(due >= before && due <= (int64_t)time(NULL));
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_due_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
