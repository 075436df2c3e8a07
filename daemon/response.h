/* Survey responses and their answers, shared by the SMS and web channels. */
#ifndef PPGD_RESPONSE_H
#define PPGD_RESPONSE_H

#include <stdint.h>

#include "db.h"
#include "survey.h"

/* Answers by question key, as survey_shown() looks them up. */
struct answer_set;

struct answer_set *answer_set_new(void);
void answer_set_free(struct answer_set *);
/* Set key to a copy of a normalised value. */
void answer_set_put(struct answer_set *, const char *key, const char *value);
/* survey_shown() lookup: arg is a struct answer_set. */
const char *answer_set_lookup(void *arg, const char *key);
/* The stored answers of a response (multiple choices joined with ','). */
struct answer_set *answer_set_load(struct db *, int64_t response_id);

/*
 * Store one normalised answer: a row per picked option of a multiple choice,
 * else one row; num is the number for options, scales and numbers, NULL for
 * text. 0 or -1.
 */
int response_add_answer(struct db *, int64_t response_id,
                        const struct question *, const char *normalised);
/* Load the survey of surveys.id (its definition). NULL if none/bad. */
struct survey *response_survey(struct db *, int64_t survey_id);

#endif
