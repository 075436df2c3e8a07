/*
 * Fuzz survey_answer_sms on every question of the shipped surveys. The first
 * byte picks the question, the rest is the reply. An accepted answer must be
 * a normalised value the web parser accepts unchanged (one meaning, two
 * channels); a refused one must come with a re-prompt.
 * FUZZ_SOURCES: daemon/survey.c daemon/survey_yaml.c daemon/survey_answer.c daemon/yamlx.c daemon/buf.c daemon/jsonx.c daemon/xmalloc.c daemon/log.c
 * FUZZ_PKGS: libfyaml jansson libcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "survey.h"

static const char *const files[] = {
    "surveys/fft.yaml", "surveys/post-meeting.yaml",
    "surveys/practice-experience.yaml", "surveys/priorities.yaml"};
#define NFILES (sizeof files / sizeof files[0])

static struct survey *surveys[NFILES];
static const struct question *questions[256];
static size_t nquestions;

static void
load(void)
{
	char *errors = NULL;
	size_t i, j;

	for (i = 0; i < NFILES; i++) {
		if (survey_load_file(files[i], &surveys[i], &errors) == -1)
			abort(); /* run from the top of the tree */
		for (j = 0; j < surveys[i]->nquestions && nquestions < 256; j++)
			questions[nquestions++] = &surveys[i]->questions[j];
	}
}

static void
check_web_agrees(const struct question *q, const char *norm)
{
	char *again = NULL, *cause = NULL;

	if (survey_answer_web(q, norm, &again, &cause) != 0 || again == NULL ||
	    strcmp(again, norm) != 0)
		abort();
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct question *q;
	char *reply, *norm = (char *)1, *cause = (char *)1, *prompt;

	if (nquestions == 0)
		load();
	if (size == 0)
		return 0;
	q = questions[data[0] % nquestions];
	reply = strndup((const char *)data + 1, size - 1);
	if (survey_answer_sms(q, reply, &norm, &cause) == 0) {
		if (cause != NULL || (norm == NULL && q->required))
			abort();
		if (norm != NULL)
			check_web_agrees(q, norm);
	} else if (cause == NULL || *cause == '\0' || norm != NULL)
		abort();
	prompt = survey_sms_prompt(q);
	if (prompt == NULL || *prompt == '\0')
		abort();
	free(prompt);
	free(norm);
	free(cause);
	free(reply);
	return 0;
}
