/*
 * Tests for multipart.c: strict multipart/form-data parsing; and its use by
 * the Mailgun route in webhook.c (webhook_accepts, webhook_parse_as).
 * Every body is copied to a heap block of exactly its length, without a
 * terminating NUL, so that a read past len is caught under ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"
#include "multipart.h"
#include "webhook.h"

#define CT "multipart/form-data; boundary=b0undary"
#define D  "--b0undary"
#define CD "Content-Disposition: form-data; name="

/* Built by urllib3.encode_multipart_formdata (as requests sends it). */
#define URLLIB3_CT "multipart/form-data; boundary=3d6b6a416f9b5f0b8e2b"
static const char urllib3_body[] =
    "--3d6b6a416f9b5f0b8e2b\r\nContent-Disposition: form-data; "
    "name=\"sender\"\r\n\r\nann@example.org\r\n--3d6b6a416f9b5f0b8e2b\r\n"
    "Content-Disposition: form-data; name=\"recipient\"\r\n\r\n"
    "reply+tok@reply.example.org\r\n--3d6b6a416f9b5f0b8e2b\r\n"
    "Content-Disposition: form-data; name=\"stripped-text\"\r\n\r\n"
    "Caf\xc3\xa9 on Tuesday\r\n-- \r\nAnn\r\n--3d6b6a416f9b5f0b8e2b\r\n"
    "Content-Disposition: form-data; name=\"attachment-count\"\r\n\r\n1\r\n"
    "--3d6b6a416f9b5f0b8e2b\r\nContent-Disposition: form-data; "
    "name=\"attachment-1\"; filename=\"photo.jpg\"\r\nContent-Type: "
    "image/jpeg\r\n\r\n\xff\xd8\xff\x00\r\n--x\r\n\x00\r\n"
    "--3d6b6a416f9b5f0b8e2b--\r\n";

static const struct multipart_limits limits = {64, 1024, 0, 0, 0};

/* Parse len bytes of s from an exact-size copy; returns rv, fills out. */
static int
parse(const char *ct, const char *s, size_t len,
      const struct multipart_limits *lim, struct form **f, size_t *files,
      char **cause)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rv;

	memcpy(copy, s, len);
	*cause = NULL;
	rv = multipart_parse(ct, copy, len, lim, f, files, cause);
	free(copy);
	return rv;
}

static struct form *
parse_ok(const char *ct, const char *s, size_t len, size_t *files)
{
	struct form *f = NULL;
	char *cause = NULL;

	if (parse(ct, s, len, &limits, &f, files, &cause) != 0)
		fail_msg("multipart_parse: %s", cause);
	assert_null(cause);
	assert_non_null(f);
	return f;
}

/* Parse expecting failure with a cause containing fragment. */
static void
bad_with(const char *ct, const char *s, size_t len,
         const struct multipart_limits *lim, const char *fragment)
{
	struct form *f = (struct form *)1;
	size_t files = 99;
	char *cause = NULL;

	assert_int_equal(parse(ct, s, len, lim, &f, &files, &cause), -1);
	assert_null(f);
	assert_non_null(cause);
	if (strstr(cause, fragment) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, fragment);
	free(cause);
}

static void
bad(const char *s, size_t len, const char *fragment)
{
	bad_with(CT, s, len, &limits, fragment);
}

#define BAD(lit, fragment) bad(lit, sizeof lit - 1, fragment)

static void
test_is_form_data(void **state)
{
	assert_true(multipart_is_form_data("multipart/form-data"));
	assert_true(multipart_is_form_data("Multipart/Form-Data;boundary=x"));
	assert_true(multipart_is_form_data("multipart/form-data ; boundary=x"));
	assert_false(multipart_is_form_data("multipart/form-datax"));
	assert_false(multipart_is_form_data("multipart/mixed; boundary=x"));
	assert_false(
	    multipart_is_form_data("application/x-www-form-urlencoded"));
	assert_false(multipart_is_form_data(NULL));
}

