/* Survey results from SQL aggregates, with small-number suppression. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"
#include "member.h"
#include "practice.h"
#include "survey.h"
#include "tally.h"
#include "util.h"
#include "xmalloc.h"

/* The responses a tally covers: ?1 survey, ?2 campaign (0: any), ?3
 * practice (0: any), ?4 and ?5 the start-time window. */
#define RESP_WHERE                                                             \
	" r.survey_id = ?1 AND (?2 = 0 OR r.campaign_id = ?2)"                 \
	" AND (?3 = 0 OR r.practice_id = ?3)"                                  \
	" AND r.started_at >= ?4 AND r.started_at < ?5"
#define ANSWERS_FROM                                                           \
	" FROM answers a JOIN responses r ON r.id = a.response_id "            \
	"WHERE" RESP_WHERE " AND a.question = ?6"

/*
 * The channel that invited a response: stored when it came in; for older
 * responses of a known member, their first invitation of the campaign; a
 * text reply was invited by text. A web answer from an emailed link is an
 * email response.
 */
#define INVITED                                                                \
	"coalesce(r.invited_channel, (SELECT o.channel FROM outbox o"          \
	" JOIN runs u ON u.id = o.run_id WHERE u.campaign_id = r.campaign_id"  \
	" AND o.member_id = r.member_id ORDER BY u.reminder, o.id LIMIT 1),"   \
	" nullif(r.channel, 'web'))"
/* The inviting channel is worked out once a response, and only for one
 * that came from a campaign: CASE, unlike AND, never evaluates the
 * subquery it does not need (it was three times the cost of the rest). */
static const char sql_counts[] =
    "SELECT count(*), count(completed_at), count(campaign_id),"
    " total(channel = 'email'), total(channel = 'sms'),"
    " total(channel = 'web'), total(inv = 'email'), total(inv = 'sms'),"
    " min(started_at), max(started_at) FROM (SELECT r.completed_at,"
    " r.campaign_id, r.channel, r.started_at, CASE WHEN r.campaign_id IS"
    " NOT NULL THEN " INVITED " END AS inv"
    " FROM responses r WHERE" RESP_WHERE
    " AND EXISTS (SELECT 1 FROM answers a WHERE a.response_id = r.id))";
static const char sql_invited[] =
    "SELECT o.channel, count(*) FROM outbox o"
    " JOIN runs u ON u.id = o.run_id JOIN campaigns c ON c.id = u.campaign_id"
    " WHERE c.survey_id = ?1 AND (?2 = 0 OR c.id = ?2)"
    " AND (?3 = 0 OR o.practice_id = ?3) AND u.reminder = 0"
    " AND o.state IN ('sent', 'delivered')"
    " AND coalesce(o.sent_at, o.created_at) >= ?4"
    " AND coalesce(o.sent_at, o.created_at) < ?5 GROUP BY o.channel";
static const char sql_values[] =
    "SELECT a.value, count(*)" ANSWERS_FROM " GROUP BY a.value";
/* Respondents to a question stored one row a pick: no sort needed. */
static const char sql_respondents[] =
    "SELECT count(*) FROM responses r WHERE" RESP_WHERE
    " AND EXISTS (SELECT 1 FROM answers a WHERE a.response_id = r.id"
    " AND a.question = ?6)";
static const char sql_text[] =
    "SELECT a.value, r.started_at, m.first_name, m.last_name, m.erased_at"
    " FROM answers a JOIN responses r ON r.id = a.response_id"
    " LEFT JOIN members m ON m.id = r.member_id WHERE" RESP_WHERE
    " AND a.question = ?6 ORDER BY r.started_at, r.id";

/* The --by fields: SQL is chosen from constants, never built from input. */
static const struct by_field {
	const char *name;
	const char *const *values;
	const char *sql_cells;
	const char *sql_groups;
} by_fields[] = {
#define BY(f, vals)                                                            \
	{                                                                      \
#f, vals,                                                      \
		    "SELECT coalesce(r." #f                                    \
		    ", 'unknown'), a.value, count(*)" ANSWERS_FROM             \
		    " GROUP BY 1, 2",                                          \
		    "SELECT coalesce(r." #f                                    \
		    ", 'unknown'), count(DISTINCT a.response_id)" ANSWERS_FROM \
		    " GROUP BY 1"                                              \
	}
    BY(age_band, member_age_bands),
    BY(sex, member_sexes),
    BY(ethnicity, member_ethnicities),
#undef BY
};
#define NBY (sizeof by_fields / sizeof by_fields[0])

/* A resolved query. */
struct tq {
	struct db *db;
	struct survey *survey;
	int64_t survey_id, campaign_id, practice_id, from, to;
	char *campaign;
	const struct by_field *by;
	int approved, moderated, counted;
};

int
tally_by_valid(const char *field)
{
	size_t i;

	for (i = 0; i < NBY; i++)
		if (strcmp(by_fields[i].name, field) == 0)
			return 1;
	return 0;
}

double
tally_percent(long part, long whole)
{
	if (whole <= 0)
		return 0;
	return round((double)part * 1000.0 / (double)whole) / 10.0;
}

