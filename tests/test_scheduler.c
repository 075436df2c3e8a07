/* The scheduler's pass: due campaigns, catch-up, reminders, next times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "campaign.h"
#include "campaign_fixture.h"
#include "scheduler.h"
#include "xmalloc.h"

#define HOUR 3600

struct env {
	struct db *db;
	struct config *cfg;
};

static struct env
env_new(const char *catch_up)
{
	struct env e;
	char extra[128];
	struct fx_member m = {
	    .first = "A", .email = "a@example.org", .consent_email = 1};
	struct fx_member s = {.first = "S",
	                      .mobile = "+447700900001",
	                      .pref = "sms",
	                      .consent_sms = 1};

	snprintf(extra, sizeof extra,
	         "catch_up = %s\n[campaign]\nfrequency_cap = 0\n", catch_up);
	e.db = fx_db();
	e.cfg = fx_config(extra);
	fx_member_add(e.db, &m);
	fx_member_add(e.db, &m);
	fx_member_add(e.db, &s);
	fx_survey(e.db, "surveys/fft.yaml", NULL);
	return e;
}

static void
env_free(struct env *e)
{
	config_free(e->cfg);
	db_close(e->db);
}

static struct campaign *
add(struct env *e, const char *name, const char *schedule, int64_t at,
    int64_t remind_after)
{
	struct campaign *c = campaign_new();
	char *cause = NULL;

	c->name = xstrdup(name);
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = 1;
	c->schedule = schedule ? xstrdup(schedule) : NULL;
	c->at = at;
	c->remind_after_s = remind_after;
	c->max_reminders = remind_after ? 2 : 0;
	if (campaign_add(e->db, e->cfg, c, FX_NOON, &cause) == -1) {
		fprintf(stderr, "campaign_add: %s\n", cause);
		fail();
	}
	return c;
}

static void
test_one_shot(void **state)
{
	struct env e = env_new("once");
	struct campaign *c = add(&e, "once", NULL, FX_NOON + HOUR, 0);
	int fired;

	assert_int_equal(c->next_fire_at, FX_NOON + HOUR);
	assert_int_equal(
	    scheduler_run_due(e.db, e.cfg, FX_NOON + 10, 0, &fired),
	    FX_NOON + HOUR);
	assert_int_equal(fired, 0);
	assert_int_equal(
	    scheduler_run_due(e.db, e.cfg, FX_NOON + HOUR, 0, &fired), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(fx_count(e.db, "SELECT scheduled_for FROM runs"),
	                 FX_NOON + HOUR);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM campaigns WHERE"
	                                " state = 'done' AND next_fire_at IS"
	                                " NULL"),
	                 1);
	campaign_free(c);
	env_free(&e);
}

static void
test_paused_does_not_fire(void **state)
{
	struct env e = env_new("once");
	struct campaign *c = add(&e, "p", NULL, FX_NOON + HOUR, 0);
	char *cause = NULL;
	int fired;

	assert_int_equal(campaign_set_state(e.db, c, "paused", FX_NOON, &cause),
	                 0);
	assert_int_equal(
	    scheduler_run_due(e.db, e.cfg, FX_NOON + 2 * HOUR, 0, &fired), 0);
	assert_int_equal(fired, 0);
	/* Resumed after its time: it goes at the next pass. */
	assert_int_equal(
	    campaign_set_state(e.db, c, "active", FX_NOON + 2 * HOUR, &cause),
	    0);
	scheduler_run_due(e.db, e.cfg, FX_NOON + 2 * HOUR, 0, &fired);
	assert_int_equal(fired, 1);
	campaign_free(c);
	env_free(&e);
}

