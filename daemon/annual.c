/* The annual report and the framework self-assessment, from the data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "annual.h"
#include "htmlout.h"
#include "log.h"
#include "practice.h"
#include "represent.h"
#include "survey.h"
#include "tally.h"
#include "util.h"
#include "xmalloc.h"

#define NOT_RECORDED "not recorded in ppgd — add evidence by hand"

struct year {
	struct db *db;
	struct practice *p;
	int64_t start, end;    /* [start, end) */
	int year, first_month; /* first_month: 1 or 4 */
};

static long
jint(const json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

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

#define IN_AT(t) "(" t " IS NULL OR " t " >= ?2)"
static json_t *
members_json(struct year *y)
{
	sqlite3_stmt *st = ystmt(
	    y,
	    "SELECT"
	    " total(joined_at < ?2 AND" IN_AT(
	        "erased_at") " AND"
	                     "  " IN_AT(
	                         "term_ends_at") "),"
	                                         " total(joined_at < ?3 AND "
	                                         "(erased_at IS NULL OR "
	                                         "erased_at >= ?3)"
	                                         "  AND (term_ends_at IS NULL "
	                                         "OR term_ends_at >= ?3)),"
	                                         " total(joined_at >= ?2 AND "
	                                         "joined_at < ?3),"
	                                         " total(min(coalesce(erased_"
	                                         "at, 9e18), "
	                                         "coalesce(term_ends_at,"
	                                         "  9e18)) >= ?2 AND "
	                                         "min(coalesce(erased_at, "
	                                         "9e18),"
	                                         "  coalesce(term_ends_at, "
	                                         "9e18)) < ?3)"
	                                         " FROM members WHERE "
	                                         "practice_id = ?1");
	json_t *o = json_object();

	if (sqlite3_step(st) != SQLITE_ROW)
		fatalx("annual: members: %s", db_errmsg(y->db));
	jsonx_set(o, "start",
	          json_integer((json_int_t)sqlite3_column_double(st, 0)));
	jsonx_set(o, "end",
	          json_integer((json_int_t)sqlite3_column_double(st, 1)));
	jsonx_set(o, "joined",
	          json_integer((json_int_t)sqlite3_column_double(st, 2)));
	jsonx_set(o, "left",
	          json_integer((json_int_t)sqlite3_column_double(st, 3)));
	return o;
}

static json_t *
meetings_json(struct year *y)
{
	sqlite3_stmt *st = ystmt(y, "SELECT at, minutes IS NOT NULL FROM"
	                            " meetings WHERE practice_id = ?1 AND"
	                            " at >= ?2 AND at < ?3 ORDER BY at");
	json_t *o = json_object(), *dates = json_array();
	long n = 0, minutes = 0, quarters = 0;
	int seen[4] = {0}, q;
	char day[11];

	while (sqlite3_step(st) == SQLITE_ROW) {
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
	st = ystmt(y, "SELECT DISTINCT a.area" LIVE_ACTION " ORDER BY 1");
	while (sqlite3_step(st) == SQLITE_ROW)
		jsonx_push(areas, json_string(db_col_text(st, 0)));
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

/* ---- the framework self-assessment (seeds: Enhanced Commissioning
 * Framework, GP Practice PPG guidance) ---------------------------------- */

static json_t *
criterion(int n, const char *text, const char *status, char *evidence,
          const char *missing)
{
	json_t *c = json_object();

	jsonx_set(c, "criterion", json_integer(n));
	jsonx_set(c, "text", json_string(text));
	jsonx_set(c, "status", json_string(status));
	jsonx_set(c, "evidence", json_string(evidence ? evidence : ""));
	jsonx_set(c, "missing", json_string(missing ? missing : ""));
	free(evidence);
	return c;
}

/* Figures the criteria rest on. */
struct facts {
	long members, meetings, minutes, quarters, email, sms, halves;
	long responses, agreed, done, areas, under, profiled, broadcasts;
	int website;
};

static json_t *
bronze(const struct facts *f)
{
	json_t *a = json_array();
	int ok;

	ok = f->members > 0 && f->profiled;
	jsonx_push(a,
	           criterion(1,
	                     "A patient group of registered patients (face to "
	                     "face, virtual or both); reasonable efforts to "
	                     "make it representative.",
	                     ok               ? "met"
	                     : f->members > 0 ? "partly"
	                                      : "not-met",
	                     xasprintf("%ld active members; population profile "
	                               "%s; %ld groups under-represented",
	                               f->members,
	                               f->profiled ? "loaded" : "not loaded",
	                               f->under),
	                     f->profiled ? ""
	                                 : "load the practice population "
	                                   "profile (ppgd practice profile)"));
	ok = f->meetings >= 2 || f->halves >= 2;
	jsonx_push(
	    a,
	    criterion(
	        2,
	        "The practice supports the group, with an agreed "
	        "frequency and method of engagement (at least "
	        "6-monthly suggested).",
	        ok ? "partly" : "not-met",
	        xasprintf("%ld meetings; messages in %ld of 2 "
	                  "half-years",
	                  f->meetings, f->halves),
	        "agreed ways of working / terms of reference: " NOT_RECORDED));
	ok = (f->email > 0) + (f->sms > 0) + (f->minutes > 0) + f->website >= 2;
	jsonx_push(
	    a,
	    criterion(3,
	              "Various methods to communicate with registered "
	              "patients (minutes, posters, email, website, "
	              "social media); website kept up to date.",
	              ok ? "partly" : "not-met",
	              xasprintf("%ld emails, %ld SMS sent; %ld meetings "
	                        "with minutes; practice website %s",
	                        f->email, f->sms, f->minutes,
	                        f->website ? "recorded" : "not recorded"),
	              "posters, website updates, social media: " NOT_RECORDED));
	ok = f->responses > 0 && f->agreed > 0;
	jsonx_push(
	    a, criterion(4,
	                 "Obtain feedback from registered patients, review "
	                 "it with the group, agree improvements and make "
	                 "reasonable efforts to implement them.",
	                 ok ? "met" : "not-met",
	                 xasprintf("%ld survey responses; %ld actions agreed, "
	                           "%ld done",
	                           f->responses, f->agreed, f->done),
	                 ok ? "" : "survey responses and agreed actions"));
	return a;
}

static json_t *
silver(const struct facts *f)
{
	json_t *a = json_array();
	int ok;

	jsonx_push(a,
	           criterion(1,
	                     "A named patient group lead in the practice, with "
	                     "an email contact for locality and patient "
	                     "networks.",
	                     "not-recorded", NULL, NOT_RECORDED));
	ok = f->meetings > 0 && f->members > 0 && f->profiled;
	jsonx_push(a,
	           criterion(2,
	                     "An active group alongside a virtual network, "
	                     "with reasonable efforts to make both "
	                     "representative.",
	                     ok ? "met" : "not-met",
	                     xasprintf("%ld meetings held; %ld members in the "
	                               "virtual network; population profile %s",
	                               f->meetings, f->members,
	                               f->profiled ? "loaded" : "not loaded"),
	                     ok ? ""
	                        : "meetings, members and a population "
	                          "profile"));
	ok = f->quarters >= 4 && f->email + f->sms > 0;
	jsonx_push(a, criterion(3,
	                        "Practice staff meet the active group at least "
	                        "quarterly and communicate with the virtual "
	                        "membership in between.",
	                        ok ? "met" : "not-met",
	                        xasprintf("meetings in %ld of 4 quarters; %ld "
	                                  "messages sent",
	                                  f->quarters, f->email + f->sms),
	                        ok ? "" : "a meeting in every quarter"));
	jsonx_push(a, criterion(4,
	                        "Health information sessions and other health "
	                        "activities with the group and network.",
	                        "not-recorded", NULL, NOT_RECORDED));
	jsonx_push(a, criterion(5,
	                        "Other methods to communicate and involve "
	                        "patients (community groups, local "
	                        "publications).",
	                        "not-recorded", NULL, NOT_RECORDED));
	jsonx_push(a, criterion(6,
	                        "Encourage members to take part in national, "
	                        "regional or local patient participation "
	                        "networks (for example NAPP).",
	                        "not-recorded", NULL, NOT_RECORDED));
	return a;
}

static json_t *
gold(const struct facts *f)
{
	static const char *const texts[] = {
	    "Collaborate with neighbouring practices' groups, the integrated "
	    "care system, the PCN and community leaders.",
	    "Support and promote social prescribing in the practice or PCN.",
	    "A GP partner or contract lead meets the active group at least "
	    "annually.",
	    "A patient group newsletter or joint publication, shared through "
	    "the network and promoted on the practice website.",
	    "A practice social media presence used to raise awareness of the "
	    "group and increase representation.",
	    "Support patients or staff who wish to be active in a wider health "
	    "or community network.",
	    "Other activities (recruitment panels, volunteer services, bids, "
	    "recruiting members at flu clinics).",
	    "Membership of the National Association for Patient "
	    "Participation."};
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < 8; i++) {
		if (i == 2 && f->meetings > 0)
			jsonx_push(a, criterion(3, texts[i], "partly",
			                        xasprintf("%ld meetings held",
			                                  f->meetings),
			                        "who attended: " NOT_RECORDED));
		else if (i == 3 && f->broadcasts > 0)
			jsonx_push(
			    a,
			    criterion(
			        4, texts[i], "partly",
			        xasprintf("%ld broadcast messages "
			                  "sent to the network",
			                  f->broadcasts),
			        "the publication and website: " NOT_RECORDED));
		else
			jsonx_push(a, criterion((int)i + 1, texts[i],
			                        "not-recorded", NULL,
			                        NOT_RECORDED));
	}
	return a;
}

static long
count_met(const json_t *arr)
{
	const json_t *c;
	size_t i;
	long n = 0;

	json_array_foreach(arr, i, c) n +=
	    strcmp(json_string_value(json_object_get(c, "status")), "met") == 0;
	return n;
}

static json_t *
framework_json(const struct facts *f)
{
	json_t *o = json_object(), *b = bronze(f), *s = silver(f), *g = gold(f);
	const char *level = "none";

	if (count_met(b) == 4) {
		level = "bronze";
		if (count_met(s) >= 4) {
			level = "silver";
			if (count_met(g) >= 4)
				level = "gold";
		}
	}
	jsonx_set(o, "bronze", b);
	jsonx_set(o, "silver", s);
	jsonx_set(o, "gold", g);
	jsonx_set(o, "level_from_data", json_string(level));
	jsonx_set(o, "note",
	          json_string("Bronze needs all 4 criteria, silver 4 of 6 "
	                      "more, gold 4 of 8 more. 'partly' and "
	                      "'not-recorded' criteria count as not met "
	                      "until evidence is added by hand."));
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

	return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
}

static void
facts_fill(struct year *y, const json_t *r, struct facts *f)
{
	const json_t *m = json_object_get(r, "meetings"), *s, *msg;
	size_t i;

	memset(f, 0, sizeof *f);
	f->members = jint(json_object_get(r, "members"), "end");
	f->meetings = jint(m, "held");
	f->minutes = jint(m, "with_minutes");
	f->quarters = jint(m, "quarters_with_a_meeting");
	msg = json_object_get(r, "messages");
	f->email = jint(msg, "email");
	f->sms = jint(msg, "sms");
	f->halves = jint(msg, "half_years_with_messages");
	json_array_foreach(json_object_get(r, "surveys"), i, s) f->responses +=
	    jint(s, "responses");
	f->agreed = jint(json_object_get(r, "actions"), "agreed");
	f->done = jint(json_object_get(r, "actions"), "done");
	f->under =
	    count_under(json_object_get(r, "representation"), &f->profiled);
	f->website = y->p->website[0] != '\0';
	f->broadcasts = broadcasts(y);
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
              json_t **out, char **cause)
{
	struct year y = {
	    .db = db, .year = year, .first_month = financial ? 4 : 1};
	char day[11], *s;
	json_t *o, *rep;
	struct facts f;
	int64_t now = time(NULL);

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
	if (represent_report(db, code, y.end < now ? y.end - 1 : now, &rep,
	                     cause) == -1)
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
	facts_fill(&y, o, &f);
	jsonx_set(o, "framework", framework_json(&f));
	practice_free(y.p);
	*out = o;
	return 0;
}

/* ---- HTML --------------------------------------------------------------- */

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The number at k as a percentage, or "-" if there is none. Caller frees. */
static char *
jpct(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? xasprintf("%g%%", json_number_value(v))
	                         : xstrdup("-");
}

/* A row of a two-column table: label, integer. */
static void
row_int(struct html *h, const char *label, long v)
{
	char *n = xasprintf("%ld", v);
	const char *cells[2] = {label, n};

	html_table_row(h, cells, 2);
	free(n);
}

static void
html_members(struct html *h, const json_t *r)
{
	static const char *const heads[] = {"Measure", "Members"};
	const json_t *m = json_object_get(r, "members");

	html_elem(h, "h2", "Membership");
	html_table_begin(h, "Members over the year", heads, 2);
	row_int(h, "At the start of the year", jint(m, "start"));
	row_int(h, "Joined", jint(m, "joined"));
	row_int(h, "Left (term ended or erased)", jint(m, "left"));
	row_int(h, "At the end of the year", jint(m, "end"));
	html_table_end(h);
}

static void
html_meetings_surveys(struct html *h, const json_t *r)
{
	static const char *const heads[] = {"Campaign", "Survey", "Invitations",
	                                    "Responses", "Response rate"};
	const json_t *m = json_object_get(r, "meetings"), *s, *d;
	const char *cells[5];
	char *line, *inv, *resp, *rate;
	size_t i;

	html_elem(h, "h2", "Meetings");
	line = xasprintf("%ld meetings held, %ld with minutes recorded.",
	                 jint(m, "held"), jint(m, "with_minutes"));
	html_elem(h, "p", line);
	free(line);
	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(m, "dates"), i, d)
	    html_elem(h, "li", json_string_value(d));
	html_raw(h, "</ul>\n");
	html_elem(h, "h2", "Surveys");
	html_table_begin(h, "Surveys run, with response rates", heads, 5);
	json_array_foreach(json_object_get(r, "surveys"), i, s)
	{
		inv = xasprintf("%ld", jint(s, "invitations"));
		resp = xasprintf("%ld", jint(s, "responses"));
		rate = jpct(s, "response_rate");
		cells[0] = js(s, "campaign");
		cells[1] = js(s, "title");
		cells[2] = inv;
		cells[3] = resp;
		cells[4] = rate;
		html_table_row(h, cells, 5);
		free(inv);
		free(resp);
		free(rate);
	}
	html_table_end(h);
}

static void
html_fft(struct html *h, const json_t *r)
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
		    json_is_number(json_object_get(m, "positive"))
		        ? json_number_value(json_object_get(m, "positive"))
		        : NAN;
	}
	html_elem(h, "h2", "Friends and Family Test");
	html_raw(h, "<figure>");
	html_line_chart(h, "FFT percent positive by month",
	                "Line chart: percentage of FFT answers that were Very "
	                "good or Good, per month; months with fewer than 5 "
	                "answers are gaps. The table below holds the figures.",
	                labels, values, json_array_size(trend), 100, "%");
	html_table_begin(h, "FFT by month (percent of all answers)", heads, 4);
	json_array_foreach(trend, i, m)
	{
		int small = json_is_true(json_object_get(m, "suppressed"));

		n = small ? xstrdup("<5")
		          : xasprintf("%ld", jint(m, "answers"));
		p = jpct(m, "positive");
		q = jpct(m, "negative");
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

static void
html_actions_messages(struct html *h, const json_t *r)
{
	static const char *const heads[] = {"Channel", "Messages sent"};
	const json_t *a = json_object_get(r, "actions"), *ar;
	const json_t *msg = json_object_get(r, "messages");
	struct html_bar bars[2] = {{"Email", 0, NULL}, {"SMS", 0, NULL}};
	char *line;
	size_t i;

	html_elem(h, "h2", "Action plan: you said, we did");
	line =
	    xasprintf("%ld actions agreed and %ld done this year. Priority "
	              "areas: %zu (%s).",
	              jint(a, "agreed"), jint(a, "done"),
	              json_array_size(json_object_get(a, "priority_areas")),
	              json_is_true(json_object_get(a, "three_priority_areas"))
	                  ? "NHS England's three priority areas are agreed"
	                  : "fewer than the three priority areas NHS "
	                    "England asks for");
	html_elem(h, "p", line);
	free(line);
	html_raw(h, "<ul>");
	json_array_foreach(json_object_get(a, "priority_areas"), i, ar)
	    html_elem(h, "li", json_string_value(ar));
	html_raw(h, "</ul>\n");
	html_elem(h, "h2", "Messages sent");
	bars[0].value = (double)jint(msg, "email");
	bars[1].value = (double)jint(msg, "sms");
	html_raw(h, "<figure>");
	html_bar_chart(h, "Messages sent by channel",
	               "Bar chart: messages sent or delivered by email and by "
	               "SMS this year. The table below holds the figures.",
	               bars, 2, 0);
	html_table_begin(h, "Messages sent by channel", heads, 2);
	row_int(h, "Email", jint(msg, "email"));
	row_int(h, "SMS", jint(msg, "sms"));
	html_table_end(h);
	html_raw(h, "</figure>\n");
}

static void
html_level(struct html *h, const char *caption, const json_t *arr)
{
	static const char *const heads[] = {
	    "Criterion", "Expectation", "Status", "Evidence found", "Missing"};
	const json_t *c;
	const char *cells[5];
	char *n;
	size_t i;

	html_table_begin(h, caption, heads, 5);
	json_array_foreach(arr, i, c)
	{
		n = xasprintf("%ld", jint(c, "criterion"));
		cells[0] = n;
		cells[1] = js(c, "text");
		cells[2] = js(c, "status");
		cells[3] = js(c, "evidence");
		cells[4] = js(c, "missing");
		html_table_row(h, cells, 5);
		free(n);
	}
	html_table_end(h);
}

char *
annual_html(const json_t *r, size_t *len)
{
	const json_t *fw = json_object_get(r, "framework");
	struct html *h;
	char *title, *line;

	title =
	    xasprintf("%s: Patient Participation Group annual report, %s to "
	              "%s",
	              js(r, "name"), js(r, "from"), js(r, "to"));
	h = html_new(title);
	free(title);
	html_members(h, r);
	html_elem(h, "h2", "Representation");
	represent_html(h, json_object_get(r, "representation"));
	html_meetings_surveys(h, r);
	html_fft(h, r);
	html_actions_messages(h, r);
	html_elem(h, "h2",
	          "Self-assessment (Enhanced Commissioning Framework)");
	line = xasprintf("Level shown by the data: %s. %s",
	                 js(fw, "level_from_data"), js(fw, "note"));
	html_elem(h, "p", line);
	free(line);
	html_level(h, "Bronze (all four)", json_object_get(fw, "bronze"));
	html_level(h, "Silver (four of six)", json_object_get(fw, "silver"));
	html_level(h, "Gold (four of eight)", json_object_get(fw, "gold"));
	return html_finish(h, len);
}
