/*
 * The admin API for a practice's own systems: /api/v1 on a listener of its
 * own (loopback unless [api] allow_remote), bearer tokens from a file, JSON
 * in and out. Handlers are thin: they parse, call the module functions the
 * CLI uses, audit writes as "api:NAME" and reply.
 *
 * This file is the core: tokens, authentication, replies, the query
 * helpers, practice scope and the route table. Each resource has a file
 * beside it: api_members.c, api_campaigns.c, api_results.c, api_cycle.c.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_priv.h"
#include "crypto.h"
#include "http.h"
#include "log.h"
#include "ratelog.h"
#include "practice.h"
#include "scope.h"
#include "server.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

#define API_TOKEN_MIN       16
#define API_TOKENS_FILE_MAX (64 * 1024)
#define API_ALL_METHODS                                                        \
	(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | \
	 EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE)

struct api_token {
	char *name;
	char *token;
	struct scope_codes *scope; /* the practices it may see and change */
};

struct api_tokens {
	struct api_token *v;
	size_t n;
};

/* The running daemon's tokens; replaced on SIGHUP. */
static struct api_tokens *tokens;

/* ---- tokens ------------------------------------------------------------- */

static int
name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > API_NAME_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789._-") == len;
}

/* One "name token [CODE,...]" line into t; a message (never the token)
 * on error. */
static int
tokens_line(struct api_tokens *t, char *line, char **err)
{
	char *name, *token, *codes, *extra, *save = NULL, *why = NULL;
	struct scope_codes *scope;
	size_t i;

	name = strtok_r(line, " \t", &save);
	token = strtok_r(NULL, " \t", &save);
	codes = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (name == NULL || token == NULL || extra != NULL)
		return (*err = xstrdup("expected 'name token' or 'name token "
		                       "CODE,CODE...'")),
		       -1;
	if (!name_ok(name))
		return (*err = xstrdup("a client name is letters, digits, '.', "
		                       "'_' or '-' (64 at most)")),
		       -1;
	if (strlen(token) < API_TOKEN_MIN)
		return (*err = xasprintf("the token of %s is shorter than %d "
		                         "characters",
		                         name, API_TOKEN_MIN)),
		       -1;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return (*err = xasprintf("client %s is named twice",
			                         name)),
			       -1;
	if ((scope = scope_codes_parse(codes, &why)) == NULL) {
		*err = xasprintf("the practices of %s: %s", name, why);
		free(why);
		return -1;
	}
	t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
	t->v[t->n].name = xstrdup(name);
	t->v[t->n].scope = scope;
	t->v[t->n++].token = xstrdup(token);
	return 0;
}

static int
tokens_parse(struct api_tokens *t, const char *path, char *text, char **cause)
{
	char *line, *err = NULL, *p;
	int lineno = 0;

	for (p = text; (line = strsep(&p, "\n")) != NULL;) {
		lineno++;
		util_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (tokens_line(t, line, &err) == -1) {
			*cause = xasprintf("%s:%d: %s", path, lineno, err);
			free(err);
			return -1;
		}
	}
	if (t->n == 0) {
		*cause = xasprintf("tokens file %s names no client", path);
		return -1;
	}
	return 0;
}

