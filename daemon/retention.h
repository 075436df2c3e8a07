/* Retention: inbound payloads and outgoing messages' text are purged after
 * [retention] inbound_days and outbox_days. */
#ifndef PPGD_RETENTION_H
#define PPGD_RETENTION_H

#include <stdint.h>

#include "db.h"

struct env;
struct retention;

/* Rows a purge slice covers (by id): short enough not to hold the loop. */
#define RETENTION_SLICE 2000

/*
 * Purge the raw payload, sender and text of inbound rows received before
 * now - days. The row itself stays (its disposition and counts feed the
 * reports); answers already drawn from it are unaffected. Returns the number
 * of rows purged, or -1.
 */
int retention_purge(struct db *, int days, int64_t now);
/* The same for inbound rows with ids in (lo, hi]. */
int retention_purge_slice(struct db *, int days, int64_t now, int64_t lo,
                          int64_t hi);
/*
 * Purge the text and address of outgoing messages settled before
 * now - days (see outbox_purge); 0 days keeps them. Returns the number of
 * rows purged, or -1.
 */
int retention_purge_outbox(struct db *, int days, int64_t now);
/* A purge on the daemon's loop at start and every 6 hours, in slices of
 * RETENTION_SLICE ids that yield to the loop in between. */
struct retention *retention_new(struct env *);
void retention_free(struct retention *);

#endif
