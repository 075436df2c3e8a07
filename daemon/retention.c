/* Retention of raw inbound payloads. */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "retention.h"
#include "env.h"
#include "xmalloc.h"

#define RETENTION_INTERVAL (6 * 3600)

struct retention {
	struct env *env;
	struct event *timer;
};

int
retention_purge(struct db *db, int days, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE inbound SET raw=NULL, body=NULL, from_addr=NULL,"
	        " to_addr=NULL, purged_at=?2 WHERE received_at < ?1"
	        " AND purged_at IS NULL");

	db_bind_int(st, 1, now - (int64_t)days * 86400);
	db_bind_int(st, 2, now);
	if (db_done(db, st) == -1)
		return -1;
	return db_changes(db);
}

static void
retention_tick_run(evutil_socket_t fd, short what, void *arg)
{
	struct retention *r = arg;
	struct timeval tv = {RETENTION_INTERVAL, 0};
	int days = (int)config_int(r->env->cfg, CFG_RETENTION_INBOUND);
	int n;

	if (!r->env->stopping) {
		n = retention_purge(r->env->db, days, time(NULL));
		if (n > 0)
			log_info("event=retention purged=%d days=%d", n, days);
		else if (n == -1)
			log_warnx("event=retention error=\"%s\"",
			          db_errmsg(r->env->db));
	}
	evtimer_add(r->timer, &tv);
}

/* The timer's callback: no statement may outlive it. */
static void
retention_tick(evutil_socket_t fd, short what, void *arg)
{
	struct retention *r = arg;

	retention_tick_run(fd, what, arg);
	db_idle(r->env->db, "retention_tick");
}

struct retention *
retention_new(struct env *env)
{
	struct retention *r = xcalloc(1, sizeof *r);
	struct timeval now = {0, 0};

	r->env = env;
	r->timer = evtimer_new(env->base, retention_tick, r);
	evtimer_add(r->timer, &now);
	return r;
}

void
retention_free(struct retention *r)
{
	if (r == NULL)
		return;
	event_free(r->timer);
	free(r);
}
