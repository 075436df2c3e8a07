/* The outbox state machine and its queries. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bodypack.h"
#include "log.h"
#include "outbox.h"
#include "runmsg.h"
#include "xmalloc.h"

static const char *const state_names[] = {
    [OB_PENDING] = "pending",     [OB_HELD] = "held",
    [OB_SENDING] = "sending",     [OB_SENT] = "sent",
    [OB_DELIVERED] = "delivered", [OB_FAILED] = "failed",
    [OB_CANCELLED] = "cancelled",
};
#define NSTATES (sizeof state_names / sizeof state_names[0])

const char *
outbox_strstate(enum outbox_state s)
{
	return (size_t)s < NSTATES ? state_names[s] : "unknown";
}

int
outbox_state_parse(const char *s, enum outbox_state *out)
{
	size_t i;

	for (i = 0; i < NSTATES; i++) {
		if (strcmp(state_names[i], s) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/*
 * pending -> sending -> sent -> delivered|failed; pending <-> held;
 * sending -> pending (temporary failure) | failed (permanent); an operator
 * may retry failed/cancelled/held rows and cancel pending/held ones. A late
 * receipt may move sent -> failed or failed -> delivered is not allowed.
 * `sending` is the dispatcher's, in memory (DESIGN.md: only settled states
 * go to disk): on disk a row goes from pending to its outcome at once, and
 * a row found in `sending` (left by an earlier version) is re-queued.
 */
int
outbox_legal(enum outbox_state from, enum outbox_state to)
{
	switch (from) {
	case OB_PENDING:
		return to == OB_SENDING || to == OB_HELD || to == OB_CANCELLED;
	case OB_HELD:
		return to == OB_PENDING || to == OB_CANCELLED;
	case OB_SENDING:
		return to == OB_SENT || to == OB_PENDING || to == OB_FAILED;
	case OB_SENT:
		return to == OB_DELIVERED || to == OB_FAILED;
	case OB_FAILED:
	case OB_CANCELLED:
		return to == OB_PENDING;
	case OB_DELIVERED:
		return 0;
	}
	return 0;
}

int
outbox_enter(struct db *db, int64_t id, enum outbox_state from,
             enum outbox_state to)
{
	sqlite3_stmt *st;

	if (!outbox_legal(from, to))
		fatalx("outbox %lld: illegal transition %s -> %s",
		       (long long)id, outbox_strstate(from),
		       outbox_strstate(to));
	st = db_stmt(db, "UPDATE outbox SET state=?3 WHERE id=?1 AND state=?2");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, outbox_strstate(from));
	db_bind_text(st, 3, outbox_strstate(to));
	if (db_done(db, st) == -1 || db_changes(db) != 1)
		return -1;
	log_debug("event=outbox id=%lld %s -> %s", (long long)id,
	          outbox_strstate(from), outbox_strstate(to));
	return 0;
}

#define FROM(s) (1u << (s))

/* Bumped by every change of state that is not a send's outcome: rows that
 * left pending (or may have), and rows that came back to it. */
static unsigned long generation, arrivals;

unsigned long
outbox_generation(void)
{
	return generation;
}

unsigned long
outbox_arrivals(void)
{
	return arrivals;
}

void
outbox_changed(void)
{
	generation++;
}

/*
 * Every bulk transition names the states it moves rows from: each of them
 * to `to` must be legal (an illegal one is a bug: fatalx). Runs st (bound
 * by the caller) and logs the move; the number of rows moved, or -1.
 */
static int
outbox_move(struct db *db, sqlite3_stmt *st, unsigned from,
            enum outbox_state to, const char *why)
{
	size_t s;
	int n;

	for (s = 0; s < NSTATES; s++)
		if ((from & FROM(s)) && !outbox_legal(s, to))
			fatalx("outbox: illegal bulk transition %s -> %s (%s)",
			       outbox_strstate(s), outbox_strstate(to), why);
	if (db_done(db, st) == -1)
		return -1;
	if ((n = db_changes(db)) > 0 && to == OB_PENDING)
		arrivals++;
	else if (n > 0)
		generation++;
	if (n > 0)
		log_debug("event=outbox rows=%d -> %s why=\"%s\"", n,
		          outbox_strstate(to), why);
	return n;
}

int
outbox_requeue_sending(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE outbox SET state='pending'"
	                               " WHERE state='sending'");

	return outbox_move(db, st, FROM(OB_SENDING), OB_PENDING, "requeue");
}