void
tally_fft(const long c[6], double *positive, double *negative)
{
	long all = c[0] + c[1] + c[2] + c[3] + c[4] + c[5];

	*positive = all ? tally_percent(c[0] + c[1], all) : -1;
	*negative = all ? tally_percent(c[3] + c[4], all) : -1;
}

double
tally_median(const double *values, const long *counts, size_t n)
{
	long total = 0, seen = 0, lo, hi;
	double vlo = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += counts[i];
	if (total == 0)
		return 0;
	lo = (total - 1) / 2; /* 0-based ranks of the middle one or two */
	hi = total / 2;
	for (i = 0; i < n; i++) {
		if (seen <= lo && lo < seen + counts[i])
			vlo = values[i];
		if (seen <= hi && hi < seen + counts[i])
			return (vlo + values[i]) / 2;
		seen += counts[i];
	}
	return vlo;
}

/* Flag the smallest shown cell among those idx[0..n) if exactly one of them
 * is suppressed; 1 if a flag was set. */
static int
suppress_line(const long *cells, unsigned char *flags, const size_t *idx,
              size_t n)
{
	size_t i, hidden = 0, best = n;

	for (i = 0; i < n; i++) {
		if (flags[idx[i]] != TALLY_SHOWN)
			hidden++;
		else if (best == n || cells[idx[i]] < cells[idx[best]])
			best = i;
	}
	if (hidden != 1 || best == n)
		return 0;
	flags[idx[best]] = TALLY_SECONDARY;
	return 1;
}

void
tally_suppress(const long *cells, size_t rows, size_t cols,
               unsigned char *flags)
{
	size_t i, j, *idx = xcalloc(rows > cols ? rows : cols, sizeof *idx);
	int changed = 1;

	for (i = 0; i < rows * cols; i++)
		flags[i] = cells[i] < TALLY_SMALL ? TALLY_PRIMARY : TALLY_SHOWN;
	while (changed) {
		changed = 0;
		for (i = 0; i < rows; i++) {
			for (j = 0; j < cols; j++)
				idx[j] = i * cols + j;
			changed |= suppress_line(cells, flags, idx, cols);
		}
		for (j = 0; j < cols; j++) {
			for (i = 0; i < rows; i++)
				idx[i] = i * cols + j;
			changed |= suppress_line(cells, flags, idx, rows);
		}
	}
	free(idx);
}

/* ---- resolving the target ---------------------------------------------- */

static int
load_survey(struct tq *t, int64_t id, char **cause)
{
	sqlite3_stmt *st =
	    db_stmt(t->db, "SELECT definition FROM surveys WHERE id = ?");
	json_t *j;
	json_error_t err;
	char *def;
	int rv;

	db_bind_int(st, 1, id);
	if ((def = db_row_text(t->db, st)) == NULL) {
		*cause = xasprintf("no survey with id %lld", (long long)id);
		return -1;
	}
	j = json_loads(def, 0, &err);
	free(def);
	if (j == NULL) {
		*cause = xasprintf("stored survey %lld: %s", (long long)id,
		                   err.text);
		return -1;
	}
	rv = survey_from_json(j, &t->survey, cause);
	json_decref(j);
	t->survey_id = id;
	return rv;
}

/* The newest version of slug, or version v if v > 0; 0 if none. */
static int64_t
find_survey(struct db *db, const char *slug, int v)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM surveys WHERE slug = ?"
	                               " AND (?2 = 0 OR version = ?2)"
	                               " ORDER BY version DESC LIMIT 1");

	db_bind_text(st, 1, slug);
	db_bind_int(st, 2, v);
	return db_int(db, st, 0);
}

static void
read_ids(sqlite3_stmt *st, void *arg)
{
	int64_t *ids = arg;

	ids[0] = sqlite3_column_int64(st, 0);
	ids[1] = sqlite3_column_int64(st, 1);
}

/* A campaign by name: its id, and its survey in *survey_id (0 if none). */
static int64_t
find_campaign(struct db *db, const char *name, int64_t *survey_id)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT id, coalesce(survey_id, 0) FROM campaigns WHERE name = ?");

	int64_t ids[2] = {0, 0};

	db_bind_text(st, 1, name);
	db_row(db, st, read_ids, ids);
	*survey_id = ids[1];
	return ids[0];
}

/* Split "slug@N" into slug and version (0 if none). Caller frees. */
static char *
split_version(const char *target, int *version)
{
	const char *at = strrchr(target, '@');
	char *end;

	*version = 0;
	if (at == NULL)
		return xstrdup(target);
	*version = (int)strtol(at + 1, &end, 10);
	if (*end != '\0' || *version <= 0)
		*version = -1;
	return xstrndup(target, (size_t)(at - target));
}

