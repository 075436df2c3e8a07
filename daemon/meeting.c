/* PPG meetings and the campaigns around them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "cron.h"
#include "evidence.h"
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

#define LINK_MAX 2000

int
meeting_link_ok(const char *link, char **cause)
{
	size_t i;

	if (link == NULL)
		return 0;
	if (strncmp(link, "https://", 8) != 0 &&
	    strncmp(link, "http://", 7) != 0) {
		*cause = xstrdup("--link must start with https:// or http://");
		return -1;
	}
	for (i = 0; link[i] != '\0'; i++)
		if ((unsigned char)link[i] <= ' ' || link[i] == '"' ||
		    link[i] == '<' || link[i] == '>' || link[i] == 0x7f ||
		    i >= LINK_MAX) {
			*cause =
			    xasprintf("--link must be a URL of at most %d "
			              "characters without spaces, quotes or "
			              "angle brackets",
			              LINK_MAX);
			return -1;
		}
	return 0;
}

static int
place_ok(const char *place, char **cause)
{
	if (place == NULL || *place == '\0' || util_has_crlf(place)) {
		*cause = xstrdup("a meeting needs --where, on one line");
		return -1;
	}
	return 0;
}

int
meeting_add(struct db *db, struct meeting *m, char **cause)
{
	sqlite3_stmt *st;

	if (place_ok(m->place, cause) == -1 ||
	    meeting_link_ok(m->link, cause) == -1)
		return -1;
	if (m->created_at == 0)
		m->created_at = time(NULL);
	st = db_stmt(db, "INSERT INTO meetings (practice_id, at, place, agenda,"
	                 " minutes, created_at, link, series_id)"
	                 " VALUES (?,?,?,?,?,?,?,nullif(?,0))");
	db_bind_int(st, 1, m->practice_id);
	db_bind_int(st, 2, m->at);
	db_bind_text(st, 3, m->place);
	db_bind_text(st, 4, m->agenda);
	db_bind_text(st, 5, m->minutes);
	db_bind_int(st, 6, m->created_at);
	db_bind_text(st, 7, m->link);
	db_bind_int(st, 8, m->series_id);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot add meeting: %s", db_errmsg(db));
		return -1;
	}
	m->id = db_last_id(db);
	db_audit(db, NULL, "meeting.add", "meeting", NULL);
	return 0;
}

int
meeting_set_series(struct db *db, int64_t id, int64_t series_id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE meetings SET series_id = ? WHERE id = ?");

	db_bind_int(st, 1, series_id);
	db_bind_int(st, 2, id);
	return db_done(db, st);
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
	m->link = col_dup(st, 8);
	m->series_id = sqlite3_column_int64(st, 9);
	m->published_at = sqlite3_column_int64(st, 10);
	m->feedback_to = col_dup(st, 11);
	*(struct meeting **)arg = m;
}

struct meeting *
meeting_get(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, practice_id, at, place,"
	                               " agenda, minutes, created_at, status,"
	                               " link, series_id, published_at,"
	                               " feedback_to"
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
	free(m->link);
	free(m->feedback_to);
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

int
meeting_publish(struct db *db, int64_t id, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE meetings SET published_at ="
	                               " coalesce(published_at, ?) WHERE id = ?"
	                               " AND minutes IS NOT NULL");

	db_bind_int(st, 1, time(NULL));
	db_bind_int(st, 2, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("meeting %lld has no minutes to publish",
		                   (long long)id);
		return -1;
	}
	db_audit(db, NULL, "meeting.publish", "meeting", NULL);
	return 0;
}

int
meeting_set_feedback_to(struct db *db, int64_t id, const char *to, char **cause)
{
	sqlite3_stmt *st;

	if (to != NULL && strcmp(to, "attended") != 0 &&
	    strcmp(to, "invited") != 0) {
		*cause = xasprintf("--feedback-to %s: attended or invited", to);
		return -1;
	}
	st = db_stmt(db, "UPDATE meetings SET feedback_to = ? WHERE id = ?");
	db_bind_text(st, 1, to);
	db_bind_int(st, 2, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		return -1;
	}
	return 0;
}

char *
meeting_feedback_audience(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT feedback_to, EXISTS (SELECT 1 FROM meeting_attendance"
	        " a WHERE a.meeting_id = m.id), EXISTS (SELECT 1 FROM campaigns"
	        " c JOIN runs r ON r.campaign_id = c.id WHERE c.meeting_id ="
	        " m.id AND c.kind IN ('invitation','meeting','reminder'))"
	        " FROM meetings m WHERE id = ?");
	const char *to;
	char *term = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		to = db_col_text(st, 0);
		/* By default: those who came, else those invited; a meeting
		 * whose invitation never went out is not narrowed. */
		if (to == NULL && sqlite3_column_int(st, 1))
			to = "attended";
		else if (to == NULL && sqlite3_column_int(st, 2))
			to = "invited";
		if (to != NULL)
			term = xasprintf("%s:%lld", to, (long long)id);
	}
	sqlite3_reset(st);
	return term;
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

