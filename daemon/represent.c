/* Representation: the practice population profile against the membership. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "csvio.h"
#include "demog.h"
#include "htmlout.h"
#include "log.h"
#include "member.h"
#include "practice.h"
#include "publish.h"
#include "recruit.h"
#include "represent.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_FIELD    256
#define MAX_PATIENTS 100000000L
#define MAX_ROWS     200
/* Members must be 16 or over: children are not in the population base. */
#define CHILD_BAND "0-15"

/* Members with an active term at ?2: the one membership figure. */
#define ACTIVE " FROM members WHERE practice_id = ?1 AND " REPRESENT_ACTIVE_SQL

static const char *const yes_no[] = {"yes", "no", NULL};

/* The profile fields; SQL chosen from constants, never built from input. */
static const struct rfield {
	const char *name;
	const char *const *values;
	const char *sql_members;
} rfields[] = {
    {"age_band", member_age_bands,
     "SELECT " DEMOG_AGE_BAND_SQL("birth_ym", "age_band",
                                  "?2") ", count(*)" ACTIVE " GROUP BY 1"},
    {"sex", member_sexes, "SELECT sex, count(*)" ACTIVE " GROUP BY 1"},
    {"ethnicity", member_ethnicities,
     "SELECT ethnicity, count(*)" ACTIVE " GROUP BY 1"},
    {"disability", yes_no,
     "SELECT CASE disability WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END,"
     " count(*)" ACTIVE " GROUP BY 1"},
    {"carer", yes_no,
     "SELECT CASE carer WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END,"
     " count(*)" ACTIVE " GROUP BY 1"},
};
#define NRFIELDS (sizeof rfields / sizeof rfields[0])

struct prow {
	const struct rfield *f;
	char *value;
	long patients;
};

static const struct rfield *
rfield_find(const char *name)
{
	size_t i;

	for (i = 0; i < NRFIELDS; i++)
		if (strcmp(rfields[i].name, name) == 0)
			return &rfields[i];
	return NULL;
}

static int
value_allowed(const struct rfield *f, const char *v)
{
	size_t i;

	if (f->values == member_age_bands && strcmp(v, CHILD_BAND) == 0)
		return 1;
	for (i = 0; f->values[i] != NULL; i++)
		if (strcmp(f->values[i], v) == 0)
			return 1;
	return 0;
}

/* Append "origin:line: message\n" to *errs. */
static void
add_error(char **errs, const char *origin, size_t line, const char *msg)
{
	char *old = *errs;

	*errs = xasprintf("%s%s:%zu: %s\n", old ? old : "", origin, line, msg);
	free(old);
}

/* Check one record; NULL if good, else why (static text or allocated in
 * *owned). */
static const char *
check_row(const struct csv_record *rec, const int *idx, struct prow *rows,
          size_t n, struct prow *out, char **owned)
{
	const char *field, *value, *num;
	char *end;
	size_t i;

	for (i = 0; i < 3; i++)
		if ((size_t)idx[i] >= rec->nfields)
			return *owned = xstrdup("too few fields");
	field = rec->fields[idx[0]];
	value = rec->fields[idx[1]];
	num = rec->fields[idx[2]];
	if ((out->f = rfield_find(field)) == NULL)
		return *owned = xasprintf("unknown field '%s' (age_band, sex, "
		                          "ethnicity, disability or carer)",
		                          field);
	if (!value_allowed(out->f, value))
		return *owned =
		           xasprintf("%s: unknown value '%s'", field, value);
	out->patients = strtol(num, &end, 10);
	if (*num == '\0' || *end != '\0' || out->patients < 0 ||
	    out->patients > MAX_PATIENTS)
		return *owned = xasprintf("patients '%s' is not a whole number "
		                          "from 0 to %ld",
		                          num, MAX_PATIENTS);
	for (i = 0; i < n; i++)
		if (rows[i].f == out->f && strcmp(rows[i].value, value) == 0)
			return *owned =
			           xasprintf("%s=%s given twice", field, value);
	out->value = xstrdup(value);
	return NULL;
}

