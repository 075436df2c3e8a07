/*
 * Text normalisation. Patients write "Stop.", "STOP!", fullwidth "ＳＴＯＰ"
 * or a STOP split by a zero-width space pasted from elsewhere; phrase
 * matching must see one form. utf8proc does the Unicode work (NFKC, case
 * folding, ignorables); this file decides what a "word" is.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "log.h"
#include "textnorm.h"
#include "xmalloc.h"

/* Copy s, replacing each invalid UTF-8 sequence by U+FFFD. Caller frees. */
static char *
textnorm_valid(const char *s)
{
	size_t len = strlen(s), i = 0, o = 0;
	char *out = xmalloc(len * 3 + 1);
	utf8proc_int32_t cp;

	while (i < len) {
		utf8proc_ssize_t n =
		    utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                     (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, (size_t)n);
		o += (size_t)n;
		i += (size_t)n;
	}
	out[o] = '\0';
	return out;
}

static char *
textnorm_map(const char *s, int options)
{
	char *valid = textnorm_valid(s != NULL ? s : "");
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map(
	    (const utf8proc_uint8_t *)valid, 0, &out,
	    (utf8proc_option_t)(UTF8PROC_NULLTERM | UTF8PROC_STABLE |
	                        UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
	                        UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
	                        UTF8PROC_STRIPCC | UTF8PROC_LUMP | options));
	free(valid);
	if (n < 0) /* Only on allocation failure: the input is valid now. */
		fatalx("textnorm: %s", utf8proc_errmsg(n));
	return (char *)out;
}

char *
textnorm_fold(const char *s)
{
	return textnorm_map(s, 0);
}

static int
textnorm_is_word(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

char *
textnorm_words(const char *s)
{
	char *f = textnorm_map(s, UTF8PROC_STRIPMARK);
	size_t len = strlen(f), i = 0, o = 0;
	char *out = xmalloc(len + 1);
	utf8proc_int32_t cp;
	int space = 0;

	while (i < len) {
		utf8proc_ssize_t n =
		    utf8proc_iterate((utf8proc_uint8_t *)f + i,
		                     (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0)
			fatalx("textnorm: invalid UTF-8 after mapping");
		if (cp == '\'' || cp == '`') {
			/* Dropped: "can't" and "cant" are one word. */
		} else if (textnorm_is_word(cp)) {
			if (space && o > 0)
				out[o++] = ' ';
			space = 0;
			memcpy(out + o, f + i, (size_t)n);
			o += (size_t)n;
		} else
			space = 1;
		i += (size_t)n;
	}
	out[o] = '\0';
	free(f);
	return out;
}
