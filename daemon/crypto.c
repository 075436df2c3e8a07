/* Security primitives on OpenSSL libcrypto 3: nothing here rolls its own. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "form.h"
#include "log.h"
#include "xmalloc.h"

/* EVP_EncodeBlock takes an int length: feed it whole 3-byte groups. */
#define BASE64_CHUNK (3u << 20)

#define JWT_HEADER "{\"typ\":\"JWT\",\"alg\":\"HS256\"}"
#define UUID_LEN   36

char *
crypto_base64(const unsigned char *p, size_t len)
{
	size_t n, o = 0;
	unsigned char *out;

	if (len / 3 >= (SIZE_MAX - 5) / 4)
		fatalx("crypto_base64: input too large");
	out = xmalloc(4 * ((len + 2) / 3) + 1);
	out[0] = '\0';
	while (len > 0) {
		n = len < BASE64_CHUNK ? len : BASE64_CHUNK;
		o += (size_t)EVP_EncodeBlock(out + o, p, (int)n);
		p += n;
		len -= n;
	}
	return (char *)out;
}

char *
crypto_base64url(const unsigned char *p, size_t len)
{
	char *s = crypto_base64(p, len), *c;

	for (c = s; *c != '\0' && *c != '='; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	*c = '\0';
	return s;
}

int
crypto_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	return (CRYPTO_memcmp(a, b, la < lb ? la : lb) == 0) & (la == lb);
}

static void
crypto_hex(const unsigned char *p, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
crypto_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		fatalx("crypto_sha256_hex: EVP_Digest failed");
	crypto_hex(md, mdlen, out);
}

int
crypto_token_new(char out[23])
{
	unsigned char raw[16];
	char *s;

	if (RAND_bytes(raw, sizeof raw) != 1) {
		log_warnx("crypto_token_new: RAND_bytes failed");
		return -1;
	}
	s = crypto_base64url(raw, sizeof raw);
	memcpy(out, s, 23);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(s, 23);
	free(s);
	return 0;
}

void
crypto_token_hash(const char *token, char out[65])
{
	crypto_sha256_hex(token, strlen(token), out);
}

/* An HMAC context keyed with key over the named digest ("SHA1", "SHA256"). */
static EVP_MAC_CTX *
mac_begin(const char *digest, const char *key)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		fatalx("EVP_MAC_fetch HMAC failed");
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (ctx == NULL)
		fatalx("EVP_MAC_CTX_new failed");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key),
	                 params) != 1)
		fatalx("EVP_MAC_init %s failed", digest);
	return ctx;
}

static void
mac_update(EVP_MAC_CTX *ctx, const char *s)
{
	if (EVP_MAC_update(ctx, (const unsigned char *)s, strlen(s)) != 1)
		fatalx("EVP_MAC_update failed");
}

/* Finish into md and free ctx; returns the MAC's length. */
static size_t
mac_end(EVP_MAC_CTX *ctx, unsigned char md[EVP_MAX_MD_SIZE])
{
	size_t len;

	if (EVP_MAC_final(ctx, md, &len, EVP_MAX_MD_SIZE) != 1)
		fatalx("EVP_MAC_final failed");
	EVP_MAC_CTX_free(ctx);
	return len;
}

struct kv {
	const char *k;
	const char *v;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c != 0 ? c : strcmp(x->v, y->v);
}

char *
crypto_twilio_signature(const char *auth_token, const char *url,
                        const struct form *params)
{
	size_t i, n = params != NULL ? form_count(params) : 0;
	struct kv *kv = xreallocarray(NULL, n + 1, sizeof *kv);
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MAC_CTX *ctx;

	for (i = 0; i < n; i++) {
		kv[i].k = form_key(params, i);
		kv[i].v = form_value(params, i);
	}
	qsort(kv, n, sizeof *kv, kv_cmp);
	ctx = mac_begin("SHA1", auth_token);
	mac_update(ctx, url);
	for (i = 0; i < n; i++) {
		if (i > 0 && kv_cmp(&kv[i - 1], &kv[i]) == 0)
			continue;
		mac_update(ctx, kv[i].k);
		mac_update(ctx, kv[i].v);
	}
	free(kv);
	return crypto_base64(md, mac_end(ctx, md));
}

int
crypto_twilio_verify(const char *auth_token, const char *url,
                     const struct form *params, const char *header)
{
	char *expected;
	int ok;

	if (auth_token == NULL || *auth_token == '\0' || url == NULL ||
	    header == NULL)
		return 0;
	expected = crypto_twilio_signature(auth_token, url, params);
	ok = crypto_equal(expected, header);
	free(expected);
	return ok;
}

int
crypto_mailgun_verify(const char *key, const char *timestamp, const char *token,
                      const char *signature)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MAC_CTX *ctx;

	if (key == NULL || *key == '\0' || timestamp == NULL || token == NULL ||
	    signature == NULL)
		return 0;
	ctx = mac_begin("SHA256", key);
	mac_update(ctx, timestamp);
	mac_update(ctx, token);
	crypto_hex(md, mac_end(ctx, md), hex);
	return crypto_equal(hex, signature);
}

/* base64url of the compact JSON {"iss":iss,"iat":iat}; NULL if iss is bad. */
static char *
jwt_claims(const char *iss, long iat)
{
	json_t *claims;
	char *json, *b64;

	claims = json_pack("{s:s, s:I}", "iss", iss, "iat", (json_int_t)iat);
	if (claims == NULL)
		return NULL;
	json = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(claims);
	if (json == NULL)
		fatalx("jwt_claims: json_dumps failed");
	b64 = crypto_base64url((const unsigned char *)json, strlen(json));
	free(json);
	return b64;
}

char *
crypto_jwt_hs256(const char *iss, const char *secret, long iat)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char *header, *claims, *input, *sig, *jwt;
	EVP_MAC_CTX *ctx;

	if ((claims = jwt_claims(iss, iat)) == NULL)
		return NULL;
	header = crypto_base64url((const unsigned char *)JWT_HEADER,
	                          strlen(JWT_HEADER));
	input = xasprintf("%s.%s", header, claims);
	ctx = mac_begin("SHA256", secret);
	mac_update(ctx, input);
	sig = crypto_base64url(md, mac_end(ctx, md));
	jwt = xasprintf("%s.%s", input, sig);
	free(header);
	free(claims);
	free(input);
	free(sig);
	return jwt;
}

/* 1 if s starts with a UUID in 8-4-4-4-12 hex form. */
static int
uuid_valid(const char *s)
{
	size_t i;

	for (i = 0; i < UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
crypto_notify_key_split(const char *api_key, char **service_id, char **secret,
                        char **cause)
{
	size_t len = strlen(api_key);
	const char *svc, *sec;

	/* keyname, '-', service id, '-', secret: the name is not empty. */
	if (len < 2 * UUID_LEN + 3) {
		*cause = xasprintf("Notify API key is too short");
		return -1;
	}
	sec = api_key + len - UUID_LEN;
	svc = sec - 1 - UUID_LEN;
	if (svc[-1] != '-' || sec[-1] != '-' || !uuid_valid(svc) ||
	    !uuid_valid(sec)) {
		*cause = xasprintf("Notify API key is not "
		                   "keyname-<service id>-<secret key>");
		return -1;
	}
	*service_id = xstrndup(svc, UUID_LEN);
	*secret = xstrdup(sec);
	return 0;
}