/* Read every row; -1 with *errs if any is bad. */
static int
read_rows(FILE *fp, const char *origin, struct prow **rows, size_t *n,
          char **errs)
{
	static const struct csv_column cols[] = {
	    {"field", NULL}, {"value", NULL}, {"patients", "count,population"}};
	struct csv_reader *cr = csvr_new(fp, MAX_FIELD);
	struct csv_record *rec;
	char *cause = NULL, *owned;
	int idx[3], rc;

	if ((rc = csvr_next(cr, &rec, &cause)) != 1 || rec->error != NULL ||
	    csv_map_header(rec, cols, 3, idx, NULL, &cause) == -1 ||
	    idx[0] < 0 || idx[1] < 0 || idx[2] < 0) {
		add_error(errs, origin, 1,
		          cause ? cause
		                : "the header must be field,value,patients");
		free(cause);
		csvr_free(cr);
		return -1;
	}
	while ((rc = csvr_next(cr, &rec, &cause)) == 1) {
		owned = NULL;
		if (rec->error != NULL)
			add_error(errs, origin, rec->line, rec->error);
		else if (*n == MAX_ROWS)
			add_error(errs, origin, rec->line, "too many rows");
		else if (check_row(rec, idx, *rows, *n, &(*rows)[*n], &owned) !=
		         NULL)
			add_error(errs, origin, rec->line, owned);
		else
			(*n)++;
		free(owned);
	}
	if (rc == -1) {
		add_error(errs, origin, 0, cause);
		free(cause);
	}
	csvr_free(cr);
	return *errs != NULL ? -1 : 0;
}

static int
store_rows(struct db *db, int64_t practice_id, const struct prow *rows,
           size_t n, char **cause)
{
	sqlite3_stmt *st;
	size_t i;

	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		return -1;
	}
	st = db_stmt(db, "DELETE FROM population WHERE practice_id = ?");
	db_bind_int(st, 1, practice_id);
	if (db_done(db, st) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		st = db_stmt(db, "INSERT INTO population (practice_id, field,"
		                 " value, patients) VALUES (?, ?, ?, ?)");
		db_bind_int(st, 1, practice_id);
		db_bind_text(st, 2, rows[i].f->name);
		db_bind_text(st, 3, rows[i].value);
		db_bind_int(st, 4, rows[i].patients);
		if (db_done(db, st) == -1)
			goto fail;
	}
	if (db_audit(db, NULL, "practice.profile", "population", NULL) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	return 0;
fail:
	*cause = xasprintf("cannot store the profile: %s", db_errmsg(db));
	db_rollback(db);
	return -1;
}

int
represent_load_profile(struct db *db, const char *code, FILE *fp,
                       const char *origin, int *nrows, char **cause)
{
	struct practice *p;
	struct prow *rows = xcalloc(MAX_ROWS, sizeof *rows);
	size_t n = 0, i;
	int rv = -1;

	*cause = NULL;
	*nrows = 0;
	if ((p = practice_find(db, code)) == NULL) {
		*cause = xasprintf("no practice %s", code);
		free(rows);
		return -1;
	}
	if (read_rows(fp, origin, &rows, &n, cause) == 0 && n == 0)
		*cause = xasprintf("%s: no rows", origin);
	else if (*cause == NULL &&
	         (rv = store_rows(db, p->id, rows, n, cause)) == 0)
		*nrows = (int)n;
	for (i = 0; i < n; i++)
		free(rows[i].value);
	free(rows);
	practice_free(p);
	return rv;
}

/* ---- the report --------------------------------------------------------- */

double
represent_ratio(long members, long members_base, long patients,
                long patients_base)
{
	double ms, ps;

	if (patients_base <= 0 || patients <= 0)
		return -1;
	ms = members_base > 0 ? (double)members / (double)members_base : 0;
	ps = (double)patients / (double)patients_base;
	return ms / ps;
}

static json_t *
share_json(long part, long whole)
{
	if (whole <= 0)
		return json_real(0);
	return json_real(round((double)part * 1000.0 / (double)whole) / 10.0);
}

/* Counts of a field's canonical values: population and members. */
struct counts {
	long *patients, *members, pbase, mbase, unknown;
	int *profiled;
};

