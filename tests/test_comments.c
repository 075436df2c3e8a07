/* Tests for comments.c: masking personal details, moderation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "comments.h"
#include "db.h"
#include "practice.h"
#include "survey.h"

static const char *const names[] = {"patel", "jones", "siân"};

static void
assert_mask(const char *in, const char *want)
{
	char *got = comments_mask(in, names, 3);

	if (strcmp(got, want) != 0)
		print_error("input \"%s\": got \"%s\"\n", in, got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_nhs_check_digit(void **state)
{
	(void)state;
	assert_true(comments_nhs_valid("9434765919"));
	assert_true(comments_nhs_valid("943 476 5919"));
	assert_true(comments_nhs_valid("401-023-2137"));
	assert_false(comments_nhs_valid("9434765918")); /* wrong digit */
	assert_false(comments_nhs_valid("1234567890")); /* check is 10 */
	assert_false(comments_nhs_valid("943476591"));
	assert_false(comments_nhs_valid("94347659190"));
}

static void
test_mask_numbers(void **state)
{
	(void)state;
	assert_mask("my NHS number is 943 476 5919, thanks",
	            "my NHS number is [removed], thanks");
	assert_mask("NHS no 9434765919.", "NHS no [removed].");
	/* Fails the check and is no phone number: kept. */
	assert_mask("ref 1234567890 ok", "ref 1234567890 ok");
	assert_mask("call me on 07700 900123 please",
	            "call me on [removed] please");
	assert_mask("or +44 7700 900123", "or [removed]");
	assert_mask("landline (01632) 960 001", "landline ([removed]");
	assert_mask("waited 45 minutes, 3 times", "waited 45 minutes, 3 times");
}

static void
test_mask_email_and_dates(void **state)
{
	(void)state;
	assert_mask("write to ann.smith+ppg@example.co.uk now",
	            "write to [removed] now");
	assert_mask("born 03/12/1985 and 3-12-85",
	            "born [removed] and [removed]");
	assert_mask("DOB 1985-12-03", "DOB [removed]");
	assert_mask("born on 3rd December 1985.", "born on [removed].");
	assert_mask("born December 3, 1985", "born [removed]");
	assert_mask("seen in 2025 at 10.30", "seen in 2025 at 10.30");
}

static void
test_mask_names(void **state)
{
	(void)state;
	assert_mask("Dr Patel was rude to me about my depression",
	            "Dr [removed] was rude to me about my depression");
	assert_mask("Mrs Ogunbanjo at reception", "Mrs [removed] at reception");
	assert_mask("thanks to JONES and siân", "thanks to [removed] and "
	                                        "[removed]");
	assert_mask("Siân Jones helped", "[removed] helped");
	/* Parts of words are not names. */
	assert_mask("Jonesy patella", "Jonesy patella");
	assert_mask("the doctor was kind", "the doctor was kind");
}

/* ---- the store ---------------------------------------------------------- */

static const char survey_yaml[] =
    "slug: exp\ntitle: E\nversion: 1\nanonymous: false\nquestions:\n"
    "  - key: rating\n    type: scale\n    text: Rate\n    min: 1\n"
    "    max: 5\n"
    "  - key: comment\n    type: text\n    text: Anything else?\n";

/* The survey's definition, as survey load stores it. */
static void
load_definition(struct db *db)
{
	struct survey *s;
	char *errors = NULL, *text;
	sqlite3_stmt *st;

	if (survey_load_string(survey_yaml, strlen(survey_yaml), "test", &s,
	                       &errors) != 0)
		fail_msg("%s", errors);
	text = survey_dumps(s);
	st = db_stmt(db, "UPDATE surveys SET definition = ? WHERE id = 1");
	db_bind_text(st, 1, text);
	assert_int_equal(db_done(db, st), 0);
	free(text);
	survey_free(s);
}

static int
setup(void **state)
{
	struct db *db;
	char *cause = NULL;
	struct practice p = {.code = "P1", .name = "One"};

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(practice_add(db, &p, &cause), 0);
	assert_int_equal(
	    db_exec(
	        db,
	        "INSERT INTO members (id, practice_id, first_name,"
	        " last_name, joined_at, created_at, updated_at) VALUES"
	        " (1, 1, 'Mary', 'Quint', 0, 0, 0);"
	        "INSERT INTO actions (practice_id, area, title, owner,"
	        " created_at, updated_at) VALUES (1, 'a', 't',"
	        " 'Sam Okafor', 0, 0);"
	        "INSERT INTO surveys (id, slug, version, title, anonymous,"
	        " definition, hash, loaded_at) VALUES (1, 'exp', 1, 'E', 0,"
	        " '', 'x', 0);"
	        "INSERT INTO campaigns (id, name, practice_id, kind,"
	        " survey_id, template, channels, created_at) VALUES (1,"
	        " 'spring', 1, 'survey', 1, 't', 'email', 0);"
	        "INSERT INTO responses (id, survey_id, campaign_id,"
	        " practice_id, member_id, channel, started_at) VALUES"
	        " (1, 1, 1, 1, 1, 'web', 1741000000),"
	        " (2, 1, 1, 1, NULL, 'web', 1741000000);"
	        "INSERT INTO answers VALUES (1, 'comment', 'Mary Quint here,"
	        " mary@example.org', NULL), (1, 'rating', '4', NULL),"
	        " (2, 'comment', 'Sam was great', NULL);",
	        &cause),
	    0);
	load_definition(db);
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

static const char *
field(const json_t *arr, size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(arr, i), k));
}

static void
test_sync_and_moderate(void **state)
{
	struct db *db = *state;
	char *cause = NULL;
	json_t *l;

	assert_int_equal(comments_sync(db, 10), 2);
	assert_int_equal(comments_sync(db, 11), 0);
	l = comments_list_json(db, "spring", 1, &cause);
	assert_int_equal(json_array_size(l), 2);
	/* Masked before anyone looks: member and staff names, email. */
	assert_string_equal(field(l, 0, "text"), "[removed] here, [removed]");
	assert_string_equal(field(l, 1, "text"), "[removed] was great");
	assert_string_equal(field(l, 0, "status"), "pending");
	json_decref(l);
	assert_int_equal(comments_set_status(db, 1, "approved", 12, &cause), 0);
	assert_int_equal(comments_set_status(db, 2, "hidden", 12, &cause), 0);
	assert_int_equal(comments_set_status(db, 2, "gone", 12, &cause), -1);
	free(cause);
	assert_int_equal(comments_set_status(db, 9, "hidden", 12, &cause), -1);
	assert_non_null(strstr(cause, "no comment 9"));
	free(cause);
	l = comments_list_json(db, "exp", 1, &cause);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	assert_int_equal(
	    comments_redact(db, 1, "Mary said the wait was long", 13, &cause),
	    0);
	assert_int_equal(comments_tag(db, 1, "Access", 13, &cause), 0);
	l = comments_list_json(db, "exp", 0, &cause);
	assert_string_equal(field(l, 0, "text"),
	                    "[removed] said the wait was long");
	assert_string_equal(field(l, 0, "theme"), "access");
	assert_true(
	    json_is_true(json_object_get(json_array_get(l, 0), "redacted")));
	json_decref(l);
	assert_null(comments_list_json(db, "nope", 0, &cause));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nhs_check_digit),
	    cmocka_unit_test(test_mask_numbers),
	    cmocka_unit_test(test_mask_email_and_dates),
	    cmocka_unit_test(test_mask_names),
	    cmocka_unit_test_setup_teardown(test_sync_and_moderate, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
