/*
 * Join requests, the welcome and the agreement on a real SQLite: checks of
 * every field, codes with limited attempts, approval, purging, joins by
 * source, one welcome whoever asks, the agreement file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agreement.h"
#include "campaign_fixture.h"
#include "crypto.h"
#include "join.h"
#include "welcome.h"
#include "xmalloc.h"

static const struct join_form good = {
    .first_name = "Amira",
    .last_name = "Okafor",
    .email = "Amira@Example.org",
    .consent_email = "yes",
    .age_band = "25-34",
    .sex = "female",
    .source = "waiting-room",
};

static void
test_check_fields(void **state)
{
	struct join_errors e;
	struct join_form f = good;

	join_check(&f, FX_NOON, &e);
	assert_int_equal(e.n, 0);
	f.first_name = "";
	f.email = "nope";
	f.consent_email = NULL;
	f.mobile = "01632 960000"; /* a landline */
	f.dob = "30/02/1990";
	f.carer = "perhaps";
	join_check(&f, FX_NOON, &e);
	assert_int_equal(e.n, 7);
	assert_non_null(e.msg[JF_FIRST_NAME]);
	assert_non_null(e.msg[JF_EMAIL]);
	assert_non_null(e.msg[JF_CONSENT_EMAIL]);
	assert_non_null(e.msg[JF_MOBILE]);
	assert_non_null(e.msg[JF_DOB]);
	assert_non_null(e.msg[JF_CARER]);
	assert_non_null(e.msg[JF_CONSENT_SMS]); /* a number, no consent */
	f = good;
	f.email = NULL;
	join_check(&f, FX_NOON, &e);
	assert_non_null(e.msg[JF_CONTACT]);
	f = good;
	f.dob = "11/06/2010"; /* 15 on 2026-06-10 */
	join_check(&f, FX_NOON, &e);
	assert_non_null(strstr(e.msg[JF_DOB], "16 or over"));
	f.dob = "10/06/2010"; /* 16 that day */
	join_check(&f, FX_NOON, &e);
	assert_int_equal(e.n, 0);
}

static void
test_source(void **state)
{
	assert_string_equal(join_source("waiting-room"), "waiting-room");
	assert_string_equal(join_source(NULL), "direct");
	assert_string_equal(join_source("<b>"), "direct");
	assert_string_equal(join_source("Upper"), "direct");
}

static int64_t
req_state(struct db *db, int64_t id, const char *col)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT state, email IS NULL,"
	                               " data IS NULL FROM join_requests"
	                               " WHERE id=?1");
	int64_t v = -1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = strcmp(col, "null") == 0
		        ? sqlite3_column_int(st, 1) + sqlite3_column_int(st, 2)
		        : strcmp(db_col_text(st, 0), col) == 0;
	sqlite3_reset(st);
	return v;
}

/* Replace a request's code with a known one; the handle in ref. */
static void
known_code(struct db *db, int64_t id, const char *code, char ref[23])
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE join_requests SET code_hash=?2,"
	                               " ref_hash=?3 WHERE id=?1");
	char h1[65], h2[65];

	assert_int_equal(crypto_token_new(ref), 0);
	crypto_token_hash(code, h1);
	crypto_token_hash(ref, h2);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, h1);
	db_bind_text(st, 3, h2);
	assert_int_equal(db_done(db, st), 0);
}

static void
test_code_attempts(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[join]\ncode_attempts = 3\n");
	struct join_form f = good;
	struct join_next n;
	char *cause = NULL, ref[23];
	int left;

	f.email = NULL;
	f.consent_email = NULL;
	f.mobile = "07700 900123";
	f.consent_sms = "yes";
	assert_int_equal(join_submit(db, cfg, 1, &f, NULL, FX_NOON, &n, &cause),
	                 0);
	assert_true(n.sms && !n.email && n.request_id > 0);
	/* The code went out by SMS, stored only as a hash. */
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " channel='sms' AND to_addr="
	                              "'+447700900123'"),
	                 1);
	known_code(db, n.request_id, "123456", ref);
	assert_int_equal(
	    join_confirm_code(db, cfg, ref, "654321", FX_NOON, &left),
	    JC_WRONG);
	assert_int_equal(left, 2);
	assert_int_equal(
	    join_confirm_code(db, cfg, ref, "12345", FX_NOON, &left), JC_WRONG);
	assert_int_equal(
	    join_confirm_code(db, cfg, ref, "000000", FX_NOON, &left),
	    JC_LOCKED);
	assert_int_equal(
	    join_confirm_code(db, cfg, ref, "123456", FX_NOON, &left),
	    JC_LOCKED);
	assert_int_equal(req_state(db, n.request_id, "unconfirmed"), 1);
	/* A YES reply still confirms the number. */
	assert_int_equal(join_confirm_mobile(db, cfg, n.request_id, FX_NOON),
	                 JC_CONFIRMED);
	assert_int_equal(req_state(db, n.request_id, "pending"), 1);
	config_free(cfg);
	db_close(db);
}

