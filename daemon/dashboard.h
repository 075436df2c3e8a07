/* The admin home page's figures for one practice: who can be reached,
 * what is due, what is waiting or failed, what came in last. */
#ifndef PPGD_DASHBOARD_H
#define PPGD_DASHBOARD_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

/*
 * {active, reachable_email, reachable_sms, waiting, failed,
 *  next: [{name, at}], latest: [{at, channel, disposition, body}]}; the
 * latest replies carry their text only if contacts is set. Caller decrefs.
 */
json_t *dashboard_json(struct db *, int64_t practice_id, int64_t now,
                       int contacts);

#endif
