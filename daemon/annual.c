/* The annual report and the framework self-assessment, from the data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "annual.h"
#include "evidence.h"
#include "framework.h"
#include "htmlout.h"
#include "log.h"
#include "meeting.h"
#include "practice.h"
#include "publish.h"
#include "represent.h"
#include "survey.h"
#include "tally.h"
#include "util.h"
#include "xmalloc.h"

struct year {
	struct db *db;
	struct practice *p;
	int64_t start, end; /* [start, end) */
	int64_t now;
	int year, first_month; /* first_month: 1 or 4 */
};

static long
jint(const json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The number at k as a percentage, or "-" if there is none. Caller frees. */
/* Bind ?1 practice, ?2 start, ?3 end. */
static sqlite3_stmt *
ystmt(struct year *y, const char *sql)
{
	sqlite3_stmt *st = db_stmt(y->db, sql);

	db_bind_int(st, 1, y->p->id);
	db_bind_int(st, 2, y->start);
	db_bind_int(st, 3, y->end);
	return st;
}

/* ---- sections ----------------------------------------------------------- */

/* The last moment the report covers: the period's end, or now. */
static int64_t
year_last(const struct year *y)
{
	return y->end - 1 < y->now ? y->end - 1 : y->now;
}

/*
 * One membership figure (represent_members_at: an active term on the
 * date) at the start and at the end, and the joiners and leavers between,
 * so that start + joined - left = end.
 */
static json_t *
members_json(struct year *y)
{
	int64_t last = year_last(y);
	sqlite3_stmt *st =
	    ystmt(y, "SELECT total(joined_at > ?2 AND joined_at <= ?4),"
	             " total(min(coalesce(term_ends_at, 9e18),"
	             "  coalesce(erased_at, 9e18)) > ?2 AND"
	             "  min(coalesce(term_ends_at, 9e18),"
	             "  coalesce(erased_at, 9e18)) <= ?4 AND joined_at <= ?4)"
	             " FROM members WHERE practice_id = ?1");
	json_t *o = json_object();
	char day[11];

	db_bind_int(st, 4, last);
	if (sqlite3_step(st) != SQLITE_ROW)
		fatalx("annual: members: %s", db_errmsg(y->db));
	jsonx_set(o, "definition",
	          json_string("members with an active term on the date"));
	jsonx_set(o, "start_date",
	          json_string(util_format_date(y->start, day)));
	jsonx_set(o, "end_date", json_string(util_format_date(last, day)));
	jsonx_set(
	    o, "start",
	    json_integer(represent_members_at(y->db, y->p->id, y->start)));
	jsonx_set(o, "end",
	          json_integer(represent_members_at(y->db, y->p->id, last)));
	jsonx_set(o, "joined",
	          json_integer((json_int_t)sqlite3_column_double(st, 0)));
	jsonx_set(o, "left",
	          json_integer((json_int_t)sqlite3_column_double(st, 1)));
	db_reset(st);
	return o;
}

/* Meetings of the year: held (marked so, or not cancelled and past),
 * cancelled and still planned. */
static json_t *
meetings_json(struct year *y)
{
	sqlite3_stmt *st = ystmt(
	    y, "SELECT m.at, m.minutes IS NOT NULL, m.status FROM meetings m"
	       " WHERE m.practice_id = ?1 AND m.at >= ?2 AND m.at < ?3"
	       " ORDER BY m.at");
	json_t *o = json_object(), *dates = json_array();
	long n = 0, minutes = 0, quarters = 0, cancelled = 0, planned = 0;
	int seen[4] = {0}, q;
	const char *status;
	char day[11];

	while (sqlite3_step(st) == SQLITE_ROW) {
		status = meeting_status(db_col_text(st, 2),
		                        sqlite3_column_int64(st, 0), y->now);
		if (strcmp(status, "held") != 0) {
			cancelled += strcmp(status, "cancelled") == 0;
			planned += strcmp(status, "planned") == 0;
			continue;
		}
		n++;
		minutes += sqlite3_column_int(st, 1);
		jsonx_push(dates, json_string(util_format_date(
		                      sqlite3_column_int64(st, 0), day)));
		q = (int)((sqlite3_column_int64(st, 0) - y->start) /
		          (92 * 86400));
		if (q >= 0 && q < 4 && !seen[q]++)
			quarters++;
	}
	jsonx_set(o, "held", json_integer(n));
	jsonx_set(o, "cancelled", json_integer(cancelled));
	jsonx_set(o, "planned", json_integer(planned));
	jsonx_set(o, "with_minutes", json_integer(minutes));
	jsonx_set(o, "quarters_with_a_meeting", json_integer(quarters));
	jsonx_set(o, "dates", dates);
	return o;
}

static json_t *
surveys_json(struct year *y)
{
	sqlite3_stmt *st = ystmt(
	    y,
	    "SELECT c.name, s.slug, s.title,"
	    " (SELECT count(*) FROM outbox o JOIN runs u ON u.id = o.run_id"
	    "  WHERE u.campaign_id = c.id AND u.reminder = 0"
	    "  AND o.state IN ('sent', 'delivered')"
	    "  AND u.fired_at >= ?2 AND u.fired_at < ?3),"
	    " (SELECT count(*) FROM responses r WHERE r.campaign_id = c.id"
	    "  AND r.started_at >= ?2 AND r.started_at < ?3 AND EXISTS"
	    "  (SELECT 1 FROM answers a WHERE a.response_id = r.id))"
	    " FROM campaigns c JOIN surveys s ON s.id = c.survey_id"
	    " WHERE c.practice_id = ?1 AND EXISTS (SELECT 1 FROM runs u WHERE"
	    "  u.campaign_id = c.id AND u.fired_at >= ?2 AND u.fired_at < ?3)"
	    " ORDER BY c.id");
	json_t *arr = json_array(), *o;
	long inv, resp;

	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		inv = sqlite3_column_int64(st, 3);
		resp = sqlite3_column_int64(st, 4);
		jsonx_set(o, "campaign", json_string(db_col_text(st, 0)));
		jsonx_set(o, "survey", json_string(db_col_text(st, 1)));
		jsonx_set(o, "title", json_string(db_col_text(st, 2)));
		jsonx_set(o, "invitations", json_integer(inv));
		jsonx_set(o, "responses", json_integer(resp));
		jsonx_set(o, "response_rate",
		          inv ? json_real(tally_percent(resp, inv))
		              : json_null());
		jsonx_push(arr, o);
	}
	return arr;
}

