/*
 * multipart/form-data (RFC 7578 over RFC 2046 section 5.1). The body is
 * searched for the delimiter CRLF "--" boundary with memmem, so it is
 * binary-safe and linear; every pointer stays within [body, body + len).
 * A delimiter must be followed by optional padding and CRLF, or by "--"
 * (the close); anything else is an error rather than part content, since
 * RFC 2046 forbids the delimiter inside a part.
 *
 * File parts are kept only when the caller asks (multipart_read with
 * max_files): their bytes are copied as they are, since a file may be
 * binary; their Content-Type is recorded but only ever shown, and their
 * filename is checked by the caller before it names anything.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "multipart.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_BOUNDARY 70
#define MAX_PARAMS   8

/* A header value "type *(; name=value)"; values decoded (owned). */
struct hval {
	const char *type;
	size_t tlen;
	struct {
		const char *name;
		size_t nlen;
		char *value;
	} p[MAX_PARAMS];
	size_t n;
};

/* The state of one parse. */
struct mp {
	const char *p, *end;
	char *delim; /* CRLF "--" boundary */
	size_t dlen;
	const struct multipart_limits *lim;
	struct multipart_upload *up;
	size_t part, total;
	char **cause;
};

/* One part's headers, as far as they matter. */
struct part {
	int disposition; /* a Content-Disposition was seen */
	int file;        /* it has a filename */
	int encoded;     /* a Content-Transfer-Encoding other than identity */
	char *name;
	char *filename; /* "" for filename* alone */
	char *type;     /* the Content-Type, as sent */
};

/* RFC 2045 token characters. */
static int
tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 2046 bcharsnospace. */
static int
bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=?", c) != NULL;
}

static int
ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_ows(const char *p, const char *end)
{
	while (p < end && ows((unsigned char)*p))
		p++;
	return p;
}

static const char *
skip_token(const char *p, const char *end)
{
	while (p < end && tchar((unsigned char)*p))
		p++;
	return p;
}

/* 1 if the n bytes at s are word, ignoring case. */
static int
same(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

static void
hval_clear(struct hval *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->p[i].value);
	h->n = 0;
}

/* The value of parameter name, or NULL. */
static const char *
hval_get(const struct hval *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (same(h->p[i].name, h->p[i].nlen, name))
			return h->p[i].value;
	return NULL;
}

/* A quoted-string at *pp (past the opening quote), decoded, or NULL. */
static char *
quoted(const char **pp, const char *end)
{
	const char *p = *pp;
	char *out = xmalloc((size_t)(end - p) + 1), *o = out;
	unsigned char c;

	while (p < end && *p != '"') {
		if (*p == '\\' && ++p == end)
			break;
		c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			goto bad;
		*o++ = (char)c;
		p++;
	}
	if (p == end)
		goto bad;
	*o = '\0';
	*pp = p + 1;
	return out;
bad:
	free(out);
	return NULL;
}

/* One "name=value" at *pp into h. */
static int
hval_param(struct hval *h, const char **pp, const char *end, char **cause)
{
	const char *p = skip_token(*pp, end), *v;
	char *value = NULL;

	if (p == *pp || p == end || *p != '=') {
		*cause = xstrdup("parameter without a name or value");
		return -1;
	}
	if (h->n == MAX_PARAMS) {
		*cause = xstrdup("too many parameters");
		return -1;
	}
	h->p[h->n].name = *pp;
	h->p[h->n].nlen = (size_t)(p - *pp);
	v = ++p;
	if (p < end && *p == '"') {
		p++;
		value = quoted(&p, end);
	} else if ((p = skip_token(v, end)) > v)
		value = xstrndup(v, (size_t)(p - v));
	if (value == NULL) {
		*cause = xstrdup("bad parameter value");
		return -1;
	}
	h->p[h->n++].value = value;
	*pp = p;
	return 0;
}

/* 1 if the parameter just added repeats an earlier one. */
static int
hval_repeated(const struct hval *h)
{
	size_t i, last = h->n - 1;

	for (i = 0; i < last; i++)
		if (h->p[i].nlen == h->p[last].nlen &&
		    strncasecmp(h->p[i].name, h->p[last].name, h->p[i].nlen) ==
		        0)
			return 1;
	return 0;
}

