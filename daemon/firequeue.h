/* The daemon's fires, one at a time, each a job of slices on the loop. */
#ifndef PPGD_FIREQUEUE_H
#define PPGD_FIREQUEUE_H

#include <stdint.h>

#include "campaign.h"
#include "fire.h"

struct env;
struct firequeue;

/* How a queued fire ended, for its done callback. */
enum firequeue_end {
	FIREQUEUE_FIRED,   /* every slice committed: *r is final */
	FIREQUEUE_FAILED,  /* a slice failed (cause): the run stays firing */
	FIREQUEUE_STOPPED, /* the daemon stops: the run stays firing */
	FIREQUEUE_DROPPED, /* the daemon stops before it started: no run */
};

/*
 * Called on the loop when a queued fire ends; c is the campaign it fired
 * (the callback may change it: it is freed after the call), cause is
 * borrowed. It frees arg.
 */
typedef void firequeue_done_fn(void *arg, enum firequeue_end,
                               struct campaign *c, const struct fire_result *r,
                               const char *cause);

struct firequeue *firequeue_new(struct env *);
void firequeue_free(struct firequeue *);
/*
 * Fire c's run (scheduled_for, reminder) at now as a job behind those
 * queued. Its first transaction (the run, firing) commits now, so a crash
 * from here on is finished at the next start; if another process holds
 * the write lock, it is made in the fire's turn instead (r->run_id is 0).
 * -1 if it failed (*cause; done is not called), 0 if the run had fired
 * before (nothing queued, *r tells), 1 if queued: it takes c, and
 * done(arg, ...) is called when it ends (never from here).
 */
int firequeue_add(struct firequeue *, struct campaign *c, int64_t scheduled_for,
                  int reminder, int64_t now, firequeue_done_fn *done, void *arg,
                  struct fire_result *r, char **cause);
/* Fires queued or in progress. */
int firequeue_length(const struct firequeue *);
/* 1 if a fire of campaign_id is queued or in progress. */
int firequeue_has(const struct firequeue *, int64_t campaign_id);
/* fn(arg) each time the queue becomes empty (the scheduler's next look). */
void firequeue_on_idle(struct firequeue *, void (*fn)(void *), void *arg);
/* Shutdown: end every fire (FIREQUEUE_STOPPED); nothing more is taken. */
void firequeue_stop(struct firequeue *);

#endif