int
outbox_settle(struct db *db, int64_t id, enum outbox_state to,
              const struct outbox_outcome *o)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE outbox SET state=?7, provider_id=nullif(?2,''),"
	        " error_code=nullif(?3,''), error_text=nullif(?4,''),"
	        " sent_at=CASE WHEN ?7='sent' THEN ?5 ELSE sent_at END,"
	        " settled_at=CASE WHEN ?7='failed' THEN ?5 ELSE NULL END,"
	        " next_attempt_at=?6, attempts=?8, transport=?9"
	        " WHERE id=?1 AND state='pending'");
	int late = 0;

	if (!outbox_legal(OB_SENDING, to))
		fatalx("outbox %lld: illegal transition sending -> %s",
		       (long long)id, outbox_strstate(to));
	for (;;) {
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, o->provider_id);
		db_bind_text(st, 3, o->code);
		db_bind_text(st, 4, o->text);
		db_bind_int(st, 5, o->now);
		db_bind_int(st, 6, o->next_attempt_at);
		db_bind_text(st, 7, outbox_strstate(to));
		db_bind_int(st, 8, o->attempts);
		db_bind_text(st, 9, o->transport);
		if (db_done(db, st) == -1)
			return -1;
		if (db_changes(db) == 1)
			break;
		/*
		 * Cancelled or held while it was being sent: it was sent all
		 * the same, and the row says so. Any other outcome leaves the
		 * operator's decision standing.
		 */
		if (late || to != OB_SENT)
			return -1;
		late = 1;
		st = db_stmt(
		    db, "UPDATE outbox SET state=?7, provider_id=nullif(?2,''),"
		        " error_code=nullif(?3,''), error_text=nullif(?4,''),"
		        " sent_at=?5, settled_at=NULL, next_attempt_at=?6,"
		        " attempts=?8, transport=?9, held_reason=NULL"
		        " WHERE id=?1 AND (state='cancelled' OR state='held')");
	}
	log_debug("event=outbox id=%lld pending -> %s", (long long)id,
	          outbox_strstate(to));
	return late;
}

/* A row fired without text: rendered from its run's snapshot now. */
static int
body_render(struct db *db, const struct config *cfg, int64_t run,
            int64_t member, const char *channel, struct rendered *out)
{
	struct runmsg *rm;
	char *cause = NULL;
	int rc = -1;

	if ((rm = runmsg_load(db, run, &cause)) != NULL &&
	    runmsg_render(rm, db, cfg, member, channel, out, &cause) == 0)
		rc = 0;
	else {
		log_warnx("event=outbox_body run=%lld error=\"%s\"",
		          (long long)run, cause);
		free(cause);
	}
	runmsg_free(rm);
	return rc;
}

/* Row id's subject, text and HTML into out (see outbox_body). */
static int
outbox_text(struct db *db, const struct config *cfg, int64_t id,
            struct rendered *out)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT o.body, o.body_html, r.body_dict, o.run_id,"
	                " o.member_id, o.channel, o.purpose = 'campaign'"
	                " AND o.body = '' AND typeof(o.body) = 'text' AND"
	                " o.to_addr <> '' AND r.snapshot IS NOT NULL, o.subject"
	                " FROM outbox o LEFT JOIN runs r ON r.id = o.run_id"
	                " WHERE o.id = ?");
	int64_t run, member;
	const char *s;
	char *channel;
	int rc = -1;

	memset(out, 0, sizeof *out);
	db_bind_int(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		;
	else if (sqlite3_column_int(st, 6)) {
		run = sqlite3_column_int64(st, 3);
		member = sqlite3_column_int64(st, 4);
		channel = xstrdup(db_col_text(st, 5));
		sqlite3_reset(st);
		rc = body_render(db, cfg, run, member, channel, out);
		free(channel);
		return rc;
	} else if (sqlite3_column_type(st, 0) == SQLITE_BLOB)
		rc = bodypack_unpack(sqlite3_column_blob(st, 2),
		                     (size_t)sqlite3_column_bytes(st, 2),
		                     sqlite3_column_blob(st, 0),
		                     (size_t)sqlite3_column_bytes(st, 0),
		                     &out->text, &out->html);
	else {
		out->text = xstrdup((s = db_col_text(st, 0)) != NULL ? s : "");
		if ((s = db_col_text(st, 1)) != NULL)
			out->html = xstrdup(s);
		rc = 0;
	}
	if (rc == 0 && (s = db_col_text(st, 7)) != NULL)
		out->subject = xstrdup(s);
	sqlite3_reset(st);
	return rc;
}

