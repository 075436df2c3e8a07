/*
 * ppgd's smtp transport alone, without the dispatcher and its database: the
 * transport's send() driven from its own event loop, keeping as many
 * messages in flight as the dispatcher would (the transport's limits), each
 * outcome starting the next. The messages are the ones smtp_bench.sh puts
 * in the outbox (text and HTML, Reply-To, List-Unsubscribe). The difference
 * between this and `ppgd serve` is the dispatcher's cost; the difference
 * between this and bare libESMTP is the transport's. Prints "messages=N
 * accepted=A seconds=S rate=R cpu=C" (C: this process's CPU seconds).
 *
 * usage: smtp_transport CONFIG N
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
static char unsub_url[128], unsub_mailto[128], reply_to[128];

static const char text[] =
    "Dear member,\n\nPlease tell us what you think of the practice: the "
    "survey takes five\nminutes and every answer is read by the group.\n"
    "\nThank you.\n";
static const char html[] =
    "<p>Dear member,</p><p>Please tell us what you think of the "
    "practice: the survey takes five minutes.</p><p>Thank you.</p>";

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
	m.channel = "email";
	m.practice = "A1";
	m.from = "ppg@test.example";
	m.from_name = "Test Practice";
	m.to = "member@example.org";
	m.subject = "Your views on the practice, please";
	m.text = text;
	m.html = html;
	/* The transport builds the message before send() returns. */
	snprintf(reply_to, sizeof reply_to, "reply+r%016ld@reply.test.example",
	         started);
	snprintf(unsub_url, sizeof unsub_url,
	         "https://ppg.example.org/u/u%016ld", started);
	snprintf(unsub_mailto, sizeof unsub_mailto,
	         "mailto:unsubscribe+u%016ld@reply.test.example", started);
	m.reply_to = reply_to;
	m.unsub_url = unsub_url;
	m.unsub_mailto = unsub_mailto;
	transport_smtp_ops.send(tstate, &m, on_done, NULL);
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
	struct transport_limits lim;
	struct config *cfg;
	struct rusage ru;
	char *errors = NULL, *cause = NULL;
	long i;
	double t0, secs;

	if (argc != 3) {
		fprintf(stderr, "usage: smtp_transport CONFIG N\n");
		return 2;
	}
	total = atol(argv[2]);
	if (config_load(argv[1], &cfg, &errors) == -1) {
		fprintf(stderr, "smtp_transport: %s\n", errors);
		return 1;
	}
	base = event_base_new();
	transport_limits(&transport_smtp_ops, cfg, &lim);
	if (transport_smtp_ops.init(base, cfg, &tstate, &cause) == -1) {
		fprintf(stderr, "smtp_transport: %s\n", cause);
		return 1;
	}
	t0 = now();
	for (i = 0; i < lim.concurrency && started < total; i++)
		start_one();
	event_base_dispatch(base);
	secs = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("messages=%ld accepted=%ld seconds=%.3f rate=%.1f cpu=%.2f\n",
	       total, ok, secs, (double)ok / secs,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	transport_smtp_ops.free(tstate);
	event_base_free(base);
	config_free(cfg);
	return failed > 0;
}
