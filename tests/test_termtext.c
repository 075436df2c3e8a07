/* Tests for termtext: untrusted text made safe, widths, columns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "termtext.h"

static void
check_safe(const char *in, int oneline, const char *want)
{
	char *s = termtext_safe(in, oneline);

	assert_string_equal(s, want);
	free(s);
}

static void
test_safe(void **state)
{
	(void)state;
	check_safe("Sam Smith", 1, "Sam Smith");
	check_safe("Zo\xc3\xab \xe5\xbc\xa0", 1, "Zo\xc3\xab \xe5\xbc\xa0");
	/* An escape sequence that would clear the screen or set a title. */
	check_safe("hi\x1b[2J\x1b]0;pwned\x07", 1,
	           "hi\\x1b[2J\\x1b]0;pwned\\x07");
	check_safe("a\rb\x7f", 0, "a\rb\\x7f");
	check_safe("a\rb", 1, "a b");
	/* C1 controls (U+009B is a one-byte CSI on some terminals). */
	check_safe("x\xc2\x9b"
	           "31m",
	           1, "x\\x9b31m");
	/* Bidi override and zero-width characters. */
	check_safe("abc\xe2\x80\xae"
	           "fdp.exe",
	           1, "abc\\u{202E}fdp.exe");
	check_safe("a\xe2\x80\x8b"
	           "b",
	           1, "a\\u{200B}b");
	/* Lines: kept, or flattened. */
	check_safe("one\ntwo\tthree", 0, "one\ntwo\tthree");
	check_safe("one\ntwo\tthree", 1, "one two three");
	/* Bytes that are not UTF-8. */
	check_safe("bad\xff\xfe", 1, "bad\\xff\\xfe");
}

static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(termtext_width("abc"), 3);
	assert_int_equal(termtext_width("Zo\xc3\xab"), 3);  /* Zoë */
	assert_int_equal(termtext_width("Zoe\xcc\x88"), 3); /* e + U+0308 */
	assert_int_equal(termtext_width("\xe5\xbc\xa0\xe4\xbc\x9f"),
	                 4); /* 张伟 */
	assert_int_equal(termtext_width(""), 0);
}

static char *
cell(const char *s, int width, int last)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	termtext_cell(fp, s, width, last);
	fclose(fp);
	return out;
}

static void
test_cell(void **state)
{
	char *s;

	(void)state;
	s = cell("Zo\xc3\xab", 6, 0);
	assert_string_equal(s, "Zo\xc3\xab   "); /* 3 columns + 3 spaces */
	free(s);
	s = cell("\xe5\xbc\xa0\xe4\xbc\x9f\xe5\xbc\xa0", 5, 0);
	assert_string_equal(s, "\xe5\xbc\xa0\xe4\xbc\x9f "); /* no half char */
	free(s);
	s = cell("abcdef", 4, 0);
	assert_string_equal(s, "abcd");
	free(s);
	s = cell("ab", 6, 1);
	assert_string_equal(s, "ab");
	free(s);
	s = cell("a\x1b[31m", 20, 1);
	assert_string_equal(s, "a\\x1b[31m");
	free(s);
	s = cell(NULL, 2, 0);
	assert_string_equal(s, "  ");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_safe),
	    cmocka_unit_test(test_width),
	    cmocka_unit_test(test_cell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