/* The FFT questions' answers of one survey version, by month of the year. */
static void
fft_months(struct year *y, int64_t survey_id, const char *key, long *n,
           long *pos, long *neg)
{
	sqlite3_stmt *st = ystmt(
	    y, "SELECT CAST(strftime('%m', r.started_at, 'unixepoch') AS"
	       " INTEGER), count(*), total(a.value IN ('1', '2')),"
	       " total(a.value IN ('4', '5'))"
	       " FROM answers a JOIN responses r ON r.id = a.response_id"
	       " WHERE r.practice_id = ?1 AND r.started_at >= ?2 AND"
	       " r.started_at < ?3 AND r.survey_id = ?4 AND a.question = ?5"
	       " AND a.value IN ('1', '2', '3', '4', '5', '6') GROUP BY 1");
	int m;

	db_bind_int(st, 4, survey_id);
	db_bind_text(st, 5, key);
	while (sqlite3_step(st) == SQLITE_ROW) {
		m = (sqlite3_column_int(st, 0) - y->first_month + 12) % 12;
		n[m] += sqlite3_column_int64(st, 1);
		pos[m] += (long)sqlite3_column_double(st, 2);
		neg[m] += (long)sqlite3_column_double(st, 3);
	}
}

/* The survey versions answered in the year, with their definitions. */
static size_t
answered_surveys(struct year *y, int64_t **ids, struct survey ***defs)
{
	sqlite3_stmt *st = ystmt(
	    y, "SELECT s.id, s.definition FROM surveys s WHERE s.id IN"
	       " (SELECT DISTINCT survey_id FROM responses WHERE"
	       "  practice_id = ?1 AND started_at >= ?2 AND started_at < ?3)");
	size_t n = 0;
	json_t *j;
	char *cause = NULL;

	*ids = NULL;
	*defs = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, n + 1, sizeof **ids);
		*defs = xreallocarray(*defs, n + 1, sizeof **defs);
		(*ids)[n] = sqlite3_column_int64(st, 0);
		j = json_loads(db_col_text(st, 1), 0, NULL);
		if (j == NULL ||
		    survey_from_json(j, &(*defs)[n], &cause) == -1) {
			log_warnx("annual: survey=%lld unreadable: %s",
			          (long long)(*ids)[n], cause ? cause : "JSON");
			free(cause);
			cause = NULL;
			(*defs)[n] = NULL;
		}
		json_decref(j);
		n++;
	}
	return n;
}

