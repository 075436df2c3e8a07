/* Practices: one daemon may serve several (a PCN or locality network). */
#ifndef PPGD_PRACTICE_H
#define PPGD_PRACTICE_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

struct practice {
	int64_t id;
	char *code;
	char *name;
	char *email_from;
	char *sms_from;
	char *phone;
	char *website;
	char *timezone;
};

/* Add a practice; -1 with *cause if the code is taken or a value is bad. */
int practice_add(struct db *, const struct practice *, char **cause);
/* Update name/contact fields of an existing practice (by code). */
int practice_update(struct db *, const struct practice *, char **cause);
/* Find by code. Caller frees with practice_free. NULL if none. */
/* 1 if code is a well-formed practice code (letters, digits, '-'). */
int practice_code_ok(const char *code);
struct practice *practice_find(struct db *, const char *code);
struct practice *practice_get(struct db *, int64_t id);
void practice_free(struct practice *);
/* All practices as a JSON array, with member counts. */
json_t *practice_list_json(struct db *);
json_t *practice_to_json(const struct practice *);

#endif
