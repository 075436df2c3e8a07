/* An ICB's patient group framework (bronze/silver/gold or its own levels),
 * loaded from YAML and assessed against a year's figures and the evidence
 * log. No criterion is decided in code. */
#ifndef PPGD_FRAMEWORK_H
#define PPGD_FRAMEWORK_H

#include <jansson.h>

struct framework;

/* The figures a requirement may name (NULL-terminated). */
extern const char *const framework_facts[];

/* Load and check a framework file; errors "file:line: ..." or
 * "file: levels[1].criteria[2]: ...", one a line. Caller frees. */
int framework_load(const char *path, struct framework **out, char **errors);
/* Load from a string; origin names it in errors. */
int framework_load_string(const char *yaml, size_t len, const char *origin,
                          struct framework **out, char **errors);
/* Load path, or with path NULL the configured [report] framework, or the
 * built-in Herts and West Essex one when none is configured. */
struct config;
int framework_load_config(const struct config *, const char *path,
                          struct framework **out, char **errors);
void framework_free(struct framework *);
/* The framework's id ("herts-west-essex"). */
const char *framework_id(const struct framework *);
/*
 * Assess: facts maps each framework_facts name to a number; evidence is
 * the practice's evidence log up to the period's end (evidence_list_json);
 * from and to (YYYY-MM-DD, inclusive) bound the period. Returns {framework,
 * title, levels: [...], level, and one array of criteria per level id}.
 * Caller decrefs.
 */
json_t *framework_assess(const struct framework *, const json_t *facts,
                         const json_t *evidence, const char *from,
                         const char *to);

#endif
