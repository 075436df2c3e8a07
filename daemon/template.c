/* Message templates: {{placeholder}} substitution for email and SMS. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sms.h"
#include "template.h"
#include "xmalloc.h"

#define TEMPLATE_MAX   (64 * 1024) /* bytes in one template file */
#define SECTION_DEPTH  8
#define NAME_IN_ERRORS 40 /* longest placeholder text quoted in a cause */

/*
 * Every placeholder a template may use, with the sample value used to measure
 * SMS templates at load time (lengths documented in ppgd-templates(5)).
 */
static const struct placeholder {
	const char *name;
	const char *sample;
} placeholders[] = {
    {"member.first_name", "Christabelle"},
    {"member.last_name", "Montgomery-Smith"},
    {"practice.name", "The Riverside Medical Practice"},
    {"practice.code", "Y01234"},
    {"practice.phone", "0161 496 0000"},
    {"practice.website", "https://www.riversidemedical.nhs.uk"},
    {"survey.title", "Your experiences of booking appointments"},
    {"survey.link", "https://ppg.example.org/s/AbCdEfGhIjKlMnOpQrStUv"},
    {"survey.question", "How easy was it to get through to the practice "
                        "on the phone? Reply 1 (very easy) to 5 (very hard)"},
    {"unsubscribe.link", "https://ppg.example.org/u/AbCdEfGhIjKlMnOpQrStUv"},
    {"meeting.when", "Wednesday 24 September 2025 at 6:30pm"},
    {"meeting.where", "Community Room, Riverside Medical Centre"},
    {"meeting.agenda", "1. Welcome and introductions\n"
                       "2. Changes to online booking\n"
                       "3. Flu clinic dates\n"
                       "4. Any other business"},
    {"meeting.link", "https://meet.example.org/riverside-ppg-2025"},
    {"meeting.old_when", "Tuesday 16 September 2025 at 6:30pm"},
    {"meeting.rsvp_link", "https://ppg.example.org/m/AbCdEfGhIjKlMnOpQrStUv"},
    {"meeting.minutes_link",
     "https://ppg.example.org/practice/Y01234/meetings/12"},
    {"meeting.review", "- Longer phone hours on Mondays (in progress): two "
                       "more staff answer calls from 8am"},
    {"campaign.name", "Changes to our opening hours this winter"},
    {"actions.list", "- You said the phones were busy at 8am. We added two "
                     "more staff to answer calls.\n"
                     "- You said the waiting room was cold. We fixed the "
                     "heating."},
    {"message.text", "Our flu clinics start on Saturday 4 October. Adults "
                     "aged 65 and over, and people with long-term health "
                     "conditions, can book a place at reception or by "
                     "phone."},
    {"join.link", "https://ppg.example.org/join/Y01234/confirm/"
                  "AbCdEfGhIjKlMnOpQrStUv"},
    {"join.code", "123456"},
    {"agreement.link", "https://ppg.example.org/agreement/"
                       "AbCdEfGhIjKlMnOpQrStUv"},
};
#define NPLACEHOLDERS (sizeof placeholders / sizeof *placeholders)

/*
 * Custom member fields, {{member.extra.NAME}}: any NAME may be used, so
 * their names are interned here as met (placeholder numbers from
 * NPLACEHOLDERS on). A member without the field renders it empty.
 */
#define EXTRA_PREFIX "member.extra."
#define EXTRA_SAMPLE "a custom field value" /* 20 characters */
static char **extra_names;
static size_t nextra_names;

/* Templates stored in place of the files (template_store.c), if set. */
static template_source_fn source_fn;
static void *source_arg;

static const char *
var_name(size_t var)
{
	return var < NPLACEHOLDERS ? placeholders[var].name
	                           : extra_names[var - NPLACEHOLDERS];
}

enum node_kind { NODE_TEXT, NODE_VAR, NODE_IF, NODE_UNLESS, NODE_END };

struct node {
	enum node_kind kind;
	char *text; /* NODE_TEXT */
	size_t var; /* index into placeholders */
	size_t end; /* NODE_IF, NODE_UNLESS: index of the matching NODE_END */
	int line;
};

