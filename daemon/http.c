/* The HTTP front on evhttp: routing, limits and counted replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

struct http {
	struct server *srv;
	struct evhttp *evh;
	struct evhttp_bound_socket *bound;
	const struct http_route *routes;
	struct evhttp_connection **conns;
	size_t nconns;
	int paused;
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
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	if (type != NULL && strncmp(type, "text/html", 9) == 0) {
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

static void
http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http *h = arg;
	size_t i;

	for (i = 0; i < h->nconns; i++) {
		if (h->conns[i] == evcon) {
			h->conns[i] = h->conns[--h->nconns];
			break;
		}
	}
	if (h->paused && h->bound != NULL &&
	    (long long)h->nconns <
	        config_int(server_config(h->srv), CFG_HTTP_MAX_CONNECTIONS)) {
		evconnlistener_enable(
		    evhttp_bound_socket_get_listener(h->bound));
		h->paused = 0;
	}
}

/*
 * evhttp has no connection cap: track connections as their first request
 * arrives, and stop accepting while at the cap. A connection that never
 * sends a request is closed by the read timeout.
 */
static void
http_track(struct http *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	size_t i;

	if (evcon == NULL)
		return;
	for (i = 0; i < h->nconns; i++)
		if (h->conns[i] == evcon)
			return;
	h->conns = xreallocarray(h->conns, h->nconns + 1, sizeof *h->conns);
	h->conns[h->nconns++] = evcon;
	evhttp_connection_set_closecb(evcon, http_conn_closed, h);
	if (h->bound != NULL && !h->paused &&
	    (long long)h->nconns >=
	        config_int(server_config(h->srv), CFG_HTTP_MAX_CONNECTIONS)) {
		evconnlistener_disable(
		    evhttp_bound_socket_get_listener(h->bound));
		h->paused = 1;
	}
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
	r->fn(req, h->srv, path + strlen(r->path));
}

void
http_apply_limits(struct http *h)
{
	const struct config *cfg = server_config(h->srv);
	struct timeval tv = {config_int(cfg, CFG_HTTP_TIMEOUT), 0};

	evhttp_set_max_body_size(h->evh, config_int(cfg, CFG_HTTP_MAX_BODY));
	evhttp_set_max_headers_size(h->evh,
	                            config_int(cfg, CFG_HTTP_MAX_HEADERS));
	evhttp_set_timeout_tv(h->evh, &tv);
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
	*colon = '\0';
	/* "[::1]:8081": the address without its brackets. */
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	h->evh = evhttp_new(server_base(srv));
	evhttp_set_gencb(h->evh, http_gencb, h);
	http_apply_limits(h);
	h->bound =
	    evhttp_bind_socket_with_handle(h->evh, host, atoi(colon + 1));
	if (h->bound == NULL) {
		*cause = xasprintf("cannot listen on %s: %m", addr);
		free(host);
		evhttp_free(h->evh);
		free(h);
		return NULL;
	}
	free(host);
	for (i = 0; i < 3 && route_tables[i] != NULL; i++)
		;
	route_tables[i] = routes;
	return h;
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
	for (i = 0; i < 4; i++)
		if (route_tables[i] == h->routes)
			route_tables[i] = NULL;
	evhttp_free(h->evh);
	free(h->conns);
	free(h);
}