static void
test_approve_and_welcome(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[membership]\nwelcome_window = 365d\n");
	struct join_form f = good;
	struct join_next n;
	char *cause = NULL, ref[23];
	int64_t member = 0;
	int left;

	f.mobile = "07700 900124";
	f.consent_sms = "yes";
	assert_int_equal(join_submit(db, cfg, 1, &f, "3", FX_NOON, &n, &cause),
	                 0);
	known_code(db, n.request_id, "111111", ref);
	assert_int_equal(
	    join_approve(db, cfg, n.request_id, NULL, "cli", &member, &cause),
	    -1); /* not confirmed yet */
	assert_non_null(strstr(cause, "unconfirmed"));
	free(cause);
	assert_int_equal(
	    join_confirm_code(db, cfg, ref, "111-111", FX_NOON, &left),
	    JC_CONFIRMED);
	assert_int_equal(join_approve(db, cfg, n.request_id, "EMIS-9", "cli",
	                              &member, &cause),
	                 0);
	/* Only the confirmed mobile is kept; the email was never confirmed. */
	assert_int_equal(fx_count(db, "SELECT count(*) FROM members WHERE"
	                              " email IS NULL AND mobile="
	                              "'+447700900124' AND external_ref="
	                              "'EMIS-9' AND confidentiality_version='3'"
	                              " AND preferred_channel='sms'"),
	                 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='welcome'"),
	                 1);
	/* Once, whoever asks again. */
	assert_int_equal(welcome_queue(db, cfg, member, FX_NOON), 0);
	assert_int_equal(welcome_sweep(db, cfg, FX_NOON, NULL), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='welcome'"),
	                 1);
	/* A second request with the same mobile, approved with a new
	 * reference, is still a duplicate of that member. */
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO join_requests (practice_id, state,"
	            " via, mobile, data, mobile_confirmed_at,"
	            " created_at, expires_at) VALUES (1, 'pending',"
	            " 'sms', '+447700900124', '{}', 1, 1, 2)",
	            &(char *){NULL}),
	    0);
	assert_int_equal(join_approve(db, cfg, db_last_id(db), "EMIS-10", "cli",
	                              &member, &cause),
	                 -1);
	assert_non_null(strstr(cause, "matches an existing member"));
	free(cause);
	/* The same person again: told, nothing stored. */
	assert_int_equal(join_submit(db, cfg, 1, &f, NULL, FX_NOON, &n, &cause),
	                 0);
	assert_int_equal(n.request_id, 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " to_addr='+447700900124' AND body LIKE"
	                              " '%already a member%'"),
	                 1);
	config_free(cfg);
	db_close(db);
}

/* The shipped welcome reads well for a practice with no phone. */
static void
test_welcome_without_phone(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[membership]\nwelcome_window = 30d\n");
	struct fx_member m = {.first = "Ann",
	                      .email = "ann@example.org",
	                      .consent_email = 1,
	                      .carer = -1,
	                      .disability = -1};

	assert_int_equal(
	    db_exec(db, "UPDATE practices SET phone=''", &(char *){NULL}), 0);
	fx_member_add(db, &m);
	assert_int_equal(db_exec(db, "UPDATE members SET joined_at=1781000000",
	                         &(char *){NULL}),
	                 0);
	assert_int_equal(welcome_sweep(db, cfg, FX_NOON, NULL), 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='welcome' AND body LIKE"
	                              " '%please call the practice and ask%'"),
	                 1);
	config_free(cfg);
	db_close(db);
}

