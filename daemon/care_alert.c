/*
 * Care alerts. A flagged message is answered with the service that fits its
 * urgency and the number of the practice it is attributed to, and staff
 * are told at once through the outbox. The reply and the staff alert are
 * not campaign mail (purpose 'care-reply', 'care-alert'): quiet hours and
 * the frequency cap never hold them. The reply goes at most once a day per
 * member (or unknown sender) per urgency, so a conversation in crisis is
 * not answered with the same text every time; every message still raises
 * its own alert. An alert nobody acknowledges is sent again after
 * [care] escalate_after of working time, and again after that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "care_alert.h"
#include "cron.h"
#include "log.h"
#include "outbox.h"
#include "phone.h"
#include "util.h"
#include "xmalloc.h"

#define REPLY_WINDOW  86400 /* one reply a day per member per urgency */
#define ESCALATE_SCAN 256   /* alerts looked at per pass */
#define SMS_TEXT_MAX  300   /* bytes of patient text in an SMS alert */

/* An alert as staff see it. */
struct alert {
	int64_t id, practice_id, member_id, created_at;
	int alerts, replied;
	char *urgency, *source, *code, *name, *body;
};

static const char *const state_names[] = {"new", "seen", "actioned"};

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return xstrdup(s != NULL ? s : "");
}

static void
alert_clear(struct alert *a)
{
	free(a->urgency);
	free(a->source);
	free(a->code);
	free(a->name);
	free(a->body);
	memset(a, 0, sizeof *a);
}

int
care_practice(struct db *db, int64_t practice_id, char **name, char **phone)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT name, phone FROM practices WHERE id=?1");
	int rv = -1;

	db_bind_int(st, 1, practice_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*name = col_dup(st, 0);
		*phone = col_dup(st, 1);
		rv = 0;
	}
	sqlite3_reset(st);
	return rv;
}

const struct care_list *
care_list_for(struct db *db, const struct config *cfg, int64_t practice_id)
{
	sqlite3_stmt *st;
	const struct care_list *l = config_care(cfg);

	if (practice_id == 0)
		return l;
	st = db_stmt(db, "SELECT code FROM practices WHERE id=?1");
	db_bind_int(st, 1, practice_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		l = config_care_for(cfg, db_col_text(st, 0));
	sqlite3_reset(st);
	return l;
}

int
care_classify_for(struct db *db, const struct config *cfg, int64_t practice_id,
                  const char *text, struct care_hit *hit)
{
	return care_classify(care_list_for(db, cfg, practice_id), text, hit);
}

/* The practice an outbox row is sent as when the message has none. */
static int64_t
any_practice(struct db *db)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id FROM practices ORDER BY id LIMIT 1");
	int64_t id = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

/* "Riverside Medical Practice on 01632 960000", or what is known. */
static char *
contact(const char *practice, const char *phone)
{
	const char *name = practice != NULL && *practice != '\0'
	                       ? practice
	                       : "your GP practice";

	if (phone != NULL && *phone != '\0')
		return xasprintf("%s on %s", name, phone);
	return xstrdup(name);
}

/* The first sentence for the most urgent group of mask. Caller frees. */
static char *
reply_first(unsigned mask, const char *who)
{
	if (mask & (1u << CARE_EMERGENCY))
		return xasprintf("If this is an emergency, call 999 now. If it "
		                 "is not, call %s or NHS 111.",
		                 who);
	if (mask & (1u << CARE_CRISIS))
		return xasprintf("If you are in danger or have hurt yourself, "
		                 "call 999 now. You can also call %s.",
		                 who);
	return xasprintf("For medical help today call %s or NHS 111 "
	                 "(111.nhs.uk). In an emergency call 999.",
	                 who);
}

char *
care_reply_text(unsigned mask, const char *practice, const char *phone,
                const char *via)
{
	char *who = contact(practice, phone), *first = reply_first(mask, who);
	char *text;
	const char *head;

	if (strcmp(via, "form") == 0)
		head = "This form is not read by a doctor or nurse.";
	else if (strcmp(via, "address") == 0)
		head = "This is an automatic reply: this address is not read "
		       "by a doctor or nurse.";
	else
		head = "This is an automatic reply: this number is not read "
		       "by a doctor or nurse.";
	text = xasprintf(
	    "%s %s%s", head, first,
	    mask & (1u << CARE_CRISIS)
	        ? " For urgent mental health help call NHS 111 and choose "
	          "option 2, call Samaritans free on 116 123 (any time), or "
	          "text SHOUT to 85258."
	        : "");
	free(who);
	free(first);
	return text;
}

/* A reply went to this member (or sender) at this urgency within a day. */
static int
replied_recently(struct db *db, const struct care_event *ev,
                 const char *urgency)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT 1 FROM care_alerts a LEFT JOIN inbound i ON"
	        " i.id = a.inbound_id WHERE a.replied = 1 AND a.urgency = ?1"
	        " AND a.created_at > ?2 AND ((?3 != 0 AND a.member_id = ?3)"
	        " OR (?3 = 0 AND a.member_id IS NULL AND i.from_addr = ?4))"
	        " LIMIT 1");
	int found;

	db_bind_text(st, 1, urgency);
	db_bind_int(st, 2, ev->now - REPLY_WINDOW);
	db_bind_int(st, 3, ev->member_id);
	db_bind_text(st, 4, ev->reply_to);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* The reply on the event's own channel; 1 queued, 0 not, -1 error. */
