/* PPG meetings: when and where, agenda, minutes, and their campaigns. */
#ifndef PPGD_MEETING_H
#define PPGD_MEETING_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

struct meeting {
	int64_t id;
	int64_t practice_id;
	int64_t at;
	char *place;
	char *agenda;         /* or NULL */
	char *minutes;        /* or NULL */
	char *status;         /* "held", "cancelled" or NULL: by its time */
	char *link;           /* an online meeting's http(s) URL, or NULL */
	int64_t series_id;    /* the first meeting of its series, or 0 */
	int64_t published_at; /* minutes public since, or 0 */
	char *feedback_to;    /* "attended", "invited" or NULL (the default) */
	int64_t created_at;
};

/* Who came: a member (by id), or staff and the GP partner by name. */
struct meeting_attendee {
	int64_t member_id; /* 0 for staff and the GP partner */
	const char *name;  /* staff and GP partner */
	const char *role;  /* "member", "staff" or "gp-partner" */
};

/* 0 if link is NULL or an http(s) URL without spaces, quotes or angle
 * brackets; -1 with *cause otherwise. */
int meeting_link_ok(const char *link, char **cause);
/* Insert m (place required, no line breaks); sets m->id. */
int meeting_add(struct db *, struct meeting *, char **cause);
/* Set the series meeting id belongs to (its first meeting's id). */
int meeting_set_series(struct db *, int64_t id, int64_t series_id);
/* Load by id. Caller frees. NULL if none. */
struct meeting *meeting_get(struct db *, int64_t id);
void meeting_free(struct meeting *);
/* Store the minutes of meeting id. */
int meeting_set_minutes(struct db *, int64_t id, const char *minutes,
                        char **cause);
/*
 * The SQL condition (on meetings m, now bound as ?4) of a meeting that was
 * held: marked held, or not cancelled and its time has passed.
 */
#define MEETING_HELD_SQL                                                       \
	"coalesce(m.status, CASE WHEN m.at <= ?4 THEN 'held' END) = 'held'"
/* A meeting's status at now: "held", "cancelled" or "planned". */
const char *meeting_status(const char *stored, int64_t at, int64_t now);
/* Make the minutes of meeting id a public page (they must be stored). */
int meeting_publish(struct db *, int64_t id, char **cause);
/* Who the feedback survey goes to: "attended" or "invited" (NULL: the
 * default, attended when attendance was recorded, else invited). */
int meeting_set_feedback_to(struct db *, int64_t id, const char *to,
                            char **cause);
/*
 * The audience term that narrows the feedback campaign of meeting id:
 * "attended:ID" or "invited:ID" (see audience.h); NULL if there is no such
 * meeting, or by default when neither attendance nor an invitation was
 * recorded. Caller frees.
 */
char *meeting_feedback_audience(struct db *, int64_t id);
/* Mark meeting id "held" or "cancelled" (status); NULL clears the mark. */
int meeting_set_status(struct db *, int64_t id, const char *status,
                       char **cause);
/* "Wednesday 24 September 2025 at 6:30pm" in zone tz. Caller frees. */
char *meeting_when(int64_t at, const char *tz);
/*
 * Make the meeting's campaigns: meeting-ID-invitation (-14 days),
 * meeting-ID-reminder (-1 day) and meeting-ID-feedback (+1 day, the
 * post-meeting survey). channels and audience as for campaign add.
 */
int meeting_add_campaigns(struct db *, const struct config *,
                          const struct meeting *, const char *channels,
                          const char *audience, char **cause);
/*
 * The use case "a meeting with its campaigns" (`ppgd meeting add`, and any
 * other face that offers it): the meeting and, if with_campaigns, its three
 * campaigns, in one transaction. Sets m->id.
 */
int meeting_create(struct db *, const struct config *, struct meeting *m,
                   int with_campaigns, const char *channels,
                   const char *audience, char **cause);
/* Move meeting id to at, place and link (NULL keeps each); the meeting's
 * campaigns are retimed by the caller (meeting_notice.h). */
int meeting_move(struct db *, int64_t id, int64_t at, const char *place,
                 const char *link, char **cause);
/*
 * Record who attended meeting id (replacing an earlier record) and mark it
 * held; a GP partner's attendance is also evidence of kind
 * gp-partner-attended linked to the meeting. In the caller's transaction.
 */
int meeting_attendance_set(struct db *, int64_t id,
                           const struct meeting_attendee *, size_t n,
                           char **cause);
/* The one member at the practice named "First Last" (any case); -1 with
 * *cause when none or several are. */
int meeting_member_by_name(struct db *, int64_t practice_id, const char *name,
                           int64_t *id, char **cause);
/* "YYYY-MM-DDTHH:MM" local time of at moved by n months or weeks (unit 'm'
 * or 'w'), then back to the epoch in tz; a 31st becomes the month's last
 * day. -1 if the result does not exist. */
int meeting_step(int64_t at, const char *tz, int n, char unit, int64_t *out);
/* The ids ("3,7") of the actions that came from the practice's meeting
 * before m, for review at m; NULL if none. Caller frees. */
char *meeting_review_ids(struct db *, const struct meeting *m);
/* The largest series meeting add makes. */
#define MEETING_SERIES_MAX 24

/* A series: count meetings, every `every` months ('m') or weeks ('w'). */
struct meeting_series {
	int every;
	char unit;
	int count;               /* 1: one meeting */
	const char *feedback_to; /* NULL, "attended" or "invited" */
};

/*
 * The use case "meetings with their campaigns" for a series: count
 * meetings from m->at (each at the same local time, see meeting_step),
 * each with feedback_to and, if with_campaigns, its three campaigns, all in
 * one transaction; they share the first one's series id. ids receives
 * their ids (count of them); m->id is the last one's.
 */
int meeting_create_series(struct db *, const struct config *, struct meeting *m,
                          const struct meeting_series *, int with_campaigns,
                          const char *channels, const char *audience,
                          int64_t *ids, char **cause);
/* One meeting with its campaigns and the agenda items members sent. */
json_t *meeting_to_json(struct db *, const struct meeting *);
/* Meetings (of one practice, or all), soonest last. */
json_t *meeting_list_json(struct db *, const char *practice_code);

#endif
