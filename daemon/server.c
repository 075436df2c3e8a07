/* The daemon: one libevent loop with signals, sd_notify and HTTP. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "admin.h"
#include "user.h"
#include "api.h"
#include "firequeue.h"
#include "http.h"
#include "log.h"
#include "ratelog.h"
#include "app.h"
#include "sdnotify.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

/*
 * The loop never waits for another process's write lock (db_open's 5 s
 * suits the CLI): a busy handler would sleep on the loop thread and stall
 * every request behind it. A statement that finds the lock taken fails at
 * once and is retried from a timer (webhooks, for up to [http] write_wait;
 * the dispatcher, the scheduler) or answered 503.
 */
#define SERVER_BUSY_MS 0

struct server {
	struct env env; /* db, base, cfg, stopping, kick: what services see */
	struct event_base *base;
	char *config_file;
	struct config *cfg;
	struct db *db;
	struct http *http;
	struct http *api;   /* NULL when the admin API is off */
	struct http *admin; /* NULL when the web admin is off */
	struct event *ev_term, *ev_int, *ev_hup, *ev_watchdog, *ev_stop;
	struct event *ev_tick; /* once a second: counts of refusals */
	double started;
	double stop_deadline;
	int stopping;
	/* Configurations a reload replaced while fires were queued: a fire
	 * reads the one it started with (fire.h), so they are freed only
	 * once no fire is queued. */
	struct config **retired;
	size_t nretired;
};

/* Free the configurations replaced earlier, if no fire may use them. */
static void
server_retired_free(struct server *s, int all)
{
	size_t i;

	if (!all && firequeue_length(s->env.fires) > 0)
		return;
	for (i = 0; i < s->nretired; i++)
		config_free(s->retired[i]);
	free(s->retired);
	s->retired = NULL;
	s->nretired = 0;
}

/* The configuration a reload replaces: freed now, or once no fire runs. */
static void
server_retire(struct server *s, struct config *old)
{
	s->retired =
	    xreallocarray(s->retired, s->nretired + 1, sizeof *s->retired);
	s->retired[s->nretired++] = old;
	server_retired_free(s, 0);
}

struct env *
server_env(struct server *s)
{
	return &s->env;
}

struct event_base *
server_base(struct server *s)
{
	return s->base;
}

struct db *
server_db(struct server *s)
{
	return s->db;
}

const struct config *
server_config(struct server *s)
{
	return s->cfg;
}

double
server_uptime(struct server *s)
{
	return util_monotonic() - s->started;
}

int
server_stopping(struct server *s)
{
	return s->stopping;
}

/* Work still in flight that a stop should wait for. */
static int
server_busy(struct server *s)
{
	return app_busy(s);
}

static void
server_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct timeval tv = {0, 50 * 1000};

	if (server_busy(s) > 0 && util_monotonic() < s->stop_deadline) {
		evtimer_add(s->ev_stop, &tv);
		return;
	}
	if (server_busy(s) > 0)
		log_warnx("event=stop in_flight=%d msg_detail=\"timed out "
		          "waiting\"",
		          server_busy(s));
	event_base_loopexit(s->base, NULL);
}

static void
server_on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;

	if (s->stopping)
		return;
	s->stopping = 1;
	s->env.stopping = 1;
	log_info("event=stopping signal=%s", strsignal((int)sig));
	sdnotify_send("STOPPING=1");
	http_stop_accepting(s->http);
	if (s->api != NULL)
		http_stop_accepting(s->api);
	if (s->admin != NULL)
		http_stop_accepting(s->admin);
	app_stop(s);
	s->stop_deadline =
	    util_monotonic() + (double)config_int(s->cfg, CFG_SHUTDOWN_TIMEOUT);
	server_stop_check(-1, 0, s);
}

static void
server_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	struct config *cfg;
	char *errors = NULL, *line, *save = NULL;

	sdnotify_send("RELOADING=1");
	if (config_load(s->config_file, &cfg, &errors) == -1) {
		for (line = strtok_r(errors, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			log_warnx("event=reload_refused error=\"%s\"", line);
		log_warnx("event=reload_refused msg_detail=\"keeping the "
		          "running configuration\"");
		free(errors);
		sdnotify_send("READY=1");
		return;
	}
	if (strcmp(config_str(cfg, CFG_DATABASE),
	           config_str(s->cfg, CFG_DATABASE)) != 0 ||
	    strcmp(config_str(cfg, CFG_LISTEN),
	           config_str(s->cfg, CFG_LISTEN)) != 0 ||
	    strcmp(config_str(cfg, CFG_API_LISTEN),
	           config_str(s->cfg, CFG_API_LISTEN)) != 0)
		log_warnx("event=reload msg_detail=\"database, listen and "
		          "[api] listen take effect at the next restart\"");
	server_retire(s, s->cfg);
	s->cfg = cfg;
	s->env.cfg = cfg;
	log_init(config_int(cfg, CFG_VERBOSE));
	http_apply_limits(s->http);
	if (s->api != NULL)
		http_apply_limits(s->api);
	if (s->admin != NULL)
		http_apply_limits(s->admin);
	api_reload(cfg);
	app_reload(s);
	log_info("event=reloaded");
	sdnotify_send("READY=1");
}

static void
server_on_tick(evutil_socket_t fd, short what, void *arg)
{
	ratelog_flush(util_monotonic());
}

static void
server_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	sdnotify_send("WATCHDOG=1");
}

