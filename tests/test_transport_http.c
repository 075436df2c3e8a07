/* The shared reading of an HTTP provider's answer into a send_outcome. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "transport_http.h"

/* A provider whose errors are {"code": "...", "message": "..."}. */
static void
stub_error(struct send_outcome *o, const json_t *j)
{
	json_t *c = json_object_get(j, "code"), *m;

	if (json_is_string(c))
		snprintf(o->code, sizeof o->code, "%s", json_string_value(c));
	if (json_is_string(m = json_object_get(j, "message")))
		snprintf(o->text, sizeof o->text, "%s", json_string_value(m));
}

static const struct transport_http_provider stub = {
    .name = "stub",
    .id_key = "ref",
    .error = stub_error,
};

static struct send_outcome got;
static int calls;

static void
done(const struct send_outcome *o, void *arg)
{
	got = *o;
	calls++;
	assert_ptr_equal(arg, &calls);
}

static void
answer(long status, const char *body, const char *retry_after,
       const char *curl_error)
{
	struct transport_http_req *r =
	    transport_http_req_new(&stub, 42, done, &calls);

	memset(&got, 0, sizeof got);
	calls = 0;
	transport_http_answer(status, body, retry_after, curl_error, r);
	assert_int_equal(calls, 1);
	assert_int_equal(got.id, 42);
}

static void
test_no_answer_is_network(void **state)
{
	answer(0, "", NULL, "Connection refused");
	assert_int_equal(got.result, SEND_TEMPFAIL);
	assert_string_equal(got.code, "network");
	assert_string_equal(got.text, "Connection refused");
}

static void
test_2xx_keeps_the_id(void **state)
{
	answer(201, "{\"ref\": \"abc-1\", \"id\": \"not this\"}", NULL, "");
	assert_int_equal(got.result, SEND_OK);
	assert_string_equal(got.provider_id, "abc-1");
	assert_string_equal(got.code, "");
}

/* The id is read without a JSON tree; only the top-level member counts. */
static void
test_2xx_id_scanned(void **state)
{
	static const struct {
		const char *body, *id;
	} cases[] = {
	    {"{\"ref\": \"R1\"}", "R1"},
	    {" {\n\"account_ref\": \"A\", \"nested\": {\"ref\": \"N\","
	     " \"x\": [1, {\"ref\": \"M\"}]}, \"body\": \"say \\\"ref\\\": "
	     "\\\"Q\\\"\", \"n\": -1.5e3, \"t\": true, \"z\": null,"
	     " \"ref\": \"SM2\", \"after\": 1}",
	     "SM2"},
	    /* An escape in the id itself: the full parser decodes it. */
	    {"{\"ref\": \"a\\/b\"}", "a/b"},
	    /* Only a nested one: none (the full parser agrees). */
	    {"{\"x\": {\"ref\": \"N\"}}", ""},
	    {"not json", ""},
	    {"{\"ref\": 7}", ""},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		answer(201, cases[i].body, NULL, NULL);
		assert_int_equal(got.result, SEND_OK);
		assert_string_equal(got.provider_id, cases[i].id);
	}
}

static void
test_2xx_without_id(void **state)
{
	answer(200, "not json", NULL, "");
	assert_int_equal(got.result, SEND_OK);
	assert_string_equal(got.provider_id, "");
}

static void
test_429_and_5xx_wait(void **state)
{
	answer(429, "{\"code\": \"slow\", \"message\": \"Slow down\"}", "7",
	       "");
	assert_int_equal(got.result, SEND_TEMPFAIL);
	assert_int_equal(got.retry_after, 7);
	assert_string_equal(got.code, "slow");
	assert_string_equal(got.text, "Slow down");
	answer(503, "", NULL, "");
	assert_int_equal(got.result, SEND_TEMPFAIL);
	assert_int_equal(got.retry_after, 0);
	assert_string_equal(got.code, "http_503");
	assert_string_equal(got.text, "HTTP 503 from stub");
}

static void
test_other_4xx_is_permanent(void **state)
{
	answer(400, "{\"code\": \"bad_to\", \"message\": \"Bad number\"}", "60",
	       "");
	assert_int_equal(got.result, SEND_PERMFAIL);
	assert_int_equal(got.retry_after, 0);
	assert_string_equal(got.code, "bad_to");
	assert_string_equal(got.text, "Bad number");
	answer(404, "<html>", NULL, "");
	assert_int_equal(got.result, SEND_PERMFAIL);
	assert_string_equal(got.code, "http_404");
	assert_string_equal(got.text, "HTTP 404 from stub");
}

static void
test_fail_later_reports_from_the_loop(void **state)
{
	struct event_base *base = event_base_new();
	struct transport_http_req *r =
	    transport_http_req_new(&stub, 7, done, &calls);

	memset(&got, 0, sizeof got);
	calls = 0;
	transport_http_fail_later(r, base, SEND_PERMFAIL, "config", "no from");
	assert_int_equal(calls, 0);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(calls, 1);
	assert_int_equal(got.id, 7);
	assert_int_equal(got.result, SEND_PERMFAIL);
	assert_string_equal(got.code, "config");
	assert_string_equal(got.text, "no from");
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_answer_is_network),
	    cmocka_unit_test(test_2xx_keeps_the_id),
	    cmocka_unit_test(test_2xx_without_id),
	    cmocka_unit_test(test_2xx_id_scanned),
	    cmocka_unit_test(test_429_and_5xx_wait),
	    cmocka_unit_test(test_other_4xx_is_permanent),
	    cmocka_unit_test(test_fail_later_reports_from_the_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
