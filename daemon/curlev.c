/*
 * libcurl's multi-socket API on libevent, after curl's hiperfifo.c: curl
 * tells us which sockets to watch (socket callback) and when to wake it
 * (timer callback); we hand readiness back with curl_multi_socket_action and
 * collect finished transfers with curl_multi_info_read. The multi handle
 * keeps its connections alive between requests, so a steady stream of POSTs
 * to one provider reuses a few connections rather than opening one each.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curlev.h"
#include "log.h"
#include "xmalloc.h"

#define CURLEV_MAX_BODY (1024 * 1024) /* answer bytes kept; rest dropped */
/*
 * Easy handles kept for the next request: making and freeing one per
 * message was much of a send's cost. Each request sets its options again.
 */
#define CURLEV_POOL 64

struct curlev_req {
	struct curlev *cv;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char *resp;
	size_t resp_len, resp_cap;
	char retry_after[64];
	char error[CURL_ERROR_SIZE];
	curlev_done_fn done;
	void *arg;
	struct curlev_req *prev, *next;
};

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct curlev_req *reqs;
	struct curlev_sock *socks;
	int inflight;
	CURL *idle[CURLEV_POOL];
	int nidle;
};

/* What we watch for one socket curl asked about: one event, kept. */
struct curlev_sock {
	struct event *ev;
	short kind;
	struct curlev_sock *prev, *next;
};

static pthread_once_t curlev_once = PTHREAD_ONCE_INIT;

static void
curlev_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
}

static void
req_free(struct curlev_req *r)
{
	if (r->easy != NULL && r->cv->nidle < CURLEV_POOL)
		r->cv->idle[r->cv->nidle++] = r->easy;
	else
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->body);
	free(r->resp);
	free(r);
}

static void
req_unlink(struct curlev *cv, struct curlev_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		cv->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	cv->inflight--;
}

/* Report one finished transfer and free it. */
static void
req_finish(struct curlev *cv, struct curlev_req *r, CURLcode rc)
{
	long status = 0;
	const char *err = NULL;

	curl_multi_remove_handle(cv->multi, r->easy);
	req_unlink(cv, r);
	if (rc == CURLE_OK)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	else
		err = r->error[0] != '\0' ? r->error : curl_easy_strerror(rc);
	if (status == 0 && err == NULL)
		err = "no HTTP status";
	r->resp[r->resp_len] = '\0';
	r->done(status, r->resp,
	        r->retry_after[0] != '\0' ? r->retry_after : NULL, err, r->arg);
	req_free(r);
}

/* Collect every transfer curl has finished. */
static void
curlev_check(struct curlev *cv)
{
	struct curlev_req *r;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cv->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
		req_finish(cv, r, msg->data.result);
	}
}

static void
curlev_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *cv = arg;
	int running;

	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curlev_check(cv);
}

static void
curlev_on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *cv = arg;
	int running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cv->multi, fd, action, &running);
	curlev_check(cv);
	if (running == 0 && evtimer_pending(cv->timer, NULL))
		evtimer_del(cv->timer);
}

/* curl wants a wake-up in timeout_ms (-1: none). Never act from here. */
static int
curlev_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct curlev *cv = arg;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(cv->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(cv->timer, &tv);
	return 0;
}

static void
sock_free(struct curlev *cv, struct curlev_sock *cs)
{
	if (cs->prev != NULL)
		cs->prev->next = cs->next;
	else
		cv->socks = cs->next;
	if (cs->next != NULL)
		cs->next->prev = cs->prev;
	event_free(cs->ev);
	free(cs);
}

/* curl wants socket s watched for what (or no longer watched). */
static int
curlev_sock_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *sarg)
{
	struct curlev *cv = arg;
	struct curlev_sock *cs = sarg;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL)
			sock_free(cv, cs);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (cs == NULL) {
		cs = xcalloc(1, sizeof *cs);
		cs->next = cv->socks;
		if (cv->socks != NULL)
			cv->socks->prev = cs;
		cv->socks = cs;
		curl_multi_assign(cv->multi, s, cs);
		cs->ev = event_new(cv->base, s, kind, curlev_on_sock, cv);
	} else if (cs->kind == kind)
		return 0;
	else {
		event_del(cs->ev);
		event_assign(cs->ev, cv->base, s, kind, curlev_on_sock, cv);
	}
	cs->kind = kind;
	event_add(cs->ev, NULL);
	return 0;
}

