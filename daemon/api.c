/*
 * The admin API for a practice's own systems: /api/v1 on a listener of its
 * own (loopback unless [api] allow_remote), bearer tokens from a file, JSON
 * in and out. Handlers are thin: they parse, call the module functions the
 * CLI uses, audit writes as "api:NAME" and reply.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_priv.h"
#include "broadcast.h"
#include "env.h"
#include "campaign.h"
#include "crypto.h"
#include "cron.h"
#include "fire.h"
#include "http.h"
#include "join.h"
#include "log.h"
#include "ratelog.h"
#include "meeting.h"
#include "member.h"
#include "member_edit.h"
#include "outbox.h"
#include "practice.h"
#include "scope.h"
#include "server.h"
#include "status.h"
#include "tally.h"
#include "util.h"
#include "xmalloc.h"

#define API_TOKEN_MIN       16
#define API_TOKENS_FILE_MAX (64 * 1024)
#define API_LIMIT_DEFAULT   100
#define API_LIMIT_MAX       1000
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

/* ---- members ------------------------------------------------------------ */

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

static int
one_of(const char *v, const char *const *choices)
{
	size_t i;

	if (v == NULL)
		return 1;
	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return 1;
	return 0;
}

/* The filter from the query; -1 after a 4xx. */
static int
members_filter(struct api_req *ar, struct member_filter *f)
{
	static const char *const channels[] = {"email", "sms", NULL};
	static const struct {
		const char *name;
		const char *const *choices;
	} enums[] = {{"age_band", member_age_bands},
	             {"sex", member_sexes},
	             {"ethnicity", member_ethnicities},
	             {"channel", channels}};
	size_t i;

	for (i = 0; i < sizeof enums / sizeof enums[0]; i++) {
		if (!one_of(api_param(ar, enums[i].name), enums[i].choices)) {
			api_error(ar, 400, "%s: not a known value",
			          enums[i].name);
			return -1;
		}
	}
	f->practice = api_param(ar, "practice");
	f->age_band = api_param(ar, "age_band");
	f->sex = api_param(ar, "sex");
	f->ethnicity = api_param(ar, "ethnicity");
	f->tag = api_param(ar, "tag");
	f->channel = api_param(ar, "channel");
	f->search = api_param(ar, "search");
	if (api_param_bool(ar, "active", &f->active_only) == -1 ||
	    api_param_bool(ar, "include_erased", &f->include_erased) == -1)
		return -1;
	return api_practice_param(ar, f->practice);
}

struct page {
	json_t *arr;
	int64_t last;
	long long limit, n;
	int more;
};

/* The page comes from SQL (ids after `after`, one more than the limit to
 * know whether there are more): nothing before the page is read. */
static int
page_add(struct member *m, void *arg)
{
	struct page *pg = arg;

	if (pg->n == pg->limit) {
		pg->more = 1;
		return 1;
	}
	json_array_append_new(pg->arr, member_to_json(m));
	pg->n++;
	pg->last = m->id;
	return 0;
}

static void
members_list(struct api_req *ar)
{
	static const char *const params[] = {
	    "practice", "age_band", "sex",    "ethnicity",      "tag",
	    "channel",  "search",   "active", "include_erased", "limit",
	    "after",    NULL};
	struct member_filter f = {0};
	struct page pg = {0};
	long long after;

	if (api_params_known(ar, params) == -1 ||
	    members_filter(ar, &f) == -1 ||
	    api_param_int(ar, "limit", API_LIMIT_DEFAULT, 1, API_LIMIT_MAX,
	                  &pg.limit) == -1 ||
	    api_param_int(ar, "after", 0, 0, INT64_MAX, &after) == -1)
		return;
	f.after = after;
	f.limit = pg.limit + 1;
	f.practices = scope_codes_list(ar->scope);
	pg.arr = json_array();
	member_list(ar->db, &f, page_add, &pg);
	api_reply(ar, 200,
	          json_pack("{s:o, s:o}", "members", pg.arr, "next_after",
	                    pg.more ? json_integer(pg.last) : json_null()));
}

