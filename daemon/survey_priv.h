/*
 * Internal to the survey modules (survey.c, survey_yaml.c, survey_answer.c):
 * the text helpers they share, and how one answer word is read, which the
 * loader also uses to check show_if values.
 */
#ifndef PPGD_SURVEY_PRIV_H
#define PPGD_SURVEY_PRIV_H

#include <stddef.h>

#include "survey.h"

#define MAX_OPTIONS 26 /* one letter each in SMS replies */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* 1 for ASCII white space. */
int survey_is_space(int c);
/* A copy of s without surrounding white space. Caller frees. */
char *survey_trim_dup(const char *s, size_t len);
/* Characters of UTF-8 text; -1 if invalid or, with strict, a control char. */
long survey_utf8_count(const char *s, int strict);
/* Parse a whole decimal integer with an optional sign; 0 or -1. */
int survey_parse_long(const char *s, long *out);
/* A label or reply folded for matching. Caller frees. */
char *survey_fold(const char *s);
/* 1 if a and b are equal once folded. */
int survey_fold_equal(const char *a, const char *b);
/* 1 for the types answered by option number (fft, choice, yesno). */
int survey_is_option_type(enum qtype);
/* The type named as in YAML, or -1. */
int survey_qtype_from_name(const char *name);
/* Set s->hash from survey_dumps(s). */
void survey_rehash(struct survey *);
/* One answer word to q: its option number (or the number itself) or -1. */
long survey_answer_one(const struct question *q, const char *word);

#endif