int
outbox_body(struct db *db, const struct config *cfg, int64_t id, char **text,
            char **html)
{
	struct rendered out;

	*text = *html = NULL;
	if (outbox_text(db, cfg, id, &out) == -1)
		return -1;
	*text = out.text;
	*html = out.html;
	free(out.subject);
	return 0;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
outbox_show(struct db *db, const struct config *cfg, int64_t id)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT o.channel, o.state, o.to_addr, o.purpose,"
	        " coalesce(c.name, ''), o.attempts, o.created_at,"
	        " o.sent_at, o.member_id FROM outbox o LEFT JOIN runs r ON"
	        " r.id = o.run_id LEFT JOIN campaigns c ON c.id ="
	        " r.campaign_id WHERE o.id = ?");
	struct rendered out;
	json_t *o = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack(
		    "{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I}", "id",
		    (json_int_t)id, "channel", db_col_text(st, 0), "state",
		    db_col_text(st, 1), "to", db_col_text(st, 2), "purpose",
		    db_col_text(st, 3), "campaign", db_col_text(st, 4),
		    "attempts", sqlite3_column_int(st, 5), "created_at",
		    (json_int_t)sqlite3_column_int64(st, 6), "sent_at",
		    (json_int_t)sqlite3_column_int64(st, 7), "member",
		    (json_int_t)sqlite3_column_int64(st, 8));
	sqlite3_reset(st);
	if (o == NULL)
		return NULL;
	if (outbox_text(db, cfg, id, &out) == 0) {
		json_object_set_new(o, "subject", str_or_null(out.subject));
		json_object_set_new(o, "text", json_string(out.text));
		json_object_set_new(o, "html", str_or_null(out.html));
		rendered_clear(&out);
	} else
		json_object_set_new(o, "text", json_null());
	return o;
}

int
outbox_hold(struct db *db, int64_t id, const char *reason, int64_t until)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE outbox SET state='held', held_reason=?2,"
	                " next_attempt_at=?3 WHERE id=?1 AND state='pending'");

	db_bind_int(st, 1, id);
	db_bind_text(st, 2, reason);
	db_bind_int(st, 3, until);
	return outbox_move(db, st, FROM(OB_PENDING), OB_HELD, reason) == 1 ? 0
	                                                                   : -1;
}

int
outbox_release_run(struct db *db, int64_t run_id, int64_t from, int64_t to,
                   int64_t now)
{
	/* By id range, not the run's index: each slice reads only its rows. */
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE outbox SET"
	                " state = CASE WHEN next_attempt_at > ?4 THEN 'held'"
	                " ELSE 'pending' END,"
	                " held_reason = CASE WHEN next_attempt_at > ?4"
	                " THEN 'quiet hours' END"
	                " WHERE id > ?2 AND id <= ?3 AND +run_id = ?1"
	                " AND +state = 'held' AND held_reason = 'firing'");

	db_bind_int(st, 1, run_id);
	db_bind_int(st, 2, from);
	db_bind_int(st, 3, to);
	db_bind_int(st, 4, now);
	return outbox_move(db, st, FROM(OB_HELD), OB_PENDING, "fired");
}

int
outbox_release_quiet(struct db *db, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE outbox SET state='pending', held_reason=NULL"
	                " WHERE state='held' AND next_attempt_at <= ?1"
	                " AND held_reason='quiet hours'");

	db_bind_int(st, 1, now);
	return outbox_move(db, st, FROM(OB_HELD), OB_PENDING, "release");
}

int
outbox_cancel_optout(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE outbox SET state='cancelled',"
	                " held_reason='opted out', settled_at=?2 WHERE id=?1"
	                " AND purpose='campaign' AND state='pending'");

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	return outbox_move(db, st, FROM(OB_PENDING), OB_CANCELLED,
	                   "opted out") == 1;
}

int
outbox_erase_member(struct db *db, int64_t member_id, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE outbox SET state='cancelled',"
	                " held_reason='erased', settled_at=?2"
	                " WHERE member_id=?1 AND state IN ('pending','held')");

	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, now);
	if (outbox_move(db, st, FROM(OB_PENDING) | FROM(OB_HELD), OB_CANCELLED,
	                "erased") == -1)
		return -1;
	st = db_stmt(db, "UPDATE outbox SET to_addr='', subject=NULL,"
	                 " body='', body_html=NULL, error_text=NULL"
	                 " WHERE member_id=?1");
	db_bind_int(st, 1, member_id);
	return db_done(db, st);
}

