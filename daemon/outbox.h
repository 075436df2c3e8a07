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
/* Rows left in `sending` by a crash go back to `pending`. */
int outbox_requeue_sending(struct db *);
/* A time that never comes: held rows that only an operator releases. */
#define OUTBOX_NEVER 253402300799LL
/* pending -> sending for a transport, counting the attempt; 0 or -1. */
int outbox_claim(struct db *, int64_t id, const char *transport);
/*
 * pending -> sending for a transport, counting the attempt, of every row
 * whose id is in ids_json (a JSON array) and still pending, in one UPDATE;
 * up to max claimed ids into claimed. The number claimed, or -1.
 */
int outbox_claim_batch(struct db *, const char *ids_json, const char *transport,
                       int64_t *claimed, int max);
/* sending -> pending for a claimed row never handed to its transport,
 * uncounting the attempt; 0 or -1. */
int outbox_unclaim(struct db *, int64_t id);
/* What a transport said about one send, for outbox_settle. */
struct outbox_outcome {
	const char *provider_id, *code, *text; /* "" or NULL: none */
	int64_t now, next_attempt_at;
};
/* sending -> sent | pending | failed with the outcome, in one UPDATE. */
int outbox_settle(struct db *, int64_t id, enum outbox_state to,
                  const struct outbox_outcome *);
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
