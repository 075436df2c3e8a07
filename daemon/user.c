/*
 * Staff accounts. Passwords are Argon2id (libsodium's crypto_pwhash_str,
 * interactive limits); a login for an unknown or disabled account does the
 * same work as a wrong password, so timing tells nothing. Five failures lock
 * the account for a minute, each further failure doubling the lock up to an
 * hour. Reset links, sessions and CSRF tokens come from the CSPRNG and only
 * their SHA-256 is stored.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "crypto.h"
#include "jsonx.h"
#include "log.h"
#include "practice.h"
#include "totp.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

#define RESET_SECONDS (24 * 3600)
#define LOCK_MAX      3600

static const char *const roles[] = {"admin", "manager", "lead", "viewer"};

/* The most common passwords (NCSC's list, those of 10 or more characters
 * and their obvious variants); a shorter one is refused for length. */
static const char *const common[] = {
    "1234567890",    "123456789a",   "1q2w3e4r5t",   "qwertyuiop",
    "password1",     "password12",   "password123",  "password1234",
    "passw0rd123",   "iloveyou123",  "qwerty1234",   "qwerty12345",
    "qwerty123456",  "1qaz2wsx3edc", "zaq12wsxcde",  "0987654321",
    "1111111111",    "0000000000",   "1234512345",   "abcdefghij",
    "abc1234567",    "letmein123",   "welcome123",   "welcome1234",
    "football123",   "monkey1234",   "sunshine123",  "princess123",
    "trustno1234",   "liverpool1",   "chelsea123",   "arsenal123",
    "manchester",    "manchester1",  "england123",   "michael123",
    "charlie123",    "superman123",  "baseball123",  "basketball",
    "starwars123",   "whatever123",  "changeme123",  "changemenow",
    "administrator", "admin12345",   "admin123456",  "qwertyuiop1",
    "asdfghjkl1",    "1234qwerasdf", "summer2024",   "summer2025",
    "summer2026",    "winter2024",   "winter2025",   "winter2026",
    "spring2025",    "spring2026",   "autumn2025",   "autumn2026",
    "password2024",  "password2025", "password2026", "surgery123",
    "practice123",   "reception1",   "reception123", "doctor1234",
    "nhs1234567",    "patient123",   "healthcare",   "healthcare1",
    "ppgd123456",    "ppgdadmin",
};

int
user_role_parse(const char *s, enum user_role *r)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(s, roles[i]) == 0) {
			*r = (enum user_role)i;
			return 0;
		}
	return -1;
}

const char *
user_role_name(enum user_role r)
{
	return (size_t)r < sizeof roles / sizeof roles[0] ? roles[r] : "?";
}

static int
sodium_ready(void)
{
	if (sodium_init() < 0)
		fatalx("libsodium: cannot initialise");
	return 0;
}

static int
email_ok(const char *e)
{
	const char *at = e != NULL ? strchr(e, '@') : NULL;
	size_t i;

	if (at == NULL || at == e || strchr(at + 1, '.') == NULL ||
	    strchr(at + 1, '@') != NULL || strlen(e) > 254)
		return 0;
	for (i = 0; e[i] != '\0'; i++)
		if ((unsigned char)e[i] <= ' ' || e[i] == '<' || e[i] == '>' ||
		    e[i] == '"' || e[i] == ',')
			return 0;
	return 1;
}

static int
practice_ids(struct db *db, const char *const *codes, size_t n, int64_t *ids,
             char **cause)
{
	struct practice *p;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((p = practice_find(db, codes[i])) == NULL) {
			*cause = xasprintf("no practice %s", codes[i]);
			return -1;
		}
		ids[i] = p->id;
		practice_free(p);
	}
	return 0;
}

