/* Tests for mime.c: RFC 2047 words, quoted-printable, headers, messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mime.h"
#include "xmalloc.h"

/* n copies of unit. Caller frees. */
static char *
rep(const char *unit, size_t n)
{
	size_t len = strlen(unit), i;
	char *s = xmalloc(len * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

static int
b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                "0123456789+/";
	const char *p = strchr(t, c);

	return c != '\0' && p != NULL ? (int)(p - t) : -1;
}

/* Decode base64 of length n into out; returns the byte count. */
static size_t
b64dec(const char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	for (i = 0; i < n && in[i] != '='; i++) {
		v = b64val(in[i]);
		assert_true(v >= 0);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static int
utf8_complete(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = s[i] < 0x80 ? 1 : s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
		if ((s[i] & 0xc0) == 0x80 || i + k > n)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * Decode a header value made of encoded words folded with CRLF SP, checking
 * each word's form and length, and whether each holds whole characters.
 * Caller frees.
 */
static char *
decode_words(const char *v, int want_whole_chars)
{
	unsigned char *out = xmalloc(strlen(v) + 1), chunk[128];
	size_t o = 0, n, len;
	const char *p = v, *end;

	while (*p != '\0') {
		assert_memory_equal(p, "=?UTF-8?B?", 10);
		end = strstr(p + 10, "?=");
		assert_non_null(end);
		len = (size_t)(end + 2 - p);
		assert_true(len <= 75);
		n = b64dec(p + 10, (size_t)(end - p - 10), chunk);
		if (want_whole_chars)
			assert_true(utf8_complete(chunk, n));
		memcpy(out + o, chunk, n);
		o += n;
		p = end + 2;
		if (*p != '\0') {
			assert_memory_equal(p, "\r\n ", 3);
			p += 3;
		}
	}
	out[o] = '\0';
	return (char *)out;
}

static void
test_header_ascii_unchanged(void **st)
{
	char *v = mime_encode_header("Our PPG survey (2024)");

	assert_string_equal(v, "Our PPG survey (2024)");
	free(v);
}

static void
test_header_short_word(void **st)
{
	char *v = mime_encode_header("Café");

	assert_string_equal(v, "=?UTF-8?B?Q2Fmw6k=?=");
	free(v);
}

static void
test_header_looks_encoded(void **st)
{
	/* Plain ASCII that a reader would decode must be encoded itself. */
	char *v = mime_encode_header("=?UTF-8?B?QQ==?="), *d;

	assert_memory_equal(v, "=?UTF-8?B?", 10);
	d = decode_words(v, 1);
	assert_string_equal(d, "=?UTF-8?B?QQ==?=");
	free(d);
	free(v);
}

/* Round trip of s, each word whole characters, each line <= 76. */
static void
roundtrip_header(const char *s)
{
	char *v = mime_encode_header(s), *line, *d, *save = NULL;
	char *copy = xasprintf("Subject: %s", v);

	d = decode_words(v, 1);
	assert_string_equal(d, s);
	for (line = strtok_r(copy, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save))
		assert_true(strlen(line) <= 76);
	free(copy);
	free(d);
	free(v);
}

static void
test_header_utf8_splitting(void **st)
{
	const char *units[] = {"é", "€", "🎉", "aé", "ab€", "abc🎉", "x"};
	char *s, *mixed;
	size_t i, n;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		/* Every alignment of a character against the word limit. */
		for (n = 1; n <= 60; n++) {
			s = rep(units[i], n);
			if (i == 6) {
				mixed = xasprintf("%sé", s);
				roundtrip_header(mixed);
				free(mixed);
			} else
				roundtrip_header(s);
			free(s);
		}
	}
}

static void
test_header_invalid_utf8_terminates(void **st)
{
	/* Continuation bytes with no lead: must not loop, bytes kept. */
	char *s = rep("\x80", 100), *v = mime_encode_header(s);
	char *d = decode_words(v, 0);

	assert_string_equal(d, s);
	free(d);
	free(v);
	free(s);
}

/* Decode quoted-printable with CRLF line ends to LF text. Caller frees. */
static char *
qp_decode(const char *q)
{
	char *out = xmalloc(strlen(q) + 1), hex[3] = {0};
	size_t o = 0;

	while (*q != '\0') {
		if (q[0] == '=' && q[1] == '\r' && q[2] == '\n')
			q += 3;
		else if (q[0] == '=') {
			hex[0] = q[1];
			hex[1] = q[2];
			out[o++] = (char)strtol(hex, NULL, 16);
			q += 3;
		} else if (q[0] == '\r' && q[1] == '\n') {
			out[o++] = '\n';
			q += 2;
		} else {
			assert_true(*q != '\r' && *q != '\n');
			out[o++] = *q++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Lines of q: at most 76, no trailing white space, no leading dot. */
static void
check_qp_lines(const char *q)
{
	const char *p = q, *e;
	size_t len;

	while (*p != '\0') {
		e = strstr(p, "\r\n");
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		assert_true(len <= 76);
		if (len > 0) {
			assert_true(p[len - 1] != ' ' && p[len - 1] != '\t');
			assert_true(p[0] != '.');
		}
		if (e == NULL)
			break;
		p = e + 2;
	}
}

static void
roundtrip_qp(const char *text)
{
	char *q = mime_qp(text), *d;

	check_qp_lines(q);
	d = qp_decode(q);
	assert_string_equal(d, text);
	free(d);
	free(q);
}

static void
test_qp_line_length(void **st)
{
	const char *units[] = {"x", "é", "=", " a", "🎉x", "a\tb"};
	char *s;
	size_t i, n;

	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		for (n = 70; n <= 240; n += 7) {
			s = rep(units[i], n);
			roundtrip_qp(s);
			free(s);
		}
}

static void
test_qp_trailing_space(void **st)
{
	char *q = mime_qp("end with space \nand tab\t\nlast ");

	assert_string_equal(q, "end with space=20\r\nand tab=09\r\nlast=20");
	free(q);
	q = mime_qp("inner spaces stay plain");
	assert_string_equal(q, "inner spaces stay plain");
	free(q);
	roundtrip_qp("a \n \n\t\n");
}

static void
test_qp_escapes(void **st)
{
	char *q = mime_qp("a=b Ü\r\nnext");

	assert_string_equal(q, "a=3Db =C3=9C\r\nnext");
	free(q);
}

static void
test_qp_leading_dot(void **st)
{
	char *x75 = rep("x", 75), *s, *q;

	q = mime_qp(".\n.start\nmid.dle\n..");
	assert_string_equal(q, "=2E\r\n=2Estart\r\nmid.dle\r\n=2E.");
	free(q);
	/* A dot pushed onto a new line by a soft break is encoded too. */
	s = xasprintf("%s.tail", x75);
	q = mime_qp(s);
	check_qp_lines(q);
	assert_non_null(strstr(q, "=\r\n=2Etail"));
	free(q);
	roundtrip_qp(s);
	free(s);
	free(x75);
}

static struct outmsg
sample(void)
{
	struct outmsg m = {
	    .id = 42,
	    .channel = "email",
	    .practice = "A1",
	    .from = "ppg@practice.example",
	    .from_name = "Test Practice",
	    .to = "member@example.org",
	    .reply_to = "reply+tok@reply.example",
	    .subject = "Your views",
	    .text = "Hello\n.\nBye\n",
	    .html = "<p>Hello</p>",
	    .unsub_url = "https://ppg.example/u/abc",
	    .unsub_mailto = "mailto:unsubscribe+abc@reply.example",
	};
	return m;
}

/* The value of header name in a built message, or NULL. Caller frees. */
static char *
header_of(const char *eml, const char *name)
{
	char *key = xasprintf("\r\n%s: ", name), *v = NULL;
	const char *p, *e, *body = strstr(eml, "\r\n\r\n");

	if (strncmp(eml, key + 2, strlen(key) - 2) == 0)
		p = eml + strlen(key) - 2;
	else if ((p = strstr(eml, key)) != NULL && p < body)
		p += strlen(key);
	else
		p = NULL;
	if (p != NULL) {
		e = strstr(p, "\r\n");
		while (e != NULL && (e[2] == ' ' || e[2] == '\t'))
			e = strstr(e + 2, "\r\n");
		v = xstrndup(p, (size_t)(e - p));
	}
	free(key);
	return v;
}

static char *
build(const struct outmsg *m)
{
	char *eml = NULL, *cause = NULL;

	assert_int_equal(mime_build(m, &eml, &cause), 0);
	assert_null(cause);
	return eml;
}

static void
test_build_structure(void **st)
{
	struct outmsg m = sample();
	char *eml = build(&m), *v;
	const char *p;

	/* CRLF only: no bare LF, no bare CR. */
	for (p = eml; *p != '\0'; p++) {
		if (*p == '\n')
			assert_true(p > eml && p[-1] == '\r');
		if (*p == '\r')
			assert_true(p[1] == '\n');
	}
	v = header_of(eml, "From");
	assert_string_equal(v, "\"Test Practice\" <ppg@practice.example>");
	free(v);
	v = header_of(eml, "Message-ID");
	assert_non_null(v);
	assert_true(strncmp(v, "<ppgd.42.", 9) == 0);
	assert_non_null(strstr(v, "@practice.example>"));
	free(v);
	v = header_of(eml, "Date");
	assert_non_null(v);
	assert_non_null(strstr(v, " +0000"));
	free(v);
	v = header_of(eml, "Reply-To");
	assert_string_equal(v, "reply+tok@reply.example");
	free(v);
	v = header_of(eml, "Content-Type");
	assert_non_null(strstr(v, "multipart/alternative; boundary="));
	free(v);
	assert_non_null(strstr(eml, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(eml, "Content-Type: text/html; charset=UTF-8"));
	assert_non_null(strstr(eml, "\r\n=2E\r\n"));
	free(eml);
	m.html = NULL;
	eml = build(&m);
	v = header_of(eml, "Content-Type");
	assert_string_equal(v, "text/plain; charset=UTF-8");
	free(v);
	free(eml);
}

/* A calendar attachment: multipart/mixed around the alternative body,
 * the .ics in base64 lines of at most 76 that decode to it exactly. */
static void
test_build_calendar_attachment(void **st)
{
	struct outmsg m = sample();
	const char *ics = "BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\n"
	                  "END:VCALENDAR\r\n";
	char *eml, *v, *b64, *end;
	unsigned char dec[256];
	const char *p;
	size_t n;

	m.ics = ics;
	eml = build(&m);
	v = header_of(eml, "Content-Type");
	assert_non_null(strstr(v, "multipart/mixed; boundary="));
	free(v);
	assert_non_null(strstr(eml, "multipart/alternative; boundary="));
	p = strstr(eml, "Content-Type: text/calendar; charset=UTF-8;"
	                " method=PUBLISH; name=\"meeting.ics\"");
	assert_non_null(p);
	assert_non_null(strstr(p, "Content-Disposition: attachment;"
	                          " filename=\"meeting.ics\""));
	b64 = strstr(p, "base64\r\n\r\n");
	assert_non_null(b64);
	b64 += 10;
	end = strstr(b64, "\r\n--");
	assert_non_null(end);
	assert_true(end - b64 <= 76);
	n = b64dec(b64, (size_t)(end - b64), dec);
	assert_int_equal(n, strlen(ics));
	assert_memory_equal(dec, ics, n);
	/* The text part is still there, before the attachment. */
	assert_true(strstr(eml, "Content-Type: text/plain") < p);
	free(eml);
}

static void
test_build_from_names(void **st)
{
	struct outmsg m = sample();
	char *eml, *v, *d;

	m.from_name = "Dr \"Bob\" Smith, GP\\";
	eml = build(&m);
	v = header_of(eml, "From");
	assert_string_equal(v, "\"Dr \\\"Bob\\\" Smith, GP\\\\\" "
	                       "<ppg@practice.example>");
	free(v);
	free(eml);
	m.from_name = "Żabka Practice — Ünion Street Surgery and Clinic";
	eml = build(&m);
	v = header_of(eml, "From");
	/* The address follows the words, folded if the line would be long. */
	d = strstr(v, " <ppg@practice.example>");
	assert_non_null(d);
	assert_string_equal(d, " <ppg@practice.example>");
	*d = '\0';
	if (d > v && d[-1] == '\n')
		d[-2] = '\0';
	d = decode_words(v, 1);
	assert_string_equal(d, m.from_name);
	free(d);
	free(v);
	free(eml);
}

static void
test_build_subject_encoded(void **st)
{
	struct outmsg m = sample();
	char *eml, *v, *d;

	m.subject = "Réunion du groupe: vos idées 🎉 sont importantes pour nous";
	eml = build(&m);
	v = header_of(eml, "Subject");
	d = decode_words(v, 1);
	assert_string_equal(d, m.subject);
	free(d);
	free(v);
	free(eml);
}

static void
test_build_refuses_crlf(void **st)
{
	const char *bad[] = {"x\r\nBcc: evil@example.org", "x\nBcc: y",
	                     "x\rBcc: y"};
	struct outmsg m;
	const char **fields[] = {&m.from,         &m.from_name, &m.to,
	                         &m.reply_to,     &m.subject,   &m.unsub_url,
	                         &m.unsub_mailto, &m.practice};
	char *eml, *cause;
	size_t f, b;

	for (f = 0; f < sizeof fields / sizeof fields[0]; f++) {
		for (b = 0; b < sizeof bad / sizeof bad[0]; b++) {
			m = sample();
			*fields[f] = bad[b];
			eml = NULL;
			cause = NULL;
			assert_int_equal(mime_build(&m, &eml, &cause), -1);
			assert_null(eml);
			assert_non_null(cause);
			free(cause);
		}
	}
}

static void
test_build_refuses_bad_address(void **st)
{
	struct outmsg m = sample();
	char *eml = NULL, *cause = NULL;

	m.to = "nobody";
	assert_int_equal(mime_build(&m, &eml, &cause), -1);
	assert_non_null(cause);
	free(cause);
	m = sample();
	m.from = NULL;
	cause = NULL;
	assert_int_equal(mime_build(&m, &eml, &cause), -1);
	free(cause);
}

static void
test_list_unsubscribe(void **st)
{
	struct outmsg m = sample();
	char *eml, *v;

	eml = build(&m);
	v = header_of(eml, "List-Unsubscribe");
	assert_string_equal(v, "<https://ppg.example/u/abc>, "
	                       "<mailto:unsubscribe+abc@reply.example>");
	free(v);
	v = header_of(eml, "List-Unsubscribe-Post");
	assert_string_equal(v, "List-Unsubscribe=One-Click");
	free(v);
	free(eml);

	m.unsub_mailto = NULL;
	eml = build(&m);
	v = header_of(eml, "List-Unsubscribe");
	assert_string_equal(v, "<https://ppg.example/u/abc>");
	free(v);
	v = header_of(eml, "List-Unsubscribe-Post");
	assert_string_equal(v, "List-Unsubscribe=One-Click");
	free(v);
	free(eml);

	/* One-click needs the https URL: no Post header without it. */
	m = sample();
	m.unsub_url = NULL;
	eml = build(&m);
	v = header_of(eml, "List-Unsubscribe");
	assert_string_equal(v, "<mailto:unsubscribe+abc@reply.example>");
	free(v);
	assert_null(header_of(eml, "List-Unsubscribe-Post"));
	free(eml);

	m.unsub_mailto = NULL;
	eml = build(&m);
	assert_null(header_of(eml, "List-Unsubscribe"));
	free(eml);
}

static void
test_addr(void **st)
{
	char *a = mime_addr("Test Practice <ppg@practice.example>");

	assert_string_equal(a, "ppg@practice.example");
	free(a);
	a = mime_addr("ppg@practice.example");
	assert_string_equal(a, "ppg@practice.example");
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_ascii_unchanged),
	    cmocka_unit_test(test_header_short_word),
	    cmocka_unit_test(test_header_looks_encoded),
	    cmocka_unit_test(test_header_utf8_splitting),
	    cmocka_unit_test(test_header_invalid_utf8_terminates),
	    cmocka_unit_test(test_qp_line_length),
	    cmocka_unit_test(test_qp_trailing_space),
	    cmocka_unit_test(test_qp_escapes),
	    cmocka_unit_test(test_qp_leading_dot),
	    cmocka_unit_test(test_build_structure),
	    cmocka_unit_test(test_build_calendar_attachment),
	    cmocka_unit_test(test_build_from_names),
	    cmocka_unit_test(test_build_subject_encoded),
	    cmocka_unit_test(test_build_refuses_crlf),
	    cmocka_unit_test(test_build_refuses_bad_address),
	    cmocka_unit_test(test_list_unsubscribe),
	    cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
