/* multipart/form-data bodies (RFC 7578): strict parsing into a struct form. */
#ifndef PPGD_MULTIPART_H
#define PPGD_MULTIPART_H

#include <stddef.h>

struct form;

/* Limits on one body. */
struct multipart_limits {
	size_t max_fields; /* text fields kept; one more is an error */
	size_t max_value;  /* bytes in one text field's value */
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
 * with a filename parameter) are not kept: *files counts them. CRLF line
 * ends, a preamble before the first delimiter and an epilogue after the
 * closing one are allowed. -1 with *cause (caller frees) on a missing
 * boundary, no closing delimiter, a bad part header (no name, no colon,
 * folded), a part without Content-Disposition: form-data; name=, a text
 * value over max_value or encoded other than 7bit/8bit/binary.
 */
int multipart_parse(const char *content_type, const char *body, size_t len,
                    const struct multipart_limits *limits, struct form **out,
                    size_t *files, char **cause);

#endif