static int
resolve(struct tq *t, const char *target, char **cause)
{
	int ver, want_s = 1, want_c = 1;
	int64_t sid = 0, cid = 0, csid = 0;
	char *slug;

	if (strncmp(target, "survey:", 7) == 0) {
		target += 7;
		want_c = 0;
	} else if (strncmp(target, "campaign:", 9) == 0) {
		target += 9;
		want_s = 0;
	}
	slug = split_version(target, &ver);
	if (want_s && ver >= 0)
		sid = find_survey(t->db, slug, ver);
	free(slug);
	if (want_c)
		cid = find_campaign(t->db, target, &csid);
	if (sid != 0 && cid != 0) {
		*cause = xasprintf("%s is both a survey and a campaign; say "
		                   "survey:%s or campaign:%s",
		                   target, target, target);
		return -1;
	}
	if (cid != 0 && csid == 0) {
		*cause = xasprintf("campaign %s has no survey", target);
		return -1;
	}
	if (sid == 0 && cid == 0) {
		*cause = xasprintf("no survey or campaign %s", target);
		return -1;
	}
	t->campaign_id = cid;
	if (cid != 0)
		t->campaign = xstrdup(target);
	return load_survey(t, cid != 0 ? csid : sid, cause);
}

static void
bind_where(struct tq *t, sqlite3_stmt *st)
{
	db_bind_int(st, 1, t->survey_id);
	db_bind_int(st, 2, t->campaign_id);
	db_bind_int(st, 3, t->practice_id);
	db_bind_int(st, 4, t->from);
	db_bind_int(st, 5, t->to);
}

static sqlite3_stmt *
question_stmt(struct tq *t, const char *sql, const struct question *q)
{
	sqlite3_stmt *st = db_stmt(t->db, sql);

	bind_where(t, st);
	db_bind_text(st, 6, q->key);
	return st;
}

/* ---- JSON helpers ------------------------------------------------------- */

/* A percentage, or null when there is nothing to divide by. */
static json_t *
jpct(long part, long whole)
{
	return whole > 0 ? json_real(tally_percent(part, whole)) : json_null();
}

/* ---- response counts and rates ------------------------------------------ */

/*
 * What the figures cover: the practice (by filter, else the campaign's),
 * and the period (by filter, else the first and last response).
 */
static void
add_period(struct tq *t, json_t *o, int64_t first, int64_t last)
{
	sqlite3_stmt *st = db_stmt(
	    t->db, "SELECT code, name FROM practices WHERE id = coalesce("
	           " nullif(?1, 0), (SELECT practice_id FROM campaigns"
	           " WHERE id = ?2))");
	json_t *p = json_object();
	char day[11];

	db_bind_int(st, 1, t->practice_id);
	db_bind_int(st, 2, t->campaign_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		jsonx_set(p, "code", json_string(db_col_text(st, 0)));
		jsonx_set(p, "name", json_string(db_col_text(st, 1)));
	}
	sqlite3_reset(st);
	jsonx_set(o, "practice", p);
	p = json_object();
	jsonx_set(p, "from",
	          t->from ? json_string(util_format_date(t->from, day))
	          : first ? json_string(util_format_date(first, day))
	                  : json_null());
	jsonx_set(p, "to",
	          t->to != INT64_MAX
	              ? json_string(util_format_date(t->to - 1, day))
	          : last ? json_string(util_format_date(last, day))
	                 : json_null());
	jsonx_set(o, "period", p);
}

static void
add_rates(struct tq *t, json_t *o)
{
	sqlite3_stmt *st = db_stmt(t->db, sql_counts);
	long n, done, camp, ch[3], camp_ch[2], inv[2] = {0, 0};
	json_t *by, *rate;
	int i;

	bind_where(t, st);
	if (sqlite3_step(st) != SQLITE_ROW)
		fatalx("tally: count query: %s", db_errmsg(t->db));
	n = sqlite3_column_int64(st, 0);
	done = sqlite3_column_int64(st, 1);
	camp = sqlite3_column_int64(st, 2);
	for (i = 0; i < 3; i++)
		ch[i] = (long)sqlite3_column_double(st, 3 + i);
	for (i = 0; i < 2; i++)
		camp_ch[i] = (long)sqlite3_column_double(st, 6 + i);
	add_period(t, o, sqlite3_column_int64(st, 8),
	           sqlite3_column_int64(st, 9));
	db_reset(st);
	st = db_stmt(t->db, sql_invited);
	bind_where(t, st);
	while (sqlite3_step(st) == SQLITE_ROW)
		inv[strcmp(db_col_text(st, 0), "sms") == 0] =
		    sqlite3_column_int64(st, 1);
	jsonx_set(o, "responses", json_integer(n));
	jsonx_set(o, "completed", json_integer(done));
	jsonx_set(o, "completion_rate", jpct(done, n));
	by = json_object();
	jsonx_set(by, "email", json_integer(ch[0]));
	jsonx_set(by, "sms", json_integer(ch[1]));
	jsonx_set(by, "web", json_integer(ch[2]));
	jsonx_set(o, "responses_by_channel", by);
	by = json_object();
	jsonx_set(by, "email", json_integer(camp_ch[0]));
	jsonx_set(by, "sms", json_integer(camp_ch[1]));
	jsonx_set(by, "unknown", json_integer(camp - camp_ch[0] - camp_ch[1]));
	jsonx_set(o, "responses_by_invitation", by);
	by = json_object();
	jsonx_set(by, "email", json_integer(inv[0]));
	jsonx_set(by, "sms", json_integer(inv[1]));
	jsonx_set(by, "total", json_integer(inv[0] + inv[1]));
	jsonx_set(o, "invitations", by);
	jsonx_set(o, "response_rate", jpct(camp, inv[0] + inv[1]));
	rate = json_object();
	jsonx_set(rate, "email", jpct(camp_ch[0], inv[0]));
	jsonx_set(rate, "sms", jpct(camp_ch[1], inv[1]));
	jsonx_set(o, "response_rate_by_channel", rate);
}

