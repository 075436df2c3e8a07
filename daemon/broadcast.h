/*
 * Broadcast, the use case behind `ppgd broadcast` and POST /api/v1/broadcasts:
 * a campaign of kind broadcast, added and fired at once, and audited.
 */
#ifndef PPGD_BROADCAST_H
#define PPGD_BROADCAST_H

#include <stdint.h>

#include "campaign.h"
#include "config.h"
#include "db.h"
#include "fire.h"

/* Why a broadcast was refused; each face maps it to its own status. */
enum broadcast_err {
	BROADCAST_OK,
	BROADCAST_NO_PRACTICE, /* no practice with that code */
	BROADCAST_NAME_TAKEN,  /* a campaign has that name already */
	BROADCAST_INVALID,     /* the campaign is refused (template...) */
	BROADCAST_FAILED,      /* the fire did not commit */
};

/*
 * Send c (template, message, channels, audience, actions, optional name,
 * filled by the caller) to practice at now: c gets its practice, kind and a
 * name if it has none; it is added, fired in one transaction and audited
 * as broadcast.send by actor (NULL: the connection's). The caller wakes the
 * dispatcher if it runs in the daemon.
 */
enum broadcast_err broadcast_send(struct db *, const struct config *,
                                  struct campaign *c, const char *practice,
                                  const char *actor, int64_t now,
                                  struct fire_result *r, char **cause);
/*
 * broadcast_send in two halves around a fire the caller makes (the daemon
 * fires as a job on its loop, firequeue.h): broadcast_add gives c its
 * practice, kind and name and adds it; after the fire of run (c, now, 0),
 * broadcast_fired marks c done and audits it as broadcast_send does.
 */
enum broadcast_err broadcast_add(struct db *, const struct config *,
                                 struct campaign *c, const char *practice,
                                 int64_t now, char **cause);
void broadcast_fired(struct db *, struct campaign *c, const char *actor,
                     int64_t now);

#endif
