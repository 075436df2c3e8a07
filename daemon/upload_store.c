/*
 * A file uploaded for a preview (a member CSV) must be the file the
 * confirm writes, without asking the user for it again. It is held here,
 * under the hash of a random token that the preview's form carries,
 * rather than sent back to the browser in a hidden field: the bytes
 * written are then the bytes checked, whatever the browser posts, a large
 * file crosses the network once, and a binary file needs no encoding.
 * An upload belongs to the user, practice and kind it was held for, and
 * lives for UPLOAD_TTL at most (member contact details are in it); a
 * user's next upload of the same kind replaces it.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "upload_store.h"
#include "xmalloc.h"

static void
purge(struct db *db, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "DELETE FROM admin_uploads WHERE created_at <= ?");

	db_bind_int(st, 1, now - UPLOAD_TTL);
	db_done(db, st);
}

int
upload_put(struct db *db, int64_t user, int64_t practice, const char *kind,
           const char *name, const void *data, size_t len, int64_t now,
           char token[23], char **cause)
{
	sqlite3_stmt *st;
	char hash[65];

	purge(db, now);
	/* One upload waits per user and kind: a new preview replaces the
	 * last, so repeated previews cannot pile files up. */
	st = db_stmt(db, "DELETE FROM admin_uploads WHERE user_id = ? AND"
	                 " kind = ?");
	db_bind_int(st, 1, user);
	db_bind_text(st, 2, kind);
	db_done(db, st);
	if (crypto_token_new(token) == -1) {
		*cause = xstrdup("no random bytes for a token");
		return -1;
	}
	crypto_token_hash(token, hash);
	st = db_stmt(db, "INSERT INTO admin_uploads (hash, user_id,"
	                 " practice_id, kind, name, content, created_at)"
	                 " VALUES (?, ?, ?, ?, ?, ?, ?)");
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, user);
	db_bind_int(st, 3, practice);
	db_bind_text(st, 4, kind);
	db_bind_text(st, 5, name);
	sqlite3_bind_blob64(st, 6, len > 0 ? data : "", len, SQLITE_STATIC);
	db_bind_int(st, 7, now);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("the upload could not be kept: %s",
		                   db_errmsg(db));
		return -1;
	}
	return 0;
}

int
upload_get(struct db *db, const char *token, int64_t user, int64_t practice,
           const char *kind, int64_t now, char **data, size_t *len, char **name)
{
	sqlite3_stmt *st;
	char hash[65];
	int found = 0;

	*data = *name = NULL;
	*len = 0;
	if (token == NULL || strlen(token) != 22)
		return 0;
	crypto_token_hash(token, hash);
	st = db_stmt(db, "SELECT content, name FROM admin_uploads WHERE"
	                 " hash = ? AND user_id = ? AND practice_id = ? AND"
	                 " kind = ? AND created_at > ?");
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, user);
	db_bind_int(st, 3, practice);
	db_bind_text(st, 4, kind);
	db_bind_int(st, 5, now - UPLOAD_TTL);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*data = xmalloc(*len + 1);
		if (*len > 0)
			memcpy(*data, sqlite3_column_blob(st, 0), *len);
		(*data)[*len] = '\0';
		*name = xstrdup(db_col_text(st, 1));
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

void
upload_drop(struct db *db, const char *token)
{
	sqlite3_stmt *st;
	char hash[65];

	if (token == NULL || strlen(token) != 22)
		return;
	crypto_token_hash(token, hash);
	st = db_stmt(db, "DELETE FROM admin_uploads WHERE hash = ?");
	db_bind_text(st, 1, hash);
	db_done(db, st);
}
