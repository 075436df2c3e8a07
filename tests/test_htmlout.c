/* Tests for htmlout.c: bars drawn to scale, labels inside the drawing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "htmlout.h"

/* The n-th (0-based) value of attribute attr on elements <tag in doc. */
static double
nth_attr(const char *doc, const char *tag, const char *attr, int n)
{
	const char *p = doc;
	char key[32];

	snprintf(key, sizeof key, " %s=\"", attr);
	while ((p = strstr(p, tag)) != NULL) {
		const char *end = strchr(p, '>'), *a = strstr(p, key);

		if (a != NULL && a < end && n-- == 0)
			return strtod(a + strlen(key), NULL);
		p = end;
	}
	fail_msg("no %s %s #%d", tag, attr, n);
	return -1;
}

static char *
chart(const struct html_bar *bars, size_t n, double max, int ratio)
{
	struct html *h = html_new("t");

	if (ratio)
		html_ratio_chart(h, "c", "d", bars, n,
		                 "1.0: like the practice");
	else
		html_bar_chart(h, "c", "d", bars, n, max);
	return html_finish(h, NULL);
}

/* The old code took the first bar as the maximum: 0.67 drew as wide as
 * 2.29, and 2.29 ran off the chart. */
static void
test_scaled_to_largest(void **state)
{
	struct html_bar bars[] = {
	    {"under", 0.67, NULL}, {"over", 2.29, NULL}, {"zero", 0, NULL}};
	char *doc = chart(bars, 3, 0, 0);
	double w0 = nth_attr(doc, "<rect", "width", 0),
	       w1 = nth_attr(doc, "<rect", "width", 1),
	       w2 = nth_attr(doc, "<rect", "width", 2);

	(void)state;
	assert_true(w1 == 300.0);
	assert_true(w0 > 87.0 && w0 < 88.5); /* 0.67 / 2.29 * 300 */
	assert_true(w2 == 0);
	free(doc);
}

static void
test_given_max(void **state)
{
	struct html_bar bars[] = {{"a", 40, "40%"}, {"b", 10, "10%"}};
	char *doc = chart(bars, 2, 100, 0);

	(void)state;
	assert_true(nth_attr(doc, "<rect", "width", 0) == 120.0);
	assert_true(nth_attr(doc, "<rect", "width", 1) == 30.0);
	free(doc);
}

/* Every text's x lies inside the 600-wide drawing, at any value. */
static void
test_labels_inside(void **state)
{
	struct html_bar bars[] = {{"a", 100, "100 (a long shown value)"},
	                          {"b", 1, "1"}};
	char *doc = chart(bars, 2, 0, 0);
	const char *p = doc;
	int texts = 0;

	(void)state;
	while ((p = strstr(p, "<text x=\"")) != NULL) {
		double x = strtod(p + 9, NULL);
		const char *s = strchr(p, '>') + 1, *e = strstr(s, "</text>");
		int start = strstr(p, "\"start\"") != NULL &&
		            strstr(p, "\"start\"") < s;

		assert_true(x >= 0 && x <= 600);
		if (start)
			assert_true(x + (double)(e - s) * 7.5 <= 600 ||
			            e - s < 4);
		texts++;
		p = e;
	}
	assert_int_equal(texts, 4);
	free(doc);
}

/* Ratios: a fixed 0..2 scale with a reference line at 1.0. */
static void
test_ratio_scale(void **state)
{
	struct html_bar bars[] = {{"a", 0.67, NULL}, {"b", 1.2, NULL}};
	struct html_bar wide[] = {{"a", 0.5, NULL}, {"b", 2.29, NULL}};
	char *doc = chart(bars, 2, 0, 1);

	(void)state;
	assert_true(nth_attr(doc, "<rect", "width", 0) == 100.5);
	assert_true(nth_attr(doc, "<rect", "width", 1) == 180.0);
	assert_true(nth_attr(doc, "<line class=\"ref\"", "x1", 0) == 365.0);
	assert_non_null(strstr(doc, "like the practice"));
	free(doc);
	assert_true(html_ratio_max(wide, 2) == 2.5);
	doc = chart(wide, 2, 0, 1);
	assert_true(nth_attr(doc, "<rect", "width", 0) == 60.0);
	assert_true(nth_attr(doc, "<line class=\"ref\"", "x1", 0) == 335.0);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scaled_to_largest),
	    cmocka_unit_test(test_given_max),
	    cmocka_unit_test(test_labels_inside),
	    cmocka_unit_test(test_ratio_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
