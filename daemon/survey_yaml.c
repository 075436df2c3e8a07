/*
 * Survey files: YAML parsed with libfyaml into the model of survey.h, with
 * every problem reported as "file:line: message". The format is documented
 * in ppgd-surveys(5).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include "buf.h"
#include "log.h"
#include "survey.h"
#include "survey_priv.h"
#include "xmalloc.h"
#include "yamlx.h"

#define MAX_FILE_SIZE      (1024 * 1024)
#define MAX_SCALE_POINTS   11 /* 0 to 10 */
#define MAX_LINE           200
#define DEFAULT_MAX_LENGTH 1000
#define LIMIT_MAX_LENGTH   10000
#define NUMBER_MIN         0
#define NUMBER_MAX         999999
#define LIMIT_NUMBER       1000000000L
#define DEFAULT_CLOSING    "Thank you for your feedback."
#define FFT_WORDING        "Overall, how was your experience of %s?"

static const char *const fft_options[] = {
    "Very good", "Good",      "Neither good nor poor",
    "Poor",      "Very poor", "Don't know"};
static const char *const yesno_options[] = {"Yes", "No"};

#define T(x)  (1u << (x))
#define T_ALL 0x3fu

static char **
strv_dup(const char *const *v, size_t n)
{
	char **out = xcalloc(n, sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* ---- YAML loading ------------------------------------------------------- */

enum qf {
	QF_KEY,
	QF_TYPE,
	QF_TEXT,
	QF_SMS,
	QF_REQUIRED,
	QF_SHOW_IF,
	QF_SERVICE,
	QF_OPTIONS,
	QF_MULTIPLE,
	QF_MAX_PICKS,
	QF_MIN,
	QF_MAX,
	QF_MIN_LABEL,
	QF_MAX_LABEL,
	QF_MAX_LENGTH,
	QF_COUNT
};

/* What the loader knows about a question besides the model. */
struct qaux {
	int line;
	int typed; /* its type was given and known */
	struct fy_node *show_if;
	int show_if_line;
	int field_line[QF_COUNT]; /* 0 if absent */
};

struct loader {
	const char *origin;
	struct buf errs;
	int nerrs;
	struct survey *s;
	struct qaux *aux;
};

enum fkind {
	F_STR,  /* text, may span lines */
	F_LINE, /* text on one line */
	F_INT,
	F_LONG,
	F_BOOL,
	F_SLUG,
	F_KEY,
	F_TYPE,
	F_OPTIONS,
	F_SHOW_IF,
	F_QUESTIONS,
};

struct field {
	const char *name;
	enum fkind kind;
	size_t off;
	unsigned types; /* question types it applies to */
	long lo, hi;    /* F_INT, F_LONG bounds */
};

#define SOFF(n) offsetof(struct survey, n)
static const struct field sfields[] = {
    {"slug", F_SLUG, SOFF(slug), 0, 0, 0},
    {"title", F_LINE, SOFF(title), 0, 0, 0},
    {"version", F_INT, SOFF(version), 0, 1, INT_MAX},
    {"anonymous", F_BOOL, SOFF(anonymous), 0, 0, 0},
    {"introduction", F_STR, SOFF(introduction), 0, 0, 0},
    {"closing", F_STR, SOFF(closing), 0, 0, 0},
    {"questions", F_QUESTIONS, 0, 0, 0, 0},
};

#define QF(e, n, k, t, lo, hi)                                                 \
	[e] = {#n, k, offsetof(struct question, n), t, lo, hi}
#define QS (T(Q_SCALE) | T(Q_NUMBER))
static const struct field qfields[QF_COUNT] = {
    QF(QF_KEY, key, F_KEY, T_ALL, 0, 0),
    [QF_TYPE] = {"type", F_TYPE, 0, T_ALL, 0, 0},
    QF(QF_TEXT, text, F_STR, T_ALL & ~T(Q_FFT), 0, 0),
    QF(QF_SMS, sms, F_STR, T_ALL & ~T(Q_FFT), 0, 0),
    QF(QF_REQUIRED, required, F_BOOL, T_ALL, 0, 0),
    [QF_SHOW_IF] = {"show_if", F_SHOW_IF, 0, T_ALL, 0, 0},
    QF(QF_SERVICE, service, F_LINE, T(Q_FFT), 0, 0),
    [QF_OPTIONS] = {"options", F_OPTIONS, 0, T(Q_CHOICE), 0, 0},
    QF(QF_MULTIPLE, multiple, F_BOOL, T(Q_CHOICE), 0, 0),
    QF(QF_MAX_PICKS, max_picks, F_INT, T(Q_CHOICE), 1, MAX_OPTIONS),
    QF(QF_MIN, min, F_LONG, QS, -LIMIT_NUMBER, LIMIT_NUMBER),
    QF(QF_MAX, max, F_LONG, QS, -LIMIT_NUMBER, LIMIT_NUMBER),
    QF(QF_MIN_LABEL, min_label, F_LINE, T(Q_SCALE), 0, 0),
    QF(QF_MAX_LABEL, max_label, F_LINE, T(Q_SCALE), 0, 0),
    QF(QF_MAX_LENGTH, max_length, F_INT, T(Q_TEXT), 1, LIMIT_MAX_LENGTH),
};

static void lerr(struct loader *, int, const char *, ...) PRINTFLIKE(3, 4);

static void
lerr(struct loader *l, int line, const char *fmt, ...)
{
	va_list ap;

	buf_printf(&l->errs, "%s:%d: ", l->origin, line);
	va_start(ap, fmt);
	buf_vprintf(&l->errs, fmt, ap);
	va_end(ap);
	buf_printf(&l->errs, "\n");
	l->nerrs++;
}

/*
 * The 1-based line where a node starts. libfyaml 0.7 has no node marks, so
 * this takes the mark of the first scalar token inside the node; an empty
 * collection or a null value falls back to the line of its key.
 */
static int
node_line(struct fy_node *n, int fallback)
{
	struct fy_node_pair *p;
	struct fy_token *t;
	void *it = NULL;

	if (n == NULL)
		return fallback;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR:
		t = fy_node_get_scalar_token(n);
		return t != NULL ? fy_token_start_mark(t)->line + 1 : fallback;
	case FYNT_SEQUENCE:
		return node_line(fy_node_sequence_iterate(n, &it), fallback);
	case FYNT_MAPPING:
		p = fy_node_mapping_iterate(n, &it);
		return p != NULL ? node_line(fy_node_pair_key(p), fallback)
		                 : fallback;
	}
	return fallback;
}

static int
is_null(struct fy_node *n)
{
	const char *v;

	if (n == NULL)
		return 1;
	if (!fy_node_is_scalar(n) || fy_node_get_style(n) != FYNS_PLAIN)
		return 0;
	v = fy_node_get_scalar0(n);
	return v == NULL || *v == '\0' || strcmp(v, "~") == 0 ||
	       strcasecmp(v, "null") == 0;
}

/* The text of a scalar node, or NULL (reported) if v is not text. */
static const char *
scalar(struct loader *l, struct fy_node *v, int line, const char *name)
{
	if (is_null(v)) {
		lerr(l, line, "'%s' has no value", name);
		return NULL;
	}
	if (!fy_node_is_scalar(v) || fy_node_is_alias(v)) {
		lerr(l, node_line(v, line), "'%s' must be a single value",
		     name);
		return NULL;
	}
	return fy_node_get_scalar0(v);
}

static int
get_str(struct loader *l, struct fy_node *v, int line, const char *name,
        int one_line, char **out)
{
	const char *raw = scalar(l, v, line, name);
	char *s;

	if (raw == NULL)
		return -1;
	s = survey_trim_dup(raw, strlen(raw));
	if (*s == '\0')
		lerr(l, line, "'%s' is empty", name);
	else if (survey_utf8_count(s, 1) < 0)
		lerr(l, line, "'%s' has invalid UTF-8 or control characters",
		     name);
	else if (one_line && strchr(s, '\n') != NULL)
		lerr(l, line, "'%s' must fit on one line", name);
	else if (one_line && survey_utf8_count(s, 1) > MAX_LINE)
		lerr(l, line, "'%s' is longer than %d characters", name,
		     MAX_LINE);
	else {
		free(*out);
		*out = s;
		return 0;
	}
	free(s);
	return -1;
}

static int
get_long(struct loader *l, struct fy_node *v, int line, const struct field *f,
         long *out)
{
	const char *raw = scalar(l, v, line, f->name);

	if (raw == NULL)
		return -1;
	if (survey_parse_long(raw, out) == -1) {
		lerr(l, line, "'%s' must be a whole number, not '%s'", f->name,
		     raw);
		return -1;
	}
	if (*out < f->lo || *out > f->hi) {
		lerr(l, line, "'%s' must be from %ld to %ld", f->name, f->lo,
		     f->hi);
		return -1;
	}
	return 0;
}

static int
get_bool(struct loader *l, struct fy_node *v, int line, const char *name,
         int *out)
{
	const char *raw = scalar(l, v, line, name);

	if (raw == NULL)
		return -1;
	if (strcmp(raw, "true") == 0 || strcmp(raw, "True") == 0 ||
	    strcmp(raw, "TRUE") == 0)
		*out = 1;
	else if (strcmp(raw, "false") == 0 || strcmp(raw, "False") == 0 ||
	         strcmp(raw, "FALSE") == 0)
		*out = 0;
	else {
		lerr(l, line, "'%s' must be true or false, not '%s'", name,
		     raw);
		return -1;
	}
	return 0;
}

/* A slug or key: 1 to 64 of the allowed characters, not starting with '-'. */
static int
valid_word(const char *s, const char *allowed)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && s[0] != '-' && strspn(s, allowed) == n;
}

/* Set a scalar field of a survey or question from its node. */
static void
set_scalar(struct loader *l, const struct field *f, void *base,
           struct fy_node *v, int line)
{
	char **sp = (char **)((char *)base + f->off);
	long n;

	switch (f->kind) {
	case F_STR:
	case F_LINE:
		get_str(l, v, line, f->name, f->kind == F_LINE, sp);
		break;
	case F_INT:
		if (get_long(l, v, line, f, &n) == 0)
			*(int *)((char *)base + f->off) = (int)n;
		break;
	case F_LONG:
		if (get_long(l, v, line, f, &n) == 0)
			*(long *)((char *)base + f->off) = n;
		break;
	case F_BOOL:
		get_bool(l, v, line, f->name, (int *)((char *)base + f->off));
		break;
	case F_SLUG:
		if (get_str(l, v, line, f->name, 1, sp) == 0 &&
		    !valid_word(*sp, "abcdefghijklmnopqrstuvwxyz0123456789-"))
			lerr(l, line,
			     "slug '%s' may use only a-z, 0-9 and '-' (at most "
			     "64)",
			     *sp);
		break;
	case F_KEY:
		if (get_str(l, v, line, f->name, 1, sp) == 0 &&
		    !valid_word(*sp, "abcdefghijklmnopqrstuvwxyz0123456789_"))
			lerr(l, line,
			     "key '%s' may use only a-z, 0-9 and '_' (at most "
			     "64)",
			     *sp);
		break;
	default:
		fatalx("set_scalar: kind %d", f->kind);
	}
}

/* Look a mapping key up in a field table; -1 (reported) if unknown. */
static int
field_find(struct loader *l, const struct field *tab, size_t n,
           struct fy_node *k, int line, const char *where)
{
	const char *name;
	size_t i;

	if (k == NULL || !fy_node_is_scalar(k) || fy_node_is_alias(k)) {
		lerr(l, line, "keys must be plain words");
		return -1;
	}
	name = fy_node_get_scalar0(k);
	for (i = 0; i < n; i++)
		if (strcmp(name, tab[i].name) == 0)
			return (int)i;
	lerr(l, line, "unknown key '%s'%s", name, where);
	return -1;
}

static void
parse_options(struct loader *l, struct question *q, struct fy_node *v, int line)
{
	struct fy_node *item;
	void *it = NULL;
	size_t i;
	int iline;

	if (is_null(v) || !fy_node_is_sequence(v)) {
		lerr(l, line, "'options' must be a list");
		return;
	}
	q->noptions = 0;
	q->options =
	    xcalloc(fy_node_sequence_item_count(v) + 1, sizeof(*q->options));
	while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
		iline = node_line(item, line);
		if (get_str(l, item, iline, "options", 1,
		            &q->options[q->noptions]) == -1)
			continue;
		for (i = 0; i < q->noptions; i++)
			if (survey_fold_equal(q->options[i],
			                      q->options[q->noptions]))
				lerr(l, iline, "option '%s' is listed twice",
				     q->options[q->noptions]);
		q->noptions++;
	}
	if (q->noptions < 2 || q->noptions > MAX_OPTIONS)
		lerr(l, line, "a choice needs from 2 to %d options",
		     MAX_OPTIONS);
}

