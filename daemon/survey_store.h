/* Stored surveys: versions of each slug in the surveys table. */
#ifndef PPGD_SURVEY_STORE_H
#define PPGD_SURVEY_STORE_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"
#include "survey.h"

enum survey_saved { SURVEY_NEW, SURVEY_NEW_VERSION, SURVEY_UNCHANGED };

/*
 * Store s: unchanged when the latest version of its slug has the same hash,
 * else a new row with version latest+1. Sets *id and *version of the row.
 */
int survey_store_save(struct db *, const struct survey *, int64_t now,
                      int64_t *id, int *version, enum survey_saved *,
                      char **cause);
/* The id of the latest version of slug (0 if none); *version set if found. */
int64_t survey_store_latest(struct db *, const char *slug, int *version);
/* The id of version (0: the latest) of slug, or 0. */
int64_t survey_store_find(struct db *, const char *slug, int version);
/* Rebuild the survey stored as row id (version from the row). Caller frees. */
struct survey *survey_store_get(struct db *, int64_t id, char **cause);
/* The slug of row id. Caller frees. NULL if none. */
char *survey_store_slug(struct db *, int64_t id);
/* Every slug with its latest version, as a JSON array. */
json_t *survey_store_list(struct db *);
/* One stored version with its definition, or NULL. */
json_t *survey_store_json(struct db *, int64_t id);

#endif
