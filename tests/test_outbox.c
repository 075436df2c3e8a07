/* The outbox: the due time of a queued message, every state transition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "outbox.h"
#include "xmalloc.h"

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
	due =
	    col_int(db, "SELECT next_attempt_at FROM outbox WHERE id = ?", id);
	created = col_int(db, "SELECT created_at FROM outbox WHERE id = ?", id);
	assert_int_not_equal(due, PRACTICE);
	assert_int_equal(due, created);
	assert_true(due >= before && due <= (int64_t)time(NULL));
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
}

/* The outbox state machine of DESIGN.md, written out once more. */
static int
expected_legal(enum outbox_state from, enum outbox_state to)
{
	static const char *const legal[] = {
	    "pending>sending", "pending>held",   "pending>cancelled",
	    "held>pending",    "held>cancelled", "sending>sent",
	    "sending>pending", "sending>failed", "sent>delivered",
	    "sent>failed",     "failed>pending", "cancelled>pending",
	};
	char pair[32];
	size_t i;

	snprintf(pair, sizeof pair, "%s>%s", outbox_strstate(from),
	         outbox_strstate(to));
	for (i = 0; i < sizeof legal / sizeof legal[0]; i++)
		if (strcmp(legal[i], pair) == 0)
			return 1;
	return 0;
}

static int64_t
row_in(struct db *db, enum outbox_state s)
{
	sqlite3_stmt *st;
	int64_t id = outbox_queue(db, PRACTICE, 0, "email", "campaign",
	                          "a@example.org", "s", "b", NULL);

	st = db_stmt(db, "UPDATE outbox SET state = ?2 WHERE id = ?1");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, outbox_strstate(s));
	assert_int_equal(db_done(db, st), 0);
	return id;
}

/*
 * Every (from, to) pair: a legal one moves the row, an illegal one is a bug
 * that stops the process (fatalx, here in a child) and changes nothing.
 */
static void
test_every_transition(void **state)
{
	struct db *db = open_db();
	enum outbox_state from, to;
	sqlite3_stmt *st;
	int64_t id;
	pid_t pid;
	int status, legal = 0;
	char *now_state;

	for (from = OB_PENDING; from <= OB_CANCELLED; from++) {
		for (to = OB_PENDING; to <= OB_CANCELLED; to++) {
			assert_int_equal(outbox_legal(from, to),
			                 expected_legal(from, to));
			id = row_in(db, from);
			if (!expected_legal(from, to)) {
				fflush(NULL);
				if ((pid = fork()) == 0) {
					/* Its fatal line is expected. */
					if (freopen("/dev/null", "w", stderr) ==
					    NULL)
						_exit(0);
					outbox_enter(db, id, from, to);
					_exit(0); /* not reached */
				}
				assert_true(pid > 0);
				assert_int_equal(waitpid(pid, &status, 0), pid);
				assert_true(WIFEXITED(status) &&
				            WEXITSTATUS(status) != 0);
				continue;
			}
			legal++;
			assert_int_equal(outbox_enter(db, id, from, to), 0);
			st = db_stmt(db, "SELECT state FROM outbox WHERE id=?");
			db_bind_int(st, 1, id);
			now_state = db_row_text(db, st);
			assert_string_equal(now_state, outbox_strstate(to));
			free(now_state);
			/* A row no longer in `from` is not moved again. */
			if (from != to)
				assert_int_equal(outbox_enter(db, id, from, to),
				                 -1);
		}
	}
	assert_int_equal(legal, 12);
	db_close(db);
}

static int64_t
count_in(struct db *db, const char *state)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT count(*) FROM outbox WHERE state = ?");

	db_bind_text(st, 1, state);
	return db_int(db, st, -1);
}