/* The boundary of ct, or NULL with the cause checked to hold fragment. */
static void
boundary_is(const char *ct, const char *want)
{
	char *b = NULL, *cause = NULL;

	if (multipart_boundary(ct, &b, &cause) != 0)
		fail_msg("%s: %s", ct, cause);
	assert_string_equal(b, want);
	free(b);
}

static void
boundary_bad(const char *ct, const char *fragment)
{
	char *b = (char *)1, *cause = NULL;

	assert_int_equal(multipart_boundary(ct, &b, &cause), -1);
	assert_null(b);
	if (cause == NULL || strstr(cause, fragment) == NULL)
		fail_msg("%s: cause \"%s\" lacks \"%s\"", ct, cause, fragment);
	free(cause);
}

static void
test_boundary(void **state)
{
	char ct[128];

	boundary_is("multipart/form-data; boundary=abc", "abc");
	boundary_is("multipart/form-data;boundary=\"abc\"", "abc");
	boundary_is("MULTIPART/FORM-DATA; charset=utf-8; BOUNDARY=a-b_c.d",
	            "a-b_c.d");
	boundary_is("multipart/form-data; boundary=\"'()+_,-./:=? x\"",
	            "'()+_,-./:=? x");
	boundary_is("multipart/form-data; boundary=\"a\\b\"", "ab");
	boundary_is("multipart/form-data; ; boundary=x;", "x");
	/* 70 characters is the most RFC 2046 allows. */
	snprintf(ct, sizeof ct, "multipart/form-data; boundary=%070d", 7);
	boundary_is(ct, strchr(ct, '=') + 1);
	strcat(ct, "7");
	boundary_bad(ct, "invalid boundary");
	boundary_bad("multipart/form-data", "no boundary");
	boundary_bad("multipart/form-data; charset=utf-8", "no boundary");
	boundary_bad("multipart/form-data; boundary=\"\"", "invalid boundary");
	boundary_bad("multipart/form-data; boundary=\"a \"",
	             "invalid boundary");
	boundary_bad("multipart/form-data; boundary=\"a\\\"b\\\"\"",
	             "invalid boundary");
	boundary_bad("multipart/form-data; boundary=a*b", "invalid boundary");
	boundary_bad("multipart/form-data; boundary=", "bad parameter value");
	boundary_bad("multipart/form-data; boundary=\"abc", "bad parameter");
	boundary_bad("multipart/form-data; boundary=a; boundary=b", "repeated");
	boundary_bad("multipart/form-data; boundary=a b", "expected ';'");
	boundary_bad("multipart/form-data; =a", "without a name");
	boundary_bad("multipart/mixed; boundary=a", "not multipart/form-data");
	boundary_bad("", "no type");
	boundary_bad(NULL, "bad content type");
}

/* A body as urllib3 (hence requests) builds it, with a binary file. */
static void
test_urllib3_body(void **state)
{
	size_t files = 0;
	struct form *f =
	    parse_ok(URLLIB3_CT, urllib3_body, sizeof urllib3_body - 1, &files);

	assert_int_equal(files, 1);
	assert_int_equal(form_count(f), 4);
	assert_string_equal(form_key(f, 0), "sender");
	assert_string_equal(form_value(f, 0), "ann@example.org");
	assert_string_equal(form_get(f, "recipient"),
	                    "reply+tok@reply.example.org");
	assert_string_equal(form_get(f, "stripped-text"),
	                    "Caf\xc3\xa9 on Tuesday\r\n-- \r\nAnn");
	assert_string_equal(form_get(f, "attachment-count"), "1");
	assert_null(form_get(f, "attachment-1"));
	form_free(f);
}

static void
test_unquoted_and_quoted(void **state)
{
	static const char body[] = D "\r\n" CD "a\r\n\r\n1\r\n" D "\r\n" CD
	                             "\"b c\"\r\n\r\n2\r\n" D "--";
	static const char q[] = "--'()+_,-./:=? x\r\n" CD "\"k\"\r\n\r\nv\r\n"
	                        "--'()+_,-./:=? x--";
	size_t files = 9;
	struct form *f = parse_ok(CT, body, sizeof body - 1, &files);

	assert_int_equal(files, 0);
	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_get(f, "a"), "1");
	assert_string_equal(form_get(f, "b c"), "2");
	form_free(f);
	f = parse_ok("multipart/form-data; boundary=\"'()+_,-./:=? x\"", q,
	             sizeof q - 1, &files);
	assert_string_equal(form_get(f, "k"), "v");
	form_free(f);
}

