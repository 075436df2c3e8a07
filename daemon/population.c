/*
 * NHS Digital publishes, monthly, the patients registered at each GP
 * practice by sex and single year of age, and by five-year age group:
 * columns PUBLICATION, EXTRACT_DATE, ORG_TYPE (or TYPE), ORG_CODE (or
 * CODE), POSTCODE, SEX (ALL, MALE, FEMALE), AGE (0-94, 95+, ALL) or
 * AGE_GROUP_5 (0_4 ... 95+, ALL), NUMBER_OF_PATIENTS.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvio.h"
#include "population.h"
#include "xmalloc.h"

#define MAX_FIELD 256

static const char *const bands[POPULATION_BANDS] = {"0-15",  "16-24", "25-34",
                                                    "35-44", "45-54", "55-64",
                                                    "65-74", "75-84", "85+"};

enum { COL_CODE, COL_SEX, COL_AGE, COL_PATIENTS, COL_TYPE, NCOLS };

int
population_is_nhs(FILE *fp)
{
	char line[1024];
	int nhs = 0;
	char *p;

	if (fgets(line, sizeof line, fp) != NULL) {
		for (p = line; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		nhs = strstr(line, "NUMBER_OF_PATIENTS") != NULL;
	}
	rewind(fp);
	return nhs;
}

static int
band_of(int age)
{
	if (age < 16)
		return 0;
	if (age >= 85)
		return 8;
	return 1 + (age - 15) / 10;
}

/* Add n patients of an AGE or AGE_GROUP_5 value; -1 if unreadable. */
static int
add_age(long *age, const char *v, long n)
{
	int lo, hi, k = 0;

	if (sscanf(v, "%d_%d%n", &lo, &hi, &k) == 2 && v[k] == '\0' &&
	    hi == lo + 4 && lo >= 0) {
		if (lo == 15) {
			age[0] += (n + 2) / 5;
			age[1] += n - (n + 2) / 5;
		} else
			age[band_of(lo)] += n;
		return 0;
	}
	k = 0;
	if (sscanf(v, "%d%n", &lo, &k) == 1 && lo >= 0 && lo < 130 &&
	    (v[k] == '\0' || (v[k] == '+' && v[k + 1] == '\0'))) {
		age[band_of(lo)] += n;
		return 0;
	}
	return -1;
}

/* One row of the practice; NULL or what is wrong with it. */
static const char *
add_row(struct population_sum *s, const char *sex, const char *agev,
        const char *num)
{
	char *end;
	long n = strtol(num, &end, 10);
	int si;

	if (*num == '\0' || *end != '\0' || n < 0 || n > 10000000)
		return "NUMBER_OF_PATIENTS is not a whole number";
	if (strcasecmp(agev, "ALL") == 0)
		return NULL; /* totals: the ages add up to them */
	if (strcasecmp(sex, "ALL") == 0)
		return add_age(s->age_all, agev, n) == -1 ? "unreadable age"
		                                          : NULL;
	if (strcasecmp(sex, "FEMALE") == 0 || strcasecmp(sex, "F") == 0)
		si = 0;
	else if (strcasecmp(sex, "MALE") == 0 || strcasecmp(sex, "M") == 0)
		si = 1;
	else
		return "SEX is not MALE, FEMALE or ALL";
	if (add_age(s->age, agev, n) == -1)
		return "unreadable age";
	s->sex[si] += n;
	s->sexed = 1;
	return NULL;
}

static int
header_cols(const struct csv_record *rec, int *col)
{
	static const char *const names[NCOLS] = {
	    "|ORG_CODE|CODE|PRACTICE_CODE|", "|SEX|", "|AGE|AGE_GROUP_5|",
	    "|NUMBER_OF_PATIENTS|", "|ORG_TYPE|TYPE|"};
	char *key;
	size_t i, j;

	for (j = 0; j < NCOLS; j++)
		col[j] = -1;
	for (i = 0; i < rec->nfields; i++) {
		key = xasprintf("|%s|", rec->fields[i]);
		for (j = 0; key[j] != '\0'; j++)
			key[j] = (char)toupper((unsigned char)key[j]);
		for (j = 0; j < NCOLS; j++)
			if (col[j] < 0 && strstr(names[j], key) != NULL)
				col[j] = (int)i;
		free(key);
	}
	return col[COL_CODE] >= 0 && col[COL_SEX] >= 0 && col[COL_AGE] >= 0 &&
	               col[COL_PATIENTS] >= 0
	           ? 0
	           : -1;
}

