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
#include "xmalloc.h"

struct notify {
	struct event_base *base;
	struct curlev *cv;
	char *sms_url, *email_url;
	char *service_id, *secret;
	char *sms_template, *email_template;
	long timeout;
};

/* One message in flight. */
struct notify_req {
	transport_done_fn done;
	void *arg;
	struct send_outcome out;
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

static void
notify_report(evutil_socket_t fd, short what, void *arg)
{
	struct notify_req *r = arg;

	r->done(&r->out, r->arg);
	free(r);
}

/* Fail a message from the loop, never from inside send. */
static void
notify_fail_later(struct notify *n, struct notify_req *r, enum send_result res,
                  const char *code, const char *text)
{
	r->out.result = res;
	snprintf(r->out.code, sizeof r->out.code, "%s", code);
	snprintf(r->out.text, sizeof r->out.text, "%s", text);
	event_base_once(n->base, -1, EV_TIMEOUT, notify_report, r, NULL);
}

/* Notify's errors[0].error and .message into the outcome. */
static void
notify_error(struct send_outcome *o, long status, const char *body)
{
	json_t *j = json_loads(body, 0, NULL), *e, *c, *m;

	e = json_array_get(json_object_get(j, "errors"), 0);
	if (json_is_string(c = json_object_get(e, "error")))
		snprintf(o->code, sizeof o->code, "%s", json_string_value(c));
	else
		snprintf(o->code, sizeof o->code, "http_%ld", status);
	if (json_is_string(m = json_object_get(e, "message")))
		snprintf(o->text, sizeof o->text, "%s", json_string_value(m));
	else
		snprintf(o->text, sizeof o->text, "HTTP %ld from notify",
		         status);
	json_decref(j);
}

static void
notify_answer(long status, const char *body, const char *retry_after,
              const char *curl_error, void *arg)
{
	struct notify_req *r = arg;
	struct send_outcome *o = &r->out;
	json_t *j, *id;

	if (status == 0) {
		o->result = SEND_TEMPFAIL;
		snprintf(o->code, sizeof o->code, "network");
		snprintf(o->text, sizeof o->text, "%s", curl_error);
	} else if (status / 100 == 2) {
		o->result = SEND_OK;
		j = json_loads(body, 0, NULL);
		if (json_is_string(id = json_object_get(j, "id")))
			snprintf(o->provider_id, sizeof o->provider_id, "%s",
			         json_string_value(id));
		else
			log_warnx("event=notify_answer id=%lld msg_detail="
			          "\"accepted without an id\"",
			          (long long)o->id);
		json_decref(j);
	} else if (status == 429 || status >= 500) {
		o->result = SEND_TEMPFAIL;
		o->retry_after = curlev_retry_after(retry_after);
		notify_error(o, status, body);
	} else {
		o->result = SEND_PERMFAIL;
		notify_error(o, status, body);
	}
	r->done(o, r->arg);
	free(r);
}

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
	struct notify_req *r = xcalloc(1, sizeof *r);
	const char *cause = NULL;
	char *body;
	int rc;

	r->done = done;
	r->arg = arg;
	r->out.id = m->id;
	if ((body = notify_body(n, m, &cause)) == NULL) {
		notify_fail_later(n, r, SEND_PERMFAIL, "message", cause);
		return;
	}
	rc = curlev_post(
	    n->cv, strcmp(m->channel, "sms") == 0 ? n->sms_url : n->email_url,
	    notify_headers(n), body, NULL, n->timeout, notify_answer, r);
	free(body);
	if (rc == -1)
		notify_fail_later(n, r, SEND_TEMPFAIL, "local",
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

const struct transport_ops transport_notify_ops = {
    .name = "notify",
    .init = notify_init,
    .send = notify_send,
    .reload = notify_reload,
    .free = notify_free,
};
