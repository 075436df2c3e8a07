/* Published meeting minutes: GET /practice/{code}/meetings[/{id}], beside
 * the action plan. */
#ifndef PPGD_MINUTES_PAGE_H
#define PPGD_MINUTES_PAGE_H

#include <event2/http.h>

struct server;

/*
 * tail is what follows /practice/{code}: "/meetings" (the list of published
 * minutes) or "/meetings/{id}" (one meeting's). The page shows only the
 * meeting's date, place and the minutes text staff wrote: no member names,
 * no replies, no attendance. 404 for anything not published.
 */
void minutes_http(struct evhttp_request *, struct server *, const char *code,
                  const char *tail);

#endif