/* Lines that look like delimiters but are not stay in the value. */
static void
test_value_with_dash_lines(void **state)
{
	static const char body[] =
	    D "\r\n" CD "\"t\"\r\n\r\n"
	      "line one\r\n--\r\n-- \r\n--b0undar\r\n--other--\r\n"
	      "x" D "\r\n\r\n\n" D "\n\r\n" D "--";
	size_t files;
	struct form *f = parse_ok(CT, body, sizeof body - 1, &files);

	assert_int_equal(form_count(f), 1);
	assert_string_equal(
	    form_get(f, "t"),
	    "line one\r\n--\r\n-- \r\n--b0undar\r\n--other--\r\n"
	    "x" D "\r\n\r\n\n" D "\n");
	form_free(f);
}

/* Padding after delimiters; a preamble and an epilogue are ignored. */
static void
test_preamble_and_epilogue(void **state)
{
	static const char body[] =
	    "This is the preamble.\r\n-- not it\r\n--b0undar\r\n" D " \t\r\n" CD
	    "a\r\n\r\n1\r\n" D "-- \r\nepilogue\r\n" D "\r\nnot a part\r\n" D
	    "x\r\n\x00\xff";
	size_t files;
	struct form *f = parse_ok(CT, body, sizeof body - 1, &files);

	assert_int_equal(form_count(f), 1);
	assert_string_equal(form_get(f, "a"), "1");
	form_free(f);
	/* A preamble line that starts with the delimiter is refused. */
	BAD("pre\r\n" D "x\r\n\r\n" D "\r\n" CD "a\r\n\r\n1\r\n" D "--",
	    "delimiter not followed by CRLF");
}

static void
test_preamble(void **state)
{
	static const char body[] =
	    "preamble -- text\r\nmore\r\n" D "\r\n" CD "a\r\n\r\n1\r\n" D "--";
	size_t files;
	struct form *f = parse_ok(CT, body, sizeof body - 1, &files);

	assert_int_equal(form_count(f), 1);
	assert_string_equal(form_get(f, "a"), "1");
	form_free(f);
}

/* A file of every byte value, NULs and CRLFs included, is counted only. */
static void
test_binary_attachment(void **state)
{
	static const char head[] =
	    D "\r\n" CD "\"x\"\r\n\r\nhi\r\n" D "\r\n" CD
	      "\"attachment-1\"; filename=\"a.bin\"\r\n"
	      "Content-Type: application/octet-stream\r\n"
	      "Content-Transfer-Encoding: binary\r\n\r\n";
	static const char tail[] =
	    "\r\n" D "\r\n" CD "\"attachment-2\"; filename*=UTF-8''b%20c\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "AAEC\r\n" D "--\r\n";
	char body[sizeof head + 512 + 15 + sizeof tail];
	size_t i, n = 0, files = 0;
	struct form *f;

	memcpy(body, head, sizeof head - 1);
	n = sizeof head - 1;
	for (i = 0; i < 512; i++)
		body[n++] = (char)(i < 256 ? i : 255 - (i - 256));
	memcpy(body + n, "\r\n--b0undar\r\n-", 15);
	n += 15;
	memcpy(body + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	f = parse_ok(CT, body, n, &files);
	assert_int_equal(files, 2);
	assert_int_equal(form_count(f), 1);
	assert_string_equal(form_get(f, "x"), "hi");
	form_free(f);
}

static void
test_empty_values_and_forms(void **state)
{
	static const char empty[] = D "--";
	static const char values[] = D "\r\n" CD "\"\"\r\n\r\n\r\n" D "\r\n" CD
	                               "a\r\nX-Other: y\r\n\r\n\r\n" D "--\r\n";
	size_t files = 9;
	struct form *f = parse_ok(CT, empty, sizeof empty - 1, &files);

	assert_int_equal(form_count(f), 0);
	assert_int_equal(files, 0);
	form_free(f);
	f = parse_ok(CT, values, sizeof values - 1, &files);
	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_key(f, 0), "");
	assert_string_equal(form_value(f, 0), "");
	assert_string_equal(form_get(f, "a"), "");
	form_free(f);
}

