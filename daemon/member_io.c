/* Member import from CSV (streaming, one transaction) and export. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "consent.h"
#include "csvio.h"
#include "log.h"
#include "member.h"
#include "member_io.h"
#include "practice.h"
#include "textnorm.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_FIELD           (64 * 1024)
#define MAX_REPORTED_ERRORS 1000
#define PROGRESS_MIN_BYTES  (512 * 1024)

static void
report_error(struct import_report *r, size_t line, const char *msg)
{
	r->bad++;
	if (json_array_size(r->errors) < MAX_REPORTED_ERRORS)
		json_array_append_new(r->errors, json_pack("{s:I, s:s}", "line",
		                                           (json_int_t)line,
		                                           "error", msg));
}

static void
report_warning(struct import_report *r, size_t line, const char *msg)
{
	r->warned++;
	if (json_array_size(r->warnings) < MAX_REPORTED_ERRORS)
		json_array_append_new(
		    r->warnings, json_pack("{s:I, s:s}", "line",
		                           (json_int_t)line, "warning", msg));
}

void
import_report_clear(struct import_report *r)
{
	json_decref(r->warnings);
	json_decref(r->errors);
	json_decref(r->mapping);
	free(r->warning);
	memset(r, 0, sizeof *r);
}

/* Where each member field and custom field is in the file. */
struct import_map {
	const struct member_field *fields;
	size_t nfields;
	int *idx;  /* header column of fields[i], or -1 */
	int *rank; /* which of its names matched: 0 the name, 1+ an alias */
	size_t nextra;
	int *extra_col;
	char **extra_field; /* "extra.name" */
};

static void
import_map_free(struct import_map *im)
{
	size_t i;

	for (i = 0; i < im->nextra; i++)
		free(im->extra_field[i]);
	free(im->extra_field);
	free(im->extra_col);
	free(im->idx);
	free(im->rank);
	memset(im, 0, sizeof *im);
}

/*
 * Apply the record's fields to m. A demographic value that cannot be read
 * is a warning (appended to warn, the field left as it was); anything else
 * that cannot be read makes the row bad.
 */
static int
apply_fields(struct member *m, const struct csv_record *rec,
             const struct import_map *im, json_t *warn, char **cause)
{
	char *err = NULL;
	size_t i;
	int col;

	json_array_clear(warn);
	for (i = 0; i < im->nfields + im->nextra; i++) {
		col = i < im->nfields ? im->idx[i]
		                      : im->extra_col[i - im->nfields];
		if (col < 0 || (size_t)col >= rec->nfields)
			continue;
		if ((i < im->nfields
		         ? member_set_index(m, i, rec->fields[col], &err)
		         : member_set(m, im->extra_field[i - im->nfields],
		                      rec->fields[col], &err)) == 0)
			continue;
		if (i < im->nfields && !im->fields[i].demographic) {
			*cause = err;
			return -1;
		}
		json_array_append_new(warn,
		                      json_sprintf("%s; left unknown", err));
		free(err);
		err = NULL;
	}
	return 0;
}

/* Consent given for the whole list, and the practice's postcode choice. */
static void
apply_options(struct member *m, const struct import_opts *o)
{
	int64_t now = time(NULL);

	if (o->consent_email && m->email != NULL && m->consent_email_at == 0) {
		m->consent_email_at = now;
		free(m->consent_email_how);
		m->consent_email_how = xstrdup(o->consent_how);
	}
	if (o->consent_sms && m->mobile != NULL && m->consent_sms_at == 0) {
		m->consent_sms_at = now;
		free(m->consent_sms_how);
		m->consent_sms_how = xstrdup(o->consent_how);
	}
	if (o->postcode_outward)
		member_postcode_outward(m);
}

/* 1 if some channel may carry messages to m. */
static int
import_contactable(const struct member *m)
{
	return (m->email != NULL && m->consent_email_at != 0 &&
	        m->optout_email_at == 0) ||
	       (m->mobile != NULL && m->consent_sms_at != 0 &&
	        m->optout_sms_at == 0);
}

/* Two names the same, ignoring case, accents and punctuation; or either
 * empty. */
static int
import_same_name(const char *a, const char *b)
{
	char *fa, *fb;
	int same;

	if (a == NULL || b == NULL || *a == '\0' || *b == '\0')
		return 1;
	fa = textnorm_words(a);
	fb = textnorm_words(b);
	same = strcmp(fa, fb) == 0;
	free(fa);
	free(fb);
	return same;
}

