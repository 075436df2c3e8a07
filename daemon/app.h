/* What the daemon runs: its routes and the services on its loop. */
#ifndef PPGD_APP_H
#define PPGD_APP_H

struct server;
struct http_route;

/* The public listener's routes. */
const struct http_route *app_routes(void);
/* Start the services (scheduler, dispatcher...) on the loop. */
int app_start(struct server *, char **cause);
/* Stop taking new work. */
void app_stop(struct server *);
/* Work in flight that a stop waits for. */
int app_busy(struct server *);
/* The configuration changed. */
void app_reload(struct server *);
void app_free(struct server *);
/* Service counters for /metrics. */
struct evbuffer;
void app_metrics(struct evbuffer *);

#endif
