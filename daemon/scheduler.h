/* The scheduler: one timer for the next campaign fire or reminder. */
#ifndef PPGD_SCHEDULER_H
#define PPGD_SCHEDULER_H

#include <stdint.h>

#include "config.h"
#include "db.h"

struct env;
struct scheduler;

/* Start on the daemon's loop; the first pass applies [daemon] catch_up. */
struct scheduler *scheduler_new(struct env *, char **cause);
/* Stop firing (shutdown). */
void scheduler_stop(struct scheduler *);
/* The configuration changed: look again now. */
void scheduler_reload(struct scheduler *);
void scheduler_free(struct scheduler *);
/*
 * Fire every campaign and reminder due at now. At start (starting = 1) what
 * was missed is fired once, or skipped when catch_up = skip. Returns when
 * the next is due (0: nothing scheduled); a fire that failed is retried at
 * the next pass. *fired counts the runs made.
 */
int64_t scheduler_run_due(struct db *, const struct config *, int64_t now,
                          int starting, int *fired);

#endif
