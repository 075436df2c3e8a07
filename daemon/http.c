/* The HTTP front on evhttp: routing, limits and counted replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "ratelog.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

struct http {
	struct server *srv;
	struct evhttp *evh;
	struct evhttp_bound_socket *bound;
	const struct http_route *routes;
	struct conn **conns; /* open connections, counted at accept */
	size_t nconns;
	struct event *ev_resolve, *ev_resume;
	int paused; /* the listener is disabled */
	int emfile; /* ... for want of file descriptors */
	/* A config key of bytes added to max_body ([admin] uploads), or -1. */
	int upload_key;
};

/* Requests by route label, method and status, for /metrics. */
struct counter {
	char *route;
	const char *method;
	int status;
	unsigned long long n;
	struct counter *next;
};
static struct counter *counters;
/* The route tables of every listener, to label replies. */
static const struct http_route *route_tables[4];
/* Every listener, to find one from its evhttp. */
static struct http *listeners[4];

static const struct http_route *
route_match(const struct http_route *routes, const char *path)
{
	const struct http_route *r;
	size_t len;

	for (r = routes; r->path != NULL; r++) {
		len = strlen(r->path);
		if (r->path[len - 1] == '/' ? strncmp(path, r->path, len) == 0
		                            : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

static const char *
route_label(struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const struct http_route *r;
	size_t i;

	if (path == NULL)
		return "other";
	for (i = 0; i < 4 && route_tables[i] != NULL; i++)
		if ((r = route_match(route_tables[i], path)) != NULL)
			return r->name;
	return "other";
}

static const char *
method_label(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	default:
		return "other";
	}
}

static void
count_reply(const char *route, const char *method, int status)
{
	struct counter *c;

	for (c = counters; c != NULL; c = c->next) {
		if (c->status == status && c->method == method &&
		    strcmp(c->route, route) == 0) {
			c->n++;
			return;
		}
	}
	c = xcalloc(1, sizeof *c);
	c->route = xstrdup(route);
	c->method = method;
	c->status = status;
	c->n = 1;
	c->next = counters;
	counters = c;
}

void
http_metrics(struct evbuffer *out)
{
	struct counter *c;

	evbuffer_add_printf(out, "# HELP ppgd_http_requests_total HTTP "
	                         "requests by route, method and status "
	                         "code.\n"
	                         "# TYPE ppgd_http_requests_total counter\n");
	for (c = counters; c != NULL; c = c->next)
		evbuffer_add_printf(out,
		                    "ppgd_http_requests_total{route=\"%s\","
		                    "method=\"%s\",code=\"%d\"} %llu\n",
		                    c->route, c->method, c->status, c->n);
}

void
http_reply(struct evhttp_request *req, int code, const char *type,
           const void *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	/* A face may have set its own (the admin: same-origin). */
	if (evhttp_find_header(h, "Referrer-Policy") == NULL)
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	if (type != NULL && strncmp(type, "text/html", 9) == 0) {
		/* A face may have set its own (the admin: its script). */
		if (evhttp_find_header(h, "Content-Security-Policy") == NULL)
			evhttp_add_header(
			    h, "Content-Security-Policy",
			    "default-src 'none'; style-src 'unsafe-inline';"
			    " img-src data:; form-action 'self';"
			    " frame-ancestors 'none'");
		evhttp_add_header(h, "X-Frame-Options", "DENY");
	}
	if (len > 0)
		evbuffer_add(buf, body, len);
	count_reply(route_label(req), method_label(req), code);
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

void
http_reply_text(struct evhttp_request *req, int code, const char *text)
{
	char *s = xasprintf("%s\n", text);

	http_reply(req, code, "text/plain; charset=utf-8", s, strlen(s));
	free(s);
}

void
http_reply_json(struct evhttp_request *req, int code, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
	                            JSON_REAL_PRECISION(10));

	http_reply(req, code, "application/json", s, s ? strlen(s) : 0);
	free(s);
	json_decref(j);
}

char *
http_body(struct evhttp_request *req, size_t *lenp)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *s = xmalloc(len + 1);

	evbuffer_copyout(in, s, len);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return s;
}

/*
 * Connections are counted as they are accepted, not as their first request
 * completes: a client that trickles a header line every few seconds holds a
 * slot from its first byte. evhttp (2.1) offers no hook at accept but the
 * bufferevent callback, called before the connection exists; it queues the
 * new bufferevent and activates conn_resolve at the highest priority, which
 * runs before any read on the new socket and finds its evhttp_connection
 * (the argument of the callbacks evhttp set on it).
 *
 * Each connection has a deadline: the whole time its next request may take
 * to arrive, headers and body, however slowly the bytes trickle in. At the
 * cap an idle keep-alive connection is closed to make room; failing that,
 * accepting stops until one closes. One address may hold max_per_client.
 */
struct conn {
	struct http *h;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct event *deadline;
	char peer[64];
	double idle_since; /* 0 while a request is read or handled */
	int busy;          /* a handler holds a request */
	int resolved;
};

static int
http_max(const struct http *h)
{
	return (int)config_int(server_config(h->srv), CFG_HTTP_MAX_CONNECTIONS);
}

/* Idle: between requests of a keep-alive connection, no byte yet read. */
static int
conn_idle(const struct conn *c)
{
	return c->resolved && !c->busy && c->idle_since > 0 &&
	       evbuffer_get_length(bufferevent_get_input(c->bev)) == 0;
}

static int
http_any_idle(const struct http *h)
{
	size_t i;

	for (i = 0; i < h->nconns; i++)
		if (conn_idle(h->conns[i]))
			return 1;
	return 0;
}

/* Accept while under the cap, or while an idle connection can make room. */
static void
http_listen(struct http *h)
{
	struct evconnlistener *l;
	int want;

	if (h->bound == NULL)
		return;
	l = evhttp_bound_socket_get_listener(h->bound);
	want = !h->emfile && ((int)h->nconns < http_max(h) || http_any_idle(h));
	if (want && h->paused)
		evconnlistener_enable(l);
	else if (!want && !h->paused)
		evconnlistener_disable(l);
	h->paused = !want;
}

static struct conn *
conn_find(struct http *h, struct evhttp_connection *evcon)
{
	size_t i;

	for (i = 0; i < h->nconns; i++)
		if (h->conns[i]->evcon == evcon)
			return h->conns[i];
	return NULL;
}

static void
conn_remove(struct conn *c)
{
	struct http *h = c->h;
	size_t i;

	for (i = 0; i < h->nconns; i++) {
		if (h->conns[i] == c) {
			h->conns[i] = h->conns[--h->nconns];
			break;
		}
	}
	if (c->deadline != NULL)
		event_free(c->deadline);
	free(c);
	http_listen(h);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	conn_remove(arg);
}

/* Close a connection (evhttp calls conn_closed, which frees c). */
static void
conn_close(struct conn *c)
{
	evhttp_connection_free(c->evcon);
}

static void
conn_expired(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (!c->busy)
		conn_close(c);
}

/* Arm the deadline for the next request to arrive in full. */
static void
conn_arm(struct conn *c)
{
	struct timeval tv = {
	    config_int(server_config(c->h->srv), CFG_HTTP_TIMEOUT), 0};

	evtimer_add(c->deadline, &tv);
}

/* Close the longest idle connection (of peer, if not NULL); 0 if one. */
static int
http_evict_idle(struct http *h, const char *peer, const struct conn *keep)
{
	struct conn *best = NULL;
	size_t i;

	for (i = 0; i < h->nconns; i++) {
		struct conn *c = h->conns[i];

		if (c == keep || !conn_idle(c) ||
		    (peer != NULL && strcmp(c->peer, peer) != 0))
			continue;
		if (best == NULL || c->idle_since < best->idle_since)
			best = c;
	}
	if (best == NULL)
		return -1;
	log_debug("event=http_evict peer=%s", best->peer);
	conn_close(best);
	return 0;
}

static int
http_peer_count(struct http *h, const char *peer)
{
	size_t i;
	int n = 0;

	for (i = 0; i < h->nconns; i++)
		if (h->conns[i]->resolved &&
		    strcmp(h->conns[i]->peer, peer) == 0)
			n++;
	return n;
}

/* A new connection's evhttp_connection, peer and limits. */
static void
conn_resolve_one(struct http *h, struct conn *c)
{
	long long per =
	    config_int(server_config(h->srv), CFG_HTTP_MAX_PER_CLIENT);
	void *arg = NULL;
	char *addr = NULL;
	ev_uint16_t port = 0;

	bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
	if (arg == NULL || evhttp_connection_get_bufferevent(arg) != c->bev)
		fatalx("http: a new connection has no evhttp connection");
	c->evcon = arg;
	evhttp_connection_get_peer(c->evcon, &addr, &port);
	snprintf(c->peer, sizeof c->peer, "%s", addr ? addr : "");
	c->resolved = 1;
	evhttp_connection_set_closecb(c->evcon, conn_closed, c);
	c->deadline = evtimer_new(server_base(h->srv), conn_expired, c);
	conn_arm(c);
	if (per > 0 && http_peer_count(h, c->peer) > per &&
	    http_evict_idle(h, c->peer, c) == -1) {
		ratelog_warnx("http_per_client",
		              "event=http_refused reason=per_client max=%lld",
		              per);
		conn_close(c);
	}
}

static void
conn_resolve(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	size_t i;

again:
	/* A refusal or an eviction reorders the array: start again. */
	for (i = 0; i < h->nconns; i++) {
		if (!h->conns[i]->resolved) {
			conn_resolve_one(h, h->conns[i]);
			goto again;
		}
	}
}

/* evhttp's bufferevent for a connection being accepted. */
static struct bufferevent *
http_accepted(struct event_base *base, void *arg)
{
	struct http *h = arg;
	struct conn *c = xcalloc(1, sizeof *c);

	c->h = h;
	c->bev = bufferevent_socket_new(base, -1, 0);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new failed");
	if ((int)h->nconns >= http_max(h))
		http_evict_idle(h, NULL, NULL);
	h->conns = xreallocarray(h->conns, h->nconns + 1, sizeof *h->conns);
	h->conns[h->nconns++] = c;
	event_active(h->ev_resolve, EV_TIMEOUT, 0);
	http_listen(h);
	return c->bev;
}

static void
http_resume(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	h->emfile = 0;
	http_listen(h);
}

/*
 * accept() failed for want of file descriptors (or memory): the listener
 * would fire again at once, for ever. Stop accepting for a moment.
 */
static void
http_accept_error(struct evconnlistener *l, void *arg)
{
	struct http *h = NULL;
	struct timeval tv = {0, 250 * 1000};
	int err = EVUTIL_SOCKET_ERROR();
	size_t i;

	/* The listener's argument is evhttp's. */
	for (i = 0; i < 4; i++)
		if (listeners[i] != NULL && listeners[i]->evh == arg)
			h = listeners[i];
	if (h == NULL)
		fatalx("http: accept error on an unknown listener");
	ratelog_warnx("accept", "event=accept_failed error=\"%s\"",
	              evutil_socket_error_to_string(err));
	h->emfile = 1;
	http_listen(h);
	evtimer_add(h->ev_resume, &tv);
}

static void
http_request_done(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;

	c->busy = 0;
	c->idle_since = util_monotonic();
	conn_arm(c);
	http_listen(c->h);
}

/* The request reached a handler: its deadline is met. */
static void
http_track(struct http *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;

	if (evcon == NULL || (c = conn_find(h, evcon)) == NULL)
		return;
	c->busy = 1;
	c->idle_since = 0;
	evtimer_del(c->deadline);
	evhttp_request_set_on_complete_cb(req, http_request_done, c);
}

/*
 * RFC 9112 6.3: a request with Transfer-Encoding and Content-Length, or
 * with Content-Length fields that disagree, has no reliable framing; a
 * proxy in front may have read it differently (request smuggling).
 */
static int
http_framing_ok(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyval *kv;
	const char *len = NULL;
	int te = 0;

	TAILQ_FOREACH(kv, in, next)
	{
		if (strcasecmp(kv->key, "Transfer-Encoding") == 0)
			te = 1;
		if (strcasecmp(kv->key, "Content-Length") != 0)
			continue;
		if (len != NULL && strcmp(len, kv->value) != 0)
			return 0;
		len = kv->value;
	}
	return !(te && len != NULL);
}

/*
 * Requests whose handler found the write lock taken, waiting to run again.
 * The handler in progress is "current", so http_retry knows what to rerun.
 */
struct retry {
	struct evhttp_request *req;
	struct http *h;
	http_handler fn;
	char *rest;
	double first;
	struct event *ev;
	int again; /* the rerun asked to wait again */
	struct retry *next;
};
static struct retry *retries;
static struct {
	struct evhttp_request *req;
	struct http *h;
	http_handler fn;
	const char *rest;
	struct retry *r;
} current;

static void
retry_free(struct retry *r)
{
	struct retry **rp;

	for (rp = &retries; *rp != NULL; rp = &(*rp)->next) {
		if (*rp == r) {
			*rp = r->next;
			break;
		}
	}
	event_free(r->ev);
	free(r->rest);
	free(r);
}

static void
http_call(struct http *h, struct evhttp_request *req, http_handler fn,
          const char *rest, struct retry *r)
{
	current.req = req;
	current.h = h;
	current.fn = fn;
	current.rest = rest;
	current.r = r;
	if (r != NULL)
		r->again = 0;
	fn(req, h->srv, rest);
	/* A handler must leave no statement stepped (a stale snapshot would
	 * block every later write). */
	db_idle(server_db(h->srv), "http");
	/* Answered (or given up): the wait is over. */
	if (current.r != NULL && !current.r->again)
		retry_free(current.r);
	memset(&current, 0, sizeof current);
}

static void
retry_run(evutil_socket_t fd, short what, void *arg)
{
	struct retry *r = arg;

	http_call(r->h, r->req, r->fn, r->rest, r);
}

int
http_retry(struct evhttp_request *req)
{
	struct timeval tv = {0, 2000};
	struct retry *r = current.r;
	double wait;

	if (current.req != req)
		return 0;
	wait = (double)config_int(server_config(current.h->srv),
	                          CFG_HTTP_WRITE_WAIT);
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->req = req;
		r->h = current.h;
		r->fn = current.fn;
		r->rest = xstrdup(current.rest);
		r->first = util_monotonic();
		r->ev = evtimer_new(server_base(current.h->srv), retry_run, r);
		r->next = retries;
		retries = r;
		current.r = r;
	}
	if (util_monotonic() - r->first >= wait ||
	    server_stopping(current.h->srv)) {
		ratelog_warnx("http_busy",
		              "event=http_busy msg_detail=\"the write lock "
		              "stayed taken\"");
		return 0;
	}
	r->again = 1;
	evtimer_add(r->ev, &tv);
	return 1;
}