static void
counts_load(struct db *db, int64_t pid, int64_t at, const struct rfield *f,
            struct counts *c, size_t nv)
{
	sqlite3_stmt *st;
	size_t i;
	const char *v;

	st = db_stmt(db, "SELECT value, patients FROM population WHERE"
	                 " practice_id = ? AND field = ?");
	db_bind_int(st, 1, pid);
	db_bind_text(st, 2, f->name);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < nv; i++)
			if (strcmp(f->values[i], db_col_text(st, 0)) == 0) {
				c->patients[i] = sqlite3_column_int64(st, 1);
				c->profiled[i] = 1;
				c->pbase += c->patients[i];
			}
	st = db_stmt(db, f->sql_members);
	db_bind_int(st, 1, pid);
	db_bind_int(st, 2, at);
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = db_col_text(st, 0);
		for (i = 0; v != NULL && i < nv; i++)
			if (c->profiled[i] && strcmp(f->values[i], v) == 0)
				break;
		if (v != NULL && i < nv) {
			c->members[i] = sqlite3_column_int64(st, 1);
			c->mbase += c->members[i];
		} else
			c->unknown += sqlite3_column_int64(st, 1);
	}
}

static json_t *
group_json(const char *code, const struct rfield *f, const char *value,
           long members, long patients, const struct counts *c)
{
	json_t *g = json_object();
	double r = represent_ratio(members, c->mbase, patients, c->pbase);
	char *aud = xasprintf("%s=%s", f->name, value);

	jsonx_set(g, "value", json_string(value));
	jsonx_set(g, "members", json_integer(members));
	jsonx_set(g, "member_share", share_json(members, c->mbase));
	jsonx_set(g, "patients", json_integer(patients));
	jsonx_set(g, "population_share", share_json(patients, c->pbase));
	jsonx_set(g, "ratio",
	          r < 0 ? json_null() : json_real(round(r * 100) / 100));
	jsonx_set(g, "under_represented",
	          json_boolean(r >= 0 && r < REPRESENT_THRESHOLD));
	jsonx_set(g, "audience", json_string(aud));
	jsonx_set(g, "command",
	          json_sprintf("ppgd campaign add recruit-%s-%s --practice %s "
	                       "--kind broadcast --template broadcast "
	                       "--channels email,sms --audience %s --at TIME",
	                       f->name, value, code, aud));
	free(aud);
	return g;
}

static json_t *
field_json(struct db *db, const char *code, int64_t pid, int64_t at,
           const struct rfield *f)
{
	size_t nv = 0, i;
	struct counts c = {0};
	json_t *o = json_object(), *groups = json_array();

	while (f->values[nv] != NULL)
		nv++;
	c.patients = xcalloc(nv, sizeof *c.patients);
	c.members = xcalloc(nv, sizeof *c.members);
	c.profiled = xcalloc(nv, sizeof *c.profiled);
	counts_load(db, pid, at, f, &c, nv);
	for (i = 0; i < nv; i++)
		if (c.profiled[i])
			jsonx_push(groups,
			           group_json(code, f, f->values[i],
			                      c.members[i], c.patients[i], &c));
	jsonx_set(o, "field", json_string(f->name));
	jsonx_set(o, "patients", json_integer(c.pbase));
	jsonx_set(o, "members", json_integer(c.mbase));
	jsonx_set(o, "members_not_comparable", json_integer(c.unknown));
	if (f->values == member_age_bands)
		jsonx_set(o, "excluded", json_string(CHILD_BAND));
	jsonx_set(o, "groups", groups);
	free(c.patients);
	free(c.members);
	free(c.profiled);
	return o;
}

static json_t *
tags_json(struct db *db, int64_t pid, int64_t at)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT t.tag, count(*) FROM member_tags t JOIN members m ON"
	    " m.id = t.member_id WHERE m.practice_id = ?1 "
	    "AND " REPRESENT_ACTIVE_SQL " GROUP BY t.tag ORDER BY 2 DESC, 1");
	json_t *arr = json_array(), *o;

	db_bind_int(st, 1, pid);
	db_bind_int(st, 2, at);
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		jsonx_set(o, "tag", json_string(db_col_text(st, 0)));
		jsonx_set(o, "members",
		          json_integer(sqlite3_column_int64(st, 1)));
		jsonx_push(arr, o);
	}
	return arr;
}

