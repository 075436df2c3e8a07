/* Tests for form.c: strict x-www-form-urlencoded parsing and encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"

#define MAX_FIELDS 64

/* Parse s, failing the test on error. */
static struct form *
parse_ok(const char *s, size_t len)
{
	struct form *f = NULL;
	char *cause = NULL;

	if (form_parse(s, len, MAX_FIELDS, &f, &cause) != 0)
		fail_msg("form_parse: %s", cause);
	assert_non_null(f);
	return f;
}

/* Parse s expecting failure; returns the cause for checking. */
static char *
parse_bad(const char *s, size_t len, size_t max_fields)
{
	struct form *f = NULL;
	char *cause = NULL;

	assert_int_equal(form_parse(s, len, max_fields, &f, &cause), -1);
	assert_null(f);
	assert_non_null(cause);
	return cause;
}

static void
expect_bad(const char *s, size_t len, const char *fragment)
{
	char *cause = parse_bad(s, len, MAX_FIELDS);

	assert_non_null(strstr(cause, fragment));
	free(cause);
}

static void
test_empty(void **state)
{
	struct form *f = parse_ok("", 0);

	assert_int_equal(form_count(f), 0);
	assert_null(form_get(f, "a"));
	assert_null(form_key(f, 0));
	assert_null(form_value(f, 0));
	form_free(f);
}

static void
test_empty_values(void **state)
{
	struct form *f = parse_ok("a=&b", 4);

	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_key(f, 0), "a");
	assert_string_equal(form_value(f, 0), "");
	assert_string_equal(form_key(f, 1), "b");
	assert_string_equal(form_value(f, 1), "");
	assert_string_equal(form_get(f, "b"), "");
	assert_null(form_get(f, "c"));
	form_free(f);
}

static void
test_empty_fields_skipped(void **state)
{
	struct form *f = parse_ok("&a=1&&b=2&", 10);

	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_get(f, "a"), "1");
	assert_string_equal(form_get(f, "b"), "2");
	form_free(f);
}

static void
test_duplicates(void **state)
{
	struct form *f = parse_ok("d=1&x=y&d=2&d=1", 15);

	assert_int_equal(form_count(f), 4);
	assert_string_equal(form_get(f, "d"), "1");
	assert_string_equal(form_key(f, 2), "d");
	assert_string_equal(form_value(f, 2), "2");
	assert_string_equal(form_value(f, 3), "1");
	form_free(f);
}

static void
test_plus_and_escapes(void **state)
{
	const char *s = "Body=hello+world%20again&To=%2B447700900123&e=a%3db"
	                "&k%26=%C2%A3";
	struct form *f = parse_ok(s, strlen(s));

	assert_string_equal(form_get(f, "Body"), "hello world again");
	assert_string_equal(form_get(f, "To"), "+447700900123");
	assert_string_equal(form_get(f, "e"), "a=b");
	assert_string_equal(form_get(f, "k&"), "\xc2\xa3");
	form_free(f);
}

static void
test_value_with_equals(void **state)
{
	struct form *f = parse_ok("a=b=c", 5);

	assert_string_equal(form_get(f, "a"), "b=c");
	form_free(f);
}

static void
test_bad_escapes(void **state)
{
	expect_bad("a=%", 3, "percent");
	expect_bad("a=%4", 4, "percent");
	expect_bad("a=%zz", 5, "percent");
	expect_bad("a=%4g", 5, "percent");
	expect_bad("%=b", 3, "percent");
	expect_bad("ok=1&a=%%41", 11, "field 2");
	/* %4 followed by '&' must not borrow a byte from the next field. */
	expect_bad("a=%4&b=1", 8, "percent");
}

static void
test_nul(void **state)
{
	expect_bad("a=%00", 5, "NUL");
	expect_bad("a%00=b", 6, "NUL");
	expect_bad("a=x\0y", 5, "NUL");
	expect_bad("\0", 1, "NUL");
}

static void
test_invalid_utf8(void **state)
{
	expect_bad("a=%FF", 5, "UTF-8");
	expect_bad("a=%C3", 5, "UTF-8");           /* truncated */
	expect_bad("a=%C0%AF", 8, "UTF-8");        /* overlong '/' */
	expect_bad("a=%ED%A0%80", 11, "UTF-8");    /* surrogate */
	expect_bad("a=%F4%90%80%80", 14, "UTF-8"); /* above U+10FFFF */
	expect_bad("a=\xe2\x82", 4, "UTF-8");      /* raw, truncated */
	expect_bad("%80=b", 5, "UTF-8");
}

