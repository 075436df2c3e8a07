/*
 * Survey answers: the parsers that the web form and the SMS conversation
 * share, so one answer means the same on both channels, and the SMS prompt
 * that says how to reply.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "survey.h"
#include "survey_priv.h"
#include "xmalloc.h"

static const char *const yes_words[] = {"yes", "y", "yeah", "yep", "yup"};
static const char *const no_words[] = {"no", "n", "nope", "nah"};

static int
word_in(const char *w, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

/*
 * One answer to an option, scale or number question written the way a
 * patient might text it: an option number, letter or wording, yes or no, or
 * a number. The option number (or the number itself) or -1.
 */
long
survey_answer_one(const struct question *q, const char *word)
{
	char *f = survey_fold(word);
	long n = -1;
	size_t i;

	if (q->type == Q_YESNO && word_in(f, yes_words, NELEM(yes_words)))
		n = 1;
	else if (q->type == Q_YESNO && word_in(f, no_words, NELEM(no_words)))
		n = 2;
	else if (survey_is_option_type(q->type)) {
		if (survey_parse_long(f, &n) == 0 && f[0] != '+' && f[0] != '-')
			n = n >= 1 && n <= (long)q->noptions ? n : -1;
		else if (f[0] >= 'a' && f[0] <= 'z' && f[1] == '\0')
			n = f[0] - 'a' < (long)q->noptions ? f[0] - 'a' + 1
			                                   : -1;
		else
			for (i = 0, n = -1; i < q->noptions && n == -1; i++)
				if (survey_fold_equal(f, q->options[i]))
					n = (long)i + 1;
	}
	free(f);
	return n;
}

/* ---- answers ------------------------------------------------------------ */

enum channel { WEB, SMS };

/* What to tell the patient when an answer to q cannot be read. Caller frees. */
static char *
bad_cause(const struct question *q, enum channel ch)
{
	if (q->type == Q_TEXT)
		return xstrdup(ch == SMS ? "Please reply with a few words."
		                         : "Please answer this question.");
	if (q->type == Q_SCALE || q->type == Q_NUMBER)
		return xasprintf("Please %s a whole number from %ld to %ld.",
		                 ch == SMS ? "reply with" : "enter", q->min,
		                 q->max);
	if (ch == WEB)
		return xstrdup(q->multiple
		                   ? "Please choose from the options."
		                   : "Please choose one of the options.");
	if (q->type == Q_YESNO)
		return xstrdup("Please reply YES or NO.");
	if (!q->multiple)
		return xasprintf("Please reply with one number from 1 to %zu.",
		                 q->noptions);
	if (q->max_picks != 0)
		return xasprintf("Please reply with up to %d numbers from 1 to "
		                 "%zu, like 1,3.",
		                 q->max_picks, q->noptions);
	return xasprintf("Please reply with numbers from 1 to %zu, like 1,3.",
	                 q->noptions);
}

static int
fail(const struct question *q, enum channel ch, char **cause)
{
	*cause = bad_cause(q, ch);
	return -1;
}

/* An empty answer: fine (NULL) for an optional question. */
static int
answer_empty(const struct question *q, enum channel ch, char **cause)
{
	return q->required ? fail(q, ch, cause) : 0;
}

/* Picks as "1,3": ascending option numbers. Caller frees. */
static char *
picks_string(const int *picked, size_t n)
{
	struct buf b = {0};
	size_t i;

	for (i = 1; i <= n; i++)
		if (picked[i])
			buf_printf(&b, "%s%zu", b.len > 0 ? "," : "", i);
	return buf_take(&b);
}

static int
picks_finish(const struct question *q, const int *picked, enum channel ch,
             char **normalised, char **cause)
{
	size_t i;
	int count = 0;

	for (i = 1; i <= q->noptions; i++)
		count += picked[i];
	if (count == 0 || (count > 1 && !q->multiple))
		return fail(q, ch, cause);
	if (q->max_picks != 0 && count > q->max_picks) {
		*cause =
		    xasprintf("Please choose no more than %d.", q->max_picks);
		return -1;
	}
	*normalised = picks_string(picked, q->noptions);
	return 0;
}

