/* /healthz and /metrics. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "app.h"
#include "care_alert.h"
#include "http.h"
#include "server.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

static int
db_ok(struct db *db)
{
	return db_exists(db, db_stmt(db, "SELECT count(*) FROM practices"));
}

/* The oldest due time of a pending message; 0 if none. */
static int64_t
oldest_due(struct db *db)
{
	return db_int(db,
	              db_stmt(db, "SELECT coalesce(min(next_attempt_at), 0)"
	                          " FROM outbox WHERE state = 'pending'"),
	              0);
}

/*
 * The write path: "failing" when every write has failed for write_stall
 * and writes are still being tried (one failure before a quiet night is not
 * a failing daemon), "stalled" when nothing has committed for write_stall
 * while a message has been due that long (e.g. a connection stuck on an old
 * snapshot).
 */
static const char *
writes_state(struct server *s, double *idle)
{
	struct db *db = server_db(s);
	double last, failing, failed, now = util_monotonic();
	double limit = (double)config_int(server_config(s), CFG_WRITE_STALL);
	int64_t due;

	db_write_health(db, &last, &failing, &failed);
	*idle = now - last;
	if (failing != 0 && now - failing >= limit && now - failed < limit)
		return "failing";
	if (*idle < limit)
		return "ok";
	due = oldest_due(db);
	if (due != 0 && due <= (int64_t)time(NULL) - (int64_t)limit)
		return "stalled";
	return "ok";
}

void
status_healthz(struct evhttp_request *req, struct server *s, const char *rest)
{
	int ok = db_ok(server_db(s));
	double idle;
	const char *writes = writes_state(s, &idle);
	int healthy = ok && strcmp(writes, "ok") == 0;

	http_reply_json(req, healthy ? 200 : 503,
	                json_pack("{s:s, s:s, s:s, s:s, s:f, s:f}", "status",
	                          healthy ? "ok" : "degraded", "version",
	                          PPGD_VERSION, "database", ok ? "ok" : "error",
	                          "writes", writes, "last_commit_seconds", idle,
	                          "uptime_seconds", server_uptime(s)));
}

static void
metric_header(struct evbuffer *b, const char *name, const char *type,
              const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	                    type);
}

/* Rows of a two-column (label, count) query as one labelled metric. */
static void
metric_rows(struct evbuffer *b, struct db *db, const char *sql,
            const char *name, const char *label)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	while (sqlite3_step(st) == SQLITE_ROW)
		evbuffer_add_printf(b, "%s{%s=\"%s\"} %lld\n", name, label,
		                    db_col_text(st, 0),
		                    (long long)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
}

/* Care alerts nobody has acknowledged yet, and how long the oldest has
 * waited: the figure to page someone on. */
static void
care_metrics(struct evbuffer *b, struct db *db)
{
	int64_t n, age;

	care_alert_unacked(db, time(NULL), &n, &age);
	metric_header(b, "ppgd_care_alerts_unacknowledged", "gauge",
	              "Care alerts in state new (not seen or actioned).");
	evbuffer_add_printf(b, "ppgd_care_alerts_unacknowledged %lld\n",
	                    (long long)n);
	metric_header(b, "ppgd_care_alert_oldest_unacknowledged_seconds",
	              "gauge",
	              "Age of the oldest unacknowledged care alert (0: none).");
	evbuffer_add_printf(
	    b, "ppgd_care_alert_oldest_unacknowledged_seconds %lld\n",
	    (long long)age);
}

/* Entries of /proc/self/fd, less the one the count itself opens. */
static long
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* The standard process_* metrics of Prometheus client libraries. */
static void
metrics_process(struct evbuffer *b, struct server *s)
{
	struct rusage ru;
	struct rlimit rl;
	long pages = 0, rss = 0, fds = open_fds();
	FILE *fp;

	getrusage(RUSAGE_SELF, &ru);
	metric_header(b, "process_cpu_seconds_total", "counter",
	              "Total user and system CPU time spent in seconds.");
	evbuffer_add_printf(
	    b, "process_cpu_seconds_total %.6f\n",
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if ((fp = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
			pages = rss = 0;
		fclose(fp);
	}
	metric_header(b, "process_resident_memory_bytes", "gauge",
	              "Resident memory size in bytes.");
	evbuffer_add_printf(b, "process_resident_memory_bytes %lld\n",
	                    (long long)rss * sysconf(_SC_PAGESIZE));
	metric_header(b, "process_virtual_memory_bytes", "gauge",
	              "Virtual memory size in bytes.");
	evbuffer_add_printf(b, "process_virtual_memory_bytes %lld\n",
	                    (long long)pages * sysconf(_SC_PAGESIZE));
	metric_header(b, "process_open_fds", "gauge",
	              "Number of open file descriptors.");
	evbuffer_add_printf(b, "process_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		metric_header(b, "process_max_fds", "gauge",
		              "Maximum number of open file descriptors.");
		evbuffer_add_printf(b, "process_max_fds %llu\n",
		                    (unsigned long long)rl.rlim_cur);
	}
	metric_header(b, "process_start_time_seconds", "gauge",
	              "Start time of the process since unix epoch in seconds.");
	evbuffer_add_printf(b, "process_start_time_seconds %.3f\n",
	                    (double)time(NULL) - server_uptime(s));
}

/* How long the oldest message waiting to be sent has waited. */
static void
metrics_oldest(struct evbuffer *b, struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(created_at) FROM outbox"
	                               " WHERE state = 'pending'");
	long long oldest = 0, now = (long long)time(NULL);

	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		oldest = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	metric_header(b, "ppgd_outbox_oldest_pending_age_seconds", "gauge",
	              "Age of the oldest message waiting to be sent (pending; "
	              "0 when none).");
	evbuffer_add_printf(b, "ppgd_outbox_oldest_pending_age_seconds %lld\n",
	                    oldest > 0 && now > oldest ? now - oldest : 0);
}

