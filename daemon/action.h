/* The action plan: "you said, we did", and its public page. */
#ifndef PPGD_ACTION_H
#define PPGD_ACTION_H

#include <stdint.h>
#include <event2/http.h>
#include <jansson.h>

#include "db.h"

struct server;

/* A new action; owner, due (YYYY-MM-DD) and from_survey may be NULL. */
struct action_new {
	const char *practice; /* code */
	const char *area;
	const char *title;
	const char *owner;
	const char *due;
	const char *from_survey; /* a loaded survey's slug */
	int64_t meeting_id;      /* the meeting it came from, or 0 */
};

/* Add an action (status proposed); sets *id. */
int action_add(struct db *, const struct action_new *, int64_t *id,
               char **cause);
/* Set the status (agreed, in-progress, done, dropped) and record a note. */
int action_update(struct db *, int64_t id, const char *status, const char *note,
                  char **cause);
/* Record what an action achieved and how patients benefited; NULL keeps
 * the stored text. */
int action_set_outcome(struct db *, int64_t id, const char *outcome,
                       const char *benefit, char **cause);
/* 1 if status is one an update may set. */
int action_status_valid(const char *status);
/*
 * Actions as a JSON array, oldest first, each with its notes. practice NULL
 * lists every practice. With public set the owner is left out (no personal
 * data). Caller decrefs.
 */
json_t *action_list_json(struct db *, const char *practice, int public);
/* GET /practice/{code}/actions: the public list as HTML, or JSON when the
 * client accepts application/json or asks ?format=json. */
void action_http(struct evhttp_request *, struct server *, const char *rest);

#endif
