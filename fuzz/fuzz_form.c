/*
 * Fuzz form_parse: it must accept or reject without memory errors, and what
 * it accepts must survive form_encode -> form_parse unchanged.
 * FUZZ_SOURCES: daemon/form.c daemon/xmalloc.c daemon/log.c
 * FUZZ_PKGS:
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

#define MAX_FIELDS 32

static void
check_same(const struct form *f, const struct form *g)
{
	size_t i;

	if (form_count(f) != form_count(g))
		abort();
	for (i = 0; i < form_count(f); i++)
		if (strcmp(form_key(f, i), form_key(g, i)) != 0 ||
		    strcmp(form_value(f, i), form_value(g, i)) != 0)
			abort();
}

static void
check_round_trip(const struct form *f)
{
	struct form *g = NULL;
	char *enc, *enc2, *cause = NULL;

	enc = form_encode(f);
	if (form_parse(enc, strlen(enc), MAX_FIELDS, &g, &cause) != 0)
		abort();
	check_same(f, g);
	/* Encoding is canonical: a second trip gives the same bytes. */
	enc2 = form_encode(g);
	if (strcmp(enc, enc2) != 0)
		abort();
	free(enc);
	free(enc2);
	form_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form *f = NULL;
	char *cause = NULL;

	if (form_parse((const char *)data, size, MAX_FIELDS, &f, &cause) != 0) {
		if (cause == NULL || f != NULL)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL || form_count(f) > MAX_FIELDS)
		abort();
	if (form_count(f) > 0 &&
	    form_get(f, form_key(f, 0)) != form_value(f, 0))
		abort();
	check_round_trip(f);
	form_free(f);
	return 0;
}
