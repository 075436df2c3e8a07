/*
 * The scheduler. campaigns.next_fire_at holds each campaign's next fire; a
 * reminder is due remind_after after its first run. One libevent timer is
 * armed for the earliest of these (at most 60 s away, a safety net). The
 * CLI changes campaigns from another process: a cheap check of SQLite's
 * data_version each second notices another connection's commit, re-reads
 * the schedule and wakes the dispatcher for rows the CLI queued.
 *
 * On the loop, a fire is a job of slices in the daemon's one queue of fires
 * (firequeue.h), beside those the API and the web admin start: one slice
 * of about 50 ms per loop turn, so webhooks are answered in between. The
 * scheduler looks at the schedule only while the queue is empty, and again
 * each time it empties.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "campaign.h"
#include "care_alert.h"
#include "fire.h"
#include "firequeue.h"
#include "log.h"
#include "scheduler.h"
#include "env.h"
#include "xmalloc.h"

#define SAFETY_RECHECK 60 /* seconds: the timer's longest sleep */
#define WATCH_INTERVAL 1  /* seconds between data_version checks */

struct scheduler {
	struct env *env;
	struct event *timer;
	struct event *watch;
	int resumed;      /* fire_resume has run (once, at start) */
	int64_t resuming; /* the run left firing a job finishes */
	int64_t data_version;
	int starting;
	int stopping;
};

/* A first run whose reminders are not all made. */
struct base_run {
	int64_t campaign_id, scheduled_for, fired_at, remind_after;
	int max, last;
};

static int
catch_up_skip(const struct config *cfg, int starting)
{
	return starting && strcmp(config_str(cfg, CFG_CATCH_UP), "skip") == 0;
}

static void
log_fire(const struct campaign *c, const struct fire_result *r)
{
	log_info("event=fire campaign=\"%s\" run=%lld reminder=%d created=%d"
	         " messages=%d email=%d sms=%d held=%d matched=%d",
	         c->name, (long long)r->run_id, r->reminder, r->created,
	         r->messages, r->email, r->sms, r->held, r->matched);
}

/* A fire in the queue is busy: nothing else is fired until it ends. */
static int
busy(const struct scheduler *s)
{
	return s != NULL && firequeue_length(s->env->fires) > 0;
}

/* A queued fire of the scheduler's ended. */
static void
fire_done(void *arg, enum firequeue_end how, struct campaign *c,
          const struct fire_result *r, const char *cause)
{
	if (how == FIREQUEUE_FIRED)
		log_fire(c, r);
}

/*
 * Fire *cp now (s NULL: to the end), or on s's loop as a job in the queue
 * that takes *cp (then *cp is NULL). 1 if a job was queued, 0 done, -1
 * failed.
 */
static int
fire_one(struct scheduler *s, struct db *db, const struct config *cfg,
         struct campaign **cp, int64_t when, int reminder, int64_t now,
         struct fire_result *r, char **cause)
{
	int rc;

	if (s == NULL)
		return fire_run(db, cfg, *cp, when, reminder, now, r, cause);
	rc = firequeue_add(s->env->fires, *cp, when, reminder, now, fire_done,
	                   s, r, cause);
	if (rc == 1)
		*cp = NULL;
	return rc;
}

/* Fire (or skip) one due campaign; -1 if it failed and stays due. */
static int
campaign_due(struct scheduler *s, struct db *db, const struct config *cfg,
             int64_t id, int64_t now, int starting, int *fired)
{
	struct campaign *c = campaign_get(db, id), *fc;
	struct fire_result r;
	char *cause = NULL;
	int rc = 0, k = 0;

	if (c == NULL)
		return 0;
	fc = c;
	if (catch_up_skip(cfg, starting))
		log_info("event=catch_up_skip campaign=\"%s\"", c->name);
	else if ((k = fire_one(s, db, cfg, &fc, c->next_fire_at, 0, now, &r,
	                       &cause)) == -1) {
		log_warnx("event=fire campaign=\"%s\" error=\"%s\"", c->name,
		          cause);
		free(cause);
		rc = -1;
	} else {
		if (k == 0)
			log_fire(c, &r);
		*fired += r.created;
	}
	/* A job's run exists (firing): a crash now is finished at start. One
	 * not yet made (the lock was taken) leaves c due: the next pass finds
	 * it fired, or fires it. */
	if (rc == 0 && (k != 1 || r.run_id != 0) &&
	    campaign_advance(db, c, c->next_fire_at, now) == -1)
		log_warnx("event=advance campaign=\"%s\" error=\"%s\"", c->name,
		          db_errmsg(db));
	campaign_free(fc);
	return rc;
}

