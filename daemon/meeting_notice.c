/*
 * A meeting that moves or is cancelled. Members who were invited hold the
 * old time in their inbox and their calendar, so each gets one short
 * message on the channel they were invited on: who was invited is read from
 * the outbox rows of the meeting's invitation and reminder campaigns and of
 * the notices sent before (meeting_notices links them to the meeting).
 *
 * The change, its campaigns, the unsent rows they cancel and the job of
 * telling those invited (a meeting_notice_jobs row) commit in one
 * transaction. The messages are then made in slices of NOTICE_SLICE member
 * ids, each slice with the job's progress in its own transaction, so the
 * daemon's loop answers webhooks in between and a crash or a stop goes on
 * from the last slice at the next start; no member is told twice. A new
 * change of the same meeting replaces its job (the unsent notices of the
 * old one are cancelled with it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "log.h"
#include "meeting.h"
#include "linktoken.h"
#include "meeting_notice.h"
#include "outbox.h"
#include "practice.h"
#include "template.h"
#include "xmalloc.h"

#define MOVED_TMPL     "meeting-moved"
#define CANCELLED_TMPL "meeting-cancelled"
#define NAME_FALLBACK  "member"

/*
 * The members of a slice (member ids ?4 < id <= ?5) to tell and how: one
 * row per member and channel. Written so that SQLite reads the slice's
 * members' outbox rows (outbox_member) and looks each up, not every notice
 * of the meeting for every slice (an OR of two IN lists: 200 ms a slice
 * with 60,000 told before, against 8 ms).
 */
#define RECIPIENTS_SQL                                                         \
	"SELECT o.member_id, o.channel, m.first_name,"                         \
	" CASE o.channel WHEN 'sms' THEN m.mobile ELSE m.email END,"           \
	" max(o.unsubscribe_token), max(o.run_id) FROM outbox o"               \
	" JOIN members m ON m.id = o.member_id"                                \
	" WHERE o.member_id > ?4 AND o.member_id <= ?5"                        \
	" AND (o.run_id IN (SELECT r.id FROM runs r JOIN campaigns c"          \
	" ON c.id = r.campaign_id WHERE c.meeting_id = ?1"                     \
	" AND c.kind IN ('invitation','meeting','reminder'))"                  \
	" OR EXISTS (SELECT 1 FROM meeting_notices n"                          \
	" WHERE n.outbox_id = o.id AND n.meeting_id = ?1))"                    \
	" AND (?2 = 0 AND o.state <> 'failed'"                                 \
	" OR ?2 = 1 AND o.state IN ('sending','sent','delivered'))"            \
	" AND m.erased_at IS NULL AND (m.term_ends_at IS NULL"                 \
	" OR m.term_ends_at > ?3) AND (o.channel = 'email'"                    \
	" AND m.optout_email_at IS NULL AND m.email IS NOT NULL"               \
	" OR o.channel = 'sms' AND m.optout_sms_at IS NULL"                    \
	" AND m.mobile IS NOT NULL)"                                           \
	" GROUP BY o.member_id, o.channel ORDER BY o.member_id, o.channel"

/* Member ids a slice covers: about 25 ms of rendering and inserting. */
#define NOTICE_SLICE 1000

/* One member to tell, on one channel. */
struct recipient {
	int64_t member_id;
	char *channel, *first, *to, *unsub;
	int64_t run_id; /* the newest campaign run that told them */
};

struct notice {
	struct db *db;
	const struct config *cfg;
	struct meeting *m;
	struct practice *p;
	const char *tmpl_name;
	struct template *tmpl[2]; /* email, sms; loaded when first needed */
	struct tvars *vars;
	int64_t now;
	struct meeting_notice_result *r;
	int sent_only;  /* cancelled: only those whose message was sent */
	char *old_when; /* moved: the time it was at */
	int64_t after;  /* the job: members up to this one are told */
	int64_t last;   /* and the last that may be */
};

static void
set_if(struct tvars *v, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		tvars_set(v, name, value);
}