static int
reply(struct db *db, const struct care_hit *hit, const struct care_event *ev,
      int64_t sender)
{
	int sms = strcmp(ev->source, "sms") == 0;
	char *name = NULL, *phone = NULL, *text;
	int64_t id;

	if (ev->reply_to == NULL || *ev->reply_to == '\0' || sender == 0 ||
	    (!sms && strcmp(ev->source, "email") != 0) ||
	    replied_recently(db, ev, care_strurgency(hit->urgency)))
		return 0;
	if (ev->practice_id != 0)
		care_practice(db, ev->practice_id, &name, &phone);
	text =
	    care_reply_text(hit->mask, name, phone, sms ? "number" : "address");
	id = outbox_queue(db, sender, ev->member_id, sms ? "sms" : "email",
	                  "care-reply", ev->reply_to,
	                  sms ? NULL : "Your message to the patient group",
	                  text, NULL);
	free(name);
	free(phone);
	free(text);
	return id == -1 ? -1 : 1;
}

static int
alert_load(struct db *db, int64_t id, struct alert *a)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT a.id, coalesce(a.practice_id, 0),"
	        " coalesce(a.member_id, 0), a.created_at, a.alerts, a.replied,"
	        " a.urgency, a.source, p.code, p.name, i.body"
	        " FROM care_alerts a LEFT JOIN practices p"
	        " ON p.id = a.practice_id LEFT JOIN inbound i"
	        " ON i.id = a.inbound_id WHERE a.id = ?1");
	int rv = -1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->practice_id = sqlite3_column_int64(st, 1);
		a->member_id = sqlite3_column_int64(st, 2);
		a->created_at = sqlite3_column_int64(st, 3);
		a->alerts = sqlite3_column_int(st, 4);
		a->replied = sqlite3_column_int(st, 5);
		a->urgency = col_dup(st, 6);
		a->source = col_dup(st, 7);
		a->code = col_dup(st, 8);
		a->name = col_dup(st, 9);
		a->body = col_dup(st, 10);
		rv = 0;
	}
	sqlite3_reset(st);
	return rv;
}

static const char *
told(const char *urgency)
{
	if (strcmp(urgency, "emergency") == 0)
		return "call 999 now, else the practice or NHS 111";
	if (strcmp(urgency, "crisis") == 0)
		return "999 if in danger; NHS 111 option 2, Samaritans 116 "
		       "123, "
		       "text SHOUT to 85258; the practice";
	return "the practice or NHS 111; 999 in an emergency";
}

/* The staff email: no patient text in the subject, ever. Caller frees. */
static char *
staff_subject(const struct alert *a, int escalation)
{
	if (escalation)
		return xasprintf("[ppgd] NOT ACKNOWLEDGED: care alert %lld "
		                 "(%s), %s",
		                 (long long)a->id, a->urgency,
		                 *a->name ? a->name : "unknown practice");
	return xasprintf("[ppgd] Care alert %lld (%s), %s", (long long)a->id,
	                 a->urgency, *a->name ? a->name : "unknown practice");
}