int
meeting_move(struct db *db, int64_t id, int64_t at, const char *place,
             const char *link, char **cause)
{
	sqlite3_stmt *st;

	if ((place != NULL && place_ok(place, cause) == -1) ||
	    meeting_link_ok(link, cause) == -1)
		return -1;
	st = db_stmt(db, "UPDATE meetings SET at = coalesce(nullif(?1, 0), at),"
	                 " place = coalesce(?2, place),"
	                 " link = coalesce(?3, link),"
	                 " revision = revision + 1 WHERE id = ?4");
	db_bind_int(st, 1, at);
	db_bind_text(st, 2, place);
	db_bind_text(st, 3, link);
	db_bind_int(st, 4, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		return -1;
	}
	db_audit(db, NULL, "meeting.update", "meeting", NULL);
	return 0;
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

static int
attendee_ok(struct db *db, const struct meeting *m,
            const struct meeting_attendee *a, char **cause)
{
	sqlite3_stmt *st;
	int found;

	if (a->member_id == 0) {
		if (a->name == NULL || *a->name == '\0' ||
		    util_has_crlf(a->name) || strlen(a->name) > 200) {
			*cause = xstrdup("a staff or GP partner name is one "
			                 "line of at most 200 characters");
			return -1;
		}
		return 0;
	}
	st = db_stmt(db, "SELECT 1 FROM members WHERE id = ? AND"
	                 " practice_id = ? AND erased_at IS NULL");
	db_bind_int(st, 1, a->member_id);
	db_bind_int(st, 2, m->practice_id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		*cause = xasprintf("no member %lld at the meeting's practice",
		                   (long long)a->member_id);
	return found ? 0 : -1;
}

static int
attendee_insert(struct db *db, int64_t id, const struct meeting_attendee *a,
                int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO meeting_attendance (meeting_id, member_id, name,"
	        " role, recorded_at) VALUES (?, nullif(?, 0), ?, ?, ?)");

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, a->member_id);
	db_bind_text(st, 3, a->member_id == 0 ? a->name : NULL);
	db_bind_text(st, 4, a->role);
	db_bind_int(st, 5, now);
	return db_done(db, st);
}

/* The GP partner's attendance as evidence for the framework. */
static int
attendance_evidence(struct db *db, const struct meeting *m, const char *name,
                    char **cause)
{
	struct evidence_new e = {0};
	char *code, *tz, day[16], *title;
	struct tm tm;
	int64_t eid;
	int rc;

	meeting_practice(db, m->practice_id, &code, &tz);
	if (cron_localtime((time_t)m->at, tz, &tm) == -1)
		util_format_date(m->at, day);
	else
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
	title = xasprintf("GP partner %s attended the meeting", name);
	e.practice = code;
	e.kind = "gp-partner-attended";
	e.day = day;
	e.title = title;
	e.meeting_id = m->id;
	rc = evidence_add(db, &e, &eid, cause);
	free(title);
	free(code);
	free(tz);
	return rc;
}

/* Drop an earlier record: its rows and the evidence it made. */
static int
attendance_clear(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM meeting_attendance"
	                               " WHERE meeting_id = ?");
	int64_t *ids = NULL;
	size_t n = 0, i;
	char *cause = NULL;
	int rc = 0;

	db_bind_int(st, 1, id);
	if (db_done(db, st) == -1)
		return -1;
	st = db_stmt(db, "SELECT id FROM evidence WHERE meeting_id = ? AND"
	                 " kind = 'gp-partner-attended' AND removed_at IS NULL"
	                 " AND title LIKE 'GP partner % attended the meeting'");
	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; i < n && rc == 0; i++)
		if ((rc = evidence_remove(db, ids[i], &cause)) == -1)
			free(cause);
	free(ids);
	return rc;
}