struct part {
	char *origin;
	struct node *nodes;
	size_t n;
};

struct template
{
	enum tmpl_channel channel;
	struct part subject; /* email only */
	struct part text;
	struct part html;     /* email, optional: nodes NULL when absent */
	char *src, *src_html; /* what it was parsed from (template_source) */
};

struct tvar {
	char *name;
	char *value;
};

struct tvars {
	struct tvar *v;
	size_t n;
};

enum render_mode { RENDER_RAW, RENDER_HTML, RENDER_SUBJECT };

/* Escape for HTML; with nl2br, line breaks become <br>. */
static void
buf_add_html(struct buf *b, const char *s, int nl2br)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_add(b, "&amp;");
			break;
		case '<':
			buf_add(b, "&lt;");
			break;
		case '>':
			buf_add(b, "&gt;");
			break;
		case '"':
			buf_add(b, "&quot;");
			break;
		case '\'':
			buf_add(b, "&#39;");
			break;
		case '\n':
			buf_add(b, nl2br ? "<br>\n" : "\n");
			break;
		default:
			buf_addn(b, s, 1);
		}
	}
}

/* HTML-escape & < > " '. Caller frees. */
char *
html_escape(const char *s)
{
	struct buf b = {0};

	buf_add(&b, "");
	buf_add_html(&b, s, 0);
	return b.s;
}

/* An empty set of values. */
struct tvars *
tvars_new(void)
{
	return xcalloc(1, sizeof(struct tvars));
}

/* Sample values for every placeholder, as used to measure SMS length. */
struct tvars *
tvars_sample(void)
{
	struct tvars *v = tvars_new();
	size_t i;

	for (i = 0; i < NPLACEHOLDERS; i++)
		tvars_set(v, placeholders[i].name, placeholders[i].sample);
	return v;
}

/* Set (or replace) name to a copy of value. */
void
tvars_set(struct tvars *v, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = xstrdup(value);
			return;
		}
	}
	v->v = xreallocarray(v->v, v->n + 1, sizeof *v->v);
	v->v[v->n].name = xstrdup(name);
	v->v[v->n].value = xstrdup(value);
	v->n++;
}

/* The value of name, or NULL when unset. */
const char *
tvars_get(const struct tvars *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return v->v[i].value;
	return NULL;
}

/* Empty every value whose name starts with prefix. */
void
tvars_clear_prefix(struct tvars *v, const char *prefix)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strncmp(v->v[i].name, prefix, strlen(prefix)) == 0)
			v->v[i].value[0] = '\0';
}

size_t
tvars_count(const struct tvars *v)
{
	return v->n;
}

const char *
tvars_at(const struct tvars *v, size_t i, const char **value)
{
	*value = v->v[i].value;
	return v->v[i].name;
}

void
tvars_free(struct tvars *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	free(v);
}

static int
placeholder_find(const char *name, size_t len, size_t *idx)
{
	size_t i;

	for (i = 0; i < NPLACEHOLDERS + nextra_names; i++) {
		if (strlen(var_name(i)) == len &&
		    strncmp(var_name(i), name, len) == 0) {
			*idx = i;
			return 0;
		}
	}
	if (len <= strlen(EXTRA_PREFIX) || len > strlen(EXTRA_PREFIX) + 40 ||
	    strncmp(name, EXTRA_PREFIX, strlen(EXTRA_PREFIX)) != 0 ||
	    memchr(name + strlen(EXTRA_PREFIX), '.',
	           len - strlen(EXTRA_PREFIX)) != NULL)
		return -1;
	extra_names =
	    xreallocarray(extra_names, nextra_names + 1, sizeof *extra_names);
	extra_names[nextra_names] = xstrndup(name, len);
	*idx = NPLACEHOLDERS + nextra_names++;
	return 0;
}

static struct node *
part_push(struct part *p, enum node_kind kind, int line)
{
	struct node *nd;

	p->nodes = xreallocarray(p->nodes, p->n + 1, sizeof *p->nodes);
	nd = &p->nodes[p->n++];
	memset(nd, 0, sizeof *nd);
	nd->kind = kind;
	nd->line = line;
	return nd;
}

