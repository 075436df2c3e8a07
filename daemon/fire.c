/*
 * Firing a campaign. One transaction inserts the run, marked firing, with
 * the snapshot its messages are rendered from when they are sent (runmsg.h:
 * the templates and campaign values, so what was previewed is what is sent);
 * then slices of about 50 ms each walk the audience on from the last member
 * done: each member gets one outbox row on the channel chosen for them, with
 * no text and no stored token (links are derived, linktoken.h), held while
 * the run fires.
 * A webhook waits at most one slice for the write lock. When the last slice
 * has committed, the run is marked fired and its rows are released to the
 * dispatcher (in slices too), so nothing of a run is sent before all of it
 * is queued. The runs and outbox UNIQUE constraints make a second fire of
 * the same run a no-op and a resumed one (fire_resume, at start, after a
 * crash) carry on where it stopped. An SMS survey starts its conversation
 * here: a responses row and an sms_sessions row that the replies module
 * carries on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agreement.h"
#include "util.h"
#include "fire.h"
#include "log.h"
#include "meeting.h"
#include "outbox.h"
#include "practice.h"
#include "quiet.h"
#include "runmsg.h"
#include "sms.h"
#include "sms_session.h"
#include "survey_store.h"
#include "template.h"
#include "xmalloc.h"

#define CH_EMAIL      0
#define CH_SMS        1
#define REMINDER_TMPL "survey-reminder"
#define DAY           86400
/*
 * One slice's transaction (seconds), and rows released per transaction: in
 * the CLI, large ones (a fifth of a 100,000 fire's time went to releasing
 * in 5,000s); in the daemon, a fifth of that, a short stop of its loop.
 */
#define FIRE_SLICE   0.05
#define RELEASE_ROWS (fire_cli ? 20000 : 4000)
/* The page cache during a fire (KiB): a fifth faster than the default. */
#define FIRE_CACHE_KB 65536
/*
 * WAL pages between checkpoints during a fire (default 1000): fewer, larger
 * checkpoints (each copies the pages and syncs the database file) cost a
 * large fire less.
 */
#define FIRE_WAL_PAGES 20000

static int fire_cli; /* fire_set_cli */

struct fire {
	struct db *db;
	const struct config *cfg;
	const struct campaign *c;
	struct practice *p;
	struct survey *sv; /* the latest version, or NULL */
	int64_t survey_id; /* its row */
	struct template *tmpl[2];
	struct tvars *vars;
	char *prompt; /* the first question as an SMS prompt */
	const char *pub;
	int reminder;
	int64_t now, quiet_end, run_id;
	struct fire_result *r;
	struct agreement agreement; /* for confidentiality=signed */
	char *snapshot;             /* the run's (runmsg.h) */
	struct runmsg *rm;          /* it, for previews and checks */
	int64_t cursor;             /* the last member a slice walked past */
	int busy; /* a transaction could not begin: the lock was taken */
};

/* An SMS conversation to start or carry on. */
struct sms_conv {
	int64_t session_id; /* an open one of this campaign, or 0 */
	int question;
};

static int
channel_index(const char *ch)
{
	return strcmp(ch, "sms") == 0 ? CH_SMS : CH_EMAIL;
}

static void
set_if(struct tvars *v, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		tvars_set(v, name, value);
}

/* "- Title (status): latest note" per action. */
static void
action_line(struct db *db, sqlite3_stmt *a, FILE *fp)
{
	sqlite3_stmt *n = db_stmt(db, "SELECT note FROM action_notes WHERE"
	                              " action_id = ? AND note IS NOT NULL"
	                              " AND note <> '' ORDER BY at DESC,"
	                              " id DESC LIMIT 1");
	const char *status = db_col_text(a, 2);

	db_bind_int(n, 1, sqlite3_column_int64(a, 0));
	fprintf(fp, "%s- %s (%s)", ftell(fp) > 0 ? "\n" : "", db_col_text(a, 1),
	        strcmp(status, "in-progress") == 0 ? "in progress" : status);
	if (sqlite3_step(n) == SQLITE_ROW)
		fprintf(fp, ": %s", db_col_text(n, 0));
	sqlite3_reset(n);
}

