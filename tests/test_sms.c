/* Tests for sms.c: GSM 03.38 detection and segment counting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sms.h"
#include "xmalloc.h"

/* Concatenate n copies of unit. Caller frees. */
static char *
rep(const char *unit, size_t n)
{
	size_t len = strlen(unit), i;
	char *s = xmalloc(len * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* Concatenate a NULL-terminated list of strings. Caller frees. */
static char *
cat(const char *first, ...)
{
	va_list ap;
	const char *s;
	char *out = xstrdup(""), *t;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		t = xasprintf("%s%s", out, s);
		free(out);
		out = t;
	}
	va_end(ap);
	return out;
}

static struct sms_info
analyse(const char *s)
{
	struct sms_info info;

	assert_int_equal(sms_analyse(s, &info), 0);
	return info;
}

static void
segments_of_rep(const char *unit, size_t n, enum sms_encoding enc,
                size_t segments)
{
	char *s = rep(unit, n);
	struct sms_info info = analyse(s);

	assert_int_equal(info.encoding, enc);
	assert_int_equal(info.characters, n);
	assert_int_equal(info.segments, segments);
	free(s);
}

static void
test_empty(void **state)
{
	struct sms_info info = analyse("");

	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.characters, 0);
	assert_int_equal(info.units, 0);
	assert_int_equal(info.segments, 1);
}

static void
test_plain_gsm(void **state)
{
	struct sms_info info = analyse("Hello @ £5 é Ä ñ ¿ Ω _ $\r\n");

	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.characters, 26);
	assert_int_equal(info.units, 26);
	assert_string_equal(sms_encoding_name(info.encoding), "GSM-7");
}

static void
test_extension_chars(void **state)
{
	struct sms_info info;

	info = analyse("€");
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.characters, 1);
	assert_int_equal(info.units, 2);
	info = analyse("[");
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.units, 2);
	info = analyse("^{}\\[~]|€\f");
	assert_int_equal(info.characters, 10);
	assert_int_equal(info.units, 20);
}

static void
test_non_gsm_switches_to_ucs2(void **state)
{
	struct sms_info info;

	info = analyse("Dziękuję Łukasz");
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.characters, 15);
	assert_int_equal(info.units, 15);
	assert_string_equal(sms_encoding_name(info.encoding), "UCS-2");
	info = analyse("We\xe2\x80\x99re here"); /* curly apostrophe */
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.characters, 10);
	info = analyse("a`b"); /* backtick is not in GSM 03.38 */
	assert_int_equal(info.encoding, SMS_UCS2);
	info = analyse("tab\there");
	assert_int_equal(info.encoding, SMS_UCS2);
}

static void
test_emoji_is_two_units(void **state)
{
	struct sms_info info = analyse("Thanks \xf0\x9f\x98\x80");

	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.characters, 8);
	assert_int_equal(info.units, 9);
	assert_int_equal(info.segments, 1);
}

static void
test_gsm_boundaries(void **state)
{
	segments_of_rep("a", 160, SMS_GSM7, 1);
	segments_of_rep("a", 161, SMS_GSM7, 2);
	segments_of_rep("a", 153 * 2, SMS_GSM7, 2);
	segments_of_rep("a", 153 * 2 + 1, SMS_GSM7, 3);
	segments_of_rep("a", 153 * 3, SMS_GSM7, 3);
	segments_of_rep("a", 153 * 3 + 1, SMS_GSM7, 4);
}

static void
test_ucs2_boundaries(void **state)
{
	segments_of_rep("ł", 70, SMS_UCS2, 1);
	segments_of_rep("ł", 71, SMS_UCS2, 2);
	segments_of_rep("ł", 67 * 2, SMS_UCS2, 2);
	segments_of_rep("ł", 67 * 2 + 1, SMS_UCS2, 3);
}

static void
test_extension_at_boundary(void **state)
{
	char *a158 = rep("a", 158), *a159 = rep("a", 159);
	char *a152 = rep("a", 152), *a151 = rep("a", 151);
	char *s;
	struct sms_info info;

	s = cat(a158, "€", NULL); /* exactly 160 septets */
	info = analyse(s);
	assert_int_equal(info.units, 160);
	assert_int_equal(info.segments, 1);
	free(s);
	s = cat(a159, "€", NULL); /* 161 septets */
	info = analyse(s);
	assert_int_equal(info.segments, 2);
	free(s);
	/* 306 septets fit 2 parts only if the escape pair could be split. */
	s = cat(a152, "€", a152, NULL);
	info = analyse(s);
	assert_int_equal(info.units, 306);
	assert_int_equal(info.segments, 3);
	free(s);
	/* The same pair one septet earlier stays whole in part 1. */
	s = cat(a151, "€", a152, "a", NULL);
	info = analyse(s);
	assert_int_equal(info.units, 306);
	assert_int_equal(info.segments, 2);
	free(s);
	free(a158), free(a159), free(a152), free(a151);
}

