/* SMS conversations: keywords, the FFT survey by text, expiry, care words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "practice.h"
#include "smsconv.h"
#include "survey.h"
#include "xmalloc.h"

#define ANN     "+447700900123"
#define OURS    "+447700900000"
#define CLOSING "Thank you. We read every comment"

struct fx {
	struct db *db;
	struct config *cfg;
	int64_t member;
	int64_t survey;
	int64_t now;
};

static int64_t
insert(struct db *db, const char *sql, const char *t1, int64_t i2, int64_t i3)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	db_bind_text(st, 1, t1);
	db_bind_int(st, 2, i2);
	db_bind_int(st, 3, i3);
	assert_int_equal(db_done(db, st), 0);
	return db_last_id(db);
}

static int64_t
load_fft(struct db *db)
{
	struct survey *s = NULL;
	char *errors = NULL, *def;
	sqlite3_stmt *st;

	assert_int_equal(survey_load_file("surveys/fft.yaml", &s, &errors), 0);
	def = survey_dumps(s);
	st = db_stmt(db, "INSERT INTO surveys (slug, version, title, anonymous,"
	                 " definition, hash, loaded_at) VALUES"
	                 " (?1, 1, ?2, 1, ?3, ?4, 0)");
	db_bind_text(st, 1, s->slug);
	db_bind_text(st, 2, s->title);
	db_bind_text(st, 3, def);
	db_bind_text(st, 4, s->hash);
	assert_int_equal(db_done(db, st), 0);
	free(def);
	survey_free(s);
	return db_last_id(db);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char *cause = NULL, *errors = NULL;
	struct practice p = {.code = "A81001",
	                     .name = "Riverside Surgery",
	                     .sms_from = OURS,
	                     .phone = "01632 960000"};

	assert_int_equal(config_load(NULL, &f->cfg, &errors), 0);
	assert_int_equal(db_open(":memory:", &f->db, &cause), 0);
	assert_int_equal(db_migrate(f->db, 0, &cause), 0);
	assert_int_equal(practice_add(f->db, &p, &cause), 0);
	f->member =
	    insert(f->db,
	           "INSERT INTO members (practice_id, first_name, mobile,"
	           " preferred_channel, joined_at, created_at,"
	           " updated_at) VALUES (1, 'Ann', ?1, 'sms', ?2, ?2,"
	           " ?2 + 0 * ?3)",
	           ANN, 1000, 0);
	f->survey = load_fft(f->db);
	f->now = time(NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	db_close(f->db);
	config_free(f->cfg);
	free(f);
	return 0;
}

/* Run sql with integers bound to ?1..?3; the new row id. */
static int64_t
exec3(struct db *db, const char *sql, int64_t a, int64_t b, int64_t c)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	db_bind_int(st, 1, a);
	db_bind_int(st, 2, b);
	db_bind_int(st, 3, c);
	assert_int_equal(db_done(db, st), 0);
	return db_last_id(db);
}

/* One integer from a query with ?1 bound. */
static int64_t
q1(struct db *db, const char *sql, int64_t a)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t v = -1;

	db_bind_int(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* A text from a query with ?1 bound. Caller frees. */
static char *
qtext(struct db *db, const char *sql, int64_t a)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	char *v = NULL;

	db_bind_int(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0) != NULL)
		v = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return v;
}

/* An open FFT session at question 0, as the campaign's fire makes it. */
static int64_t
start_session(struct fx *f, int64_t expires_at)
{
	int64_t rid = exec3(f->db,
	                    "INSERT INTO responses (survey_id, practice_id,"
	                    " channel, started_at) VALUES (?1, 1, 'sms', ?2)",
	                    f->survey, f->now, 0);

	exec3(f->db,
	      "INSERT INTO sms_sessions (member_id, response_id, state,"
	      " expires_at, updated_at) VALUES (?1, ?2, 'open', ?3, 0)",
	      f->member, rid, expires_at);
	return rid;
}

/* Receive text from a number in a transaction, as the webhook does. */
static struct smsconv_result
recv_from(struct fx *f, const char *from, const char *text)
{
	struct smsconv_msg m = {from, OURS, text, f->now};
	struct smsconv_result r;

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(smsconv_handle(f->db, f->cfg, &m, &r), 0);
	assert_int_equal(db_commit(f->db), 0);
	return r;
}

static struct smsconv_result
recv(struct fx *f, const char *text)
{
	return recv_from(f, ANN, text);
}

static int64_t
outbox_count(struct fx *f)
{
	return q1(f->db, "SELECT count(*) FROM outbox WHERE ?1", 1);
}

