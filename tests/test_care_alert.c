/*
 * Tests for care_alert.c: the reply for each urgency names the practice,
 * goes once a day per member per urgency; staff alerts keep the message
 * out of the subject; acknowledgement; escalation in working time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "care_alert.h"
#include "config.h"
#include "db.h"
#include "practice.h"
#include "schema.h"
#include "xmalloc.h"

#define ANN      "+447700900123"
#define SECRET   "I feel suicidal tonight"
#define NOW      1768208400 /* Monday 2026-01-12 09:00 GMT */
#define FRI_1700 1767978000 /* Friday 2026-01-09 17:00 GMT */

struct fx {
	struct db *db;
	struct config *cfg;
	char path[64];
};

static struct config *
config_with(const char *text, char *path)
{
	struct config *cfg = NULL;
	char *errors = NULL;
	FILE *fp;
	int fd;

	strcpy(path, "/tmp/test_care_alert.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	if (config_load(path, &cfg, &errors) == -1)
		print_error("%s", errors);
	assert_non_null(cfg);
	return cfg;
}

static int
setup_with(void **state, const char *conf)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char *cause = NULL;
	struct practice p = {.code = "A81001",
	                     .name = "Riverside Surgery",
	                     .phone = "01632 960000"};
	sqlite3_stmt *st;

	f->cfg = config_with(conf, f->path);
	assert_int_equal(db_open(":memory:", &f->db, &cause), 0);
	assert_int_equal(db_migrate(f->db, 0, &cause), 0);
	assert_int_equal(practice_add(f->db, &p, &cause), 0);
	st = db_stmt(f->db, "INSERT INTO members (practice_id, first_name,"
	                    " mobile, email, joined_at, created_at,"
	                    " updated_at) VALUES (1, 'Ann', ?1,"
	                    " 'ann@example.org', 0, 0, 0)");
	db_bind_text(st, 1, ANN);
	assert_int_equal(db_done(f->db, st), 0);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state,
	                  "[care]\n"
	                  "alert_email = duty@example.org, pm@example.org\n"
	                  "alert_sms = 07700 900555\n"
	                  "escalate_after = 4h\n");
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->path);
	db_close(f->db);
	config_free(f->cfg);
	free(f);
	return 0;
}

static struct care_hit
hit_of(enum care_urgency u)
{
	struct care_hit h = {u, 1u << u, "test"};

	return h;
}

static int64_t
raise_at(struct fx *f, enum care_urgency u, const char *source, int64_t now)
{
	struct care_hit h = hit_of(u);
	struct care_event ev = {
	    source, 1,  1,
	    0,      0,  strcmp(source, "sms") == 0 ? ANN : "ann@example.org",
	    SECRET, now};
	struct care_outcome oc;

	assert_int_equal(care_alert_raise(f->db, f->cfg, &h, &ev, &oc), 0);
	return oc.replied;
}

static int
count(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}

/* The text of the first row matching sql. Caller frees. */
static char *
text(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	char *s = NULL;

	if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0) != NULL)
		s = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return s;
}

/* Each urgency gets its own service, and the practice by name and number. */
static void
test_reply_text(void **state)
{
	char *t;

	(void)state;
	t = care_reply_text(1u << CARE_EMERGENCY, "Riverside", "01632 960000",
	                    "number");
	assert_non_null(strstr(t, "call 999 now"));
	assert_non_null(strstr(t, "Riverside on 01632 960000"));
	assert_null(strstr(t, "SHOUT"));
	free(t);
	t = care_reply_text(1u << CARE_CRISIS, "Riverside", "01632 960000",
	                    "address");
	assert_non_null(strstr(t, "999"));
	assert_non_null(strstr(t, "NHS 111 and choose option 2"));
	assert_non_null(strstr(t, "Samaritans free on 116 123"));
	assert_non_null(strstr(t, "text SHOUT to 85258"));
	assert_non_null(strstr(t, "this address"));
	free(t);
	t = care_reply_text(1u << CARE_URGENT, "", "", "form");
	assert_non_null(strstr(t, "your GP practice or NHS 111"));
	assert_non_null(strstr(t, "In an emergency call 999"));
	free(t);
	/* Emergency with crisis: 999 first, and the crisis lines too. */
	t = care_reply_text((1u << CARE_EMERGENCY) | (1u << CARE_CRISIS), "R",
	                    "1", "number");
	assert_non_null(strstr(t, "call 999 now"));
	assert_non_null(strstr(t, "116 123"));
	free(t);
}

