/* Meetings: the use case "a meeting with its campaigns" (one, or a
 * series), moving and cancelling tell those invited, series dates, online
 * links, attendance and the GP partner's evidence, replies. Real SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "action.h"
#include "campaign.h"
#include "campaign_fixture.h"
#include "cron.h"
#include "fire.h"
#include "meeting.h"
#include "meeting_notice.h"
#include "meeting_reply.h"
#include "outbox.h"
#include "smsconv.h"

/* 2026-07-15 18:30 BST, five weeks after FX_NOON. */
#define MEETING_AT ((int64_t)1784136600)

struct mt {
	struct db *db;
	struct config *cfg;
	int64_t ann, bob, cat;
	struct meeting m;
};

static int
setup(void **state)
{
	struct mt *t = calloc(1, sizeof *t);
	char *cause = NULL;
	struct fx_member ann = {
	    .first = "Ann", .email = "ann@example.org", .consent_email = 1};
	struct fx_member bob = {.first = "Bob",
	                        .mobile = "+447700900123",
	                        .pref = "sms",
	                        .consent_sms = 1};
	struct fx_member cat = {
	    .first = "Cat", .email = "cat@example.org", .consent_email = 1};

	t->db = fx_db();
	t->cfg = fx_config(NULL);
	fx_survey(t->db, "surveys/post-meeting.yaml", NULL);
	t->ann = fx_member_add(t->db, &ann);
	t->bob = fx_member_add(t->db, &bob);
	t->cat = fx_member_add(t->db, &cat);
	t->m.practice_id = 1;
	t->m.at = MEETING_AT;
	t->m.place = "Community Room";
	t->m.link = "https://meet.example.org/ppg";
	t->m.created_at = FX_NOON;
	if (meeting_add(t->db, &t->m, &cause) == -1 ||
	    meeting_add_campaigns(t->db, t->cfg, &t->m, "email,sms", NULL,
	                          &cause) == -1) {
		fprintf(stderr, "setup: %s\n", cause);
		abort();
	}
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct mt *t = *state;

	db_close(t->db);
	config_free(t->cfg);
	free(t);
	return 0;
}

/* Fire the invitation now; Ann's email is then sent, Bob's SMS still
 * waits, Cat opts out of email after it was sent to her. */
static void
invite_n(struct mt *t, int n)
{
	struct campaign *c = campaign_find(t->db, "meeting-1-invitation");
	struct fire_result r;
	char *cause = NULL;

	assert_non_null(c);
	assert_int_equal(
	    fire_run(t->db, t->cfg, c, FX_NOON, 0, FX_NOON, &r, &cause), 0);
	assert_int_equal(r.messages, n);
	campaign_free(c);
	assert_int_equal(db_exec(t->db,
	                         "UPDATE outbox SET state = 'sent' WHERE"
	                         " channel = 'email';"
	                         "UPDATE members SET optout_email_at = 5"
	                         " WHERE first_name = 'Cat'",
	                         &cause),
	                 0);
}

static void
invite(struct mt *t)
{
	invite_n(t, 3);
}

static int64_t
next_fire(struct mt *t, const char *name)
{
	struct campaign *c = campaign_find(t->db, name);
	int64_t at = c->next_fire_at;

	campaign_free(c);
	return at;
}

/* The pending message of a kind: "campaign" or a notice's kind. */
static char *
notice_body(struct mt *t, const char *kind, const char *channel)
{
	sqlite3_stmt *st = db_stmt(
	    t->db, "SELECT o.id FROM outbox o LEFT JOIN meeting_notices n"
	           " ON n.outbox_id = o.id WHERE coalesce(n.kind, 'campaign')"
	           " = ? AND o.channel = ? AND o.state = 'pending'");
	char *body = NULL, *html = NULL;
	int64_t id = 0;

	db_bind_text(st, 1, kind);
	db_bind_text(st, 2, channel);
	if (db_row_int(t->db, st, &id) == 1)
		assert_int_equal(outbox_body(t->db, t->cfg, id, &body, &html),
		                 0);
	free(html);
	return body;
}

/*
 * Outbox rows (of a state and channel, NULL: any) whose text, unpacked
 * (campaign rows are packed: bodypack.h), contains first and then second
 * (NULL: only first); with ordered 0, second anywhere.
 */
