/*
 * SMS survey sessions. A session is open until it is done, expires, is
 * stopped by an opt-out, superseded by a newer campaign's, or found broken;
 * nothing reopens a closed one.
 */
#include <string.h>

#include "log.h"
#include "sms_session.h"

static const char *const states[] = {
    [SS_OPEN] = "open",
    [SS_DONE] = "done",
    [SS_EXPIRED] = "expired",
    [SS_STOPPED] = "stopped",
    [SS_SUPERSEDED] = "superseded",
    [SS_BROKEN] = "broken",
};
#define NSTATES (sizeof states / sizeof states[0])

const char *
sms_session_strstate(enum sms_session_state s)
{
	return (size_t)s < NSTATES ? states[s] : "unknown";
}

int
sms_session_state_parse(const char *s, enum sms_session_state *out)
{
	size_t i;

	for (i = 0; i < NSTATES; i++)
		if (strcmp(states[i], s) == 0) {
			*out = (enum sms_session_state)i;
			return 0;
		}
	return -1;
}

int
sms_session_close(struct db *db, int64_t member, enum sms_session_state to,
                  int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE sms_sessions SET state=?3, updated_at=?2"
	                " WHERE member_id=?1 AND state='open'"
	                " AND (?4 = 0 OR expires_at <= ?2)");

	if (to == SS_OPEN)
		fatalx("sms_session_close: open is not a closed state");
	db_bind_int(st, 1, member);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, sms_session_strstate(to));
	db_bind_int(st, 4, to == SS_EXPIRED);
	if (db_done(db, st) == -1)
		return -1;
	if (db_changes(db) > 0)
		log_debug("event=sms_session member=%lld state=open->%s n=%d",
		          (long long)member, sms_session_strstate(to),
		          db_changes(db));
	return 0;
}