char *
fire_actions_text(struct db *db, int64_t practice_id, const char *ids)
{
	sqlite3_stmt *a = db_stmt(
	    db, "SELECT id, title, status FROM actions WHERE practice_id = ?1"
	        " AND (?2 IS NULL AND status IN ('agreed','in-progress','done')"
	        " OR ?2 IS NOT NULL AND instr(',' || ?2 || ',',"
	        " ',' || id || ',') > 0) ORDER BY id");
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		fatal("open_memstream");
	db_bind_int(a, 1, practice_id);
	db_bind_text(a, 2, ids);
	while (sqlite3_step(a) == SQLITE_ROW)
		action_line(db, a, fp);
	sqlite3_reset(a);
	fclose(fp);
	if (len == 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int uses(const struct fire *, const char *);

static void
meeting_review_vars(struct fire *f, const struct meeting *m)
{
	char *ids = meeting_review_ids(f->db, m), *text;

	if (ids == NULL)
		return;
	text = fire_actions_text(f->db, f->p->id, ids);
	set_if(f->vars, "meeting.review", text);
	free(text);
	free(ids);
}

static void
meeting_vars(struct fire *f)
{
	struct meeting *m = meeting_get(f->db, f->c->meeting_id);
	char *when;

	if (m == NULL)
		return;
	when = meeting_when(m->at, f->p->timezone);
	set_if(f->vars, "meeting.when", when);
	set_if(f->vars, "meeting.where", m->place);
	set_if(f->vars, "meeting.agenda", m->agenda);
	set_if(f->vars, "meeting.link", m->link);
	if (uses(f, "meeting.review")) /* the last meeting's actions */
		meeting_review_vars(f, m);
	if (m->published_at != 0) {
		free(when);
		when = xasprintf("%s/practice/%s/meetings/%lld", f->pub,
		                 f->p->code, (long long)m->id);
		set_if(f->vars, "meeting.minutes_link", when);
	}
	free(when);
	meeting_free(m);
}

static int
uses(const struct fire *f, const char *name)
{
	return (f->tmpl[0] != NULL && template_uses(f->tmpl[0], name)) ||
	       (f->tmpl[1] != NULL && template_uses(f->tmpl[1], name));
}

/* The values every member's message shares. */
static void
campaign_vars(struct fire *f)
{
	char *actions;

	f->vars = tvars_new();
	set_if(f->vars, "practice.name", f->p->name);
	set_if(f->vars, "practice.code", f->p->code);
	set_if(f->vars, "practice.phone", f->p->phone);
	set_if(f->vars, "practice.website", f->p->website);
	set_if(f->vars, "campaign.name", f->c->name);
	set_if(f->vars, "message.text", f->c->message);
	if (f->sv != NULL) {
		set_if(f->vars, "survey.title", f->sv->title);
		set_if(f->vars, "survey.question", f->prompt);
	}
	if (f->c->meeting_id != 0)
		meeting_vars(f);
	if (uses(f, "actions.list")) {
		actions = fire_actions_text(f->db, f->p->id, f->c->action_ids);
		set_if(f->vars, "actions.list", actions);
		free(actions);
	}
}

static int
load_survey(struct fire *f, char **cause)
{
	if (f->c->survey_slug == NULL)
		return 0;
	f->survey_id = survey_store_latest(f->db, f->c->survey_slug, NULL);
	if (f->survey_id == 0 ||
	    (f->sv = survey_store_get(f->db, f->survey_id, cause)) == NULL) {
		if (f->survey_id == 0)
			*cause = xasprintf("survey %s is not loaded",
			                   f->c->survey_slug);
		return -1;
	}
	if (f->sv->nquestions > 0)
		f->prompt = survey_sms_prompt(&f->sv->questions[0]);
	return 0;
}

static int
load_templates(struct fire *f, char **cause)
{
	const char *dir = config_str(f->cfg, CFG_TEMPLATES);
	const char *name = f->reminder ? REMINDER_TMPL : f->c->template;
	int max = (int)config_int(f->cfg, CFG_SMS_MAX_SEGMENTS);
	struct aud_scope sc;
	int i, ch;

	if (audience_channels(f->c->channels, &sc, cause) == -1)
		return -1;
	for (i = 0; i < sc.nchannels; i++) {
		ch = channel_index(sc.channels[i]);
		if (template_load(dir, name,
		                  ch == CH_SMS ? TMPL_SMS : TMPL_EMAIL, max,
		                  &f->tmpl[ch], cause) == -1)
			return -1;
	}
	return 0;
}

static void
fire_close(struct fire *f)
{
	practice_free(f->p);
	survey_free(f->sv);
	template_free(f->tmpl[0]);
	template_free(f->tmpl[1]);
	tvars_free(f->vars);
	free(f->prompt);
	agreement_clear(&f->agreement);
	free(f->snapshot);
	runmsg_free(f->rm);
}

static int
fire_open(struct fire *f, struct db *db, const struct config *cfg,
          const struct campaign *c, int reminder, int64_t now, char **cause)
{
	memset(f, 0, sizeof *f);
	f->db = db;
	f->cfg = cfg;
	f->c = c;
	f->reminder = reminder;
	f->now = now;
	f->pub = config_str(cfg, CFG_PUBLIC_URL);
	if ((f->p = practice_get(db, c->practice_id)) == NULL) {
		*cause = xasprintf("campaign %s: no practice", c->name);
		return -1;
	}
	if (load_survey(f, cause) == -1 || load_templates(f, cause) == -1) {
		fire_close(f);
		return -1;
	}
	campaign_vars(f);
	f->snapshot =
	    runmsg_snapshot(f->tmpl, f->vars, f->survey_id, c->meeting_id);
	if ((f->rm = runmsg_parse(f->snapshot, 0, c->id, cause)) == NULL) {
		fire_close(f);
		return -1;
	}
	f->quiet_end = quiet_until(cfg, f->p->timezone, now);
	if (agreement_load(cfg, &f->agreement, cause) == -1) {
		fire_close(f);
		return -1;
	}
	return 0;
}

static int
check_actions(struct fire *f, char **cause)
{
	sqlite3_stmt *st;
	char *copy, *id, *save = NULL;
	int rc = 0;

	if (f->c->action_ids == NULL)
		return 0;
	copy = xstrdup(f->c->action_ids);
	for (id = strtok_r(copy, ",", &save); id != NULL && rc == 0;
	     id = strtok_r(NULL, ",", &save)) {
		st = db_stmt(f->db, "SELECT 1 FROM actions WHERE id = ?"
		                    " AND practice_id = ?");
		db_bind_int(st, 1, strtoll(id, NULL, 10));
		db_bind_int(st, 2, f->p->id);
		if (!db_exists(f->db, st)) {
			*cause = xasprintf("no action %s at practice %s", id,
			                   f->p->code);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int
check_render(struct fire *f, char **cause)
{
	struct rendered out;
	char *c = NULL;
	int ch;

	for (ch = 0; ch < 2; ch++) {
		if (f->tmpl[ch] == NULL)
			continue;
		if (runmsg_render(f->rm, f->db, f->cfg, 0,
		                  ch == CH_SMS ? "sms" : "email", &out,
		                  &c) == -1) {
			*cause = xasprintf("campaign %s: %s", f->c->name, c);
			free(c);
			return -1;
		}
		rendered_clear(&out);
	}
	return 0;
}

int
fire_check(struct db *db, const struct config *cfg, const struct campaign *c,
           char **cause)
{
	struct fire f;
	int rc, reminder;

	for (reminder = 0; reminder <= (c->remind_after_s > 0); reminder++) {
		if (fire_open(&f, db, cfg, c, reminder, time(NULL), cause) ==
		    -1)
			return -1;
		rc = check_actions(&f, cause);
		if (rc == 0)
			rc = check_render(&f, cause);
		fire_close(&f);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Insert the row; 1 if made, 0 if this run had it already, -1 on error. */
/*
 * The row has no text: the dispatcher renders it from the run's snapshot
 * when it sends it (runmsg.h). Held until the run has fired; then pending,
 * or held for quiet hours.
 */
static int
outbox_insert(struct fire *f, const struct aud_member *m, int ch)
{
	sqlite3_stmt *st = db_stmt(
	    f->db, "INSERT INTO outbox (run_id, member_id, practice_id,"
	           " channel, purpose, state, held_reason, to_addr, body,"
	           " next_attempt_at, created_at)"
	           " VALUES (?1, ?2, ?3, ?4, 'campaign', 'held', 'firing', ?5,"
	           " '', ?6, ?7)"
	           " ON CONFLICT (run_id, member_id, channel) DO NOTHING");
	int quiet = ch == CH_SMS && f->quiet_end > 0;

	db_bind_int(st, 1, f->run_id);
	db_bind_int(st, 2, m->id);
	db_bind_int(st, 3, f->p->id);
	db_bind_text(st, 4, m->channel);
	db_bind_text(st, 5, ch == CH_SMS ? m->mobile : m->email);
	db_bind_int(st, 6, quiet ? f->quiet_end : f->now);
	db_bind_int(st, 7, f->now);
	if (db_done(f->db, st) == -1)
		return -1;
	return db_changes(f->db) == 1;
}

/* An open, unexpired session of this campaign for the member. */
static void
sms_conv_find(struct fire *f, int64_t member_id, struct sms_conv *cv)
{
	sqlite3_stmt *st = db_stmt(
	    f->db, "SELECT s.id, s.question_index FROM sms_sessions s JOIN"
	           " responses r ON r.id = s.response_id WHERE s.member_id = ?"
	           " AND s.state = 'open' AND s.expires_at > ?"
	           " AND r.campaign_id = ? ORDER BY s.id DESC LIMIT 1");

	cv->session_id = 0;
	cv->question = 0;
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, f->now);
	db_bind_int(st, 3, f->c->id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		cv->session_id = sqlite3_column_int64(st, 0);
		cv->question = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (cv->question < 0 || (size_t)cv->question >= f->sv->nquestions)
		cv->question = 0;
}

static int64_t
response_insert(struct fire *f, const struct aud_member *m)
{
	sqlite3_stmt *st = db_stmt(
	    f->db, "INSERT INTO responses (survey_id, campaign_id, practice_id,"
	           " member_id, channel, started_at, age_band, sex, ethnicity,"
	           " invited_channel)"
	           " VALUES (?, ?, ?, nullif(?, 0), 'sms', ?, ?, ?, ?, 'sms')");

	db_bind_int(st, 1, f->survey_id);
	db_bind_int(st, 2, f->c->id);
	db_bind_int(st, 3, f->p->id);
	db_bind_int(st, 4, f->sv->anonymous ? 0 : m->id);
	db_bind_int(st, 5, f->now);
	db_bind_text(st, 6, m->age_band);
	db_bind_text(st, 7, m->sex);
	db_bind_text(st, 8, m->ethnicity);
	return db_done(f->db, st) == -1 ? -1 : db_last_id(f->db);
}

/*
 * Whether the member has an open conversation to close: most have none, and
 * the close (an UPDATE of an indexed column) builds a temporary table each
 * time it runs.
 */
static int
sms_open(struct fire *f, int64_t member_id)
{
	sqlite3_stmt *st = db_stmt(f->db, "SELECT 1 FROM sms_sessions WHERE"
	                                  " member_id = ? AND state = 'open'"
	                                  " LIMIT 1");

	db_bind_int(st, 1, member_id);
	return db_exists(f->db, st);
}

/* Start the conversation (closing older ones) or extend the open one. */
static int
sms_conv_start(struct fire *f, const struct aud_member *m,
               const struct sms_conv *cv)
{
	int64_t expires = f->now + config_int(f->cfg, CFG_SMS_SESSION_EXPIRY);
	sqlite3_stmt *st;
	int64_t rid;

	if (cv->session_id != 0) {
		st = db_stmt(f->db, "UPDATE sms_sessions SET expires_at = ?,"
		                    " updated_at = ? WHERE id = ?");
		db_bind_int(st, 1, expires);
		db_bind_int(st, 2, f->now);
		db_bind_int(st, 3, cv->session_id);
		return db_done(f->db, st);
	}
	if ((sms_open(f, m->id) &&
	     sms_session_close(f->db, m->id, SS_SUPERSEDED, f->now) == -1) ||
	    (rid = response_insert(f, m)) == -1)
		return -1;
	st = db_stmt(f->db, "INSERT INTO sms_sessions (member_id, response_id,"
	                    " question_index, state, expires_at, updated_at)"
	                    " VALUES (?, ?, 0, 'open', ?, ?)");
	db_bind_int(st, 1, m->id);
	db_bind_int(st, 2, rid);
	db_bind_int(st, 3, expires);
	db_bind_int(st, 4, f->now);
	return db_done(f->db, st);
}

static void
count_row(struct fire *f, int ch)
{
	f->r->messages++;
	if (ch == CH_SMS) {
		f->r->sms++;
		if (f->quiet_end > 0)
			f->r->held++;
	} else
		f->r->email++;
}

/* The member's row and, for an SMS survey, its conversation; -1 only on a
 * database error. */
static int
fire_member(struct fire *f, const struct aud_member *m)
{
	int ch = channel_index(m->channel), made;
	struct sms_conv cv = {0, 0};

	if (ch == CH_SMS && f->sv != NULL && f->sv->nquestions > 0)
		sms_conv_find(f, m->id, &cv);
	if ((made = outbox_insert(f, m, ch)) <= 0)
		return made;
	if (ch == CH_SMS && f->sv != NULL && sms_conv_start(f, m, &cv) == -1)
		return -1;
	count_row(f, ch);
	return 0;
}

/* The run's snapshot, which its messages are rendered from. */
static int
run_snapshot(struct fire *f)
{
	sqlite3_stmt *st = db_stmt(f->db, "UPDATE runs SET snapshot = ?,"
	                                  " survey_id = nullif(?, 0)"
	                                  " WHERE id = ?");

	db_bind_text(st, 1, f->snapshot);
	db_bind_int(st, 2, f->survey_id);
	db_bind_int(st, 3, f->run_id);
	return db_done(f->db, st);
}

/* Insert the run; 0 and f->run_id if new, 1 if it exists, -1 on error. */
static int
run_insert(struct fire *f, int64_t scheduled_for)
{
	sqlite3_stmt *st = db_stmt(
	    f->db, "INSERT INTO runs (campaign_id, scheduled_for, reminder,"
	           " fired_at, firing) VALUES (?, ?, ?, ?, 1)"
	           " ON CONFLICT DO NOTHING");

	db_bind_int(st, 1, f->c->id);
	db_bind_int(st, 2, scheduled_for);
	db_bind_int(st, 3, f->reminder);
	db_bind_int(st, 4, f->now);
	if (db_done(f->db, st) == -1)
		return -1;
	if (db_changes(f->db) == 0)
		return 1;
	f->run_id = db_last_id(f->db);
	return 0;
}

static int64_t
run_find(struct fire *f, int64_t scheduled_for, int reminder)
{
	sqlite3_stmt *st =
	    db_stmt(f->db, "SELECT id FROM runs WHERE"
	                   " campaign_id = ? AND"
	                   " scheduled_for = ? AND reminder = ?");
	int64_t id = 0;

	db_bind_int(st, 1, f->c->id);
	db_bind_int(st, 2, scheduled_for);
	db_bind_int(st, 3, reminder);
	db_row_int(f->db, st, &id);
	return id;
}

static int
scope_init(struct fire *f, struct aud_scope *sc, int64_t scheduled_for,
           char **cause)
{
	memset(sc, 0, sizeof *sc);
	if (audience_channels(f->c->channels, sc, cause) == -1)
		return -1;
	sc->practice_id = f->p->id;
	sc->now = f->now;
	sc->frequency_cap = (int)config_int(f->cfg, CFG_CAMPAIGN_FREQUENCY_CAP);
	sc->agreement_version = f->agreement.version;
	if (f->reminder == 0)
		return 0;
	sc->campaign_id = f->c->id;
	if ((sc->invited_run = run_find(f, scheduled_for, 0)) == 0) {
		*cause = xasprintf("campaign %s: no first run to remind about",
		                   f->c->name);
		return -1;
	}
	return 0;
}

/* Open the member query: the audience, or for a reminder those invited. */
static int
members_open(struct fire *f, const struct aud_scope *sc, struct aud_query **q,
             char **cause)
{
	struct audience *a;
	char *expr = NULL, *term;
	int rc;

	/* A meeting's feedback goes to those who came (or were invited). */
	if (!f->reminder && f->c->meeting_id != 0 &&
	    strcmp(f->c->kind, "feedback") == 0 &&
	    (term = meeting_feedback_audience(f->db, f->c->meeting_id)) !=
	        NULL) {
		expr = xasprintf("%s,%s", f->c->audience, term);
		free(term);
	}
	rc = audience_parse(expr != NULL  ? expr
	                    : f->reminder ? "everyone"
	                                  : f->c->audience,
	                    &a, cause);
	free(expr);
	if (rc == -1)
		return -1;
	rc = audience_query_new(f->db, a, sc, q, cause);
	audience_free(a);
	return rc;
}

static double slice_seconds = FIRE_SLICE;

void
fire_set_slice(double seconds)
{
	slice_seconds = seconds >= 0 ? seconds : FIRE_SLICE;
}

void
fire_set_cli(int cli)
{
	fire_cli = cli;
}

static void (*progress_fn)(long long, void *);
static void *progress_arg;

void
fire_set_progress(void (*fn)(long long, void *), void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
}

/* Members until the end (0) or the slice's time is up (1); -1 on error. */
static int
fire_members(struct fire *f, struct aud_query *q, double end, char **cause)
{
	struct aud_member m;
	int rc;

	while ((rc = audience_next(q, &m)) == 1) {
		f->r->matched++;
		if (progress_fn != NULL && f->r->matched % 500 == 0)
			progress_fn(f->r->matched, progress_arg);
		if (m.skip != AUD_OK)
			f->r->skipped[m.skip]++;
		else if (fire_member(f, &m) == -1) {
			rc = -1;
			break;
		}
		f->cursor = m.id;
		if (util_monotonic() >= end)
			return 1;
	}
	if (rc != 0) {
		*cause =
		    xasprintf("campaign %s: %s", f->c->name, db_errmsg(f->db));
		return -1;
	}
	return 0;
}

/* A run left firing: carry on after its last row. */
static int
run_resume(struct fire *f, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(f->db, "SELECT (SELECT ifnull(max(member_id), 0)"
	                   " FROM outbox WHERE run_id = ?1) FROM runs"
	                   " WHERE id = ?1 AND firing = 1");
	int rc = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		f->run_id = id;
		f->cursor = sqlite3_column_int64(st, 0);
		rc = 1;
	}
	sqlite3_reset(st);
	return rc;
}

/* The run, new or left firing (0), or 1 if it was fired already. */
static int
run_start(struct fire *f, int64_t scheduled_for, char **cause)
{
	int rc = run_insert(f, scheduled_for);

	if (rc == 0 && run_snapshot(f) == -1)
		rc = -1;
	if (rc == -1) {
		*cause = xasprintf("run: %s", db_errmsg(f->db));
		return -1;
	}
	if (rc == 1) {
		f->r->run_id = run_find(f, scheduled_for, f->reminder);
		if (!run_resume(f, f->r->run_id))
			return 1;
		log_info("event=fire_resume campaign=\"%s\" run=%lld",
		         f->c->name, (long long)f->run_id);
	}
	f->r->created = 1;
	f->r->run_id = f->run_id;
	return 0;
}

/* One slice of members: 1 if more remain, 0 at the end, -1 on error. */
static int
fire_slice(struct fire *f, const struct aud_scope *sc, char **cause)
{
	double end = util_monotonic() + slice_seconds;
	struct aud_query *q;
	int rc;

	if (members_open(f, sc, &q, cause) == -1)
		return -1;
	rc = fire_members(f, q, end, cause);
	audience_query_free(q);
	return rc;
}

/*
 * Begin a transaction. The CLI waits for the write lock (busy_timeout); the
 * daemon never waits on its loop: if another connection holds the lock,
 * *busy is set and nothing was done, for the caller to try again later.
 */
static int
fire_begin(struct db *db, int *busy)
{
	int rc;

	if (fire_cli)
		return db_begin(db);
	if ((rc = db_try_begin(db)) == 1)
		*busy = 1;
	return rc == 0 ? 0 : -1;
}

/* Run fn in its own transaction; its result, or -1 if it cannot commit. */
static int
fire_txn(struct fire *f, int (*fn)(struct fire *, void *, char **), void *arg,
         char **cause)
{
	int rc;

	if (fire_begin(f->db, &f->busy) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(f->db));
		return -1;
	}
	rc = fn(f, arg, cause);
	if (rc != -1 && db_commit(f->db) == -1) {
		*cause = xasprintf("commit: %s", db_errmsg(f->db));
		rc = -1;
	}
	if (rc == -1)
		db_rollback(f->db);
	return rc;
}

static int
start_fn(struct fire *f, void *arg, char **cause)
{
	return run_start(f, *(int64_t *)arg, cause);
}

static int
slice_fn(struct fire *f, void *arg, char **cause)
{
	struct aud_scope *sc = arg;

	sc->after_id = f->cursor;
	return fire_slice(f, sc, cause);
}

/* Every member queued: the run is fired, its count final. */
static int
fired_fn(struct fire *f, void *arg, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    f->db, "UPDATE runs SET firing = 0, messages = (SELECT count(*)"
	           " FROM outbox WHERE run_id = ?1) WHERE id = ?1");

	db_bind_int(st, 1, f->run_id);
	if (db_done(f->db, st) == -1) {
		*cause = xasprintf("run: %s", db_errmsg(f->db));
		return -1;
	}
	return 0;
}

/* The id range (*from, *to] of a fired run's rows, to release. */
static void
release_range(struct db *db, int64_t run_id, int64_t *from, int64_t *to)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT ifnull(min(id), 0) - 1,"
	                               " ifnull(max(id), 0) FROM outbox"
	                               " WHERE run_id = ?");

	*from = *to = 0;
	db_bind_int(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*from = sqlite3_column_int64(st, 0);
		*to = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

/* Release the next RELEASE_ROWS of (*from, to] in one transaction. */
static int
release_chunk(struct db *db, int64_t run_id, int64_t *from, int64_t to,
              int64_t now, int *busy, char **cause)
{
	int64_t upto = *from + RELEASE_ROWS < to ? *from + RELEASE_ROWS : to;

	if (fire_begin(db, busy) == -1) {
		*cause = xasprintf("release: %s", db_errmsg(db));
		return -1;
	}
	if (outbox_release_run(db, run_id, *from, upto, now) == -1 ||
	    db_commit(db) == -1) {
		*cause = xasprintf("release: %s", db_errmsg(db));
		db_rollback(db);
		return -1;
	}
	*from = upto;
	return 0;
}

/* Release a fired run's held rows to the dispatcher, a slice at a time. */
static int
run_release(struct db *db, int64_t run_id, int64_t now, char **cause)
{
	int64_t from, to;
	int busy = 0;

	release_range(db, run_id, &from, &to);
	while (from < to)
		if (release_chunk(db, run_id, &from, to, now, &busy, cause) ==
		    -1)
			return -1;
	return 0;
}

static void
pragma(struct db *db, const char *sql)
{
	char *cause = NULL;

	if (db_exec(db, sql, &cause) == -1) {
		log_warnx("event=pragma error=\"%s\"", cause);
		free(cause);
	}
}

/* The connection's settings a fire changes, to put back. */
struct fire_tuning {
	int64_t cache_size, wal_pages, sync;
};

/* A bigger page cache and fewer checkpoints for a fire. */
static struct fire_tuning
cache_grow(struct db *db)
{
	struct fire_tuning old;
	char sql[64];

	old.cache_size = db_int(db, db_stmt(db, "PRAGMA cache_size"), -2000);
	old.wal_pages =
	    db_int(db, db_stmt(db, "PRAGMA wal_autocheckpoint"), 1000);
	old.sync = db_int(db, db_stmt(db, "PRAGMA synchronous"), 2);
	if (old.cache_size < 0 && -old.cache_size < FIRE_CACHE_KB) {
		snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d",
		         FIRE_CACHE_KB);
		pragma(db, sql);
	}
	if (fire_cli && old.wal_pages > 0 && old.wal_pages < FIRE_WAL_PAGES) {
		snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %d",
		         FIRE_WAL_PAGES);
		pragma(db, sql);
	}
	return old;
}

static void
cache_restore(struct db *db, struct fire_tuning old)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld",
	         (long long)old.cache_size);
	pragma(db, sql);
	snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %lld",
	         (long long)old.wal_pages);
	pragma(db, sql);
	snprintf(sql, sizeof sql, "PRAGMA synchronous = %lld",
	         (long long)old.sync);
	pragma(db, sql);
}

