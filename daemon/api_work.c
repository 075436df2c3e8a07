/*
 * Heavy reads of the admin API off the event loop. A tally of a million
 * answers or a page of a large register takes seconds of SQLite; on the
 * loop that would hold every webhook meanwhile (and Twilio does not retry).
 * Such a call is parsed and checked on the loop, then queued to a small
 * pool of worker threads, each with a connection of its own kept read-only
 * (PRAGMA query_only; WAL lets readers run beside the loop's writes). A
 * worker reads in one transaction, so the answer is one snapshot, and hands
 * it back through a pipe; the loop sends the reply, as the SMTP workers'
 * outcomes come back (transport_smtp.c). The queue is bounded: when it is
 * full the call is answered 503 with Retry-After at once.
 *
 * A request waiting for its answer stays valid: evhttp detaches (does not
 * free) a request whose client goes away before the reply, and frees it
 * when the reply is sent. At shutdown the listeners are freed before
 * api_work_stop, so the jobs still queued are dropped without a reply.
 *
 * Without a database file (":memory:") there is no second connection: the
 * work runs on the loop's connection, as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "api_priv.h"
#include "db.h"
#include "log.h"
#include "ratelog.h"
#include "server.h"
#include "xmalloc.h"

struct api_job {
	struct evhttp_request *req;
	api_work_fn before, fn;
	void *arg;
	void (*free_arg)(void *);
	struct api_answer ans;
	struct api_job *next;
};

struct api_worker {
	pthread_t tid;
	struct db *db;
	int started;
};

static struct {
	int state; /* 0: not started; 1: workers; -1: on the loop */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct api_job *queue, **queue_tail;
	struct api_job *done, **done_tail;
	int waiting; /* jobs queued, not yet taken by a worker */
	int stopping;
	int pipe[2];
	struct event *ev_done;
	struct api_worker workers[API_WORKERS];
} work = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void
job_free(struct api_job *j)
{
	if (j->free_arg != NULL)
		j->free_arg(j->arg);
	json_decref(j->ans.json);
	free(j->ans.detail);
	free(j);
}

/* Set a's reply to a problem; takes detail. */
void
api_answer_problem(struct api_answer *a, int code, char *detail)
{
	a->code = code;
	json_decref(a->json);
	a->json = NULL;
	free(a->detail);
	a->detail = detail != NULL ? detail : xstrdup("failed");
}

static void
job_reply(struct api_job *j)
{
	struct api_req ar = {.req = j->req};

	if (j->ans.detail != NULL)
		api_problem(&ar, j->ans.code, j->ans.detail, NULL);
	else if (j->ans.json != NULL) {
		api_reply(&ar, j->ans.code, j->ans.json);
		j->ans.json = NULL;
	} else
		api_problem(&ar, 500, "no answer", NULL);
}

/*
 * A test seam, off unless $PPGD_TEST_WORK_GATE names a file: before each
 * job, create FILE.held.N (N: the worker) and wait until FILE exists, so a
 * test can hold a call in progress for as long as it needs without a
 * timing guess.
 */
static void
work_gate(int worker)
{
	const char *gate = getenv("PPGD_TEST_WORK_GATE");
	struct timespec ts = {0, 10 * 1000 * 1000};
	char *held;
	int fd, stop = 0;

	if (gate == NULL || *gate == '\0')
		return;
	held = xasprintf("%s.held.%d", gate, worker);
	if ((fd = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	while (access(gate, F_OK) == -1 && !stop) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&work.mu);
		stop = work.stopping;
		pthread_mutex_unlock(&work.mu);
	}
	unlink(held);
	free(held);
}

/* Run j on db: in one read transaction, so it sees one snapshot. */
static void
job_run(struct api_job *j, struct db *db, int worker)
{
	char *cause = NULL;
	int own = worker >= 0;

	work_gate(worker < 0 ? 0 : worker);
	if (j->before != NULL &&
	    (!own || db_exec(db, "PRAGMA query_only = OFF", &cause) == 0)) {
		j->before(db, j->arg, &j->ans);
		if (own && db_exec(db, "PRAGMA query_only = ON", &cause) == -1)
			fatalx("api_work: query_only: %s", cause);
		if (j->ans.detail != NULL)
			return;
	}
	if (cause != NULL) {
		api_answer_problem(&j->ans, 503, cause);
		return;
	}
	if (own && db_exec(db, "BEGIN", &cause) == -1) {
		api_answer_problem(&j->ans, 503, cause);
		return;
	}
	j->fn(db, j->arg, &j->ans);
	if (own && db_exec(db, "COMMIT", &cause) == -1) {
		free(cause);
		cause = NULL;
		db_exec(db, "ROLLBACK", &cause);
		free(cause);
	}
	db_idle(db, "api_work");
}

