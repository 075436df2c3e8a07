/*
 * fire_bench: fire a survey campaign to N members (default 100,000) and
 * compare with a bare prepared-INSERT loop writing the same outbox rows into
 * a table of the same shape in one transaction. Each phase runs in its own
 * child process so its peak RSS is its own.
 *
 *   build/fire_bench [MEMBERS]      (run from the top of the tree)
 *
 * The database goes in $TMPDIR (default /tmp).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "campaign.h"
#include "config.h"
#include "db.h"
#include "fire.h"
#include "practice.h"
#include "survey.h"
#include "survey_store.h"
#include "util.h"
#include "xmalloc.h"

struct phase {
	double seconds;
	double bytes; /* subject, body and HTML of the rows */
	long rows;
	long peak_kb;
	double cpu;    /* user + system seconds of the whole child */
	double growth; /* database bytes the phase added */
};

static char dbpath[512], confpath[512];

static void
die(const char *what, const char *cause)
{
	fprintf(stderr, "fire_bench: %s: %s\n", what, cause ? cause : "");
	exit(1);
}

static struct db *
open_db(void)
{
	struct db *db;
	char *cause = NULL;

	if (db_open(dbpath, &db, &cause) == -1 ||
	    db_migrate(db, 0, &cause) == -1)
		die("database", cause);
	/* FIRE_BENCH_CACHE_KB: try a bigger page cache (both phases). */
	if (getenv("FIRE_BENCH_CACHE_KB") != NULL) {
		char *sql = xasprintf("PRAGMA cache_size = -%ld",
		                      atol(getenv("FIRE_BENCH_CACHE_KB")));
		db_exec(db, sql, &cause);
		free(sql);
	}
	return db;
}

static struct config *
load_config(void)
{
	struct config *cfg;
	char *errors = NULL;

	if (config_load(confpath, &cfg, &errors) == -1)
		die("config", errors);
	return cfg;
}

static void
write_config(void)
{
	char cwd[4096];
	FILE *fp = fopen(confpath, "w");

	if (fp == NULL || getcwd(cwd, sizeof cwd) == NULL)
		die("config", "cannot write");
	fprintf(fp,
	        "[daemon]\ntemplates = %s/templates\n"
	        "public_url = https://ppg.example.org\n"
	        "[campaign]\nfrequency_cap = 0\n"
	        "[sms]\nquiet_start = 00:00\nquiet_end = 00:00\n",
	        cwd);
	fclose(fp);
}

/* The practice, the FFT survey and n members (a third prefer SMS). */
static void
populate(long n)
{
	struct db *db = open_db();
	struct practice p = {.code = "A81001", .name = "Riverside Surgery"};
	struct survey *s;
	enum survey_saved how;
	sqlite3_stmt *st;
	char *cause = NULL, email[64], mobile[32];
	int64_t id;
	int version;
	long i;

	if (practice_add(db, &p, &cause) == -1 ||
	    survey_load_file("surveys/fft.yaml", &s, &cause) == -1 ||
	    survey_store_save(db, s, 1, &id, &version, &how, &cause) == -1)
		die("setup", cause);
	survey_free(s);
	db_begin(db);
	st = db_stmt(db, "INSERT INTO members (practice_id, first_name, email,"
	                 " mobile, preferred_channel, consent_email_at,"
	                 " consent_sms_at, joined_at, age_band, created_at,"
	                 " updated_at) VALUES (1, 'Pat', ?, ?, ?, 1, 1, 1,"
	                 " '45-54', 1, 1)");
	for (i = 0; i < n; i++) {
		snprintf(email, sizeof email, "member%ld@example.org", i);
		snprintf(mobile, sizeof mobile, "+4477009%05ld", i % 100000);
		db_bind_text(st, 1, email);
		db_bind_text(st, 2, mobile);
		db_bind_text(st, 3, i % 3 == 0 ? "sms" : "email");
		if (db_done(db, st) == -1)
			die("members", db_errmsg(db));
	}
	db_commit(db);
	db_close(db);
}

