/* Firing campaigns: exact counts, idempotence, tokens, SMS sessions, quiet
 * hours, the frequency cap and reminders. */
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
#include "crypto.h"
#include "fire.h"
#include "linktoken.h"
#include "outbox.h"
#include "runmsg.h"
#include "xmalloc.h"

#define NMEMBERS 10000
/* 2026-06-10 22:00 BST, and 09:00 BST the next morning. */
#define FX_LATE    ((int64_t)1781125200)
#define FX_MORNING ((int64_t)1781164800)

static const char named_yaml[] = "slug: named\n"
                                 "title: Named survey\n"
                                 "anonymous: false\n"
                                 "questions:\n"
                                 "  - key: ok\n"
                                 "    type: yesno\n"
                                 "    text: Was it OK?\n"
                                 "    required: true\n";

static struct campaign *
campaign_make(struct db *db, const struct config *cfg, const char *name,
              int64_t survey_id, const char *channels)
{
	struct campaign *c = campaign_new();
	char *cause = NULL;

	c->name = xstrdup(name);
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = survey_id;
	free(c->channels);
	c->channels = xstrdup(channels);
	if (campaign_add(db, cfg, c, FX_NOON - 60, &cause) == -1) {
		fprintf(stderr, "campaign_add: %s\n", cause);
		fail();
	}
	return c;
}

/* The config body_of renders with (each test sets it). */
static const struct config *body_cfg;

/* The text of the member's row of a run (0: any), rendered. Caller frees. */
static char *
body_of(struct db *db, int64_t member_id, int64_t run_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM outbox WHERE"
	                               " (?1 = 0 OR member_id = ?1) AND"
	                               " (?2 = 0 OR run_id = ?2)");
	int64_t id = 0;
	char *text, *html;

	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, run_id);
	assert_int_equal(db_row_int(db, st, &id), 1);
	assert_int_equal(outbox_body(db, body_cfg, id, &text, &html), 0);
	free(html);
	return text;
}

