/*
 * SMS conversations. A reply is, in order: a keyword (STOP, START, HELP and
 * their synonyms), an answer in the sender's open survey session, or
 * feedback for the practice. Everything runs inside the webhook's
 * transaction, so the inbound row, the answer and the next prompt are one
 * unit.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "joinsms.h"
#include "log.h"
#include "outbox.h"
#include "response.h"
#include "smsconv.h"
#include "survey.h"
#include "template.h"
#include "util.h"
#include "xmalloc.h"

/* Who we are talking to. */
struct who {
	int64_t member_id;
	int64_t practice_id;
	char *mobile;
	char *practice_name;
	char *practice_phone;
};

/* Members sharing one number that a message can reach. */
#define MAX_SHARED 8

/* An open survey session. */
struct session {
	int64_t id;
	int64_t member_id;
	int64_t response_id;
	int64_t survey_id;
	int qindex;
	int reprompts;
};

static const struct {
	const char *word;
	enum smsconv_keyword kw;
} keywords[] = {
    {"stop", KW_STOP},   {"stopall", KW_STOP}, {"unsubscribe", KW_STOP},
    {"cancel", KW_STOP}, {"end", KW_STOP},     {"quit", KW_STOP},
    {"optout", KW_STOP}, {"start", KW_START},  {"unstop", KW_START},
    {"help", KW_HELP},
};

enum smsconv_keyword
smsconv_keyword(const char *text)
{
	char *t = util_trim(xstrdup(text != NULL ? text : ""));
	enum smsconv_keyword kw = KW_NONE;
	size_t i;

	for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcasecmp(t, keywords[i].word) == 0)
			kw = keywords[i].kw;
	free(t);
	return kw;
}

/* Lower-case ASCII words of s, each followed by one space, after a space.
 * Caller frees. */
static char *
words_of(const char *s)
{
	char *out = xmalloc(strlen(s) * 2 + 2), *w = out;
	int in = 0;

	*w++ = ' ';
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) && !((unsigned char)*s & 0x80)) {
			*w++ = (char)tolower((unsigned char)*s);
			in = 1;
		} else if (in) {
			*w++ = ' ';
			in = 0;
		}
	}
	if (in)
		*w++ = ' ';
	*w = '\0';
	return out;
}

int
smsconv_care(const char *text, const char *words)
{
	char *hay = words_of(text), *list = xstrdup(words), *tok, *save = NULL;
	char *needle;
	int found = 0;

	for (tok = strtok_r(list, ",", &save); tok != NULL && !found;
	     tok = strtok_r(NULL, ",", &save)) {
		needle = words_of(tok);
		if (strlen(needle) > 1 && strstr(hay, needle) != NULL)
			found = 1;
		free(needle);
	}
	free(list);
	free(hay);
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
	    db, "SELECT m.practice_id, m.mobile, p.name, p.phone FROM members"
	        " m JOIN practices p ON p.id = m.practice_id WHERE m.id=?1");
	int rv = -1;

	db_bind_int(st, 1, member_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		w->member_id = member_id;
		w->practice_id = sqlite3_column_int64(st, 0);
		w->mobile = col_dup(st, 1);
		w->practice_name = col_dup(st, 2);
		w->practice_phone = col_dup(st, 3);
		rv = 0;
	}
	sqlite3_reset(st);
	return rv;
}

/* The practice whose SMS sender is `to`, for a number we do not know. */
static void
who_practice_by_number(struct db *db, const char *to, struct who *w)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id, name, phone FROM practices"
	                " WHERE sms_from=?1 AND sms_from != '' LIMIT 1");

	db_bind_text(st, 1, to);
	if (sqlite3_step(st) == SQLITE_ROW) {
		w->practice_id = sqlite3_column_int64(st, 0);
		w->practice_name = col_dup(st, 1);
		w->practice_phone = col_dup(st, 2);
	}
	sqlite3_reset(st);
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
say_care(struct db *db, const struct who *w, struct smsconv_result *r)
{
	char *contact = practice_contact(w);
	char *text = xasprintf(
	    "Thank you for your message. This number is not monitored for "
	    "medical help. Please contact %s, call NHS 111, or 999 in an "
	    "emergency.",
	    contact);
	int rv = say(db, w, "transactional", text, r);

	free(contact);
	free(text);
	return rv;
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
 * The members with this number, newest first. Queries below go member by
 * member: "IN (SELECT ...)" or a join ordered across tables would make
 * SQLite build a temporary b-tree for every message.
 */
static size_t
members_by_mobile(struct db *db, const char *mobile, int64_t ids[MAX_SHARED])
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM members WHERE mobile=?1"
	                               " AND erased_at IS NULL"
	                               " ORDER BY id DESC LIMIT ?2");
	size_t n = 0;

	db_bind_text(st, 1, mobile);
	db_bind_int(st, 2, MAX_SHARED);
	while (n < MAX_SHARED && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* Close a member's sessions that are out of time (expired) or all of them
 * (stopped). */
static int
sessions_close(struct db *db, int64_t member, const char *state, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE sms_sessions SET state=?3, updated_at=?2"
	                " WHERE member_id=?1 AND state='open'"
	                " AND (?3 != 'expired' OR expires_at <= ?2)");

	db_bind_int(st, 1, member);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, state);
	return db_done(db, st);
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
		if (sessions_close(db, ids[i], "expired", now) == -1)
			return -1;
		if (session_find(db, ids[i], &one) &&
		    (!found || one.id > ss->id)) {
			*ss = one;
			found = 1;
		}
	}
	return found;
}