static void
question_defaults(struct question *q)
{
	switch (q->type) {
	case Q_SCALE:
		q->min = 1;
		q->max = 5;
		break;
	case Q_NUMBER:
		q->min = NUMBER_MIN;
		q->max = NUMBER_MAX;
		break;
	case Q_TEXT:
		q->max_length = DEFAULT_MAX_LENGTH;
		break;
	default:
		break;
	}
}

/* The pair whose key is name, or NULL. */
static struct fy_node_pair *
pair_named(struct fy_node *map, const char *name)
{
	struct fy_node_pair *p;
	struct fy_node *k;
	void *it = NULL;

	while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
		k = fy_node_pair_key(p);
		if (k != NULL && fy_node_is_scalar(k) &&
		    strcmp(fy_node_get_scalar0(k), name) == 0)
			return p;
	}
	return NULL;
}

/* Find and apply 'type' first, as it decides which other keys apply. */
static int
question_type(struct loader *l, struct question *q, struct fy_node *map,
              int qline)
{
	struct fy_node_pair *p = pair_named(map, "type");
	const char *name;
	int t, line;

	if (p == NULL) {
		lerr(l, qline, "question has no 'type'");
		return -1;
	}
	line = node_line(fy_node_pair_key(p), qline);
	if ((name = scalar(l, fy_node_pair_value(p), line, "type")) == NULL)
		return -1;
	if ((t = survey_qtype_from_name(name)) == -1) {
		lerr(l, line,
		     "unknown type '%s' (fft, scale, choice, yesno, number or "
		     "text)",
		     name);
		return -1;
	}
	q->type = t;
	question_defaults(q);
	return 0;
}

