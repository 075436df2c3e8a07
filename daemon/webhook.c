/*
 * Webhooks: every request becomes one row of the raw inbound log, unique by
 * (provider, provider message id), written in the same transaction as its
 * effect. A retry finds its row already there and changes nothing.
 *
 * This is the core: the route table (webhook_routes.def), parsing, the
 * inbound log and what the providers share. Each provider's requests are
 * read in a file of its own: webhook_twilio.c, webhook_notify.c,
 * webhook_mailgun.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "care_alert.h"
#include "form.h"
#include "log.h"
#include "multipart.h"
#include "phone.h"
#include "receipt.h"
#include "smsconv.h"
#include "webhook.h"
#include "webhook_priv.h"
#include "xmalloc.h"

#define MAX_FIELDS 64
#define MAX_VALUE  65536 /* a multipart text field; the default body limit */

static const struct {
	const char *path;
	const char *provider;
	int json;
	webhook_fn *apply;
} kinds[] = {
#define WEBHOOK_ROUTE(kind, path, provider, label, json, fn)                   \
	[kind] = {path, provider, json, fn},
#include "webhook_routes.def"
#undef WEBHOOK_ROUTE
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

int
webhook_kind_of(const char *path)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].path, path) == 0)
			return (int)i;
	return -1;
}

const char *
webhook_provider(enum webhook_kind k)
{
	return (size_t)k < NKINDS ? kinds[k].provider : "unknown";
}

static int
parse_json(const char *body, size_t len, struct webhook_in *in, char **cause)
{
	json_error_t err;

	in->json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (in->json == NULL || !json_is_object(in->json)) {
		*cause = xstrdup("malformed JSON");
		json_decref(in->json);
		in->json = NULL;
		return -1;
	}
	return 0;
}

int
webhook_accepts(enum webhook_kind k, const char *ctype)
{
	if (ctype == NULL || strncasecmp(ctype, "multipart/", 10) != 0)
		return 1;
	return k == WH_MAILGUN_EMAIL && multipart_is_form_data(ctype);
}

/* Text fields into in->form, attachments counted; raw is the fields. */
static int
parse_multipart(const char *ctype, const char *body, size_t len,
                struct webhook_in *in, char **cause)
{
	struct multipart_limits lim = {MAX_FIELDS, MAX_VALUE, 0, 0, 0};
	char *c = NULL, n[32];

	if (multipart_parse(ctype, body, len, &lim, &in->form, &in->attachments,
	                    &c) == -1) {
		*cause = xasprintf("malformed multipart body: %s", c);
		free(c);
		return -1;
	}
	if (in->attachments > 0 &&
	    form_get(in->form, "attachment-count") == NULL) {
		snprintf(n, sizeof n, "%zu", in->attachments);
		form_add(in->form, "attachment-count", n);
	}
	in->raw = form_encode(in->form);
	return 0;
}

int
webhook_parse_as(enum webhook_kind k, const char *ctype, const char *body,
                 size_t len, struct webhook_in *in, char **cause)
{
	char *c = NULL;

	memset(in, 0, sizeof *in);
	in->kind = k;
	if (!webhook_accepts(k, ctype)) {
		*cause = xstrdup("unsupported content type");
		return -1;
	}
	if (ctype != NULL && multipart_is_form_data(ctype))
		return parse_multipart(ctype, body, len, in, cause);
	if (kinds[k].json) {
		if (parse_json(body, len, in, cause) == -1)
			return -1;
	} else if (form_parse(body, len, MAX_FIELDS, &in->form, &c) == -1) {
		*cause = xasprintf("malformed form: %s", c);
		free(c);
		return -1;
	}
	in->raw = xstrndup(body, len);
	return 0;
}

int
webhook_parse(enum webhook_kind k, const char *body, size_t len,
              struct webhook_in *in, char **cause)
{
	return webhook_parse_as(k, NULL, body, len, in, cause);
}

void
webhook_in_clear(struct webhook_in *in)
{
	form_free(in->form);
	json_decref(in->json);
	free(in->raw);
	memset(in, 0, sizeof *in);
}

/* A string field of the form or JSON object, or NULL. */
const char *
webhook_field(const struct webhook_in *in, const char *name)
{
	json_t *v;

	if (in->form != NULL)
		return form_get(in->form, name);
	if (in->json != NULL && (v = json_object_get(in->json, name)) != NULL)
		return json_string_value(v);
	return NULL;
}

int
webhook_authentic(const struct config *cfg, const struct webhook_in *in,
                  const char *url, const char *twilio_signature,
                  const char *authorization)
{
	switch (in->kind) {
	case WH_TWILIO_SMS:
	case WH_TWILIO_STATUS:
		return webhook_twilio_authentic(cfg, in, url, twilio_signature);
	case WH_NOTIFY_SMS:
	case WH_NOTIFY_STATUS:
		return webhook_notify_authentic(cfg, authorization);
	case WH_MAILGUN_EMAIL:
		return webhook_mailgun_authentic(cfg, in);
	}
	return 0;
}

/* ---- the inbound log ---------------------------------------------------- */