static size_t
curlev_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct curlev_req *r = arg;
	size_t len = size * n, room = CURLEV_MAX_BODY - r->resp_len;

	if (len > room)
		len = room; /* keep the head; a provider's error is short */
	if (r->resp_len + len + 1 > r->resp_cap) {
		while (r->resp_len + len + 1 > r->resp_cap)
			r->resp_cap *= 2;
		r->resp = xrealloc(r->resp, r->resp_cap);
	}
	memcpy(r->resp + r->resp_len, data, len);
	r->resp_len += len;
	return size * n;
}

static size_t
curlev_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct curlev_req *r = arg;
	size_t len = size * n, k = sizeof "Retry-After:" - 1;

	/* A new status line (after 100 Continue, say) starts afresh. */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0)
		r->retry_after[0] = '\0';
	else if (len > k && strncasecmp(data, "Retry-After:", k) == 0) {
		data += k;
		len -= k;
		while (len > 0 && (*data == ' ' || *data == '\t'))
			data++, len--;
		while (len > 0 &&
		       (data[len - 1] == '\r' || data[len - 1] == '\n' ||
		        data[len - 1] == ' '))
			len--;
		if (len >= sizeof r->retry_after)
			len = sizeof r->retry_after - 1;
		memcpy(r->retry_after, data, len);
		r->retry_after[len] = '\0';
	}
	return size * n;
}

struct curlev *
curlev_new(struct event_base *base, long max_conns)
{
	struct curlev *cv = xcalloc(1, sizeof *cv);

	pthread_once(&curlev_once, curlev_global_init);
	cv->base = base;
	if ((cv->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	cv->timer = evtimer_new(base, curlev_on_timer, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, curlev_sock_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, curlev_timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	curlev_set_max_conns(cv, max_conns);
	return cv;
}

void
curlev_set_max_conns(struct curlev *cv, long max_conns)
{
	if (max_conns < 1)
		max_conns = 1;
	curl_multi_setopt(cv->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_conns);
	/* Keep every connection in the pool while it is idle. */
	curl_multi_setopt(cv->multi, CURLMOPT_MAXCONNECTS, max_conns);
}

void
curlev_free(struct curlev *cv)
{
	struct curlev_req *r, *next;

	if (cv == NULL)
		return;
	if (cv->inflight > 0)
		log_warnx("event=http_drop requests=%d", cv->inflight);
	for (r = cv->reqs; r != NULL; r = next) {
		next = r->next;
		curl_multi_remove_handle(cv->multi, r->easy);
		req_free(r);
	}
	/* Closing the pool's connections calls back to remove sockets. */
	curl_multi_cleanup(cv->multi);
	while (cv->socks != NULL)
		sock_free(cv, cv->socks);
	while (cv->nidle > 0)
		curl_easy_cleanup(cv->idle[--cv->nidle]);
	event_free(cv->timer);
	free(cv);
}

int
curlev_inflight(const struct curlev *cv)
{
	return cv->inflight;
}

static void
req_setopts(struct curlev_req *r, const char *url, const char *userpwd,
            long timeout_s)
{
	CURL *e = r->easy;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	/* Set or cleared: a pooled handle keeps its last request's. */
	curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(e, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ppgd/" PPGD_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	                 timeout_s < 10 ? timeout_s : 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curlev_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
}

int
curlev_post(struct curlev *cv, const char *url, struct curl_slist *headers,
            const char *body, const char *userpwd, long timeout_s,
            curlev_done_fn done, void *arg)
{
	struct curlev_req *r = xcalloc(1, sizeof *r);

	r->cv = cv;
	r->done = done;
	r->arg = arg;
	r->body = xstrdup(body);
	r->resp_cap = 1024;
	r->resp = xmalloc(r->resp_cap);
	/* No "Expect: 100-continue" round trip before a larger body. */
	r->headers = curl_slist_append(headers, "Expect:");
	r->easy = cv->nidle > 0 ? cv->idle[--cv->nidle] : curl_easy_init();
	if (r->easy == NULL || r->headers == NULL) {
		req_free(r);
		return -1;
	}
	req_setopts(r, url, userpwd, timeout_s > 0 ? timeout_s : 30);
	if (curl_multi_add_handle(cv->multi, r->easy) != CURLM_OK) {
		req_free(r);
		return -1;
	}
	r->next = cv->reqs;
	if (cv->reqs != NULL)
		cv->reqs->prev = r;
	cv->reqs = r;
	cv->inflight++;
	return 0;
}

int
curlev_retry_after(const char *v)
{
	long long n;
	char *end;
	time_t t, now = time(NULL);

	if (v == NULL)
		return 0;
	n = strtoll(v, &end, 10);
	if (end != v && *end == '\0')
		return n < 0 ? 0 : n > 86400 ? 86400 : (int)n;
	if ((t = curl_getdate(v, NULL)) == -1 || t <= now)
		return 0;
	return t - now > 86400 ? 86400 : (int)(t - now);
}