/* The reply and the staff alerts, with the message kept out of both. */
static void
test_raise(void **state)
{
	struct fx *f = *state;
	char *s;

	assert_int_equal(raise_at(f, CARE_CRISIS, "sms", NOW), 1);
	s = text(f->db, "SELECT body FROM outbox WHERE purpose='care-reply'"
	                " AND channel='sms' AND to_addr='" ANN "'");
	assert_non_null(s);
	assert_non_null(strstr(s, "Riverside Surgery on 01632 960000"));
	assert_non_null(strstr(s, "85258"));
	free(s);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-alert' AND channel="
	                              "'email'"),
	                 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-alert' AND channel='sms'"
	                              " AND to_addr='+447700900555'"),
	                 1);
	assert_int_equal(count(f->db,
	                       "SELECT count(*) FROM outbox WHERE"
	                       " purpose='care-alert' AND (subject LIKE"
	                       " '%suicidal%' OR body LIKE '%suicidal%')"),
	                 0);
	s = text(f->db, "SELECT subject FROM outbox WHERE purpose='care-alert'"
	                " AND to_addr='duty@example.org'");
	assert_string_equal(s,
	                    "[ppgd] Care alert 1 (crisis), Riverside Surgery");
	free(s);
	assert_int_equal(count(f->db, "SELECT count(*) FROM care_alerts WHERE"
	                              " state='new' AND alerts=1 AND replied=1"
	                              " AND source='sms' AND member_id=1"),
	                 1);
}

/* One reply a day per member per urgency; every message its own alert. */
static void
test_reply_once_a_day(void **state)
{
	struct fx *f = *state;

	assert_int_equal(raise_at(f, CARE_CRISIS, "sms", NOW), 1);
	assert_int_equal(raise_at(f, CARE_CRISIS, "sms", NOW + 60), 0);
	assert_int_equal(raise_at(f, CARE_CRISIS, "email", NOW + 120), 0);
	assert_int_equal(raise_at(f, CARE_EMERGENCY, "sms", NOW + 180), 1);
	assert_int_equal(raise_at(f, CARE_CRISIS, "sms", NOW + 86401), 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-reply'"),
	                 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM care_alerts"), 5);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-alert'"),
	                 15);
}

/* A web survey answer gets no reply (the page shows it), only staff. */
static void
test_web_no_reply(void **state)
{
	struct fx *f = *state;

	assert_int_equal(raise_at(f, CARE_EMERGENCY, "web-survey", NOW), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-reply'"),
	                 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-alert'"),
	                 3);
}

static void
test_include_text(void **state)
{
	struct fx *f;
	char *s;

	setup_with(state, "[care]\nalert_email = duty@example.org\n"
	                  "alert_include_text = yes\n");
	f = *state;
	raise_at(f, CARE_CRISIS, "sms", NOW);
	s = text(f->db, "SELECT body FROM outbox WHERE purpose='care-alert'");
	assert_non_null(strstr(s, SECRET));
	free(s);
	s = text(f->db, "SELECT subject FROM outbox WHERE"
	                " purpose='care-alert'");
	assert_null(strstr(s, "suicidal"));
	free(s);
	teardown(state);
}

/* [practice.CODE] care_alert_email wins over [care] alert_email. */
static void
test_practice_override(void **state)
{
	struct fx *f;

	setup_with(state, "[care]\nalert_email = all@example.org\n"
	                  "[practice.A81001]\n"
	                  "care_alert_email = riverside@example.org\n");
	f = *state;
	raise_at(f, CARE_URGENT, "sms", NOW);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " purpose='care-alert' AND"
	                              " to_addr='riverside@example.org'"),
	                 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " to_addr='all@example.org'"),
	                 0);
	teardown(state);
}