/* ---- one question ------------------------------------------------------- */

/* Add a stored value ("2" or "1,3") to counts[0..n); out of range is
 * ignored (a survey edited under its answers). */
static void
count_picks(const char *value, long count, long *counts, size_t n)
{
	const char *p = value;
	char *end;
	long k;

	while (*p != '\0') {
		k = strtol(p, &end, 10);
		if (end == p)
			break;
		if (k >= 1 && (size_t)k <= n)
			counts[k - 1] += count;
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p != '\0')
			break;
	}
}

/* The number of options, or of scale points. */
static size_t
ncolumns(const struct question *q)
{
	if (q->type == Q_SCALE)
		return (size_t)(q->max - q->min + 1);
	return q->noptions;
}

/* Add a stored value to the column counts of an option or scale question. */
static void
count_value(const struct question *q, const char *value, long count,
            long *counts)
{
	char *end;
	long v;

	if (q->type != Q_SCALE) {
		count_picks(value, count, counts, q->noptions);
		return;
	}
	v = strtol(value, &end, 10);
	if (*end == '\0' && v >= q->min && v <= q->max)
		counts[v - q->min] += count;
}

/* The label of column i: the option, or the scale point with its label. */
static char *
column_label(const struct question *q, size_t i)
{
	long v = q->min + (long)i;

	if (q->type != Q_SCALE)
		return xstrdup(q->options[i]);
	if (v == q->min && q->min_label != NULL)
		return xasprintf("%ld (%s)", v, q->min_label);
	if (v == q->max && q->max_label != NULL)
		return xasprintf("%ld (%s)", v, q->max_label);
	return xasprintf("%ld", v);
}

static long
respondents(struct tq *t, const struct question *q)
{
	sqlite3_stmt *st = question_stmt(t, sql_respondents, q);

	return db_int(t->db, st, 0);
}

/* Mean and median of the scale points in counts. */
static void
add_scale_stats(const struct question *q, const long *counts, long n, json_t *o)
{
	size_t i, k = ncolumns(q);
	double *vals = xcalloc(k, sizeof *vals), sum = 0;

	for (i = 0; i < k; i++) {
		vals[i] = (double)(q->min + (long)i);
		sum += vals[i] * (double)counts[i];
	}
	jsonx_set(o, "mean",
	          n ? json_real(round(sum / n * 100) / 100) : json_null());
	jsonx_set(o, "median",
	          n ? json_real(tally_median(vals, counts, k)) : json_null());
	free(vals);
}

/* Options with counts and percentages; for fft the two scores. */
static void
add_options(struct tq *t, const struct question *q, json_t *o)
{
	size_t i, k = ncolumns(q);
	long *counts = xcalloc(k, sizeof *counts), n = 0;
	sqlite3_stmt *st = question_stmt(t, sql_values, q);
	json_t *arr = json_array(), *e, *fft;
	double pos, neg;
	char *label;

	while (sqlite3_step(st) == SQLITE_ROW) {
		count_value(q, db_col_text(st, 0), sqlite3_column_int64(st, 1),
		            counts);
		n += sqlite3_column_int64(st, 1);
	}
	if (q->multiple)
		n = respondents(t, q);
	for (i = 0; i < k; i++) {
		e = json_object();
		label = column_label(q, i);
		jsonx_set(e, "option",
		          json_integer(q->type == Q_SCALE ? q->min + (long)i
		                                          : (long)i + 1));
		jsonx_set(e, "label", json_string(label));
		jsonx_set(e, "count", json_integer(counts[i]));
		jsonx_set(e, "percent", jpct(counts[i], n));
		jsonx_push(arr, e);
		free(label);
	}
	jsonx_set(o, "respondents", json_integer(n));
	jsonx_set(o, "options", arr);
	if (q->type == Q_SCALE)
		add_scale_stats(q, counts, n, o);
	if (q->type == Q_FFT && k == 6) {
		tally_fft(counts, &pos, &neg);
		fft = json_object();
		jsonx_set(fft, "positive", n ? json_real(pos) : json_null());
		jsonx_set(fft, "negative", n ? json_real(neg) : json_null());
		jsonx_set(fft, "denominator", json_integer(n));
		jsonx_set(o, "fft", fft);
	}
	free(counts);
}

