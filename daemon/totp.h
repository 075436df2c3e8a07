/* Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1,
 * 30 s steps, 6 digits), as authenticator apps expect. */
#ifndef PPGD_TOTP_H
#define PPGD_TOTP_H

#include <stddef.h>
#include <stdint.h>

/* RFC 4648 base32 (no padding) of len bytes into out (len*8/5+2). */
void totp_base32(const unsigned char *, size_t len, char *out);
/* Decode base32 (case and spaces ignored); bytes written, or -1. */
int totp_base32_decode(const char *, unsigned char *out, size_t max);
/* The 6-digit code for base32 secret at step counter. -1 if bad secret. */
int totp_code(const char *secret, uint64_t counter);
/*
 * 1 if code is the secret's code at now or one step either side (clock
 * drift), compared in constant time; *step is the matching step, which the
 * caller stores so a code is never accepted twice.
 */
int totp_verify(const char *secret, const char *code, int64_t now,
                int64_t *step);
/* The otpauth:// URI an authenticator app scans. Caller frees. */
char *totp_uri(const char *issuer, const char *account, const char *secret);

#endif