static void
test_ack(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, *s;
	json_t *arr;

	raise_at(f, CARE_CRISIS, "sms", NOW);
	assert_int_equal(
	    care_alert_ack(f->db, 1, CARE_SEEN, "jo", NULL, NOW + 60, &cause),
	    0);
	assert_int_equal(
	    care_alert_ack(f->db, 1, CARE_SEEN, "al", NULL, NOW + 61, &cause),
	    -1);
	assert_non_null(strstr(cause, "already seen (by jo)"));
	free(cause);
	assert_int_equal(care_alert_ack(f->db, 1, CARE_ACTIONED, "al",
	                                "called back", NOW + 120, &cause),
	                 0);
	assert_int_equal(care_alert_ack(f->db, 1, CARE_ACTIONED, "al", NULL,
	                                NOW + 130, &cause),
	                 -1);
	free(cause);
	assert_int_equal(
	    care_alert_ack(f->db, 9, CARE_ACTIONED, "al", NULL, NOW, &cause),
	    -1);
	assert_string_equal(cause, "no care alert 9");
	free(cause);
	arr = care_alert_list(f->db, NULL, NULL, 10);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(arr, 0), "state")),
	    "actioned");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(arr, 0), "seen_by")),
	                    "jo");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(arr, 0), "actioned_by")),
	                    "al");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(arr, 0), "note")),
	    "called back");
	json_decref(arr);
	s = text(f->db, "SELECT actor || ' ' || detail FROM audit WHERE"
	                " action='care-ack' ORDER BY id DESC");
	assert_string_equal(s, "al actioned");
	free(s);
}

/* Mon-Fri 08:00-18:30: Friday 17:00 to Monday 09:00 is 2.5 hours. */
static void
test_working_seconds(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    care_working_seconds(f->cfg, "Europe/London", FRI_1700, NOW), 9000);
	assert_int_equal(
	    care_working_seconds(f->cfg, "Europe/London", NOW, NOW + 3600),
	    3600);
	/* 07:00-08:00 is before the working day. */
	assert_int_equal(care_working_seconds(f->cfg, "Europe/London",
	                                      NOW - 7200, NOW - 3600),
	                 0);
}

/* Not acknowledged after 4 working hours: sent again, and again. */
static void
test_escalate(void **state)
{
	struct fx *f = *state;
	int64_t count_before, n, age;
	int queued;

	raise_at(f, CARE_CRISIS, "sms", FRI_1700);
	count_before = count(f->db, "SELECT count(*) FROM outbox");
	/* Monday 09:00: 2.5 working hours. Not yet; due at 10:30. */
	assert_int_equal(care_alert_escalate(f->db, f->cfg, NOW, &queued),
	                 NOW + 5400);
	assert_int_equal(queued, 0);
	care_alert_unacked(f->db, NOW, &n, &age);
	assert_int_equal(n, 1);
	assert_int_equal(age, NOW - FRI_1700);
	/* 10:30: sent again to the three staff. */
	care_alert_escalate(f->db, f->cfg, NOW + 5400, &queued);
	assert_int_equal(queued, 3);
	assert_int_equal(
	    count(f->db, "SELECT count(*) FROM outbox") - count_before, 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM outbox WHERE"
	                              " subject LIKE '%NOT ACKNOWLEDGED%'"),
	                 2);
	assert_int_equal(count(f->db, "SELECT alerts FROM care_alerts"), 2);
	/* Not again until another four working hours have passed. */
	care_alert_escalate(f->db, f->cfg, NOW + 5400 + 3600, &queued);
	assert_int_equal(queued, 0);
	/* Seen: no more. */
	care_alert_ack(f->db, 1, CARE_SEEN, "jo", NULL, NOW, NULL);
	care_alert_escalate(f->db, f->cfg, NOW + 86400, &queued);
	assert_int_equal(queued, 0);
	care_alert_unacked(f->db, NOW, &n, &age);
	assert_int_equal(n, 0);
	assert_int_equal(age, 0);
}

