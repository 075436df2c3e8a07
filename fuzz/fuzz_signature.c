/*
 * Fuzz the Twilio signature over parsed forms. Input: auth token, '\n', URL,
 * '\n', form body. A computed signature must verify, must not depend on the
 * order of the fields or on a repeated pair, and must fail once altered.
 * FUZZ_SOURCES: daemon/crypto.c daemon/form.c daemon/xmalloc.c daemon/log.c
 * FUZZ_PKGS: libcrypto jansson
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "form.h"
#include "xmalloc.h"

/* The next '\n'-terminated line of [*p, end) as a string. Caller frees. */
static char *
next_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = xstrndup(*p, n);

	*p += nl != NULL ? n + 1 : n;
	return s;
}

static struct form *
reversed_with_repeat(const struct form *f)
{
	struct form *r = form_new();
	size_t i;

	for (i = form_count(f); i > 0; i--)
		form_add(r, form_key(f, i - 1), form_value(f, i - 1));
	if (form_count(f) > 0)
		form_add(r, form_key(f, 0), form_value(f, 0));
	return r;
}

static void
check_signature(const char *token, const char *url, const struct form *f)
{
	struct form *r = reversed_with_repeat(f);
	char *sig = crypto_twilio_signature(token, url, f);
	char *sig2 = crypto_twilio_signature(token, url, r);

	if (strlen(sig) != 28 || strcmp(sig, sig2) != 0)
		abort();
	if (crypto_twilio_verify(token, url, r, sig) != (*token != '\0'))
		abort();
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	if (crypto_twilio_verify(token, url, f, sig) != 0)
		abort();
	free(sig);
	free(sig2);
	form_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *token, *url, *cause = NULL;
	struct form *f = NULL;

	token = next_line(&p, end);
	url = next_line(&p, end);
	if (form_parse(p, (size_t)(end - p), 64, &f, &cause) == 0) {
		check_signature(token, url, f);
		form_free(f);
	} else
		free(cause);
	/* Arbitrary strings through the other verifiers: no crash, no pass. */
	if (crypto_mailgun_verify(token, url, "", url) != 0 &&
	    strlen(url) != 64)
		abort();
	free(token);
	free(url);
	return 0;
}
