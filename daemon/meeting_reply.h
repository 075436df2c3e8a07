/* Members' replies to a meeting invitation: YES or NO by SMS, or on their
 * personal page (meeting_page.h). */
#ifndef PPGD_MEETING_REPLY_H
#define PPGD_MEETING_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "template.h"

/* How long after a meeting its reply links still open (to say so). */
#define MEETING_TOKEN_DAYS_AFTER 90

/* Record the member's answer (yes 1, no 0), replacing an earlier one;
 * -1 with *cause if the meeting is cancelled, has started or is not
 * theirs. */
int meeting_reply_set(struct db *, int64_t meeting_id, int64_t member_id,
                      int yes, const char *channel, int64_t now, char **cause);
/*
 * An SMS of words (textnorm_words) from one of the members ids: when it is
 * YES or NO and the newest text we sent them was an upcoming meeting's
 * invitation, reminder or move notice, record it. 1 handled (*member and
 * *reply, the text to answer with, set; caller frees), 0 not a meeting
 * reply, -1 on a database error. In the caller's transaction.
 */
int meeting_reply_sms(struct db *, const int64_t *ids, size_t n,
                      const char *words, int64_t now, int64_t *member,
                      char **reply);
/* Why meeting_id takes no replies at now ("the meeting was cancelled"),
 * or NULL when it does. */
const char *meeting_reply_closed(struct db *, int64_t meeting_id, int64_t now);

#endif
