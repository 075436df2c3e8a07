/* Tests for textnorm.c: the forms people type fold to one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textnorm.h"

static void
assert_words(const char *in, const char *want)
{
	char *got = textnorm_words(in);

	if (strcmp(got, want) != 0)
		print_error("input \"%s\": got \"%s\"\n", in, got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_stop_forms(void **state)
{
	(void)state;
	assert_words(" Stop.", "stop");
	assert_words("STOP!", "stop");
	assert_words("\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb0",
	             "stop");
	assert_words("ST\xe2\x80\x8bOP", "stop"); /* zero-width space */
	assert_words("S\xc2\xad"
	             "TOP",
	             "stop"); /* soft hyphen */
	assert_words("\"stop\"", "stop");
	assert_words("\xe2\x80\x9cStop\xe2\x80\x9d", "stop"); /* curly quotes */
}

static void
test_words(void **state)
{
	(void)state;
	assert_words("I can't breathe!!", "i cant breathe");
	assert_words("I can\xe2\x80\x99t  breathe", "i cant breathe");
	assert_words("caf\xc3\xa9 -- na\xc3\xafve", "cafe naive");
	assert_words("chest-pain,now", "chest pain now");
	assert_words("", "");
	assert_words("?!.", "");
	assert_words("\xff\xfe stop", "stop"); /* invalid bytes: no crash */
}

static void
test_fold(void **state)
{
	char *f;

	(void)state;
	f = textnorm_fold("Stra\xc3\x9f"
	                  "e \xef\xbc\xa1");
	assert_string_equal(f, "strasse a");
	free(f);
	f = textnorm_fold("a\x01"
	                  "b");
	assert_string_equal(f, "ab");
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stop_forms),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