/* A welcome template that cannot be rendered (here: one that needs the
 * phone, which the practice has not given) must not undo an approval,
 * nor stop the sweep; the welcome goes once it can. */
static void
test_welcome_unrenderable(void **state)
{
	char dir[] = "/tmp/ppgd-tmpl-XXXXXX", path[64], *cause = NULL;
	struct db *db = fx_db();
	struct config *cfg;
	struct fx_member m = {.first = "Ann",
	                      .email = "ann@example.org",
	                      .consent_email = 1,
	                      .carer = -1,
	                      .disability = -1};
	int64_t member = 0;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/email", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/email/welcome.txt", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("Subject: Welcome\n\nCall {{practice.phone}}.\n", fp);
	fclose(fp);
	cfg = fx_config_templates(dir, "[membership]\nwelcome_window = 30d\n");
	assert_int_equal(
	    db_exec(db, "UPDATE practices SET phone=''", &(char *){NULL}), 0);
	fx_member_add(db, &m);
	assert_int_equal(db_exec(db, "UPDATE members SET joined_at=1781000000",
	                         &(char *){NULL}),
	                 0);
	assert_int_equal(welcome_sweep(db, cfg, FX_NOON, NULL), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM welcomes"), 0);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO join_requests (practice_id, state, via, email,"
	            " data, email_confirmed_at, created_at, expires_at) VALUES"
	            " (1, 'pending', 'web', 'bo@example.org',"
	            " '{\"first_name\":\"Bo\"}', 1, 1, 2)",
	            &(char *){NULL}),
	    0);
	assert_int_equal(
	    join_approve(db, cfg, db_last_id(db), NULL, "cli", &member, &cause),
	    0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM members WHERE"
	                              " email='bo@example.org'"),
	                 1);
	assert_int_equal(db_exec(db,
	                         "UPDATE practices SET phone='0161 496 0000'",
	                         &(char *){NULL}),
	                 0);
	assert_int_equal(welcome_sweep(db, cfg, FX_NOON, NULL), 2);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='welcome' AND body LIKE"
	                              " '%0161 496 0000%'"),
	                 2);
	unlink(path);
	snprintf(path, sizeof path, "%s/email", dir);
	rmdir(path);
	rmdir(dir);
	config_free(cfg);
	db_close(db);
}

static void
test_welcome_sweep_window(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[membership]\nwelcome_window = 30d\n");
	struct fx_member m = {.first = "Old",
	                      .email = "old@example.org",
	                      .consent_email = 1,
	                      .carer = -1,
	                      .disability = -1};
	int64_t old = fx_member_add(db, &m), recent;

	m.first = "New";
	m.email = "new@example.org";
	recent = fx_member_add(db, &m);
	assert_int_equal(
	    db_exec(db, "UPDATE members SET joined_at=1781000000 WHERE id=2",
	            &(char *){NULL}),
	    0);
	assert_int_equal(welcome_sweep(db, cfg, FX_NOON, NULL), 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='welcome' AND to_addr="
	                              "'new@example.org'"),
	                 1);
	/* The member who joined long ago is marked, not welcomed. */
	assert_int_equal(fx_count(db, "SELECT count(*) FROM welcomes WHERE"
	                              " outbox_id IS NULL"),
	                 1);
	assert_int_equal(welcome_sweep(db, cfg, FX_NOON, NULL), 0);
	/* With a cursor, a member added later is still found. */
	{
		int64_t cursor = 0, later;

		assert_int_equal(welcome_sweep(db, cfg, FX_NOON, &cursor), 0);
		m.first = "Later";
		m.email = "later@example.org";
		later = fx_member_add(db, &m);
		assert_int_equal(
		    db_exec(db,
		            "UPDATE members SET joined_at=1781000000"
		            " WHERE first_name='Later'",
		            &(char *){NULL}),
		    0);
		assert_int_equal(welcome_sweep(db, cfg, FX_NOON, &cursor), 1);
		assert_int_equal(cursor, later);
		assert_int_equal(welcome_sweep(db, cfg, FX_NOON, &cursor), 0);
	}
	(void)old;
	(void)recent;
	config_free(cfg);
	db_close(db);
}

