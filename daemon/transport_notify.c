/*
 * The notify transport: GOV.UK Notify's v2 API, one JSON POST a message
 * through a template whose personalisation carries our text, signed with an
 * HS256 JWT issued in the current second (Notify refuses tokens older than
 * 30 s). The outbox id is the reference, so a delivery receipt finds its
 * row. The endpoints and the bodies' fixed start are built once per
 * configuration; a message only encodes its own fields.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "curlev.h"
#include "log.h"
#include "transport.h"
#include "transport_http.h"
#include "util.h"
#include "xmalloc.h"

struct notify {
	struct event_base *base;
	struct curlev *cv;
	struct curlev_target *sms, *email; /* URL and fixed headers, once */
	char *service_id, *secret;
	char *sms_head, *email_head; /* the body's start: template, key */
	char *auth;                  /* "Authorization: Bearer JWT" */
	long auth_iat;               /* the second auth was signed in */
	struct buf body;             /* the request being built, reused */
};

static void
notify_strings_free(struct notify *n)
{
	curlev_target_unref(n->sms);
	curlev_target_unref(n->email);
	free(n->service_id);
	if (n->secret != NULL)
		explicit_bzero(n->secret, strlen(n->secret));
	free(n->secret);
	free(n->sms_head);
	free(n->email_head);
	free(n->auth);
	n->sms = n->email = NULL;
	n->service_id = n->secret = n->sms_head = n->email_head = NULL;
	n->auth = NULL;
}

/*
 * Append s to b as a JSON string; -1 if s is not valid UTF-8 (which
 * Notify, and jansson, refuse).
 */
static int
notify_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), i, from;
	char esc[7] = "\\u00";

	if (!util_utf8_valid(s, len))
		return -1;
	buf_addn(b, "\"", 1);
	for (i = from = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_addn(b, s + from, i - from);
		from = i + 1;
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			buf_addn(b, esc, 2);
		} else {
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_addn(b, esc, 6);
		}
	}
	buf_addn(b, s + from, len - from);
	buf_addn(b, "\"", 1);
	return 0;
}

/* The body's fixed start: {"template_id":TPL,"KEY":  Caller frees. */
static char *
notify_head(const char *tpl, const char *key)
{
	struct buf b = {0};

	if (*tpl == '\0')
		return xstrdup("");
	buf_add(&b, "{\"template_id\":");
	if (notify_json_str(&b, tpl) == -1) {
		free(b.s);
		return xstrdup("");
	}
	buf_printf(&b, ",\"%s\":", key);
	return b.s;
}

/*
 * Copy the settings; -1 with *cause if they cannot work. The endpoints,
 * their headers and the bodies' fixed start are built here, once.
 */
static int
notify_configure(struct notify *n, const struct config *cfg, char **cause)
{
	static const char *const headers[] = {"Content-Type: application/json",
	                                      NULL};
	const char *base = config_str(cfg, CFG_NOTIFY_API_BASE);
	long timeout = (long)config_int(cfg, CFG_HTTP_TIMEOUT);
	char *service_id, *secret, *url;

	if (*config_str(cfg, CFG_NOTIFY_API_KEY) == '\0') {
		*cause = xstrdup("notify needs [notify] api_key_file");
		return -1;
	}
	if (crypto_notify_key_split(config_str(cfg, CFG_NOTIFY_API_KEY),
	                            &service_id, &secret, cause) == -1)
		return -1;
	notify_strings_free(n);
	n->service_id = service_id;
	n->secret = secret;
	url = xasprintf("%s/v2/notifications/sms", base);
	n->sms = curlev_target_new(url, headers, NULL, timeout);
	free(url);
	url = xasprintf("%s/v2/notifications/email", base);
	n->email = curlev_target_new(url, headers, NULL, timeout);
	free(url);
	n->sms_head = notify_head(config_str(cfg, CFG_NOTIFY_SMS_TEMPLATE),
	                          "phone_number");
	n->email_head = notify_head(config_str(cfg, CFG_NOTIFY_EMAIL_TEMPLATE),
	                            "email_address");
	n->auth_iat = -1;
	return 0;
}

static int
notify_init(struct event_base *base, const struct config *cfg, void **state,
            char **cause)
{
	struct notify *n = xcalloc(1, sizeof *n);

	if (notify_configure(n, cfg, cause) == -1) {
		free(n);
		return -1;
	}
	n->base = base;
	n->cv = curlev_new(base, (long)config_int(cfg, CFG_NOTIFY_CONCURRENCY));
	*state = n;
	return 0;
}

