/* SQLite storage: WAL, foreign keys, a busy timeout, cached statements. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "ratelog.h"
#include "schema.h"
#include "util.h"
#include "xmalloc.h"

#define STMT_BUCKETS 256

struct stmt_entry {
	char *sql;
	sqlite3_stmt *stmt;
	struct stmt_entry *next;
};

struct db {
	sqlite3 *h;
	int strict;     /* a busy statement at db_idle is fatal */
	int busy_quiet; /* the caller reports a locked database itself */
	double last_commit, failing_since, last_failed; /* db_write_health */
	char actor[64]; /* who acts, for audit rows that do not say */
	struct stmt_entry *buckets[STMT_BUCKETS];
	/* Callers pass string literals: look up by address first. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} fast[STMT_BUCKETS];
};

static int db_busy_check(struct db *, const char *where, int reset);

static unsigned
sql_hash(const char *s)
{
	unsigned h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % STMT_BUCKETS;
}

/*
 * The database holds personal data: create a new file 0600 whatever the
 * umask (SQLite would make it 0644); its -wal and -shm files follow it.
 */
static void
db_precreate(const char *path)
{
	int fd;

	if (*path == '\0' || strcmp(path, ":memory:") == 0 ||
	    strncmp(path, "file:", 5) == 0)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
}

int
db_open(const char *path, struct db **out, char **cause)
{
	struct db *db = xcalloc(1, sizeof *db);
	/* secure_delete: erased personal data is overwritten, not left in
	 * free space for a later VACUUM. synchronous=FULL: a commit is on
	 * disk (the WAL synced) before it returns, so a 200 or an "ok" that
	 * follows it survives a power loss; batching commits keeps the cost
	 * of the fsync low. */
	static const char *pragmas = "PRAGMA journal_mode=WAL;"
	                             "PRAGMA synchronous=FULL;"
	                             "PRAGMA foreign_keys=ON;"
	                             "PRAGMA secure_delete=ON;";

	db_precreate(path);
	if (sqlite3_open_v2(path, &db->h,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path,
		                   db->h ? sqlite3_errmsg(db->h) : "no memory");
		db_close(db);
		return -1;
	}
	snprintf(db->actor, sizeof db->actor, "ppgd");
	db->last_commit = util_monotonic();
	db->strict = getenv("PPGD_STRICT_DB") != NULL &&
	             *getenv("PPGD_STRICT_DB") != '\0';
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	if (db_exec(db, pragmas, cause) == -1) {
		char *c = *cause;
		*cause = xasprintf("%s: %s", path, c);
		free(c);
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void
db_close(struct db *db)
{
	struct stmt_entry *e, *next;
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT_BUCKETS; i++) {
		for (e = db->buckets[i]; e != NULL; e = next) {
			next = e->next;
			sqlite3_finalize(e->stmt);
			free(e->sql);
			free(e);
		}
	}
	if (db->h != NULL)
		sqlite3_close(db->h);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

static sqlite3_stmt *
stmt_ready(struct db *db, const char *sql, sqlite3_stmt *stmt)
{
	unsigned f = (unsigned)(((uintptr_t)sql >> 3) % STMT_BUCKETS);

	db->fast[f].sql = sql;
	db->fast[f].stmt = stmt;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	unsigned f = (unsigned)(((uintptr_t)sql >> 3) % STMT_BUCKETS), b;
	struct stmt_entry *e;

	if (db->fast[f].sql == sql)
		return stmt_ready(db, sql, db->fast[f].stmt);
	b = sql_hash(sql);
	for (e = db->buckets[b]; e != NULL; e = e->next)
		if (strcmp(e->sql, sql) == 0)
			return stmt_ready(db, sql, e->stmt);
	e = xcalloc(1, sizeof *e);
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                       &e->stmt, NULL) != SQLITE_OK)
		fatalx("prepare: %s: %s", sqlite3_errmsg(db->h), sql);
	e->sql = xstrdup(sql);
	e->next = db->buckets[b];
	db->buckets[b] = e;
	return stmt_ready(db, sql, e->stmt);
}

int
db_exec(struct db *db, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xstrdup(err ? err : sqlite3_errmsg(db->h));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
db_simple(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		/* A locked database: the CLI says so itself, once; the
		 * daemon logs it at most once a second. */
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			log_warnx("database: %s: %s", sql,
			          sqlite3_errmsg(db->h));
		else if (!db->busy_quiet)
			ratelog_warnx("database_busy", "database: %s: %s", sql,
			              sqlite3_errmsg(db->h));
		return -1;
	}
	return 0;
}

/* A write that failed or committed, for db_write_health. */
static int
db_write_outcome(struct db *db, int rc, int committed)
{
	double now = util_monotonic();

	if (rc == -1) {
		if (db->failing_since == 0)
			db->failing_since = now;
		db->last_failed = now;
	} else if (rc == 0 && committed) {
		db->last_commit = now;
		db->failing_since = 0;
	}
	return rc;
}