/* Web option values: option numbers separated by commas. */
static int
web_picks(const struct question *q, const char *raw, char **normalised,
          char **cause)
{
	int picked[MAX_OPTIONS + 1] = {0};
	char *copy = xstrdup(raw), *tok, *save = NULL, *t;
	long n;
	int rv = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL && rv == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		t = survey_trim_dup(tok, strlen(tok));
		if (survey_parse_long(t, &n) == -1 || n < 1 ||
		    n > (long)q->noptions)
			rv = -1;
		else
			picked[n] = 1;
		free(t);
	}
	free(copy);
	if (rv == -1)
		return fail(q, WEB, cause);
	return picks_finish(q, picked, WEB, normalised, cause);
}

static int
number_answer(const struct question *q, const char *v, enum channel ch,
              char **normalised, char **cause)
{
	long n;

	if (q->type == Q_SCALE && ch == SMS && q->min_label != NULL &&
	    survey_fold_equal(v, q->min_label))
		n = q->min;
	else if (q->type == Q_SCALE && ch == SMS && q->max_label != NULL &&
	         survey_fold_equal(v, q->max_label))
		n = q->max;
	else if (ch == SMS && q->type == Q_NUMBER &&
	         (survey_fold_equal(v, "none") || survey_fold_equal(v, "zero")))
		n = 0;
	else if (survey_parse_long(v, &n) == -1)
		return fail(q, ch, cause);
	if (n < q->min || n > q->max)
		return fail(q, ch, cause);
	*normalised = xasprintf("%ld", n);
	return 0;
}

/*
 * Text answers: valid UTF-8, line ends made LF (CRLF and a lone CR alike, so
 * normalising twice changes nothing), at most max_length characters.
 */
static int
text_answer(const struct question *q, const char *v, enum channel ch,
            char **normalised, char **cause)
{
	char *t = xstrdup(v), *r, *w;
	long len;

	for (r = w = t; *r != '\0'; r++) {
		if (r[0] == '\r' && r[1] == '\n')
			continue;
		*w++ = *r == '\r' ? '\n' : *r;
	}
	*w = '\0';
	if ((len = survey_utf8_count(t, 0)) < 0) {
		free(t);
		*cause = xstrdup("Sorry, we could not read that. Please try "
		                 "again.");
		return -1;
	}
	if (len > q->max_length) {
		free(t);
		*cause = xasprintf("Sorry, that is too long. Please keep it to "
		                   "%d characters.",
		                   q->max_length);
		return -1;
	}
	*normalised = t;
	return 0;
}

/* Pick one option from a word ("2", "b", "very good"); 0 or -1. */
static int
sms_pick_word(const struct question *q, const char *w, int *picked)
{
	long n = survey_answer_one(q, w);

	if (n == -1)
		return -1;
	picked[n] = 1;
	return 0;
}

/* A part between separators: one option's wording, or words of one each. */
static int
sms_pick_part(const struct question *q, char *part, int *picked)
{
	char *w, *save = NULL;

	if (sms_pick_word(q, part, picked) == 0)
		return 0;
	for (w = strtok_r(part, " \t\r\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r\n", &save))
		if (sms_pick_word(q, w, picked) == -1)
			return -1;
	return 0;
}

/* Replace " and " with ','; the reply is already folded to lower case. */
static void
split_and(char *s)
{
	char *p;

	while ((p = strstr(s, " and ")) != NULL)
		memcpy(p, "  ,  ", 5);
}

/* Pick options from a folded reply split at separators; 0 or -1. */
static int
sms_pick_parts(const struct question *q, const char *f, int with_and,
               int *picked)
{
	char *copy = xstrdup(f), *part, *save = NULL;
	int rv = 0;

	if (with_and)
		split_and(copy);
	for (part = strtok_r(copy, ",;&+/", &save); part != NULL && rv == 0;
	     part = strtok_r(NULL, ",;&+/", &save))
		if (strspn(part, " ") != strlen(part))
			rv = sms_pick_part(q, part, picked);
	free(copy);
	return rv;
}

/*
 * The whole reply may be one option's wording; else it is split at commas
 * and the like, then also at "and" (tried second, as wording may hold it).
 */
