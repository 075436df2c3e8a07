/*
 * The twilio transport: each SMS one form POST to the Messages resource,
 * over a pool of kept-alive connections. 2xx is accepted (the message sid
 * kept for delivery receipts); 429 and 5xx wait as long as Twilio asks and
 * try again; any other 4xx will never work, and code 21610 also means the
 * recipient has replied STOP.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "curlev.h"
#include "form.h"
#include "log.h"
#include "transport.h"
#include "xmalloc.h"

#define TWILIO_UNSUBSCRIBED 21610

struct twilio {
	struct event_base *base;
	struct curlev *cv;
	const struct config *cfg; /* for per-practice overrides only */
	char *url;                /* the Messages resource */
	char *userpwd;            /* sid:token */
	char *from;
	char *msid;
	char *status_url;
	long timeout;
};

/* One message in flight. */
struct twilio_req {
	transport_done_fn done;
	void *arg;
	struct send_outcome out;
};

/* Copy the settings; -1 with *cause if they cannot work. */
static int
twilio_configure(struct twilio *tw, const struct config *cfg, char **cause)
{
	const char *sid = config_str(cfg, CFG_TWILIO_ACCOUNT_SID);
	const char *token = config_str(cfg, CFG_TWILIO_AUTH_TOKEN);

	if (*sid == '\0' || *token == '\0') {
		*cause = xstrdup("twilio needs [twilio] account_sid and "
		                 "auth_token_file");
		return -1;
	}
	free(tw->url);
	free(tw->userpwd);
	free(tw->from);
	free(tw->msid);
	free(tw->status_url);
	tw->cfg = cfg;
	tw->url = xasprintf("%s/2010-04-01/Accounts/%s/Messages.json",
	                    config_str(cfg, CFG_TWILIO_API_BASE), sid);
	tw->userpwd = xasprintf("%s:%s", sid, token);
	tw->from = xstrdup(config_str(cfg, CFG_TWILIO_FROM));
	tw->msid = xstrdup(config_str(cfg, CFG_TWILIO_MSID));
	tw->status_url = xasprintf("%s/webhooks/twilio/status",
	                           config_str(cfg, CFG_PUBLIC_URL));
	tw->timeout = (long)config_int(cfg, CFG_HTTP_TIMEOUT);
	return 0;
}

static void
twilio_strings_free(struct twilio *tw)
{
	free(tw->url);
	free(tw->userpwd);
	free(tw->from);
	free(tw->msid);
	free(tw->status_url);
}

static int
twilio_init(struct event_base *base, const struct config *cfg, void **state,
            char **cause)
{
	struct twilio *tw = xcalloc(1, sizeof *tw);

	if (twilio_configure(tw, cfg, cause) == -1) {
		twilio_strings_free(tw);
		free(tw);
		return -1;
	}
	tw->base = base;
	tw->cv =
	    curlev_new(base, (long)config_int(cfg, CFG_TWILIO_CONCURRENCY));
	*state = tw;
	return 0;
}

static void
twilio_report(evutil_socket_t fd, short what, void *arg)
{
	struct twilio_req *r = arg;

	r->done(&r->out, r->arg);
	free(r);
}

/* Fail a message from the loop, never from inside send. */
static void
twilio_fail_later(struct twilio *tw, struct twilio_req *r, enum send_result res,
                  const char *code, const char *text)
{
	r->out.result = res;
	snprintf(r->out.code, sizeof r->out.code, "%s", code);
	snprintf(r->out.text, sizeof r->out.text, "%s", text);
	event_base_once(tw->base, -1, EV_TIMEOUT, twilio_report, r, NULL);
}

/* Twilio's error "code" and "message" into the outcome. */
static void
twilio_error(struct send_outcome *o, long status, const char *body)
{
	json_t *j = json_loads(body, 0, NULL), *c, *m;

	snprintf(o->code, sizeof o->code, "http_%ld", status);
	if (j != NULL && (c = json_object_get(j, "code")) != NULL) {
		if (json_is_integer(c))
			snprintf(o->code, sizeof o->code, "%lld",
			         (long long)json_integer_value(c));
		else if (json_is_string(c))
			snprintf(o->code, sizeof o->code, "%s",
			         json_string_value(c));
		o->opted_out = json_is_integer(c) &&
		               json_integer_value(c) == TWILIO_UNSUBSCRIBED;
	}
	if (j != NULL && json_is_string(m = json_object_get(j, "message")))
		snprintf(o->text, sizeof o->text, "%s", json_string_value(m));
	else
		snprintf(o->text, sizeof o->text, "HTTP %ld from twilio",
		         status);
	json_decref(j);
}