static void
question_field(struct loader *l, struct question *q, struct qaux *aux,
               struct fy_node_pair *p, int qline)
{
	struct fy_node *v = fy_node_pair_value(p);
	int line = node_line(fy_node_pair_key(p), qline), i;
	const struct field *f;

	i = field_find(l, qfields, NELEM(qfields), fy_node_pair_key(p), line,
	               " in a question");
	if (i == -1 || i == QF_TYPE)
		return;
	f = &qfields[i];
	aux->field_line[i] = line;
	if (aux->typed && !(f->types & T(q->type))) {
		if (q->type == Q_FFT && (i == QF_TEXT || i == QF_SMS))
			lerr(l, line,
			     "the fft wording is fixed by the NHS; use "
			     "'service' to name the service");
		else
			lerr(l, line, "'%s' does not apply to %s questions",
			     f->name, survey_qtype_name(q->type));
		return;
	}
	if (f->kind == F_OPTIONS)
		parse_options(l, q, v, line);
	else if (f->kind == F_SHOW_IF) {
		aux->show_if = v;
		aux->show_if_line = line;
	} else
		set_scalar(l, f, q, v, line);
}

static int
fline(const struct qaux *aux, int field)
{
	return aux->field_line[field] != 0 ? aux->field_line[field] : aux->line;
}

