/*
 * Tallies, suppression, FFT scores, mean/median, representation ratios and
 * the action plan, over a fixed dataset with hand-computed figures.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "action.h"
#include "comments.h"
#include "annual.h"
#include "config.h"
#include "db.h"
#include "framework.h"
#include "meeting.h"
#include "practice.h"
#include "represent.h"
#include "survey.h"
#include "tally.h"
#include "util.h"

#define T0 1741000000 /* 2025-03-03T11:06:40Z */

static const char survey_yaml[] =
    "slug: exp\ntitle: Experience\nversion: 1\nanonymous: false\n"
    "questions:\n"
    "  - key: experience\n    type: fft\n    required: true\n"
    "  - key: ease\n    type: scale\n    text: How easy?\n    min: 1\n"
    "    max: 5\n    min_label: Very hard\n    max_label: Very easy\n"
    "  - key: which\n    type: choice\n    text: Which?\n    multiple: true\n"
    "    options: [Alpha, Beta, Gamma]\n"
    "  - key: visits\n    type: number\n    text: How many visits?\n"
    "    min: 0\n    max: 100\n"
    "  - key: comment\n    type: text\n    text: Anything else?\n";

/* ---- building the dataset ----------------------------------------------- */

static void
sql(struct db *db, const char *s)
{
	char *cause = NULL;

	if (db_exec(db, s, &cause) != 0)
		fail_msg("%s: %s", s, cause);
}

static void
answer(struct db *db, int64_t rid, const char *q, const char *v)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO answers (response_id,"
	                               " question, value) VALUES (?, ?, ?)");

	db_bind_int(st, 1, rid);
	db_bind_text(st, 2, q);
	db_bind_text(st, 3, v);
	assert_int_equal(db_done(db, st), 0);
}

static int64_t
response(struct db *db, int64_t practice, int64_t campaign, int64_t member,
         const char *channel, int64_t at, int completed, const char *age)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO responses (survey_id, campaign_id, practice_id,"
	        " member_id, channel, started_at, completed_at, age_band)"
	        " VALUES (1, nullif(?, 0), ?, nullif(?, 0), ?, ?, ?, ?)");

	db_bind_int(st, 1, campaign);
	db_bind_int(st, 2, practice);
	db_bind_int(st, 3, member);
	db_bind_text(st, 4, channel);
	db_bind_int(st, 5, at);
	if (completed)
		db_bind_int(st, 6, at + 60);
	else
		sqlite3_bind_null(st, 6);
	db_bind_text(st, 7, age);
	assert_int_equal(db_done(db, st), 0);
	return db_last_id(db);
}

static void
load_survey(struct db *db)
{
	struct survey *s;
	char *errors = NULL, *text;
	sqlite3_stmt *st;

	if (survey_load_string(survey_yaml, strlen(survey_yaml), "test", &s,
	                       &errors) != 0)
		fail_msg("%s", errors);
	text = survey_dumps(s);
	st = db_stmt(db, "INSERT INTO surveys (slug, version, title, anonymous,"
	                 " definition, hash, loaded_at) VALUES ('exp', 1,"
	                 " 'Experience', 0, ?, ?, 0)");
	db_bind_text(st, 1, text);
	db_bind_text(st, 2, s->hash);
	assert_int_equal(db_done(db, st), 0);
	free(text);
	survey_free(s);
}

/*
 * Members: 1 Ann Smith (16-24, female, carer), 2 erased (16-24, carer),
 * 3 term ended (16-24), 4-7 (25-34: 3 female + 1 male), 8-12 (65-74: 4
 * female + 1 male; 8 and 9 carers, 10 mental-health), 13 no age band, sex
 * other.
 */
static void
members(struct db *db)
{
	sql(db,
	    "INSERT INTO members (id, practice_id, first_name, last_name,"
	    " joined_at, age_band, sex, created_at, updated_at, erased_at,"
	    " term_ends_at) VALUES"
	    " (1, 1, 'Ann', 'Smith', 100, '16-24', 'female', 0, 0, NULL, NULL),"
	    " (2, 1, NULL, NULL, 100, '16-24', 'female', 0, 0, 500, NULL),"
	    " (3, 1, 'Old', 'Term', 100, '16-24', 'male', 0, 0, NULL, 200),"
	    " (4, 1, 'B', 'B', 100, '25-34', 'female', 0, 0, NULL, NULL),"
	    " (5, 1, 'C', 'C', 100, '25-34', 'female', 0, 0, NULL, NULL),"
	    " (6, 1, 'D', 'D', 100, '25-34', 'female', 0, 0, NULL, NULL),"
	    " (7, 1, 'E', 'E', 100, '25-34', 'male', 0, 0, NULL, NULL),"
	    " (8, 1, 'F', 'F', 100, '65-74', 'female', 0, 0, NULL, NULL),"
	    " (9, 1, 'G', 'G', 100, '65-74', 'female', 0, 0, NULL, NULL),"
	    " (10, 1, 'H', 'H', 100, '65-74', 'female', 0, 0, NULL, NULL),"
	    " (11, 1, 'I', 'I', 100, '65-74', 'female', 0, 0, NULL, NULL),"
	    " (12, 1, 'J', 'J', 100, '65-74', 'male', 0, 0, NULL, NULL),"
	    " (13, 1, 'K', 'K', 100, NULL, 'other', 0, 0, NULL, NULL);"
	    "INSERT INTO member_tags VALUES (1, 'carer'), (2, 'carer'),"
	    " (8, 'carer'), (9, 'carer'), (10, 'mental-health');");
}

