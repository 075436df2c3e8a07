/*
 * Survey definitions: the model and canonical JSON (survey.c), YAML loading
 * and validation (survey_yaml.c), answers and SMS prompts (survey_answer.c).
 */
#ifndef PPGD_SURVEY_H
#define PPGD_SURVEY_H

#include <stddef.h>
#include <jansson.h>

enum qtype { Q_FFT, Q_SCALE, Q_CHOICE, Q_YESNO, Q_NUMBER, Q_TEXT };

/*
 * One question. Fields that do not apply to its type are zero/NULL.
 * fft and yesno questions carry their fixed answers in options, so every
 * option-type question (fft, choice, yesno) is answered by option number.
 */
struct question {
	char *key;
	enum qtype type;
	char *text; /* web wording; fixed for fft */
	char *sms;  /* short SMS wording, or NULL to use text */
	int required;
	char *service; /* fft: service name in the wording, or NULL */
	char **options;
	size_t noptions;
	int multiple;                /* choice */
	int max_picks;               /* choice with multiple; 0 = no limit */
	long min, max;               /* scale, number */
	char *min_label, *max_label; /* scale, or NULL */
	int max_length;              /* text, in characters */
	char *show_if_key;           /* an earlier question, or NULL */
	char **show_if_values;       /* normalised values that show this */
	size_t nshow_if_values;
};

struct survey {
	char *slug, *title;
	char *introduction; /* or NULL */
	char *closing;
	int version;
	int anonymous;
	struct question *questions;
	size_t nquestions;
	char hash[65]; /* hex SHA-256 of survey_dumps() */
};

/* ---- survey_yaml.c */

/*
 * Parse and validate a survey file. On failure return -1 and set *errors to
 * every problem found, one per line, each "file:line: message". Caller frees
 * *out with survey_free, *errors with free.
 */
int survey_load_file(const char *path, struct survey **out, char **errors);
/* As survey_load_file, from memory; origin names the source in errors. */
int survey_load_string(const char *yaml, size_t len, const char *origin,
                       struct survey **out, char **errors);

/* ---- survey.c */

void survey_free(struct survey *);
/* The type's name as written in YAML ("fft", "scale", ...). */
const char *survey_qtype_name(enum qtype);
/* Canonical JSON for storage. Caller json_decref's. */
json_t *survey_to_json(const struct survey *);
/* Canonical JSON text (compact, sorted keys): what the hash covers. Caller
 * frees. */
char *survey_dumps(const struct survey *);
/* Rebuild (and revalidate) a survey from survey_to_json output. */
int survey_from_json(const json_t *, struct survey **out, char **cause);

/* The question with this key, or NULL. */
const struct question *survey_question(const struct survey *, const char *key);
/*
 * Is q shown, given the answers so far? lookup returns the normalised answer
 * to a question, or NULL if it was not answered (or not shown).
 */
int survey_shown(const struct survey *, const struct question *,
                 const char *(*lookup)(void *arg, const char *key), void *arg);

/* ---- survey_answer.c */

/*
 * Validate and normalise a web form value. Option questions take option
 * numbers ("1" is the first); a multiple choice takes them comma-separated
 * ("1,4"; the form's repeated values joined with ','). On success *normalised
 * is the answer (option numbers ascending and comma-separated, a decimal
 * number, or trimmed text), or NULL if an optional question was left empty.
 * On failure -1 and a short *cause fit to show the patient. Caller frees both.
 */
int survey_answer_web(const struct question *, const char *raw,
                      char **normalised, char **cause);
/*
 * Parse an SMS reply the same way: numbers, option letters, option words in
 * any case, yes/no/y/n, several at once for multiple choice ("1,3", "1 3",
 * "a and c"); SKIP passes an optional question. *cause is a short
 * patient-friendly re-prompt. Caller frees both.
 */
int survey_answer_sms(const struct question *, const char *reply,
                      char **normalised, char **cause);
/* The SMS prompt for q: its wording and how to reply. Caller frees. */
char *survey_sms_prompt(const struct question *);

#endif
