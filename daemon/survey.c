/*
 * Survey definitions: YAML files parsed with libfyaml into an in-memory model,
 * canonical JSON (jansson) for storage, and the answer parsers that the web
 * form and the SMS conversation share. The format is documented in
 * ppgd-surveys(5).
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
#include <openssl/evp.h>

#include "jsonx.h"
#include "buf.h"
#include "log.h"
#include "survey.h"
#include "xmalloc.h"

#define MAX_FILE_SIZE      (1024 * 1024)
#define MAX_OPTIONS        26 /* one letter each in SMS replies */
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
static const char *const qtype_names[] = {"fft",   "scale",  "choice",
                                          "yesno", "number", "text"};
static const char *const yes_words[] = {"yes", "y", "yeah", "yep", "yup"};
static const char *const no_words[] = {"no", "n", "nope", "nah"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define T(x)     (1u << (x))
#define T_ALL    0x3fu

static int
is_space(int c)
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
static char *
trim_dup(const char *s, size_t len)
{
	while (len > 0 && is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/*
 * Count the characters of UTF-8 text; -1 if it is not valid UTF-8 or, with
 * strict, holds a control character other than tab and newline.
 */
static long
utf8_count(const char *s, int strict)
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
static int
parse_long(const char *s, long *out)
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
static char *
fold(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (is_space((unsigned char)*s))
		s++;
	while (*s != '\0') {
		if (*s == '\'') {
			s++;
		} else if (strncmp(s, "\xe2\x80\x98", 3) == 0 ||
		           strncmp(s, "\xe2\x80\x99", 3) == 0) {
			s += 3;
		} else if (is_space((unsigned char)*s)) {
			while (is_space((unsigned char)*s))
				s++;
			if (*s != '\0')
				*o++ = ' ';
		} else
			*o++ = to_lower((unsigned char)*s++);
	}
	*o = '\0';
	return out;
}

static int
fold_equal(const char *a, const char *b)
{
	char *fa = fold(a), *fb = fold(b);
	int eq = strcmp(fa, fb) == 0;

	free(fa);
	free(fb);
	return eq;
}

static char **
strv_dup(const char *const *v, size_t n)
{
	char **out = xcalloc(n, sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
word_in(const char *w, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

/* ---- the model ---------------------------------------------------------- */

const char *
survey_qtype_name(enum qtype t)
{
	return (unsigned)t < NELEM(qtype_names) ? qtype_names[t] : "unknown";
}

static int
qtype_from_name(const char *name)
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

static int
is_option_type(enum qtype t)
{
	return t == Q_FFT || t == Q_CHOICE || t == Q_YESNO;
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
	s = trim_dup(raw, strlen(raw));
	if (*s == '\0')
		lerr(l, line, "'%s' is empty", name);
	else if (utf8_count(s, 1) < 0)
		lerr(l, line, "'%s' has invalid UTF-8 or control characters",
		     name);
	else if (one_line && strchr(s, '\n') != NULL)
		lerr(l, line, "'%s' must fit on one line", name);
	else if (one_line && utf8_count(s, 1) > MAX_LINE)
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
	if (parse_long(raw, out) == -1) {
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
			if (fold_equal(q->options[i], q->options[q->noptions]))
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
	if ((t = qtype_from_name(name)) == -1) {
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

/*
 * One answer to an option, scale or number question written the way a
 * patient might text it: an option number, letter or wording, yes or no, or
 * a number. The option number (or the number itself) or -1.
 */
static long
answer_one(const struct question *q, const char *word)
{
	char *f = fold(word);
	long n = -1;
	size_t i;

	if (q->type == Q_YESNO && word_in(f, yes_words, NELEM(yes_words)))
		n = 1;
	else if (q->type == Q_YESNO && word_in(f, no_words, NELEM(no_words)))
		n = 2;
	else if (is_option_type(q->type)) {
		if (parse_long(f, &n) == 0 && f[0] != '+' && f[0] != '-')
			n = n >= 1 && n <= (long)q->noptions ? n : -1;
		else if (f[0] >= 'a' && f[0] <= 'z' && f[1] == '\0')
			n = f[0] - 'a' < (long)q->noptions ? f[0] - 'a' + 1
			                                   : -1;
		else
			for (i = 0, n = -1; i < q->noptions && n == -1; i++)
				if (fold_equal(f, q->options[i]))
					n = (long)i + 1;
	}
	free(f);
	return n;
}

static int
number_in_range(const struct question *q, const char *word, long *n)
{
	return parse_long(word, n) == 0 && *n >= q->min && *n <= q->max ? 0
	                                                                : -1;
}

/* The normalised form of one show_if value for question t, or NULL. */
static char *
show_if_value(const struct question *t, const char *word)
{
	long n;

	if (is_option_type(t->type)) {
		if ((n = answer_one(t, word)) == -1)
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

static void survey_rehash(struct survey *);

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

static void
diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
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
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET};
	struct fy_document *fyd, *extra;
	struct fy_parser *fyp;

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	if ((pcfg.diag = fy_diag_create(&dcfg)) == NULL ||
	    (fyp = fy_parser_create(&pcfg)) == NULL)
		fatalx("libfyaml: cannot create a parser");
	fy_diag_set_collect_errors(pcfg.diag, true);
	if (fy_parser_set_string(fyp, yaml, len) != 0)
		fatalx("libfyaml: cannot set the input");
	if ((fyd = fy_parse_load_document(fyp)) == NULL ||
	    fy_document_root(fyd) == NULL)
		report_diag(l, pcfg.diag);
	else {
		parse_survey(l, fy_document_root(fyd));
		if ((extra = fy_parse_load_document(fyp)) != NULL) {
			lerr(l, node_line(fy_document_root(extra), 1),
			     "only one survey may be in a file");
			fy_parse_document_destroy(fyp, extra);
		}
	}
	fy_parse_document_destroy(fyp, fyd);
	fy_parser_destroy(fyp);
	fy_diag_destroy(pcfg.diag);
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

static void
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
		t = trim_dup(tok, strlen(tok));
		if (parse_long(t, &n) == -1 || n < 1 || n > (long)q->noptions)
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
	    fold_equal(v, q->min_label))
		n = q->min;
	else if (q->type == Q_SCALE && ch == SMS && q->max_label != NULL &&
	         fold_equal(v, q->max_label))
		n = q->max;
	else if (ch == SMS && q->type == Q_NUMBER &&
	         (fold_equal(v, "none") || fold_equal(v, "zero")))
		n = 0;
	else if (parse_long(v, &n) == -1)
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
	if ((len = utf8_count(t, 0)) < 0) {
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

static int
web_answer(const struct question *q, const char *v, char **normalised,
           char **cause)
{
	switch (q->type) {
	case Q_FFT:
	case Q_CHOICE:
	case Q_YESNO:
		return web_picks(q, v, normalised, cause);
	case Q_SCALE:
	case Q_NUMBER:
		return number_answer(q, v, WEB, normalised, cause);
	case Q_TEXT:
		return text_answer(q, v, WEB, normalised, cause);
	}
	return fail(q, WEB, cause);
}

int
survey_answer_web(const struct question *q, const char *raw, char **normalised,
                  char **cause)
{
	char *v =
	    trim_dup(raw != NULL ? raw : "", raw != NULL ? strlen(raw) : 0);
	int rv;

	*normalised = NULL;
	*cause = NULL;
	if (*v == '\0')
		rv = answer_empty(q, WEB, cause);
	else
		rv = web_answer(q, v, normalised, cause);
	free(v);
	return rv;
}

/* Pick one option from a word ("2", "b", "very good"); 0 or -1. */
static int
sms_pick_word(const struct question *q, const char *w, int *picked)
{
	long n = answer_one(q, w);

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
	char *f = fold(reply);
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
	char *v = trim_dup(reply, strlen(reply));
	size_t n = strlen(v);

	if (q->type == Q_TEXT)
		return v;
	while (n > 0 && (strchr(".!?,;:", v[n - 1]) != NULL ||
	                 is_space((unsigned char)v[n - 1])))
		v[--n] = '\0';
	return v;
}

static int
sms_answer(const struct question *q, const char *v, char **normalised,
           char **cause)
{
	switch (q->type) {
	case Q_FFT:
	case Q_CHOICE:
	case Q_YESNO:
		return sms_picks(q, v, normalised, cause);
	case Q_SCALE:
	case Q_NUMBER:
		return number_answer(q, v, SMS, normalised, cause);
	case Q_TEXT:
		return text_answer(q, v, SMS, normalised, cause);
	}
	return fail(q, SMS, cause);
}

int
survey_answer_sms(const struct question *q, const char *reply,
                  char **normalised, char **cause)
{
	char *v = sms_clean(q, reply != NULL ? reply : "");
	int rv;

	*normalised = NULL;
	*cause = NULL;
	if (*v == '\0' || fold_equal(v, "skip"))
		rv = answer_empty(q, SMS, cause);
	else
		rv = sms_answer(q, v, normalised, cause);
	free(v);
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
