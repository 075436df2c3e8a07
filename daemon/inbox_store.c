/*
 * The inbox query shared by `ppgd inbox` (cmd_inbox.c) and the web admin's
 * inbox page (admin_inbox.c).
 */
#include "inbox_store.h"
#include "util.h"

static json_t *
row_json(sqlite3_stmt *st)
{
	char when[21];
	const char *s;
	json_t *o = json_object();
	int i;
	static const char *const names[] = {
	    "provider", "channel", "disposition", "practice",
	    "from",     "to",      "body"};

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(
	    o, "received_at",
	    json_string(util_format_time(sqlite3_column_int64(st, 1), when)));
	for (i = 0; i < 7; i++) {
		s = db_col_text(st, i + 2);
		json_object_set_new(o, names[i],
		                    s ? json_string(s) : json_null());
	}
	json_object_set_new(o, "member",
	                    sqlite3_column_type(st, 9) == SQLITE_NULL
	                        ? json_null()
	                        : json_integer(sqlite3_column_int64(st, 9)));
	json_object_set_new(o, "care_flag",
	                    json_boolean(sqlite3_column_int(st, 10)));
	json_object_set_new(o, "meeting",
	                    sqlite3_column_type(st, 11) == SQLITE_NULL
	                        ? json_null()
	                        : json_integer(sqlite3_column_int64(st, 11)));
	return o;
}

json_t *
inbox_list_json(struct db *db, const struct inbox_filter *f)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT i.id, i.received_at, i.provider, i.channel, i.disposition,"
	    " p.code, i.from_addr, i.to_addr, i.body, i.member_id,"
	    " i.care_flag, i.meeting_id FROM inbound i"
	    " LEFT JOIN practices p ON p.id = i.practice_id"
	    " WHERE i.provider NOT LIKE '%-status'"
	    " AND (?1 = 0 OR i.disposition = 'unmatched')"
	    " AND (?2 = 0 OR i.disposition = 'stop-request')"
	    " AND (?3 IS NULL OR p.code = ?3)"
	    " AND (?5 = 0 OR i.id < ?5)"
	    " ORDER BY i.id DESC LIMIT ?4");
	json_t *arr = json_array();

	db_bind_int(st, 1, f->unmatched);
	db_bind_int(st, 2, f->stop_requests);
	db_bind_text(st, 3, f->practice);
	db_bind_int(st, 4, f->limit);
	db_bind_int(st, 5, f->before_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, row_json(st));
	sqlite3_reset(st);
	return arr;
}