static void
server_signals(struct server *s)
{
	long usec;
	struct timeval tv;

	signal(SIGPIPE, SIG_IGN);
	s->ev_term = evsignal_new(s->base, SIGTERM, server_on_stop, s);
	s->ev_int = evsignal_new(s->base, SIGINT, server_on_stop, s);
	s->ev_hup = evsignal_new(s->base, SIGHUP, server_on_hup, s);
	evsignal_add(s->ev_term, NULL);
	evsignal_add(s->ev_int, NULL);
	evsignal_add(s->ev_hup, NULL);
	s->ev_stop = evtimer_new(s->base, server_stop_check, s);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	s->ev_tick = event_new(s->base, -1, EV_PERSIST, server_on_tick, s);
	event_add(s->ev_tick, &tv);
	if ((usec = sdnotify_watchdog_usec()) > 0) {
		tv.tv_sec = usec / 1000000;
		tv.tv_usec = usec % 1000000;
		s->ev_watchdog =
		    event_new(s->base, -1, EV_PERSIST, server_on_watchdog, s);
		event_add(s->ev_watchdog, &tv);
	}
}

static void
server_free(struct server *s)
{
	app_free(s);
	server_retired_free(s, 1);
	http_free(s->http);
	http_free(s->api);
	http_free(s->admin);
	api_free();
	if (s->ev_watchdog != NULL)
		event_free(s->ev_watchdog);
	event_free(s->ev_term);
	event_free(s->ev_int);
	event_free(s->ev_hup);
	event_free(s->ev_stop);
	event_free(s->ev_tick);
	event_base_free(s->base);
	free(s->config_file);
}

/* The admin API's listener, if [api] turns it on. */
static int
server_api_start(struct server *s, char **cause)
{
	const char *addr;

	if (api_configure(s->cfg, &addr, cause) == -1)
		return -1;
	if (addr != NULL &&
	    (s->api = http_new(s, addr, api_routes(), cause)) == NULL)
		return -1;
	if (addr != NULL)
		log_info("event=api_listening listen=%s", addr);
	return 0;
}

/* The staff web admin's listener, if [admin] listen is set. */
static int
server_admin_start(struct server *s, char **cause)
{
	const char *addr;

	if (admin_configure(s->cfg, &addr, cause) == -1)
		return -1;
	/* Like the API without tokens: no account, no listener. */
	if (addr != NULL && user_count(s->db) == 0) {
		log_info("event=admin_disabled reason=\"no users (ppgd user "
		         "add)\"");
		return 0;
	}
	if (addr != NULL &&
	    (s->admin = http_new(s, addr, admin_routes(), cause)) == NULL)
		return -1;
	if (addr != NULL)
		http_allow_uploads(s->admin, CFG_ADMIN_MAX_UPLOAD);
	if (addr != NULL)
		log_info("event=admin_listening listen=%s", addr);
	return 0;
}

/*
 * The loop. With epoll, libcurl's socket callbacks change interest on the
 * same sockets many times a turn: the changelist folds those into one
 * epoll_ctl per socket and turn.
 */
static struct event_base *
server_base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	/* Priority 0 is http.c's step right after accept; the rest run at 1. */
	if (base != NULL && event_base_priority_init(base, 2) == -1)
		fatalx("event_base_priority_init failed");
	return base;
}

int
server_run(const char *config_file, struct config **cfgp, struct db *db)
{
	struct config *cfg = *cfgp;
	struct server s = {0};
	char *cause = NULL;
	int rc = 0;

	s.config_file = config_file ? xstrdup(config_file) : NULL;
	s.cfg = cfg;
	s.db = db;
	s.started = util_monotonic();
	sqlite3_busy_timeout(db_handle(db), SERVER_BUSY_MS);
	db_set_actor(db, "daemon");
	if ((s.base = server_base_new()) == NULL)
		fatalx("event_base_new failed");
	s.env.db = db;
	s.env.base = s.base;
	s.env.cfg = cfg;
	server_signals(&s);
	s.http =
	    http_new(&s, config_str(cfg, CFG_LISTEN), app_routes(), &cause);
	if (s.http == NULL || server_api_start(&s, &cause) == -1 ||
	    server_admin_start(&s, &cause) == -1 ||
	    app_start(&s, &cause) == -1) {
		log_warnx("event=start_failed error=\"%s\"", cause);
		free(cause);
		server_free(&s);
		return 1;
	}
	log_info("event=ready version=%s listen=%s", PPGD_VERSION,
	         config_str(cfg, CFG_LISTEN));
	sdnotify_send("READY=1");
	if (event_base_dispatch(s.base) == -1)
		rc = 1;
	log_info("event=stopped");
	server_free(&s);
	/* A reload may have replaced the configuration. */
	*cfgp = s.cfg;
	return rc;
}