/* Invitations: run 1 delivers 40 emails (+3 failed) and 30 SMS; run 2 is a
 * reminder (10 SMS) and does not count. */
static void
outbox(struct db *db)
{
	sql(db,
	    "INSERT INTO campaigns (id, name, practice_id, kind, survey_id,"
	    " template, channels, created_at) VALUES (1, 'spring', 1, 'survey',"
	    " 1, 'survey-invitation', 'email,sms', 0);"
	    "INSERT INTO runs (id, campaign_id, scheduled_for, reminder,"
	    " fired_at) VALUES (1, 1, 1741000000, 0, 1741000000),"
	    " (2, 1, 1741000000, 1, 1741100000);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < 83)"
	    " INSERT INTO outbox (run_id, member_id, practice_id, channel,"
	    " state, to_addr, body, next_attempt_at, created_at, sent_at)"
	    " SELECT CASE WHEN i > 73 THEN 2 ELSE 1 END, NULL, 1,"
	    " CASE WHEN i <= 43 THEN 'email' ELSE 'sms' END,"
	    " CASE WHEN i <= 3 THEN 'failed' WHEN i % 2 = 0 THEN 'sent'"
	    "  ELSE 'delivered' END, 'x', 'x', 0, 1741000000, 1741000000"
	    " FROM n;");
}

/*
 * 51 responses in March 2025 with an FFT answer:
 *   1-19 (16-24): Very good x10, Good x6, Poor x3
 *   20-49 (25-34): five of each of the six answers
 *   50-51 (no age band): Very good x2
 * Overall 17, 11, 5, 8, 5, 5 of 51. Channels: 1-20 email, 21-41 sms, 42-51
 * web; 51 came without a campaign; 1-45 completed. Response 52 has no
 * answers; 53 is another practice's, in 2024.
 */
static void
responses(struct db *db)
{
	static const char *const fft16[] = {"1", "2", "4"};
	const char *age, *ch, *v;
	int64_t rid;
	int i;

	for (i = 1; i <= 51; i++) {
		age = i <= 19 ? "16-24" : i <= 49 ? "25-34" : NULL;
		ch = i <= 20 ? "email" : i <= 41 ? "sms" : "web";
		rid = response(db, 1, i == 51 ? 0 : 1, i <= 2 ? i : 0, ch,
		               T0 + i, i <= 45, age);
		if (i <= 19)
			v = fft16[i <= 10 ? 0 : i <= 16 ? 1 : 2];
		else if (i <= 49)
			v = (const char *[]){
			    "1", "2", "3", "4", "5", "6"}[(i - 20) / 5];
		else
			v = "1";
		answer(db, rid, "experience", v);
	}
	response(db, 1, 1, 0, "sms", T0, 0, NULL);
	rid = response(db, 2, 0, 0, "web", 1704100000, 1, "85+");
	answer(db, rid, "experience", "1");
	/* ease on 1-8; which on 1-4 as "a,b" and on 5 as one row a pick;
	 * visits on 1-4; comments from Ann (1) and the erased member (2). */
	for (i = 0; i < 8; i++)
		answer(db, i + 1, "ease",
		       (const char *[]){"1", "2", "2", "3", "4", "5", "5",
		                        "5"}[i]);
	answer(db, 1, "which", "1,3");
	answer(db, 2, "which", "2");
	answer(db, 3, "which", "1,2,3");
	answer(db, 4, "which", "3");
	answer(db, 5, "which", "1");
	answer(db, 5, "which", "2");
	answer(db, 1, "visits", "0");
	answer(db, 2, "visits", "2");
	answer(db, 3, "visits", "10");
	answer(db, 4, "visits", "3");
	answer(db, 1, "comment", "Lovely <staff> & quick");
	answer(db, 2, "comment", "Too slow");
}