int
db_begin(struct db *db)
{
	db_busy_check(db, "begin", 0);
	/* IMMEDIATE: take the write lock now, so busy_timeout applies here. */
	return db_write_outcome(db, db_simple(db, "BEGIN IMMEDIATE"), 0);
}

int
db_try_begin(struct db *db)
{
	sqlite3_stmt *st;
	int rc;

	db_idle(db, "begin");
	st = db_stmt(db, "BEGIN IMMEDIATE");
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY)
		return 1;
	log_warnx("database: BEGIN IMMEDIATE: %s", sqlite3_errmsg(db->h));
	return -1;
}

int
db_busy(struct db *db)
{
	return (sqlite3_errcode(db->h) & 0xff) == SQLITE_BUSY;
}

int64_t
db_data_version(struct db *db)
{
	return db_int(db, db_stmt(db, "PRAGMA data_version"), -1);
}

long
db_lock_backoff(long *us)
{
	*us = *us == 0 ? 2000 : *us * 2;
	if (*us > 50000)
		*us = 50000;
	return *us;
}

int
db_slice(struct db *db, double *started)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	double now = util_monotonic();

	if (now - *started < DB_SLICE_MS / 1000.0)
		return 0;
	if (db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	nanosleep(&pause, NULL);
	*started = util_monotonic();
	return db_begin(db) == 0 ? 1 : -1;
}

int
db_commit(struct db *db)
{
	return db_write_outcome(db, db_simple(db, "COMMIT"), 1);
}

void
db_write_health(struct db *db, double *last_commit, double *failing_since,
                double *last_failed)
{
	*last_commit = db->last_commit;
	*failing_since = db->failing_since;
	*last_failed = db->last_failed;
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		db_simple(db, "ROLLBACK");
}

int
db_done(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_debug("database: %s", sqlite3_errmsg(db->h));
		return -1;
	}
	return 0;
}

static int
db_row_step(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("database: %s", sqlite3_errmsg(db->h));
	return -1;
}

int
db_row(struct db *db, sqlite3_stmt *st, db_row_fn fn, void *arg)
{
	int rc = db_row_step(db, st);

	if (rc == 1 && fn != NULL)
		fn(st, arg);
	sqlite3_reset(st);
	return rc;
}

int
db_row_int(struct db *db, sqlite3_stmt *st, int64_t *out)
{
	int rc = db_row_step(db, st);

	if (rc == 1)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc;
}

int64_t
db_int(struct db *db, sqlite3_stmt *st, int64_t dflt)
{
	db_row_int(db, st, &dflt);
	return dflt;
}

char *
db_row_text(struct db *db, sqlite3_stmt *st)
{
	const char *s;
	char *copy = NULL;

	if (db_row_step(db, st) == 1 && (s = db_col_text(st, 0)) != NULL)
		copy = xstrdup(s);
	sqlite3_reset(st);
	return copy;
}

int
db_exists(struct db *db, sqlite3_stmt *st)
{
	return db_row(db, st, NULL, NULL) == 1;
}

void
db_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
}

/*
 * Busy statements: fatal in strict mode, else logged and, if reset is set,
 * reset. At the start of a transaction a busy statement may be a caller's
 * loop that is still reading: resetting it would restart that loop.
 */
static int
db_busy_check(struct db *db, const char *where, int reset)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	while ((st = sqlite3_next_stmt(db->h, st)) != NULL) {
		if (!sqlite3_stmt_busy(st))
			continue;
		n++;
		if (db->strict)
			fatalx("database: statement left stepped at %s: %s",
			       where, sqlite3_sql(st));
		log_warnx("event=stmt_leak where=%s sql=\"%.60s\"", where,
		          sqlite3_sql(st));
		if (reset)
			sqlite3_reset(st);
	}
	return n;
}

int
db_idle(struct db *db, const char *where)
{
	return db_busy_check(db, where, 1);
}

void
db_set_strict(struct db *db, int on)
{
	db->strict = on;
}

int64_t
db_last_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

int
db_changes(struct db *db)
{
	return sqlite3_changes(db->h);
}

const char *
db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

void
db_bind_static(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

void
db_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

const char *
db_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int
db_version(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA user_version");
	int v = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v;
}

/* One migration and its version bump in one transaction. */
static int
db_migrate_one(struct db *db, int v, char **cause)
{
	char *sql, *err = NULL;

	sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;",
	                schema_migration(v), v);
	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf("migration %d: %s", v,
		                   err ? err : sqlite3_errmsg(db->h));
		sqlite3_free(err);
		db_rollback(db);
		free(sql);
		return -1;
	}
	free(sql);
	log_debug("event=migrate version=%d", v);
	return 0;
}