static void
test_duplicates_and_case(void **state)
{
	static const char body[] = D
	    "\r\ncontent-disposition:Form-Data;NAME=a;x=\"y;z\"\r\n\r\n1\r\n" D
	    "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n" D
	    "--";
	size_t files;
	struct form *f = parse_ok(CT, body, sizeof body - 1, &files);

	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_value(f, 0), "1");
	assert_string_equal(form_value(f, 1), "2");
	assert_string_equal(form_get(f, "a"), "1");
	form_free(f);
}

/* len bounds the input: what lies past it is never read nor used. */
static void
test_len_bounds_input(void **state)
{
	static const char body[] = D "\r\n" CD "a\r\n\r\n1\r\n" D "--";
	size_t n = sizeof body - 1, files;
	struct form *f;

	bad(body, n - 2, "no closing delimiter");
	bad(body, n - 3, "no closing delimiter");
	bad(body, n - sizeof D, "no closing delimiter");
	bad(body, sizeof D + 1, "no closing delimiter");
	bad(body, sizeof D - 1, "no closing delimiter");
	bad(body, 3, "no delimiter");
	bad(body, 0, "no delimiter");
	f = parse_ok(CT, body, n, &files);
	assert_string_equal(form_get(f, "a"), "1");
	form_free(f);
}

static void
test_malformed(void **state)
{
	bad_with("multipart/form-data", D "--", sizeof D + 1, &limits,
	         "no boundary");
	bad_with("text/plain", D "--", sizeof D + 1, &limits,
	         "not multipart/form-data");
	BAD("no delimiter here", "no delimiter");
	BAD("--b0undar\r\n" CD "a\r\n\r\n1\r\n--b0undar--", "no delimiter");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n", "part 1: no closing delimiter");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n" D, "no closing delimiter");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n" D "\r\n", "no closing delimiter");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n" D "-", "not followed by CRLF");
	BAD(D "x\r\n" CD "a\r\n\r\n1\r\n" D "--", "not followed by CRLF");
	BAD(D "\n" CD "a\n\n1\n" D "--", "not followed by CRLF");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n" D "x\r\n" D "--",
	    "part 1: delimiter not followed by CRLF");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n" D "--x", "garbage after the closing");
	BAD(D "\r\n: x\r\n" CD "a\r\n\r\n1\r\n" D "--",
	    "part 1: header without a name");
	BAD(D "\r\n" CD "a\r\n more\r\n\r\n1\r\n" D "--",
	    "part 1: header without a name");
	BAD(D "\r\nContent-Disposition form-data\r\n\r\n1\r\n" D "--",
	    "part 1: header without a colon");
	BAD(D "\r\nX-A : b\r\n" CD "a\r\n\r\n1\r\n" D "--",
	    "header without a colon");
	BAD(D "\r\n" CD "a\r\n\r\n1\r\n" D "\r\nX-A: b\r\n\r\n2\r\n" D "--",
	    "part 2: no Content-Disposition");
	BAD(D "\r\n\r\n1\r\n" D "--", "part 1: no Content-Disposition");
	BAD(D "\r\n\r\n" D "--", "part 1: headers not ended");
	BAD(D "\r\n" CD "a\r\n" D "--", "headers not ended");
	BAD(D "\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n" D "--",
	    "not form-data");
	BAD(D "\r\nContent-Disposition: form-data\r\n\r\n1\r\n" D "--",
	    "without a name");
	BAD(D "\r\nContent-Disposition: form-data; filename=a\r\n\r\n1\r\n" D
	      "--",
	    "without a name");
	BAD(D "\r\n" CD "a\r\n" CD "b\r\n\r\n1\r\n" D "--",
	    "repeated Content-Disposition");
	BAD(D "\r\n" CD "a; name=b\r\n\r\n1\r\n" D "--",
	    "bad Content-Disposition");
	BAD(D "\r\n" CD "\"a\r\n\r\n1\r\n" D "--", "bad Content-Disposition");
	BAD(D "\r\n" CD "\"a\"b\r\n\r\n1\r\n" D "--",
	    "bad Content-Disposition");
	BAD(D "\r\n" CD "a\x01\r\n\r\n1\r\n" D "--", "control character");
	BAD(D "\r\n" CD "\"a\x00\"\r\n\r\n1\r\n" D "--", "control character");
	BAD(D "\r\n" CD "\"a\rb\"\r\n\r\n1\r\n" D "--", "control character");
}