static json_t *
fft_json(struct year *y)
{
	long n[12] = {0}, pos[12] = {0}, neg[12] = {0};
	int64_t *ids;
	struct survey **defs;
	size_t ns = answered_surveys(y, &ids, &defs), i, q;
	json_t *arr = json_array(), *o;
	int m;

	for (i = 0; i < ns; i++) {
		for (q = 0; defs[i] != NULL && q < defs[i]->nquestions; q++)
			if (defs[i]->questions[q].type == Q_FFT)
				fft_months(y, ids[i], defs[i]->questions[q].key,
				           n, pos, neg);
		if (defs[i] != NULL)
			survey_free(defs[i]);
	}
	free(ids);
	free(defs);
	for (m = 0; m < 12; m++) {
		int mon = (y->first_month - 1 + m) % 12 + 1;

		o = json_object();
		jsonx_set(o, "month",
		          json_sprintf("%04d-%02d",
		                       y->year + (mon < y->first_month), mon));
		jsonx_set(o, "answers", json_integer(n[m]));
		jsonx_set(o, "positive_answers", json_integer(pos[m]));
		jsonx_set(o, "negative_answers", json_integer(neg[m]));
		/* Fewer than 5 answers: published as "<5", no percentages. */
		jsonx_set(o, "suppressed",
		          json_boolean(n[m] > 0 && n[m] < TALLY_SMALL));
		jsonx_set(o, "positive",
		          n[m] >= TALLY_SMALL
		              ? json_real(tally_percent(pos[m], n[m]))
		              : json_null());
		jsonx_set(o, "negative",
		          n[m] >= TALLY_SMALL
		              ? json_real(tally_percent(neg[m], n[m]))
		              : json_null());
		jsonx_push(arr, o);
	}
	return arr;
}

#define LIVE_ACTION                                                            \
	" FROM actions a WHERE a.practice_id = ?1 AND EXISTS (SELECT 1 FROM"   \
	" action_notes n WHERE n.action_id = a.id AND n.status IN"             \
	" ('agreed', 'in-progress', 'done') AND n.at < ?3) AND NOT EXISTS"     \
	" (SELECT 1 FROM action_notes n WHERE n.action_id = a.id AND"          \
	" n.status IN ('done', 'dropped') AND n.at < ?2)"

/* The actions of the year with what they achieved (no owner: staff). */
static json_t *
action_items(struct year *y)
{
	sqlite3_stmt *st = ystmt(y, "SELECT a.id, a.area, a.title, a.status,"
	                            " a.outcome, a.benefit" LIVE_ACTION
	                            " ORDER BY a.area, a.id");
	json_t *arr = json_array(), *o;
	const char *v;

	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		jsonx_set(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		jsonx_set(o, "area", json_string(db_col_text(st, 1)));
		jsonx_set(o, "title", json_string(db_col_text(st, 2)));
		jsonx_set(o, "status", json_string(db_col_text(st, 3)));
		v = db_col_text(st, 4);
		jsonx_set(o, "outcome", v ? json_string(v) : json_null());
		v = db_col_text(st, 5);
		jsonx_set(o, "benefit", v ? json_string(v) : json_null());
		jsonx_push(arr, o);
	}
	return arr;
}

static json_t *
actions_json(struct year *y)
{
	sqlite3_stmt *st;
	json_t *o = json_object(), *areas = json_array();
	long agreed, done;

	st =
	    ystmt(y, "SELECT count(DISTINCT n.action_id) FILTER (WHERE"
	             " n.status IN ('agreed', 'in-progress', 'done')),"
	             " count(DISTINCT n.action_id) FILTER (WHERE"
	             " n.status = 'done')"
	             " FROM action_notes n JOIN actions a ON a.id = n.action_id"
	             " WHERE a.practice_id = ?1 AND n.at >= ?2 AND n.at < ?3");
	if (sqlite3_step(st) != SQLITE_ROW)
		fatalx("annual: actions: %s", db_errmsg(y->db));
	agreed = sqlite3_column_int64(st, 0);
	done = sqlite3_column_int64(st, 1);
	db_reset(st);
	st = ystmt(y, "SELECT DISTINCT a.area" LIVE_ACTION " ORDER BY 1");
	while (sqlite3_step(st) == SQLITE_ROW)
		jsonx_push(areas, json_string(db_col_text(st, 0)));
	jsonx_set(o, "items", action_items(y));
	jsonx_set(o, "agreed", json_integer(agreed));
	jsonx_set(o, "done", json_integer(done));
	jsonx_set(o, "priority_areas", areas);
	jsonx_set(o, "three_priority_areas",
	          json_boolean(json_array_size(areas) >= 3));
	return o;
}

static json_t *
messages_json(struct year *y)
{
	sqlite3_stmt *st =
	    ystmt(y, "SELECT channel, count(*), count(DISTINCT"
	             " (coalesce(sent_at, created_at) - ?2) / 15811200)"
	             " FROM outbox WHERE practice_id = ?1 AND state IN ('sent',"
	             " 'delivered') AND coalesce(sent_at, created_at) >= ?2 AND"
	             " coalesce(sent_at, created_at) < ?3 GROUP BY channel");
	json_t *o = json_object();
	long halves = 0, h;

	jsonx_set(o, "email", json_integer(0));
	jsonx_set(o, "sms", json_integer(0));
	while (sqlite3_step(st) == SQLITE_ROW) {
		jsonx_set(o, db_col_text(st, 0),
		          json_integer(sqlite3_column_int64(st, 1)));
		h = sqlite3_column_int64(st, 2);
		halves = h > halves ? h : halves;
	}
	/* Half-years with a message: for "at least 6-monthly". */
	jsonx_set(o, "half_years_with_messages", json_integer(halves));
	return o;
}