int
user_add(struct db *db, const char *email, const char *name, const char *role,
         const char *const *practices, size_t n, int64_t *id, char **cause)
{
	enum user_role r;
	sqlite3_stmt *st;
	int64_t *ids = xcalloc(n + 1, sizeof *ids), now = time(NULL);
	size_t i;
	int rc = -1;
	char obj[32];

	if (!email_ok(email))
		*cause = xasprintf("%s is not an email address",
		                   email ? email : "(none)");
	else if (name == NULL || *name == '\0' || strlen(name) > 200 ||
	         util_has_crlf(name) || !util_utf8_valid(name, strlen(name)))
		*cause = xstrdup("--name is required: one line of text");
	else if (user_role_parse(role, &r) == -1)
		*cause =
		    xasprintf("role %s is not admin, manager, lead or viewer",
		              role ? role : "(none)");
	else if (r != ROLE_ADMIN && n == 0)
		*cause = xasprintf("a %s needs --practice (admins see every "
		                   "practice)",
		                   role);
	else if (practice_ids(db, practices, n, ids, cause) == 0) {
		if (db_begin(db) == -1) {
			*cause = xasprintf("database busy: %s", db_errmsg(db));
			goto out;
		}
		st = db_stmt(db,
		             "INSERT INTO users (email, name, role,"
		             " created_at, updated_at) VALUES (?, ?, ?, ?, ?)");
		db_bind_text(st, 1, email);
		db_bind_text(st, 2, name);
		db_bind_text(st, 3, role);
		db_bind_int(st, 4, now);
		db_bind_int(st, 5, now);
		if (db_done(db, st) == -1) {
			*cause = xasprintf("cannot add %s: %s", email,
			                   strstr(db_errmsg(db), "UNIQUE")
			                       ? "a user has this email"
			                       : db_errmsg(db));
			db_rollback(db);
			goto out;
		}
		*id = db_last_id(db);
		for (i = 0; i < n; i++) {
			st = db_stmt(db,
			             "INSERT OR IGNORE INTO user_practices"
			             " (user_id, practice_id) VALUES (?, ?)");
			db_bind_int(st, 1, *id);
			db_bind_int(st, 2, ids[i]);
			if (db_done(db, st) == -1)
				break;
		}
		snprintf(obj, sizeof obj, "user:%lld", (long long)*id);
		if (i < n || db_audit(db, NULL, "user.add", obj, role) == -1 ||
		    db_commit(db) == -1) {
			*cause = xasprintf("cannot add %s: %s", email,
			                   db_errmsg(db));
			db_rollback(db);
			goto out;
		}
		rc = 0;
	}
out:
	free(ids);
	return rc;
}

static struct user *
user_row(struct db *db, sqlite3_stmt *st)
{
	struct user *u = xcalloc(1, sizeof *u);
	sqlite3_stmt *ps;
	size_t cap = 4;

	u->id = sqlite3_column_int64(st, 0);
	u->email = xstrdup(db_col_text(st, 1));
	u->name = xstrdup(db_col_text(st, 2));
	user_role_parse(db_col_text(st, 3), &u->role);
	u->totp_enabled = sqlite3_column_int(st, 4);
	u->disabled_at = sqlite3_column_int64(st, 5);
	u->last_login_at = sqlite3_column_int64(st, 6);
	u->locked_until = sqlite3_column_int64(st, 7);
	u->failed = sqlite3_column_int(st, 8);
	u->practices = xcalloc(cap, sizeof *u->practices);
	ps = db_stmt(db, u->role == ROLE_ADMIN
	                     ? "SELECT id FROM practices WHERE ?1 = ?1"
	                       " ORDER BY id"
	                     : "SELECT practice_id FROM user_practices WHERE"
	                       " user_id = ?1 ORDER BY practice_id");
	db_bind_int(ps, 1, u->id);
	while (sqlite3_step(ps) == SQLITE_ROW) {
		if (u->npractices == cap)
			u->practices = xreallocarray(u->practices, cap *= 2,
			                             sizeof *u->practices);
		u->practices[u->npractices++] = sqlite3_column_int64(ps, 0);
	}
	sqlite3_reset(ps);
	return u;
}

#define USER_COLS                                                              \
	"SELECT id, email, name, role, totp_enabled, coalesce(disabled_at, "   \
	"0),"                                                                  \
	" coalesce(last_login_at, 0), locked_until, failed FROM users "

struct user *
user_load(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, USER_COLS "WHERE id = ?");
	struct user *u = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		/* user_row steps another statement: copy this row first. */
		u = user_row(db, st);
	}
	sqlite3_reset(st);
	return u;
}

struct user *
user_find(struct db *db, const char *s)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (s == NULL)
		return NULL;
	/* An id is "#12" or "12"; anything else is an email address, even
	 * one that starts with a digit ("1st.reception@..."). */
	if (s[s[0] == '#'] != '\0' && strspn(s + (s[0] == '#'), "0123456789") ==
	                                  strlen(s + (s[0] == '#')))
		return user_load(db, atoll(s + (s[0] == '#')));
	st = db_stmt(db, "SELECT id FROM users WHERE email = ? COLLATE NOCASE");
	db_bind_text(st, 1, s);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id != 0 ? user_load(db, id) : NULL;
}

