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

struct joinsvc {
	struct env *env;
	struct event *timer;
	int64_t welcomed; /* welcome_sweep's cursor */
};

static void
joinsvc_run(struct joinsvc *j)
{
	struct db *db = j->env->db;
	const struct config *cfg = j->env->cfg;
	int64_t now = time(NULL);
	int purged, welcomed, asked;

	purged =
	    join_purge(db, (int)config_int(cfg, CFG_JOIN_RETENTION_DAYS), now);
	welcomed = welcome_sweep(db, cfg, now, &j->welcomed);
	asked = agreement_ask_again(db, cfg, now);
	if (purged > 0)
		log_info("event=join_purge rows=%d", purged);
	if (purged == -1 || welcomed == -1 || asked == -1)
		log_warnx("event=joinsvc error=\"%s\"", db_errmsg(db));
	if (welcomed > 0 || asked > 0) {
		log_info("event=joinsvc welcomed=%d asked=%d", welcomed, asked);
		env_kick(j->env);
	}
}

static void
joinsvc_tick(evutil_socket_t fd, short what, void *arg)
{
	struct joinsvc *j = arg;
	struct timeval tv = {JOINSVC_INTERVAL, 0};

	if (!j->env->stopping)
		joinsvc_run(j);
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
