/* The outbox: durable messages and their state machine. */
#ifndef PPGD_OUTBOX_H
#define PPGD_OUTBOX_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

enum outbox_state {
	OB_PENDING,
	OB_HELD,
	OB_SENDING,
	OB_SENT,
	OB_DELIVERED,
	OB_FAILED,
	OB_CANCELLED,
};

const char *outbox_strstate(enum outbox_state);
int outbox_state_parse(const char *, enum outbox_state *);
/* 1 if old -> new is a legal transition. */
int outbox_legal(enum outbox_state from, enum outbox_state to);
/*
 * Move row id from one state to another, setting the listed columns.
 * Logs old -> new; an illegal transition is a bug (fatalx). Returns 0, or -1
 * if the row was not in `from` (someone else moved it).
 */
int outbox_enter(struct db *, int64_t id, enum outbox_state from,
                 enum outbox_state to);
/*
 * Every other change of state is one of these; each checks its moves
 * against outbox_legal. Bulk ones return the number of rows moved, or -1.
 */
/* Rows left in `sending` on disk (by an earlier version) go back to
 * `pending`. */
int outbox_requeue_sending(struct db *);
/* A time that never comes: held rows that only an operator releases. */
#define OUTBOX_NEVER 253402300799LL
/* What a transport said about one send, for outbox_settle. */
struct outbox_outcome {
	const char *provider_id, *code, *text; /* "" or NULL: none */
	const char *transport;
	int64_t now, next_attempt_at;
	int attempts; /* counting this one */
};
/*
 * A send's outcome: the row, pending on disk while it was sent, moves to
 * sent | pending (later) | failed in one UPDATE. A row cancelled or held
 * while it was in flight and sent is marked sent (the message went). 0, 1
 * if it was cancelled or held so, or -1 if the row was not pending.
 */
int outbox_settle(struct db *, int64_t id, enum outbox_state to,
                  const struct outbox_outcome *);
/*
 * A number that changes whenever this process moves outbox rows other than
 * by a send's outcome (a cancel, a hold, an erasure, a release): the
 * dispatcher drops what it read ahead when it does. outbox_changed() bumps
 * it for such a change made outside this file.
 */
unsigned long outbox_generation(void);
void outbox_changed(void);
/* Changes whenever this process moves rows back to pending (released
 * from quiet hours or a fire, retried): they may be due behind the
 * dispatcher's cursor, which goes back to the earliest. */
unsigned long outbox_arrivals(void);
/*
 * Row id's text and HTML: rendered from its run's snapshot for a campaign
 * row fired without text (none once retention has emptied it), unpacked if
 * packed, else as stored. Caller frees. 0 or -1.
 */
int outbox_body(struct db *, const struct config *, int64_t id, char **text,
                char **html);
/* Row id with its text as outbox_body gives it (subject, text, html; text
 * null if it cannot be rendered), or NULL if there is no such row. */
json_t *outbox_show(struct db *, const struct config *, int64_t id);
/* pending -> held with a reason until a time (quiet hours); 0 or -1. */
int outbox_hold(struct db *, int64_t id, const char *reason, int64_t until);
/*
 * A fired run's rows with ids in (from, to], held while it was firing ->
 * pending, or held for quiet hours if their time is after now. The number
 * moved, or -1.
 */
int outbox_release_run(struct db *, int64_t run_id, int64_t from, int64_t to,
                       int64_t now);
/* held (quiet hours) rows whose time has come -> pending. */
int outbox_release_quiet(struct db *, int64_t now);
/* A pending campaign row of a member who opted out -> cancelled; 1 if so. */
int outbox_cancel_optout(struct db *, int64_t id, int64_t now);
/* An erased member's waiting rows -> cancelled, every row's content
 * scrubbed; 0 or -1. */
int outbox_erase_member(struct db *, int64_t member_id, int64_t now);
/*
 * Retention: empty the text (subject, body, HTML) and address of settled
 * messages (sent, delivered, failed, cancelled) with ids in (lo, hi] that
 * settled before `before`; their state, ids, provider id and times stay.
 * Returns the rows purged, or -1.
 */
int outbox_purge(struct db *, int64_t before, int64_t lo, int64_t hi);
/* Queue a message outside a campaign (replies, confirmations). */
int64_t outbox_queue(struct db *, int64_t practice_id, int64_t member_id,
                     const char *channel, const char *purpose, const char *to,
                     const char *subject, const char *body, const char *html);
/* Counts by state (optionally of one campaign) as {"pending": n, ...}. */
json_t *outbox_counts(struct db *, const char *campaign);
/* Failed rows with their reason. */
json_t *outbox_failures(struct db *, const char *campaign);
/* failed/held/cancelled -> pending; by id, or every failed row of a campaign.
 */
int outbox_retry(struct db *, int64_t id, const char *campaign, int *n,
                 char **cause);
/* pending/held -> cancelled; by id or campaign. */
int outbox_cancel(struct db *, int64_t id, const char *campaign, int *n,
                  char **cause);

#endif
