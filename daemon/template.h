/* Message templates: {{placeholder}} substitution for email and SMS. */
#ifndef PPGD_TEMPLATE_H
#define PPGD_TEMPLATE_H

#include <stddef.h>

enum tmpl_channel { TMPL_EMAIL, TMPL_SMS };

struct template; /* one template for one channel */
struct tvars;    /* placeholder name -> value */

/* A rendering: subject, text and html for email (html NULL when the template
 * has none); text only for SMS. */
struct rendered {
	char *subject;
	char *text;
	char *html;
};

/* An empty set of values. */
struct tvars *tvars_new(void);
/* Sample values for every placeholder, as used to measure SMS length. */
struct tvars *tvars_sample(void);
/* Set (or replace) name to a copy of value. */
void tvars_set(struct tvars *, const char *name, const char *value);
/* The value of name, or NULL when unset. */
const char *tvars_get(const struct tvars *, const char *name);
/* Empty every value whose name starts with prefix ("member.extra."). */
void tvars_clear_prefix(struct tvars *, const char *prefix);
/* The number of values, and the name (and *value) of the i-th. */
size_t tvars_count(const struct tvars *);
const char *tvars_at(const struct tvars *, size_t i, const char **value);
void tvars_free(struct tvars *);

/* Load dir/email/NAME.txt (+ NAME.html) or dir/sms/NAME.txt, or the
 * version stored in their place (template_set_source); an SMS longer than
 * max_segments (> 0) with sample values is refused. */
int template_load(const char *dir, const char *name, enum tmpl_channel,
                  int max_segments, struct template **out, char **cause);
/* Parse a template given as a string (email: headers, blank line, text body);
 * origin names it in errors. */
int template_parse_string(const char *text, const char *origin,
                          enum tmpl_channel, int max_segments,
                          struct template **out, char **cause);
/* The same for a template of a text part and, for email, an HTML part
 * (NULL: none), as a stored version and a run's snapshot keep them
 * (template_source). */
int template_parse_parts(const char *text, const char *html, const char *origin,
                         enum tmpl_channel, int max_segments,
                         struct template **out, char **cause);
/*
 * Where templates stored in place of the files come from: fn returns 1
 * with *text, *html (NULL: none) and *origin (for errors) for a template
 * stored under name, 0 for none (the file is read), -1 with *cause. The
 * caller of template_load frees nothing of it. Set once per process by
 * whoever opens the database (template_store_attach); NULL: files only.
 */
typedef int (*template_source_fn)(void *arg, const char *name,
                                  enum tmpl_channel, char **text, char **html,
                                  char **origin, char **cause);
void template_set_source(template_source_fn, void *arg);
/* The text the template was parsed from (email: headers, blank line, body)
 * and *html its HTML part's (NULL: none): a run keeps them (runmsg.h). */
const char *template_source(const struct template *, const char **html);
void template_free(struct template *);
/* Whether the template uses placeholder name (in a part or a section). */
int template_uses(const struct template *, const char *name);
/* Render with values; -1 if a placeholder has no value or a value would put a
 * line break into the subject. Caller frees with rendered_clear. */
int template_render(const struct template *, const struct tvars *,
                    struct rendered *out, char **cause);
/* Free the strings of a rendering. */
void rendered_clear(struct rendered *);

/* HTML-escape & < > " '. Caller frees. */
char *html_escape(const char *s);

#endif
