/* The HTTP front: routing, limits, replies that are counted for /metrics. */
#ifndef PPGD_HTTP_H
#define PPGD_HTTP_H

#include <stddef.h>
#include <event2/http.h>
#include <jansson.h>

#include "config.h"

struct server;
struct http;

/* A handler; rest is the path after the route's prefix. */
typedef void (*http_handler)(struct evhttp_request *, struct server *,
                             const char *rest);

struct http_route {
	int methods;      /* EVHTTP_REQ_GET | ... */
	const char *path; /* exact, or a prefix if it ends with '/' */
	const char *name; /* the label in /metrics */
	http_handler fn;
};

/* Listen on addr ("host:port") with the limits from the configuration. */
struct http *http_new(struct server *, const char *addr,
                      const struct http_route *routes, char **cause);
void http_free(struct http *);
/* Take request bodies of [http] max_body plus the bytes config key says
 * (the web admin's uploads), now and after each reload. */
void http_allow_uploads(struct http *, enum cfg_key key);
/* Stop accepting new connections (shutdown). */
void http_stop_accepting(struct http *);
/* Re-read the limits from the configuration (SIGHUP). */
void http_apply_limits(struct http *);
/* Open connections. */
int http_connections(struct http *);

/* Reply with a body; the status is counted for /metrics. */
void http_reply(struct evhttp_request *, int code, const char *type,
                const void *body, size_t len);
/* A short plain-text reply such as "not found". */
void http_reply_text(struct evhttp_request *, int code, const char *text);
/* A JSON reply; takes the reference. */
void http_reply_json(struct evhttp_request *, int code, json_t *);
/* The request body as a NUL-terminated string (binary-safe length). Caller
 * frees. */
char *http_body(struct evhttp_request *, size_t *len);
/*
 * For a handler that found the database write lock taken (db_busy): run
 * the handler again for this request from a timer in a few milliseconds,
 * and return 1 (the handler returns without replying); 0 once the request
 * has waited [http] write_wait (answer 503). The loop never sleeps.
 */
int http_retry(struct evhttp_request *);
/* Append the per-route request counters in Prometheus format. */
void http_metrics(struct evbuffer *);

#endif
