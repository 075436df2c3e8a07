/* Staff accounts for the web admin: roles, practice scope, passwords
 * (Argon2id), lockout, reset links, TOTP second factor, sessions. The one
 * writer of the users and sessions tables. */
#ifndef PPGD_USER_H
#define PPGD_USER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "db.h"

enum user_role { ROLE_ADMIN, ROLE_MANAGER, ROLE_LEAD, ROLE_VIEWER };

struct user {
	int64_t id;
	char *email;
	char *name;
	enum user_role role;
	int totp_enabled;
	int64_t disabled_at;
	int64_t last_login_at; /* 0: never */
	int64_t locked_until;  /* 0, or when the lock after failures ends */
	int failed;            /* failed sign-ins since the last good one */
	int64_t *practices;    /* ids; every practice for an admin */
	size_t npractices;
};

/* Minimum password length (NCSC: length and a deny list, no rules). */
#define USER_PASSWORD_MIN 10
/* Failed logins before the account locks; the lock then doubles. */
#define USER_LOCK_AFTER 5

int user_role_parse(const char *, enum user_role *);
const char *user_role_name(enum user_role);
/* Add a user (no password: reset-password gives a link). */
int user_add(struct db *, const char *email, const char *name, const char *role,
             const char *const *practices, size_t n, int64_t *id, char **cause);
/* Load by id, or find by email or "#ID" text. Caller frees. NULL if none. */
struct user *user_load(struct db *, int64_t id);
struct user *user_find(struct db *, const char *email_or_id);
void user_free(struct user *);
/* Accounts that are not disabled. */
int64_t user_count(struct db *);
/* 1 if the user may act for practice_id. */
int user_in_practice(const struct user *, int64_t practice_id);
/* Every user, with role and practices, no secrets. Caller decrefs. */
json_t *user_list_json(struct db *);
json_t *user_to_json(const struct user *);
/* Disable the account, end its sessions and drop its reset link; never
 * the last active admin. */
int user_disable(struct db *, int64_t id, const char *actor, char **cause);
/* Enable a disabled account again. */
int user_enable(struct db *, int64_t id, char **cause);
/*
 * Change the role (NULL: keep it) and the practices (codes; NULL: keep
 * them) of an account. A non-admin needs a practice; the last active admin
 * keeps the role.
 */
int user_update(struct db *, int64_t id, const char *role,
                const char *const *practices, size_t n, char **cause);
/* Lift the lock after failed sign-ins and forget the failures. */
int user_unlock(struct db *, int64_t id, char **cause);
/* Turn the second factor off (the user enrols again); ends sessions. */
int user_totp_reset(struct db *, int64_t id, char **cause);
/* Active admins other than except_id. */
int64_t user_admins_active(struct db *, int64_t except_id);
/* 0 if password is acceptable (length, not common, not the name or
 * address); -1 with *cause saying why. */
int user_password_ok(const char *password, const char *email, const char *name,
                     char **cause);
/*
 * A one-time reset link token (24 hours) for the user: replaces any earlier
 * one. The token (22 chars) goes into out[23]; only its hash is stored.
 */
int user_reset_link(struct db *, int64_t id, int64_t now, char out[23],
                    char **cause);
/* The user a live reset token belongs to, or 0. */
int64_t user_reset_user(struct db *, const char *token, int64_t now);
/* Set the password through a reset token (used once); ends sessions. */
int user_reset_use(struct db *, const char *token, const char *password,
                   int64_t now, char **cause);

enum login_result { LOGIN_OK, LOGIN_BAD, LOGIN_LOCKED };
/*
 * Check email and password. Unknown, disabled and wrong all answer
 * LOGIN_BAD after the same Argon2id work; a locked account LOGIN_LOCKED
 * with *wait seconds. Failures count towards the lock.
 */
enum login_result user_login(struct db *, const char *email,
                             const char *password, int64_t now, int64_t *id,
                             int64_t *wait);

/* A new TOTP secret for enrolment (kept pending until confirmed), base32
 * into out[40]. */
int user_totp_begin(struct db *, int64_t id, char out[40]);
/* The pending secret, or NULL. Caller frees. */
char *user_totp_pending(struct db *, int64_t id);
/* Confirm enrolment with a code from the app: 1 enabled, 0 wrong code. */
int user_totp_confirm(struct db *, int64_t id, const char *code, int64_t now);
/* 1 if code is right and not used before (replay), 0 if not. */
int user_totp_check(struct db *, int64_t id, const char *code, int64_t now);

/* A signed-in browser. */
struct session {
	int64_t user_id;
	int ok;        /* 0: password given, second factor still due */
	char csrf[23]; /* the form token of this session */
};

/* A new session (token into token[23]); ok as above. */
int session_new(struct db *, int64_t user, int ok, int64_t now, char token[23]);
/*
 * The session of token if it is neither idle past idle seconds nor older
 * than max seconds, and its user is not disabled; touches it. 0 or -1.
 */
int session_get(struct db *, const char *token, int64_t now, int64_t idle,
                int64_t max, struct session *);
/* End a session (logout, or a step that issues a new one). */
void session_end(struct db *, const char *token);

#endif
