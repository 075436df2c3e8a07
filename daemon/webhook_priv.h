/*
 * Within the webhooks: what the core (webhook.c) shares with the provider
 * files (webhook_twilio.c, webhook_notify.c, webhook_mailgun.c), as the
 * transports share transport.h. Not for use outside them.
 */
#ifndef PPGD_WEBHOOK_PRIV_H
#define PPGD_WEBHOOK_PRIV_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "webhook.h"

struct care_hit;
struct receipt;

/* An inbound row in the making. */
struct inrow {
	const char *provider;
	char *msg_id;
	const char *channel;
	const char *from, *to, *body;
	int64_t id;
};

/* Apply one kind of webhook (the handler of its route). */
typedef int webhook_fn(struct db *, const struct config *,
                       const struct webhook_in *, struct webhook_out *);

/* The handlers, one file per provider. */
webhook_fn webhook_twilio_sms, webhook_twilio_status;
webhook_fn webhook_notify_sms, webhook_notify_status;
webhook_fn webhook_mailgun_email;

/* Each provider's proof that a request is its own. */
int webhook_twilio_authentic(const struct config *, const struct webhook_in *,
                             const char *url, const char *twilio_signature);
int webhook_notify_authentic(const struct config *, const char *authorization);
int webhook_mailgun_authentic(const struct config *, const struct webhook_in *);

/* A string field of the form or JSON object, or NULL. */
const char *webhook_field(const struct webhook_in *, const char *name);
/* Claim the row; on a duplicate, answer 200 and stop (returns 0). */
int webhook_claim(struct db *, const struct webhook_in *, struct inrow *,
                  struct webhook_out *);
/* Record what the claimed row came to. */
int webhook_settle(struct db *, const struct inrow *, int64_t member,
                   int64_t practice, const char *disposition, int care,
                   int64_t meeting);
/* Log the settled row (personal data at debug only). */
void webhook_log(const struct inrow *, const char *disposition, int care);
/* A message flagged for care: the alert, the reply, staff told. */
int webhook_care_raise(struct db *, const struct config *,
                       const struct care_hit *, const struct inrow *,
                       int64_t member, int64_t practice, const char *reply_to,
                       int64_t now, struct webhook_out *);
/* An inbound text (either SMS provider), r filled from its fields. */
int webhook_sms_in(struct db *, const struct config *,
                   const struct webhook_in *, struct inrow *,
                   struct webhook_out *);
/* Apply a receipt; a duplicate (same id and status) changes nothing. */
int webhook_receipt_in(struct db *, const struct webhook_in *, struct inrow *,
                       const struct receipt *, struct webhook_out *);

#endif