/* The subject of the member's email in run_id, rendered. Caller frees. */
static char *
body_subject(struct db *db, int64_t member_id, int64_t run_id)
{
	struct runmsg *rm;
	struct rendered out;
	char *cause = NULL, *subject;

	assert_non_null(rm = runmsg_load(db, run_id, &cause));
	assert_int_equal(
	    runmsg_render(rm, db, body_cfg, member_id, "email", &out, &cause),
	    0);
	subject = out.subject;
	out.subject = NULL;
	rendered_clear(&out);
	runmsg_free(rm);
	return subject;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

static void
fire_ok(struct db *db, const struct config *cfg, const struct campaign *c,
        int64_t when, int reminder, struct fire_result *r)
{
	char *cause = NULL;

	body_cfg = cfg;
	if (fire_run(db, cfg, c, when, reminder, when, r, &cause) == -1) {
		fprintf(stderr, "fire_run: %s\n", cause);
		fail();
	}
}

/* The mixed population: member i's record, from simple rules. */
static void
mixed_member(int i, struct fx_member *m, char *email, char *mobile)
{
	memset(m, 0, sizeof *m);
	snprintf(email, 32, "m%d@example.org", i);
	snprintf(mobile, 32, "+4477009%05d", i);
	m->first = i % 9 == 0 ? NULL : "Pat";
	m->email = i % 7 != 0 ? email : NULL;
	m->mobile = i % 5 != 0 ? mobile : NULL;
	m->pref = i % 2 ? "sms" : "email";
	m->consent_email = i % 3 != 0;
	m->consent_sms = i % 4 != 0;
	m->optout_email = i % 11 == 0 ? 5 : 0;
	m->optout_sms = i % 13 == 0 ? 5 : 0;
	if (i % 17 == 0)
		m->term_ends = FX_NOON - FX_DAY;
	else if (i % 19 == 0)
		m->term_ends = FX_NOON + FX_DAY;
	m->erased = i % 101 == 0 ? 7 : 0;
	m->carer = m->disability = -1;
	m->age_band = "45-54";
}

static int
usable(const struct fx_member *m, int sms)
{
	if (sms)
		return m->mobile && m->consent_sms && !m->optout_sms;
	return m->email && m->consent_email && !m->optout_email;
}

/* The expected outcome of member m for channels email,sms. */
static enum aud_skip
oracle(const struct fx_member *m, int *sms)
{
	int pref_sms = strcmp(m->pref, "sms") == 0;

	if (m->erased)
		return AUD_ERASED;
	if (m->term_ends && m->term_ends < FX_NOON)
		return AUD_TERM_ENDED;
	if (usable(m, pref_sms) || usable(m, !pref_sms)) {
		*sms = usable(m, pref_sms) ? pref_sms : !pref_sms;
		return AUD_OK;
	}
	if (m->optout_email || m->optout_sms)
		return AUD_OPTED_OUT;
	if (!m->consent_email || !m->consent_sms)
		return AUD_NO_CONSENT;
	return AUD_NO_CONTACT;
}

struct expect {
	int email, sms, skipped[AUD_NSKIP];
};

static void
mixed_population(struct db *db, struct expect *e)
{
	struct fx_member m;
	char email[32], mobile[32], *cause = NULL;
	enum aud_skip s;
	int i, sms;

	memset(e, 0, sizeof *e);
	assert_int_equal(db_exec(db, "BEGIN", &cause), 0);
	for (i = 1; i <= NMEMBERS; i++) {
		mixed_member(i, &m, email, mobile);
		fx_member_add(db, &m);
		if ((s = oracle(&m, &sms)) != AUD_OK)
			e->skipped[s]++;
		else if (sms)
			e->sms++;
		else
			e->email++;
	}
	assert_int_equal(db_exec(db, "COMMIT", &cause), 0);
}

static void
test_ten_thousand(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct campaign *c = campaign_make(db, cfg, "fft", sid, "email,sms");
	struct fire_result r, again;
	struct expect e;
	char *cause = NULL, *body;
	int i;

	mixed_population(db, &e);
	/* Every rule must have bitten, or the test proves little. */
	for (i = AUD_ERASED; i <= AUD_NO_CONTACT; i++)
		assert_true(e.skipped[i] > 0);
	assert_true(e.email > 1000 && e.sms > 1000);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	assert_true(r.created);
	assert_int_equal(r.matched, NMEMBERS);
	assert_int_equal(r.email, e.email);
	assert_int_equal(r.sms, e.sms);
	assert_int_equal(r.messages, e.email + e.sms);
	for (i = AUD_ERASED; i < AUD_NSKIP; i++)
		assert_int_equal(r.skipped[i], e.skipped[i]);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " channel = 'email'"),
	                 e.email);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " channel = 'sms'"),
	                 e.sms);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " state <> 'pending'"),
	                 0);
	assert_int_equal(fx_count(db, "SELECT messages FROM runs"), r.messages);
	/* Nothing per member but the row: no token, no text. */
	assert_int_equal(fx_count(db, "SELECT count(*) FROM tokens"), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " body <> '' OR subject IS NOT NULL"),
	                 0);
	/* A member with no first name is greeted as "member". */
	body = body_of(db, 18, 0);
	assert_true(strncmp(body, "Hi member,", 10) == 0);
	free(body);
	/* The same run again makes nothing; the constraint is the guard. */
	fire_ok(db, cfg, c, FX_NOON, 0, &again);
	assert_false(again.created);
	assert_int_equal(again.messages, 0);
	assert_int_equal(again.run_id, r.run_id);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox"),
	                 r.messages);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM tokens"), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO outbox (run_id, member_id, practice_id,"
	            " channel, to_addr, body, next_attempt_at, created_at)"
	            " SELECT run_id, member_id, practice_id, channel, to_addr,"
	            " body, 0, 0 FROM outbox LIMIT 1",
	            &cause),
	    -1);
	free(cause);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

/* The token after prefix in body (up to the first non-base64url). */
static void
token_after(const char *body, const char *prefix, char out[LINKTOKEN_MAX])
{
	const char *p = strstr(body, prefix);
	size_t n;

	assert_non_null(p);
	p += strlen(prefix);
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	              "0123456789-_");
	assert_true(n > 0 && n < LINKTOKEN_MAX);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The links are derived for (run, member): nothing is stored per member,
 * and the row has no text until it is rendered. */
