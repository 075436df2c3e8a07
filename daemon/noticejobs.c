/*
 * The daemon's meeting notice jobs in one queue: a meeting moved or
 * cancelled through the API has its messages made here, one slice of about
 * 1,000 members per loop turn from a zero timer, so webhooks are answered
 * in between (a slice is its own transaction: meeting_notice.h). The loop
 * never waits for the write lock: when another process holds it, the slice
 * is tried again from a timer, a little later each time. A slice that
 * fails ends the job's waiters with the error; the job stays in the
 * database and is finished at the next start, as one cut short by a stop.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "env.h"
#include "log.h"
#include "noticejobs.h"
#include "xmalloc.h"

struct njob {
	int64_t meeting_id;
	noticejobs_done_fn *done;
	void *arg;
	struct njob *next;
};

struct noticejobs {
	struct env *env;
	struct event *step;
	struct njob *head, **tail;
	int length;
	int stopped;
	long retry_us;
};

/* End the head and every job behind it for the same meeting (one job in
 * the database serves them all). */
static void
jobs_end(struct noticejobs *nj, int rc, const struct meeting_notice_result *r,
         const char *cause)
{
	int64_t id = nj->head->meeting_id;
	struct njob **p = &nj->head, *j;

	while ((j = *p) != NULL) {
		if (j->meeting_id != id) {
			p = &j->next;
			continue;
		}
		*p = j->next;
		nj->length--;
		if (j->done != NULL)
			j->done(j->arg, rc, r, cause);
		free(j);
	}
	nj->tail = &nj->head;
	while (*nj->tail != NULL)
		nj->tail = &(*nj->tail)->next;
}

static void
jobs_next(struct noticejobs *nj, long us)
{
	struct timeval tv = {0, us};

	if (nj->head != NULL && !nj->stopped)
		evtimer_add(nj->step, &tv);
}

static void
noticejobs_step_run(struct noticejobs *nj)
{
	struct meeting_notice_result r;
	char *cause = NULL;
	int rc, busy = 0;

	if (nj->head == NULL || nj->stopped)
		return;
	rc = meeting_notice_step(nj->env->db, nj->env->cfg,
	                         nj->head->meeting_id, &r, &busy, &cause);
	if (rc == -1 && busy) {
		free(cause);
		jobs_next(nj, db_lock_backoff(&nj->retry_us));
		return;
	}
	nj->retry_us = 0;
	if (r.messages > 0)
		env_kick(nj->env);
	if (rc == 1) {
		jobs_next(nj, 0);
		return;
	}
	if (rc == -1)
		log_warnx("event=meeting_notice meeting=%lld error=\"%s\"",
		          (long long)nj->head->meeting_id, cause);
	else
		log_info("event=meeting_notice meeting=%lld messages=%d",
		         (long long)nj->head->meeting_id, r.messages);
	jobs_end(nj, rc, &r, cause);
	free(cause);
	jobs_next(nj, 0);
}

/* The timer's callback: no statement may outlive it. */
static void
noticejobs_step(evutil_socket_t fd, short what, void *arg)
{
	struct noticejobs *nj = arg;

	noticejobs_step_run(nj);
	db_idle(nj->env->db, "noticejobs_step");
}

struct noticejobs *
noticejobs_new(struct env *env)
{
	struct noticejobs *nj = xcalloc(1, sizeof *nj);

	nj->env = env;
	nj->tail = &nj->head;
	if ((nj->step = evtimer_new(env->base, noticejobs_step, nj)) == NULL)
		fatalx("noticejobs: cannot make its timer");
	return nj;
}

void
noticejobs_add(struct noticejobs *nj, int64_t meeting_id,
               noticejobs_done_fn *done, void *arg)
{
	struct njob *j = xcalloc(1, sizeof *j);

	j->meeting_id = meeting_id;
	j->done = done;
	j->arg = arg;
	*nj->tail = j;
	nj->tail = &j->next;
	if (nj->length++ == 0)
		jobs_next(nj, 0);
}

void
noticejobs_resume(struct noticejobs *nj)
{
	size_t n, i;
	int64_t *ids = meeting_notice_jobs(nj->env->db, &n);

	for (i = 0; i < n; i++) {
		log_info("event=meeting_notice meeting=%lld msg_detail=\"a job "
		         "left by a stop goes on\"",
		         (long long)ids[i]);
		noticejobs_add(nj, ids[i], NULL, NULL);
	}
	free(ids);
}

int
noticejobs_length(const struct noticejobs *nj)
{
	return nj != NULL ? nj->length : 0;
}

void
noticejobs_stop(struct noticejobs *nj)
{
	if (nj == NULL)
		return;
	nj->stopped = 1;
	event_del(nj->step);
	while (nj->head != NULL)
		jobs_end(nj, -1, NULL,
		         "the daemon is stopping; the members are told when "
		         "it starts again");
}

void
noticejobs_free(struct noticejobs *nj)
{
	if (nj == NULL)
		return;
	noticejobs_stop(nj);
	event_free(nj->step);
	free(nj);
}
