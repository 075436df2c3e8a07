/* /healthz and /metrics. */
#ifndef PPGD_STATUS_H
#define PPGD_STATUS_H

#include <event2/http.h>

struct server;

/* 200 with version, database state and uptime; 503 if the database fails. */
void status_healthz(struct evhttp_request *, struct server *, const char *);
/* Prometheus text format. */
void status_metrics(struct evhttp_request *, struct server *, const char *);
/* /metrics on the public listener: 404 unless [http] public_metrics. */
void status_metrics_public(struct evhttp_request *, struct server *,
                           const char *);

#endif
