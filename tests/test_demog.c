/* Demographics as GP systems print them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "demog.h"

static void
check_eth(const char *v, const char *broad, const char *detail)
{
	const char *b = "x", *d = "x";

	if (demog_ethnicity(v, &b, &d) != 0)
		fail_msg("'%s' not read", v);
	if (broad == NULL)
		assert_null(b);
	else if (b == NULL || strcmp(b, broad) != 0)
		fail_msg("'%s': broad %s, want %s", v, b ? b : "NULL", broad);
	if (detail == NULL)
		assert_null(d);
	else if (d == NULL || strcmp(d, detail) != 0)
		fail_msg("'%s': detail %s, want %s", v, d ? d : "NULL", detail);
}

static void
test_ethnicity(void **state)
{
	const char *b, *d;

	check_eth("White - British", "white", "White: British");
	check_eth("White British", "white", "White: British");
	check_eth("British", "white", "White: British");
	check_eth("A", "white", "White: British");
	check_eth("CA", "white", "White: Any other White background");
	check_eth("White: English, Welsh, Scottish, Northern Irish or British",
	          "white", "White: British");
	check_eth("White British - ethnic category 2001 census", "white",
	          "White: British");
	check_eth("Asian or Asian British - Indian", "asian", "Asian: Indian");
	check_eth("Asian, Asian British or Asian Welsh: Pakistani", "asian",
	          "Asian: Pakistani");
	check_eth("Black or Black British - African", "black",
	          "Black: African");
	check_eth("Black, Black British, Black Welsh, Caribbean or African: "
	          "Caribbean",
	          "black", "Black: Caribbean");
	check_eth("Mixed - White and Black Caribbean", "mixed",
	          "Mixed: White and Black Caribbean");
	check_eth("White and Asian - ethnic category 2001 census", "mixed",
	          "Mixed: White and Asian");
	check_eth("Other Ethnic Groups - Chinese", "asian", "Asian: Chinese");
	check_eth("Other ethnic group: Arab", "other", "Other: Arab");
	check_eth("Any other ethnic group", "other",
	          "Other: Any other ethnic group");
	check_eth("Other White background", "white",
	          "White: Any other White background");
	check_eth("White: Gypsy or Irish Traveller", "white",
	          "White: Gypsy or Irish Traveller");
	check_eth("Not stated", "prefer-not-to-say", "Not stated");
	check_eth("Z", "prefer-not-to-say", "Not stated");
	check_eth("Ethnic category not stated - 2001 census",
	          "prefer-not-to-say", "Not stated");
	check_eth("prefer-not-to-say", "prefer-not-to-say", "Not stated");
	check_eth("99", NULL, NULL);
	check_eth("Not known", NULL, NULL);
	check_eth("white", "white", NULL);
	check_eth("OTHER", "other", NULL);
	assert_int_equal(demog_ethnicity("Martian", &b, &d), -1);
	assert_int_equal(demog_ethnicity("Q", &b, &d), -1);
}

static void
test_sex(void **state)
{
	static const char *const in[] = {
	    "1",        "M", "Male",          "2",          "f", "FEMALE",
	    "9",        "I", "Indeterminate", "Not stated", "0", "U",
	    "Not known"};
	static const char *const want[] = {"male",
	                                   "male",
	                                   "male",
	                                   "female",
	                                   "female",
	                                   "female",
	                                   "indeterminate",
	                                   "indeterminate",
	                                   "indeterminate",
	                                   "prefer-not-to-say",
	                                   NULL,
	                                   NULL,
	                                   NULL};
	const char *s;
	size_t i;

	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		s = "x";
		assert_int_equal(demog_sex(in[i], &s), 0);
		if (want[i] == NULL)
			assert_null(s);
		else
			assert_string_equal(s, want[i]);
	}
	assert_int_equal(demog_sex("robot", &s), -1);
}

static void
test_birth_and_band(void **state)
{
	char buf[8];
	int ym = 0;
	int64_t now = 1764720000; /* 2025-12-03 */

	assert_int_equal(demog_birth("1950-03-14", &ym), 0);
	assert_string_equal(demog_birth_text(ym, buf), "1950-03");
	assert_int_equal(demog_birth("14/03/1950", &ym), 0);
	assert_string_equal(demog_birth_text(ym, buf), "1950-03");
	assert_int_equal(demog_birth("14-Mar-1950", &ym), 0);
	assert_string_equal(demog_birth_text(ym, buf), "1950-03");
	assert_int_equal(demog_birth("14 March 1950", &ym), 0);
	assert_int_equal(demog_birth("14/03/1950 00:00", &ym), 0);
	assert_string_equal(demog_birth_text(ym, buf), "1950-03");
	assert_int_equal(demog_birth("14/03/1950x", &ym), -1);
	assert_int_equal(demog_birth("1950-03", &ym), 0);
	assert_string_equal(demog_birth_text(ym, buf), "1950-03");
	assert_int_equal(demog_birth("31/02/1950", &ym), -1);
	assert_int_equal(demog_birth("14/03/50", &ym), -1);
	assert_int_equal(demog_birth("yesterday", &ym), -1);
	/* 75 in March 2025; 75-84 now, 65-74 before March. */
	assert_string_equal(demog_age_band(ym, now), "75-84");
	assert_string_equal(demog_age_band(ym, 1738368000), "65-74");
	demog_birth("2011-01-01", &ym);
	assert_string_equal(demog_age_band(ym, now), "0-15");
	demog_birth("1930-01-01", &ym);
	assert_string_equal(demog_age_band(ym, now), "85+");
	demog_birth("2009-12-01", &ym);
	assert_string_equal(demog_age_band(ym, now), "16-24");
	assert_null(demog_age_band(0, now));
}

/* The SQL age band agrees with demog_age_band, month by month. */
static void
test_band_sql(void **state)
{
	struct db *db;
	char *cause = NULL;
	sqlite3_stmt *st;
	int ym;
	int64_t now;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	st = db_stmt(db, "SELECT " DEMOG_AGE_BAND_SQL("?1", "'stored'", "?2"));
	for (now = 1700000000; now < 1800000000; now += 86400 * 13)
		for (ym = 1930 * 12; ym < 2012 * 12; ym += 7) {
			sqlite3_reset(st);
			db_bind_int(st, 1, ym);
			db_bind_int(st, 2, now);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			assert_string_equal(db_col_text(st, 0),
			                    demog_age_band(ym, now));
		}
	sqlite3_reset(st);
	sqlite3_bind_null(st, 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "stored");
	sqlite3_reset(st);
	db_close(db);
}

static void
test_postcode_needs(void **state)
{
	char *s;

	s = demog_postcode("ls1 4ap", 0);
	assert_string_equal(s, "LS1 4AP");
	free(s);
	s = demog_postcode("SW1A1AA", 1);
	assert_string_equal(s, "SW1A");
	free(s);
	s = demog_postcode("M1", 0);
	assert_string_equal(s, "M1");
	free(s);
	assert_null(demog_postcode("12345", 0));
	assert_null(demog_postcode("LS1 4AP; DROP", 0));
	s = demog_needs("Large print; BSL interpreter, braille;large print");
	assert_string_equal(s, "braille,bsl-interpreter,large-print");
	free(s);
	s = demog_needs("Needs a carer present");
	assert_string_equal(s, "needs-a-carer-present");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ethnicity),
	    cmocka_unit_test(test_sex),
	    cmocka_unit_test(test_birth_and_band),
	    cmocka_unit_test(test_band_sql),
	    cmocka_unit_test(test_postcode_needs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