/*
 * A row matched by email or mobile (not by the practice system's id) that
 * names someone else, or gives another email, is another person sharing a
 * household address or number: say so rather than merge them. NULL if the
 * row agrees with the member. Caller frees.
 */
static char *
import_conflict(const struct member *row, const struct member *have)
{
	const char *what = NULL;

	if (row->external_ref != NULL)
		return NULL;
	if (row->email != NULL && have->email != NULL &&
	    strcmp(row->email, have->email) != 0)
		what = "the email differs";
	else if (!import_same_name(row->first_name, have->first_name))
		what = "the first name differs";
	else if (!import_same_name(row->last_name, have->last_name))
		what = "the last name differs";
	if (what == NULL)
		return NULL;
	return xasprintf("conflicts with member %lld, who has this %s but %s;"
	                 " row not imported (add a shared household number"
	                 " with member add --shared-number)",
	                 (long long)have->id,
	                 row->email != NULL && have->email != NULL &&
	                         strcmp(row->email, have->email) == 0
	                     ? "email"
	                     : "mobile",
	                 what);
}

/*
 * Save a member the file changed. An opt-out the file sets or clears on a
 * member we had goes through the consent module (its audit row, SMS
 * sessions closed), as every other path does.
 */
static int
import_save(struct db *db, struct member *m, const int64_t *had, char **cause)
{
	static const int ch[2] = {CONSENT_EMAIL, CONSENT_SMS};
	int64_t want[2] = {m->optout_email_at, m->optout_sms_at};
	int i, rv = 0;

	if (had != NULL) {
		m->optout_email_at = had[0];
		m->optout_sms_at = had[1];
	}
	if (member_save(db, m, cause) == -1)
		return -1;
	for (i = 0; had != NULL && i < 2 && rv != -1; i++)
		if ((had[i] != 0) != (want[i] != 0))
			rv = want[i] != 0
			         ? member_optout(db, m->id, ch[i], want[i],
			                         NULL, "import")
			         : member_optin(db, m->id, ch[i], time(NULL),
			                        NULL, "import");
	m->optout_email_at = want[0];
	m->optout_sms_at = want[1];
	if (rv == -1)
		*cause =
		    xasprintf("cannot record the opt-out: %s", db_errmsg(db));
	return rv == -1 ? -1 : 0;
}

/*
 * Apply one record onto the member it matches (or a new one). The record is
 * parsed first on its own so matching uses normalised values.
 */
static int
import_row(struct db *db, const struct practice *p,
           const struct csv_record *rec, const struct import_map *im,
           const struct import_opts *o, struct import_report *r, char **cause)
{
	struct member *m, *have;
	json_t *before = NULL, *after, *warn = json_array(), *w;
	int64_t id, had[2] = {0, 0};
	int rc = -1, same;
	size_t i;

	m = member_new(p->id, p->code);
	if (apply_fields(m, rec, im, warn, cause) == -1)
		goto out;
	id = member_match(db, p->id, m->external_ref, m->email, m->mobile);
	if (id != 0) {
		have = member_load(db, id);
		if ((*cause = import_conflict(m, have)) != NULL) {
			member_free(have);
			goto out;
		}
		/* Apply the row onto the stored member, remembering it as
		 * was. */
		member_free(m);
		m = have;
		before = member_to_json(m);
		had[0] = m->optout_email_at;
		had[1] = m->optout_sms_at;
		if (apply_fields(m, rec, im, warn, cause) == -1)
			goto out;
	}
	apply_options(m, o);
	member_defaults(m, o->term_months);
	json_array_foreach(warn, i, w)
	    report_warning(r, rec->line, json_string_value(w));
	if (before != NULL) {
		after = member_to_json(m);
		same = json_equal(before, after);
		json_decref(after);
		if (same) {
			r->unchanged++;
			rc = 0;
			goto out;
		}
	}
	if (import_save(db, m, before != NULL ? had : NULL, cause) == 0) {
		if (before != NULL)
			r->updated++;
		else
			r->added++;
		rc = 0;
	}
out:
	if (rc == 0 && !import_contactable(m))
		r->no_consent++;
	json_decref(warn);
	json_decref(before);
	member_free(m);
	return rc;
}