static void
test_tokens_derived(void **state)
{
	struct db *db = fx_db();
	struct config *cfg =
	    fx_config("[email]\nreply_domain = reply.example.org\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct fx_member m = {
	    .first = "Ann", .email = "ann@example.org", .consent_email = 1};
	struct campaign *c;
	struct fire_result r;
	char tok[LINKTOKEN_MAX], *body, *html;
	int64_t id = fx_member_add(db, &m), oid, run, member;

	linktoken_set_key("test key");
	c = campaign_make(db, cfg, "fft", sid, "email");
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	assert_int_equal(r.email, 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM tokens"), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " body = '' AND body_html IS NULL AND"
	                              " subject IS NULL AND reply_token IS"
	                              " NULL AND unsubscribe_token IS NULL"),
	                 1);
	oid = fx_count(db, "SELECT id FROM outbox");
	assert_int_equal(outbox_body(db, cfg, oid, &body, &html), 0);
	assert_non_null(strstr(html, "https://ppg.example.org/s/"));
	token_after(body, "https://ppg.example.org/s/", tok);
	assert_int_equal(linktoken_parse(cfg, tok, LT_SURVEY, &run, &member),
	                 1);
	assert_int_equal(run, r.run_id);
	assert_int_equal(member, id);
	/* A survey link is not an unsubscribe link. */
	assert_int_equal(
	    linktoken_parse(cfg, tok, LT_UNSUBSCRIBE, &run, &member), 0);
	token_after(body, "https://ppg.example.org/u/", tok);
	assert_int_equal(
	    linktoken_parse(cfg, tok, LT_UNSUBSCRIBE, &run, &member), 1);
	assert_int_equal(member, id);
	/* Rendered again, the same text and links. */
	free(html);
	{
		char *again, *again_html;
		assert_int_equal(outbox_body(db, cfg, oid, &again, &again_html),
		                 0);
		assert_string_equal(again, body);
		free(again);
		free(again_html);
	}
	free(body);
	linktoken_set_key(NULL);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

static void
test_sms_survey_sessions(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	int64_t anon = fx_survey(db, "surveys/fft.yaml", NULL);
	int64_t named = fx_survey(db, NULL, named_yaml);
	struct fx_member m = {.first = "Bob",
	                      .mobile = "+447700900123",
	                      .pref = "sms",
	                      .consent_sms = 1,
	                      .age_band = "65-74",
	                      .sex = "male",
	                      .ethnicity = "white"};
	struct campaign *a, *n;
	struct fire_result r;
	char *cause = NULL, *body;

	fx_member_add(db, &m);
	a = campaign_make(db, cfg, "anon", anon, "sms");
	n = campaign_make(db, cfg, "named", named, "sms,email");
	fire_ok(db, cfg, a, FX_NOON, 0, &r);
	assert_int_equal(r.sms, 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM responses WHERE"
	                              " member_id IS NULL AND campaign_id = 1"
	                              " AND survey_id = 1 AND channel = 'sms'"
	                              " AND completed_at IS NULL"
	                              " AND age_band = '65-74' AND sex ="
	                              " 'male' AND ethnicity = 'white'"),
	                 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM sms_sessions WHERE"
	                              " member_id = 1 AND state = 'open' AND"
	                              " question_index = 0 AND expires_at ="
	                              " 1781089200 + 3 * 86400"),
	                 1);
	/* A second survey supersedes the open conversation. */
	fire_ok(db, cfg, n, FX_NOON + 60, 0, &r);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM responses WHERE"
	                              " member_id = 1 AND campaign_id = 2"),
	                 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM sms_sessions WHERE"
	                              " state = 'superseded' AND response_id"
	                              " = 1"),
	                 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM sms_sessions WHERE"
	                              " state = 'open' AND response_id = 2"),
	                 1);
	body = body_of(db, 0, 2);
	assert_true(strncmp(body, "Hi Bob, ", 8) == 0);
	assert_true(ends_with(body, "Reply STOP to opt out\n\nWas it OK?"
	                            " Reply YES or NO"));
	free(body);
	(void)cause;
	campaign_free(a);
	campaign_free(n);
	config_free(cfg);
	db_close(db);
}

