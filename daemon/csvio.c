/* Streaming RFC 4180 CSV reading and writing (libcsv), for member import. */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvio.h"
#include "log.h"
#include "xmalloc.h"

#define CSVR_CHUNK      65536 /* bytes read from the file at a time */
#define CSVR_PIECE      4096  /* most bytes given to libcsv between checks */
#define CSVR_SLACK      1024  /* spaces and a quote libcsv holds, then trims */
#define CSVR_BLK        4096  /* libcsv's field buffer grows by this much */
#define CSVR_MAX_FIELDS 1024  /* more in one record is an error */
#define CSVR_OPTIONS    (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

/*
 * After a bad record the reader skips input without parsing: to the end of
 * the physical line (bad quoting), or to the end of the record, counting
 * quotes as libcsv would (a field that is too long).
 */
enum csvr_skip { CSVR_SKIP_NONE, CSVR_SKIP_LINE, CSVR_SKIP_RECORD };

struct csv_reader {
	FILE *fp;
	size_t max_field;
	struct csv_parser parser;
	unsigned char *buf;
	size_t len, pos;
	int started, eof, finished;
	char *fail;    /* the error that ended reading */
	size_t line;   /* physical line of the next byte */
	int after_cr;  /* an LF now ends no new line */
	int in_record; /* libcsv has begun a record */
	int complete;  /* libcsv has submitted the record */
	int quotes;    /* parity of quotes in the record so far */
	size_t nseen;  /* fields seen in the record, kept or not */
	enum csvr_skip skip;
	struct csv_record rec;
	size_t cap; /* room in rec.fields */
};

static void
csvr_parser_init(struct csv_reader *r)
{
	if (csv_init(&r->parser, CSVR_OPTIONS) != 0)
		fatalx("csv_init failed");
	csv_set_realloc_func(&r->parser, xrealloc);
	csv_set_free_func(&r->parser, free);
	csv_set_blk_size(&r->parser, CSVR_BLK);
}

static void
csvr_parser_reset(struct csv_reader *r)
{
	csv_free(&r->parser);
	csvr_parser_init(r);
}

struct csv_reader *
csvr_new(FILE *fp, size_t max_field)
{
	struct csv_reader *r = xcalloc(1, sizeof *r);

	r->fp = fp;
	r->max_field = max_field;
	r->buf = xmalloc(CSVR_CHUNK);
	r->line = 1;
	csvr_parser_init(r);
	return r;
}

static void
csvr_clear(struct csv_reader *r)
{
	size_t i;

	for (i = 0; i < r->rec.nfields; i++)
		free(r->rec.fields[i]);
	free(r->rec.error);
	r->rec.nfields = 0;
	r->rec.error = NULL;
	r->nseen = 0;
	r->complete = 0;
}

void
csvr_free(struct csv_reader *r)
{
	if (r == NULL)
		return;
	csvr_clear(r);
	free(r->rec.fields);
	csv_free(&r->parser);
	free(r->buf);
	free(r->fail);
	free(r);
}

/* Keep the first error of a record; msg is taken over. */
static void
csvr_set_error(struct csv_reader *r, char *msg)
{
	if (r->rec.error == NULL)
		r->rec.error = msg;
	else
		free(msg);
}

/* Length of the UTF-8 sequence at s (n bytes left), or 0 if it is bad. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t need, k;
	uint32_t cp, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		need = 2, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n <= need)
		return 0;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Why field col (1-based) of len bytes is bad, or NULL. Caller frees. */
static char *
csvr_check_field(struct csv_reader *r, const void *s, size_t len, size_t col)
{
	if (len > r->max_field)
		return xasprintf("field %zu is longer than %zu bytes", col,
		                 r->max_field);
	if (memchr(s, '\0', len) != NULL)
		return xasprintf("field %zu contains a NUL byte", col);
	if (!utf8_valid(s, len))
		return xasprintf("field %zu is not valid UTF-8 (is the file "
		                 "Windows-1252 or Latin-1? save it as UTF-8)",
		                 col);
	return NULL;
}

