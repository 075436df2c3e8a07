/*
 * Delivery receipts: a provider's verdict on a sent message. One that
 * arrives before the send is recorded is parked, keyed by provider id, and
 * applied when it is.
 */
#ifndef PPGD_RECEIPT_H
#define PPGD_RECEIPT_H

#include <stdint.h>

#include "db.h"
#include "outbox.h"

/* Keep a parked receipt this long for a send to claim it. */
#define RECEIPT_PARK_DAYS 7

/* A receipt's verdict on one outbox row. */
struct receipt {
	int64_t outbox_id;       /* by our id (Notify's reference), or 0 */
	const char *provider_id; /* by the provider's id */
	enum outbox_state to; /* OB_DELIVERED or OB_FAILED; OB_SENT: interim */
	const char *code, *text;
};

/*
 * Apply rc inside the caller's transaction: its row moves sent ->
 * delivered|failed (a failure for an unsubscribed number opts the member
 * out); a final verdict on a row not recorded as sent yet, or on an id we
 * do not know yet, is parked. *disposition (static) says which. 0 or -1.
 */
int receipt_apply(struct db *, const struct receipt *rc, int64_t now,
                  const char **disposition);
/*
 * The send of outbox row id is recorded (sent, with its provider id): apply
 * a receipt parked for it, inside the caller's transaction. 0 or -1.
 */
int receipt_apply_parked(struct db *, int64_t outbox_id, int64_t now);

#endif
