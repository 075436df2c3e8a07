/*
 * The loop's lag. A timer asks to run every 100 ms; how late it runs is how
 * long the loop was busy with something else (a slow statement, a large
 * page), which is how long a webhook arriving then would have waited.
 */
#include <stdlib.h>

#include "looplag.h"
#include "util.h"
#include "xmalloc.h"

#define LOOPLAG_PERIOD 0.1

static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,   1,    2.5,   5,    10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

struct looplag {
	struct event *ev;
	double due;
	unsigned long long buckets[NBOUNDS]; /* not cumulative */
	unsigned long long count;
	double sum;
};

void
looplag_observe(struct looplag *l, double s)
{
	size_t i;

	if (s < 0)
		s = 0;
	for (i = 0; i < NBOUNDS && s > bounds[i]; i++)
		;
	if (i < NBOUNDS)
		l->buckets[i]++;
	l->count++;
	l->sum += s;
}

static void
looplag_tick(evutil_socket_t fd, short what, void *arg)
{
	struct looplag *l = arg;
	struct timeval tv = {0, (long)(LOOPLAG_PERIOD * 1e6)};
	double now = util_monotonic();

	looplag_observe(l, now - l->due);
	l->due = now + LOOPLAG_PERIOD;
	evtimer_add(l->ev, &tv);
}

struct looplag *
looplag_new(struct event_base *base)
{
	struct looplag *l = xcalloc(1, sizeof *l);
	struct timeval tv = {0, (long)(LOOPLAG_PERIOD * 1e6)};

	l->ev = evtimer_new(base, looplag_tick, l);
	l->due = util_monotonic() + LOOPLAG_PERIOD;
	evtimer_add(l->ev, &tv);
	return l;
}

void
looplag_free(struct looplag *l)
{
	if (l == NULL)
		return;
	event_free(l->ev);
	free(l);
}

void
looplag_metrics(const struct looplag *l, struct evbuffer *b)
{
	unsigned long long cum = 0;
	size_t i;

	evbuffer_add_printf(b, "# HELP ppgd_loop_lag_seconds How late a "
	                       "100 ms timer on the event loop ran.\n"
	                       "# TYPE ppgd_loop_lag_seconds histogram\n");
	for (i = 0; i < NBOUNDS; i++) {
		cum += l->buckets[i];
		evbuffer_add_printf(
		    b, "ppgd_loop_lag_seconds_bucket{le=\"%g\"} %llu\n",
		    bounds[i], cum);
	}
	evbuffer_add_printf(b,
	                    "ppgd_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n"
	                    "ppgd_loop_lag_seconds_sum %.6f\n"
	                    "ppgd_loop_lag_seconds_count %llu\n",
	                    l->count, l->sum, l->count);
}
