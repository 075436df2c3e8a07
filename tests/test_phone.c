/* Tests for phone.c: UK and international normalisation to E.164. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phone.h"

static void
assert_normalises(const char *in, const char *want)
{
	char out[17];
	char *cause = NULL;
	int rc;

	rc = phone_normalise(in, out, &cause);
	if (rc != 0)
		print_error("input \"%s\": %s\n", in, cause);
	assert_int_equal(rc, 0);
	assert_null(cause);
	assert_string_equal(out, want);
}

static void
assert_rejects(const char *in, const char *want_cause)
{
	char out[17];
	char *cause = NULL;

	if (phone_normalise(in, out, &cause) == 0)
		print_error("input \"%s\" accepted as %s\n", in, out);
	assert_non_null(cause);
	assert_string_equal(cause, want_cause);
	assert_string_equal(out, "");
	free(cause);
}

static void
test_uk_mobile_forms(void **state)
{
	static const char *forms[] = {
	    "07700 900123",        "07700900123",       "+44 7700 900123",
	    "+44 (0)7700 900123",  "0044 7700900123",   "44 7700 900123",
	    "+447700900123",       "07700-900-123",     "07700.900.123",
	    "(07700) 900123",      "  07700 900123  ",  "+44 07700 900123",
	    "0044 (0)7700 900123", "44 (0)7700 900123", "(+44) 7700 900123",
	    "7700 900123",         "44 07700 900123",   "\t07700\t900123",
	};
	size_t i;

	for (i = 0; i < sizeof forms / sizeof forms[0]; i++)
		assert_normalises(forms[i], "+447700900123");
}

static void
test_uk_landline(void **state)
{
	assert_normalises("020 7946 0000", "+442079460000");
	assert_normalises("(0113) 496 0000", "+441134960000");
	assert_normalises("+44 (0)161 496 0000", "+441614960000");
	assert_normalises("0300 123 4567", "+443001234567");
	assert_normalises("0800 123 4567", "+448001234567");
}

static void
test_international(void **state)
{
	assert_normalises("+1 202 555 0143", "+12025550143");
	assert_normalises("+353 85 123 4567", "+353851234567");
	assert_normalises("00353 85 123 4567", "+353851234567");
	assert_normalises("+49 (0)30 1234567", "+49301234567");
	assert_normalises("+12345678", "+12345678");
	assert_normalises("+123456789012345", "+123456789012345");
}

static void
test_rejects(void **state)
{
	assert_rejects("", "empty");
	assert_rejects("   ", "empty");
	assert_rejects("+", "too short");
	assert_rejects("07700 9001", "too short for a UK number");
	assert_rejects("07700 9001234", "too long for a UK number");
	assert_rejects("+44 7700 9001234", "too long for a UK number");
	assert_rejects("+44 7700 90012", "too short for a UK number");
	assert_rejects("07700 9OO123", "contains letters");
	assert_rejects("07700 900123 ext 4", "contains letters");
	assert_rejects("4.47701E+11", "contains letters");
	assert_rejects("07700/900123", "contains an unexpected character");
	assert_rejects("07700 900123+", "'+' is only allowed at the start");
	assert_rejects("++447700900123", "'+' is only allowed at the start");
	assert_rejects("(07700 900123", "unbalanced brackets");
	assert_rejects("07700) 900123", "unbalanced brackets");
	assert_rejects("((07700)) 900123", "unbalanced brackets");
	assert_rejects("+1234567", "too short");
	assert_rejects("+1234567890123456", "too long");
	assert_rejects("+0 7700 900123",
	               "no country code after the international prefix");
	assert_rejects("04700 900123", "not a valid UK number");
	assert_rejects("00000000000",
	               "no country code after the international prefix");
	assert_rejects("4412345678", "not a valid UK number");
	assert_rejects("123456789012345678901234567", "too long");
}

static void
test_cause_may_be_null(void **state)
{
	char out[17];

	assert_int_equal(phone_normalise("nonsense", out, NULL), -1);
	assert_int_equal(phone_normalise("07700900123", out, NULL), 0);
	assert_string_equal(out, "+447700900123");
}

static void
test_is_uk_mobile(void **state)
{
	assert_true(phone_is_uk_mobile("+447700900123"));
	assert_true(phone_is_uk_mobile("+447123456789"));
	assert_true(phone_is_uk_mobile("+447512345678"));
	assert_true(phone_is_uk_mobile("+447912345678"));
	assert_true(phone_is_uk_mobile("+447624123456"));
	assert_false(phone_is_uk_mobile("+447012345678")); /* personal */
	assert_false(phone_is_uk_mobile("+447612345678")); /* pager */
	assert_false(phone_is_uk_mobile("+442079460000")); /* landline */
	assert_false(phone_is_uk_mobile("+4477009001234"));
	assert_false(phone_is_uk_mobile("+44770090012"));
	assert_false(phone_is_uk_mobile("+44770090012x"));
	assert_false(phone_is_uk_mobile("07700900123"));
	assert_false(phone_is_uk_mobile("+353851234567"));
	assert_false(phone_is_uk_mobile(""));
	assert_false(phone_is_uk_mobile(NULL));
}

static void
test_normalised_then_mobile(void **state)
{
	char out[17];

	assert_int_equal(phone_normalise("+44 (0)7700 900999", out, NULL), 0);
	assert_true(phone_is_uk_mobile(out));
	assert_int_equal(phone_normalise("020 7946 0000", out, NULL), 0);
	assert_false(phone_is_uk_mobile(out));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uk_mobile_forms),
	    cmocka_unit_test(test_uk_landline),
	    cmocka_unit_test(test_international),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_cause_may_be_null),
	    cmocka_unit_test(test_is_uk_mobile),
	    cmocka_unit_test(test_normalised_then_mobile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
