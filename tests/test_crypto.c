/* Tests for crypto.c against published vectors and independent recomputation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "form.h"

#define TW_TOKEN "12345"
#define TW_URL   "https://mycompany.com/myapp.php?foo=1&bar=2"
/* twilio-python tests/unit/test_request_validator.py (also twilio-php,
 * -csharp). */
#define TW_SIG "RSOYDt4T1cUTdK1PDd93/VVr8B8="

/* The published request, fields deliberately out of order. */
static struct form *
twilio_params(const char *number)
{
	struct form *f = form_new();

	form_add(f, "To", "+18005551212");
	form_add(f, "Digits", "1234");
	form_add(f, "CallSid", "CA1234567890ABCDE");
	form_add(f, "From", number);
	form_add(f, "Caller", number);
	return f;
}

static void
expect_b64(const char *in, const char *std, const char *url)
{
	char *s = crypto_base64((const unsigned char *)in, strlen(in));
	char *u = crypto_base64url((const unsigned char *)in, strlen(in));

	assert_string_equal(s, std);
	assert_string_equal(u, url);
	free(s);
	free(u);
}

static void
test_base64(void **state)
{
	/* RFC 4648 section 10. */
	expect_b64("", "", "");
	expect_b64("f", "Zg==", "Zg");
	expect_b64("fo", "Zm8=", "Zm8");
	expect_b64("foo", "Zm9v", "Zm9v");
	expect_b64("foob", "Zm9vYg==", "Zm9vYg");
	expect_b64("fooba", "Zm9vYmE=", "Zm9vYmE");
	expect_b64("foobar", "Zm9vYmFy", "Zm9vYmFy");
	/* The two alphabets differ in 62 and 63. */
	expect_b64("\xfb\xef\xbe", "++++", "----");
	expect_b64("\xff\xff\xff", "////", "____");
	expect_b64("\xfb\xff", "+/8=", "-_8");
}

static void
test_equal(void **state)
{
	assert_int_equal(crypto_equal("abc", "abc"), 1);
	assert_int_equal(crypto_equal("", ""), 1);
	assert_int_equal(crypto_equal("abc", "abd"), 0);
	assert_int_equal(crypto_equal("abd", "abc"), 0);
	assert_int_equal(crypto_equal("abc", "abcd"), 0);
	assert_int_equal(crypto_equal("abcd", "abc"), 0);
	assert_int_equal(crypto_equal("", "a"), 0);
	assert_int_equal(crypto_equal(NULL, "a"), 0);
	assert_int_equal(crypto_equal("a", NULL), 0);
}

static void
test_sha256(void **state)
{
	char out[65];

	/* FIPS 180-2 appendix B.1 and the empty string. */
	crypto_sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
	                         "27ae41e4649b934ca495991b7852b855");
	crypto_token_hash("abc", out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
}

static int
cmp_token(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_token(void **state)
{
	enum { N = 2000 };
	char(*t)[23] = calloc(N, sizeof *t);
	char hash[65], direct[65];
	size_t i, j;

	for (i = 0; i < N; i++) {
		assert_int_equal(crypto_token_new(t[i]), 0);
		assert_int_equal(strlen(t[i]), 22);
		assert_int_equal(strspn(t[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                              "abcdefghijklmnopqrstuvwxyz"
		                              "0123456789-_"),
		                 22);
		/* 16 bytes leave the last character's low 2 bits zero. */
		assert_non_null(strchr("AQgw", t[i][21]));
	}
	qsort(t, N, sizeof *t, cmp_token);
	for (i = 1; i < N; i++)
		assert_string_not_equal(t[i - 1], t[i]);
	crypto_token_hash(t[0], hash);
	crypto_sha256_hex(t[0], 22, direct);
	assert_string_equal(hash, direct);
	for (j = 0; j < 64; j++)
		assert_non_null(strchr("0123456789abcdef", hash[j]));
	free(t);
}

static void
test_twilio_published_vector(void **state)
{
	struct form *f = twilio_params("+14158675309");
	char *sig = crypto_twilio_signature(TW_TOKEN, TW_URL, f);

	assert_string_equal(sig, TW_SIG);
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, TW_SIG), 1);
	free(sig);
	form_free(f);
}