static void
test_text_rules(void **state)
{
	struct multipart_limits two = {2, 4, 0, 0, 0};
	static const char five[] = D "\r\n" CD "a\r\n\r\n12345\r\n" D "--";
	static const char four[] = D "\r\n" CD "a\r\n\r\n1234\r\n" D "--";
	static const char three[] =
	    D "\r\n" CD "a\r\n\r\n1\r\n" D "\r\n" CD "b\r\n\r\n2\r\n" D
	      "\r\n" CD "c\r\n\r\n3\r\n" D "--";
	static const char files[] =
	    D "\r\n" CD "a\r\n\r\n1\r\n" D "\r\n" CD
	      "f; filename=x\r\n\r\n123456789\r\n" D "\r\n" CD
	      "g; filename=y\r\n\r\n\r\n" D "\r\n" CD "b\r\n\r\n2\r\n" D "--";
	struct form *f = NULL;
	size_t nfiles = 0;
	char *cause = NULL;

	BAD(D "\r\n" CD "a\r\n\r\n1\x00"
	      "2\r\n" D "--",
	    "part 1: NUL byte");
	BAD(D "\r\n" CD "a\r\n\r\n\xc3\x28\r\n" D "--", "invalid UTF-8");
	BAD(D "\r\n" CD "a\r\n\r\n\xed\xa0\x80\r\n" D "--", "invalid UTF-8");
	BAD(D "\r\n" CD "\"\xff\"\r\n\r\n1\r\n" D "--", "invalid UTF-8");
	BAD(D "\r\n" CD
	      "a\r\nContent-Transfer-Encoding: base64\r\n\r\nMQ==\r\n" D "--",
	    "transfer encoding");
	/* A text field over the limit; exactly at it is fine. */
	bad_with(CT, five, sizeof five - 1, &two,
	         "part 1: text field too large");
	assert_int_equal(
	    parse(CT, four, sizeof four - 1, &two, &f, &nfiles, &cause), 0);
	assert_string_equal(form_get(f, "a"), "1234");
	form_free(f);
	bad_with(CT, three, sizeof three - 1, &two, "more than 2 fields");
	/* Files count against neither limit. */
	assert_int_equal(
	    parse(CT, files, sizeof files - 1, &two, &f, &nfiles, &cause), 0);
	assert_int_equal(nfiles, 2);
	assert_int_equal(form_count(f), 2);
	form_free(f);
}

/* ---- files kept ------------------------------------------------------- */

static const struct multipart_limits keep = {8, 64, 2, 16, 20};

/* multipart_read of an exact-size copy. */
static int
read_up(const char *s, size_t len, const struct multipart_limits *lim,
        struct multipart_upload *up, char **cause)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rv;

	memcpy(copy, s, len);
	*cause = NULL;
	rv = multipart_read(CT, copy, len, lim, up, cause);
	free(copy);
	return rv;
}

