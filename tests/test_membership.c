/* Membership through the year: the renewal survey before a term ends (once
 * per term), renewal by answering yes (SMS and stored responses), the exit
 * survey to those who left (once, never on a channel they opted out of),
 * and terms ending in the next 90 days. Real SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "campaign_fixture.h"
#include "membership.h"
#include "smsconv.h"

struct ms {
	struct db *db;
	struct config *cfg;
	int64_t ann, bob, cat, dan, eve, fay;
};

static int
setup(void **state)
{
	struct ms *t = calloc(1, sizeof *t);
	struct fx_member ann = {.first = "Ann",
	                        .email = "ann@example.org",
	                        .consent_email = 1,
	                        .term_ends = FX_NOON + 10 * FX_DAY};
	struct fx_member bob = {.first = "Bob",
	                        .mobile = "+447700900123",
	                        .pref = "sms",
	                        .consent_sms = 1,
	                        .term_ends = FX_NOON + 10 * FX_DAY};
	struct fx_member cat = {.first = "Cat",
	                        .email = "cat@example.org",
	                        .consent_email = 1,
	                        .term_ends = FX_NOON + 100 * FX_DAY};
	/* Left: term ended five days ago. */
	struct fx_member dan = {.first = "Dan",
	                        .email = "dan@example.org",
	                        .consent_email = 1,
	                        .term_ends = FX_NOON - 5 * FX_DAY};
	/* Opted out of email two days ago; still reachable by SMS. */
	struct fx_member eve = {.first = "Eve",
	                        .email = "eve@example.org",
	                        .mobile = "+447700900456",
	                        .consent_email = 1,
	                        .consent_sms = 1,
	                        .optout_email = FX_NOON - 2 * FX_DAY};
	/* Opted out of everything: gets nothing. */
	struct fx_member fay = {.first = "Fay",
	                        .email = "fay@example.org",
	                        .mobile = "+447700900789",
	                        .consent_email = 1,
	                        .consent_sms = 1,
	                        .optout_email = FX_NOON - 2 * FX_DAY,
	                        .optout_sms = FX_NOON - 2 * FX_DAY};

	t->db = fx_db();
	t->cfg = fx_config("[sms]\nquiet_start = 00:00\nquiet_end = 00:00\n"
	                   "[campaign]\nfrequency_cap = 0\n");
	fx_survey(t->db, "surveys/term-renewal.yaml", NULL);
	fx_survey(t->db, "surveys/exit.yaml", NULL);
	t->ann = fx_member_add(t->db, &ann);
	t->bob = fx_member_add(t->db, &bob);
	t->cat = fx_member_add(t->db, &cat);
	t->dan = fx_member_add(t->db, &dan);
	t->eve = fx_member_add(t->db, &eve);
	t->fay = fx_member_add(t->db, &fay);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct ms *t = *state;

	db_close(t->db);
	config_free(t->cfg);
	free(t);
	return 0;
}

/* The members a campaign's rows went to, as a bit set by id. */
static int
sent_to(struct ms *t, const char *campaign)
{
	sqlite3_stmt *st = db_stmt(t->db, "SELECT o.member_id, o.channel FROM"
	                                  " outbox o JOIN runs r ON r.id ="
	                                  " o.run_id JOIN campaigns c ON c.id ="
	                                  " r.campaign_id WHERE c.name = ?");
	int set = 0;

	db_bind_text(st, 1, campaign);
	while (sqlite3_step(st) == SQLITE_ROW)
		set |= 1 << sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return set;
}

static int64_t
term_of(struct ms *t, int64_t id)
{
	sqlite3_stmt *st = db_stmt(t->db, "SELECT term_ends_at FROM members"
	                                  " WHERE id = ?");
	int64_t v = -1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static void
test_renewal_and_exit_once(void **state)
{
	struct ms *t = *state;
	char *cause = NULL;
	int sent = -1;

	assert_int_equal(membership_run(t->db, t->cfg, FX_NOON, &sent, &cause),
	                 0);
	assert_int_equal(sent, 4);
	/* Ann and Bob: their terms end within 30 days; Cat's does not. */
	assert_int_equal(sent_to(t, "term-renewal-A81001"),
	                 (1 << t->ann) | (1 << t->bob));
	/* Dan (term ended) by email; Eve by SMS, the channel still open;
	 * Fay, opted out of everything, gets nothing. */
	assert_int_equal(sent_to(t, "exit-A81001"),
	                 (1 << t->dan) | (1 << t->eve));
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox o JOIN"
	                                 " runs r ON r.id = o.run_id JOIN"
	                                 " campaigns c ON c.id = r.campaign_id"
	                                 " WHERE c.name = 'exit-A81001' AND"
	                                 " o.member_id = 5 AND o.channel ="
	                                 " 'sms'"),
	                 1);
	/* Once: the next tick, and the next day, send nothing more. */
	assert_int_equal(
	    membership_run(t->db, t->cfg, FX_NOON + 3600, &sent, &cause), 0);
	assert_int_equal(sent, 0);
	assert_int_equal(
	    membership_run(t->db, t->cfg, FX_NOON + FX_DAY, &sent, &cause), 0);
	assert_int_equal(sent, 0);
	/* Cat is asked when her term comes within the notice. */
	assert_int_equal(
	    membership_run(t->db, t->cfg, FX_NOON + 75 * FX_DAY, &sent, &cause),
	    0);
	assert_true((sent_to(t, "term-renewal-A81001") & (1 << t->cat)) != 0);
}

