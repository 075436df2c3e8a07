/* What a staff role may do, and for which practices: the one place the
 * web admin (and any face that acts for a user) asks. */
#ifndef PPGD_SCOPE_H
#define PPGD_SCOPE_H

#include <stdint.h>

#include "user.h"

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
};

/* 1 if role may do perm at all. */
int scope_role_may(enum user_role, enum perm);
/* 1 if u may do perm for practice_id (0: for any of its practices). */
int scope_allows(const struct user *u, enum perm, int64_t practice_id);

#endif