/* libcsv callback: one field, NUL-terminated by CSV_APPEND_NULL. */
static void
csvr_on_field(void *s, size_t len, void *arg)
{
	struct csv_reader *r = arg;
	struct csv_record *rec = &r->rec;
	char *why, *copy;

	if (++r->nseen > CSVR_MAX_FIELDS) {
		if (r->nseen == CSVR_MAX_FIELDS + 1)
			csvr_set_error(r, xasprintf("more than %d fields",
			                            CSVR_MAX_FIELDS));
		return;
	}
	if ((why = csvr_check_field(r, s, len, r->nseen)) != NULL) {
		csvr_set_error(r, why);
		if (len > r->max_field)
			len = 0;
	}
	if (rec->nfields == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		rec->fields =
		    xreallocarray(rec->fields, r->cap, sizeof(char *));
	}
	copy = xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	rec->fields[rec->nfields++] = copy;
}

/* libcsv callback: the record is complete. */
static void
csvr_on_row(int c, void *arg)
{
	struct csv_reader *r = arg;

	r->complete = 1;
	r->in_record = 0;
}

/* Count physical lines: CR, LF and CRLF each end one. */
static void
csvr_track(struct csv_reader *r, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !r->after_cr)
			r->line++;
		if (p[i] == '\r')
			r->line++;
		r->after_cr = p[i] == '\r';
	}
}

