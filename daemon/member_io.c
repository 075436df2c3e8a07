/* Member import from CSV (streaming, one transaction) and export. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvio.h"
#include "log.h"
#include "member.h"
#include "member_io.h"
#include "practice.h"
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

void
import_report_clear(struct import_report *r)
{
	json_decref(r->errors);
	free(r->warning);
	memset(r, 0, sizeof *r);
}

static int
apply_fields(struct member *m, const struct csv_record *rec, const int *idx,
             const struct member_field *fields, size_t nfields, char **cause)
{
	size_t i;

	for (i = 0; i < nfields; i++) {
		if (idx[i] < 0 || (size_t)idx[i] >= rec->nfields)
			continue;
		if (member_set_index(m, i, rec->fields[idx[i]], cause) == -1)
			return -1;
	}
	return 0;
}

/*
 * Apply one record onto the member it matches (or a new one). The record is
 * parsed first on its own so matching uses normalised values.
 */
static int
import_row(struct db *db, const struct practice *p,
           const struct csv_record *rec, const int *idx, size_t nfields,
           const struct member_field *fields, int term_months,
           struct import_report *r, char **cause)
{
	struct member *m;
	json_t *before = NULL, *after;
	int64_t id;
	int rc = -1, same;

	m = member_new(p->id, p->code);
	if (apply_fields(m, rec, idx, fields, nfields, cause) == -1)
		goto out;
	id = member_match(db, p->id, m->external_ref, m->email, m->mobile);
	if (id != 0) {
		/* Apply the row onto the stored member, remembering it as was.
		 */
		member_free(m);
		m = member_load(db, id);
		before = member_to_json(m);
		if (apply_fields(m, rec, idx, fields, nfields, cause) == -1)
			goto out;
	}
	member_defaults(m, term_months);
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
	if (member_save(db, m, cause) == 0) {
		if (before != NULL)
			r->updated++;
		else
			r->added++;
		rc = 0;
	}
out:
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

static int
import_header(struct csv_reader *cr, const struct csv_column *cols,
              size_t ncols, int *idx, struct import_report *r, char **cause)
{
	struct csv_record *rec;
	char *unknown = NULL;
	int rc;

	rc = csvr_next(cr, &rec, cause);
	if (rc <= 0) {
		if (rc == 0)
			*cause = xstrdup("the file is empty (no header row)");
		return -1;
	}
	if (rec->error != NULL) {
		*cause =
		    xasprintf("line %zu: header: %s", rec->line, rec->error);
		return -1;
	}
	if (csv_map_header(rec, cols, ncols, idx, &unknown, cause) == -1)
		return -1;
	if (unknown != NULL && *unknown != '\0')
		r->warning = xasprintf("columns ignored: %s", unknown);
	free(unknown);
	return 0;
}

int
member_import(struct db *db, FILE *fp, const char *origin, const char *practice,
              enum import_mode mode, int term_months, int flags,
              struct import_report *r, char **cause)
{
	const struct member_field *fields;
	struct csv_column *cols;
	struct csv_reader *cr;
	struct csv_record *rec;
	struct practice *p;
	struct stat st;
	size_t nfields, i;
	int *idx, rc, result = -1, progress, sliced = 0;
	double slice;
	char *err;

	memset(r, 0, sizeof *r);
	r->errors = json_array();
	if ((p = practice_find(db, practice)) == NULL) {
		*cause = xasprintf("no practice %s", practice);
		return -1;
	}
	fields = member_fields(&nfields);
	cols = xcalloc(nfields, sizeof *cols);
	idx = xcalloc(nfields, sizeof *idx);
	for (i = 0; i < nfields; i++) {
		cols[i].name = fields[i].name;
		cols[i].aliases = fields[i].aliases;
	}
	progress = (flags & IMPORT_PROGRESS) != 0;
	if (fstat(fileno(fp), &st) == -1 || st.st_size < PROGRESS_MIN_BYTES)
		progress = 0;
	cr = csvr_new(fp, MAX_FIELD);
	if (import_header(cr, cols, nfields, idx, r, cause) == -1)
		goto out;
	if (db_begin(db) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(db));
		goto out;
	}
	slice = util_monotonic();
	while ((rc = csvr_next(cr, &rec, cause)) == 1) {
		/*
		 * Keeping the good rows, commit in short slices so the
		 * daemon's webhooks interleave; --strict and --dry-run are
		 * all or nothing, in one transaction.
		 */
		if (mode == IMPORT_KEEP_GOOD &&
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
		for (i = 0; !(flags & IMPORT_RAW) && i < rec->nfields; i++)
			csv_unneutralise(rec->fields[i]);
		err = NULL;
		if (import_row(db, p, rec, idx, nfields, fields, term_months, r,
		               &err) == -1) {
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
	if (mode == IMPORT_DRY_RUN || (mode == IMPORT_STRICT && r->bad > 0))
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
	free(cols);
	free(idx);
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
	const char **names;
	size_t i;
	int rc;

	es.fields = member_fields(&es.nfields);
	names = xcalloc(es.nfields, sizeof *names);
	for (i = 0; i < es.nfields; i++)
		names[i] = es.fields[i].name;
	es.vals = xcalloc(es.nfields, sizeof *es.vals);
	rc = csvw_record(fp, names, es.nfields);
	if (rc == 0)
		rc = member_list(db, &f, export_one, &es);
	if (rc == 0 && fflush(fp) != 0)
		rc = -1;
	if (rc != 0)
		*cause = xstrdup("cannot write the export");
	free(names);
	free(es.vals);
	return rc == 0 ? 0 : -1;
}