static void
test_twilio_other_numbers(void **state)
{
	/*
	 * The same request with +12349013030 (as in Twilio's docs snippets,
	 * which sign https://example.com/myapp with an undisclosed token):
	 * computed here with Python's hmac, hashlib and base64.
	 */
	struct form *f = twilio_params("+12349013030");
	char *sig = crypto_twilio_signature(TW_TOKEN, TW_URL, f);

	assert_string_equal(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, TW_SIG), 0);
	free(sig);
	form_free(f);
}

static void
test_twilio_duplicates(void **state)
{
	/* twilio-python (MultiDict) and twilio-php (array with a repeat). */
	struct form *f = form_new();

	form_add(f, "Sid", "CA123");
	form_add(f, "SidAccount", "AC123");
	form_add(f, "Digits", "5678");
	form_add(f, "Digits", "1234");
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f,
	                                      "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
	                 1);
	form_add(f, "Digits", "1234");
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f,
	                                      "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
	                 1);
	form_free(f);
}

/* The signature with one bit of its MAC flipped, re-encoded. */
static char *
flip_bit(const char *b64, int bit)
{
	unsigned char raw[64];
	int n =
	    EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)strlen(b64));

	assert_int_equal(n, 21); /* 20 bytes plus one of padding */
	raw[bit / 8] ^= (unsigned char)(1 << (bit % 8));
	return crypto_base64(raw, 20);
}

static void
test_twilio_rejects(void **state)
{
	struct form *f = twilio_params("+14158675309"), *g;
	char *bad;
	int bit;

	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, "FAIL"), 0);
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, ""), 0);
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, NULL), 0);
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f,
	                                      "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
	                 0);
	for (bit = 0; bit < 160; bit += 13) {
		bad = flip_bit(TW_SIG, bit);
		assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, bad),
		                 0);
		free(bad);
	}
	/* One bit changed in the token, the URL or a value ('4' ^ 1). */
	assert_int_equal(crypto_twilio_verify("12344", TW_URL, f, TW_SIG), 0);
	assert_int_equal(crypto_twilio_verify(TW_TOKEN,
	                                      "https://mycompany.com/myapp."
	                                      "php?foo=1&bar=3",
	                                      f, TW_SIG),
	                 0);
	assert_int_equal(crypto_twilio_verify("", TW_URL, f, TW_SIG), 0);
	g = form_new();
	form_add(g, "CallSid", "CA1234567890ABCDE");
	form_add(g, "Caller", "+14158675309");
	form_add(g, "Digits", "1235");
	form_add(g, "From", "+14158675309");
	form_add(g, "To", "+18005551212");
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, g, TW_SIG), 0);
	/* An extra parameter must be signed too. */
	form_add(g, "Digits", "1234");
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, g, TW_SIG), 0);
	form_free(g);
	form_free(f);
}

static void
test_twilio_parsed_body(void **state)
{
	const char *body = "Digits=1234&To=%2B18005551212&From=%2B14158675309"
	                   "&Caller=%2B14158675309&CallSid=CA1234567890ABCDE";
	struct form *f;
	char *cause = NULL;

	assert_int_equal(form_parse(body, strlen(body), 64, &f, &cause), 0);
	assert_int_equal(crypto_twilio_verify(TW_TOKEN, TW_URL, f, TW_SIG), 1);
	form_free(f);
}

