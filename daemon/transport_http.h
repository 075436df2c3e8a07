/*
 * The half the HTTP transports (twilio, notify) share: one message in flight,
 * a failure reported before the request starts, and the reading of the
 * provider's answer into a send_outcome.
 */
#ifndef PPGD_TRANSPORT_HTTP_H
#define PPGD_TRANSPORT_HTTP_H

#include <stdint.h>
#include <event2/event.h>
#include <jansson.h>

#include "transport.h"

/* What differs between providers. */
struct transport_http_provider {
	const char *name;   /* in logs and in "HTTP 400 from NAME" */
	const char *id_key; /* the message id's key in a 2xx body */
	/*
	 * The provider's error body j (NULL if not JSON) into o->code and
	 * o->text, which hold "http_STATUS" and "HTTP STATUS from NAME" when
	 * called; o->result is already SEND_TEMPFAIL or SEND_PERMFAIL.
	 */
	void (*error)(struct send_outcome *o, const json_t *j);
};

struct transport_http_req;

/* One message (outbox id) in flight to p; done(arg) is called exactly once,
 * by transport_http_answer or transport_http_fail_later, which free it. */
struct transport_http_req *
transport_http_req_new(const struct transport_http_provider *p, int64_t id,
                       transport_done_fn done, void *arg);
/* Fail r with code and text from base's loop, never from inside send. */
void transport_http_fail_later(struct transport_http_req *r,
                               struct event_base *base, enum send_result,
                               const char *code, const char *text);
/*
 * A curlev_done_fn for a transport_http_req: status 0 is a temporary
 * "network" failure, 2xx is sent (the provider id from the body), 429 and
 * 5xx are temporary (with Retry-After), any other status is permanent.
 */
void transport_http_answer(long status, const char *body,
                           const char *retry_after, const char *curl_error,
                           void *arg);

#endif