/* Without the surveys loaded nothing is sent and no campaign is made. */
static void
test_nothing_without_surveys(void **state)
{
	struct ms *t = *state;
	char *cause = NULL;
	int sent = -1;

	assert_int_equal(db_exec(t->db, "DELETE FROM surveys", &cause), 0);
	assert_int_equal(membership_run(t->db, t->cfg, FX_NOON, &sent, &cause),
	                 0);
	assert_int_equal(sent, 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM campaigns"), 0);
}

/* Bob answers YES by SMS: his term runs 36 months from its end. */
static void
test_sms_yes_renews(void **state)
{
	struct ms *t = *state;
	struct smsconv_msg m = {
	    .from = "+447700900123", .text = "Yes", .now = FX_NOON + 60};
	struct smsconv_result r;
	int64_t before = term_of(t, t->bob);
	char *cause = NULL;
	int sent;

	assert_int_equal(membership_run(t->db, t->cfg, FX_NOON, &sent, &cause),
	                 0);
	assert_int_equal(smsconv_handle(t->db, t->cfg, &m, &r), 0);
	assert_string_equal(r.disposition, "answer");
	/* 2026-06-20 + 36 months, same time of day. */
	assert_true(term_of(t, t->bob) == before + 1096 * FX_DAY);
	/* The next answer does not renew again. */
	m.text = "1";
	assert_int_equal(smsconv_handle(t->db, t->cfg, &m, &r), 0);
	assert_true(term_of(t, t->bob) == before + 1096 * FX_DAY);
}

/* A stored response; renew as stored: the option number, "1" for Yes. */
static int64_t
response(struct ms *t, int64_t member, const char *renew)
{
	sqlite3_stmt *st = db_stmt(
	    t->db, "INSERT INTO responses (survey_id, practice_id, member_id,"
	           " channel, started_at, completed_at) VALUES (1, 1, ?, 'web',"
	           " 1, 1)");
	int64_t id;

	db_bind_int(st, 1, member);
	assert_int_equal(db_done(t->db, st), 0);
	id = db_last_id(t->db);
	st = db_stmt(t->db, "INSERT INTO answers VALUES (?, 'renew', ?, NULL)");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, renew);
	assert_int_equal(db_done(t->db, st), 0);
	return id;
}

static void
test_answer_renews_once(void **state)
{
	struct ms *t = *state;
	int64_t notice = 30 * FX_DAY, before = term_of(t, t->ann);

	/* No: nothing. */
	assert_int_equal(membership_answered(t->db, 36, notice,
	                                     response(t, t->ann, "2"), FX_NOON),
	                 0);
	assert_true(term_of(t, t->ann) == before);
	assert_int_equal(membership_answered(t->db, 36, notice,
	                                     response(t, t->ann, "1"), FX_NOON),
	                 1);
	assert_true(term_of(t, t->ann) == before + 1096 * FX_DAY);
	/* A second yes (web after SMS) does not add another term. */
	assert_int_equal(membership_answered(t->db, 36, notice,
	                                     response(t, t->ann, "1"), FX_NOON),
	                 0);
	/* Cat's term is not ending: no renewal. */
	assert_int_equal(membership_answered(t->db, 36, notice,
	                                     response(t, t->cat, "1"), FX_NOON),
	                 0);
	/* Dan's has ended: renewed from now. */
	assert_int_equal(membership_answered(t->db, 12, notice,
	                                     response(t, t->dan, "1"), FX_NOON),
	                 1);
	assert_true(term_of(t, t->dan) == FX_NOON + 365 * FX_DAY);
}

static void
test_terms_ending(void **state)
{
	struct ms *t = *state;
	json_t *o = membership_terms_ending(t->db, NULL, FX_NOON);

	assert_int_equal(
	    json_integer_value(json_object_get(o, "within_30_days")), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(o, "within_90_days")), 2);
	json_decref(o);
	o = membership_terms_ending(t->db, "A81001", FX_NOON + 20 * FX_DAY);
	assert_int_equal(
	    json_integer_value(json_object_get(o, "within_90_days")), 1);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_renewal_and_exit_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_nothing_without_surveys, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sms_yes_renews, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_answer_renews_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_terms_ending, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