/* Mean, median, min and max of a number question from its distribution. */
static void
add_numbers(struct tq *t, const struct question *q, json_t *o)
{
	sqlite3_stmt *st = question_stmt(t, sql_values, q);
	double *vals = NULL, sum = 0, v;
	long *counts = NULL, n = 0;
	size_t k = 0, i;

	while (sqlite3_step(st) == SQLITE_ROW) {
		v = strtod(db_col_text(st, 0), NULL);
		vals = xreallocarray(vals, k + 1, sizeof *vals);
		counts = xreallocarray(counts, k + 1, sizeof *counts);
		/* Text order is not numeric order: insert sorted. */
		for (i = k; i > 0 && vals[i - 1] > v; i--) {
			vals[i] = vals[i - 1];
			counts[i] = counts[i - 1];
		}
		vals[i] = v;
		counts[i] = sqlite3_column_int64(st, 1);
		sum += v * (double)counts[i];
		n += counts[i];
		k++;
	}
	jsonx_set(o, "respondents", json_integer(n));
	jsonx_set(o, "mean",
	          n ? json_real(round(sum / n * 100) / 100) : json_null());
	jsonx_set(o, "median",
	          n ? json_real(tally_median(vals, counts, k)) : json_null());
	jsonx_set(o, "min", n ? json_real(vals[0]) : json_null());
	jsonx_set(o, "max", n ? json_real(vals[k - 1]) : json_null());
	free(vals);
	free(counts);
}

/* The member's name, only for a survey that is not anonymous. */
static json_t *
answer_member(const struct tq *t, sqlite3_stmt *st)
{
	const char *first = db_col_text(st, 2), *last = db_col_text(st, 3);
	char *name;
	json_t *j;

	if (t->survey->anonymous || sqlite3_column_type(st, 4) != SQLITE_NULL ||
	    (first == NULL && last == NULL))
		return json_null();
	name = xasprintf("%s%s%s", first ? first : "", first && last ? " " : "",
	                 last ? last : "");
	j = json_string(name);
	free(name);
	return j;
}

static const char sql_approved[] =
    "SELECT c.text, c.theme FROM comments c JOIN responses r ON"
    " r.id = c.response_id WHERE" RESP_WHERE " AND c.question = ?6"
    " AND c.status = 'approved' ORDER BY c.theme IS NULL, c.theme, c.id";
static const char sql_themes[] =
    "SELECT coalesce(c.theme, ''), count(*) FROM comments c JOIN responses"
    " r ON r.id = c.response_id WHERE" RESP_WHERE " AND c.question = ?6"
    " AND c.status = 'approved' GROUP BY 1 ORDER BY 2 DESC, 1";

static const char sql_moderated[] =
    "SELECT c.text, r.started_at, m.first_name, m.last_name, m.erased_at,"
    " c.id, c.status, c.theme FROM comments c JOIN responses r ON"
    " r.id = c.response_id LEFT JOIN members m ON m.id = r.member_id"
    " WHERE" RESP_WHERE " AND c.question = ?6 ORDER BY c.id";

/* The staff view: every comment as masked, with its moderation status,
 * and the member when the survey is not anonymous. */
static void
add_moderated(struct tq *t, const struct question *q, json_t *o)
{
	sqlite3_stmt *st = question_stmt(t, sql_moderated, q);
	json_t *arr = json_array(), *e;
	const char *theme;
	char day[11];

	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_object();
		theme = db_col_text(st, 7);
		jsonx_set(e, "text", json_string(db_col_text(st, 0)));
		jsonx_set(e, "date",
		          json_string(util_format_date(
		              sqlite3_column_int64(st, 1), day)));
		if (!t->survey->anonymous)
			jsonx_set(e, "member", answer_member(t, st));
		jsonx_set(e, "comment",
		          json_integer(sqlite3_column_int64(st, 5)));
		jsonx_set(e, "status", json_string(db_col_text(st, 6)));
		jsonx_set(e, "theme", theme ? json_string(theme) : json_null());
		jsonx_push(arr, e);
	}
	jsonx_set(o, "respondents", json_integer(respondents(t, q)));
	jsonx_set(o, "comments",
	          json_integer((json_int_t)json_array_size(arr)));
	jsonx_set(o, "answers", arr);
}

/* Published: approved comments only, as moderated; no member, no date;
 * every text answer counts as a respondent, and the themes are counted. */
static void
add_approved(struct tq *t, const struct question *q, json_t *o)
{
	sqlite3_stmt *st = question_stmt(t, sql_approved, q);
	json_t *arr = json_array(), *themes = json_array(), *e;
	const char *theme;

	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_object();
		theme = db_col_text(st, 1);
		jsonx_set(e, "text", json_string(db_col_text(st, 0)));
		jsonx_set(e, "theme", theme ? json_string(theme) : json_null());
		jsonx_push(arr, e);
	}
	st = question_stmt(t, sql_themes, q);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_object();
		theme = db_col_text(st, 0);
		jsonx_set(e, "theme",
		          *theme ? json_string(theme) : json_null());
		jsonx_set(e, "comments",
		          json_integer(sqlite3_column_int64(st, 1)));
		jsonx_push(themes, e);
	}
	jsonx_set(o, "respondents", json_integer(respondents(t, q)));
	jsonx_set(o, "comments",
	          json_integer((json_int_t)json_array_size(arr)));
	jsonx_set(o, "answers", arr);
	jsonx_set(o, "themes", themes);
}

