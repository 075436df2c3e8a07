/* Campaigns: validation, storage, and when each fires next. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "campaign.h"
#include "cron.h"
#include "fire.h"
#include "meeting.h"
#include "outbox.h"
#include "survey_store.h"
#include "util.h"
#include "xmalloc.h"

#define NAME_MAX_LEN  100
#define MAX_REMINDERS 10

static const struct kind {
	const char *name;
	const char *template;
	int needs_survey;
} kinds[] = {
    {"survey", "survey-invitation", 1},
    {"invitation", "meeting-invitation", 0},
    {"meeting", "meeting-invitation", 0},
    {"feedback", "post-meeting-feedback", 1},
    {"broadcast", "broadcast", 0},
    {"reminder", "meeting-reminder", 0},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

#define CAMPAIGN_COLS                                                          \
	"c.id, c.name, c.practice_id, p.code, p.timezone, c.kind,"             \
	" c.survey_id, s.slug, c.template, c.channels, c.audience,"            \
	" c.schedule, c.at, c.meeting_id, c.offset_s, c.remind_after_s,"       \
	" c.max_reminders, c.message, c.action_ids, c.state,"                  \
	" c.next_fire_at, c.created_at FROM campaigns c JOIN practices p"      \
	" ON p.id = c.practice_id LEFT JOIN surveys s ON s.id = c.survey_id"

static const struct kind *
kind_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const char *
campaign_kind_template(size_t i)
{
	return i < NKINDS ? kinds[i].template : NULL;
}

const char *
campaign_default_template(const char *kind)
{
	const struct kind *k = kind_find(kind);

	return k != NULL ? k->template : NULL;
}

struct campaign *
campaign_new(void)
{
	struct campaign *c = xcalloc(1, sizeof *c);

	c->channels = xstrdup("email,sms");
	c->audience = xstrdup("everyone");
	c->state = xstrdup("active");
	return c;
}

void
campaign_free(struct campaign *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->practice_code);
	free(c->timezone);
	free(c->kind);
	free(c->survey_slug);
	free(c->template);
	free(c->channels);
	free(c->audience);
	free(c->schedule);
	free(c->message);
	free(c->action_ids);
	free(c->state);
	free(c);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s != NULL ? xstrdup(s) : NULL;
}

static struct campaign *
campaign_row(sqlite3_stmt *st)
{
	struct campaign *c = xcalloc(1, sizeof *c);

	c->id = sqlite3_column_int64(st, 0);
	c->name = col_dup(st, 1);
	c->practice_id = sqlite3_column_int64(st, 2);
	c->practice_code = col_dup(st, 3);
	c->timezone = col_dup(st, 4);
	c->kind = col_dup(st, 5);
	c->survey_id = sqlite3_column_int64(st, 6);
	c->survey_slug = col_dup(st, 7);
	c->template = col_dup(st, 8);
	c->channels = col_dup(st, 9);
	c->audience = col_dup(st, 10);
	c->schedule = col_dup(st, 11);
	c->at = sqlite3_column_int64(st, 12);
	c->meeting_id = sqlite3_column_int64(st, 13);
	c->offset_s = sqlite3_column_int64(st, 14);
	c->remind_after_s = sqlite3_column_int64(st, 15);
	c->max_reminders = sqlite3_column_int(st, 16);
	c->message = col_dup(st, 17);
	c->action_ids = col_dup(st, 18);
	c->state = col_dup(st, 19);
	c->next_fire_at = sqlite3_column_int64(st, 20);
	c->created_at = sqlite3_column_int64(st, 21);
	return c;
}

static void
campaign_row_fn(sqlite3_stmt *st, void *arg)
{
	*(struct campaign **)arg = campaign_row(st);
}

/* The one campaign st selects, or NULL. Caller frees. */
static struct campaign *
campaign_load(struct db *db, sqlite3_stmt *st)
{
	struct campaign *c = NULL;

	db_row(db, st, campaign_row_fn, &c);
	return c;
}

struct campaign *
campaign_find(struct db *db, const char *name)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT " CAMPAIGN_COLS " WHERE c.name = ?");

	db_bind_text(st, 1, name);
	return campaign_load(db, st);
}

struct campaign *
campaign_get(struct db *db, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT " CAMPAIGN_COLS " WHERE c.id = ?");

	db_bind_int(st, 1, id);
	return campaign_load(db, st);
}

/* The meeting-relative time of c, or 0 (and *meeting_at). */
static int64_t
meeting_time(struct db *db, const struct campaign *c, int64_t *meeting_at)
{
	struct meeting *m = meeting_get(db, c->meeting_id);
	int64_t t;

	if (m == NULL)
		return 0;
	t = m->at + c->offset_s;
	if (meeting_at != NULL)
		*meeting_at = m->at;
	meeting_free(m);
	return t;
}