static int
count_text(struct mt *t, const char *state, const char *channel,
           const char *first, const char *second, int ordered)
{
	sqlite3_stmt *st = db_stmt(
	    t->db, "SELECT id FROM outbox WHERE (?1 IS NULL OR state = ?1)"
	           " AND (?2 IS NULL OR channel = ?2) ORDER BY id");
	int64_t ids[64];
	int n = 0, k, found = 0;
	char *text, *html, *p;

	db_bind_text(st, 1, state);
	db_bind_text(st, 2, channel);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (k = 0; k < n; k++) {
		assert_int_equal(
		    outbox_body(t->db, t->cfg, ids[k], &text, &html), 0);
		p = strstr(text, first);
		if (p != NULL && second != NULL)
			p = strstr(ordered ? p : text, second);
		found += p != NULL;
		free(text);
		free(html);
	}
	return found;
}

/* The invitation shows the online link. */
static void
test_invitation_has_link(void **state)
{
	struct mt *t = *state;
	char *body;

	invite(t);
	assert_int_equal(count_text(t, NULL, "email",
	                            "https://meet.example.org/ppg", NULL, 1),
	                 2);
	body = notice_body(t, "campaign", "sms");
	assert_non_null(body);
	assert_non_null(strstr(body, "Reply YES"));
	free(body);
}

static void
test_update_moves_campaigns_and_tells_invited(void **state)
{
	struct mt *t = *state;
	struct meeting_change chg = {.at = MEETING_AT + 7 * FX_DAY,
	                             .place = "Library"};
	struct meeting_notice_result r;
	char *cause = NULL, *body;

	invite(t);
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &chg, FX_NOON, &r, &cause), 0);
	/* The reminder and feedback follow the new time. */
	assert_true(next_fire(t, "meeting-1-reminder") ==
	            MEETING_AT + 6 * FX_DAY);
	assert_true(next_fire(t, "meeting-1-feedback") ==
	            MEETING_AT + 8 * FX_DAY);
	/* Bob's unsent invitation names the old time: cancelled. */
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox WHERE"
	                                 " run_id IS NOT NULL AND"
	                                 " state = 'cancelled'"),
	                 1);
	/* Ann and Bob are told; Cat opted out of email since. */
	assert_int_equal(r.messages, 2);
	assert_int_equal(r.email, 1);
	assert_int_equal(r.sms, 1);
	body = notice_body(t, "meeting-moved", "email");
	assert_non_null(body);
	/* Sent as campaign mail: held for quiet hours, dropped on opt-out. */
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox WHERE"
	                                 " purpose = 'campaign' AND id IN"
	                                 " (SELECT outbox_id FROM"
	                                 " meeting_notices)"),
	                 2);
	assert_non_null(strstr(body, "Wednesday 22 July 2026 at 6:30pm"));
	assert_non_null(strstr(body, "Wednesday 15 July 2026 at 6:30pm"));
	assert_non_null(strstr(body, "Library"));
	assert_non_null(strstr(body, "https://ppg.example.org/u/"));
	free(body);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox o JOIN"
	                                 " members m ON m.id = o.member_id"
	                                 " WHERE m.first_name = 'Cat' AND"
	                                 " o.id IN (SELECT outbox_id FROM"
	                                 " meeting_notices)"),
	                 0);
}

/*
 * The messages are made in slices of member ids, each with the job's
 * progress in its own transaction: a job cut short (a crash after its
 * first slice) goes on from where it got to, and no member is told twice.
 */
