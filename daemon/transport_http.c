/*
 * The shared half of the HTTP transports: each keeps only its request body,
 * its headers and how its provider spells an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlev.h"
#include "log.h"
#include "transport_http.h"
#include "xmalloc.h"

struct transport_http_req {
	const struct transport_http_provider *p;
	transport_done_fn done;
	void *arg;
	struct send_outcome out;
	struct transport_http_req *next; /* in the free list */
};

/*
 * Finished records kept for the next message (the loop thread's only):
 * one allocation a message less at thousands a second.
 */
#define REQ_KEEP 256
static struct transport_http_req *req_free_list;
static int req_nfree;

struct transport_http_req *
transport_http_req_new(const struct transport_http_provider *p, int64_t id,
                       transport_done_fn done, void *arg)
{
	struct transport_http_req *r = req_free_list;

	if (r != NULL) {
		req_free_list = r->next;
		req_nfree--;
		memset(r, 0, sizeof *r);
	} else
		r = xcalloc(1, sizeof *r);

	r->p = p;
	r->done = done;
	r->arg = arg;
	r->out.id = id;
	return r;
}

static void
transport_http_report(struct transport_http_req *r)
{
	r->done(&r->out, r->arg);
	if (req_nfree >= REQ_KEEP) {
		free(r);
		return;
	}
	r->next = req_free_list;
	req_free_list = r;
	req_nfree++;
}

static void
transport_http_report_cb(evutil_socket_t fd, short what, void *arg)
{
	transport_http_report(arg);
}

void
transport_http_fail_later(struct transport_http_req *r, struct event_base *base,
                          enum send_result res, const char *code,
                          const char *text)
{
	r->out.result = res;
	snprintf(r->out.code, sizeof r->out.code, "%s", code);
	snprintf(r->out.text, sizeof r->out.text, "%s", text);
	event_base_once(base, -1, EV_TIMEOUT, transport_http_report_cb, r,
	                NULL);
}

/*
 * The provider's message id from a 2xx answer without building a JSON tree:
 * the top-level string member named key, copied to out. Anything this
 * scanner is unsure of (escapes in the id, odd nesting) returns -1 and the
 * caller parses the answer properly.
 */
static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past a JSON string starting at its quote; NULL if unterminated. */
static const char *
skip_string(const char *p)
{
	for (p++; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && *++p == '\0')
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

/* Past one value (nested objects and arrays by depth); NULL if bad. */
static const char *
skip_value(const char *p)
{
	int depth = 0;

	do {
		p = skip_ws(p);
		if (*p == '"') {
			if ((p = skip_string(p)) == NULL)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (--depth < 0)
				return NULL;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (depth == 0)
				return NULL;
			p++;
		} else if (*p != '\0') {
			while (*p != '\0' && strchr(",:}] \t\r\n", *p) == NULL)
				p++;
		} else
			return NULL;
	} while (depth > 0);
	return p;
}

static int
id_scan(const char *body, const char *key, char *out, size_t size)
{
	const char *p = skip_ws(body), *k, *v, *end;
	size_t klen = strlen(key);

	if (*p++ != '{')
		return -1;
	for (;;) {
		p = skip_ws(p);
		if (*p != '"' || (end = skip_string(p)) == NULL)
			return -1;
		k = p + 1;
		p = skip_ws(end);
		if (*p++ != ':')
			return -1;
		v = skip_ws(p);
		if ((size_t)(end - 1 - k) == klen &&
		    memcmp(k, key, klen) == 0) {
			if (*v != '"' || (end = skip_string(v)) == NULL ||
			    memchr(v + 1, '\\', end - v - 2) != NULL ||
			    (size_t)(end - v - 2) >= size)
				return -1;
			memcpy(out, v + 1, end - v - 2);
			out[end - v - 2] = '\0';
			return 0;
		}
		if ((p = skip_value(v)) == NULL)
			return -1;
		p = skip_ws(p);
		if (*p++ != ',')
			return -1;
	}
}

/* A 2xx: keep the provider's message id for delivery receipts. */
static void
transport_http_accepted(struct transport_http_req *r, const char *body)
{
	struct send_outcome *o = &r->out;
	json_t *j, *id;

	o->result = SEND_OK;
	if (id_scan(body, r->p->id_key, o->provider_id,
	            sizeof o->provider_id) == 0)
		return;
	j = json_loads(body, 0, NULL);
	if (json_is_string(id = json_object_get(j, r->p->id_key)))
		snprintf(o->provider_id, sizeof o->provider_id, "%s",
		         json_string_value(id));
	else
		log_warnx("event=%s_answer id=%lld key=%s msg_detail="
		          "\"accepted without a message id\"",
		          r->p->name, (long long)o->id, r->p->id_key);
	json_decref(j);
}

/* Not sent: the provider's error, if it gave one, else the status. */
static void
transport_http_refused(struct transport_http_req *r, enum send_result res,
                       long status, const char *body)
{
	struct send_outcome *o = &r->out;
	json_t *j = json_loads(body, 0, NULL);

	o->result = res;
	snprintf(o->code, sizeof o->code, "http_%ld", status);
	snprintf(o->text, sizeof o->text, "HTTP %ld from %s", status,
	         r->p->name);
	r->p->error(o, j);
	json_decref(j);
}

void
transport_http_answer(long status, const char *body, const char *retry_after,
                      const char *curl_error, void *arg)
{
	struct transport_http_req *r = arg;

	if (status == 0) {
		r->out.result = SEND_TEMPFAIL;
		snprintf(r->out.code, sizeof r->out.code, "network");
		snprintf(r->out.text, sizeof r->out.text, "%s", curl_error);
	} else if (status / 100 == 2) {
		transport_http_accepted(r, body);
	} else if (status == 429 || status >= 500) {
		r->out.retry_after = curlev_retry_after(retry_after);
		transport_http_refused(r, SEND_TEMPFAIL, status, body);
	} else {
		transport_http_refused(r, SEND_PERMFAIL, status, body);
	}
	transport_http_report(r);
}
