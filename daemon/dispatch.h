/* The dispatcher: claims due outbox rows and drives the transports. */
#ifndef PPGD_DISPATCH_H
#define PPGD_DISPATCH_H

#include <event2/buffer.h>

struct env;
struct dispatcher;

/* Start on the daemon's loop: requeues rows a crash left in `sending`. */
struct dispatcher *dispatcher_new(struct env *, char **cause);
/* New rows may be due now: look at once. */
void dispatcher_kick(struct dispatcher *);
/* Stop claiming new rows (shutdown); in-flight sends finish. */
void dispatcher_stop(struct dispatcher *);
/* Sends in flight. */
int dispatcher_inflight(struct dispatcher *);
/* The configuration changed (rates, limits, transports). */
void dispatcher_reload(struct dispatcher *);
void dispatcher_free(struct dispatcher *);
/* Counters by transport and result, and send latency, for /metrics. */
void dispatcher_metrics(struct dispatcher *, struct evbuffer *);

#endif