/*
 * A fire's transactions but its last commit without waiting for the disk
 * (synchronous=NORMAL in WAL: a power cut may lose the latest of them, never
 * corrupt). Losing them is safe: the run is firing and its rows held until
 * the last commit, which is durable (and makes every earlier one so); a run
 * found firing at start is finished then. Other writers on the connection
 * keep their durable commits: the setting is put back after each step.
 */
static void
sync_set(struct db *db, int durable, const struct fire_tuning *t)
{
	char sql[48];

	snprintf(sql, sizeof sql, "PRAGMA synchronous = %lld",
	         durable ? (long long)t->sync : 1LL);
	pragma(db, sql);
}

enum job_phase { JOB_SLICES, JOB_RELEASE, JOB_DONE };

struct fire_job {
	struct fire f;
	struct fire_result r;
	struct fire_tuning cache;
	struct aud_scope sc;
	enum job_phase phase;
	int64_t from, to; /* rows still to release */
	int grown;        /* cache holds the settings to put back */
};

void
fire_job_free(struct fire_job *j)
{
	if (j == NULL)
		return;
	if (j->grown)
		cache_restore(j->f.db, j->cache);
	fire_close(&j->f);
	free(j);
}

int
fire_job_start(struct db *db, const struct config *cfg,
               const struct campaign *c, int64_t scheduled_for, int reminder,
               int64_t now, struct fire_job **out, struct fire_result *r,
               char **cause)
{
	struct fire_job *j = xcalloc(1, sizeof *j);
	int rc;

	*out = NULL;
	memset(r, 0, sizeof *r);
	j->r.scheduled_for = scheduled_for;
	j->r.reminder = reminder;
	if (fire_open(&j->f, db, cfg, c, reminder, now, cause) == -1) {
		free(j);
		return -1;
	}
	j->f.r = &j->r;
	rc = fire_txn(&j->f, start_fn, &scheduled_for, cause);
	if (rc == 0 && scope_init(&j->f, &j->sc, scheduled_for, cause) == -1)
		rc = -1;
	*r = j->r;
	if (rc != 0) {
		if (rc == -1) {
			memset(r, 0, sizeof *r);
			r->busy = j->f.busy;
		}
		fire_job_free(j);
		return rc == -1 ? -1 : 0;
	}
	*out = j;
	return 0;
}

