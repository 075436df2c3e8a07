/* Tests for survey.c: loading, errors, JSON round trip, show_if, answers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survey.h"
#include "xmalloc.h"

static const char *
top(void)
{
	const char *t = getenv("PPGD_TOP");

	return t != NULL ? t : ".";
}

/* The contents of a file under the source tree. Caller frees. */
static char *
slurp(const char *rel, size_t *len)
{
	char *path = xasprintf("%s/%s", top(), rel), *buf;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	buf = xmalloc(1024 * 1024);
	*len = fread(buf, 1, 1024 * 1024 - 1, fp);
	buf[*len] = '\0';
	fclose(fp);
	free(path);
	return buf;
}

static struct survey *
load_ok(const char *yaml)
{
	struct survey *s;
	char *errors;

	if (survey_load_string(yaml, strlen(yaml), "test", &s, &errors) != 0)
		fail_msg("unexpected errors:\n%s", errors);
	assert_non_null(s);
	return s;
}

static struct survey *
load_shipped(const char *name)
{
	char *path = xasprintf("%s/surveys/%s", top(), name), *errors;
	struct survey *s;

	if (survey_load_file(path, &s, &errors) != 0)
		fail_msg("%s", errors);
	free(path);
	return s;
}

/* ---- shipped surveys ---------------------------------------------------- */

static const char *const shipped[] = {"fft.yaml",
                                      "practice-experience.yaml",
                                      "post-meeting.yaml",
                                      "priorities.yaml",
                                      "joining.yaml",
                                      "term-renewal.yaml",
                                      "meeting-date-poll.yaml",
                                      "service-change.yaml",
                                      "group-self-assessment.yaml",
                                      "exit.yaml"};

static void
test_shipped_round_trip(void **state)
{
	struct survey *s, *back;
	char *cause, *a, *b;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		s = load_shipped(shipped[i]);
		assert_int_equal(strlen(s->hash), 64);
		assert_int_equal(strspn(s->hash, "0123456789abcdef"), 64);
		/* Only the surveys whose answers act on the member (joining,
		 * renewal, availability) know who answered. */
		assert_int_equal(
		    s->anonymous,
		    strcmp(shipped[i], "joining.yaml") != 0 &&
		        strcmp(shipped[i], "term-renewal.yaml") != 0 &&
		        strcmp(shipped[i], "meeting-date-poll.yaml") != 0);
		j = survey_to_json(s);
		if (survey_from_json(j, &back, &cause) != 0)
			fail_msg("%s: %s", shipped[i], cause);
		assert_string_equal(back->hash, s->hash);
		a = survey_dumps(s);
		b = survey_dumps(back);
		assert_string_equal(a, b);
		free(a);
		free(b);
		json_decref(j);
		survey_free(back);
		survey_free(s);
	}
}

static void
test_shipped_contents(void **state)
{
	struct survey *s = load_shipped("fft.yaml");
	const struct question *q;

	assert_string_equal(s->slug, "fft");
	assert_int_equal(s->nquestions, 3);
	assert_int_equal(s->questions[0].type, Q_FFT);
	assert_int_equal(s->questions[1].type, Q_TEXT);
	assert_int_equal(s->questions[2].type, Q_TEXT);
	survey_free(s);

	s = load_shipped("priorities.yaml");
	q = survey_question(s, "priorities");
	assert_non_null(q);
	assert_int_equal(q->type, Q_CHOICE);
	assert_true(q->multiple);
	assert_int_equal(q->max_picks, 3);
	assert_true(q->noptions >= 8);
	survey_free(s);

	s = load_shipped("practice-experience.yaml");
	q = survey_question(s, "phone_ease");
	assert_string_equal(q->show_if_key, "phoned");
	assert_int_equal(q->nshow_if_values, 1);
	assert_string_equal(q->show_if_values[0], "1");
	survey_free(s);
}