/* RFC 4231 test cases 1-4, 6, 7 (5 is truncated output), data split in two. */
static void
test_mailgun_rfc4231(void **state)
{
	static const struct {
		const char *key, *ts, *token, *hex;
	} v[] = {
	    {"\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
	     "\x0b\x0b\x0b\x0b\x0b",
	     "Hi ", "There",
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cf"
	     "f7"},
	    {"Jefe", "what do ya want ", "for nothing?",
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec38"
	     "43"},
	    {NULL, NULL, NULL,
	     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565"
	     "fe"},
	    {"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	     "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19",
	     NULL, NULL,
	     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff4672966"
	     "5b"},
	    {NULL, "Test Using Larger Than Block-Size Key - ", "Hash Key First",
	     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f"
	     "54"},
	    {NULL,
	     "This is a test using a larger than block-size key and a larger "
	     "than block-size data. ",
	     "The key needs to be hashed before being used by the HMAC "
	     "algorithm.",
	     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35"
	     "e2"},
	};
	char aa20[21], aa131[132], dd[51], cd[51];
	const char *key, *ts, *token;
	size_t i;

	memset(aa20, 0xaa, 20);
	aa20[20] = '\0';
	memset(aa131, 0xaa, 131);
	aa131[131] = '\0';
	memset(dd, 0xdd, 50);
	dd[50] = '\0';
	memset(cd, 0xcd, 50);
	cd[50] = '\0';
	/* NULL stands for the long binary keys and data built above. */
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		key = v[i].key != NULL ? v[i].key : (i == 2 ? aa20 : aa131);
		ts = v[i].ts != NULL ? v[i].ts : (i == 2 ? dd : cd);
		token = v[i].token != NULL ? v[i].token : "";
		assert_int_equal(
		    crypto_mailgun_verify(key, ts, token, v[i].hex), 1);
	}
}

static void
test_mailgun_rejects(void **state)
{
	const char *good = "5bdcc146bf60754e6a042426089575c75a003f089d2739839d"
	                   "ec58b964ec3843";
	const char *upper = "5BDCC146BF60754E6A042426089575C75A003F089D2739839D"
	                    "EC58B964EC3843";
	const char *ts = "what do ya want ", *tok = "for nothing?";

	assert_int_equal(crypto_mailgun_verify("Jefe", ts, tok, good), 1);
	assert_int_equal(crypto_mailgun_verify("Jefe", ts, tok, upper), 0);
	assert_int_equal(crypto_mailgun_verify("Jefd", ts, tok, good), 0);
	assert_int_equal(
	    crypto_mailgun_verify("Jefe", "what do ya want!", tok, good), 0);
	/* Moving the split point keeps the signed bytes: documented, not a bug.
	 */
	assert_int_equal(crypto_mailgun_verify("Jefe", "what do ya want",
	                                       " for nothing?", good),
	                 1);
	assert_int_equal(crypto_mailgun_verify("Jefe", ts, tok, ""), 0);
	assert_int_equal(crypto_mailgun_verify("Jefe", ts, tok, NULL), 0);
	assert_int_equal(crypto_mailgun_verify("", ts, tok, good), 0);
	assert_int_equal(crypto_mailgun_verify(NULL, ts, tok, good), 0);
}

/* Decode one base64url JWT part (no padding). Caller frees. */
static char *
b64url_decode(const char *s, size_t len)
{
	size_t padded = (len + 3) / 4 * 4, i;
	char *std = calloc(1, padded + 1);
	unsigned char *out = calloc(1, padded + 1);
	int n;

	for (i = 0; i < padded; i++) {
		char c = i < len ? s[i] : '=';
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	n = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
	assert_true(n >= 0);
	out[n - (int)(padded - len)] = '\0';
	free(std);
	return (char *)out;
}

static void
test_jwt_independent(void **state)
{
	const char *iss = "26785a09-ab16-4eb0-8407-a37497a57506";
	const char *secret = "3d844edf-8d35-48ac-975b-e847b4f122b0";
	char *jwt = crypto_jwt_hs256(iss, secret, 1700000000L);
	const char *dot1, *dot2;
	unsigned char md[32];
	unsigned int mdlen = sizeof md;
	char *header, *claims, *sig;
	json_t *h, *c;

	assert_non_null(jwt);
	/* base64url without padding throughout. */
	assert_int_equal(strcspn(jwt, "+/="), strlen(jwt));
	assert_non_null(dot1 = strchr(jwt, '.'));
	assert_non_null(dot2 = strchr(dot1 + 1, '.'));
	assert_null(strchr(dot2 + 1, '.'));
	header = b64url_decode(jwt, (size_t)(dot1 - jwt));
	claims = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	assert_string_equal(header, "{\"typ\":\"JWT\",\"alg\":\"HS256\"}");
	assert_non_null(c = json_loads(claims, 0, NULL));
	assert_non_null(h = json_loads(header, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(c, "iss")), iss);
	assert_int_equal(json_integer_value(json_object_get(c, "iat")),
	                 1700000000);
	assert_int_equal(json_object_size(c), 2);
	/* Recompute the signature with the one-shot HMAC(), not EVP_MAC. */
	assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
	                     (const unsigned char *)jwt, (size_t)(dot2 - jwt),
	                     md, &mdlen));
	sig = crypto_base64url(md, mdlen);
	assert_string_equal(dot2 + 1, sig);
	json_decref(h);
	json_decref(c);
	free(header);
	free(claims);
	free(sig);
	free(jwt);
}

