/*
 * libcurl's multi-socket interface driven by the libevent loop: HTTP POSTs
 * that never block, over kept-alive connections (one pool per curlev).
 */
#ifndef PPGD_CURLEV_H
#define PPGD_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>

struct curlev;

/*
 * The answer to one request, on the loop: status is the HTTP status, or 0
 * when no answer came (then curl_error says why). body ("" if none) and
 * retry_after (the Retry-After header, or NULL) are borrowed for the call.
 */
typedef void (*curlev_done_fn)(long status, const char *body,
                               const char *retry_after, const char *curl_error,
                               void *arg);

/* A client on base with at most max_conns connections to one host. */
struct curlev *curlev_new(struct event_base *, long max_conns);
/* Free; requests still in flight are dropped without their callback. */
void curlev_free(struct curlev *);
/* Change the connection cap; requests beyond it wait for a connection. */
void curlev_set_max_conns(struct curlev *, long max_conns);
/*
 * POST body to url; headers (taken over, may be NULL) and userpwd ("user:pw"
 * for Basic auth, or NULL) as given. The request gives up after timeout_s
 * seconds. done is called later on the loop, exactly once; never from
 * inside curlev_post. -1 if the request could not be started.
 */
int curlev_post(struct curlev *, const char *url, struct curl_slist *headers,
                const char *body, const char *userpwd, long timeout_s,
                curlev_done_fn done, void *arg);
/* Seconds a Retry-After value (seconds or an HTTP date) asks for, at most a
 * day; 0 for NULL or nonsense. */
int curlev_retry_after(const char *);
/* Requests in flight. */
int curlev_inflight(const struct curlev *);

#endif