static void
cleanup(const char *dir)
{
	static const char *const files[] = {"bench.db", "bench.db-wal",
	                                    "bench.db-shm"};
	char path[300];
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
}

static double
now_s(void)
{
	return util_monotonic();
}

static int64_t
outbox_bytes(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT sum(length(body) +"
	                               " ifnull(length(body_html), 0) +"
	                               " ifnull(length(subject), 0))"
	                               " FROM outbox");
	int64_t n = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* Child: fire the campaign. */
static void
phase_fire(struct phase *ph)
{
	struct db *db = open_db();
	struct config *cfg = load_config();
	struct campaign *c = campaign_new();
	struct fire_result r;
	char *cause = NULL;
	double t0;

	c->name = xstrdup("bench");
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = 1;
	if (campaign_add(db, cfg, c, time(NULL), &cause) == -1)
		die("campaign", cause);
	ph->growth = -(double)db_bytes(db);
	t0 = now_s();
	fire_set_cli(1);                   /* as `ppgd campaign send` */
	if (getenv("BENCH_SLICE") != NULL) /* seconds, e.g. for a profile */
		fire_set_slice(atof(getenv("BENCH_SLICE")));
	if (fire_run(db, cfg, c, time(NULL), 0, time(NULL), &r, &cause) == -1)
		die("fire", cause);
	ph->seconds = now_s() - t0;
	ph->rows = r.messages;
	ph->bytes = (double)outbox_bytes(db);
	ph->growth += (double)db_bytes(db);
	campaign_free(c);
	config_free(cfg);
	db_close(db);
}

struct row {
	int64_t run_id, member_id, practice_id, next_attempt_at, created_at;
	char *channel, *state, *to_addr, *subject, *body, *body_html,
	    *unsubscribe_token;
};

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s ? xstrdup(s) : NULL;
}

/* The rows the fire made, in memory (not timed). */
static struct row *
rows_load(struct db *db, long *n)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT run_id, member_id, practice_id, next_attempt_at,"
	    " created_at, channel, state, to_addr, subject, body, body_html,"
	    " unsubscribe_token FROM outbox ORDER BY id");
	struct row *rows = NULL;
	long k = 0, cap = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		if (k == cap)
			rows = xreallocarray(rows, cap = cap ? cap * 2 : 1024,
			                     sizeof *rows);
		rows[k] = (struct row){sqlite3_column_int64(st, 0),
		                       sqlite3_column_int64(st, 1),
		                       sqlite3_column_int64(st, 2),
		                       sqlite3_column_int64(st, 3),
		                       sqlite3_column_int64(st, 4),
		                       col_dup(st, 5),
		                       col_dup(st, 6),
		                       col_dup(st, 7),
		                       col_dup(st, 8),
		                       col_dup(st, 9),
		                       col_dup(st, 10),
		                       col_dup(st, 11)};
		k++;
	}
	sqlite3_reset(st);
	*n = k;
	return rows;
}

/* outbox_bare: outbox's own DDL and indexes under another name. */
static void
bare_table(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT replace(sql, 'outbox',"
	                               " 'outbox_bare') FROM sqlite_schema"
	                               " WHERE tbl_name = 'outbox' AND sql IS"
	                               " NOT NULL ORDER BY type DESC");
	char *ddl[8], *cause = NULL;
	int n = 0, i;

	while (n < 8 && sqlite3_step(st) == SQLITE_ROW)
		ddl[n++] = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		if (db_exec(db, ddl[i], &cause) == -1)
			die("bare ddl", cause);
		free(ddl[i]);
	}
}

