/* clang-format off */
/*
 * Fuzz multipart_parse. The input is "CONTENT-TYPE\nBODY": the body is
 * copied to a block of exactly its length (ASan sees any read past len).
 * It must accept or refuse cleanly; what it accepts must hold at most
 * MAX_FIELDS valid-UTF-8 text fields of at most MAX_VALUE bytes, and must
 * parse to the same fields again when re-encoded with the same boundary.
 * multipart_read, keeping files, must hold to its limits (count, size of
 * one, size of all), NUL-terminate each file's bytes, keep every text
 * field multipart_parse keeps, and read each file back byte for byte when
 * it is re-encoded.
 * FUZZ_SOURCES: daemon/multipart.c daemon/form.c daemon/util.c daemon/xmalloc.c daemon/log.c
 * FUZZ_PKGS:
 */
/* clang-format on */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "multipart.h"
#include "util.h"

#define MAX_FIELDS 16
#define MAX_VALUE  512

#define MAX_FILES 3
#define MAX_FILE  256
#define MAX_TOTAL 512

static const struct multipart_limits lim = {MAX_FIELDS, MAX_VALUE, 0, 0, 0};
static const struct multipart_limits keep = {MAX_FIELDS, MAX_VALUE, MAX_FILES,
                                             MAX_FILE, MAX_TOTAL};

static void
check_fields(const struct form *f)
{
	size_t i;
	const char *v;

	if (form_count(f) > MAX_FIELDS)
		abort();
	for (i = 0; i < form_count(f); i++) {
		v = form_value(f, i);
		if (strlen(v) > MAX_VALUE || !util_utf8_valid(v, strlen(v)) ||
		    !util_utf8_valid(form_key(f, i), strlen(form_key(f, i))))
			abort();
	}
}

/* Append s (n bytes) to buf at *o; the buffer is sized by the caller. */
static void
put(char *buf, size_t *o, const char *s, size_t n)
{
	memcpy(buf + *o, s, n);
	*o += n;
}

/* How many times d occurs in the n bytes at s. */
static size_t
occurrences(const char *s, size_t n, const char *d, size_t dlen)
{
	const char *p = s, *end = s + n, *q;
	size_t k = 0;

	while ((q = memmem(p, (size_t)(end - p), d, dlen)) != NULL) {
		k++;
		p = q + 1;
	}
	return k;
}

/*
 * Re-encode the text fields under a fixed boundary and parse again. Names
 * with '"' or '\\' would need escaping, and a value may hold the delimiter
 * (alone or with the CRLF before it): such forms are skipped.
 */
static void
check_round_trip(const struct form *f)
{
	static const char ct[] = "multipart/form-data; boundary=\"=_fz 7\"";
	static const char d[] = "\r\n--=_fz 7";
	size_t i, n = 64, o = 0, files = 9;
	struct form *g = NULL;
	char *buf, *cause = NULL;

	for (i = 0; i < form_count(f); i++) {
		if (strpbrk(form_key(f, i), "\"\\") != NULL)
			return;
		n += strlen(form_key(f, i)) + strlen(form_value(f, i)) + 128;
	}
	buf = malloc(n);
	put(buf, &o, d + 2, sizeof d - 3);
	for (i = 0; i < form_count(f); i++) {
		o += (size_t)snprintf(buf + o, n - o,
		                      "\r\nContent-Disposition: form-data; "
		                      "name=\"%s\"\r\n\r\n",
		                      form_key(f, i));
		put(buf, &o, form_value(f, i), strlen(form_value(f, i)));
		put(buf, &o, d, sizeof d - 1);
	}
	put(buf, &o, "--", 2);
	if (occurrences(buf, o, d, sizeof d - 1) != form_count(f)) {
		free(buf);
		return;
	}
	if (multipart_parse(ct, buf, o, &lim, &g, &files, &cause) != 0 ||
	    files != 0 || form_count(g) != form_count(f))
		abort();
	for (i = 0; i < form_count(f); i++)
		if (strcmp(form_key(f, i), form_key(g, i)) != 0 ||
		    strcmp(form_value(f, i), form_value(g, i)) != 0)
			abort();
	form_free(g);
	free(buf);
}

/* Re-encode one file alone and read it back: the same bytes. */
static void
check_file_round_trip(const struct multipart_file *f)
{
	static const char ct[] = "multipart/form-data; boundary=\"=_fz 7\"";
	static const char d[] = "\r\n--=_fz 7";
	struct multipart_upload up;
	size_t n = f->len + strlen(f->field) + 256, o = 0;
	char *buf, *cause = NULL;

	if (memmem(f->data, f->len, d + 2, sizeof d - 3) != NULL ||
	    strpbrk(f->field, "\"\\") != NULL)
		return;
	buf = malloc(n);
	put(buf, &o, d + 2, sizeof d - 3);
	o += (size_t)snprintf(buf + o, n - o,
	                      "\r\nContent-Disposition: form-data; "
	                      "name=\"%s\"; filename=\"x\"\r\n\r\n",
	                      f->field);
	put(buf, &o, f->data, f->len);
	put(buf, &o, d, sizeof d - 1);
	put(buf, &o, "--", 2);
	if (multipart_read(ct, buf, o, &keep, &up, &cause) != 0 ||
	    up.nfiles != 1 || up.files[0].len != f->len ||
	    memcmp(up.files[0].data, f->data, f->len) != 0)
		abort();
	multipart_upload_clear(&up);
	free(buf);
}

/* multipart_read of the same body: the limits hold, the text agrees. */
static void
check_files(const char *ct, const char *body, size_t len, const struct form *f)
{
	struct multipart_upload up;
	size_t i, total = 0;
	char *cause = NULL;

	if (multipart_read(ct, body, len, &keep, &up, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		multipart_upload_clear(&up);
		return;
	}
	if (f == NULL || up.nfiles > MAX_FILES || up.dropped != 0 ||
	    form_count(up.form) != form_count(f))
		abort();
	for (i = 0; i < up.nfiles; i++) {
		if (up.files[i].len > MAX_FILE || up.files[i].data == NULL ||
		    up.files[i].data[up.files[i].len] != '\0' ||
		    up.files[i].filename == NULL)
			abort();
		total += up.files[i].len;
		check_file_round_trip(&up.files[i]);
	}
	if (total > MAX_TOTAL)
		abort();
	multipart_upload_clear(&up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct form *f = NULL;
	size_t len, files = 99;
	char *ct, *body, *cause = NULL;

	if (nl == NULL)
		return 0;
	ct = strndup((const char *)data, (size_t)(nl - data));
	len = size - (size_t)(nl - data) - 1;
	body = malloc(len > 0 ? len : 1);
	memcpy(body, nl + 1, len);
	if (multipart_parse(ct, body, len, &lim, &f, &files, &cause) != 0) {
		if (cause == NULL || f != NULL)
			abort();
		free(cause);
	} else {
		if (cause != NULL || files > len)
			abort();
		check_fields(f);
		check_round_trip(f);
		check_files(ct, body, len, f);
		form_free(f);
	}
	free(body);
	free(ct);
	return 0;
}
