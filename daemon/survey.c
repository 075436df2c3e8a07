/*
 * Survey definitions: the in-memory model, the text helpers that the YAML
 * loader (survey_yaml.c) and the answer parsers (survey_answer.c) share,
 * canonical JSON (jansson) for storage and its hash, and which questions are
 * shown. The format is documented in ppgd-surveys(5).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jsonx.h"
#include "log.h"
#include "survey.h"
#include "survey_priv.h"
#include "xmalloc.h"

static const char *const qtype_names[] = {"fft",   "scale",  "choice",
                                          "yesno", "number", "text"};

int
survey_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* A copy of s without surrounding white space. Caller frees. */
char *
survey_trim_dup(const char *s, size_t len)
{
	while (len > 0 && survey_is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && survey_is_space((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/*
 * Count the characters of UTF-8 text; -1 if it is not valid UTF-8 or, with
 * strict, holds a control character other than tab and newline.
 */
long
survey_utf8_count(const char *s, int strict)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;
	unsigned cp;
	int more, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			if (strict &&
			    ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			     *p == 0x7f))
				return -1;
			p++, n++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			more = 1, cp = *p & 0x1f;
		else if (*p >= 0xe0 && *p <= 0xef)
			more = 2, cp = *p & 0x0f;
		else if (*p >= 0xf0 && *p <= 0xf4)
			more = 3, cp = *p & 0x07;
		else
			return -1;
		for (i = 1; i <= more; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((more == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (strict && cp >= 0x80 && cp < 0xa0))
			return -1;
		p += more + 1;
		n++;
	}
	return n;
}

/* Parse a whole decimal integer with an optional sign. */
int
survey_parse_long(const char *s, long *out)
{
	const char *p = s;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*out = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/*
 * Fold a label or reply for matching: lower case, apostrophes dropped (phones
 * send U+2019 as often as '), white space runs made one space. Caller frees.
 */
char *
survey_fold(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (survey_is_space((unsigned char)*s))
		s++;
	while (*s != '\0') {
		if (*s == '\'') {
			s++;
		} else if (strncmp(s, "\xe2\x80\x98", 3) == 0 ||
		           strncmp(s, "\xe2\x80\x99", 3) == 0) {
			s += 3;
		} else if (survey_is_space((unsigned char)*s)) {
			while (survey_is_space((unsigned char)*s))
				s++;
			if (*s != '\0')
				*o++ = ' ';
		} else
			*o++ = to_lower((unsigned char)*s++);
	}
	*o = '\0';
	return out;
}

int
survey_fold_equal(const char *a, const char *b)
{
	char *fa = survey_fold(a), *fb = survey_fold(b);
	int eq = strcmp(fa, fb) == 0;

	free(fa);
	free(fb);
	return eq;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- the model ---------------------------------------------------------- */

const char *
survey_qtype_name(enum qtype t)
{
	return (unsigned)t < NELEM(qtype_names) ? qtype_names[t] : "unknown";
}

int
survey_qtype_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(qtype_names); i++)
		if (strcmp(name, qtype_names[i]) == 0)
			return (int)i;
	return -1;
}

static void
question_clear(struct question *q)
{
	free(q->key);
	free(q->text);
	free(q->sms);
	free(q->service);
	strv_free(q->options, q->noptions);
	free(q->min_label);
	free(q->max_label);
	free(q->show_if_key);
	strv_free(q->show_if_values, q->nshow_if_values);
}

void
survey_free(struct survey *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nquestions; i++)
		question_clear(&s->questions[i]);
	free(s->questions);
	free(s->slug);
	free(s->title);
	free(s->introduction);
	free(s->closing);
	free(s);
}

const struct question *
survey_question(const struct survey *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nquestions; i++)
		if (s->questions[i].key != NULL &&
		    strcmp(s->questions[i].key, key) == 0)
			return &s->questions[i];
	return NULL;
}

int
survey_is_option_type(enum qtype t)
{
	return t == Q_FFT || t == Q_CHOICE || t == Q_YESNO;
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *
jstrv(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) == -1)
			fatalx("survey: cannot build a JSON array");
	return a;
}

