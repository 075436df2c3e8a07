/* Retention: raw inbound payloads are kept for [retention] inbound_days. */
#ifndef PPGD_RETENTION_H
#define PPGD_RETENTION_H

#include <stdint.h>

#include "db.h"

struct env;
struct retention;

/*
 * Purge the raw payload, sender and text of inbound rows received before
 * now - days. The row itself stays (its disposition and counts feed the
 * reports); answers already drawn from it are unaffected. Returns the number
 * of rows purged, or -1.
 */
int retention_purge(struct db *, int days, int64_t now);
/* A daily purge on the daemon's loop (and one at start). */
struct retention *retention_new(struct env *);
void retention_free(struct retention *);

#endif