static void
test_update_in_slices_resumes(void **state)
{
	struct mt *t = *state;
	struct meeting_change chg = {.at = MEETING_AT + 7 * FX_DAY};
	struct meeting_notice_result r;
	struct fx_member dan = {
	    .first = "Dan", .email = "dan@example.org", .consent_email = 1};
	char *cause = NULL;
	size_t n;
	int64_t *ids;
	int steps = 0, rc;

	/* Dan's id is in the third slice (ids 2001-3000). */
	assert_int_equal(db_exec(t->db,
	                         "INSERT INTO members (id, practice_id,"
	                         " first_name, joined_at, created_at,"
	                         " updated_at, erased_at) VALUES (2400, 1,"
	                         " 'Gone', 0, 0, 0, 1)",
	                         &cause),
	                 0);
	assert_true(fx_member_add(t->db, &dan) > 2400);
	invite_n(t, 4);
	assert_int_equal(
	    meeting_update_begin(t->db, t->cfg, 1, &chg, FX_NOON, &r, &cause),
	    0);
	/* The change is made; nobody is told yet; the job waits. */
	assert_int_equal(r.messages, 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM"
	                                 " meeting_notices"),
	                 0);
	ids = meeting_notice_jobs(t->db, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 1);
	free(ids);
	/* The first slice tells Ann and Bob (ids 1-1000); then a crash. */
	assert_int_equal(
	    meeting_notice_step(t->db, t->cfg, 1, &r, NULL, &cause), 1);
	assert_int_equal(r.messages, 2);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM"
	                                 " meeting_notices"),
	                 2);
	/* The next start goes on: Dan, once; Ann and Bob not again. */
	while ((rc = meeting_notice_step(t->db, t->cfg, 1, &r, NULL, &cause)) ==
	       1)
		steps++;
	assert_int_equal(rc, 0);
	assert_int_equal(steps, 1);
	assert_int_equal(r.messages, 3);
	assert_int_equal(r.email, 2);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox o JOIN"
	                                 " meeting_notices n ON n.outbox_id ="
	                                 " o.id JOIN members m ON m.id ="
	                                 " o.member_id WHERE m.first_name ="
	                                 " 'Dan'"),
	                 1);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM"
	                                 " meeting_notices"),
	                 3);
	ids = meeting_notice_jobs(t->db, &n);
	assert_int_equal(n, 0);
	free(ids);
	/* Done: a step finds nothing to do. */
	assert_int_equal(
	    meeting_notice_step(t->db, t->cfg, 1, &r, NULL, &cause), 0);
	assert_int_equal(r.messages, 0);
}

/* A cancel while a move's job is under way replaces it: the unsent
 * "moved" notices are cancelled, and those sent are told it is off. */
static void
test_cancel_replaces_move_job(void **state)
{
	struct mt *t = *state;
	struct meeting_change chg = {.at = MEETING_AT + 7 * FX_DAY};
	struct meeting_notice_result r;
	char *cause = NULL;

	invite(t);
	assert_int_equal(
	    meeting_update_begin(t->db, t->cfg, 1, &chg, FX_NOON, &r, &cause),
	    0);
	assert_int_equal(
	    meeting_notice_step(t->db, t->cfg, 1, &r, NULL, &cause), 0);
	assert_int_equal(r.messages, 2);
	/* Ann's "moved" email goes; Bob's text does not yet. */
	assert_int_equal(db_exec(t->db,
	                         "UPDATE outbox SET state = 'sent' WHERE"
	                         " channel = 'email' AND id IN (SELECT"
	                         " outbox_id FROM meeting_notices)",
	                         &cause),
	                 0);
	assert_int_equal(meeting_cancel(t->db, t->cfg, 1, FX_NOON, &r, &cause),
	                 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox o JOIN"
	                                 " meeting_notices n ON n.outbox_id ="
	                                 " o.id WHERE n.kind = 'meeting-moved'"
	                                 " AND o.state = 'cancelled'"),
	                 1);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox o JOIN"
	                                 " meeting_notices n ON n.outbox_id ="
	                                 " o.id WHERE n.kind ="
	                                 " 'meeting-cancelled'"),
	                 r.messages);
	assert_true(r.messages >= 1);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM"
	                                 " meeting_notice_jobs"),
	                 0);
}

/* A second move cancels the first notice, unsent, and tells them again. */
static void
test_update_twice_replaces_notice(void **state)
{
	struct mt *t = *state;
	struct meeting_change chg = {.at = MEETING_AT + 7 * FX_DAY};
	struct meeting_notice_result r;
	char *cause = NULL;

	invite(t);
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &chg, FX_NOON, &r, &cause), 0);
	chg.at = MEETING_AT + 14 * FX_DAY;
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &chg, FX_NOON, &r, &cause), 0);
	assert_int_equal(r.messages, 2);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox WHERE"
	                                 " id IN (SELECT outbox_id FROM"
	                                 " meeting_notices) AND"
	                                 " state = 'pending'"),
	                 2);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM outbox WHERE"
	                                 " id IN (SELECT outbox_id FROM"
	                                 " meeting_notices) AND"
	                                 " state = 'cancelled'"),
	                 2);
}

