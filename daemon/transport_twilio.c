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
#include "transport_http.h"
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

/* Twilio's error "code" and "message" into the outcome. */
static void
twilio_error(struct send_outcome *o, const json_t *j)
{
	json_t *c, *m;

	/* On 429 and 5xx the outcome keeps http_STATUS, as it always has. */
	if (o->result != SEND_PERMFAIL)
		return;
	if ((c = json_object_get(j, "code")) != NULL) {
		if (json_is_integer(c))
			snprintf(o->code, sizeof o->code, "%lld",
			         (long long)json_integer_value(c));
		else if (json_is_string(c))
			snprintf(o->code, sizeof o->code, "%s",
			         json_string_value(c));
		o->opted_out = json_is_integer(c) &&
		               json_integer_value(c) == TWILIO_UNSUBSCRIBED;
	}
	if (json_is_string(m = json_object_get(j, "message")))
		snprintf(o->text, sizeof o->text, "%s", json_string_value(m));
}

static const struct transport_http_provider twilio_provider = {
    .name = "twilio",
    .id_key = "sid",
    .error = twilio_error,
};

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
	struct transport_http_req *r =
	    transport_http_req_new(&twilio_provider, m->id, done, arg);
	struct curl_slist *h;
	char *body;
	int rc;

	if (strcmp(m->channel, "sms") != 0) {
		transport_http_fail_later(r, tw->base, SEND_PERMFAIL, "channel",
		                          "twilio sends SMS only");
		return;
	}
	if (*tw->msid == '\0' && *twilio_from(tw, m) == '\0') {
		transport_http_fail_later(r, tw->base, SEND_PERMFAIL, "config",
		                          "no sender: set [twilio] from or "
		                          "messaging_service_sid");
		return;
	}
	body = twilio_body(tw, m);
	h = curl_slist_append(NULL, "Content-Type: "
	                            "application/x-www-form-urlencoded");
	h = curl_slist_append(h, "Accept: application/json");
	rc = curlev_post(tw->cv, tw->url, h, body, tw->userpwd, tw->timeout,
	                 transport_http_answer, r);
	free(body);
	if (rc == -1)
		transport_http_fail_later(r, tw->base, SEND_TEMPFAIL, "local",
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

static void
twilio_limits(const struct config *cfg, struct transport_limits *l)
{
	l->concurrency = (int)config_int(cfg, CFG_TWILIO_CONCURRENCY);
	l->rate = (double)config_int(cfg, CFG_TWILIO_RATE);
	l->burst = (double)config_int(cfg, CFG_TWILIO_BURST);
}

const struct transport_ops transport_twilio_ops = {
    .name = "twilio",
    .init = twilio_init,
    .send = twilio_send,
    .reload = twilio_reload,
    .free = twilio_free,
    .limits = twilio_limits,
};
