/* The admin home page's figures, read in a few indexed queries. */
#include "dashboard.h"
#include "jsonx.h"
#include "util.h"

static void
counts(struct db *db, int64_t pid, int64_t now, json_t *o)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT count(*),"
	        " total(email IS NOT NULL AND consent_email_at IS NOT NULL AND"
	        "  optout_email_at IS NULL),"
	        " total(mobile IS NOT NULL AND consent_sms_at IS NOT NULL AND"
	        "  optout_sms_at IS NULL)"
	        " FROM members WHERE practice_id = ?1 AND erased_at IS NULL"
	        " AND (term_ends_at IS NULL OR term_ends_at > ?2)");

	db_bind_int(st, 1, pid);
	db_bind_int(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		jsonx_set(o, "active",
		          json_integer(sqlite3_column_int64(st, 0)));
		jsonx_set(
		    o, "reachable_email",
		    json_integer((json_int_t)sqlite3_column_double(st, 1)));
		jsonx_set(
		    o, "reachable_sms",
		    json_integer((json_int_t)sqlite3_column_double(st, 2)));
	}
	sqlite3_reset(st);
	st = db_stmt(db, "SELECT total(state IN ('pending','held','sending')),"
	                 " total(state = 'failed') FROM outbox WHERE"
	                 " practice_id = ?1");
	db_bind_int(st, 1, pid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		jsonx_set(
		    o, "waiting",
		    json_integer((json_int_t)sqlite3_column_double(st, 0)));
		jsonx_set(
		    o, "failed",
		    json_integer((json_int_t)sqlite3_column_double(st, 1)));
	}
	sqlite3_reset(st);
}

static json_t *
next_campaigns(struct db *db, int64_t pid)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT name, next_fire_at FROM campaigns WHERE practice_id = ?"
	        " AND state = 'active' AND next_fire_at IS NOT NULL"
	        " ORDER BY next_fire_at LIMIT 5");
	json_t *a = json_array();
	char t[21];

	db_bind_int(st, 1, pid);
	while (sqlite3_step(st) == SQLITE_ROW)
		jsonx_push(
		    a, json_pack(
		           "{ss ss}", "name", db_col_text(st, 0), "at",
		           util_format_time(sqlite3_column_int64(st, 1), t)));
	sqlite3_reset(st);
	return a;
}

static json_t *
latest(struct db *db, int64_t pid, int contacts)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT received_at, channel, disposition, body FROM inbound"
	        " WHERE practice_id = ? ORDER BY id DESC LIMIT 5");
	json_t *a = json_array(), *o;
	char t[21];

	db_bind_int(st, 1, pid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_pack("{ss ss ss}", "at",
		              util_format_time(sqlite3_column_int64(st, 0), t),
		              "channel", db_col_text(st, 1), "disposition",
		              db_col_text(st, 2));
		if (contacts)
			jsonx_set(o, "body",
			          db_col_text(st, 3) != NULL
			              ? json_string(db_col_text(st, 3))
			              : json_null());
		jsonx_push(a, o);
	}
	sqlite3_reset(st);
	return a;
}

json_t *
dashboard_json(struct db *db, int64_t pid, int64_t now, int contacts)
{
	json_t *o = json_object();

	counts(db, pid, now, o);
	jsonx_set(o, "next", next_campaigns(db, pid));
	jsonx_set(o, "latest", latest(db, pid, contacts));
	return o;
}