/* The values every message shares. */
static void
notice_vars(struct notice *n, const char *old_when)
{
	char *when = meeting_when(n->m->at, n->p->timezone);

	n->vars = tvars_new();
	set_if(n->vars, "practice.name", n->p->name);
	set_if(n->vars, "practice.code", n->p->code);
	set_if(n->vars, "practice.phone", n->p->phone);
	set_if(n->vars, "practice.website", n->p->website);
	set_if(n->vars, "meeting.when", when);
	set_if(n->vars, "meeting.where", n->m->place);
	set_if(n->vars, "meeting.link", n->m->link);
	set_if(n->vars, "meeting.old_when", old_when);
	free(when);
}

static struct template *
notice_template(struct notice *n, int sms, char **cause)
{
	if (n->tmpl[sms] == NULL &&
	    template_load(config_str(n->cfg, CFG_TEMPLATES), n->tmpl_name,
	                  sms ? TMPL_SMS : TMPL_EMAIL,
	                  (int)config_int(n->cfg, CFG_SMS_MAX_SEGMENTS),
	                  &n->tmpl[sms], cause) == -1)
		return NULL;
	return n->tmpl[sms];
}

static int
notice_link(struct notice *n, int64_t outbox_id)
{
	sqlite3_stmt *st = db_stmt(n->db, "INSERT INTO meeting_notices"
	                                  " (outbox_id, meeting_id, kind)"
	                                  " VALUES (?, ?, ?)");

	db_bind_int(st, 1, outbox_id);
	db_bind_int(st, 2, n->m->id);
	db_bind_text(st, 3, n->tmpl_name);
	return db_done(n->db, st);
}

/* Render and queue one member's message; -1 on a database or template
 * error (the whole change is rolled back). */
static int
notice_one(struct notice *n, const struct recipient *who, char **cause)
{
	const char *first = who->first;
	int sms = strcmp(who->channel, "sms") == 0;
	struct template *t;
	struct rendered out;
	char *link = NULL;
	int64_t id;

	if ((t = notice_template(n, sms, cause)) == NULL)
		return -1;
	tvars_set(n->vars, "member.first_name",
	          first != NULL && *first != '\0' ? first : NAME_FALLBACK);
	if (who->unsub == NULL && who->run_id != 0) {
		/* The invitation's link was derived: derive it again. */
		char tok[LINKTOKEN_MAX];
		if (linktoken_make(n->cfg, LT_UNSUBSCRIBE, who->run_id,
		                   who->member_id, tok, cause) == -1)
			return -1;
		link = xasprintf("%s/u/%s", config_str(n->cfg, CFG_PUBLIC_URL),
		                 tok);
	} else if (who->unsub != NULL)
		link = xasprintf("%s/u/%s", config_str(n->cfg, CFG_PUBLIC_URL),
		                 who->unsub);
	tvars_set(n->vars, "unsubscribe.link", link != NULL ? link : "");
	free(link);
	if (template_render(t, n->vars, &out, cause) == -1)
		return -1;
	/* Purpose "campaign": the dispatcher holds it for quiet hours and
	 * drops it if the member opts out before it leaves, as for any
	 * message we start; meeting_notices says which it is. */
	id = outbox_queue(n->db, n->p->id, who->member_id, who->channel,
	                  "campaign", who->to, out.subject, out.text, out.html);
	rendered_clear(&out);
	if (id == -1 || notice_link(n, id) == -1) {
		*cause = xasprintf("outbox: %s", db_errmsg(n->db));
		return -1;
	}
	n->r->messages++;
	if (sms)
		n->r->sms++;
	else
		n->r->email++;
	return 0;
}

