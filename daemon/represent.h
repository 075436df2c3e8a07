/*
 * Representation: is the group like the practice's patients? The practice
 * population profile (ppgd-population(5)) against the active membership.
 */
#ifndef PPGD_REPRESENT_H
#define PPGD_REPRESENT_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "db.h"

struct html;

/* Groups whose member share / population share is below this are
 * under-represented. */
#define REPRESENT_THRESHOLD 0.8

/*
 * A member "with an active term on the date ?2": joined by then, and
 * neither their term ended nor their record erased by then. Every
 * membership figure in the reports uses this one definition.
 */
#define REPRESENT_ACTIVE_SQL                                                   \
	"joined_at <= ?2 AND (term_ends_at IS NULL OR term_ends_at > ?2)"      \
	" AND (erased_at IS NULL OR erased_at > ?2)"
/* The number of members of practice id pid active at time at. */
long represent_members_at(struct db *, int64_t pid, int64_t at);

/*
 * Replace the population profile of practice code with the CSV on fp
 * (field,value,patients), in one transaction. On bad input nothing is
 * written and *cause lists every problem, one "origin:line: message" a line.
 * *rows is set to the number of rows stored. Caller frees *cause.
 */
int represent_load_profile(struct db *, const char *code, FILE *fp,
                           const char *origin, int *rows, char **cause);
/*
 * The representation of practice code among members active at time at:
 * per field and group, members, population, shares, ratio, the flag and the
 * campaign audience that would target the group; seldom-heard tags.
 * Caller decrefs *out.
 */
int represent_report(struct db *, const char *code, int64_t at, json_t **out,
                     char **cause);
/* The ratio of member share to population share; -1 when the population
 * share is 0. */
double represent_ratio(long members, long members_base, long patients,
                       long patients_base);
/* Append the report's tables (and a chart per field) to an HTML page;
 * small numbers suppressed unless internal. */
void represent_html(struct html *, const json_t *report, int internal);

/* The report as one page titled with the practice and its date. Caller
 * frees. */
char *represent_page(const json_t *report, int internal, size_t *len);

#endif