static void
test_quiet_hours(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config(NULL);
	struct fx_member e = {
	    .first = "E", .email = "e@example.org", .consent_email = 1};
	struct fx_member s = {.first = "S",
	                      .mobile = "+447700900001",
	                      .pref = "sms",
	                      .consent_sms = 1};
	struct campaign *c;
	struct fire_result r;

	fx_member_add(db, &e);
	fx_member_add(db, &s);
	fx_member_add(db, &s);
	c = campaign_make(db, cfg, "fft",
	                  fx_survey(db, "surveys/fft.yaml", NULL), "email,sms");
	fire_ok(db, cfg, c, FX_LATE, 0, &r);
	assert_int_equal(r.sms, 2);
	assert_int_equal(r.held, 2);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " channel = 'sms' AND state = 'held'"
	                              " AND held_reason = 'quiet hours'"
	                              " AND next_attempt_at = 1781164800"),
	                 2);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " channel = 'email' AND state ="
	                              " 'pending' AND next_attempt_at ="
	                              " 1781125200"),
	                 1);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

static void
test_frequency_cap(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 1\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct fx_member m = {
	    .first = "A", .email = "a@example.org", .consent_email = 1};
	struct campaign *one, *two;
	struct fire_result r;

	fx_member_add(db, &m);
	fx_member_add(db, &m);
	one = campaign_make(db, cfg, "one", sid, "email");
	two = campaign_make(db, cfg, "two", sid, "email");
	fire_ok(db, cfg, one, FX_NOON, 0, &r);
	assert_int_equal(r.messages, 2);
	/* Member 2's message was cancelled: it does not count. */
	db_exec(db, "UPDATE outbox SET state = 'cancelled' WHERE member_id = 2",
	        NULL);
	fire_ok(db, cfg, two, FX_NOON + 3600, 0, &r);
	assert_int_equal(r.messages, 1);
	assert_int_equal(r.skipped[AUD_FREQUENCY_CAP], 1);
	assert_int_equal(fx_count(db, "SELECT member_id FROM outbox WHERE"
	                              " run_id = 2"),
	                 2);
	/* A week later the cap has passed. */
	fire_ok(db, cfg, two, FX_NOON + 8 * FX_DAY, 0, &r);
	assert_int_equal(r.messages, 2);
	assert_int_equal(r.skipped[AUD_FREQUENCY_CAP], 0);
	campaign_free(one);
	campaign_free(two);
	config_free(cfg);
	db_close(db);
}

static void
test_reminders(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, NULL, named_yaml);
	struct fx_member e = {
	    .first = "E", .email = "e@example.org", .consent_email = 1};
	struct fx_member s = {.first = "S",
	                      .mobile = "+447700900001",
	                      .pref = "sms",
	                      .consent_sms = 1};
	struct campaign *c = campaign_new();
	struct fire_result r;
	char *cause = NULL, *text;
	int i;

	for (i = 0; i < 5; i++)
		fx_member_add(db, i == 2 || i == 4 ? &s : &e);
	c->name = xstrdup("named");
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = sid;
	c->remind_after_s = 3 * FX_DAY;
	c->max_reminders = 2;
	assert_int_equal(campaign_add(db, cfg, c, FX_NOON - 60, &cause), 0);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	assert_int_equal(r.messages, 5);
	fx_member_add(db, &e); /* 6 joins later: never invited */
	/* 1 completed; 2 used its link; 3 finished by SMS; 4 started only. */
	assert_int_equal(
	    db_exec(
	        db,
	        "INSERT INTO responses (survey_id, campaign_id,"
	        " practice_id, member_id, channel, started_at,"
	        " completed_at) VALUES (1, 1, 1, 1, 'web', 1, 2),"
	        " (1, 1, 1, 4, 'web', 1, NULL);"
	        "INSERT INTO token_uses VALUES (1, 2, 'survey', 5);"
	        "UPDATE sms_sessions SET state = 'done' WHERE member_id = 3;",
	        &cause),
	    0);
	fire_ok(db, cfg, c, FX_NOON, 1, &r);
	assert_true(r.created);
	assert_int_equal(r.matched, 2);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " run_id = 2 AND member_id IN (4, 5)"),
	                 2);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " run_id = 2"),
	                 2);
	text = body_subject(db, 4, 2);
	assert_string_equal(text, "Reminder: Named survey");
	free(text);
	/* 5's SMS conversation carries on: no new response, later expiry. */
	assert_int_equal(fx_count(db, "SELECT count(*) FROM sms_sessions WHERE"
	                              " member_id = 5"),
	                 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM sms_sessions WHERE"
	                              " member_id = 5 AND state = 'open'"
	                              " AND expires_at = 1781089200 +"
	                              " 3 * 86400 AND updated_at ="
	                              " 1781089200"),
	                 1);
	fire_ok(db, cfg, c, FX_NOON, 1, &r);
	assert_false(r.created);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

