/* Tests for publish.c: suppression, labels and dates on published pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "publish.h"

static void
test_suppress_line(void **state)
{
	const long a[] = {1, 0, 12, 9, 30}, b[] = {7, 8, 9}, c[] = {3, 0, 0};
	const long d[] = {2, 4, 10};
	unsigned char f[5];

	(void)state;
	/* 1 is small; with the total shown the next smallest above 0 goes. */
	publish_suppress(a, 5, 1, f);
	assert_int_equal(f[0], PUB_SMALL);
	assert_int_equal(f[1], PUB_SHOWN);
	assert_int_equal(f[2], PUB_SHOWN);
	assert_int_equal(f[3], PUB_HIDDEN);
	assert_int_equal(f[4], PUB_SHOWN);
	/* No total published: nothing to subtract from. */
	publish_suppress(a, 5, 0, f);
	assert_int_equal(f[3], PUB_SHOWN);
	publish_suppress(b, 3, 1, f);
	assert_true(f[0] == PUB_SHOWN && f[1] == PUB_SHOWN &&
	            f[2] == PUB_SHOWN);
	/* Only zeros are left: one of them goes. */
	publish_suppress(c, 3, 1, f);
	assert_true(f[0] == PUB_SMALL && f[1] == PUB_HIDDEN &&
	            f[2] == PUB_SHOWN);
	/* Two small ones already hide each other. */
	publish_suppress(d, 3, 1, f);
	assert_true(f[0] == PUB_SMALL && f[1] == PUB_SMALL &&
	            f[2] == PUB_SHOWN);
}

static void
test_counts(void **state)
{
	char *s;

	(void)state;
	s = publish_count(4, 0);
	assert_string_equal(s, "<5");
	free(s);
	s = publish_count(4, 1);
	assert_string_equal(s, "4");
	free(s);
	s = publish_count(0, 0);
	assert_string_equal(s, "0");
	free(s);
	s = publish_count(5, 0);
	assert_string_equal(s, "5");
	free(s);
	s = publish_cell(7, PUB_HIDDEN);
	assert_string_equal(s, "*");
	free(s);
}

static void
test_labels_and_dates(void **state)
{
	char buf[32], *s;

	(void)state;
	assert_string_equal(publish_date(1796256000, buf), "3 December 2026");
	s = publish_iso_date("2025-03-01");
	assert_string_equal(s, "1 March 2025");
	free(s);
	s = publish_iso_date("soon");
	assert_string_equal(s, "soon");
	free(s);
	assert_string_equal(publish_field("age_band"), "Age band");
	s = publish_value("age_band", "16-24");
	assert_string_equal(s, "16 to 24");
	free(s);
	s = publish_value("age_band", "85+");
	assert_string_equal(s, "85 and over");
	free(s);
	s = publish_value("tag", "mental-health");
	assert_string_equal(s, "Mental health");
	free(s);
	s = publish_value("tag", "Already Fine");
	assert_string_equal(s, "Already Fine");
	free(s);
	s = publish_value("sex", "prefer-not-to-say");
	assert_string_equal(s, "Prefer not to say");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_suppress_line),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_labels_and_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