/* Child: the same rows through one prepared INSERT, one transaction. */
static void
phase_bare(struct phase *ph)
{
	struct db *db = open_db();
	struct row *rows;
	sqlite3_stmt *st;
	long n, i;
	double t0;

	rows = rows_load(db, &n);
	bare_table(db);
	t0 = now_s();
	db_begin(db);
	st = db_stmt(db, "INSERT INTO outbox_bare (run_id, member_id,"
	                 " practice_id, channel, purpose, state, to_addr,"
	                 " subject, body, body_html, unsubscribe_token,"
	                 " next_attempt_at, created_at) VALUES (?, ?, ?, ?,"
	                 " 'campaign', ?, ?, ?, ?, ?, ?, ?, ?)");
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		db_bind_int(st, 1, rows[i].run_id);
		db_bind_int(st, 2, rows[i].member_id);
		db_bind_int(st, 3, rows[i].practice_id);
		db_bind_static(st, 4, rows[i].channel);
		db_bind_static(st, 5, rows[i].state);
		db_bind_static(st, 6, rows[i].to_addr);
		db_bind_static(st, 7, rows[i].subject);
		db_bind_static(st, 8, rows[i].body);
		db_bind_static(st, 9, rows[i].body_html);
		db_bind_static(st, 10, rows[i].unsubscribe_token);
		db_bind_int(st, 11, rows[i].next_attempt_at);
		db_bind_int(st, 12, rows[i].created_at);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("bare insert", db_errmsg(db));
	}
	sqlite3_reset(st);
	db_commit(db);
	ph->seconds = now_s() - t0;
	ph->rows = n;
	db_close(db);
}

/* This process's peak RSS in KiB (VmHWM), or 0. */
static long
peak_rss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (fp != NULL)
		fclose(fp);
	return kb;
}

/* Run fn in a child; its result and peak RSS. */
static struct phase
run_child(void (*fn)(struct phase *))
{
	struct phase ph = {0};
	struct rusage ru;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) == -1)
		die("pipe", NULL);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		fn(&ph);
		ph.peak_kb = peak_rss_kb();
		if (write(fds[1], &ph, sizeof ph) != sizeof ph)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &ph, sizeof ph) != sizeof ph)
		die("child", "no result");
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) == -1 || status != 0)
		die("child", "failed");
	if (ph.peak_kb == 0)
		ph.peak_kb = ru.ru_maxrss;
	ph.cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	         ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return ph;
}

static void
print_phase(const char *name, const struct phase *ph)
{
	printf("%-28s %8ld rows  %7.3f s  %9.0f rows/s  peak RSS %6.1f MiB"
	       "  (child CPU %.2f s)\n",
	       name, ph->rows, ph->seconds, ph->rows / ph->seconds,
	       ph->peak_kb / 1024.0, ph->cpu);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	struct phase fire, bare;

	snprintf(dir, sizeof dir, "%s/ppgd-fire-bench-XXXXXX",
	         tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	snprintf(dbpath, sizeof dbpath, "%s/bench.db", dir);
	snprintf(confpath, sizeof confpath, "%s/ppgd.conf", dir);
	write_config();
	populate(n);
	fire = run_child(phase_fire);
	bare = run_child(phase_bare);
	printf("fire_bench: a survey campaign to %ld members (database in %s, "
	       "WAL; %.0f MB of outbox text)\n",
	       n, dir, fire.bytes / 1e6);
	print_phase("campaign fire (fire_run)", &fire);
	print_phase("bare prepared INSERT loop", &bare);
	printf("database growth of the fire: %.0f MB, %.0f bytes per message\n",
	       fire.growth / 1e6,
	       fire.growth / (fire.rows > 0 ? fire.rows : 1));
	printf("(the bare loop holds its input rows in memory: most of its "
	       "RSS)\n");
	printf("ratio fire/bare: %.2fx (aim: within 3x, under 2 s)\n",
	       fire.seconds / bare.seconds);
	if (getenv("FIRE_BENCH_KEEP") == NULL)
		cleanup(dir);
	unlink(confpath);
	rmdir(dir);
	return 0;
}