int
meeting_attendance_set(struct db *db, int64_t id,
                       const struct meeting_attendee *a, size_t n, char **cause)
{
	struct meeting *m = meeting_get(db, id);
	int64_t now = time(NULL);
	size_t i;
	int rc = -1;

	if (m == NULL) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		return -1;
	}
	if (m->status != NULL && strcmp(m->status, "cancelled") == 0) {
		*cause = xasprintf("meeting %lld was cancelled", (long long)id);
		goto out;
	}
	if (attendance_clear(db, id) == -1)
		goto dberr;
	for (i = 0; i < n; i++) {
		if (attendee_ok(db, m, &a[i], cause) == -1)
			goto out;
		if (attendee_insert(db, id, &a[i], now) == -1)
			goto dberr;
		if (strcmp(a[i].role, "gp-partner") == 0 &&
		    attendance_evidence(db, m, a[i].name, cause) == -1)
			goto out;
	}
	rc = meeting_set_status(db, id, "held", cause);
	db_audit(db, NULL, "meeting.attendance", "meeting", NULL);
	goto out;
dberr:
	*cause = xasprintf("cannot record attendance: %s", db_errmsg(db));
out:
	meeting_free(m);
	return rc;
}

int
meeting_member_by_name(struct db *db, int64_t practice_id, const char *name,
                       int64_t *id, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT id FROM members WHERE practice_id = ? AND"
	        " erased_at IS NULL AND lower(trim(coalesce(first_name, '') ||"
	        " ' ' || coalesce(last_name, ''))) = lower(trim(?)) LIMIT 2");
	int n = 0;

	db_bind_int(st, 1, practice_id);
	db_bind_text(st, 2, name);
	while (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (n == 1)
		return 0;
	*cause = n == 0 ? xstrdup("no member of that name at the practice")
	                : xstrdup("two members have that name: give the "
	                          "member id");
	return -1;
}

static int
days_in_month(int year, int mon)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 1 && leap ? 29 : days[mon];
}

int
meeting_step(int64_t at, const char *tz, int n, char unit, int64_t *out)
{
	struct tm tm;
	char buf[32], *cause = NULL;
	time_t t;
	int months;

	if (cron_localtime((time_t)at, tz, &tm) == -1)
		return -1;
	if (unit == 'w')
		tm.tm_mday += 7 * n;
	else {
		months = tm.tm_mon + n;
		tm.tm_year += months / 12;
		tm.tm_mon = months % 12;
		if (tm.tm_mday > days_in_month(tm.tm_year + 1900, tm.tm_mon))
			tm.tm_mday =
			    days_in_month(tm.tm_year + 1900, tm.tm_mon);
	}
	/* Normalise the date only (timegm ignores any zone), then read the
	 * wall-clock time back in the practice's zone. */
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	if (cron_parse_iso(buf, tz, &t, &cause) == -1) {
		free(cause);
		return -1;
	}
	*out = (int64_t)t;
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

/* The zone of practice id. Caller frees; NULL if none. */
static char *
practice_tz(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT timezone FROM practices"
	                               " WHERE id = ?");
	char *tz = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		tz = col_dup(st, 0);
	sqlite3_reset(st);
	return tz;
}

/* One meeting of a series, in the caller's transaction. */
static int
series_one(struct db *db, const struct config *cfg, struct meeting *m,
           const struct meeting_series *sr, int with_campaigns,
           const char *channels, const char *audience, char **cause)
{
	m->id = 0;
	if (meeting_add(db, m, cause) == -1 ||
	    (sr->feedback_to != NULL &&
	     meeting_set_feedback_to(db, m->id, sr->feedback_to, cause) ==
	         -1) ||
	    (with_campaigns && meeting_add_campaigns(db, cfg, m, channels,
	                                             audience, cause) == -1))
		return -1;
	return 0;
}

static int
series_all(struct db *db, const struct config *cfg, struct meeting *m,
           const struct meeting_series *sr, int with_campaigns,
           const char *channels, const char *audience, int64_t *ids,
           char **cause)
{
	char *tz = practice_tz(db, m->practice_id);
	int64_t first = m->at;
	int i, rc = 0;

	for (i = 0; i < sr->count && rc == 0; i++) {
		if (i > 0 && meeting_step(first, tz, sr->every * i, sr->unit,
		                          &m->at) == -1) {
			*cause = xstrdup("cannot compute the series' dates");
			rc = -1;
		} else if ((rc = series_one(db, cfg, m, sr, with_campaigns,
		                            channels, audience, cause)) == 0) {
			ids[i] = m->id;
			m->series_id = sr->count > 1 ? ids[0] : 0;
		}
	}
	free(tz);
	if (rc == 0 && sr->count > 1 &&
	    meeting_set_series(db, ids[0], ids[0]) == -1)
		rc = -1;
	return rc;
}

