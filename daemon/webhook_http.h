/* The webhook routes on evhttp, answered after a group commit. */
#ifndef PPGD_WEBHOOK_HTTP_H
#define PPGD_WEBHOOK_HTTP_H

#include <event2/http.h>

struct server;

/* The handler of every /webhooks/... route (the kind comes from the path). */
void webhook_http(struct evhttp_request *, struct server *, const char *rest);
/* Requests parsed and waiting for their transaction. */
int webhook_http_pending(void);
/* Free the batch timer (at exit). */
void webhook_http_free(void);

#endif