int
fire_job_step(struct fire_job *j, struct fire_result *r, char **cause)
{
	int rc = 0;

	j->f.busy = 0;
	/* Grown at the first step, not at the start: in the daemon jobs are
	 * started while another steps (firequeue.c), never stepped so. */
	if (!j->grown) {
		j->cache = cache_grow(j->f.db);
		j->grown = 1;
	}
	switch (j->phase) {
	case JOB_SLICES:
		sync_set(j->f.db, 0, &j->cache);
		rc = fire_txn(&j->f, slice_fn, &j->sc, cause);
		if (rc == 0) {
			release_range(j->f.db, j->f.run_id, &j->from, &j->to);
			sync_set(j->f.db, j->from >= j->to, &j->cache);
			rc = fire_txn(&j->f, fired_fn, NULL, cause);
		}
		if (rc == 0) {
			j->phase = JOB_RELEASE;
			rc = 1;
		}
		break;
	case JOB_RELEASE:
		sync_set(j->f.db, j->from + RELEASE_ROWS >= j->to, &j->cache);
		if (j->from < j->to &&
		    release_chunk(j->f.db, j->f.run_id, &j->from, j->to,
		                  j->f.now, &j->f.busy, cause) == -1)
			rc = -1;
		else if (j->from < j->to)
			rc = 1;
		else
			j->phase = JOB_DONE;
		break;
	case JOB_DONE:
		break;
	}
	sync_set(j->f.db, 1, &j->cache);
	*r = j->r;
	if (rc == -1) {
		memset(r, 0, sizeof *r);
		r->busy = j->f.busy;
	}
	return rc;
}