/* The bulk moves change only the rows in their from-states. */
static void
test_bulk_moves(void **state)
{
	struct db *db = open_db();
	enum outbox_state s;
	char *cause = NULL;
	int64_t id;
	int n;

	for (s = OB_PENDING; s <= OB_CANCELLED; s++)
		row_in(db, s);
	assert_int_equal(outbox_requeue_sending(db), 1);
	assert_int_equal(count_in(db, "sending"), 0);
	assert_int_equal(count_in(db, "pending"), 2);
	id = row_in(db, OB_PENDING);
	assert_int_equal(outbox_hold(db, id, "quiet hours", 100), 0);
	assert_int_equal(outbox_hold(db, id, "quiet hours", 100), -1);
	/* Only quiet-hours rows due by now are released. */
	assert_int_equal(outbox_release_quiet(db, 99), 0);
	assert_int_equal(outbox_release_quiet(db, 100), 1);
	assert_int_equal(outbox_cancel_optout(db, id, 5), 1);
	assert_int_equal(outbox_cancel_optout(db, id, 5), 0);
	assert_int_equal(outbox_retry(db, id, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(outbox_cancel(db, id, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	/* sent, delivered and failed rows stay as they are. */
	assert_int_equal(count_in(db, "sent"), 1);
	assert_int_equal(count_in(db, "delivered"), 1);
	assert_int_equal(count_in(db, "failed"), 1);
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
}

/*
 * A send's outcome moves a pending row (pending on disk while it was
 * sent) and records the attempt and the transport. A row cancelled or held
 * meanwhile is marked sent if it was sent (1), and otherwise keeps the
 * operator's decision (-1). Only moves other than outcomes change what the
 * dispatcher watches: rows that leave pending (the generation) and rows
 * that come back to it (the arrivals).
 */
static void
test_settle(void **state)
{
	struct db *db = open_db();
	int64_t p = row_in(db, OB_PENDING), c1 = row_in(db, OB_CANCELLED);
	int64_t c2 = row_in(db, OB_CANCELLED), sent = row_in(db, OB_SENT);
	struct outbox_outcome o = {"SM1", "", "", "twilio", 50, 50, 3};
	unsigned long gen = outbox_generation(), arr;

	assert_int_equal(outbox_settle(db, p, OB_SENT, &o), 0);
	assert_int_equal(col_int(db,
	                         "SELECT state='sent' AND attempts=3 AND"
	                         " transport='twilio' AND sent_at=50 AND"
	                         " provider_id='SM1' FROM outbox WHERE id=?",
	                         p),
	                 1);
	o.provider_id = "SM2";
	assert_int_equal(outbox_settle(db, c1, OB_SENT, &o), 1);
	assert_int_equal(col_int(db,
	                         "SELECT state='sent' AND held_reason IS NULL"
	                         " FROM outbox WHERE id=?",
	                         c1),
	                 1);
	o.provider_id = "";
	o.code = "451";
	assert_int_equal(outbox_settle(db, c2, OB_PENDING, &o), -1);
	assert_int_equal(outbox_settle(db, c2, OB_FAILED, &o), -1);
	assert_int_equal(count_in(db, "cancelled"), 1);
	/* Settled already. */
	assert_int_equal(outbox_settle(db, sent, OB_FAILED, &o), -1);
	assert_int_equal(outbox_generation(), gen);
	assert_int_equal(outbox_cancel(db, p, NULL, &(int){0}, &(char *){NULL}),
	                 0);
	assert_int_equal(outbox_generation(), gen);
	/* Back to pending: an arrival, not a departure. */
	arr = outbox_arrivals();
	assert_int_equal(outbox_retry(db, c2, NULL, &(int){0}, &(char *){NULL}),
	                 0);
	assert_int_equal(outbox_generation(), gen);
	assert_true(outbox_arrivals() != arr);
	assert_int_equal(
	    outbox_cancel(db, c2, NULL, &(int){0}, &(char *){NULL}), 0);
	assert_true(outbox_generation() != gen);
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
}

/* Temporary b-trees (OpenEphemeral) the statement's program opens. */
static int
ephemerals(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	char *explain = xasprintf("EXPLAIN %s", sql);
	int n = 0;

	assert_int_equal(
	    sqlite3_prepare_v2(db_handle(db), explain, -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		n += strcmp((const char *)sqlite3_column_text(st, 1),
		            "OpenEphemeral") == 0;
	sqlite3_finalize(st);
	free(explain);
	return n;
}

/*
 * The state CHECKs are comparisons: an IN list of more than two values
 * made SQLite build a temporary b-tree on every INSERT and UPDATE of an
 * outbox row (a quarter of a fire). A database opened after the migration
 * (as the daemon opens it after `ppgd init`) checks the same rule without.
 */
static void
test_state_check_cheap(void **state)
{
	char path[] = "/tmp/ppgd-outbox-XXXXXX", *cause = NULL, *wal;
	struct db *db;
	int fd = mkstemp(path);

	assert_true(fd != -1);
	close(fd);
	assert_int_equal(db_open(path, &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	db_close(db);
	assert_int_equal(db_open(path, &db, &cause), 0);
	assert_int_equal(
	    ephemerals(db, "INSERT INTO outbox (practice_id, channel, state,"
	                   " to_addr, body, next_attempt_at, created_at)"
	                   " VALUES (1, 'email', ?, 'a', '', 0, 0)"),
	    0);
	assert_int_equal(ephemerals(db, "UPDATE outbox SET state = ?"
	                                " WHERE id = ?"),
	                 0);
	assert_int_equal(
	    ephemerals(db, "INSERT INTO sms_sessions (member_id, response_id,"
	                   " state, expires_at, updated_at)"
	                   " VALUES (1, 1, ?, 0, 0)"),
	    0);
	/* The rule holds. */
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO practices (code, name, created_at)"
	            " VALUES ('A81001', 'A', 0);"
	            "INSERT INTO outbox (practice_id, channel, state, to_addr,"
	            " body, next_attempt_at, created_at)"
	            " VALUES (1, 'email', 'lost', 'a', '', 0, 0)",
	            &cause),
	    -1);
	assert_non_null(strstr(cause, "CHECK constraint failed"));
	free(cause);
	cause = NULL;
	assert_int_equal(db_exec(db, "PRAGMA integrity_check", &cause), 0);
	db_close(db);
	unlink(path);
	wal = xasprintf("%s-wal", path);
	unlink(wal);
	free(wal);
	wal = xasprintf("%s-shm", path);
	unlink(wal);
	free(wal);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_due_now),
	    cmocka_unit_test(test_every_transition),
	    cmocka_unit_test(test_bulk_moves),
	    cmocka_unit_test(test_settle),
	    cmocka_unit_test(test_state_check_cheap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
