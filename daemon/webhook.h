/*
 * Webhooks from the SMS and email providers: parsing, authentication and
 * their effect on the database, apart from HTTP (see webhook_http.c) so that
 * tests and fuzzers can drive them with a body and a database. The routes
 * are listed once, in webhook_routes.def.
 */
#ifndef PPGD_WEBHOOK_H
#define PPGD_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

/* WH_TWILIO_SMS, ...: one a route, in the order of webhook_routes.def. */
enum webhook_kind {
#define WEBHOOK_ROUTE(kind, path, provider, label, json, fn) kind,
#include "webhook_routes.def"
#undef WEBHOOK_ROUTE
};

struct form;

/* A parsed webhook request. */
struct webhook_in {
	enum webhook_kind kind;
	struct form *form;  /* Twilio and Mailgun */
	json_t *json;       /* Notify */
	char *raw;          /* the body as received; for multipart, the text
	                       fields form-encoded (no attachments) */
	size_t attachments; /* file parts of a multipart body (not kept) */
	int64_t now;
};

/* What applying it did. */
struct webhook_out {
	int status;              /* the HTTP status to answer */
	const char *disposition; /* static; what the inbound row says */
	int duplicate;           /* already seen: acknowledged, not applied */
	int queued;              /* outbox rows queued: kick the dispatcher */
};

/* The kind served at path, or -1. */
int webhook_kind_of(const char *path);
/* The provider's name ("twilio", "notify", "mailgun"). */
const char *webhook_provider(enum webhook_kind);
/*
 * Parse body (len bytes, NUL-terminated) into in: a form or a JSON object as
 * the kind expects. -1 with *cause (the 400 to answer; caller frees).
 */
int webhook_parse(enum webhook_kind, const char *body, size_t len,
                  struct webhook_in *in, char **cause);
/*
 * 1 if the kind takes a body of Content-Type ctype (NULL: none given):
 * multipart bodies only on the Mailgun route and only multipart/form-data;
 * other types are left to the parser. 0 means 415.
 */
int webhook_accepts(enum webhook_kind, const char *ctype);
/*
 * As webhook_parse, choosing the parser by ctype (NULL: the kind's own):
 * multipart/form-data for Mailgun, whose file parts are counted in
 * in->attachments and dropped. -1 with *cause also for a type the kind does
 * not accept.
 */
int webhook_parse_as(enum webhook_kind, const char *ctype, const char *body,
                     size_t len, struct webhook_in *in, char **cause);
/* Free what webhook_parse allocated. */
void webhook_in_clear(struct webhook_in *);
/*
 * 1 if the request is authentic: Twilio's X-Twilio-Signature over url (the
 * public URL of the request), Notify's "Authorization: Bearer" token, or
 * Mailgun's signature within [mailgun] max_age of in->now. Else 0.
 */
int webhook_authentic(const struct config *, const struct webhook_in *,
                      const char *url, const char *twilio_signature,
                      const char *authorization);
/*
 * Apply an authentic webhook inside the caller's transaction: the raw
 * inbound row and its effect. A retry (same provider message id) is a
 * duplicate and changes nothing. 0, or -1 on a database error (roll back).
 */
int webhook_apply(struct db *, const struct config *, const struct webhook_in *,
                  struct webhook_out *);

#endif