static int
setup(void **state)
{
	struct db *db;
	char *cause = NULL;
	struct practice p1 = {.code = "P1", .name = "One"};
	struct practice p2 = {.code = "P2", .name = "Two"};

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(practice_add(db, &p1, &cause), 0);
	assert_int_equal(practice_add(db, &p2, &cause), 0);
	load_survey(db);
	members(db);
	outbox(db);
	responses(db);
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static void
assert_num(const json_t *v, double want)
{
	if (!json_is_number(v))
		fail_msg("not a number (want %g)", want);
	if (fabs(json_number_value(v) - want) > 1e-9)
		fail_msg("got %.10g, want %g", json_number_value(v), want);
}

static json_t *
run(struct db *db, const char *target, const char *practice, const char *by)
{
	struct tally_query q = {
	    .target = target, .practice = practice, .by = by};
	json_t *r;
	char *cause = NULL;

	if (tally_run(db, &q, &r, &cause) != 0)
		fail_msg("tally: %s", cause);
	return r;
}

static const json_t *
question(const json_t *r, const char *key)
{
	const json_t *q;
	size_t i;

	json_array_foreach(
	    json_object_get(r, "questions"), i,
	    q) if (strcmp(json_string_value(json_object_get(q, "key")), key) ==
	           0) return q;
	fail_msg("no question %s", key);
	return NULL;
}

static const json_t *
option(const json_t *q, size_t i)
{
	return json_array_get(json_object_get(q, "options"), i);
}

/* ---- pure functions ----------------------------------------------------- */

static void
test_fft_denominator(void **state)
{
	const long c[6] = {8, 4, 2, 3, 1, 2}, dk[6] = {0, 0, 0, 0, 0, 5};
	const long none[6] = {0};
	double pos, neg;

	/* Neither and Don't know are in the denominator: 12/20 and 4/20. */
	tally_fft(c, &pos, &neg);
	assert_true(pos == 60.0 && neg == 20.0);
	tally_fft(dk, &pos, &neg);
	assert_true(pos == 0.0 && neg == 0.0);
	tally_fft(none, &pos, &neg);
	assert_true(pos == -1 && neg == -1);
}

static void
test_median(void **state)
{
	const double v[] = {1, 2, 3, 4, 5};
	const long odd[] = {1, 2, 1, 1, 2}, even[] = {1, 2, 1, 1, 3};
	const long one[] = {0, 0, 4, 0, 0};

	/* 1 2 2 3 4 5 5: the 4th is 3. */
	assert_true(tally_median(v, odd, 5) == 3.0);
	/* 1 2 2 3 4 5 5 5: (3 + 4) / 2. */
	assert_true(tally_median(v, even, 5) == 3.5);
	assert_true(tally_median(v, one, 5) == 3.0);
	assert_true(tally_percent(28, 51) == 54.9);
	assert_true(tally_percent(13, 51) == 25.5);
	assert_true(tally_percent(1, 3) == 33.3);
}

static void
test_suppress(void **state)
{
	/* Rows A, B, C; the last column holds the row totals. */
	const long cells[] = {10, 3, 7, 20, 6, 8, 9, 23, 2, 1, 0, 3};
	const unsigned char want[] = {
	    TALLY_SHOWN,     TALLY_PRIMARY,   TALLY_SECONDARY, TALLY_SECONDARY,
	    TALLY_SECONDARY, TALLY_SECONDARY, TALLY_SHOWN,     TALLY_SHOWN,
	    TALLY_PRIMARY,   TALLY_PRIMARY,   TALLY_PRIMARY,   TALLY_PRIMARY};
	const long clean[] = {5, 6, 11, 7, 8, 15};
	unsigned char flags[12];

	tally_suppress(cells, 3, 4, flags);
	assert_memory_equal(flags, want, sizeof want);
	/* Nothing under 5: nothing hidden. */
	tally_suppress(clean, 2, 3, flags);
	assert_memory_equal(flags, (unsigned char[6]){0}, 6);
}

/* ---- the tally ---------------------------------------------------------- */

static void
test_counts_and_rates(void **state)
{
	json_t *r = run(*state, "exp", "P1", NULL);
	const json_t *rate = json_object_get(r, "response_rate_by_channel");
	const json_t *inv = json_object_get(r, "invitations");

	assert_int_equal(json_integer_value(json_object_get(r, "responses")),
	                 51);
	assert_int_equal(json_integer_value(json_object_get(r, "completed")),
	                 45);
	assert_num(json_object_get(r, "completion_rate"), 88.2);
	assert_int_equal(json_integer_value(json_object_get(inv, "email")), 40);
	assert_int_equal(json_integer_value(json_object_get(inv, "sms")), 30);
	/* 50 campaign responses over 70 delivered first invitations. */
	assert_num(json_object_get(r, "response_rate"), 71.4);
	assert_num(json_object_get(rate, "email"), 50.0);
	assert_num(json_object_get(rate, "sms"), 70.0);
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(r, "responses_by_channel"), "web")),
	    10);
	json_decref(r);
}

/* A web answer from an emailed link is an email response: by the channel
 * stored with it, or (older rows) by the member's invitation. */
static void
test_channel_attribution(void **state)
{
	struct db *db = *state;
	json_t *r;
	int64_t rid;

	sql(db, "INSERT INTO outbox (run_id, member_id, practice_id, channel,"
	        " state, to_addr, body, next_attempt_at, created_at, sent_at)"
	        " VALUES (2, 4, 1, 'sms', 'sent', 'x', 'x', 0, 1741000000,"
	        " 1741000000), (1, 4, 1, 'email', 'delivered', 'x', 'x', 0,"
	        " 1741000000, 1741000000)");
	rid = response(db, 1, 1, 4, "web", T0 + 100, 1, NULL);
	answer(db, rid, "experience", "1");
	rid = response(db, 1, 1, 0, "web", T0 + 101, 1, NULL);
	answer(db, rid, "experience", "2");
	sql(db,
	    "UPDATE responses SET invited_channel = 'email' WHERE id = (SELECT"
	    " max(id) FROM responses)");
	r = run(db, "exp", "P1", NULL);
	/* 20 text replies by email + 2 web from email links, of 41 emails
	 * delivered now (the first invitation counts, not the reminder). */
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(r, "responses_by_invitation"), "email")),
	    22);
	assert_num(json_object_get(
	               json_object_get(r, "response_rate_by_channel"), "email"),
	           53.7);
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(r, "responses_by_invitation"), "unknown")),
	    9);
	json_decref(r);
}