/* The file's text, refused as config_read_secret refuses a secret. */
static char *
tokens_read(const char *path, char **cause)
{
	struct stat st;
	FILE *fp;
	char *text;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("cannot read tokens file %s: %s", path,
		                   strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0) {
		*cause = xasprintf("tokens file %s is readable by group or "
		                   "others; run: chmod 600 %s",
		                   path, path);
		fclose(fp);
		return NULL;
	}
	text = xmalloc(API_TOKENS_FILE_MAX + 1);
	n = fread(text, 1, API_TOKENS_FILE_MAX + 1, fp);
	fclose(fp);
	if (n > API_TOKENS_FILE_MAX) {
		*cause = xasprintf("tokens file %s is larger than %d bytes",
		                   path, API_TOKENS_FILE_MAX);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

int
api_tokens_load(const char *path, struct api_tokens **out, char **cause)
{
	struct api_tokens *t;
	char *text;
	int rc;

	if ((text = tokens_read(path, cause)) == NULL)
		return -1;
	t = xcalloc(1, sizeof *t);
	rc = tokens_parse(t, path, text, cause);
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc == -1) {
		api_tokens_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

static const struct api_token *
tokens_find(const struct api_tokens *t, const char *bearer)
{
	const struct api_token *found = NULL;
	size_t i;

	if (t == NULL || bearer == NULL || *bearer == '\0')
		return NULL;
	/* Compare with every token, so the time does not say which matched. */
	for (i = 0; i < t->n; i++)
		if (crypto_equal(t->v[i].token, bearer))
			found = &t->v[i];
	return found;
}

const char *
api_tokens_match(const struct api_tokens *t, const char *bearer)
{
	const struct api_token *tok = tokens_find(t, bearer);

	return tok != NULL ? tok->name : NULL;
}

const struct scope_codes *
api_tokens_scope(const struct api_tokens *t, const char *bearer)
{
	const struct api_token *tok = tokens_find(t, bearer);

	return tok != NULL ? tok->scope : NULL;
}

size_t
api_tokens_count(const struct api_tokens *t)
{
	return t != NULL ? t->n : 0;
}

void
api_tokens_free(struct api_tokens *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		explicit_bzero(t->v[i].token, strlen(t->v[i].token));
		free(t->v[i].token);
		scope_codes_free(t->v[i].scope);
	}
	free(t->v);
	free(t);
}

/* ---- configuration ------------------------------------------------------ */

static int
sockaddr_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)
		                  ->sin_addr.s_addr) >>
		        24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	s6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	       s6->sin6_addr.s6_addr[12] == 127;
}

int
api_addr_loopback(const char *addr)
{
	struct addrinfo hints = {0}, *res, *ai;
	char *host = xstrdup(addr), *colon = strrchr(host, ':'), *h = host;
	size_t len;
	int ok = 0;

	if (colon != NULL)
		*colon = '\0';
	len = strlen(h);
	if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
		h[len - 1] = '\0';
		h++;
	}
	hints.ai_socktype = SOCK_STREAM;
	if (*h != '\0' && getaddrinfo(h, NULL, &hints, &res) == 0) {
		ok = 1;
		for (ai = res; ai != NULL; ai = ai->ai_next)
			ok &= sockaddr_loopback(ai->ai_addr);
		freeaddrinfo(res);
	}
	free(host);
	return ok;
}

int
api_configure(const struct config *cfg, const char **listen, char **cause)
{
	const char *addr = config_str(cfg, CFG_API_LISTEN);
	const char *file = config_str(cfg, CFG_API_TOKENS_FILE);
	struct api_tokens *t;

	*listen = NULL;
	if (*addr == '\0')
		return 0;
	if (!config_int(cfg, CFG_API_ALLOW_REMOTE) &&
	    !api_addr_loopback(addr)) {
		*cause = xasprintf("[api] listen = %s is not a loopback "
		                   "address; set [api] allow_remote = yes to "
		                   "serve the API there",
		                   addr);
		return -1;
	}
	if (*file == '\0') {
		log_info("event=api_disabled msg_detail=\"no [api] "
		         "tokens_file\"");
		return 0;
	}
	if (api_tokens_load(file, &t, cause) == -1)
		return -1;
	api_tokens_free(tokens);
	tokens = t;
	log_info("event=api_tokens clients=%zu", t->n);
	*listen = addr;
	return 0;
}

void
api_reload(const struct config *cfg)
{
	const char *file = config_str(cfg, CFG_API_TOKENS_FILE);
	struct api_tokens *t;
	char *cause = NULL;

	if (tokens == NULL)
		return; /* the API is off until a restart */
	if (*file == '\0') {
		log_warnx("event=api_tokens msg_detail=\"no [api] tokens_file: "
		          "every API request is refused until a restart\"");
		api_tokens_free(tokens);
		tokens = xcalloc(1, sizeof *tokens);
		return;
	}
	if (api_tokens_load(file, &t, &cause) == -1) {
		log_warnx("event=api_tokens_refused error=\"%s\" "
		          "msg_detail=\"keeping the tokens loaded before\"",
		          cause);
		free(cause);
		return;
	}
	api_tokens_free(tokens);
	tokens = t;
	log_info("event=api_tokens clients=%zu", t->n);
}