/* Tell the members of the job's next slice (after n->after). */
static int
notices_slice(struct notice *n, char **cause)
{
	sqlite3_stmt *st = db_stmt(n->db, RECIPIENTS_SQL);
	struct recipient *rs = NULL;
	size_t nr = 0, i;
	int rc = 0;

	db_bind_int(st, 1, n->m->id);
	db_bind_int(st, 2, n->sent_only);
	db_bind_int(st, 3, n->now);
	db_bind_int(st, 4, n->after);
	db_bind_int(st, 5, n->after + NOTICE_SLICE);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rs = xreallocarray(rs, nr + 1, sizeof *rs);
		rs[nr].member_id = sqlite3_column_int64(st, 0);
		rs[nr].channel = xstrdup(db_col_text(st, 1));
		rs[nr].first =
		    db_col_text(st, 2) ? xstrdup(db_col_text(st, 2)) : NULL;
		rs[nr].to = xstrdup(db_col_text(st, 3));
		rs[nr].unsub =
		    db_col_text(st, 4) ? xstrdup(db_col_text(st, 4)) : NULL;
		rs[nr].run_id = sqlite3_column_int64(st, 5);
		nr++;
	}
	sqlite3_reset(st);
	for (i = 0; i < nr; i++) {
		if (rc == 0 && notice_one(n, &rs[i], cause) == -1)
			rc = -1;
		free(rs[i].channel);
		free(rs[i].first);
		free(rs[i].to);
		free(rs[i].unsub);
	}
	free(rs);
	if (rc == -1 && *cause == NULL)
		*cause = xasprintf("database: %s", db_errmsg(n->db));
	n->after += NOTICE_SLICE;
	return rc;
}

/* Write the job (a new one replaces the meeting's old one). */
static int
job_save(struct notice *n, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    n->db, "INSERT OR REPLACE INTO meeting_notice_jobs (meeting_id,"
	           " template, sent_only, old_when, changed_at, after_member,"
	           " last_member, campaigns, cancelled, messages, email, sms)"
	           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	           " ?12)");

	db_bind_int(st, 1, n->m->id);
	db_bind_text(st, 2, n->tmpl_name);
	db_bind_int(st, 3, n->sent_only);
	db_bind_text(st, 4, n->old_when);
	db_bind_int(st, 5, n->now);
	db_bind_int(st, 6, n->after);
	db_bind_int(st, 7, n->last);
	db_bind_int(st, 8, n->r->campaigns);
	db_bind_int(st, 9, n->r->cancelled);
	db_bind_int(st, 10, n->r->messages);
	db_bind_int(st, 11, n->r->email);
	db_bind_int(st, 12, n->r->sms);
	if (db_done(n->db, st) == -1) {
		*cause = xasprintf("database: %s", db_errmsg(n->db));
		return -1;
	}
	return 0;
}

/* The job starts: every member there is now may have been invited. */
static int
job_begin(struct notice *n, char **cause)
{
	n->after = 0;
	n->last =
	    db_int(n->db, db_stmt(n->db, "SELECT max(id) FROM members"), 0);
	return job_save(n, cause);
}

/* Cancel the unsent notices sent before for this meeting. */
static int
notices_cancel_old(struct notice *n, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    n->db, "UPDATE outbox SET state = 'cancelled', settled_at = ?2,"
	           " held_reason = 'meeting changed' WHERE state IN"
	           " ('pending','held') AND id IN (SELECT outbox_id FROM"
	           " meeting_notices WHERE meeting_id = ?1)");

	db_bind_int(st, 1, n->m->id);
	db_bind_int(st, 2, n->now);
	if (db_done(n->db, st) == -1) {
		*cause = xasprintf("outbox: %s", db_errmsg(n->db));
		return -1;
	}
	n->r->cancelled += db_changes(n->db);
	outbox_changed();
	return 0;
}

/*
 * The meeting's campaigns: retimed (stop = 0) or stopped. Unsent rows of
 * its invitation and reminder campaigns are cancelled either way (they
 * name the old time); the feedback's rows stay when it only moved.
 */
