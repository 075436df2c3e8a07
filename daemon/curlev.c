/*
 * libcurl's multi-socket API on libevent, after curl's hiperfifo.c: curl
 * tells us which sockets to watch (socket callback) and when to wake it
 * (timer callback); we hand readiness back with curl_multi_socket_action and
 * collect finished transfers with curl_multi_info_read. The multi handle
 * keeps its connections alive between requests, so a steady stream of POSTs
 * to one provider reuses a few connections rather than opening one each.
 *
 * A send should cost little beyond curl's own work: what every request to
 * an endpoint shares (URL, header lines, Basic credentials) is a target,
 * built once; each request is a pooled record that keeps its easy handle,
 * its buffers and the options of the last target it was set for, so a
 * steady stream to one target allocates nothing and sets only its body.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "curlev.h"
#include "log.h"
#include "xmalloc.h"

#define CURLEV_MAX_BODY (1024 * 1024) /* answer bytes kept; rest dropped */
#define CURLEV_POOL     64            /* idle request records kept */
#define CURLEV_KEEP_BUF (64 * 1024)   /* larger buffers are not pooled */

struct curlev_target {
	int refs;
	unsigned long gen; /* unique: a handle set for it needs no setopt */
	char *url;
	long timeout;
	struct curl_slist *headers; /* fixed lines, Authorization included */
};

/* One request; kept in the pool with its easy handle between requests. */
struct curlev_req {
	struct curlev *cv;
	CURL *easy;
	struct curlev_target *t; /* referenced while in flight */
	unsigned long gen;       /* the target easy's options are set for */
	struct curl_slist extra; /* this request's own line, then t's */
	char *extra_s;
	size_t extra_cap;
	char *body;
	size_t body_cap;
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
	struct curlev_req *idle; /* the pool, linked by next */
	int nidle;
};

/*
 * What we watch for one socket curl asked about: one event, kept. When a
 * transfer ends, curl stops watching its kept-alive connection and asks
 * again for the next request on it: removing the event and adding it back
 * was two epoll_ctl calls a message. So a socket curl lets go of is parked
 * instead, still watched: the next request on it takes it back at no cost;
 * if it wakes while parked (the server spoke or closed), we stop watching it
 * and curl finds the connection dead when it next looks; when curl closes
 * the socket (its close callback), the entry goes first.
 */
struct curlev_sock {
	struct curlev *cv;
	struct event *ev;
	curl_socket_t fd;
	short kind;
	int parked;
	struct curlev_sock *prev, *next;
};

static pthread_once_t curlev_once = PTHREAD_ONCE_INIT;
static atomic_ulong curlev_gen;

static void
curlev_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
}

struct curlev_target *
curlev_target_new(const char *url, const char *const *headers,
                  const char *userpwd, long timeout_s)
{
	struct curlev_target *t = xcalloc(1, sizeof *t);
	struct curl_slist *h = NULL;
	char *b64, *line;
	size_t i;

	t->refs = 1;
	t->gen = atomic_fetch_add(&curlev_gen, 1) + 1;
	t->url = xstrdup(url);
	t->timeout = timeout_s > 0 ? timeout_s : 30;
	/* No "Expect: 100-continue" round trip before a larger body. */
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "User-Agent: ppgd/" PPGD_VERSION);
	if (userpwd != NULL) {
		/* curl would encode the credentials again for every request. */
		b64 = crypto_base64((const unsigned char *)userpwd,
		                    strlen(userpwd));
		line = xasprintf("Authorization: Basic %s", b64);
		h = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		explicit_bzero(b64, strlen(b64));
		free(line);
		free(b64);
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		h = curl_slist_append(h, headers[i]);
	if (h == NULL)
		fatalx("curlev_target_new: out of memory");
	t->headers = h;
	return t;
}

static void
target_ref(struct curlev_target *t)
{
	t->refs++;
}

void
curlev_target_unref(struct curlev_target *t)
{
	struct curl_slist *h;

	if (t == NULL || --t->refs > 0)
		return;
	for (h = t->headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(t->headers);
	free(t->url);
	free(t);
}

static size_t curlev_write_cb(char *, size_t, size_t, void *);
static size_t curlev_header_cb(char *, size_t, size_t, void *);
static int curlev_close_cb(void *, curl_socket_t);

/* A new record with the options no request changes. NULL if curl fails. */
static struct curlev_req *
req_create(struct curlev *cv)
{
	struct curlev_req *r = xcalloc(1, sizeof *r);
	CURL *e;

	if ((e = r->easy = curl_easy_init()) == NULL) {
		free(r);
		return NULL;
	}
	r->cv = cv;
	r->resp_cap = 1024;
	r->resp = xmalloc(r->resp_cap);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlev_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curlev_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, curlev_close_cb);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, cv);
	return r;
}

static void
req_destroy(struct curlev_req *r)
{
	curl_easy_cleanup(r->easy);
	free(r->extra_s);
	free(r->body);
	free(r->resp);
	free(r);
}

/* A record from the pool, or a new one. */
static struct curlev_req *
req_get(struct curlev *cv)
{
	struct curlev_req *r = cv->idle;

	if (r == NULL)
		return req_create(cv);
	cv->idle = r->next;
	cv->nidle--;
	r->next = r->prev = NULL;
	return r;
}

/* Back to the pool (or freed): drop the target, keep the buffers. */
static void
req_put(struct curlev_req *r)
{
	struct curlev *cv = r->cv;

	curlev_target_unref(r->t);
	r->t = NULL;
	r->done = NULL;
	r->arg = NULL;
	if (cv->nidle >= CURLEV_POOL || r->resp_cap > CURLEV_KEEP_BUF ||
	    r->body_cap > CURLEV_KEEP_BUF) {
		req_destroy(r);
		return;
	}
	r->next = cv->idle;
	cv->idle = r;
	cv->nidle++;
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
	r->prev = r->next = NULL;
	cv->inflight--;
}