static int64_t
cron_after(const struct campaign *c, int64_t after)
{
	struct cron *cr;
	char *cause = NULL;
	time_t t;

	if (cron_parse(c->schedule, &cr, &cause) == -1) {
		free(cause);
		return 0;
	}
	t = cron_next(cr, (time_t)after, c->timezone);
	cron_free(cr);
	return t == (time_t)-1 ? 0 : (int64_t)t;
}

int64_t
campaign_next_after(struct db *db, const struct campaign *c, int64_t after)
{
	int64_t t;

	if (c->schedule != NULL)
		return cron_after(c, after);
	if (c->at != 0)
		return c->at > after ? c->at : 0;
	if (c->meeting_id != 0) {
		t = meeting_time(db, c, NULL);
		return t > after ? t : 0;
	}
	return 0;
}

int
campaign_fire_times(struct db *db, const struct campaign *c, int64_t from,
                    int64_t *out, int n)
{
	int k = 0;

	if (strcmp(c->state, "done") == 0)
		return 0;
	if (c->schedule == NULL) {
		if (c->next_fire_at != 0 && n > 0)
			out[k++] = c->next_fire_at;
		return k;
	}
	for (; k < n; k++) {
		if ((from = cron_after(c, from)) == 0)
			break;
		out[k] = from;
	}
	return k;
}

/*
 * The first fire of a new campaign: the next cron time, --at, or the meeting
 * time plus offset. A meeting notice whose time has passed goes at once if
 * the meeting is still to come (or it is the feedback after it); one for a
 * meeting already held is not sent. 0: fired only by campaign send.
 */
static int64_t
first_fire(struct db *db, const struct campaign *c, int64_t now)
{
	int64_t t, mat = 0;

	if (c->schedule != NULL)
		return cron_after(c, now);
	if (c->at != 0)
		return c->at;
	if (c->meeting_id == 0)
		return 0;
	t = meeting_time(db, c, &mat);
	if (t > now)
		return t;
	return mat <= now && c->offset_s <= 0 ? 0 : now;
}

static int
name_ok(const char *name, char **cause)
{
	const char *s;

	if (name == NULL || *name == '\0' || *name == '-' ||
	    strlen(name) > NAME_MAX_LEN) {
		*cause =
		    xasprintf("a campaign name is 1-%d characters and does "
		              "not start with '-'",
		              NAME_MAX_LEN);
		return -1;
	}
	for (s = name; *s != '\0'; s++) {
		if (iscntrl((unsigned char)*s)) {
			*cause = xstrdup("a campaign name may not contain "
			                 "control characters");
			return -1;
		}
	}
	return 0;
}

static int
check_schedule(struct db *db, const struct campaign *c, char **cause)
{
	struct meeting *m;
	struct cron *cr;
	int n = (c->schedule != NULL) + (c->at != 0) + (c->meeting_id != 0);

	if (n > 1) {
		*cause = xstrdup("give one of --schedule, --at, --meeting");
		return -1;
	}
	if (c->schedule != NULL) {
		if (cron_parse(c->schedule, &cr, cause) == -1)
			return -1;
		cron_free(cr);
	}
	if (c->meeting_id != 0) {
		m = meeting_get(db, c->meeting_id);
		n = m != NULL && m->practice_id == c->practice_id;
		meeting_free(m);
		if (!n) {
			*cause = xasprintf("no meeting %lld at this practice",
			                   (long long)c->meeting_id);
			return -1;
		}
	}
	return 0;
}

static int
check_reminders(struct campaign *c, char **cause)
{
	if (c->remind_after_s < 0 || c->max_reminders < 0 ||
	    c->max_reminders > MAX_REMINDERS) {
		*cause = xasprintf("--max-reminders is 1-%d and --remind-after "
		                   "a positive duration",
		                   MAX_REMINDERS);
		return -1;
	}
	if (c->max_reminders > 0 && c->remind_after_s == 0) {
		*cause = xstrdup("--max-reminders needs --remind-after");
		return -1;
	}
	if (c->remind_after_s > 0 && c->survey_id == 0) {
		*cause = xstrdup("reminders need a survey (--survey)");
		return -1;
	}
	if (c->remind_after_s > 0 && c->max_reminders == 0)
		c->max_reminders = 1;
	return 0;
}