static void
test_update_refuses_bad_input(void **state)
{
	struct mt *t = *state;
	struct meeting_change none = {0}, badlink = {.link = "javascript:x"},
	                      crlf = {.place = "Room\r\nBcc: x"};
	struct meeting_notice_result r;
	char *cause = NULL;

	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &none, FX_NOON, &r, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &badlink, FX_NOON, &r, &cause),
	    -1);
	assert_non_null(strstr(cause, "https://"));
	free(cause);
	cause = NULL;
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &crlf, FX_NOON, &r, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 9, &crlf, FX_NOON, &r, &cause), -1);
	free(cause);
	/* Nothing changed. */
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM meetings WHERE"
	                                 " place = 'Community Room'"),
	                 1);
}

static void
test_cancel_stops_campaigns_and_tells_those_sent(void **state)
{
	struct mt *t = *state;
	struct meeting_notice_result r;
	char *cause = NULL, *body;

	invite(t);
	assert_int_equal(meeting_cancel(t->db, t->cfg, 1, FX_NOON, &r, &cause),
	                 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM campaigns"
	                                 " WHERE meeting_id = 1 AND"
	                                 " state = 'done' AND"
	                                 " next_fire_at IS NULL"),
	                 3);
	/* Bob's SMS never left: cancelled, and he is not told. */
	assert_int_equal(r.cancelled, 1);
	assert_int_equal(r.messages, 1);
	assert_int_equal(r.email, 1);
	body = notice_body(t, "meeting-cancelled", "email");
	assert_non_null(body);
	assert_non_null(strstr(body, "is cancelled"));
	free(body);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM meetings WHERE"
	                                 " status = 'cancelled'"),
	                 1);
	/* Once only. */
	assert_int_equal(meeting_cancel(t->db, t->cfg, 1, FX_NOON, &r, &cause),
	                 -1);
	free(cause);
}

static void
test_step_months_and_weeks(void **state)
{
	int64_t out;
	time_t jan31;
	char *cause = NULL, buf[40];

	(void)state;
	/* Across the clocks going forward the wall-clock time stays. */
	assert_int_equal(
	    cron_parse_iso("2026-03-10T18:30", "Europe/London", &jan31, &cause),
	    0);
	assert_int_equal(meeting_step(jan31, "Europe/London", 1, 'm', &out), 0);
	cron_format_iso((time_t)out, "Europe/London", buf, sizeof buf);
	assert_string_equal(buf, "2026-04-10T18:30:00+01:00");
	assert_int_equal(meeting_step(jan31, "Europe/London", 2, 'w', &out), 0);
	cron_format_iso((time_t)out, "Europe/London", buf, sizeof buf);
	assert_string_equal(buf, "2026-03-24T18:30:00+00:00");
	/* The 31st becomes the month's last day; a year rolls over. */
	assert_int_equal(
	    cron_parse_iso("2026-01-31T10:00", "Europe/London", &jan31, &cause),
	    0);
	assert_int_equal(meeting_step(jan31, "Europe/London", 1, 'm', &out), 0);
	cron_format_iso((time_t)out, "Europe/London", buf, sizeof buf);
	assert_string_equal(buf, "2026-02-28T10:00:00+00:00");
	assert_int_equal(meeting_step(jan31, "Europe/London", 12, 'm', &out),
	                 0);
	cron_format_iso((time_t)out, "Europe/London", buf, sizeof buf);
	assert_string_equal(buf, "2027-01-31T10:00:00+00:00");
	assert_int_equal(meeting_step(jan31, "Europe/London", 13, 'm', &out),
	                 0);
	cron_format_iso((time_t)out, "Europe/London", buf, sizeof buf);
	assert_string_equal(buf, "2027-02-28T10:00:00+00:00");
}

