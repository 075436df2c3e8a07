/* Web pages: templates/web/ files with {{key}} slots, escaped values. */
#include <stdlib.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "crypto.h"
#include "http.h"
#include "log.h"
#include "template.h"
#include "util.h"
#include "web.h"
#include "xmalloc.h"

#define MAX_TEMPLATE (256 * 1024)

/* Used when templates/web/layout.html cannot be read. */
static const char fallback_layout[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\"><title>{{title}}</title></head><body><main>"
    "{{main}}</main></body></html>\n";

static const char *
var_get(const char *const *vars, const char *key, size_t len)
{
	size_t i;

	for (i = 0; vars[i] != NULL && vars[i + 1] != NULL; i += 2)
		if (strlen(vars[i]) == len && strncmp(vars[i], key, len) == 0)
			return vars[i + 1];
	return "";
}

/* Substitute {{key}} slots of text. Caller frees. */
static char *
fill(const char *text, const char *const *vars)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp = open_memstream(&out, &outlen);
	const char *p = text, *open, *close;

	while ((open = strstr(p, "{{")) != NULL &&
	       (close = strstr(open + 2, "}}")) != NULL) {
		fwrite(p, 1, (size_t)(open - p), fp);
		fputs(var_get(vars, open + 2, (size_t)(close - open - 2)), fp);
		p = close + 2;
	}
	fputs(p, fp);
	fclose(fp);
	return out;
}

char *
web_render(const struct config *cfg, const char *name, const char *const *vars)
{
	char *path, *text = NULL, *cause = NULL, *out;
	size_t len;

	path =
	    xasprintf("%s/web/%s.html", config_str(cfg, CFG_TEMPLATES), name);
	if (util_read_file(path, MAX_TEMPLATE, &text, &len, &cause) == -1) {
		log_warnx("event=web_template name=%s error=\"%s\"", name,
		          cause);
		free(cause);
		free(path);
		return NULL;
	}
	free(path);
	out = fill(text, vars);
	free(text);
	return out;
}

void
web_reply(struct evhttp_request *req, const struct config *cfg, int status,
          const char *title, const char *main)
{
	char *t = html_escape(title), *page;
	const char *vars[] = {"title", t, "main", main, NULL};

	if ((page = web_render(cfg, "layout", vars)) == NULL)
		page = fill(fallback_layout, vars);
	http_reply(req, status, "text/html; charset=utf-8", page, strlen(page));
	free(page);
	free(t);
}

void
web_message(struct evhttp_request *req, const struct config *cfg, int status,
            const char *heading, const char *text)
{
	char *h = html_escape(heading), *t = html_escape(text), *main;
	const char *vars[] = {"heading", h, "text", t, NULL};

	if ((main = web_render(cfg, "message", vars)) == NULL)
		main = xasprintf("<h1>%s</h1><p>%s</p>", h, t);
	web_reply(req, cfg, status, heading, main);
	free(main);
	free(h);
	free(t);
}

void
web_esc(FILE *fp, const char *s)
{
	char *e = html_escape(s != NULL ? s : "");

	fputs(e, fp);
	free(e);
}

/* "scheme://host[:port]" of url: its length. */
static size_t
origin_len(const char *url)
{
	const char *p = strstr(url, "://"), *slash;

	if (p == NULL)
		return strlen(url);
	slash = strchr(p + 3, '/');
	return slash != NULL ? (size_t)(slash - url) : strlen(url);
}

int
web_same_origin(struct evhttp_request *req, const struct config *cfg)
{
	const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *pub = config_str(cfg, CFG_PUBLIC_URL);
	const char *origin = evhttp_find_header(h, "Origin");
	const char *referer = evhttp_find_header(h, "Referer");
	size_t n = origin_len(pub);

	if (origin != NULL && strcmp(origin, "null") != 0)
		return strlen(origin) == n && strncmp(origin, pub, n) == 0 ? 0
		                                                           : -1;
	if (referer != NULL)
		return strncmp(referer, pub, n) == 0 &&
		               (referer[n] == '/' || referer[n] == '\0')
		           ? 0
		           : -1;
	return 0;
}

const char *
web_token(const char *rest)
{
	size_t n = strspn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	                        "tuvwxyz0123456789-_");

	if (rest[n] != '\0' || n < 8 || n > 64)
		return NULL;
	return rest;
}

sqlite3_stmt *
web_token_row(struct db *db, const char *token, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	char hash[65];

	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	if (sqlite3_step(st) == SQLITE_ROW)
		return st;
	sqlite3_reset(st);
	return NULL;
}