static long
count_under(const json_t *rep, long *profiled)
{
	const json_t *f, *g;
	size_t i, j;
	long n = 0;

	*profiled = 0;
	json_array_foreach(json_object_get(rep, "fields"), i, f)
	{
		*profiled |= jint(f, "patients") > 0;
		json_array_foreach(json_object_get(f, "groups"), j, g) n +=
		    json_is_true(json_object_get(g, "under_represented"));
	}
	return n;
}

static long
broadcasts(struct year *y)
{
	sqlite3_stmt *st = ystmt(
	    y,
	    "SELECT count(*) FROM outbox o JOIN runs u ON u.id = o.run_id"
	    " JOIN campaigns c ON c.id = u.campaign_id WHERE"
	    " o.practice_id = ?1 AND c.kind = 'broadcast' AND o.state IN"
	    " ('sent', 'delivered') AND u.fired_at >= ?2 AND u.fired_at < ?3");

	return db_int(y->db, st, 0);
}

/* The year's figures the framework's requirements name
 * (framework_facts). */
static json_t *
facts_json(struct year *y, const json_t *r)
{
	const json_t *m = json_object_get(r, "meetings"), *s, *msg, *a;
	json_t *f = json_object();
	long responses = 0, profiled, under;
	size_t i;

	msg = json_object_get(r, "messages");
	a = json_object_get(r, "actions");
	json_array_foreach(json_object_get(r, "surveys"), i, s) responses +=
	    jint(s, "responses");
	under = count_under(json_object_get(r, "representation"), &profiled);
	jsonx_set(f, "members",
	          json_integer(jint(json_object_get(r, "members"), "end")));
	jsonx_set(f, "members_start",
	          json_integer(jint(json_object_get(r, "members"), "start")));
	jsonx_set(f, "profile_loaded", json_integer(profiled));
	jsonx_set(f, "groups_under_represented", json_integer(under));
	jsonx_set(f, "meetings_held", json_integer(jint(m, "held")));
	jsonx_set(f, "meetings_with_minutes",
	          json_integer(jint(m, "with_minutes")));
	jsonx_set(f, "quarters_with_a_meeting",
	          json_integer(jint(m, "quarters_with_a_meeting")));
	jsonx_set(f, "half_years_with_messages",
	          json_integer(jint(msg, "half_years_with_messages")));
	jsonx_set(f, "emails_sent", json_integer(jint(msg, "email")));
	jsonx_set(f, "sms_sent", json_integer(jint(msg, "sms")));
	jsonx_set(f, "messages_sent",
	          json_integer(jint(msg, "email") + jint(msg, "sms")));
	jsonx_set(f, "broadcasts_sent", json_integer(broadcasts(y)));
	jsonx_set(f, "survey_responses", json_integer(responses));
	jsonx_set(f, "actions_agreed", json_integer(jint(a, "agreed")));
	jsonx_set(f, "actions_done", json_integer(jint(a, "done")));
	jsonx_set(f, "priority_areas",
	          json_integer((json_int_t)json_array_size(
	              json_object_get(a, "priority_areas"))));
	return f;
}

/* The latest sign-off of this report, or null. */
static json_t *
signoff_json(struct year *y, int financial)
{
	sqlite3_stmt *st =
	    db_stmt(y->db, "SELECT signed_by, level, at FROM signoffs WHERE"
	                   " practice_id = ? AND year = ? AND financial = ?"
	                   " ORDER BY at DESC, id DESC LIMIT 1");
	char day[21];
	json_t *o = json_null();

	db_bind_int(st, 1, y->p->id);
	db_bind_int(st, 2, y->year);
	db_bind_int(st, 3, financial);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack(
		    "{ss ss ss}", "by", db_col_text(st, 0), "level",
		    db_col_text(st, 1), "at",
		    util_format_time(sqlite3_column_int64(st, 2), day));
	sqlite3_reset(st);
	return o;
}

int
annual_sign_off(struct db *db, const json_t *report, const char *by,
                char **cause)
{
	struct practice *p;
	sqlite3_stmt *st;
	const json_t *fw = json_object_get(report, "framework");

	if (by == NULL || by[strspn(by, " ")] == '\0' || strlen(by) > 200 ||
	    util_has_crlf(by) || !util_utf8_valid(by, strlen(by))) {
		*cause = xstrdup("--sign-off takes one line: \"NAME, ROLE\"");
		return -1;
	}
	if ((p = practice_find(db, json_string_value(json_object_get(
	                               report, "practice")))) == NULL) {
		*cause = xstrdup("the practice is gone");
		return -1;
	}
	st = db_stmt(db, "INSERT INTO signoffs (practice_id, year, financial,"
	                 " signed_by, level, at) VALUES (?, ?, ?, ?, ?, ?)");
	db_bind_int(st, 1, p->id);
	db_bind_int(st, 2, jint(report, "year"));
	db_bind_int(st, 3,
	            json_is_true(json_object_get(report, "financial_year")));
	db_bind_text(st, 4, by);
	db_bind_text(st, 5, json_string_value(json_object_get(fw, "level")));
	db_bind_int(st, 6, time(NULL));
	practice_free(p);
	if (db_done(db, st) == -1) {
		*cause =
		    xasprintf("cannot record the sign-off: %s", db_errmsg(db));
		return -1;
	}
	db_audit(db, NULL, "report.sign-off", "annual", NULL);
	return 0;
}