void
api_free(void)
{
	api_work_stop();
	api_tokens_free(tokens);
	tokens = NULL;
}

/* ---- replies ------------------------------------------------------------ */

void
api_reply(struct api_req *ar, int code, json_t *j)
{
	http_reply_json(ar->req, code, j);
}

static const char *
status_title(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 422:
		return "Unprocessable Content";
	case 503:
		return "Service Unavailable";
	default:
		return code >= 500 ? "Internal Server Error" : "Error";
	}
}

/*
 * An RFC 9457 problem (application/problem+json): type, title, status and
 * detail, with "error" (the detail) kept for clients written before; extra
 * members (may be NULL) are added. Takes extra.
 */
void
api_problem(struct api_req *ar, int code, const char *detail, json_t *extra)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank",
	              "title", status_title(code), "status", code, "detail",
	              detail, "error", detail);
	char *s;

	if (extra != NULL) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	http_reply(ar->req, code, "application/problem+json", s,
	           s ? strlen(s) : 0);
	free(s);
	json_decref(o);
}

void
api_error(struct api_req *ar, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("vasprintf failed");
	va_end(ap);
	api_problem(ar, code, msg, NULL);
	free(msg);
}

/* api_error with a cause that it frees. */
void
api_error_take(struct api_req *ar, int code, char *cause)
{
	api_error(ar, code, "%s", cause != NULL ? cause : "failed");
	free(cause);
}

void
api_header(struct api_req *ar, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(ar->req), name,
	                  value);
}

/* An audited write: one info line without personal data. */
void
api_logwrite(struct api_req *ar, const char *action, const char *object)
{
	log_info("event=api_write client=%s action=%s object=\"%s\"",
	         ar->actor + 4, action, object);
}

/* ---- requests ----------------------------------------------------------- */

const char *
api_param(struct api_req *ar, const char *name)
{
	return evhttp_find_header(&ar->query, name);
}

/* 400 unless every query parameter is one of allowed. */
int
api_params_known(struct api_req *ar, const char *const *allowed)
{
	struct evkeyval *kv;
	size_t i;

	TAILQ_FOREACH(kv, &ar->query, next)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(kv->key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			api_error(ar, 400, "unknown parameter %s", kv->key);
			return -1;
		}
	}
	return 0;
}

/* A yes/no query parameter; -1 (400 sent) if it is neither. */
int
api_param_bool(struct api_req *ar, const char *name, int *out)
{
	const char *v = api_param(ar, name);

	*out = 0;
	if (v == NULL || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "false") == 0)
		return 0;
	if (*v == '\0' || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "true") == 0) {
		*out = 1;
		return 0;
	}
	api_error(ar, 400, "%s: expected yes or no", name);
	return -1;
}

/* An integer query parameter in [min, max] (def if absent). */
int
api_param_int(struct api_req *ar, const char *name, long long def,
              long long min, long long max, long long *out)
{
	const char *v = api_param(ar, name);
	char *end;

	*out = def;
	if (v == NULL)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || *out < min ||
	    *out > max) {
		api_error(ar, 400, "%s: expected a number from %lld to %lld",
		          name, min, max);
		return -1;
	}
	return 0;
}

/* The path after the prefix, percent-decoded: one segment. Caller frees. */
char *
api_segment(struct api_req *ar)
{
	size_t len;
	char *s;

	if (*ar->rest == '\0' || strchr(ar->rest, '/') != NULL)
		return NULL;
	s = evhttp_uridecode(ar->rest, 0, &len);
	if (s != NULL && (strlen(s) != len || len == 0)) {
		free(s);
		return NULL;
	}
	return s;
}

int64_t
api_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return (*end != '\0' || errno != 0 || v <= 0) ? 0 : v;
}