/* The summary: how many text answers, not the answers. */
static void
add_text_count(struct tq *t, const struct question *q, json_t *o)
{
	json_int_t n = (json_int_t)respondents(t, q);

	jsonx_set(o, "respondents", json_integer(n));
	jsonx_set(o, "comments", json_integer(n));
}

static void
add_texts(struct tq *t, const struct question *q, json_t *o)
{
	sqlite3_stmt *st = question_stmt(t, sql_text, q);
	json_t *arr = json_array(), *e;
	char day[11];

	while (sqlite3_step(st) == SQLITE_ROW) {
		e = json_object();
		jsonx_set(e, "text", json_string(db_col_text(st, 0)));
		jsonx_set(e, "date",
		          json_string(util_format_date(
		              sqlite3_column_int64(st, 1), day)));
		if (!t->survey->anonymous)
			jsonx_set(e, "member", answer_member(t, st));
		jsonx_push(arr, e);
	}
	jsonx_set(o, "respondents",
	          json_integer((json_int_t)json_array_size(arr)));
	jsonx_set(o, "comments",
	          json_integer((json_int_t)json_array_size(arr)));
	jsonx_set(o, "answers", arr);
}

/* ---- the breakdown ------------------------------------------------------ */

/* A published cell: the count, or "<5" / "*" with a suppressed marker. */
static json_t *
cell_json(long count, unsigned char flag, long whole, unsigned char wflag)
{
	json_t *c = json_object();

	if (flag != TALLY_SHOWN) {
		jsonx_set(c, "count", json_null());
		jsonx_set(c, "shown",
		          json_string(flag == TALLY_PRIMARY ? "<5" : "*"));
		jsonx_set(c, "percent", json_null());
		jsonx_set(c, "suppressed", json_true());
		return c;
	}
	jsonx_set(c, "count", json_integer(count));
	jsonx_set(c, "shown", json_sprintf("%ld", count));
	jsonx_set(c, "percent",
	          wflag == TALLY_SHOWN ? jpct(count, whole) : json_null());
	return c;
}

/* The index of group g among the field's values + "unknown"; -1 if other. */
static int
group_index(const struct by_field *b, const char *g)
{
	int i;

	for (i = 0; b->values[i] != NULL; i++)
		if (strcmp(b->values[i], g) == 0)
			return i;
	return strcmp(g, "unknown") == 0 ? i : -1;
}

/* Fill cells[g][0..k) and cells[g][k] (respondents) for every group. */
static void
by_counts(struct tq *t, const struct question *q, long *cells, size_t k)
{
	sqlite3_stmt *st = question_stmt(t, t->by->sql_cells, q);
	int g;

	while (sqlite3_step(st) == SQLITE_ROW)
		if ((g = group_index(t->by, db_col_text(st, 0))) >= 0)
			count_value(q, db_col_text(st, 1),
			            sqlite3_column_int64(st, 2),
			            cells + (size_t)g * (k + 1));
	st = question_stmt(t, t->by->sql_groups, q);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((g = group_index(t->by, db_col_text(st, 0))) >= 0)
			cells[(size_t)g * (k + 1) + k] =
			    sqlite3_column_int64(st, 1);
}

/* FFT scores of a group, withheld when a cell they rest on is hidden. */
static void
by_fft(const long *row, const unsigned char *fl, json_t *g)
{
	double pos, neg;
	int hidden_p = fl[0] || fl[1] || fl[6],
	    hidden_n = fl[3] || fl[4] || fl[6];

	tally_fft(row, &pos, &neg);
	jsonx_set(g, "fft_positive", hidden_p ? json_null() : json_real(pos));
	jsonx_set(g, "fft_negative", hidden_n ? json_null() : json_real(neg));
}

static json_t *
by_group_json(const struct question *q, const char *name, const long *row,
              const unsigned char *fl, size_t k)
{
	json_t *g = json_object(), *cells = json_array();
	size_t i;

	jsonx_set(g, "group", json_string(name));
	jsonx_set(g, "respondents", cell_json(row[k], fl[k], 0, 1));
	for (i = 0; i < k; i++)
		jsonx_push(cells, cell_json(row[i], fl[i], row[k], fl[k]));
	jsonx_set(g, "cells", cells);
	if (q->type == Q_FFT && k == 6)
		by_fft(row, fl, g);
	return g;
}

/* Cross-tab of an option or scale question by the --by field; groups with
 * no respondents are left out before suppression. */