static int
member_field_known(const char *name)
{
	const struct member_field *f;
	size_t n, i;

	f = member_fields(&n);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return 1;
	return 0;
}

/* A JSON value as the text member_set takes. Caller frees; NULL if the
 * type does not fit. */
static char *
json_field_text(const json_t *v)
{
	char *s = NULL, *t;
	const json_t *e;
	size_t i;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_null(v))
		return xstrdup("");
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "yes" : "no");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (!json_is_array(v))
		return NULL;
	s = xstrdup("");
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || strchr(json_string_value(e), ';')) {
			free(s);
			return NULL;
		}
		t = xasprintf("%s%s%s", s, i ? ";" : "", json_string_value(e));
		free(s);
		s = t;
	}
	return s;
}

/* Custom fields from {"extra": {"NAME": "text" or null}}. */
static int
member_apply_extra(struct member *m, json_t *extra, char **cause)
{
	const char *k;
	json_t *v;
	char *field, *text;
	int rc;

	if (!json_is_object(extra))
		return (*cause = xstrdup("extra: expected an object")), 400;
	json_object_foreach(extra, k, v)
	{
		field = xasprintf(MEMBER_EXTRA_PREFIX "%s", k);
		text = json_is_string(v) || json_is_null(v) ? json_field_text(v)
		                                            : NULL;
		if (!member_extra_name_ok(field) || text == NULL) {
			*cause =
			    xasprintf("extra.%s: a name of letters, "
			              "digits, _ and - with a string value",
			              k);
			free(field);
			free(text);
			return 400;
		}
		rc = member_set(m, field, text, cause);
		free(field);
		free(text);
		if (rc == -1)
			return 422;
	}
	return 0;
}

/* Set the body's fields on m: 0, or the status to reply with and *cause. */
static int
member_apply(struct db *db, json_t *body, struct member *m, char **cause)
{
	const char *k;
	json_t *v;
	char *text;
	struct practice *p;
	int rc;

	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "practice") == 0) {
			if (!json_is_string(v))
				return (*cause = xstrdup("practice: expected "
				                         "a string")),
				       400;
			if ((p = practice_find(db, json_string_value(v))) ==
			    NULL)
				return (*cause =
				            xasprintf("no practice %s",
				                      json_string_value(v))),
				       422;
			m->practice_id = p->id;
			free(m->practice_code);
			m->practice_code = xstrdup(p->code);
			practice_free(p);
			continue;
		}
		if (strcmp(k, "extra") == 0) {
			if ((rc = member_apply_extra(m, v, cause)) != 0)
				return rc;
			continue;
		}
		if (strcmp(k, "shared_number") == 0) {
			if (!json_is_boolean(v))
				return (*cause =
				            xstrdup("shared_number: "
				                    "expected true or false")),
				       400;
			continue;
		}
		if (!member_field_known(k))
			return (*cause = xasprintf("unknown field %s", k)), 400;
		if ((text = json_field_text(v)) == NULL)
			return (*cause = xasprintf("%s: expected a string", k)),
			       400;
		rc = member_set(m, k, text, cause);
		free(text);
		if (rc == -1)
			return 422;
	}
	return member_validate(m, cause) == -1 ? 422 : 0;
}

/* Save m through the shared use case; reply with the error if it fails.
 * 0 if saved, 1 if the request will run again (write lock busy), -1 if
 * answered with an error. */