static void
progress_show(FILE *fp, off_t total, size_t rows)
{
	long pos = ftell(fp);
	int pct = total > 0 && pos >= 0 ? (int)(pos * 100 / total) : 0, i;

	fprintf(stderr, "\r[");
	for (i = 0; i < 40; i++)
		fputc(i < pct * 40 / 100 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %zu rows", pct, rows);
	fflush(stderr);
}

/* A header name as compared: ASCII letters and digits, lower case
 * ("E-mail Address" -> "emailaddress"). Caller frees. */
static char *
header_key(const char *s)
{
	char *k = xmalloc(strlen(s) + 1), *p = k;

	for (; *s != '\0'; s++)
		if (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80)
			*p++ = (char)tolower((unsigned char)*s);
	*p = '\0';
	return k;
}

/* The rank of key among the field's name (0) and aliases (1...), or -1. */
static int
header_rank(const struct member_field *f, const char *key)
{
	char *copy, *tok, *save = NULL, *k;
	int rank = 0, found = -1;

	k = header_key(f->name);
	if (strcmp(k, key) == 0)
		found = 0;
	free(k);
	copy = xstrdup(f->aliases);
	for (tok = strtok_r(copy, ",", &save); found < 0 && tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		rank++;
		k = header_key(tok);
		if (strcmp(k, key) == 0)
			found = rank;
		free(k);
	}
	free(copy);
	return found;
}

static void
list_add(char **list, const char *s)
{
	char *old = *list;

	*list = xasprintf("%s%s%s", old ? old : "", old ? ", " : "", s);
	free(old);
}

/* A custom field column: "extra.NAME" (any case). */
static char *
header_extra(const char *cell)
{
	size_t n = strlen(MEMBER_EXTRA_PREFIX);
	char *f;

	if (strncasecmp(cell, MEMBER_EXTRA_PREFIX, n) != 0)
		return NULL;
	f = util_lower(util_trim(xstrdup(cell)));
	if (member_extra_name_ok(f))
		return f;
	free(f);
	return NULL;
}

/* Map one header cell; -1 with *cause if it duplicates another column. */
static int
header_cell(struct import_map *im, const char *cell, int col, char **cause)
{
	char *key = header_key(cell), *extra;
	size_t i;
	int rank, best = -1, besti = -1, old;

	for (i = 0; i < im->nfields; i++)
		if ((rank = header_rank(&im->fields[i], key)) >= 0 &&
		    (best < 0 || rank < best)) {
			best = rank;
			besti = (int)i;
		}
	free(key);
	if (besti < 0) {
		if ((extra = header_extra(cell)) == NULL)
			return 0;
		im->extra_col = xreallocarray(im->extra_col, im->nextra + 1,
		                              sizeof *im->extra_col);
		im->extra_field = xreallocarray(im->extra_field, im->nextra + 1,
		                                sizeof *im->extra_field);
		im->extra_col[im->nextra] = col;
		im->extra_field[im->nextra++] = extra;
		return 0;
	}
	if ((old = im->idx[besti]) >= 0 && im->rank[besti] == best) {
		*cause = xasprintf("header columns %d and %d are both %s",
		                   old + 1, col + 1, im->fields[besti].name);
		return -1;
	}
	/* Two names for one field: the more specific wins ("Mobile
	 * Telephone" over "Telephone"); the other is ignored. */
	if (old >= 0 && im->rank[besti] < best)
		return 0;
	im->idx[besti] = col;
	im->rank[besti] = best;
	return 0;
}

/* 1 if header column col is used for a field or a custom field. */
static int
header_used(const struct import_map *im, int col)
{
	size_t i;

	for (i = 0; i < im->nfields; i++)
		if (im->idx[i] == col)
			return 1;
	for (i = 0; i < im->nextra; i++)
		if (im->extra_col[i] == col)
			return 1;
	return 0;
}

/* Map a header record; the number of known columns, or -1. The columns
 * not used are listed in *ignored (NULL if none). */
static int
header_map(struct import_map *im, const struct csv_record *rec, char **ignored,
           char **cause)
{
	size_t i;
	int known = 0;

	for (i = 0; i < im->nfields; i++)
		im->idx[i] = im->rank[i] = -1;
	for (i = 0; i < im->nextra; i++)
		free(im->extra_field[i]);
	im->nextra = 0;
	*ignored = NULL;
	for (i = 0; i < rec->nfields; i++)
		if (rec->fields[i][strspn(rec->fields[i], " \t")] != '\0' &&
		    header_cell(im, rec->fields[i], (int)i, cause) == -1)
			return -1;
	for (i = 0; i < rec->nfields; i++)
		if (rec->fields[i][strspn(rec->fields[i], " \t")] != '\0' &&
		    !header_used(im, (int)i))
			list_add(ignored, rec->fields[i]);
	for (i = 0; i < im->nfields; i++)
		known += im->idx[i] >= 0;
	return known + (int)im->nextra;
}

static int
record_blank(const struct csv_record *rec)
{
	size_t i;

	for (i = 0; i < rec->nfields; i++)
		if (rec->fields[i][strspn(rec->fields[i], " \t")] != '\0')
			return 0;
	return 1;
}

/* Which header cell became which field, in column order, for a preview. */
static json_t *
import_mapping(const struct import_map *im, const struct csv_record *rec)
{
	json_t *arr = json_array();
	const char *field;
	size_t col, i;

	for (col = 0; col < rec->nfields; col++) {
		field = NULL;
		for (i = 0; field == NULL && i < im->nfields; i++)
			if (im->idx[i] == (int)col)
				field = im->fields[i].name;
		for (i = 0; field == NULL && i < im->nextra; i++)
			if (im->extra_col[i] == (int)col)
				field = im->extra_field[i];
		json_array_append_new(
		    arr,
		    json_pack("{s:I, s:s, s:o}", "column", (json_int_t)col + 1,
		              "header", rec->fields[col], "field",
		              field ? json_string(field) : json_null()));
	}
	return arr;
}

/*
 * Find the header: the first record with a known column, after title lines
 * and blank lines (report exports have them). If none of the first few
 * records has one, stop before reading thousands of rows.
 */
static int
import_header(struct csv_reader *cr, struct import_map *im,
              struct import_report *r, char **cause)
{
	struct csv_record *rec;
	char *ignored = NULL, *found = NULL;
	size_t seen = 0, i;
	int rc, known;

	while (seen < 10 && (rc = csvr_next(cr, &rec, cause)) == 1) {
		if (rec->error != NULL) {
			r->line = rec->line;
			*cause = xasprintf("header: %s", rec->error);
			free(found);
			return -1;
		}
		if (record_blank(rec))
			continue;
		if (seen++ == 0)
			r->line = rec->line;
		if ((known = header_map(im, rec, &ignored, cause)) == -1) {
			r->line = rec->line;
			free(found);
			return -1;
		}
		if (known > 0) {
			r->mapping = import_mapping(im, rec);
			if (ignored != NULL)
				r->warning =
				    xasprintf("columns ignored: %s", ignored);
			free(ignored);
			free(found);
			r->line = 0;
			return 0;
		}
		free(ignored);
		if (found == NULL || seen == 2)
			for (i = 0; i < rec->nfields; i++)
				if (*rec->fields[i] != '\0' &&
				    (seen == 1 || i < 20))
					list_add(&found, rec->fields[i]);
	}
	if (rc == -1) {
		free(found);
		return -1;
	}
	if (seen == 0)
		*cause = xstrdup("the file is empty (no header row)");
	else
		*cause = xasprintf("no known column in the header (found: %s);"
		                   " the names are in ppgd(8), Members",
		                   found ? found : "");
	free(found);
	return -1;
}

int
member_import(struct db *db, FILE *fp, const char *origin, const char *practice,
              enum import_mode mode, int term_months, int progress,
              struct import_report *r, char **cause)
{
	struct import_opts o = {
	    .mode = mode, .term_months = term_months, .progress = progress};

	return member_import_opts(db, fp, origin, practice, &o, r, cause);
}

int
member_import_opts(struct db *db, FILE *fp, const char *origin,
                   const char *practice, const struct import_opts *o,
                   struct import_report *r, char **cause)
{
	struct import_map im = {0};
	struct csv_reader *cr;
	struct csv_record *rec;
	struct practice *p;
	struct stat st;
	int rc, result = -1, progress = o->progress, sliced = 0;
	double slice;
	char *err;

	memset(r, 0, sizeof *r);
	r->errors = json_array();
	r->warnings = json_array();
	/* Consent given for a list is recorded with how it was collected. */
	if ((o->consent_email || o->consent_sms) &&
	    (o->consent_how == NULL || *o->consent_how == '\0')) {
		*cause = xstrdup("consent for the whole list needs how it was "
		                 "collected");
		return -1;
	}
	if ((p = practice_find(db, practice)) == NULL) {
		*cause = xasprintf("no practice %s", practice);
		return -1;
	}
	im.fields = member_fields(&im.nfields);
	im.idx = xcalloc(im.nfields, sizeof *im.idx);
	im.rank = xcalloc(im.nfields, sizeof *im.rank);
	if (fstat(fileno(fp), &st) == -1 || st.st_size < PROGRESS_MIN_BYTES)
		progress = 0;
	cr = csvr_new(fp, MAX_FIELD);
	if (import_header(cr, &im, r, cause) == -1)
		goto out;
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		goto out;
	}
	slice = util_monotonic();
	while ((rc = csvr_next(cr, &rec, cause)) == 1) {
		if (record_blank(rec))
			continue;
		/*
		 * Keeping the good rows, commit in short slices so the
		 * daemon's webhooks interleave; --strict and --dry-run are
		 * all or nothing, in one transaction.
		 */
		if (o->mode == IMPORT_KEEP_GOOD &&
		    (sliced = db_slice(db, &slice)) == -1) {
			*cause = xasprintf("cannot commit: %s", db_errmsg(db));
			goto failed;
		}
		if (sliced == 1)
			r->written = 1;
		r->rows++;
		if (progress && r->rows % 2000 == 0)
			progress_show(fp, st.st_size, r->rows);
		if (rec->error != NULL) {
			report_error(r, rec->line, rec->error);
			continue;
		}
		for (size_t i = 0; !o->raw && i < rec->nfields; i++)
			csv_unneutralise(rec->fields[i]);
		err = NULL;
		if (import_row(db, p, rec, &im, o, r, &err) == -1) {
			report_error(r, rec->line, err);
			free(err);
		}
	}
	if (progress) {
		progress_show(fp, st.st_size, r->rows);
		fputc('\n', stderr);
	}
	if (rc == -1) {
		db_rollback(db);
		goto failed;
	}
	if (o->mode == IMPORT_DRY_RUN ||
	    (o->mode == IMPORT_STRICT && r->bad > 0))
		db_rollback(db);
	else {
		db_audit(db, NULL, "member.import", origin, NULL);
		if (db_commit(db) == -1) {
			*cause = xasprintf("cannot commit: %s", db_errmsg(db));
			db_rollback(db);
			goto out;
		}
		r->written = 1;
	}
	result = 0;
	goto out;
failed:
	/* Slices committed before the failure stay. */
	if (r->written) {
		err = *cause;
		*cause = xasprintf("%s (rows before line %zu were imported)",
		                   err, r->rows);
		free(err);
	}
out:
	csvr_free(cr);
	import_map_free(&im);
	practice_free(p);
	return result;
}

