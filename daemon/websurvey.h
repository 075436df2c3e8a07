/* The web survey: GET|POST /s/{token}. */
#ifndef PPGD_WEBSURVEY_H
#define PPGD_WEBSURVEY_H

#include <event2/http.h>

struct server;

/*
 * GET shows the survey of a 'survey' token; POST validates it server-side
 * and, if valid, stores the response and marks the token used, in one
 * transaction. A used token shows "already answered"; an unknown or expired
 * one a kind 404 page.
 */
void websurvey_http(struct evhttp_request *, struct server *, const char *rest);

#endif