static int
member_store(struct api_req *ar, struct member *m)
{
	struct member_edit_opts eo = {
	    .actor = ar->actor,
	    .term_months =
	        (int)config_int(server_config(ar->srv), CFG_TERM_MONTHS),
	    .shared_number =
	        json_is_true(json_object_get(ar->body, "shared_number")),
	    .postcode_outward =
	        strcmp(config_str(server_config(ar->srv), CFG_POSTCODE),
	               "outward") == 0};
	int was_new = m->id == 0;
	char *cause = NULL, obj[32];
	int64_t other;

	switch (member_edit_save(ar->db, m, &eo, &other, &cause)) {
	case MEMBER_EDIT_OK:
		snprintf(obj, sizeof obj, "member:%lld", (long long)m->id);
		api_logwrite(ar, was_new ? "member.add" : "member.update", obj);
		return 0;
	case MEMBER_EDIT_INVALID:
		api_error_take(ar, 422, cause);
		break;
	case MEMBER_EDIT_CONFLICT:
		api_problem(ar, 409, cause,
		            json_pack("{s:I}", "id", (json_int_t)other));
		free(cause);
		break;
	case MEMBER_EDIT_FAILED:
		api_error_take(ar, 500, cause);
		break;
	case MEMBER_EDIT_BUSY:
		/* Another process writes: run again once the lock is free. */
		if (http_retry(ar->req))
			return 1;
		api_problem(ar, 503, "the database is busy; try again", NULL);
		break;
	}
	return -1;
}

/* The member's entity tag: a hash of its JSON, quoted. */
static void
member_etag(const struct member *m, char out[36])
{
	json_t *o = member_to_json((struct member *)m);
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), hex[65];

	crypto_sha256_hex(s, strlen(s), hex);
	snprintf(out, 36, "\"%.32s\"", hex);
	free(s);
	json_decref(o);
}

/*
 * If-Match on an update: the request goes ahead only if the member is as
 * the client last saw it; else 412 (lost update prevented).
 */
static int
member_if_match(struct api_req *ar, const struct member *m)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(ar->req), "If-Match");
	char etag[36];

	if (h == NULL || strcmp(h, "*") == 0)
		return 0;
	member_etag(m, etag);
	if (strstr(h, etag) != NULL)
		return 0;
	api_error(ar, 412,
	          "member %lld has changed since it was read (If-Match %s; "
	          "now %s)",
	          (long long)m->id, h, etag);
	return -1;
}

static void
member_reply(struct api_req *ar, int code, struct member *m)
{
	char *loc, etag[36];

	member_etag(m, etag);
	api_header(ar, "ETag", etag);
	if (code == 201) {
		loc = xasprintf("/api/v1/members/%lld", (long long)m->id);
		api_header(ar, "Location", loc);
		free(loc);
	}
	api_reply(ar, code, member_to_json(m));
}

static void
members_create(struct api_req *ar)
{
	json_t *pj = json_object_get(ar->body, "practice");
	struct member *m;
	char *cause = NULL;
	int code;

	if (!json_is_string(pj)) {
		api_error(ar, 400, "practice: a practice code is required");
		return;
	}
	if (api_scope_practice(ar, json_string_value(pj)) == -1)
		return;
	m = member_new(0, NULL);
	if ((code = member_apply(ar->db, ar->body, m, &cause)) != 0)
		api_error_take(ar, code, cause);
	else if (member_store(ar, m) == 0)
		member_reply(ar, 201, m);
	member_free(m);
}

/* The member the path names; NULL after a 404 (a member of a practice out
 * of the client's scope is not there). Caller frees. */
static struct member *
member_of_path(struct api_req *ar)
{
	int64_t id = api_id(ar->rest);
	struct member *m = id != 0 ? member_load(ar->db, id) : NULL;

	if (m != NULL && !scope_codes_allow(ar->scope, m->practice_code)) {
		member_free(m);
		m = NULL;
	}
	if (m == NULL)
		api_error(ar, 404, "no member %s",
		          id != 0 ? ar->rest : "there");
	return m;
}

static void
member_get(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	struct member *m;

	if (api_params_known(ar, params) == -1 ||
	    (m = member_of_path(ar)) == NULL)
		return;
	member_reply(ar, 200, m);
	member_free(m);
}