/* The body of the newest outbox row. Caller frees. */
static char *
last_sent(struct fx *f)
{
	return qtext(f->db, "SELECT body FROM outbox ORDER BY id DESC LIMIT ?1",
	             1);
}

static void
assert_last_sent_has(struct fx *f, const char *what)
{
	char *body = last_sent(f);

	assert_non_null(body);
	if (strstr(body, what) == NULL)
		fail_msg("last SMS \"%s\" lacks \"%s\"", body, what);
	free(body);
}

static char *
answer(struct fx *f, int64_t rid, const char *key)
{
	sqlite3_stmt *st =
	    db_stmt(f->db, "SELECT value FROM answers WHERE response_id=?1"
	                   " AND question=?2");
	char *v = NULL;

	db_bind_int(st, 1, rid);
	db_bind_text(st, 2, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return v;
}

static void
test_keywords(void **state)
{
	assert_int_equal(smsconv_keyword(" stop "), KW_STOP);
	assert_int_equal(smsconv_keyword("StopAll"), KW_STOP);
	assert_int_equal(smsconv_keyword("UNSUBSCRIBE"), KW_STOP);
	assert_int_equal(smsconv_keyword("cancel"), KW_STOP);
	assert_int_equal(smsconv_keyword("End"), KW_STOP);
	assert_int_equal(smsconv_keyword("quit\n"), KW_STOP);
	assert_int_equal(smsconv_keyword("optout"), KW_STOP);
	assert_int_equal(smsconv_keyword("Start"), KW_START);
	assert_int_equal(smsconv_keyword("unstop"), KW_START);
	assert_int_equal(smsconv_keyword("help"), KW_HELP);
	assert_int_equal(smsconv_keyword("stop please"), KW_NONE);
	assert_int_equal(smsconv_keyword("stopped"), KW_NONE);
	assert_int_equal(smsconv_keyword(""), KW_NONE);
}

/* The FFT by text: an invalid answer, a re-prompt, words, skip, closing. */
static void
test_fft_conversation(void **state)
{
	struct fx *f = *state;
	int64_t rid = start_session(f, f->now + 3600);
	struct smsconv_result r;
	char *v;

	r = recv(f, "banana");
	assert_string_equal(r.disposition, "reprompt");
	assert_int_equal(r.member_id, f->member);
	assert_int_equal(r.queued, 1);
	assert_last_sent_has(f, "Please reply with one number from 1 to 6.");
	r = recv(f, " Very good. ");
	assert_string_equal(r.disposition, "answer");
	assert_last_sent_has(f, "What was good?");
	v = answer(f, rid, "experience");
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(q1(f->db,
	                    "SELECT num FROM answers WHERE"
	                    " response_id=?1 AND question='experience'",
	                    rid),
	                 1);
	r = recv(f, "Friendly staff & <quick>");
	assert_string_equal(r.disposition, "answer");
	assert_last_sent_has(f, "What could we do better?");
	r = recv(f, "skip");
	assert_string_equal(r.disposition, "answer");
	assert_last_sent_has(f, CLOSING);
	v = answer(f, rid, "what_was_good");
	assert_string_equal(v, "Friendly staff & <quick>");
	free(v);
	assert_null(answer(f, rid, "do_better"));
	assert_true(q1(f->db, "SELECT completed_at FROM responses WHERE id=?1",
	               rid) >= f->now);
	v = qtext(f->db, "SELECT state FROM sms_sessions WHERE response_id=?1",
	          rid);
	assert_string_equal(v, "done");
	free(v);
	assert_int_equal(outbox_count(f), 4);
	/* After the session: feedback, no reply. */
	r = recv(f, "thanks!");
	assert_string_equal(r.disposition, "feedback");
	assert_int_equal(r.queued, 0);
}

/* Two re-prompts at most; the third bad answer moves on, unanswered. */
static void
test_reprompt_limit(void **state)
{
	struct fx *f = *state;
	int64_t rid = start_session(f, f->now + 3600);
	struct smsconv_result r;

	assert_string_equal(recv(f, "x").disposition, "reprompt");
	assert_string_equal(recv(f, "7").disposition, "reprompt");
	r = recv(f, "maybe");
	assert_string_equal(r.disposition, "skipped");
	assert_last_sent_has(f, "What was good?");
	assert_null(answer(f, rid, "experience"));
	assert_int_equal(q1(f->db,
	                    "SELECT question_index FROM sms_sessions WHERE"
	                    " response_id=?1",
	                    rid),
	                 1);
	assert_int_equal(q1(f->db,
	                    "SELECT reprompts FROM sms_sessions WHERE"
	                    " response_id=?1",
	                    rid),
	                 0);
}

/* STOP in the middle wins over the session; START opts back in. */
static void
test_stop_start(void **state)
{
	struct fx *f = *state;
	int64_t rid = start_session(f, f->now + 3600);
	struct smsconv_result r;
	int64_t n;
	char *v;

	recv(f, "2");
	n = outbox_count(f);
	r = recv(f, "  Stop ");
	assert_string_equal(r.disposition, "optout");
	assert_int_equal(r.queued, 1);
	assert_int_equal(outbox_count(f), n + 1);
	assert_last_sent_has(f, "no more texts from the patient group at "
	                        "Riverside Surgery");
	v = qtext(f->db, "SELECT purpose FROM outbox ORDER BY id DESC LIMIT ?1",
	          1);
	assert_string_equal(v, "transactional");
	free(v);
	assert_true(q1(f->db, "SELECT optout_sms_at FROM members WHERE id=?1",
	               f->member) >= f->now);
	v = qtext(f->db, "SELECT state FROM sms_sessions WHERE response_id=?1",
	          rid);
	assert_string_equal(v, "stopped");
	free(v);
	/* A second STOP: no second confirmation. */
	r = recv(f, "STOP");
	assert_int_equal(r.queued, 0);
	assert_int_equal(outbox_count(f), n + 1);
	/* The session is closed: an answer now is feedback. */
	r = recv(f, "1");
	assert_string_equal(r.disposition, "feedback");
	assert_null(answer(f, rid, "what_was_good"));
	r = recv(f, "unstop");
	assert_string_equal(r.disposition, "optin");
	assert_int_equal(r.queued, 1);
	assert_last_sent_has(f, "again");
	assert_int_equal(
	    q1(f->db, "SELECT optout_sms_at IS NULL FROM members WHERE id=?1",
	       f->member),
	    1);
}

/* HELP wins over the session and leaves it where it was. */
static void
test_help(void **state)
{
	struct fx *f = *state;
	int64_t rid = start_session(f, f->now + 3600);
	struct smsconv_result r = recv(f, "help");

	assert_string_equal(r.disposition, "help");
	assert_last_sent_has(f, "Riverside Surgery");
	assert_last_sent_has(f, "01632 960000");
	assert_last_sent_has(f, "Reply STOP");
	assert_int_equal(q1(f->db,
	                    "SELECT question_index FROM sms_sessions WHERE"
	                    " response_id=?1",
	                    rid),
	                 0);
	assert_null(answer(f, rid, "experience"));
}

static void
test_expiry(void **state)
{
	struct fx *f = *state;
	int64_t rid = start_session(f, f->now - 1);
	struct smsconv_result r = recv(f, "1");
	char *v;

	assert_string_equal(r.disposition, "feedback");
	assert_int_equal(r.queued, 0);
	assert_null(answer(f, rid, "experience"));
	v = qtext(f->db, "SELECT state FROM sms_sessions WHERE response_id=?1",
	          rid);
	assert_string_equal(v, "expired");
	free(v);
}

static void
test_unmatched(void **state)
{
	struct fx *f = *state;
	struct smsconv_result r = recv_from(f, "+447700900999", "STOP");
	char *v;

	assert_string_equal(r.disposition, "unmatched");
	assert_int_equal(r.member_id, 0);
	assert_int_equal(r.queued, 0);
	assert_int_equal(outbox_count(f), 0);
	/* The practice is known by the number texted (the webhook reads the
	 * text for care with its list: test_care.py). */
	r = recv_from(f, "+447700900999", "I need to see a doctor today");
	assert_string_equal(r.disposition, "unmatched");
	assert_int_equal(r.practice_id, 1);
	assert_int_equal(r.queued, 0);
	(void)v;
}

/* A survey answer that asks for care still counts (the webhook flags it and
 * answers: test_care.py); smsconv no longer sends a reply of its own. */
static void
test_care_in_session(void **state)
{
	struct fx *f = *state;
	int64_t rid = start_session(f, f->now + 3600);
	struct smsconv_result r;
	char *v;

	recv(f, "4");
	r = recv(f, "The nurse was kind but I feel suicidal");
	assert_string_equal(r.disposition, "answer");
	assert_int_equal(r.queued, 1);
	assert_last_sent_has(f, "What could we do better?");
	v = answer(f, rid, "what_was_good");
	assert_string_equal(v, "The nurse was kind but I feel suicidal");
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test_setup_teardown(test_fft_conversation, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_reprompt_limit, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_stop_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_help, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmatched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_care_in_session, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