static void *
work_main(void *arg)
{
	struct api_worker *w = arg;
	struct api_job *j;
	char c = 'x';

	pthread_mutex_lock(&work.mu);
	for (;;) {
		while (work.queue == NULL && !work.stopping)
			pthread_cond_wait(&work.cv, &work.mu);
		if (work.stopping)
			break;
		j = work.queue;
		if ((work.queue = j->next) == NULL)
			work.queue_tail = &work.queue;
		work.waiting--;
		j->next = NULL;
		pthread_mutex_unlock(&work.mu);
		job_run(j, w->db, (int)(w - work.workers));
		pthread_mutex_lock(&work.mu);
		*work.done_tail = j;
		work.done_tail = &j->next;
		/* The pipe is non-blocking: a full pipe is already a wake-up.
		 */
		if (write(work.pipe[1], &c, 1) == -1 && errno != EAGAIN)
			log_warn("event=api_work_wake");
	}
	pthread_mutex_unlock(&work.mu);
	return NULL;
}

/* The loop side: reply to every finished job. */
static void
work_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct api_job *list, *next;
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&work.mu);
	list = work.done;
	work.done = NULL;
	work.done_tail = &work.done;
	pthread_mutex_unlock(&work.mu);
	for (; list != NULL; list = next) {
		next = list->next;
		job_reply(list);
		job_free(list);
	}
}

/* A read-only connection of a worker's own; NULL if it fails. */
static struct db *
work_db(struct db *main)
{
	struct db *db;
	char *cause = NULL;

	if (db_open_reader(main, &db, &cause) == -1) {
		log_debug("event=api_work_db msg_detail=\"%s\"", cause);
		free(cause);
		return NULL;
	}
	return db;
}

/* Start the workers on the first call: -1 means run on the loop. */
static int
work_start(struct server *s)
{
	sigset_t all, old;
	int i;

	if (work.state != 0)
		return work.state;
	work.state = -1;
	work.queue_tail = &work.queue;
	work.done_tail = &work.done;
	for (i = 0; i < API_WORKERS; i++)
		if ((work.workers[i].db = work_db(server_db(s))) == NULL)
			return -1;
	if (pipe2(work.pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("event=api_work_pipe");
		return -1;
	}
	work.ev_done = event_new(server_base(s), work.pipe[0],
	                         EV_READ | EV_PERSIST, work_on_done, NULL);
	event_add(work.ev_done, NULL);
	/* Workers take no signals: the loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < API_WORKERS; i++)
		work.workers[i].started =
		    pthread_create(&work.workers[i].tid, NULL, work_main,
		                   &work.workers[i]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < API_WORKERS; i++)
		if (work.workers[i].started)
			work.state = 1;
	log_debug("event=api_work_ready workers=%d", API_WORKERS);
	return work.state;
}

/* Run the job now on the loop's connection and reply. */
static void
work_inline(struct api_req *ar, struct api_job *j)
{
	job_run(j, ar->db, -1);
	job_reply(j);
	job_free(j);
}

void
api_defer(struct api_req *ar, api_work_fn before, api_work_fn fn, void *arg,
          void (*free_arg)(void *))
{
	struct api_job *j = xcalloc(1, sizeof *j);
	int full;

	j->req = ar->req;
	j->before = before;
	j->fn = fn;
	j->arg = arg;
	j->free_arg = free_arg;
	j->ans.code = 200;
	if (work_start(ar->srv) == -1) {
		work_inline(ar, j);
		return;
	}
	pthread_mutex_lock(&work.mu);
	if (!(full = work.waiting >= API_WORK_QUEUE)) {
		*work.queue_tail = j;
		work.queue_tail = &j->next;
		work.waiting++;
		pthread_cond_signal(&work.cv);
	}
	pthread_mutex_unlock(&work.mu);
	if (full) {
		ratelog_warnx("api_work_full",
		              "event=api_busy reason=queue_full max=%d",
		              API_WORK_QUEUE);
		api_header(ar, "Retry-After", "1");
		api_problem(ar, 503,
		            "too many reads in progress; try again shortly",
		            NULL);
		job_free(j);
	}
}

void
api_work_stop(void)
{
	struct api_job *j, *next;
	int i;

	if (work.state == 0)
		return;
	pthread_mutex_lock(&work.mu);
	work.stopping = 1;
	pthread_cond_broadcast(&work.cv);
	pthread_mutex_unlock(&work.mu);
	/* A read in progress finishes (seconds at most): interrupted, the
	 * tally would take the error for a broken database. */
	for (i = 0; i < API_WORKERS; i++) {
		if (work.workers[i].started)
			pthread_join(work.workers[i].tid, NULL);
		db_close(work.workers[i].db);
		work.workers[i].db = NULL;
		work.workers[i].started = 0;
	}
	/* The listeners are gone: their requests are not ours to answer. */
	for (j = work.queue; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	for (j = work.done; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	if (work.ev_done != NULL) {
		event_free(work.ev_done);
		close(work.pipe[0]);
		close(work.pipe[1]);
	}
	work.queue = work.done = NULL;
	work.waiting = work.stopping = work.state = 0;
	work.ev_done = NULL;
}
