/* Membership through the year: the renewal survey before a term ends,
 * renewal by answering yes, and the exit survey for those who leave. */
#ifndef PPGD_MEMBERSHIP_H
#define PPGD_MEMBERSHIP_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

struct env;
struct membership;

/* How long after leaving the exit survey may still go. */
#define MEMBERSHIP_EXIT_WINDOW (30 * 86400)

/*
 * For every practice: send the term-renewal survey to members whose term
 * ends within [membership] renewal_notice (once per term), and, with
 * [membership] exit_survey, the exit survey to those who left in the last
 * MEMBERSHIP_EXIT_WINDOW (once). Each goes through the practice's campaign
 * (term-renewal-CODE, exit-CODE), made the first time it is needed, and
 * only when its survey is loaded. *sent counts the messages made.
 */
int membership_run(struct db *, const struct config *, int64_t now, int *sent,
                   char **cause);
/*
 * After an answer was stored in response_id: a term-renewal survey answered
 * "Yes" to renew extends the member's term by months, from its end (or from
 * now when it has ended), if it ends within notice seconds or has ended.
 * Once per term: a term just extended is no longer ending. 1 renewed, 0
 * not, -1 on a database error. In the caller's transaction.
 */
int membership_answered(struct db *, int months, int64_t notice,
                        int64_t response_id, int64_t now);
/* Members whose terms end in the next days, by practice (or one), as
 * {"within_30_days": n, "within_60_days": n, "within_90_days": n}. */
json_t *membership_terms_ending(struct db *, const char *practice, int64_t now);
/* membership_run on the daemon's loop: at start and every few hours. */
struct membership *membership_new(struct env *);
void membership_free(struct membership *);

#endif