void
user_free(struct user *u)
{
	if (u == NULL)
		return;
	free(u->email);
	free(u->name);
	free(u->practices);
	free(u);
}

int64_t
user_count(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM users WHERE"
	                               " disabled_at IS NULL");
	int64_t n = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
user_in_practice(const struct user *u, int64_t practice_id)
{
	size_t i;

	for (i = 0; i < u->npractices; i++)
		if (u->practices[i] == practice_id)
			return 1;
	return 0;
}

json_t *
user_to_json(const struct user *u)
{
	json_t *o = json_object(), *p = json_array();
	size_t i;
	char day[21];

	jsonx_set(o, "id", json_integer(u->id));
	jsonx_set(o, "email", json_string(u->email));
	jsonx_set(o, "name", json_string(u->name));
	jsonx_set(o, "role", json_string(user_role_name(u->role)));
	jsonx_set(o, "two_factor", json_boolean(u->totp_enabled));
	jsonx_set(o, "disabled",
	          u->disabled_at != 0
	              ? json_string(util_format_time(u->disabled_at, day))
	              : json_null());
	jsonx_set(o, "last_sign_in",
	          u->last_login_at != 0
	              ? json_string(util_format_time(u->last_login_at, day))
	              : json_null());
	jsonx_set(o, "locked_until",
	          u->locked_until > time(NULL)
	              ? json_string(util_format_time(u->locked_until, day))
	              : json_null());
	jsonx_set(o, "failed_sign_ins", json_integer(u->failed));
	for (i = 0; i < u->npractices; i++)
		jsonx_push(p, json_integer(u->practices[i]));
	jsonx_set(o, "practice_ids", p);
	return o;
}

json_t *
user_list_json(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM users ORDER BY id");
	json_t *a = json_array();
	int64_t *ids = NULL;
	size_t n = 0, i;
	struct user *u;

	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++)
		if ((u = user_load(db, ids[i])) != NULL) {
			jsonx_push(a, user_to_json(u));
			user_free(u);
		}
	free(ids);
	return a;
}

static void
sessions_end_all(struct db *db, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "DELETE FROM sessions WHERE user_id = ?");

	db_bind_int(st, 1, id);
	db_done(db, st);
}

int64_t
user_admins_active(struct db *db, int64_t except_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM users WHERE"
	                               " role = 'admin' AND disabled_at IS NULL"
	                               " AND id != ?");

	db_bind_int(st, 1, except_id);
	return db_int(db, st, 0);
}

/* 1 if id is an active admin and no other admin is active. */
static int
last_admin(struct db *db, int64_t id)
{
	struct user *u = user_load(db, id);
	int last = u != NULL && u->role == ROLE_ADMIN && u->disabled_at == 0 &&
	           user_admins_active(db, id) == 0;

	user_free(u);
	return last;
}

int
user_disable(struct db *db, int64_t id, const char *actor, char **cause)
{
	sqlite3_stmt *st;
	char obj[32];

	if (last_admin(db, id)) {
		*cause = xstrdup("this is the last active admin: make another "
		                 "user an admin first");
		return -1;
	}
	st = db_stmt(db, "UPDATE users SET disabled_at = ?2,"
	                 " updated_at = ?2 WHERE id = ?1 AND"
	                 " disabled_at IS NULL");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, time(NULL));
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no enabled user %lld", (long long)id);
		return -1;
	}
	sessions_end_all(db, id);
	/* A link given out before does not outlive the account either: one
	 * enabled again gets a new one. */
	st = db_stmt(db, "DELETE FROM user_links WHERE user_id = ?");
	db_bind_int(st, 1, id);
	db_done(db, st);
	snprintf(obj, sizeof obj, "user:%lld", (long long)id);
	db_audit(db, actor, "user.disable", obj, NULL);
	return 0;
}

/* Run one UPDATE of users on id (?1, with ?2 the time) and audit it. */
static int
user_set(struct db *db, int64_t id, const char *sql, const char *action,
         const char *fail, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	char obj[32];

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, time(NULL));
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("%s %lld", fail, (long long)id);
		return -1;
	}
	snprintf(obj, sizeof obj, "user:%lld", (long long)id);
	db_audit(db, NULL, action, obj, NULL);
	return 0;
}