static void
test_link_ok(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    meeting_link_ok("https://meet.example.org/a?b=c", &cause), 0);
	assert_int_equal(meeting_link_ok("http://x.example/", &cause), 0);
	assert_int_equal(meeting_link_ok(NULL, &cause), 0);
	assert_int_equal(meeting_link_ok("javascript:alert(1)", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(meeting_link_ok("https://x/\"><script>", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(meeting_link_ok("https://x/a b", &cause), -1);
	free(cause);
}

static void
test_attendance_gp_partner_evidence(void **state)
{
	struct mt *t = *state;
	struct meeting_attendee a[] = {
	    {t->ann, NULL, "member"},
	    {0, "Jo Smith", "staff"},
	    {0, "Dr Patel", "gp-partner"},
	};
	char *cause = NULL;

	assert_int_equal(meeting_attendance_set(t->db, 1, a, 3, &cause), 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM evidence WHERE"
	                                 " kind = 'gp-partner-attended' AND"
	                                 " meeting_id = 1 AND day ="
	                                 " '2026-07-15' AND removed_at IS"
	                                 " NULL"),
	                 1);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM meetings WHERE"
	                                 " status = 'held'"),
	                 1);
	/* Recording again replaces: still one piece of evidence. */
	assert_int_equal(meeting_attendance_set(t->db, 1, a, 3, &cause), 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM evidence WHERE"
	                                 " kind = 'gp-partner-attended' AND"
	                                 " removed_at IS NULL"),
	                 1);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM"
	                                 " meeting_attendance"),
	                 3);
	/* Without the GP partner the evidence goes. */
	assert_int_equal(meeting_attendance_set(t->db, 1, a, 2, &cause), 0);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM evidence WHERE"
	                                 " kind = 'gp-partner-attended' AND"
	                                 " removed_at IS NULL"),
	                 0);
}

static void
test_attendance_refuses_unknown_member(void **state)
{
	struct mt *t = *state;
	struct meeting_attendee a[] = {{999, NULL, "member"}};
	struct meeting_attendee b[] = {{0, "Dr\nX", "gp-partner"}};
	char *cause = NULL;

	assert_int_equal(meeting_attendance_set(t->db, 1, a, 1, &cause), -1);
	assert_non_null(strstr(cause, "no member 999"));
	free(cause);
	cause = NULL;
	assert_int_equal(meeting_attendance_set(t->db, 1, b, 1, &cause), -1);
	free(cause);
}

static void
test_member_by_name(void **state)
{
	struct mt *t = *state;
	char *cause = NULL;
	int64_t id = 0;

	assert_int_equal(db_exec(t->db,
	                         "UPDATE members SET last_name = 'Lee'"
	                         " WHERE first_name = 'Ann'",
	                         &cause),
	                 0);
	assert_int_equal(
	    meeting_member_by_name(t->db, 1, " ann LEE ", &id, &cause), 0);
	assert_true(id == t->ann);
	assert_int_equal(
	    meeting_member_by_name(t->db, 1, "Nobody", &id, &cause), -1);
	free(cause);
}

/* Bob's SMS invitation left; he answers. */
static void
invite_sms_sent(struct mt *t)
{
	char *cause = NULL;

	invite(t);
	assert_int_equal(
	    db_exec(t->db, "UPDATE outbox SET state = 'sent'", &cause), 0);
}

static char *
answer_of(struct mt *t, int64_t member)
{
	sqlite3_stmt *st = db_stmt(t->db, "SELECT answer FROM meeting_replies"
	                                  " WHERE meeting_id = 1 AND"
	                                  " member_id = ?");
	char *a = NULL;

	db_bind_int(st, 1, member);
	if (sqlite3_step(st) == SQLITE_ROW)
		a = strdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return a;
}