static int
campaigns_follow(struct notice *n, int stop, char **cause)
{
	/* Not the minutes sent after it (a broadcast), which are done. */
	sqlite3_stmt *st = db_stmt(n->db, "SELECT id FROM campaigns WHERE"
	                                  " meeting_id = ? AND kind IN"
	                                  " ('invitation','meeting','reminder',"
	                                  "'feedback') ORDER BY id");
	int64_t ids[64];
	size_t k = 0, i;
	struct campaign *c;
	int rc = 0, cancelled;

	db_bind_int(st, 1, n->m->id);
	while (k < sizeof ids / sizeof *ids && sqlite3_step(st) == SQLITE_ROW)
		ids[k++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (i = 0; i < k && rc == 0; i++) {
		if ((c = campaign_get(n->db, ids[i])) == NULL)
			continue;
		rc = stop ? campaign_finish(n->db, c)
		          : campaign_retime(n->db, c, n->now);
		if (rc == 0 && (stop || strcmp(c->kind, "feedback") != 0)) {
			rc =
			    outbox_cancel(n->db, 0, c->name, &cancelled, cause);
			n->r->cancelled += rc == 0 ? cancelled : 0;
		} else if (rc == -1)
			*cause = xasprintf("campaign %s: %s", c->name,
			                   db_errmsg(n->db));
		n->r->campaigns++;
		campaign_free(c);
	}
	return rc;
}

static void
notice_close(struct notice *n)
{
	free(n->old_when);
	meeting_free(n->m);
	practice_free(n->p);
	template_free(n->tmpl[0]);
	template_free(n->tmpl[1]);
	tvars_free(n->vars);
}

/* The meeting to change (cancelled: refused) or, for a job's slice, whose
 * change it is telling. */
static int
notice_open(struct notice *n, struct db *db, const struct config *cfg,
            int64_t id, int64_t now, struct meeting_notice_result *r,
            int change, char **cause)
{
	memset(n, 0, sizeof *n);
	memset(r, 0, sizeof *r);
	n->db = db;
	n->cfg = cfg;
	n->now = now;
	n->r = r;
	r->meeting_id = id;
	if ((n->m = meeting_get(db, id)) == NULL) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		return -1;
	}
	if (change && n->m->status != NULL &&
	    strcmp(n->m->status, "cancelled") == 0) {
		*cause = xasprintf("meeting %lld was cancelled", (long long)id);
		notice_close(n);
		return -1;
	}
	if ((n->p = practice_get(db, n->m->practice_id)) == NULL) {
		*cause = xasprintf("meeting %lld: no practice", (long long)id);
		notice_close(n);
		return -1;
	}
	return 0;
}

/* Run fn in one transaction; on failure nothing is kept. */
static int
notice_txn(struct notice *n, int (*fn)(struct notice *, const void *, char **),
           const void *arg, char **cause)
{
	if (db_begin(n->db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(n->db));
		return -1;
	}
	if (fn(n, arg, cause) == -1 || db_commit(n->db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(n->db));
		db_rollback(n->db);
		memset(n->r, 0, sizeof *n->r);
		return -1;
	}
	return 0; /* the caller wakes the dispatcher (env_kick), if any */
}

static int
update_steps(struct notice *n, const void *arg, char **cause)
{
	const struct meeting_change *ch = arg;
	char *old_when = meeting_when(n->m->at, n->p->timezone);
	struct meeting *moved;
	int rc = -1;

	if (meeting_move(n->db, n->m->id, ch->at, ch->place, ch->link, cause) ==
	        -1 ||
	    (moved = meeting_get(n->db, n->m->id)) == NULL)
		goto out;
	meeting_free(n->m);
	n->m = moved;
	n->tmpl_name = MOVED_TMPL;
	n->old_when = old_when;
	old_when = NULL;
	/* An unsent notice of an earlier change names a time now wrong. Those
	 * invited are read by the job's slices: an invitation cancelled here
	 * still counts (it is not failed). */
	if (notices_cancel_old(n, cause) == -1 ||
	    campaigns_follow(n, 0, cause) == -1 || job_begin(n, cause) == -1)
		goto out;
	rc = 0;
out:
	free(old_when);
	return rc;
}

int
meeting_update_begin(struct db *db, const struct config *cfg, int64_t id,
                     const struct meeting_change *ch, int64_t now,
                     struct meeting_notice_result *r, char **cause)
{
	struct notice n;
	int rc;

