/* Internet messages (RFC 5322, MIME) built from an outmsg. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "mime.h"
#include "util.h"
#include "xmalloc.h"

static int
is_ascii_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* Plain ASCII that no reader could take for an encoded word. */
static int
needs_encoding(const char *s)
{
	return !is_ascii_plain(s) || strstr(s, "=?") != NULL;
}

/*
 * B-encoded words split on UTF-8 character boundaries, folded onto
 * continuation lines. 39 bytes encode to 52 base64 characters, so a word is
 * 64 characters and a line holding one and a header name stays within the
 * 76 that RFC 2047 allows.
 */
char *
mime_encode_header(const char *v)
{
	struct buf b = {0};
	size_t len = strlen(v), i = 0, n;
	char *enc;

	if (!needs_encoding(v))
		return xstrdup(v);
	while (i < len) {
		n = len - i > 39 ? 39 : len - i;
		while (n > 1 && i + n < len &&
		       ((unsigned char)v[i + n] & 0xc0) == 0x80)
			n--;
		/* Not UTF-8 at all: split anywhere rather than loop. */
		if (n == 1 && i + n < len &&
		    ((unsigned char)v[i + n] & 0xc0) == 0x80)
			n = len - i > 39 ? 39 : len - i;
		enc = crypto_base64((const unsigned char *)v + i, n);
		if (b.len > 0)
			buf_add(&b, "\r\n ");
		buf_add(&b, "=?UTF-8?B?");
		buf_add(&b, enc);
		buf_add(&b, "?=");
		free(enc);
		i += n;
	}
	return b.s;
}

/* Room for n more bytes and the NUL in b. */
static void
reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1;
		b->s = xrealloc(b->s, b->cap);
	}
}

/*
 * Append text to b as quoted-printable, written in place: a message's body
 * was one call a byte. An output line is broken by "=" CRLF past 73
 * characters, so the output is at most 3 bytes an input byte plus a
 * break for every 73 of them.
 */
static void
qp_append(struct buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t col = 0, len = strlen(text);
	char *o;

	reserve(b, 3 * len + 3 * (3 * len / 73 + 1));
	o = b->s + b->len;
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			continue;
		}
		int trailing_ws =
		    (*p == ' ' || *p == '\t') &&
		    (p[1] == '\n' || p[1] == '\r' || p[1] == '\0');
		int plain = (*p >= 33 && *p <= 126 && *p != '=') ||
		            ((*p == ' ' || *p == '\t') && !trailing_ws);
		size_t need = plain ? 1 : 3;
		if (col + need > 75) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
		/* A leading dot is encoded so SMTP dot-stuffing never bites;
		 * checked after a soft break, which starts a line too. */
		if (*p == '.' && col == 0) {
			plain = 0;
			need = 3;
		}
		if (plain)
			*o++ = (char)*p;
		else {
			*o++ = '=';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
		col += need;
	}
	*o = '\0';
	b->len = (size_t)(o - b->s);
}

char *
mime_qp(const char *text)
{
	struct buf b = {0};

	buf_addn(&b, "", 0);
	qp_append(&b, text);
	return b.s;
}

char *
mime_addr(const char *from)
{
	const char *lt = strrchr(from, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return xstrndup(lt + 1, gt - lt - 1);
	return xstrdup(from);
}

static void
header(struct buf *b, const char *name, const char *value)
{
	buf_add(b, name);
	buf_add(b, ": ");
	buf_add(b, value);
	buf_add(b, "\r\n");
}

/* A display name as an RFC 5322 quoted-string. Caller frees. */
static char *
quote_name(const char *name)
{
	struct buf b = {0};

	buf_add(&b, "\"");
	for (; *name != '\0'; name++) {
		if (*name == '"' || *name == '\\')
			buf_add(&b, "\\");
		buf_addn(&b, name, 1);
	}
	buf_add(&b, "\"");
	return b.s;
}

/* From: an encoded or quoted display name and the address. */
static char *
from_header(const struct outmsg *m)
{
	char *addr = mime_addr(m->from), *name, *out;
	const char *last;

	if (m->from_name == NULL || *m->from_name == '\0')
		return addr;
	if (!needs_encoding(m->from_name))
		name = quote_name(m->from_name);
	else
		name = mime_encode_header(m->from_name);
	/* Fold before the address if the last line would pass 76. */
	last = strrchr(name, '\n');
	last = last != NULL ? last + 1 : name;
	out = xasprintf("%s%s<%s>", name,
	                strlen("From: ") + strlen(last) + strlen(addr) + 3 > 76
	                    ? "\r\n "
	                    : " ",
	                addr);
	free(name);
	free(addr);
	return out;
}

static int
headers_safe(const struct outmsg *m, char **cause)
{
	const char *vals[] = {m->from,         m->from_name, m->to,
	                      m->reply_to,     m->subject,   m->unsub_url,
	                      m->unsub_mailto, m->practice};
	size_t i;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		if (util_has_crlf(vals[i])) {
			*cause = xstrdup("a header value contains CR or LF");
			return -1;
		}
	}
	if (m->to == NULL || strchr(m->to, '@') == NULL || m->from == NULL ||
	    strchr(m->from, '@') == NULL) {
		*cause = xstrdup("missing or unusable From or To address");
		return -1;
	}
	return 0;
}