static char *
staff_body(const struct config *cfg, const struct alert *a, const char *text,
           int escalation)
{
	char when[21], *who, *msg, *body;
	long long esc = config_int(cfg, CFG_CARE_ESCALATE_AFTER);

	util_format_time(a->created_at, when);
	who = a->member_id != 0
	          ? xasprintf("member %lld (ppgd member show %lld)",
	                      (long long)a->member_id, (long long)a->member_id)
	          : xstrdup("not a known member");
	if (config_int(cfg, CFG_CARE_ALERT_INCLUDE_TEXT))
		msg = xasprintf("The message:\n\n%s\n",
		                text != NULL && *text ? text : a->body);
	else
		msg =
		    xstrdup("The message is not in this email "
		            "([care] alert_include_text = no): see ppgd inbox "
		            "--flagged.\n");
	body = xasprintf(
	    "%s"
	    "A message to the patient group of %s (%s) looks like a request "
	    "for help: %s.\n\n"
	    "Alert:     %lld\n"
	    "Received:  %s by %s\n"
	    "From:      %s\n"
	    "Reply:     %s\n\n"
	    "Please look at it now. When you have seen it:\n"
	    "    ppgd inbox ack %lld --seen --by NAME\n"
	    "and when it is dealt with:\n"
	    "    ppgd inbox ack %lld --by NAME --note \"what was done\"\n"
	    "An alert not acknowledged is sent again after %lld minutes of "
	    "working time.\n\n%s",
	    escalation ? "THIS ALERT HAS NOT BEEN ACKNOWLEDGED.\n\n" : "",
	    *a->name ? a->name : "an unknown practice",
	    *a->code ? a->code : "-", a->urgency, (long long)a->id, when,
	    a->source, who,
	    a->replied ? told(a->urgency)
	    : strcmp(a->source, "web-survey") == 0
	        ? "shown on the survey's thank-you page"
	        : "none sent now (one went within the last day, or no "
	          "address)",
	    (long long)a->id, (long long)a->id, esc / 60, msg);
	free(who);
	free(msg);
	return body;
}

static char *
staff_sms(const struct config *cfg, const struct alert *a, const char *text,
          int escalation)
{
	const char *t = text != NULL && *text ? text : a->body;

	if (config_int(cfg, CFG_CARE_ALERT_INCLUDE_TEXT) && *t != '\0')
		return xasprintf("%sppgd care alert %lld (%s), %s: \"%.*s\". "
		                 "Acknowledge: ppgd inbox ack %lld",
		                 escalation ? "NOT ACKNOWLEDGED: " : "",
		                 (long long)a->id, a->urgency, a->name,
		                 SMS_TEXT_MAX, t, (long long)a->id);
	return xasprintf("%sppgd care alert %lld (%s), %s: a patient's message "
	                 "needs a look now (ppgd inbox --flagged). "
	                 "Acknowledge: ppgd inbox ack %lld",
	                 escalation ? "NOT ACKNOWLEDGED: " : "",
	                 (long long)a->id, a->urgency, a->name,
	                 (long long)a->id);
}

/* Queue one message to each item of a comma-separated list; -1 on error. */
static int
staff_queue(struct db *db, int64_t practice, const char *channel,
            const char *list, const char *subject, const char *body,
            int *queued)
{
	char *copy = xstrdup(list), *save = NULL, *to, e164[17];
	int rv = 0;

	for (to = strtok_r(copy, ",", &save); rv == 0 && to != NULL;
	     to = strtok_r(NULL, ",", &save)) {
		to = util_trim(to);
		if (*to == '\0')
			continue;
		if (strcmp(channel, "sms") == 0) {
			if (phone_normalise(to, e164, NULL) == -1)
				continue;
			to = e164;
		}
		if (outbox_queue(db, practice, 0, channel, "care-alert", to,
		                 subject, body, NULL) == -1)
			rv = -1;
		else
			(*queued)++;
	}
	free(copy);
	return rv;
}

