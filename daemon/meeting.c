/* PPG meetings and the campaigns around them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "cron.h"
#include "meeting.h"
#include "survey_store.h"
#include "util.h"
#include "xmalloc.h"

#define DAY 86400

static const struct meeting_campaign {
	const char *suffix;
	const char *kind;
	int64_t offset;
	const char *survey;
} meeting_campaigns[] = {
    {"invitation", "invitation", -14 * DAY, NULL},
    {"reminder", "reminder", -1 * DAY, NULL},
    {"feedback", "feedback", 1 * DAY, "post-meeting"},
};

int
meeting_add(struct db *db, struct meeting *m, char **cause)
{
	sqlite3_stmt *st;

	if (m->place == NULL || *m->place == '\0' || util_has_crlf(m->place)) {
		*cause = xstrdup("a meeting needs --where, on one line");
		return -1;
	}
	if (m->created_at == 0)
		m->created_at = time(NULL);
	st = db_stmt(db, "INSERT INTO meetings (practice_id, at, place, agenda,"
	                 " minutes, created_at) VALUES (?,?,?,?,?,?)");
	db_bind_int(st, 1, m->practice_id);
	db_bind_int(st, 2, m->at);
	db_bind_text(st, 3, m->place);
	db_bind_text(st, 4, m->agenda);
	db_bind_text(st, 5, m->minutes);
	db_bind_int(st, 6, m->created_at);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot add meeting: %s", db_errmsg(db));
		return -1;
	}
	m->id = db_last_id(db);
	db_audit(db, NULL, "meeting.add", "meeting", NULL);
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s != NULL ? xstrdup(s) : NULL;
}

static void
meeting_row(sqlite3_stmt *st, void *arg)
{
	struct meeting *m = xcalloc(1, sizeof *m);

	m->id = sqlite3_column_int64(st, 0);
	m->practice_id = sqlite3_column_int64(st, 1);
	m->at = sqlite3_column_int64(st, 2);
	m->place = col_dup(st, 3);
	m->agenda = col_dup(st, 4);
	m->minutes = col_dup(st, 5);
	m->created_at = sqlite3_column_int64(st, 6);
	m->status = col_dup(st, 7);
	*(struct meeting **)arg = m;
}

struct meeting *
meeting_get(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, practice_id, at, place,"
	                               " agenda, minutes, created_at, status"
	                               " FROM meetings WHERE id = ?");
	struct meeting *m = NULL;

	db_bind_int(st, 1, id);
	db_row(db, st, meeting_row, &m);
	return m;
}

void
meeting_free(struct meeting *m)
{
	if (m == NULL)
		return;
	free(m->place);
	free(m->agenda);
	free(m->minutes);
	free(m->status);
	free(m);
}

int
meeting_set_minutes(struct db *db, int64_t id, const char *minutes,
                    char **cause)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE meetings SET minutes = ? WHERE id = ?");

	db_bind_text(st, 1, minutes);
	db_bind_int(st, 2, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		return -1;
	}
	db_audit(db, NULL, "meeting.minutes", "meeting", NULL);
	return 0;
}

const char *
meeting_status(const char *stored, int64_t at, int64_t now)
{
	if (stored != NULL &&
	    (strcmp(stored, "held") == 0 || strcmp(stored, "cancelled") == 0))
		return stored;
	return at <= now ? "held" : "planned";
}

int
meeting_set_status(struct db *db, int64_t id, const char *status, char **cause)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE meetings SET status = ? WHERE id = ?");

	if (status != NULL && strcmp(status, "held") != 0 &&
	    strcmp(status, "cancelled") != 0) {
		*cause = xasprintf("bad meeting status %s", status);
		return -1;
	}
	db_bind_text(st, 1, status);
	db_bind_int(st, 2, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		return -1;
	}
	db_audit(db, NULL,
	         status ? (strcmp(status, "held") == 0 ? "meeting.held"
	                                               : "meeting.cancel")
	                : "meeting.status",
	         "meeting", NULL);
	return 0;
}

char *
meeting_when(int64_t at, const char *tz)
{
	struct tm tm;
	char day[64];
	int h;

	if (cron_localtime((time_t)at, tz, &tm) == -1)
		return xstrdup("");
	strftime(day, sizeof day, "%A %-d %B %Y", &tm);
	h = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
	if (tm.tm_min == 0)
		return xasprintf("%s at %d%s", day, h,
		                 tm.tm_hour < 12 ? "am" : "pm");
	return xasprintf("%s at %d:%02d%s", day, h, tm.tm_min,
	                 tm.tm_hour < 12 ? "am" : "pm");
}

static int
meeting_campaign_add(struct db *db, const struct config *cfg,
                     const struct meeting *m, const struct meeting_campaign *mc,
                     const char *channels, const char *audience, char **cause)
{
	struct campaign *c = campaign_new();
	int rc;

	c->name = xasprintf("meeting-%lld-%s", (long long)m->id, mc->suffix);
	c->practice_id = m->practice_id;
	c->kind = xstrdup(mc->kind);
	c->meeting_id = m->id;
	c->offset_s = mc->offset;
	if (channels != NULL) {
		free(c->channels);
		c->channels = xstrdup(channels);
	}
	if (audience != NULL) {
		free(c->audience);
		c->audience = xstrdup(audience);
	}
	if (mc->survey != NULL &&
	    (c->survey_id = survey_store_latest(db, mc->survey, NULL)) == 0) {
		*cause = xasprintf("survey %s is not loaded (ppgd survey load "
		                   "%s)",
		                   mc->survey, mc->survey);
		campaign_free(c);
		return -1;
	}
	rc = campaign_add(db, cfg, c, time(NULL), cause);
	campaign_free(c);
	return rc;
}

int
meeting_add_campaigns(struct db *db, const struct config *cfg,
                      const struct meeting *m, const char *channels,
                      const char *audience, char **cause)
{
	size_t i;

	for (i = 0; i < sizeof meeting_campaigns / sizeof *meeting_campaigns;
	     i++)
		if (meeting_campaign_add(db, cfg, m, &meeting_campaigns[i],
		                         channels, audience, cause) == -1)
			return -1;
	return 0;
}

int
meeting_create(struct db *db, const struct config *cfg, struct meeting *m,
               int with_campaigns, const char *channels, const char *audience,
               char **cause)
{
	*cause = NULL;
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	if (meeting_add(db, m, cause) == -1 ||
	    (with_campaigns && meeting_add_campaigns(db, cfg, m, channels,
	                                             audience, cause) == -1) ||
	    db_commit(db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(db));
		db_rollback(db);
		return -1;
	}
	return 0;
}

static json_t *
str_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
iso_json(int64_t t, const char *tz)
{
	char buf[40];

	if (t == 0)
		return json_null();
	if (cron_format_iso((time_t)t, tz, buf, sizeof buf) == -1)
		util_format_time(t, buf);
	return json_string(buf);
}

static json_t *
meeting_campaigns_json(struct db *db, int64_t id, const char *tz)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT name, kind, state, next_fire_at"
	                               " FROM campaigns WHERE meeting_id = ?"
	                               " ORDER BY offset_s, id");
	json_t *arr = json_array();

	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:s, s:o}", "name",
		              db_col_text(st, 0), "kind", db_col_text(st, 1),
		              "state", db_col_text(st, 2), "next_fire_at",
		              iso_json(sqlite3_column_int64(st, 3), tz)));
	sqlite3_reset(st);
	return arr;
}

/* Agenda items: replies the replies module linked to this meeting. */
static json_t *
meeting_items_json(struct db *db, int64_t id, const char *tz)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, received_at, channel,"
	                               " member_id, body FROM inbound WHERE"
	                               " meeting_id = ? ORDER BY received_at,"
	                               " id");
	json_t *arr = json_array();

	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr,
		    json_pack("{s:I, s:o, s:s, s:o, s:o}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0),
		              "received_at",
		              iso_json(sqlite3_column_int64(st, 1), tz),
		              "channel", db_col_text(st, 2), "member_id",
		              sqlite3_column_type(st, 3) == SQLITE_NULL
		                  ? json_null()
		                  : json_integer(sqlite3_column_int64(st, 3)),
		              "body", str_json(db_col_text(st, 4))));
	sqlite3_reset(st);
	return arr;
}