static void
test_jwt_vector(void **state)
{
	/* Computed with Python's hmac, hashlib and base64. */
	char *jwt = crypto_jwt_hs256("26785a09-ab16-4eb0-8407-a37497a57506",
	                             "3d844edf-8d35-48ac-975b-e847b4f122b0",
	                             1700000000L);

	assert_string_equal(
	    jwt, "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
	         "eyJpc3MiOiIyNjc4NWEwOS1hYjE2LTRlYjAtODQwNy1hMzc0OTdhNTc1MDYiL"
	         "CJpYXQiOjE3MDAwMDAwMDB9."
	         "q1v0ZBAPOtT5-Ng39fZDm8ojJu-wrEQD-OrsVHHKnIM");
	free(jwt);
	/* An iss that is not UTF-8 cannot be put in JSON. */
	assert_null(crypto_jwt_hs256("\xff", "secret", 1));
}

static void
test_notify_key(void **state)
{
	const char *svc = "26785a09-ab16-4eb0-8407-a37497a57506";
	const char *sec = "3d844edf-8d35-48ac-975b-e847b4f122b0";
	char *key, *s = NULL, *k = NULL, *cause = NULL;

	key = "my-test-key-26785a09-ab16-4eb0-8407-a37497a57506-"
	      "3d844edf-8d35-48ac-975b-e847b4f122b0";
	assert_int_equal(crypto_notify_key_split(key, &s, &k, &cause), 0);
	assert_string_equal(s, svc);
	assert_string_equal(k, sec);
	free(s);
	free(k);
}

static void
expect_bad_key(const char *key)
{
	char *s = NULL, *k = NULL, *cause = NULL;

	assert_int_equal(crypto_notify_key_split(key, &s, &k, &cause), -1);
	assert_non_null(cause);
	assert_null(s);
	assert_null(k);
	/* The cause must not echo the secret. */
	assert_null(strstr(cause, "3d844edf"));
	free(cause);
}

static void
test_notify_key_bad(void **state)
{
	expect_bad_key("");
	expect_bad_key("3d844edf-8d35-48ac-975b-e847b4f122b0");
	/* No key name. */
	expect_bad_key("-26785a09-ab16-4eb0-8407-a37497a57506-"
	               "3d844edf-8d35-48ac-975b-e847b4f122b0");
	/* No hyphen between the name and the service id. */
	expect_bad_key("name_26785a09-ab16-4eb0-8407-a37497a57506-"
	               "3d844edf-8d35-48ac-975b-e847b4f122b0");
	/* Not hex. */
	expect_bad_key("name-26785a09-ab16-4eb0-8407-a37497a57506-"
	               "3d844edf-8d35-48ac-975b-e847b4f122bg");
	/* A trailing newline left from a secret file. */
	expect_bad_key("name-26785a09-ab16-4eb0-8407-a37497a57506-"
	               "3d844edf-8d35-48ac-975b-e847b4f122b0\n");
	/* Hyphen in the wrong place. */
	expect_bad_key("name-26785a09ab16-4eb0-8407-a37497a57506-"
	               "-3d844edf-8d35-48ac-975b-e847b4f122b0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_twilio_published_vector),
	    cmocka_unit_test(test_twilio_other_numbers),
	    cmocka_unit_test(test_twilio_duplicates),
	    cmocka_unit_test(test_twilio_rejects),
	    cmocka_unit_test(test_twilio_parsed_body),
	    cmocka_unit_test(test_mailgun_rfc4231),
	    cmocka_unit_test(test_mailgun_rejects),
	    cmocka_unit_test(test_jwt_independent),
	    cmocka_unit_test(test_jwt_vector),
	    cmocka_unit_test(test_notify_key),
	    cmocka_unit_test(test_notify_key_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