static void
member_patch(struct api_req *ar)
{
	json_t *pj = json_object_get(ar->body, "practice");
	struct member *m;
	char *cause = NULL;
	int code;

	if ((m = member_of_path(ar)) == NULL)
		return;
	if (json_is_string(pj) &&
	    api_scope_practice(ar, json_string_value(pj)) == -1)
		;
	else if (m->erased_at != 0)
		api_error(ar, 409, "member %lld was erased", (long long)m->id);
	else if (member_if_match(ar, m) == -1)
		;
	else if ((code = member_apply(ar->db, ar->body, m, &cause)) != 0)
		api_error_take(ar, code, cause);
	else if (member_store(ar, m) == 0)
		member_reply(ar, 200, m);
	member_free(m);
}

static void
member_delete(struct api_req *ar)
{
	struct member *m;
	char *cause = NULL, obj[32];
	int64_t id;

	if ((m = member_of_path(ar)) == NULL)
		return;
	id = m->id;
	if (m->erased_at != 0)
		api_error(ar, 409, "member %lld is already erased",
		          (long long)id);
	else if (member_if_match(ar, m) == -1)
		;
	else if (member_erase(ar->db, id, ar->actor, &cause) == -1)
		api_error_take(ar, 500, cause);
	else {
		snprintf(obj, sizeof obj, "member:%lld", (long long)id);
		api_logwrite(ar, "member.erase", obj);
		member_free(m);
		m = member_load(ar->db, id);
		member_reply(ar, 200, m);
	}
	member_free(m);
}

/* ---- broadcasts --------------------------------------------------------- */

/* A string, or an array of strings or positive integers, joined by ",". */
static char *
json_list_text(const json_t *v, int numbers)
{
	const json_t *e;
	char *s, *t, *one;
	size_t i;

	if (json_is_string(v) && !numbers)
		return xstrdup(json_string_value(v));
	if (!json_is_array(v) || json_array_size(v) == 0)
		return NULL;
	s = xstrdup("");
	json_array_foreach(v, i, e)
	{
		if (numbers && json_is_integer(e) && json_integer_value(e) > 0)
			one =
			    xasprintf("%lld", (long long)json_integer_value(e));
		else if (!numbers && json_is_string(e))
			one = xstrdup(json_string_value(e));
		else {
			free(s);
			return NULL;
		}
		t = xasprintf("%s%s%s", s, i ? "," : "", one);
		free(one);
		free(s);
		s = t;
	}
	return s;
}

/* The body fields of a broadcast that land on the campaign. */
static const struct broadcast_key {
	const char *key;
	size_t off;
	int list;         /* 0: a string; 1: strings; 2: action ids */
	const char *want; /* what a 400 says was expected */
} broadcast_keys[] = {
    {"template", offsetof(struct campaign, template), 0, "a string"},
    {"message", offsetof(struct campaign, message), 0, "a string"},
    {"channels", offsetof(struct campaign, channels), 1,
     "a string or an array of strings"},
    {"audience", offsetof(struct campaign, audience), 0, "a string"},
    {"name", offsetof(struct campaign, name), 0, "a string"},
    {"actions", offsetof(struct campaign, action_ids), 2,
     "an array of action ids"},
};

static const struct broadcast_key *
broadcast_key(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof broadcast_keys / sizeof broadcast_keys[0]; i++)
		if (strcmp(k, broadcast_keys[i].key) == 0)
			return &broadcast_keys[i];
	return NULL;
}