int
meeting_create_series(struct db *db, const struct config *cfg,
                      struct meeting *m, const struct meeting_series *sr,
                      int with_campaigns, const char *channels,
                      const char *audience, int64_t *ids, char **cause)
{
	*cause = NULL;
	if (sr->count < 1 || sr->count > MEETING_SERIES_MAX) {
		*cause = xasprintf("a series is 1 to %d meetings",
		                   MEETING_SERIES_MAX);
		return -1;
	}
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	if (series_all(db, cfg, m, sr, with_campaigns, channels, audience, ids,
	               cause) == -1 ||
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

/* Members' replies: counts and who is coming (staff see names). */
static json_t *
meeting_replies_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT r.answer, r.member_id, r.channel, trim(coalesce("
	        "m.first_name, '') || ' ' || coalesce(m.last_name, ''))"
	        " FROM meeting_replies r JOIN members m ON m.id = r.member_id"
	        " WHERE r.meeting_id = ? AND m.erased_at IS NULL"
	        " ORDER BY r.at, r.member_id");
	json_t *coming = json_array();
	int yes = 0, no = 0;

	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp(db_col_text(st, 0), "no") == 0) {
			no++;
			continue;
		}
		yes++;
		json_array_append_new(
		    coming, json_pack("{s:I, s:s, s:s}", "member_id",
		                      (json_int_t)sqlite3_column_int64(st, 1),
		                      "name", db_col_text(st, 3), "channel",
		                      db_col_text(st, 2)));
	}
	sqlite3_reset(st);
	return json_pack("{s:i, s:i, s:o}", "yes", yes, "no", no, "coming",
	                 coming);
}

static json_t *
meeting_attendance_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT a.role, a.member_id, coalesce(a.name, trim(coalesce("
	        "m.first_name, '') || ' ' || coalesce(m.last_name, '')))"
	        " FROM meeting_attendance a LEFT JOIN members m"
	        " ON m.id = a.member_id WHERE a.meeting_id = ? ORDER BY a.id");
	json_t *arr = json_array();

	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:o, s:s}", "role", db_col_text(st, 0),
		              "member_id",
		              sqlite3_column_type(st, 1) == SQLITE_NULL
		                  ? json_null()
		                  : json_integer(sqlite3_column_int64(st, 1)),
		              "name", db_col_text(st, 2)));
	sqlite3_reset(st);
	return arr;
}

/* The actions that came from meeting id (0: none). */
static json_t *
meeting_actions_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, area, title, status FROM"
	                               " actions WHERE meeting_id = ?"
	                               " ORDER BY id");
	json_t *arr = json_array();

	db_bind_int(st, 1, id);
	while (id != 0 && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr,
		    json_pack("{s:I, s:s, s:s, s:s}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "area",
		              db_col_text(st, 1), "title", db_col_text(st, 2),
		              "status", db_col_text(st, 3)));
	sqlite3_reset(st);
	return arr;
}

/* The practice's meeting before m that was not cancelled, or 0. */
static int64_t
meeting_previous(struct db *db, const struct meeting *m)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT id FROM meetings WHERE practice_id = ?1 AND"
	        " (at < ?2 OR at = ?2 AND id < ?3) AND"
	        " coalesce(status, '') <> 'cancelled' ORDER BY at DESC, id DESC"
	        " LIMIT 1");
	int64_t id = 0;

	db_bind_int(st, 1, m->practice_id);
	db_bind_int(st, 2, m->at);
	db_bind_int(st, 3, m->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

char *
meeting_review_ids(struct db *db, const struct meeting *m)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT group_concat(id) FROM (SELECT"
	                               " id FROM actions WHERE meeting_id = ?"
	                               " ORDER BY id)");
	int64_t prev = meeting_previous(db, m);
	char *ids = NULL;

	db_bind_int(st, 1, prev);
	if (prev != 0 && sqlite3_step(st) == SQLITE_ROW &&
	    db_col_text(st, 0) != NULL)
		ids = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return ids;
}

json_t *
meeting_to_json(struct db *db, const struct meeting *m)
{
	char *code, *tz, *when;
	int64_t prev;
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
	json_object_set_new(o, "link", str_json(m->link));
	json_object_set_new(o, "published", json_boolean(m->published_at != 0));
	json_object_set_new(o, "feedback_to", str_json(m->feedback_to));
	json_object_set_new(o, "series",
	                    m->series_id != 0 ? json_integer(m->series_id)
	                                      : json_null());
	json_object_set_new(o, "replies", meeting_replies_json(db, m->id));
	json_object_set_new(o, "attendance",
	                    meeting_attendance_json(db, m->id));
	json_object_set_new(o, "actions", meeting_actions_json(db, m->id));
	prev = meeting_previous(db, m);
	json_object_set_new(o, "previous_meeting",
	                    prev != 0 ? json_integer(prev) : json_null());
	json_object_set_new(o, "previous_actions",
	                    meeting_actions_json(db, prev));
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
