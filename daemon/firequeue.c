/*
 * The daemon's fires in one queue. A fire of a large audience is a job of
 * slices (fire.h), one slice of about 50 ms per loop turn from a zero
 * timer, so webhooks are answered between them. Every fire the daemon makes
 * (the scheduler's, an API broadcast, the web admin's send, the minutes of
 * a meeting, membership notices) comes here, so two fires never interleave
 * their slices on the loop's one connection and the last one queued waits
 * for those before it.
 *
 * A fire's first transaction (its run, marked firing) commits when it is
 * queued, not when its turn comes: from then on a crash is finished at the
 * next start (fire_resume), so a fire answered "queued" is never lost. Its
 * rows are made, and released, only in its turn.
 *
 * The loop never waits for the write lock: when another process (the CLI)
 * holds it, a fire's start or slice does nothing and is tried again from a
 * timer, a little later each time, until the lock is free.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "env.h"
#include "firequeue.h"
#include "log.h"
#include "xmalloc.h"

struct qfire {
	struct fire_job *job; /* NULL: not started (the lock was taken) */
	struct campaign *c;
	int64_t scheduled_for, now;
	int reminder;
	firequeue_done_fn *done;
	void *arg;
	struct qfire *next;
};

struct firequeue {
	struct env *env;
	struct event *step;
	struct qfire *head, **tail;
	int length;
	int stopped;
	long retry_us; /* the next wait for the lock; 0 when none */
	void (*idle)(void *);
	void *idle_arg;
};

static void
qfire_end(struct qfire *q, enum firequeue_end how, const struct fire_result *r,
          const char *cause)
{
	q->done(q->arg, how, q->c, r, cause);
	fire_job_free(q->job);
	campaign_free(q->c);
	free(q);
}

/* Take the head off the queue; the next one's turn. */
static struct qfire *
queue_pop(struct firequeue *fq)
{
	struct qfire *q = fq->head;

	if ((fq->head = q->next) == NULL)
		fq->tail = &fq->head;
	fq->length--;
	return q;
}

static void
queue_next(struct firequeue *fq)
{
	struct timeval tv = {0, 0};

	if (fq->head != NULL)
		evtimer_add(fq->step, &tv);
	else if (fq->idle != NULL)
		fq->idle(fq->idle_arg);
}

/* The write lock was taken: try the head again a little later. */
static void
queue_retry(struct firequeue *fq)
{
	struct timeval tv;

	tv.tv_sec = 0;
	tv.tv_usec = db_lock_backoff(&fq->retry_us);
	log_debug("event=fire_busy campaign=\"%s\" retry_us=%ld",
	          fq->head->c->name, fq->retry_us);
	evtimer_add(fq->step, &tv);
}

/* Start the head, queued before the lock was free: 1 started (or ended,
 * its run fired before), 0 busy, -1 failed. */
static int
queue_start(struct firequeue *fq, struct fire_result *r, char **cause)
{
	struct qfire *q = fq->head;

	if (fire_job_start(fq->env->db, fq->env->cfg, q->c, q->scheduled_for,
	                   q->reminder, q->now, &q->job, r, cause) == -1) {
		if (!r->busy)
			return -1;
		free(*cause);
		*cause = NULL;
		return 0;
	}
	return 1;
}

/* One slice of the fire at the head: 1 more to do, 0 ended, -1 failed,
 * 2 the lock was taken. */
static int
queue_slice(struct firequeue *fq, struct fire_result *r, char **cause)
{
	struct qfire *q = fq->head;
	int rc;

	if (q->job == NULL) {
		if ((rc = queue_start(fq, r, cause)) != 1)
			return rc == 0 ? 2 : -1;
		if (q->job == NULL)
			return 0; /* fired before: *r tells */
	}
	if ((rc = fire_job_step(q->job, r, cause)) == -1 && r->busy) {
		free(*cause);
		*cause = NULL;
		return 2;
	}
	return rc;
}