static void
test_files_kept(void **state)
{
	static const char body[] =
	    D "\r\n" CD "\"practice\"\r\n\r\nA81001\r\n" D "\r\n" CD
	      "\"file\"; filename=\"m\xc3\xa9mbers.csv\"\r\nContent-Type: "
	      "text/csv\r\n\r\nemail\r\n\x00\xff\r\n" D "\r\n" CD
	      "\"empty\"; filename=\"\"\r\nContent-Type: "
	      "application/octet-stream\r\n\r\n\r\n" D "--\r\n";
	struct multipart_upload up;
	const struct multipart_file *f;
	char *cause = NULL;

	assert_int_equal(read_up(body, sizeof body - 1, &keep, &up, &cause), 0);
	assert_string_equal(form_get(up.form, "practice"), "A81001");
	/* The empty file input is not a file. */
	assert_int_equal(up.nfiles, 1);
	f = multipart_file(&up, "file");
	assert_non_null(f);
	assert_string_equal(f->filename, "m\xc3\xa9mbers.csv");
	assert_string_equal(f->type, "text/csv");
	/* Binary bytes, CRLF and NUL included, exactly. */
	assert_int_equal(f->len, 9);
	assert_memory_equal(f->data, "email\r\n\x00\xff", 9);
	assert_null(multipart_file(&up, "empty"));
	assert_null(form_get(up.form, "file"));
	multipart_upload_clear(&up);
}

/* A failure of multipart_read: *cause has what, too_large as expected. */
static void
read_bad(const char *s, size_t len, const char *what, int too_large)
{
	struct multipart_upload up;
	char *cause = NULL;

	assert_int_equal(read_up(s, len, &keep, &up, &cause), -1);
	assert_non_null(strstr(cause, what));
	assert_int_equal(up.too_large, too_large);
	free(cause);
	multipart_upload_clear(&up);
}

static void
test_file_limits(void **state)
{
	static const char sixteen[] =
	    D "\r\n" CD "f; filename=a\r\n\r\n0123456789abcdef\r\n" D "--";
	static const char seventeen[] =
	    D "\r\n" CD "f; filename=a\r\n\r\n0123456789abcdefg\r\n" D "--";
	static const char total[] =
	    D "\r\n" CD "f; filename=a\r\n\r\n0123456789\r\n" D "\r\n" CD
	      "g; filename=b\r\n\r\n0123456789x\r\n" D "--";
	static const char three[] =
	    D "\r\n" CD "f; filename=a\r\n\r\n1\r\n" D "\r\n" CD
	      "g; filename=b\r\n\r\n2\r\n" D "\r\n" CD
	      "h; filename=c\r\n\r\n3\r\n" D "--";
	static const char b64[] =
	    D "\r\n" CD "f; filename=a\r\nContent-Transfer-Encoding: "
	      "base64\r\n\r\nMQ==\r\n" D "--";
	static const char unclosed[] = D "\r\n" CD "f; filename=a\r\n\r\n1";
	struct multipart_upload up;
	char *cause = NULL;

	assert_int_equal(
	    read_up(sixteen, sizeof sixteen - 1, &keep, &up, &cause), 0);
	assert_int_equal(up.files[0].len, 16);
	multipart_upload_clear(&up);
	read_bad(seventeen, sizeof seventeen - 1, "part 1: file too large", 1);
	read_bad(total, sizeof total - 1, "part 2: files too large together",
	         1);
	read_bad(three, sizeof three - 1, "part 3: too many files", 1);
	read_bad(b64, sizeof b64 - 1, "file with a transfer encoding", 0);
	/* A syntax error is not a size error. */
	read_bad(unclosed, sizeof unclosed - 1, "no closing delimiter", 0);
}

static void
test_filename_ok(void **state)
{
	assert_true(multipart_filename_ok("members.csv"));
	assert_true(multipart_filename_ok("Minutes 5 March (final).pdf"));
	assert_true(multipart_filename_ok("r\xc3\xa9sum\xc3\xa9.txt"));
	assert_false(multipart_filename_ok(NULL));
	assert_false(multipart_filename_ok(""));
	assert_false(multipart_filename_ok("."));
	assert_false(multipart_filename_ok(".."));
	assert_false(multipart_filename_ok("../../etc/passwd"));
	assert_false(multipart_filename_ok("C:\\Users\\pm\\members.csv"));
	assert_false(multipart_filename_ok("a\r\nSet-Cookie: x"));
	assert_false(multipart_filename_ok("a\nb"));
	assert_false(multipart_filename_ok("a\tb"));
	assert_false(multipart_filename_ok("a\x7f"));
	assert_false(multipart_filename_ok("\xff.pdf"));
}

/* ---- the Mailgun route ------------------------------------------------ */