static void (*progress_fn)(const char *, int, int, void *);
static void *progress_arg;

void
annual_set_progress(void (*fn)(const char *, int, int, void *), void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
}

#define ANNUAL_PARTS 8

static void
progress(const char *part, int n)
{
	if (progress_fn != NULL)
		progress_fn(part, n, ANNUAL_PARTS, progress_arg);
}

int
annual_report(struct db *db, const char *code, int year, int financial,
              const struct framework *fw, json_t **out, char **cause)
{
	return annual_report_at(db, code, year, financial, fw, time(NULL), out,
	                        cause);
}

int
annual_report_at(struct db *db, const char *code, int year, int financial,
                 const struct framework *fw, int64_t now, json_t **out,
                 char **cause)
{
	struct year y = {.db = db,
	                 .year = year,
	                 .first_month = financial ? 4 : 1,
	                 .now = now};
	char day[11], to[11], *s;
	json_t *o, *rep, *facts, *ev;

	*out = NULL;
	if (year < 2000 || year > 2999) {
		*cause = xasprintf("year %d is out of range", year);
		return -1;
	}
	if ((y.p = practice_find(db, code)) == NULL) {
		*cause = xasprintf("no practice %s", code);
		return -1;
	}
	s = xasprintf("%04d-%02d-01", year, y.first_month);
	util_parse_time(s, &y.start);
	free(s);
	s = xasprintf("%04d-%02d-01", year + 1, y.first_month);
	util_parse_time(s, &y.end);
	free(s);
	o = json_object();
	jsonx_set(o, "practice", json_string(y.p->code));
	jsonx_set(o, "name", json_string(y.p->name));
	jsonx_set(o, "year", json_integer(year));
	jsonx_set(o, "financial_year", json_boolean(financial));
	jsonx_set(o, "from", json_string(util_format_date(y.start, day)));
	jsonx_set(o, "to", json_string(util_format_date(y.end - 1, day)));
	progress("members", 1);
	jsonx_set(o, "members", members_json(&y));
	progress("representation", 2);
	if (represent_report(db, code, year_last(&y), &rep, cause) == -1)
		fatalx("annual: representation: %s", *cause);
	jsonx_set(o, "representation", rep);
	progress("meetings", 3);
	jsonx_set(o, "meetings", meetings_json(&y));
	progress("surveys", 4);
	jsonx_set(o, "surveys", surveys_json(&y));
	progress("fft", 5);
	jsonx_set(o, "fft_trend", fft_json(&y));
	progress("actions", 6);
	jsonx_set(o, "actions", actions_json(&y));
	progress("messages", 7);
	jsonx_set(o, "messages", messages_json(&y));
	progress("self-assessment", 8);
	jsonx_set(o, "as_at", json_string(util_format_date(y.now, day)));
	jsonx_set(o, "website",
	          y.p->website[0] != '\0' ? json_string(y.p->website)
	                                  : json_null());
	facts = facts_json(&y, o);
	util_format_date(y.end - 1, to);
	ev = evidence_list_json(db, code, NULL, NULL, to);
	jsonx_set(o, "framework",
	          framework_assess(fw, facts, ev, js(o, "from"), to));
	jsonx_set(o, "facts", facts);
	json_decref(ev);
	jsonx_set(o, "evidence",
	          evidence_list_json(db, code, NULL, js(o, "from"), to));
	jsonx_set(o, "sign_off", signoff_json(&y, financial));
	practice_free(y.p);
	*out = o;
	return 0;
}

/* ---- HTML --------------------------------------------------------------- */

static char *
jpct(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? xasprintf("%g%%", json_number_value(v))
	                         : xstrdup("-");
}

/* A row of a two-column table: label, figure. */
static void
row2(struct html *h, const char *label, const char *figure)
{
	const char *cells[2] = {label, figure};

	html_table_row(h, cells, 2);
}