static void
part_clear(struct part *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->nodes[i].text);
	free(p->nodes);
	free(p->origin);
	memset(p, 0, sizeof *p);
}

struct parser {
	struct part *part;
	const char *origin;
	int line;
	size_t open[SECTION_DEPTH]; /* node indices of open sections */
	int depth;
	char **cause;
};

static void
parse_text(struct parser *ps, const char *s, size_t len)
{
	const char *nl;

	if (len == 0)
		return;
	part_push(ps->part, NODE_TEXT, ps->line)->text = xstrndup(s, len);
	for (nl = s; (nl = memchr(nl, '\n', len - (nl - s))) != NULL; nl++)
		ps->line++;
}

static int
parse_error(struct parser *ps, const char *what, const char *tag, size_t len)
{
	if (len > NAME_IN_ERRORS)
		len = NAME_IN_ERRORS;
	*ps->cause = xasprintf("%s:%d: %s {{%.*s}}", ps->origin, ps->line, what,
	                       (int)len, tag);
	return -1;
}

static int
parse_section(struct parser *ps, char sigil, size_t var, const char *tag,
              size_t len)
{
	struct node *open;
	size_t idx = ps->part->n;

	if (sigil != '/') {
		if (ps->depth == SECTION_DEPTH)
			return parse_error(ps, "sections nested too deep at",
			                   tag, len);
		part_push(ps->part, sigil == '#' ? NODE_IF : NODE_UNLESS,
		          ps->line)
		    ->var = var;
		ps->open[ps->depth++] = idx;
		return 0;
	}
	if (ps->depth == 0)
		return parse_error(ps, "section end without start", tag, len);
	open = &ps->part->nodes[ps->open[ps->depth - 1]];
	if (open->var != var)
		return parse_error(ps, "section end does not match start", tag,
		                   len);
	open->end = idx;
	ps->depth--;
	part_push(ps->part, NODE_END, ps->line)->var = var;
	return 0;
}

/* Parse the inside of {{ ... }} (tag, len bytes). */
static int
parse_tag(struct parser *ps, const char *tag, size_t len)
{
	const char *name = tag, *end = tag + len;
	char sigil = '\0';
	size_t var, i;

	while (name < end && (*name == ' ' || *name == '\t'))
		name++;
	if (name < end && strchr("#^/", *name) != NULL)
		sigil = *name++;
	while (name < end && (*name == ' ' || *name == '\t'))
		name++;
	while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (name == end)
		return parse_error(ps, "empty placeholder", tag, len);
	for (i = 0; name + i < end; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) &&
		    strchr("._", name[i]) == NULL)
			return parse_error(ps, "malformed placeholder", tag,
			                   len);
	if (placeholder_find(name, end - name, &var) == -1)
		return parse_error(ps, "unknown placeholder", tag, len);
	if (sigil != '\0')
		return parse_section(ps, sigil, var, tag, len);
	part_push(ps->part, NODE_VAR, ps->line)->var = var;
	return 0;
}

/* Parse s into part; line is the line number s starts on in origin. */
static int
parse_part(const char *s, const char *origin, int line, struct part *part,
           char **cause)
{
	struct parser ps = {part, origin, line, {0}, 0, cause};
	const char *open, *eol, *close;
	struct node *nd;

	part->origin = xstrdup(origin);
	while ((open = strstr(s, "{{")) != NULL) {
		parse_text(&ps, s, open - s);
		open += 2;
		eol = open + strcspn(open, "\n");
		close = memmem(open, eol - open, "}}", 2);
		if (close == NULL) {
			*cause = xasprintf("%s:%d: unterminated {{ (no }} on "
			                   "the same line)",
			                   origin, ps.line);
			return -1;
		}
		if (parse_tag(&ps, open, close - open) == -1)
			return -1;
		s = close + 2;
	}
	parse_text(&ps, s, strlen(s));
	if (ps.depth > 0) {
		nd = &part->nodes[ps.open[ps.depth - 1]];
		*cause =
		    xasprintf("%s:%d: section {{%c%s}} has no {{/%s}}", origin,
		              nd->line, nd->kind == NODE_IF ? '#' : '^',
		              var_name(nd->var), var_name(nd->var));
		return -1;
	}
	return 0;
}

