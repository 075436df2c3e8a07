/* Membership chores on a timer. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "agreement.h"
#include "config.h"
#include "env.h"
#include "join.h"
#include "joinsvc.h"
#include "log.h"
#include "welcome.h"
#include "xmalloc.h"

#define JOINSVC_INTERVAL 60

/*
 * Welcomes are queued one transaction of 200 members per loop turn: after
 * an import of 100,000 members, a sweep that did them all at once held the
 * loop (and every webhook) for seconds.
 */
struct joinsvc {
	struct env *env;
	struct event *timer;
	int64_t welcomed; /* welcome_sweep's cursor */
	int sweeping;     /* a sweep carries on at the next loop turn */
	int queued;       /* welcomes this sweep queued so far */
};

/* One turn: the chores, then a slice of welcomes; 1 if more remain. */
static int
joinsvc_run(struct joinsvc *j)
{
	struct db *db = j->env->db;
	const struct config *cfg = j->env->cfg;
	int64_t now = time(NULL);
	int purged = 0, welcomed, asked = 0, more = 0;

	if (!j->sweeping) {
		purged = join_purge(
		    db, (int)config_int(cfg, CFG_JOIN_RETENTION_DAYS), now);
		asked = agreement_ask_again(db, cfg, now);
		j->queued = 0;
	}
	welcomed = welcome_sweep_some(db, cfg, now, &j->welcomed, 1, &more);
	if (purged > 0)
		log_info("event=join_purge rows=%d", purged);
	if (purged == -1 || welcomed == -1 || asked == -1)
		log_warnx("event=joinsvc error=\"%s\"", db_errmsg(db));
	if (welcomed > 0)
		j->queued += welcomed;
	j->sweeping = welcomed != -1 && more;
	if ((!j->sweeping && j->queued > 0) || asked > 0) {
		log_info("event=joinsvc welcomed=%d asked=%d", j->queued,
		         asked);
		j->queued = 0;
	}
	if (welcomed > 0 || asked > 0)
		env_kick(j->env);
	return j->sweeping;
}

static void
joinsvc_tick(evutil_socket_t fd, short what, void *arg)
{
	struct joinsvc *j = arg;
	struct timeval tv = {JOINSVC_INTERVAL, 0};

	if (!j->env->stopping && joinsvc_run(j))
		tv.tv_sec = 0;
	db_idle(j->env->db, "joinsvc_tick");
	evtimer_add(j->timer, &tv);
}

struct joinsvc *
joinsvc_new(struct env *env)
{
	struct joinsvc *j = xcalloc(1, sizeof *j);
	struct timeval now = {0, 0};

	j->env = env;
	j->timer = evtimer_new(env->base, joinsvc_tick, j);
	evtimer_add(j->timer, &now);
	return j;
}

void
joinsvc_free(struct joinsvc *j)
{
	if (j == NULL)
		return;
	event_free(j->timer);
	free(j);
}
