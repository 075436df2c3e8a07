/*
 * SMS conversations. A reply is, in order: a keyword (STOP, START, HELP and
 * their synonyms), YES or NO to the meeting invitation we sent last
 * (meeting_reply.c), an answer in the sender's open survey session, or
 * feedback for the practice. Everything runs inside the webhook's
 * transaction, so the inbound row, the answer and the next prompt are one
 * unit.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consent.h"
#include "joinsms.h"
#include "log.h"
#include "meeting_reply.h"
#include "membership.h"
#include "outbox.h"
#include "phone.h"
#include "response.h"
#include "smsconv.h"
#include "sms_session.h"
#include "survey.h"
#include "template.h"
#include "textnorm.h"
#include "util.h"
#include "xmalloc.h"

/* Who we are talking to. */
struct who {
	int64_t member_id;
	int64_t practice_id;
	char *mobile;
	char *practice_name;
	char *practice_phone;
	int opted_out; /* of SMS already */
};

/* The members a text can speak for: every one with the sender's number (at
 * the practice it was sent to, when that is known). */
struct ids {
	int64_t *v;
	size_t n;
};

/* An open survey session. */
struct session {
	int64_t id;
	int64_t member_id;
	int64_t response_id;
	int64_t survey_id;
	int qindex;
	int reprompts;
};

/* Whole messages, as textnorm_words() leaves them. */
static const struct {
	const char *word;
	enum smsconv_keyword kw;
} keywords[] = {
    {"stop", KW_STOP},        {"stopall", KW_STOP}, {"stop all", KW_STOP},
    {"unsubscribe", KW_STOP}, {"cancel", KW_STOP},  {"end", KW_STOP},
    {"quit", KW_STOP},        {"optout", KW_STOP},  {"opt out", KW_STOP},
    {"revoke", KW_STOP},      {"start", KW_START},  {"unstop", KW_START},
    {"help", KW_HELP},
};

/* The keyword that words (from textnorm_words) are, or KW_NONE. */
static enum smsconv_keyword
keyword_of(const char *words)
{
	size_t i;

	for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcmp(words, keywords[i].word) == 0)
			return keywords[i].kw;
	return KW_NONE;
}

enum smsconv_keyword
smsconv_keyword(const char *text)
{
	char *t = textnorm_words(text != NULL ? text : "");
	enum smsconv_keyword kw = keyword_of(t);

	free(t);
	return kw;
}

/* Phrases that ask to stop wherever they stand in a message (the words
 * padded with spaces, as in stop_words below). */
static const char *const stop_phrases[] = {
    " unsubscribe ",      " opt out ",
    " optout ",           " opt me out ",
    " stop texting ",     " stop sending ",
    " stop messaging ",   " stop contacting ",
    " stop texts ",       " stop these texts ",
    " stop the texts ",   " stop text ",
    " no more texts ",    " no more text ",
    " no more messages ", " take me off ",
    " remove me from ",   " remove my number ",
    " dont text me ",     " do not text me ",
    " dont contact me ",  " do not contact me ",
    " dont message me ",  " do not message me ",
    " revoke ",
};

/* Words that may lead such a request ("end it", "cancel my ..." are not
 * one), and words that may follow them and leave it a request to stop. */
static const char *const stop_leaders =
    " stop stopall unsubscribe optout revoke ";
static const char *const stop_fillers =
    " please pls plz now thanks thank you thx it me all this that them"
    " texting texts text messages messaging sending ";

/* 1 if the first word is a stop leader and every other word a filler. */
static int
stop_words(const char *words)
{
	char *copy = xstrdup(words), *w, *save = NULL, pad[64];
	int first = 1, ok = 1, n = 0;

	for (w = strtok_r(copy, " ", &save); w != NULL && ok;
	     w = strtok_r(NULL, " ", &save), first = 0, n++) {
		snprintf(pad, sizeof pad, " %s ", w);
		ok = strlen(w) < sizeof pad - 2 &&
		     strstr(first ? stop_leaders : stop_fillers, pad) != NULL;
	}
	free(copy);
	return ok && n > 1;
}

/* 1 if words (from textnorm_words) ask to stop. */
static int
stop_request_of(const char *words)
{
	char *padded = xasprintf(" %s ", words);
	size_t i;
	int found = stop_words(words);

	for (i = 0; !found && i < sizeof stop_phrases / sizeof *stop_phrases;
	     i++)
		found = strstr(padded, stop_phrases[i]) != NULL;
	free(padded);
	return found;
}

