/* What a staff role may do, and for which practices: the one place the
 * web admin (and any face that acts for a user) asks. */
#ifndef PPGD_SCOPE_H
#define PPGD_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "user.h"

struct scope_codes;

enum perm {
	PERM_REPORTS,  /* published reports and results */
	PERM_COUNTS,   /* member counts, representation at a glance */
	PERM_CONTACTS, /* names, addresses, numbers, message text */
	PERM_MEMBERS,  /* add, change, erase members */
	PERM_SEND,     /* campaigns and broadcasts */
	PERM_MODERATE, /* comments */
	PERM_ALERTS,   /* care alerts: read and acknowledge */
	PERM_MEETINGS, /* meetings, actions, evidence */
	PERM_USERS,    /* staff accounts */
	PERM_SETTINGS, /* practice details, population profile */
};

/* 1 if role may do perm at all. */
int scope_role_may(enum user_role, enum perm);
/* 1 if u may do perm for practice_id (0: for any of its practices). */
int scope_allows(const struct user *u, enum perm, int64_t practice_id);

/* 1 if u may see the staff account t: an admin every account, a manager
 * those that share a practice with them. */
int scope_user_visible(const struct user *u, const struct user *t);
/* 1 if u may change the account t: an admin any, a manager a non-admin all
 * of whose practices are the manager's. */
int scope_user_manage(const struct user *u, const struct user *t);
/* 1 if u may give an account role and the practices ids[n]: an admin any,
 * a manager a role below admin and only practices of their own. */
int scope_user_grant(const struct user *u, enum user_role role,
                     const int64_t *ids, size_t n);

/*
 * The practice scope of an API token: the codes of the practices it may
 * read and change. "A81001,B82002"; NULL for every practice. NULL with
 * *cause for a malformed list. Caller frees with scope_codes_free.
 */
struct scope_codes *scope_codes_parse(const char *list, char **cause);
/* 1 if s covers every practice (no codes named). */
int scope_codes_all(const struct scope_codes *s);
/* 1 if s allows the practice with this code. */
int scope_codes_allow(const struct scope_codes *s, const char *code);
/* The one code of a one-practice scope, else NULL. */
const char *scope_codes_only(const struct scope_codes *s);
/* The codes of s joined by "," (for member_filter), or NULL for every
 * practice. */
const char *scope_codes_list(const struct scope_codes *s);
void scope_codes_free(struct scope_codes *s);

#endif