/*
 * Outbox messages by transport and state: one series per pair, and every
 * state present (transport "none": never tried) so a zero is a zero. The
 * old name, ppgd_messages_by_transport, is kept with the same series.
 */
static void
metrics_messages(struct evbuffer *b, struct db *db)
{
	static const char *names[] = {"ppgd_messages",
	                              "ppgd_messages_by_transport"};
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < 2; i++) {
		metric_header(b, names[i], "gauge",
		              i == 0
		                  ? "Outbox messages by the transport that "
		                    "took them (never tried: \"none\") and "
		                    "state."
		                  : "Deprecated: the same as ppgd_messages.");
		st = db_stmt(
		    db,
		    "SELECT t, s, sum(n) FROM (SELECT coalesce(transport,"
		    " 'none') AS t, state AS s, count(*) AS n FROM outbox"
		    " GROUP BY 1, 2 UNION ALL SELECT 'none', s.state, 0 FROM"
		    " (SELECT 'pending' AS state UNION ALL SELECT 'held' UNION"
		    " ALL SELECT 'sending' UNION ALL SELECT 'sent' UNION ALL"
		    " SELECT 'delivered' UNION ALL SELECT 'failed' UNION ALL"
		    " SELECT 'cancelled') s) GROUP BY 1, 2 ORDER BY 1, 2");
		while (sqlite3_step(st) == SQLITE_ROW)
			evbuffer_add_printf(
			    b, "%s{transport=\"%s\",state=\"%s\"} %lld\n",
			    names[i], db_col_text(st, 0), db_col_text(st, 1),
			    (long long)sqlite3_column_int64(st, 2));
		sqlite3_reset(st);
	}
}

/* /metrics on the public listener: only with [http] public_metrics. */
void
status_metrics_public(struct evhttp_request *req, struct server *s,
                      const char *rest)
{
	if (!config_int(server_config(s), CFG_HTTP_PUBLIC_METRICS)) {
		http_reply_text(req, 404, "not found");
		return;
	}
	status_metrics(req, s, rest);
}

void
status_metrics(struct evhttp_request *req, struct server *s, const char *rest)
{
	struct evbuffer *b = evbuffer_new();
	struct db *db = server_db(s);
	size_t len;
	char *body;

	metric_header(b, "ppgd_build_info", "gauge",
	              "The version of ppgd that is running (always 1).");
	evbuffer_add_printf(b, "ppgd_build_info{version=\"%s\"} 1\n",
	                    PPGD_VERSION);
	metrics_process(b, s);
	metric_header(b, "ppgd_uptime_seconds", "gauge",
	              "Seconds since the daemon started.");
	evbuffer_add_printf(b, "ppgd_uptime_seconds %.3f\n", server_uptime(s));
	metric_header(b, "ppgd_database_bytes", "gauge",
	              "Size of the SQLite database.");
	evbuffer_add_printf(b, "ppgd_database_bytes %lld\n",
	                    (long long)db_bytes(db));
	metric_header(b, "ppgd_members", "gauge",
	              "Members (not erased) by practice.");
	metric_rows(b, db,
	            "SELECT p.code, count(m.id) FROM practices p LEFT JOIN"
	            " members m ON m.practice_id = p.id AND m.erased_at IS NULL"
	            " GROUP BY p.code ORDER BY p.code",
	            "ppgd_members", "practice");
	care_metrics(b, db);
	metrics_messages(b, db);
	metrics_oldest(b, db);
	http_metrics(b);
	app_metrics(b);
	len = evbuffer_get_length(b);
	body = xmalloc(len + 1);
	evbuffer_remove(b, body, len);
	evbuffer_free(b);
	http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", body,
	           len);
	free(body);
}