int
fire_run(struct db *db, const struct config *cfg, const struct campaign *c,
         int64_t scheduled_for, int reminder, int64_t now,
         struct fire_result *r, char **cause)
{
	struct fire_job *j;
	int rc;

	if (fire_job_start(db, cfg, c, scheduled_for, reminder, now, &j, r,
	                   cause) == -1)
		return -1;
	if (j == NULL)
		return 0;
	while ((rc = fire_job_step(j, r, cause)) == 1)
		if (fire_cli) {
			struct timespec ts = {0, (long)(FIRE_CLI_PAUSE * 1e9)};
			nanosleep(&ts, NULL);
		}
	fire_job_free(j);
	return rc == -1 ? -1 : 0;
}

/* Runs left firing, at most n, as (id, campaign, scheduled_for, reminder). */
static int
runs_firing(struct db *db, int64_t (*runs)[4], int n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, campaign_id, scheduled_for,"
	                               " reminder FROM runs WHERE firing = 1"
	                               " ORDER BY id LIMIT ?");
	int k = 0, i;

	db_bind_int(st, 1, n);
	while (k < n && sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			runs[k][i] = sqlite3_column_int64(st, i);
		k++;
	}
	sqlite3_reset(st);
	return k;
}

int64_t
fire_firing_run(struct db *db, int64_t *campaign_id, int64_t *scheduled_for,
                int *reminder)
{
	int64_t runs[1][4];

	if (runs_firing(db, runs, 1) == 0)
		return 0;
	*campaign_id = runs[0][1];
	*scheduled_for = runs[0][2];
	*reminder = (int)runs[0][3];
	return runs[0][0];
}

