/* Inside the admin API: a request being handled and the helpers its
 * per-resource files (api.c core; api_members.c, api_campaigns.c,
 * api_results.c, api_cycle.c) share. */
#ifndef PPGD_API_PRIV_H
#define PPGD_API_PRIV_H

#include <stdint.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#define API_NAME_MAX 64

struct server;
struct db;
struct scope_codes;

/* A request being handled. */
struct api_req {
	struct evhttp_request *req;
	struct server *srv;
	struct db *db;
	const char *rest; /* the path after the route's prefix, encoded */
	char actor[API_NAME_MAX + 8];
	const struct scope_codes *scope; /* the token's practices */
	struct evkeyvalq query;
	json_t *body; /* POST, PATCH: the JSON object */
};

typedef void (*api_fn)(struct api_req *);

struct api_method {
	enum evhttp_cmd_type method;
	api_fn fn;
};

/* Reply with JSON (takes j). */
void api_reply(struct api_req *, int code, json_t *j);
/* An RFC 9457 problem with detail; extra members added (takes extra). */
void api_problem(struct api_req *, int code, const char *detail, json_t *extra);
/* A problem with a formatted detail. */
void api_error(struct api_req *, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* api_error with a cause that it frees. */
void api_error_take(struct api_req *, int code, char *cause);
void api_header(struct api_req *, const char *name, const char *value);
/* An audited write: one info line without personal data. */
void api_logwrite(struct api_req *, const char *action, const char *object);
const char *api_param(struct api_req *, const char *name);
/* 400 unless every query parameter is one of allowed. */
int api_params_known(struct api_req *, const char *const *allowed);
/* A yes/no query parameter; -1 (400 sent) if it is neither. */
int api_param_bool(struct api_req *, const char *name, int *out);
/* An integer query parameter in [min, max] (def if absent). */
int api_param_int(struct api_req *, const char *name, long long def,
                  long long min, long long max, long long *out);
/* The path after the prefix, percent-decoded: one segment. Caller frees. */
char *api_segment(struct api_req *);
/* A positive decimal id, or 0. */
int64_t api_id(const char *s);
/* Parse the body as a JSON object into ar->body; -1 after a 400. */
int api_parse_body(struct api_req *);
/* Authenticate, pick the method's handler, parse the query and body. */
void api_call(struct evhttp_request *, struct server *, const char *rest,
              const struct api_method *);
/* 0 if the client may act for practice code; else -1 after a 403. */
int api_scope_practice(struct api_req *, const char *code);
/* Drop the objects of arr whose key names a practice out of scope. */
void api_scope_filter(struct api_req *, json_t *arr, const char *key);
/* The practice named by a parameter; 403 sent if it is out of the
 * client's scope, 404 if it is unknown; 0 if code is NULL. */
int api_practice_param(struct api_req *, const char *code);
/* A string member of the body, or NULL; -1 after a 400 if it is not. */
int body_string(struct api_req *, const char *key, const char **out);

/*
 * api_work.c: heavy reads (a tally, a page of members) off the event loop,
 * on worker threads with read-only connections of their own.
 */
#define API_WORKERS    2  /* threads, each with a connection */
#define API_WORK_QUEUE 16 /* calls waiting for one; then 503 */
struct api_answer {
	int code;     /* the status: 200 unless set */
	json_t *json; /* the body of a success */
	char *detail; /* or a problem's detail */
};
/* A read on a worker's connection: it sets the answer. Runs on a worker
 * thread: it may read db and arg, nothing of the loop's. */
typedef void (*api_work_fn)(struct db *, void *arg, struct api_answer *);
/* Run fn(arg) off the loop, in one read transaction, and reply with its
 * answer; 503 with Retry-After if too many wait. before, if not NULL, runs
 * first, outside the transaction, with writes allowed; an answer it makes
 * a problem is the reply. Takes arg (freed with free_arg). */
void api_defer(struct api_req *, api_work_fn before, api_work_fn fn, void *arg,
               void (*free_arg)(void *));
/* Make the answer a problem (takes detail). */
void api_answer_problem(struct api_answer *, int code, char *detail);
/* Stop the workers; the calls still waiting are dropped. */
void api_work_stop(void);

/* The routes of each resource file (api.c holds the table). */
typedef void api_route_fn(struct evhttp_request *, struct server *,
                          const char *rest);
/* api_members.c: members and join requests. */
api_route_fn api_route_members, api_route_member, api_route_join_requests,
    api_route_join_request;
/* api_campaigns.c: campaigns and broadcasts. */
api_route_fn api_route_campaigns, api_route_campaign, api_route_broadcasts;
/* api_results.c: tallies. */
api_route_fn api_route_results;
/* api_cycle.c: meetings, evidence, the annual report. */
api_route_fn api_route_meetings, api_route_meeting, api_route_evidence,
    api_route_evidence_one, api_route_reports;

#endif