/* Notify's errors[0].error and .message into the outcome. */
static void
notify_error(struct send_outcome *o, const json_t *j)
{
	json_t *e = json_array_get(json_object_get(j, "errors"), 0), *c, *m;

	if (json_is_string(c = json_object_get(e, "error")))
		snprintf(o->code, sizeof o->code, "%s", json_string_value(c));
	if (json_is_string(m = json_object_get(e, "message")))
		snprintf(o->text, sizeof o->text, "%s", json_string_value(m));
}

static const struct transport_http_provider notify_provider = {
    .name = "notify",
    .id_key = "id",
    .error = notify_error,
};

/*
 * The JSON body of m in n->body: the fixed start, then the address, the
 * personalisation and the reference (the outbox id). -1 with *cause if it
 * cannot be sent.
 */
static int
notify_body(struct notify *n, const struct outmsg *m, const char **cause)
{
	int sms = strcmp(m->channel, "sms") == 0;
	const char *head = sms ? n->sms_head : n->email_head;
	struct buf *b = &n->body;
	int bad;

	if (*head == '\0') {
		*cause = sms ? "no [notify] sms_template_id"
		             : "no [notify] email_template_id";
		return -1;
	}
	b->len = 0;
	buf_add(b, head);
	bad = notify_json_str(b, m->to != NULL ? m->to : "");
	buf_add(b, ",\"personalisation\":{");
	if (!sms) {
		buf_add(b, "\"subject\":");
		bad |= notify_json_str(b, m->subject != NULL ? m->subject : "");
		buf_add(b, ",");
	}
	buf_add(b, "\"body\":");
	bad |= notify_json_str(b, m->text != NULL ? m->text : "");
	buf_printf(b, "},\"reference\":\"%lld\"}", (long long)m->id);
	if (bad) {
		*cause = "message is not valid UTF-8";
		return -1;
	}
	return 0;
}

/*
 * The Authorization line: a JWT signed this second (Notify refuses one
 * issued more than 30 s away from its clock), made at most once a second.
 */
static const char *
notify_auth(struct notify *n)
{
	long now = (long)time(NULL);
	char *jwt;

	if (n->auth == NULL || n->auth_iat != now) {
		jwt = crypto_jwt_hs256(n->service_id, n->secret, now);
		free(n->auth);
		n->auth = xasprintf("Authorization: Bearer %s", jwt);
		n->auth_iat = now;
		free(jwt);
	}
	return n->auth;
}

static void
notify_send(void *state, const struct outmsg *m, transport_done_fn done,
            void *arg)
{
	struct notify *n = state;
	struct transport_http_req *r =
	    transport_http_req_new(&notify_provider, m->id, done, arg);
	const char *cause = NULL;

	if (notify_body(n, m, &cause) == -1) {
		transport_http_fail_later(r, n->base, SEND_PERMFAIL, "message",
		                          cause);
		return;
	}
	if (curlev_send(n->cv,
	                strcmp(m->channel, "sms") == 0 ? n->sms : n->email,
	                notify_auth(n), n->body.s, n->body.len,
	                transport_http_answer, r) == -1)
		transport_http_fail_later(r, n->base, SEND_TEMPFAIL, "local",
		                          "cannot start the HTTP request");
}

static void
notify_reload(void *state, const struct config *cfg)
{
	struct notify *n = state;
	char *cause = NULL;

	if (notify_configure(n, cfg, &cause) == -1) {
		log_warnx("event=reload transport=notify error=\"%s\" "
		          "msg_detail=\"keeping the old settings\"",
		          cause);
		free(cause);
		return;
	}
	curlev_set_max_conns(n->cv,
	                     (long)config_int(cfg, CFG_NOTIFY_CONCURRENCY));
}

static void
notify_free(void *state)
{
	struct notify *n = state;

	curlev_free(n->cv);
	notify_strings_free(n);
	free(n->body.s);
	free(n);
}

static void
notify_limits(const struct config *cfg, struct transport_limits *l)
{
	l->concurrency = (int)config_int(cfg, CFG_NOTIFY_CONCURRENCY);
	l->rate = (double)config_int(cfg, CFG_NOTIFY_RATE);
	l->burst = (double)config_int(cfg, CFG_NOTIFY_BURST);
}

const struct transport_ops transport_notify_ops = {
    .name = "notify",
    .init = notify_init,
    .send = notify_send,
    .reload = notify_reload,
    .free = notify_free,
    .limits = notify_limits,
};