static int
check_audience(struct db *db, struct campaign *c, char **cause)
{
	struct aud_scope sc;
	struct audience *a;
	int rc;

	if (audience_channels(c->channels, &sc, cause) == -1)
		return -1;
	if (audience_parse(c->audience, &a, cause) == -1)
		return -1;
	rc = audience_check(db, a, cause);
	audience_free(a);
	return rc;
}

/* Everything but the templates; fills in the defaults. */
static int
campaign_validate(struct db *db, struct campaign *c, int64_t now, char **cause)
{
	const struct kind *k = kind_find(c->kind);
	struct campaign *old;

	if (name_ok(c->name, cause) == -1)
		return -1;
	if ((old = campaign_find(db, c->name)) != NULL) {
		campaign_free(old);
		*cause = xasprintf("campaign %s already exists", c->name);
		return -1;
	}
	if (k == NULL) {
		*cause = xasprintf("unknown kind %s (survey, invitation, "
		                   "meeting, feedback, broadcast, reminder)",
		                   c->kind ? c->kind : "");
		return -1;
	}
	if (k->needs_survey && c->survey_id == 0) {
		*cause = xasprintf("a %s campaign needs --survey", c->kind);
		return -1;
	}
	if (c->template == NULL)
		c->template = xstrdup(k->template);
	if (c->at != 0 && c->at <= now) {
		*cause =
		    xstrdup("--at is in the past (campaign send fires now)");
		return -1;
	}
	if (check_audience(db, c, cause) == -1 ||
	    check_schedule(db, c, cause) == -1)
		return -1;
	return check_reminders(c, cause);
}

static int
campaign_insert(struct db *db, struct campaign *c, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO campaigns (name, practice_id, kind, survey_id,"
	        " template, channels, audience, schedule, at, meeting_id,"
	        " offset_s, remind_after_s, max_reminders, message,"
	        " action_ids, state, next_fire_at, created_at) VALUES"
	        " (?1, ?2, ?3, nullif(?4, 0), ?5, ?6, ?7, ?8, nullif(?9, 0),"
	        " nullif(?10, 0), ?11, nullif(?12, 0), ?13, ?14, ?15, ?16,"
	        " nullif(?17, 0), ?18)");

	db_bind_text(st, 1, c->name);
	db_bind_int(st, 2, c->practice_id);
	db_bind_text(st, 3, c->kind);
	db_bind_int(st, 4, c->survey_id);
	db_bind_text(st, 5, c->template);
	db_bind_text(st, 6, c->channels);
	db_bind_text(st, 7, c->audience);
	db_bind_text(st, 8, c->schedule);
	db_bind_int(st, 9, c->at);
	db_bind_int(st, 10, c->meeting_id);
	if (c->meeting_id != 0)
		db_bind_int(st, 11, c->offset_s);
	db_bind_int(st, 12, c->remind_after_s);
	db_bind_int(st, 13, c->max_reminders);
	db_bind_text(st, 14, c->message);
	db_bind_text(st, 15, c->action_ids);
	db_bind_text(st, 16, c->state);
	db_bind_int(st, 17, c->next_fire_at);
	db_bind_int(st, 18, c->created_at);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot add campaign: %s", db_errmsg(db));
		return -1;
	}
	c->id = db_last_id(db);
	return 0;
}

/* Fill in what a load would: practice code and zone, survey slug. */
static int
campaign_resolve(struct db *db, struct campaign *c, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT code, timezone FROM practices"
	                               " WHERE id = ?");
	int found;

	db_bind_int(st, 1, c->practice_id);
	if ((found = sqlite3_step(st) == SQLITE_ROW)) {
		free(c->practice_code);
		free(c->timezone);
		c->practice_code = col_dup(st, 0);
		c->timezone = col_dup(st, 1);
	}
	sqlite3_reset(st);
	if (!found) {
		*cause = xstrdup("no such practice");
		return -1;
	}
	free(c->survey_slug);
	c->survey_slug = NULL;
	if (c->survey_id != 0 &&
	    (c->survey_slug = survey_store_slug(db, c->survey_id)) == NULL) {
		*cause = xasprintf("no survey %lld", (long long)c->survey_id);
		return -1;
	}
	return 0;
}

int
campaign_add(struct db *db, const struct config *cfg, struct campaign *c,
             int64_t now, char **cause)
{
	if (campaign_resolve(db, c, cause) == -1 ||
	    campaign_validate(db, c, now, cause) == -1 ||
	    fire_check(db, cfg, c, cause) == -1)
		return -1;
	c->created_at = now;
	c->next_fire_at = first_fire(db, c, now);
	free(c->state);
	c->state = xstrdup(
	    c->next_fire_at == 0 && c->meeting_id != 0 ? "done" : "active");
	if (campaign_insert(db, c, cause) == -1)
		return -1;
	db_audit(db, NULL, "campaign.add", c->name, c->kind);
	return 0;
}