/* A reminder's survey link belongs to the invitation's run: the member's
 * tokens of both share it, so one answer closes them all. */
static void
test_reminder_tokens_share_run(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, NULL, named_yaml);
	struct fx_member e = {
	    .first = "E", .email = "e@example.org", .consent_email = 1};
	struct campaign *c = campaign_new();
	struct fire_result r;
	char *cause = NULL, *body, tok[LINKTOKEN_MAX];
	int64_t first, run, member;

	fx_member_add(db, &e);
	c->name = xstrdup("named");
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = sid;
	c->remind_after_s = 3 * FX_DAY;
	c->max_reminders = 1;
	assert_int_equal(campaign_add(db, cfg, c, FX_NOON - 60, &cause), 0);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	first = r.run_id;
	fire_ok(db, cfg, c, FX_NOON, 1, &r);
	assert_true(r.created);
	assert_true(r.run_id != first);
	/* Each message's link names its own run (its expiry runs from it);
	 * the survey page maps a reminder's run to the invitation's. */
	body = body_of(db, 1, first);
	token_after(body, "https://ppg.example.org/s/", tok);
	free(body);
	assert_int_equal(linktoken_parse(cfg, tok, LT_SURVEY, &run, &member),
	                 1);
	assert_int_equal(run, first);
	body = body_of(db, 1, r.run_id);
	token_after(body, "https://ppg.example.org/s/", tok);
	free(body);
	assert_int_equal(linktoken_parse(cfg, tok, LT_SURVEY, &run, &member),
	                 1);
	assert_int_equal(run, r.run_id);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM tokens"), 0);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

static void
test_preview_writes_nothing(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct campaign *c = campaign_make(db, cfg, "fft", sid, "email,sms");
	struct fire_result r;
	struct expect e;
	json_t *p, *sms;
	char *cause = NULL;

	mixed_population(db, &e);
	p = fire_preview(db, cfg, c, 2, FX_NOON, &cause);
	assert_non_null(p);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM runs"), 0);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(p, "audience"), "email")),
	                 e.email);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(p, "audience"), "sms")),
	                 e.sms);
	sms = json_object_get(json_object_get(p, "messages"), "sms");
	assert_string_equal(json_string_value(json_object_get(sms, "encoding")),
	                    "GSM-7");
	assert_true(json_integer_value(json_object_get(sms, "segments")) >= 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(p, "member"), "channel")),
	                    "email");
	json_decref(p);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	assert_int_equal(r.email, e.email);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

static void
test_add_refuses(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[sms]\nmax_segments = 1\n");
	struct campaign *c = campaign_new();
	char *cause = NULL;

	fx_survey(db, "surveys/fft.yaml", NULL);
	c->name = xstrdup("x");
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = 1;
	/* The shipped SMS invitation is longer than one segment. */
	assert_int_equal(campaign_add(db, cfg, c, FX_NOON, &cause), -1);
	assert_non_null(strstr(cause, "segment"));
	free(cause);
	free(c->channels);
	c->channels = xstrdup("email");
	free(c->template);
	c->template = xstrdup("broadcast"); /* needs message.text */
	assert_int_equal(campaign_add(db, cfg, c, FX_NOON, &cause), -1);
	assert_non_null(strstr(cause, "message.text"));
	free(cause);
	free(c->template);
	c->template = xstrdup("survey-invitation");
	assert_int_equal(campaign_add(db, cfg, c, FX_NOON, &cause), 0);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM campaigns"), 1);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

static struct db *progress_db;
static int progress_calls;

/* Mid-fire, seen from inside a slice: the run is firing, nothing is due. */
static void
check_mid_fire(long long matched, void *arg)
{
	progress_calls++;
	assert_int_equal(fx_count(progress_db, "SELECT firing FROM runs"), 1);
	assert_int_equal(fx_count(progress_db, "SELECT count(*) FROM outbox"
	                                       " WHERE state <> 'held' OR"
	                                       " held_reason <> 'firing'"),
	                 0);
	assert_true(fx_count(progress_db, "SELECT count(*) FROM outbox") > 0);
}

/* In slices of one member each, nothing is sendable until the last one. */
static void
test_slices_all_or_nothing(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct campaign *c = campaign_make(db, cfg, "fft", sid, "email,sms");
	struct fire_result r;
	struct expect e;

	mixed_population(db, &e);
	progress_db = db;
	progress_calls = 0;
	fire_set_slice(0);
	fire_set_progress(check_mid_fire, NULL);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	fire_set_progress(NULL, NULL);
	fire_set_slice(-1);
	assert_true(progress_calls > 0);
	assert_int_equal(r.messages, e.email + e.sms);
	assert_int_equal(fx_count(db, "SELECT firing FROM runs"), 0);
	assert_int_equal(fx_count(db, "SELECT messages FROM runs"), r.messages);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " state = 'pending'"),
	                 r.messages);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

