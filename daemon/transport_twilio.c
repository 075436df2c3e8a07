/*
 * The twilio transport: each SMS one form POST to the Messages resource,
 * over a pool of kept-alive connections; the URL, headers and credentials
 * are built once per configuration, and a message only encodes its own
 * fields into a reused buffer. 2xx is accepted (the message sid
 * kept for delivery receipts); 429 and 5xx wait as long as Twilio asks and
 * try again; any other 4xx will never work, and code 21610 also means the
 * recipient has replied STOP.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
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
	const struct config *cfg;     /* for per-practice overrides only */
	struct curlev_target *target; /* the Messages resource, auth, headers */
	char *from;
	char *msid;
	char *sender;    /* "From=..." or "MessagingServiceSid=...", encoded */
	char *callback;  /* "StatusCallback=" our receipt URL, encoded */
	struct buf body; /* the request being built, reused */
};

static void
twilio_strings_free(struct twilio *tw)
{
	curlev_target_unref(tw->target);
	free(tw->from);
	free(tw->msid);
	free(tw->sender);
	free(tw->callback);
}

/* One encoded "key=value". Caller frees. */
static char *
twilio_pair(const char *k, const char *v)
{
	struct buf b = {0};

	form_append(&b, k, v);
	return buf_take(&b);
}

/*
 * Copy the settings; -1 with *cause if they cannot work. What every request
 * shares is built here, once: the URL, the headers with the credentials,
 * and the encoded sender and callback.
 */
static int
twilio_configure(struct twilio *tw, const struct config *cfg, char **cause)
{
	static const char *const headers[] = {
	    "Content-Type: application/x-www-form-urlencoded",
	    "Accept: application/json", NULL};
	const char *sid = config_str(cfg, CFG_TWILIO_ACCOUNT_SID);
	const char *token = config_str(cfg, CFG_TWILIO_AUTH_TOKEN);
	char *url, *userpwd, *status_url;

	if (*sid == '\0' || *token == '\0') {
		*cause = xstrdup("twilio needs [twilio] account_sid and "
		                 "auth_token_file");
		return -1;
	}
	twilio_strings_free(tw);
	tw->cfg = cfg;
	url = xasprintf("%s/2010-04-01/Accounts/%s/Messages.json",
	                config_str(cfg, CFG_TWILIO_API_BASE), sid);
	userpwd = xasprintf("%s:%s", sid, token);
	tw->target = curlev_target_new(url, headers, userpwd,
	                               (long)config_int(cfg, CFG_HTTP_TIMEOUT));
	explicit_bzero(userpwd, strlen(userpwd));
	free(userpwd);
	free(url);
	tw->from = xstrdup(config_str(cfg, CFG_TWILIO_FROM));
	tw->msid = xstrdup(config_str(cfg, CFG_TWILIO_MSID));
	tw->sender = *tw->msid != '\0'
	                 ? twilio_pair("MessagingServiceSid", tw->msid)
	                 : twilio_pair("From", tw->from);
	status_url = xasprintf("%s/webhooks/twilio/status",
	                       config_str(cfg, CFG_PUBLIC_URL));
	tw->callback = twilio_pair("StatusCallback", status_url);
	free(status_url);
	return 0;
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

/* A sender other than the default: the message's or its practice's. */
static const char *
twilio_from_own(const struct twilio *tw, const struct outmsg *m)
{
	const struct cfg_practice *p;

	if (m->from != NULL && *m->from != '\0')
		return m->from;
	if (m->practice != NULL &&
	    (p = config_practice(tw->cfg, m->practice)) != NULL &&
	    p->twilio_from != NULL && *p->twilio_from != '\0')
		return p->twilio_from;
	return NULL;
}

/*
 * The form body of m in tw->body: To, the sender, Body, StatusCallback, in
 * that order. Only what differs between messages is encoded here.
 */
static void
twilio_body(struct twilio *tw, const struct outmsg *m, const char *own)
{
	struct buf *b = &tw->body;

	b->len = 0;
	form_append(b, "To", m->to);
	if (own != NULL && *tw->msid == '\0')
		form_append(b, "From", own);
	else {
		buf_add(b, "&");
		buf_add(b, tw->sender);
	}
	form_append(b, "Body", m->text != NULL ? m->text : "");
	if (m->status_url != NULL)
		form_append(b, "StatusCallback", m->status_url);
	else {
		buf_add(b, "&");
		buf_add(b, tw->callback);
	}
}

static void
twilio_send(void *state, const struct outmsg *m, transport_done_fn done,
            void *arg)
{
	struct twilio *tw = state;
	struct transport_http_req *r =
	    transport_http_req_new(&twilio_provider, m->id, done, arg);
	const char *own;

	if (strcmp(m->channel, "sms") != 0) {
		transport_http_fail_later(r, tw->base, SEND_PERMFAIL, "channel",
		                          "twilio sends SMS only");
		return;
	}
	own = twilio_from_own(tw, m);
	if (*tw->msid == '\0' && own == NULL && *tw->from == '\0') {
		transport_http_fail_later(r, tw->base, SEND_PERMFAIL, "config",
		                          "no sender: set [twilio] from or "
		                          "messaging_service_sid");
		return;
	}
	twilio_body(tw, m, own);
	if (curlev_send(tw->cv, tw->target, NULL, tw->body.s, tw->body.len,
	                transport_http_answer, r) == -1)
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
	free(tw->body.s);
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