static void
test_purge_and_sources(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct join_form f = good;
	struct join_next n1, n2;
	char *cause = NULL;
	int64_t member;
	json_t *s;

	assert_int_equal(
	    join_submit(db, cfg, 1, &f, NULL, FX_NOON, &n1, &cause), 0);
	f.email = "second@example.org";
	assert_int_equal(
	    join_submit(db, cfg, 1, &f, NULL, FX_NOON, &n2, &cause), 0);
	assert_int_equal(join_confirm_mobile(db, cfg, n2.request_id, FX_NOON),
	                 JC_CONFIRMED);
	assert_int_equal(
	    join_approve(db, cfg, n2.request_id, NULL, "cli", &member, &cause),
	    -1); /* confirmed by mobile, but it has no mobile */
	free(cause);
	assert_int_equal(
	    db_exec(db,
	            "UPDATE join_requests SET email_confirmed_at=1,"
	            " mobile_confirmed_at=NULL WHERE id=2",
	            &(char *){NULL}),
	    0);
	assert_int_equal(
	    join_approve(db, cfg, n2.request_id, NULL, "cli", &member, &cause),
	    0);
	/* join_approve reads the wall clock: put the decision at FX_NOON. */
	assert_int_equal(
	    db_exec(db,
	            "UPDATE join_requests SET decided_at=1781089200"
	            " WHERE id=2",
	            &(char *){NULL}),
	    0);
	/* Not yet expired: nothing purged. */
	assert_int_equal(join_purge(db, 90, FX_NOON + 3600), 0);
	assert_int_equal(join_purge(db, 90, FX_NOON + 3 * FX_DAY), 1);
	assert_int_equal(req_state(db, n1.request_id, "expired"), 1);
	assert_int_equal(req_state(db, n1.request_id, "null"), 2);
	assert_int_equal(req_state(db, n2.request_id, "null"), 0);
	s = join_sources(db, 1, FX_NOON - FX_DAY, FX_NOON + FX_DAY);
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(json_object_get(s, "age_band"), "25-34"),
	        "waiting-room")),
	    1);
	json_decref(s);
	/* After the retention period the approved request loses its data. */
	assert_int_equal(join_purge(db, 90, FX_NOON + 91 * FX_DAY), 1);
	assert_int_equal(req_state(db, n2.request_id, "null"), 2);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM members WHERE"
	                              " email='second@example.org'"),
	                 1);
	config_free(cfg);
	db_close(db);
}

static void
test_agreement_file(void **state)
{
	char path[] = "/tmp/ppgd-agreement-XXXXXX", *conf, *cause = NULL;
	int fd = mkstemp(path);
	struct config *cfg;
	struct agreement a;

	assert_true(fd != -1);
	assert_true(write(fd, "Version: 2024-1\n\nKeep it private.\n", 34) ==
	            34);
	close(fd);
	conf = xasprintf("[membership]\nconfidentiality_file = %s\n", path);
	cfg = fx_config(conf);
	assert_int_equal(agreement_load(cfg, &a, &cause), 1);
	assert_string_equal(a.version, "2024-1");
	assert_string_equal(a.text, "Keep it private.");
	agreement_clear(&a);
	assert_true(agreement_current(cfg, "2024-1"));
	assert_false(agreement_current(cfg, "2023-1"));
	assert_false(agreement_current(cfg, NULL));
	config_free(cfg);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, "no version\n", 11) == 11);
	close(fd);
	cfg = fx_config(conf);
	assert_int_equal(agreement_load(cfg, &a, &cause), -1);
	assert_non_null(strstr(cause, "Version: V"));
	free(cause);
	config_free(cfg);
	free(conf);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_fields),
	    cmocka_unit_test(test_source),
	    cmocka_unit_test(test_code_attempts),
	    cmocka_unit_test(test_approve_and_welcome),
	    cmocka_unit_test(test_welcome_sweep_window),
	    cmocka_unit_test(test_welcome_without_phone),
	    cmocka_unit_test(test_welcome_unrenderable),
	    cmocka_unit_test(test_purge_and_sources),
	    cmocka_unit_test(test_agreement_file),
	};
	return cmocka_run_group_tests_name("join", tests, NULL, NULL);
}