static void
add_by(struct tq *t, const struct question *q, json_t *o)
{
	size_t k = ncolumns(q), ng = 0, nrows = 0, g, i;
	long *cells, *rows;
	unsigned char *flags;
	const char **names;
	json_t *by = json_object(), *groups = json_array();

	while (t->by->values[ng] != NULL)
		ng++;
	ng++; /* unknown */
	cells = xcalloc(ng * (k + 1), sizeof *cells);
	rows = xcalloc(ng * (k + 1), sizeof *rows);
	names = xcalloc(ng, sizeof *names);
	by_counts(t, q, cells, k);
	for (g = 0; g < ng; g++) {
		if (cells[g * (k + 1) + k] == 0)
			continue;
		names[nrows] = g + 1 < ng ? t->by->values[g] : "unknown";
		memcpy(rows + nrows++ * (k + 1), cells + g * (k + 1),
		       (k + 1) * sizeof *rows);
	}
	flags = xcalloc(nrows * (k + 1) + 1, 1);
	tally_suppress(rows, nrows, k + 1, flags);
	for (i = 0; i < nrows; i++)
		jsonx_push(groups,
		           by_group_json(q, names[i], rows + i * (k + 1),
		                         flags + i * (k + 1), k));
	jsonx_set(by, "field", json_string(t->by->name));
	jsonx_set(by, "groups", groups);
	jsonx_set(o, "by", by);
	free(cells);
	free(rows);
	free(names);
	free(flags);
}

static json_t *
question_json(struct tq *t, const struct question *q)
{
	json_t *o = json_object();

	jsonx_set(o, "key", json_string(q->key));
	jsonx_set(o, "type", json_string(survey_qtype_name(q->type)));
	jsonx_set(o, "text", json_string(q->text));
	if (q->type == Q_CHOICE)
		jsonx_set(o, "multiple", json_boolean(q->multiple));
	switch (q->type) {
	case Q_NUMBER:
		add_numbers(t, q, o);
		break;
	case Q_TEXT:
		if (t->counted)
			add_text_count(t, q, o);
		else if (t->approved)
			add_approved(t, q, o);
		else if (t->moderated)
			add_moderated(t, q, o);
		else
			add_texts(t, q, o);
		break;
	default:
		add_options(t, q, o);
		if (t->by != NULL)
			add_by(t, q, o);
		break;
	}
	return o;
}

/* ---- the whole tally ---------------------------------------------------- */

static json_t *
filters_json(const struct tally_query *q)
{
	json_t *f = json_object();
	char day[11];

	jsonx_set(f, "practice",
	          q->practice ? json_string(q->practice) : json_null());
	jsonx_set(f, "from",
	          q->from ? json_string(util_format_date(q->from, day))
	                  : json_null());
	/* to is exclusive: show the last day included. */
	jsonx_set(f, "to",
	          q->to ? json_string(util_format_date(q->to - 1, day))
	                : json_null());
	jsonx_set(f, "by", q->by ? json_string(q->by) : json_null());
	return f;
}

static json_t *
survey_json(const struct survey *s)
{
	json_t *o = json_object();

	jsonx_set(o, "slug", json_string(s->slug));
	jsonx_set(o, "version", json_integer(s->version));
	jsonx_set(o, "title", json_string(s->title));
	jsonx_set(o, "anonymous", json_boolean(s->anonymous));
	return o;
}

static int
tq_init(struct tq *t, struct db *db, const struct tally_query *q, char **cause)
{
	struct practice *p;
	size_t i;

	memset(t, 0, sizeof *t);
	t->db = db;
	t->from = q->from;
	t->to = q->to ? q->to : INT64_MAX;
	t->approved = q->approved;
	t->moderated = q->moderated;
	t->counted = q->counted;
	for (i = 0; q->by != NULL && i < NBY; i++)
		if (strcmp(by_fields[i].name, q->by) == 0)
			t->by = &by_fields[i];
	if (q->by != NULL && t->by == NULL) {
		*cause = xasprintf("cannot break down by %s (age_band, sex or "
		                   "ethnicity)",
		                   q->by);
		return -1;
	}
	if (q->practice != NULL) {
		if ((p = practice_find(db, q->practice)) == NULL) {
			*cause = xasprintf("no practice %s", q->practice);
			return -1;
		}
		t->practice_id = p->id;
		practice_free(p);
	}
	return resolve(t, q->target, cause);
}

int
tally_run(struct db *db, const struct tally_query *q, json_t **out,
          char **cause)
{
	struct tq t;
	json_t *o, *qs;
	size_t i;
	int rv = -1;

	*out = NULL;
	if (tq_init(&t, db, q, cause) == -1)
		goto out;
	o = json_object();
	jsonx_set(o, "survey", survey_json(t.survey));
	jsonx_set(o, "campaign",
	          t.campaign ? json_string(t.campaign) : json_null());
	jsonx_set(o, "filters", filters_json(q));
	add_rates(&t, o);
	qs = json_array();
	for (i = 0; i < t.survey->nquestions; i++)
		jsonx_push(qs, question_json(&t, &t.survey->questions[i]));
	jsonx_set(o, "questions", qs);
	*out = o;
	rv = 0;
out:
	if (t.survey != NULL)
		survey_free(t.survey);
	free(t.campaign);
	return rv;
}

/* ---- comments, a page at a time ----------------------------------------- */

static const char sql_page_published[] =
    "SELECT c.text, c.theme, c.question FROM comments c JOIN responses r ON"
    " r.id = c.response_id WHERE" RESP_WHERE " AND c.status = 'approved'"
    " ORDER BY c.id LIMIT ?6 OFFSET ?7";