	if (ch->at == 0 && ch->place == NULL && ch->link == NULL) {
		*cause = xstrdup("nothing to change: give --at, --where or "
		                 "--link");
		return -1;
	}
	if (notice_open(&n, db, cfg, id, now, r, 1, cause) == -1)
		return -1;
	rc = notice_txn(&n, update_steps, ch, cause);
	notice_close(&n);
	return rc;
}

static int
cancel_steps(struct notice *n, const void *arg, char **cause)
{
	(void)arg;
	n->tmpl_name = CANCELLED_TMPL;
	n->sent_only = 1;
	if (meeting_set_status(n->db, n->m->id, "cancelled", cause) == -1 ||
	    campaigns_follow(n, 1, cause) == -1 ||
	    notices_cancel_old(n, cause) == -1)
		return -1;
	return job_begin(n, cause);
}

int
meeting_cancel_begin(struct db *db, const struct config *cfg, int64_t id,
                     int64_t now, struct meeting_notice_result *r, char **cause)
{
	struct notice n;
	int rc;

	if (notice_open(&n, db, cfg, id, now, r, 1, cause) == -1)
		return -1;
	rc = notice_txn(&n, cancel_steps, NULL, cause);
	notice_close(&n);
	return rc;
}

/* The meeting's job into n and n->r; 1, or 0 if it has none. */
static int
job_load(struct notice *n)
{
	sqlite3_stmt *st = db_stmt(
	    n->db, "SELECT template, sent_only, old_when, changed_at,"
	           " after_member, last_member, campaigns, cancelled, messages,"
	           " email, sms FROM meeting_notice_jobs WHERE meeting_id = ?");
	const char *s;
	int found = 0;

	db_bind_int(st, 1, n->m->id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		s = db_col_text(st, 0);
		n->tmpl_name = s != NULL && strcmp(s, MOVED_TMPL) == 0
		                   ? MOVED_TMPL
		                   : CANCELLED_TMPL;
		n->sent_only = sqlite3_column_int(st, 1);
		if ((s = db_col_text(st, 2)) != NULL)
			n->old_when = xstrdup(s);
		n->now = sqlite3_column_int64(st, 3);
		n->after = sqlite3_column_int64(st, 4);
		n->last = sqlite3_column_int64(st, 5);
		n->r->campaigns = sqlite3_column_int(st, 6);
		n->r->cancelled = sqlite3_column_int(st, 7);
		n->r->messages = sqlite3_column_int(st, 8);
		n->r->email = sqlite3_column_int(st, 9);
		n->r->sms = sqlite3_column_int(st, 10);
	}
	sqlite3_reset(st);
	return found;
}

int
meeting_notice_step(struct db *db, const struct config *cfg, int64_t id,
                    struct meeting_notice_result *r, int *busy, char **cause)
{
	sqlite3_stmt *st;
	struct notice n;
	int rc, more = 0;

	if (busy != NULL)
		*busy = 0;
	if (notice_open(&n, db, cfg, id, 0, r, 0, cause) == -1)
		return -1;
	rc = busy != NULL ? db_try_begin(db) : db_begin(db);
	if (rc != 0) {
		if (rc == 1)
			*busy = 1;
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		notice_close(&n);
		return -1;
	}
	if (!job_load(&n)) {
		db_commit(db);
		notice_close(&n);
		return 0;
	}
	notice_vars(&n, n.old_when);
	rc = notices_slice(&n, cause);
	if (rc == 0 && (more = n.after < n.last))
		rc = job_save(&n, cause);
	else if (rc == 0) {
		st = db_stmt(db, "DELETE FROM meeting_notice_jobs"
		                 " WHERE meeting_id = ?");
		db_bind_int(st, 1, id);
		rc = db_done(db, st);
	}
	if (rc == -1 || db_commit(db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("database: %s", db_errmsg(db));
		db_rollback(db);
		notice_close(&n);
		return -1;
	}
	notice_close(&n);
	return more;
}

int64_t *
meeting_notice_jobs(struct db *db, size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT meeting_id FROM"
	                               " meeting_notice_jobs ORDER BY 1");
	int64_t *ids = NULL;