static void
twilio_answer(long status, const char *body, const char *retry_after,
              const char *curl_error, void *arg)
{
	struct twilio_req *r = arg;
	struct send_outcome *o = &r->out;
	json_t *j, *sid;

	if (status == 0) {
		o->result = SEND_TEMPFAIL;
		snprintf(o->code, sizeof o->code, "network");
		snprintf(o->text, sizeof o->text, "%s", curl_error);
	} else if (status / 100 == 2) {
		o->result = SEND_OK;
		j = json_loads(body, 0, NULL);
		if (json_is_string(sid = json_object_get(j, "sid")))
			snprintf(o->provider_id, sizeof o->provider_id, "%s",
			         json_string_value(sid));
		else
			log_warnx("event=twilio_answer id=%lld msg_detail="
			          "\"accepted without a sid\"",
			          (long long)o->id);
		json_decref(j);
	} else if (status == 429 || status >= 500) {
		o->result = SEND_TEMPFAIL;
		o->retry_after = curlev_retry_after(retry_after);
		snprintf(o->code, sizeof o->code, "http_%ld", status);
		snprintf(o->text, sizeof o->text, "HTTP %ld from twilio",
		         status);
	} else {
		o->result = SEND_PERMFAIL;
		twilio_error(o, status, body);
	}
	r->done(o, r->arg);
	free(r);
}

/* The sender: the practice's, its [practice.CODE] override, or ours. */
static const char *
twilio_from(const struct twilio *tw, const struct outmsg *m)
{
	const struct cfg_practice *p;

	if (m->from != NULL && *m->from != '\0')
		return m->from;
	if (m->practice != NULL &&
	    (p = config_practice(tw->cfg, m->practice)) != NULL &&
	    p->twilio_from != NULL && *p->twilio_from != '\0')
		return p->twilio_from;
	return tw->from;
}

static char *
twilio_body(const struct twilio *tw, const struct outmsg *m)
{
	struct form *f = form_new();
	char *body;

	form_add(f, "To", m->to);
	if (*tw->msid != '\0')
		form_add(f, "MessagingServiceSid", tw->msid);
	else
		form_add(f, "From", twilio_from(tw, m));
	form_add(f, "Body", m->text != NULL ? m->text : "");
	form_add(f, "StatusCallback",
	         m->status_url != NULL ? m->status_url : tw->status_url);
	body = form_encode(f);
	form_free(f);
	return body;
}

static void
twilio_send(void *state, const struct outmsg *m, transport_done_fn done,
            void *arg)
{
	struct twilio *tw = state;
	struct twilio_req *r = xcalloc(1, sizeof *r);
	struct curl_slist *h;
	char *body;
	int rc;

	r->done = done;
	r->arg = arg;
	r->out.id = m->id;
	if (strcmp(m->channel, "sms") != 0) {
		twilio_fail_later(tw, r, SEND_PERMFAIL, "channel",
		                  "twilio sends SMS only");
		return;
	}
	if (*tw->msid == '\0' && *twilio_from(tw, m) == '\0') {
		twilio_fail_later(tw, r, SEND_PERMFAIL, "config",
		                  "no sender: set [twilio] from or "
		                  "messaging_service_sid");
		return;
	}
	body = twilio_body(tw, m);
	h = curl_slist_append(NULL, "Content-Type: "
	                            "application/x-www-form-urlencoded");
	h = curl_slist_append(h, "Accept: application/json");
	rc = curlev_post(tw->cv, tw->url, h, body, tw->userpwd, tw->timeout,
	                 twilio_answer, r);
	free(body);
	if (rc == -1)
		twilio_fail_later(tw, r, SEND_TEMPFAIL, "local",
		                  "cannot start the HTTP request");
}

static void
twilio_reload(void *state, const struct config *cfg)
{
	struct twilio *tw = state;
	char *cause = NULL;

	if (twilio_configure(tw, cfg, &cause) == -1) {
		log_warnx("event=reload transport=twilio error=\"%s\" "
		          "msg_detail=\"keeping the old settings\"",
		          cause);
		free(cause);
		tw->cfg = cfg;
		return;
	}
	curlev_set_max_conns(tw->cv,
	                     (long)config_int(cfg, CFG_TWILIO_CONCURRENCY));
}

static void
twilio_free(void *state)
{
	struct twilio *tw = state;

	curlev_free(tw->cv);
	twilio_strings_free(tw);
	free(tw);
}

const struct transport_ops transport_twilio_ops = {
    .name = "twilio",
    .init = twilio_init,
    .send = twilio_send,
    .reload = twilio_reload,
    .free = twilio_free,
};