int
population_nhs_add(FILE *fp, const char *origin, const char *code,
                   struct population_sum *s, char **cause)
{
	struct csv_reader *cr = csvr_new(fp, MAX_FIELD);
	struct csv_record *rec;
	const char *err;
	size_t before = s->rows;
	int col[NCOLS], rc, i, max = 0;

	if ((rc = csvr_next(cr, &rec, cause)) != 1 || rec->error != NULL ||
	    header_cols(rec, col) == -1) {
		if (rc != -1)
			*cause =
			    xasprintf("%s:1: not an NHS Digital GP "
			              "registration file (ORG_CODE, SEX, AGE "
			              "or AGE_GROUP_5, NUMBER_OF_PATIENTS)",
			              origin);
		csvr_free(cr);
		return -1;
	}
	for (i = 0; i < NCOLS; i++)
		if (col[i] > max)
			max = col[i];
	while ((rc = csvr_next(cr, &rec, cause)) == 1) {
		if (rec->error != NULL || rec->nfields <= (size_t)max) {
			*cause = xasprintf("%s:%zu: %s", origin, rec->line,
			                   rec->error ? rec->error
			                              : "too few fields");
			rc = -1;
			break;
		}
		if (strcasecmp(rec->fields[col[COL_CODE]], code) != 0 ||
		    (col[COL_TYPE] >= 0 &&
		     strcasecmp(rec->fields[col[COL_TYPE]], "GP") != 0))
			continue;
		if ((err = add_row(s, rec->fields[col[COL_SEX]],
		                   rec->fields[col[COL_AGE]],
		                   rec->fields[col[COL_PATIENTS]])) != NULL) {
			*cause =
			    xasprintf("%s:%zu: %s", origin, rec->line, err);
			rc = -1;
			break;
		}
		s->rows++;
	}
	csvr_free(cr);
	if (rc == 0 && s->rows == before) {
		*cause = xasprintf("%s: no rows for practice %s (is it the "
		                   "practice-level file?)",
		                   origin, code);
		rc = -1;
	}
	return rc;
}

int
population_write(FILE *out, const struct population_sum *s, struct db *db,
                 const char *code)
{
	const long *age = s->sexed ? s->age : s->age_all;
	sqlite3_stmt *st;
	char num[24];
	const char *row[3];
	int i, rc = 0;

	row[0] = "field";
	row[1] = "value";
	row[2] = "patients";
	rc |= csvw_record(out, row, 3);
	row[0] = "age_band";
	for (i = 0; i < POPULATION_BANDS; i++) {
		snprintf(num, sizeof num, "%ld", age[i]);
		row[1] = bands[i];
		row[2] = num;
		rc |= csvw_record(out, row, 3);
	}
	row[0] = "sex";
	for (i = 0; s->sexed && i < 2; i++) {
		snprintf(num, sizeof num, "%ld", s->sex[i]);
		row[1] = i == 0 ? "female" : "male";
		row[2] = num;
		rc |= csvw_record(out, row, 3);
	}
	st = db_stmt(db, "SELECT value, patients FROM population JOIN"
	                 " practices p ON p.id = practice_id WHERE p.code = ?"
	                 " AND field = 'ethnicity' ORDER BY value");
	db_bind_text(st, 1, code);
	row[0] = "ethnicity";
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(num, sizeof num, "%lld",
		         (long long)sqlite3_column_int64(st, 1));
		row[1] = db_col_text(st, 0);
		row[2] = num;
		rc |= csvw_record(out, row, 3);
	}
	sqlite3_reset(st);
	return rc == 0 && fflush(out) == 0 ? 0 : -1;
}