static long
active_members(struct db *db, int64_t pid, int64_t at, const char *extra)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT count(*), total(carer = 1), total(disability = 1)" ACTIVE);
	long v;

	db_bind_int(st, 1, pid);
	db_bind_int(st, 2, at);
	if (sqlite3_step(st) != SQLITE_ROW)
		v = 0;
	else if (extra == NULL)
		v = sqlite3_column_int64(st, 0);
	else
		v = (long)sqlite3_column_double(
		    st, strcmp(extra, "carer") == 0 ? 1 : 2);
	db_reset(st);
	return v;
}

long
represent_members_at(struct db *db, int64_t pid, int64_t at)
{
	return active_members(db, pid, at, NULL);
}

int
represent_report(struct db *db, const char *code, int64_t at, json_t **out,
                 char **cause)
{
	struct practice *p = practice_find(db, code);
	json_t *o, *fields;
	char day[11];
	size_t i;

	*out = NULL;
	if (p == NULL) {
		*cause = xasprintf("no practice %s", code);
		return -1;
	}
	o = json_object();
	jsonx_set(o, "practice", json_string(p->code));
	jsonx_set(o, "name", json_string(p->name));
	jsonx_set(o, "as_at", json_string(util_format_date(at, day)));
	jsonx_set(o, "members",
	          json_integer(active_members(db, p->id, at, NULL)));
	jsonx_set(o, "carers",
	          json_integer(active_members(db, p->id, at, "carer")));
	jsonx_set(o, "disabled",
	          json_integer(active_members(db, p->id, at, "disability")));
	jsonx_set(o, "threshold", json_real(REPRESENT_THRESHOLD));
	fields = json_array();
	for (i = 0; i < NRFIELDS; i++)
		jsonx_push(fields,
		           field_json(db, p->code, p->id, at, &rfields[i]));
	jsonx_set(o, "fields", fields);
	jsonx_set(o, "seldom_heard", tags_json(db, p->id, at));
	recruit_annotate(db, p->id, at, o);
	*out = o;
	practice_free(p);
	return 0;
}

/* ---- HTML --------------------------------------------------------------- */

static long
jl(const json_t *o, const char *k)
{
	return (long)json_integer_value(json_object_get(o, k));
}

/* A field's member and patient counts, suppressed unless internal: the
 * groups and then the members not comparable, whose total is published. */
struct fcounts {
	size_t n;
	long *members, *patients;
	unsigned char *mflag, *pflag;
	long mbase, pbase; /* the bases of the shares shown */
};

static void
fcounts_load(const json_t *f, int internal, struct fcounts *c)
{
	const json_t *groups = json_object_get(f, "groups"), *g;
	size_t i;

	c->n = json_array_size(groups);
	c->members = xcalloc(c->n + 1, sizeof *c->members);
	c->patients = xcalloc(c->n + 1, sizeof *c->patients);
	c->mflag = xcalloc(c->n + 1, 1);
	c->pflag = xcalloc(c->n + 1, 1);
	json_array_foreach(groups, i, g)
	{
		c->members[i] = jl(g, "members");
		c->patients[i] = jl(g, "patients");
	}
	c->members[c->n] = jl(f, "members_not_comparable");
	c->mbase = jl(f, "members");
	c->pbase = jl(f, "patients");
	if (internal)
		return;
	publish_suppress(c->members, c->n + 1, 1, c->mflag);
	publish_suppress(c->patients, c->n, 1, c->pflag);
	/*
	 * The shares would give away their base, and the base with the
	 * published total gives away the members not comparable: when that
	 * count is suppressed, shares are of all the members instead.
	 */
	if (c->mflag[c->n] != PUB_SHOWN)
		c->mbase += c->members[c->n];
}

/* Group i's share of the members and its ratio (-1 if none), on the
 * shown bases. */
static void
fcounts_share(const struct fcounts *c, size_t i, double *share, double *ratio)
{
	double r =
	    represent_ratio(c->members[i], c->mbase, c->patients[i], c->pbase);

	*share =
	    c->mbase > 0
	        ? round((double)c->members[i] * 1000.0 / (double)c->mbase) /
	              10.0
	        : 0;
	*ratio = r; /* -1: no population to compare with */
}