/* The body onto c: 0, or the status to reply with and *cause. */
static int
broadcast_apply(json_t *body, struct campaign *c, const char **practice,
                char **cause)
{
	const struct broadcast_key *bk;
	const char *k;
	json_t *v;
	char **slot, *text;

	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "practice") == 0) {
			if (!json_is_string(v))
				return (*cause = xstrdup("practice: expected a "
				                         "string")),
				       400;
			*practice = json_string_value(v);
			continue;
		}
		if ((bk = broadcast_key(k)) == NULL)
			return (*cause = xasprintf("unknown field %s", k)), 400;
		if (bk->list)
			text = json_list_text(v, bk->list == 2);
		else
			text = json_is_string(v) ? xstrdup(json_string_value(v))
			                         : NULL;
		if (text == NULL)
			return (*cause =
			            xasprintf("%s: expected %s", k, bk->want)),
			       400;
		slot = (char **)((char *)c + bk->off);
		free(*slot);
		*slot = text;
	}
	if (*practice == NULL || c->template == NULL)
		return (*cause = xstrdup("practice and template are "
		                         "required")),
		       400;
	return 0;
}

static void
broadcasts_create(struct api_req *ar)
{
	static const int status[] = {[BROADCAST_NO_PRACTICE] = 422,
	                             [BROADCAST_NAME_TAKEN] = 409,
	                             [BROADCAST_INVALID] = 422,
	                             [BROADCAST_FAILED] = 500};
	struct campaign *c = campaign_new();
	struct fire_result r;
	const char *practice = NULL;
	char *cause = NULL;
	enum broadcast_err e;
	int code;

	if ((code = broadcast_apply(ar->body, c, &practice, &cause)) != 0) {
		api_error_take(ar, code, cause);
	} else if (api_scope_practice(ar, practice) == -1) {
		;
	} else if ((e = broadcast_send(ar->db, server_config(ar->srv), c,
	                               practice, ar->actor, time(NULL), &r,
	                               &cause)) != BROADCAST_OK) {
		api_error_take(ar, status[e], cause);
	} else {
		char *enc, *loc;

		api_logwrite(ar, "broadcast.send", c->name);
		env_kick(server_env(ar->srv));
		/* Where to follow it: the campaign it made. */
		enc = evhttp_uriencode(c->name, -1, 0);
		loc = xasprintf("/api/v1/campaigns/%s", enc);
		api_header(ar, "Location", loc);
		free(loc);
		free(enc);
		api_reply(ar, 202, fire_result_json(&r, c));
	}
	campaign_free(c);
}

/* ---- campaigns ---------------------------------------------------------- */

static void
campaigns_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", NULL};
	const char *practice = api_param(ar, "practice");
	json_t *arr, *o;
	size_t i;

	if (api_params_known(ar, params) == -1 ||
	    api_practice_param(ar, practice) == -1)
		return;
	arr = campaign_list_json(ar->db, practice);
	api_scope_filter(ar, arr, "practice");
	json_array_foreach(arr, i, o)
	{
		json_object_set_new(
		    o, "outbox",
		    outbox_counts(
		        ar->db, json_string_value(json_object_get(o, "name"))));
	}
	api_reply(ar, 200, json_pack("{s:o}", "campaigns", arr));
}

static void
campaign_show(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	struct campaign *c = NULL;
	char *name;

	if (api_params_known(ar, params) == -1)
		return;
	name = api_segment(ar);
	if (name != NULL && (c = campaign_find(ar->db, name)) != NULL &&
	    !scope_codes_allow(ar->scope, c->practice_code)) {
		campaign_free(c);
		c = NULL;
	}
	if (c == NULL)
		api_error(ar, 404, "no campaign %s", name ? name : "there");
	else
		api_reply(ar, 200, campaign_show_json(ar->db, c));
	campaign_free(c);
	free(name);
}

/* ---- meetings ----------------------------------------------------------- */

static void
meetings_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", NULL};
	const char *practice = api_param(ar, "practice");
	json_t *arr;

	if (api_params_known(ar, params) == -1 ||
	    api_practice_param(ar, practice) == -1)
		return;
	arr = meeting_list_json(ar->db, practice);
	api_scope_filter(ar, arr, "practice");
	api_reply(ar, 200, json_pack("{s:o}", "meetings", arr));
}

