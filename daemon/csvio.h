/* Streaming RFC 4180 CSV reading and writing (libcsv), for member import. */
#ifndef PPGD_CSVIO_H
#define PPGD_CSVIO_H

#include <stddef.h>
#include <stdio.h>

struct csv_reader;

/*
 * One record. line is the physical line (1-based) where it starts. error is
 * NULL for a good record; otherwise it says what is wrong with this record
 * (a field too long, a NUL byte, invalid UTF-8, bad quoting), fields must
 * not be trusted, and reading goes on with the next record.
 */
struct csv_record {
	size_t line;
	size_t nfields;
	char **fields;
	char *error;
};

/* Maps a header to canonical columns: name plus comma-separated aliases. */
struct csv_column {
	const char *name;
	const char *aliases;
};

/*
 * Open a reader on fp; it reads in chunks and holds one record at a time. A
 * UTF-8 BOM is skipped. A field longer than max_field bytes makes its record
 * an error; the reader stops accumulating it. Caller frees with csvr_free.
 */
struct csv_reader *csvr_new(FILE *fp, size_t max_field);
/* Free the reader and its current record; fp is left open. */
void csvr_free(struct csv_reader *);
/*
 * Read the next record: 1 with *rec (owned by the reader until the next
 * call), 0 at end of file, -1 on an error that ends reading (a read error,
 * a UTF-16 file) with *cause set. Blank lines are skipped; spaces and tabs
 * around unquoted fields and around quotes are dropped (libcsv). After bad
 * quoting, the rest of that physical line is skipped; after a field that is
 * too long, the rest of that record; an unterminated quote runs to EOF.
 * A record of more than 1024 fields is bad too (its extra fields dropped).
 */
int csvr_next(struct csv_reader *, struct csv_record **rec, char **cause);

/*
 * Write one RFC 4180 record ending in CRLF, quoting a field that holds a
 * comma, quote, CR or LF or starts or ends with a space or tab (and a lone
 * empty field, as ""). A NULL field is written empty. A field a spreadsheet
 * would run as a formula (one starting with = + - @ TAB or CR, unless it is
 * a plain number) is written with a leading ' (OWASP "CSV injection"), and
 * so is one that would read back as such a cell ("'=x" as "''=x").
 * Returns 0, or -1 on a write error.
 */
int csvw_record(FILE *fp, const char *const *fields, size_t n);
/* csvw_record without the formula guard: exact round trips (--raw). */
int csvw_record_raw(FILE *fp, const char *const *fields, size_t n);
/* 1 if a spreadsheet would read s as a formula (see csvw_record). */
int csv_is_formula(const char *s);
/* Undo csvw_record's guard in place: "'=x" becomes "=x", "''=x" "'=x".
 * Returns s. */
char *csv_unneutralise(char *s);

/*
 * Map a header record to cols: index_out[i] is the header column of cols[i]
 * or -1. Names match case-insensitively, surrounding spaces ignored. Header
 * columns that match nothing are listed in *unknown ("a, b"; NULL if none;
 * caller frees), which is not an error; blank header cells are ignored.
 * index_out holds ncols ints. Returns -1 with *cause when two
 * header columns map to the same column or the header record is bad.
 */
int csv_map_header(const struct csv_record *header,
                   const struct csv_column *cols, size_t ncols, int *index_out,
                   char **unknown, char **cause);

#endif