/* Parse one "Name: value" header line (len bytes, no newline). */
static int
parse_header(struct template *t, const char *line, size_t len,
             const char *origin, int lineno, char **cause)
{
	const char *colon = memchr(line, ':', len), *v, *end = line + len;
	char *value;
	int r;

	if (colon == NULL || colon - line != 7 ||
	    strncasecmp(line, "Subject", 7) != 0) {
		*cause = xasprintf("%s:%d: expected \"Subject: ...\" or a "
		                   "blank line before the body",
		                   origin, lineno);
		return -1;
	}
	if (t->subject.origin != NULL) {
		*cause = xasprintf("%s:%d: second Subject", origin, lineno);
		return -1;
	}
	for (v = colon + 1; v < end && isspace((unsigned char)*v); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if (v == end) {
		*cause = xasprintf("%s:%d: empty Subject", origin, lineno);
		return -1;
	}
	value = xstrndup(v, end - v);
	r = parse_part(value, origin, lineno, &t->subject, cause);
	free(value);
	return r;
}

static int
blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Parse headers, a blank line and the text body. */
static int
parse_email(struct template *t, const char *s, const char *origin, char **cause)
{
	const char *eol;
	int line = 1;

	for (; (eol = strchr(s, '\n')) != NULL && eol != s; s = eol + 1) {
		if (parse_header(t, s, eol - s, origin, line++, cause) == -1)
			return -1;
	}
	if (eol == NULL) {
		*cause = xasprintf("%s:%d: no blank line between the headers "
		                   "and the body",
		                   origin, line);
		return -1;
	}
	if (t->subject.origin == NULL) {
		*cause = xasprintf("%s:%d: no Subject header", origin, line);
		return -1;
	}
	if (blank(eol + 1)) {
		*cause = xasprintf("%s:%d: empty body", origin, line + 1);
		return -1;
	}
	return parse_part(eol + 1, origin, line + 1, &t->text, cause);
}

/* Parse an SMS body; trailing white space (the file's newline) is dropped. */
static int
parse_sms(struct template *t, const char *s, const char *origin, char **cause)
{
	size_t len = strlen(s);
	char *body;
	int r;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0) {
		*cause = xasprintf("%s:1: empty message", origin);
		return -1;
	}
	body = xstrndup(s, len);
	r = parse_part(body, origin, 1, &t->text, cause);
	free(body);
	return r;
}

static int
check_utf8(const char *s, const char *origin, char **cause)
{
	struct sms_info info;

	if (sms_analyse(s, &info) == 0)
		return 0;
	*cause = xasprintf("%s: not valid UTF-8", origin);
	return -1;
}

static int
check_segments(const struct template *t, int max, char **cause)
{
	struct tvars *v;
	struct rendered r;
	struct sms_info info;
	size_t i;
	int rc = 0;

	if (t->channel != TMPL_SMS || max <= 0)
		return 0;
	v = tvars_sample();
	for (i = 0; i < nextra_names; i++)
		tvars_set(v, extra_names[i], EXTRA_SAMPLE);
	if (template_render(t, v, &r, cause) == -1) {
		tvars_free(v);
		return -1;
	}
	if (sms_analyse(r.text, &info) == 0 && info.segments > (size_t)max) {
		*cause = xasprintf("%s: %zu SMS segments with sample values "
		                   "(%zu %s units), more than %d",
		                   t->text.origin, info.segments, info.units,
		                   sms_encoding_name(info.encoding), max);
		rc = -1;
	}
	rendered_clear(&r);
	tvars_free(v);
	return rc;
}

static int
parse_body(struct template *t, const char *text, const char *origin,
           char **cause)
{
	if (check_utf8(text, origin, cause) == -1)
		return -1;
	if (t->channel == TMPL_EMAIL)
		return parse_email(t, text, origin, cause);
	return parse_sms(t, text, origin, cause);
}

/* Parse a template given as a string (email: headers, blank line, text body);
 * origin names it in errors. */
int
template_parse_string(const char *text, const char *origin,
                      enum tmpl_channel channel, int max_segments,
                      struct template **out, char **cause)
{
	struct template *t = xcalloc(1, sizeof *t);

