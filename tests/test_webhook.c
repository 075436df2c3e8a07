/*
 * Webhooks applied to a real SQLite: routing by the number or address a
 * message was sent to (two practices, one shared mobile), STOP said the
 * ordinary ways, forged email, early delivery receipts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "form.h"
#include "practice.h"
#include "receipt.h"
#include "sms_session.h"
#include "smsconv.h"
#include "survey.h"
#include "webhook.h"
#include "xmalloc.h"

#define SHARED "+447700900123"
#define NUM_A  "+447700900001"
#define NUM_B  "+447700900002"

struct fx {
	struct db *db;
	struct config *cfg;
	int64_t ann;   /* practice A, SHARED */
	int64_t bea;   /* practice B, SHARED, newer */
	int64_t alice; /* practice A, email */
	int64_t now;
	int seq;
};

static int64_t
member_add(struct fx *f, int64_t practice, const char *name, const char *mobile,
           const char *email)
{
	sqlite3_stmt *st = db_stmt(
	    f->db,
	    "INSERT INTO members (practice_id, first_name, mobile, email,"
	    " preferred_channel, joined_at, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, 'sms', 0, 0, 0)");

	db_bind_int(st, 1, practice);
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, mobile);
	db_bind_text(st, 4, email);
	assert_int_equal(db_done(f->db, st), 0);
	return db_last_id(f->db);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char *cause = NULL, *errors = NULL;
	struct practice a = {.code = "A81001",
	                     .name = "Riverside Surgery",
	                     .email_from = "ppg@riverside.example",
	                     .sms_from = NUM_A,
	                     .phone = "01632 960001"};
	struct practice b = {.code = "B82002",
	                     .name = "Hillview Practice",
	                     .email_from = "ppg@hillview.example",
	                     .sms_from = NUM_B,
	                     .phone = "01632 960002"};

	assert_int_equal(config_load(NULL, &f->cfg, &errors), 0);
	assert_int_equal(db_open(":memory:", &f->db, &cause), 0);
	assert_int_equal(db_migrate(f->db, 0, &cause), 0);
	assert_int_equal(practice_add(f->db, &a, &cause), 0);
	assert_int_equal(practice_add(f->db, &b, &cause), 0);
	f->ann = member_add(f, 1, "Ann", SHARED, NULL);
	f->alice = member_add(f, 1, "Alice", NULL, "alice@example.org");
	f->bea = member_add(f, 2, "Bea", SHARED, NULL);
	f->now = time(NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	db_close(f->db);
	config_free(f->cfg);
	free(f);
	return 0;
}

/* One integer from a query with ?1 bound; -1 if no row. */
static int64_t
q1(struct db *db, const char *sql, int64_t a)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t v = -1;

	db_bind_int(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* A text from a query with ?1 bound. Caller frees. */
static char *
qtext(struct db *db, const char *sql, int64_t a)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	char *v = NULL;

	db_bind_int(st, 1, a);
	if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0) != NULL)
		v = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return v;
}

/* Apply a webhook of kind whose body is the form (or JSON text). */
static struct webhook_out
apply(struct fx *f, enum webhook_kind k, const char *body)
{
	struct webhook_in in;
	struct webhook_out out;
	char *cause = NULL;

	assert_int_equal(webhook_parse(k, body, strlen(body), &in, &cause), 0);
	in.now = f->now;
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(webhook_apply(f->db, f->cfg, &in, &out), 0);
	assert_int_equal(db_commit(f->db), 0);
	webhook_in_clear(&in);
	return out;
}

/* A Twilio inbound text from `from` to `to`. */
static struct webhook_out
text(struct fx *f, const char *from, const char *to, const char *body)
{
	struct form *fm = form_new();
	char sid[32], *enc;
	struct webhook_out out;

	snprintf(sid, sizeof sid, "SM%04d", ++f->seq);
	form_add(fm, "MessageSid", sid);
	form_add(fm, "From", from);
	form_add(fm, "To", to);
	form_add(fm, "Body", body);
	enc = form_encode(fm);
	out = apply(f, WH_TWILIO_SMS, enc);
	free(enc);
	form_free(fm);
	return out;
}