/* GSM 03.38 basic-set characters cost one; ASCII outside it costs more. */
static int
gsm7_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80 || strchr("[]{}\\^~|`", *s))
			return 0;
	return 1;
}

static void
test_shipped_prompts_fit_two_segments(void **state)
{
	struct survey *s;
	size_t i, k;
	char *p;

	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		s = load_shipped(shipped[i]);
		for (k = 0; k < s->nquestions; k++) {
			p = survey_sms_prompt(&s->questions[k]);
			if (!gsm7_plain(p) || strlen(p) > 2 * 153)
				fail_msg("%s: prompt too long or not GSM-7: "
				         "%s",
				         shipped[i], p);
			free(p);
		}
		survey_free(s);
	}
}

/* ---- errors ------------------------------------------------------------- */

static const struct {
	const char *file;
	const char *errors;
} bad[] = {
    {"syntax.yaml", "syntax.yaml:8: flow sequence without a closing bracket\n"},
    {"duplicate-mapping-key.yaml",
     "duplicate-mapping-key.yaml:4: duplicate key\n"},
    {"unknown-type.yaml",
     "unknown-type.yaml:5: unknown type 'rating' (fft, scale, choice, yesno, "
     "number or text)\n"},
    {"unknown-key.yaml",
     "unknown-key.yaml:2: unknown key 'titel'\n"
     "unknown-key.yaml:8: unknown key 'optoins' in a question\n"
     "unknown-key.yaml:10: unknown key 'colour' in a question\n"},
    {"duplicate-question-key.yaml",
     "duplicate-question-key.yaml:10: duplicate question key 'visit' (first at "
     "line 4)\n"},
    {"show-if-forward.yaml",
     "show-if-forward.yaml:7: show_if: question 'happy' comes later; show_if "
     "may only name an earlier question\n"},
    {"show-if-bad.yaml",
     "show-if-bad.yaml:14: show_if: there is no question 'nowhere'\n"
     "show-if-bad.yaml:18: show_if: a question cannot depend on itself\n"
     "show-if-bad.yaml:22: show_if: 'Purple' is not an answer to 'colour'\n"
     "show-if-bad.yaml:26: show_if: cannot depend on text question 'notes'\n"
     "show-if-bad.yaml:30: show_if: '7' is not an answer to 'colour'\n"
     "show-if-bad.yaml:34: show_if must be {question: KEY, equals: VALUE} or "
     "{question: KEY, in: [VALUES]}\n"
     "show-if-bad.yaml:38: show_if must be {question: KEY, equals: VALUE} or "
     "{question: KEY, in: [VALUES]}\n"},
    {"options.yaml", "options.yaml:4: choice question 'none' has no 'options'\n"
                     "options.yaml:10: a choice needs from 2 to 26 options\n"
                     "options.yaml:17: option 'very  GOOD' is listed twice\n"
                     "options.yaml:21: 'options' must be a list\n"
                     "options.yaml:25: 'options' does not apply to yesno "
                     "questions\n"},
    {"min-max.yaml",
     "min-max.yaml:8: 'min' (5) must be less than 'max' (1)\n"
     "min-max.yaml:13: 'min' (3) must be less than 'max' (3)\n"
     "min-max.yaml:18: a scale may have at most 11 points\n"
     "min-max.yaml:23: 'min' (10) is more than 'max' (2)\n"
     "min-max.yaml:27: 'max' must be a whole number, not '1.5'\n"
     "min-max.yaml:31: 'max_length' must be from 1 to 10000\n"},
    {"bad-values.yaml",
     "bad-values.yaml:1: slug 'Bad Slug!' may use only a-z, 0-9 and '-' (at "
     "most 64)\n"
     "bad-values.yaml:3: 'version' must be from 1 to 2147483647\n"
     "bad-values.yaml:4: 'anonymous' must be true or false, not 'maybe'\n"
     "bad-values.yaml:6: key 'Bad-Key' may use only a-z, 0-9 and '_' (at most "
     "64)\n"
     "bad-values.yaml:9: 'required' must be true or false, not 'sometimes'\n"
     "bad-values.yaml:12: 'text' is empty\n"
     "bad-values.yaml:14: 'multiple' must be true or false, not '1'\n"},
    {"fft-fixed.yaml",
     "fft-fixed.yaml:6: the fft wording is fixed by the NHS; use 'service' to "
     "name the service\n"
     "fft-fixed.yaml:7: the fft wording is fixed by the NHS; use 'service' to "
     "name the service\n"
     "fft-fixed.yaml:8: 'options' does not apply to fft questions\n"
     "fft-fixed.yaml:12: 'min_label' does not apply to fft questions\n"},
    {"missing.yaml",
     "missing.yaml:4: question has no 'key'\n"
     "missing.yaml:6: question has no 'type'\n"
     "missing.yaml:8: question 'no_text' has no 'text'\n"
     "missing.yaml:10: a question must be a mapping of key, type, text ...\n"
     "missing.yaml:1: survey has no 'slug'\n"
     "missing.yaml:1: survey has no 'title'\n"},
    {"max-picks.yaml",
     "max-picks.yaml:8: 'max_picks' needs 'multiple: true'\n"
     "max-picks.yaml:13: 'max_picks' (4) is more than the 3 options\n"},
    {"not-mapping.yaml", "not-mapping.yaml:1: a survey must be a mapping of "
                         "slug, title, questions ...\n"},
    {"empty.yaml", "empty.yaml:1: no survey here (the file is empty)\n"},
    {"two-documents.yaml",
     "two-documents.yaml:8: only one survey may be in a file\n"},
    {"no-questions.yaml",
     "no-questions.yaml:3: 'questions' must be a list of questions\n"},
};