static void
check_choice(struct loader *l, struct question *q, const struct qaux *aux)
{
	if (aux->field_line[QF_OPTIONS] == 0)
		lerr(l, aux->line, "choice question '%s' has no 'options'",
		     q->key);
	if (q->max_picks != 0 && !q->multiple)
		lerr(l, fline(aux, QF_MAX_PICKS),
		     "'max_picks' needs 'multiple: true'");
	else if (q->options != NULL && q->max_picks > (int)q->noptions)
		lerr(l, fline(aux, QF_MAX_PICKS),
		     "'max_picks' (%d) is more than the %zu options",
		     q->max_picks, q->noptions);
}

static void
check_range(struct loader *l, struct question *q, const struct qaux *aux)
{
	int line = fline(aux, QF_MAX);

	if (q->type == Q_SCALE && q->min >= q->max)
		lerr(l, line, "'min' (%ld) must be less than 'max' (%ld)",
		     q->min, q->max);
	else if (q->min > q->max)
		lerr(l, line, "'min' (%ld) is more than 'max' (%ld)", q->min,
		     q->max);
	else if (q->type == Q_SCALE && q->max - q->min + 1 > MAX_SCALE_POINTS)
		lerr(l, line, "a scale may have at most %d points",
		     MAX_SCALE_POINTS);
}

