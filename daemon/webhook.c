/*
 * Webhooks: every request becomes one row of the raw inbound log, unique by
 * (provider, provider message id), written in the same transaction as its
 * effect. A retry finds its row already there and changes nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "care_alert.h"
#include "consent.h"
#include "crypto.h"
#include "form.h"
#include "log.h"
#include "member.h"
#include "multipart.h"
#include "outbox.h"
#include "phone.h"
#include "receipt.h"
#include "smsconv.h"
#include "util.h"
#include "webhook.h"
#include "xmalloc.h"

#define MAX_FIELDS 64
#define MAX_VALUE  65536 /* a multipart text field; the default body limit */

static const struct {
	const char *path;
	const char *provider;
	int json;
} kinds[] = {
    [WH_TWILIO_SMS] = {"/webhooks/twilio/sms", "twilio", 0},
    [WH_TWILIO_STATUS] = {"/webhooks/twilio/status", "twilio", 0},
    [WH_NOTIFY_SMS] = {"/webhooks/notify/sms", "notify", 1},
    [WH_NOTIFY_STATUS] = {"/webhooks/notify/status", "notify", 1},
    [WH_MAILGUN_EMAIL] = {"/webhooks/mailgun/email", "mailgun", 0},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* An inbound row in the making. */
struct inrow {
	const char *provider;
	char *msg_id;
	const char *channel;
	const char *from, *to, *body;
	int64_t id;
};

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
	struct multipart_limits lim = {MAX_FIELDS, MAX_VALUE};
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
static const char *
field(const struct webhook_in *in, const char *name)
{
	json_t *v;

	if (in->form != NULL)
		return form_get(in->form, name);
	if (in->json != NULL && (v = json_object_get(in->json, name)) != NULL)
		return json_string_value(v);
	return NULL;
}

static int
bearer_ok(const struct config *cfg, const char *authorization)
{
	const char *want = config_str(cfg, CFG_NOTIFY_CALLBACK_TOKEN);

	if (*want == '\0' || authorization == NULL ||
	    strncasecmp(authorization, "Bearer ", 7) != 0)
		return 0;
	return crypto_equal(authorization + 7, want);
}

static int
mailgun_ok(const struct config *cfg, const struct webhook_in *in)
{
	const char *ts = field(in, "timestamp");
	long long t, age = config_int(cfg, CFG_MAILGUN_MAX_AGE);
	char *end;

	if (ts == NULL ||
	    !crypto_mailgun_verify(config_str(cfg, CFG_MAILGUN_SIGNING_KEY), ts,
	                           field(in, "token"), field(in, "signature")))
		return 0;
	t = strtoll(ts, &end, 10);
	if (*ts == '\0' || *end != '\0')
		return 0;
	return t >= in->now - age && t <= in->now + age;
}

int
webhook_authentic(const struct config *cfg, const struct webhook_in *in,
                  const char *url, const char *twilio_signature,
                  const char *authorization)
{
	switch (in->kind) {
	case WH_TWILIO_SMS:
	case WH_TWILIO_STATUS:
		return crypto_twilio_verify(
		    config_str(cfg, CFG_TWILIO_AUTH_TOKEN), url, in->form,
		    twilio_signature);
	case WH_NOTIFY_SMS:
	case WH_NOTIFY_STATUS:
		return bearer_ok(cfg, authorization);
	case WH_MAILGUN_EMAIL:
		return mailgun_ok(cfg, in);
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

static int
inbound_settle(struct db *db, const struct inrow *r, int64_t member,
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
static int
claim_or_ack(struct db *db, const struct webhook_in *in, struct inrow *r,
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

static void
log_inbound(const struct inrow *r, const char *disposition, int care)
{
	log_info("event=inbound provider=%s id=%lld disposition=%s care=%d",
	         r->provider, (long long)r->id, disposition, care);
	/* Personal data: at debug only. */
	log_debug("event=inbound id=%lld from=\"%s\" body=\"%s\"",
	          (long long)r->id, r->from != NULL ? r->from : "",
	          r->body != NULL ? r->body : "");
}

/* A message flagged for care: the alert, the reply, staff told. */
static int
care_raise(struct db *db, const struct config *cfg, const struct care_hit *hit,
           const struct inrow *r, int64_t member, int64_t practice,
           const char *reply_to, int64_t now, struct webhook_out *out)
{
	struct care_event ev = {r->channel, practice, member,  r->id,
	                        0,          reply_to, r->body, now};
	struct care_outcome oc;

	if (care_alert_raise(db, cfg, hit, &ev, &oc) == -1)
		return -1;
	out->queued += oc.queued;
	return 0;
}

/* ---- SMS ---------------------------------------------------------------- */

/* E.164 if the number parses, else as given. */
static void
number(const char *in, char out[17], char **keep)
{
	if (phone_normalise(in, out, NULL) == 0)
		*keep = out;
	else
		*keep = (char *)in;
}

static int
sms_in(struct db *db, const struct config *cfg, const struct webhook_in *in,
       struct inrow *r, struct webhook_out *out)
{
	char from[17], to[17], *f, *t;
	struct smsconv_msg m;
	struct smsconv_result res;
	struct care_hit hit;
	int rv, care;

	number(r->from, from, &f);
	number(r->to != NULL ? r->to : "", to, &t);
	r->from = f;
	if ((rv = claim_or_ack(db, in, r, out)) <= 0)
		return rv;
	m = (struct smsconv_msg){f, t, r->body, in->now};
	if (smsconv_handle(db, cfg, &m, &res) == -1)
		return -1;
	/* Any text but a keyword, survey answers too, is read for care with
	 * the list of the practice it is attributed to. */
	care = smsconv_keyword(r->body) == KW_NONE &&
	       care_classify_for(db, cfg, res.practice_id, r->body, &hit);
	if (inbound_settle(db, r, res.member_id, res.practice_id,
	                   res.disposition, care, 0) == -1 ||
	    (care && care_raise(db, cfg, &hit, r, res.member_id,
	                        res.practice_id, f, in->now, out) == -1))
		return -1;
	out->disposition = res.disposition;
	out->queued += res.queued;
	log_inbound(r, res.disposition, care);
	return 0;
}

static int
twilio_sms(struct db *db, const struct config *cfg, const struct webhook_in *in,
           struct webhook_out *out)
{
	struct inrow r = {
	    "twilio",          NULL, "sms", field(in, "From"), field(in, "To"),
	    field(in, "Body"), 0};
	const char *sid = field(in, "MessageSid");
	int rv;

	if (sid == NULL || *sid == '\0' || r.from == NULL) {
		out->status = 400;
		return 0;
	}
	if (r.body == NULL)
		r.body = "";
	r.msg_id = xstrdup(sid);
	rv = sms_in(db, cfg, in, &r, out);
	free(r.msg_id);
	return rv;
}

static int
notify_sms(struct db *db, const struct config *cfg, const struct webhook_in *in,
           struct webhook_out *out)
{
	struct inrow r = {"notify",
	                  NULL,
	                  "sms",
	                  field(in, "source_number"),
	                  field(in, "destination_number"),
	                  field(in, "message"),
	                  0};
	const char *id = field(in, "id");
	int rv;

	if (id == NULL || *id == '\0' || r.from == NULL || r.body == NULL) {
		out->status = 400;
		return 0;
	}
	r.msg_id = xstrdup(id);
	rv = sms_in(db, cfg, in, &r, out);
	free(r.msg_id);
	return rv;
}

/* ---- delivery receipts -------------------------------------------------- */

/* Apply a receipt; a duplicate (same id and status) changes nothing. */
static int
receipt_in(struct db *db, const struct webhook_in *in, struct inrow *r,
           const struct receipt *rc, struct webhook_out *out)
{
	int rv;

	if ((rv = claim_or_ack(db, in, r, out)) <= 0)
		return rv;
	if (receipt_apply(db, rc, in->now, &out->disposition) == -1)
		return -1;
	return inbound_settle(db, r, 0, 0, out->disposition, 0, 0);
}

static int
twilio_status(struct db *db, const struct webhook_in *in,
              struct webhook_out *out)
{
	const char *sid = field(in, "MessageSid");
	const char *status = field(in, "MessageStatus");
	struct receipt rc = {0, sid, OB_SENT, field(in, "ErrorCode"), status};
	struct inrow r = {"twilio-status", NULL, "sms", field(in, "From"),
	                  field(in, "To"), NULL, 0};
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
	rv = receipt_in(db, in, &r, &rc, out);
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

static int
notify_status(struct db *db, const struct webhook_in *in,
              struct webhook_out *out)
{
	const char *id = field(in, "id"), *status = field(in, "status");
	const char *type = field(in, "notification_type");
	struct receipt rc = {notify_reference(field(in, "reference")), id,
	                     OB_SENT, status, status};
	struct inrow r = {"notify-status", NULL, "sms", NULL,
	                  field(in, "to"), NULL, 0};
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
	rv = receipt_in(db, in, &r, &rc, out);
	free(r.msg_id);
	return rv;
}

/* ---- email -------------------------------------------------------------- */

/* Who an email is from or about. */
struct email_match {
	int64_t member, practice, meeting;
	const char *disposition;
	int unsubscribe;
};

/* Record Mailgun's token; 0 if it was seen within the window (a replay). */
static int
nonce_fresh(struct db *db, const struct config *cfg, const char *token,
            int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "DELETE FROM webhook_nonces WHERE seen_at < ?1");

	db_bind_int(st, 1, now - 2 * config_int(cfg, CFG_MAILGUN_MAX_AGE));
	if (db_done(db, st) == -1)
		return -1;
	st = db_stmt(db, "INSERT INTO webhook_nonces (provider, nonce,"
	                 " seen_at) VALUES ('mailgun', ?1, ?2)"
	                 " ON CONFLICT DO NOTHING");
	db_bind_text(st, 1, token);
	db_bind_int(st, 2, now);
	if (db_done(db, st) == -1)
		return -1;
	return db_changes(db);
}

/* The token in "prefix+TOKEN@domain", or NULL. Caller frees. */
static char *
address_token(const char *addr, const char *prefix)
{
	size_t n = strlen(prefix), len;
	const char *at;

	while (*addr == ' ' || *addr == '<')
		addr++;
	if (strncasecmp(addr, prefix, n) != 0 ||
	    (at = strchr(addr + n, '@')) == NULL)
		return NULL;
	len = (size_t)(at - addr - n);
	if (len == 0 || len > 64)
		return NULL;
	return xstrndup(addr + n, len);
}

/* A token of kind: its member and campaign's meeting; 0 if none. */
static int64_t
token_member(struct db *db, const char *token, const char *kind, int64_t now,
             int64_t *meeting)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT t.member_id, coalesce(c.meeting_id, 0) FROM tokens t"
	        " LEFT JOIN campaigns c ON c.id = t.campaign_id"
	        " WHERE t.hash=?1 AND t.kind=?2 AND t.member_id IS NOT NULL"
	        " AND (?2 = 'unsubscribe' OR t.expires_at IS NULL"
	        " OR t.expires_at > ?3)");
	char hash[65];
	int64_t member = 0;

	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	db_bind_text(st, 2, kind);
	db_bind_int(st, 3, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member = sqlite3_column_int64(st, 0);
		*meeting = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return member;
}

/* The bare address of "Name <addr>" or "addr", lower-cased. Caller frees. */
static char *
bare_address(const char *s)
{
	const char *lt = strchr(s, '<'), *gt;
	char *a, *p;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		a = xstrdup(s);
	for (p = a; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return a;
}

static int64_t
member_practice(struct db *db, int64_t member)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT practice_id FROM members WHERE id=?1");
	int64_t p = 0;

	db_bind_int(st, 1, member);
	if (sqlite3_step(st) == SQLITE_ROW)
		p = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return p;
}

/* A header of the message: a field of its own (Mailgun posts each header
 * as one), else from the "message-headers" JSON list. Caller frees. */
static char *
email_header(const struct webhook_in *in, const char *name)
{
	const char *v = field(in, name), *list = field(in, "message-headers");
	const char *k, *val;
	json_t *j, *pair;
	size_t i;
	char *out = NULL;

	if (v != NULL)
		return xstrdup(v);
	if (list == NULL || (j = json_loads(list, 0, NULL)) == NULL)
		return NULL;
	json_array_foreach(j, i, pair)
	{
		k = json_string_value(json_array_get(pair, 0));
		val = json_string_value(json_array_get(pair, 1));
		if (k != NULL && val != NULL && strcasecmp(k, name) == 0) {
			out = xstrdup(val);
			break;
		}
	}
	json_decref(j);
	return out;
}

/* 1 if the header's value starts with one of the comma-separated words
 * ("*": if it is there at all). */
static int
header_is(const struct webhook_in *in, const char *name, const char *words)
{
	char *v = email_header(in, name), *list, *w, *save = NULL, *t;
	int yes = 0;

	if (v == NULL)
		return 0;
	t = util_trim(v);
	list = xstrdup(words);
	for (w = strtok_r(list, ",", &save); w != NULL && !yes;
	     w = strtok_r(NULL, ",", &save))
		yes =
		    *w == '*' ? *t != '\0' : strncasecmp(t, w, strlen(w)) == 0;
	free(list);
	free(v);
	return yes;
}

/*
 * 1 if the message was sent by a machine: an auto-reply, a list, a bounce
 * (RFC 3834 section 2: never answer those automatically).
 */
static int
email_automatic(const struct webhook_in *in)
{
	char *sender = bare_address(field(in, "sender"));
	int yes = *sender == '\0' ||
	          strncmp(sender, "mailer-daemon@", 14) == 0 ||
	          strncmp(sender, "postmaster@", 11) == 0;

	free(sender);
	if (header_is(in, "Auto-Submitted", "*") &&
	    !header_is(in, "Auto-Submitted", "no"))
		return 1;
	return yes || header_is(in, "Precedence", "bulk,list,junk") ||
	       header_is(in, "List-Id", "*") ||
	       header_is(in, "List-Unsubscribe", "*") ||
	       header_is(in, "X-Autoreply", "*") ||
	       header_is(in, "X-Autorespond", "*");
}

/* 1 if Mailgun found the sender's SPF or the message's DKIM to pass. */
static int
email_authenticated(const struct webhook_in *in)
{
	return header_is(in, "X-Mailgun-Spf", "pass") ||
	       header_is(in, "X-Mailgun-Dkim-Check-Result", "pass");
}

/* The practice whose From address is the bare address rcpt; 0 if none. */
static int64_t
practice_by_address(struct db *db, const char *rcpt)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, email_from FROM practices"
	                               " WHERE email_from != ''");
	int64_t found = 0;
	char *a;

	while (found == 0 && sqlite3_step(st) == SQLITE_ROW) {
		a = bare_address(db_col_text(st, 1));
		if (strcmp(a, rcpt) == 0)
			found = sqlite3_column_int64(st, 0);
		free(a);
	}
	sqlite3_reset(st);
	return found;
}

/* The newest member with this address (at practice, unless 0); 0 if none,
 * or if members of two practices have it and nothing says which. */
static int64_t
member_by_sender(struct db *db, const char *email, int64_t practice)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id, practice_id FROM members WHERE email=?1 AND"
	                " erased_at IS NULL AND (?2 = 0 OR practice_id=?2)"
	                " ORDER BY id DESC");
	int64_t member = 0, first_practice = 0;

	db_bind_text(st, 1, email);
	db_bind_int(st, 2, practice);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (member == 0) {
			member = sqlite3_column_int64(st, 0);
			first_practice = sqlite3_column_int64(st, 1);
		} else if (sqlite3_column_int64(st, 1) != first_practice) {
			member = 0;
			break;
		}
	}
	sqlite3_reset(st);
	return member;
}