	t->channel = channel;
	t->src = xstrdup(text);
	if (parse_body(t, text, origin, cause) == -1 ||
	    check_segments(t, max_segments, cause) == -1) {
		template_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* Parse text and, for email, html (NULL: none) as one template, keeping
 * their sources (template_source). */
int
template_parse_parts(const char *text, const char *html, const char *origin,
                     enum tmpl_channel channel, int max_segments,
                     struct template **out, char **cause)
{
	struct template *t;
	char *where;
	int r = 0;

	if (template_parse_string(text, origin, channel, max_segments, &t,
	                          cause) == -1)
		return -1;
	if (html != NULL && channel == TMPL_EMAIL) {
		t->src_html = xstrdup(html);
		where = xasprintf("%s (HTML)", origin);
		if ((r = check_utf8(html, where, cause)) == 0)
			r = parse_part(html, where, 1, &t->html, cause);
		free(where);
	}
	if (r == -1) {
		template_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void
template_set_source(template_source_fn fn, void *arg)
{
	source_fn = fn;
	source_arg = arg;
}

/* The stored template in place of the files: 1 (loaded into *out or
 * refused with *cause and -1), or 0 for none. */
static int
load_stored(const char *name, enum tmpl_channel channel, int max_segments,
            struct template **out, char **cause, int *rv)
{
	char *text = NULL, *html = NULL, *origin = NULL;
	int r;

	if (source_fn == NULL)
		return 0;
	r = source_fn(source_arg, name, channel, &text, &html, &origin, cause);
	if (r == 0)
		return 0;
	*rv = r == -1 ? -1
	              : template_parse_parts(text, html, origin, channel,
	                                     max_segments, out, cause);
	free(text);
	free(html);
	free(origin);
	return 1;
}

const char *
template_source(const struct template *t, const char **html)
{
	*html = t->src_html;
	return t->src;
}

/* Read a template file into a string, CRLF line ends made LF. Caller frees. */
static int
read_file(const char *path, char **out, char **cause)
{
	FILE *f;
	char *s = xmalloc(TEMPLATE_MAX + 1), *r, *w;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(s);
		return -1;
	}
	n = fread(s, 1, TEMPLATE_MAX + 1, f);
	fclose(f);
	s[n > TEMPLATE_MAX ? TEMPLATE_MAX : n] = '\0';
	if (n > TEMPLATE_MAX || strlen(s) != n) {
		*cause = xasprintf("%s: %s", path,
		                   n > TEMPLATE_MAX ? "larger than 64 KiB"
		                                    : "contains a NUL byte");
		free(s);
		return -1;
	}
	for (r = w = s; *r != '\0'; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	*out = s;
	return 0;
}

/* Parse dir/email/NAME.html into t if the file exists. */
static int
load_html(struct template *t, const char *dir, const char *name, char **cause)
{
	char *path = xasprintf("%s/email/%s.html", dir, name), *text;
	int r = 0;

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if ((r = read_file(path, &text, cause)) == 0) {
		if ((r = check_utf8(text, path, cause)) == 0)
			r = parse_part(text, path, 1, &t->html, cause);
		t->src_html = text;
	}
	free(path);
	return r;
}

static int
valid_name(const char *name)
{
	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++)
		if (!isalnum((unsigned char)*name) && *name != '-' &&
		    *name != '_')
			return 0;
	return 1;
}

/* Load dir/email/NAME.txt (+ NAME.html) or dir/sms/NAME.txt; an SMS longer
 * than max_segments (> 0) with sample values is refused. */
int
template_load(const char *dir, const char *name, enum tmpl_channel channel,
              int max_segments, struct template **out, char **cause)
{
	struct template *t;
	char *path, *text;
	int r;

	if (!valid_name(name)) {
		*cause = xasprintf("template name \"%s\" is not letters, "
		                   "digits, - and _",
		                   name);
		return -1;
	}
	if (load_stored(name, channel, max_segments, out, cause, &r))
		return r;
	path = xasprintf("%s/%s/%s.txt", dir,
	                 channel == TMPL_EMAIL ? "email" : "sms", name);
	if (read_file(path, &text, cause) == -1) {
		free(path);
		return -1;
	}
	t = xcalloc(1, sizeof *t);
	t->channel = channel;
	t->src = text;
	r = parse_body(t, text, path, cause);
	if (r == 0 && channel == TMPL_EMAIL)
		r = load_html(t, dir, name, cause);
	if (r == 0)
		r = check_segments(t, max_segments, cause);
	free(path);
	if (r == -1) {
		template_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	part_clear(&t->subject);
	part_clear(&t->text);
	part_clear(&t->html);
	free(t->src);
	free(t->src_html);
	free(t);
}

static int
part_uses(const struct part *p, size_t var)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->nodes[i].kind != NODE_TEXT && p->nodes[i].var == var)
			return 1;
	return 0;
}

/* Whether the template uses placeholder name (in a part or a section). */
int
template_uses(const struct template *t, const char *name)
{
	size_t var;

	if (placeholder_find(name, strlen(name), &var) == -1)
		return 0;
	return part_uses(&t->subject, var) || part_uses(&t->text, var) ||
	       part_uses(&t->html, var);
}

static int
render_var(const struct part *p, const struct node *nd, const struct tvars *v,
           enum render_mode mode, struct buf *b, char **cause)
{
	const char *name = var_name(nd->var);
	const char *value = tvars_get(v, name);

	if ((value == NULL || *value == '\0') && nd->var >= NPLACEHOLDERS)
		return 0;
	if (value == NULL || *value == '\0') {
		*cause = xasprintf("%s:%d: no value for {{%s}}", p->origin,
		                   nd->line, name);
		return -1;
	}
	if (mode == RENDER_SUBJECT && strpbrk(value, "\r\n") != NULL) {
		*cause = xasprintf("%s:%d: value of {{%s}} would put a line "
		                   "break in the subject",
		                   p->origin, nd->line, name);
		return -1;
	}
	if (mode == RENDER_HTML)
		buf_add_html(b, value, 1);
	else
		buf_add(b, value);
	return 0;
}

/* Render part into *out. Caller frees. */
static int
render_part(const struct part *p, const struct tvars *v, enum render_mode mode,
            char **out, char **cause)
{
	struct buf b = {0};
	const struct node *nd;
	const char *value;
	size_t i;
	int empty;

	buf_add(&b, "");
	for (i = 0; i < p->n; i++) {
		nd = &p->nodes[i];
		switch (nd->kind) {
		case NODE_TEXT:
			buf_add(&b, nd->text);
			break;
		case NODE_VAR:
			if (render_var(p, nd, v, mode, &b, cause) == -1) {
				free(b.s);
				return -1;
			}
			break;
		case NODE_IF:
		case NODE_UNLESS:
			value = tvars_get(v, var_name(nd->var));
			empty = value == NULL || *value == '\0';
			if (empty == (nd->kind == NODE_IF))
				i = nd->end;
			break;
		case NODE_END:
			break;
		}
	}
	*out = b.s;
	return 0;
}

/* Render with values; -1 if a placeholder has no value or a value would put a
 * line break into the subject. Caller frees with rendered_clear. */
int
template_render(const struct template *t, const struct tvars *v,
                struct rendered *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (t->channel == TMPL_EMAIL &&
	    render_part(&t->subject, v, RENDER_SUBJECT, &out->subject, cause) ==
	        -1)
		goto fail;
	if (render_part(&t->text, v, RENDER_RAW, &out->text, cause) == -1)
		goto fail;
	if (t->html.origin != NULL &&
	    render_part(&t->html, v, RENDER_HTML, &out->html, cause) == -1)
		goto fail;
	/* Values are checked above; a lone CR may come from the file. */
	if (out->subject != NULL && strpbrk(out->subject, "\r\n") != NULL) {
		*cause = xasprintf("%s: line break in the subject",
		                   t->subject.origin);
		goto fail;
	}
	return 0;
fail:
	rendered_clear(out);
	return -1;
}

/* Free the strings of a rendering. */
void
rendered_clear(struct rendered *r)
{
	free(r->subject);
	free(r->text);
	free(r->html);
	memset(r, 0, sizeof *r);
}
