/*
 * The notify transport: GOV.UK Notify's v2 API, one JSON POST a message
 * through a template whose personalisation carries our text, signed with a
 * fresh HS256 JWT each time (Notify refuses tokens older than 30 s). The
 * outbox id is the reference, so a delivery receipt finds its row.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "crypto.h"
#include "curlev.h"
#include "log.h"
#include "transport.h"
#include "transport_http.h"
#include "xmalloc.h"

struct notify {
	struct event_base *base;
	struct curlev *cv;
	char *sms_url, *email_url;
	char *service_id, *secret;
	char *sms_template, *email_template;
	long timeout;
};

static void
notify_strings_free(struct notify *n)
{
	free(n->sms_url);
	free(n->email_url);
	free(n->service_id);
	free(n->secret);
	free(n->sms_template);
	free(n->email_template);
}

/* Copy the settings; -1 with *cause if they cannot work. */
static int
notify_configure(struct notify *n, const struct config *cfg, char **cause)
{
	const char *base = config_str(cfg, CFG_NOTIFY_API_BASE);
	char *service_id, *secret;

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
	n->sms_url = xasprintf("%s/v2/notifications/sms", base);
	n->email_url = xasprintf("%s/v2/notifications/email", base);
	n->sms_template = xstrdup(config_str(cfg, CFG_NOTIFY_SMS_TEMPLATE));
	n->email_template = xstrdup(config_str(cfg, CFG_NOTIFY_EMAIL_TEMPLATE));
	n->timeout = (long)config_int(cfg, CFG_HTTP_TIMEOUT);
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

/* The JSON body of m, or NULL with *cause if it cannot be sent. */
static char *
notify_body(const struct notify *n, const struct outmsg *m, const char **cause)
{
	int sms = strcmp(m->channel, "sms") == 0;
	const char *tpl = sms ? n->sms_template : n->email_template;
	const char *text = m->text != NULL ? m->text : "";
	char ref[24];
	json_t *j;
	char *s;

	if (*tpl == '\0') {
		*cause = sms ? "no [notify] sms_template_id"
		             : "no [notify] email_template_id";
		return NULL;
	}
	snprintf(ref, sizeof ref, "%lld", (long long)m->id);
	if (sms)
		j = json_pack("{s:s, s:s, s:{s:s}, s:s}", "phone_number", m->to,
		              "template_id", tpl, "personalisation", "body",
		              text, "reference", ref);
	else
		j = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "email_address",
		              m->to, "template_id", tpl, "personalisation",
		              "subject", m->subject != NULL ? m->subject : "",
		              "body", text, "reference", ref);
	if (j == NULL) {
		*cause = "message is not valid UTF-8";
		return NULL;
	}
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static struct curl_slist *
notify_headers(const struct notify *n)
{
	char *jwt =
	    crypto_jwt_hs256(n->service_id, n->secret, (long)time(NULL));
	char *auth = xasprintf("Authorization: Bearer %s", jwt);
	struct curl_slist *h;

	h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, auth);
	free(auth);
	free(jwt);
	return h;
}

static void
notify_send(void *state, const struct outmsg *m, transport_done_fn done,
            void *arg)
{
	struct notify *n = state;
	struct transport_http_req *r =
	    transport_http_req_new(&notify_provider, m->id, done, arg);
	const char *cause = NULL;
	char *body;
	int rc;

	if ((body = notify_body(n, m, &cause)) == NULL) {
		transport_http_fail_later(r, n->base, SEND_PERMFAIL, "message",
		                          cause);
		return;
	}
	rc = curlev_post(
	    n->cv, strcmp(m->channel, "sms") == 0 ? n->sms_url : n->email_url,
	    notify_headers(n), body, NULL, n->timeout, transport_http_answer,
	    r);
	free(body);
	if (rc == -1)
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