static void
test_fft_question(void **state)
{
	json_t *r = run(*state, "exp", "P1", NULL);
	const json_t *q = question(r, "experience");
	const json_t *fft = json_object_get(q, "fft");
	static const long want[6] = {17, 11, 5, 8, 5, 5};
	size_t i;

	assert_int_equal(json_integer_value(json_object_get(q, "respondents")),
	                 51);
	for (i = 0; i < 6; i++)
		assert_int_equal(
		    json_integer_value(json_object_get(option(q, i), "count")),
		    want[i]);
	assert_num(json_object_get(option(q, 0), "percent"), 33.3);
	assert_string_equal(
	    json_string_value(json_object_get(option(q, 5), "label")),
	    "Don't know");
	/* (17 + 11) / 51 and (8 + 5) / 51. */
	assert_num(json_object_get(fft, "positive"), 54.9);
	assert_num(json_object_get(fft, "negative"), 25.5);
	assert_int_equal(
	    json_integer_value(json_object_get(fft, "denominator")), 51);
	json_decref(r);
}

static void
test_scale_choice_number_text(void **state)
{
	json_t *r = run(*state, "exp", NULL, NULL);
	const json_t *q, *a;

	q = question(r, "ease");
	assert_int_equal(json_integer_value(json_object_get(q, "respondents")),
	                 8);
	assert_num(json_object_get(q, "mean"), 3.38); /* 27 / 8 = 3.375 */
	assert_num(json_object_get(q, "median"), 3.5);
	assert_num(json_object_get(option(q, 4), "percent"), 37.5);
	assert_string_equal(
	    json_string_value(json_object_get(option(q, 0), "label")),
	    "1 (Very hard)");
	/* Multiple picks: "1,3" rows and one row a pick both count; percent
	 * of the 5 respondents. */
	q = question(r, "which");
	assert_int_equal(json_integer_value(json_object_get(q, "respondents")),
	                 5);
	assert_int_equal(
	    json_integer_value(json_object_get(option(q, 0), "count")), 3);
	assert_int_equal(
	    json_integer_value(json_object_get(option(q, 2), "count")), 3);
	assert_num(json_object_get(option(q, 1), "percent"), 60.0);
	/* 0 2 3 10: numeric order, not text order. */
	q = question(r, "visits");
	assert_num(json_object_get(q, "mean"), 3.75);
	assert_num(json_object_get(q, "median"), 2.5);
	assert_num(json_object_get(q, "max"), 10);
	q = question(r, "comment");
	a = json_array_get(json_object_get(q, "answers"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "text")),
	                    "Lovely <staff> & quick");
	assert_string_equal(json_string_value(json_object_get(a, "member")),
	                    "Ann Smith");
	/* The erased member's comment stays, without a name. */
	a = json_array_get(json_object_get(q, "answers"), 1);
	assert_true(json_is_null(json_object_get(a, "member")));
	json_decref(r);
}

static void
test_filters_and_targets(void **state)
{
	struct db *db = *state;
	struct tally_query q = {.target = "exp"};
	json_t *r;
	char *cause = NULL;

	r = run(db, "exp", NULL, NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "responses")),
	                 52);
	json_decref(r);
	assert_int_equal(util_parse_time("2025-01-01", &q.from), 0);
	assert_int_equal(tally_run(db, &q, &r, &cause), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "responses")),
	                 51);
	json_decref(r);
	/* The campaign: 50 of the 51 came through it. */
	r = run(db, "spring", NULL, NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "responses")),
	                 50);
	assert_string_equal(json_string_value(json_object_get(r, "campaign")),
	                    "spring");
	json_decref(r);
	r = run(db, "exp@1", NULL, NULL);
	json_decref(r);
	q.target = "nothing";
	assert_int_equal(tally_run(db, &q, &r, &cause), -1);
	assert_non_null(strstr(cause, "no survey or campaign"));
	free(cause);
	q.target = "exp";
	q.by = "shoe_size";
	assert_int_equal(tally_run(db, &q, &r, &cause), -1);
	free(cause);
}

static const json_t *
group(const json_t *q, size_t i)
{
	return json_array_get(
	    json_object_get(json_object_get(q, "by"), "groups"), i);
}

static const char *
shown(const json_t *g, size_t i)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(g, "cells"), i), "shown"));
}

static void
test_by_age_suppressed(void **state)
{
	json_t *r = run(*state, "exp", "P1", "age_band");
	const json_t *q = question(r, "experience"), *g, *c;

	/*
	 * 16-24 [10 6 0 3 0 0 | 19], 25-34 [5 5 5 5 5 5 | 30], unknown
	 * [2 0 0 0 0 0 | 2]. Under 5 hidden; then column 1 (10, 5, <5)
	 * hides 25-34's 5, column 2 (6, 5, <5) hides its other 5, and the
	 * totals column (19, 30, <5) hides 19.
	 */
	assert_int_equal(json_array_size(json_object_get(
	                     json_object_get(q, "by"), "groups")),
	                 3);
	g = group(q, 0);
	assert_string_equal(json_string_value(json_object_get(g, "group")),
	                    "16-24");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(g, "respondents"), "shown")),
	                    "*");
	assert_string_equal(shown(g, 0), "10");
	assert_string_equal(shown(g, 2), "<5");
	assert_string_equal(shown(g, 3), "<5");
	/* The total is hidden, so no percentage may show. */
	c = json_array_get(json_object_get(g, "cells"), 0);
	assert_true(json_is_null(json_object_get(c, "percent")));
	c = json_array_get(json_object_get(g, "cells"), 3);
	assert_true(json_is_true(json_object_get(c, "suppressed")));
	assert_true(json_is_null(json_object_get(c, "count")));
	g = group(q, 1);
	assert_string_equal(shown(g, 0), "*");
	assert_string_equal(shown(g, 1), "*");
	assert_string_equal(shown(g, 2), "5");
	c = json_array_get(json_object_get(g, "cells"), 2);
	assert_num(json_object_get(c, "percent"), 16.7);
	/* Positive rests on hidden cells; negative (5 + 5) / 30 does not. */
	assert_true(json_is_null(json_object_get(g, "fft_positive")));
	assert_num(json_object_get(g, "fft_negative"), 33.3);
	g = group(q, 2);
	assert_string_equal(json_string_value(json_object_get(g, "group")),
	                    "unknown");
	assert_string_equal(shown(g, 0), "<5");
	json_decref(r);
}