static void
test_sms_yes_then_no(void **state)
{
	struct mt *t = *state;
	int64_t member = 0;
	char *reply = NULL, *a;

	invite_sms_sent(t);
	assert_int_equal(meeting_reply_sms(t->db, &t->bob, 1, "yes", FX_NOON,
	                                   &member, &reply),
	                 1);
	assert_true(member == t->bob);
	assert_non_null(strstr(reply, "coming"));
	assert_non_null(strstr(reply, "15 July 2026"));
	free(reply);
	a = answer_of(t, t->bob);
	assert_string_equal(a, "yes");
	free(a);
	assert_int_equal(
	    meeting_reply_sms(t->db, &t->bob, 1, "n", FX_NOON, &member, &reply),
	    1);
	free(reply);
	a = answer_of(t, t->bob);
	assert_string_equal(a, "no");
	free(a);
	/* Other words are not an answer. */
	assert_int_equal(meeting_reply_sms(t->db, &t->bob, 1, "yes please park",
	                                   FX_NOON, &member, &reply),
	                 0);
}

/* YES answers the newest text: after a survey went out it is not ours. */
static void
test_sms_yes_not_after_other_text(void **state)
{
	struct mt *t = *state;
	int64_t member = 0;
	char *reply = NULL, *cause = NULL;

	invite_sms_sent(t);
	assert_int_equal(
	    db_exec(t->db,
	            "INSERT INTO campaigns (name, practice_id, kind, template,"
	            " channels, created_at) VALUES ('s', 1, 'survey',"
	            " 'survey-invitation', 'sms', 1);"
	            "INSERT INTO runs (campaign_id, scheduled_for, fired_at)"
	            " VALUES (4, 1, 1);"
	            "INSERT INTO outbox (run_id, member_id, practice_id,"
	            " channel, state, to_addr, body, next_attempt_at,"
	            " created_at) VALUES (2, 2, 1, 'sms', 'sent', 'x', 'x', 0,"
	            " 1781089300)",
	            &cause),
	    0);
	assert_int_equal(meeting_reply_sms(t->db, &t->bob, 1, "yes", FX_NOON,
	                                   &member, &reply),
	                 0);
	assert_null(answer_of(t, t->bob));
}

static void
test_sms_yes_closed_meeting(void **state)
{
	struct mt *t = *state;
	struct meeting_notice_result r;
	int64_t member = 0;
	char *reply = NULL, *cause = NULL;

	invite_sms_sent(t);
	/* After it started. */
	assert_int_equal(meeting_reply_sms(t->db, &t->bob, 1, "yes",
	                                   MEETING_AT + 60, &member, &reply),
	                 0);
	assert_int_equal(meeting_cancel(t->db, t->cfg, 1, FX_NOON, &r, &cause),
	                 0);
	assert_int_equal(meeting_reply_sms(t->db, &t->bob, 1, "yes", FX_NOON,
	                                   &member, &reply),
	                 0);
	assert_int_equal(
	    meeting_reply_set(t->db, 1, t->ann, 1, "web", FX_NOON, &cause), -1);
	assert_non_null(strstr(cause, "cancelled"));
	free(cause);
	assert_null(answer_of(t, t->bob));
}

/* Through the SMS conversation: STOP still comes first; YES is recorded
 * and thanked. */
static void
test_smsconv_keywords_first(void **state)
{
	struct mt *t = *state;
	struct smsconv_msg m = {
	    .from = "+447700900123", .to = NULL, .text = "YES", .now = FX_NOON};
	struct smsconv_result r;
	char *a;

	invite_sms_sent(t);
	assert_int_equal(smsconv_handle(t->db, t->cfg, &m, &r), 0);
	assert_string_equal(r.disposition, "meeting-reply");
	assert_int_equal(r.queued, 1);
	a = answer_of(t, t->bob);
	assert_string_equal(a, "yes");
	free(a);
	m.text = "STOP";
	assert_int_equal(smsconv_handle(t->db, t->cfg, &m, &r), 0);
	assert_string_equal(r.disposition, "optout");
}

/* Each invited member gets the reply link, derived: nothing is stored. */
static void
test_invitation_reply_tokens(void **state)
{
	struct mt *t = *state;

	invite(t);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM meeting_tokens"),
	                 0);
	assert_int_equal(
	    count_text(t, NULL, NULL, "https://ppg.example.org/m/", NULL, 1),
	    3);
}

