/*
 * Care alerts: what happens to a message flagged for care, from any
 * channel. One owner for the care_alerts table: the automatic reply (the
 * right service for the urgency, the practice and its number, at most once
 * a day per member per urgency), the staff alert through the outbox, its
 * acknowledgement, and escalation when nobody acknowledges it.
 */
#ifndef PPGD_CARE_ALERT_H
#define PPGD_CARE_ALERT_H

#include <stdint.h>
#include <jansson.h>

#include "care.h"
#include "config.h"
#include "db.h"

/* A flagged message and where it came from. */
struct care_event {
	const char *source;   /* "sms", "email", "web-survey" */
	int64_t practice_id;  /* the practice it is attributed to; 0: unknown */
	int64_t member_id;    /* 0: none (unknown sender, anonymous survey) */
	int64_t inbound_id;   /* the inbound row, or 0 */
	int64_t response_id;  /* the survey response, or 0 */
	const char *reply_to; /* where the reply goes (NULL: no reply) */
	const char *text;     /* the message (in the staff body only if
	                         [care] alert_include_text) */
	int64_t now;
};

/* What was done. */
struct care_outcome {
	int64_t alert_id;
	int replied; /* a reply was queued (0: one went in the last day) */
	int queued;  /* outbox rows queued (kick the dispatcher) */
};

enum care_state { CARE_NEW, CARE_SEEN, CARE_ACTIONED };

/* The phrase list for a practice: its own care_phrases added, if any. */
const struct care_list *care_list_for(struct db *, const struct config *,
                                      int64_t practice_id);
/* care_classify with the practice's list. */
int care_classify_for(struct db *, const struct config *, int64_t practice_id,
                      const char *text, struct care_hit *);
/*
 * Record the alert, queue the reply on the event's channel and the staff
 * alerts, inside the caller's transaction. 0, or -1 on a database error.
 */
int care_alert_raise(struct db *, const struct config *,
                     const struct care_hit *, const struct care_event *,
                     struct care_outcome *);
/*
 * The safety message for an urgency mask, naming the practice and its
 * number; `via` is "number", "address" or "form". Caller frees.
 */
char *care_reply_text(unsigned mask, const char *practice, const char *phone,
                      const char *via);
/* The practice's name and phone; 0, or -1 if there is none. Caller frees. */
int care_practice(struct db *, int64_t practice_id, char **name, char **phone);
/*
 * Mark an alert seen or actioned by `by`, with an optional note. 0, or -1
 * with *cause (caller frees).
 */
int care_alert_ack(struct db *, int64_t id, enum care_state, const char *by,
                   const char *note, int64_t now, char **cause);
/* Alerts, newest first (state NULL: every one), as a JSON array. */
json_t *care_alert_list(struct db *, const char *practice_code,
                        const char *state, long limit);
/*
 * Send again every alert still new after [care] escalate_after of working
 * time. Returns when the next is due (0: none in working time); *queued
 * counts the outbox rows made.
 */
int64_t care_alert_escalate(struct db *, const struct config *, int64_t now,
                            int *queued);
/* Seconds of working time ([care] work_*) in [from, to) in zone tz. */
int64_t care_working_seconds(const struct config *, const char *tz,
                             int64_t from, int64_t to);
/* Unacknowledged (new) alerts and the age of the oldest in seconds. */
void care_alert_unacked(struct db *, int64_t now, int64_t *count,
                        int64_t *oldest_age);

#endif