static void
html_members(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Measure", "Members"};
	const json_t *m = json_object_get(r, "members");
	long v[4] = {jint(m, "start"), jint(m, "joined"), jint(m, "left"),
	             jint(m, "end")};
	unsigned char fl[4] = {0};
	char *cell[4], *lab[2], *d0, *d1;
	size_t i;

	/* start + joined - left = end: any one follows from the others. */
	if (!internal)
		publish_suppress(v, 4, 1, fl);
	for (i = 0; i < 4; i++)
		cell[i] = publish_cell(v[i], fl[i]);
	d0 = publish_iso_date(js(m, "start_date"));
	d1 = publish_iso_date(js(m, "end_date"));
	lab[0] = xasprintf("Members on %s", d0);
	lab[1] = xasprintf("Members on %s", d1);
	html_elem(h, "h3", "Membership");
	html_elem(h, "p",
	          "A member is counted on a date when they have an active term "
	          "of membership on that date: they had joined, and their term "
	          "had not ended nor their record been erased.");
	html_table_begin(h, "Members over the year", heads, 2);
	row2(h, lab[0], cell[0]);
	row2(h, "Joined during the year", cell[1]);
	row2(h, "Left during the year (term ended or record erased)", cell[2]);
	row2(h, lab[1], cell[3]);
	html_table_end(h);
	for (i = 0; i < 4; i++)
		free(cell[i]);
	free(lab[0]);
	free(lab[1]);
	free(d0);
	free(d1);
}

static void
html_meetings(struct html *h, const json_t *r)
{
	const json_t *m = json_object_get(r, "meetings"), *d;
	char *line, *day;
	size_t i;

	html_elem(h, "h3", "Meetings");
	line = xasprintf("%ld meetings held, %ld with minutes recorded; %ld "
	                 "cancelled and %ld still to come this year.",
	                 jint(m, "held"), jint(m, "with_minutes"),
	                 jint(m, "cancelled"), jint(m, "planned"));
	html_elem(h, "p", line);
	free(line);
	if (json_array_size(json_object_get(m, "dates")) == 0)
		return;
	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(m, "dates"), i, d)
	{
		day = publish_iso_date(json_string_value(d));
		html_elem(h, "li", day);
		free(day);
	}
	html_raw(h, "</ul>\n");
}

static void
html_surveys(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Survey", "Members invited",
	                                    "Responses", "Response rate"};
	const json_t *s;
	const char *cells[4];
	long v[2];
	unsigned char fl[2] = {0};
	char *inv, *resp, *rate;
	size_t i;

	html_elem(h, "h3", "Surveys");
	html_elem(h, "p",
	          "The surveys were sent to members of the Patient "
	          "Participation Group's virtual network, not to all "
	          "patients.");
	html_table_begin(h, "Surveys run, with response rates", heads, 4);
	json_array_foreach(json_object_get(r, "surveys"), i, s)
	{
		v[0] = jint(s, "invitations");
		v[1] = jint(s, "responses");
		fl[0] =
		    !internal && publish_small(v[0]) ? PUB_SMALL : PUB_SHOWN;
		fl[1] =
		    !internal && publish_small(v[1]) ? PUB_SMALL : PUB_SHOWN;
		inv = publish_cell(v[0], fl[0]);
		resp = publish_cell(v[1], fl[1]);
		rate = fl[0] || fl[1] ? xstrdup("-") : jpct(s, "response_rate");
		cells[0] = js(s, "title");
		cells[1] = inv;
		cells[2] = resp;
		cells[3] = rate;
		html_table_row(h, cells, 4);
		free(inv);
		free(resp);
		free(rate);
	}
	html_table_end(h);
}

static void
html_fft(struct html *h, const json_t *r, int internal)
{
	static const char *const names[] = {"Jan", "Feb", "Mar", "Apr",
	                                    "May", "Jun", "Jul", "Aug",
	                                    "Sep", "Oct", "Nov", "Dec"};
	static const char *const heads[] = {"Month", "Answers", "Positive",
	                                    "Negative"};
	const json_t *trend = json_object_get(r, "fft_trend"), *m;
	const char *labels[12], *cells[4];
	double values[12];
	char *n, *p, *q;
	size_t i;

	json_array_foreach(trend, i, m)
	{
		labels[i] = names[(atoi(js(m, "month") + 5) + 11) % 12];
		values[i] =
		    json_is_number(json_object_get(m, "positive")) &&
		            (internal ||
		             !publish_small(jint(m, "positive_answers")))
		        ? json_number_value(json_object_get(m, "positive"))
		        : NAN;
	}
	html_elem(h, "h3", "Friends and Family Test");
	html_raw(h, "<figure>");
	html_line_chart(h, "FFT percent positive by month",
	                "Line chart: percentage of FFT answers that were Very "
	                "good or Good, per month; months with fewer than 5 "
	                "answers are gaps. The table below holds the figures.",
	                labels, values, json_array_size(trend), 100, "%");
	html_table_begin(h, "FFT by month (percent of all answers)", heads, 4);
	json_array_foreach(trend, i, m)
	{
		n = publish_count(jint(m, "answers"), internal);
		/* A percentage of a known total gives its count away. */
		p = !internal && publish_small(jint(m, "positive_answers"))
		        ? xstrdup("<5 answers")
		        : jpct(m, "positive");
		q = !internal && publish_small(jint(m, "negative_answers"))
		        ? xstrdup("<5 answers")
		        : jpct(m, "negative");
		cells[0] = labels[i];
		cells[1] = n;
		cells[2] = p;
		cells[3] = q;
		html_table_row(h, cells, 4);
		free(n);
		free(p);
		free(q);
	}
	html_table_end(h);
	html_raw(h, "</figure>\n");
}

