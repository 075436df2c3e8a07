/* The staff web admin: sign-in, sessions and the pages practice staff use,
 * on its own listener ([admin] listen). */
#ifndef PPGD_ADMIN_H
#define PPGD_ADMIN_H

#include "config.h"
#include "http.h"

/* The admin's routes. */
const struct http_route *admin_routes(void);
/*
 * The address to listen on from the configuration, or NULL if the admin is
 * off (empty listen). -1 with *cause for a non-loopback address without
 * [admin] allow_remote.
 */
int admin_configure(const struct config *, const char **listen, char **cause);
/* The admin's own base URL for links ([admin] public_url, else the
 * listener). Caller frees. */
char *admin_base_url(const struct config *);

#endif
