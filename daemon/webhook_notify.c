/*
 * GOV.UK Notify's webhooks (see transport_notify.c for sending): an inbound
 * text on /webhooks/notify/sms, a status callback on /webhooks/notify/status,
 * both JSON with "Authorization: Bearer" [notify] callback_token.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "outbox.h"
#include "receipt.h"
#include "webhook_priv.h"
#include "xmalloc.h"

int
webhook_notify_authentic(const struct config *cfg, const char *authorization)
{
	const char *want = config_str(cfg, CFG_NOTIFY_CALLBACK_TOKEN);

	if (*want == '\0' || authorization == NULL ||
	    strncasecmp(authorization, "Bearer ", 7) != 0)
		return 0;
	return crypto_equal(authorization + 7, want);
}

int
webhook_notify_sms(struct db *db, const struct config *cfg,
                   const struct webhook_in *in, struct webhook_out *out)
{
	struct inrow r = {"notify",
	                  NULL,
	                  "sms",
	                  webhook_field(in, "source_number"),
	                  webhook_field(in, "destination_number"),
	                  webhook_field(in, "message"),
	                  0};
	const char *id = webhook_field(in, "id");
	int rv;

	if (id == NULL || *id == '\0' || r.from == NULL || r.body == NULL) {
		out->status = 400;
		return 0;
	}
	r.msg_id = xstrdup(id);
	rv = webhook_sms_in(db, cfg, in, &r, out);
	free(r.msg_id);
	return rv;
}

/* Notify's reference is our outbox id; 0 if absent or not a number. */
static int64_t
notify_reference(const char *ref)
{
	char *end;
	long long v;

	if (ref == NULL || *ref == '\0')
		return 0;
	v = strtoll(ref, &end, 10);
	return *end == '\0' && v > 0 ? v : 0;
}

int
webhook_notify_status(struct db *db, const struct config *cfg,
                      const struct webhook_in *in, struct webhook_out *out)
{
	const char *id = webhook_field(in, "id"),
	           *status = webhook_field(in, "status");
	const char *type = webhook_field(in, "notification_type");
	struct receipt rc = {notify_reference(webhook_field(in, "reference")),
	                     id, OB_SENT, status, status};
	struct inrow r = {"notify-status",         NULL, "sms", NULL,
	                  webhook_field(in, "to"), NULL, 0};
	int rv;

	if (id == NULL || *id == '\0' || status == NULL) {
		out->status = 400;
		return 0;
	}
	if (type != NULL && strcmp(type, "email") == 0)
		r.channel = "email";
	if (strcmp(status, "delivered") == 0)
		rc.to = OB_DELIVERED;
	else if (strcmp(status, "permanent-failure") == 0 ||
	         strcmp(status, "temporary-failure") == 0 ||
	         strcmp(status, "technical-failure") == 0)
		rc.to = OB_FAILED;
	r.msg_id = xasprintf("%s:%s", id, status);
	rv = webhook_receipt_in(db, in, &r, &rc, out);
	free(r.msg_id);
	return rv;
}