/* Fired runs with rows still held for firing (a crash while releasing). */
static int
runs_unreleased(struct db *db, int64_t *ids, int n)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT DISTINCT run_id FROM outbox WHERE state = 'held'"
	        " AND held_reason = 'firing' AND run_id IN"
	        " (SELECT id FROM runs WHERE firing = 0) LIMIT ?");
	int k = 0;

	db_bind_int(st, 1, n);
	while (k < n && sqlite3_step(st) == SQLITE_ROW)
		ids[k++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return k;
}

#define RESUME_BATCH 16

int
fire_resume(struct db *db, const struct config *cfg, int64_t now, int *fired)
{
	int64_t runs[RESUME_BATCH][4], ids[RESUME_BATCH];
	struct campaign *c;
	struct fire_result r;
	char *cause = NULL;
	int n, i, rc = 0;

	n = runs_firing(db, runs, RESUME_BATCH);
	for (i = 0; i < n; i++) {
		if ((c = campaign_get(db, runs[i][1])) == NULL)
			continue;
		if (fire_run(db, cfg, c, runs[i][2], (int)runs[i][3], now, &r,
		             &cause) == -1) {
			log_warnx("event=fire_resume campaign=\"%s\""
			          " error=\"%s\"",
			          c->name, cause);
			free(cause);
			cause = NULL;
			rc = -1;
		} else
			*fired += r.created;
		campaign_free(c);
	}
	n = runs_unreleased(db, ids, RESUME_BATCH);
	for (i = 0; i < n; i++) {
		if (run_release(db, ids[i], now, &cause) == -1) {
			log_warnx("event=fire_resume run=%lld error=\"%s\"",
			          (long long)ids[i], cause);
			free(cause);
			cause = NULL;
			rc = -1;
		} else
			*fired += 1;
	}
	return rc;
}