static void
test_surrogate_at_boundary(void **state)
{
	char *l66 = rep("ł", 66), *l65 = rep("ł", 65), *s;
	struct sms_info info;

	s = cat(l66, "\xf0\x9f\x98\x80", l66, NULL); /* 134 units */
	info = analyse(s);
	assert_int_equal(info.units, 134);
	assert_int_equal(info.characters, 133);
	assert_int_equal(info.segments, 3);
	free(s);
	s = cat(l65, "\xf0\x9f\x98\x80", l66, "ł", NULL); /* 134 units */
	info = analyse(s);
	assert_int_equal(info.units, 134);
	assert_int_equal(info.segments, 2);
	free(s);
	free(l66), free(l65);
}

static void
test_invalid_utf8(void **state)
{
	static const char *bad[] = {
	    "\xff",             /* never valid */
	    "abc\x80",          /* stray continuation */
	    "\xc3",             /* truncated */
	    "\xe2\x82",         /* truncated */
	    "\xc0\xaf",         /* overlong '/' */
	    "\xe0\x80\xaf",     /* overlong */
	    "\xed\xa0\x80",     /* UTF-16 surrogate */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	};
	struct sms_info info;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(sms_analyse(bad[i], &info), -1);
	assert_int_equal(sms_analyse("\xf4\x8f\xbf\xbf", &info), 0);
	assert_int_equal(info.units, 2);
}

/* The characters that force UCS-2, and their GSM-7 stand-ins. */
static void
test_ucs2_chars(void **state)
{
	struct sms_ucs2_char u[4];
	int all = -1;
	char *g;

	(void)state;
	/* Don’t – “x” ’ : three distinct, all replaceable. */
	assert_int_equal(
	    sms_ucs2_chars("Don\u2019t \u2013 \u201cx\u201d \u2019", u, 4,
	                   &all),
	    4);
	assert_int_equal(all, 1);
	assert_int_equal(u[0].cp, 0x2019);
	assert_string_equal(u[0].utf8, "\u2019");
	assert_string_equal(u[0].replacement, "'");
	assert_int_equal(u[1].cp, 0x2013);
	assert_string_equal(u[1].replacement, "-");
	assert_int_equal(u[2].cp, 0x201C);
	assert_string_equal(u[3].replacement, "\"");
	/* An emoji has no stand-in. */
	assert_int_equal(sms_ucs2_chars("Hi \u2013 \U0001F600", u, 4, &all), 2);
	assert_int_equal(all, 0);
	assert_null(u[1].replacement);
	/* GSM-7 text: none; é and £ are GSM-7, á is not. */
	assert_int_equal(sms_ucs2_chars("caf\u00e9 \u00a35", u, 4, &all), 0);
	assert_int_equal(all, 0);
	assert_int_equal(sms_ucs2_chars("\u00e1", NULL, 0, &all), 1);
	assert_int_equal(all, 1);
	/* More than max: counted, not stored. */
	assert_int_equal(
	    sms_ucs2_chars("\u2018\u2019\u201c\u201d\u2013", u, 2, NULL), 5);
	assert_int_equal(sms_ucs2_chars("\xff", u, 4, NULL), -1);
	g = sms_gsm7_text("Don\u2019t miss it \u2013 Tuesday\u2026 caf\u00e9");
	assert_string_equal(g, "Don't miss it - Tuesday... caf\u00e9");
	assert_int_equal(analyse(g).encoding, SMS_GSM7);
	free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_plain_gsm),
	    cmocka_unit_test(test_extension_chars),
	    cmocka_unit_test(test_non_gsm_switches_to_ucs2),
	    cmocka_unit_test(test_emoji_is_two_units),
	    cmocka_unit_test(test_gsm_boundaries),
	    cmocka_unit_test(test_ucs2_boundaries),
	    cmocka_unit_test(test_extension_at_boundary),
	    cmocka_unit_test(test_surrogate_at_boundary),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_ucs2_chars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