	*n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, *n + 1, sizeof *ids);
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return ids;
}

int
meeting_notice_finish(struct db *db, const struct config *cfg, int64_t id,
                      struct meeting_notice_result *r, char **cause)
{
	int rc;

	while ((rc = meeting_notice_step(db, cfg, id, r, NULL, cause)) == 1)
		;
	return rc;
}

int
meeting_update(struct db *db, const struct config *cfg, int64_t id,
               const struct meeting_change *ch, int64_t now,
               struct meeting_notice_result *r, char **cause)
{
	if (meeting_update_begin(db, cfg, id, ch, now, r, cause) == -1)
		return -1;
	return meeting_notice_finish(db, cfg, id, r, cause);
}

int
meeting_cancel(struct db *db, const struct config *cfg, int64_t id, int64_t now,
               struct meeting_notice_result *r, char **cause)
{
	if (meeting_cancel_begin(db, cfg, id, now, r, cause) == -1)
		return -1;
	return meeting_notice_finish(db, cfg, id, r, cause);
}

json_t *
meeting_notice_json(const struct meeting_notice_result *r)
{
	return json_pack("{s:I, s:i, s:i, s:i, s:i, s:i}", "meeting",
	                 (json_int_t)r->meeting_id, "campaigns", r->campaigns,
	                 "cancelled", r->cancelled, "messages", r->messages,
	                 "email", r->email, "sms", r->sms);
}

static struct campaign *
minutes_campaign(const struct meeting *m, const struct meeting_send *how)
{
	struct campaign *c = campaign_new();

	c->name = xasprintf("meeting-%lld-minutes", (long long)m->id);
	c->practice_id = m->practice_id;
	c->kind = xstrdup("broadcast");
	c->meeting_id = m->id;
	c->message = xstrdup(m->minutes);
	free(c->template);
	c->template =
	    xstrdup(how->template != NULL ? how->template : "meeting-minutes");
	if (how->channels != NULL) {
		free(c->channels);
		c->channels = xstrdup(how->channels);
	}
	if (how->audience != NULL) {
		free(c->audience);
		c->audience = xstrdup(how->audience);
	}
	return c;
}

struct campaign *
meeting_minutes_campaign(struct db *db, const struct config *cfg, int64_t id,
                         const struct meeting_send *how, int64_t now,
                         char **cause)
{
	struct meeting *m = meeting_get(db, id);
	struct campaign *c, *old;

	if (m == NULL || m->minutes == NULL) {
		*cause = xasprintf(m == NULL ? "no meeting %lld"
		                             : "meeting %lld has no minutes",
		                   (long long)id);
		meeting_free(m);
		return NULL;
	}
	c = minutes_campaign(m, how);
	meeting_free(m);
	if ((old = campaign_find(db, c->name)) != NULL) {
		*cause = xasprintf("the minutes of meeting %lld were sent "
		                   "already (campaign %s)",
		                   (long long)id, c->name);
		campaign_free(old);
	} else if (campaign_add(db, cfg, c, now, cause) == 0)
		return c;
	campaign_free(c);
	return NULL;
}

int
meeting_minutes_fired(struct db *db, struct campaign *c)
{
	/* One message: never again at the meeting's time. */
	return campaign_finish(db, c);
}

int
meeting_minutes_send(struct db *db, const struct config *cfg, int64_t id,
                     const struct meeting_send *how, int64_t now,
                     struct fire_result *r, char **name, char **cause)
{
	struct campaign *c;
	int rc = -1;

	*name = NULL;
	if ((c = meeting_minutes_campaign(db, cfg, id, how, now, cause)) ==
	    NULL)
		return -1;
	if (fire_run(db, cfg, c, now, 0, now, r, cause) == 0) {
		(void)meeting_minutes_fired(db, c);
		*name = xstrdup(c->name);
		rc = 0;
	}
	campaign_free(c);
	return rc;
}