static void
test_valid_utf8(void **state)
{
	const char *s = "a=%E2%82%AC&b=%F0%9F%98%80&c=\xe2\x82\xac";
	struct form *f = parse_ok(s, strlen(s));

	assert_string_equal(form_get(f, "a"), "\xe2\x82\xac");
	assert_string_equal(form_get(f, "b"), "\xf0\x9f\x98\x80");
	assert_string_equal(form_get(f, "c"), "\xe2\x82\xac");
	form_free(f);
}

static void
test_max_fields(void **state)
{
	struct form *f = NULL;
	char *cause = NULL;

	assert_int_equal(form_parse("a=1&b=2&c=3", 11, 3, &f, &cause), 0);
	assert_int_equal(form_count(f), 3);
	form_free(f);
	/* Empty fields do not count against the limit. */
	assert_int_equal(form_parse("a=1&&b=2&", 9, 2, &f, &cause), 0);
	form_free(f);
	cause = parse_bad("a=1&b=2&c=3", 11, 2);
	assert_string_equal(cause, "more than 2 fields");
	free(cause);
	cause = parse_bad("a", 1, 0);
	free(cause);
}

static void
test_len_bounds_input(void **state)
{
	/* Only len bytes are read: the rest of the buffer is not parsed. */
	struct form *f = parse_ok("a=1&b=%zz", 3);

	assert_int_equal(form_count(f), 1);
	assert_string_equal(form_get(f, "a"), "1");
	form_free(f);
}

static void
test_encode(void **state)
{
	struct form *f = form_new();
	char *s;

	form_add(f, "To", "+44 7700 900123");
	form_add(f, "Body", "£5 & 50% off=yes*-._~/");
	form_add(f, "empty", "");
	s = form_encode(f);
	assert_string_equal(s, "To=%2B44+7700+900123&Body=%C2%A35+%26+50%25+off"
	                       "%3Dyes*-._%7E%2F&empty=");
	free(s);
	form_free(f);
	f = form_new();
	s = form_encode(f);
	assert_string_equal(s, "");
	free(s);
	form_free(f);
}

static void
test_round_trip(void **state)
{
	struct form *f = form_new(), *g;
	char *s;
	size_t i;

	form_add(f, "a b", "c+d");
	form_add(f, "a b", "%00 is not NUL here");
	form_add(f, "", "=&=");
	form_add(f, "snow", "\xe2\x98\x83");
	s = form_encode(f);
	g = parse_ok(s, strlen(s));
	assert_int_equal(form_count(g), form_count(f));
	for (i = 0; i < form_count(f); i++) {
		assert_string_equal(form_key(g, i), form_key(f, i));
		assert_string_equal(form_value(g, i), form_value(f, i));
	}
	free(s);
	form_free(f);
	form_free(g);
}

static void
test_long_value(void **state)
{
	size_t n = 1024 * 1024, i;
	char *body = malloc(n + 3), *enc;
	struct form *f, *g;

	memcpy(body, "v=", 2);
	for (i = 0; i < n; i++)
		body[2 + i] = (i % 1000 == 999) ? '+' : (char)('a' + i % 26);
	f = parse_ok(body, n + 2);
	assert_int_equal(strlen(form_get(f, "v")), n);
	assert_int_equal(form_get(f, "v")[999], ' ');
	assert_int_equal(form_get(f, "v")[n - 1], body[n + 1]);
	enc = form_encode(f);
	g = parse_ok(enc, strlen(enc));
	assert_string_equal(form_get(g, "v"), form_get(f, "v"));
	free(enc);
	free(body);
	form_free(f);
	form_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_empty_values),
	    cmocka_unit_test(test_empty_fields_skipped),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_plus_and_escapes),
	    cmocka_unit_test(test_value_with_equals),
	    cmocka_unit_test(test_bad_escapes),
	    cmocka_unit_test(test_nul),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_valid_utf8),
	    cmocka_unit_test(test_max_fields),
	    cmocka_unit_test(test_len_bounds_input),
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_long_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