/* One slice of the fire at the head; the next on the next loop turn. */
static void
firequeue_step_run(struct firequeue *fq)
{
	struct timeval tv = {0, 0};
	struct fire_result r;
	struct qfire *q;
	char *cause = NULL;
	int rc;

	if (fq->head == NULL || fq->stopped)
		return;
	if ((rc = queue_slice(fq, &r, &cause)) == 2) {
		queue_retry(fq);
		return;
	}
	fq->retry_us = 0;
	if (rc == 1) {
		evtimer_add(fq->step, &tv);
		return;
	}
	q = queue_pop(fq);
	if (rc == -1) {
		/* The run stays firing: finished at the next start. */
		log_warnx("event=fire campaign=\"%s\" error=\"%s\"", q->c->name,
		          cause);
		qfire_end(q, FIREQUEUE_FAILED, &r, cause);
		free(cause);
	} else
		qfire_end(q, FIREQUEUE_FIRED, &r, NULL);
	env_kick(fq->env);
	queue_next(fq);
}

/* The timer's callback: no statement may outlive it. */
static void
firequeue_step(evutil_socket_t fd, short what, void *arg)
{
	struct firequeue *fq = arg;

	firequeue_step_run(fq);
	db_idle(fq->env->db, "firequeue_step");
}

struct firequeue *
firequeue_new(struct env *env)
{
	struct firequeue *fq = xcalloc(1, sizeof *fq);

	fq->env = env;
	fq->tail = &fq->head;
	if ((fq->step = evtimer_new(env->base, firequeue_step, fq)) == NULL)
		fatalx("firequeue: cannot make its timer");
	return fq;
}

int
firequeue_add(struct firequeue *fq, struct campaign *c, int64_t scheduled_for,
              int reminder, int64_t now, firequeue_done_fn *done, void *arg,
              struct fire_result *r, char **cause)
{
	struct fire_job *j = NULL;
	struct qfire *q;
	int rc;

	if (fq->stopped) {
		*cause = xstrdup("the daemon is stopping");
		return -1;
	}
	/* Started now, unless another fire waits to start (the lock was
	 * taken): fires start in their order too. */
	memset(r, 0, sizeof *r);
	if (fq->head == NULL || fq->head->job != NULL) {
		rc = fire_job_start(fq->env->db, fq->env->cfg, c, scheduled_for,
		                    reminder, now, &j, r, cause);
		if (rc == -1 && !r->busy)
			return -1;
		if (rc == 0 && j == NULL)
			return 0;
		if (rc == -1) {
			free(*cause);
			*cause = NULL;
		}
	}
	q = xcalloc(1, sizeof *q);
	q->job = j;
	q->c = c;
	q->scheduled_for = scheduled_for;
	q->reminder = reminder;
	q->now = now;
	q->done = done;
	q->arg = arg;
	*fq->tail = q;
	fq->tail = &q->next;
	if (fq->length++ == 0)
		queue_next(fq);
	log_debug("event=fire_queued campaign=\"%s\" run=%lld queue=%d",
	          c->name, (long long)r->run_id, fq->length);
	return 1;
}

int
firequeue_has(const struct firequeue *fq, int64_t campaign_id)
{
	const struct qfire *q;

	for (q = fq != NULL ? fq->head : NULL; q != NULL; q = q->next)
		if (q->c->id == campaign_id)
			return 1;
	return 0;
}

int
firequeue_length(const struct firequeue *fq)
{
	return fq != NULL ? fq->length : 0;
}

void
firequeue_on_idle(struct firequeue *fq, void (*fn)(void *), void *arg)
{
	if (fq == NULL)
		return;
	fq->idle = fn;
	fq->idle_arg = arg;
}

void
firequeue_stop(struct firequeue *fq)
{
	struct fire_result r;
	struct qfire *q;

	if (fq == NULL)
		return;
	memset(&r, 0, sizeof r);
	fq->stopped = 1;
	event_del(fq->step);
	/* Each run stays firing: the next start finishes it. */
	while (fq->head != NULL) {
		q = queue_pop(fq);
		if (q->job != NULL)
			qfire_end(q, FIREQUEUE_STOPPED, &r,
			          "the daemon is stopping; the fire is "
			          "finished when it starts again");
		else
			qfire_end(q, FIREQUEUE_DROPPED, &r,
			          "the daemon stopped before the fire started: "
			          "nothing was sent");
	}
}

void
firequeue_free(struct firequeue *fq)
{
	if (fq == NULL)
		return;
	firequeue_stop(fq);
	event_free(fq->step);
	free(fq);
}