/* Insert the row; 1 if new, 0 if a duplicate, -1 on error. */
static int
inbound_claim(struct db *db, const struct webhook_in *in, struct inrow *r)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO inbound (provider, provider_msg_id, received_at,"
	        " channel, from_addr, to_addr, body, raw, disposition)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending')"
	        " ON CONFLICT (provider, provider_msg_id) DO NOTHING");

	db_bind_text(st, 1, r->provider);
	db_bind_text(st, 2, r->msg_id);
	db_bind_int(st, 3, in->now);
	db_bind_text(st, 4, r->channel);
	db_bind_text(st, 5, r->from);
	db_bind_text(st, 6, r->to);
	db_bind_text(st, 7, r->body);
	db_bind_text(st, 8, in->raw);
	if (db_done(db, st) == -1)
		return -1;
	if (db_changes(db) == 0)
		return 0;
	r->id = db_last_id(db);
	return 1;
}

int
webhook_settle(struct db *db, const struct inrow *r, int64_t member,
               int64_t practice, const char *disposition, int care,
               int64_t meeting)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE inbound SET member_id=nullif(?2,0),"
	        " practice_id=nullif(?3,0), disposition=?4, care_flag=?5,"
	        " meeting_id=nullif(?6,0) WHERE id=?1");

	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, member);
	db_bind_int(st, 3, practice);
	db_bind_text(st, 4, disposition);
	db_bind_int(st, 5, care);
	db_bind_int(st, 6, meeting);
	return db_done(db, st);
}

/* Claim the row; on a duplicate, answer 200 and stop (returns 0). */
int
webhook_claim(struct db *db, const struct webhook_in *in, struct inrow *r,
              struct webhook_out *out)
{
	int rv = inbound_claim(db, in, r);

	if (rv == 0) {
		out->duplicate = 1;
		out->disposition = "duplicate";
		log_info("event=inbound provider=%s duplicate=1", r->provider);
	}
	return rv;
}

void
webhook_log(const struct inrow *r, const char *disposition, int care)
{
	log_info("event=inbound provider=%s id=%lld disposition=%s care=%d",
	         r->provider, (long long)r->id, disposition, care);
	/* Personal data: at debug only. */
	log_debug("event=inbound id=%lld from=\"%s\" body=\"%s\"",
	          (long long)r->id, r->from != NULL ? r->from : "",
	          r->body != NULL ? r->body : "");
}

/* A message flagged for care: the alert, the reply, staff told. */
int
webhook_care_raise(struct db *db, const struct config *cfg,
                   const struct care_hit *hit, const struct inrow *r,
                   int64_t member, int64_t practice, const char *reply_to,
                   int64_t now, struct webhook_out *out)
{
	struct care_event ev = {r->channel, practice, member,  r->id,
	                        0,          reply_to, r->body, now};
	struct care_outcome oc;

	if (care_alert_raise(db, cfg, hit, &ev, &oc) == -1)
		return -1;
	out->queued += oc.queued;
	return 0;
}

/* ---- what the providers share ------------------------------------------ */

/* E.164 if the number parses, else as given. */
static void
number(const char *in, char out[17], char **keep)
{
	if (phone_normalise(in, out, NULL) == 0)
		*keep = out;
	else
		*keep = (char *)in;
}

int
webhook_sms_in(struct db *db, const struct config *cfg,
               const struct webhook_in *in, struct inrow *r,
               struct webhook_out *out)
{
	char from[17], to[17], *f, *t;
	struct smsconv_msg m;
	struct smsconv_result res;
	struct care_hit hit;
	int rv, care;

	number(r->from, from, &f);
	number(r->to != NULL ? r->to : "", to, &t);
	r->from = f;
	if ((rv = webhook_claim(db, in, r, out)) <= 0)
		return rv;
	m = (struct smsconv_msg){f, t, r->body, in->now};
	if (smsconv_handle(db, cfg, &m, &res) == -1)
		return -1;
	/* Any text but a keyword, survey answers too, is read for care with
	 * the list of the practice it is attributed to. */
	care = smsconv_keyword(r->body) == KW_NONE &&
	       care_classify_for(db, cfg, res.practice_id, r->body, &hit);
	if (webhook_settle(db, r, res.member_id, res.practice_id,
	                   res.disposition, care, 0) == -1 ||
	    (care &&
	     webhook_care_raise(db, cfg, &hit, r, res.member_id,
	                        res.practice_id, f, in->now, out) == -1))
		return -1;
	out->disposition = res.disposition;
	out->queued += res.queued;
	webhook_log(r, res.disposition, care);
	return 0;
}

/* Apply a receipt; a duplicate (same id and status) changes nothing. */
int
webhook_receipt_in(struct db *db, const struct webhook_in *in, struct inrow *r,
                   const struct receipt *rc, struct webhook_out *out)
{
	int rv;

	if ((rv = webhook_claim(db, in, r, out)) <= 0)
		return rv;
	if (receipt_apply(db, rc, in->now, &out->disposition) == -1)
		return -1;
	return webhook_settle(db, r, 0, 0, out->disposition, 0, 0);
}

int
webhook_apply(struct db *db, const struct config *cfg,
              const struct webhook_in *in, struct webhook_out *out)
{
	memset(out, 0, sizeof *out);
	out->status = 200;
	if ((size_t)in->kind < NKINDS)
		return kinds[in->kind].apply(db, cfg, in, out);
	out->status = 404;
	return 0;
}
