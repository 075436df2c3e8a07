/* Demographics as GP systems print them: NHS ethnic category and 2021
 * census groups, NHS sex codes, dates of birth, postcodes, Accessible
 * Information Standard needs; the age band computed from a birth month. */
#ifndef PPGD_DEMOG_H
#define PPGD_DEMOG_H

#include <stdint.h>

/*
 * Read an ethnic category: an NHS Data Dictionary code (A-Z, two-letter
 * local extensions by their first letter, 99), its description as systems
 * print it ("White - British", "White British", "British", "Asian or Asian
 * British - Indian"), a 2021 census category ("White: English, Welsh,
 * Scottish, Northern Irish or British", "Other ethnic group: Arab") or a
 * broad group (white, mixed, asian, black, other, not stated). *broad is
 * one of member_ethnicities, *detail the category's canonical label (NULL
 * for a broad group alone); both NULL for "not known". Static strings.
 * Returns 0, or -1 if the text is not an ethnic category.
 */
int demog_ethnicity(const char *v, const char **broad, const char **detail);

/*
 * Read a sex or gender: male, female, indeterminate, not known, not stated
 * and the NHS codes 1, 2, 9, 0, M, F, I, U, X. *out is one of member_sexes
 * or NULL (not known). Returns 0, or -1 if unreadable.
 */
int demog_sex(const char *v, const char **out);

/*
 * Read a date of birth (YYYY-MM-DD, YYYY-MM, DD/MM/YYYY, DD-Mon-YYYY,
 * DD Mon YYYY) into months since year 0 (year * 12 + month - 1); only the
 * year and month are kept. Returns 0, or -1 if not a date from 1880 on.
 */
int demog_birth(const char *v, int *ym);
/* A birth month as "YYYY-MM" in buf (8 bytes); "" if ym is 0. */
const char *demog_birth_text(int ym, char buf[8]);

/*
 * The age band, at time now, of someone born in month ym: one of
 * member_age_bands, or "0-15" under 16. Age counts whole years from the
 * birth month. NULL if ym is 0.
 */
const char *demog_age_band(int ym, int64_t now);

/*
 * The same in SQL: the age band at unix time `now` (an SQL expression) from
 * the birth-month column `ym`, else the stored band column `band`.
 */
#define DEMOG_AGE_BAND_SQL(ym, band, now)                                      \
	"(CASE WHEN " ym " IS NULL THEN " band " ELSE (SELECT CASE"            \
	" WHEN a < 16 THEN '0-15' WHEN a < 25 THEN '16-24'"                    \
	" WHEN a < 35 THEN '25-34' WHEN a < 45 THEN '35-44'"                   \
	" WHEN a < 55 THEN '45-54' WHEN a < 65 THEN '55-64'"                   \
	" WHEN a < 75 THEN '65-74' WHEN a < 85 THEN '75-84' ELSE '85+' END"    \
	" FROM (SELECT (CAST(strftime('%Y', " now ", 'unixepoch') AS INTEGER)" \
	" * 12 + CAST(strftime('%m', " now                                     \
	", 'unixepoch') AS INTEGER) - 1 - " ym ") / 12 AS a)) END)"

/*
 * Normalise a UK postcode ("ls1 4ap" -> "LS1 4AP"); with outward, keep only
 * the outward code ("LS1"). An outward code alone is accepted. Caller
 * frees; NULL if it is not a postcode.
 */
char *demog_postcode(const char *v, int outward);

/*
 * Normalise Accessible Information Standard needs, separated by ; , or |:
 * known ones to their names (large-print, easy-read, bsl-interpreter,
 * braille, audio, ...), others kept lower-case with '-' for spaces; sorted,
 * comma-separated. Caller frees.
 */
char *demog_needs(const char *v);

#endif
