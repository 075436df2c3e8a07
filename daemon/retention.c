/*
 * Retention of raw inbound payloads and of the text of outgoing messages.
 * A year of sending leaves millions of rows to purge at once: the daemon
 * purges them in slices of ids, each its own short transaction, from a
 * timer, so webhooks are handled in between and a CLI writer waits little.
 */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "outbox.h"
#include "retention.h"
#include "env.h"
#include "xmalloc.h"

#define RETENTION_INTERVAL (6 * 3600)
/* Between slices; longer when the write lock was another's. */
#define RETENTION_GAP_USEC  1000
#define RETENTION_BUSY_USEC 50000

enum retention_table { RT_INBOUND, RT_OUTBOX, RT_DONE };

struct retention {
	struct env *env;
	struct event *timer;
	enum retention_table table; /* the pass in progress */
	int64_t cursor, max, now;   /* ids done, last id, the pass's time */
	long purged[RT_DONE];
};

int
retention_purge_slice(struct db *db, int days, int64_t now, int64_t lo,
                      int64_t hi)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE inbound SET raw=NULL, body=NULL, from_addr=NULL,"
	        " to_addr=NULL, purged_at=?2 WHERE id > ?3 AND id <= ?4 AND"
	        " received_at < ?1 AND purged_at IS NULL");

	db_bind_int(st, 1, now - (int64_t)days * 86400);
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, lo);
	db_bind_int(st, 4, hi);
	if (db_done(db, st) == -1)
		return -1;
	return db_changes(db);
}

static int64_t
max_id(struct db *db, enum retention_table t)
{
	sqlite3_stmt *st =
	    db_stmt(db, t == RT_INBOUND ? "SELECT max(id) FROM inbound"
	                                : "SELECT max(id) FROM outbox");
	int64_t v = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* One slice of a table; rows purged or -1. */
static int
purge_slice(struct db *db, const struct config *cfg, enum retention_table t,
            int64_t now, int64_t lo, int64_t hi)
{
	int days;

	if (t == RT_INBOUND)
		return retention_purge_slice(
		    db, (int)config_int(cfg, CFG_RETENTION_INBOUND), now, lo,
		    hi);
	days = (int)config_int(cfg, CFG_RETENTION_OUTBOX);
	if (days == 0)
		return 0;
	return outbox_purge(db, now - (int64_t)days * 86400, lo, hi);
}

int
retention_purge(struct db *db, int days, int64_t now)
{
	int64_t lo, max = max_id(db, RT_INBOUND);
	int n, total = 0;

	for (lo = 0; lo < max; lo += RETENTION_SLICE) {
		if ((n = retention_purge_slice(db, days, now, lo,
		                               lo + RETENTION_SLICE)) == -1)
			return -1;
		total += n;
	}
	return total;
}

int
retention_purge_outbox(struct db *db, int days, int64_t now)
{
	int64_t lo, max = max_id(db, RT_OUTBOX);
	int n, total = 0;

	if (days == 0)
		return 0;
	for (lo = 0; lo < max; lo += RETENTION_SLICE) {
		if ((n = outbox_purge(db, now - (int64_t)days * 86400, lo,
		                      lo + RETENTION_SLICE)) == -1)
			return -1;
		total += n;
	}
	return total;
}

static void
retention_begin(struct retention *r, enum retention_table t)
{
	r->table = t;
	r->cursor = 0;
	if (t != RT_DONE)
		r->max = max_id(r->env->db, t);
}

static void
retention_finish(struct retention *r)
{
	struct timeval tv = {RETENTION_INTERVAL, 0};

	if (r->purged[RT_INBOUND] + r->purged[RT_OUTBOX] > 0)
		log_info("event=retention inbound_purged=%ld "
		         "outbox_purged=%ld",
		         r->purged[RT_INBOUND], r->purged[RT_OUTBOX]);
	r->purged[RT_INBOUND] = r->purged[RT_OUTBOX] = 0;
	r->table = RT_DONE;
	evtimer_add(r->timer, &tv);
}

static void
retention_tick_run(evutil_socket_t fd, short what, void *arg)
{
	struct retention *r = arg;
	struct db *db = r->env->db;
	struct timeval tv = {0, RETENTION_GAP_USEC};
	int n;

	if (r->env->stopping)
		return;
	if (r->table == RT_DONE) {
		r->now = time(NULL);
		retention_begin(r, RT_INBOUND);
	}
	while (r->table != RT_DONE && r->cursor >= r->max)
		retention_begin(r, r->table + 1);
	if (r->table == RT_DONE) {
		retention_finish(r);
		return;
	}
	n = purge_slice(db, r->env->cfg, r->table, r->now, r->cursor,
	                r->cursor + RETENTION_SLICE);
	if (n == -1 && db_busy(db)) {
		tv.tv_usec = RETENTION_BUSY_USEC;
	} else if (n == -1) {
		log_warnx("event=retention error=\"%s\"", db_errmsg(db));
		retention_finish(r);
		return;
	} else {
		r->purged[r->table] += n;
		r->cursor += RETENTION_SLICE;
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
	r->table = RT_DONE;
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
