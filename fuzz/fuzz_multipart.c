/* clang-format off */
/*
 * Fuzz multipart_parse. The input is "CONTENT-TYPE\nBODY": the body is
 * copied to a block of exactly its length (ASan sees any read past len).
 * It must accept or refuse cleanly; what it accepts must hold at most
 * MAX_FIELDS valid-UTF-8 text fields of at most MAX_VALUE bytes, and must
 * parse to the same fields again when re-encoded with the same boundary.
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

static const struct multipart_limits lim = {MAX_FIELDS, MAX_VALUE};

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
		form_free(f);
	}
	free(body);
	free(ct);
	return 0;
}
