/* The admin API: /api/v1 on its own listener, bearer tokens, JSON. */
#ifndef PPGD_API_H
#define PPGD_API_H

#include "config.h"

struct http_route;
struct api_tokens;
struct scope_codes;

/* The API listener's routes (everything under /api/). */
const struct http_route *api_routes(void);
/*
 * Check [api] and load its tokens file. *listen is set to the address to
 * listen on, or NULL when the API is off ([api] listen empty, or no
 * tokens_file: logged). -1 with *cause for a non-loopback listen without
 * allow_remote, or a tokens file that cannot be used. Caller frees *cause.
 */
int api_configure(const struct config *, const char **listen, char **cause);
/* Re-read the tokens file after a reload; keeps the old tokens on error. */
void api_reload(const struct config *);
/* Forget the loaded tokens. */
void api_free(void);

/*
 * Load a tokens file: "name token [CODE,CODE...]" lines (the codes: the
 * practices the client may see and change; none: every practice; '#'
 * comments, blank lines), a regular file not readable by group or others. -1
 * with *cause ("file:line: message", never a token) if it cannot be used.
 * Caller frees *out.
 */
int api_tokens_load(const char *path, struct api_tokens **out, char **cause);
/* The client whose token is bearer (each compared in constant time), or
 * NULL. */
const char *api_tokens_match(const struct api_tokens *, const char *bearer);
/* The practice scope of bearer's client (see scope.h), or NULL. */
const struct scope_codes *api_tokens_scope(const struct api_tokens *,
                                           const char *bearer);
/* How many clients the file names. */
size_t api_tokens_count(const struct api_tokens *);
void api_tokens_free(struct api_tokens *);
/* 1 if every address "host:port" resolves to is a loopback address. */
int api_addr_loopback(const char *addr);

#endif
