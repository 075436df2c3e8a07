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
 * Move meeting id: store the change, retime its campaigns, cancel their
 * unsent invitation and reminder rows (which hold the old time) and queue
 * the meeting-moved message to every member who had one, on the same
 * channel, unless they have opted out of it since. The change and the job
 * of telling commit first (meeting_update_begin), then the messages in
 * slices (meeting_notice_step), each its own transaction.
 */
int meeting_update(struct db *, const struct config *, int64_t id,
                   const struct meeting_change *, int64_t now,
                   struct meeting_notice_result *, char **cause);
/*
 * Cancel meeting id: mark it cancelled, stop its campaigns, cancel their
 * unsent rows and queue the meeting-cancelled message to the members whose
 * invitation or reminder was sent; in the same two halves.
 */
int meeting_cancel(struct db *, const struct config *, int64_t id, int64_t now,
                   struct meeting_notice_result *, char **cause);
/*
 * The first halves, in one transaction each: the change, its campaigns,
 * the rows cancelled (in *r) and the job of telling those invited, which
 * replaces one the meeting had. The daemon then makes the messages from
 * its loop.
 */
int meeting_update_begin(struct db *, const struct config *, int64_t id,
                         const struct meeting_change *, int64_t now,
                         struct meeting_notice_result *, char **cause);
int meeting_cancel_begin(struct db *, const struct config *, int64_t id,
                         int64_t now, struct meeting_notice_result *,
                         char **cause);
/*
 * One slice of meeting id's job (about 1,000 members), in its own
 * transaction: 1 if more follow, 0 if it is done (or there was none), -1
 * on error (*cause; the job stays). *r is the job's counts so far (final
 * at 0). With busy, the transaction does not wait for the write lock:
 * *busy is set if another connection held it.
 */
int meeting_notice_step(struct db *, const struct config *, int64_t id,
                        struct meeting_notice_result *r, int *busy,
                        char **cause);
/* Every slice of meeting id's job, one after another, waiting for the
 * write lock (the CLI's way); as the last meeting_notice_step. */
int meeting_notice_finish(struct db *, const struct config *, int64_t id,
                          struct meeting_notice_result *r, char **cause);
/* The meetings with a job left (by a stop or a crash); caller frees. */
int64_t *meeting_notice_jobs(struct db *, size_t *n);
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
