/* The event loop's lag: how late a steady timer fires, as a histogram. */
#ifndef PPGD_LOOPLAG_H
#define PPGD_LOOPLAG_H

#include <event2/buffer.h>
#include <event2/event.h>

struct looplag;

/* Start measuring on base (a timer every 100 ms). Caller frees. */
struct looplag *looplag_new(struct event_base *);
void looplag_free(struct looplag *);
/* Count one lateness of `seconds` (also for tests). */
void looplag_observe(struct looplag *, double seconds);
/* Append ppgd_loop_lag_seconds in Prometheus histogram format. */
void looplag_metrics(const struct looplag *, struct evbuffer *);

#endif
