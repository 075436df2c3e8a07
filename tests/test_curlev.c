/* curlev against a real evhttp server on loopback, in the same event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "curlev.h"

struct fixture {
	struct event_base *base;
	struct evhttp *http;
	int port;
	/* what the server saw */
	int requests;
	struct evhttp_connection *conns[16];
	int nconns;
	char body[256];
	char auth[256];
	char ctype[128];
	char extra[8][32]; /* X-Req of each request, in order */
	char agent[128];
	int hold;       /* never answer */
	int close_each; /* answer with Connection: close */
	struct evhttp_request *held;
	/* what the client got */
	int done;
	long status;
	char resp[256];
	char retry_after[64];
	char error[256];
};

static void
server_cb(struct evhttp_request *req, void *arg)
{
	struct fixture *f = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const char *v;
	size_t n = evbuffer_get_length(in);
	int i;

	f->requests++;
	for (i = 0; i < f->nconns && f->conns[i] != c; i++)
		;
	if (i == f->nconns && f->nconns < 16)
		f->conns[f->nconns++] = c;
	if (n >= sizeof f->body)
		n = sizeof f->body - 1;
	evbuffer_copyout(in, f->body, n);
	f->body[n] = '\0';
	v = evhttp_find_header(h, "Authorization");
	snprintf(f->auth, sizeof f->auth, "%s", v ? v : "");
	v = evhttp_find_header(h, "Content-Type");
	snprintf(f->ctype, sizeof f->ctype, "%s", v ? v : "");
	v = evhttp_find_header(h, "User-Agent");
	snprintf(f->agent, sizeof f->agent, "%s", v ? v : "");
	if (f->requests <= 8) {
		v = evhttp_find_header(h, "X-Req");
		snprintf(f->extra[f->requests - 1], sizeof f->extra[0], "%s",
		         v ? v : "");
	}
	if (f->hold) {
		f->held = req;
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
	                  "7");
	if (f->close_each)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Connection", "close");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req),
	                    "{\"sid\": \"SM%d\"}", f->requests);
	evhttp_send_reply(req, 201, "Created", NULL);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct evhttp_bound_socket *s;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	f->base = event_base_new();
	f->http = evhttp_new(f->base);
	evhttp_set_gencb(f->http, server_cb, f);
	s = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
	assert_non_null(s);
	getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin,
	            &len);
	f->port = ntohs(sin.sin_port);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	evhttp_free(f->http);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
client_done(long status, const char *body, const char *retry_after,
            const char *curl_error, void *arg)
{
	struct fixture *f = arg;

	f->done++;
	f->status = status;
	snprintf(f->resp, sizeof f->resp, "%s", body);
	snprintf(f->retry_after, sizeof f->retry_after, "%s",
	         retry_after ? retry_after : "");
	snprintf(f->error, sizeof f->error, "%s", curl_error ? curl_error : "");
	event_base_loopbreak(f->base);
}

static char *
url(struct fixture *f, int port)
{
	static char buf[128];

	snprintf(buf, sizeof buf, "http://127.0.0.1:%d/post", port);
	return buf;
}

static void
test_post_answer(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 4);
	struct curl_slist *h =
	    curl_slist_append(NULL, "Content-Type: application/x-www-form-"
	                            "urlencoded");

	assert_int_equal(curlev_post(cv, url(f, f->port), h, "To=%2B44&Body=hi",
	                             "AC1:secret", 5, client_done, f),
	                 0);
	/* Never from inside curlev_post. */
	assert_int_equal(f->done, 0);
	assert_int_equal(curlev_inflight(cv), 1);
	event_base_dispatch(f->base);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->status, 201);
	assert_string_equal(f->resp, "{\"sid\": \"SM1\"}");
	assert_string_equal(f->retry_after, "7");
	assert_string_equal(f->body, "To=%2B44&Body=hi");
	/* base64("AC1:secret") */
	assert_string_equal(f->auth, "Basic QUMxOnNlY3JldA==");
	assert_string_equal(f->ctype, "application/x-www-form-urlencoded");
	assert_int_equal(curlev_inflight(cv), 0);
	curlev_free(cv);
}

static void
test_keepalive(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);
	int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(curlev_post(cv, url(f, f->port), NULL, "x",
		                             NULL, 5, client_done, f),
		                 0);
		event_base_dispatch(f->base);
		assert_int_equal(f->status, 201);
	}
	assert_int_equal(f->done, 5);
	assert_int_equal(f->requests, 5);
	assert_int_equal(f->nconns, 1);
	assert_string_equal(f->auth, "");
	curlev_free(cv);
}

