/*
 * Delivery receipts. Twilio may post "delivered" before its answer to our
 * POST has reached the dispatcher, and the dispatcher settles outcomes in
 * its next transaction: so a receipt can find its row still `sending`, or
 * no row with its provider id at all. Such a receipt is parked (one row per
 * provider id, the first final verdict wins) and applied by
 * receipt_apply_parked when the send is recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "consent.h"
#include "log.h"
#include "receipt.h"
#include "xmalloc.h"

/* The outbox row the receipt is about: id, state; 0 if none. */
static int64_t
receipt_row(struct db *db, const struct receipt *rc, enum outbox_state *state)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id, state FROM outbox WHERE (?1 != 0 AND id=?1)"
	                " OR (?1 = 0 AND provider_id=?2) LIMIT 1");
	int64_t id = 0;

	db_bind_int(st, 1, rc->outbox_id);
	db_bind_text(st, 2, rc->provider_id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    outbox_state_parse(db_col_text(st, 1), state) == 0)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

static int
receipt_settle(struct db *db, int64_t id, const struct receipt *rc, int64_t now)
{
	sqlite3_stmt *st;

	if (outbox_enter(db, id, OB_SENT, rc->to) == -1)
		return 0;
	st = db_stmt(db, "UPDATE outbox SET settled_at=?2,"
	                 " error_code=coalesce(nullif(?3,''), error_code),"
	                 " error_text=coalesce(nullif(?4,''), error_text)"
	                 " WHERE id=?1");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, rc->to == OB_FAILED ? rc->code : NULL);
	db_bind_text(st, 4, rc->to == OB_FAILED ? rc->text : NULL);
	if (db_done(db, st) == -1)
		return -1;
	/* Twilio 21610: the recipient has unsubscribed (replied STOP). */
	if (rc->to == OB_FAILED && rc->code != NULL &&
	    strcmp(rc->code, "21610") == 0 &&
	    member_optout_outbox(db, id, now, "sms", "provider-21610") == -1)
		return -1;
	return 0;
}

/* Park a final verdict; an older parked one for the id is kept. */
static int
receipt_park(struct db *db, const struct receipt *rc, int64_t id, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "DELETE FROM receipts_parked WHERE received_at < ?1");

	db_bind_int(st, 1, now - RECEIPT_PARK_DAYS * 86400);
	if (db_done(db, st) == -1)
		return -1;
	st = db_stmt(db, "INSERT INTO receipts_parked (provider_id, outbox_id,"
	                 " state, code, text, received_at) VALUES (?1,"
	                 " nullif(?2, 0), ?3, ?4, ?5, ?6)"
	                 " ON CONFLICT DO NOTHING");
	db_bind_text(st, 1, rc->provider_id);
	db_bind_int(st, 2, id);
	db_bind_text(st, 3, outbox_strstate(rc->to));
	db_bind_text(st, 4, rc->code);
	db_bind_text(st, 5, rc->text);
	db_bind_int(st, 6, now);
	return db_done(db, st);
}

int
receipt_apply(struct db *db, const struct receipt *rc, int64_t now,
              const char **disposition)
{
	enum outbox_state state = OB_PENDING;
	int64_t id = receipt_row(db, rc, &state);

	if (rc->to == OB_SENT)
		*disposition = id == 0 ? "receipt-unknown" : "receipt-interim";
	else if (id == 0 || state == OB_SENDING || state == OB_PENDING) {
		if (rc->provider_id == NULL ||
		    receipt_park(db, rc, id, now) == -1)
			return rc->provider_id == NULL ? 0 : -1;
		*disposition = "receipt-parked";
	} else if (state != OB_SENT)
		*disposition = "receipt-ignored";
	else {
		if (receipt_settle(db, id, rc, now) == -1)
			return -1;
		*disposition = rc->to == OB_DELIVERED ? "delivered" : "failed";
	}
	log_info("event=receipt outbox=%lld result=%s", (long long)id,
	         *disposition);
	return 0;
}

int
receipt_apply_parked(struct db *db, int64_t outbox_id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT p.provider_id, p.state, p.code, p.text FROM outbox o"
	        " JOIN receipts_parked p ON p.provider_id = o.provider_id"
	        "  OR p.outbox_id = o.id WHERE o.id=?1 AND o.state='sent'"
	        " LIMIT 1");
	struct receipt rc = {outbox_id, NULL, OB_SENT, NULL, NULL};
	char *pid = NULL, *code = NULL, *text = NULL;
	int rv = 0;

	db_bind_int(st, 1, outbox_id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    outbox_state_parse(db_col_text(st, 1), &rc.to) == 0) {
		pid = xstrdup(db_col_text(st, 0));
		if (db_col_text(st, 2) != NULL)
			code = xstrdup(db_col_text(st, 2));
		if (db_col_text(st, 3) != NULL)
			text = xstrdup(db_col_text(st, 3));
	}
	sqlite3_reset(st);
	if (pid == NULL)
		return 0;
	rc.provider_id = pid;
	rc.code = code;
	rc.text = text;
	if (receipt_settle(db, outbox_id, &rc, now) == -1)
		rv = -1;
	else {
		st = db_stmt(db, "DELETE FROM receipts_parked"
		                 " WHERE provider_id=?1");
		db_bind_text(st, 1, pid);
		rv = db_done(db, st);
		log_info("event=receipt outbox=%lld result=%s parked=1",
		         (long long)outbox_id, outbox_strstate(rc.to));
	}
	free(pid);
	free(code);
	free(text);
	return rv;
}
