/*
 * Transports: how a message leaves. They live side by side behind this small
 * interface (file, smtp, twilio, notify); the dispatcher drives them.
 */
#ifndef PPGD_TRANSPORT_H
#define PPGD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "config.h"

/* A message to send; every string is owned by the dispatcher until done. */
struct outmsg {
	int64_t id;               /* outbox id: the idempotency reference */
	const char *channel;      /* "email" or "sms" */
	const char *practice;     /* practice code */
	const char *from;         /* email From (name <addr>) or SMS sender */
	const char *from_name;    /* practice name, for the From display */
	const char *to;           /* email address or E.164 number */
	const char *reply_to;     /* email: reply+TOKEN@domain, or NULL */
	const char *subject;      /* email */
	const char *text;         /* plain text / SMS body */
	const char *html;         /* email HTML part, or NULL */
	const char *unsub_url;    /* https one-click unsubscribe, or NULL */
	const char *unsub_mailto; /* mailto: unsubscribe, or NULL */
	const char *status_url;   /* delivery receipt callback, or NULL */
	const char *ics; /* email: a text/calendar attachment, or NULL */
};

enum send_result {
	SEND_OK,       /* accepted by the provider */
	SEND_TEMPFAIL, /* try again later */
	SEND_PERMFAIL, /* will never work */
};

/* The outcome of one send, reported on the loop thread. */
struct send_outcome {
	int64_t id;
	enum send_result result;
	char provider_id[128]; /* provider's message id, or "" */
	char code[32];         /* provider's error code, or "" */
	char text[512];        /* provider's error text, or "" */
	int retry_after;       /* seconds the provider asked us to wait, or 0 */
	int opted_out;         /* the provider says the recipient opted out */
};

typedef void (*transport_done_fn)(const struct send_outcome *, void *arg);

/* What the dispatcher may ask of a transport at once. */
struct transport_limits {
	int concurrency;    /* sends in flight */
	double rate, burst; /* token bucket: sends a second, and at once */
};

struct transport;

struct transport_ops {
	const char *name;
	/* Set up on the loop; *state is the transport's own. */
	int (*init)(struct event_base *, const struct config *, void **state,
	            char **cause);
	/* Start sending; done is called later on the loop, exactly once. */
	void (*send)(void *state, const struct outmsg *, transport_done_fn,
	             void *arg);
	/* The configuration changed. */
	void (*reload)(void *state, const struct config *);
	/* Free, after everything in flight is done. */
	void (*free)(void *state);
	/* Its limits from the configuration; NULL: no limit. */
	void (*limits)(const struct config *, struct transport_limits *);
};

extern const struct transport_ops transport_file_ops;
extern const struct transport_ops transport_smtp_ops;
extern const struct transport_ops transport_twilio_ops;
extern const struct transport_ops transport_notify_ops;

#define TRANSPORT_MAX 8
/* The ops of a transport by name, or NULL. */
const struct transport_ops *transport_find(const char *name);
/* The i-th registered transport, or NULL past the last. */
const struct transport_ops *transport_at(size_t i);
/* Add a transport, or replace the one of the same name (tests). */
void transport_register(const struct transport_ops *);
/* A transport's limits under cfg (defaults when it has none). */
void transport_limits(const struct transport_ops *, const struct config *,
                      struct transport_limits *);

#endif
