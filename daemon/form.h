/* application/x-www-form-urlencoded bodies: strict parsing and encoding. */
#ifndef PPGD_FORM_H
#define PPGD_FORM_H

#include <stddef.h>

#include "buf.h"

/* An ordered list of (key, value) pairs; duplicate keys are kept. */
struct form;

/*
 * Parse a body of len bytes. '+' means space; empty fields ("a&&b") are
 * skipped. -1 with *cause (caller frees) on a bad %-escape, %00 or a raw NUL,
 * invalid UTF-8 after decoding, or more than max_fields fields.
 */
int form_parse(const char *body, size_t len, size_t max_fields,
               struct form **out, char **cause);
/* An empty form. */
struct form *form_new(void);
/* Append a copy of (k, v). */
void form_add(struct form *, const char *k, const char *v);
void form_free(struct form *);
/* The first value for key, or NULL. */
const char *form_get(const struct form *, const char *key);
size_t form_count(const struct form *);
/* The key of pair i, or NULL when i is out of range. */
const char *form_key(const struct form *, size_t i);
/* The value of pair i, or NULL when i is out of range. */
const char *form_value(const struct form *, size_t i);
/* Encode as x-www-form-urlencoded, pairs in order. Caller frees. */
char *form_encode(const struct form *);
/* Append the pair (k, v) to b encoded as form_encode does, with '&' before
 * it unless b is empty: a body built without a struct form. */
void form_append(struct buf *b, const char *k, const char *v);

#endif
