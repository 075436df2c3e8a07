/* The welcome message: once per new member, through the outbox. */
#ifndef PPGD_WELCOME_H
#define PPGD_WELCOME_H

#include <stdint.h>

#include "config.h"
#include "db.h"

/*
 * Queue the welcome for a member unless they had it (a row in welcomes
 * makes it once, whoever calls): on their preferred channel if they can be
 * reached there, else the other. Inside the caller's transaction if there
 * is one. 1 queued, 0 not (had it, or unreachable, or the template
 * cannot be rendered: logged, and tried again at the next start), -1 on
 * a database error.
 */
int welcome_queue(struct db *, const struct config *, int64_t member_id,
                  int64_t now);
/*
 * Welcome every member not yet welcomed who joined within [membership]
 * welcome_window; older ones are marked as not needing it. Every path that
 * adds members (add, import, API, join) ends here. cursor (may be NULL)
 * keeps the highest member id already seen, so a repeated sweep reads only
 * new members (member rows are never deleted, and ids only grow). How many
 * were queued, or -1.
 */
int welcome_sweep(struct db *, const struct config *, int64_t now,
                  int64_t *cursor);
/* welcome_sweep in at most slices transactions of 200 members (-1: no
 * limit), for the daemon's loop to yield between them; *more is 1 if
 * members may remain. */
int welcome_sweep_some(struct db *, const struct config *, int64_t now,
                       int64_t *cursor, int slices, int *more);

#endif
