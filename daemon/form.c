/* application/x-www-form-urlencoded bodies: strict parsing and encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "log.h"
#include "xmalloc.h"

struct pair {
	char *key;
	char *value;
};

struct form {
	struct pair *pairs;
	size_t n;
	size_t cap;
};

struct form *
form_new(void)
{
	return xcalloc(1, sizeof(struct form));
}

void
form_free(struct form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->pairs[i].key);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	free(f);
}

static void
form_add_owned(struct form *f, char *k, char *v)
{
	if (f->n == f->cap) {
		f->cap = f->cap == 0 ? 8 : f->cap * 2;
		f->pairs = xreallocarray(f->pairs, f->cap, sizeof *f->pairs);
	}
	f->pairs[f->n].key = k;
	f->pairs[f->n].value = v;
	f->n++;
}

void
form_add(struct form *f, const char *k, const char *v)
{
	form_add_owned(f, xstrdup(k), xstrdup(v));
}

const char *
form_get(const struct form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->pairs[i].key, key) == 0)
			return f->pairs[i].value;
	return NULL;
}

size_t
form_count(const struct form *f)
{
	return f->n;
}

const char *
form_key(const struct form *f, size_t i)
{
	return i < f->n ? f->pairs[i].key : NULL;
}

const char *
form_value(const struct form *f, size_t i)
{
	return i < f->n ? f->pairs[i].value : NULL;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of the UTF-8 sequence at s (RFC 3629, table 6), or 0 if invalid. */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* The second byte's range excludes overlongs, surrogates, > U+10FFFF.
	 */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if ((len = utf8_seqlen(s + i, n - i)) == 0)
			return 0;
		i += len;
	}
	return 1;
}

/* Decode n bytes of one key or value into *out (caller frees). */
static int
form_decode(const char *p, size_t n, size_t field, char **out, char **cause)
{
	unsigned char *d = xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			goto nul;
		if (p[i] == '+') {
			d[o++] = ' ';
			continue;
		}
		if (p[i] != '%') {
			d[o++] = (unsigned char)p[i];
			continue;
		}
		if (n - i < 3 || (hi = hexval((unsigned char)p[i + 1])) < 0 ||
		    (lo = hexval((unsigned char)p[i + 2])) < 0) {
			*cause =
			    xasprintf("field %zu: bad percent-escape", field);
			goto fail;
		}
		if ((d[o++] = (unsigned char)(hi << 4 | lo)) == '\0')
			goto nul;
		i += 2;
	}
	if (!utf8_valid(d, o)) {
		*cause = xasprintf("field %zu: invalid UTF-8", field);
		goto fail;
	}
	d[o] = '\0';
	*out = (char *)d;
	return 0;
nul:
	*cause = xasprintf("field %zu: NUL byte", field);
fail:
	free(d);
	return -1;
}

/* Decode one non-empty "key[=value]" field and append it. */
static int
form_parse_field(struct form *f, const char *p, size_t n, size_t field,
                 char **cause)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq != NULL ? (size_t)(eq - p) : n;
	char *k, *v;

	if (form_decode(p, klen, field, &k, cause) != 0)
		return -1;
	if (eq == NULL)
		v = xstrdup("");
	else if (form_decode(eq + 1, n - klen - 1, field, &v, cause) != 0) {
		free(k);
		return -1;
	}
	form_add_owned(f, k, v);
	return 0;
}

int
form_parse(const char *body, size_t len, size_t max_fields, struct form **out,
           char **cause)
{
	struct form *f = form_new();
	const char *p = body, *end = body + len, *amp;
	size_t n;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		n = amp != NULL ? (size_t)(amp - p) : (size_t)(end - p);
		if (n > 0 && f->n == max_fields) {
			*cause = xasprintf("more than %zu fields", max_fields);
			goto fail;
		}
		if (n > 0 && form_parse_field(f, p, n, f->n + 1, cause) != 0)
			goto fail;
		p += n + 1;
	}
	*out = f;
	return 0;
fail:
	form_free(f);
	*out = NULL;
	return -1;
}

static int
form_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' ||
	       c == '_';
}

/* Append s, escaped, at o; returns the new end. */
static char *
form_escape(char *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (form_unreserved(*p))
			*o++ = (char)*p;
		else if (*p == ' ')
			*o++ = '+';
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
		}
	}
	return o;
}

char *
form_encode(const struct form *f)
{
	size_t i, n, size = 1;
	char *buf, *o;

	/* Each byte takes at most three; '=' and '&' at most two per pair. */
	for (i = 0; i < f->n; i++) {
		n = strlen(f->pairs[i].key) + strlen(f->pairs[i].value) + 1;
		if (n > (SIZE_MAX - size) / 3)
			fatalx("form_encode: form too large");
		size += 3 * n;
	}
	o = buf = xmalloc(size);
	for (i = 0; i < f->n; i++) {
		if (i > 0)
			*o++ = '&';
		o = form_escape(o, f->pairs[i].key);
		*o++ = '=';
		o = form_escape(o, f->pairs[i].value);
	}
	*o = '\0';
	return buf;
}

void
form_append(struct buf *b, const char *k, const char *v)
{
	size_t need = 3 * (strlen(k) + strlen(v)) + 2;
	char *o;

	/* Room for the worst case, then escape in place. */
	if (b->len + need + 1 > b->cap) {
		b->cap = (b->len + need + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	o = b->s + b->len;
	if (b->len > 0)
		*o++ = '&';
	o = form_escape(o, k);
	*o++ = '=';
	o = form_escape(o, v);
	*o = '\0';
	b->len = (size_t)(o - b->s);
}