/*
 * Match by reply token, then unsubscribe token (each a capability that
 * only the member was sent), then by sender: only when Mailgun says SPF or
 * DKIM passed (a From line is anyone's to write), and at the practice the
 * message was sent to when the recipient is a practice's address.
 */
static void
email_match(struct db *db, const struct webhook_in *in, struct email_match *m)
{
	const char *rcpt = field(in, "recipient");
	char *tok, *sender, *to;

	memset(m, 0, sizeof *m);
	if ((tok = address_token(rcpt, "reply+")) != NULL) {
		m->member =
		    token_member(db, tok, "reply", in->now, &m->meeting);
		free(tok);
	} else if ((tok = address_token(rcpt, "unsubscribe+")) != NULL) {
		int64_t unused;
		m->member =
		    token_member(db, tok, "unsubscribe", in->now, &unused);
		m->unsubscribe = m->member != 0;
		free(tok);
	}
	if (m->member == 0 && email_authenticated(in)) {
		m->meeting = 0;
		to = bare_address(rcpt);
		sender = bare_address(field(in, "sender"));
		m->member =
		    member_by_sender(db, sender, practice_by_address(db, to));
		free(sender);
		free(to);
	}
	if (m->member != 0)
		m->practice = member_practice(db, m->member);
	else {
		/* A stranger's email is still the practice's it was sent to
		 * (as a text is filed by the number texted): its care alert
		 * goes to that practice's staff. */
		to = bare_address(rcpt);
		m->practice = practice_by_address(db, to);
		free(to);
	}
	if (m->unsubscribe)
		m->disposition = "unsubscribe";
	else if (m->member == 0)
		m->disposition = "unmatched";
	else
		m->disposition = m->meeting != 0 ? "agenda" : "feedback";
}

