/* Joining by text: JOIN [firstname], then YES (see join.h). */
#ifndef PPGD_JOINSMS_H
#define PPGD_JOINSMS_H

#include "config.h"
#include "db.h"
#include "smsconv.h"

/*
 * Handle an inbound text that belongs to joining, inside the caller's
 * transaction: JOIN from any number, or a reply from a number with an
 * unconfirmed join request (STOP from a number that is not a member's
 * withdraws the request). 1 handled (r filled, disposition "join" or
 * "optout"), 0 not ours, -1 on a database error.
 */
int joinsms_handle(struct db *, const struct config *,
                   const struct smsconv_msg *, struct smsconv_result *);

#endif
