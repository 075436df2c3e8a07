/*
 * libcurl's multi-socket interface driven by the libevent loop: HTTP POSTs
 * that never block, over kept-alive connections (one pool per curlev).
 */
#ifndef PPGD_CURLEV_H
#define PPGD_CURLEV_H

#include <stddef.h>

#include <curl/curl.h>
#include <event2/event.h>

struct curlev;

/*
 * What every request to one endpoint shares, built once (per transport and
 * configuration), not per message: the URL, the fixed header lines, the
 * Basic credentials (as a ready Authorization header) and the timeout.
 * Requests in flight hold a reference, so a transport may drop its target
 * on reload while they finish.
 */
struct curlev_target;

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
 * A target: POSTs to url with the header lines in headers (NULL-terminated,
 * "Name: value", copied; may be NULL), Basic auth with userpwd ("user:pw",
 * or NULL for none), giving up after timeout_s seconds (30 if 0). Drop it
 * with curlev_target_unref.
 */
struct curlev_target *curlev_target_new(const char *url,
                                        const char *const *headers,
                                        const char *userpwd, long timeout_s);
/* Drop a reference; the last one frees the target. NULL is ignored. */
void curlev_target_unref(struct curlev_target *);

/*
 * POST len bytes of body (copied) to t, with extra (NULL, or one header line
 * for this request only, such as a fresh Authorization, copied) before t's
 * fixed lines. done is called later on the loop, exactly once; never from
 * inside curlev_send. -1 if the request could not be started.
 */
int curlev_send(struct curlev *, struct curlev_target *, const char *extra,
                const char *body, size_t len, curlev_done_fn done, void *arg);

/*
 * A one-off POST: body to url with headers (taken over, may be NULL) and
 * userpwd (or NULL), as curlev_send with a target made for this request.
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