int
smsconv_stop_request(const char *text)
{
	char *w = textnorm_words(text != NULL ? text : "");
	int found = stop_request_of(w);

	free(w);
	return found;
}

static void
who_clear(struct who *w)
{
	free(w->mobile);
	free(w->practice_name);
	free(w->practice_phone);
	memset(w, 0, sizeof *w);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return xstrdup(s != NULL ? s : "");
}

/* Load a member and their practice; 0 or -1 if there is none. */
static int
who_load(struct db *db, int64_t member_id, struct who *w)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT m.practice_id, m.mobile, p.name, p.phone,"
	        " m.optout_sms_at IS NOT NULL FROM members m"
	        " JOIN practices p ON p.id = m.practice_id WHERE m.id=?1");
	int rv = -1;

	db_bind_int(st, 1, member_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		w->member_id = member_id;
		w->practice_id = sqlite3_column_int64(st, 0);
		w->mobile = col_dup(st, 1);
		w->practice_name = col_dup(st, 2);
		w->practice_phone = col_dup(st, 3);
		w->opted_out = sqlite3_column_int(st, 4);
		rv = 0;
	}
	sqlite3_reset(st);
	return rv;
}

/* Load a practice's name and phone into w. */
static void
who_practice(struct db *db, int64_t practice, struct who *w)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT name, phone FROM practices WHERE id=?1");

	db_bind_int(st, 1, practice);
	if (sqlite3_step(st) == SQLITE_ROW) {
		w->practice_id = practice;
		w->practice_name = col_dup(st, 0);
		w->practice_phone = col_dup(st, 1);
	}
	sqlite3_reset(st);
}

/* 1 if number a (as configured) is the E.164 number b. */
static int
same_number(const char *a, const char *b)
{
	char e164[17];

	if (a == NULL || *a == '\0')
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	return phone_normalise(a, e164, NULL) == 0 && strcmp(e164, b) == 0;
}

/*
 * The practice a text was sent to: the one whose SMS sender (the practice's
 * sms_from, or its [practice.CODE] twilio_from) is `to`. 0 when no practice,
 * or more than one, sends from that number.
 */
static int64_t
practice_by_number(struct db *db, const struct config *cfg, const char *to)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, code, sms_from FROM"
	                               " practices ORDER BY id");
	const struct cfg_practice *cp;
	int64_t found = 0;
	int n = 0;

	if (to == NULL || *to == '\0')
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		cp = config_practice(cfg, db_col_text(st, 1));
		if (same_number(db_col_text(st, 2), to) ||
		    (cp != NULL && same_number(cp->twilio_from, to))) {
			found = sqlite3_column_int64(st, 0);
			n++;
		}
	}
	sqlite3_reset(st);
	return n == 1 ? found : 0;
}

/* Queue a text to w; 0 or -1. */
static int
say(struct db *db, const struct who *w, const char *purpose, const char *text,
    struct smsconv_result *r)
{
	if (w->practice_id == 0 || w->mobile == NULL || *w->mobile == '\0')
		return 0;
	if (outbox_queue(db, w->practice_id, w->member_id, "sms", purpose,
	                 w->mobile, NULL, text, NULL) == -1)
		return -1;
	r->queued++;
	return 0;
}

/* "the practice on 01632 960000", or "the practice". Caller frees. */
static char *
practice_contact(const struct who *w)
{
	const char *name = w->practice_name != NULL && *w->practice_name
	                       ? w->practice_name
	                       : "your GP practice";

	if (w->practice_phone != NULL && *w->practice_phone != '\0')
		return xasprintf("%s on %s", name, w->practice_phone);
	return xstrdup(name);
}

static int
say_help(struct db *db, const struct who *w, struct smsconv_result *r)
{
	char *contact = practice_contact(w);
	char *text = xasprintf(
	    "Texts from the patient group at %s. For medical help contact %s, "
	    "NHS 111, or 999 in an emergency. Reply STOP to stop these texts.",
	    w->practice_name, contact);
	int rv = say(db, w, "transactional", text, r);

	free(contact);
	free(text);
	return rv;
}

