/* The loop-lag histogram: buckets cumulative, sum and count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "looplag.h"

static char *
metrics_text(struct looplag *l)
{
	struct evbuffer *b = evbuffer_new();
	size_t len = evbuffer_get_length(b);
	char *s;

	looplag_metrics(l, b);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

static void
test_histogram(void **state)
{
	struct event_base *base = event_base_new();
	struct looplag *l = looplag_new(base);
	char *s;

	looplag_observe(l, 0.0004);
	looplag_observe(l, 0.003);
	looplag_observe(l, 0.3);
	looplag_observe(l, 11.0);
	looplag_observe(l, -1.0); /* a timer early: no lag */
	s = metrics_text(l);
	assert_non_null(strstr(s, "# TYPE ppgd_loop_lag_seconds histogram\n"));
	assert_non_null(
	    strstr(s, "ppgd_loop_lag_seconds_bucket{le=\"0.001\"} 2\n"));
	assert_non_null(
	    strstr(s, "ppgd_loop_lag_seconds_bucket{le=\"0.005\"} 3\n"));
	assert_non_null(
	    strstr(s, "ppgd_loop_lag_seconds_bucket{le=\"0.25\"} 3\n"));
	assert_non_null(
	    strstr(s, "ppgd_loop_lag_seconds_bucket{le=\"0.5\"} 4\n"));
	assert_non_null(
	    strstr(s, "ppgd_loop_lag_seconds_bucket{le=\"10\"} 4\n"));
	assert_non_null(
	    strstr(s, "ppgd_loop_lag_seconds_bucket{le=\"+Inf\"} 5\n"));
	assert_non_null(strstr(s, "ppgd_loop_lag_seconds_count 5\n"));
	assert_non_null(strstr(s, "ppgd_loop_lag_seconds_sum 11.303400\n"));
	free(s);
	looplag_free(l);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_histogram)};
	return cmocka_run_group_tests_name("looplag", tests, NULL, NULL);
}