/* A pooled handle carries none of its last request's credentials/headers. */
static void
test_pooled_handle_fresh(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: a/b");

	assert_int_equal(curlev_post(cv, url(f, f->port), h, "one",
	                             "AC1:secret", 5, client_done, f),
	                 0);
	event_base_dispatch(f->base);
	assert_string_equal(f->auth, "Basic QUMxOnNlY3JldA==");
	assert_string_equal(f->ctype, "a/b");
	assert_int_equal(curlev_post(cv, url(f, f->port), NULL, "two", NULL, 5,
	                             client_done, f),
	                 0);
	event_base_dispatch(f->base);
	assert_int_equal(f->done, 2);
	assert_string_equal(f->body, "two");
	assert_string_equal(f->auth, "");
	assert_string_not_equal(f->ctype, "a/b");
	curlev_free(cv);
}

static void
test_refused(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);
	struct evhttp *other = evhttp_new(f->base);
	struct evhttp_bound_socket *s;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int port;

	/* A port that was free a moment ago and is closed again. */
	s = evhttp_bind_socket_with_handle(other, "127.0.0.1", 0);
	getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin,
	            &len);
	port = ntohs(sin.sin_port);
	evhttp_free(other);
	assert_int_equal(
	    curlev_post(cv, url(f, port), NULL, "x", NULL, 5, client_done, f),
	    0);
	event_base_dispatch(f->base);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->status, 0);
	assert_true(strlen(f->error) > 0);
	curlev_free(cv);
}

static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);

	f->hold = 1;
	assert_int_equal(curlev_post(cv, url(f, f->port), NULL, "x", NULL, 1,
	                             client_done, f),
	                 0);
	event_base_dispatch(f->base);
	assert_int_equal(f->requests, 1);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->status, 0);
	assert_non_null(strstr(f->error, "timed out"));
	curlev_free(cv);
}

static void
test_free_in_flight(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);
	struct timeval tv = {0, 200000};

	f->hold = 1;
	assert_int_equal(curlev_post(cv, url(f, f->port), NULL, "x", NULL, 5,
	                             client_done, f),
	                 0);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->requests, 1);
	assert_int_equal(curlev_inflight(cv), 1);
	/* Dropped without the callback; sanitizers check nothing leaks. */
	curlev_free(cv);
	assert_int_equal(f->done, 0);
}

/*
 * One target for every request: each still carries its own extra line and
 * body beside the target's fixed lines, over one kept-alive connection.
 */
static void
test_target_reused(void **state)
{
	static const char *const lines[] = {"Content-Type: a/b", NULL};
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);
	struct curlev_target *t =
	    curlev_target_new(url(f, f->port), lines, "AC1:secret", 5);
	char extra[32], body[32];
	int i;

	for (i = 0; i < 4; i++) {
		/* The third request has no line of its own. */
		snprintf(extra, sizeof extra, "X-Req: r%d", i);
		snprintf(body, sizeof body, "Body=m%d", i);
		assert_int_equal(curlev_send(cv, t, i == 2 ? NULL : extra, body,
		                             strlen(body), client_done, f),
		                 0);
		event_base_dispatch(f->base);
		assert_int_equal(f->status, 201);
		assert_string_equal(f->body, body);
		assert_string_equal(f->auth, "Basic QUMxOnNlY3JldA==");
		assert_string_equal(f->ctype, "a/b");
		assert_string_equal(f->agent, "ppgd/" PPGD_VERSION);
	}
	assert_string_equal(f->extra[0], "r0");
	assert_string_equal(f->extra[1], "r1");
	assert_string_equal(f->extra[2], "");
	assert_string_equal(f->extra[3], "r3");
	assert_int_equal(f->nconns, 1);
	/* The caller's reference goes; requests in flight keep theirs. */
	assert_int_equal(curlev_send(cv, t, NULL, "last", 4, client_done, f),
	                 0);
	curlev_target_unref(t);
	event_base_dispatch(f->base);
	assert_int_equal(f->status, 201);
	assert_string_equal(f->body, "last");
	assert_string_equal(f->auth, "Basic QUMxOnNlY3JldA==");
	curlev_free(cv);
}

