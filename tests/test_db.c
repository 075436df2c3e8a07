/* Storage: migrations from every earlier version, statements, backup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "schema.h"

static struct db *
open_mem(void)
{
	struct db *db;
	char *cause = NULL;

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	return db;
}

/* The tables and columns of a database, as one comparable string. */
static char *
schema_dump(struct db *db)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT m.name || '.' || p.name || ':' || p.type || ','"
	                " FROM sqlite_schema m JOIN pragma_table_info(m.name) p"
	                " WHERE m.type = 'table' ORDER BY m.name, p.cid");
	size_t cap = 65536, len = 0;
	char *out = calloc(1, cap);

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		assert_true(len + strlen(s) + 1 < cap);
		strcpy(out + len, s);
		len += strlen(s);
	}
	sqlite3_reset(st);
	return out;
}

static void
test_fresh_is_latest(void **state)
{
	struct db *db = open_mem();
	char *cause = NULL;

	assert_int_equal(db_version(db), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(db_version(db), schema_latest());
	/* Migrating again is a no-op. */
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(db_version(db), schema_latest());
	db_close(db);
}

/* Every earlier version, with a row in it, upgrades to the same schema. */
static void
test_upgrade_from_every_version(void **state)
{
	struct db *ref = open_mem(), *db;
	char *cause = NULL, *want, *got;
	int v;

	assert_int_equal(db_migrate(ref, 0, &cause), 0);
	want = schema_dump(ref);
	for (v = 1; v < schema_latest(); v++) {
		db = open_mem();
		assert_int_equal(db_migrate(db, v, &cause), 0);
		assert_int_equal(db_version(db), v);
		assert_int_equal(
		    db_exec(db,
		            "INSERT INTO practices (code, name, created_at)"
		            " VALUES ('A1', 'Old', 1)",
		            &cause),
		    0);
		assert_int_equal(db_migrate(db, 0, &cause), 0);
		assert_int_equal(db_version(db), schema_latest());
		got = schema_dump(db);
		assert_string_equal(got, want);
		free(got);
		/* The data survives the upgrade. */
		sqlite3_stmt *st =
		    db_stmt(db, "SELECT name FROM practices WHERE code='A1'");
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(db_col_text(st, 0), "Old");
		sqlite3_reset(st);
		db_close(db);
	}
	free(want);
	db_close(ref);
}

static void
test_newer_schema_refused(void **state)
{
	struct db *db = open_mem();
	char *cause = NULL, *sql;

	sql = malloc(64);
	snprintf(sql, 64, "PRAGMA user_version=%d", schema_latest() + 1);
	assert_int_equal(db_exec(db, sql, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), -1);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	free(sql);
	db_close(db);
}

static void
test_stmt_cache_and_fk(void **state)
{
	struct db *db = open_mem();
	char *cause = NULL;
	sqlite3_stmt *a, *b;

	assert_int_equal(db_migrate(db, 0, &cause), 0);
	a = db_stmt(db, "SELECT 1");
	b = db_stmt(db, "SELECT 1");
	assert_ptr_equal(a, b);
	/* Foreign keys are enforced: a member needs a practice. */
	assert_int_equal(db_exec(db,
	                         "INSERT INTO members (practice_id, joined_at,"
	                         " created_at, updated_at) VALUES (99, 1,1,1)",
	                         &cause),
	                 -1);
	assert_non_null(strstr(cause, "FOREIGN KEY"));
	free(cause);
	db_close(db);
}

static void
test_backup(void **state)
{
	char dir[] = "/tmp/ppgd-test-XXXXXX", src[128], dst[128];
	struct db *db, *copy;
	char *cause = NULL;
	sqlite3_stmt *st;

	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/a.db", dir);
	snprintf(dst, sizeof dst, "%s/b.db", dir);
	assert_int_equal(db_open(src, &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO practices (code, name, created_at)"
	            " VALUES ('B1', 'Backed up', 1)",
	            &cause),
	    0);
	assert_int_equal(db_backup(db, dst, &cause), 0);
	assert_int_equal(db_open(dst, &copy, &cause), 0);
	assert_int_equal(db_version(copy), schema_latest());
	st = db_stmt(copy, "SELECT name FROM practices");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "Backed up");
	sqlite3_reset(st);
	db_close(copy);
	db_close(db);
	unlink(src);
	unlink(dst);
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", src);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", src);
	unlink(wal);
	rmdir(dir);
}

