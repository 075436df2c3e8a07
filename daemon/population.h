/* The practice population from NHS Digital's "Patients Registered at a GP
 * Practice" CSVs, summed into ppgd's age bands and sexes. */
#ifndef PPGD_POPULATION_H
#define PPGD_POPULATION_H

#include <stdio.h>

#include "db.h"

#define POPULATION_BANDS 9 /* 0-15, 16-24 ... 75-84, 85+ */

struct population_sum {
	long age[POPULATION_BANDS];
	long sex[2];                    /* female, male */
	long age_all[POPULATION_BANDS]; /* from SEX=ALL rows */
	size_t rows;                    /* rows of the practice read */
	int sexed; /* 1 once a MALE or FEMALE row was read */
};

/* 1 if the CSV header line names NUMBER_OF_PATIENTS (an NHS Digital file);
 * fp is rewound. */
int population_is_nhs(FILE *fp);

/*
 * Add the rows of practice code from an NHS Digital file, single year of
 * age (gp-reg-pat-prac-sing-age-*.csv: AGE 0-94, 95+) or five-year
 * (gp-reg-pat-prac-quin-age.csv: AGE_GROUP_5 0_4 ... 95+). The five-year
 * group 15_19 is split a fifth to 0-15 and the rest to 16-24. Returns 0,
 * or -1 with *cause ("origin:line: message").
 */
int population_nhs_add(FILE *fp, const char *origin, const char *code,
                       struct population_sum *, char **cause);

/*
 * Write the sums as field,value,patients CSV, followed by the practice's
 * stored ethnicity rows (which the NHS files do not carry), for
 * represent_load_profile.
 */
int population_write(FILE *out, const struct population_sum *, struct db *,
                     const char *code);

#endif
