/* /healthz and /metrics. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "app.h"
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

void
status_metrics(struct evhttp_request *req, struct server *s, const char *rest)
{
	struct evbuffer *b = evbuffer_new();
	sqlite3_stmt *st;
	struct db *db = server_db(s);
	size_t len;
	char *body;

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
	metric_header(b, "ppgd_messages", "gauge", "Outbox messages by state.");
	metric_rows(b, db,
	            "SELECT s.state, (SELECT count(*) FROM outbox o WHERE"
	            " o.state = s.state) FROM (SELECT 'pending' AS state UNION"
	            " ALL SELECT 'held' UNION ALL SELECT 'sending' UNION ALL"
	            " SELECT 'sent' UNION ALL SELECT 'delivered' UNION ALL"
	            " SELECT 'failed' UNION ALL SELECT 'cancelled') s",
	            "ppgd_messages", "state");
	metric_header(b, "ppgd_messages_by_transport", "gauge",
	              "Outbox messages by the transport that took them and "
	              "state (never tried: transport \"none\").");
	st = db_stmt(db, "SELECT coalesce(transport, 'none'), state, count(*)"
	                 " FROM outbox GROUP BY 1, 2 ORDER BY 1, 2");
	while (sqlite3_step(st) == SQLITE_ROW)
		evbuffer_add_printf(
		    b,
		    "ppgd_messages_by_transport{transport=\"%s\",state=\"%s\"} "
		    "%lld\n",
		    db_col_text(st, 0), db_col_text(st, 1),
		    (long long)sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
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
