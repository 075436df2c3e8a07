/*
 * Roles. An admin does everything for every practice; a manager everything
 * for their practices, their staff accounts included; a PPG lead (the
 * patients' chair) sees counts, reports, comments to moderate, meetings
 * and actions, never a member's contact details or a message; a viewer
 * reads reports.
 */
#include "scope.h"

static const unsigned may[] = {
    [ROLE_ADMIN] = ~0u,
    [ROLE_MANAGER] = ~0u,
    [ROLE_LEAD] = 1u << PERM_REPORTS | 1u << PERM_COUNTS |
                  1u << PERM_MODERATE | 1u << PERM_MEETINGS,
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
