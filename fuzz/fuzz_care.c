/*
 * Fuzz the care phrase matcher. An input starting with '[' is a phrase file:
 * it is accepted, or refused with a "name:line: " message for each error;
 * an accepted list classifies its own text. Any other input is a message
 * classified with the built-in list: any bytes, any size, any script. The
 * urgency reported must be the highest bit of the mask.
 * FUZZ_SOURCES: daemon/care.c daemon/textnorm.c daemon/util.c daemon/xmalloc.c daemon/log.c
 * FUZZ_PKGS: libutf8proc
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"

static struct care_list *builtin;

static void
check_hit(int matched, const struct care_hit *h)
{
	if (matched != (h->urgency != CARE_NONE))
		abort();
	if (h->urgency == CARE_NONE ? h->mask != 0
	                            : (h->mask & (1u << h->urgency)) == 0 ||
	                                  h->mask >= (2u << h->urgency))
		abort();
}

static void
fuzz_list(const char *text)
{
	struct care_list *l = NULL;
	struct care_hit h;
	char *errors = NULL;

	if (care_parse(&l, "f", text, &errors) == -1) {
		if (errors == NULL || strncmp(errors, "f:", 2) != 0 ||
		    l != NULL)
			abort();
		free(errors);
		return;
	}
	check_hit(care_classify(l, text, &h), &h);
	care_free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct care_hit h;
	char *text, *errors = NULL;

	if (builtin == NULL &&
	    care_parse(&builtin, "builtin", care_builtin(), &errors) == -1)
		abort(); /* the shipped list must parse */
	text = strndup((const char *)data, size);
	if (size > 0 && data[0] == '[')
		fuzz_list(text);
	else
		check_hit(care_classify(builtin, text, &h), &h);
	free(text);
	return 0;
}