static int
sms_picks(const struct question *q, const char *reply, char **normalised,
          char **cause)
{
	int picked[MAX_OPTIONS + 1] = {0};
	char *f = survey_fold(reply);
	int rv = sms_pick_word(q, f, picked);

	if (rv == -1) {
		memset(picked, 0, sizeof(picked));
		rv = sms_pick_parts(q, f, 0, picked);
	}
	if (rv == -1) {
		memset(picked, 0, sizeof(picked));
		rv = sms_pick_parts(q, f, 1, picked);
	}
	free(f);
	if (rv == -1)
		return fail(q, SMS, cause);
	return picks_finish(q, picked, SMS, normalised, cause);
}

/* Drop surrounding space and, but for text, trailing punctuation. */
static char *
sms_clean(const struct question *q, const char *reply)
{
	char *v = survey_trim_dup(reply, strlen(reply));
	size_t n = strlen(v);

	if (q->type == Q_TEXT)
		return v;
	while (n > 0 && (strchr(".!?,;:", v[n - 1]) != NULL ||
	                 survey_is_space((unsigned char)v[n - 1])))
		v[--n] = '\0';
	return v;
}

/* A non-empty answer, cleaned for its channel. */
static int
channel_answer(const struct question *q, const char *v, enum channel ch,
               char **normalised, char **cause)
{
	switch (q->type) {
	case Q_FFT:
	case Q_CHOICE:
	case Q_YESNO:
		return ch == WEB ? web_picks(q, v, normalised, cause)
		                 : sms_picks(q, v, normalised, cause);
	case Q_SCALE:
	case Q_NUMBER:
		return number_answer(q, v, ch, normalised, cause);
	case Q_TEXT:
		return text_answer(q, v, ch, normalised, cause);
	}
	return fail(q, ch, cause);
}

int
survey_answer_web(const struct question *q, const char *raw, char **normalised,
                  char **cause)
{
	char *v = survey_trim_dup(raw != NULL ? raw : "",
	                          raw != NULL ? strlen(raw) : 0);
	int rv;

	*normalised = NULL;
	*cause = NULL;
	if (*v == '\0')
		rv = answer_empty(q, WEB, cause);
	else
		rv = channel_answer(q, v, WEB, normalised, cause);
	free(v);
	return rv;
}

int
survey_answer_sms(const struct question *q, const char *reply,
                  char **normalised, char **cause)
{
	char *v = sms_clean(q, reply != NULL ? reply : "");
	int rv;

	*normalised = NULL;
	*cause = NULL;
	if (*v == '\0' || survey_fold_equal(v, "skip"))
		rv = answer_empty(q, SMS, cause);
	else
		rv = channel_answer(q, v, SMS, normalised, cause);
	free(v);
	return rv;
}

static void
prompt_options(struct buf *b, const struct question *q)
{
	const char *eg = q->noptions >= 3 ? "1,3" : "1,2";
	size_t i;

	if (q->multiple && q->max_picks != 0)
		buf_printf(b, "Reply up to %d numbers, e.g. %s: ", q->max_picks,
		           eg);
	else if (q->multiple)
		buf_printf(b, "Reply one or more numbers, e.g. %s: ", eg);
	else
		buf_printf(b, "Reply ");
	for (i = 0; i < q->noptions; i++)
		buf_printf(b, "%s%zu %s", i > 0 ? ", " : "", i + 1,
		           q->options[i]);
}

char *
survey_sms_prompt(const struct question *q)
{
	struct buf b = {0};

	buf_printf(&b, "%s ", q->sms != NULL ? q->sms : q->text);
	switch (q->type) {
	case Q_FFT:
	case Q_CHOICE:
		prompt_options(&b, q);
		break;
	case Q_YESNO:
		buf_printf(&b, "Reply YES or NO");
		break;
	case Q_SCALE:
		buf_printf(&b, "Reply %ld", q->min);
		if (q->min_label != NULL)
			buf_printf(&b, " (%s)", q->min_label);
		buf_printf(&b, " to %ld", q->max);
		if (q->max_label != NULL)
			buf_printf(&b, " (%s)", q->max_label);
		break;
	case Q_NUMBER:
		buf_printf(&b, "Reply with a number");
		break;
	case Q_TEXT:
		buf_printf(&b, "Reply in your own words");
		break;
	}
	if (!q->required)
		buf_printf(&b, ", or SKIP");
	return buf_take(&b);
}
