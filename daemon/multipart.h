/* multipart/form-data bodies (RFC 7578): strict parsing into a struct form. */
#ifndef PPGD_MULTIPART_H
#define PPGD_MULTIPART_H

#include <stddef.h>

struct form;

/* Limits on one body. */
struct multipart_limits {
	size_t max_fields; /* text fields kept; one more is an error */
	size_t max_value;  /* bytes in one text field's value */
	size_t max_files;  /* file parts kept; 0: none kept, only counted */
	size_t max_file;   /* bytes in one kept file */
	size_t max_total;  /* bytes in all kept files together */
};

/* One uploaded file. Nothing in it is trusted: the name is checked with
 * multipart_filename_ok before use, the type only ever shown. */
struct multipart_file {
	char *field;    /* the form field's name */
	char *filename; /* as the client sent it ("" when none) */
	char *type;     /* the claimed Content-Type, or NULL */
	char *data;     /* len bytes, then a NUL not counted */
	size_t len;
};

/* A parsed body: its text fields and its files. */
struct multipart_upload {
	struct form *form;
	struct multipart_file *files;
	size_t nfiles;
	size_t dropped; /* file parts seen but not kept (max_files 0) */
	int too_large;  /* after a failure: a size limit was passed */
};

/* 1 if content_type is multipart/form-data (any parameters), else 0. */
int multipart_is_form_data(const char *content_type);
/*
 * The boundary parameter of a multipart/form-data content_type, quoted or
 * not: 1-70 characters of RFC 2046 bchars, not ending in a space. -1 with
 * *cause if the type is another or the boundary is missing, repeated or
 * invalid. Caller frees *out and *cause.
 */
int multipart_boundary(const char *content_type, char **out, char **cause);
/*
 * Parse body (len bytes; any bytes, never read past len) of content_type.
 * Text parts become (name, value) pairs of *out in order, with the rules of
 * form_parse: no NUL, valid UTF-8, at most max_fields. File parts (those
 * with a filename parameter) are not kept: *files counts them (limits
 * max_files and beyond are ignored). CRLF line
 * ends, a preamble before the first delimiter and an epilogue after the
 * closing one are allowed. -1 with *cause (caller frees) on a missing
 * boundary, no closing delimiter, a bad part header (no name, no colon,
 * folded), a part without Content-Disposition: form-data; name=, a text
 * value over max_value or encoded other than 7bit/8bit/binary.
 */
int multipart_parse(const char *content_type, const char *body, size_t len,
                    const struct multipart_limits *limits, struct form **out,
                    size_t *files, char **cause);

/*
 * multipart_parse keeping files: parts with a filename parameter become
 * out->files (in order) up to lim->max_files, each at most lim->max_file
 * bytes and all together at most lim->max_total; a file input left empty
 * (filename "" and no bytes) is skipped. With max_files 0 files are only
 * counted (out->dropped). -1 with *cause (caller frees) as for
 * multipart_parse; out->too_large says a size limit was the reason.
 * Caller clears out with multipart_upload_clear, also after a failure.
 */
int multipart_read(const char *content_type, const char *body, size_t len,
                   const struct multipart_limits *limits,
                   struct multipart_upload *out, char **cause);
/* Free what out holds and zero it. */
void multipart_upload_clear(struct multipart_upload *out);
/* The first file of field, or NULL. */
const struct multipart_file *multipart_file(const struct multipart_upload *,
                                            const char *field);
/*
 * 1 if name may be used as a stored file's name: 1-255 bytes of UTF-8, no
 * control character (CR, LF, NUL...), no '/' or '\\', not "." or "..".
 */
int multipart_filename_ok(const char *name);

#endif
