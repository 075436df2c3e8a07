/*
 * Twilio's webhooks (see transport_twilio.c for sending): an inbound text on
 * /webhooks/twilio/sms, a status callback on /webhooks/twilio/status, both
 * forms signed with X-Twilio-Signature.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "outbox.h"
#include "receipt.h"
#include "webhook_priv.h"
#include "xmalloc.h"

int
webhook_twilio_authentic(const struct config *cfg, const struct webhook_in *in,
                         const char *url, const char *twilio_signature)
{
	return crypto_twilio_verify(config_str(cfg, CFG_TWILIO_AUTH_TOKEN), url,
	                            in->form, twilio_signature);
}

int
webhook_twilio_sms(struct db *db, const struct config *cfg,
                   const struct webhook_in *in, struct webhook_out *out)
{
	struct inrow r = {"twilio",
	                  NULL,
	                  "sms",
	                  webhook_field(in, "From"),
	                  webhook_field(in, "To"),
	                  webhook_field(in, "Body"),
	                  0};
	const char *sid = webhook_field(in, "MessageSid");
	int rv;

	if (sid == NULL || *sid == '\0' || r.from == NULL) {
		out->status = 400;
		return 0;
	}
	if (r.body == NULL)
		r.body = "";
	r.msg_id = xstrdup(sid);
	rv = webhook_sms_in(db, cfg, in, &r, out);
	free(r.msg_id);
	return rv;
}

int
webhook_twilio_status(struct db *db, const struct config *cfg,
                      const struct webhook_in *in, struct webhook_out *out)
{
	const char *sid = webhook_field(in, "MessageSid");
	const char *status = webhook_field(in, "MessageStatus");
	struct receipt rc = {0, sid, OB_SENT, webhook_field(in, "ErrorCode"),
	                     status};
	struct inrow r = {
	    "twilio-status",         NULL, "sms", webhook_field(in, "From"),
	    webhook_field(in, "To"), NULL, 0};
	int rv;

	if (sid == NULL || *sid == '\0' || status == NULL) {
		out->status = 400;
		return 0;
	}
	if (strcmp(status, "delivered") == 0)
		rc.to = OB_DELIVERED;
	else if (strcmp(status, "undelivered") == 0 ||
	         strcmp(status, "failed") == 0)
		rc.to = OB_FAILED;
	r.msg_id = xasprintf("%s:%s", sid, status);
	rv = webhook_receipt_in(db, in, &r, &rc, out);
	free(r.msg_id);
	return rv;
}