/* Fill in what the type fixes and check what needs the whole question. */
static void
question_finish(struct loader *l, struct question *q, const struct qaux *aux)
{
	if (q->key == NULL && aux->field_line[QF_KEY] == 0)
		lerr(l, aux->line, "question has no 'key'");
	if (!aux->typed)
		return;
	if (q->type == Q_FFT) {
		q->text =
		    xasprintf(FFT_WORDING,
		              q->service != NULL ? q->service : "our service");
		q->options = strv_dup(fft_options, NELEM(fft_options));
		q->noptions = NELEM(fft_options);
	} else if (q->text == NULL && aux->field_line[QF_TEXT] == 0)
		lerr(l, aux->line, "question '%s' has no 'text'",
		     q->key != NULL ? q->key : "?");
	if (q->type == Q_YESNO) {
		q->options = strv_dup(yesno_options, NELEM(yesno_options));
		q->noptions = NELEM(yesno_options);
	}
	if (q->type == Q_CHOICE)
		check_choice(l, q, aux);
	if (q->type == Q_SCALE || q->type == Q_NUMBER)
		check_range(l, q, aux);
}

static void
parse_question(struct loader *l, struct question *q, struct qaux *aux,
               struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!fy_node_is_mapping(map)) {
		lerr(l, aux->line,
		     "a question must be a mapping of key, "
		     "type, text ...");
		return;
	}
	aux->typed = question_type(l, q, map, aux->line) == 0;
	while ((p = fy_node_mapping_iterate(map, &it)) != NULL)
		question_field(l, q, aux, p, aux->line);
	question_finish(l, q, aux);
}

static void
check_duplicate_keys(struct loader *l)
{
	struct survey *s = l->s;
	size_t i, j;

	for (i = 0; i < s->nquestions; i++) {
		for (j = 0; j < i; j++) {
			if (s->questions[i].key == NULL ||
			    s->questions[j].key == NULL ||
			    strcmp(s->questions[i].key, s->questions[j].key))
				continue;
			lerr(l, fline(&l->aux[i], QF_KEY),
			     "duplicate question key '%s' (first at line %d)",
			     s->questions[i].key, fline(&l->aux[j], QF_KEY));
			break;
		}
	}
}

static void
parse_questions(struct loader *l, struct fy_node *v, int line)
{
	struct survey *s = l->s;
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (is_null(v) || !fy_node_is_sequence(v) ||
	    (n = fy_node_sequence_item_count(v)) == 0) {
		lerr(l, line, "'questions' must be a list of questions");
		return;
	}
	s->questions = xcalloc(n, sizeof(*s->questions));
	l->aux = xcalloc(n, sizeof(*l->aux));
	while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
		l->aux[s->nquestions].line = node_line(item, line);
		parse_question(l, &s->questions[s->nquestions],
		               &l->aux[s->nquestions], item);
		s->nquestions++;
	}
	check_duplicate_keys(l);
}

/* ---- show_if ------------------------------------------------------------ */