static int
csvr_fill(struct csv_reader *r, char **cause)
{
	size_t n;

	if (r->eof)
		return 0;
	n = fread(r->buf, 1, CSVR_CHUNK, r->fp);
	r->pos = 0;
	r->len = n;
	if (n == 0 && ferror(r->fp)) {
		r->fail = xasprintf("read error: %s", strerror(errno));
		*cause = xstrdup(r->fail);
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	return 0;
}

/* Why the start of the file shows it is not UTF-8, or NULL. */
static const char *
csvr_sniff(const unsigned char *b, size_t n)
{
	if (n >= 4 && ((b[0] == 0xff && b[1] == 0xfe && !b[2] && !b[3]) ||
	               (!b[0] && !b[1] && b[2] == 0xfe && b[3] == 0xff)))
		return "file is UTF-32; save it as UTF-8";
	if (n >= 2 &&
	    ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
		return "file is UTF-16; save it as UTF-8";
	/* UTF-16 without a BOM: ASCII with every other byte zero */
	if (n >= 4 && ((b[0] && !b[1] && b[2] && !b[3]) ||
	               (!b[0] && b[1] && !b[2] && b[3])))
		return "file looks like UTF-16; save it as UTF-8";
	return NULL;
}

static int
csvr_start(struct csv_reader *r, char **cause)
{
	const char *why;

	r->started = 1;
	if (csvr_fill(r, cause) == -1)
		return -1;
	if ((why = csvr_sniff(r->buf, r->len)) != NULL) {
		r->fail = xstrdup(why);
		*cause = xstrdup(why);
		return -1;
	}
	if (r->len >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
	return 0;
}

static int
csvr_is_term(unsigned char c)
{
	return c == '\r' || c == '\n';
}

/* Bytes up to and including the next CR or LF, at most CSVR_PIECE. */
static size_t
csvr_segment(const struct csv_reader *r)
{
	size_t i, end = r->len - r->pos;

	if (end > CSVR_PIECE)
		end = CSVR_PIECE;
	for (i = 0; i < end; i++) {
		if (csvr_is_term(r->buf[r->pos + i]))
			return i + 1;
	}
	return end;
}

/* libcsv skips spaces, tabs, CR and LF between records: find the start. */
static void
csvr_find_start(struct csv_reader *r, const unsigned char *seg, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (seg[i] != ' ' && seg[i] != '\t' && !csvr_is_term(seg[i])) {
			r->in_record = 1;
			r->rec.line = r->line;
			r->quotes = 0;
			return;
		}
	}
}

static void
csvr_count_quotes(struct csv_reader *r, const unsigned char *seg, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		r->quotes ^= seg[i] == '"';
}

/* Start skipping after a bad record, which is complete as it stands. */
static void
csvr_abandon(struct csv_reader *r, enum csvr_skip skip, char *msg)
{
	csvr_set_error(r, msg);
	csvr_parser_reset(r);
	r->skip = skip;
	r->in_record = 0;
	r->complete = 1;
}

/* libcsv stopped at byte off of the segment: a quote out of place. */
static void
csvr_bad_quote(struct csv_reader *r, size_t off)
{
	char *msg;

	csvr_track(r, r->buf + r->pos, off);
	r->pos += off;
	if (r->line == r->rec.line)
		msg = xasprintf("bad quoting: a quote inside an unquoted field "
		                "or after a closing quote; line skipped");
	else
		msg = xasprintf("bad quoting: a quote is missing or out of "
		                "place; lines %zu-%zu skipped",
		                r->rec.line, r->line);
	csvr_abandon(r, CSVR_SKIP_LINE, msg);
}

/* Give libcsv the next segment; it ends at most one record. */
static void
csvr_step(struct csv_reader *r)
{
	const unsigned char *seg = r->buf + r->pos;
	size_t n = csvr_segment(r), done;

	if (!r->in_record)
		csvr_find_start(r, seg, n);
	done = csv_parse(&r->parser, seg, n, csvr_on_field, csvr_on_row, r);
	if (done < n) {
		csvr_bad_quote(r, done);
		return;
	}
	csvr_count_quotes(r, seg, n);
	csvr_track(r, seg, n);
	r->pos += n;
	/* libcsv would grow its field buffer without bound: stop it here */
	if (r->in_record && r->parser.entry_pos > r->max_field + CSVR_SLACK)
		csvr_abandon(r, CSVR_SKIP_RECORD,
		             xasprintf("field %zu is longer than %zu bytes; "
		                       "record skipped",
		                       r->nseen + 1, r->max_field));
}

/* Skip input as r->skip says; stops at the end of the buffer or the skip. */
static void
csvr_skip(struct csv_reader *r)
{
	unsigned char c;

	while (r->pos < r->len) {
		c = r->buf[r->pos++];
		csvr_track(r, &c, 1);
		if (c == '"')
			r->quotes ^= 1;
		if (csvr_is_term(c) &&
		    (r->skip == CSVR_SKIP_LINE || r->quotes == 0)) {
			r->skip = CSVR_SKIP_NONE;
			return;
		}
	}
}

/* End of file: libcsv may hold a last record without a line end. */
static int
csvr_finish(struct csv_reader *r, struct csv_record **rec)
{
	if (r->finished)
		return 0;
	r->finished = 1;
	if (r->skip != CSVR_SKIP_NONE)
		return 0;
	if (csv_fini(&r->parser, csvr_on_field, csvr_on_row, r) != 0) {
		csvr_set_error(r, xasprintf("unterminated quoted field; "
		                            "skipped to the end of the file"));
		r->complete = 1;
	}
	if (!r->complete)
		return 0;
	*rec = &r->rec;
	return 1;
}

int
csvr_next(struct csv_reader *r, struct csv_record **rec, char **cause)
{
	csvr_clear(r);
	if (r->fail != NULL) {
		*cause = xstrdup(r->fail);
		return -1;
	}
	if (!r->started && csvr_start(r, cause) == -1)
		return -1;
	for (;;) {
		if (r->pos == r->len && csvr_fill(r, cause) == -1)
			return -1;
		if (r->pos == r->len)
			return csvr_finish(r, rec);
		if (r->skip != CSVR_SKIP_NONE)
			csvr_skip(r);
		else
			csvr_step(r);
		if (r->complete) {
			*rec = &r->rec;
			return 1;
		}
	}
}

static int
csvw_needs_quotes(const char *s)
{
	size_t len = strlen(s);

	if (len == 0)
		return 0;
	if (strpbrk(s, ",\"\r\n") != NULL)
		return 1;
	/* the reader, like libcsv, drops spaces around unquoted fields */
	return s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	       s[len - 1] == '\t';
}

/* A plain number such as -5, 2.5 or +447700900123: no formula. */
static int
csv_is_number(const char *s)
{
	int digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (*s == '.' && digits > 0)
		for (s++; isdigit((unsigned char)*s); s++)
			;
	return digits > 0 && *s == '\0';
}

int
csv_is_formula(const char *s)
{
	return *s != '\0' && strchr("=+-@\t\r", *s) != NULL &&
	       !csv_is_number(s);
}

/*
 * A cell that gets a leading ': a formula, or a formula behind quotes
 * ("'=x" is written "''=x"), so that reading back is exact.
 */
static int
csv_needs_guard(const char *s)
{
	while (*s == '\'')
		s++;
	return csv_is_formula(s);
}

char *
csv_unneutralise(char *s)
{
	if (s[0] == '\'' && csv_needs_guard(s + 1))
		memmove(s, s + 1, strlen(s));
	return s;
}

static int
csvw_field(FILE *fp, const char *s, size_t n)
{
	/* a lone empty field unquoted would read back as a blank line */
	if (csvw_needs_quotes(s) || (n == 1 && *s == '\0'))
		return csv_fwrite(fp, s, strlen(s)) == 0 ? 0 : -1;
	return fputs(s, fp) == EOF ? -1 : 0;
}

static int
csvw_write(FILE *fp, const char *const *fields, size_t n, int raw)
{
	const char *s;
	char *safe;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		s = fields[i] != NULL ? fields[i] : "";
		if (i > 0 && fputc(',', fp) == EOF)
			return -1;
		if (!raw && csv_needs_guard(s)) {
			safe = xasprintf("'%s", s);
			rc = csvw_field(fp, safe, n);
			free(safe);
		} else
			rc = csvw_field(fp, s, n);
	}
	if (rc == 0 && fputs("\r\n", fp) == EOF)
		rc = -1;
	return rc;
}

int
csvw_record(FILE *fp, const char *const *fields, size_t n)
{
	return csvw_write(fp, fields, n, 0);
}

int
csvw_record_raw(FILE *fp, const char *const *fields, size_t n)
{
	return csvw_write(fp, fields, n, 1);
}

/* s without surrounding spaces and tabs: *len bytes from the result. */
static const char *
csv_trim(const char *s, size_t n, size_t *len)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*len = n;
	return s;
}