/* Ids of active campaigns due by now, at most n. */
static int
due_campaigns(struct db *db, int64_t now, int64_t *ids, int n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM campaigns WHERE"
	                               " state = 'active' AND next_fire_at"
	                               " <= ? ORDER BY next_fire_at, id"
	                               " LIMIT ?");
	int k = 0;

	db_bind_int(st, 1, now);
	db_bind_int(st, 2, n);
	while (k < n && sqlite3_step(st) == SQLITE_ROW)
		ids[k++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return k;
}

static int64_t
next_campaign(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(next_fire_at) FROM campaigns"
	                               " WHERE state = 'active'");
	int64_t t = 0;

	db_row_int(db, st, &t);
	return t;
}

/* First runs of campaigns with reminders still to make, at most n. */
static int
base_runs(struct db *db, struct base_run *b, int n)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT * FROM (SELECT r.campaign_id, r.scheduled_for,"
	        " r.fired_at, c.remind_after_s, c.max_reminders,"
	        " (SELECT max(x.reminder) FROM runs x WHERE"
	        " x.campaign_id = r.campaign_id AND x.scheduled_for ="
	        " r.scheduled_for) AS last FROM runs r JOIN campaigns c ON"
	        " c.id = r.campaign_id WHERE r.reminder = 0 AND"
	        " c.remind_after_s > 0 AND c.state <> 'paused')"
	        " WHERE last < max_reminders ORDER BY fired_at LIMIT ?");
	int k = 0;

	db_bind_int(st, 1, n);
	while (k < n && sqlite3_step(st) == SQLITE_ROW) {
		b[k].campaign_id = sqlite3_column_int64(st, 0);
		b[k].scheduled_for = sqlite3_column_int64(st, 1);
		b[k].fired_at = sqlite3_column_int64(st, 2);
		b[k].remind_after = sqlite3_column_int64(st, 3);
		b[k].max = sqlite3_column_int(st, 4);
		b[k].last = sqlite3_column_int(st, 5);
		k++;
	}
	sqlite3_reset(st);
	return k;
}

/* Record a reminder run that is skipped (catch_up = skip). */
static void
reminder_skip(struct db *db, const struct base_run *b, int k, int64_t now)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO runs (campaign_id,"
	                               " scheduled_for, reminder, fired_at)"
	                               " VALUES (?, ?, ?, ?) ON CONFLICT DO"
	                               " NOTHING");

	db_bind_int(st, 1, b->campaign_id);
	db_bind_int(st, 2, b->scheduled_for);
	db_bind_int(st, 3, k);
	db_bind_int(st, 4, now);
	db_done(db, st);
	log_info("event=catch_up_skip campaign_id=%lld reminder=%d",
	         (long long)b->campaign_id, k);
}

/* Make the latest reminder now due (earlier missed ones are not sent);
 * returns its number, or -1 if it failed and stays due. */
static int
reminder_due(struct scheduler *s, struct db *db, const struct config *cfg,
             const struct base_run *b, int64_t now, int starting, int *fired)
{
	int k = (int)((now - b->fired_at) / b->remind_after), rc;
	struct campaign *c;
	struct fire_result r;
	char *cause = NULL;

	if (k > b->max)
		k = b->max;
	if (catch_up_skip(cfg, starting)) {
		reminder_skip(db, b, k, now);
		return k;
	}
	if ((c = campaign_get(db, b->campaign_id)) == NULL)
		return k;
	if ((rc = fire_one(s, db, cfg, &c, b->scheduled_for, k, now, &r,
	                   &cause)) == -1) {
		log_warnx("event=fire campaign=\"%s\" reminder=%d error=\"%s\"",
		          c->name, k, cause);
		free(cause);
		k = -1;
	} else {
		if (rc == 0)
			log_fire(c, &r);
		*fired += r.created;
	}
	campaign_free(c);
	return k;
}

