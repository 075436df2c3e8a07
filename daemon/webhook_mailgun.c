/*
 * Mailgun's inbound email on /webhooks/mailgun/email, a form or
 * multipart/form-data, signed within [mailgun] max_age and never replayed:
 * matched to a member by reply or unsubscribe token, or by sender when SPF
 * or DKIM passed; a machine's message is never answered (RFC 3834).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "care_alert.h"
#include "consent.h"
#include "crypto.h"
#include "linktoken.h"
#include "log.h"
#include "member.h"
#include "util.h"
#include "webhook_priv.h"
#include "xmalloc.h"

int
webhook_mailgun_authentic(const struct config *cfg, const struct webhook_in *in)
{
	const char *ts = webhook_field(in, "timestamp");
	long long t, age = config_int(cfg, CFG_MAILGUN_MAX_AGE);
	char *end;

	if (ts == NULL ||
	    !crypto_mailgun_verify(config_str(cfg, CFG_MAILGUN_SIGNING_KEY), ts,
	                           webhook_field(in, "token"),
	                           webhook_field(in, "signature")))
		return 0;
	t = strtoll(ts, &end, 10);
	if (*ts == '\0' || *end != '\0')
		return 0;
	return t >= in->now - age && t <= in->now + age;
}

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

/* A derived token of kind: its member and its campaign's meeting; 0 if
 * none (or the member was erased). */
static int64_t
derived_member(struct db *db, const struct config *cfg, const char *token,
               const char *kind, int64_t *meeting)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT m.id, coalesce(c.meeting_id, 0) FROM members m,"
	        " runs r JOIN campaigns c ON c.id = r.campaign_id"
	        " WHERE m.id = ?2 AND m.erased_at IS NULL AND r.id = ?1");
	enum linktoken_kind k =
	    strcmp(kind, "reply") == 0 ? LT_REPLY : LT_UNSUBSCRIBE;
	int64_t run, member = 0;

	if (!linktoken_parse(cfg, token, k, &run, &member))
		return 0;
	db_bind_int(st, 1, run);
	db_bind_int(st, 2, member);
	member = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		member = sqlite3_column_int64(st, 0);
		*meeting = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return member;
}

/* A token of kind, derived or stored: its member and campaign's meeting;
 * 0 if none. */
static int64_t
token_member(struct db *db, const struct config *cfg, const char *token,
             const char *kind, int64_t now, int64_t *meeting)
{
	sqlite3_stmt *st;
	char hash[65];
	int64_t member;

	if ((member = derived_member(db, cfg, token, kind, meeting)) != 0)
		return member;
	st = db_stmt(
	    db, "SELECT t.member_id, coalesce(c.meeting_id, 0) FROM tokens t"
	        " LEFT JOIN campaigns c ON c.id = t.campaign_id"
	        " WHERE t.hash=?1 AND t.kind=?2 AND t.member_id IS NOT NULL"
	        " AND (?2 = 'unsubscribe' OR t.expires_at IS NULL"
	        " OR t.expires_at > ?3)");
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

	db_bind_int(st, 1, member);
	return db_int(db, st, 0);
}

/* A header of the message: a field of its own (Mailgun posts each header
 * as one), else from the "message-headers" JSON list. Caller frees. */
static char *
email_header(const struct webhook_in *in, const char *name)
{
	const char *v = webhook_field(in, name),
	           *list = webhook_field(in, "message-headers");
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
	char *sender = bare_address(webhook_field(in, "sender"));
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
email_match(struct db *db, const struct config *cfg,
            const struct webhook_in *in, struct email_match *m)
{
	const char *rcpt = webhook_field(in, "recipient");
	char *tok, *sender, *to;

	memset(m, 0, sizeof *m);
	if ((tok = address_token(rcpt, "reply+")) != NULL) {
		m->member =
		    token_member(db, cfg, tok, "reply", in->now, &m->meeting);
		free(tok);
	} else if ((tok = address_token(rcpt, "unsubscribe+")) != NULL) {
		int64_t unused;
		m->member =
		    token_member(db, cfg, tok, "unsubscribe", in->now, &unused);
		m->unsubscribe = m->member != 0;
		free(tok);
	}
	if (m->member == 0 && email_authenticated(in)) {
		m->meeting = 0;
		to = bare_address(rcpt);
		sender = bare_address(webhook_field(in, "sender"));
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
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT email FROM members WHERE id=?1"
	                " AND email != '' AND erased_at IS NULL");

	db_bind_int(st, 1, member);
	return db_row_text(db, st);
}

int
webhook_mailgun_email(struct db *db, const struct config *cfg,
                      const struct webhook_in *in, struct webhook_out *out)
{
	const char *token = webhook_field(in, "token"),
	           *mid = webhook_field(in, "Message-Id");
	const char *body = webhook_field(in, "stripped-text");
	struct inrow r = {"mailgun",
	                  NULL,
	                  "email",
	                  webhook_field(in, "sender"),
	                  webhook_field(in, "recipient"),
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
		body = webhook_field(in, "body-plain");
	r.body = body != NULL ? body : "";
	if ((rv = nonce_fresh(db, cfg, token, in->now)) == 0) {
		out->duplicate = 1;
		out->disposition = "replay";
		log_info("event=inbound provider=mailgun replay=1");
	}
	if (rv <= 0)
		return rv;
	r.msg_id = xstrdup(mid != NULL && *mid != '\0' ? mid : token);
	rv = webhook_claim(db, in, &r, out);
	free(r.msg_id);
	if (rv <= 0)
		return rv;
	email_match(db, cfg, in, &m);
	care = care_classify_for(db, cfg, m.practice, r.body, &hit);
	if (m.unsubscribe && member_optout(db, m.member, CONSENT_EMAIL, in->now,
	                                   "email", "mailto") == -1)
		return -1;
	out->disposition = m.disposition;
	webhook_log(&r, m.disposition, care);
	if (webhook_settle(db, &r, m.member, m.practice, m.disposition, care,
	                   m.meeting) == -1)
		return -1;
	if (!care)
		return 0;
	/* RFC 3834: the staff are told, but a machine (an auto-reply, a
	 * list, a bounce) is never answered; care_raise answers a person at
	 * most once a day per urgency. */
	if (m.member != 0 && !m.unsubscribe && !email_automatic(in))
		reply_to = member_email(db, m.member);
	rv = webhook_care_raise(db, cfg, &hit, &r, m.member, m.practice,
	                        reply_to, in->now, out);
	free(reply_to);
	return rv;
}
