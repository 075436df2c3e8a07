/* Tests for user.c, totp.c and scope.c: TOTP against RFC 6238's vectors,
 * the password rules, lockout backoff, sessions' timeouts and who may do
 * what where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "practice.h"
#include "scope.h"
#include "totp.h"
#include "user.h"

/* RFC 6238 appendix B, SHA-1: the 8-digit codes' last 6 digits. */
static void
test_totp_vectors(void **state)
{
	static const char secret[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	static const struct {
		int64_t t;
		int code;
	} v[] = {{59, 287082},
	         {1111111109, 81804},
	         {1111111111, 50471},
	         {1234567890, 5924},
	         {2000000000, 279037}};
	char b32[40];
	int64_t step;
	size_t i;

	(void)state;
	totp_base32((const unsigned char *)"12345678901234567890", 20, b32);
	assert_string_equal(b32, secret);
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(totp_code(secret, (uint64_t)(v[i].t / 30)),
		                 v[i].code);
	assert_true(totp_verify(secret, "005924", 1234567890, &step));
	assert_int_equal(step, 1234567890 / 30);
	/* One step of drift either way, not two. */
	assert_true(totp_verify(secret, "005924", 1234567890 + 30, &step));
	assert_false(totp_verify(secret, "005924", 1234567890 + 61, &step));
	assert_false(totp_verify(secret, "5924", 1234567890, &step));
	assert_false(totp_verify(secret, "00592a", 1234567890, &step));
	assert_int_equal(totp_code("not base32!", 1), -1);
}

static void
test_password_rules(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(user_password_ok("short", "a@b.example", "Al", &cause),
	                 -1);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    user_password_ok("Password123", "a@b.example", "Al", &cause), -1);
	assert_non_null(strstr(cause, "common"));
	free(cause);
	cause = NULL;
	assert_int_equal(user_password_ok("margaret-is-great", "mags@b.example",
	                                  "Margaret Jones", &cause),
	                 -1);
	free(cause);
	cause = NULL;
	assert_int_equal(user_password_ok("jonesy-riverside",
	                                  "jonesy@b.example", "X", &cause),
	                 -1);
	free(cause);
	cause = NULL;
	assert_int_equal(user_password_ok("correct horse battery staple",
	                                  "mags@b.example", "Margaret Jones",
	                                  &cause),
	                 0);
	assert_null(cause);
}

static struct db *
fixture(void)
{
	struct practice a = {.code = "A81001", .name = "Riverside"};
	struct practice b = {.code = "B82002", .name = "Hillside"};
	struct db *db;
	char *cause = NULL;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(practice_add(db, &a, &cause), 0);
	assert_int_equal(practice_add(db, &b, &cause), 0);
	return db;
}

static void
test_lockout_and_sessions(void **state)
{
	static const char *const a[] = {"A81001"};
	struct db *db = fixture();
	char *cause = NULL, tok[23];
	struct session s;
	int64_t id, got, wait, now = 1800000000;
	int i;

	(void)state;
	assert_int_equal(
	    user_add(db, "pm@a.example", "Pat", "manager", a, 1, &id, &cause),
	    0);
	/* No password yet: even an empty one fails. */
	assert_int_equal(user_login(db, "pm@a.example", "", now, &got, &wait),
	                 LOGIN_BAD);
	assert_int_equal(user_reset_link(db, id, now, tok, &cause), 0);
	assert_int_equal(
	    user_reset_use(db, tok, "correct horse battery", now, &cause), 0);
	assert_int_equal(
	    user_reset_use(db, tok, "correct horse battery", now, &cause), -1);
	free(cause);
	for (i = 0; i < USER_LOCK_AFTER; i++)
		assert_int_equal(
		    user_login(db, "pm@a.example", "wrong", now, &got, &wait),
		    LOGIN_BAD);
	assert_int_equal(user_login(db, "pm@a.example", "correct horse battery",
	                            now, &got, &wait),
	                 LOGIN_LOCKED);
	assert_int_equal(wait, 60);
	assert_int_equal(user_login(db, "pm@a.example", "correct horse battery",
	                            now + 61, &got, &wait),
	                 LOGIN_OK);
	assert_int_equal(got, id);

	assert_int_equal(session_new(db, id, 1, now, tok), 0);
	assert_int_equal(session_get(db, tok, now + 100, 1800, 43200, &s), 0);
	assert_int_equal(s.user_id, id);
	assert_int_equal(strlen(s.csrf), 22);
	/* Idle: 1800 s after the last use, not after sign-in. */
	assert_int_equal(session_get(db, tok, now + 1850, 1800, 43200, &s), 0);
	assert_int_equal(session_get(db, tok, now + 3700, 1800, 43200, &s), -1);
	assert_int_equal(session_new(db, id, 1, now, tok), 0);
	for (i = 1; i <= 30; i++)
		assert_int_equal(
		    session_get(db, tok, now + i * 1500, 1800, 43200, &s),
		    i * 1500 < 43200 ? 0 : -1);
	assert_int_equal(session_get(db, "short", now, 1800, 43200, &s), -1);
	/* Disabled: sessions end, and the password no longer works. */
	assert_int_equal(session_new(db, id, 1, now, tok), 0);
	assert_int_equal(user_disable(db, id, NULL, &cause), 0);
	assert_int_equal(session_get(db, tok, now + 1, 1800, 43200, &s), -1);
	assert_int_equal(user_login(db, "pm@a.example", "correct horse battery",
	                            now + 200, &got, &wait),
	                 LOGIN_BAD);
	db_close(db);
}