/* The columns of sql_moderated (answer_member reads 2 to 4), then the
 * question. */
static const char sql_page_internal[] =
    "SELECT c.text, r.started_at, m.first_name, m.last_name, m.erased_at,"
    " c.id, c.status, c.theme, c.question FROM comments c JOIN responses r"
    " ON r.id = c.response_id LEFT JOIN members m ON m.id = r.member_id"
    " WHERE" RESP_WHERE " ORDER BY c.id LIMIT ?6 OFFSET ?7";
static const char sql_page_count[] =
    "SELECT count(*) FROM comments c JOIN responses r ON"
    " r.id = c.response_id WHERE" RESP_WHERE
    " AND (?6 = 0 OR c.status = 'approved')";

static json_t *
page_row(const struct tq *t, sqlite3_stmt *st, int internal)
{
	json_t *e = json_object();
	const char *theme = db_col_text(st, internal ? 7 : 1);
	char day[11];

	if (internal)
		jsonx_set(e, "comment",
		          json_integer(sqlite3_column_int64(st, 5)));
	jsonx_set(e, "question",
	          json_string(db_col_text(st, internal ? 8 : 2)));
	jsonx_set(e, "text", json_string(db_col_text(st, 0)));
	jsonx_set(e, "theme", theme ? json_string(theme) : json_null());
	if (!internal)
		return e;
	jsonx_set(e, "status", json_string(db_col_text(st, 6)));
	jsonx_set(
	    e, "date",
	    json_string(util_format_date(sqlite3_column_int64(st, 1), day)));
	if (!t->survey->anonymous)
		jsonx_set(e, "member", answer_member(t, st));
	return e;
}

static void
page_head(json_t *o, int internal, long page, long per_page, int64_t total)
{
	jsonx_set(o, "internal", json_boolean(internal));
	jsonx_set(o, "page", json_integer(page));
	jsonx_set(o, "per_page", json_integer(per_page));
	jsonx_set(o, "total", json_integer(total));
	jsonx_set(o, "pages", json_integer((total + per_page - 1) / per_page));
}

int
tally_comments(struct db *db, const struct tally_query *q, int internal,
               long page, long per_page, json_t **out, char **cause)
{
	struct tq t;
	sqlite3_stmt *st;
	json_t *o, *arr;
	int64_t total;
	int rv = -1;

	*out = NULL;
	if (page < 1 || per_page < 1 || per_page > TALLY_PER_PAGE_MAX) {
		*cause = xasprintf("a page is from 1, of 1 to %d comments",
		                   TALLY_PER_PAGE_MAX);
		return -1;
	}
	if (tq_init(&t, db, q, cause) == -1)
		goto out;
	st = db_stmt(db, sql_page_count);
	bind_where(&t, st);
	db_bind_int(st, 6, !internal);
	total = db_int(db, st, 0);
	o = json_object();
	jsonx_set(o, "survey", survey_json(t.survey));
	jsonx_set(o, "campaign",
	          t.campaign ? json_string(t.campaign) : json_null());
	jsonx_set(o, "filters", filters_json(q));
	page_head(o, internal, page, per_page, total);
	st = db_stmt(db, internal ? sql_page_internal : sql_page_published);
	bind_where(&t, st);
	db_bind_int(st, 6, per_page);
	db_bind_int(st, 7, (int64_t)(page - 1) * per_page);
	arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		jsonx_push(arr, page_row(&t, st, internal));
	sqlite3_reset(st);
	jsonx_set(o, "comments", arr);
	*out = o;
	rv = 0;
out:
	if (t.survey != NULL)
		survey_free(t.survey);
	free(t.campaign);
	return rv;
}

int
tally_fft_modes(struct db *db, const struct tally_query *q,
                long counts[TALLY_NMODES][6], char **cause)
{
	struct tq t;
	sqlite3_stmt *st;
	const char *ch;
	size_t i;
	long v;
	int m, rv = -1;

	memset(counts, 0, sizeof(long) * TALLY_NMODES * 6);
	if (tq_init(&t, db, q, cause) == -1)
		goto out;
	for (i = 0; i < t.survey->nquestions; i++) {
		if (t.survey->questions[i].type != Q_FFT)
			continue;
		st = question_stmt(
		    &t,
		    "SELECT r.channel, a.value, count(*)" ANSWERS_FROM
		    " GROUP BY 1, 2",
		    &t.survey->questions[i]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			ch = db_col_text(st, 0);
			m = strcmp(ch, "sms") == 0   ? TALLY_MODE_SMS
			    : strcmp(ch, "web") == 0 ? TALLY_MODE_WEB
			                             : TALLY_MODE_OTHER;
			v = strtol(db_col_text(st, 1), NULL, 10);
			if (v >= 1 && v <= 6)
				counts[m][v - 1] += sqlite3_column_int64(st, 2);
		}
	}
	rv = 0;
out:
	if (t.survey != NULL)
		survey_free(t.survey);
	free(t.campaign);
	return rv;
}
