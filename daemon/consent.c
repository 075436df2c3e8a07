/*
 * Consent. Opt-outs are the promise a member relies on most, so one module
 * writes them: the column is set once (the first opt-out time is the one
 * that counts), and each change leaves one audit row per member.
 */
#include <stdio.h>

#include "consent.h"
#include "log.h"
#include "sms_session.h"

static const char *
action_name(int out, int channels)
{
	if (channels == CONSENT_ALL)
		return out ? "optout-all" : "optin-all";
	if (channels == CONSENT_EMAIL)
		return out ? "optout-email" : "optin-email";
	return out ? "optout-sms" : "optin-sms";
}

/* Set or clear the opt-out columns; how many rows changed, or -1. */
static int
consent_write(struct db *db, int64_t member, int channels, int out, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    out ? "UPDATE members SET"
	          " optout_email_at=CASE WHEN ?2 & 1 THEN"
	          "  coalesce(optout_email_at, ?3) ELSE optout_email_at END,"
	          " optout_sms_at=CASE WHEN ?2 & 2 THEN"
	          "  coalesce(optout_sms_at, ?3) ELSE optout_sms_at END,"
	          " updated_at=?3 WHERE id=?1 AND erased_at IS NULL AND"
	          " ((?2 & 1 AND optout_email_at IS NULL) OR"
	          "  (?2 & 2 AND optout_sms_at IS NULL))"
	        : "UPDATE members SET"
	          " optout_email_at=CASE WHEN ?2 & 1 THEN NULL"
	          "  ELSE optout_email_at END,"
	          " optout_sms_at=CASE WHEN ?2 & 2 THEN NULL"
	          "  ELSE optout_sms_at END,"
	          " updated_at=?3 WHERE id=?1 AND erased_at IS NULL AND"
	          " ((?2 & 1 AND optout_email_at IS NOT NULL) OR"
	          "  (?2 & 2 AND optout_sms_at IS NOT NULL))");

	db_bind_int(st, 1, member);
	db_bind_int(st, 2, channels);
	db_bind_int(st, 3, now);
	if (db_done(db, st) == -1)
		return -1;
	return db_changes(db);
}

static int
consent_set(struct db *db, int64_t member, int channels, int out, int64_t now,
            const char *actor, const char *how)
{
	char obj[32];
	int n;

	if ((channels & CONSENT_ALL) == 0 || member <= 0)
		return 0;
	if ((n = consent_write(db, member, channels & CONSENT_ALL, out, now)) <=
	    0)
		return n;
	if (out && (channels & CONSENT_SMS) &&
	    sms_session_close(db, member, SS_STOPPED, now) == -1)
		return -1;
	snprintf(obj, sizeof obj, "member:%lld", (long long)member);
	if (db_audit(db, actor, action_name(out, channels & CONSENT_ALL), obj,
	             how) == -1)
		return -1;
	log_info("event=consent member=%lld action=%s how=%s",
	         (long long)member, action_name(out, channels & CONSENT_ALL),
	         how);
	return 1;
}

int
member_optout(struct db *db, int64_t member, int channels, int64_t now,
              const char *actor, const char *how)
{
	return consent_set(db, member, channels, 1, now, actor, how);
}

int
member_optin(struct db *db, int64_t member, int channels, int64_t now,
             const char *actor, const char *how)
{
	return consent_set(db, member, channels, 0, now, actor, how);
}

int
member_optout_outbox(struct db *db, int64_t outbox_id, int64_t now,
                     const char *actor, const char *how)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT coalesce(member_id, 0), channel"
	                               " FROM outbox WHERE id=?1");
	int64_t member = 0;
	int ch = 0;

	db_bind_int(st, 1, outbox_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member = sqlite3_column_int64(st, 0);
		ch = *db_col_text(st, 1) == 's' ? CONSENT_SMS : CONSENT_EMAIL;
	}
	sqlite3_reset(st);
	return member_optout(db, member, ch, now, actor, how);
}