/* The opt-out confirmation from templates/sms/optout-confirmation.txt. */
static char *
optout_text(const struct config *cfg, const struct who *w)
{
	struct template *t = NULL;
	struct tvars *v;
	struct rendered out = {0};
	char *cause = NULL, *text = NULL;

	if (template_load(config_str(cfg, CFG_TEMPLATES), "optout-confirmation",
	                  TMPL_SMS, 0, &t, &cause) == 0) {
		v = tvars_new();
		tvars_set(v, "practice.name", w->practice_name);
		if (template_render(t, v, &out, &cause) == 0) {
			text = out.text;
			out.text = NULL;
		}
		rendered_clear(&out);
		tvars_free(v);
		template_free(t);
	}
	if (text == NULL) {
		log_warnx(
		    "event=template name=optout-confirmation error=\"%s\"",
		    cause != NULL ? cause : "render");
		text = xasprintf("You will get no more texts from the patient "
		                 "group at %s. Reply START to undo.",
		                 w->practice_name);
	}
	free(cause);
	return text;
}

/*
 * The members with this number (at practice, unless 0), newest first; no
 * cap: an opt-out must reach every one. Queries below go member by member:
 * "IN (SELECT ...)" or a join ordered across tables would make SQLite build
 * a temporary b-tree for every message. 0 or -1.
 */
static int
members_by_mobile(struct db *db, const char *mobile, int64_t practice,
                  struct ids *ids)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, practice_id FROM members"
	                               " WHERE mobile=?1 AND erased_at IS NULL"
	                               " ORDER BY id DESC");
	size_t cap = 0;
	int rc;

	memset(ids, 0, sizeof *ids);
	db_bind_text(st, 1, mobile);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (practice != 0 && sqlite3_column_int64(st, 1) != practice)
			continue;
		if (ids->n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			ids->v = xreallocarray(ids->v, cap, sizeof *ids->v);
		}
		ids->v[ids->n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The member's newest open session; 1 found, 0 none. */
static int
session_find(struct db *db, int64_t member, struct session *ss)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT s.id, s.response_id, r.survey_id, s.question_index,"
	        " s.reprompts FROM sms_sessions s"
	        " JOIN responses r ON r.id = s.response_id"
	        " WHERE s.member_id=?1 AND s.state='open'"
	        " ORDER BY s.id DESC LIMIT 1");
	int found = 0;

	db_bind_int(st, 1, member);
	if (sqlite3_step(st) == SQLITE_ROW) {
		ss->id = sqlite3_column_int64(st, 0);
		ss->member_id = member;
		ss->response_id = sqlite3_column_int64(st, 1);
		ss->survey_id = sqlite3_column_int64(st, 2);
		ss->qindex = sqlite3_column_int(st, 3);
		ss->reprompts = sqlite3_column_int(st, 4);
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

/*
 * Expire old sessions of these members and find the newest open one.
 * Returns 1 found, 0 none, -1 error.
 */
static int
session_lookup(struct db *db, const int64_t *ids, size_t n, int64_t now,
               struct session *ss)
{
	struct session one;
	size_t i;
	int found = 0;

	for (i = 0; i < n; i++) {
		if (sms_session_close(db, ids[i], SS_EXPIRED, now) == -1)
			return -1;
		if (session_find(db, ids[i], &one) &&
		    (!found || one.id > ss->id)) {
			*ss = one;
			found = 1;
		}
	}
	return found;
}

/* Opt every member in ids out of (or back into) SMS, each through the
 * consent module (its own audit row); how many changed, or -1. */
static int
optout_set(struct db *db, const struct ids *ids, int out, int64_t now)
{
	size_t i;
	int n = 0, rv;

	for (i = 0; i < ids->n; i++) {
		rv = out ? member_optout(db, ids->v[i], CONSENT_SMS, now, "sms",
		                         "keyword")
		         : member_optin(db, ids->v[i], CONSENT_SMS, now, "sms",
		                        "keyword");
		if (rv == -1)
			return -1;
		n += rv;
	}
	return n;
}

static int
keyword_stop(struct db *db, const struct config *cfg, const struct who *w,
             const struct ids *ids, int64_t now, struct smsconv_result *r)
{
	char *text;
	int n = optout_set(db, ids, 1, now);

	r->disposition = "optout";
	if (n <= 0)
		return n;
	text = optout_text(cfg, w);
	n = say(db, w, "transactional", text, r);
	free(text);
	return n;
}

static int
keyword_start(struct db *db, const struct who *w, const struct ids *ids,
              int64_t now, struct smsconv_result *r)
{
	char *text;
	int n = optout_set(db, ids, 0, now);

	r->disposition = "optin";
	if (n <= 0)
		return n;
	text = xasprintf("You will get texts from the patient group at %s "
	                 "again. Reply STOP to stop them.",
	                 w->practice_name);
	n = say(db, w, "transactional", text, r);
	free(text);
	return n;
}

/* A message that asks to stop in words: flagged, and told how (unless
 * already opted out: then no more texts at all). */
static int
stop_request(struct db *db, const struct who *w, struct smsconv_result *r)
{
	char *text;
	int rv;

	r->disposition = "stop-request";
	if (w->opted_out)
		return 0;
	text = xasprintf("Reply STOP (just that word) to stop texts from the "
	                 "patient group at %s. Someone from the practice will "
	                 "also see your message.",
	                 w->practice_name);
	rv = say(db, w, "transactional", text, r);
	free(text);
	return rv;
}

static int
session_update(struct db *db, const struct session *ss,
               enum sms_session_state state, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE sms_sessions SET state=?2, question_index=?3,"
	                " reprompts=?4, updated_at=?5 WHERE id=?1");

	db_bind_int(st, 1, ss->id);
	db_bind_text(st, 2, sms_session_strstate(state));
	db_bind_int(st, 3, ss->qindex);
	db_bind_int(st, 4, ss->reprompts);
	db_bind_int(st, 5, now);
	return db_done(db, st);
}