/* ---- representation ----------------------------------------------------- */

static const char profile[] = "field,value,patients\n"
                              "age_band,0-15,500\n"
                              "age_band,16-24,200\n"
                              "age_band,25-34,300\n"
                              "age_band,65-74,500\n"
                              "sex,female,600\n"
                              "sex,male,400\n";

static void
load_profile(struct db *db, const char *csv, int want_rc, char **cause)
{
	FILE *fp = fmemopen((void *)csv, strlen(csv), "r");
	int rows;

	assert_non_null(fp);
	assert_int_equal(
	    represent_load_profile(db, "P1", fp, "pop.csv", &rows, cause),
	    want_rc);
	fclose(fp);
}

static const json_t *
rgroup(const json_t *r, size_t field, size_t i)
{
	return json_array_get(
	    json_object_get(json_array_get(json_object_get(r, "fields"), field),
	                    "groups"),
	    i);
}

/* The built-in framework, as the CLI loads it. Caller frees. */
static struct framework *
builtin_framework(void)
{
	struct config *cfg;
	struct framework *fw;
	char *cause = NULL;

	assert_int_equal(config_load(NULL, &cfg, &cause), 0);
	assert_int_equal(framework_load_config(cfg, NULL, &fw, &cause), 0);
	config_free(cfg);
	return fw;
}

static void
test_representation(void **state)
{
	struct db *db = *state;
	char *cause = NULL;
	json_t *r;
	const json_t *g, *f;

	load_profile(db, profile, 0, &cause);
	assert_int_equal(represent_report(db, "P1", T0, &r, &cause), 0);
	/* Active: 1, 4-13 (2 erased, 3 term ended). */
	assert_int_equal(json_integer_value(json_object_get(r, "members")), 11);
	f = json_array_get(json_object_get(r, "fields"), 0);
	/* 0-15 is not in the base: 200 + 300 + 500. */
	assert_int_equal(json_integer_value(json_object_get(f, "patients")),
	                 1000);
	assert_int_equal(json_integer_value(json_object_get(f, "members")), 10);
	assert_int_equal(
	    json_integer_value(json_object_get(f, "members_not_comparable")),
	    1);
	/* 16-24: 10% of members, 20% of patients: 0.5, flagged. */
	g = rgroup(r, 0, 0);
	assert_string_equal(json_string_value(json_object_get(g, "value")),
	                    "16-24");
	assert_num(json_object_get(g, "member_share"), 10.0);
	assert_num(json_object_get(g, "population_share"), 20.0);
	assert_num(json_object_get(g, "ratio"), 0.5);
	assert_true(json_is_true(json_object_get(g, "under_represented")));
	assert_string_equal(json_string_value(json_object_get(g, "audience")),
	                    "age_band=16-24");
	assert_non_null(strstr(json_string_value(json_object_get(g, "command")),
	                       "--audience age_band=16-24"));
	/* 25-34: 40% / 30% = 1.33; 65-74: 50% / 50% = 1. */
	assert_num(json_object_get(rgroup(r, 0, 1), "ratio"), 1.33);
	assert_true(json_is_false(
	    json_object_get(rgroup(r, 0, 1), "under_represented")));
	assert_num(json_object_get(rgroup(r, 0, 2), "ratio"), 1.0);
	/* Sex: female 8 of 10 vs 60%: 1.33; male 2 of 10 vs 40%: 0.5. */
	assert_num(json_object_get(rgroup(r, 1, 1), "ratio"), 0.5);
	assert_string_equal(
	    json_string_value(json_object_get(rgroup(r, 1, 1), "audience")),
	    "sex=male");
	/* No ethnicity profile: no groups. */
	assert_int_equal(
	    json_array_size(json_object_get(
	        json_array_get(json_object_get(r, "fields"), 2), "groups")),
	    0);
	/* Tags of active members only: carer 3 (1, 8, 9). */
	g = json_array_get(json_object_get(r, "seldom_heard"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "tag")),
	                    "carer");
	assert_int_equal(json_integer_value(json_object_get(g, "members")), 3);
	json_decref(r);
	assert_true(represent_ratio(1, 10, 200, 1000) == 0.5);
	assert_true(represent_ratio(1, 10, 0, 1000) == -1);
}