/* Messages by channel: a chart scaled to the larger, and its table. */
static void
html_messages(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Channel", "Messages sent"};
	const json_t *msg = json_object_get(r, "messages");
	long v[2] = {jint(msg, "email"), jint(msg, "sms")};
	unsigned char fl[2] = {0};
	char *shown[2];
	struct html_bar bars[2];
	size_t i;

	if (!internal)
		publish_suppress(v, 2, 0, fl);
	for (i = 0; i < 2; i++) {
		shown[i] = publish_cell(v[i], fl[i]);
		bars[i] = (struct html_bar){i == 0 ? "Email" : "Text message",
		                            fl[i] ? 0 : (double)v[i], shown[i]};
	}
	html_elem(h, "h3", "Messages to the virtual network");
	html_raw(h, "<figure>");
	html_bar_chart(h, "Messages sent by channel",
	               "Bar chart: messages sent or delivered by email and by "
	               "text message this year. The table below holds the "
	               "figures.",
	               bars, 2, 0);
	html_table_begin(h, "Messages sent by channel", heads, 2);
	row2(h, "Email", shown[0]);
	row2(h, "Text message", shown[1]);
	html_table_end(h);
	html_raw(h, "</figure>\n");
	free(shown[0]);
	free(shown[1]);
}

static void
html_priorities(struct html *h, const json_t *r)
{
	const json_t *a = json_object_get(r, "actions"), *ar;
	char *line;
	size_t i;

	html_elem(h, "h2", "3. Priority areas");
	line =
	    xasprintf("%zu priority areas agreed with the group (%s).",
	              json_array_size(json_object_get(a, "priority_areas")),
	              json_is_true(json_object_get(a, "three_priority_areas"))
	                  ? "NHS England asks for three, and they are agreed"
	                  : "fewer than the three NHS England asks for");
	html_elem(h, "p", line);
	free(line);
	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(a, "priority_areas"), i, ar)
	    html_elem(h, "li", json_string_value(ar));
	html_raw(h, "</ul>\n");
}

static const char *
status_label(const char *s)
{
	if (strcmp(s, "in-progress") == 0)
		return "In progress";
	if (strcmp(s, "done") == 0)
		return "Done";
	if (strcmp(s, "agreed") == 0)
		return "Agreed";
	if (strcmp(s, "dropped") == 0)
		return "Dropped";
	return s;
}

static void
html_actions(struct html *h, const json_t *r)
{
	static const char *const heads[] = {"Action", "Priority area", "Status",
	                                    "Outcome",
	                                    "How patients benefited"};
	const json_t *a = json_object_get(r, "actions"), *it;
	const char *cells[5];
	char *line;
	size_t i;

	html_elem(h, "h2", "4. Actions, outcomes and how patients benefited");
	line = xasprintf("%ld actions agreed and %ld done this year.",
	                 jint(a, "agreed"), jint(a, "done"));
	html_elem(h, "p", line);
	free(line);
	html_table_begin(h, "The action plan: you said, we did", heads, 5);
	json_array_foreach(json_object_get(a, "items"), i, it)
	{
		cells[0] = js(it, "title");
		cells[1] = js(it, "area");
		cells[2] = status_label(js(it, "status"));
		cells[3] =
		    *js(it, "outcome") ? js(it, "outcome") : "Not recorded yet";
		cells[4] =
		    *js(it, "benefit") ? js(it, "benefit") : "Not recorded yet";
		html_table_row(h, cells, 5);
	}
	html_table_end(h);
}

static void
html_where(struct html *h, const json_t *r)
{
	char *line;

	html_elem(h, "h2", "5. Where this report is published");
	if (json_is_string(json_object_get(r, "website")))
		line = xasprintf("This report is published on the practice "
		                 "website (%s) and displayed in the practice.",
		                 js(r, "website"));
	else
		line = xstrdup("This report is displayed in the practice. The "
		               "practice website is not recorded in ppgd: add "
		               "it with ppgd practice update --website.");
	html_elem(h, "p", line);
	free(line);
}