static int
store_next(struct db *db, struct campaign *c)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE campaigns SET state = ?2,"
	                               " next_fire_at = nullif(?3, 0)"
	                               " WHERE id = ?1");

	db_bind_int(st, 1, c->id);
	db_bind_text(st, 2, c->state);
	db_bind_int(st, 3, c->next_fire_at);
	return db_done(db, st);
}

int
campaign_advance(struct db *db, struct campaign *c, int64_t fired_for,
                 int64_t now)
{
	if (c->schedule != NULL)
		c->next_fire_at =
		    cron_after(c, fired_for > now ? fired_for : now);
	else
		c->next_fire_at = 0;
	if (c->next_fire_at == 0 && strcmp(c->state, "active") == 0) {
		free(c->state);
		c->state = xstrdup("done");
	}
	return store_next(db, c);
}

int
campaign_retime(struct db *db, struct campaign *c, int64_t now)
{
	int64_t t;

	if (c->meeting_id == 0)
		return 0;
	/* An invitation sent already is not sent again: those invited are
	 * told the meeting moved instead. */
	if (strcmp(c->state, "done") == 0 && strcmp(c->kind, "invitation") == 0)
		return 0;
	t = first_fire(db, c, now);
	c->next_fire_at = t;
	if (strcmp(c->state, "paused") != 0) {
		free(c->state);
		c->state = xstrdup(t == 0 ? "done" : "active");
	}
	return store_next(db, c);
}

int
campaign_finish(struct db *db, struct campaign *c)
{
	free(c->state);
	c->state = xstrdup("done");
	c->next_fire_at = 0;
	if (store_next(db, c) == -1)
		return -1;
	db_audit(db, NULL, "campaign.finish", c->name, NULL);
	return 0;
}

int
campaign_set_state(struct db *db, struct campaign *c, const char *state,
                   int64_t now, char **cause)
{
	int resume = strcmp(state, "active") == 0;

	if (strcmp(c->state, "done") == 0) {
		*cause = xasprintf("campaign %s is done", c->name);
		return -1;
	}
	if (strcmp(c->state, state) == 0) {
		*cause = xasprintf("campaign %s is %s already", c->name,
		                   resume ? "active" : "paused");
		return -1;
	}
	free(c->state);
	c->state = xstrdup(state);
	/* Cron fires missed while paused are skipped; a one-shot keeps its
	 * time and so goes at once if that has passed. */
	if (resume && c->schedule != NULL)
		c->next_fire_at = cron_after(c, now);
	if (store_next(db, c) == -1) {
		*cause = xasprintf("cannot update campaign: %s", db_errmsg(db));
		return -1;
	}
	db_audit(db, NULL, resume ? "campaign.resume" : "campaign.pause",
	         c->name, NULL);
	return 0;
}

int
campaign_delete(struct db *db, struct campaign *c, char **cause)
{
	sqlite3_stmt *st;

	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	st = db_stmt(db, "DELETE FROM campaigns WHERE id = ?");
	db_bind_int(st, 1, c->id);
	if (db_done(db, st) == -1 ||
	    db_audit(db, NULL, "campaign.delete", c->name, NULL) == -1 ||
	    db_commit(db) == -1) {
		*cause = xasprintf("cannot delete campaign: %s", db_errmsg(db));
		db_rollback(db);
		return -1;
	}
	return 0;
}

const char *
campaign_iso(const struct campaign *c, int64_t t, char buf[32])
{
	if (cron_format_iso((time_t)t, c->timezone, buf, 32) == -1)
		util_format_time(t, buf);
	return buf;
}

/* A schedule time: in the practice's zone, with its offset. */
static json_t *
time_json(const struct campaign *c, int64_t t)
{
	char buf[32];

	return t != 0 ? json_string(campaign_iso(c, t, buf)) : json_null();
}

/* A record time (when something happened): UTC, as every other record
 * time in JSON (2026-03-01T09:00:00Z). */
static json_t *
utc_json(int64_t t)
{
	char buf[21];

	return t != 0 ? json_string(util_format_time(t, buf)) : json_null();
}

static json_t *
str_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
int_json(int64_t v)
{
	return v != 0 ? json_integer(v) : json_null();
}

static json_t *
channels_json(const char *channels)
{
	struct aud_scope sc;
	json_t *a = json_array();
	char *cause = NULL;
	int i;

	if (audience_channels(channels, &sc, &cause) == -1)
		free(cause);
	else
		for (i = 0; i < sc.nchannels; i++)
			json_array_append_new(a, json_string(sc.channels[i]));
	return a;
}