/* The published page suppresses the 16-24 group of 1 (and one more, so it
 * cannot be worked out); the staff view shows it and says so. */
static void
test_representation_published(void **state)
{
	struct db *db = *state;
	char *cause = NULL, *pub, *staff, *annual;
	struct framework *fw;
	json_t *r;

	load_profile(db, profile, 0, &cause);
	assert_int_equal(represent_report(db, "P1", T0, &r, &cause), 0);
	pub = represent_page(r, 0, NULL);
	staff = represent_page(r, 1, NULL);
	json_decref(r);
	assert_non_null(strstr(pub, "<th scope=\"row\">16 to 24</th>"
	                            "<td class=\"n\">&lt;5</td>"));
	assert_null(strstr(pub, "<td class=\"n\">1</td>"));
	assert_null(strstr(pub, "age_band=16-24"));
	assert_null(strstr(pub, "not for publication"));
	assert_non_null(strstr(staff, "<th scope=\"row\">16 to 24</th>"
	                              "<td class=\"n\">1</td>"));
	assert_non_null(strstr(staff, "not for publication"));
	assert_non_null(strstr(staff, "age_band=16-24"));
	/* The tag of 3 carers. */
	assert_non_null(strstr(pub, "<th scope=\"row\">Carer</th>"
	                            "<td class=\"n\">&lt;5</td>"));
	fw = builtin_framework();
	assert_int_equal(annual_report(db, "P1", 2025, 0, fw, &r, &cause), 0);
	framework_free(fw);
	annual = annual_html(r, 0, NULL);
	json_decref(r);
	assert_null(strstr(annual, "Smith"));
	assert_null(strstr(annual, "<td class=\"n\">1</td>"));
	assert_non_null(strstr(annual, "&lt;5"));
	free(pub);
	free(staff);
	free(annual);
}

/* 20 women, 10 men and 2 whose sex is not known: the 2 are "<5", the men
 * "*", and the women's share is of all 32, since a share of the 30 would
 * give the 2 away with the published total. */
static void
test_representation_base(void **state)
{
	static const char csv[] = "field,value,patients\nsex,female,500\n"
	                          "sex,male,500\ndisability,yes,200\n"
	                          "disability,no,800\n";
	struct db *db = *state;
	FILE *fp = fmemopen((void *)csv, strlen(csv), "r");
	char *cause = NULL, *pub;
	int rows;
	json_t *r;

	assert_int_equal(
	    represent_load_profile(db, "P2", fp, "p.csv", &rows, &cause), 0);
	fclose(fp);
	sql(db,
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < 32) INSERT INTO members (practice_id, joined_at,"
	    " sex, created_at, updated_at, disability) SELECT 2, 100, CASE"
	    " WHEN i <= 20 THEN 'female' WHEN i <= 30 THEN 'male' END, 0, 0,"
	    " CASE WHEN i <= 8 THEN 1 WHEN i <= 30 THEN 0 END FROM n");
	assert_int_equal(represent_report(db, "P2", T0, &r, &cause), 0);
	/* Disability against the profile: 8 of 30 who said, 200 of 1000. */
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(r, "fields"), 3), "field")),
	    "disability");
	assert_num(json_object_get(rgroup(r, 3, 0), "ratio"), 1.33);
	pub = represent_page(r, 0, NULL);
	json_decref(r);
	assert_non_null(strstr(pub, "Representation by disability"));
	assert_non_null(strstr(pub, "<th scope=\"row\">Female</th>"
	                            "<td class=\"n\">20</td>"
	                            "<td class=\"n\">62.5%</td>"));
	assert_non_null(strstr(pub, "<th scope=\"row\">Male</th>"
	                            "<td class=\"n\">*</td>"));
	assert_null(strstr(pub, "66.7%"));
	free(pub);
}

static void
test_profile_errors(void **state)
{
	struct db *db = *state;
	char *cause = NULL;
	sqlite3_stmt *st;

	load_profile(db, profile, 0, &cause);
	load_profile(db,
	             "field,value,patients\nage_band,16-24,10\nshoe,9,1\n"
	             "sex,female,-3\nage_band,16-24,5\nsex,male\n",
	             -1, &cause);
	assert_non_null(strstr(cause, "pop.csv:3: unknown field 'shoe'"));
	assert_non_null(strstr(cause, "pop.csv:4: patients '-3'"));
	assert_non_null(strstr(cause, "pop.csv:5: age_band=16-24 given twice"));
	assert_non_null(strstr(cause, "pop.csv:6: too few fields"));
	free(cause);
	/* Nothing was replaced. */
	st = db_stmt(db, "SELECT sum(patients) FROM population");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 2500);
	load_profile(db, "value,patients\n16-24,3\n", -1, &cause);
	free(cause);
}

/* ---- actions and the annual report ------------------------------------- */

