/*
 * Replies to a meeting invitation: the members' answers. Their reply links
 * are derived (linktoken.h); older ones are stored hashed in meeting_tokens
 * (meeting_page.c reads both). By SMS a whole-message YES or NO answers
 * the newest text we sent, when that was about a meeting to come. An answer
 * can be changed until the meeting starts. The page is meeting_page.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "meeting.h"
#include "meeting_reply.h"
#include "xmalloc.h"

#define DAY 86400

const char *
meeting_reply_closed(struct db *db, int64_t meeting_id, int64_t now)
{
	struct meeting *m = meeting_get(db, meeting_id);
	const char *why = NULL;

	if (m == NULL)
		why = "there is no such meeting";
	else if (m->status != NULL && strcmp(m->status, "cancelled") == 0)
		why = "the meeting was cancelled";
	else if (m->at <= now ||
	         (m->status != NULL && strcmp(m->status, "held") == 0))
		why = "the meeting has already taken place";
	meeting_free(m);
	return why;
}

int
meeting_reply_set(struct db *db, int64_t meeting_id, int64_t member_id, int yes,
                  const char *channel, int64_t now, char **cause)
{
	const char *why = meeting_reply_closed(db, meeting_id, now);
	sqlite3_stmt *st;

	if (why != NULL) {
		*cause = xstrdup(why);
		return -1;
	}
	st = db_stmt(db, "INSERT INTO meeting_replies (meeting_id, member_id,"
	                 " answer, channel, at) SELECT ?1, m.id, ?3, ?4, ?5"
	                 " FROM members m JOIN meetings g ON g.id = ?1"
	                 " AND g.practice_id = m.practice_id WHERE m.id = ?2"
	                 " AND m.erased_at IS NULL ON CONFLICT (meeting_id,"
	                 " member_id) DO UPDATE SET answer = excluded.answer,"
	                 " channel = excluded.channel, at = excluded.at");
	db_bind_int(st, 1, meeting_id);
	db_bind_int(st, 2, member_id);
	db_bind_text(st, 3, yes ? "yes" : "no");
	db_bind_text(st, 4, channel);
	db_bind_int(st, 5, now);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("database: %s", db_errmsg(db));
		return -1;
	}
	if (db_changes(db) != 1) {
		*cause = xstrdup("not a member of this meeting's practice");
		return -1;
	}
	return 0;
}

/* The meeting the newest SMS to member was about, or 0. */
static int64_t
latest_sms_meeting(struct db *db, int64_t member, int64_t *sent_at)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT o.created_at, coalesce(c.meeting_id, n.meeting_id),"
	        " coalesce(c.kind, n.kind) FROM outbox o"
	        " LEFT JOIN runs r ON r.id = o.run_id"
	        " LEFT JOIN campaigns c ON c.id = r.campaign_id"
	        " LEFT JOIN meeting_notices n ON n.outbox_id = o.id"
	        " WHERE o.member_id = ? AND o.channel = 'sms' AND"
	        " (o.purpose = 'campaign' OR n.outbox_id IS NOT NULL) AND"
	        " o.state IN ('sending','sent','delivered')"
	        " ORDER BY o.created_at DESC, o.id DESC LIMIT 1");
	const char *kind;
	int64_t meeting = 0;

	db_bind_int(st, 1, member);
	if (sqlite3_step(st) == SQLITE_ROW) {
		kind = db_col_text(st, 2);
		*sent_at = sqlite3_column_int64(st, 0);
		if (kind != NULL && (strcmp(kind, "invitation") == 0 ||
		                     strcmp(kind, "meeting") == 0 ||
		                     strcmp(kind, "reminder") == 0 ||
		                     strcmp(kind, "meeting-moved") == 0))
			meeting = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return meeting;
}

static char *
reply_text(struct db *db, int64_t meeting_id, int yes)
{
	struct meeting *m = meeting_get(db, meeting_id);
	sqlite3_stmt *st = db_stmt(db, "SELECT timezone FROM practices WHERE"
	                               " id = ?");
	char *when, *text;

	db_bind_int(st, 1, m->practice_id);
	when = meeting_when(m->at, sqlite3_step(st) == SQLITE_ROW
	                               ? db_col_text(st, 0)
	                               : "Europe/London");
	sqlite3_reset(st);
	text = yes ? xasprintf("Thank you. We have noted that you are coming "
	                       "to the patient group meeting on %s.",
	                       when)
	           : xasprintf("Thank you for letting us know you cannot come "
	                       "to the meeting on %s.",
	                       when);
	free(when);
	meeting_free(m);
	return text;
}

int
meeting_reply_sms(struct db *db, const int64_t *ids, size_t n,
                  const char *words, int64_t now, int64_t *member, char **reply)
{
	int64_t meeting = 0, best_at = -1, at, mt;
	char *cause = NULL;
	size_t i;
	int yes;

	if (strcmp(words, "yes") == 0 || strcmp(words, "y") == 0)
		yes = 1;
	else if (strcmp(words, "no") == 0 || strcmp(words, "n") == 0)
		yes = 0;
	else
		return 0;
	for (i = 0; i < n; i++) {
		at = 0;
		mt = latest_sms_meeting(db, ids[i], &at);
		if (at > best_at) {
			best_at = at;
			meeting = mt;
			*member = ids[i];
		}
	}
	if (meeting == 0 || meeting_reply_closed(db, meeting, now) != NULL)
		return 0;
	if (meeting_reply_set(db, meeting, *member, yes, "sms", now, &cause) ==
	    -1) {
		log_warnx("event=meeting_reply error=\"%s\"", cause);
		free(cause);
		return -1;
	}
	*reply = reply_text(db, meeting, yes);
	return 1;
}
