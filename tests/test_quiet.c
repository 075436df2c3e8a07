/* Quiet hours: SMS are held 20:00-09:00 local time (and Sundays, if set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "cron.h"
#include "quiet.h"

static int64_t
at(const char *iso)
{
	time_t t;
	char *cause = NULL;

	assert_int_equal(cron_parse_iso(iso, "UTC", &t, &cause), 0);
	return (int64_t)t;
}

static struct config *
load(const char *text)
{
	char path[] = "/tmp/ppgd-quiet-XXXXXX";
	int fd = mkstemp(path);
	struct config *cfg;
	char *errors = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(config_load(path, &cfg, &errors), 0);
	unlink(path);
	return cfg;
}

static void
test_winter_and_summer(void **state)
{
	struct config *cfg = load("[sms]\n");

	/* Monday 23 November 2026, GMT. */
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-11-23T12:00:00Z")), 0);
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-11-23T21:15:00Z")),
	    at("2026-11-24T09:00:00Z"));
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-11-24T08:59:00Z")),
	    at("2026-11-24T09:00:00Z"));
	/* 1 July 2026, BST: 08:30 UTC is 09:30 local. */
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-07-01T08:30:00Z")), 0);
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-07-01T07:30:00Z")),
	    at("2026-07-01T08:00:00Z"));
	/* 19:30 UTC is 20:30 BST: quiet. */
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-07-01T19:30:00Z")),
	    at("2026-07-02T08:00:00Z"));
	/* The same instant in Tokyo is 04:30 on the 2nd: quiet until 09:00. */
	assert_int_equal(
	    quiet_until(cfg, "Asia/Tokyo", at("2026-07-01T19:30:00Z")),
	    at("2026-07-02T00:00:00Z"));
	config_free(cfg);
}

static void
test_sunday_and_disabled(void **state)
{
	struct config *cfg = load("[sms]\nquiet_sunday = yes\n");

	/* Sunday 22 November 2026 at noon: held until Monday 09:00. */
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-11-22T12:00:00Z")),
	    at("2026-11-23T09:00:00Z"));
	/* Saturday night: held until Monday, not Sunday. */
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-11-21T22:00:00Z")),
	    at("2026-11-23T09:00:00Z"));
	config_free(cfg);
	/* Start equal to end: no quiet hours (the cache must not answer). */
	cfg = load("[sms]\nquiet_start = 00:00\nquiet_end = 00:00\n");
	assert_int_equal(
	    quiet_until(cfg, "Europe/London", at("2026-11-23T21:15:00Z")), 0);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_winter_and_summer),
	    cmocka_unit_test(test_sunday_and_disabled),
	};
	return cmocka_run_group_tests_name("quiet", tests, NULL, NULL);
}