/* Tell staff of alert id; counts queued rows. 0 or -1. */
static int
staff_alert(struct db *db, const struct config *cfg, int64_t id,
            const char *text, int escalation, int64_t now, int *queued)
{
	struct alert a = {0};
	const char *emails, *mobiles;
	char *subject, *body, *sms;
	int64_t sender;
	int n = 0, rv = 0;
	sqlite3_stmt *st;

	if (alert_load(db, id, &a) == -1)
		return -1;
	sender = a.practice_id != 0 ? a.practice_id : any_practice(db);
	emails = config_care_alert_email(cfg, *a.code ? a.code : NULL);
	mobiles = config_care_alert_sms(cfg, *a.code ? a.code : NULL);
	subject = staff_subject(&a, escalation);
	body = staff_body(cfg, &a, text, escalation);
	sms = staff_sms(cfg, &a, text, escalation);
	if (sender != 0 &&
	    (staff_queue(db, sender, "email", emails, subject, body, &n) ==
	         -1 ||
	     staff_queue(db, sender, "sms", mobiles, NULL, sms, &n) == -1))
		rv = -1;
	free(subject);
	free(body);
	free(sms);
	if (rv == 0 && n == 0)
		log_warnx("event=care_alert id=%lld staff=none msg=\"no [care] "
		          "alert_email or alert_sms for practice %s\"",
		          (long long)id, *a.code ? a.code : "-");
	st = db_stmt(db, "UPDATE care_alerts SET alerts = alerts + ?2,"
	                 " last_alert_at = ?3 WHERE id = ?1");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, n > 0);
	db_bind_int(st, 3, now);
	if (rv == 0 && db_done(db, st) == -1)
		rv = -1;
	*queued += n;
	alert_clear(&a);
	return rv;
}

static int
alert_insert(struct db *db, const struct care_hit *hit,
             const struct care_event *ev, int replied)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO care_alerts (practice_id, member_id, inbound_id,"
	        " response_id, source, urgency, phrase, replied, created_at)"
	        " VALUES (nullif(?1,0), nullif(?2,0), nullif(?3,0),"
	        " nullif(?4,0), ?5, ?6, ?7, ?8, ?9)");

	db_bind_int(st, 1, ev->practice_id);
	db_bind_int(st, 2, ev->member_id);
	db_bind_int(st, 3, ev->inbound_id);
	db_bind_int(st, 4, ev->response_id);
	db_bind_text(st, 5, ev->source);
	db_bind_text(st, 6, care_strurgency(hit->urgency));
	db_bind_text(st, 7, hit->phrase);
	db_bind_int(st, 8, replied);
	db_bind_int(st, 9, ev->now);
	return db_done(db, st);
}

int
care_alert_raise(struct db *db, const struct config *cfg,
                 const struct care_hit *hit, const struct care_event *ev,
                 struct care_outcome *out)
{
	int64_t sender =
	    ev->practice_id != 0 ? ev->practice_id : any_practice(db);
	int r;

	memset(out, 0, sizeof *out);
	if (hit->urgency == CARE_NONE)
		return 0;
	if ((r = reply(db, hit, ev, sender)) == -1)
		return -1;
	out->replied = r;
	out->queued = r;
	if (alert_insert(db, hit, ev, r) == -1)
		return -1;
	out->alert_id = db_last_id(db);
	if (staff_alert(db, cfg, out->alert_id, ev->text, 0, ev->now,
	                &out->queued) == -1)
		return -1;
	log_info("event=care_alert id=%lld urgency=%s source=%s replied=%d "
	         "queued=%d",
	         (long long)out->alert_id, care_strurgency(hit->urgency),
	         ev->source, out->replied, out->queued);
	return 0;
}

/* ---- acknowledgement ---------------------------------------------------- */