/*
 * A kept-alive connection the server closes while idle: the socket curl
 * let go of wakes (parked, still watched), is no longer watched, and the
 * next request goes over a new connection.
 */
static void
test_server_closes_idle(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 1);
	struct timeval tv = {0, 100000};
	int added = event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED);

	assert_int_equal(curlev_post(cv, url(f, f->port), NULL, "one", NULL, 5,
	                             client_done, f),
	                 0);
	event_base_dispatch(f->base);
	assert_int_equal(f->status, 201);
	assert_int_equal(f->nconns, 1);
	evhttp_connection_free(f->conns[0]);
	f->nconns = 0;
	/* Let the client see the close while no request uses the socket. */
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->done, 1);
	/* Nothing of that connection is watched any more (no spinning on its
	 * end of file): the events are those of before the request. */
	assert_int_equal(
	    event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED), added);
	assert_int_equal(curlev_post(cv, url(f, f->port), NULL, "two", NULL, 5,
	                             client_done, f),
	                 0);
	event_base_dispatch(f->base);
	assert_int_equal(f->done, 2);
	assert_int_equal(f->status, 201);
	assert_string_equal(f->body, "two");
	assert_int_equal(f->nconns, 1);
	curlev_free(cv);
}

/*
 * Every answer closes its connection: curl closes each socket (its number
 * is soon another connection's), and every request is still answered.
 */
static void
test_connection_close(void **state)
{
	struct fixture *f = *state;
	struct curlev *cv = curlev_new(f->base, 2);
	char body[16];
	int i;

	f->close_each = 1;
	for (i = 0; i < 6; i++) {
		snprintf(body, sizeof body, "n%d", i);
		assert_int_equal(curlev_post(cv, url(f, f->port), NULL, body,
		                             NULL, 5, client_done, f),
		                 0);
		event_base_dispatch(f->base);
		assert_int_equal(f->done, i + 1);
		assert_int_equal(f->status, 201);
		assert_string_equal(f->body, body);
	}
	assert_int_equal(f->requests, 6);
	curlev_free(cv);
}

struct chain {
	struct fixture *f;
	struct curlev *cv;
	struct curlev_target *t;
	int done;
};

/* Each answer starts the next request, from inside the done callback. */
static void
chain_done(long status, const char *body, const char *retry_after,
           const char *curl_error, void *arg)
{
	struct chain *c = arg;

	assert_int_equal(status, 201);
	if (++c->done == 3) {
		event_base_loopbreak(c->f->base);
		return;
	}
	assert_int_equal(
	    curlev_send(c->cv, c->t, NULL, "next", 4, chain_done, c), 0);
}

/*
 * A request started from the done callback of the last one running still
 * starts: the socket callback used to disarm curl's timer after the done
 * callbacks, dropping the wake-up the new request had just asked for.
 */
static void
test_send_from_done(void **state)
{
	struct fixture *f = *state;
	struct chain c = {f, curlev_new(f->base, 1), NULL, 0};
	struct timeval limit = {10, 0};

	c.t = curlev_target_new(url(f, f->port), NULL, NULL, 5);
	assert_int_equal(
	    curlev_send(c.cv, c.t, NULL, "first", 5, chain_done, &c), 0);
	/* A bound on a hang, not a timing check: each answer is immediate. */
	event_base_loopexit(f->base, &limit);
	event_base_dispatch(f->base);
	assert_int_equal(c.done, 3);
	assert_int_equal(f->requests, 3);
	curlev_target_unref(c.t);
	curlev_free(c.cv);
}

static void
test_retry_after(void **state)
{
	char date[64];
	time_t t = time(NULL) + 100;
	int n;

	assert_int_equal(curlev_retry_after(NULL), 0);
	assert_int_equal(curlev_retry_after("2"), 2);
	assert_int_equal(curlev_retry_after("0"), 0);
	assert_int_equal(curlev_retry_after("-5"), 0);
	assert_int_equal(curlev_retry_after("soon"), 0);
	assert_int_equal(curlev_retry_after("2x"), 0);
	assert_int_equal(curlev_retry_after("999999999"), 86400);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
	n = curlev_retry_after(date);
	assert_true(n >= 98 && n <= 100);
	assert_int_equal(curlev_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
	                 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_post_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pooled_handle_fresh, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_in_flight, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_target_reused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_send_from_done, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_server_closes_idle, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_connection_close, setup,
	                                    teardown),
	    cmocka_unit_test(test_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