/* The newest first run of campaign id fired at or after since; 0 if none. */
static int64_t
fire_recent(struct db *db, int64_t id, int64_t since, int64_t *fired_at)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, fired_at FROM runs WHERE"
	                               " campaign_id = ? AND reminder = 0 AND"
	                               " fired_at >= ? ORDER BY fired_at DESC,"
	                               " id DESC LIMIT 1");
	int64_t run = 0;

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, since);
	if (sqlite3_step(st) == SQLITE_ROW) {
		run = sqlite3_column_int64(st, 0);
		*fired_at = sqlite3_column_int64(st, 1);
	}
	db_reset(st);
	return run;
}

int
fire_send_check(struct db *db, const struct campaign *c, int again, int64_t now,
                char **cause)
{
	int64_t run, at = 0;
	char when[21];

	run = fire_recent(db, c->id, now - FIRE_AGAIN_WINDOW, &at);
	if (run != 0 && !again) {
		util_format_time(at, when);
		*cause =
		    xasprintf("campaign %s: run %lld was sent at %s, less "
		              "than a day ago; nothing sent (--again sends "
		              "it again)",
		              c->name, (long long)run, when);
		return -1;
	}
	return 0;
}

int
fire_send(struct db *db, const struct config *cfg, const struct campaign *c,
          int again, int64_t now, struct fire_result *r, char **cause)
{
	if (fire_send_check(db, c, again, now, cause) == -1)
		return -1;
	return fire_run(db, cfg, c, now, 0, now, r, cause);
}