static void
test_actions(void **state)
{
	struct db *db = *state;
	struct action_new a = {.practice = "P1",
	                       .area = "Access",
	                       .title = "More phone lines",
	                       .owner = "PM",
	                       .due = "2025-06-30",
	                       .from_survey = "exp"};
	int64_t id;
	char *cause = NULL;
	json_t *list, *o;

	assert_int_equal(action_add(db, &a, &id, &cause), 0);
	assert_int_equal(action_update(db, id, "agreed",
	                               "Agreed at the "
	                               "meeting",
	                               &cause),
	                 0);
	assert_int_equal(action_update(db, id, "done", NULL, &cause), 0);
	assert_int_equal(action_update(db, id, "finished", NULL, &cause), -1);
	free(cause);
	assert_int_equal(action_update(db, 999, "done", NULL, &cause), -1);
	free(cause);
	a.due = "30/06/2025";
	assert_int_equal(action_add(db, &a, &id, &cause), -1);
	free(cause);
	list = action_list_json(db, "P1", 1);
	assert_int_equal(json_array_size(list), 1);
	o = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	                    "done");
	/* Public: no owner. */
	assert_null(json_object_get(o, "owner"));
	assert_int_equal(json_array_size(json_object_get(o, "notes")), 2);
	json_decref(list);
	list = action_list_json(db, "P1", 0);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(list, 0), "owner")),
	                    "PM");
	json_decref(list);
}

static void
test_annual(void **state)
{
	struct db *db = *state;
	struct action_new a = {
	    .practice = "P1", .area = "Access", .title = "x"};
	static const char *const areas[] = {"Access", "Online", "Access"};
	int64_t id;
	char *cause = NULL;
	struct framework *fw;
	json_t *r;
	const json_t *m, *fft;
	size_t i;

	for (i = 0; i < 3; i++) {
		a.area = areas[i];
		assert_int_equal(action_add(db, &a, &id, &cause), 0);
		assert_int_equal(action_update(db, id, "agreed", NULL, &cause),
		                 0);
	}
	fw = builtin_framework();
	assert_int_equal(annual_report(db, "P1", 2025, 0, fw, &r, &cause), 0);
	framework_free(fw);
	m = json_object_get(r, "members");
	/* Joined at t=100 (1970): 13 before 2025; 2 erased at 500 and 3
	 * ended at 200 left before the year: 11 at start and at end. */
	assert_int_equal(json_integer_value(json_object_get(m, "start")), 11);
	assert_int_equal(json_integer_value(json_object_get(m, "end")), 11);
	/* Actions are agreed now (not in 2025 unless the clock says so):
	 * the shape holds either way; two distinct areas only. */
	assert_false(json_is_true(json_object_get(json_object_get(r, "actions"),
	                                          "three_priority_areas")));
	/* March 2025: 51 FFT answers; (17 + 11) / 51. */
	fft = json_array_get(json_object_get(r, "fft_trend"), 2);
	assert_string_equal(json_string_value(json_object_get(fft, "month")),
	                    "2025-03");
	assert_int_equal(json_integer_value(json_object_get(fft, "answers")),
	                 51);
	assert_num(json_object_get(fft, "positive"), 54.9);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(r, "messages"), "email")),
	                 40);
	assert_int_equal(json_array_size(json_object_get(
	                     json_object_get(r, "framework"), "gold")),
	                 8);
	json_decref(r);
}

/* A future meeting is not "held"; meeting held/cancel say otherwise. One
 * membership figure: start + joined - left = end = the representation's. */
static void
test_annual_figures(void **state)
{
	struct db *db = *state;
	const int64_t jun = 1748736000; /* 2025-06-01 */
	char *cause = NULL;
	struct framework *fw;
	json_t *r;
	const json_t *m, *mt;
	long start, joined, left, end;

	sql(db,
	    "INSERT INTO meetings (id, practice_id, at, place, created_at)"
	    " VALUES (1, 1, 1741000000, 'a', 0), (2, 1, 1760000000, 'b', 0),"
	    " (3, 1, 1742000000, 'c', 0), (4, 1, 1761000000, 'd', 0);"
	    "INSERT INTO members (id, practice_id, joined_at, created_at,"
	    " updated_at, term_ends_at, erased_at) VALUES"
	    " (14, 1, 1743465600, 0, 0, 1746057600, NULL),"
	    " (15, 1, 1738368000, 0, 0, NULL, NULL),"
	    " (16, 1, 100, 0, 0, NULL, 1740000000)");
	assert_int_equal(meeting_set_status(db, 3, "cancelled", &cause), 0);
	assert_int_equal(meeting_set_status(db, 4, "held", &cause), 0);
	assert_int_equal(meeting_set_status(db, 9, "held", &cause), -1);
	free(cause);
	fw = builtin_framework();
	assert_int_equal(
	    annual_report_at(db, "P1", 2025, 0, fw, jun, &r, &cause), 0);
	framework_free(fw);
	mt = json_object_get(r, "meetings");
	assert_int_equal(json_integer_value(json_object_get(mt, "held")), 2);
	assert_int_equal(json_integer_value(json_object_get(mt, "cancelled")),
	                 1);
	assert_int_equal(json_integer_value(json_object_get(mt, "planned")), 1);
	m = json_object_get(r, "members");
	start = (long)json_integer_value(json_object_get(m, "start"));
	joined = (long)json_integer_value(json_object_get(m, "joined"));
	left = (long)json_integer_value(json_object_get(m, "left"));
	end = (long)json_integer_value(json_object_get(m, "end"));
	/* 11 + 16 (erased in February) at the start; 14 and 15 joined; 14's
	 * term ended and 16 was erased. */
	assert_int_equal(start, 12);
	assert_int_equal(joined, 2);
	assert_int_equal(left, 2);
	assert_int_equal(end, 12);
	assert_int_equal(start + joined - left, end);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(r, "representation"), "members")),
	                 end);
	assert_string_equal(json_string_value(json_object_get(m, "end_date")),
	                    "2025-06-01");
	json_decref(r);
}

