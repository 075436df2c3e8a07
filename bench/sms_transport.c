/*
 * ppgd's twilio transport alone, without the dispatcher and its database:
 * the transport's send() driven from its own event loop with CONC messages
 * in flight (each outcome starts the next), to the same sink as the bare
 * sender. The difference between this and `ppgd serve` is the dispatcher's
 * cost (claim, settle, commit); the difference between this and the bare
 * sender is the transport's. Prints "sent=N failed=F seconds=S rate=R
 * cpu=C" (C: this process's CPU seconds).
 *
 * usage: sms_transport CONFIG N CONC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <event2/event.h>

#include "config.h"
#include "transport.h"

static struct event_base *base;
static void *tstate;
static long total, started, ok, failed;
static char to[32];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_done(const struct send_outcome *, void *);

/* Send message number started, as the dispatcher would hand it over. */
static void
start_one(void)
{
	struct outmsg m;

	memset(&m, 0, sizeof m);
	m.id = ++started;
	m.channel = "sms";
	m.practice = "A1";
	m.from = "PPGTEST"; /* as the practice row gives it */
	snprintf(to, sizeof to, "+4477009%05ld", started % 100000);
	m.to = to;
	m.text = "Hello from the benchmark";
	transport_twilio_ops.send(tstate, &m, on_done, NULL);
}

static void
on_done(const struct send_outcome *o, void *arg)
{
	if (o->result == SEND_OK)
		ok++;
	else
		failed++;
	if (started < total)
		start_one();
	else if (ok + failed == total)
		event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct rusage ru;
	char *errors = NULL, *cause = NULL;
	long conc, i;
	double t0, secs;

	if (argc != 4) {
		fprintf(stderr, "usage: sms_transport CONFIG N CONC\n");
		return 2;
	}
	total = atol(argv[2]);
	conc = atol(argv[3]);
	if (config_load(argv[1], &cfg, &errors) == -1) {
		fprintf(stderr, "sms_transport: %s\n", errors);
		return 1;
	}
	base = event_base_new();
	if (transport_twilio_ops.init(base, cfg, &tstate, &cause) == -1) {
		fprintf(stderr, "sms_transport: %s\n", cause);
		return 1;
	}
	t0 = now();
	for (i = 0; i < conc && started < total; i++)
		start_one();
	event_base_dispatch(base);
	secs = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("sent=%ld failed=%ld seconds=%.3f rate=%.0f cpu=%.2f\n", ok,
	       failed, secs, (double)ok / secs,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	transport_twilio_ops.free(tstate);
	event_base_free(base);
	config_free(cfg);
	return failed > 0;
}
