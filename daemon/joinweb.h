/* The public join page /join/{practice} and the agreement page /agreement/. */
#ifndef PPGD_JOINWEB_H
#define PPGD_JOINWEB_H

#include <event2/http.h>

struct server;

/*
 * GET /join/CODE[?source=S]: the form; POST: check it, store the request,
 * send the link and code. POST /join/CODE/code: the SMS code.
 * GET|POST /join/CODE/confirm/TOKEN: the email link (a button, then POST).
 */
void joinweb_http(struct evhttp_request *, struct server *, const char *rest);
/* GET /agreement/TOKEN: the agreement; POST: accept it. */
void joinweb_agreement_http(struct evhttp_request *, struct server *,
                            const char *rest);
/* Forget the per-client counts (tests). */
void joinweb_rate_reset(void);

#endif