json_t *
campaign_to_json(const struct campaign *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "practice", str_json(c->practice_code));
	json_object_set_new(o, "kind", json_string(c->kind));
	json_object_set_new(o, "survey", str_json(c->survey_slug));
	json_object_set_new(o, "template", json_string(c->template));
	json_object_set_new(o, "channels", channels_json(c->channels));
	json_object_set_new(o, "audience", json_string(c->audience));
	json_object_set_new(o, "schedule", str_json(c->schedule));
	json_object_set_new(o, "at", time_json(c, c->at));
	json_object_set_new(o, "meeting", int_json(c->meeting_id));
	json_object_set_new(o, "offset_s",
	                    c->meeting_id != 0 ? json_integer(c->offset_s)
	                                       : json_null());
	json_object_set_new(o, "remind_after_s", int_json(c->remind_after_s));
	json_object_set_new(o, "max_reminders", json_integer(c->max_reminders));
	json_object_set_new(o, "message", str_json(c->message));
	json_object_set_new(o, "actions", str_json(c->action_ids));
	json_object_set_new(o, "state", json_string(c->state));
	json_object_set_new(o, "next_fire_at", time_json(c, c->next_fire_at));
	json_object_set_new(o, "created_at", utc_json(c->created_at));
	return o;
}

json_t *
campaign_list_json(struct db *db, const char *practice_code)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " CAMPAIGN_COLS " WHERE"
	                               " (?1 IS NULL OR p.code = ?1)"
	                               " ORDER BY c.name");
	json_t *arr = json_array();
	struct campaign *c;

	db_bind_text(st, 1, practice_code);
	while (sqlite3_step(st) == SQLITE_ROW) {
		c = campaign_row(st);
		json_array_append_new(arr, campaign_to_json(c));
		campaign_free(c);
	}
	sqlite3_reset(st);
	return arr;
}

json_t *
campaign_runs_json(struct db *db, const struct campaign *c)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, scheduled_for, reminder,"
	                               " fired_at, messages, firing FROM runs"
	                               " WHERE campaign_id = ? ORDER BY id");
	json_t *arr = json_array();

	db_bind_int(st, 1, c->id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr,
		    json_pack("{s:I, s:o, s:i, s:o, s:i, s:b}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0),
		              "scheduled_for",
		              time_json(c, sqlite3_column_int64(st, 1)),
		              "reminder", sqlite3_column_int(st, 2), "fired_at",
		              utc_json(sqlite3_column_int64(st, 3)), "messages",
		              sqlite3_column_int(st, 4), "firing",
		              sqlite3_column_int(st, 5)));
	sqlite3_reset(st);
	return arr;
}

int
campaign_parse_offset(const char *s, int64_t *out)
{
	long long v;
	int neg = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s == '-' || *s == '+' || config_parse_duration(s, &v) == -1)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

char *
campaign_broadcast_name(struct db *db, const char *tz)
{
	struct campaign *old;
	struct tm tm;
	char day[40], *name;
	int n = 1;

	cron_localtime(time(NULL), tz, &tm);
	strftime(day, sizeof day, "%-d %B %Y", &tm);
	name = xasprintf("News from the patient group, %s", day);
	while ((old = campaign_find(db, name)) != NULL) {
		campaign_free(old);
		free(name);
		name =
		    xasprintf("News from the patient group, %s (%d)", day, ++n);
	}
	return name;
}

json_t *
campaign_show_json(struct db *db, const struct campaign *c)
{
	json_t *o = campaign_to_json(c), *fires = json_array();
	int64_t t[CAMPAIGN_NEXT_FIRES];
	char buf[32];
	int n, i;

	n = campaign_fire_times(db, c, time(NULL), t, CAMPAIGN_NEXT_FIRES);
	for (i = 0; i < n; i++)
		json_array_append_new(fires,
		                      json_string(campaign_iso(c, t[i], buf)));
	json_object_set_new(o, "next_fires", fires);
	json_object_set_new(o, "runs", campaign_runs_json(db, c));
	json_object_set_new(o, "outbox", outbox_counts(db, c->name));
	return o;
}

int
campaign_add_action(struct campaign *c, const char *v)
{
	char *end, *n;
	long long id = strtoll(v, &end, 10);

	if (*v == '\0' || *end != '\0' || id <= 0)
		return -1;
	n = c->action_ids ? xasprintf("%s,%lld", c->action_ids, id)
	                  : xasprintf("%lld", id);
	free(c->action_ids);
	c->action_ids = n;
	return 0;
}