/* The single-row helpers leave nothing stepped, row or not. */
static void
test_row_helpers_reset(void **state)
{
	struct db *db = open_mem();
	sqlite3_stmt *st;
	char *cause = NULL, *s;
	int64_t v = -1;

	assert_int_equal(db_exec(db,
	                         "CREATE TABLE t (a INTEGER, b TEXT);"
	                         "INSERT INTO t VALUES (1, 'x'), (2, 'y');",
	                         &cause),
	                 0);
	st = db_stmt(db, "SELECT a FROM t WHERE a >= ? ORDER BY a");
	db_bind_int(st, 1, 1);
	assert_int_equal(db_row_int(db, st, &v), 1);
	assert_int_equal(v, 1);
	assert_false(sqlite3_stmt_busy(st));
	db_bind_int(st, 1, 9);
	v = -1;
	assert_int_equal(db_row_int(db, st, &v), 0);
	assert_int_equal(v, -1);
	st = db_stmt(db, "SELECT b FROM t ORDER BY a");
	s = db_row_text(db, st);
	assert_string_equal(s, "x");
	free(s);
	assert_false(sqlite3_stmt_busy(st));
	assert_int_equal(db_exists(db, db_stmt(db, "SELECT 1 FROM t")), 1);
	assert_int_equal(db_int(db, db_stmt(db, "SELECT count(*) FROM t"), 0),
	                 2);
	assert_int_equal(db_idle(db, "test"), 0);
	db_close(db);
}

/*
 * Issue 10 fault 1: a read left stepped keeps the connection on its old
 * snapshot, so once another process writes, BEGIN IMMEDIATE fails until the
 * statement is reset; db_idle finds and resets it (outside strict mode).
 */
