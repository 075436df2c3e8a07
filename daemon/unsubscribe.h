/* Unsubscribe: GET|POST /u/{token}, with RFC 8058 one-click. */
#ifndef PPGD_UNSUBSCRIBE_H
#define PPGD_UNSUBSCRIBE_H

#include <event2/http.h>

struct server;

/*
 * GET shows a page to choose email, SMS or both (default: the channel of
 * the message that carried the link); POST records the opt-out and
 * confirms. A POST whose body is "List-Unsubscribe=One-Click" (RFC 8058)
 * opts out of email and answers 200 at once, without a redirect.
 */
void unsubscribe_http(struct evhttp_request *, struct server *,
                      const char *rest);

#endif