static void
meeting_show(struct api_req *ar)
{
	static const char *const params[] = {NULL};
	struct meeting *m = NULL;
	char *seg, *end;
	long long id = 0;
	json_t *o = NULL;

	if (api_params_known(ar, params) == -1)
		return;
	seg = api_segment(ar);
	if (seg != NULL)
		id = strtoll(seg, &end, 10);
	if (seg != NULL && *seg >= '1' && *seg <= '9' && *end == '\0' &&
	    (m = meeting_get(ar->db, (int64_t)id)) != NULL) {
		o = meeting_to_json(ar->db, m);
		/* Another practice's meeting is not there. */
		if (!scope_codes_allow(
		        ar->scope,
		        json_string_value(json_object_get(o, "practice")))) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o == NULL)
		api_error(ar, 404, "no meeting %s", seg ? seg : "there");
	else
		api_reply(ar, 200, o);
	meeting_free(m);
	free(seg);
}

/* ---- results ------------------------------------------------------------ */

/* from/to as `ppgd results` reads them: a bare date "to" is inclusive. */
static int
results_day(struct api_req *ar, const char *name, int64_t *t)
{
	const char *v = api_param(ar, name);

	if (v == NULL)
		return 0;
	if (util_parse_time(v, t) == -1) {
		api_error(ar, 400, "%s: bad date %s (YYYY-MM-DD)", name, v);
		return -1;
	}
	if (strcmp(name, "to") == 0 && strlen(v) == 10)
		*t += 86400;
	return 0;
}

/*
 * Results for a client scoped to practices: of its practice (named, or its
 * only one), never of a campaign of another practice. -1 after a 4xx.
 */
static int
results_scope(struct api_req *ar, struct tally_query *q, const char *target)
{
	struct campaign *c;
	int mine;

	if (scope_codes_all(ar->scope))
		return 0;
	if (q->practice == NULL &&
	    (q->practice = scope_codes_only(ar->scope)) == NULL) {
		api_error(ar, 400,
		          "practice: required of a client scoped to "
		          "several practices");
		return -1;
	}
	if (api_scope_practice(ar, q->practice) == -1)
		return -1;
	if (strncmp(target, "campaign:", 9) == 0)
		target += 9;
	if ((c = campaign_find(ar->db, target)) == NULL)
		return 0;
	mine = scope_codes_allow(ar->scope, c->practice_code);
	campaign_free(c);
	if (!mine)
		api_error(ar, 404, "no survey or campaign %s", target);
	return mine ? 0 : -1;
}

static void
results_get(struct api_req *ar)
{
	static const char *const params[] = {"practice", "from", "to", "by",
	                                     NULL};
	struct tally_query q = {0};
	char *target, *cause = NULL;
	json_t *out;

	if (api_params_known(ar, params) == -1 ||
	    results_day(ar, "from", &q.from) == -1 ||
	    results_day(ar, "to", &q.to) == -1)
		return;
	q.practice = api_param(ar, "practice");
	q.by = api_param(ar, "by");
	if (q.by != NULL && !tally_by_valid(q.by)) {
		api_error(ar, 400,
		          "by: cannot break down by %s (age_band, "
		          "sex or ethnicity)",
		          q.by);
		return;
	}
	if ((target = api_segment(ar)) == NULL) {
		api_error(ar, 404, "no survey or campaign there");
		return;
	}
	if (results_scope(ar, &q, target) == -1) {
		free(target);
		return;
	}
	q.target = target;
	if (tally_run(ar->db, &q, &out, &cause) == -1)
		api_error_take(ar, strncmp(cause, "no ", 3) == 0 ? 404 : 422,
		               cause);
	else
		api_reply(ar, 200, out);
	free(target);
}

/* ---- join requests ------------------------------------------------------ */

