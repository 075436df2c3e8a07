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
	int written;    /* 1 if the changes were committed */
	json_t *errors; /* [{"line": N, "error": "..."}], capped */
	char *warning;  /* e.g. unknown columns ignored */
};

/* member_import flags. */
#define IMPORT_PROGRESS 0x1 /* a progress bar on stderr */
#define IMPORT_RAW 0x2      /* cells as they are: keep a leading ' */

/* Import fp (named origin) into a practice. Unless IMPORT_RAW, a cell that
 * member_export guarded against spreadsheet formulas ("'=x") reads back as
 * it was ("=x"). -1 only if the file could not be read at all (*cause). */
int member_import(struct db *, FILE *fp, const char *origin,
                  const char *practice, enum import_mode, int term_months,
                  int flags, struct import_report *, char **cause);
void import_report_clear(struct import_report *);
/* Export a practice's members (all practices if NULL) as CSV; cells that
 * look like formulas get a leading ' unless raw. */
int member_export(struct db *, FILE *fp, const char *practice, int raw,
                  char **cause);

#endif