static void
test_bad_files(void **state)
{
	struct survey *s;
	char *rel, *text, *errors;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rel = xasprintf("tests/data/surveys/%s", bad[i].file);
		text = slurp(rel, &len);
		assert_int_equal(
		    survey_load_string(text, len, bad[i].file, &s, &errors),
		    -1);
		assert_null(s);
		assert_string_equal(errors, bad[i].errors);
		free(errors);
		free(text);
		free(rel);
	}
}

static void
test_load_file_errors_name_the_path(void **state)
{
	char *path = xasprintf("%s/tests/data/surveys/max-picks.yaml", top());
	char *want, *errors;
	struct survey *s;

	assert_int_equal(survey_load_file(path, &s, &errors), -1);
	want = xasprintf("%s:8: 'max_picks' needs 'multiple: true'\n", path);
	assert_int_equal(strncmp(errors, want, strlen(want)), 0);
	free(want);
	free(errors);
	free(path);

	assert_int_equal(survey_load_file("/nonexistent/x.yaml", &s, &errors),
	                 -1);
	assert_null(s);
	assert_string_equal(errors,
	                    "/nonexistent/x.yaml: No such file or directory\n");
	free(errors);
}

/* ---- the model ---------------------------------------------------------- */

static const char defaults_yaml[] = "slug: d\n"
                                    "title: Defaults\n"
                                    "questions:\n"
                                    "  - {key: s, type: scale, text: S}\n"
                                    "  - {key: n, type: number, text: N}\n"
                                    "  - {key: t, type: text, text: T}\n"
                                    "  - {key: y, type: yesno, text: Y}\n"
                                    "  - {key: f, type: fft}\n";

