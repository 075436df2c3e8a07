/* Outbox bodies packed against a run's sample: round trips and damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bodypack.h"

static const char dict[] =
    "Dear Christabelle,\n\nPlease tell us about your visit:"
    " https://ppg.example.org/s/AbCdEfGhIjKlMnOpQrStUv\n"
    "<p>Dear Christabelle,</p><p>Please tell us about your visit:"
    " <a href=\"https://ppg.example.org/s/AbCdEfGhIjKlMnOpQrStUv\">"
    "the survey</a></p>";
static const char text[] =
    "Dear Ann,\n\nPlease tell us about your visit:"
    " https://ppg.example.org/s/Zz9xYyQ8wWvV7uUtT6sSrR\n";
static const char html[] =
    "<p>Dear Ann,</p><p>Please tell us about your visit:"
    " <a href=\"https://ppg.example.org/s/Zz9xYyQ8wWvV7uUtT6sSrR\">"
    "the survey</a></p>";

/* Pack with dict d; a copy of the blob in *blob, its length returned. */
static size_t
pack(const char *d, const char *t, const char *h, unsigned char **blob)
{
	struct bodypack *b = bodypack_new(d, strlen(d));
	const unsigned char *out;
	size_t len;

	assert_int_equal(bodypack_pack(b, t, h, &out, &len), 0);
	*blob = malloc(len);
	memcpy(*blob, out, len);
	bodypack_free(b);
	return len;
}

static void
test_round_trip(void **state)
{
	unsigned char *blob;
	size_t len = pack(dict, text, html, &blob);
	char *t, *h;

	/* The sample makes most of the message a back-reference. */
	assert_true(len < (strlen(text) + strlen(html)) / 3);
	assert_int_equal(bodypack_unpack(dict, strlen(dict), blob, len, &t, &h),
	                 0);
	assert_string_equal(t, text);
	assert_string_equal(h, html);
	free(t);
	free(h);
	free(blob);
}

static void
test_no_html(void **state)
{
	unsigned char *blob;
	size_t len = pack(dict, "Hi Ann", NULL, &blob);
	char *t, *h;

	assert_int_equal(bodypack_unpack(dict, strlen(dict), blob, len, &t, &h),
	                 0);
	assert_string_equal(t, "Hi Ann");
	assert_null(h);
	free(t);
	free(blob);
	/* An empty dictionary (a run whose sample did not render) works. */
	len = pack("", "", "", &blob);
	assert_int_equal(bodypack_unpack(NULL, 0, blob, len, &t, &h), 0);
	assert_string_equal(t, "");
	assert_string_equal(h, "");
	free(t);
	free(h);
	free(blob);
}

/* Another run's dictionary or a damaged row: an error, never other text. */
static void
test_damage(void **state)
{
	unsigned char *blob;
	size_t len = pack(dict, text, html, &blob);
	char *t, *h;

	assert_int_equal(
	    bodypack_unpack(dict, strlen(dict) - 1, blob, len, &t, &h), -1);
	assert_int_equal(bodypack_unpack(NULL, 0, blob, len, &t, &h), -1);
	assert_null(t);
	blob[len - 1] ^= 0x55;
	assert_int_equal(bodypack_unpack(dict, strlen(dict), blob, len, &t, &h),
	                 -1);
	assert_int_equal(
	    bodypack_unpack(dict, strlen(dict), blob, len / 2, &t, &h), -1);
	assert_int_equal(bodypack_unpack(dict, strlen(dict), "x", 1, &t, &h),
	                 -1);
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_no_html),
	    cmocka_unit_test(test_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
