/* Link tokens derived by HMAC from (kind, run, member): nothing stored. */
#ifndef PPGD_LINKTOKEN_H
#define PPGD_LINKTOKEN_H

#include <stdint.h>

struct config;

/*
 * A token is base64url of: a byte (version << 4 | kind), the run id and
 * the member id as LEB128 varints, and the first LINKTOKEN_MAC bytes of
 * HMAC-SHA256 over those, under the install's key (linktoken_key). A
 * message's links are computed again whenever it is rendered; a link is
 * checked by computing its MAC again (constant-time compare). Tokens of
 * installs before these (random, stored as SHA-256 in `tokens`) are still
 * looked up by the modules that answer them.
 */
enum linktoken_kind {
	LT_SURVEY = 1,
	LT_UNSUBSCRIBE = 2,
	LT_REPLY = 3,
	LT_RSVP = 4,
};

#define LINKTOKEN_MAC 10
/* The longest token (two 9-byte varints) and its NUL. */
#define LINKTOKEN_MAX 44

/*
 * Load the key: [security] token_key_file if set (read by config), else
 * DATABASE.token-key, made with the CSPRNG (mode 0600) when missing. 0, or
 * -1 with *cause. Later calls reuse it; linktoken_make and
 * linktoken_parse call it themselves.
 */
int linktoken_key(const struct config *, char **cause);
/* Token for (kind, run, member) into out; 0, or -1 with *cause (no key). */
int linktoken_make(const struct config *, enum linktoken_kind, int64_t run,
                   int64_t member, char out[LINKTOKEN_MAX], char **cause);
/* 1 and *run, *member if tok is a valid derived token of kind; else 0. */
int linktoken_parse(const struct config *, const char *tok, enum linktoken_kind,
                    int64_t *run, int64_t *member);
/* Tests: use this key (NULL: forget it, load again on the next call). */
void linktoken_set_key(const char *key);

#endif