static void
part(struct buf *b, const char *boundary, const char *type, const char *body)
{
	buf_add(b, "--");
	buf_add(b, boundary);
	buf_add(b, "\r\nContent-Type: ");
	buf_add(b, type);
	buf_add(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: "
	           "quoted-printable\r\n\r\n");
	qp_append(b, body);
	buf_add(b, "\r\n");
}

/* The body's headers and content: plain text, or text and HTML. */
static void
body(struct buf *b, const struct outmsg *m, time_t now)
{
	char boundary[64], *v;

	if (m->html == NULL) {
		header(b, "Content-Type", "text/plain; charset=UTF-8");
		header(b, "Content-Transfer-Encoding", "quoted-printable");
		buf_add(b, "\r\n");
		qp_append(b, m->text ? m->text : "");
		buf_add(b, "\r\n");
		return;
	}
	snprintf(boundary, sizeof boundary, "=_ppgd_%lld_%lld",
	         (long long)m->id, (long long)now);
	v = xasprintf("multipart/alternative; boundary=\"%s\"", boundary);
	header(b, "Content-Type", v);
	free(v);
	buf_add(b, "\r\nThis is a message in MIME format.\r\n");
	part(b, boundary, "text/plain", m->text ? m->text : "");
	part(b, boundary, "text/html", m->html);
	buf_add(b, "--");
	buf_add(b, boundary);
	buf_add(b, "--\r\n");
}

/* base64 in lines of 76 (RFC 2045 6.8). */
static void
base64_lines(struct buf *b, const char *data)
{
	char *enc = crypto_base64((const unsigned char *)data, strlen(data));
	size_t len = strlen(enc), i;

	for (i = 0; i < len; i += 76) {
		buf_addn(b, enc + i, len - i < 76 ? len - i : 76);
		buf_add(b, "\r\n");
	}
	free(enc);
}

/* The body and a calendar attachment in multipart/mixed (RFC 6047 2.4
 * allows a text/calendar body part beside the message). */
static void
mixed(struct buf *b, const struct outmsg *m, time_t now)
{
	char boundary[64], *v;

	snprintf(boundary, sizeof boundary, "=_ppgd_mixed_%lld_%lld",
	         (long long)m->id, (long long)now);
	v = xasprintf("multipart/mixed; boundary=\"%s\"", boundary);
	header(b, "Content-Type", v);
	free(v);
	buf_add(b, "\r\nThis is a message in MIME format.\r\n--");
	buf_add(b, boundary);
	buf_add(b, "\r\n");
	body(b, m, now);
	buf_add(b, "--");
	buf_add(b, boundary);
	buf_add(b, "\r\nContent-Type: text/calendar; charset=UTF-8;"
	           " method=PUBLISH; name=\"meeting.ics\"\r\n"
	           "Content-Disposition: attachment; filename=\"meeting.ics\""
	           "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	base64_lines(b, m->ics);
	buf_add(b, "--");
	buf_add(b, boundary);
	buf_add(b, "--\r\n");
}

int
mime_build(const struct outmsg *m, char **out, char **cause)
{
	struct buf b = {0};
	char date[64], *v, *domain, *addr;
	time_t now = time(NULL);
	struct tm tm;

	if (headers_safe(m, cause) == -1)
		return -1;
	/* Headers and bodies in one allocation, mostly: the bodies are
	 * reserved again, exactly, as they are encoded. */
	reserve(&b, 2048 + (m->text ? strlen(m->text) : 0) +
	                (m->html ? strlen(m->html) : 0));
	b.s[0] = '\0';
	addr = mime_addr(m->from);
	domain = strchr(addr, '@') + 1;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	header(&b, "Date", date);
	v = from_header(m);
	header(&b, "From", v);
	free(v);
	header(&b, "To", m->to);
	if (m->reply_to != NULL)
		header(&b, "Reply-To", m->reply_to);
	v = mime_encode_header(m->subject ? m->subject : "");
	header(&b, "Subject", v);
	free(v);
	v = xasprintf("<ppgd.%lld.%lld@%s>", (long long)m->id, (long long)now,
	              domain);
	header(&b, "Message-ID", v);
	free(v);
	if (m->unsub_url != NULL || m->unsub_mailto != NULL) {
		v = xasprintf("%s%s%s%s%s%s", m->unsub_url ? "<" : "",
		              m->unsub_url ? m->unsub_url : "",
		              m->unsub_url ? ">" : "",
		              m->unsub_url && m->unsub_mailto ? ", " : "",
		              m->unsub_mailto ? "<" : "",
		              m->unsub_mailto ? m->unsub_mailto : "");
		if (m->unsub_mailto != NULL) {
			char *w = xasprintf("%s>", v);
			free(v);
			v = w;
		}
		header(&b, "List-Unsubscribe", v);
		free(v);
		if (m->unsub_url != NULL)
			header(&b, "List-Unsubscribe-Post",
			       "List-Unsubscribe=One-Click");
	}
	header(&b, "Auto-Submitted", "auto-generated");
	header(&b, "MIME-Version", "1.0");
	if (m->ics == NULL)
		body(&b, m, now);
	else
		mixed(&b, m, now);
	free(addr);
	*out = b.s;
	return 0;
}