int
user_enable(struct db *db, int64_t id, char **cause)
{
	return user_set(db, id,
	                "UPDATE users SET disabled_at = NULL, updated_at = ?2"
	                " WHERE id = ?1 AND disabled_at IS NOT NULL",
	                "user.enable", "no disabled user", cause);
}

int
user_unlock(struct db *db, int64_t id, char **cause)
{
	return user_set(db, id,
	                "UPDATE users SET failed = 0, locked_until = 0,"
	                " updated_at = ?2 WHERE id = ?1",
	                "user.unlock", "no user", cause);
}

int
user_totp_reset(struct db *db, int64_t id, char **cause)
{
	if (user_set(db, id,
	             "UPDATE users SET totp_enabled = 0, totp_secret = NULL,"
	             " totp_pending = NULL, totp_last_step = NULL,"
	             " updated_at = ?2 WHERE id = ?1",
	             "user.2fa-off", "no user", cause) == -1)
		return -1;
	/* A session that passed the old factor does not outlive it. */
	sessions_end_all(db, id);
	return 0;
}

/* Replace the practices of id by ids (in a transaction). */
static int
set_practices(struct db *db, int64_t id, const int64_t *ids, size_t n)
{
	sqlite3_stmt *st =
	    db_stmt(db, "DELETE FROM user_practices WHERE user_id = ?");
	size_t i;

	db_bind_int(st, 1, id);
	if (db_done(db, st) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		st = db_stmt(db, "INSERT OR IGNORE INTO user_practices"
		                 " (user_id, practice_id) VALUES (?, ?)");
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, ids[i]);
		if (db_done(db, st) == -1)
			return -1;
	}
	return 0;
}

/* The UPDATE of user_update, inside its transaction; ids NULL keeps the
 * practices. */
static int
user_update_tx(struct db *db, int64_t id, const char *role, const int64_t *ids,
               size_t n)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE users SET role = ?2,"
	                               " updated_at = ?3 WHERE id = ?1");

	db_bind_int(st, 1, id);
	db_bind_text(st, 2, role);
	db_bind_int(st, 3, time(NULL));
	if (db_done(db, st) == -1)
		return -1;
	return ids != NULL ? set_practices(db, id, ids, n) : 0;
}

/* The audit detail of an update: "role=R practices=A,B". Caller frees. */
static char *
update_detail(const char *role, const char *const *codes, size_t n)
{
	char *d = xasprintf("role=%s", role), *t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", d, i == 0 ? " practices=" : ",",
		              codes[i]);
		free(d);
		d = t;
	}
	return d;
}

int
user_update(struct db *db, int64_t id, const char *role,
            const char *const *practices, size_t n, char **cause)
{
	struct user *u = user_load(db, id);
	int64_t *ids = xcalloc(n + 1, sizeof *ids);
	enum user_role r;
	char obj[32], *detail = NULL;
	int rc = -1, keep = practices == NULL;

	if (u != NULL && role == NULL)
		role = user_role_name(u->role);
	if (u == NULL)
		*cause = xasprintf("no user %lld", (long long)id);
	else if (user_role_parse(role, &r) == -1)
		*cause = xasprintf(
		    "role %s is not admin, manager, lead or viewer", role);
	else if (r != ROLE_ADMIN && u->role == ROLE_ADMIN && last_admin(db, id))
		*cause = xstrdup("this is the last active admin: make another "
		                 "user an admin first");
	else if (r != ROLE_ADMIN && keep && u->role == ROLE_ADMIN)
		*cause = xasprintf("a %s needs --practice (admins see every "
		                   "practice)",
		                   role);
	else if (r != ROLE_ADMIN && !keep && n == 0)
		*cause = xasprintf("a %s needs a practice (admins see every "
		                   "practice)",
		                   role);
	else if (keep || practice_ids(db, practices, n, ids, cause) == 0) {
		if (db_begin(db) == -1) {
			*cause = xasprintf("database busy: %s", db_errmsg(db));
			goto out;
		}
		rc = user_update_tx(db, id, role, keep ? NULL : ids, n);
		snprintf(obj, sizeof obj, "user:%lld", (long long)id);
		detail =
		    update_detail(role, keep ? NULL : practices, keep ? 0 : n);
		if (rc == -1 ||
		    db_audit(db, NULL, "user.update", obj, detail) == -1 ||
		    db_commit(db) == -1) {
			*cause = xasprintf("cannot change user %lld: %s",
			                   (long long)id, db_errmsg(db));
			db_rollback(db);
			rc = -1;
		}
	}
out:
	free(detail);
	free(ids);
	user_free(u);
	return rc;
}