static int
csv_name_is(const char *a, size_t alen, const char *b, size_t blen)
{
	b = csv_trim(b, blen, &blen);
	return alen == blen && alen > 0 && strncasecmp(a, b, alen) == 0;
}

/* Does a header cell (already trimmed) name col, or one of its aliases? */
static int
csv_column_is(const char *cell, size_t len, const struct csv_column *col)
{
	const char *a, *comma;

	if (csv_name_is(cell, len, col->name, strlen(col->name)))
		return 1;
	for (a = col->aliases; a != NULL; a = comma ? comma + 1 : NULL) {
		comma = strchr(a, ',');
		if (csv_name_is(cell, len, a,
		                comma ? (size_t)(comma - a) : strlen(a)))
			return 1;
	}
	return 0;
}

static int
csv_find_column(const char *cell, const struct csv_column *cols, size_t ncols)
{
	size_t i, len;

	cell = csv_trim(cell, strlen(cell), &len);
	for (i = 0; i < ncols; i++) {
		if (csv_column_is(cell, len, &cols[i]))
			return (int)i;
	}
	return -1;
}

/* Append a header cell to the comma-separated list *list. */
static void
csv_list_add(char **list, const char *cell)
{
	char *old = *list;

	*list = old == NULL ? xstrdup(cell) : xasprintf("%s, %s", old, cell);
	free(old);
}

static int
csv_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

int
csv_map_header(const struct csv_record *header, const struct csv_column *cols,
               size_t ncols, int *index_out, char **unknown, char **cause)
{
	char *list = NULL;
	size_t i, j;
	int k;

	if (header->error != NULL) {
		*cause = xasprintf("header: %s", header->error);
		return -1;
	}
	for (i = 0; i < ncols; i++)
		index_out[i] = -1;
	for (j = 0; j < header->nfields; j++) {
		if (csv_blank(header->fields[j]))
			continue;
		if ((k = csv_find_column(header->fields[j], cols, ncols)) < 0) {
			csv_list_add(&list, header->fields[j]);
		} else if (index_out[k] != -1) {
			*cause =
			    xasprintf("header columns %d and %zu are both "
			              "%s",
			              index_out[k] + 1, j + 1, cols[k].name);
			free(list);
			return -1;
		} else {
			index_out[k] = (int)j;
		}
	}
	if (unknown != NULL)
		*unknown = list;
	else
		free(list);
	return 0;
}