/* Parse the body as a JSON object; -1 after a 400. */
int
api_parse_body(struct api_req *ar)
{
	json_error_t err;
	size_t len;
	char *s = http_body(ar->req, &len);

	ar->body = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err);
	free(s);
	if (ar->body == NULL) {
		api_error(ar, 400, "bad JSON: %s (line %d, column %d)",
		          err.text, err.line, err.column);
		return -1;
	}
	if (!json_is_object(ar->body)) {
		api_error(ar, 400, "the body must be a JSON object");
		return -1;
	}
	return 0;
}

/* The client named by the Authorization header, or NULL after a 401; its
 * practice scope into ar->scope. */
static const char *
api_auth(struct api_req *ar)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(ar->req), "Authorization");
	struct evhttp_connection *evcon =
	    evhttp_request_get_connection(ar->req);
	const struct api_token *tok;
	char *peer = NULL;
	ev_uint16_t port = 0;

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		for (h += 7; *h == ' '; h++)
			;
		if ((tok = tokens_find(tokens, h)) != NULL) {
			ar->scope = tok->scope;
			return tok->name;
		}
	}
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &peer, &port);
	ratelog_warnx("api_unauthorized",
	              "event=api_unauthorized remote=%s reason=%s",
	              peer ? peer : "-", h == NULL ? "no_token" : "bad_token");
	api_header(ar, "WWW-Authenticate",
	           h == NULL
	               ? "Bearer realm=\"ppgd\""
	               : "Bearer realm=\"ppgd\", error=\"invalid_token\"");
	api_error(ar, 401,
	          h == NULL ? "missing bearer token" : "invalid token");
	return NULL;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "PUT";
	}
}

static void
api_not_allowed(struct api_req *ar, const struct api_method *m)
{
	char allow[64] = "";
	size_t i, len = 0;

	for (i = 0; m[i].fn != NULL && len < sizeof allow; i++)
		len += snprintf(allow + len, sizeof allow - len, "%s%s",
		                i > 0 ? ", " : "", method_name(m[i].method));
	api_header(ar, "Allow", allow);
	api_error(ar, 405, "method not allowed (allowed: %s)", allow);
}

/* Authenticate, pick the method's handler, parse the query and body. */
void
api_call(struct evhttp_request *req, struct server *s, const char *rest,
         const struct api_method *m)
{
	struct api_req ar = {
	    .req = req, .srv = s, .db = server_db(s), .rest = rest};
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	const char *name;
	size_t i;

	TAILQ_INIT(&ar.query);
	if ((name = api_auth(&ar)) == NULL)
		return;
	if (cmd == EVHTTP_REQ_HEAD)
		cmd = EVHTTP_REQ_GET; /* evhttp sends no body for HEAD */
	snprintf(ar.actor, sizeof ar.actor, "api:%s", name);
	for (i = 0; m[i].fn != NULL && m[i].method != cmd; i++)
		;
	if (m[i].fn == NULL)
		api_not_allowed(&ar, m);
	else if (q != NULL && evhttp_parse_query_str(q, &ar.query) == -1)
		api_error(&ar, 400, "bad query string");
	else if ((cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_PATCH) &&
	         api_parse_body(&ar) == -1)
		;
	else {
		/* Audit rows written by the modules name this client too. */
		db_set_actor(ar.db, ar.actor);
		m[i].fn(&ar);
		db_set_actor(ar.db, "daemon");
	}
	evhttp_clear_headers(&ar.query);
	json_decref(ar.body);
}

/* ---- practice scope ----------------------------------------------------- */

/*
 * A token may name the practices it acts for (scope.c decides). A practice
 * outside them is refused with 403 where the client names it, and a member
 * or campaign of one is not there (404), as for a user of the web admin.
 */

/* 0 if the client may act for practice code; else -1 after a 403. */
int
api_scope_practice(struct api_req *ar, const char *code)
{
	if (scope_codes_allow(ar->scope, code))
		return 0;
	api_error(ar, 403, "this client may not act for practice %s", code);
	return -1;
}

