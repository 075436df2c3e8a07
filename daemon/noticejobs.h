/* The daemon's meeting notice jobs (meeting_notice.h), a slice a loop turn. */
#ifndef PPGD_NOTICEJOBS_H
#define PPGD_NOTICEJOBS_H

#include <stdint.h>

#include "meeting_notice.h"

struct env;
struct noticejobs;

/*
 * Called on the loop when meeting id's job ends: rc 0 with the job's final
 * counts in *r, or -1 with cause (borrowed) if it failed or the daemon
 * stops (the job is finished at the next start).
 */
typedef void noticejobs_done_fn(void *arg, int rc,
                                const struct meeting_notice_result *r,
                                const char *cause);

struct noticejobs *noticejobs_new(struct env *);
void noticejobs_free(struct noticejobs *);
/*
 * Make meeting id's messages, one slice (meeting_notice_step) per loop
 * turn, behind the jobs queued before; done(arg, ...) when it ends (never
 * from here), or nothing if done is NULL.
 */
void noticejobs_add(struct noticejobs *, int64_t meeting_id,
                    noticejobs_done_fn *done, void *arg);
/* Queue the jobs a stop or a crash left (at start). */
void noticejobs_resume(struct noticejobs *);
/* Shutdown: end every job (-1; each is finished at the next start). */
void noticejobs_stop(struct noticejobs *);
/* Jobs queued or in progress. */
int noticejobs_length(const struct noticejobs *);

#endif