static void
test_defaults(void **state)
{
	struct survey *s = load_ok(defaults_yaml);

	assert_int_equal(s->version, 1);
	assert_false(s->anonymous);
	assert_null(s->introduction);
	assert_string_equal(s->closing, "Thank you for your feedback.");
	assert_int_equal(s->questions[0].min, 1);
	assert_int_equal(s->questions[0].max, 5);
	assert_int_equal(s->questions[1].min, 0);
	assert_int_equal(s->questions[1].max, 999999);
	assert_int_equal(s->questions[2].max_length, 1000);
	assert_false(s->questions[2].required);
	assert_int_equal(s->questions[3].noptions, 2);
	assert_string_equal(s->questions[3].options[0], "Yes");
	assert_string_equal(s->questions[3].options[1], "No");
	assert_string_equal(s->questions[4].text,
	                    "Overall, how was your experience of our service?");
	survey_free(s);
}

static void
test_fft_wording_and_service(void **state)
{
	static const char *const answers[] = {
	    "Very good", "Good",      "Neither good nor poor",
	    "Poor",      "Very poor", "Don't know"};
	struct survey *s = load_ok("slug: f\ntitle: F\nquestions:\n"
	                           "  - key: f\n    type: fft\n"
	                           "    service: the nurse clinic\n");
	const struct question *q = &s->questions[0];
	size_t i;

	assert_string_equal(
	    q->text, "Overall, how was your experience of the nurse clinic?");
	assert_null(q->sms);
	assert_int_equal(q->noptions, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(q->options[i], answers[i]);
	survey_free(s);
}

static void
test_hash_is_content_not_layout(void **state)
{
	struct survey *a = load_ok(defaults_yaml);
	struct survey *b = load_ok(
	    "# the same survey, written out in full\n"
	    "title: Defaults\nslug: d\nversion: 1\nanonymous: false\n"
	    "closing: Thank you for your feedback.\n"
	    "questions:\n"
	    "  - {key: s, type: scale, text: S, min: 1, max: 5}\n"
	    "  - {key: n, type: number, text: N, required: false}\n"
	    "  - {key: t, type: text, text: '  T  ', max_length: 1000}\n"
	    "  - {key: y, type: yesno, text: Y}\n"
	    "  - {key: f, type: fft}\n");
	struct survey *c = load_ok("slug: d\n"
	                           "title: Defaults\n"
	                           "version: 2\n"
	                           "questions:\n"
	                           "  - {key: s, type: scale, text: S}\n"
	                           "  - {key: n, type: number, text: N}\n"
	                           "  - {key: t, type: text, text: T}\n"
	                           "  - {key: y, type: yesno, text: Y}\n"
	                           "  - {key: f, type: fft}\n");

	assert_string_equal(a->hash, b->hash);
	assert_string_not_equal(a->hash, c->hash);
	survey_free(a);
	survey_free(b);
	survey_free(c);
}

/* The stored form and its hash (checked with sha256sum) must not drift. */
static void
test_canonical_json(void **state)
{
	struct survey *s = load_ok(
	    "slug: c\ntitle: Canonical\nquestions:\n"
	    "  - {key: c, type: choice, text: Pick, options: [A, B], multiple: "
	    "true}\n"
	    "  - {key: why, type: text, text: Why?, show_if: {question: c, "
	    "equals: b}}\n");
	char *text = survey_dumps(s);

	assert_string_equal(
	    text, "{\"anonymous\":false,\"closing\":\"Thank you for your "
	          "feedback.\",\"questions\":[{\"key\":\"c\",\"multiple\":"
	          "true,\"options\":[\"A\",\"B\"],\"required\":false,"
	          "\"text\":\"Pick\",\"type\":\"choice\"},{\"key\":\"why\","
	          "\"max_length\":1000,\"required\":false,\"show_if\":{"
	          "\"in\":[\"2\"],\"question\":\"c\"},\"text\":\"Why?\","
	          "\"type\":\"text\"}],\"slug\":\"c\",\"title\":"
	          "\"Canonical\",\"version\":1}");
	assert_string_equal(
	    s->hash,
	    "78a55905abbca2ceea9fe580fd5851daa514370c5050e8bb828597f66337ea4d");
	free(text);
	survey_free(s);
}

static void
test_from_json_validates(void **state)
{
	struct survey *s = load_shipped("post-meeting.yaml"), *back;
	json_t *j = survey_to_json(s), *qs, *si;
	char *cause;

	/* Point help_say's show_if at a later question. */
	qs = json_object_get(j, "questions");
	si = json_object_get(json_array_get(qs, 2), "show_if");
	json_object_set_new(si, "question", json_string("next_agenda"));
	assert_int_equal(survey_from_json(j, &back, &cause), -1);
	assert_null(back);
	assert_non_null(strstr(cause, "comes later"));
	free(cause);
	json_decref(j);

	j = json_string("not a survey");
	assert_int_equal(survey_from_json(j, &back, &cause), -1);
	assert_string_equal(cause, "stored survey is not a JSON object");
	free(cause);
	json_decref(j);
	survey_free(s);
}

static void
test_question_lookup_and_names(void **state)
{
	struct survey *s = load_ok(defaults_yaml);

	assert_ptr_equal(survey_question(s, "t"), &s->questions[2]);
	assert_null(survey_question(s, "missing"));
	assert_string_equal(survey_qtype_name(Q_FFT), "fft");
	assert_string_equal(survey_qtype_name(Q_SCALE), "scale");
	assert_string_equal(survey_qtype_name(Q_CHOICE), "choice");
	assert_string_equal(survey_qtype_name(Q_YESNO), "yesno");
	assert_string_equal(survey_qtype_name(Q_NUMBER), "number");
	assert_string_equal(survey_qtype_name(Q_TEXT), "text");
	assert_string_equal(survey_qtype_name((enum qtype)99), "unknown");
	survey_free(s);
}

/* ---- show_if ------------------------------------------------------------ */

struct answers {
	const char *key[4], *value[4];
};

static const char *
lookup(void *arg, const char *key)
{
	struct answers *a = arg;
	size_t i;

	for (i = 0; i < 4 && a->key[i] != NULL; i++)
		if (strcmp(a->key[i], key) == 0)
			return a->value[i];
	return NULL;
}

static int
shown(const struct survey *s, const char *q, const char *key, const char *value)
{
	struct answers a = {{key}, {value}};

	return survey_shown(s, survey_question(s, q), lookup, &a);
}

static void
test_show_if(void **state)
{
	struct survey *s = load_shipped("practice-experience.yaml");

	assert_true(shown(s, "phoned", NULL, NULL));
	assert_true(shown(s, "phone_ease", "phoned", "1"));
	assert_false(shown(s, "phone_ease", "phoned", "2"));
	assert_false(shown(s, "phone_ease", NULL, NULL));
	assert_true(shown(s, "booking", "phoned", "2"));
	survey_free(s);

	s = load_shipped("post-meeting.yaml");
	assert_false(shown(s, "help_say", "had_say", "1"));
	assert_true(shown(s, "help_say", "had_say", "2"));
	assert_true(shown(s, "help_say", "had_say", "3"));
	survey_free(s);

	/* A multiple choice shows when any pick matches. */
	s = load_shipped("priorities.yaml");
	assert_true(shown(s, "carers", "priorities", "7"));
	assert_true(shown(s, "carers", "priorities", "1,7,9"));
	assert_false(shown(s, "carers", "priorities", "1,2,3"));
	assert_false(shown(s, "carers", "priorities", "10"));
	survey_free(s);
}

static void
test_show_if_values_resolve(void **state)
{
	struct survey *s = load_ok(
	    "slug: r\ntitle: R\nquestions:\n"
	    "  - {key: yn, type: yesno, text: Y}\n"
	    "  - {key: f, type: fft}\n"
	    "  - {key: sc, type: scale, text: S, min: 0, max: 10}\n"
	    "  - {key: t, type: number, text: T, min: -5, max: 5}\n"
	    "  - {key: a, type: text, text: A, show_if: {question: yn, "
	    "equals: y}}\n"
	    "  - {key: b, type: text, text: B, show_if: {question: f, in: "
	    "[Poor, very poor, \"Don't know\"]}}\n"
	    "  - {key: c, type: text, text: C, show_if: {question: sc, in: "
	    "[0, 1, 2]}}\n"
	    "  - {key: d, type: text, text: D, show_if: {question: t, equals: "
	    "-1}}\n");
	const struct question *q;

	q = survey_question(s, "a");
	assert_int_equal(q->nshow_if_values, 1);
	assert_string_equal(q->show_if_values[0], "1");
	q = survey_question(s, "b");
	assert_int_equal(q->nshow_if_values, 3);
	assert_string_equal(q->show_if_values[0], "4");
	assert_string_equal(q->show_if_values[1], "5");
	assert_string_equal(q->show_if_values[2], "6");
	q = survey_question(s, "c");
	assert_string_equal(q->show_if_values[2], "2");
	assert_string_equal(survey_question(s, "d")->show_if_values[0], "-1");
	assert_true(shown(s, "c", "sc", "0"));
	assert_false(shown(s, "c", "sc", "3"));
	survey_free(s);
}

/* ---- answers ------------------------------------------------------------ */

static const char answers_yaml[] =
    "slug: answers\n"
    "title: Every type\n"
    "questions:\n"
    "  - {key: fft, type: fft, required: true}\n"
    "  - key: pick\n"
    "    type: choice\n"
    "    text: Pick one\n"
    "    options: [Red, Green, Blue, \"Don't mind\"]\n"
    "  - key: many\n"
    "    type: choice\n"
    "    text: Pick up to two\n"
    "    sms: Pick two\n"
    "    multiple: true\n"
    "    max_picks: 2\n"
    "    options: [Phone access, Appointments, Online services, Waiting "
    "room]\n"
    "  - {key: any, type: choice, text: Any, multiple: true, options: [A1, "
    "A2, A3, A4]}\n"
    "  - {key: yn, type: yesno, text: Yes or no?, required: true}\n"
    "  - key: rate\n"
    "    type: scale\n"
    "    text: How easy?\n"
    "    min_label: Very hard\n"
    "    max_label: Very easy\n"
    "  - {key: count, type: number, text: How many?, min: 0, max: 20}\n"
    "  - {key: note, type: text, text: Note, max_length: 20}\n"
    "  - {key: must, type: text, text: Must, required: true}\n";

static struct survey *answers;

static int
setup_answers(void **state)
{
	answers = load_ok(answers_yaml);
	return 0;
}

static int
teardown_answers(void **state)
{
	survey_free(answers);
	return 0;
}

/* Check one answer: want is the normalised value, "(null)" for a skip, or
 * "!" and the cause. */
static void
check(int sms, const char *key, const char *raw, const char *want)
{
	const struct question *q = survey_question(answers, key);
	char *norm = NULL, *cause = NULL, *got;
	int rv;

	assert_non_null(q);
	rv = sms ? survey_answer_sms(q, raw, &norm, &cause)
	         : survey_answer_web(q, raw, &norm, &cause);
	if (rv == 0) {
		assert_null(cause);
		got = xstrdup(norm != NULL ? norm : "(null)");
	} else {
		assert_int_equal(rv, -1);
		assert_null(norm);
		assert_non_null(cause);
		got = xasprintf("!%s", cause);
	}
	if (strcmp(got, want) != 0)
		fail_msg("%s %s '%s': got '%s', want '%s'", sms ? "sms" : "web",
		         key, raw != NULL ? raw : "NULL", got, want);
	free(got);
	free(norm);
	free(cause);
}

#define SMS(k, r, w) check(1, k, r, w)
#define WEB(k, r, w) check(0, k, r, w)

static void
test_sms_options(void **state)
{
	const char *fft_bad = "!Please reply with one number from 1 to 6.";

	SMS("fft", "1", "1");
	SMS("fft", "  2 ", "2");
	SMS("fft", "6.", "6");
	SMS("fft", "B", "2");
	SMS("fft", "f", "6");
	SMS("fft", "very good", "1");
	SMS("fft", "Very  Good!", "1");
	SMS("fft", "Neither good nor poor", "3");
	SMS("fft", "don\xe2\x80\x99t know", "6");
	SMS("fft", "dont know", "6");
	SMS("fft", "7", fft_bad);
	SMS("fft", "0", fft_bad);
	SMS("fft", "-1", fft_bad);
	SMS("fft", "g", fft_bad);
	SMS("fft", "great", fft_bad);
	SMS("fft", "1,2", fft_bad);
	SMS("fft", "", fft_bad);
	SMS("fft", "skip", fft_bad);
	SMS("pick", "green", "2");
	SMS("pick", "D", "4");
	SMS("pick", "Don't mind", "4");
	SMS("pick", "", "(null)");
	SMS("pick", "SKIP", "(null)");
	SMS("pick", "Skip.", "(null)");
}

static void
test_sms_multiple(void **state)
{
	const char *bad =
	    "!Please reply with up to 2 numbers from 1 to 4, like "
	    "1,3.";

	SMS("many", "1,3", "1,3");
	SMS("many", "3 1", "1,3");
	SMS("many", "3, 1.", "1,3");
	SMS("many", "a and c", "1,3");
	SMS("many", "A & C", "1,3");
	SMS("many", "1;2", "1,2");
	SMS("many", "1/2", "1,2");
	SMS("many", "1, 1", "1");
	SMS("many", "online services", "3");
	SMS("many", "Phone access, waiting room", "1,4");
	SMS("many", "phone access and waiting room", "1,4");
	SMS("many", "1,2,3", "!Please choose no more than 2.");
	SMS("many", "1,9", bad);
	SMS("many", "1 and lots", bad);
	SMS("any", "1 2 3 4", "1,2,3,4");
	SMS("any", "5", "!Please reply with numbers from 1 to 4, like 1,3.");
}

static void
test_sms_yesno(void **state)
{
	static const char *const yes[] = {"yes",  "Y", "YES!", "yep",
	                                  "Yeah", "1", "a"};
	static const char *const no[] = {"no", "N", "No.", "nope", "nah", "2"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		SMS("yn", yes[i], "1");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		SMS("yn", no[i], "2");
	SMS("yn", "maybe", "!Please reply YES or NO.");
	SMS("yn", "yes no", "!Please reply YES or NO.");
	SMS("yn", "", "!Please reply YES or NO.");
}

static void
test_sms_numbers(void **state)
{
	const char *rate_bad = "!Please reply with a whole number from 1 to 5.";
	const char *count_bad = "!Please reply with a whole number from 0 to "
	                        "20.";

	SMS("rate", "4", "4");
	SMS("rate", "3.", "3");
	SMS("rate", "very easy", "5");
	SMS("rate", "Very hard", "1");
	SMS("rate", "6", rate_bad);
	SMS("rate", "0", rate_bad);
	SMS("rate", "3.5", rate_bad);
	SMS("rate", "four", rate_bad);
	SMS("rate", "", "(null)");
	SMS("count", "0", "0");
	SMS("count", "20", "20");
	SMS("count", "none", "0");
	SMS("count", "21", count_bad);
	SMS("count", "-1", count_bad);
	SMS("count", "12 times", count_bad);
}

static void
test_sms_text(void **state)
{
	SMS("note", "  hello  ", "hello");
	SMS("note", "Great, thanks!", "Great, thanks!");
	/* Twenty characters, forty bytes: the limit counts characters. */
	SMS("note",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	SMS("note", "123456789012345678901",
	    "!Sorry, that is too long. Please keep it to 20 characters.");
	SMS("note", "bad \xff byte",
	    "!Sorry, we could not read that. Please try again.");
	SMS("note", "skip", "(null)");
	SMS("must", "", "!Please reply with a few words.");
	SMS("must", "SKIP", "!Please reply with a few words.");
	SMS("must", "Kind staff", "Kind staff");
}

static void
test_web_answers(void **state)
{
	WEB("fft", "1", "1");
	WEB("fft", " 6 ", "6");
	WEB("fft", "7", "!Please choose one of the options.");
	WEB("fft", "very good", "!Please choose one of the options.");
	WEB("fft", "", "!Please choose one of the options.");
	WEB("fft", NULL, "!Please choose one of the options.");
	WEB("pick", "", "(null)");
	WEB("pick", "1,2", "!Please choose one of the options.");
	WEB("many", "3,1", "1,3");
	WEB("many", "2,2", "2");
	WEB("many", "1,2,3", "!Please choose no more than 2.");
	WEB("many", "1,x", "!Please choose from the options.");
	WEB("yn", "1", "1");
	WEB("yn", "2", "2");
	WEB("yn", "3", "!Please choose one of the options.");
	WEB("rate", "5", "5");
	WEB("rate", "0", "!Please enter a whole number from 1 to 5.");
	WEB("count", "007", "7");
	WEB("count", "1e3", "!Please enter a whole number from 0 to 20.");
	WEB("count", "21", "!Please enter a whole number from 0 to 20.");
	WEB("note", " hi\r\nthere ", "hi\nthere");
	WEB("note", "123456789012345678901",
	    "!Sorry, that is too long. Please keep it to 20 characters.");
	WEB("must", "   ", "!Please answer this question.");
}

static void
prompt_is(const char *key, const char *want)
{
	char *p = survey_sms_prompt(survey_question(answers, key));

	assert_string_equal(p, want);
	free(p);
}

static void
test_sms_prompts(void **state)
{
	prompt_is("fft", "Overall, how was your experience of our service? "
	                 "Reply 1 Very good, 2 Good, 3 Neither good nor poor, "
	                 "4 Poor, 5 Very poor, 6 Don't know");
	prompt_is(
	    "pick",
	    "Pick one Reply 1 Red, 2 Green, 3 Blue, 4 Don't mind, or SKIP");
	prompt_is("many", "Pick two Reply up to 2 numbers, e.g. 1,3: 1 Phone "
	                  "access, 2 Appointments, 3 Online services, 4 "
	                  "Waiting room, or SKIP");
	prompt_is("any", "Any Reply one or more numbers, e.g. 1,3: 1 A1, 2 A2, "
	                 "3 A3, 4 A4, or SKIP");
	prompt_is("yn", "Yes or no? Reply YES or NO");
	prompt_is("rate",
	          "How easy? Reply 1 (Very hard) to 5 (Very easy), or SKIP");
	prompt_is("count", "How many? Reply with a number, or SKIP");
	prompt_is("note", "Note Reply in your own words, or SKIP");
	prompt_is("must", "Must Reply in your own words");
}

#define ANSWERS(t)                                                             \
	cmocka_unit_test_setup_teardown(t, setup_answers, teardown_answers)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_round_trip),
	    cmocka_unit_test(test_shipped_contents),
	    cmocka_unit_test(test_shipped_prompts_fit_two_segments),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_load_file_errors_name_the_path),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_fft_wording_and_service),
	    cmocka_unit_test(test_hash_is_content_not_layout),
	    cmocka_unit_test(test_canonical_json),
	    cmocka_unit_test(test_from_json_validates),
	    cmocka_unit_test(test_question_lookup_and_names),
	    cmocka_unit_test(test_show_if),
	    cmocka_unit_test(test_show_if_values_resolve),
	    ANSWERS(test_sms_options),
	    ANSWERS(test_sms_multiple),
	    ANSWERS(test_sms_yesno),
	    ANSWERS(test_sms_numbers),
	    ANSWERS(test_sms_text),
	    ANSWERS(test_web_answers),
	    ANSWERS(test_sms_prompts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