static void
join_requests_list(struct api_req *ar)
{
	static const char *const params[] = {"practice", "state", NULL};
	static const char *const states[] = {
	    "unconfirmed", "pending", "approved", "rejected", "expired", NULL};
	const char *state = api_param(ar, "state");
	size_t i;

	json_t *arr;

	if (api_params_known(ar, params) == -1 ||
	    (api_param(ar, "practice") != NULL &&
	     api_scope_practice(ar, api_param(ar, "practice")) == -1))
		return;
	for (i = 0; state != NULL && states[i] != NULL; i++)
		if (strcmp(state, states[i]) == 0)
			break;
	if (state != NULL && states[i] == NULL) {
		api_error(ar, 400,
		          "state: one of unconfirmed, pending, "
		          "approved, rejected, expired");
		return;
	}
	arr = join_list(ar->db, api_param(ar, "practice"), state);
	api_scope_filter(ar, arr, "practice");
	api_reply(ar, 200, json_pack("{s:o}", "join_requests", arr));
}

/* 1 if join request id is of a practice the client may act for (one of
 * another practice is not there). */
static int
join_in_scope(struct api_req *ar, int64_t id)
{
	static const char *const states[] = {"unconfirmed", "pending",
	                                     "approved", "rejected", "expired"};
	json_t *arr, *e;
	size_t i, k;
	int found = 0, ok = 1;

	if (scope_codes_all(ar->scope))
		return 1;
	for (k = 0; !found && k < sizeof states / sizeof states[0]; k++) {
		arr = join_list(ar->db, NULL, states[k]);
		json_array_foreach(arr, i, e)
		{
			if (json_integer_value(json_object_get(e, "id")) != id)
				continue;
			found = 1;
			ok = scope_codes_allow(
			    ar->scope,
			    json_string_value(json_object_get(e, "practice")));
		}
		json_decref(arr);
	}
	return ok;
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

static void
join_decided(struct api_req *ar, int64_t id, const char *state, int64_t member)
{
	char obj[32];
	json_t *o =
	    json_pack("{s:I, s:s}", "request", (json_int_t)id, "state", state);

	if (member != 0)
		json_object_set_new(o, "member_id", json_integer(member));
	snprintf(obj, sizeof obj, "join:%lld", (long long)id);
	api_logwrite(
	    ar, strcmp(state, "approved") == 0 ? "join.approve" : "join.reject",
	    obj);
	api_reply(ar, 200, o);
}

/* POST /api/v1/join-requests/ID/approve {"external_ref"} or /reject
 * {"reason"}. */
static void
join_request_decide(struct api_req *ar)
{
	/* "ID/approve", also as one encoded segment ("1%2Fapprove"). */
	char *rest = evhttp_uridecode(ar->rest, 0, NULL);
	const char *slash = rest != NULL ? strchr(rest, '/') : NULL, *key;
	const char *ref = NULL, *reason = NULL;
	char idtext[24], action[16], *cause = NULL;
	int approve, rc, notify;
	int64_t id, member = 0;
	json_t *v;

	if (slash == NULL || (size_t)(slash - rest) >= sizeof idtext ||
	    strlen(slash) >= sizeof action) {
		free(rest);
		api_error(ar, 404, "no such call; see docs/api.md");
		return;
	}
	memcpy(idtext, rest, (size_t)(slash - rest));
	idtext[slash - rest] = '\0';
	snprintf(action, sizeof action, "%s", slash);
	free(rest);
	slash = action;
	approve = strcmp(slash, "/approve") == 0;
	if ((id = api_id(idtext)) == 0 ||
	    (!approve && strcmp(slash, "/reject") != 0)) {
		api_error(ar, 404, "no such call; see docs/api.md");
		return;
	}
	json_object_foreach(ar->body, key, v)
	{
		if (strcmp(key, approve ? "external_ref" : "reason") != 0 &&
		    (approve || strcmp(key, "notify") != 0)) {
			api_error(ar, 400, "unknown key %s", key);
			return;
		}
	}
	if (body_string(ar, approve ? "external_ref" : "reason",
	                approve ? &ref : &reason) == -1)
		return;
	if (!approve && reason == NULL) {
		api_error(ar, 400, "reason: required");
		return;
	}
	/* The person is told unless "notify": false. */
	v = json_object_get(ar->body, "notify");
	if (!approve && v != NULL && !json_is_boolean(v)) {
		api_error(ar, 400, "notify: expected true or false");
		return;
	}
	notify = v == NULL || json_is_true(v);
	if (!join_in_scope(ar, id)) {
		api_error(ar, 404, "no join request %lld", (long long)id);
		return;
	}
	if (approve)
		rc = join_approve(ar->db, server_config(ar->srv), id, ref,
		                  ar->actor, &member, &cause);
	else
		rc = join_reject(ar->db, notify ? server_config(ar->srv) : NULL,
		                 id, reason, ar->actor, &cause);
	if (rc == -1)
		api_error_take(ar,
		               strncmp(cause, "no ", 3) == 0    ? 404
		               : strncmp(cause, "give", 4) == 0 ? 400
		                                                : 409,
		               cause);
	else {
		if (approve)
			env_kick(server_env(ar->srv));
		join_decided(ar, id, approve ? "approved" : "rejected", member);
	}
}

static void
route_join_requests(struct evhttp_request *req, struct server *s,
                    const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, join_requests_list}, {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_join_request(struct evhttp_request *req, struct server *s,
                   const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_POST, join_request_decide}, {0, NULL}};

	api_call(req, s, rest, m);
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
route_members(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, members_list},
	                                      {EVHTTP_REQ_POST, members_create},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_member(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, member_get},
	    {EVHTTP_REQ_PATCH, member_patch},
	    {EVHTTP_REQ_DELETE, member_delete},
	    {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_broadcasts(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_POST, broadcasts_create}, {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_campaigns(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, campaigns_list},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_campaign(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, campaign_show},
	                                      {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_meetings(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, meetings_list},
	    {EVHTTP_REQ_POST, api_meetings_create},
	    {0, NULL}};

	api_call(req, s, rest, m);
}

static void
route_meeting(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {
	    {EVHTTP_REQ_GET, meeting_show},
	    {EVHTTP_REQ_PATCH, api_meeting_patch},
	    {0, NULL}};

	if (api_meeting_action(req, s, rest))
		return;
	api_call(req, s, rest, m);
}

static void
route_results(struct evhttp_request *req, struct server *s, const char *rest)
{
	static const struct api_method m[] = {{EVHTTP_REQ_GET, results_get},
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
    {API_ALL_METHODS, "/api/v1/members", "api_members", route_members},
    {API_ALL_METHODS, "/api/v1/members/", "api_member", route_member},
    {API_ALL_METHODS, "/api/v1/broadcasts", "api_broadcasts", route_broadcasts},
    {API_ALL_METHODS, "/api/v1/campaigns", "api_campaigns", route_campaigns},
    {API_ALL_METHODS, "/api/v1/campaigns/", "api_campaign", route_campaign},
    {API_ALL_METHODS, "/api/v1/meetings", "api_meetings", route_meetings},
    {API_ALL_METHODS, "/api/v1/meetings/", "api_meeting", route_meeting},
    {API_ALL_METHODS, "/api/v1/results/", "api_results", route_results},
    {API_ALL_METHODS, "/api/v1/evidence", "api_evidence", api_route_evidence},
    {API_ALL_METHODS, "/api/v1/evidence/", "api_evidence_one",
     api_route_evidence_one},
    {API_ALL_METHODS, "/api/v1/reports/", "api_reports", api_route_reports},
    {API_ALL_METHODS, "/api/v1/join-requests", "api_join_requests",
     route_join_requests},
    {API_ALL_METHODS, "/api/v1/join-requests/", "api_join_request",
     route_join_request},
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