/* The practice code and zone of a meeting. Caller frees both. */
static void
meeting_practice(struct db *db, int64_t practice_id, char **code, char **tz)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT code, timezone FROM practices"
	                               " WHERE id = ?");

	db_bind_int(st, 1, practice_id);
	*code = *tz = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*code = col_dup(st, 0);
		*tz = col_dup(st, 1);
	}
	sqlite3_reset(st);
}

json_t *
meeting_to_json(struct db *db, const struct meeting *m)
{
	char *code, *tz, *when;
	json_t *o;

	meeting_practice(db, m->practice_id, &code, &tz);
	when = meeting_when(m->at, tz);
	o = json_pack("{s:I, s:o, s:o, s:s, s:s, s:o, s:o}", "id",
	              (json_int_t)m->id, "practice", str_json(code), "at",
	              iso_json(m->at, tz), "when", when, "where", m->place,
	              "agenda", str_json(m->agenda), "minutes",
	              str_json(m->minutes));
	json_object_set_new(
	    o, "status",
	    json_string(meeting_status(m->status, m->at, time(NULL))));
	json_object_set_new(o, "campaigns",
	                    meeting_campaigns_json(db, m->id, tz));
	json_object_set_new(o, "agenda_items",
	                    meeting_items_json(db, m->id, tz));
	free(when);
	free(code);
	free(tz);
	return o;
}

json_t *
meeting_list_json(struct db *db, const char *practice_code)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT m.id, p.code, p.timezone, m.at, m.place,"
	        " m.minutes IS NOT NULL, (SELECT count(*) FROM inbound i"
	        " WHERE i.meeting_id = m.id), m.status FROM meetings m"
	        " JOIN practices p"
	        " ON p.id = m.practice_id WHERE (?1 IS NULL OR p.code = ?1)"
	        " ORDER BY m.at, m.id");
	json_t *arr = json_array();

	db_bind_text(st, 1, practice_code);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(
		    arr, json_pack("{s:I, s:s, s:o, s:s, s:b, s:i}", "id",
		                   (json_int_t)sqlite3_column_int64(st, 0),
		                   "practice", db_col_text(st, 1), "at",
		                   iso_json(sqlite3_column_int64(st, 3),
		                            db_col_text(st, 2)),
		                   "where", db_col_text(st, 4), "minutes",
		                   sqlite3_column_int(st, 5), "agenda_items",
		                   sqlite3_column_int(st, 6)));
		json_object_set_new(
		    json_array_get(arr, json_array_size(arr) - 1), "status",
		    json_string(meeting_status(db_col_text(st, 7),
		                               sqlite3_column_int64(st, 3),
		                               time(NULL))));
	}
	sqlite3_reset(st);
	return arr;
}