/* Bad staff addresses are refused by check-config with the line. */
static void
test_bad_config(void **state)
{
	struct config *cfg = NULL;
	char path[64], *errors = NULL;
	FILE *fp;
	int fd;

	(void)state;
	strcpy(path, "/tmp/test_care_alert.XXXXXX");
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("[care]\nalert_email = duty@example.org, nobody\n"
	      "alert_sms = 123\n",
	      fp);
	fclose(fp);
	assert_int_equal(config_load(path, &cfg, &errors), -1);
	assert_non_null(strstr(errors, ":2: alert_email: not an email "
	                               "address: nobody"));
	assert_non_null(strstr(errors, ":3: alert_sms: not a phone number"));
	free(errors);
	unlink(path);
}

/* A practice's own phrases apply to its messages only; a bad line in its
 * file is refused as file:line. */
static void
test_practice_phrases(void **state)
{
	struct fx *f;
	struct care_hit h;
	struct config *cfg = NULL;
	char phrases[] = "/tmp/test_care_phrases.XXXXXX", *conf, *errors = NULL;
	char path[64];
	FILE *fp = fdopen(mkstemp(phrases), "w");

	fputs("# ours\n[urgent]\nwarfarin dose\n", fp);
	fclose(fp);
	conf = xasprintf("[practice.A81001]\ncare_phrases = %s\n", phrases);
	setup_with(state, conf);
	f = *state;
	assert_int_equal(
	    care_classify_for(f->db, f->cfg, 1, "my warfarin dose", &h), 1);
	assert_int_equal(h.urgency, CARE_URGENT);
	assert_int_equal(
	    care_classify_for(f->db, f->cfg, 0, "my warfarin dose", &h), 0);
	/* The shipped list still applies to the practice. */
	assert_int_equal(
	    care_classify_for(f->db, f->cfg, 1, "I feel suicidal", &h), 1);
	teardown(state);
	free(conf);
	fp = fopen(phrases, "w");
	fputs("# ours\n[urgnet]\nwarfarin dose\n", fp);
	fclose(fp);
	conf = xasprintf("[practice.A81001]\ncare_phrases = %s\n", phrases);
	strcpy(path, "/tmp/test_care_alert.XXXXXX");
	fp = fdopen(mkstemp(path), "w");
	fputs(conf, fp);
	fclose(fp);
	assert_int_equal(config_load(path, &cfg, &errors), -1);
	assert_non_null(strstr(errors, ":2: unknown group [urgnet]"));
	assert_non_null(strstr(errors, phrases));
	free(errors);
	free(conf);
	unlink(path);
	unlink(phrases);
}

/* Messages flagged before the upgrade are listed, seen, not escalated. */
static void
test_upgrade(void **state)
{
	struct fx *f = *state;
	struct db *db;
	char *cause = NULL;
	int v, mine = 0, queued;
	json_t *arr;

	for (v = 1; v <= schema_latest(); v++)
		if (strstr(schema_migration(v), "CREATE TABLE care_alerts"))
			mine = v;
	assert_true(mine > 1);
	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, mine - 1, &cause), 0);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO practices (code, name, created_at)"
	            " VALUES ('A81001', 'R', 0);"
	            "INSERT INTO inbound (provider, provider_msg_id,"
	            " received_at, channel, body, practice_id, care_flag)"
	            " VALUES ('twilio', 'SM1', 100, 'sms', 'chest pain', 1, 1),"
	            " ('twilio', 'SM2', 200, 'sms', 'hello', 1, 0);",
	            &cause),
	    0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	arr = care_alert_list(db, NULL, NULL, 10);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(arr, 0), "body")),
	    "chest pain");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(arr, 0), "state")),
	    "seen");
	json_decref(arr);
	care_alert_escalate(db, f->cfg, NOW, &queued);
	assert_int_equal(queued, 0);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_text),
	    cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_once_a_day, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_web_no_reply, setup, teardown),
	    cmocka_unit_test(test_include_text),
	    cmocka_unit_test(test_practice_override),
	    cmocka_unit_test(test_practice_phrases),
	    cmocka_unit_test_setup_teardown(test_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_working_seconds, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_escalate, setup, teardown),
	    cmocka_unit_test(test_bad_config),
	    cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