/* The newest inbound row's member (0 for none). */
static int64_t
inbound_member(struct fx *f)
{
	return q1(f->db,
	          "SELECT coalesce(member_id, 0) FROM inbound"
	          " ORDER BY id DESC LIMIT ?1",
	          1);
}

static int64_t
optout_sms(struct fx *f, int64_t member)
{
	return q1(f->db,
	          "SELECT coalesce(optout_sms_at, 0) FROM members WHERE id=?1",
	          member);
}

static int64_t
audits(struct fx *f, const char *action, int64_t member)
{
	sqlite3_stmt *st = db_stmt(f->db, "SELECT count(*) FROM audit WHERE"
	                                  " action=?1 AND object=?2");
	char obj[32];
	int64_t n;

	snprintf(obj, sizeof obj, "member:%lld", (long long)member);
	db_bind_text(st, 1, action);
	db_bind_text(st, 2, obj);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* ---- fault 2: shared numbers ------------------------------------------ */

/* A text to A's number is A's member's, and the care reply gives A's phone.
 */
static void
test_shared_mobile_routed_by_to(void **state)
{
	struct fx *f = *state;
	struct webhook_out o = text(f, SHARED, NUM_A, "I have bad chest pain");
	char *body;

	assert_string_equal(o.disposition, "feedback");
	assert_int_equal(inbound_member(f), f->ann);
	assert_int_equal(q1(f->db,
	                    "SELECT practice_id FROM inbound ORDER BY id DESC"
	                    " LIMIT ?1",
	                    1),
	                 1);
	body = qtext(f->db, "SELECT body FROM outbox ORDER BY id DESC LIMIT ?1",
	             1);
	assert_non_null(body);
	assert_non_null(strstr(body, "01632 960001"));
	assert_null(strstr(body, "01632 960002"));
	free(body);
	assert_int_equal(q1(f->db,
	                    "SELECT practice_id FROM outbox ORDER BY id DESC"
	                    " LIMIT ?1",
	                    1),
	                 1);
	/* And one to B's number is B's member's. */
	text(f, SHARED, NUM_B, "hello");
	assert_int_equal(inbound_member(f), f->bea);
}

/* START to B's number opts Bea back in, not Ann; each has her audit row. */
static void
test_start_only_at_that_practice(void **state)
{
	struct fx *f = *state;

	assert_string_equal(text(f, SHARED, NUM_A, "STOP").disposition,
	                    "optout");
	assert_string_equal(text(f, SHARED, NUM_B, "STOP").disposition,
	                    "optout");
	assert_true(optout_sms(f, f->ann) > 0);
	assert_true(optout_sms(f, f->bea) > 0);
	assert_int_equal(audits(f, "optout-sms", f->ann), 1);
	assert_int_equal(audits(f, "optout-sms", f->bea), 1);
	assert_string_equal(text(f, SHARED, NUM_B, "START").disposition,
	                    "optin");
	assert_int_equal(optout_sms(f, f->bea), 0);
	assert_true(optout_sms(f, f->ann) > 0);
	assert_int_equal(audits(f, "optin-sms", f->bea), 1);
	assert_int_equal(audits(f, "optin-sms", f->ann), 0);
}

/* STOP reaches every member with the number at that practice: no cap. */
static void
test_stop_every_member_no_cap(void **state)
{
	struct fx *f = *state;
	int64_t ids[12];
	size_t i;

	for (i = 0; i < 12; i++)
		ids[i] = member_add(f, 1, "Household", SHARED, NULL);
	text(f, SHARED, NUM_A, "STOP");
	for (i = 0; i < 12; i++) {
		assert_true(optout_sms(f, ids[i]) > 0);
		assert_int_equal(audits(f, "optout-sms", ids[i]), 1);
	}
	assert_true(optout_sms(f, f->ann) > 0);
	assert_int_equal(optout_sms(f, f->bea), 0);
	/* One confirmation, not thirteen. */
	assert_int_equal(q1(f->db, "SELECT count(*) FROM outbox WHERE ?1", 1),
	                 1);
}

/* ---- fault 7: STOP said the ordinary ways ------------------------------- */

static void
test_stop_variants(void **state)
{
	(void)state;
	assert_int_equal(smsconv_keyword(" Stop."), KW_STOP);
	assert_int_equal(smsconv_keyword("STOP!"), KW_STOP);
	assert_int_equal(smsconv_keyword("\"stop\""), KW_STOP);
	assert_int_equal(smsconv_keyword("\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf"
	                                 "\xef\xbc\xb0"),
	                 KW_STOP); /* fullwidth STOP */
	assert_int_equal(smsconv_keyword("S\xe2\x80\x8bTOP"), KW_STOP);
	assert_int_equal(smsconv_keyword("revoke"), KW_STOP);
	assert_int_equal(smsconv_keyword("Start!"), KW_START);
	assert_int_equal(smsconv_keyword("stopped"), KW_NONE);
	assert_int_equal(smsconv_keyword("stop please"), KW_NONE);
	assert_true(smsconv_stop_request("please stop texting me"));
	assert_true(smsconv_stop_request("Unsubscribe me"));
	assert_true(smsconv_stop_request("no more texts please"));
	assert_true(smsconv_stop_request("take me off your list"));
	assert_false(smsconv_stop_request("the staff never stop smiling"));
	assert_false(smsconv_stop_request("5"));
	assert_true(smsconv_stop_request("STOP NOW PLEASE!"));
	assert_false(smsconv_stop_request("end it"));
	assert_false(smsconv_stop_request("cancel my appointment"));
	assert_false(smsconv_stop_request("stop the long waits"));
}

/* Load the FFT survey once; its id. */
static int64_t
survey_fft(struct fx *f)
{
	struct survey *s = NULL;
	char *errors = NULL, *def;
	sqlite3_stmt *st;
	int64_t id = q1(f->db,
	                "SELECT coalesce(max(id), 0) FROM surveys"
	                " WHERE ?1",
	                1);

	if (id > 0)
		return id;
	assert_int_equal(survey_load_file("surveys/fft.yaml", &s, &errors), 0);
	def = survey_dumps(s);
	st = db_stmt(f->db, "INSERT INTO surveys (slug, version, title,"
	                    " anonymous, definition, hash, loaded_at) VALUES"
	                    " (?1, 1, ?2, 1, ?3, ?4, 0)");
	db_bind_text(st, 1, s->slug);
	db_bind_text(st, 2, s->title);
	db_bind_text(st, 3, def);
	db_bind_text(st, 4, s->hash);
	assert_int_equal(db_done(f->db, st), 0);
	free(def);
	survey_free(s);
	return db_last_id(f->db);
}

/* Start an SMS survey session for member m. */
static void
session_open(struct fx *f, int64_t m)
{
	int64_t sv = survey_fft(f), rid;
	sqlite3_stmt *st;

	st = db_stmt(f->db, "INSERT INTO responses (survey_id, practice_id,"
	                    " member_id, channel, started_at) VALUES (?2, 1,"
	                    " ?1, 'sms', 0)");
	db_bind_int(st, 1, m);
	db_bind_int(st, 2, sv);
	assert_int_equal(db_done(f->db, st), 0);
	rid = db_last_id(f->db);
	st = db_stmt(f->db, "INSERT INTO sms_sessions (member_id, response_id,"
	                    " expires_at, updated_at) VALUES (?1, ?2, ?3, 0)");
	db_bind_int(st, 1, m);
	db_bind_int(st, 2, rid);
	db_bind_int(st, 3, f->now + 3600);
	assert_int_equal(db_done(f->db, st), 0);
}

/* In a survey session, " Stop." opts out; it is not an answer. */
static void
test_stop_punctuated_in_session(void **state)
{
	struct fx *f = *state;
	const char *variants[] = {" Stop.", "STOP!",
	                          "\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf"
	                          "\xef\xbc\xb0",
	                          "S\xe2\x80\x8bTOP", "Revoke"};
	size_t i;

	for (i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		session_open(f, f->ann);
		assert_string_equal(text(f, SHARED, NUM_A, "START").disposition,
		                    "optin");
		session_open(f, f->ann);
		assert_string_equal(
		    text(f, SHARED, NUM_A, variants[i]).disposition, "optout");
		assert_true(optout_sms(f, f->ann) > 0);
		assert_int_equal(q1(f->db,
		                    "SELECT count(*) FROM sms_sessions WHERE"
		                    " member_id=?1 AND state='open'",
		                    f->ann),
		                 0);
	}
}

/* "please stop texting me": flagged, told how, never re-prompted. */
static void
test_stop_request_not_reprompted(void **state)
{
	struct fx *f = *state;
	struct webhook_out o;
	char *body;
	int64_t n;

	session_open(f, f->ann);
	o = text(f, SHARED, NUM_A, "please stop texting me");
	assert_string_equal(o.disposition, "stop-request");
	assert_int_equal(q1(f->db,
	                    "SELECT count(*) FROM inbound WHERE"
	                    " disposition='stop-request' AND member_id=?1",
	                    f->ann),
	                 1);
	body = qtext(f->db, "SELECT body FROM outbox ORDER BY id DESC LIMIT ?1",
	             1);
	assert_non_null(body);
	assert_non_null(strstr(body, "Reply STOP"));
	free(body);
	assert_int_equal(optout_sms(f, f->ann), 0);
	/* Once opted out, a sentence asking to stop gets no more texts. */
	text(f, SHARED, NUM_B, "STOP");
	n = q1(f->db, "SELECT count(*) FROM outbox WHERE ?1", 1);
	assert_string_equal(
	    text(f, SHARED, NUM_B, "please stop texting me").disposition,
	    "stop-request");
	assert_int_equal(q1(f->db, "SELECT count(*) FROM outbox WHERE ?1", 1),
	                 n);
	assert_int_equal(q1(f->db,
	                    "SELECT reprompts FROM sms_sessions WHERE"
	                    " member_id=?1 AND state='open'"
	                    " AND question_index=0",
	                    f->ann),
	                 0);
}

/* ---- fault 8: forged email ---------------------------------------------- */

/* A Mailgun post from sender to recipient; spf/dkim as Mailgun says them. */
static struct webhook_out
email(struct fx *f, const char *sender, const char *rcpt, const char *spf,
      const char *dkim, const char *extra_header, const char *body)
{
	struct form *fm = form_new();
	char tok[32], *enc;
	struct webhook_out out;

	snprintf(tok, sizeof tok, "tok%04d", ++f->seq);
	form_add(fm, "token", tok);
	form_add(fm, "timestamp", "1");
	form_add(fm, "signature", "x");
	form_add(fm, "sender", sender);
	form_add(fm, "recipient", rcpt);
	form_add(fm, "stripped-text", body);
	if (spf != NULL)
		form_add(fm, "X-Mailgun-Spf", spf);
	if (dkim != NULL)
		form_add(fm, "X-Mailgun-Dkim-Check-Result", dkim);
	if (extra_header != NULL)
		form_add(fm, "Auto-Submitted", extra_header);
	enc = form_encode(fm);
	out = apply(f, WH_MAILGUN_EMAIL, enc);
	free(enc);
	form_free(fm);
	return out;
}

static int64_t
outbox_count(struct fx *f)
{
	return q1(f->db, "SELECT count(*) FROM outbox WHERE ?1", 1);
}

/* Failing SPF and DKIM: not Alice's, and no reply to Alice. */
static void
test_forged_email_unmatched(void **state)
{
	struct fx *f = *state;
	struct webhook_out o;

	o = email(f, "alice@example.org", "ppg@riverside.example", "Fail",
	          "Fail", NULL, "urgent: chest pain");
	assert_string_equal(o.disposition, "unmatched");
	assert_int_equal(inbound_member(f), 0);
	assert_int_equal(outbox_count(f), 0);
	/* No result at all is no better. */
	o = email(f, "alice@example.org", "ppg@riverside.example", NULL, NULL,
	          NULL, "urgent: chest pain");
	assert_string_equal(o.disposition, "unmatched");
	assert_int_equal(outbox_count(f), 0);
}

/* Passing DKIM: Alice's; one care reply a day; never to an auto-reply. */
static void
test_email_autoreply_once_a_day(void **state)
{
	struct fx *f = *state;
	struct webhook_out o;

	o = email(f, "Alice <alice@example.org>", "ppg@riverside.example",
	          "Fail", "Pass", NULL, "urgent: chest pain");
	assert_string_equal(o.disposition, "feedback");
	assert_int_equal(inbound_member(f), f->alice);
	assert_int_equal(outbox_count(f), 1);
	o = email(f, "alice@example.org", "ppg@riverside.example", "Pass", NULL,
	          NULL, "still urgent: chest pain");
	assert_int_equal(inbound_member(f), f->alice);
	assert_int_equal(outbox_count(f), 1);
	f->now += 86400 + 1;
	o = email(f, "alice@example.org", "ppg@riverside.example", "Pass", NULL,
	          "auto-replied", "Out of office: urgent only");
	assert_int_equal(outbox_count(f), 0 + 1);
	o = email(f, "alice@example.org", "ppg@riverside.example", "Pass", NULL,
	          NULL, "urgent: chest pain");
	assert_int_equal(outbox_count(f), 2);
}

/* A list or bulk message (headers in Mailgun's message-headers list) and
 * another responder's auto-reply get no automatic reply either. */
static void
test_email_no_reply_to_lists_or_bounces(void **state)
{
	struct fx *f = *state;
	struct form *fm = form_new();
	char *enc;

	form_add(fm, "token", "tok-list");
	form_add(fm, "timestamp", "1");
	form_add(fm, "signature", "x");
	form_add(fm, "sender", "alice@example.org");
	form_add(fm, "recipient", "ppg@riverside.example");
	form_add(fm, "X-Mailgun-Spf", "Pass");
	form_add(fm, "stripped-text", "urgent digest");
	form_add(fm, "message-headers",
	         "[[\"Subject\", \"Digest\"], [\"precedence\", \"bulk\"]]");
	enc = form_encode(fm);
	assert_string_equal(apply(f, WH_MAILGUN_EMAIL, enc).disposition,
	                    "feedback");
	free(enc);
	form_free(fm);
	assert_int_equal(outbox_count(f), 0);
	fm = form_new();
	form_add(fm, "token", "tok-x-autoreply");
	form_add(fm, "timestamp", "1");
	form_add(fm, "signature", "x");
	form_add(fm, "sender", "alice@example.org");
	form_add(fm, "recipient", "ppg@riverside.example");
	form_add(fm, "X-Mailgun-Dkim-Check-Result", "Pass");
	form_add(fm, "X-Autoreply", "yes");
	form_add(fm, "stripped-text", "I am away. If urgent call 111");
	enc = form_encode(fm);
	apply(f, WH_MAILGUN_EMAIL, enc);
	free(enc);
	form_free(fm);
	assert_int_equal(outbox_count(f), 0);
	/* Auto-Submitted: no is a person. */
	email(f, "alice@example.org", "ppg@riverside.example", "Pass", NULL,
	      "no", "urgent: chest pain");
	assert_int_equal(outbox_count(f), 1);
}

/* A shared address: the practice it was sent to decides whose it is. */
static void
test_email_shared_address_routed_by_to(void **state)
{
	struct fx *f = *state;
	int64_t alice_b =
	    member_add(f, 2, "Alice B", NULL, "alice@example.org");

	email(f, "alice@example.org", "PPG <ppg@riverside.example>", "Pass",
	      NULL, NULL, "hello A");
	assert_int_equal(inbound_member(f), f->alice);
	email(f, "alice@example.org", "ppg@hillview.example", "Pass", NULL,
	      NULL, "hello B");
	assert_int_equal(inbound_member(f), alice_b);
	/* Sent to neither practice: two practices have her, so nobody. */
	email(f, "alice@example.org", "someone@elsewhere.example", "Pass", NULL,
	      NULL, "hello?");
	assert_int_equal(inbound_member(f), 0);
	/* A stranger's (forged) email to practice B's address is B's: its
	 * care alert goes to B's staff, not to the first practice's. */
	email(f, "stranger@example.net", "ppg@hillview.example", "Fail", NULL,
	      NULL, "I can't breathe");
	assert_int_equal(inbound_member(f), 0);
	assert_int_equal(q1(f->db,
	                    "SELECT practice_id FROM inbound ORDER BY"
	                    " id DESC LIMIT ?1",
	                    1),
	                 2);
	assert_int_equal(q1(f->db,
	                    "SELECT practice_id FROM care_alerts ORDER BY"
	                    " id DESC LIMIT ?1",
	                    1),
	                 2);
}

/* ---- fault 5: early delivery receipts ------------------------------------ */

static int64_t
outbox_sending(struct fx *f)
{
	sqlite3_stmt *st = db_stmt(
	    f->db, "INSERT INTO outbox (practice_id, member_id, channel, state,"
	           " to_addr, body, next_attempt_at, created_at, attempts)"
	           " VALUES (1, ?1, 'sms', 'sending', ?2, 'hi', 0, 0, 1)");

	db_bind_int(st, 1, f->ann);
	db_bind_text(st, 2, SHARED);
	assert_int_equal(db_done(f->db, st), 0);
	return db_last_id(f->db);
}

static void
twilio_receipt(struct fx *f, const char *sid, const char *status,
               const char *code)
{
	struct form *fm = form_new();
	char *enc;

	form_add(fm, "MessageSid", sid);
	form_add(fm, "MessageStatus", status);
	if (code != NULL)
		form_add(fm, "ErrorCode", code);
	enc = form_encode(fm);
	apply(f, WH_TWILIO_STATUS, enc);
	free(enc);
	form_free(fm);
}

/* The dispatcher records the send: sending -> sent with the provider id. */
static void
record_sent(struct fx *f, int64_t id, const char *sid)
{
	sqlite3_stmt *st = db_stmt(f->db, "UPDATE outbox SET state='sent',"
	                                  " provider_id=?2 WHERE id=?1");

	db_bind_int(st, 1, id);
	db_bind_text(st, 2, sid);
	assert_int_equal(db_done(f->db, st), 0);
	assert_int_equal(receipt_apply_parked(f->db, id, f->now), 0);
}

static void
test_early_receipt_kept(void **state)
{
	struct fx *f = *state;
	int64_t id = outbox_sending(f);
	char *s;

	twilio_receipt(f, "SMearly", "delivered", NULL);
	s = qtext(f->db, "SELECT state FROM outbox WHERE id=?1", id);
	assert_string_equal(s, "sending");
	free(s);
	record_sent(f, id, "SMearly");
	s = qtext(f->db, "SELECT state FROM outbox WHERE id=?1", id);
	assert_string_equal(s, "delivered");
	free(s);
	assert_int_equal(q1(f->db,
	                    "SELECT count(*) FROM receipts_parked"
	                    " WHERE ?1",
	                    1),
	                 0);
}

/* An early 21610 ("unsubscribed") opts the member out once it applies. */
static void
test_early_receipt_21610(void **state)
{
	struct fx *f = *state;
	int64_t id = outbox_sending(f);
	char *s;

	twilio_receipt(f, "SMgone", "undelivered", "21610");
	record_sent(f, id, "SMgone");
	s = qtext(f->db, "SELECT state FROM outbox WHERE id=?1", id);
	assert_string_equal(s, "failed");
	free(s);
	assert_true(optout_sms(f, f->ann) > 0);
	assert_int_equal(audits(f, "optout-sms", f->ann), 1);
	assert_int_equal(optout_sms(f, f->bea), 0);
}

/* An interim status does not overwrite a final one parked before it. */
static void
test_early_receipt_interim_after_final(void **state)
{
	struct fx *f = *state;
	int64_t id = outbox_sending(f);
	char *s;

	twilio_receipt(f, "SMmix", "delivered", NULL);
	twilio_receipt(f, "SMmix", "sent", NULL);
	record_sent(f, id, "SMmix");
	s = qtext(f->db, "SELECT state FROM outbox WHERE id=?1", id);
	assert_string_equal(s, "delivered");
	free(s);
}

/* ---- SMS session states ----------------------------------------------- */

/* Migration 7 keeps sessions (an old 'closed' becomes 'stopped') and the
 * CHECK constraint refuses a state the enum does not know. */
static void
test_session_states_checked(void **state)
{
	struct db *db;
	char *cause = NULL;
	sqlite3_stmt *st;
	enum sms_session_state ss;

	(void)state;
	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 6, &cause), 0);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO practices (code, name, created_at)"
	            " VALUES ('A', 'A', 0);"
	            "INSERT INTO members (practice_id, joined_at, created_at,"
	            " updated_at) VALUES (1, 0, 0, 0);"
	            "INSERT INTO surveys (slug, version, title, anonymous,"
	            " definition, hash, loaded_at) VALUES ('s', 1, 's', 0,"
	            " '{}', 'h', 0);"
	            "INSERT INTO responses (survey_id, practice_id, channel,"
	            " started_at) VALUES (1, 1, 'sms', 0);"
	            "INSERT INTO sms_sessions (member_id, response_id, state,"
	            " expires_at, updated_at) VALUES (1, 1, 'closed', 0, 0),"
	            " (1, 1, 'open', 0, 0), (1, 1, 'weird', 0, 0);",
	            &cause),
	    0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	st = db_stmt(db, "SELECT group_concat(state, ',') FROM (SELECT state"
	                 " FROM sms_sessions ORDER BY id)");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "stopped,open,broken");
	sqlite3_reset(st);
	assert_int_equal(db_exec(db,
	                         "UPDATE sms_sessions SET state='paused'"
	                         " WHERE id=2",
	                         &cause),
	                 -1);
	free(cause);
	assert_int_equal(sms_session_state_parse("superseded", &ss), 0);
	assert_int_equal(ss, SS_SUPERSEDED);
	assert_string_equal(sms_session_strstate(SS_STOPPED), "stopped");
	assert_int_equal(sms_session_state_parse("closed", &ss), -1);
	db_close(db);
}