static void
test_idle_resets_stale_read(void **state)
{
	char dir[] = "/tmp/ppgd-test-XXXXXX", path[128];
	struct db *a, *b;
	sqlite3_stmt *st;
	char *cause = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	assert_int_equal(db_open(path, &a, &cause), 0);
	assert_int_equal(db_open(path, &b, &cause), 0);
	db_set_strict(a, 0);
	sqlite3_busy_timeout(db_handle(a), 0);
	assert_int_equal(db_exec(a,
	                         "CREATE TABLE t (a INTEGER);"
	                         "INSERT INTO t VALUES (1), (2);",
	                         &cause),
	                 0);
	st = db_stmt(a, "SELECT a FROM t");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(db_exec(b, "INSERT INTO t VALUES (3)", &cause), 0);
	assert_int_equal(
	    sqlite3_exec(db_handle(a), "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_BUSY_SNAPSHOT);
	assert_int_equal(db_idle(a, "test"), 1);
	assert_false(sqlite3_stmt_busy(st));
	assert_int_equal(db_begin(a), 0);
	assert_int_equal(db_commit(a), 0);
	assert_int_equal(db_idle(a, "test"), 0);
	db_close(a);
	db_close(b);
	unlink(path);
	snprintf(path, sizeof path, "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * A VFS over the default one that counts syncs of WAL files: enough to see
 * whether a commit reaches the disk before it returns.
 */
static sqlite3_vfs *real_vfs;
static int wal_syncs;

struct shim_file {
	sqlite3_file base;
	int wal;
	sqlite3_file *real; /* follows this struct in the same allocation */
};

static sqlite3_io_methods shim_io;

static int
shim_sync(sqlite3_file *f, int flags)
{
	struct shim_file *s = (struct shim_file *)f;

	if (s->wal)
		wal_syncs++;
	return s->real->pMethods->xSync(s->real, flags);
}

#define SHIM_FWD(name, args, call)                                             \
	static int shim_##name args                                            \
	{                                                                      \
		sqlite3_file *r = ((struct shim_file *)f)->real;               \
		return r->pMethods->x##call;                                   \
	}
SHIM_FWD(close, (sqlite3_file * f), Close(r))
SHIM_FWD(read, (sqlite3_file * f, void *b, int n, sqlite3_int64 o),
         Read(r, b, n, o))
SHIM_FWD(write, (sqlite3_file * f, const void *b, int n, sqlite3_int64 o),
         Write(r, b, n, o))
SHIM_FWD(truncate, (sqlite3_file * f, sqlite3_int64 n), Truncate(r, n))
SHIM_FWD(size, (sqlite3_file * f, sqlite3_int64 *n), FileSize(r, n))
SHIM_FWD(lock, (sqlite3_file * f, int l), Lock(r, l))
SHIM_FWD(unlock, (sqlite3_file * f, int l), Unlock(r, l))
SHIM_FWD(reserved, (sqlite3_file * f, int *o), CheckReservedLock(r, o))
SHIM_FWD(fcntl, (sqlite3_file * f, int op, void *a), FileControl(r, op, a))
SHIM_FWD(sector, (sqlite3_file * f), SectorSize(r))
SHIM_FWD(devchar, (sqlite3_file * f), DeviceCharacteristics(r))
SHIM_FWD(shmmap, (sqlite3_file * f, int i, int n, int e, void volatile **p),
         ShmMap(r, i, n, e, p))
SHIM_FWD(shmlock, (sqlite3_file * f, int o, int n, int fl),
         ShmLock(r, o, n, fl))
SHIM_FWD(shmunmap, (sqlite3_file * f, int d), ShmUnmap(r, d))

static void
shim_barrier(sqlite3_file *f)
{
	sqlite3_file *r = ((struct shim_file *)f)->real;

	r->pMethods->xShmBarrier(r);
}

static int
shim_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags,
          int *out)
{
	struct shim_file *s = (struct shim_file *)f;
	int rc;

	s->real = (sqlite3_file *)(s + 1);
	s->wal = (flags & SQLITE_OPEN_WAL) != 0;
	rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
	s->base.pMethods = rc == SQLITE_OK ? &shim_io : NULL;
	return rc;
}

static sqlite3_vfs shim_vfs;

static void
shim_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	shim_vfs = *real_vfs;
	shim_vfs.zName = "ppgd-test-shim";
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
	shim_vfs.xOpen = shim_open;
	shim_io = (sqlite3_io_methods){3,
	                               shim_close,
	                               shim_read,
	                               shim_write,
	                               shim_truncate,
	                               shim_sync,
	                               shim_size,
	                               shim_lock,
	                               shim_unlock,
	                               shim_reserved,
	                               shim_fcntl,
	                               shim_sector,
	                               shim_devchar,
	                               shim_shmmap,
	                               shim_shmlock,
	                               shim_barrier,
	                               shim_shmunmap,
	                               NULL,
	                               NULL};
	assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/*
 * Issue 10 fault 3: a commit (what a webhook's 200 waits for) is on disk
 * when it returns: the WAL is synced by the commit itself, not only at a
 * later checkpoint as with synchronous=NORMAL.
 */
static void
test_commit_syncs_wal(void **state)
{
	char dir[] = "/tmp/ppgd-test-XXXXXX", path[128];
	struct db *db;
	char *cause = NULL;
	int before;

	shim_install();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	assert_int_equal(db_open(path, &db, &cause), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE t (a INTEGER)", &cause), 0);
	before = wal_syncs;
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_done(db, db_stmt(db, "INSERT INTO t VALUES (1)")),
	                 0);
	assert_int_equal(db_commit(db), 0);
	assert_true(wal_syncs > before);
	db_close(db);
	sqlite3_vfs_unregister(&shim_vfs);
	unlink(path);
	snprintf(path, sizeof path, "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* In strict mode (the tests') a statement left stepped stops the process. */
static void
test_idle_strict_is_fatal(void **state)
{
	struct db *db = open_mem();
	sqlite3_stmt *st;
	pid_t pid;
	int status;

	st = db_stmt(db, "SELECT 1 UNION ALL SELECT 2");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(0);
		db_set_strict(db, 1);
		db_idle(db, "test");
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	db_set_strict(db, 0);
	assert_int_equal(db_idle(db, "test"), 1);
	db_close(db);
}

/*
 * 1 if another process sees our connections' hold on the file: the read
 * lock a connection in WAL mode keeps on SQLite's shared byte range
 * (PENDING_BYTE + 2, 510 bytes: the file format's lock layout), which
 * tells a closing connection elsewhere it is not the last one.
 */
static int
held_seen_by_other_process(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct flock fl = {.l_type = F_WRLCK,
		                   .l_whence = SEEK_SET,
		                   .l_start = 0x40000000 + 2,
		                   .l_len = 510};
		int fd = open(path, O_RDWR);

		_exit(fd != -1 && fcntl(fd, F_GETLK, &fl) == 0 &&
		              fl.l_type != F_UNLCK
		          ? 0
		          : 1);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/*
 * A worker's reader: it sees what the main connection commits, may not
 * write, and opening it leaves the main connection's hold on the file (a
 * POSIX lock, which closing any descriptor of the file would drop) intact.
 */
static void
test_open_reader(void **state)
{
	char dir[] = "/tmp/ppgd-test-XXXXXX", path[128];
	struct db *a, *r;
	char *cause = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	assert_int_equal(db_open(path, &a, &cause), 0);
	assert_int_equal(db_exec(a,
	                         "CREATE TABLE t (a INTEGER);"
	                         "INSERT INTO t VALUES (1);",
	                         &cause),
	                 0);
	assert_true(held_seen_by_other_process(path));
	assert_int_equal(db_open_reader(a, &r, &cause), 0);
	assert_true(held_seen_by_other_process(path));
	assert_int_equal(db_exec(a, "INSERT INTO t VALUES (2)", &cause), 0);
	assert_int_equal(db_int(r, db_stmt(r, "SELECT count(*) FROM t"), -1),
	                 2);
	assert_int_equal(db_exec(r, "INSERT INTO t VALUES (3)", &cause), -1);
	free(cause);
	cause = NULL;
	db_close(r);
	assert_true(held_seen_by_other_process(path));
	db_close(a);
	assert_int_equal(db_open(":memory:", &a, &cause), 0);
	assert_int_equal(db_open_reader(a, &r, &cause), -1);
	free(cause);
	db_close(a);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fresh_is_latest),
	    cmocka_unit_test(test_upgrade_from_every_version),
	    cmocka_unit_test(test_newer_schema_refused),
	    cmocka_unit_test(test_stmt_cache_and_fk),
	    cmocka_unit_test(test_backup),
	    cmocka_unit_test(test_row_helpers_reset),
	    cmocka_unit_test(test_idle_resets_stale_read),
	    cmocka_unit_test(test_idle_strict_is_fatal),
	    cmocka_unit_test(test_commit_syncs_wal),
	    cmocka_unit_test(test_open_reader),
	};
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
