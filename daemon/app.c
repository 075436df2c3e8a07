/* What the daemon runs: routes and services. */
#include <stddef.h>

#include "app.h"
#include "action.h"
#include "dispatch.h"
#include "firequeue.h"
#include "noticejobs.h"
#include "http.h"
#include "joinsvc.h"
#include "joinweb.h"
#include "looplag.h"
#include "meeting_page.h"
#include "membership.h"
#include "retention.h"
#include "scheduler.h"
#include "server.h"
#include "status.h"
#include "unsubscribe.h"
#include "webhook_http.h"
#include "websurvey.h"

/* The services on the loop; one daemon per process. */
static struct dispatcher *dispatcher;
static struct scheduler *scheduler;
static struct retention *retention;
static struct membership *membership;
static struct joinsvc *joinsvc;
static struct looplag *looplag;

static const struct http_route public_routes[] = {
    {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/healthz", "healthz", status_healthz},
    {EVHTTP_REQ_GET, "/metrics", "metrics", status_metrics_public},
    {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/practice/", "actions", action_http},
/* The webhook routes, from their one table; webhook_http serves each. */
#define WEBHOOK_ROUTE(kind, path, provider, label, json, fn)                   \
	{EVHTTP_REQ_POST, path, label, webhook_http},
#include "webhook_routes.def"
#undef WEBHOOK_ROUTE
    {EVHTTP_REQ_GET | EVHTTP_REQ_POST, "/s/", "survey", websurvey_http},
    {EVHTTP_REQ_GET | EVHTTP_REQ_POST, "/u/", "unsubscribe", unsubscribe_http},
    {EVHTTP_REQ_GET | EVHTTP_REQ_POST, "/m/", "meeting_reply",
     meeting_rsvp_http},
    {EVHTTP_REQ_GET | EVHTTP_REQ_POST, "/join/", "join", joinweb_http},
    {EVHTTP_REQ_GET | EVHTTP_REQ_POST, "/agreement/", "agreement",
     joinweb_agreement_http},
    {0, NULL, NULL, NULL},
};

const struct http_route *
app_routes(void)
{
	return public_routes;
}

static void
app_kick(void *arg)
{
	dispatcher_kick(arg);
}

int
app_start(struct server *s, char **cause)
{
	struct env *env = server_env(s);

	if ((dispatcher = dispatcher_new(env, cause)) == NULL)
		return -1;
	env->kick = app_kick;
	env->kick_arg = dispatcher;
	env->fires = firequeue_new(env);
	env->notices = noticejobs_new(env);
	noticejobs_resume(env->notices);
	if ((scheduler = scheduler_new(env, cause)) == NULL)
		return -1;
	retention = retention_new(env);
	looplag = looplag_new(env->base);
	membership = membership_new(env);
	joinsvc = joinsvc_new(env);
	return 0;
}

void
app_stop(struct server *s)
{
	if (dispatcher != NULL)
		dispatcher_stop(dispatcher);
	if (scheduler != NULL)
		scheduler_stop(scheduler);
	/* Fires cut short stay firing: the next start finishes them. */
	firequeue_stop(server_env(s)->fires);
	noticejobs_stop(server_env(s)->notices);
}

int
app_busy(struct server *s)
{
	return (dispatcher != NULL ? dispatcher_inflight(dispatcher) : 0) +
	       webhook_http_pending();
}

void
app_reload(struct server *s)
{
	if (dispatcher != NULL)
		dispatcher_reload(dispatcher);
	if (scheduler != NULL)
		scheduler_reload(scheduler);
}

void
app_free(struct server *s)
{
	server_env(s)->kick = NULL;
	dispatcher_free(dispatcher);
	dispatcher = NULL;
	scheduler_free(scheduler);
	scheduler = NULL;
	firequeue_free(server_env(s)->fires);
	server_env(s)->fires = NULL;
	noticejobs_free(server_env(s)->notices);
	server_env(s)->notices = NULL;
	retention_free(retention);
	retention = NULL;
	looplag_free(looplag);
	looplag = NULL;
	membership_free(membership);
	membership = NULL;
	joinsvc_free(joinsvc);
	joinsvc = NULL;
	webhook_http_free();
}

void
app_metrics(struct evbuffer *b)
{
	if (dispatcher != NULL)
		dispatcher_metrics(dispatcher, b);
	if (looplag != NULL)
		looplag_metrics(looplag, b);
}