/* Opt every member with this number out of (or back into) SMS; how many
 * changed. */
static int
optout_set(struct db *db, const int64_t *ids, size_t nids, int out, int64_t now)
{
	sqlite3_stmt *st;
	size_t i;
	int n = 0;

	for (i = 0; i < nids; i++) {
		st = db_stmt(db, out ? "UPDATE members SET optout_sms_at=?2,"
		                       " updated_at=?2 WHERE id=?1"
		                       " AND optout_sms_at IS NULL"
		                     : "UPDATE members SET optout_sms_at=NULL,"
		                       " updated_at=?2 WHERE id=?1"
		                       " AND optout_sms_at IS NOT NULL");
		db_bind_int(st, 1, ids[i]);
		db_bind_int(st, 2, now);
		if (db_done(db, st) == -1)
			return -1;
		n += db_changes(db);
		if (out && sessions_close(db, ids[i], "stopped", now) == -1)
			return -1;
	}
	return n;
}

static int
keyword_stop(struct db *db, const struct config *cfg, const struct who *w,
             const int64_t *ids, size_t nids, int64_t now,
             struct smsconv_result *r)
{
	char *text, obj[32];
	int n = optout_set(db, ids, nids, 1, now);

	r->disposition = "optout";
	if (n <= 0)
		return n;
	snprintf(obj, sizeof obj, "member:%lld", (long long)w->member_id);
	db_audit(db, "sms", "optout-sms", obj, "keyword");
	text = optout_text(cfg, w);
	n = say(db, w, "transactional", text, r);
	free(text);
	return n;
}

static int
keyword_start(struct db *db, const struct who *w, const int64_t *ids,
              size_t nids, int64_t now, struct smsconv_result *r)
{
	char *text, obj[32];
	int n = optout_set(db, ids, nids, 0, now);

	r->disposition = "optin";
	if (n <= 0)
		return n;
	snprintf(obj, sizeof obj, "member:%lld", (long long)w->member_id);
	db_audit(db, "sms", "optin-sms", obj, "keyword");
	text = xasprintf("You will get texts from the patient group at %s "
	                 "again. Reply STOP to stop them.",
	                 w->practice_name);
	n = say(db, w, "transactional", text, r);
	free(text);
	return n;
}

static int
session_update(struct db *db, const struct session *ss, const char *state,
               int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE sms_sessions SET state=?2, question_index=?3,"
	                " reprompts=?4, updated_at=?5 WHERE id=?1");

	db_bind_int(st, 1, ss->id);
	db_bind_text(st, 2, state);
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
	if (db_done(db, st) == -1 || session_update(db, ss, "done", now) == -1)
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
	if (session_update(db, ss, "open", now) == -1)
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
		return session_update(db, ss, "broken", now);
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
		rv = session_update(db, ss, "open", now);
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

/* Neither keyword nor known number: unmatched, maybe a care reply. */
static int
handle_unmatched(struct db *db, const struct smsconv_msg *m, int care,
                 struct smsconv_result *r)
{
	struct who w = {0};
	int rv = 0;

	r->disposition = "unmatched";
	if (m->to != NULL)
		who_practice_by_number(db, m->to, &w);
	r->practice_id = w.practice_id;
	if (care) {
		w.mobile = xstrdup(m->from);
		rv = say_care(db, &w, r);
	}
	who_clear(&w);
	return rv;
}

/* A known member's message that is not a keyword. */
static int
handle_message(struct db *db, const struct smsconv_msg *m, struct session *ss,
               int found, const struct who *w, int care,
               struct smsconv_result *r)
{
	if (care && say_care(db, w, r) == -1)
		return -1;
	if (!found) {
		r->disposition = "feedback";
		return 0;
	}
	return session_reply(db, ss, w, m->text, m->now, r);
}

static int
handle_keyword(struct db *db, const struct config *cfg, enum smsconv_keyword kw,
               const struct who *w, const int64_t *ids, size_t nids,
               int64_t now, struct smsconv_result *r)
{
	switch (kw) {
	case KW_STOP:
		return keyword_stop(db, cfg, w, ids, nids, now, r);
	case KW_START:
		return keyword_start(db, w, ids, nids, now, r);
	case KW_HELP:
		r->disposition = "help";
		return say_help(db, w, r);
	case KW_NONE:
		break;
	}
	return 0;
}

int
smsconv_handle(struct db *db, const struct config *cfg,
               const struct smsconv_msg *m, struct smsconv_result *r)
{
	enum smsconv_keyword kw = smsconv_keyword(m->text);
	int care = kw == KW_NONE &&
	           smsconv_care(m->text, config_str(cfg, CFG_SMS_CARE_WORDS));
	struct session ss = {0};
	struct who w = {0};
	int64_t ids[MAX_SHARED];
	size_t nids;
	int found, rv;

	memset(r, 0, sizeof *r);
	if ((rv = joinsms_handle(db, cfg, m, r)) != 0)
		return rv == -1 ? -1 : 0;
	r->care_flag = care;
	nids = members_by_mobile(db, m->from, ids);
	if ((found = session_lookup(db, ids, nids, m->now, &ss)) == -1)
		return -1;
	if (nids == 0 || who_load(db, found ? ss.member_id : ids[0], &w) == -1)
		return handle_unmatched(db, m, care, r);
	r->member_id = w.member_id;
	r->practice_id = w.practice_id;
	if (kw != KW_NONE)
		rv = handle_keyword(db, cfg, kw, &w, ids, nids, m->now, r);
	else
		rv = handle_message(db, m, &ss, found, &w, care, r);
	who_clear(&w);
	return rv;
}