/*
 * Parse n bytes "type *(OWS ; OWS [name=value])" (RFC 9110 parameters:
 * empty ones are allowed). -1 with *cause; h is clear on failure.
 */
static int
hval_parse(const char *s, size_t n, struct hval *h, char **cause)
{
	const char *p = skip_ows(s, s + n), *end = s + n;

	memset(h, 0, sizeof *h);
	h->type = p;
	while (p < end && (tchar((unsigned char)*p) || *p == '/'))
		p++;
	if ((h->tlen = (size_t)(p - h->type)) == 0) {
		*cause = xstrdup("no type");
		return -1;
	}
	while ((p = skip_ows(p, end)) < end) {
		if (*p != ';') {
			*cause = xstrdup("expected ';'");
			goto fail;
		}
		p = skip_ows(p + 1, end);
		if (p == end || *p == ';')
			continue;
		if (hval_param(h, &p, end, cause) == -1)
			goto fail;
		if (hval_repeated(h)) {
			*cause = xstrdup("repeated parameter");
			goto fail;
		}
	}
	return 0;
fail:
	hval_clear(h);
	return -1;
}

int
multipart_is_form_data(const char *ct)
{
	static const char mt[] = "multipart/form-data";
	size_t n = sizeof mt - 1;

	return ct != NULL && strncasecmp(ct, mt, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ows((unsigned char)ct[n]));
}

