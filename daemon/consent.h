/*
 * Members' consent: the one writer of opt-outs and opt-ins. Every path
 * (STOP/START, provider unsubscribe errors, Notify, the unsubscribe page,
 * RFC 8058 one-click, the API) calls these, inside its own transaction.
 */
#ifndef PPGD_CONSENT_H
#define PPGD_CONSENT_H

#include <stdint.h>

#include "db.h"

/* Channels, as a bit set. */
#define CONSENT_EMAIL 1
#define CONSENT_SMS   2
#define CONSENT_ALL   (CONSENT_EMAIL | CONSENT_SMS)

/*
 * Opt member out of the channels: each opt-out time is set once (an earlier
 * one is kept), updated_at moves, SMS sessions close (stopped) and an audit
 * row (actor, "optout-email|sms|all", how) is written when anything
 * changed. 1 changed, 0 already out (or no such member), -1 on a database
 * error.
 */
int member_optout(struct db *, int64_t member, int channels, int64_t now,
                  const char *actor, const char *how);
/* The reverse: clear the opt-outs; audit "optin-...". 1, 0 or -1 as above. */
int member_optin(struct db *, int64_t member, int channels, int64_t now,
                 const char *actor, const char *how);
/* member_optout for the recipient of outbox row id, on its channel. */
int member_optout_outbox(struct db *, int64_t outbox_id, int64_t now,
                         const char *actor, const char *how);

#endif
