/*
 * Roles. An admin does everything for every practice; a manager everything
 * for their practices, their staff accounts included; a PPG lead (the
 * patients' chair) sees counts, reports, comments to moderate, meetings
 * and actions, never a member's contact details or a message; a viewer
 * reads reports.
 */
#include <stdlib.h>
#include <string.h>

#include "practice.h"
#include "scope.h"
#include "xmalloc.h"

static const unsigned may[] = {
    [ROLE_ADMIN] = ~0u,
    [ROLE_MANAGER] = ~0u,
    [ROLE_LEAD] = 1u << PERM_REPORTS | 1u << PERM_COUNTS | 1u << PERM_MODERATE |
                  1u << PERM_MEETINGS,
    [ROLE_VIEWER] = 1u << PERM_REPORTS,
};

int
scope_role_may(enum user_role r, enum perm p)
{
	return (may[r] >> p) & 1u;
}

int
scope_allows(const struct user *u, enum perm p, int64_t practice_id)
{
	if (u == NULL || u->disabled_at != 0 || !scope_role_may(u->role, p))
		return 0;
	if (practice_id == 0)
		return u->npractices > 0 || u->role == ROLE_ADMIN;
	return user_in_practice(u, practice_id);
}

int
scope_user_visible(const struct user *u, const struct user *t)
{
	size_t i;

	if (!scope_allows(u, PERM_USERS, 0) || t == NULL)
		return 0;
	if (u->role == ROLE_ADMIN)
		return 1;
	for (i = 0; i < t->npractices; i++)
		if (user_in_practice(u, t->practices[i]))
			return 1;
	return 0;
}

/*
 * A manager may not reach past their practices through an account: not an
 * admin's (every practice), not one that also works for a practice of
 * someone else's, and not by granting a practice they do not hold.
 */
int
scope_user_manage(const struct user *u, const struct user *t)
{
	if (!scope_user_visible(u, t))
		return 0;
	if (u->role == ROLE_ADMIN)
		return 1;
	return t->role != ROLE_ADMIN &&
	       scope_user_grant(u, t->role, t->practices, t->npractices);
}

int
scope_user_grant(const struct user *u, enum user_role role, const int64_t *ids,
                 size_t n)
{
	size_t i;

	if (!scope_allows(u, PERM_USERS, 0))
		return 0;
	if (u->role == ROLE_ADMIN)
		return 1;
	if (role == ROLE_ADMIN)
		return 0;
	for (i = 0; i < n; i++)
		if (!scope_allows(u, PERM_USERS, ids[i]))
			return 0;
	return 1;
}

/*
 * A practice scope by code: an API token's, from the tokens file. It is
 * held by code, not id, so a token may name a practice added later.
 */
struct scope_codes {
	char **codes;
	size_t n;   /* 0: every practice */
	char *list; /* the codes joined by ",", or NULL */
};

struct scope_codes *
scope_codes_parse(const char *list, char **cause)
{
	struct scope_codes *s = xcalloc(1, sizeof *s);
	char *copy, *p, *code;

	if (list == NULL)
		return s;
	copy = p = xstrdup(list);
	while ((code = strsep(&p, ",")) != NULL) {
		if (!practice_code_ok(code)) {
			*cause = xasprintf("'%s' is not a practice code "
			                   "(letters, digits and '-', 16 at "
			                   "most; codes are separated by ',')",
			                   code);
			free(copy);
			scope_codes_free(s);
			return NULL;
		}
		s->codes = xreallocarray(s->codes, s->n + 1, sizeof *s->codes);
		s->codes[s->n++] = xstrdup(code);
	}
	free(copy);
	s->list = xstrdup(list);
	return s;
}

int
scope_codes_all(const struct scope_codes *s)
{
	return s == NULL || s->n == 0;
}

int
scope_codes_allow(const struct scope_codes *s, const char *code)
{
	size_t i;

	if (scope_codes_all(s))
		return 1;
	if (code == NULL)
		return 0;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->codes[i], code) == 0)
			return 1;
	return 0;
}

const char *
scope_codes_only(const struct scope_codes *s)
{
	return s != NULL && s->n == 1 ? s->codes[0] : NULL;
}

const char *
scope_codes_list(const struct scope_codes *s)
{
	return scope_codes_all(s) ? NULL : s->list;
}

void
scope_codes_free(struct scope_codes *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->codes[i]);
	free(s->codes);
	free(s->list);
	free(s);
}