/* 1 if s contains t, ignoring case (t non-empty, 4+ characters). */
static int
contains_ci(const char *s, const char *t, size_t tlen)
{
	size_t n = strlen(s), i;

	if (tlen < 4 || tlen > n)
		return 0;
	for (i = 0; i + tlen <= n; i++)
		if (strncasecmp(s + i, t, tlen) == 0)
			return 1;
	return 0;
}

/* 1 if a word of name (4+ characters) is in pw. */
static int
name_in(const char *pw, const char *name)
{
	const char *w = name;
	size_t n;

	while (w != NULL && *w != '\0') {
		n = strcspn(w, " -'.");
		if (contains_ci(pw, w, n))
			return 1;
		w += n;
		w += strspn(w, " -'.");
	}
	return 0;
}

int
user_password_ok(const char *pw, const char *email, const char *name,
                 char **cause)
{
	size_t i, n = pw != NULL ? strlen(pw) : 0;
	const char *at;

	if (n < USER_PASSWORD_MIN)
		*cause =
		    xasprintf("the password must be at least %d characters "
		              "(three random words work well)",
		              USER_PASSWORD_MIN);
	else if (n > 256 || !util_utf8_valid(pw, n))
		*cause = xstrdup("the password must be at most 256 characters "
		                 "of text");
	else {
		for (i = 0; i < sizeof common / sizeof common[0]; i++)
			if (strcasecmp(pw, common[i]) == 0) {
				*cause = xstrdup("this password is one of the "
				                 "most common: choose another");
				return -1;
			}
		at = email != NULL ? strchr(email, '@') : NULL;
		if ((at != NULL &&
		     contains_ci(pw, email, (size_t)(at - email))) ||
		    name_in(pw, name))
			*cause = xstrdup("the password must not contain your "
			                 "name or email address");
		else
			return 0;
	}
	return -1;
}

