/* Meetings as iCalendar events: one UID per meeting, its revision as the
 * SEQUENCE, so a calendar replaces the event when the meeting moves. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ics.h"
#include "meeting_ics.h"
#include "xmalloc.h"

/* "ppg.example.org" from "https://ppg.example.org:8443/x". Caller frees. */
static char *
url_host(const char *url)
{
	const char *s = strstr(url, "://");
	size_t n;

	s = s != NULL ? s + 3 : url;
	n = strcspn(s, ":/?#");
	return n > 0 ? xstrndup(s, n) : xstrdup("ppgd.invalid");
}

/*
 * The last calendar made, reused for the same meeting and revision for a
 * while: an invitation run attaches it to every email, and building the
 * VTIMEZONE costs about a millisecond. Used on one thread (the loop, or
 * the CLI).
 */
#define CACHE_FOR 600
static struct {
	int64_t id, revision, made;
	char *text;
} cache;

static char *
cache_get(int64_t id, int64_t revision, int64_t now)
{
	if (cache.text != NULL && cache.id == id &&
	    cache.revision == revision && now - cache.made < CACHE_FOR &&
	    now >= cache.made)
		return xstrdup(cache.text);
	return NULL;
}

static void
cache_put(int64_t id, int64_t revision, int64_t now, const char *text)
{
	free(cache.text);
	cache.text = xstrdup(text);
	cache.id = id;
	cache.revision = revision;
	cache.made = now;
}

char *
meeting_ics(struct db *db, int64_t id, const char *public_url)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT m.at, m.place, m.link, m.agenda, m.revision,"
	                " p.timezone, p.name FROM meetings m JOIN practices p"
	                " ON p.id = m.practice_id WHERE m.id = ? AND"
	                " coalesce(m.status, '') <> 'cancelled'");
	struct ics_event e = {0};
	char *host, *uid, *summary, *out = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	if ((out = cache_get(id, sqlite3_column_int64(st, 4), time(NULL))) !=
	    NULL) {
		sqlite3_reset(st);
		return out;
	}
	host = url_host(public_url);
	uid = xasprintf("meeting-%lld@%s", (long long)id, host);
	summary = xasprintf("Patient group meeting, %s", db_col_text(st, 6));
	e.uid = uid;
	e.dtstamp = time(NULL);
	e.start = sqlite3_column_int64(st, 0);
	e.end = e.start + MEETING_ICS_DURATION;
	e.location = db_col_text(st, 1);
	e.url = db_col_text(st, 2);
	e.description = db_col_text(st, 3);
	e.sequence = sqlite3_column_int(st, 4);
	e.tz = db_col_text(st, 5);
	e.summary = summary;
	if ((out = ics_build(&e)) != NULL)
		cache_put(id, e.sequence, e.dtstamp, out);
	sqlite3_reset(st);
	free(summary);
	free(uid);
	free(host);
	return out;
}

char *
meeting_ics_for_outbox(struct db *db, int64_t outbox_id, const char *public_url)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT c.meeting_id FROM outbox o JOIN runs r"
	        " ON r.id = o.run_id JOIN campaigns c ON c.id = r.campaign_id"
	        " WHERE o.id = ?1 AND o.channel = 'email' AND"
	        " c.meeting_id IS NOT NULL AND"
	        " c.kind IN ('invitation','meeting','reminder')"
	        " UNION ALL SELECT n.meeting_id FROM meeting_notices n"
	        " JOIN outbox o ON o.id = n.outbox_id WHERE n.outbox_id = ?1"
	        " AND o.channel = 'email' AND n.kind = 'meeting-moved'");
	int64_t meeting = 0;

	db_bind_int(st, 1, outbox_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		meeting = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return meeting != 0 ? meeting_ics(db, meeting, public_url) : NULL;
}
