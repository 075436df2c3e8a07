/* A meeting that moves or is cancelled: its campaigns follow, and the
 * members already invited are told through the outbox. */
#ifndef PPGD_MEETING_NOTICE_H
#define PPGD_MEETING_NOTICE_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"
#include "fire.h"

struct meeting_notice_result {
	int64_t meeting_id;
	int campaigns; /* meeting campaigns retimed or stopped */
	int cancelled; /* unsent outbox rows of them cancelled */
	int messages;  /* "moved" or "cancelled" messages queued */
	int email, sms;
};

/* What changes; 0 or NULL keeps the stored value. */
struct meeting_change {
	int64_t at;
	const char *place;
	const char *link;
};

/*
 * Move meeting id (one transaction): store the change, retime its
 * campaigns, cancel their unsent invitation and reminder rows (which hold
 * the old time) and queue the meeting-moved message to every member who
 * had one, on the same channel, unless they have opted out of it since.
 */
int meeting_update(struct db *, const struct config *, int64_t id,
                   const struct meeting_change *, int64_t now,
                   struct meeting_notice_result *, char **cause);
/*
 * Cancel meeting id (one transaction): mark it cancelled, stop its
 * campaigns, cancel their unsent rows and queue the meeting-cancelled
 * message to the members whose invitation or reminder was sent.
 */
int meeting_cancel(struct db *, const struct config *, int64_t id, int64_t now,
                   struct meeting_notice_result *, char **cause);
json_t *meeting_notice_json(const struct meeting_notice_result *);

/* How to send the minutes; NULL: the meeting-minutes template, the
 * campaign defaults (channels email,sms; everyone). */
struct meeting_send {
	const char *template;
	const char *channels;
	const char *audience;
};

/*
 * Send the stored minutes of meeting id to the network now, like a
 * broadcast: the campaign meeting-ID-minutes (kind broadcast, the minutes
 * as {{message.text}}), fired at once and then done. Refused when the
 * meeting has no minutes or they were sent already. Fills r and *name
 * (the campaign's; caller frees).
 */
int meeting_minutes_send(struct db *, const struct config *, int64_t id,
                         const struct meeting_send *, int64_t now,
                         struct fire_result *r, char **name, char **cause);
/*
 * meeting_minutes_send in two halves around a fire the caller makes (the
 * daemon fires as a job on its loop, firequeue.h): the campaign, added (or
 * NULL and *cause; caller frees), then, after the fire of run (c, now, 0),
 * the campaign done.
 */
struct campaign *meeting_minutes_campaign(struct db *, const struct config *,
                                          int64_t id,
                                          const struct meeting_send *,
                                          int64_t now, char **cause);
int meeting_minutes_fired(struct db *, struct campaign *c);

#endif
