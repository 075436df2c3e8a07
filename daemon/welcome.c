/* The welcome message for new members. */
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "crypto.h"
#include "log.h"
#include "member.h"
#include "outbox.h"
#include "ratelog.h"
#include "template.h"
#include "welcome.h"
#include "xmalloc.h"

/* Claim the member's one welcome; 1 if this call has it. */
static int
welcome_claim(struct db *db, int64_t member_id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO welcomes (member_id, at)"
	                               " VALUES (?1, ?2)"
	                               " ON CONFLICT (member_id) DO NOTHING");

	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, now);
	if (db_done(db, st) == -1)
		return -1;
	return db_changes(db);
}

/* Undo welcome_claim: 0 or -1. */
static int
welcome_unclaim(struct db *db, int64_t member_id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "DELETE FROM welcomes WHERE member_id=?1");

	db_bind_int(st, 1, member_id);
	return db_done(db, st);
}

static int
reachable(const char *addr, int64_t consent, int64_t optout)
{
	return addr != NULL && *addr != '\0' && consent != 0 && optout == 0;
}

/* "email", "sms" or NULL: the preferred channel first. */
static const char *
welcome_channel(const struct member *m)
{
	int email =
	    reachable(m->email, m->consent_email_at, m->optout_email_at);
	int sms = reachable(m->mobile, m->consent_sms_at, m->optout_sms_at);

	if (m->preferred_channel != NULL &&
	    strcmp(m->preferred_channel, "sms") == 0 && sms)
		return "sms";
	return email ? "email" : sms ? "sms" : NULL;
}

/* An unsubscribe token for the message; raw into tok. */
static int
unsub_token(struct db *db, int64_t member_id, int64_t now, char tok[23])
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO tokens (hash, kind,"
	                               " member_id, created_at)"
	                               " VALUES (?1, 'unsubscribe', ?2, ?3)");
	char hash[65];

	if (crypto_token_new(tok) == -1)
		return -1;
	crypto_token_hash(tok, hash);
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, member_id);
	db_bind_int(st, 3, now);
	return db_done(db, st);
}

static int
practice_vars(struct db *db, int64_t practice_id, struct tvars *v)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT name, code, phone, website"
	                               " FROM practices WHERE id=?1");
	int rc = -1;

	db_bind_int(st, 1, practice_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		tvars_set(v, "practice.name", db_col_text(st, 0));
		tvars_set(v, "practice.code", db_col_text(st, 1));
		tvars_set(v, "practice.phone", db_col_text(st, 2));
		tvars_set(v, "practice.website", db_col_text(st, 3));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int
welcome_store(struct db *db, int64_t member_id, int64_t outbox_id,
              const char *tok)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET purpose='welcome',"
	                               " unsubscribe_token=?2 WHERE id=?1");

	db_bind_int(st, 1, outbox_id);
	db_bind_text(st, 2, tok);
	if (db_done(db, st) == -1)
		return -1;
	st = db_stmt(db, "UPDATE welcomes SET outbox_id=?2 WHERE member_id=?1");
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, outbox_id);
	return db_done(db, st);
}

/*
 * A member who has not accepted the current confidentiality agreement gets
 * a link to read and accept it in the welcome.
 */
static int
agreement_var(struct db *db, const struct config *cfg, const struct member *m,
              int64_t now, struct tvars *v)
{
	struct agreement a;
	char tok[23], *link, *cause = NULL;
	int rc = 0;

	if (agreement_load(cfg, &a, &cause) == 1 &&
	    !agreement_current(cfg, m->confidentiality_version)) {
		if ((rc = agreement_link_new(db, m->id, a.version, now, tok)) ==
		    0) {
			link = xasprintf("%s/agreement/%s",
			                 config_str(cfg, CFG_PUBLIC_URL), tok);
			tvars_set(v, "agreement.link", link);
			free(link);
		}
	}
	free(cause);
	agreement_clear(&a);
	return rc;
}