/*
 * A crash mid-fire leaves the run firing with the rows of the slices that
 * committed, all held: fire_resume finishes it, one row per member.
 */
static void
test_resume_after_crash(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct campaign *c = campaign_make(db, cfg, "fft", sid, "email,sms");
	struct fire_result r;
	struct expect e;
	int fired = 0, n;
	char *text;

	mixed_population(db, &e);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	n = r.messages;
	/* What a crash after the slices up to member 4000 leaves. */
	assert_int_equal(
	    db_exec(db,
	            "DELETE FROM outbox WHERE member_id > 4000;"
	            "UPDATE outbox SET state = 'held', held_reason = 'firing';"
	            "UPDATE runs SET firing = 1, messages = 0",
	            NULL),
	    0);
	assert_true(fx_count(db, "SELECT count(*) FROM outbox") < n);
	assert_int_equal(fire_resume(db, cfg, FX_NOON + 60, &fired), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(fx_count(db, "SELECT firing FROM runs"), 0);
	assert_int_equal(fx_count(db, "SELECT messages FROM runs"), n);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " state = 'pending'"),
	                 n);
	assert_int_equal(fx_count(db, "SELECT count(DISTINCT member_id)"
	                              " FROM outbox"),
	                 n);
	/* Rows made after the resume render from the run's snapshot. */
	text =
	    body_of(db, fx_count(db, "SELECT max(member_id) FROM outbox"), 0);
	assert_non_null(strstr(text, "https://ppg.example.org/s/"));
	free(text);
	/* Nothing left to do: a second resume is a no-op. */
	fired = 0;
	assert_int_equal(fire_resume(db, cfg, FX_NOON + 120, &fired), 0);
	assert_int_equal(fired, 0);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

/* A crash after the run fired but before all its rows were released. */
static void
test_resume_release(void **state)
{
	struct db *db = fx_db();
	struct config *cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	int64_t sid = fx_survey(db, "surveys/fft.yaml", NULL);
	struct campaign *c = campaign_make(db, cfg, "fft", sid, "email,sms");
	struct fire_result r;
	struct expect e;
	int fired = 0;

	mixed_population(db, &e);
	fire_ok(db, cfg, c, FX_NOON, 0, &r);
	assert_int_equal(db_exec(db,
	                         "UPDATE outbox SET state = 'held',"
	                         " held_reason = 'firing' WHERE id % 3 = 0",
	                         NULL),
	                 0);
	assert_int_equal(fire_resume(db, cfg, FX_NOON + 60, &fired), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(fx_count(db, "SELECT count(*) FROM outbox WHERE"
	                              " state = 'pending'"),
	                 r.messages);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ten_thousand),
	    cmocka_unit_test(test_tokens_derived),
	    cmocka_unit_test(test_sms_survey_sessions),
	    cmocka_unit_test(test_quiet_hours),
	    cmocka_unit_test(test_frequency_cap),
	    cmocka_unit_test(test_reminders),
	    cmocka_unit_test(test_reminder_tokens_share_run),
	    cmocka_unit_test(test_preview_writes_nothing),
	    cmocka_unit_test(test_add_refuses),
	    cmocka_unit_test(test_slices_all_or_nothing),
	    cmocka_unit_test(test_resume_after_crash),
	    cmocka_unit_test(test_resume_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