#define BATCH 64

static void
earliest(int64_t *next, int64_t t)
{
	if (*next == 0 || t < *next)
		*next = t;
}

/* Fire due reminders; returns the next reminder time (0: none). */
static int64_t
reminders_run(struct scheduler *s, struct db *db, const struct config *cfg,
              int64_t now, int starting, int *fired, int *failed)
{
	struct base_run b[BATCH];
	int64_t next = 0, due;
	int n = base_runs(db, b, BATCH), i, k;

	for (i = 0; i < n && !busy(s); i++) {
		due = b[i].fired_at +
		      (int64_t)(b[i].last + 1) * b[i].remind_after;
		if (due > now) {
			earliest(&next, due);
			continue;
		}
		if ((k = reminder_due(s, db, cfg, &b[i], now, starting,
		                      fired)) == -1)
			*failed = 1;
		else if (k < b[i].max)
			earliest(&next, b[i].fired_at + (int64_t)(k + 1) *
			                                    b[i].remind_after);
	}
	return next;
}

/*
 * Start a job that finishes the oldest run left firing; 1 if one started.
 * A run found again after its job (the job failed) is left to fire_resume,
 * which logs why, so a failing run is not retried without end.
 */
static int
resume_job(struct scheduler *s, struct db *db, const struct config *cfg,
           int64_t now, int *fired)
{
	struct campaign *c;
	struct fire_result r;
	int64_t run, campaign, when;
	char *cause = NULL;
	int reminder, k = 0;

	if ((run = fire_firing_run(db, &campaign, &when, &reminder)) == 0 ||
	    run == s->resuming || (c = campaign_get(db, campaign)) == NULL)
		return 0;
	s->resuming = run; /* fire_job_start logs the resume */
	if ((k = fire_one(s, db, cfg, &c, when, reminder, now, &r, &cause)) ==
	    -1) {
		log_warnx("event=fire_resume run=%lld error=\"%s\"",
		          (long long)run, cause);
		free(cause);
	} else
		*fired += r.created;
	campaign_free(c);
	return k == 1;
}

/* scheduler_run_due; on s's loop (s not NULL), a fire is started as a job
 * and nothing else is fired until it ends. */
static int64_t
run_due(struct scheduler *s, struct db *db, const struct config *cfg,
        int64_t now, int starting, int *fired)
{
	int64_t ids[BATCH], next, rnext = 0;
	int n, i, failed = 0;

	*fired = 0;
	/* A fire a crash interrupted finishes before anything new (once: a
	 * first pass cut short by a job carries on still `starting`); on the
	 * loop, each run left firing as a job of its own. */
	if (starting && s != NULL && !s->resumed &&
	    resume_job(s, db, cfg, now, fired) == 1)
		return now;
	if (starting && (s == NULL || !s->resumed) &&
	    fire_resume(db, cfg, now, fired) == -1)
		failed = 1;
	if (s != NULL)
		s->resumed = 1;
	n = due_campaigns(db, now, ids, BATCH);
	for (i = 0; i < n && !busy(s); i++)
		if (campaign_due(s, db, cfg, ids[i], now, starting, fired) ==
		    -1)
			failed = 1;
	if (busy(s))
		return now;
	rnext = reminders_run(s, db, cfg, now, starting, fired, &failed);
	if (busy(s))
		return now;
	next = next_campaign(db);
	if (rnext != 0 && (next == 0 || rnext < next))
		next = rnext;
	/* Something failed and is still due, or more than a batch was due. */
	if (failed || n == BATCH)
		return failed ? now + SAFETY_RECHECK : now;
	return next;
}

int64_t
scheduler_run_due(struct db *db, const struct config *cfg, int64_t now,
                  int starting, int *fired)
{
	return run_due(NULL, db, cfg, now, starting, fired);
}

