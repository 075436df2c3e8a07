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

static void
add_out(struct db *db, const char *state, int64_t settled, const char *pid)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO outbox (practice_id, channel, state, to_addr,"
	        " subject, body, body_html, next_attempt_at, created_at,"
	        " settled_at, provider_id) VALUES (1, 'email', ?1,"
	        " 'ann@example.org', 'Hello', 'Dear Ann', '<p>Dear Ann</p>', 0,"
	        " 0, ?2, ?3)");

	db_bind_text(st, 1, state);
	db_bind_int(st, 2, settled);
	db_bind_text(st, 3, pid);
	assert_int_equal(db_done(db, st), 0);
}

/* Settled outgoing messages lose their text and address after N days; the
 * row (state, provider id) stays; pending and recent ones are untouched. */
static void
test_purge_outbox(void **state)
{
	struct db *db;
	char *cause = NULL;
	sqlite3_stmt *st;
	int64_t day = 86400, now = 1000 * day;
	int i;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO practices (code, name, created_at)"
	            " VALUES ('A81001', 'R', 0)",
	            &cause),
	    0);
	add_out(db, "delivered", now - 91 * day, "P1");
	add_out(db, "failed", now - 200 * day, "P2");
	add_out(db, "pending", now - 91 * day, NULL);
	add_out(db, "delivered", now - 89 * day, "P4");
	/* Many more, past one slice of ids. */
	for (i = 0; i < RETENTION_SLICE + 10; i++)
		add_out(db, "sent", now - 100 * day, NULL);

	assert_int_equal(retention_purge_outbox(db, 90, now),
	                 2 + RETENTION_SLICE + 10);
	assert_int_equal(retention_purge_outbox(db, 90, now), 0);
	assert_int_equal(retention_purge_outbox(db, 0, now), 0);
	st = db_stmt(db, "SELECT state, provider_id, body, to_addr,"
	                 " subject IS NULL, body_html IS NULL FROM outbox"
	                 " WHERE id <= 4 ORDER BY id");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "delivered");
	assert_string_equal(db_col_text(st, 1), "P1");
	assert_string_equal(db_col_text(st, 2), "");
	assert_string_equal(db_col_text(st, 3), "");
	assert_int_equal(sqlite3_column_int(st, 4), 1);
	assert_int_equal(sqlite3_column_int(st, 5), 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 2), "");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "pending");
	assert_string_equal(db_col_text(st, 2), "Dear Ann");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 1), "P4");
	assert_string_equal(db_col_text(st, 2), "Dear Ann");
	assert_string_equal(db_col_text(st, 3), "ann@example.org");
	sqlite3_reset(st);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_purge),
	                                   cmocka_unit_test(test_purge_outbox)};
	return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