/* Render and queue the welcome to m on ch. */
static int
welcome_send(struct db *db, const struct config *cfg, const struct member *m,
             const char *ch, int64_t now)
{
	struct template *t = NULL;
	struct tvars *v = tvars_new();
	struct rendered out = {0};
	char tok[23], *link, *cause = NULL;
	int64_t id = -1;
	int unsent = 0;

	if (unsub_token(db, m->id, now, tok) == -1 ||
	    practice_vars(db, m->practice_id, v) == -1 ||
	    agreement_var(db, cfg, m, now, v) == -1)
		goto done;
	link = xasprintf("%s/u/%s", config_str(cfg, CFG_PUBLIC_URL), tok);
	tvars_set(v, "unsubscribe.link", link);
	free(link);
	tvars_set(v, "member.first_name",
	          m->first_name != NULL ? m->first_name : "member");
	tvars_set(v, "member.last_name",
	          m->last_name != NULL ? m->last_name : "");
	if (template_load(config_str(cfg, CFG_TEMPLATES), "welcome",
	                  strcmp(ch, "sms") == 0 ? TMPL_SMS : TMPL_EMAIL, 0, &t,
	                  &cause) == -1 ||
	    template_render(t, v, &out, &cause) == -1) {
		/* A template or a practice's details, not this member: it must
		 * not hold up the others, nor the approval of a join request.
		 * Unclaimed, the welcome is tried again at the next start. */
		ratelog_warnx("welcome_template",
		              "event=template name=welcome error=\"%s\"",
		              cause);
		unsent = 1;
		goto done;
	}
	id = outbox_queue(db, m->practice_id, m->id, ch, "welcome",
	                  strcmp(ch, "sms") == 0 ? m->mobile : m->email,
	                  out.subject, out.text, out.html);
	if (id != -1 && welcome_store(db, m->id, id, tok) == -1)
		id = -1;
done:
	free(cause);
	rendered_clear(&out);
	template_free(t);
	tvars_free(v);
	if (unsent)
		return welcome_unclaim(db, m->id);
	return id == -1 ? -1 : 1;
}

int
welcome_queue(struct db *db, const struct config *cfg, int64_t member_id,
              int64_t now)
{
	struct member *m = member_load(db, member_id);
	const char *ch;
	int rc;

	if (m == NULL || m->erased_at != 0) {
		member_free(m);
		return 0;
	}
	if ((rc = welcome_claim(db, member_id, now)) == 1) {
		if ((ch = welcome_channel(m)) == NULL)
			rc = 0;
		else
			rc = welcome_send(db, cfg, m, ch, now);
	}
	if (rc == 1)
		log_info("event=welcome member=%lld", (long long)member_id);
	member_free(m);
	return rc;
}

/* Members after id `after` not yet welcomed (at most a slice); the count. */
static int
unwelcomed(struct db *db, int64_t after, int64_t ids[], int max)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT m.id FROM members m WHERE m.id > ?2"
	        " AND m.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM"
	        " welcomes w WHERE w.member_id = m.id) ORDER BY m.id LIMIT ?1");
	int n = 0;

	db_bind_int(st, 1, max);
	db_bind_int(st, 2, after);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static int64_t
joined_at(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT joined_at FROM members"
	                               " WHERE id=?1");
	int64_t at = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return at;
}

#define WELCOME_SLICE 200

/* One transaction of up to WELCOME_SLICE members after *after; how many
 * were queued, or -1. *n: the members it took (0: none left). */
static int
welcome_slice(struct db *db, const struct config *cfg, int64_t now,
              int64_t *after, int *n)
{
	int64_t ids[WELCOME_SLICE];
	int64_t window = config_int(cfg, CFG_MEMBERSHIP_WELCOME_WINDOW);
	int i, rc = 0, queued = 0;

	if ((*n = unwelcomed(db, *after, ids, WELCOME_SLICE)) <= 0)
		return 0;
	if (db_begin(db) == -1)
		return -1;
	for (i = 0; i < *n && rc != -1; i++) {
		if (window > 0 && joined_at(db, ids[i]) >= now - window)
			rc = welcome_queue(db, cfg, ids[i], now);
		else
			rc = welcome_claim(db, ids[i], now) == -1 ? -1 : 0;
		queued += rc == 1;
	}
	if (rc == -1 || db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	*after = ids[*n - 1];
	return queued;
}

int
welcome_sweep_some(struct db *db, const struct config *cfg, int64_t now,
                   int64_t *cursor, int slices, int *more)
{
	int64_t after = cursor != NULL ? *cursor : 0;
	int k, n = 0, queued = 0;

	*more = 0;
	while (slices-- != 0) {
		if ((k = welcome_slice(db, cfg, now, &after, &n)) == -1)
			return -1;
		queued += k;
		if (n < WELCOME_SLICE)
			break;
	}
	*more = n == WELCOME_SLICE;
	/* Every member up to here is claimed, and ids only grow. */
	if (cursor != NULL && after > *cursor)
		*cursor = after;
	return queued;
}

int
welcome_sweep(struct db *db, const struct config *cfg, int64_t now,
              int64_t *cursor)
{
	int more;

	return welcome_sweep_some(db, cfg, now, cursor, -1, &more);
}