/* Drop the objects of arr whose key names a practice out of scope. */
void
api_scope_filter(struct api_req *ar, json_t *arr, const char *key)
{
	size_t i;

	for (i = json_array_size(arr); i-- > 0;)
		if (!scope_codes_allow(ar->scope,
		                       json_string_value(json_object_get(
		                           json_array_get(arr, i), key))))
			json_array_remove(arr, i);
}

/* ---- practices ---------------------------------------------------------- */

static void
practices_list(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	json_t *arr;

	if (api_params_known(ar, params) == -1)
		return;
	arr = practice_list_json(ar->db);
	api_scope_filter(ar, arr, "code");
	api_reply(ar, 200, json_pack("{s:o}", "practices", arr));
}

/* The practice named by a query parameter; 403 sent if it is out of the
 * client's scope, 404 if it is unknown. */
int
api_practice_param(struct api_req *ar, const char *code)
{
	struct practice *p;

	if (code == NULL)
		return 0;
	if (api_scope_practice(ar, code) == -1)
		return -1;
	if ((p = practice_find(ar->db, code)) == NULL) {
		api_error(ar, 404, "no practice %s", code);
		return -1;
	}
	practice_free(p);
	return 0;
}

/* A string member of the body, or NULL; -1 after a 400 if it is not. */
int
body_string(struct api_req *ar, const char *key, const char **out)
{
	const json_t *v = json_object_get(ar->body, key);

	*out = json_string_value(v);
	if (v != NULL && *out == NULL) {
		api_error(ar, 400, "%s: expected a string", key);
		return -1;
	}
	return 0;
}

/* ---- routes ------------------------------------------------------------- */

static void
route_practices(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, practices_list},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}

static void
not_found(struct api_req *ar)
{
	api_error(ar, 404, "no such call; see docs/api.md");
}

static void
route_other(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, not_found},   {EVHTTP_REQ_POST, not_found},
	    {EVHTTP_REQ_PATCH, not_found}, {EVHTTP_REQ_DELETE, not_found},
	    {EVHTTP_REQ_PUT, not_found},   {0, NULL}};

	api_call(req, s, rest, m);
}

/* Exact paths before the prefixes that extend them. */
static const struct http_route api_route_table[] = {
    {EVHTTP_REQ_GET, "/metrics", "metrics", status_metrics},
    {API_ALL_METHODS, "/api/v1/practices", "api_practices", route_practices},
    {API_ALL_METHODS, "/api/v1/members", "api_members", api_route_members},
    {API_ALL_METHODS, "/api/v1/members/", "api_member", api_route_member},
    {API_ALL_METHODS, "/api/v1/broadcasts", "api_broadcasts",
     api_route_broadcasts},
    {API_ALL_METHODS, "/api/v1/campaigns", "api_campaigns",
     api_route_campaigns},
    {API_ALL_METHODS, "/api/v1/campaigns/", "api_campaign", api_route_campaign},
    {API_ALL_METHODS, "/api/v1/meetings", "api_meetings", api_route_meetings},
    {API_ALL_METHODS, "/api/v1/meetings/", "api_meeting", api_route_meeting},
    {API_ALL_METHODS, "/api/v1/results/", "api_results", api_route_results},
    {API_ALL_METHODS, "/api/v1/evidence", "api_evidence", api_route_evidence},
    {API_ALL_METHODS, "/api/v1/evidence/", "api_evidence_one",
     api_route_evidence_one},
    {API_ALL_METHODS, "/api/v1/reports/", "api_reports", api_route_reports},
    {API_ALL_METHODS, "/api/v1/join-requests", "api_join_requests",
     api_route_join_requests},
    {API_ALL_METHODS, "/api/v1/join-requests/", "api_join_request",
     api_route_join_request},
    {API_ALL_METHODS, "/api/", "api_other", route_other},
    /* Anything else on this listener: a problem too, not plain text. */
    {API_ALL_METHODS, "/", "other", route_other},
    {0, NULL, NULL, NULL},
};

const struct http_route *
api_routes(void)
{
	return api_route_table;
}