/* Fire the feedback; the members it went to, as a bit set by id. */
static int
feedback_to(struct mt *t, int64_t at)
{
	struct campaign *c = campaign_find(t->db, "meeting-1-feedback");
	struct fire_result r;
	sqlite3_stmt *st;
	char *cause = NULL;
	int set = 0;

	assert_int_equal(fire_run(t->db, t->cfg, c, at, 0, at, &r, &cause), 0);
	st = db_stmt(t->db, "SELECT member_id FROM outbox WHERE run_id = ?");
	db_bind_int(st, 1, r.run_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		set |= 1 << sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	campaign_free(c);
	return set;
}

static void
test_feedback_to(void **state)
{
	struct mt *t = *state;
	struct meeting_attendee ann[] = {{0, NULL, "member"}};
	char *cause = NULL;

	config_free(t->cfg);
	t->cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	/* Before any invitation went out: the campaign's own audience. */
	assert_int_equal(feedback_to(t, MEETING_AT + 1),
	                 (1 << 1) | (1 << 2) | (1 << 3));
	invite_sms_sent(t);
	/* No attendance: those invited (Cat has opted out since). */
	assert_int_equal(feedback_to(t, MEETING_AT + 2), (1 << 1) | (1 << 2));
	/* Attendance recorded: those who came. */
	ann[0].member_id = t->ann;
	assert_int_equal(meeting_attendance_set(t->db, 1, ann, 1, &cause), 0);
	assert_int_equal(feedback_to(t, MEETING_AT + 3), 1 << 1);
	/* --feedback-to invited overrides. */
	assert_int_equal(meeting_set_feedback_to(t->db, 1, "invited", &cause),
	                 0);
	assert_int_equal(feedback_to(t, MEETING_AT + 4), (1 << 1) | (1 << 2));
	assert_int_equal(meeting_set_feedback_to(t->db, 1, "everyone", &cause),
	                 -1);
	free(cause);
}

/* The next meeting's invitation lists the last meeting's actions. */
static void
test_invitation_reviews_last_actions(void **state)
{
	struct mt *t = *state;
	struct meeting next = {.practice_id = 1,
	                       .at = MEETING_AT + 91 * FX_DAY,
	                       .place = "Hall",
	                       .created_at = FX_NOON};
	struct action_new a = {.practice = "A81001",
	                       .area = "Access",
	                       .title = "Longer phone hours on Mondays",
	                       .meeting_id = 1};
	struct campaign *c;
	struct fire_result r;
	char *cause = NULL;
	int64_t id;

	assert_int_equal(action_add(t->db, &a, &id, &cause), 0);
	a.meeting_id = 99;
	assert_int_equal(action_add(t->db, &a, &id, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(meeting_add(t->db, &next, &cause), 0);
	assert_int_equal(
	    meeting_add_campaigns(t->db, t->cfg, &next, "email", NULL, &cause),
	    0);
	c = campaign_find(t->db, "meeting-2-invitation");
	assert_int_equal(
	    fire_run(t->db, t->cfg, c, FX_NOON, 0, FX_NOON, &r, &cause), 0);
	campaign_free(c);
	assert_int_equal(count_text(t, NULL, NULL, "What we agreed last time",
	                            "Longer phone hours on Mondays (proposed)",
	                            1),
	                 2);
	/* The first meeting has none to review. */
	assert_int_equal(
	    count_text(t, NULL, NULL, "What we agreed", "Community Room", 0),
	    0);
}

/* Minutes sent, then the meeting moves: the minutes are not sent again. */
static void
test_update_leaves_minutes_done(void **state)
{
	struct mt *t = *state;
	struct meeting_change chg = {.at = MEETING_AT + 7 * FX_DAY};
	struct meeting_send how = {NULL, "email", NULL};
	struct meeting_notice_result r;
	struct fire_result fr;
	char *cause = NULL, *name = NULL;

	assert_int_equal(meeting_minutes_send(t->db, t->cfg, 1, &how, FX_NOON,
	                                      &fr, &name, &cause),
	                 -1); /* no minutes yet */
	free(cause);
	cause = NULL;
	assert_int_equal(meeting_set_minutes(t->db, 1, "Notes", &cause), 0);
	assert_int_equal(meeting_minutes_send(t->db, t->cfg, 1, &how, FX_NOON,
	                                      &fr, &name, &cause),
	                 0);
	assert_string_equal(name, "meeting-1-minutes");
	free(name);
	assert_int_equal(fr.messages, 2);
	assert_int_equal(
	    meeting_update(t->db, t->cfg, 1, &chg, FX_NOON, &r, &cause), 0);
	assert_int_equal(r.campaigns, 3);
	assert_int_equal(fx_count(t->db, "SELECT count(*) FROM campaigns WHERE"
	                                 " name = 'meeting-1-minutes' AND"
	                                 " state = 'done' AND next_fire_at IS"
	                                 " NULL"),
	                 1);
	assert_int_equal(count_text(t, "pending", NULL, "Notes", NULL, 1), 2);
}

static void
test_create_with_campaigns(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct meeting m = {.practice_id = 1,
	                    .at = FX_NOON + 30 * FX_DAY,
	                    .place = "The surgery"};
	char *cause = NULL;

	fx_survey(db, "surveys/post-meeting.yaml", NULL);
	assert_int_equal(meeting_create(db, cfg, &m, 1, NULL, NULL, &cause), 0);
	assert_true(m.id > 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 1);
	assert_int_equal(
	    fx_count(db, "SELECT count(*) FROM campaigns WHERE meeting_id = 1"),
	    3);
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
	config_free(cfg);
}

/* The feedback survey is not loaded: no campaign and no meeting either. */
static void
test_create_is_one_transaction(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct meeting m = {.practice_id = 1,
	                    .at = FX_NOON + 30 * FX_DAY,
	                    .place = "The surgery"};
	char *cause = NULL;

	assert_int_equal(meeting_create(db, cfg, &m, 1, NULL, NULL, &cause),
	                 -1);
	assert_non_null(strstr(cause, "post-meeting"));
	free(cause);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM campaigns"), 0);
	/* Without campaigns the meeting alone is made. */
	cause = NULL;
	assert_int_equal(meeting_create(db, cfg, &m, 0, NULL, NULL, &cause), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 1);
	db_close(db);
	config_free(cfg);
}

/* A quarterly series: four meetings at the same local time, one
 * transaction, sharing the first one's id; each with its campaigns. */
static void
test_create_series(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct meeting m = {.practice_id = 1,
	                    .at = 1738348200, /* 31 Jan 25 */
	                    .place = "The surgery"};
	struct meeting_series sr = {3, 'm', 4, "attended"};
	int64_t ids[MEETING_SERIES_MAX];
	char *cause = NULL;

	fx_survey(db, "surveys/post-meeting.yaml", NULL);
	assert_int_equal(
	    meeting_create_series(db, cfg, &m, &sr, 1, NULL, NULL, ids, &cause),
	    0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings WHERE"
	                              " series_id = 1 AND feedback_to ="
	                              " 'attended'"),
	                 4);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM campaigns"), 12);
	/* 30 April 2025 18:30 BST (the 31st becomes the 30th). */
	assert_int_equal(fx_count(db, "SELECT at FROM meetings WHERE id = 2"),
	                 1746034200);
	/* A series too long is refused, nothing made. */
	sr.count = MEETING_SERIES_MAX + 1;
	assert_int_equal(
	    meeting_create_series(db, cfg, &m, &sr, 0, NULL, NULL, ids, &cause),
	    -1);
	free(cause);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM meetings"), 4);
	db_close(db);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_with_campaigns),
	    cmocka_unit_test(test_create_is_one_transaction),
	    cmocka_unit_test(test_create_series),
	    cmocka_unit_test_setup_teardown(test_invitation_has_link, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_update_moves_campaigns_and_tells_invited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_in_slices_resumes,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_replaces_move_job,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_twice_replaces_notice,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_refuses_bad_input,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_cancel_stops_campaigns_and_tells_those_sent, setup,
	        teardown),
	    cmocka_unit_test(test_step_months_and_weeks),
	    cmocka_unit_test(test_link_ok),
	    cmocka_unit_test_setup_teardown(test_attendance_gp_partner_evidence,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_attendance_refuses_unknown_member, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_by_name, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sms_yes_then_no, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sms_yes_not_after_other_text,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sms_yes_closed_meeting, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_smsconv_keywords_first, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_invitation_reply_tokens, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_feedback_to, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invitation_reviews_last_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_leaves_minutes_done,
	                                    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
