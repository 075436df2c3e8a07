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
	char *agenda;  /* or NULL */
	char *minutes; /* or NULL */
	char *status;  /* "held", "cancelled" or NULL: by its time */
	int64_t created_at;
};

/* Insert m (place required, no line breaks); sets m->id. */
int meeting_add(struct db *, struct meeting *, char **cause);
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
/* One meeting with its campaigns and the agenda items members sent. */
json_t *meeting_to_json(struct db *, const struct meeting *);
/* Meetings (of one practice, or all), soonest last. */
json_t *meeting_list_json(struct db *, const char *practice_code);

#endif