/* Finish: the response is complete, the closing message goes out. */
static int
session_finish(struct db *db, const struct survey *s, struct session *ss,
               const struct who *w, int64_t now, struct smsconv_result *r)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE responses SET completed_at=?2 WHERE id=?1");

	db_bind_int(st, 1, ss->response_id);
	db_bind_int(st, 2, now);
	if (db_done(db, st) == -1 || session_update(db, ss, SS_DONE, now) == -1)
		return -1;
	return say(db, w, "conversation", s->closing, r);
}

/* Move to the next question shown given the answers so far, and ask it. */
static int
session_advance(struct db *db, const struct survey *s, struct session *ss,
                const struct who *w, int64_t now, struct smsconv_result *r)
{
	struct answer_set *a = answer_set_load(db, ss->response_id);
	size_t i;
	char *prompt;
	int rv;

	for (i = (size_t)ss->qindex + 1; i < s->nquestions; i++)
		if (survey_shown(s, &s->questions[i], answer_set_lookup, a))
			break;
	answer_set_free(a);
	if (i == s->nquestions)
		return session_finish(db, s, ss, w, now, r);
	ss->qindex = (int)i;
	ss->reprompts = 0;
	if (session_update(db, ss, SS_OPEN, now) == -1)
		return -1;
	prompt = survey_sms_prompt(&s->questions[i]);
	rv = say(db, w, "conversation", prompt, r);
	free(prompt);
	return rv;
}

/* A reply in an open session: an answer, a re-prompt, or moving on. */
static int
session_reply(struct db *db, struct session *ss, const struct who *w,
              const char *text, int64_t now, struct smsconv_result *r)
{
	struct survey *s = response_survey(db, ss->survey_id);
	const struct question *q;
	char *norm = NULL, *cause = NULL;
	int rv;

	if (s == NULL || ss->qindex < 0 ||
	    (size_t)ss->qindex >= s->nquestions) {
		survey_free(s);
		r->disposition = "feedback";
		return session_update(db, ss, SS_BROKEN, now);
	}
	q = &s->questions[ss->qindex];
	if (survey_answer_sms(q, text, &norm, &cause) == 0) {
		r->disposition = "answer";
		rv = response_add_answer(db, ss->response_id, q, norm);
		if (rv == 0)
			rv = session_advance(db, s, ss, w, now, r);
	} else if (ss->reprompts < SMSCONV_MAX_REPROMPTS) {
		r->disposition = "reprompt";
		ss->reprompts++;
		rv = session_update(db, ss, SS_OPEN, now);
		if (rv == 0)
			rv = say(db, w, "conversation", cause, r);
	} else {
		r->disposition = "skipped";
		rv = session_advance(db, s, ss, w, now, r);
	}
	free(norm);
	free(cause);
	survey_free(s);
	return rv;
}

/* Neither keyword nor known number: unmatched, filed under the practice
 * the text was sent to (the caller answers a request for care, see
 * care_alert.h). */
