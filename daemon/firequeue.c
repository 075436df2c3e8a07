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
 */
#include <stdlib.h>

#include <event2/event.h>

#include "env.h"
#include "firequeue.h"
#include "log.h"
#include "xmalloc.h"

struct qfire {
	struct fire_job *job;
	struct campaign *c;
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
	void (*idle)(void *);
	void *idle_arg;
};

static void
qfire_end(struct qfire *q, enum firequeue_end how,
          const struct fire_result *r, const char *cause)
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

/* One slice of the fire at the head; the next on the next loop turn. */
static void
firequeue_step_run(struct firequeue *fq)
{
	struct timeval tv = {0, 0};
	struct fire_result r;
	struct qfire *q = fq->head;
	char *cause = NULL;
	int rc;

	if (q == NULL || fq->stopped)
		return;
	if ((rc = fire_job_step(q->job, &r, &cause)) == 1) {
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
	struct fire_job *j;
	struct qfire *q;
	int rc;

	if (fq->stopped) {
		*cause = xstrdup("the daemon is stopping");
		return -1;
	}
	if ((rc = fire_job_start(fq->env->db, fq->env->cfg, c, scheduled_for,
	                         reminder, now, &j, r, cause)) == -1 ||
	    j == NULL)
		return rc;
	q = xcalloc(1, sizeof *q);
	q->job = j;
	q->c = c;
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
	struct fire_result r = {0};

	if (fq == NULL)
		return;
	fq->stopped = 1;
	event_del(fq->step);
	/* Each run stays firing: the next start finishes it. */
	while (fq->head != NULL)
		qfire_end(queue_pop(fq), FIREQUEUE_STOPPED, &r,
		          "the daemon is stopping; the fire is finished when "
		          "it starts again");
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
