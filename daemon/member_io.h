/* Member import from CSV and export to CSV. */
#ifndef PPGD_MEMBER_IO_H
#define PPGD_MEMBER_IO_H

#include <stdio.h>
#include <jansson.h>

#include "db.h"

enum import_mode {
	IMPORT_KEEP_GOOD, /* write good rows, report bad ones */
	IMPORT_STRICT,    /* any bad row refuses the whole file */
	IMPORT_DRY_RUN,   /* report only, write nothing */
};

struct import_report {
	size_t rows;
	size_t added;
	size_t updated;
	size_t unchanged;
	size_t bad;
	size_t warned;     /* warnings, one per unreadable value */
	size_t no_consent; /* members of the file no channel may contact */
	size_t line;       /* with -1: the line the file fails at, or 0 */
	int written;       /* 1 if the changes were committed */
	json_t *errors;    /* [{"line": N, "error": "..."}], capped */
	json_t *warnings;  /* [{"line": N, "warning": "..."}], capped */
	char *warning;     /* e.g. unknown columns ignored */
	json_t *mapping; /* [{"column": N, "header": "...", "field": "..."}] */
};

struct import_opts {
	enum import_mode mode;
	int term_months;
	int progress;            /* a progress bar on stderr for big files */
	int consent_email;       /* record email consent on every row */
	int consent_sms;         /* record SMS consent on every row */
	const char *consent_how; /* how that consent was given */
	int postcode_outward;    /* keep only the outward code */
	int raw;                 /* cells as they are: keep a leading ' */
};

/*
 * Import fp (named origin) into a practice. The header is found after any
 * title lines; its names match the member fields and their aliases (EMIS
 * Web, SystmOne, Vision report headers) ignoring case, spaces and
 * punctuation; "extra.NAME" columns are custom fields. A value a
 * demographic field cannot read is a warning and leaves it unknown; bad
 * contact details make the row bad; a row that names someone else than
 * the member its email or mobile matches is a conflict (bad, nothing
 * changed). -1 only if the file could not be read at all (*cause, and
 * r->line if a line is to blame).
 */
int member_import_opts(struct db *, FILE *fp, const char *origin,
                       const char *practice, const struct import_opts *,
                       struct import_report *, char **cause);
/* member_import_opts with no consent recorded and full postcodes. */
int member_import(struct db *, FILE *fp, const char *origin,
                  const char *practice, enum import_mode, int term_months,
                  int progress, struct import_report *, char **cause);
void import_report_clear(struct import_report *);
/* Export a practice's members (all practices if NULL) as CSV; cells that
 * look like spreadsheet formulas get a leading ' unless raw (and import,
 * unless raw, reads "'=x" back as "=x"). */
int member_export(struct db *, FILE *fp, const char *practice, int raw,
                  char **cause);

#endif