static void
question_type_json(json_t *o, const struct question *q)
{
	switch (q->type) {
	case Q_FFT:
		if (q->service != NULL)
			jsonx_set(o, "service", json_string(q->service));
		break;
	case Q_SCALE:
		if (q->min_label != NULL)
			jsonx_set(o, "min_label", json_string(q->min_label));
		if (q->max_label != NULL)
			jsonx_set(o, "max_label", json_string(q->max_label));
		/* FALLTHROUGH */
	case Q_NUMBER:
		jsonx_set(o, "min", json_integer(q->min));
		jsonx_set(o, "max", json_integer(q->max));
		break;
	case Q_CHOICE:
		jsonx_set(o, "options", jstrv(q->options, q->noptions));
		jsonx_set(o, "multiple", json_boolean(q->multiple));
		if (q->max_picks != 0)
			jsonx_set(o, "max_picks", json_integer(q->max_picks));
		break;
	case Q_TEXT:
		jsonx_set(o, "max_length", json_integer(q->max_length));
		break;
	case Q_YESNO:
		break;
	}
}

static json_t *
question_json(const struct question *q)
{
	json_t *o = json_object(), *si;

	jsonx_set(o, "key", json_string(q->key));
	jsonx_set(o, "type", json_string(survey_qtype_name(q->type)));
	jsonx_set(o, "required", json_boolean(q->required));
	if (q->type != Q_FFT)
		jsonx_set(o, "text", json_string(q->text));
	if (q->sms != NULL)
		jsonx_set(o, "sms", json_string(q->sms));
	question_type_json(o, q);
	if (q->show_if_key != NULL) {
		si = json_object();
		jsonx_set(si, "question", json_string(q->show_if_key));
		jsonx_set(si, "in",
		          jstrv(q->show_if_values, q->nshow_if_values));
		jsonx_set(o, "show_if", si);
	}
	return o;
}

json_t *
survey_to_json(const struct survey *s)
{
	json_t *o = json_object(), *qs = json_array();
	size_t i;

	jsonx_set(o, "slug", json_string(s->slug));
	jsonx_set(o, "title", json_string(s->title));
	jsonx_set(o, "version", json_integer(s->version));
	jsonx_set(o, "anonymous", json_boolean(s->anonymous));
	if (s->introduction != NULL)
		jsonx_set(o, "introduction", json_string(s->introduction));
	jsonx_set(o, "closing", json_string(s->closing));
	for (i = 0; i < s->nquestions; i++)
		if (json_array_append_new(qs, question_json(&s->questions[i])))
			fatalx("survey: cannot build JSON");
	jsonx_set(o, "questions", qs);
	return o;
}

char *
survey_dumps(const struct survey *s)
{
	json_t *j = survey_to_json(s);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	if (text == NULL)
		fatalx("survey: cannot serialise JSON");
	return text;
}

void
survey_rehash(struct survey *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int i, mdlen;
	char *text = survey_dumps(s);

	if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL))
		fatalx("survey: SHA-256 failed");
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(s->hash + 2 * i, 3, "%02x", md[i]);
	free(text);
}

/*
 * JSON is YAML, so the stored form goes back through the same loader and
 * gets exactly the same validation as a file; show_if values are stored as
 * option numbers, which the loader reads back unchanged.
 */
int
survey_from_json(const json_t *j, struct survey **out, char **cause)
{
	char *text;
	int rv;

	*out = NULL;
	if (!json_is_object(j) ||
	    (text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) ==
	        NULL) {
		*cause = xstrdup("stored survey is not a JSON object");
		return -1;
	}
	rv =
	    survey_load_string(text, strlen(text), "stored survey", out, cause);
	free(text);
	return rv;
}

/* ---- showing and prompting ---------------------------------------------- */

static int
show_if_match(const struct question *q, const char *value)
{
	size_t i;

	for (i = 0; i < q->nshow_if_values; i++)
		if (strcmp(q->show_if_values[i], value) == 0)
			return 1;
	return 0;
}

int
survey_shown(const struct survey *s, const struct question *q,
             const char *(*lookup)(void *arg, const char *key), void *arg)
{
	const struct question *t;
	const char *v;
	char *copy, *tok, *save = NULL;
	int shown = 0;

	if (q->show_if_key == NULL)
		return 1;
	if ((v = lookup(arg, q->show_if_key)) == NULL)
		return 0;
	t = survey_question(s, q->show_if_key);
	if (t == NULL || t->type != Q_CHOICE || !t->multiple)
		return show_if_match(q, v);
	copy = xstrdup(v);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && !shown;
	     tok = strtok_r(NULL, ",", &save))
		shown = show_if_match(q, tok);
	free(copy);
	return shown;
}