int
care_alert_ack(struct db *db, int64_t id, enum care_state to, const char *by,
               const char *note, int64_t now, char **cause)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT state, coalesce(actioned_by, seen_by, '')"
	                " FROM care_alerts WHERE id=?1");
	char obj[40], *state = NULL, *who = NULL;
	int rv = -1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		state = col_dup(st, 0);
		who = col_dup(st, 1);
	}
	sqlite3_reset(st);
	if (state == NULL)
		*cause = xasprintf("no care alert %lld", (long long)id);
	else if (strcmp(state, "actioned") == 0 ||
	         (to == CARE_SEEN && strcmp(state, "seen") == 0))
		*cause = xasprintf("care alert %lld is already %s (by %s)",
		                   (long long)id, state, who);
	else {
		st = db_stmt(db,
		             "UPDATE care_alerts SET state=?2,"
		             " seen_by=coalesce(seen_by, ?3),"
		             " seen_at=coalesce(seen_at, ?4),"
		             " actioned_by=CASE WHEN ?2='actioned' THEN ?3 END,"
		             " actioned_at=CASE WHEN ?2='actioned' THEN ?4 END,"
		             " note=coalesce(?5, note) WHERE id=?1");
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, state_names[to]);
		db_bind_text(st, 3, by);
		db_bind_int(st, 4, now);
		db_bind_text(st, 5, note);
		snprintf(obj, sizeof obj, "care_alert:%lld", (long long)id);
		if (db_done(db, st) == 0 &&
		    db_audit(db, by, "care-ack", obj, state_names[to]) == 0)
			rv = 0;
		else
			*cause = xstrdup(db_errmsg(db));
	}
	free(state);
	free(who);
	return rv;
}

/* ---- listing ------------------------------------------------------------ */

static json_t *
text_or_null(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s != NULL ? json_string(s) : json_null();
}

static json_t *
int_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
	           ? json_null()
	           : json_integer(sqlite3_column_int64(st, i));
}

static json_t *
time_or_null(sqlite3_stmt *st, int i)
{
	char buf[21];

	return sqlite3_column_type(st, i) == SQLITE_NULL
	           ? json_null()
	           : json_string(
	                 util_format_time(sqlite3_column_int64(st, i), buf));
}

/*
 * One alert. The inbound message's fields keep the names `ppgd inbox
 * --json` always had (id is the inbound row, null for a web survey).
 */
static json_t *
alert_json(sqlite3_stmt *st)
{
	static const char *const text_cols[] = {
	    "source",  "urgency",     "state", "practice", "provider",
	    "channel", "disposition", "from",  "to",       "body",
	    "seen_by", "actioned_by", "note",  "phrase"};
	json_t *o = json_object();
	size_t i;

	json_object_set_new(o, "alert",
	                    json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "received_at", time_or_null(st, 1));
	for (i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++)
		json_object_set_new(o, text_cols[i],
		                    text_or_null(st, (int)i + 2));
	json_object_set_new(o, "id", int_or_null(st, 16));
	json_object_set_new(o, "member", int_or_null(st, 17));
	json_object_set_new(o, "response", int_or_null(st, 18));
	json_object_set_new(o, "meeting", int_or_null(st, 19));
	json_object_set_new(o, "seen_at", time_or_null(st, 20));
	json_object_set_new(o, "actioned_at", time_or_null(st, 21));
	json_object_set_new(o, "alerts_sent", int_or_null(st, 22));
	json_object_set_new(o, "last_alert_at", time_or_null(st, 23));
	json_object_set_new(o, "replied",
	                    json_boolean(sqlite3_column_int(st, 24)));
	json_object_set_new(o, "care_flag", json_true());
	return o;
}

json_t *
care_alert_list(struct db *db, const char *practice_code, const char *state,
                long limit)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT a.id, a.created_at, a.source, a.urgency, a.state,"
	        " p.code, i.provider, i.channel, i.disposition, i.from_addr,"
	        " i.to_addr, i.body, a.seen_by, a.actioned_by, a.note,"
	        " a.phrase, a.inbound_id, a.member_id, a.response_id,"
	        " i.meeting_id, a.seen_at, a.actioned_at, a.alerts,"
	        " a.last_alert_at, a.replied"
	        " FROM care_alerts a LEFT JOIN practices p"
	        " ON p.id = a.practice_id LEFT JOIN inbound i"
	        " ON i.id = a.inbound_id"
	        " WHERE (?1 IS NULL OR p.code = ?1)"
	        " AND (?2 IS NULL OR a.state = ?2)"
	        " ORDER BY a.id DESC LIMIT ?3");
	json_t *arr = json_array();

	db_bind_text(st, 1, practice_code);
	db_bind_text(st, 2, state);
	db_bind_int(st, 3, limit);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, alert_json(st));
	sqlite3_reset(st);
	return arr;
}