static void
fcounts_free(struct fcounts *c)
{
	free(c->members);
	free(c->patients);
	free(c->mflag);
	free(c->pflag);
}

/* The ratio chart: suppressed groups get no bar. */
static void
field_chart(struct html *h, const json_t *f, const struct fcounts *c,
            const char *title)
{
	const json_t *groups = json_object_get(f, "groups"), *g;
	struct html_bar *bars = xcalloc(c->n + 1, sizeof *bars);
	char **shown = xcalloc(c->n + 1, sizeof *shown);
	char **labels = xcalloc(c->n + 1, sizeof *labels);
	const char *name = json_string_value(json_object_get(f, "field"));
	size_t i;

	json_array_foreach(groups, i, g)
	{
		double share, r;
		int under;

		fcounts_share(c, i, &share, &r);
		under = r >= 0 && r < REPRESENT_THRESHOLD;
		r = r < 0 ? 0 : r;

		labels[i] = publish_value(
		    name, json_string_value(json_object_get(g, "value")));
		if (c->mflag[i] != PUB_SHOWN)
			shown[i] = xstrdup(c->mflag[i] == PUB_SMALL
			                       ? "<5 members: not shown"
			                       : "not shown");
		else
			shown[i] = xasprintf(
			    "%.2f%s", r, under ? " (under-represented)" : "");
		bars[i] = (struct html_bar){
		    labels[i], c->mflag[i] == PUB_SHOWN ? r : 0, shown[i]};
	}
	html_ratio_chart(
	    h, title,
	    "Bar chart: each group's share of members divided by "
	    "its share of the practice's patients. The dashed line "
	    "at 1.0 means like the practice population; below 0.8 "
	    "is under-represented. The table below holds the "
	    "figures.",
	    bars, c->n, "1.0 = like the practice population");
	for (i = 0; i < c->n; i++) {
		free(shown[i]);
		free(labels[i]);
	}
	free(shown);
	free(labels);
	free(bars);
}

/* One row of a field's table; cells[0..8). */
static void
field_row(const char *name, const json_t *g, const struct fcounts *c, size_t i,
          int internal, char **cells)
{
	int shown = c->mflag[i] == PUB_SHOWN;
	double share, ratio;

	fcounts_share(c, i, &share, &ratio);
	cells[0] =
	    publish_value(name, json_string_value(json_object_get(g, "value")));
	cells[1] = publish_cell(c->members[i], c->mflag[i]);
	cells[2] = shown ? xasprintf("%g%%", share) : xstrdup("-");
	cells[3] = publish_cell(c->patients[i], c->pflag[i]);
	cells[4] = c->pflag[i] == PUB_SHOWN
	               ? xasprintf("%g%%", json_number_value(json_object_get(
	                                       g, "population_share")))
	               : xstrdup("-");
	cells[5] = shown && c->pflag[i] == PUB_SHOWN && ratio >= 0
	               ? xasprintf("%.2f", ratio)
	               : xstrdup("-");
	cells[6] =
	    xstrdup(ratio >= 0 && ratio < REPRESENT_THRESHOLD ? "yes" : "no");
	cells[7] =
	    internal
	        ? xstrdup(json_string_value(json_object_get(g, "audience")))
	        : NULL;
}

static void
field_html(struct html *h, const json_t *f, int internal)
{
	static const char *const heads[] = {"Group",
	                                    "Members",
	                                    "Member share",
	                                    "Patients",
	                                    "Population share",
	                                    "Ratio",
	                                    "Under-represented",
	                                    "Campaign audience"};
	const json_t *g;
	const char *name = json_string_value(json_object_get(f, "field"));
	size_t i, k, ncols = internal ? 8 : 7;
	struct fcounts c;
	char *cells[8], *title, *unk;

	fcounts_load(f, internal, &c);
	title = xasprintf("Representation by %s", publish_field(name));
	title[strlen("Representation by ")] =
	    (char)tolower((unsigned char)title[strlen("Representation by ")]);
	html_raw(h, "<figure>");
	field_chart(h, f, &c, title);
	html_table_begin(h, title, heads, ncols);
	json_array_foreach(json_object_get(f, "groups"), i, g)
	{
		field_row(name, g, &c, i, internal, cells);
		html_table_row(h, (const char *const *)cells, ncols);
		for (k = 0; k < 8; k++)
			free(cells[k]);
	}
	unk = publish_cell(c.members[c.n], c.mflag[c.n]);
	{
		const char *row[8] = {"Not known or not comparable",
		                      unk,
		                      "-",
		                      "-",
		                      "-",
		                      "-",
		                      "-",
		                      "-"};

		html_table_row(h, row, ncols);
	}
	free(unk);
	html_table_end(h);
	html_raw(h, "</figure>\n");
	fcounts_free(&c);
	free(title);
}