int64_t
outbox_queue(struct db *db, int64_t practice_id, int64_t member_id,
             const char *channel, const char *purpose, const char *to,
             const char *subject, const char *body, const char *html)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO outbox (practice_id, member_id, channel, purpose,"
	        " to_addr, subject, body, body_html, next_attempt_at,"
	        " created_at) VALUES (?,?,?,?,?,?,?,?,?9,?9)");

	db_bind_int(st, 1, practice_id);
	if (member_id != 0)
		db_bind_int(st, 2, member_id);
	db_bind_text(st, 3, channel);
	db_bind_text(st, 4, purpose);
	db_bind_text(st, 5, to);
	db_bind_text(st, 6, subject);
	db_bind_text(st, 7, body);
	db_bind_text(st, 8, html);
	db_bind_int(st, 9, time(NULL));
	if (db_done(db, st) == -1)
		return -1;
	return db_last_id(db);
}

#define CAMPAIGN_FILTER                                                        \
	" (?1 IS NULL OR run_id IN (SELECT r.id FROM runs r JOIN campaigns c"  \
	" ON c.id = r.campaign_id WHERE c.name = ?1))"

json_t *
outbox_counts(struct db *db, const char *campaign)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT state, count(*) FROM outbox"
	                " WHERE" CAMPAIGN_FILTER " GROUP BY state");
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < NSTATES; i++)
		json_object_set_new(o, state_names[i], json_integer(0));
	db_bind_text(st, 1, campaign);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(o, db_col_text(st, 0),
		                    json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	return o;
}

json_t *
outbox_failures(struct db *db, const char *campaign)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT id, channel, coalesce(transport,''), attempts,"
	        " coalesce(error_code,''), coalesce(error_text,''),"
	        " coalesce(settled_at, 0), member_id FROM outbox"
	        " WHERE state='failed' AND" CAMPAIGN_FILTER " ORDER BY id");
	json_t *arr = json_array();

	db_bind_text(st, 1, campaign);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(
		    arr,
		    json_pack(
		        "{s:I, s:s, s:s, s:i, s:s, s:s, s:I, s:I}", "id",
		        (json_int_t)sqlite3_column_int64(st, 0), "channel",
		        db_col_text(st, 1), "transport", db_col_text(st, 2),
		        "attempts", sqlite3_column_int(st, 3), "code",
		        db_col_text(st, 4), "reason", db_col_text(st, 5),
		        "failed_at", (json_int_t)sqlite3_column_int64(st, 6),
		        "member", (json_int_t)sqlite3_column_int64(st, 7)));
	sqlite3_reset(st);
	return arr;
}

static int
outbox_bulk(struct db *db, const char *sql, unsigned from, enum outbox_state to,
            int64_t id, const char *campaign, int *n, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	if (id != 0)
		db_bind_int(st, 2, id);
	db_bind_text(st, 1, campaign);
	db_bind_int(st, 3, time(NULL));
	if ((*n = outbox_move(db, st, from, to, "operator")) == -1) {
		*cause = xasprintf("database: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

int
outbox_retry(struct db *db, int64_t id, const char *campaign, int *n,
             char **cause)
{
	return outbox_bulk(
	    db,
	    "UPDATE outbox SET state='pending', attempts=0, next_attempt_at=?3,"
	    " error_code=NULL, error_text=NULL, held_reason=NULL WHERE"
	    " (?2 IS NULL OR id=?2) AND" CAMPAIGN_FILTER " AND (state='failed'"
	    " OR (?2 IS NOT NULL AND state IN ('held','cancelled')))"
	    " AND (?1 IS NOT NULL OR ?2 IS NOT NULL)",
	    FROM(OB_FAILED) | FROM(OB_HELD) | FROM(OB_CANCELLED), OB_PENDING,
	    id, campaign, n, cause);
}

int
outbox_cancel(struct db *db, int64_t id, const char *campaign, int *n,
              char **cause)
{
	return outbox_bulk(
	    db,
	    "UPDATE outbox SET state='cancelled', settled_at=?3,"
	    " held_reason='cancelled by operator' WHERE (?2 IS NULL OR id=?2)"
	    " AND" CAMPAIGN_FILTER " AND state IN ('pending','held')"
	    " AND (?1 IS NOT NULL OR ?2 IS NOT NULL)",
	    FROM(OB_PENDING) | FROM(OB_HELD), OB_CANCELLED, id, campaign, n,
	    cause);
}

int
outbox_purge(struct db *db, int64_t before, int64_t lo, int64_t hi)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE outbox SET subject=NULL, body='', body_html=NULL,"
	        " to_addr='' WHERE id > ?2 AND id <= ?3 AND state IN"
	        " ('sent','delivered','failed','cancelled') AND"
	        " coalesce(settled_at, sent_at, created_at) < ?1 AND"
	        " (body != '' OR to_addr != '')");

	db_bind_int(st, 1, before);
	db_bind_int(st, 2, lo);
	db_bind_int(st, 3, hi);
	if (db_done(db, st) == -1)
		return -1;
	return db_changes(db);
}