static void
test_scope(void **state)
{
	static const char *const a[] = {"A81001"};
	struct db *db = fixture();
	char *cause = NULL;
	struct user *u;
	int64_t id;

	(void)state;
	assert_int_equal(
	    user_add(db, "lead@a.example", "Lee", "lead", a, 1, &id, &cause),
	    0);
	u = user_load(db, id);
	assert_true(scope_allows(u, PERM_COUNTS, 1));
	assert_false(scope_allows(u, PERM_COUNTS, 2));
	assert_false(scope_allows(u, PERM_CONTACTS, 1));
	assert_false(scope_allows(u, PERM_ALERTS, 1));
	assert_true(scope_allows(u, PERM_MODERATE, 0));
	user_free(u);
	assert_int_equal(user_add(db, "root@ppg.example", "Ada", "admin", NULL,
	                          0, &id, &cause),
	                 0);
	u = user_load(db, id);
	assert_int_equal(u->npractices, 2);
	assert_true(scope_allows(u, PERM_USERS, 2));
	user_free(u);
	assert_int_equal(
	    user_add(db, "x@a.example", "X", "owner", a, 1, &id, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    user_add(db, "not-an-address", "X", "viewer", a, 1, &id, &cause),
	    -1);
	free(cause);
	db_close(db);
}

/* The enabled secret, read as the tests' seam. */
static const char *
user_totp_secret_for_test(struct db *db, int64_t id)
{
	static char s[64];
	sqlite3_stmt *st = db_stmt(db, "SELECT totp_secret FROM users WHERE"
	                               " id = ?");

	db_bind_int(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(s, sizeof s, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	return s;
}

/* The faults a review found: an email starting with a digit named user 1;
 * a second enrolment replaced an enabled factor; codes could be guessed
 * without limit. */
static void
test_review_faults(void **state)
{
	static const char *const a[] = {"A81001"};
	struct db *db = fixture();
	char *cause = NULL, secret[40], code[12];
	int64_t admin, rec, now = 1800000000;
	struct user *u;
	int i;

	(void)state;
	assert_int_equal(user_add(db, "root@ppg.example", "Ada", "admin", NULL,
	                          0, &admin, &cause),
	                 0);
	assert_int_equal(user_add(db, "1st.reception@a.example", "Rec",
	                          "viewer", a, 1, &rec, &cause),
	                 0);
	u = user_find(db, "1st.reception@a.example");
	assert_non_null(u);
	assert_int_equal(u->id, rec);
	user_free(u);
	u = user_find(db, "1");
	assert_int_equal(u->id, admin);
	user_free(u);
	u = user_find(db, "#2");
	assert_int_equal(u->id, rec);
	user_free(u);

	assert_int_equal(user_totp_begin(db, admin, secret), 0);
	snprintf(code, sizeof code, "%06d",
	         totp_code(secret, (uint64_t)(now / 30)));
	assert_int_equal(user_totp_confirm(db, admin, code, now), 1);
	/* A new secret cannot replace it through enrolment. */
	assert_int_equal(user_totp_begin(db, admin, secret), 0);
	snprintf(code, sizeof code, "%06d",
	         totp_code(secret, (uint64_t)(now / 30 + 1)));
	assert_int_equal(user_totp_confirm(db, admin, code, now + 30), 0);

	/* Five wrong codes lock the account: the right one then fails too. */
	free(user_totp_pending(db, admin));
	for (i = 0; i < USER_LOCK_AFTER; i++)
		assert_int_equal(user_totp_check(db, admin, "000000", now + 60),
		                 0);
	snprintf(code, sizeof code, "%06d",
	         totp_code(user_totp_secret_for_test(db, admin),
	                   (uint64_t)((now + 60) / 30)));
	assert_int_equal(user_totp_check(db, admin, code, now + 60), 0);
	/* After the lock, the right code works (once). */
	snprintf(code, sizeof code, "%06d",
	         totp_code(user_totp_secret_for_test(db, admin),
	                   (uint64_t)((now + 200) / 30)));
	assert_int_equal(user_totp_check(db, admin, code, now + 200), 1);
	assert_int_equal(user_totp_check(db, admin, code, now + 200), 0);
	db_close(db);
}

/* Who may change whom (scope_user_*), and what user.c keeps for every
 * face: the last active admin, a practice for a non-admin. */
static void
test_manage_users(void **state)
{
	static const char *const a[] = {"A81001"}, *const b[] = {"B82002"},
	                         *const ab[] = {"A81001", "B82002"};
	struct db *db = fixture();
	char *cause = NULL;
	int64_t root, pm, own, other, both;
	struct user *m, *r, *t;
	int64_t ids_a[] = {1}, ids_b[] = {2};

	(void)state;
	assert_int_equal(user_add(db, "root@x.example", "Ada", "admin", NULL, 0,
	                          &root, &cause),
	                 0);
	assert_int_equal(
	    user_add(db, "pm@a.example", "Pat", "manager", a, 1, &pm, &cause),
	    0);
	assert_int_equal(
	    user_add(db, "own@a.example", "Own", "lead", a, 1, &own, &cause),
	    0);
	assert_int_equal(
	    user_add(db, "oth@b.example", "Oth", "lead", b, 1, &other, &cause),
	    0);
	assert_int_equal(user_add(db, "both@b.example", "Both", "lead", ab, 2,
	                          &both, &cause),
	                 0);
	m = user_load(db, pm);
	r = user_load(db, root);
	t = user_load(db, own);
	assert_true(scope_user_visible(m, t) && scope_user_manage(m, t));
	user_free(t);
	t = user_load(db, other);
	assert_false(scope_user_visible(m, t));
	assert_false(scope_user_manage(m, t));
	assert_true(scope_user_manage(r, t));
	user_free(t);
	t = user_load(db, both);
	assert_true(scope_user_visible(m, t));
	assert_false(scope_user_manage(m, t));
	user_free(t);
	assert_true(scope_user_visible(m, r));
	assert_false(scope_user_manage(m, r));
	assert_true(scope_user_grant(m, ROLE_MANAGER, ids_a, 1));
	assert_false(scope_user_grant(m, ROLE_LEAD, ids_b, 1));
	assert_false(scope_user_grant(m, ROLE_ADMIN, NULL, 0));
	assert_true(scope_user_grant(r, ROLE_ADMIN, NULL, 0));
	user_free(m);
	user_free(r);

	/* The last active admin is neither disabled nor demoted. */
	assert_int_equal(user_disable(db, root, NULL, &cause), -1);
	assert_non_null(strstr(cause, "last active admin"));
	free(cause);
	cause = NULL;
	assert_int_equal(user_update(db, root, "manager", a, 1, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(user_update(db, pm, "admin", NULL, 0, &cause), 0);
	assert_int_equal(user_update(db, root, "viewer", a, 1, &cause), 0);
	assert_int_equal(user_admins_active(db, 0), 1);
	/* A non-admin needs a practice; the practices given replace. */
	assert_int_equal(user_update(db, own, "lead", a, 0, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(user_update(db, own, NULL, b, 1, &cause), 0);
	t = user_load(db, own);
	assert_int_equal(t->npractices, 1);
	assert_int_equal(t->practices[0], 2);
	assert_int_equal(t->role, ROLE_LEAD);
	user_free(t);
	/* Enable only what is disabled; unlock forgets the failures. */
	assert_int_equal(user_enable(db, own, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(user_disable(db, own, NULL, &cause), 0);
	assert_int_equal(user_enable(db, own, &cause), 0);
	assert_int_equal(db_exec(db,
	                         "UPDATE users SET failed = 7, locked_until ="
	                         " 4000000000, totp_enabled = 1, totp_secret ="
	                         " 'X' WHERE email = 'own@a.example'",
	                         &cause),
	                 0);
	assert_int_equal(user_unlock(db, own, &cause), 0);
	assert_int_equal(user_totp_reset(db, own, &cause), 0);
	t = user_load(db, own);
	assert_int_equal(t->failed, 0);
	assert_int_equal(t->locked_until, 0);
	assert_int_equal(t->totp_enabled, 0);
	user_free(t);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_totp_vectors),
	    cmocka_unit_test(test_password_rules),
	    cmocka_unit_test(test_lockout_and_sessions),
	    cmocka_unit_test(test_scope),
	    cmocka_unit_test(test_review_faults),
	    cmocka_unit_test(test_manage_users),
	};

	return cmocka_run_group_tests_name("user", tests, NULL, NULL);
}
