/* Campaigns: what to send, to whom and when. */
#ifndef PPGD_CAMPAIGN_H
#define PPGD_CAMPAIGN_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

/* Times are seconds since the epoch; 0 means none. */
struct campaign {
	int64_t id;
	char *name;
	int64_t practice_id;
	char *practice_code; /* filled by load */
	char *timezone;      /* the practice's, filled by load */
	char *kind;          /* survey|invitation|meeting|feedback|broadcast|
	                        reminder */
	int64_t survey_id;   /* the version chosen at add; a fire uses the
	                        latest version of its slug */
	char *survey_slug;   /* filled by load */
	char *template;
	char *channels; /* "email,sms": order of preference */
	char *audience;
	char *schedule; /* cron */
	int64_t at;
	int64_t meeting_id;
	int64_t offset_s; /* from the meeting */
	int64_t remind_after_s;
	int max_reminders;
	char *message;
	char *action_ids; /* "3,7" for actions.list, or NULL: the plan */
	char *state;      /* active|paused|done */
	int64_t next_fire_at;
	int64_t created_at;
};

struct campaign *campaign_new(void);
void campaign_free(struct campaign *);
/* The template a kind uses when none is given, or NULL for an unknown kind. */
const char *campaign_default_template(const char *kind);
/* The template of the i-th campaign kind (0, 1, ...); NULL past the last. */
const char *campaign_kind_template(size_t i);
/*
 * Validate c (practice_id, kind, name, channels, audience, schedule,
 * templates, reminders), compute its first fire time and insert it; sets
 * c->id and c->next_fire_at. -1 with *cause when refused.
 */
int campaign_add(struct db *, const struct config *, struct campaign *,
                 int64_t now, char **cause);
/* Load by name or id. Caller frees. NULL if none. */
struct campaign *campaign_find(struct db *, const char *name);
struct campaign *campaign_get(struct db *, int64_t id);
/* The first fire time strictly after `after`, or 0 if there is none. */
int64_t campaign_next_after(struct db *, const struct campaign *,
                            int64_t after);
/* Up to n coming fire times from `from` into out; returns how many. */
int campaign_fire_times(struct db *, const struct campaign *, int64_t from,
                        int64_t *out, int n);
/* After the fire scheduled for `fired_for` (made or skipped): set the next
 * fire time, or mark a one-shot campaign done. */
int campaign_advance(struct db *, struct campaign *, int64_t fired_for,
                     int64_t now);
/* After its meeting moved: the next fire of a meeting campaign from now
 * (a reminder or feedback sent for the old time goes again for the new;
 * an invitation sent already does not). */
int campaign_retime(struct db *, struct campaign *, int64_t now);
/* Stop a campaign for good (its meeting was cancelled): done, no next fire. */
int campaign_finish(struct db *, struct campaign *);
/* Pause or resume (resume recomputes the next fire from now). */
int campaign_set_state(struct db *, struct campaign *, const char *state,
                       int64_t now, char **cause);
/* Delete a campaign; its runs and their outbox rows go with it (sent or
 * not), so nothing of it stays queued. */
int campaign_delete(struct db *, struct campaign *, char **cause);
json_t *campaign_to_json(const struct campaign *);
/* Every campaign (of one practice, or all) as a JSON array. */
json_t *campaign_list_json(struct db *, const char *practice_code);
/* The runs of a campaign as a JSON array. */
json_t *campaign_runs_json(struct db *, const struct campaign *);
/* Parse "3d", "-14d", "12h", "90m", "30s" or seconds (sign allowed). */
int campaign_parse_offset(const char *, int64_t *);
/* Format t in the campaign's zone as ISO 8601 with offset into buf[32]. */
const char *campaign_iso(const struct campaign *, int64_t t, char buf[32]);

/* How many fire times `campaign show` lists. */
#define CAMPAIGN_NEXT_FIRES 5
/* "News from the patient group, 5 March 2026", made unique. Caller frees. */
char *campaign_broadcast_name(struct db *, const char *tz);
/* What `campaign show --json` and the API print: the campaign, its next
 * fire times, runs and outbox counts. */
json_t *campaign_show_json(struct db *, const struct campaign *);

/* Add an action id (a positive integer) to the actions a broadcast lists;
 * -1 if v is not one. */
int campaign_add_action(struct campaign *, const char *v);

#endif