static int
set_hash(struct db *db, int64_t id, const char *pw, char **cause)
{
	char hash[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;

	sodium_ready();
	if (crypto_pwhash_str(hash, pw, strlen(pw),
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		*cause = xstrdup("out of memory hashing the password");
		return -1;
	}
	st = db_stmt(db, "UPDATE users SET password_hash = ?2, failed = 0,"
	                 " locked_until = 0, updated_at = ?3 WHERE id = ?1");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, hash);
	db_bind_int(st, 3, time(NULL));
	sodium_memzero(hash, sizeof hash);
	if (db_done(db, st) == -1) {
		*cause =
		    xasprintf("cannot store the password: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

int
user_reset_link(struct db *db, int64_t id, int64_t now, char out[23],
                char **cause)
{
	sqlite3_stmt *st;
	char hash[65], obj[32];

	if (crypto_token_new(out) == -1) {
		*cause = xstrdup("no random bytes for the link");
		return -1;
	}
	crypto_token_hash(out, hash);
	st = db_stmt(db, "DELETE FROM user_links WHERE user_id = ?");
	db_bind_int(st, 1, id);
	db_done(db, st);
	st = db_stmt(db, "INSERT INTO user_links (hash, user_id, purpose,"
	                 " expires_at) VALUES (?, ?, 'reset', ?)");
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, id);
	db_bind_int(st, 3, now + RESET_SECONDS);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot store the link: %s", db_errmsg(db));
		return -1;
	}
	snprintf(obj, sizeof obj, "user:%lld", (long long)id);
	db_audit(db, NULL, "user.reset-link", obj, NULL);
	return 0;
}

int64_t
user_reset_user(struct db *db, const char *token, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT l.user_id FROM user_links l JOIN users u ON"
	        " u.id = l.user_id WHERE l.hash = ? AND l.used_at IS NULL AND"
	        " l.expires_at > ? AND u.disabled_at IS NULL");
	char hash[65];
	int64_t id = 0;

	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

int
user_reset_use(struct db *db, const char *token, const char *pw, int64_t now,
               char **cause)
{
	int64_t id = user_reset_user(db, token, now);
	struct user *u;
	sqlite3_stmt *st;
	char hash[65], obj[32];
	int rc;

	if (id == 0) {
		*cause = xstrdup("this link has expired or was used: ask for a "
		                 "new one");
		return -1;
	}
	u = user_load(db, id);
	rc = user_password_ok(pw, u->email, u->name, cause);
	user_free(u);
	if (rc == -1 || set_hash(db, id, pw, cause) == -1)
		return -1;
	crypto_token_hash(token, hash);
	st = db_stmt(db, "UPDATE user_links SET used_at = ? WHERE hash = ?");
	db_bind_int(st, 1, now);
	db_bind_text(st, 2, hash);
	db_done(db, st);
	sessions_end_all(db, id);
	snprintf(obj, sizeof obj, "user:%lld", (long long)id);
	db_audit(db, obj, "user.password", obj, NULL);
	return 0;
}

/* Same Argon2id work for an account that cannot log in. */
static void
dummy_verify(const char *pw)
{
	static char dummy[crypto_pwhash_STRBYTES];

	if (dummy[0] == '\0' &&
	    crypto_pwhash_str(dummy, "not a password", 14,
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return;
	if (crypto_pwhash_str_verify(dummy, pw, strlen(pw)) == 0)
		log_debug("user: the dummy password matched");
}

static void
login_failed(struct db *db, int64_t id, int failed, int64_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE users SET failed = ?2,"
	                               " locked_until = ?3 WHERE id = ?1");
	int64_t lock = 0;
	int k = failed - USER_LOCK_AFTER;

	if (k >= 0)
		lock = now + (k >= 6                   ? LOCK_MAX
		              : (60LL << k) > LOCK_MAX ? LOCK_MAX
		                                       : (60LL << k));
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, failed);
	db_bind_int(st, 3, lock);
	db_done(db, st);
}

static void
signed_in(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE users SET last_login_at = ?2"
	                               " WHERE id = ?1");

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	db_done(db, st);
}

enum login_result
user_login(struct db *db, const char *email, const char *pw, int64_t now,
           int64_t *id, int64_t *wait)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT id, password_hash, failed, locked_until, disabled_at"
	        " FROM users WHERE email = ? COLLATE NOCASE");
	char *hash = NULL;
	int failed = 0, usable;
	int64_t locked = 0;
	enum login_result r = LOGIN_BAD;

	sodium_ready();
	*id = 0;
	*wait = 0;
	db_bind_text(st, 1, email);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		hash = db_col_text(st, 1) ? xstrdup(db_col_text(st, 1)) : NULL;
		failed = sqlite3_column_int(st, 2);
		locked = sqlite3_column_int64(st, 3);
		usable = sqlite3_column_type(st, 4) == SQLITE_NULL;
		if (!usable) {
			free(hash);
			hash = NULL;
		}
	}
	sqlite3_reset(st);
	if (hash != NULL && locked > now) {
		/* The same work as any other answer: the time tells nothing. */
		dummy_verify(pw != NULL ? pw : "");
		*wait = locked - now;
		r = LOGIN_LOCKED;
	} else if (hash == NULL)
		dummy_verify(pw != NULL ? pw : "");
	else if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0) {
		if (failed > 0)
			login_failed(db, *id, 0, now);
		signed_in(db, *id, now);
		r = LOGIN_OK;
	} else
		login_failed(db, *id, failed + 1, now);
	free(hash);
	if (r != LOGIN_OK && r != LOGIN_LOCKED)
		*id = 0;
	return r;
}

/* ---- TOTP --------------------------------------------------------------- */

int
user_totp_begin(struct db *db, int64_t id, char out[40])
{
	unsigned char raw[20];
	sqlite3_stmt *st;

	sodium_ready();
	randombytes_buf(raw, sizeof raw);
	totp_base32(raw, sizeof raw, out);
	sodium_memzero(raw, sizeof raw);
	st = db_stmt(db, "UPDATE users SET totp_pending = ? WHERE id = ?");
	db_bind_text(st, 1, out);
	db_bind_int(st, 2, id);
	return db_done(db, st);
}

static char *
totp_col(struct db *db, int64_t id, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	char *s = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0) != NULL)
		s = xstrdup(db_col_text(st, 0));
	sqlite3_reset(st);
	return s;
}

char *
user_totp_pending(struct db *db, int64_t id)
{
	return totp_col(db, id, "SELECT totp_pending FROM users WHERE id = ?");
}