int
db_migrate(struct db *db, int to, char **cause)
{
	int v = db_version(db);

	if (to <= 0)
		to = schema_latest();
	if (v > schema_latest()) {
		*cause = xasprintf("database schema %d is newer than this ppgd "
		                   "(%d); upgrade ppgd",
		                   v, schema_latest());
		return -1;
	}
	for (v = v + 1; v <= to; v++)
		if (db_migrate_one(db, v, cause) == -1)
			return -1;
	return 0;
}

/* Copy the database into tmp, a new empty file; fn sees the pages done. */
static int
db_backup_into(struct db *db, const char *tmp, const char *file,
               void (*fn)(int, int, void *), void *arg, char **cause)
{
	sqlite3 *dst;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(tmp, &dst,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
	                    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", file, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	b = sqlite3_backup_init(dst, "main", db->h, "main");
	if (b == NULL) {
		*cause = xasprintf("%s: %s", file, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	/* Copy in steps so a running daemon's writers are not starved. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (fn != NULL)
			fn(sqlite3_backup_pagecount(b) -
			       sqlite3_backup_remaining(b),
			   sqlite3_backup_pagecount(b), arg);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", file, sqlite3_errstr(rc));
		sqlite3_close(dst);
		return -1;
	}
	rc = sqlite3_close(dst);
	if (rc != SQLITE_OK)
		*cause = xasprintf("%s: %s", file, sqlite3_errstr(rc));
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * A backup is the whole register: it goes to a new 0600 file, never into an
 * existing one (which would keep its permissions) nor through a symbolic
 * link, and is renamed into place only when complete.
 */
int
db_backup_progress(struct db *db, const char *file,
                   void (*fn)(int, int, void *), void *arg, char **cause)
{
	char *tmp;
	int fd, rc;

	if ((fd = util_private_open(file, &tmp, cause)) == -1)
		return -1;
	rc = db_backup_into(db, tmp, file, fn, arg, cause);
	rc = util_private_commit(fd, tmp, file, rc == 0, cause) == 0 ? rc : -1;
	close(fd);
	return rc;
}

int
db_backup(struct db *db, const char *file, char **cause)
{
	return db_backup_progress(db, file, NULL, NULL, cause);
}

int64_t
db_bytes(struct db *db)
{
	sqlite3_stmt *st;
	int64_t pages = 0, size = 0;

	st = db_stmt(db, "PRAGMA page_count");
	if (sqlite3_step(st) == SQLITE_ROW)
		pages = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = db_stmt(db, "PRAGMA page_size");
	if (sqlite3_step(st) == SQLITE_ROW)
		size = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return pages * size;
}

int
db_audit(struct db *db, const char *actor, const char *action,
         const char *object, const char *detail)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO audit (at, actor, action,"
	                               " object, detail) VALUES (?,?,?,?,?)");

	db_bind_int(st, 1, time(NULL));
	db_bind_text(st, 2, actor != NULL ? actor : db->actor);
	db_bind_text(st, 3, action);
	db_bind_text(st, 4, object);
	db_bind_text(st, 5, detail);
	return db_done(db, st);
}

int
db_audit_each(struct db *db, const char *object, int limit,
              int (*fn)(int64_t, const char *, const char *, const char *,
                        void *),
              void *arg)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT at, actor, action, detail FROM"
	                " audit WHERE object = ? ORDER BY id DESC"
	                " LIMIT ?");
	int rc;

	db_bind_text(st, 1, object);
	db_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(sqlite3_column_int64(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2),
		       (const char *)sqlite3_column_text(st, 3), arg) != 0)
			break;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

void
db_set_busy_quiet(struct db *db, int quiet)
{
	db->busy_quiet = quiet;
}

void
db_set_actor(struct db *db, const char *actor)
{
	snprintf(db->actor, sizeof db->actor, "%s", actor);
}

/*
 * A reader for a worker thread: another connection to the file of db, kept
 * read-only (query_only). Unlike db_open it neither creates nor touches the
 * file: closing any descriptor of a database file drops every POSIX lock
 * the process holds on it, the open connections' included.
 */
int
db_open_reader(struct db *main, struct db **out, char **cause)
{
	const char *path = sqlite3_db_filename(main->h, "main");
	struct db *db;

	if (path == NULL || *path == '\0') {
		*cause = xstrdup("an in-memory database has one connection");
		return -1;
	}
	db = xcalloc(1, sizeof *db);
	snprintf(db->actor, sizeof db->actor, "%s", main->actor);
	db->last_commit = util_monotonic();
	db->strict = main->strict;
	if (sqlite3_open_v2(path, &db->h,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path,
		                   db->h ? sqlite3_errmsg(db->h) : "no memory");
		db_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	if (db_exec(db, "PRAGMA query_only = ON", cause) == -1) {
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}