static int
handle_unmatched(struct db *db, const struct smsconv_msg *m, int64_t practice,
                 struct smsconv_result *r)
{
	struct who w = {0};

	r->disposition = "unmatched";
	if (practice != 0)
		who_practice(db, practice, &w);
	r->practice_id = w.practice_id;
	who_clear(&w);
	return 0;
}

/* A known member's message that is not a keyword. */
static int
handle_message(struct db *db, const struct smsconv_msg *m, const char *words,
               struct session *ss, int found, const struct who *w,
               struct smsconv_result *r)
{
	if (stop_request_of(words))
		return stop_request(db, w, r);
	if (!found) {
		r->disposition = "feedback";
		return 0;
	}
	return session_reply(db, ss, w, m->text, m->now, r);
}

/* YES or NO to a meeting invitation (meeting_reply.h): 1 handled, 0 not a
 * meeting reply, -1 on a database error. */
static int
meeting_answer(struct db *db, const struct who *w, const struct ids *ids,
               const char *words, int64_t now, struct smsconv_result *r)
{
	char *text = NULL;
	int64_t member = 0;
	int rc;

	rc = meeting_reply_sms(db, ids->v, ids->n, words, now, &member, &text);
	if (rc == 1) {
		r->disposition = "meeting-reply";
		r->member_id = member;
		if (say(db, w, "meeting-reply", text, r) == -1)
			rc = -1;
	}
	free(text);
	return rc;
}

static int
handle_keyword(struct db *db, const struct config *cfg, enum smsconv_keyword kw,
               const struct who *w, const struct ids *ids, int64_t now,
               struct smsconv_result *r)
{
	switch (kw) {
	case KW_STOP:
		return keyword_stop(db, cfg, w, ids, now, r);
	case KW_START:
		return keyword_start(db, w, ids, now, r);
	case KW_HELP:
		r->disposition = "help";
		return say_help(db, w, r);
	case KW_NONE:
		break;
	}
	return 0;
}

/*
 * The practice comes first from the number the text was sent to; only then
 * the sender's number picks the members (at that practice). With a number
 * no practice owns alone, every member with the sender's number is in play.
 * words: the text as textnorm_words() leaves it.
 */
static int
handle_words(struct db *db, const struct config *cfg,
             const struct smsconv_msg *m, const char *words,
             struct smsconv_result *r)
{
	enum smsconv_keyword kw = keyword_of(words);
	int64_t practice = practice_by_number(db, cfg, m->to);
	struct session ss = {0};
	struct who w = {0};
	struct ids ids;
	int found, rv;

	if (members_by_mobile(db, m->from, practice, &ids) == -1)
		return -1;
	if ((found = session_lookup(db, ids.v, ids.n, m->now, &ss)) == -1) {
		free(ids.v);
		return -1;
	}
	if (ids.n == 0 ||
	    who_load(db, found ? ss.member_id : ids.v[0], &w) == -1) {
		free(ids.v);
		return handle_unmatched(db, m, practice, r);
	}
	r->member_id = w.member_id;
	r->practice_id = w.practice_id;
	if (kw != KW_NONE)
		rv = handle_keyword(db, cfg, kw, &w, &ids, m->now, r);
	else if ((rv = meeting_answer(db, &w, &ids, words, m->now, r)) == 0)
		rv = handle_message(db, m, words, &ss, found, &w, r);
	else if (rv == 1)
		rv = 0;
	/* A term-renewal survey answered yes renews (membership.h). */
	if (rv == 0 && found && r->disposition != NULL &&
	    strcmp(r->disposition, "answer") == 0 &&
	    membership_answered(db, (int)config_int(cfg, CFG_TERM_MONTHS),
	                        config_int(cfg, CFG_MEMBERSHIP_RENEWAL_NOTICE),
	                        ss.response_id, m->now) == -1)
		rv = -1;
	who_clear(&w);
	free(ids.v);
	return rv;
}

int
smsconv_handle(struct db *db, const struct config *cfg,
               const struct smsconv_msg *m, struct smsconv_result *r)
{
	char *words = textnorm_words(m->text != NULL ? m->text : "");
	int rv;

	memset(r, 0, sizeof *r);
	if ((rv = joinsms_handle(db, cfg, m, r)) != 0) {
		free(words);
		return rv == -1 ? -1 : 0;
	}
	rv = handle_words(db, cfg, m, words, r);
	free(words);
	return rv;
}
