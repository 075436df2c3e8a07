/*
 * TOTP (RFC 6238). The secret is 20 random bytes, shown to the user once as
 * base32 and as a QR code of its otpauth:// URI; the code is HMAC-SHA1 of
 * the 30-second step, dynamically truncated to 6 digits (RFC 4226 5.3).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

#include "totp.h"
#include "xmalloc.h"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void
totp_base32(const unsigned char *in, size_t len, char *out)
{
	unsigned buf = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

int
totp_base32_decode(const char *s, unsigned char *out, size_t max)
{
	unsigned buf = 0;
	int bits = 0;
	size_t o = 0;
	const char *p;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '=' || *s == '-')
			continue;
		if ((p = strchr(b32, toupper((unsigned char)*s))) == NULL ||
		    *s == '\0')
			return -1;
		buf = (buf << 5) | (unsigned)(p - b32);
		bits += 5;
		if (bits >= 8) {
			if (o == max)
				return -1;
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)o;
}

int
totp_code(const char *secret, uint64_t counter)
{
	unsigned char key[64], msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int klen, i, off;
	uint32_t bin;

	if ((klen = totp_base32_decode(secret, key, sizeof key)) < 10)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, klen, msg, sizeof msg, mac, &maclen) == NULL)
		return -1;
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	      ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	      mac[off + 3];
	return (int)(bin % 1000000);
}

int
totp_verify(const char *secret, const char *code, int64_t now, int64_t *step)
{
	char want[12], got[7];
	size_t n = 0;
	int64_t t = now / 30, d;
	int ok = 0, c;
	const char *s;

	for (s = code; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (!isdigit((unsigned char)*s) || n == 6)
			return 0;
		got[n++] = *s;
	}
	got[n] = '\0';
	if (n != 6)
		return 0;
	for (d = -1; d <= 1; d++) {
		if ((c = totp_code(secret, (uint64_t)(t + d))) < 0)
			return 0;
		snprintf(want, sizeof want, "%06d", c);
		/* Constant time: every step is compared, whatever matched. */
		if (CRYPTO_memcmp(want, got, 6) == 0 && !ok) {
			ok = 1;
			*step = t + d;
		}
	}
	return ok;
}

/* Percent-encode for a URI component. Caller frees. */
static char *
pct(const char *s)
{
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~@", *s) != NULL)
			*o++ = *s;
		else
			o += sprintf(o, "%%%02X", (unsigned char)*s);
	}
	*o = '\0';
	return out;
}

char *
totp_uri(const char *issuer, const char *account, const char *secret)
{
	char *i = pct(issuer), *a = pct(account), *u;

	u = xasprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
	              "&digits=6&period=30",
	              i, a, secret, i);
	free(i);
	free(a);
	return u;
}