struct export_state {
	FILE *fp;
	int raw;
	const struct member_field *fields;
	size_t nfields;
	char **vals;
};

static int
export_one(struct member *m, void *arg)
{
	struct export_state *es = arg;
	size_t i;
	int rc;

	for (i = 0; i < es->nfields; i++)
		es->vals[i] = member_get_text(m, es->fields[i].name);
	rc = (es->raw ? csvw_record_raw : csvw_record)(
	    es->fp, (const char *const *)es->vals, es->nfields);
	for (i = 0; i < es->nfields; i++)
		free(es->vals[i]);
	return rc;
}

int
member_export(struct db *db, FILE *fp, const char *practice, int raw,
              char **cause)
{
	struct member_filter f = {.practice = practice};
	struct export_state es = {.fp = fp, .raw = raw};
	const struct member_field *fields;
	json_t *extra = member_extra_names(db, practice), *e;
	struct member_field *all;
	const char **names;
	size_t i, nf;
	int rc;

	/* The member fields, then one column per custom field in use. */
	fields = member_fields(&nf);
	es.nfields = nf + json_array_size(extra);
	all = xcalloc(es.nfields, sizeof *all);
	names = xcalloc(es.nfields, sizeof *names);
	for (i = 0; i < nf; i++)
		all[i] = fields[i];
	json_array_foreach(extra, i, e) all[nf + i].name =
	    xasprintf(MEMBER_EXTRA_PREFIX "%s", json_string_value(e));
	for (i = 0; i < es.nfields; i++)
		names[i] = all[i].name;
	es.fields = all;
	es.vals = xcalloc(es.nfields, sizeof *es.vals);
	rc = csvw_record(fp, names, es.nfields);
	if (rc == 0)
		rc = member_list(db, &f, export_one, &es);
	if (rc == 0 && fflush(fp) != 0)
		rc = -1;
	if (rc != 0)
		*cause = xstrdup("cannot write the export");
	for (i = nf; i < es.nfields; i++)
		free((char *)all[i].name);
	json_decref(extra);
	free(all);
	free(names);
	free(es.vals);
	return rc == 0 ? 0 : -1;
}
