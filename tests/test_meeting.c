/* The use case "a meeting with its campaigns": all of it, or nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "campaign_fixture.h"
#include "meeting.h"

static void
test_create_with_campaigns(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct meeting m = {.practice_id = 1,
	                    .at = FX_NOON + 30 * FX_DAY,
	                    .place = "The surgery"};
	char *cause = NULL;

	fx_survey(db, "surveys/post-meeting.yaml", NULL);
	assert_int_equal(meeting_create(db, cfg, &m, 1, NULL, NULL, &cause), 0);
	assert_true(m.id > 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 1);
	assert_int_equal(
	    fx_count(db, "SELECT count(*) FROM campaigns WHERE meeting_id = 1"),
	    3);
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
	config_free(cfg);
}

/* The feedback survey is not loaded: no campaign and no meeting either. */
static void
test_create_is_one_transaction(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct meeting m = {.practice_id = 1,
	                    .at = FX_NOON + 30 * FX_DAY,
	                    .place = "The surgery"};
	char *cause = NULL;

	assert_int_equal(meeting_create(db, cfg, &m, 1, NULL, NULL, &cause),
	                 -1);
	assert_non_null(strstr(cause, "post-meeting"));
	free(cause);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM campaigns"), 0);
	/* Without campaigns the meeting alone is made. */
	cause = NULL;
	assert_int_equal(meeting_create(db, cfg, &m, 0, NULL, NULL, &cause), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 1);
	db_close(db);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_with_campaigns),
	    cmocka_unit_test(test_create_is_one_transaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