static void
scheduler_arm(struct scheduler *s, int64_t next, int64_t now)
{
	struct timeval tv = {SAFETY_RECHECK, 0};

	if (s->stopping)
		return;
	if (next != 0 && next - now < SAFETY_RECHECK)
		tv.tv_sec = next > now ? (long)(next - now) : 0;
	evtimer_add(s->timer, &tv);
}

static void
scheduler_tick_run(evutil_socket_t fd, short what, void *arg)
{
	struct scheduler *s = arg;
	int64_t now = time(NULL), next, esc;
	int fired, queued;

	if (s->stopping || s->env->stopping)
		return;
	if (busy(s)) /* the queue's end looks at the schedule again */
		return;
	fired = 0;
	next = run_due(s, s->env->db, s->env->cfg, now, s->starting, &fired);
	/* Care alerts nobody acknowledged are sent again. */
	esc = care_alert_escalate(s->env->db, s->env->cfg, now, &queued);
	fired += queued;
	if (esc != 0 && (next == 0 || esc < next))
		next = esc;
	/* What was missed while down is decided in the first whole pass (a
	 * job cuts a pass short; the next pass carries on). */
	if (!busy(s))
		s->starting = 0;
	/* The fires made outbox rows: the dispatcher sends them now. */
	if (fired > 0)
		env_kick(s->env);
	if (!busy(s))
		scheduler_arm(s, next, now);
}

/* The queue of fires emptied: look at the schedule again. */
static void
scheduler_idle(void *arg)
{
	struct scheduler *s = arg;

	scheduler_arm(s, time(NULL), time(NULL));
}

/* The timer's callback: no statement may outlive it. */
static void
scheduler_tick(evutil_socket_t fd, short what, void *arg)
{
	struct scheduler *s = arg;

	scheduler_tick_run(fd, what, arg);
	db_idle(s->env->db, "scheduler_tick");
}

/* Another process (the CLI) committed: re-read the schedule, and wake the
 * dispatcher for any rows it queued. */
static void
scheduler_watch_run(evutil_socket_t fd, short what, void *arg)
{
	struct scheduler *s = arg;
	int64_t v = db_data_version(s->env->db);

	if (s->stopping || v == s->data_version)
		return;
	s->data_version = v;
	if (!s->starting) {
		event_active(s->timer, EV_TIMEOUT, 0);
		env_kick(s->env);
	}
}

/* The timer's callback: no statement may outlive it. */
static void
scheduler_watch(evutil_socket_t fd, short what, void *arg)
{
	struct scheduler *s = arg;

	scheduler_watch_run(fd, what, arg);
	db_idle(s->env->db, "scheduler_watch");
}

struct scheduler *
scheduler_new(struct env *env, char **cause)
{
	struct scheduler *s = xcalloc(1, sizeof *s);
	struct timeval tv = {WATCH_INTERVAL, 0};

	s->env = env;
	s->starting = 1;
	s->data_version = db_data_version(env->db);
	s->timer = evtimer_new(env->base, scheduler_tick, s);
	s->watch = event_new(env->base, -1, EV_PERSIST, scheduler_watch, s);
	if (s->timer == NULL || s->watch == NULL) {
		*cause = xstrdup("scheduler: cannot make its events");
		scheduler_free(s);
		return NULL;
	}
	event_add(s->watch, &tv);
	firequeue_on_idle(env->fires, scheduler_idle, s);
	scheduler_arm(s, time(NULL), time(NULL));
	return s;
}

void
scheduler_stop(struct scheduler *s)
{
	s->stopping = 1;
	event_del(s->timer);
	event_del(s->watch);
}

void
scheduler_reload(struct scheduler *s)
{
	if (!s->stopping && !s->starting)
		event_active(s->timer, EV_TIMEOUT, 0);
}

void
scheduler_free(struct scheduler *s)
{
	if (s == NULL)
		return;
	firequeue_on_idle(s->env->fires, NULL, NULL);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->watch != NULL)
		event_free(s->watch);
	free(s);
}