/* The member's email address, for the care reply. Caller frees. */
static char *
member_email(struct db *db, int64_t member)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT email FROM members WHERE id=?1"
	                               " AND email != '' AND erased_at IS NULL");
	char *e = NULL;

	db_bind_int(st, 1, member);
	if (sqlite3_step(st) == SQLITE_ROW)
		e = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return e;
}

static int
mailgun_email(struct db *db, const struct config *cfg,
              const struct webhook_in *in, struct webhook_out *out)
{
	const char *token = field(in, "token"), *mid = field(in, "Message-Id");
	const char *body = field(in, "stripped-text");
	struct inrow r = {"mailgun",
	                  NULL,
	                  "email",
	                  field(in, "sender"),
	                  field(in, "recipient"),
	                  NULL,
	                  0};
	struct email_match m;
	struct care_hit hit;
	char *reply_to = NULL;
	int rv, care;

	if (token == NULL || r.from == NULL || r.to == NULL) {
		out->status = 400;
		return 0;
	}
	if (body == NULL || *body == '\0')
		body = field(in, "body-plain");
	r.body = body != NULL ? body : "";
	if ((rv = nonce_fresh(db, cfg, token, in->now)) == 0) {
		out->duplicate = 1;
		out->disposition = "replay";
		log_info("event=inbound provider=mailgun replay=1");
	}
	if (rv <= 0)
		return rv;
	r.msg_id = xstrdup(mid != NULL && *mid != '\0' ? mid : token);
	rv = claim_or_ack(db, in, &r, out);
	free(r.msg_id);
	if (rv <= 0)
		return rv;
	email_match(db, in, &m);
	care = care_classify_for(db, cfg, m.practice, r.body, &hit);
	if (m.unsubscribe &&
	    member_optout(db, m.member, CONSENT_EMAIL, in->now, "email",
	                  "mailto") == -1)
		return -1;
	out->disposition = m.disposition;
	log_inbound(&r, m.disposition, care);
	if (inbound_settle(db, &r, m.member, m.practice, m.disposition, care,
	                   m.meeting) == -1)
		return -1;
	if (!care)
		return 0;
	/* RFC 3834: the staff are told, but a machine (an auto-reply, a
	 * list, a bounce) is never answered; care_raise answers a person at
	 * most once a day per urgency. */
	if (m.member != 0 && !m.unsubscribe && !email_automatic(in))
		reply_to = member_email(db, m.member);
	rv = care_raise(db, cfg, &hit, &r, m.member, m.practice, reply_to,
	                in->now, out);
	free(reply_to);
	return rv;
}

int
webhook_apply(struct db *db, const struct config *cfg,
              const struct webhook_in *in, struct webhook_out *out)
{
	memset(out, 0, sizeof *out);
	out->status = 200;
	switch (in->kind) {
	case WH_TWILIO_SMS:
		return twilio_sms(db, cfg, in, out);
	case WH_TWILIO_STATUS:
		return twilio_status(db, in, out);
	case WH_NOTIFY_SMS:
		return notify_sms(db, cfg, in, out);
	case WH_NOTIFY_STATUS:
		return notify_status(db, in, out);
	case WH_MAILGUN_EMAIL:
		return mailgun_email(db, cfg, in, out);
	}
	out->status = 404;
	return 0;
}
