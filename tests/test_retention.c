/* Retention: old raw inbound payloads are purged, recent ones kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db.h"
#include "retention.h"

static void
test_purge(void **state)
{
	struct db *db;
	char *cause = NULL;
	sqlite3_stmt *st;
	int64_t day = 86400, now = 1000 * day;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	st = db_stmt(db, "INSERT INTO inbound (provider, provider_msg_id,"
	                 " received_at, channel, from_addr, body, raw,"
	                 " disposition) VALUES ('twilio', ?1, ?2, 'sms',"
	                 " '+447700900001', 'my answer', 'raw=1', 'answer')");
	db_bind_text(st, 1, "old");
	db_bind_int(st, 2, now - 91 * day);
	assert_int_equal(db_done(db, st), 0);
	st = db_stmt(db, "INSERT INTO inbound (provider, provider_msg_id,"
	                 " received_at, channel, from_addr, body, raw,"
	                 " disposition) VALUES ('twilio', ?1, ?2, 'sms',"
	                 " '+447700900001', 'my answer', 'raw=1', 'answer')");
	db_bind_text(st, 1, "new");
	db_bind_int(st, 2, now - 89 * day);
	assert_int_equal(db_done(db, st), 0);

	assert_int_equal(retention_purge(db, 90, now), 1);
	/* Twice changes nothing more. */
	assert_int_equal(retention_purge(db, 90, now), 0);
	st = db_stmt(db, "SELECT provider_msg_id, body IS NULL, raw IS NULL,"
	                 " from_addr IS NULL, disposition FROM inbound"
	                 " ORDER BY id");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "old");
	assert_int_equal(sqlite3_column_int(st, 1), 1);
	assert_int_equal(sqlite3_column_int(st, 2), 1);
	assert_int_equal(sqlite3_column_int(st, 3), 1);
	assert_string_equal(db_col_text(st, 4), "answer");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "new");
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	sqlite3_reset(st);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_purge)};
	return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