static json_t *
skipped_json(const int *skipped, int render_failed)
{
	json_t *o = json_object();
	int i;

	for (i = AUD_OK + 1; i < AUD_NSKIP; i++)
		json_object_set_new(o, audience_skip_name(i),
		                    json_integer(skipped[i]));
	json_object_set_new(o, "render_failed", json_integer(render_failed));
	return o;
}

json_t *
fire_result_json(const struct fire_result *r, const struct campaign *c)
{
	char buf[32];

	return json_pack(
	    "{s:s, s:I, s:s, s:i, s:b, s:i, s:i, s:i, s:i, s:i,"
	    " s:o}",
	    "campaign", c->name, "run_id", (json_int_t)r->run_id,
	    "scheduled_for", campaign_iso(c, r->scheduled_for, buf), "reminder",
	    r->reminder, "created", r->created, "matched", r->matched,
	    "messages", r->messages, "email", r->email, "sms", r->sms, "held",
	    r->held, "skipped", skipped_json(r->skipped, r->render_failed));
}

/* Audience counts for a preview, without writing anything. */
static json_t *
preview_counts(struct fire *f, char **cause)
{
	struct fire_result r;
	struct aud_member m;
	struct aud_query *q;
	struct aud_scope sc;
	int rc;

	memset(&r, 0, sizeof r);
	if (scope_init(f, &sc, 0, cause) == -1 ||
	    members_open(f, &sc, &q, cause) == -1)
		return NULL;
	while ((rc = audience_next(q, &m)) == 1) {
		r.matched++;
		r.skipped[m.skip]++;
		if (m.skip == AUD_OK && channel_index(m.channel) == CH_SMS)
			r.sms++;
		else if (m.skip == AUD_OK)
			r.email++;
	}
	audience_query_free(q);
	return json_pack("{s:i, s:i, s:i, s:i, s:o}", "matched", r.matched,
	                 "recipients", r.email + r.sms, "email", r.email, "sms",
	                 r.sms, "skipped", skipped_json(r.skipped, 0));
}

static json_t *
str_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
preview_message(struct fire *f, int ch, int64_t member_id, char **cause)
{
	struct rendered out;
	struct sms_info info;
	json_t *o;

	if (runmsg_render(f->rm, f->db, f->cfg, member_id,
	                  ch == CH_SMS ? "sms" : "email", &out, cause) == -1)
		return NULL;
	if (ch == CH_EMAIL)
		o = json_pack("{s:o, s:s, s:o}", "subject",
		              str_json(out.subject), "text", out.text, "html",
		              str_json(out.html));
	else {
		sms_analyse(out.text, &info);
		o = json_pack("{s:s, s:s, s:I, s:I, s:b}", "text", out.text,
		              "encoding", sms_encoding_name(info.encoding),
		              "characters", (json_int_t)info.characters,
		              "segments", (json_int_t)info.segments,
		              "held_for_quiet_hours", f->quiet_end > 0);
	}
	rendered_clear(&out);
	return o;
}

/* The member's row and channel; *found 0 if not in the audience. */
static int
preview_member(struct fire *f, int64_t id, json_t **out, char **cause)
{
	struct aud_member m;
	struct aud_query *q;
	struct aud_scope sc;
	int rc;

	*out = json_null();
	if (id == 0)
		return 0;
	if (scope_init(f, &sc, 0, cause) == -1)
		return -1;
	sc.member_id = id;
	if (members_open(f, &sc, &q, cause) == -1)
		return -1;
	if ((rc = audience_next(q, &m)) == 1) {
		*out = json_pack("{s:I, s:o, s:o}", "id", (json_int_t)id,
		                 "channel", str_json(m.channel), "skipped",
		                 m.skip == AUD_OK
		                     ? json_null()
		                     : json_string(audience_skip_name(m.skip)));
	} else
		*cause = xasprintf("member %lld is not in the audience of %s",
		                   (long long)id, f->c->name);
	audience_query_free(q);
	return rc == 1 ? 0 : -1;
}

static json_t *
preview_build(struct fire *f, int64_t member_id, char **cause)
{
	json_t *o, *msgs, *counts, *member, *m;
	int ch;

	if ((counts = preview_counts(f, cause)) == NULL)
		return NULL;
	if (preview_member(f, member_id, &member, cause) == -1) {
		json_decref(counts);
		return NULL;
	}
	o = json_pack("{s:s, s:o, s:o}", "campaign", f->c->name, "member",
	              member, "audience", counts);
	msgs = json_object();
	for (ch = 0; ch < 2; ch++) {
		if (f->tmpl[ch] == NULL)
			continue;
		if ((m = preview_message(f, ch, member_id, cause)) == NULL) {
			json_decref(msgs);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(msgs, ch == CH_SMS ? "sms" : "email", m);
	}
	json_object_set_new(o, "messages", msgs);
	return o;
}

json_t *
fire_preview(struct db *db, const struct config *cfg, const struct campaign *c,
             int64_t member_id, int64_t now, char **cause)
{
	struct fire f;
	json_t *o;

	if (fire_open(&f, db, cfg, c, 0, now, cause) == -1)
		return NULL;
	o = preview_build(&f, member_id, cause);
	fire_close(&f);
	return o;
}