/* ---- escalation --------------------------------------------------------- */

int64_t
care_working_seconds(const struct config *cfg, const char *tz, int64_t from,
                     int64_t to)
{
	int64_t s0 = config_int(cfg, CFG_CARE_WORK_START) * 60;
	int64_t e0 = config_int(cfg, CFG_CARE_WORK_END) * 60;
	int weekends = (int)config_int(cfg, CFG_CARE_WORK_WEEKENDS);
	int64_t t = from, total = 0, into, step;
	struct tm tm;
	int guard;

	if (tz == NULL || *tz == '\0')
		tz = config_str(cfg, CFG_TIMEZONE);
	if (s0 >= e0) /* equal (or reversed): the whole day */
		s0 = 0, e0 = 86400;
	for (guard = 0; t < to && guard < 10000; guard++) {
		if (cron_localtime((time_t)t, tz, &tm) == -1)
			return to - from; /* no zone: count all of it */
		into = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
		if (!weekends && (tm.tm_wday == 0 || tm.tm_wday == 6))
			step = 86400 - into;
		else if (into < s0)
			step = s0 - into;
		else if (into >= e0)
			step = 86400 - into;
		else {
			step = e0 - into;
			if (step > to - t)
				step = to - t;
			total += step;
		}
		t += step > 0 ? step : 1;
	}
	return total;
}

/* New alerts: id, the last alert time, the practice's zone. */
struct due {
	int64_t id, last;
	char tz[64];
};

static int
due_alerts(struct db *db, struct due *d, int n)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT a.id, coalesce(a.last_alert_at, a.created_at),"
	        " coalesce(p.timezone, '') FROM care_alerts a LEFT JOIN"
	        " practices p ON p.id = a.practice_id WHERE a.state = 'new'"
	        " ORDER BY a.id LIMIT ?1");
	int k = 0;

	db_bind_int(st, 1, n);
	while (k < n && sqlite3_step(st) == SQLITE_ROW) {
		d[k].id = sqlite3_column_int64(st, 0);
		d[k].last = sqlite3_column_int64(st, 1);
		snprintf(d[k].tz, sizeof d[k].tz, "%s", db_col_text(st, 2));
		k++;
	}
	sqlite3_reset(st);
	return k;
}

int64_t
care_alert_escalate(struct db *db, const struct config *cfg, int64_t now,
                    int *queued)
{
	struct due *d = xcalloc(ESCALATE_SCAN, sizeof *d);
	int64_t after = config_int(cfg, CFG_CARE_ESCALATE_AFTER), worked;
	int64_t next = 0, when;
	int n, i, began = 0;

	*queued = 0;
	n = due_alerts(db, d, ESCALATE_SCAN);
	for (i = 0; i < n; i++) {
		worked = care_working_seconds(cfg, d[i].tz, d[i].last, now);
		if (worked < after) {
			/* In working time the rest counts down from now. */
			if (care_working_seconds(cfg, d[i].tz, now - 1, now) >
			    0) {
				when = now + (after - worked);
				if (next == 0 || when < next)
					next = when;
			}
			continue;
		}
		if (!began && db_begin(db) == -1)
			break;
		began = 1;
		if (staff_alert(db, cfg, d[i].id, NULL, 1, now, queued) == -1)
			break;
		log_info("event=care_escalate id=%lld", (long long)d[i].id);
		if (next == 0 || now + after < next)
			next = now + after;
	}
	if (began && (i < n || db_commit(db) == -1)) {
		log_warnx("event=care_escalate error=\"%s\"", db_errmsg(db));
		db_rollback(db);
		*queued = 0;
	}
	free(d);
	return next;
}

void
care_alert_unacked(struct db *db, int64_t now, int64_t *count,
                   int64_t *oldest_age)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*), min(created_at) FROM"
	                               " care_alerts WHERE state = 'new'");

	*count = *oldest_age = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		if (*count > 0)
			*oldest_age = now - sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}