/* The Allow header of a 405: every method the route takes. */
static void
http_allow(struct evhttp_request *req, int methods)
{
	static const struct {
		int bit;
		const char *name;
	} m[] = {{EVHTTP_REQ_GET, "GET"},     {EVHTTP_REQ_HEAD, "HEAD"},
	         {EVHTTP_REQ_POST, "POST"},   {EVHTTP_REQ_PUT, "PUT"},
	         {EVHTTP_REQ_PATCH, "PATCH"}, {EVHTTP_REQ_DELETE, "DELETE"}};
	char allow[64] = "";
	size_t i;

	for (i = 0; i < sizeof m / sizeof m[0]; i++) {
		if ((methods & m[i].bit) == 0)
			continue;
		if (*allow != '\0')
			strcat(allow, ", ");
		strcat(allow, m[i].name);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	                  allow);
}

static void
http_gencb(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const struct http_route *r;

	http_track(h, req);
	if (!http_framing_ok(req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Connection", "close");
		http_reply_text(req, 400, "conflicting message framing");
		return;
	}
	if (server_stopping(h->srv)) {
		http_reply_text(req, 503, "shutting down");
		return;
	}
	if (path == NULL || (r = route_match(h->routes, path)) == NULL) {
		http_reply_text(req, 404, "not found");
		return;
	}
	if ((evhttp_request_get_command(req) & r->methods) == 0) {
		http_allow(req, r->methods);
		http_reply_text(req, 405, "method not allowed");
		return;
	}
	http_call(h, req, r->fn, path + strlen(r->path), NULL);
}

void
http_apply_limits(struct http *h)
{
	const struct config *cfg = server_config(h->srv);
	struct timeval tv = {config_int(cfg, CFG_HTTP_TIMEOUT), 0};

	evhttp_set_max_body_size(
	    h->evh, config_int(cfg, CFG_HTTP_MAX_BODY) +
	                (h->upload_key >= 0
	                     ? config_int(cfg, (enum cfg_key)h->upload_key)
	                     : 0));
	evhttp_set_max_headers_size(h->evh,
	                            config_int(cfg, CFG_HTTP_MAX_HEADERS));
	evhttp_set_timeout_tv(h->evh, &tv);
	if (h->bound != NULL)
		http_listen(h);
	evhttp_set_allowed_methods(
	    h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
}

struct http *
http_new(struct server *srv, const char *addr, const struct http_route *routes,
         char **cause)
{
	struct http *h;
	char *host, *colon;
	size_t i;

	if (addr == NULL || (colon = strrchr(addr, ':')) == NULL ||
	    colon == addr) {
		*cause = xasprintf("cannot listen on '%s': expected "
		                   "address:port",
		                   addr ? addr : "");
		return NULL;
	}
	h = xcalloc(1, sizeof *h);
	host = xstrdup(addr);
	colon = strrchr(host, ':');
	h->srv = srv;
	h->routes = routes;
	h->upload_key = -1;
	*colon = '\0';
	/* "[::1]:8081": the address without its brackets. */
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	h->evh = evhttp_new(server_base(srv));
	evhttp_set_gencb(h->evh, http_gencb, h);
	evhttp_set_bevcb(h->evh, http_accepted, h);
	h->ev_resolve = event_new(server_base(srv), -1, 0, conn_resolve, h);
	event_priority_set(h->ev_resolve, 0);
	h->ev_resume = evtimer_new(server_base(srv), http_resume, h);
	http_apply_limits(h);
	h->bound =
	    evhttp_bind_socket_with_handle(h->evh, host, atoi(colon + 1));
	if (h->bound == NULL) {
		*cause = xasprintf("cannot listen on %s: %m", addr);
		free(host);
		http_free(h);
		return NULL;
	}
	free(host);
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(h->bound),
	                            http_accept_error);
	for (i = 0; i < 3 && listeners[i] != NULL; i++)
		;
	listeners[i] = h;
	for (i = 0; i < 3 && route_tables[i] != NULL; i++)
		;
	route_tables[i] = routes;
	return h;
}

void
http_allow_uploads(struct http *h, enum cfg_key key)
{
	h->upload_key = (int)key;
	http_apply_limits(h);
}

void
http_stop_accepting(struct http *h)
{
	if (h->bound != NULL) {
		evhttp_del_accept_socket(h->evh, h->bound);
		h->bound = NULL;
	}
}

int
http_connections(struct http *h)
{
	return (int)h->nconns;
}

void
http_free(struct http *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < 4; i++) {
		if (route_tables[i] == h->routes)
			route_tables[i] = NULL;
		if (listeners[i] == h)
			listeners[i] = NULL;
	}
	for (struct retry *r = retries, *next; r != NULL; r = next) {
		next = r->next;
		if (r->h == h)
			retry_free(r);
	}
	/* evhttp_free closes the listener, then every connection. */
	h->bound = NULL;
	evhttp_free(h->evh);
	for (i = 0; i < h->nconns; i++) {
		if (h->conns[i]->deadline != NULL)
			event_free(h->conns[i]->deadline);
		free(h->conns[i]);
	}
	event_free(h->ev_resolve);
	event_free(h->ev_resume);
	free(h->conns);
	free(h);
}