/* Notify: the receipt names our outbox row (reference) while it is still
 * sending; it is applied when the send is recorded. */
static void
test_early_receipt_notify(void **state)
{
	struct fx *f = *state;
	int64_t id = outbox_sending(f);
	char body[256], *s;

	snprintf(body, sizeof body,
	         "{\"id\": \"7d1c0f5e-notify\", \"reference\": \"%lld\","
	         " \"status\": \"delivered\", \"notification_type\": \"sms\"}",
	         (long long)id);
	assert_string_equal(apply(f, WH_NOTIFY_STATUS, body).disposition,
	                    "receipt-parked");
	record_sent(f, id, "7d1c0f5e-notify");
	s = qtext(f->db, "SELECT state FROM outbox WHERE id=?1", id);
	assert_string_equal(s, "delivered");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_shared_mobile_routed_by_to),
	    T(test_start_only_at_that_practice),
	    T(test_stop_every_member_no_cap),
	    cmocka_unit_test(test_stop_variants),
	    T(test_stop_punctuated_in_session),
	    T(test_stop_request_not_reprompted),
	    T(test_forged_email_unmatched),
	    T(test_email_autoreply_once_a_day),
	    T(test_email_shared_address_routed_by_to),
	    T(test_email_no_reply_to_lists_or_bounces),
	    T(test_early_receipt_kept),
	    T(test_early_receipt_21610),
	    T(test_early_receipt_interim_after_final),
	    T(test_early_receipt_notify),
	    cmocka_unit_test(test_session_states_checked),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