static int
totp_on(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT totp_enabled FROM users WHERE"
	                               " id = ?");
	int on = 1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		on = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return on;
}

int
user_totp_confirm(struct db *db, int64_t id, const char *code, int64_t now)
{
	char *secret = user_totp_pending(db, id), obj[32];
	sqlite3_stmt *st;
	int64_t step;
	int ok;

	/* Enrolment replaces no factor: one already on is changed only by
	 * an administrator turning it off first. */
	ok = secret != NULL && !totp_on(db, id) &&
	     totp_verify(secret, code, now, &step);
	if (ok) {
		st = db_stmt(db, "UPDATE users SET totp_secret = totp_pending,"
		                 " totp_pending = NULL, totp_enabled = 1,"
		                 " totp_last_step = ?2 WHERE id = ?1 AND"
		                 " totp_enabled = 0");
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, step);
		ok = db_done(db, st) == 0;
		snprintf(obj, sizeof obj, "user:%lld", (long long)id);
		db_audit(db, obj, "user.2fa-on", obj, NULL);
	}
	free(secret);
	return ok;
}

int
user_totp_check(struct db *db, int64_t id, const char *code, int64_t now)
{
	char *secret = totp_col(db, id,
	                        "SELECT totp_secret FROM users WHERE"
	                        " id = ? AND totp_enabled = 1");
	sqlite3_stmt *st;
	int64_t step, locked = 0;
	int ok, failed = 0;

	/* Wrong codes count towards the same lock as wrong passwords: a
	 * million codes are not to be tried at a few hundred a second. */
	st = db_stmt(db, "SELECT failed, locked_until FROM users WHERE id = ?");
	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		failed = sqlite3_column_int(st, 0);
		locked = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	ok = secret != NULL && locked <= now &&
	     totp_verify(secret, code, now, &step);
	free(secret);
	if (!ok) {
		if (locked <= now)
			login_failed(db, id, failed + 1, now);
		return 0;
	}
	if (failed > 0)
		login_failed(db, id, 0, now);
	/* A code is good once: a step at or before the last one is spent. */
	st = db_stmt(db, "UPDATE users SET totp_last_step = ?2 WHERE id = ?1"
	                 " AND coalesce(totp_last_step, 0) < ?2");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, step);
	return db_done(db, st) == 0 && db_changes(db) == 1;
}

/* ---- sessions ----------------------------------------------------------- */

int
session_new(struct db *db, int64_t user, int ok, int64_t now, char token[23])
{
	char hash[65], csrf[23];
	sqlite3_stmt *st;

	if (crypto_token_new(token) == -1 || crypto_token_new(csrf) == -1)
		return -1;
	crypto_token_hash(token, hash);
	st = db_stmt(db, "INSERT INTO sessions (hash, user_id, csrf, ok,"
	                 " created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)");
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, user);
	db_bind_text(st, 3, csrf);
	db_bind_int(st, 4, ok);
	db_bind_int(st, 5, now);
	db_bind_int(st, 6, now);
	return db_done(db, st);
}

int
session_get(struct db *db, const char *token, int64_t now, int64_t idle,
            int64_t max, struct session *s)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT s.user_id, s.ok, s.csrf FROM sessions s JOIN users u"
	        " ON u.id = s.user_id WHERE s.hash = ?1 AND s.seen_at > ?2 AND"
	        " s.created_at > ?3 AND u.disabled_at IS NULL");
	char hash[65];
	int rc = -1;

	if (token == NULL || strlen(token) != 22)
		return -1;
	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, now - idle);
	db_bind_int(st, 3, now - max);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->user_id = sqlite3_column_int64(st, 0);
		s->ok = sqlite3_column_int(st, 1);
		snprintf(s->csrf, sizeof s->csrf, "%s", db_col_text(st, 2));
		rc = 0;
	}
	sqlite3_reset(st);
	if (rc == 0) {
		st = db_stmt(db,
		             "UPDATE sessions SET seen_at = ? WHERE hash = ?");
		db_bind_int(st, 1, now);
		db_bind_text(st, 2, hash);
		db_done(db, st);
	}
	return rc;
}

void
session_end(struct db *db, const char *token)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM sessions WHERE hash = ?");
	char hash[65];

	if (token == NULL)
		return;
	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	db_done(db, st);
}
