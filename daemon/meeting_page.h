/* The reply page of a meeting invitation and its calendar file. */
#ifndef PPGD_MEETING_PAGE_H
#define PPGD_MEETING_PAGE_H

#include <event2/http.h>

struct server;

/* GET|POST /m/{token}, GET /m/{token}.ics. */
void meeting_rsvp_http(struct evhttp_request *, struct server *,
                       const char *rest);

#endif
