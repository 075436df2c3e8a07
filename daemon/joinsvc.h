/* Membership chores on the daemon's loop: join expiry, welcomes, asks. */
#ifndef PPGD_JOINSVC_H
#define PPGD_JOINSVC_H

struct env;
struct joinsvc;

/*
 * Every minute (and at start): expire and purge join requests, queue the
 * welcome for new members, ask members to accept a changed confidentiality
 * agreement; the dispatcher is kicked when messages were queued.
 */
struct joinsvc *joinsvc_new(struct env *);
void joinsvc_free(struct joinsvc *);

#endif