static void
test_cron_catch_up_once(void **state)
{
	struct env e = env_new("once");
	/* Hourly on the hour; FX_NOON is on the hour. */
	struct campaign *c = add(&e, "hourly", "0 * * * *", 0, 0);
	int64_t next;
	int fired;

	assert_int_equal(c->next_fire_at, FX_NOON + HOUR);
	/* Down for five hours: one fire at start, then the next hour. */
	next =
	    scheduler_run_due(e.db, e.cfg, FX_NOON + 5 * HOUR + 60, 1, &fired);
	assert_int_equal(fired, 1);
	assert_int_equal(next, FX_NOON + 6 * HOUR);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(fx_count(e.db, "SELECT scheduled_for FROM runs"),
	                 FX_NOON + HOUR);
	next = scheduler_run_due(e.db, e.cfg, FX_NOON + 6 * HOUR, 0, &fired);
	assert_int_equal(fired, 1);
	assert_int_equal(next, FX_NOON + 7 * HOUR);
	campaign_free(c);
	env_free(&e);
}

static void
test_cron_catch_up_skip(void **state)
{
	struct env e = env_new("skip");
	struct campaign *c = add(&e, "hourly", "0 * * * *", 0, 0);
	struct campaign *o = add(&e, "once", NULL, FX_NOON + HOUR, 0);
	int64_t next;
	int fired;

	next =
	    scheduler_run_due(e.db, e.cfg, FX_NOON + 5 * HOUR + 60, 1, &fired);
	assert_int_equal(fired, 0);
	assert_int_equal(next, FX_NOON + 6 * HOUR);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM runs"), 0);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM campaigns WHERE"
	                                " name = 'once' AND state = 'done'"),
	                 1);
	/* Skip applies to the start only. */
	scheduler_run_due(e.db, e.cfg, FX_NOON + 6 * HOUR, 0, &fired);
	assert_int_equal(fired, 1);
	campaign_free(c);
	campaign_free(o);
	env_free(&e);
}

static void
test_reminders_due(void **state)
{
	struct env e = env_new("once");
	struct campaign *c = add(&e, "r", NULL, FX_NOON + HOUR, 3 * FX_DAY);
	int64_t t0 = FX_NOON + HOUR, next;
	int fired;

	scheduler_run_due(e.db, e.cfg, t0, 0, &fired);
	assert_int_equal(fired, 1);
	/* Member 1 answers; 2 and 3 get reminders. */
	db_exec(e.db, "INSERT INTO token_uses VALUES (1, 1, 'survey', 1)",
	        NULL);
	next = scheduler_run_due(e.db, e.cfg, t0 + 60, 0, &fired);
	assert_int_equal(next, t0 + 3 * FX_DAY);
	assert_int_equal(fired, 0);
	next = scheduler_run_due(e.db, e.cfg, t0 + 3 * FX_DAY, 0, &fired);
	assert_int_equal(fired, 1);
	assert_int_equal(next, t0 + 6 * FX_DAY);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM outbox o JOIN"
	                                " runs r ON r.id = o.run_id WHERE"
	                                " r.reminder = 1"),
	                 2);
	/* Late by a week: only the last reminder goes, once. */
	next = scheduler_run_due(e.db, e.cfg, t0 + 10 * FX_DAY, 0, &fired);
	assert_int_equal(fired, 1);
	assert_int_equal(next, 0);
	assert_int_equal(fx_count(e.db, "SELECT max(reminder) FROM runs"), 2);
	assert_int_equal(fx_count(e.db, "SELECT count(*) FROM runs"), 3);
	scheduler_run_due(e.db, e.cfg, t0 + 20 * FX_DAY, 0, &fired);
	assert_int_equal(fired, 0);
	campaign_free(c);
	env_free(&e);
}

static void
test_fire_times(void **state)
{
	struct env e = env_new("once");
	struct campaign *c = add(&e, "weekly", "30 9 * * mon", 0, 0);
	int64_t t[5];

	/* 2026-06-15 is a Monday; 09:30 BST is 08:30 UTC. */
	assert_int_equal(campaign_fire_times(e.db, c, FX_NOON, t, 5), 5);
	assert_int_equal(t[0], 1781512200);
	assert_int_equal(t[4] - t[0], 4 * 7 * FX_DAY);
	campaign_free(c);
	env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_shot),
	    cmocka_unit_test(test_paused_does_not_fire),
	    cmocka_unit_test(test_cron_catch_up_once),
	    cmocka_unit_test(test_cron_catch_up_skip),
	    cmocka_unit_test(test_reminders_due),
	    cmocka_unit_test(test_fire_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
