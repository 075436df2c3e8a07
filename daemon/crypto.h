/* Security primitives: encodings, hashes, tokens, webhook signatures, JWT. */
#ifndef PPGD_CRYPTO_H
#define PPGD_CRYPTO_H

#include <stddef.h>

struct form;

/* Base64 (standard, with padding) of len bytes. Caller frees. */
char *crypto_base64(const unsigned char *, size_t);
/* Base64url without padding of len bytes. Caller frees. */
char *crypto_base64url(const unsigned char *, size_t);
/* 1 if a and b are equal strings, in time independent of their content. */
int crypto_equal(const char *a, const char *b);
/* Lowercase hex SHA-256 of len bytes into out (64 chars + NUL). */
void crypto_sha256_hex(const void *, size_t, char out[65]);
/* A new random token (16 bytes, base64url: 22 chars); -1 if RAND fails. */
int crypto_token_new(char out[23]);
/* The stored form of a token: hex SHA-256 of it. */
void crypto_token_hash(const char *token, char out[65]);
/*
 * Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth_token, url + key+value
 * of each POST param sorted by key then value)); identical pairs count once,
 * as in Twilio's helper libraries. Caller frees.
 */
char *crypto_twilio_signature(const char *auth_token, const char *url,
                              const struct form *params);
/* 1 if header is the Twilio signature (constant time); 0 if the token is "". */
int crypto_twilio_verify(const char *auth_token, const char *url,
                         const struct form *params, const char *header);
/* 1 if signature is hex HMAC-SHA256(key, timestamp + token); 0 if key is "". */
int crypto_mailgun_verify(const char *key, const char *timestamp,
                          const char *token, const char *signature);
/* A GOV.UK Notify JWT: HS256 over {"iss": iss, "iat": iat}. Caller frees. */
char *crypto_jwt_hs256(const char *iss, const char *secret, long iat);
/*
 * Split a Notify API key "keyname-<service id uuid>-<secret uuid>" into its
 * service id and secret (caller frees both); -1 with *cause if malformed.
 */
int crypto_notify_key_split(const char *api_key, char **service_id,
                            char **secret, char **cause);

#endif
