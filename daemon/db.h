/* SQLite storage: one connection, WAL, cached prepared statements. */
#ifndef PPGD_DB_H
#define PPGD_DB_H

#include <stdint.h>
#include <sqlite3.h>

struct db;

/* Open (and create) path; ":memory:" works. Does not migrate. */
int db_open(const char *path, struct db **out, char **cause);
/* Another connection to db's file, read-only, for a worker thread (no
 * file created). -1 with *cause for an in-memory database. */
int db_open_reader(struct db *db, struct db **out, char **cause);
void db_close(struct db *);
sqlite3 *db_handle(struct db *);
/* The schema version of the open database. */
int db_version(struct db *);
/* Migrate to the newest schema, or to version `to` if it is > 0. */
int db_migrate(struct db *, int to, char **cause);
/*
 * A prepared statement for sql, kept for the connection's life and reset
 * before it is returned. A statement that does not compile is a bug: fatal.
 */
sqlite3_stmt *db_stmt(struct db *, const char *sql);
/* Run SQL without results. */
int db_exec(struct db *, const char *sql, char **cause);
int db_begin(struct db *);
/* BEGIN IMMEDIATE that does not wait: 0, 1 if another connection holds the
 * write lock (nothing logged), -1 on another error. */
int db_try_begin(struct db *);
/* 1 if the connection's last error was SQLITE_BUSY (the write lock). */
int db_busy(struct db *);
/* PRAGMA data_version: it changes when another connection commits; -1 if
 * it cannot be read. */
int64_t db_data_version(struct db *);
/*
 * The loop's next wait, in microseconds, for a write lock another process
 * holds: 2 ms, doubling to 50 ms; *us is the last (0: none yet).
 */
long db_lock_backoff(long *us);
/*
 * For a bulk writer inside db_begin: once the transaction is DB_SLICE_MS
 * old (*started, util_monotonic), commit it, pause a moment so a waiting
 * writer (the daemon's webhooks) can take the lock, and begin again. 1 if
 * it did, 0 if it was not yet time, -1 if the commit or the new begin
 * failed (no transaction is then open).
 */
#define DB_SLICE_MS 50
int db_slice(struct db *, double *started);
int db_commit(struct db *);
void db_rollback(struct db *);
/* Step a statement expected to finish (INSERT/UPDATE/DELETE); 0 or -1. */
int db_done(struct db *, sqlite3_stmt *);
/*
 * Single-row reads. Each steps st once and resets it whatever happens, so
 * a read never keeps the connection on an old snapshot. They return 1 for
 * a row, 0 for none, -1 on an error (logged).
 */
typedef void (*db_row_fn)(sqlite3_stmt *, void *arg);
/* Call fn on the row, if there is one, before the reset. */
int db_row(struct db *, sqlite3_stmt *, db_row_fn fn, void *arg);
/* Column 0 of the row as an integer in *out (untouched if no row). */
int db_row_int(struct db *, sqlite3_stmt *, int64_t *out);
/* Column 0 of the row, or dflt if there is no row. */
int64_t db_int(struct db *, sqlite3_stmt *, int64_t dflt);
/* Column 0 of the row as a copy, or NULL. Caller frees. */
char *db_row_text(struct db *, sqlite3_stmt *);
/* 1 if st returns a row. */
int db_exists(struct db *, sqlite3_stmt *);
/* Reset a statement stepped by hand (a loop that stops early). */
void db_reset(sqlite3_stmt *);
/*
 * No statement may be left stepped between events: called after each HTTP
 * handler and timer callback (db_begin checks too, without the reset). A
 * busy statement is a bug: fatal in strict mode (tests), else logged and
 * reset. Returns the number found.
 */
int db_idle(struct db *, const char *where);
/*
 * The write path's health, in monotonic seconds: when a transaction last
 * committed (the open counts as one), since when every BEGIN or COMMIT has
 * failed (0: the last one worked), and when the last one failed.
 */
void db_write_health(struct db *, double *last_commit, double *failing_since,
                     double *last_failed);
/* Strict statement checks; on by default when $PPGD_STRICT_DB is set. */
void db_set_strict(struct db *, int on);
int64_t db_last_id(struct db *);
int db_changes(struct db *);
/* The last error message of the connection. */
const char *db_errmsg(struct db *);
/* Bind helpers: NULL text binds SQL NULL. */
void db_bind_text(sqlite3_stmt *, int, const char *);
/* Bind without a copy: s must outlive the statement's next step. */
void db_bind_static(sqlite3_stmt *, int, const char *);
void db_bind_int(sqlite3_stmt *, int, int64_t);
/* A column as text, or NULL. */
const char *db_col_text(sqlite3_stmt *, int);
/* Online backup to file. */
int db_backup(struct db *, const char *file, char **cause);
/* The same, calling fn (if not NULL) after each step with the pages copied
 * and the total. */
int db_backup_progress(struct db *, const char *file,
                       void (*fn)(int done, int total, void *), void *arg,
                       char **cause);
/* Database size in bytes (page_count * page_size). */
int64_t db_bytes(struct db *);
/* Who acts on this connection from now on ("cli", "api:NAME"...). */
void db_set_actor(struct db *, const char *actor);
/* A locked database is reported by the caller (the CLI), not logged. */
void db_set_busy_quiet(struct db *, int quiet);
/* Record an audit row (no personal data in detail); actor NULL: the
 * connection's. */
int db_audit(struct db *, const char *actor, const char *action,
             const char *object, const char *detail);
/* Call fn for each audit row of object ("member:12"), newest first, at most
 * limit rows; fn returns non-zero to stop. */
int db_audit_each(struct db *, const char *object, int limit,
                  int (*fn)(int64_t at, const char *actor, const char *action,
                            const char *detail, void *),
                  void *arg);

#endif