/* Report one finished transfer and put its record back. */
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
	req_put(r);
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

static void sock_free(struct curlev *, struct curlev_sock *);

static void
curlev_on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct curlev_sock *cs = arg;
	struct curlev *cv = cs->cv;
	int running, action = 0;

	if (cs->parked) {
		sock_free(cv, cs);
		return;
	}
	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cv->multi, fd, action, &running);
	/*
	 * Nothing running: no wake-up needed. Before the done callbacks, which
	 * may start a request and arm the timer for it (after them, this would
	 * disarm that, and the new request would never start).
	 */
	if (running == 0 && evtimer_pending(cv->timer, NULL))
		evtimer_del(cv->timer);
	curlev_check(cv);
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

/* Our entry for socket s, or NULL: a few, one a connection. */
static struct curlev_sock *
sock_find(struct curlev *cv, curl_socket_t s)
{
	struct curlev_sock *cs;

	for (cs = cv->socks; cs != NULL && cs->fd != s; cs = cs->next)
		;
	return cs;
}

static struct curlev_sock *
sock_new(struct curlev *cv, curl_socket_t s)
{
	struct curlev_sock *cs = xcalloc(1, sizeof *cs);

	cs->cv = cv;
	cs->fd = s;
	cs->next = cv->socks;
	if (cv->socks != NULL)
		cv->socks->prev = cs;
	cv->socks = cs;
	return cs;
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
			cs->parked = 1;
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (cs == NULL) {
		if ((cs = sock_find(cv, s)) == NULL)
			cs = sock_new(cv, s);
		curl_multi_assign(cv->multi, s, cs);
	}
	cs->parked = 0;
	if (cs->ev != NULL && cs->kind == kind)
		return 0;
	if (cs->ev == NULL)
		cs->ev = event_new(cv->base, s, kind, curlev_on_sock, cs);
	else {
		event_del(cs->ev);
		event_assign(cs->ev, cv->base, s, kind, curlev_on_sock, cs);
	}
	cs->kind = kind;
	event_add(cs->ev, NULL);
	return 0;
}

/* curl closes socket s: its entry, parked or not, goes first. */
static int
curlev_close_cb(void *arg, curl_socket_t s)
{
	struct curlev *cv = arg;
	struct curlev_sock *cs = sock_find(cv, s);

	if (cs != NULL)
		sock_free(cv, cs);
	return close(s);
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
		curlev_target_unref(r->t);
		req_destroy(r);
	}
	/* Closing the pool's connections calls back to remove sockets. */
	curl_multi_cleanup(cv->multi);
	while (cv->socks != NULL)
		sock_free(cv, cv->socks);
	for (r = cv->idle; r != NULL; r = next) {
		next = r->next;
		req_destroy(r);
	}
	event_free(cv->timer);
	free(cv);
}

int
curlev_inflight(const struct curlev *cv)
{
	return cv->inflight;
}

/* Copy len bytes of s and a NUL into *p, growing it as needed. */
static void
req_copy(char **p, size_t *cap, const char *s, size_t len)
{
	if (len + 1 > *cap) {
		*cap = len + 1 > 256 ? len + 1 : 256;
		free(*p);
		*p = xmalloc(*cap);
	}
	memcpy(*p, s, len);
	(*p)[len] = '\0';
}

/* Point r's handle at t (only if it was set for another target). */
static void
req_target(struct curlev_req *r, struct curlev_target *t, const char *extra)
{
	CURL *e = r->easy;

	target_ref(t);
	r->t = t;
	if (r->gen != t->gen) {
		curl_easy_setopt(e, CURLOPT_URL, t->url);
		curl_easy_setopt(e, CURLOPT_TIMEOUT, t->timeout);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
		                 t->timeout < 10 ? t->timeout : 10L);
		r->gen = t->gen;
	}
	if (extra == NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
		return;
	}
	/* This request's line, chained before the target's: no copy of them. */
	req_copy(&r->extra_s, &r->extra_cap, extra, strlen(extra));
	r->extra.data = r->extra_s;
	r->extra.next = t->headers;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, &r->extra);
}

int
curlev_send(struct curlev *cv, struct curlev_target *t, const char *extra,
            const char *body, size_t len, curlev_done_fn done, void *arg)
{
	struct curlev_req *r;

	if ((r = req_get(cv)) == NULL)
		return -1;
	r->done = done;
	r->arg = arg;
	r->resp_len = 0;
	r->retry_after[0] = '\0';
	r->error[0] = '\0';
	req_copy(&r->body, &r->body_cap, body, len);
	req_target(r, t, extra);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	if (curl_multi_add_handle(cv->multi, r->easy) != CURLM_OK) {
		r->gen = 0;
		req_put(r);
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
curlev_post(struct curlev *cv, const char *url, struct curl_slist *headers,
            const char *body, const char *userpwd, long timeout_s,
            curlev_done_fn done, void *arg)
{
	struct curlev_target *t;
	struct curl_slist *h;
	const char **lines;
	size_t n = 0;
	int rc;

	for (h = headers; h != NULL; h = h->next)
		n++;
	lines = xcalloc(n + 1, sizeof *lines);
	for (n = 0, h = headers; h != NULL; h = h->next)
		lines[n++] = h->data;
	t = curlev_target_new(url, lines, userpwd, timeout_s);
	free(lines);
	curl_slist_free_all(headers);
	rc = curlev_send(cv, t, NULL, body, strlen(body), done, arg);
	curlev_target_unref(t);
	return rc;
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
