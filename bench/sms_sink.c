/*
 * A minimal Twilio stand-in for benchmarks: libevent evhttp on loopback that
 * answers every POST with 201 and a fresh message sid, over kept-alive
 * connections. Prints "requests=N connections=M" when stopped (SIGTERM),
 * and "reached N" as soon as the N-th request arrives if N is given, so a
 * bench can time a run without querying the sender's database.
 *
 * usage: sms_sink PORT [N]
 */
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static unsigned long long requests, connections, reach;

#define MAX_OPEN 4096

/* Connections open now, to count each new one once. */
static struct evhttp_connection *open_conns[MAX_OPEN];
static int nopen;

static void
sink_closed(struct evhttp_connection *c, void *arg)
{
	int i;

	for (i = 0; i < nopen; i++)
		if (open_conns[i] == c) {
			open_conns[i] = open_conns[--nopen];
			return;
		}
}

static void
sink_count(struct evhttp_connection *c)
{
	int i;

	for (i = 0; i < nopen; i++)
		if (open_conns[i] == c)
			return;
	connections++;
	if (nopen < MAX_OPEN)
		open_conns[nopen++] = c;
	evhttp_connection_set_closecb(c, sink_closed, NULL);
}

static void
sink_answer(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	struct timespec ts;

	requests++;
	if (requests == 1 || requests == reach) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%s %llu at=%.6f\n",
		       requests == reach ? "reached" : "first",
		       requests == reach ? reach : 1ULL,
		       (double)ts.tv_sec + ts.tv_nsec / 1e9);
		fflush(stdout);
	}
	sink_count(evhttp_request_get_connection(req));
	evbuffer_add_printf(
	    out, "{\"sid\": \"SM%032llx\", \"status\": \"queued\"}", requests);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evhttp_send_reply(req, 201, "Created", NULL);
}

static void
sink_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	struct event *term, *intr;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: sms_sink PORT [N]\n");
		return 2;
	}
	if (argc == 3)
		reach = strtoull(argv[2], NULL, 10);
	signal(SIGPIPE, SIG_IGN);
	evhttp_set_gencb(http, sink_answer, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) ==
	    -1) {
		fprintf(stderr, "sms_sink: cannot listen on port %s\n",
		        argv[1]);
		return 1;
	}
	term = evsignal_new(base, SIGTERM, sink_stop, base);
	intr = evsignal_new(base, SIGINT, sink_stop, base);
	event_add(term, NULL);
	event_add(intr, NULL);
	printf("sms_sink listening on 127.0.0.1:%s\n", argv[1]);
	fflush(stdout);
	event_base_dispatch(base);
	printf("requests=%llu connections=%llu\n", requests, connections);
	event_free(term);
	event_free(intr);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