static int
boundary_valid(const char *b)
{
	size_t i, n = strlen(b);

	if (n == 0 || n > MAX_BOUNDARY || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (b[i] != ' ' && !bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

int
multipart_boundary(const char *ct, char **out, char **cause)
{
	struct hval h;
	const char *b;
	char *c = NULL;

	*out = NULL;
	if (ct == NULL || hval_parse(ct, strlen(ct), &h, &c) == -1) {
		*cause = xasprintf("bad content type: %s", c ? c : "none");
		free(c);
		return -1;
	}
	if (!same(h.type, h.tlen, "multipart/form-data"))
		*cause = xstrdup("not multipart/form-data");
	else if ((b = hval_get(&h, "boundary")) == NULL)
		*cause = xstrdup("no boundary");
	else if (!boundary_valid(b))
		*cause = xstrdup("invalid boundary");
	else
		*out = xstrdup(b);
	hval_clear(&h);
	return *out != NULL ? 0 : -1;
}

/* Fail the parse with a message about the current part. */
static int
mp_fail(struct mp *m, const char *what)
{
	if (m->part == 0)
		*m->cause = xstrdup(what);
	else
		*m->cause = xasprintf("part %zu: %s", m->part, what);
	return -1;
}

/* Content-Disposition: form-data; name="..." [; filename="..."]. */
static int
part_disposition(struct mp *m, struct part *pt, const char *v, size_t n)
{
	struct hval h;
	const char *name;
	char *c = NULL;
	int rv = -1;

	if (pt->disposition)
		return mp_fail(m, "repeated Content-Disposition");
	pt->disposition = 1;
	if (hval_parse(v, n, &h, &c) == -1) {
		rv = mp_fail(m, "bad Content-Disposition");
		free(c);
		return rv;
	}
	if (!same(h.type, h.tlen, "form-data"))
		mp_fail(m, "Content-Disposition is not form-data");
	else if ((name = hval_get(&h, "name")) == NULL)
		mp_fail(m, "Content-Disposition without a name");
	else {
		pt->name = xstrdup(name);
		pt->file = hval_get(&h, "filename") != NULL ||
		           hval_get(&h, "filename*") != NULL;
		/* RFC 7578 4.2: filename* is not to be used; it is not
		 * decoded, and the file is left without a name. */
		if (pt->file)
			pt->filename = xstrdup(hval_get(&h, "filename") != NULL
			                           ? hval_get(&h, "filename")
			                           : "");
		rv = 0;
	}
	hval_clear(&h);
	return rv;
}

/* One header line "Name: value" of n bytes (no CRLF). */
static int
part_header(struct mp *m, struct part *pt, const char *s, size_t n)
{
	const char *end = s + n, *p = skip_token(s, end), *v, *ve;
	size_t nlen = (size_t)(p - s);

	if (nlen == 0)
		return mp_fail(m, "header without a name");
	if (p == end || *p != ':')
		return mp_fail(m, "header without a colon");
	for (v = p + 1; v < end; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return mp_fail(m, "control character in a header");
	v = skip_ows(p + 1, end);
	for (ve = end; ve > v && ows((unsigned char)ve[-1]); ve--)
		;
	if (same(s, nlen, "Content-Disposition"))
		return part_disposition(m, pt, v, (size_t)(ve - v));
	if (same(s, nlen, "Content-Type") && pt->type == NULL)
		pt->type = xstrndup(v, (size_t)(ve - v));
	if (same(s, nlen, "Content-Transfer-Encoding"))
		pt->encoded = !same(v, (size_t)(ve - v), "7bit") &&
		              !same(v, (size_t)(ve - v), "8bit") &&
		              !same(v, (size_t)(ve - v), "binary");
	return 0;
}

/* A text field's value (n bytes at s): checked and added. */
static int
part_text(struct mp *m, struct part *pt, const char *s, size_t n)
{
	char *v;

	if (pt->encoded)
		return mp_fail(m, "text field with a transfer encoding");
	if (n > m->lim->max_value)
		return mp_fail(m, "text field too large");
	if (memchr(s, '\0', n) != NULL)
		return mp_fail(m, "NUL byte");
	if (!util_utf8_valid(s, n) ||
	    !util_utf8_valid(pt->name, strlen(pt->name)))
		return mp_fail(m, "invalid UTF-8");
	if (form_count(m->up->form) == m->lim->max_fields) {
		*m->cause =
		    xasprintf("more than %zu fields", m->lim->max_fields);
		return -1;
	}
	v = xstrndup(s, n);
	form_add(m->up->form, pt->name, v);
	free(v);
	return 0;
}

/* Fail the parse for a size limit. */
static int
mp_too_large(struct mp *m, const char *what)
{
	m->up->too_large = 1;
	return mp_fail(m, what);
}

/* A file part's content (n bytes at s): kept, counted or refused. */
static int
part_file(struct mp *m, struct part *pt, const char *s, size_t n)
{
	struct multipart_upload *up = m->up;
	struct multipart_file *f;

	if (m->lim->max_files == 0) {
		up->dropped++;
		return 0;
	}
	/* What a browser sends for a file input left empty. */
	if (n == 0 && *pt->filename == '\0')
		return 0;
	if (pt->encoded)
		return mp_fail(m, "file with a transfer encoding");
	if (!util_utf8_valid(pt->name, strlen(pt->name)))
		return mp_fail(m, "invalid UTF-8");
	if (up->nfiles == m->lim->max_files)
		return mp_too_large(m, "too many files");
	if (n > m->lim->max_file)
		return mp_too_large(m, "file too large");
	if (n > m->lim->max_total - m->total)
		return mp_too_large(m, "files too large together");
	m->total += n;
	up->files = xreallocarray(up->files, up->nfiles + 1, sizeof *up->files);
	f = &up->files[up->nfiles++];
	f->field = xstrdup(pt->name);
	f->filename = pt->filename;
	f->type = pt->type;
	pt->filename = pt->type = NULL;
	f->data = xmalloc(n + 1);
	memcpy(f->data, s, n);
	f->data[n] = '\0';
	f->len = n;
	return 0;
}

/* The part in [s, e): header lines, an empty line, the content. */
static int
mp_part(struct mp *m, const char *s, const char *e)
{
	struct part pt = {0, 0, 0, NULL, NULL, NULL};
	const char *nl;
	int rv = -1;

	for (;;) {
		nl = memmem(s, (size_t)(e - s), "\r\n", 2);
		if (nl == NULL) {
			mp_fail(m, "headers not ended by an empty line");
			goto out;
		}
		if (nl == s)
			break;
		if (part_header(m, &pt, s, (size_t)(nl - s)) == -1)
			goto out;
		s = nl + 2;
	}
	s += 2;
	if (!pt.disposition)
		mp_fail(m, "no Content-Disposition");
	else if (pt.file)
		rv = part_file(m, &pt, s, (size_t)(e - s));
	else
		rv = part_text(m, &pt, s, (size_t)(e - s));
out:
	free(pt.name);
	free(pt.filename);
	free(pt.type);
	return rv;
}

/* Past the first delimiter: at the start of the body or after a CRLF. */
static int
mp_first(struct mp *m)
{
	size_t len = (size_t)(m->end - m->p);
	const char *d;

	if (len >= m->dlen - 2 &&
	    memcmp(m->p, m->delim + 2, m->dlen - 2) == 0) {
		m->p += m->dlen - 2;
		return 0;
	}
	if ((d = memmem(m->p, len, m->delim, m->dlen)) == NULL)
		return mp_fail(m, "no delimiter");
	m->p = d + m->dlen;
	return 0;
}

/*
 * After a delimiter: 1 at the close ("--", padding, then the end or CRLF
 * and an epilogue), 0 before a part (padding, CRLF), or -1.
 */
static int
mp_after_delimiter(struct mp *m)
{
	const char *p = m->p, *end = m->end;
	int close = end - p >= 2 && p[0] == '-' && p[1] == '-';

	if (p == end)
		return mp_fail(m, "no closing delimiter");
	p = skip_ows(p + (close ? 2 : 0), end);
	if (close && p == end)
		return 1;
	if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
		return mp_fail(m, close ? "garbage after the closing delimiter"
		                        : "delimiter not followed by CRLF");
	m->p = p + 2;
	return close;
}

static int
mp_run(struct mp *m)
{
	const char *d;
	int rv;

	if (mp_first(m) == -1)
		return -1;
	while ((rv = mp_after_delimiter(m)) == 0) {
		m->part++;
		d = memmem(m->p, (size_t)(m->end - m->p), m->delim, m->dlen);
		if (d == NULL)
			return mp_fail(m, "no closing delimiter");
		if (mp_part(m, m->p, d) == -1)
			return -1;
		m->p = d + m->dlen;
	}
	return rv == 1 ? 0 : -1;
}

int
multipart_read(const char *ct, const char *body, size_t len,
               const struct multipart_limits *lim, struct multipart_upload *out,
               char **cause)
{
	struct mp m;
	char *b, *c = NULL;
	int rv;

	memset(out, 0, sizeof *out);
	if (multipart_boundary(ct, &b, &c) == -1) {
		*cause = c;
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.p = body;
	m.end = body + len;
	m.delim = xasprintf("\r\n--%s", b);
	m.dlen = strlen(m.delim);
	m.lim = lim;
	m.up = out;
	m.cause = cause;
	out->form = form_new();
	free(b);
	rv = mp_run(&m);
	free(m.delim);
	return rv;
}

void
multipart_upload_clear(struct multipart_upload *up)
{
	size_t i;

	for (i = 0; i < up->nfiles; i++) {
		free(up->files[i].field);
		free(up->files[i].filename);
		free(up->files[i].type);
		free(up->files[i].data);
	}
	free(up->files);
	form_free(up->form);
	memset(up, 0, sizeof *up);
}

const struct multipart_file *
multipart_file(const struct multipart_upload *up, const char *field)
{
	size_t i;

	for (i = 0; i < up->nfiles; i++)
		if (strcmp(up->files[i].field, field) == 0)
			return &up->files[i];
	return NULL;
}

int
multipart_filename_ok(const char *name)
{
	size_t i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > 255 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || !util_utf8_valid(name, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '/' || name[i] == '\\')
			return 0;
	return 1;
}

int
multipart_parse(const char *ct, const char *body, size_t len,
                const struct multipart_limits *lim, struct form **out,
                size_t *files, char **cause)
{
	struct multipart_limits text = {lim->max_fields, lim->max_value, 0, 0,
	                                0};
	struct multipart_upload up;

	*out = NULL;
	*files = 0;
	if (multipart_read(ct, body, len, &text, &up, cause) == -1) {
		multipart_upload_clear(&up);
		return -1;
	}
	*out = up.form;
	*files = up.dropped;
	up.form = NULL;
	multipart_upload_clear(&up);
	return 0;
}