static int
number_in_range(const struct question *q, const char *word, long *n)
{
	return survey_parse_long(word, n) == 0 && *n >= q->min && *n <= q->max
	           ? 0
	           : -1;
}

/* The normalised form of one show_if value for question t, or NULL. */
static char *
show_if_value(const struct question *t, const char *word)
{
	long n;

	if (survey_is_option_type(t->type)) {
		if ((n = survey_answer_one(t, word)) == -1)
			return NULL;
	} else if (number_in_range(t, word, &n) == -1)
		return NULL;
	return xasprintf("%ld", n);
}

/* The index of the question show_if names, or -1 (reported). */
static int
show_if_target(struct loader *l, size_t i, const char *key, int line)
{
	struct survey *s = l->s;
	size_t j;

	for (j = 0; j < s->nquestions; j++)
		if (s->questions[j].key &&
		    strcmp(s->questions[j].key, key) == 0)
			break;
	if (j == s->nquestions)
		lerr(l, line, "show_if: there is no question '%s'", key);
	else if (j == i)
		lerr(l, line, "show_if: a question cannot depend on itself");
	else if (j > i)
		lerr(l, line,
		     "show_if: question '%s' comes later; show_if may only "
		     "name an earlier question",
		     key);
	else if (s->questions[j].type == Q_TEXT && l->aux[j].typed)
		lerr(l, line, "show_if: cannot depend on text question '%s'",
		     key);
	else
		return l->aux[j].typed ? (int)j : -1;
	return -1;
}

static void
show_if_add(struct loader *l, struct question *q, const struct question *t,
            struct fy_node *v, int line)
{
	const char *word = scalar(l, v, line, "show_if");
	char *norm;

	if (word == NULL)
		return;
	if ((norm = show_if_value(t, word)) == NULL) {
		lerr(l, line, "show_if: '%s' is not an answer to '%s'", word,
		     t->key);
		return;
	}
	q->show_if_values =
	    xreallocarray(q->show_if_values, q->nshow_if_values + 1,
	                  sizeof(*q->show_if_values));
	q->show_if_values[q->nshow_if_values++] = norm;
}

static void
show_if_values(struct loader *l, struct question *q, const struct question *t,
               struct fy_node *eq, struct fy_node *in, int line)
{
	struct fy_node *item;
	void *it = NULL;

	if ((eq == NULL) == (in == NULL)) {
		lerr(l, line, "show_if needs one of 'equals' or 'in'");
		return;
	}
	if (eq != NULL) {
		show_if_add(l, q, t, eq, node_line(eq, line));
		return;
	}
	if (!fy_node_is_sequence(in) || fy_node_sequence_item_count(in) == 0) {
		lerr(l, node_line(in, line), "show_if: 'in' must be a list");
		return;
	}
	while ((item = fy_node_sequence_iterate(in, &it)) != NULL)
		show_if_add(l, q, t, item, node_line(item, line));
}

static void
show_if_resolve(struct loader *l, size_t i)
{
	struct fy_node *v = l->aux[i].show_if, *qn, *eq, *in;
	struct question *q = &l->s->questions[i];
	int line = l->aux[i].show_if_line, j;
	const char *key;

	if (is_null(v) || !fy_node_is_mapping(v) ||
	    fy_node_mapping_item_count(v) != 2) {
		lerr(l, line,
		     "show_if must be {question: KEY, equals: VALUE} "
		     "or {question: KEY, in: [VALUES]}");
		return;
	}
	qn = fy_node_mapping_lookup_by_string(v, "question", 8);
	eq = fy_node_mapping_lookup_by_string(v, "equals", 6);
	in = fy_node_mapping_lookup_by_string(v, "in", 2);
	if (qn == NULL) {
		lerr(l, line, "show_if needs 'question'");
		return;
	}
	if ((key = scalar(l, qn, line, "question")) == NULL ||
	    (j = show_if_target(l, i, key, line)) == -1)
		return;
	q->show_if_key = xstrdup(key);
	show_if_values(l, q, &l->s->questions[j], eq, in, line);
}

/* ---- the survey --------------------------------------------------------- */