/* Disability and carers when the profile has no figures to compare. */
static void
plain_counts_html(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Members who said", "Members"};
	char *d = publish_count(jl(r, "disabled"), internal),
	     *c = publish_count(jl(r, "carers"), internal);
	const char *rows[2][2] = {{"they have a disability", d},
	                          {"they are a carer", c}};

	html_table_begin(h, "Disability and carers among members", heads, 2);
	html_table_row(h, rows[0], 2);
	html_table_row(h, rows[1], 2);
	html_table_end(h);
	free(d);
	free(c);
}

static void
tags_html(struct html *h, const json_t *r, int internal)
{
	static const char *const heads[] = {"Tag", "Members"};
	const json_t *t;
	size_t i;
	char *n;

	html_table_begin(h, "Seldom-heard groups (member tags)", heads, 2);
	json_array_foreach(json_object_get(r, "seldom_heard"), i, t)
	{
		const char *cells[2];

		char *tag = publish_value(
		    "tag", json_string_value(json_object_get(t, "tag")));

		n = publish_count(jl(t, "members"), internal);
		cells[0] = tag;
		cells[1] = n;
		html_table_row(h, cells, 2);
		free(n);
		free(tag);
	}
	html_table_end(h);
	/* Joins by source are small counts and staff actions (the poster
	 * commands): the staff view only. */
	if (internal)
		recruit_html(h, r);
}

void
represent_html(struct html *h, const json_t *r, int internal)
{
	const json_t *f;
	size_t i;
	char *line, *n = publish_count(jl(r, "members"), internal);
	int compared = 0;

	line = xasprintf("%s members with an active term on this date. Each "
	                 "group's share of the members is compared with its "
	                 "share of the practice's registered patients. Age "
	                 "bands compare members with patients aged 16 and "
	                 "over only (members must be 16 or over).",
	                 n);
	html_elem(h, "p", line);
	free(line);
	free(n);
	json_array_foreach(json_object_get(r, "fields"), i, f)
	{
		const char *name =
		    json_string_value(json_object_get(f, "field"));

		if (json_array_size(json_object_get(f, "groups")) == 0)
			continue;
		compared |= strcmp(name, "disability") == 0 ||
		            strcmp(name, "carer") == 0;
		field_html(h, f, internal);
	}
	if (!compared)
		plain_counts_html(h, r, internal);
	tags_html(h, r, internal);
}

char *
represent_page(const json_t *r, int internal, size_t *len)
{
	char *title, *asat, *line;
	struct html *h;

	asat = publish_iso_date(json_string_value(json_object_get(r, "as_at")));
	title =
	    xasprintf("%sHow representative is the Patient Participation "
	              "Group? %s (%s), as at %s",
	              internal ? "NOT FOR PUBLICATION: " : "",
	              json_string_value(json_object_get(r, "name")),
	              json_string_value(json_object_get(r, "practice")), asat);
	h = html_new(title);
	if (internal)
		html_internal(h, PUBLISH_INTERNAL);
	line = xasprintf("As at %s. The group's members are patients of the "
	                 "practice who joined its Patient Participation Group "
	                 "and its virtual network.",
	                 asat);
	html_elem(h, "p", line);
	if (!internal)
		html_elem(h, "p class=\"note\"", PUBLISH_NOTE);
	represent_html(h, r, internal);
	free(line);
	free(title);
	free(asat);
	return html_finish(h, len);
}