static void
test_webhook_accepts(void **state)
{
	assert_true(webhook_accepts(WH_MAILGUN_EMAIL, NULL));
	assert_true(webhook_accepts(WH_MAILGUN_EMAIL,
	                            "application/x-www-form-urlencoded"));
	assert_true(webhook_accepts(WH_MAILGUN_EMAIL, URLLIB3_CT));
	assert_false(webhook_accepts(WH_MAILGUN_EMAIL, "multipart/mixed; b=x"));
	assert_false(webhook_accepts(WH_TWILIO_SMS, URLLIB3_CT));
	assert_false(webhook_accepts(WH_NOTIFY_SMS, URLLIB3_CT));
	assert_true(webhook_accepts(WH_NOTIFY_SMS, "application/json"));
}

static void
test_webhook_parse_multipart(void **state)
{
	struct webhook_in in;
	char *cause = NULL;

	assert_int_equal(webhook_parse_as(WH_MAILGUN_EMAIL, URLLIB3_CT,
	                                  urllib3_body, sizeof urllib3_body - 1,
	                                  &in, &cause),
	                 0);
	assert_int_equal(in.attachments, 1);
	assert_string_equal(form_get(in.form, "sender"), "ann@example.org");
	/* The raw row keeps the text fields, not the attachment. */
	assert_string_equal(in.raw,
	                    "sender=ann%40example.org&recipient=reply%2Btok%40"
	                    "reply.example.org&stripped-text=Caf%C3%A9+on+"
	                    "Tuesday%0D%0A--+%0D%0AAnn&attachment-count=1");
	webhook_in_clear(&in);
	assert_int_equal(webhook_parse_as(WH_TWILIO_SMS, URLLIB3_CT,
	                                  urllib3_body, sizeof urllib3_body - 1,
	                                  &in, &cause),
	                 -1);
	assert_string_equal(cause, "unsupported content type");
	free(cause);
	assert_int_equal(webhook_parse_as(WH_MAILGUN_EMAIL, URLLIB3_CT,
	                                  urllib3_body, 40, &in, &cause),
	                 -1);
	assert_non_null(strstr(cause, "malformed multipart body: "));
	assert_null(in.form);
	free(cause);
}

/* Without Mailgun's attachment-count, the one counted is recorded. */
static void
test_webhook_attachment_count(void **state)
{
	static const char body[] =
	    D "\r\n" CD "sender\r\n\r\na@b\r\n" D "\r\n" CD
	      "attachment-1; filename=\"p.png\"\r\n\r\n\x89PNG"
	      "\r\n" D "\r\n" CD "attachment-2; filename=\"q.png\"\r\n\r\n\x00"
	      "\r\n" D "--\r\n";
	struct webhook_in in;
	char *cause = NULL;

	assert_int_equal(webhook_parse_as(WH_MAILGUN_EMAIL, CT, body,
	                                  sizeof body - 1, &in, &cause),
	                 0);
	assert_int_equal(in.attachments, 2);
	assert_string_equal(form_get(in.form, "attachment-count"), "2");
	assert_string_equal(in.raw, "sender=a%40b&attachment-count=2");
	webhook_in_clear(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_is_form_data),
	    cmocka_unit_test(test_boundary),
	    cmocka_unit_test(test_urllib3_body),
	    cmocka_unit_test(test_unquoted_and_quoted),
	    cmocka_unit_test(test_value_with_dash_lines),
	    cmocka_unit_test(test_preamble_and_epilogue),
	    cmocka_unit_test(test_preamble),
	    cmocka_unit_test(test_binary_attachment),
	    cmocka_unit_test(test_empty_values_and_forms),
	    cmocka_unit_test(test_duplicates_and_case),
	    cmocka_unit_test(test_len_bounds_input),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_text_rules),
	    cmocka_unit_test(test_files_kept),
	    cmocka_unit_test(test_file_limits),
	    cmocka_unit_test(test_filename_ok),
	    cmocka_unit_test(test_webhook_accepts),
	    cmocka_unit_test(test_webhook_parse_multipart),
	    cmocka_unit_test(test_webhook_attachment_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