static void
survey_field(struct loader *l, struct fy_node_pair *p)
{
	struct fy_node *v = fy_node_pair_value(p);
	int line = node_line(fy_node_pair_key(p), 1), i;

	i = field_find(l, sfields, NELEM(sfields), fy_node_pair_key(p), line,
	               "");
	if (i == -1)
		return;
	if (sfields[i].kind == F_QUESTIONS)
		parse_questions(l, v, line);
	else
		set_scalar(l, &sfields[i], l->s, v, line);
}

static void
parse_survey(struct loader *l, struct fy_node *root)
{
	static const char *const required[] = {"slug", "title", "questions"};
	struct fy_node_pair *p;
	void *it = NULL;
	size_t i;

	if (root == NULL || !fy_node_is_mapping(root)) {
		lerr(
		    l, node_line(root, 1),
		    "a survey must be a mapping of slug, title, questions ...");
		return;
	}
	while ((p = fy_node_mapping_iterate(root, &it)) != NULL)
		survey_field(l, p);
	for (i = 0; i < l->s->nquestions; i++)
		if (l->aux[i].show_if != NULL)
			show_if_resolve(l, i);
	for (i = 0; i < NELEM(required); i++)
		if (pair_named(root, required[i]) == NULL)
			lerr(l, 1, "survey has no '%s'", required[i]);
	if (l->s->closing == NULL)
		l->s->closing = xstrdup(DEFAULT_CLOSING);
}

/* Report libfyaml's own errors (syntax, duplicate keys) with their lines. */
static void
report_diag(struct loader *l, struct fy_diag *diag)
{
	struct fy_diag_error *e;
	void *it = NULL;
	int before = l->nerrs;

	while ((e = fy_diag_errors_iterate(diag, &it)) != NULL)
		if (e->type >= FYET_ERROR)
			lerr(l, e->line > 0 ? e->line : 1, "%s", e->msg);
	if (l->nerrs == before)
		lerr(l, 1, "no survey here (the file is empty)");
}

static void
parse_text(struct loader *l, const char *yaml, size_t len)
{
	struct fy_document *fyd, *extra;
	struct fy_diag *diag;
	struct fy_parser *fyp = yamlx_parser_new(yaml, len, &diag);

	if ((fyd = fy_parse_load_document(fyp)) == NULL ||
	    fy_document_root(fyd) == NULL)
		report_diag(l, diag);
	else {
		parse_survey(l, fy_document_root(fyd));
		if ((extra = fy_parse_load_document(fyp)) != NULL) {
			lerr(l, node_line(fy_document_root(extra), 1),
			     "only one survey may be in a file");
			fy_parse_document_destroy(fyp, extra);
		}
	}
	fy_parse_document_destroy(fyp, fyd);
	yamlx_parser_free(fyp, diag);
}

int
survey_load_string(const char *yaml, size_t len, const char *origin,
                   struct survey **out, char **errors)
{
	struct loader l = {.origin = origin};

	*out = NULL;
	*errors = NULL;
	l.s = xcalloc(1, sizeof(*l.s));
	l.s->version = 1;
	parse_text(&l, yaml, len);
	free(l.aux);
	if (l.nerrs > 0) {
		survey_free(l.s);
		*errors = buf_take(&l.errs);
		return -1;
	}
	survey_rehash(l.s);
	*out = l.s;
	return 0;
}

int
survey_load_file(const char *path, struct survey **out, char **errors)
{
	char *buf = xmalloc(MAX_FILE_SIZE + 1);
	FILE *fp;
	size_t n;
	int rv;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		*errors = xasprintf("%s: %s\n", path, strerror(errno));
		free(buf);
		return -1;
	}
	n = fread(buf, 1, MAX_FILE_SIZE + 1, fp);
	if (ferror(fp) || n > MAX_FILE_SIZE) {
		*errors = xasprintf("%s: %s\n", path,
		                    ferror(fp) ? strerror(errno)
		                               : "file is too large");
		rv = -1;
	} else
		rv = survey_load_string(buf, n, path, out, errors);
	fclose(fp);
	free(buf);
	return rv;
}
