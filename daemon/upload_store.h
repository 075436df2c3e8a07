/* Files uploaded to the web admin, held from a preview to its confirm. */
#ifndef PPGD_UPLOAD_STORE_H
#define PPGD_UPLOAD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* How long a held upload waits for its confirm. */
#define UPLOAD_TTL (60 * 60)

/*
 * Hold len bytes of data, named name, of kind ("members-csv") for user at
 * practice; sets token (22 characters: only its hash is stored). Uploads
 * older than UPLOAD_TTL, and the user's last one of this kind, are dropped
 * first. -1 with *cause.
 */
int upload_put(struct db *, int64_t user, int64_t practice, const char *kind,
               const char *name, const void *data, size_t len, int64_t now,
               char token[23], char **cause);
/*
 * The upload of token if the same user held it for the same practice and
 * kind within UPLOAD_TTL: 1 with *data (len bytes and a NUL) and *name,
 * else 0. Caller frees both.
 */
int upload_get(struct db *, const char *token, int64_t user, int64_t practice,
               const char *kind, int64_t now, char **data, size_t *len,
               char **name);
/* Forget the upload of token (after its confirm). */
void upload_drop(struct db *, const char *token);

#endif