/* The id of the comment whose text is text. */
static int64_t
comment_id(struct db *db, const char *text)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id FROM comments WHERE text = ?");

	db_bind_text(st, 1, text);
	return db_int(db, st, 0);
}

static json_t *
comments_page(struct db *db, const char *practice, int internal, long page,
              long per_page)
{
	struct tally_query q = {.target = "exp", .practice = practice};
	json_t *r;
	char *cause = NULL;

	if (tally_comments(db, &q, internal, page, per_page, &r, &cause) != 0)
		fail_msg("tally_comments: %s", cause);
	return r;
}

static const char *
page_text(const json_t *r, size_t i)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(r, "comments"), i), "text"));
}

/*
 * Free text a page at a time (issue 11): paged in SQL in the order the
 * comments came; published, the approved ones only; internal, every one
 * with its status and member. The summary counts them and lists none.
 */
static void
test_comments_paged(void **state)
{
	struct db *db = *state;
	struct tally_query q = {.target = "exp", .counted = 1};
	char *cause = NULL, text[8];
	const json_t *e;
	json_t *r;
	int i;

	for (i = 3; i <= 7; i++) {
		snprintf(text, sizeof text, "c%d", i);
		answer(db, i, "comment", text);
	}
	assert_int_equal(comments_sync(db, T0), 7);
	assert_int_equal(comments_set_status(db, comment_id(db, "c5"),
	                                     "approved", T0, &cause),
	                 0);
	assert_int_equal(comments_set_status(db, comment_id(db, "c3"),
	                                     "approved", T0, &cause),
	                 0);
	assert_int_equal(comments_set_status(db, comment_id(db, "Too slow"),
	                                     "approved", T0, &cause),
	                 0);
	assert_int_equal(
	    comments_set_status(db, comment_id(db, "c4"), "hidden", T0, &cause),
	    0);

	/* Published: the three approved, two to a page, by comment id. */
	r = comments_page(db, NULL, 0, 1, 2);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 3);
	assert_int_equal(json_integer_value(json_object_get(r, "pages")), 2);
	assert_int_equal(json_array_size(json_object_get(r, "comments")), 2);
	e = json_array_get(json_object_get(r, "comments"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "question")),
	                    "comment");
	assert_null(json_object_get(e, "member"));
	assert_null(json_object_get(e, "status"));
	assert_true(comment_id(db, page_text(r, 0)) <
	            comment_id(db, page_text(r, 1)));
	json_decref(r);
	r = comments_page(db, NULL, 0, 2, 2);
	assert_int_equal(json_array_size(json_object_get(r, "comments")), 1);
	assert_true(strcmp(page_text(r, 0), "c4") != 0);
	json_decref(r);

	/* Internal: all seven, with status, and Ann's name. */
	r = comments_page(db, NULL, 1, 1, 50);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 7);
	assert_int_equal(json_array_size(json_object_get(r, "comments")), 7);
	json_array_foreach(json_object_get(r, "comments"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "text")),
		           "c4") == 0)
			assert_string_equal(
			    json_string_value(json_object_get(e, "status")),
			    "hidden");
		if (json_integer_value(json_object_get(e, "comment")) ==
		    comment_id(db, "Lovely <staff> & quick"))
			assert_string_equal(
			    json_string_value(json_object_get(e, "member")),
			    "Ann Smith");
	}
	json_decref(r);
	/* Past the last page: none, the total still said. */
	r = comments_page(db, NULL, 1, 9, 3);
	assert_int_equal(json_array_size(json_object_get(r, "comments")), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "pages")), 3);
	json_decref(r);
	/* Another practice's: none. */
	r = comments_page(db, "P2", 1, 1, 10);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
	json_decref(r);
	/* A campaign's: the comments on its responses (all seven here). */
	q.target = "spring";
	q.counted = 0;
	assert_int_equal(tally_comments(db, &q, 1, 1, 10, &r, &cause), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 7);
	assert_string_equal(json_string_value(json_object_get(r, "campaign")),
	                    "spring");
	json_decref(r);
	q.target = "exp";
	q.counted = 1;
	assert_int_equal(tally_comments(db, &q, 0, 0, 10, &r, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    tally_comments(db, &q, 0, 1, TALLY_PER_PAGE_MAX + 1, &r, &cause),
	    -1);
	free(cause);
	cause = NULL;

	/* The summary: a count, no answers. */
	assert_int_equal(tally_run(db, &q, &r, &cause), 0);
	e = question(r, "comment");
	assert_int_equal(json_integer_value(json_object_get(e, "comments")), 7);
	assert_int_equal(json_integer_value(json_object_get(e, "respondents")),
	                 7);
	assert_null(json_object_get(e, "answers"));
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fft_denominator),
	    cmocka_unit_test(test_median),
	    cmocka_unit_test(test_suppress),
	    cmocka_unit_test_setup_teardown(test_counts_and_rates, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fft_question, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_channel_attribution, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_comments_paged, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_scale_choice_number_text,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filters_and_targets, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_by_age_suppressed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_representation, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_representation_published,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_representation_base, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_profile_errors, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_annual, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_annual_figures, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