static void
html_level(struct html *h, const json_t *lv, const json_t *arr)
{
	static const char *const heads[] = {
	    "Criterion", "Expectation", "Status", "Evidence found", "Missing"};
	static const struct {
		const char *status, *label;
	} statuses[] = {
	    {"met", "Met"}, {"partly", "Partly met"}, {"not-met", "Not met"}};
	const json_t *c;
	const char *cells[5];
	char *n, *caption;
	size_t i, k;

	caption = xasprintf(
	    "%s: %ld of %ld criteria met (%s%ld needed)%s", js(lv, "title"),
	    jint(lv, "met"), jint(lv, "of"),
	    jint(lv, "need") == jint(lv, "of") ? "all " : "", jint(lv, "need"),
	    json_is_true(json_object_get(lv, "reached")) ? ": reached" : "");
	html_table_begin(h, caption, heads, 5);
	free(caption);
	json_array_foreach(arr, i, c)
	{
		n = xasprintf("%ld", jint(c, "criterion"));
		cells[0] = n;
		cells[1] = js(c, "text");
		cells[2] = js(c, "status");
		for (k = 0; k < sizeof statuses / sizeof statuses[0]; k++)
			if (strcmp(cells[2], statuses[k].status) == 0)
				cells[2] = statuses[k].label;
		cells[3] = js(c, "evidence");
		cells[4] = js(c, "missing");
		html_table_row(h, cells, 5);
		free(n);
	}
	html_table_end(h);
}

static void
html_evidence(struct html *h, const json_t *r)
{
	static const char *const heads[] = {"Date", "Evidence", "Title",
	                                    "Where"};
	const json_t *e, *ev = json_object_get(r, "evidence");
	const char *cells[4];
	size_t i;

	html_elem(h, "h2", "Evidence recorded this year");
	if (json_array_size(ev) == 0) {
		html_elem(h, "p",
		          "No evidence was recorded for this year "
		          "(ppgd evidence add).");
		return;
	}
	html_table_begin(h, "Evidence log", heads, 4);
	json_array_foreach(ev, i, e)
	{
		cells[0] = js(e, "date");
		cells[1] = js(e, "label");
		cells[2] = js(e, "title");
		cells[3] = *js(e, "link") ? js(e, "link")
		           : json_is_object(json_object_get(e, "file"))
		               ? "document kept by the practice"
		               : "";
		html_table_row(h, cells, 4);
	}
	html_table_end(h);
}

static void
html_framework(struct html *h, const json_t *r)
{
	const json_t *fw = json_object_get(r, "framework"), *lv,
	             *so = json_object_get(r, "sign_off");
	size_t i;
	char *line;

	html_elem(h, "h2", "Self-assessment");
	line = xasprintf("%s. Level reached from the data and the evidence "
	                 "log: %s.",
	                 js(fw, "title"), js(fw, "level"));
	html_elem(h, "p", line);
	free(line);
	if (json_is_object(so)) {
		line = xasprintf("Agreed by %s on %.10s.", js(so, "by"),
		                 js(so, "at"));
		html_elem(h, "p", line);
		free(line);
	}
	json_array_foreach(json_object_get(fw, "levels"), i, lv)
	    html_level(h, lv, json_object_get(fw, js(lv, "id")));
	html_evidence(h, r);
}

/* The title, the period, the "as at" date and the staff-view mark. */
static struct html *
annual_head(const json_t *r, int internal)
{
	char *from = publish_iso_date(js(r, "from")),
	     *to = publish_iso_date(js(r, "to")),
	     *asat = publish_iso_date(js(r, "as_at")), *title, *line;
	struct html *h;

	title = xasprintf("%s%s (%s): Patient Participation Group annual "
	                  "report, %s to %s",
	                  internal ? "NOT FOR PUBLICATION: " : "",
	                  js(r, "name"), js(r, "practice"), from, to);
	h = html_new(title);
	if (internal)
		html_internal(h, PUBLISH_INTERNAL);
	line = xasprintf("Covering %s to %s, as at %s. It follows NHS "
	                 "England's reporting template for patient "
	                 "participation.",
	                 from, to, asat);
	html_elem(h, "p", line);
	if (!internal)
		html_elem(h, "p class=\"note\"", PUBLISH_NOTE);
	free(line);
	free(title);
	free(from);
	free(to);
	free(asat);
	return h;
}

char *
annual_html(const json_t *r, int internal, size_t *len)
{
	struct html *h = annual_head(r, internal);

	html_elem(h, "h2",
	          "1. The group's profile and how representative it "
	          "is");
	html_members(h, r, internal);
	html_elem(h, "h3", "Representation");
	represent_html(h, json_object_get(r, "representation"), internal);
	html_elem(h, "h2", "2. How the practice engaged with the group");
	html_messages(h, r, internal);
	html_meetings(h, r);
	html_surveys(h, r, internal);
	html_fft(h, r, internal);
	html_priorities(h, r);
	html_actions(h, r);
	html_where(h, r);
	html_framework(h, r);
	return html_finish(h, len);
}
